"""One error hierarchy: every error gtdata raises on purpose is a GtdataError, and the CLI prints it in one line."""

import subprocess
import sys

import pytest

import gtdata
from gtdata.causal import SCMError
from gtdata.cli import main as cli
from gtdata.core.persist import OutputExistsError
from gtdata.core.split import SplitError
from gtdata.datasets.archive import UnsafeArchiveError
from gtdata.datasets.checksums import ChecksumError
from gtdata.datasets.fetch import DownloadError
from gtdata.datasets.manifest import ManifestError, UnknownDatasetError
from gtdata.render.spec import SpecError
from gtdata.splits import OODSplitError
from gtdata.store.yamlio import YAMLFileError
from gtdata.study.executors import StudyExecutionError
from gtdata.study.results import StudyDirError
from gtdata.study.spec import StudySpecError
from gtdata.training.pack import PackError
from gtdata.training.trainer import TrainingDiverged


@pytest.mark.parametrize(
    "cls, builtin",
    [
        (SplitError, ValueError),
        (OODSplitError, ValueError),
        (SpecError, ValueError),
        (SCMError, ValueError),
        (ManifestError, ValueError),
        (UnknownDatasetError, KeyError),
        (ChecksumError, ValueError),
        (DownloadError, RuntimeError),
        (UnsafeArchiveError, ValueError),
        (OutputExistsError, FileExistsError),
        (YAMLFileError, ValueError),
        (StudySpecError, ValueError),
        (StudyDirError, ValueError),
        (PackError, ValueError),
        (TrainingDiverged, RuntimeError),
        (StudyExecutionError, RuntimeError),
    ],
)
def test_every_error_is_a_gtdata_error_and_keeps_its_builtin(cls, builtin):
    assert issubclass(cls, gtdata.GtdataError) and issubclass(cls, builtin)


def test_unknown_data_set_is_a_gtdata_error():
    with pytest.raises(gtdata.GtdataError, match=r"unknown data set 'dsprite'.*did you mean 'dsprites'"):
        gtdata.load("dsprite")


def test_cli_prints_a_download_error_in_one_line_and_debug_shows_the_traceback(monkeypatch, capsys):
    def fail(args):
        raise DownloadError("could not download dsprites.npz from any source: connection refused")

    real = cli.build_parser

    def parser():
        p = real()
        sub = next(a for a in p._actions if a.dest == "command")
        sub.choices["list"].set_defaults(func=fail)
        return p

    monkeypatch.setattr(cli, "build_parser", parser)
    assert cli.main(["list"]) == 2
    err = capsys.readouterr().err
    assert err == "gtdata list: error: could not download dsprites.npz from any source: connection refused\n"
    with pytest.raises(DownloadError):
        cli.main(["--debug", "list"])


def test_cli_unknown_data_set_has_no_quotes_around_the_message():
    out = subprocess.run([sys.executable, "-m", "gtdata", "info", "dsprite"], capture_output=True, text=True)
    assert out.returncode == 2 and out.stderr.startswith("gtdata info: error: ") and "'dsprites'" in out.stderr
    assert "Traceback" not in out.stderr and len(out.stderr.strip().splitlines()) == 1


# ------------------------------------------------------------------------------------------ the whole package

_BUILTINS = {
    "ValueError",
    "TypeError",
    "KeyError",
    "IndexError",
    "FileNotFoundError",
    "FileExistsError",
    "RuntimeError",
    "OSError",
    "PermissionError",
    "LookupError",
}  # NotImplementedError: abstract methods

# Built-in raises kept on purpose, as data: (module, exception) -> why.
_KEPT = {
    (
        "gtdata/metrics/_fitting.py",
        "RuntimeError",
    ): "scikit-learn changed its private tree layout: an environment problem, with its own message",
    (
        "gtdata/training/pack.py",
        "KeyError",
    ): "raised and caught inside the checkpoint loader, which re-raises a GtdataError naming the file",
}


def _bare_builtin_raises():
    import ast
    from pathlib import Path

    root = Path(gtdata.__file__).parent
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root.parent).as_posix()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call) and isinstance(node.exc.func, ast.Name):
                name = node.exc.func.id
                if name in _BUILTINS and (rel, name) not in _KEPT:
                    yield f"{rel}:{node.lineno}: raise {name}(...)"


def test_every_deliberate_error_is_a_gtdata_error():
    bare = list(_bare_builtin_raises())
    assert not bare, (
        "raise a GtdataError subclass (gtdata.core.errors has InvalidValueError, InvalidTypeError, "
        "MissingFileError, OutOfRangeError, UnknownNameError, ...) instead of a bare built-in:\n" + "\n".join(bare)
    )


def test_every_public_error_class_is_exported_from_gtdata():
    import importlib
    import inspect
    import pkgutil

    found = set()
    for info in pkgutil.walk_packages(gtdata.__path__, "gtdata."):
        if info.name.startswith("gtdata.cli") or "._" in info.name:
            continue
        module = importlib.import_module(info.name)
        for name, obj in vars(module).items():
            if (
                inspect.isclass(obj)
                and issubclass(obj, gtdata.GtdataError)
                and not name.startswith("_")
                and obj.__module__ == info.name
            ):
                found.add(name)
    missing = sorted(found - set(gtdata.__all__))
    assert not missing, f"error classes not exported from gtdata: {missing}"
    assert all(issubclass(getattr(gtdata, n), gtdata.GtdataError) for n in found)


def test_unknown_names_print_without_keyerror_quotes():
    from gtdata.render.shapes import builtin_shape

    with pytest.raises(gtdata.UnknownNameError) as info:
        builtin_shape("hexagonn")
    assert str(info.value).startswith("unknown shape 'hexagonn'; built-in shapes: ")
