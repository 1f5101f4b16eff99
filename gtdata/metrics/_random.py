"""Seeds for the metrics: one numpy generator per metric, integer seeds for scikit-learn estimators."""

from __future__ import annotations

import numpy as np

from gtdata.core.rng import as_rng

RandomLike = int | np.random.Generator | np.random.RandomState | None


def rng_from(random_state: RandomLike) -> np.random.Generator | np.random.RandomState:
    """Normalise an int / None / Generator / RandomState into a numpy generator (same seed, same stream)."""
    return as_rng(random_state)


def draw_seeds(rng: np.random.Generator | np.random.RandomState, n: int) -> list[int]:
    """Draw `n` integer seeds in [0, 2**31) for scikit-learn estimators (which do not take Generators)."""
    if isinstance(rng, np.random.Generator):
        return [int(s) for s in rng.integers(0, 2**31, size=n)]
    return [int(s) for s in rng.randint(0, 2**31, size=n)]


def draw_ints(rng: np.random.Generator | np.random.RandomState, high: np.ndarray | int, size: int) -> np.ndarray:
    """Uniform integers in [0, high) (broadcast over `high`) from either kind of numpy generator, int64."""
    if isinstance(rng, np.random.Generator):
        return rng.integers(0, high, size=size).astype(np.int64)
    return rng.randint(0, high, size=size).astype(np.int64)
