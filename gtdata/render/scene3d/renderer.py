"""Scene3DRenderer: factor codes or values -> scene parameters -> cached geometry passes -> uint8 images.

Pipeline per batch:

1. Every binding is evaluated per image (float64, on the host); angles become unit vectors and rotation
   matrices with ``math`` per distinct value, so both backends and every batch split see the same numbers.
2. The *geometry configuration* of an image is every parameter except surface colours (factors bound only to
   ``color``/``hue``/``saturation``/``value``). Each distinct configuration is traced once
   (:func:`~gtdata.render.scene3d.trace.geometry_pass`, compact :class:`~gtdata.render.scene3d.trace.Coefficients`)
   and kept in a cache of ``cache_bytes``: a scene whose camera and objects only take grid values
   (shapes3d_like: 480 configurations) is traced once in its life, and colour factors cost only compositing.
   Arbitrary values (``render_values``) keep a configuration when it is traced the second time, so random
   continuous draws, which never repeat, do not fill the cache.
3. Compositing, in integers: per surface s, ``T_s = clip(floor(A_s * albedo_s * LEVELS + 0.5), 0, LEVELS)``,
   the highlight ``T_B`` likewise, ``T = min(sum_s T_s + T_B, LEVELS)``, mapped through the 8-bit encoding
   table (:mod:`~gtdata.render.scene3d.shading`). A pixel that sees one surface has one nonzero ``T_s``.
4. Grid codes with the numpy backend (:class:`_GridTables`): the uint8 value of a pixel that sees one surface
   s depends only on (configuration, s, colour of s), so each such (configuration, surface, colour) is a
   precomputed uint8 *slab* (zero off the surface) and an image is the sum of one slab per surface, plus the
   few mixed (anti-aliased silhouette) pixels from small integer tables. Both paths compute the same
   integers, so ``render_values`` at grid values gives exactly ``observations(codes)``.

Determinism: a pixel depends only on its image's parameters (no reductions across images, fixed summation
order), so results do not depend on batch size, chunking or threads. numpy and torch (CPU or CUDA) run the
same tracing code in float32; they agree to the last bit except where ``pow`` (specular) rounds differently
or a GPU fuses a multiply-add, which moves a few pixels by one level.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from gtdata.core.allocator import tune_allocator
from gtdata.render.colors import hsv_to_rgb
from gtdata.render.scene3d.backends import make_ops
from gtdata.render.scene3d.camera import camera_frames, pixel_offsets, subsample_offsets, unit_from_angles
from gtdata.render.scene3d.primitives import BOUNDING_RADIUS, PRIMITIVES
from gtdata.render.scene3d.shading import LEVELS, encoding_table
from gtdata.render.scene3d.spec import COLOUR_PROPS, Material, Scene3DSpec, object_placement
from gtdata.render.scene3d.trace import PLANE_NORMALS, geometry_pass, unpack_scene

__all__ = ["Scene3DRenderer"]

_CHUNK = 128  # images composited per work item
_TRACE_CHUNK = 32  # configurations traced per work item (numpy, one thread)
_TRACE_CHUNK_THREADED = 128  # the most configurations per work item when numpy runs on several threads
# keys of configurations traced once that render_values remembers: about twice the configurations a 1 GiB
# cache holds (objects3d: ~114 KiB per pass, 536-byte keys, ~11 MiB for the keys)
_SEEN_KEYS = 1 << 14
_Q = float(LEVELS)  # Python floats: float32 arithmetic on float32 arrays and tensors alike
_HALF = 0.5


class Scene3DRenderer:
    """Renders a :class:`Scene3DSpec` with the ``numpy`` or ``torch`` backend.

    Parameters
    ----------
    spec : Scene3DSpec
    threads : int, optional
        Parallel work items for the numpy backend (numpy releases the GIL); default min(4, CPUs).
    backend : {"numpy", "torch"}
    device : str
        torch device, or ``"auto"`` (CUDA when available, else CPU).
    cache_bytes : int
        Memory for cached geometry passes and grid colour slabs (default 1 GiB; shapes3d_like needs about
        330 MiB warm). Beyond it, new configurations are traced without being kept, and the slabs are
        dropped and rebuilt as batches need them. Grid codes keep a configuration's pass when it is first
        traced; ``render_values`` keeps it when it is traced a second time (random continuous values never
        repeat, and keeping their passes would only cost time and memory).
    """

    def __init__(
        self,
        spec: Scene3DSpec,
        threads: int | None = None,
        backend: str = "numpy",
        device: str = "auto",
        cache_bytes: int = 1 << 30,
    ) -> None:
        self.spec = spec
        self.xp = make_ops(backend, device)
        self.backend = backend
        self.threads = max(1, threads if threads is not None else min(4, os.cpu_count() or 1))
        if backend == "torch":
            self.threads = 1  # torch parallelizes inside its operations
        self.cache_bytes = int(cache_bytes)
        tune_allocator()  # a traced chunk frees and re-allocates the same buffers: keep them mapped
        # configurations per traced work item: one numpy thread is fastest while temporaries stay near the
        # cache size; torch pays a dispatch per operation (CPU) or a kernel launch (CUDA), so it takes bigger
        # chunks. Several numpy threads share one GIL, which every numpy call takes back when it returns: the
        # Python between calls runs one thread at a time, so bigger chunks (longer calls) let threads overlap
        # more than they lose in cache (see _trace_step)
        cuda = backend == "torch" and str(self.xp.device) != "cpu"
        self._trace_chunk = 4096 if cuda else (_TRACE_CHUNK if backend == "numpy" else 256)
        h, w = spec.height, spec.width
        self.npix = h * w
        self.room = spec.room is not None
        self.first_object_slot = 3 if self.room else 1
        self.nslots = self.first_object_slot + len(spec.objects)
        px, py = pixel_offsets(h, w)
        extent = spec.room.size if self.room else 1.0
        sub = subsample_offsets(spec.samples)
        self.static = {
            "height": h,
            "width": w,
            "nslots": self.nslots,
            "room": self.room,
            "half": spec.room.size / 2 if self.room else 0.0,
            "wall_height": spec.room.wall_height if self.room else 0.0,
            "walls": spec.room.walls if self.room else (),
            "ambient": float(spec.ambient),
            "eps": 1e-4 * max(extent, 1.0),
            "first_object_slot": self.first_object_slot,
            "px": self.xp.asarray(px[None, :]),
            "py": self.xp.asarray(py[None, :]),
            "sub_x": self.xp.asarray(sub[None, :, 0]),
            "sub_y": self.xp.asarray(sub[None, :, 1]),
            "plane_normals": tuple(self.xp.asarray(v) for v in PLANE_NORMALS),
        }
        self.lut = encoding_table(spec.gamma)
        self.lut_xp = self.xp.asarray(self.lut, dtype="uint8")
        self._lock = threading.RLock()  # the grid tables trace new configurations while holding it
        self._geometry: dict[bytes, tuple] = {}
        self._seen: OrderedDict[bytes, bool] = OrderedDict()  # configurations traced once (see _remember)
        self._used = 0
        self._grid: _GridTables | None = None

    # ------------------------------------------------------------------ public entry points
    def draw_nuisance(self, n: int, rng) -> None:
        """3-D scenes have no per-image randomness."""
        return None

    def render_codes(self, codes: np.ndarray, nuisance: dict | None = None) -> np.ndarray:
        """(N, F) int64 grid codes -> (N, H, W, 3) uint8."""
        codes = np.asarray(codes, dtype=np.int64)
        h, w = self.spec.height, self.spec.width
        if len(codes) == 0:
            return np.empty((0, h, w, 3), dtype=np.uint8)
        if self.backend != "numpy":
            return self._render(lambda b: b.at_codes(codes), len(codes), keep_first=True)
        with self._lock:
            if self._grid is None:
                self._grid = _GridTables(self)
            grid = self._grid
        return grid.render(codes).reshape(len(codes), h, w, 3)

    def render_values(self, values: dict, codes: dict, n: int, nuisance: dict | None = None) -> np.ndarray:
        """Factor values (numeric ones anywhere in range) and grid codes by name -> (N, H, W, 3) uint8."""
        if n == 0:
            return np.empty((0, self.spec.height, self.spec.width, 3), dtype=np.uint8)
        return self._render(lambda b: b.at_values(values, codes, n), n)

    def geometry(self, codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The geometry pass of grid codes as numpy: A (N, surfaces, H*W, 3) and B (N, H*W, 3) float32."""
        codes = np.asarray(codes, dtype=np.int64)
        params = self._params(lambda b: b.at_codes(codes), len(codes))
        _keys, inverse, entries = self._lookup(params)
        dense = [self._dense(entries[i]) for i in inverse]
        return np.stack([d[0] for d in dense]), np.stack([d[1] for d in dense])

    def _dense(self, entry) -> tuple[np.ndarray, np.ndarray]:
        """A (surfaces, P, 3) and B (P, 3) of one geometry entry."""
        owner, a, b, mpix, ma = (self.xp.to_numpy(x) for x in entry)
        A = np.zeros((self.nslots, self.npix, 3), dtype=np.float32)
        for s in range(self.nslots):
            A[s] = np.where((owner == s)[:, None], a, np.float32(0))
        A[:, mpix] = np.transpose(ma, (1, 0, 2))
        return A, np.array(b)

    # ------------------------------------------------------------------ parameters
    def _params(self, get, n: int) -> dict:
        """Per-image parameters (float64 host arrays): ``geo`` (n, k) rows that key the geometry cache,
        ``albedo`` (n, nslots, 3), and the pieces the scene builder needs."""
        spec = self.spec

        def num(b):
            return np.broadcast_to(np.asarray(get(b), dtype=np.float64), (n,))

        cam = {k: num(b) for k, b in spec.camera.items()}
        lights = []
        for light in spec.lights:
            col = np.broadcast_to(np.asarray(get(light.props["color"]), dtype=np.float64), (n, 3))
            col = col * num(light.props["intensity"])[:, None]
            if light.type == "directional":
                lights.append(
                    ("directional", unit_from_angles(num(light.props["azimuth"]), num(light.props["elevation"])), col)
                )
            else:
                lights.append(("point", np.stack([num(light.props[k]) for k in ("x", "y", "z")], 1), col))
        albedo = np.empty((n, self.nslots, 3), dtype=np.float64)
        albedo[:, 0] = spec.background.color
        mats = []
        if self.room:
            mats += [spec.room.floor, spec.room.wall]
        objects = []
        for obj in spec.objects:
            objects.append(object_placement(obj, get))
            mats.append(obj.material)
        refl = []
        for s, mat in enumerate(mats, start=1):
            albedo[:, s] = self._albedo(mat, get, n)
            refl.append(np.stack([num(mat.props[k]) for k in ("diffuse", "specular", "shininess")], 1))
        geo_cols = [cam[k][:, None] for k in ("azimuth", "elevation", "distance", "fov")]
        for _t, vec, col in lights:
            geo_cols += [vec, col]
        for p in objects:
            geo_cols += [p["centre"], p["rotation"].reshape(n, 9), p["scale"][:, None], p["shape"][:, None]]
        geo_cols += refl
        geo = np.ascontiguousarray(np.concatenate(geo_cols, axis=1))
        # camera frames of the whole batch at once (per image, so the same numbers as per traced chunk)
        frames = camera_frames(
            cam["azimuth"],
            cam["elevation"],
            cam["distance"],
            cam["fov"],
            np.broadcast_to(spec.look_at, (n, 3)),
            spec.height,
        )
        return {
            "n": n,
            "cam": cam,
            "lights": lights,
            "objects": objects,
            "refl": refl,
            "albedo": albedo,
            "geo": geo,
            "frames": frames,
        }

    @staticmethod
    def _albedo(mat: Material, get, n: int) -> np.ndarray:
        if mat.uses_hue:
            hsv = [
                np.broadcast_to(np.asarray(get(mat.props[k]), dtype=np.float64), (n,))
                for k in ("hue", "saturation", "value")
            ]
            return hsv_to_rgb(*[np.ascontiguousarray(v) for v in hsv])
        return np.broadcast_to(np.asarray(get(mat.props["color"]), dtype=np.float64), (n, 3))

    def _scene(self, params: dict, rows: np.ndarray, kinds: tuple[str, ...]) -> dict:
        """The configurations ``rows`` (indices into the batch) as a scene of backend (m, 1) column views.

        Every per-image parameter is one row of a packed (K, m) float32 matrix (float64 on the host, rounded
        once), so the tracer gathers a subset of images with one indexing operation, and each parameter is
        a contiguous (m, 1) view.
        """
        cols: list[np.ndarray] = []

        def add(a) -> int:
            cols.append(np.asarray(a, dtype=np.float64))
            return len(cols) - 1

        m = len(rows)
        frames = {k: v[rows] for k, v in params["frames"].items()}
        cam = {k: tuple(add(frames[k][:, i]) for i in range(3)) for k in ("right", "up")}
        cam["fwd"] = tuple(add(frames["forward"][:, i]) for i in range(3))
        cam["pos"] = tuple(add(frames["position"][:, i]) for i in range(3))
        cam["focal"] = add(frames["focal"])
        lights = []
        for kind, vec, colour in params["lights"]:
            entry = {"type": kind, "col": tuple(add(colour[rows, i]) for i in range(3))}
            entry["dir" if kind == "directional" else "pos"] = tuple(add(vec[rows, i]) for i in range(3))
            lights.append(entry)
        # material tables (m, nslots): column s is slot s's parameter (the sky's stay 0)
        layout = {"cam": cam, "lights": lights, "objects": []}
        for j, key in enumerate(("kd", "ks", "shin")):
            lo = len(cols)
            add(np.zeros(m))
            for r in params["refl"]:
                add(r[rows, j])
            layout[key] = slice(lo, len(cols))
        eps = self.static["eps"]
        for p, kind in zip(params["objects"], kinds):
            lo = len(cols)
            rt = np.transpose(p["rotation"][rows], (0, 2, 1)).reshape(m, 9)
            scale = np.asarray(p["scale"], dtype=np.float64)[rows]
            # bounding sphere, padded so that float32 rounding never culls a true hit
            radius = BOUNDING_RADIUS[kind] * scale * (1 + 1e-3) + 4 * eps
            obj = {
                "kind": kind,
                "c": tuple(add(p["centre"][rows, i]) for i in range(3)),
                "rt": tuple(add(rt[:, i]) for i in range(9)),
                "s": add(scale),
                "inv_s": add(1.0 / scale),
                "r2": add(radius * radius),
            }
            obj["span"] = (lo, len(cols))
            layout["objects"].append(obj)
        return unpack_scene(self.xp.asarray(np.stack(cols)), layout)

    # ------------------------------------------------------------------ geometry cache
    def _lookup(self, params: dict, rows: np.ndarray | None = None):
        """Unique geometry rows of the batch (or of its ``rows``), inverse index, and their entries.

        An entry is ``(owner (P,), a (P, 3), b (P, 3), mixed_pixel (M,), mixed_a (M, nslots, 3))`` backend
        arrays of one configuration (see :class:`~gtdata.render.scene3d.trace.Coefficients`), traced if new.
        """
        geo = params["geo"] if rows is None else params["geo"][rows]
        uniq, first, inverse = np.unique(geo, axis=0, return_index=True, return_inverse=True)
        if rows is not None:
            first = np.asarray(rows)[first]
        inverse = inverse.ravel()
        keys = [row.tobytes() for row in uniq]
        with self._lock:
            entries = [self._geometry.get(k) for k in keys]
        missing = [i for i, e in enumerate(entries) if e is None]
        if missing:

            def trace(item):
                kinds, members = item
                coeffs = geometry_pass(self.xp, self._scene(params, first[np.array(members)], kinds), self.static)
                for i, entry in zip(members, self._split(coeffs)):
                    entries[i] = entry

            _run(trace, self._trace_items(params, first, missing), self.threads)
            kept = self._remember([keys[i] for i in missing], [entries[i] for i in missing], keep_first=True)
            for i, entry in zip(missing, kept):
                entries[i] = entry
        return keys, inverse, entries

    def _trace_items(self, params: dict, first: np.ndarray, missing: list[int]) -> list[tuple]:
        """Work items ``(object kinds, configurations)`` that trace the configurations ``missing`` (indices
        into the batch's unique rows, whose first images are ``first``): grouped by object shapes (one kind of
        intersection per object in a pass) and cut into pieces of at most ``_trace_step`` configurations."""
        shapes = np.stack([p["shape"] for p in params["objects"]], axis=1)
        groups: dict[tuple, list[int]] = {}
        for i in missing:
            groups.setdefault(tuple(int(v) for v in shapes[first[i]]), []).append(i)
        step = self._trace_step(len(missing))
        return [
            (tuple(PRIMITIVES[v] for v in sig), members[lo : lo + step])
            for sig, members in groups.items()
            for lo in range(0, len(members), step)
        ]

    def _trace_step(self, missing: int) -> int:
        """The most configurations traced together when ``missing`` are to be traced (the tracer's results do
        not depend on it; each group of one object shape is cut into pieces of at most this many).

        One thread, or torch: ``_trace_chunk``. Several numpy threads: the missing configurations shared
        equally among the threads, within ``_TRACE_CHUNK`` and ``_TRACE_CHUNK_THREADED`` (objects3d
        continuous, 256 images on 2 cores, median of 7: 32 per item 876 images/s, 64 1,261, 128 1,329; one
        thread is fastest at 32).
        """
        if self.threads > 1 and self.backend == "numpy":
            return min(_TRACE_CHUNK_THREADED, max(_TRACE_CHUNK, -(-missing // self.threads)))
        return self._trace_chunk

    def _split(self, c) -> list[tuple]:
        """Per-configuration entries (views) of a traced chunk's Coefficients."""
        m = c.owner.shape[0]
        counts = np.bincount(np.asarray(self.xp.to_numpy(c.mixed_image), dtype=np.int64), minlength=m)
        ends = np.cumsum(counts).tolist()
        starts = [0] + ends[:-1]
        return [
            (c.owner[j], c.a[j], c.b[j], c.mixed_pixel[starts[j] : ends[j]], c.mixed_a[starts[j] : ends[j]])
            for j in range(m)
        ]

    @staticmethod
    def _entry_bytes(entry) -> int:
        return int(sum(x.nbytes if hasattr(x, "nbytes") else x.element_size() * x.nelement() for x in entry))

    # ------------------------------------------------------------------ compositing (direct path)
    def _render(self, get, n: int, keep_first: bool = False) -> np.ndarray:
        """Trace what the cache lacks and composite every image; a traced chunk composites its own images
        at once (while its coefficients are in cache). ``keep_first``: keep a configuration's pass when it is
        first traced (grid codes, which repeat), else from its second trace on (see ``_remember``)."""
        params = self._params(get, n)
        ns = self.nslots
        albedo = np.zeros((n, ns + 1, 3), dtype=np.float32)  # row ns: the (zero) albedo of mixed pixels
        albedo[:, :ns] = params["albedo"]
        out = np.empty((n, self.npix * 3), dtype=np.uint8)
        uniq, first, inverse = np.unique(params["geo"], axis=0, return_index=True, return_inverse=True)
        inverse = inverse.ravel()
        keys = [row.tobytes() for row in uniq]
        with self._lock:
            entries = [self._geometry.get(k) for k in keys]
        order = np.argsort(inverse, kind="stable")
        bounds = np.searchsorted(inverse[order], np.arange(len(keys) + 1))
        images = [order[bounds[u] : bounds[u + 1]] for u in range(len(keys))]  # the images of each configuration
        step = 16 if str(self.xp.device) == "cpu" else 4096  # CPU: chunks whose temporaries stay in cache
        hits = np.flatnonzero(np.array([e is not None for e in entries])[inverse])
        work: list[tuple] = [("cached", hits[lo : lo + step]) for lo in range(0, len(hits), step)]
        missing = [i for i, e in enumerate(entries) if e is None]
        work += [("trace", kinds, members) for kinds, members in self._trace_items(params, first, missing)]

        def run(item):
            if item[0] == "cached":
                idx = item[1]
                self._composite_entries(out, idx, [entries[inverse[i]] for i in idx], albedo)
                return
            _tag, kinds, members = item
            coeffs = geometry_pass(self.xp, self._scene(params, first[np.array(members)], kinds), self.static)
            single = [images[u] for u in members]
            if all(len(im) == 1 for im in single):  # one image per configuration: composite the chunk as is
                idx = np.concatenate(single)
                m = len(idx)
                # CPU: temporaries that stay in cache (16 and 8 are alike on one thread; 16 ~5 % faster on two)
                sub = 16 if str(self.xp.device) == "cpu" else m
                mimg = self.xp.to_numpy(coeffs.mixed_image)
                cut = np.searchsorted(mimg, np.arange(0, m + sub, sub)).tolist()
                for j, lo in enumerate(range(0, m, sub)):
                    hi, a0, a1 = min(m, lo + sub), cut[j], cut[j + 1]
                    out[idx[lo:hi]] = self._composite(
                        coeffs.owner[lo:hi],
                        coeffs.a[lo:hi],
                        coeffs.b[lo:hi],
                        coeffs.mixed_image[a0:a1] - lo,
                        coeffs.mixed_pixel[a0:a1],
                        coeffs.mixed_a[a0:a1],
                        albedo[idx[lo:hi]],
                    )
                split = self._split(coeffs) if self.cache_bytes > self._used else []
            else:
                split = self._split(coeffs)
                idx = np.concatenate(single)
                self._composite_entries(out, idx, [split[j] for j, im in enumerate(single) for _ in im], albedo)
            self._remember([keys[u] for u in members[: len(split)]], split, keep_first)

        _run(run, work, self.threads)
        return out.reshape(n, self.spec.height, self.spec.width, 3)

    def _remember(self, keys: list[bytes], entries: list[tuple], keep_first: bool = False) -> list[tuple]:
        """Cache copies of traced entries while the budget allows, from a configuration's second trace on;
        returns per key the stored copy, or the entry as given where it was not stored.

        The first time a configuration is traced only its key is noted (the last ``_SEEN_KEYS``): random
        continuous values never come back, and keeping every pass cost render_values 10-27 % of its time
        (fresh memory for each copy) and filled the budget with entries no batch reads. A configuration that
        does come back is kept when it is traced the second time. Grid codes (``keep_first``), which repeat,
        are kept at once, as the grid tables keep theirs.
        """
        kept = []
        for key, entry in zip(keys, entries):
            size = self._entry_bytes(entry)
            with self._lock:
                if self._used + size > self.cache_bytes or key in self._geometry:
                    kept.append(entry)
                    continue
                if self._seen.pop(key, None) is None and not keep_first:  # first sighting
                    self._seen[key] = True
                    if len(self._seen) > _SEEN_KEYS:
                        self._seen.popitem(last=False)
                    kept.append(entry)
                    continue
                self._geometry[key] = tuple(x.clone() if hasattr(x, "clone") else x.copy() for x in entry)
                self._used += size
                kept.append(self._geometry[key])
        return kept

    def _composite_entries(self, out: np.ndarray, idx: np.ndarray, ents: list[tuple], albedo: np.ndarray) -> None:
        """Composite images ``idx`` from their geometry entries, in chunks."""
        xp = self.xp
        step = 8 if str(xp.device) == "cpu" else 4096
        for lo in range(0, len(idx), step):
            part, ent = idx[lo : lo + step], ents[lo : lo + step]
            counts = np.array([int(e[3].shape[0]) for e in ent])
            mixed = [e for e in ent if e[3].shape[0]]
            out[part] = self._composite(
                xp.stack([e[0] for e in ent], 0),
                xp.stack([e[1] for e in ent], 0),
                xp.stack([e[2] for e in ent], 0),
                xp.asarray(np.repeat(np.arange(len(ent)), counts), dtype=xp.index),
                xp.concat([e[3] for e in mixed], 0) if mixed else xp.arange(0),
                xp.concat([e[4] for e in mixed], 0) if mixed else xp.zeros((0, self.nslots, 3)),
                albedo[part],
            )

    def _composite(self, owner, a, b, mixed_image, mixed_pixel, mixed_a, albedo: np.ndarray) -> np.ndarray:
        """uint8 (k, P * 3) images from compact coefficients (see Coefficients) and albedos (k, nslots + 1, 3).

        ``T = min(floor(a * albedo_owner * LEVELS + 0.5) + floor(B * LEVELS + 0.5) [+ mixed terms], LEVELS)``:
        every term is >= 0 (coefficients and albedos are), so clipping the sum once equals clipping each
        surface's table and then the sum.
        """
        xp = self.xp
        k = owner.shape[0]
        alb = xp.asarray(albedo)
        idx = owner + xp.arange(k)[:, None] * (self.nslots + 1)
        # B is 0 off the highlights, where floor(0 * LEVELS + 0.5) adds 0: a dense sum costs less than finding them
        t = xp.floor(a * xp.take_rows(alb.reshape(-1, 3), idx) * _Q + _HALF) + xp.floor(b * _Q + _HALF)
        if mixed_pixel.shape[0]:
            alb_m = alb[mixed_image]  # (M, nslots + 1, 3)
            tm = xp.floor(mixed_a[:, 0] * alb_m[:, 0] * _Q + _HALF)
            for s in range(1, self.nslots):
                tm = tm + xp.floor(mixed_a[:, s] * alb_m[:, s] * _Q + _HALF)
            rows = t.reshape(-1, 3)
            pos = mixed_image * self.npix + mixed_pixel
            rows[pos] = rows[pos] + tm
        t = xp.minimum(t, xp.full((1,), float(LEVELS), like=t))
        return xp.to_numpy(xp.lookup(self.lut_xp, t.reshape(k, -1)))


class _GridTables:
    """uint8 slabs and mixed-pixel tables of (configuration, surface, colour) for grid codes (numpy backend).

    For a configuration g, a surface s and a colour c of s, ``slab[row(g, s, c)]`` (P * 3 uint8) holds the
    final encoded value of every pixel that s alone covers when s has colour c, and 0 elsewhere; an image
    is the sum of its surfaces' slabs. Mixed pixels (two or more surfaces) are stored per configuration in
    a list padded to a common length ``width`` with repeats of a pixel (whose value the same tables
    reproduce), and their integer contributions ``T_s`` per (g, s, c) in ``edge[row(g, s, c)]`` (width * 3
    uint16); an image's mixed pixels are ``lut[min(sum_s T_s + T_B, LEVELS)]``, written over the slab sum.

    Configurations are keyed by the codes of the factors that move geometry, colours by the codes of the
    factors bound to each surface's colour, so a warm batch never evaluates the scene parameters.
    """

    def __init__(self, r: Scene3DRenderer) -> None:
        self.r = r
        spec = r.spec
        sizes = [f.size for f in spec.factors]
        # a configuration: the codes of every factor bound to something other than a surface colour
        geo_cols = sorted(
            {
                b.index
                for place, b in spec.bindings()
                if b.index is not None and (place.startswith("lights") or place.rsplit(".", 1)[1] not in COLOUR_PROPS)
            }
        )
        self.geo_cols, self.geo_radix = geo_cols, _radix([sizes[i] for i in geo_cols])
        mats = [None] + ([spec.room.floor, spec.room.wall] if r.room else []) + [o.material for o in spec.objects]
        self.mats = mats
        self.col_cols, self.col_radix = [], []
        for mat in mats:
            cols = (
                []
                if mat is None
                else sorted(
                    {mat.props[k].index for k in COLOUR_PROPS if k in mat.props and mat.props[k].index is not None}
                )
            )
            self.col_cols.append(cols)
            self.col_radix.append(_radix([sizes[i] for i in cols]))
        self.reset()

    def reset(self) -> None:
        ns = self.r.nslots
        self.gid: dict[int, int] = {}
        self.records: list[dict] = []
        self.cid: list[dict[int, int]] = [{} for _ in range(ns)]
        self.albedo: list[list[np.ndarray]] = [[] for _ in range(ns)]
        self.rows = [np.full((0, 0), -1, dtype=np.int32) for _ in range(ns)]
        self.width = 1
        self.slab = np.empty((0, self.r.npix * 3), dtype=np.uint8)
        self.edge = np.empty((0, 3), dtype=np.uint16)
        self.count = 0
        self.epos = np.empty((0, 3), dtype=np.int64)  # per configuration: flat positions of its mixed values
        self.etb = np.empty((0, 3), dtype=np.int32)  # per configuration: T_B at its mixed values
        self._pending: list[tuple[np.ndarray, np.ndarray]] = []  # (epos, etb) rows not yet in the arrays
        self._record_bytes = 0

    @property
    def nbytes(self) -> int:
        """Memory held: configuration records and the filled rows of the slab and mixed-pixel stores."""
        return self._record_bytes + self.count * (self.r.npix * 3 + self.width * 6)

    # ---------------------------------------------------------------- batch
    def render(self, codes: np.ndarray) -> np.ndarray:
        r = self.r
        n, ns = len(codes), r.nslots
        with r._lock:
            if self.nbytes + r._used > r.cache_bytes and self.records:
                self.reset()  # over budget: start again (never during a batch; old arrays stay valid)
            gids = self._configurations(codes)
            if self._pending:
                self.epos = np.concatenate([self.epos] + [p[None] for p, _t in self._pending])
                self.etb = np.concatenate([self.etb] + [t[None] for _p, t in self._pending])
                self._pending = []
            rows = np.empty((n, ns), dtype=np.int64)
            for s in range(ns):
                cids = self._colours(codes, s)
                table = self._grow_rows(s, cids.max() + 1)
                rows[:, s] = table[gids, cids]
                todo = rows[:, s] < 0
                if todo.any():
                    pairs = np.unique(gids[todo] * (1 << 31) + cids[todo])
                    g_new, c_new = np.divmod(pairs, 1 << 31)
                    first = np.flatnonzero(np.r_[True, g_new[1:] != g_new[:-1]])
                    work = [(int(g_new[lo]), s, c_new[lo:hi]) for lo, hi in zip(first, np.r_[first[1:], len(pairs)])]
                    self._reserve(len(pairs))
                    items = []
                    for g, s_, cs in work:
                        new_rows = np.arange(self.count, self.count + len(cs))
                        self.count += len(cs)
                        self.rows[s_][g, cs] = new_rows
                        items.append((g, s_, cs, new_rows))
                    _run(self._add_tables, items, r.threads)
                    rows[:, s] = self.rows[s][gids, cids]
            slab, edge, epos, etb, lut = self.slab, self.edge, self.epos, self.etb, r.lut
        p3 = r.npix * 3
        out = np.empty((n, p3), dtype=np.uint8)

        def work(span):
            lo, hi = span
            rr = rows[lo:hi]
            o = out[lo:hi]
            np.take(slab, rr[:, 0], axis=0, out=o)
            for s in range(1, ns):
                o += slab[rr[:, s]]
            g = gids[lo:hi]
            acc = etb[g]
            for s in range(ns):
                acc += edge[rr[:, s]]
            np.minimum(acc, LEVELS, out=acc)
            o.reshape(-1)[epos[g] + (np.arange(hi - lo) * p3)[:, None]] = lut[acc]

        _run(work, [(lo, min(n, lo + _CHUNK)) for lo in range(0, n, _CHUNK)], r.threads)
        return out

    def _configurations(self, codes: np.ndarray) -> np.ndarray:
        """Configuration id of every image (tracing and recording new configurations)."""
        keys = _keys(codes, self.geo_cols, self.geo_radix)
        uniq, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
        ids = np.array([self.gid.get(k, -1) for k in uniq.tolist()], dtype=np.int64)
        new = np.flatnonzero(ids < 0)
        if len(new):
            r = self.r
            sub = codes[first[new]]
            params = r._params(lambda b: b.at_codes(sub), len(sub))
            _k, inv, entries = r._lookup(params)
            for j, i in enumerate(new.tolist()):
                if uniq[i] not in self.gid:
                    self.gid[int(uniq[i])] = self._add_configuration(entries[inv[j]])
                ids[i] = self.gid[int(uniq[i])]
        return ids[inverse.ravel()]

    def _colours(self, codes: np.ndarray, s: int) -> np.ndarray:
        """Colour id of surface s in every image (recording new colours with their albedo)."""
        keys = _keys(codes, self.col_cols[s], self.col_radix[s])
        uniq, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
        ids = np.empty(len(uniq), dtype=np.int64)
        table = self.cid[s]
        for i, k in enumerate(uniq.tolist()):
            if k not in table:
                row = codes[first[i] : first[i] + 1]
                if s == 0:
                    alb = np.asarray(self.r.spec.background.color, dtype=np.float64)
                else:
                    alb = Scene3DRenderer._albedo(self.mats[s], lambda b, row=row: b.at_codes(row), 1)[0]
                table[k] = len(self.albedo[s])
                self.albedo[s].append(np.asarray(alb, dtype=np.float32))
            ids[i] = table[k]
        return ids[inverse.ravel()]

    def _grow_rows(self, s: int, colours: int) -> np.ndarray:
        table = self.rows[s]
        g, c = len(self.records), max(colours, len(self.albedo[s]))
        if table.shape[0] < g or table.shape[1] < c:
            bigger = np.full((max(g, 2 * table.shape[0]), max(c, table.shape[1])), -1, dtype=np.int32)
            bigger[: table.shape[0], : table.shape[1]] = table
            self.rows[s] = table = bigger
        return table

    def _add_configuration(self, entry) -> int:
        """Record a traced configuration: owner, coefficients, T_B, and its padded mixed-pixel list."""
        r = self.r
        owner, a, b, mpix, ma = (np.asarray(r.xp.to_numpy(x)) for x in entry)
        tb = np.clip(np.floor(b * _Q + _HALF), 0, LEVELS)
        m = len(mpix)
        if m == 0:  # pixel 0 stands in (one surface: the general formula gives its value too)
            mpix = np.zeros(1, dtype=np.int64)
            ma = np.zeros((1, r.nslots, 3), dtype=np.float32)
            if owner[0] < r.nslots:
                ma[0, owner[0]] = a[0]
        rec = {
            "owner": owner,
            "mpix": np.asarray(mpix, dtype=np.int64),
            "ma": ma,
            "pix": [np.flatnonzero(owner == s) for s in range(r.nslots)],
        }
        rec["a_s"] = [a[p] for p in rec["pix"]]
        rec["tb_s"] = [tb[p] for p in rec["pix"]]
        if len(rec["mpix"]) > self.width:
            self._widen(len(rec["mpix"]))
        rec["mpix"], rec["ma"] = _pad(rec["mpix"], self.width), _pad(rec["ma"], self.width)
        gid = len(self.records)
        self.records.append(rec)
        pos = (rec["mpix"][:, None] * 3 + np.arange(3)).ravel()
        self._pending.append((pos, tb[rec["mpix"]].ravel().astype(np.int32)))
        self._record_bytes += owner.nbytes + a.nbytes + tb.nbytes + pos.nbytes * 2 + rec["ma"].nbytes + owner.size * 8
        return gid

    def _widen(self, width: int) -> None:
        """Grow every configuration's mixed list (and the tables) to ``width`` by repeating its last pixel."""
        width = max(width, (self.width * 3) // 2)
        for rec in self.records:
            rec["mpix"], rec["ma"] = _pad(rec["mpix"], width), _pad(rec["ma"], width)
        self.epos = _pad_cols(self.epos, width)
        self.etb = _pad_cols(self.etb, width)
        self._pending = [(_pad_cols(p[None], width)[0], _pad_cols(t[None], width)[0]) for p, t in self._pending]
        self.edge = _pad_cols(self.edge[: self.count], width)
        self.width = width
        self.slab = self.slab[: self.count]  # the next _reserve reallocates both stores together

    def _reserve(self, extra: int) -> None:
        """Room for ``extra`` more slab rows. The first call reserves (as untouched virtual memory) every row
        the spec can need, up to the cache budget, so that the store is not copied as it fills."""
        need = self.count + extra
        if need <= len(self.slab):
            return
        r = self.r
        row_bytes = r.npix * 3 + self.width * 6
        if len(self.slab) == 0:
            sizes = [f.size for f in r.spec.factors]
            configs = int(np.prod([float(sizes[i]) for i in self.geo_cols]))
            colours = sum(int(np.prod([float(sizes[i]) for i in cols])) for cols in self.col_cols)
            cap = min(configs * colours, max(r.cache_bytes - r._used, 0) // row_bytes)
        else:
            cap = len(self.slab) + max(4096, len(self.slab) // 4)
        cap = max(cap, need)
        slab = np.empty((cap, r.npix * 3), dtype=np.uint8)
        edge = np.empty((cap, self.width * 3), dtype=np.uint16)
        slab[: self.count] = self.slab[: self.count]
        edge[: self.count] = self.edge[: self.count]
        self.slab, self.edge = slab, edge

    def _add_tables(self, item) -> None:
        """Slabs and mixed-pixel tables of configuration g, surface s and colours cs, into ``rows``."""
        g, s, cs, rows = item
        rec = self.records[g]
        alb = np.stack([self.albedo[s][c] for c in cs])[:, None, :]  # (k, 1, 3)
        pix = rec["pix"][s]
        t = np.floor(rec["a_s"][s][None] * alb * _Q + _HALF)
        np.clip(t, 0, LEVELS, out=t)
        t += rec["tb_s"][s][None]
        np.minimum(t, LEVELS, out=t)
        block = np.zeros((len(cs), self.r.npix, 3), dtype=np.uint8)
        block[:, pix] = self.r.lut[t.astype(np.int32)]
        self.slab[rows] = block.reshape(len(cs), -1)
        e = np.floor(rec["ma"][None, :, s] * alb * _Q + _HALF)
        self.edge[rows] = np.clip(e, 0, LEVELS).astype(np.uint16).reshape(len(cs), -1)


def _radix(sizes: list[int]) -> np.ndarray:
    """Mixed-radix multipliers (last fastest) of codes with these sizes."""
    out = np.ones(len(sizes), dtype=np.int64)
    for i in range(len(sizes) - 2, -1, -1):
        out[i] = out[i + 1] * sizes[i + 1]
    return out


def _keys(codes: np.ndarray, cols: list[int], radix: np.ndarray) -> np.ndarray:
    if not cols:
        return np.zeros(len(codes), dtype=np.int64)
    return codes[:, cols] @ radix


def _pad(x: np.ndarray, width: int) -> np.ndarray:
    """Repeat the last row of x up to ``width`` rows."""
    if len(x) >= width:
        return x
    return np.concatenate([x, np.repeat(x[-1:], width - len(x), axis=0)])


def _pad_cols(x: np.ndarray, width: int) -> np.ndarray:
    """(rows, w * 3) -> (rows, width * 3), repeating the last 3 columns (one pixel's channels)."""
    w = x.shape[1] // 3
    if w >= width:
        return x
    if len(x) == 0:
        return np.empty((0, width * 3), dtype=x.dtype)
    return np.concatenate([x, np.tile(x[:, -3:], (1, width - w))], axis=1)


def _run(fn, items: list, threads: int) -> None:
    if threads <= 1 or len(items) <= 1:
        for it in items:
            fn(it)
        return
    with ThreadPoolExecutor(max_workers=threads) as pool:
        for fut in [pool.submit(fn, it) for it in items]:
            fut.result()
