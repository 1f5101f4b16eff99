"""Named generative factors and the grid they span.

A :class:`FactorSpace` is a list of discrete factors, each with its actual values (numbers with a unit, or
category names). Grid points are addressed by integer *codes* (one value index per factor) or by a flat
*index* in mixed radix with the last factor fastest — the native order of dSprites, Shapes3D and MPI3D.

**The factor dialect.** Every YAML file gtdata reads (manifests, render specs, SCM specs, prepared
``dataset.yaml``) declares its factors in one dialect, parsed here only (:meth:`Factor.from_spec`,
:func:`parse_factors`). A factor entry is a mapping with ``name`` (a Python identifier), optional ``unit`` and
``description``, and exactly one of:

- ``values: [square, ellipse, heart]`` or ``values: [0.5, 0.75, 1.0]``: the values themselves (all names or
  all finite numbers, distinct; integers stay integers);
- ``linspace: [start, stop, num]`` or ``linspace: {start: ..., stop: ..., num: ...}``: ``num`` evenly spaced
  numbers from ``start`` to ``stop``, both included;
- ``range: N``: the integers ``0 … N-1``;
- ``continuous: [low, high]`` with ``num`` (default 16): a continuous factor, any value in ``[low, high]``, with
  a grid of ``num`` points for codes;
- ``low: L, high: H, num: N``: the same continuous factor, as :meth:`Factor.to_dict` writes it.
"""

from __future__ import annotations

import difflib
import keyword
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from gtdata.core.errors import InvalidValueError, OutOfRangeError

from .errors import GtdataError
from .rng import RNGLike, as_rng, randint

#: The forms a factor entry may take (exactly one per entry; see the module docstring).
FACTOR_FORMS = ("values", "linspace", "continuous", "range", "low/high/num")

#: The keys of a factor entry in gtdata's dialect; a caller may allow more (``extra_keys``).
FACTOR_KEYS = ("name", "values", "linspace", "continuous", "range", "low", "high", "num", "unit", "description")

#: Grid points of a ``continuous: [low, high]`` factor that gives no ``num``.
DEFAULT_CONTINUOUS_NUM = 16


class FactorSpecError(GtdataError, ValueError):
    """A factor entry does not follow gtdata's factor dialect.

    ``place`` is where (``factors[2].linspace``), ``message`` what is wrong, with the value and what is allowed;
    ``str(error)`` is ``"place: message"``. Manifests and render specs re-raise it as their own error class
    with the same place.

    Parameters
    ----------
    place : str
        The spec path of the offending field, e.g. ``"factors[2].linspace"``.
    message : str
        What is wrong: the value, what is allowed and, where useful, the fix.

    Examples
    --------
    >>> try:
    ...     Factor.from_spec({"name": "scale", "linspace": [0.5, 1.0]}, place="factors[1]")
    ... except FactorSpecError as exc:
    ...     print(exc.place)
    factors[1].linspace
    """

    def __init__(self, place: str, message: str) -> None:
        super().__init__(f"{place}: {message}")
        self.place = place
        self.message = message

    def __reduce__(self):
        return (type(self), (self.place, self.message))


