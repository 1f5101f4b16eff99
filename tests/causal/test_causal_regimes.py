"""Counterfactual pairs, environments and sequences: semantics, exact distributions, determinism."""

import numpy as np
import pytest
import torch
from causal_helpers import assert_frequencies, grid_probs
from torch.utils.data import DataLoader

import gtdata
from gtdata.causal import (
    SCM,
    CounterfactualSampler,
    EnvironmentSampler,
    SCMError,
    Table,
    Transition,
    Uniform,
    counterfactual_pairs,
    environments,
    sequences,
)
from gtdata.torchdata import BatchStream


def conditional_cdf(scm, node, codes):
    """P(node <= c | parents) for each row and every code c, from log_prob alone (independent of sampling)."""
    space = scm.factor_space
    pos = space.index(node)
    rows = np.repeat(codes, space.sizes[pos], axis=0)
    rows[:, pos] = np.tile(np.arange(space.sizes[pos]), codes.shape[0])
    p = np.exp(scm.log_prob(rows)).reshape(codes.shape[0], -1)
    return np.cumsum(p / p.sum(axis=1, keepdims=True), axis=1)


def test_counterfactual_semantics(toy, chain):
    pairs = counterfactual_pairs(toy, chain, 3000, targets="factor1", rng=0, dtype=np.uint8)
    assert pairs.intervened[:, 1].all() and pairs.intervened.sum() == 3000
    # the target always takes another value; non-descendants (factor0, factor3) never change
    assert (pairs.codes1[:, 1] != pairs.codes2[:, 1]).all()
    np.testing.assert_array_equal(pairs.codes1[:, [0, 3]], pairs.codes2[:, [0, 3]])
    np.testing.assert_array_equal(pairs.changed, pairs.codes1 != pairs.codes2)
    # the descendant factor2 is recomputed with the *same* noise: the factual code pins u to the interval
    # [F(c-1 | y1), F(c | y1)); the counterfactual code must be the one whose interval under y2 meets it
    f1 = conditional_cdf(chain, "factor2", pairs.codes1)
    f2 = conditional_cdf(chain, "factor2", pairs.codes2)
    rows = np.arange(3000)
    lo1 = np.where(pairs.codes1[:, 2] > 0, f1[rows, pairs.codes1[:, 2] - 1], 0.0)
    hi1 = f1[rows, pairs.codes1[:, 2]]
    lo2 = np.where(pairs.codes2[:, 2] > 0, f2[rows, pairs.codes2[:, 2] - 1], 0.0)
    hi2 = f2[rows, pairs.codes2[:, 2]]
    assert np.all((lo2 < hi1 + 1e-12) & (lo1 < hi2 + 1e-12))
    assert pairs.changed[:, 2].mean() > 0.2  # the descendant really moves
    # both observations share the nuisance; images are those of the codes
    np.testing.assert_array_equal(pairs.x1, toy.observations(pairs.codes1, dtype=np.uint8))
    np.testing.assert_array_equal(pairs.x2, toy.observations(pairs.codes2, dtype=np.uint8))


def test_counterfactual_factual_codes_follow_the_scm(toy, chain):
    # codes only (the sampler's draw): 200,000 rows of images would be 3 GB
    codes1, codes2, intervened, _ = CounterfactualSampler(chain).draw(toy, 200_000, rng=1)
    assert_frequencies(codes1, toy.factor_space, grid_probs(chain))
    # targets="random": one changeable node per pair, uniform over the 4 nodes
    counts = intervened.sum(axis=0)
    assert intervened.sum(axis=1).tolist() == [1] * 200_000
    assert np.all(np.abs(counts / 200_000 - 0.25) < 6 * np.sqrt(0.25 * 0.75 / 200_000))
    # a root target with no children changes alone
    only3 = intervened[:, 3]
    assert ((codes1 != codes2)[only3].sum(axis=1) == 1).all()


