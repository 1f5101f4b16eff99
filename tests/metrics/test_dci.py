import numpy as np
import pytest
from metric_fixtures import synthetic_codes
from sklearn.ensemble import GradientBoostingClassifier

from gtdata.metrics import arrays
from gtdata.metrics._random import draw_seeds

LN2_LN10 = np.log(2) / np.log(10)


@pytest.mark.parametrize(
    "matrix, d, c",
    [
        (5 * np.eye(5), 1.0, 1.0),
        (np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]]), 1.0, 1.0),
        (np.zeros((10, 10)), 0.0, 0.0),
        (np.vstack([np.eye(5), np.eye(5)]), 1.0, 1.0 - LN2_LN10),
        (np.eye(5)[:2], 1.0, 1.0),
        (np.hstack([np.eye(5), np.eye(5)]), 1.0 - LN2_LN10, 1.0),
    ],
)
def test_dci_matrix_reference_values(matrix, d, c):
    out = arrays.dci_scores(matrix)
    np.testing.assert_allclose(out["disentanglement"], d, atol=1e-7)
    np.testing.assert_allclose(out["completeness"], c, atol=1e-7)


def test_dci_matrix_rejects_negative():
    with pytest.raises(ValueError, match="nonnegative"):
        arrays.dci_scores(-np.eye(3))


def _split(codes, factors, n):
    return codes[:n], factors[:n], codes[n:], factors[n:]


def test_dci_identity_permuted_duplicated_bounds():
    codes, factors = synthetic_codes(500, sizes=(3, 3, 3, 3))
    ident = arrays.dci(*_split(codes, factors, 250), rng=0, n_jobs=1)
    assert 0.9 <= ident["disentanglement"] <= 1.0 and 0.9 <= ident["completeness"] <= 1.0
    assert ident["informativeness_test"] == 1.0
    permuted = np.random.default_rng(0).permuted(codes, axis=1)
    perm = arrays.dci(*_split(permuted, factors, 250), rng=0, n_jobs=1)
    assert 0.0 <= perm["disentanglement"] <= 0.2 and 0.0 <= perm["completeness"] <= 0.2
    dup = arrays.dci(*_split(np.hstack([codes, codes]), factors, 250), rng=0, n_jobs=1)
    assert 0.9 <= dup["disentanglement"] <= 1.0
    # 4 factors on 8 codes: each factor's importance split over two codes gives 1 - ln2/ln8 (1 - ln2/ln10 at 10 codes)
    assert dup["completeness"] == pytest.approx(1 - np.log(2) / np.log(8), abs=0.1)


def test_dci_equals_sequential_reference_loop_and_ignores_n_jobs():
    rng = np.random.default_rng(3)
    factors = np.stack([rng.integers(0, s, 300) for s in (2, 3, 4)], axis=1)
    codes = factors @ rng.normal(size=(3, 4)) + rng.normal(scale=0.5, size=(300, 4))
    ctr, ftr, cte, fte = _split(codes, factors, 200)
    seeds = draw_seeds(np.random.RandomState(7), 3)
    r = np.zeros((4, 3))
    train, test = [], []
    for j in range(3):  # the reference definition: one default GradientBoostingClassifier per factor
        model = GradientBoostingClassifier(random_state=seeds[j]).fit(ctr, ftr[:, j])
        r[:, j] = np.abs(model.feature_importances_)
        train.append(np.mean(model.predict(ctr) == ftr[:, j]))
        test.append(np.mean(model.predict(cte) == fte[:, j]))
    expected = {**arrays.dci_scores(r), "informativeness_train": np.mean(train), "informativeness_test": np.mean(test)}
    parallel = arrays.dci(ctr, ftr, cte, fte, rng=np.random.RandomState(7), n_jobs=2)
    sequential = arrays.dci(ctr, ftr, cte, fte, rng=np.random.RandomState(7), n_jobs=1)
    assert parallel == sequential
    for key, value in expected.items():
        assert parallel[key] == pytest.approx(value, abs=1e-12)


def test_parallel_path_used_for_large_problems_gives_same_matrix(monkeypatch):
    from gtdata.metrics import _fitting

    monkeypatch.setattr(_fitting, "_PARALLEL_MIN_WORK", 0)
    codes, factors = synthetic_codes(150, sizes=(2, 3))
    a = arrays.importance_matrix(codes[:100], factors[:100], codes[100:], factors[100:], rng=1, n_jobs=2)
    b = arrays.importance_matrix(codes[:100], factors[:100], codes[100:], factors[100:], rng=1, n_jobs=1)
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)


def test_dci_fast_real_importances_and_bounds():
    codes, factors = synthetic_codes(400, sizes=(2, 3, 2))
    noisy = np.c_[codes, np.random.default_rng(0).normal(size=400)]
    r, train, test = arrays.importance_matrix(noisy[:300], factors[:300], noisy[300:], factors[300:], rng=0, fast=True)
    np.testing.assert_allclose(r.sum(axis=0), 1.0)  # normalised gains per factor
    assert np.all(np.argmax(r, axis=0) == np.arange(3))  # each factor's own code carries its importance
    scores = arrays.dci_scores(r)
    assert scores["disentanglement"] >= 0.9 and scores["completeness"] >= 0.9 and np.all(test == 1.0)


def test_dci_same_seed_same_scores_and_bad_input():
    codes, factors = synthetic_codes(200, sizes=(2, 3))
    a = arrays.dci(codes[:150], factors[:150], codes[150:], factors[150:], rng=5)
    b = arrays.dci(codes[:150], factors[:150], codes[150:], factors[150:], rng=5)
    assert a == b
    with pytest.raises(ValueError, match="factor 1 takes a single value"):
        arrays.dci(codes[:150], np.c_[factors[:150, 0], np.zeros(150, int)], codes[150:], factors[150:])
    with pytest.raises(ValueError, match="latents_test has 3 latent dimensions"):
        arrays.dci(codes[:150], factors[:150], np.arange(15.0).reshape(5, 3), factors[:5])
    bad = codes.copy()
    bad[3, 1] = np.nan
    with pytest.raises(ValueError, match="NaN or infinite"):
        arrays.dci(bad[:150], factors[:150], codes[150:], factors[150:])
