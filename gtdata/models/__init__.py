"""The study's models: architectures, one loss per method, and the weakly supervised aggregation."""

from gtdata.models.architectures import (
    ARCHITECTURES,
    ConvEncoder,
    DeconvDecoder,
    FcDecoder,
    FcDiscriminator,
    FcEncoder,
    build_decoder,
    build_encoder,
)
from gtdata.models.methods import METHODS, VAE, Method, make_method, method_names

__all__ = [
    "ARCHITECTURES",
    "ConvEncoder",
    "DeconvDecoder",
    "FcEncoder",
    "FcDecoder",
    "FcDiscriminator",
    "build_encoder",
    "build_decoder",
    "METHODS",
    "VAE",
    "Method",
    "make_method",
    "method_names",
]
