"""The numpydoc sections every public name needs, and a report of those that lack them.

Rules (issue 13): a public class or function has a summary line and an Examples section; Parameters when it takes
parameters; Returns when it is a function whose return annotation is not ``None``; Raises when its own body (a
class: its ``__init__``) raises on purpose. An exception class needs only its summary and description (its
constructor is the message). Constants and modules need only their package's description. The Examples run as
doctests (``test_docstrings.py``).

Run ``python tests/docs/docstring_rules.py [PREFIX]`` to list what is missing, e.g. ``gtdata.metrics``.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "docs" / "_ext"))
import gtdata_docs  # noqa: E402  (the site's own list of public packages and names)

SECTIONS = ("Parameters", "Returns", "Raises", "Examples")


def public_objects() -> dict[str, object]:
    """Each public class and function once, under the first public name that exports it."""
    seen: dict[int, str] = {}
    out: dict[str, object] = {}
    for package in gtdata_docs.public_packages():
        module = importlib.import_module(package)
        for name in gtdata_docs.public_names(package):
            obj = getattr(module, name)
            if inspect.ismodule(obj) or not (inspect.isclass(obj) or inspect.isroutine(obj)):
                continue
            if id(obj) in seen:
                continue
            seen[id(obj)] = f"{package}.{name}"
            out[f"{package}.{name}"] = obj
    return out


def parameters(obj: object) -> list[str]:
    """The parameters of ``obj``'s signature a docstring must name (not ``self``/``cls``, ``*args``, ``**kwargs``)."""
    try:
        sig = inspect.signature(obj)
    except (TypeError, ValueError):
        return []
    skip = (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
    return [n for n, p in sig.parameters.items() if p.kind not in skip and n not in ("self", "cls")]


def _returns_something(func: object) -> bool:
    try:
        annotation = inspect.signature(func).return_annotation
    except (TypeError, ValueError):
        return True
    return annotation not in (None, "None", type(None))


def _raises(func: object) -> bool:
    """Whether the body of ``func`` itself holds a ``raise`` with an exception (not a bare re-raise)."""
    try:
        source = textwrap.dedent(inspect.getsource(func))
    except (OSError, TypeError):
        return False
    tree = ast.parse(source)
    body = tree.body[0] if tree.body else None
    nodes = [n for n in ast.walk(body) if isinstance(n, ast.Raise) and n.exc is not None] if body else []
    return bool(nodes)


def docstring(obj: object) -> str:
    """``obj``'s docstring; for a class, followed by its ``__init__``'s."""
    doc = inspect.getdoc(obj) or ""
    if inspect.isclass(obj) and obj.__init__ is not object.__init__ and obj.__init__.__doc__:
        doc += "\n" + (inspect.getdoc(obj.__init__) or "")
    return doc


def _has_section(doc: str, section: str) -> bool:
    lines = doc.splitlines()
    return any(
        line.strip() == section and i + 1 < len(lines) and set(lines[i + 1].strip()) == {"-"}
        for i, line in enumerate(lines)
    )


def required_sections(obj: object) -> list[str]:
    """The sections ``obj``'s docstring must have."""
    if inspect.isclass(obj) and issubclass(obj, BaseException):
        return []
    need = []
    if parameters(obj):
        need.append("Parameters")
    if inspect.isroutine(obj) and _returns_something(obj):
        need.append("Returns")
    init = obj.__init__ if inspect.isclass(obj) and "__init__" in vars(obj) else obj
    if inspect.isroutine(init) and _raises(init):
        need.append("Raises")
    need.append("Examples")
    return need


def missing_sections(prefix: str = "gtdata") -> dict[str, list[str]]:
    """Public name -> the required sections its docstring lacks (only names starting with ``prefix``)."""
    missing = {}
    for full, obj in public_objects().items():
        if not (full == prefix or full.startswith(prefix + ".") or full.startswith(prefix)):
            continue
        doc = docstring(obj)
        absent = [s for s in required_sections(obj) if not _has_section(doc, s)]
        if absent:
            missing[full] = absent
    return missing


if __name__ == "__main__":
    found = missing_sections(sys.argv[1] if len(sys.argv) > 1 else "gtdata")
    for name, sections in sorted(found.items()):
        module = getattr(public_objects()[name], "__module__", "?")
        print(f"{name}  ({module}): {', '.join(sections)}")
    print(f"{len(found)} public names lack sections")
