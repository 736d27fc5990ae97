"""`healthkb release [--bump major|minor|patch] [PATH]`: version, changelog and lock file."""

from __future__ import annotations

import argparse
import datetime
import sys
from collections.abc import Sequence
from typing import Any, TextIO

from ..editing.cases import CaseOutcome
from ..editing.release import FailingCasesError, release
from ..editing.signing import sign_released
from ..errors import KBError
from ..files.ed25519_keys import read_private_key
from .common import (
    EXIT_OK,
    EXIT_PROBLEMS,
    UsageError,
    print_listed,
    problems_exit,
    writable_kb_folder,
    writing,
)


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "release", help="cut a release: bump the KB version, add a changelog entry, relock"
    )
    parser.add_argument(
        "path",
        nargs="?",
        help="folder holding kb/ and rules/ (default: the KB the current folder is in; never "
        "the bundled KB)",
    )
    parser.add_argument(
        "--bump",
        choices=["major", "minor", "patch"],
        help="the version part to raise (default: what the changes need; may raise it, "
        "never lower it)",
    )
    parser.add_argument("--date", help="release date, YYYY-MM-DD (default: today)")
    parser.add_argument(
        "--change",
        action="append",
        default=[],
        metavar="TEXT",
        help="a changelog line, before the lines listing every source, conclusion, fact and "
        "rule added, removed or changed (repeat for more)",
    )
    parser.add_argument(
        "--allow-failing-tests",
        action="store_true",
        help="release even if some of the KB's test cases fail (they are listed as a warning)",
    )
    parser.add_argument(
        "--sign",
        metavar="KEY",
        help="sign the release with this Ed25519 private key (as `audit keygen` writes it): "
        "writes kb/release.sig.json over every file of the KB",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    date = _date(args.date) if args.date else None
    root = writable_kb_folder(args.path, "`healthkb release`")
    key = read_private_key(args.sign) if args.sign else None  # a bad key stops it first
    try:
        with writing(root):
            done = release(
                root, args.bump, date, args.change, allow_failing_tests=args.allow_failing_tests
            )
    except KBError as error:
        print_listed(error, "", sys.stdout)
        print(f"release refused: {len(error.problems) + error.more:,} problem(s) found")
        return problems_exit(error.problems)
    except FailingCasesError as error:
        _print_failing(error.failing, sys.stdout)
        print(
            f"release refused: {len(error.failing)} of {error.total} test case(s) fail "
            "(run `healthkb test`; --allow-failing-tests releases anyway)"
        )
        return EXIT_PROBLEMS
    if done.failing_cases:
        _print_failing(done.failing_cases, sys.stderr)
        print(
            f"warning: released with {len(done.failing_cases)} failing test case(s) "
            "(--allow-failing-tests)",
            file=sys.stderr,
        )
    print(f"released {done.kb_id} {done.version} ({done.date}), was {done.previous}")
    print(f"bump: {done.bump}, {done.reason}")
    for change in done.changes:
        print(f"  - {change}")
    print(f"wrote {', '.join(done.files)}")
    if key is not None:
        with writing(root):
            signature = sign_released(root, key)
        print(f"signed every file of the release: {signature.relative_to(root).as_posix()}")
    if done.regenerated_schemas:
        print(
            "note: the JSON Schemas above were out of date with the KB and were regenerated "
            "(`healthkb schema`); commit them with the release"
        )
    if done.date > datetime.date.today():
        print(
            f"note: the release is dated {done.date}, after today: until then a release "
            "without --date is refused (its date would be before this one)",
            file=sys.stderr,
        )
    return EXIT_OK


def _print_failing(outcomes: Sequence[CaseOutcome], stream: TextIO) -> None:
    # As `healthkb test` shows a failing case, without the why-not (`test` gives that).
    for outcome in outcomes:
        print(f"FAIL {outcome.case.name}  ({outcome.file}:{outcome.line})", file=stream)
        for failure in outcome.failures:
            print(f"  - {failure}", file=stream)


def _date(text: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"--date {text!r}: expected YYYY-MM-DD") from None
