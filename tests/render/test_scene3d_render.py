"""3-D scenes: geometry against the pinhole model, shading laws, shadows (independent float64 maths)."""

import math

import numpy as np
import pytest

from gtdata.render import RenderedData

F = 32 / math.tan(math.radians(20))  # focal length in pixels: 64-pixel canvas, 40 degree vertical fov


def scene(objects, lights=(), ambient=1.0, room=None, camera=None, factors=None, samples=4, size=64):
    cam = {"azimuth": 0, "elevation": 0, "distance": 6, "fov": 40, "look_at": [0, 0, 0]}
    cam.update(camera or {})
    objs = [dict(o) for o in objects]
    if factors is None:
        factors = [{"name": "dummy", "values": [0.0, 1.0]}]
        objs[0]["roll"] = {"factor": "dummy", "scale": 0.0}
    return {
        "kind": "scene3d",
        "name": "t3d",
        "canvas": {"height": size, "width": size},
        "background": 0.0,
        "factors": factors,
        "camera": cam,
        "lights": list(lights),
        "ambient": ambient,
        "room": room,
        "objects": objs,
        "render": {"samples": samples, "gamma": "linear"},
    }


def render(spec, **kw):
    data = RenderedData(spec, **kw)
    return data.observations(np.zeros((1, data.num_factors), dtype=np.int64), dtype=np.uint8)[0].astype(float) / 255


def test_sphere_silhouette_area_matches_the_analytic_projection():
    img = render(scene([{"shape": "sphere", "y": 0, "scale": 2.0, "color": 1.0}]))
    rho = F * math.tan(math.asin(1.0 / 6))  # image radius of a sphere of radius 1 at distance 6
    area = img[..., 0].sum()
    assert area == pytest.approx(math.pi * rho**2, rel=0.01)


def test_cube_face_on_is_a_square_of_the_expected_size():
    img = render(scene([{"shape": "cube", "y": 0, "scale": 2.0, "color": 1.0}]))[..., 0]
    side = F * 2.0 / 5.0  # front face (side 2) at distance 6 - 1
    assert img.sum() == pytest.approx(side**2, rel=0.01)
    rows = img.sum(axis=1)
    cols = img.sum(axis=0)
    assert rows.sum() == pytest.approx(cols.sum())
    full = img > 0.99
    assert full.any(axis=1).sum() == full.any(axis=0).sum()  # as tall as wide
    assert abs(full.any(axis=1).sum() - side) <= 2


def test_scale_position_and_orientation_move_pixels_as_the_camera_says():
    base = scene([{"shape": "sphere", "y": 0, "scale": 1.0, "color": 1.0}])
    area1 = render(base)[..., 0].sum()
    base["objects"][0]["scale"] = 2.0
    area2 = render(base)[..., 0].sum()
    rho1, rho2 = (F * math.tan(math.asin(r / 6)) for r in (0.5, 1.0))
    assert area2 / area1 == pytest.approx(rho2**2 / rho1**2, rel=0.02)
    base["objects"][0].update(scale=1.0, x=1.0)
    img = render(base)[..., 0]
    cx = (img.sum(axis=0) * (np.arange(64) + 0.5)).sum() / img.sum()
    assert cx - 32 == pytest.approx(F * 1.0 / 6.0, abs=0.4)  # centre projects 1/6 * f to the right
    cube = scene([{"shape": "cube", "y": 0, "scale": 2.0, "color": 1.0, "yaw": 90}])
    turned = render(cube)
    cube["objects"][0]["yaw"] = 0
    np.testing.assert_allclose(turned, render(cube), atol=1.5 / 255)  # a quarter turn maps a cube onto itself
    cube["objects"][0]["yaw"] = 45
    assert render(cube)[..., 0].sum() > turned[..., 0].sum() * 1.1  # an edge-on cube looks wider


def _sphere_normals(az, el, dist=6.0, radius=1.0):
    """float64 ray casting through pixel centres: unit normals and hit mask, and 3x3-interior mask."""
    ys, xs = np.mgrid[0:64, 0:64] + 0.5
    d = np.stack([(xs - 32) / F, (32 - ys) / F, -np.ones_like(xs)], -1)
    d /= np.linalg.norm(d, axis=-1, keepdims=True)
    o = np.array([0, 0, dist])
    b = d @ o
    disc = b**2 - (o @ o - radius**2)
    hit = disc > 0
    t = -b - np.sqrt(np.maximum(disc, 0))
    n = (o + t[..., None] * d) / radius
    inner = hit.copy()
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            inner &= np.roll(np.roll(hit, dy, 0), dx, 1)
    a, e = math.radians(az), math.radians(el)
    light = np.array([math.sin(a) * math.cos(e), math.sin(e), math.cos(a) * math.cos(e)])
    return n @ light, inner


