"""Named generative factors and the grid they span.

A :class:`FactorSpace` is a list of discrete factors, each with its actual values (numbers with a unit, or
category names). Grid points are addressed by integer *codes* (one value index per factor) or by a flat
*index* in mixed radix with the last factor fastest — the native order of dSprites, Shapes3D and MPI3D.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Sequence

import numpy as np

from .rng import RNGLike, as_rng, randint


@dataclass(frozen=True, eq=False)
class Factor:
    """One factor of variation: a name and its ordered values.

    ``values`` holds the actual values (e.g. dSprites ``scale`` = 0.5 … 1.0, ``orientation`` in radians) or
    category names (``shape`` = square/ellipse/heart). A *continuous* factor (see :meth:`continuous`) can take
    any value in ``[low, high]``; its ``values`` are the grid used by integer codes.
    """

    name: str
    values: np.ndarray
    unit: str | None = None
    low: float | None = None
    high: float | None = None
    description: str | None = field(default=None, compare=False)

    def __init__(self, name: str, values: Sequence[Any] | np.ndarray, unit: str | None = None,
                 description: str | None = None, *, low: float | None = None, high: float | None = None):
        if not isinstance(name, str) or not name.isidentifier():
            raise ValueError(f"factor name must be an identifier (letters, digits, _), got {name!r}")
        arr = np.asarray(values)
        if arr.ndim != 1 or arr.size == 0:
            raise ValueError(f"factor {name!r}: values must be a non-empty 1-D list, got shape {arr.shape}")
        if arr.dtype.kind in "US":
            arr = arr.astype(str)
            if len(set(arr.tolist())) != arr.size:
                raise ValueError(f"factor {name!r}: category names must be unique, got {arr.tolist()}")
        elif arr.dtype.kind in "iub":
            arr = arr.astype(np.int64)
        elif arr.dtype.kind == "f":
            arr = arr.astype(np.float64)
            if not np.all(np.isfinite(arr)):
                raise ValueError(f"factor {name!r}: values must be finite, got {arr.tolist()}")
        else:
            raise ValueError(f"factor {name!r}: values must be numbers or strings, got dtype {arr.dtype}")
        arr.setflags(write=False)
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "values", arr)
        object.__setattr__(self, "unit", unit)
        object.__setattr__(self, "low", None if low is None else float(low))
        object.__setattr__(self, "high", None if high is None else float(high))
        object.__setattr__(self, "description", description)

    @classmethod
    def continuous(cls, name: str, low: float, high: float, num: int, unit: str | None = None,
                   description: str | None = None) -> "Factor":
        """A factor that may take any value in ``[low, high]``; integer codes use ``num`` grid points."""
        if not (np.isfinite(low) and np.isfinite(high)) or high <= low:
            raise ValueError(f"factor {name!r}: continuous range needs low < high, got [{low}, {high}]")
        if int(num) < 2:
            raise ValueError(f"factor {name!r}: a continuous factor needs a grid of >= 2 points, got {num}")
        return cls(name, np.linspace(low, high, int(num)), unit, description, low=low, high=high)

    @property
    def size(self) -> int:
        return int(self.values.size)

    @property
    def is_categorical(self) -> bool:
        return self.values.dtype.kind == "U"

    @property
    def is_continuous(self) -> bool:
        return self.low is not None

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, Factor) and self.name == other.name and self.unit == other.unit
                and self.low == other.low and self.high == other.high
                and self.values.dtype.kind == other.values.dtype.kind
                and np.array_equal(self.values, other.values))

    def __hash__(self) -> int:
        return hash((self.name, self.size))

    def __repr__(self) -> str:
        if self.is_continuous:
            return f"Factor({self.name!r}, continuous [{self.low}, {self.high}], grid {self.size})"
        shown = self.values.tolist()
        text = shown if len(shown) <= 6 else f"[{shown[0]!r}, {shown[1]!r}, …, {shown[-1]!r}]"
        return f"Factor({self.name!r}, {self.size} values {text}{', ' + self.unit if self.unit else ''})"

    def code_of(self, value: Any) -> int:
        """The code of an actual value (a category name or a number on the grid)."""
        if self.is_categorical:
            matches = np.flatnonzero(self.values == str(value))
        else:
            try:
                number = float(value)
            except (TypeError, ValueError):
                raise ValueError(f"factor {self.name!r} has numeric values, got {value!r}") from None
            matches = np.flatnonzero(np.isclose(self.values.astype(np.float64), number, rtol=1e-9, atol=1e-12))
        if matches.size == 0:
            raise ValueError(f"factor {self.name!r} has no value {value!r}; allowed: {_short(self.values)}")
        return int(matches[0])

    def to_dict(self) -> dict:
        """A YAML/JSON-friendly description (round-trips through :meth:`from_dict`)."""
        out: dict[str, Any] = {"name": self.name}
        if self.is_continuous:
            out.update(low=self.low, high=self.high, num=self.size)
        else:
            out["values"] = self.values.tolist()
        if self.unit:
            out["unit"] = self.unit
        if self.description:
            out["description"] = self.description
        return out

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "Factor":
        if "name" not in d:
            raise ValueError(f"factor entry needs a 'name', got keys {sorted(d)}")
        if "low" in d or "high" in d:
            return cls.continuous(d["name"], d["low"], d["high"], d["num"], d.get("unit"), d.get("description"))
        if "values" not in d:
            raise ValueError(f"factor {d['name']!r} needs 'values' or a 'low'/'high'/'num' range")
        return cls(d["name"], d["values"], d.get("unit"), d.get("description"))


def _short(values: np.ndarray) -> str:
    shown = values.tolist()
    return str(shown) if len(shown) <= 8 else f"{len(shown)} values from {shown[0]!r} to {shown[-1]!r}"


class FactorSpace:
    """The grid spanned by a list of factors; vectorized index ↔ codes ↔ values conversions."""

    def __init__(self, factors: Iterable[Factor]):
        self.factors: tuple[Factor, ...] = tuple(factors)
        if not self.factors:
            raise ValueError("a FactorSpace needs at least one factor")
        names = [f.name for f in self.factors]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"factor names must be unique, repeated: {dupes}")
        self.names: tuple[str, ...] = tuple(names)
        self.sizes = np.array([f.size for f in self.factors], dtype=np.int64)
        self.sizes.setflags(write=False)
        strides = np.ones(len(self.factors), dtype=np.int64)
        strides[:-1] = np.cumprod(self.sizes[::-1])[::-1][1:]
        strides.setflags(write=False)
        self.strides = strides
        self.size = int(np.prod(self.sizes))

    @classmethod
    def from_sizes(cls, sizes: Sequence[int], names: Sequence[str] | None = None) -> "FactorSpace":
        """Factors whose values are just ``0 … n-1`` (as in disentanglement_lib)."""
        names = names or [f"factor{i}" for i in range(len(sizes))]
        return cls(Factor(n, np.arange(int(s))) for n, s in zip(names, sizes))

    @property
    def num_factors(self) -> int:
        return len(self.factors)

    def __len__(self) -> int:
        return self.size

    def __iter__(self):
        return iter(self.factors)

    def __getitem__(self, key: int | str) -> Factor:
        return self.factors[self.index(key) if isinstance(key, str) else key]

    def __eq__(self, other: object) -> bool:
        return isinstance(other, FactorSpace) and self.factors == other.factors

    def __repr__(self) -> str:
        inner = ", ".join(f"{f.name}={f.size}" for f in self.factors)
        return f"FactorSpace({inner}; {self.size:,} points)"

    def index(self, name: str | int) -> int:
        """Position of a factor given its name (or a position, which is validated)."""
        if isinstance(name, (int, np.integer)):
            if not 0 <= int(name) < self.num_factors:
                raise ValueError(f"factor position must be in 0..{self.num_factors - 1}, got {name}")
            return int(name)
        try:
            return self.names.index(name)
        except ValueError:
            hint = [n for n in self.names if n.lower() == str(name).lower()]
            hint = hint or difflib.get_close_matches(str(name), self.names, n=1)
            extra = f" (did you mean {hint[0]!r}?)" if hint else ""
            raise ValueError(f"unknown factor {name!r}{extra}; factors are {list(self.names)}") from None

    def validate_codes(self, codes: Any, argname: str = "codes") -> np.ndarray:
        """``codes`` as an int64 (N, F) array, or a ValueError naming the offending factor and value."""
        arr = np.asarray(codes)
        if arr.ndim == 1 and arr.size == self.num_factors:
            arr = arr[None, :]
        if arr.ndim != 2 or arr.shape[1] != self.num_factors:
            raise ValueError(
                f"{argname} must have shape (N, {self.num_factors}) for factors {list(self.names)}, "
                f"got shape {arr.shape}"
            )
        if arr.dtype.kind == "f":
            if not np.all(np.isfinite(arr)) or np.any(arr != np.round(arr)):
                raise ValueError(f"{argname} must be integer value indices, got non-integer floats")
        elif arr.dtype.kind not in "iub":
            raise ValueError(f"{argname} must be integer value indices, got dtype {arr.dtype}")
        arr = arr.astype(np.int64, copy=False)
        bad = (arr < 0) | (arr >= self.sizes)
        if bad.any():
            row, col = np.argwhere(bad)[0]
            f = self.factors[col]
            raise ValueError(
                f"{argname}[{row}, {col}]: factor {f.name!r} has {f.size} values (codes 0..{f.size - 1}), "
                f"got {arr[row, col]}"
            )
        return arr

    def validate_index(self, index: Any, argname: str = "index") -> np.ndarray:
        """Flat grid indices as int64, or an IndexError naming the allowed range."""
        arr = np.asarray(index)
        if arr.dtype.kind not in "iu":
            raise IndexError(f"{argname} must be integers, got dtype {arr.dtype}")
        arr = arr.astype(np.int64, copy=False)
        if arr.size and (arr.min() < 0 or arr.max() >= self.size):
            bad = arr[(arr < 0) | (arr >= self.size)].flat[0]
            raise IndexError(f"{argname} must be in 0..{self.size - 1}, got {bad}")
        return arr

    def codes_to_index(self, codes: Any) -> np.ndarray:
        """Flat grid index (N,) int64 of codes (N, F)."""
        return self.validate_codes(codes) @ self.strides

    def index_to_codes(self, index: Any) -> np.ndarray:
        """Codes (N, F) int64 of flat grid indices (N,)."""
        idx = self.validate_index(index)
        return (idx[..., None] // self.strides) % self.sizes

    def codes_to_values(self, codes: Any) -> dict[str, np.ndarray]:
        """The actual value of every factor for each row of codes: name → array (N,)."""
        codes = self.validate_codes(codes)
        return {f.name: f.values[codes[:, i]] for i, f in enumerate(self.factors)}

    def values_to_codes(self, values: Mapping[str, Sequence[Any]]) -> np.ndarray:
        """Codes (N, F) of actual values given per factor name (numbers must lie on the grid)."""
        missing = [n for n in self.names if n not in values]
        unknown = [n for n in values if n not in self.names]
        if missing or unknown:
            raise ValueError(f"values need exactly the factors {list(self.names)}; "
                             f"missing {missing}, unknown {unknown}")
        columns = [[f.code_of(v) for v in np.atleast_1d(np.asarray(values[f.name], dtype=object))]
                   for f in self.factors]
        lengths = {len(c) for c in columns}
        if len(lengths) != 1:
            raise ValueError(f"every factor needs the same number of values, got lengths {sorted(lengths)}")
        return np.array(columns, dtype=np.int64).T

    def resolve_fixed(self, fixed: Mapping[str | int, Any] | None) -> dict[int, int]:
        """``{factor: value}`` (factor by name or position) → ``{position: code}``.

        Values are actual values (``{"shape": "heart", "scale": 0.5}``); wrap an integer in :class:`Code` to
        give a value index instead (``{"scale": Code(0)}``).
        """
        out: dict[int, int] = {}
        for key, value in (fixed or {}).items():
            pos = self.index(key)
            factor = self.factors[pos]
            if isinstance(value, Code):
                if not 0 <= value.code < factor.size:
                    raise ValueError(f"factor {factor.name!r} has {factor.size} values "
                                     f"(codes 0..{factor.size - 1}), got code {value.code}")
                out[pos] = value.code
            else:
                out[pos] = factor.code_of(value)
        return out

    def sample_codes(self, n: int, rng: RNGLike = None, fixed: Mapping[str | int, Any] | None = None) -> np.ndarray:
        """``n`` uniform grid points (n, F) int64, one ``randint`` per factor in order (disentanglement_lib's
        order); factors in ``fixed`` take the given value instead of being drawn."""
        n = check_count(n)
        rng = as_rng(rng)
        pinned = self.resolve_fixed(fixed)
        codes = np.empty((n, self.num_factors), dtype=np.int64)
        for i, size in enumerate(self.sizes):
            codes[:, i] = pinned[i] if i in pinned else randint(rng, size, n)
        return codes

    def traversal(self, code: Any, factor: str | int) -> np.ndarray:
        """All grid points that differ from ``code`` (F,) only in ``factor``, in value order: (size_f, F)."""
        base = self.validate_codes(code, "code")
        if base.shape[0] != 1:
            raise ValueError(f"code must be a single grid point of shape ({self.num_factors},), got {base.shape}")
        pos = self.index(factor)
        out = np.repeat(base, self.sizes[pos], axis=0)
        out[:, pos] = np.arange(self.sizes[pos])
        return out

    def to_dict(self) -> list[dict]:
        return [f.to_dict() for f in self.factors]

    @classmethod
    def from_dict(cls, entries: Sequence[Mapping[str, Any]]) -> "FactorSpace":
        return cls(Factor.from_dict(e) for e in entries)


@dataclass(frozen=True)
class Code:
    """Marks an integer as a value *code* (index into a factor's values) rather than an actual value."""

    code: int


def check_count(n: Any, argname: str = "n") -> int:
    """A positive sample count as int, or a ValueError naming the argument."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
        raise ValueError(f"{argname} must be a positive integer, got {n!r}")
    if n <= 0:
        raise ValueError(f"{argname} must be a positive integer, got {n}")
    return int(n)
