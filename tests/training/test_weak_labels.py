"""The weak label of the label methods (group_vae, ml_vae): every resampled factor, or the reference's last one."""

import numpy as np
import pytest
import torch

import gtdata
from gtdata.models.methods import VAE, make_method
from gtdata.training import TrainConfig
from gtdata.training.data import BatchSource, last_resampled


def test_last_resampled_is_one_uniform_factor_of_the_resampled_set():
    rng = np.random.default_rng(1)
    n, num_factors = 60_000, 5
    # Random resampled sets of 1..4 factors per row.
    changed = rng.random((n, num_factors)) < 0.5
    changed[changed.sum(axis=1) == 0, 0] = True
    label = last_resampled(changed, seed=7)
    assert label.dtype == bool and label.shape == changed.shape
    assert (label.sum(axis=1) == 1).all() and not (label & ~changed).any()
    # Given the set, the last of a uniformly ordered draw is uniform over it: for rows resampling factors
    # {0, 2, 3}, each is the label with probability 1/3 (sd 0.0027 for 30,000 rows; bound = 6 sd).
    changed[: n // 2] = [True, False, True, True, False]
    freq = last_resampled(changed, seed=7)[: n // 2][:, [0, 2, 3]].mean(axis=0)
    np.testing.assert_allclose(freq, 1 / 3, atol=0.016)


def test_last_resampled_rows_depend_on_seed_and_position_only():
    changed = np.random.default_rng(0).random((700, 6)) < 0.6
    changed[:, 1] = True
    whole = last_resampled(changed, seed=3)
    assert np.array_equal(last_resampled(changed[250:610], seed=3, start=250), whole[250:610])
    assert not np.array_equal(last_resampled(changed, seed=4), whole)
    # A row without a resampled factor has no label.
    assert not last_resampled(np.zeros((2, 3), bool), seed=0).any()


@pytest.mark.parametrize("pair_mode", ["exact", "reference"])
def test_batch_source_gives_the_label_methods_the_chosen_label(pair_mode):
    data = gtdata.ToyData(factor_sizes=(3, 4, 5, 6))
    kwargs = dict(data=data, batch_size=256, seed=5, device=torch.device("cpu"), weak=True, k=3, pair_mode=pair_mode)
    every = BatchSource(**kwargs, label_mode="all").batch(2)["changed"].numpy()
    last = BatchSource(**kwargs, label_mode="last").batch(2)["changed"].numpy()
    pairs = data.sample_pairs(256, 3, 5, mode=pair_mode, start=512)
    assert np.array_equal(every, pairs.changed)
    assert (last.sum(axis=1) == 1).all() and not (last & ~pairs.changed).any()
    assert np.array_equal(last, last_resampled(pairs.changed, seed=5, start=512))
    if pair_mode == "reference":
        # simple_dynamics resamples one factor or k: with k = 3 both kinds of rows occur, and a three-factor
        # row's label is one of its three.
        assert set(pairs.changed.sum(axis=1)) == {1, 3}
    with pytest.raises(ValueError, match="unknown label_mode 'first'; valid: all, last"):
        BatchSource(**kwargs, label_mode="first")


def test_group_vae_keeps_only_the_labelled_latent():
    data = gtdata.ToyData(factor_sizes=(3, 4, 5, 6))
    source = BatchSource(data, 8, 0, torch.device("cpu"), weak=True, k=3, pair_mode="exact", label_mode="last")
    batch = source.batch(0)
    method = make_method("group_vae", k=3)
    vae = VAE("conv", data.observation_shape)
    terms = method.loss(vae, batch, 0)
    # k = 3 factors changed in every exact pair, but the label names one: 10 - 1 latents are shared.
    assert terms["shared_dims"].item() == 9.0


def test_config_label_mode():
    config = TrainConfig(data="toy", method="group_vae", label_mode="last")
    assert config.identity()["label_mode"] == "last"
    assert TrainConfig(data="toy").label_mode == "all"
    with pytest.raises(ValueError, match="unknown label_mode 'first'; valid: all, last"):
        TrainConfig(data="toy", label_mode="first")
