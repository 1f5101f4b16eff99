"""Shapes as signed distance functions in the object's unit frame.

Every shape lives in a frame where the object's nominal size is 1 (a circle has diameter 1, a square side 1),
x points right and y points down (image convention). ``sdf(u, v)`` returns the signed distance to the
outline in unit-frame lengths, negative inside; the rasterizer scales it to pixels and turns it into
anti-aliased coverage. Distances only need to be exact near the outline (within about one pixel), because
coverage is clipped to [0, 1] one pixel away from it.
"""

from __future__ import annotations

import hashlib
import math
from pathlib import Path

import numpy as np

from gtdata.core.errors import GtdataError, UnknownNameError

__all__ = ["BUILTIN_SHAPES", "Shape", "ShapeParamError", "make_shape"]


class ShapeParamError(GtdataError, ValueError):
    """A shape definition has a bad parameter; ``where`` is the key inside the definition.

    Parameters
    ----------
    where : str
        The key inside the shape definition (``"star.points"``); the spec parser prefixes the spec's place.
    message : str
        What is wrong: the value and what is allowed.
    """

    def __init__(self, where: str, message: str) -> None:
        super().__init__(message)
        self.where = where
        self.message = message


class Shape:
    """Base class: ``radius`` bounds the shape (max distance of a shape point from the origin)."""

    kind: str = ""
    radius: float = 0.5

    def sdf(self, u: np.ndarray, v: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def describe(self) -> dict:
        """A JSON-able description (used for the spec hash and dataset.yaml)."""
        return {"kind": self.kind}


def _length(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return np.sqrt(x * x + y * y)


class Box(Shape):
    """Axis-aligned rectangle with half-extents (hx, hy); mitred distance (see Polygon)."""

    def __init__(self, hx: float, hy: float, kind: str = "rectangle") -> None:
        self.kind = kind
        self.hx, self.hy = float(hx), float(hy)
        self.radius = math.hypot(self.hx, self.hy)

    def sdf(self, u: np.ndarray, v: np.ndarray) -> np.ndarray:
        return np.maximum(np.abs(u) - np.float32(self.hx), np.abs(v) - np.float32(self.hy))

    def describe(self) -> dict:
        return {"kind": self.kind, "aspect": self.hx / self.hy}


class Ellipse(Shape):
    """Ellipse with semi-axes (a, b); first-order distance estimate (exact on the outline)."""

    def __init__(self, a: float, b: float, kind: str = "ellipse") -> None:
        self.kind = kind
        self.a, self.b = float(a), float(b)
        self.radius = max(self.a, self.b)

    def sdf(self, u: np.ndarray, v: np.ndarray) -> np.ndarray:
        if self.a == self.b:
            return _length(u, v) - np.float32(self.a)
        ua = u * np.float32(1.0 / self.a)
        vb = v * np.float32(1.0 / self.b)
        k = _length(ua, vb)
        # |grad k| = sqrt(u^2/a^4 + v^2/b^4) / k; d ~ (k - 1) / |grad k|
        g = _length(ua * np.float32(1.0 / self.a), vb * np.float32(1.0 / self.b))
        tiny = np.float32(1e-12)
        # at the exact centre both k and |grad k| vanish; the point is deep inside
        return np.where(g > tiny, k * (k - 1) / np.maximum(g, tiny), np.float32(-min(self.a, self.b)))

    def describe(self) -> dict:
        return {"kind": self.kind, "aspect": self.a / self.b}


class Capsule(Shape):
    """A horizontal segment of half-length ``half`` thickened by ``r`` (stadium)."""

    def __init__(self, half: float, r: float) -> None:
        self.kind = "capsule"
        self.half, self.r = float(half), float(r)
        self.radius = self.half + self.r

    def sdf(self, u: np.ndarray, v: np.ndarray) -> np.ndarray:
        qx = np.maximum(np.abs(u) - np.float32(self.half), 0)
        return _length(qx, v) - np.float32(self.r)

    def describe(self) -> dict:
        return {"kind": self.kind, "aspect": (self.half + self.r) / self.r}


class Polygon(Shape):
    """A simple polygon given by its vertices.

    Convex polygons use the mitred distance, the largest signed distance to the edges' lines: exact inside
    and along the edges, with sharp instead of rounded offsets at the corners. That keeps corners sharp,
    makes the one-pixel coverage ramp symmetric about the outline (so covered area matches the geometric
    area) and costs three operations per edge. Other polygons use the exact distance, signed by even-odd.
    """

    def __init__(self, vertices: np.ndarray, kind: str = "polygon") -> None:
        self.kind = kind
        self.vertices = np.asarray(vertices, dtype=np.float64)
        self.radius = float(np.max(np.hypot(self.vertices[:, 0], self.vertices[:, 1])))
        edges = np.roll(self.vertices, -1, axis=0) - self.vertices
        turns = edges[:, 0] * np.roll(edges, -1, axis=0)[:, 1] - edges[:, 1] * np.roll(edges, -1, axis=0)[:, 0]
        self.convex = bool(np.all(turns > 0) or np.all(turns < 0))
        # outward unit normals and offsets of the edge lines: distance = n . p - c
        orient = -1.0 if turns.sum() > 0 else 1.0  # turns > 0: clockwise on screen (y down)
        normals = orient * np.stack([-edges[:, 1], edges[:, 0]], axis=1)
        normals /= np.hypot(normals[:, 0], normals[:, 1])[:, None]
        self.lines = [
            (float(nx), float(ny), float(nx * x + ny * y)) for (nx, ny), (x, y) in zip(normals, self.vertices)
        ]

    def sdf(self, u: np.ndarray, v: np.ndarray) -> np.ndarray:
        if self.convex:
            out = None
            for nx, ny, c in self.lines:
                d = u * np.float32(nx) + v * np.float32(ny) - np.float32(c)
                out = d if out is None else np.maximum(out, d, out=out)
            return out
        verts = self.vertices.astype(np.float32)
        best = None
        inside = np.zeros(u.shape, dtype=bool)
        n = len(verts)
        for i in range(n):
            ax, ay = verts[i]
            bx, by = verts[(i + 1) % n]
            ex, ey = bx - ax, by - ay
            wx = u - ax
            wy = v - ay
            t = np.clip((wx * ex + wy * ey) * np.float32(1.0 / (ex * ex + ey * ey)), 0, 1)
            dx = wx - ex * t
            dy = wy - ey * t
            d2 = dx * dx + dy * dy
            best = d2 if best is None else np.minimum(best, d2)
            # even-odd rule: the edge crosses the horizontal ray to the right of the point
            if ey != 0:
                crosses = (ay <= v) != (by <= v)
                x_at = ax + ex * (v - ay) * np.float32(1.0 / ey)
                inside ^= crosses & (u < x_at)
        dist = np.sqrt(best)
        return np.where(inside, -dist, dist)

    def describe(self) -> dict:
        return {"kind": self.kind, "vertices": self.vertices.round(9).tolist()}


class Union(Shape):
    """Union of shapes (min of their distances: exact outside, a bound inside)."""

    def __init__(self, parts: list[tuple[Shape, float, float, float]], kind: str) -> None:
        # each part: (shape, offset_x, offset_y, rotation in radians)
        self.kind = kind
        self.parts = parts
        self.radius = max(math.hypot(ox, oy) + s.radius for s, ox, oy, _ in parts)

    def sdf(self, u: np.ndarray, v: np.ndarray) -> np.ndarray:
        out = None
        for shape, ox, oy, rot in self.parts:
            pu = u - np.float32(ox)
            pv = v - np.float32(oy)
            if rot:
                c, s = np.float32(math.cos(rot)), np.float32(math.sin(rot))
                pu, pv = pu * c - pv * s, pu * s + pv * c
            d = shape.sdf(pu, pv)
            out = d if out is None else np.minimum(out, d)
        return out


def _heart() -> Union:
    # A diamond (square turned 45 degrees) with two discs on its upper edges, scaled to width 1 and centred.
    d = 1.0 / (1.0 + math.sqrt(2.0))  # half-diagonal of the diamond; total width 2d(1/2 + 1/sqrt2) = 1
    half_side = d / math.sqrt(2.0)
    top = -d * (0.5 + 1.0 / math.sqrt(2.0))
    shift = -(top + d) / 2.0  # centre the bounding box vertically
    disc = Ellipse(half_side, half_side, kind="circle")
    parts = [
        (Box(half_side, half_side, kind="square"), 0.0, shift, math.pi / 4),
        (disc, -d / 2.0, -d / 2.0 + shift, 0.0),
        (disc, d / 2.0, -d / 2.0 + shift, 0.0),
    ]
    return Union(parts, kind="heart")


def _regular(n: int, kind: str) -> Polygon:
    ang = -math.pi / 2 + 2 * math.pi * np.arange(n) / n  # first vertex points up
    return Polygon(0.5 * np.stack([np.cos(ang), np.sin(ang)], axis=1), kind=kind)


def _star(points: int, inner: float) -> Polygon:
    ang = -math.pi / 2 + math.pi * np.arange(2 * points) / points
    rad = np.where(np.arange(2 * points) % 2 == 0, 0.5, 0.5 * inner)
    return Polygon(np.stack([rad * np.cos(ang), rad * np.sin(ang)], axis=1), kind="star")


def _triangle() -> Polygon:
    # equilateral, side 1, pointing up, bounding box centred
    h = math.sqrt(3.0) / 2.0
    return Polygon(np.array([[0.0, -h / 2], [0.5, h / 2], [-0.5, h / 2]]), kind="triangle")


BUILTIN_SHAPES = (
    "square",
    "rectangle",
    "circle",
    "ellipse",
    "heart",
    "triangle",
    "pentagon",
    "hexagon",
    "octagon",
    "star",
    "capsule",
)

_DEFINITION_KINDS = ("rectangle", "ellipse", "capsule", "regular", "star", "polygon", "bitmap")


def builtin_shape(name: str) -> Shape:
    """The built-in shape called ``name`` (one of ``BUILTIN_SHAPES``) with default proportions."""
    if name == "square":
        return Box(0.5, 0.5, kind="square")
    if name == "rectangle":
        return Box(0.5, 0.25)
    if name == "circle":
        return Ellipse(0.5, 0.5, kind="circle")
    if name == "ellipse":
        return Ellipse(0.5, 0.25)
    if name == "heart":
        return _heart()
    if name == "triangle":
        return _triangle()
    if name in ("pentagon", "hexagon", "octagon"):
        return _regular({"pentagon": 5, "hexagon": 6, "octagon": 8}[name], kind=name)
    if name == "star":
        return _star(5, 0.45)
    if name == "capsule":
        return Capsule(0.25, 0.25)
    raise UnknownNameError(f"unknown shape {name!r}; built-in shapes: {', '.join(BUILTIN_SHAPES)}")


def _number(defn: dict, key: str, default: float, low: float, high: float, low_open: bool = True) -> float:
    value = defn.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ShapeParamError(key, f"must be a number (got {value!r})")
    if (value <= low if low_open else value < low) or value > high:
        bracket = "(" if low_open else "["
        raise ShapeParamError(key, f"must be in {bracket}{low}, {high}] (got {value!r})")
    return float(value)


def make_shape(defn: dict, base_dir: Path | None) -> Shape:
    """Build a custom shape from its definition in a spec's ``shapes:`` section.

    Forms: ``{rectangle: {aspect: 2}}``, ``{ellipse: {aspect: 2}}``, ``{capsule: {aspect: 3}}``,
    ``{regular: 6}``, ``{star: {points: 5, inner: 0.4}}``, ``{polygon: [[x, y], ...]}`` (unit frame, y down),
    ``{bitmap: "mask.png"}`` (path relative to the spec file; alpha channel if any, else grey >= 128).
    Raises ShapeParamError naming the bad key.
    """
    if not isinstance(defn, dict) or len(defn) != 1:
        raise ShapeParamError(
            "", f"must be a mapping with exactly one of {', '.join(_DEFINITION_KINDS)} (got {defn!r})"
        )
    ((kind, arg),) = defn.items()
    if kind not in _DEFINITION_KINDS:
        raise ShapeParamError(str(kind), f"unknown shape kind {kind!r}; allowed: {', '.join(_DEFINITION_KINDS)}")
    if kind in ("rectangle", "ellipse", "capsule"):
        params = arg if isinstance(arg, dict) else {"aspect": arg}
        aspect = _number(params, "aspect", 2.0, 0.0, 100.0)
        if kind == "rectangle":
            return Box(0.5, 0.5 / aspect) if aspect >= 1 else Box(0.5 * aspect, 0.5)
        if kind == "ellipse":
            return Ellipse(0.5, 0.5 / aspect) if aspect >= 1 else Ellipse(0.5 * aspect, 0.5)
        if aspect < 1:
            raise ShapeParamError(f"{kind}.aspect", f"must be >= 1 (got {aspect!r})")
        r = 0.5 / aspect
        return Capsule(0.5 - r, r)
    if kind == "regular":
        n = arg.get("sides") if isinstance(arg, dict) else arg
        if isinstance(n, bool) or not isinstance(n, int) or not 3 <= n <= 64:
            raise ShapeParamError(kind, f"number of sides must be an integer in [3, 64] (got {n!r})")
        return _regular(n, kind=f"regular{n}")
    if kind == "star":
        params = arg if isinstance(arg, dict) else {"points": arg}
        points = params.get("points", 5)
        if isinstance(points, bool) or not isinstance(points, int) or not 3 <= points <= 32:
            raise ShapeParamError("star.points", f"must be an integer in [3, 32] (got {points!r})")
        inner = _number(params, "inner", 0.45, 0.0, 1.0)
        return _star(points, inner)
    if kind == "polygon":
        try:
            verts = np.asarray(arg, dtype=np.float64)
        except (TypeError, ValueError):
            verts = np.zeros((0,))
        if verts.ndim != 2 or verts.shape[1] != 2 or len(verts) < 3 or not np.all(np.isfinite(verts)):
            raise ShapeParamError("polygon", f"must be a list of at least 3 [x, y] vertices (got {arg!r})")
        x, y = verts[:, 0], verts[:, 1]
        area = 0.5 * abs(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1)))
        if area < 1e-6:
            raise ShapeParamError("polygon", f"vertices enclose no area (got {arg!r})")
        return Polygon(verts)
    return Bitmap.from_file(arg, base_dir)


