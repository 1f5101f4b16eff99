"""FactorVAE score (Kim & Mnih), as disentanglement_lib's `factor_vae_metric`: with one factor fixed in a group of
64 draws, the code dimension of least normalised variance votes for that factor; a majority-vote classifier."""

from __future__ import annotations

from gtdata.core.errors import InvalidValueError

import warnings

import numpy as np

from gtdata.metrics._checks import check_positive_int
from gtdata.core.rng import RNGLike, randint
from gtdata.metrics.sampling import DEFAULT_ENCODE_BATCH_SIZE, SAMPLING_ROWS, Representation, encode_factors, prepare, resample_outside, sample_latents


def factor_vae(votes_train: np.ndarray, votes_eval: np.ndarray) -> dict[str, float]:
    """Accuracy of the majority-vote classifier: votes are counts (F factors x L dims); each dimension predicts the
    factor with most training votes. Keys `train_accuracy`, `eval_accuracy` (the score)."""
    vt = np.asarray(votes_train, dtype=np.float64)
    ve = np.asarray(votes_eval, dtype=np.float64)
    if vt.ndim != 2 or vt.shape != ve.shape or vt.sum() <= 0 or ve.sum() <= 0 or np.any(vt < 0) or np.any(ve < 0):
        raise InvalidValueError(f"votes_train and votes_eval must be nonnegative (F, L) count arrays of the same shape with votes; got {vt.shape} and {ve.shape}")
    classifier = np.argmax(vt, axis=0)
    cols = np.arange(vt.shape[1])
    return {"train_accuracy": float(vt[classifier, cols].sum() / vt.sum()), "eval_accuracy": float(ve[classifier, cols].sum() / ve.sum())}


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
