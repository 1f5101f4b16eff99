"""Mechanisms of a factor SCM: how one factor's code depends on its parents' codes.

On a data set's grid every mechanism is exactly a conditional probability table (CPT): one row per
combination of parent codes (mixed radix, first parent slowest), one column per code of the child. The
additive-noise mechanisms get theirs exactly: the child's value ``f(parents) + noise`` is snapped to the nearest
grid value, so ``P(child = c) = F(b_c − f) − F(a_c − f)`` with ``[a_c, b_c]`` the values that snap to ``c`` (the
outermost cells reach to ±∞) and ``F`` the noise's CDF.

Values: numeric factors enter with their actual values (``space="value"``) or min-max scaled to [0, 1]
(``space="unit"``, as in Roth et al., ICLR 2023); categorical factors enter with their code.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import numpy as np
from scipy.special import ndtr, ndtri

from gtdata.core.errors import GtdataError
from gtdata.core.factors import Factor, FactorSpace

__all__ = [
    "FORMS",
    "MECHANISMS",
    "AdditiveNoise",
    "Categorical",
    "Fixed",
    "Mechanism",
    "Table",
    "TruncatedNormal",
    "Uniform",
    "mechanism_from_dict",
]

# Named nonlinear forms g of an additive-noise mechanism f = bias + Σ_p w_p · g(v_p).
FORMS: dict[str, Any] = {
    "linear": lambda v: v,
    "tanh": np.tanh,
    "sin": np.sin,
    "square": np.square,
    "sigmoid": lambda v: 1.0 / (1.0 + np.exp(-v)),
}
_SPACES = ("value", "unit")
_NOISES = ("gaussian", "uniform")
MAX_TABLE = 50_000_000  # entries of one compiled CPT (400 MB as float64)


class SCMError(GtdataError, ValueError):
    """An SCM, mechanism or intervention that cannot be built (the message names the node and the fix)."""


class MechanismError(SCMError):
    """A mechanism that cannot be compiled on its factor space (the message names the node)."""


def factor_numbers(factor: Factor, space: str = "value") -> np.ndarray:
    """The numbers a mechanism computes with for each code of ``factor`` (see the module docstring)."""
    nums = np.arange(factor.size, dtype=np.float64) if factor.is_categorical else factor.values.astype(np.float64)
    if space == "unit":
        lo, hi = nums.min(), nums.max()
        nums = (nums - lo) / (hi - lo) if hi > lo else np.zeros_like(nums)
    return nums


def to_space(factor: Factor, values: np.ndarray, space: str) -> np.ndarray:
    """Actual values of ``factor`` (any in its range, for a continuous factor) as a mechanism's numbers."""
    nums = np.asarray(values, dtype=np.float64)
    if space == "unit":
        grid = factor_numbers(factor, "value")
        lo, hi = grid.min(), grid.max()
        nums = (nums - lo) / (hi - lo) if hi > lo else np.zeros_like(nums)
    return nums


def from_space(factor: Factor, numbers: np.ndarray, space: str) -> np.ndarray:
    """The inverse of :func:`to_space` for a numeric factor."""
    if space == "unit":
        lo, hi = float(factor.values.min()), float(factor.values.max())
        return lo + numbers * (hi - lo)
    return numbers


