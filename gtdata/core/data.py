"""GroundTruthData: observations indexed by known generative factors.

A subclass says only how to turn a batch of codes (plus per-draw nuisance) into images; sampling, splits,
intervention pairs and the disentanglement_lib-compatible interface are shared here.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Mapping
from typing import Any, NamedTuple, Protocol

import numpy as np

from gtdata.core.errors import InvalidTypeError, InvalidValueError, OutOfRangeError

from . import rng as rngmod
from .deprecation import renamed_keywords
from .factors import FactorSpace, check_count
from .rng import RNGLike, as_rng, randint
from .split import split_mask


class PairBatch(NamedTuple):
    """Two observations per row that differ in the factors flagged by ``changed``.

    ``x1``, ``x2``: (n, H, W, C) observations; ``codes1``, ``codes2``: (n, d) int64; ``changed``: (n, d) bool.

    Parameters
    ----------
    x1, x2 : ndarray, shape (n, H, W, C)
        The two observations of each pair (float32 in [0, 1], or the dtype asked for).
    codes1, codes2 : ndarray of int64, shape (n, d)
        Their codes.
    changed : ndarray of bool, shape (n, d)
        The factors the pair's intervention chose (:meth:`GroundTruthData.sample_pairs`), or where the two
        codes differ (:meth:`GroundTruthData.sample_shared_pairs`).

    Examples
    --------
    >>> import gtdata
    >>> pairs = gtdata.load("toy").sample_pairs(3, k=1, rng=0)
    >>> type(pairs).__name__, pairs.x1.shape, pairs.codes1.shape
    ('PairBatch', (3, 64, 64, 1), (3, 4))
    >>> pairs.changed.sum(axis=1).tolist()   # k = 1: one factor changes per pair
    [1, 1, 1]
    >>> bool(((pairs.codes1 != pairs.codes2) == pairs.changed).all())
    True
    """

    x1: np.ndarray
    x2: np.ndarray
    codes1: np.ndarray
    codes2: np.ndarray
    changed: np.ndarray


class TripletBatch(NamedTuple):
    """Anchor, positive (few factors changed) and negative (more factors changed) observations and codes.

    Parameters
    ----------
    anchor, positive, negative : ndarray, shape (n, H, W, C)
        The observations (float32 in [0, 1], or the dtype asked for), with the same nuisance in a row.
    codes_anchor, codes_positive, codes_negative : ndarray of int64, shape (n, d)
        Their codes: the positive differs from the anchor in ``k_positive`` factors, the negative in
        ``k_negative``.

    Examples
    --------
    >>> import gtdata
    >>> t = gtdata.load("toy").sample_triplets(3, k_positive=1, k_negative=3, rng=0)
    >>> type(t).__name__, t.anchor.shape
    ('TripletBatch', (3, 64, 64, 1))
    >>> (t.codes_positive != t.codes_anchor).sum(axis=1).tolist()
    [1, 1, 1]
    >>> (t.codes_negative != t.codes_anchor).sum(axis=1).tolist()
    [3, 3, 3]
    """

    anchor: np.ndarray
    positive: np.ndarray
    negative: np.ndarray
    codes_anchor: np.ndarray
    codes_positive: np.ndarray
    codes_negative: np.ndarray


class GridSubset(Protocol):
    """What :meth:`GroundTruthData.split` accepts besides an expression: a named subset of the grid."""

    description: str

    def mask(self, space: FactorSpace) -> np.ndarray:
        """Boolean (space.size,) mask over the grid in flat-index order."""


def _describe(expr: str | GridSubset) -> str:
    return expr if isinstance(expr, str) else expr.description


def _subset_mask(subset: GridSubset, space: FactorSpace) -> np.ndarray:
    mask = np.asarray(subset.mask(space))
    if mask.dtype != bool or mask.shape != (space.size,):
        raise InvalidValueError(
            f"split {subset.description!r}: mask(space) must return a boolean array of shape "
            f"({space.size},), got {mask.dtype} {mask.shape}"
        )
    return mask


class GroundTruthData:
    """Base class of every gtdata set (benchmark, rendered, in-memory).

    Subclasses set ``factor_space`` (the latent factors), ``observation_shape`` (H, W, C) and implement
    ``_render(codes, nuisance)``; they may implement ``_draw_nuisance(n, rng)`` for per-draw variation that is
    not a factor. Observations are NHWC, float32 in [0, 1] by default, or the stored bytes with ``dtype=np.uint8``.

    The underscored hooks are for subclasses only; other code (samplers, exporters, wrappers, the GPU data
    path) uses the public protocol: :meth:`draw_nuisance`, :meth:`render`, :meth:`contains` and the
    :attr:`stored_images` capability.

    Examples
    --------
    A data set of its own: a vertical bar at one of four positions, at one of two brightnesses. Sampling,
    splits, pairs and the disentanglement_lib interface come with the base class.

    >>> import numpy as np
    >>> from gtdata import Factor, FactorSpace, GroundTruthData
    >>> class Bars(GroundTruthData):
    ...     name = "bars"
    ...     factor_space = FactorSpace([Factor("position", [0, 1, 2, 3]), Factor("brightness", [0.5, 1.0])])
    ...     observation_shape = (4, 4, 1)
    ...     def _render(self, codes, nuisance):
    ...         out = np.zeros((len(codes), *self.observation_shape), dtype=np.float32)
    ...         level = self.factor_space["brightness"].values[codes[:, 1]]
    ...         out[np.arange(len(codes)), :, codes[:, 0], 0] = level[:, None]
    ...         return out
    >>> data = Bars()
    >>> data
    Bars(name='bars', 8 points, factors={'position': 4, 'brightness': 2}, observation_shape=(4, 4, 1))
    >>> data.observations([[2, 1]])[0, :, :, 0].tolist()
    [[0.0, 0.0, 1.0, 0.0], [0.0, 0.0, 1.0, 0.0], [0.0, 0.0, 1.0, 0.0], [0.0, 0.0, 1.0, 0.0]]
    >>> codes, x = data.sample(3, random_state=0)   # disentanglement_lib's (factors, observations)
    >>> codes.shape, x.shape, x.dtype
    ((3, 2), (3, 4, 4, 1), dtype('float32'))
    >>> right = data.split("position >= 2")
    >>> len(right), bool((right.sample_codes(100, rng=0)[:, 0] >= 2).all())
    (4, True)
    """

    factor_space: FactorSpace
    observation_shape: tuple[int, int, int]
    name: str = "data"
    transform = None
    _splits: tuple[tuple[str, bool], ...] = ()

    # -- subclass hooks -------------------------------------------------------------------------------
    def _draw_nuisance(self, n: int, rng: rngmod.AnyRNG) -> dict[str, np.ndarray] | None:
        """Per-draw random variation that is not a factor: arrays with ``n`` leading rows, or None."""
        return None

    def _render(self, codes: np.ndarray, nuisance: dict[str, np.ndarray] | None) -> np.ndarray:
        """Images (N, H, W, C) for validated codes, uint8 or float32 in [0, 1]."""
        raise NotImplementedError(f"{type(self).__name__} must implement _render(codes, nuisance)")

    # -- metadata --------------------------------------------------------------------------------------
    @property
    def metadata(self) -> dict[str, Any]:
        """Name, factors and provenance (checksums where stored) of this data set."""
        return {
            "name": self.name,
            "factors": self.factor_space.to_dict(),
            "observation_shape": list(self.observation_shape),
            "splits": self.split_description,
        }

    @property
    def split_description(self) -> list[str]:
        return [f"not ({_describe(e)})" if neg else _describe(e) for e, neg in self._splits]

    def __repr__(self) -> str:
        split = f", split={' and '.join(self.split_description)!r}" if self._splits else ""
        return (
            f"{type(self).__name__}(name={self.name!r}, {len(self):,} points, factors="
            f"{dict(zip(self.factor_space.names, self.factor_space.sizes.tolist()))}, "
            f"observation_shape={tuple(self.observation_shape)}{split})"
        )

    # -- disentanglement_lib interface -----------------------------------------------------------------
    @property
    def num_factors(self) -> int:
        return self.factor_space.num_factors

    @property
    def factors_num_values(self) -> list[int]:
        return self.factor_space.sizes.tolist()

    @property
    def factor_names(self) -> tuple[str, ...]:
        return self.factor_space.names

    def sample_factors(self, num: int, random_state: RNGLike) -> np.ndarray:
        """(num, num_factors) int64 uniform factor codes (inside the split, if any)."""
        return self.sample_codes(num, random_state)

    def sample_observations_from_factors(self, factors: Any, random_state: RNGLike) -> np.ndarray:
        """Observations (num, H, W, C) float32 for given codes; nuisance drawn from ``random_state``."""
        return self.observations(factors, random_state)

    def sample(
        self, num: int, random_state: RNGLike = None, dtype=np.float32, fixed: Mapping[str | int, Any] | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """``(codes, observations)`` of ``num`` uniform draws; ``fixed`` pins factors to given values."""
        rng = as_rng(random_state)
        self.check_batch_size(check_count(num))
        codes = self.sample_codes(num, rng, fixed=fixed)
        return codes, self.observations(codes, rng, dtype=dtype)

    def sample_observations(self, num: int, random_state: RNGLike = None) -> np.ndarray:
        return self.sample(num, random_state)[1]

    # -- core API ---------------------------------------------------------------------------------------
    def observations(self, codes: Any, rng: RNGLike = None, dtype=np.float32) -> np.ndarray:
        """Observations (N, H, W, C) for codes (N, F): float32 in [0, 1], or uint8 with ``dtype=np.uint8``."""
        codes = self.factor_space.validate_codes(codes)
        dtype = check_dtype(dtype)
        self.check_batch_size(codes.shape[0])
        nuisance = self._draw_nuisance(codes.shape[0], as_rng(rng))
        return convert_images(self._render(codes, nuisance), dtype)

    def sample_codes(self, n: int, rng: RNGLike = None, fixed: Mapping[str | int, Any] | None = None) -> np.ndarray:
        """(n, F) int64 grid points: uniform (inside the split if one is active), or from the view's factor
        distribution (see :meth:`with_distribution`); ``fixed`` pins factors to given values."""
        n = check_count(n)
        check_image_bytes(n, (self.num_factors,), 8, "codes")
        rng = as_rng(rng)
        if self.distribution is not None:
            return self._sample_distribution(n, rng, fixed)
        points = self.grid_points
        if points is None:
            return self.factor_space.sample_codes(n, rng, fixed=fixed)
        if fixed:
            pinned = self.factor_space.resolve_fixed(fixed)
            codes = self.factor_space.index_to_codes(points)
            keep = np.all([codes[:, pos] == c for pos, c in pinned.items()], axis=0)
            points = points[keep]
            if points.size == 0:
                raise InvalidValueError(f"no grid point of the split {self.split_description} has {dict(fixed)}")
        return self.factor_space.index_to_codes(points[randint(rng, points.size, n)])

    def _sample_distribution(self, n: int, rng: rngmod.AnyRNG, fixed: Mapping[str | int, Any] | None) -> np.ndarray:
        if not fixed and self.grid_points is None:
            return self.distribution.sample_codes(n, rng)
        points = self.grid_points
        if points is None:
            points = np.arange(self.factor_space.size, dtype=np.int64)
            cdf = None
        else:
            cdf = self._restricted_cdf()
        if fixed:
            pinned = self.factor_space.resolve_fixed(fixed)
            codes = self.factor_space.index_to_codes(points)
            keep = np.all([codes[:, pos] == c for pos, c in pinned.items()], axis=0)
            points = points[keep]
            cdf = _cdf(
                self.distribution.log_prob(codes[keep]),
                f"{dict(fixed)} has zero probability under the distribution of {self.name}"
                + (f" inside the split {self.split_description}" if self._splits else ""),
            )
        u = rng.random_sample(n) if isinstance(rng, np.random.RandomState) else rng.random(n)
        return self.factor_space.index_to_codes(points[np.searchsorted(cdf, u, side="right")])

    def __len__(self) -> int:
        points = self.grid_points
        return self.factor_space.size if points is None else int(points.size)

    def __getitem__(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        """(image (H, W, C) float32, codes (F,) int64) of the i-th grid point (in flat-index order)."""
        if isinstance(i, slice) or not isinstance(i, (int, np.integer)):
            raise InvalidTypeError(f"index must be an integer, got {type(i).__name__}")
        size = len(self)
        if not -size <= i < size:
            raise OutOfRangeError(f"index must be in 0..{size - 1} (or negative from the end), got {i}")
        flat = int(i) % size
        if self.grid_points is not None:
            flat = int(self.grid_points[flat])
        codes = self.factor_space.index_to_codes(np.array([flat]))
        image = self.observations(codes, np.random.default_rng(flat))[0]
        if self.transform is not None:
            image = self.transform(image)
        return image, codes[0]

    def traverse(
        self, code: Any, factor: str | int, rng: RNGLike = None, dtype=np.float32
    ) -> tuple[np.ndarray, np.ndarray]:
        """(codes, observations) of every value of ``factor`` with the others fixed at ``code``.

        Nuisance is drawn once and shared along the traversal, so only the factor changes.
        """
        codes = self.factor_space.traversal(code, factor)
        if self.grid_mask is not None:
            codes = codes[self.grid_mask[self.factor_space.codes_to_index(codes)]]
        nuisance = _repeat_nuisance(self._draw_nuisance(1, as_rng(rng)), codes.shape[0])
        return codes, convert_images(self._render(codes, nuisance), check_dtype(dtype))

    # -- splits -----------------------------------------------------------------------------------------
    def split(self, expr: str | GridSubset) -> GroundTruthData:
        """A view restricted to the grid points where ``expr`` holds (e.g. ``'shape == "heart" and posX > 0.5'``).

        ``expr`` is a split expression (see :mod:`gtdata.core.split`) or a :class:`GridSubset` — any object
        with ``mask(factor_space)`` returning a boolean mask over the grid and a ``description`` (the named
        out-of-distribution splits are such objects). Sampling, pairs and traversals of the view stay inside
        it. Splits nest (their conditions are and-ed).
        """
        if not isinstance(expr, str) and not (
            callable(getattr(expr, "mask", None)) and isinstance(getattr(expr, "description", None), str)
        ):
            raise InvalidTypeError(
                f"split needs an expression string or a grid subset (an object with mask(space) and "
                f"description), got {type(expr).__name__}"
            )
        view = copy.copy(self)
        view._splits = self._splits + ((expr, False),)
        view._drop_split_cache()
        if view.grid_points.size == 0:
            raise InvalidValueError(
                f"split {_describe(expr)!r} selects no grid point of {self.name} (factors: {self._factor_ranges()})"
            )
        return view

    def complement(self) -> GroundTruthData:
        """The grid points the most recent split excluded (within any earlier splits)."""
        if not self._splits:
            raise InvalidValueError(f"{self.name} is not a split; call .split(expr) first")
        view = copy.copy(self)
        expr, negated = self._splits[-1]
        view._splits = self._splits[:-1] + ((expr, not negated),)
        view._drop_split_cache()
        if view.grid_points.size == 0:
            raise InvalidValueError(f"the complement of split {_describe(expr)!r} is empty")
        return view

    @property
    def grid_mask(self) -> np.ndarray | None:
        """Boolean (grid size,) mask of the active split, or None when the whole grid is in use."""
        if not self._splits and self._base_mask() is None:
            return None
        cached = self.__dict__.get("_grid_mask_cache")
        if cached is None:
            cached = self._base_mask()
            for expr, negated in self._splits:
                mask = (
                    split_mask(expr, self.factor_space)
                    if isinstance(expr, str)
                    else _subset_mask(expr, self.factor_space)
                )
                mask = ~mask if negated else mask
                cached = mask if cached is None else cached & mask
            self.__dict__["_grid_mask_cache"] = cached
        return cached

    @property
    def grid_points(self) -> np.ndarray | None:
        """Sorted flat indices of the grid points in use, or None when the whole grid is in use."""
        mask = self.grid_mask
        if mask is None:
            return None
        cached = self.__dict__.get("_grid_points_cache")
        if cached is None:
            cached = np.flatnonzero(mask).astype(np.int64)
            self.__dict__["_grid_points_cache"] = cached
        return cached

    def _base_mask(self) -> np.ndarray | None:
        """Grid points that exist at all (data sets with an incomplete grid override this)."""
        return None

    def _drop_split_cache(self) -> None:
        self.__dict__.pop("_grid_mask_cache", None)
        self.__dict__.pop("_grid_points_cache", None)
        self.__dict__.pop("_restricted_cdf_cache", None)

    def _factor_ranges(self) -> str:
        return ", ".join(f"{f.name}: {f.values[0]!r}..{f.values[-1]!r}" for f in self.factor_space)

    def _in_split(self, codes: np.ndarray) -> np.ndarray:
        mask = self.grid_mask
        if mask is None:
            return np.ones(codes.shape[0], dtype=bool)
        return mask[codes @ self.factor_space.strides]

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        state.pop("_grid_mask_cache", None)
        state.pop("_grid_points_cache", None)
        state.pop("_restricted_cdf_cache", None)
        return state

    # -- the public hooks samplers use ------------------------------------------------------------------
    def draw_nuisance(self, n: int, rng: RNGLike) -> dict[str, np.ndarray] | None:
        """Per-draw variation that is not a factor for ``n`` observations (None when the set has none)."""
        return self._draw_nuisance(n, as_rng(rng))

    def render(
        self, codes: np.ndarray, nuisance: dict[str, np.ndarray] | None = None, dtype: Any = np.float32
    ) -> np.ndarray:
        """Observations (N, H, W, C) of *valid* codes (N, F) int64 with the given nuisance, as ``dtype``.

        The fast path for samplers, which draw codes on the grid themselves; use :meth:`observations` for
        codes from outside (it validates them and draws the nuisance).
        """
        return convert_images(self._render(codes, nuisance), check_dtype(dtype))

    def contains(self, codes: np.ndarray) -> np.ndarray:
        """Boolean (N,): which rows of valid codes lie inside the view's split (all, without a split)."""
        return self._in_split(codes)

    def check_batch_size(self, n: int) -> None:
        """Refuse, before any work, a batch of ``n`` observations larger than this machine's memory."""
        check_image_bytes(n, self.observation_shape)

    @property
    def stored_images(self) -> np.ndarray | None:
        """The uint8 array (rows, H, W, C) whose rows *are* this set's observations, or None (the default).

        A set whose :meth:`render` only looks rows up in one stored array (a prepared store,
        :class:`gtdata.PreparedData`) returns that array, and then also provides ``stored_space`` (the factor
        space of the rows, nuisance factors included) and ``stored_index(codes, nuisance)`` (the row numbers,
        so that ``stored_images[stored_index(codes, nuisance)]`` equals ``render(codes, nuisance,
        dtype=np.uint8)``). Consumers that can copy rows instead of rendering (the GPU data path, the HDF5
        export) test this capability. Views (splits, factor distributions) keep it; a set that changes the
        pixels (a dSprites variant, a subclass with its own ``_render``) returns None.

        Returns
        -------
        numpy.ndarray or None
            The stored uint8 images, or None when observations are computed.

        Examples
        --------
        >>> from gtdata.core.memory import ToyData
        >>> ToyData().stored_images is None
        True
        """
        return None

    # -- factor distributions ----------------------------------------------------------------------------
    distribution: FactorDistribution | None = None

    def with_distribution(self, distribution: FactorDistribution | None) -> GroundTruthData:
        """A view whose codes are drawn from ``distribution`` (e.g. a :class:`gtdata.causal.SCM`).

        Every sampler of the view draws its codes from it: uniform draws (``sample``, ``sample_codes``,
        ``stream``), the first codes of pairs and triplets, the disentanglement_lib ``sample_factors``. With a
        split, codes are drawn from the distribution conditioned on the split (exactly, from its probabilities
        on the split's grid points). ``None`` restores the uniform distribution. The view pickles like any set.
        """
        if distribution is not None:
            for method in ("sample_codes", "log_prob"):
                if not callable(getattr(distribution, method, None)):
                    raise InvalidTypeError(
                        f"distribution must have sample_codes(n, rng) and log_prob(codes) "
                        f"(e.g. a gtdata.causal.SCM), got {type(distribution).__name__}"
                    )
            space = getattr(distribution, "factor_space", None)
            if space is not None and space != self.factor_space:
                raise InvalidValueError(
                    f"the distribution is over factors {list(space.names)} with sizes "
                    f"{space.sizes.tolist()}, but {self.name} has {list(self.factor_space.names)} "
                    f"with sizes {self.factor_space.sizes.tolist()}"
                )
        view = copy.copy(self)
        view.distribution = distribution
        view._drop_split_cache()
        if distribution is not None and view.grid_points is not None:
            view._restricted_cdf()  # refuse a split with zero probability now, not at the first draw
        return view

    def _restricted_cdf(self) -> np.ndarray:
        """Cumulative probabilities of the distribution over the split's grid points (cached per view)."""
        cached = self.__dict__.get("_restricted_cdf_cache")
        if cached is None:
            cached = _cdf(
                self.distribution.log_prob(self.factor_space.index_to_codes(self.grid_points)),
                f"the split {self.split_description} of {self.name} has zero probability under the "
                f"distribution; choose a split that the distribution can reach",
            )
            self.__dict__["_restricted_cdf_cache"] = cached
        return cached

    # -- samplers (the logic lives in gtdata.core.sampler and gtdata.core.pairs, beside this module: the
    # samplers need only this protocol, so the core holds them; these methods keep 0.1's calls and results) --
    @renamed_keywords(seed="rng")
    def stream(self, n: int, rng: RNGLike = 0, start: int = 0, dtype=np.float32) -> tuple[np.ndarray, np.ndarray]:
        """Rows ``start … start+n-1`` of the seeded uniform stream: ``(codes, observations)``.

        Row i depends only on ``(seed, i)``, so batches can be cut anywhere and spread over workers. ``rng`` is
        the stream's seed (an int; a Generator or RandomState is consumed for one stream key); 0.1 called it
        ``seed``, which still works with a FutureWarning.
        """
        from .sampler import UniformSampler

        batch = UniformSampler().sample(self, n, rng, start=start, dtype=dtype)
        return batch.codes, batch.x

    def sample_pairs(
        self,
        n: int,
        k: Any = 1,
        rng: RNGLike = None,
        mode: str = "exact",
        start: int = 0,
        dtype=np.float32,
        share_nuisance: bool | None = None,
    ) -> PairBatch:
        """``n`` intervention pairs that differ in ``k`` factors (Locatello et al. 2020).

        ``k``: an int in 1 … d−1, an inclusive ``(low, high)`` tuple or ``range``, or ``"random"`` (uniform in
        1 … d−1 per pair). ``mode="exact"``: every changed factor takes a different value, so each pair differs
        in exactly k factors, and nuisance is shared by both observations. ``mode="reference"``:
        disentanglement_lib's generator (with probability ½ one factor is resampled, else k; new values may
        equal old ones; nuisance redrawn). Pair i depends only on ``(seed, start + i)``; a Generator or
        RandomState ``rng`` is consumed for one stream key. See :class:`gtdata.sampling.PairSampler`.
        """
        from .pairs import PairSampler

        return PairSampler(k, mode, share_nuisance).sample(self, n, rng, start=start, dtype=dtype)

    def sample_shared_pairs(self, n: int, factor: str | int, rng: RNGLike = None, dtype=np.float32) -> PairBatch:
        """Pairs of independent draws that share the value of ``factor`` (the BetaVAE-score protocol)."""
        from .pairs import shared_pairs

        return shared_pairs(self, n, factor, rng, dtype)

    def sample_triplets(
        self,
        n: int,
        k_positive: int = 1,
        k_negative: int | None = None,
        rng: RNGLike = None,
        start: int = 0,
        dtype=np.float32,
    ) -> TripletBatch:
        """Anchors with a positive that differs in ``k_positive`` factors and a negative that differs in
        ``k_negative`` (default: every factor that can change). Counter-based like :meth:`sample_pairs`."""
        from .pairs import TripletSampler

        return TripletSampler(k_positive, k_negative).sample(self, n, rng, start=start, dtype=dtype)

    def check_k(self, k: Any, mode: str = "exact") -> tuple[int, int]:
        """Validate a pair-count spec (see :meth:`sample_pairs`); returns the inclusive (low, high) range."""
        from .pairs import check_k

        return check_k(self, k, mode)


