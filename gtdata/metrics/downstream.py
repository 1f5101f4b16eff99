"""Downstream task: how well each factor can be predicted from the whole code, as disentanglement_lib's
`downstream_task` with its two predictors: `LogisticRegressionCV(Cs=10, cv=KFold(5))` and
`GradientBoostingClassifier()`, at 10, 100, 1,000 and 10,000 training points and 5,000 test points."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from gtdata.core.deprecation import renamed_keywords
from gtdata.core.errors import InvalidValueError
from gtdata.core.rng import RNGLike, as_rng
from gtdata.metrics._checks import check_factors, check_latents, check_positive_int
from gtdata.metrics._fitting import fit_per_factor
from gtdata.metrics._random import draw_seeds
from gtdata.metrics._sizes import DEFAULT_NUM_TRAIN
from gtdata.metrics.sampling import DEFAULT_ENCODE_BATCH_SIZE, prepare, sample_train_test

PREDICTORS = {"logistic_regression": "logistic_regression_cv", "boosted_trees": "gbt"}


def check_predictor(predictor: str) -> str:
    """The classifier kind of a downstream predictor name, or a ValueError listing the allowed names."""
    if predictor not in PREDICTORS:
        raise InvalidValueError(f"predictor must be one of {sorted(PREDICTORS)}; got {predictor!r}")
    return PREDICTORS[predictor]


@renamed_keywords(codes_train="latents_train", codes_test="latents_test")
def check_train_test(latents_train, factors_train, latents_test, factors_test):
    """Validate a downstream split; a factor may be constant in a small training set (constant predictor)."""
    ctr = check_latents(latents_train, "latents_train", min_rows=1)
    ftr = check_factors(factors_train, ctr.shape[0], "factors_train", require_varying=False)
    cte = check_latents(latents_test, "latents_test", min_rows=1)
    fte = check_factors(factors_test, cte.shape[0], "factors_test", require_varying=False)
    if cte.shape[1] != ctr.shape[1] or fte.shape[1] != ftr.shape[1]:
        raise InvalidValueError(
            f"train and test disagree: latents {ctr.shape[1]} vs {cte.shape[1]} dims, factors {ftr.shape[1]} vs {fte.shape[1]}"
        )
    return ctr, ftr, cte, fte


@renamed_keywords(codes_train="latents_train", codes_test="latents_test", random_state="rng")
def factor_accuracies(
    kind: str, latents_train, factors_train, latents_test, factors_test, rng: RNGLike, n_jobs: int | None
) -> tuple[np.ndarray, np.ndarray]:
    """Train and test accuracy (F,) each of one classifier `kind` per factor on the whole code."""
    ctr, ftr, cte, fte = check_train_test(latents_train, factors_train, latents_test, factors_test)
    seeds = draw_seeds(as_rng(rng), ftr.shape[1])
    results = fit_per_factor(kind, ctr, ftr, cte, fte, seeds, n_jobs=n_jobs)
    return np.array([r.train_accuracy for r in results]), np.array([r.test_accuracy for r in results])


@renamed_keywords(codes_train="latents_train", codes_test="latents_test", random_state="rng")
def downstream(
    latents_train: np.ndarray,
    factors_train: np.ndarray,
    latents_test: np.ndarray,
    factors_test: np.ndarray,
    predictor: str = "logistic_regression",
    rng: RNGLike = None,
    n_jobs: int | None = None,
) -> dict[str, float]:
    """Per-factor accuracy of `predictor` ("logistic_regression" or "boosted_trees") trained on the whole code.

    Keys are prefixed with the number n of training points: "n:mean_train_accuracy", "n:mean_test_accuracy",
    "n:min_train_accuracy", "n:min_test_accuracy", "n:train_accuracy_factor_i", "n:test_accuracy_factor_i".
    """
    kind = check_predictor(predictor)
    train, test = factor_accuracies(kind, latents_train, factors_train, latents_test, factors_test, rng, n_jobs)
    n = np.asarray(latents_train).shape[0]
    out = {
        f"{n}:mean_train_accuracy": float(np.mean(train)),
        f"{n}:mean_test_accuracy": float(np.mean(test)),
        f"{n}:min_train_accuracy": float(np.min(train)),
        f"{n}:min_test_accuracy": float(np.min(test)),
    }
    for i in range(train.size):
        out[f"{n}:train_accuracy_factor_{i}"] = float(train[i])
        out[f"{n}:test_accuracy_factor_{i}"] = float(test[i])
    return out


def check_sizes(num_train: Sequence[int] | int) -> list[int]:
    """Training sizes as a non-empty list of positive ints."""
    sizes = [num_train] if isinstance(num_train, (int, np.integer)) else list(num_train)
    if not sizes:
        raise InvalidValueError("num_train must list at least one training size")
    return [check_positive_int(s, "num_train entries") for s in sizes]


def compute_downstream(
    data: object,
    representation: object,
    random_state: RNGLike = None,
    predictor: str = "logistic_regression",
    num_train: Sequence[int] | int = DEFAULT_NUM_TRAIN,
    num_test: int = 5000,
    encode_batch_size: int = DEFAULT_ENCODE_BATCH_SIZE,
    n_jobs: int | None = None,
) -> dict[str, float]:
    """Downstream task at every training size in `num_train`, each with a fresh training and test draw.

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
    predictor : {"logistic_regression", "boosted_trees"}, default "logistic_regression"
        ``LogisticRegressionCV(Cs=10, cv=KFold(5))`` or ``GradientBoostingClassifier()``, as the study's two
        downstream tasks.
    num_train : int or sequence of int, default (10, 100, 1000, 10000)
        Training sizes; each gets its own training and test draw and its own keys.
    num_test : int, default 5000
        Test points per training size.
    encode_batch_size : int, default 512
        Observations per call of ``representation``; bounds the memory of a draw.
    n_jobs : int or None, default None
        Processes for the per-factor fits (None: all cores; small fits stay in this process). The scores do not
        depend on it.

    Returns
    -------
    dict of str to float
        Per training size n: ``"n:mean_train_accuracy"``, ``"n:mean_test_accuracy"``, ``"n:min_train_accuracy"``,
        ``"n:min_test_accuracy"`` and, per factor i, ``"n:train_accuracy_factor_i"`` and
        ``"n:test_accuracy_factor_i"``: the accuracy of one classifier per factor trained on all latents.

    See Also
    --------
    compute_downstream_logistic_regression, compute_downstream_boosted_trees : the study's two configurations.

    Examples
    --------
    >>> import gtdata
    >>> data = gtdata.ToyData(factor_sizes=(2, 3), image_size=8)  # factor f sets the brightness of rows 4f to 4f+3
    >>> def encode(x):  # (N, 8, 8, 1) -> (N, 2): one latent per factor, a disentangled representation
    ...     return x[:, ::4, 0, 0]
    >>> from gtdata.metrics import compute_downstream
    >>> scores = compute_downstream(data, encode, random_state=0, predictor="boosted_trees", num_train=[20, 100],
    ...                             num_test=100, n_jobs=1)
    >>> sorted(key for key in scores if "mean_test" in key)
    ['100:mean_test_accuracy', '20:mean_test_accuracy']
    >>> scores["100:test_accuracy_factor_1"]
    1.0
    """
    check_predictor(predictor)
    sizes = check_sizes(num_train)
    rep, rng = prepare(data, representation, random_state)
    out: dict[str, float] = {}
    for n in sizes:
        ctr, ftr, cte, fte = sample_train_test(data, rep, rng, n, num_test, encode_batch_size)
        out.update(downstream(ctr, ftr, cte, fte, predictor, rng, n_jobs))
    return out


def compute_downstream_logistic_regression(
    data: object, representation: object, random_state: RNGLike = None, **kwargs: object
) -> dict[str, float]:
    """`compute_downstream` with `LogisticRegressionCV(Cs=10, cv=KFold(5))` (the study's
    `downstream_task_logistic_regression`).

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
    **kwargs
        ``num_train``, ``num_test``, ``encode_batch_size`` and ``n_jobs`` of :func:`compute_downstream`.

    Returns
    -------
    dict of str to float
        Per training size n: ``"n:mean_train_accuracy"``, ``"n:mean_test_accuracy"``, ``"n:min_train_accuracy"``,
        ``"n:min_test_accuracy"`` and, per factor i, ``"n:train_accuracy_factor_i"`` and
        ``"n:test_accuracy_factor_i"``: the accuracy of one classifier per factor trained on all latents.

    Examples
    --------
    >>> import gtdata
    >>> data = gtdata.ToyData(factor_sizes=(2, 3), image_size=8)  # factor f sets the brightness of rows 4f to 4f+3
    >>> def encode(x):  # (N, 8, 8, 1) -> (N, 2): one latent per factor, a disentangled representation
    ...     return x[:, ::4, 0, 0]
    >>> from gtdata.metrics import compute_downstream_logistic_regression
    >>> scores = compute_downstream_logistic_regression(data, encode, random_state=0, num_train=100, num_test=100,
    ...                                                 n_jobs=1)
    >>> scores["100:mean_test_accuracy"]
    1.0
    """
    return compute_downstream(data, representation, random_state, "logistic_regression", **kwargs)


def compute_downstream_boosted_trees(
    data: object, representation: object, random_state: RNGLike = None, **kwargs: object
) -> dict[str, float]:
    """`compute_downstream` with `GradientBoostingClassifier()` (the study's `downstream_task_boosted_trees`).

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
    **kwargs
        ``num_train``, ``num_test``, ``encode_batch_size`` and ``n_jobs`` of :func:`compute_downstream`.

    Returns
    -------
    dict of str to float
        Per training size n: ``"n:mean_train_accuracy"``, ``"n:mean_test_accuracy"``, ``"n:min_train_accuracy"``,
        ``"n:min_test_accuracy"`` and, per factor i, ``"n:train_accuracy_factor_i"`` and
        ``"n:test_accuracy_factor_i"``: the accuracy of one classifier per factor trained on all latents.

    Examples
    --------
    >>> import gtdata
    >>> data = gtdata.ToyData(factor_sizes=(2, 3), image_size=8)  # factor f sets the brightness of rows 4f to 4f+3
    >>> def encode(x):  # (N, 8, 8, 1) -> (N, 2): one latent per factor, a disentangled representation
    ...     return x[:, ::4, 0, 0]
    >>> from gtdata.metrics import compute_downstream_boosted_trees
    >>> scores = compute_downstream_boosted_trees(data, encode, random_state=0, num_train=100, num_test=100, n_jobs=1)
    >>> scores["100:mean_test_accuracy"], scores["100:min_test_accuracy"]
    (1.0, 1.0)
    """
    return compute_downstream(data, representation, random_state, "boosted_trees", **kwargs)
