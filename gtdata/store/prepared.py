"""The prepared store: one uint8 ``images.npy`` in factor-index order plus a ``dataset.yaml``.

Layout of a prepared directory::

    images.npy     uint8 (N, H, W, C), N = product of all stored factor sizes, last factor fastest
    dataset.yaml   format_version, name, num_images, observation_shape, dtype, factors (name, values or
                   low/high/num, unit, nuisance flag), images (file, bytes, sha256), metadata (sources,
                   checksums, spec, provenance), created, gtdata_version

The writer streams chunks into ``<dir>.partial/`` and renames the directory into place only after the
image count and checksum are verified, so an interrupted write never looks complete; the position is
recorded after every chunk, and a new writer resumes from it. The reader memory-maps ``images.npy`` read-only: a 12 GB set costs no RAM.
"""

from __future__ import annotations

import datetime
import hashlib
import io
import json
import os
import re
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from gtdata.core.errors import InvalidValueError, MissingFileError
from gtdata.core.persist import (
    atomic_write_json,
    atomic_write_yaml,
    check_free_space,
    check_output,
    fsync_dir,
    replace_dir,
    to_plain,
)

from ..core.data import GroundTruthData
from ..core.factors import Factor, FactorSpace, FactorSpecError
from ..core.rng import AnyRNG, randint
from .yamlio import YAMLFileError, field_error, parse_yaml

FORMAT_VERSION = 1
#: The ``kind:`` of a prepared set's ``dataset.yaml``.
KIND = "prepared"
IMAGES = "images.npy"
META = "dataset.yaml"
PROGRESS = "progress.json"
# Everything a writer puts in a prepared or partial directory: the three files and atomic_write's temporaries.
_OWN_FILE = re.compile(r"(images\.npy|dataset\.yaml|progress\.json|\.(dataset\.yaml|progress\.json)\..+\.tmp)")


def _holds_only_own_files(path: Path) -> bool:
    return path.is_dir() and all(_OWN_FILE.fullmatch(p.name) and p.is_file() for p in path.iterdir())


def is_prepared_dir(path: str | os.PathLike) -> bool:
    """True when ``path`` is a prepared gtdata set and nothing else: ``dataset.yaml``, ``images.npy`` and no
    file gtdata did not write (only such a directory may be replaced with ``overwrite=True``)."""
    path = Path(path)
    return not path.is_symlink() and (path / META).is_file() and _holds_only_own_files(path)


