"""The ``kind: scene3d`` render spec: a 3-D scene (camera, lights, room, objects) with factor bindings.

Same factor dialect and ``{factor: NAME, range | scale/offset | map}`` bindings as the 2-D spec
(:mod:`gtdata.render.spec`); every problem is a :class:`~gtdata.render.spec.SpecError` naming its place
(``objects[0].scale: ...``), raised before anything is rendered. World units: y is up, the floor is the
plane y = 0; angles are in degrees. Keys (defaults in brackets)::

    kind: scene3d
    name, description
    canvas: {height: [64], width: [64], channels: [3]}          # RGB only
    background: COLOUR                                           # the sky seen above the walls [0.7 0.85 1]
    factors: [...]                                               # as in 2-D specs
    camera: {azimuth [0], elevation [20], distance [6], fov [40], look_at [[0, 0.5, 0]]}
    lights: [{type: directional, azimuth, elevation, color, intensity},
             {type: point, x, y, z, color, intensity}]           # [one directional light, az 30, el 50]
    ambient: [0.3]                                               # ambient light level (times each albedo)
    room: {size [8], wall_height [3], walls [[north, west]], floor: MATERIAL, wall: MATERIAL}   # or null
    objects: [{shape, x [0], y [resting on the floor], z [0], scale [1], yaw [0], pitch [0], roll [0],
               MATERIAL keys}]
    render: {samples [4], gamma [srgb]}

A MATERIAL is ``color`` or ``hue`` (+ ``saturation`` [1], ``value`` [1]), ``diffuse`` [1], ``specular``
([0.3] on objects, [0] on the room) and ``shininess`` [32]. Walls: ``north`` is the plane z = -size/2,
``south`` z = +size/2, ``west`` x = -size/2, ``east`` x = +size/2, each ``wall_height`` tall and as wide as
the floor (a size x size square centred at the origin). Shapes: :data:`PRIMITIVES` (sizes in
:data:`~gtdata.render.scene3d.primitives.DIMENSIONS`, times ``scale``). ``render.samples``: 1, 4, 9 or 16
samples per pixel on edge pixels (see :mod:`gtdata.render.scene3d.trace`); ``gamma``: ``srgb`` (IEC 61966-2-1
encoding of the linear shading), ``linear`` (none) or a number g (value^(1/g)).
"""

from __future__ import annotations

import copy
import hashlib
import itertools
import json
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from gtdata.core.factors import Factor
from gtdata.render.scene3d.camera import camera_frames, unit_from_angles
from gtdata.render.scene3d.primitives import BOUNDING_RADIUS, PRIMITIVES, REST_HEIGHT, inside
from gtdata.render.scene3d.transform import rotation_matrices, to_local
from gtdata.render.spec import (
    Background,
    Binding,
    SpecBase,
    SpecError,
    _binding,
    _check_range,
    _color,
    _is_number,
    _keys,
    _parse_factors,
)

__all__ = ["KIND", "WALLS", "Light3D", "Material", "Object3D", "Room3D", "Scene3DSpec", "load_scene3d_yaml"]

KIND = "scene3d"
WALLS = ("north", "south", "west", "east")
LIGHT_TYPES = ("directional", "point")
GAMMAS = ("srgb", "linear")
SAMPLES = (1, 4, 9, 16)
COLOUR_PROPS = ("color", "hue", "saturation", "value")
_TOP_KEYS = (
    "kind",
    "name",
    "description",
    "canvas",
    "background",
    "factors",
    "camera",
    "lights",
    "ambient",
    "room",
    "objects",
    "render",
)
_MAX_SIDE = 4096
_CHECK_POINTS = 200_000  # grid combinations checked exactly by the geometry validation (sampled beyond)


@dataclass
class Material:
    """Surface colour (``color`` or ``hue``/``saturation``/``value`` Bindings) and reflectance Bindings."""

    props: dict[str, Binding]
    uses_hue: bool


@dataclass
class Object3D:
    """An object: Bindings for shape (primitive index), x, y (None: resting on the floor), z, scale,
    yaw, pitch, roll, and its Material."""

    index: int
    props: dict[str, Binding | None]
    material: Material


@dataclass
class Light3D:
    """A light: ``type`` directional (azimuth/elevation towards the light) or point (x, y, z)."""

    index: int
    type: str
    props: dict[str, Binding]


