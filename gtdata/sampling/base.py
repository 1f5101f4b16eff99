"""The sampler protocol: objects that draw factor codes, counter-based, and render them on request.

A sampler knows *what* to draw (single codes, pairs, triplets, environments, sequences); the data set knows
*from which distribution* its codes come (``data.sample_codes``: uniform over the grid or its split, or a factor
distribution attached with :meth:`~gtdata.GroundTruthData.with_distribution`) and how codes become
observations (``data.draw_nuisance`` and ``data.render``). Every sampler is counter-based: row ``i`` of a seeded
draw depends only on ``(seed, i)`` (:func:`gtdata.core.rng.counter_draw`), so batches can be cut anywhere and
spread over DataLoader workers without changing a byte.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from gtdata.core.data import GroundTruthData, check_dtype, check_image_bytes
from gtdata.core.factors import check_count
from gtdata.core.rng import RNGLike, counter_draw, stream_key

__all__ = ["Sampler"]


class Sampler:
    """Base class of the samplers: draw codes block by block, render the images of a batch on request.

    Subclasses set ``name`` (the registry name), ``salt`` (separates the streams of different samplers that
    share a seed), ``fields`` (the names of the batch's fields, images first) and implement
    :meth:`draw_block`, which draws one block of ``size`` rows from a Philox Generator, and :meth:`assemble`,
    which turns the drawn arrays into the batch (rendering the images).
    """

    name: ClassVar[str] = "sampler"
    salt: ClassVar[int] = 0

    def check(self, data: GroundTruthData) -> None:
        """Raise a clear error, before any drawing, when this sampler cannot draw from ``data``."""

    def draw_block(self, data: GroundTruthData, gen: np.random.Generator, size: int) -> tuple:
        """One block of ``size`` rows: a tuple of arrays (and nuisance dicts or None)."""
        raise NotImplementedError(f"{type(self).__name__} must implement draw_block(data, gen, size)")

    def assemble(self, data: GroundTruthData, drawn: tuple, dtype: np.dtype) -> Any:
        """The batch (a NamedTuple) from the drawn arrays, images rendered as ``dtype``."""
        raise NotImplementedError(f"{type(self).__name__} must implement assemble(data, drawn, dtype)")

    def draw(self, data: GroundTruthData, n: int, rng: RNGLike = 0, start: int = 0) -> tuple:
        """Rows ``start … start+n-1`` of the seeded stream, codes only (no images)."""
        n = check_count(n)
        self.check(data)
        key = stream_key(rng)
        return counter_draw(key, start, n, lambda g, b: self.draw_block(data, g, b), salt=self.salt)

    def sample(self, data: GroundTruthData, n: int, rng: RNGLike = 0, start: int = 0,
               dtype: Any = np.float32) -> Any:
        """Rows ``start … start+n-1`` of the seeded stream with their observations.

        Parameters
        ----------
        data : GroundTruthData
            The data set (or a view of it: a split, a factor distribution).
        n : int
            Number of rows.
        rng : int, Generator or RandomState
            The stream's seed; a Generator or RandomState is consumed for one 63-bit stream key.
        start : int
            First row; row ``i`` depends only on ``(seed, i)``.
        dtype : float32, float64 or uint8
            Image dtype (floats in [0, 1] or the stored bytes).
        """
        dtype = check_dtype(dtype)
        n = check_count(n)
        check_image_bytes(n, (self.images_per_row, *data.observation_shape), what=f"rows of {self.name}")
        return self.assemble(data, self.draw(data, n, rng, start), dtype)

    images_per_row: ClassVar[int] = 1

    def options(self) -> dict[str, Any]:
        """The sampler's options as plain values (for configs and run records)."""
        return {}

    def __repr__(self) -> str:
        opts = ", ".join(f"{k}={v!r}" for k, v in self.options().items())
        return f"{type(self).__name__}({opts})"

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.options() == self.options()

    def __hash__(self) -> int:
        return hash((type(self).__name__, repr(self.options())))
