"""``gtdata list``: every data set gtdata can open, with its kind and cache state."""

from __future__ import annotations

import argparse

from gtdata.registry import KINDS


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "list",
        help="list the data sets gtdata can load",
        description="List registered data sets (benchmark, rendered, toy) with their aliases "
        "and, for benchmark sets, whether they are downloaded or prepared.",
    )
    p.add_argument("--kind", choices=KINDS, default=None, help="only this kind")
    p.set_defaults(func=run)


def _state(info) -> str:
    from gtdata.datasets.catalog import manifests_for
    from gtdata.datasets.prepare import file_states, is_prepared

    if info.kind != "benchmark":
        return "-"
    name = info.name
    manifests = manifests_for(name)
    if is_prepared(manifests[0]):
        return "prepared"
    states = [s for m in manifests for _n, s, _b in file_states(m)]
    if all(s == "present" for s in states):
        return "downloaded"
    return "partial" if any(s != "missing" for s in states) else "not cached"


def run(args: argparse.Namespace) -> int:
    from gtdata.registry import list_datasets

    infos = list_datasets(args.kind)
    rows = [(i.name, i.kind, _state(i), ", ".join(i.aliases), i.description) for i in infos]
    header = ("NAME", "KIND", "CACHE", "ALIASES", "DESCRIPTION")
    widths = [max(len(r[k]) for r in [header, *rows]) for k in range(4)]
    for row in [header, *rows]:
        print("  ".join(c.ljust(w) for c, w in zip(row[:4], widths)) + "  " + row[4])
    return 0
