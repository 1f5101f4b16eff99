"""Structural causal models over a data set's factors: exact probabilities, sampling, interventions.

An :class:`SCM` is a DAG over the factors of a :class:`~gtdata.FactorSpace`. Every factor is a node; factors
without a declared mechanism are uniform roots. On the grid each mechanism compiles to an exact conditional
probability table (see :mod:`gtdata.causal.mechanisms`), so :meth:`SCM.log_prob` is exact and
:meth:`SCM.sample_codes` matches it.

Sampling is ancestral by inverse CDF with one exogenous uniform ``u`` per node and row: a node's code is the
smallest code whose conditional CDF (given its parents' codes) exceeds ``u``. The noise is explicit
(:meth:`SCM.noise`, :meth:`SCM.codes_from_noise`), which is what counterfactuals need: keep ``u``, intervene,
recompute the descendants.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from gtdata.core.factors import Code, FactorSpace, FactorSpecError, check_count
from gtdata.core.kinds import register_kind
from gtdata.core.rng import RNGLike, as_rng

from .mechanisms import (
    MAX_TABLE,
    AdditiveNoise,
    Fixed,
    Mechanism,
    MechanismError,
    SCMError,
    TruncatedNormal,
    Uniform,
    mechanism_from_dict,
)

__all__ = ["KIND", "SCM", "SCMError", "as_scm", "load_scm"]

#: The ``kind:`` of an SCM file.
KIND = "scm"

# u is clipped below 1 so that ``row + u`` never rounds up into the next row of the flattened CDF table.
_U_MAX = 1.0 - 2.0**-40


class _Node:
    """One node compiled on the grid: parent positions, their mixed-radix strides, the CDF and log tables.

    Inversion uses a guide table (Devroye's indexed search): for each row and each of ``G`` equal buckets of
    [0, 1), the first code whose CDF can exceed a ``u`` in that bucket; a short vectorised forward scan
    finishes. It returns exactly the smallest code with ``CDF > u`` and is several times faster than a binary
    search over a million rows.
    """

    __slots__ = ("pos", "size", "parents", "strides", "cdf", "guide", "buckets", "log_table", "uniform_root")

    def __init__(self, pos: int, space: FactorSpace, parents: tuple[int, ...], probs: np.ndarray, uniform: bool):
        self.pos, self.size = pos, int(space.sizes[pos])
        self.parents = np.array(parents, dtype=np.int64)
        sizes = space.sizes[self.parents] if parents else np.zeros(0, dtype=np.int64)
        strides = np.ones(len(parents), dtype=np.int64)
        if len(parents) > 1:
            strides[:-1] = np.cumprod(sizes[::-1])[::-1][1:]
        self.strides = strides
        cdf = np.cumsum(probs, axis=1)
        cdf[:, -1] = np.inf  # u < 1 always stops at the last code at the latest, whatever the rounding
        self.cdf = cdf.ravel()
        self.buckets = 2 * self.size
        edges = np.arange(self.buckets) / self.buckets
        self.guide = np.stack([np.searchsorted(row, edges, side="right") for row in cdf]).ravel().astype(np.int64)
        with np.errstate(divide="ignore"):
            self.log_table = np.log(probs)
        self.uniform_root = uniform

    def row(self, codes: np.ndarray) -> np.ndarray:
        if self.parents.size == 0:
            return np.zeros(codes.shape[0], dtype=np.int64)
        r = codes[:, self.parents[0]] * self.strides[0]
        for p, stride in zip(self.parents[1:], self.strides[1:]):
            r = r + codes[:, p] * stride
        return r

    def invert(self, codes: np.ndarray, u: np.ndarray) -> np.ndarray:
        if self.uniform_root:
            return np.minimum((u * self.size).astype(np.int64), self.size - 1)
        base = self.row(codes) * self.size
        code = self.guide[(base // self.size) * self.buckets + (u * self.buckets).astype(np.int64)]
        active = np.flatnonzero(self.cdf[base + code] <= u)
        while active.size:
            code[active] += 1
            active = active[self.cdf[base[active] + code[active]] <= u[active]]
        return code


class SCM:
    """A structural causal model over the factors of a data set.

    Parameters
    ----------
    factor_space : FactorSpace
        The factors (``data.factor_space``); every factor is a node.
    mechanisms : mapping of factor name to Mechanism, optional
        The mechanism of each node that is not a uniform root (see :mod:`gtdata.causal.mechanisms`).
    name : str, optional
        A label for records and reports.

    Raises
    ------
    SCMError
        Unknown factors (closest name suggested), parents that are not factors, a cycle (named), tables
        that cannot be normalised.

    Examples
    --------
    >>> import gtdata
    >>> from gtdata.causal import SCM, AdditiveNoise
    >>> data = gtdata.load("toy")
    >>> scm = SCM(data.factor_space, {"factor1": AdditiveNoise({"factor0": 2.0}, scale=0.2)})
    >>> scm.parents("factor1")
    ('factor0',)
    >>> codes = scm.sample_codes(5, rng=0)
    >>> bool(np.isfinite(scm.log_prob(codes)).all())
    True
    """

    def __init__(
        self, factor_space: FactorSpace, mechanisms: Mapping[str, Mechanism] | None = None, *, name: str = "scm"
    ):
        if not isinstance(factor_space, FactorSpace):
            raise SCMError(f"factor_space must be a FactorSpace (data.factor_space), got {type(factor_space).__name__}")
        self.factor_space = factor_space
        self.name = str(name)
        mechanisms = dict(mechanisms or {})
        for node, mech in mechanisms.items():
            self._position(node, "mechanisms")
            if not isinstance(mech, Mechanism):
                raise SCMError(
                    f"mechanisms[{node!r}] must be a Mechanism (Uniform, Table, AdditiveNoise, ...), "
                    f"got {type(mech).__name__}"
                )
            for parent in mech.parents:
                self._position(parent, f"mechanisms[{node!r}].parents")
                if parent == node:
                    raise SCMError(f"mechanisms[{node!r}]: a node cannot be its own parent")
        self.mechanisms: dict[str, Mechanism] = {n: mechanisms.get(n, Uniform()) for n in factor_space.names}
        self.order: tuple[str, ...] = self._topological_order()
        self._nodes = [self._compile(n) for n in self.order]

    # -- structure ---------------------------------------------------------------------------------------
    def _position(self, name: str, where: str) -> int:
        try:
            return self.factor_space.index(name)
        except ValueError as exc:
            raise SCMError(f"{where}: {exc}") from None

    def _topological_order(self) -> tuple[str, ...]:
        names = self.factor_space.names
        state: dict[str, int] = {}
        order: list[str] = []

        def visit(node: str, path: list[str]) -> None:
            if state.get(node) == 2:
                return
            if state.get(node) == 1:
                cycle = path[path.index(node) :] + [node]
                raise SCMError(f"the graph has a cycle: {' -> '.join(cycle)}; an SCM must be a DAG")
            state[node] = 1
            for parent in self.mechanisms[node].parents:
                visit(parent, path + [node])
            state[node] = 2
            order.append(node)

        for node in names:  # factor order among independent nodes: a stable, documented topological order
            visit(node, [])
        return tuple(order)

    def _compile(self, node: str) -> _Node:
        mech = self.mechanisms[node]
        rows = int(np.prod([self.factor_space[p].size for p in mech.parents], dtype=np.int64))
        if rows * self.factor_space[node].size > MAX_TABLE:
            raise SCMError(
                f"{node}: its table over parents {list(mech.parents)} would have "
                f"{rows * self.factor_space[node].size:,} entries (more than {MAX_TABLE:,}); "
                f"use fewer parents"
            )
        try:
            probs = mech.table(self.factor_space, node)
        except MechanismError as exc:
            raise SCMError(f"mechanisms.{exc}") from None
        parents = tuple(self.factor_space.index(p) for p in mech.parents)
        return _Node(self.factor_space.index(node), self.factor_space, parents, probs, isinstance(mech, Uniform))

    def parents(self, node: str) -> tuple[str, ...]:
        """The parents of ``node``, in the mechanism's order."""
        self._position(node, "parents")
        return self.mechanisms[node].parents

    def children(self, node: str) -> tuple[str, ...]:
        """The nodes that have ``node`` as a parent, in factor order."""
        self._position(node, "children")
        return tuple(n for n in self.factor_space.names if node in self.mechanisms[n].parents)

    def descendants(self, nodes: str | list[str]) -> tuple[str, ...]:
        """Every node reachable from ``nodes`` along the edges (the nodes themselves excluded), in factor order."""
        todo = [nodes] if isinstance(nodes, str) else list(nodes)
        for n in todo:
            self._position(n, "descendants")
        seen: set[str] = set()
        while todo:
            for child in self.children(todo.pop()):
                if child not in seen:
                    seen.add(child)
                    todo.append(child)
        start = {nodes} if isinstance(nodes, str) else set(nodes)
        return tuple(n for n in self.factor_space.names if n in seen and n not in start)

    @property
    def edges(self) -> list[tuple[str, str]]:
        """``(parent, child)`` pairs."""
        return [(p, n) for n in self.factor_space.names for p in self.mechanisms[n].parents]

    def __repr__(self) -> str:
        edges = ", ".join(f"{p}->{c}" for p, c in self.edges) or "no edges"
        return f"SCM({self.name!r}, {self.factor_space.num_factors} nodes, {edges})"

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, SCM) and other.factor_space == self.factor_space and other.mechanisms == self.mechanisms
        )

    __hash__ = None  # type: ignore[assignment]

    # -- probabilities and sampling ------------------------------------------------------------------------
    def log_prob(self, codes: Any) -> np.ndarray:
        """Natural-log probability (N,) of grid codes (N, F); ``-inf`` outside the support."""
        codes = self.factor_space.validate_codes(codes)
        out = np.zeros(codes.shape[0])
        for node in self._nodes:
            out += node.log_table[node.row(codes), codes[:, node.pos]]
        return out

    def prob_table(self) -> np.ndarray:
        """The joint probability of every grid point (``factor_space.size``,), in flat-index order."""
        out = np.empty(self.factor_space.size)
        chunk = 1 << 20
        for start in range(0, out.size, chunk):
            idx = np.arange(start, min(start + chunk, out.size), dtype=np.int64)
            out[idx] = np.exp(self.log_prob(self.factor_space.index_to_codes(idx)))
        return out

    def noise(self, n: int, rng: RNGLike = None) -> np.ndarray:
        """Exogenous noise (n, F): one uniform in [0, 1) per row and node, in factor order."""
        n = check_count(n)
        gen = as_rng(rng)
        u = (
            gen.random_sample((n, self.factor_space.num_factors))
            if isinstance(gen, np.random.RandomState)
            else gen.random((n, self.factor_space.num_factors))
        )
        return np.minimum(u, _U_MAX)

    def codes_from_noise(self, u: np.ndarray, fixed: np.ndarray | None = None) -> np.ndarray:
        """Codes (n, F) of noise ``u`` (n, F), ancestrally in topological order.

        ``fixed`` (n, F) int64, optional: where ``fixed >= 0`` that code replaces the node's mechanism in that
        row (an intervention) and its descendants are recomputed from it and the same noise; ``-1`` elsewhere.
        """
        codes = np.empty(u.shape, dtype=np.int64)
        for node in self._nodes:
            drawn = node.invert(codes, u[:, node.pos])
            if fixed is not None:
                drawn = np.where(fixed[:, node.pos] >= 0, fixed[:, node.pos], drawn)
            codes[:, node.pos] = drawn
        return codes

    def sample_codes(self, n: int, rng: RNGLike = None) -> np.ndarray:
        """``n`` codes (n, F) int64 drawn from the SCM (ancestral sampling of :meth:`noise`)."""
        return self.codes_from_noise(self.noise(n, rng))

    def values_from_noise(self, u: np.ndarray) -> dict[str, np.ndarray]:
        """Actual values of noise ``u`` (n, F), with continuous factors kept continuous.

        A continuous factor (``Factor.is_continuous``, as rendered sets declare them) whose mechanism is
        ``uniform``, ``truncated_normal`` or ``additive_noise`` takes any value in [low, high]: uniform, the
        truncated normal's inverse CDF, or ``f(parents' values) + noise`` clipped to the range. Every other
        node is drawn on the grid as in :meth:`codes_from_noise` (its parents snapped to their nearest grid
        value). So a rendered set's continuous factors follow the SCM off the grid.
        """
        space = self.factor_space
        codes = np.empty(u.shape, dtype=np.int64)
        values: dict[str, np.ndarray] = {}
        for node in self._nodes:
            name = space.names[node.pos]
            factor, mech = space[name], self.mechanisms[name]
            if factor.is_continuous and hasattr(mech, "continuous"):
                x = mech.continuous(space, name, values, u[:, node.pos])
                values[name] = x
                codes[:, node.pos] = np.argmin(np.abs(x[:, None] - factor.values[None, :]), axis=1)
            else:
                codes[:, node.pos] = node.invert(codes, u[:, node.pos])
                values[name] = factor.values[codes[:, node.pos]]
        return {name: values[name] for name in space.names}

    def sample_values(self, n: int, rng: RNGLike = None) -> dict[str, np.ndarray]:
        """``n`` draws as actual values, continuous factors off the grid (see :meth:`values_from_noise`)."""
        return self.values_from_noise(self.noise(n, rng))

    # -- interventions -------------------------------------------------------------------------------------
    def code_of(self, node: str, value: Any) -> int:
        """The code of an actual ``value`` (or ``Code(i)``) of ``node``; off-grid values list the nearest."""
        factor = self.factor_space[self._position(node, "intervention")]
        if isinstance(value, Code):
            if not 0 <= value.code < factor.size:
                raise SCMError(f"do({node}=Code({value.code})): {node!r} has codes 0..{factor.size - 1}")
            return value.code
        try:
            return factor.code_of(value)
        except ValueError:
            if factor.is_categorical:
                raise SCMError(
                    f"do({node}={value!r}): {node!r} has no such value; allowed: {factor.values.tolist()}"
                ) from None
            try:
                number = float(value)
            except (TypeError, ValueError):
                raise SCMError(f"do({node}={value!r}): {node!r} takes numbers") from None
            nearest = factor.values[np.argsort(np.abs(factor.values - number))[:3]]
            raise SCMError(
                f"do({node}={value!r}): {value!r} is not on {node!r}'s grid; nearest values: "
                f"{sorted(nearest.tolist())} (or pass Code(i) for the i-th value)"
            ) from None

    def do(self, assignments: Mapping[str, Any]) -> SCM:
        """Hard interventions: each named node is set to an actual value (or ``Code(i)``); a new SCM.

        Examples
        --------
        >>> import gtdata
        >>> scm = SCM(gtdata.load("toy").factor_space)
        >>> scm.do({"factor0": 0.5}).sample_codes(3, rng=0)[:, 0].tolist()
        [1, 1, 1]
        """
        if not isinstance(assignments, Mapping) or not assignments:
            raise SCMError(f"do() takes a non-empty mapping factor name -> value, got {assignments!r}")
        mechanisms = dict(self.mechanisms)
        for node, value in assignments.items():
            mechanisms[node] = Fixed(self.code_of(node, value))
        return SCM(self.factor_space, mechanisms, name=f"do({self.name})")

    def intervene(self, replacements: Mapping[str, Mechanism]) -> SCM:
        """Soft interventions: replace the mechanisms of the named nodes (a new SCM)."""
        if not isinstance(replacements, Mapping) or not replacements:
            raise SCMError(f"intervene() takes a non-empty mapping factor name -> Mechanism, got {replacements!r}")
        for node in replacements:
            self._position(node, "intervene")
        return SCM(self.factor_space, {**self.mechanisms, **replacements}, name=f"soft({self.name})")

    def shift(self, shifts: Mapping[str, float]) -> SCM:
        """Soft interventions that shift additive-noise and truncated-normal mechanisms by a constant
        (in the mechanism's ``space``); a new SCM."""
        replacements: dict[str, Mechanism] = {}
        for node, delta in dict(shifts).items():
            mech = self.mechanisms[self.factor_space.names[self._position(node, "shift")]]
            if isinstance(mech, AdditiveNoise):
                d = mech.to_dict()
                d.pop("mechanism")
                d["bias"] = mech.bias + float(delta)
                replacements[node] = AdditiveNoise(**d)
            elif isinstance(mech, TruncatedNormal):
                replacements[node] = TruncatedNormal(mech.mean + float(delta), mech.std, mech.space)
            else:
                raise SCMError(
                    f"shift({node}): only additive_noise and truncated_normal mechanisms can be shifted; "
                    f"{node!r} has a {mech.kind} mechanism (replace it with intervene() instead)"
                )
        return self.intervene(replacements)

    # -- persistence ---------------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """The YAML form (``kind: scm``, the factors in gtdata's factor dialect, the non-uniform nodes)."""
        return {
            "kind": KIND,
            "name": self.name,
            "factors": self.factor_space.to_dict(),
            "nodes": {n: m.to_dict() for n, m in self.mechanisms.items() if not isinstance(m, Uniform)},
        }

    @classmethod
    def from_dict(cls, spec: Mapping[str, Any], factor_space: FactorSpace | None = None, source: str = "scm") -> SCM:
        """An SCM from its YAML form; ``factor_space`` is needed when the spec names no ``factors``."""
        if not isinstance(spec, Mapping):
            raise SCMError(f"{source}: an SCM spec must be a mapping, got {type(spec).__name__}")
        allowed = {"kind", "name", "data", "factors", "nodes", "description"}
        unknown = sorted(set(spec) - allowed)
        if unknown:
            raise SCMError(f"{source}: unknown key(s) {unknown}; allowed: {sorted(allowed)}")
        if spec.get("kind", KIND) != KIND:
            raise SCMError(f"{source}: kind must be {KIND!r}, got {spec.get('kind')!r}")
        if "factors" in spec:
            try:
                space = FactorSpace.from_dict(spec["factors"])
            except FactorSpecError as exc:  # names the entry and field: factors[1].values
                raise SCMError(f"{source}: {exc}") from None
            except ValueError as exc:  # the space itself (e.g. no factors)
                raise SCMError(f"{source}: factors: {exc}") from None
            if factor_space is not None and space != factor_space:
                raise SCMError(
                    f"{source}: its factors {list(space.names)} differ from the data set's {list(factor_space.names)}"
                )
        elif factor_space is not None:
            space = factor_space
        else:
            named = (
                f" (it names data set {spec['data']!r}: pass gtdata.load({spec['data']!r}).factor_space)"
                if "data" in spec
                else ""
            )
            raise SCMError(f"{source}: the spec has no 'factors'; pass the data set's factor_space{named}")
        nodes = spec.get("nodes") or {}
        if not isinstance(nodes, Mapping):
            raise SCMError(f"{source}: nodes must map factor names to mechanisms, got {type(nodes).__name__}")
        mechanisms = {}
        for node, entry in nodes.items():
            try:
                mechanisms[node] = mechanism_from_dict(entry, f"{source}: nodes.{node}")
            except MechanismError as exc:
                raise SCMError(str(exc)) from None
        try:
            return cls(space, mechanisms, name=spec.get("name", "scm"))
        except SCMError as exc:
            raise SCMError(f"{source}: {exc}") from None


