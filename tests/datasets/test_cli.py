"""The data set subcommands of ``gtdata`` (list, info, download, verify, prepare, export, preview)."""

from __future__ import annotations

import h5py
import numpy as np
from PIL import Image

from gtdata.cli.main import main


def test_list_shows_sets_aliases_and_cache_state(env, capsys):
    assert main(["list", "--kind", "benchmark"]) == 0
    out = capsys.readouterr().out
    for name in (
        "dsprites",
        "color_dsprites",
        "noisy_dsprites",
        "scream_dsprites",
        "smallnorb",
        "cars3d",
        "shapes3d",
        "mpi3d_real",
        "mpi3d_toy_2019",
    ):
        assert f"\n{name} " in out
    assert "dsprites_full" in out and "not cached" in out


def test_info_factors_files_and_state(env, capsys):
    assert main(["info", "3dshapes"]) == 0
    out = capsys.readouterr().out
    assert "orientation" in out and "-30, 0, 30 [deg]" in out
    assert "3dshapes.h5  [missing]" in out and "sha256:" in out and "prepared:" in out
    assert main(["info", "mpi3d_toy", "--edition", "2019"]) == 0
    out = capsys.readouterr().out
    assert "mpi3d_toy-2019" in out and "checksum: none published" in out


def test_info_describes_spec_files_and_prepared_paths(env, capsys, tmp_path):
    spec = tmp_path / "scene.yaml"
    spec.write_text(
        "name: one_disc\ncanvas: {height: 32, width: 32, channels: 1}\nbackground: 0.0\n"
        "factors:\n  - {name: size, linspace: [0.5, 1.0, 3], unit: px}\n"
        "objects:\n  - {shape: circle, scale: {factor: size, scale: 0.3}}\n"
    )
    assert main(["info", str(spec)]) == 0
    out = capsys.readouterr().out
    assert "RenderedData 'one_disc'" in out and "size                   3  0.5, 0.75, 1 [px]" in out


def test_info_unknown_name_suggests(env, capsys):
    assert main(["info", "smalnorb"]) == 2
    assert "Did you mean 'smallnorb'" in capsys.readouterr().err


def test_download_verify_prepare_export_preview(env, capsys, tmp_path):
    assert main(["download", "scream_dsprites", "--quiet"]) == 0
    assert (env / "raw" / "scream" / "scream.jpg").exists()
    err = capsys.readouterr().err  # --quiet hides the bars; the library's log messages still reach the user
    assert "downloading scream.jpg from http://127.0.0.1" in err and "%" not in err
    assert main(["verify"]) == 0
    out = capsys.readouterr().out
    assert "dsprites_ndarray_co1sh3sc6or40x32y32_64x64.npz: ok (matches the published checksum)" in out
    assert "scream.jpg: ok (matches the sha256 recorded" in out

    npz = env / "raw" / "dsprites" / "dsprites_ndarray_co1sh3sc6or40x32y32_64x64.npz"
    data = bytearray(npz.read_bytes())
    data[-10] ^= 0xFF
    npz.write_bytes(bytes(data))
    assert main(["verify", "dsprites"]) == 1
    out = capsys.readouterr().out
    assert "checksum mismatch: size" not in out and "sha256: expected" in out and "gtdata download dsprites" in out
    npz.unlink()

    assert main(["prepare", "dsprites", "--quiet"]) == 0
    assert (env / "prepared" / "dsprites" / "dataset.yaml").exists()
    out_h5 = tmp_path / "d.h5"
    assert main(["export", "dsprites", "--out", str(out_h5), "--quiet"]) == 0
    with h5py.File(out_h5) as h5:
        assert any(np.asarray(v).shape[:1] == (144,) for v in h5.values() if isinstance(v, h5py.Dataset))
    png = tmp_path / "p.png"
    assert main(["preview", "scream_dsprites", "--out", str(png), "--samples", "4"]) == 0
    with Image.open(png) as img:
        assert img.height == 6 * 66  # samples + 5 traversals


def test_prepare_without_download_says_what_to_do(env, capsys):
    assert main(["prepare", "cars3d", "--no-download", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "nips2015-analogy-data.tar.gz is missing" in err and "gtdata download cars3d" in err


def test_download_needs_names_or_all(env, capsys):
    assert main(["download"]) == 2
    assert "names or --all" in capsys.readouterr().err


def test_preview_accepts_anything_gtdata_load_opens(env, tmp_path, capsys):
    png = tmp_path / "r.png"
    assert main(["preview", "dsprites_like", "--out", str(png), "--samples", "3", "--max-values", "4"]) == 0
    with Image.open(png) as img:
        assert img.height == 6 * 66 and img.width == 150 + 4 * 66
    assert main(["preview", "dsprites", "--out", str(png), "--samples", "0"]) == 2
    assert "--samples must be >= 1" in capsys.readouterr().err
    assert not (env / "raw" / "dsprites").exists()  # refused before downloading anything