class Bitmap(Shape):
    """A user mask (PNG) turned into a signed distance texture, sampled bilinearly.

    The longer side of the bitmap spans one unit. Distances come from an exact Euclidean distance transform
    of the thresholded mask, so edges stay anti-aliased at any scale.
    """

    PAD = 2

    def __init__(self, mask: np.ndarray, source: str, digest: str) -> None:
        from scipy.ndimage import distance_transform_edt

        self.kind = "bitmap"
        self.source = source
        self.digest = digest
        padded = np.pad(mask, self.PAD, constant_values=False)
        inside = distance_transform_edt(padded)
        outside = distance_transform_edt(~padded)
        # the outline lies half a pixel from the centres of the boundary pixels
        field = np.where(padded, -(inside - 0.5), outside - 0.5)
        h, w = mask.shape
        self.pixels_per_unit = float(max(h, w))
        self.field = (field / self.pixels_per_unit).astype(np.float32)
        self.half_w = w / 2.0 / self.pixels_per_unit
        self.half_h = h / 2.0 / self.pixels_per_unit
        self.radius = math.hypot(self.half_w, self.half_h)

    @classmethod
    def from_file(cls, path: object, base_dir: Path | None) -> Bitmap:
        from PIL import Image, UnidentifiedImageError

        if not isinstance(path, str) or not path:
            raise ShapeParamError("bitmap", f"must be a path to a PNG mask (got {path!r})")
        full = Path(path).expanduser()
        if not full.is_absolute() and base_dir is not None:
            full = base_dir / full
        try:
            raw = full.read_bytes()
            with Image.open(full) as img:
                img.load()
                if img.mode in ("RGBA", "LA") or (img.mode == "P" and "transparency" in img.info):
                    arr = np.asarray(img.convert("RGBA"))[..., 3]
                else:
                    arr = np.asarray(img.convert("L"))
        except (OSError, UnidentifiedImageError) as exc:
            raise ShapeParamError("bitmap", f"cannot read {str(full)!r} as an image ({exc})") from None
        mask = arr >= 128
        if not mask.any():
            raise ShapeParamError("bitmap", f"mask {str(full)!r} has no foreground pixels (alpha or grey value >= 128)")
        return cls(mask, str(path), hashlib.sha256(raw).hexdigest())

    def sdf(self, u: np.ndarray, v: np.ndarray) -> np.ndarray:
        fh, fw = self.field.shape
        ppu = np.float32(self.pixels_per_unit)
        # field pixel coordinates (pixel centres at integers), clamped to the field
        px = (u + np.float32(self.half_w)) * ppu + np.float32(self.PAD - 0.5)
        py = (v + np.float32(self.half_h)) * ppu + np.float32(self.PAD - 0.5)
        cx = np.clip(px, 0, fw - 1)
        cy = np.clip(py, 0, fh - 1)
        x0 = np.minimum(cx.astype(np.int32), fw - 2)
        y0 = np.minimum(cy.astype(np.int32), fh - 2)
        fx = cx - x0
        fy = cy - y0
        flat = self.field.ravel()
        i00 = y0 * fw + x0
        f00, f01 = flat[i00], flat[i00 + 1]
        f10, f11 = flat[i00 + fw], flat[i00 + fw + 1]
        top = f00 + (f01 - f00) * fx
        bottom = f10 + (f11 - f10) * fx
        inner = top + (bottom - top) * fy
        # beyond the padded field the distance keeps growing with the distance to the field
        beyond = _length(px - cx, py - cy) / ppu
        return inner + beyond

    def describe(self) -> dict:
        return {"kind": "bitmap", "source": self.source, "sha256": self.digest}