class PreparedWriter:
    """Write a prepared data set chunk by chunk, atomically and resumably.

    ``factor_space`` lists every stored factor (latent and nuisance) in storage order; ``nuisance`` names the
    factors that are sampled at random instead of being latent (e.g. SmallNORB's instance). Use as a context
    manager: write chunks from ``writer.position`` on, then ``commit()``. Leaving the block without a commit
    keeps the partial directory so the next writer with the same layout resumes.

    Parameters
    ----------
    path : str or os.PathLike
        The directory to create; chunks go to ``<path>.partial/`` until :meth:`commit`.
    factor_space : FactorSpace
        Every stored factor in storage order; the writer expects ``factor_space.size`` images in flat-index
        order (last factor fastest).
    observation_shape : sequence of int
        (H, W, C) of one image, in pixels and channels.
    metadata : mapping, optional
        Stored under ``metadata`` in ``dataset.yaml`` (sources, checksums, spec...); values are converted to
        plain YAML types. Its ``"name"`` names the set when ``name`` is not given.
    nuisance : sequence of str, default ()
        Names of factors in ``factor_space`` that readers draw at random instead of exposing as latents.
    resume : bool, default True
        Continue a partial write of the same layout (same factors, shape and nuisance) from its last chunk;
        False starts over.
    overwrite : bool, default False
        Allow :meth:`commit` to replace a prepared gtdata set already at ``path``.
    name : str, optional
        The set's name in ``dataset.yaml`` and in messages; default ``metadata["name"]``, else the directory
        name.

    Raises
    ------
    ValueError
        If ``observation_shape`` is not three positive integers, or ``nuisance`` names a factor that is not
        in ``factor_space``.
    OutputExistsError
        If ``path`` holds anything but a prepared gtdata set, or a prepared set without ``overwrite=True``
        (checked before anything is written).
    OSError
        If the disk cannot hold the whole set (checked before anything is written).

    See Also
    --------
    PreparedData : reads what the writer commits.

    Examples
    --------
    Six 4x4 grey images on a 2x3 grid, image i filled with the value i:

    >>> import numpy as np
    >>> from gtdata.core.factors import Factor, FactorSpace
    >>> space = FactorSpace([Factor("shape", ["square", "heart"]), Factor("size", [1.0, 2.0, 3.0])])
    >>> with PreparedWriter("tiny", space, (4, 4, 1)) as writer:
    ...     writer.write(np.arange(6, dtype=np.uint8)[:, None, None, None] * np.ones((1, 4, 4, 1), np.uint8))
    ...     path = writer.commit()
    >>> sorted(p.name for p in path.iterdir())
    ['dataset.yaml', 'images.npy']
    >>> PreparedData(path).observations([[1, 2]], dtype=np.uint8)[0, 0, 0]  # codes (1, 2): index 1 * 3 + 2
    array([5], dtype=uint8)

    A writer left without a commit resumes where it stopped:

    >>> with PreparedWriter("partial", space, (4, 4, 1)) as writer:
    ...     writer.write(np.zeros((4, 4, 4, 1), np.uint8))
    >>> with PreparedWriter("partial", space, (4, 4, 1)) as writer:
    ...     writer.position, writer.remaining
    (4, 2)
    """

    def __init__(
        self,
        path: str | os.PathLike,
        factor_space: FactorSpace,
        observation_shape: Sequence[int],
        metadata: Mapping[str, Any] | None = None,
        nuisance: Sequence[str] = (),
        resume: bool = True,
        overwrite: bool = False,
        name: str | None = None,
    ):
        self.path = Path(path)
        self.partial = self.path.with_name(self.path.name + ".partial")
        self.space = factor_space
        self.shape = tuple(int(s) for s in observation_shape)
        if len(self.shape) != 3 or min(self.shape) < 1:
            raise InvalidValueError(f"observation_shape must be (H, W, C), got {tuple(observation_shape)}")
        unknown = [n for n in nuisance if n not in factor_space.names]
        if unknown:
            raise InvalidValueError(f"nuisance factors {unknown} are not among the factors {list(factor_space.names)}")
        self.nuisance = list(nuisance)
        self.metadata = dict(metadata or {})
        self.name = name or self.metadata.get("name") or self.path.name
        self.total = factor_space.size
        self.image_bytes = int(np.prod(self.shape))
        self.overwrite = overwrite
        check_output(self.path, directory=True, is_gtdata=is_prepared_dir, overwrite=overwrite)
        # The partial directory is gtdata's own scratch, restarted freely, unless something else has its name.
        check_output(
            self.partial, directory=True, is_gtdata=_holds_only_own_files, overwrite=True, what="a partial gtdata write"
        )
        self.signature = hashlib.sha256(repr((factor_space.to_dict(), self.shape, self.nuisance)).encode()).hexdigest()
        self.position = 0
        self._hash = hashlib.sha256()
        self._fh = None
        self._open(resume)

    def _open(self, resume: bool) -> None:
        header = _npy_header((self.total, *self.shape))
        progress_file = self.partial / PROGRESS
        if resume and progress_file.exists():
            try:
                progress = json.loads(progress_file.read_text())
            except (OSError, ValueError):
                progress = {}
            if progress.get("signature") == self.signature and (self.partial / IMAGES).exists():
                self.position = int(progress.get("position", 0))
                self._fh = open(self.partial / IMAGES, "r+b")
                end = len(header) + self.position * self.image_bytes
                if os.fstat(self._fh.fileno()).st_size < end:
                    self.position = 0
                    end = len(header)
                self._fh.truncate(end)
                self._rehash(end)
                self._fh.seek(end)
                return
        if self.partial.exists():
            shutil.rmtree(self.partial)
        check_free_space(self.path.parent, len(header) + self.total * self.image_bytes, f"writing {self.name}")
        self.partial.mkdir(parents=True)
        self._fh = open(self.partial / IMAGES, "w+b")
        self._fh.write(header)
        self._hash.update(header)
        self._save_progress()

    def _rehash(self, end: int) -> None:
        self._fh.seek(0)
        remaining = end
        while remaining:
            block = self._fh.read(min(remaining, 64 << 20))
            self._hash.update(block)
            remaining -= len(block)

    def _save_progress(self) -> None:
        self._fh.flush()
        os.fsync(self._fh.fileno())
        atomic_write_json(
            self.partial / PROGRESS, {"signature": self.signature, "position": self.position, "total": self.total}
        )

    @property
    def remaining(self) -> int:
        return self.total - self.position

    def write(self, chunk: np.ndarray) -> None:
        """Append images (n, H, W, C) uint8 (a (n, H, W) chunk is accepted for one channel).

        The chunk is flushed to disk and ``position`` recorded before this returns: a process killed
        afterwards resumes after this chunk.
        """
        chunk = np.asarray(chunk)
        if chunk.ndim == 3 and self.shape[2] == 1:
            chunk = chunk[..., None]
        if chunk.dtype != np.uint8:
            raise InvalidValueError(f"chunks must be uint8, got {chunk.dtype}")
        if chunk.shape[1:] != self.shape:
            raise InvalidValueError(f"chunk images must have shape {self.shape}, got {chunk.shape[1:]}")
        if chunk.shape[0] > self.remaining:
            raise InvalidValueError(
                f"{self.name}: {chunk.shape[0]} images written past the end "
                f"({self.position} of {self.total} already written)"
            )
        data = memoryview(np.ascontiguousarray(chunk)).cast("B")
        self._fh.write(data)
        self._hash.update(data)
        self.position += chunk.shape[0]
        # Every chunk is made durable and recorded, so a killed writer resumes after its last chunk (one
        # fsync per chunk: negligible next to producing a chunk of images).
        self._save_progress()

    def commit(self) -> Path:
        """Verify the count, write ``dataset.yaml`` and move the data set into place. Returns its path."""
        if self.position != self.total:
            raise InvalidValueError(f"{self.name}: {self.position} of {self.total} images written; cannot commit")
        self._save_progress()
        size = self._fh.tell()
        self._fh.close()
        self._fh = None
        from .._version import __version__

        meta = {
            "kind": KIND,
            "format_version": FORMAT_VERSION,
            "name": self.name,
            "num_images": self.total,
            "observation_shape": list(self.shape),
            "dtype": "uint8",
            "factors": [dict(f.to_dict(), nuisance=f.name in self.nuisance) for f in self.space],
            "images": {"file": IMAGES, "bytes": size, "sha256": self._hash.hexdigest()},
            "metadata": to_plain(self.metadata),
            "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "gtdata_version": __version__,
        }
        atomic_write_yaml(self.partial / META, meta)
        (self.partial / PROGRESS).unlink()
        fsync_dir(self.partial)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # Checked again: another process may have put something at the path since this writer started.
        check_output(self.path, directory=True, is_gtdata=is_prepared_dir, overwrite=self.overwrite)
        replace_dir(self.partial, self.path)
        return self.path

    def close(self) -> None:
        """Record progress and close; the partial directory stays for a later resume."""
        if self._fh is not None:
            self._save_progress()
            self._fh.close()
            self._fh = None

    def __enter__(self) -> PreparedWriter:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _npy_header(shape: tuple[int, ...]) -> bytes:
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, {"descr": "|u1", "fortran_order": False, "shape": shape})
    return buf.getvalue()


