"""Spec validation: every bad input names its place, the value and what is allowed."""

import numpy as np
import pytest
from PIL import Image

from gtdata.render import RenderSpec, SpecError
from gtdata.render.builtin import BUILTIN_SPECS, builtin_spec_path

FACTORS = [{"name": "size", "linspace": [0.5, 1.0, 3]}, {"name": "posX", "linspace": [0.2, 0.8, 4]}]


def obj(**props):
    base = {"shape": "circle", "scale": {"factor": "size", "scale": 0.3}, "x": {"factor": "posX"}}
    base.update(props)
    return base


def check(scene, objects, match, factors=FACTORS, **kw):
    with pytest.raises(SpecError, match=match):
        RenderSpec.from_dict(scene(objects, factors, **kw))


@pytest.mark.parametrize("name", BUILTIN_SPECS)
def test_builtin_specs_validate(name):
    spec = RenderSpec.from_yaml(builtin_spec_path(name))
    assert spec.name == name
    assert len(spec.sha256) == 64


def test_dsprites_like_has_the_dsprites_factor_grid():
    spec = RenderSpec.load("dsprites_like")
    assert spec.factor_names == ["shape", "scale", "orientation", "posX", "posY"]
    assert [f.size for f in spec.factors] == [3, 6, 40, 32, 32]
    assert spec.grid_size == 737_280
    assert spec.factors[0].values.tolist() == ["square", "ellipse", "heart"]
    np.testing.assert_allclose(spec.factors[1].values, np.linspace(0.5, 1.0, 6))
    np.testing.assert_allclose(spec.factors[2].values, np.linspace(0, 2 * np.pi, 40))
    assert spec.shape == (64, 64, 1)


def test_undeclared_factor_names_the_exact_place(scene):
    good = obj()
    bad = obj(scale={"factor": "sizee"})
    with pytest.raises(SpecError) as err:
        RenderSpec.from_dict(scene([good, bad], FACTORS))
    assert str(err.value).startswith("objects[1].scale: factor 'sizee' is not declared")
    assert "size, posX" in str(err.value)
    assert err.value.place == "objects[1].scale"


def test_unknown_shape(scene):
    check(scene, [obj(shape="hexagn")], r"objects\[0\].shape: unknown shape 'hexagn'; allowed: square, .*heart")


def test_unknown_shape_value_of_a_factor(scene):
    factors = FACTORS + [{"name": "kind", "values": ["circle", "blob"]}]
    check(
        scene,
        [obj(shape={"factor": "kind"})],
        r"objects\[0\].shape \(value 'blob' of factor 'kind'\): "
        r"unknown shape 'blob'",
        factors=factors,
    )


@pytest.mark.parametrize("scale", [0.0, -0.2])
def test_scale_must_be_positive(scene, scale):
    check(scene, [obj(scale=scale)], rf"objects\[0\].scale: value {scale!r} is out of range; allowed: 0 < scale")


def test_scale_through_mapping_must_be_positive(scene):
    check(
        scene,
        [obj(scale={"factor": "size", "range": [0.0, 0.4]})],
        r"objects\[0\].scale: value 0.0 \(at code 0 of factor 'size'\) is out of range",
    )


@pytest.mark.parametrize(
    "color, match",
    [
        (1.5, r"objects\[0\].color: colour value 1.5 is out of range; allowed: a number in \[0, 1\]"),
        ([1.0, 0.2, -0.1], r"objects\[0\].color: colour \[1.0, 0.2, -0.1\] is out of range"),
        ("reddish", r"objects\[0\].color: unknown colour 'reddish'; allowed:"),
    ],
)
def test_colours_out_of_range(scene, color, match):
    check(scene, [obj(color=color)], match, channels=3)


def test_rgb_colour_on_a_grey_canvas(scene):
    check(
        scene,
        [obj(color=[1.0, 0.0, 0.0])],
        r"objects\[0\].color: colour \[1.0, 0.0, 0.0\] is RGB but the canvas "
        r"has 1 channel",
    )


def test_colour_map_value_out_of_range(scene):
    factors = FACTORS + [{"name": "tint", "values": ["a", "b"]}]
    check(
        scene,
        [obj(color={"factor": "tint", "map": {"a": "red", "b": [2, 0, 0]}})],
        r"objects\[0\].color.map\['b'\]: colour \[2, 0, 0\] is out of range",
        factors=factors,
        channels=3,
    )


def test_position_entirely_off_canvas(scene):
    check(
        scene,
        [obj(x={"factor": "posX", "range": [0.5, 1.4]})],
        r"objects\[0\].x: value 1.1\d* \(at code 2 of factor 'posX'\) puts the object entirely off the canvas; "
        r"allowed: -0.075 to 1.075",
    )


def test_position_partly_off_canvas_is_allowed(scene):
    spec = RenderSpec.from_dict(scene([obj(x={"factor": "posX", "range": [0.0, 1.0]})], FACTORS))
    assert spec.objects[0].props["x"].table.max() == 1.0


