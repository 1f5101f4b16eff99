"""Suite-wide test setup: the helpers in this folder are importable from every test folder, and the test
process ends without interpreter finalization (see clean_exit.py for why)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from clean_exit import pytest_sessionstart, pytest_unconfigure  # noqa: E402,F401  (hooks of this conftest)
