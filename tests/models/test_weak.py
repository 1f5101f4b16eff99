import numpy as np
import pytest
import torch

from gtdata.models import weak


def test_adaptive_mask_reference_cases():
    keep = weak.adaptive_keep_mask(torch.tensor([[0.0] * 5 + [1.0] * 5]))
    assert keep.tolist() == [[False] * 5 + [True] * 5]
    keep = weak.adaptive_keep_mask(torch.tensor([[0.0, 0.1]]))
    assert keep.tolist() == [[False, True]]


def test_adaptive_mask_threshold_is_midpoint_and_per_row():
    delta = torch.tensor([[0.0, 0.49, 0.5, 1.0], [2.0, 4.0, 3.0, 3.1], [1.0, 1.0, 1.0, 1.0]])
    assert weak.adaptive_keep_mask(delta).tolist() == [
        [False, False, True, True],
        [False, True, True, True],
        [False, False, False, False],  # all equal: nothing to tell apart, all shared
    ]


def test_pair_divergence_is_twice_kl():
    m1, m2 = torch.tensor([[0.5]]), torch.tensor([[-1.0]])
    lv1, lv2 = torch.tensor([[0.3]]), torch.tensor([[-0.2]])
    q1 = torch.distributions.Normal(m1, (0.5 * lv1).exp())
    q2 = torch.distributions.Normal(m2, (0.5 * lv2).exp())
    expected = 2 * torch.distributions.kl_divergence(q1, q2)
    torch.testing.assert_close(weak.pair_divergence(m1, lv1, m2, lv2), expected)
    assert weak.pair_divergence(m1, lv1, m1, lv1).item() == pytest.approx(0.0, abs=1e-7)


def test_label_mask_ties_latent_to_factor():
    changed = torch.tensor([[False, True, False], [True, False, True]])
    keep = weak.label_keep_mask(changed, 5)
    assert keep.tolist() == [[False, True, False, False, False], [True, False, True, False, False]]
    with pytest.raises(ValueError, match="num_latent >= the number of factors"):
        weak.label_keep_mask(changed, 2)


def test_group_and_ml_averages():
    m1, m2 = torch.tensor([1.0]), torch.tensor([3.0])
    v1, v2 = torch.tensor([1.0]), torch.tensor([3.0])
    mean, logvar = weak.average_posterior("group", m1, v1.log(), m2, v2.log())
    assert mean.item() == pytest.approx(2.0) and logvar.exp().item() == pytest.approx(2.0)
    mean, logvar = weak.average_posterior("ml", m1, v1.log(), m2, v2.log())
    assert mean.item() == pytest.approx((1 * 3 + 3 * 1) / 4) and logvar.exp().item() == pytest.approx(2 * 3 / 4)
    with pytest.raises(ValueError, match="valid: group, ml"):
        weak.average_posterior("max", m1, v1, m2, v2)


def test_aggregate_replaces_only_shared_dims():
    m1, m2 = torch.tensor([[0.0, 10.0]]), torch.tensor([[2.0, 20.0]])
    lv = torch.zeros(1, 2)
    keep = torch.tensor([[False, True]])
    a1, l1, a2, l2 = weak.aggregate("group", keep, m1, lv, m2, lv)
    assert a1.tolist() == [[1.0, 10.0]] and a2.tolist() == [[1.0, 20.0]]
    assert l1.tolist() == [[0.0, 0.0]] and l2.tolist() == [[0.0, 0.0]]


def _tf_histogram_upper_bin(delta: np.ndarray) -> np.ndarray:
    """disentanglement_lib's aggregate_argmax mask, from TensorFlow's histogram_fixed_width_bins in float32:
    bin = int32(clip(floor(nbins * (x - lo) / (hi - lo)), 0, nbins - 1)) with nbins = 2; keep = (bin == 1)."""
    delta = delta.astype(np.float32)
    lo, hi = delta.min(axis=1, keepdims=True), delta.max(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        scaled = (delta - lo) / (hi - lo)
        bins = np.clip(np.floor(np.float32(2) * scaled), 0, 1)
    # max == min gives 0/0 = NaN, and TensorFlow's int32 cast of NaN is never 1 (INT_MIN on x86, 0 on GPUs).
    return np.where(np.isnan(bins), -1, bins).astype(np.int32) == 1


def test_adaptive_mask_is_the_references_histogram_even_for_tiny_spreads():
    rng = np.random.default_rng(0)
    rows = []
    for base in (0.0, 1e-3, 0.5, 40.0):
        for spread in (1e-9, 1e-7, 1e-6, 5e-6, 9e-6, 1e-3, 1.0):
            rows.append(base + spread * rng.random((20, 10)))
    delta = np.concatenate(rows).astype(np.float32)
    spreads = delta.max(axis=1) - delta.min(axis=1)
    assert ((spreads > 0) & (spreads < 1e-5)).sum() > 200  # the rows this is about
    expected = _tf_histogram_upper_bin(delta)
    got = weak.adaptive_keep_mask(torch.from_numpy(delta)).numpy()
    np.testing.assert_array_equal(got, expected)
    # Below a spread of 1e-5 the reference still splits: these rows keep some dims, not none.
    tiny = (spreads > 0) & (spreads < 1e-5)
    assert got[tiny].any(axis=1).all()


def test_identical_posteriors_have_zero_divergence_and_share_every_dim():
    rng = np.random.default_rng(1)
    mean = torch.from_numpy(rng.normal(0, 3, (500, 10)).astype(np.float32))
    logvar = torch.from_numpy(rng.normal(-4, 4, (500, 10)).astype(np.float32))
    delta = weak.pair_divergence(mean, logvar, mean.clone(), logvar.clone())
    assert (delta == 0).all()
    assert not weak.adaptive_keep_mask(delta).any()


def test_identical_observations_are_averaged_whatever_the_rounding():
    delta = torch.tensor([[0.0, 2e-7, 0.0], [0.0, 2e-7, 0.0], [0.0, 1.0, 0.0]])
    identical = torch.tensor([True, False, True])
    assert weak.adaptive_keep_mask(delta, identical).tolist() == [
        [False, False, False],
        [False, True, False],
        [False, False, False],
    ]


def test_ada_gvae_shares_every_latent_of_an_identical_pair():
    from gtdata.models.methods import VAE, make_method

    torch.manual_seed(0)
    vae = VAE("conv", (64, 64, 1))
    x = torch.rand(6, 1, 64, 64)
    x2 = torch.rand(6, 1, 64, 64)
    x2[:3] = x[:3]
    method = make_method("ada_gvae")
    with torch.no_grad():
        mean, logvar = vae.encode(torch.cat([x, x2]))
        keep = weak.adaptive_keep_mask(weak.pair_divergence(mean[:6], logvar[:6], mean[6:], logvar[6:]))
        terms = method.loss(vae, {"x1": x, "x2": x2}, 0)
    # Rows 0-2 are identical pairs: all 10 latents shared; rows 3-5 split at the histogram's midpoint.
    assert terms["shared_dims"].item() == pytest.approx((3 * 10 + (~keep[3:]).sum().item()) / 6)
    assert not keep[:3].any() and keep[3:].any(dim=1).all()