@dataclass
class Room3D:
    """Floor (size x size at y = 0) and walls (``walls``), each with a Material."""

    size: float
    wall_height: float
    walls: tuple[str, ...]
    floor: Material
    wall: Material


@dataclass
class Scene3DSpec(SpecBase):
    """A validated 3-D scene spec (``kind: scene3d``). Build with :meth:`from_dict` or :meth:`from_yaml`."""

    raw: dict
    base_dir: Path | None
    name: str
    description: str
    height: int
    width: int
    channels: int
    background: Background
    factors: list[Factor]
    camera: dict[str, Binding]
    look_at: np.ndarray
    lights: list[Light3D]
    ambient: float
    room: Room3D | None
    objects: list[Object3D]
    samples: int
    gamma: str | float
    sha256: str = field(default="")
    kind: str = KIND

    def to_yaml(self) -> str:
        import yaml

        return yaml.safe_dump(self.raw, sort_keys=False)

    def bindings(self) -> Iterator[tuple[str, Binding]]:
        """Every ``(place, Binding)`` of the scene (camera, lights, room materials, objects)."""
        for key, b in self.camera.items():
            yield f"camera.{key}", b
        for light in self.lights:
            for key, b in light.props.items():
                yield f"lights[{light.index}].{key}", b
        if self.room is not None:
            for surface, mat in (("floor", self.room.floor), ("wall", self.room.wall)):
                for key, b in mat.props.items():
                    yield f"room.{surface}.{key}", b
        for obj in self.objects:
            for key, b in obj.props.items():
                if b is not None:
                    yield f"objects[{obj.index}].{key}", b
            for key, b in obj.material.props.items():
                yield f"objects[{obj.index}].{key}", b

    @property
    def colour_factors(self) -> set[str]:
        """Factors bound only to surface colours: they recolour cached geometry instead of re-tracing it."""
        colour, other = set(), set()
        for place, b in self.bindings():
            if b.factor is not None:
                (colour if place.rsplit(".", 1)[1] in COLOUR_PROPS else other).add(b.factor)
        return colour - other

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_yaml(cls, path: str | Path) -> Scene3DSpec:
        path = Path(path).expanduser()
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise SpecError(str(path), f"cannot read the spec file ({exc.strerror or exc})") from None
        return cls.from_dict(load_scene3d_yaml(text, str(path)), base_dir=path.resolve().parent)

    @classmethod
    def from_dict(cls, raw: object, base_dir: str | Path | None = None) -> Scene3DSpec:
        """Validate ``raw`` (a dict with ``kind: scene3d``) and compile it."""
        if not isinstance(raw, dict):
            raise SpecError("spec", f"must be a mapping with keys {', '.join(_TOP_KEYS)} (got {type(raw).__name__})")
        raw = copy.deepcopy(raw)
        _keys("", raw, _TOP_KEYS)
        if raw.get("kind") != KIND:
            raise SpecError("kind", f"must be {KIND!r} for a 3-D scene (got {raw.get('kind')!r})")
        name = raw.get("name", "rendered3d")
        if not isinstance(name, str) or not name:
            raise SpecError("name", f"must be a non-empty string (got {name!r})")
        description = raw.get("description", "")
        if not isinstance(description, str):
            raise SpecError("description", f"must be a string (got {description!r})")
        height, width = _parse_canvas(raw.get("canvas", {}))
        sky = _color("background", raw.get("background", [0.7, 0.85, 1.0]), 3)
        factors = _parse_factors(raw.get("factors"))
        ctx = _Context3D(factors)
        camera, look_at = _parse_camera(raw.get("camera", {}), ctx)
        lights = _parse_lights(raw.get("lights", [{"type": "directional", "azimuth": 30, "elevation": 50}]), ctx)
        ambient = raw.get("ambient", 0.3)
        if not _is_number(ambient) or not 0 <= ambient <= 10:
            raise SpecError("ambient", f"must be a number in [0, 10] (got {ambient!r}); 0 = no ambient light")
        room = _parse_room(raw["room"], ctx) if raw.get("room", None) is not None else None
        if "room" not in raw:
            room = _parse_room({}, ctx)
        objects_raw = raw.get("objects")
        if not isinstance(objects_raw, list) or not objects_raw:
            raise SpecError("objects", f"must be a non-empty list of objects (got {objects_raw!r})")
        objects = [_parse_object(f"objects[{i}]", o, i, ctx) for i, o in enumerate(objects_raw)]
        samples, gamma = _parse_render(raw.get("render", {}))
        spec = cls(
            raw=raw,
            base_dir=Path(base_dir) if base_dir is not None else None,
            name=name,
            description=description,
            height=height,
            width=width,
            channels=3,
            background=Background("color", color=sky),
            factors=factors,
            camera=camera,
            look_at=look_at,
            lights=lights,
            ambient=float(ambient),
            room=room,
            objects=objects,
            samples=samples,
            gamma=gamma,
        )
        used = {b.factor for _p, b in spec.bindings() if b.factor is not None}
        for i, f in enumerate(factors):
            if f.name not in used:
                raise SpecError(
                    f"factors[{i}]",
                    f"factor {f.name!r} is declared but nothing in the scene uses it "
                    "(every factor must change the image)",
                )
        _check_geometry(spec)
        spec.sha256 = hashlib.sha256(json.dumps({"spec": raw}, sort_keys=True, default=str).encode()).hexdigest()
        return spec


