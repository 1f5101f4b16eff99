"""Training speed: the full gtdata trainer against a bare PyTorch loop on pre-made tensors.

For each method, rounds alternate between ``gtdata.train`` (data stream from the rendered dsprites_like set,
loss terms, NaN guard, JSONL log, checkpoints at start and end, provenance; figures off), a bare loop with
the trainer's speed settings (same model, loss and Adam(s) on a few batches rendered beforehand;
channels-last, fused Adam) and a plain bare loop (NCHW, unfused Adam: what the speed settings gain).
Reported: median steps/s over the rounds and the trainer / bare ratio (target >= 0.9). Trainer timings
include its set-up and checkpoint writes.

    python scripts/bench_train.py [--threads 2] [--steps 100] [--rounds 3] [--methods beta_vae,factor_vae,ada_gvae]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import torch

import gtdata
from gtdata.training import TrainConfig, train
from gtdata.training.data import BatchSource
from gtdata.training.trainer import build_model


def bare_loop(data, method: str, steps: int, batch_size: int, channels_last: bool, fused: bool) -> float:
    """Steps/s of the plain loop: model, loss and Adam(s) on pre-made device batches."""
    config = TrainConfig(data="dsprites_like", method=method, batch_size=batch_size, channels_last=channels_last)
    torch.manual_seed(0)
    vae, loss = build_model(config, data.observation_shape)
    memory_format = torch.channels_last if channels_last else torch.contiguous_format
    vae.to(memory_format=memory_format)
    groups = loss.optim_groups(vae)
    optimizers = [torch.optim.Adam(g.params, lr=1e-4, betas=g.betas, eps=1e-8, fused=fused) for g in groups]
    source = BatchSource(data, batch_size, 0, torch.device("cpu"), weak=config.weak, channels_last=channels_last)
    batches = [source.batch(i) for i in range(8)]
    start = time.perf_counter()
    for step in range(steps):
        terms = loss.loss(vae, batches[step % len(batches)], step)
        for opt in optimizers:
            opt.zero_grad(set_to_none=True)
        if len(groups) == 1:
            terms["loss"].backward()
        else:
            for i, group in enumerate(groups):
                terms[group.loss_key].backward(inputs=group.params, retain_graph=i < len(groups) - 1)
        for opt in optimizers:
            opt.step()
    return steps / (time.perf_counter() - start)


def trainer_run(data, method: str, steps: int, batch_size: int, channels_last: bool, threads: int, root: Path,
                tag: str) -> float:
    start = time.perf_counter()
    train(data, method, steps=steps, out=root / tag, batch_size=batch_size, threads=threads,
          channels_last=channels_last, progress=False, figures=False)
    return steps / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--steps", type=int, default=100, help="steps per timed round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--methods", default="beta_vae,factor_vae,ada_gvae")
    parser.add_argument("--no-channels-last", action="store_true", help="trainer and bare loop in NCHW")
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    data = gtdata.load("dsprites_like")
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, batch {args.batch_size}, "
          f"64x64x1 (dsprites_like), {args.steps} steps x {args.rounds} rounds, "
          f"channels_last={not args.no_channels_last}")
    channels_last = not args.no_channels_last
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for method in args.methods.split(","):
            # Warm-up (allocator, oneDNN primitive caches) outside the timed rounds.
            bare_loop(data, method, 3, args.batch_size, channels_last, True)
            timings: dict[str, list[float]] = {"trainer": [], "bare": [], "plain": []}
            for r in range(args.rounds):
                timings["trainer"].append(trainer_run(data, method, args.steps, args.batch_size, channels_last,
                                                      args.threads, root, f"{method}-{r}"))
                timings["bare"].append(bare_loop(data, method, args.steps, args.batch_size, channels_last, True))
                timings["plain"].append(bare_loop(data, method, args.steps, args.batch_size, False, False))
            t, b, p = (statistics.median(timings[k]) for k in ("trainer", "bare", "plain"))
            images = args.batch_size * (2 if TrainConfig(data="toy", method=method).weak else 1)
            rows.append((method, t, b, t / b, p, t * images))
    print()
    print("| method | trainer steps/s | bare loop steps/s | ratio | plain bare loop steps/s | trainer images/s |")
    print("|---|---|---|---|---|---|")
    for method, t, b, ratio, p, ips in rows:
        print(f"| {method} | {t:.2f} | {b:.2f} | {ratio:.2f} | {p:.2f} | {ips:.0f} |")


if __name__ == "__main__":
    main()
