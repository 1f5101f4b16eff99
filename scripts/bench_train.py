"""Training speed: the full gtdata trainer against a bare PyTorch loop on pre-made tensors.

For each method, rounds alternate between ``gtdata.train`` (data stream from the rendered dsprites_like set,
loss terms, NaN guard, JSONL log, checkpoints at start and end, provenance; figures off), a bare loop with
the trainer's speed settings (same model, loss and Adam(s) on a few batches rendered beforehand;
channels-last, fused Adam) and a plain bare loop (NCHW, unfused Adam: what the speed settings gain).
Reported: median steps/s over the rounds and the trainer / bare ratio (target >= 0.9). Trainer timings
include its set-up and checkpoint writes.

The pack table (``gtdata.train_pack``): K = 1, 2, 4, 8, 16 conv β-VAEs (own seeds and β) trained as one pack
against the same K trained one after the other with ``gtdata.train``; model-steps/s are steady-state rates
from the runs' logs (the first log window, with the warm-up, is dropped), so set-up and checkpoint writes are
left out on both sides. The pack runs with each convolution layout (``loop``, the CPU default, and
``grouped``, the CUDA one) and against a bare packed loop (the same PackTrainer steps without logging,
checkpoints or figures). Targets: pack / sequential >= 1.5 at K = 8 on 2 cores; trainer / bare >= 0.9.

    python scripts/bench_train.py [--threads 2] [--steps 100] [--rounds 3] [--methods beta_vae,factor_vae,ada_gvae]
                                  [--pack-sizes 1,2,4,8,16] [--pack-steps 12] [--pack-modes loop,grouped] [--skip-single]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import torch

import gtdata
from gtdata.training import TrainConfig, train, train_pack
from gtdata.training.data import BatchSource
from gtdata.training.pack import PackTrainer
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


def log_rate(run) -> float:
    """Steady-state steps/s of one run (or one pack member) from its log, the warm-up window dropped."""
    per_step = run.config.batch_size * (2 if run.config.weak else 1)
    rates = [e["images_per_s"] / per_step for e in run.log()[1:]]
    return statistics.median(rates)


def pack_round(data, k: int, steps: int, threads: int, root: Path, modes: list[str]) -> dict[str, float]:
    """Model-steps/s of K sequential single runs, of the pack in each conv mode, and of the bare packed loop."""
    common = dict(method="beta_vae", steps=steps, batch_size=64, threads=threads, device="cpu",
                  log_every=max(1, steps // 3), checkpoint_every=steps, progress=False, figures=False)
    members = [dict(seed=i, beta=1.0 + i) for i in range(k)]
    out: dict[str, float] = {}
    # K runs one after the other: K models take K times one model's step time.
    seq = [train(data, out=root / f"single-{k}-{i}", **common, **m) for i, m in enumerate(members)]
    out["sequential"] = 1.0 / sum(1.0 / log_rate(r) for r in seq)
    for mode in modes:
        runs = train_pack([dict(data=data, out=root / f"pack-{mode}-{k}-{i}", **common, **m)
                           for i, m in enumerate(members)], progress=False, figures=False, conv_mode=mode)
        out[mode] = k * log_rate(runs[0])
    configs = [TrainConfig(data="dsprites_like", **{x: v for x, v in common.items() if x not in ("progress", "figures")},
                           seed=m["seed"], hparams={"beta": m["beta"]}) for m in members]
    dirs = [root / f"bare-{k}-{i}" for i in range(k)]
    for d in dirs:
        d.mkdir()
    trainer = PackTrainer(configs, dirs, data, progress=False, conv_mode=modes[0])
    trainer.step(0)  # warm-up, as the log rates drop their first window
    start = time.perf_counter()
    for step in range(1, steps):
        trainer.step(step)
    out["bare"] = k * (steps - 1) / (time.perf_counter() - start)
    return out


def pack_table(args, data) -> None:
    sizes = [int(k) for k in args.pack_sizes.split(",")]
    modes = args.pack_modes.split(",")
    load = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    print(f"\npack table: conv beta_vae, batch 64, {args.threads} threads, {args.pack_steps} steps per run, "
          f"median of {args.rounds} rounds; machine load before: {load}")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        warm = Path(tmp) / "warm-up"
        warm.mkdir()
        pack_round(data, 1, 4, args.threads, warm, modes)  # oneDNN primitives and allocator, outside the rounds
        for k in sizes:
            results: dict[str, list[float]] = {}
            for r in range(args.rounds):
                root = Path(tmp) / f"k{k}-r{r}"
                root.mkdir()
                for name, value in pack_round(data, k, args.pack_steps, args.threads, root, modes).items():
                    results.setdefault(name, []).append(value)
            rows.append((k, {name: statistics.median(v) for name, v in results.items()}))
    load = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    print(f"machine load after: {load} ({os.cpu_count()} cores)")
    print()
    print("| K | sequential model-steps/s | " + " | ".join(f"pack [{m}] model-steps/s | pack [{m}] / sequential"
                                                        for m in modes)
          + f" | bare packed loop [{modes[0]}] | trainer / bare |")
    print("|---|---|" + "---|---|" * len(modes) + "---|---|")
    for k, med in rows:
        cells = " | ".join(f"{med[m]:.2f} | {med[m] / med['sequential']:.2f}" for m in modes)
        print(f"| {k} | {med['sequential']:.2f} | {cells} | {med['bare']:.2f} | {med[modes[0]] / med['bare']:.2f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--steps", type=int, default=100, help="steps per timed round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--methods", default="beta_vae,factor_vae,ada_gvae")
    parser.add_argument("--no-channels-last", action="store_true", help="trainer and bare loop in NCHW")
    parser.add_argument("--pack-sizes", default="1,2,4,8,16", help="K values of the pack table ('' to skip it)")
    parser.add_argument("--pack-steps", type=int, default=12, help="training steps per run in the pack table")
    parser.add_argument("--pack-modes", default="loop,grouped", help="conv layouts of the pack table")
    parser.add_argument("--skip-single", action="store_true", help="only the pack table")
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    data = gtdata.load("dsprites_like")
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, batch {args.batch_size}, "
          f"64x64x1 (dsprites_like), {args.steps} steps x {args.rounds} rounds, "
          f"channels_last={not args.no_channels_last}")
    channels_last = not args.no_channels_last
    if args.pack_sizes:
        pack_table(args, data)
    if args.skip_single:
        return
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
