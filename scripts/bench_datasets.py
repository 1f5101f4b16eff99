"""Benchmark of the benchmark-set pipeline; prints a table.

1. Preparation throughput and peak resident memory (RSS) of ``gtdata.datasets.prepare.prepare`` on a
   synthetic full-size Shapes3D ``3dshapes.h5`` (480,000 images) and MPI3D npz (1,036,800 images, one
   stored ``images.npy`` member), each run in a fresh subprocess whose peak RSS is its VmHWM. Time includes
   the sha256 of the raw file (verification) and of the output. Target: peak RSS below 2 GiB.
2. Random-access ``observations(codes, dtype=uint8)`` throughput from a prepared set in the page cache, in
   batches of random codes. Targets: 500,000 images/s for 64x64x1 and 200,000 images/s for 64x64x3.

The synthetic files need about 26 GB of free disk at full size (checked first) and are deleted afterwards.
``--scale 0.01`` runs the same code on 1 % of the images (a quick check; targets still printed).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import h5py
import numpy as np
import yaml

from gtdata.datasets.manifest import builtin_manifest_dir
from gtdata.store.prepared import PreparedData, PreparedWriter

GiB = 2**30
_CHILD = """
import json, os, resource, sys, time
from gtdata.datasets.manifest import load_manifest
from gtdata.datasets.prepare import prepare
m = load_manifest(sys.argv[1])
t = time.perf_counter()
prepare(m, download=False, progress=False)
seconds = time.perf_counter() - t
try:  # VmHWM starts afresh at exec; ru_maxrss would include the parent's RSS at fork
    peak = int(open("/proc/self/status").read().split("VmHWM:")[1].split()[0]) * 1024
