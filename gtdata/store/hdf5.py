"""gtdata's self-describing HDF5 layout, for exchange with other tools.

Layout (``format = "gtdata-hdf5"``, ``format_version = 1``)::

    /images             uint8 (N, H, W, C), chunked by image rows
    /codes              int64 (N, F): value index of every factor for each image
    /factors/<name>     the factor's values (float64, int64 or UTF-8 strings); attributes ``position``
                        (column in /codes), ``unit``, ``nuisance`` (bool), ``low``/``high`` for continuous factors
    root attributes     format, format_version, name, observation_shape, metadata (JSON: sources, checksums,
                        spec, provenance)

Any HDF5 reader can use it: ``images[i]`` has factor values ``factors/<name>[codes[i, position]]``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from gtdata.core.errors import InvalidValueError, MissingFileError
from gtdata.core.progress import progress_bar

from ..core.data import GroundTruthData
from ..core.factors import Factor, FactorSpace
from ..core.memory import from_arrays
from ..core.persist import atomic_path, check_free_space, check_output, to_plain
from .prepared import PreparedData, PreparedWriter

FORMAT = "gtdata-hdf5"
FORMAT_VERSION = 1


def is_gtdata_hdf5(path: str | os.PathLike) -> bool:
    """True when ``path`` is an HDF5 file in gtdata's layout (attribute ``format = "gtdata-hdf5"``)."""
    try:
        with h5py.File(path, "r") as h5:
            return h5.attrs.get("format") == FORMAT
    except (OSError, ValueError):
        return False


def export_hdf5(
    data: GroundTruthData,
    path: str | os.PathLike,
    chunk_size: int = 4096,
    seed: int = 0,
    progress: bool | None = None,
    overwrite: bool = False,
) -> Path:
    """Write every grid point of ``data`` (its split, if any) to ``path`` in the layout above.

    Prepared sets that serve their stored bytes are written with all stored factors (nuisance factors
    flagged); other sets (variants with per-draw transforms, rendered sets) get one observation per grid
    point, with nuisance drawn from ``seed``. Written to a temporary file, then renamed. An existing
    ``path`` is replaced only when it is a gtdata HDF5 file and ``overwrite`` is true; any other file is
    refused with :class:`~gtdata.core.persist.OutputExistsError`, before any work.

    Parameters
    ----------
    data : GroundTruthData
        The data set or view (a split keeps only its grid points).
    path : str or os.PathLike
        The ``.h5`` file to write; ``~`` is expanded and missing parent directories are created.
    chunk_size : int, default 4096
        Images read or rendered and written per step.
    seed : int, default 0
        Seed of the nuisance drawn for sets that are not stored bytes (noise, colours, backgrounds).
    progress : bool or None, default None
        Show a progress bar; None shows it only when stderr is a terminal.
    overwrite : bool, default False
        Replace a gtdata HDF5 file already at ``path``.

    Returns
    -------
    pathlib.Path
        ``path``, complete: ``/images`` uint8 (N, H, W, C), ``/codes`` int64 (N, F), ``/factors/<name>``.

    Raises
    ------
    OutputExistsError
        If ``path`` holds a file that is not a gtdata HDF5 file, or one without ``overwrite=True``.
    OSError
        If the disk cannot hold the images (checked before writing).

    See Also
    --------
    import_hdf5 : reads the file back.

    Examples
    --------
    >>> import h5py
    >>> from gtdata.registry import load
    >>> path = export_hdf5(load("toy", factor_sizes=(2, 3), image_size=8), "toy.h5", progress=False)
    >>> with h5py.File(path, "r") as h5:
    ...     h5["images"].shape, h5["images"].dtype, h5["codes"][4].tolist(), h5["factors/factor1"][()]
    ((6, 8, 8, 1), dtype('uint8'), [1, 1], array([0. , 0.5, 1. ]))
    """
    path = Path(path).expanduser()
    check_output(path, directory=False, is_gtdata=is_gtdata_hdf5, overwrite=overwrite, what="a gtdata HDF5 file")
    stored_bytes = isinstance(data, PreparedData) and data.grid_mask is None and data.stored_images is not None
    if stored_bytes:
        space, nuisance = data.stored_space, set(data.metadata["nuisance_factors"])
        points = None
        total = space.size
    else:
        space, nuisance = data.factor_space, set()
        points = data.grid_points
        total = len(data)
    shape = tuple(data.observation_shape)
    check_free_space(path.parent, total * int(np.prod(shape)), f"exporting {data.name} to HDF5")
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    with atomic_path(path) as tmp:
        with h5py.File(tmp, "w") as h5:
            h5.attrs["format"] = FORMAT
            h5.attrs["format_version"] = FORMAT_VERSION
            h5.attrs["name"] = data.name
            h5.attrs["observation_shape"] = np.asarray(shape, dtype=np.int64)
            h5.attrs["metadata"] = json.dumps(to_plain(data.metadata, json=True))
            images = h5.create_dataset("images", (total, *shape), dtype=np.uint8, chunks=(min(total, 64), *shape))
            codes_ds = h5.create_dataset("codes", (total, space.num_factors), dtype=np.int64)
            group = h5.create_group("factors")
            for pos, factor in enumerate(space):
                _write_factor(group, factor, pos, factor.name in nuisance)
            for start in progress_bar(
                range(0, total, chunk_size), desc=f"export {data.name}", unit="chunk", progress=progress
            ):
                stop = min(start + chunk_size, total)
                if stored_bytes:
                    flat = np.arange(start, stop, dtype=np.int64)
                    block = np.asarray(data.images[start:stop])
                else:
                    flat = np.arange(start, stop, dtype=np.int64) if points is None else points[start:stop]
                    block = data.observations(space.index_to_codes(flat), rng, dtype=np.uint8)
                images[start:stop] = block
                codes_ds[start:stop] = space.index_to_codes(flat)
        check_output(
            path, directory=False, is_gtdata=is_gtdata_hdf5, overwrite=overwrite, what="a gtdata HDF5 file"
        )  # again: something may have appeared there meanwhile
    return path


