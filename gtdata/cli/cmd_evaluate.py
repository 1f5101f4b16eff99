"""``gtdata evaluate RUN_DIR``: score a trained run with the metric suite, write metrics.json, print a table."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from gtdata.core.errors import InvalidValueError, MissingFileError

# The metric table loads no scikit-learn (each metric's module is imported when it runs), so the parser reads
# the names from it.
from gtdata.metrics.evaluate import METRIC_NAMES, REPRESENTATIONS, STUDY_METRICS

# Per-factor and per-pair keys are many; the printed table keeps the aggregates (metrics.json has all of them).
_DETAIL = re.compile(r"(_factor_\d+$|:pred\d+:sens\d+$|:reduced_factor_\d+:)")


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "evaluate",
        help="score a trained run with the metric suite (writes metrics.json)",
        description="Evaluate a run directory written by `gtdata train` with disentanglement metrics at the "
        "reference study's defaults, write RUN_DIR/metrics.json (scores + provenance: versions, seeds, sizes) "
        "atomically and print the scores. Metrics: " + ", ".join(METRIC_NAMES) + ".",
    )
    p.add_argument("run_dir", metavar="RUN_DIR", help="run directory written by `gtdata train`")
    p.add_argument(
        "--metrics",
        nargs="+",
        default=list(STUDY_METRICS),
        metavar="METRIC",
        help="metrics to compute (default: the study's suite: " + " ".join(STUDY_METRICS) + "); 'all' for every metric",
    )
    p.add_argument(
        "--representation",
        choices=REPRESENTATIONS,
        default=REPRESENTATIONS[0],
        help="encoder mean (default) or a posterior sample",
    )
    p.add_argument("--seed", type=int, default=0, help="suite seed (default 0); same seed, same scores")
    p.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="METRIC.OPTION=VALUE",
        help="override a metric's default, e.g. --set dci.num_train=2000 --set downstream_boosted_trees.num_train=[100,1000]",
    )
    p.add_argument(
        "--output",
        default=None,
        help="where to write the JSON (default RUN_DIR/metrics.json, RUN_DIR/metrics_sampled.json for --representation sampled)",
    )
    p.add_argument(
        "--n-jobs", type=int, default=None, help="processes for the per-factor classifier fits (default: all cores)"
    )
    p.add_argument(
        "--encode-batch-size", type=int, default=512, help="images per encoder call (bounds memory; default 512)"
    )
    p.add_argument("--device", default="auto", help="where the encoder runs: auto, cpu, cuda, ... (default auto)")
    p.add_argument("--all-keys", action="store_true", help="also print per-factor and per-pair keys")
    p.set_defaults(func=run)


def parse_overrides(items: list[str]) -> dict[str, dict[str, object]]:
    """Turn ["dci.num_train=2000", ...] into {"dci": {"num_train": 2000}} (values parsed as YAML scalars/lists)."""
    import yaml

    out: dict[str, dict[str, object]] = {}
    for item in items:
        key, sep, raw = item.partition("=")
        metric, dot, option = key.partition(".")
        if not sep or not dot or not metric or not option:
            raise InvalidValueError(f"--set expects METRIC.OPTION=VALUE (e.g. dci.num_train=2000); got {item!r}")
        try:
            value = yaml.safe_load(raw)
        except yaml.YAMLError as exc:
            raise InvalidValueError(f"--set {item!r}: cannot parse the value {raw!r}") from exc
        out.setdefault(metric, {})[option] = value
    return out


def format_table(scores: dict[str, float], all_keys: bool = False) -> str:
    """Aligned 'metric  key  value' lines (per-factor detail only with `all_keys`)."""
    rows = []
    for key, value in scores.items():
        metric, _, name = key.partition(".")
        if not all_keys and _DETAIL.search(name):
            continue
        shown = f"{value:.4f}" if isinstance(value, float) else str(value)
        rows.append((metric, name, shown))
    if not rows:
        return ""
    w0 = max(len(r[0]) for r in rows)
    w1 = max(len(r[1]) for r in rows)
    return "\n".join(f"{m:<{w0}}  {k:<{w1}}  {v:>10}" for m, k, v in rows)


def run(args: argparse.Namespace) -> int:
    from gtdata.metrics.evaluate import check_metric_names, run_suite, write_metrics_json
    from gtdata.training import load_run

    names = list(METRIC_NAMES) if args.metrics == ["all"] else check_metric_names(args.metrics)
    overrides = parse_overrides(args.overrides)
    run_dir = Path(args.run_dir)
    if not run_dir.is_dir():
        raise MissingFileError(f"run directory {run_dir} does not exist")
    trained = load_run(run_dir, device=args.device)
    representation = trained.representation(args.representation, seed=args.seed)
    result = run_suite(trained.data, representation, names, args.seed, overrides, args.encode_batch_size, args.n_jobs)
    default_name = "metrics.json" if args.representation == "mean" else "metrics_sampled.json"
    output = Path(args.output) if args.output else run_dir / default_name
    write_metrics_json(output, result, {"run_dir": str(run_dir.resolve()), "representation": args.representation})
    print(format_table(result.scores, args.all_keys))
    print(f"wrote {output}")
    return 0
