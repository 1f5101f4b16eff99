"""Cars3D: 183 car models x 24 azimuths x 4 elevations from the Deep Visual Analogy-Making archive.

Preparation checks every archive member, extracts ``data/cars/`` only, reads each MATLAB v5 file's ``im``
array (128, 128, 3, azimuth, elevation), resizes every view with LANCZOS to 64x64 and places it at
grid index (elevation, azimuth, object). Object i is the i-th name of ``data/cars/list.txt``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from gtdata.core.errors import InvalidValueError
from gtdata.core.factors import FactorSpace
from gtdata.datasets.archive import extract_tar, extraction_dir
from gtdata.datasets.base import BenchmarkData
from gtdata.datasets.manifest import Manifest
from gtdata.datasets.prepare import Progress, verified_sha256, write_chunks
from gtdata.store.prepared import PreparedWriter

CARS_DIR = "data/cars"


def car_order(cars: Path) -> list[str]:
    """The car file names (``*.mat``) in ``list.txt`` order."""
    listing = cars / "list.txt"
    if not listing.exists():
        raise InvalidValueError(f"{listing} is missing; the archive does not hold the Cars3D list of models")
    names = [line.strip() for line in listing.read_text().splitlines() if line.strip()]
    return [n if n.endswith(".mat") else f"{n}.mat" for n in names]


def resize_rgb(image: np.ndarray, size: int) -> np.ndarray:
    """LANCZOS resize of one uint8 (H, W, 3) image to (size, size, 3)."""
    img = Image.fromarray(np.ascontiguousarray(image))
    return np.asarray(img.resize((size, size), Image.Resampling.LANCZOS))


def load_car(path: Path, n_azimuth: int, n_elevation: int) -> np.ndarray:
    """The ``im`` array of one car file: uint8 (H, W, 3, azimuth, elevation)."""
    import scipy.io  # only needed while preparing; keeps `import gtdata.datasets` light

    try:
        im = scipy.io.loadmat(str(path), variable_names=["im"]).get("im")
    except (OSError, ValueError, NotImplementedError) as exc:
        raise InvalidValueError(
            f"{path} is not a readable MATLAB file ({exc}); delete the archive and download it again"
        ) from None
    if im is None or im.ndim != 5 or im.shape[2] != 3 or im.shape[3:] != (n_azimuth, n_elevation):
        raise InvalidValueError(
            f"{path}: 'im' has shape {None if im is None else im.shape}, expected (H, W, 3, {n_azimuth}, {n_elevation})"
        )
    return im.astype(np.uint8, copy=False)


def prepare_cars3d(
    manifest: Manifest, files: dict[str, Path], writer: PreparedWriter, chunk: int, on_chunk: Progress | None
) -> None:
    """Extract the cars, resize every view and write the grid (elevation, azimuth, object) in chunks."""
    if [f.name for f in manifest.factors] != ["elevation", "azimuth", "object_type"]:
        raise InvalidValueError(
            f"{manifest.path}: Cars3D needs the factors elevation, azimuth, object_type in that order"
        )
    (archive,) = files.values()
    root = extract_tar(archive, extraction_dir(archive, verified_sha256(writer, archive.name)), prefix=CARS_DIR)
    cars = root / CARS_DIR
    order = car_order(cars)
    n_elev, n_azim, n_obj = manifest.sizes
    if len(order) != n_obj:
        raise InvalidValueError(f"{cars / 'list.txt'} names {len(order)} cars, the manifest has {n_obj} object types")
    size = manifest.observation_shape[0]
    space = FactorSpace.from_sizes(manifest.sizes)
    out = np.empty((space.size, size, size, 3), dtype=np.uint8)
    for obj, name in enumerate(order):
        if not (cars / name).exists():
            raise InvalidValueError(f"{cars / name} is listed in list.txt but missing from the archive")
        im = load_car(cars / name, n_azim, n_elev)
        for azim in range(n_azim):
            for elev in range(n_elev):
                out[(elev * n_azim + azim) * n_obj + obj] = resize_rgb(im[:, :, :, azim, elev], size)
    chunks = (out[s : s + chunk] for s in range(writer.position, space.size, chunk))
    write_chunks(writer, chunks, space.size, on_chunk)


class Cars3D(BenchmarkData):
    """Cars3D (17,568 images 64x64x3): elevation (4), azimuth (24), object_type (183, list.txt order).

    Parameters
    ----------
    root : str or os.PathLike, optional
        Cache directory; default ``$GTDATA_HOME``, else the platform's user cache directory.
    download : bool, default True
        Fetch missing raw files. With False a missing file is a FileNotFoundError that says where to put it.
    transform : callable, optional
        Applied to the image of ``data[i]`` (torchvision style); the batch methods return plain arrays.
    edition : str, optional
        Another release listed in the manifest; Cars3D has none, so leave it None.
    manifest : str or os.PathLike, optional
        A manifest file or directory to read instead of the built-in ``cars3d`` manifest (e.g. a copy that
        lists a local mirror).
    progress : bool or None, default None
        Show download and preparation progress bars; None shows them only when stderr is a terminal.

    Examples
    --------
    The first call downloads the archive, resizes every view to 64x64 and stores the grid once; later calls
    open the memory map. Observations are float32 in [0, 1], (N, 64, 64, 3):

    >>> data = Cars3D()  # doctest: +SKIP
    >>> data.sample_observations(4, random_state=0).shape  # doctest: +SKIP
    (4, 64, 64, 3)

    The factor grid is in the manifest, which needs no download:

    >>> from gtdata.datasets import load_manifest
    >>> manifest = load_manifest(Cars3D.manifest_name)
    >>> [f.name for f in manifest.factors], manifest.sizes, manifest.num_images
    (['elevation', 'azimuth', 'object_type'], (4, 24, 183), 17568)
    """

    manifest_name = "cars3d"
