"""No command or call deletes or moves a file gtdata did not write: an output path that holds user data is
refused with a clear error, and ``overwrite`` replaces only a gtdata data set."""

import h5py
import numpy as np
import pytest

import gtdata
from gtdata import Factor, FactorSpace, PreparedData, PreparedWriter, export_hdf5
from gtdata.cli.main import main
from gtdata.core.persist import OutputExistsError
from gtdata.render import export_rendered

SPEC = {
    "name": "two_discs",
    "canvas": {"height": 8, "width": 8, "channels": 1},
    "background": 0.0,
    "factors": [{"name": "x", "linspace": [0.3, 0.7, 2]}],
    "objects": [{"shape": "circle", "x": {"factor": "x"}, "y": 0.5, "scale": 0.4}],
}


def _user_dir(path):
    path.mkdir()
    (path / "thesis.tex").write_text("years of work")
    (path / "figures").mkdir()
    (path / "figures" / "plot.png").write_bytes(b"\x89PNG")
    return path


def _unchanged(path):
    assert (path / "thesis.tex").read_text() == "years of work"
    assert (path / "figures" / "plot.png").read_bytes() == b"\x89PNG"
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name]  # nothing moved aside, no .partial


@pytest.mark.parametrize("overwrite", [False, True])
def test_export_into_a_user_directory_is_refused(tmp_path, overwrite):
    target = _user_dir(tmp_path / "mine")
    with pytest.raises(OutputExistsError, match=r"mine is a directory that is not a gtdata data set .*thesis\.tex"):
        export_rendered(SPEC, target, progress=False, overwrite=overwrite)
    assert isinstance(OutputExistsError("x"), FileExistsError)
    _unchanged(target)


@pytest.mark.parametrize("overwrite", [False, True])
def test_render_cli_into_a_user_directory_is_refused_in_one_line(tmp_path, capsys, overwrite):
    target = _user_dir(tmp_path / "mine")
    spec = tmp_path.parent / f"{tmp_path.name}-spec.yaml"
    import yaml

    spec.write_text(yaml.safe_dump(SPEC))
    argv = ["render", str(spec), "--out", str(target), "--quiet"] + (["--overwrite"] if overwrite else [])
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("gtdata render: error: ") and len(err.splitlines()) == 1
    assert "not a gtdata data set" in err and "choose another" in err
    _unchanged(target)


@pytest.mark.parametrize("fmt", ["prepared", "hdf5"])
def test_export_onto_an_existing_user_file_is_refused_even_with_overwrite(tmp_path, fmt):
    target = tmp_path / "results.h5"
    target.write_bytes(b"my measurements")
    for overwrite in (False, True):
        with pytest.raises(OutputExistsError, match=r"results\.h5 .*not a gtdata"):
            export_rendered(SPEC, target, format=fmt, progress=False, overwrite=overwrite)
        assert target.read_bytes() == b"my measurements"
        assert [p.name for p in tmp_path.iterdir()] == ["results.h5"]


def test_overwrite_replaces_a_gtdata_set_and_an_empty_directory_is_used(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    assert len(gtdata.load(export_rendered(SPEC, empty, progress=False))) == 2
    with pytest.raises(OutputExistsError, match="already holds a gtdata data set; pass overwrite=True"):
        export_rendered(SPEC, empty, progress=False)
    export_rendered(SPEC, empty, progress=False, overwrite=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty"]  # the replaced set left nothing behind
    h5 = export_rendered(SPEC, tmp_path / "r.h5", format="hdf5", progress=False)
    with pytest.raises(OutputExistsError, match="pass overwrite=True"):
        export_rendered(SPEC, h5, format="hdf5", progress=False)
    export_rendered(SPEC, h5, format="hdf5", progress=False, overwrite=True)
    assert len(gtdata.load(h5)) == 2


def test_export_hdf5_and_the_export_cli_refuse_an_existing_file(tmp_path, capsys, monkeypatch):
    data = gtdata.ToyData((2, 2), image_size=8)
    target = tmp_path / "notes.h5"
    target.write_text("do not delete")
    with pytest.raises(OutputExistsError, match="notes.h5"):
        export_hdf5(data, target, progress=False)
    with pytest.raises(OutputExistsError, match="not a gtdata"):
        export_hdf5(data, target, progress=False, overwrite=True)
    assert target.read_text() == "do not delete"
    # a foreign HDF5 file is not a gtdata set either
    with h5py.File(tmp_path / "other.h5", "w") as h5:
        h5["x"] = np.arange(3)
    with pytest.raises(OutputExistsError, match="not a gtdata"):
        export_hdf5(data, tmp_path / "other.h5", progress=False, overwrite=True)
    monkeypatch.chdir(tmp_path)
    assert main(["export", "toy", "--out", str(target), "--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("gtdata export: error: ") and len(err.splitlines()) == 1 and "notes.h5" in err
    assert target.read_text() == "do not delete"
    assert main(["export", "toy", "--out", "toy.h5", "--quiet"]) == 0
    assert main(["export", "toy", "--out", "toy.h5", "--quiet"]) == 2
    assert "--overwrite" in capsys.readouterr().err
    assert main(["export", "toy", "--out", "toy.h5", "--quiet", "--overwrite"]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.h5", "other.h5", "toy.h5"]


def test_writer_never_deletes_a_user_directory_named_like_its_partial(tmp_path):
    space = FactorSpace([Factor("a", [0, 1])])
    partial = _user_dir(tmp_path / "set.partial")
    with pytest.raises(OutputExistsError, match=r"set\.partial .*not a gtdata"):
        PreparedWriter(tmp_path / "set", space, (2, 2, 1), resume=False)
    assert (partial / "thesis.tex").read_text() == "years of work"


def test_an_interrupted_partial_write_is_still_resumed_or_restarted(tmp_path):
    space = FactorSpace([Factor("a", np.arange(4))])
    with PreparedWriter(tmp_path / "set", space, (2, 2, 1)) as w:
        w.write(np.ones((2, 2, 2, 1), np.uint8))
    with PreparedWriter(tmp_path / "set", space, (2, 2, 1), resume=False) as w:  # gtdata's own partial: restart
        assert w.position == 0
        w.write(np.full((4, 2, 2, 1), 7, np.uint8))
        w.commit()
    assert np.asarray(PreparedData(tmp_path / "set").images).tolist() == np.full((4, 2, 2, 1), 7).tolist()
