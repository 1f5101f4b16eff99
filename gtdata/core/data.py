"""GroundTruthData: observations indexed by known generative factors.

A subclass says only how to turn a batch of codes (plus per-draw nuisance) into images; sampling, splits,
intervention pairs and the disentanglement_lib-compatible interface are shared here.
"""

from __future__ import annotations

import copy
from typing import Any, Mapping, NamedTuple

import numpy as np

from . import rng as rngmod
from .factors import FactorSpace, check_count
from .rng import RNGLike, as_rng, randint
from .split import split_mask


class PairBatch(NamedTuple):
    """Two observations per row that differ in the factors flagged by ``changed``.

    ``x1``, ``x2``: (n, H, W, C) observations; ``codes1``, ``codes2``: (n, d) int64; ``changed``: (n, d) bool.
    """

    x1: np.ndarray
    x2: np.ndarray
    codes1: np.ndarray
    codes2: np.ndarray
    changed: np.ndarray


class TripletBatch(NamedTuple):
    """Anchor, positive (few factors changed) and negative (more factors changed) observations and codes."""

    anchor: np.ndarray
    positive: np.ndarray
    negative: np.ndarray
    codes_anchor: np.ndarray
    codes_positive: np.ndarray
    codes_negative: np.ndarray


class GroundTruthData:
    """Base class of every gtdata set (benchmark, rendered, in-memory).

    Subclasses set ``factor_space`` (the latent factors), ``observation_shape`` (H, W, C) and implement
    ``_render(codes, nuisance)``; they may implement ``_draw_nuisance(n, rng)`` for per-draw variation that is
    not a factor. Observations are NHWC, float32 in [0, 1] by default, or the stored bytes with ``dtype=np.uint8``.
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
        return {"name": self.name, "factors": self.factor_space.to_dict(),
                "observation_shape": list(self.observation_shape), "splits": self.split_description}

    @property
    def split_description(self) -> list[str]:
        return [f"not ({e})" if neg else e for e, neg in self._splits]

    def __repr__(self) -> str:
        split = f", split={' and '.join(self.split_description)!r}" if self._splits else ""
        return (f"{type(self).__name__}(name={self.name!r}, {len(self):,} points, factors="
                f"{dict(zip(self.factor_space.names, self.factor_space.sizes.tolist()))}, "
                f"observation_shape={tuple(self.observation_shape)}{split})")

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

    def sample(self, num: int, random_state: RNGLike = None, dtype=np.float32,
               fixed: Mapping[str | int, Any] | None = None) -> tuple[np.ndarray, np.ndarray]:
        """``(codes, observations)`` of ``num`` uniform draws; ``fixed`` pins factors to given values."""
        rng = as_rng(random_state)
        codes = self.sample_codes(num, rng, fixed=fixed)
        return codes, self.observations(codes, rng, dtype=dtype)

    def sample_observations(self, num: int, random_state: RNGLike = None) -> np.ndarray:
        return self.sample(num, random_state)[1]

    # -- core API ---------------------------------------------------------------------------------------
    def observations(self, codes: Any, rng: RNGLike = None, dtype=np.float32) -> np.ndarray:
        """Observations (N, H, W, C) for codes (N, F): float32 in [0, 1], or uint8 with ``dtype=np.uint8``."""
        codes = self.factor_space.validate_codes(codes)
        dtype = _check_dtype(dtype)
        nuisance = self._draw_nuisance(codes.shape[0], as_rng(rng))
        return convert_images(self._render(codes, nuisance), dtype)

    def sample_codes(self, n: int, rng: RNGLike = None, fixed: Mapping[str | int, Any] | None = None) -> np.ndarray:
        """(n, F) int64 uniform grid points, inside the split if one is active."""
        n = check_count(n)
        rng = as_rng(rng)
        points = self.grid_points
        if points is None:
            return self.factor_space.sample_codes(n, rng, fixed=fixed)
        if fixed:
            pinned = self.factor_space.resolve_fixed(fixed)
            codes = self.factor_space.index_to_codes(points)
            keep = np.all([codes[:, pos] == c for pos, c in pinned.items()], axis=0)
            points = points[keep]
            if points.size == 0:
                raise ValueError(f"no grid point of the split {self.split_description} has {dict(fixed)}")
        return self.factor_space.index_to_codes(points[randint(rng, points.size, n)])

    def __len__(self) -> int:
        points = self.grid_points
        return self.factor_space.size if points is None else int(points.size)

    def __getitem__(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        """(image (H, W, C) float32, codes (F,) int64) of the i-th grid point (in flat-index order)."""
        if isinstance(i, slice) or not isinstance(i, (int, np.integer)):
            raise TypeError(f"index must be an integer, got {type(i).__name__}")
        size = len(self)
        if not -size <= i < size:
            raise IndexError(f"index must be in 0..{size - 1} (or negative from the end), got {i}")
        flat = int(i) % size
        if self.grid_points is not None:
            flat = int(self.grid_points[flat])
        codes = self.factor_space.index_to_codes(np.array([flat]))
        image = self.observations(codes, np.random.default_rng(flat))[0]
        if self.transform is not None:
            image = self.transform(image)
        return image, codes[0]

    def traverse(self, code: Any, factor: str | int, rng: RNGLike = None, dtype=np.float32
                 ) -> tuple[np.ndarray, np.ndarray]:
        """(codes, observations) of every value of ``factor`` with the others fixed at ``code``.

        Nuisance is drawn once and shared along the traversal, so only the factor changes.
        """
        codes = self.factor_space.traversal(code, factor)
        if self.grid_mask is not None:
            codes = codes[self.grid_mask[self.factor_space.codes_to_index(codes)]]
        nuisance = _repeat_nuisance(self._draw_nuisance(1, as_rng(rng)), codes.shape[0])
        return codes, convert_images(self._render(codes, nuisance), _check_dtype(dtype))

    # -- splits -----------------------------------------------------------------------------------------
    def split(self, expr: str) -> "GroundTruthData":
        """A view restricted to the grid points where ``expr`` holds (e.g. ``'shape == "heart" and posX > 0.5'``).

        Sampling, pairs and traversals of the view stay inside it. Splits nest (their conditions are and-ed).
        """
        view = copy.copy(self)
        view._splits = self._splits + ((expr, False),)
        view._drop_split_cache()
        if view.grid_points.size == 0:
            raise ValueError(f"split {expr!r} selects no grid point of {self.name} "
                             f"(factors: {self._factor_ranges()})")
        return view

    def complement(self) -> "GroundTruthData":
        """The grid points the most recent split excluded (within any earlier splits)."""
        if not self._splits:
            raise ValueError(f"{self.name} is not a split; call .split(expr) first")
        view = copy.copy(self)
        expr, negated = self._splits[-1]
        view._splits = self._splits[:-1] + ((expr, not negated),)
        view._drop_split_cache()
        if view.grid_points.size == 0:
            raise ValueError(f"the complement of split {expr!r} is empty")
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
                mask = split_mask(expr, self.factor_space)
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
        return state

    # -- streams, pairs, triplets ---------------------------------------------------------------------
    def stream(self, n: int, seed: RNGLike = 0, start: int = 0, dtype=np.float32) -> tuple[np.ndarray, np.ndarray]:
        """Rows ``start … start+n-1`` of the seeded uniform stream: ``(codes, observations)``.

        Row i depends only on ``(seed, i)``, so batches can be cut anywhere and spread over workers.
        """
        n = check_count(n)
        key = rngmod.stream_key(seed)
        dtype = _check_dtype(dtype)
        codes, nuisance = rngmod.counter_draw(
            key, start, n, lambda g, b: (self.sample_codes(b, g), self._draw_nuisance(b, g)), salt=1)
        return codes, convert_images(self._render(codes, nuisance), dtype)

    def sample_pairs(self, n: int, k: Any = 1, rng: RNGLike = None, mode: str = "exact", start: int = 0,
                     dtype=np.float32, share_nuisance: bool | None = None) -> PairBatch:
        """``n`` intervention pairs that differ in ``k`` factors (Locatello et al. 2020).

        ``k``: an int in 1 … d−1, an inclusive ``(low, high)`` tuple or ``range``, or ``"random"`` (uniform in
        1 … d−1 per pair). ``mode="exact"``: every changed factor takes a different value, so each pair differs
        in exactly k factors, and nuisance is shared by both observations. ``mode="reference"``:
        disentanglement_lib's generator (with probability ½ one factor is resampled, else k; new values may
        equal old ones; nuisance redrawn). Pair i depends only on ``(seed, start + i)``; a Generator or
        RandomState ``rng`` is consumed for one stream key.
        """
        n = check_count(n)
        if mode not in ("exact", "reference"):
            raise ValueError(f"mode must be 'exact' or 'reference', got {mode!r}")
        k_low, k_high = self.check_k(k, mode)
        share = (mode == "exact") if share_nuisance is None else bool(share_nuisance)
        key = rngmod.stream_key(rng)
        dtype = _check_dtype(dtype)

        def block(gen: np.random.Generator, size: int):
            codes1 = self.sample_codes(size, gen)
            ks = gen.integers(k_low, k_high + 1, size=size)
            if mode == "reference":
                ks = np.where(gen.random(size) < 0.5, 1, ks)
            codes2, changed = self._intervene(codes1, ks, gen, exact=(mode == "exact"))
            nu1 = self._draw_nuisance(size, gen)
            nu2 = nu1 if share else self._draw_nuisance(size, gen)
            return codes1, codes2, changed, nu1, nu2

        codes1, codes2, changed, nu1, nu2 = rngmod.counter_draw(key, start, n, block, salt=2)
        x1 = convert_images(self._render(codes1, nu1), dtype)
        x2 = convert_images(self._render(codes2, nu2), dtype)
        return PairBatch(x1, x2, codes1, codes2, changed)

    def sample_shared_pairs(self, n: int, factor: str | int, rng: RNGLike = None, dtype=np.float32) -> PairBatch:
        """Pairs of independent draws that share the value of ``factor`` (the BetaVAE-score protocol)."""
        n = check_count(n)
        pos = self.factor_space.index(factor)
        gen = as_rng(rng)
        codes1 = self.sample_codes(n, gen)
        codes2 = self.sample_codes(n, gen)
        codes2[:, pos] = codes1[:, pos]
        for _ in range(1000):
            bad = ~self._in_split(codes2)
            if not bad.any():
                break
            redraw = self.sample_codes(int(bad.sum()), gen)
            redraw[:, pos] = codes1[bad, pos]
            codes2[bad] = redraw
        else:
            raise ValueError(f"could not find pairs sharing {factor!r} inside split {self.split_description}")
        x1 = self.observations(codes1, gen, dtype=dtype)
        x2 = self.observations(codes2, gen, dtype=dtype)
        return PairBatch(x1, x2, codes1, codes2, codes1 != codes2)

    def sample_triplets(self, n: int, k_positive: int = 1, k_negative: int | None = None, rng: RNGLike = None,
                        start: int = 0, dtype=np.float32) -> TripletBatch:
        """Anchors with a positive that differs in ``k_positive`` factors and a negative that differs in
        ``k_negative`` (default: every factor that can change). Counter-based like :meth:`sample_pairs`."""
        n = check_count(n)
        changeable = int((self.factor_space.sizes > 1).sum())
        k_negative = changeable if k_negative is None else k_negative
        for argname, value in (("k_positive", k_positive), ("k_negative", k_negative)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not 1 <= value <= changeable:
                raise ValueError(f"{argname} must be an integer in 1..{changeable} (factors with more than one "
                                 f"value), got {value!r}")
        if k_negative <= k_positive:
            raise ValueError(f"k_negative must be larger than k_positive={k_positive}, got {k_negative}")
        key = rngmod.stream_key(rng)
        dtype = _check_dtype(dtype)

        def block(gen: np.random.Generator, size: int):
            anchor = self.sample_codes(size, gen)
            pos, _ = self._intervene(anchor, np.full(size, k_positive), gen, exact=True)
            neg, _ = self._intervene(anchor, np.full(size, k_negative), gen, exact=True)
            return anchor, pos, neg, self._draw_nuisance(size, gen)

        anchor, pos, neg, nu = rngmod.counter_draw(key, start, n, block, salt=3)
        images = [convert_images(self._render(codes, nu), dtype) for codes in (anchor, pos, neg)]
        return TripletBatch(*images, anchor, pos, neg)

    def check_k(self, k: Any, mode: str = "exact") -> tuple[int, int]:
        """Validate a pair-count spec (see :meth:`sample_pairs`); returns the inclusive (low, high) range."""
        d = self.num_factors
        if d < 2:
            raise ValueError(f"intervention pairs need at least 2 factors; {self.name} has {d}")
        if isinstance(k, str):
            if k != "random":
                raise ValueError(f"k must be an int in 1..{d - 1}, a (low, high) range or 'random', got {k!r}")
            low, high = 1, d - 1
        elif isinstance(k, range):
            if len(k) == 0 or k.step != 1:
                raise ValueError(f"k as a range must be non-empty with step 1, got {k!r}")
            low, high = k.start, k.stop - 1
        elif isinstance(k, (tuple, list)) and len(k) == 2:
            low, high = k
        elif isinstance(k, (int, np.integer)) and not isinstance(k, bool):
            low = high = int(k)
        else:
            raise ValueError(f"k must be an int in 1..{d - 1}, a (low, high) range or 'random', got {k!r}")
        if not (isinstance(low, (int, np.integer)) and isinstance(high, (int, np.integer))) or not 1 <= low <= high <= d - 1:
            raise ValueError(f"k must lie in 1..{d - 1} (d = {d} factors), got {k!r}")
        changeable = int((self.factor_space.sizes > 1).sum())
        if mode == "exact" and high > changeable:
            raise ValueError(f"k={k!r}: only {changeable} factors of {self.name} have more than one value")
        return int(low), int(high)

    def _intervene(self, codes: np.ndarray, ks: np.ndarray, gen: np.random.Generator, exact: bool,
                   ) -> tuple[np.ndarray, np.ndarray]:
        """Change ``ks[i]`` distinct factors of row i; exact: to a different value; else: uniform redraw.

        Rows whose result falls outside the split are redrawn (bounded); returns (codes2, changed).
        """
        sizes = self.factor_space.sizes
        codes2 = codes.copy()
        changed = np.zeros(codes.shape, dtype=bool)
        todo = np.arange(codes.shape[0])
        for _ in range(1000):
            m = todo.size
            priority = gen.random((m, sizes.size))
            if exact:
                priority[:, sizes <= 1] = 2.0
            rank = np.argsort(np.argsort(priority, axis=1), axis=1)
            chosen = rank < ks[todo, None]
            if exact:
                offset = 1 + (gen.random((m, sizes.size)) * (sizes - 1)).astype(np.int64)
                new = (codes[todo] + offset) % sizes
            else:
                new = (gen.random((m, sizes.size)) * sizes).astype(np.int64)
            codes2[todo] = np.where(chosen, new, codes[todo])
            changed[todo] = chosen
            ok = self._in_split(codes2[todo])
            todo = todo[~ok]
            if todo.size == 0:
                return codes2, changed
        raise ValueError(f"could not draw interventions that stay inside split {self.split_description}; "
                         f"the split is too small for this k")


def _check_dtype(dtype) -> np.dtype:
    dt = np.dtype(dtype)
    if dt not in (np.dtype(np.float32), np.dtype(np.uint8), np.dtype(np.float64)):
        raise ValueError(f"dtype must be float32, float64 or uint8, got {dt}")
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

