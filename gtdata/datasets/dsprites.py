"""dSprites and the study's three variants (Color-, Noisy-, Scream-dSprites).

Preparation streams ``imgs`` out of the npz (or the HDF5 release) in chunks, checks ``latents_classes``
against the manifest's grid, drops the constant colour column and stores 0/1 pixels as 0/255. The variants
are random per-draw transforms of the same prepared set, exactly as disentanglement_lib defines them
(datasets.md §4a), drawing from the caller's rng in that library's order.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import h5py
import numpy as np
from PIL import Image

from gtdata.core.data import GroundTruthData
from gtdata.core.errors import InvalidValueError
from gtdata.core.rng import AnyRNG, randint, uniform
from gtdata.datasets.base import BenchmarkData
from gtdata.datasets.manifest import Manifest, load_manifest
from gtdata.datasets.npz import NpzMember
from gtdata.datasets.prepare import Progress, fetch_all, verify_all, write_chunks
from gtdata.store.prepared import PreparedWriter

#: disentanglement_lib's thumbnail box for the Scream painting (width, height).
SCREAM_BOX = (350, 274)


def _check_grid(manifest: Manifest, classes: np.ndarray, values: np.ndarray | None, source: str) -> None:
    """The file's rows must follow the manifest grid (row-major, last factor fastest) with a constant colour."""
    n = manifest.num_images
    if classes.shape != (n, len(manifest.factors) + 1):
        raise InvalidValueError(
            f"{source}: latents_classes has shape {classes.shape}; the manifest grid "
            f"{manifest.sizes} (plus the colour column) needs ({n}, {len(manifest.factors) + 1})"
        )
    if np.any(classes[:, 0] != 0):
        raise InvalidValueError(f"{source}: the colour column of latents_classes is not constant")
    expected = np.stack(np.unravel_index(np.arange(n), manifest.sizes), axis=1)
    bad = np.flatnonzero(np.any(classes[:, 1:] != expected, axis=1))
    if bad.size:
        raise InvalidValueError(
            f"{source}: row {bad[0]} has factor classes {classes[bad[0], 1:].tolist()}, the manifest "
            f"grid puts {expected[bad[0]].tolist()} there; the file does not match the manifest"
        )
    if values is None:
        return
    for j, f in enumerate(manifest.factors):
        if isinstance(f.values[0], str):
            continue
        got = values[:, j + 1]
        want = np.asarray(f.values, dtype=np.float64)[expected[:, j]]
        if not np.allclose(got, want, rtol=0, atol=1e-6):
            i = int(np.argmax(np.abs(got - want)))
            raise InvalidValueError(
                f"{source}: factor {f.name!r} value {got[i]} at row {i} differs from the manifest's {want[i]}"
            )


def _binary_to_bytes(chunk: np.ndarray, source: str) -> np.ndarray:
    if chunk.size and chunk.max() > 1:
        raise InvalidValueError(f"{source}: imgs are expected to hold 0/1, found {int(chunk.max())}")
    return chunk * np.uint8(255)


def prepare_dsprites(
    manifest: Manifest, files: dict[str, Path], writer: PreparedWriter, chunk: int, on_chunk: Progress | None
) -> None:
    """Stream the dSprites images (npz or HDF5) into ``writer`` as 0/255 bytes."""
    (path,) = files.values()
    n = manifest.num_images
    if path.suffix == ".npz":
        classes = NpzMember(path, "latents_classes").read()
        values = NpzMember(path, "latents_values").read()
        _check_grid(manifest, classes, values, str(path))
        imgs = NpzMember(path, "imgs")
        if imgs.shape != (n, *manifest.observation_shape[:2]) or imgs.dtype != np.uint8:
            raise InvalidValueError(
                f"{path}: imgs is {imgs.dtype} {imgs.shape}, expected uint8 "
                f"({n}, {manifest.observation_shape[0]}, {manifest.observation_shape[1]})"
            )
        chunks = (_binary_to_bytes(c, str(path)) for c in imgs.chunks(chunk, start=writer.position))
        write_chunks(writer, chunks, n, on_chunk)
        return
    try:
        h5 = h5py.File(path, "r")
    except OSError as exc:
        raise InvalidValueError(
            f"{path} is not a readable HDF5 file ({exc}); delete it and download it again"
        ) from None
    with h5:
        for key in ("imgs", "latents/classes", "latents/values"):
            if key not in h5:
                raise InvalidValueError(f"{path} has no dataset {key!r}; this is not the dSprites HDF5 file")
        _check_grid(manifest, h5["latents/classes"][()], h5["latents/values"][()], str(path))
        imgs = h5["imgs"]
        if imgs.shape != (n, *manifest.observation_shape[:2]):
            raise InvalidValueError(f"{path}: imgs has shape {imgs.shape}, expected ({n}, 64, 64)")
        chunks = (_binary_to_bytes(imgs[s : s + chunk], str(path)) for s in range(writer.position, n, chunk))
        write_chunks(writer, chunks, n, on_chunk)