def snap_cells(numbers: np.ndarray, low: float = -np.inf, high: float = np.inf) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper bounds of the values that snap to each grid number (nearest value wins)."""
    order = np.argsort(numbers, kind="stable")
    sorted_nums = numbers[order]
    mids = (sorted_nums[1:] + sorted_nums[:-1]) / 2
    lower_sorted = np.concatenate([[low], mids])
    upper_sorted = np.concatenate([mids, [high]])
    lower, upper = np.empty_like(numbers), np.empty_like(numbers)
    lower[order], upper[order] = lower_sorted, upper_sorted
    return lower, upper


class Mechanism:
    """Base class: ``parents`` (factor names) and :meth:`table`, the exact CPT on a factor space.

    A subclass sets ``kind`` (its name in SCM files), ``parents`` and implements :meth:`table` and
    :meth:`to_dict` (which ``repr``, ``==`` and :meth:`SCM.to_dict` use). SCM files name the built-in kinds:
    :class:`Uniform`, :class:`Categorical`, :class:`Fixed`, :class:`TruncatedNormal`, :class:`Table` and
    :class:`AdditiveNoise`.

    Examples
    --------
    A mechanism that copies its parent's code (both factors have the same number of values):

    >>> import numpy as np
    >>> from gtdata import Factor, FactorSpace
    >>> from gtdata.causal import SCM, Mechanism
    >>> class Copy(Mechanism):
    ...     kind = "copy"
    ...     def __init__(self, parent):
    ...         self.parents = (parent,)
    ...     def table(self, space, child):
    ...         return np.eye(space[child].size)  # row: the parent's code; column: the child's code
    ...     def to_dict(self):
    ...         return {"mechanism": self.kind, "parent": self.parents[0]}
    >>> space = FactorSpace([Factor("cause", [0, 1, 2]), Factor("effect", [0.0, 0.5, 1.0])])
    >>> scm = SCM(space, {"effect": Copy("cause")})
    >>> codes = scm.sample_codes(5, rng=0)
    >>> bool((codes[:, 0] == codes[:, 1]).all())
    True
    >>> Copy("cause")
    Copy(parent='cause')
    """

    kind: ClassVar[str] = "mechanism"
    parents: tuple[str, ...] = ()

    def table(self, space: FactorSpace, child: str) -> np.ndarray:
        """Probabilities, shape (prod of parent sizes, size of ``child``); rows sum to 1."""
        raise NotImplementedError

    def to_dict(self) -> dict[str, Any]:
        raise NotImplementedError

    def __repr__(self) -> str:
        inner = ", ".join(f"{k}={v!r}" for k, v in self.to_dict().items() if k != "mechanism")
        return f"{type(self).__name__}({inner})"

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.to_dict() == self.to_dict()

    __hash__ = None  # type: ignore[assignment]


class Uniform(Mechanism):
    """A root drawn uniformly over its factor's codes.

    Every factor of an :class:`SCM` without a declared mechanism has this one.

    Examples
    --------
    >>> from gtdata import Factor, FactorSpace
    >>> space = FactorSpace([Factor("shape", ["square", "ellipse", "heart"]), Factor("scale", [0.5, 0.75, 1.0])])
    >>> from gtdata.causal import Uniform
    >>> Uniform().table(space, "scale").round(3).tolist()
    [[0.333, 0.333, 0.333]]
    >>> Uniform().to_dict()
    {'mechanism': 'uniform'}
    """

    kind = "uniform"

    def table(self, space: FactorSpace, child: str) -> np.ndarray:
        n = space[child].size
        return np.full((1, n), 1.0 / n)

    def continuous(self, space: FactorSpace, child: str, values: Mapping[str, np.ndarray], u: np.ndarray) -> np.ndarray:
        """A continuous child's actual value for noise ``u``: uniform in [low, high]."""
        f = space[child]
        return f.low + u * (f.high - f.low)

    def to_dict(self) -> dict[str, Any]:
        return {"mechanism": self.kind}


class Categorical(Mechanism):
    """A root with given (non-negative, not all zero) weights per code; normalised.

    Parameters
    ----------
    weights : sequence of float, one per value of the factor
        Relative probabilities of the factor's codes, in the order of its values; they need not sum to 1.
        Their number and sign are checked when an :class:`SCM` compiles the mechanism on its factor space.

    Examples
    --------
    >>> from gtdata import Factor, FactorSpace
    >>> space = FactorSpace([Factor("shape", ["square", "ellipse", "heart"]), Factor("scale", [0.5, 0.75, 1.0])])
    >>> from gtdata.causal import Categorical
    >>> Categorical([1, 2, 1]).table(space, "shape").tolist()
    [[0.25, 0.5, 0.25]]
    """

    kind = "categorical"

    def __init__(self, weights: Sequence[float]):
        self.weights = [float(w) for w in np.asarray(weights, dtype=np.float64).ravel()]

    def table(self, space: FactorSpace, child: str) -> np.ndarray:
        w = np.asarray(self.weights, dtype=np.float64)
        n = space[child].size
        if w.size != n:
            raise MechanismError(f"{child}: categorical weights need {n} entries (one per value), got {w.size}")
        return normalise_rows(w[None, :], child)

    def to_dict(self) -> dict[str, Any]:
        return {"mechanism": self.kind, "weights": self.weights}


