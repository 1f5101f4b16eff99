"""Strong downstream task (covariate shift), as disentanglement_lib's `strong_downstream_task`: predictors are
trained with one other factor fixed to a single value and tested where that factor takes any other value."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from gtdata.core.errors import InvalidValueError
from gtdata.core.rng import RNGLike, randint
from gtdata.metrics._checks import check_positive_int
from gtdata.metrics._fitting import fit_per_factor
from gtdata.metrics._random import draw_seeds
from gtdata.metrics.downstream import check_sizes, factor_accuracies
from gtdata.metrics.sampling import DEFAULT_ENCODE_BATCH_SIZE, encode_factors, prepare, resample_outside


def intervene(
    factors_train: np.ndarray,
    factors_test: np.ndarray,
    target: int,
    sizes: Sequence[int],
    rng: np.random.Generator | np.random.RandomState,
) -> tuple[int, np.ndarray, np.ndarray]:
    """Pick a factor f != `target` and a value v; return (f, train with f := v, test with f := another value).

    The test values are uniform over the other values of f, independently per row. Inputs are not modified.
    """
    k = len(sizes)
    if k < 2:
        raise InvalidValueError("the strong downstream task needs at least 2 factors")
    f = int(randint(rng, k - 1, 1)[0])
    f += f >= target  # uniform over the factors other than the target
    v = int(randint(rng, sizes[f], 1)[0])
    train = factors_train.copy()
    train[:, f] = v
    test = factors_test.copy()
    other = randint(rng, sizes[f] - 1, factors_test.shape[0])
    test[:, f] = other + (other >= v)
    return f, train, test


def _observe(
    data: object, rep, factors: np.ndarray, pinned_col: int, rng, batch_size: int
) -> tuple[np.ndarray, np.ndarray]:
    pinned = np.zeros_like(factors, dtype=bool)
    pinned[:, pinned_col] = True
    factors = resample_outside(data, factors, pinned, rng)
    return encode_factors(data, rep, factors, rng, batch_size), factors


def compute_strong_downstream(
    data: object,
    representation: object,
    random_state: RNGLike = None,
    num_train: Sequence[int] | int = (1000,),
    num_test: int = 1000,
    n_experiment: int = 2,
    encode_batch_size: int = DEFAULT_ENCODE_BATCH_SIZE,
    n_jobs: int | None = None,
) -> dict[str, float]:
    """Strong downstream scores with boosted trees; per training size n the keys "n:mean_train_accuracy",
    "n:mean_test_accuracy" (i.i.d.), "n:mean_strong_train_accuracy", "n:mean_strong_test_accuracy" (after
    intervention, averaged over factors and `n_experiment` repeats) and "n:strong_generalization_gap" =
    1 - strong test / test accuracy. Defaults are the reference's test configuration (the study sets none).

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
    num_train : int or sequence of int, default (1000,)
        Training sizes; each gets its own draws and its own keys.
    num_test : int, default 1000
        Test points per training size.
    n_experiment : int, default 2
        Interventions per target factor, each on a random other factor and value.
    encode_batch_size : int, default 512
        Observations per call of ``representation``; bounds the memory of a draw.
    n_jobs : int or None, default None
        Processes for the per-factor fits (None: all cores; small fits stay in this process). The scores do not
        depend on it.

    Returns
    -------
    dict of str to float
        Per training size n: ``"n:mean_train_accuracy"``, ``"n:mean_test_accuracy"``,
        ``"n:mean_strong_train_accuracy"``, ``"n:mean_strong_test_accuracy"`` and ``"n:strong_generalization_gap"``.

    Examples
    --------
    >>> import gtdata
    >>> data = gtdata.ToyData(factor_sizes=(2, 3), image_size=8)  # factor f sets the brightness of rows 4f to 4f+3
    >>> def encode(x):  # (N, 8, 8, 1) -> (N, 2): one latent per factor, a disentangled representation
    ...     return x[:, ::4, 0, 0]
    >>> def entangle(x):  # the same information, but each latent mixes both factors
    ...     return encode(x) @ [[1.0, 1.0], [-1.0, 1.0]]
    >>> from gtdata.metrics import compute_strong_downstream
    >>> sizes = dict(num_train=100, num_test=100, n_experiment=1, n_jobs=1)
    >>> compute_strong_downstream(data, encode, random_state=0, **sizes)["100:strong_generalization_gap"]
    0.0
    >>> round(compute_strong_downstream(data, entangle, random_state=0, **sizes)["100:strong_generalization_gap"], 2)
    0.56
    """
    rep, rng = prepare(data, representation, random_state)
    sizes_f = [int(s) for s in data.factors_num_values]
    repeats = check_positive_int(n_experiment, "n_experiment")
    out: dict[str, float] = {}
    for n in check_sizes(num_train):
        f_train = np.asarray(data.sample_factors(n, rng), dtype=np.int64)
        f_test = np.asarray(data.sample_factors(num_test, rng), dtype=np.int64)
        x_train = encode_factors(data, rep, f_train, rng, encode_batch_size)
        x_test = encode_factors(data, rep, f_test, rng, encode_batch_size)
        train, test = factor_accuracies("gbt", x_train, f_train, x_test, f_test, rng, n_jobs)
        strong_train, strong_test = [], []
        for target in range(len(sizes_f)):
            for _ in range(repeats):
                f, ftr_int, fte_int = intervene(f_train, f_test, target, sizes_f, rng)
                xtr, ftr_int = _observe(data, rep, ftr_int, f, rng, encode_batch_size)
                xte, fte_int = _observe(data, rep, fte_int, f, rng, encode_batch_size)
                fit = fit_per_factor(
                    "gbt", xtr, ftr_int[:, [target]], xte, fte_int[:, [target]], draw_seeds(rng, 1), n_jobs=1
                )[0]
                strong_train.append(fit.train_accuracy)
                strong_test.append(fit.test_accuracy)
        out[f"{n}:mean_train_accuracy"] = float(np.mean(train))
        out[f"{n}:mean_test_accuracy"] = float(np.mean(test))
        out[f"{n}:mean_strong_train_accuracy"] = float(np.mean(strong_train))
        out[f"{n}:mean_strong_test_accuracy"] = float(np.mean(strong_test))
        out[f"{n}:strong_generalization_gap"] = (
            1.0 - out[f"{n}:mean_strong_test_accuracy"] / out[f"{n}:mean_test_accuracy"]
        )
    return out
