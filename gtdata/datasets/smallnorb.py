"""small NORB as in the study: training and testing halves merged, first camera, LANCZOS 96->64, instance a
nuisance factor drawn per observation (datasets.md §3b, §4c).

The raw files are NORB binary matrices (not MATLAB), gzipped or not (told by their first bytes): a
little-endian int32 header (magic, ndim, max(3, ndim) dims) then the data, last index fastest. The manifest
gives each of the six files its role (``training-dat``, ``training-cat``, ``training-info``, and the same for
``testing``); their names do not matter. Rows are not in factor order, so preparation decodes every image
into its grid slot of a 64x64 array (199 MB for the full set) before writing it in chunks.
"""

from __future__ import annotations

import gzip
import os
import struct
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

import numpy as np
from PIL import Image

from gtdata.core.errors import InvalidValueError
from gtdata.core.factors import FactorSpace
from gtdata.datasets.base import BenchmarkData
from gtdata.datasets.manifest import Manifest
from gtdata.datasets.prepare import Progress, write_chunks
from gtdata.store.prepared import PreparedWriter

#: NORB matrix magic numbers -> numpy dtype (little-endian).
MAGIC = {
    0x1E3D4C55: np.dtype(np.uint8),
    0x1E3D4C54: np.dtype("<i4"),
    0x1E3D4C51: np.dtype("<f4"),
    0x1E3D4C53: np.dtype("<f8"),
    0x1E3D4C56: np.dtype("<i2"),
}
_READ_ROWS = 1024


def read_header(fh: IO[bytes], source: str) -> tuple[np.dtype, tuple[int, ...]]:
    """Parse a NORB matrix header; returns the element dtype and the shape."""
    head = fh.read(8)
    if len(head) != 8:
        raise InvalidValueError(f"{source} is too short to be a NORB matrix file")
    magic, ndim = struct.unpack("<ii", head)
    magic &= 0xFFFFFFFF
    if magic not in MAGIC:
        raise InvalidValueError(
            f"{source}: magic {magic:#x} is not a supported NORB matrix type ({', '.join(f'{m:#x}' for m in MAGIC)})"
        )
    if not 1 <= ndim <= 8:
        raise InvalidValueError(f"{source}: implausible number of dimensions {ndim}")
    dims = struct.unpack(f"<{max(3, ndim)}i", fh.read(4 * max(3, ndim)))
    return MAGIC[magic], tuple(dims[:ndim])


def _open(path: Path) -> IO[bytes]:
    """The decompressed bytes of ``path``: gzip is recognised by its magic bytes, not by the file name."""
    with open(path, "rb") as fh:
        packed = fh.read(2) == b"\x1f\x8b"
    return gzip.open(path, "rb") if packed else open(path, "rb")


def read_matrix(path: Path) -> np.ndarray:
    """A whole (small) NORB matrix file, e.g. ``-cat`` or ``-info``."""
    try:
        with _open(path) as fh:
            dtype, shape = read_header(fh, str(path))
            n = int(np.prod(shape)) * dtype.itemsize
            buf = fh.read(n)
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise InvalidValueError(f"{path} cannot be read ({exc}); delete it and download it again") from None
    if len(buf) != n:
        raise InvalidValueError(f"{path} is truncated; delete it and download it again")
    return np.frombuffer(buf, dtype=dtype).reshape(shape)


def iter_images(path: Path, rows: int = _READ_ROWS):
    """Yield blocks (k, 96, 96) uint8 of the first camera from a ``-dat`` file, streaming through gzip."""
    try:
        with _open(path) as fh:
            dtype, shape = read_header(fh, str(path))
            if dtype != np.uint8 or len(shape) != 4 or shape[1] != 2:
                raise InvalidValueError(
                    f"{path}: expected a uint8 (N, 2, H, W) stereo image matrix, got {dtype} {shape}"
                )
            n, _, h, w = shape
            row_bytes = 2 * h * w
            for start in range(0, n, rows):
                k = min(rows, n - start)
                buf = fh.read(k * row_bytes)
                if len(buf) != k * row_bytes:
                    raise InvalidValueError(f"{path} is truncated; delete it and download it again")
                yield np.frombuffer(buf, dtype=np.uint8).reshape(k, 2, h, w)[:, 0]
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise InvalidValueError(f"{path} cannot be read ({exc}); delete it and download it again") from None


