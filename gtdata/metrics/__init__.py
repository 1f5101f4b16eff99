"""The study's metric suite: `evaluate(data, representation, metrics=[...], seed=...)`, the sampling-level
`compute_<metric>(data, representation, random_state, ...)` functions, and `arrays` (metrics on latents and factors)."""

from __future__ import annotations

import importlib
from typing import Any

# The suite and its table load no scikit-learn: imported here (binding the name ``evaluate`` to the function,
# not to its module).
from gtdata.metrics.evaluate import METRIC_NAMES, STUDY_METRICS, Evaluation, evaluate, run_suite, write_metrics_json
from gtdata.metrics.sampling import as_representation

# name -> defining module of the metrics that fit models: imported on first use (PEP 562), so that the CLI,
# which reads the metric table for its help, does not load scikit-learn.
_EXPORTS = {
    "arrays": None,
    "compute_beta_vae": "beta_vae",
    "compute_dci": "dci",
    "compute_dci_fast": "dci",
    "compute_downstream": "downstream",
    "compute_downstream_boosted_trees": "downstream",
    "compute_downstream_logistic_regression": "downstream",
    "compute_factor_vae": "factor_vae",
    "compute_fairness": "fairness",
    "compute_irs": "irs",
    "compute_mig": "mig",
    "compute_modularity_explicitness": "modularity",
    "compute_reduced_downstream": "reduced_downstream",
    "compute_sap": "sap",
    "compute_strong_downstream": "strong_downstream",
    "compute_unsupervised": "unsupervised",
}


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'gtdata.metrics' has no attribute {name!r}")
    module = importlib.import_module(f"gtdata.metrics.{_EXPORTS[name] or name}")
    value = module if _EXPORTS[name] is None else getattr(module, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))


__all__ = [
    "METRIC_NAMES",
    "STUDY_METRICS",
    "Evaluation",
    "arrays",
    "as_representation",
    "compute_beta_vae",
    "compute_dci",
    "compute_dci_fast",
    "compute_downstream",
    "compute_downstream_boosted_trees",
    "compute_downstream_logistic_regression",
    "compute_factor_vae",
    "compute_fairness",
    "compute_irs",
    "compute_mig",
    "compute_modularity_explicitness",
    "compute_reduced_downstream",
    "compute_sap",
    "compute_strong_downstream",
    "compute_unsupervised",
    "evaluate",
    "run_suite",
    "write_metrics_json",
]
