"""Encoders, decoders and the FactorVAE discriminator of the disentanglement_lib study.

Layer sizes follow the study's ``conv_encoder`` / ``deconv_decoder`` (β-VAE paper, Table 1) and the fc
variants. Inputs are NCHW float tensors in [0, 1]; decoders return logits of the same shape. Weights are
initialised as TensorFlow's ``tf.layers`` defaults (Glorot-uniform kernels, zero biases) so that training
starts from the same distribution as the reference.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from gtdata.core.errors import InvalidValueError

__all__ = [
    "ARCHITECTURES",
    "ConvEncoder",
    "DeconvDecoder",
    "FcDecoder",
    "FcDiscriminator",
    "FcEncoder",
    "build_decoder",
    "build_encoder",
    "check_observation_shape",
]

# Names of the encoder/decoder pairs a config may ask for.
ARCHITECTURES = ("conv", "fc")


def _glorot_init(module: nn.Module) -> None:
    for layer in module.modules():
        if isinstance(layer, (nn.Linear, nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.xavier_uniform_(layer.weight)
            nn.init.zeros_(layer.bias)


class ConvEncoder(nn.Module):
    """Study ``conv_encoder``: 4 strided convs, dense 256, then linear heads for the mean and log-variance.

    Input (N, C, 64, 64) in [0, 1]; returns ``(mean, logvar)``, each (N, num_latent).

    Parameters
    ----------
    channels : int
        Number of image channels C (1 for dSprites, 3 for Shapes3D or MPI3D).
    num_latent : int, default 10
        Number of Gaussian latents L, the size of each head (the study uses 10).

    See Also
    --------
    DeconvDecoder : the matching decoder.
    build_encoder : choose the encoder for an observation shape.

    Examples
    --------
    >>> import torch
    >>> from gtdata.models import ConvEncoder
    >>> encoder = ConvEncoder(channels=1, num_latent=10)
    >>> mean, logvar = encoder(torch.rand(2, 1, 64, 64))
    >>> tuple(mean.shape), tuple(logvar.shape)
    ((2, 10), (2, 10))
    """

    def __init__(self, channels: int, num_latent: int = 10) -> None:
        super().__init__()
        # TF "same" padding: k4/s2 on an even input pads 1 on each side, k2/s2 pads nothing.
        self.features = nn.Sequential(
            nn.Conv2d(channels, 32, 4, stride=2, padding=1),
            nn.ReLU(),
            nn.Conv2d(32, 32, 4, stride=2, padding=1),
            nn.ReLU(),
            nn.Conv2d(32, 64, 2, stride=2),
            nn.ReLU(),
            nn.Conv2d(64, 64, 2, stride=2),
            nn.ReLU(),
            nn.Flatten(),
            nn.Linear(1024, 256),
            nn.ReLU(),
        )
        self.mean = nn.Linear(256, num_latent)
        self.logvar = nn.Linear(256, num_latent)
        _glorot_init(self)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = self.features(x)
        return self.mean(h), self.logvar(h)


class DeconvDecoder(nn.Module):
    """Study ``deconv_decoder``: dense 256, dense 1024 → 4×4×64, four transposed convs to (N, C, 64, 64) logits.

    Input latents (N, num_latent); the output are logits, apply a sigmoid for pixel values in [0, 1].

    Parameters
    ----------
    channels : int
        Number of image channels C of the output.
    num_latent : int, default 10
        Number of latents L the decoder takes.

    See Also
    --------
    ConvEncoder : the matching encoder.
    build_decoder : choose the decoder for an observation shape.

    Examples
    --------
    >>> import torch
    >>> from gtdata.models import DeconvDecoder
    >>> decoder = DeconvDecoder(channels=3, num_latent=10)
    >>> tuple(decoder(torch.zeros(2, 10)).shape)
    (2, 3, 64, 64)
    """

    def __init__(self, channels: int, num_latent: int = 10) -> None:
        super().__init__()
        self.dense = nn.Sequential(
            nn.Linear(num_latent, 256),
            nn.ReLU(),
            nn.Linear(256, 1024),
            nn.ReLU(),
        )
        self.deconv = nn.Sequential(
            nn.ConvTranspose2d(64, 64, 4, stride=2, padding=1),
            nn.ReLU(),
            nn.ConvTranspose2d(64, 32, 4, stride=2, padding=1),
            nn.ReLU(),
            nn.ConvTranspose2d(32, 32, 4, stride=2, padding=1),
            nn.ReLU(),
            nn.ConvTranspose2d(32, channels, 4, stride=2, padding=1),
        )
        _glorot_init(self)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        h = self.dense(z).view(-1, 64, 4, 4)
        return self.deconv(h)


class FcEncoder(nn.Module):
    """Study ``fc_encoder``: flatten → 1200 ReLU → 1200 ReLU → linear heads. Any (C, H, W) input.

    Input (N, C, H, W) in [0, 1]; returns ``(mean, logvar)``, each (N, num_latent).

    Parameters
    ----------
    shape_chw : tuple of int, (C, H, W)
        Shape of one observation, channels first.
    num_latent : int, default 10
        Number of Gaussian latents L, the size of each head.

    See Also
    --------
    FcDecoder : the matching decoder.
    build_encoder : choose the encoder for an observation shape.

    Examples
    --------
    >>> import torch
    >>> from gtdata.models import FcEncoder
    >>> encoder = FcEncoder((1, 28, 28), num_latent=4)
    >>> mean, logvar = encoder(torch.rand(5, 1, 28, 28))
    >>> tuple(mean.shape), tuple(logvar.shape)
    ((5, 4), (5, 4))
    """

    def __init__(self, shape_chw: tuple[int, int, int], num_latent: int = 10) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Flatten(),
            nn.Linear(math.prod(shape_chw), 1200),
            nn.ReLU(),
            nn.Linear(1200, 1200),
            nn.ReLU(),
        )
        self.mean = nn.Linear(1200, num_latent)
        self.logvar = nn.Linear(1200, num_latent)
        _glorot_init(self)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = self.features(x)
        return self.mean(h), self.logvar(h)


class FcDecoder(nn.Module):
    """Study ``fc_decoder``: 3 × (1200, tanh) → dense to the image size, reshaped to (N, C, H, W) logits.

    Parameters
    ----------
    shape_chw : tuple of int, (C, H, W)
        Shape of one output observation, channels first.
    num_latent : int, default 10
        Number of latents L the decoder takes.

    See Also
    --------
    FcEncoder : the matching encoder.
    build_decoder : choose the decoder for an observation shape.

    Examples
    --------
    >>> import torch
    >>> from gtdata.models import FcDecoder
    >>> decoder = FcDecoder((1, 28, 28), num_latent=4)
    >>> tuple(decoder(torch.zeros(5, 4)).shape)
    (5, 1, 28, 28)
    """

    def __init__(self, shape_chw: tuple[int, int, int], num_latent: int = 10) -> None:
        super().__init__()
        self.shape_chw = tuple(shape_chw)
        self.net = nn.Sequential(
            nn.Linear(num_latent, 1200),
            nn.Tanh(),
            nn.Linear(1200, 1200),
            nn.Tanh(),
            nn.Linear(1200, 1200),
            nn.Tanh(),
            nn.Linear(1200, math.prod(shape_chw)),
        )
        _glorot_init(self)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z).view(-1, *self.shape_chw)


class FcDiscriminator(nn.Module):
    """FactorVAE's ``fc_discriminator``: 6 × (1000, leaky ReLU α=0.2) → 2 logits (real, permuted).

    Input latent samples (N, num_latent); output logits (N, 2): column 0 for samples of the joint posterior,
    column 1 for samples whose dimensions were permuted across the batch (the product of marginals).

    Parameters
    ----------
    num_latent : int, default 10
        Number of latents L of the VAE whose total correlation it estimates.

    Examples
    --------
    >>> import torch
    >>> from gtdata.models import FcDiscriminator
    >>> discriminator = FcDiscriminator(num_latent=10)
    >>> tuple(discriminator(torch.zeros(3, 10)).shape)
    (3, 2)
    """

    def __init__(self, num_latent: int = 10) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        width = num_latent
        for _ in range(6):
            layers += [nn.Linear(width, 1000), nn.LeakyReLU(0.2)]
            width = 1000
        layers.append(nn.Linear(1000, 2))
        self.net = nn.Sequential(*layers)
        _glorot_init(self)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z)


def check_observation_shape(architecture: str, shape_hwc: tuple[int, ...]) -> None:
    """Raise ValueError unless ``architecture`` can take observations of shape (H, W, C)."""
    if architecture not in ARCHITECTURES:
        raise InvalidValueError(f"unknown architecture {architecture!r}; valid: {', '.join(ARCHITECTURES)}")
    if len(shape_hwc) != 3 or any(int(s) < 1 for s in shape_hwc):
        raise InvalidValueError(f"observation shape must be (height, width, channels), got {tuple(shape_hwc)}")
    if architecture == "conv" and tuple(shape_hwc[:2]) != (64, 64):
        raise InvalidValueError(
            f"the conv architecture takes 64×64×C observations, this data set has "
            f"{shape_hwc[0]}×{shape_hwc[1]}×{shape_hwc[2]}; resize the data or use architecture='fc'"
        )


def build_encoder(architecture: str, shape_hwc: tuple[int, int, int], num_latent: int) -> nn.Module:
    """Encoder for observations of shape (H, W, C) with ``num_latent`` Gaussian latents.

    Parameters
    ----------
    architecture : {"conv", "fc"}
        ``"conv"`` (the study's default; 64×64 observations only) or ``"fc"`` (any size).
    shape_hwc : tuple of int, (H, W, C)
        Shape of one observation as the data set gives it (``data.observation_shape``), channels last.
    num_latent : int
        Number of Gaussian latents L.

    Returns
    -------
    torch.nn.Module
        A :class:`ConvEncoder` or :class:`FcEncoder`; it maps (N, C, H, W) to ``(mean, logvar)``, each (N, L).

    Raises
    ------
    InvalidValueError
        If ``architecture`` is unknown, ``shape_hwc`` is not three positive sizes, or ``"conv"`` is asked for
        observations that are not 64×64.

    Examples
    --------
    >>> from gtdata.models import build_encoder
    >>> type(build_encoder("conv", (64, 64, 1), num_latent=10)).__name__
    'ConvEncoder'
    >>> type(build_encoder("fc", (32, 32, 3), num_latent=10)).__name__
    'FcEncoder'
    """
    check_observation_shape(architecture, shape_hwc)
    h, w, c = (int(s) for s in shape_hwc)
    if architecture == "conv":
        return ConvEncoder(c, num_latent)
    return FcEncoder((c, h, w), num_latent)


def build_decoder(architecture: str, shape_hwc: tuple[int, int, int], num_latent: int) -> nn.Module:
    """Decoder from ``num_latent`` codes to logits of shape (N, C, H, W).

    Parameters
    ----------
    architecture : {"conv", "fc"}
        ``"conv"`` (the study's default; 64×64 observations only) or ``"fc"`` (any size).
    shape_hwc : tuple of int, (H, W, C)
        Shape of one observation as the data set gives it, channels last.
    num_latent : int
        Number of latents L the decoder takes.

    Returns
    -------
    torch.nn.Module
        A :class:`DeconvDecoder` or :class:`FcDecoder`; it maps (N, L) to logits (N, C, H, W).

    Raises
    ------
    InvalidValueError
        If ``architecture`` is unknown, ``shape_hwc`` is not three positive sizes, or ``"conv"`` is asked for
        observations that are not 64×64.

    Examples
    --------
    >>> import torch
    >>> from gtdata.models import build_decoder
    >>> decoder = build_decoder("fc", (32, 32, 3), num_latent=5)
    >>> tuple(decoder(torch.zeros(2, 5)).shape)
    (2, 3, 32, 32)
    """
    check_observation_shape(architecture, shape_hwc)
    h, w, c = (int(s) for s in shape_hwc)
    if architecture == "conv":
        return DeconvDecoder(c, num_latent)
    return FcDecoder((c, h, w), num_latent)
