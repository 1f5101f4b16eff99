"""Random number sources: one entry point for seeds, Generators and legacy RandomStates.

gtdata accepts an int seed, ``None``, a ``numpy.random.Generator`` or a ``numpy.random.RandomState``
wherever randomness is consumed. The disentanglement_lib-compatible methods draw from a RandomState in
that library's order, so the helpers below call the legacy API on RandomStates and the modern one on
Generators.

Streams (pairs, the batched torch stream) are *counter-based*: draw ``i`` of a seeded stream is a pure
function of ``(key, i)``. They are generated in fixed blocks of ``BLOCK`` rows, each block from its own
Philox generator keyed by ``(key, block index)``, so any slice of the stream is reproducible whatever
the batch size or the number of workers.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from gtdata.core.errors import InvalidTypeError, InvalidValueError

RNGLike = int | np.integer | None | np.random.Generator | np.random.RandomState
AnyRNG = np.random.Generator | np.random.RandomState

BLOCK = 256

# The salt of every counter-based stream, in one place: two streams keyed by the same seed draw independent
# numbers only if their salts differ (a salt is 8 bits). Environments use ENVIRONMENT_SALT + e for environment e.
SALTS = {
    "uniform": 1,
    "pairs": 2,
    "triplets": 3,
    "export_nuisance": 4,
    "weak_label": 5,
    "counterfactual": 6,
    "sequences": 7,
}
ENVIRONMENT_SALT = 16


def as_rng(rng: RNGLike) -> AnyRNG:
    """Return a Generator for an int seed or None, and pass Generators and RandomStates through."""
    if isinstance(rng, (np.random.Generator, np.random.RandomState)):
        return rng
    if rng is None or isinstance(rng, (int, np.integer)):
        if rng is not None and int(rng) < 0:
            raise InvalidValueError(f"seed must be a non-negative integer, got {rng}")
        return np.random.default_rng(None if rng is None else int(rng))
    raise InvalidTypeError(
        f"rng must be an int seed, None, numpy.random.Generator or RandomState, got {type(rng).__name__}"
    )


def randint(rng: AnyRNG, high, size) -> np.ndarray:
    """Uniform integers in [0, high) as int64; consumes a RandomState exactly like ``rs.randint``."""
    if isinstance(rng, np.random.RandomState):
        return np.asarray(rng.randint(high, size=size), dtype=np.int64)
    return rng.integers(0, high, size=size, dtype=np.int64)


def uniform(rng: AnyRNG, low, high, size) -> np.ndarray:
    """Uniform floats in [low, high) as float64 (both RNG kinds have the same ``uniform``)."""
    return rng.uniform(low, high, size=size)


def stream_key(rng: RNGLike) -> int:
    """A 63-bit stream key: an int seed is its own key; a Generator or RandomState is consumed for one."""
    if rng is None:
        rng = 0
    if isinstance(rng, (int, np.integer)):
        if int(rng) < 0:
            raise InvalidValueError(f"seed must be a non-negative integer, got {rng}")
        return int(rng)
    gen = as_rng(rng)
    return int(randint(gen, 2**63 - 1, None))


def block_rng(key: int, block: int, salt: int = 0) -> np.random.Generator:
    """The Generator of one block of a counter-based stream."""
    return np.random.Generator(np.random.Philox(key=[key & (2**64 - 1), (block << 8) | (salt & 0xFF)]))


def counter_draw(
    key: int, start: int, n: int, draw_block: Callable[[np.random.Generator, int], tuple], salt: int = 0
) -> tuple:
    """Rows ``start .. start+n-1`` of a counter-based stream.

    ``draw_block(gen, BLOCK)`` draws one whole block (a tuple of arrays with ``BLOCK`` leading rows, or
    ``None`` entries); blocks are concatenated and sliced, so row ``i`` depends on ``(key, i)`` only.
    """
    if start < 0:
        raise InvalidValueError(f"start must be >= 0, got {start}")
    first, last = start // BLOCK, (start + n - 1) // BLOCK
    parts = [draw_block(block_rng(key, b, salt), BLOCK) for b in range(first, last + 1)]
    offset = start - first * BLOCK
    out = []
    for column in zip(*parts):
        if column[0] is None:
            out.append(None)
        elif isinstance(column[0], dict):
            out.append({name: np.concatenate([c[name] for c in column])[offset : offset + n] for name in column[0]})
        else:
            out.append(np.concatenate(column)[offset : offset + n])
    return tuple(out)
