"""Pinhole camera: orbit parameters -> position and basis; pixel positions -> primary ray directions.

The camera orbits ``look_at``: azimuth 0 puts it on the +z side looking towards -z, 90 on the +x side;
elevation 90 looks straight down; all angles in degrees. ``fov`` is the vertical field of view. Image rows
run top to bottom, columns left to right; pixel (i, j) covers [j, j+1) x [i, i+1) and its centre sample is
at (j + 0.5, i + 0.5).
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["camera_frames", "pixel_offsets", "subsample_offsets", "unit_from_angles"]


def cos_sin_deg(angle: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """cos and sin of angles in degrees, float64, via ``math`` once per distinct angle.

    numpy's vectorized transcendental loops may round differently in their SIMD body and tail; computing
    per distinct value keeps a camera independent of the batch it is rendered in (and equal for both backends).
    """
    uniq, inverse = np.unique(np.asarray(angle, dtype=np.float64), return_inverse=True)
    rad = [math.radians(a) for a in uniq.tolist()]
    cos = np.array([math.cos(a) for a in rad], dtype=np.float64)
    sin = np.array([math.sin(a) for a in rad], dtype=np.float64)
    return cos[inverse.ravel()], sin[inverse.ravel()]


def unit_from_angles(azimuth: np.ndarray, elevation: np.ndarray) -> np.ndarray:
    """(N, 3) unit vectors pointing at azimuth/elevation (degrees): az 0 is +z, az 90 is +x, el 90 is +y."""
    ca, sa = cos_sin_deg(azimuth)
    ce, se = cos_sin_deg(elevation)
    return np.stack([sa * ce, se, ca * ce], axis=1)


def camera_frames(azimuth, elevation, distance, fov, look_at, height: int) -> dict[str, np.ndarray]:
    """Per-image camera: ``position`` (N, 3), ``right``/``up``/``forward`` (N, 3), ``focal`` (N,) in pixels.

    Parameters
    ----------
    azimuth, elevation : array (N,)
        Orbit angles in degrees (|elevation| < 90).
    distance : array (N,)
        Distance from ``look_at`` in world units.
    fov : array (N,)
        Vertical field of view in degrees.
    look_at : array (N, 3)
        The point the camera looks at.
    height : int
        Image height in pixels (the focal length is height / 2 / tan(fov / 2)).
    """
    back = unit_from_angles(azimuth, elevation)
    position = look_at + back * np.asarray(distance, dtype=np.float64)[:, None]
    forward = -back
    # right = forward x world-up, normalised; up = right x forward
    right = np.stack([-forward[:, 2], np.zeros(len(forward)), forward[:, 0]], axis=1)
    right /= np.sqrt((right**2).sum(axis=1))[:, None]
    up = np.cross(right, forward)
    half = np.asarray(fov, dtype=np.float64) / 2
    uniq, inverse = np.unique(half, return_inverse=True)
    tan = np.array([math.tan(math.radians(a)) for a in uniq.tolist()])[inverse.ravel()]
    focal = (height / 2) / tan
    return {"position": position, "right": right, "up": up, "forward": forward, "focal": focal}


def pixel_offsets(height: int, width: int) -> tuple[np.ndarray, np.ndarray]:
    """Pixel-centre coordinates relative to the image centre: x right, y up; each (H * W,) float64."""
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float64)
    return (xs + 0.5 - width / 2).ravel(), (height / 2 - (ys + 0.5)).ravel()


def subsample_offsets(samples: int) -> np.ndarray:
    """(S, 2) sub-pixel offsets (dx right, dy up) of an m x m stratified grid, m = sqrt(samples)."""
    m = int(round(math.sqrt(samples)))
    g = (np.arange(m, dtype=np.float64) + 0.5) / m - 0.5
    dx, dy = np.meshgrid(g, -g)
    return np.stack([dx.ravel(), dy.ravel()], axis=1)