@dataclass(frozen=True, eq=False)
class Factor:
    """One factor of variation: a name and its ordered values.

    ``values`` holds the actual values (e.g. dSprites ``scale`` = 0.5 … 1.0, ``orientation`` in radians) or
    category names (``shape`` = square/ellipse/heart). A *continuous* factor (see :meth:`continuous`) can take
    any value in ``[low, high]``; its ``values`` are the grid used by integer codes.

    Parameters
    ----------
    name : str
        A Python identifier (``posX``, not ``pos x``): split expressions and SCM specs refer to it.
    values : sequence or 1-D ndarray
        The values in code order: all numbers (integers stay int64, others become float64; finite) or all
        category names (distinct).
    unit : str, optional
        The unit of numeric values (``"radian"``, ``"fraction of the canvas"``).
    description : str, optional
        What the factor is, in words (not compared by ``==``).
    low, high : float, optional
        The range of a continuous factor (keyword-only); use :meth:`continuous` to make one.

    Raises
    ------
    InvalidValueError
        ``name`` is not an identifier; ``values`` is empty, not 1-D, holds non-finite numbers, repeated
        category names or neither numbers nor names.

    Examples
    --------
    >>> from gtdata import Factor
    >>> scale = Factor("scale", [0.5, 0.75, 1.0], unit="fraction of the canvas")
    >>> scale
    Factor('scale', 3 values [0.5, 0.75, 1.0], fraction of the canvas)
    >>> scale.size, scale.code_of(0.75), scale.is_categorical
    (3, 1, False)
    >>> shape = Factor("shape", ["square", "ellipse", "heart"])
    >>> shape.code_of("heart"), shape.is_categorical
    (2, True)
    >>> Factor.continuous("posX", 0.0, 1.0, num=32)   # any value in [0, 1]; codes use a 32-point grid
    Factor('posX', continuous [0.0, 1.0], grid 32)
    """

    name: str
    values: np.ndarray
    unit: str | None = None
    low: float | None = None
    high: float | None = None
    description: str | None = field(default=None, compare=False)

    def __init__(
        self,
        name: str,
        values: Sequence[Any] | np.ndarray,
        unit: str | None = None,
        description: str | None = None,
        *,
        low: float | None = None,
        high: float | None = None,
    ):
        if not isinstance(name, str) or not name.isidentifier():
            raise InvalidValueError(f"factor name must be an identifier (letters, digits, _), got {name!r}")
        arr = np.asarray(values)
        if arr.ndim != 1 or arr.size == 0:
            raise InvalidValueError(f"factor {name!r}: values must be a non-empty 1-D list, got shape {arr.shape}")
        if arr.dtype.kind in "US":
            arr = arr.astype(str)
            if len(set(arr.tolist())) != arr.size:
                raise InvalidValueError(f"factor {name!r}: category names must be unique, got {arr.tolist()}")
        elif arr.dtype.kind in "iub":
            arr = arr.astype(np.int64)
        elif arr.dtype.kind == "f":
            arr = arr.astype(np.float64)
            if not np.all(np.isfinite(arr)):
                raise InvalidValueError(f"factor {name!r}: values must be finite, got {arr.tolist()}")
        else:
            raise InvalidValueError(f"factor {name!r}: values must be numbers or strings, got dtype {arr.dtype}")
        arr.setflags(write=False)
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "values", arr)
        object.__setattr__(self, "unit", unit)
        object.__setattr__(self, "low", None if low is None else float(low))
        object.__setattr__(self, "high", None if high is None else float(high))
        object.__setattr__(self, "description", description)

    @classmethod
    def continuous(
        cls, name: str, low: float, high: float, num: int, unit: str | None = None, description: str | None = None
    ) -> Factor:
        """A factor that may take any value in ``[low, high]``; integer codes use ``num`` grid points."""
        if not (np.isfinite(low) and np.isfinite(high)) or high <= low:
            raise InvalidValueError(f"factor {name!r}: continuous range needs low < high, got [{low}, {high}]")
        if int(num) < 2:
            raise InvalidValueError(f"factor {name!r}: a continuous factor needs a grid of >= 2 points, got {num}")
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
        return (
            isinstance(other, Factor)
            and self.name == other.name
            and self.unit == other.unit
            and self.low == other.low
            and self.high == other.high
            and self.values.dtype.kind == other.values.dtype.kind
            and np.array_equal(self.values, other.values)
        )

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
                raise InvalidValueError(f"factor {self.name!r} has numeric values, got {value!r}") from None
            matches = np.flatnonzero(np.isclose(self.values.astype(np.float64), number, rtol=1e-9, atol=1e-12))
        if matches.size == 0:
            raise InvalidValueError(f"factor {self.name!r} has no value {value!r}; allowed: {_short(self.values)}")
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
    def from_dict(cls, d: Mapping[str, Any]) -> Factor:
        """The factor of one entry in gtdata's factor dialect (see :meth:`from_spec`, which names the place)."""
        return cls.from_spec(d, place="factor", extra_keys=("nuisance",))

    @classmethod
    def from_spec(cls, entry: Any, *, place: str = "factor", extra_keys: Sequence[str] = ()) -> Factor:
        """Parse one factor entry of gtdata's factor dialect (the module docstring lists its forms).

        Parameters
        ----------
        entry : mapping
            ``{name, unit?, description?}`` plus exactly one of ``values``, ``linspace``, ``range``,
            ``continuous`` (+ ``num``) or ``low``/``high``/``num``.
        place : str
            Where the entry is written (``"factors[2]"``, ``"editions.2019.factors[0]"``); errors name the
            field below it (``"factors[2].linspace"``).
        extra_keys : sequence of str
            Keys the caller reads itself (a manifest's ``raw`` and ``nuisance``): allowed, not interpreted.

        Returns
        -------
        Factor
            Numbers given as integers stay int64 (``range`` too), other numbers are float64;
            ``continuous`` and ``low``/``high``/``num`` give a continuous factor.

        Raises
        ------
        FactorSpecError
            Naming the field, the value and what is allowed.

        Examples
        --------
        >>> Factor.from_spec({"name": "scale", "linspace": {"start": 0.5, "stop": 1.0, "num": 6}}).values.tolist()
        [0.5, 0.6, 0.7, 0.8, 0.9, 1.0]
        >>> Factor.from_spec({"name": "x", "continuous": [0, 1], "num": 3}) == Factor.continuous("x", 0, 1, 3)
        True
        >>> Factor.from_spec({"name": "shape", "range": 3}).values.tolist()
        [0, 1, 2]
        """
        if not isinstance(entry, (dict, Mapping)):  # dict first: the ABC check is slow and YAML gives dicts
            raise FactorSpecError(
                place, f"must be a mapping with name and one of {', '.join(FACTOR_FORMS)} (got {entry!r})"
            )
        allowed = FACTOR_KEYS + tuple(k for k in extra_keys if k not in FACTOR_KEYS)
        unknown = [k for k in entry if k not in allowed]
        if unknown:
            raise FactorSpecError(f"{place}.{unknown[0]}", f"unknown key {unknown[0]!r}; allowed: {', '.join(allowed)}")
        name = entry.get("name")
        if not isinstance(name, str) or not name.isidentifier() or keyword.iskeyword(name):
            raise FactorSpecError(f"{place}.name", f"must be a Python identifier such as 'posX' (got {name!r})")
        unit, description = entry.get("unit"), entry.get("description")
        for key, text in (("unit", unit), ("description", description)):
            if text is not None and not isinstance(text, str):
                raise FactorSpecError(f"{place}.{key}", f"must be a string (got {text!r})")
        given = [k for k in ("values", "linspace", "continuous", "range") if k in entry]
        given += ["low/high/num"] if "low" in entry or "high" in entry else []
        if len(given) != 1:
            raise FactorSpecError(place, f"needs exactly one of {', '.join(FACTOR_FORMS)} (got {given or 'none'})")
        form = given[0]
        if "num" in entry and form not in ("continuous", "low/high/num"):
            raise FactorSpecError(f"{place}.num", "is only allowed with continuous or low/high (the grid resolution)")
        if form == "values":
            return cls(name, _spec_values(f"{place}.values", entry["values"]), unit, description)
        if form == "linspace":
            start, stop, num = _spec_linspace(f"{place}.linspace", entry["linspace"])
            return cls(name, np.linspace(start, stop, num), unit, description)
        if form == "range":
            n = entry["range"]
            if not _is_int(n) or n < 1:
                raise FactorSpecError(f"{place}.range", f"must be a positive integer N (values 0 … N-1), got {n!r}")
            return cls(name, np.arange(int(n), dtype=np.int64), unit, description)
        if form == "continuous":
            bounds = entry["continuous"]
            ok = isinstance(bounds, (list, tuple)) and len(bounds) == 2 and all(_is_finite(v) for v in bounds)
            if not ok or bounds[0] >= bounds[1]:
                raise FactorSpecError(f"{place}.continuous", f"must be [low, high] with low < high (got {bounds!r})")
            low, high = bounds
            num = entry.get("num", DEFAULT_CONTINUOUS_NUM)
        else:
            missing = [k for k in ("low", "high", "num") if k not in entry]
            if missing:
                raise FactorSpecError(
                    f"{place}.{missing[0]}",
                    "is missing: a continuous factor written as low/high needs low, high and num",
                )
            low, high, num = entry["low"], entry["high"], entry["num"]
            for key, v in (("low", low), ("high", high)):
                if not _is_finite(v):
                    raise FactorSpecError(f"{place}.{key}", f"must be a finite number (got {v!r})")
            if low >= high:
                raise FactorSpecError(place, f"low must be below high (got low {low!r}, high {high!r})")
        if not _is_int(num) or num < 2:
            raise FactorSpecError(f"{place}.num", f"grid resolution must be an integer >= 2 (got {num!r})")
        return cls.continuous(name, float(low), float(high), int(num), unit, description)


