"""The geometry pass: trace a batch of scene configurations into per-surface shading coefficients.

Shading is linear in each surface's albedo (:mod:`~gtdata.render.scene3d.shading`), so a configuration is
fully described, before colours enter, by per pixel and per surface ("slot") a coefficient ``A_s`` (3,)
(coverage x (ambient + diffuse lighting with shadows)) and an albedo-free highlight ``B`` (3,). Slots: 0 the
sky, then the floor and the walls when the scene has a room, then one per object. Most pixels see one slot
only, so the pass returns ``A`` compactly (:class:`Coefficients`): per pixel the slot it sees (its *owner*)
and that slot's coefficient, and, for the few *mixed* pixels whose anti-aliasing samples see two or more
slots, the coefficients of every slot. Colours enter only later (:mod:`gtdata.render.scene3d.renderer`).

Rays meet the scene exactly (:mod:`gtdata.render.scene3d.primitives`; planes for the floor and walls). The
exact intersection of an object runs only on rays that meet its bounding sphere (a conservative test, so
culling changes no result), and shadow rays are cast only from lit-facing surface points (n . l > 0), the
only points whose shading depends on them.

Anti-aliasing (adaptive supersampling): every pixel is first traced through its centre. A pixel whose
centre sample differs from a 4-neighbour's in surface, flat face or shadow state is an *edge pixel*; it is
traced again with ``samples`` rays on an m x m stratified grid inside the pixel (m = sqrt(samples)), which
replace its centre sample, and its coefficients are the mean over those rays (summed in sample order).
Other pixels keep the centre sample: their neighbourhood is one smooth surface, where a box filter changes
little. Edges thinner than a pixel that no centre sample hits are missed (as with any sampling of that
density).

Arrays: a set of rays is a pair of 2-D arrays shapes (R, C): centre samples are (images, pixels) with
per-image parameters (R, 1); sub-pixel rays are (samples, edge pixels) with per-pixel parameters (1, C),
gathered once per edge pixel and broadcast down its samples. Sparse work (object intersections, specular
highlights) runs on compacted (K, 1) sets whose per-image parameters are gathered by index.

Cost (issue 11: random continuous factors, no cache hits, numpy on 2 cores). What was measured and chosen,
every choice keeping the images bit for bit (the old and new tracers agree on every byte of shapes3d_like,
objects3d and light3d batches; numpy and torch run this same code):

- Sub-pixel rays in the (samples, edge pixels) layout: their images' parameters are gathered once per edge
  pixel, not once per ray, and per-image arithmetic (an object's frame, the bounding-sphere threshold) runs
  on (1, E) rows; an object's per-ray parameters come from the small per-image table (``_map``).
- Values that are per image stay per image: the camera's bounding-sphere test is one comparison with a
  threshold per image (b <= -sqrt(cc)); origins (camera) and directions (directional light) enter an
  object's frame per image and are picked per ray; pixel offsets are scaled once when the batch shares a
  field of view. The camera is not fixed in the built-ins (its azimuth is a factor), so precomputing whole
  primary rays per camera would serve only light3d and is not done.
- Shadow rays of a directional light meet several objects' bounding spheres in one light-aligned frame
  (origins projected once, then a disc and a half-space per object) instead of a quadratic per object, and
  the rays near any sphere are selected once; each object is intersected on that subset.
- Floor and wall slots and normals follow from the face by comparisons, not gathers; uniform diffuse and
  specular reflectances (the usual case) skip per-ray material gathers; numpy gathers use ``mode="clip"``
  (valid indices; "raise" buffers its output).
- Configurations per traced chunk: 32 on one thread (16 and 64 measured slower per CPU-second: per-chunk
  Python overhead against cache misses); on several threads up to 128, one chunk per thread (the Python
  between numpy calls holds the GIL, so longer calls overlap better: 876 -> 1,329 images/s on 2 cores, see
  ``Scene3DRenderer._trace_step``); threads over chunks (numpy releases the GIL); adaptive supersampling
  (about 0.5 extra rays per pixel where a full 2 x 2 pass would add 3, and it would change the images).
  Not done: ``out=`` buffers (numpy only, while the tracer is shared with torch).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from gtdata.render.scene3d.primitives import CONVEX, intersect

__all__ = ["PLANE_NORMALS", "Coefficients", "gather_scene", "geometry_pass", "unpack_scene"]


@dataclass
class Coefficients:
    """Compact shading coefficients of m configurations (backend arrays).

    ``owner`` (m, P) int: the slot each pixel sees, or ``nslots`` for a mixed pixel; ``a`` (m, P, 3)
    float32: the owner's coefficient (0 on mixed pixels); ``b`` (m, P, 3) float32: the highlight;
    mixed pixels as flat lists: ``mixed_image`` (M,), ``mixed_pixel`` (M,) int, ``mixed_a`` (M, nslots, 3)
    float32, sorted by (image, pixel). The dense coefficient of slot s at a pixel is ``a`` where
    ``owner == s``, 0 where another slot owns it, and ``mixed_a[:, s]`` on mixed pixels.
    """

    owner: Any
    a: Any
    b: Any
    mixed_image: Any
    mixed_pixel: Any
    mixed_a: Any


def gather_scene(xp, scene, idx, columns=False):
    """The scene parameters of images ``idx``: one gather of the packed (K, n) parameter matrix.

    ``columns``: parameters as (1, n) views (rays laid out (samples, n), one column per image) instead of
    (n, 1) (rays laid out (n, rays), one row per image).
    """
    out = unpack_scene(xp.take_cols(scene["_packed"], idx), scene["_layout"], columns)
    # an object's per-ray parameters are gathered from the small per-image table it came from (``_base``,
    # through ``_map``: new image -> original image), which stays in cache, rather than from this larger one
    for new, old in zip(out["objects"], scene["objects"]):
        if "_map" in old:
            new["_base"], new["_map"] = old["_base"], xp.take(old["_map"], idx)
        else:
            new["_base"], new["_map"] = old["_packed"], idx
    return out


def unpack_scene(packed, layout, columns=False):
    """Scene dict of (n, 1) views of the rows of ``packed`` (K, n), following ``layout``.

    ``layout`` is nested dicts, lists and tuples whose leaves are row indices (a contiguous (n, 1) view,
    or (1, n) with ``columns``), slices (a (k, n) block, the material tables indexed by slot) or strings
    (kept). Each object dict lists its rows as a ``span`` (start, stop), so that one object's parameters
    are gathered at once (``_object_part``). ``scene["_columns"]`` records the orientation: it says how a
    flat ray index maps to its image (``_select``).
    """
    scene = _unpack(packed, layout, 0, columns)
    scene["_packed"], scene["_layout"], scene["_columns"] = packed, layout, columns
    for obj, obj_layout in zip(scene["objects"], layout["objects"]):
        lo, hi = obj["span"]
        obj["_packed"], obj["_layout"] = packed[lo:hi], obj_layout
    return scene


def _unpack(packed, layout, lo, columns=False):
    if isinstance(layout, int):
        return packed[layout - lo][None, :] if columns else packed[layout - lo][:, None]
    if isinstance(layout, slice):
        return packed[layout]
    if isinstance(layout, dict):
        return {k: (v if k == "span" else _unpack(packed, v, lo, columns)) for k, v in layout.items()}
    if isinstance(layout, (list, tuple)):
        return type(layout)(_unpack(packed, v, lo, columns) for v in layout)
    return layout


def _select(xp, mask, columns=False):
    """Flat indices of the True entries of a (R, C) mask and the images they belong to: their rows, or
    with ``columns`` (rays laid out (samples, images)) their columns."""
    flat = xp.flatnonzero(mask)
    rows, cols = mask.shape
    if columns and rows > 1:
        return flat, flat % cols
    return flat, (flat // cols if cols > 1 else flat)


def _pick(xp, a, flat, rows, full):
    """Values of a per-image ((R, 1) or (1, C)) or per-ray (R, C) array (or a Python number) at the selected
    rays ``flat`` of images ``rows``: (K, 1). ``full`` = R * C, the size of a per-ray array (where an image has
    one ray, flat and rows are the same indices)."""
    if not hasattr(a, "shape"):
        return a
    return xp.take(a.reshape(-1), flat if a.shape[0] * a.shape[1] == full else rows)[:, None]


def _object_hit(xp, obj, o, d, flat, rows, full, eps, normals=True):
    """World hit of one object by the selected rays ``flat`` of images ``rows``: t, world normal, face
    (miss: t = inf) as (K, 1) arrays; only t when ``normals`` is False.

    Where the origins (the camera) or the directions (a directional light) are per image, they enter the
    object's frame once per image and the local values are picked per ray: the same arithmetic per value.
    """
    per_image_o = o[0].shape[0] * o[0].shape[1] < full
    part = _object_part(xp, obj, rows, ("rt", "s", "inv_s") if per_image_o else ("c", "rt", "s", "inv_s"))
    # local = R^T (p - c) / s; rt holds R^T row-major
    src = obj if per_image_o else part
    o = o if src is obj else tuple(_pick(xp, x, flat, rows, full) for x in o)
    c, rt, inv_s = src["c"], src["rt"], src["inv_s"]
    rx, ry, rz = o[0] - c[0], o[1] - c[1], o[2] - c[2]
    ol = tuple((rt[3 * i] * rx + rt[3 * i + 1] * ry + rt[3 * i + 2] * rz) * inv_s for i in range(3))
    if src is obj:
        ol = tuple(_pick(xp, x, flat, rows, full) for x in ol)
    src = obj if d[0].shape[0] * d[0].shape[1] < full else part
    d = d if src is obj else tuple(_pick(xp, x, flat, rows, full) for x in d)
    rt = src["rt"]
    dl = tuple(rt[3 * i] * d[0] + rt[3 * i + 1] * d[1] + rt[3 * i + 2] * d[2] for i in range(3))
    if src is obj:
        dl = tuple(_pick(xp, x, flat, rows, full) for x in dl)
    rt = part["rt"]
    t, nl, face = intersect(xp, obj["kind"], ol, dl, eps * part["inv_s"], normals)
    if not normals:
        return t * part["s"], None, None
    # world normal = R n_local (R = transpose of rt)
    nw = tuple(rt[i] * nl[0] + rt[3 + i] * nl[1] + rt[6 + i] * nl[2] for i in range(3))
    return t * part["s"], nw, face


def _bounded(xp, obj, o, d):
    """Rays that meet the object's bounding sphere ahead of their origin (a superset of its hits)."""
    c = obj["c"]
    ox, oy, oz = o[0] - c[0], o[1] - c[1], o[2] - c[2]
    b = ox * d[0] + oy * d[1] + oz * d[2]
    cc = ox * ox + oy * oy + oz * oz - obj["r2"]
    if cc.shape != b.shape and not xp.any(cc < 0):
        # one origin per image (the camera) outside the sphere: the test below is b <= -sqrt(cc), one
        # comparison with a threshold per image (rounding can move the padded sphere's edge by an ulp, where
        # no ray meets the object, so the culled set keeps every hit)
        return b <= -xp.sqrt(cc)
    # |o + t d - c|^2 = cc + 2 b t + t^2: no real root, or both roots behind an origin outside the sphere
    return (b * b >= cc) & ((b < 0) | (cc < 0))


