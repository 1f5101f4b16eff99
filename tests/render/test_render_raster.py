"""Rasterizer: analytic areas, rotation/translation consistency, determinism, backgrounds, textures."""

import math

import numpy as np
import pytest
from PIL import Image

from gtdata.render import RenderedData

SIZE = 96


def single(scene, shape, shapes=None, **props):
    """One white object on black whose x and rotation are continuous factors (rendered via render_values)."""
    objects = [dict({"shape": shape, "x": {"factor": "x"}, "y": 0.5, "rotation": {"factor": "rot"}}, **props)]
    factors = [
        {"name": "x", "continuous": [0.3, 0.7], "num": 5},
        {"name": "rot", "continuous": [0.0, 2 * math.pi], "num": 9},
    ]
    return RenderedData(scene(objects, factors, size=SIZE, shapes=shapes))


def draw(data, x=0.5, rot=0.0):
    x, rot = np.atleast_1d(x), np.atleast_1d(rot)
    n = max(x.size, rot.size)
    return data.render_values({"x": np.broadcast_to(x, n), "rot": np.broadcast_to(rot, n)})[..., 0]


@pytest.mark.parametrize("radius", [4.0, 8.5, 15.0, 30.0])
def test_circle_covers_pi_r_squared(scene, radius):
    data = single(scene, "circle", scale=2 * radius / SIZE)
    offsets = np.array([0.0, 0.13, 0.5, 0.77]) / SIZE  # sub-pixel centres
    areas = draw(data, x=0.5 + offsets).sum(axis=(1, 2))
    np.testing.assert_allclose(areas, math.pi * radius**2, rtol=0.01)


def _polygon_area(v):
    v = np.asarray(v)
    return 0.5 * abs(np.dot(v[:, 0], np.roll(v[:, 1], -1)) - np.dot(v[:, 1], np.roll(v[:, 0], -1)))


def _star_vertices(points=5, inner=0.45):
    ang = -math.pi / 2 + math.pi * np.arange(2 * points) / points
    rad = np.where(np.arange(2 * points) % 2 == 0, 0.5, 0.5 * inner)
    return np.stack([rad * np.cos(ang), rad * np.sin(ang)], axis=1)


D = 1 / (1 + math.sqrt(2))
UNIT_AREAS = {  # area of each built-in shape at size 1
    "square": 1.0,
    "rectangle": 0.5,
    "ellipse": math.pi * 0.5 * 0.25,
    "triangle": math.sqrt(3) / 4,
    "hexagon": 1.5 * math.sqrt(3) * 0.25,
    "star": _polygon_area(_star_vertices()),
    "capsule": 0.5 * 0.5 + math.pi * 0.25**2,
    "heart": 2 * D * D * (1 + math.pi / 4),
}


@pytest.mark.parametrize("shape", sorted(UNIT_AREAS))
def test_shape_areas_match_geometry_at_every_rotation(scene, shape):
    size = 40.0
    data = single(scene, shape, scale=size / SIZE)
    areas = draw(data, rot=np.linspace(0, 2 * math.pi, 7)).sum(axis=(1, 2))
    np.testing.assert_allclose(areas, UNIT_AREAS[shape] * size**2, rtol=0.01)


def test_custom_polygon_and_bitmap_areas(scene, tmp_path):
    tri = [[0.0, -0.5], [0.5, 0.5], [-0.5, 0.5]]
    data = single(scene, "tri", shapes={"tri": {"polygon": tri}}, scale=40 / SIZE)
    assert draw(data).sum() == pytest.approx(_polygon_area(tri) * 1600, rel=0.01)
    yy, xx = np.mgrid[0:128, 0:128] + 0.5
    Image.fromarray(((xx - 64) ** 2 + (yy - 64) ** 2 <= 40**2).astype(np.uint8) * 255).save(tmp_path / "disc.png")
    spec = data.spec.raw | {"shapes": {"disc": {"bitmap": str(tmp_path / "disc.png")}}}
    spec["objects"][0]["shape"] = "disc"
    spec["objects"][0]["scale"] = 64 / SIZE  # 128 bitmap pixels -> 64 image pixels: disc radius 20 px
    bitmap = RenderedData(spec)
    assert draw(bitmap).sum() == pytest.approx(math.pi * 400, rel=0.02)


def test_rotation_by_a_quarter_turn_rotates_the_image(scene):
    data = single(scene, "triangle", scale=30 / SIZE)
    up, left = draw(data, rot=[0.0, math.pi / 2])
    np.testing.assert_allclose(left, np.rot90(up), atol=1.5 / 255)
    # counter-clockwise on screen: the tip that pointed up now points left
    cols = np.flatnonzero(left.sum(axis=0) > 0)
    mass = left.sum(axis=0)
    assert mass[cols[0] : cols[0] + 3].sum() < mass[cols[-1] - 2 : cols[-1] + 1].sum()


