"""The geometry pass: trace a batch of scene configurations into per-surface shading coefficients.

For each image and pixel it returns ``A`` (n, surfaces, H*W, 3): the linear-light factor that multiplies
each surface's albedo (coverage x (ambient + diffuse lighting with shadows)), and ``B`` (n, H*W, 3): the
albedo-independent specular highlight. Surfaces ("slots"): 0 the sky, then the floor and the walls when the
scene has a room, then one per object. Colours enter only later (:mod:`gtdata.render.scene3d.renderer`).

Rays meet the scene exactly (:mod:`gtdata.render.scene3d.primitives`; planes for the floor and walls).

Anti-aliasing (adaptive supersampling): every pixel is first traced through its centre. A pixel whose
centre sample differs from a 4-neighbour's in surface, flat face or shadow state is an *edge pixel*; it is
traced again with ``samples`` rays on an m x m stratified grid inside the pixel (m = sqrt(samples)), which
replace its centre sample, and its coefficients are the mean over those rays. Other pixels keep the centre
sample: their neighbourhood is one smooth surface, where a box filter changes little. Edges thinner than a
pixel that no centre sample hits are missed (as with any sampling of that density).
"""

from __future__ import annotations

import math

from gtdata.render.scene3d.primitives import intersect
from gtdata.render.scene3d.shading import blinn_phong

__all__ = ["geometry_pass", "gather_scene"]


def gather_scene(scene, idx):
    """The scene parameters of images ``idx`` (leaves are backend arrays with a leading image axis)."""
    if isinstance(scene, dict):
        return {k: (v if k in ("kind", "type") else gather_scene(v, idx)) for k, v in scene.items()}
    if isinstance(scene, (list, tuple)):
        return type(scene)(gather_scene(v, idx) for v in scene)
    if isinstance(scene, (int, float, str)) or scene is None:
        return scene
    return scene[idx]


def _object_hit(xp, obj, o, d, eps):
    """World hit of one object: t, world normal, face (miss: t = inf)."""
    c, rt, inv_s = obj["c"], obj["rt"], obj["inv_s"]
    rx, ry, rz = o[0] - c[0], o[1] - c[1], o[2] - c[2]
    # local = R^T (p - c) / s; rt holds R^T row-major
    ol = tuple((rt[3 * i] * rx + rt[3 * i + 1] * ry + rt[3 * i + 2] * rz) * inv_s for i in range(3))
    dl = tuple(rt[3 * i] * d[0] + rt[3 * i + 1] * d[1] + rt[3 * i + 2] * d[2] for i in range(3))
    t, nl, face = intersect(xp, obj["kind"], ol, dl, eps * inv_s)
    # world normal = R n_local (R = transpose of rt)
    nw = tuple(rt[i] * nl[0] + rt[3 + i] * nl[1] + rt[6 + i] * nl[2] for i in range(3))
    return t * obj["s"], nw, face


def _plane_hits(static):
    """(axis, coordinate, normal sign, slot, face) of the floor and the walls."""
    half = static["half"]
    out = [(1, 0.0, 1.0, 1, 0)]
    for k, (wall, axis, sign) in enumerate((("north", 2, -1.0), ("south", 2, 1.0), ("west", 0, -1.0),
                                           ("east", 0, 1.0))):
        if wall in static["walls"]:
            out.append((axis, sign * half, -sign, 2, k + 1))
    return out


def _plane_t(xp, o, d, axis, coord, static, eps):
    half, top = static["half"], static["wall_height"]
    with xp.errstate():
        t = (coord - o[axis]) / d[axis]
        p = [o[i] + t * d[i] for i in range(3)]  # inf * 0 on rays parallel to the plane: rejected below
    ok = t > eps
    if axis == 1:
        with xp.errstate():
            ok = ok & (xp.abs(p[0]) <= half) & (xp.abs(p[2]) <= half)
    else:
        other = 2 if axis == 0 else 0
        with xp.errstate():
            ok = ok & (xp.abs(p[other]) <= half) & (p[1] >= 0) & (p[1] <= top)
    return xp.where(ok, t, math.inf)