def resize(images: np.ndarray, size: int) -> np.ndarray:
    """LANCZOS resize of uint8 (k, H, W) images to (k, size, size) in Pillow mode L (unsigned, clipped)."""
    out = np.empty((images.shape[0], size, size), dtype=np.uint8)
    for i, img in enumerate(images):
        out[i] = np.asarray(Image.fromarray(np.ascontiguousarray(img)).resize((size, size), Image.Resampling.LANCZOS))
    return out


def _codes_of(manifest: Manifest, cat: np.ndarray, info: np.ndarray, source: str) -> np.ndarray:
    """Grid codes (n, 5) of the rows: category, instance, elevation, azimuth, lighting via the ``raw`` lists."""
    raw_columns = np.column_stack([cat.reshape(-1), info.reshape(len(cat), -1)[:, :4]])
    codes = np.empty(raw_columns.shape, dtype=np.int64)
    for j, f in enumerate(manifest.factors):
        raw = np.asarray(f.raw, dtype=np.int64)
        order = np.argsort(raw)
        pos = np.searchsorted(raw, raw_columns[:, j], sorter=order)
        pos = np.clip(pos, 0, raw.size - 1)
        ok = raw[order][pos] == raw_columns[:, j]
        if not ok.all():
            i = int(np.flatnonzero(~ok)[0])
            raise InvalidValueError(
                f"{source}: row {i} has {f.name} = {raw_columns[i, j]}, not one of the manifest's "
                f"stored values {list(f.raw)}"
            )
        codes[:, j] = order[pos]
    return codes


def prepare_smallnorb(
    manifest: Manifest, files: dict[str, Path], writer: PreparedWriter, chunk: int, on_chunk: Progress | None
) -> None:
    """Merge training then testing rows into the factor grid and write it in chunks."""
    if [f.name for f in manifest.factors] != ["category", "instance", "elevation", "azimuth", "lighting"]:
        raise InvalidValueError(
            f"{manifest.path}: small NORB needs the factors category, instance, elevation, azimuth, "
            "lighting in that order"
        )
    height, width, _ = manifest.observation_shape
    space = FactorSpace.from_sizes(manifest.sizes)
    out = np.zeros((space.size, height, width), dtype=np.uint8)
    filled = np.zeros(space.size, dtype=bool)
    for split in ("training", "testing"):
        # Each file by its role in the manifest (checked when the manifest is read), never by its name.
        names = {kind: manifest.file_with_role(f"{split}-{kind}").name for kind in ("dat", "cat", "info")}
        cat, info = read_matrix(files[names["cat"]]), read_matrix(files[names["info"]])
        if len(cat) != len(info):
            raise InvalidValueError(f"{files[names['cat']]} and {files[names['info']]} disagree on the number of rows")
        codes = _codes_of(manifest, cat, info, str(files[names["info"]]))
        if split == "training":
            instance = manifest.factors[1]
            writer.metadata["train_instances"] = [instance.values[c] for c in np.unique(codes[:, 1])]
        index = space.codes_to_index(codes)
        start = 0
        for block in iter_images(files[names["dat"]]):
            rows = index[start : start + len(block)]
            if rows.size != len(block):
                raise InvalidValueError(f"{files[names['dat']]} has more images than {files[names['cat']]} has rows")
            if filled[rows].any():
                raise InvalidValueError(f"{files[names['dat']]}: two images share one factor combination")
            out[rows] = resize(block, height) if block.shape[1:] != (height, width) else block
            filled[rows] = True
            start += len(block)
        if start != len(index):
            raise InvalidValueError(
                f"{files[names['dat']]} has {start} images, {files[names['cat']]} has {len(index)} rows"
            )
    if not filled.all():
        missing = space.index_to_codes(np.flatnonzero(~filled)[:1])[0]
        raise InvalidValueError(
            f"small NORB files do not cover the manifest grid {manifest.sizes}: e.g. codes "
            f"{missing.tolist()} have no image"
        )
    chunks = (out[s : s + chunk] for s in range(writer.position, space.size, chunk))
    write_chunks(writer, chunks, space.size, on_chunk)


