"""Training the study's VAEs on gtdata sets: ``train`` a config into a run directory, ``load_run`` it back."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from gtdata.core.data import GroundTruthData
from gtdata.core.errors import InvalidValueError
from gtdata.training.config import TrainConfig
from gtdata.training.data import instance_spec
from gtdata.training.pack import PackError, train_configs_packed
from gtdata.training.run import REPRESENTATIONS, Run, load_run
from gtdata.training.trainer import TrainingDiverged, train_config

__all__ = [
    "REPRESENTATIONS",
    "PackError",
    "Run",
    "TrainConfig",
    "TrainingDiverged",
    "load_run",
    "train",
    "train_config",
    "train_pack",
]


def train(
    data: Any,
    method: str = "beta_vae",
    steps: int = 300_000,
    seed: int = 0,
    out: str | Path | None = None,
    *,
    batch_size: int = 64,
    lr: float = 1e-4,
    num_latent: int = 10,
    architecture: str = "conv",
    reconstruction: str = "bernoulli",
    pair_mode: str = "exact",
    label_mode: str = "all",
    sampler: Any = None,
    device: str = "auto",
    threads: int | None = None,
    log_every: int = 100,
    checkpoint_every: int = 1000,
    channels_last: bool = True,
    compile: bool = False,
    precision: str = "fp32",
    resume: bool = True,
    progress: bool | None = None,
    figures: bool = True,
    **hparams: Any,
) -> Run:
    """Train ``method`` on ``data`` for ``steps`` steps into the run directory ``out``; returns the :class:`Run`.

    ``data``: a registry name (``"dsprites_like"``), a path, a mapping (``{"name": ..., **options}``) or a
    GroundTruthData object (pickled into the run). Hyper-parameters are keywords with the reference's names
    (``beta``, ``c_max``, ``gamma``, ``iteration_threshold``, ``lambda_od``, ``lambda_d_factor``, ``k``);
    defaults follow the study (batch 64, Adam 1e-4, 10 latents, conv encoder/decoder, Bernoulli loss).
    Weak methods: ``pair_mode`` ``"exact"`` (exactly k factors change) or ``"reference"`` (disentanglement_lib's
    pairs); ``label_mode`` ``"all"`` (GroupVAE / ML-VAE are told every resampled factor) or ``"last"`` (only the
    last one resampled, disentanglement_lib's label). ``sampler`` replaces the intervention pairs of the weak
    methods by another pair sampler: ``{"name": "counterfactual", "scm": scm, "targets": "random"}``
    (:class:`gtdata.causal.CounterfactualSampler`) or ``{"name": "pairs", ...}``. To train on a factor
    distribution, pass a view (``data.with_distribution(scm)``) or ``{"name": ..., "distribution": ...}``.
    Speed options: ``channels_last`` (default on: NHWC convolutions, measured ~10 % faster on CPU) and
    ``compile`` (``torch.compile`` of encoder and decoder: ~30 s of compilation for a few % per step).
    ``precision="bf16"`` runs the networks' forward passes under bfloat16 autocast (opt-in mixed precision:
    losses, Adam and the stored parameters stay float32; its effect on the scores is measured in the training
    guide); the default ``"fp32"`` is the study's arithmetic.
    If ``out`` already holds this run, it continues from its last checkpoint (``resume=True``) or returns
    the finished run; a run with another config is refused.

    Parameters
    ----------
    data : str, mapping, os.PathLike or GroundTruthData
        The training data, as above.
    method : str, default "beta_vae"
        One of :data:`gtdata.models.METHODS` (unsupervised: ``beta_vae``, ``factor_vae``, ``dip_vae_i``,
        ``dip_vae_ii``, ``beta_tc_vae``, ``annealed_vae``; weakly supervised: ``ada_gvae``, ``ada_ml_vae``,
        ``group_vae``, ``ml_vae``).
    steps : int, default 300000
        Optimizer steps (the study's count).
    seed : int, default 0
        Seed of the weights and of every batch: same seed, same run.
    out : str or pathlib.Path
        The run directory (config, checkpoints, ``log.jsonl``, final model, figures). Required.
    batch_size : int, default 64
        Observations (or pairs) per step.
    lr : float, default 1e-4
        Adam learning rate.
    num_latent : int, default 10
        Size of the latent code.
    architecture : {"conv", "fc"}, default "conv"
        The study's convolutional encoder/decoder (64x64 observations) or the fully connected one.
    reconstruction : {"bernoulli", "l2"}, default "bernoulli"
        Reconstruction loss.
    pair_mode : {"exact", "reference"}, default "exact"
        Weak methods' pairs, as above.
    label_mode : {"all", "last"}, default "all"
        GroupVAE / ML-VAE labels, as above.
    sampler : str or mapping, optional
        Weak methods only: another pair sampler, as above.
    device : str, default "auto"
        ``"auto"`` (CUDA when available), ``"cpu"``, ``"cuda"`` or ``"cuda:N"``.
    threads : int, optional
        Torch CPU threads during this run (restored afterwards); default torch's setting.
    log_every : int, default 100
        Steps between lines of ``log.jsonl``.
    checkpoint_every : int, default 1000
        Steps between checkpoints.
    channels_last : bool, default True
        NHWC convolutions, as above.
    compile : bool, default False
        ``torch.compile`` the networks, as above.
    precision : {"fp32", "bf16"}, default "fp32"
        Arithmetic of the forward passes, as above.
    resume : bool, default True
        Continue the run already at ``out`` from its last checkpoint; with False a run there is refused
        (RunDirError) instead.
    progress : bool or None, default None
        Show a progress bar; None shows it only when stderr is a terminal.
    figures : bool, default True
        Draw reconstructions, latent traversals and loss curves into ``out/figures`` at the end.
    **hparams
        The method's hyper-parameters (``beta=4.0``...); missing ones take the study's defaults.

    Returns
    -------
    Run
        The finished run (:func:`load_run` of ``out``).

    Raises
    ------
    InvalidValueError
        If ``out`` is missing, an option or hyper-parameter is invalid (the message names it and what is
        allowed), or ``out`` holds a run with another config (a ValueError).
    RunDirError
        If ``out`` holds files that are not a gtdata run, or this run while ``resume=False`` (a
        FileExistsError).
    TrainingDiverged
        If a loss becomes NaN or infinite (the message says at which step).

    See Also
    --------
    train_pack : several runs that share data and protocol, trained as one batched pack.
    gtdata.evaluate : scores a run's representation.

    Examples
    --------
    Two steps of a fully connected beta-VAE on 16x16 toy images (the study trains 300,000 steps):

    >>> import gtdata
    >>> run = gtdata.train({"name": "toy", "image_size": 16}, method="beta_vae", steps=2, out="run",
    ...                    batch_size=4, architecture="fc", beta=4.0, progress=False, figures=False)
    >>> run.finished, run.config.hparams, run.log()[-1]["step"]
    (True, {'beta': 4.0}, 2)

    The study's call (64x64 dSprites grid rendered on demand, conv networks; hours on a CPU):

    >>> gtdata.train("dsprites_like", method="ada_gvae", seed=1, out="runs/ada_gvae_1")  # doctest: +SKIP
    """
    if out is None:
        raise InvalidValueError(
            "out is required: the run directory to write (config, checkpoints, log, model, figures)"
        )
    data_obj = data if isinstance(data, GroundTruthData) else None
    config = _make_config(
        data,
        method,
        steps,
        seed,
        batch_size=batch_size,
        lr=lr,
        num_latent=num_latent,
        architecture=architecture,
        reconstruction=reconstruction,
        pair_mode=pair_mode,
        label_mode=label_mode,
        sampler=sampler,
        device=device,
        threads=threads,
        log_every=log_every,
        checkpoint_every=checkpoint_every,
        channels_last=channels_last,
        compile=compile,
        precision=precision,
        **hparams,
    )
    run_dir = train_config(config, out, data=data_obj, resume=resume, progress=progress, figures=figures)
    return load_run(run_dir, device=device)


def _make_config(
    data: Any,
    method: str = "beta_vae",
    steps: int = 300_000,
    seed: int = 0,
    *,
    batch_size: int = 64,
    lr: float = 1e-4,
    num_latent: int = 10,
    architecture: str = "conv",
    reconstruction: str = "bernoulli",
    pair_mode: str = "exact",
    label_mode: str = "all",
    sampler: Any = None,
    device: str = "auto",
    threads: int | None = None,
    log_every: int = 100,
    checkpoint_every: int = 1000,
    channels_last: bool = True,
    compile: bool = False,
    precision: str = "fp32",
    **hparams: Any,
) -> TrainConfig:
    """The TrainConfig of :func:`train`'s arguments (a data object is recorded by its instance spec)."""
    return TrainConfig(
        data=instance_spec(data) if isinstance(data, GroundTruthData) else data,
        method=method,
        hparams=hparams,
        steps=steps,
        batch_size=batch_size,
        lr=lr,
        seed=seed,
        num_latent=num_latent,
        architecture=architecture,
        reconstruction=reconstruction,
        pair_mode=pair_mode,
        label_mode=label_mode,
        sampler=sampler,
        device=device,
        threads=threads,
        log_every=log_every,
        checkpoint_every=checkpoint_every,
        channels_last=channels_last,
        compile=compile,
        precision=precision,
    )


_NOT_PER_RUN = ("resume", "progress", "figures")


def train_pack(
    runs: Sequence[Mapping[str, Any]],
    *,
    resume: bool = True,
    progress: bool | None = None,
    figures: bool = True,
    conv_mode: str = "auto",
) -> list[Run]:
    """Train several models of one method as one batched computation (a *pack*); one run directory each.

    Each entry of ``runs`` holds the keyword arguments :func:`train` would take for that model (``data``,
    ``method``, ``steps``, ``seed``, ``out``, hyper-parameters...). The members must share the data set, the
    method, the step count and the training protocol (batch size, lr, latents, architecture, device,
    threads, logging and checkpoint cadence, channels_last, precision); seeds, hyper-parameters, the reconstruction
    loss, pair and label modes and samplers may differ. Every member sees the batches and random draws it
    would see alone, so its parameters and logged losses equal a separate :func:`train` run's up to float
    rounding, and its directory is an ordinary run directory (``load_run``, ``evaluate`` and the study
    report treat it as any other). Killed packs resume from their checkpoints.

    Parameters
    ----------
    runs : sequence of mappings
        One mapping of :func:`train` keyword arguments per model; ``out`` is required in each.
    resume : bool
        Continue members whose directories hold this run (finished members are skipped).
    progress, figures : bool
        A progress bar for the pack; the figures of each member at the end.
    conv_mode : {"auto", "grouped", "loop"}
        How convolutions are batched (see :mod:`gtdata.training.pack`): ``"auto"`` loops on the CPU and
        groups on CUDA.

    Returns
    -------
    list of Run
        The members' runs, in the order of ``runs``.

    Raises
    ------
    PackError
        Members that cannot share one pack (the first differing field is named), or a missing ``out``.
    TrainingDiverged
        After the other members finished, if any member's loss became NaN or infinite (the message names
        each such member; its directory keeps its last good checkpoint).

    Examples
    --------
    >>> import gtdata, tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     runs = gtdata.train_pack([dict(data="toy", method="beta_vae", steps=2, seed=s, beta=b,
    ...                                    out=f"{tmp}/beta{b}", batch_size=4, progress=False, figures=False)
    ...                               for s, b in ((0, 1.0), (1, 4.0))], progress=False, figures=False)
    ...     [(r.config.seed, r.config.hparams["beta"], r.finished) for r in runs]
    [(0, 1.0, True), (1, 4.0, True)]
    """
    configs, outs, data_obj = [], [], None
    for i, options in enumerate(runs):
        if not isinstance(options, Mapping):
            raise PackError(
                f"runs[{i}] must be a mapping of gtdata.train keyword arguments, got {type(options).__name__}"
            )
        options = {k: v for k, v in options.items() if k not in _NOT_PER_RUN}
        if options.get("out") is None:
            raise PackError(f"runs[{i}] has no 'out': every member of a pack needs its own run directory")
        if "data" not in options:
            raise PackError(f"runs[{i}] has no 'data'")
        outs.append(options.pop("out"))
        data = options.pop("data")
        if isinstance(data, GroundTruthData):
            if data_obj is not None and data is not data_obj:
                raise PackError(
                    f"runs[{i}] passes another data set object than runs[0]; a pack trains on one "
                    f"data set (pass the same object, or a name)"
                )
            data_obj = data
        configs.append(_make_config(data, **options))
    if not configs:
        raise PackError("train_pack needs at least one run, got an empty list")
    results = train_configs_packed(
        configs, outs, data=data_obj, resume=resume, progress=progress, figures=figures, conv_mode=conv_mode
    )
    diverged = [f"runs[{i}] ({outs[i]}): {r}" for i, r in enumerate(results) if isinstance(r, TrainingDiverged)]
    if diverged:
        raise TrainingDiverged("; ".join(diverged))
    return [load_run(r, device=c.device) for r, c in zip(results, configs)]
