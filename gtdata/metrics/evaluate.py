"""Run a suite of metrics on one data set and representation, sharing samples where the protocols allow, and write
`metrics.json` with provenance.

Every metric gets its own numpy RandomState seeded from the suite seed (as disentanglement_lib's reproduce
script), independent of which other metrics run. The point-sample metrics (MIG, DCI, SAP, modularity and
explicitness, IRS, the unsupervised scores, the downstream and reduced downstream tasks, and the identifiability
metrics MCC, R² and InfoMEC) read prefixes of one shared training draw and one shared test draw, encoded once;
BetaVAE, FactorVAE, fairness and the strong downstream task need their own intervened draws.

The identifiability metrics come last in `METRIC_NAMES` and are not in `STUDY_METRICS`: the seeds of the older
metrics (drawn in `METRIC_NAMES` order) and the default suite are those of the versions before them, and their
shared-draw sizes never exceed the study's (10,000 training and 5,000 test points), so adding them to a run does not
change the draws the other metrics read.
"""

from __future__ import annotations

import importlib
import platform
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from gtdata.core.errors import InvalidValueError
from gtdata.core.persist import atomic_write_json, to_plain
from gtdata.metrics._sizes import DEFAULT_MAX_KERNEL_TRAIN, DEFAULT_NUM_TRAIN
from gtdata.metrics.sampling import DEFAULT_ENCODE_BATCH_SIZE, prepare, sample_latents

FORMAT = "gtdata-metrics/1"


Options = Mapping[str, Any]
"""One metric's options (sample sizes, bins, predictors): its defaults with the caller's overrides."""
Scores = dict[str, float]
"""A metric's result: disentanglement_lib's key -> value."""


