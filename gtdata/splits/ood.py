"""Out-of-distribution splits of a factor grid (Schott et al., ICLR 2022).

Schott et al. ("Visual representation learning does not generalize strongly within the same domain") test
whether a model trained on one part of the grid generalizes to another. Four splits, each a rule on value
codes; ``r`` is the per-factor ratio, and the factors in ``keep`` take every value in both sets:

* **extrapolation** — a factor with ``n`` values holds out its top ``⌈r·n⌉`` codes; a grid point is test
  when *any* split factor takes a held-out code.
* **interpolation** — a factor keeps ``round(linspace(0, n − 1, n − ⌈r·n⌉))`` and holds out the other
  (interior) codes; test when any split factor takes a held-out code. Same counts as extrapolation.
* **composition** — with ``m`` split factors, ``q = 1 − (1 − (1 − r)^m)^(1/m)``; the first ``⌊q·n⌋`` codes
  of a factor are its *low* codes; a point is train when at least one split factor is low, test when none is.
  Every value is seen in training, only some combinations are not.
* **random** — a fixed seeded set of grid points, by default as many as extrapolation holds out (the
  supplementary code says "same test/train ratio as inter- and extrapolation"; the exact fraction behind
  the released files is not documented, so gtdata uses the extrapolation count; pass ``test_fraction`` to
  choose another). Drawn like that code: the first ``k`` entries of a boolean mask set, then shuffled by
  ``rng``.

Defaults of ``ratio`` and ``keep`` (by data set name; the named factors must exist, else the generic ones):

=====================================================  =====  ==============================
names                                                  ratio  kept whole
=====================================================  =====  ==============================
``dsprites`` and every name with a ``dsprites`` part     0.2  ``shape``
(``dsprites_full``, ``color_dsprites``, ``noisy_…``,
``scream_…``, ``dsprites_like``: the same grid)
``shapes3d``, ``3dshapes`` (and ``…_*`` variants)       0.15  ``shape`` (object type)
``mpi3d`` and ``mpi3d_*``                                0.1  ``object_shape``, ``object_size``
anything else                                            0.2  its categorical factors
=====================================================  =====  ==============================

The generic ``keep`` follows the supplementary code, whose kept-whole flags default to the categorical
flags: a category has no order, so "the top codes" of it mean nothing. Factors with a single value are never
split (they would otherwise hold out the whole grid).

``⌈r·n⌉`` (and ``⌊test_fraction·size⌋``) are computed exactly on the decimal the number is written as (its
shortest ``repr``), so ``⌈0.28·25⌉`` is 7, not the 8 that ``ceil(0.28 * 25)`` gives in floating point; for the
published data sets both readings agree.

Examples
--------
>>> from gtdata import FactorSpace
>>> from gtdata.splits import ood_split
>>> space = FactorSpace.from_sizes([3, 6, 40, 32, 32], ["shape", "scale", "orientation", "posX", "posY"])
>>> split = ood_split(space, "extrapolation", dataset="dsprites")
>>> split.num_train, split.num_test
(240000, 497280)
>>> split.test_values["scale"]
(4, 5)
>>> split.test.description
'extrapolation(dsprites, ratio=0.2, keep=shape).test'
"""

from __future__ import annotations

import difflib
import hashlib
import io
import json
import math
import re
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from gtdata.core.data import GroundTruthData
from gtdata.core.errors import MissingFileError
from gtdata.core.factors import FactorSpace
from gtdata.core.persist import OutputExistsError, atomic_write_bytes
from gtdata.core.rng import RNGLike, as_rng
from gtdata.core.split import SplitError

KINDS = ("random", "composition", "interpolation", "extrapolation")
GENERIC_RATIO = 0.2
FILE_FORMAT = "gtdata.ood_split"
FILE_VERSION = 1

# (pattern on the lower-cased data set name, profile name, ratio, factors kept whole): Schott et al.'s
# settings, as in the supplementary code's data set classes (see /work/shared/reference/crl.md §2).
_PROFILES: tuple[tuple[re.Pattern, str, float, tuple[str, ...]], ...] = (
    (re.compile(r"(^|_)dsprites(_|$)"), "dsprites", 0.2, ("shape",)),
    (re.compile(r"^(shapes3d|3dshapes)(_|$)"), "shapes3d", 0.15, ("shape",)),
    (re.compile(r"^mpi3d(_|$)"), "mpi3d", 0.1, ("object_shape", "object_size")),
)


