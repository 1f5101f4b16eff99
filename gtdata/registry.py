"""The data set registry behind :func:`gtdata.load` and :func:`gtdata.list_datasets`.

Benchmark sets, built-in rendered sets and the toy set register a factory under a name (plus aliases such
as disentanglement_lib's ``dsprites_full``). Provider modules listed in ``_PROVIDERS`` are imported on first
use, so ``import gtdata`` stays cheap.
"""

from __future__ import annotations

import difflib
import importlib
import os
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from gtdata.core.errors import InvalidValueError, MissingFileError

from .core import kinds
from .core.data import GroundTruthData

KINDS = ("benchmark", "rendered", "toy")

_PROVIDERS = [
    "gtdata.datasets.catalog",
    "gtdata.render.builtin",
]


@dataclass(frozen=True)
class DatasetInfo:
    """One registry entry: its name, kind, a one-line description, aliases and the factory.

    Parameters
    ----------
    name : str
        The name :func:`load` takes (``"dsprites"``).
    kind : {"benchmark", "rendered", "toy"}
        Downloaded and prepared, rendered on demand, or computed in memory.
    description : str
        One line for ``gtdata list`` and the docs.
    factory : callable
        ``factory(**kwargs) -> GroundTruthData``; :func:`load` passes its keyword arguments on.
    aliases : tuple of str, default ()
        Other names that find this entry (disentanglement_lib's ``dsprites_full``).

    Examples
    --------
    >>> from gtdata.registry import get_info
    >>> info = get_info("dsprites_full")
    >>> info.name, info.kind, info.aliases
    ('dsprites', 'benchmark', ('dsprites_full',))
    >>> info.description
    'dSprites: 737,280 2D shapes, 5 factors (64x64x1)'
    """

    name: str
    kind: str
    description: str
    factory: Callable[..., GroundTruthData] = field(repr=False)
    aliases: tuple[str, ...] = ()


_REGISTRY: dict[str, DatasetInfo] = {}
_ALIASES: dict[str, str] = {}
_loaded = False


def register(
    name: str,
    factory: Callable[..., GroundTruthData],
    kind: str,
    description: str,
    aliases: tuple[str, ...] | list[str] = (),
) -> DatasetInfo:
    """Register ``factory(**kwargs) -> GroundTruthData`` under ``name`` (and ``aliases``).

    Registering the same name again replaces its entry (a module reloaded); a name or alias that belongs to
    another entry is refused.

    Parameters
    ----------
    name : str
        The name :func:`load` will take.
    factory : callable
        Called as ``factory(**kwargs)`` with the keyword arguments given to :func:`load`; returns a
        GroundTruthData.
    kind : {"benchmark", "rendered", "toy"}
        Downloaded and prepared, rendered on demand, or computed in memory (``gtdata list`` groups by it).
    description : str
        One line for ``gtdata list``.
    aliases : sequence of str, default ()
        Other names that open the same entry.

    Returns
    -------
    DatasetInfo
        The new entry.

    Raises
    ------
    ValueError
        If ``kind`` is not one of :data:`KINDS`, or ``name`` or an alias is already registered for another
        data set.

    Examples
    --------
    A small in-memory set under its own name; keyword arguments of :func:`load` reach the factory:

    >>> from gtdata.core.memory import ToyData
    >>> info = register("toy_2x3", lambda **kw: ToyData((2, 3), **kw), kind="toy",
    ...                 description="2x3 toy grid for examples")
    >>> data = load("toy_2x3", image_size=8)
    >>> data.factors_num_values, data.observation_shape
    ([2, 3], (8, 8, 1))
    >>> try:
    ...     register("dsprites_full", ToyData, kind="toy", description="clash")
    ... except ValueError as err:
    ...     print(err)
    data set name 'dsprites_full' is already registered for 'dsprites'
    """
    if kind not in KINDS:
        raise InvalidValueError(f"kind must be one of {KINDS}, got {kind!r}")
    for key in (name, *aliases):
        owner = _REGISTRY.get(key) or _REGISTRY.get(_ALIASES.get(key, ""))
        if owner is not None and owner.name != name:
            raise InvalidValueError(f"data set name {key!r} is already registered for {owner.name!r}")
    info = DatasetInfo(name, kind, description, factory, tuple(aliases))
    _REGISTRY[name] = info
    for alias in aliases:
        _ALIASES[alias] = name
    return info


def _ensure_loaded() -> None:
    global _loaded
    if not _loaded:
        _loaded = True
        # The toy set lives in the core, which imports nothing above it, so the registry registers it.
        from .core.memory import ToyData

        register(
            "toy",
            ToyData,
            kind="toy",
            description="in-memory toy set: one brightness band per factor (tests, examples; no download)",
        )
        for module in _PROVIDERS:
            importlib.import_module(module)


_DISCOVERERS: list[Callable[[], list[DatasetInfo]]] = []


def register_discoverer(discover: Callable[[], list[DatasetInfo]]) -> None:
    """Let a provider add entries found at call time (e.g. user manifests on ``$GTDATA_MANIFESTS``).

    ``discover()`` runs on every lookup, so the entries follow the environment. A registered name or
    alias is never replaced: a discovered entry with a taken name is left out, a taken alias is dropped.
    """
    if discover not in _DISCOVERERS:
        _DISCOVERERS.append(discover)


def _entries() -> tuple[dict[str, DatasetInfo], dict[str, str]]:
    """The registered entries and aliases, plus the discovered ones that do not collide with them."""
    _ensure_loaded()
    entries, aliases = dict(_REGISTRY), dict(_ALIASES)
    for discover in _DISCOVERERS:
        for info in discover():
            if info.name in entries or info.name in aliases:
                continue
            free = tuple(a for a in info.aliases if a not in entries and a not in aliases)
            entries[info.name] = info if free == info.aliases else replace(info, aliases=free)
            aliases.update((alias, info.name) for alias in free)
    return entries, aliases


