"""The sampler protocol: objects that draw factor codes, counter-based, and render them on request; and the
uniform sampler, the seeded training stream.

A sampler knows *what* to draw (single codes, pairs, triplets, environments, sequences); the data set knows
*from which distribution* its codes come (``data.sample_codes``: uniform over the grid or its split, or a factor
distribution attached with :meth:`~gtdata.GroundTruthData.with_distribution`) and how codes become
observations (``data.draw_nuisance`` and ``data.render``). Every sampler is counter-based: row ``i`` of a seeded
draw depends only on ``(seed, i)`` (:func:`gtdata.core.rng.counter_draw`), so batches can be cut anywhere and
spread over DataLoader workers without changing a byte.

Why this sits in the core layer: a sampler needs nothing but the data protocol (``sample_codes``,
``draw_nuisance``, ``render``, ``contains``) and :mod:`gtdata.core.rng`, and GroundTruthData's own 0.1 methods
(``stream``, ``sample_pairs``, ``sample_triplets``, ``sample_shared_pairs``, ``check_k``) are these samplers, so
the core keeps them rather than reach up for them. The samplers that need a causal model live one layer up in
:mod:`gtdata.causal`, and :mod:`gtdata.sampling` names them all (:func:`gtdata.sampling.make_sampler`).
"""

from __future__ import annotations

from typing import Any, ClassVar, NamedTuple

import numpy as np

from .data import GroundTruthData, check_dtype, check_image_bytes
from .factors import check_count
from .rng import SALTS, RNGLike, counter_draw, stream_key

__all__ = ["CodeBatch", "Sampler", "UniformSampler"]


class Sampler:
    """Base class of the samplers: draw codes block by block, render the images of a batch on request.

    Subclasses set ``name`` (the registry name), ``salt`` (separates the streams of different samplers that
    share a seed), ``fields`` (the names of the batch's fields, images first) and implement
    :meth:`draw_block`, which draws one block of ``size`` rows from a Philox Generator, and :meth:`assemble`,
    which turns the drawn arrays into the batch (rendering the images).

    Examples
    --------
    A sampler whose rows are the first or the last grid point (every factor at its first or last value):

    >>> import numpy as np
    >>> import gtdata
    >>> from gtdata.sampling import CodeBatch, Sampler
    >>> class Corners(Sampler):
    ...     name, salt = "corners", 15  # a salt no gtdata stream uses (see gtdata.core.rng.SALTS)
    ...     def draw_block(self, data, gen, size):
    ...         last = gen.random(size) < 0.5
    ...         codes = np.where(last[:, None], data.factor_space.sizes - 1, 0)
    ...         return codes, data.draw_nuisance(size, gen)
    ...     def assemble(self, data, drawn, dtype):
    ...         codes, nuisance = drawn
    ...         return CodeBatch(data.render(codes, nuisance, dtype), codes)
    >>> data = gtdata.load("toy")
    >>> batch = Corners().sample(data, 3, rng=0, dtype=np.uint8)
    >>> batch.x.shape, batch.x.dtype
    ((3, 64, 64, 1), dtype('uint8'))
    >>> batch.codes.tolist()
    [[0, 0, 0, 0], [2, 3, 4, 5], [0, 0, 0, 0]]
    >>> bool((Corners().draw(data, 5, rng=0, start=1)[0] == Corners().draw(data, 6, rng=0)[0][1:]).all())
    True
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

    def sample(self, data: GroundTruthData, n: int, rng: RNGLike = 0, start: int = 0, dtype: Any = np.float32) -> Any:
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


class CodeBatch(NamedTuple):
    """One batch of single draws.

    Parameters
    ----------
    x : ndarray (n, H, W, C)
        Observations.
    codes : ndarray (n, F) int64
        Their codes.

    Examples
    --------
    >>> import gtdata
    >>> from gtdata.sampling import UniformSampler
    >>> batch = UniformSampler().sample(gtdata.load("toy"), 3, rng=0)
    >>> type(batch).__name__, batch._fields
    ('CodeBatch', ('x', 'codes'))
    >>> batch.x.shape, batch.codes.shape
    ((3, 64, 64, 1), (3, 4))
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
