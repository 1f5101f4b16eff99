"""The render spec: a declarative description of a factorized 2-D scene, parsed and validated.

A spec is a YAML file (or the equivalent dict) with the keys ``kind`` (``scene2d``, the default; ``scene3d``
specs are parsed by :mod:`gtdata.render.scene3d.spec` and share this factor dialect), ``name``, ``description``, ``canvas``,
``background``, ``factors``, ``shapes`` (optional custom shapes) and ``objects``. Every problem is reported
as a :class:`SpecError` whose message starts with the exact place (``objects[1].scale: ...``), then the
offending value and what is allowed. See ``gtdata/render/specs/*.yaml`` for complete examples.

Units: ``x``/``y`` are the object centre as fractions of the canvas width/height (0 = left/top edge,
1 = right/bottom edge); ``scale`` is the object's nominal size (circle diameter, square side, heart width) as
a fraction of the shorter canvas side; ``rotation`` is in radians, counter-clockwise on screen; colours are in
[0, 1]; ``hue`` is an HSV hue in [0, 1) (with ``saturation`` and ``value``); ``z`` orders objects (higher is
drawn on top); ``texture`` is one of solid, stripes, checker, dots with ``texture_period`` as a fraction of
the object size.

Factors: ``{name: shape, values: [square, heart]}`` (names or numbers), ``{name: scale, linspace: [0.5, 1, 6]}``,
``{name: x, continuous: [0.1, 0.9], num: 16}`` (any value in range on demand; ``num`` grid points for codes).
A property is a constant or ``{factor: NAME}``, optionally mapped: ``range: [lo, hi]`` (the factor's range
onto [lo, hi], linear), ``scale: a, offset: b`` (a * value + b), or ``map: {value: output}`` / ``map: [...]``
(one output per factor value). Shapes: the built-ins (``BUILTIN_SHAPES``) or ``shapes: {NAME: definition}``
(see :func:`gtdata.render.shapes.make_shape`). Background: a colour, ``{gradient: {from, to, angle}}``,
``{noise: {low, high}}`` or ``{image: PATH}`` (the last two drawn per image, as nuisance).
"""

from __future__ import annotations

import copy
import hashlib
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from gtdata.core.errors import GtdataError
from gtdata.core.factors import Factor, FactorSpace, FactorSpecError, parse_factors
from gtdata.render.colors import parse_color
from gtdata.render.shapes import BUILTIN_SHAPES, Shape, ShapeParamError, builtin_shape, make_shape

__all__ = [
    "OBJECT_PROPERTIES",
    "TEXTURES",
    "Background",
    "Binding",
    "FactorDecl",
    "ObjectSpec",
    "RenderSpec",
    "SpecError",
]

TEXTURES = ("solid", "stripes", "checker", "dots")

#: The ``kind:`` of a 2-D sprite spec (the default for a spec without ``kind:``); 3-D scenes are ``scene3d``.
KIND = "scene2d"

# property -> (kind, default); default None means required (shape) or "absent" (hue)
OBJECT_PROPERTIES: dict[str, tuple[str, Any]] = {
    "shape": ("shape", None),
    "scale": ("number", 0.25),
    "rotation": ("number", 0.0),
    "x": ("number", 0.5),
    "y": ("number", 0.5),
    "z": ("number", None),
    "color": ("color", 1.0),
    "hue": ("number", None),
    "saturation": ("number", 1.0),
    "value": ("number", 1.0),
    "texture": ("texture", "solid"),
    "texture_period": ("number", 0.25),
}

_TOP_KEYS = ("name", "description", "canvas", "background", "factors", "shapes", "objects")
_MAX_SIDE = 4096


class SpecError(GtdataError, ValueError):
    """A spec does not validate; ``place`` is where (``objects[1].scale``), the message says why."""

    def __init__(self, place: str, message: str) -> None:
        super().__init__(f"{place}: {message}")
        self.place = place


def _is_number(x: object) -> bool:
    return isinstance(x, (int, float, np.integer, np.floating)) and not isinstance(x, bool) and math.isfinite(x)


def _keys(place: str, raw: dict, allowed: tuple[str, ...]) -> None:
    unknown = [k for k in raw if k not in allowed]
    if unknown:
        raise SpecError(
            f"{place}.{unknown[0]}" if place else str(unknown[0]),
            f"unknown key {unknown[0]!r}; allowed: {', '.join(allowed)}",
        )


