"""``gtdata render SPEC|BUILTIN --out PATH``: export a rendered data set to the prepared store or HDF5."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "render",
        help="render a spec (YAML file or built-in name) to a prepared directory or an HDF5 file",
        description="Render every grid point of a render spec (or a split of it) and store it so that "
        "gtdata.load(PATH) opens it like a benchmark set. Resumes an interrupted export.",
    )
    p.add_argument(
        "spec",
        help="a spec .yaml file or a built-in spec name (dsprites_like, multi_sprites, "
        "textured_sprites, shapes3d_like, objects3d, light3d)",
    )
    p.add_argument("--out", required=True, help="output directory (prepared) or file (hdf5)")
    p.add_argument(
        "--split",
        default=None,
        help="split expression, e.g. 'shape == \"heart\" and posX > 0.5' (the prepared format needs a "
        "sub-grid: a set of values per factor; hdf5 takes any split)",
    )
    p.add_argument("--format", choices=("prepared", "hdf5"), default="prepared", help="output format")
    p.add_argument("--chunk-size", type=int, default=4096, help="images rendered per chunk (default 4096)")
    p.add_argument("--seed", type=int, default=0, help="seed of random backgrounds (default 0)")
    p.add_argument("--overwrite", action="store_true", help="replace an existing export")
    p.add_argument("--no-resume", action="store_true", help="start over instead of resuming a partial export")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from gtdata.render.data import RenderedData
    from gtdata.render.export import export_rendered

    data = RenderedData(args.spec)
    path = export_rendered(
        data,
        args.out,
        split=args.split,
        format=args.format,
        chunk_size=args.chunk_size,
        seed=args.seed,
        progress=not args.quiet,
        overwrite=args.overwrite,
        resume=not args.no_resume,
    )
    count = len(data) if args.split is None else len(data.split(args.split))
    print(f"wrote {count:,} images of {data.name} ({data.spec.sha256[:12]}) to {path}")
    return 0
