"""Split expressions: a safe predicate language over factor values.

``shape == "heart" and posX > 0.5`` selects grid points by the factors' *actual* values. The same string
works in Python, on the command line, in render specs and in study files. It is parsed with :mod:`ast`
and interpreted over whitelisted nodes only — never ``eval``-ed.

Grammar: comparisons (``== != < <= > >=``, chained like ``0.2 < posX <= 0.8``), ``in`` / ``not in`` a
list or tuple of literals, ``and``, ``or``, ``not``, parentheses; operands are factor names, numbers,
strings, ``True``/``False`` and ``pi`` (so ``orientation < pi`` works for angles).
"""

from __future__ import annotations

import ast
import math
import operator
from collections.abc import Callable
from typing import Any

import numpy as np

from .errors import GtdataError
from .factors import FactorSpace

_COMPARE: dict[type, Callable[[Any, Any], Any]] = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
}
_CONSTANTS = {"pi": math.pi}


class SplitError(GtdataError, ValueError):
    """A split expression that does not parse or refers to unknown factors."""


def parse_split(expr: str, space: FactorSpace) -> Callable[[np.ndarray], np.ndarray]:
    """Compile ``expr`` into a function from codes (N, F) to a boolean mask (N,).

    Raises :class:`SplitError` naming the problem (syntax, unknown factor, type mismatch).
    """
    if not isinstance(expr, str) or not expr.strip():
        raise SplitError(f"split expression must be a non-empty string, got {expr!r}")
    try:
        tree = ast.parse(expr.strip(), mode="eval")
    except SyntaxError as exc:
        raise SplitError(f"split expression {expr!r} is not valid: {exc.msg} at column {exc.offset}") from None
    node = _compile(tree.body, space, expr)

    def predicate(codes: np.ndarray) -> np.ndarray:
        result = node(codes)
        return np.broadcast_to(np.asarray(result, dtype=bool), (codes.shape[0],)).copy()

    return predicate


def split_mask(expr: str, space: FactorSpace) -> np.ndarray:
    """Boolean mask over the whole grid (``space.size``,), in flat-index order, computed in chunks."""
    predicate = parse_split(expr, space)
    mask = np.empty(space.size, dtype=bool)
    chunk = 1 << 20
    for start in range(0, space.size, chunk):
        idx = np.arange(start, min(start + chunk, space.size), dtype=np.int64)
        mask[start : start + idx.size] = predicate(space.index_to_codes(idx))
    return mask


def _compile(node: ast.AST, space: FactorSpace, expr: str) -> Callable[[np.ndarray], Any]:
    if isinstance(node, ast.BoolOp):
        parts = [_compile(v, space, expr) for v in node.values]
        combine = np.logical_and if isinstance(node.op, ast.And) else np.logical_or

        def boolop(codes):
            out = parts[0](codes)
            for p in parts[1:]:
                out = combine(out, p(codes))
            return out

        return boolop
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        inner = _compile(node.operand, space, expr)
        return lambda codes: np.logical_not(inner(codes))
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        value = _literal(node, expr)
        return lambda codes: value
    if isinstance(node, ast.Compare):
        return _compile_compare(node, space, expr)
    if isinstance(node, ast.Name):
        if node.id in _CONSTANTS:
            value = _CONSTANTS[node.id]
            return lambda codes: value
        if node.id in ("True", "False"):
            value = node.id == "True"
            return lambda codes: value
        pos = _factor_position(node.id, space, expr)
        values = space.factors[pos].values
        return lambda codes: values[codes[:, pos]]
    if isinstance(node, ast.Constant):
        value = _literal(node, expr)
        return lambda codes: value
    raise SplitError(
        f"split expression {expr!r}: {type(node).__name__} is not allowed "
        f"(use comparisons, in, and/or/not, factor names and literals)"
    )


def _factor_position(name: str, space: FactorSpace, expr: str) -> int:
    try:
        return space.index(name)
    except ValueError as exc:
        raise SplitError(f"split expression {expr!r}: {exc}") from None


def _literal(node: ast.AST, expr: str) -> Any:
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float, str, bool)):
        return node.value
    if (
        isinstance(node, ast.UnaryOp)
        and isinstance(node.op, ast.USub)
        and isinstance(node.operand, ast.Constant)
        and isinstance(node.operand.value, (int, float))
    ):
        return -node.operand.value
    if isinstance(node, ast.Name) and node.id in _CONSTANTS:
        return _CONSTANTS[node.id]
    raise SplitError(f"split expression {expr!r}: expected a number or string literal, got {ast.unparse(node)!r}")


def _compile_compare(node: ast.Compare, space: FactorSpace, expr: str) -> Callable[[np.ndarray], Any]:
    operands = [node.left, *node.comparators]
    terms = []
    for left, op, right in zip(operands, node.ops, operands[1:]):
        if isinstance(op, (ast.In, ast.NotIn)):
            if not isinstance(left, ast.Name) or left.id in _CONSTANTS:
                raise SplitError(f"split expression {expr!r}: the left side of 'in' must be a factor name")
            if not isinstance(right, (ast.List, ast.Tuple, ast.Set)):
                raise SplitError(
                    f"split expression {expr!r}: 'in' needs a list of literals, got {ast.unparse(right)!r}"
                )
            pos = _factor_position(left.id, space, expr)
            choices = [_literal(e, expr) for e in right.elts]
            _check_types(space, pos, choices, expr)
            values = space.factors[pos].values
            member = np.isin(values, np.array(choices, dtype=values.dtype))
            if isinstance(op, ast.NotIn):
                member = ~member
            terms.append(lambda codes, pos=pos, member=member: member[codes[:, pos]])
            continue
        if type(op) not in _COMPARE:
            raise SplitError(f"split expression {expr!r}: operator {type(op).__name__} is not allowed")
        for side, other in ((left, right), (right, left)):
            if isinstance(side, ast.Name) and side.id not in _CONSTANTS and side.id not in ("True", "False"):
                pos = _factor_position(side.id, space, expr)
                if isinstance(other, (ast.Constant, ast.UnaryOp)):
                    _check_types(space, pos, [_literal(other, expr)], expr)
                if space.factors[pos].is_categorical and type(op) not in (ast.Eq, ast.NotEq):
                    raise SplitError(
                        f"split expression {expr!r}: factor {side.id!r} is categorical; "
                        f"use == or != or in, not ordering"
                    )
        lhs, rhs, fn = _compile(left, space, expr), _compile(right, space, expr), _COMPARE[type(op)]
        terms.append(lambda codes, lhs=lhs, rhs=rhs, fn=fn: fn(lhs(codes), rhs(codes)))

    def compare(codes):
        out = terms[0](codes)
        for t in terms[1:]:
            out = np.logical_and(out, t(codes))
        return out

    return compare


def _check_types(space: FactorSpace, pos: int, literals: list, expr: str) -> None:
    factor = space.factors[pos]
    for lit in literals:
        if factor.is_categorical:
            if not isinstance(lit, str):
                raise SplitError(
                    f"split expression {expr!r}: factor {factor.name!r} is categorical "
                    f"{factor.values.tolist()}, compared with {lit!r}"
                )
            if lit not in factor.values:
                raise SplitError(
                    f"split expression {expr!r}: factor {factor.name!r} has no value {lit!r}; "
                    f"allowed: {factor.values.tolist()}"
                )
        elif isinstance(lit, str):
            raise SplitError(
                f"split expression {expr!r}: factor {factor.name!r} is numeric, compared with the string {lit!r}"
            )
