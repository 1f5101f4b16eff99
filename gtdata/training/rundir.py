"""The run directory: file names, atomic writes, and whether a directory may hold a given config.

Layout: ``config.yaml`` (resolved config), ``provenance.json``, ``checkpoint.pt`` (last good state, with the
optimisers), ``log.jsonl`` (one line per logged step), ``model.pt`` (final weights; its presence marks a
finished run), ``figures/`` (PNG grids and the traversal GIF), ``data.pkl`` (only for data passed as an object).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from gtdata.core.errors import GtdataError, InvalidValueError, MissingFileError
from gtdata.core.persist import DiskWriteError, atomic_path, atomic_write_text
from gtdata.training.config import TrainConfig, read_yaml_mapping

__all__ = [
    "CHECKPOINT",
    "CONFIG",
    "FIGURES",
    "LOG",
    "MODEL",
    "PROVENANCE",
    "RunDirError",
    "atomic_torch_save",
    "atomic_write_text",
    "claim_run_dir",
    "load_torch",
    "read_config",
]

CONFIG = "config.yaml"
CHECKPOINT = "checkpoint.pt"
LOG = "log.jsonl"
MODEL = "model.pt"
PROVENANCE = "provenance.json"
FIGURES = "figures"


def atomic_torch_save(obj: dict[str, Any], path: Path) -> None:
    """torch.save to a fresh temp file, check it loads back (weights_only) with the same keys, then rename."""
    with atomic_path(path) as tmp:
        torch.save(obj, tmp)
        back = torch.load(tmp, map_location="cpu", weights_only=True)
        if set(back) != set(obj):
            raise DiskWriteError(f"writing {path} failed: the temp file read back with keys {sorted(back)}")


def load_torch(path: Path, what: str, device: torch.device | str = "cpu") -> dict[str, Any]:
    """``torch.load(weights_only=True)`` with a clear error for a missing or corrupt file."""
    if not path.is_file():
        raise MissingFileError(f"no {what} at {path}")
    try:
        obj = torch.load(path, map_location=device, weights_only=True)
    except Exception as exc:  # torch raises many types for a damaged archive
        raise InvalidValueError(
            f"the {what} {path} is corrupt or not a gtdata file ({type(exc).__name__}: {exc}); delete it to start over"
        ) from None
    if not isinstance(obj, dict) or "format" not in obj:
        raise InvalidValueError(f"the {what} {path} is not a gtdata file (no 'format' entry)")
    return obj


def read_config(run_dir: Path) -> TrainConfig:
    """The resolved config stored in a run directory."""
    return TrainConfig.from_dict(read_yaml_mapping(run_dir / CONFIG))


class RunDirError(GtdataError, FileExistsError):
    """The output directory cannot take this run: it holds another run, this run without ``resume``, or files
    that are not a gtdata run."""


def claim_run_dir(run_dir: Path, config: TrainConfig, resume: bool) -> str:
    """Make ``run_dir`` hold ``config``; return ``"new"``, ``"resume"`` or ``"finished"``.

    An existing run with a different config (in the fields of ``IDENTITY_FIELDS``) is refused, and so is any
    existing run when ``resume`` is False; a non-empty directory that is not a run is never written into.
    Nothing is written before these checks pass.
    """
    config_path = run_dir / CONFIG
    if config_path.is_file():
        try:
            old = read_config(run_dir)
        except ValueError as exc:
            raise InvalidValueError(
                f"{run_dir} holds a run whose {CONFIG} cannot be read ({exc}); choose another out"
            ) from None
        new_id, old_id = config.identity(), old.identity()
        if new_id != old_id:
            # A key only one side has (sampler, precision: left out at their defaults) differs as well.
            keys = list(new_id) + [key for key in old_id if key not in new_id]
            diff = "; ".join(
                f"{key}: {getattr(old, key)!r} in the run, {getattr(config, key)!r} now"
                for key in keys
                if new_id.get(key) != old_id.get(key)
            )
            raise InvalidValueError(f"{run_dir} holds a run with another config ({diff}); choose another out directory")
        if not resume:
            raise RunDirError(f"{run_dir} already holds this run; pass resume=True (--resume) to continue it")
        return "finished" if (run_dir / MODEL).is_file() else "resume"
    if run_dir.exists():
        if not run_dir.is_dir():
            raise RunDirError(f"out {run_dir} exists and is not a directory")
        if any(run_dir.iterdir()):
            raise RunDirError(
                f"out {run_dir} is not empty and holds no gtdata run ({CONFIG} missing); "
                f"choose an empty or new directory"
            )
    run_dir.mkdir(parents=True, exist_ok=True)
    atomic_write_text(config_path, config.to_yaml())
    return "new"
