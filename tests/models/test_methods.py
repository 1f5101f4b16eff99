import pytest
import torch

from gtdata.models import METHODS, make_method, method_names
from gtdata.models.methods import VAE


def batch_for(method, n=6, channels=1, factors=3):
    torch.manual_seed(0)
    if method.weak:
        changed = torch.zeros(n, factors, dtype=torch.bool)
        changed[torch.arange(n), torch.arange(n) % factors] = True
        return {"x1": torch.rand(n, channels, 64, 64), "x2": torch.rand(n, channels, 64, 64), "changed": changed}
    return {"x": torch.rand(n, channels, 64, 64)}


def test_method_names():
    assert method_names() == [
        "beta_vae",
        "factor_vae",
        "dip_vae_i",
        "dip_vae_ii",
        "beta_tc_vae",
        "annealed_vae",
        "ada_gvae",
        "ada_ml_vae",
        "group_vae",
        "ml_vae",
    ]


@pytest.mark.parametrize("name", list(METHODS))
def test_every_method_gives_finite_loss_and_gradients(name):
    method = make_method(name)
    vae = VAE("conv", (64, 64, 1), 10)
    method.build(vae)
    terms = method.loss(vae, batch_for(method), step=3)
    assert {"loss", "reconstruction", "kl", "regularizer"} <= set(terms)
    assert all(t.dim() == 0 and torch.isfinite(t) for t in terms.values())
    for group in method.optim_groups(vae):
        grads = torch.autograd.grad(terms[group.loss_key], group.params, retain_graph=True, allow_unused=True)
        assert any(g is not None and g.abs().sum() > 0 for g in grads)


def test_beta_vae_loss_is_recon_plus_beta_kl():
    method = make_method("beta_vae", beta=4)
    vae = VAE("conv", (64, 64, 1), 10)
    terms = method.loss(vae, batch_for(method), 0)
    torch.testing.assert_close(terms["loss"], terms["reconstruction"] + 4 * terms["kl"])


def test_annealed_vae_capacity_follows_schedule():
    method = make_method("annealed_vae", c_max=10, gamma=2, iteration_threshold=100)
    vae = VAE("conv", (64, 64, 1), 10)
    batch = batch_for(method)
    terms = method.loss(vae, batch, 50)
    assert terms["capacity"].item() == pytest.approx(5.0)
    torch.testing.assert_close(terms["regularizer"], 2 * (terms["kl"] - 5.0).abs())


def test_factor_vae_groups_are_disjoint_with_study_betas():
    method = make_method("factor_vae", gamma=20)
    vae = VAE("conv", (64, 64, 1), 10)
    method.build(vae)
    groups = method.optim_groups(vae)
    assert [(g.name, g.loss_key, g.betas) for g in groups] == [
        ("vae", "loss", (0.9, 0.999)),
        ("discriminator", "discriminator_loss", (0.5, 0.9)),
    ]
    vae_ids = {id(p) for p in groups[0].params}
    assert vae_ids.isdisjoint(id(p) for p in groups[1].params)
    terms = method.loss(vae, batch_for(method), 0)
    torch.testing.assert_close(terms["regularizer"], terms["kl"] + 20 * terms["tc"])


def test_weak_identical_pair_shares_every_dim():
    method = make_method("ada_gvae")
    vae = VAE("conv", (64, 64, 1), 10)
    x = torch.rand(4, 1, 64, 64)
    terms = method.loss(vae, {"x1": x, "x2": x, "changed": torch.zeros(4, 3, dtype=torch.bool)}, 0)
    assert terms["shared_dims"].item() == 10.0


def test_label_methods_keep_changed_factor_dims():
    method = make_method("group_vae")
    vae = VAE("conv", (64, 64, 1), 10)
    terms = method.loss(vae, batch_for(method), 0)
    assert terms["shared_dims"].item() == 9.0


def test_hyper_parameter_errors_name_the_valid_ones():
    with pytest.raises(ValueError, match=r"unknown method 'vae'; valid: beta_vae, .*ml_vae"):
        make_method("vae")
    with pytest.raises(ValueError, match=r"beta_vae: unknown hyper-parameter\(s\) gamma; valid: beta"):
        make_method("beta_vae", gamma=3)
    with pytest.raises(ValueError, match="valid: c_max, gamma, iteration_threshold"):
        make_method("annealed_vae", lambda_od=1)
    with pytest.raises(ValueError, match="'beta' must be >= 0"):
        make_method("beta_vae", beta=-1)
    with pytest.raises(ValueError, match="'beta' must be a finite number"):
        make_method("beta_vae", beta="4")
    with pytest.raises(ValueError, match="'iteration_threshold' must be an integer"):
        make_method("annealed_vae", iteration_threshold=10.5)
    with pytest.raises(ValueError, match="'k' must be an integer >= 1, 'random'"):
        make_method("ada_gvae", k=0)
    with pytest.raises(ValueError, match="valid: bernoulli, l2"):
        make_method("beta_vae", reconstruction="mse")


def test_k_normalisation():
    assert make_method("ada_gvae", k=-1).hparams["k"] == "random"
    assert make_method("ada_gvae", k=[1, 3]).hparams["k"] == (1, 3)
    assert make_method("ml_vae", k=2).hparams["k"] == 2
