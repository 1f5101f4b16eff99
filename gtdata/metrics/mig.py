"""Mutual Information Gap (Chen et al.), as disentanglement_lib's `mig` (key `discrete_mig`)."""

from __future__ import annotations

import numpy as np

from gtdata.metrics._checks import check_latents, check_factors
from gtdata.core.rng import RNGLike
from gtdata.metrics.information import discrete_entropy, discrete_mutual_info, discretize
from gtdata.metrics.sampling import DEFAULT_ENCODE_BATCH_SIZE, prepare, sample_latents
from gtdata.core.deprecation import renamed_keywords


def top_two_gap(matrix: np.ndarray) -> np.ndarray:
    """Per column, the largest entry minus the second largest (the second is 0 when there is one row)."""
    top = np.sort(matrix, axis=0)[::-1]
    second = top[1] if top.shape[0] > 1 else np.zeros(top.shape[1])
    return top[0] - second


@renamed_keywords(codes="latents")
def mig(latents: np.ndarray, factors: np.ndarray, num_bins: int | None = 20) -> dict[str, float]:
    """MIG of latents (N, L) against integer factors (N, F): mean over factors of the gap between the two latents with
    the most mutual information, divided by the factor's entropy. Codes are histogram-discretised into `num_bins`
    bins per dimension (None: already discrete). Returns {"discrete_mig": float}."""
    latents = check_latents(latents)
    factors = check_factors(factors, latents.shape[0])
    m = discrete_mutual_info(discretize(latents, num_bins), factors)
    return {"discrete_mig": float(np.mean(top_two_gap(m) / discrete_entropy(factors)))}


def compute_mig(
    data: object,
    representation: object,
    random_state: RNGLike = None,
    num_train: int = 10000,
    num_bins: int = 20,
    encode_batch_size: int = DEFAULT_ENCODE_BATCH_SIZE,
) -> dict[str, float]:
    """MIG on `num_train` fresh draws from `data` (study default 10,000 points, 20 bins)."""
    rep, rng = prepare(data, representation, random_state)
    latents, factors = sample_latents(data, rep, num_train, rng, encode_batch_size)
    return mig(latents, factors, num_bins)
