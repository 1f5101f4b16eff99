"""DCI disentanglement, completeness and informativeness (Eastwood & Williams), as disentanglement_lib's `dci`.

For each factor a `GradientBoostingClassifier()` (scikit-learn defaults) is fit on the latents; the absolute feature
importances form R (L latents x F factors). `dci_fast` swaps in histogram gradient boosting (same depth, stages and
learning rate) whose importances are the total split gains per feature — the same impurity-decrease notion as
the default's, read from the fitted trees — at a fraction of the cost.
"""

from __future__ import annotations

import numpy as np
import scipy.stats

from gtdata.core.deprecation import renamed_keywords
from gtdata.core.errors import InvalidValueError
from gtdata.core.rng import RNGLike, as_rng
from gtdata.metrics._checks import check_pair
from gtdata.metrics._fitting import fit_per_factor
from gtdata.metrics._random import draw_seeds
from gtdata.metrics.sampling import DEFAULT_ENCODE_BATCH_SIZE, prepare, sample_train_test


def _normalised_entropy(p: np.ndarray, base: int) -> np.ndarray:
    """Entropy of every column of `p` (normalised by scipy) in log base `base`; 0 when base is 1."""
    if base < 2:  # a single outcome carries no uncertainty; log base 1 is undefined
        return np.zeros(p.shape[1])
    return scipy.stats.entropy(p + 1e-11, base=base)


def dci_scores(importance_matrix: np.ndarray) -> dict[str, float]:
    """Disentanglement and completeness of an importance matrix R (L latents x F factors), nonnegative.

    ``D = sum_i rho_i (1 - H_F(P_i.))``, ``C = sum_j w_j (1 - H_L(P_.j))``; an all-zero R gives uniform weights (D = C = 0).
    """
    r = np.asarray(importance_matrix, dtype=np.float64)
    if r.ndim != 2 or min(r.shape) == 0:
        raise InvalidValueError(f"importance_matrix must have shape (num_latents, num_factors); got {r.shape}")
    if np.any(r < 0) or not np.all(np.isfinite(r)):
        raise InvalidValueError("importance_matrix must hold finite nonnegative importances")
    per_code = 1.0 - _normalised_entropy(r.T, r.shape[1])
    per_factor = 1.0 - _normalised_entropy(r, r.shape[0])
    weights = r if r.sum() > 0 else np.ones_like(r)
    code_weight = weights.sum(axis=1) / weights.sum()
    factor_weight = weights.sum(axis=0) / weights.sum()
    return {
        "disentanglement": float(np.sum(per_code * code_weight)),
        "completeness": float(np.sum(per_factor * factor_weight)),
    }


