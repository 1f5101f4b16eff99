"""Input validation shared by the array-level metrics: clear errors instead of numpy tracebacks."""

from __future__ import annotations

import warnings

import numpy as np

from gtdata.core.errors import InvalidValueError


def check_latents(latents: object, name: str = "latents", min_rows: int = 2) -> np.ndarray:
    """Return `latents` as a float64 (N, L) array or raise a ValueError that names the problem."""
    try:
        arr = np.asarray(latents, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InvalidValueError(
            f"{name} must be a numeric array of shape (N, L); got {type(latents).__name__}"
        ) from exc
    if arr.ndim != 2:
        raise InvalidValueError(f"{name} must have shape (N, L) (rows are points); got shape {arr.shape}")
    if arr.shape[1] == 0:
        raise InvalidValueError(f"{name} must have at least one column (latent dimension); got shape {arr.shape}")
    if arr.shape[0] < min_rows:
        raise InvalidValueError(f"{name} needs at least {min_rows} rows (points); got {arr.shape[0]}")
    bad = ~np.isfinite(arr)
    if bad.any():
        rows = np.unique(np.nonzero(bad)[0])
        raise InvalidValueError(
            f"{name} contains {int(bad.sum())} NaN or infinite values (first bad row {int(rows[0])}); "
            "the representation must return finite numbers"
        )
    if arr.shape[0] > 1 and np.all(arr.max(axis=0) == arr.min(axis=0)):
        warnings.warn(
            f"{name}: every latent dimension is constant over {arr.shape[0]} points; "
            "scores of a constant representation are degenerate",
            RuntimeWarning,
            stacklevel=3,
        )
    return arr


def check_factors(factors: object, num_rows: int, name: str = "factors", require_varying: bool = True) -> np.ndarray:
    """Return `factors` as an int64 (N, F) array of factor indices (N must equal `num_rows`).

    With `require_varying`, a factor that takes a single value raises: no classifier or entropy is defined for it.
    """
    arr = np.asarray(factors)
    if arr.ndim != 2:
        raise InvalidValueError(f"{name} must have shape (N, F) of integer factor indices; got shape {arr.shape}")
    if arr.shape[0] != num_rows:
        raise InvalidValueError(f"{name} has {arr.shape[0]} rows but the latents have {num_rows}; rows are points")
    if arr.shape[1] == 0:
        raise InvalidValueError(f"{name} must have at least one column (factor); got shape {arr.shape}")
    if arr.dtype.kind == "f":
        if not np.all(np.isfinite(arr)) or np.any(arr != np.round(arr)):
            raise InvalidValueError(f"{name} must hold integer factor indices; got non-integer values")
    elif arr.dtype.kind not in "iub":
        raise InvalidValueError(f"{name} must hold integer factor indices; got dtype {arr.dtype}")
    arr = arr.astype(np.int64)
    if require_varying:
        constant = np.nonzero(arr.max(axis=0) == arr.min(axis=0))[0]
        if constant.size:
            raise InvalidValueError(
                f"{name}: factor {int(constant[0])} takes a single value in these {num_rows} points; "
                "a metric needs every factor to vary (drop the factor, or sample more points)"
            )
    return arr


def check_pair(
    latents_train: object, factors_train: object, latents_test: object, factors_test: object
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Validate a train/test split: same number of latents and factors on both sides."""
    ctr = check_latents(latents_train, "latents_train")
    ftr = check_factors(factors_train, ctr.shape[0], "factors_train")
    cte = check_latents(latents_test, "latents_test", min_rows=1)
    fte = check_factors(factors_test, cte.shape[0], "factors_test", require_varying=False)
    if cte.shape[1] != ctr.shape[1]:
        raise InvalidValueError(
            f"latents_test has {cte.shape[1]} latent dimensions but latents_train has {ctr.shape[1]}"
        )
    if fte.shape[1] != ftr.shape[1]:
        raise InvalidValueError(f"factors_test has {fte.shape[1]} factors but factors_train has {ftr.shape[1]}")
    return ctr, ftr, cte, fte


def check_positive_int(value: object, name: str, minimum: int = 1) -> int:
    """Return `value` as an int >= `minimum`, or raise a ValueError naming the parameter."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise InvalidValueError(f"{name} must be an integer >= {minimum}; got {value!r}")
    return int(value)


def check_values(values: object, num_rows: int, name: str = "factors") -> np.ndarray:
    """Return ground-truth `values` as a float64 (N, F) array: integer factor codes or any finite real values.

    For the metrics that only correlate or regress (MCC, R²), which need no classes.
    """
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InvalidValueError(f"{name} must be a numeric array of shape (N, F); got {type(values).__name__}") from exc
    if arr.ndim != 2:
        raise InvalidValueError(f"{name} must have shape (N, F) (rows are points); got shape {arr.shape}")
    if arr.shape[0] != num_rows:
        raise InvalidValueError(f"{name} has {arr.shape[0]} rows but the latents have {num_rows}; rows are points")
    if arr.shape[1] == 0:
        raise InvalidValueError(f"{name} must have at least one column (factor); got shape {arr.shape}")
    bad = ~np.isfinite(arr)
    if bad.any():
        raise InvalidValueError(
            f"{name} contains {int(bad.sum())} NaN or infinite values (first bad row {int(np.nonzero(bad)[0][0])})"
        )
    return arr
