"""Safe extraction: unsafe members refuse the whole archive before anything is written."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import pytest

from gtdata.datasets.archive import UnsafeArchiveError, extract_tar


def _tar(path: Path, members: list[tuple[str, bytes | None, str | None]]) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for name, payload, link in members:
            info = tarfile.TarInfo(name)
            if link is not None:
                info.type, info.linkname = tarfile.SYMTYPE, link
                tar.addfile(info)
            else:
                info.size = len(payload)
                tar.addfile(info, io.BytesIO(payload))
    return path


def test_extracts_only_the_prefix(tmp_path):
    archive = _tar(tmp_path / "a.tar.gz", [("data/cars/x.mat", b"x", None), ("data/other/y", b"y", None)])
    out = extract_tar(archive, tmp_path / "out", prefix="data/cars")
    assert (out / "data" / "cars" / "x.mat").read_bytes() == b"x"
    assert not (out / "data" / "other").exists()


@pytest.mark.parametrize(
    "members, what",
    [
        ([("data/cars/ok", b"1", None), ("data/cars/../../../evil", b"2", None)], "unsafe member"),
        ([("/etc/evil", b"2", None)], "unsafe member"),
        ([("../evil", b"2", None)], "unsafe member"),
        ([("data/cars/link", None, "/etc/passwd")], "link member"),
    ],
)
def test_unsafe_members_refuse_the_whole_archive(tmp_path, members, what):
    archive = _tar(tmp_path / "bad.tar.gz", members)
    with pytest.raises(UnsafeArchiveError, match=what):
        extract_tar(archive, tmp_path / "sub" / "out", prefix="")
    assert not (tmp_path / "sub").exists() or not any((tmp_path / "sub").iterdir())
    assert not (tmp_path / "evil").exists()


def test_not_a_tar_is_a_clear_error(tmp_path):
    bad = tmp_path / "x.tar.gz"
    bad.write_bytes(b"<html>quota</html>")
    with pytest.raises(ValueError, match="not a readable tar archive"):
        extract_tar(bad, tmp_path / "out")


def test_cars3d_archive_with_traversal_is_refused_before_preparing(env, fixtures, server, tmp_path):
    import hashlib

    import yaml

    from gtdata.datasets import Cars3D

    archive = _tar(
        tmp_path / "nips2015-analogy-data.tar.gz",
        [("data/cars/list.txt", b"car_001_mesh\n", None), ("data/cars/../../escape.txt", b"x", None)],
    )
    url = server.add("/evil/nips2015-analogy-data.tar.gz", archive)
    m = yaml.safe_load((fixtures.manifests / "cars3d.yaml").read_text())
    m["files"][0]["sources"] = [{"url": url}]
    m["files"][0]["size"] = archive.stat().st_size
    m["files"][0]["checksums"] = {"sha256": hashlib.sha256(archive.read_bytes()).hexdigest()}
    path = tmp_path / "cars3d.yaml"
    path.write_text(yaml.safe_dump(m))
    with pytest.raises(UnsafeArchiveError, match=r"data/cars/\.\./\.\./escape\.txt"):
        Cars3D(manifest=path, progress=False)
    assert not list(env.rglob("escape.txt"))
