import numpy as np
import pytest
import scipy.linalg

from gtdata.metrics import arrays


def test_identity_covariance_scores_zero():
    assert arrays.gaussian_total_correlation(np.eye(5)) == pytest.approx(0.0, abs=0.01)
    assert arrays.gaussian_wasserstein_correlation(np.eye(5)) == pytest.approx(0.0, abs=0.01)


def test_correlated_covariance_closed_forms():
    cov = np.array([[1.0, 0.9], [0.9, 1.0]])
    kl = -0.5 * np.log(1 - 0.81)  # KL(N(0, cov) || N(0, I))
    w2 = 2 * 2 - 2 * np.trace(scipy.linalg.sqrtm(cov)).real  # W2^2 between N(0, cov) and N(0, I)
    assert arrays.gaussian_total_correlation(cov) == pytest.approx(kl, abs=0.01)
    assert arrays.gaussian_wasserstein_correlation(cov) == pytest.approx(w2, abs=0.01)


def test_unsupervised_on_samples():
    rng = np.random.default_rng(0)
    cov = np.array([[1.0, 0.9], [0.9, 1.0]])
    codes = rng.multivariate_normal([0, 0], cov, size=200_000)
    out = arrays.unsupervised(codes)
    assert out["gaussian_total_correlation"] == pytest.approx(-0.5 * np.log(1 - 0.81), abs=0.01)
    assert out["gaussian_wasserstein_correlation_norm"] == pytest.approx(
        out["gaussian_wasserstein_correlation"] / np.trace(np.cov(codes.T))
    )
    independent = arrays.unsupervised(rng.normal(size=(20_000, 3)))
    assert independent["gaussian_total_correlation"] == pytest.approx(0.0, abs=0.01)
    assert independent["mutual_info_score"] < 0.02 < out["mutual_info_score"]


def test_unsupervised_constant_dimension_contributes_zero():
    rng = np.random.default_rng(1)
    codes = rng.normal(size=(5000, 2))
    with pytest.warns(RuntimeWarning, match="constant"):
        out = arrays.unsupervised(np.c_[codes, np.zeros(5000)])
    ref = arrays.unsupervised(codes)
    assert out["gaussian_total_correlation"] == pytest.approx(ref["gaussian_total_correlation"])
    assert np.isfinite(out["gaussian_wasserstein_correlation"])
