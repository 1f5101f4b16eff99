"""3-D built-ins through RenderedData: index order, colour factors, determinism, backends, export."""

import colorsys
import pickle

import numpy as np
import pytest

import gtdata
from gtdata.render import RenderedData, export_rendered

torch = pytest.importorskip("torch")


@pytest.fixture(scope="module")
def shapes():
    return RenderedData("shapes3d_like")


def test_shapes3d_like_factors_and_index_order(shapes):
    assert shapes.factor_names == ("floor_hue", "wall_hue", "object_hue", "scale", "shape", "orientation")
    assert shapes.factors_num_values == [10, 10, 10, 8, 4, 15]
    assert len(shapes) == 480_000
    np.testing.assert_allclose(shapes.factor_space[3].values, np.linspace(0.75, 1.25, 8))
    np.testing.assert_allclose(shapes.factor_space[5].values, np.linspace(-30, 30, 15))
    np.testing.assert_allclose(shapes.factor_space[0].values, np.arange(10) / 10)
    assert list(shapes.factor_space[4].values) == ["cube", "cylinder", "sphere", "capsule"]
    idx = np.array([0, 1, 14, 15, 59, 60, 479_999, 123_457])
    f, w, o, s, k, r = shapes.factor_space.index_to_codes(idx).T
    np.testing.assert_array_equal(((((f * 10 + w) * 10 + o) * 8 + s) * 4 + k) * 15 + r, idx)
    # images follow the index: object hue code c shows hue c / 10 at the object's centre pixel
    codes = np.zeros((10, 6), dtype=np.int64)
    codes[:, 2] = np.arange(10)
    codes[:, 0], codes[:, 1], codes[:, 4], codes[:, 5] = 5, 5, 0, 7  # cyan floor/walls, a cube, head-on
    images = shapes.observations(codes, dtype=np.uint8)
    hues = np.array([colorsys.rgb_to_hsv(*(img[36, 32] / 255.0))[0] for img in images])
    err = np.abs(hues - np.arange(10) / 10)
    assert np.all(np.minimum(err, 1 - err) < 0.05)  # shading + sRGB encoding bend hues a little
    assert np.all(np.diff(hues) > 0)
    index = shapes.factor_space.codes_to_index(codes)
    np.testing.assert_array_equal(shapes[int(index[3])][0], shapes.observations(codes[3:4])[0])


def test_a_colour_factor_changes_only_its_surface(shapes):
    rng = np.random.default_rng(3)
    codes = shapes.sample_codes(6, rng)
    A, _B = shapes._raster.geometry(codes)
    base = shapes.observations(codes, dtype=np.uint8)
    for factor, slot in (("floor_hue", 1), ("wall_hue", 2), ("object_hue", 3)):
        j = shapes.factor_names.index(factor)
        other = codes.copy()
        other[:, j] = (other[:, j] + 5) % 10
        changed = np.any(shapes.observations(other, dtype=np.uint8) != base, axis=-1).reshape(6, -1)
        covered = A[:, slot].max(axis=-1) > 0
        assert changed.any()
        assert not np.any(changed & ~covered), factor  # no pixel outside the surface changes
        assert changed.sum() >= 0.9 * (A[:, slot].min(axis=-1) > 0.05).sum()


def test_determinism_across_batches_threads_and_paths(shapes):
    codes = shapes.sample_codes(40, 11)
    full = shapes.observations(codes, dtype=np.uint8)
    fresh = RenderedData("shapes3d_like", threads=1)
    singles = np.concatenate([fresh.observations(codes[i : i + 1], dtype=np.uint8) for i in range(40)])
    np.testing.assert_array_equal(full, singles)
    np.testing.assert_array_equal(full, RenderedData("shapes3d_like", threads=2).observations(codes, dtype=np.uint8))
    values = {f.name: f.values[codes[:, i]] for i, f in enumerate(shapes.factor_space)}
    np.testing.assert_array_equal(full, shapes.render_values(values, dtype=np.uint8))  # direct == cached path
    clone = pickle.loads(pickle.dumps(shapes))
    np.testing.assert_array_equal(full[:5], clone.observations(codes[:5], dtype=np.uint8))