#: A render spec's factor is a core :class:`~gtdata.core.factors.Factor` (a continuous one has
#: ``is_continuous`` and its ``[low, high]``); the old name stays importable.
FactorDecl = Factor


@dataclass
class Binding:
    """One object property: a constant or a function of one factor.

    ``table[code]`` is the property for each grid value of the factor (row 0 for a constant). ``affine``
    is ``(a, b)`` when the property is ``a * value + b`` of a numeric factor, which lets continuous factors be
    rendered at any value in their range; otherwise only grid values can be rendered.
    """

    factor: str | None
    index: int | None
    table: np.ndarray
    affine: tuple[float, float] | None = None

    def at_codes(self, codes: np.ndarray) -> np.ndarray:
        """Property values for a batch: ``codes`` is the (N, F) int64 code matrix."""
        if self.index is None:
            return np.broadcast_to(self.table[0], (len(codes),) + self.table.shape[1:])
        return self.table[codes[:, self.index]]

    def at_values(self, values: dict[str, np.ndarray], codes: dict[str, np.ndarray], n: int) -> np.ndarray:
        """Property values from factor values (numeric, any value in range when affine) or grid codes."""
        if self.index is None:
            return np.broadcast_to(self.table[0], (n,) + self.table.shape[1:])
        if self.affine is not None and self.factor in values:
            a, b = self.affine
            return a * np.asarray(values[self.factor], dtype=np.float64) + b
        return self.table[codes[self.factor]]


@dataclass
class ObjectSpec:
    """An object: one Binding per property (see ``OBJECT_PROPERTIES``); ``hue`` is None for RGB colour."""

    index: int
    props: dict[str, Binding]
    uses_hue: bool

    def factors_used(self) -> set[str]:
        return {b.factor for b in self.props.values() if b.factor is not None}


@dataclass
class Background:
    """kind: color (``color``), gradient (``color``, ``color2``, ``angle`` degrees), noise (``low``,
    ``high`` per pixel and channel, drawn per image) or image (a random ``image`` patch per image)."""

    kind: str
    color: np.ndarray | None = None
    color2: np.ndarray | None = None
    angle: float = 0.0
    low: float = 0.0
    high: float = 1.0
    image: np.ndarray | None = None
    digest: str | None = None

    @property
    def is_random(self) -> bool:
        return self.kind in ("noise", "image")


class SpecBase:
    """What every render spec kind shares: its observation shape, its factors, and pickling as its raw spec
    (subclasses are dataclasses with ``raw``, ``base_dir``, ``height``, ``width``, ``channels``, ``factors`` and
    a ``from_dict`` constructor)."""

    @property
    def shape(self) -> tuple[int, int, int]:
        """Observation shape (H, W, C)."""
        return (self.height, self.width, self.channels)

    @property
    def factor_names(self) -> list[str]:
        return [f.name for f in self.factors]

    @property
    def grid_size(self) -> int:
        return int(np.prod([f.size for f in self.factors], dtype=np.float64))

    def factor_space(self) -> FactorSpace:
        """The core ``gtdata.FactorSpace`` of the spec's factors (in declaration order)."""
        return FactorSpace(self.factors)

    def __reduce__(self):
        return (type(self).from_dict, (self.raw, self.base_dir))