def test_unreadable_bitmap(scene, tmp_path):
    (tmp_path / "mask.png").write_bytes(b"not a png at all")
    spec = scene([obj(shape="logo")], FACTORS, shapes={"logo": {"bitmap": "mask.png"}})
    with pytest.raises(SpecError, match=r"shapes.logo.bitmap: cannot read '.*mask.png' as an image"):
        RenderSpec.from_dict(spec, base_dir=tmp_path)
    spec["shapes"]["logo"]["bitmap"] = "missing.png"
    with pytest.raises(SpecError, match=r"shapes.logo.bitmap: cannot read '.*missing.png' as an image"):
        RenderSpec.from_dict(spec, base_dir=tmp_path)


def test_empty_bitmap(scene, tmp_path):
    Image.fromarray(np.zeros((8, 8), np.uint8)).save(tmp_path / "empty.png")
    spec = scene([obj(shape="logo")], FACTORS, shapes={"logo": {"bitmap": "empty.png"}})
    with pytest.raises(SpecError, match=r"shapes.logo.bitmap: mask .* has no foreground pixels"):
        RenderSpec.from_dict(spec, base_dir=tmp_path)


@pytest.mark.parametrize(
    "defn, match",
    [
        ({"polygon": [[0, 0], [1, 1]]}, r"shapes.s.polygon: must be a list of at least 3 \[x, y\] vertices"),
        ({"polygon": [[0, 0], [1, 1], [2, 2]]}, r"shapes.s.polygon: vertices enclose no area"),
        ({"regular": 2}, r"shapes.s.regular: number of sides must be an integer in \[3, 64\]"),
        ({"star": {"points": 5, "inner": 1.5}}, r"shapes.s.inner: must be in \(0.0, 1.0\] \(got 1.5\)"),
        ({"blob": 3}, r"shapes.s.blob: unknown shape kind 'blob'; allowed: rectangle, ellipse"),
    ],
)
def test_bad_custom_shapes(scene, defn, match):
    check(scene, [obj(shape="s")], match, shapes={"s": defn})


def test_unknown_keys_are_named(scene):
    check(scene, [obj(colour=0.5)], r"objects\[0\].colour: unknown key 'colour'; allowed: shape, scale")
    with pytest.raises(SpecError, match=r"^objetcs: unknown key 'objetcs'"):
        RenderSpec.from_dict({"objetcs": [], "factors": FACTORS})


def test_factor_declarations(scene):
    check(
        scene,
        [obj()],
        r"factors\[2\].name: factor 'size' is declared twice",
        factors=FACTORS + [{"name": "size", "values": [1, 2]}],
    )
    check(
        scene,
        [obj()],
        r"factors\[0\].continuous: must be \[low, high\] with low < high \(got \[1, 0\]\)",
        factors=[{"name": "size", "continuous": [1, 0]}, FACTORS[1]],
    )
    check(
        scene,
        [obj()],
        r"factors\[0\]: needs exactly one of values, linspace, continuous",
        factors=[{"name": "size"}, FACTORS[1]],
    )
    check(
        scene,
        [obj()],
        r"factors\[2\]: factor 'unused' is declared but no object property uses it",
        factors=FACTORS + [{"name": "unused", "values": [1, 2]}],
    )


def test_map_needs_every_value(scene):
    factors = FACTORS + [{"name": "tint", "values": ["a", "b"]}]
    check(
        scene,
        [obj(color={"factor": "tint", "map": {"a": 0.5}})],
        r"objects\[0\].color.map: has no entry for value 'b' of factor 'tint'",
        factors=factors,
    )


def test_hue_needs_rgb_canvas(scene):
    check(scene, [obj(hue=0.3)], r"objects\[0\].hue: needs an RGB canvas")


def test_canvas_and_background(scene, tmp_path):
    check(scene, [obj()], r"canvas.channels: must be 1 \(grey\) or 3 \(RGB\) \(got 2\)", channels=2)
    Image.fromarray(np.zeros((10, 12, 3), np.uint8)).save(tmp_path / "bg.png")
    spec = scene([obj()], FACTORS, background={"image": "bg.png"})
    with pytest.raises(SpecError, match=r"background.image: image 'bg.png' is 12x10 pixels; it must be at least"):
        RenderSpec.from_dict(spec, base_dir=tmp_path)
    check(
        scene,
        [obj()],
        r"background.noise.high: must be a number in \[0, 1\] \(got 3\)",
        background={"noise": {"high": 3}},
    )


def test_spec_hash_tracks_content(scene):
    a = RenderSpec.from_dict(scene([obj()], FACTORS))
    b = RenderSpec.from_dict(scene([obj()], FACTORS))
    c = RenderSpec.from_dict(scene([obj(color=0.5)], FACTORS))
    assert a.sha256 == b.sha256 != c.sha256


def test_yaml_file_errors(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("objects: [\n")
    with pytest.raises(SpecError, match="is not valid YAML"):
        RenderSpec.from_yaml(bad)
    with pytest.raises(SpecError, match="neither a spec file nor a built-in spec; built-in specs: dsprites_like"):
        RenderSpec.load("dsprites_lik")


def test_spec_round_trips_through_yaml():
    import yaml

    spec = RenderSpec.load("textured_sprites")
    again = RenderSpec.from_dict(yaml.safe_load(spec.to_yaml()))
    assert again.sha256 == spec.sha256 and again.factor_names == spec.factor_names
