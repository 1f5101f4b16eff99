"""Data set manifests: one YAML file per data set, validated against one schema on load.

A manifest names the files of a data set (every known URL in preference order, size, checksums — either
valid for the file wherever it comes from, or tied to one URL), its factors with their actual values, the
observation shape, citation and licence. ``editions`` replace the files and factors for another release of
the same data (e.g. MPI3D's 2019 grid). Search order for a name: the directories in ``$GTDATA_MANIFESTS``
(``os.pathsep``-separated), then the manifests shipped with gtdata.
"""

from __future__ import annotations

import difflib
import os
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from gtdata.core.errors import GtdataError, InvalidValueError, UnknownNameError
from gtdata.core.factors import FactorSpecError, parse_factors
from gtdata.store.yamlio import describe_yaml_error

SCHEMA_VERSION = 1

#: Checksum algorithms a manifest may name, with the length of their hex digest.
CHECKSUM_ALGORITHMS = {"sha256": 64, "md5": 32, "sha1": 40, "git_sha1": 40}

#: Preparation formats known to gtdata (one streaming preparer each).
FORMATS = ("dsprites", "smallnorb", "cars3d", "shapes3d", "mpi3d", "image")

#: The ``kind:`` a manifest file carries (files written before ``kind:`` existed are recognised by their keys).
KIND = "manifest"

_TOP_KEYS = {
    "kind",
    "schema",
    "name",
    "title",
    "description",
    "format",
    "homepage",
    "license",
    "citation",
    "observation_shape",
    "aliases",
    "notes",
    "factors",
    "files",
    "editions",
}
_REQUIRED_TOP = ("schema", "name", "title", "format", "license", "citation", "observation_shape", "factors", "files")
_FILE_KEYS = {"name", "size", "checksums", "sources", "manual", "role"}
_SOURCE_KEYS = {"url", "checksums", "note"}
_MANIFEST_FACTOR_KEYS = ("raw", "nuisance")  # beside the keys of the core factor dialect
_EDITION_KEYS = {"description", "aliases", "factors", "files"}
_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_]*$")
_FILE_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_ROLE_RE = re.compile(r"^[a-z0-9][a-z0-9_-]*$")

#: The ``role`` each file of a format's manifest must carry, one file per role: the preparer finds its
#: files by role, never by their names (which mirrors and editions may change).
REQUIRED_ROLES: dict[str, tuple[str, ...]] = {
    "smallnorb": ("training-dat", "training-cat", "training-info", "testing-dat", "testing-cat", "testing-info"),
}


class ManifestError(GtdataError, ValueError):
    """A manifest is missing or does not follow the schema; the message names the file and the field."""


class UnknownDatasetError(GtdataError, KeyError, ValueError):
    """No manifest has this name or alias; the message suggests the closest known name."""

    def __str__(self) -> str:
        return str(self.args[0])


@dataclass(frozen=True)
class Source:
    """One URL of a file; ``checksums`` hold only for the bytes served at this URL."""

    url: str
    checksums: dict[str, str] = field(default_factory=dict)
    note: str | None = None


@dataclass(frozen=True)
class FileEntry:
    """One raw file: its name in the cache, URLs in preference order, size (bytes), checksums, and its
    ``role`` for the preparer (e.g. SmallNORB's ``training-dat``) where the format needs one."""

    name: str
    sources: tuple[Source, ...]
    size: int | None = None
    checksums: dict[str, str] = field(default_factory=dict)
    manual: str | None = None
    role: str | None = None

    @property
    def published(self) -> bool:
        """True when some checksum is published for this file (for any URL)."""
        return bool(self.checksums) or any(s.checksums for s in self.sources)


@dataclass(frozen=True)
class FactorEntry:
    """A factor: its actual ``values``, what the raw file stores for each value (``raw``), unit, nuisance flag."""

    name: str
    values: tuple[Any, ...]
    raw: tuple[Any, ...]
    unit: str | None = None
    nuisance: bool = False

    @property
    def size(self) -> int:
        return len(self.values)