@dataclass
class RenderSpec(SpecBase):
    """A validated spec. Build with :meth:`from_dict`, :meth:`from_yaml` or :meth:`load`.

    The fields are the compiled form of the spec; :meth:`from_dict` fills them after validating every key,
    so constructing the dataclass by hand skips all checks.

    Parameters
    ----------
    raw : dict
        The spec as given, without ``kind`` (what :attr:`sha256` covers and what pickling stores).
    base_dir : pathlib.Path or None
        Directory that relative bitmap and image paths resolve against (the YAML file's directory).
    name : str
        The data set's name (``"rendered"`` when the spec has none).
    description : str
        One line for ``gtdata list`` and ``dataset.yaml``.
    height, width, channels : int
        Canvas size in pixels and number of channels (1 grey, 3 RGB).
    background : Background
        The compiled background (colour, gradient, per-image noise or image patch).
    factors : list of Factor
        The factors in declaration order (the order of codes).
    shapes : list of Shape
        Every shape an object can take (built-in and custom), indexed by shape id.
    shape_names : list of str
        The names of ``shapes``, same order.
    objects : list of ObjectSpec
        One compiled object per entry of ``objects``, drawn in order (or by ``z``).
    sha256 : str, default ""
        Hex digest of the raw spec, custom shapes and background image: the identity of the rendered set.

    Raises
    ------
    SpecError
        From the constructors, for any problem in the spec; the message starts with its place
        (``objects[0].shape: ...``), then the value and what is allowed.

    Examples
    --------
    >>> spec = RenderSpec.from_dict({
    ...     "name": "tiny", "canvas": {"height": 16, "width": 16, "channels": 1},
    ...     "factors": [{"name": "shape", "values": ["square", "heart"]},
    ...                 {"name": "posX", "linspace": [0.0, 1.0, 4]}],
    ...     "objects": [{"shape": {"factor": "shape"}, "scale": 0.5,
    ...                  "x": {"factor": "posX", "range": [0.25, 0.75]}}]})
    >>> spec.shape, spec.factor_names, spec.grid_size
    ((16, 16, 1), ['shape', 'posX'], 8)
    >>> RenderSpec.load("dsprites_like").grid_size
    737280
    >>> try:
    ...     RenderSpec.from_dict({"factors": [{"name": "posX", "linspace": [0, 1, 4]}],
    ...                           "objects": [{"shape": "blob", "x": {"factor": "posX"}}]})
    ... except SpecError as err:
    ...     print(err)
    objects[0].shape: unknown shape 'blob'; allowed: square, rectangle, circle, ellipse, heart, ...
    """

    raw: dict
    base_dir: Path | None
    name: str
    description: str
    height: int
    width: int
    channels: int
    background: Background
    factors: list[Factor]
    shapes: list[Shape]
    shape_names: list[str]
    objects: list[ObjectSpec]
    sha256: str = field(default="")

    kind = KIND

    def bindings(self):
        """Every ``(place, Binding)`` of the spec (object properties)."""
        for obj in self.objects:
            for prop, b in obj.props.items():
                yield f"objects[{obj.index}].{prop}", b

    def to_yaml(self) -> str:
        """The spec as YAML, starting with its ``kind: scene2d`` (the raw spec, which the hash covers, has none)."""
        import yaml

        return yaml.safe_dump({"kind": self.kind, **self.raw}, sort_keys=False)

    # ------------------------------------------------------------------ construction
    @classmethod
    def load(cls, spec: RenderSpec | dict | str | Path) -> RenderSpec:
        """A RenderSpec from a RenderSpec, a dict, a YAML path, or a built-in spec name."""
        if isinstance(spec, RenderSpec):
            return spec
        if isinstance(spec, dict):
            return cls.from_dict(spec)
        if isinstance(spec, (str, Path)):
            path = Path(spec).expanduser()
            if path.suffix.lower() in (".yaml", ".yml") or path.is_file():
                return cls.from_yaml(path)
            from gtdata.render.builtin import BUILTIN_SPECS, builtin_spec_path

            if str(spec) in BUILTIN_SPECS:
                return cls.from_yaml(builtin_spec_path(str(spec)))
            raise SpecError(
                "spec",
                f"{str(spec)!r} is neither a spec file nor a built-in spec; built-in specs: {', '.join(BUILTIN_SPECS)}",
            )
        raise SpecError("spec", f"expected a RenderSpec, a dict or a YAML path (got {type(spec).__name__})")

    @classmethod
    def from_yaml(cls, path: str | Path) -> RenderSpec:
        import yaml

        path = Path(path).expanduser()
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise SpecError(str(path), f"cannot read the spec file ({exc.strerror or exc})") from None
        try:
            raw = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            from gtdata.store.yamlio import describe_yaml_error

            raise SpecError(str(path), f"is not valid YAML: {describe_yaml_error(exc)}; fix the syntax there") from None
        if isinstance(raw, dict) and raw.get("kind") == "scene3d":
            from gtdata.render.scene3d.spec import Scene3DSpec

            return Scene3DSpec.from_yaml(path)  # stricter YAML: rejects a key given twice
        return cls.from_dict(raw, base_dir=path.resolve().parent)

    @classmethod
    def from_dict(cls, raw: object, base_dir: str | Path | None = None) -> RenderSpec:
        """Validate ``raw`` and compile it; relative bitmap/image paths resolve against ``base_dir``."""
        if not isinstance(raw, dict):
            raise SpecError("spec", f"must be a mapping with keys {', '.join(_TOP_KEYS)} (got {type(raw).__name__})")
        if "kind" in raw:
            if raw["kind"] == "scene3d":
                from gtdata.render.scene3d.spec import Scene3DSpec

                return Scene3DSpec.from_dict(raw, base_dir)
            if raw["kind"] != "scene2d":
                raise SpecError(
                    "kind", f"unknown spec kind {raw['kind']!r}; allowed: scene2d (2-D sprites, the default), scene3d"
                )
            raw = {k: v for k, v in raw.items() if k != "kind"}
        raw = copy.deepcopy(raw)
        base = Path(base_dir) if base_dir is not None else None
        _keys("", raw, _TOP_KEYS)
        name = raw.get("name", "rendered")
        if not isinstance(name, str) or not name:
            raise SpecError("name", f"must be a non-empty string (got {name!r})")
        description = raw.get("description", "")
        if not isinstance(description, str):
            raise SpecError("description", f"must be a string (got {description!r})")
        height, width, channels = _parse_canvas(raw.get("canvas", {"height": 64, "width": 64, "channels": 1}))
        background = _parse_background(raw.get("background", 0.0), height, width, channels, base)
        factors = _parse_factors(raw.get("factors"))
        shape_names, shapes, custom = _parse_shapes(raw.get("shapes", {}), base)
        ctx = _Context(factors, shape_names, shapes, channels, custom)
        objects_raw = raw.get("objects")
        if not isinstance(objects_raw, list) or not objects_raw:
            raise SpecError("objects", f"must be a non-empty list of objects (got {objects_raw!r})")
        objects = [_parse_object(f"objects[{i}]", o, i, ctx) for i, o in enumerate(objects_raw)]
        used = set().union(*(o.factors_used() for o in objects))
        for i, f in enumerate(factors):
            if f.name not in used:
                raise SpecError(
                    f"factors[{i}]",
                    f"factor {f.name!r} is declared but no object property uses it "
                    "(every factor must change the image)",
                )
        _check_on_canvas(objects, ctx.shapes, height, width)
        spec = cls(
            raw=raw,
            base_dir=base,
            name=name,
            description=description,
            height=height,
            width=width,
            channels=channels,
            background=background,
            factors=factors,
            shapes=ctx.shapes,
            shape_names=ctx.shape_names,
            objects=objects,
        )
        digest_src = {
            "spec": raw,
            "shapes": {n: s.describe() for n, s in custom.items()},
            "background_image": background.digest,
        }
        spec.sha256 = hashlib.sha256(json.dumps(digest_src, sort_keys=True, default=str).encode()).hexdigest()
        return spec


