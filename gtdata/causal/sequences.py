"""Temporal sequences with recorded intervention targets (CITRIS, Lippe et al., ICML 2022).

A :class:`Transition` gives each factor's code at step t+1 as a mechanism of the codes at step t (its
parents are *previous-step* factors, so a factor may depend on itself: a random walk). At every step each
changeable factor is an intervention target with probability ``p`` (default 1/(F+1), CITRIS's
``1/(num_vars+1)``); a target takes a fresh uniform value instead of its transition. The targets are
recorded: ``intervened[:, t]`` drives the step t → t+1. Nuisance is drawn once per sequence and shared.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

import numpy as np

from gtdata.core.data import GroundTruthData, check_dtype
from gtdata.core.factors import FactorSpace, check_count
from gtdata.core.rng import SALTS, RNGLike
from gtdata.core.sampler import Sampler

from .mechanisms import AdditiveNoise, Mechanism, MechanismError, Uniform
from .scm import SCM, SCMError, _Node

__all__ = ["SequenceBatch", "SequenceSampler", "Transition", "sequences"]


class SequenceBatch(NamedTuple):
    """``x`` (n, T, H, W, C), ``codes`` (n, T, F) int64, ``intervened`` (n, T−1, F) bool.

    Parameters
    ----------
    x : ndarray, shape (n, T, H, W, C)
        The observations of each sequence's T steps (the batch's dtype), with the sequence's nuisance.
    codes : ndarray of int64, shape (n, T, F)
        Their codes.
    intervened : ndarray of bool, shape (n, T - 1, F)
        The intervention targets: ``intervened[:, t]`` drives the step t → t+1.

    Examples
    --------
    >>> import gtdata
    >>> from gtdata.causal import Transition, sequences
    >>> data = gtdata.load("toy")
    >>> seq = sequences(data, Transition.random_walk(data.factor_space), length=3, n=2, p=0.0, rng=0)
    >>> seq.x.shape, seq.codes.shape, seq.intervened.shape
    ((2, 3, 64, 64, 1), (2, 3, 4), (2, 2, 4))
    >>> bool(seq.intervened.any())   # p = 0: no intervention, only the random walk
    False
    """

    x: np.ndarray
    codes: np.ndarray
    intervened: np.ndarray


class Transition:
    """How codes move from one step to the next: a mechanism per factor over the previous step's codes.

    Parameters
    ----------
    factor_space : FactorSpace
        The data set's factors.
    mechanisms : mapping of factor name to Mechanism
        Parents refer to the previous step (self-dependence allowed). Factors not named keep their value.
    initial : SCM, optional
        The distribution of the first step (default: the data set's own, ``data.sample_codes``).

    Raises
    ------
    SCMError
        A mechanism or parent names an unknown factor (closest name suggested), ``initial`` is over other
        factors, or a mechanism cannot be compiled on ``factor_space`` (a table of the wrong shape, a
        distribution with zero total probability).

    Examples
    --------
    >>> import gtdata
    >>> from gtdata.causal import AdditiveNoise, Transition
    >>> space = gtdata.load("toy").factor_space
    >>> walk = Transition.random_walk(space, scale=0.1)
    >>> sorted(walk.mechanisms)[:2]
    ['factor0', 'factor1']
    """

    def __init__(self, factor_space: FactorSpace, mechanisms: Mapping[str, Mechanism], *, initial: SCM | None = None):
        self.factor_space = factor_space
        self.mechanisms: dict[str, Mechanism] = {}
        for name in factor_space.names:
            mech = mechanisms.get(name)
            if mech is None:  # no mechanism: the factor keeps its value (a point mass on the previous code)
                mech = (
                    AdditiveNoise({name: 1.0}, scale=1e-9, space="unit") if factor_space[name].size > 1 else Uniform()
                )
            self.mechanisms[name] = mech
        for name in mechanisms:
            try:
                factor_space.index(name)
            except ValueError as exc:
                raise SCMError(f"transition mechanisms: {exc}") from None
        if initial is not None and initial.factor_space != factor_space:
            raise SCMError("the initial SCM's factors differ from the transition's")
        self.initial = initial
        self._nodes = []
        for name, mech in self.mechanisms.items():
            for parent in mech.parents:
                try:
                    factor_space.index(parent)
                except ValueError as exc:
                    raise SCMError(f"transition mechanisms[{name!r}].parents: {exc}") from None
            try:
                probs = mech.table(factor_space, name)
            except MechanismError as exc:
                raise SCMError(f"transition mechanisms[{name!r}]: {exc}") from None
            parents = tuple(factor_space.index(p) for p in mech.parents)
            self._nodes.append(_Node(factor_space.index(name), factor_space, parents, probs, isinstance(mech, Uniform)))

    @classmethod
    def random_walk(cls, factor_space: FactorSpace, scale: float = 0.1, **kwargs: Any) -> Transition:
        """Every numeric factor does a Gaussian random walk of ``scale`` (unit space) around its value."""
        mechs = {f.name: AdditiveNoise({f.name: 1.0}, scale=scale, space="unit") for f in factor_space if f.size > 1}
        return cls(factor_space, mechs, **kwargs)

    def step(self, codes: np.ndarray, u: np.ndarray) -> np.ndarray:
        """Codes at t+1 (n, F) from codes at t and noise ``u`` (n, F)."""
        out = np.empty_like(codes)
        for node in self._nodes:
            out[:, node.pos] = node.invert(codes, u[:, node.pos])
        return out


class SequenceSampler(Sampler):
    """Sequences of ``length`` steps as a sampler (a row is a whole sequence); see :func:`sequences`.

    Parameters
    ----------
    transition : Transition
        Each factor's mechanism over the previous step's codes.
    length : int
        Steps per sequence (≥ 2).
    p : float, optional
        Probability that a changeable factor is an intervention target at a step (default 1/(F+1)).

    Raises
    ------
    SCMError
        ``transition`` is not a Transition, ``length`` is below 2, or ``p`` is outside [0, 1].
    InvalidValueError
        ``length`` is not a positive integer.

    Examples
    --------
    >>> import gtdata
    >>> from gtdata.causal import SequenceSampler, Transition
    >>> data = gtdata.load("toy")
    >>> sampler = SequenceSampler(Transition.random_walk(data.factor_space), length=4)
    >>> sampler
    SequenceSampler(length=4, p=0.2)
    >>> sampler.sample(data, 2, rng=0).x.shape
    (2, 4, 64, 64, 1)
    """

    name = "sequences"
    salt = SALTS["sequences"]

    def __init__(self, transition: Transition, length: int = 2, p: float | None = None):
        if not isinstance(transition, Transition):
            raise SCMError(f"transition must be a gtdata.causal.Transition, got {type(transition).__name__}")
        self.transition = transition
        self.length = check_count(length, "length")
        if self.length < 2:
            raise SCMError(f"length must be at least 2 steps, got {length}")
        f = transition.factor_space.num_factors
        self.p = 1.0 / (f + 1) if p is None else float(p)
        if not 0.0 <= self.p <= 1.0:
            raise SCMError(
                f"p (the probability that a factor is an intervention target per step) must be in [0, 1], got {p!r}"
            )
        self.images_per_row = self.length

    def options(self) -> dict[str, Any]:
        return {"length": self.length, "p": self.p}

    def check(self, data: GroundTruthData) -> None:
        if self.transition.factor_space != data.factor_space:
            raise SCMError(f"the transition's factors are not {data.name}'s {list(data.factor_space.names)}")
        if data.grid_points is not None:
            raise SCMError(
                f"sequences need the whole grid of {data.name}, which has the split "
                f"{data.split_description}; draw sequences from the unsplit data set"
            )

    def draw_block(self, data: GroundTruthData, gen: np.random.Generator, size: int) -> tuple:
        sizes = data.factor_space.sizes
        t_len, f = self.length, sizes.size
        codes = np.empty((size, t_len, f), dtype=np.int64)
        init = self.transition.initial
        codes[:, 0] = init.sample_codes(size, gen) if init is not None else data.sample_codes(size, gen)
        intervened = np.zeros((size, t_len - 1, f), dtype=bool)
        for t in range(t_len - 1):
            u = np.minimum(gen.random((size, f)), 1.0 - 2.0**-40)
            targets = (gen.random((size, f)) < self.p) & (sizes > 1)
            fresh = np.minimum((gen.random((size, f)) * sizes).astype(np.int64), sizes - 1)
            codes[:, t + 1] = np.where(targets, fresh, self.transition.step(codes[:, t], u))
            intervened[:, t] = targets
        return codes, intervened, data.draw_nuisance(size, gen)

    def assemble(self, data: GroundTruthData, drawn: tuple, dtype: np.dtype) -> SequenceBatch:
        codes, intervened, nu = drawn
        n, t_len, f = codes.shape
        if nu is not None:
            nu = {k: np.repeat(v, t_len, axis=0) for k, v in nu.items()}
        x = data.render(codes.reshape(n * t_len, f), nu, dtype)
        return SequenceBatch(x.reshape(n, t_len, *x.shape[1:]), codes, intervened)


def sequences(
    data: GroundTruthData,
    transition: Transition,
    length: int,
    n: int,
    *,
    p: float | None = None,
    rng: RNGLike = None,
    start: int = 0,
    dtype: Any = np.float32,
) -> SequenceBatch:
    """``n`` sequences of ``length`` steps under ``transition`` with random intervention targets, recorded.

    Parameters
    ----------
    data : GroundTruthData
        The data set (whole grid).
    transition : Transition
        Each factor's mechanism over the previous step's codes.
    length : int
        Steps per sequence (≥ 2).
    n : int
        Number of sequences.
    p : float, optional
        Probability that a changeable factor is an intervention target at a step (default 1/(F+1)).
    rng : int, Generator or RandomState
        Seed; sequence i depends only on ``(seed, start + i)``.
    start : int
        First sequence of the stream.
    dtype : float32, float64 or uint8
        Image dtype.

    Returns
    -------
    SequenceBatch
        ``x`` (n, T, H, W, C), ``codes`` (n, T, F), ``intervened`` (n, T−1, F): row t drives step t → t+1.

    Examples
    --------
    >>> import gtdata
    >>> from gtdata.causal import Transition, sequences
    >>> data = gtdata.load("toy")
    >>> seq = sequences(data, Transition.random_walk(data.factor_space), length=5, n=3, rng=0)
    >>> seq.x.shape, seq.intervened.shape
    ((3, 5, 64, 64, 1), (3, 4, 4))
    """
    check_dtype(dtype)
    return SequenceSampler(transition, length, p).sample(data, n, rng, start=start, dtype=dtype)
