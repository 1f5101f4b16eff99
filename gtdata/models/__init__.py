"""The study's models: architectures, one loss per method, and the weakly supervised aggregation."""

from __future__ import annotations

import importlib
from typing import Any

# name -> defining module, imported on first use (PEP 562): the method vocabulary
# (:mod:`gtdata.models.vocabulary`) is read by the study without loading torch.
_EXPORTS = {
    "ARCHITECTURES": "architectures",
    "ConvEncoder": "architectures",
    "DeconvDecoder": "architectures",
    "FcDecoder": "architectures",
    "FcDiscriminator": "architectures",
    "FcEncoder": "architectures",
    "build_decoder": "architectures",
    "build_encoder": "architectures",
    "METHODS": "methods",
    "VAE": "methods",
    "Method": "methods",
    "make_method": "methods",
    "method_names": "methods",
}


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'gtdata.models' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"gtdata.models.{_EXPORTS[name]}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))


__all__ = [
    "ARCHITECTURES",
    "METHODS",
    "VAE",
    "ConvEncoder",
    "DeconvDecoder",
    "FcDecoder",
    "FcDiscriminator",
    "FcEncoder",
    "Method",
    "build_decoder",
    "build_encoder",
    "make_method",
    "method_names",
]
