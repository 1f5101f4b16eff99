"""Persistence, once for the whole package: every file gtdata writes goes through this module.

- **Crash-safe writes.** A writer writes to a temporary sibling whose name is unique to it (two writers never
  share one), flushes it to disk, verifies it, renames it over the target and flushes the directory, so that a
  reader sees the old file or the complete new one, and a crash or Ctrl-C leaves at most a hidden ``.NAME.*.tmp``.
  :func:`atomic_path` is the general form (any writer that takes a path: ``torch.save``, h5py, matplotlib);
  :func:`atomic_write_bytes` / ``_text`` / ``_json`` / ``_yaml`` the common cases.
- **Plain values.** :func:`to_plain` turns numpy scalars and arrays, tuples, paths and mappings into the plain
  Python values YAML and JSON accept, for every metadata, config and result file.
- **Output safety.** :func:`check_output` is the one check every writer runs before it replaces a path, so that
  gtdata never deletes or moves what it did not write; :func:`replace_dir` swaps in a finished directory and
  :func:`check_free_space` refuses a write the disk cannot hold, before it starts.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import secrets
import shutil
import tempfile
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from gtdata.core.errors import GtdataError

__all__ = [
    "DiskWriteError",
    "InsufficientSpaceError",
    "OutputExistsError",
    "atomic_path",
    "atomic_write_bytes",
    "atomic_write_json",
    "atomic_write_text",
    "atomic_write_yaml",
    "check_free_space",
    "check_output",
    "fsync_dir",
    "move_into_place",
    "replace_dir",
    "to_plain",
]


def fsync_dir(path: Path) -> None:
    """Persist a rename inside ``path`` (a no-op where directories cannot be opened)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """A temporary sibling of ``path`` to write to; on success it is flushed and renamed over ``path``.

    The body of the ``with`` block writes the temporary file (and may check it: raise to abandon it). When the
    block ends normally the file is flushed to disk, renamed over ``path`` and the directory flushed; when it
    raises, the temporary file is deleted and ``path`` is left as it was.

    Parameters
    ----------
    path : path-like
        The file to write. Its directory is created if missing.

    Yields
    ------
    pathlib.Path
        A fresh temporary name in the same directory (``.NAME.<random>.tmp``), unique to this writer.

    Examples
    --------
    >>> import numpy as np
    >>> with atomic_path("weights.npy") as tmp:
    ...     np.save(tmp.open("wb"), np.arange(3))
    >>> np.load("weights.npy")
    array([0, 1, 2])
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        move_into_place(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def move_into_place(src: str | os.PathLike, dst: str | os.PathLike) -> Path:
    """Flush the finished file ``src`` to disk, rename it over ``dst`` (same file system) and flush the directory.

    The last step of every write: after it, ``dst`` survives a crash with the complete content of ``src``.

    Parameters
    ----------
    src : path-like
        A finished file (or directory, which is renamed without flushing its content).
    dst : path-like
        Where it goes; an existing file there is replaced atomically.

    Returns
    -------
    pathlib.Path
        ``dst``.

    Examples
    --------
    >>> from pathlib import Path
    >>> _ = Path(".draft").write_text("final")
    >>> move_into_place(".draft", "final.txt").read_text()
    'final'
    """
    src, dst = Path(src), Path(dst)
    if src.is_file():
        with open(src, "rb") as fh:  # a writer may not have flushed to disk: do it before the rename
            os.fsync(fh.fileno())
    os.replace(src, dst)
    fsync_dir(dst.parent)
    return dst


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` so that readers see either the old file or the complete new one.

    The temporary file is read back and compared with ``data`` before the rename.

    Parameters
    ----------
    path : path-like
        The file to write.
    data : bytes
        Its complete new content.

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    OSError
        The disk refused the write, or the bytes read back differ from those written.

    Examples
    --------
    >>> atomic_write_bytes("hello.bin", b"hi").read_bytes()
    b'hi'
    """
    path = Path(path)
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as fh:
            fh.write(data)
        if tmp.read_bytes() != data:
            raise DiskWriteError(
                f"verification of {tmp} failed: the bytes read back differ from those written to {path}"
            )
    return path


