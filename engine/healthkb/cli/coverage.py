"""`healthkb coverage [PATH]`: which source sentences are encoded, and which rules are tested."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from ..editing.cases import run_cases
from ..editing.coverage import coverage
from ..editing.translations import translation_coverage
from ..render.coverage import coverage_json, coverage_text
from .common import (
    EXIT_OK,
    EXIT_PROBLEMS,
    EXIT_USAGE,
    KB_DEFAULT_HELP,
    kb_folder,
    kb_language,
)
from .test import load_cases


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "coverage", help="sentences encoded, left out or untouched; rules exercised by tests"
    )
    parser.add_argument("path", nargs="?", help=KB_DEFAULT_HELP)
    parser.add_argument(
        "--fail-under-sentences",
        type=percent,
        metavar="N",
        help="exit 1 if under N%% (0 to 100) of sentences are encoded or left out",
    )
    parser.add_argument(
        "--fail-under-rules",
        type=percent,
        metavar="N",
        help="exit 1 if under N%% (0 to 100) of active rules fire in some test case",
    )
    parser.add_argument(
        "--lang",
        action="append",
        metavar="L",
        help="also report how much of the KB's wording language L (a BCP 47 tag of the KB's "
        "languages) gives; repeatable",
    )
    parser.add_argument("--format", choices=["text", "json"], default="text")
    parser.set_defaults(handler=run)


def percent(text: str) -> float:
    """A coverage floor: a number from 0 to 100 (argparse reports anything else, exit 2)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0 <= value <= 100:  # also rejects nan
        raise argparse.ArgumentTypeError(f"{text} is not a percentage from 0 to 100")
    return value


def run(args: argparse.Namespace) -> int:
    loaded = load_cases(kb_folder(args.path), None, args.format)
    if loaded is None:
        return EXIT_USAGE
    kb, cases = loaded
    languages = [kb_language(kb.content, wish) for wish in args.lang or ()]
    found = coverage(kb.content, run_cases(kb, cases))
    report = found.to_dict()
    if languages:
        report["translations"] = [
            translation_coverage(kb.content, language).to_dict() for language in languages
        ]
    print(coverage_json(report) if args.format == "json" else coverage_text(report))
    shortfalls = found.shortfalls(args.fail_under_sentences, args.fail_under_rules)
    for shortfall in shortfalls:
        print(f"healthkb: {shortfall}", file=sys.stderr)
    return EXIT_PROBLEMS if shortfalls else EXIT_OK
