"""Coefficient of determination (R²) of each factor regressed on the latents, as von Kügelgen et al. (NeurIPS 2021,
Causal3DIdent; `ysharma1126/ssl_identifiability`'s `main_3dident.py --evaluate` and `disentanglement_utils.py`).

Protocol: standardise the latents and every factor with `StandardScaler`s fitted on the fit set; fit one
regressor per factor on the fit set (linear: `LinearRegression`; nonlinear: `KernelRidge(kernel="rbf")` tuned by
`GridSearchCV` over α ∈ {1, 0.1, 0.01, 0.001}, γ ∈ logspace(-2, 2, 4), 3-fold); score the test set with
`sklearn.metrics.r2_score`. A categorical factor (Causal3DIdent's object class) is instead predicted by a
default `LogisticRegression` and scored by its accuracy.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.kernel_ridge import KernelRidge
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.metrics import accuracy_score, r2_score
from sklearn.model_selection import KFold, ParameterGrid
from sklearn.preprocessing import StandardScaler

from gtdata.core.errors import InvalidValueError
from gtdata.core.rng import RNGLike, as_rng
from gtdata.metrics._checks import check_latents, check_positive_int, check_values
from gtdata.metrics._fitting import quiet_fit
from gtdata.metrics._sizes import DEFAULT_MAX_KERNEL_TRAIN
from gtdata.metrics.sampling import DEFAULT_ENCODE_BATCH_SIZE, prepare, sample_train_test

REGRESSORS = ("linear", "kernel_ridge")
KERNEL_RIDGE_GRID = {"alpha": [1.0, 0.1, 0.01, 0.001], "gamma": np.logspace(-2, 2, 4)}
"""The reference's grid for the rbf kernel ridge regression (16 settings, 3-fold cross-validation)."""


