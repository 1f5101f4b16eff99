"""Training speed: the full gtdata trainer against a bare PyTorch loop on pre-made tensors.

For each method, rounds alternate between ``gtdata.train`` (data stream from the rendered dsprites_like set,
loss terms, NaN guard, JSONL log, checkpoints at start and end, provenance; figures off), a bare loop with
the trainer's speed settings (same model, loss and Adam(s) on a few batches rendered beforehand;
channels-last, fused Adam) and a plain bare loop (NCHW, unfused Adam: what the speed settings gain).
Reported: median steps/s over the rounds and the trainer / bare ratio (target >= 0.9). Trainer timings
include its set-up and checkpoint writes.

The pack table (``gtdata.train_pack``): K = 1, 2, 4, 8, 16 conv β-VAEs (own seeds and β) stepped as one pack
against the same K stepped one after the other by the single-run Trainer (each warmed up by one step first,
set-up untimed), in model-steps per wall second and per CPU second of this process (the second is steadier
when other programs share the cores). The pack runs with each convolution layout (``loop``, the CPU default:
members step on min(threads, K) worker threads of one intra-op thread each, and ``grouped``, the CUDA one);
"sequential, 1 thread" is the same single runs with threads=1, i.e. what each member computes, so the table
shows how much of the gain is member-level against intra-op parallelism. The packed trainer's whole loop (a
log line per step, checkpoints at start and end) is timed against a bare packed loop of the same steps; with
few steps its start and end checkpoints weigh more than they do in a real run. Targets: pack / sequential
>= 1.5 at K = 8 on 2 cores; trainer / bare >= 0.9.

    python scripts/bench_train.py [--threads 2] [--steps 100] [--rounds 3] [--methods beta_vae,factor_vae,ada_gvae]
                                  [--pack-sizes 1,2,4,8,16] [--pack-steps 12] [--pack-modes loop,grouped]
                                  [--trainer-steps N] [--skip-single]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import torch

import gtdata
from gtdata.training import TrainConfig, train
from gtdata.training.data import BatchSource
from gtdata.training.pack import PackTrainer
from gtdata.training.trainer import Trainer, build_model


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


def trainer_run(
    data, method: str, steps: int, batch_size: int, channels_last: bool, threads: int, root: Path, tag: str
) -> float:
    start = time.perf_counter()
    train(
        data,
        method,
        steps=steps,
        out=root / tag,
        batch_size=batch_size,
        threads=threads,
        channels_last=channels_last,
        progress=False,
        figures=False,
    )
    return steps / (time.perf_counter() - start)


def _timed(fn) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process) of ``fn()``."""
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - wall, time.process_time() - cpu


def pack_round(
    data, k: int, steps: int, threads: int, root: Path, modes: list[str], trainer_steps: int | None = None
) -> dict[str, tuple[float, float]]:
    """Model-steps per wall second and per CPU second: K single runs one after the other, the pack in each conv
    layout (bare steps), and the packed trainer's whole loop (logs, checkpoints at start and end) vs bare."""
    common = dict(
        data="dsprites_like",
        method="beta_vae",
        steps=steps,
        batch_size=64,
        threads=threads,
        device="cpu",
        log_every=1,
        checkpoint_every=steps,
    )
    configs = [TrainConfig(seed=i, hparams={"beta": 1.0 + i}, **common) for i in range(k)]
    counter = iter(range(10**6))

    def fresh_dirs(n: int) -> list[Path]:
        dirs = [root / f"d{next(counter)}" for _ in range(n)]
        for d in dirs:
            d.mkdir()
        return dirs

    def steps_of(trainer) -> None:
        for step in range(1, steps + 1):
            trainer.step(step)

    out: dict[str, tuple[float, float]] = {}
    wall = cpu = 0.0
    for config, d in zip(configs, fresh_dirs(k)):  # one model after the other, each warmed up by one step
        trainer = Trainer(config, d, data, progress=False, figures=False)
        trainer.step(0)
        w, c = _timed(lambda t=trainer: steps_of(t))
        wall, cpu = wall + w, cpu + c
    out["sequential"] = (k * steps / wall, k * steps / cpu)
    # The same single runs with one thread each: what a pack member computes (see gtdata.training.pack).
    wall = cpu = 0.0
    for config, d in zip(configs, fresh_dirs(k)):
        trainer = Trainer(replace(config, threads=1), d, data, progress=False, figures=False)
        trainer.step(0)
        w, c = _timed(lambda t=trainer: steps_of(t))
        wall, cpu = wall + w, cpu + c
    torch.set_num_threads(threads)
    out["sequential_1t"] = (k * steps / wall, k * steps / cpu)
    for mode in modes:
        pack = PackTrainer(configs, fresh_dirs(k), data, progress=False, conv_mode=mode)
        pack.step(0)
        w, c = _timed(lambda p=pack: steps_of(p))
        pack.close()
        out[mode] = (k * steps / w, k * steps / c)
    # Trainer against bare: both from a cold start for the same steps; the trainer also logs every step and
    # writes the members' checkpoints at step 0 and at the end (figures off).
    steps = trainer_steps or steps
    configs = [replace(c, steps=steps, checkpoint_every=steps) for c in configs]
    bare = PackTrainer(configs, fresh_dirs(k), data, progress=False, conv_mode=modes[0])
    w_bare, c_bare = _timed(lambda: [bare.step(s) for s in range(steps)])
    bare.close()
    full = PackTrainer(configs, fresh_dirs(k), data, progress=False, figures=False, conv_mode=modes[0])
    w_full, c_full = _timed(lambda: full.run(stop=steps))
    out["bare"] = (k * steps / w_bare, k * steps / c_bare)
    out["trainer"] = (k * steps / w_full, k * steps / c_full)
    return out


