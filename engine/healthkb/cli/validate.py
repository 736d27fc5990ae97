"""`healthkb validate [PATH]`: check a KB and list every problem, compiler-style."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from ..editing.kb_validation import check_kb, kb_warnings
from ..errors import KBError, listed, more_problems
from ..render.findings_text import warning_line
from .common import (
    EXIT_OK,
    KB_DEFAULT_HELP,
    add_links_option,
    kb_folder_of,
    places_from,
    print_listed,
    problems_exit,
)


def register(commands: Any) -> None:
    parser = commands.add_parser("validate", help="check a KB and list every problem")
    parser.add_argument("path", nargs="?", help=KB_DEFAULT_HELP)
    parser.add_argument("--format", choices=["text", "json"], default="text")
    add_links_option(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    folder = kb_folder_of(args.path)
    # The test cases too: a typo in one is a broken KB for `test`, `coverage` and
    # `report`, so `validate` (and `release`, which validates) must not pass it.
    # The analysis's errors are problems; its warnings are listed, and do not fail.
    check = check_kb(folder.root, allow_links_outside=args.allow_outside_links)
    content = check.content
    if check.problems or content is None:
        error = KBError(check.problems, root=folder.root)
        if args.format == "json":
            shown, hidden = listed(error)
            print(json.dumps([p.to_dict() for p in shown], indent=2, ensure_ascii=False))
            if hidden:
                print(f"healthkb: {more_problems(hidden)}", file=sys.stderr)
        else:
            print_listed(error, "", sys.stdout)
            for finding in check.warnings:
                print(warning_line(finding, places_from(folder.root)))
            count = len(error.problems) + error.more
            print(f"{count:,} problem(s) found ({folder.label})", file=sys.stderr)
        return problems_exit(error.problems)
    if args.format == "json":
        print("[]")
        return EXIT_OK
    for finding in check.warnings:
        print(warning_line(finding, places_from(folder.root)))
    # Notes about the manifest (a title that no longer names every source): stderr.
    for warning in kb_warnings(content):
        print(f"warning: {warning}", file=sys.stderr)
    active = len(content.active_rules())
    print(
        f"ok: {content.manifest.id} {content.manifest.version} ({folder.label}): "
        f"{len(content.rules)} rules ({active} active), {len(content.conclusions)} "
        f"conclusions, {len(content.sources)} source(s), "
        f"{len(content.citations.resolved)} quotes resolved, {len(check.cases)} test cases"
        + (f", {len(check.warnings)} warning(s)" if check.warnings else "")
    )
    return EXIT_OK