@dataclass(frozen=True)
class Manifest:
    """A validated manifest, resolved to one edition (``edition`` is None for the default one).

    Read one with :func:`load_manifest`; the fields mirror the YAML keys (``manifests/*.yaml``), already
    checked, so the constructor itself checks nothing.

    Parameters
    ----------
    name : str
        The data set's name (``"dsprites"``).
    title : str
        Its human-readable title.
    description : str
        One line; an edition may replace it.
    format : str
        The preparer that reads the raw files (``"dsprites"``, ``"mpi3d"``...).
    homepage : str or None
        Where the data set is published.
    license : str
        The licence of the data as its sources state it (``"Apache-2.0"``), or a note that they state none.
    citation : str
        BibTeX of the paper to cite.
    observation_shape : tuple of int
        (H, W, C) of the prepared images, in pixels and channels.
    aliases : tuple of str
        Other names that find this manifest (``"dsprites_full"``).
    notes : str or None
        Preprocessing notes (what preparation changes relative to the published files).
    factors : tuple of FactorEntry
        The factors in storage order (last fastest), with their values and raw stored values.
    files : tuple of FileEntry
        The raw files: name, size in bytes, checksums, URLs in preference order, role.
    editions : dict
        Other releases by name, each overriding ``description``, ``factors`` or ``files``.
    path : pathlib.Path
        The YAML file it was read from.
    edition : str or None, default None
        The edition the fields are resolved to; None for the default release.

    See Also
    --------
    load_manifest : finds, reads and validates a manifest.

    Examples
    --------
    >>> m = load_manifest("dsprites")
    >>> m.name, m.license, m.observation_shape, m.num_images
    ('dsprites', 'Apache-2.0', (64, 64, 1), 737280)
    >>> m.factors[1].name, m.factors[1].values
    ('scale', (0.5, 0.6, 0.7, 0.8, 0.9, 1.0))
    >>> h5 = m.with_edition("hdf5")
    >>> h5.key, [f.name for f in h5.files]
    ('dsprites-hdf5', ['dsprites_ndarray_co1sh3sc6or40x32y32_64x64.hdf5'])
    """

    name: str
    title: str
    description: str
    format: str
    homepage: str | None
    license: str
    citation: str
    observation_shape: tuple[int, int, int]
    aliases: tuple[str, ...]
    notes: str | None
    factors: tuple[FactorEntry, ...]
    files: tuple[FileEntry, ...]
    editions: dict[str, dict[str, Any]]
    path: Path
    edition: str | None = None

    @property
    def key(self) -> str:
        """Name of the prepared set: ``name`` or ``name-edition``."""
        return self.name if self.edition is None else f"{self.name}-{self.edition}"

    @property
    def sizes(self) -> tuple[int, ...]:
        return tuple(f.size for f in self.factors)

    @property
    def num_images(self) -> int:
        return int(np.prod(self.sizes, dtype=np.int64)) if self.factors else 0

    def file(self, name: str) -> FileEntry:
        for entry in self.files:
            if entry.name == name:
                return entry
        raise UnknownNameError(f"manifest {self.name!r} has no file {name!r}; files: {[f.name for f in self.files]}")

    def file_with_role(self, role: str) -> FileEntry:
        """The file whose ``role`` is ``role`` (roles are unique within a manifest's files)."""
        for entry in self.files:
            if entry.role == role:
                return entry
        roles = [f.role for f in self.files if f.role]
        raise UnknownNameError(f"manifest {self.path} has no file with role {role!r}; roles: {roles}")

    def with_edition(self, edition: str | None) -> Manifest:
        """This manifest with the files and factors of ``edition`` (None: the default edition)."""
        if edition is None or edition == self.edition:
            return self
        if self.edition is not None:
            raise ManifestError(f"manifest {self.name!r} is already resolved to edition {self.edition!r}")
        if edition not in self.editions:
            allowed = ", ".join(repr(e) for e in self.editions) or "none"
            raise InvalidValueError(f"data set {self.name!r} has no edition {edition!r}; editions: {allowed} (or None)")
        spec = self.editions[edition]
        where = f"editions.{edition}"
        return replace(
            self,
            edition=edition,
            description=spec.get("description", self.description),
            factors=_parse_factors(spec["factors"], self.path, f"{where}.factors")
            if "factors" in spec
            else self.factors,
            files=_parse_files(spec["files"], self.path, f"{where}.files") if "files" in spec else self.files,
        )

    def factor_space_dict(self) -> list[dict[str, Any]]:
        """Factors as plain dicts (name, values, unit, nuisance) for dataset.yaml and FactorSpace."""
        return [
            {"name": f.name, "values": list(f.values), "unit": f.unit, "nuisance": f.nuisance} for f in self.factors
        ]


def _fail(path: Path, where: str, msg: str) -> ManifestError:
    return ManifestError(f"manifest {path}: field {where!r}: {msg}")


