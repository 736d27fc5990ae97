"""`healthkb release --bump major|minor|patch [PATH]`: version, changelog and lock file."""

from __future__ import annotations

import argparse
import datetime
from typing import Any

from ..errors import KBError
from ..release import release
from .common import EXIT_OK, EXIT_PROBLEMS, UsageError, writable_kb_folder, writing


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "release", help="cut a release: bump the KB version, add a changelog entry, relock"
    )
    parser.add_argument(
        "path",
        nargs="?",
        help="folder holding kb/ and rules/ (default: the current folder; never the bundled KB)",
    )
    parser.add_argument("--bump", required=True, choices=["major", "minor", "patch"])
    parser.add_argument("--date", help="release date, YYYY-MM-DD (default: today)")
    parser.add_argument(
        "--change",
        action="append",
        default=[],
        metavar="TEXT",
        help="a changelog line (repeat for more; default: the rules added, removed, changed)",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    date = _date(args.date) if args.date else None
    root = writable_kb_folder(args.path, "`healthkb release`")
    try:
        with writing(root):
            done = release(root, args.bump, date, args.change)
    except KBError as error:
        for problem in error.problems:
            print(problem)
        print(f"release refused: {len(error.problems)} problem(s) found")
        return EXIT_PROBLEMS
    print(f"released {done.kb_id} {done.version} ({done.date}), was {done.previous}")
    for change in done.changes:
        print(f"  - {change}")
    print(f"wrote {', '.join(done.files)}")
    return EXIT_OK


def _date(text: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"--date {text!r}: expected YYYY-MM-DD") from None