@renamed_keywords(codes_train="latents_train", codes_test="latents_test", random_state="rng")
def importance_matrix(
    latents_train: np.ndarray,
    factors_train: np.ndarray,
    latents_test: np.ndarray,
    factors_test: np.ndarray,
    rng: RNGLike = None,
    fast: bool = False,
    n_jobs: int | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """R (L, F) of per-factor boosted classifiers, with their train and test accuracy (F,) each."""
    ctr, ftr, cte, fte = check_pair(latents_train, factors_train, latents_test, factors_test)
    seeds = draw_seeds(as_rng(rng), ftr.shape[1])
    results = fit_per_factor(
        "hist_gbt" if fast else "gbt", ctr, ftr, cte, fte, seeds, want_importances=True, n_jobs=n_jobs
    )
    r = np.stack([res.importances for res in results], axis=1)
    return r, np.array([res.train_accuracy for res in results]), np.array([res.test_accuracy for res in results])


@renamed_keywords(codes_train="latents_train", codes_test="latents_test", random_state="rng")
def dci(
    latents_train: np.ndarray,
    factors_train: np.ndarray,
    latents_test: np.ndarray,
    factors_test: np.ndarray,
    rng: RNGLike = None,
    n_jobs: int | None = None,
) -> dict[str, float]:
    """DCI with the reference's per-factor `GradientBoostingClassifier()`: keys `disentanglement`, `completeness`,
    `informativeness_train`, `informativeness_test` (mean accuracies). The per-factor fits run on `n_jobs`
    processes (None = all cores); results do not depend on it."""
    return _dci(latents_train, factors_train, latents_test, factors_test, rng, False, n_jobs)


@renamed_keywords(codes_train="latents_train", codes_test="latents_test", random_state="rng")
def dci_fast(
    latents_train: np.ndarray,
    factors_train: np.ndarray,
    latents_test: np.ndarray,
    factors_test: np.ndarray,
    rng: RNGLike = None,
    n_jobs: int | None = None,
) -> dict[str, float]:
    """DCI with histogram gradient boosting (depth 3, 100 stages, learning rate 0.1) and split-gain importances.

    Same keys as `dci`; an opt-in approximation, not the reference definition.
    """
    return _dci(latents_train, factors_train, latents_test, factors_test, rng, True, n_jobs)


def _dci(latents_train, factors_train, latents_test, factors_test, rng, fast, n_jobs) -> dict[str, float]:
    r, train_acc, test_acc = importance_matrix(
        latents_train, factors_train, latents_test, factors_test, rng, fast, n_jobs
    )
    out = dci_scores(r)
    out["informativeness_train"] = float(np.mean(train_acc))
    out["informativeness_test"] = float(np.mean(test_acc))
    return out


def compute_dci(
    data: object,
    representation: object,
    random_state: RNGLike = None,
    num_train: int = 10000,
    num_test: int = 5000,
    encode_batch_size: int = DEFAULT_ENCODE_BATCH_SIZE,
    n_jobs: int | None = None,
) -> dict[str, float]:
    """DCI on `num_train` / `num_test` fresh draws from `data` (study defaults 10,000 / 5,000).

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
        Points the per-factor classifiers are trained on.
    num_test : int, default 5000
        Points their accuracy is tested on.
    encode_batch_size : int, default 512
        Observations per call of ``representation``; bounds the memory of a draw.
    n_jobs : int or None, default None
        Processes for the per-factor fits (None: all cores; small fits stay in this process). The scores do not
        depend on it.

    Returns
    -------
    dict of str to float
        ``disentanglement`` (how much each latent concentrates on one factor) and ``completeness`` (how much each
        factor is captured by one latent), both in [0, 1] and read from the classifiers' feature importances, and
        ``informativeness_train`` / ``informativeness_test``: the mean accuracy over factors.

    See Also
    --------
    compute_dci_fast : the same scores from histogram gradient boosting, much faster.

    Examples
    --------
    >>> import gtdata
    >>> data = gtdata.ToyData(factor_sizes=(2, 3), image_size=8)  # factor f sets the brightness of rows 4f to 4f+3
    >>> def encode(x):  # (N, 8, 8, 1) -> (N, 2): one latent per factor, a disentangled representation
    ...     return x[:, ::4, 0, 0]
    >>> def entangle(x):  # the same information, but each latent mixes both factors
    ...     return encode(x) @ [[1.0, 1.0], [-1.0, 1.0]]
    >>> from gtdata.metrics import compute_dci
    >>> scores = compute_dci(data, encode, random_state=0, num_train=100, num_test=50, n_jobs=1)
    >>> round(scores["disentanglement"], 2), round(scores["informativeness_test"], 2)
    (1.0, 1.0)
    >>> scores = compute_dci(data, entangle, random_state=0, num_train=100, num_test=50, n_jobs=1)
    >>> round(scores["disentanglement"], 2), round(scores["informativeness_test"], 2)
    (0.04, 1.0)
    """
    rep, rng = prepare(data, representation, random_state)
    ctr, ftr, cte, fte = sample_train_test(data, rep, rng, num_train, num_test, encode_batch_size)
    return dci(ctr, ftr, cte, fte, rng, n_jobs=n_jobs)


def compute_dci_fast(
    data: object,
    representation: object,
    random_state: RNGLike = None,
    num_train: int = 10000,
    num_test: int = 5000,
    encode_batch_size: int = DEFAULT_ENCODE_BATCH_SIZE,
    n_jobs: int | None = None,
) -> dict[str, float]:
    """`dci_fast` on `num_train` / `num_test` fresh draws from `data`.

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
        Points the per-factor classifiers are trained on.
    num_test : int, default 5000
        Points their accuracy is tested on.
    encode_batch_size : int, default 512
        Observations per call of ``representation``; bounds the memory of a draw.
    n_jobs : int or None, default None
        Processes for the per-factor fits (None: all cores; small fits stay in this process). The scores do not
        depend on it.

    Returns
    -------
    dict of str to float
        ``disentanglement`` (how much each latent concentrates on one factor) and ``completeness`` (how much each
        factor is captured by one latent), both in [0, 1] and read from the classifiers' feature importances, and
        ``informativeness_train`` / ``informativeness_test``: the mean accuracy over factors.

    See Also
    --------
    compute_dci : the reference definition.

    Examples
    --------
    >>> import gtdata
    >>> data = gtdata.ToyData(factor_sizes=(2, 3), image_size=8)  # factor f sets the brightness of rows 4f to 4f+3
    >>> def encode(x):  # (N, 8, 8, 1) -> (N, 2): one latent per factor, a disentangled representation
    ...     return x[:, ::4, 0, 0]
    >>> from gtdata.metrics import compute_dci_fast
    >>> scores = compute_dci_fast(data, encode, random_state=0, num_train=100, num_test=50, n_jobs=1)
    >>> round(scores["disentanglement"], 2), round(scores["completeness"], 2)
    (1.0, 1.0)
    """
    rep, rng = prepare(data, representation, random_state)
    ctr, ftr, cte, fte = sample_train_test(data, rep, rng, num_train, num_test, encode_batch_size)
    return dci_fast(ctr, ftr, cte, fte, rng, n_jobs)