def _nearest(xp, scene, static, o, d):
    """Nearest hit: t, slot, face, normal (3) per ray."""
    eps = static["eps"]
    like = d[0] * 0.0
    t = like + math.inf
    slot = like
    face = like
    n = [like, like, like]
    if static["room"]:
        for axis, coord, sign, s, f in _plane_hits(static):
            tp = _plane_t(xp, o, d, axis, coord, static, eps)
            closer = tp < t
            t = xp.where(closer, tp, t)
            slot = xp.where(closer, float(s), slot)
            face = xp.where(closer, float(f), face)
            for i in range(3):
                n[i] = xp.where(closer, sign if i == axis else 0.0, n[i])
    first = static["first_object_slot"]
    for k, obj in enumerate(scene["objects"]):
        to, no, fo = _object_hit(xp, obj, o, d, eps)
        closer = to < t
        t = xp.where(closer, to, t)
        slot = xp.where(closer, float(first + k), slot)
        face = xp.where(closer, fo, face)
        for i in range(3):
            n[i] = xp.where(closer, no[i], n[i])
    return t, slot, face, n


def _blocked(xp, scene, static, o, d, t_max):
    """Whether shadow rays (o, d) hit an object or a wall before t_max."""
    eps = static["eps"]
    hit = None
    if static["room"]:
        for axis, coord, _sign, slot, _f in _plane_hits(static):
            if slot == 2:
                tp = _plane_t(xp, o, d, axis, coord, static, eps)
                h = tp < t_max
                hit = h if hit is None else hit | h
    for obj in scene["objects"]:
        to, _n, _f = _object_hit(xp, obj, o, d, eps)
        h = to < t_max
        hit = h if hit is None else hit | h
    if hit is None:
        return (d[0] * 0.0) > 1.0
    return hit


def _material(xp, scene, static, slot, key):
    """Per-ray material parameter ``key`` selected by slot."""
    out = slot * 0.0
    if static["room"]:
        out = xp.where(slot == 1, scene["floor"][key] + out, out)
        out = xp.where(slot == 2, scene["wall"][key] + out, out)
    for k, obj in enumerate(scene["objects"]):
        out = xp.where(slot == float(static["first_object_slot"] + k), obj[key] + out, out)
    return out


def _shade(xp, scene, static, o, d):
    """Trace rays and shade them: slot, feature key, coefficient a (3) and highlight b (3) per ray."""
    t, slot, face, n = _nearest(xp, scene, static, o, d)
    sky = t == math.inf
    tt = xp.where(sky, 0.0, t)
    p = [o[i] + tt * d[i] for i in range(3)]
    v = (-d[0], -d[1], -d[2])
    kd = _material(xp, scene, static, slot, "kd")
    ks = _material(xp, scene, static, slot, "ks")
    shin = _material(xp, scene, static, slot, "shin")
    amb = static["ambient"]
    a = [xp.where(sky, 1.0, amb + tt * 0.0) for _ in range(3)]
    b = [tt * 0.0 for _ in range(3)]
    key = slot * 64.0 + face
    eps = static["eps"]
    origin = [p[i] + n[i] * eps for i in range(3)]
    for j, light in enumerate(scene["lights"]):
        if light["type"] == "directional":
            l = light["dir"]
            l = tuple(l[i] + tt * 0.0 for i in range(3))
            t_max = math.inf
        else:
            lx, ly, lz = (light["pos"][i] - p[i] for i in range(3))
            dist = xp.sqrt(lx * lx + ly * ly + lz * lz)
            with xp.errstate():
                inv = xp.where(dist > 0, 1.0 / dist, xp.zeros_like(dist))
            l = (lx * inv, ly * inv, lz * inv)
            t_max = dist - eps
        ndl = n[0] * l[0] + n[1] * l[1] + n[2] * l[2]
        visible = ~_blocked(xp, scene, static, origin, l, t_max) & ~sky
        da, db = blinn_phong(xp, n, v, l, ndl, visible, light["col"], kd, ks, shin)
        for c in range(3):
            a[c] = a[c] + da[c]
            b[c] = b[c] + db[c]
        key = key + xp.where(visible & (ndl > 0), 0.0, 1.0) * float(1 << (6 + 6 + j))
    return slot, key, a, b