def load_scm(path: str | Path, factor_space: FactorSpace | None = None) -> SCM:
    """Read an SCM from a YAML file (``kind: scm``); errors name the file (and line, for YAML syntax).

    Parameters
    ----------
    path : str or Path
        The YAML file: ``kind: scm``, optional ``name``, ``factors`` (gtdata's factor dialect) or ``data`` (a
        data set name, for the reader), and ``nodes`` (factor → ``{mechanism: KIND, ...options}``).
    factor_space : FactorSpace, optional
        The data set's factors; needed when the file has no ``factors``, and checked against them if it has.

    Returns
    -------
    SCM

    Raises
    ------
    SCMError
        The file cannot be read, is not valid YAML (line and column named), has unknown keys or another
        ``kind``, has no ``factors`` and no ``factor_space`` is given, has factors that differ from
        ``factor_space``, or names an unknown factor, mechanism or option (the message names the file and node).

    Examples
    --------
    An SCM file over the toy set's factors, ``factor1 = 4 * factor0 + noise``:

    >>> import gtdata
    >>> from gtdata.causal import SCMError, load_scm
    >>> text = '''
    ... kind: scm
    ... name: chain
    ... nodes:
    ...   factor1: {mechanism: additive_noise, parents: {factor0: 4.0}, scale: 0.1}
    ... '''
    >>> with open("chain.yaml", "w") as f:
    ...     _ = f.write(text)
    >>> load_scm("chain.yaml", gtdata.load("toy").factor_space)
    SCM('chain', 4 nodes, factor0->factor1)
    >>> try:
    ...     load_scm("chain.yaml")
    ... except SCMError as exc:
    ...     print(exc)
    chain.yaml: the spec has no 'factors'; pass the data set's factor_space
    """
    import yaml

    path = Path(path)
    try:
        text = path.read_text()
    except OSError as exc:
        raise SCMError(f"cannot read SCM file {path}: {exc.strerror}") from None
    try:
        spec = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise SCMError(f"{path}: not valid YAML{where}: {getattr(exc, 'problem', exc)}") from None
    return SCM.from_dict(spec, factor_space, source=str(path))