class Fixed(Mechanism):
    """A point mass at one code: the result of a hard intervention ``do(factor = value)``.

    Parameters
    ----------
    code : int
        The code (index into the factor's values, 0 ... size - 1) the factor always takes; checked when an
        :class:`SCM` compiles the mechanism. :meth:`SCM.do` builds it from an actual value.

    Examples
    --------
    >>> from gtdata import Factor, FactorSpace
    >>> space = FactorSpace([Factor("shape", ["square", "ellipse", "heart"]), Factor("scale", [0.5, 0.75, 1.0])])
    >>> from gtdata.causal import SCM, Fixed
    >>> Fixed(2).table(space, "scale").tolist()
    [[0.0, 0.0, 1.0]]
    >>> SCM(space, {"scale": Fixed(2)}).sample_codes(3, rng=0)[:, 1].tolist()
    [2, 2, 2]
    """

    kind = "fixed"

    def __init__(self, code: int):
        self.code = int(code)

    def table(self, space: FactorSpace, child: str) -> np.ndarray:
        n = space[child].size
        if not 0 <= self.code < n:
            raise MechanismError(f"{child}: fixed code must be in 0..{n - 1}, got {self.code}")
        out = np.zeros((1, n))
        out[0, self.code] = 1.0
        return out

    def to_dict(self) -> dict[str, Any]:
        return {"mechanism": self.kind, "code": self.code}


class TruncatedNormal(Mechanism):
    """A root: a normal truncated to the factor's range, discretised on its grid (or continuous on rendered sets).

    Parameters
    ----------
    mean, std : float
        The normal's mean and standard deviation (> 0), in ``space`` (for ``"value"``, the factor's unit).
    space : {"value", "unit"}
        Actual values, or the factor's values min-max scaled to [0, 1].

    Raises
    ------
    SCMError
        ``std`` is not a positive finite number, or ``space`` is not ``"value"`` or ``"unit"`` (raised as its
        subclass ``MechanismError``).

    Examples
    --------
    A preference for large objects: a normal around 1.0 with standard deviation 0.25, truncated to the
    range [0.5, 1.0] of ``scale`` and discretised on its three values:

    >>> from gtdata import Factor, FactorSpace
    >>> space = FactorSpace([Factor("shape", ["square", "ellipse", "heart"]), Factor("scale", [0.5, 0.75, 1.0])])
    >>> from gtdata.causal import TruncatedNormal
    >>> TruncatedNormal(1.0, 0.25).table(space, "scale").round(3).tolist()
    [[0.092, 0.507, 0.401]]
    """

    kind = "truncated_normal"

    def __init__(self, mean: float, std: float, space: str = "value"):
        self.mean, self.std, self.space = float(mean), float(std), _check_choice(space, _SPACES, "space")
        if not (np.isfinite(self.std) and self.std > 0):
            raise MechanismError(f"truncated_normal: std must be a positive number, got {std!r}")

    def table(self, space: FactorSpace, child: str) -> np.ndarray:
        nums = factor_numbers(space[child], self.space)
        lower, upper = snap_cells(nums, nums.min(), nums.max())
        p = ndtr((upper - self.mean) / self.std) - ndtr((lower - self.mean) / self.std)
        if space[child].size == 1:
            p = np.ones(1)
        return normalise_rows(p[None, :], child)

    def continuous(self, space: FactorSpace, child: str, values: Mapping[str, np.ndarray], u: np.ndarray) -> np.ndarray:
        """A continuous child's actual value: the truncated normal's inverse CDF at ``u``."""
        f = space[child]
        lo, hi = to_space(f, np.array([f.low, f.high]), self.space)
        a, b = ndtr((lo - self.mean) / self.std), ndtr((hi - self.mean) / self.std)
        x = self.mean + self.std * ndtri(a + u * (b - a))
        return from_space(f, np.clip(x, lo, hi), self.space)

    def to_dict(self) -> dict[str, Any]:
        return {"mechanism": self.kind, "mean": self.mean, "std": self.std, "space": self.space}


