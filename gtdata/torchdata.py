"""PyTorch adapters: a map-style Dataset over the grid and a batched IterableDataset for training.

Images come out NCHW. For 3-channel data the NCHW tensors are views of NHWC memory (``channels_last``
memory format), which is what convolutions on CPU and CUDA prefer, so no copy is made.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import torch
from torch.utils.data import Dataset, IterableDataset, get_worker_info

from gtdata.core.errors import InvalidTypeError, InvalidValueError

from .core.data import GroundTruthData, convert_images
from .core.factors import check_count
from .sampling import PairSampler, TripletSampler, UniformSampler, make_sampler

_KINDS = ("uniform", "pairs", "triplets")


def to_nchw(images: np.ndarray, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """NHWC numpy (uint8 or float in [0, 1]) → NCHW tensor of ``dtype`` (float in [0, 1] or uint8 bytes)."""
    images = convert_images(images, np.dtype(np.uint8 if dtype == torch.uint8 else np.float32))
    return torch.from_numpy(np.ascontiguousarray(images)).permute(0, 3, 1, 2)


class GroundTruthDataset(Dataset):
    """Map-style Dataset: index → (image tensor (C, H, W) float32 in [0, 1], codes tensor (F,) int64).

    Indices run over the grid (or the split) in flat-index order; ``transform`` is applied to the image
    tensor, as in torchvision.
    """

    def __init__(self, data: GroundTruthData, transform: Callable[[torch.Tensor], Any] | None = None):
        self.data = data
        self.transform = transform

    def __len__(self) -> int:
        return len(self.data)

    def __getitem__(self, index: int) -> tuple[Any, torch.Tensor]:
        image, codes = self.data[index]
        tensor = torch.from_numpy(np.ascontiguousarray(image.transpose(2, 0, 1)))
        if self.transform is not None:
            tensor = self.transform(tensor)
        return tensor, torch.from_numpy(codes)


class BatchStream(IterableDataset):
    """Whole batches drawn vectorized from a seeded, counter-based sampler.

    ``sampler`` names what a row is: a :class:`gtdata.sampling.Sampler`, a sampler name
    (:func:`gtdata.sampling.sampler_names`) or a mapping ``{"name": ..., **options}``; its batch's fields come
    out in order, images as NCHW tensors (sequences as (N, T, C, H, W)), everything else as tensors. Without a
    sampler, ``kind`` and ``k``/``mode`` name one as in 0.1: ``kind="uniform"`` yields ``(images, codes)``;
    ``kind="pairs"`` yields ``(x1, x2, codes1, codes2, changed)`` with ``k``/``mode`` as in
    :meth:`GroundTruthData.sample_pairs`; ``kind="triplets"`` yields ``(anchor, positive, negative, codes_a,
    codes_p, codes_n)``. Use with ``DataLoader(stream, batch_size=None, num_workers=N)``: worker w produces
    batches w, w+N, … so the sequence of batches is the same for any number of workers. ``num_batches=None``
    streams forever. ``dtype=torch.uint8`` yields the stored bytes (4× less to move between processes).

    Examples
    --------
    >>> import gtdata
    >>> from gtdata.torchdata import BatchStream
    >>> stream = BatchStream(gtdata.load("toy"), batch_size=8, sampler={"name": "pairs", "k": 1}, num_batches=2)
    >>> [tuple(t.shape) for t in stream.batch(0)][:2]
    [(8, 1, 64, 64), (8, 1, 64, 64)]
    """

    def __init__(
        self,
        data: GroundTruthData,
        batch_size: int,
        kind: str = "uniform",
        k: Any = 1,
        seed: int = 0,
        num_batches: int | None = None,
        mode: str = "exact",
        dtype: torch.dtype = torch.float32,
        transform: Callable[[torch.Tensor], torch.Tensor] | None = None,
        start_batch: int = 0,
        sampler: Any = None,
    ):
        if dtype not in (torch.float32, torch.uint8):
            raise InvalidValueError(f"dtype must be torch.float32 or torch.uint8, got {dtype}")
        self.data = data
        self.batch_size = check_count(batch_size, "batch_size")
        if sampler is None:
            if kind not in _KINDS:
                raise InvalidValueError(f"kind must be one of {_KINDS}, got {kind!r}")
            sampler = {
                "uniform": lambda: UniformSampler(),
                "pairs": lambda: PairSampler(k, mode),
                "triplets": lambda: TripletSampler(),
            }[kind]()
        self.sampler = make_sampler(sampler)
        self.kind, self.k, self.mode, self.seed = self.sampler.name, k, mode, int(seed)
        self.num_batches = None if num_batches is None else check_count(num_batches, "num_batches")
        if start_batch < 0:
            raise InvalidValueError(f"start_batch must be >= 0, got {start_batch}")
        self.start_batch = int(start_batch)
        self.dtype, self.transform = dtype, transform
        self.sampler.check(data)

    def __len__(self) -> int:
        if self.num_batches is None:
            raise InvalidTypeError("an endless BatchStream has no length; pass num_batches")
        return self.num_batches

    def batch(self, index: int) -> tuple[torch.Tensor, ...]:
        """Batch number ``index`` of the stream (a pure function of the seed and the index)."""
        np_dtype = np.uint8 if self.dtype == torch.uint8 else np.float32
        drawn = self.sampler.sample(
            self.data, self.batch_size, self.seed, start=index * self.batch_size, dtype=np_dtype
        )
        return tuple(self._images(a) if _is_images(a) else torch.from_numpy(np.ascontiguousarray(a)) for a in drawn)

    def _images(self, images: np.ndarray) -> torch.Tensor:
        if images.ndim == 5:  # sequences (N, T, H, W, C) -> (N, T, C, H, W)
            n, t = images.shape[:2]
            flat = self._images(images.reshape(n * t, *images.shape[2:]))
            return flat.reshape(n, t, *flat.shape[1:])
        tensor = to_nchw(images, self.dtype)
        return tensor if self.transform is None else self.transform(tensor)

    def __iter__(self) -> Iterator[tuple[torch.Tensor, ...]]:
        info = get_worker_info()
        worker, workers = (0, 1) if info is None else (info.id, info.num_workers)
        index = self.start_batch + worker
        stop = None if self.num_batches is None else self.start_batch + self.num_batches
        while stop is None or index < stop:
            yield self.batch(index)
            index += workers


def _is_images(a: Any) -> bool:
    return isinstance(a, np.ndarray) and a.ndim >= 4 and a.dtype in (np.float32, np.float64, np.uint8)