# ---------------------------------------------------------------------------------------------- parsing
def _parse_canvas(canvas: object) -> tuple[int, int, int]:
    if not isinstance(canvas, dict):
        raise SpecError("canvas", f"must be a mapping with height, width, channels (got {canvas!r})")
    _keys("canvas", canvas, ("height", "width", "channels"))
    out = []
    for key, default in (("height", 64), ("width", 64)):
        v = canvas.get(key, default)
        if isinstance(v, bool) or not isinstance(v, int) or not 4 <= v <= _MAX_SIDE:
            raise SpecError(f"canvas.{key}", f"must be an integer in [4, {_MAX_SIDE}] pixels (got {v!r})")
        out.append(v)
    ch = canvas.get("channels", 1)
    if ch not in (1, 3) or isinstance(ch, bool):
        raise SpecError("canvas.channels", f"must be 1 (grey) or 3 (RGB) (got {ch!r})")
    return out[0], out[1], ch


def _color(place: str, value: object, channels: int) -> np.ndarray:
    arr, problem = parse_color(value, channels)
    if arr is None:
        raise SpecError(place, problem)
    return arr


def _read_image(place: str, path: object, channels: int, base: Path | None) -> tuple[np.ndarray, str]:
    from PIL import Image, UnidentifiedImageError

    if not isinstance(path, str) or not path:
        raise SpecError(place, f"must be a path to an image file (got {path!r})")
    full = Path(path).expanduser()
    if not full.is_absolute() and base is not None:
        full = base / full
    try:
        data = full.read_bytes()
        with Image.open(full) as img:
            arr = np.asarray(img.convert("L" if channels == 1 else "RGB"))
    except (OSError, UnidentifiedImageError) as exc:
        raise SpecError(place, f"cannot read {str(full)!r} as an image ({exc})") from None
    if arr.ndim == 2:
        arr = arr[..., None]
    return (arr.astype(np.float32) / 255.0), hashlib.sha256(data).hexdigest()


