"""`healthkb release [--bump major|minor|patch] [PATH]`: version, changelog and lock file."""

from __future__ import annotations

import argparse
import datetime
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from ..editing.cases import CaseOutcome
from ..editing.release import GatesRefusedError, NothingToRelease, release
from ..editing.release_gates import FAILING_TEST_CASE, parse_acceptance
from ..editing.signing import sign_released
from ..errors import KBError
from ..files.ed25519_keys import read_private_key
from .common import (
    EXIT_OK,
    EXIT_PROBLEMS,
    UsageError,
    places_from,
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
        help="release even if some of the KB's test cases fail (the same as --accept "
        "failing-test-case=--allow-failing-tests)",
    )
    parser.add_argument(
        "--accept",
        action="append",
        default=[],
        metavar="CODE=REASON",
        help="ship what a release gate refuses (failing-test-case, rule-not-exercised, "
        "sentence-not-encoded, review-overdue, redundant, gap, silence-contradicted), saying "
        "why; written in "
        "the changelog "
        "(repeat for more)",
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
    accept = _acceptances(args.accept)
    key = read_private_key(args.sign) if args.sign else None  # a bad key stops it first
    try:
        with writing(root):
            done = release(
                root,
                args.bump,
                date,
                args.change,
                allow_failing_tests=args.allow_failing_tests,
                accept=accept,
            )
    except KBError as error:
        print_listed(error, "", sys.stdout, root)
        print(f"release refused: {len(error.problems) + error.more:,} problem(s) found")
        return problems_exit(error.problems)
    except GatesRefusedError as error:
        return _refused(error, root)
    except NothingToRelease as error:
        print(f"release refused: {error}; nothing was written")
        return EXIT_PROBLEMS
    if done.failing_cases:
        _print_failing(done.failing_cases, sys.stderr, root)
        print(
            f"warning: released with {len(done.failing_cases)} failing test case(s) "
            "(--allow-failing-tests)",
            file=sys.stderr,
        )
    print(f"released {done.kb_id} {done.version} ({done.date}), was {done.previous}")
    print(f"bump: {done.bump}, {done.reason}")
    for change in done.changes:
        print(f"  - {change}")
    for item in done.accepted:
        print(f"accepted {item} ({accept.get(item.code, '--allow-failing-tests')})")
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


def _refused(error: GatesRefusedError, root: Path) -> int:
    others = [item for item in error.refused if item.code != FAILING_TEST_CASE]
    reasons = []
    if len(others) < len(error.refused):
        _print_failing(error.failing, sys.stdout, root)
        reasons.append(
            f"{len(error.failing)} of {error.total} test case(s) fail (run `healthkb test`; "
            "--allow-failing-tests releases anyway)"
        )
    for item in others:
        print(item)
    if others:
        reasons.append(
            f"{len(others)} item(s) it would ship unchecked (fix them, or ship them saying "
            "why: --accept CODE=REASON)"
        )
    print("release refused: " + "; ".join(reasons))
    return EXIT_PROBLEMS


def _acceptances(texts: Sequence[str]) -> dict[str, str]:
    accepted: dict[str, str] = {}
    for text in texts:
        try:
            code, reason = parse_acceptance(text)
        except ValueError as error:
            raise UsageError(str(error)) from None
        accepted[code] = reason
    return accepted


def _print_failing(outcomes: Sequence[CaseOutcome], stream: TextIO, root: Path) -> None:
    # As `healthkb test` shows a failing case, without the why-not (`test` gives that).
    place = places_from(root)
    for outcome in outcomes:
        where = place(f"{outcome.file}:{outcome.line}")
        print(f"FAIL {outcome.case.name}  ({where})", file=stream)
        for failure in outcome.failures:
            print(f"  - {failure}", file=stream)


def _date(text: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"--date {text!r}: expected YYYY-MM-DD") from None