except (OSError, IndexError):
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({"seconds": seconds, "peak_rss": peak}))
"""


def _unpublished_manifest(name: str, workdir: Path, sizes: list[int] | None = None) -> None:
    """A copy of the built-in manifest without checksums (synthetic bytes), optionally with a cut grid."""
    m = yaml.safe_load((builtin_manifest_dir() / f"{name}.yaml").read_text())
    for f in m["files"]:
        f.pop("checksums", None)
        f.pop("size", None)
        for s in f["sources"]:
            s.pop("checksums", None)
    if sizes is not None:
        for factor, n in zip(m["factors"], sizes):
            for key in ("values", "raw"):
                if key in factor:
                    factor[key] = factor[key][:n]
            if "range" in factor:
                factor["range"] = n
            if "linspace" in factor:
                factor["linspace"]["num"] = n
    (workdir / "manifests").mkdir(exist_ok=True)
    (workdir / "manifests" / f"{name}.yaml").write_text(yaml.safe_dump(m, sort_keys=False))


def _scaled(sizes: list[int], scale: float) -> list[int]:
    """Shrink the leading factors so the grid has about ``scale`` of its images (for quick runs)."""
    sizes = list(sizes)
    target = max(1, int(np.prod(sizes) * scale))
    for i in range(len(sizes)):
        while sizes[i] > 1 and np.prod(sizes) // sizes[i] * (sizes[i] - 1) >= target:
            sizes[i] -= 1
    return sizes


def _block(n: int, shape: tuple[int, ...], seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, size=(n, *shape), dtype=np.uint8)


def make_shapes3d(path: Path, sizes: list[int]) -> int:
    """Synthetic ``3dshapes.h5``: contiguous uint8 images and float labels in grid order. Returns N."""
    values = [
        np.linspace(0, 0.9, 10),
        np.linspace(0, 0.9, 10),
        np.linspace(0, 0.9, 10),
        np.linspace(0.75, 1.25, 8),
        np.arange(4.0),
        np.linspace(-30, 30, 15),
    ]
    n = int(np.prod(sizes))
    codes = np.stack(np.unravel_index(np.arange(n), sizes), axis=1)
    labels = np.stack([values[j][codes[:, j]] for j in range(6)], axis=1)
    block = _block(4096, (64, 64, 3), 0)
    path.parent.mkdir(parents=True, exist_ok=True)
    with h5py.File(path, "w") as h5:
        images = h5.create_dataset("images", shape=(n, 64, 64, 3), dtype=np.uint8)
        for s in range(0, n, 4096):
            k = min(4096, n - s)
            images[s : s + k] = block[:k] + np.uint8(s // 4096)
        h5.create_dataset("labels", data=labels)
    return n


def make_mpi3d(path: Path, n: int) -> int:
    """Synthetic MPI3D npz: one stored (zip64) ``images.npy`` member of uint8 (n, 64, 64, 3). Returns n."""
    block = _block(4096, (64, 64, 3), 1)
    path.parent.mkdir(parents=True, exist_ok=True)
    with (
        zipfile.ZipFile(path, "w", zipfile.ZIP_STORED, allowZip64=True) as zf,
        zf.open("images.npy", "w", force_zip64=True) as fh,
    ):
        np.lib.format.write_array_header_1_0(fh, {"descr": "|u1", "fortran_order": False, "shape": (n, 64, 64, 3)})
        for s in range(0, n, 4096):
            k = min(4096, n - s)
            fh.write((block[:k] + np.uint8(s // 4096)).tobytes())
    return n


def bench_prepare(name: str, workdir: Path) -> dict:
    env = dict(os.environ, GTDATA_HOME=str(workdir / "cache"), GTDATA_MANIFESTS=str(workdir / "manifests"))
    proc = subprocess.run([sys.executable, "-c", _CHILD, name], env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"preparing {name} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _warm(path: Path) -> None:
    with open(path, "rb") as fh:
        while fh.read(64 << 20):
            pass


def bench_random_access(path: Path, batch: int, seconds: float, dtype=np.uint8) -> float:
    """Images per second of ``observations(random codes, dtype)`` from the prepared set at ``path``."""
    data = PreparedData(path)
    _warm(path / "images.npy")
    rng = np.random.default_rng(0)
    batches = [data.sample_codes(batch, rng) for _ in range(32)]
    data.observations(batches[0], dtype=dtype)
    done, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        for codes in batches:
            data.observations(codes, dtype=dtype)
        done += batch * len(batches)
    return done / (time.perf_counter() - t0)


def make_prepared_gray(path: Path, n_sizes: list[int]) -> None:
    """A synthetic prepared 64x64x1 set on the dSprites grid, written through PreparedWriter."""
    from gtdata.core.factors import FactorSpace

    space = FactorSpace.from_sizes(n_sizes)
    block = _block(4096, (64, 64, 1), 2)
    with PreparedWriter(path, space, (64, 64, 1), name="bench_gray") as w:
        while w.remaining:
            k = min(4096, w.remaining)
            w.write(block[:k])
        w.commit()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--workdir", default=None, help="scratch directory (default: a temp dir under /work or /tmp)")
    ap.add_argument("--scale", type=float, default=1.0, help="fraction of the full sizes (default 1.0)")
    ap.add_argument("--batch", type=int, default=1024, help="codes per observations() call (default 1024)")
    ap.add_argument("--seconds", type=float, default=3.0, help="duration of each random-access run (default 3)")
    args = ap.parse_args()

    base = Path(args.workdir) if args.workdir else Path("/work" if Path("/work").is_dir() else tempfile.gettempdir())
    workdir = Path(tempfile.mkdtemp(prefix="gtdata-bench-", dir=base))
    shapes_sizes = _scaled([10, 10, 10, 8, 4, 15], args.scale)
    mpi_sizes = _scaled([6, 6, 2, 3, 3, 40, 40], args.scale)
    gray_sizes = _scaled([3, 6, 40, 32, 32], args.scale)
    need = (int(np.prod(mpi_sizes)) * 12288 * 2 + int(np.prod(shapes_sizes)) * 12288) * 1.05
    free = shutil.disk_usage(workdir).free
    print(f"scratch {workdir}: {free / GiB:.1f} GiB free, this run needs about {need / GiB:.1f} GiB")
    if free < need:
        print("not enough free disk; use --workdir elsewhere or --scale < 1", file=sys.stderr)
        shutil.rmtree(workdir)
        return 1
    rows = []
    try:
        _unpublished_manifest("shapes3d", workdir, shapes_sizes)
        t = time.perf_counter()
        n = make_shapes3d(workdir / "cache" / "raw" / "shapes3d" / "3dshapes.h5", shapes_sizes)
        print(f"generated synthetic 3dshapes.h5 ({n:,} images) in {time.perf_counter() - t:.0f} s")
        r = bench_prepare("shapes3d", workdir)
        rows.append(
            (
                "prepare Shapes3D h5",
                n,
                "64x64x3",
                r["seconds"],
                n / r["seconds"],
                r["peak_rss"] / GiB,
                "peak RSS < 2 GiB",
                r["peak_rss"] < 2 * GiB,
            )
        )
        shutil.rmtree(workdir / "cache" / "raw")
        rate = bench_random_access(workdir / "cache" / "prepared" / "shapes3d", args.batch, args.seconds)
        rows.append(
            (
                f"observations() uint8, batch {args.batch}",
                n,
                "64x64x3",
                args.seconds,
                rate,
                None,
                ">= 200,000 img/s",
                rate >= 200_000,
            )
        )
        rate32 = bench_random_access(workdir / "cache" / "prepared" / "shapes3d", args.batch, args.seconds, np.float32)
        rows.append(
            (f"observations() float32, batch {args.batch}", n, "64x64x3", args.seconds, rate32, None, "(info)", None)
        )
        shutil.rmtree(workdir / "cache")

        _unpublished_manifest("mpi3d_real", workdir, mpi_sizes)
        t = time.perf_counter()
        n = make_mpi3d(workdir / "cache" / "raw" / "mpi3d_real" / "mpi3d_real.npz", int(np.prod(mpi_sizes)))
        print(f"generated synthetic mpi3d_real.npz ({n:,} images) in {time.perf_counter() - t:.0f} s")
        r = bench_prepare("mpi3d_real", workdir)
        rows.append(
            (
                "prepare MPI3D npz",
                n,
                "64x64x3",
                r["seconds"],
                n / r["seconds"],
                r["peak_rss"] / GiB,
                "peak RSS < 2 GiB",
                r["peak_rss"] < 2 * GiB,
            )
        )
        shutil.rmtree(workdir / "cache")

        gray = workdir / "gray"
        make_prepared_gray(gray, gray_sizes)
        n = int(np.prod(gray_sizes))
        rate = bench_random_access(gray, args.batch, args.seconds)
        rows.append(
            (
                f"observations() uint8, batch {args.batch}",
                n,
                "64x64x1",
                args.seconds,
                rate,
                None,
                ">= 500,000 img/s",
                rate >= 500_000,
            )
        )
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    header = ("benchmark", "images", "shape", "time (s)", "images/s", "peak RSS (GiB)", "target", "met")
    print()
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for name, n, shape, secs, rate, rss, target, ok in rows:
        print(
            f"| {name} | {n:,} | {shape} | {secs:.1f} | {rate:,.0f} | "
            f"{'-' if rss is None else f'{rss:.2f}'} | {target} | {'-' if ok is None else ('yes' if ok else 'NO')} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