class OODSplitError(SplitError):
    """An out-of-distribution split that cannot be made, applied or loaded as asked."""


# -- the public entry points ----------------------------------------------------------------------------
def ood_split(
    data_or_space: GroundTruthData | FactorSpace,
    kind: str,
    *,
    ratio: float | None = None,
    keep: str | int | Iterable[str | int] | None = None,
    test_fraction: float | None = None,
    dataset: str | None = None,
    rng: RNGLike = 0,
) -> OODSplit:
    """One of Schott et al.'s four out-of-distribution splits of a data set's factor grid.

    Parameters
    ----------
    data_or_space : GroundTruthData or FactorSpace
        The data set (its ``factor_space`` and ``name`` are used) or a bare factor grid. The split covers
        the whole grid, whatever split the data set is already a view of.
    kind : {"random", "composition", "interpolation", "extrapolation"}
        The rule (see :mod:`gtdata.splits.ood`).
    ratio : float, optional
        Per-factor ratio ``r`` in (0, 1) (unitless). Default: Schott et al.'s for the data set (dSprites
        0.2, Shapes3D 0.15, MPI3D 0.1), else 0.2.
    keep : str, int or iterable of them, optional
        Factors (names or positions) that take every value in both sets. Default: Schott et al.'s for the
        data set, else its categorical factors. ``keep=()`` splits every factor.
    test_fraction : float, optional
        ``kind="random"`` only: fraction of the grid in the test set, in (0, 1); ``⌊fraction · size⌋``
        points. Default: exactly as many test points as the extrapolation split with ``ratio`` and ``keep``.
    dataset : str, optional
        Name used to choose the defaults and in descriptions. Default: ``data.name`` (none for a bare
        ``FactorSpace``, which then gets the generic defaults).
    rng : int, Generator or RandomState
        ``kind="random"`` only: the source of the shuffle (default seed 0). ``np.random.RandomState(0)``
        reproduces the supplementary code's procedure for the same test count.

    Returns
    -------
    OODSplit
        ``.train`` and ``.test`` are grid subsets for :meth:`GroundTruthData.split`; ``.views(data)`` gives
        both views.

    Raises
    ------
    OODSplitError
        Unknown ``kind`` (with the closest one), ``ratio`` or ``test_fraction`` outside (0, 1), an unknown
        factor in ``keep``, nothing left to split, or a split with an empty train or test set.

    Examples
    --------
    >>> import gtdata
    >>> data = gtdata.load("dsprites_like")
    >>> split = ood_split(data, "composition")
    >>> split.num_train, split.num_test
    (192312, 544968)
    >>> split.low_values["orientation"]
    (0, 1, 2, 3)
    >>> train, test = split.views(data)
    >>> len(train), len(test)
    (192312, 544968)
    >>> codes = test.sample_codes(5, rng=0)
    >>> bool(((codes[:, 2:] >= (4, 3, 3)).all()))
    True
    >>> ood_split(data, "random").num_test  # as many as extrapolation holds out
    497280
    """
    space, name = _space_and_name(data_or_space, dataset)
    kind = _check_kind(kind)
    profile, default_ratio, default_keep = _defaults(name, space)
    ratio = default_ratio if ratio is None else _check_unit_interval(ratio, "ratio")
    keep_names = default_keep if keep is None else _resolve_keep(keep, space)
    if test_fraction is not None:
        if kind != "random":
            raise OODSplitError(
                f"test_fraction applies only to kind='random', got kind={kind!r} with "
                f"test_fraction={test_fraction!r}; the other kinds follow from ratio"
            )
        test_fraction = _check_unit_interval(test_fraction, "test_fraction")
    split_factors = tuple(f.name for f in space if f.name not in keep_names and f.size > 1)
    if not split_factors:
        raise OODSplitError(
            f"{kind} split of {name or 'this grid'}: no factor left to split (kept whole: {list(keep_names)}; "
            f"factors with one value are never split); pass keep= with fewer factors, e.g. keep=()"
        )

    params: dict[str, Any] = {"ratio": ratio, "keep": list(keep_names), "defaults": profile}
    test_values: dict[str, tuple[int, ...]] = {}
    low_values: dict[str, tuple[int, ...]] | None = None
    if kind == "random":
        if test_fraction is None:
            # Extrapolation's count, from the per-factor counts (no mask needed): train = product of kept sizes.
            num_train = math.prod(
                space[f].size - _num_held_out(space[f].size, ratio) if f in split_factors else space[f].size
                for f in space.names
            )
            num_test = space.size - num_train
            _check_sides(
                kind,
                name,
                num_test,
                space.size,
                f"ratio={ratio} (test_fraction=None takes the extrapolation split's size)",
            )
        else:
            num_test = math.floor(_as_fraction(test_fraction) * space.size)
            _check_sides(kind, name, num_test, space.size, f"test_fraction={test_fraction}")
        test_mask = np.zeros(space.size, dtype=bool)
        test_mask[:num_test] = True
        as_rng(rng).shuffle(test_mask)
        params.update(test_fraction=test_fraction, rng=_describe_rng(rng))
    elif kind == "composition":
        m = len(split_factors)
        q = 1.0 - (1.0 - (1.0 - ratio) ** m) ** (1.0 / m)
        # ⌊q·n⌋ with 1e-9 of slack: where q·n is an integer in exact arithmetic (m = 1: q = 1 − r), float error
        # would otherwise drop a code (r = 0.9: q·10 = 0.9999999999999998).
        low_values = {f: tuple(range(math.floor(q * space[f].size + 1e-9))) for f in split_factors}
        test_values = {f: tuple(range(len(low_values[f]), space[f].size)) for f in split_factors}
        params["q"] = q
        if not any(low_values.values()):
            raise OODSplitError(
                f"composition split of {name or 'this grid'} with ratio={ratio}: q = {q:.3g} gives no factor a "
                f"low code (⌊q·n⌋ = 0 for sizes {[space[f].size for f in split_factors]}), so the train set is "
                f"empty; a smaller ratio raises q"
            )
        test_mask = _rule_mask(space, test_values, any_hit=False)
    else:
        rule = _extrapolation_codes if kind == "extrapolation" else _interpolation_codes
        test_values = {f: rule(space[f].size, ratio) for f in split_factors}
        full = [f for f in split_factors if len(test_values[f]) == space[f].size]
        if full:
            raise OODSplitError(
                f"{kind} split of {name or 'this grid'} with ratio={ratio} holds out every value of "
                f"{full} (sizes {[space[f].size for f in full]}), so the train set is empty; use a smaller "
                f"ratio or keep those factors whole"
            )
        test_mask = _rule_mask(space, test_values, any_hit=True)
    num_test = int(test_mask.sum())
    _check_sides(kind, name, num_test, space.size, f"ratio={ratio}")
    return OODSplit(
        kind=kind,
        dataset=name,
        factor_names=space.names,
        factor_sizes=tuple(space.sizes.tolist()),
        parameters=params,
        test_values=test_values,
        low_values=low_values,
        test_mask=test_mask,
    )


