"""``gtdata download NAME... | --all``: fetch and verify the raw files of benchmark sets."""

from __future__ import annotations

import argparse

from gtdata.core.errors import InvalidValueError


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "download",
        help="download and verify benchmark sets' raw files",
        description="Download the raw files of benchmark sets into the cache, resuming "
        "partial files, trying $GTDATA_MIRROR then every known URL, and "
        "verifying checksums before keeping a file.",
    )
    p.add_argument("names", nargs="*", help="data set names, aliases or manifest paths")
    p.add_argument("--all", action="store_true", help="every benchmark set")
    p.add_argument("--edition", default=None, help="another release listed in the manifest (e.g. 2019)")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from gtdata.datasets.catalog import NEEDS, manifests_for
    from gtdata.datasets.prepare import fetch_all

    if bool(args.names) == bool(args.all):
        raise InvalidValueError("give data set names or --all (not both)")
    names = sorted(NEEDS) if args.all else args.names
    seen, failed = set(), []
    for name in names:
        for m in manifests_for(name, args.edition):
            if m.key in seen:
                continue
            seen.add(m.key)
            try:
                paths = fetch_all(m, progress=not args.quiet)
            except (OSError, ValueError, RuntimeError) as exc:
                if not args.all:
                    raise
                failed.append(f"{m.key}: {exc}")
                continue
            for path in paths.values():
                print(f"{m.key}: {path}")
    for line in failed:
        print(f"gtdata download: failed: {line}")
    return 1 if failed else 0