def _write_factor(group: h5py.Group, factor: Factor, pos: int, nuisance: bool) -> None:
    if factor.is_categorical:
        ds = group.create_dataset(
            factor.name, data=np.array(factor.values.tolist(), dtype=object), dtype=h5py.string_dtype("utf-8")
        )
    else:
        ds = group.create_dataset(factor.name, data=factor.values)
    ds.attrs["position"] = pos
    ds.attrs["unit"] = factor.unit or ""
    ds.attrs["nuisance"] = nuisance
    if factor.is_continuous:
        ds.attrs["low"], ds.attrs["high"] = factor.low, factor.high


def _read_layout(h5: h5py.File, path: Path) -> tuple[FactorSpace, list[str], dict[str, Any]]:
    if h5.attrs.get("format") != FORMAT:
        raise InvalidValueError(
            f"{path} is not a gtdata HDF5 file (attribute format={h5.attrs.get('format')!r}, expected {FORMAT!r})"
        )
    if int(h5.attrs.get("format_version", 0)) > FORMAT_VERSION:
        raise InvalidValueError(f"{path} has format_version {h5.attrs['format_version']}; upgrade gtdata")
    for key in ("images", "codes", "factors"):
        if key not in h5:
            raise InvalidValueError(f"{path} lacks /{key}")
    entries = []
    for name, ds in h5["factors"].items():
        raw = ds[()]
        values = [v.decode() if isinstance(v, bytes) else v for v in raw.tolist()]
        unit = ds.attrs.get("unit") or None
        if "low" in ds.attrs:
            factor = Factor.continuous(name, float(ds.attrs["low"]), float(ds.attrs["high"]), len(values), unit)
        else:
            factor = Factor(name, values, unit)
        entries.append((int(ds.attrs["position"]), factor, bool(ds.attrs.get("nuisance", False))))
    entries.sort(key=lambda e: e[0])
    space = FactorSpace(f for _, f, _ in entries)
    nuisance = [f.name for _, f, n in entries if n]
    return space, nuisance, json.loads(h5.attrs.get("metadata", "{}"))


