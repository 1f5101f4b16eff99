"""What a file is: the ``kind:`` every YAML file of gtdata carries, and the one dispatcher by kind.

Every YAML file gtdata reads or writes starts with ``kind:`` — ``manifest``, ``scene2d`` (2-D sprite render
spec), ``scene3d`` (3-D scene), ``scm``, ``study`` (study spec), ``run_config`` (a run directory's
``config.yaml``), ``study_results`` (a study directory's ``study.yaml``) or ``prepared`` (a prepared set's
``dataset.yaml``); a prepared directory and a gtdata HDF5 file are the kinds ``prepared`` and ``hdf5``.
:func:`identify` tells the kind of a path, :func:`load_file` opens it with the loader its package registered
(:func:`register_kind`); :func:`gtdata.load`, ``gtdata info`` and the command line all go through here.

Files written before ``kind:`` existed have none: their kind is inferred from their keys, here and nowhere
else (:func:`infer_kind`). Each kind's package registers its loader when imported; the table below names that
module, imported the first time a file of the kind is met (so opening a render spec never imports torch).
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from gtdata.core.errors import MissingFileError

from .errors import GtdataError

__all__ = [
    "KIND_KEY",
    "UNREAD",
    "FileKind",
    "Identified",
    "KindError",
    "identify",
    "infer_kind",
    "known_kinds",
    "load_file",
    "register_kind",
]

#: The top-level key that names a file's kind.
KIND_KEY = "kind"

#: The module that registers each kind (plug-in, as the registry's providers: imported by name on first use).
_PROVIDERS: dict[str, str] = {
    "manifest": "gtdata.datasets.catalog",
    "scene2d": "gtdata.render.builtin",
    "scene3d": "gtdata.render.builtin",
    "scm": "gtdata.causal.scm",
    "prepared": "gtdata.registry",
    "hdf5": "gtdata.registry",
    "study": "gtdata.study.spec",
    "study_results": "gtdata.study.results",
    "run_config": "gtdata.training.config",
}

#: Files without ``kind:`` (written before it existed): the first kind all of whose keys the file has.
_LEGACY_KEYS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("prepared", ("format_version", "images")),
    ("manifest", ("schema", "files")),
    ("scm", ("nodes",)),
    ("scene2d", ("objects", "factors")),
    ("study_results", ("fingerprint", "spec")),
    ("study", ("seeds",)),
    ("run_config", ("data",)),
)

_YAML_SUFFIXES = (".yaml", ".yml")
_HDF5_SUFFIXES = (".h5", ".hdf5")
_PREPARED_META = "dataset.yaml"


class _Unread:
    """The ``content`` of a file not read yet (None is valid YAML: an empty file)."""

    def __repr__(self) -> str:
        return "UNREAD"


#: Default of ``content``: the caller has not read the file.
UNREAD: Any = _Unread()


class KindError(GtdataError, ValueError):
    """A file's kind is unknown or cannot be told, or the file is not of the kind the caller needs.

    Examples
    --------
    >>> try:
    ...     infer_kind({"kind": "recipe"}, source="cake.yaml")
    ... except KindError as exc:
    ...     print(str(exc).split(";")[0])
    cake.yaml: unknown kind 'recipe'
    """


@dataclass(frozen=True)
class FileKind:
    """One kind of file: its name, a few words for messages, its loader, and whether it opens a data set.

    ``load(path, content, **kwargs)`` opens the file at ``path`` (``content`` is its parsed YAML, or None for
    a directory or an HDF5 file); with ``is_data`` it returns a :class:`~gtdata.core.data.GroundTruthData`.
    """

    name: str
    summary: str
    load: Callable[..., Any]
    is_data: bool = True


@dataclass(frozen=True)
class Identified:
    """The kind of a path, the path a loader opens (a prepared set's directory) and its parsed YAML."""

    kind: str
    path: Path
    content: Any = None


_KINDS: dict[str, FileKind] = {}


def register_kind(name: str, *, summary: str, load: Callable[..., Any], is_data: bool = True) -> FileKind:
    """Register the loader of a kind of file (each package registers its own kinds when imported).

    Parameters
    ----------
    name : str
        The ``kind:`` value, one of the kinds this module knows (see :func:`known_kinds`).
    summary : str
        A few words for messages ("a data set manifest").
    load : callable
        ``load(path, content, **kwargs)``: opens the file (``content`` is its parsed YAML or None).
    is_data : bool
        Whether ``load`` returns a data set (what :func:`gtdata.load` may open).

    Returns
    -------
    FileKind

    Raises
    ------
    KindError
        ``name`` is not a kind this module knows (add it to the provider table first).

    Examples
    --------
    Only the kinds of the provider table can be registered (``gtdata.causal.scm`` registers ``scm``):

    >>> try:
    ...     register_kind("recipe", summary="a cake", load=print)
    ... except KindError as exc:
    ...     print(str(exc).split(":")[0])
    cannot register kind 'recipe'
    """
    if name not in _PROVIDERS:
        raise KindError(
            f"cannot register kind {name!r}: known kinds are {', '.join(known_kinds())}; add it to "
            f"gtdata.core.kinds._PROVIDERS with the module that registers it"
        )
    kind = FileKind(name, summary, load, is_data)
    _KINDS[name] = kind
    return kind


def known_kinds() -> list[str]:
    """Every kind of file gtdata knows, sorted.

    Returns
    -------
    list of str

    Examples
    --------
    >>> "manifest" in known_kinds() and "scene3d" in known_kinds()
    True
    """
    return sorted(_PROVIDERS)


def _kind(name: str) -> FileKind:
    if name not in _KINDS:
        importlib.import_module(_PROVIDERS[name])  # the provider registers the kind when imported
    if name not in _KINDS:
        raise KindError(
            f"kind {name!r}: its module {_PROVIDERS[name]} registers no loader (a gtdata bug: it "
            f"should call gtdata.core.kinds.register_kind({name!r}, ...))"
        )
    return _KINDS[name]


def infer_kind(content: Any, *, source: str = "the mapping", default: str | None = None) -> str:
    """The kind of a parsed YAML file or mapping: its ``kind:``, else what its keys say (files written
    before ``kind:`` existed).

    Parameters
    ----------
    content : Any
        The parsed YAML (a mapping, for every kind of gtdata file).
    source : str
        The file (or "the mapping"), for messages.
    default : str, optional
        What to return when ``content`` has no ``kind:`` and its keys match no kind; None raises instead.

    Returns
    -------
    str
        The kind, one of :func:`known_kinds` (or ``default``).

    Raises
    ------
    KindError
        ``kind:`` names an unknown kind, or no kind is given or inferred (and no ``default``).

    Examples
    --------
    >>> infer_kind({"kind": "scene3d", "objects": []})
    'scene3d'
    >>> infer_kind({"name": "sprites", "factors": [], "objects": []})
    'scene2d'
    >>> infer_kind({"name": "dsprites"}, default="data set name")
    'data set name'
    """
    if isinstance(content, Mapping) and KIND_KEY in content:
        kind = content[KIND_KEY]
        if kind not in _PROVIDERS:
            raise KindError(f"{source}: unknown kind {kind!r}; known kinds: {', '.join(known_kinds())}")
        return kind
    if isinstance(content, Mapping):
        for kind, keys in _LEGACY_KEYS:
            if all(k in content for k in keys):
                return kind
    if default is not None:
        return default
    what = f"keys {sorted(map(str, content))}" if isinstance(content, Mapping) else f"a {type(content).__name__}"
    raise KindError(
        f"{source}: cannot tell what kind of file this is (no 'kind:' and {what}); add a first line "
        f"'kind: KIND' with KIND one of {', '.join(known_kinds())}"
    )


def identify(path: str | os.PathLike[str], content: Any = UNREAD) -> Identified:
    """The kind of the file or directory at ``path``, read once.

    A directory is a prepared set (its ``dataset.yaml`` is checked when it is opened); ``.h5``/``.hdf5`` is a
    gtdata HDF5 file; a YAML file says its ``kind:`` (or, written before ``kind:`` existed, its keys do).

    Parameters
    ----------
    path : str or PathLike
        A YAML file, a prepared directory or an HDF5 file.
    content : Any, optional
        The file's parsed YAML, where the caller has read it already (``gtdata.store.yamlio.read_yaml`` names
        the line and column of a syntax error); otherwise it is read here.

    Returns
    -------
    Identified
        ``kind``, the ``path`` its loader opens (the directory of a ``dataset.yaml``) and ``content``.

    Raises
    ------
    FileNotFoundError
        Nothing is at ``path``.
    KindError
        The file is not YAML, HDF5 or a directory, is not valid YAML, or its kind is unknown or cannot be told.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> spec = pathlib.Path(tempfile.mkdtemp()) / "chain.yaml"
    >>> _ = spec.write_text("kind: scm\\nnodes: {}\\n")
    >>> identify(spec).kind
    'scm'
    """
    p = Path(path).expanduser()
    if not p.exists():
        raise MissingFileError(
            f"nothing at {p} (a path names a YAML file of gtdata, a prepared directory or an HDF5 file)"
        )
    if p.is_dir():
        return Identified("prepared", p)
    if p.suffix.lower() in _HDF5_SUFFIXES:
        return Identified("hdf5", p)
    if p.suffix.lower() not in _YAML_SUFFIXES:
        raise KindError(f"{p}: not a YAML file (.yaml, .yml), a prepared directory or an HDF5 file (.h5, .hdf5)")
    if content is UNREAD:
        try:
            content = yaml.safe_load(p.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            raise KindError(f"{p} is not valid YAML ({' '.join(str(exc).split())}); fix the syntax there") from None
    # a prepared set's metadata is named dataset.yaml: a damaged one is still opened as one, whose reader
    # names the damaged field
    kind = infer_kind(content, source=str(p), default="prepared" if p.name == _PREPARED_META else None)
    return Identified(kind, p.parent if kind == "prepared" else p, content)


def load_file(path: str | os.PathLike[str], *, want_data: bool = False, content: Any = UNREAD, **kwargs: Any) -> Any:
    """Open the file at ``path`` with the loader of its kind.

    Parameters
    ----------
    path : str or PathLike
        A YAML file of any kind, a prepared directory or an HDF5 file.
    want_data : bool
        Require a data set (as :func:`gtdata.load` does): other kinds raise a KindError saying what the file
        is and how to use it.
    content : Any, optional
        The file's parsed YAML, where the caller has read it already (see :func:`identify`).
    **kwargs
        Passed to the loader (a data set's options, e.g. ``transform``).

    Returns
    -------
    object
        What the kind's loader returns: a data set, a Manifest-backed data set, an SCM, a StudySpec, a
        TrainConfig.

    Raises
    ------
    KindError
        The kind is unknown or cannot be told, or ``want_data`` and the file is not a data set.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> spec = pathlib.Path(tempfile.mkdtemp()) / "pair.yaml"
    >>> _ = spec.write_text("kind: scm\\nfactors: [{name: a, range: 2}, {name: b, range: 2}]\\nnodes: {}\\n")
    >>> load_file(spec).factor_space
    FactorSpace(a=2, b=2; 4 points)
    """
    found = identify(path, content)
    kind = _kind(found.kind)
    if want_data and not kind.is_data:
        raise KindError(
            f"{found.path} is {kind.summary} (kind: {kind.name}), not a data set; open it with "
            f"gtdata.core.kinds.load_file or the command that uses it"
        )
    return kind.load(found.path, found.content, **kwargs)