def read_dataset_yaml(path: str | os.PathLike) -> dict:
    """The parsed and checked ``dataset.yaml`` of the prepared directory ``path``.

    Raises
    ------
    FileNotFoundError
        ``dataset.yaml`` is missing (with a hint when an interrupted preparation is in progress).
    YAMLFileError
        A ValueError naming the file, the line and column of a syntax error, or the field (and where it is
        written) whose type or value is wrong, and the fix.
    """
    meta_file = Path(path) / META
    if not meta_file.exists():
        partial = Path(path).with_name(Path(path).name + ".partial")
        hint = (
            " (an interrupted preparation is in progress or was stopped; run it again to resume)"
            if partial.exists()
            else ""
        )
        raise MissingFileError(f"{path} is not a prepared gtdata set: {META} is missing{hint}")
    text = meta_file.read_text(encoding="utf-8")
    meta = parse_yaml(text, meta_file)
    fix = f"; delete {path} and prepare it again"

    def fail(keys: Sequence[str | int], message: str) -> YAMLFileError:
        return field_error(meta_file, text, keys, message + fix)

    if not isinstance(meta, dict):
        raise YAMLFileError(f"{meta_file}: must be a mapping of fields, got {type(meta).__name__}{fix}")
    for key in ("format_version", "num_images", "observation_shape", "factors", "images"):
        if key not in meta:
            raise YAMLFileError(f"{meta_file}: the field {key!r} is missing{fix}")
    if meta.get("kind", KIND) != KIND:  # sets prepared before kind: existed have none
        raise fail(["kind"], f"must be {KIND!r} in a prepared set's {META}, got {meta['kind']!r}")
    version = meta["format_version"]
    if not _is_int(version) or version < 1:
        raise fail(["format_version"], f"must be a positive integer, got {version!r}")
    if version > FORMAT_VERSION:
        raise fail(["format_version"], f"is {version}; this gtdata reads up to {FORMAT_VERSION}: upgrade gtdata")
    if not _is_int(meta["num_images"]) or meta["num_images"] < 0:
        raise fail(["num_images"], f"must be a non-negative integer, got {meta['num_images']!r}")
    shape = meta["observation_shape"]
    if not (isinstance(shape, list) and len(shape) == 3 and all(_is_int(s) and s > 0 for s in shape)):
        raise fail(["observation_shape"], f"must be [height, width, channels] (positive integers), got {shape!r}")
    if meta.get("dtype", "uint8") != "uint8":
        raise fail(["dtype"], f"must be 'uint8', got {meta['dtype']!r}")
    factors = meta["factors"]
    if not isinstance(factors, list):
        raise fail(
            ["factors"], f"must be a list of factors (name, values or low/high/num), got {type(factors).__name__}"
        )
    sizes = []
    for i, entry in enumerate(factors):
        if not isinstance(entry, dict):
            raise fail(["factors", i], f"must be a mapping (name, values or low/high/num), got {entry!r}")
        try:
            sizes.append(Factor.from_spec(entry, place=f"factors[{i}]", extra_keys=("nuisance",)).size)
        except FactorSpecError as exc:
            raise fail(["factors", i], exc.message if exc.place == f"factors[{i}]" else str(exc)) from None
        if not isinstance(entry.get("nuisance", False), bool):
            raise fail(["factors", i, "nuisance"], f"must be true or false, got {entry['nuisance']!r}")
    images = meta["images"]
    if not isinstance(images, dict):
        raise fail(["images"], f"must be a mapping (file, bytes, sha256), got {type(images).__name__}")
    name = images.get("file", IMAGES)
    # A path here could point the memory map anywhere on the disk; only a file of this directory is read.
    if not isinstance(name, str) or not name or Path(name).name != name or name in (".", ".."):
        raise fail(["images", "file"], f"must be a file name inside the directory, got {name!r}")
    if "bytes" in images and (not _is_int(images["bytes"]) or images["bytes"] < 0):
        raise fail(["images", "bytes"], f"must be a non-negative integer, got {images['bytes']!r}")
    if "metadata" in meta and not isinstance(meta["metadata"], dict):
        raise fail(["metadata"], f"must be a mapping, got {type(meta['metadata']).__name__}")
    span = int(np.prod(sizes, dtype=np.int64))
    if meta["num_images"] != span:
        raise fail(["num_images"], f"is {meta['num_images']}, but the factors span {span} grid points")
    return meta


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


