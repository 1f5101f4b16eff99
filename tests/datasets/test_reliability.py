"""Reliability of the data set layer through its real parts (local HTTP server, real archives, real kills):
user manifests in the registry, no debris from failed downloads, checksum-keyed archive extraction, resumable
preparation of small sets, SmallNORB files by role."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import tarfile
import textwrap
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import yaml
from dsfixtures import CARS_ORDER, CARS_SIZES, SHAPES_SIZES
from PIL import Image

import gtdata
from gtdata.cli.main import main
from gtdata.datasets import Shapes3D, SmallNORB
from gtdata.datasets.fetch import DownloadError, download_file
from gtdata.datasets.manifest import ManifestError, Source, load_manifest
from gtdata.datasets.prepare import prepare, prepared_path
from gtdata.store.prepared import PreparedData


def _all_codes(sizes) -> np.ndarray:
    return np.stack(np.unravel_index(np.arange(int(np.prod(sizes))), sizes), axis=1)


def _user_manifest(fixtures, tmp_path, monkeypatch, source: str, **changes) -> Path:
    """A copy of a fixture manifest with ``changes``, in a user directory put first on $GTDATA_MANIFESTS."""
    m = yaml.safe_load((fixtures.manifests / f"{source}.yaml").read_text())
    m.update(changes)
    user = tmp_path / "my-manifests"
    user.mkdir(exist_ok=True)
    path = user / f"{m['name']}.yaml"
    path.write_text(yaml.safe_dump(m, sort_keys=False))
    monkeypatch.setenv("GTDATA_MANIFESTS", os.pathsep.join([str(user), str(fixtures.manifests)]))
    return path


# --- user manifests on $GTDATA_MANIFESTS ------------------------------------------------------------------


def test_load_and_list_see_user_manifests(env, fixtures, tmp_path, monkeypatch, capsys):
    _user_manifest(
        fixtures,
        tmp_path,
        monkeypatch,
        "shapes3d",
        name="my_shapes",
        aliases=["shapes_local"],
        title="my copy of 3D Shapes",
    )
    infos = {i.name: i for i in gtdata.list_datasets()}
    assert infos["my_shapes"].kind == "benchmark" and infos["my_shapes"].aliases == ("shapes_local",)
    assert "my copy of 3D Shapes" in infos["my_shapes"].description
    assert "my_shapes" in {i.name for i in gtdata.list_datasets("benchmark")}
    data = gtdata.load("shapes_local", progress=False)
    assert isinstance(data, Shapes3D) and data.path.name == "my_shapes"
    codes = _all_codes(SHAPES_SIZES)
    np.testing.assert_array_equal(
        data.observations(codes, dtype=np.uint8), Shapes3D(progress=False).observations(codes, dtype=np.uint8)
    )
    assert main(["list", "--kind", "benchmark"]) == 0
    assert "\nmy_shapes " in capsys.readouterr().out
    assert main(["prepare", "my_shapes", "--quiet"]) == 0
    monkeypatch.setenv("GTDATA_MANIFESTS", str(fixtures.manifests))  # taken off the path: gone again
    assert "my_shapes" not in {i.name for i in gtdata.list_datasets()}
    with pytest.raises(ValueError, match="unknown data set 'my_shapes'"):
        gtdata.load("my_shapes")


def test_user_manifest_never_replaces_a_registered_set(env, fixtures, tmp_path, monkeypatch):
    _user_manifest(fixtures, tmp_path, monkeypatch, "shapes3d", name="my_set", aliases=["dsprites_full"])
    assert gtdata.registry.get_info("dsprites_full").name == "dsprites"
    assert "my_set" in {i.name for i in gtdata.list_datasets()}


# --- downloads that fail before the first byte ------------------------------------------------------------


def test_download_failing_before_any_byte_leaves_nothing_behind(env, fixtures, server):
    entry = load_manifest("shapes3d").file("3dshapes.h5")
    raw = env / "raw" / "shapes3d"
    server.faults["/primary/shapes3d/3dshapes.h5"] = ["500"] * 3  # every retry fails ($GTDATA_RETRIES=2)
    with pytest.raises(DownloadError, match="gave up after 3 attempts"):
        download_file(entry, raw, "shapes3d", progress=False, report=lambda m: None)
    assert list(raw.iterdir()) == []
    closed = replace(entry, sources=(Source("http://127.0.0.1:9/3dshapes.h5"),))  # the discard port: refused
    with pytest.raises(DownloadError, match="ConnectionError"):
        download_file(closed, raw, "shapes3d", progress=False, report=lambda m: None)
    assert list(raw.iterdir()) == []
    download_file(entry, raw, "shapes3d", progress=False, report=lambda m: None)  # and the next run works
    assert sorted(p.name for p in raw.iterdir()) == ["3dshapes.h5"]


def test_download_interrupted_after_some_bytes_keeps_its_resume_state(env, fixtures, server):
    entry = load_manifest("shapes3d").file("3dshapes.h5")
    raw = env / "raw" / "shapes3d"
    size = fixtures.files["shapes3d/3dshapes.h5"].stat().st_size
    server.faults["/primary/shapes3d/3dshapes.h5"] = [("drop", size // 2), "500", "500"]
    with pytest.raises(DownloadError):
        download_file(entry, raw, "shapes3d", progress=False, report=lambda m: None)
    assert sorted(p.name for p in raw.iterdir()) == ["3dshapes.h5.part", "3dshapes.h5.part.json"]


# --- archives: extraction keyed by checksum, removed after preparation ------------------------------------


def _repack_cars(src: Path, dst: Path, order: list[str]) -> None:
    """The fixture archive with ``order`` in list.txt (the same car files, another object order)."""
    with tarfile.open(src, "r:gz") as tin, tarfile.open(dst, "w:gz") as tout:
        for m in tin.getmembers():
            payload = tin.extractfile(m).read() if m.isfile() else None
            if m.name.endswith("list.txt"):
                payload = ("\n".join(order) + "\n").encode()
                m.size = len(payload)
            tout.addfile(m, io.BytesIO(payload) if payload is not None else None)


def test_extracted_archive_is_removed_after_preparation(env, fixtures):
    data = gtdata.load("cars3d", progress=False)
    assert len(data) == int(np.prod(CARS_SIZES))
    assert sorted(p.name for p in (env / "raw" / "cars3d").iterdir()) == ["nips2015-analogy-data.tar.gz"]


def test_replaced_archive_is_extracted_again(env, fixtures, tmp_path, monkeypatch):
    first = load_manifest("cars3d")
    prepare(first, progress=False, keep_extracted=True)
    archive = env / "raw" / "cars3d" / "nips2015-analogy-data.tar.gz"
    sha = hashlib.sha256(archive.read_bytes()).hexdigest()
    kept = [p.name for p in archive.parent.iterdir() if p.is_dir()]
    assert len(kept) == 1 and sha[:16] in kept[0]

    # A new release of the archive, same file name: the cars are listed in another order.
    new_order = CARS_ORDER[::-1]
    _repack_cars(fixtures.files["cars3d/nips2015-analogy-data.tar.gz"], archive, new_order)
    new_sha = hashlib.sha256(archive.read_bytes()).hexdigest()
    m = yaml.safe_load((fixtures.manifests / "cars3d.yaml").read_text())
    m["files"][0].update(
        size=archive.stat().st_size, checksums={"sha256": new_sha, "md5": hashlib.md5(archive.read_bytes()).hexdigest()}
    )
    path = tmp_path / "cars3d.yaml"
    path.write_text(yaml.safe_dump(m))
    shutil.rmtree(prepared_path(first))
    second = prepare(load_manifest(path), progress=False)
    images = PreparedData(second).images
    for obj, name in enumerate(new_order):  # object is the fastest factor: rows 0..2 are (elev 0, azim 0)
        im = fixtures.raw["cars3d"][name][:, :, :, 0, 0]
        want = np.asarray(Image.fromarray(im).resize((64, 64), Image.Resampling.LANCZOS))
        np.testing.assert_array_equal(images[obj], want)
    # the new extraction was removed after success; the one kept on request for the old archive stays
    assert [p.name for p in archive.parent.iterdir() if p.is_dir()] == kept


def test_cli_prepare_keeps_the_extraction_on_request(env, fixtures):
    assert main(["prepare", "cars3d", "--quiet", "--keep-extracted"]) == 0
    dirs = [p for p in (env / "raw" / "cars3d").iterdir() if p.is_dir()]
    assert len(dirs) == 1 and (dirs[0] / "data" / "cars" / "list.txt").is_file()
    assert not (dirs[0] / "data" / "sprites").exists()  # only the cars are extracted


# --- preparation resumes where a killed process stopped ---------------------------------------------------

_KILLED = textwrap.dedent("""
    import os
    from gtdata.datasets.manifest import load_manifest
    from gtdata.datasets.prepare import prepare
    def hook(done, total):
        if done >= 16:
            os.kill(os.getpid(), 9)
    prepare(load_manifest("mpi3d_toy"), progress=False, chunk_images=8, on_chunk=hook)
