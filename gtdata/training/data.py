"""Data for training: resolve a config's data spec to GroundTruthData and cut it into device batches.

Batches come from gtdata's counter-based streams (:class:`gtdata.torchdata.BatchStream`): batch ``s`` is a
pure function of the run's seed and ``s``, so a resumed run sees exactly the batches it would have seen.
"""

from __future__ import annotations

import pickle
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import torch

from gtdata.core.data import GroundTruthData
from gtdata.core.errors import InvalidValueError, MissingFileError
from gtdata.core.kinds import infer_kind
from gtdata.core.persist import atomic_path
from gtdata.core.rng import SALTS, counter_draw
from gtdata.registry import load
from gtdata.torchdata import BatchStream

__all__ = [
    "DATA_PICKLE",
    "PAIR_SAMPLERS",
    "BatchSource",
    "instance_spec",
    "last_resampled",
    "observations_to_tensor",
    "resolve_data",
    "resolve_sampler",
    "save_instance",
]

DATA_PICKLE = "data.pkl"


def instance_spec(data: GroundTruthData) -> dict[str, Any]:
    """Config entry for a data object passed directly: stored next to the run as a pickle (constructor args)."""
    return {
        "pickled": DATA_PICKLE,
        "name": data.name,
        "observation_shape": [int(s) for s in data.observation_shape],
        "factors": {n: int(s) for n, s in zip(data.factor_space.names, data.factor_space.sizes)},
        "splits": list(data.split_description),
    }


def save_instance(data: GroundTruthData, run_dir: Path) -> None:
    """Pickle ``data`` into the run directory (temp file, then rename)."""
    with atomic_path(run_dir / DATA_PICKLE) as tmp, open(tmp, "wb") as fh:
        pickle.dump(data, fh, protocol=pickle.HIGHEST_PROTOCOL)


def resolve_data(spec: Any, run_dir: Path | None = None) -> GroundTruthData:
    """GroundTruthData for a config's ``data``: a name or path (``gtdata.load``), ``{"name": ..., **kwargs}``,
    a render spec mapping (``kind: scene2d | scene3d``, or a 2-D spec without ``kind:``; see
    :mod:`gtdata.render`), or ``{"pickled": "data.pkl"}`` (an object given to :func:`gtdata.train`, read from
    ``run_dir``).

    A mapping may also carry ``ood`` (``{kind, side: train | test, ratio, keep, ...}``: one side of
    :func:`gtdata.ood_split`), ``split`` (a split expression) and ``distribution`` (a factor distribution: an
    SCM file or mapping, or ``{"correlated": {pairs, sigma, ...}}``, see :func:`gtdata.causal.as_scm`); the
    data set is then that view, in this order."""
    if isinstance(spec, GroundTruthData):
        return spec
    if isinstance(spec, Mapping) and ("distribution" in spec or "split" in spec or "ood" in spec):
        rest = {k: v for k, v in spec.items() if k not in ("distribution", "split", "ood")}
        data = resolve_data(rest if len(rest) > 1 or "name" not in rest else rest["name"], run_dir)
        if spec.get("ood") is not None:
            data = _ood_side(data, spec["ood"])
        if spec.get("split") is not None:
            data = data.split(spec["split"])
        if spec.get("distribution") is not None:
            from gtdata.causal import as_scm

            data = data.with_distribution(as_scm(spec["distribution"], data.factor_space))
        return data
    if isinstance(spec, (str, Path)):
        return load(spec)
    if isinstance(spec, Mapping):
        if "pickled" in spec:
            if run_dir is None:
                raise InvalidValueError(
                    "this config's data set was passed as an object; open it through its run directory"
                )
            path = Path(run_dir) / spec["pickled"]
            if not path.is_file():
                raise MissingFileError(f"the run's data set object {path} is missing")
            with open(path, "rb") as fh:
                return pickle.load(fh)
        if infer_kind(spec, source="data", default="options") in ("scene2d", "scene3d"):
            from gtdata.render import RenderedData

            return RenderedData(dict(spec))
        if "name" in spec:
            kwargs = {k: v for k, v in spec.items() if k != "name"}
            return load(spec["name"], **kwargs)
    raise InvalidValueError(
        f"cannot open data {spec!r}: give a data set name, a path, a mapping with 'name' (and the data set's "
        f"options), or a render spec (a mapping with kind: scene2d or scene3d)"
    )


def _ood_side(data: GroundTruthData, ood: Any) -> GroundTruthData:
    from gtdata.splits import ood_split

    if not isinstance(ood, Mapping) or "kind" not in ood or ood.get("side") not in ("train", "test"):
        raise InvalidValueError(
            f"data.ood must be {{kind: ..., side: train | test, ...options of gtdata.ood_split}}, got {ood!r}"
        )
    options = {k: v for k, v in ood.items() if k not in ("kind", "side")}
    train, test = ood_split(data, ood["kind"], **options).views(data)
    return train if ood["side"] == "train" else test


PAIR_SAMPLERS = ("pairs", "counterfactual")
"""Samplers whose rows are pairs (x1, x2, codes1, codes2, changed, ...): what the weak methods train on."""


def resolve_sampler(spec: Any, data: GroundTruthData):
    """A pair sampler for the weak methods from a config's ``sampler`` (a mapping ``{"name": ..., **options}``,
    a name or a Sampler); an ``scm`` option may be an SCM file or mapping, resolved on ``data``'s factors."""
    from gtdata.sampling import make_sampler

    if isinstance(spec, Mapping) and "scm" in spec:
        from gtdata.causal import as_scm

        spec = {**spec, "scm": as_scm(spec["scm"], data.factor_space)}
    sampler = make_sampler(spec)
    if sampler.name not in PAIR_SAMPLERS:
        raise InvalidValueError(
            f"sampler {sampler.name!r} does not draw pairs; the weakly supervised methods train on "
            f"one of {list(PAIR_SAMPLERS)}"
        )
    sampler.check(data)
    return sampler


