"""The training loop: config in, run directory out; resumable, NaN-guarded, deterministic on CPU.

One step = one batch from the counter-based stream, the method's loss, and one update of each of the
method's optimisers (FactorVAE: VAE and discriminator, both from the same parameters). Checkpoints carry the
models, the optimisers and torch's RNG state; together with the counter-based data stream this makes a
resumed run on CPU repeat the uninterrupted run's loss sequence exactly. The step loop itself (log and checkpoint
cadence, non-finite check, log.jsonl, progress bar) is :func:`gtdata.training.loop.run_steps`, which packs share.
"""

from __future__ import annotations

import json
import platform
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import torch

from gtdata._version import __version__
from gtdata.core.allocator import tune_allocator
from gtdata.core.data import GroundTruthData
from gtdata.core.errors import GtdataError, InvalidValueError
from gtdata.core.persist import to_plain
from gtdata.models.architectures import check_observation_shape
from gtdata.models.methods import VAE, Method, make_method
from gtdata.training import rundir
from gtdata.training.config import TrainConfig
from gtdata.training.data import BatchSource, resolve_data, resolve_sampler, save_instance
from gtdata.training.device_data import make_batch_source
from gtdata.training.figures import write_figures
from gtdata.training.loop import run_steps

__all__ = [
    "CHECKPOINT_FORMAT",
    "MODEL_FORMAT",
    "Trainer",
    "TrainingDiverged",
    "autocast_forward",
    "build_model",
    "claim_run",
    "diverged_error",
    "finish_run",
    "make_adam",
    "resolve_device",
    "run_batch_source",
    "write_provenance",
]

CHECKPOINT_FORMAT = "gtdata-checkpoint-1"
MODEL_FORMAT = "gtdata-vae-1"


class TrainingDiverged(GtdataError, RuntimeError):
    """The loss became NaN or infinite; the run directory keeps its last good checkpoint."""


def resolve_device(name: str) -> torch.device:
    """``"auto"`` → CUDA when available, else CPU; ``"cuda"``/``"cuda:N"`` must exist."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    device = torch.device(name)
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise InvalidValueError(f"device {name!r} asked for, but torch sees no CUDA device; use 'auto' or 'cpu'")
        if device.index is not None and device.index >= torch.cuda.device_count():
            raise InvalidValueError(f"device {name!r}: only {torch.cuda.device_count()} CUDA device(s) present")
    return device


def build_model(config: TrainConfig, observation_shape: tuple[int, int, int]) -> tuple[VAE, Method]:
    """The VAE and the method (with any extra modules) for ``config`` on observations of (H, W, C)."""
    check_observation_shape(config.architecture, tuple(observation_shape))
    vae = VAE(config.architecture, tuple(observation_shape), config.num_latent)
    method = make_method(config.method, config.reconstruction, **config.hparams)
    method.build(vae)
    return vae, method


def make_adam(params: list[torch.nn.Parameter], lr: float, betas: tuple[float, float]) -> torch.optim.Adam:
    """The study's Adam (ε 1e-8), fused into one kernel per step where this torch build supports it."""
    try:
        return torch.optim.Adam(params, lr=lr, betas=betas, eps=1e-8, fused=True)
    except (RuntimeError, TypeError):  # torch < 2.4 has no fused Adam on CPU
        return torch.optim.Adam(params, lr=lr, betas=betas, eps=1e-8)


def autocast_forward(module: torch.nn.Module, device: torch.device) -> None:
    """Make ``module``'s forward pass run under bfloat16 autocast on ``device`` and return float32 tensors.

    The networks' matrix products and convolutions then run in bfloat16 (autocast casts their inputs and
    weights), while the losses, the gradients' accumulation into the float32 parameters and Adam stay float32.
    The instance's ``forward`` is replaced, so its ``state_dict`` keys are unchanged.

    Parameters
    ----------
    module : torch.nn.Module
        A network whose forward returns a tensor or a tuple of tensors (encoder, decoder, discriminator).
    device : torch.device
        The device it runs on (its type selects the autocast backend: ``"cpu"`` or ``"cuda"``).

    Examples
    --------
    >>> from torch import nn
    >>> layer = nn.Linear(3, 2)
    >>> autocast_forward(layer, torch.device("cpu"))
    >>> layer(torch.ones(1, 3)).dtype, layer.weight.dtype
    (torch.float32, torch.float32)
    """
    forward = module.forward

    def bf16_forward(*args: Any, **kwargs: Any) -> Any:
        with torch.autocast(device.type, dtype=torch.bfloat16):
            out = forward(*args, **kwargs)
        return tuple(o.float() for o in out) if isinstance(out, tuple) else out.float()

    module.forward = bf16_forward