def test_continuous_values_do_not_depend_on_batching_threads_or_cache():
    """Culling and compaction gather rays across images: a pixel must still depend on its image alone."""
    for name in ("shapes3d_like", "objects3d", "light3d"):
        ref = RenderedData(name, threads=2)
        values, images = ref.sample_values(24, 13, dtype=np.uint8)
        solo = RenderedData(name, threads=1)
        parts = [
            solo.render_values({k: v[lo:hi] for k, v in values.items()}, dtype=np.uint8)
            for lo, hi in ((0, 1), (1, 9), (9, 24))
        ]
        np.testing.assert_array_equal(images, np.concatenate(parts), err_msg=name)
        doubled = {k: np.concatenate([v, v[::-1]]) for k, v in values.items()}  # repeated configurations
        for _ in range(2):  # traced a second time (and kept), then composited from the stored entries
            again = solo.render_values(doubled, dtype=np.uint8)
            np.testing.assert_array_equal(again[:24], images, err_msg=name)
            np.testing.assert_array_equal(again[24:], images[::-1], err_msg=name)
        assert len(solo._raster._geometry) == 24, name


def test_render_values_keeps_a_configuration_from_its_second_trace_on():
    """Random continuous values never repeat: their passes are not kept; values that come back are."""
    data = RenderedData("objects3d", threads=1)
    values, first = data.sample_values(6, 3, dtype=np.uint8)
    raster = data._raster
    assert len(raster._geometry) == 0 and len(raster._seen) == 6  # traced once: only the keys noted
    fresh = RenderedData("objects3d", threads=1).sample_values(5, 4)[0]  # drawn (and traced) elsewhere
    data.render_values(fresh, dtype=np.uint8)
    assert len(raster._geometry) == 0 and len(raster._seen) == 11
    np.testing.assert_array_equal(data.render_values(values, dtype=np.uint8), first)  # second trace: kept
    assert len(raster._geometry) == 6 and len(raster._seen) == 5
    used = raster._used
    np.testing.assert_array_equal(data.render_values(values, dtype=np.uint8), first)  # from the stored entries
    assert raster._used == used and len(raster._geometry) == 6
    # grid codes repeat: the torch backend (which has no grid tables) keeps their passes at the first trace
    torch_data = RenderedData("light3d", backend="torch", device="cpu")
    codes = torch_data.sample_codes(4, 0)
    torch_data.observations(codes, dtype=np.uint8)
    geo = torch_data._raster._params(lambda b: b.at_codes(codes), 4)["geo"]
    assert len(torch_data._raster._geometry) == len(np.unique(geo, axis=0)) > 0


def test_threaded_trace_items_give_the_bytes_of_one_thread():
    """Two numpy threads trace up to 128 configurations per work item (objects3d, 300 images: 128, 128, 44;
    shapes3d_like cuts each object shape's ~75 into one item), one thread 32: the same bytes."""
    for name in ("objects3d", "shapes3d_like"):
        two = RenderedData(name, threads=2)
        values, images = two.sample_values(300, 5, dtype=np.uint8)
        assert [two._raster._trace_step(m) for m in (300, 256, 100, 20)] == [128, 128, 50, 32]
        one = RenderedData(name, threads=1)
        assert [one._raster._trace_step(m) for m in (300, 20)] == [32, 32]
        np.testing.assert_array_equal(one.render_values(values, dtype=np.uint8), images, err_msg=name)


