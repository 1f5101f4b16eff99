"""Export to the prepared store / HDF5, resumability, disk check, registry and CLI."""

import pickle

import numpy as np
import pytest
import yaml

import gtdata
from gtdata.cli.main import main
from gtdata.render import RenderedData, export_rendered
from gtdata.store.prepared import PreparedData


def test_export_load_round_trip_equals_on_demand(tiny_spec, tmp_path):
    data = RenderedData(tiny_spec)
    path = export_rendered(data, tmp_path / "tiny", chunk_size=5, progress=False)
    loaded = gtdata.load(path)
    assert isinstance(loaded, PreparedData)
    assert loaded.factor_space == data.factor_space
    codes = data.factor_space.index_to_codes(np.arange(len(data)))
    np.testing.assert_array_equal(loaded.observations(codes, dtype=np.uint8), data.observations(codes, dtype=np.uint8))
    meta = yaml.safe_load((path / "dataset.yaml").read_text())
    assert meta["metadata"]["spec_sha256"] == data.spec.sha256
    assert meta["metadata"]["spec"] == tiny_spec
    assert loaded.verify()


def test_hdf5_export_round_trip(tiny_spec, tmp_path):
    data = RenderedData(tiny_spec)
    path = export_rendered(data, tmp_path / "tiny.h5", format="hdf5", progress=False)
    loaded = gtdata.load(path)
    codes = data.factor_space.index_to_codes(np.arange(len(data)))
    np.testing.assert_array_equal(loaded.observations(codes, dtype=np.uint8), data.observations(codes, dtype=np.uint8))


def test_split_export_is_a_sub_grid(tmp_path):
    data = RenderedData("dsprites_like")
    path = export_rendered(
        data, tmp_path / "hearts", split='shape == "heart" and scale == 1.0 and posY < 0.1', progress=False
    )
    loaded = gtdata.load(path)
    assert loaded.factors_num_values == [1, 1, 40, 32, 4]
    codes = loaded.sample_codes(300, 0)
    full = data.factor_space.values_to_codes(loaded.factor_space.codes_to_values(codes))
    np.testing.assert_array_equal(loaded.observations(codes, dtype=np.uint8), data.observations(full, dtype=np.uint8))
    with pytest.raises(ValueError, match="is not a sub-grid .* export it with format='hdf5'"):
        export_rendered(data, tmp_path / "diag", split='shape == "heart" or scale == 1.0', progress=False)


def test_interrupted_export_resumes_to_the_same_bytes(scene, tmp_path):
    spec = scene(
        [{"shape": "circle", "x": {"factor": "x"}, "y": {"factor": "y"}, "scale": 0.3}],
        [{"name": "x", "linspace": [0.2, 0.8, 10]}, {"name": "y", "linspace": [0.2, 0.8, 10]}],
        size=16,
        background={"noise": {"low": 0.0, "high": 0.4}},
    )
    clean = export_rendered(spec, tmp_path / "clean", chunk_size=7, seed=3, progress=False)

    class Crash(RuntimeError):
        pass

    data = RenderedData(spec)
    calls = {"n": 0}
    render = data._render

    def flaky(codes, nuisance):
        calls["n"] += 1
        if calls["n"] == 4:
            raise Crash
        return render(codes, nuisance)

    data._render = flaky
    with pytest.raises(Crash):
        export_rendered(data, tmp_path / "resumed", chunk_size=30, seed=3, progress=False)
    assert (tmp_path / "resumed.partial").exists() and not (tmp_path / "resumed").exists()
    path = export_rendered(RenderedData(spec), tmp_path / "resumed", chunk_size=11, seed=3, progress=False)
    assert (path / "images.npy").read_bytes() == (clean / "images.npy").read_bytes()


def test_export_that_cannot_fit_on_disk_is_refused_before_writing(tmp_path):
    with pytest.raises(OSError, match=r"needs \d+.* GiB but only .* GiB are free"):
        export_rendered("multi_sprites", tmp_path / "huge", progress=False)
    assert list(tmp_path.iterdir()) == []


def test_registry_lists_and_loads_builtins(tmp_path, tiny_spec):
    rendered = {i.name for i in gtdata.list_datasets("rendered")}
    assert {"dsprites_like", "multi_sprites", "textured_sprites"} <= rendered
    data = gtdata.load("dsprites_like")
    assert isinstance(data, RenderedData) and len(data) == 737_280
    spec_file = tmp_path / "scene.yaml"
    spec_file.write_text(yaml.safe_dump(tiny_spec))
    from_file = gtdata.load(spec_file)
    assert isinstance(from_file, RenderedData) and from_file.spec.sha256 == RenderedData(tiny_spec).spec.sha256


def test_sampling_api_and_pickling(tiny_spec):
    data = RenderedData(tiny_spec)
    pairs = data.sample_pairs(16, k=1, rng=0)
    assert pairs.x1.shape == (16, 32, 32, 3) and pairs.changed.sum(axis=1).tolist() == [1] * 16
    heart = data.split('shape == "heart"')
    assert len(heart) == 12 and np.all(heart.sample_codes(50, 0)[:, 0] == 1)
    blob = pickle.dumps(data)
    assert len(blob) < 10_000  # the spec, not pixels
    again = pickle.loads(blob)
    codes = data.sample_codes(10, 1)
    np.testing.assert_array_equal(again.observations(codes), data.observations(codes))
    assert data.metadata["spec_sha256"] == data.spec.sha256


def test_cli_render(tmp_path, tiny_spec, capsys):
    spec_file = tmp_path / "scene.yaml"
    spec_file.write_text(yaml.safe_dump(tiny_spec))
    assert main(["render", str(spec_file), "--out", str(tmp_path / "out"), "--quiet"]) == 0
    assert "wrote 24 images of test_scene" in capsys.readouterr().out
    assert len(gtdata.load(tmp_path / "out")) == 24
    assert (
        main(
            [
                "render",
                "dsprites_like",
                "--out",
                str(tmp_path / "h.h5"),
                "--format",
                "hdf5",
                "--quiet",
                "--split",
                'shape == "square" and scale == 0.5 and orientation == 0 and posX < 0.1',
            ]
        )
        == 0
    )
    assert len(gtdata.load(tmp_path / "h.h5")) == 4 * 32  # posX 0, 1/31, 2/31, 3/31
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(dict(tiny_spec, objects=[{"shape": "blob"}])))
    assert main(["render", str(bad), "--out", str(tmp_path / "x"), "--quiet"]) == 2
    assert "objects[0].shape: unknown shape 'blob'" in capsys.readouterr().err


def test_torch_adapters(tiny_spec):
    import torch

    from gtdata.torchdata import BatchStream, GroundTruthDataset

    data = RenderedData(tiny_spec)
    image, codes = GroundTruthDataset(data)[5]
    assert image.shape == (3, 32, 32) and image.dtype == torch.float32
    np.testing.assert_allclose(image.numpy().transpose(1, 2, 0), data.observations(codes[None].numpy())[0])
    batch = next(iter(BatchStream(data, batch_size=8, seed=0)))
    assert batch[0].shape == (8, 3, 32, 32)