""")


def test_killed_small_preparation_resumes_where_it_stopped(env, fixtures):
    child_env = dict(
        os.environ, PYTHONPATH=os.pathsep.join([str(Path(__file__).parent), os.environ.get("PYTHONPATH", "")])
    )
    proc = subprocess.run([sys.executable, "-c", _KILLED], env=child_env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    manifest = load_manifest("mpi3d_toy")
    partial = prepared_path(manifest).with_name("mpi3d_toy.partial")
    assert json.loads((partial / "progress.json").read_text())["position"] == 16
    reported = []
    path = prepare(manifest, progress=False, chunk_images=8, on_chunk=lambda done, total: reported.append(done))
    assert reported == [24, 32, 40, 48]  # resumed after the 16 images written before the kill
    assert PreparedData(path).verify()
    np.testing.assert_array_equal(np.asarray(PreparedData(path).images), fixtures.raw["mpi3d_toy"])


# --- SmallNORB: files by their role in the manifest -------------------------------------------------------


def _norb_with_roles(fixtures, tmp_path, swap_names: bool) -> Path:
    """The fixture manifest with the files named like a mirror might (no suffix), or, with ``swap_names``,
    with names that say the opposite split of their role: only the role may count."""
    m = yaml.safe_load((fixtures.manifests / "smallnorb.yaml").read_text())
    for i, entry in enumerate(m["files"]):
        split, kind = entry["role"].split("-")
        other = "testing" if split == "training" else "training"
        entry["name"] = f"x-{other}-{kind}.mat.gz" if swap_names else f"norb_part_{i}"
    m["files"] = m["files"][::-1]
    path = tmp_path / f"smallnorb-{swap_names}.yaml"
    path.write_text(yaml.safe_dump(m, sort_keys=False))
    return path


@pytest.mark.parametrize("swap_names", [False, True])
def test_smallnorb_files_are_found_by_role_not_name(env, fixtures, tmp_path, swap_names):
    reference = SmallNORB(instance_as_factor=True, progress=False)
    codes = _all_codes(reference.factors_num_values)
    want = reference.observations(codes, dtype=np.uint8)
    shutil.rmtree(reference.path)
    data = SmallNORB(instance_as_factor=True, manifest=_norb_with_roles(fixtures, tmp_path, swap_names), progress=False)
    np.testing.assert_array_equal(data.observations(codes, dtype=np.uint8), want)
    assert data.metadata["train_instances"] == reference.metadata["train_instances"]


def test_smallnorb_manifest_without_roles_is_a_clear_error(env, fixtures, tmp_path):
    m = yaml.safe_load(_norb_with_roles(fixtures, tmp_path, False).read_text())
    m["files"] = [f for f in m["files"] if f["role"] != "testing-info"]
    path = tmp_path / "smallnorb.yaml"
    path.write_text(yaml.safe_dump(m))
    with pytest.raises(
        ManifestError,
        match=r"smallnorb\.yaml: field 'files': format 'smallnorb' needs one file "
        r"of each role .*missing: testing-info",
    ):
        SmallNORB(manifest=path, progress=False)
    assert not (env / "raw").exists()  # refused before downloading anything
    m["files"][0]["role"] = "Training Dat"
    path.write_text(yaml.safe_dump(m))
    with pytest.raises(ManifestError, match=r"files\[0\]\.role"):
        load_manifest(path)


def test_gzip_is_recognised_by_content(tmp_path):
    from gtdata.datasets.smallnorb import read_matrix

    raw = np.arange(6, dtype="<i4").reshape(2, 3)
    header = np.array([0x1E3D4C54, 2, 2, 3, 1], dtype="<i4").tobytes()  # int32 matrix, 2 dims
    (tmp_path / "plain").write_bytes(header + raw.tobytes())
    (tmp_path / "packed").write_bytes(gzip.compress(header + raw.tobytes()))
    np.testing.assert_array_equal(read_matrix(tmp_path / "plain"), raw)
    np.testing.assert_array_equal(read_matrix(tmp_path / "packed"), raw)