class DSprites(BenchmarkData):
    """dSprites (737,280 images 64x64x1): shape, scale, orientation, posX, posY.

    ``edition="hdf5"`` prepares from the HDF5 release instead of the npz (same images).

    Parameters
    ----------
    root : str or os.PathLike, optional
        Cache directory; default ``$GTDATA_HOME``, else the platform's user cache directory.
    download : bool, default True
        Fetch missing raw files. With False a missing file is a FileNotFoundError that says where to put it.
    transform : callable, optional
        Applied to the image of ``data[i]`` (torchvision style); the batch methods return plain arrays.
    edition : str, optional
        ``"hdf5"`` prepares from the HDF5 release (the file TFDS reads); default the npz release.
    manifest : str or os.PathLike, optional
        A manifest file or directory to read instead of the built-in ``dsprites`` manifest (e.g. a copy that
        lists a local mirror).
    progress : bool or None, default None
        Show download and preparation progress bars; None shows them only when stderr is a terminal.

    See Also
    --------
    ColorDSprites, NoisyDSprites, ScreamDSprites : the study's variants of the same grid.

    Examples
    --------
    The first call downloads the npz release and prepares it into the cache once; later calls open the memory
    map. Observations are float32 in [0, 1], (N, 64, 64, 1):

    >>> data = DSprites()  # doctest: +SKIP
    >>> data.sample_observations(4, random_state=0).shape  # doctest: +SKIP
    (4, 64, 64, 1)

    The factor grid is in the manifest, which needs no download:

    >>> from gtdata.datasets import load_manifest
    >>> manifest = load_manifest(DSprites.manifest_name)
    >>> [f.name for f in manifest.factors], manifest.sizes
    (['shape', 'scale', 'orientation', 'posX', 'posY'], (3, 6, 40, 32, 32))
    """

    manifest_name = "dsprites"


class _ThreeChannel(GroundTruthData):
    """A dSprites variant: the grey sprite of the prepared dSprites set repeated to three channels, then
    transformed per draw. Wraps DSprites (same factors) rather than being a prepared set itself, so that
    exports and copies always go through the variant's transform."""

    def __init__(
        self,
        root: str | os.PathLike[str] | None = None,
        download: bool = True,
        transform: Callable[[Any], Any] | None = None,
        *,
        edition: str | None = None,
        manifest: str | os.PathLike[str] | None = None,
        progress: bool | None = None,
    ) -> None:
        self._init_args = {
            "root": root,
            "download": False,
            "transform": transform,
            "edition": edition,
            "manifest": manifest,
            "progress": progress,
        }
        self.base = DSprites(root, download, edition=edition, manifest=manifest, progress=progress)
        self.factor_space = self.base.factor_space
        self.observation_shape = (*self.base.observation_shape[:2], 3)
        self.transform = transform
        self.name = _VARIANT_NAMES[type(self).__name__]

    @property
    def metadata(self) -> dict[str, Any]:
        out = self.base.metadata
        out.update(super().metadata)
        out["variant_of"] = self.base.name
        return out

    def _sprite(self, codes: np.ndarray) -> np.ndarray:
        """(n, H, W, 3) float32 0/1 sprite masks."""
        gray = self.base.render(codes, None, dtype=np.uint8)
        return np.repeat(gray, 3, axis=3).astype(np.float32) / np.float32(255)

    def __copy__(self) -> _ThreeChannel:
        # Views (splits) share the base set; only pickling goes through the constructor.
        new = object.__new__(type(self))
        new.__dict__.update(self.__dict__)
        return new

    def __reduce__(self):
        # Pickle as constructor arguments (the prepared set exists by then), never as pixels.
        return (_rebuild, (type(self), self._init_args, {"_splits": self._splits}))


def _rebuild(cls: type, kwargs: dict[str, Any], extra: dict[str, Any]) -> GroundTruthData:
    obj = cls(**kwargs)
    obj.__dict__.update(extra)
    return obj


