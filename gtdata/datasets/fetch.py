"""Downloading raw files: streaming with a progress bar, resume with HTTP Range, retries with exponential
back-off on connection errors and 5xx, the next URL on failure, HTML pages rejected, the checksum verified
before the file is renamed into the cache, and a file lock against concurrent fetches.

User mirrors come first: ``$GTDATA_MIRROR`` holds base URLs or directories (separated by whitespace or
commas), each laid out as ``<base>/<dataset>/<file name in the manifest>``. ``$GTDATA_RETRIES`` (default 4)
and ``$GTDATA_BACKOFF`` (seconds before the first retry, doubled each time; default 1) tune the retries.
"""

from __future__ import annotations

import errno
import json
import logging
import os
import shutil
import time
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from filelock import FileLock

from gtdata.core.errors import GtdataError, NoAccessError
from gtdata.core.persist import atomic_write_text, move_into_place
from gtdata.core.progress import progress_bar
from gtdata.datasets.checksums import ChecksumError, check_file, write_record
from gtdata.datasets.manifest import FileEntry, Source

if TYPE_CHECKING:
    import requests

# Small reads: bytes of a chunk cut short by a dropped connection are lost and fetched again on resume.
_CHUNK = 64 << 10
_HTML_PREFIXES = (b"<!doctype html", b"<html", b"<head", b'<?xml version="1.0" encoding="utf-8"?>\n<!doctype html')
_USER_AGENT = "gtdata (https://github.com/gtdata; data set downloader)"


class DownloadError(GtdataError, RuntimeError):
    """No URL of a file could be downloaded; the message lists every URL tried and why it failed."""


class _Retry(Exception):
    """A failure worth retrying at the same URL (connection dropped, 5xx, 429)."""


class _NextSource(Exception):
    """A failure that retrying the same URL will not fix (404, HTML page, wrong size)."""


logger = logging.getLogger(__name__)
"""Where downloads report what they do (which source, retries, checksum verdicts); the CLI shows it on stderr."""


def mirror_sources(entry: FileEntry, dataset: str) -> list[Source]:
    """Sources for ``entry`` from ``$GTDATA_MIRROR`` (base URLs or local directories)."""
    out = []
    for base in os.environ.get("GTDATA_MIRROR", "").replace(",", " ").split():
        if "://" not in base:
            base = Path(base).expanduser().resolve().as_uri()
        out.append(Source(f"{base.rstrip('/')}/{dataset}/{urllib.parse.quote(entry.name)}", {}, "$GTDATA_MIRROR"))
    return out


def lock_for(raw_dir: Path) -> FileLock:
    """The lock that serializes fetching into ``raw_dir`` across processes (kept beside it)."""
    return FileLock(str(raw_dir.parent / f".{raw_dir.name}.lock"))


