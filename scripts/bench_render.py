"""Throughput of the procedural renderer, against a PIL ImageDraw renderer of the same spec.

Measures (best of ``--repeats``; batches of 4,096 random codes or values):
- ``dsprites_like`` on demand, anti-aliased, 64x64x1: ``observations(codes)`` as float32 (the default) and
  uint8, the sprite atlas warm; plus the first (cold) batch of a fresh data set, which fills the atlas;
- export of the full 737,280-image grid to the prepared store (3 GB in a scratch directory, ``--dir``);
- ``multi_sprites`` (3 objects, RGB, continuous x, y, hue) through ``render_values`` at uniformly random
  values anywhere in range, and through ``observations(codes)``;
- for both specs a PIL ImageDraw renderer written here: the same scene parameters, drawn one image at a time
  at 4x resolution and box-filtered down (4x supersampling). The ratio column is ours / PIL, in wall-clock
  images/s and (in brackets) in images per CPU-second, which a shared machine distorts less. The mean
  absolute difference to our images (grey levels) shows that both draw the same scenes.

3-D rows (issue 11, ``--only-3d`` runs just these; median of at least 5 rounds): shapes3d_like random grid
codes (geometry cache and colour slabs warm; the warm-up time and cache size are printed), continuous values
(fresh in every round, default cache settings) through numpy / torch CPU (one intra-op thread) / torch CUDA
when present (else marked unmeasured), and the
full 480,000-image export from a cold cache; then the three issue-11 targets with the measured value next
to each and the load average.

Targets (issue 4): dsprites_like >= 50,000 images/s on 2 cores, full grid export < 60 s, 3-object RGB
continuous >= 5,000 images/s. Timings on a shared machine are noisy.

    python scripts/bench_render.py [--dir DIR] [--repeats 3] [--skip-export] [--threads N]
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from gtdata.render import RenderedData, export_rendered
from gtdata.render.shapes import Box, Ellipse, Polygon, Union

BATCH = 4096
SS = 4


CPU_RATES: dict[int, float] = {}  # id of a result row -> images per CPU-second


def best_rate(fn, n: int, repeats: int) -> tuple[float, float]:
    """(seconds, images/s) of the fastest of ``repeats`` calls of fn() producing n images.

    Also records images per CPU-second of this process (all threads), which a busy machine distorts less.
    """
    best, best_cpu = math.inf, math.inf
    for _ in range(repeats):
        t, c = time.perf_counter(), time.process_time()
        fn()
        best = min(best, time.perf_counter() - t)
        best_cpu = min(best_cpu, time.process_time() - c)
    CPU_RATES[-1] = n / max(best_cpu, 1e-9)
    return best, n / best


# ------------------------------------------------------------------------------------------ PIL reference
def outline(shape) -> list[tuple[str, object]]:
    """Drawable parts of a shape in its unit frame: ("poly", (k, 2) vertices) or ("circle", (cx, cy, r))."""
    if isinstance(shape, Box):
        hx, hy = shape.hx, shape.hy
        return [("poly", np.array([[-hx, -hy], [hx, -hy], [hx, hy], [-hx, hy]]))]
    if isinstance(shape, Ellipse):
        if shape.a == shape.b:
            return [("circle", (0.0, 0.0, shape.a))]
        t = np.linspace(0, 2 * np.pi, 72, endpoint=False)
        return [("poly", np.stack([shape.a * np.cos(t), shape.b * np.sin(t)], axis=1))]
    if isinstance(shape, Polygon):
        return [("poly", shape.vertices)]
    if isinstance(shape, Union):
        parts = []
        for part, ox, oy, rot in shape.parts:
            c, s = math.cos(rot), math.sin(rot)
            for kind, data in outline(part):
                if kind == "circle":
                    cx, cy, r = data
                    parts.append(("circle", (ox + c * cx + s * cy, oy - s * cx + c * cy, r)))
                else:
                    q = np.asarray(data)
                    parts.append(
                        ("poly", np.stack([ox + c * q[:, 0] + s * q[:, 1], oy - s * q[:, 0] + c * q[:, 1]], axis=1))
                    )
        return parts
    raise TypeError(f"no PIL outline for {type(shape).__name__}")


def pil_render(data: RenderedData, params: list[dict[str, np.ndarray]], n: int) -> np.ndarray:
    """Draw n images one at a time with ImageDraw at SS x resolution, then box-filter to the canvas size."""
    spec = data.spec
    h, w, c = spec.shape
    mode = "L" if c == 1 else "RGB"
    bg = tuple(int(round(v * 255)) for v in spec.background.color)
    bg = bg[0] if c == 1 else bg
    outlines = [outline(s) for s in spec.shapes]
    out = np.empty((n, h, w, c), dtype=np.uint8)
    z = np.stack([p["z"] for p in params], axis=1)
    for i in range(n):
        img = Image.new(mode, (w * SS, h * SS), bg)
        draw = ImageDraw.Draw(img)
        for k in np.argsort(z[i], kind="stable"):
            p = params[k]
            size, rot = p["size"][i], p["rotation"][i]
            cx, cy = p["px"][i] * SS, p["py"][i] * SS
            cos, sin = math.cos(rot) * size * SS, math.sin(rot) * size * SS
            fill = tuple(int(round(v * 255)) for v in p["fill"][i])
            fill = fill[0] if c == 1 else fill
            for kind, d in outlines[p["shape"][i]]:
                if kind == "circle":
                    u, v, r = d
                    x = cx + u * cos + v * sin - 0.5
                    y = cy - u * sin + v * cos - 0.5
                    rr = r * size * SS
                    draw.ellipse([x - rr, y - rr, x + rr, y + rr], fill=fill)
                else:
                    q = np.asarray(d)
                    xs = cx + q[:, 0] * cos + q[:, 1] * sin - 0.5
                    ys = cy - q[:, 0] * sin + q[:, 1] * cos - 0.5
                    draw.polygon(list(zip(xs.tolist(), ys.tolist())), fill=fill)
        small = img.reduce(SS)  # box filter over SS x SS blocks
        arr = np.asarray(small)
        out[i] = arr[..., None] if c == 1 else arr
    return out


def pil_rate(data: RenderedData, codes: np.ndarray, ours: np.ndarray, repeats: int) -> tuple[tuple, float]:
    """PIL (images/s, images/CPU-s) on these codes, and mean |ours - PIL| in grey levels."""
    raster = data._raster
    params = [raster._object_params(o, lambda b: b.at_codes(codes)) for o in data.spec.objects]
    _, rate = best_rate(lambda: pil_render(data, params, len(codes)), len(codes), repeats)
    diff = np.abs(pil_render(data, params, len(codes)).astype(np.int16) - ours.astype(np.int16)).mean()
    return (rate, CPU_RATES[-1]), float(diff)


# ------------------------------------------------------------------------------------------ 3-D scenes
TARGETS_3D: list[tuple[str, str, float, str]] = []  # (target, measured, value, unit) for the summary


def median_rate(fn, n: int, rounds: int) -> tuple[float, float, float]:
    """(median seconds, images/s, images/CPU-s) over ``rounds`` calls of fn() producing n images."""
    walls, cpus = [], []
    for _ in range(rounds):
        t, c = time.perf_counter(), time.process_time()
        fn()
        walls.append(time.perf_counter() - t)
        cpus.append(time.process_time() - c)
    wall, cpu = float(np.median(walls)), float(np.median(cpus))
    return wall, n / wall, n / max(cpu, 1e-9)


def scene3d_rows(args, rng) -> list[tuple]:
    """shapes3d_like: random grid codes (geometry cache and colour slabs warm), continuous values (numpy,
    torch CPU, and CUDA when present), full-grid export; median of rounds. Targets from issue 11."""
    import resource

    import torch

    out = []
    rounds = max(args.repeats, 5)
    data = RenderedData("shapes3d_like", threads=args.threads)
    space = data.factor_space
    t, c = time.perf_counter(), time.process_time()
    data.observations(space.index_to_codes(np.arange(480)), dtype=np.uint8)  # the 480 geometries
    trace_s = time.perf_counter() - t
    grid = [data.sample_codes(BATCH, rng) for _ in range(4)]
    for g in grid:  # fill the colour slabs
        data.observations(g, dtype=np.uint8)
    warm_s, warm_cpu = time.perf_counter() - t, time.process_time() - c
    raster = data._raster
    cache_mib = (raster._used + (raster._grid.nbytes if raster._grid else 0)) / 2**20
    it = iter(range(10**9))
    s, rate, cpu = median_rate(lambda: data.observations(grid[next(it) % 4], dtype=np.uint8), BATCH, rounds)
    out.append(
        ("shapes3d_like observations(random grid codes) uint8, warm", BATCH, s, rate, cpu, ">= 20,000/s", None, None)
    )
    TARGETS_3D.append(
        (
            "shapes3d_like random grid codes, uint8 64x64x3, warm cache: >= 20,000 img/s",
            f"{rate:,.0f} img/s ({cpu:,.0f} per CPU-s)",
            rate >= 20_000,
            "",
        )
    )
    out.append(
        (
            f"shapes3d_like warm-up: 480 geometries traced in {trace_s:.2f} s, then colour slabs; "
            f"cache {cache_mib:.0f} MiB ({warm_cpu:.1f} CPU-s)",
            480 + 4 * BATCH,
            warm_s,
            None,
            None,
            "",
            None,
            None,
        )
    )
    n_cont = 256
    for name in ("shapes3d_like", "objects3d"):
        ref = RenderedData(name, threads=args.threads)
        ref._raster.cache_bytes = 0
        # fresh values in every round, drawn on another instance: the renderer under test runs with its
        # default cache and never sees a configuration twice (no cache hits, but the cost of the cache policy)
        values = [ref.sample_values(n_cont, rng)[0] for _ in range(rounds + 1)]
        backends = [("numpy", "cpu"), ("torch", "cpu")]
        if torch.cuda.is_available():
            backends.append(("torch", "cuda"))
        for backend, device in backends:
            d = RenderedData(name, threads=args.threads, backend=backend, device=device)
            n = n_cont if device == "cpu" else 8192
            if device != "cpu":  # values drawn on the device (a CPU draw of 8,192 would take seconds)
                d._raster.cache_bytes = 0  # no cache hits: every image is traced
            vals = values if device == "cpu" else [d.sample_values(n, rng)[0] for _ in range(2)]
            # torch's OpenMP threads spin at barriers and crawl on a loaded machine: one intra-op thread
            threads = torch.get_num_threads()
            if device == "cpu" and backend == "torch":
                torch.set_num_threads(1)
            try:
                d.render_values(vals[0], dtype=np.uint8)  # start-up (CUDA kernels, allocator)
                it2 = iter(range(1, 10**9))  # the CPU rounds render vals[1], vals[2], ...: each batch once
                s, rate, cpu = median_rate(
                    lambda d=d, vals=vals, it2=it2: d.render_values(vals[next(it2) % len(vals)], dtype=np.uint8),
                    n,
                    rounds,
                )
            finally:
                torch.set_num_threads(threads)
            label = (
                {"cpu": "torch cpu, 1 intra-op thread", "cuda": "torch cuda"}[device] if backend == "torch" else "numpy"
            )
            target = {"numpy": ">= 1,000/s", "torch cuda": ">= 100,000/s"}.get(label, "reported")
            out.append((f"{name} render_values continuous uint8 [{label}]", n, s, rate, cpu, target, None, None))
            if backend == "numpy":
                TARGETS_3D.append(
                    (
                        f"{name} random continuous factors, numpy, no cache hits: >= 1,000 img/s",
                        f"{rate:,.0f} img/s ({cpu:,.0f} per CPU-s)",
                        rate >= 1_000,
                        "",
                    )
                )
    if not torch.cuda.is_available():
        out.append(
            (
                "shapes3d_like render_values continuous [torch cuda]: UNMEASURED (no GPU here; "
                "scripts/device_check.sh)",
                0,
                float("nan"),
                None,
                None,
                ">= 100,000/s",
                None,
                None,
            )
        )
    data = raster = None  # free the warm cache: the export starts cold, with its own
    if not args.skip_export:
        scratch = Path(tempfile.mkdtemp(dir=args.dir))
        try:
            t, c = time.perf_counter(), time.process_time()
            export_rendered(
                RenderedData("shapes3d_like", threads=args.threads),
                scratch / "shapes3d_like",
                chunk_size=8192,
                progress=False,
            )
            s, cpu = time.perf_counter() - t, time.process_time() - c
            out.append(
                (
                    "shapes3d_like full grid export (cold cache, includes warm-up)",
                    480_000,
                    s,
                    480_000 / s,
                    480_000 / cpu,
                    "<= 120 s",
                    None,
                    None,
                )
            )
            TARGETS_3D.append(
                (
                    "shapes3d_like full 480,000-grid export to the prepared store (cold): <= 120 s",
                    f"{s:.1f} s ({cpu:.1f} CPU-s)",
                    s <= 120,
                    "",
                )
            )
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**10
    out.append((f"process peak RSS {peak:,.0f} MiB", 0, float("nan"), None, None, "", None, None))
    return out


def print_targets() -> None:
    """The issue-11 targets with the measured value next to each."""
    if not TARGETS_3D:
        return
    load = os.getloadavg()
    print(
        f"\nissue 11 targets (median of rounds; load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} on "
        f"{os.cpu_count()} CPUs)\n"
    )
    print("| target | measured | met |")
    print("|---|---:|---|")
    for target, measured, met, _unit in TARGETS_3D:
        print(f"| {target} | {measured} | {'yes' if met else 'NO'} |")


# ------------------------------------------------------------------------------------------ main
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", type=Path, default=None, help="scratch directory for the 3 GB export")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=None, help="render threads (default: min(4, cores))")
    parser.add_argument("--skip-export", action="store_true")
    parser.add_argument("--only-3d", action="store_true", help="only the 3-D scene rows (issue 11)")
    parser.add_argument("--pil-images", type=int, default=1000, help="images drawn by the PIL reference")
    args = parser.parse_args()
    rows = []
    rng = np.random.default_rng(0)
    if args.only_3d:
        rows += scene3d_rows(args, rng)
        print_table(rows, args)
        print_targets()
        return

    # dsprites_like on demand
    cold = RenderedData("dsprites_like", threads=args.threads)
    codes = cold.sample_codes(BATCH, rng)
    t = time.perf_counter()
    cold.observations(codes)
    cold_s = time.perf_counter() - t
    data = RenderedData("dsprites_like", threads=args.threads)
    data.observations(data.factor_space.index_to_codes(np.arange(0, data.factor_space.size, 1024)))
    batches = [data.sample_codes(BATCH, rng) for _ in range(8)]
    it = iter(range(10**9))
    pil_codes = batches[0][: args.pil_images]
    pil, diff = pil_rate(data, pil_codes, data.observations(pil_codes, dtype=np.uint8), args.repeats)
    for dtype in (np.float32, np.uint8):
        s, rate = best_rate(
            lambda dtype=dtype: data.observations(batches[next(it) % 8], dtype=dtype), BATCH, args.repeats * 3
        )
        rows.append(
            (
                f"dsprites_like observations {np.dtype(dtype).name}",
                BATCH,
                s,
                rate,
                CPU_RATES[-1],
                ">= 50,000/s",
                pil,
                diff,
            )
        )
    rows.append(("dsprites_like first batch (fills atlas)", BATCH, cold_s, BATCH / cold_s, None, "", None, None))

    # full grid export
    if not args.skip_export:
        scratch = Path(tempfile.mkdtemp(dir=args.dir))
        try:
            t, c = time.perf_counter(), time.process_time()
            export_rendered(
                RenderedData("dsprites_like", threads=args.threads),
                scratch / "dsprites_like",
                chunk_size=8192,
                progress=False,
            )
            s, cpu = time.perf_counter() - t, time.process_time() - c
            rows.append(
                ("dsprites_like full grid export", 737_280, s, 737_280 / s, 737_280 / cpu, "< 60 s", None, None)
            )
        finally:
            shutil.rmtree(scratch, ignore_errors=True)

    # 3-object RGB with continuous factors
    multi = RenderedData("multi_sprites", threads=args.threads)
    space = multi.factor_space

    def random_values(n: int) -> dict[str, np.ndarray]:
        out = {}
        for f in space:
            out[f.name] = f.values[rng.integers(0, f.size, n)] if f.is_categorical else rng.uniform(f.low, f.high, n)
        return out

    value_batches = [random_values(BATCH) for _ in range(3)]
    it2 = iter(range(10**9))
    mcodes = multi.sample_codes(BATCH, rng)
    pil_codes = mcodes[: args.pil_images]
    pil, diff = pil_rate(multi, pil_codes, multi.observations(pil_codes, dtype=np.uint8), args.repeats)
    s, rate = best_rate(lambda: multi.render_values(value_batches[next(it2) % 3]), BATCH, args.repeats)
    rows.append(
        ("multi_sprites render_values (continuous) float32", BATCH, s, rate, CPU_RATES[-1], ">= 5,000/s", pil, diff)
    )
    s, rate = best_rate(lambda: multi.observations(mcodes), BATCH, args.repeats)
    rows.append(("multi_sprites observations(codes) float32", BATCH, s, rate, CPU_RATES[-1], ">= 5,000/s", pil, diff))

    rows += scene3d_rows(args, rng)
    print_table(rows, args)
    print_targets()


def print_table(rows: list[tuple], args) -> None:
    threads = args.threads or min(4, os.cpu_count() or 1)
    print(
        f"bench_render: {os.cpu_count()} CPUs, {threads} render threads, batches of {BATCH}, "
        f"best of {args.repeats}; PIL = ImageDraw at {SS}x, box-filtered, one image at a time "
        f"({args.pil_images} images)\n"
    )
    print(
        "| benchmark | images | seconds | images/s | images/CPU-s | target | PIL 4x SS images/s (/CPU-s) "
        "| ratio (CPU-s ratio) | mean abs diff vs PIL |"
    )
    print("|---|---:|---:|---:|---:|---|---:|---:|---:|")
    for name, n, s, rate, cpu, target, pil, d in rows:
        pil_col = f"{pil[0]:,.0f} ({pil[1]:,.0f})" if pil else ""
        ratio = f"{rate / pil[0]:.1f}x ({cpu / pil[1]:.1f}x)" if pil else ""
        dcol = f"{d:.2f}" if d is not None else ""
        cpu_col = f"{cpu:,.0f}" if cpu else ""
        rate_col = f"{rate:,.0f}" if rate else ""
        print(f"| {name} | {n:,} | {s:.3f} | {rate_col} | {cpu_col} | {target} | {pil_col} | {ratio} | {dcol} |")


if __name__ == "__main__":
    main()
