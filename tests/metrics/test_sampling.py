import numpy as np
import pytest
import torch
from metric_fixtures import duplicated_rep, identity_data, identity_rep, zeros_rep

import gtdata
from gtdata.metrics import (
    as_representation,
    compute_beta_vae,
    compute_dci,
    compute_factor_vae,
    compute_irs,
    compute_mig,
    compute_sap,
    compute_unsupervised,
)
from gtdata.metrics.sampling import encode_factors, resample_outside, sample_latents


def test_beta_vae_identity():
    out = compute_beta_vae(identity_data(), identity_rep, random_state=0, batch_size=5, num_train=2000, num_eval=2000)
    assert 0.9 <= out["train_accuracy"] <= 1.0 and 0.9 <= out["eval_accuracy"] <= 1.0


def test_factor_vae_identity_and_zeros():
    kw = dict(batch_size=5, num_train=3000, num_eval=2000, num_variance_estimate=2500, threshold=0.0)
    out = compute_factor_vae(identity_data(), identity_rep, random_state=0, **kw)
    assert 0.9 <= out["train_accuracy"] <= 1.0 and 0.9 <= out["eval_accuracy"] <= 1.0
    assert out["num_active_dims"] == 10 and out["num_active_dims_reference"] == 10
    with pytest.warns(RuntimeWarning, match="score is 0"):
        zeros = compute_factor_vae(identity_data(), zeros_rep, random_state=0, **kw)
    assert 0.0 <= zeros["eval_accuracy"] <= 0.2 and zeros["num_active_dims"] == 0


def test_factor_vae_reports_active_count_and_reference_quirk():
    def half_dead(x):
        codes = identity_rep(x)
        codes[:, 5:] *= 1e-3  # standard deviation far below the 0.05 threshold
        return codes

    out = compute_factor_vae(
        identity_data(), half_dead, random_state=0, num_train=300, num_eval=200, num_variance_estimate=1000
    )
    assert out["num_active_dims"] == 5 and out["num_active_dims_reference"] == 10


def test_mig_sap_irs_unsupervised_sampling_level():
    data = identity_data()
    assert compute_mig(data, identity_rep, 0, num_train=3000)["discrete_mig"] >= 0.9
    assert compute_mig(data, duplicated_rep, 0, num_train=3000)["discrete_mig"] <= 0.1
    assert compute_irs(data, identity_rep, 0, num_train=3000)["IRS"] >= 0.9
    small = identity_data(2, 2)  # binary factors: own code perfect, the other at chance
    assert compute_sap(small, identity_rep, 0, num_train=500, num_test=500)["SAP_score"] == pytest.approx(0.5, abs=0.08)
    assert compute_sap(small, duplicated_rep, 0, num_train=500, num_test=500)["SAP_score"] == pytest.approx(
        0.0, abs=0.02
    )
    assert compute_unsupervised(data, identity_rep, 0, num_train=3000)["gaussian_total_correlation"] < 0.05


def test_same_seed_same_bytes_and_generator_or_randomstate():
    data = identity_data(3, 4)
    a = sample_latents(data, identity_rep, 100, np.random.default_rng(3), batch_size=7)
    b = sample_latents(data, identity_rep, 100, np.random.default_rng(3), batch_size=7)
    assert a[0].tobytes() == b[0].tobytes() and a[1].tobytes() == b[1].tobytes()
    c = sample_latents(data, identity_rep, 100, np.random.RandomState(3), batch_size=7)
    assert c[0].shape == (100, 3)
    assert compute_mig(data, identity_rep, 5, num_train=500) == compute_mig(data, identity_rep, 5, num_train=500)


def test_encoding_is_batched():
    seen = []

    def rep(x):
        seen.append(x.shape[0])
        return identity_rep(x)

    sample_latents(identity_data(3, 4), rep, 1000, np.random.default_rng(0), batch_size=64)
    assert max(seen) == 64 and sum(seen) == 1000
    seen.clear()
    compute_beta_vae(identity_data(3, 4), rep, 0, batch_size=64, num_train=20, num_eval=10, encode_batch_size=128)
    assert max(seen) <= 128