# ---------------------------------------------------------------------------------------------- YAML
def load_scene3d_yaml(text: str, source: str) -> object:
    """Parse YAML, rejecting a key given twice in one mapping (YAML would silently keep the last one)."""
    import yaml

    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        raise SpecError(source, f"is not valid YAML ({exc})") from None

    def walk(n, place: str) -> None:
        if isinstance(n, yaml.MappingNode):
            seen = set()
            for key_node, value_node in n.value:
                key = key_node.value
                where = f"{place}.{key}" if place else str(key)
                if key in seen:
                    raise SpecError(
                        where,
                        f"is given twice (line {key_node.start_mark.line + 1} of {source}); "
                        "a parameter takes one constant or one {factor: ...} binding",
                    )
                seen.add(key)
                walk(value_node, where)
        elif isinstance(n, yaml.SequenceNode):
            for i, item in enumerate(n.value):
                walk(item, f"{place}[{i}]")

    if node is not None:
        walk(node, "")
    return yaml.safe_load(text)


# ---------------------------------------------------------------------------------------------- parsing
class _Context3D:
    """What :func:`gtdata.render.spec._binding` needs: declared factors, constants of each kind."""

    def __init__(self, factors: list[Factor]) -> None:
        self.factors = factors
        self.by_name = {f.name: i for i, f in enumerate(factors)}
        self.channels = 3

    def constant(self, place: str, kind: str, value: object) -> np.ndarray:
        if kind == "shape":
            if isinstance(value, str) and value in PRIMITIVES:
                return np.array(PRIMITIVES.index(value), dtype=np.int64)
            import difflib

            hint = difflib.get_close_matches(str(value), PRIMITIVES, n=1)
            extra = f" (did you mean {hint[0]!r}?)" if hint else ""
            raise SpecError(place, f"unknown primitive {value!r}{extra}; allowed: {', '.join(PRIMITIVES)}")
        if kind == "color":
            return _color(place, value, 3)
        if not _is_number(value):
            raise SpecError(place, f"must be a number or {{factor: NAME, ...}} (got {value!r})")
        return np.array(float(value))


def _bind(place: str, raw: dict, key: str, default: object, ctx: _Context3D, kind: str = "number") -> Binding:
    return _binding(f"{place}.{key}" if place else key, raw.get(key, default), kind, ctx)


def _parse_canvas(canvas: object) -> tuple[int, int]:
    if not isinstance(canvas, dict):
        raise SpecError("canvas", f"must be a mapping with height, width, channels (got {canvas!r})")
    _keys("canvas", canvas, ("height", "width", "channels"))
    out = []
    for key in ("height", "width"):
        v = canvas.get(key, 64)
        if isinstance(v, bool) or not isinstance(v, int) or not 4 <= v <= _MAX_SIDE:
            raise SpecError(f"canvas.{key}", f"must be an integer in [4, {_MAX_SIDE}] pixels (got {v!r})")
        out.append(v)
    if canvas.get("channels", 3) != 3:
        raise SpecError("canvas.channels", f"3-D scenes are RGB: must be 3 (got {canvas.get('channels')!r})")
    return out[0], out[1]


def _range(place: str, b: Binding, lo: float, hi: float, lo_open: bool, hi_open: bool, what: str) -> None:
    def ok(t):
        t = np.asarray(t, dtype=np.float64)
        good = np.isfinite(t)
        good &= (t > lo) if lo_open else (t >= lo)
        good &= (t < hi) if hi_open else (t <= hi)
        return good

    _check_range(place, b, ok, what)