class SmallNORB(BenchmarkData):
    """small NORB (48,600 images 64x64x1): category, elevation, azimuth, lighting; instance is nuisance.

    ``instance_as_factor=True`` makes the instance a fifth latent factor (disent's convention) and allows
    ``split="train"`` / ``"test"`` (the original halves: instances 4,6,7,8,9 / 0,1,2,3,5 of every category).

    Parameters
    ----------
    root : str or os.PathLike, optional
        Cache directory; default ``$GTDATA_HOME``, else the platform's user cache directory.
    download : bool, default True
        Fetch missing raw files. With False a missing file is a FileNotFoundError that says where to put it.
    transform : callable, optional
        Applied to the image of ``data[i]`` (torchvision style); the batch methods return plain arrays.
    instance_as_factor : bool, default False
        Keep the instance as a latent factor (5 factors) instead of a nuisance drawn at random per observation
        (4 factors, the study's convention).
    split : {None, "train", "test"}, default None
        One of the original halves (needs ``instance_as_factor=True``); None keeps both.
    edition : str, optional
        Another release listed in the manifest; small NORB has none, so leave it None.
    manifest : str or os.PathLike, optional
        A manifest file or directory to read instead of the built-in ``smallnorb`` manifest (e.g. a copy that
        lists a local mirror).
    progress : bool or None, default None
        Show download and preparation progress bars; None shows them only when stderr is a terminal.

    Raises
    ------
    ValueError
        If ``split`` is not None, ``"train"`` or ``"test"``, if it is given without
        ``instance_as_factor=True`` (both checked before anything is downloaded), or if the prepared set does
        not record its training instances (prepare it again).

    Examples
    --------
    The first call downloads the six NORB files (263 MB), merges both halves into the grid and stores
    it once. Observations are float32 in [0, 1], (N, 64, 64, 1):

    >>> data = SmallNORB()  # doctest: +SKIP
    >>> data.factor_names  # doctest: +SKIP
    ('category', 'elevation', 'azimuth', 'lighting')
    >>> SmallNORB(instance_as_factor=True, split="test").num_factors  # doctest: +SKIP
    5

    The arguments are checked first, and the grid (instance included) is in the manifest (no download):

    >>> try:
    ...     SmallNORB(split="train")
    ... except ValueError as err:
    ...     print(err)
    split='train'/'test' needs instance_as_factor=True: ...
    >>> from gtdata.datasets import load_manifest
    >>> manifest = load_manifest(SmallNORB.manifest_name)
    >>> [f.name for f in manifest.factors], manifest.sizes
    (['category', 'instance', 'elevation', 'azimuth', 'lighting'], (5, 10, 9, 18, 6))
    """

    manifest_name = "smallnorb"

    def __init__(
        self,
        root: str | os.PathLike[str] | None = None,
        download: bool = True,
        transform: Callable[[Any], Any] | None = None,
        *,
        instance_as_factor: bool = False,
        split: str | None = None,
        edition: str | None = None,
        manifest: str | os.PathLike[str] | None = None,
        progress: bool | None = None,
    ) -> None:
        if split not in (None, "train", "test"):
            raise InvalidValueError(f"split must be None, 'train' or 'test', got {split!r}")
        if split is not None and not instance_as_factor:
            raise InvalidValueError(
                "split='train'/'test' needs instance_as_factor=True: the halves differ by instance, "
                "which is otherwise a nuisance factor drawn at random"
            )
        self.instance_as_factor = instance_as_factor
        super().__init__(root, download, transform, edition=edition, manifest=manifest, progress=progress)
        self._init_args.update(instance_as_factor=instance_as_factor, split=split)
        if split is not None:
            train = self._meta.get("metadata", {}).get("train_instances")
            if not train:
                raise InvalidValueError(
                    f"{self.path} does not record which instances form the training half; "
                    "delete it and prepare it again"
                )
            op = "in" if split == "train" else "not in"
            expr = f"instance {op} ({', '.join(str(v) for v in train)},)"
            self._splits = self._splits + ((expr, False),)
            self._drop_split_cache()

    def _open(self) -> None:
        super()._open()
        if self.instance_as_factor:
            self._nuisance_pos = []
            self._latent_pos = list(range(self.stored_space.num_factors))
            self.factor_space = self.stored_space
