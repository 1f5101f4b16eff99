import numpy as np
import pytest
from sklearn.metrics import mutual_info_score

from gtdata.metrics import arrays


def test_histogram_discretizer_reference_example():
    x = np.array([[0.1, 0.2, 0.3, 0.4, 0.5, 0.6]]).T
    np.testing.assert_array_equal(arrays.histogram_discretize(x, 3)[:, 0], [1, 1, 2, 2, 3, 3])


def test_histogram_discretizer_matches_numpy_per_column():
    x = np.random.default_rng(0).normal(size=(500, 4)) * [1, 10, 0.1, 3]
    out = arrays.histogram_discretize(x, 20)
    for j in range(4):
        expected = np.digitize(x[:, j], np.histogram(x[:, j], 20)[1][:-1])
        np.testing.assert_array_equal(out[:, j], expected)
    assert out.min() == 1 and out.max() == 20


def test_histogram_discretizer_constant_column_is_one_bin():
    out = arrays.histogram_discretize(np.ones((10, 1)), 20)
    assert np.unique(out).size == 1


def test_entropy_ln3():
    np.testing.assert_allclose(arrays.discrete_entropy(np.array([[1, 1, 2, 2, 3, 3]]).T), [np.log(3)])


def test_mutual_info_identical_binary_and_independent():
    a = np.array([[0, 0, 1, 1]]).T
    np.testing.assert_allclose(arrays.discrete_mutual_info(a, a), [[np.log(2)]])
    b = np.array([[0, 1, 0, 1]]).T
    np.testing.assert_allclose(arrays.discrete_mutual_info(a, b), [[0.0]], atol=1e-15)


def test_mutual_info_matches_scikit_learn():
    rng = np.random.default_rng(1)
    a = rng.integers(0, 7, size=(2000, 3))
    b = np.stack([a[:, 0] // 2, rng.integers(0, 5, 2000)], axis=1) + 10
    m = arrays.discrete_mutual_info(a, b)
    assert m.shape == (3, 2)
    for i in range(3):
        for j in range(2):
            assert m[i, j] == pytest.approx(mutual_info_score(b[:, j], a[:, i]), abs=1e-12)


def test_discretizer_rejects_bad_input():
    with pytest.raises(ValueError, match="num_bins"):
        arrays.histogram_discretize(np.zeros((3, 1)), 0)
    with pytest.raises(ValueError, match="shape"):
        arrays.histogram_discretize(np.zeros(3), 5)