def test_integer_translation_shifts_pixels_exactly():
    data = RenderedData("dsprites_like")
    codes = np.array([[2, 5, 7, 10, 12], [2, 5, 7, 13, 12], [2, 5, 7, 10, 16]])
    a, b, c = data.observations(codes, dtype=np.uint8)[..., 0]
    np.testing.assert_array_equal(b[:, 3:], a[:, :-3])
    np.testing.assert_array_equal(c[4:, :], a[:-4, :])


def test_subpixel_translation_moves_the_centroid(scene):
    data = single(scene, "heart", scale=30 / SIZE)
    xs = 0.5 + np.array([0.0, 0.25, 0.5, 1.75]) / SIZE
    imgs = draw(data, x=xs)
    cols = np.arange(SIZE) + 0.5
    centroids = (imgs.sum(axis=1) * cols).sum(axis=1) / imgs.sum(axis=(1, 2))
    np.testing.assert_allclose(centroids - centroids[0], [0.0, 0.25, 0.5, 1.75], atol=0.02)


def test_determinism_across_batches_threads_and_paths():
    for name in ("dsprites_like", "multi_sprites", "textured_sprites"):
        one = RenderedData(name, threads=1)
        two = RenderedData(name, threads=2)
        codes = one.sample_codes(1100, 7)  # spans two render chunks
        a = one.observations(codes, dtype=np.uint8)
        np.testing.assert_array_equal(a, two.observations(codes, dtype=np.uint8))
        np.testing.assert_array_equal(a[1034:1035], RenderedData(name).observations(codes[1034:1035], dtype=np.uint8))
        np.testing.assert_array_equal(a, one.observations(codes, dtype=np.uint8))


def test_sprite_atlas_equals_direct_rendering():
    data = RenderedData("dsprites_like")
    codes = data.sample_codes(400, 3)
    values = data.factor_space.codes_to_values(codes)
    np.testing.assert_array_equal(data.observations(codes, dtype=np.uint8), data.render_values(values, dtype=np.uint8))


def test_hearts_and_squares_look_different_and_are_antialiased():
    data = RenderedData("dsprites_like")
    imgs = data.observations([[0, 5, 0, 16, 16], [2, 5, 0, 16, 16]], dtype=np.uint8)[..., 0]
    square, heart = imgs
    assert ((square > 0) & (square < 255)).sum() > 10  # grey edge pixels: anti-aliased
    assert np.abs(square.astype(int) - heart).sum() > 255 * 20
    # dSprites-like size: the square at scale 1 is 19.2 px wide
    assert square.sum() / 255 == pytest.approx(19.2**2, rel=0.01)
    # the heart's lobes are on top: more mass in the upper half of its rows
    rows = np.flatnonzero(heart.sum(axis=1))
    mid = (rows[0] + rows[-1]) // 2
    assert heart[:mid].sum() > heart[mid + 1 :].sum()


def test_render_values_accepts_any_value_in_a_continuous_range():
    data = RenderedData("multi_sprites")
    codes = data.sample_codes(1, 0)
    values = data.factor_space.codes_to_values(codes)
    values["x_a"] = np.array([0.4321])
    values["hue_a"] = np.array([0.123])
    img = data.render_values(values)
    assert img.shape == (1, 64, 64, 3) and img.dtype == np.float32
    with pytest.raises(ValueError, match=r"values\['x_a'\]: 0.9 is outside the factor's range \[0.15, 0.85\]"):
        data.render_values(dict(values, x_a=np.array([0.9])))
    with pytest.raises(ValueError, match="factor 'shape_a' has no value 'blob'"):
        data.render_values(dict(values, shape_a=np.array(["blob"])))
    with pytest.raises(ValueError, match=r"missing \['hue_c'\]"):
        data.render_values({k: v for k, v in values.items() if k != "hue_c"})


def test_continuous_position_is_exact(scene):
    data = single(scene, "circle", scale=20 / SIZE)
    img = draw(data, x=0.4321)[0]
    cols = np.arange(SIZE) + 0.5
    assert (img.sum(axis=0) * cols).sum() / img.sum() == pytest.approx(0.4321 * SIZE, abs=0.02)


