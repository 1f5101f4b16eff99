"""Time per call of the identifiability metrics (MCC, R², InfoMEC) on arrays: N = 10,000 points, L = 10 latents,
F = 5 factors with 10 values each (latents: a noisy linear mixture of the factors). Prints a markdown table: median
seconds over `--rounds` calls (the kernel ridge R², which costs seconds, over `--kernel-rounds`). Timings on a
shared machine are noisy.

    python scripts/bench_identifiability.py
    python scripts/bench_identifiability.py --num 2000 --rounds 5 --kernel-rounds 1
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from gtdata.metrics.arrays import infomec, mcc, r2


def median_seconds(call, rounds: int) -> float:
    times = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        call()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--num", type=int, default=10000, help="points N (default 10,000)")
    parser.add_argument("--latents", type=int, default=10, help="latent dimensions L (default 10)")
    parser.add_argument("--factors", type=int, default=5, help="factors F (default 5)")
    parser.add_argument("--rounds", type=int, default=3, help="calls per metric; the median is printed (default 3)")
    parser.add_argument("--kernel-rounds", type=int, default=1, help="calls of the kernel ridge R² (default 1)")
    args = parser.parse_args()

    rng = np.random.default_rng(0)
    factors = rng.integers(0, 10, size=(args.num, args.factors))
    latents = factors @ rng.normal(size=(args.factors, args.latents)) + rng.normal(size=(args.num, args.latents))
    half = args.num // 2
    quantised = np.round(latents)
    cases = [
        ("mcc pearson", lambda: mcc(latents, factors), args.rounds),
        ("mcc spearman", lambda: mcc(latents, factors, "spearman"), args.rounds),
        (
            "mcc out-of-sample (N/2 + N/2)",
            lambda: mcc(latents[:half], factors[:half], latents_test=latents[half:], factors_test=factors[half:]),
            args.rounds,
        ),
        ("r2 linear (N/2 fit, N/2 test)", lambda: r2(latents, factors, rng=0), args.rounds),
        (
            "r2 kernel_ridge (2,000 of N/2 fit)",
            lambda: r2(latents, factors, regressor="kernel_ridge", rng=0),
            args.kernel_rounds,
        ),
        ("infomec continuous", lambda: infomec(latents, factors, rng=0), args.rounds),
        ("infomec discrete (rounded latents)", lambda: infomec(quantised, factors, discrete_latents=True), args.rounds),
    ]
    print(f"N = {args.num:,}, L = {args.latents}, F = {args.factors}\n")
    print("| metric | median s per call | rounds |")
    print("|---|---|---|")
    for name, call, rounds in cases:
        print(f"| {name} | {median_seconds(call, rounds):.3f} | {rounds} |", flush=True)


if __name__ == "__main__":
    main()
