"""``gtdata study run SPEC|PRESET --out DIR`` and ``gtdata study report DIR``."""

from __future__ import annotations

import argparse
import sys

from gtdata.core.errors import InvalidValueError


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "study",
        help="run a sweep of trainings and evaluations, and report on it",
        description="Studies: data sets x methods x hyper-parameters x seeds, trained and evaluated locally or "
        "on a Ray cluster, gathered into one results table.",
    )
    sub = p.add_subparsers(dest="study_command", metavar="SUBCOMMAND")
    run = sub.add_parser(
        "run",
        help="run (or resume) a study",
        description="Run every unfinished run of a study spec (a YAML file or a preset: quick, weak, reference) "
        "into DIR. Finished runs are skipped; failed runs are recorded with their error and tried "
        "again on the next call.",
    )
    run.add_argument("spec", metavar="SPEC|PRESET", help="study spec YAML, or a preset name")
    run.add_argument("--out", required=True, metavar="DIR", help="results directory (created; resumed if it exists)")
    run.add_argument(
        "--executor", choices=("local", "ray"), default="local", help="local processes (default) or Ray tasks"
    )
    run.add_argument(
        "--workers",
        type=int,
        default=1,
        metavar="N",
        help="local worker processes (default 1: in this process); with --executor ray and no "
        "--address, the CPUs of the local Ray instance",
    )
    run.add_argument(
        "--address",
        default=None,
        help="Ray cluster to join ('auto', 'host:port', 'ray://host:port'); default: a local instance",
    )
    run.add_argument(
        "--pack",
        default="1",
        metavar="K|auto",
        help="train up to K compatible runs (same data set, method, steps) as one batched pack "
        "(gtdata.train_pack; same results); 'auto' picks K from the device (1 on the CPU)",
    )
    run.add_argument(
        "--dry-run",
        action="store_true",
        help="print the plan (runs, a training-time estimate from a measured step rate) and stop",
    )
    run.add_argument(
        "--step-rate",
        type=float,
        default=None,
        metavar="STEPS_PER_S",
        help="with --dry-run: use this step rate for every method instead of measuring",
    )
    run.add_argument("--no-progress", action="store_true", help="no progress bar")
    run.set_defaults(func=_run)
    report = sub.add_parser(
        "report",
        help="write the figures and Markdown summary of a study",
        description="Write PNG figures and report.md from the results table of DIR.",
    )
    report.add_argument("dir", metavar="DIR", help="study results directory")
    report.add_argument("--out", default=None, metavar="REPORT_DIR", help="default: DIR/report")
    report.add_argument("--representation", default=None, help="mean (default when present) or sampled")
    report.set_defaults(func=_report)
    p.set_defaults(func=lambda args: (p.print_help(), 0)[1])


def _run(args: argparse.Namespace) -> int:
    from gtdata.study import StudyExecutionError, load_spec, run_study

    if args.workers < 1:
        raise InvalidValueError(f"--workers must be a positive integer, got {args.workers}")
    if args.pack != "auto" and not (args.pack.isdigit() and int(args.pack) >= 1):
        raise InvalidValueError(f"--pack must be a positive integer or 'auto', got {args.pack!r}")
    pack = args.pack if args.pack == "auto" else int(args.pack)
    spec = load_spec(args.spec)
    if args.dry_run:
        from gtdata.study.plan import make_plan

        rates = None
        if args.step_rate is not None:
            if args.step_rate <= 0:
                raise InvalidValueError(f"--step-rate must be positive, got {args.step_rate}")
            rates = {m.method: args.step_rate for m in spec.methods}
        print(make_plan(spec, workers=args.workers, step_rates=rates, pack=pack).render())
        return 0
    try:
        table = run_study(
            spec,
            args.out,
            executor=args.executor,
            workers=args.workers,
            address=args.address,
            progress=not args.no_progress,
            pack=pack,
        )
    except StudyExecutionError as exc:
        print(f"gtdata study run: error: {exc}", file=sys.stderr)
        return 2
    runs = table.drop_duplicates("run_id")
    failed = int((runs["status"] != "ok").sum()) if len(runs) else 0
    print(
        f"{len(runs) - failed} of {len(runs)} runs finished, {failed} failed; results: "
        f"{args.out}/results.csv (report: gtdata study report {args.out})"
    )
    return 1 if failed else 0


def _report(args: argparse.Namespace) -> int:
    from gtdata.study.report import write_report

    path = write_report(args.dir, out=args.out, representation=args.representation)
    print(f"report: {path}")
    return 0
