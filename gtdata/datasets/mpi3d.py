"""MPI3D (toy, realistic, real, complex): one ``images`` array (N, 64, 64, 3) uint8 in an npz, rows in grid
order (vertical_axis fastest), no labels. Preparation streams the member in chunks through zipfile; the
number of rows must equal the manifest grid, so a 2019 file is never read with the 2020 grid."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from gtdata.core.errors import InvalidValueError
from gtdata.datasets.base import BenchmarkData
from gtdata.datasets.manifest import Manifest
from gtdata.datasets.npz import NpzMember
from gtdata.datasets.prepare import Progress, write_chunks
from gtdata.store.prepared import PreparedWriter

VARIANTS = ("toy", "realistic", "real", "complex")


def prepare_mpi3d(
    manifest: Manifest, files: dict[str, Path], writer: PreparedWriter, chunk: int, on_chunk: Progress | None
) -> None:
    """Copy ``images`` chunk by chunk after checking its shape against the manifest grid."""
    (path,) = files.values()
    images = NpzMember(path, "images")
    n = manifest.num_images
    if images.shape[1:] != manifest.observation_shape or images.dtype != np.uint8:
        raise InvalidValueError(
            f"{path}: images is {images.dtype} {images.shape}, expected uint8 "
            f"(N, {', '.join(map(str, manifest.observation_shape))})"
        )
    if images.shape[0] != n:
        editions = ", ".join(repr(e) for e in manifest.editions) or "none"
        raise InvalidValueError(
            f"{path} holds {images.shape[0]:,} images but the grid {manifest.sizes} of "
            f"{manifest.key} has {n:,}; is it another release? (editions of {manifest.name}: "
            f"{editions})"
        )
    write_chunks(writer, images.chunks(chunk, start=writer.position), n, on_chunk)


class MPI3D(BenchmarkData):
    """MPI3D: object_color, object_shape, object_size, camera_height, background_color, horizontal_axis,
    vertical_axis (64x64x3).

    ``variant``: "toy", "realistic", "real" (default; the study's likely eighth set) or "complex".
    ``edition="2019"`` (toy, realistic): the 460,800-image 2019 files with the 4x4 colour/shape grid that
    disentanglement_lib's ``mpi3d_toy``/``mpi3d_realistic`` expect.

    Parameters
    ----------
    root : str or os.PathLike, optional
        Cache directory; default ``$GTDATA_HOME``, else the platform's user cache directory.
    download : bool, default True
        Fetch missing raw files. With False a missing file is a FileNotFoundError that says where to put it.
    transform : callable, optional
        Applied to the image of ``data[i]`` (torchvision style); the batch methods return plain arrays.
    variant : {"real", "toy", "realistic", "complex"}, default "real"
        Which MPI3D set; it picks the manifest ``mpi3d_<variant>``.
    edition : str, optional
        ``"2019"`` for the 2019 files of ``"toy"`` and ``"realistic"`` (4x4 colour/shape grid); default the
        current release.
    manifest : str or os.PathLike, optional
        A manifest file or directory to read instead of the built-in ``mpi3d_<variant>`` manifest (e.g. a copy that
        lists a local mirror).
    progress : bool or None, default None
        Show download and preparation progress bars; None shows them only when stderr is a terminal.

    Raises
    ------
    ValueError
        If ``variant`` is not one of :data:`VARIANTS` (checked before anything is downloaded).

    Examples
    --------
    The first call downloads the variant's npz (several GB for ``"real"``) and stores it once; later calls
    open the memory map. Observations are float32 in [0, 1], (N, 64, 64, 3):

    >>> data = MPI3D(variant="toy", edition="2019")  # doctest: +SKIP
    >>> data.factors_num_values  # doctest: +SKIP
    [4, 4, 2, 3, 3, 40, 40]

    The variant is checked first, and each variant's grid is in its manifest (no download):

    >>> try:
    ...     MPI3D(variant="sim")
    ... except ValueError as err:
    ...     print(err)
    variant must be one of 'toy', 'realistic', 'real', 'complex', got 'sim'
    >>> from gtdata.datasets import load_manifest
    >>> load_manifest("mpi3d_real").sizes, load_manifest("mpi3d_toy", "2019").sizes
    ((6, 6, 2, 3, 3, 40, 40), (4, 4, 2, 3, 3, 40, 40))
    """

    def __init__(
        self,
        root: str | os.PathLike[str] | None = None,
        download: bool = True,
        transform: Callable[[Any], Any] | None = None,
        *,
        variant: str = "real",
        edition: str | None = None,
        manifest: str | os.PathLike[str] | None = None,
        progress: bool | None = None,
    ) -> None:
        if variant not in VARIANTS:
            raise InvalidValueError(f"variant must be one of {', '.join(map(repr, VARIANTS))}, got {variant!r}")
        self.manifest_name = f"mpi3d_{variant}"
        super().__init__(root, download, transform, edition=edition, manifest=manifest, progress=progress)
        self._init_args["variant"] = variant