def load_ood_split(path: str | Path, sha256: str | None = None) -> OODSplit:
    """Load a split written by :meth:`OODSplit.save`, verifying its test indices.

    Parameters
    ----------
    path : str or Path
        The file.
    sha256 : str, optional
        Expected SHA-256 of the whole file (64 hex digits, as :meth:`OODSplit.save` returned it).

    Returns
    -------
    OODSplit
        The same split: identical masks, parameters and descriptions.

    Raises
    ------
    FileNotFoundError
        No file at ``path``.
    OODSplitError
        The file's SHA-256 differs from ``sha256``, the file is not a gtdata OOD split, or its test indices
        do not match the SHA-256 stored with them; the message names the file.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from gtdata import FactorSpace
    >>> split = ood_split(FactorSpace.from_sizes([4, 5, 6]), "interpolation")
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "split.npz"
    >>> digest = split.save(path)
    >>> again = load_ood_split(path, sha256=digest)
    >>> bool((again.test_index == split.test_index).all()), again.test.description == split.test.description
    (True, True)
    """
    path = Path(path)
    if not path.is_file():
        raise MissingFileError(f"no OOD split file at {path}")
    raw = path.read_bytes()
    if sha256 is not None:
        want = str(sha256).lower()
        if not re.fullmatch(r"[0-9a-f]{64}", want):
            raise OODSplitError(f"sha256 must be 64 hex digits, got {sha256!r}")
        got = hashlib.sha256(raw).hexdigest()
        if got != want:
            raise OODSplitError(
                f"{path}: file sha256 is {got}, expected {want}; the file changed since it was "
                f"saved (or the expected value belongs to another file)"
            )
    try:
        with np.load(io.BytesIO(raw), allow_pickle=False) as npz:
            if sorted(npz.files) != ["metadata", "test_index"]:
                raise OODSplitError(
                    f"{path}: not a gtdata OOD split file (arrays {sorted(npz.files)}, want ['metadata', 'test_index'])"
                )
            meta = json.loads(str(npz["metadata"][()]))
            index = npz["test_index"]
    except OODSplitError:
        raise
    except Exception as exc:  # zipfile, npy header and JSON errors all mean "damaged or foreign file"
        raise OODSplitError(f"{path}: not a readable gtdata OOD split file ({type(exc).__name__}: {exc})") from None
    return _from_file(path, meta, index)


