import numpy as np
import pytest
from metric_fixtures import NoiseData, flat_rep, identity_data, identity_rep, synthetic_codes

from gtdata.metrics import arrays, compute_downstream, compute_reduced_downstream, compute_strong_downstream
from gtdata.metrics.strong_downstream import intervene


def test_downstream_keys_and_values():
    codes, factors = synthetic_codes(400, sizes=(3, 4))
    out = arrays.downstream(codes[:300], factors[:300], codes[300:], factors[300:], "logistic_regression", rng=0)
    assert set(out) == {
        "300:mean_train_accuracy",
        "300:mean_test_accuracy",
        "300:min_train_accuracy",
        "300:min_test_accuracy",
        "300:train_accuracy_factor_0",
        "300:test_accuracy_factor_0",
        "300:train_accuracy_factor_1",
        "300:test_accuracy_factor_1",
    }
    assert out["300:min_test_accuracy"] > 0.9
    gbt = arrays.downstream(codes[:300], factors[:300], codes[300:], factors[300:], "boosted_trees", rng=0)
    assert gbt["300:mean_test_accuracy"] == 1.0
    with pytest.raises(ValueError, match="predictor must be one of"):
        arrays.downstream(codes, factors, codes, factors, "svm")


def test_downstream_single_class_training_set_uses_constant_predictor():
    codes, factors = synthetic_codes(50, sizes=(3, 4))
    factors_train = factors[:10].copy()
    factors_train[:, 0] = 2
    with pytest.warns(RuntimeWarning, match="single value"):
        out = arrays.downstream(codes[:10], factors_train, codes[10:], factors[10:], "boosted_trees", rng=0)
    assert out["10:test_accuracy_factor_0"] == pytest.approx(np.mean(factors[10:, 0] == 2))


def test_compute_downstream_sizes_fresh_draws():
    data = identity_data(2, 3)
    out = compute_downstream(
        data, identity_rep, random_state=0, predictor="logistic_regression", num_train=[10, 50], num_test=50
    )
    assert "10:mean_test_accuracy" in out and "50:mean_test_accuracy" in out
    assert out["50:mean_test_accuracy"] > 0.8


@pytest.mark.slow
def test_reduced_downstream_removes_the_factors_own_code():
    codes, factors = synthetic_codes(160, sizes=(4, 4))
    out = arrays.reduced_downstream(codes[:100], factors[:100], codes[100:], factors[100:], 1, rng=0)
    assert out["100:mean_test_accuracy_other_factors"] == 1.0
    assert out["100:mean_test_accuracy_reduced_factor"] < 0.5  # its only informative code is gone
    assert out["100:reduced_factor_0:mean_test_accuracy_factor_1"] == 1.0
    with pytest.raises(ValueError, match="leave at least one"):
        arrays.reduced_downstream(codes[:100], factors[:100], codes[100:], factors[100:], 2)
    sampled = compute_reduced_downstream(identity_data(2, 3), identity_rep, random_state=0, num_train=40, num_test=20)
    assert "40:mean_test_accuracy_reduced_factor" in sampled


def _reduced_downstream_fitting_every_factor(ctr, ftr, cte, fte, num_remove, seed):
    """The reduced downstream task as the reference computes it: each removal fits a GBT for every factor
    and reads factor f's importances (gtdata's implementation before it fitted only factor f)."""
    from gtdata.metrics._fitting import fit_per_factor
    from gtdata.metrics._random import draw_seeds
    from gtdata.metrics.downstream import factor_accuracies

    rng = np.random.default_rng(seed)
    num_factors = ftr.shape[1]
    accuracies = []
    for f in range(num_factors):
        keep = np.arange(ctr.shape[1])
        for _ in range(num_remove):
            fits = fit_per_factor(
                "gbt",
                ctr[:, keep],
                ftr,
                cte[:, keep],
                fte,
                draw_seeds(rng, num_factors),
                want_importances=True,
                n_jobs=1,
            )
            keep = np.delete(keep, int(np.argmax(fits[f].importances)))
        accuracies.append(factor_accuracies("gbt", ctr[:, keep], ftr, cte[:, keep], fte, rng, 1))
    return accuracies


