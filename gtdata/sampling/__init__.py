"""Samplers: what to draw from a data set — single codes, intervention pairs, triplets, counterfactual pairs,
environments, sequences — counter-based and seeded (row ``i`` depends only on the seed and ``i``).

A sampler is separate from the data: the data set says which distribution its codes come from (uniform, or a
factor distribution such as a :class:`gtdata.causal.SCM` attached with ``data.with_distribution(scm)``) and how
codes become observations; the sampler says what a row is. :func:`make_sampler` builds one from its name and
options, which is how configs, study specs and :class:`gtdata.torchdata.BatchStream` name them.

Where they live: the samplers that need only the data protocol (the :class:`Sampler` base, uniform, pairs,
triplets, shared pairs) are defined in the core layer (:mod:`gtdata.core.sampler`, :mod:`gtdata.core.pairs`),
because GroundTruthData's own ``stream``/``sample_pairs``/``sample_triplets`` are these samplers and the core
imports nothing above it; the causal ones (counterfactual, environments, sequences) in :mod:`gtdata.causal`.
This package is where every sampler is found and named.
"""

from gtdata.core.pairs import PairSampler, TripletSampler, check_k, intervene, shared_pairs
from gtdata.core.sampler import CodeBatch, Sampler, UniformSampler

from .registry import SAMPLERS, make_sampler, sampler_names

__all__ = [
    "SAMPLERS",
    "CodeBatch",
    "PairSampler",
    "Sampler",
    "TripletSampler",
    "UniformSampler",
    "check_k",
    "intervene",
    "make_sampler",
    "sampler_names",
    "shared_pairs",
]