def geometry_pass(xp, scene, static):
    """Shading coefficients of n scene configurations.

    Parameters
    ----------
    xp : Ops
        Backend.
    scene : dict
        Per-image parameters, backend arrays shaped (n, 1) (see ``Scene3DRenderer._scene``).
    static : dict
        Parameters shared by the batch: ``height``, ``width``, ``px``/``py`` pixel-centre offsets (1, P),
        ``sub`` sub-pixel offsets (S, 2) as Python floats, ``nslots``, room layout, ``ambient``, ``eps``.

    Returns
    -------
    A : array (n, nslots, P, 3) float32
    B : array (n, P, 3) float32
    """
    cam = scene["cam"]
    n_img = cam["focal"].shape[0]
    h, w = static["height"], static["width"]
    npix = h * w
    nslots = static["nslots"]

    def rays(cam, px, py):
        inv_f = 1.0 / cam["focal"]
        u, v = px * inv_f, py * inv_f
        d = [cam["fwd"][i] + u * cam["right"][i] + v * cam["up"][i] for i in range(3)]
        norm = xp.sqrt(d[0] * d[0] + d[1] * d[1] + d[2] * d[2])
        inv = 1.0 / norm
        return tuple(cam["pos"]), tuple(di * inv for di in d)

    o, d = rays(cam, static["px"], static["py"])
    slot, key, a, b = _shade(xp, scene, static, o, d)
    A = xp.zeros((n_img, nslots, npix, 3))
    B = xp.stack(b, 2)
    for s in range(nslots):
        sel = slot == float(s)
        for c in range(3):
            A[:, s, :, c] = xp.where(sel, a[c], 0.0)
    samples = len(static["sub"])
    if samples <= 1:
        return A, B
    grid = key.reshape(n_img, h, w)
    edge = grid != grid  # all False, same type
    dh = grid[:, :, 1:] != grid[:, :, :-1]
    dv = grid[:, 1:, :] != grid[:, :-1, :]
    edge[:, :, 1:] |= dh
    edge[:, :, :-1] |= dh
    edge[:, 1:, :] |= dv
    edge[:, :-1, :] |= dv
    img, pix = xp.nonzero(edge.reshape(n_img, npix))
    if img.shape[0] == 0:
        return A, B
    sub_scene = gather_scene(scene, img)
    px = static["px"][0][pix][:, None]
    py = static["py"][0][pix][:, None]
    acc_a = [[None] * 3 for _ in range(nslots)]
    acc_b = [None] * 3
    inv_s = 1.0 / samples
    for k, (ox_, oy_) in enumerate(static["sub"]):
        o_k, d_k = rays(sub_scene["cam"], px + ox_, py + oy_)
        slot_k, _key, a_k, b_k = _shade(xp, sub_scene, static, o_k, d_k)
        for s in range(nslots):
            sel = slot_k == float(s)
            for c in range(3):
                val = xp.where(sel, a_k[c], 0.0)
                acc_a[s][c] = val if k == 0 else acc_a[s][c] + val
        for c in range(3):
            acc_b[c] = b_k[c] if k == 0 else acc_b[c] + b_k[c]
    for s in range(nslots):
        for c in range(3):
            A[img, s, pix, c] = (acc_a[s][c] * inv_s)[:, 0]
    for c in range(3):
        B[img, pix, c] = (acc_b[c] * inv_s)[:, 0]
    return A, B
