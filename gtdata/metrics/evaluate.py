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

import platform
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from gtdata.metrics import (
    beta_vae,
    dci,
    downstream,
    factor_vae,
    fairness,
    infomec,
    irs,
    mcc,
    mig,
    modularity,
    pair_sharing,
    r2,
    reduced_downstream,
    sap,
    strong_downstream,
    unsupervised,
)
from gtdata.metrics.sampling import DEFAULT_ENCODE_BATCH_SIZE, prepare, sample_codes

FORMAT = "gtdata-metrics/1"


@dataclass(frozen=True)
class MetricSpec:
    """A metric of the suite: its defaults, sampling-level function, and how it uses the shared sample.

    `shared(codes_train, factors_train, codes_test, factors_test, rng, options, n_jobs)` computes the metric from
    the shared draws (None: the metric samples on its own through `compute`). `sizes(options)` gives the
    (train, test) points it needs from the shared draws.
    """

    name: str
    compute: Callable[..., dict[str, float]]
    defaults: Mapping[str, Any]
    shared: Callable[..., dict[str, float]] | None = None
    sizes: Callable[[Mapping[str, Any]], tuple[int, int]] | None = None
    parallel: bool = field(default=False)


def _largest(value: Any) -> int:
    return max(downstream.check_sizes(value))


def _downstream_shared(predictor: str) -> Callable[..., dict[str, float]]:
    def run(ctr, ftr, cte, fte, rng, o, n_jobs):
        out: dict[str, float] = {}
        for n in downstream.check_sizes(o["num_train"]):
            out.update(downstream.downstream(ctr[:n], ftr[:n], cte[: o["num_test"]], fte[: o["num_test"]], predictor, rng, n_jobs))
        return out

    return run


def _reduced_shared(ctr, ftr, cte, fte, rng, o, n_jobs):
    out: dict[str, float] = {}
    for n in downstream.check_sizes(o["num_train"]):
        out.update(
            reduced_downstream.reduced_downstream(ctr[:n], ftr[:n], cte[: o["num_test"]], fte[: o["num_test"]], o["num_factors_to_remove"], rng, n_jobs)
        )
    return out


def _mcc_shared(ctr, ftr, cte, fte, rng, o, n_jobs):
    n = o["num_train"]
    if o["out_of_sample"]:
        m = o["num_test"]
        return mcc.mcc_scores(mcc.mcc(ctr[:n], ftr[:n], o["method"], latents_test=cte[:m], factors_test=fte[:m]))
    return mcc.mcc_scores(mcc.mcc(ctr[:n], ftr[:n], o["method"]))