def test_torch_module_representation():
    class Encoder(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = torch.nn.Linear(3, 2)

        def forward(self, x):
            flat = x[:, 0, :, 0]  # NCHW: the module sees channels first
            return self.lin(flat), torch.zeros(len(x), 2)

    module = Encoder().train()
    rep = as_representation(module)
    x = np.random.default_rng(0).random((5, 3, 3, 1), dtype=np.float32)
    out = rep(x)
    expected = module.lin(torch.from_numpy(x[:, :, 0, 0])).detach().numpy()
    np.testing.assert_allclose(out, expected, rtol=1e-6)
    assert module.training  # restored
    assert compute_mig(identity_data(3, 4), module, 0, num_train=200)["discrete_mig"] >= 0.0


def test_torch_module_runs_in_bounded_chunks():
    from gtdata.metrics.sampling import _TorchRepresentation

    torch.manual_seed(0)
    module = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(12, 3))
    seen = []
    module.register_forward_hook(lambda m, inp, out: seen.append(inp[0].shape[0]))
    obs = np.random.default_rng(0).random((11, 2, 2, 3), dtype=np.float32)
    codes = _TorchRepresentation(module, chunk_size=4)(obs)
    assert seen == [4, 4, 3] and codes.shape == (11, 3) and module.training
    with torch.no_grad():
        x = torch.from_numpy(obs.transpose(0, 3, 1, 2).copy())
        expected = np.concatenate([module(x[lo : lo + 4]).numpy() for lo in (0, 4, 8)])
        whole = module(x).numpy()
    np.testing.assert_array_equal(codes, expected)  # each chunk exactly the module's pass over it
    np.testing.assert_allclose(codes, whole, rtol=1e-6, atol=1e-6)  # the unchunked pass, up to rounding
    seen.clear()
    assert as_representation(module)(obs[:0]).shape == (0, 3) and seen == [0]
    with pytest.raises(ValueError, match="chunk_size"):
        _TorchRepresentation(module, chunk_size=0)


def test_bad_representations_give_clear_errors():
    data = identity_data(3, 4)
    with pytest.raises(ValueError, match="returned 3 rows for a batch of"):
        compute_mig(data, lambda x: np.zeros((3, 2)), 0, num_train=50)
    with pytest.raises(ValueError, match="NaN or infinite"):
        compute_mig(data, lambda x: np.full((len(x), 2), np.nan), 0, num_train=50)
    with pytest.raises(ValueError, match=r"shape \(N, L\)"):
        compute_mig(data, lambda x: np.zeros(len(x)), 0, num_train=50)
    with pytest.raises(TypeError, match="callable"):
        compute_mig(data, "encoder", 0, num_train=50)
    with pytest.warns(RuntimeWarning, match="constant"):
        assert compute_mig(data, zeros_rep, 0, num_train=200)["discrete_mig"] == 0.0


def test_single_valued_factor_is_rejected():
    data = gtdata.ToyData(factor_sizes=(3, 1, 4), image_size=3, names=["a", "flat", "b"])
    with pytest.raises(ValueError, match=r"\['flat'\] of the data set take a single value"):
        compute_mig(data, identity_rep, 0, num_train=50)


def test_metrics_on_a_split_stay_inside_it():
    data = identity_data(3, 4).split("factor0 < 0.6 or factor1 > 0.5")
    drawn = []

    def rep(x):
        codes = identity_rep(x)
        drawn.append(codes)
        return codes

    compute_beta_vae(data, rep, 0, batch_size=8, num_train=50, num_eval=20)
    compute_factor_vae(data, rep, 0, batch_size=8, num_train=50, num_eval=20, num_variance_estimate=100)
    compute_dci(data, rep, 0, num_train=100, num_test=50)
    seen = np.round(np.concatenate(drawn) * 5 - 1).astype(int)  # back to codes: value (c + 1) / 5
    mask = data.grid_mask[seen @ data.factor_space.strides]
    assert mask.all()


def test_resample_outside_keeps_pinned_values():
    data = identity_data(2, 3).split("factor0 == 0 or factor1 == 0")
    rng = np.random.default_rng(0)
    factors = np.array([[2, 2], [1, 0], [2, 1]])
    pinned = np.array([[True, False], [False, False], [False, True]])
    out = resample_outside(data, factors.copy(), pinned, rng)
    assert out[0, 0] == 2 and out[2, 1] == 1
    assert data.grid_mask[out @ data.factor_space.strides].all()
    assert encode_factors(data, identity_rep, out, rng).shape == (3, 2)