class BatchSource:
    """Training batches for one method: ``batch(step)`` → dict of device tensors (NCHW float32 in [0, 1]).

    Unsupervised methods get ``{"x"}`` from the uniform stream; weak ones ``{"x1", "x2", "changed"}`` from
    ``sample_pairs`` with the method's ``k`` and the config's ``pair_mode``. ``"changed"`` (N, F) bool is the
    weak label the label methods use: every resampled factor (``label_mode="all"``) or only the last one
    resampled (``"last"``, see :func:`last_resampled`).
    """

    def __init__(
        self,
        data: GroundTruthData,
        batch_size: int,
        seed: int,
        device: torch.device,
        weak: bool = False,
        k: Any = 1,
        pair_mode: str = "exact",
        label_mode: str = "all",
        channels_last: bool = False,
        sampler: Any = None,
    ) -> None:
        if label_mode not in ("all", "last"):
            raise InvalidValueError(f"unknown label_mode {label_mode!r}; valid: all, last")
        self.weak = weak
        self.seed, self.batch_size, self.label_mode = int(seed), int(batch_size), label_mode
        self.device = device
        self.memory_format = torch.channels_last if channels_last else torch.contiguous_format
        if sampler is not None:
            self.stream = BatchStream(data, batch_size, seed=seed, sampler=resolve_sampler(sampler, data))
        else:
            self.stream = BatchStream(
                data,
                batch_size,
                kind="pairs" if weak else "uniform",
                k=tuple(k) if isinstance(k, list) else k,
                seed=seed,
                mode=pair_mode,
            )

    def _to_device(self, images: torch.Tensor) -> torch.Tensor:
        return images.to(self.device, non_blocking=True).contiguous(memory_format=self.memory_format)

    def batch(self, step: int) -> dict[str, torch.Tensor]:
        """The batch of training step ``step`` (0-based)."""
        parts = self.stream.batch(step)
        if self.weak:
            # intervention pairs and counterfactual pairs both start (x1, x2, codes1, codes2, changed, ...)
            x1, x2, _, _, changed = parts[:5]
            if self.label_mode == "last":
                changed = torch.from_numpy(last_resampled(changed.numpy(), self.seed, step * self.batch_size))
            return {"x1": self._to_device(x1), "x2": self._to_device(x2), "changed": changed.to(self.device)}
        return {"x": self._to_device(parts[0])}


# Counter-based stream of the "last resampled" choice; salts 1-4 are the samplers' and the renderer's.
LABEL_SALT = SALTS["weak_label"]


def last_resampled(changed: np.ndarray, seed: int, start: int = 0) -> np.ndarray:
    """disentanglement_lib's weak label as a mask: of each row's resampled factors, only the last one.

    ``simple_dynamics`` resamples the factors of ``random_state.choice(d, n, replace=False)`` in that order and
    labels the pair with the last; the last of a uniformly ordered set is uniform over the set. So row i keeps
    one of its ``changed`` factors, drawn uniformly from a counter-based stream: it depends only on
    ``(seed, start + i)``, not on the batch size.

    Parameters
    ----------
    changed : (N, F) bool
        The resampled factors of rows ``start .. start+N-1`` (``PairBatch.changed``).
    seed : int
        The run's seed (the pair stream's key).
    start : int
        Index of the first row in the stream.

    Returns
    -------
    (N, F) bool
        One True per row that has a changed factor (rows without one stay all False).

    Examples
    --------
    >>> import numpy as np
    >>> changed = np.array([[True, False, True], [False, True, False]])
    >>> label = last_resampled(changed, seed=0)
    >>> label.sum(axis=1).tolist(), bool((label <= changed).all())
    ([1, 1], True)
    """
    changed = np.asarray(changed, dtype=bool)
    n, num_factors = changed.shape
    (priority,) = counter_draw(
        int(seed), int(start), n, lambda gen, size: (gen.random((size, num_factors)),), salt=LABEL_SALT
    )
    last = np.argmax(np.where(changed, priority, -1.0), axis=1)
    label = np.zeros_like(changed)
    label[np.arange(n), last] = True
    return label & changed


def observations_to_tensor(x: Any, shape_hwc: tuple[int, int, int], device: torch.device) -> torch.Tensor:
    """Validate numpy observations (N, H, W, C) (uint8, or float in [0, 1]) → NCHW float32 tensor on ``device``."""
    arr = np.asarray(x)
    if arr.ndim == 3 and tuple(arr.shape) == tuple(shape_hwc):
        raise InvalidValueError(
            f"observations must be a batch (N, {', '.join(map(str, shape_hwc))}); got one image of shape "
            f"{arr.shape} — add a leading axis (x[None])"
        )
    if arr.ndim != 4 or tuple(arr.shape[1:]) != tuple(shape_hwc):
        raise InvalidValueError(
            f"observations must have shape (N, {', '.join(map(str, shape_hwc))}) (NHWC, as the data sets return "
            f"them), got {arr.shape}"
        )
    if arr.dtype == np.uint8:
        tensor = torch.from_numpy(arr).to(device).float().div_(255.0)
    elif arr.dtype.kind == "f":
        tensor = torch.from_numpy(np.ascontiguousarray(arr, dtype=np.float32)).to(device)
    else:
        raise InvalidValueError(f"observations must be uint8 or float in [0, 1], got dtype {arr.dtype}")
    return tensor.permute(0, 3, 1, 2)
