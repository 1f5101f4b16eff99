"""Unsupervised scores of disentanglement_lib's `unsupervised` metric: Gaussian total correlation, Gaussian
Wasserstein correlation (plain and normalised) and the mean pairwise mutual information between latents."""

from __future__ import annotations

import warnings

import numpy as np
import scipy.linalg

from gtdata.core.deprecation import renamed_keywords
from gtdata.core.rng import RNGLike
from gtdata.metrics._checks import check_latents
from gtdata.metrics.information import discrete_mutual_info, discretize
from gtdata.metrics.sampling import DEFAULT_ENCODE_BATCH_SIZE, prepare, sample_latents


def gaussian_total_correlation(cov: np.ndarray) -> float:
    """KL(N(0, cov) || N(0, diag cov)) = (sum_l log cov_ll - log det cov) / 2, in nats."""
    return float(0.5 * (np.sum(np.log(np.diag(cov))) - np.linalg.slogdet(cov)[1]))


def gaussian_wasserstein_correlation(cov: np.ndarray) -> float:
    """Squared 2-Wasserstein distance between N(0, cov) and N(0, diag cov): 2 tr(cov) - 2 tr(sqrtm(diag(cov) cov))."""
    root = scipy.linalg.sqrtm(cov * np.diag(cov)[:, None])
    return float(2.0 * np.trace(cov) - 2.0 * np.real(np.trace(root)))


@renamed_keywords(codes="latents")
def unsupervised(latents: np.ndarray, num_bins: int | None = 20) -> dict[str, float]:
    """Unsupervised scores of latents (N, L); factors are not used.

    Keys `gaussian_total_correlation`, `gaussian_wasserstein_correlation`, `gaussian_wasserstein_correlation_norm`
    (divided by tr cov) and `mutual_info_score` (mean MI over ordered pairs of distinct discretised latents; 0 for L=1).
    Exactly constant dimensions are independent of the rest and contribute 0 to both Gaussian scores: they are
    left out of those (with a warning), where the reference would produce log(0).
    """
    latents = check_latents(latents)
    num_latents = latents.shape[1]
    varying = latents.std(axis=0) > 0
    if not varying.all():
        warnings.warn(
            f"unsupervised: code dimension(s) {np.nonzero(~varying)[0].tolist()} are constant; they contribute 0 "
            "to the Gaussian scores",
            RuntimeWarning,
            stacklevel=2,
        )
    if varying.any():
        cov = np.atleast_2d(np.cov(latents[:, varying], rowvar=False))
        tc = gaussian_total_correlation(cov)
        wc = gaussian_wasserstein_correlation(cov)
        wc_norm = wc / float(np.trace(cov))
    else:
        tc = wc = wc_norm = 0.0
    labels = discretize(latents, num_bins)
    mi = discrete_mutual_info(labels, labels)
    np.fill_diagonal(mi, 0.0)
    mi_score = float(np.sum(mi) / (num_latents**2 - num_latents)) if num_latents > 1 else 0.0
    return {
        "gaussian_total_correlation": tc,
        "gaussian_wasserstein_correlation": wc,
        "gaussian_wasserstein_correlation_norm": wc_norm,
        "mutual_info_score": mi_score,
    }


def compute_unsupervised(
    data: object,
    representation: object,
    random_state: RNGLike = None,
    num_train: int = 10000,
    num_bins: int = 20,
    encode_batch_size: int = DEFAULT_ENCODE_BATCH_SIZE,
) -> dict[str, float]:
    """Unsupervised scores on `num_train` fresh draws (study default 10,000 points, 20 bins).

    The factors are not used: the scores measure how far the latents are from independent.

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
        Equal-width histogram bins per latent dimension for the mutual information.
    encode_batch_size : int, default 512
        Observations per call of ``representation``; bounds the memory of a draw.

    Returns
    -------
    dict of str to float
        ``gaussian_total_correlation`` (nats), ``gaussian_wasserstein_correlation`` (squared latent units) and its
        ``gaussian_wasserstein_correlation_norm`` (divided by the total variance), all of a Gaussian fitted to the
        latents, and ``mutual_info_score``: the mean mutual information (nats) between pairs of discretised latents.
        0 means independent latents.

    Examples
    --------
    >>> import gtdata
    >>> data = gtdata.ToyData(factor_sizes=(2, 3), image_size=8)  # factor f sets the brightness of rows 4f to 4f+3
    >>> def encode(x):  # (N, 8, 8, 1) -> (N, 2): one latent per factor, a disentangled representation
    ...     return x[:, ::4, 0, 0]
    >>> def entangle(x):  # the same information, but each latent mixes both factors
    ...     return encode(x) @ [[1.0, 1.0], [-1.0, 1.0]]
    >>> from gtdata.metrics import compute_unsupervised
    >>> round(compute_unsupervised(data, encode, random_state=0, num_train=1000)["mutual_info_score"], 2)
    0.0
    >>> round(compute_unsupervised(data, entangle, random_state=0, num_train=1000)["mutual_info_score"], 2)
    1.79
    """
    rep, rng = prepare(data, representation, random_state)
    latents, _ = sample_latents(data, rep, num_train, rng, encode_batch_size)
    return unsupervised(latents, num_bins)
