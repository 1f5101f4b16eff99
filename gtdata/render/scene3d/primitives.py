"""The 3-D primitives: exact ray intersections (analytic, the torus by sphere tracing), sizes, inside tests.

Every primitive lives in its local frame: centred at the origin, axis y, at ``scale`` 1 about one unit tall
or wide (``DIMENSIONS``). A ray (o, d) in that frame (``d`` unit length, which a rotation and a uniform scale
preserve) gives the distance ``t`` to the first hit farther than ``eps`` (inf for a miss), the local normal
and a face id (flat faces of a cube or cylinder get their own id so anti-aliasing finds the edges between
them). Formulas: Quilez, "Intersectors"; Kay & Kajiya's slab method for the box; see
``shared/reference/scenes3d.md`` section 3 for their derivation. The torus (a quartic) is found by
``TORUS_STEPS`` steps of sphere tracing (Hart 1996) on its exact distance function, from where the ray
enters the torus's bounding sphere; rays that graze it may stop short of the surface and count as misses.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["BOUNDING_RADIUS", "CONVEX", "DIMENSIONS", "PRIMITIVES", "REST_HEIGHT", "inside", "intersect"]

PRIMITIVES = ("cube", "cylinder", "sphere", "capsule", "cone", "torus")

# local-frame sizes at scale 1 (world units)
DIMENSIONS = {
    "cube": {"half": 0.5},  # side 1
    "cylinder": {"radius": 0.5, "half": 0.5},  # diameter 1, height 1
    "sphere": {"radius": 0.5},  # diameter 1
    "capsule": {"radius": 0.35, "half": 0.3},  # segment y in [-0.3, 0.3]: height 1.3, width 0.7
    "cone": {"radius": 0.5, "height": 1.0},  # apex at y = +0.5, base disc at y = -0.5
    "torus": {"major": 0.35, "minor": 0.15},  # lying flat (axis y): width 1, height 0.3
}
# half height (centre above the floor when resting unrotated) and bounding-sphere radius at scale 1
REST_HEIGHT = {"cube": 0.5, "cylinder": 0.5, "sphere": 0.5, "capsule": 0.65, "cone": 0.5, "torus": 0.15}
BOUNDING_RADIUS = {
    "cube": math.sqrt(0.75),
    "cylinder": math.sqrt(0.5),
    "sphere": 0.5,
    "capsule": 0.65,
    "cone": math.sqrt(0.5),
    "torus": 0.5,
}
TORUS_STEPS = 48
CONVEX = frozenset(("cube", "cylinder", "sphere", "capsule", "cone"))  # a ray leaving one never re-enters it


def intersect(xp, kind: str, o, d, eps: float, normals: bool = True):
    """First hit of rays (o, d) with primitive ``kind`` in its local frame.

    Parameters
    ----------
    xp : Ops
        The array backend.
    kind : str
        One of ``PRIMITIVES``.
    o, d : tuple of 3 arrays
        Ray origins and unit directions, float32, all of one shape (or broadcastable).
    eps : float
        Hits closer than this (local units) are ignored, so shadow rays do not hit their own surface.
    normals : bool
        False: return the distance only (shadow rays), as ``(t, None, None)``.

    Returns
    -------
    t, (nx, ny, nz), face
        Distance (inf for a miss), unit local normal and face id (float32 small integers).
    """
    return _INTERSECTORS[kind](xp, o, d, eps, normals)


def _sphere_hit(xp, o, d, cy: float, r: float, eps: float):
    ox, oy, oz = o
    dx, dy, dz = d
    oyc = oy - cy
    b = ox * dx + oyc * dy + oz * dz
    c = ox * ox + oyc * oyc + oz * oz - r * r
    disc = b * b - c
    ok = disc >= 0
    root = xp.sqrt(xp.maximum(disc, xp.zeros_like(disc)))
    t0 = -b - root
    t1 = -b + root
    t = xp.where(t0 > eps, t0, t1)
    return xp.where(ok & (t > eps), t, math.inf)


def _sphere(xp, o, d, eps, normals):
    r = DIMENSIONS["sphere"]["radius"]
    t = _sphere_hit(xp, o, d, 0.0, r, eps)
    if not normals:
        return t, None, None
    return _finish_radial(xp, o, d, t, 0.0, 0.0, r)


def _finish_radial(xp, o, d, t, lo: float, hi: float, r: float):
    """Normal (p - q) / r with q the nearest point of the axis segment y in [lo, hi] (sphere, capsule)."""
    tt = xp.where(t < math.inf, t, xp.zeros_like(t))
    px = o[0] + tt * d[0]
    py = o[1] + tt * d[1]
    pz = o[2] + tt * d[2]
    qy = xp.clamp(py, lo, hi) if hi > lo else py * 0.0 + lo
    inv = 1.0 / r
    return t, ((px) * inv, (py - qy) * inv, (pz) * inv), xp.zeros_like(t)


def _cube(xp, o, d, eps, normals):
    e = DIMENSIONS["cube"]["half"]
    with xp.errstate():
        near, far, axis_n = None, None, None
        for k in range(3):
            inv = 1.0 / d[k]
            t1 = (-e - o[k]) * inv
            t2 = (e - o[k]) * inv
            lo = xp.minimum(t1, t2)
            hi = xp.maximum(t1, t2)
            if near is None:
                near, far, axis_n = lo, hi, (xp.zeros_like(lo) if normals else None)
            else:
                if normals:  # the entry face's axis: shadow rays need only t
                    axis_n = xp.where(lo > near, float(k), axis_n)
                near = xp.maximum(near, lo)
                far = xp.minimum(far, hi)
        hit = (near <= far) & (near > eps)
        t = xp.where(hit, near, math.inf)
    if not normals:
        return t, None, None
    zero = xp.zeros_like(t)
    nx = xp.where(axis_n == 0, xp.where(d[0] > 0, -1.0, 1.0), zero)
    ny = xp.where(axis_n == 1, xp.where(d[1] > 0, -1.0, 1.0), zero)
    nz = xp.where(axis_n == 2, xp.where(d[2] > 0, -1.0, 1.0), zero)
    face = axis_n * 2.0 + xp.where(nx + ny + nz > 0, 1.0, 0.0)
    return t, (nx, ny, nz), face


def _side(xp, o, d, r: float, h: float, eps: float):
    """Hit of the infinite cylinder x^2 + z^2 = r^2 (axis y), kept where |y| <= h."""
    ox, oy, oz = o
    dx, dy, dz = d
    a = dx * dx + dz * dz
    beta = ox * dx + oz * dz
    gamma = ox * ox + oz * oz - r * r
    disc = beta * beta - a * gamma
    with xp.errstate():
        root = xp.sqrt(xp.maximum(disc, xp.zeros_like(disc)))
        t0 = (-beta - root) / a
        t1 = (-beta + root) / a
        t = xp.where(t0 > eps, t0, t1)
        y = oy + t * dy
        ok = (disc >= 0) & (a > 1e-12) & (t > eps) & (xp.abs(y) <= h)
    return xp.where(ok, t, math.inf)


def _cap(xp, o, d, y_plane, r: float, eps: float):
    """Hit of the disc of radius r in the plane y = y_plane (array or float)."""
    with xp.errstate():
        t = (y_plane - o[1]) / d[1]
        x = o[0] + t * d[0]
        z = o[2] + t * d[2]
        ok = (t > eps) & (x * x + z * z <= r * r)
    return xp.where(ok, t, math.inf)


def _cylinder(xp, o, d, eps, normals):
    r, h = DIMENSIONS["cylinder"]["radius"], DIMENSIONS["cylinder"]["half"]
    t_side = _side(xp, o, d, r, h, eps)
    y_cap = xp.where(d[1] < 0, h, -h)  # the cap facing the ray
    t_cap = _cap(xp, o, d, y_cap, r, eps)
    t = xp.minimum(t_side, t_cap)
    if not normals:
        return t, None, None
    on_cap = t_cap < t_side
    tt = xp.where(t < math.inf, t, xp.zeros_like(t))
    px = o[0] + tt * d[0]
    pz = o[2] + tt * d[2]
    zero = xp.zeros_like(t)
    nx = xp.where(on_cap, zero, px * (1.0 / r))
    nz = xp.where(on_cap, zero, pz * (1.0 / r))
    ny = xp.where(on_cap, xp.where(d[1] < 0, 1.0, -1.0), zero)
    face = xp.where(on_cap, xp.where(d[1] < 0, 1.0, 2.0), zero)
    return t, (nx, ny, nz), face


def _capsule(xp, o, d, eps, normals):
    r, h = DIMENSIONS["capsule"]["radius"], DIMENSIONS["capsule"]["half"]
    t = _side(xp, o, d, r, h, eps)
    t = xp.minimum(t, _sphere_hit(xp, o, d, h, r, eps))
    t = xp.minimum(t, _sphere_hit(xp, o, d, -h, r, eps))
    if not normals:
        return t, None, None
    return _finish_radial(xp, o, d, t, -h, h, r)


def _cone(xp, o, d, eps, normals):
    rb, height = DIMENSIONS["cone"]["radius"], DIMENSIONS["cone"]["height"]
    ya = height / 2
    k2 = (rb / height) ** 2
    ox, oy, oz = o
    dx, dy, dz = d
    u0 = ya - oy
    a = dx * dx + dz * dz - k2 * dy * dy
    b = ox * dx + oz * dz + k2 * u0 * dy
    c = ox * ox + oz * oz - k2 * u0 * u0
    disc = b * b - a * c
    with xp.errstate():
        root = xp.sqrt(xp.maximum(disc, xp.zeros_like(disc)))
        small = xp.abs(a) < 1e-9
        safe_a = xp.where(small, 1.0, a)
        ta = (-b - root) / safe_a
        tb = (-b + root) / safe_a
        t_lin = -c / (2.0 * xp.where(small & (xp.abs(b) > 0), b, 1.0))
        best = math.inf
        t_side = None
        for cand in (ta, tb):
            u = u0 - cand * dy
            ok = (disc >= 0) & ~small & (cand > eps) & (u >= 0) & (u <= height)
            val = xp.where(ok, cand, best)
            t_side = val if t_side is None else xp.minimum(t_side, val)
        u = u0 - t_lin * dy
        ok_lin = small & (xp.abs(b) > 0) & (t_lin > eps) & (u >= 0) & (u <= height)
        t_side = xp.minimum(t_side, xp.where(ok_lin, t_lin, math.inf))
    t_base = _cap(xp, o, d, -ya, rb, eps)
    t = xp.minimum(t_side, t_base)
    if not normals:
        return t, None, None
    on_base = t_base < t_side
    tt = xp.where(t < math.inf, t, xp.zeros_like(t))
    px = ox + tt * dx
    py = oy + tt * dy
    pz = oz + tt * dz
    gx, gy, gz = px, k2 * (ya - py), pz
    norm = xp.sqrt(gx * gx + gy * gy + gz * gz)
    with xp.errstate():
        inv = xp.where(norm > 0, 1.0 / norm, xp.zeros_like(norm))
    zero = xp.zeros_like(t)
    nx = xp.where(on_base, zero, gx * inv)
    ny = xp.where(on_base, zero - 1.0, gy * inv)
    nz = xp.where(on_base, zero, gz * inv)
    face = xp.where(on_base, 1.0, zero)
    return t, (nx, ny, nz), face


def _torus(xp, o, d, eps, normals):
    big, small = DIMENSIONS["torus"]["major"], DIMENSIONS["torus"]["minor"]
    bound = big + small
    ox, oy, oz = o
    dx, dy, dz = d
    b = ox * dx + oy * dy + oz * dz
    c = ox * ox + oy * oy + oz * oz - bound * bound
    disc = b * b - c
    root = xp.sqrt(xp.maximum(disc, xp.zeros_like(disc)))
    t_in = xp.maximum(-b - root, xp.zeros_like(b) + eps)
    t_out = -b + root
    live = (disc >= 0) & (t_out > eps)
    t = t_in
    tol = 1e-4
    for _ in range(TORUS_STEPS):
        px = ox + t * dx
        py = oy + t * dy
        pz = oz + t * dz
        q = xp.sqrt(px * px + pz * pz) - big
        dist = xp.sqrt(q * q + py * py) - small
        t = t + xp.maximum(dist, xp.zeros_like(dist))
    px = ox + t * dx
    py = oy + t * dy
    pz = oz + t * dz
    ring = xp.sqrt(px * px + pz * pz)
    q = ring - big
    dist = xp.sqrt(q * q + py * py) - small
    hit = live & (dist < tol) & (t <= t_out)
    t = xp.where(hit, t, math.inf)
    if not normals:
        return t, None, None
    with xp.errstate():
        s = xp.where(ring > 0, big / ring, xp.zeros_like(ring))
    nx = px - px * s
    nz = pz - pz * s
    norm = xp.sqrt(nx * nx + py * py + nz * nz)
    with xp.errstate():
        inv = xp.where(norm > 0, 1.0 / norm, xp.zeros_like(norm))
    return t, (nx * inv, py * inv, nz * inv), xp.zeros_like(t)


_INTERSECTORS = {
    "cube": _cube,
    "cylinder": _cylinder,
    "sphere": _sphere,
    "capsule": _capsule,
    "cone": _cone,
    "torus": _torus,
}


def inside(kind: str, p: np.ndarray) -> np.ndarray:
    """Whether local points ``p`` (..., 3) float64 lie inside (or on) primitive ``kind`` (used by validation)."""
    x, y, z = p[..., 0], p[..., 1], p[..., 2]
    dim = DIMENSIONS[kind]
    if kind == "cube":
        return np.all(np.abs(p) <= dim["half"], axis=-1)
    if kind == "sphere":
        return x * x + y * y + z * z <= dim["radius"] ** 2
    if kind == "cylinder":
        return (x * x + z * z <= dim["radius"] ** 2) & (np.abs(y) <= dim["half"])
    if kind == "capsule":
        q = y - np.clip(y, -dim["half"], dim["half"])
        return x * x + q * q + z * z <= dim["radius"] ** 2
    if kind == "cone":
        half = dim["height"] / 2
        k = dim["radius"] / dim["height"]
        return (np.abs(y) <= half) & (np.sqrt(x * x + z * z) <= k * (half - y))
    q = np.sqrt(x * x + z * z) - dim["major"]
    return q * q + y * y <= dim["minor"] ** 2
