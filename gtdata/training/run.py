"""A trained run on disk: its config, data, model, log, figures and representation functions."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch

from gtdata.core.data import GroundTruthData
from gtdata.core.errors import InvalidValueError, MissingFileError
from gtdata.metrics.evaluate import REPRESENTATIONS
from gtdata.models.methods import VAE
from gtdata.training import rundir
from gtdata.training.config import TrainConfig
from gtdata.training.data import observations_to_tensor, resolve_data
from gtdata.training.figures import write_figures
from gtdata.training.trainer import MODEL_FORMAT, resolve_device

__all__ = ["REPRESENTATIONS", "Run", "load_run"]


class Run:
    """A run directory written by :func:`gtdata.train`. Use :func:`load_run` to open one.

    Opening reads only ``config.yaml``; the data set, the model and the log are read when first used.

    Parameters
    ----------
    path : str or pathlib.Path
        The run directory (``~`` is expanded).
    device : str, default "auto"
        Where the model runs: ``"auto"`` (CUDA when available), ``"cpu"``, ``"cuda"`` or ``"cuda:N"``.

    Raises
    ------
    MissingFileError
        If ``path`` holds no ``config.yaml`` (a FileNotFoundError: not a run directory).

    Examples
    --------
    Two training steps of a small fully connected VAE on 16x16 toy images (the study trains 300,000):

    >>> import gtdata
    >>> run = gtdata.train({"name": "toy", "image_size": 16}, steps=2, out="run", batch_size=4,
    ...                    architecture="fc", log_every=1, progress=False, figures=False)
    >>> run
    Run('run', method='beta_vae', steps=2, finished)
    >>> [entry["step"] for entry in run.log()], sorted(p.name for p in run.path.iterdir())
    ([1, 2], ['checkpoint.pt', 'config.yaml', 'log.jsonl', 'model.pt', 'provenance.json'])
    >>> encode = run.representation()  # posterior means, float32 (N, num_latent)
    >>> encode(run.data.sample_observations(5, random_state=0)).shape
    (5, 10)
    """

    def __init__(self, path: str | Path, device: str = "auto") -> None:
        self.path = Path(path).expanduser()
        if not (self.path / rundir.CONFIG).is_file():
            raise MissingFileError(f"{self.path} is not a gtdata run directory ({rundir.CONFIG} missing)")
        self.config: TrainConfig = rundir.read_config(self.path)
        self.device = resolve_device(device)
        self._data: GroundTruthData | None = None
        self._model: VAE | None = None

    def __repr__(self) -> str:
        state = "finished" if self.finished else "unfinished"
        return f"Run({str(self.path)!r}, method={self.config.method!r}, steps={self.config.steps}, {state})"

    @property
    def finished(self) -> bool:
        """Whether training reached ``config.steps`` (the final model is written)."""
        return (self.path / rundir.MODEL).is_file()

    @property
    def data(self) -> GroundTruthData:
        """The GroundTruthData the run was trained on (opened on first use)."""
        if self._data is None:
            self._data = resolve_data(self.config.data, self.path)
        return self._data

    @property
    def model(self) -> VAE:
        """The trained VAE (eval mode, on this run's device), loaded with ``weights_only=True``."""
        if self._model is None:
            if not self.finished:
                raise InvalidValueError(
                    f"run {self.path} is not finished ({rundir.MODEL} missing); resume it with "
                    f"gtdata.train(..., out={str(self.path)!r}) or `gtdata train --resume`"
                )
            state = rundir.load_torch(self.path / rundir.MODEL, "model", "cpu")
            if state["format"] != MODEL_FORMAT:
                raise InvalidValueError(
                    f"{self.path / rundir.MODEL} has format {state['format']!r}, expected {MODEL_FORMAT!r}"
                )
            vae = VAE(state["architecture"], tuple(state["observation_shape"]), int(state["num_latent"]))
            try:
                vae.load_state_dict(state["model"])
            except RuntimeError as exc:
                raise InvalidValueError(f"{self.path / rundir.MODEL} does not match its architecture ({exc})") from None
            self._model = vae.to(self.device).eval()
        return self._model

    def log(self) -> list[dict[str, Any]]:
        """The training log: one dict per logged step (step, every loss term, images_per_s)."""
        path = self.path / rundir.LOG
        if not path.is_file():
            return []
        return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]

    @property
    def provenance(self) -> dict[str, Any]:
        """Versions, device, threads, data set metadata and seed recorded at training time."""
        return json.loads((self.path / rundir.PROVENANCE).read_text())

    def representation(
        self, kind: str = "mean", batch_size: int = 256, seed: int | None = None
    ) -> Callable[[np.ndarray], np.ndarray]:
        """A function from observations (N, H, W, C) (numpy, as the data sets return them) to codes (N, L).

        ``"mean"``: the posterior mean μ(x). ``"sampled"``: μ + exp(logvar/2)·ε with fresh ε ~ N(0, I) per call,
        drawn from a numpy Generator seeded with ``seed``. Works on any N; encodes in chunks of ``batch_size``.
        Returns float32.
        """
        if kind not in REPRESENTATIONS:
            raise InvalidValueError(f"unknown representation {kind!r}; valid: {', '.join(REPRESENTATIONS)}")
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise InvalidValueError(f"batch_size must be a positive integer, got {batch_size!r}")
        model = self.model
        shape = tuple(model.observation_shape)
        rng = np.random.default_rng(seed)

        @torch.no_grad()
        def represent(observations: np.ndarray) -> np.ndarray:
            observations = np.asarray(observations)
            if (
                observations.ndim != 4
                or tuple(observations.shape[1:]) != shape
                or not (observations.dtype == np.uint8 or observations.dtype.kind == "f")
            ):
                observations_to_tensor(observations, shape, torch.device("cpu"))  # raises the precise error
            out = np.empty((observations.shape[0], model.num_latent), dtype=np.float32)
            # Chunk by chunk from the caller's array: float conversion, transfer and encoder pass each hold at
            # most batch_size observations, so memory stays bounded for any N.
            for lo in range(0, observations.shape[0], batch_size):
                x = observations_to_tensor(observations[lo : lo + batch_size], shape, self.device)
                mean, logvar = model.encode(x)
                codes = mean.float().cpu().numpy()
                if kind == "sampled":
                    std = torch.exp(0.5 * logvar).float().cpu().numpy()
                    codes = codes + std * rng.standard_normal(codes.shape, dtype=np.float32)
                out[lo : lo + codes.shape[0]] = codes
            return out

        return represent

    def figures(self, out_dir: str | Path | None = None) -> dict[str, Path]:
        """(Re)draw the figures into ``out_dir`` (default: the run's ``figures/``); returns name → path."""
        target = Path(out_dir) if out_dir is not None else self.path / rundir.FIGURES
        return write_figures(self.model, self.data, target, seed=self.config.seed)


def load_run(path: str | Path, device: str = "auto") -> Run:
    """Open a run directory written by :func:`gtdata.train` (``device``: where the model runs).

    Parameters
    ----------
    path : str or pathlib.Path
        The run directory (the ``out`` of :func:`gtdata.train`).
    device : str, default "auto"
        Where the model runs: ``"auto"`` (CUDA when available), ``"cpu"``, ``"cuda"`` or ``"cuda:N"``.

    Returns
    -------
    Run
        The run, finished or not (``run.finished``); nothing but its config is read yet.

    Examples
    --------
    >>> import gtdata
    >>> _ = gtdata.train({"name": "toy", "image_size": 16}, steps=2, out="run", batch_size=4, architecture="fc",
    ...                  beta=4.0, progress=False, figures=False)
    >>> run = load_run("run", device="cpu")
    >>> run.finished, run.config.method, run.config.hparams
    (True, 'beta_vae', {'beta': 4.0})
    >>> try:
    ...     load_run("not_a_run")
    ... except FileNotFoundError as err:
    ...     print(err)
    not_a_run is not a gtdata run directory (config.yaml missing)
    """
    return Run(path, device=device)