def _object_part(xp, obj, rows, keys=("c", "rt", "s", "inv_s", "r2")):
    """One object's parameters ``keys`` at ``rows``, from one gather of the rows of the packed matrix that
    span them (the renderer packs an object's rows as c, rt, s, inv_s, r2)."""
    layout = obj["_layout"]
    index = [i for k in keys for i in (layout[k] if isinstance(layout[k], tuple) else (layout[k],))]
    lo, hi = min(index) - obj["span"][0], max(index) + 1 - obj["span"][0]
    if "_map" in obj:
        part = xp.take_cols(obj["_base"][lo:hi], xp.take(obj["_map"], rows))
    else:
        part = xp.take_cols(obj["_packed"][lo:hi], rows)
    return {k: _unpack(part, layout[k], obj["span"][0] + lo) for k in keys}


def _plane_hits(static):
    """(axis, coordinate, normal sign, slot, face) of the floor and the walls."""
    half = static["half"]
    out = [(1, 0.0, 1.0, 1, 0)]
    for k, (wall, axis, sign) in enumerate(
        (("north", 2, -1.0), ("south", 2, 1.0), ("west", 0, -1.0), ("east", 0, 1.0))
    ):
        if wall in static["walls"]:
            out.append((axis, sign * half, -sign, 2, k + 1))
    return out