def _parse_camera(raw: object, ctx: _Context3D) -> tuple[dict[str, Binding], np.ndarray]:
    if not isinstance(raw, dict):
        raise SpecError("camera", f"must be a mapping (got {raw!r})")
    _keys("camera", raw, ("azimuth", "elevation", "distance", "fov", "look_at"))
    cam = {
        "azimuth": _bind("camera", raw, "azimuth", 0.0, ctx),
        "elevation": _bind("camera", raw, "elevation", 20.0, ctx),
        "distance": _bind("camera", raw, "distance", 6.0, ctx),
        "fov": _bind("camera", raw, "fov", 40.0, ctx),
    }
    _range("camera.azimuth", cam["azimuth"], -math.inf, math.inf, True, True, "a finite number of degrees")
    _range("camera.elevation", cam["elevation"], -90, 90, True, True, "-90 < elevation < 90 degrees")
    _range("camera.distance", cam["distance"], 0, 1e6, True, False, "a distance > 0 (world units)")
    _range("camera.fov", cam["fov"], 0, 180, True, True, "0 < fov < 180 degrees (vertical field of view)")
    look = raw.get("look_at", [0.0, 0.5, 0.0])
    if not (isinstance(look, list) and len(look) == 3 and all(_is_number(v) for v in look)):
        raise SpecError("camera.look_at", f"must be [x, y, z] numbers (got {look!r})")
    return cam, np.array(look, dtype=np.float64)


def _parse_lights(raw: object, ctx: _Context3D) -> list[Light3D]:
    if not isinstance(raw, list):
        raise SpecError("lights", f"must be a list of lights (got {raw!r})")
    if len(raw) > 4:
        raise SpecError("lights", f"at most 4 lights are supported (got {len(raw)})")
    out = []
    for i, light in enumerate(raw):
        place = f"lights[{i}]"
        if not isinstance(light, dict):
            raise SpecError(place, f"must be a mapping with type and its parameters (got {light!r})")
        kind = light.get("type", "directional")
        if kind not in LIGHT_TYPES:
            raise SpecError(f"{place}.type", f"unknown light type {kind!r}; allowed: {', '.join(LIGHT_TYPES)}")
        if kind == "directional":
            _keys(place, light, ("type", "azimuth", "elevation", "color", "intensity"))
            props = {
                "azimuth": _bind(place, light, "azimuth", 30.0, ctx),
                "elevation": _bind(place, light, "elevation", 50.0, ctx),
            }
            _range(f"{place}.azimuth", props["azimuth"], -math.inf, math.inf, True, True, "a finite number of degrees")
            _range(f"{place}.elevation", props["elevation"], -90, 90, False, False, "-90 <= elevation <= 90 degrees")
        else:
            _keys(place, light, ("type", "x", "y", "z", "color", "intensity"))
            props = {k: _bind(place, light, k, d, ctx) for k, d in (("x", 0.0), ("y", 3.0), ("z", 0.0))}
            for k in ("x", "z"):
                _range(f"{place}.{k}", props[k], -math.inf, math.inf, True, True, "a finite number (world units)")
            _range(f"{place}.y", props["y"], 0, 1e6, True, False, "a height > 0 (above the floor)")
        if isinstance(light.get("color"), dict):
            raise SpecError(f"{place}.color", "a light's colour is a constant colour (bind intensity instead)")
        props["color"] = _bind(place, light, "color", 1.0, ctx, kind="color")
        props["intensity"] = _bind(place, light, "intensity", 1.0, ctx)
        _range(
            f"{place}.intensity",
            props["intensity"],
            0,
            100,
            False,
            False,
            "an intensity >= 0 (0 switches the light off; negative light does not exist)",
        )
        out.append(Light3D(i, kind, props))
    return out


