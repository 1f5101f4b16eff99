"""A quiet library and a friendly CLI: progress bars only at a terminal by default, messages through logging."""

from __future__ import annotations

import io
import logging

import gtdata
from gtdata.core.progress import progress_bar, show_progress


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_none_means_whether_stderr_is_a_terminal(monkeypatch):
    monkeypatch.setattr("sys.stderr", io.StringIO())
    assert show_progress(None) is False
    monkeypatch.setattr("sys.stderr", _Terminal())
    assert show_progress(None) is True
    assert show_progress(False) is False  # an explicit choice wins either way


def test_a_bar_is_drawn_at_a_terminal_and_not_in_a_log(monkeypatch):
    terminal = _Terminal()
    monkeypatch.setattr("sys.stderr", terminal)
    list(progress_bar(range(3), progress=None, desc="demo", file=terminal))
    assert "demo" in terminal.getvalue()
    log = io.StringIO()
    monkeypatch.setattr("sys.stderr", log)
    list(progress_bar(range(3), progress=None, desc="demo", file=log))
    assert log.getvalue() == ""


def test_library_calls_are_silent_by_default_and_show_a_bar_on_request(tmp_path, capfd):
    data = gtdata.ToyData((2, 3))
    gtdata.export_hdf5(data, tmp_path / "quiet.h5")
    assert capfd.readouterr().err == ""  # pytest's stderr is not a terminal
    gtdata.export_hdf5(data, tmp_path / "loud.h5", progress=True)
    assert "export" in capfd.readouterr().err


def test_the_library_logs_under_the_gtdata_logger_without_printing(caplog, capfd, monkeypatch):
    from gtdata.datasets.fetch import logger

    # as in a fresh process that never ran the CLI (an earlier CLI test in this one added its stderr handler)
    monkeypatch.setattr(logging.getLogger("gtdata"), "handlers", [logging.NullHandler()])
    with caplog.at_level(logging.INFO, logger="gtdata"):
        logger.info("downloading x from y")
    assert [r.name for r in caplog.records] == ["gtdata.datasets.fetch"]
    assert capfd.readouterr().err == ""