# unit normals of the floor (face 0) and of the north, south, west and east walls (faces 1-4)
PLANE_NORMALS = ((0.0, 0.0, 0.0, 1.0, -1.0), (1.0, 0.0, 0.0, 0.0, 0.0), (0.0, 1.0, -1.0, 0.0, 0.0))
# a direction component below this (world units) runs along the plane: a hit would be > 1e26 units away
_PARALLEL = 1e-30


def _plane_t(xp, o, d, axis, coord, static, eps):
    """Distance along rays (o, d) to one floor or wall rectangle, and where it is hit (t is garbage elsewhere).

    A ray parallel to the plane never meets it, and its zero direction component is not divided by: that
    gave t = inf and then inf * 0 = nan in the hit point (numpy's RuntimeWarning for light3d, whose shadow rays
    run along the west wall when the light's azimuth is 0). Such rays get t = -1, behind their origin.
    """
    half, top = static["half"], static["wall_height"]
    den = d[axis]
    parallel = xp.abs(den) < _PARALLEL
    if xp.any(parallel):
        t = xp.where(parallel, -1.0, (coord - o[axis]) / xp.where(parallel, 1.0, den))
    else:
        t = (coord - o[axis]) / den
    ok = t > eps
    if axis == 1:
        ok = ok & (xp.abs(o[0] + t * d[0]) <= half) & (xp.abs(o[2] + t * d[2]) <= half)
    else:
        other = 2 if axis == 0 else 0
        y = o[1] + t * d[1]
        ok = ok & (xp.abs(o[other] + t * d[other]) <= half) & (y >= 0) & (y <= top)
    return t, ok