def pack_table(args, data) -> None:
    sizes = [int(k) for k in args.pack_sizes.split(",")]
    modes = args.pack_modes.split(",")
    load = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    print(
        f"\npack table: conv beta_vae, batch 64, {args.threads} threads, {args.pack_steps} timed steps "
        f"({args.trainer_steps or args.pack_steps} for trainer vs bare), median of {args.rounds} rounds; "
        f"machine load before: {load}",
        flush=True,
    )
    print("model-steps per wall second (per CPU second of this process in brackets: steadier on a shared machine)")
    print()
    print(
        "| K | sequential | sequential, 1 thread | "
        + " | ".join(f"pack [{m}] | ratio [{m}]" for m in modes)
        + " | packed trainer | bare packed loop | trainer / bare |"
    )
    print("|---|---|---|" + "---|---|" * len(modes) + "---|---|---|", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        warm = Path(tmp) / "warm-up"
        warm.mkdir()
        pack_round(data, 1, 2, args.threads, warm, modes)  # oneDNN primitives and allocator, outside the rounds
        for k in sizes:
            results: dict[str, list[tuple[float, float]]] = {}
            for r in range(args.rounds):
                root = Path(tmp) / f"k{k}-r{r}"
                root.mkdir()
                for name, value in pack_round(
                    data, k, args.pack_steps, args.threads, root, modes, args.trainer_steps
                ).items():
                    results.setdefault(name, []).append(value)
            med = {
                name: (statistics.median(v[0] for v in vals), statistics.median(v[1] for v in vals))
                for name, vals in results.items()
            }
            cell = lambda name, med=med: f"{med[name][0]:.2f} ({med[name][1]:.2f})"  # noqa: E731
            ratio = lambda a, b, med=med: f"{med[a][0] / med[b][0]:.2f} ({med[a][1] / med[b][1]:.2f})"  # noqa: E731
            cells = " | ".join(f"{cell(m)} | {ratio(m, 'sequential')}" for m in modes)
            print(
                f"| {k} | {cell('sequential')} | {cell('sequential_1t')} | {cells} | {cell('trainer')} | "
                f"{cell('bare')} | "
                f"{ratio('trainer', 'bare')} |",
                flush=True,
            )
    load = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    print(f"machine load after: {load} ({os.cpu_count()} cores)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--steps", type=int, default=100, help="steps per timed round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--methods", default="beta_vae,factor_vae,ada_gvae")
    parser.add_argument("--no-channels-last", action="store_true", help="trainer and bare loop in NCHW")
    parser.add_argument("--pack-sizes", default="1,2,4,8,16", help="K values of the pack table ('' to skip it)")
    parser.add_argument("--pack-steps", type=int, default=4, help="timed steps per model in the pack table")
    parser.add_argument("--pack-modes", default="loop,grouped", help="conv layouts of the pack table")
    parser.add_argument(
        "--trainer-steps",
        type=int,
        default=None,
        help="steps of the packed trainer vs bare loop columns (default: --pack-steps)",
    )
    parser.add_argument("--skip-single", action="store_true", help="only the pack table")
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    data = gtdata.load("dsprites_like")
    print(
        f"torch {torch.__version__}, {torch.get_num_threads()} threads, batch {args.batch_size}, "
        f"64x64x1 (dsprites_like), {args.steps} steps x {args.rounds} rounds, "
        f"channels_last={not args.no_channels_last}"
    )
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
                timings["trainer"].append(
                    trainer_run(
                        data, method, args.steps, args.batch_size, channels_last, args.threads, root, f"{method}-{r}"
                    )
                )
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