class OODSplit:
    """A train/test partition of a factor grid made by :func:`ood_split` (or loaded by :func:`load_ood_split`).

    Attributes
    ----------
    kind : str
        ``"random"``, ``"composition"``, ``"interpolation"`` or ``"extrapolation"``.
    dataset : str or None
        The data set name it was made for (None for a bare grid).
    factor_names, factor_sizes : tuple
        The grid it partitions; applying it to another grid raises :class:`OODSplitError`.
    parameters : dict
        ``ratio``, ``keep`` (factor names), ``defaults`` (``"dsprites"``, ``"shapes3d"``, ``"mpi3d"`` or
        ``"generic"``: whose defaults filled what was not given); composition adds ``q``; random adds
        ``test_fraction`` (None: the extrapolation count) and ``rng`` (the seed, or the type of generator).
    test_values : dict
        Split factor name → codes. Extrapolation/interpolation: a point is test when *any* split factor
        takes one of its codes. Composition: a point is test when *every* split factor takes one of its codes.
        Random: empty (no per-factor rule).
    low_values : dict or None
        Composition only: the low (train-enabling) codes per split factor; None for the other kinds.
    train, test : OODSubset
        The two sides as grid subsets (``data.split(split.test)``).

    Parameters
    ----------
    kind, dataset, factor_names, factor_sizes, parameters, test_values, low_values
        The attributes above (keyword-only); :func:`ood_split` and :func:`load_ood_split` fill them in.
    test_mask : ndarray of bool, shape (prod(factor_sizes),)
        Which grid points are in the test set, in flat-index order (mixed radix, last factor fastest).

    Examples
    --------
    >>> import gtdata
    >>> from gtdata.splits import load_ood_split, ood_split
    >>> data = gtdata.load("toy")
    >>> split = ood_split(data, "extrapolation")   # each factor's top 20 % of values held out
    >>> split
    OODSplit(extrapolation(toy, ratio=0.2, keep=none): train 96 / test 264)
    >>> split.test_values
    {'factor0': (2,), 'factor1': (3,), 'factor2': (4,), 'factor3': (4, 5)}
    >>> train, test = split.views(data)
    >>> len(train), len(test)
    (96, 264)
    >>> sha256 = split.save("toy_extrapolation.npz")
    >>> load_ood_split("toy_extrapolation.npz", sha256=sha256).test_values == split.test_values
    True
    """

    def __init__(
        self,
        *,
        kind: str,
        dataset: str | None,
        factor_names: Sequence[str],
        factor_sizes: Sequence[int],
        parameters: Mapping[str, Any],
        test_values: Mapping[str, Sequence[int]],
        low_values: Mapping[str, Sequence[int]] | None,
        test_mask: np.ndarray,
    ):
        self.kind = kind
        self.dataset = dataset
        self.factor_names = tuple(factor_names)
        self.factor_sizes = tuple(int(s) for s in factor_sizes)
        self.parameters = dict(parameters)
        self.test_values = {k: tuple(int(c) for c in v) for k, v in test_values.items()}
        self.low_values = None if low_values is None else {k: tuple(int(c) for c in v) for k, v in low_values.items()}
        mask = np.asarray(test_mask, dtype=bool)
        mask.setflags(write=False)  # handed out by .test.mask(); nobody may edit the split through it
        self._test_mask = mask
        self.num_test = int(mask.sum())
        self.num_train = int(mask.size - self.num_test)
        self.train = OODSubset(self, "train")
        self.test = OODSubset(self, "test")

    @property
    def description(self) -> str:
        """E.g. ``"extrapolation(dsprites, ratio=0.2, keep=shape)"``."""
        parts = [self.dataset] if self.dataset else []
        if self.kind == "random":
            fraction = self.num_test / self._test_mask.size
            parts += [f"test_fraction={fraction:.4g}", f"rng={self.parameters.get('rng')}"]
        else:
            parts += [f"ratio={self.parameters['ratio']:g}", f"keep={'+'.join(self.parameters['keep']) or 'none'}"]
        return f"{self.kind}({', '.join(parts)})"

    @property
    def test_index(self) -> np.ndarray:
        """Sorted flat grid indices (num_test,) int64 of the test set."""
        return np.flatnonzero(self._test_mask).astype(np.int64)

    def check_space(self, space: FactorSpace) -> None:
        """Raise :class:`OODSplitError` unless ``space`` has this split's factor names and sizes, in order."""
        names = tuple(getattr(space, "names", ()))
        sizes = tuple(int(s) for s in getattr(space, "sizes", ()))
        if names != self.factor_names or sizes != self.factor_sizes:
            want = ", ".join(f"{n}={s}" for n, s in zip(self.factor_names, self.factor_sizes))
            got = ", ".join(f"{n}={s}" for n, s in zip(names, sizes))
            raise OODSplitError(
                f"split {self.description!r} was made for the grid ({want}); this data set's grid "
                f"is ({got}); make the split from this data set with ood_split(data, "
                f"{self.kind!r}, ...)"
            )

    def views(self, data: GroundTruthData) -> tuple[GroundTruthData, GroundTruthData]:
        """``(train_view, test_view)`` of ``data`` (``data.split(self.train)``, ``data.split(self.test)``)."""
        self.check_space(data.factor_space)
        return data.split(self.train), data.split(self.test)

    def save(self, path: str | Path, *, overwrite: bool = False) -> str:
        """Write the split to one ``.npz`` file atomically; returns the file's SHA-256 (hex).

        The file holds ``test_index`` (sorted little-endian int64 flat indices) and ``metadata`` (a JSON
        string: kind, parameters, factor names and sizes, data set name, values, counts and the SHA-256 of
        the index bytes). Its bytes depend only on the split, so the same split saved anywhere has the same
        SHA-256, which :func:`load_ood_split` can check.

        Raises
        ------
        FileExistsError
            ``path`` exists and ``overwrite`` is False.
        """
        path = Path(path)
        if path.exists() and not overwrite:
            raise OutputExistsError(f"{path} exists; pass overwrite=True to replace it")
        index = self.test_index.astype("<i8")
        meta = {
            "format": FILE_FORMAT,
            "version": FILE_VERSION,
            "kind": self.kind,
            "dataset": self.dataset,
            "factors": [{"name": n, "size": s} for n, s in zip(self.factor_names, self.factor_sizes)],
            "parameters": self.parameters,
            "test_values": {k: list(v) for k, v in self.test_values.items()},
            "low_values": None if self.low_values is None else {k: list(v) for k, v in self.low_values.items()},
            "num_train": self.num_train,
            "num_test": self.num_test,
            "index_sha256": hashlib.sha256(index.tobytes()).hexdigest(),
        }
        data = _npz_bytes({"metadata": np.array(json.dumps(meta, sort_keys=True)), "test_index": index})
        atomic_write_bytes(path, data)
        return hashlib.sha256(data).hexdigest()

    def __repr__(self) -> str:
        return f"OODSplit({self.description}: train {self.num_train:,} / test {self.num_test:,})"


