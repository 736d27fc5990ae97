"""`healthkb schema [PATH] [--out DIR] [--check]`: JSON Schemas for editors' tools."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from ..editing.schemas import (
    SCHEMAS_FOLDER,
    all_schemas,
    file_name,
    read_vocabulary,
    stale_schemas,
    write_schemas,
)
from .common import (
    EXIT_OK,
    EXIT_PROBLEMS,
    KB_DEFAULT_HELP,
    kb_folder,
    output_folder,
    writable_kb_folder,
    writing,
)


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "schema", help="write JSON Schemas for completion and inline errors in YAML editors"
    )
    parser.add_argument("path", nargs="?", help=KB_DEFAULT_HELP)
    parser.add_argument(
        "--out",
        help=f"folder to write to (default: PATH/{SCHEMAS_FOLDER}; required when the KB is "
        "the bundled one, which is never written to)",
    )
    parser.add_argument(
        "--check", action="store_true", help="write nothing; exit 1 if a schema is out of date"
    )
    parser.add_argument("--format", choices=["text", "json"], default="text")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    if args.check:
        root = kb_folder(args.path)
        out = Path(args.out) if args.out else root / SCHEMAS_FOLDER
        schemas = all_schemas(read_vocabulary(root))
        stale = [out / file_name(name) for name in stale_schemas(schemas, out)]
        _report(args.format, "stale", stale, [out / file_name(name) for name in schemas])
        if stale and args.format == "text":
            print("run `healthkb schema` to regenerate them")
        return EXIT_PROBLEMS if stale else EXIT_OK
    if args.out is not None:
        root, out = kb_folder(args.path), output_folder(args.out)
    else:
        root = writable_kb_folder(args.path, "`healthkb schema` without --out")
        out = root / SCHEMAS_FOLDER
    schemas = all_schemas(read_vocabulary(root))
    with writing(out):
        changed = write_schemas(schemas, out)
    _report(args.format, "wrote", changed, [out / file_name(name) for name in schemas])
    return EXIT_OK


def _report(form: str, verb: str, listed: list[Path], every: list[Path]) -> None:
    """One line per schema file: `wrote`/`stale` for those in `listed`, else `unchanged`."""
    if form == "json":
        key = "changed" if verb == "wrote" else "stale"
        rows = [{"file": str(path), key: path in listed} for path in every]
        print(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    for path in every:
        print(f"{verb if path in listed else 'up to date'}: {path}")