@pytest.mark.slow
def test_reduced_downstream_reference_keys_and_one_importance_fit_per_removal(monkeypatch):
    from gtdata.metrics import reduced_downstream as module

    rng = np.random.default_rng(3)
    n, sizes = 140, (2, 3)
    factors = np.stack([rng.integers(0, s, n) for s in sizes], axis=1)
    # A noisy code per factor, a code mixing both, and pure noise.
    codes = np.concatenate(
        [
            factors + 0.4 * rng.standard_normal((n, 2)),
            factors[:, :1] + factors[:, 1:2] + rng.standard_normal((n, 1)),
            rng.standard_normal((n, 1)),
        ],
        axis=1,
    )
    ctr, ftr, cte, fte = codes[:80], factors[:80], codes[80:], factors[80:]
    fitted = []
    fit_one = module.fit_one

    def counting_fit_one(kind, x_train, y_train, *args, **kwargs):
        fitted.append(y_train)
        return fit_one(kind, x_train, y_train, *args, **kwargs)

    monkeypatch.setattr(module, "fit_one", counting_fit_one)
    out = arrays.reduced_downstream(ctr, ftr, cte, fte, 2, rng=np.random.default_rng(11), n_jobs=1)
    # Importances are needed for factor f only: 2 removals x 2 factors, each fitted on factor f's labels.
    assert len(fitted) == 4
    assert all(np.array_equal(y, ftr[:, f]) for y, f in zip(fitted, [0, 0, 1, 1]))
    # ... and the scores are those of fitting every factor, under the reference's keys.
    expected = _reduced_downstream_fitting_every_factor(ctr, ftr, cte, fte, 2, seed=11)
    for f, (train, test) in enumerate(expected):
        for split, acc in (("train", train), ("test", test)):
            for i in range(2):
                assert out[f"80:reduced_factor_{f}:mean_{split}_accuracy_factor_{i}"] == acc[i]
            assert out[f"80:reduced_factor_{f}:mean_{split}_accuracy_reduced_factor"] == acc[f]
            assert out[f"80:reduced_factor_{f}:mean_{split}_accuracy_non_reduced_factor"] == np.mean(np.delete(acc, f))
    for split, k in (("train", 0), ("test", 1)):
        assert out[f"80:mean_{split}_accuracy_reduced_factor"] == pytest.approx(
            np.mean([e[k][f] for f, e in enumerate(expected)])
        )
    assert len(out) == 2 * (2 * 2 + 4) + 4
    assert not any(":train_accuracy" in key or ":test_accuracy" in key for key in out)


def test_intervene_never_picks_target_and_sets_values():
    rng = np.random.default_rng(0)
    sizes = [3, 4, 5]
    train = np.stack([rng.integers(0, s, 50) for s in sizes], axis=1)
    test = np.stack([rng.integers(0, s, 60) for s in sizes], axis=1)
    for target in range(3):
        for _ in range(20):
            f, tr, te = intervene(train, test, target, sizes, rng)
            assert f != target
            v = tr[0, f]
            assert np.all(tr[:, f] == v) and np.all(te[:, f] != v)
            assert np.all(te[:, f] < sizes[f])
            others = [i for i in range(3) if i != f]
            np.testing.assert_array_equal(tr[:, others], train[:, others])


def test_strong_downstream_on_noise_is_chance():
    out = compute_strong_downstream(
        NoiseData(sizes=(5, 5)), flat_rep, random_state=0, num_train=[100], num_test=200, n_experiment=1
    )
    assert 0.0 <= out["100:mean_strong_test_accuracy"] <= 0.3
    assert set(out) == {
        f"100:{k}"
        for k in (
            "mean_train_accuracy",
            "mean_test_accuracy",
            "mean_strong_train_accuracy",
            "mean_strong_test_accuracy",
            "strong_generalization_gap",
        )
    }
