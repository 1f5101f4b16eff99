"""The names of the training methods and what kind each is: the one list that the trainer, the study specs, the
presets and the report read.

Kept apart from the torch code (:mod:`gtdata.models.methods` implements each name, and a test holds the two
together), so that validating a study spec or drawing its report loads no torch.
"""

from __future__ import annotations

__all__ = ["LABEL_METHODS", "METHOD_NAMES", "UNSUPERVISED_METHODS", "WEAK_METHODS"]

UNSUPERVISED_METHODS: tuple[str, ...] = (
    "beta_vae",
    "factor_vae",
    "dip_vae_i",
    "dip_vae_ii",
    "beta_tc_vae",
    "annealed_vae",
)
"""The unsupervised methods of the reference study (Locatello et al. 2019), in its order."""

WEAK_METHODS: tuple[str, ...] = ("ada_gvae", "ada_ml_vae", "group_vae", "ml_vae")
"""The weakly supervised methods (Locatello et al. 2020): they train on pairs of observations."""

LABEL_METHODS: tuple[str, ...] = ("group_vae", "ml_vae")
"""The weak methods told which factors changed in a pair (the adaptive ones estimate it)."""

METHOD_NAMES: tuple[str, ...] = UNSUPERVISED_METHODS + WEAK_METHODS
"""Every method a training config may name: the study's order, then the weakly supervised ones."""
