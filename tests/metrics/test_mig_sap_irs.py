import numpy as np
import pytest
from metric_fixtures import synthetic_codes

from gtdata.metrics import arrays


@pytest.fixture(scope="module")
def ten_by_ten():
    return synthetic_codes(3000, sizes=(10,) * 10)


def test_mig_identity_zeros_duplicated(ten_by_ten):
    codes, factors = ten_by_ten
    assert 0.9 <= arrays.mig(codes, factors, num_bins=None)["discrete_mig"] <= 1.0
    assert 0.9 <= arrays.mig(codes, factors)["discrete_mig"] <= 1.0  # 20 bins separate 10 integer values
    with pytest.warns(RuntimeWarning, match="constant"):
        zeros = arrays.mig(np.zeros_like(codes), factors, num_bins=None)["discrete_mig"]
    assert 0.0 <= zeros <= 0.2
    assert 0.0 <= arrays.mig(np.hstack([codes, codes]), factors, num_bins=None)["discrete_mig"] <= 0.1


def test_mig_single_latent_and_errors():
    codes, factors = synthetic_codes(500, sizes=(4,))
    assert arrays.mig(codes, factors)["discrete_mig"] == pytest.approx(1.0)
    with pytest.raises(ValueError, match="factor 0 takes a single value"):
        arrays.mig(codes, np.zeros((500, 1), dtype=int))
    with pytest.raises(ValueError, match="rows"):
        arrays.mig(codes, factors[:10])
    with pytest.raises(ValueError, match="integer factor indices"):
        arrays.mig(codes, factors + 0.5)


def test_sap_continuous_identity_zeros_duplicated(ten_by_ten):
    codes, factors = ten_by_ten
    assert 0.9 <= arrays.sap(codes, factors, continuous_factors=True)["SAP_score"] <= 1.0
    with pytest.warns(RuntimeWarning):
        assert 0.0 <= arrays.sap(np.zeros_like(codes), factors, continuous_factors=True)["SAP_score"] <= 0.2
    assert 0.0 <= arrays.sap(np.hstack([codes, codes]), factors, continuous_factors=True)["SAP_score"] <= 0.2


def test_sap_discrete_uses_held_out_svm_accuracy():
    codes, factors = synthetic_codes(1000, sizes=(2, 2))
    noise = np.random.default_rng(0).normal(size=(1000, 1))
    full = np.c_[codes, noise]
    out = arrays.sap(full[:700], factors[:700], full[700:], factors[700:], rng=0)
    # each factor: its own code is perfect, the next best is at chance (0.5)
    assert out["SAP_score"] == pytest.approx(0.5, abs=0.1)
    dup = np.c_[codes, codes]
    assert arrays.sap(dup[:700], factors[:700], dup[700:], factors[700:], rng=0)["SAP_score"] == pytest.approx(
        0.0, abs=0.02
    )
    with pytest.raises(ValueError, match="latents_test and factors_test"):
        arrays.sap(codes, factors)


def test_irs_identity_and_zeros(ten_by_ten):
    codes, factors = ten_by_ten
    out = arrays.irs(codes, factors, num_bins=None)
    assert 0.9 <= out["IRS"] <= 1.0
    assert out["num_active_dims"] == 10
    assert out["num_active_dims_reference"] == pytest.approx(codes.sum())  # the reference's sum quirk
    with pytest.warns(RuntimeWarning, match="IRS is 0"):
        zeros = arrays.irs(np.zeros_like(codes), factors, num_bins=None)
    assert zeros["IRS"] == 0.0 and zeros["num_active_dims"] == 0


def test_irs_drops_constant_dims(ten_by_ten):
    codes, factors = ten_by_ten
    with_const = np.c_[codes, np.full(len(codes), 3.0)]
    out = arrays.irs(with_const, factors, num_bins=None)
    assert out["num_active_dims"] == 10
    assert out["IRS"] == pytest.approx(arrays.irs(codes, factors, num_bins=None)["IRS"])


def test_sap_and_explicitness_do_not_depend_on_worker_count(monkeypatch):
    from gtdata.metrics import _fitting

    monkeypatch.setattr(_fitting, "_PARALLEL_MIN_WORK", 0)  # force the process pool even on this small problem
    codes, factors = synthetic_codes(300, sizes=(3, 4))
    codes = codes + np.random.default_rng(0).normal(scale=0.5, size=codes.shape)
    split = (codes[:200], factors[:200], codes[200:], factors[200:])
    assert arrays.sap(*split, rng=1, n_jobs=2) == arrays.sap(*split, rng=1, n_jobs=1)
    assert arrays.modularity_explicitness(*split, rng=1, n_jobs=2) == arrays.modularity_explicitness(
        *split, rng=1, n_jobs=1
    )
