"""Training configuration: one dataclass, read from and written to YAML.

A config names the data set (registry name, path, or a mapping: ``{"name": ..., **factory kwargs}`` or a
render spec), the method and its hyper-parameters, and the study's training protocol (batch 64, Adam 1e-4,
10 latents, conv architecture, Bernoulli reconstruction). ``identity()`` is the part that defines a run's
results; the rest (device, threads, logging cadence, speed options) may change when a run is resumed.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from numbers import Real
from pathlib import Path
from typing import Any

import yaml

from gtdata.core.errors import InvalidValueError
from gtdata.core.kinds import register_kind
from gtdata.core.persist import to_plain
from gtdata.models.architectures import ARCHITECTURES
from gtdata.models.losses import RECONSTRUCTIONS
from gtdata.models.methods import METHODS, make_method
from gtdata.store import yamlio

__all__ = ["IDENTITY_FIELDS", "KIND", "LABEL_MODES", "PAIR_MODES", "PRECISIONS", "TrainConfig"]

#: The ``kind:`` of a run directory's ``config.yaml`` (and of a config file given to ``gtdata train``).
KIND = "run_config"

PAIR_MODES = ("exact", "reference")
"""Weak methods' pairs: exactly k factors change, or disentanglement_lib's ``simple_dynamics``."""
LABEL_MODES = ("all", "last")
"""Label methods' labels: every resampled factor, or only the last one (disentanglement_lib's weak label)."""
DEVICES_HELP = "'auto', 'cpu', 'cuda' or 'cuda:N'"
PRECISIONS = ("fp32", "bf16")
"""Training arithmetic: float32 throughout, or the networks' forward passes under bfloat16 autocast (the losses,
gradients' accumulation, Adam and the stored parameters stay float32)."""
IDENTITY_FIELDS = (
    "data",
    "method",
    "hparams",
    "steps",
    "batch_size",
    "lr",
    "seed",
    "num_latent",
    "architecture",
    "reconstruction",
    "pair_mode",
    "label_mode",
)