def _cdf(logp: np.ndarray, zero_mass: str) -> np.ndarray:
    """The cumulative distribution of points with log-probabilities ``logp``, or a ValueError ``zero_mass``."""
    with np.errstate(under="ignore"):
        p = np.exp(logp - logp.max()) if logp.size and np.isfinite(logp.max()) else np.zeros(logp.size)
    if not p.sum() > 0:
        raise InvalidValueError(zero_mass)
    cdf = np.cumsum(p) / p.sum()
    cdf[-1] = 1.0
    return cdf


class FactorDistribution(Protocol):
    """What :meth:`GroundTruthData.with_distribution` accepts: a distribution over a factor space's grid."""

    factor_space: FactorSpace

    def sample_codes(self, n: int, rng: RNGLike = None) -> np.ndarray:
        """(n, F) int64 codes."""

    def log_prob(self, codes: np.ndarray) -> np.ndarray:
        """(N,) natural-log probabilities of grid codes (−inf outside the support)."""


# Observations of one call may fill at most this share of the machine's memory: a larger request is a
# mistake (n = 10**12) that would otherwise allocate until the machine swaps or the process is killed.
MEMORY_SHARE = 0.75


def physical_memory() -> int:
    """This machine's physical memory in bytes (a generous 1 TiB where the platform does not say)."""
    try:
        return int(os.sysconf("SC_PAGE_SIZE")) * int(os.sysconf("SC_PHYS_PAGES"))
    except (AttributeError, ValueError, OSError):
        return 1 << 40