def test_counterfactual_counter_based(toy, chain):
    whole = counterfactual_pairs(toy, chain, 600, rng=7, dtype=np.uint8)
    part = counterfactual_pairs(toy, chain, 100, rng=7, start=300, dtype=np.uint8)
    for a, b in zip(whole, part):
        np.testing.assert_array_equal(a[300:400], b)


def test_counterfactual_inside_split(toy, chain):
    view = toy.split("factor0 > 0.2")
    pairs = counterfactual_pairs(view, chain, 500, rng=0)
    assert view.contains(pairs.codes1).all() and view.contains(pairs.codes2).all()


def test_counterfactual_resample_and_lists(toy, chain):
    pairs = counterfactual_pairs(toy, chain, 4000, targets=["factor0", "factor3"], intervention="resample", rng=0)
    assert pairs.intervened[:, [0, 3]].all() and not pairs.intervened[:, [1, 2]].any()
    # resampling keeps the old value with probability 1/n (factor3 has 6 values)
    same = (pairs.codes1[:, 3] == pairs.codes2[:, 3]).mean()
    assert abs(same - 1 / 6) < 6 * np.sqrt((1 / 6) * (5 / 6) / 4000)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"targets": "factor9"}, r"targets: unknown factor 'factor9'"),
        ({"targets": []}, r"targets must be 'random', a factor name or a non-empty list"),
        ({"targets": ["factor1", "factor1"]}, r"names a factor twice"),
        ({"intervention": "swap"}, r"intervention must be 'uniform'"),
    ],
)
def test_counterfactual_bad_input(toy, chain, kwargs, message):
    with pytest.raises(SCMError, match=message):
        counterfactual_pairs(toy, chain, 10, rng=0, **kwargs)


def test_counterfactual_needs_matching_scm(toy, chain):
    with pytest.raises(SCMError, match="not dsprites_like's"):
        counterfactual_pairs(gtdata.load("dsprites_like"), chain, 4, rng=0)


def test_environments_distributions(toy, chain):
    codes, env, _ = EnvironmentSampler(chain, ["factor0", "factor1"]).draw(toy, 180_000, rng=0)
    assert np.bincount(env).tolist() == [60_000] * 3
    space = toy.factor_space
    assert_frequencies(codes[env == 0], space, grid_probs(chain))
    assert_frequencies(codes[env == 2], space, grid_probs(chain.intervene({"factor1": Uniform()})))
    batch = environments(toy, chain, ["factor0", "factor1"], 20, rng=0, dtype=np.uint8)
    assert not batch.intervened[batch.env == 0].any()
    assert batch.intervened[batch.env == 1, 0].all() and batch.intervened[batch.env == 2, 1].all()
    fixed = environments(toy, chain, ["factor1"], 100, intervention={"factor1": 1.0}, rng=0)
    assert (fixed.codes[fixed.env == 1, 1] == 3).all()


def test_environment_stream_matches_function(toy, chain):
    sampler = EnvironmentSampler(chain, ["factor0", "factor1"])
    batch = sampler.sample(toy, 30, rng=4, dtype=np.uint8)
    assert batch.env.tolist() == [i % 3 for i in range(30)]
    ref = environments(toy, chain, ["factor0", "factor1"], 10, rng=4, dtype=np.uint8)
    for e in range(3):
        np.testing.assert_array_equal(batch.codes[batch.env == e], ref.codes[ref.env == e])
    later = sampler.sample(toy, 9, rng=4, start=21, dtype=np.uint8)
    np.testing.assert_array_equal(later.codes, batch.codes[21:30])
    with pytest.raises(SCMError, match="missing \\['factor1'\\]"):
        EnvironmentSampler(chain, ["factor0", "factor1"], intervention={"factor0": 0.5})
    with pytest.raises(SCMError, match="not 'random'"):
        EnvironmentSampler(chain, "random")


