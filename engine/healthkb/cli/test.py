"""`healthkb test [PATH] [-k NAME]`: run the editors' YAML test cases (kb/tests/*.yaml)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from ..content.located_items import Placed
from ..editing.case_explanations import case_report
from ..editing.cases import TestCase, case_target, read_cases, run_cases, select
from ..errors import KBError, listed
from ..knowledge_base import KnowledgeBase, load
from ..render.cases import cases_json, cases_text
from .common import (
    EXIT_OK,
    EXIT_PROBLEMS,
    EXIT_USAGE,
    UsageError,
    add_language_option,
    kb_folder,
    kb_language,
    places_from,
    print_listed,
    warn_pending,
)


def register(commands: Any) -> None:
    parser = commands.add_parser("test", help="run the KB's test cases (kb/tests/*.yaml)")
    parser.add_argument(
        "path",
        nargs="?",
        help="KB folder or one case file (default: the KB the current folder is in, found by "
        "looking upwards for kb/kb.yaml, else the bundled KB)",
    )
    parser.add_argument("-k", dest="keyword", help="only cases whose name contains this text")
    parser.add_argument("--format", choices=["text", "json"], default="text")
    add_language_option(parser, "the answers and why-nots of the cases")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    root, files = _target(args.path)
    loaded = load_cases(root, files, args.format)
    if loaded is None:
        return EXIT_USAGE
    kb, cases = loaded
    chosen = select(cases, args.keyword)
    if not chosen:
        what = f"matches -k {args.keyword!r}" if args.keyword else "was found"
        raise UsageError(f"no test case {what} (cases live in kb/tests/*.yaml)")
    lang = None if args.lang is None else kb_language(kb.content, args.lang)
    report = case_report(kb, run_cases(kb, chosen, lang))
    if args.format == "json":
        print(cases_json(report))
    else:
        print(cases_text(report, places_from(root)))
    return EXIT_OK if report["summary"]["failed"] == 0 else EXIT_PROBLEMS


def _target(path: str | None) -> tuple[Path, list[Path] | None]:
    """The KB root and the case files (None: all of them) that `path` names."""
    if path is None or Path(path).is_dir():
        return kb_folder(path), None
    root, files = case_target(path)
    assert root is not None  # a file names its own KB
    return root, files


def load_cases(
    root: Path, files: list[Path] | None, output: str
) -> tuple[KnowledgeBase, list[Placed[TestCase]]] | None:
    """The KB at `root` and its cases; None (problems printed) if a case file is broken.

    A broken KB raises `KBError`, which `main` prints; both mean exit 2.
    """
    kb = load(root)
    warn_pending(kb.pending, kb.version)
    try:
        return kb, read_cases(kb, root, files=files)
    except KBError as error:
        print_problems("broken test cases", error, output, root)
        return None


def print_problems(kind: str, error: KBError, output: str, root: Path | None = None) -> None:
    """Located problems: on stderr as text, or on stdout as JSON (`--format json`)."""
    if output == "json":
        shown, hidden = listed(error)
        report: dict[str, Any] = {"problems": [p.to_dict() for p in shown]}
        if hidden:
            report["more"] = hidden  # problems found but not listed
        print(json.dumps(report, indent=2, ensure_ascii=False))
        return
    print(f"healthkb: {kind}:", file=sys.stderr)
    print_listed(error, "  ", sys.stderr, root)
    print(f"{len(error.problems) + error.more:,} problem(s) found", file=sys.stderr)