class OODSubset:
    """One side of an :class:`OODSplit` as a grid subset: ``data.split(subset)`` accepts it.

    ``description`` reads like ``"extrapolation(dsprites, ratio=0.2, keep=shape).test"``; ``mask(space)``
    is the boolean (space.size,) mask in flat-index order, and refuses a grid other than the split's.

    Parameters
    ----------
    split : OODSplit
        The split it is a side of.
    side : {"train", "test"}
        Which side.

    Examples
    --------
    >>> import gtdata
    >>> from gtdata.splits import ood_split
    >>> data = gtdata.load("toy")
    >>> test = ood_split(data, "extrapolation").test
    >>> test
    OODSubset('extrapolation(toy, ratio=0.2, keep=none).test')
    >>> int(test.mask(data.factor_space).sum()), len(data.split(test))
    (264, 264)
    """

    def __init__(self, split: OODSplit, side: str):
        self.split = split
        self.side = side
        self.description = f"{split.description}.{side}"

    def mask(self, space: FactorSpace) -> np.ndarray:
        self.split.check_space(space)
        test = self.split._test_mask
        return test if self.side == "test" else ~test

    def __repr__(self) -> str:
        return f"OODSubset({self.description!r})"


# -- the rules --------------------------------------------------------------------------------------------
def _as_fraction(x: float) -> Fraction:
    # A ratio is typed as a decimal; reading it as that decimal (the float's shortest repr) keeps ⌈0.28·25⌉ = 7
    # where the float product 7.000000000000001 would round up to 8.
    return Fraction(repr(float(x)))


