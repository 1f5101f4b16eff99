"""FactorVAE score (Kim & Mnih), as disentanglement_lib's `factor_vae_metric`: with one factor fixed in a group of
64 draws, the code dimension of least normalised variance votes for that factor; a majority-vote classifier."""

from __future__ import annotations

import warnings

import numpy as np

from gtdata.core.errors import InvalidValueError
from gtdata.core.rng import RNGLike, randint
from gtdata.metrics._checks import check_positive_int
from gtdata.metrics.sampling import (
    DEFAULT_ENCODE_BATCH_SIZE,
    SAMPLING_ROWS,
    Representation,
    encode_factors,
    prepare,
    resample_outside,
    sample_latents,
)


def factor_vae(votes_train: np.ndarray, votes_eval: np.ndarray) -> dict[str, float]:
    """Accuracy of the majority-vote classifier: votes are counts (F factors x L dims); each dimension predicts the
    factor with most training votes. Keys `train_accuracy`, `eval_accuracy` (the score)."""
    vt = np.asarray(votes_train, dtype=np.float64)
    ve = np.asarray(votes_eval, dtype=np.float64)
    if vt.ndim != 2 or vt.shape != ve.shape or vt.sum() <= 0 or ve.sum() <= 0 or np.any(vt < 0) or np.any(ve < 0):
        raise InvalidValueError(
            f"votes_train and votes_eval must be nonnegative (F, L) count arrays of the same shape with votes; got {vt.shape} and {ve.shape}"
        )
    classifier = np.argmax(vt, axis=0)
    cols = np.arange(vt.shape[1])
    return {
        "train_accuracy": float(vt[classifier, cols].sum() / vt.sum()),
        "eval_accuracy": float(ve[classifier, cols].sum() / ve.sum()),
    }


def factor_vae_votes(
    data: object,
    rep: Representation,
    rng: np.random.Generator | np.random.RandomState,
    num_votes: int,
    batch_size: int,
    global_variances: np.ndarray,
    active: np.ndarray,
    encode_batch_size: int,
) -> np.ndarray:
    """Vote counts (F, L): per vote a factor k, `batch_size` latents sharing the first one's value of k, and the
    active dimension (index into the active ones, as the reference) minimising local / global variance."""
    num_votes = check_positive_int(num_votes, "num_votes")
    batch_size = check_positive_int(batch_size, "batch_size", minimum=2)
    num_factors = int(data.num_factors)
    votes = np.zeros((num_factors, global_variances.shape[0]), dtype=np.int64)
    check_positive_int(encode_batch_size, "encode_batch_size")
    per_chunk = max(1, SAMPLING_ROWS // batch_size)  # votes drawn together; images still encoded in small chunks
    for start in range(0, num_votes, per_chunk):
        p = min(per_chunk, num_votes - start)
        index = randint(rng, num_factors, p)
        f = np.asarray(data.sample_factors(p * batch_size, rng), dtype=np.int64).reshape(p, batch_size, num_factors)
        groups = np.arange(p)
        f[groups, :, index] = f[groups, 0, index][:, None]
        pinned = np.zeros_like(f, dtype=bool)
        pinned[groups, :, index] = True
        f = resample_outside(data, f.reshape(-1, num_factors), pinned.reshape(-1, num_factors), rng)
        z = encode_factors(data, rep, f, rng, encode_batch_size).reshape(p, batch_size, -1)
        local = np.var(z, axis=1, ddof=1)
        argmin = np.argmin(local[:, active] / global_variances[active], axis=1)
        np.add.at(votes, (index, argmin), 1)
    return votes


def compute_factor_vae(
    data: object,
    representation: object,
    random_state: RNGLike = None,
    batch_size: int = 64,
    num_train: int = 10000,
    num_eval: int = 5000,
    num_variance_estimate: int = 10000,
    threshold: float = 0.05,
    encode_batch_size: int = DEFAULT_ENCODE_BATCH_SIZE,
) -> dict[str, float]:
    """FactorVAE score with the study's configuration (64 draws per vote, 10,000 / 5,000 votes, global variance
    from 10,000 points, dimensions with standard deviation below 0.05 pruned).

    Keys `train_accuracy`, `eval_accuracy`, `num_active_dims` (the number of active dimensions) and
    `num_active_dims_reference` (what disentanglement_lib reports under that name: the total number of dimensions).
    A dimension of zero variance is never active; with none active the scores are 0 (with a warning), as the
    reference defines.

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
    batch_size : int, default 64
        Observations per vote (at least 2), all sharing the value of one factor; the vote goes to the active
        latent dimension whose variance in the group, divided by its global variance, is smallest.
    num_train : int, default 10000
        Votes the majority-vote classifier is trained on.
    num_eval : int, default 5000
        Votes it is evaluated on.
    num_variance_estimate : int, default 10000
        Points drawn to estimate each dimension's global variance.
    threshold : float, default 0.05
        Dimensions whose global standard deviation (in latent units) is below it are pruned (not active).
    encode_batch_size : int, default 512
        Observations per call of ``representation``; bounds the memory of a draw.

    Returns
    -------
    dict of str to float
        ``train_accuracy``, ``eval_accuracy`` (the score, in [0, 1]), ``num_active_dims`` and
        ``num_active_dims_reference``.

    Examples
    --------
    >>> import gtdata
    >>> data = gtdata.ToyData(factor_sizes=(2, 3), image_size=8)  # factor f sets the brightness of rows 4f to 4f+3
    >>> def encode(x):  # (N, 8, 8, 1) -> (N, 2): one latent per factor, a disentangled representation
    ...     return x[:, ::4, 0, 0]
    >>> def entangle(x):  # the same information, but each latent mixes both factors
    ...     return encode(x) @ [[1.0, 1.0], [-1.0, 1.0]]
    >>> from gtdata.metrics import compute_factor_vae
    >>> sizes = dict(batch_size=16, num_train=100, num_eval=50, num_variance_estimate=1000)
    >>> scores = compute_factor_vae(data, encode, random_state=0, **sizes)
    >>> scores["eval_accuracy"], scores["num_active_dims"]
    (1.0, 2)
    >>> round(compute_factor_vae(data, entangle, random_state=0, **sizes)["eval_accuracy"], 2)
    0.5
    """
    rep, rng = prepare(data, representation, random_state)
    latents, _ = sample_latents(data, rep, num_variance_estimate, rng, encode_batch_size)
    global_variances = np.var(latents, axis=0, ddof=1)
    active = (np.sqrt(global_variances) >= threshold) & (global_variances > 0)
    if not active.any():
        warnings.warn(
            f"FactorVAE score: no code dimension has standard deviation >= {threshold}; the score is 0 by the reference's definition",
            RuntimeWarning,
            stacklevel=2,
        )
        return {"train_accuracy": 0.0, "eval_accuracy": 0.0, "num_active_dims": 0, "num_active_dims_reference": 0}
    votes_train = factor_vae_votes(data, rep, rng, num_train, batch_size, global_variances, active, encode_batch_size)
    votes_eval = factor_vae_votes(data, rep, rng, num_eval, batch_size, global_variances, active, encode_batch_size)
    out = factor_vae(votes_train, votes_eval)
    out["num_active_dims"] = int(active.sum())
    out["num_active_dims_reference"] = int(active.shape[0])
    return out
