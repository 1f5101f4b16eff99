"""The root of gtdata's errors.

Every error gtdata raises on purpose derives from :class:`GtdataError` *and* from the built-in it resembles
(``ValueError`` for bad input, ``RuntimeError`` for a failed download, ``FileExistsError`` for an output that
would overwrite someone's files, ...), so ``except ValueError`` keeps working and ``except GtdataError`` catches
everything gtdata means to report. The command line catches ``GtdataError`` once and prints one line; a
traceback there is a bug.
"""

from __future__ import annotations

__all__ = ["GtdataError"]


class GtdataError(Exception):
    """Base class of the errors gtdata raises on purpose (the message names the place, the value, what is
    allowed and the fix).

    Examples
    --------
    >>> import gtdata
    >>> try:
    ...     gtdata.load("dsprite")
    ... except gtdata.GtdataError as exc:
    ...     print(type(exc).__name__)
    UnknownDatasetError
    """