def run_batch_source(config: TrainConfig, data: GroundTruthData, device: torch.device) -> BatchSource:
    """The batch source of the run ``config`` on ``data`` (see :func:`~gtdata.training.device_data.make_batch_source`):
    its batch size, seed, weak pairs (k, pair and label modes), sampler and memory format."""
    return make_batch_source(
        data,
        config.batch_size,
        config.seed,
        device,
        weak=config.weak,
        k=config.hparams.get("k", 1),
        pair_mode=config.pair_mode,
        label_mode=config.label_mode,
        channels_last=config.channels_last,
        sampler=config.sampler,
    )


class Trainer:
    """Runs ``config`` in ``run_dir`` from its last checkpoint (or from scratch) to ``config.steps``."""

    def __init__(
        self,
        config: TrainConfig,
        run_dir: Path,
        data: GroundTruthData,
        progress: bool | None = None,
        figures: bool = True,
    ) -> None:
        self.config = config
        self.run_dir = Path(run_dir)
        self.data = data
        self.progress = progress
        self.figures = figures
        if config.threads is not None:
            torch.set_num_threads(config.threads)
        self.device = resolve_device(config.device)
        tune_allocator()  # a step frees and re-allocates the same buffers: keep them mapped
        torch.manual_seed(config.seed)
        self.vae, self.method = build_model(config, data.observation_shape)
        memory_format = torch.channels_last if config.channels_last else torch.contiguous_format
        self.vae.to(self.device, memory_format=memory_format)
        self.method.to(self.device)
        if config.compile:
            # In place, so state_dict keys (checkpoints, model.pt) stay those of the plain modules.
            self.vae.encoder.compile()
            self.vae.decoder.compile()
        if config.precision == "bf16":
            for module in [self.vae.encoder, self.vae.decoder, *self.method.children()]:
                autocast_forward(module, self.device)
        self.groups = self.method.optim_groups(self.vae)
        self.optimizers = [make_adam(g.params, config.lr, g.betas) for g in self.groups]
        # On CUDA, a prepared store's batches are gathered on the device (the same batches, see device_data).
        self.source = run_batch_source(config, data, self.device)
        self.images_per_step = config.batch_size * (2 if config.weak else 1)

    # -- checkpoints -------------------------------------------------------------------------------------
    def save_checkpoint(self, step: int) -> None:
        state = {
            "format": CHECKPOINT_FORMAT,
            "step": step,
            "model": self.vae.state_dict(),
            "method": self.method.state_dict(),
            "optimizers": [opt.state_dict() for opt in self.optimizers],
            "torch_rng": torch.get_rng_state(),
            "cuda_rng": torch.cuda.get_rng_state(self.device) if self.device.type == "cuda" else torch.empty(0),
        }
        rundir.atomic_torch_save(state, self.run_dir / rundir.CHECKPOINT)

    def load_checkpoint(self) -> int:
        """Restore the last checkpoint; returns its step (0 when there is none yet)."""
        path = self.run_dir / rundir.CHECKPOINT
        if not path.exists():
            return 0
        state = rundir.load_torch(path, "checkpoint", self.device)
        if state["format"] != CHECKPOINT_FORMAT:
            raise InvalidValueError(f"checkpoint {path} has format {state['format']!r}, expected {CHECKPOINT_FORMAT!r}")
        try:
            self.vae.load_state_dict(state["model"])
            self.method.load_state_dict(state["method"])
            for opt, opt_state in zip(self.optimizers, state["optimizers"], strict=True):
                opt.load_state_dict(opt_state)
        except (RuntimeError, KeyError, ValueError) as exc:
            raise InvalidValueError(
                f"checkpoint {path} does not fit this run's model ({exc}); delete it to start over"
            ) from None
        torch.set_rng_state(state["torch_rng"].cpu())
        if self.device.type == "cuda" and state["cuda_rng"].numel():
            torch.cuda.set_rng_state(state["cuda_rng"].cpu(), self.device)
        return int(state["step"])

    # -- one step ----------------------------------------------------------------------------------------
    def step(self, step: int) -> dict[str, torch.Tensor]:
        """One training step (0-based index ``step``); returns the loss terms (detached)."""
        batch = self.source.batch(step)
        terms = self.method.loss(self.vae, batch, step)
        for opt in self.optimizers:
            opt.zero_grad(set_to_none=True)
        if len(self.groups) == 1:
            terms["loss"].backward()
        else:
            # Each optimiser gets the gradient of its own loss w.r.t. its own parameters only.
            for i, group in enumerate(self.groups):
                terms[group.loss_key].backward(inputs=group.params, retain_graph=i < len(self.groups) - 1)
        for opt in self.optimizers:
            opt.step()
        return {k: v.detach() for k, v in terms.items()}

    # -- the loop ----------------------------------------------------------------------------------------
    def run(self) -> None:
        config = self.config
        start = self.load_checkpoint()
        self._write_provenance(start)
        if start == 0:
            self.save_checkpoint(0)
        run_steps(
            self.step,
            start=start,
            stop=config.steps,
            steps=config.steps,
            log_every=config.log_every,
            checkpoint_every=config.checkpoint_every,
            checked=[g.loss_key for g in self.groups],
            log_paths=[self.run_dir / rundir.LOG],
            images_per_step=self.images_per_step,
            save=lambda members, step: self.save_checkpoint(step),
            diverged=lambda member, good_step, step, values: self._diverged(good_step, step, values),
            desc=config.method,
            progress=self.progress,
            device=self.device,
        )
        self._finish()

    def _diverged(self, good_step: int, step: int, values: dict[str, float]) -> None:
        raise diverged_error(self.config, self.run_dir, good_step, step, values)

    def _finish(self) -> None:
        finish_run(self.run_dir, self.config, self.vae, self.data, figures=self.figures)

    def _write_provenance(self, start: int) -> None:
        write_provenance(self.run_dir, self.config, self.data, self.device, start)


