"""Intervention pairs and triplets (Locatello et al., ICML 2020): codes that differ in k chosen factors.

``mode="exact"``: every changed factor takes a *different* value, so a pair differs in exactly k factors, and
the nuisance is shared by both observations. ``mode="reference"``: disentanglement_lib's ``simple_dynamics``
generator — with probability ½ one factor is resampled, else k; new values are uniform and may equal the old
ones; the nuisance is redrawn. The first code of a pair comes from ``data.sample_codes`` (so from a view's
factor distribution, if any); the change is a uniform intervention that stays inside the view's split.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gtdata.core.errors import InvalidValueError

from .data import GroundTruthData, PairBatch, TripletBatch
from .factors import check_count
from .rng import SALTS, RNGLike, as_rng
from .sampler import Sampler

__all__ = ["PairSampler", "TripletSampler", "check_k", "intervene", "shared_pairs"]


def check_k(data: GroundTruthData, k: Any, mode: str = "exact") -> tuple[int, int]:
    """Validate a pair-count spec for ``data``; returns the inclusive ``(low, high)`` range.

    Parameters
    ----------
    data : GroundTruthData
        The data set the pairs come from.
    k : int, (low, high), range or "random"
        An int in 1 … d−1, an inclusive ``(low, high)`` tuple or ``range``, or ``"random"``.
    mode : {"exact", "reference"}
        In exact mode k may not exceed the number of factors with more than one value.

    Returns
    -------
    (int, int)
        The smallest and the largest number of factors that may change.

    Raises
    ------
    InvalidValueError
        ``data`` has fewer than 2 factors; ``k`` is not one of the forms above or leaves 1 … d−1; in exact
        mode, k exceeds the number of factors with more than one value.

    Examples
    --------
    >>> import gtdata
    >>> from gtdata.sampling import check_k
    >>> data = gtdata.load("toy")   # 4 factors
    >>> check_k(data, 2), check_k(data, (1, 2)), check_k(data, range(1, 3)), check_k(data, "random")
    ((2, 2), (1, 2), (1, 2), (1, 3))
    >>> try:
    ...     check_k(data, 4)
    ... except gtdata.InvalidValueError as exc:   # a GtdataError and a ValueError
    ...     print(exc)
    k must lie in 1..3 (d = 4 factors), got 4
    """
    d = data.num_factors
    if d < 2:
        raise InvalidValueError(f"intervention pairs need at least 2 factors; {data.name} has {d}")
    if isinstance(k, str):
        if k != "random":
            raise InvalidValueError(f"k must be an int in 1..{d - 1}, a (low, high) range or 'random', got {k!r}")
        low, high = 1, d - 1
    elif isinstance(k, range):
        if len(k) == 0 or k.step != 1:
            raise InvalidValueError(f"k as a range must be non-empty with step 1, got {k!r}")
        low, high = k.start, k.stop - 1
    elif isinstance(k, (tuple, list)) and len(k) == 2:
        low, high = k
    elif isinstance(k, (int, np.integer)) and not isinstance(k, bool):
        low = high = int(k)
    else:
        raise InvalidValueError(f"k must be an int in 1..{d - 1}, a (low, high) range or 'random', got {k!r}")
    if (
        not (isinstance(low, (int, np.integer)) and isinstance(high, (int, np.integer)))
        or not 1 <= low <= high <= d - 1
    ):
        raise InvalidValueError(f"k must lie in 1..{d - 1} (d = {d} factors), got {k!r}")
    changeable = int((data.factor_space.sizes > 1).sum())
    if mode == "exact" and high > changeable:
        raise InvalidValueError(f"k={k!r}: only {changeable} factors of {data.name} have more than one value")
    return int(low), int(high)


def check_mode(mode: Any) -> str:
    if mode not in ("exact", "reference"):
        raise InvalidValueError(f"mode must be 'exact' or 'reference', got {mode!r}")
    return mode


def intervene(
    data: GroundTruthData,
    codes: np.ndarray,
    ks: np.ndarray,
    gen: np.random.Generator,
    exact: bool,
) -> tuple[np.ndarray, np.ndarray]:
    """Change ``ks[i]`` distinct factors of row i; returns ``(codes2, changed)``.

    Parameters
    ----------
    data : GroundTruthData
        The data set (its factor sizes and split).
    codes : ndarray (n, F) int64
        The first codes.
    ks : ndarray (n,) int
        How many factors change in each row; they are chosen uniformly (a random ranking per row).
    gen : numpy.random.Generator
        The block's generator.
    exact : bool
        Each chosen factor takes a different value (True) or a uniform redraw that may equal the old one.
        Rows whose result falls outside the view's split are redrawn (bounded).

    Returns
    -------
    codes2 : ndarray (n, F) int64
        The changed codes.
    changed : ndarray (n, F) bool
        The factors chosen in each row (with ``exact=True``, exactly those whose code differs).

    Raises
    ------
    InvalidValueError
        After 1,000 redraws some rows still fall outside the view's split (the split is too small for k).

    Examples
    --------
    >>> import numpy as np
    >>> import gtdata
    >>> from gtdata.sampling import intervene
    >>> data = gtdata.load("toy")
    >>> codes = data.sample_codes(3, rng=0)
    >>> codes2, changed = intervene(data, codes, np.array([1, 2, 3]), np.random.default_rng(0), exact=True)
    >>> changed.sum(axis=1).tolist(), (codes2 != codes).sum(axis=1).tolist()
    ([1, 2, 3], [1, 2, 3])
    """
    sizes = data.factor_space.sizes
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
        ok = data.contains(codes2[todo])
        todo = todo[~ok]
        if todo.size == 0:
            return codes2, changed
    raise InvalidValueError(
        f"could not draw interventions that stay inside split {data.split_description}; "
        f"the split is too small for this k"
    )


class PairSampler(Sampler):
    """Intervention pairs: ``sample`` returns a :class:`PairBatch`; :meth:`GroundTruthData.sample_pairs`.

    Parameters
    ----------
    k : int, (low, high), range or "random"
        How many factors change per pair (``"random"``: uniform in 1 … d−1 per pair).
    mode : {"exact", "reference"}
        See the module docstring.
    share_nuisance : bool, optional
        Whether both observations share their nuisance (default: True for exact, False for reference).

    Examples
    --------
    >>> import gtdata
    >>> from gtdata.sampling import PairSampler
    >>> pairs = PairSampler(k=1).sample(gtdata.load("toy"), 8, rng=0)
    >>> pairs.changed.sum(axis=1).tolist()
    [1, 1, 1, 1, 1, 1, 1, 1]
    """

    name = "pairs"
    salt = SALTS["pairs"]
    images_per_row = 2

    def __init__(self, k: Any = 1, mode: str = "exact", share_nuisance: bool | None = None):
        self.k, self.mode = (tuple(k) if isinstance(k, list) else k), check_mode(mode)
        self.share_nuisance = share_nuisance

    def options(self) -> dict[str, Any]:
        return {
            "k": list(self.k) if isinstance(self.k, tuple) else self.k,
            "mode": self.mode,
            "share_nuisance": self.share_nuisance,
        }

    def check(self, data: GroundTruthData) -> None:
        check_k(data, self.k, self.mode)

    def draw_block(self, data: GroundTruthData, gen: np.random.Generator, size: int) -> tuple:
        k_low, k_high = check_k(data, self.k, self.mode)
        share = (self.mode == "exact") if self.share_nuisance is None else bool(self.share_nuisance)
        codes1 = data.sample_codes(size, gen)
        ks = gen.integers(k_low, k_high + 1, size=size)
        if self.mode == "reference":
            ks = np.where(gen.random(size) < 0.5, 1, ks)
        codes2, changed = intervene(data, codes1, ks, gen, exact=(self.mode == "exact"))
        nu1 = data.draw_nuisance(size, gen)
        nu2 = nu1 if share else data.draw_nuisance(size, gen)
        return codes1, codes2, changed, nu1, nu2

    def assemble(self, data: GroundTruthData, drawn: tuple, dtype: np.dtype) -> PairBatch:
        codes1, codes2, changed, nu1, nu2 = drawn
        return PairBatch(data.render(codes1, nu1, dtype), data.render(codes2, nu2, dtype), codes1, codes2, changed)


class TripletSampler(Sampler):
    """Anchors with a positive that differs in ``k_positive`` factors and a negative that differs in
    ``k_negative`` (default: every factor that can change); exact changes, shared nuisance.

    ``sample`` returns a :class:`TripletBatch`; :meth:`GroundTruthData.sample_triplets` is this sampler.

    Parameters
    ----------
    k_positive : int
        Factors in which the positive differs from the anchor, in 1 ... the number of factors with more than
        one value (checked against the data set when sampling, as is ``k_negative``).
    k_negative : int, optional
        Factors in which the negative differs from the anchor, larger than ``k_positive`` (default: every
        factor with more than one value).

    Examples
    --------
    >>> import gtdata
    >>> from gtdata.sampling import TripletSampler
    >>> t = TripletSampler(k_positive=1).sample(gtdata.load("toy"), 4, rng=0)
    >>> t.anchor.shape
    (4, 64, 64, 1)
    >>> (t.codes_positive != t.codes_anchor).sum(axis=1).tolist()
    [1, 1, 1, 1]
    >>> (t.codes_negative != t.codes_anchor).sum(axis=1).tolist()   # every factor differs
    [4, 4, 4, 4]
    """

    name = "triplets"
    salt = SALTS["triplets"]
    images_per_row = 3

    def __init__(self, k_positive: int = 1, k_negative: int | None = None):
        self.k_positive, self.k_negative = k_positive, k_negative

    def options(self) -> dict[str, Any]:
        return {"k_positive": self.k_positive, "k_negative": self.k_negative}

    def resolve(self, data: GroundTruthData) -> tuple[int, int]:
        changeable = int((data.factor_space.sizes > 1).sum())
        k_negative = changeable if self.k_negative is None else self.k_negative
        for argname, value in (("k_positive", self.k_positive), ("k_negative", k_negative)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not 1 <= value <= changeable:
                raise InvalidValueError(
                    f"{argname} must be an integer in 1..{changeable} (factors with more than one value), got {value!r}"
                )
        if k_negative <= self.k_positive:
            raise InvalidValueError(f"k_negative must be larger than k_positive={self.k_positive}, got {k_negative}")
        return int(self.k_positive), int(k_negative)

    def check(self, data: GroundTruthData) -> None:
        self.resolve(data)

    def draw_block(self, data: GroundTruthData, gen: np.random.Generator, size: int) -> tuple:
        k_positive, k_negative = self.resolve(data)
        anchor = data.sample_codes(size, gen)
        pos, _ = intervene(data, anchor, np.full(size, k_positive), gen, exact=True)
        neg, _ = intervene(data, anchor, np.full(size, k_negative), gen, exact=True)
        return anchor, pos, neg, data.draw_nuisance(size, gen)

    def assemble(self, data: GroundTruthData, drawn: tuple, dtype: np.dtype) -> TripletBatch:
        anchor, pos, neg, nu = drawn
        images = [data.render(codes, nu, dtype) for codes in (anchor, pos, neg)]
        return TripletBatch(*images, anchor, pos, neg)


def shared_pairs(
    data: GroundTruthData, n: int, factor: str | int, rng: RNGLike = None, dtype: Any = np.float32
) -> PairBatch:
    """Pairs of independent draws that share the value of ``factor`` (the BetaVAE-score protocol).

    Parameters
    ----------
    data : GroundTruthData
        The data set (both draws stay inside its split).
    n : int
        Number of pairs.
    factor : str or int
        The shared factor.
    rng : int, Generator or RandomState
        Not counter-based: consumed in disentanglement_lib's order (first codes, second codes, observations),
        as the metrics that use it expect.
    dtype : float32, float64 or uint8
        Image dtype.

    Returns
    -------
    PairBatch
        ``x1, x2`` (n, H, W, C), ``codes1, codes2`` (n, F) int64 with ``codes1[:, f] == codes2[:, f]`` for the
        shared factor f, and ``changed`` (n, F) bool, where the two codes differ.

    Raises
    ------
    InvalidValueError
        ``n`` is not a positive integer, ``factor`` is not a factor of ``data``, or no second draws inside the
        view's split share the factor's value (after 1,000 redraws).

    Examples
    --------
    >>> import gtdata
    >>> from gtdata.sampling import shared_pairs
    >>> pairs = shared_pairs(gtdata.load("toy"), 5, "factor2", rng=0)
    >>> pairs.x1.shape, bool((pairs.codes1[:, 2] == pairs.codes2[:, 2]).all())
    ((5, 64, 64, 1), True)
    """
    n = check_count(n)
    pos = data.factor_space.index(factor)
    gen = as_rng(rng)
    codes1 = data.sample_codes(n, gen)
    codes2 = data.sample_codes(n, gen)
    codes2[:, pos] = codes1[:, pos]
    for _ in range(1000):
        bad = ~data.contains(codes2)
        if not bad.any():
            break
        redraw = data.sample_codes(int(bad.sum()), gen)
        redraw[:, pos] = codes1[bad, pos]
        codes2[bad] = redraw
    else:
        raise InvalidValueError(f"could not find pairs sharing {factor!r} inside split {data.split_description}")
    x1 = data.observations(codes1, gen, dtype=dtype)
    x2 = data.observations(codes2, gen, dtype=dtype)
    return PairBatch(x1, x2, codes1, codes2, codes1 != codes2)
