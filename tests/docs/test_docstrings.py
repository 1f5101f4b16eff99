"""Every public class and function carries the numpydoc sections it needs, and its Examples run as doctests.

The rules are in ``docstring_rules.py`` (run it as a script to list what is missing). The examples run in a
temporary working directory with ``GTDATA_HOME`` pointing into it, so they never touch the user's cache; they use
rendered or in-memory data sets only (no download).
"""

from __future__ import annotations

import doctest
import importlib
import inspect

import docstring_rules
import pytest

OBJECTS = docstring_rules.public_objects()
FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


def test_every_public_name_has_the_numpydoc_sections_it_needs():
    missing = docstring_rules.missing_sections()
    listing = "\n".join(f"{name}: {', '.join(sections)}" for name, sections in sorted(missing.items()))
    assert not missing, f"public names whose docstring lacks a numpydoc section:\n{listing}"


def _examples(obj: object) -> list[doctest.DocTest]:
    module = importlib.import_module(obj.__module__)
    finder = doctest.DocTestFinder(recurse=False)
    tests = finder.find(obj, name=f"{obj.__module__}.{obj.__qualname__}", module=module, globs=vars(module).copy())
    if inspect.isclass(obj) and "__init__" in vars(obj):
        tests += finder.find(
            obj.__init__, name=f"{obj.__module__}.{obj.__qualname__}.__init__", module=module, globs=vars(module).copy()
        )
    return [t for t in tests if t.examples]


@pytest.mark.parametrize("name", sorted(n for n, o in OBJECTS.items() if _examples(o)))
def test_examples_run(name, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GTDATA_HOME", str(tmp_path / "gtdata_home"))
    runner = doctest.DocTestRunner(optionflags=FLAGS)
    failures: list[str] = []
    for test in _examples(OBJECTS[name]):
        failures.clear()
        result = runner.run(test, out=failures.append)
        assert result.failed == 0, "".join(failures)