def parse_factors(
    entries: Any, *, place: str = "factors", extra_keys: Sequence[str] = (), allow_empty: bool = False
) -> list[Factor]:
    """Parse a list of factor entries of gtdata's factor dialect, in order (see :meth:`Factor.from_spec`).

    Parameters
    ----------
    entries : list of mappings
        The factor entries, e.g. a spec's ``factors``.
    place : str
        Where the list is written; entry ``i`` is ``f"{place}[{i}]"``.
    extra_keys : sequence of str
        Keys each entry may carry for the caller (e.g. a manifest's ``raw`` and ``nuisance``).
    allow_empty : bool
        Whether an empty list is valid (a manifest of an image without factors); otherwise it is an error.

    Returns
    -------
    list of Factor

    Raises
    ------
    FactorSpecError
        ``entries`` is not a list, an entry is malformed, or a name is declared twice.

    Examples
    --------
    >>> [f.size for f in parse_factors([{"name": "a", "range": 2}, {"name": "b", "values": ["x", "y", "z"]}])]
    [2, 3]
    """
    if not isinstance(entries, (list, tuple)) or (not entries and not allow_empty):
        wanted = "a list of factors" if allow_empty else "a non-empty list of factors"
        raise FactorSpecError(place, f"must be {wanted} (got {entries!r})")
    factors: list[Factor] = []
    seen: set[str] = set()
    for i, entry in enumerate(entries):
        factor = Factor.from_spec(entry, place=f"{place}[{i}]", extra_keys=extra_keys)
        if factor.name in seen:
            raise FactorSpecError(f"{place}[{i}].name", f"factor {factor.name!r} is declared twice")
        seen.add(factor.name)
        factors.append(factor)
    return factors