def _nearest(xp, scene, static, o, d):
    """Nearest hit: t, slot (int), face, normal (3) per ray; arrays shaped like d."""
    eps = static["eps"]
    shape = tuple(d[0].shape)
    if static["room"]:
        planes = _plane_hits(static)
        t = face = None
        for axis, coord, _sign, _s, f in planes:
            tp, ok = _plane_t(xp, o, d, axis, coord, static, eps)
            if t is None:  # the floor (face 0), first: nothing was hit before it
                t = xp.where(ok, tp, math.inf)
                face = xp.zeros(shape)
                continue
            closer = ok & (tp < t)
            xp.put_where(t, closer, tp)
            xp.put_where(face, closer, float(f))
        # the slot and the axis-aligned normals follow from the face: comparisons, not gathers
        slot = xp.to_index(t < math.inf)
        if len(planes) > 1:
            slot = slot + xp.to_index(face > 0)
        n = []
        for i in range(3):
            comp = None
            for _axis, _coord, _sign, _s, f in planes:
                v = PLANE_NORMALS[i][f]
                if v:
                    base = xp.zeros(shape) if comp is None else comp
                    on = xp.to_float(face == f)
                    comp = base + on if v > 0 else base - on
            n.append(xp.zeros(shape) if comp is None else comp)
    else:
        t = xp.full(shape, math.inf, like=d[0])
        slot = xp.zeros(shape, dtype=xp.index)
        face = xp.zeros(shape)
        n = [xp.zeros(shape) for _ in range(3)]
    first = static["first_object_slot"]
    full = shape[0] * shape[1]
    for k, obj in enumerate(scene["objects"]):
        flat, rows = _select(xp, _bounded(xp, obj, o, d), scene["_columns"])
        if flat.shape[0] == 0:
            continue
        to, no, fo = _object_hit(xp, obj, o, d, flat, rows, full, eps)
        closer = xp.flatnonzero(to[:, 0] < xp.take(t.reshape(-1), flat))
        keep = xp.take(flat, closer)
        t.reshape(-1)[keep] = xp.take(to[:, 0], closer)
        slot.reshape(-1)[keep] = first + k
        face.reshape(-1)[keep] = xp.take(fo[:, 0], closer)
        for i in range(3):
            n[i].reshape(-1)[keep] = xp.take(no[i][:, 0], closer)
    return t, slot, face, n


