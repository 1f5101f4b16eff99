"""Causal and correlated factor regimes over any gtdata set.

- :class:`SCM`: a DAG over a data set's factors with exact ``log_prob``, ancestral ``sample_codes``, hard
  (``do``) and soft (``intervene``, ``shift``) interventions; mechanisms in :mod:`gtdata.causal.mechanisms`.
- :func:`correlated`: Träuble et al.'s and Roth et al.'s correlated factor pairs, as an SCM.
- ``data.with_distribution(scm)``: a view whose every sampler draws its codes from the SCM.
- :func:`counterfactual_pairs`, :func:`environments`, :func:`sequences`: the data regimes of causal
  representation learning, counter-based and seeded like every gtdata sampler.
"""

from .correlated import correlated, traeuble_table
from .counterfactual import CounterfactualBatch, CounterfactualSampler, counterfactual_pairs
from .environments import EnvironmentBatch, EnvironmentSampler, environments
from .mechanisms import AdditiveNoise, Categorical, Fixed, Mechanism, Table, TruncatedNormal, Uniform
from .scm import SCM, SCMError, as_scm, load_scm
from .sequences import SequenceBatch, SequenceSampler, Transition, sequences

__all__ = [
    "SCM",
    "AdditiveNoise",
    "Categorical",
    "CounterfactualBatch",
    "CounterfactualSampler",
    "EnvironmentBatch",
    "EnvironmentSampler",
    "Fixed",
    "Mechanism",
    "SCMError",
    "SequenceBatch",
    "SequenceSampler",
    "Table",
    "Transition",
    "TruncatedNormal",
    "Uniform",
    "as_scm",
    "correlated",
    "counterfactual_pairs",
    "environments",
    "load_scm",
    "sequences",
    "traeuble_table",
]