def list_datasets(kind: str | None = None) -> list[DatasetInfo]:
    """Every registered data set (optionally of one ``kind``), sorted by kind then name.

    Includes the data sets of user manifests in the directories of ``$GTDATA_MANIFESTS``.

    Parameters
    ----------
    kind : {"benchmark", "rendered", "toy"}, optional
        Only the entries of this kind; default all.

    Returns
    -------
    list of DatasetInfo
        Sorted by kind (benchmark, rendered, toy), then by name.

    Raises
    ------
    ValueError
        If ``kind`` is not None or one of :data:`KINDS`.

    Examples
    --------
    The sets that render on demand (no download):

    >>> [info.name for info in list_datasets("rendered")]
    ['dsprites_like', 'light3d', 'multi_sprites', 'objects3d', 'shapes3d_like', 'textured_sprites']
    >>> "dsprites" in [info.name for info in list_datasets()]
    True
    """
    if kind is not None and kind not in KINDS:
        raise InvalidValueError(f"kind must be one of {KINDS}, got {kind!r}")
    entries, _aliases = _entries()
    infos = [i for i in entries.values() if kind is None or i.kind == kind]
    return sorted(infos, key=lambda i: (KINDS.index(i.kind), i.name))


def get_info(name: str) -> DatasetInfo:
    """The registry entry of ``name`` or an alias; an UnknownDatasetError (a ValueError) suggests the closest
    names."""
    _ensure_loaded()
    key = _ALIASES.get(name, name)
    if key in _REGISTRY:
        return _REGISTRY[key]
    entries, aliases = _entries()
    key = aliases.get(name, name)
    if key in entries:
        return entries[key]
    known = sorted([*entries, *aliases])
    hint = difflib.get_close_matches(name, known, n=3)
    extra = f"; did you mean {' or '.join(map(repr, hint))}?" if hint else ""
    from .datasets.manifest import UnknownDatasetError

    raise UnknownDatasetError(f"unknown data set {name!r}{extra} Known: {', '.join(sorted(entries))}")


def is_path(name_or_path: Any) -> bool:
    """A ``Path``, a string with a path separator, or a string ending in ``.yaml``/``.yml``/``.h5``/``.hdf5``."""
    if isinstance(name_or_path, os.PathLike):
        return True
    text = str(name_or_path)
    return os.sep in text or "/" in text or text.endswith((".yaml", ".yml", ".h5", ".hdf5"))


def load(name_or_path: str | os.PathLike, **kwargs: Any) -> GroundTruthData:
    """Open a data set by registry name (``"dsprites"``, ``"dsprites_like"``, ``"toy"``…) or by path.

    Paths: a prepared directory (or its ``dataset.yaml``), a gtdata HDF5 file, or a YAML file of a data set
    kind (``kind: manifest``, ``scene2d``, ``scene3d``; see :mod:`gtdata.core.kinds`). Keyword arguments go to
    the data set's factory.

    Parameters
    ----------
    name_or_path : str or os.PathLike
        A registry name or alias (see :func:`list_datasets`), or a path as above. A GroundTruthData is
        returned as it is.
    **kwargs
        Passed to the data set's factory or opener: ``root=``, ``download=``, ``edition=`` for benchmark
        sets, ``factor_sizes=`` for ``"toy"``, ``transform=`` for prepared sets...

    Returns
    -------
    GroundTruthData
        The data set, full grid, no split.

    Raises
    ------
    UnknownDatasetError
        If the name is not registered (a KeyError and ValueError; the message suggests the closest names).
    FileNotFoundError
        If a path names nothing.
    KindError
        If the file is not a data set (e.g. a study spec) or its kind cannot be told.

    See Also
    --------
    list_datasets : the registered names.

    Examples
    --------
    >>> data = load("toy", factor_sizes=(2, 3), image_size=8)
    >>> data.factor_names, data.factors_num_values
    (('factor0', 'factor1'), [2, 3])
    >>> load("dsprites_like").observation_shape
    (64, 64, 1)
    >>> try:
    ...     load("dsprite")
    ... except KeyError as err:
    ...     print(err)
    unknown data set 'dsprite'; did you mean 'dsprites' or 'dsprites_like' or 'dsprites_full'? Known: ...
    """
    if isinstance(name_or_path, GroundTruthData):
        return name_or_path
    if not is_path(name_or_path):
        return get_info(str(name_or_path)).factory(**kwargs)
    path = Path(name_or_path).expanduser()
    if not path.exists():
        raise MissingFileError(
            f"no data set at {path} (a path: a prepared directory, dataset.yaml, .h5 file or spec .yaml)"
        )
    content: Any = kinds.UNREAD
    if path.is_file() and path.suffix.lower() in (".yaml", ".yml"):
        from .store.yamlio import read_yaml

        content = read_yaml(path)  # a syntax error is reported here, with its line and column, for every kind
    _ensure_loaded()
    return kinds.load_file(path, want_data=True, content=content, **kwargs)


def _open_prepared(path: Path, content: Any, **kwargs: Any) -> GroundTruthData:
    from .store.prepared import PreparedData

    return PreparedData(path, **kwargs)


def _open_hdf5(path: Path, content: Any, **kwargs: Any) -> GroundTruthData:
    from .store.hdf5 import import_hdf5

    return import_hdf5(path, **kwargs)


# The registry opens the stored sets by path: prepared directories (kind: prepared, their dataset.yaml) and
# gtdata HDF5 files.
kinds.register_kind("prepared", summary="a prepared data set", load=_open_prepared)
kinds.register_kind("hdf5", summary="a gtdata HDF5 file", load=_open_hdf5)
