"""GPU pack rates (run by scripts/device_check.sh): model-steps/s of K packed conv beta-VAEs at batch 64 on
64x64x1, per conv layout, the memory per model, and the GPU data path's images/s.

    python scripts/bench_pack_gpu.py [--sizes 1,8,32,64] [--steps 20] [--device cuda] [--precisions fp32,bf16]

Rates are bare PackTrainer steps (the trainer's own logging adds a sync per log line); medians of 3 timed
windows after 3 warm-up steps. Target (issue 12): >= 5,000 model-steps/s on one current datacenter GPU.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from gtdata import Factor, FactorSpace, PreparedData, PreparedWriter
from gtdata.training import TrainConfig
from gtdata.training.device_data import DeviceBatchSource
from gtdata.training.pack import PackTrainer


def synthetic_prepared(root: Path, orientations: int) -> PreparedData:
    """A dsprites-like prepared store (3 x 6 x orientations x 32 x 32 images of 64x64x1) of random bytes."""
    space = FactorSpace(
        [
            Factor("shape", [0, 1, 2]),
            Factor("scale", list(range(6))),
            Factor("orientation", list(range(orientations))),
            Factor("x", list(range(32))),
            Factor("y", list(range(32))),
        ]
    )
    rng = np.random.default_rng(0)
    chunk = 3 * 6 * 32 * 32
    with PreparedWriter(root / "set", space, (64, 64, 1), name="random_dsprites") as writer:
        for _ in range(orientations):
            writer.write(rng.integers(0, 2, size=(chunk, 64, 64, 1), dtype=np.uint8) * 255)
        writer.commit()
    return PreparedData(root / "set")


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1,8,32,64")
    parser.add_argument("--steps", type=int, default=20, help="steps per timed window")
    parser.add_argument("--modes", default="grouped,loop")
    parser.add_argument("--precisions", default="fp32", help="fp32 and/or bf16 (TrainConfig.precision)")
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--orientations", type=int, default=10, help="store size: 18,432 images per orientation")
    args = parser.parse_args()
    device = torch.device(args.device)
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        data = synthetic_prepared(Path(tmp), args.orientations)
        print(
            f"store: {data.images.nbytes / 2**20:.0f} MiB prepared in {time.perf_counter() - t:.0f} s; "
            f"device {torch.cuda.get_device_name(device) if device.type == 'cuda' else device}"
        )
        source = DeviceBatchSource(data, 64, 0, device)
        source.batch(0)
        sync(device)
        t = time.perf_counter()
        for step in range(1, 201):
            source.batch(step)
        sync(device)
        print(
            f"GPU data path: {200 * 64 / (time.perf_counter() - t):,.0f} images/s (batch 64, store on device: "
            f"{source.store.on_device})"
        )
        print("\n| K | conv layout | precision | model-steps/s | memory per model MiB |")
        print("|---:|---|---|---:|---:|")
        best = (0.0, None)
        layouts = [(mode, precision) for mode in args.modes.split(",") for precision in args.precisions.split(",")]
        for k in [int(s) for s in args.sizes.split(",")]:
            for mode, precision in layouts:
                configs = [
                    TrainConfig(
                        data="random_dsprites",
                        seed=i,
                        hparams={"beta": 1.0 + i % 6},
                        device=args.device,
                        batch_size=64,
                        precision=precision,
                    )
                    for i in range(k)
                ]
                dirs = [Path(tmp) / f"k{k}-{mode}-{precision}-{i}" for i in range(k)]
                for d in dirs:
                    d.mkdir()
                if device.type == "cuda":
                    torch.cuda.empty_cache()
                    torch.cuda.reset_peak_memory_stats(device)
                    base = torch.cuda.memory_allocated(device)
                try:
                    trainer = PackTrainer(configs, dirs, data, progress=False, conv_mode=mode)
                    for step in range(3):
                        trainer.step(step)
                    rates = []
                    for window in range(3):
                        sync(device)
                        t = time.perf_counter()
                        for step in range(args.steps):
                            trainer.step(3 + window * args.steps + step)
                        sync(device)
                        rates.append(k * args.steps / (time.perf_counter() - t))
                except torch.cuda.OutOfMemoryError:
                    print(f"| {k} | {mode} | {precision} | out of memory | |")
                    continue
                rate = statistics.median(rates)
                memory = (
                    (torch.cuda.max_memory_allocated(device) - base) / k / 2**20
                    if device.type == "cuda"
                    else float("nan")
                )
                print(f"| {k} | {mode} | {precision} | {rate:,.0f} | {memory:,.0f} |", flush=True)
                best = max(best, (rate, (k, f"{mode}, {precision}")))
                del trainer
        print(
            f"\nbest: {best[0]:,.0f} model-steps/s at K = {best[1][0]} ({best[1][1]}); target >= 5,000; "
            f"reference study (14,400 models x 300,000 steps) at that rate: "
            f"{14400 * 300000 / max(best[0], 1e-9) / 86400:,.1f} days on this device"
        )


if __name__ == "__main__":
    main()
