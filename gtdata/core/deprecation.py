"""Old names that still work for a while: keywords and functions renamed after 0.1 warn and forward.

One way to retire a name, so every warning reads alike (a :class:`FutureWarning`, shown to end users by
default, naming the old and the new spelling) and every caller of the old name gets the new behaviour.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable
from typing import Any, TypeVar

from .errors import GtdataError

__all__ = ["deprecated_alias", "renamed_keywords"]

F = TypeVar("F", bound=Callable[..., Any])


class KeywordConflictError(GtdataError, TypeError):
    """Both the old and the new name of a renamed keyword were given."""


def renamed_keywords(**renames: str) -> Callable[[F], F]:
    """Decorator: accept each old keyword (the key) in place of its new name (the value), with a FutureWarning.

    Parameters
    ----------
    **renames : str
        ``old_name="new_name"`` pairs.

    Returns
    -------
    callable
        A decorator that forwards ``old_name=value`` as ``new_name=value``.

    Raises
    ------
    KeywordConflictError
        (from the decorated function) When a call gives both the old and the new keyword.

    Examples
    --------
    >>> import warnings
    >>> @renamed_keywords(seed="rng")
    ... def draw(n, rng=0):
    ...     return n, rng
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     draw(3, seed=7)
    (3, 7)
    >>> print(caught[0].message)
    draw(seed=...) is deprecated and will be removed in a future version; use draw(rng=...)
    """

    def decorate(function: F) -> F:
        name = function.__qualname__

        @functools.wraps(function)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            used = [old for old in renames if old in kwargs]
            if used:
                for old in used:
                    if renames[old] in kwargs:
                        raise KeywordConflictError(
                            f"{name}() got both {old}= (its 0.1 name) and {renames[old]}=; pass only {renames[old]}="
                        )
                    kwargs[renames[old]] = kwargs.pop(old)
                # One warning per call, naming every old keyword it used.
                old_call = ", ".join(f"{old}=..." for old in used)
                new_call = ", ".join(f"{renames[old]}=..." for old in used)
                warnings.warn(
                    f"{name}({old_call}) is deprecated and will be removed in a future version; use {name}({new_call})",
                    FutureWarning,
                    stacklevel=2,
                )
            return function(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate


def deprecated_alias(function: F, old_name: str) -> F:
    """``function`` under its 0.1 name ``old_name``: the same call, with a FutureWarning naming the new name.

    Parameters
    ----------
    function : callable
        The function under its current name.
    old_name : str
        The name it had in 0.1.

    Returns
    -------
    callable
        A wrapper that warns, then calls ``function``.

    Examples
    --------
    >>> import warnings
    >>> def sample_latents(n):
    ...     return n
    >>> sample_codes = deprecated_alias(sample_latents, "sample_codes")
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     sample_codes(2)
    2
    >>> print(caught[0].message)
    sample_codes is deprecated and will be removed in a future version; use sample_latents
    """

    @functools.wraps(function)
    def alias(*args: Any, **kwargs: Any) -> Any:
        warnings.warn(
            f"{old_name} is deprecated and will be removed in a future version; use {function.__name__}",
            FutureWarning,
            stacklevel=2,
        )
        return function(*args, **kwargs)

    alias.__name__ = alias.__qualname__ = old_name
    alias.__doc__ = f"Deprecated 0.1 name of :func:`{function.__module__}.{function.__name__}`."
    return alias  # type: ignore[return-value]