def _blocked(xp, scene, static, o, d, t_max, cast, slot):
    """Whether shadow rays (o, d) hit an object or a wall before t_max; only rays where ``cast`` is tested.
    None where none is blocked.

    A ray leaves its own surface towards the light (n . l > 0), so a convex object never shadows itself:
    its own rays (``slot``) skip it.
    """
    eps = static["eps"]
    hit = None
    if static["room"]:
        for axis, coord, _sign, slot_p, _f in _plane_hits(static):
            # from inside the room, only rays heading towards a wall can meet it (one light: often none)
            if slot_p == 2 and xp.any(d[axis] * coord > 0):
                tp, ok = _plane_t(xp, o, d, axis, coord, static, eps)
                wall = ok if isinstance(t_max, float) else ok & (tp < t_max)  # a float t_max is inf
                hit = wall if hit is None else hit | wall
    full = cast.shape[0] * cast.shape[1]
    objects = scene["objects"]
    if len(objects) > 1:
        return _blocked_by_objects(xp, scene, static, o, d, t_max, cast, slot, hit)
    for k, obj in enumerate(objects):
        test = _bounded(xp, obj, o, d) & cast
        if hit is not None:
            test = test & ~hit
        if obj["kind"] in CONVEX:
            test = test & (slot != static["first_object_slot"] + k)
        flat, rows = _select(xp, test, scene["_columns"])
        if flat.shape[0] == 0:
            continue
        to, _n, _f = _object_hit(xp, obj, o, d, flat, rows, full, eps, normals=False)
        if hit is None:
            hit = xp.zeros(tuple(cast.shape), dtype="bool")
        hit.reshape(-1)[flat[(to < _pick(xp, t_max, flat, rows, full))[:, 0]]] = True
    return hit


def _blocked_by_objects(xp, scene, static, o, d, t_max, cast, slot, hit):
    """``_blocked`` for several objects: the rays that meet any bounding sphere are selected once, and each
    object is tested on that subset (a ray blocked by a wall or an earlier object is not tested again: the
    blocked set is their union either way)."""
    objects, columns, full = scene["objects"], scene["_columns"], cast.shape[0] * cast.shape[1]
    # one direction per image (a directional light): project the origins once onto the plane across the
    # light and its axis, where each object's test is a disc and a half-space
    frame = _light_frame(xp, o, d) if d[0].shape != o[0].shape else None
    near = [_bounded(xp, obj, o, d) if frame is None else _bounded_along(xp, obj, frame) for obj in objects]
    test = near[0]
    for m in near[1:]:
        test = test | m
    test = test & cast if hit is None else test & cast & ~hit
    flat_u, rows_u = _select(xp, test, columns)
    if flat_u.shape[0] == 0:
        return hit
    slot_u = xp.take(slot.reshape(-1), flat_u)
    done = None  # the subset's rays blocked so far
    for k, obj in enumerate(objects):
        m = xp.take(near[k].reshape(-1), flat_u)
        if obj["kind"] in CONVEX:
            m = m & (slot_u != static["first_object_slot"] + k)
        if done is not None:
            m = m & ~done
        sel = xp.flatnonzero(m)
        if sel.shape[0] == 0:
            continue
        flat, rows = xp.take(flat_u, sel), xp.take(rows_u, sel)
        to, _n, _f = _object_hit(xp, obj, o, d, flat, rows, full, eps=static["eps"], normals=False)
        if done is None:
            done = xp.zeros(tuple(flat_u.shape), dtype="bool")
        done[sel[(to < _pick(xp, t_max, flat, rows, full))[:, 0]]] = True
    if done is None:
        return hit
    if hit is None:
        hit = xp.zeros(tuple(cast.shape), dtype="bool")
    hit.reshape(-1)[xp.take(flat_u, xp.flatnonzero(done))] = True
    return hit


def _light_frame(xp, o, ld):
    """Origins o (per ray) in a per-image orthonormal frame (e1, e2, ld) of a light direction ld (per image):
    (e1, e2, ld, u, v, w) with u = o . e1, v = o . e2, w = o . ld."""
    # e1 = a x ld / |a x ld|, a the x axis, or the y axis where ld is within 37 degrees of x (|a x ld| >= 0.6)
    near_x = xp.abs(ld[0]) >= 0.8
    zero = ld[0] * 0.0
    ax = (zero, 0.0 - ld[2], ld[1])
    ay = (ld[2], zero, 0.0 - ld[0])
    e1 = [xp.where(near_x, ay[i], ax[i]) for i in range(3)]
    inv = 1.0 / xp.sqrt(e1[0] * e1[0] + e1[1] * e1[1] + e1[2] * e1[2])
    e1 = [x * inv for x in e1]
    e2 = [ld[1] * e1[2] - ld[2] * e1[1], ld[2] * e1[0] - ld[0] * e1[2], ld[0] * e1[1] - ld[1] * e1[0]]
    dot = lambda e: o[0] * e[0] + o[1] * e[1] + o[2] * e[2]  # noqa: E731
    return e1, e2, ld, dot(e1), dot(e2), dot(ld)