def import_hdf5(
    path: str | os.PathLike, out: str | os.PathLike | None = None, chunk_size: int = 4096, progress: bool | None = None
) -> GroundTruthData:
    """Open a gtdata HDF5 file.

    Without ``out`` the images are read into memory (nuisance factors become per-draw picks among the
    images that share the latent codes). With ``out`` a complete grid is streamed into a prepared directory
    and opened memory-mapped.

    Parameters
    ----------
    path : str or os.PathLike
        A file in gtdata's HDF5 layout (written by :func:`export_hdf5` or another tool following it).
    out : str or os.PathLike, optional
        A directory to store the images as a prepared set (resumable, written atomically); default: keep
        them in memory.
    chunk_size : int, default 4096
        Images copied per step when ``out`` is given.
    progress : bool or None, default None
        Show a progress bar; None shows it only when stderr is a terminal.

    Returns
    -------
    GroundTruthData
        An in-memory :class:`~gtdata.core.memory.ArrayData` without ``out``, else the
        :class:`~gtdata.store.prepared.PreparedData` at ``out``.

    Raises
    ------
    MissingFileError
        If ``path`` does not exist (a FileNotFoundError).
    InvalidValueError
        If the file is not in gtdata's layout (or from a newer format version), or, with ``out``, does not
        hold the complete grid in index order (a ValueError; import it without ``out``).

    See Also
    --------
    export_hdf5 : writes the layout.

    Examples
    --------
    >>> import numpy as np
    >>> from gtdata.registry import load
    >>> toy = load("toy", factor_sizes=(2, 3), image_size=8)
    >>> path = export_hdf5(toy, "toy.h5", progress=False)
    >>> data = import_hdf5(path)
    >>> type(data).__name__, data.factors_num_values, data.observation_shape
    ('ArrayData', [2, 3], (8, 8, 1))
    >>> stored = import_hdf5(path, out="toy_prepared")
    >>> type(stored).__name__, stored.path.name
    ('PreparedData', 'toy_prepared')
    >>> np.array_equal(stored.observations([[1, 2]], dtype=np.uint8), toy.observations([[1, 2]], dtype=np.uint8))
    True
    """
    path = Path(path)
    if not path.exists():
        raise MissingFileError(f"no such HDF5 file: {path}")
    with h5py.File(path, "r") as h5:
        space, nuisance, metadata = _read_layout(h5, path)
        name = str(h5.attrs.get("name", path.stem))
        codes = h5["codes"][()]
        space.validate_codes(codes, f"{path}:/codes")
        if out is None:
            latent = [i for i, n in enumerate(space.names) if n not in nuisance]
            return from_arrays(
                h5["images"][()],
                codes[:, latent],
                names=[space.names[i] for i in latent],
                values=[space.factors[i].values.tolist() for i in latent],
                units=[space.factors[i].unit for i in latent],
                name=name,
            )
        if codes.shape[0] != space.size or not np.array_equal(codes @ space.strides, np.arange(space.size)):
            raise InvalidValueError(
                f"{path} does not hold the complete factor grid in index order "
                f"({codes.shape[0]} images for a {space.size}-point grid); import it without "
                f"out= to use it in memory"
            )
        with PreparedWriter(
            out,
            space,
            h5["images"].shape[1:],
            metadata=dict(metadata, imported_from=str(path)),
            nuisance=nuisance,
            name=name,
        ) as writer:
            for start in progress_bar(
                range(writer.position, space.size, chunk_size), desc=f"import {name}", unit="chunk", progress=progress
            ):
                writer.write(h5["images"][start : start + chunk_size])
            writer.commit()
    return PreparedData(out)
