import numpy as np
import pytest
from metric_fixtures import synthetic_codes

from gtdata.metrics import arrays


@pytest.mark.parametrize(
    "matrix, expected",
    [
        (5 * np.eye(5), 1.0),
        (np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]]), 2.0 / 3.0),
        (np.zeros((10, 10)), 0.0),
        (np.vstack([np.eye(5), np.eye(5)]), 1.0),
        (np.eye(5)[:2], 1.0),
        (np.hstack([np.eye(5), np.eye(5)]), 1.0 - 1.0 / 9.0),
    ],
)
def test_modularity_matrix_reference_values(matrix, expected):
    assert arrays.modularity(matrix) == pytest.approx(expected, abs=1e-12)


def test_modularity_identity_duplicated_permuted_bounds():
    codes, factors = synthetic_codes(3000, sizes=(10,) * 10)
    ident = arrays.modularity_explicitness(codes, factors, codes, factors, rng=0, num_bins=None)
    assert 0.9 <= ident["modularity_score"] <= 1.0
    assert ident["explicitness_score_test"] > 0.9
    dup = arrays.modularity_explicitness(
        np.hstack([codes, codes]), factors, np.hstack([codes, codes]), factors, num_bins=None
    )
    assert 0.9 <= dup["modularity_score"] <= 1.0
    big_codes, big_factors = synthetic_codes(20000, sizes=(10,) * 10, seed=1)
    permuted = np.random.default_rng(2).permuted(big_codes, axis=1)
    m = arrays.discrete_mutual_info(permuted, big_factors)
    assert 0.0 <= arrays.modularity(m) <= 0.2


def test_explicitness_is_auc_of_logistic_regression_and_handles_constant_code():
    codes, factors = synthetic_codes(600, sizes=(3, 4))
    noisy = codes + np.random.default_rng(0).normal(scale=0.3, size=codes.shape)
    with_const = np.c_[noisy, np.ones(600)]  # a constant code must not produce NaN (std 0)
    out = arrays.modularity_explicitness(with_const[:400], factors[:400], with_const[400:], factors[400:], rng=0)
    assert 0.8 < out["explicitness_score_test"] <= 1.0
    assert 0.8 < out["explicitness_score_train"] <= 1.0
    pure_noise = np.random.default_rng(1).normal(size=(600, 2))
    chance = arrays.modularity_explicitness(pure_noise[:400], factors[:400], pure_noise[400:], factors[400:], rng=0)
    assert chance["explicitness_score_test"] == pytest.approx(0.5, abs=0.1)
