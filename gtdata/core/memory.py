"""In-memory ground-truth data: a toy set computed from its codes, and a user's own labelled arrays.

The registry (a layer above) registers :class:`ToyData` under the name ``"toy"``; this module knows nothing
of it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from gtdata.core.errors import InvalidValueError

from .data import GroundTruthData
from .factors import Factor, FactorSpace
from .rng import AnyRNG, uniform


class ToyData(GroundTruthData):
    """A tiny, exactly factorized data set computed on the fly, for tests and examples.

    The image is cut into one horizontal band per factor; band ``f`` has brightness
    ``(code_f + 1) / (size_f + 1)``, so every factor is identifiable from the pixels. ``noise`` > 0 adds
    uniform per-pixel noise of that amplitude, drawn per observation (a nuisance, shared within a pair).
    Observations: (image_size, image_size, channels) float32 in [0, 1].

    Parameters
    ----------
    factor_sizes : sequence of int
        Number of values of each factor (each ≥ 1); factor f's values are ``linspace(0, 1, size_f)``.
    image_size : int
        Height and width in pixels (at least the number of factors: one band each).
    channels : {1, 3}
        Grey or RGB (the three channels equal).
    noise : float
        Amplitude of the per-pixel uniform noise, in [0, 1] (brightness units); 0 is noise-free.
    names : sequence of str, optional
        Factor names (default ``factor0``, ``factor1``, ...).

    Raises
    ------
    InvalidValueError
        A size below 1 or no factors, ``image_size`` below the number of factors, ``channels`` not 1 or 3,
        ``noise`` outside [0, 1], or ``names`` of another length than ``factor_sizes``.

    Examples
    --------
    >>> import numpy as np
    >>> from gtdata import ToyData
    >>> data = ToyData(factor_sizes=(2, 3), image_size=8, names=["a", "b"])
    >>> data
    ToyData(name='toy', 6 points, factors={'a': 2, 'b': 3}, observation_shape=(8, 8, 1))
    >>> x = data.observations([[1, 2]])
    >>> x.shape, x.dtype
    ((1, 8, 8, 1), dtype('float32'))
    >>> x[0, 0, 0, 0].item(), x[0, -1, 0, 0].item()   # top band (a = code 1): 2/3; bottom band (b = code 2): 3/4
    (0.6666666865348816, 0.75)
    """

    name = "toy"

    def __init__(
        self,
        factor_sizes: Sequence[int] = (3, 4, 5, 6),
        image_size: int = 64,
        channels: int = 1,
        noise: float = 0.0,
        names: Sequence[str] | None = None,
    ):
        sizes = [int(s) for s in factor_sizes]
        if not sizes or min(sizes) < 1:
            raise InvalidValueError(f"factor_sizes must be positive integers, got {list(factor_sizes)}")
        if image_size < len(sizes):
            raise InvalidValueError(f"image_size must be >= the number of factors ({len(sizes)}), got {image_size}")
        if channels not in (1, 3):
            raise InvalidValueError(f"channels must be 1 or 3, got {channels}")
        if not 0.0 <= noise <= 1.0:
            raise InvalidValueError(f"noise must be in [0, 1], got {noise}")
        names = list(names) if names is not None else [f"factor{i}" for i in range(len(sizes))]
        if len(names) != len(sizes):
            raise InvalidValueError(f"names has {len(names)} entries for {len(sizes)} factors")
        self.factor_space = FactorSpace(
            Factor(n, np.linspace(0.0, 1.0, s) if s > 1 else [0.0]) for n, s in zip(names, sizes)
        )
        self.observation_shape = (int(image_size), int(image_size), int(channels))
        self.noise = float(noise)
        self._bands = np.array_split(np.arange(image_size), len(sizes))

    def _draw_nuisance(self, n: int, rng: AnyRNG) -> dict[str, np.ndarray] | None:
        if self.noise == 0.0:
            return None
        return {"noise": uniform(rng, 0.0, self.noise, (n, *self.observation_shape)).astype(np.float32)}

    def _render(self, codes: np.ndarray, nuisance: dict[str, np.ndarray] | None) -> np.ndarray:
        out = np.empty((codes.shape[0], *self.observation_shape), dtype=np.float32)
        for f, rows in enumerate(self._bands):
            level = (codes[:, f] + 1) / (self.factor_space.sizes[f] + 1)
            out[:, rows[0] : rows[-1] + 1] = level[:, None, None, None]
        if nuisance is not None:
            np.minimum(out + nuisance["noise"], 1.0, out=out)
        return out


class ArrayData(GroundTruthData):
    """Ground-truth data over a user's own labelled images held in memory (see :func:`from_arrays`).

    The grid need not be complete: only observed factor combinations are sampled. Several images with the
    same codes are nuisance variation: one of them is picked at random per draw.

    Parameters
    ----------
    images : ndarray, shape (N, H, W, C)
        The images, uint8 or float32 in [0, 1]; kept as they are (not copied).
    codes : ndarray of int64, shape (N, F)
        The valid codes of each image on ``factor_space``.
    factor_space : FactorSpace
        The factors.
    name : str
        A label for the data set (in ``repr``, errors and records).

    Examples
    --------
    >>> import numpy as np
    >>> from gtdata import ArrayData, FactorSpace
    >>> images = np.arange(3 * 2 * 2, dtype=np.uint8).reshape(3, 2, 2, 1)
    >>> data = ArrayData(images, np.array([[0, 0], [0, 1], [1, 1]]), FactorSpace.from_sizes([2, 2]), name="mine")
    >>> len(data), data.grid_points.tolist()   # the grid point (1, 0) has no image: never sampled
    (3, [0, 1, 3])
    >>> data.observations([[1, 1]], dtype=np.uint8)[0, ..., 0].tolist()
    [[8, 9], [10, 11]]
    """

    def __init__(self, images: np.ndarray, codes: np.ndarray, factor_space: FactorSpace, name: str = "arrays"):
        self.name = name
        self.factor_space = factor_space
        self.images = images
        self.observation_shape = tuple(images.shape[1:])
        flat = codes @ factor_space.strides
        order = np.argsort(flat, kind="stable")
        self._rows = order
        counts = np.bincount(flat, minlength=factor_space.size)
        self._counts = counts
        self._offsets = np.concatenate([[0], np.cumsum(counts)[:-1]])
        self._complete = bool(counts.min() > 0)

    def _base_mask(self) -> np.ndarray | None:
        return None if self._complete else self._counts > 0

    def _draw_nuisance(self, n: int, rng: AnyRNG) -> dict[str, np.ndarray] | None:
        if self._counts.max() <= 1:
            return None
        return {"pick": uniform(rng, 0.0, 1.0, n)}

    def _render(self, codes: np.ndarray, nuisance: dict[str, np.ndarray] | None) -> np.ndarray:
        flat = codes @ self.factor_space.strides
        counts = self._counts[flat]
        if (counts == 0).any():
            missing = codes[counts == 0][0].tolist()
            raise InvalidValueError(
                f"{self.name} has no image for codes {missing} ({dict(zip(self.factor_space.names, missing))})"
            )
        within = 0 if nuisance is None else (nuisance["pick"] * counts).astype(np.int64)
        return self.images[self._rows[self._offsets[flat] + within]]


def from_arrays(
    images: Any,
    factors: Any,
    names: Sequence[str] | None = None,
    values: Sequence[Sequence[Any]] | None = None,
    units: Sequence[str | None] | None = None,
    name: str = "arrays",
) -> ArrayData:
    """Turn labelled images into GroundTruthData.

    ``images``: (N, H, W) or (N, H, W, C), uint8 or float in [0, 1]. ``factors``: (N, F). Without ``values``,
    ``factors`` holds actual values and each factor's values are the sorted unique entries of its column;
    with ``values`` (one list per factor), ``factors`` holds integer codes into those lists.

    Parameters
    ----------
    images : array_like, shape (N, H, W) or (N, H, W, C)
        uint8, or float in [0, 1] (stored as float32).
    factors : array_like, shape (N, F) or (N,)
        Each image's actual factor values, or its codes when ``values`` is given.
    names : sequence of str, optional
        Factor names (default ``factor0``, ``factor1``, ...).
    values : sequence of sequences, optional
        Each factor's values, in code order; then ``factors`` holds codes into them.
    units : sequence of str or None, optional
        Each factor's unit.
    name : str
        A label for the data set.

    Returns
    -------
    ArrayData
        Ground-truth data over the images; combinations that no image has are never sampled.

    Raises
    ------
    InvalidValueError
        ``images`` of another shape or dtype, float images outside [0, 1], ``factors`` not (N, F) for the N
        images, ``names``, ``units`` or ``values`` of another length than F, or codes outside ``values``.

    Examples
    --------
    Twelve 8 × 8 images, one per size (cm) and angle (degrees):

    >>> import numpy as np
    >>> from gtdata import from_arrays
    >>> images = np.random.default_rng(0).integers(0, 256, size=(12, 8, 8), dtype=np.uint8)
    >>> factors = np.array([[s, a] for s in (1.0, 2.0, 3.0) for a in (0, 90, 180, 270)])
    >>> data = from_arrays(images, factors, names=["size", "angle"], units=["cm", "degree"])
    >>> data
    ArrayData(name='arrays', 12 points, factors={'size': 3, 'angle': 4}, observation_shape=(8, 8, 1))
    >>> data.factor_space["angle"].values.tolist()
    [0.0, 90.0, 180.0, 270.0]
    >>> bool((data.observations([[2, 1]], dtype=np.uint8)[0, ..., 0] == images[9]).all())   # size 3, angle 90
    True
    >>> pets = from_arrays(images[:3], [[0, 1], [1, 0], [1, 1]], names=["animal", "x"],
    ...                    values=[["cat", "dog"], [0.0, 1.0]])
    >>> len(pets), pets.factor_space["animal"].values.tolist()
    (3, ['cat', 'dog'])
    """
    imgs = np.asarray(images)
    if imgs.ndim == 3:
        imgs = imgs[..., None]
    if imgs.ndim != 4:
        raise InvalidValueError(f"images must have shape (N, H, W) or (N, H, W, C), got {imgs.shape}")
    if imgs.dtype != np.uint8:
        if imgs.dtype.kind != "f":
            raise InvalidValueError(f"images must be uint8 or float in [0, 1], got dtype {imgs.dtype}")
        if imgs.size and (np.nanmin(imgs) < 0 or np.nanmax(imgs) > 1 or not np.isfinite(imgs).all()):
            raise InvalidValueError("float images must lie in [0, 1]")
        imgs = imgs.astype(np.float32, copy=False)
    labels = np.asarray(factors)
    if labels.ndim == 1:
        labels = labels[:, None]
    if labels.ndim != 2 or labels.shape[0] != imgs.shape[0]:
        raise InvalidValueError(f"factors must have shape (N, F) with N = {imgs.shape[0]} images, got {labels.shape}")
    num = labels.shape[1]
    names = list(names) if names is not None else [f"factor{i}" for i in range(num)]
    units = list(units) if units is not None else [None] * num
    if len(names) != num or len(units) != num:
        raise InvalidValueError(f"names and units need {num} entries (one per factor column)")
    if values is None:
        columns = [np.unique(labels[:, i], return_inverse=True) for i in range(num)]
        space = FactorSpace(Factor(n, u, unit) for n, (u, _), unit in zip(names, columns, units))
        codes = np.stack([inv.ravel() for _, inv in columns], axis=1).astype(np.int64)
    else:
        if len(values) != num:
            raise InvalidValueError(f"values needs one list per factor ({num}), got {len(values)}")
        space = FactorSpace(Factor(n, v, unit) for n, v, unit in zip(names, values, units))
        codes = space.validate_codes(labels, "factors")
    return ArrayData(imgs, codes, space, name=name)
