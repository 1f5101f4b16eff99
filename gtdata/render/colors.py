"""Colour parsing and HSV conversion for render specs."""

from __future__ import annotations

import math

import numpy as np

__all__ = ["NAMED_COLORS", "hsv_to_rgb", "parse_color"]

NAMED_COLORS: dict[str, tuple[float, float, float]] = {
    "white": (1.0, 1.0, 1.0),
    "black": (0.0, 0.0, 0.0),
    "gray": (0.5, 0.5, 0.5),
    "red": (1.0, 0.0, 0.0),
    "green": (0.0, 0.8, 0.0),
    "blue": (0.0, 0.3, 1.0),
    "yellow": (1.0, 0.9, 0.0),
    "cyan": (0.0, 0.9, 0.9),
    "magenta": (0.9, 0.0, 0.9),
    "orange": (1.0, 0.55, 0.0),
    "purple": (0.55, 0.1, 0.85),
    "pink": (1.0, 0.55, 0.7),
    "brown": (0.55, 0.3, 0.1),
}

_LUMA = np.array([0.299, 0.587, 0.114])


def parse_color(value: object, channels: int) -> tuple[np.ndarray | None, str]:
    """Turn a spec colour into a float64 array of ``channels`` values in [0, 1].

    Accepted: a number (grey), ``[r, g, b]``, a colour name from ``NAMED_COLORS`` or ``"#rrggbb"``.
    Returns ``(array, "")`` or ``(None, problem)`` so the caller can name the place in its error.
    """
    allowed = "a number in [0, 1], [r, g, b] with each in [0, 1], '#rrggbb' or one of " + ", ".join(NAMED_COLORS)
    rgb: np.ndarray | None = None
    if isinstance(value, bool):
        return None, f"colour {value!r} is not valid; allowed: {allowed}"
    if isinstance(value, (int, float)):
        if not math.isfinite(value) or not 0.0 <= value <= 1.0:
            return None, f"colour value {value!r} is out of range; allowed: {allowed}"
        return np.full(channels, float(value)), ""
    if isinstance(value, str):
        key = value.strip().lower()
        if key in NAMED_COLORS:
            rgb = np.array(NAMED_COLORS[key])
        elif len(key) == 7 and key.startswith("#"):
            try:
                rgb = np.array([int(key[i : i + 2], 16) / 255.0 for i in (1, 3, 5)])
            except ValueError:
                rgb = None
        if rgb is None:
            return None, f"unknown colour {value!r}; allowed: {allowed}"
    elif isinstance(value, (list, tuple)):
        ok = len(value) == 3 and all(
            isinstance(c, (int, float)) and not isinstance(c, bool) and math.isfinite(c) for c in value
        )
        if not ok:
            return None, f"colour {value!r} is not valid; allowed: {allowed}"
        rgb = np.array(value, dtype=np.float64)
        if np.any(rgb < 0) or np.any(rgb > 1):
            return None, f"colour {value!r} is out of range; allowed: {allowed}"
        if channels == 1 and not np.allclose(rgb, rgb[0]):
            return None, (
                f"colour {value!r} is RGB but the canvas has 1 channel; allowed: a number in [0, 1] "
                "(or set canvas.channels: 3)"
            )
    else:
        return None, f"colour {value!r} is not valid; allowed: {allowed}"
    if channels == 1:
        return np.array([float(_LUMA @ rgb)]), ""
    return rgb.astype(np.float64), ""


def hsv_to_rgb(h: np.ndarray, s: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Vectorized HSV -> RGB; h wraps modulo 1; inputs (N,) float64, output (N, 3) float64."""
    h = np.mod(h, 1.0) * 6.0
    i = np.floor(h).astype(np.int64) % 6
    f = h - np.floor(h)
    p = v * (1.0 - s)
    q = v * (1.0 - s * f)
    t = v * (1.0 - s * (1.0 - f))
    table = np.stack(
        [
            np.stack([v, t, p], axis=1),
            np.stack([q, v, p], axis=1),
            np.stack([p, v, t], axis=1),
            np.stack([p, q, v], axis=1),
            np.stack([t, p, v], axis=1),
            np.stack([v, p, q], axis=1),
        ],
        axis=0,
    )
    return table[i, np.arange(len(i))]
