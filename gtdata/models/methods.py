"""The study's methods: the Gaussian VAE and one loss per method, selected by name.

Unsupervised methods take a batch ``{"x": (N, C, H, W)}``; weakly supervised ones take pairs
``{"x1", "x2": (N, C, H, W), "changed": bool (N, F)}``. ``Method.loss`` returns a dict of scalar tensors:
``"loss"`` is what the VAE minimises, the other entries are logged terms. Hyper-parameter names follow
disentanglement_lib (methods_metrics.md §2, §4).
"""

from __future__ import annotations

import math
from numbers import Real
from typing import Any, ClassVar

import torch
from torch import nn

from gtdata.core.errors import InvalidValueError
from gtdata.models import losses
from gtdata.models.architectures import FcDiscriminator, build_decoder, build_encoder
from gtdata.models.weak import adaptive_keep_mask, aggregate, label_keep_mask, pair_divergence

__all__ = ["METHODS", "VAE", "Method", "OptimGroup", "check_k", "make_method", "method_names"]


class VAE(nn.Module):
    """Gaussian encoder and logit decoder for observations of shape (H, W, C) with ``num_latent`` codes.

    The method (:class:`Method`) decides the loss; the VAE holds only the two networks.

    Parameters
    ----------
    architecture : {"conv", "fc"}
        Encoder/decoder pair: the study's convolutional one (64×64 observations) or the fully connected one.
    observation_shape : tuple of int, (H, W, C)
        Shape of one observation, channels last, as ``data.observation_shape`` gives it.
    num_latent : int, default 10
        Number of Gaussian latents L.

    Raises
    ------
    InvalidValueError
        If ``num_latent`` is not a positive integer, ``architecture`` is unknown, or the observation shape does
        not suit the architecture (``"conv"`` takes 64×64 only).

    See Also
    --------
    build_encoder, build_decoder : the networks it holds.
    make_method : the loss that trains it.

    Examples
    --------
    >>> import torch
    >>> from gtdata.models import VAE
    >>> vae = VAE("conv", (64, 64, 1), num_latent=10)
    >>> mean, logvar = vae.encode(torch.rand(4, 1, 64, 64))
    >>> tuple(mean.shape), tuple(vae.decode(mean).shape)
    ((4, 10), (4, 1, 64, 64))
    """

    def __init__(self, architecture: str, observation_shape: tuple[int, int, int], num_latent: int = 10) -> None:
        super().__init__()
        if not isinstance(num_latent, int) or isinstance(num_latent, bool) or num_latent < 1:
            raise InvalidValueError(f"num_latent must be a positive integer, got {num_latent!r}")
        self.architecture = architecture
        self.observation_shape = tuple(int(s) for s in observation_shape)
        self.num_latent = num_latent
        self.encoder = build_encoder(architecture, self.observation_shape, num_latent)
        self.decoder = build_decoder(architecture, self.observation_shape, num_latent)

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(N, C, H, W) in [0, 1] → (mean, logvar), each (N, num_latent)."""
        return self.encoder(x)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """(N, num_latent) → logits (N, C, H, W); apply a sigmoid for pixel values."""
        return self.decoder(z)


class OptimGroup:
    """One optimiser's share of a method: the loss key it minimises, its parameters and Adam's betas."""

    def __init__(self, name: str, loss_key: str, params: list[nn.Parameter], betas: tuple[float, float]) -> None:
        self.name, self.loss_key, self.params, self.betas = name, loss_key, params, betas


def _check_number(method: str, name: str, value: Any, *, integer: bool = False, positive: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(float(value)):
        raise InvalidValueError(f"{method}: hyper-parameter {name!r} must be a finite number, got {value!r}")
    if integer and float(value) != int(value):
        raise InvalidValueError(f"{method}: hyper-parameter {name!r} must be an integer, got {value!r}")
    if positive and value <= 0:
        raise InvalidValueError(f"{method}: hyper-parameter {name!r} must be > 0, got {value!r}")
    if value < 0:
        raise InvalidValueError(f"{method}: hyper-parameter {name!r} must be >= 0, got {value!r}")
    return int(value) if integer else float(value)


def check_k(method: str, k: Any) -> int | str | tuple[int, int]:
    """Normalise the pair hyper-parameter ``k``: an int >= 1, ``"random"`` (or the reference's −1), or (lo, hi)."""
    if isinstance(k, str):
        if k == "random":
            return k
    elif (
        isinstance(k, (list, tuple)) and len(k) == 2 and all(isinstance(v, int) and not isinstance(v, bool) for v in k)
    ):
        if 1 <= k[0] <= k[1]:
            return (int(k[0]), int(k[1]))
    elif isinstance(k, int) and not isinstance(k, bool):
        if k == -1:
            return "random"
        if k >= 1:
            return int(k)
    raise InvalidValueError(
        f"{method}: hyper-parameter 'k' must be an integer >= 1, 'random' (or -1, as in disentanglement_lib) "
        f"or a pair (lo, hi) with 1 <= lo <= hi; got {k!r}"
    )


class Method(nn.Module):
    """A training objective. Subclasses set ``name``, ``defaults`` and implement ``loss``.

    ``loss(vae, batch, step)`` returns a dict of scalar tensors; ``"loss"`` is what the VAE's optimiser
    minimises, the other entries are logged. Hyper-parameters are checked once, here: unknown names and
    non-finite, negative or (where the method says so) non-integer values are refused.

    Parameters
    ----------
    reconstruction : {"bernoulli", "l2"}, default "bernoulli"
        Reconstruction loss: Bernoulli cross-entropy on the decoder's logits (the study's), or squared error of
        their sigmoid. Both are summed over pixels and averaged over the batch.
    **hparams
        The method's hyper-parameters by their disentanglement_lib names (e.g. ``beta``, ``gamma``, ``k``);
        those not given take the class's ``defaults``.

    Raises
    ------
    InvalidValueError
        If a hyper-parameter is not one of the method's ``defaults``, a value is not a finite number >= 0 (or
        not an integer / not > 0 where the method needs it), ``k`` is not a valid pair setting, or
        ``reconstruction`` is unknown.

    See Also
    --------
    make_method : a method by name.
    method_names : the names.

    Examples
    --------
    >>> import torch
    >>> from gtdata.models import VAE, Method, make_method
    >>> method = make_method("beta_vae", beta=4.0)
    >>> isinstance(method, Method), method.hparams
    (True, {'beta': 4.0})
    >>> vae = VAE("fc", (16, 16, 1), num_latent=3)
    >>> method.build(vae)
    >>> terms = method.loss(vae, {"x": torch.rand(8, 1, 16, 16)}, step=0)
    >>> sorted(terms)
    ['elbo', 'kl', 'loss', 'reconstruction', 'regularizer']
    >>> terms["loss"].shape
    torch.Size([])
    """

    name: ClassVar[str]
    defaults: ClassVar[dict[str, Any]]
    weak: ClassVar[bool] = False
    # Hyper-parameters that must be integers / strictly positive.
    integer_hparams: ClassVar[tuple[str, ...]] = ()
    positive_hparams: ClassVar[tuple[str, ...]] = ()

    def __init__(self, reconstruction: str = "bernoulli", **hparams: Any) -> None:
        super().__init__()
        unknown = sorted(set(hparams) - set(self.defaults))
        if unknown:
            valid = ", ".join(sorted(self.defaults)) or "none"
            raise InvalidValueError(f"{self.name}: unknown hyper-parameter(s) {', '.join(unknown)}; valid: {valid}")
        if reconstruction not in losses.RECONSTRUCTIONS:
            raise InvalidValueError(
                f"unknown reconstruction loss {reconstruction!r}; valid: {', '.join(losses.RECONSTRUCTIONS)}"
            )
        self.reconstruction = reconstruction
        merged = {**self.defaults, **hparams}
        self.hparams: dict[str, Any] = {}
        for key, value in merged.items():
            if key == "k":
                self.hparams[key] = check_k(self.name, value)
            else:
                self.hparams[key] = _check_number(
                    self.name, key, value, integer=key in self.integer_hparams, positive=key in self.positive_hparams
                )

    def build(self, vae: VAE) -> None:
        """Create any modules that depend on the VAE's size (FactorVAE's discriminator)."""

    def optim_groups(self, vae: VAE) -> list[OptimGroup]:
        """The optimisers this method needs; the VAE's Adam uses the study's betas (0.9, 0.999)."""
        return [OptimGroup("vae", "loss", list(vae.parameters()), (0.9, 0.999))]

    def loss(self, vae: VAE, batch: dict[str, torch.Tensor], step: int) -> dict[str, torch.Tensor]:
        raise NotImplementedError


class _Unsupervised(Method):
    """recon + regularizer(mean, logvar, z, kl, step) on single images."""

    def loss(self, vae: VAE, batch: dict[str, torch.Tensor], step: int) -> dict[str, torch.Tensor]:
        x = batch["x"]
        mean, logvar = vae.encode(x)
        z = losses.reparameterize(mean, logvar)
        recon = losses.reconstruction_loss(self.reconstruction, vae.decode(z), x)
        kl = losses.gaussian_kl(mean, logvar).mean()
        terms = self.regularizer(mean, logvar, z, kl, step)
        terms["loss"] = recon + terms["regularizer"]
        terms["reconstruction"] = recon
        terms["kl"] = kl
        terms["elbo"] = -(recon + kl).detach()
        return terms

    def regularizer(
        self, mean: torch.Tensor, logvar: torch.Tensor, z: torch.Tensor, kl: torch.Tensor, step: int
    ) -> dict[str, torch.Tensor]:
        raise NotImplementedError


class BetaVAE(_Unsupervised):
    """β-VAE: regularizer β·KL."""

    name = "beta_vae"
    defaults = {"beta": 1.0}

    def regularizer(self, mean, logvar, z, kl, step):
        return {"regularizer": self.hparams["beta"] * kl}


class AnnealedVAE(_Unsupervised):
    """AnnealedVAE: γ·|KL − C(t)| with C(t) = min(c_max, c_max·t/iteration_threshold), t the 0-based step."""

    name = "annealed_vae"
    defaults = {"c_max": 25.0, "gamma": 1000.0, "iteration_threshold": 100000}
    integer_hparams = ("iteration_threshold",)
    positive_hparams = ("iteration_threshold",)

    def regularizer(self, mean, logvar, z, kl, step):
        capacity = losses.anneal(self.hparams["c_max"], step, self.hparams["iteration_threshold"])
        return {
            "regularizer": self.hparams["gamma"] * (kl - capacity).abs(),
            "capacity": kl.new_tensor(capacity),
        }


class FactorVAE(_Unsupervised):
    """FactorVAE: KL + γ·TC_D, with a discriminator trained by its own Adam (β1 0.5, β2 0.9) on the same batch.

    Step counting: one training step here is one iteration = one VAE update and one discriminator update
    computed from the same parameters. The reference increments TensorFlow's global step in both updates, so
    its ``training_steps=300000`` amounts to about 150,000 of these steps; pass ``steps=150000`` to match.
    """

    name = "factor_vae"
    defaults = {"gamma": 10.0}

    def build(self, vae: VAE) -> None:
        self.discriminator = FcDiscriminator(vae.num_latent)

    def optim_groups(self, vae: VAE) -> list[OptimGroup]:
        return super().optim_groups(vae) + [
            OptimGroup("discriminator", "discriminator_loss", list(self.discriminator.parameters()), (0.5, 0.9))
        ]

    def regularizer(self, mean, logvar, z, kl, step):
        z_shuffled = losses.shuffle_codes(z.detach())
        # One graph for both losses: the trainer differentiates "loss" w.r.t. the VAE's parameters only and
        # "discriminator_loss" w.r.t. the discriminator's only, as the reference's two minimize calls do.
        # Two passes rather than one on the concatenation, so the VAE's backward skips the shuffled half.
        tc, d_loss = losses.discriminator_terms(self.discriminator(z), self.discriminator(z_shuffled))
        return {"regularizer": kl + self.hparams["gamma"] * tc, "tc": tc.detach(), "discriminator_loss": d_loss}


class _DIPVAE(_Unsupervised):
    dip_type: ClassVar[str]

    def regularizer(self, mean, logvar, z, kl, step):
        cov = losses.dip_covariance(self.dip_type, mean, logvar)
        lambda_od = self.hparams["lambda_od"]
        penalty = losses.dip_penalty(cov, lambda_od, self.hparams["lambda_d_factor"] * lambda_od)
        return {"regularizer": kl + penalty, "dip_penalty": penalty.detach()}


class DIPVAEI(_DIPVAE):
    """DIP-VAE-I: KL + λ_od Σ_{i≠j} C_ij² + λ_d Σ (C_ii − 1)², C = Cov_batch(μ), λ_d = λ_d_factor·λ_od."""

    name = "dip_vae_i"
    defaults = {"lambda_od": 10.0, "lambda_d_factor": 10.0}
    dip_type = "i"


class DIPVAEII(_DIPVAE):
    """DIP-VAE-II: the same penalty on C = Cov_batch(μ) + diag(E_batch[exp(logvar)])."""

    name = "dip_vae_ii"
    defaults = {"lambda_od": 10.0, "lambda_d_factor": 1.0}
    dip_type = "ii"


class BetaTCVAE(_Unsupervised):
    """β-TCVAE: KL + (β − 1)·TC, TC the minibatch-weighted estimate on the batch's sampled codes."""

    name = "beta_tc_vae"
    defaults = {"beta": 6.0}

    def regularizer(self, mean, logvar, z, kl, step):
        tc = losses.total_correlation(z, mean, logvar)
        return {"regularizer": kl + (self.hparams["beta"] - 1.0) * tc, "tc": tc.detach()}


class _WeakVAE(Method):
    """Pairs (x1, x2): shared latents replaced by an average posterior; loss = ½ recon1 + ½ recon2 + β·(½ KL1 + ½ KL2)."""

    weak = True
    average: ClassVar[str]
    adaptive: ClassVar[bool]
    defaults = {"beta": 1.0, "k": 1}

    def loss(self, vae: VAE, batch: dict[str, torch.Tensor], step: int) -> dict[str, torch.Tensor]:
        x1, x2 = batch["x1"], batch["x2"]
        n = x1.shape[0]
        # One pass through the encoder and decoder for both halves of the pair.
        mean, logvar = vae.encode(torch.cat([x1, x2]))
        mean1, mean2, logvar1, logvar2 = mean[:n], mean[n:], logvar[:n], logvar[n:]
        if self.adaptive:
            identical = (x1 == x2).flatten(1).all(dim=1)
            keep = adaptive_keep_mask(pair_divergence(mean1, logvar1, mean2, logvar2), identical)
        else:
            keep = label_keep_mask(batch["changed"], vae.num_latent)
        mean1, logvar1, mean2, logvar2 = aggregate(self.average, keep, mean1, logvar1, mean2, logvar2)
        agg_mean, agg_logvar = torch.cat([mean1, mean2]), torch.cat([logvar1, logvar2])
        z = losses.reparameterize(agg_mean, agg_logvar)
        # Means over the concatenated 2N batch are the reference's ½·(term on x1) + ½·(term on x2).
        recon = losses.reconstruction_loss(self.reconstruction, vae.decode(z), torch.cat([x1, x2]))
        kl = losses.gaussian_kl(agg_mean, agg_logvar).mean()
        regularizer = self.hparams["beta"] * kl
        return {
            "loss": recon + regularizer,
            "reconstruction": recon,
            "kl": kl,
            "regularizer": regularizer,
            "elbo": -(recon + kl).detach(),
            "shared_dims": (~keep).sum(dim=1).float().mean(),
        }


class AdaGVAE(_WeakVAE):
    """Ada-GVAE: adaptive threshold on the pair divergence, GroupVAE (arithmetic) average."""

    name, average, adaptive = "ada_gvae", "group", True


class AdaMLVAE(_WeakVAE):
    """Ada-ML-VAE: adaptive threshold on the pair divergence, ML-VAE (product) average."""

    name, average, adaptive = "ada_ml_vae", "ml", True


class GroupVAE(_WeakVAE):
    """GroupVAE with known changed factors: latent i keeps its posterior iff factor i changed."""

    name, average, adaptive = "group_vae", "group", False


class MLVAE(_WeakVAE):
    """ML-VAE with known changed factors: latent i keeps its posterior iff factor i changed."""

    name, average, adaptive = "ml_vae", "ml", False


METHODS: dict[str, type[Method]] = {
    cls.name: cls
    for cls in (BetaVAE, FactorVAE, DIPVAEI, DIPVAEII, BetaTCVAE, AnnealedVAE, AdaGVAE, AdaMLVAE, GroupVAE, MLVAE)
}


def method_names() -> list[str]:
    """Names of all methods, in the study's order followed by the weakly supervised ones.

    Returns
    -------
    list of str
        The names :func:`make_method` and a training config's ``method`` accept
        (:data:`gtdata.models.vocabulary.METHOD_NAMES`).

    Examples
    --------
    >>> from gtdata.models import method_names
    >>> method_names()  # doctest: +NORMALIZE_WHITESPACE
    ['beta_vae', 'factor_vae', 'dip_vae_i', 'dip_vae_ii', 'beta_tc_vae', 'annealed_vae',
     'ada_gvae', 'ada_ml_vae', 'group_vae', 'ml_vae']
    """
    return list(METHODS)


def make_method(name: str, reconstruction: str = "bernoulli", **hparams: Any) -> Method:
    """Method ``name`` with its hyper-parameters (validated; unknown names raise with the valid list).

    Parameters
    ----------
    name : str
        One of :func:`method_names`, e.g. ``"beta_vae"`` or the weakly supervised ``"ada_gvae"``.
    reconstruction : {"bernoulli", "l2"}, default "bernoulli"
        Reconstruction loss (see :class:`Method`).
    **hparams
        Hyper-parameters by their disentanglement_lib names; the others keep the method's defaults.

    Returns
    -------
    Method
        The method's object; call ``build(vae)`` once before its first ``loss``.

    Raises
    ------
    InvalidValueError
        If ``name`` is not a method, or a hyper-parameter is unknown to it or out of range.

    Examples
    --------
    >>> from gtdata.models import make_method
    >>> method = make_method("ada_gvae", beta=2.0)
    >>> method.name, method.weak, method.hparams
    ('ada_gvae', True, {'beta': 2.0, 'k': 1})
    >>> make_method("beta_vae", gamma=4.0)
    Traceback (most recent call last):
    ...
    gtdata.core.errors.InvalidValueError: beta_vae: unknown hyper-parameter(s) gamma; valid: beta
    """
    if name not in METHODS:
        raise InvalidValueError(f"unknown method {name!r}; valid: {', '.join(METHODS)}")
    return METHODS[name](reconstruction=reconstruction, **hparams)
