"""A damaged prepared set and a YAML file with a syntax error are clear errors (ValueError, one CLI line) that
name the file, the field or the line and column, and the fix; never a traceback."""

import numpy as np
import pytest
import yaml

import gtdata
from gtdata import Factor, FactorSpace, PreparedData, PreparedWriter
from gtdata.cli.main import main


def _prepared(path):
    space = FactorSpace([Factor("a", [0, 1, 2]), Factor("b", [0.5, 1.5])])
    with PreparedWriter(path, space, (4, 4, 1), name="demo") as w:
        w.write(np.arange(6 * 16, dtype=np.uint8).reshape(6, 4, 4, 1))
        w.commit()
    return path


@pytest.mark.parametrize("keep", [0, 40, 128 + 3 * 16])  # empty; inside the header; half the images
def test_truncated_images_file_names_file_and_fix(tmp_path, capsys, keep):
    path = _prepared(tmp_path / "d")
    images = path / "images.npy"
    size = images.stat().st_size
    with open(images, "r+b") as fh:
        fh.truncate(keep)
    with pytest.raises(ValueError) as err:
        PreparedData(path)
    msg = str(err.value)
    assert str(images) in msg and f"{keep} bytes" in msg and f"records {size}" in msg
    assert "prepare it again" in msg
    assert main(["info", str(path)]) == 2
    out = capsys.readouterr().err.strip()
    assert len(out.splitlines()) == 1 and str(images) in out


@pytest.mark.parametrize(
    "field, value, expect",
    [
        ("num_images", "six", "must be a non-negative integer, got 'six'"),
        ("observation_shape", 4, r"must be \[height, width, channels\] \(positive integers\), got 4"),
        ("format_version", "1", "must be a positive integer, got '1'"),
        ("factors", {"a": 1}, "must be a list of factors"),
        ("images", ["images.npy"], r"must be a mapping \(file, bytes, sha256\)"),
    ],
)
def test_dataset_yaml_with_wrong_field_types_names_file_field_line(tmp_path, capsys, field, value, expect):
    path = _prepared(tmp_path / "d")
    meta_file = path / "dataset.yaml"
    meta = yaml.safe_load(meta_file.read_text())
    meta[field] = value
    text = yaml.safe_dump(meta, sort_keys=False)
    meta_file.write_text(text)
    line = next(i for i, row in enumerate(text.splitlines(), 1) if row.startswith(f"{field}:"))
    with pytest.raises(
        ValueError, match=rf"field '{field}' \(line {line}, column 1\): {expect}.*prepare it again"
    ) as err:
        PreparedData(path)
    assert str(err.value).startswith(f"{meta_file}, ")
    assert main(["info", str(path)]) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1


def test_dataset_yaml_factor_and_image_file_errors(tmp_path):
    path = _prepared(tmp_path / "d")
    meta_file = path / "dataset.yaml"
    meta = yaml.safe_load(meta_file.read_text())
    meta["factors"][1]["values"] = "oops"
    meta_file.write_text(yaml.safe_dump(meta, sort_keys=False))
    with pytest.raises(ValueError, match=r"dataset\.yaml, field 'factors\[1\]' \(line \d+, column \d+\)"):
        PreparedData(path)
    meta = yaml.safe_load(meta_file.read_text())
    meta["factors"][1]["values"] = [0.5, 1.5]
    meta["images"]["file"] = "../../etc/passwd"
    meta_file.write_text(yaml.safe_dump(meta, sort_keys=False))
    with pytest.raises(ValueError, match=r"field 'images.file' .*a file name inside the directory"):
        PreparedData(path)
    meta["images"]["file"] = "images.npy"
    meta["num_images"] = 7
    meta_file.write_text(yaml.safe_dump(meta, sort_keys=False))
    with pytest.raises(ValueError, match=r"field 'num_images' .*7, but the factors span 6"):
        PreparedData(path)


def test_dataset_yaml_syntax_error_gives_line_and_column(tmp_path, capsys):
    path = _prepared(tmp_path / "d")
    meta_file = path / "dataset.yaml"
    text = meta_file.read_text().replace("num_images: 6", "num_images: [6")
    meta_file.write_text(text)
    # line 1 is kind: prepared, line 2 format_version, line 3 name, line 4 num_images
    with pytest.raises(
        ValueError,
        match=r"dataset\.yaml is not valid YAML: line 5, column 18: "
        r"expected ',' or '\]'.*starts at line 4, column 13\); fix the syntax there",
    ):
        gtdata.load(path)
    assert main(["info", str(path)]) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1


def test_spec_with_a_yaml_syntax_error_names_line_and_column(tmp_path, capsys):
    spec = tmp_path / "scene.yaml"
    spec.write_text("name: scene\nfactors:\n  - {name: x, linspace: [0.2, 0.8, 3]\nobjects: []\n")
    with pytest.raises(ValueError, match=r"scene\.yaml is not valid YAML: line 4, column 1: ") as err:
        gtdata.load(spec)
    assert "expected ',' or '}'" in str(err.value)
    assert "\n" not in str(err.value)
    assert main(["render", str(spec), "--out", str(tmp_path / "o"), "--quiet"]) == 2
    out = capsys.readouterr().err.strip()
    assert len(out.splitlines()) == 1 and "line 4, column 1" in out
