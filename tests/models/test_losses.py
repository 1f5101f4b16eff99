import math

import numpy as np
import pytest
import torch

from gtdata.models import losses


def test_kl_unit_values():
    kl = losses.gaussian_kl(torch.ones(1, 10), torch.zeros(1, 10))
    assert kl.item() == pytest.approx(5.0)
    kl = losses.gaussian_kl(torch.ones(1, 10), torch.ones(1, 10)).item()
    assert 8.58 <= kl <= 8.6


def test_anneal_unit_values():
    assert [losses.anneal(100, t, 100) for t in (0, 10, 100, 101)] == [0, 10, 100, 100]


@pytest.mark.parametrize(
    "cov, expected",
    [(torch.ones(10, 10), 90.0), (torch.zeros(10, 10), 10.0), (torch.eye(10), 0.0), (2 * torch.eye(10), 10.0)],
)
def test_dip_penalty_unit_values(cov, expected):
    assert losses.dip_penalty(cov, 1.0, 1.0).item() == pytest.approx(expected)


def test_dip_penalty_weights():
    cov = torch.tensor([[2.0, 0.5], [0.5, 1.0]])
    # off-diagonal: 2 * 0.25 = 0.5; diagonal: (2-1)^2 = 1
    assert losses.dip_penalty(cov, 3.0, 7.0).item() == pytest.approx(3 * 0.5 + 7 * 1.0)


def test_batch_covariance_is_biased_numpy_cov():
    x = torch.randn(50, 4, dtype=torch.float64)
    np.testing.assert_allclose(losses.batch_covariance(x).numpy(), np.cov(x.numpy().T, bias=True), atol=1e-12)


def test_dip_ii_covariance_adds_mean_variance():
    mean = torch.randn(20, 3, dtype=torch.float64)
    logvar = torch.randn(20, 3, dtype=torch.float64)
    expected = losses.batch_covariance(mean) + torch.diag(logvar.exp().mean(0))
    torch.testing.assert_close(losses.dip_covariance("ii", mean, logvar), expected)
    with pytest.raises(ValueError, match="valid: i, ii"):
        losses.dip_covariance("iii", mean, logvar)


def test_gaussian_log_density_unit_values():
    one, zero = torch.tensor(1.0), torch.tensor(0.0)
    assert losses.gaussian_log_density(one, zero, zero).item() == pytest.approx(-1.4189, abs=1e-4)
    assert losses.gaussian_log_density(one, one, zero).item() == pytest.approx(-0.9189, abs=1e-4)


@pytest.mark.parametrize("dims", [1, 10])
def test_total_correlation_of_iid_normal(dims):
    gen = torch.Generator().manual_seed(0)
    n = 1000
    z = torch.randn(n, dims, generator=gen, dtype=torch.float64)
    zeros = torch.zeros(n, dims, dtype=torch.float64)
    tc = losses.total_correlation(z, zeros, zeros).item()
    assert tc == pytest.approx(-(dims - 1) * math.log(n), abs=1e-9)


def test_total_correlation_detects_dependence():
    # Perfectly correlated codes from narrow posteriors have a larger TC than independent ones.
    gen = torch.Generator().manual_seed(1)
    a = torch.randn(500, 1, generator=gen, dtype=torch.float64)
    logvar = torch.full((500, 2), -4.0, dtype=torch.float64)
    dependent = torch.cat([a, a], 1)
    independent = torch.randn(500, 2, generator=gen, dtype=torch.float64)
    assert (
        losses.total_correlation(dependent, dependent, logvar)
        > losses.total_correlation(independent, independent, logvar) + 1.0
    )


def test_bernoulli_reconstruction_matches_formula():
    gen = torch.Generator().manual_seed(2)
    logits = torch.randn(3, 1, 4, 4, generator=gen, dtype=torch.float64)
    x = torch.rand(3, 1, 4, 4, generator=gen, dtype=torch.float64)
    p = torch.sigmoid(logits)
    per_sample = -(x * p.log() + (1 - x) * (1 - p).log()).sum(dim=(1, 2, 3))
    assert losses.reconstruction_loss("bernoulli", logits, x).item() == pytest.approx(per_sample.mean().item())
    l2 = (x - p).square().sum(dim=(1, 2, 3)).mean()
    assert losses.reconstruction_loss("l2", logits, x).item() == pytest.approx(l2.item())
    with pytest.raises(ValueError, match="valid: bernoulli, l2"):
        losses.reconstruction_loss("gaussian", logits, x)


def test_reparameterize_statistics():
    torch.manual_seed(0)
    mean = torch.full((20000, 2), 3.0)
    logvar = torch.full((20000, 2), math.log(4.0))
    z = losses.reparameterize(mean, logvar)
    assert z.mean().item() == pytest.approx(3.0, abs=0.05)
    assert z.std().item() == pytest.approx(2.0, abs=0.05)


def test_shuffle_codes_permutes_each_column_independently():
    torch.manual_seed(0)
    z = torch.arange(64, dtype=torch.float32).unsqueeze(1).repeat(1, 5)
    shuffled = losses.shuffle_codes(z)
    for col in range(5):
        assert sorted(shuffled[:, col].tolist()) == z[:, col].tolist()
    # Columns get different permutations, so rows no longer hold one value.
    assert not torch.equal(shuffled[:, 0], shuffled[:, 1])


def test_discriminator_terms():
    logits_real = torch.tensor([[2.0, 0.0], [1.0, 1.0]])
    logits_shuffled = torch.tensor([[0.0, 3.0], [100.0, -100.0]])
    tc, d_loss = losses.discriminator_terms(logits_real, logits_shuffled)
    assert tc.item() == pytest.approx(1.0)
    p_real0 = torch.softmax(logits_real, 1)[:, 0]
    p_shuf1 = torch.softmax(logits_shuffled, 1)[:, 1].clamp(min=1e-6)
    expected = -(0.5 * p_real0.log().mean() + 0.5 * p_shuf1.log().mean())
    assert d_loss.item() == pytest.approx(expected.item())
    assert math.isfinite(d_loss.item())