def r2(
    latents: np.ndarray,
    factors: np.ndarray,
    *,
    latents_test: np.ndarray | None = None,
    factors_test: np.ndarray | None = None,
    regressor: str = "linear",
    categorical: Sequence[int] = (),
    test_fraction: float = 0.5,
    max_kernel_train: int = DEFAULT_MAX_KERNEL_TRAIN,
    rng: RNGLike = None,
) -> dict[str, object]:
    """R² of each factor predicted from all latents (accuracy for categorical factors), and their means.

    Parameters
    ----------
    latents : array of shape (N, L)
        Learned representation of the fit points (or of all points when no test set is given).
    factors : array of shape (N, F)
        Integer factor codes (or any finite real ground-truth values) of the same points. The regression target is
        the column as given: with codes, the grid index, a linear image of the value on an evenly spaced grid.
    latents_test, factors_test : arrays of shape (M, L) and (M, F), optional
        Test points (give both or neither; the reference scores separate draws). Without them the rows are
        shuffled with `rng` and the last ``round(test_fraction * N)`` are the test set.
    regressor : {"linear", "kernel_ridge"}
        ``"linear"``: `LinearRegression` on all fit points. ``"kernel_ridge"``: rbf `KernelRidge` tuned by
        cross-validation (`KERNEL_RIDGE_GRID`, 3-fold, as `GridSearchCV`; see `kernel_ridge_predictions`) on at
        most `max_kernel_train` fit points drawn with `rng`. Its cost: 48 kernel matrices and dense solves of
        2/3 · `max_kernel_train` points shared by all factors, plus one refit per distinct chosen setting; it grows
        as the cube of the fit size (10 to 15 s at 2,000 points and 10 latents on one core of a busy
        2-core machine; the linear regression takes well under a second at 10,000 points).
    categorical : sequence of int
        Factor columns that are classes rather than quantities (e.g. a shape): predicted by a default
        `LogisticRegression` on the standardised latents and scored by test accuracy, as the reference's object
        class. Their codes must be integers.
    test_fraction : float
        Share of the points held out when no test set is given, in (0, 1); the reference's half split is 0.5.
    max_kernel_train : int
        Largest fit set of the kernel ridge regression (the reference fits 10,240 points on a large machine).
    rng : int, Generator, RandomState or None
        Draws the shuffled split and the kernel ridge subset; the fits themselves are deterministic.

    Returns
    -------
    dict
        ``"r2"``: mean test R² over the non-categorical factors (NaN when all are categorical);
        ``"per_factor"`` (F,): test R² per factor, NaN for categorical ones (R² can be negative: worse than
        predicting the fit set's mean); ``"accuracy"``: mean test accuracy over the categorical factors (NaN when
        there are none); ``"accuracy_per_factor"`` (F,): NaN for non-categorical ones.

    Raises
    ------
    ValueError
        Bad shapes or values; an unknown `regressor`; a categorical index out of range or non-integer codes; a
        non-categorical factor constant on the fit or test set (R² undefined) or a categorical one with a single
        class on the fit set; too few points (fit >= 3, test >= 2).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> factors = rng.integers(0, 8, size=(400, 2))
    >>> latents = factors[:, ::-1] @ np.array([[2.0, 1.0], [0.5, -1.0]])
    >>> result = r2(latents, factors, rng=0)
    >>> round(result["r2"], 6), result["per_factor"].round(6).tolist()
    (1.0, [1.0, 1.0])
    """
    if regressor not in REGRESSORS:
        raise InvalidValueError(f"regressor must be one of {REGRESSORS}; got {regressor!r}")
    max_kernel_train = check_positive_int(max_kernel_train, "max_kernel_train", 3)
    gen = as_rng(rng)
    latents = check_latents(latents, "latents")
    factors = check_values(factors, latents.shape[0], "factors")
    num_factors = factors.shape[1]
    classes = _check_categorical(categorical, factors)
    if (latents_test is None) != (factors_test is None):
        given = "latents_test" if latents_test is not None else "factors_test"
        raise InvalidValueError(f"a separate test set needs both latents_test and factors_test; only {given} was given")
    if latents_test is None:
        if not (isinstance(test_fraction, (int, float)) and 0.0 < test_fraction < 1.0):
            raise InvalidValueError(f"test_fraction must be in (0, 1); got {test_fraction!r}")
        order = gen.permutation(latents.shape[0])
        num_test = int(round(test_fraction * latents.shape[0]))
        fit, test = order[: latents.shape[0] - num_test], order[latents.shape[0] - num_test :]
        lfit, ffit, ltest, ftest = latents[fit], factors[fit], latents[test], factors[test]
        where = f"a {test_fraction} split of {latents.shape[0]} points"
    else:
        lfit, ffit = latents, factors
        ltest = check_latents(latents_test, "latents_test")
        ftest = check_values(factors_test, ltest.shape[0], "factors_test")
        if ltest.shape[1] != latents.shape[1]:
            raise InvalidValueError(
                f"latents_test has {ltest.shape[1]} latent dimensions but latents has {latents.shape[1]}"
            )
        if ftest.shape[1] != num_factors:
            raise InvalidValueError(f"factors_test has {ftest.shape[1]} factors but factors has {num_factors}")
        _check_categorical(classes, ftest, "factors_test")
        where = "the given fit and test sets"
    if lfit.shape[0] < 3 or ltest.shape[0] < 2:
        raise InvalidValueError(
            f"r2 needs at least 3 fit and 2 test points; {where} has {lfit.shape[0]} and {ltest.shape[0]}"
        )

    scaler = StandardScaler().fit(lfit)
    xfit, xtest = scaler.transform(lfit), scaler.transform(ltest)
    subset = None
    if regressor == "kernel_ridge" and lfit.shape[0] > max_kernel_train:
        subset = np.sort(gen.choice(lfit.shape[0], max_kernel_train, replace=False))
    per_factor = np.full(num_factors, np.nan)
    accuracy = np.full(num_factors, np.nan)
    regressed = [f for f in range(num_factors) if f not in classes]
    with quiet_fit():
        for f in sorted(classes):
            yfit = ffit[:, f].astype(np.int64)
            if np.unique(yfit).size < 2:
                raise InvalidValueError(
                    f"factors: categorical factor {f} has a single class on the fit set; no classifier can be fit"
                )
            model = LogisticRegression().fit(xfit, yfit)
            accuracy[f] = accuracy_score(ftest[:, f].astype(np.int64), model.predict(xtest))
        for f in regressed:
            for name, column in (("fit", ffit[:, f]), ("test", ftest[:, f])):
                if column.max() == column.min():
                    arg = "factors_test" if name == "test" and latents_test is not None else "factors"
                    raise InvalidValueError(
                        f"{arg}: factor {f} is constant on the {name} set ({where}); R² is undefined "
                        "(drop the factor or use more points)"
                    )
        if regressed:
            # Each factor standardised with its own fit-set scaler, as the reference.
            target = StandardScaler().fit(ffit[:, regressed])
            yfit, ytest = target.transform(ffit[:, regressed]), target.transform(ftest[:, regressed])
            if regressor == "linear":
                predictions = LinearRegression().fit(xfit, yfit).predict(xtest)
            else:
                rows = slice(None) if subset is None else subset
                predictions = kernel_ridge_predictions(xfit[rows], yfit[rows], xtest)
            for k, f in enumerate(regressed):
                per_factor[f] = r2_score(ytest[:, k], predictions[:, k])
    return {
        "r2": float(np.mean(per_factor[regressed])) if regressed else float("nan"),
        "per_factor": per_factor,
        "accuracy": float(np.mean(accuracy[sorted(classes)])) if classes else float("nan"),
        "accuracy_per_factor": accuracy,
    }


