"""Interventional Robustness Score (Suter et al.), as disentanglement_lib's `irs` (key `IRS`)."""

from __future__ import annotations

import warnings

import numpy as np

from gtdata.core.deprecation import renamed_keywords
from gtdata.core.errors import InvalidValueError
from gtdata.core.rng import RNGLike
from gtdata.metrics._checks import check_factors, check_latents
from gtdata.metrics.information import discretize
from gtdata.metrics.sampling import DEFAULT_ENCODE_BATCH_SIZE, prepare, sample_latents


@renamed_keywords(codes="latents")
def irs_matrix(factors: np.ndarray, latents: np.ndarray, diff_quantile: float = 0.99) -> tuple[np.ndarray, np.ndarray]:
    """IRS matrix (L latents x F factors) and the per-code max deviation ``max_n |z_n - mean z|`` (L,).

    Entry (l, i) = 1 - mean over values k of factor i of the `diff_quantile` quantile of ``|z_l - E[z_l | g_i = k]|``,
    divided by the max deviation of code l. `factors` are (discretised) labels (N, F), `latents` (N, L) non-constant.
    """
    max_dev = np.max(np.abs(latents - latents.mean(axis=0)), axis=0)
    cum_dev = np.zeros((latents.shape[1], factors.shape[1]))
    for i in range(factors.shape[1]):
        values, groups = np.unique(factors[:, i], return_inverse=True)
        order = np.argsort(groups, kind="stable")
        bounds = np.searchsorted(groups[order], np.arange(values.size + 1))
        for k in range(values.size):  # one vectorised quantile per factor value, not per point
            z = latents[order[bounds[k] : bounds[k + 1]]]
            cum_dev[:, i] += np.percentile(np.abs(z - z.mean(axis=0)), q=diff_quantile * 100, axis=0)
        cum_dev[:, i] /= values.size
    return 1.0 - cum_dev / max_dev[:, None], max_dev


@renamed_keywords(codes="latents")
def irs(
    latents: np.ndarray, factors: np.ndarray, diff_quantile: float = 0.99, num_bins: int | None = 20
) -> dict[str, float]:
    """IRS of latents (N, L) against factors (N, F) histogram-discretised into `num_bins` bins (None: as they are).

    Constant code dimensions are dropped; the score is the max-deviation-weighted mean over latents of each code's
    best factor. Keys: `IRS`, `num_active_dims` (number of non-constant latents) and `num_active_dims_reference`
    (what disentanglement_lib reports under that name: the SUM of the active code values, a known quirk).
    No active dimension gives IRS 0 with a warning, as the reference defines.
    """
    if not 0.0 < diff_quantile <= 1.0:
        raise InvalidValueError(f"diff_quantile must be in (0, 1]; got {diff_quantile}")
    latents = check_latents(latents)
    factors = check_factors(factors, latents.shape[0])
    active = latents[:, latents.std(axis=0) > 0]
    if active.shape[1] == 0:
        warnings.warn(
            "IRS: no code dimension varies; IRS is 0 by the reference's definition", RuntimeWarning, stacklevel=2
        )
        return {"IRS": 0.0, "num_active_dims": 0, "num_active_dims_reference": 0.0}
    matrix, max_dev = irs_matrix(discretize(factors, num_bins), active, diff_quantile)
    per_code = matrix.max(axis=1)
    score = np.average(per_code, weights=max_dev) if max_dev.sum() > 0 else np.mean(per_code)
    return {
        "IRS": float(score),
        "num_active_dims": int(active.shape[1]),
        "num_active_dims_reference": float(np.sum(active)),
    }


def compute_irs(
    data: object,
    representation: object,
    random_state: RNGLike = None,
    num_train: int = 10000,
    diff_quantile: float = 0.99,
    num_bins: int = 20,
    encode_batch_size: int = DEFAULT_ENCODE_BATCH_SIZE,
) -> dict[str, float]:
    """IRS on `num_train` fresh draws (reference config: 10,000 points, 99th percentile, 20 bins).

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
    diff_quantile : float, default 0.99
        Quantile, in (0, 1], of a latent's deviation from its mean given a factor's value.
    num_bins : int, default 20
        Equal-width histogram bins the factors are discretised into.
    encode_batch_size : int, default 512
        Observations per call of ``representation``; bounds the memory of a draw.

    Returns
    -------
    dict of str to float
        ``IRS`` (in [0, 1]: how little each latent moves when factors other than its own change),
        ``num_active_dims`` (latent dimensions that vary) and ``num_active_dims_reference`` (what
        disentanglement_lib reports under that name: the sum of the active latents' values, a known quirk).

    Examples
    --------
    >>> import gtdata
    >>> data = gtdata.ToyData(factor_sizes=(2, 3), image_size=8)  # factor f sets the brightness of rows 4f to 4f+3
    >>> def encode(x):  # (N, 8, 8, 1) -> (N, 2): one latent per factor, a disentangled representation
    ...     return x[:, ::4, 0, 0]
    >>> def entangle(x):  # the same information, but each latent mixes both factors
    ...     return encode(x) @ [[1.0, 1.0], [-1.0, 1.0]]
    >>> from gtdata.metrics import compute_irs
    >>> round(compute_irs(data, encode, random_state=0, num_train=1000)["IRS"], 2)
    1.0
    >>> round(compute_irs(data, entangle, random_state=0, num_train=1000)["IRS"], 2)
    0.59
    """
    rep, rng = prepare(data, representation, random_state)
    latents, factors = sample_latents(data, rep, num_train, rng, encode_batch_size)
    return irs(latents, factors, diff_quantile, num_bins)
