"""Environments: observational data plus one interventional environment per target (interventional CRL).

Environment 0 draws from the SCM; environment j ≥ 1 from the SCM with target j's mechanism replaced: by a
uniform distribution over its values (``intervention="uniform"``, a stochastic hard intervention, the default),
or by a given value (``intervention={target: value}``, ``do``). Each environment is its own counter-based
stream, so environment e's row i depends only on ``(seed, e, i)``. As a sampler (for the torch stream), row i
of a batch belongs to environment ``i mod E``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

import numpy as np

from gtdata.core.data import GroundTruthData, check_dtype
from gtdata.core.factors import check_count
from gtdata.core.rng import ENVIRONMENT_SALT, RNGLike, counter_draw, stream_key
from gtdata.core.sampler import Sampler

from .counterfactual import check_scm
from .mechanisms import Uniform
from .scm import SCM, SCMError
from .targets import resolve_targets

__all__ = ["EnvironmentBatch", "EnvironmentSampler", "environments"]

_SALT = ENVIRONMENT_SALT  # environment e streams with salt ENVIRONMENT_SALT + e
MAX_ENVIRONMENTS = 255 - _SALT


class EnvironmentBatch(NamedTuple):
    """One batch of environments.

    Parameters
    ----------
    x : ndarray (n, H, W, C)
        Observations.
    codes : ndarray (n, F) int64
        Their codes.
    env : ndarray (n,) int64
        Environment id: 0 is observational, j ≥ 1 intervenes on the j-th target.
    intervened : ndarray (n, F) bool
        The intervention target of each row (all False in environment 0).

    Examples
    --------
    >>> from gtdata.causal import SCM, AdditiveNoise, environments
    >>> import gtdata
    >>> data = gtdata.load("toy")
    >>> scm = SCM(data.factor_space, {"factor1": AdditiveNoise({"factor0": 4.0}, scale=0.1)})
    >>> batch = environments(data, scm, ["factor0"], 3, rng=0)
    >>> batch.x.shape, batch.env.tolist()
    ((6, 64, 64, 1), [0, 0, 0, 1, 1, 1])
    >>> batch.intervened[:, 0].tolist()
    [False, False, False, True, True, True]
    """

    x: np.ndarray
    codes: np.ndarray
    env: np.ndarray
    intervened: np.ndarray


class EnvironmentSampler(Sampler):
    """Rows from E = 1 + len(targets) environments, row i from environment ``i mod E``.

    Parameters
    ----------
    scm : SCM
        The observational causal model.
    targets : str or list of str
        One interventional environment per target, in this order ("random" is not allowed here: an
        environment's target is fixed). Default: every factor with more than one value.
    intervention : "uniform" or mapping target → value
        How a target is intervened on (see the module docstring).

    Raises
    ------
    SCMError
        ``scm`` is not an SCM; ``targets`` is ``"random"``, names an unknown factor, a factor with a single
        value or one factor twice, or gives more than 255 - ``ENVIRONMENT_SALT`` targets; an ``intervention``
        mapping does not name exactly the targets or holds a value off a target's grid; any other
        ``intervention`` than ``"uniform"`` or a mapping.

    Examples
    --------
    ``do(factor0 = 0.5)`` in environment 1; row i of a batch belongs to environment ``i mod 2``:

    >>> from gtdata.causal import SCM, AdditiveNoise, EnvironmentSampler
    >>> import gtdata
    >>> data = gtdata.load("toy")
    >>> scm = SCM(data.factor_space, {"factor1": AdditiveNoise({"factor0": 4.0}, scale=0.1)})
    >>> sampler = EnvironmentSampler(scm, ["factor0"], intervention={"factor0": 0.5})
    >>> sampler.num_environments
    2
    >>> batch = sampler.sample(data, 6, rng=0)
    >>> batch.env.tolist()
    [0, 1, 0, 1, 0, 1]
    >>> batch.codes[batch.env == 1, 0].tolist()   # code 1 is the value 0.5
    [1, 1, 1]
    """

    name = "environments"
    salt = _SALT

    def __init__(self, scm: SCM, targets: Any = None, intervention: str | Mapping[str, Any] = "uniform"):
        if not isinstance(scm, SCM):
            raise SCMError(f"scm must be a gtdata.causal.SCM, got {type(scm).__name__}")
        space = scm.factor_space
        if targets is None:
            targets = [n for n, s in zip(space.names, space.sizes) if s > 1]
        if isinstance(targets, str) and targets == "random":
            raise SCMError("environments need fixed targets (one environment per target), not 'random'")
        positions = resolve_targets(scm, targets)
        self.scm, self.targets = scm, [space.names[p] for p in positions]
        if len(self.targets) > MAX_ENVIRONMENTS:
            raise SCMError(f"at most {MAX_ENVIRONMENTS} interventional environments, got {len(self.targets)}")
        if isinstance(intervention, Mapping):
            missing = [t for t in self.targets if t not in intervention]
            extra = [t for t in intervention if t not in self.targets]
            if missing or extra:
                raise SCMError(
                    f"intervention values must name exactly the targets {self.targets}; "
                    f"missing {missing}, not a target {extra}"
                )
            self.scms = [scm] + [scm.do({t: intervention[t]}) for t in self.targets]
        elif intervention == "uniform":
            self.scms = [scm] + [scm.intervene({t: Uniform()}) for t in self.targets]
        else:
            raise SCMError(f"intervention must be 'uniform' or a mapping target -> value, got {intervention!r}")
        self.intervention = intervention if isinstance(intervention, str) else dict(intervention)
        self._positions = positions

    @property
    def num_environments(self) -> int:
        return len(self.scms)

    def options(self) -> dict[str, Any]:
        return {"scm": self.scm.to_dict(), "targets": list(self.targets), "intervention": self.intervention}

    def check(self, data: GroundTruthData) -> None:
        check_scm(data, self.scm)

    def _views(self, data: GroundTruthData) -> list[GroundTruthData]:
        """One view of ``data`` per environment, made once per data set: a view with a split computes its
        distribution over the split's grid points, which must not be redone for every batch."""
        cached = self.__dict__.get("_view_cache")
        if cached is None or cached[0] is not data:
            cached = (data, [data.with_distribution(scm) for scm in self.scms])
            self.__dict__["_view_cache"] = cached
        return cached[1]

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        state.pop("_view_cache", None)  # views are rebuilt where the sampler is unpickled (DataLoader workers)
        return state

    def environment_rows(self, data: GroundTruthData, env: int, key: int, start: int, n: int) -> tuple:
        """Rows ``start … start+n-1`` of environment ``env``'s stream: (codes, nuisance)."""
        view = self._views(data)[env]
        return counter_draw(
            key, start, n, lambda g, b: (view.sample_codes(b, g), data.draw_nuisance(b, g)), salt=_SALT + env
        )

    def draw(self, data: GroundTruthData, n: int, rng: RNGLike = 0, start: int = 0) -> tuple:
        n = check_count(n)
        self.check(data)
        key, e = stream_key(rng), self.num_environments
        rows = np.arange(start, start + n)
        env = rows % e
        codes = np.empty((n, data.num_factors), dtype=np.int64)
        parts = []
        for j in range(e):
            sel = np.flatnonzero(env == j)
            if sel.size == 0:
                continue
            c, nu = self.environment_rows(data, j, key, int(rows[sel[0]] // e), sel.size)
            codes[sel] = c
            parts.append((sel, nu))
        return codes, env.astype(np.int64), _merge_nuisance(parts, n)

    def assemble(self, data: GroundTruthData, drawn: tuple, dtype: np.dtype) -> EnvironmentBatch:
        codes, env, nu = drawn
        intervened = np.zeros(codes.shape, dtype=bool)
        for j, pos in enumerate(self._positions, start=1):
            intervened[env == j, pos] = True
        return EnvironmentBatch(data.render(codes, nu, dtype), codes, env, intervened)


def _merge_nuisance(parts: list, n: int) -> dict[str, np.ndarray] | None:
    if not parts or parts[0][1] is None:
        return None
    out = {}
    for name, first in parts[0][1].items():
        arr = np.empty((n, *first.shape[1:]), dtype=first.dtype)
        for sel, nu in parts:
            arr[sel] = nu[name]
        out[name] = arr
    return out


def environments(
    data: GroundTruthData,
    scm: SCM,
    targets: Any = None,
    n_per_env: int = 1000,
    *,
    intervention: str | Mapping[str, Any] = "uniform",
    rng: RNGLike = None,
    dtype: Any = np.float32,
) -> EnvironmentBatch:
    """Observational data and one interventional environment per target, ``n_per_env`` rows each.

    Parameters
    ----------
    data : GroundTruthData
        Any gtdata set (a split conditions every environment on it).
    scm : SCM
        The observational causal model over ``data.factor_space``.
    targets : str or list of str, optional
        One environment per target, in order (default: every factor with more than one value).
    n_per_env : int
        Rows per environment.
    intervention : "uniform" or mapping target → value
        A target's mechanism is replaced by a uniform distribution, or fixed at the given value.
    rng : int, Generator or RandomState
        The stream's seed; environment e's row i depends only on ``(seed, e, i)``.
    dtype : float32, float64 or uint8
        Image dtype.

    Returns
    -------
    EnvironmentBatch
        ``x, codes, env, intervened``, ordered by environment (0 = observational, then the targets' order).

    Examples
    --------
    >>> import gtdata
    >>> from gtdata.causal import SCM, AdditiveNoise, environments
    >>> data = gtdata.load("toy")
    >>> scm = SCM(data.factor_space, {"factor1": AdditiveNoise({"factor0": 4.0}, scale=0.1)})
    >>> batch = environments(data, scm, ["factor0", "factor1"], 50, rng=0)
    >>> np.bincount(batch.env).tolist()
    [50, 50, 50]
    """
    dtype = check_dtype(dtype)
    n_per_env = check_count(n_per_env, "n_per_env")
    sampler = EnvironmentSampler(check_scm(data, scm), targets, intervention)
    e = sampler.num_environments
    data.check_batch_size(n_per_env * e)
    key = stream_key(rng)
    codes, parts = [], []
    for j in range(e):
        c, nu = sampler.environment_rows(data, j, key, 0, n_per_env)
        codes.append(c)
        parts.append((np.arange(j * n_per_env, (j + 1) * n_per_env), nu))
    drawn = (
        np.concatenate(codes),
        np.repeat(np.arange(e, dtype=np.int64), n_per_env),
        _merge_nuisance(parts, e * n_per_env),
    )
    return sampler.assemble(data, drawn, dtype)
