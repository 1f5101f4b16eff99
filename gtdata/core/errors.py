"""The root of gtdata's errors.

Every error gtdata raises on purpose derives from :class:`GtdataError` *and* from the built-in it resembles
(``ValueError`` for bad input, ``RuntimeError`` for a failed download, ``FileExistsError`` for an output that
would overwrite someone's files, ...), so ``except ValueError`` keeps working and ``except GtdataError`` catches
everything gtdata means to report. The command line catches ``GtdataError`` once and prints one line; a
traceback there is a bug.
"""

from __future__ import annotations

__all__ = [
    "GtdataError",
    "InvalidTypeError",
    "InvalidValueError",
    "MissingFileError",
    "NoAccessError",
    "OutOfRangeError",
    "UnknownNameError",
]


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


# The generic kinds, for errors that belong to no package's own class (each package's errors, such as
# ManifestError or StudySpecError, derive from GtdataError and the built-in in the same way).


class InvalidValueError(GtdataError, ValueError):
    """A value gtdata cannot use: an argument, a config or spec entry, a field of a file.

    Examples
    --------
    >>> import gtdata
    >>> try:
    ...     gtdata.FactorSpace.from_sizes([3, 0])
    ... except InvalidValueError as exc:
    ...     print(isinstance(exc, ValueError))
    True
    """


class InvalidTypeError(GtdataError, TypeError):
    """An argument of a type gtdata does not accept (the message names the types it does).

    Examples
    --------
    >>> issubclass(InvalidTypeError, TypeError)
    True
    """


class MissingFileError(GtdataError, FileNotFoundError):
    """A file or directory gtdata needs is not there (a run's checkpoint, a prepared set, a spec file).

    Examples
    --------
    >>> issubclass(MissingFileError, FileNotFoundError)
    True
    """


class NoAccessError(GtdataError, PermissionError):
    """A file gtdata must read or a directory it must write is not accessible (the message says which and how).

    Examples
    --------
    >>> issubclass(NoAccessError, PermissionError)
    True
    """


class OutOfRangeError(GtdataError, IndexError):
    """An index or code outside the grid it addresses.

    Examples
    --------
    >>> import gtdata
    >>> try:
    ...     gtdata.FactorSpace.from_sizes([3, 2]).validate_index([6])
    ... except OutOfRangeError as exc:
    ...     print(isinstance(exc, IndexError))
    True
    """


class UnknownNameError(GtdataError, KeyError):
    """A name that is not among those allowed (the message lists them, with the closest match).

    Unlike ``KeyError`` its message prints as written, without quotes.

    Examples
    --------
    >>> print(UnknownNameError("unknown metric 'mgi'; did you mean 'mig'?"))
    unknown metric 'mgi'; did you mean 'mig'?
    """

    def __str__(self) -> str:
        return str(self.args[0]) if len(self.args) == 1 else super().__str__()
