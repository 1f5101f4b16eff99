import pickle

import numpy as np
import pytest
from causal_helpers import assert_frequencies, grid_probs
from scipy.stats import norm

from gtdata import Code
from gtdata.causal import SCM, AdditiveNoise, Categorical, SCMError, Table, TruncatedNormal, Uniform, load_scm


def test_log_prob_is_normalised_and_matches_sampling(chain):
    probs = grid_probs(chain)
    assert probs.sum() == pytest.approx(1.0, abs=1e-12)
    assert (probs == 0).any()  # the zero cell of the table is outside the support
    assert_frequencies(chain.sample_codes(400_000, rng=1), chain.factor_space, probs)


def test_additive_noise_table_is_the_snapped_gaussian(toy):
    # factor1 = 2 * factor0 + 0.1 + N(0, 0.3^2), snapped to the grid {0, 1/3, 2/3, 1} (cells between midpoints)
    scm = SCM(toy.factor_space, {"factor1": AdditiveNoise({"factor0": 2.0}, bias=0.1, scale=0.3)})
    grid = np.array([0, 1 / 3, 2 / 3, 1])
    edges = np.concatenate([[-np.inf], (grid[1:] + grid[:-1]) / 2, [np.inf]])
    for c0, v0 in enumerate([0.0, 0.5, 1.0]):
        f = 2 * v0 + 0.1
        want = norm.cdf(edges[1:], loc=f, scale=0.3) - norm.cdf(edges[:-1], loc=f, scale=0.3)
        codes = np.array([[c0, c1, 0, 0] for c1 in range(4)])
        got = np.exp(scm.log_prob(codes)) * 5 * 6 * 3  # divide out the uniform factors 0, 2, 3
        np.testing.assert_allclose(got, want, rtol=1e-12)


def test_uniform_noise_and_unit_space(toy):
    scm = SCM(toy.factor_space, {"factor3": AdditiveNoise({"factor2": 1.0}, noise="uniform", scale=0.1, space="unit")})
    # unit space: factor2 in {0, .25, .5, .75, 1}, factor3 in {0, .2, ..., 1}; U(-0.1, 0.1) around f
    codes = np.array([[0, 0, 2, c] for c in range(6)])
    p = np.exp(scm.log_prob(codes)) * 3 * 4 * 5
    # f = 0.5: cells [0.5, 0.7) for 0.6 and [0.3, 0.5) for 0.4 split the noise's mass in half
    np.testing.assert_allclose(p, [0, 0, 0.5, 0.5, 0, 0], atol=1e-12)


def test_roots_categorical_and_truncated_normal(toy):
    scm = SCM(toy.factor_space, {"factor0": Categorical([1, 0, 3]), "factor2": TruncatedNormal(0.5, 0.1)})
    p0 = np.exp(scm.log_prob([[c, 0, 0, 0] for c in range(3)]))
    np.testing.assert_allclose(p0 / p0.sum(), [0.25, 0, 0.75], atol=1e-12)
    marg = np.exp(scm.log_prob([[0, 0, c, 0] for c in range(5)])) / np.exp(scm.log_prob([[0, 0, 0, 0]]))
    edges = np.array([0, 0.125, 0.375, 0.625, 0.875, 1.0])
    want = np.diff(norm.cdf(edges, 0.5, 0.1))
    np.testing.assert_allclose(marg, want / want[0], rtol=1e-9)
    assert np.exp(scm.log_prob([[1, 0, 0, 0]]))[0] == 0.0
    assert np.all(scm.sample_codes(5000, 0)[:, 0] != 1)


def test_noise_and_codes(chain):
    u = chain.noise(1000, rng=3)
    assert u.shape == (1000, 4) and (u >= 0).all() and (u < 1).all()
    np.testing.assert_array_equal(chain.codes_from_noise(u), chain.sample_codes(1000, rng=3))
    # a RandomState is consumed like a Generator would be, deterministically
    a = chain.sample_codes(10, np.random.RandomState(5))
    b = chain.sample_codes(10, np.random.RandomState(5))
    np.testing.assert_array_equal(a, b)


def test_structure(chain):
    assert chain.parents("factor2") == ("factor1",)
    assert chain.children("factor0") == ("factor1",)
    assert chain.descendants("factor0") == ("factor1", "factor2")
    assert chain.descendants(["factor3"]) == ()
    assert chain.edges == [("factor0", "factor1"), ("factor1", "factor2")]
    assert chain.order.index("factor0") < chain.order.index("factor1") < chain.order.index("factor2")


def test_do_hard_intervention(chain):
    scm = chain.do({"factor1": 2 / 3})
    codes = scm.sample_codes(20_000, rng=0)
    assert (codes[:, 1] == 2).all()
    # the intervened node's parents no longer matter; its children follow their table given the new value
    assert scm.parents("factor1") == ()
    probs = grid_probs(scm)
    assert_frequencies(codes, scm.factor_space, probs)
    assert np.array_equal(chain.do({"factor1": Code(2)}).log_prob(codes), scm.log_prob(codes))
    # the original is untouched
    assert chain.parents("factor1") == ("factor0",)