_VARIANT_NAMES = {
    "ColorDSprites": "color_dsprites",
    "NoisyDSprites": "noisy_dsprites",
    "ScreamDSprites": "scream_dsprites",
}


class ColorDSprites(_ThreeChannel):
    """Color-dSprites: the sprite coloured by one RGB colour per draw, uniform in [0.5, 1); background 0.

    Parameters
    ----------
    root : str or os.PathLike, optional
        Cache directory of the underlying dSprites set; default ``$GTDATA_HOME``, else the platform's user
        cache directory.
    download : bool, default True
        Fetch missing raw files. With False a missing file is a FileNotFoundError that says where to put it.
    transform : callable, optional
        Applied to the image of ``data[i]`` (torchvision style); the batch methods return plain arrays.
    edition : str, optional
        Edition of the dSprites manifest to prepare from (``"hdf5"``); default the npz release.
    manifest : str or os.PathLike, optional
        A dSprites manifest file or directory to read instead of the built-in one.
    progress : bool or None, default None
        Show download and preparation progress bars; None shows them only when stderr is a terminal.

    See Also
    --------
    DSprites : the grid and the prepared images this variant transforms.

    Examples
    --------
    Opening it prepares dSprites first (one download). The colour is drawn from the caller's rng, so the same
    codes give other colours with another seed. Observations are float32 in [0, 1], (N, 64, 64, 3):

    >>> data = ColorDSprites()  # doctest: +SKIP
    >>> data.observations([[0, 5, 0, 16, 16]], rng=0).shape  # doctest: +SKIP
    (1, 64, 64, 3)

    The registry entry it is loaded under (``gtdata.load("color_dsprites")``):

    >>> import gtdata
    >>> gtdata.registry.get_info("color_dsprites").description
    'dSprites with a random colour per draw (64x64x3)'
    """

    def _draw_nuisance(self, n: int, rng: AnyRNG) -> dict[str, np.ndarray]:
        return {"color": uniform(rng, 0.5, 1.0, (n, 1, 1, 3))}

    def _render(self, codes: np.ndarray, nuisance: dict[str, np.ndarray] | None) -> np.ndarray:
        return (self._sprite(codes) * nuisance["color"]).astype(np.float32)


class NoisyDSprites(_ThreeChannel):
    """Noisy-dSprites: white sprite on i.i.d. uniform [0, 1) noise per pixel and channel, drawn per draw.

    Parameters
    ----------
    root : str or os.PathLike, optional
        Cache directory of the underlying dSprites set; default ``$GTDATA_HOME``, else the platform's user
        cache directory.
    download : bool, default True
        Fetch missing raw files. With False a missing file is a FileNotFoundError that says where to put it.
    transform : callable, optional
        Applied to the image of ``data[i]`` (torchvision style); the batch methods return plain arrays.
    edition : str, optional
        Edition of the dSprites manifest to prepare from (``"hdf5"``); default the npz release.
    manifest : str or os.PathLike, optional
        A dSprites manifest file or directory to read instead of the built-in one.
    progress : bool or None, default None
        Show download and preparation progress bars; None shows them only when stderr is a terminal.

    See Also
    --------
    DSprites : the grid and the prepared images this variant transforms.

    Examples
    --------
    Opening it prepares dSprites first (one download). Observations are float32 in [0, 1], (N, 64, 64, 3);
    the sprite's pixels are 1, the background is noise from the caller's rng:

    >>> data = NoisyDSprites()  # doctest: +SKIP
    >>> data.sample_observations(2, random_state=0).shape  # doctest: +SKIP
    (2, 64, 64, 3)

    The registry entry it is loaded under (``gtdata.load("noisy_dsprites")``):

    >>> import gtdata
    >>> gtdata.registry.get_info("noisy_dsprites").description
    'dSprites on uniform noise drawn per draw (64x64x3)'
    """

    def _draw_nuisance(self, n: int, rng: AnyRNG) -> dict[str, np.ndarray]:
        return {"noise": uniform(rng, 0.0, 1.0, (n, *self.observation_shape))}

    def _render(self, codes: np.ndarray, nuisance: dict[str, np.ndarray] | None) -> np.ndarray:
        return np.minimum(self._sprite(codes) + nuisance["noise"], 1.0).astype(np.float32)