def check_image_bytes(n: int, shape: tuple[int, ...], itemsize: int = 4, what: str = "observations") -> None:
    """Refuse ``n`` rows of ``shape`` whose bytes exceed ``MEMORY_SHARE`` of physical memory, before any work."""
    need = int(n) * int(np.prod(shape)) * itemsize
    limit = int(MEMORY_SHARE * physical_memory())
    if need > limit:
        raise InvalidValueError(
            f"n={n:,} {what} of shape {tuple(shape)} need {_bytes(need)}, more than "
            f"{MEMORY_SHARE:.0%} of this machine's memory ({_bytes(limit)}); draw in batches "
            f"(stream(n, rng, start=...) or a BatchStream) instead"
        )


def _bytes(n: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if n < 1024 or unit == "PiB":
            return f"{n:.1f} {unit}" if unit != "B" else f"{n} B"
        n /= 1024
    return f"{n} B"


def check_dtype(dtype: Any) -> np.dtype:
    """The image dtype as a numpy dtype: float32, float64 or uint8, or a ValueError."""
    dt = np.dtype(dtype)
    if dt not in (np.dtype(np.float32), np.dtype(np.uint8), np.dtype(np.float64)):
        raise InvalidValueError(f"dtype must be float32, float64 or uint8, got {dt}")
    return dt


def convert_images(images: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """Images as ``dtype``: uint8 bytes ↔ floats in [0, 1] (bytes / 255; floats rounded and clipped)."""
    if images.dtype == dtype:
        return images
    if images.dtype == np.uint8:
        out = np.empty(images.shape, dtype=dtype)
        np.multiply(images, dtype.type(1 / 255), out=out, dtype=dtype)
        return out
    if dtype == np.uint8:
        return np.clip(np.rint(images * 255.0), 0, 255).astype(np.uint8)
    return images.astype(dtype)


def _repeat_nuisance(nuisance: dict[str, np.ndarray] | None, n: int) -> dict[str, np.ndarray] | None:
    if nuisance is None:
        return None
    return {k: np.repeat(v[:1], n, axis=0) for k, v in nuisance.items()}
