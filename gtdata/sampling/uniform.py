"""Single codes from the data set's own distribution: the seeded training stream."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from gtdata.core.data import GroundTruthData
from gtdata.core.rng import SALTS

from .base import Sampler

__all__ = ["CodeBatch", "UniformSampler"]


class CodeBatch(NamedTuple):
    """One batch of single draws.

    Parameters
    ----------
    x : ndarray (n, H, W, C)
        Observations.
    codes : ndarray (n, F) int64
        Their codes.
    """

    x: np.ndarray
    codes: np.ndarray


class UniformSampler(Sampler):
    """One code per row from ``data.sample_codes`` — uniform over the grid (or split), or the view's factor
    distribution — with its nuisance. This is :meth:`GroundTruthData.stream`.

    Examples
    --------
    >>> import gtdata
    >>> from gtdata.sampling import UniformSampler
    >>> batch = UniformSampler().sample(gtdata.load("toy"), 4, rng=0)
    >>> batch.x.shape, batch.codes.shape
    ((4, 64, 64, 1), (4, 4))
    """

    name = "uniform"
    salt = SALTS["uniform"]

    def draw_block(self, data: GroundTruthData, gen: np.random.Generator, size: int) -> tuple:
        return data.sample_codes(size, gen), data.draw_nuisance(size, gen)

    def assemble(self, data: GroundTruthData, drawn: tuple, dtype: np.dtype) -> CodeBatch:
        codes, nuisance = drawn
        return CodeBatch(data.render(codes, nuisance, dtype), codes)