class Table(Mechanism):
    """A conditional probability table; rows are normalised.

    Parameters
    ----------
    parents : list of str
        The parent factors, in the table's axis order (first parent slowest).
    probs : array of shape ``(*parent sizes, child size)``
        Non-negative weights of each child code given each combination of parent codes.

    Examples
    --------
    ``scale`` given ``shape``: squares are small, ellipses never small, hearts of any size:

    >>> from gtdata import Factor, FactorSpace
    >>> space = FactorSpace([Factor("shape", ["square", "ellipse", "heart"]), Factor("scale", [0.5, 0.75, 1.0])])
    >>> from gtdata.causal import SCM, Table
    >>> cpt = Table(["shape"], [[1, 0, 0], [0, 1, 1], [1, 1, 1]])
    >>> cpt.table(space, "scale").round(3).tolist()
    [[1.0, 0.0, 0.0], [0.0, 0.5, 0.5], [0.333, 0.333, 0.333]]
    >>> SCM(space, {"scale": cpt}).edges
    [('shape', 'scale')]
    """

    kind = "table"

    def __init__(self, parents: Sequence[str], probs: Any):
        self.parents = tuple(parents) if not isinstance(parents, str) else (parents,)
        self.probs = np.asarray(probs, dtype=np.float64)

    def table(self, space: FactorSpace, child: str) -> np.ndarray:
        want = tuple(int(space[p].size) for p in self.parents) + (space[child].size,)
        if self.probs.shape != want:
            raise MechanismError(
                f"{child}: table over parents {list(self.parents)} needs shape {want} "
                f"(parent sizes, then {child}'s), got {self.probs.shape}"
            )
        return normalise_rows(self.probs.reshape(-1, want[-1]), child, self.parents, want[:-1])

    def to_dict(self) -> dict[str, Any]:
        return {"mechanism": self.kind, "parents": list(self.parents), "probs": self.probs.tolist()}

    def __eq__(self, other: object) -> bool:
        return type(other) is Table and other.parents == self.parents and np.array_equal(other.probs, self.probs)


class AdditiveNoise(Mechanism):
    """``child = bias + Σ_p weights[p] · form(parent p) + noise``, snapped to the child's grid.

    Parameters
    ----------
    parents : mapping of factor name to weight
        The parents and their weights (an empty mapping makes a root: ``bias + noise``).
    bias : float
        The constant term, in the child's ``space``.
    form : {"linear", "tanh", "sin", "square", "sigmoid"}
        The function applied to each parent's number before weighting.
    noise : {"gaussian", "uniform"}
        Gaussian with standard deviation ``scale``, or uniform on ``[-scale, scale]``.
    scale : float
        Noise scale (> 0), in the child's ``space``.
    space : {"value", "unit"}
        Parents and child as actual values, or min-max scaled to [0, 1].

    Raises
    ------
    SCMError
        ``parents`` is not a mapping, ``form``, ``noise`` or ``space`` is not one of its choices, or ``scale``
        is not a positive finite number (raised as its subclass ``MechanismError``).

    Examples
    --------
    ``scale = 0.5 + 0.25 * shape + noise`` with Gaussian noise of standard deviation 0.1, snapped to the
    values 0.5, 0.75, 1.0 (a categorical parent enters with its code 0, 1, 2); one row per code of ``shape``:

    >>> from gtdata import Factor, FactorSpace
    >>> space = FactorSpace([Factor("shape", ["square", "ellipse", "heart"]), Factor("scale", [0.5, 0.75, 1.0])])
    >>> from gtdata.causal import AdditiveNoise
    >>> mech = AdditiveNoise({"shape": 0.25}, bias=0.5, scale=0.1)
    >>> mech.table(space, "scale").round(3).tolist()
    [[0.894, 0.106, 0.0], [0.106, 0.789, 0.106], [0.0, 0.106, 0.894]]
    """

    kind = "additive_noise"

    def __init__(
        self,
        parents: Mapping[str, float],
        bias: float = 0.0,
        form: str = "linear",
        noise: str = "gaussian",
        scale: float = 1.0,
        space: str = "value",
    ):
        if isinstance(parents, str) or not isinstance(parents, Mapping):
            raise MechanismError(f"additive_noise: parents must map factor names to weights, got {parents!r}")
        self.weights = {str(k): float(v) for k, v in parents.items()}
        self.parents = tuple(self.weights)
        self.bias = float(bias)
        self.form = _check_choice(form, FORMS, "form")
        self.noise = _check_choice(noise, _NOISES, "noise")
        self.space = _check_choice(space, _SPACES, "space")
        self.scale = float(scale)
        if not (np.isfinite(self.scale) and self.scale > 0):
            raise MechanismError(f"additive_noise: noise scale must be a positive number, got {scale!r}")

    def mean(self, space: FactorSpace) -> np.ndarray:
        """``f`` for every combination of parent codes (mixed radix, first parent slowest)."""
        f = np.full(1, self.bias)
        g = FORMS[self.form]
        for p in self.parents:
            term = self.weights[p] * g(factor_numbers(space[p], self.space))
            f = (f[:, None] + term[None, :]).ravel()
        return f

    def cdf(self, x: np.ndarray) -> np.ndarray:
        if self.noise == "gaussian":
            return ndtr(x / self.scale)
        return np.clip((x / self.scale + 1.0) / 2.0, 0.0, 1.0)

    def table(self, space: FactorSpace, child: str) -> np.ndarray:
        lower, upper = snap_cells(factor_numbers(space[child], self.space))
        f = self.mean(space)[:, None]
        p = self.cdf(upper[None, :] - f) - self.cdf(lower[None, :] - f)
        return normalise_rows(np.maximum(p, 0.0), child, self.parents, None)

    def continuous(self, space: FactorSpace, child: str, values: Mapping[str, np.ndarray], u: np.ndarray) -> np.ndarray:
        """A continuous child's actual value: ``f(parents' values) + noise`` with the noise's inverse CDF at
        ``u``, clipped to the child's range (categorical parents enter with their code)."""
        g = FORMS[self.form]
        f = np.full(u.shape, self.bias)
        for p in self.parents:
            factor = space[p]
            nums = (
                np.asarray([factor.code_of(v) for v in values[p]], dtype=np.float64)
                if factor.is_categorical
                else to_space(factor, values[p], self.space)
            )
            if factor.is_categorical and self.space == "unit":
                nums = nums / max(factor.size - 1, 1)
            f = f + self.weights[p] * g(nums)
        noise = self.scale * (ndtri(u) if self.noise == "gaussian" else 2.0 * u - 1.0)
        c = space[child]
        lo, hi = to_space(c, np.array([c.low, c.high]), self.space)
        return from_space(c, np.clip(f + noise, lo, hi), self.space)

    def to_dict(self) -> dict[str, Any]:
        return {
            "mechanism": self.kind,
            "parents": dict(self.weights),
            "bias": self.bias,
            "form": self.form,
            "noise": self.noise,
            "scale": self.scale,
            "space": self.space,
        }


