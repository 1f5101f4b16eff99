"""MCC, R² and InfoMEC: values against independent computations, the documented conventions, errors, and the
`evaluate` suite (new metrics leave the older ones' seeds, draws and values alone)."""

import doctest
import itertools
import warnings

import numpy as np
import pytest
import scipy.optimize
import scipy.stats
from metric_fixtures import identity_data, identity_rep
from sklearn.feature_selection import mutual_info_classif
from sklearn.kernel_ridge import KernelRidge
from sklearn.metrics import mutual_info_score
from sklearn.model_selection import GridSearchCV
from sklearn.preprocessing import StandardScaler

import gtdata
import gtdata.metrics.infomec as infomec_module
import gtdata.metrics.mcc as mcc_module
import gtdata.metrics.r2 as r2_module
from gtdata.cli import cmd_evaluate
from gtdata.metrics import METRIC_NAMES, STUDY_METRICS, arrays, evaluate
from gtdata.metrics.evaluate import METRICS, check_metric_names, metric_seeds
from gtdata.metrics.infomec import infomec, nmi_matrix
from gtdata.metrics.mcc import correlation_matrix, mcc
from gtdata.metrics.r2 import KERNEL_RIDGE_GRID, kernel_ridge_predictions, r2
from gtdata.metrics.sampling import sample_latents


@pytest.mark.parametrize("module", [mcc_module, r2_module, infomec_module])
def test_docstring_examples(module):
    result = doctest.testmod(module)
    assert result.attempted > 0 and result.failed == 0


def test_arrays_exports_the_new_metrics_sorted():
    assert arrays.__all__ == sorted(arrays.__all__)
    assert {"mcc", "r2", "infomec", "correlation_matrix", "nmi_matrix"} <= set(arrays.__all__)
    assert arrays.mcc is mcc and arrays.r2 is r2 and arrays.infomec is infomec


# ---------------------------------------------------------------------------------------------------------- MCC


def _mixed(n, num_latents, num_factors, seed):
    """Integer factors and latents that are noisy mixtures of them (every correlation different)."""
    rng = np.random.default_rng(seed)
    factors = rng.integers(0, 6, size=(n, num_factors))
    latents = factors @ rng.normal(size=(num_factors, num_latents)) + rng.normal(size=(n, num_latents))
    return latents, factors


@pytest.mark.parametrize("num_latents, num_factors", [(3, 3), (4, 4), (5, 3), (2, 4)])
def test_mcc_is_the_best_matching_found_by_brute_force(num_latents, num_factors):
    latents, factors = _mixed(300, num_latents, num_factors, seed=num_latents * 10 + num_factors)
    block = np.abs(np.corrcoef(latents, factors, rowvar=False)[:num_latents, num_latents:])
    k = min(num_latents, num_factors)
    # every injective map of the smaller side into the larger one
    if num_latents >= num_factors:
        best = max(itertools.permutations(range(num_latents), k), key=lambda rows: block[list(rows), range(k)].sum())
        best_pairs = {f: best[f] for f in range(k)}
    else:
        best = max(itertools.permutations(range(num_factors), k), key=lambda cols: block[range(k), list(cols)].sum())
        best_pairs = {best[j]: j for j in range(k)}
    result = mcc(latents, factors)
    assert result["mcc"] == pytest.approx(sum(block[j, f] for f, j in best_pairs.items()) / k, abs=1e-12)
    assert {f: int(j) for f, j in enumerate(result["matching"]) if j >= 0} == best_pairs
    for f in range(num_factors):
        if f in best_pairs:
            assert result["per_factor"][f] == pytest.approx(block[best_pairs[f], f], abs=1e-12)
        else:  # L < F: unmatched factors are NaN, matched to latent -1
            assert np.isnan(result["per_factor"][f]) and result["matching"][f] == -1
    np.testing.assert_allclose(np.abs(result["correlation"]), block, atol=1e-12)


