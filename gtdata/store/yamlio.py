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

from gtdata.core.errors import GtdataError, MissingFileError

__all__ = [
    "YAMLFileError",
    "describe_yaml_error",
    "field_error",
    "field_location",
    "parse_yaml",
    "read_yaml",
    "read_yaml_mapping",
]

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


def parse_yaml(text: str, path: str | os.PathLike, *, what: str = "", error: type[GtdataError] = YAMLFileError) -> Any:
    """Parse ``text`` (the content of ``path``) with ``yaml.safe_load``.

    Parameters
    ----------
    text : str
        The file's content.
    path : str or os.PathLike
        The file, named in the error.
    what : str, optional
        What the file is (``"study spec"``), put before the path in the error.
    error : type, default YAMLFileError
        The GtdataError subclass raised (a caller's own, such as the study's ``StudySpecError``).

    Raises
    ------
    YAMLFileError
        On a syntax error (or ``error``), one line: ``"[<what> ]<path> is not valid YAML: line L, column C:
        <problem>; fix ..."``.
    """
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        where = f"{what} {path}" if what else str(path)
        raise error(f"{where} is not valid YAML: {describe_yaml_error(exc)}; fix the syntax there") from None


def read_yaml(path: str | os.PathLike) -> Any:
    """Read and parse the YAML file ``path`` (see :func:`parse_yaml`); an unreadable file is an OSError."""
    path = Path(path)
    return parse_yaml(path.read_text(encoding="utf-8"), path)


def read_yaml_mapping(
    path: str | os.PathLike, *, what: str, error: type[GtdataError] = YAMLFileError
) -> dict[str, Any]:
    """The top-level mapping of the YAML file ``path`` (a config, a study spec), with errors that say what is wrong.

    Parameters
    ----------
    path : str or os.PathLike
        The file.
    what : str
        What the file is (``"config"``, ``"study spec"``), named in every error.
    error : type, default YAMLFileError
        The GtdataError subclass raised for a file that is not valid YAML or holds no mapping (the caller's own:
        a config's ``InvalidValueError``, the study's ``StudySpecError``).

    Returns
    -------
    dict
        The mapping, as ``yaml.safe_load`` returns it.

    Raises
    ------
    MissingFileError
        ``"no <what> file at <path>"`` when ``path`` is not a file.
    YAMLFileError
        (or ``error``) ``"<what> <path> is not valid YAML: line L, column C: <problem>; ..."`` on a syntax error,
        ``"<what> <path> must be a YAML mapping of keys, got list"`` when the file holds anything else.

    Examples
    --------
    >>> from pathlib import Path
    >>> _ = Path("settings.yaml").write_text("steps: 10\\n")
    >>> read_yaml_mapping("settings.yaml", what="config")
    {'steps': 10}
    >>> _ = Path("settings.yaml").write_text("- 10\\n")
    >>> read_yaml_mapping("settings.yaml", what="config")
    Traceback (most recent call last):
    ...
    gtdata.store.yamlio.YAMLFileError: config settings.yaml must be a YAML mapping of keys, got list
    """
    path = Path(path)
    if not path.is_file():
        raise MissingFileError(f"no {what} file at {path}")
    values = parse_yaml(path.read_text(encoding="utf-8"), path, what=what, error=error)
    if not isinstance(values, dict):
        raise error(f"{what} {path} must be a YAML mapping of keys, got {type(values).__name__}")
    return values


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