def _bounded_along(xp, obj, frame):
    """``_bounded`` for rays along one direction per image, in the frame of ``_light_frame``: a superset of
    the rays that meet the bounding sphere (the line passes within its radius, and the sphere is not behind
    the origin by more than the radius; float32 rounding here is far below the sphere's padding)."""
    e1, e2, ld, u, v, w = frame
    c = obj["c"]
    du = u - (c[0] * e1[0] + c[1] * e1[1] + c[2] * e1[2])
    dv = v - (c[0] * e2[0] + c[1] * e2[1] + c[2] * e2[2])
    r2 = obj["r2"]
    return (du * du + dv * dv <= r2) & (w <= (c[0] * ld[0] + c[1] * ld[1] + c[2] * ld[2]) + xp.sqrt(r2))


def _uniform(xp, table):
    """The one value of a (nslots, n) material table over every surface (not the sky, slot 0) and image, as
    a Python float, or None where values differ (then rays gather theirs)."""
    rest = table[1:]
    if rest.shape[0] == 0:
        return None
    first = rest[:1, :1]
    if not xp.all(rest == first):
        return None
    return float(xp.to_numpy(first)[0, 0])


def _specular_rays(xp, table, slot, sidx):
    """Rays whose surface has a specular reflectance > 0, from the (nslots, n) table ``ks``, or None for none.

    When every surface is specular in all images or in none (the usual case: objects are, the room is not),
    the slot alone decides: one comparison instead of a gather per ray. ``sidx()`` gives the per-ray table
    index (slot * n + image) for the general case.
    """
    pos = table > 0
    every = xp.to_numpy(xp.all_axis(pos, 1))
    some = xp.to_numpy(xp.any_axis(pos, 1))
    if not some.any():
        return None
    if (every != some).any():
        return xp.take(table.reshape(-1), sidx()) > 0
    slots = [int(s) for s in every.nonzero()[0]]
    if slots == list(range(slots[0], table.shape[0])):
        return slot >= slots[0]
    mask = slot == slots[0]
    for s in slots[1:]:
        mask = mask | (slot == s)
    return mask