def _load_scm_kind(path: Path, content: Any, factor_space: FactorSpace | None = None) -> SCM:
    """The loader of ``kind: scm`` files (see :mod:`gtdata.core.kinds`)."""
    return load_scm(path, factor_space)


register_kind(KIND, summary="a structural causal model", load=_load_scm_kind, is_data=False)


def as_scm(spec: Any, factor_space: FactorSpace | None = None) -> SCM:
    """An SCM from any of the forms configs and study specs use.

    ``spec`` is an :class:`SCM`; a path to a YAML file (``kind: scm``); an SCM mapping (``kind: scm`` /
    ``nodes``, as :meth:`SCM.to_dict` writes); or ``{"correlated": {pairs, sigma, method, anti, fixed}}`` for
    :func:`gtdata.causal.correlated` (``fixed``: ``{factor: value}`` held by a hard intervention, e.g. to
    study a pair on one object). ``factor_space`` supplies the factors when the spec has none.

    Parameters
    ----------
    spec : SCM, str, Path or mapping
        The distribution in one of the forms above.
    factor_space : FactorSpace, optional
        The data set's factors (``data.factor_space``): needed for ``correlated`` and for files or mappings
        without ``factors``; an SCM or a spec that has factors is checked against it.

    Returns
    -------
    SCM
        ``spec`` itself when it is an SCM, else a new one.

    Raises
    ------
    SCMError
        ``spec`` is none of these forms, its factors differ from ``factor_space``, a ``correlated`` mapping
        lacks ``pairs`` or ``sigma``, has unknown keys or no ``factor_space``, or the file or mapping is
        invalid (see :func:`load_scm`, :func:`correlated`).

    Examples
    --------
    >>> import gtdata
    >>> from gtdata.causal import as_scm
    >>> space = gtdata.load("dsprites_like").factor_space
    >>> scm = as_scm({"correlated": {"pairs": [["orientation", "posX"]], "sigma": 0.2}}, space)
    >>> scm
    SCM('correlated(gaussian, orientation~posX 0.2)', 5 nodes, orientation->posX)
    >>> as_scm(scm.to_dict()) == scm   # the mapping form, as in a study spec
    True
    >>> as_scm(scm, space) is scm
    True
    """
    if isinstance(spec, SCM):
        if factor_space is not None and spec.factor_space != factor_space:
            raise SCMError(
                f"the SCM's factors {list(spec.factor_space.names)} are not the data set's {list(factor_space.names)}"
            )
        return spec
    if isinstance(spec, (str, Path)):
        return load_scm(spec, factor_space)
    if isinstance(spec, Mapping) and set(spec) == {"correlated"}:
        from .correlated import correlated

        options = spec["correlated"]
        if factor_space is None or not isinstance(options, Mapping) or "pairs" not in options or "sigma" not in options:
            raise SCMError(
                f"a correlated distribution needs the data set's factors and a mapping with 'pairs' and "
                f"'sigma' (and optionally 'method', 'anti'), got {spec!r}"
            )
        unknown = sorted(set(options) - {"pairs", "sigma", "method", "anti", "name", "fixed"})
        if unknown:
            raise SCMError(f"correlated: unknown key(s) {unknown}; allowed: pairs, sigma, method, anti, name, fixed")
        pairs = options["pairs"]
        pairs = [tuple(p) for p in pairs] if pairs and isinstance(pairs[0], (list, tuple)) else tuple(pairs)
        sigma = options["sigma"]
        sigma = [float(v) for v in sigma] if isinstance(sigma, (list, tuple)) else float(sigma)
        scm = correlated(
            factor_space,
            pairs,
            sigma,
            method=options.get("method", "gaussian"),
            anti=options.get("anti", False),
            name=options.get("name"),
        )
        # ``fixed``: factors held at one value (do), e.g. to study a pair on one object
        return scm.do(options["fixed"]) if options.get("fixed") else scm
    if isinstance(spec, Mapping):
        return SCM.from_dict(spec, factor_space)
    raise SCMError(
        f"a distribution must be an SCM, a path to an SCM file, an SCM mapping or "
        f"{{'correlated': {{...}}}}, got {type(spec).__name__}"
    )