def test_grid_slabs_equal_the_direct_path_under_any_cache_budget(shapes):
    """Grid codes composite precomputed uint8 slabs; a budget too small for them resets and rebuilds."""
    rng = np.random.default_rng(21)
    codes = shapes.sample_codes(300, rng)
    expected = shapes.observations(codes, dtype=np.uint8)
    values = {f.name: f.values[codes[:, i]] for i, f in enumerate(shapes.factor_space)}
    direct = RenderedData("shapes3d_like")
    direct._raster.cache_bytes = 0  # nothing cached: every image traced and composited directly
    np.testing.assert_array_equal(direct.render_values(values, dtype=np.uint8), expected)
    small = RenderedData("shapes3d_like", threads=2)
    small._raster.cache_bytes = 8 << 20  # a few configurations' slabs: the tables reset between batches
    for lo in range(0, 300, 60):
        np.testing.assert_array_equal(small.observations(codes[lo : lo + 60], dtype=np.uint8), expected[lo : lo + 60])
    # the budget was enforced: the tables hold only the last batch's configurations (the 300 codes have ~220)
    assert len(small._raster._grid.records) <= 60
    assert len({tuple(c) for c in codes[:, 3:]}) > 150


def _agreement(a, b):
    return float(np.mean(np.abs(a.astype(np.int16) - b.astype(np.int16)) <= 1))


def test_numpy_and_torch_cpu_agree_on_continuous_values():
    for name in ("shapes3d_like", "objects3d", "light3d"):
        ref = RenderedData(name)
        values, images = ref.sample_values(12, 5, dtype=np.uint8)
        other = RenderedData(name, backend="torch", device="cpu").render_values(values, dtype=np.uint8)
        assert _agreement(images, other) >= 0.999, name


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU (scripts/device_check.sh runs it)")
def test_numpy_and_torch_cuda_agree():
    for name in ("shapes3d_like", "objects3d", "light3d"):
        ref = RenderedData(name)
        values, images = ref.sample_values(64, 7, dtype=np.uint8)
        cuda = RenderedData(name, backend="torch", device="auto")
        assert cuda._raster.xp.device.type == "cuda"
        assert _agreement(images, cuda.render_values(values, dtype=np.uint8)) >= 0.999, name
        codes = ref.sample_codes(64, 8)
        assert _agreement(ref.observations(codes, dtype=np.uint8), cuda.observations(codes, dtype=np.uint8)) >= 0.999


def test_export_then_load_equals_on_demand(shapes, tmp_path):
    split = "floor_hue == 0.0 and wall_hue == 0.5 and object_hue < 0.25 and scale == 0.75 and orientation < -20"
    sub = shapes.split(split)
    path = export_rendered(shapes, tmp_path / "s3d", split=split, chunk_size=7, progress=False)
    loaded = gtdata.load(path)
    assert len(loaded) == len(sub) == 36
    codes = loaded.factor_space.index_to_codes(np.arange(len(loaded)))
    full = shapes.factor_space.values_to_codes(loaded.factor_space.codes_to_values(codes))
    np.testing.assert_array_equal(loaded.observations(codes, dtype=np.uint8), shapes.observations(full, dtype=np.uint8))
    h5 = gtdata.load(export_rendered(shapes, tmp_path / "s3d.h5", split=split, format="hdf5", progress=False))
    pts = sub.grid_points
    np.testing.assert_array_equal(
        h5.observations(shapes.factor_space.index_to_codes(pts), dtype=np.uint8),
        shapes.observations(shapes.factor_space.index_to_codes(pts), dtype=np.uint8),
    )


def test_registry_and_sampling_api():
    data = gtdata.load("light3d")
    pairs = data.sample_pairs(4, k=1, rng=0)
    assert pairs.x1.shape == (4, 64, 64, 3)
    assert gtdata.load("objects3d").num_factors == 13
    with pytest.raises(ValueError, match="2-D specs render with the numpy rasterizer only"):
        RenderedData("dsprites_like", backend="torch")
    with pytest.raises(ValueError, match="backend must be one of numpy, torch"):
        RenderedData("light3d", backend="jax")
