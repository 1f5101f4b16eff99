"""``gtdata prepare NAME``: download if needed, verify, and build the memory-mappable prepared set."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "prepare",
        help="prepare a benchmark set (download, verify, convert once)",
        description="Convert a benchmark set's raw files into the prepared store (uint8 "
        "images.npy in factor order + dataset.yaml), streaming with bounded "
        "memory. An interrupted preparation resumes.",
    )
    p.add_argument("name", help="data set name, alias or manifest path")
    p.add_argument("--edition", default=None, help="another release listed in the manifest (e.g. 2019)")
    p.add_argument("--no-download", action="store_true", help="fail instead of downloading missing files")
    p.add_argument(
        "--keep-extracted",
        action="store_true",
        help="keep the extracted archive (e.g. Cars3D's) after preparing, instead of removing it",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from gtdata.datasets.catalog import manifests_for
    from gtdata.datasets.prepare import fetch_all, prepare

    manifests = manifests_for(args.name, args.edition)
    for extra in manifests[1:]:  # e.g. the Scream image of scream_dsprites
        fetch_all(extra, download=not args.no_download, progress=not args.quiet)
    path = prepare(
        manifests[0], download=not args.no_download, progress=not args.quiet, keep_extracted=args.keep_extracted
    )
    print(f"{manifests[0].key}: prepared at {path}")
    return 0