def _shade(xp, scene, static, o, d, keys=True):
    """Trace rays and shade them: slot, feature key, coefficient a (3) and highlight b (3) per ray.

    With ``keys`` (centre samples) ``b`` is one (R, C, 3) array, channels interleaved as the coefficients
    store them; without (sub-pixel rays, whose keys nobody reads) the key is None and ``b`` three (R, C)
    arrays, which the edge pass averages per channel.
    """
    t, slot, face, n = _nearest(xp, scene, static, o, d)
    sky = slot == 0
    tt = t  # t is not needed beyond this point: sky rays get 0 in place
    xp.put_where(tt, sky, 0.0)
    p = [o[i] + tt * d[i] for i in range(3)]
    rows, cols = slot.shape[0], slot.shape[1]
    columns = scene["_columns"] and rows > 1
    n_img, full = (cols if columns else rows), rows * cols
    # per-ray material parameters from the per-image (nslots, n_img) tables: index slot * n_img + image
    image = xp.arange(n_img)[None, :] if columns else xp.arange(n_img)[:, None]
    sidx = lambda: slot * n_img + image  # noqa: E731
    kd = _uniform(xp, scene["kd"])  # one diffuse reflectance everywhere (the usual case): no gather
    if kd is None:
        kd = xp.take(scene["kd"].reshape(-1), sidx())
    specular = _specular_rays(xp, scene["ks"], slot, sidx)
    a0 = xp.full((rows, cols), static["ambient"], like=tt)
    xp.put_where(a0, sky, 1.0)  # the sky's coefficient is 1 (its albedo is the background colour)
    a = [a0, a0, a0]
    b = [xp.zeros((rows, cols)) for _ in range(3)] if not keys else xp.zeros((rows, cols, 3))
    key = xp.to_float(slot) * 64.0 + face if keys else None
    eps = static["eps"]
    origin = [p[i] + n[i] * eps for i in range(3)]
    ground = ~sky
    for j, light in enumerate(scene["lights"]):
        if light["type"] == "directional":
            l = tuple(light["dir"])
            t_max = math.inf
        else:
            lx, ly, lz = (light["pos"][i] - p[i] for i in range(3))
            dist = xp.sqrt(lx * lx + ly * ly + lz * lz)
            with xp.errstate():
                inv = xp.where(dist > 0, 1.0 / dist, xp.zeros_like(dist))
            l = (lx * inv, ly * inv, lz * inv)
            t_max = dist - eps
        ndl = n[0] * l[0] + n[1] * l[1] + n[2] * l[2]
        facing = ground & (ndl > 0)
        blocked = _blocked(xp, scene, static, origin, l, t_max, facing, slot)
        lit = facing if blocked is None else facing & ~blocked
        lam = ndl * lit * kd  # 0 where unlit (ndl is finite everywhere)
        col = light["col"]
        for c in range(3):
            a[c] = a[c] + lam * col[c]
        # Blinn-Phong highlight, only where it is not zero
        if specular is None:
            flat = None
        else:
            flat, r = _select(xp, lit & specular, columns)
        if flat is not None and flat.shape[0]:
            pick = lambda x, flat=flat, r=r: _pick(xp, x, flat, r, full)  # noqa: E731
            sk = xp.take(slot.reshape(-1), flat) * n_img + r  # table index of the selected rays
            spec = _highlight(
                xp,
                [pick(x) for x in n],
                [-pick(x) for x in d],
                [pick(x) for x in l],
                xp.take(scene["shin"].reshape(-1), sk)[:, None],
                xp.take(scene["ks"].reshape(-1), sk)[:, None],
            )
            for c in range(3):
                bc, at = (b.reshape(-1), flat * 3 + c) if keys else (b[c].reshape(-1), flat)
                bc[at] = bc[at] + (spec * pick(col[c]))[:, 0]
        if keys:
            key = key + xp.to_float(~lit) * float(1 << (6 + 6 + j))
    if a[1] is a[0]:  # no light: three separate arrays (the edge pass writes them per channel)
        a = [a0, a0 * 1.0, a0 * 1.0]
    return slot, key, a, b


def _highlight(xp, n, v, l, shininess, specular):
    """specular * max(0, n.h)^shininess with h = (l + v) / |l + v| (Blinn 1977), on lit rays."""
    hx, hy, hz = l[0] + v[0], l[1] + v[1], l[2] + v[2]
    norm = xp.sqrt(hx * hx + hy * hy + hz * hz)
    with xp.errstate():
        inv = xp.where(norm > 0, 1.0 / norm, xp.zeros_like(norm))
    ndh = xp.clamp((n[0] * hx + n[1] * hy + n[2] * hz) * inv, 0.0, 1.0)
    return xp.pow(ndh, shininess) * specular


def _rays(xp, cam, px, py):
    """Camera rays through image-plane offsets (px, py) (pixels): origins per image, unit directions per ray."""
    inv_f = 1.0 / cam["focal"]
    if px.shape[0] == 1 and inv_f.shape[0] * inv_f.shape[1] > 1 and xp.all(inv_f == inv_f[:1, :1]):
        inv_f = inv_f[:1, :1]  # one field of view in the batch: the pixel offsets scale once, not per image
    u, v = px * inv_f, py * inv_f
    d = [cam["fwd"][i] + u * cam["right"][i] + v * cam["up"][i] for i in range(3)]
    norm = xp.sqrt(d[0] * d[0] + d[1] * d[1] + d[2] * d[2])
    inv = 1.0 / norm
    return tuple(cam["pos"]), tuple(di * inv for di in d)


