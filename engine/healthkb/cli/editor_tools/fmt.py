"""`healthkb fmt [PATH ...] [--check] [--diff]`: the KB's YAML files in one canonical layout."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from ...editing.layout.formatting import Formatted, format_file, write_formatted, yaml_files
from ..common import EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, UsageError, kb_folder, writable_kb_folder


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "fmt", help="lay out the KB's YAML files canonically (key order, quoting, style, width)"
    )
    parser.add_argument(
        "paths",
        nargs="*",
        metavar="PATH",
        help="files, or folders (a KB's folder: its kb/ and rules/) to format (default: the KB "
        "the current folder is in; never the bundled KB)",
    )
    parser.add_argument(
        "--check", action="store_true", help="write nothing; list the files that would change"
    )
    parser.add_argument(
        "--diff", action="store_true", help="write nothing; print what would change as a diff"
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    writes = not (args.check or args.diff)
    files = [file for path in _paths(args.paths, writes) for file in yaml_files(path)]
    results = [format_file(file, file.as_posix()) for file in files]
    if writes:
        write_formatted(results)
    for result in results:
        for problem in result.problems:
            print(f"{problem} (left as it is)", file=sys.stderr)
        if result.changed:
            _report_change(result, args)
    changed = sum(result.changed for result in results)
    unreadable = sum(result.after is None for result in results)
    verb = "reformatted" if writes else "would be reformatted"
    print(
        f"{changed} file(s) {verb}, {len(results) - changed - unreadable} already formatted"
        + (f", {unreadable} unreadable" if unreadable else ""),
        file=sys.stderr,
    )
    if unreadable:
        return EXIT_USAGE
    return EXIT_PROBLEMS if changed and not writes else EXIT_OK


def _report_change(result: Formatted, args: argparse.Namespace) -> None:
    if args.diff:
        print(result.diff(), end="")
    elif args.check:
        print(f"would reformat: {result.name}")
    else:
        print(f"reformatted: {result.name}")


def _paths(named: list[str], writes: bool) -> list[Path]:
    if not named:
        if writes:
            return [writable_kb_folder(None, "`healthkb fmt`")]
        return [kb_folder(None)]
    for name in named:
        if not Path(name).exists():
            raise UsageError(f"{name}: no such file or folder")
    return [Path(name) for name in named]
