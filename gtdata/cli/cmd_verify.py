"""``gtdata verify [NAME]``: check raw files in the cache against published or recorded checksums."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "verify",
        help="check cached raw files against their checksums",
        description="Check the raw files of one data set (or of every set with files in "
        "the cache) against the published checksums, or the sha256 recorded "
        "at the first download where none is published. Use it after "
        "placing a manually downloaded file in the cache.",
    )
    p.add_argument("name", nargs="?", default=None, help="data set name, alias or manifest path (default: all cached)")
    p.add_argument("--edition", default=None, help="another release listed in the manifest (e.g. 2019)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from gtdata.datasets.catalog import manifests_for
    from gtdata.datasets.checksums import check_file
    from gtdata.datasets.manifest import all_manifests
    from gtdata.datasets.prepare import file_states, raw_dir

    if args.name is not None:
        manifests = manifests_for(args.name, args.edition)
    else:
        manifests = []
        for m in all_manifests().values():
            for ed in (None, *m.editions):
                mm = m.with_edition(ed)
                if any(s == "present" for _n, s, _b in file_states(mm)):
                    manifests.append(mm)
        if not manifests:
            print("no raw files in the cache; run `gtdata download NAME` first")
            return 0
    bad = 0
    for m in manifests:
        rd = raw_dir(m)
        for entry, (_name, state, _b) in zip(m.files, file_states(m)):
            if state != "present":
                print(f"{m.key}: {entry.name}: {state} (expected at {rd / entry.name})")
                bad += args.name is not None
                continue
            verdict = check_file(entry, rd / entry.name, rd)
            print(f"{m.key}: {verdict.describe(entry.name)}")
            if not verdict.ok:
                bad += 1
                print(f"  delete {rd / entry.name} and run `gtdata download {m.name}` again")
    return 1 if bad else 0
