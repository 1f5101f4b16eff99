"""Lighting and display encoding: Lambert + Blinn-Phong with hard shadows, and explicit gamma.

All shading is in *linear* RGB. A surface point with unit normal n, seen along v (towards the camera), lit
by lights with unit direction l (towards the light), colour-times-intensity c_L and visibility s_L (0 when
a shadow ray towards the light is blocked, 1 otherwise) reflects

    albedo * (ambient + sum_L s_L * diffuse * max(0, n.l) * c_L)  +  sum_L s_L * [n.l > 0] * specular * max(0, n.h)^shininess * c_L

with h = (l + v) / |l + v| (Blinn 1977). The first term is linear in the albedo, which is what lets colour
factors recolour a cached geometry pass: the renderer stores its coefficient per surface (``A``) and the
white highlight (``B``) separately. Sky pixels emit the background colour (coefficient 1, no shading).

Encoding: the linear value is quantized to ``LEVELS`` steps, clipped to [0, 1], and mapped by a table to
8-bit display values: sRGB (IEC 61966-2-1), identity (``linear``) or v^(1/gamma). Anti-aliasing averages
samples in linear light, before encoding.
"""

from __future__ import annotations

import numpy as np

__all__ = ["LEVELS", "blinn_phong", "encoding_table", "srgb_encode"]

LEVELS = 16384  # linear light is quantized to 1/LEVELS before the 8-bit encoding table


def srgb_encode(c: np.ndarray) -> np.ndarray:
    """Linear [0, 1] -> sRGB-encoded [0, 1] (IEC 61966-2-1), float64."""
    c = np.asarray(c, dtype=np.float64)
    return np.where(c <= 0.0031308, 12.92 * c, 1.055 * np.power(np.maximum(c, 0.0031308), 1 / 2.4) - 0.055)


def encoding_table(gamma: str | float) -> np.ndarray:
    """(LEVELS + 1,) uint8: display value of linear light i / LEVELS, rounded half up."""
    lin = np.arange(LEVELS + 1, dtype=np.float64) / LEVELS
    if gamma == "srgb":
        enc = srgb_encode(lin)
    elif gamma == "linear":
        enc = lin
    else:
        enc = np.power(lin, 1.0 / float(gamma))
    return np.floor(enc * 255.0 + 0.5).clip(0, 255).astype(np.uint8)


def blinn_phong(xp, n, v, l, ndl, visible, colour, diffuse, specular, shininess):
    """One light's (diffuse coefficient, specular) contributions per ray and channel.

    Parameters
    ----------
    n, v, l : tuple of 3 arrays
        Unit normal, direction to the camera, direction to the light.
    ndl : array
        n . l (computed by the caller, which also needs it for the shadow test).
    visible : array of bool
        False where the shadow ray is blocked.
    colour : tuple of 3 arrays or floats
        Light colour times intensity, linear RGB.
    diffuse, specular, shininess : arrays or floats
        Material reflectances and the Blinn-Phong exponent.

    Returns
    -------
    (a, b) : two tuples of 3 arrays
        ``a``: the diffuse coefficient multiplying the albedo; ``b``: the white (light-coloured) highlight.
    """
    lit = visible & (ndl > 0)
    lam = xp.where(lit, ndl, 0.0) * diffuse
    hx, hy, hz = l[0] + v[0], l[1] + v[1], l[2] + v[2]
    norm = xp.sqrt(hx * hx + hy * hy + hz * hz)
    with xp.errstate():
        inv = xp.where(norm > 0, 1.0 / norm, xp.zeros_like(norm))
    ndh = (n[0] * hx + n[1] * hy + n[2] * hz) * inv
    ndh = xp.clamp(ndh, 0.0, 1.0)
    spec = xp.where(lit, xp.pow(ndh, shininess), 0.0) * specular
    return tuple(lam * c for c in colour), tuple(spec * c for c in colour)