def _parse_material(place: str, raw: dict, ctx: _Context3D, specular: float) -> Material:
    if "color" in raw and "hue" in raw:
        raise SpecError(f"{place}.hue" if place else "hue", "the colour is given twice: give either color or hue")
    uses_hue = "hue" in raw
    props: dict[str, Binding] = {}
    join = (lambda k: f"{place}.{k}") if place else (lambda k: k)
    if uses_hue:
        props["hue"] = _bind(place, raw, "hue", 0.0, ctx)
        _range(join("hue"), props["hue"], -math.inf, math.inf, True, True, "a finite number (wraps modulo 1)")
        for k in ("saturation", "value"):
            props[k] = _bind(place, raw, k, 1.0, ctx)
            _range(join(k), props[k], 0, 1, False, False, "a number in [0, 1]")
    else:
        for k in ("saturation", "value"):
            if k in raw:
                raise SpecError(join(k), "is only used together with hue")
        props["color"] = _bind(place, raw, "color", 0.8, ctx, kind="color")
    props["diffuse"] = _bind(place, raw, "diffuse", 1.0, ctx)
    props["specular"] = _bind(place, raw, "specular", specular, ctx)
    props["shininess"] = _bind(place, raw, "shininess", 32.0, ctx)
    _range(join("diffuse"), props["diffuse"], 0, 1, False, False, "a reflectance in [0, 1]")
    _range(join("specular"), props["specular"], 0, 1, False, False, "a reflectance in [0, 1]")
    _range(join("shininess"), props["shininess"], 0, 10000, True, False, "an exponent > 0 (Blinn-Phong)")
    return Material(props, uses_hue)


_MATERIAL_KEYS = ("color", "hue", "saturation", "value", "diffuse", "specular", "shininess")


def _parse_room(raw: object, ctx: _Context3D) -> Room3D:
    if not isinstance(raw, dict):
        raise SpecError("room", f"must be a mapping (size, wall_height, walls, floor, wall) or null (got {raw!r})")
    _keys("room", raw, ("size", "wall_height", "walls", "floor", "wall"))
    size, height = raw.get("size", 8.0), raw.get("wall_height", 3.0)
    if not _is_number(size) or size <= 0:
        raise SpecError("room.size", f"must be a number > 0 (world units; got {size!r})")
    if not _is_number(height) or height <= 0:
        raise SpecError("room.wall_height", f"must be a number > 0 (world units; got {height!r})")
    walls = raw.get("walls", ["north", "west"])
    if not isinstance(walls, list) or any(w not in WALLS for w in walls) or len(set(walls)) != len(walls):
        raise SpecError("room.walls", f"must be a list of distinct walls from {', '.join(WALLS)} (got {walls!r})")
    mats = []
    for key, default in (("floor", {"color": 0.6}), ("wall", {"color": 0.8})):
        m = raw.get(key, default)
        if not isinstance(m, dict):
            raise SpecError(f"room.{key}", f"must be a material mapping (color or hue, diffuse...; got {m!r})")
        _keys(f"room.{key}", m, _MATERIAL_KEYS)
        mats.append(_parse_material(f"room.{key}", m, ctx, specular=0.0))
    return Room3D(float(size), float(height), tuple(walls), mats[0], mats[1])


_OBJECT_KEYS = ("shape", "x", "y", "z", "scale", "yaw", "pitch", "roll") + _MATERIAL_KEYS


def _parse_object(place: str, raw: object, index: int, ctx: _Context3D) -> Object3D:
    if not isinstance(raw, dict):
        raise SpecError(place, f"must be a mapping of properties (got {raw!r})")
    _keys(place, raw, _OBJECT_KEYS)
    if "shape" not in raw:
        raise SpecError(f"{place}.shape", f"is required: a primitive ({', '.join(PRIMITIVES)}) or {{factor: NAME}}")
    props: dict[str, Binding | None] = {"shape": _bind(place, raw, "shape", None, ctx, kind="shape")}
    for key, default in (("x", 0.0), ("z", 0.0), ("scale", 1.0), ("yaw", 0.0), ("pitch", 0.0), ("roll", 0.0)):
        props[key] = _bind(place, raw, key, default, ctx)
        _range(f"{place}.{key}", props[key], -math.inf, math.inf, True, True, "a finite number")
    props["y"] = _bind(place, raw, "y", None, ctx) if raw.get("y") is not None else None
    _range(
        f"{place}.scale",
        props["scale"],
        0,
        1000,
        True,
        False,
        "a size > 0 (a degenerate object has no surface); 1 = the primitive's unit size",
    )
    if props["y"] is not None:
        _range(f"{place}.y", props["y"], -math.inf, math.inf, True, True, "a finite number")
    material = _parse_material(place, {k: v for k, v in raw.items() if k in _MATERIAL_KEYS}, ctx, specular=0.3)
    return Object3D(index, props, material)


