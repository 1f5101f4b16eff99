import pickle

import numpy as np
import pytest

from gtdata import PairBatch, ToyData


@pytest.fixture
def data():
    return ToyData((3, 4, 5, 6))


def test_observations_shapes_dtypes_and_values(data):
    x = data.observations([[0, 0, 0, 0], [2, 3, 4, 5]])
    assert x.shape == (2, 64, 64, 1) and x.dtype == np.float32
    assert x.min() >= 0 and x.max() <= 1
    assert x[1, 0, 0, 0] == pytest.approx(3 / 4)
    as_bytes = data.observations([[2, 3, 4, 5]], dtype=np.uint8)
    assert as_bytes.dtype == np.uint8 and as_bytes[0, 0, 0, 0] == round(0.75 * 255)


def test_dlib_interface_semantics(data):
    assert data.num_factors == 4
    assert data.factors_num_values == [3, 4, 5, 6]
    assert tuple(data.observation_shape) == (64, 64, 1)
    rs = np.random.RandomState(0)
    factors = data.sample_factors(8, rs)
    assert factors.shape == (8, 4) and factors.dtype == np.int64
    obs = data.sample_observations_from_factors(factors, rs)
    assert obs.shape == (8, 64, 64, 1)
    f1, o1 = data.sample(8, np.random.RandomState(3))
    f2 = data.sample_factors(8, np.random.RandomState(3))
    assert np.array_equal(f1, f2)
    assert data.sample_observations(5, np.random.RandomState(3)).shape == (5, 64, 64, 1)


def test_same_seed_same_bytes(data):
    noisy = ToyData(noise=0.3)
    a = noisy.sample(64, 11)
    b = noisy.sample(64, np.random.default_rng(11))
    assert np.array_equal(a[0], b[0]) and a[1].tobytes() == b[1].tobytes()
    p1 = noisy.sample_pairs(100, k="random", rng=5)
    p2 = noisy.sample_pairs(100, k="random", rng=5)
    assert all(np.array_equal(u, v) for u, v in zip(p1, p2))


def test_getitem_and_len(data):
    assert len(data) == 360
    image, codes = data[358]
    assert codes.tolist() == [2, 3, 4, 4]
    assert image.shape == (64, 64, 1)
    with pytest.raises(IndexError, match=r"0..359"):
        data[360]


@pytest.mark.parametrize("k", [1, 2, 3])
def test_exact_pairs_differ_in_exactly_k(data, k):
    p = data.sample_pairs(2000, k=k, rng=0)
    assert isinstance(p, PairBatch)
    assert p.x1.shape == p.x2.shape == (2000, 64, 64, 1)
    assert (p.changed.sum(1) == k).all()
    assert np.array_equal(p.codes1 != p.codes2, p.changed)
    for f in range(4):
        rows = p.changed[:, f]
        assert not np.array_equal(p.x1[rows], p.x2[rows])


def test_random_k_is_uniform_over_1_to_d_minus_1():
    data = ToyData((3, 4, 5, 6), image_size=8)
    p = data.sample_pairs(30000, k="random", rng=1)
    ks = p.changed.sum(1)
    assert set(np.unique(ks)) == {1, 2, 3}
    assert np.allclose(np.bincount(ks)[1:] / ks.size, 1 / 3, atol=0.015)
    ranged = data.sample_pairs(3000, k=(2, 3), rng=1)
    assert set(np.unique(ranged.changed.sum(1))) == {2, 3}
    assert set(np.unique(data.sample_pairs(3000, k=range(1, 3), rng=1).changed.sum(1))) == {1, 2}


def test_changed_factors_are_uniform_and_new_values_differ():
    data = ToyData((3, 4, 5, 6), image_size=8)
    p = data.sample_pairs(40000, k=1, rng=2)
    which = p.changed.argmax(1)
    assert np.allclose(np.bincount(which) / which.size, 0.25, atol=0.01)
    rows = which == 3
    diff = (p.codes2[rows, 3] - p.codes1[rows, 3]) % 6
    assert diff.min() >= 1
    assert np.allclose(np.bincount(diff, minlength=6)[1:] / diff.size, 1 / 5, atol=0.02)


