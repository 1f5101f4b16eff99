"""Scene3DRenderer: factor codes or values -> scene parameters -> cached geometry passes -> uint8 images.

Pipeline per batch:

1. Every binding is evaluated per image (float64, on the host); angles become unit vectors and rotation
   matrices with ``math`` per distinct value, so both backends and every batch split see the same numbers.
2. The *geometry configuration* of an image is every parameter except surface colours (factors bound only to
   ``color``/``hue``/``saturation``/``value``). Each distinct configuration is traced once
   (:func:`~gtdata.render.scene3d.trace.geometry_pass`) and kept in a cache of ``cache_bytes``: a scene
   whose camera and objects only take grid values (shapes3d_like: 480 configurations) is traced once in its
   life, and colour factors cost only compositing.
3. Compositing: per surface s, ``T_s = floor(A_s * albedo_s * LEVELS + 0.5)`` (integers), the highlight
   likewise, summed and clipped to ``LEVELS``, then mapped through the 8-bit encoding table
   (:mod:`~gtdata.render.scene3d.shading`). With the numpy backend and grid codes, the integer tables
   ``T_s`` of each (configuration, surface, colour) are cached too, so an image costs a few row copies, adds
   and one table lookup. The cached and the direct paths compute the same integers, so
   ``render_values`` at grid values gives exactly ``observations(codes)``.

Determinism: a pixel depends only on its image's parameters (no reductions across images, fixed summation
order), so results do not depend on batch size, chunking or threads. numpy and torch (CPU or CUDA) run the
same tracing code in float32; they agree to the last bit except where ``pow`` (specular) rounds differently
or a GPU fuses a multiply-add, which moves a few pixels by one level.
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from gtdata.render.colors import hsv_to_rgb
from gtdata.render.scene3d.backends import make_ops
from gtdata.render.scene3d.camera import camera_frames, pixel_offsets, subsample_offsets, unit_from_angles
from gtdata.render.scene3d.primitives import PRIMITIVES
from gtdata.render.scene3d.shading import LEVELS, encoding_table
from gtdata.render.scene3d.spec import Material, Scene3DSpec, object_placement
from gtdata.render.scene3d.trace import geometry_pass

__all__ = ["Scene3DRenderer"]

_CHUNK = 256        # images composited per work item
_TRACE_CHUNK = 16   # configurations traced per work item (numpy)


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
        Memory for cached geometry passes and colour tables (default 1 GiB; shapes3d_like needs about 500 MiB warm); beyond it, new
        configurations are traced and composited without being kept.
    """

    def __init__(self, spec: Scene3DSpec, threads: int | None = None, backend: str = "numpy",
                 device: str = "auto", cache_bytes: int = 1 << 30) -> None:
        self.spec = spec
        self.xp = make_ops(backend, device)
        self.backend = backend
        self.threads = max(1, threads if threads is not None else min(4, os.cpu_count() or 1))
        if backend == "torch":
            self.threads = 1  # torch parallelizes inside its operations
        self.cache_bytes = int(cache_bytes)
        h, w = spec.height, spec.width
        self.npix = h * w
        self.room = spec.room is not None
        self.first_object_slot = 3 if self.room else 1
        self.nslots = self.first_object_slot + len(spec.objects)
        px, py = pixel_offsets(h, w)
        extent = spec.room.size if self.room else 1.0
        self.static = {
            "height": h, "width": w, "nslots": self.nslots, "room": self.room,
            "half": spec.room.size / 2 if self.room else 0.0,
            "wall_height": spec.room.wall_height if self.room else 0.0,
            "walls": spec.room.walls if self.room else (), "ambient": float(spec.ambient),
            "eps": 1e-4 * max(extent, 1.0), "first_object_slot": self.first_object_slot,
            "px": self.xp.asarray(px[None, :]), "py": self.xp.asarray(py[None, :]),
            "sub": [tuple(map(float, s)) for s in subsample_offsets(spec.samples)] if spec.samples > 1 else [],
        }
        self.lut = encoding_table(spec.gamma)
        self.lut_xp = self.xp.asarray(self.lut, dtype="uint8")
        self._lock = threading.Lock()
        self._geometry: dict[bytes, tuple] = {}
        self._tables: dict[tuple, int] = {}
        self._gids: dict[bytes, int] = {}
        self._cids: dict[tuple, int] = {}
        self._store = np.empty((0, self.npix * 3), dtype=np.uint16)
        self._store_rows = 0
        self._used = 0
        terms = self.nslots + 1
        self._sum_dtype = np.uint16 if terms * LEVELS <= 65535 else np.int32
        self._colour_names = spec.colour_factors

    # ------------------------------------------------------------------ public entry points
    def draw_nuisance(self, n: int, rng) -> None:
        """3-D scenes have no per-image randomness."""
        return None

    def render_codes(self, codes: np.ndarray, nuisance: dict | None = None) -> np.ndarray:
        """(N, F) int64 grid codes -> (N, H, W, 3) uint8."""
        codes = np.asarray(codes, dtype=np.int64)
        return self._render(lambda b: b.at_codes(codes), len(codes), use_tables=True)

    def render_values(self, values: dict, codes: dict, n: int, nuisance: dict | None = None) -> np.ndarray:
        """Factor values (numeric ones anywhere in range) and grid codes by name -> (N, H, W, 3) uint8."""
        return self._render(lambda b: b.at_values(values, codes, n), n, use_tables=False)

    def geometry(self, codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The geometry pass of grid codes as numpy: A (N, surfaces, H*W, 3) and B (N, H*W, 3) float32."""
        codes = np.asarray(codes, dtype=np.int64)
        params = self._params(lambda b: b.at_codes(codes), len(codes))
        _keys, inverse, entries = self._lookup(params)
        A = np.stack([self.xp.to_numpy(entries[i][0]) for i in inverse])
        B = np.stack([self.xp.to_numpy(entries[i][1]) for i in inverse])
        return A, B

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
                lights.append(("directional", unit_from_angles(num(light.props["azimuth"]),
                                                               num(light.props["elevation"])), col))
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
        return {"n": n, "cam": cam, "lights": lights, "objects": objects, "refl": refl, "albedo": albedo,
                "geo": geo}

    @staticmethod
    def _albedo(mat: Material, get, n: int) -> np.ndarray:
        if mat.uses_hue:
            hsv = [np.broadcast_to(np.asarray(get(mat.props[k]), dtype=np.float64), (n,))
                   for k in ("hue", "saturation", "value")]
            return hsv_to_rgb(*[np.ascontiguousarray(v) for v in hsv])
        return np.broadcast_to(np.asarray(get(mat.props["color"]), dtype=np.float64), (n, 3))

    def _scene(self, params: dict, rows: np.ndarray, kinds: tuple[str, ...]) -> dict:
        """Backend arrays (m, 1) of the configurations ``rows`` (indices into the batch)."""
        xp = self.xp
        col = lambda a: xp.asarray(np.asarray(a, dtype=np.float64)[rows][:, None])  # noqa: E731
        cam_in = params["cam"]
        m = len(rows)
        frames = camera_frames(cam_in["azimuth"][rows], cam_in["elevation"][rows], cam_in["distance"][rows],
                               cam_in["fov"][rows], np.broadcast_to(self.spec.look_at, (m, 3)), self.spec.height)
        f = lambda a: xp.asarray(np.asarray(a, dtype=np.float64)[:, None])  # noqa: E731
        cam = {k: tuple(f(frames[k][:, i]) for i in range(3)) for k in ("right", "up")}
        cam["fwd"] = tuple(f(frames["forward"][:, i]) for i in range(3))
        cam["pos"] = tuple(f(frames["position"][:, i]) for i in range(3))
        cam["focal"] = f(frames["focal"])
        lights = []
        for kind, vec, colour in params["lights"]:
            entry = {"type": kind, "col": tuple(col(colour[:, i]) for i in range(3))}
            entry["dir" if kind == "directional" else "pos"] = tuple(col(vec[:, i]) for i in range(3))
            lights.append(entry)
        refl = params["refl"]

        def material(r):
            return {"kd": col(r[:, 0]), "ks": col(r[:, 1]), "shin": col(r[:, 2])}

        scene = {"cam": cam, "lights": lights, "objects": []}
        k0 = 0
        if self.room:
            scene["floor"], scene["wall"] = material(refl[0]), material(refl[1])
            k0 = 2
        for k, (p, kind) in enumerate(zip(params["objects"], kinds)):
            rot = p["rotation"][rows]
            rt = np.transpose(rot, (0, 2, 1)).reshape(m, 9)
            scale = np.asarray(p["scale"], dtype=np.float64)[rows]
            obj = {"kind": kind, "c": tuple(f(p["centre"][rows][:, i]) for i in range(3)),
                   "rt": tuple(f(rt[:, i]) for i in range(9)), "s": f(scale), "inv_s": f(1.0 / scale)}
            obj.update(material(refl[k0 + k]))
            scene["objects"].append(obj)
        return scene

    # ------------------------------------------------------------------ geometry cache
    def _lookup(self, params: dict):
        """Unique geometry rows of the batch, inverse index, and their (A, B) entries (traced if new)."""
        geo = params["geo"]
        uniq, first, inverse = np.unique(geo, axis=0, return_index=True, return_inverse=True)
        inverse = inverse.ravel()
        keys = [row.tobytes() for row in uniq]
        entries: list = [None] * len(keys)
        with self._lock:
            for i, k in enumerate(keys):
                entries[i] = self._geometry.get(k)
        missing = [i for i, e in enumerate(entries) if e is None]
        if missing:
            shapes = np.stack([p["shape"] for p in params["objects"]], axis=1)
            groups: dict[tuple, list[int]] = {}
            for i in missing:
                groups.setdefault(tuple(int(s) for s in shapes[first[i]]), []).append(i)
            work = []
            step = _TRACE_CHUNK if self.backend == "numpy" else 4096
            for sig, members in groups.items():
                for lo in range(0, len(members), step):
                    work.append((tuple(PRIMITIVES[s] for s in sig), members[lo:lo + step]))

            def trace(item):
                kinds, members = item
                rows = first[np.array(members)]
                A, B = geometry_pass(self.xp, self._scene(params, rows, kinds), self.static)
                for j, i in enumerate(members):
                    entries[i] = (A[j], B[j])

            _run(trace, work, self.threads)
            entry_bytes = (self.nslots + 1) * self.npix * 3 * 4
            with self._lock:
                for i in missing:
                    if self._used + entry_bytes <= self.cache_bytes and keys[i] not in self._geometry:
                        A, B = entries[i]
                        entries[i] = (A.clone() if hasattr(A, "clone") else A.copy(),
                                      B.clone() if hasattr(B, "clone") else B.copy())
                        self._geometry[keys[i]] = entries[i]
                        self._used += entry_bytes
        return keys, inverse, entries

    # ------------------------------------------------------------------ compositing
    def _render(self, get, n: int, use_tables: bool) -> np.ndarray:
        h, w = self.spec.height, self.spec.width
        if n == 0:
            return np.empty((0, h, w, 3), dtype=np.uint8)
        params = self._params(get, n)
        keys, inverse, entries = self._lookup(params)
        albedo = params["albedo"].astype(np.float32)
        if self.backend == "numpy" and use_tables:
            store, rows = self._table_rows(keys, inverse, entries, albedo)
            out = np.empty((n, self.npix * 3), dtype=np.uint8)

            def work(span):
                lo, hi = span
                r = rows[lo:hi]
                acc = store[r[:, 0]].astype(self._sum_dtype)
                for s in range(1, r.shape[1]):
                    acc += store[r[:, s]]
                np.minimum(acc, LEVELS, out=acc)
                np.take(self.lut, acc, out=out[lo:hi])

            _run(work, [(lo, min(n, lo + _CHUNK)) for lo in range(0, n, _CHUNK)], self.threads)
            return out.reshape(n, h, w, 3)
        return self._compose_direct(inverse, entries, albedo).reshape(n, h, w, 3)

    def _integer_tables(self, A, B, albedo):
        """Integer tables of one configuration: per surface floor(A_s * albedo_s * LEVELS + 0.5) and B's."""
        xp = self.xp
        q = np.float32(LEVELS) if self.backend == "numpy" else float(LEVELS)
        half = np.float32(0.5) if self.backend == "numpy" else 0.5
        out = []
        for s in range(self.nslots):
            t = A[..., s, :, :] * albedo[..., s, None, :]
            out.append(xp.floor(t * q + half))
        out.append(xp.floor(B * q + half))
        return [xp.clamp(t, 0.0, float(LEVELS)) for t in out]

    def _table_rows(self, keys, inverse, entries, albedo) -> tuple[np.ndarray, np.ndarray]:
        """(store, rows): rows (n, surfaces + 1) of the integer tables of each image's surfaces and highlight.

        Tables are keyed by (configuration id, surface, colour id); missing ones are computed from the
        geometry entry. When the cache is over budget it is emptied first (never during a batch), and old
        stores stay valid for callers that still hold them.
        """
        n = len(inverse)
        with self._lock:
            if self._used > self.cache_bytes and self._tables:
                self._used -= self._store.nbytes
                self._tables, self._gids, self._cids = {}, {}, {}
                self._store = np.empty((0, self.npix * 3), dtype=np.uint16)
                self._store_rows = 0
            gid = np.array([self._gids.setdefault(k, len(self._gids)) for k in keys], dtype=np.int64)[inverse]
        rows = np.empty((n, self.nslots + 1), dtype=np.int64)
        for s in range(self.nslots + 1):
            if s < self.nslots:
                colours, cinv = np.unique(albedo[:, s], axis=0, return_inverse=True)
                with self._lock:
                    cids = np.array([self._cids.setdefault((s, c.tobytes()), len(self._cids)) for c in colours],
                                    dtype=np.int64)
                cid = cids[cinv.ravel()]
            else:
                colours, cid = None, np.zeros(n, dtype=np.int64)
            combined = (gid << 24) + cid
            uniq, first, inv = np.unique(combined, return_index=True, return_inverse=True)
            found = np.empty(len(uniq), dtype=np.int64)
            for u, (key_int, i) in enumerate(zip(uniq.tolist(), first.tolist())):
                key = (key_int, s)
                row = self._tables.get(key)
                if row is None:
                    A, B = entries[inverse[i]]
                    if s < self.nslots:
                        t = np.floor(A[s] * albedo[i, s][None, :] * np.float32(LEVELS) + np.float32(0.5))
                    else:
                        t = np.floor(B * np.float32(LEVELS) + np.float32(0.5))
                    row = self._store_table(key, np.clip(t, 0, LEVELS).astype(np.uint16).ravel())
                found[u] = row
            rows[:, s] = found[inv.ravel()]
        with self._lock:
            return self._store, rows

    def _store_table(self, key, table: np.ndarray) -> int:
        with self._lock:
            if key in self._tables:
                return self._tables[key]
            if self._store_rows == len(self._store):
                grow = max(64, min(len(self._store), 4096))  # bounded steps: doubling would overshoot the budget
                bigger = np.empty((len(self._store) + grow, table.size), dtype=np.uint16)
                bigger[:self._store_rows] = self._store[:self._store_rows]
                self._used += bigger.nbytes - self._store.nbytes
                self._store = bigger
            self._store[self._store_rows] = table
            self._tables[key] = self._store_rows
            self._store_rows += 1
            return self._store_rows - 1

    def _compose_direct(self, inverse, entries, albedo) -> np.ndarray:
        """Compositing without table caching (continuous values, the torch backend)."""
        xp = self.xp
        n = len(inverse)
        out = np.empty((n, self.npix * 3), dtype=np.uint8)
        step = _CHUNK if self.backend == "numpy" else 4096

        def work(span):
            lo, hi = span
            idx = inverse[lo:hi]
            if self.backend == "numpy":
                A = np.stack([entries[i][0] for i in idx])
                B = np.stack([entries[i][1] for i in idx])
            else:
                A = xp.stack([entries[i][0] for i in idx], 0)
                B = xp.stack([entries[i][1] for i in idx], 0)
            alb = xp.asarray(albedo[lo:hi])
            tables = self._integer_tables(A, B, alb)
            acc = tables[0]
            for t in tables[1:]:
                acc = acc + t
            acc = xp.clamp(acc, 0.0, float(LEVELS))
            idx_int = xp.to_int(acc).reshape(hi - lo, -1)
            out[lo:hi] = xp.to_numpy(xp.take(self.lut_xp, idx_int))

        _run(work, [(lo, min(n, lo + step)) for lo in range(0, n, step)], self.threads)
        return out


def _run(fn, items: list, threads: int) -> None:
    if threads <= 1 or len(items) <= 1:
        for it in items:
            fn(it)
        return
    with ThreadPoolExecutor(max_workers=threads) as pool:
        for fut in [pool.submit(fn, it) for it in items]:
            fut.result()
