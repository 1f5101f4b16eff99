"""``gtdata info NAME``: factors, sizes, files, checksums, URLs and cache state of a data set."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("info", help="show a data set's factors, files and cache state",
                              description="Show the factors (with their values), observation shape, size, files "
                                          "(URLs, sizes, checksums), cache state, citation and licence of a data "
                                          "set; NAME may also be a manifest path.")
    p.add_argument("name", help="data set name, alias or manifest path")
    p.add_argument("--edition", default=None, help="another release listed in the manifest (e.g. 2019)")
    p.set_defaults(func=run)


def _values(values) -> str:
    vals = [str(v) if isinstance(v, str) else f"{v:g}" for v in values]
    return ", ".join(vals) if len(vals) <= 8 else ", ".join(vals[:4] + ["…"] + vals[-2:])


def _bytes(n: int | None) -> str:
    if n is None:
        return "size unknown"
    return f"{n:,} B ({n / 2**20:.1f} MiB)"


def _is_manifest(path: Path) -> bool:
    """A YAML file with a ``files`` list is a manifest; specs, prepared sets and HDF5 files are data."""
    if path.suffix not in (".yaml", ".yml") or path.name == "dataset.yaml" or not path.is_file():
        return False
    import yaml

    try:
        content = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError):
        return True
    return isinstance(content, dict) and "files" in content


def _describe(title: str, data) -> None:
    print(title)
    print(f"  observation shape {tuple(data.observation_shape)}, {len(data):,} grid points")
    for f in data.factor_space:
        unit = f" [{f.unit}]" if f.unit else ""
        print(f"  {f.name:<18} {f.size:>5}  {_values(f.values.tolist())}{unit}")


def run(args: argparse.Namespace) -> int:
    from gtdata.datasets.catalog import NEEDS, manifests_for
    from gtdata.datasets.checksums import read_records
    from gtdata.datasets.prepare import file_states, is_prepared, prepared_path, raw_dir
    from gtdata.registry import get_info, is_path

    import gtdata.registry as registry

    if not is_path(args.name):
        try:
            info = get_info(args.name)
        except ValueError:
            info = None
        if info is not None and info.name not in NEEDS:
            _describe(f"{info.name} ({info.kind}): {info.description}", registry.load(args.name))
            return 0
    elif not _is_manifest(Path(args.name)):
        data = registry.load(args.name)
        _describe(f"{args.name}: {type(data).__name__} {data.name!r}", data)
        return 0
    manifests = manifests_for(args.name, args.edition)
    main = manifests[0]
    print(f"{main.key}: {main.title}")
    if main.description:
        print(f"  {main.description}")
    print(f"  images: {main.num_images:,}   observation shape: {main.observation_shape}")
    print(f"  licence: {main.license}")
    if main.homepage:
        print(f"  homepage: {main.homepage}")
    if main.editions and main.edition is None:
        print(f"  editions: {', '.join(main.editions)} (--edition)")
    print("factors:")
    for f in main.factors:
        flag = "  (nuisance: drawn at random per observation)" if f.nuisance else ""
        unit = f" [{f.unit}]" if f.unit else ""
        print(f"  {f.name:<18} {f.size:>5}  {_values(f.values)}{unit}{flag}")
    print("files:")
    for m in manifests:
        rd = raw_dir(m)
        records = read_records(rd) if rd.exists() else {}
        for (name, state, on_disk), entry in zip(file_states(m), m.files):
            print(f"  {name}  [{state}{', ' + _bytes(on_disk) if state != 'missing' else ''}]")
            print(f"    size: {_bytes(entry.size)}")
            for algo, digest in entry.checksums.items():
                print(f"    {algo}: {digest}")
            if not entry.published:
                rec = records.get(name)
                print("    checksum: none published; " + (f"recorded sha256 {rec['sha256']}" if rec
                                                          else "recorded at the first verified download"))
            for src in entry.sources:
                extra = "".join(f", {a} {d}" for a, d in src.checksums.items())
                note = f" ({src.note}{extra})" if src.note or extra else ""
                print(f"    url: {src.url}{note}")
            if entry.manual:
                print(f"    manual download: {entry.manual}")
            print(f"    cache path: {rd / name}")
    state = "prepared" if is_prepared(main) else "not prepared"
    print(f"prepared: {prepared_path(main)} [{state}]")
    if main.notes:
        print(f"notes: {main.notes}")
    print("citation:")
    print("  " + main.citation.strip().replace("\n", "\n  "))
    return 0