def test_reference_mode_statistics():
    data = ToyData((3, 4, 5, 6), image_size=8)
    p = data.sample_pairs(40000, k=3, rng=3, mode="reference")
    resampled = p.changed.sum(1)
    assert set(np.unique(resampled)) == {1, 3}
    assert np.mean(resampled == 1) == pytest.approx(0.5, abs=0.01)
    actually = (p.codes1 != p.codes2).sum(1)
    assert (actually <= resampled).all()
    stay = (p.codes1 == p.codes2) & p.changed
    per_factor_repeat = stay.sum(0) / p.changed.sum(0)
    assert np.allclose(per_factor_repeat, [1 / 3, 1 / 4, 1 / 5, 1 / 6], atol=0.02)


def test_pairs_share_nuisance_by_default_and_reference_redraws():
    noisy = ToyData((3, 4), noise=0.5)
    exact = noisy.sample_pairs(50, k=1, rng=0)
    band = slice(32, 64) if exact.changed[0, 0] else slice(0, 32)
    assert np.array_equal(exact.x1[0, band], exact.x2[0, band])
    ref = noisy.sample_pairs(50, k=1, rng=0, mode="reference")
    assert not np.array_equal(ref.x1[:, :2], ref.x2[:, :2])


def test_pairs_are_counter_based(data):
    whole = data.sample_pairs(1000, k="random", rng=9)
    parts = [data.sample_pairs(n, k="random", rng=9, start=s) for s, n in [(0, 300), (300, 1), (301, 699)]]
    for field in range(5):
        assert np.array_equal(whole[field], np.concatenate([p[field] for p in parts]))


def test_stream_is_counter_based(data):
    codes, images = data.stream(600, rng=4)
    codes2, images2 = data.stream(100, rng=4, start=500)
    assert np.array_equal(codes[500:], codes2) and np.array_equal(images[500:], images2)


@pytest.mark.parametrize(
    "k, message",
    [
        (0, r"k must lie in 1..3 \(d = 4 factors\), got 0"),
        (4, r"k must lie in 1..3"),
        ("all", "k must be an int in 1..3"),
        ((2, 5), r"k must lie in 1..3"),
    ],
)
def test_bad_k(data, k, message):
    with pytest.raises(ValueError, match=message):
        data.sample_pairs(4, k=k, rng=0)


def test_bad_counts_and_modes(data):
    with pytest.raises(ValueError, match="n must be a positive integer, got 0"):
        data.sample_pairs(0)
    with pytest.raises(ValueError, match="n must be a positive integer, got -3"):
        data.sample(-3, 0)
    with pytest.raises(ValueError, match="mode must be 'exact' or 'reference'"):
        data.sample_pairs(2, mode="dlib")
    with pytest.raises(ValueError, match="dtype must be"):
        data.observations([[0, 0, 0, 0]], dtype=np.int16)


def test_shared_pairs_and_triplets(data):
    shared = data.sample_shared_pairs(500, "factor2", rng=0)
    assert np.array_equal(shared.codes1[:, 2], shared.codes2[:, 2])
    assert shared.changed[:, [0, 1, 3]].any()
    t = data.sample_triplets(300, k_positive=1, k_negative=3, rng=0)
    assert ((t.codes_anchor != t.codes_positive).sum(1) == 1).all()
    assert ((t.codes_anchor != t.codes_negative).sum(1) == 3).all()
    with pytest.raises(ValueError, match="k_negative must be larger than k_positive"):
        data.sample_triplets(3, k_positive=2, k_negative=2)


def test_pickles_without_cached_masks(data):
    part = data.split("factor0 > 0.1")
    _ = part.grid_points
    clone = pickle.loads(pickle.dumps(part))
    assert np.array_equal(clone.grid_points, part.grid_points)
    assert "_grid_mask_cache" not in pickle.loads(pickle.dumps(part)).__getstate__()
