"""Weak supervision on pairs (disentanglement_lib ``weak_vae.py``): which latents two posteriors share.

For a pair's two Gaussian posteriors (N, L) the aggregation replaces the *shared* latent dimensions of both by
an average posterior and keeps the others. ``keep`` masks are bool (N, L): True = the dimension keeps its own
posterior (it changed between the two images), False = it is replaced by the average.
"""

from __future__ import annotations

import torch

from gtdata.core.errors import InvalidValueError

__all__ = [
    "AVERAGES",
    "adaptive_keep_mask",
    "aggregate",
    "average_posterior",
    "label_keep_mask",
    "pair_divergence",
]

AVERAGES = ("group", "ml")


def pair_divergence(
    mean1: torch.Tensor, logvar1: torch.Tensor, mean2: torch.Tensor, logvar2: torch.Tensor
) -> torch.Tensor:
    """Per-dimension δ = v1/v2 + (μ2 − μ1)²/v2 − 1 + log v2 − log v1 = 2·KL(q1 ‖ q2); shape (N, L).

    Computed as the reference's ``compute_kl`` (a quotient of the two variances), so two identical posteriors
    give δ = 0 exactly, which the threshold below relies on.
    """
    var1, var2 = torch.exp(logvar1), torch.exp(logvar2)
    return var1 / var2 + (mean2 - mean1).square() / var2 - 1.0 + logvar2 - logvar1


def adaptive_keep_mask(delta: torch.Tensor, identical: torch.Tensor | None = None) -> torch.Tensor:
    """Ada-GVAE's threshold: per row, keep the dims in the upper bin of a 2-bin histogram of δ over [min, max].

    The reference's ``aggregate_argmax``: ``tf.histogram_fixed_width_bins(δ, [min δ, max δ], nbins=2)`` puts a
    dim in bin ⌊2·(δ − min)/(max − min)⌋ (clipped to 0..1); bin 1 keeps its own posterior, bin 0 is averaged.
    This is that arithmetic, so every row with max > min is split as in the reference, however small the
    spread. A row with max = min divides 0 by 0; the NaN bin is never 1, so the reference averages all of its
    dims, and so does this. That row is an identical pair: two identical posteriors give δ = 0 exactly (see
    :func:`pair_divergence`), as the reference's two separate encoder passes do. ``identical`` (bool (N,),
    optional) marks pairs of identical observations, which are averaged whole even if the encoder's one
    pass over both halves rounds the copies differently on some device.

    Examples
    --------
    >>> adaptive_keep_mask(torch.tensor([[0.0, 0.1], [0.0, 3e-7], [2.0, 2.0]])).tolist()
    [[False, True], [False, True], [False, False]]
    """
    lo = delta.min(dim=1, keepdim=True).values
    hi = delta.max(dim=1, keepdim=True).values
    keep = torch.floor(2.0 * ((delta - lo) / (hi - lo))) >= 1
    if identical is not None:
        keep &= ~identical.reshape(-1, 1)
    return keep


def label_keep_mask(changed: torch.Tensor, num_latent: int) -> torch.Tensor:
    """GroupVAE/ML-VAE with known factors: latent i keeps its own posterior iff factor i changed.

    ``changed`` is bool (N, F) from the pair sampler; latent dims beyond F are always averaged. With one
    changed factor per pair this is the reference's ``one_hot(label)``.
    """
    n, num_factors = changed.shape
    if num_factors > num_latent:
        raise InvalidValueError(
            f"label aggregation ties latent i to factor i and needs num_latent >= the number of factors "
            f"({num_factors}), got num_latent={num_latent}"
        )
    keep = torch.zeros(n, num_latent, dtype=torch.bool, device=changed.device)
    keep[:, :num_factors] = changed
    return keep


def average_posterior(
    kind: str, mean1: torch.Tensor, logvar1: torch.Tensor, mean2: torch.Tensor, logvar2: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """Average of the two posteriors: ``"group"`` (GroupVAE arithmetic mean) or ``"ml"`` (ML-VAE product).

    group: μ̄ = (μ1 + μ2)/2, v̄ = (v1 + v2)/2.  ml: v̄ = 2 v1 v2 / (v1 + v2), μ̄ = (μ1 v2 + μ2 v1)/(v1 + v2).
    Returns (mean, logvar).
    """
    var1, var2 = logvar1.exp(), logvar2.exp()
    if kind == "group":
        return 0.5 * (mean1 + mean2), torch.log(0.5 * (var1 + var2))
    if kind == "ml":
        total = var1 + var2
        return (mean1 * var2 + mean2 * var1) / total, torch.log(2.0 * var1 * var2 / total)
    raise InvalidValueError(f"unknown posterior average {kind!r}; valid: {', '.join(AVERAGES)}")


def aggregate(
    kind: str,
    keep: torch.Tensor,
    mean1: torch.Tensor,
    logvar1: torch.Tensor,
    mean2: torch.Tensor,
    logvar2: torch.Tensor,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Replace the dims where ``keep`` is False by the ``kind`` average; returns (mean1, logvar1, mean2, logvar2)."""
    avg_mean, avg_logvar = average_posterior(kind, mean1, logvar1, mean2, logvar2)
    return (
        torch.where(keep, mean1, avg_mean),
        torch.where(keep, logvar1, avg_logvar),
        torch.where(keep, mean2, avg_mean),
        torch.where(keep, logvar2, avg_logvar),
    )