def _parse_background(bg: object, height: int, width: int, channels: int, base: Path | None) -> Background:
    kinds = ("color", "gradient", "noise", "image")
    if not isinstance(bg, dict):
        return Background("color", color=_color("background", bg, channels))
    if len(bg) != 1 or next(iter(bg)) not in kinds:
        raise SpecError(
            "background", f"must be a colour or a mapping with exactly one of {', '.join(kinds)} (got {bg!r})"
        )
    ((kind, arg),) = bg.items()
    place = f"background.{kind}"
    if kind == "color":
        return Background("color", color=_color(place, arg, channels))
    if kind == "gradient":
        if not isinstance(arg, dict):
            raise SpecError(place, f"must be a mapping with from, to, angle (got {arg!r})")
        _keys(place, arg, ("from", "to", "angle"))
        angle = arg.get("angle", 0.0)
        if not _is_number(angle):
            raise SpecError(f"{place}.angle", f"must be a number of degrees (got {angle!r})")
        return Background(
            "gradient",
            color=_color(f"{place}.from", arg.get("from", 0.0), channels),
            color2=_color(f"{place}.to", arg.get("to", 1.0), channels),
            angle=float(angle),
        )
    if kind == "noise":
        arg = {} if arg is None else arg
        if not isinstance(arg, dict):
            raise SpecError(place, f"must be a mapping with low, high (got {arg!r})")
        _keys(place, arg, ("low", "high"))
        low, high = arg.get("low", 0.0), arg.get("high", 1.0)
        for key, v in (("low", low), ("high", high)):
            if not _is_number(v) or not 0.0 <= v <= 1.0:
                raise SpecError(f"{place}.{key}", f"must be a number in [0, 1] (got {v!r})")
        if low > high:
            raise SpecError(place, f"low {low!r} is above high {high!r}; allowed: 0 <= low <= high <= 1")
        return Background("noise", low=float(low), high=float(high))
    path = arg.get("path") if isinstance(arg, dict) else arg
    if isinstance(arg, dict):
        _keys(place, arg, ("path",))
    image, digest = _read_image(place, path, channels, base)
    if image.shape[0] < height or image.shape[1] < width:
        raise SpecError(
            place,
            f"image {path!r} is {image.shape[1]}x{image.shape[0]} pixels; it must be at least "
            f"the canvas ({width}x{height}) to cut random patches from it",
        )
    return Background("image", image=image, digest=digest)


def _parse_factors(raw: object) -> list[Factor]:
    """The spec's factors in gtdata's factor dialect (parsed by the core); numbers become floats, as render
    properties are real-valued (``values: [1, 2]`` is the grid 1.0, 2.0)."""
    try:
        factors = parse_factors(raw, place="factors")
    except FactorSpecError as exc:
        raise SpecError(exc.place, exc.message) from None
    return [
        Factor(f.name, f.values.astype(np.float64), f.unit, f.description) if f.values.dtype.kind == "i" else f
        for f in factors
    ]


def _parse_shapes(raw: object, base: Path | None) -> tuple[list[str], list[Shape], dict[str, Shape]]:
    if not isinstance(raw, dict):
        raise SpecError("shapes", f"must be a mapping of name -> definition (got {raw!r})")
    custom: dict[str, Shape] = {}
    for name, defn in raw.items():
        place = f"shapes.{name}"
        if not isinstance(name, str) or not name:
            raise SpecError("shapes", f"shape names must be strings (got {name!r})")
        if name in BUILTIN_SHAPES:
            raise SpecError(place, f"{name!r} is a built-in shape; choose another name")
        try:
            custom[name] = make_shape(defn, base)
        except ShapeParamError as exc:
            raise SpecError(f"{place}.{exc.where}" if exc.where else place, exc.message) from None
    return [], [], custom


