"""`healthkb report`: write the auditors' static HTML site for a KB."""

from __future__ import annotations

import argparse
from typing import Any

from ..report import write_report
from .common import EXIT_OK, UsageError, load_kb, output_path


def register(commands: Any) -> None:
    report = commands.add_parser(
        "report", help="write a static HTML site: sources with highlighted passages, rules"
    )
    report.add_argument(
        "path", nargs="?", help="folder holding kb/ and rules/ (default: the bundled KB)"
    )
    report.add_argument("--out", required=True, help="folder to write the site into")
    report.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    out = output_path(args.out)
    if out.exists() and not out.is_dir():
        raise UsageError(f"{args.out}: exists and is not a folder")
    written = write_report(load_kb(args.path), out)
    print(f"wrote {len(written)} pages to {out}; open {out / 'index.html'}")
    return EXIT_OK
