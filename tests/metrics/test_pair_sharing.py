import numpy as np
import pytest
from scipy.stats import spearmanr

import gtdata
from gtdata.metrics import evaluate
from gtdata.metrics.arrays import pair_sharing


def test_against_spearman_by_hand():
    rng = np.random.default_rng(0)
    factors = rng.integers(0, 8, (3000, 3))
    latents = np.column_stack([factors[:, 0] + 0.5 * factors[:, 1], rng.normal(size=3000), factors[:, 2] * 1.0])
    got = pair_sharing(latents, factors, (0, 1))
    rho = np.abs(spearmanr(np.column_stack([latents, factors[:, :2]])).statistic[:3, 3:])
    both = np.minimum(rho[:, 0], rho[:, 1])
    assert got["pair_sharing"] == pytest.approx(both.max(), abs=1e-12)
    assert got["latent"] == 0.0
    assert got["best_a"] == pytest.approx(rho[:, 0].max(), abs=1e-12)
    assert 0.3 < got["pair_sharing"] < 0.6


def test_disentangled_is_zero_and_shared_is_high():
    rng = np.random.default_rng(1)
    f = rng.integers(0, 10, (5000, 2))
    assert pair_sharing(f * 1.0, f, (0, 1))["pair_sharing"] < 0.05
    assert pair_sharing((f[:, :1] + f[:, 1:]) * 1.0, f, (0, 1))["pair_sharing"] > 0.65


def test_in_evaluate_and_bad_pairs():
    data = gtdata.load("toy")

    def rep(x):  # bands 0 and 1+2 mixed
        return np.column_stack([x[:, 0, 0, 0], x[:, 20, 0, 0] + x[:, 40, 0, 0]])

    scores = evaluate(
        data, rep, metrics=["pair_sharing"], seed=0, options={"pair_sharing": {"pair": [1, 2], "num_train": 2000}}
    )
    assert scores["pair_sharing.pair_sharing"] > 0.5 and scores["pair_sharing.latent"] == 1.0
    with pytest.raises(ValueError, match=r"pair_sharing needs option pair: two factor positions"):
        evaluate(data, rep, metrics=["pair_sharing"], seed=0)
    with pytest.raises(ValueError, match=r"two different factor positions in 0..3, got \[1, 1\]"):
        pair_sharing(np.zeros((10, 2)) + np.arange(10)[:, None], np.tile(np.arange(10)[:, None] % 3, (1, 4)), (1, 1))


def test_other_factors_may_be_fixed_but_the_pair_must_vary():
    rng = np.random.default_rng(2)
    f = np.column_stack([np.zeros(1000, dtype=int), rng.integers(0, 5, (1000, 2))])  # factor 0 held fixed
    assert pair_sharing(f[:, 1:] * 1.0, f, (1, 2))["pair_sharing"] < 0.1
    with pytest.raises(ValueError, match="factor 0 of the pair takes a single value"):
        pair_sharing(f[:, 1:] * 1.0, f, (0, 1))
