"""Object placement: yaw/pitch/roll (degrees) -> rotation matrices; world <-> local frames."""

from __future__ import annotations

import numpy as np

from gtdata.render.scene3d.camera import cos_sin_deg

__all__ = ["rotation_matrices", "to_local"]


def rotation_matrices(yaw: np.ndarray, pitch: np.ndarray, roll: np.ndarray) -> np.ndarray:
    """(N, 3, 3) float64 R = Ry(yaw) Rx(pitch) Rz(roll): a local point p sits at R p + centre in the world.

    Yaw turns about the vertical axis (counter-clockwise seen from above), pitch about x, roll about z.
    """
    cy, sy = cos_sin_deg(yaw)
    cp, sp = cos_sin_deg(pitch)
    cr, sr = cos_sin_deg(roll)
    n = len(cy)
    one, zero = np.ones(n), np.zeros(n)
    ry = np.stack([np.stack([cy, zero, sy], 1), np.stack([zero, one, zero], 1), np.stack([-sy, zero, cy], 1)], 1)
    rx = np.stack([np.stack([one, zero, zero], 1), np.stack([zero, cp, -sp], 1), np.stack([zero, sp, cp], 1)], 1)
    rz = np.stack([np.stack([cr, -sr, zero], 1), np.stack([sr, cr, zero], 1), np.stack([zero, zero, one], 1)], 1)
    return ry @ rx @ rz


def to_local(points: np.ndarray, centre: np.ndarray, rotation: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """World points (N, 3) -> local frames of N objects (centre (N, 3), rotation (N, 3, 3), scale (N,))."""
    rel = points - centre
    return np.einsum("nji,nj->ni", rotation, rel) / scale[:, None]
