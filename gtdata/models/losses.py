"""Loss terms of the study's VAE methods (disentanglement_lib ``vae.py`` / ``losses.py``), as torch functions.

Shapes: images are (N, C, H, W) with values in [0, 1] and decoder outputs are logits of the same shape;
latent tensors are (N, L). Per-sample terms return (N,); batch terms return a scalar tensor. Logarithms are
natural (nats).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from gtdata.core.errors import InvalidValueError

__all__ = [
    "RECONSTRUCTIONS",
    "anneal",
    "batch_covariance",
    "bernoulli_reconstruction",
    "dip_covariance",
    "dip_penalty",
    "discriminator_terms",
    "gaussian_kl",
    "gaussian_log_density",
    "l2_reconstruction",
    "reconstruction_loss",
    "reparameterize",
    "shuffle_codes",
    "total_correlation",
]

RECONSTRUCTIONS = ("bernoulli", "l2")
_LOG_2PI = math.log(2.0 * math.pi)


def bernoulli_reconstruction(logits: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """Batch mean of the per-sample sum over pixels of sigmoid cross-entropy(logits, x); x in [0, 1], not binarised."""
    return F.binary_cross_entropy_with_logits(logits, x, reduction="sum") / x.shape[0]


def l2_reconstruction(logits: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """Batch mean of the per-sample sum over pixels of (x − sigmoid(logits))²."""
    return (x - torch.sigmoid(logits)).square().sum() / x.shape[0]


def reconstruction_loss(kind: str, logits: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """Reconstruction term by name: ``"bernoulli"`` (the study's choice) or ``"l2"``."""
    if kind == "bernoulli":
        return bernoulli_reconstruction(logits, x)
    if kind == "l2":
        return l2_reconstruction(logits, x)
    raise InvalidValueError(f"unknown reconstruction loss {kind!r}; valid: {', '.join(RECONSTRUCTIONS)}")


def reparameterize(mean: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """Sample z = mean + exp(logvar / 2) · ε with ε ~ N(0, I) from torch's default generator."""
    return mean + torch.exp(0.5 * logvar) * torch.randn_like(mean)


def gaussian_kl(mean: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """Per-sample KL(N(mean, exp(logvar)) ‖ N(0, I)) = ½ Σ_l (μ² + exp(logvar) − logvar − 1); shape (N,)."""
    return 0.5 * (mean.square() + logvar.exp() - logvar - 1.0).sum(dim=-1)


def gaussian_log_density(z: torch.Tensor, mean: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """Elementwise log N(z; mean, exp(logvar)) = −½((z − μ)²/σ² + logvar + log 2π); broadcasts."""
    return -0.5 * ((z - mean).square() * torch.exp(-logvar) + logvar + _LOG_2PI)


def total_correlation(z: torch.Tensor, mean: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """β-TCVAE's minibatch-weighted TC estimate of q(z) from one batch (scalar).

    As in the reference, the normalising constants log(N·M) are left out: the value is shifted by
    (L − 1)·log(N·M) relative to the true TC, the gradient is unchanged. For i.i.d. N(0, 1) codes with
    mean 0 and logvar 0 it equals −(L − 1)·ln N exactly.
    """
    # log q(z_j | x_i) per dimension: (N_j, N_i, L).
    log_qz_prob = gaussian_log_density(z.unsqueeze(1), mean.unsqueeze(0), logvar.unsqueeze(0))
    log_qz_product = torch.logsumexp(log_qz_prob, dim=1).sum(dim=1)
    log_qz = torch.logsumexp(log_qz_prob.sum(dim=2), dim=1)
    return (log_qz - log_qz_product).mean()


def batch_covariance(x: torch.Tensor) -> torch.Tensor:
    """Biased covariance E[x xᵀ] − E[x]E[x]ᵀ over the batch of (N, L) rows; (L, L)."""
    centred = x - x.mean(dim=0, keepdim=True)
    return centred.T @ centred / x.shape[0]


def dip_covariance(kind: str, mean: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """DIP-VAE's covariance: Cov_batch(μ) for ``"i"``, plus diag(E_batch[exp(logvar)]) for ``"ii"``."""
    cov = batch_covariance(mean)
    if kind == "i":
        return cov
    if kind == "ii":
        return cov + torch.diag(logvar.exp().mean(dim=0))
    raise InvalidValueError(f"unknown DIP-VAE type {kind!r}; valid: i, ii")


def dip_penalty(cov: torch.Tensor, lambda_od: float, lambda_d: float) -> torch.Tensor:
    """λ_od · Σ_{i≠j} C_ij² + λ_d · Σ_i (C_ii − 1)² for an (L, L) covariance."""
    diag = torch.diagonal(cov)
    off_diag_sq = cov.square().sum() - diag.square().sum()
    return lambda_od * off_diag_sq + lambda_d * (diag - 1.0).square().sum()


def anneal(c_max: float, step: int, iteration_threshold: int) -> float:
    """AnnealedVAE's capacity C(t) = min(c_max, c_max · t / iteration_threshold) at training step t."""
    return min(float(c_max), float(c_max) * float(step) / float(iteration_threshold))


def shuffle_codes(z: torch.Tensor) -> torch.Tensor:
    """Permute each latent column independently within the batch (FactorVAE's sample of Π_l q(z_l))."""
    n, num_latent = z.shape
    perms = torch.argsort(torch.rand(num_latent, n, device=z.device), dim=1).T
    return torch.gather(z, 0, perms)


def discriminator_terms(logits_real: torch.Tensor, logits_shuffled: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """FactorVAE: (TC estimate, discriminator loss) from the discriminator's 2-way logits.

    TC = batch mean of logits[:, 0] − logits[:, 1] on the real codes; the discriminator loss is
    −(½ mean log p_real[:, 0] + ½ mean log p_shuffled[:, 1]) with probabilities clipped to [1e-6, 1 − 1e-6].
    """
    tc = (logits_real[:, 0] - logits_real[:, 1]).mean()
    p_real = torch.softmax(logits_real, dim=1).clamp(1e-6, 1.0 - 1e-6)
    p_shuffled = torch.softmax(logits_shuffled, dim=1).clamp(1e-6, 1.0 - 1e-6)
    d_loss = -(0.5 * p_real[:, 0].log().mean() + 0.5 * p_shuffled[:, 1].log().mean())
    return tc, d_loss
