"""Study spec: the schema of a sweep (YAML or dict), its validation, and its fingerprint.

A spec names data sets, methods with hyper-parameter grids, seeds, training steps, metrics and the
representations to evaluate. In YAML::

    name: my_study
    datasets: [dsprites_like]
    methods:
      - method: beta_vae
        beta: [1, 4]          # a list is swept ...
      - method: annealed_vae
        c_max: [5, 10]
        gamma: 1000           # ... a scalar is fixed
      - method: factor_vae
        gamma: [10, 20]
        steps: 150            # a run option: overrides the study's value for this entry's runs
      - method: group_vae
        k: [1, random]
    seeds: 3                  # or an explicit list [0, 1, 2]
    steps: 300
    pair_mode: reference      # weak methods' pairs: exact (default) or reference
    label_mode: last          # label methods' labels: all (default) or last
    representation: [mean, sampled]
    metrics: [mig, dci]
    metric_options: {dci: {num_train: 1000}}   # per metric, overrides the study's sizes

**Run options** (``RUN_OPTIONS``) are training settings that are not hyper-parameters of a method and are not
swept: ``steps`` (training iterations; one iteration updates each of the method's optimisers once, so a
FactorVAE step is one VAE and one discriminator update), ``pair_mode`` (how the weakly supervised methods'
pairs are drawn: ``exact`` changes exactly k factors, ``reference`` is disentanglement_lib's
``simple_dynamics``) and ``label_mode`` (which changed factors the label methods ``group_vae`` / ``ml_vae``
are told: ``all`` of them, or the ``last`` one resampled, as disentanglement_lib's weak labels). The top-level
value holds for every method entry; a method entry may override it. ``pair_mode`` applies only to weakly
supervised methods and ``label_mode`` only to the label methods; naming them for another method is an error.

**Data regimes** (all optional; a spec without them expands, hashes and runs exactly as before):

- ``distributions``: a list swept like a grid axis (data set, then distribution, then method): each entry is
  ``uniform`` (the data set's own draws), ``{correlated: {pairs: [[a, b]], sigma: s, method: gaussian |
  traeuble, anti: false}}`` (:func:`gtdata.causal.correlated`), an SCM mapping (``kind: scm``, ``nodes``) or a
  path to an SCM file. Models train on the data set viewed through the distribution.
- ``ood_split``: ``{kind: random | composition | interpolation | extrapolation, ratio: r, keep: [...]}``
  (:func:`gtdata.ood_split`): models train on the split's train side and are evaluated on its test side.
- ``evaluate_on``: ``training`` (default: the metrics draw from the training distribution) or ``uniform``
  (the uncorrelated distribution: a ``correlated`` entry with its pairs decoupled, σ = ∞, and its ``fixed``
  factors kept; the data set's own uniform draws for the other entries; on the OOD test side when there is
  a split).

Everything is checked before any run starts; errors name the offending entry and list what is allowed.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gtdata.core.errors import GtdataError
from gtdata.core.kinds import register_kind
from gtdata.metrics.evaluate import REPRESENTATIONS
from gtdata.store.yamlio import read_yaml_mapping
from gtdata.study.catalog import LABEL_METHODS, WEAK_METHODS, Catalog

#: The ``kind:`` of a study spec file (``to_dict`` writes it; the fingerprint leaves it out).
KIND = "study"

SPEC_KEYS = (
    "name",
    "description",
    "datasets",
    "methods",
    "seeds",
    "steps",
    "pair_mode",
    "label_mode",
    "batch_size",
    "representation",
    "metrics",
    "metric_options",
    "threads",
    "device",
    "distributions",
    "ood_split",
    "evaluate_on",
    "sampler",
    "kind",
)
SAMPLER_OPTIONS = {"pairs": ("k", "mode", "share_nuisance"), "counterfactual": ("scm", "targets", "intervention")}
"""Pair samplers a weak method may train on, and their options (``sampler: {name: ..., **options}``)."""
RUN_OPTIONS = ("steps", "pair_mode", "label_mode", "sampler")
"""Keys a method entry may set besides its hyper-parameters (overriding the study's value)."""
DEFAULT_PAIR_MODE = "exact"
DEFAULT_LABEL_MODE = "all"
DEVICES = ("auto", "cpu", "cuda")
EVALUATE_ON = ("training", "uniform")
OOD_KINDS = ("random", "composition", "interpolation", "extrapolation")
OOD_KEYS = ("kind", "ratio", "keep", "test_fraction")


class StudySpecError(GtdataError, ValueError):
    """A study spec that cannot be run; the message names the entry and what is allowed."""


@dataclass(frozen=True)
class MethodSweep:
    """One method and its grid: each hyper-parameter maps to the tuple of values to sweep.

    A fixed hyper-parameter is a one-value tuple. Order is kept: the first hyper-parameter varies
    slowest when the grid is expanded. ``steps``, ``pair_mode`` and ``label_mode`` override the study's
    run options for this entry (None: the study's value).
    """

    method: str
    grid: tuple[tuple[str, tuple[Any, ...]], ...]
    steps: int | None = None
    pair_mode: str | None = None
    label_mode: str | None = None
    sampler: Any = None

    def overrides(self) -> dict[str, Any]:
        """The run options this entry sets, in ``RUN_OPTIONS`` order."""
        return {key: getattr(self, key) for key in RUN_OPTIONS if getattr(self, key) is not None}

    @property
    def size(self) -> int:
        return math.prod(len(values) for _, values in self.grid)


@dataclass(frozen=True)
class StudySpec:
    """A resolved, validated study (see the module docstring for the YAML form).

    Make one with :func:`load_spec`, :func:`preset` or :meth:`from_dict`, which parse and validate; the
    constructor itself checks nothing. The fields are the YAML keys, resolved (lists as tuples, ``seeds: 3`` as
    ``(0, 1, 2)``, ``representation`` as ``representations``).

    Parameters
    ----------
    name : str
        The study's name (the ``study`` column of the results; not part of the fingerprint).
    datasets : tuple of str
        Registered data set names or aliases, or paths to prepared data sets.
    methods : tuple of MethodSweep
        One per method entry: the method's name, its grid (each hyper-parameter with the tuple of values
        swept) and the run options it overrides.
    seeds : tuple of int
        Training seeds; every grid point is trained once per seed.
    steps : int
        Training iterations per run, unless a method entry overrides it.
    metrics : tuple of str
        Metric names of the suite (:func:`gtdata.evaluate`).
    pair_mode : {"exact", "reference"}, default "exact"
        How weakly supervised methods' pairs are drawn: exactly k factors change, or disentanglement_lib's
        ``simple_dynamics``.
    label_mode : {"all", "last"}, default "all"
        Which changed factors the label methods (``group_vae``, ``ml_vae``) are told.
    batch_size : int, default 64
        Observations (or pairs) per training step.
    representations : tuple of {"mean", "sampled"}, default ("mean",)
        Representations each model is evaluated on: the posterior mean, or a sample of the posterior.
    metric_options : mapping, default {}
        Metric name -> its options (sample sizes, bins), overriding the suite's defaults.
    threads : int, default 1
        CPU threads per run (torch, BLAS and OpenMP are pinned to it, so results do not depend on the executor).
    device : str, default "auto"
        ``"auto"``, ``"cpu"``, ``"cuda"`` or ``"cuda:N"``.
    description : str, default ""
        Free text (not part of the fingerprint).
    distributions : tuple, default (None,)
        Training distributions swept like a grid axis: None (uniform), a ``{"correlated": {...}}`` entry, an SCM
        mapping or the path of an SCM file.
    ood_split : mapping, optional
        ``{"kind": "random" | "composition" | "interpolation" | "extrapolation", ...}``: train on the split's
        train side, evaluate on its test side.
    evaluate_on : {"training", "uniform"}, default "training"
        Whether the metrics draw from the training distribution or from the uncorrelated one.
    sampler : mapping, optional
        Pair sampler of the weakly supervised methods, ``{"name": "pairs" | "counterfactual", **options}``.

    See Also
    --------
    expand : the runs of a spec.
    run_study : run them.

    Examples
    --------
    >>> from gtdata.study import StudySpec
    >>> spec = StudySpec.from_dict({
    ...     "name": "demo", "datasets": ["toy"], "seeds": 3, "steps": 100, "metrics": ["mig"],
    ...     "methods": [{"method": "beta_vae", "beta": [1, 4]}, {"method": "factor_vae", "gamma": 10}]})
    >>> spec.num_runs, spec.seeds
    (9, (0, 1, 2))
    >>> spec.methods[0].grid
    (('beta', (1, 4)),)
    >>> spec.to_dict()["methods"]
    [{'method': 'beta_vae', 'beta': [1, 4]}, {'method': 'factor_vae', 'gamma': 10}]
    >>> StudySpec.from_dict(spec.to_dict()) == spec
    True
    """

    name: str
    datasets: tuple[str, ...]
    methods: tuple[MethodSweep, ...]
    seeds: tuple[int, ...]
    steps: int
    metrics: tuple[str, ...]
    pair_mode: str = DEFAULT_PAIR_MODE
    label_mode: str = DEFAULT_LABEL_MODE
    batch_size: int = 64
    representations: tuple[str, ...] = ("mean",)
    metric_options: Mapping[str, Any] = field(default_factory=dict)
    threads: int = 1
    device: str = "auto"
    description: str = ""
    distributions: tuple[Any, ...] = (None,)
    ood_split: Mapping[str, Any] | None = None
    evaluate_on: str = "training"
    sampler: Any = None

    @property
    def num_runs(self) -> int:
        """Number of trained models: data sets x distributions x grid points x seeds."""
        return len(self.datasets) * len(self.distributions) * sum(m.size for m in self.methods) * len(self.seeds)

    def run_options(self, sweep: MethodSweep) -> dict[str, Any]:
        """The resolved run options of ``sweep``'s runs: ``steps`` always; ``pair_mode`` for weakly supervised
        methods and ``label_mode`` for label methods only (None for the others, which do not use them)."""
        resolved = {key: getattr(self, key) for key in RUN_OPTIONS} | sweep.overrides()
        if sweep.method not in WEAK_METHODS:
            resolved["pair_mode"] = None
        if sweep.method not in LABEL_METHODS:
            resolved["label_mode"] = None
        if sweep.method not in WEAK_METHODS:
            resolved["sampler"] = None
        return resolved

    def to_dict(self) -> dict[str, Any]:
        """The YAML/JSON form; ``from_dict(spec.to_dict())`` gives back an equal spec.

        ``pair_mode`` and ``label_mode`` appear only when they differ from their defaults, so specs written
        before these keys existed keep their fingerprint.
        """
        modes = {
            key: value
            for key, value, default in (
                ("pair_mode", self.pair_mode, DEFAULT_PAIR_MODE),
                ("label_mode", self.label_mode, DEFAULT_LABEL_MODE),
            )
            if value != default
        }
        return {
            "kind": KIND,
            "name": self.name,
            "description": self.description,
            "datasets": list(self.datasets),
            "methods": [
                {"method": m.method, **{k: list(v) if len(v) > 1 else v[0] for k, v in m.grid}, **m.overrides()}
                for m in self.methods
            ],
            "seeds": list(self.seeds),
            "steps": self.steps,
            **modes,
            "batch_size": self.batch_size,
            "representation": list(self.representations),
            "metrics": list(self.metrics),
            "metric_options": dict(self.metric_options),
            "threads": self.threads,
            "device": self.device,
            **self._regime_dict(),
        }

    def _regime_dict(self) -> dict[str, Any]:
        """The data-regime keys, only where they differ from the defaults (old fingerprints hold)."""
        out: dict[str, Any] = {}
        if self.distributions != (None,):
            out["distributions"] = ["uniform" if d is None else d for d in self.distributions]
        if self.ood_split is not None:
            out["ood_split"] = dict(self.ood_split)
        if self.evaluate_on != "training":
            out["evaluate_on"] = self.evaluate_on
        if self.sampler is not None:
            out["sampler"] = self.sampler
        return out

    def fingerprint(self) -> str:
        """Hash of everything that changes results (not the name or description)."""
        content = self.to_dict()
        for key in ("kind", "name", "description"):  # the kind is the file's, not the study's: ids stay as before
            content.pop(key)
        # A one-value list and its scalar mean the same grid; normalise so both hash alike.
        content["methods"] = [
            {"method": m.method, **{k: list(v) for k, v in m.grid}, **m.overrides()} for m in self.methods
        ]
        return stable_hash(content)

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any], catalog: Catalog | None = None) -> StudySpec:
        """Parse and validate; ``catalog`` defaults to this installation's names."""
        spec = _parse(raw)
        validate(spec, catalog)
        return spec


