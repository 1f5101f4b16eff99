"""Bad 3-D specs: clear errors naming the spec path, raised before anything is rendered."""

import copy

import pytest

from gtdata.render import RenderedData, RenderSpec, SpecError
from gtdata.render.scene3d import Scene3DSpec

BASE = {
    "kind": "scene3d",
    "name": "bad",
    "canvas": {"height": 16, "width": 16},
    "factors": [{"name": "size", "continuous": [0.5, 1.0], "num": 3}],
    "camera": {"azimuth": 30, "elevation": 20, "distance": 5, "fov": 40},
    "lights": [{"type": "point", "x": 1, "y": 3, "z": 1, "intensity": 1.0}],
    "room": {"size": 6, "walls": ["north", "west"]},
    "objects": [{"shape": "cube", "scale": {"factor": "size"}}],
}


def bad(place, match, **changes):
    spec = copy.deepcopy(BASE)
    for path, value in changes.items():
        node = spec
        keys = path.split("__")
        for k in keys[:-1]:
            node = node[int(k)] if k.isdigit() else node[k]
        node[keys[-1]] = value
    with pytest.raises(SpecError, match=match) as info:
        RenderSpec.from_dict(spec)
    assert info.value.place == place
    assert str(info.value).startswith(f"{place}: ")


def test_the_base_spec_is_valid():
    assert isinstance(RenderSpec.from_dict(BASE), Scene3DSpec)


def test_unknown_primitive_suggests_the_closest():
    bad(
        "objects[0].shape",
        r"unknown primitive 'spere' \(did you mean 'sphere'\?\); allowed: cube, cylinder",
        objects__0__shape="spere",
    )


def test_a_parameter_bound_twice(tmp_path):
    path = tmp_path / "twice.yaml"
    path.write_text(
        "kind: scene3d\nfactors: [{name: s, continuous: [0.5, 1], num: 2}]\n"
        "objects:\n  - shape: cube\n    scale: {factor: s}\n    scale: 0.7\n"
    )
    with pytest.raises(SpecError, match=r"^objects\[0\]\.scale: is given twice \(line 6"):
        RenderedData(path)
    bad("objects[0].hue", "the colour is given twice", objects__0__color="red", **{"objects__0__hue": 0.3})


def test_object_outside_the_room_or_below_the_floor():
    bad("objects[0].x", r"the object is outside the room: x = 2\.8 .* allowed: \|x\| \+ radius <= 3", objects__0__x=2.8)
    bad("objects[0].y", "reaches below the floor", objects__0__y=0.1)


def test_light_inside_an_object():
    bad(
        "lights[0]",
        r"the point light at \[0\.0, 0\.3, 0\.0\] is inside objects\[0\]",
        lights__0__x=0.0,
        lights__0__y=0.3,
        lights__0__z=0.0,
    )


def test_camera_inside_the_geometry():
    bad(
        "camera",
        r"the camera at .* is inside objects\[0\] \(at factor values \{'size': 0\.75\}\)",
        camera__distance=0.3,
        camera__elevation=5,
    )
    bad("camera", "the camera is behind the north wall", camera__azimuth=180, camera__distance=8)
    bad("camera", r"below the floor", camera__elevation=-30)


def test_degenerate_sizes_and_negative_intensities():
    bad("objects[0].scale", "value 0.0 is out of range; allowed: a size > 0", objects__0__scale=0.0)
    bad("room.size", "must be a number > 0", room__size=0)
    bad("camera.fov", "allowed: 0 < fov < 180", camera__fov=180)
    bad("camera.distance", "allowed: a distance > 0", camera__distance=0)
    bad("lights[0].intensity", "value -1.0 is out of range; allowed: an intensity >= 0", lights__0__intensity=-1.0)
    bad("objects[0].shininess", "allowed: an exponent > 0", objects__0__shininess=0)


def test_other_mistakes_name_their_place():
    bad("lights[0].type", "unknown light type 'spot'", lights__0__type="spot")
    bad("room.walls", "must be a list of distinct walls", room__walls=["north", "north"])
    bad("render.samples", "must be one of 1, 4, 9, 16", render={"samples": 3})
    bad("canvas.channels", "3-D scenes are RGB", canvas={"channels": 1})
    bad("objects[0].scale", "factor 'sz' is not declared", objects__0__scale={"factor": "sz"})
    bad("kind", "unknown spec kind 'scene4d'", kind="scene4d")
