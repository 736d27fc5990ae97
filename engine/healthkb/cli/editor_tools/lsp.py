"""`healthkb lsp`: the language server for KB files, over standard input and output."""

from __future__ import annotations

import argparse
import importlib.util
from typing import Any

from ..common import EXIT_OK, UsageError

LSP_EXTRA = ("pygls", "lsprotocol")
"""What `healthkb[lsp]` installs; without it every other command still works."""


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "lsp",
        help="run the language server for KB files on stdin/stdout (needs healthkb[lsp])",
    )
    parser.add_argument(
        "--delay",
        type=float,
        default=0.3,
        help="seconds after the last change before the KB is checked again (default: 0.3)",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    missing = [name for name in LSP_EXTRA if importlib.util.find_spec(name) is None]
    if missing:
        raise UsageError(f"`healthkb lsp` needs {', '.join(missing)}: pip install 'healthkb[lsp]'")
    if args.delay < 0:
        raise UsageError("--delay: give a number of seconds, 0 or more")
    # Imported here, not at the top: the language server needs an optional extra, and
    # the rest of the command line must work without it (tests/test_architecture.py).
    from ...lsp import server

    server.serve(args.delay)
    return EXIT_OK