def _is_int(x: object) -> bool:
    return isinstance(x, (int, np.integer)) and not isinstance(x, (bool, np.bool_))


def _is_finite(x: object) -> bool:
    return (
        isinstance(x, (int, float, np.integer, np.floating))
        and not isinstance(x, (bool, np.bool_))
        and math.isfinite(x)
    )


def _spec_values(place: str, values: Any) -> np.ndarray:
    """A ``values`` list as an array: all names (str) or all finite numbers (int64 when all are integers)."""
    if not isinstance(values, (list, tuple)) or not values:
        raise FactorSpecError(place, f"must be a non-empty list of numbers or of names (got {values!r})")
    types = set(map(type, values))  # the common cases (what YAML gives) without a Python check per value
    if types == {str}:
        arr = np.array(values, dtype=str)
    elif types <= {int, float} or all(_is_finite(v) for v in values):
        integral = types == {int} or all(_is_int(v) for v in values)
        try:
            arr = np.array(values, dtype=np.int64 if integral else np.float64)
        except OverflowError:
            raise FactorSpecError(place, f"integers must fit in 64 bits (got {values!r})") from None
        if arr.dtype.kind == "f" and not np.isfinite(arr).all():
            raise FactorSpecError(place, f"must be all numbers or all names, finite (got {values!r})")
    else:
        raise FactorSpecError(place, f"must be all numbers or all names, finite (got {values!r})")
    if len(set(arr.tolist())) != arr.size:  # as Python compares them: 1 and 1.0 are the same value
        seen: set = set()
        dup = next(v for v in arr.tolist() if v in seen or seen.add(v))
        raise FactorSpecError(place, f"value {dup!r} appears twice; values must be distinct")
    return arr


def _spec_linspace(place: str, spec: Any) -> tuple[float, float, int]:
    """``[start, stop, num]`` or ``{start, stop, num}`` as (start, stop, num)."""
    if isinstance(spec, Mapping) and set(spec) == {"start", "stop", "num"}:
        triple = [spec["start"], spec["stop"], spec["num"]]
    elif isinstance(spec, (list, tuple)) and len(spec) == 3:
        triple = list(spec)
    else:
        triple = None
    if triple is None or not (
        _is_finite(triple[0]) and _is_finite(triple[1]) and _is_int(triple[2]) and triple[2] >= 1
    ):
        raise FactorSpecError(
            place,
            f"must be [start, stop, num] or {{start, stop, num}} with finite numbers and "
            f"num an integer >= 1 (got {spec!r})",
        )
    start, stop, num = float(triple[0]), float(triple[1]), int(triple[2])
    if num > 1 and start == stop:
        raise FactorSpecError(place, f"start equals stop, so the values repeat (got {spec!r})")
    return start, stop, num


