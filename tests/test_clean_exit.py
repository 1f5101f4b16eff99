"""The test process exits with pytest's status even when something would crash during interpreter
finalization (what native thread pools left running by Ray, torch and scikit-learn's OpenMP can do)."""

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

HERE = Path(__file__).parent

# Stands in for a native thread that touches freed state while the interpreter is torn down: a SIGSEGV
# raised from an atexit handler, which runs in that teardown and never during the tests.
CRASH_AT_EXIT = textwrap.dedent("""
    import atexit, os, signal
    atexit.register(lambda: os.kill(os.getpid(), signal.SIGSEGV))

    def test_passes():
        assert True
""")
FAILS = "def test_fails():\n    assert False\n"


def _pytest(tmp_path: Path, source: str, *plugin: str) -> subprocess.CompletedProcess:
    (tmp_path / "test_probe.py").write_text(source)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")]))
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *plugin, str(tmp_path / "test_probe.py")],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.skipif(not hasattr(signal, "SIGSEGV") or os.name != "posix", reason="POSIX signals")
def test_crash_during_finalization_no_longer_fails_a_passing_run(tmp_path):
    plain = _pytest(tmp_path, CRASH_AT_EXIT)
    assert "1 passed" in plain.stdout and plain.returncode == -signal.SIGSEGV  # the flake, made certain
    clean = _pytest(tmp_path, CRASH_AT_EXIT, "-p", "clean_exit")
    assert "1 passed" in clean.stdout and clean.returncode == 0, clean.stderr


def test_failures_keep_their_exit_status(tmp_path):
    result = _pytest(tmp_path, FAILS, "-p", "clean_exit")
    assert "1 failed" in result.stdout and result.returncode == 1