def _num_held_out(n: int, ratio: float) -> int:
    return math.ceil(_as_fraction(ratio) * n)


def _extrapolation_codes(n: int, ratio: float) -> tuple[int, ...]:
    return tuple(range(n - _num_held_out(n, ratio), n))


def _interpolation_codes(n: int, ratio: float) -> tuple[int, ...]:
    # np.round (half to even) as in the supplementary code; the kept codes always include 0 and n - 1.
    kept = set(np.round(np.linspace(0, n - 1, n - _num_held_out(n, ratio))).astype(np.int64).tolist())
    return tuple(c for c in range(n) if c not in kept)


def _rule_mask(space: FactorSpace, codes: Mapping[str, Sequence[int]], *, any_hit: bool) -> np.ndarray:
    """Flat mask of the grid points where any (``any_hit``) or every listed factor takes a listed code.

    Built as an outer product of per-factor vectors, so it never materializes the (size, F) codes.
    """
    grid = np.ones(tuple(space.sizes.tolist()), dtype=bool)
    for name, listed in codes.items():
        pos = space.index(name)
        member = np.zeros(space[pos].size, dtype=bool)
        member[list(listed)] = True
        shape = [1] * space.num_factors
        shape[pos] = -1
        # any factor hits  ==  not (every factor misses)
        grid &= (~member if any_hit else member).reshape(shape)
    flat = grid.reshape(-1)
    return ~flat if any_hit else flat


def _check_sides(kind: str, name: str | None, num_test: int, size: int, what: str) -> None:
    if not 0 < num_test < size:
        side = "test" if num_test == 0 else "train"
        raise OODSplitError(
            f"{kind} split of {name or 'this grid'} with {what} leaves the {side} set empty "
            f"({num_test:,} of {size:,} grid points in test); choose a value that leaves both "
            f"sides non-empty"
        )


# -- argument checks -------------------------------------------------------------------------------------
def _space_and_name(data_or_space: Any, dataset: str | None) -> tuple[FactorSpace, str | None]:
    if isinstance(data_or_space, FactorSpace):
        space, name = data_or_space, None
    elif isinstance(getattr(data_or_space, "factor_space", None), FactorSpace):
        space, name = data_or_space.factor_space, getattr(data_or_space, "name", None)
    else:
        raise OODSplitError(
            f"data_or_space must be a GroundTruthData or a FactorSpace, got {type(data_or_space).__name__}"
        )
    if dataset is not None:
        if not isinstance(dataset, str) or not dataset:
            raise OODSplitError(f"dataset must be a non-empty string, got {dataset!r}")
        name = dataset
    return space, name


def _check_kind(kind: Any) -> str:
    if kind in KINDS:
        return kind
    close = difflib.get_close_matches(str(kind).lower(), KINDS, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    raise OODSplitError(f"kind must be one of {list(KINDS)}, got {kind!r}{hint}")


def _check_unit_interval(value: Any, argname: str) -> float:
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float, np.integer, np.floating))
        or not 0.0 < float(value) < 1.0
    ):
        raise OODSplitError(f"{argname} must be a number strictly between 0 and 1, got {value!r}")
    return float(value)