def test_correlations_match_numpy_and_scipy():
    latents, factors = _mixed(500, 4, 3, seed=1)
    latents[:, 2] = np.round(latents[:, 2])  # ties in the latents too
    pearson = np.corrcoef(latents, factors, rowvar=False)[:4, 4:]
    spearman = scipy.stats.spearmanr(latents, factors)[0][:4, 4:]
    np.testing.assert_allclose(correlation_matrix(latents, factors), pearson, atol=1e-12)
    np.testing.assert_allclose(correlation_matrix(latents, factors, "spearman"), spearman, atol=1e-12)
    assert mcc(latents, factors, "spearman")["mcc"] == pytest.approx(
        np.abs(spearman)[scipy.optimize.linear_sum_assignment(-np.abs(spearman))].mean(), abs=1e-12
    )


def test_permuted_scaled_copy_of_the_factors_has_mcc_one():
    rng = np.random.default_rng(2)
    factors = rng.integers(0, 10, size=(1000, 4))
    order = np.array([2, 0, 3, 1])
    latents = factors[:, order] * np.array([3.0, -0.5, 7.0, -2.0]) + np.array([1.0, 2.0, -3.0, 0.0])
    for method in ("pearson", "spearman"):
        result = mcc(latents, factors, method)
        assert result["mcc"] == pytest.approx(1.0, abs=1e-12)
        np.testing.assert_allclose(result["per_factor"], 1.0, atol=1e-12)
        assert result["matching"][order].tolist() == [0, 1, 2, 3]  # factor order[j] is read by latent j


def test_independent_noise_has_mcc_near_zero():
    # Each |ρ| of independent columns is about |N(0, 1/n)|: sd 0.0071 at n = 20,000. 0.05 is 7 sd, beyond
    # the largest of the 25 entries except with probability ~1e-10; a real bug (e.g. a wrong block) gives ~1.
    rng = np.random.default_rng(3)
    result = mcc(rng.normal(size=(20000, 5)), rng.integers(0, 10, size=(20000, 5)))
    assert 0.0 < result["mcc"] < 0.05


def test_constant_columns_have_zero_correlation_not_nan():
    rng = np.random.default_rng(4)
    factors = np.stack([rng.integers(0, 5, 400), np.full(400, 3)], axis=1)  # factor 1 constant
    latents = np.stack([np.full(400, 0.1), factors[:, 0] * 2.0, rng.normal(size=400)], axis=1)  # latent 0 constant
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no division-by-zero warnings either
        result = mcc(latents, factors)
    assert np.all(np.isfinite(result["correlation"]))
    assert np.all(result["correlation"][0] == 0.0) and np.all(result["correlation"][:, 1] == 0.0)
    assert result["matching"][0] == 1 and result["per_factor"][0] == pytest.approx(1.0)
    assert result["per_factor"][1] == 0.0
    assert result["mcc"] == pytest.approx(0.5)


def test_out_of_sample_mcc_reads_the_training_matching_on_the_test_set():
    rng = np.random.default_rng(5)
    factors = rng.integers(0, 8, size=(600, 2))
    latents = factors + 0.3 * rng.normal(size=(600, 2))
    factors_test = rng.integers(0, 8, size=(400, 2))
    latents_test = factors_test[:, ::-1] + 2.0 * rng.normal(size=(400, 2))  # the test set swaps the latents
    result = mcc(latents, factors, latents_test=latents_test, factors_test=factors_test)
    assert result["matching"].tolist() == [0, 1]  # learned on the training points
    test_block = np.abs(np.corrcoef(latents_test, factors_test, rowvar=False)[:2, 2:])
    assert result["mcc"] == pytest.approx(np.mean([test_block[0, 0], test_block[1, 1]]), abs=1e-12)
    assert result["mcc"] < 0.2 < mcc(latents_test, factors_test)["mcc"]  # the in-sample matching would swap
    np.testing.assert_allclose(np.abs(result["correlation_test"]), test_block, atol=1e-12)


