"""`healthkb audit copy SRC DST`: move a chain between stores, verified."""

from __future__ import annotations

import argparse
from typing import Any

from ..audit.copying import copy_chain
from ..audit.log import AuditLog
from .common import EXIT_OK


def register(actions: Any) -> None:
    copy = actions.add_parser(
        "copy",
        help="copy a verified chain and its checkpoints into an empty store, then verify it",
    )
    copy.add_argument("source", metavar="SRC", help="the store to copy from (it must verify)")
    copy.add_argument(
        "target", metavar="DST", help="an empty store: a file, sqlite:///PATH or postgresql://…"
    )
    copy.set_defaults(handler=run_copy)


def run_copy(args: argparse.Namespace) -> int:
    source, target = AuditLog(args.source), AuditLog(args.target)
    copied = copy_chain(source, target)
    print(
        f"copied {copied.records} record(s) and {copied.checkpoints} checkpoint(s) from "
        f"{source.name} to {target.name}; the copy verifies, head {copied.head}"
    )
    return EXIT_OK
