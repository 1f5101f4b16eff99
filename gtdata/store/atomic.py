"""Crash-safe writes: write to a temporary sibling, flush to disk, then rename into place; and the one check
every writer runs before it replaces a path, so that gtdata never deletes or moves what it did not write."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import tempfile
from pathlib import Path
from typing import Any, Callable

import yaml
from gtdata.core.errors import GtdataError


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


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` so that readers see either the old file or the complete new one."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)
    return path


def atomic_write_text(path: str | os.PathLike, text: str) -> Path:
    return atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_yaml(path: str | os.PathLike, obj: Any) -> Path:
    return atomic_write_text(path, yaml.safe_dump(obj, sort_keys=False, allow_unicode=True))


def atomic_write_json(path: str | os.PathLike, obj: Any) -> Path:
    return atomic_write_text(path, json.dumps(obj, indent=2, sort_keys=False, default=_json_default) + "\n")


def _json_default(obj: Any) -> Any:
    if hasattr(obj, "tolist"):
        return obj.tolist()
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"{type(obj).__name__} is not JSON serializable")


class OutputExistsError(GtdataError, FileExistsError):
    """An output path holds something gtdata may not replace: user data, or a gtdata set without ``overwrite``."""


def check_output(path: str | os.PathLike, *, directory: bool, is_gtdata: Callable[[Path], bool],
                 overwrite: bool, what: str = "a gtdata data set") -> None:
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
        raise OutputExistsError(f"{path} is a symbolic link; gtdata does not write through or replace links: "
                                f"{elsewhere}")
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
            raise OutputExistsError(f"{path} is a directory that is not a gtdata data set (it holds {shown}): "
                                    f"{elsewhere}")
        raise OutputExistsError(f"{path} exists and is not {what}: {elsewhere}")
    if not overwrite:
        raise OutputExistsError(f"{path} already holds {what}; pass overwrite=True (command line: --overwrite) "
                                f"to replace it, or choose another output path")


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
        raise OSError(f"{what} needs {nbytes / 2**30:.2f} GiB but only {free / 2**30:.2f} GiB are free on "
                      f"the disk holding {directory}; free space or choose another location (e.g. $GTDATA_HOME)")
