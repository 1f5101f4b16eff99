"""``gtdata export NAME --format hdf5``: write a data set in the self-describing HDF5 layout for other tools."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "export",
        help="export a data set to a self-describing HDF5 file",
        description="Write every grid point of a data set (images, factor codes and "
        "values, names, units, provenance) to one HDF5 file; variants with "
        "per-draw randomness use --seed.",
    )
    p.add_argument("name", help="data set name, alias or path")
    p.add_argument("--format", choices=("hdf5",), default="hdf5", help="output format (hdf5)")
    p.add_argument("--out", default=None, help="output file (default: NAME.h5 in the current directory)")
    p.add_argument("--seed", type=int, default=0, help="seed of per-draw nuisance (default 0)")
    p.add_argument(
        "--overwrite",
        action="store_true",
        help="replace an existing gtdata HDF5 file at --out (any other file is never replaced)",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    import gtdata.registry as registry
    from gtdata.store.hdf5 import export_hdf5

    data = registry.load(args.name)
    out = Path(args.out) if args.out else Path(f"{Path(str(args.name)).stem}.h5")
    path = export_hdf5(data, out, seed=args.seed, progress=not args.quiet, overwrite=args.overwrite)
    print(f"wrote {len(data):,} grid points of {data.name} to {path}")
    return 0
