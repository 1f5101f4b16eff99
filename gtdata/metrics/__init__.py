"""The study's metric suite: `evaluate(data, representation, metrics=[...], seed=...)`, the sampling-level
`compute_<metric>(data, representation, random_state, ...)` functions, and `arrays` (metrics on codes/factors)."""

from gtdata.metrics import arrays
from gtdata.metrics.beta_vae import compute_beta_vae
from gtdata.metrics.dci import compute_dci, compute_dci_fast
from gtdata.metrics.downstream import compute_downstream, compute_downstream_boosted_trees, compute_downstream_logistic_regression
from gtdata.metrics.evaluate import METRIC_NAMES, STUDY_METRICS, Evaluation, evaluate, run_suite, write_metrics_json
from gtdata.metrics.factor_vae import compute_factor_vae
from gtdata.metrics.fairness import compute_fairness
from gtdata.metrics.irs import compute_irs
from gtdata.metrics.mig import compute_mig
from gtdata.metrics.modularity import compute_modularity_explicitness
from gtdata.metrics.reduced_downstream import compute_reduced_downstream
from gtdata.metrics.sampling import as_representation
from gtdata.metrics.sap import compute_sap
from gtdata.metrics.strong_downstream import compute_strong_downstream
from gtdata.metrics.unsupervised import compute_unsupervised

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
