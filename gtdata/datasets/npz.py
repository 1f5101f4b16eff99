"""Reading ``.npy`` members of an ``.npz`` in row chunks through zipfile (stored or deflated), so a 12 GB
member never sits in memory; pickled (object) members are refused, never unpickled."""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import numpy as np

from gtdata.core.errors import InvalidValueError


class NpzMember:
    """One array member of an npz: ``shape``, ``dtype``, and ``chunks(rows)`` yielding row blocks."""

    def __init__(self, path: Path, name: str) -> None:
        self.path, self.name = path, name if name.endswith(".npy") else f"{name}.npy"
        try:
            with zipfile.ZipFile(path) as zf:
                if self.name not in zf.namelist():
                    keys = sorted(n.removesuffix(".npy") for n in zf.namelist())
                    raise InvalidValueError(f"{path} has no array {self.name.removesuffix('.npy')!r}; it holds {keys}")
                with zf.open(self.name) as fh:
                    self.shape, self.fortran, self.dtype, self.offset = _header(fh, path, self.name)
        except zipfile.BadZipFile as exc:
            raise InvalidValueError(
                f"{path} is not a readable npz file ({exc}); delete it and download it again"
            ) from None
        if self.dtype.hasobject:
            raise InvalidValueError(
                f"{path}:{self.name} holds pickled objects; gtdata does not unpickle downloaded data"
            )
        if self.fortran and len(self.shape) > 1:
            raise InvalidValueError(f"{path}:{self.name} is stored in Fortran order; only C order is supported")
        self.row_bytes = int(np.prod(self.shape[1:], dtype=np.int64)) * self.dtype.itemsize

    def chunks(self, rows: int, start: int = 0) -> Iterator[np.ndarray]:
        """Yield consecutive blocks of at most ``rows`` rows, from row ``start`` on (memory: one block)."""
        with zipfile.ZipFile(self.path) as zf, zf.open(self.name) as fh:
            fh.seek(self.offset + start * self.row_bytes)
            n = self.shape[0] if self.shape else 1
            pos = start
            while pos < n:
                k = min(rows, n - pos)
                buf = _read_exact(fh, k * self.row_bytes, self.path, self.name)
                yield np.frombuffer(buf, dtype=self.dtype).reshape((k, *self.shape[1:]))
                pos += k

    def read(self) -> np.ndarray:
        """The whole member (for small arrays such as labels)."""
        blocks = list(self.chunks(max(1, self.shape[0] if self.shape else 1)))
        return blocks[0].copy() if blocks else np.empty(self.shape, self.dtype)


def _read_exact(fh: IO[bytes], n: int, path: Path, name: str) -> bytes:
    buf = fh.read(n)
    if len(buf) != n:
        raise InvalidValueError(f"{path}:{name} is truncated; delete the file and download it again")
    return buf


def _header(fh: IO[bytes], path: Path, name: str) -> tuple[tuple[int, ...], bool, np.dtype, int]:
    try:
        version = np.lib.format.read_magic(fh)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(fh)
        else:
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(fh)
    except ValueError as exc:
        raise InvalidValueError(f"{path}:{name} is not a valid .npy member ({exc})") from None
    return tuple(shape), bool(fortran), np.dtype(dtype), fh.tell()


def npz_keys(path: Path) -> list[str]:
    """Array names stored in the npz at ``path``."""
    with zipfile.ZipFile(path) as zf:
        return [n.removesuffix(".npy") for n in zf.namelist()]
