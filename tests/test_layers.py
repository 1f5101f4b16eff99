"""Layers point down: every import inside ``gtdata`` goes to its own layer or a lower one, and no subpackage
imports the ``gtdata`` facade.

The test reads the source with :mod:`ast` (imports at module level, inside functions and under
``TYPE_CHECKING`` alike, plus ``importlib.import_module("gtdata...")`` with a literal name), so a lazy import
that would only run on some code path is caught as well as one at the top of a file.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "gtdata"

# Lowest first. A module may import from its own layer or a lower one. The first dotted component below
# ``gtdata`` decides a module's layer; top-level modules are named by their file stem.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("core", "_version"),
    ("sampling", "causal", "splits"),
    ("store",),
    ("datasets", "render"),
    ("registry",),
    ("models",),
    # torchdata adapts GroundTruthData and the samplers to torch for the trainer; it sits with its users.
    ("training", "metrics", "torchdata"),
    ("study",),
    ("cli", "__main__"),
)
RANK = {name: rank for rank, names in enumerate(LAYERS) for name in names}

# Upward imports kept on purpose, as data: (importing module, imported module) → why.
EXCEPTIONS: dict[tuple[str, str], str] = {
    # Plug-ins: the registry imports its provider modules by name on first lookup (``_PROVIDERS``), and each
    # provider registers its sets, discoverers and path openers. The providers are many and the registry one,
    # so the names stay with the code that defines the sets; the registry never imports them at import time.
    ("gtdata.datasets.catalog", "gtdata.registry"): "benchmark sets register themselves (plug-in)",
    ("gtdata.render.builtin", "gtdata.registry"): "built-in rendered sets register themselves (plug-in)",
}

# Names a module may import from the facade because they are modules, not facade objects.
SUBMODULES = frozenset(RANK)


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _resolve(module: str, is_package: bool, level: int, target: str | None) -> str:
    """The absolute name of ``from <level dots><target> import ...`` written in ``module``."""
    if level == 0:
        return target or ""
    base = module.split(".")
    # In a package's __init__ one dot means the package itself; in a plain module it means its parent.
    drop = level - 1 if is_package else level
    base = base[: len(base) - drop] if drop else base
    return ".".join(base + ([target] if target else []))


def _layer(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] != "gtdata" or len(parts) < 2:
        return None
    return parts[1]


def _imports(path: Path) -> list[tuple[int, str, str]]:
    """(line, imported module, source text) for every gtdata import in the file at ``path``."""
    module = _module_name(path)
    is_package = path.name == "__init__.py"
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == "gtdata" or alias.name.startswith("gtdata."):
                    found.append((node.lineno, alias.name, f"import {alias.name}"))
        elif isinstance(node, ast.ImportFrom):
            source = _resolve(module, is_package, node.level, node.module)
            if source != "gtdata" and not source.startswith("gtdata."):
                continue
            text = f"from {'.' * node.level}{node.module or ''} import {', '.join(a.name for a in node.names)}"
            if source == "gtdata":
                # `from gtdata import registry` names a module; `from gtdata import load` names a facade object.
                for alias in node.names:
                    target = f"gtdata.{alias.name}" if alias.name in SUBMODULES else "gtdata"
                    found.append((node.lineno, target, text))
            else:
                found.append((node.lineno, source, text))
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, (ast.Attribute, ast.Name))
            and (node.func.attr if isinstance(node.func, ast.Attribute) else node.func.id) == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
            and node.args[0].value.split(".")[0] == "gtdata"
        ):
            found.append((node.lineno, node.args[0].value, f"import_module({node.args[0].value!r})"))
    return found


def violations() -> list[str]:
    """One line per upward or facade import in ``gtdata`` (the facade itself excepted)."""
    problems = []
    for path in sorted(PACKAGE.rglob("*.py")):
        module = _module_name(path)
        if module == "gtdata":
            continue  # the facade may import anything
        own = _layer(module)
        assert own in RANK, f"{path}: no layer for gtdata.{own}; add it to LAYERS in {__file__}"
        for line, target, text in _imports(path):
            where = f"{path.relative_to(PACKAGE.parent)}:{line}: {text}"
            if target == "gtdata":
                problems.append(f"{where}  (imports the gtdata facade; import from the defining module)")
                continue
            other = _layer(target)
            assert other in RANK, f"{where}: no layer for gtdata.{other}; add it to LAYERS in {__file__}"
            if RANK[other] > RANK[own] and (module, target) not in EXCEPTIONS:
                problems.append(f"{where}  ({own}, layer {RANK[own]}, imports {other}, layer {RANK[other]})")
    return problems


def test_layers_point_down():
    problems = violations()
    assert not problems, "upward imports:\n" + "\n".join(problems)


def test_exceptions_are_still_needed():
    # An exception whose import is gone must leave the list, so the list never hides a new upward import.
    present = set()
    for path in PACKAGE.rglob("*.py"):
        module = _module_name(path)
        present.update((module, target) for _, target, _ in _imports(path))
    stale = sorted(set(EXCEPTIONS) - present)
    assert not stale, f"exceptions whose import is gone: {stale}"


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("from ..registry import load\n", "gtdata.registry"),
        ("def f():\n    import gtdata\n", "gtdata"),
        ("from gtdata import load\n", "gtdata"),
        ("if TYPE_CHECKING:\n    from gtdata.study.spec import StudySpec\n", "gtdata.study.spec"),
        ("import importlib\nimportlib.import_module('gtdata.cli.main')\n", "gtdata.cli.main"),
    ],
)
def test_checker_finds_upward_imports(tmp_path, monkeypatch, source, expected):
    # The checker itself: a core module with each kind of import is reported, with its file and line.
    fake = tmp_path / "gtdata"
    (fake / "core").mkdir(parents=True)
    (fake / "__init__.py").write_text("")
    (fake / "core" / "__init__.py").write_text("")
    (fake / "core" / "bad.py").write_text(source)
    monkeypatch.setitem(globals(), "PACKAGE", fake)
    assert [target for _, target, _ in _imports(fake / "core" / "bad.py")] == [expected]
    problems = violations()
    assert len(problems) == 1 and problems[0].startswith("gtdata/core/bad.py:")
