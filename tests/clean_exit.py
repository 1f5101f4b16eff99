"""pytest plugin: end the test process right after pytest has finished, skipping interpreter finalization.

Why: the suite loads native thread pools that outlive the tests and are not made to survive the
interpreter's teardown — Ray's core worker (gRPC and io threads that call back into Python, started and
stopped twice per run), two OpenMP runtimes (torch's libgomp and scikit-learn's vendored copy, both with
parked worker threads), loky's process-pool manager. At exit, CPython tears down modules and then the C
libraries run their static destructors while those threads may still wake up and touch freed state: a
rare SIGSEGV *after* the summary ("447 passed", exit code -11), which fails CI although every test passed.

After pytest's last hook (the summary, junit files and cache are written by then) this plugin shuts Ray
down if a test left it running, flushes the standard streams and calls ``os._exit`` with pytest's own exit
status, so no destructor runs beside a live native thread. A crash *during* a test still fails the run.
It acts only in a process started as the pytest command, never inside a host that runs ``pytest.main``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

_session: pytest.Session | None = None


def _started_as_pytest_command() -> bool:
    main = sys.modules.get("__main__")
    spec = getattr(main, "__spec__", None)
    if spec is not None and spec.name in ("pytest", "pytest.__main__"):
        return True  # python -m pytest
    return Path(sys.argv[0]).name in ("pytest", "py.test")  # the console script


def pytest_sessionstart(session: pytest.Session) -> None:
    global _session
    _session = session


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    if _session is None or not _started_as_pytest_command():
        return
    ray = sys.modules.get("ray")
    if ray is not None and getattr(ray, "is_initialized", lambda: False)():
        ray.shutdown()  # its processes would otherwise outlive a process that skips Ray's atexit handler
    status = int(_session.exitstatus)
    for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
        try:
            stream.flush()
        except (AttributeError, OSError, ValueError):
            pass
    os._exit(status)