def diverged_error(
    config: TrainConfig, run_dir: Path, good_step: int, step: int, values: dict[str, float]
) -> TrainingDiverged:
    """The error of a run whose loss became NaN or infinite between ``good_step`` and ``step``."""
    ckpt = rundir.load_torch(run_dir / rundir.CHECKPOINT, "checkpoint")["step"]
    shown = ", ".join(f"{k}={v:.4g}" for k, v in values.items())
    return TrainingDiverged(
        f"{config.method} training diverged: the loss became NaN or infinite between steps {good_step} "
        f"and {step} (at step {step}: {shown}). The last good checkpoint (step {ckpt}) is kept in "
        f"{run_dir / rundir.CHECKPOINT}. Lower lr or the regularisation strength and train in a new "
        f"out directory."
    )


def finish_run(run_dir: Path, config: TrainConfig, vae: VAE, data: GroundTruthData, figures: bool = True) -> None:
    """Write the figures, ``model.pt`` (which marks the run finished) and the finish time of a trained run."""
    # Figures first: model.pt marks the run finished, so it is written last.
    if figures:
        write_figures(vae, data, run_dir / rundir.FIGURES, seed=config.seed)
    model = {
        "format": MODEL_FORMAT,
        "architecture": config.architecture,
        "observation_shape": list(vae.observation_shape),
        "num_latent": config.num_latent,
        "model": {k: v.cpu() for k, v in vae.state_dict().items()},
    }
    rundir.atomic_torch_save(model, run_dir / rundir.MODEL)
    prov_path = run_dir / rundir.PROVENANCE
    prov = json.loads(prov_path.read_text())
    prov["finished"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
    rundir.atomic_write_text(prov_path, json.dumps(prov, indent=2))


def write_provenance(
    run_dir: Path, config: TrainConfig, data: GroundTruthData, device: torch.device, start: int, **session_extra: Any
) -> None:
    """Append this training session (versions, device, threads, start step) to the run's provenance.json."""
    path = run_dir / rundir.PROVENANCE
    prov = (
        json.loads(path.read_text())
        if path.is_file()
        else {
            "gtdata": __version__,
            "seed": config.seed,
            "data": to_plain(data.metadata, json=True),
            "sessions": [],
        }
    )
    session = {
        "started": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "from_step": start,
        "gtdata": __version__,
        "torch": torch.__version__,
        "numpy": np.__version__,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "device": str(device),
        "device_name": torch.cuda.get_device_name(device)
        if device.type == "cuda"
        else (platform.processor() or platform.machine()),
        "threads": torch.get_num_threads(),
        **session_extra,
    }
    prov["sessions"].append(session)
    prov.update({k: session[k] for k in ("torch", "numpy", "device", "threads")})
    rundir.atomic_write_text(path, json.dumps(prov, indent=2))


def pair_k(k: Any) -> Any:
    """The config's ``k`` as ``sample_pairs`` takes it (YAML stores a (lo, hi) range as a list)."""
    return tuple(k) if isinstance(k, list) else k


def claim_run(
    config: TrainConfig, out: str | Path, data: GroundTruthData | None = None, resume: bool = True
) -> tuple[Path, GroundTruthData, str]:
    """Check ``config`` against its data and device, then claim ``out`` for it (see :func:`rundir.claim_run_dir`).

    Returns the run directory, the data set and the directory's state (``"new"``, ``"resume"``, ``"finished"``).
    Nothing is written before the checks pass.
    """
    run_dir = Path(out).expanduser()
    data = (
        data if data is not None else resolve_data(config.data, run_dir if (run_dir / rundir.CONFIG).exists() else None)
    )
    check_observation_shape(config.architecture, tuple(data.observation_shape))
    resolve_device(config.device)
    if config.weak and config.sampler is not None:
        resolve_sampler(config.sampler, data)  # a sampler that cannot draw here fails before the run directory
    elif config.weak:
        # Pairs need a k the data set allows; checked before the run directory is touched.
        data.check_k(pair_k(config.hparams["k"]), config.pair_mode)
    state = rundir.claim_run_dir(run_dir, config, resume)
    if state == "finished":
        return run_dir, data, state
    if state == "new" and isinstance(config.data, dict) and "pickled" in config.data:
        save_instance(data, run_dir)
    if state == "resume":
        rundir.atomic_write_text(run_dir / rundir.CONFIG, config.to_yaml())
    return run_dir, data, state


def train_config(
    config: TrainConfig,
    out: str | Path,
    data: GroundTruthData | None = None,
    resume: bool = True,
    progress: bool | None = None,
    figures: bool = True,
) -> Path:
    """Train ``config`` into ``out`` (see :func:`gtdata.training.train`); returns the run directory.

    Parameters
    ----------
    config : TrainConfig
        The run.
    out : str or pathlib.Path
        The run directory. If it already holds this run, training continues from its last checkpoint (or
        returns at once when finished); a run with another config there is refused.
    data : GroundTruthData, optional
        The data object to train on instead of opening ``config.data`` (recorded in the run).
    resume : bool, default True
        Continue the run already at ``out`` from its last checkpoint; with False a run there is refused
        (RunDirError) instead.
    progress : bool or None, default None
        Show a progress bar; None shows it only when stderr is a terminal.
    figures : bool, default True
        Draw the run's figures (reconstructions, traversals, losses) into ``out/figures`` at the end.

    Returns
    -------
    pathlib.Path
        The run directory (open it with :func:`gtdata.load_run`).

    Examples
    --------
    >>> config = TrainConfig(data={"name": "toy", "image_size": 16}, architecture="fc", steps=2, batch_size=4)
    >>> path = train_config(config, "run", progress=False, figures=False)
    >>> path.name, sorted(p.name for p in path.iterdir())
    ('run', ['checkpoint.pt', 'config.yaml', 'log.jsonl', 'model.pt', 'provenance.json'])
    """
    run_dir, data, state = claim_run(config, out, data, resume)
    if state == "finished":
        return run_dir
    threads = torch.get_num_threads()
    try:
        Trainer(config, run_dir, data, progress=progress, figures=figures).run()
    finally:
        # config.threads applies to this run only, not to the caller's process afterwards.
        torch.set_num_threads(threads)
    return run_dir
