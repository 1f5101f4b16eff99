"""Reading YAML files that users write or that may be damaged, with errors that point into the file.

A syntax error names the file, the line and the column of the problem; a field of the wrong type names the
file, the field (``factors[1].values``) and where that field is written, so the user can open the file at
the right place. Lines and columns count from 1, as editors do.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from gtdata.core.errors import GtdataError

__all__ = ["YAMLFileError", "describe_yaml_error", "field_error", "field_location", "parse_yaml", "read_yaml"]

Key = str | int


class YAMLFileError(GtdataError, ValueError):
    """A YAML file is not valid YAML, or one of its fields has the wrong type or value.

    The message names the file, the line and column (and the field, for a field error) and what to fix.
    """


def describe_yaml_error(exc: yaml.YAMLError) -> str:
    """One line saying where and what: ``"line 4, column 1: expected ',' or '}', but got '<scalar>' (...)"``."""
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
        context = ""
        if exc.context and exc.context_mark is not None and exc.context_mark is not mark:
            context = (
                f" ({exc.context} that starts at line {exc.context_mark.line + 1}, "
                f"column {exc.context_mark.column + 1})"
            )
        return f"{where}{exc.problem or 'syntax error'}{context}"
    return " ".join(str(exc).split())


def parse_yaml(text: str, path: str | os.PathLike) -> Any:
    """Parse ``text`` (the content of ``path``) with ``yaml.safe_load``.

    Raises
    ------
    YAMLFileError
        On a syntax error, one line: ``"<path> is not valid YAML: line L, column C: <problem>; fix ..."``.
    """
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise YAMLFileError(f"{path} is not valid YAML: {describe_yaml_error(exc)}; fix the syntax there") from None


def read_yaml(path: str | os.PathLike) -> Any:
    """Read and parse the YAML file ``path`` (see :func:`parse_yaml`); an unreadable file is an OSError."""
    path = Path(path)
    return parse_yaml(path.read_text(encoding="utf-8"), path)


def field_location(text: str, keys: Sequence[Key]) -> tuple[int, int] | None:
    """(line, column), from 1, where the field ``keys`` (mapping keys and list indices) is written in ``text``.

    For a mapping key it is the key itself, for a list item the item. None when the YAML cannot be composed
    or the field is not there.

    Examples
    --------
    >>> field_location("a: 1\\nb:\\n  - x\\n  - y\\n", ["b", 1])
    (4, 5)
    """
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return None
    mark = None
    for key in keys:
        if isinstance(node, yaml.MappingNode) and isinstance(key, str):
            found = next(((k, v) for k, v in node.value if isinstance(k, yaml.ScalarNode) and k.value == key), None)
            if found is None:
                return None
            mark, node = found[0].start_mark, found[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and 0 <= key < len(node.value):
            node = node.value[key]
            mark = node.start_mark
        else:
            return None
    return None if mark is None else (mark.line + 1, mark.column + 1)


def field_name(keys: Sequence[Key]) -> str:
    """``["factors", 1, "values"]`` -> ``"factors[1].values"``."""
    out = ""
    for key in keys:
        out += f"[{key}]" if isinstance(key, int) else (f".{key}" if out else str(key))
    return out


def field_error(path: str | os.PathLike, text: str, keys: Sequence[Key], message: str) -> YAMLFileError:
    """A YAMLFileError ``"<path>, field '<keys>' (line L, column C): <message>"`` (position when found)."""
    location = field_location(text, keys)
    where = f" (line {location[0]}, column {location[1]})" if location else ""
    return YAMLFileError(f"{path}, field {field_name(keys)!r}{where}: {message}")
