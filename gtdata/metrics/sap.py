"""SAP score (Kumar et al.), as disentanglement_lib's `sap_score` (key `SAP_score`)."""

from __future__ import annotations

import numpy as np
from sklearn.svm import LinearSVC

from gtdata.core.deprecation import renamed_keywords
from gtdata.core.errors import InvalidValueError
from gtdata.core.rng import RNGLike, as_rng
from gtdata.metrics._checks import check_factors, check_latents, check_pair
from gtdata.metrics._fitting import SECONDS_PER_POINT_CLASS, class_cost, parallel_map, quiet_fit
from gtdata.metrics._random import draw_seeds
from gtdata.metrics.mig import top_two_gap
from gtdata.metrics.sampling import DEFAULT_ENCODE_BATCH_SIZE, prepare, sample_train_test


@renamed_keywords(codes="latents")
def sap_matrix_continuous(latents: np.ndarray, factors: np.ndarray) -> np.ndarray:
    """S_ij = Cov(code_i, factor_j)^2 / (Var code_i Var factor_j) (ddof 1), 0 where Var code_i <= 1e-12; (L, F)."""
    c = latents - latents.mean(axis=0)
    f = factors - factors.mean(axis=0)
    n = latents.shape[0] - 1
    cov = c.T @ f / n
    var_c = np.sum(c * c, axis=0) / n
    var_f = np.sum(f * f, axis=0) / n
    with np.errstate(divide="ignore", invalid="ignore"):
        s = cov**2 / (var_c[:, None] * var_f[None, :])
    s[var_c <= 1e-12, :] = 0.0
    return s


def _sap_column(
    latents_train: np.ndarray, y_train: np.ndarray, latents_test: np.ndarray, y_test: np.ndarray, seeds: list[int]
) -> np.ndarray:
    column = np.zeros(latents_train.shape[1])
    with quiet_fit():
        for i in range(latents_train.shape[1]):
            clf = LinearSVC(C=0.01, class_weight="balanced", random_state=seeds[i])
            clf.fit(latents_train[:, i : i + 1], y_train)
            column[i] = np.mean(clf.predict(latents_test[:, i : i + 1]) == y_test)
    return column


@renamed_keywords(codes_train="latents_train", codes_test="latents_test")
def sap_matrix_discrete(
    latents_train: np.ndarray,
    factors_train: np.ndarray,
    latents_test: np.ndarray,
    factors_test: np.ndarray,
    seeds: list[int],
    n_jobs: int | None = None,
) -> np.ndarray:
    """S_ij = test accuracy of LinearSVC(C=0.01, class_weight="balanced") predicting factor j from code i alone.
    `seeds`: one per (i, j), row-major; the factors' columns run on `n_jobs` processes (None = all cores)."""
    num_latents, num_factors = latents_train.shape[1], factors_train.shape[1]
    args = [
        (
            latents_train,
            factors_train[:, j],
            latents_test,
            factors_test[:, j],
            [seeds[i * num_factors + j] for i in range(num_latents)],
        )
        for j in range(num_factors)
    ]
    per_fit = SECONDS_PER_POINT_CLASS["linear_svc"] * latents_train.shape[0]
    costs = [per_fit * class_cost(factors_train[:, j]) * num_latents for j in range(num_factors)]
    return np.stack(parallel_map(_sap_column, args, costs, n_jobs), axis=1)


@renamed_keywords(codes_train="latents_train", codes_test="latents_test", random_state="rng")
def sap(
    latents_train: np.ndarray,
    factors_train: np.ndarray,
    latents_test: np.ndarray | None = None,
    factors_test: np.ndarray | None = None,
    rng: RNGLike = None,
    continuous_factors: bool = False,
    n_jobs: int | None = None,
) -> dict[str, float]:
    """SAP: mean over factors of the gap between the two most predictive single latents. Discrete factors (the
    study) score latents by held-out LinearSVC accuracy and need the test arrays; `continuous_factors=True` uses the
    squared correlation on the training arrays only. Returns {"SAP_score": float}."""
    if continuous_factors:
        ctr = check_latents(latents_train, "latents_train")
        ftr = check_factors(factors_train, ctr.shape[0], "factors_train")
        s = sap_matrix_continuous(ctr, ftr.astype(np.float64))
    else:
        if latents_test is None or factors_test is None:
            raise InvalidValueError("sap with discrete factors needs latents_test and factors_test")
        ctr, ftr, cte, fte = check_pair(latents_train, factors_train, latents_test, factors_test)
        seeds = draw_seeds(as_rng(rng), ctr.shape[1] * ftr.shape[1])
        s = sap_matrix_discrete(ctr, ftr, cte, fte, seeds, n_jobs)
    return {"SAP_score": float(np.mean(top_two_gap(s)))}


def compute_sap(
    data: object,
    representation: object,
    random_state: RNGLike = None,
    num_train: int = 10000,
    num_test: int = 5000,
    encode_batch_size: int = DEFAULT_ENCODE_BATCH_SIZE,
    n_jobs: int | None = None,
) -> dict[str, float]:
    """SAP on `num_train` / `num_test` fresh draws from `data` (study defaults 10,000 / 5,000, discrete factors).

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
        Points each single-latent classifier is trained on.
    num_test : int, default 5000
        Points it is tested on.
    encode_batch_size : int, default 512
        Observations per call of ``representation``; bounds the memory of a draw.
    n_jobs : int or None, default None
        Processes for the per-factor fits (None: all cores; small fits stay in this process). The scores do not
        depend on it.

    Returns
    -------
    dict of str to float
        ``{"SAP_score": score}``: for each factor, the test accuracy of the best single latent minus that of the
        second best (a linear SVM per latent and factor), averaged over factors.

    Examples
    --------
    >>> import gtdata
    >>> data = gtdata.ToyData(factor_sizes=(2, 3), image_size=8)  # factor f sets the brightness of rows 4f to 4f+3
    >>> def encode(x):  # (N, 8, 8, 1) -> (N, 2): one latent per factor, a disentangled representation
    ...     return x[:, ::4, 0, 0]
    >>> def entangle(x):  # the same information, but each latent mixes both factors
    ...     return encode(x) @ [[1.0, 1.0], [-1.0, 1.0]]
    >>> from gtdata.metrics import compute_sap
    >>> sizes = dict(num_train=1000, num_test=500, n_jobs=1)
    >>> round(compute_sap(data, encode, random_state=0, **sizes)["SAP_score"], 2)
    0.46
    >>> round(compute_sap(data, entangle, random_state=0, **sizes)["SAP_score"], 2)
    0.02
    """
    rep, rng = prepare(data, representation, random_state)
    ctr, ftr, cte, fte = sample_train_test(data, rep, rng, num_train, num_test, encode_batch_size)
    return sap(ctr, ftr, cte, fte, rng, n_jobs=n_jobs)
