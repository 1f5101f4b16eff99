"""Where gtdata keeps downloads and prepared data sets."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs


def cache_root() -> Path:
    """``$GTDATA_HOME`` if set, else the platform's user cache directory for gtdata."""
    env = os.environ.get("GTDATA_HOME")
    return Path(env).expanduser() if env else Path(platformdirs.user_cache_dir("gtdata"))


def raw_dir(name: str) -> Path:
    """Downloads of data set ``name``, exactly as published."""
    return cache_root() / "raw" / name


def prepared_dir(name: str) -> Path:
    """The prepared (memory-mappable) form of data set ``name``."""
    return cache_root() / "prepared" / name
