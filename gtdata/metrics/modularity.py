"""Modularity and explicitness (Ridgeway & Mozer), as disentanglement_lib's `modularity_explicitness`."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import roc_auc_score

from gtdata.core.deprecation import renamed_keywords
from gtdata.core.errors import InvalidValueError
from gtdata.core.rng import RNGLike, as_rng
from gtdata.metrics._checks import check_pair
from gtdata.metrics._fitting import SECONDS_PER_POINT_CLASS, class_cost, make_classifier, parallel_map, quiet_fit
from gtdata.metrics._random import draw_seeds
from gtdata.metrics.information import discrete_mutual_info, discretize
from gtdata.metrics.sampling import DEFAULT_ENCODE_BATCH_SIZE, prepare, sample_train_test


def modularity(mutual_information: np.ndarray) -> float:
    """Modularity of an MI matrix (L latents x F factors): mean over latents of 1 - (sum_j m_ij^2 - max_j m_ij^2) /
    (max_j m_ij^2 (F - 1)); a code with no information scores 0."""
    m2 = np.square(np.asarray(mutual_information, dtype=np.float64))
    if m2.ndim != 2 or min(m2.shape) == 0:
        raise InvalidValueError(f"mutual_information must have shape (num_latents, num_factors); got {m2.shape}")
    theta = m2.max(axis=1)
    informative = theta > 0
    score = np.zeros(m2.shape[0])
    if m2.shape[1] == 1:
        score[informative] = 1.0  # one factor: an informative code is trivially modular
    else:
        delta = (m2[informative].sum(axis=1) - theta[informative]) / (theta[informative] * (m2.shape[1] - 1))
        score[informative] = 1.0 - delta
    return float(np.mean(score))


def _macro_auc(y: np.ndarray, proba: np.ndarray, classes: np.ndarray) -> float:
    """Macro ROC-AUC of class probabilities against one-hot labels (reference: MultiLabelBinarizer + roc_auc_score),
    over the classes that have both positives and negatives in `y`."""
    onehot = (y[:, None] == classes[None, :]).astype(np.int64)
    valid = (onehot.sum(axis=0) > 0) & (onehot.sum(axis=0) < y.shape[0])
    return float(roc_auc_score(onehot[:, valid], proba[:, valid], average="macro"))


def _explicitness_one(
    x_train: np.ndarray, y_train: np.ndarray, x_test: np.ndarray, y_test: np.ndarray, seed: int
) -> tuple[float, float]:
    clf = make_classifier("logistic_regression", seed)
    with quiet_fit():
        clf.fit(x_train, y_train)
        return _macro_auc(y_train, clf.predict_proba(x_train), clf.classes_), _macro_auc(
            y_test, clf.predict_proba(x_test), clf.classes_
        )


@renamed_keywords(codes_train="latents_train", codes_test="latents_test")
def explicitness(
    latents_train: np.ndarray,
    factors_train: np.ndarray,
    latents_test: np.ndarray,
    factors_test: np.ndarray,
    seeds: list[int],
    n_jobs: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Per factor, macro ROC-AUC of `LogisticRegression()` on standardised latents; (train (F,), test (F,)).
    The per-factor fits run on `n_jobs` processes (None = all cores)."""
    mean = latents_train.mean(axis=0)
    std = latents_train.std(axis=0)
    std = np.where(std > 0, std, 1.0)  # a constant code stays 0 instead of dividing by zero
    xtr = (latents_train - mean) / std
    xte = (latents_test - mean) / std
    num_factors = factors_train.shape[1]
    args = [(xtr, factors_train[:, j], xte, factors_test[:, j], seeds[j]) for j in range(num_factors)]
    costs = [
        SECONDS_PER_POINT_CLASS["logistic_regression"] * class_cost(factors_train[:, j]) * xtr.shape[0]
        for j in range(num_factors)
    ]
    aucs = parallel_map(_explicitness_one, args, costs, n_jobs)
    return np.array([a[0] for a in aucs]), np.array([a[1] for a in aucs])


@renamed_keywords(codes_train="latents_train", codes_test="latents_test", random_state="rng")
def modularity_explicitness(
    latents_train: np.ndarray,
    factors_train: np.ndarray,
    latents_test: np.ndarray,
    factors_test: np.ndarray,
    rng: RNGLike = None,
    num_bins: int | None = 20,
    n_jobs: int | None = None,
) -> dict[str, float]:
    """Modularity of the discretised training latents' MI with the factors, and explicitness (train/test).

    Keys `modularity_score`, `explicitness_score_train`, `explicitness_score_test`."""
    ctr, ftr, cte, fte = check_pair(latents_train, factors_train, latents_test, factors_test)
    m = discrete_mutual_info(discretize(ctr, num_bins), ftr)
    train, test = explicitness(ctr, ftr, cte, fte, draw_seeds(as_rng(rng), ftr.shape[1]), n_jobs)
    return {
        "modularity_score": modularity(m),
        "explicitness_score_train": float(np.mean(train)),
        "explicitness_score_test": float(np.mean(test)),
    }


def compute_modularity_explicitness(
    data: object,
    representation: object,
    random_state: RNGLike = None,
    num_train: int = 10000,
    num_test: int = 5000,
    num_bins: int = 20,
    encode_batch_size: int = DEFAULT_ENCODE_BATCH_SIZE,
    n_jobs: int | None = None,
) -> dict[str, float]:
    """Modularity and explicitness on `num_train` / `num_test` fresh draws (study defaults 10,000 / 5,000, 20 bins).

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
        Points the mutual information and the per-factor classifiers use.
    num_test : int, default 5000
        Points the classifiers are tested on.
    num_bins : int, default 20
        Equal-width histogram bins per latent dimension for the mutual information.
    encode_batch_size : int, default 512
        Observations per call of ``representation``; bounds the memory of a draw.
    n_jobs : int or None, default None
        Processes for the per-factor fits (None: all cores; small fits stay in this process). The scores do not
        depend on it.

    Returns
    -------
    dict of str to float
        ``modularity_score`` (1 when each latent carries information about one factor only) and
        ``explicitness_score_train`` / ``explicitness_score_test``: the macro ROC-AUC of a logistic regression per
        factor on the standardised latents, averaged over factors. All in [0, 1].

    Examples
    --------
    >>> import gtdata
    >>> data = gtdata.ToyData(factor_sizes=(2, 3), image_size=8)  # factor f sets the brightness of rows 4f to 4f+3
    >>> def encode(x):  # (N, 8, 8, 1) -> (N, 2): one latent per factor, a disentangled representation
    ...     return x[:, ::4, 0, 0]
    >>> def entangle(x):  # the same information, but each latent mixes both factors
    ...     return encode(x) @ [[1.0, 1.0], [-1.0, 1.0]]
    >>> from gtdata.metrics import compute_modularity_explicitness
    >>> sizes = dict(num_train=500, num_test=200, n_jobs=1)
    >>> scores = compute_modularity_explicitness(data, encode, random_state=0, **sizes)
    >>> round(scores["modularity_score"], 2), round(scores["explicitness_score_test"], 2)
    (1.0, 1.0)
    >>> round(compute_modularity_explicitness(data, entangle, random_state=0, **sizes)["modularity_score"], 2)
    0.61
    """
    rep, rng = prepare(data, representation, random_state)
    ctr, ftr, cte, fte = sample_train_test(data, rep, rng, num_train, num_test, encode_batch_size)
    return modularity_explicitness(ctr, ftr, cte, fte, rng, num_bins, n_jobs)
