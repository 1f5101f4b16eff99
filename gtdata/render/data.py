"""RenderedData: a GroundTruthData that renders its observations on demand from a render spec."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import numpy as np

from gtdata.core.data import GroundTruthData, check_dtype, convert_images
from gtdata.core.errors import InvalidValueError
from gtdata.core.factors import check_count
from gtdata.core.rng import AnyRNG, RNGLike, as_rng, randint, uniform
from gtdata.render.raster import Rasterizer
from gtdata.render.spec import RenderSpec

__all__ = ["RenderedData"]


class RenderedData(GroundTruthData):
    """Observations rendered from a spec (a :class:`RenderSpec`, a dict, a YAML path or a built-in name).

    No storage: ``observations(codes)`` rasterizes the batch. The whole sampling API (pairs, splits, torch
    adapters) comes from GroundTruthData; :meth:`render_values` renders from factor *values*, so continuous
    factors can be drawn anywhere in their range. Observations: (H, W, C) float32 in [0, 1] (uint8 bytes with
    ``dtype=np.uint8``). Pickles as its spec, never pixels. ``threads``: parallel render chunks (default:
    up to 4, the CPU count).

    3-D specs (``kind: scene3d``) render with ``backend="numpy"`` (default) or ``backend="torch"`` on
    ``device`` (``"auto"``: CUDA when available, else CPU); see :mod:`gtdata.render.scene3d`. 2-D specs
    have the numpy rasterizer only.

    Parameters
    ----------
    spec : RenderSpec, dict, str or os.PathLike
        The spec: a parsed :class:`RenderSpec`, its mapping form, a YAML file, or a built-in name
        (``"dsprites_like"``, ``"shapes3d_like"``...; see ``gtdata.list_datasets("rendered")``).
    threads : int, optional
        Number of chunks a batch is rendered in parallel; default up to 4 (the CPU count if smaller).
    backend : {"numpy", "torch"}, default "numpy"
        Renderer of 3-D specs; 2-D specs accept only ``"numpy"``.
    device : str, default "auto"
        Torch device of the ``"torch"`` backend (``"cpu"``, ``"cuda"``, ``"cuda:1"``...); ``"auto"`` picks
        CUDA when available. 2-D specs accept only ``"auto"`` or ``"cpu"``.

    Raises
    ------
    SpecError
        If the spec is malformed (the message names the place in the spec and what is allowed).
    ValueError
        If a 2-D spec is given ``backend="torch"`` or a device other than the CPU.

    See Also
    --------
    export_rendered : store the rendered grid (or a split) to load like a benchmark set.

    Examples
    --------
    The dSprites grid rendered on demand, nothing stored; observations are float32 in [0, 1]:

    >>> data = RenderedData("dsprites_like")
    >>> data.factor_names, data.factors_num_values
    (('shape', 'scale', 'orientation', 'posX', 'posY'), [3, 6, 40, 32, 32])
    >>> images = data.observations([[2, 5, 0, 16, 16]])  # a heart of scale 1.0 in the centre
    >>> images.shape, images.dtype, float(images.max())
    ((1, 64, 64, 1), dtype('float32'), 1.0)

    From factor values instead of codes (continuous factors may lie between grid values):

    >>> data.render_values({"shape": ["heart"], "scale": [0.75], "orientation": [0.0], "posX": [0.5],
    ...                     "posY": [0.5]}, dtype=np.uint8).shape
    (1, 64, 64, 1)
    """

    def __init__(
        self,
        spec: RenderSpec | Mapping | str | os.PathLike,
        threads: int | None = None,
        backend: str = "numpy",
        device: str = "auto",
    ) -> None:
        self.spec = RenderSpec.load(spec if not isinstance(spec, Mapping) else dict(spec))
        self.threads = threads
        self.backend = backend
        self.device = device
        self.name = self.spec.name
        self.factor_space = self.spec.factor_space()
        self.observation_shape = self.spec.shape
        self._raster = self._make_renderer()

    def _make_renderer(self):
        if getattr(self.spec, "kind", "scene2d") == "scene3d":
            from gtdata.render.scene3d.renderer import Scene3DRenderer

            return Scene3DRenderer(self.spec, threads=self.threads, backend=self.backend, device=self.device)
        if self.backend != "numpy" or self.device not in ("auto", "cpu"):
            raise InvalidValueError(
                f"backend={self.backend!r}, device={self.device!r}: 2-D specs render with the numpy "
                "rasterizer only (backend='numpy'); the torch backend is for kind: scene3d specs"
            )
        return Rasterizer(self.spec, threads=self.threads)

    @property
    def metadata(self) -> dict[str, Any]:
        out = super().metadata
        out.update(kind="rendered", description=self.spec.description, spec=self.spec.raw, spec_sha256=self.spec.sha256)
        return out

    def _draw_nuisance(self, n: int, rng: AnyRNG) -> dict[str, np.ndarray] | None:
        return self._raster.draw_nuisance(n, rng)

    def _render(self, codes: np.ndarray, nuisance: dict[str, np.ndarray] | None) -> np.ndarray:
        return self._raster.render_codes(codes, nuisance)

    def render_values(self, values: Mapping[str, Any], rng: RNGLike = None, dtype=np.float32) -> np.ndarray:
        """Render images (N, H, W, C) from factor values: ``{name: array (N,)}`` for every factor.

        Numeric factors may take any value in [low, high] when the spec maps them linearly (always the case
        for continuous factors bound without ``map``); category names and ``map``-bound factors need grid
        values. Background nuisance is drawn from ``rng``. Grid values give exactly ``observations(codes)``.
        """
        if not isinstance(values, Mapping):
            raise InvalidValueError(
                f"values must be a mapping factor name -> array of values, got {type(values).__name__}"
            )
        names = self.factor_space.names
        missing = [n for n in names if n not in values]
        unknown = [n for n in values if n not in names]
        if missing or unknown:
            raise InvalidValueError(
                f"values need exactly the factors {list(names)}; missing {missing}, unknown {unknown}"
            )
        grid_only = {b.factor for _place, b in self.spec.bindings() if b.factor is not None and b.affine is None}
        numeric: dict[str, np.ndarray] = {}
        codes: dict[str, np.ndarray] = {}
        lengths = set()
        for factor in self.factor_space:
            column = np.atleast_1d(np.asarray(values[factor.name], dtype=object))
            if column.ndim != 1:
                raise InvalidValueError(f"values[{factor.name!r}] must be 1-D, got shape {column.shape}")
            lengths.add(column.size)
            if factor.is_categorical or factor.name in grid_only:
                uniq, inverse = np.unique(
                    column.astype(str if factor.is_categorical else np.float64), return_inverse=True
                )
                codes[factor.name] = np.array([factor.code_of(u) for u in uniq.tolist()], dtype=np.int64)[inverse]
                continue
            try:
                col = column.astype(np.float64)
            except (TypeError, ValueError):
                raise InvalidValueError(f"values[{factor.name!r}] must be numbers, got {column[:3].tolist()}") from None
            lo, hi = float(factor.values.min()), float(factor.values.max())
            bad = ~np.isfinite(col) | (col < lo - 1e-9 * max(1.0, abs(lo))) | (col > hi + 1e-9 * max(1.0, abs(hi)))
            if bad.any():
                raise InvalidValueError(
                    f"values[{factor.name!r}]: {float(col[bad][0])!r} is outside the factor's range [{lo}, {hi}]"
                )
            numeric[factor.name] = col
        if len(lengths) != 1:
            raise InvalidValueError(f"every factor needs the same number of values, got lengths {sorted(lengths)}")
        n = lengths.pop()
        if n == 0:
            raise InvalidValueError("values are empty; give at least one value per factor")
        nuisance = self._draw_nuisance(n, as_rng(rng))
        images = self._raster.render_values(numeric, codes, n, nuisance)
        return convert_images(images, check_dtype(dtype))

    def sample_values(self, n: int, rng: RNGLike = None, dtype=np.float32) -> tuple[dict[str, np.ndarray], np.ndarray]:
        """``(values, images)`` of n draws: continuous factors uniform in [low, high] (off the grid), the
        others uniform over their values; one draw per factor in order, then the background nuisance. A view
        with an SCM (``with_distribution``) draws the values from it, continuous factors kept continuous
        (:meth:`gtdata.causal.SCM.sample_values`)."""
        n = check_count(n)
        gen = as_rng(rng)
        if self.distribution is not None and hasattr(self.distribution, "sample_values"):
            # a view with an SCM: continuous factors follow its mechanisms off the grid
            values = self.distribution.sample_values(n, gen)
            return values, self.render_values(values, gen, dtype=dtype)
        values: dict[str, np.ndarray] = {}
        for factor in self.factor_space:
            if factor.is_continuous:
                values[factor.name] = uniform(gen, factor.low, factor.high, n)
            else:
                values[factor.name] = factor.values[randint(gen, factor.size, n)]
        return values, self.render_values(values, gen, dtype=dtype)

    def __getstate__(self) -> dict:
        state = super().__getstate__()
        state.pop("_raster", None)
        return state

    def __setstate__(self, state: dict) -> None:
        state.setdefault("backend", "numpy")
        state.setdefault("device", "auto")
        self.__dict__.update(state)
        self._raster = self._make_renderer()