def load_scream(path: Path) -> np.ndarray:
    """The Scream background: Pillow ``thumbnail`` into the 350x274 box, float64 RGB in [0, 1], (H, W, 3)."""
    try:
        with Image.open(path) as img:
            img.thumbnail(SCREAM_BOX)
            arr = np.asarray(img.convert("RGB"), dtype=np.float64) / 255.0
    except OSError as exc:
        raise InvalidValueError(f"{path} is not a readable image ({exc}); delete it and download it again") from None
    if arr.shape[0] < 64 or arr.shape[1] < 64:
        raise InvalidValueError(f"{path}: the thumbnail is {arr.shape[1]}x{arr.shape[0]}, smaller than a 64x64 patch")
    return arr


class ScreamDSprites(_ThreeChannel):
    """Scream-dSprites: a random 64x64 patch of The Scream in a random colour shade per draw, with the
    sprite's pixels colour-inverted. Needs the ``scream`` image (downloaded with this set).

    Parameters
    ----------
    root : str or os.PathLike, optional
        Cache directory of the underlying dSprites set; default ``$GTDATA_HOME``, else the platform's user
        cache directory.
    download : bool, default True
        Fetch missing raw files. With False a missing file is a FileNotFoundError that says where to put it.
    transform : callable, optional
        Applied to the image of ``data[i]`` (torchvision style); the batch methods return plain arrays.
    edition : str, optional
        Edition of the dSprites manifest to prepare from (``"hdf5"``); default the npz release.
    manifest : str or os.PathLike, optional
        A dSprites manifest file or directory to read instead of the built-in one.
    progress : bool or None, default None
        Show download and preparation progress bars; None shows them only when stderr is a terminal.
    scream_manifest : str or os.PathLike, optional
        A manifest for the Scream image to read instead of the built-in ``scream`` manifest.

    See Also
    --------
    DSprites : the grid and the prepared images this variant transforms.
    load_scream : how the painting is shrunk (Pillow ``thumbnail`` into :data:`SCREAM_BOX`).

    Examples
    --------
    Opening it prepares dSprites and fetches the painting (two downloads). Observations are float32 in
    [0, 1], (N, 64, 64, 3):

    >>> data = ScreamDSprites()  # doctest: +SKIP
    >>> data.sample_observations(2, random_state=0).shape  # doctest: +SKIP
    (2, 64, 64, 3)

    The painting's manifest and the thumbnail box (width, height) need no download:

    >>> from gtdata.datasets import load_manifest
    >>> [f.name for f in load_manifest("scream").files], SCREAM_BOX
    (['scream.jpg'], (350, 274))
    """

    def __init__(
        self,
        root: str | os.PathLike[str] | None = None,
        download: bool = True,
        transform: Callable[[Any], Any] | None = None,
        *,
        edition: str | None = None,
        manifest: str | os.PathLike[str] | None = None,
        progress: bool | None = None,
        scream_manifest: str | os.PathLike[str] | None = None,
    ) -> None:
        super().__init__(root, download, transform, edition=edition, manifest=manifest, progress=progress)
        self._init_args["scream_manifest"] = scream_manifest
        sm = load_manifest(scream_manifest if scream_manifest is not None else "scream")
        fetch_all(sm, root, download, progress)
        checked = verify_all(sm, root, report=(lambda _m: None))
        path, digests = next(iter(checked.values()))
        self.scream = load_scream(path)
        self.scream_sha256 = digests.sha256

    @property
    def metadata(self) -> dict[str, Any]:
        out = super().metadata
        out["scream_sha256"] = self.scream_sha256
        out["scream_thumbnail_shape"] = list(self.scream.shape)
        return out

    def _draw_nuisance(self, n: int, rng: AnyRNG) -> dict[str, np.ndarray]:
        h, w = self.scream.shape[:2]
        xy = np.empty((n, 2), dtype=np.int64)
        offset = np.empty((n, 3), dtype=np.float64)
        # One sample at a time: disentanglement_lib interleaves the draws per sample.
        for i in range(n):
            xy[i, 0] = randint(rng, h - 64, None)
            xy[i, 1] = randint(rng, w - 64, None)
            offset[i] = uniform(rng, 0.0, 1.0, 3)
        return {"xy": xy, "offset": offset}

    def _render(self, codes: np.ndarray, nuisance: dict[str, np.ndarray] | None) -> np.ndarray:
        sprite = self._sprite(codes)
        steps = np.arange(64)
        rows = nuisance["xy"][:, 0, None] + steps
        cols = nuisance["xy"][:, 1, None] + steps
        patch = self.scream[rows[:, :, None], cols[:, None, :]]
        background = (patch + nuisance["offset"][:, None, None, :]) / 2.0
        out = np.where(sprite == 1.0, 1.0 - background, background)
        return out.astype(np.float32)