def test_soft_interventions(chain):
    shifted = chain.shift({"factor1": 1.0})
    mean_before = chain.sample_codes(20_000, 0)[:, 1].mean()
    mean_after = shifted.sample_codes(20_000, 0)[:, 1].mean()
    assert mean_after > mean_before + 0.5
    replaced = chain.intervene({"factor2": Uniform()})
    assert replaced.parents("factor2") == ()
    p = grid_probs(replaced).reshape(3, 4, 5, 6).sum(axis=(0, 1, 3))
    np.testing.assert_allclose(p, 0.2, atol=1e-12)
    with pytest.raises(SCMError, match="only additive_noise and truncated_normal.*factor2.*table"):
        chain.shift({"factor2": 1})


def test_pickles_and_yaml_round_trip(chain, tmp_path):
    assert pickle.loads(pickle.dumps(chain)) == chain
    import yaml

    path = tmp_path / "chain.yaml"
    path.write_text(yaml.safe_dump(chain.to_dict()))
    again = load_scm(path)
    assert again == chain
    np.testing.assert_array_equal(again.sample_codes(100, 0), chain.sample_codes(100, 0))
    # a spec without factors takes the data set's
    spec = chain.to_dict()
    del spec["factors"]
    assert SCM.from_dict(spec, chain.factor_space) == chain


def test_yaml_spec_by_hand(toy, tmp_path):
    path = tmp_path / "scm.yaml"
    path.write_text("""
kind: scm
name: by_hand
nodes:
  factor1: {mechanism: additive_noise, parents: {factor0: 1.5}, scale: 0.2, space: unit}
  factor2: {mechanism: table, parents: [factor0], probs: [[1, 0, 0, 0, 0], [0, 1, 0, 0, 0], [0, 0, 0, 0, 1]]}
""")
    scm = load_scm(path, toy.factor_space)
    codes = scm.sample_codes(1000, 0)
    np.testing.assert_array_equal(codes[:, 2], np.array([0, 1, 4])[codes[:, 0]])


@pytest.mark.parametrize(
    "build, message",
    [
        (
            lambda s: SCM(
                s, {"factor0": Table(["factor1"], np.ones((4, 3))), "factor1": Table(["factor0"], np.ones((3, 4)))}
            ),
            r"cycle: factor0 -> factor1 -> factor0",
        ),
        (lambda s: SCM(s, {"factr1": Uniform()}), r"unknown factor 'factr1' \(did you mean 'factor1'\?\)"),
        (lambda s: SCM(s, {"factor1": AdditiveNoise({"facto0": 1.0})}), r"parents: unknown factor 'facto0'"),
        (lambda s: SCM(s, {"factor1": AdditiveNoise({"factor1": 1.0})}), r"own parent"),
        (
            lambda s: SCM(s, {"factor1": Table(["factor0"], np.zeros((3, 4)))}),
            r"factor1.*parents \{'factor0': 0\}.*zero total",
        ),
        (lambda s: SCM(s, {"factor1": Table(["factor0"], -np.ones((3, 4)))}), r"non-negative"),
        (lambda s: SCM(s, {"factor1": Table(["factor0"], np.ones((4, 3)))}), r"needs shape \(3, 4\)"),
        (lambda s: SCM(s, {"factor0": Categorical([1, 2])}), r"mechanisms.factor0: categorical weights need 3 entries"),
        (lambda s: SCM(s, {"factor1": AdditiveNoise({"factor0": 1.0}, scale=0)}), r"positive number"),
        (lambda s: SCM(s, {"factor1": AdditiveNoise({"factor0": 1.0}, form="cube")}), r"form must be one of"),
        (lambda s: SCM(s, {"factor1": TruncatedNormal(0.5, -1)}), r"std must be a positive"),
    ],
)
def test_bad_scms(toy, build, message):
    with pytest.raises(SCMError, match=message):
        build(toy.factor_space)


def test_bad_interventions(chain):
    with pytest.raises(SCMError, match=r"0.3 is not on 'factor1''s grid; nearest values: \[0.0, 0.333"):
        chain.do({"factor1": 0.3})
    with pytest.raises(SCMError, match="unknown factor 'factor9'"):
        chain.do({"factor9": 0})
    with pytest.raises(SCMError, match="codes 0..3"):
        chain.do({"factor1": Code(7)})
    with pytest.raises(SCMError, match="non-empty mapping"):
        chain.do({})


def test_bad_yaml(toy, tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("kind: scm\nnodes:\n  factor1: {mechanism: additive_noise, parents: {factor0: 1\n")
    with pytest.raises(SCMError, match=r"bad.yaml: not valid YAML at line \d+, column \d+"):
        load_scm(path, toy.factor_space)
    path.write_text("kind: scm\nnodes:\n  factor1: {mechanism: additive_nois, parents: {factor0: 1}}\n")
    with pytest.raises(
        SCMError,
        match=r"nodes.factor1.mechanism: unknown mechanism 'additive_nois' \(did you mean 'additive_noise'\?\)",
    ):
        load_scm(path, toy.factor_space)
    path.write_text("kind: scm\ndata: toy\nnodes: {}\n")
    with pytest.raises(SCMError, match=r"no 'factors'.*names data set 'toy'"):
        load_scm(path)