_TRAIN_TEST = {"num_train": 10000, "num_test": 5000}
METRICS: dict[str, MetricSpec] = {
    s.name: s
    for s in (
        MetricSpec("beta_vae", beta_vae.compute_beta_vae, {"batch_size": 64, "num_train": 10000, "num_eval": 5000}),
        MetricSpec(
            "factor_vae",
            factor_vae.compute_factor_vae,
            {"batch_size": 64, "num_train": 10000, "num_eval": 5000, "num_variance_estimate": 10000, "threshold": 0.05},
        ),
        MetricSpec(
            "mig", mig.compute_mig, {"num_train": 10000, "num_bins": 20},
            lambda ctr, ftr, cte, fte, rng, o, j: mig.mig(ctr[: o["num_train"]], ftr[: o["num_train"]], o["num_bins"]),
            lambda o: (o["num_train"], 0),
        ),
        MetricSpec(
            "dci", dci.compute_dci, dict(_TRAIN_TEST),
            lambda ctr, ftr, cte, fte, rng, o, j: dci.dci(ctr[: o["num_train"]], ftr[: o["num_train"]], cte[: o["num_test"]], fte[: o["num_test"]], rng, j),
            lambda o: (o["num_train"], o["num_test"]), True,
        ),
        MetricSpec(
            "dci_fast", dci.compute_dci_fast, dict(_TRAIN_TEST),
            lambda ctr, ftr, cte, fte, rng, o, j: dci.dci_fast(ctr[: o["num_train"]], ftr[: o["num_train"]], cte[: o["num_test"]], fte[: o["num_test"]], rng, j),
            lambda o: (o["num_train"], o["num_test"]), True,
        ),
        MetricSpec(
            "sap", sap.compute_sap, dict(_TRAIN_TEST),
            lambda ctr, ftr, cte, fte, rng, o, j: sap.sap(ctr[: o["num_train"]], ftr[: o["num_train"]], cte[: o["num_test"]], fte[: o["num_test"]], rng, n_jobs=j),
            lambda o: (o["num_train"], o["num_test"]), True,
        ),
        MetricSpec(
            "modularity_explicitness", modularity.compute_modularity_explicitness, {**_TRAIN_TEST, "num_bins": 20},
            lambda ctr, ftr, cte, fte, rng, o, j: modularity.modularity_explicitness(
                ctr[: o["num_train"]], ftr[: o["num_train"]], cte[: o["num_test"]], fte[: o["num_test"]], rng, o["num_bins"], j
            ),
            lambda o: (o["num_train"], o["num_test"]), True,
        ),
        MetricSpec(
            "irs", irs.compute_irs, {"num_train": 10000, "diff_quantile": 0.99, "num_bins": 20},
            lambda ctr, ftr, cte, fte, rng, o, j: irs.irs(ctr[: o["num_train"]], ftr[: o["num_train"]], o["diff_quantile"], o["num_bins"]),
            lambda o: (o["num_train"], 0),
        ),
        MetricSpec(
            "unsupervised", unsupervised.compute_unsupervised, {"num_train": 10000, "num_bins": 20},
            lambda ctr, ftr, cte, fte, rng, o, j: unsupervised.unsupervised(ctr[: o["num_train"]], o["num_bins"]),
            lambda o: (o["num_train"], 0),
        ),
        MetricSpec(
            "downstream_logistic_regression",
            downstream.compute_downstream_logistic_regression,
            {"num_train": downstream.DEFAULT_NUM_TRAIN, "num_test": 5000},
            _downstream_shared("logistic_regression"),
            lambda o: (_largest(o["num_train"]), o["num_test"]), True,
        ),
        MetricSpec(
            "downstream_boosted_trees",
            downstream.compute_downstream_boosted_trees,
            {"num_train": downstream.DEFAULT_NUM_TRAIN, "num_test": 5000},
            _downstream_shared("boosted_trees"),
            lambda o: (_largest(o["num_train"]), o["num_test"]), True,
        ),
        MetricSpec("fairness", fairness.compute_fairness, {"num_train": 10000, "num_test_points_per_class": 100}),
        MetricSpec("strong_downstream", strong_downstream.compute_strong_downstream, {"num_train": (1000,), "num_test": 1000, "n_experiment": 2}, parallel=True),
        MetricSpec(
            "reduced_downstream", reduced_downstream.compute_reduced_downstream, {"num_train": (100,), "num_test": 100, "num_factors_to_remove": 1},
            _reduced_shared, lambda o: (_largest(o["num_train"]), o["num_test"]), True,
        ),
        # New metrics go below, never above: a metric's seed is its position in this table.
        MetricSpec(
            "mcc", mcc.compute_mcc, {"num_train": 10000, "method": "pearson", "out_of_sample": False, "num_test": 5000},
            _mcc_shared, lambda o: (o["num_train"], o["num_test"] if o["out_of_sample"] else 0),
        ),
        MetricSpec(
            "r2", r2.compute_r2,
            {"num_train": 10000, "num_test": 5000, "regressor": "linear", "categorical": [], "max_kernel_train": r2.DEFAULT_MAX_KERNEL_TRAIN},
            lambda ctr, ftr, cte, fte, rng, o, j: r2.r2_scores(
                r2.r2(
                    ctr[: o["num_train"]], ftr[: o["num_train"]], latents_test=cte[: o["num_test"]], factors_test=fte[: o["num_test"]],
                    regressor=o["regressor"], categorical=o["categorical"], max_kernel_train=o["max_kernel_train"], rng=rng,
                )
            ),
            lambda o: (o["num_train"], o["num_test"]),
        ),
        MetricSpec(
            "infomec", infomec.compute_infomec, {"num_train": 10000, "discrete_latents": False},
            lambda ctr, ftr, cte, fte, rng, o, j: infomec.infomec_scores(
                infomec.infomec(ctr[: o["num_train"]], ftr[: o["num_train"]], discrete_latents=o["discrete_latents"], rng=rng)
            ),
            lambda o: (o["num_train"], 0),
        ),
        MetricSpec(
            "pair_sharing", pair_sharing.compute_pair_sharing, {"num_train": 10000, "pair": None},
            lambda ctr, ftr, cte, fte, rng, o, j: pair_sharing.pair_sharing(ctr[: o["num_train"]], ftr[: o["num_train"]], o["pair"]),
            lambda o: (o["num_train"], 0),
        ),
    )
}

METRIC_NAMES: tuple[str, ...] = tuple(METRICS)
"""Every metric `evaluate` knows, in a fixed order (also the order of their seeds)."""

STUDY_METRICS: tuple[str, ...] = (
    "beta_vae", "factor_vae", "mig", "dci", "sap", "modularity_explicitness", "unsupervised",
    "downstream_logistic_regression", "downstream_boosted_trees",
)
"""The metrics of the reference study (disentanglement_lib's unsupervised_study_v1 metric configs)."""


def check_metric_names(metrics: Iterable[str] | str) -> list[str]:
    """Validate metric names (a list, or one name); unknown names raise a ValueError listing the valid ones."""
    names = [metrics] if isinstance(metrics, str) else list(metrics)
    if not names:
        raise ValueError(f"metrics must name at least one metric; valid: {', '.join(METRIC_NAMES)}")
    unknown = [m for m in names if m not in METRICS]
    if unknown:
        raise ValueError(f"unknown metric(s) {unknown}; valid: {', '.join(METRIC_NAMES)}")
    return list(dict.fromkeys(names))


