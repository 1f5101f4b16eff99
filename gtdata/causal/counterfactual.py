"""Counterfactual pairs: the same exogenous noise before and after an intervention (Brehmer et al., 2022).

Row i: draw the noise ``u`` of every node, the factual codes ``codes1 = SCM(u)``; pick the target node(s);
set each target to a new value; recompute every other node from the *same* ``u`` in topological order, so
the descendants of the targets move and nothing else does. Both observations share their nuisance.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from gtdata.core.data import GroundTruthData, check_dtype
from gtdata.core.rng import SALTS, RNGLike
from gtdata.core.sampler import Sampler

from .scm import SCM, SCMError
from .targets import check_intervention, new_codes, resolve_targets, target_mask

__all__ = ["CounterfactualBatch", "CounterfactualSampler", "counterfactual_pairs"]


class CounterfactualBatch(NamedTuple):
    """Factual and counterfactual observations and codes.

    Parameters
    ----------
    x1, x2 : ndarray, shape (n, H, W, C)
        The factual and the counterfactual observations (the batch's dtype), with the same nuisance.
    codes1, codes2 : ndarray of int64, shape (n, F)
        Their codes.
    changed : ndarray of bool, shape (n, F)
        The factors whose code differs: the targets (unless resampled to the same value) and the
        descendants that moved with them.
    intervened : ndarray of bool, shape (n, F)
        The intervention targets.

    Examples
    --------
    ``factor1 = 4 * factor0 + noise``: intervening on ``factor0`` moves ``factor1`` too, nothing else moves.

    >>> from gtdata.causal import SCM, AdditiveNoise, counterfactual_pairs
    >>> import gtdata
    >>> data = gtdata.load("toy")
    >>> scm = SCM(data.factor_space, {"factor1": AdditiveNoise({"factor0": 4.0}, scale=0.1)})
    >>> pairs = counterfactual_pairs(data, scm, 4, targets="factor0", rng=0)
    >>> pairs.x1.shape, pairs.x1.dtype, pairs.codes1.shape
    ((4, 64, 64, 1), dtype('float32'), (4, 4))
    >>> pairs.codes1[0].tolist(), pairs.codes2[0].tolist()
    ([1, 3, 2, 1], [0, 0, 2, 1])
    >>> pairs.intervened[0].tolist(), pairs.changed[0].tolist()
    ([True, False, False, False], [True, True, False, False])
    """

    x1: np.ndarray
    x2: np.ndarray
    codes1: np.ndarray
    codes2: np.ndarray
    changed: np.ndarray
    intervened: np.ndarray


def check_scm(data: GroundTruthData, scm: Any) -> SCM:
    if not isinstance(scm, SCM):
        raise SCMError(f"scm must be a gtdata.causal.SCM, got {type(scm).__name__}")
    if scm.factor_space != data.factor_space:
        raise SCMError(
            f"the SCM's factors {list(scm.factor_space.names)} (sizes {scm.factor_space.sizes.tolist()}) "
            f"are not {data.name}'s {list(data.factor_space.names)} "
            f"(sizes {data.factor_space.sizes.tolist()})"
        )
    return scm


class CounterfactualSampler(Sampler):
    """Counterfactual pairs as a sampler (for :class:`~gtdata.torchdata.BatchStream`, the trainer, studies).

    Parameters
    ----------
    scm : SCM
        The causal model of the data set's factors.
    targets : "random", str or list of str
        The intervened node(s): one changeable node drawn uniformly per pair, or the given ones.
    intervention : {"uniform", "resample"}
        Each target takes a different value drawn uniformly, or a fresh uniform value (may be unchanged).

    Raises
    ------
    SCMError
        ``scm`` is not an SCM; ``targets`` is not ``"random"``, a factor name or a non-empty list of names,
        names an unknown factor, a factor with a single value or one factor twice; ``intervention`` is not
        one of its two choices.

    Examples
    --------
    >>> from gtdata.causal import SCM, AdditiveNoise, CounterfactualSampler, counterfactual_pairs
    >>> import gtdata
    >>> data = gtdata.load("toy")
    >>> scm = SCM(data.factor_space, {"factor1": AdditiveNoise({"factor0": 4.0}, scale=0.1)})
    >>> sampler = CounterfactualSampler(scm, targets="factor0")
    >>> batch = sampler.sample(data, 8, rng=0)
    >>> batch.x2.shape
    (8, 64, 64, 1)
    >>> bool((batch.codes2 == counterfactual_pairs(data, scm, 8, targets="factor0", rng=0).codes2).all())
    True
    """

    name = "counterfactual"
    salt = SALTS["counterfactual"]
    images_per_row = 2

    def __init__(self, scm: SCM, targets: Any = "random", intervention: str = "uniform"):
        if not isinstance(scm, SCM):
            raise SCMError(f"scm must be a gtdata.causal.SCM, got {type(scm).__name__}")
        self.scm, self.targets = scm, targets
        self.intervention = check_intervention(intervention)
        self._positions = resolve_targets(scm, targets)

    def options(self) -> dict[str, Any]:
        return {"scm": self.scm.to_dict(), "targets": self.targets, "intervention": self.intervention}

    def check(self, data: GroundTruthData) -> None:
        check_scm(data, self.scm)

    def draw_block(self, data: GroundTruthData, gen: np.random.Generator, size: int) -> tuple:
        sizes = data.factor_space.sizes
        u = self.scm.noise(size, gen)
        mask = target_mask(sizes, self._positions, gen, size)
        codes1 = self.scm.codes_from_noise(u)
        codes2 = self.scm.codes_from_noise(u, new_codes(codes1, mask, sizes, gen, self.intervention))
        todo = np.flatnonzero(~(data.contains(codes1) & data.contains(codes2)))
        for _ in range(1000):  # rows outside the view's split are drawn again, from this block's generator
            if todo.size == 0:
                break
            m = todo.size
            u_r, mask_r = self.scm.noise(m, gen), target_mask(sizes, self._positions, gen, m)
            c1 = self.scm.codes_from_noise(u_r)
            c2 = self.scm.codes_from_noise(u_r, new_codes(c1, mask_r, sizes, gen, self.intervention))
            codes1[todo], codes2[todo], mask[todo] = c1, c2, mask_r
            todo = todo[~(data.contains(c1) & data.contains(c2))]
        else:
            raise SCMError(
                f"could not draw counterfactual pairs inside split {data.split_description}: "
                f"the split is too small for this SCM and these targets"
            )
        return codes1, codes2, mask, data.draw_nuisance(size, gen)

    def assemble(self, data: GroundTruthData, drawn: tuple, dtype: np.dtype) -> CounterfactualBatch:
        codes1, codes2, mask, nu = drawn
        return CounterfactualBatch(
            data.render(codes1, nu, dtype), data.render(codes2, nu, dtype), codes1, codes2, codes1 != codes2, mask
        )


def counterfactual_pairs(
    data: GroundTruthData,
    scm: SCM,
    n: int,
    *,
    targets: Any = "random",
    intervention: str = "uniform",
    rng: RNGLike = None,
    start: int = 0,
    dtype: Any = np.float32,
) -> CounterfactualBatch:
    """``n`` counterfactual pairs: shared exogenous noise, an intervention on the targets, descendants recomputed.

    Parameters
    ----------
    data : GroundTruthData
        Any gtdata set (or a split of it: both codes of a pair stay inside).
    scm : SCM
        A causal model over ``data.factor_space``.
    n : int
        Number of pairs.
    targets : "random", str or list of str
        The intervened node(s): one changeable node drawn uniformly per pair (default), or the given ones.
    intervention : {"uniform", "resample"}
        Each target takes a different value drawn uniformly (default), or a fresh uniform value.
    rng : int, Generator or RandomState
        Seed of the counter-based stream: pair i depends only on ``(seed, start + i)``.
    start : int
        First pair of the stream.
    dtype : float32, float64 or uint8
        Image dtype.

    Returns
    -------
    CounterfactualBatch
        ``x1, x2, codes1, codes2, changed, intervened``.

    Examples
    --------
    >>> import gtdata
    >>> from gtdata.causal import SCM, AdditiveNoise, counterfactual_pairs
    >>> data = gtdata.load("toy")
    >>> scm = SCM(data.factor_space, {"factor1": AdditiveNoise({"factor0": 4.0}, scale=0.1)})
    >>> pairs = counterfactual_pairs(data, scm, 100, targets="factor0", rng=0)
    >>> bool((pairs.codes1[:, 2:] == pairs.codes2[:, 2:]).all())   # non-descendants never change
    True
    """
    check_dtype(dtype)
    sampler = CounterfactualSampler(check_scm(data, scm), targets=targets, intervention=intervention)
    return sampler.sample(data, n, rng, start=start, dtype=dtype)