class SharedDraws(NamedTuple):
    """The suite's shared sample, encoded once: the point-sample metrics read prefixes of it.

    Parameters
    ----------
    latents_train, factors_train : ndarray
        (N, L) float latents and (N, F) int64 factor codes of the training draw.
    latents_test, factors_test : ndarray or None
        The same for the test draw (None when no metric of the suite needs one).
    """

    latents_train: np.ndarray
    factors_train: np.ndarray
    latents_test: np.ndarray | None
    factors_test: np.ndarray | None

    def train(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        """The first ``n`` training ``(latents, factors)``."""
        return self.latents_train[:n], self.factors_train[:n]

    def test(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        """The first ``n`` test ``(latents, factors)``."""
        return self.latents_test[:n], self.factors_test[:n]


@dataclass(frozen=True)
class _Lazy:
    """A function named by module and attribute, imported at its first call, so that the table (and the CLI that
    reads its names) loads no scikit-learn."""

    module: str
    attribute: str

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return getattr(importlib.import_module(self.module), self.attribute)(*args, **kwargs)

    def __repr__(self) -> str:
        return f"{self.module}.{self.attribute}"


@dataclass(frozen=True)
class MetricSpec:
    """One metric of the suite: its name, functions, defaults and how it uses the shared sample.

    Parameters
    ----------
    name : str
        The metric's name (the prefix of its score keys, ``"<name>.<key>"``).
    compute : callable
        The sampling-level function, ``compute(data, representation, random_state, **options)`` -> scores
        (disentanglement_lib's signature); used when the metric draws its own sample.
    defaults : mapping
        The study's options; a caller may override any of them, and no other.
    from_latents : callable, optional
        ``from_latents(draws, options, rng, n_jobs)`` -> scores from the :class:`SharedDraws`; None when the
        metric needs intervened draws of its own (BetaVAE, FactorVAE, fairness, strong downstream).
    sizes : callable, optional
        ``sizes(options)`` -> the (train, test) points ``from_latents`` reads from the shared draws.
    parallel : bool
        Whether the metric fits per-factor models in ``n_jobs`` processes.
    study : bool
        Whether the metric is in the reference study's suite (:data:`STUDY_METRICS`).
    """

    name: str
    compute: Callable[..., Scores]
    defaults: Options
    from_latents: Callable[[SharedDraws, Options, np.random.RandomState, int | None], Scores] | None = None
    sizes: Callable[[Options], tuple[int, int]] | None = None
    parallel: bool = False
    study: bool = False

    def __post_init__(self) -> None:
        if (self.from_latents is None) != (self.sizes is None):
            raise InvalidValueError(f"metric {self.name!r}: from_latents and sizes go together (both or neither)")


def _compute(module: str) -> _Lazy:
    return _Lazy(f"gtdata.metrics.{module}", f"compute_{module}")


def _largest(value: Any) -> int:
    from gtdata.metrics.downstream import check_sizes

    return max(check_sizes(value))


# -- the (train, test) points each shared-sample metric reads -------------------------------------------------
def _train(o: Options) -> tuple[int, int]:
    return o["num_train"], 0


def _train_test(o: Options) -> tuple[int, int]:
    return o["num_train"], o["num_test"]


def _sizes_train_test(o: Options) -> tuple[int, int]:
    return _largest(o["num_train"]), o["num_test"]


def _mcc_sizes(o: Options) -> tuple[int, int]:
    return o["num_train"], o["num_test"] if o["out_of_sample"] else 0


# -- each metric on the shared draws ------------------------------------------------------------------------
def _mig(d: SharedDraws, o: Options, rng: np.random.RandomState, n_jobs: int | None) -> Scores:
    from gtdata.metrics.mig import mig

    return mig(*d.train(o["num_train"]), o["num_bins"])


def _dci(d: SharedDraws, o: Options, rng: np.random.RandomState, n_jobs: int | None) -> Scores:
    from gtdata.metrics.dci import dci

    return dci(*d.train(o["num_train"]), *d.test(o["num_test"]), rng, n_jobs)


def _dci_fast(d: SharedDraws, o: Options, rng: np.random.RandomState, n_jobs: int | None) -> Scores:
    from gtdata.metrics.dci import dci_fast

    return dci_fast(*d.train(o["num_train"]), *d.test(o["num_test"]), rng, n_jobs)


def _sap(d: SharedDraws, o: Options, rng: np.random.RandomState, n_jobs: int | None) -> Scores:
    from gtdata.metrics.sap import sap

    return sap(*d.train(o["num_train"]), *d.test(o["num_test"]), rng, n_jobs=n_jobs)


def _modularity(d: SharedDraws, o: Options, rng: np.random.RandomState, n_jobs: int | None) -> Scores:
    from gtdata.metrics.modularity import modularity_explicitness

    return modularity_explicitness(*d.train(o["num_train"]), *d.test(o["num_test"]), rng, o["num_bins"], n_jobs)


def _irs(d: SharedDraws, o: Options, rng: np.random.RandomState, n_jobs: int | None) -> Scores:
    from gtdata.metrics.irs import irs

    return irs(*d.train(o["num_train"]), o["diff_quantile"], o["num_bins"])


def _unsupervised(d: SharedDraws, o: Options, rng: np.random.RandomState, n_jobs: int | None) -> Scores:
    from gtdata.metrics.unsupervised import unsupervised

    return unsupervised(d.train(o["num_train"])[0], o["num_bins"])


def _downstream_on(predictor: str) -> Callable[[SharedDraws, Options, np.random.RandomState, int | None], Scores]:
    def run(d: SharedDraws, o: Options, rng: np.random.RandomState, n_jobs: int | None) -> Scores:
        from gtdata.metrics.downstream import check_sizes, downstream

        out: Scores = {}
        for n in check_sizes(o["num_train"]):
            out.update(downstream(*d.train(n), *d.test(o["num_test"]), predictor, rng, n_jobs))
        return out

    run.__name__ = run.__qualname__ = f"_downstream_{predictor}"
    return run


def _reduced(d: SharedDraws, o: Options, rng: np.random.RandomState, n_jobs: int | None) -> Scores:
    from gtdata.metrics.downstream import check_sizes
    from gtdata.metrics.reduced_downstream import reduced_downstream

    out: Scores = {}
    for n in check_sizes(o["num_train"]):
        out.update(reduced_downstream(*d.train(n), *d.test(o["num_test"]), o["num_factors_to_remove"], rng, n_jobs))
    return out


def _mcc(d: SharedDraws, o: Options, rng: np.random.RandomState, n_jobs: int | None) -> Scores:
    from gtdata.metrics.mcc import mcc, mcc_scores

    if o["out_of_sample"]:
        latents_test, factors_test = d.test(o["num_test"])
        return mcc_scores(
            mcc(*d.train(o["num_train"]), o["method"], latents_test=latents_test, factors_test=factors_test)
        )
    return mcc_scores(mcc(*d.train(o["num_train"]), o["method"]))


def _r2(d: SharedDraws, o: Options, rng: np.random.RandomState, n_jobs: int | None) -> Scores:
    from gtdata.metrics.r2 import r2, r2_scores

    latents_test, factors_test = d.test(o["num_test"])
    return r2_scores(
        r2(
            *d.train(o["num_train"]),
            latents_test=latents_test,
            factors_test=factors_test,
            regressor=o["regressor"],
            categorical=o["categorical"],
            max_kernel_train=o["max_kernel_train"],
            rng=rng,
        )
    )


def _infomec(d: SharedDraws, o: Options, rng: np.random.RandomState, n_jobs: int | None) -> Scores:
    from gtdata.metrics.infomec import infomec, infomec_scores

    return infomec_scores(infomec(*d.train(o["num_train"]), discrete_latents=o["discrete_latents"], rng=rng))


def _pair_sharing(d: SharedDraws, o: Options, rng: np.random.RandomState, n_jobs: int | None) -> Scores:
    from gtdata.metrics.pair_sharing import pair_sharing

    return pair_sharing(*d.train(o["num_train"]), o["pair"])


_TRAIN_TEST = {"num_train": 10000, "num_test": 5000}

METRIC_TABLE: tuple[MetricSpec, ...] = (
    MetricSpec("beta_vae", _compute("beta_vae"), {"batch_size": 64, "num_train": 10000, "num_eval": 5000}, study=True),
    MetricSpec(
        "factor_vae",
        _compute("factor_vae"),
        {"batch_size": 64, "num_train": 10000, "num_eval": 5000, "num_variance_estimate": 10000, "threshold": 0.05},
        study=True,
    ),
    MetricSpec("mig", _compute("mig"), {"num_train": 10000, "num_bins": 20}, _mig, _train, study=True),
    MetricSpec("dci", _compute("dci"), dict(_TRAIN_TEST), _dci, _train_test, parallel=True, study=True),
    MetricSpec(
        "dci_fast",
        _Lazy("gtdata.metrics.dci", "compute_dci_fast"),
        dict(_TRAIN_TEST),
        _dci_fast,
        _train_test,
        parallel=True,
    ),
    MetricSpec("sap", _compute("sap"), dict(_TRAIN_TEST), _sap, _train_test, parallel=True, study=True),
    MetricSpec(
        "modularity_explicitness",
        _Lazy("gtdata.metrics.modularity", "compute_modularity_explicitness"),
        {**_TRAIN_TEST, "num_bins": 20},
        _modularity,
        _train_test,
        parallel=True,
        study=True,
    ),
    MetricSpec("irs", _compute("irs"), {"num_train": 10000, "diff_quantile": 0.99, "num_bins": 20}, _irs, _train),
    MetricSpec(
        "unsupervised",
        _compute("unsupervised"),
        {"num_train": 10000, "num_bins": 20},
        _unsupervised,
        _train,
        study=True,
    ),
    MetricSpec(
        "downstream_logistic_regression",
        _Lazy("gtdata.metrics.downstream", "compute_downstream_logistic_regression"),
        {"num_train": DEFAULT_NUM_TRAIN, "num_test": 5000},
        _downstream_on("logistic_regression"),
        _sizes_train_test,
        parallel=True,
        study=True,
    ),
    MetricSpec(
        "downstream_boosted_trees",
        _Lazy("gtdata.metrics.downstream", "compute_downstream_boosted_trees"),
        {"num_train": DEFAULT_NUM_TRAIN, "num_test": 5000},
        _downstream_on("boosted_trees"),
        _sizes_train_test,
        parallel=True,
        study=True,
    ),
    MetricSpec("fairness", _compute("fairness"), {"num_train": 10000, "num_test_points_per_class": 100}),
    MetricSpec(
        "strong_downstream",
        _compute("strong_downstream"),
        {"num_train": (1000,), "num_test": 1000, "n_experiment": 2},
        parallel=True,
    ),
    MetricSpec(
        "reduced_downstream",
        _compute("reduced_downstream"),
        {"num_train": (100,), "num_test": 100, "num_factors_to_remove": 1},
        _reduced,
        _sizes_train_test,
        parallel=True,
    ),
    # New metrics go below, never above: a metric's seed is its position in this table.
    MetricSpec(
        "mcc",
        _compute("mcc"),
        {"num_train": 10000, "method": "pearson", "out_of_sample": False, "num_test": 5000},
        _mcc,
        _mcc_sizes,
    ),
    MetricSpec(
        "r2",
        _compute("r2"),
        {
            "num_train": 10000,
            "num_test": 5000,
            "regressor": "linear",
            "categorical": [],
            "max_kernel_train": DEFAULT_MAX_KERNEL_TRAIN,
        },
        _r2,
        _train_test,
    ),
    MetricSpec("infomec", _compute("infomec"), {"num_train": 10000, "discrete_latents": False}, _infomec, _train),
    MetricSpec("pair_sharing", _compute("pair_sharing"), {"num_train": 10000, "pair": None}, _pair_sharing, _train),
)
"""Every metric of the suite, in a fixed order (the order of their seeds): the one list the names come from."""

METRICS: dict[str, MetricSpec] = {spec.name: spec for spec in METRIC_TABLE}
"""The table by name."""

METRIC_NAMES: tuple[str, ...] = tuple(METRICS)
"""Every metric `evaluate` knows, in a fixed order (also the order of their seeds)."""

STUDY_METRICS: tuple[str, ...] = tuple(spec.name for spec in METRIC_TABLE if spec.study)
"""The metrics of the reference study (disentanglement_lib's unsupervised_study_v1 metric configs)."""

REPRESENTATIONS: tuple[str, ...] = ("mean", "sampled")
"""The representations of a trained encoder the suite scores, the default first: the posterior mean, or one
posterior sample per call (implemented by :meth:`gtdata.training.Run.representation`)."""


def check_metric_names(metrics: Iterable[str] | str) -> list[str]:
    """Validate metric names (a list, or one name); unknown names raise a ValueError listing the valid ones."""
    names = [metrics] if isinstance(metrics, str) else list(metrics)
    if not names:
        raise InvalidValueError(f"metrics must name at least one metric; valid: {', '.join(METRIC_NAMES)}")
    unknown = [m for m in names if m not in METRICS]
    if unknown:
        raise InvalidValueError(f"unknown metric(s) {unknown}; valid: {', '.join(METRIC_NAMES)}")
    return list(dict.fromkeys(names))


def metric_seeds(seed: int) -> dict[str, int]:
    """Per-metric seeds drawn from RandomState(seed): one for the shared draws, then one per metric in
    METRIC_NAMES order, so a metric's seed does not depend on which others run."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise InvalidValueError(f"seed must be a non-negative integer; got {seed!r}")
    draws = np.random.RandomState(int(seed)).randint(0, 2**32, size=len(METRIC_NAMES) + 1, dtype=np.int64)
    return {"shared": int(draws[0]), **{name: int(s) for name, s in zip(METRIC_NAMES, draws[1:])}}


def _resolve_options(names: list[str], options: Mapping[str, Mapping[str, Any]] | None) -> dict[str, dict[str, Any]]:
    options = dict(options or {})
    unknown = [m for m in options if m not in names]
    if unknown:
        raise InvalidValueError(f"options given for metric(s) {unknown} that are not being evaluated ({names})")
    resolved = {}
    for name in names:
        given = dict(options.get(name, {}))
        bad = [k for k in given if k not in METRICS[name].defaults]
        if bad:
            raise InvalidValueError(
                f"unknown option(s) {bad} for metric {name!r}; valid: {sorted(METRICS[name].defaults)}"
            )
        resolved[name] = {**METRICS[name].defaults, **given}
    return resolved


def versions() -> dict[str, str]:
    """Versions of the packages that change metric values (scikit-learn above all), and of Python."""
    import scipy
    import sklearn

    from gtdata._version import __version__

    out = {
        "gtdata": __version__,
        "numpy": np.__version__,
        "scikit-learn": sklearn.__version__,
        "scipy": scipy.__version__,
    }
    out["python"] = platform.python_version()
    return out


@dataclass
class Evaluation:
    """Scores ("<metric>.<reference key>" -> number) and their provenance (versions, seeds, sizes, timings).

    :func:`run_suite` returns one; :func:`write_metrics_json` writes it.

    Parameters
    ----------
    scores : dict of str to float
        ``"<metric>.<key>"`` -> score.
    provenance : dict
        How the scores were made: versions, seeds, options, sizes, data set, timings (see :func:`run_suite`).

    Examples
    --------
    >>> from gtdata.metrics import Evaluation
    >>> evaluation = Evaluation({"mig.discrete_mig": 0.5}, {"seed": 0})
    >>> evaluation.to_json()
    {'format': 'gtdata-metrics/1', 'scores': {'mig.discrete_mig': 0.5}, 'provenance': {'seed': 0}}
    """

    scores: dict[str, float]
    provenance: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {"format": FORMAT, "scores": self.scores, "provenance": self.provenance}


def run_suite(
    data: object,
    representation: object,
    metrics: Iterable[str] | str = STUDY_METRICS,
    seed: int = 0,
    options: Mapping[str, Mapping[str, Any]] | None = None,
    encode_batch_size: int = DEFAULT_ENCODE_BATCH_SIZE,
    n_jobs: int | None = None,
) -> Evaluation:
    """`evaluate`, returning scores together with their provenance.

    Point-sample metrics share one training and one test draw, encoded once (each reads a prefix of it);
    BetaVAE, FactorVAE, fairness and the strong downstream task draw their own intervened samples.

    Parameters
    ----------
    data : GroundTruthData
        The data set to draw from (any object with disentanglement_lib's interface); every factor must take at
        least two values.
    representation : callable or torch.nn.Module
        Observations (N, H, W, C) float32 in [0, 1] -> latents (N, L); a torch module as in
        :func:`as_representation`.
    metrics : str or iterable of str, default STUDY_METRICS
        Metric names (``METRIC_NAMES``); the default is the reference study's suite.
    seed : int, default 0
        The suite seed, a non-negative integer: each metric's own seed and the shared draws' seed derive from it,
        so the same seed gives the same scores whichever other metrics run.
    options : mapping of str to mapping, optional
        Per metric, overrides of its study defaults (sample sizes, bins...), e.g. ``{"dci": {"num_train": 2000}}``;
        only the options a metric has are accepted.
    encode_batch_size : int, default 512
        Observations per call of ``representation``; bounds memory, not the scores.
    n_jobs : int or None, default None
        Processes for per-factor classifier fits (None: all cores); the scores do not depend on it.

    Returns
    -------
    Evaluation
        ``scores`` as :func:`evaluate` returns them, and ``provenance``: package versions, the suite seed and each
        metric's seed, each metric's resolved options, the shared draws' sizes, the data set's description, the
        start time and the seconds each metric took.

    Raises
    ------
    InvalidValueError
        As :func:`evaluate`.

    Examples
    --------
    >>> import gtdata
    >>> data = gtdata.ToyData(factor_sizes=(2, 3), image_size=8)  # factor f sets the brightness of rows 4f to 4f+3
    >>> def encode(x):  # (N, 8, 8, 1) -> (N, 2): one latent per factor, a disentangled representation
    ...     return x[:, ::4, 0, 0]
    >>> from gtdata.metrics import run_suite
    >>> options = {"mig": {"num_train": 1000}, "sap": {"num_train": 1000, "num_test": 500}}
    >>> evaluation = run_suite(data, encode, ["mig", "sap"], seed=0, options=options, n_jobs=1)
    >>> {name: round(score, 2) for name, score in evaluation.scores.items()}
    {'mig.discrete_mig': 1.0, 'sap.SAP_score': 0.41}
    >>> evaluation.provenance["sizes"]["sap"], evaluation.provenance["shared_sample"]["num_train"]
    ({'num_train': 1000, 'num_test': 500}, 1000)
    """
    names = check_metric_names(metrics)
    opts = _resolve_options(names, options)
    seeds = metric_seeds(seed)
    rep, _ = prepare(data, representation, 0)
    started = time.time()
    elapsed: dict[str, float] = {}
    shared_names = [n for n in names if METRICS[n].from_latents is not None]
    num_train = max((METRICS[n].sizes(opts[n])[0] for n in shared_names), default=0)
    num_test = max((METRICS[n].sizes(opts[n])[1] for n in shared_names), default=0)
    draws = None
    if shared_names:
        t0 = time.perf_counter()
        rng = np.random.RandomState(seeds["shared"])
        train = sample_latents(data, rep, num_train, rng, encode_batch_size)
        test = sample_latents(data, rep, num_test, rng, encode_batch_size) if num_test else (None, None)
        draws = SharedDraws(*train, *test)
        elapsed["shared_sample"] = time.perf_counter() - t0
    scores: dict[str, float] = {}
    for name in names:
        spec = METRICS[name]
        rng = np.random.RandomState(seeds[name])
        t0 = time.perf_counter()
        if spec.from_latents is not None:
            result = spec.from_latents(draws, opts[name], rng, n_jobs)
        else:
            kwargs = dict(opts[name], encode_batch_size=encode_batch_size)
            if spec.parallel:
                kwargs["n_jobs"] = n_jobs
            result = spec.compute(data, rep, rng, **kwargs)
        elapsed[name] = time.perf_counter() - t0
        scores.update({f"{name}.{key}": value for key, value in result.items()})
    provenance = {
        "versions": versions(),
        "seed": int(seed),
        "metric_seeds": {n: seeds[n] for n in names} | ({"shared": seeds["shared"]} if shared_names else {}),
        "sizes": {n: to_plain(opts[n], json=True) for n in names},
        "shared_sample": {"num_train": num_train, "num_test": num_test, "metrics": shared_names},
        "encode_batch_size": encode_batch_size,
        "data": _describe_data(data),
        "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)),
        "elapsed_s": {k: round(v, 3) for k, v in elapsed.items()},
    }
    return Evaluation(scores, provenance)


def evaluate(
    data: object,
    representation: object,
    metrics: Iterable[str] | str = STUDY_METRICS,
    seed: int = 0,
    *,
    options: Mapping[str, Mapping[str, Any]] | None = None,
    encode_batch_size: int = DEFAULT_ENCODE_BATCH_SIZE,
    n_jobs: int | None = None,
    path: str | Path | None = None,
) -> dict[str, float]:
    """Evaluate `representation` on `data` with the named metrics (default: the study's suite, `STUDY_METRICS`).

    `representation`: a numpy (N, H, W, C) float32 -> (N, L) callable or a torch module. `seed`: the suite seed;
    same seed, same scores. `options`: per-metric overrides of the study defaults, e.g.
    `{"dci": {"num_train": 2000}}`. `encode_batch_size` bounds the images per representation call (memory).
    `n_jobs`: processes for per-factor classifier fits (None = all cores). With `path`, also writes
    `metrics.json` there (scores + provenance). Returns {"<metric>.<reference key>": value}.

    Parameters
    ----------
    data : GroundTruthData
        The data set to draw from (any object with disentanglement_lib's interface); every factor must take at
        least two values.
    representation : callable or torch.nn.Module
        Observations (N, H, W, C) float32 in [0, 1] -> latents (N, L); a torch module as in
        :func:`as_representation`.
    metrics : str or iterable of str, default STUDY_METRICS
        Metric names (``METRIC_NAMES``); the default is the reference study's suite.
    seed : int, default 0
        The suite seed, a non-negative integer: each metric's own seed and the shared draws' seed derive from it,
        so the same seed gives the same scores whichever other metrics run.
    options : mapping of str to mapping, optional
        Per metric, overrides of its study defaults (sample sizes, bins...), e.g. ``{"dci": {"num_train": 2000}}``;
        only the options a metric has are accepted.
    encode_batch_size : int, default 512
        Observations per call of ``representation``; bounds memory, not the scores.
    n_jobs : int or None, default None
        Processes for per-factor classifier fits (None: all cores); the scores do not depend on it.
    path : str or path, optional
        Also write ``metrics.json`` (scores and provenance) there, atomically.

    Returns
    -------
    dict of str to float
        ``"<metric>.<key>"`` -> score, with disentanglement_lib's keys (e.g. ``"mig.discrete_mig"``,
        ``"dci.disentanglement"``).

    Raises
    ------
    InvalidValueError
        If ``metrics`` is empty or names an unknown metric, an option is not one of its metric's, an option
        names a metric that is not evaluated, or ``seed`` is not a non-negative integer.

    See Also
    --------
    run_suite : the same, returning the provenance too.

    Examples
    --------
    >>> import gtdata
    >>> data = gtdata.ToyData(factor_sizes=(2, 3), image_size=8)  # factor f sets the brightness of rows 4f to 4f+3
    >>> def encode(x):  # (N, 8, 8, 1) -> (N, 2): one latent per factor, a disentangled representation
    ...     return x[:, ::4, 0, 0]
    >>> from pathlib import Path
    >>> from gtdata.metrics import evaluate
    >>> options = {"mig": {"num_train": 1000}, "sap": {"num_train": 1000, "num_test": 500}}
    >>> scores = evaluate(data, encode, ["mig", "sap"], seed=0, options=options, n_jobs=1, path="metrics.json")
    >>> {name: round(score, 2) for name, score in scores.items()}
    {'mig.discrete_mig': 1.0, 'sap.SAP_score': 0.41}
    >>> Path("metrics.json").is_file()
    True
    >>> evaluate(data, encode, ["mig", "sap"], seed=0, options=options, n_jobs=1) == scores
    True
    """
    result = run_suite(data, representation, metrics, seed, options, encode_batch_size, n_jobs)
    if path is not None:
        write_metrics_json(path, result)
    return result.scores


def write_metrics_json(
    path: str | Path, evaluation: Evaluation, extra_provenance: Mapping[str, Any] | None = None
) -> Path:
    """Write an Evaluation as JSON to `path` atomically (temp file, verified, rename; NaN becomes null).

    Parameters
    ----------
    path : str or path
        The JSON file to write (its folder is created); an existing file is replaced.
    evaluation : Evaluation
        Scores and provenance, as :func:`run_suite` returns them.
    extra_provenance : mapping, optional
        More provenance entries (e.g. the run's id), merged into ``provenance``.

    Returns
    -------
    pathlib.Path
        The path written.

    Examples
    --------
    >>> import json
    >>> from gtdata.metrics import Evaluation, write_metrics_json
    >>> evaluation = Evaluation({"mig.discrete_mig": 0.5, "irs.IRS": float("nan")}, {"seed": 0})
    >>> path = write_metrics_json("metrics.json", evaluation, extra_provenance={"run_id": "demo"})
    >>> json.loads(path.read_text())
    {'format': 'gtdata-metrics/1', 'scores': {'mig.discrete_mig': 0.5, 'irs.IRS': None},
     'provenance': {'seed': 0, 'run_id': 'demo'}}
    """
    payload = evaluation.to_json()  # a fresh dict; atomic_write_json makes it plain JSON once
    if extra_provenance:
        payload["provenance"] = {**payload["provenance"], **extra_provenance}
    return atomic_write_json(path, payload)


def _describe_data(data: object) -> dict[str, Any]:
    desc: dict[str, Any] = {
        "class": type(data).__name__,
        "factors_num_values": [int(s) for s in data.factors_num_values],
    }
    for attr in ("name", "split_description"):
        value = getattr(data, attr, None)
        if value is not None:
            desc[attr] = to_plain(value, json=True)
    metadata = getattr(data, "metadata", None)
    if isinstance(metadata, Mapping):
        desc["metadata"] = to_plain(dict(metadata), json=True)
    return desc
