"""Samplers: what to draw from a data set — single codes, intervention pairs, triplets, counterfactual pairs,
environments, sequences — counter-based and seeded (row ``i`` depends only on the seed and ``i``).

A sampler is separate from the data: the data set says which distribution its codes come from (uniform, or a
factor distribution such as a :class:`gtdata.causal.SCM` attached with ``data.with_distribution(scm)``) and how
codes become observations; the sampler says what a row is. :func:`make_sampler` builds one from its name and
options, which is how configs, study specs and :class:`gtdata.torchdata.BatchStream` name them.
"""

from .base import Sampler
from .pairs import PairSampler, TripletSampler, check_k, intervene, shared_pairs
from .registry import SAMPLERS, make_sampler, sampler_names
from .uniform import CodeBatch, UniformSampler

__all__ = [
    "CodeBatch",
    "PairSampler",
    "SAMPLERS",
    "Sampler",
    "TripletSampler",
    "UniformSampler",
    "check_k",
    "intervene",
    "make_sampler",
    "sampler_names",
    "shared_pairs",
]