def test_mcc_errors_name_the_argument():
    latents, factors = _mixed(50, 3, 2, seed=6)
    with pytest.raises(ValueError, match=r"factors has 49 rows but the latents have 50"):
        mcc(latents, factors[:49])
    with pytest.raises(ValueError, match=r"latents must have shape \(N, L\)"):
        mcc(latents[:, 0], factors)
    bad = latents.copy()
    bad[7, 1] = np.nan
    with pytest.raises(ValueError, match=r"latents contains 1 NaN or infinite values \(first bad row 7\)"):
        mcc(bad, factors)
    with pytest.raises(ValueError, match=r"latents needs at least 2 rows"):
        mcc(latents[:1], factors[:1])
    with pytest.raises(ValueError, match=r"method must be one of \('pearson', 'spearman'\); got 'kendall'"):
        mcc(latents, factors, "kendall")
    with pytest.raises(ValueError, match=r"needs both latents_test and factors_test; only latents_test"):
        mcc(latents, factors, latents_test=latents)
    with pytest.raises(ValueError, match=r"latents_test has 2 latent dimensions but latents has 3"):
        mcc(latents, factors, latents_test=latents[:, :2], factors_test=factors)
    with pytest.raises(ValueError, match=r"factors must be a numeric array"):
        mcc(latents, [["a", "b"]] * 50)


# ----------------------------------------------------------------------------------------------------------- R²


def _r2_by_least_squares(x_fit, y_fit, x_test, y_test):
    """R² of an ordinary least-squares fit with intercept, on raw (unstandardised) data: R² is unchanged by the
    standardisation the protocol applies, since it is affine in both the inputs and the target."""
    design = np.column_stack([x_fit, np.ones(len(x_fit))])
    coef = np.linalg.lstsq(design, y_fit, rcond=None)[0]
    pred = np.column_stack([x_test, np.ones(len(x_test))]) @ coef
    return 1.0 - np.sum((y_test - pred) ** 2) / np.sum((y_test - y_test.mean()) ** 2)


def test_linear_r2_matches_least_squares():
    latents, factors = _mixed(900, 4, 3, seed=7)
    result = r2(latents[:600], factors[:600], latents_test=latents[600:], factors_test=factors[600:])
    expected = [
        _r2_by_least_squares(latents[:600], factors[:600, f], latents[600:], factors[600:, f]) for f in range(3)
    ]
    np.testing.assert_allclose(result["per_factor"], expected, atol=1e-10)
    assert result["r2"] == pytest.approx(np.mean(expected), abs=1e-10)
    assert np.isnan(result["accuracy"]) and np.all(np.isnan(result["accuracy_per_factor"]))


def test_r2_split_uses_rng_and_a_permuted_scaled_copy_scores_one():
    rng = np.random.default_rng(8)
    factors = rng.integers(0, 10, size=(500, 3))
    latents = factors[:, [1, 2, 0]] * np.array([2.0, -1.0, 0.1]) + 5.0
    for regressor in ("linear", "kernel_ridge"):
        result = r2(latents, factors, regressor=regressor, rng=0)
        np.testing.assert_allclose(result["per_factor"], 1.0, atol=1e-3 if regressor == "kernel_ridge" else 1e-10)
    noisy = latents + rng.normal(size=latents.shape)
    first = r2(noisy, factors, rng=1)["per_factor"]
    np.testing.assert_array_equal(r2(noisy, factors, rng=1)["per_factor"], first)  # same seed, same split
    order = np.random.default_rng(1).permutation(500)  # the documented split: last round(0.5 * N) are the test set
    fit, test = order[:250], order[250:]
    expected = [_r2_by_least_squares(noisy[fit], factors[fit, f], noisy[test], factors[test, f]) for f in range(3)]
    np.testing.assert_allclose(first, expected, atol=1e-10)


def test_kernel_ridge_tuning_equals_grid_search_per_factor():
    rng = np.random.default_rng(9)
    x = rng.normal(size=(150, 3))
    y = np.column_stack([np.sin(2 * x[:, 0]), x[:, 1] ** 2 + 0.1 * rng.normal(size=150), rng.normal(size=150)])
    x_new = rng.normal(size=(40, 3))
    ours = kernel_ridge_predictions(x, y, x_new)
    for k in range(3):
        search = GridSearchCV(KernelRidge(kernel="rbf", gamma=0.1), param_grid=KERNEL_RIDGE_GRID, cv=3).fit(x, y[:, k])
        np.testing.assert_allclose(ours[:, k], search.predict(x_new), rtol=1e-9, atol=1e-9)


