"""BetaVAE score (Higgins et al.), as disentanglement_lib's `beta_vae_sklearn`: a logistic regression predicts
which factor a group of 64 pairs shares from the mean absolute difference of their latents."""

from __future__ import annotations

import numpy as np

from gtdata.core.deprecation import renamed_keywords
from gtdata.core.errors import InvalidValueError
from gtdata.core.rng import RNGLike, as_rng, randint
from gtdata.metrics._checks import check_factors, check_latents, check_positive_int
from gtdata.metrics._fitting import make_classifier, quiet_fit
from gtdata.metrics._random import draw_seeds
from gtdata.metrics.sampling import (
    DEFAULT_ENCODE_BATCH_SIZE,
    SAMPLING_ROWS,
    Representation,
    encode_factors,
    prepare,
    resample_outside,
)


@renamed_keywords(random_state="rng")
def beta_vae(
    features_train: np.ndarray,
    labels_train: np.ndarray,
    features_eval: np.ndarray,
    labels_eval: np.ndarray,
    rng: RNGLike = None,
) -> dict[str, float]:
    """Accuracy of `LogisticRegression()` predicting the shared factor (labels (N,)) from features (N, L).

    Keys `train_accuracy`, `eval_accuracy` (the score)."""
    xtr = check_latents(features_train, "features_train")
    ytr = check_factors(np.reshape(labels_train, (-1, 1)), xtr.shape[0], "labels_train")[:, 0]
    xev = check_latents(features_eval, "features_eval", min_rows=1)
    yev = check_factors(np.reshape(labels_eval, (-1, 1)), xev.shape[0], "labels_eval", require_varying=False)[:, 0]
    if xev.shape[1] != xtr.shape[1]:
        raise InvalidValueError(f"features_eval has {xev.shape[1]} columns but features_train has {xtr.shape[1]}")
    model = make_classifier("logistic_regression", draw_seeds(as_rng(rng), 1)[0])
    with quiet_fit():
        model.fit(xtr, ytr)
    return {
        "train_accuracy": float(np.mean(model.predict(xtr) == ytr)),
        "eval_accuracy": float(np.mean(model.predict(xev) == yev)),
    }


def beta_vae_points(
    data: object,
    rep: Representation,
    rng: np.random.Generator | np.random.RandomState,
    num_points: int,
    batch_size: int,
    encode_batch_size: int,
) -> tuple[np.ndarray, np.ndarray]:
    """`num_points` BetaVAE training points: (features (num_points, L), shared factor (num_points,)).

    Each point draws a factor k and two batches of `batch_size` latents that agree on factor k; several points are
    drawn together and encoded in chunks of `encode_batch_size` images per representation call.
    """
    num_points = check_positive_int(num_points, "num_points")
    batch_size = check_positive_int(batch_size, "batch_size")
    encode_batch_size = check_positive_int(encode_batch_size, "encode_batch_size")
    num_factors = int(data.num_factors)
    # factor codes are drawn for SAMPLING_ROWS rows at a time (cheap integers); images never exceed encode_batch_size
    per_chunk = max(1, SAMPLING_ROWS // (2 * batch_size))
    features, labels = [], []
    for start in range(0, num_points, per_chunk):
        p = min(per_chunk, num_points - start)
        index = randint(rng, num_factors, p)
        f = np.asarray(data.sample_factors(2 * p * batch_size, rng), dtype=np.int64)
        f1, f2 = f[: p * batch_size], f[p * batch_size :]
        rows = np.arange(p * batch_size)
        cols = np.repeat(index, batch_size)
        f2[rows, cols] = f1[rows, cols]
        pinned = np.zeros_like(f2, dtype=bool)
        pinned[rows, cols] = True
        f2 = resample_outside(data, f2, pinned, rng)
        z = encode_factors(data, rep, np.concatenate([f1, f2]), rng, encode_batch_size)
        z1, z2 = z[: p * batch_size], z[p * batch_size :]
        features.append(np.mean(np.abs(z1 - z2).reshape(p, batch_size, -1), axis=1))
        labels.append(index)
    return np.concatenate(features, axis=0), np.concatenate(labels)


def compute_beta_vae(
    data: object,
    representation: object,
    random_state: RNGLike = None,
    batch_size: int = 64,
    num_train: int = 10000,
    num_eval: int = 5000,
    encode_batch_size: int = DEFAULT_ENCODE_BATCH_SIZE,
) -> dict[str, float]:
    """BetaVAE score with the study's configuration (groups of 64 pairs, 10,000 training and 5,000 eval points).

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
        Pairs per point: a point is the mean absolute latent difference over ``batch_size`` pairs of observations
        that share the value of one factor, labelled with that factor.
    num_train : int, default 10000
        Points the logistic regression is trained on.
    num_eval : int, default 5000
        Points it is evaluated on.
    encode_batch_size : int, default 512
        Observations per call of ``representation``; bounds the memory of a draw.

    Returns
    -------
    dict of str to float
        ``train_accuracy`` and ``eval_accuracy`` (the score): the fraction of points whose shared factor the
        classifier names; 1/F is chance for F factors.

    Examples
    --------
    >>> import gtdata
    >>> data = gtdata.ToyData(factor_sizes=(2, 3), image_size=8)  # factor f sets the brightness of rows 4f to 4f+3
    >>> def encode(x):  # (N, 8, 8, 1) -> (N, 2): one latent per factor, a disentangled representation
    ...     return x[:, ::4, 0, 0]
    >>> def entangle(x):  # the same information, but each latent mixes both factors
    ...     return encode(x) @ [[1.0, 1.0], [-1.0, 1.0]]
    >>> from gtdata.metrics import compute_beta_vae
    >>> sizes = dict(batch_size=16, num_train=100, num_eval=50)
    >>> compute_beta_vae(data, encode, random_state=0, **sizes)["eval_accuracy"]
    1.0
    >>> round(compute_beta_vae(data, entangle, random_state=0, **sizes)["eval_accuracy"], 2)
    0.42
    """
    rep, rng = prepare(data, representation, random_state)
    xtr, ytr = beta_vae_points(data, rep, rng, num_train, batch_size, encode_batch_size)
    xev, yev = beta_vae_points(data, rep, rng, num_eval, batch_size, encode_batch_size)
    return beta_vae(xtr, ytr, xev, yev, rng)
