"""Correlated factor pairs, as an SCM: Träuble et al. (ICML 2021) and Roth et al. (ICLR 2023).

Two published constructions of a joint table ``J`` over a pair of factors (every other factor stays uniform
and independent), selected by ``method``:

- ``"gaussian"`` (Roth et al.'s re-implementation, and the formula Träuble et al. state):
  ``J[c_a, c_b] ∝ exp(−(s_a − s_b)² / (2σ²))`` on min-max-scaled values ``s`` in [0, 1]; ``σ = inf`` is
  uniform; ``anti=True`` uses ``1 − s_b`` (Roth et al.'s ``inv_traeuble``). Several pairs multiply their weights.
- ``"traeuble"`` (Träuble et al.'s released code): an OpenCV line of value 255 and thickness
  ``⌈w · min(n_a, n_b)⌉`` pixels from (0, 0) to (n_b, n_a) over the n_a × n_b index table, blurred by
  ``cv2.GaussianBlur`` with a k × k kernel, k = ``⌊min(n_a, n_b)/4⌋`` made odd, sigma 0, and normalised;
  ``w ≥ 1`` is uniform. OpenCV draws it, as in the released code (the ``causal`` extra); OpenCV versions before
  5 may rasterise thick lines slightly differently. ``anti=True`` mirrors the table (our extension: the
  released code has positive correlation only).

Pairs that share a factor form one connected block whose joint (the product of its pairs' weights) is
factorised exactly into a chain of conditional tables, so :meth:`SCM.log_prob` stays exact.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from gtdata.core.factors import FactorSpace

from .mechanisms import MAX_TABLE, Categorical, Mechanism, Table, factor_numbers
from .scm import SCM, SCMError

__all__ = ["correlated", "gaussian_table", "traeuble_table"]

_METHODS = ("gaussian", "traeuble")


def gaussian_table(space: FactorSpace, a: str, b: str, sigma: float, anti: bool = False) -> np.ndarray:
    """Unnormalised weights (n_a, n_b) ``exp(−(s_a − s_b)²/(2σ²))`` on min-max-scaled values."""
    sa = factor_numbers(space[a], "unit")[:, None]
    sb = factor_numbers(space[b], "unit")[None, :]
    if anti:
        sb = 1.0 - sb
    if math.isinf(sigma):
        return np.ones((sa.size, sb.size))
    return np.exp(-((sa - sb) ** 2) / (2.0 * sigma**2))


def traeuble_table(n_a: int, n_b: int, width: float, anti: bool = False) -> np.ndarray:
    """Träuble et al.'s blurred-line joint table (n_a, n_b), normalised to sum 1 (see the module docstring).

    Parameters
    ----------
    n_a, n_b : int
        The two factors' numbers of values (rows and columns of the table).
    width : float
        The line width w as a fraction of min(n_a, n_b); w ≥ 1 is uniform.
    anti : bool
        Mirror the table (anti-correlation).

    Returns
    -------
    ndarray of float64, shape (n_a, n_b)
        The joint probability of each pair of codes; it sums to 1.

    Raises
    ------
    SCMError
        ``width < 1`` and OpenCV is not installed.

    Notes
    -----
    Drawn with OpenCV exactly as the released code does (``cv2.line`` then ``cv2.GaussianBlur``): its
    thick-line rasteriser is the definition, so gtdata uses it rather than an imitation. Needs the ``causal``
    extra (``pip install "gtdata[causal]"``, i.e. opencv-python-headless).

    Examples
    --------
    >>> import numpy as np
    >>> from gtdata.causal import traeuble_table
    >>> table = traeuble_table(8, 8, 0.25)
    >>> table.shape, round(float(table.sum()), 9)
    ((8, 8), 1.0)
    >>> bool(np.diag(table).min() > table[0, -1])   # the mass lies along the diagonal
    True
    >>> traeuble_table(2, 3, 1.0).round(3).tolist()   # w >= 1: uniform, no OpenCV needed
    [[0.167, 0.167, 0.167], [0.167, 0.167, 0.167]]
    """
    if width >= 1:
        return np.full((n_a, n_b), 1.0 / (n_a * n_b))
    try:
        import cv2
    except ImportError:
        raise SCMError(
            "method='traeuble' draws Träuble et al.'s table with OpenCV, as their released code does; "
            'install it with: pip install "gtdata[causal]" (opencv-python-headless), or use '
            "method='gaussian'"
        ) from None
    img = np.zeros((n_a, n_b), dtype=np.uint8)
    cv2.line(img, (0, 0), (n_b, n_a), 255, math.ceil(width * min(n_a, n_b)))
    k = min(n_a, n_b) // 4
    k += 1 if k % 2 == 0 else 0
    table = cv2.GaussianBlur(img, (k, k), 0).astype(np.float64)
    if anti:
        table = table[:, ::-1]
    return table / table.sum()


def _pairs(space: FactorSpace, pairs: Any) -> list[tuple[str, str]]:
    if isinstance(pairs, tuple) and len(pairs) == 2 and all(isinstance(p, (str, int)) for p in pairs):
        pairs = [pairs]
    if not isinstance(pairs, (list, tuple)) or not pairs:
        raise SCMError(f"pairs must be a pair of factor names or a list of pairs, got {pairs!r}")
    out = []
    for i, pair in enumerate(pairs):
        if not isinstance(pair, (list, tuple)) or len(pair) != 2:
            raise SCMError(f"pairs[{i}] must be two factor names, got {pair!r}")
        try:
            a, b = (space.names[space.index(p)] for p in pair)
        except ValueError as exc:
            raise SCMError(f"pairs[{i}]: {exc}") from None
        if a == b:
            raise SCMError(f"pairs[{i}]: a factor cannot be correlated with itself ({a!r})")
        out.append((a, b))
    return out


def _strengths(sigma: Any, n: int, method: str) -> list[float]:
    values = list(sigma) if isinstance(sigma, (list, tuple)) else [sigma] * n
    if len(values) != n:
        raise SCMError(f"sigma has {len(values)} entries for {n} pairs; give one number or one per pair")
    what = "sigma" if method == "gaussian" else "sigma (the line width w)"
    out = []
    for v in values:
        try:
            v = float(v)
        except (TypeError, ValueError):
            raise SCMError(f"{what} must be a positive number or inf, got {v!r}") from None
        if not v > 0 or math.isnan(v):
            raise SCMError(f"{what} must be > 0 (smaller is stronger; inf is uncorrelated), got {v!r}")
        out.append(v)
    return out


def correlated(
    factor_space: FactorSpace,
    pairs: Any,
    sigma: Any,
    *,
    method: str = "gaussian",
    anti: bool | Sequence[bool] = False,
    name: str | None = None,
) -> SCM:
    """An SCM in which the given factor pairs are correlated and every other factor is uniform.

    Parameters
    ----------
    factor_space : FactorSpace
        The data set's factors (``data.factor_space``).
    pairs : (str, str) or list of (str, str)
        The correlated pairs, e.g. ``("orientation", "posX")`` (Träuble et al.'s dSprites pair).
    sigma : float or list of float
        Strength per pair: the Gaussian's σ on [0, 1]-scaled values, or Träuble's line width w (smaller is
        stronger; ``inf`` or, for Träuble, ``w ≥ 1`` is uncorrelated).
    method : {"gaussian", "traeuble"}
        The construction (see the module docstring).
    anti : bool or list of bool
        Anti-correlation (high with low) per pair.
    name : str, optional
        A label; default describes the pairs.

    Returns
    -------
    SCM
        Exact log-probabilities; sampling by ancestral inverse CDF.

    Raises
    ------
    SCMError
        An unknown ``method``; ``factor_space`` not a FactorSpace; a pair that is not two factors, names an
        unknown factor (closest name suggested) or one factor twice; ``sigma`` or ``anti`` with a length other
        than the number of pairs, or a ``sigma`` that is not > 0; correlated factors that span more than
        50,000,000 combinations; ``method="traeuble"`` without OpenCV.

    Examples
    --------
    >>> import gtdata
    >>> data = gtdata.load("dsprites_like")
    >>> scm = correlated(data.factor_space, ("orientation", "posX"), 0.2)
    >>> scm.edges
    [('orientation', 'posX')]
    >>> view = data.with_distribution(scm)
    """
    if method not in _METHODS:
        raise SCMError(f"method must be one of {list(_METHODS)}, got {method!r}")
    if not isinstance(factor_space, FactorSpace):
        raise SCMError(f"factor_space must be a FactorSpace (data.factor_space), got {type(factor_space).__name__}")
    pair_list = _pairs(factor_space, pairs)
    strengths = _strengths(sigma, len(pair_list), method)
    antis = list(anti) if isinstance(anti, (list, tuple)) else [bool(anti)] * len(pair_list)
    if len(antis) != len(pair_list):
        raise SCMError(f"anti has {len(antis)} entries for {len(pair_list)} pairs")
    # connected blocks of factors linked by pairs (union-find over names)
    parent = {n: n for n in factor_space.names}

    def root(n: str) -> str:
        while parent[n] != n:
            n = parent[n]
        return n

    for a, b in pair_list:
        parent[root(a)] = root(b)
    blocks: dict[str, list[str]] = {}
    for n in factor_space.names:
        if any(n in p for p in pair_list):
            blocks.setdefault(root(n), []).append(n)
    mechanisms: dict[str, Mechanism] = {}
    for members in blocks.values():
        sizes = [factor_space[m].size for m in members]
        if int(np.prod(sizes, dtype=np.int64)) > MAX_TABLE:
            raise SCMError(
                f"the correlated factors {members} span {int(np.prod(sizes)):,} combinations "
                f"(more than {MAX_TABLE:,}); correlate fewer factors together"
            )
        joint = np.ones(sizes)
        for (a, b), s, an in zip(pair_list, strengths, antis):
            if a not in members:
                continue
            na, nb = factor_space[a].size, factor_space[b].size
            w = gaussian_table(factor_space, a, b, s, an) if method == "gaussian" else traeuble_table(na, nb, s, an)
            shape = [1] * len(members)
            ia, ib = members.index(a), members.index(b)
            if ia < ib:
                shape[ia], shape[ib] = na, nb
                joint = joint * w.reshape(shape)
            else:
                shape[ib], shape[ia] = nb, na
                joint = joint * w.T.reshape(shape)
        total = joint.sum()
        if not total > 0:
            raise SCMError(f"the correlated factors {members} have zero total weight; increase sigma")
        joint = joint / total
        # chain rule in factor order: P(m1) P(m2 | m1) P(m3 | m1, m2) ...
        first = joint.sum(axis=tuple(range(1, len(members))))
        mechanisms[members[0]] = Categorical(first)
        for k in range(1, len(members)):
            marg = joint.sum(axis=tuple(range(k + 1, len(members)))) if k + 1 < len(members) else joint
            cond = marg / np.maximum(marg.sum(axis=-1, keepdims=True), 1e-300)
            # rows of parent combinations with zero probability never occur; give them a uniform row
            dead = marg.sum(axis=-1, keepdims=True) <= 0
            cond = np.where(dead, 1.0 / sizes[k], cond)
            mechanisms[members[k]] = Table(members[:k], cond)
    label = name or "correlated({}, {})".format(
        method, ", ".join(f"{a}~{b}{' anti' if an else ''} {s:g}" for (a, b), s, an in zip(pair_list, strengths, antis))
    )
    return SCM(factor_space, mechanisms, name=label)