def kernel_ridge_predictions(x: np.ndarray, y: np.ndarray, x_new: np.ndarray) -> np.ndarray:
    """Predictions at `x_new` of one rbf `KernelRidge` per column of `y`, each tuned as the reference's
    ``GridSearchCV(KernelRidge(kernel="rbf"), KERNEL_RIDGE_GRID, cv=3)`` would tune it alone.

    The kernel matrices do not depend on the target, so every setting and fold is solved once for all columns at
    once (KernelRidge solves several right-hand sides together) instead of once per column: the same candidates,
    folds (`KFold(3)`, unshuffled), R² scores, mean over folds and first-best tie-breaking as `GridSearchCV`, at
    1/F of its cost. Returns shape (len(x_new), y.shape[1]).
    """
    settings = list(ParameterGrid(KERNEL_RIDGE_GRID))
    folds = list(KFold(n_splits=3).split(x))
    scores = np.zeros((len(settings), y.shape[1]))
    for s, params in enumerate(settings):
        for train, test in folds:
            pred = KernelRidge(kernel="rbf", **params).fit(x[train], y[train]).predict(x[test]).reshape(len(test), -1)
            scores[s] += [r2_score(y[test, k], pred[:, k]) for k in range(y.shape[1])]
    best = np.argmax(scores / len(folds), axis=0)  # first maximum, as GridSearchCV's best_index_
    out = np.empty((x_new.shape[0], y.shape[1]))
    for s in np.unique(best):
        columns = np.nonzero(best == s)[0]
        model = KernelRidge(kernel="rbf", **settings[s]).fit(x, y[:, columns])
        out[:, columns] = model.predict(x_new).reshape(x_new.shape[0], -1)
    return out


def _check_categorical(categorical: object, factors: np.ndarray, name: str = "factors") -> set[int]:
    """Validate the categorical column indices against `factors`; their entries must be integer codes."""
    try:
        items = list(categorical)
    except TypeError:
        items = None
    if items is None or not all(isinstance(c, (int, np.integer)) and not isinstance(c, bool) for c in items):
        raise InvalidValueError(
            f"categorical must be a sequence of factor column indices (integers); got {categorical!r}"
        )
    columns = [int(c) for c in items]
    bad = [c for c in columns if not 0 <= c < factors.shape[1]]
    if bad:
        raise InvalidValueError(
            f"categorical: factor column(s) {bad} out of range for {factors.shape[1]} factors (0..{factors.shape[1] - 1})"
        )
    for c in columns:
        if np.any(factors[:, c] != np.round(factors[:, c])):
            raise InvalidValueError(f"{name}: categorical factor {c} must hold integer codes; got non-integer values")
    return set(columns)


def r2_scores(result: dict[str, object]) -> dict[str, float]:
    """The scalar scores of an `r2` result, as `evaluate` reports them: ``r2`` and ``r2_factor_i`` for the regressed
    factors, ``accuracy`` and ``accuracy_factor_i`` for the categorical ones (only those that exist)."""
    out: dict[str, float] = {}
    regressed = ~np.isnan(result["per_factor"])
    if regressed.any():
        out["r2"] = result["r2"]
    if (~regressed).any():
        out["accuracy"] = result["accuracy"]
    for i, is_regressed in enumerate(regressed):
        if is_regressed:
            out[f"r2_factor_{i}"] = float(result["per_factor"][i])
        else:
            out[f"accuracy_factor_{i}"] = float(result["accuracy_per_factor"][i])
    return out


def compute_r2(
    data: object,
    representation: object,
    random_state: RNGLike = None,
    num_train: int = 10000,
    num_test: int = 5000,
    regressor: str = "linear",
    categorical: Sequence[int] = (),
    max_kernel_train: int = DEFAULT_MAX_KERNEL_TRAIN,
    encode_batch_size: int = DEFAULT_ENCODE_BATCH_SIZE,
) -> dict[str, float]:
    """`r2` fitted on `num_train` fresh draws from `data` and scored on `num_test` further draws. Returns the scalar
    scores of `r2_scores`."""
    rep, rng = prepare(data, representation, random_state)
    ctr, ftr, cte, fte = sample_train_test(data, rep, rng, num_train, num_test, encode_batch_size)
    result = r2(
        ctr,
        ftr,
        latents_test=cte,
        factors_test=fte,
        regressor=regressor,
        categorical=categorical,
        max_kernel_train=max_kernel_train,
        rng=rng,
    )
    return r2_scores(result)
