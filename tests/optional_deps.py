"""Optional dependencies in tests: skipped where they are not installed, never in CI.

CI (``CI=true``, set by every CI service and by ``.ci/run``) installs every extra, so there a missing or
broken optional module must fail the tests that need it instead of hiding them behind a skip.
"""

from __future__ import annotations

import importlib
import os
from types import ModuleType

import pytest


def in_ci() -> bool:
    """True when the tests run in CI (``$CI`` is ``true`` or ``1``)."""
    return os.environ.get("CI", "").strip().lower() in ("true", "1")


def import_optional(module: str, extra: str) -> ModuleType:
    """``module``, or a skip naming the extra that installs it; in CI an ImportError fails instead."""
    if in_ci():
        return importlib.import_module(module)
    return pytest.importorskip(
        module,
        reason=f"{module} is not installed (optional extra: pip install "
        f"'gtdata[{extra}]'); CI installs it and runs these tests",
    )