def geometry_pass(xp, scene, static) -> Coefficients:
    """Shading coefficients of n scene configurations.

    Parameters
    ----------
    xp : Ops
        Backend.
    scene : dict
        Per-image parameters, backend arrays shaped (n, 1) (see ``Scene3DRenderer._scene``).
    static : dict
        Parameters shared by the batch: ``height``, ``width``, ``px``/``py`` pixel-centre offsets (1, P),
        ``sub_x``/``sub_y`` sub-pixel offsets (1, S), ``nslots``, room layout, ``ambient``, ``eps``.

    Returns
    -------
    Coefficients
    """
    cam = scene["cam"]
    n_img = cam["focal"].shape[0]
    h, w = static["height"], static["width"]
    npix = h * w
    nslots = static["nslots"]
    o, d = _rays(xp, cam, static["px"], static["py"])
    slot, key, a, b = _shade(xp, scene, static, o, d)
    owner = slot
    empty = (xp.arange(0), xp.arange(0), xp.zeros((0, nslots, 3)))
    samples = static["sub_x"].shape[1]
    if samples <= 1:
        return Coefficients(owner, xp.stack(a, 2), b, *empty)
    grid = key.reshape(n_img, h, w)
    edge = grid != grid  # all False, same type
    dh = grid[:, :, 1:] != grid[:, :, :-1]
    dv = grid[:, 1:, :] != grid[:, :-1, :]
    edge[:, :, 1:] |= dh
    edge[:, :, :-1] |= dh
    edge[:, 1:, :] |= dv
    edge[:, :-1, :] |= dv
    flat, img = _select(xp, edge.reshape(n_img, npix))
    if flat.shape[0] == 0:
        return Coefficients(owner, xp.stack(a, 2), b, *empty)
    pix = flat - img * npix
    # sub-pixel rays laid out (samples, E): one column per edge pixel, so that its image's parameters are
    # gathered once per pixel as (1, E) rows and broadcast down the samples (numpy loops are slow along a
    # short broadcast axis, which an (E, samples) layout would need), and a mean over samples adds rows
    n_edge = pix.shape[0]
    sub_scene = gather_scene(xp, scene, img, columns=True)
    px = static["px"][0][pix][None, :] + static["sub_x"].reshape(samples, 1)
    py = static["py"][0][pix][None, :] + static["sub_y"].reshape(samples, 1)
    o_k, d_k = _rays(xp, sub_scene["cam"], px, py)
    slot_k, _key, a_k, b_k = _shade(xp, sub_scene, static, o_k, d_k, keys=False)
    inv_s = 1.0 / samples

    def mean(x):  # sum in sample order, then scale
        acc = x[0]
        for k in range(1, samples):
            acc = acc + x[k]
        return acc * inv_s

    zero = xp.zeros((n_edge,))
    means = []  # per slot, 3 channels (E,) each; a slot no sub-ray sees has zeros
    for s in range(nslots):
        sel = slot_k == s
        means.append([mean(a_k[c] * sel) for c in range(3)] if xp.any(sel) else [zero, zero, zero])
    acc = xp.stack([xp.stack(m, 1) for m in means], 1)  # (E, nslots, 3)
    # coefficients are >= 0, so a slot covers a pixel where its channel sum is > 0
    covers = [xp.to_int((m[0] + m[1] + m[2]) > 0) for m in means]
    count, only = covers[0], covers[0] * 0
    for s in range(1, nslots):
        count = count + covers[s]
        only = only + covers[s] * s  # the covered slot where count == 1
    own_e = xp.where(count == 1, only, owner.reshape(-1)[flat])
    mixed = count > 1
    own_e = xp.where(mixed, nslots, own_e)
    # a pure edge pixel (one covered slot, or none) keeps its owner's mean coefficient; mixed ones keep all
    pick = xp.clamp(own_e, 0, nslots - 1) + xp.arange(acc.shape[0]) * nslots
    a_e = xp.where(mixed[:, None], 0.0, xp.take_rows(acc.reshape(-1, 3), pick))
    owner.reshape(-1)[flat] = own_e
    for c in range(3):  # written per channel into the (n, P) planes, then interleaved once
        a[c].reshape(-1)[flat] = a_e[:, c]
        b.reshape(-1)[flat * 3 + c] = mean(b_k[c])
    keep = xp.flatnonzero(mixed)
    return Coefficients(owner, xp.stack(a, 2), b, img[keep], pix[keep], acc[keep])
