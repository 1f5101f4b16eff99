"""File checksums: one pass computing every algorithm a manifest may name, verification against the
published values, and the record kept in the cache for files whose checksum nobody published."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from gtdata.core.errors import GtdataError
from gtdata.core.persist import atomic_write_text
from gtdata.datasets.manifest import FileEntry, Source

_BLOCK = 4 << 20
RECORD_NAME = "recorded_checksums.json"


class ChecksumError(GtdataError, ValueError):
    """A file's bytes do not match a published or recorded checksum."""


@dataclass(frozen=True)
class Digests:
    """Size (bytes) and hex digests of one file, by algorithm (sha256 always)."""

    size: int
    hexdigests: dict[str, str]

    @property
    def sha256(self) -> str:
        return self.hexdigests["sha256"]

    def get(self, algo: str) -> str:
        return self.hexdigests[algo]


def file_digests(path: Path, algorithms: Iterable[str] = ()) -> Digests:
    """sha256 plus the other ``algorithms`` (md5, sha1, git_sha1) of ``path`` in one streaming pass
    (memory: one 4 MiB block); only the algorithms asked for are computed, as hashing dominates for 12 GB."""
    size = path.stat().st_size
    hashes = {}
    for algo in {"sha256", *algorithms}:
        if algo == "git_sha1":
            hashes[algo] = hashlib.sha1(b"blob %d\0" % size)
        else:
            hashes[algo] = hashlib.new(algo)
    with open(path, "rb") as fh:
        while block := fh.read(_BLOCK):
            for h in hashes.values():
                h.update(block)
    return Digests(size, {a: h.hexdigest() for a, h in hashes.items()})


def _algorithms(entry: FileEntry) -> set[str]:
    return set(entry.checksums).union(*(s.checksums for s in entry.sources))


def mismatches(entry: FileEntry, digests: Digests, source: Source | None) -> list[str]:
    """Human-readable mismatches between ``digests`` and what is published for ``entry`` (and ``source``)."""
    problems = []
    if entry.size is not None and entry.size != digests.size:
        problems.append(f"size: expected {entry.size} bytes, actual {digests.size}")
    expected = dict(entry.checksums)
    if source is not None:
        expected.update(source.checksums)
    for algo, want in expected.items():
        got = digests.get(algo)
        if got != want:
            problems.append(f"{algo}: expected {want}, actual {got}")
    return problems


def matching_source(entry: FileEntry, digests: Digests) -> Source | None:
    """The first URL whose URL-specific checksums all match ``digests`` (None if no URL has any)."""
    for src in entry.sources:
        if src.checksums and all(digests.get(a) == v for a, v in src.checksums.items()):
            return src
    return None


def _record_path(raw_dir: Path) -> Path:
    return raw_dir / RECORD_NAME


def read_records(raw_dir: Path) -> dict[str, dict[str, object]]:
    """The checksums recorded in ``raw_dir`` for files without a published checksum, by file name."""
    p = _record_path(raw_dir)
    if not p.exists():
        return {}
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ChecksumError(
            f"cannot read the checksum record {p}: {exc}. Delete it to record the files again."
        ) from None
    return data if isinstance(data, dict) else {}


def write_record(raw_dir: Path, name: str, digests: Digests, url: str | None) -> None:
    """Record ``digests`` of file ``name`` in ``raw_dir`` (atomic rewrite of the record file)."""
    records = read_records(raw_dir)
    records[name] = {
        "sha256": digests.sha256,
        "size": digests.size,
        "url": url,
        "recorded": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    atomic_write_text(_record_path(raw_dir), json.dumps(records, indent=2, sort_keys=True))


def forget_record(raw_dir: Path, name: str) -> None:
    """Drop the recorded checksum of ``name`` (after the file was deleted or replaced on purpose)."""
    records = read_records(raw_dir)
    if records.pop(name, None) is not None:
        atomic_write_text(_record_path(raw_dir), json.dumps(records, indent=2, sort_keys=True))


@dataclass(frozen=True)
class Verdict:
    """Outcome of checking one file: ``ok``, how (``published``/``recorded``/``new``) and the problems."""

    ok: bool
    how: str
    problems: tuple[str, ...]
    digests: Digests

    def describe(self, name: str) -> str:
        if self.ok and self.how == "published":
            return f"{name}: ok (matches the published checksum)"
        if self.ok and self.how == "recorded":
            return f"{name}: ok (matches the sha256 recorded at its first download; none is published)"
        if self.ok:
            return (
                f"{name}: ok (no checksum published; recorded sha256 {self.digests.sha256}, {self.digests.size} bytes)"
            )
        return f"{name}: checksum mismatch: " + "; ".join(self.problems)


def check_file(
    entry: FileEntry, path: Path, raw_dir: Path, source: Source | None = None, record: bool = True
) -> Verdict:
    """Check ``path`` against ``entry``'s published checksums, else against the record in ``raw_dir``.

    ``source`` is the URL the bytes came from (None for a file dropped into the cache by hand: then a
    match with any URL's specific checksums counts). With nothing published and nothing recorded, the
    file's sha256 and size are recorded when ``record`` is true.
    """
    digests = file_digests(path, _algorithms(entry))
    if source is None and not entry.checksums and entry.size is None:
        src = matching_source(entry, digests)
        if src is not None:
            return Verdict(True, "published", (), digests)
    problems = mismatches(entry, digests, source)
    has_published = bool(entry.checksums) or (source is not None and bool(source.checksums))
    if problems or has_published:
        return Verdict(not problems, "published", tuple(problems), digests)
    rec = read_records(raw_dir).get(entry.name)
    if rec is not None:
        bad = []
        if rec.get("size") != digests.size:
            bad.append(f"size: recorded {rec.get('size')} bytes, actual {digests.size}")
        if rec.get("sha256") != digests.sha256:
            bad.append(f"sha256: recorded {rec.get('sha256')}, actual {digests.sha256}")
        return Verdict(not bad, "recorded", tuple(bad), digests)
    if record:
        write_record(raw_dir, entry.name, digests, source.url if source else None)
    return Verdict(True, "new", (), digests)