def metric_seeds(seed: int) -> dict[str, int]:
    """Per-metric seeds drawn from RandomState(seed): one for the shared draws, then one per metric in
    METRIC_NAMES order, so a metric's seed does not depend on which others run."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer; got {seed!r}")
    draws = np.random.RandomState(int(seed)).randint(0, 2**32, size=len(METRIC_NAMES) + 1, dtype=np.int64)
    return {"shared": int(draws[0]), **{name: int(s) for name, s in zip(METRIC_NAMES, draws[1:])}}


def _resolve_options(names: list[str], options: Mapping[str, Mapping[str, Any]] | None) -> dict[str, dict[str, Any]]:
    options = dict(options or {})
    unknown = [m for m in options if m not in names]
    if unknown:
        raise ValueError(f"options given for metric(s) {unknown} that are not being evaluated ({names})")
    resolved = {}
    for name in names:
        given = dict(options.get(name, {}))
        bad = [k for k in given if k not in METRICS[name].defaults]
        if bad:
            raise ValueError(f"unknown option(s) {bad} for metric {name!r}; valid: {sorted(METRICS[name].defaults)}")
        resolved[name] = {**METRICS[name].defaults, **given}
    return resolved


def versions() -> dict[str, str]:
    """Versions of the packages that change metric values (scikit-learn above all), and of Python."""
    import scipy
    import sklearn

    import gtdata

    out = {"gtdata": gtdata.__version__, "numpy": np.__version__, "scikit-learn": sklearn.__version__, "scipy": scipy.__version__}
    out["python"] = platform.python_version()
    return out


@dataclass
class Evaluation:
    """Scores ("<metric>.<reference key>" -> number) and their provenance (versions, seeds, sizes, timings)."""

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
    """`evaluate`, returning scores together with their provenance."""
    names = check_metric_names(metrics)
    opts = _resolve_options(names, options)
    seeds = metric_seeds(seed)
    rep, _ = prepare(data, representation, 0)
    started = time.time()
    elapsed: dict[str, float] = {}
    shared_names = [n for n in names if METRICS[n].shared is not None]
    num_train = max((METRICS[n].sizes(opts[n])[0] for n in shared_names), default=0)
    num_test = max((METRICS[n].sizes(opts[n])[1] for n in shared_names), default=0)
    ctr = ftr = cte = fte = None
    if shared_names:
        t0 = time.perf_counter()
        rng = np.random.RandomState(seeds["shared"])
        ctr, ftr = sample_codes(data, rep, num_train, rng, encode_batch_size)
        if num_test:
            cte, fte = sample_codes(data, rep, num_test, rng, encode_batch_size)
        elapsed["shared_sample"] = time.perf_counter() - t0
    scores: dict[str, float] = {}
    for name in names:
        spec = METRICS[name]
        rng = np.random.RandomState(seeds[name])
        t0 = time.perf_counter()
        if spec.shared is not None:
            result = spec.shared(ctr, ftr, cte, fte, rng, opts[name], n_jobs)
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
        "sizes": {n: _jsonable(opts[n]) for n in names},
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
    """
    result = run_suite(data, representation, metrics, seed, options, encode_batch_size, n_jobs)
    if path is not None:
        write_metrics_json(path, result)
    return result.scores


def write_metrics_json(path: str | Path, evaluation: Evaluation, extra_provenance: Mapping[str, Any] | None = None) -> Path:
    """Write an Evaluation as JSON to `path` atomically (temp file, verified round trip, rename)."""
    import json

    from gtdata.store.atomic import atomic_write_text

    payload = _jsonable(evaluation.to_json())
    if extra_provenance:
        payload["provenance"] = {**payload["provenance"], **_jsonable(dict(extra_provenance))}
    text = json.dumps(payload, indent=2, allow_nan=False) + "\n"
    if json.loads(text)["scores"].keys() != payload["scores"].keys():
        raise RuntimeError("metrics.json did not survive a JSON round trip")
    return atomic_write_text(path, text)


def _jsonable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return _jsonable(value.tolist())
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None  # JSON has no NaN / infinity
    if isinstance(value, Path):
        return str(value)
    return value


def _describe_data(data: object) -> dict[str, Any]:
    desc: dict[str, Any] = {"class": type(data).__name__, "factors_num_values": [int(s) for s in data.factors_num_values]}
    for attr in ("name", "split_description"):
        value = getattr(data, attr, None)
        if value is not None:
            desc[attr] = _jsonable(value)
    metadata = getattr(data, "metadata", None)
    if isinstance(metadata, Mapping):
        desc["metadata"] = _jsonable(dict(metadata))
    return desc
