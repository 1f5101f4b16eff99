import math
import os

import numpy as np
import pytest
from causal_helpers import assert_frequencies, grid_probs

import gtdata
from gtdata import FactorSpace
from gtdata.causal import SCMError, correlated, traeuble_table

try:
    import cv2  # noqa: F401

    HAVE_CV2 = True
except ImportError:  # CI installs the test extra, which has OpenCV: there the Träuble tests must run
    HAVE_CV2 = False
needs_cv2 = pytest.mark.skipif(
    not HAVE_CV2 and not os.environ.get("CI"),
    reason="Träuble's table is drawn by OpenCV (pip install 'gtdata[causal]')",
)


def pair_stats(table):
    na, nb = table.shape
    a, b = np.arange(na) / (na - 1), np.arange(nb) / (nb - 1)
    pa, pb = table.sum(1), table.sum(0)
    ea, eb = pa @ a, pb @ b
    cov = (table * np.outer(a - ea, b - eb)).sum()
    return (table == 0).mean(), cov / np.sqrt((pa @ (a - ea) ** 2) * (pb @ (b - eb) ** 2))


@needs_cv2
@pytest.mark.parametrize(
    "sizes, published",
    [
        # crl.md §1b: (fraction of zero cells, Pearson of the normalised index pair) for w = 0.2, 0.4, 0.7
        ((40, 32), [(0.42, 0.91), (0.28, 0.79), (0.11, 0.49)]),  # dSprites orientation x posX
        ((8, 15), [(0.38, 0.86), (0.23, 0.69), (0.08, 0.42)]),  # Shapes3D size x azimuth
        ((40, 40), [(0.41, 0.92), (0.24, 0.76), (0.08, 0.46)]),  # MPI3D DOF1 x DOF2
        ((10, 15), [(0.42, 0.88), (0.27, 0.74), (0.10, 0.44)]),  # Shapes3D hue x azimuth
        ((10, 8), [(0.26, 0.77), (0.16, 0.63), (0.04, 0.33)]),  # Shapes3D hue x size
    ],
)
def test_traeuble_tables_match_the_published_properties(sizes, published):
    for w, (zeros, corr) in zip((0.2, 0.4, 0.7), published):
        table = traeuble_table(*sizes, w)
        assert table.sum() == pytest.approx(1.0)
        z, r = pair_stats(table)
        assert z == pytest.approx(zeros, abs=0.006) and r == pytest.approx(corr, abs=0.011), (sizes, w, z, r)
    np.testing.assert_allclose(traeuble_table(*sizes, 10.0), 1 / (sizes[0] * sizes[1]))


@needs_cv2
def test_traeuble_scm_on_dsprites_grid():
    data = gtdata.load("dsprites_like")
    scm = correlated(data.factor_space, ("orientation", "posX"), 0.2, method="traeuble")
    joint = grid_probs(scm).reshape(3, 6, 40, 32, 32).sum(axis=(0, 1, 4))
    np.testing.assert_allclose(joint, traeuble_table(40, 32, 0.2), atol=1e-12)
    anti = correlated(data.factor_space, ("orientation", "posX"), 0.2, method="traeuble", anti=True)
    assert pair_stats(grid_probs(anti).reshape(3, 6, 40, 32, 32).sum(axis=(0, 1, 4)))[1] < -0.85


def test_gaussian_pair_is_the_published_formula():
    space = FactorSpace.from_sizes([5, 7, 3], ["a", "b", "c"])
    scm = correlated(space, ("a", "b"), 0.3)
    sa, sb = np.linspace(0, 1, 5)[:, None], np.linspace(0, 1, 7)[None, :]
    want = np.exp(-((sa - sb) ** 2) / (2 * 0.3**2))
    want /= want.sum()
    joint = grid_probs(scm).reshape(5, 7, 3)
    np.testing.assert_allclose(joint.sum(axis=2), want, rtol=1e-10)
    np.testing.assert_allclose(joint.sum(axis=(0, 1)), 1 / 3, rtol=1e-10)  # the rest stays uniform
    anti = grid_probs(correlated(space, ("a", "b"), 0.3, anti=True)).reshape(5, 7, 3).sum(axis=2)
    np.testing.assert_allclose(anti, want[:, ::-1], rtol=1e-10)
    np.testing.assert_allclose(grid_probs(correlated(space, ("a", "b"), math.inf)), 1 / space.size)


def test_several_pairs_multiply_and_stay_exact():
    space = FactorSpace.from_sizes([4, 5, 6, 3], ["a", "b", "c", "d"])
    scm = correlated(space, [("a", "b"), ("b", "c")], [0.2, 0.4])  # one block a-b-c, chain-factorised
    s = [np.linspace(0, 1, n) for n in (4, 5, 6)]
    w = np.exp(-((s[0][:, None, None] - s[1][None, :, None]) ** 2) / (2 * 0.04)) * np.exp(
        -((s[1][None, :, None] - s[2][None, None, :]) ** 2) / (2 * 0.16)
    )
    np.testing.assert_allclose(grid_probs(scm).reshape(4, 5, 6, 3).sum(axis=3), w / w.sum(), rtol=1e-10)
    assert_frequencies(scm.sample_codes(300_000, rng=0), space, grid_probs(scm))


def test_stronger_correlation_couples_more():
    data = gtdata.load("dsprites_like")
    corr = []
    for sigma in (0.1, 0.3, 1.0, math.inf):
        codes = correlated(data.factor_space, ("orientation", "posX"), sigma).sample_codes(50_000, rng=0)
        corr.append(np.corrcoef(codes[:, 2], codes[:, 3])[0, 1])
    assert corr[0] > corr[1] > corr[2] > 0.05 and abs(corr[3]) < 0.03


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"pairs": ("a", "a"), "sigma": 0.2}, "cannot be correlated with itself"),
        ({"pairs": ("a", "z"), "sigma": 0.2}, r"pairs\[0\]: unknown factor 'z'"),
        ({"pairs": ("a", "b"), "sigma": 0}, r"sigma must be > 0"),
        ({"pairs": ("a", "b"), "sigma": -1, "method": "traeuble"}, r"line width w\) must be > 0"),
        ({"pairs": ("a", "b"), "sigma": [0.1, 0.2]}, "2 entries for 1 pairs"),
        ({"pairs": ("a", "b"), "sigma": 0.1, "method": "diagonal"}, "method must be one of"),
        ({"pairs": [], "sigma": 0.1}, "pairs must be"),
    ],
)
def test_bad_input(kwargs, message):
    space = FactorSpace.from_sizes([4, 5], ["a", "b"])
    with pytest.raises(SCMError, match=message):
        correlated(space, **kwargs)