def _check_keys(obj: Any, allowed: set[str], path: Path, where: str) -> dict[str, Any]:
    if not isinstance(obj, dict):
        raise _fail(path, where, f"must be a mapping, got {type(obj).__name__}")
    unknown = sorted(set(obj) - allowed)
    if unknown:
        raise _fail(
            path,
            f"{where}.{unknown[0]}" if where else unknown[0],
            f"unknown field; allowed: {', '.join(sorted(allowed))}",
        )
    return obj


def _checksums(obj: Any, path: Path, where: str) -> dict[str, str]:
    if obj is None:
        return {}
    if not isinstance(obj, dict):
        raise _fail(path, where, "must be a mapping algorithm -> hex digest")
    out = {}
    for algo, digest in obj.items():
        if algo not in CHECKSUM_ALGORITHMS:
            raise _fail(path, f"{where}.{algo}", f"unknown algorithm; allowed: {', '.join(CHECKSUM_ALGORITHMS)}")
        n = CHECKSUM_ALGORITHMS[algo]
        if not isinstance(digest, str) or not re.fullmatch(rf"[0-9a-fA-F]{{{n}}}", digest):
            raise _fail(path, f"{where}.{algo}", f"must be {n} hex digits, got {digest!r}")
        out[algo] = digest.lower()
    return out


def _parse_files(obj: Any, path: Path, where: str) -> tuple[FileEntry, ...]:
    if not isinstance(obj, list) or not obj:
        raise _fail(path, where, "must be a non-empty list of files")
    files = []
    for i, item in enumerate(obj):
        w = f"{where}[{i}]"
        _check_keys(item, _FILE_KEYS, path, w)
        name = item.get("name")
        if not isinstance(name, str) or not _FILE_NAME_RE.match(name):
            raise _fail(path, f"{w}.name", f"must be a plain file name (letters, digits, . _ -), got {name!r}")
        size = item.get("size")
        if size is not None and (not isinstance(size, int) or isinstance(size, bool) or size <= 0):
            raise _fail(path, f"{w}.size", f"must be a positive integer number of bytes, got {size!r}")
        sources_obj = item.get("sources")
        if not isinstance(sources_obj, list) or not sources_obj:
            raise _fail(path, f"{w}.sources", "must be a non-empty list of {url: ...}")
        sources = []
        for j, src in enumerate(sources_obj):
            sw = f"{w}.sources[{j}]"
            _check_keys(src, _SOURCE_KEYS, path, sw)
            url = src.get("url")
            if not isinstance(url, str) or not re.match(r"^(https?|file)://\S+$", url):
                raise _fail(path, f"{sw}.url", f"must be an http(s):// or file:// URL, got {url!r}")
            sources.append(Source(url, _checksums(src.get("checksums"), path, f"{sw}.checksums"), src.get("note")))
        manual = item.get("manual")
        if manual is not None and not isinstance(manual, str):
            raise _fail(path, f"{w}.manual", "must be a URL string")
        role = item.get("role")
        if role is not None and (not isinstance(role, str) or not _ROLE_RE.match(role)):
            raise _fail(
                path, f"{w}.role", f"must be lower-case letters, digits, _ and - (e.g. training-dat), got {role!r}"
            )
        files.append(
            FileEntry(
                name, tuple(sources), size, _checksums(item.get("checksums"), path, f"{w}.checksums"), manual, role
            )
        )
    names = [f.name for f in files]
    if len(set(names)) != len(names):
        raise _fail(path, where, f"file names must be unique, got {names}")
    roles = [f.role for f in files if f.role is not None]
    if len(set(roles)) != len(roles):
        raise _fail(path, where, f"file roles must be unique, got {roles}")
    return tuple(files)


def _check_roles(files: tuple[FileEntry, ...], fmt: str, path: Path, where: str) -> None:
    required = REQUIRED_ROLES.get(fmt, ())
    have = {f.role for f in files}
    missing = [r for r in required if r not in have]
    if missing:
        raise _fail(
            path,
            where,
            f"format {fmt!r} needs one file of each role {', '.join(required)} "
            f"(the field 'role' of each file); missing: {', '.join(missing)}",
        )


