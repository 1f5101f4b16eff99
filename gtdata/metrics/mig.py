"""Mutual Information Gap (Chen et al.), as disentanglement_lib's `mig` (key `discrete_mig`)."""

from __future__ import annotations

import numpy as np

from gtdata.core.deprecation import renamed_keywords
from gtdata.core.rng import RNGLike
from gtdata.metrics._checks import check_factors, check_latents
from gtdata.metrics.information import discrete_entropy, discrete_mutual_info, discretize
from gtdata.metrics.sampling import DEFAULT_ENCODE_BATCH_SIZE, prepare, sample_latents


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
    """MIG on `num_train` fresh draws from `data` (study default 10,000 points, 20 bins).

    Parameters
    ----------
    data : GroundTruthData
        The data set to draw from: any object with disentanglement_lib's interface (``num_factors``,
        ``factors_num_values``, ``sample_factors``, ``sample_observations_from_factors``, ``sample``); every
        factor must take at least two values.
    representation : callable or torch.nn.Module
        The representation to score: observations (N, H, W, C) float32 in [0, 1] -> latents (N, L). A torch
        module gets NCHW tensors on its device; of a tuple output (a Gaussian encoder's ``(mean, logvar)``) the
        first element is used (:func:`as_representation`).
    random_state : int, numpy.random.Generator, numpy.random.RandomState or None, default None
        Seed of the draws and of the fits (disentanglement_lib's name); the same seed gives the same scores.
        None draws fresh entropy.
    num_train : int, default 10000
        Points drawn and encoded.
    num_bins : int, default 20
        Equal-width histogram bins per latent dimension (the latents are discretised before the mutual
        information is estimated).
    encode_batch_size : int, default 512
        Observations per call of ``representation``; bounds the memory of a draw.

    Returns
    -------
    dict of str to float
        ``{"discrete_mig": score}``: for each factor, the mutual information of its most informative latent
        minus that of the second one, divided by the factor's entropy, averaged over factors; in [0, 1].

    See Also
    --------
    evaluate : the whole suite, sharing one draw between the point-sample metrics.

    Examples
    --------
    >>> import gtdata
    >>> data = gtdata.ToyData(factor_sizes=(2, 3), image_size=8)  # factor f sets the brightness of rows 4f to 4f+3
    >>> def encode(x):  # (N, 8, 8, 1) -> (N, 2): one latent per factor, a disentangled representation
    ...     return x[:, ::4, 0, 0]
    >>> def entangle(x):  # the same information, but each latent mixes both factors
    ...     return encode(x) @ [[1.0, 1.0], [-1.0, 1.0]]
    >>> from gtdata.metrics import compute_mig
    >>> round(compute_mig(data, encode, random_state=0, num_train=1000)["discrete_mig"], 2)
    1.0
    >>> round(compute_mig(data, entangle, random_state=0, num_train=1000)["discrete_mig"], 2)
    0.0
    """
    rep, rng = prepare(data, representation, random_state)
    latents, factors = sample_latents(data, rep, num_train, rng, encode_batch_size)
    return mig(latents, factors, num_bins)
