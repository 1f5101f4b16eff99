"""The samplers layer: 0.1's calls delegate to it with the same bytes; names, options and errors."""

import time

import numpy as np
import pytest

import gtdata
from gtdata.sampling import PairSampler, TripletSampler, UniformSampler, make_sampler, sampler_names, shared_pairs


@pytest.fixture(scope="module")
def data():
    return gtdata.load("toy", noise=0.1)


def test_methods_are_the_samplers(data):
    c, x = data.stream(40, rng=3, start=5, dtype=np.uint8)
    batch = UniformSampler().sample(data, 40, rng=3, start=5, dtype=np.uint8)
    np.testing.assert_array_equal(c, batch.codes)
    np.testing.assert_array_equal(x, batch.x)
    for a, b in zip(
        data.sample_pairs(40, k=(1, 2), rng=4, mode="reference", start=9, dtype=np.uint8),
        PairSampler(k=(1, 2), mode="reference").sample(data, 40, rng=4, start=9, dtype=np.uint8),
    ):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(data.sample_triplets(20, 1, 3, rng=5), TripletSampler(1, 3).sample(data, 20, rng=5)):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(data.sample_shared_pairs(20, "factor1", rng=6), shared_pairs(data, 20, "factor1", rng=6)):
        np.testing.assert_array_equal(a, b)


def test_draw_gives_codes_only_and_is_counter_based(data):
    codes1, codes2, changed, nu1, nu2 = PairSampler(k=2).draw(data, 300, rng=1)
    assert (changed.sum(axis=1) == 2).all()
    np.testing.assert_array_equal(nu1["noise"], nu2["noise"])  # exact pairs share their nuisance
    part = PairSampler(k=2).draw(data, 40, rng=1, start=260)
    np.testing.assert_array_equal(part[0], codes1[260:])
    np.testing.assert_array_equal(part[2], changed[260:])


def test_make_sampler():
    assert sampler_names() == ["counterfactual", "environments", "pairs", "sequences", "triplets", "uniform"]
    assert make_sampler("pairs", k=2, mode="reference") == PairSampler(k=2, mode="reference")
    assert make_sampler({"name": "triplets", "k_positive": 2}) == TripletSampler(2)
    s = UniformSampler()
    assert make_sampler(s) is s
    with pytest.raises(ValueError, match=r"unknown sampler 'pair' \(did you mean 'pairs'\?\)"):
        make_sampler("pair")
    with pytest.raises(ValueError, match="needs a 'name'"):
        make_sampler({"k": 1})
    with pytest.raises(ValueError, match="sampler 'pairs': .*unexpected keyword argument 'kk'"):
        make_sampler("pairs", kk=1)
    with pytest.raises(ValueError, match="mode must be 'exact' or 'reference'"):
        make_sampler("pairs", mode="sloppy")


def test_sampler_checks_before_drawing(data):
    with pytest.raises(ValueError, match=r"k must lie in 1..3"):
        PairSampler(k=4).sample(data, 4, rng=0)
    with pytest.raises(ValueError, match="k_negative must be larger"):
        TripletSampler(2, 2).sample(data, 4, rng=0)


@pytest.mark.parametrize(
    "call",
    [
        lambda d: d.sample(10**12, 0),
        lambda d: d.sample_factors(10**12, np.random.RandomState(0)),
        lambda d: d.sample_codes(10**12, 0),
        lambda d: d.sample_pairs(10**12, rng=0),
        lambda d: d.stream(10**12, 0),
        lambda d: d.sample_triplets(10**12, rng=0),
        lambda d: d.sample_observations(10**12, 0),
    ],
)
def test_absurd_sizes_fail_fast(data, call):
    t0 = time.perf_counter()
    with pytest.raises(ValueError, match=r"n=1,000,000,000,000 .* need .* of this machine's memory"):
        call(data)
    assert time.perf_counter() - t0 < 1.0