def _parse_render(raw: object) -> tuple[int, str | float]:
    if not isinstance(raw, dict):
        raise SpecError("render", f"must be a mapping with samples, gamma (got {raw!r})")
    _keys("render", raw, ("samples", "gamma"))
    samples = raw.get("samples", 4)
    if samples not in SAMPLES or isinstance(samples, bool):
        raise SpecError(
            "render.samples", f"must be one of {', '.join(map(str, SAMPLES))} samples per edge pixel (got {samples!r})"
        )
    gamma = raw.get("gamma", "srgb")
    if not (gamma in GAMMAS or (_is_number(gamma) and 0.1 <= gamma <= 10)):
        raise SpecError("render.gamma", f"must be 'srgb', 'linear' or a number in [0.1, 10] (got {gamma!r})")
    return samples, gamma if isinstance(gamma, str) else float(gamma)


# ---------------------------------------------------------------------------------------------- geometry checks
def _combos(spec: Scene3DSpec, bindings: list[Binding]) -> np.ndarray:
    """Codes (M, F) covering every combination of the grid values of the factors ``bindings`` use
    (other factors at code 0); a deterministic sample of ``_CHECK_POINTS`` when there are more."""
    idx = sorted({b.index for b in bindings if b is not None and b.index is not None})
    sizes = [spec.factors[i].size for i in idx]
    total = int(np.prod(sizes, dtype=np.float64)) if idx else 1
    codes = np.zeros((min(total, _CHECK_POINTS), len(spec.factors)), dtype=np.int64)
    if not idx:
        return codes
    if total <= _CHECK_POINTS:
        grid = np.array(list(itertools.product(*[range(s) for s in sizes])), dtype=np.int64)
    else:
        gen = np.random.default_rng(0)
        grid = np.stack([gen.integers(0, s, _CHECK_POINTS) for s in sizes], axis=1)
        for k, s in enumerate(sizes):  # always include the extremes of every factor
            grid[k * 2, k], grid[k * 2 + 1, k] = 0, s - 1
    codes[:, idx] = grid
    return codes


def object_placement(obj: Object3D, get) -> dict[str, np.ndarray]:
    """Centre (N, 3), rotation (N, 3, 3), scale (N,), primitive index (N,) of an object; ``get(binding)``."""
    shape = np.asarray(get(obj.props["shape"])).astype(np.int64)
    scale = np.asarray(get(obj.props["scale"]), dtype=np.float64)
    n = len(shape)
    if obj.props["y"] is None:
        rest = np.array([REST_HEIGHT[p] for p in PRIMITIVES])
        y = rest[shape] * scale
    else:
        y = np.broadcast_to(np.asarray(get(obj.props["y"]), dtype=np.float64), (n,))
    x = np.broadcast_to(np.asarray(get(obj.props["x"]), dtype=np.float64), (n,))
    z = np.broadcast_to(np.asarray(get(obj.props["z"]), dtype=np.float64), (n,))
    rot = rotation_matrices(
        *(np.broadcast_to(np.asarray(get(obj.props[k]), dtype=np.float64), (n,)) for k in ("yaw", "pitch", "roll"))
    )
    return {
        "centre": np.stack([x, y, z], axis=1),
        "rotation": rot,
        "scale": np.broadcast_to(scale, (n,)),
        "shape": shape,
    }


def _inside_object(points: np.ndarray, place: dict[str, np.ndarray], margin: float = 0.0) -> np.ndarray:
    local = to_local(points, place["centre"], place["rotation"], place["scale"])
    out = np.zeros(len(points), dtype=bool)
    for k, name in enumerate(PRIMITIVES):
        sel = place["shape"] == k
        if sel.any():
            out[sel] = inside(name, local[sel] * (1.0 - margin))
    return out


def _camera_positions(spec: Scene3DSpec, codes: np.ndarray) -> np.ndarray:
    """The camera's position (N, 3) in world units for each row of ``codes`` (the camera factors' codes)."""
    n = len(codes)

    def get(key: str) -> np.ndarray:
        return np.broadcast_to(spec.camera[key].at_codes(codes), (n,)).astype(np.float64)

    frames = camera_frames(
        get("azimuth"),
        get("elevation"),
        get("distance"),
        get("fov"),
        np.broadcast_to(spec.look_at, (n, 3)),
        spec.height,
    )
    return frames["position"]