def test_zero_probability_split_is_refused(toy):
    scm = SCM(toy.factor_space, {"factor1": Table(["factor0"], np.eye(4)[[0, 1, 1]])})
    with pytest.raises(ValueError, match="zero probability"):
        toy.split("factor1 > 0.5").with_distribution(scm)
    with pytest.raises(ValueError, match="zero probability"):
        environments(toy.split("factor1 > 0.5"), scm, ["factor0"], 10, intervention={"factor0": 0.0}, rng=0)


def test_sequences(toy):
    walk = Transition.random_walk(toy.factor_space, scale=0.15)
    seq = sequences(toy, walk, length=6, n=2000, rng=0, dtype=np.uint8)
    assert seq.x.shape == (2000, 6, 64, 64, 1) and seq.codes.shape == (2000, 6, 4)
    assert seq.intervened.shape == (2000, 5, 4)
    # default p = 1/(F+1) = 0.2 per factor and step
    assert abs(seq.intervened.mean() - 0.2) < 6 * np.sqrt(0.2 * 0.8 / seq.intervened.size)
    # without an intervention a random walk of scale 0.15 moves at most a few grid steps
    steps = np.abs(np.diff(seq.codes, axis=1))
    assert steps[~seq.intervened].max() <= 3
    np.testing.assert_array_equal(seq.x[:, 3], toy.observations(seq.codes[:, 3], dtype=np.uint8))
    again = sequences(toy, walk, length=6, n=10, rng=0, start=5, dtype=np.uint8)
    np.testing.assert_array_equal(again.codes, seq.codes[5:15])
    frozen = Transition(toy.factor_space, {})
    still = sequences(toy, frozen, length=3, n=500, p=0.0, rng=0)
    assert (still.codes[:, 1:] == still.codes[:, :1]).all()


def test_sequences_bad_input(toy):
    walk = Transition.random_walk(toy.factor_space)
    with pytest.raises(SCMError, match="length must be at least 2"):
        sequences(toy, walk, length=1, n=3)
    with pytest.raises(SCMError, match=r"p .* must be in \[0, 1\]"):
        sequences(toy, walk, length=3, n=3, p=1.5)
    with pytest.raises(SCMError, match="whole grid"):
        sequences(toy.split("factor0 > 0.2"), walk, length=3, n=3)
    with pytest.raises(SCMError, match="unknown factor 'nope'"):
        Transition(toy.factor_space, {"nope": Uniform()})


def test_samplers_in_batch_stream_and_workers(toy, chain):
    stream = BatchStream(toy, 16, sampler=CounterfactualSampler(chain), seed=3, num_batches=4, dtype=torch.uint8)
    inline = list(stream)
    assert len(inline[0]) == 6 and inline[0][0].shape == (16, 1, 64, 64) and inline[0][5].dtype == torch.bool
    loaded = list(DataLoader(stream, batch_size=None, num_workers=2))
    for a, b in zip(inline, loaded):
        for x, y in zip(a, b):
            assert torch.equal(x, y)
    seq = BatchStream(
        toy,
        4,
        sampler={"name": "sequences", "transition": Transition.random_walk(toy.factor_space), "length": 3},
        num_batches=1,
    )
    x, codes, intervened = seq.batch(0)
    assert x.shape == (4, 3, 1, 64, 64) and codes.shape == (4, 3, 4) and intervened.shape == (4, 2, 4)


def test_environment_stream_in_batch_stream(toy, chain):
    stream = BatchStream(toy, 9, sampler=EnvironmentSampler(chain, ["factor0", "factor1"]), seed=2, num_batches=2)
    x, codes, env, intervened = stream.batch(1)
    assert x.shape == (9, 1, 64, 64) and env.tolist() == [(9 + i) % 3 for i in range(9)]
    ref = EnvironmentSampler(chain, ["factor0", "factor1"]).sample(toy, 18, rng=2)
    assert torch.equal(codes, torch.from_numpy(ref.codes[9:]))
