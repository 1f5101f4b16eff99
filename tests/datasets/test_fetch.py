"""The download layer against a real HTTP server on 127.0.0.1: resume, retries, mirrors, HTML pages,
checksums (published, per-URL and recorded), user mirrors, and cache errors."""

from __future__ import annotations

import errno
import os
import threading
from dataclasses import replace
from pathlib import Path

import pytest

from gtdata.datasets.checksums import ChecksumError, check_file, file_digests, read_records
from gtdata.datasets.fetch import DownloadError, download_file
from gtdata.datasets.manifest import FileEntry, Source, load_manifest


def _entry(fixtures, key: str) -> FileEntry:
    dataset, name = key.split("/")
    return load_manifest(dataset).file(name)


SHAPES = "shapes3d/3dshapes.h5"


def test_download_verifies_and_moves_into_cache(env, fixtures):
    entry = _entry(fixtures, SHAPES)
    raw = env / "raw" / "shapes3d"
    path = download_file(entry, raw, "shapes3d", progress=False, report=lambda m: None)
    assert path == raw / "3dshapes.h5"
    assert path.read_bytes() == fixtures.files[SHAPES].read_bytes()
    assert sorted(p.name for p in raw.iterdir()) == ["3dshapes.h5"]


def test_resume_after_connection_dropped_halfway(env, fixtures, server):
    entry = _entry(fixtures, SHAPES)
    size = fixtures.files[SHAPES].stat().st_size
    server.faults["/primary/shapes3d/3dshapes.h5"] = [("drop", size // 2)]
    messages = []
    path = download_file(entry, env / "raw" / "shapes3d", "shapes3d", progress=False, report=messages.append)
    assert file_digests(path).sha256 == entry.checksums["sha256"]
    ranges = [r for p, r in server.log if p.endswith("3dshapes.h5")]
    assert len(ranges) == 2 and ranges[0] is None
    resumed_at = int(ranges[1].removeprefix("bytes=").removesuffix("-"))
    assert size // 2 - (64 << 10) <= resumed_at <= size // 2  # resumed (at most one read lost), not restarted
    assert any("retry 1" in m for m in messages)


def test_partial_file_from_an_earlier_run_is_resumed(env, fixtures, server):
    entry = _entry(fixtures, SHAPES)
    raw = env / "raw" / "shapes3d"
    size = fixtures.files[SHAPES].stat().st_size
    server.faults["/primary/shapes3d/3dshapes.h5"] = [("drop", size // 2), "500", "500"]
    with pytest.raises(DownloadError, match="gave up after 3 attempts"):
        download_file(entry, raw, "shapes3d", progress=False, report=lambda m: None)
    kept = (raw / "3dshapes.h5.part").stat().st_size
    assert 0 < kept <= size // 2
    server.log.clear()
    download_file(entry, raw, "shapes3d", progress=False, report=lambda m: None)
    assert server.log == [("/primary/shapes3d/3dshapes.h5", f"bytes={kept}-")]


def test_server_without_range_support_restarts_cleanly(env, fixtures, server):
    entry = _entry(fixtures, SHAPES)
    server.ranges = False
    server.faults["/primary/shapes3d/3dshapes.h5"] = [("drop", 5000)]
    path = download_file(entry, env / "raw" / "shapes3d", "shapes3d", progress=False, report=lambda m: None)
    assert path.read_bytes() == fixtures.files[SHAPES].read_bytes()


def _with_mirror(entry: FileEntry, server, fixtures, bad: str) -> FileEntry:
    bad_url = server.add(f"/bad/{entry.name}", fixtures.files[SHAPES])
    server.faults[f"/bad/{entry.name}"] = [bad] * 10
    return replace(entry, sources=(Source(bad_url), *entry.sources))


def test_fallback_to_next_mirror_after_500s(env, fixtures, server):
    entry = _with_mirror(_entry(fixtures, SHAPES), server, fixtures, "500")
    messages = []
    path = download_file(entry, env / "raw" / "shapes3d", "shapes3d", progress=False, report=messages.append)
    assert path.read_bytes() == fixtures.files[SHAPES].read_bytes()
    assert [p for p, _ in server.log].count("/bad/3dshapes.h5") == 3  # 1 try + 2 retries
    assert server.log[-1][0] == "/primary/shapes3d/3dshapes.h5"


def test_html_page_served_with_200_is_rejected(env, fixtures, server):
    entry = _with_mirror(_entry(fixtures, SHAPES), server, fixtures, "html")
    path = download_file(entry, env / "raw" / "shapes3d", "shapes3d", progress=False, report=lambda m: None)
    assert path.read_bytes() == fixtures.files[SHAPES].read_bytes()
    only_html = replace(entry, sources=entry.sources[:1])
    with pytest.raises(DownloadError, match="HTML page"):
        download_file(only_html, env / "raw" / "other", "shapes3d", progress=False, report=lambda m: None)
    assert not any((env / "raw" / "other").iterdir())


def test_wrong_checksum_names_file_expected_actual_and_keeps_nothing(env, fixtures):
    entry = _entry(fixtures, SHAPES)
    wrong = "0" * 64
    bad = replace(entry, checksums={"sha256": wrong})
    raw = env / "raw" / "shapes3d"
    with pytest.raises(ChecksumError) as err:
        download_file(bad, raw, "shapes3d", progress=False, report=lambda m: None)
    msg = str(err.value)
    assert "3dshapes.h5" in msg and f"expected {wrong}" in msg and f"actual {entry.checksums['sha256']}" in msg
    assert list(raw.iterdir()) == []


def test_url_specific_checksum_only_applies_to_that_url(env, fixtures, server):
    entry = _entry(fixtures, SHAPES)
    dead = Source(server.url + "/gone/3dshapes.h5", {"md5": "1" * 32})
    # a file from the live URL is not held to the md5 published for the dead one
    plain = replace(entry, checksums={}, size=None, sources=(dead, *entry.sources))
    path = download_file(plain, env / "raw" / "a", "shapes3d", progress=False, report=lambda m: None)
    assert path.exists()
    # the same md5 tied to the URL that serves the file is enforced
    live = Source(entry.sources[0].url, {"md5": "1" * 32})
    with pytest.raises(ChecksumError, match="md5: expected 1111"):
        download_file(
            replace(plain, sources=(live,)), env / "raw" / "b", "shapes3d", progress=False, report=lambda m: None
        )


def test_unpublished_checksum_is_recorded_then_enforced(env, fixtures):
    entry = load_manifest("mpi3d_toy").file("mpi3d_toy.npz")
    raw = env / "raw" / "mpi3d_toy"
    messages = []
    path = download_file(entry, raw, "mpi3d_toy", progress=False, report=messages.append)
    rec = read_records(raw)["mpi3d_toy.npz"]
    assert rec["sha256"] == file_digests(path).sha256 and rec["size"] == path.stat().st_size
    assert any("no checksum published; recorded sha256" in m for m in messages)
    assert check_file(entry, path, raw).how == "recorded"
    with open(path, "r+b") as fh:
        fh.seek(100)
        fh.write(b"\xff\xfe")
    verdict = check_file(entry, path, raw)
    assert not verdict.ok and "sha256: recorded" in verdict.problems[0]


def test_user_mirror_is_tried_first(env, fixtures, server, monkeypatch):
    server.add("/mirror/shapes3d/3dshapes.h5", fixtures.files[SHAPES])
    monkeypatch.setenv("GTDATA_MIRROR", server.url + "/nowhere, " + server.url + "/mirror")
    download_file(_entry(fixtures, SHAPES), env / "raw" / "shapes3d", "shapes3d", progress=False, report=lambda m: None)
    assert [p for p, _ in server.log] == ["/nowhere/shapes3d/3dshapes.h5", "/mirror/shapes3d/3dshapes.h5"]


def test_local_directory_mirror(env, fixtures, server, tmp_path, monkeypatch):
    (tmp_path / "m" / "shapes3d").mkdir(parents=True)
    (tmp_path / "m" / "shapes3d" / "3dshapes.h5").write_bytes(fixtures.files[SHAPES].read_bytes())
    monkeypatch.setenv("GTDATA_MIRROR", str(tmp_path / "m"))
    download_file(_entry(fixtures, SHAPES), env / "raw" / "shapes3d", "shapes3d", progress=False, report=lambda m: None)
    assert server.log == []


def test_all_urls_failing_says_what_to_do(env, fixtures, server):
    entry = replace(_entry(fixtures, SHAPES), sources=(Source(server.url + "/missing/3dshapes.h5"),))
    with pytest.raises(DownloadError) as err:
        download_file(entry, env / "raw" / "shapes3d", "shapes3d", progress=False, report=lambda m: None)
    msg = str(err.value)
    assert "HTTP 404" in msg and "gtdata verify shapes3d" in msg and "GTDATA_MIRROR" in msg


def test_unwritable_cache_is_a_clear_error(env, fixtures, tmp_path):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    with pytest.raises(PermissionError, match="cannot create the raw data directory .*GTDATA_HOME"):
        download_file(_entry(fixtures, SHAPES), blocker / "raw" / "shapes3d", "shapes3d", progress=False)


def test_read_only_cache_is_a_clear_error(env, fixtures, tmp_path, monkeypatch):
    # Root ignores permission bits, so the answers the OS gives a normal user in a read-only directory are
    # simulated (for every user alike): mkdir fails with EACCES, and access(W_OK) says no.
    ro = tmp_path / "ro"
    ro.mkdir()
    real_mkdir, real_access = Path.mkdir, os.access

    def mkdir(self, *args, **kwargs):
        if self == ro or ro in self.parents:
            raise PermissionError(errno.EACCES, "Permission denied", str(self))
        return real_mkdir(self, *args, **kwargs)

    monkeypatch.setattr(Path, "mkdir", mkdir)
    with pytest.raises(
        PermissionError,
        match=r"cannot create the raw data directory .*ro/raw/shapes3d "
        r"\(Permission denied\); set \$GTDATA_HOME to a writable directory",
    ):
        download_file(_entry(fixtures, SHAPES), ro / "raw" / "shapes3d", "shapes3d", progress=False)
    monkeypatch.setattr(Path, "mkdir", real_mkdir)

    existing = ro / "raw" / "shapes3d"  # made before the directory became read-only
    existing.mkdir(parents=True)

    def access(path, mode, *args, **kwargs):
        if mode & os.W_OK and (Path(path) == ro or ro in Path(path).parents):
            return False
        return real_access(path, mode, *args, **kwargs)

    monkeypatch.setattr(os, "access", access)
    with pytest.raises(
        PermissionError,
        match=r"the raw data directory .*ro/raw/shapes3d is read-only; set "
        r"\$GTDATA_HOME",
    ):
        download_file(_entry(fixtures, SHAPES), existing, "shapes3d", progress=False)
    assert list(existing.iterdir()) == [] and not (ro / "raw" / ".shapes3d.lock").exists()


def test_concurrent_downloads_of_one_file_do_not_collide(env, fixtures):
    entry = _entry(fixtures, SHAPES)
    raw = env / "raw" / "shapes3d"
    errors = []

    def run():
        try:
            download_file(entry, raw, "shapes3d", progress=False, report=lambda m: None)
        except Exception as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert file_digests(raw / "3dshapes.h5").sha256 == entry.checksums["sha256"]


def test_digests_match_hashlib_and_git_blob_ids(tmp_path):
    import hashlib
    import subprocess

    p = tmp_path / "f.bin"
    p.write_bytes(b"gtdata" * 1000)
    d = file_digests(p, ["md5", "git_sha1", "sha1"])
    data = p.read_bytes()
    assert d.sha256 == hashlib.sha256(data).hexdigest() and d.get("md5") == hashlib.md5(data).hexdigest()
    assert d.get("git_sha1") == hashlib.sha1(b"blob 6000\0" + data).hexdigest()
    git = subprocess.run(["git", "hash-object", str(p)], capture_output=True, text=True)
    if git.returncode == 0:
        assert d.get("git_sha1") == git.stdout.strip()


_FULL_DISK_CHILD = """
import resource, signal, sys
from pathlib import Path
from gtdata.datasets.fetch import DownloadError, download_file
from gtdata.datasets.manifest import load_manifest
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (200_000, 200_000))  # the file system accepts 200 kB per file
try:
    download_file(load_manifest("shapes3d").file("3dshapes.h5"), Path(sys.argv[1]), "shapes3d", progress=False,
                  report=lambda m: None)
except DownloadError as exc:
    print(exc)
"""


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs RLIMIT_FSIZE (POSIX)")
def test_disk_filling_up_is_a_clear_error(env, fixtures, tmp_path):
    import subprocess
    import sys

    proc = subprocess.run(
        [sys.executable, "-c", _FULL_DISK_CHILD, str(tmp_path / "raw")], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    assert "disk full while writing" in proc.stdout and "GTDATA_HOME" in proc.stdout
    assert not (tmp_path / "raw" / "3dshapes.h5").exists()
