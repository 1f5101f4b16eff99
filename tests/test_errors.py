"""One error hierarchy: every error gtdata raises on purpose is a GtdataError, and the CLI prints it in one line."""

import subprocess
import sys

import pytest

import gtdata
from gtdata.causal import SCMError
from gtdata.cli import main as cli
from gtdata.core.split import SplitError
from gtdata.datasets.archive import UnsafeArchiveError
from gtdata.datasets.checksums import ChecksumError
from gtdata.datasets.fetch import DownloadError
from gtdata.datasets.manifest import ManifestError, UnknownDatasetError
from gtdata.render.spec import SpecError
from gtdata.splits import OODSplitError
from gtdata.core.persist import OutputExistsError
from gtdata.training.pack import PackError
from gtdata.training.trainer import TrainingDiverged
from gtdata.store.yamlio import YAMLFileError
from gtdata.study.executors import StudyExecutionError
from gtdata.study.results import StudyDirError
from gtdata.study.spec import StudySpecError


@pytest.mark.parametrize("cls, builtin", [
    (SplitError, ValueError), (OODSplitError, ValueError), (SpecError, ValueError), (SCMError, ValueError),
    (ManifestError, ValueError), (UnknownDatasetError, KeyError), (ChecksumError, ValueError),
    (DownloadError, RuntimeError), (UnsafeArchiveError, ValueError), (OutputExistsError, FileExistsError),
    (YAMLFileError, ValueError), (StudySpecError, ValueError), (StudyDirError, ValueError),
    (PackError, ValueError), (TrainingDiverged, RuntimeError), (StudyExecutionError, RuntimeError),
])
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
