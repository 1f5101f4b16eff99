"""Samplers by name: how configs, study specs and the torch stream name them."""

from __future__ import annotations

import difflib
import importlib
from collections.abc import Mapping
from typing import Any

from gtdata.core.errors import InvalidValueError
from gtdata.core.sampler import Sampler

__all__ = ["SAMPLERS", "make_sampler", "sampler_names"]

# name -> "module:class"; imported on first use so that the causal samplers load only when asked for.
SAMPLERS: dict[str, str] = {
    "uniform": "gtdata.core.sampler:UniformSampler",
    "pairs": "gtdata.core.pairs:PairSampler",
    "triplets": "gtdata.core.pairs:TripletSampler",
    "counterfactual": "gtdata.causal.counterfactual:CounterfactualSampler",
    "environments": "gtdata.causal.environments:EnvironmentSampler",
    "sequences": "gtdata.causal.sequences:SequenceSampler",
}


def sampler_names() -> list[str]:
    """The names :func:`make_sampler` accepts.

    Returns
    -------
    list of str
        The registered sampler names, sorted.

    Examples
    --------
    >>> from gtdata.sampling import sampler_names
    >>> sampler_names()
    ['counterfactual', 'environments', 'pairs', 'sequences', 'triplets', 'uniform']
    """
    return sorted(SAMPLERS)


def make_sampler(spec: Sampler | str | Mapping[str, Any], **options: Any) -> Sampler:
    """A sampler from an instance, a name and options, or a mapping ``{"name": ..., **options}``.

    Parameters
    ----------
    spec : Sampler, str or mapping
        A ready sampler, a name from :func:`sampler_names`, or ``{"name": ..., **options}``.
    **options
        The sampler's options (with a name).

    Returns
    -------
    Sampler
        ``spec`` itself when it is a sampler, else a new sampler of that name built with the options.

    Raises
    ------
    InvalidValueError
        Options given with a ready sampler, a mapping without ``name``, an unknown name (the closest one is
        suggested) or an option the sampler does not take. The sampler's own checks raise their errors too
        (:class:`gtdata.causal.SCMError` for the causal samplers).

    Examples
    --------
    >>> make_sampler("pairs", k=2)
    PairSampler(k=2, mode='exact', share_nuisance=None)
    >>> make_sampler({"name": "uniform"})
    UniformSampler()
    """
    if isinstance(spec, Sampler):
        if options:
            raise InvalidValueError(
                f"options {sorted(options)} given with a ready sampler {spec!r}; pass one or the other"
            )
        return spec
    if isinstance(spec, Mapping):
        if "name" not in spec:
            raise InvalidValueError(
                f"a sampler mapping needs a 'name' (one of {sampler_names()}), got keys {sorted(spec)}"
            )
        options = {**{k: v for k, v in spec.items() if k != "name"}, **options}
        spec = spec["name"]
    if not isinstance(spec, str) or spec not in SAMPLERS:
        hint = difflib.get_close_matches(str(spec), SAMPLERS, n=1)
        extra = f" (did you mean {hint[0]!r}?)" if hint else ""
        raise InvalidValueError(f"unknown sampler {spec!r}{extra}; samplers are {sampler_names()}")
    module, cls = SAMPLERS[spec].split(":")
    factory = getattr(importlib.import_module(module), cls)
    try:
        return factory(**options)
    except TypeError as exc:
        raise InvalidValueError(f"sampler {spec!r}: {exc}") from None
