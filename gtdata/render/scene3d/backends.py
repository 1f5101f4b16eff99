"""Array backends of the 3-D renderer: the same tracing code runs on numpy (CPU) or torch (CPU, CUDA).

The tracer is written once against a small set of operations (``Ops``); each backend maps them to its
library. Only IEEE-exact operations (+, -, *, /, sqrt, min, max, comparisons) and one ``pow`` (specular
highlights) touch per-ray values, and every sum runs in a fixed order, so numpy and torch give the same
numbers up to ``pow``'s last bit and to fused multiply-adds on GPUs (see ``gtdata.render.scene3d``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gtdata.core.errors import InvalidValueError

__all__ = ["BACKENDS", "NumpyOps", "Ops", "TorchOps", "make_ops"]

BACKENDS = ("numpy", "torch")


class Ops:
    """Interface: array creation, elementwise maths and gathers, in float32/int32."""

    name = "ops"
    device = "cpu"

    def asarray(self, x: Any, dtype: str = "float32") -> Any:  # pragma: no cover - interface
        raise NotImplementedError


class NumpyOps(Ops):
    """numpy float32 arrays (the default backend)."""

    name = "numpy"
    float = np.float32
    index = "int32"  # dtype of slot ids and gather indices

    def asarray(self, x, dtype="float32"):
        return np.ascontiguousarray(np.asarray(x, dtype=dtype))

    def to_numpy(self, x):
        return np.asarray(x)

    sqrt = staticmethod(np.sqrt)
    abs = staticmethod(np.abs)
    minimum = staticmethod(np.minimum)
    maximum = staticmethod(np.maximum)
    floor = staticmethod(np.floor)
    zeros_like = staticmethod(np.zeros_like)

    @staticmethod
    def where(cond, a, b):
        return np.where(cond, a, b)

    @staticmethod
    def full(shape, value, like):
        return np.full(shape, value, dtype=like.dtype)

    @staticmethod
    def zeros(shape, dtype="float32"):
        return np.zeros(shape, dtype=dtype)

    @staticmethod
    def clamp(x, lo=None, hi=None):
        return np.clip(x, lo, hi)

    @staticmethod
    def pow(x, y):
        return np.power(x, y)

    @staticmethod
    def stack(xs, axis):
        return np.stack(xs, axis=axis)

    @staticmethod
    def nonzero(mask):
        return np.nonzero(mask)

    @staticmethod
    def any(x):
        return bool(np.any(x))

    @staticmethod
    def all(x):
        return bool(np.all(x))

    @staticmethod
    def to_int(x):
        return x.astype(np.int32)

    @staticmethod
    def to_index(x):
        """x (bool or int) as the index dtype (slot ids)."""
        return x.astype(np.int32)

    @staticmethod
    def take(table, index):
        return np.take(table, index, mode="clip")  # indices are valid: "clip" skips the bounds check and buffer

    @staticmethod
    def lookup(table, x):
        """table[x] for integer-valued floats x (np.take indexes with intp: converting once, not twice)."""
        return np.take(table, x.astype(np.intp), mode="clip")

    @staticmethod
    def flatnonzero(mask):
        return np.flatnonzero(mask)

    @staticmethod
    def put_where(dst, cond, value):
        """dst[cond] = value in place (value a number or an array broadcastable to dst)."""
        np.copyto(dst, value, where=cond)

    @staticmethod
    def repeat(x, times):
        return np.repeat(x, times)

    @staticmethod
    def take_cols(table, index):
        """table[:, index] as a C-contiguous array (table[:, index] itself is a transposed view, which makes
        every later operation on its rows strided)."""
        # sorted and expanding (the tracer's usual case, images -> their rays): a repeat
        if len(index) >= 4 * table.shape[1] and np.all(index[1:] >= index[:-1]):
            return np.repeat(table, np.bincount(index, minlength=table.shape[1]), axis=1)
        out = np.empty((table.shape[0], len(index)), dtype=table.dtype)
        for j in range(table.shape[0]):
            np.take(table[j], index, out=out[j], mode="clip")  # "raise" would fill a buffer, then copy it
        return out

    @staticmethod
    def take_rows(table, index):
        return np.take(table, index, axis=0, mode="clip")

    @staticmethod
    def arange(n):
        return np.arange(n, dtype=np.int32)

    @staticmethod
    def to_float(x):
        return x.astype(np.float32)

    @staticmethod
    def any_axis(x, axis):
        return np.any(x, axis=axis)

    @staticmethod
    def all_axis(x, axis):
        return np.all(x, axis=axis)

    @staticmethod
    def sum_axis(x, axis):
        return np.sum(x, axis=axis)

    @staticmethod
    def concat(xs, axis=0):
        return np.concatenate(xs, axis=axis)

    @staticmethod
    def errstate():
        return np.errstate(divide="ignore", invalid="ignore", over="ignore")


class TorchOps(Ops):
    """torch float32 tensors on ``device`` ("cpu", "cuda", "cuda:1"...)."""

    name = "torch"

    index = "int64"  # torch indexes with int64

    def __init__(self, device: str = "cpu") -> None:
        import torch

        self.torch = torch
        self.device = torch.device(device)
        self.float = torch.float32

    def asarray(self, x, dtype="float32"):
        t = self.torch
        dt = {
            "float32": t.float32,
            "int32": t.int32,
            "int64": t.int64,
            "bool": t.bool,
            "uint8": t.uint8,
            "int16": t.int16,
        }[dtype]
        if isinstance(x, t.Tensor):
            return x.to(device=self.device, dtype=dt)
        arr = np.ascontiguousarray(np.asarray(x, dtype=dtype if dtype != "bool" else bool))
        return t.from_numpy(arr).to(self.device)

    def to_numpy(self, x):
        return x.detach().cpu().numpy()

    def sqrt(self, x):
        return self.torch.sqrt(x)

    def abs(self, x):
        return self.torch.abs(x)

    def minimum(self, a, b):
        return self.torch.minimum(a, b)

    def maximum(self, a, b):
        return self.torch.maximum(a, b)

    def floor(self, x):
        return self.torch.floor(x)

    def zeros_like(self, x):
        return self.torch.zeros_like(x)

    def where(self, cond, a, b):
        t = self.torch
        if not isinstance(a, t.Tensor):
            a = t.tensor(a, dtype=b.dtype if isinstance(b, t.Tensor) else t.float32, device=self.device)
        if not isinstance(b, t.Tensor):
            b = t.tensor(b, dtype=a.dtype, device=self.device)
        return t.where(cond, a, b)

    def full(self, shape, value, like):
        return self.torch.full(tuple(shape), value, dtype=like.dtype, device=self.device)

    def zeros(self, shape, dtype="float32"):
        return self.torch.zeros(tuple(shape), dtype=getattr(self.torch, dtype), device=self.device)

    def clamp(self, x, lo=None, hi=None):
        return self.torch.clamp(x, lo, hi)

    def pow(self, x, y):
        return self.torch.pow(x, y)

    def stack(self, xs, axis):
        return self.torch.stack(xs, dim=axis)

    def nonzero(self, mask):
        return self.torch.nonzero(mask, as_tuple=True)

    def any(self, x):
        return bool(self.torch.any(x))

    def all(self, x):
        return bool(self.torch.all(x))

    def to_int(self, x):
        return x.to(self.torch.int32)

    def to_index(self, x):
        return x.to(self.torch.int64)

    def take(self, table, index):
        return table[index.long()]

    def lookup(self, table, x):
        return table[x.long()]

    def flatnonzero(self, mask):
        return self.torch.nonzero(mask.reshape(-1)).reshape(-1)

    def put_where(self, dst, cond, value):
        if isinstance(value, self.torch.Tensor):
            dst.copy_(self.torch.where(cond, value, dst))
        else:
            dst.masked_fill_(cond, value)

    def take_rows(self, table, index):
        return table[index]

    def take_cols(self, table, index):
        return self.torch.index_select(table, 1, index)

    def repeat(self, x, times):
        return self.torch.repeat_interleave(x, times)

    def arange(self, n):
        return self.torch.arange(n, device=self.device)

    def to_float(self, x):
        return x.to(self.torch.float32)

    def any_axis(self, x, axis):
        return self.torch.any(x, dim=axis)

    def all_axis(self, x, axis):
        return self.torch.all(x, dim=axis)

    def sum_axis(self, x, axis):
        return self.torch.sum(x, dim=axis)

    def concat(self, xs, axis=0):
        return self.torch.cat(xs, dim=axis)

    def errstate(self):
        import contextlib

        return contextlib.nullcontext()


def make_ops(backend: str = "numpy", device: str = "auto") -> Ops:
    """The ``Ops`` of a backend. ``device="auto"``: CUDA when torch sees a GPU, else the CPU.

    Raises ValueError (naming the argument) for an unknown backend or a device that is not available.
    """
    if backend not in BACKENDS:
        raise InvalidValueError(f"backend must be one of {', '.join(BACKENDS)} (got {backend!r})")
    if backend == "numpy":
        if device not in ("auto", "cpu"):
            raise InvalidValueError(f"device {device!r} needs backend='torch'; the numpy backend runs on the CPU only")
        return NumpyOps()
    try:
        import torch
    except ImportError:  # pragma: no cover - torch is a test dependency
        raise InvalidValueError("backend='torch' needs PyTorch (pip install torch)") from None
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    if str(device).startswith("cuda") and not torch.cuda.is_available():
        raise InvalidValueError(
            f"device {device!r} is not available (torch.cuda.is_available() is False); use device='cpu' or 'auto'"
        )
    try:
        torch.device(device)
    except (RuntimeError, TypeError):
        raise InvalidValueError(f"device {device!r} is not a torch device; use 'auto', 'cpu' or 'cuda'") from None
    return TorchOps(str(device))