def test_kernel_ridge_captures_a_nonlinear_code_that_linear_misses():
    rng = np.random.default_rng(10)
    factors = rng.integers(0, 12, size=(900, 2))
    latents = np.column_stack([np.log1p(factors[:, 0]), np.exp(factors[:, 1] / 3.0)])  # monotone, far from linear
    kwargs = dict(latents_test=latents[600:], factors_test=factors[600:])
    nonlinear = r2(latents[:600], factors[:600], regressor="kernel_ridge", max_kernel_train=300, rng=0, **kwargs)
    linear = r2(latents[:600], factors[:600], **kwargs)
    assert np.all(nonlinear["per_factor"] > 0.99)
    assert np.all(linear["per_factor"] < 0.95)


def test_categorical_factor_scored_by_logistic_accuracy():
    rng = np.random.default_rng(11)
    factors = np.column_stack([rng.integers(0, 3, 600), rng.integers(0, 7, 600)])
    one_hot = np.eye(3)[factors[:, 0]]  # classes linearly separable
    latents = np.column_stack([one_hot, factors[:, 1] * 0.5])
    result = r2(latents, factors, categorical=[0], rng=0)
    assert result["accuracy"] == 1.0 and result["accuracy_per_factor"][0] == 1.0
    assert np.isnan(result["per_factor"][0]) and result["per_factor"][1] == pytest.approx(1.0, abs=1e-10)
    assert result["r2"] == result["per_factor"][1]
    scrambled = r2(np.column_stack([rng.normal(size=(600, 3)), latents[:, 3]]), factors, categorical=[0], rng=0)
    assert scrambled["accuracy"] < 0.5  # chance is 1/3; a noise latent cannot do much better on 300 points


def test_r2_errors_name_the_argument():
    latents, factors = _mixed(60, 3, 2, seed=12)
    with pytest.raises(ValueError, match=r"regressor must be one of \('linear', 'kernel_ridge'\); got 'svr'"):
        r2(latents, factors, regressor="svr")
    with pytest.raises(ValueError, match=r"categorical: factor column\(s\) \[5\] out of range for 2 factors"):
        r2(latents, factors, categorical=[5])
    with pytest.raises(ValueError, match=r"categorical must be a sequence of factor column indices"):
        r2(latents, factors, categorical=1)
    with pytest.raises(ValueError, match=r"categorical factor 0 must hold integer codes"):
        r2(latents, factors + 0.5, categorical=[0])
    constant = factors.copy()
    constant[:, 1] = 4
    with pytest.raises(ValueError, match=r"factor 1 is constant on the fit set .* R² is undefined"):
        r2(latents, constant, rng=0)
    with pytest.raises(ValueError, match=r"test_fraction must be in \(0, 1\); got 1.5"):
        r2(latents, factors, test_fraction=1.5)
    with pytest.raises(ValueError, match=r"at least 3 fit and 2 test points; .* has 2 and 2"):
        r2(latents[:4], factors[:4])
    with pytest.raises(ValueError, match=r"only factors_test was given"):
        r2(latents, factors, factors_test=factors)
    with pytest.raises(ValueError, match=r"max_kernel_train must be an integer >= 3; got 0"):
        r2(latents, factors, max_kernel_train=0)


# ------------------------------------------------------------------------------------------------------ InfoMEC


def _plugin_nmi(s, z):
    """I(s; z) / H(s) from the contingency table, in nats."""
    joint = np.zeros((s.max() + 1, z.max() + 1))
    np.add.at(joint, (s, z), 1.0)
    joint /= joint.sum()
    ps, pz = joint.sum(axis=1), joint.sum(axis=0)
    nz = joint > 0
    mi = np.sum(joint[nz] * np.log(joint[nz] / np.outer(ps, pz)[nz]))
    return mi / -np.sum(ps[ps > 0] * np.log(ps[ps > 0]))


