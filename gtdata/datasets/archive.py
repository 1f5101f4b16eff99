"""Safe archive extraction: every member is checked before anything is written, so an archive with an
absolute path, a ``..`` component, a link, or a device entry is refused as a whole. An archive is extracted
into a directory named by its checksum (:func:`extraction_dir`), so a replaced archive is extracted again
instead of its predecessor's files being reused."""

from __future__ import annotations

import os
import posixpath
import shutil
import tarfile
import tempfile
from pathlib import Path

from gtdata.core.errors import GtdataError, InvalidValueError
from gtdata.core.persist import move_into_place


class UnsafeArchiveError(GtdataError, ValueError):
    """An archive member would land outside the target directory (or is a link or special file)."""


def _check_name(archive: Path, name: str) -> str:
    parts = name.replace("\\", "/").split("/")
    norm = posixpath.normpath(name.replace("\\", "/"))
    # Any ".." component is refused, even one that would resolve inside the target.
    if name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":") or ".." in parts:
        raise UnsafeArchiveError(
            f"archive {archive} has an unsafe member {name!r} (absolute path or '..' component); refusing to extract it"
        )
    return norm


def safe_members(archive: Path, tar: tarfile.TarFile, prefix: str = "") -> list[tarfile.TarInfo]:
    """All members of ``tar`` after checking every one; those under ``prefix`` (a directory) are returned."""
    keep = []
    for m in tar.getmembers():
        norm = _check_name(archive, m.name)
        if m.issym() or m.islnk():
            raise UnsafeArchiveError(
                f"archive {archive} has a link member {m.name!r} -> {m.linkname!r}; refusing to extract it"
            )
        if not (m.isfile() or m.isdir()):
            raise UnsafeArchiveError(
                f"archive {archive} has a special member {m.name!r} (device or fifo); refusing to extract it"
            )
        if not prefix or norm == prefix.rstrip("/") or norm.startswith(prefix.rstrip("/") + "/"):
            keep.append(m)
    return keep


def extraction_dir(archive: Path, sha256: str) -> Path:
    """Where ``archive`` with content ``sha256`` (hex) is extracted: beside it, named by name and checksum."""
    return archive.with_name(f"{archive.name}.{sha256[:16]}.extracted")


def extract_tar(archive: Path, target: Path, prefix: str = "") -> Path:
    """Extract the members of ``archive`` under ``prefix`` into ``target`` (created atomically).

    An existing ``target`` is a complete earlier extraction and is returned as it is: name it with
    :func:`extraction_dir` so that it belongs to this very archive. Raises UnsafeArchiveError before
    writing anything if any member is unsafe, and ValueError if nothing lies under ``prefix``. Returns
    ``target``.
    """
    if target.exists():
        return target
    try:
        tar = tarfile.open(archive, "r:*")
    except (tarfile.TarError, OSError) as exc:
        raise InvalidValueError(
            f"{archive} is not a readable tar archive ({exc}); delete it and download it again"
        ) from None
    with tar:
        members = safe_members(archive, tar, prefix)
        if not any(m.isfile() for m in members):
            raise InvalidValueError(f"archive {archive} has no files under {prefix or '/'!r}")
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}-"))
        try:
            for m in members:
                dest = tmp / posixpath.normpath(m.name)
                if m.isdir():
                    dest.mkdir(parents=True, exist_ok=True)
                    continue
                dest.parent.mkdir(parents=True, exist_ok=True)
                src = tar.extractfile(m)
                if src is None:
                    raise UnsafeArchiveError(f"archive {archive}: cannot read member {m.name!r}")
                with src, open(dest, "wb") as out:
                    shutil.copyfileobj(src, out, 1 << 20)
                os.chmod(dest, 0o644)
            move_into_place(tmp, target)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    return target
