"""Array-level metrics: `latents` (N, L) float and integer factor indices `factors` (N, F), rows are points.

The identifiability metrics (`mcc`, `r2`, `infomec`) call the representation `latents` and return arrays (the
correlation or NMI matrix, the matching) next to their scores.

Train/test metrics take `(latents_train, factors_train, latents_test, factors_test, rng=...)`. Every function
returns a dict with disentanglement_lib's keys (or, for the helpers, the documented array).
"""

from gtdata.metrics.beta_vae import beta_vae
from gtdata.metrics.dci import dci, dci_fast, dci_scores, importance_matrix
from gtdata.metrics.downstream import downstream
from gtdata.metrics.factor_vae import factor_vae
from gtdata.metrics.fairness import aggregate_fairness, inter_group_fairness
from gtdata.metrics.infomec import infomec, nmi_matrix
from gtdata.metrics.information import discrete_entropy, discrete_mutual_info, histogram_discretize
from gtdata.metrics.irs import irs, irs_matrix
from gtdata.metrics.mcc import correlation_matrix, mcc
from gtdata.metrics.mig import mig
from gtdata.metrics.modularity import modularity, modularity_explicitness
from gtdata.metrics.pair_sharing import pair_sharing
from gtdata.metrics.r2 import r2
from gtdata.metrics.reduced_downstream import reduced_downstream
from gtdata.metrics.sap import sap
from gtdata.metrics.unsupervised import gaussian_total_correlation, gaussian_wasserstein_correlation, unsupervised

__all__ = [
    "aggregate_fairness",
    "beta_vae",
    "correlation_matrix",
    "dci",
    "dci_fast",
    "dci_scores",
    "discrete_entropy",
    "discrete_mutual_info",
    "downstream",
    "factor_vae",
    "gaussian_total_correlation",
    "gaussian_wasserstein_correlation",
    "histogram_discretize",
    "importance_matrix",
    "infomec",
    "inter_group_fairness",
    "irs",
    "irs_matrix",
    "mcc",
    "mig",
    "modularity",
    "modularity_explicitness",
    "nmi_matrix",
    "pair_sharing",
    "r2",
    "reduced_downstream",
    "sap",
    "unsupervised",
]
