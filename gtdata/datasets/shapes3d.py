"""3D Shapes from the public ``3dshapes.h5``: ``images`` (N, 64, 64, 3) uint8 copied in chunks, ``labels``
(N, 6) float factor values checked against the manifest grid (orientation fastest)."""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np

from gtdata.core.errors import InvalidValueError
from gtdata.datasets.base import BenchmarkData
from gtdata.datasets.manifest import Manifest
from gtdata.datasets.prepare import Progress, write_chunks
from gtdata.store.prepared import PreparedWriter


def label_codes(manifest: Manifest, labels: np.ndarray, source: str) -> np.ndarray:
    """Codes (n, F) of float label rows: the nearest manifest value, which must lie within a quarter step."""
    codes = np.empty(labels.shape, dtype=np.int64)
    for j, f in enumerate(manifest.factors):
        raw = np.asarray(f.raw, dtype=np.float64)
        dist = np.abs(labels[:, j, None] - raw[None, :])
        codes[:, j] = dist.argmin(axis=1)
        step = np.min(np.diff(np.sort(raw))) if raw.size > 1 else 1.0
        far = dist[np.arange(len(labels)), codes[:, j]] > step / 4
        if far.any():
            i = int(np.flatnonzero(far)[0])
            raise InvalidValueError(
                f"{source}: label {f.name} = {labels[i, j]} at row {i} is not one of the manifest values {list(f.raw)}"
            )
    return codes


def prepare_shapes3d(
    manifest: Manifest, files: dict[str, Path], writer: PreparedWriter, chunk: int, on_chunk: Progress | None
) -> None:
    """Check the labels follow the manifest grid, then copy the images in chunks."""
    (path,) = files.values()
    n = manifest.num_images
    try:
        h5 = h5py.File(path, "r")
    except OSError as exc:
        raise InvalidValueError(
            f"{path} is not a readable HDF5 file ({exc}); delete it and download it again"
        ) from None
    with h5:
        if "images" not in h5 or "labels" not in h5:
            raise InvalidValueError(f"{path} lacks 'images' or 'labels'; it holds {sorted(h5)}")
        images, labels = h5["images"], h5["labels"]
        if images.shape != (n, *manifest.observation_shape) or images.dtype != np.uint8:
            raise InvalidValueError(
                f"{path}: images is {images.dtype} {images.shape}, expected uint8 "
                f"({n}, {', '.join(map(str, manifest.observation_shape))})"
            )
        if labels.shape != (n, len(manifest.factors)):
            raise InvalidValueError(f"{path}: labels has shape {labels.shape}, expected ({n}, {len(manifest.factors)})")
        expected = np.stack(np.unravel_index(np.arange(n), manifest.sizes), axis=1)
        for s in range(0, n, 1 << 16):
            got = label_codes(manifest, labels[s : s + (1 << 16)].astype(np.float64), str(path))
            bad = np.flatnonzero(np.any(got != expected[s : s + len(got)], axis=1))
            if bad.size:
                i = s + int(bad[0])
                raise InvalidValueError(
                    f"{path}: row {i} has labels {labels[i].tolist()}, the manifest grid puts "
                    f"codes {expected[i].tolist()} there; the file is not in grid order"
                )
        chunks = (images[s : s + chunk] for s in range(writer.position, n, chunk))
        write_chunks(writer, chunks, n, on_chunk)


class Shapes3D(BenchmarkData):
    """3D Shapes (480,000 images 64x64x3): floor_hue, wall_hue, object_hue, scale, shape, orientation.

    Parameters
    ----------
    root : str or os.PathLike, optional
        Cache directory; default ``$GTDATA_HOME``, else the platform's user cache directory.
    download : bool, default True
        Fetch missing raw files. With False a missing file is a FileNotFoundError that says where to put it.
    transform : callable, optional
        Applied to the image of ``data[i]`` (torchvision style); the batch methods return plain arrays.
    edition : str, optional
        Another release listed in the manifest; 3D Shapes has none, so leave it None.
    manifest : str or os.PathLike, optional
        A manifest file or directory to read instead of the built-in ``shapes3d`` manifest (e.g. a copy that
        lists a local mirror).
    progress : bool or None, default None
        Show download and preparation progress bars; None shows them only when stderr is a terminal.

    Examples
    --------
    The first call downloads ``3dshapes.h5`` (268 MB), checks its labels against the grid and stores
    the images once. Observations are float32 in [0, 1], (N, 64, 64, 3):

    >>> data = Shapes3D()  # doctest: +SKIP
    >>> data.sample_observations(4, random_state=0).shape  # doctest: +SKIP
    (4, 64, 64, 3)

    The factor grid is in the manifest, which needs no download:

    >>> from gtdata.datasets import load_manifest
    >>> manifest = load_manifest(Shapes3D.manifest_name)
    >>> [f.name for f in manifest.factors]
    ['floor_hue', 'wall_hue', 'object_hue', 'scale', 'shape', 'orientation']
    >>> manifest.sizes, manifest.observation_shape
    ((10, 10, 10, 8, 4, 15), (64, 64, 3))
    """

    manifest_name = "shapes3d"