def _resolve_keep(keep: Any, space: FactorSpace) -> tuple[str, ...]:
    items = [keep] if isinstance(keep, (str, int, np.integer)) else keep
    try:
        items = list(items)
    except TypeError:
        raise OODSplitError(f"keep must be a factor name or position, or a list of them, got {keep!r}") from None
    positions = set()
    for item in items:
        if isinstance(item, bool) or not isinstance(item, (str, int, np.integer)):
            raise OODSplitError(f"keep: factors are given by name or position, got {item!r}")
        try:
            positions.add(space.index(item))
        except ValueError as exc:
            raise OODSplitError(f"keep: {exc}") from None
    return tuple(space.names[p] for p in sorted(positions))


def _defaults(name: str | None, space: FactorSpace) -> tuple[str, float, tuple[str, ...]]:
    """(profile, ratio, keep) for a data set name: Schott et al.'s where the name and factors fit, else generic."""
    if name:
        for pattern, profile, ratio, keep in _PROFILES:
            if pattern.search(name.lower()) and all(k in space.names for k in keep):
                return profile, ratio, keep
    return "generic", GENERIC_RATIO, tuple(f.name for f in space if f.is_categorical)


def _describe_rng(rng: RNGLike) -> int | str:
    if rng is None or isinstance(rng, (int, np.integer)):
        return None if rng is None else int(rng)
    return type(rng).__name__


# -- the file ----------------------------------------------------------------------------------------------
def _npz_bytes(arrays: Mapping[str, np.ndarray]) -> bytes:
    """An ``.npz`` archive with fixed timestamps and no compression, so equal arrays give equal bytes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as archive:
        for key in sorted(arrays):
            member = io.BytesIO()
            np.lib.format.write_array(member, np.asarray(arrays[key]), allow_pickle=False)
            info = zipfile.ZipInfo(f"{key}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16
            archive.writestr(info, member.getvalue())
    return buffer.getvalue()


def _from_file(path: Path, meta: Any, index: np.ndarray) -> OODSplit:
    def bad(problem: str) -> OODSplitError:
        return OODSplitError(f"{path}: {problem}")

    if not isinstance(meta, dict) or meta.get("format") != FILE_FORMAT:
        raise bad(f"not a gtdata OOD split file (format {meta.get('format') if isinstance(meta, dict) else meta!r})")
    if meta.get("version") != FILE_VERSION:
        raise bad(f"file version {meta.get('version')!r}; this gtdata reads version {FILE_VERSION}")
    try:
        kind = _check_kind(meta["kind"])
        names = [f["name"] for f in meta["factors"]]
        sizes = [int(f["size"]) for f in meta["factors"]]
        num_test, num_train = int(meta["num_test"]), int(meta["num_train"])
        stored_sha = str(meta["index_sha256"])
        parameters, test_values, low_values = meta["parameters"], meta["test_values"], meta["low_values"]
    except (KeyError, TypeError, ValueError) as exc:
        raise bad(f"metadata is incomplete or malformed ({type(exc).__name__}: {exc})") from None
    if index.dtype != np.dtype("<i8") or index.ndim != 1:
        raise bad(f"test_index must be a 1-D little-endian int64 array, got {index.dtype} {index.shape}")
    got_sha = hashlib.sha256(index.tobytes()).hexdigest()
    if got_sha != stored_sha:
        raise bad(
            f"test_index sha256 is {got_sha}, but the file records {stored_sha}; the indices were changed or damaged"
        )
    size = math.prod(sizes)
    if index.size != num_test or num_test + num_train != size:
        raise bad(
            f"counts disagree: {index.size} test indices, metadata says test {num_test} + train "
            f"{num_train} of a {size}-point grid"
        )
    if index.size and (index[0] < 0 or index[-1] >= size or np.any(np.diff(index) <= 0)):
        raise bad(f"test_index must be strictly increasing flat indices in 0..{size - 1}")
    mask = np.zeros(size, dtype=bool)
    mask[index] = True
    return OODSplit(
        kind=kind,
        dataset=meta.get("dataset"),
        factor_names=names,
        factor_sizes=sizes,
        parameters=parameters,
        test_values=test_values,
        low_values=low_values,
        test_mask=mask,
    )