def atomic_write_text(path: str | os.PathLike, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically; see :func:`atomic_write_bytes`.

    Parameters
    ----------
    path : path-like
        The file to write.
    text : str
        Its complete new content.

    Returns
    -------
    pathlib.Path
        ``path``.

    Examples
    --------
    >>> atomic_write_text("notes.txt", "β = 4\n").read_text(encoding="utf-8")
    'β = 4\n'
    """
    return atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_yaml(path: str | os.PathLike, obj: Any) -> Path:
    """Write ``obj`` as YAML (keys in their order, passed through :func:`to_plain`) to ``path`` atomically.

    Parameters
    ----------
    path : path-like
        The file to write.
    obj : object
        Mappings, sequences, numbers, strings, numpy values and paths.

    Returns
    -------
    pathlib.Path
        ``path``.

    Examples
    --------
    >>> import numpy as np
    >>> print(atomic_write_yaml("d.yaml", {"kind": "demo", "shape": (64, 64, np.int64(1))}).read_text())
    kind: demo
    shape:
    - 64
    - 64
    - 1
    <BLANKLINE>
    """
    return atomic_write_text(path, yaml.safe_dump(to_plain(obj), sort_keys=False, allow_unicode=True))


def atomic_write_json(path: str | os.PathLike, obj: Any, *, indent: int | None = 2, sort_keys: bool = False) -> Path:
    """Write ``obj`` as JSON (via :func:`to_plain` with ``json=True``) to ``path`` atomically, newline-terminated.

    Parameters
    ----------
    path : path-like
        The file to write.
    obj : object
        Mappings, sequences, numbers, strings, numpy values and paths; NaN and infinities become ``null``.
    indent : int or None, default 2
        Indentation of the JSON text (``None``: one line).
    sort_keys : bool, default False
        Sort the keys of every mapping.

    Returns
    -------
    pathlib.Path
        ``path``.

    Examples
    --------
    >>> print(atomic_write_json("m.json", {"score": float("nan"), "n": 3}, indent=None).read_text(), end="")
    {"score": null, "n": 3}
    """
    text = json.dumps(to_plain(obj, json=True), indent=indent, sort_keys=sort_keys, allow_nan=False)
    return atomic_write_text(path, text + "\n")


def to_plain(value: Any, *, json: bool = False) -> Any:
    """``value`` with numpy values, tuples, paths and mappings turned into plain YAML/JSON values (recursively).

    Parameters
    ----------
    value : object
        Any nesting of mappings, lists, tuples, numpy arrays and scalars, paths and plain values.
    json : bool, default False
        Also make the result valid JSON: NaN and infinities become ``None`` (JSON has neither) and objects of
        any other type become their ``str``.

    Returns
    -------
    object
        Mappings become ``dict`` with ``str`` keys, tuples and arrays become lists, numpy scalars Python
        numbers, paths strings; other values are returned as they are (``json=False``).

    Examples
    --------
    >>> import numpy as np
    >>> from pathlib import Path
    >>> to_plain({"shape": (64, 64), "scale": np.float32(0.5), "root": Path("/data"), 1: np.arange(2)})
    {'shape': [64, 64], 'scale': 0.5, 'root': '/data', '1': [0, 1]}
    >>> to_plain([float("inf"), np.nan, {3}], json=True)
    [None, None, '{3}']
    """
    if isinstance(value, Mapping):
        return {str(k): to_plain(v, json=json) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_plain(v, json=json) for v in value]
    if isinstance(value, np.ndarray):
        return to_plain(value.tolist(), json=json)
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, Path):
        return str(value)
    if json:
        if isinstance(value, float) and not math.isfinite(value):
            return None
        if not (isinstance(value, (str, int, float, bool)) or value is None):
            return str(value)
    return value


class DiskWriteError(GtdataError, OSError):
    """A write that did not reach the disk intact: the bytes or the object read back differ from those written."""


class InsufficientSpaceError(GtdataError, OSError):
    """The disk cannot hold what is about to be written (checked before the first byte)."""


class OutputExistsError(GtdataError, FileExistsError):
    """An output path holds something gtdata may not replace: user data, or a gtdata set without ``overwrite``."""


def check_output(
    path: str | os.PathLike,
    *,
    directory: bool,
    is_gtdata: Callable[[Path], bool],
    overwrite: bool,
    what: str = "a gtdata data set",
) -> None:
    """Raise :class:`OutputExistsError` unless gtdata may write ``path`` (replacing what is there).

    Every writer calls this before anything that could delete or move ``path``. Allowed: a path that does
    not exist, an empty directory (when ``directory``), and ``what`` recognised by ``is_gtdata(path)``
    when ``overwrite`` is true. Refused whatever ``overwrite`` says: a file where a directory goes (and the
    reverse), a symbolic link, and a non-empty directory or a file that ``is_gtdata`` does not recognise.

    Parameters
    ----------
    path : path-like
        The output path.
    directory : bool
        True when the output is a directory (a prepared set), False for a file (an HDF5 export).
    is_gtdata : callable
        ``is_gtdata(path) -> bool``: whether ``path`` holds output that gtdata wrote (safe to replace).
    overwrite : bool
        The caller's explicit permission to replace a gtdata output.
    what : str
        The kind of output, for the messages.

    Raises
    ------
    OutputExistsError
        A FileExistsError whose message names the path, what is wrong and what to do.
    """
    path = Path(path)
    if not os.path.lexists(path):
        return
    elsewhere = "choose another output path, or move it away yourself; gtdata never deletes files it did not write"
    if path.is_symlink():
        raise OutputExistsError(
            f"{path} is a symbolic link; gtdata does not write through or replace links: {elsewhere}"
        )
    if directory and not path.is_dir():
        raise OutputExistsError(f"{path} is an existing file, not a gtdata data set directory: {elsewhere}")
    if not directory and path.is_dir():
        raise OutputExistsError(f"{path} is a directory, where a file ({what}) goes: {elsewhere}")
    if directory and not any(path.iterdir()):
        return  # an empty directory holds nothing to lose
    if not is_gtdata(path):
        if directory:
            names = sorted(p.name for p in path.iterdir())
            shown = ", ".join(map(repr, names[:3])) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
            raise OutputExistsError(
                f"{path} is a directory that is not a gtdata data set (it holds {shown}): {elsewhere}"
            )
        raise OutputExistsError(f"{path} exists and is not {what}: {elsewhere}")
    if not overwrite:
        raise OutputExistsError(
            f"{path} already holds {what}; pass overwrite=True (command line: --overwrite) "
            f"to replace it, or choose another output path"
        )


def replace_dir(src: Path, dst: Path) -> None:
    """Move the finished directory ``src`` to ``dst``, replacing an older ``dst`` only after the move.

    The caller has checked ``dst`` with :func:`check_output`; the old one is moved to a fresh hidden name
    (never an existing path) and deleted once ``src`` is in place.
    """
    old = None
    if os.path.lexists(dst):
        old = dst.with_name(f".{dst.name}.old-{secrets.token_hex(4)}")
        while os.path.lexists(old):
            old = dst.with_name(f".{dst.name}.old-{secrets.token_hex(4)}")
        os.replace(dst, old)
    os.replace(src, dst)
    fsync_dir(dst.parent)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def check_free_space(directory: str | os.PathLike, nbytes: int, what: str) -> None:
    """Raise OSError before writing ``nbytes`` to ``directory`` if the disk cannot hold them."""
    directory = Path(directory)
    probe = directory
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    free = shutil.disk_usage(probe).free
    if nbytes > free:
        raise InsufficientSpaceError(
            f"{what} needs {nbytes / 2**30:.2f} GiB but only {free / 2**30:.2f} GiB are free on "
            f"the disk holding {directory}; free space or choose another location (e.g. $GTDATA_HOME)"
        )