def canonical(value: Any) -> Any:
    """JSON-ready form with integral floats as ints, so 1 and 1.0 hash alike."""
    if isinstance(value, Mapping):
        return {str(k): canonical(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [canonical(v) for v in value]
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return int(value) if value.is_integer() else float(value)
    if hasattr(value, "item"):  # numpy scalar
        return canonical(value.item())
    raise StudySpecError(f"value {value!r} of type {type(value).__name__} cannot appear in a study spec")


def stable_hash(content: Any, length: int = 16) -> str:
    """Hex digest of the canonical JSON of ``content`` (key order does not matter)."""
    text = json.dumps(canonical(content), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:length]


def load_spec(source: str | Path | Mapping[str, Any], catalog: Catalog | None = None) -> StudySpec:
    """A spec from a preset name, a YAML path, or a dict; validated.

    Parameters
    ----------
    source : str, path or mapping
        A preset name (:data:`PRESETS`), the path of a YAML file (its ``name`` defaults to the file's stem), or
        the spec as a dict (the YAML keys).
    catalog : Catalog, optional
        The names to validate against; default: this installation's data sets, methods and metrics.

    Returns
    -------
    StudySpec
        The parsed spec, checked against ``catalog`` before any run starts.

    Raises
    ------
    StudySpecError
        If ``source`` is neither a preset nor a file, the file is not a YAML mapping, or the spec names anything
        unknown, has an empty grid or an invalid value; the message names the entry and what is allowed.

    Examples
    --------
    >>> from pathlib import Path
    >>> from gtdata.study import load_spec
    >>> _ = Path("my_study.yaml").write_text(
    ...     "datasets: [dsprites_like]\\n"
    ...     "methods:\\n  - method: beta_vae\\n    beta: [1, 4]\\n"
    ...     "seeds: 2\\nsteps: 300\\nmetrics: [mig, dci]\\n")
    >>> spec = load_spec("my_study.yaml")
    >>> spec.name, spec.num_runs
    ('my_study', 4)
    >>> load_spec("quick").num_runs
    6
    >>> load_spec({"datasets": ["toy"], "methods": [{"method": "beta_vae", "betta": 4}], "seeds": 1,
    ...            "steps": 10, "metrics": ["mig"]})
    Traceback (most recent call last):
    ...
    gtdata.study.spec.StudySpecError: unknown hyper-parameter 'betta' for method 'beta_vae'; valid: beta
    """
    if isinstance(source, Mapping):
        return StudySpec.from_dict(source, catalog)
    from gtdata.study.presets import PRESETS, preset

    text = str(source)
    if text in PRESETS:
        return preset(text, catalog=catalog)
    path = Path(text).expanduser()
    if not path.is_file():
        raise StudySpecError(f"study spec {text!r} is neither a preset ({', '.join(sorted(PRESETS))}) nor a YAML file")
    raw = read_yaml_mapping(path, what="study spec", error=StudySpecError)
    raw.setdefault("name", path.stem)
    return StudySpec.from_dict(raw, catalog)


def _load_study_kind(path: Path, content: Any, catalog: Catalog | None = None) -> StudySpec:
    """The loader of ``kind: study`` files (see :mod:`gtdata.core.kinds`)."""
    return load_spec(path, catalog)


register_kind(KIND, summary="a study spec", load=_load_study_kind, is_data=False)


def _as_list(raw: Mapping[str, Any], key: str, default: Any = None) -> list[Any]:
    value = raw.get(key, default)
    if value is None:
        raise StudySpecError(f"study spec is missing {key!r}")
    if isinstance(value, (str, int, float)):
        return [value]
    if not isinstance(value, (list, tuple)):
        raise StudySpecError(f"{key!r} must be a list, got {type(value).__name__}")
    return list(value)


def _positive_int(raw: Mapping[str, Any], key: str, default: int | None = None, where: str = "") -> int:
    value = raw.get(key, default)
    if value is None:
        raise StudySpecError(f"study spec is missing {key!r}")
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise StudySpecError(f"{where + ': ' if where else ''}{key!r} must be a positive integer, got {value!r}")
    return value


def _mode(raw: Mapping[str, Any], key: str, default: str | None = None, where: str = "") -> str:
    """``pair_mode`` or ``label_mode``: a string, checked against the trainer's names in :func:`validate`."""
    value = raw.get(key, default)
    if not isinstance(value, str):
        raise StudySpecError(f"{where + ': ' if where else ''}{key!r} must be a string, got {value!r}")
    return value


def _parse_methods(raw_methods: Any) -> tuple[MethodSweep, ...]:
    if isinstance(raw_methods, Mapping):
        entries = [{"method": name, **(params or {})} for name, params in raw_methods.items()]
    elif isinstance(raw_methods, (list, tuple)):
        entries = [{"method": e} if isinstance(e, str) else e for e in raw_methods]
    else:
        raise StudySpecError("'methods' must be a list of {method: NAME, <hparam>: value|[values]}")
    sweeps = []
    for i, entry in enumerate(entries):
        if not isinstance(entry, Mapping) or "method" not in entry:
            raise StudySpecError(f"methods[{i}] must be a mapping with a 'method' key, got {entry!r}")
        name = str(entry["method"])
        grid = []
        options: dict[str, Any] = {}
        for key, values in entry.items():
            if key == "method":
                continue
            if key in RUN_OPTIONS:
                where = f"methods[{i}] ({name})"
                options[key] = (
                    _positive_int(entry, key, where=where)
                    if key == "steps"
                    else _sampler(entry[key], where)
                    if key == "sampler"
                    else _mode(entry, key, where=where)
                )
                continue
            values = tuple(values) if isinstance(values, (list, tuple)) else (values,)
            if not values:
                raise StudySpecError(f"empty grid: hyper-parameter {key!r} of method {name!r} has no values")
            grid.append((str(key), tuple(canonical(v) for v in values)))
        sweeps.append(MethodSweep(name, tuple(grid), **options))
    return tuple(sweeps)


def _parse(raw: Mapping[str, Any]) -> StudySpec:
    if not isinstance(raw, Mapping):
        raise StudySpecError(f"a study spec must be a mapping, got {type(raw).__name__}")
    if raw.get("kind", KIND) != KIND:
        raise StudySpecError(f"kind: a study spec has kind {KIND!r}, got {raw['kind']!r}")
    unknown = sorted(set(raw) - set(SPEC_KEYS))
    if unknown:
        raise StudySpecError(
            f"unknown study spec key(s) {', '.join(map(repr, unknown))}; valid keys: {', '.join(SPEC_KEYS)}"
        )
    seeds_raw = raw.get("seeds")
    if seeds_raw is None:
        raise StudySpecError("study spec is missing 'seeds' (a count or a list of integers)")
    if isinstance(seeds_raw, int) and not isinstance(seeds_raw, bool):
        if seeds_raw < 0:
            raise StudySpecError(f"'seeds' as a count must be >= 0, got {seeds_raw}")
        seeds = tuple(range(seeds_raw))
    else:
        seeds_list = _as_list(raw, "seeds")
        if any(isinstance(s, bool) or not isinstance(s, int) or s < 0 for s in seeds_list):
            raise StudySpecError(f"'seeds' must be non-negative integers, got {seeds_list!r}")
        if len(set(seeds_list)) != len(seeds_list):
            raise StudySpecError(f"'seeds' has duplicates: {seeds_list!r}")
        seeds = tuple(seeds_list)
    options = raw.get("metric_options") or {}
    if not isinstance(options, Mapping):
        raise StudySpecError(f"'metric_options' must be a mapping, got {type(options).__name__}")
    device = str(raw.get("device", "auto"))
    if device not in DEVICES and not device.startswith("cuda:"):
        raise StudySpecError(f"'device' must be one of {', '.join(DEVICES)} or cuda:N, got {device!r}")
    return StudySpec(
        name=str(raw.get("name", "study")),
        description=str(raw.get("description", "") or ""),
        datasets=tuple(str(d) for d in _as_list(raw, "datasets")),
        methods=_parse_methods(raw.get("methods", [])),
        seeds=seeds,
        steps=_positive_int(raw, "steps"),
        pair_mode=_mode(raw, "pair_mode", DEFAULT_PAIR_MODE),
        label_mode=_mode(raw, "label_mode", DEFAULT_LABEL_MODE),
        batch_size=_positive_int(raw, "batch_size", 64),
        representations=tuple(str(r) for r in _as_list(raw, "representation", ["mean"])),
        metrics=tuple(str(m) for m in _as_list(raw, "metrics", [])),
        metric_options=canonical(dict(options)),
        threads=_positive_int(raw, "threads", 1),
        device=device,
        distributions=_parse_distributions(raw.get("distributions")),
        ood_split=_parse_ood(raw.get("ood_split")),
        evaluate_on=_parse_evaluate_on(raw.get("evaluate_on", "training")),
        sampler=None if raw.get("sampler") is None else _sampler(raw["sampler"], "study"),
    )


def _sampler(value: Any, where: str) -> dict[str, Any]:
    """A weak method's pair sampler: ``pairs`` or ``counterfactual`` (a name or ``{name, **options}``).

    A counterfactual sampler without ``scm`` intervenes on the run's distribution (the independent uniform
    model for ``uniform``)."""
    if isinstance(value, str):
        value = {"name": value}
    if not isinstance(value, Mapping) or value.get("name") not in SAMPLER_OPTIONS:
        raise StudySpecError(
            f"{where}: sampler must be one of {sorted(SAMPLER_OPTIONS)} or {{name: ..., **options}}, got {value!r}"
        )
    unknown = sorted(set(value) - {"name", *SAMPLER_OPTIONS[value["name"]]})
    if unknown:
        raise StudySpecError(
            f"{where}: sampler {value['name']!r} has no option(s) {unknown}; allowed: "
            f"{', '.join(SAMPLER_OPTIONS[value['name']])}"
        )
    return canonical_regime(dict(value))


def _parse_distributions(raw: Any) -> tuple[Any, ...]:
    """Each entry: None ("uniform"), a path, or a mapping; checked for shape here, built on each data set at
    run time (:func:`gtdata.causal.as_scm`)."""
    if raw is None:
        return (None,)
    if not isinstance(raw, (list, tuple)) or not raw:
        raise StudySpecError(
            "'distributions' must be a non-empty list of: uniform, {correlated: {...}}, an SCM "
            "mapping or a path to an SCM file"
        )
    out = []
    for i, entry in enumerate(raw):
        if entry is None or entry == "uniform":
            out.append(None)
        elif isinstance(entry, str):
            if not Path(entry).expanduser().is_file():
                raise StudySpecError(f"distributions[{i}]: {entry!r} is neither 'uniform' nor an SCM file")
            out.append(str(Path(entry).expanduser().resolve()))
        elif isinstance(entry, Mapping) and set(entry) == {"correlated"}:
            options = entry["correlated"]
            if not isinstance(options, Mapping) or "pairs" not in options or "sigma" not in options:
                raise StudySpecError(
                    f"distributions[{i}].correlated needs 'pairs' and 'sigma' "
                    f"(and optionally 'method', 'anti'), got {options!r}"
                )
            unknown = sorted(set(options) - {"pairs", "sigma", "method", "anti", "name", "fixed"})
            if unknown:
                raise StudySpecError(
                    f"distributions[{i}].correlated: unknown key(s) {unknown}; allowed: pairs, "
                    f"sigma, method, anti, name, fixed"
                )
            sigma = options["sigma"]
            sigmas = sigma if isinstance(sigma, (list, tuple)) else [sigma]
            for v in sigmas:
                try:
                    ok = float(v) > 0
                except (TypeError, ValueError):
                    ok = False
                if not ok:
                    raise StudySpecError(
                        f"distributions[{i}].correlated.sigma must be > 0 (inf: uncorrelated), got {v!r}"
                    )
            out.append(canonical_regime({"correlated": dict(options)}))
        elif isinstance(entry, Mapping) and ("nodes" in entry or entry.get("kind") == "scm"):
            out.append(canonical_regime(dict(entry)))
        else:
            raise StudySpecError(
                f"distributions[{i}] must be uniform, {{correlated: {{...}}}}, an SCM mapping "
                f"(kind: scm, nodes: ...) or a path to an SCM file, got {entry!r}"
            )
    if len({json.dumps(d, sort_keys=True) for d in out}) != len(out):
        raise StudySpecError("a distribution is listed more than once in 'distributions'")
    return tuple(out)


def canonical_regime(value: Any) -> Any:
    """Like :func:`canonical`, but infinite strengths stay (as the string "inf") so JSON can hold them."""
    if isinstance(value, Mapping):
        return {str(k): canonical_regime(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [canonical_regime(v) for v in value]
    if isinstance(value, float) and math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return canonical(value)


def _parse_ood(raw: Any) -> Mapping[str, Any] | None:
    if raw is None:
        return None
    if isinstance(raw, str):
        raw = {"kind": raw}
    if not isinstance(raw, Mapping) or "kind" not in raw:
        raise StudySpecError(
            f"'ood_split' must be {{kind: {' | '.join(OOD_KINDS)}, ratio: r, keep: [...]}}, got {raw!r}"
        )
    unknown = sorted(set(raw) - set(OOD_KEYS))
    if unknown:
        raise StudySpecError(f"ood_split: unknown key(s) {unknown}; allowed: {', '.join(OOD_KEYS)}")
    if raw["kind"] not in OOD_KINDS:
        raise StudySpecError(f"ood_split.kind must be one of {', '.join(OOD_KINDS)}, got {raw['kind']!r}")
    return canonical(dict(raw))


def _parse_evaluate_on(raw: Any) -> str:
    if raw not in EVALUATE_ON:
        raise StudySpecError(f"'evaluate_on' must be one of {', '.join(EVALUATE_ON)}, got {raw!r}")
    return raw


def _check_names(kind: str, names: tuple[str, ...], valid: set[str] | frozenset[str]) -> None:
    unknown = [n for n in names if n not in valid]
    if unknown:
        raise StudySpecError(
            f"unknown {kind} {', '.join(map(repr, unknown))}; valid {kind}s: {', '.join(sorted(valid))}"
        )
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise StudySpecError(f"{kind} listed more than once: {', '.join(duplicates)}")


def _check_run_options(spec: StudySpec) -> None:
    """Mode names as the trainer knows them, and each mode only where a method uses it."""
    from gtdata.training.config import LABEL_MODES, PAIR_MODES

    users = {
        "pair_mode": (WEAK_METHODS, PAIR_MODES, "weakly supervised"),
        "label_mode": (LABEL_METHODS, LABEL_MODES, "label"),
    }
    for key, (methods, valid, kind) in users.items():
        using = sorted(methods)
        entries = [("study", getattr(spec, key))] + [
            (f"methods[{i}] ({s.method})", getattr(s, key))
            for i, s in enumerate(spec.methods)
            if getattr(s, key) is not None
        ]
        for where, value in entries:
            if value not in valid:
                raise StudySpecError(f"{where}: unknown {key} {value!r}; valid: {', '.join(valid)}")
        for i, sweep in enumerate(spec.methods):
            if getattr(sweep, key) is not None and sweep.method not in methods:
                raise StudySpecError(
                    f"methods[{i}] ({sweep.method}): {key!r} applies only to {kind} methods "
                    f"({', '.join(using)}); remove it from this entry"
                )
        default = DEFAULT_PAIR_MODE if key == "pair_mode" else DEFAULT_LABEL_MODE
        if getattr(spec, key) != default and not any(s.method in methods for s in spec.methods):
            raise StudySpecError(
                f"{key}={getattr(spec, key)!r} would change nothing: the study has no {kind} method "
                f"({', '.join(using)}); remove it"
            )


def _check_sampler(spec: StudySpec) -> None:
    from gtdata.study.catalog import WEAK_METHODS

    for i, sweep in enumerate(spec.methods):
        if sweep.sampler is not None and sweep.method not in WEAK_METHODS:
            raise StudySpecError(
                f"methods[{i}] ({sweep.method}): 'sampler' draws the pairs of weakly supervised "
                f"methods ({', '.join(sorted(WEAK_METHODS))}); remove it from this entry"
            )
    if spec.sampler is not None and not any(s.method in WEAK_METHODS for s in spec.methods):
        raise StudySpecError(
            "'sampler' would change nothing: the study has no weakly supervised method "
            f"({', '.join(sorted(WEAK_METHODS))}); remove it"
        )


def validate(spec: StudySpec, catalog: Catalog | None = None) -> None:
    """Raise :class:`StudySpecError` if the spec names anything unknown or has an empty grid."""
    if catalog is None:
        from gtdata.study.catalog import default_catalog

        catalog = default_catalog()
    for key, values in (
        ("datasets", spec.datasets),
        ("methods", spec.methods),
        ("seeds", spec.seeds),
        ("metrics", spec.metrics),
        ("representation", spec.representations),
    ):
        if not values:
            raise StudySpecError(f"empty grid: {key!r} is empty, so the study would have no runs")
    bad = [d for d in spec.datasets if not catalog.is_dataset(d)]
    if bad:
        raise StudySpecError(
            f"unknown data set {', '.join(map(repr, bad))}; valid data sets: "
            f"{', '.join(sorted(catalog.datasets))} (or a path to a prepared data set)"
        )
    if len(set(spec.datasets)) != len(spec.datasets):
        raise StudySpecError(f"a data set is listed more than once in {list(spec.datasets)}")
    for sweep in spec.methods:
        if sweep.method not in catalog.methods:
            raise StudySpecError(
                f"unknown method {sweep.method!r}; valid methods: {', '.join(sorted(catalog.methods))}"
            )
        allowed = catalog.methods[sweep.method]
        for key, _ in sweep.grid:
            if key not in allowed:
                raise StudySpecError(
                    f"unknown hyper-parameter {key!r} for method {sweep.method!r}; valid: "
                    f"{', '.join(sorted(allowed)) or '(none)'}"
                )
    _check_run_options(spec)
    _check_sampler(spec)
    _check_names("metric", spec.metrics, catalog.metrics)
    _check_names("representation", spec.representations, set(REPRESENTATIONS))
    for metric, options in spec.metric_options.items():
        if metric not in spec.metrics:
            raise StudySpecError(
                f"metric_options names metric {metric!r}, which is not in the study's metrics "
                f"({', '.join(spec.metrics)})"
            )
        if not isinstance(options, Mapping):
            raise StudySpecError(
                f"metric_options[{metric!r}] must map option names to values, e.g. {{num_train: 1000}}; got {options!r}"
            )
        allowed = catalog.metric_options.get(metric)
        if allowed is not None:
            bad = sorted(set(options) - allowed)
            if bad:
                raise StudySpecError(
                    f"unknown option {', '.join(map(repr, bad))} for metric {metric!r}; valid: "
                    f"{', '.join(sorted(allowed))}"
                )
    if catalog.check_hparams is not None:
        for sweep in spec.methods:
            keys = [k for k, _ in sweep.grid]
            for values in itertools.product(*(v for _, v in sweep.grid)):
                try:
                    catalog.check_hparams(sweep.method, dict(zip(keys, values)))
                except ValueError as exc:
                    raise StudySpecError(f"invalid hyper-parameters for method {sweep.method!r}: {exc}") from None