def _parse_factors(obj: Any, path: Path, where: str) -> tuple[FactorEntry, ...]:
    # The factor itself is gtdata's one factor dialect (parsed in the core); ``raw`` and ``nuisance`` are the
    # manifest's own keys.
    try:
        factors = parse_factors(obj, place=where, extra_keys=_MANIFEST_FACTOR_KEYS, allow_empty=True)
    except FactorSpecError as exc:
        raise _fail(path, exc.place, exc.message) from None
    entries = []
    for i, (item, factor) in enumerate(zip(obj, factors)):
        w = f"{where}[{i}]"
        values = factor.values.tolist()
        raw = item.get("raw")
        if raw is None:
            raw = values if not factor.is_categorical else list(range(len(values)))
        elif not isinstance(raw, list) or len(raw) != len(values):
            raise _fail(path, f"{w}.raw", f"must be a list of {len(values)} stored values, one per value")
        nuisance = item.get("nuisance", False)
        if not isinstance(nuisance, bool):
            raise _fail(path, f"{w}.nuisance", "must be true or false")
        entries.append(FactorEntry(factor.name, tuple(values), tuple(raw), factor.unit, nuisance))
    return tuple(entries)


def parse_manifest(data: Any, path: Path) -> Manifest:
    """Validate the parsed YAML ``data`` of the manifest at ``path``; raises ManifestError naming the field."""
    _check_keys(data, _TOP_KEYS, path, "")
    for key in _REQUIRED_TOP:
        if key not in data:
            raise _fail(path, key, "required field is missing")
    if data.get("kind", KIND) != KIND:
        raise _fail(path, "kind", f"must be {KIND!r} in a manifest, got {data['kind']!r}")
    if data["schema"] != SCHEMA_VERSION:
        raise _fail(path, "schema", f"must be {SCHEMA_VERSION}, got {data['schema']!r}")
    name = data["name"]
    if not isinstance(name, str) or not _NAME_RE.match(name):
        raise _fail(path, "name", f"must be lower-case letters, digits and _, got {name!r}")
    for key in ("title", "license", "citation"):
        if not isinstance(data[key], str) or not data[key].strip():
            raise _fail(path, key, "must be a non-empty string")
    if data["format"] not in FORMATS:
        raise _fail(path, "format", f"unknown format {data['format']!r}; allowed: {', '.join(FORMATS)}")
    shape = data["observation_shape"]
    if not (isinstance(shape, list) and len(shape) == 3 and all(isinstance(s, int) and s > 0 for s in shape)):
        raise _fail(path, "observation_shape", f"must be [height, width, channels] positive ints, got {shape!r}")
    aliases = data.get("aliases") or []
    if not isinstance(aliases, list) or not all(isinstance(a, str) and _NAME_RE.match(a) for a in aliases):
        raise _fail(path, "aliases", "must be a list of lower-case names")
    editions = data.get("editions") or {}
    if not isinstance(editions, dict):
        raise _fail(path, "editions", "must be a mapping edition name -> {description, factors, files}")
    editions = {str(k): v for k, v in editions.items()}
    for ed, spec in editions.items():
        _check_keys(spec, _EDITION_KEYS, path, f"editions.{ed}")
        if not isinstance(ed, str) or not re.match(r"^[A-Za-z0-9_]+$", ed):
            raise _fail(path, f"editions.{ed}", "edition names are letters, digits and _")
        if "factors" in spec:
            _parse_factors(spec["factors"], path, f"editions.{ed}.factors")
        if "files" in spec:
            _check_roles(
                _parse_files(spec["files"], path, f"editions.{ed}.files"), data["format"], path, f"editions.{ed}.files"
            )
        ed_aliases = spec.get("aliases") or []
        if not isinstance(ed_aliases, list) or not all(isinstance(a, str) and _NAME_RE.match(a) for a in ed_aliases):
            raise _fail(path, f"editions.{ed}.aliases", "must be a list of lower-case names")
    files = _parse_files(data["files"], path, "files")
    _check_roles(files, data["format"], path, "files")
    return Manifest(
        name=name,
        title=data["title"],
        description=str(data.get("description", "")).strip(),
        format=data["format"],
        homepage=data.get("homepage"),
        license=data["license"],
        citation=data["citation"],
        observation_shape=(shape[0], shape[1], shape[2]),
        aliases=tuple(aliases),
        notes=data.get("notes"),
        factors=_parse_factors(data["factors"], path, "factors"),
        files=files,
        editions=editions,
        path=path,
    )


_PARSED: dict[tuple[str, int, int], Manifest] = {}


def read_manifest(path: str | os.PathLike[str]) -> Manifest:
    """Read and validate one manifest file (parsed once per file version)."""
    p = Path(path)
    try:
        st = p.stat()
        key = (str(p.resolve()), st.st_mtime_ns, st.st_size)
        if key in _PARSED:
            return _PARSED[key]
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise ManifestError(f"cannot read manifest {p}: {exc.strerror or exc}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ManifestError(
            f"manifest {p} is not valid YAML: {describe_yaml_error(exc)}; fix the syntax there"
        ) from None
    manifest = parse_manifest(data, p)
    _PARSED[key] = manifest
    return manifest