class _Context:
    """What object parsing needs: declared factors, known shapes, canvas channels."""

    def __init__(
        self,
        factors: list[Factor],
        shape_names: list[str],
        shapes: list[Shape],
        channels: int,
        custom: dict[str, Shape],
    ) -> None:
        self.factors = factors
        self.by_name = {f.name: i for i, f in enumerate(factors)}
        self.shape_names = shape_names
        self.shapes = shapes
        self.channels = channels
        self.custom = custom

    def shape_id(self, place: str, name: object) -> int:
        if isinstance(name, str) and name in self.shape_names:
            return self.shape_names.index(name)
        if isinstance(name, str) and (name in BUILTIN_SHAPES or name in self.custom):
            self.shape_names.append(name)
            self.shapes.append(self.custom[name] if name in self.custom else builtin_shape(name))
            return len(self.shapes) - 1
        allowed = ", ".join(BUILTIN_SHAPES)
        if self.custom:
            allowed += "; or one of the spec's shapes: " + ", ".join(self.custom)
        raise SpecError(place, f"unknown shape {name!r}; allowed: {allowed}")

    def constant(self, place: str, kind: str, value: object) -> np.ndarray:
        if kind == "shape":
            return np.array(self.shape_id(place, value), dtype=np.int64)
        if kind == "color":
            return _color(place, value, self.channels)
        if kind == "texture":
            if value not in TEXTURES:
                raise SpecError(place, f"unknown texture {value!r}; allowed: {', '.join(TEXTURES)}")
            return np.array(TEXTURES.index(value), dtype=np.int64)
        if not _is_number(value):
            raise SpecError(place, f"must be a number or {{factor: NAME, ...}} (got {value!r})")
        return np.array(float(value))


def _binding(place: str, raw: object, kind: str, ctx: _Context) -> Binding:
    if not (isinstance(raw, dict) and "factor" in raw):
        return Binding(None, None, ctx.constant(place, kind, raw)[None])
    _keys(place, raw, ("factor", "range", "scale", "offset", "map"))
    name = raw["factor"]
    if name not in ctx.by_name:
        declared = ", ".join(ctx.by_name) or "none"
        raise SpecError(place, f"factor {name!r} is not declared (declared factors: {declared})")
    index = ctx.by_name[name]
    factor = ctx.factors[index]
    values = factor.values.tolist()  # Python values: messages show 0.5 and 'heart', not numpy reprs
    modes = [k for k in ("range", "map") if k in raw] + (["scale/offset"] if {"scale", "offset"} & set(raw) else [])
    if len(modes) > 1:
        raise SpecError(place, f"use one mapping, not {' and '.join(modes)}")
    if "map" in raw:
        table_in = raw["map"]
        if isinstance(table_in, list):
            if len(table_in) != factor.size:
                raise SpecError(
                    f"{place}.map", f"has {len(table_in)} entries but factor {name!r} has {factor.size} values"
                )
            outs = [ctx.constant(f"{place}.map[{i}]", kind, v) for i, v in enumerate(table_in)]
        elif isinstance(table_in, dict):
            outs = []
            for v in values:
                hits = [k for k in table_in if k == v or (_is_number(k) and _is_number(v) and math.isclose(k, v))]
                if not hits:
                    raise SpecError(
                        f"{place}.map", f"has no entry for value {v!r} of factor {name!r} (values: {values})"
                    )
                outs.append(ctx.constant(f"{place}.map[{hits[0]!r}]", kind, table_in[hits[0]]))
        else:
            raise SpecError(
                f"{place}.map", f"must be a list (one entry per value) or a mapping value -> output (got {table_in!r})"
            )
        return Binding(name, index, np.stack(outs))
    if kind in ("shape", "texture") or (kind == "color" and factor.is_categorical):
        if modes:
            raise SpecError(place, f"a {kind} can only follow a factor directly or through map")
        outs = [ctx.constant(f"{place} (value {v!r} of factor {name!r})", kind, v) for v in values]
        return Binding(name, index, np.stack(outs))
    if factor.is_categorical:
        raise SpecError(
            place, f"factor {name!r} has names {values}, not numbers; bind it through map: {{name: number, ...}}"
        )
    if kind == "color" and ctx.channels == 3:
        raise SpecError(
            place,
            f"an RGB colour cannot follow the numeric factor {name!r} directly; use hue, "
            "or map: {value: colour, ...}",
        )
    a, b = 1.0, 0.0
    if "range" in raw:
        rng = raw["range"]
        if not (isinstance(rng, list) and len(rng) == 2 and all(_is_number(v) for v in rng)):
            raise SpecError(f"{place}.range", f"must be [low, high] numbers (got {rng!r})")
        lo, hi = min(values), max(values)  # a grid factor's range is its values' (a continuous one's: [low, high])
        a = (rng[1] - rng[0]) / (hi - lo) if hi > lo else 0.0
        b = rng[0] - a * lo
    elif modes:
        a, b = raw.get("scale", 1.0), raw.get("offset", 0.0)
        for key, v in (("scale", a), ("offset", b)):
            if not _is_number(v):
                raise SpecError(f"{place}.{key}", f"must be a number (got {v!r})")
    vals = a * np.asarray(factor.values, dtype=np.float64) + b
    if kind == "color":
        for v, out in zip(values, vals):
            _color(f"{place} (value {v!r} of factor {name!r} gives {out!r})", float(out), ctx.channels)
        return Binding(name, index, vals[:, None], affine=(float(a), float(b)))
    return Binding(name, index, vals, affine=(float(a), float(b)))