class PreparedData(GroundTruthData):
    """GroundTruthData over a prepared directory (memory-mapped ``images.npy`` + ``dataset.yaml``).

    Factors flagged ``nuisance`` in ``dataset.yaml`` are not latent: each draw picks them uniformly (in
    storage order, as disentanglement_lib does). Pickles as its path, so workers reopen the memory map.

    Parameters
    ----------
    path : str or os.PathLike
        A prepared directory (written by :class:`PreparedWriter`, ``gtdata prepare`` or
        :func:`gtdata.export_rendered`).
    transform : callable, optional
        Applied to the image of ``data[i]`` (torchvision style); the batch methods return plain arrays.

    Raises
    ------
    FileNotFoundError
        If ``dataset.yaml`` or ``images.npy`` is missing.
    YAMLFileError
        If ``dataset.yaml`` is malformed (the message names the field).
    ValueError
        If ``images.npy`` does not match ``dataset.yaml`` (truncated, other shape or dtype).

    Examples
    --------
    Export a few rendered images, then open them (``gtdata.load(path)`` does the same):

    >>> import numpy as np
    >>> from gtdata.render import export_rendered
    >>> path = export_rendered("dsprites_like", "hearts", split='shape == "heart" and scale == 1.0 and '
    ...                        'orientation == 0 and posX < 0.1 and posY < 0.1', progress=False)
    >>> data = PreparedData(path)
    >>> len(data), data.factors_num_values, data.observation_shape
    (16, [1, 1, 1, 4, 4], (64, 64, 1))
    >>> data.images.dtype, data.images.shape  # the memory map: uint8, flat-index order
    (dtype('uint8'), (16, 64, 64, 1))
    >>> data.sample_observations(2, random_state=0).dtype
    dtype('float32')
    """

    def __init__(self, path: str | os.PathLike, transform=None):
        self.path = Path(path)
        self.transform = transform
        self._open()

    def _open(self) -> None:
        meta = read_dataset_yaml(self.path)
        self._meta = meta
        self.name = meta.get("name") or self.path.name
        self.stored_space = FactorSpace.from_dict(meta["factors"])
        self._nuisance_pos = [i for i, f in enumerate(meta["factors"]) if f.get("nuisance")]
        self._latent_pos = [i for i, f in enumerate(meta["factors"]) if not f.get("nuisance")]
        self.factor_space = FactorSpace(self.stored_space.factors[i] for i in self._latent_pos)
        self.observation_shape = tuple(int(s) for s in meta["observation_shape"])
        images_file = self.path / meta["images"].get("file", IMAGES)
        fix = f"delete {self.path} and prepare it again"
        try:
            size = images_file.stat().st_size
        except FileNotFoundError:
            raise MissingFileError(f"{images_file} is missing ({META} promises it); {fix}") from None
        recorded = meta["images"].get("bytes")
        if recorded is not None and size != recorded:
            raise InvalidValueError(
                f"{images_file} has {size} bytes, {META} records {recorded}: the file was truncated or replaced; {fix}"
            )
        try:
            self.images = np.load(images_file, mmap_mode="r")
        except (OSError, ValueError, EOFError) as exc:
            raise InvalidValueError(f"cannot read {images_file} ({size} bytes): {exc}; {fix}") from None
        expected = (self.stored_space.size, *self.observation_shape)
        if self.images.shape != expected or self.images.dtype != np.uint8:
            raise InvalidValueError(
                f"{images_file} holds {self.images.dtype} {self.images.shape}, dataset.yaml "
                f"promises uint8 {expected}; delete {self.path} and prepare it again"
            )

    @property
    def metadata(self) -> dict[str, Any]:
        out = super().metadata
        out.update({k: v for k, v in self._meta.get("metadata", {}).items() if k not in out})
        out["path"] = str(self.path)
        out["images_sha256"] = self._meta["images"].get("sha256")
        out["nuisance_factors"] = [self.stored_space.names[i] for i in self._nuisance_pos]
        return out

    def _draw_nuisance(self, n: int, rng: AnyRNG) -> dict[str, np.ndarray] | None:
        if not self._nuisance_pos:
            return None
        sizes = self.stored_space.sizes
        return {"stored_codes": np.stack([randint(rng, sizes[i], n) for i in self._nuisance_pos], axis=1)}

    def stored_index(self, codes: np.ndarray, nuisance: dict[str, np.ndarray] | None) -> np.ndarray:
        """Row numbers in ``images.npy`` of latent codes plus the drawn nuisance codes."""
        strides = self.stored_space.strides
        flat = codes @ strides[self._latent_pos]
        if self._nuisance_pos:
            flat = flat + nuisance["stored_codes"] @ strides[self._nuisance_pos]
        return flat

    def _render(self, codes: np.ndarray, nuisance: dict[str, np.ndarray] | None) -> np.ndarray:
        return np.take(self.images, self.stored_index(codes, nuisance), axis=0)

    @property
    def stored_images(self) -> np.ndarray | None:
        """The memory-mapped ``images.npy``: its rows are this set's observations (see
        :attr:`GroundTruthData.stored_images`), unless a subclass renders differently (then None)."""
        # The one place that compares rendering functions: a subclass that overrides _render changes the
        # pixels, so its observations are no longer the stored rows.
        return self.images if type(self)._render is PreparedData._render else None

    def verify(self) -> bool:
        """Recompute the sha256 of ``images.npy`` and compare it with ``dataset.yaml``."""
        digest = hashlib.sha256()
        with open(self.path / self._meta["images"].get("file", IMAGES), "rb") as fh:
            for block in iter(lambda: fh.read(64 << 20), b""):
                digest.update(block)
        return digest.hexdigest() == self._meta["images"].get("sha256")

    def __getstate__(self) -> dict:
        state = super().__getstate__()
        for key in ("images", "_meta", "stored_space", "factor_space"):
            state.pop(key, None)
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._open()
