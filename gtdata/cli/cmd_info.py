"""``gtdata info NAME``: factors, sizes, files, checksums, URLs and cache state of a data set."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "info",
        help="show a data set's factors, files and cache state",
        description="Show the factors (with their values), observation shape, size, files "
        "(URLs, sizes, checksums), cache state, citation and licence of a data "
        "set; NAME may also be a manifest, render spec, prepared directory, "
        "HDF5 file, or an SCM file (kind: scm): its nodes, mechanisms, edges "
        "and support.",
    )
    p.add_argument("name", help="data set name, alias, or path (manifest, spec, prepared set, HDF5, SCM)")
    p.add_argument("--edition", default=None, help="another release listed in the manifest (e.g. 2019)")
    p.set_defaults(func=run)


def _values(values) -> str:
    vals = [str(v) if isinstance(v, str) else f"{v:g}" for v in values]
    return ", ".join(vals) if len(vals) <= 8 else ", ".join(vals[:4] + ["…"] + vals[-2:])


def _bytes(n: int | None) -> str:
    if n is None:
        return "size unknown"
    return f"{n:,} B ({n / 2**20:.1f} MiB)"


def _describe_scm(path: Path, spec: dict) -> None:
    """Nodes, mechanisms, edges and the support of an SCM file (its factors, or those of the set it names)."""
    import numpy as np

    from gtdata.causal import load_scm

    space = None
    if "factors" not in spec and "data" in spec:
        import gtdata.registry as registry

        space = registry.load(spec["data"]).factor_space
    scm = load_scm(path, space)
    probs = scm.prob_table() if scm.factor_space.size <= 5_000_000 else None
    print(f"{path}: SCM {scm.name!r}" + (f" over data set {spec['data']!r}" if "data" in spec else ""))
    if spec.get("description"):
        print(f"  {spec['description']}")
    print(
        f"  {scm.factor_space.num_factors} nodes, {len(scm.edges)} edges, "
        f"{scm.factor_space.size:,} grid points, topological order {' -> '.join(scm.order)}"
    )
    for name in scm.factor_space.names:
        mech = scm.mechanisms[name]
        parents = f" <- {', '.join(mech.parents)}" if mech.parents else ""
        options = {k: v for k, v in mech.to_dict().items() if k not in ("mechanism", "parents", "probs")}
        extra = f" {options}" if options else ""
        print(f"  {name:<18} {scm.factor_space[name].size:>5}  {mech.kind}{parents}{extra}")
    if probs is not None:
        support = int((probs > 0).sum())
        with np.errstate(divide="ignore", invalid="ignore"):
            entropy = float(-(probs[probs > 0] * np.log(probs[probs > 0])).sum())
        print(
            f"  support {support:,} of {probs.size:,} grid points; entropy {entropy:.3f} nats "
            f"(uniform: {np.log(probs.size):.3f})"
        )


def _describe_study(path: Path, raw: dict) -> None:
    """Name, data sets, methods, seeds and number of runs of a study spec file."""
    from gtdata.study.spec import load_spec

    spec = load_spec(path)
    print(f"{path}: study spec {spec.name!r}, {spec.num_runs} runs")
    if spec.description:
        print(f"  {spec.description}")
    print(f"  data sets: {', '.join(spec.datasets)}")
    print(f"  methods: {', '.join(m.method for m in spec.methods)}; seeds {list(spec.seeds)}; {spec.steps} steps")
    print(f"  metrics: {', '.join(spec.metrics)}; representations: {', '.join(spec.representations)}")


def _describe_run_config(path: Path, raw: dict) -> None:
    """Method, data, steps and seed of a training config (a run directory's config.yaml)."""
    from gtdata.training.config import TrainConfig

    config = TrainConfig.from_yaml(path)
    print(f"{path}: training config, method {config.method} on data {config.data!r}")
    hparams = f", hyper-parameters {config.hparams}" if config.hparams else ""
    print(
        f"  {config.steps} steps, batch size {config.batch_size}, seed {config.seed}, "
        f"{config.num_latent} latents{hparams}"
    )


def _describe_study_results(path: Path, raw: dict) -> None:
    """The study a results directory holds (its recorded spec and fingerprint) and how many runs finished."""
    from gtdata.study.results import ResultStore
    from gtdata.study.spec import StudySpec

    spec = StudySpec.from_dict(raw["spec"])
    done = len(ResultStore(path.parent, spec).finished())  # the recorded spec: the store only reads
    print(
        f"{path}: results of study {spec.name!r} (fingerprint {raw.get('fingerprint')}), "
        f"{done} of {spec.num_runs} runs finished"
    )
    print(f"  data sets: {', '.join(spec.datasets)}; methods: {', '.join(m.method for m in spec.methods)}")


#: Kinds ``gtdata info PATH`` describes from the file itself; the data set kinds are opened and their
#: factors shown, and manifests get the full account of files and cache state below.
_DESCRIBERS = {
    "scm": _describe_scm,
    "study": _describe_study,
    "run_config": _describe_run_config,
    "study_results": _describe_study_results,
}


def _describe(title: str, data) -> None:
    print(title)
    print(f"  observation shape {tuple(data.observation_shape)}, {len(data):,} grid points")
    for f in data.factor_space:
        unit = f" [{f.unit}]" if f.unit else ""
        print(f"  {f.name:<18} {f.size:>5}  {_values(f.values.tolist())}{unit}")


def run(args: argparse.Namespace) -> int:
    import gtdata.registry as registry
    from gtdata.core import kinds
    from gtdata.datasets.catalog import NEEDS, manifests_for
    from gtdata.datasets.checksums import read_records
    from gtdata.datasets.manifest import KIND as MANIFEST_KIND
    from gtdata.datasets.prepare import file_states, is_prepared, prepared_path, raw_dir
    from gtdata.registry import get_info, is_path
    from gtdata.store.yamlio import read_yaml

    if not is_path(args.name):
        try:
            info = get_info(args.name)
        except ValueError:
            info = None
        if info is not None and info.name not in NEEDS:
            _describe(f"{info.name} ({info.kind}): {info.description}", registry.load(args.name))
            return 0
    else:
        path = Path(args.name).expanduser()
        content = read_yaml(path) if path.is_file() and path.suffix.lower() in (".yaml", ".yml") else kinds.UNREAD
        found = kinds.identify(path, content)  # what the file is: its kind: (or, for old files, its keys)
        if found.kind in _DESCRIBERS:
            _DESCRIBERS[found.kind](found.path, found.content)
            return 0
        if found.kind != MANIFEST_KIND:
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
                print(
                    "    checksum: none published; "
                    + (f"recorded sha256 {rec['sha256']}" if rec else "recorded at the first verified download")
                )
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
