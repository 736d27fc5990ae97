"""`healthkb verify-release [PATH] --public-key PUB`: are these the signed release's files?"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from ..content.versioning.release_signature import verify_release
from ..files.ed25519_keys import read_public_key
from .common import EXIT_OK, EXIT_PROBLEMS, KB_DEFAULT_HELP, kb_folder_of


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "verify-release",
        help="check that every file of a KB is the file its signed release holds",
    )
    parser.add_argument("path", nargs="?", help=KB_DEFAULT_HELP)
    parser.add_argument(
        "--public-key",
        required=True,
        metavar="PUB",
        help="the release signer's Ed25519 public key (PEM, as `audit keygen` writes it)",
    )
    parser.add_argument("--format", choices=["text", "json"], default="text")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    folder = kb_folder_of(args.path)
    check = verify_release(folder.root, read_public_key(args.public_key))
    if args.format == "json":
        print(json.dumps([p.to_dict() for p in check.problems], indent=2, ensure_ascii=False))
    else:
        for problem in check.problems:
            print(problem)
    if check.problems:
        print(
            f"{len(check.problems):,} problem(s): the files of {folder.label} are not the "
            "signed release",
            file=sys.stderr,
        )
        return EXIT_PROBLEMS
    if args.format == "text":
        signed = check.signed
        print(
            f"ok: {signed['kb_id']} {signed['version']} ({folder.label}): "
            f"{len(signed['files'])} file(s) as signed, release digest {signed['digest']}"
        )
    return EXIT_OK
