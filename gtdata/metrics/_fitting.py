"""Per-factor classifier fits (DCI, downstream, explicitness), balanced over the available cores.

The fits for different factors are independent, so they run in separate processes. Their cost grows with the
number of classes (a multi-class boosted model fits one tree per class and stage), so tasks are dispatched
longest-first to whichever worker is free (LPT scheduling): with dSprites' factors (40, 32, 32, 6, 3 classes) two
workers finish after 64 of 113 units instead of 113. Every fit gets its own integer seed, so results do not
depend on the number of workers.
"""

from __future__ import annotations

import contextlib
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

import joblib
import numpy as np
from sklearn.ensemble import GradientBoostingClassifier, HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression, LogisticRegressionCV
from sklearn.model_selection import KFold
from threadpoolctl import threadpool_limits

from gtdata.core.errors import InvalidValueError

T = TypeVar("T")

# Estimated seconds below which process start-up (a couple of seconds: each worker imports scikit-learn) costs
# more than the second core saves.
_PARALLEL_MIN_WORK = 5.0

# Rough CPU seconds per (training point x class) of one fit, measured on this project's 2-core machine at the study's
# sizes: they only decide whether a batch of fits is worth a process pool and in which order to dispatch it.
SECONDS_PER_POINT_CLASS = {
    "gbt": 2.7e-4,
    "hist_gbt": 1.2e-5,
    "logistic_regression_cv": 2.3e-4,
    "logistic_regression": 2.7e-6,
    "linear_svc": 3.5e-7,
}


def quiet_fit():
    """Context for scikit-learn fits: one BLAS / OpenMP thread and none of the reference-setting warnings.

    On these small matrices multi-threaded BLAS and OpenMP spin more than they compute (on a busy 2-core machine
    LogisticRegressionCV ran 8x and histogram boosting 20x slower with 2 threads); cores are used by running the
    per-factor fits in parallel processes instead.
    """
    stack = contextlib.ExitStack()
    stack.enter_context(threadpool_limits(limits=1))
    stack.enter_context(warnings.catch_warnings())
    # lbfgs / liblinear at the reference's max_iter often stop early; the study used exactly these settings.
    warnings.filterwarnings("ignore", message=".*(converge|ITERATIONS REACHED LIMIT).*")
    # announcements of future LogisticRegressionCV defaults (l1_ratios, fitted attributes) that do not change it
    warnings.filterwarnings("ignore", category=FutureWarning, message=".*(l1_ratios|use_legacy_attributes).*")
    return stack


@dataclass
class FitResult:
    """Outcome of one per-factor fit: feature importances (L,) or None, train/test accuracy, whether the training
    labels had a single class, and the CPU seconds the fit took in its process (for load balancing diagnostics)."""

    importances: np.ndarray | None
    train_accuracy: float
    test_accuracy: float
    single_class: bool
    cpu_seconds: float = 0.0


def make_classifier(kind: str, seed: int) -> object:
    """Build the study's scikit-learn classifier `kind` with the reference parameters, seeded."""
    if kind == "gbt":
        return GradientBoostingClassifier(random_state=seed)
    if kind == "hist_gbt":
        return HistGradientBoostingClassifier(
            max_depth=3, max_iter=100, learning_rate=0.1, early_stopping=False, random_state=seed
        )
    if kind == "logistic_regression_cv":
        # scoring pinned: scikit-learn 1.11 changes the default from accuracy (the reference's) to log loss.
        return LogisticRegressionCV(Cs=10, cv=KFold(n_splits=5), scoring="accuracy")
    if kind == "logistic_regression":
        return LogisticRegression(random_state=seed)
    raise InvalidValueError(f"unknown classifier kind {kind!r}")


def hist_gbt_gain_importances(model: HistGradientBoostingClassifier, num_features: int) -> np.ndarray:
    """Total split gain per feature over every tree of a fitted histogram boosting model, normalised to sum 1.

    This is the boosting analogue of the impurity-decrease importances of `GradientBoostingClassifier`: each split's
    gain is the loss reduction it buys, summed over all points it splits. All zeros if no tree split.
    Permutation importance was rejected: it needs extra predictions per code, is noisy, and gives ~0 to both copies
    of a duplicated code (each stands in for the other), which breaks DCI's completeness; split gains share the
    credit between copies as the default's importances do.
    """
    try:
        predictors = model._predictors
        gains = np.zeros(num_features)
        for stage in predictors:
            for tree in stage:
                nodes = tree.nodes
                split = ~nodes["is_leaf"].astype(bool)
                np.add.at(gains, nodes["feature_idx"][split].astype(np.int64), nodes["gain"][split])
    except (AttributeError, KeyError, ValueError) as exc:  # private layout of scikit-learn's fitted trees
        import sklearn

        raise RuntimeError(
            f"dci_fast reads the split gains of HistGradientBoostingClassifier's trees; scikit-learn "
            f"{sklearn.__version__} stores them differently ({exc}). Use the default 'dci' metric."
        ) from exc
    gains = np.maximum(gains, 0.0)
    total = gains.sum()
    return gains / total if total > 0 else gains


