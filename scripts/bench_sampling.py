"""Sampling throughput of the core on a dSprites-sized prepared set (737,280 × 64 × 64 × 1 uint8).

Writes the set once into a scratch directory (3 GB; ``--dir``, default a temp dir), then measures with the
file in the page cache: ``observations`` on batches of 4,096 random codes (uint8 and float32),
``sample_pairs(4096, k="random")`` with both observations, and the batched ``BatchStream`` through a
DataLoader for several worker counts. Prints a table (images or pairs per second, best of ``--repeats``).

    python scripts/bench_sampling.py [--dir DIR] [--repeats 5] [--keep]
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import DataLoader

from gtdata import Factor, FactorSpace, PreparedData, PreparedWriter
from gtdata.torchdata import BatchStream

BATCH = 4096


def build(path: Path) -> PreparedData:
    if (path / "dataset.yaml").exists():
        return PreparedData(path)
    space = FactorSpace(
        [
            Factor("shape", ["square", "ellipse", "heart"]),
            Factor("scale", np.linspace(0.5, 1, 6)),
            Factor("orientation", np.linspace(0, 2 * np.pi, 40), unit="radians"),
            Factor("posX", np.linspace(0, 1, 32)),
            Factor("posY", np.linspace(0, 1, 32)),
        ]
    )
    rng = np.random.default_rng(0)
    chunk = rng.integers(0, 2, (8192, 64, 64, 1), dtype=np.uint8) * 255
    with PreparedWriter(path, space, (64, 64, 1), name="bench_dsprites") as writer:
        while writer.remaining:
            writer.write(chunk[: min(len(chunk), writer.remaining)])
        writer.commit()
    return PreparedData(path)


def best_rate(fn, items: int, repeats: int) -> float:
    fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return items / min(times)


def loader_rate(data, workers: int, dtype: torch.dtype, batches: int) -> float:
    stream = BatchStream(data, BATCH, seed=0, num_batches=batches + 2 * max(workers, 1), dtype=dtype)
    loader = DataLoader(
        stream, batch_size=None, num_workers=workers, persistent_workers=False, prefetch_factor=4 if workers else None
    )
    it = iter(loader)
    for _ in range(max(workers, 1) * 2):
        next(it)
    t0 = time.perf_counter()
    for _ in range(batches):
        x, _ = next(it)
        assert x.shape[0] == BATCH
    rate = batches * BATCH / (time.perf_counter() - t0)
    del it
    return rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dir", type=Path, default=None)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--keep", action="store_true", help="keep the 3 GB scratch set")
    args = parser.parse_args()
    scratch = args.dir or Path(tempfile.mkdtemp(prefix="gtdata-bench-"))
    t0 = time.perf_counter()
    data = build(scratch / "dsprites_sized")
    build_s = time.perf_counter() - t0
    np.asarray(data.images).sum(dtype=np.uint64)  # pull the file into the page cache
    torch.set_num_threads(2)
    rng = np.random.default_rng(1)
    codes = data.sample_codes(BATCH, rng)
    flat = data.factor_space.codes_to_index(codes)
    in_ram = np.asarray(data.images).copy()
    rows = [
        (
            "numpy gather from RAM (reference)",
            "uint8",
            best_rate(lambda in_ram=in_ram: in_ram[flat], BATCH, args.repeats),
            "img/s",
        ),
        (
            "observations(4096 random codes)",
            "uint8",
            best_rate(lambda: data.observations(codes, dtype=np.uint8), BATCH, args.repeats),
            "img/s",
        ),
        (
            "observations(4096 random codes)",
            "float32",
            best_rate(lambda: data.observations(codes), BATCH, args.repeats),
            "img/s",
        ),
        (
            "sample_pairs(4096, k='random')",
            "float32",
            best_rate(lambda: data.sample_pairs(BATCH, k="random", rng=3), BATCH, args.repeats),
            "pairs/s",
        ),
        (
            "sample_pairs(4096, k='random')",
            "uint8",
            best_rate(lambda: data.sample_pairs(BATCH, k="random", rng=3, dtype=np.uint8), BATCH, args.repeats),
            "pairs/s",
        ),
    ]
    del in_ram
    for workers in (0, 1, 2):
        for dtype in (torch.float32, torch.uint8):
            rows.append(
                (
                    f"BatchStream + DataLoader, {workers} workers",
                    str(dtype).replace("torch.", ""),
                    loader_rate(data, workers, dtype, batches=20),
                    "img/s",
                )
            )
    print(f"prepared set: 737,280 x 64x64x1 uint8 written in {build_s:.1f} s (incl. checksum)")
    print(f"| {'operation':<42} | {'dtype':<7} | {'rate':>12} | unit    |")
    print(f"|{'-' * 44}|{'-' * 9}|{'-' * 14}|---------|")
    for name, dtype, rate, unit in rows:
        print(f"| {name:<42} | {dtype:<7} | {rate:>12,.0f} | {unit:<7} |")
    if not args.keep and args.dir is None:
        shutil.rmtree(scratch)


if __name__ == "__main__":
    main()
