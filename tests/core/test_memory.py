import numpy as np
import pytest

import gtdata
from gtdata import from_arrays


def _labelled(rng):
    shape = np.repeat(["circle", "square"], 6)
    size = np.tile([1.0, 2.0, 3.0], 4)
    images = rng.integers(0, 256, (12, 8, 8), dtype=np.uint8)
    return images, np.stack([shape, size.astype(str)], axis=1), shape, size


def test_from_arrays_actual_values_and_duplicates_as_nuisance():
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (12, 8, 8), dtype=np.uint8)
    labels = np.stack([np.repeat([0.0, 1.0], 6), np.tile([10.0, 20.0, 30.0], 4)], axis=1)
    data = from_arrays(images, labels, names=["a", "b"])
    assert data.factors_num_values == [2, 3]
    assert data.factor_space["b"].values.tolist() == [10.0, 20.0, 30.0]
    x = data.observations(np.tile([[1, 2]], (200, 1)), rng=0, dtype=np.uint8)[..., 0]
    rows = np.flatnonzero((labels[:, 0] == 1.0) & (labels[:, 1] == 30.0))
    assert len(rows) == 2
    seen = {next(r for r in rows if np.array_equal(images[r], img)) for img in x}
    assert seen == set(rows.tolist())


def test_from_arrays_incomplete_grid_samples_only_observed():
    images = np.zeros((3, 4, 4, 1), dtype=np.float32)
    data = from_arrays(images, [[0, 0], [0, 1], [1, 0]], values=[[0, 1], [0, 1]])
    assert len(data) == 3
    codes = data.sample_codes(500, 0)
    assert not ((codes[:, 0] == 1) & (codes[:, 1] == 1)).any()
    with pytest.raises(ValueError, match=r"no image for codes \[1, 1\]"):
        data.observations([[1, 1]])


def test_from_arrays_bad_input():
    with pytest.raises(ValueError, match=r"factors must have shape \(N, F\) with N = 2"):
        from_arrays(np.zeros((2, 4, 4)), np.zeros((3, 1)))
    with pytest.raises(ValueError, match="float images must lie in"):
        from_arrays(np.full((1, 4, 4), 2.0), [[0]])
    with pytest.raises(ValueError, match=r"factor 'factor0' has 2 values"):
        from_arrays(np.zeros((1, 4, 4)), [[5]], values=[[0, 1]])


def test_toy_is_registered_and_validates():
    data = gtdata.load("toy", factor_sizes=(2, 2), image_size=16)
    assert isinstance(data, gtdata.ToyData) and data.observation_shape == (16, 16, 1)
    with pytest.raises(ValueError, match="channels must be 1 or 3"):
        gtdata.ToyData(channels=2)
