"""Entry point of the ``gtdata`` command. Each subcommand lives in ``gtdata/cli/cmd_<name>.py`` and exposes
``register(subparsers)``, which adds its parser and sets ``func(args) -> int``."""

from __future__ import annotations

import argparse
import importlib
import sys
from typing import Sequence

from .. import __version__

COMMANDS: list[str] = [
    "render",
    "list", "info", "download", "verify", "prepare", "export", "preview",
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
    try:
        return int(args.func(args) or 0)
    except (ValueError, FileNotFoundError, FileExistsError, OSError) as exc:
        print(f"gtdata {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"gtdata {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