def _first(mask: np.ndarray, codes: np.ndarray, spec: Scene3DSpec) -> str:
    i = int(np.argmax(mask))
    vals = {f.name: f.values[c].item() for f, c in zip(spec.factors, codes[i]) if f.size > 1}
    return f" (at factor values {vals})" if vals else ""


def _check_geometry(spec: Scene3DSpec) -> None:
    """Objects inside the room and above the floor; lights and the camera outside every object; the camera
    above the floor and on the room side of every wall. Checked on the grid of the factors involved."""
    room = spec.room
    for obj in spec.objects:
        place = f"objects[{obj.index}]"
        binds = [b for b in obj.props.values() if b is not None]
        codes = _combos(spec, binds)
        p = object_placement(obj, lambda b, codes=codes: b.at_codes(codes))
        radius = np.array([BOUNDING_RADIUS[s] for s in PRIMITIVES])[p["shape"]] * p["scale"]
        if obj.props["y"] is not None:
            low = p["centre"][:, 1] - radius
            if room is not None and np.any(low < -1e-9):
                bad = low < -1e-9
                raise SpecError(
                    f"{place}.y",
                    f"the object reaches below the floor: centre height "
                    f"{float(p['centre'][bad][0, 1]):.4g} with bounding radius "
                    f"{float(radius[bad][0]):.4g}{_first(bad, codes, spec)}; allowed: "
                    "y >= its bounding radius, or leave y out to rest it on the floor",
                )
        if room is not None:
            half = room.size / 2
            for axis, key in ((0, "x"), (2, "z")):
                bad = np.abs(p["centre"][:, axis]) + radius > half + 1e-9
                if np.any(bad):
                    raise SpecError(
                        f"{place}.{key}",
                        f"the object is outside the room: {key} = {float(p['centre'][bad][0, axis]):.4g} "
                        f"with bounding radius {float(radius[bad][0]):.4g}{_first(bad, codes, spec)}; "
                        f"allowed: |{key}| + radius <= {half:g} (half the room size)",
                    )
    for light in spec.lights:
        if light.type != "point":
            continue
        for obj in spec.objects:
            binds = [light.props[k] for k in ("x", "y", "z")] + [b for b in obj.props.values() if b is not None]
            codes = _combos(spec, binds)
            pos = np.stack(
                [
                    np.broadcast_to(light.props[k].at_codes(codes), (len(codes),)).astype(np.float64)
                    for k in ("x", "y", "z")
                ],
                axis=1,
            )
            bad = _inside_object(pos, object_placement(obj, lambda b, codes=codes: b.at_codes(codes)))
            if np.any(bad):
                raise SpecError(
                    f"lights[{light.index}]",
                    f"the point light at {pos[bad][0].round(4).tolist()} is "
                    f"inside objects[{obj.index}]{_first(bad, codes, spec)}; "
                    "move the light or the object",
                )
    cam_binds = list(spec.camera.values())
    codes = _combos(spec, cam_binds)
    pos = _camera_positions(spec, codes)
    if room is not None:
        half = room.size / 2
        checks = [(pos[:, 1] <= 1e-6, "below the floor (y <= 0)")]
        for wall, axis, sign in (("north", 2, -1), ("south", 2, 1), ("west", 0, -1), ("east", 0, 1)):
            if wall in room.walls:
                checks.append((sign * pos[:, axis] >= half, f"behind the {wall} wall"))
        for bad, what in checks:
            if np.any(bad):
                raise SpecError(
                    "camera",
                    f"the camera is {what}: position {pos[bad][0].round(4).tolist()}"
                    f"{_first(bad, codes, spec)}; allowed: above the floor, inside the room's "
                    "walls (change distance, elevation or look_at)",
                )
    for obj in spec.objects:
        binds = cam_binds + [b for b in obj.props.values() if b is not None]
        codes = _combos(spec, binds)
        cpos = _camera_positions(spec, codes)
        bad = _inside_object(cpos, object_placement(obj, lambda b, codes=codes: b.at_codes(codes)))
        if np.any(bad):
            raise SpecError(
                "camera",
                f"the camera at {cpos[bad][0].round(4).tolist()} is inside objects[{obj.index}]"
                f"{_first(bad, codes, spec)}; increase camera.distance or move the object",
            )


def as_directions(azimuth: np.ndarray, elevation: np.ndarray) -> np.ndarray:
    """Unit vectors towards directional lights (N, 3)."""
    return unit_from_angles(azimuth, elevation)