def fit_one(
    kind: str,
    x_train: np.ndarray,
    y_train: np.ndarray,
    x_test: np.ndarray,
    y_test: np.ndarray,
    seed: int,
    want_importances: bool,
) -> FitResult:
    """Fit classifier `kind` on (x_train, y_train); accuracy on both sets and, if asked, |importances|.

    A training set with a single class gets the constant predictor (the classifiers reject it) and zero importances.
    """
    start = time.process_time()
    classes = np.unique(y_train)
    if classes.size < 2:
        imp = np.zeros(x_train.shape[1]) if want_importances else None
        return FitResult(imp, float(np.mean(y_train == classes[0])), float(np.mean(y_test == classes[0])), True)
    model = make_classifier(kind, seed)
    with quiet_fit():
        model.fit(x_train, y_train)
    imp = None
    if want_importances:
        if kind == "hist_gbt":
            imp = hist_gbt_gain_importances(model, x_train.shape[1])
        else:
            imp = np.abs(model.feature_importances_)
    train_acc = float(np.mean(model.predict(x_train) == y_train))
    test_acc = float(np.mean(model.predict(x_test) == y_test))
    return FitResult(imp, train_acc, test_acc, False, time.process_time() - start)


def class_cost(labels: np.ndarray) -> int:
    """Relative cost of a classifier on these labels: one model per class, one for a binary problem."""
    k = np.unique(labels).size
    return 1 if k <= 2 else k


def parallel_map(
    func: Callable[..., T], args: Sequence[tuple], costs: Sequence[float], n_jobs: int | None = None
) -> list[T]:
    """[func(*a) for a in args], run longest-first on `n_jobs` worker processes (None = all cores).

    `costs` are estimated seconds per call. Results come back in the order of `args`. Small total work (below
    _PARALLEL_MIN_WORK seconds) or one worker runs in this process.
    """
    if n_jobs is not None and (isinstance(n_jobs, bool) or not isinstance(n_jobs, int) or n_jobs < 1):
        raise InvalidValueError(f"n_jobs must be None or an integer >= 1; got {n_jobs!r}")
    workers = min(max(1, joblib.cpu_count()) if n_jobs is None else n_jobs, len(args))
    if workers <= 1 or sum(costs) < _PARALLEL_MIN_WORK:
        return [func(*a) for a in args]
    order = sorted(range(len(args)), key=lambda i: -costs[i])
    done = joblib.Parallel(n_jobs=workers, backend="loky", pre_dispatch="all", batch_size=1)(
        joblib.delayed(func)(*args[i]) for i in order
    )
    by_index = dict(zip(order, done))
    return [by_index[i] for i in range(len(args))]


def fit_per_factor(
    kind: str,
    x_train: np.ndarray,
    factors_train: np.ndarray,
    x_test: np.ndarray,
    factors_test: np.ndarray,
    seeds: Sequence[int],
    want_importances: bool = False,
    n_jobs: int | None = None,
) -> list[FitResult]:
    """One classifier per factor column (factors_* are (N, F)); results in factor order.

    `n_jobs`: worker processes (None = all available cores, 1 = in this process). Small problems always run
    in-process.
    """
    num_factors = factors_train.shape[1]
    costs = [
        SECONDS_PER_POINT_CLASS[kind] * class_cost(factors_train[:, j]) * x_train.shape[0] for j in range(num_factors)
    ]
    args = [
        (kind, x_train, factors_train[:, j], x_test, factors_test[:, j], seeds[j], want_importances)
        for j in range(num_factors)
    ]
    results = parallel_map(fit_one, args, costs, n_jobs)
    single = [j for j, r in enumerate(results) if r.single_class]
    if single:
        warnings.warn(
            f"factor(s) {single} take a single value in the {x_train.shape[0]} training points; "
            "using the constant predictor for them",
            RuntimeWarning,
            stacklevel=3,
        )
    return results