def ensure_writable_dir(path: Path, what: str) -> None:
    """Create ``path`` or raise a PermissionError that says which directory and what to do."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise NoAccessError(
            f"cannot create the {what} directory {path} ({exc.strerror}); set $GTDATA_HOME to a writable "
            "directory or pass root=..."
        ) from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise NoAccessError(
            f"the {what} directory {path} is read-only; set $GTDATA_HOME to a writable directory or pass root=..., "
            "or prepare the set once where it is writable"
        )


def _retries() -> int:
    return int(os.environ.get("GTDATA_RETRIES", "4"))


def _backoff() -> float:
    return float(os.environ.get("GTDATA_BACKOFF", "1.0"))


#: errno values meaning "no room to write": disk full, quota exceeded, file-size limit.
NO_SPACE = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)


def _disk_full(exc: OSError, path: Path) -> DownloadError:
    return DownloadError(
        f"disk full while writing {path} ({exc.strerror}); free space there or set $GTDATA_HOME to a larger "
        "disk, then run the download again (it resumes)"
    )


def _stream(url: str, entry: FileEntry, part: Path, session: requests.Session, progress: bool, timeout: float) -> None:
    """Append the rest of ``url`` to ``part`` (resuming with Range); raises _Retry or _NextSource."""
    import requests

    have = part.stat().st_size if part.exists() else 0
    headers = {"User-Agent": _USER_AGENT, "Accept-Encoding": "identity"}
    if have:
        headers["Range"] = f"bytes={have}-"
    try:
        with session.get(url, headers=headers, stream=True, timeout=timeout, allow_redirects=True) as r:
            if r.status_code == 416 and have:
                return  # the partial file is already complete; verification decides
            if r.status_code == 429 or r.status_code >= 500:
                raise _Retry(f"HTTP {r.status_code} {r.reason}")
            if r.status_code >= 400:
                raise _NextSource(f"HTTP {r.status_code} {r.reason}")
            if r.status_code == 206 and have:
                if not r.headers.get("Content-Range", "").startswith(f"bytes {have}-"):
                    raise _NextSource(f"bad Content-Range {r.headers.get('Content-Range')!r} for a resume at {have}")
                mode = "ab"
            elif r.status_code == 200:
                have, mode = 0, "wb"
            else:
                raise _NextSource(f"unexpected HTTP {r.status_code} {r.reason}")
            ctype = r.headers.get("Content-Type", "").lower()
            if "text/html" in ctype and not entry.name.lower().endswith((".html", ".htm")):
                raise _NextSource(
                    "served an HTML page (Content-Type text/html) instead of the file: a login, quota or error page"
                )
            length = r.headers.get("Content-Length")
            total = have + int(length) if length is not None and length.isdigit() else None
            if entry.size is not None and total is not None and total != entry.size:
                raise _NextSource(f"server announces {total} bytes, the manifest says {entry.size}")
            bar = progress_bar(
                total=total or entry.size,
                initial=have,
                unit="B",
                unit_scale=True,
                unit_divisor=1024,
                desc=entry.name,
                progress=progress,
                leave=False,
            )
            first = have == 0
            try:
                with open(part, mode) as fh:
                    for chunk in r.iter_content(_CHUNK):
                        if first and chunk:
                            first = False
                            if chunk[:512].lstrip().lower().startswith(_HTML_PREFIXES):
                                raise _NextSource(
                                    "served an HTML page instead of the file: a login, quota or error page"
                                )
                        fh.write(chunk)
                        bar.update(len(chunk))
            except OSError as exc:
                if exc.errno in NO_SPACE:
                    raise _disk_full(exc, part) from None
                raise
            finally:
                bar.close()
            if total is not None and part.stat().st_size < total:
                raise _Retry(f"connection closed after {part.stat().st_size} of {total} bytes")
    except (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError) as exc:
        raise _Retry(f"{type(exc).__name__}: {exc}") from None


def _copy_local(url: str, part: Path) -> None:
    src = Path(urllib.request.url2pathname(urllib.parse.urlparse(url).path))
    if not src.is_file():
        raise _NextSource(f"no such file {src}")
    try:
        shutil.copyfile(src, part)
    except OSError as exc:
        if exc.errno in NO_SPACE:
            raise _disk_full(exc, part) from None
        raise _NextSource(f"cannot copy {src}: {exc.strerror}") from None


def _fetch_source(
    source: Source,
    entry: FileEntry,
    part: Path,
    session: requests.Session,
    progress: bool,
    timeout: float,
    report: Callable[[str], None],
) -> None:
    """Download ``source`` into ``part`` with retries; a partial file from another URL is discarded.

    ``part.json`` records the URL the bytes of ``part`` came from, so that a resume asks the same server;
    if this call fails (or is interrupted) before a byte arrived, both are removed: nothing to resume.
    """
    meta = part.with_name(part.name + ".json")
    try:
        previous = json.loads(meta.read_text()).get("url") if meta.exists() else None
    except (OSError, ValueError):
        previous = None  # unreadable record: its bytes cannot be trusted to resume
    if previous != source.url:
        part.unlink(missing_ok=True)
    atomic_write_text(meta, json.dumps({"url": source.url}))
    try:
        if source.url.startswith("file://"):
            _copy_local(source.url, part)
            return
        attempt = 0
        while True:
            try:
                _stream(source.url, entry, part, session, progress, timeout)
                return
            except _NextSource:
                _discard(part)  # what this URL served is not the file (HTML page, wrong size, 404)
                raise
            except _Retry as exc:
                attempt += 1
                if attempt > _retries():
                    raise _NextSource(f"{exc} (gave up after {attempt} attempts)") from None
                wait = _backoff() * 2 ** (attempt - 1)
                report(f"{entry.name}: {exc}; retry {attempt}/{_retries()} in {wait:g} s")
                time.sleep(wait)
    except BaseException:
        if not part.exists() or part.stat().st_size == 0:
            _discard(part)
        raise


def _discard(part: Path) -> None:
    part.unlink(missing_ok=True)
    part.with_name(part.name + ".json").unlink(missing_ok=True)


def download_file(
    entry: FileEntry,
    raw_dir: Path,
    dataset: str,
    progress: bool | None = None,
    timeout: float = 60.0,
    report: Callable[[str], None] = logger.info,
) -> Path:
    """Fetch ``entry`` into ``raw_dir`` unless it is there; returns the verified file's path.

    Tries ``$GTDATA_MIRROR`` then every manifest URL in order. Raises ChecksumError when every URL served
    bytes with a wrong checksum (nothing is left in the cache), DownloadError when no URL worked.
    """
    import requests  # imported on first download; keeps `import gtdata` light

    final = raw_dir / entry.name
    ensure_writable_dir(raw_dir, "raw data")
    with lock_for(raw_dir):
        if final.exists():
            return final
        part = raw_dir / f"{entry.name}.part"
        failures: list[str] = []
        checksum_failures: list[str] = []
        with requests.Session() as session:
            for source in mirror_sources(entry, dataset) + list(entry.sources):
                report(f"downloading {entry.name} from {source.url}")
                try:
                    _fetch_source(source, entry, part, session, progress, timeout, report)
                except _NextSource as exc:
                    failures.append(f"  {source.url}: {exc}")
                    continue
                verdict = check_file(entry, part, raw_dir, source, record=False)
                if not verdict.ok:
                    _discard(part)
                    msg = f"{entry.name} from {source.url}: " + "; ".join(verdict.problems)
                    checksum_failures.append(msg)
                    failures.append(f"  {source.url}: checksum mismatch ({'; '.join(verdict.problems)})")
                    report(f"{msg}; deleted")
                    continue
                move_into_place(part, final)
                _discard(part)
                if verdict.how == "new":
                    write_record(raw_dir, entry.name, verdict.digests, source.url)
                report(verdict.describe(entry.name))
                return final
        if checksum_failures and len(checksum_failures) == len(failures):
            raise ChecksumError("checksum mismatch, nothing was kept:\n  " + "\n  ".join(checksum_failures))
        manual = entry.manual or (entry.sources[0].url if entry.sources else None)
        raise DownloadError(
            f"could not download {entry.name}; tried:\n"
            + "\n".join(failures)
            + f"\nDownload it yourself from {manual}, save it as {final}, then run `gtdata verify {dataset}`; "
            "or set $GTDATA_MIRROR to a mirror laid out as <base>/<dataset>/<file>."
        )
