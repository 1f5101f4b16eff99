"""Manifests: the shipped ones are valid and found from the installed package; schema errors name the field."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

import gtdata
from gtdata.datasets.manifest import (
    ManifestError,
    UnknownDatasetError,
    all_manifests,
    builtin_manifest_dir,
    load_manifest,
    read_manifest,
)

EXPECTED = {
    "dsprites": 737_280,
    "smallnorb": 48_600,
    "cars3d": 17_568,
    "shapes3d": 480_000,
    "mpi3d_toy": 1_036_800,
    "mpi3d_realistic": 1_036_800,
    "mpi3d_real": 1_036_800,
    "mpi3d_complex": 460_800,
}


def test_builtin_manifests_are_found_through_the_package(monkeypatch):
    monkeypatch.delenv("GTDATA_MANIFESTS", raising=False)
    d = builtin_manifest_dir()
    assert d == Path(gtdata.__file__).resolve().parent / "manifests"
    assert (d / "shapes3d.yaml").is_file()
    found = all_manifests()
    assert {name: m.num_images for name, m in found.items() if name in EXPECTED} == EXPECTED
    assert "scream" in found


@pytest.mark.parametrize(
    "name, edition, n",
    [("mpi3d_toy", "2019", 460_800), ("mpi3d_realistic", "2019", 460_800), ("dsprites", "hdf5", 737_280)],
)
def test_editions(monkeypatch, name, edition, n):
    monkeypatch.delenv("GTDATA_MANIFESTS", raising=False)
    m = load_manifest(name, edition)
    assert m.num_images == n and m.key == f"{name}-{edition}"


def test_published_facts(monkeypatch):
    monkeypatch.delenv("GTDATA_MANIFESTS", raising=False)
    shapes = load_manifest("shapes3d").files[0]
    assert shapes.size == 267_573_662
    assert shapes.checksums["sha256"] == "0a0f6ed98baff276a50f3a081a7434d788da63cb135a98189b2a5b5769be1785"
    mpi = load_manifest("mpi3d_real").files[0]
    assert not mpi.checksums  # nothing published for the current host ...
    dead = [s for s in mpi.sources if "Final_Dataset" in s.url]
    assert dead[0].checksums == {"md5": "0f33f609918fb5c97996692f91129802"}  # ... md5 tied to the old bucket
    dsprites = load_manifest("dsprites_full")
    assert dsprites.name == "dsprites" and dsprites.factors[2].values[-1] == pytest.approx(6.283185307179586)
    assert load_manifest("mpi3d_toy_2019").edition == "2019"


def _write(tmp_path: Path, m: dict) -> Path:
    p = tmp_path / "m.yaml"
    p.write_text(yaml.safe_dump(m))
    return p


def _good() -> dict:
    return {
        "schema": 1,
        "name": "x",
        "title": "X",
        "format": "mpi3d",
        "license": "l",
        "citation": "c",
        "observation_shape": [64, 64, 3],
        "factors": [{"name": "a", "range": 2}],
        "files": [{"name": "x.npz", "sources": [{"url": "https://example.org/x.npz"}]}],
    }


@pytest.mark.parametrize(
    "edit, field",
    [
        (lambda m: m.pop("citation"), "citation"),
        (lambda m: m.update(format="zip"), "format"),
        (lambda m: m["files"][0]["sources"][0].update(url="ftp://x"), "files[0].sources[0].url"),
        (lambda m: m["files"][0].update(checksums={"sha256": "abc"}), "files[0].checksums.sha256"),
        (lambda m: m["files"][0].update(checksums={"crc32": "abcd1234"}), "files[0].checksums.crc32"),
        (lambda m: m["files"][0].update(size=-3), "files[0].size"),
        (lambda m: m["files"][0].update(name="../x.npz"), "files[0].name"),
        (lambda m: m["factors"][0].update(values=[1, 2]), "factors[0]"),
        (lambda m: m["factors"].append({"name": "b", "values": [1, 1]}), "factors[1].values"),
        (lambda m: m.update(observation_shape=[64, 64]), "observation_shape"),
        (lambda m: m.update(colour="red"), "colour"),
    ],
)
def test_schema_errors_name_the_field(tmp_path, edit, field):
    m = _good()
    edit(m)
    with pytest.raises(ManifestError, match="field " + re.escape(repr(field))):
        read_manifest(_write(tmp_path, m))


def test_good_manifest_reads_and_user_dir_shadows_builtin(tmp_path, monkeypatch):
    m = _good()
    m["name"] = "shapes3d"
    (tmp_path / "shapes3d.yaml").write_text(yaml.safe_dump(m))
    monkeypatch.setenv("GTDATA_MANIFESTS", str(tmp_path))
    assert load_manifest("shapes3d").path == tmp_path / "shapes3d.yaml"
    assert load_manifest(tmp_path / "shapes3d.yaml").num_images == 2


def test_unknown_name_suggests(monkeypatch):
    monkeypatch.delenv("GTDATA_MANIFESTS", raising=False)
    with pytest.raises(UnknownDatasetError, match="Did you mean 'smallnorb'"):
        load_manifest("smallnorm")


def test_not_yaml_is_a_clear_error(tmp_path):
    p = tmp_path / "bad.yaml"
    p.write_text("name: [unclosed")
    with pytest.raises(ManifestError, match="not valid YAML"):
        read_manifest(p)