def _short(values: np.ndarray) -> str:
    shown = values.tolist()
    return str(shown) if len(shown) <= 8 else f"{len(shown)} values from {shown[0]!r} to {shown[-1]!r}"


class FactorSpace:
    """The grid spanned by a list of factors; vectorized index ↔ codes ↔ values conversions.

    Grid points are addressed by codes (N, F) int64 (one value index per factor) or by a flat index (N,) int64
    in mixed radix with the last factor fastest: ``index = codes @ strides``.

    Parameters
    ----------
    factors : iterable of Factor
        The factors, in order (at least one, names unique).

    Raises
    ------
    InvalidValueError
        No factors, or a name used twice.

    Examples
    --------
    >>> import gtdata
    >>> from gtdata import Factor, FactorSpace
    >>> space = FactorSpace([Factor("shape", ["square", "ellipse", "heart"]), Factor("scale", [0.5, 0.75, 1.0])])
    >>> space
    FactorSpace(shape=3, scale=3; 9 points)
    >>> space.sizes.tolist(), space.strides.tolist()
    ([3, 3], [3, 1])
    >>> space.codes_to_index([[2, 1]]).tolist(), space.index_to_codes([7]).tolist()
    ([7], [[2, 1]])
    >>> {k: v.tolist() for k, v in space.codes_to_values([[2, 1]]).items()}
    {'shape': ['heart'], 'scale': [0.75]}
    >>> space.sample_codes(3, rng=0, fixed={"shape": "heart"})[:, 0].tolist()
    [2, 2, 2]
    >>> try:
    ...     space.index("Shape")
    ... except gtdata.InvalidValueError as exc:
    ...     print(exc)
    unknown factor 'Shape' (did you mean 'shape'?); factors are ['shape', 'scale']
    """

    def __init__(self, factors: Iterable[Factor]):
        self.factors: tuple[Factor, ...] = tuple(factors)
        if not self.factors:
            raise InvalidValueError("a FactorSpace needs at least one factor")
        names = [f.name for f in self.factors]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise InvalidValueError(f"factor names must be unique, repeated: {dupes}")
        self.names: tuple[str, ...] = tuple(names)
        self.sizes = np.array([f.size for f in self.factors], dtype=np.int64)
        self.sizes.setflags(write=False)
        strides = np.ones(len(self.factors), dtype=np.int64)
        strides[:-1] = np.cumprod(self.sizes[::-1])[::-1][1:]
        strides.setflags(write=False)
        self.strides = strides
        self.size = int(np.prod(self.sizes))

    @classmethod
    def from_sizes(cls, sizes: Sequence[int], names: Sequence[str] | None = None) -> FactorSpace:
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
                raise InvalidValueError(f"factor position must be in 0..{self.num_factors - 1}, got {name}")
            return int(name)
        try:
            return self.names.index(name)
        except ValueError:
            hint = [n for n in self.names if n.lower() == str(name).lower()]
            hint = hint or difflib.get_close_matches(str(name), self.names, n=1)
            extra = f" (did you mean {hint[0]!r}?)" if hint else ""
            raise InvalidValueError(f"unknown factor {name!r}{extra}; factors are {list(self.names)}") from None

    def validate_codes(self, codes: Any, argname: str = "codes") -> np.ndarray:
        """``codes`` as an int64 (N, F) array, or a ValueError naming the offending factor and value."""
        arr = np.asarray(codes)
        if arr.ndim == 1 and arr.size == self.num_factors:
            arr = arr[None, :]
        if arr.ndim != 2 or arr.shape[1] != self.num_factors:
            raise InvalidValueError(
                f"{argname} must have shape (N, {self.num_factors}) for factors {list(self.names)}, "
                f"got shape {arr.shape}"
            )
        if arr.dtype.kind == "f":
            if not np.all(np.isfinite(arr)) or np.any(arr != np.round(arr)):
                raise InvalidValueError(f"{argname} must be integer value indices, got non-integer floats")
        elif arr.dtype.kind not in "iub":
            raise InvalidValueError(f"{argname} must be integer value indices, got dtype {arr.dtype}")
        arr = arr.astype(np.int64, copy=False)
        bad = (arr < 0) | (arr >= self.sizes)
        if bad.any():
            row, col = np.argwhere(bad)[0]
            f = self.factors[col]
            raise InvalidValueError(
                f"{argname}[{row}, {col}]: factor {f.name!r} has {f.size} values (codes 0..{f.size - 1}), "
                f"got {arr[row, col]}"
            )
        return arr

    def validate_index(self, index: Any, argname: str = "index") -> np.ndarray:
        """Flat grid indices as int64, or an IndexError naming the allowed range."""
        arr = np.asarray(index)
        if arr.dtype.kind not in "iu":
            raise OutOfRangeError(f"{argname} must be integers, got dtype {arr.dtype}")
        arr = arr.astype(np.int64, copy=False)
        if arr.size and (arr.min() < 0 or arr.max() >= self.size):
            bad = arr[(arr < 0) | (arr >= self.size)].flat[0]
            raise OutOfRangeError(f"{argname} must be in 0..{self.size - 1}, got {bad}")
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
            raise InvalidValueError(
                f"values need exactly the factors {list(self.names)}; missing {missing}, unknown {unknown}"
            )
        columns = [
            [f.code_of(v) for v in np.atleast_1d(np.asarray(values[f.name], dtype=object))] for f in self.factors
        ]
        lengths = {len(c) for c in columns}
        if len(lengths) != 1:
            raise InvalidValueError(f"every factor needs the same number of values, got lengths {sorted(lengths)}")
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
                    raise InvalidValueError(
                        f"factor {factor.name!r} has {factor.size} values "
                        f"(codes 0..{factor.size - 1}), got code {value.code}"
                    )
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
            raise InvalidValueError(
                f"code must be a single grid point of shape ({self.num_factors},), got {base.shape}"
            )
        pos = self.index(factor)
        out = np.repeat(base, self.sizes[pos], axis=0)
        out[:, pos] = np.arange(self.sizes[pos])
        return out

    def to_dict(self) -> list[dict]:
        """The factors as entries of gtdata's factor dialect (round-trips through :meth:`from_dict`)."""
        return [f.to_dict() for f in self.factors]

    @classmethod
    def from_dict(cls, entries: Sequence[Mapping[str, Any]], *, place: str = "factors") -> FactorSpace:
        """The factor space of a list of entries in gtdata's factor dialect (see :func:`parse_factors`).

        A prepared set's ``nuisance`` flag may appear in the entries; it is accepted and not interpreted here.

        Parameters
        ----------
        entries : list of mappings
            The factor entries, as :meth:`to_dict` writes them or in any form of the dialect.
        place : str
            Where the entries are written, for error messages (``"factors"``).

        Returns
        -------
        FactorSpace

        Raises
        ------
        FactorSpecError
            An entry is malformed (the message names ``factors[i].field``).

        Examples
        --------
        >>> FactorSpace.from_dict([{"name": "shape", "values": ["square", "heart"]}, {"name": "x", "range": 4}])
        FactorSpace(shape=2, x=4; 8 points)
        """
        return cls(parse_factors(entries, place=place, extra_keys=("nuisance",)))


@dataclass(frozen=True)
class Code:
    """Marks an integer as a value *code* (index into a factor's values) rather than an actual value.

    Where gtdata takes actual values (``fixed=`` of :meth:`FactorSpace.sample_codes` and
    :meth:`GroundTruthData.sample_codes`, :meth:`gtdata.causal.SCM.do`), ``Code(i)`` gives the i-th value
    instead, whatever it is.

    Parameters
    ----------
    code : int
        The index into the factor's values, 0 ... size - 1 (checked where it is used).

    Examples
    --------
    >>> import gtdata
    >>> from gtdata import Code
    >>> data = gtdata.load("toy")   # factor1's values: 0, 1/3, 2/3, 1
    >>> data.sample_codes(3, rng=0, fixed={"factor1": Code(2)})[:, 1].tolist()
    [2, 2, 2]
    >>> data.factor_space["factor1"].values[2].item() == 2 / 3
    True
    """

    code: int


def check_count(n: Any, argname: str = "n") -> int:
    """A positive sample count as int, or a ValueError naming the argument."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
        raise InvalidValueError(f"{argname} must be a positive integer, got {n!r}")
    if n <= 0:
        raise InvalidValueError(f"{argname} must be a positive integer, got {n}")
    return int(n)
