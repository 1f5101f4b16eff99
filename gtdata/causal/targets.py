"""Intervention targets: which nodes an intervention acts on, given as "random", a name or a list."""

from __future__ import annotations

from typing import Any

import numpy as np

from .scm import SCM, SCMError


def resolve_targets(scm: SCM, targets: Any) -> list[int] | None:
    """Factor positions of fixed targets, or None for ``"random"`` (one changeable node per row)."""
    sizes = scm.factor_space.sizes
    if isinstance(targets, str) and targets == "random":
        if not (sizes > 1).any():
            raise SCMError("targets='random': no factor has more than one value to intervene on")
        return None
    names = [targets] if isinstance(targets, str) else list(targets) if isinstance(targets, (list, tuple)) else None
    if not names:
        raise SCMError(f"targets must be 'random', a factor name or a non-empty list of names, got {targets!r}")
    positions = []
    for name in names:
        try:
            pos = scm.factor_space.index(name)
        except ValueError as exc:
            raise SCMError(f"targets: {exc}") from None
        if sizes[pos] < 2:
            raise SCMError(f"targets: {name!r} has a single value, so no intervention can change it")
        positions.append(pos)
    if len(set(positions)) != len(positions):
        raise SCMError(f"targets: {names} names a factor twice")
    return positions


def target_mask(sizes: np.ndarray, positions: list[int] | None, gen: np.random.Generator, size: int) -> np.ndarray:
    """(size, F) bool: the targets of each row (one uniform changeable node per row for ``None``)."""
    mask = np.zeros((size, sizes.size), dtype=bool)
    if positions is None:
        changeable = np.flatnonzero(sizes > 1)
        mask[np.arange(size), changeable[gen.integers(0, changeable.size, size)]] = True
    else:
        mask[:, positions] = True
    return mask


def new_codes(
    codes: np.ndarray, mask: np.ndarray, sizes: np.ndarray, gen: np.random.Generator, intervention: str
) -> np.ndarray:
    """(n, F) codes for the targets (−1 elsewhere): a different value ("uniform") or any value ("resample")."""
    r = gen.random(codes.shape)
    if intervention == "uniform":
        new = (codes + 1 + (r * (sizes - 1)).astype(np.int64)) % sizes
    else:
        new = np.minimum((r * sizes).astype(np.int64), sizes - 1)
    return np.where(mask, new, -1)


def check_intervention(intervention: Any) -> str:
    if intervention not in ("uniform", "resample"):
        raise SCMError(
            f"intervention must be 'uniform' (the target takes a different value, drawn uniformly) or "
            f"'resample' (a fresh uniform value, which may equal the old one), got {intervention!r}"
        )
    return intervention
