"""Fixtures for the metric tests: data sets whose observations carry the codes (or nothing), cheap representations."""

from __future__ import annotations

import numpy as np

import gtdata
from gtdata.core.data import GroundTruthData
from gtdata.core.factors import Factor, FactorSpace
from gtdata.core.rng import uniform


def identity_data(num_factors: int = 10, num_values: int = 10) -> gtdata.ToyData:
    """ToyData with one pixel row per factor: row f of the image is (code_f + 1) / (num_values + 1)."""
    return gtdata.ToyData(factor_sizes=[num_values] * num_factors, image_size=num_factors)


def identity_rep(x: np.ndarray) -> np.ndarray:
    """Read the codes back from `identity_data` images (an increasing map of each factor code)."""
    return x[:, :, 0, 0].astype(np.float64)


def zeros_rep(x: np.ndarray) -> np.ndarray:
    return np.zeros((x.shape[0], x.shape[1]))


def duplicated_rep(x: np.ndarray) -> np.ndarray:
    codes = identity_rep(x)
    return np.concatenate([codes, codes], axis=1)


class NoiseData(GroundTruthData):
    """Observations are uniform noise independent of the factors (disentanglement_lib's DummyData)."""

    name = "noise"

    def __init__(self, sizes=(5, 5, 5), size: int = 4):
        self.factor_space = FactorSpace(Factor(f"f{i}", list(range(s))) for i, s in enumerate(sizes))
        self.observation_shape = (size, size, 1)

    def _draw_nuisance(self, n, rng):
        return {"noise": uniform(rng, 0.0, 1.0, (n, *self.observation_shape)).astype(np.float32)}

    def _render(self, codes, nuisance):
        return nuisance["noise"]


def flat_rep(x: np.ndarray) -> np.ndarray:
    return x.reshape(x.shape[0], -1).astype(np.float64)


def synthetic_codes(n: int, sizes=(4, 5, 3), seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Factors (n, F) uniform on `sizes` and codes equal to the factors (float): an ideal representation."""
    rng = np.random.default_rng(seed)
    factors = np.stack([rng.integers(0, s, n) for s in sizes], axis=1)
    return factors.astype(np.float64), factors