def builtin_manifest_dir() -> Path:
    """The manifests shipped with gtdata (``gtdata/manifests``, a link to the top-level ``manifests/``).

    Falls back to the checkout's ``manifests/`` where the link was not materialized (e.g. a Windows clone
    without symlink support).
    """
    package = Path(__file__).resolve().parent.parent
    linked = package / "manifests"
    return linked if linked.is_dir() else package.parent / "manifests"


def manifest_dirs() -> list[Path]:
    """Directories searched for ``NAME.yaml``: ``$GTDATA_MANIFESTS`` entries first, then the built-in ones."""
    dirs = [Path(d) for d in os.environ.get("GTDATA_MANIFESTS", "").split(os.pathsep) if d]
    return dirs + [builtin_manifest_dir()]


def _normalize(name: str) -> str:
    return name.strip().lower().replace("-", "_")


def all_manifests() -> dict[str, Manifest]:
    """Every manifest found, by name; a user directory shadows a built-in manifest of the same name."""
    found: dict[str, Manifest] = {}
    for d in reversed(manifest_dirs()):
        if not d.is_dir():
            continue
        for p in sorted(d.glob("*.yaml")):
            m = read_manifest(p)
            found[m.name] = m
    return found


def resolve_name(name: str) -> tuple[Manifest, str | None]:
    """Find the manifest and edition for a data set name or alias; unknown names suggest the closest."""
    key = _normalize(name)
    manifests = all_manifests()
    table: dict[str, tuple[str, str | None]] = {}
    for m in manifests.values():
        table[m.name] = (m.name, None)
        for a in m.aliases:
            table.setdefault(a, (m.name, None))
        for ed, spec in m.editions.items():
            for a in spec.get("aliases") or []:
                table.setdefault(a, (m.name, ed))
    if key not in table:
        close = difflib.get_close_matches(key, list(table), n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise UnknownDatasetError(f"no manifest for data set {name!r}.{hint} Known: {', '.join(sorted(table))}")
    mname, edition = table[key]
    return manifests[mname], edition


def load_manifest(name_or_path: str | os.PathLike[str], edition: str | None = None) -> Manifest:
    """The manifest for a name/alias, a ``.yaml`` path, or a directory holding it, resolved to ``edition``.

    Names are looked up among the built-in manifests and those in the directories of ``$GTDATA_MANIFESTS``;
    an edition's alias (``"mpi3d_toy_2019"``) implies that edition.

    Parameters
    ----------
    name_or_path : str or os.PathLike
        A data set name or alias, a manifest ``.yaml`` file, or a directory holding exactly one.
    edition : str, optional
        Resolve to this edition (e.g. ``"hdf5"`` for dSprites); default the one the name implies, else the
        default release.

    Returns
    -------
    Manifest
        Validated and resolved to the edition.

    Raises
    ------
    UnknownDatasetError
        If no manifest has that name or alias (a KeyError; the message suggests the closest name).
    ManifestError
        If the file cannot be read, is not valid YAML, breaks the manifest schema (the message names the
        field, e.g. ``files[2].checksums.sha256``), or a directory holds other than one ``.yaml`` file.
    InvalidValueError
        If the manifest has no edition ``edition`` (a ValueError; the message lists the editions).

    Examples
    --------
    >>> m = load_manifest("mpi3d_toy_2019")  # an edition's alias
    >>> m.key, m.edition, m.sizes
    ('mpi3d_toy-2019', '2019', (4, 4, 2, 3, 3, 40, 40))
    >>> [f.name for f in load_manifest("dsprites_full").factors]
    ['shape', 'scale', 'orientation', 'posX', 'posY']
    >>> try:
    ...     load_manifest("dsprites", edition="v2")
    ... except ValueError as err:
    ...     print(err)
    data set 'dsprites' has no edition 'v2'; editions: 'hdf5' (or None)
    """
    p = Path(name_or_path)
    if str(name_or_path).endswith((".yaml", ".yml")) or p.is_file():
        m, implied = read_manifest(p), None
    elif p.is_dir():
        files = sorted(p.glob("*.yaml"))
        if len(files) != 1:
            raise ManifestError(f"manifest directory {p} must hold exactly one .yaml file, found {len(files)}")
        m, implied = read_manifest(files[0]), None
    else:
        m, implied = resolve_name(str(name_or_path))
    return m.with_edition(edition if edition is not None else implied)