@dataclass
class TrainConfig:
    """Everything a training run needs. ``hparams`` holds the method's hyper-parameters (reference names).

    Validated on construction; missing hyper-parameters are filled with the method's defaults, so two
    configs that train the same run compare equal. :func:`gtdata.train` builds one from its keywords, and
    ``config.yaml`` in a run directory is its :meth:`to_yaml`.

    Parameters
    ----------
    data : str or mapping
        A registry name (``"dsprites_like"``), a path, or a mapping ``{"name": ..., **options}`` (or a render
        spec). GroundTruthData objects go to :func:`gtdata.train` instead.
    method : str, default "beta_vae"
        One of :data:`gtdata.models.METHODS`: ``beta_vae``, ``factor_vae``, ``dip_vae_i``, ``dip_vae_ii``,
        ``beta_tc_vae``, ``annealed_vae`` (unsupervised) or ``ada_gvae``, ``ada_ml_vae``, ``group_vae``,
        ``ml_vae`` (weakly supervised, trained on pairs).
    hparams : dict, optional
        The method's hyper-parameters by the reference's names (``beta``, ``c_max``, ``gamma``, ``k``...).
    steps : int, default 300000
        Optimizer steps.
    batch_size : int, default 64
        Observations (or pairs) per step.
    lr : float, default 1e-4
        Adam learning rate.
    seed : int, default 0
        Seed of the weights and of every batch.
    num_latent : int, default 10
        Size of the latent code.
    architecture : {"conv", "fc"}, default "conv"
        The study's convolutional encoder/decoder (64x64 observations) or the fully connected one.
    reconstruction : {"bernoulli", "l2"}, default "bernoulli"
        Reconstruction loss.
    pair_mode : {"exact", "reference"}, default "exact"
        Weak methods: exactly k factors change within a pair, or disentanglement_lib's pair sampling.
    label_mode : {"all", "last"}, default "all"
        GroupVAE / ML-VAE: told every resampled factor, or only the last one (disentanglement_lib's label).
    sampler : str or mapping, optional
        Weak methods only: another pair sampler, ``{"name": "counterfactual" | "pairs", ...options}``.
    device : str, default "auto"
        ``"auto"`` (CUDA when available), ``"cpu"``, ``"cuda"`` or ``"cuda:N"``.
    threads : int, optional
        Torch CPU threads for this run; default torch's setting.
    log_every : int, default 100
        Steps between lines of ``log.jsonl``.
    checkpoint_every : int, default 1000
        Steps between checkpoints (a killed run resumes from the last one).
    channels_last : bool, default True
        NHWC convolutions (faster on CPU; same results up to float rounding).
    compile : bool, default False
        ``torch.compile`` the encoder and decoder.
    precision : {"fp32", "bf16"}, default "fp32"
        ``"bf16"``: forward passes under bfloat16 autocast (opt-in mixed precision; losses, Adam and the
        stored parameters stay float32). ``"fp32"`` is the study's arithmetic.

    Raises
    ------
    InvalidValueError
        From :meth:`validate`, on construction, naming the field, the value and what is allowed (a
        ValueError).

    Examples
    --------
    >>> config = TrainConfig(data="dsprites_like", method="ada_gvae", steps=1000)
    >>> config.weak, config.hparams  # defaults filled in
    (True, {'beta': 1.0, 'k': 1})
    >>> for line in TrainConfig(data="toy", hparams={"beta": 4}).to_yaml().splitlines()[:5]:
    ...     print(line)
    kind: run_config
    data: toy
    method: beta_vae
    hparams:
      beta: 4.0
    >>> try:
    ...     TrainConfig(data="toy", method="vae")
    ... except ValueError as err:
    ...     print(err)
    unknown method 'vae'; valid: beta_vae, factor_vae, dip_vae_i, dip_vae_ii, beta_tc_vae, annealed_vae, ...
    """

    data: Any
    method: str = "beta_vae"
    hparams: dict[str, Any] = field(default_factory=dict)
    steps: int = 300_000
    batch_size: int = 64
    lr: float = 1e-4
    seed: int = 0
    num_latent: int = 10
    architecture: str = "conv"
    reconstruction: str = "bernoulli"
    pair_mode: str = "exact"
    label_mode: str = "all"
    sampler: Any = None
    device: str = "auto"
    threads: int | None = None
    log_every: int = 100
    checkpoint_every: int = 1000
    channels_last: bool = True
    compile: bool = False
    precision: str = "fp32"

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """Check every field; raise ValueError naming the field and what is allowed. Fills hparam defaults."""
        if isinstance(self.data, (str, Path)):
            if not str(self.data):
                raise InvalidValueError(
                    "data must name a data set, a path, or be a mapping (name + options, or a render spec)"
                )
            self.data = str(self.data)
        elif not isinstance(self.data, Mapping):
            raise InvalidValueError(
                f"data must be a data set name, a path or a mapping (name + options, or a render spec); "
                f"got {type(self.data).__name__} (pass GroundTruthData objects to gtdata.train directly)"
            )
        if self.method not in METHODS:
            raise InvalidValueError(f"unknown method {self.method!r}; valid: {', '.join(METHODS)}")
        if not isinstance(self.hparams, Mapping):
            raise InvalidValueError(
                f"hparams must be a mapping of hyper-parameter names to values, got {self.hparams!r}"
            )
        resolved = make_method(self.method, self.reconstruction, **dict(self.hparams)).hparams
        self.hparams = {k: list(v) if isinstance(v, tuple) else v for k, v in resolved.items()}
        for name in ("steps", "batch_size", "num_latent", "log_every", "checkpoint_every"):
            _positive_int(name, getattr(self, name))
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or self.seed < 0:
            raise InvalidValueError(f"seed must be a non-negative integer, got {self.seed!r}")
        if isinstance(self.lr, bool) or not isinstance(self.lr, Real) or not (math.isfinite(self.lr) and self.lr > 0):
            raise InvalidValueError(f"lr must be a positive number, got {self.lr!r}")
        self.lr = float(self.lr)
        if self.architecture not in ARCHITECTURES:
            raise InvalidValueError(f"unknown architecture {self.architecture!r}; valid: {', '.join(ARCHITECTURES)}")
        if self.reconstruction not in RECONSTRUCTIONS:
            raise InvalidValueError(
                f"unknown reconstruction loss {self.reconstruction!r}; valid: {', '.join(RECONSTRUCTIONS)}"
            )
        if self.pair_mode not in PAIR_MODES:
            raise InvalidValueError(f"unknown pair_mode {self.pair_mode!r}; valid: {', '.join(PAIR_MODES)}")
        if self.label_mode not in LABEL_MODES:
            raise InvalidValueError(f"unknown label_mode {self.label_mode!r}; valid: {', '.join(LABEL_MODES)}")
        if self.sampler is not None:
            if not METHODS[self.method].weak:
                raise InvalidValueError(
                    f"sampler draws the pairs of weakly supervised methods; {self.method} trains on "
                    f"single images (give data a distribution instead: "
                    f"data: {{name: ..., distribution: ...}})"
                )
            if isinstance(self.sampler, str):
                self.sampler = {"name": self.sampler}
            if not isinstance(self.sampler, Mapping) or "name" not in self.sampler:
                raise InvalidValueError(
                    f"sampler must be a mapping {{name: pairs | counterfactual, ...options}}, got {self.sampler!r}"
                )
            # an SCM object is stored as its YAML form, so the config file says which model drew the pairs
            self.sampler = to_plain(
                {
                    k: v.to_dict() if hasattr(v, "to_dict") and hasattr(v, "log_prob") else v
                    for k, v in self.sampler.items()
                }
            )
        if not isinstance(self.device, str) or not (
            self.device in ("auto", "cpu", "cuda") or (self.device.startswith("cuda:") and self.device[5:].isdigit())
        ):
            raise InvalidValueError(f"device must be {DEVICES_HELP}, got {self.device!r}")
        if self.threads is not None:
            _positive_int("threads", self.threads)
        for name in ("channels_last", "compile"):
            if not isinstance(getattr(self, name), bool):
                raise InvalidValueError(f"{name} must be true or false, got {getattr(self, name)!r}")
        if self.precision not in PRECISIONS:
            raise InvalidValueError(
                f"precision must be one of {', '.join(PRECISIONS)}, got {self.precision!r} "
                f"(bf16 is opt-in mixed precision; fp32 is the study's arithmetic)"
            )

    @property
    def weak(self) -> bool:
        """Whether the method trains on intervention pairs."""
        return METHODS[self.method].weak

    def identity(self) -> dict[str, Any]:
        """The fields that define the run's results (compared when a run directory is reused)."""
        fields = IDENTITY_FIELDS + (("sampler",) if self.sampler is not None else ())  # 0.1 runs keep their identity
        if self.precision != "fp32":  # bf16 changes the results; fp32 runs keep their identity
            fields += ("precision",)
        return to_plain({name: getattr(self, name) for name in fields})

    def to_dict(self) -> dict[str, Any]:
        """Plain YAML/JSON-friendly dict of every field (tuples become lists, paths strings); ``precision`` only
        where it is not the default fp32, so the config files of fp32 runs read as before it existed."""
        values = to_plain(dataclasses.asdict(self))
        if values["precision"] == "fp32":
            del values["precision"]
        return values

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> TrainConfig:
        """Config from a mapping; unknown keys raise and list the valid ones."""
        if not isinstance(values, Mapping):
            raise InvalidValueError(f"a training config must be a mapping, got {type(values).__name__}")
        if values.get("kind", KIND) != KIND:
            raise InvalidValueError(f"kind: a training config has kind {KIND!r}, got {values['kind']!r}")
        values = {k: v for k, v in values.items() if k != "kind"}  # the file's kind, not a setting
        valid = [f.name for f in dataclasses.fields(cls)]
        unknown = sorted(set(values) - set(valid))
        if unknown:
            raise InvalidValueError(f"unknown config key(s) {', '.join(unknown)}; valid: {', '.join(valid)}")
        if "data" not in values:
            raise InvalidValueError("a training config needs 'data' (a data set name, a path, or a mapping)")
        return cls(**dict(values))

    @classmethod
    def from_yaml(cls, path: str | Path) -> TrainConfig:
        """Config from a YAML file (keys as the dataclass fields; ``out`` is allowed and ignored here)."""
        values = read_yaml_mapping(path)
        values.pop("out", None)
        return cls.from_dict(values)

    def to_yaml(self) -> str:
        """The config as YAML, starting with ``kind: run_config`` (the kind is not part of :meth:`to_dict`,
        so :meth:`identity` and run ids do not depend on it)."""
        return yaml.safe_dump({"kind": KIND, **self.to_dict()}, sort_keys=False)


def _load_run_config_kind(path: Path, content: Any) -> TrainConfig:
    """The loader of ``kind: run_config`` files (see :mod:`gtdata.core.kinds`)."""
    return TrainConfig.from_yaml(path)


register_kind(KIND, summary="a training run config", load=_load_run_config_kind, is_data=False)


def read_yaml_mapping(path: str | Path) -> dict[str, Any]:
    """A config file's top-level mapping (see :func:`gtdata.store.yamlio.read_yaml_mapping`): MissingFileError
    for a missing file, InvalidValueError for one that is not valid YAML or holds no mapping."""
    return yamlio.read_yaml_mapping(path, what="config", error=InvalidValueError)


def _positive_int(name: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidValueError(f"{name} must be a positive integer, got {value!r}")
