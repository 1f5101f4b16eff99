"""Study throughput: runs/hour of the `quick` preset locally (1 and 2 worker processes) and on a local Ray
instance, the Ray executor's overhead per run, and the `--dry-run` plan of the `reference` preset.

    python scripts/bench_study.py [--seeds N] [--steps N] [--skip-plan] [--noop-runs N]

Timings depend on the machine's load; each configuration runs once into a fresh temporary directory.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from gtdata.study import LocalExecutor, RayExecutor, preset, run_study
from gtdata.study.executors import RunTask


def noop_run(task: RunTask) -> dict:
    """A run that does nothing: what is left is the executor's own cost."""
    return {"rows": {rep: {"noop.value": float(task.run.seed)} for rep in task.representations}}


def timed_study(spec, out: Path, executor, tables: dict) -> tuple[float, int, int]:
    start = time.perf_counter()
    table = run_study(spec, out, executor=executor, progress=False)
    wall = time.perf_counter() - start
    tables[str(out)] = table
    runs = table.drop_duplicates("run_id")
    return wall, len(runs), int((runs["status"] != "ok").sum())


def metric_columns(table) -> list[str]:
    """Columns that must not depend on the executor (scores, training losses), not timings or paths."""
    return ["run_id", "representation"] + [
        c for c in table.columns if "." in c and not c.startswith("provenance.") and not c.startswith("hparam.")
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=None, help="override the quick preset's number of seeds")
    parser.add_argument("--steps", type=int, default=None, help="override the quick preset's training steps")
    parser.add_argument("--noop-runs", type=int, default=60, help="no-op runs for the overhead measurement")
    parser.add_argument("--skip-plan", action="store_true", help="do not print the reference plan")
    args = parser.parse_args()

    import ray

    overrides = {k: v for k, v in (("seeds", args.seeds), ("steps", args.steps)) if v is not None}
    quick = preset("quick", **overrides)
    print(
        f"machine: {os.cpu_count()} cores; quick preset: {quick.num_runs} runs x {quick.steps} steps, "
        f"{len(quick.metrics)} metrics (reduced sizes), {quick.threads} thread(s) per run"
    )
    rows = []
    tables: dict = {}
    with tempfile.TemporaryDirectory(prefix="gtdata-bench-study-") as tmp:
        tmp = Path(tmp)
        for name, executor in (("local", LocalExecutor(1)), ("local", LocalExecutor(2))):
            wall, n, failed = timed_study(quick, tmp / f"{name}{executor.workers}", executor, tables)
            rows.append((name, executor.workers, n, failed, wall))
        start = time.perf_counter()
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
        ray_start_s = time.perf_counter() - start
        try:
            wall, n, failed = timed_study(quick, tmp / "ray", RayExecutor(), tables)
            rows.append(("ray (local, 2 CPUs)", 2, n, failed, wall))
            noop = preset("quick", seeds=max(1, args.noop_runs // 3))
            start = time.perf_counter()
            table = run_study(noop, tmp / "noop_local", executor=LocalExecutor(1), run_fn=noop_run, progress=False)
            noop_local = time.perf_counter() - start
            n_noop = table["run_id"].nunique()
            start = time.perf_counter()
            run_study(noop, tmp / "noop_ray", executor=RayExecutor(), run_fn=noop_run, progress=False)
            noop_ray = time.perf_counter() - start
        finally:
            ray.shutdown()

    print("\n| executor | workers | runs | failed | wall s | runs/hour |")
    print("|---|---|---|---|---|---|")
    for name, workers, n, failed, wall in rows:
        print(f"| {name} | {workers} | {n} | {failed} | {wall:.1f} | {3600 * n / wall:.1f} |")
    first, *others = tables.values()
    cols = metric_columns(first)
    differing = sorted({c for t in others for c in cols if not first[c].equals(t[c])})
    print(
        f"\nscores and training losses ({len(cols) - 2} columns) identical across the three executors: "
        + ("yes" if not differing else f"NO, differing: {', '.join(differing)}")
    )
    print(f"Ray: ray.init of a local 2-CPU instance {ray_start_s:.1f} s (not in the wall times above).")
    print(
        f"Ray overhead per run (no-op run function, {n_noop} runs, results written as usual): "
        f"local {1000 * noop_local / n_noop:.1f} ms/run, ray {1000 * noop_ray / n_noop:.1f} ms/run, "
        f"overhead {1000 * (noop_ray - noop_local) / n_noop:.1f} ms/run"
    )
    local2 = next(r for r in rows if r[0] == "local" and r[1] == 2)
    ray_row = rows[-1]
    print(f"Ray against 2 local workers on quick: {(ray_row[4] - local2[4]) / ray_row[2]:+.1f} s/run")

    if not args.skip_plan:
        from gtdata.study.plan import make_plan

        print("\n--dry-run plan of the reference preset:\n")
        print(make_plan(preset("reference")).render())


if __name__ == "__main__":
    main()