def _check_range(place: str, b: Binding, ok, allowed: str) -> None:
    bad = ~ok(b.table)
    if np.any(bad):
        i = int(np.argmax(bad))
        value = b.table[i].item() if b.table.ndim == 1 else b.table[i].tolist()
        where = f" (at code {i} of factor {b.factor!r})" if b.factor else ""
        raise SpecError(place, f"value {value!r}{where} is out of range; allowed: {allowed}")


def _parse_object(place: str, raw: object, index: int, ctx: _Context) -> ObjectSpec:
    if not isinstance(raw, dict):
        raise SpecError(place, f"must be a mapping of properties (got {raw!r})")
    _keys(place, raw, tuple(OBJECT_PROPERTIES))
    if "shape" not in raw:
        raise SpecError(f"{place}.shape", "is required (a shape name or {factor: NAME})")
    if "color" in raw and "hue" in raw:
        raise SpecError(f"{place}.hue", "give either color or hue, not both")
    uses_hue = "hue" in raw
    if not uses_hue and ("saturation" in raw or "value" in raw):
        key = "saturation" if "saturation" in raw else "value"
        raise SpecError(f"{place}.{key}", "is only used together with hue")
    if uses_hue and ctx.channels != 3:
        raise SpecError(f"{place}.hue", "needs an RGB canvas (canvas.channels: 3)")
    props: dict[str, Binding] = {}
    for prop, (kind, default) in OBJECT_PROPERTIES.items():
        if prop == "hue" and not uses_hue or prop in ("saturation", "value") and not uses_hue:
            continue
        if prop == "color" and uses_hue:
            continue
        value = raw.get(prop, float(index) if prop == "z" else default)
        props[prop] = _binding(f"{place}.{prop}", value, kind, ctx)
    finite = np.isfinite
    _check_range(
        f"{place}.scale",
        props["scale"],
        lambda t: np.isfinite(t) & (t > 0) & (t <= 100),
        "0 < scale <= 100 (fraction of the shorter canvas side)",
    )
    for prop in ("rotation", "x", "y", "z"):
        _check_range(f"{place}.{prop}", props[prop], finite, "a finite number")
    _check_range(
        f"{place}.texture_period",
        props["texture_period"],
        lambda t: np.isfinite(t) & (t > 0),
        "a number > 0 (fraction of the object size)",
    )
    if uses_hue:
        _check_range(f"{place}.hue", props["hue"], finite, "a finite number (wraps modulo 1)")
        for prop in ("saturation", "value"):
            _check_range(f"{place}.{prop}", props[prop], lambda t: (t >= 0) & (t <= 1), "a number in [0, 1]")
    return ObjectSpec(index, props, uses_hue)


def _check_on_canvas(objects: list[ObjectSpec], shapes: list[Shape], height: int, width: int) -> None:
    """Reject positions whose object cannot touch the canvas even at its smallest size."""
    side = min(height, width)
    for obj in objects:
        radii = np.array([shapes[i].radius for i in np.unique(obj.props["shape"].table)])
        r_px = float(np.min(obj.props["scale"].table)) * side * float(radii.min())
        for prop, extent in (("x", width), ("y", height)):
            b = obj.props[prop]
            lo, hi = -r_px / extent, 1.0 + r_px / extent
            bad = (b.table < lo) | (b.table > hi)
            if np.any(bad):
                i = int(np.argmax(bad))
                where = f" (at code {i} of factor {b.factor!r})" if b.factor else ""
                raise SpecError(
                    f"objects[{obj.index}].{prop}",
                    f"value {float(b.table[i])!r}{where} puts the object entirely off the canvas; "
                    f"allowed: {lo:.4g} to {hi:.4g} (0 and 1 are the canvas edges)",
                )
