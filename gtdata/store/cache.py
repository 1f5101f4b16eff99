"""Where gtdata keeps downloads and prepared data sets."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs


def cache_root() -> Path:
    """``$GTDATA_HOME`` if set, else the platform's user cache directory for gtdata.

    Downloads go to ``raw/NAME/`` under it, prepared sets to ``prepared/NAME/``. The variable is read on
    every call, so setting it in a running process takes effect at once.

    Returns
    -------
    pathlib.Path
        The cache root (``~`` expanded); it need not exist yet.

    Examples
    --------
    >>> import os
    >>> os.environ["GTDATA_HOME"] = "gtdata_cache"
    >>> cache_root().as_posix(), raw_dir("dsprites").as_posix()
    ('gtdata_cache', 'gtdata_cache/raw/dsprites')
    """
    env = os.environ.get("GTDATA_HOME")
    return Path(env).expanduser() if env else Path(platformdirs.user_cache_dir("gtdata"))


def raw_dir(name: str) -> Path:
    """Downloads of data set ``name``, exactly as published."""
    return cache_root() / "raw" / name


def prepared_dir(name: str) -> Path:
    """The prepared (memory-mappable) form of data set ``name``."""
    return cache_root() / "prepared" / name
