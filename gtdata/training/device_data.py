"""The GPU data path: a prepared uint8 store held on the device, batches gathered and converted there.

For a prepared data set (:class:`gtdata.PreparedData`, or a split or factor-distribution view of one) and the
uniform or pair sampler, :class:`DeviceBatchSource` draws exactly the codes :class:`BatchSource` draws (the
same counter-based stream, on the CPU: it is a few integers per image), turns them into row numbers of the
store, and gathers those rows from a copy of the store on the device, converting uint8 to float32 there
(bytes × float32(1/255), the CPU path's arithmetic, so the batches are equal bit for bit). The store is
copied to the device once per process and shared by every source (all members of a pack) when it fits in
``DEVICE_FRACTION`` of the device's free memory; otherwise it stays in pinned host memory, rows are gathered
there and copied asynchronously, and a warning says so once.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import torch

from gtdata.core.data import GroundTruthData
from gtdata.core.errors import InvalidValueError
from gtdata.training.data import BatchSource, last_resampled

__all__ = [
    "DEVICE_FRACTION",
    "DeviceBatchSource",
    "DeviceStore",
    "device_store",
    "make_batch_source",
    "supports_device_path",
]

DEVICE_FRACTION = 0.5
"""Largest share of the device's free memory a store may take; larger stores stay in pinned host memory."""
_SCALE = float(np.float32(1 / 255))  # convert_images' factor, exactly representable as a float32
_STORES: dict[tuple[str, str], DeviceStore] = {}


class DeviceStore:
    """A prepared set's ``images`` (M, H, W, C) uint8, on ``device`` when it fits, else in pinned host memory.

    ``gather(rows)`` → (N, C, H, W) float32 in [0, 1] on ``device``.
    """

    def __init__(self, images: np.ndarray, device: torch.device, budget: int | None = None) -> None:
        self.device = torch.device(device)
        nbytes = int(images.nbytes)
        if budget is None:
            budget = _free_bytes(self.device)
        with warnings.catch_warnings():  # a read-only memory map: the store is only ever read
            warnings.simplefilter("ignore", UserWarning)
            host = torch.from_numpy(np.ascontiguousarray(images))
        self.on_device = nbytes <= DEVICE_FRACTION * budget
        if self.on_device:
            self.images = host.to(self.device)
        else:
            warnings.warn(
                f"the prepared store ({nbytes / 2**30:.1f} GiB) does not fit in {DEVICE_FRACTION:.0%} of "
                f"{self.device}'s free memory ({budget / 2**30:.1f} GiB); batches are gathered in pinned host "
                f"memory and copied to the device asynchronously (slower)",
                RuntimeWarning,
                stacklevel=3,
            )
            self.images = host.pin_memory() if self.device.type == "cuda" else host

    def gather(self, rows: np.ndarray) -> torch.Tensor:
        """Rows of the store as NCHW float32 in [0, 1] on the device (bytes / 255 as the CPU path computes it)."""
        index = torch.from_numpy(np.ascontiguousarray(rows, dtype=np.int64))
        if self.on_device:
            picked = self.images.index_select(0, index.to(self.device, non_blocking=True))
        else:
            picked = (
                self.images.index_select(0, index).pin_memory()
                if self.device.type == "cuda"
                else self.images.index_select(0, index)
            )
            picked = picked.to(self.device, non_blocking=True)
        return picked.permute(0, 3, 1, 2).float().mul_(_SCALE)


def _free_bytes(device: torch.device) -> int:
    if device.type == "cuda":
        free, _ = torch.cuda.mem_get_info(device)
        return int(free)
    return 2**62


def supports_device_path(data: GroundTruthData, sampler: Any = None) -> bool:
    """Whether :class:`DeviceBatchSource` can serve ``data``: a set whose observations are rows of one stored
    uint8 array (:attr:`~gtdata.GroundTruthData.stored_images`, a prepared store), with the uniform or pair
    sampler (``sampler=None``)."""
    return sampler is None and data.stored_images is not None


def device_store(data: GroundTruthData, device: torch.device) -> DeviceStore:
    """The process-wide :class:`DeviceStore` of ``data``'s prepared store on ``device`` (created once)."""
    key = (str(data.path.resolve()), str(device))
    if key not in _STORES:
        _STORES[key] = DeviceStore(data.images, device)
    return _STORES[key]


class _RowNumbers:
    """Stands in for the data set in ``sampler.assemble``: "renders" codes as their rows in the store."""

    def __init__(self, data: GroundTruthData) -> None:
        self.data = data

    def render(self, codes: np.ndarray, nuisance: Any = None, dtype: Any = None) -> np.ndarray:
        return self.data.stored_index(codes, nuisance)


class DeviceBatchSource(BatchSource):
    """:class:`BatchSource` with the images gathered on the device from a :class:`DeviceStore`.

    Same arguments and the same batches as :class:`BatchSource` (bit for bit); ``store`` defaults to the
    process-wide store of ``data`` on ``device``.
    """

    def __init__(
        self,
        data: GroundTruthData,
        batch_size: int,
        seed: int,
        device: torch.device,
        store: DeviceStore | None = None,
        **options: Any,
    ) -> None:
        if not supports_device_path(data, options.get("sampler")):
            raise InvalidValueError(
                f"the device data path needs a prepared data set (PreparedData) and the uniform or "
                f"pair sampler; {data.name!r} ({type(data).__name__}) is served by BatchSource"
            )
        super().__init__(data, batch_size, seed, device, **options)
        self.data = data
        self.store = store if store is not None else device_store(data, device)

    def batch(self, step: int) -> dict[str, torch.Tensor]:
        stream = self.stream
        drawn = stream.sampler.draw(self.data, self.batch_size, stream.seed, start=step * self.batch_size)
        parts = stream.sampler.assemble(_RowNumbers(self.data), drawn, np.uint8)
        if self.weak:
            rows1, rows2, _, _, changed = parts[:5]
            if self.label_mode == "last":
                changed = last_resampled(changed, self.seed, step * self.batch_size)
            return {
                "x1": self._images(rows1),
                "x2": self._images(rows2),
                "changed": torch.from_numpy(np.ascontiguousarray(changed)).to(self.device),
            }
        return {"x": self._images(parts[0])}

    def _images(self, rows: np.ndarray) -> torch.Tensor:
        return self.store.gather(rows).contiguous(memory_format=self.memory_format)


def make_batch_source(
    data: GroundTruthData,
    batch_size: int,
    seed: int,
    device: torch.device,
    device_data: bool | None = None,
    **options: Any,
) -> BatchSource:
    """The batch source of a run: :class:`DeviceBatchSource` when ``device_data`` (default: on CUDA devices)
    and the data allows it (see :func:`supports_device_path`), else :class:`BatchSource`."""
    use = device.type == "cuda" if device_data is None else device_data
    if use and supports_device_path(data, options.get("sampler")):
        return DeviceBatchSource(data, batch_size, seed, device, **options)
    return BatchSource(data, batch_size, seed, device, **options)
