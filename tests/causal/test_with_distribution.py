"""A data set viewed through a factor distribution: every sampler draws its codes from it."""

import pickle

import numpy as np
import pytest
from causal_helpers import assert_frequencies, grid_probs

import gtdata
from gtdata.causal import SCM, Table, correlated


def test_every_sampler_draws_from_the_scm(toy, chain):
    view = toy.with_distribution(chain)
    probs = grid_probs(chain)
    space = toy.factor_space
    assert_frequencies(view.sample_codes(200_000, rng=0), space, probs)
    assert_frequencies(view.sample_factors(200_000, np.random.RandomState(0)), space, probs)
    from gtdata.sampling import PairSampler, UniformSampler

    codes, _ = UniformSampler().draw(view, 200_000, rng=1)
    assert_frequencies(codes, space, probs)
    codes1, *_ = PairSampler(k=1).draw(view, 200_000, rng=2)
    assert_frequencies(codes1, space, probs)
    c, x = view.stream(8, rng=1, start=4)
    np.testing.assert_array_equal(c, codes[4:12])
    np.testing.assert_array_equal(x, toy.observations(c))


def test_split_conditions_the_distribution_exactly(toy, chain):
    view = toy.with_distribution(chain).split("factor0 > 0.2 and factor3 < 0.7")
    probs = grid_probs(chain) * view.grid_mask
    probs /= probs.sum()
    assert_frequencies(view.sample_codes(200_000, rng=0), toy.factor_space, probs)
    # the other order of view-making gives the same view
    other = toy.split("factor0 > 0.2 and factor3 < 0.7").with_distribution(chain)
    np.testing.assert_array_equal(other.sample_codes(100, 5), view.sample_codes(100, 5))
    fixed = view.sample_codes(50_000, rng=1, fixed={"factor2": 0.5})
    assert (fixed[:, 2] == 2).all() and view.contains(fixed).all()


def test_view_pickles_and_uniform_restores(toy, chain):
    view = toy.with_distribution(chain)
    again = pickle.loads(pickle.dumps(view))
    np.testing.assert_array_equal(again.sample_codes(100, 3), view.sample_codes(100, 3))
    np.testing.assert_array_equal(view.with_distribution(None).sample_codes(100, 3), toy.sample_codes(100, 3))
    assert toy.distribution is None  # views never change the original


def test_rendered_and_array_sets():
    sprites = gtdata.load("dsprites_like")
    view = sprites.with_distribution(correlated(sprites.factor_space, ("orientation", "posX"), 0.1))
    codes, images = view.sample(2000, 0, dtype=np.uint8)
    assert images.shape == (2000, 64, 64, 1)
    assert np.corrcoef(codes[:, 2], codes[:, 3])[0, 1] > 0.7
    np.testing.assert_array_equal(images, sprites.observations(codes, dtype=np.uint8))
    arrays = gtdata.from_arrays(
        np.arange(12, dtype=np.uint8).reshape(12, 1, 1, 1).repeat(4, 1).repeat(4, 2),
        np.stack(np.meshgrid(np.arange(3), np.arange(4), indexing="ij"), -1).reshape(12, 2),
        names=["a", "b"],
    )
    scm = SCM(arrays.factor_space, {"b": Table(["a"], np.eye(4)[[0, 2, 3]])})
    codes = arrays.with_distribution(scm).sample_codes(300, 0)
    np.testing.assert_array_equal(codes[:, 1], np.array([0, 2, 3])[codes[:, 0]])


def test_bad_distributions(toy, chain):
    with pytest.raises(TypeError, match="sample_codes.*log_prob"):
        toy.with_distribution("uniform")
    other = gtdata.load("dsprites_like")
    with pytest.raises(ValueError, match="the distribution is over factors"):
        other.with_distribution(chain)