def test_lambert_law_at_known_normals():
    light = {"type": "directional", "azimuth": 30, "elevation": 20, "intensity": 1.0}
    img = render(
        scene(
            [{"shape": "sphere", "y": 0, "scale": 2.0, "color": 1.0, "specular": 0}],
            lights=[light],
            ambient=0.0,
            samples=1,
        )
    )[..., 0]  # centre samples only
    ndl, inner = _sphere_normals(30, 20)
    expected = np.maximum(ndl, 0)
    assert inner.sum() > 400
    np.testing.assert_allclose(img[inner], expected[inner], atol=1.01 / 255)


def test_surface_facing_away_from_the_light_is_at_ambient_level():
    light = {"type": "directional", "azimuth": 180, "elevation": 10, "intensity": 1.0}
    img = render(scene([{"shape": "sphere", "y": 0, "scale": 2.0, "color": 1.0}], lights=[light], ambient=0.25))[..., 0]
    ndl, inner = _sphere_normals(180, 10)
    away = inner & (ndl < 0)
    assert away.sum() > 300
    np.testing.assert_allclose(img[away], 0.25, atol=0.6 / 255)


def _project(point, az, el, dist, look_at):
    a, e = math.radians(az), math.radians(el)
    back = np.array([math.sin(a) * math.cos(e), math.sin(e), math.cos(a) * math.cos(e)])
    cam = np.asarray(look_at) + dist * back
    fwd = -back
    right = np.array([-fwd[2], 0, fwd[0]]) / math.hypot(fwd[0], fwd[2])
    up = np.cross(right, fwd)
    rel = np.asarray(point) - cam
    z = rel @ fwd
    return int(32 - F * (rel @ up) / z), int(32 + F * (rel @ right) / z)  # row, column


def test_shadows_appear_where_the_shadow_ray_is_blocked_and_vanish_when_the_occluder_moves():
    cam = {"azimuth": 0, "elevation": 50, "distance": 7, "fov": 40, "look_at": [0, 0, 0]}
    light = {"type": "directional", "azimuth": 0, "elevation": 90, "intensity": 0.6}
    room = {"size": 8, "walls": [], "floor": {"color": 1.0}}
    spec = scene(
        [{"shape": "sphere", "y": 2.0, "x": 0.0, "scale": 1.0, "color": 1.0}],
        lights=[light],
        ambient=0.3,
        room=room,
        camera=cam,
    )
    under = _project([0, 0, 0], 0, 50, 7, [0, 0, 0])  # straight below the sphere: shadowed
    beside = _project([0, 0, 1.2], 0, 50, 7, [0, 0, 0])  # farther than the radius (0.5): lit
    img = render(spec)[..., 0]
    assert img[under] == pytest.approx(0.3, abs=1 / 255)
    assert img[beside] == pytest.approx(0.9, abs=1 / 255)
    spec["objects"][0]["x"] = 3.0  # move the occluder away: the shadow goes with it
    img = render(spec)[..., 0]
    assert img[under] == pytest.approx(0.9, abs=1 / 255)


def test_point_light_and_every_primitive_render():
    light = {"type": "point", "x": 2, "y": 3, "z": 3, "intensity": 1.0}
    for shape in ("cube", "cylinder", "sphere", "capsule", "cone", "torus"):
        img = render(
            scene([{"shape": shape, "y": 0, "scale": 2.0, "color": 1.0, "pitch": 30}], lights=[light], ambient=0.1)
        )[..., 0]
        assert 150 < (img > 0).sum() < 2500, shape  # a visible, bounded object
        assert img.max() > 0.5, shape  # lit from the front


def test_rays_parallel_to_a_wall_never_meet_it_and_are_not_divided_by_zero():
    """light3d's shadow rays run along the west wall when the light's azimuth is 0: no inf or nan."""
    from gtdata.render.scene3d.backends import make_ops
    from gtdata.render.scene3d.trace import _plane_t

    static = {"half": 3.0, "wall_height": 2.0}
    o = tuple(np.full((1, 3), v, dtype=np.float32) for v in (0.5, 1.0, 0.0))
    # towards the west wall x = -3, along it (parallel), and away from it
    d = (
        np.array([[-1.0, 0.0, 1.0]], dtype=np.float32),
        np.zeros((1, 3), dtype=np.float32),
        np.array([[0.0, 1.0, 0.0]], dtype=np.float32),
    )
    with np.errstate(all="raise"):  # a division by zero or inf * 0 raises FloatingPointError
        t, ok = _plane_t(make_ops("numpy"), o, d, 0, -3.0, static, 1e-4)
    assert np.all(np.isfinite(t))
    assert ok.tolist() == [[True, False, False]]
    assert t[0, 0] == pytest.approx(3.5)
    light = RenderedData("light3d", threads=1)
    with np.errstate(all="raise"):
        images = light.render_values(
            {
                "light_azimuth": np.array([0.0, 90.0, 180.0, 270.0]),
                "light_elevation": np.array([20.0, 45.0, 75.0, 30.0]),
            },
            dtype=np.uint8,
        )
    assert images.shape == (4, 64, 64, 3)