def test_noise_background_is_seeded(scene):
    spec = scene(
        [{"shape": "square", "x": {"factor": "x"}, "scale": 0.3}],
        [{"name": "x", "values": [0.3, 0.7]}],
        background={"noise": {"low": 0.0, "high": 0.5}},
    )
    data = RenderedData(spec)
    a = data.observations([[0], [1]], rng=5, dtype=np.uint8)
    np.testing.assert_array_equal(a, data.observations([[0], [1]], rng=5, dtype=np.uint8))
    assert not np.array_equal(a, data.observations([[0], [1]], rng=6, dtype=np.uint8))
    legacy = data.observations([[0]], rng=np.random.RandomState(0))
    assert legacy.max() == 1.0 and 0.0 <= legacy.min() and legacy[0, 0, 0, 0] <= 0.5 + 1 / 255


def test_image_background_is_a_patch_of_the_image(scene, tmp_path):
    rng = np.random.default_rng(0)
    photo = rng.integers(0, 256, (40, 50, 3), dtype=np.uint8)
    Image.fromarray(photo).save(tmp_path / "photo.png")
    spec = scene(
        [{"shape": "circle", "x": {"factor": "x"}, "scale": 0.2, "color": "red"}],
        [{"name": "x", "values": [0.3, 0.7]}],
        channels=3,
        size=16,
        background={"image": "photo.png"},
    )
    (tmp_path / "spec.yaml").write_text(__import__("yaml").safe_dump(spec))
    data = RenderedData(tmp_path / "spec.yaml")
    img = data.observations([[0]], rng=1, dtype=np.uint8)[0]
    corner = img[:3, -3:]
    hits = [
        (y, x)
        for y in range(40 - 15)
        for x in range(50 - 15)
        if np.array_equal(photo[y : y + 3, x + 13 : x + 16], corner)
    ]
    assert hits


def test_gradient_background(scene):
    spec = scene(
        [{"shape": "circle", "x": {"factor": "x"}, "scale": 0.1}],
        [{"name": "x", "values": [0.3, 0.7]}],
        channels=3,
        background={"gradient": {"from": "black", "to": "blue", "angle": 0}},
    )
    img = RenderedData(spec).observations([[0]])[0]
    assert img[0, 0].sum() < 0.05 and img[0, -1, 2] > 0.95 and img[-1, -1, 2] > 0.95


def test_z_order_bound_to_a_factor(scene):
    objects = [
        {"shape": "square", "scale": 0.4, "color": "red", "z": {"factor": "front", "map": [0.0, 1.0]}},
        {"shape": "circle", "scale": 0.4, "color": "blue", "z": 0.5},
    ]
    data = RenderedData(scene(objects, [{"name": "front", "values": ["blue", "red"]}], channels=3))
    back, front = data.observations([[0], [1]])
    np.testing.assert_allclose(back[32, 32], [0.0, 0.3, 1.0], atol=1 / 255)
    np.testing.assert_allclose(front[32, 32], [1.0, 0.0, 0.0], atol=1 / 255)


def test_textures_modulate_the_colour(scene):
    objects = [{"shape": "square", "scale": 0.5, "color": "white", "texture": {"factor": "tex"}}]
    data = RenderedData(scene(objects, [{"name": "tex", "values": ["solid", "stripes", "checker", "dots"]}]))
    imgs = data.observations([[0], [1], [2], [3]])[:, 24:40, 24:40, 0]
    assert np.all(imgs[0] == 1.0)
    for textured in imgs[1:]:
        assert textured.min() >= 0.3 and textured.max() - textured.min() > 0.3
    assert len({img.tobytes() for img in imgs}) == 4


def test_a_full_sprite_atlas_still_renders_the_same_bytes():
    from gtdata.render.raster import Rasterizer

    data = RenderedData("dsprites_like")
    small = Rasterizer(data.spec, atlas_bytes=50 * 31 * 31)  # room for 50 sprites
    for seed in (0, 1):
        codes = data.sample_codes(500, seed)
        np.testing.assert_array_equal(small.render_codes(codes), data.observations(codes, dtype=np.uint8))
    assert small._atlas.count <= 50


def test_sample_values_draws_continuous_factors_off_the_grid():
    data = RenderedData("multi_sprites")
    values, images = data.sample_values(64, rng=3)
    assert images.shape == (64, 64, 64, 3)
    grid = data.factor_space["x_a"].values
    assert np.all((values["x_a"] >= 0.15) & (values["x_a"] <= 0.85))
    assert not np.isin(values["x_a"], grid).any()
    assert set(values["shape_a"].tolist()) <= {"circle", "square", "triangle"}
    np.testing.assert_array_equal(images, data.render_values(values))
    again, images2 = data.sample_values(64, rng=3)
    np.testing.assert_array_equal(images, images2)
