"""Export a rendered data set (its whole grid or a split) to the prepared store or to HDF5.

The prepared export streams chunks through the core's :class:`PreparedWriter` (temp directory, verified,
renamed; resumable from ``writer.position``), with the spec and its sha256 in ``dataset.yaml`` so
``gtdata.load(path)`` opens it like a benchmark set. Random backgrounds (noise, image patches) are baked
into the export: image i's background is drawn from ``(seed, i)`` only, so an interrupted export resumes
to the same bytes whatever the chunk size.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from gtdata.core.errors import InvalidValueError
from gtdata.core.factors import Factor, FactorSpace
from gtdata.core.progress import progress_bar
from gtdata.core.rng import SALTS, counter_draw
from gtdata.render.data import RenderedData
from gtdata.store.hdf5 import export_hdf5
from gtdata.store.prepared import PreparedWriter

__all__ = ["FORMATS", "export_rendered"]

FORMATS = ("prepared", "hdf5")
_NUISANCE_SALT = SALTS["export_nuisance"]


def export_rendered(
    data: Any,
    out: str | os.PathLike,
    split: str | None = None,
    format: str = "prepared",
    chunk_size: int = 4096,
    seed: int = 0,
    progress: bool | None = None,
    overwrite: bool = False,
    resume: bool = True,
) -> Path:
    """Render every grid point of ``data`` (a RenderedData, a spec, a spec path or a built-in name) to ``out``.

    ``split``: a split expression (``'shape == "heart" and posX > 0.5'``); for the prepared format it must
    select a sub-grid (a set of values per factor), any split works for HDF5. ``format``: ``"prepared"``
    (a directory) or ``"hdf5"`` (a file). Free disk space is checked before anything is written.
    ``overwrite``: replace an existing gtdata export at ``out``; anything else there (a file, a directory
    that is not a gtdata set) is refused with an OutputExistsError whatever ``overwrite`` says.
    Returns the path written.

    Parameters
    ----------
    data : RenderedData, RenderSpec, dict, str or os.PathLike
        What to render: a RenderedData, or anything :class:`RenderedData` accepts as its spec.
    out : str or os.PathLike
        The directory (``"prepared"``) or the ``.h5`` file (``"hdf5"``) to write; ``~`` is expanded.
    split : str, optional
        A split expression over the factors; default the whole grid.
    format : {"prepared", "hdf5"}, default "prepared"
        The prepared store (uint8 ``images.npy`` plus ``dataset.yaml``) or one self-describing HDF5 file.
    chunk_size : int, default 4096
        Images rendered and written per step (memory: chunk_size x H x W x C bytes).
    seed : int, default 0
        Seed of random backgrounds; image i's background depends on (seed, i) only.
    progress : bool or None, default None
        Show a progress bar; None shows them only when stderr is a terminal.
    overwrite : bool, default False
        Replace a gtdata export already at ``out``.
    resume : bool, default True
        Prepared format: continue an interrupted export of the same grid at ``out`` instead of starting over.

    Returns
    -------
    pathlib.Path
        ``out``, holding the finished export (written to a temporary path and renamed when complete).

    Raises
    ------
    ValueError
        If ``format``, ``chunk_size`` or ``seed`` is invalid, or, for ``"prepared"``, if ``split`` is not a
        sub-grid (export it with ``format="hdf5"``).
    SplitError
        If ``split`` does not parse or names unknown factors or values.
    OutputExistsError
        If ``out`` holds something gtdata may not replace (see above).
    OSError
        If the disk cannot hold the export (checked before writing).

    See Also
    --------
    gtdata.load : opens the export (``gtdata.load(out)``).

    Examples
    --------
    A spec of 2 shapes x 4 positions on a 16x16 canvas, exported whole, then a split of it to HDF5:

    >>> import gtdata
    >>> spec = {"name": "tiny", "canvas": {"height": 16, "width": 16, "channels": 1}, "background": 0.0,
    ...         "factors": [{"name": "shape", "values": ["square", "heart"]},
    ...                     {"name": "posX", "linspace": [0.0, 1.0, 4]}],
    ...         "objects": [{"shape": {"factor": "shape"}, "scale": 0.5,
    ...                      "x": {"factor": "posX", "range": [0.25, 0.75]}, "color": 1.0}]}
    >>> path = export_rendered(spec, "tiny", progress=False)
    >>> data = gtdata.load(path)
    >>> len(data), data.factor_names, data.observation_shape
    (8, ('shape', 'posX'), (16, 16, 1))
    >>> path = export_rendered(spec, "hearts.h5", split='shape == "heart" and posX > 0.5', format="hdf5",
    ...                        progress=False)
    >>> len(gtdata.load(path))
    2
    """
    if format not in FORMATS:
        raise InvalidValueError(f"format must be one of {', '.join(FORMATS)}, got {format!r}")
    if isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size < 1:
        raise InvalidValueError(f"chunk_size must be a positive integer, got {chunk_size!r}")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise InvalidValueError(f"seed must be a non-negative integer, got {seed!r}")
    if not isinstance(data, RenderedData):
        data = RenderedData(data)
    if split is not None:
        data = data.split(split)
    out = Path(out).expanduser()
    if format == "hdf5":
        return export_hdf5(data, out, chunk_size=chunk_size, seed=seed, progress=progress, overwrite=overwrite)
    space, to_codes = _grid_layout(data)
    metadata = {
        "kind": "rendered",
        "description": data.spec.description,
        "spec": data.spec.raw,
        "spec_sha256": data.spec.sha256,
        "splits": data.split_description,
        "seed": seed,
        "background": data.spec.background.kind,
    }
    if data.spec.background.is_random:
        metadata["note"] = f"random {data.spec.background.kind} background baked per image from (seed, index)"
    total = space.size
    with PreparedWriter(
        out, space, data.observation_shape, metadata=metadata, resume=resume, overwrite=overwrite, name=data.name
    ) as writer:
        with progress_bar(
            total=total, initial=writer.position, unit="img", desc=f"render {data.name}", progress=progress
        ) as bar:
            while writer.position < total:
                start = writer.position
                stop = min(start + chunk_size, total)
                codes = to_codes(np.arange(start, stop, dtype=np.int64))
                nuisance = None
                if data.spec.background.is_random:
                    nuisance = counter_draw(
                        seed, start, stop - start, lambda g, b: (data.draw_nuisance(b, g),), salt=_NUISANCE_SALT
                    )[0]
                writer.write(data.render(codes, nuisance, dtype=np.uint8))
                bar.update(stop - start)
        return writer.commit()


def _grid_layout(data: RenderedData) -> tuple[FactorSpace, Callable[[np.ndarray], np.ndarray]]:
    """The factor space to store and a map from its flat indices to codes of ``data``'s full space."""
    full = data.factor_space
    points = data.grid_points
    if points is None:
        return full, full.index_to_codes
    codes = full.index_to_codes(points)
    subsets = [np.unique(codes[:, i]) for i in range(full.num_factors)]
    if int(np.prod([s.size for s in subsets], dtype=np.float64)) != points.size:
        raise InvalidValueError(
            f"split {' and '.join(data.split_description)!r} is not a sub-grid (one set of values per "
            f"factor), which the prepared layout needs; export it with format='hdf5'"
        )
    factors = []
    for factor, subset in zip(full, subsets):
        if subset.size == factor.size:
            factors.append(factor)
        else:
            factors.append(Factor(factor.name, factor.values[subset], factor.unit))
    space = FactorSpace(factors)

    def to_codes(flat: np.ndarray) -> np.ndarray:
        sub = space.index_to_codes(flat)
        return np.stack([subset[sub[:, i]] for i, subset in enumerate(subsets)], axis=1)

    return space, to_codes
