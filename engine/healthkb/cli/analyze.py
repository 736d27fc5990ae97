"""`healthkb analyze [PATH]`: prove what holds for every profile; a witness per finding."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from ..analysis.analyze import analyze
from ..content.loading.loader import check_content
from ..errors import KBError
from ..render.findings_text import report_json, report_text
from .common import EXIT_OK, EXIT_PROBLEMS, KB_DEFAULT_HELP, kb_folder_of, places_from


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "analyze",
        help="conflicts, ambiguities, unreachable and redundant rules, gaps: each with a "
        "witness profile",
    )
    parser.add_argument("path", nargs="?", help=KB_DEFAULT_HELP)
    parser.add_argument("--format", choices=["text", "json"], default="text")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    folder = kb_folder_of(args.path)
    checked = check_content(folder.root)
    if checked.content is None or not checked.analysable:
        # Rules that do not read or name what is not declared: nothing to prove.
        raise KBError(checked.problems, root=folder.root)
    report = analyze(checked.content)
    if args.format == "json":
        print(report_json(report))
    else:
        print(report_text(report, folder.label, places_from(folder.root)))
    if checked.problems:
        print(
            f"healthkb: note: {len(checked.problems)} other problem(s); see `healthkb validate`",
            file=sys.stderr,
        )
    return EXIT_PROBLEMS if report.errors else EXIT_OK
