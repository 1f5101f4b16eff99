"""Throughput of the causal regimes (gtdata.causal) on the dSprites grid and a dSprites-sized prepared set.

Rows (median of ``--repeats`` rounds after a warm-up; the machine is shared, so ratios to a reference measured
in the same process are the numbers to compare):

- SCM code sampling, a 5-node discrete SCM over the dSprites grid (every mechanism kind), 1,000,000 codes;
- ``log_prob`` of 1,000,000 codes, and the joint probability of all 737,280 grid points;
- the cost of building a correlated SCM (both methods) on the full dSprites grid;
- ``with_distribution`` observations (float32, 4,096 per batch, prepared 737,280 × 64 × 64 × 1 set), as a
  ratio to the uniform stream's rate (target ≥ 0.8);
- counterfactual pairs with both observations (float32), next to ``sample_pairs``'s rate (target ≥ 100,000/s).

    python scripts/bench_causal.py [--dir DIR] [--repeats 5] [--keep]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
from bench_sampling import build  # the same dSprites-sized prepared set as the core's benchmark

from gtdata.causal import SCM, AdditiveNoise, Categorical, Table, correlated, counterfactual_pairs

BATCH = 4096
N_CODES = 1_000_000


def median_seconds(fn, repeats: int) -> float:
    fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def five_node_scm(space) -> SCM:
    """shape -> scale -> orientation -> posX -> posY (and shape -> posY): categorical, tables, additive noise."""
    rng = np.random.default_rng(0)
    return SCM(
        space,
        {
            "shape": Categorical([0.5, 0.3, 0.2]),
            "scale": Table(["shape"], rng.random((3, 6)) + 0.1),
            "orientation": AdditiveNoise({"scale": 4.0}, scale=0.8),
            "posX": Table(["orientation"], rng.random((40, 32)) ** 4),
            "posY": AdditiveNoise({"posX": 0.7, "shape": 0.1}, scale=0.15, space="unit"),
        },
        name="bench_chain",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dir", type=Path, default=None)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--keep", action="store_true", help="keep the 3 GB scratch set")
    args = parser.parse_args()
    scratch = args.dir or Path(tempfile.mkdtemp(prefix="gtdata-bench-"))
    data = build(scratch / "dsprites_sized")
    np.asarray(data.images).sum(dtype=np.uint64)  # pull the file into the page cache
    space = data.factor_space
    scm = five_node_scm(space)
    r = args.repeats
    rows: list[tuple[str, str, str]] = []

    t = median_seconds(lambda: scm.sample_codes(N_CODES, 0), r)
    rows.append(("SCM sample_codes, 5 nodes, dSprites grid", f"{N_CODES / t:,.0f} codes/s", "≥ 2,000,000"))
    codes = scm.sample_codes(N_CODES, 1)
    t = median_seconds(lambda: scm.log_prob(codes), r)
    rows.append(("SCM log_prob", f"{N_CODES / t:,.0f} codes/s", ""))
    t = median_seconds(scm.prob_table, r)
    rows.append(("SCM prob_table (all 737,280 grid points)", f"{t * 1e3:,.0f} ms", ""))
    t = median_seconds(lambda: correlated(space, ("orientation", "posX"), 0.2), r)
    rows.append(("build correlated(orientation~posX), gaussian", f"{t * 1e3:,.2f} ms", ""))
    t = median_seconds(lambda: correlated(space, ("orientation", "posX"), 0.2, method="traeuble"), r)
    rows.append(("build correlated(orientation~posX), traeuble", f"{t * 1e3:,.2f} ms", ""))
    t = median_seconds(
        lambda: correlated(space, [("orientation", "posX"), ("posX", "posY"), ("scale", "shape")], [0.2, 0.3, 0.4]), r
    )
    rows.append(("build correlated, 3 pairs (a 40x32x32 block)", f"{t * 1e3:,.1f} ms", ""))

    view = data.with_distribution(scm)
    starts = iter(range(0, 10**9, BATCH))
    t_uni = median_seconds(lambda: data.stream(BATCH, 0, start=next(starts)), r)
    t_scm = median_seconds(lambda: view.stream(BATCH, 0, start=next(starts)), r)
    rows.append(("uniform stream, float32 observations", f"{BATCH / t_uni:,.0f} img/s", "reference"))
    rows.append(
        ("with_distribution(scm) stream, float32", f"{BATCH / t_scm:,.0f} img/s", f"ratio {t_uni / t_scm:.2f} (≥ 0.8)")
    )
    split_view = view.split("posX < 0.8")
    t_split = median_seconds(lambda: split_view.stream(BATCH, 0, start=next(starts)), r)
    rows.append(
        ("with_distribution(scm) + split, float32", f"{BATCH / t_split:,.0f} img/s", f"ratio {t_uni / t_split:.2f}")
    )

    t_pairs = median_seconds(lambda: data.sample_pairs(BATCH, k=1, rng=0, start=next(starts)), r)
    t_cf = median_seconds(lambda: counterfactual_pairs(data, scm, BATCH, rng=0, start=next(starts)), r)
    t_cf8 = median_seconds(lambda: counterfactual_pairs(data, scm, BATCH, rng=0, start=next(starts), dtype=np.uint8), r)
    rows.append(("sample_pairs(k=1), float32", f"{BATCH / t_pairs:,.0f} pairs/s", "reference"))
    rows.append(("counterfactual_pairs, float32", f"{BATCH / t_cf:,.0f} pairs/s", "≥ 100,000"))
    rows.append(("counterfactual_pairs, uint8", f"{BATCH / t_cf8:,.0f} pairs/s", ""))

    print(f"| {'operation':<46} | {'rate / time':>20} | {'target':<22} |")
    print(f"|{'-' * 48}|{'-' * 22}|{'-' * 24}|")
    for name, value, target in rows:
        print(f"| {name:<46} | {value:>20} | {target:<22} |")
    if not args.keep and args.dir is None:
        shutil.rmtree(scratch)


if __name__ == "__main__":
    main()
