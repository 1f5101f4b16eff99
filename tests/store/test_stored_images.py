"""The ``stored_images`` capability: which sets serve their observations as rows of one stored uint8 array.

The GPU data path and the HDF5 export copy stored rows instead of rendering only when this says so; a set
that changes the pixels must say no, or those consumers would hand out the wrong images.
"""

import numpy as np
import pytest

from gtdata.core.factors import Factor, FactorSpace
from gtdata.core.memory import ToyData
from gtdata.store.prepared import PreparedData, PreparedWriter


@pytest.fixture(scope="module")
def prepared(tmp_path_factory):
    space = FactorSpace([Factor("a", [0, 1, 2]), Factor("b", [0.0, 0.5, 1.0, 1.5])])
    images = np.random.default_rng(0).integers(0, 256, size=(12, 8, 8, 1), dtype=np.uint8)
    path = tmp_path_factory.mktemp("prepared") / "set"
    with PreparedWriter(path, space, (8, 8, 1), name="random8") as writer:
        writer.write(images)
        writer.commit()
    return PreparedData(path)


class _Inverted(PreparedData):
    """A prepared set that changes its pixels: its observations are no longer the stored rows."""

    def _render(self, codes, nuisance):
        return 255 - super()._render(codes, nuisance)


def test_prepared_rows_are_its_observations(prepared):
    stored = prepared.stored_images
    assert stored is prepared.images and stored.dtype == np.uint8
    codes = prepared.sample_codes(20, 1)
    rows = prepared.stored_index(codes, prepared.draw_nuisance(20, 2))
    np.testing.assert_array_equal(stored[rows], prepared.observations(codes, 2, dtype=np.uint8))


def test_views_keep_the_capability_and_computed_sets_have_none(prepared):
    view = prepared.split("a < 2")
    assert view.stored_images is not None and np.array_equal(view.stored_images, prepared.images)
    assert ToyData().stored_images is None
    assert _Inverted(prepared.path).stored_images is None


def test_consumers_follow_the_capability(prepared, tmp_path):
    from gtdata.store.hdf5 import export_hdf5, import_hdf5
    from gtdata.training.device_data import supports_device_path

    assert supports_device_path(prepared) and not supports_device_path(_Inverted(prepared.path))
    inverted = _Inverted(prepared.path)
    back = import_hdf5(export_hdf5(inverted, tmp_path / "inv.h5", progress=False))
    codes = inverted.factor_space.index_to_codes(np.arange(len(inverted)))
    np.testing.assert_array_equal(back.observations(codes, dtype=np.uint8), 255 - prepared.images)