def test_discrete_nmi_matches_the_contingency_table():
    rng = np.random.default_rng(13)
    factors = rng.integers(0, 4, size=(500, 3))
    latents = np.column_stack(
        [factors[:, 0] // 2, (factors[:, 1] + rng.integers(0, 2, 500)) % 4, rng.integers(0, 3, 500), factors[:, 2]]
    )
    latents = latents * 0.25 - 1.0  # discrete values need not be integers
    nmi = nmi_matrix(latents, factors, discrete_latents=True)
    z = ((latents + 1.0) * 4).round().astype(int)
    expected = [[_plugin_nmi(factors[:, i], z[:, j]) for j in range(4)] for i in range(3)]
    np.testing.assert_allclose(nmi, expected, atol=1e-12)
    assert nmi[2, 3] == pytest.approx(1.0)


def test_continuous_nmi_is_the_reference_knn_estimate():
    rng = np.random.default_rng(14)
    factors = rng.integers(0, 5, size=(800, 2))
    latents = np.column_stack(
        [
            factors[:, 0] + rng.normal(size=800),
            rng.normal(size=800) * 5,
            np.tanh(factors[:, 1] - 2.0 + 0.3 * rng.normal(size=800)),
        ]
    )
    nmi = nmi_matrix(latents, factors, rng=0)
    # the reference's loop: one standardised column, one factor per call; only the 1e-10 jitter differs
    expected = [
        [
            mutual_info_classif(
                StandardScaler().fit_transform(latents[:, [j]]),
                factors[:, i],
                discrete_features=False,
                n_neighbors=10,
                random_state=0,
            )[0]
            / mutual_info_score(factors[:, i], factors[:, i])
            for j in range(3)
        ]
        for i in range(2)
    ]
    np.testing.assert_allclose(nmi, expected, atol=1e-6)


def _grid(sizes, repeats):
    return np.repeat(
        np.stack(np.meshgrid(*[np.arange(s) for s in sizes], indexing="ij"), -1).reshape(-1, len(sizes)),
        repeats,
        axis=0,
    )


def test_perfectly_disentangled_discrete_latents_score_one():
    factors = _grid((4, 5, 3), 10)  # a full grid: factors exactly independent, off-diagonal plug-in MI exactly 0
    result = infomec(factors[:, [2, 0, 1]] * 3.0, factors, discrete_latents=True)
    assert result["infom"] == pytest.approx(1.0, abs=1e-12) and result["infoc"] == pytest.approx(1.0, abs=1e-12)
    assert result["active_latents"].all()
    expected = np.zeros((3, 3))
    expected[[0, 1, 2], [1, 2, 0]] = 1.0  # latent 1 is factor 0, latent 2 factor 1, latent 0 factor 2
    np.testing.assert_allclose(result["nmi"], expected, atol=1e-12)
    assert result["infoe"] > 0.99  # one-hot latents predict every factor almost without loss


def test_rotation_entangles_and_lowers_infom_and_infoc():
    rng = np.random.default_rng(15)
    factors = _grid((4, 5, 3), 20)
    aligned = StandardScaler().fit_transform(factors) + 0.05 * rng.normal(size=factors.shape)
    c = np.cos(np.pi / 4)
    rotation = np.array([[c, -c, 0.0], [c, c, 0.0], [0.0, 0.0, 1.0]])  # mixes factors 0 and 1 evenly
    good = infomec(aligned, factors, rng=0)
    mixed = infomec(aligned @ rotation.T, factors, rng=0)
    assert good["infom"] > 0.95 and good["infoc"] > 0.95
    # two of three latents and factors become 50/50 mixtures: both scores drop to about 1/2
    assert mixed["infom"] < 0.65 and mixed["infoc"] < 0.65
    assert mixed["infoe"] > 0.95  # a rotation loses no information


def test_infom_infoc_formulas_and_pruning():
    rng = np.random.default_rng(16)
    factors = rng.integers(0, 4, size=(600, 3))
    latents = np.column_stack(
        [
            factors[:, 0] + 0.5 * factors[:, 1] + rng.normal(size=600),
            factors[:, 2] + 0.2 * rng.normal(size=600),
            rng.normal(size=600) * 0.01,
            factors[:, 1] - factors[:, 2] + rng.normal(size=600),
        ]
    )
    result = infomec(latents, factors, rng=0)
    ranges = np.ptp(latents, axis=0)
    assert result["active_latents"].tolist() == (ranges > ranges.max() / 20).tolist() == [True, True, False, True]
    nmi = result["nmi"][:, result["active_latents"]]
    infom = (np.mean(nmi.max(axis=0) / nmi.sum(axis=0)) - 1 / 3) / (1 - 1 / 3)
    infoc = (np.mean(nmi.max(axis=1) / nmi.sum(axis=1)) - 1 / 3) / (1 - 1 / 3)
    assert result["infom"] == pytest.approx(infom, abs=1e-12) and result["infoc"] == pytest.approx(infoc, abs=1e-12)


def test_infoe_is_near_zero_for_noise_and_the_conventions_for_degenerate_cases():
    rng = np.random.default_rng(17)
    factors = rng.integers(0, 4, size=(2000, 2))
    noise = infomec(rng.normal(size=(2000, 3)), factors, rng=0)
    # a multinomial fit on 3 useless inputs gains ~ (3 * 3 parameters) / (2 N) nats over log 4: about 0.2 %
    assert np.all(np.abs(noise["infoe_per_factor"]) < 0.02)
    one_factor = infomec(np.column_stack([factors[:, 0], rng.normal(size=2000)]), factors[:, :1], rng=0)
    assert np.isnan(one_factor["infom"]) and np.isfinite(one_factor["infoc"])  # 1 - 1/F = 0 with F = 1
    one_latent = infomec(factors[:, :1] + 0.1 * rng.normal(size=(2000, 1)), factors, rng=0)
    assert np.isnan(one_latent["infoc"]) and np.isfinite(one_latent["infom"])  # 1 - 1/L_a = 0 with one active latent
    # An active latent that carries no information at all (the reference's 0/0) counts as uniform: ratio 1/F. Here
    # latent 2 is a grid coordinate independent of both factors (plug-in MI exactly 0), and the constant latent 3
    # is pruned: InfoM = (mean(1, 1, 1/2) - 1/2) / (1/2) = 2/3, InfoC = 1.
    grid = _grid((4, 3, 2), 5)
    silent = infomec(np.column_stack([grid, np.full(len(grid), 2.0)]), grid[:, :2], discrete_latents=True)
    assert silent["active_latents"].tolist() == [True, True, True, False]
    assert np.all(silent["nmi"][:, 2:] == 0.0)
    assert silent["infom"] == pytest.approx(2 / 3, abs=1e-12) and silent["infoc"] == pytest.approx(1.0, abs=1e-12)


def test_infomec_errors_name_the_argument():
    rng = np.random.default_rng(18)
    factors = rng.integers(0, 3, size=(50, 2))
    latents = rng.normal(size=(50, 2))
    with pytest.raises(ValueError, match=r"latents needs at least 11 rows"):
        infomec(latents[:10], factors[:10])
    with pytest.raises(ValueError, match=r"factors must hold integer factor indices"):
        infomec(latents, factors + 0.5)
    constant = factors.copy()
    constant[:, 0] = 1
    with pytest.raises(ValueError, match=r"factors: factor 0 takes a single value"):
        infomec(latents, constant)
    with pytest.raises(ValueError, match=r"factors has 49 rows"):
        infomec(latents, factors[:49])


# ----------------------------------------------------------------------------------------------------- evaluate

# metric_seeds before the identifiability metrics were added (gtdata 0.1): they must never change.
SEEDS_BEFORE = {
    0: {
        "shared": 2357136044,
        "beta_vae": 2546248239,
        "factor_vae": 3071714933,
        "mig": 3626093760,
        "dci": 2588848963,
        "dci_fast": 3684848379,
        "sap": 2340255427,
        "modularity_explicitness": 3638918503,
        "irs": 1819583497,
        "unsupervised": 2678185683,
        "downstream_logistic_regression": 2774094101,
        "downstream_boosted_trees": 1650906866,
        "fairness": 1879422756,
        "strong_downstream": 1277901399,
        "reduced_downstream": 3830135878,
    },
    1: {
        "shared": 1791095845,
        "beta_vae": 4282876139,
        "factor_vae": 3093770124,
        "mig": 4005303368,
        "dci": 491263,
        "dci_fast": 550290313,
        "sap": 1298508491,
        "modularity_explicitness": 4290846341,
        "irs": 630311759,
        "unsupervised": 1013994432,
        "downstream_logistic_regression": 396591248,
        "downstream_boosted_trees": 1703301249,
        "fairness": 799981516,
        "strong_downstream": 1666063943,
        "reduced_downstream": 1484172013,
    },
}


@pytest.mark.parametrize("seed", sorted(SEEDS_BEFORE))
def test_existing_metric_seeds_are_unchanged(seed):
    seeds = metric_seeds(seed)
    assert {k: seeds[k] for k in SEEDS_BEFORE[seed]} == SEEDS_BEFORE[seed]
    older = tuple(SEEDS_BEFORE[seed])[1:]
    assert METRIC_NAMES[: len(older)] == older  # new metrics are appended after the older ones, never between
    assert METRIC_NAMES[len(older) : len(older) + 3] == ("mcc", "r2", "infomec")
    assert STUDY_METRICS == (
        "beta_vae",
        "factor_vae",
        "mig",
        "dci",
        "sap",
        "modularity_explicitness",
        "unsupervised",
        "downstream_logistic_regression",
        "downstream_boosted_trees",
    )
    assert cmd_evaluate.METRIC_NAMES == METRIC_NAMES and check_metric_names(["mcc", "r2", "infomec"]) == [
        "mcc",
        "r2",
        "infomec",
    ]


def test_default_sizes_never_enlarge_the_studys_shared_draws():
    # Larger shared draws would shift the test draw (drawn after the training draw) of the older metrics.
    study = [METRICS[n].sizes(METRICS[n].defaults) for n in STUDY_METRICS if METRICS[n].from_latents is not None]
    most = (max(s[0] for s in study), max(s[1] for s in study))
    for name in ("mcc", "r2", "infomec"):
        spec = METRICS[name]
        for options in (spec.defaults, {**spec.defaults, "out_of_sample": True} if name == "mcc" else spec.defaults):
            train, test = spec.sizes(options)
            assert train <= most[0] and test <= most[1]


def test_adding_the_new_metrics_leaves_older_scores_unchanged():
    data = identity_data(3, 4)
    older = {
        "mig": {"num_train": 1500},
        "sap": {"num_train": 1500, "num_test": 700},
        "unsupervised": {"num_train": 1000},
    }
    newer = {
        "mcc": {"num_train": 1500, "out_of_sample": True, "num_test": 700},
        "r2": {"num_train": 1200, "num_test": 700},
        "infomec": {"num_train": 1500},
    }
    alone = evaluate(data, identity_rep, list(older), seed=3, options=older)
    together = evaluate(data, identity_rep, ["mcc", *older, "r2", "infomec"], seed=3, options={**older, **newer})
    assert {k: together[k] for k in alone} == alone
    assert together["mcc.mcc"] == pytest.approx(1.0) and together["r2.r2"] == pytest.approx(1.0)


def _toy_representation(x):
    """Band means of `gtdata.load("toy")` images (an increasing map of each factor's code), permuted, scaled,
    with a constant fifth latent."""
    bands = np.stack([band.mean(axis=(1, 2, 3)) for band in np.array_split(x, 4, axis=1)], axis=1)
    return np.column_stack([bands[:, [3, 1, 0, 2]] * np.array([2.0, -1.0, 5.0, 0.5]), np.ones(len(x))])


def test_evaluate_on_toy_data():
    data = gtdata.load("toy")
    options = {"mcc": {"num_train": 800}, "r2": {"num_train": 800, "num_test": 400}, "infomec": {"num_train": 800}}
    scores = evaluate(data, _toy_representation, ["mcc", "r2", "infomec"], seed=5, options=options)
    assert scores["mcc.mcc"] == pytest.approx(1.0, abs=1e-9)
    assert [scores[f"mcc.matched_latent_factor_{i}"] for i in range(4)] == [2, 1, 3, 0]
    assert scores["r2.r2"] == pytest.approx(1.0, abs=1e-9)
    assert scores["infomec.num_active_latents"] == 4  # the constant latent is pruned
    assert scores["infomec.infom"] > 0.9 and scores["infomec.infoc"] > 0.9 and scores["infomec.infoe"] > 0.9
    # the scores are the array functions on the shared draws (training draw, then test draw)
    rng = np.random.RandomState(metric_seeds(5)["shared"])
    latents, factors = sample_latents(data, _toy_representation, 800, rng)
    latents_test, factors_test = sample_latents(data, _toy_representation, 400, rng)
    assert scores["mcc.mcc"] == mcc(latents, factors)["mcc"]
    expected = r2(
        latents,
        factors,
        latents_test=latents_test,
        factors_test=factors_test,
        rng=np.random.RandomState(metric_seeds(5)["r2"]),
    )
    assert scores["r2.r2"] == expected["r2"]
    assert (
        scores["infomec.infom"]
        == infomec(latents, factors, rng=np.random.RandomState(metric_seeds(5)["infomec"]))["infom"]
    )
    assert evaluate(data, _toy_representation, ["mcc", "r2", "infomec"], seed=5, options=options) == scores


def test_evaluate_options_reach_the_metrics():
    data = identity_data(3, 4)
    scores = evaluate(
        data,
        identity_rep,
        ["r2", "mcc"],
        seed=0,
        options={
            "r2": {"num_train": 300, "num_test": 200, "categorical": [1]},
            "mcc": {"num_train": 300, "method": "spearman"},
        },
    )
    assert set(scores) >= {"r2.r2", "r2.accuracy", "r2.accuracy_factor_1", "r2.r2_factor_0", "mcc.mcc_factor_2"}
    assert "r2.r2_factor_1" not in scores
    with pytest.raises(ValueError, match=r"method must be one of"):
        evaluate(data, identity_rep, ["mcc"], options={"mcc": {"num_train": 100, "method": "kendall"}})


def test_sampling_level_functions_draw_then_call_the_array_functions():
    from gtdata.metrics.infomec import compute_infomec, infomec_scores
    from gtdata.metrics.mcc import compute_mcc, mcc_scores
    from gtdata.metrics.r2 import compute_r2, r2_scores

    data = identity_data(3, 4)

    def draws(*sizes):
        rng = np.random.RandomState(7)
        return rng, [sample_latents(data, identity_rep, n, rng) for n in sizes]

    _, [(latents, factors)] = draws(300)
    assert compute_mcc(data, identity_rep, np.random.RandomState(7), num_train=300, method="spearman") == mcc_scores(
        mcc(latents, factors, "spearman")
    )
    _, [(ltr, ftr), (lte, fte)] = draws(300, 100)
    assert compute_mcc(
        data, identity_rep, np.random.RandomState(7), num_train=300, out_of_sample=True, num_test=100
    ) == mcc_scores(mcc(ltr, ftr, latents_test=lte, factors_test=fte))
    rng, [(ltr, ftr), (lte, fte)] = draws(300, 100)
    assert compute_r2(data, identity_rep, np.random.RandomState(7), num_train=300, num_test=100) == r2_scores(
        r2(ltr, ftr, latents_test=lte, factors_test=fte, rng=rng)
    )
    rng, [(latents, factors)] = draws(300)
    assert compute_infomec(data, identity_rep, np.random.RandomState(7), num_train=300) == infomec_scores(
        infomec(latents, factors, rng=rng)
    )
