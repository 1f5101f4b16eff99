"""Progress bars and messages: quiet by default in a library, friendly at a terminal and in the CLI.

Every long-running function takes ``progress: bool | None = None``. ``None`` (the default) shows a bar only when
stderr is a terminal, so scripts, notebooks' logs, cluster jobs and tests stay quiet; ``True`` and ``False``
force it. The command line always passes ``True`` (unless ``--quiet``). Messages that are not bars (which mirror
is being tried, a checksum verdict) go to the ``logging`` logger of their module, under the ``gtdata`` logger:
silent in a library unless the application configures logging, shown on stderr by the CLI.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from typing import Any

from tqdm.auto import tqdm

__all__ = ["progress_bar", "show_progress"]


def show_progress(progress: bool | None) -> bool:
    """Whether to show a progress bar: ``progress`` itself, or for ``None`` whether stderr is a terminal.

    Parameters
    ----------
    progress : bool or None
        The caller's choice; ``None`` means "decide from the terminal".

    Returns
    -------
    bool
        True to show the bar.

    Examples
    --------
    >>> show_progress(False), show_progress(True)
    (False, True)
    >>> show_progress(None) == sys.stderr.isatty()
    True
    """
    if progress is None:
        isatty = getattr(sys.stderr, "isatty", None)
        return bool(isatty and isatty())
    return bool(progress)


def progress_bar(iterable: Iterable[Any] | None = None, *, progress: bool | None, **options: Any) -> tqdm:
    """A ``tqdm`` bar on stderr, shown according to :func:`show_progress` (``progress``).

    Parameters
    ----------
    iterable : iterable, optional
        What the bar iterates over (as for ``tqdm``); omit it to update the bar by hand.
    progress : bool or None
        Show the bar (True), hide it (False), or show it only at a terminal (None).
    **options
        Passed to ``tqdm`` (``total``, ``desc``, ``unit``, ``initial``, ``leave``...).

    Returns
    -------
    tqdm.tqdm
        The bar; a disabled bar costs nothing.

    Examples
    --------
    >>> sum(progress_bar(range(4), progress=False, desc="demo"))
    6
    """
    return tqdm(iterable, disable=not show_progress(progress), **options)
