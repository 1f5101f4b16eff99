"""Entry point of the ``gtdata`` command. Each subcommand lives in ``gtdata/cli/cmd_<name>.py`` and exposes
``register(subparsers)``, which adds its parser and sets ``func(args) -> int``.

Exit codes: 0 success; 1 the command ran but reports a failure (e.g. ``verify`` found a bad file, a study had
failed runs); 2 an error gtdata reports (bad input, a failed download, a file that would be overwritten), printed
as one line — ``--debug`` shows its traceback instead; 130 interrupted (Ctrl-C).

The library is quiet (its messages go to ``logging``, its progress bars show only at a terminal); the command
shows both on stderr: progress bars unless ``--quiet``, messages at INFO (``--debug``: DEBUG).
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

from .._version import __version__
from ..core.errors import GtdataError

COMMANDS: list[str] = [
    "render",
    "list",
    "info",
    "download",
    "verify",
    "prepare",
    "export",
    "preview",
    "evaluate",
    "study",
    "quickstart",
    "train",
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="gtdata",
        description="Ground-truth data for disentangled and causal representation learning: benchmark sets, "
        "factor sampling, procedural rendering, reference VAEs, metrics and studies.",
    )
    parser.add_argument("--version", action="version", version=f"gtdata {__version__}")
    parser.add_argument("--debug", action="store_true", help="show the traceback of an error instead of one line")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(f"gtdata.cli.cmd_{name}").register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "func", None) is None:
        parser.print_help()
        return 0
    _show_messages(debug=args.debug)
    try:
        return int(args.func(args) or 0)
    except (GtdataError, OSError) as exc:  # what gtdata reports on purpose, and what the system refused
        if args.debug:
            raise
        message = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc  # KeyError's str() adds quotes
        print(f"gtdata {args.command}: error: {message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"gtdata {args.command}: interrupted", file=sys.stderr)
        return 130


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is at the time of each message (it may be replaced after set-up)."""

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, value) -> None:
        pass


def _show_messages(debug: bool) -> None:
    """Send the library's log messages (the ``gtdata`` logger) to stderr, as plain lines, once per process."""
    logger = logging.getLogger("gtdata")
    if not any(isinstance(h, _StderrHandler) for h in logger.handlers):  # main() may run many times in a process
        handler = _StderrHandler()
        handler.setFormatter(logging.Formatter("%(message)s"))
        logger.addHandler(handler)
    logger.setLevel(logging.DEBUG if debug else logging.INFO)


if __name__ == "__main__":
    sys.exit(main())
