"""Integer seeds for scikit-learn estimators, drawn from the metric's numpy generator."""

from __future__ import annotations

from gtdata.core.rng import AnyRNG, randint


def draw_seeds(rng: AnyRNG, n: int) -> list[int]:
    """Draw `n` integer seeds in [0, 2**31) for scikit-learn estimators (which do not take Generators)."""
    return [int(s) for s in randint(rng, 2**31, n)]
