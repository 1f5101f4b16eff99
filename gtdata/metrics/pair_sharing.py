"""Pair sharing: how much a representation encodes two given factors in the same latent.

Träuble et al. (ICML 2021) found that models trained on data whose factors a and b are correlated tend to
encode them together: a latent that moves with a also moves with b. This metric measures exactly that on
data where a and b vary independently (evaluate on the uncorrelated distribution): for every latent j the
absolute Spearman correlations ``|ρ(z_j, a)|`` and ``|ρ(z_j, b)|``; the score is the largest
``min(|ρ(z_j, a)|, |ρ(z_j, b)|)`` over latents — 0 when every latent follows at most one of the two factors,
about 0.7 for a latent that is the sum of two independent, equally scaled factors, 1 only if a and b are
themselves perfectly correlated. It is a diagnostic for studies of correlated data, not one of the study's
disentanglement scores.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from gtdata.core.errors import InvalidValueError
from gtdata.core.rng import RNGLike
from gtdata.metrics._checks import check_factors, check_latents
from gtdata.metrics.mcc import correlation_matrix
from gtdata.metrics.sampling import DEFAULT_ENCODE_BATCH_SIZE, prepare, sample_latents

__all__ = ["check_pair", "compute_pair_sharing", "pair_sharing"]


def check_pair(pair: Any, num_factors: int) -> tuple[int, int]:
    """Two distinct factor positions in 0 … num_factors−1, or a ValueError naming the option."""
    if (
        not isinstance(pair, (list, tuple))
        or len(pair) != 2
        or not all(isinstance(p, (int, np.integer)) and not isinstance(p, bool) for p in pair)
    ):
        raise InvalidValueError(f"pair_sharing needs option pair: two factor positions, e.g. [3, 4]; got {pair!r}")
    a, b = int(pair[0]), int(pair[1])
    if not (0 <= a < num_factors and 0 <= b < num_factors) or a == b:
        raise InvalidValueError(
            f"pair_sharing: pair must be two different factor positions in 0..{num_factors - 1}, got {list(pair)}"
        )
    return a, b


def pair_sharing(latents: np.ndarray, factors: np.ndarray, pair: Sequence[int]) -> dict[str, float]:
    """Pair sharing of ``latents`` (N, L) for the factor columns ``pair`` of ``factors`` (N, F).

    Returns
    -------
    dict
        ``pair_sharing`` (the score), ``latent`` (the latent that attains it) and ``best_a`` / ``best_b``
        (the largest ``|ρ|`` of any latent with each factor). ``evaluate`` prefixes them with ``pair_sharing.``.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> f = rng.integers(0, 10, (2000, 2))
    >>> round(pair_sharing(f.astype(float), f, (0, 1))["pair_sharing"], 1)      # one latent per factor
    0.0
    >>> round(pair_sharing(f.sum(1, keepdims=True) * 1.0, f, (0, 1))["pair_sharing"], 1)   # one for both
    0.7
    """
    latents = check_latents(latents, "latents")
    # other factors may be held fixed (a study of one pair on one object); the pair itself must vary
    factors = check_factors(factors, latents.shape[0], require_varying=False)
    a, b = check_pair(pair, factors.shape[1])
    for pos in (a, b):
        if np.unique(factors[:, pos]).size < 2:
            raise InvalidValueError(
                f"pair_sharing: factor {pos} of the pair takes a single value in these "
                f"{factors.shape[0]} points; both factors of the pair must vary"
            )
    rho = np.abs(correlation_matrix(latents, factors[:, [a, b]], method="spearman"))
    both = np.minimum(rho[:, 0], rho[:, 1])
    j = int(np.argmax(both))
    return {
        "pair_sharing": float(both[j]),
        "latent": float(j),
        "best_a": float(rho[:, 0].max()),
        "best_b": float(rho[:, 1].max()),
    }


def compute_pair_sharing(
    data: object,
    representation: object,
    random_state: RNGLike = None,
    num_train: int = 10000,
    pair: Sequence[int] | None = None,
    encode_batch_size: int = DEFAULT_ENCODE_BATCH_SIZE,
) -> dict[str, float]:
    """Pair sharing on ``num_train`` draws from ``data`` (draw from the uncorrelated distribution)."""
    rep, rng = prepare(data, representation, random_state)
    latents, factors = sample_latents(data, rep, num_train, rng, encode_batch_size)
    return pair_sharing(latents, factors, pair)
