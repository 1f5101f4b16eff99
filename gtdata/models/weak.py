"""Weak supervision on pairs (disentanglement_lib ``weak_vae.py``): which latents two posteriors share.

For a pair's two Gaussian posteriors (N, L) the aggregation replaces the *shared* latent dimensions of both by
an average posterior and keeps the others. ``keep`` masks are bool (N, L): True = the dimension keeps its own
posterior (it changed between the two images), False = it is replaced by the average.
"""

from __future__ import annotations

import torch

__all__ = [
    "AVERAGES",
    "pair_divergence",
    "adaptive_keep_mask",
    "label_keep_mask",
    "average_posterior",
    "aggregate",
]

AVERAGES = ("group", "ml")
# δ spreads at or below this are rounding noise (δ of genuinely changed latents is orders larger).
SPREAD_TOL = 1e-5


def pair_divergence(
    mean1: torch.Tensor, logvar1: torch.Tensor, mean2: torch.Tensor, logvar2: torch.Tensor
) -> torch.Tensor:
    """Per-dimension δ = v1/v2 + (μ2 − μ1)²/v2 − 1 + log v2 − log v1 = 2·KL(q1 ‖ q2); shape (N, L)."""
    inv_var2 = torch.exp(-logvar2)
    return torch.exp(logvar1) * inv_var2 + (mean2 - mean1).square() * inv_var2 - 1.0 + logvar2 - logvar1


def adaptive_keep_mask(delta: torch.Tensor) -> torch.Tensor:
    """Ada-GVAE's threshold: per row, keep the dims with δ ≥ τ = (min δ + max δ)/2, average the rest.

    This is the upper bin of the reference's 2-bin fixed-width histogram over [min δ, max δ]. A row whose δ
    are all equal (the reference leaves it undefined) has nothing to tell apart: all its dims are averaged.
    "Equal" allows a spread of ``SPREAD_TOL``: the encoder gives an image slightly different codes at different
    batch positions (blocked matrix products), so an identical pair has a δ of rounding noise, not zeros.
    """
    lo = delta.min(dim=1, keepdim=True).values
    hi = delta.max(dim=1, keepdim=True).values
    return (delta >= 0.5 * (lo + hi)) & (hi - lo > SPREAD_TOL)


def label_keep_mask(changed: torch.Tensor, num_latent: int) -> torch.Tensor:
    """GroupVAE/ML-VAE with known factors: latent i keeps its own posterior iff factor i changed.

    ``changed`` is bool (N, F) from the pair sampler; latent dims beyond F are always averaged. With one
    changed factor per pair this is the reference's ``one_hot(label)``.
    """
    n, num_factors = changed.shape
    if num_factors > num_latent:
        raise ValueError(
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
    raise ValueError(f"unknown posterior average {kind!r}; valid: {', '.join(AVERAGES)}")


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
