"""SCMs on rendered sets with continuous factors: values follow the mechanisms off the grid."""

import numpy as np
import pytest
from scipy import stats

import gtdata
from gtdata.causal import SCM, AdditiveNoise, Categorical, TruncatedNormal


@pytest.fixture(scope="module")
def light():
    return gtdata.load("light3d")  # light_azimuth, light_elevation: both continuous


def unit(factor, x):
    return (x - factor.low) / (factor.high - factor.low)


def test_truncated_normal_root_is_continuous_and_exact(light):
    az = light.factor_space["light_azimuth"]
    scm = SCM(light.factor_space, {"light_azimuth": TruncatedNormal(0.4, 0.2, space="unit")})
    x = unit(az, scm.sample_values(20_000, rng=0)["light_azimuth"])
    assert np.unique(x).size == 20_000  # off the grid
    dist = stats.truncnorm((0 - 0.4) / 0.2, (1 - 0.4) / 0.2, loc=0.4, scale=0.2)
    # KS statistic of 20,000 draws: 0.02 is ~2.8/sqrt(n), exceeded by chance with p < 1e-6
    assert stats.kstest(x, dist.cdf).statistic < 0.02


def test_additive_noise_child_follows_its_parent(light):
    space = light.factor_space
    scm = SCM(space, {"light_elevation": AdditiveNoise({"light_azimuth": 0.5}, bias=0.2, scale=0.05, space="unit")})
    v = scm.sample_values(20_000, rng=1)
    az, el = unit(space["light_azimuth"], v["light_azimuth"]), unit(space["light_elevation"], v["light_elevation"])
    resid = el - (0.2 + 0.5 * az)
    assert abs(resid.mean()) < 6 * 0.05 / np.sqrt(20_000) and abs(resid.std() - 0.05) < 0.002
    assert stats.kstest(resid / 0.05, "norm").statistic < 0.02  # no clipping: f stays in [0.2, 0.7]


def test_grid_nodes_and_continuous_nodes_mix():
    data = gtdata.load("shapes3d_like")  # shape is categorical; the hues, scale and orientation continuous
    space = data.factor_space
    scm = SCM(
        space,
        {
            "shape": Categorical([1, 0, 0, 1]),
            "scale": AdditiveNoise({"shape": 0.5}, bias=0.1, scale=0.02, space="unit"),
        },
    )
    v = scm.sample_values(5000, rng=0)
    assert set(v["shape"].tolist()) == {space["shape"].values[0], space["shape"].values[3]}
    is3 = v["shape"] == space["shape"].values[3]
    s = unit(space["scale"], v["scale"])
    # categorical parents enter with their code scaled to [0, 1]: shape 3 -> 1.0, shape 0 -> 0.0
    assert abs(s[is3].mean() - 0.6) < 0.01 and abs(s[~is3].mean() - 0.1) < 0.01


def test_rendered_view_renders_the_scms_values(light):
    scm = SCM(light.factor_space, {"light_azimuth": TruncatedNormal(0.5, 0.1, space="unit")})
    view = light.with_distribution(scm)
    values, images = view.sample_values(6, rng=3)
    np.testing.assert_array_equal(values["light_azimuth"], scm.sample_values(6, rng=3)["light_azimuth"])
    np.testing.assert_array_equal(images, light.render_values(values, rng=0))
    # grid draws of the same view snap to the grid and follow the exact table
    codes = view.sample_codes(1000, rng=0)
    assert np.isfinite(scm.log_prob(codes)).all()
