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


def test_adaptive_mask_treats_rounding_noise_as_equal():
    delta = torch.tensor([[0.0, 3e-7, 1e-7, 0.0], [0.0, 1e-3, 0.0, 0.0]])
    assert weak.adaptive_keep_mask(delta).tolist() == [[False] * 4, [False, True, False, False]]
