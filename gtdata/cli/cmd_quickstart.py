"""``gtdata quickstart [--out DIR]``: train two small models on the built-in rendered set, evaluate, report."""

from __future__ import annotations

import argparse
import time

from gtdata.core.errors import InvalidValueError


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "quickstart",
        help="the whole pipeline in a few minutes on a CPU (no download)",
        description="Render the built-in dsprites_like set, train a beta-VAE and an Ada-GVAE for 1,200 steps each, "
        "evaluate the metric suite with reduced sample sizes and write the study report. "
        "Running it again resumes where it stopped.",
    )
    p.add_argument(
        "--out", default="gtdata-quickstart", metavar="DIR", help="results directory (default: ./gtdata-quickstart)"
    )
    p.add_argument(
        "--workers",
        type=int,
        default=None,
        metavar="N",
        help="local worker processes (default: 2 when the machine has 2 cores or more)",
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from gtdata.study.quickstart import quickstart, summary_text

    if args.workers is not None and args.workers < 1:
        raise InvalidValueError(f"--workers must be a positive integer, got {args.workers}")
    start = time.perf_counter()
    table, report = quickstart(args.out, workers=args.workers, progress=not args.no_progress)
    print(summary_text(table))
    print(f"results: {args.out}/results.csv\nreport:  {report}\ntime:    {time.perf_counter() - start:.0f} s")
    return 0 if (table["status"] == "ok").all() else 1