MECHANISMS: dict[str, type[Mechanism]] = {
    cls.kind: cls for cls in (Uniform, Categorical, Fixed, TruncatedNormal, Table, AdditiveNoise)
}


def mechanism_from_dict(entry: Mapping[str, Any], where: str) -> Mechanism:
    """A mechanism from its YAML/JSON form ``{mechanism: KIND, ...options}``; errors name ``where``."""
    if not isinstance(entry, Mapping):
        raise MechanismError(f"{where}: a mechanism must be a mapping with a 'mechanism' key, got {entry!r}")
    kind = entry.get("mechanism", "uniform")
    if kind not in MECHANISMS:
        import difflib

        hint = difflib.get_close_matches(str(kind), MECHANISMS, n=1)
        raise MechanismError(
            f"{where}.mechanism: unknown mechanism {kind!r}"
            f"{f' (did you mean {hint[0]!r}?)' if hint else ''}; allowed: {sorted(MECHANISMS)}"
        )
    options = {k: v for k, v in entry.items() if k != "mechanism"}
    try:
        return MECHANISMS[kind](**options)
    except TypeError as exc:
        raise MechanismError(f"{where}: {kind} mechanism: {exc}") from None
    except MechanismError as exc:
        raise MechanismError(f"{where}: {exc}") from None


def normalise_rows(p: np.ndarray, child: str, parents: Sequence[str] = (), parent_sizes=None) -> np.ndarray:
    """Rows scaled to sum 1; a clear error for negative, non-finite or all-zero rows."""
    if not np.all(np.isfinite(p)) or (p < 0).any():
        raise MechanismError(f"{child}: probabilities must be finite and non-negative")
    sums = p.sum(axis=1, keepdims=True)
    bad = np.flatnonzero(sums[:, 0] <= 0)
    if bad.size:
        where = ""
        if parents:
            sizes = parent_sizes or ()
            codes = np.unravel_index(bad[0], sizes) if sizes else ()
            where = f" for parents {dict(zip(parents, map(int, codes)))}" if sizes else f" (row {bad[0]})"
        raise MechanismError(
            f"{child}: the distribution{where} has zero total probability and cannot be "
            f"normalised; give it positive weight somewhere (or more noise)"
        )
    return p / sums


def _check_choice(value: Any, allowed, what: str) -> str:
    if value not in allowed:
        raise MechanismError(f"{what} must be one of {sorted(allowed)}, got {value!r}")
    return value
