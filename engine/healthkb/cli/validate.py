"""`healthkb validate [PATH]`: check a KB and list every problem, compiler-style."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from ..errors import KBError
from ..loader import read_content
from .common import EXIT_OK, EXIT_PROBLEMS, kb_folder


def register(commands: Any) -> None:
    parser = commands.add_parser("validate", help="check a KB and list every problem")
    parser.add_argument("path", nargs="?", help="folder holding kb/ and rules/ (default: bundled)")
    parser.add_argument("--format", choices=["text", "json"], default="text")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    try:
        content = read_content(kb_folder(args.path))
    except KBError as error:
        if args.format == "json":
            print(json.dumps([p.to_dict() for p in error.problems], indent=2, ensure_ascii=False))
        else:
            for problem in error.problems:
                print(problem)
            print(f"{len(error.problems)} problem(s) found", file=sys.stderr)
        return EXIT_PROBLEMS
    active = len(content.active_rules())
    if args.format == "json":
        print("[]")
    else:
        print(
            f"ok: {content.manifest.id} {content.manifest.version}: {len(content.rules)} rules "
            f"({active} active), {len(content.conclusions)} conclusions, "
            f"{len(content.sources)} source(s), {len(content.citations.resolved)} quotes resolved"
        )
    return EXIT_OK
