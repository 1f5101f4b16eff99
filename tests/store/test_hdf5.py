import h5py
import numpy as np
import pytest

import gtdata
from gtdata import Factor, FactorSpace, PreparedData, PreparedWriter, export_hdf5, import_hdf5


def test_toy_round_trip_in_memory(tmp_path):
    data = gtdata.ToyData((2, 3, 4), image_size=16)
    path = export_hdf5(data, tmp_path / "toy.h5", progress=False)
    with h5py.File(path) as h5:
        assert h5.attrs["format"] == "gtdata-hdf5"
        assert h5["images"].shape == (24, 16, 16, 1) and h5["codes"].shape == (24, 3)
        assert h5["factors/factor1"].attrs["position"] == 1
    back = import_hdf5(path)
    codes = data.factor_space.index_to_codes(np.arange(24))
    assert np.array_equal(back.observations(codes, dtype=np.uint8), data.observations(codes, dtype=np.uint8))
    assert back.factor_space == data.factor_space


def test_prepared_round_trip_keeps_nuisance_and_units(tmp_path):
    space = FactorSpace(
        [Factor("shape", ["cube", "ball"]), Factor("instance", [0, 1, 2]), Factor("angle", [0.0, 45.0], unit="degrees")]
    )
    images = np.arange(12 * 4 * 4, dtype=np.uint8).reshape(12, 4, 4, 1)
    with PreparedWriter(tmp_path / "p", space, (4, 4, 1), nuisance=["instance"]) as w:
        w.write(images)
        w.commit()
    export_hdf5(PreparedData(tmp_path / "p"), tmp_path / "p.h5", progress=False)
    reopened = import_hdf5(tmp_path / "p.h5", out=tmp_path / "q", progress=False)
    assert isinstance(reopened, PreparedData)
    assert reopened.metadata["nuisance_factors"] == ["instance"]
    assert reopened.factor_space["angle"].unit == "degrees"
    assert np.array_equal(np.asarray(reopened.images), images)
    in_memory = gtdata.load(tmp_path / "p.h5")
    assert in_memory.factors_num_values == [2, 2] and len(in_memory) == 4


def test_split_export_and_incomplete_import(tmp_path):
    data = gtdata.ToyData((3, 3), image_size=8).split("factor0 < 0.6")
    export_hdf5(data, tmp_path / "s.h5", progress=False)
    back = import_hdf5(tmp_path / "s.h5")
    assert len(back) == 6
    with pytest.raises(ValueError, match="complete factor grid"):
        import_hdf5(tmp_path / "s.h5", out=tmp_path / "s")


def test_not_gtdata_hdf5(tmp_path):
    with h5py.File(tmp_path / "other.h5", "w") as h5:
        h5["x"] = np.zeros(3)
    with pytest.raises(ValueError, match="not a gtdata HDF5 file"):
        import_hdf5(tmp_path / "other.h5")


def test_subclass_that_transforms_is_exported_through_its_render(tmp_path):
    space = FactorSpace([Factor("a", [0, 1]), Factor("b", [0, 1, 2])])
    with PreparedWriter(tmp_path / "p", space, (2, 2, 1)) as w:
        w.write(np.full((6, 2, 2, 1), 100, np.uint8))
        w.commit()

    class Inverted(PreparedData):
        def _render(self, codes, nuisance):
            return 255 - super()._render(codes, nuisance)

    export_hdf5(Inverted(tmp_path / "p"), tmp_path / "inv.h5", progress=False)
    with h5py.File(tmp_path / "inv.h5") as h5:
        assert (h5["images"][()] == 155).all()
