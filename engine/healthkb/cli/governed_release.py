"""Governed releases: `healthkb approve [PATH] --key KEY` (a reviewer approves the release
candidate) and `healthkb verify-release [PATH] --public-key PUB` (are these the signed
release's files?)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from ..content.loading.loader import read_content
from ..content.versioning.release_signature import verify_release
from ..editing.approvals import approvals, approve, candidate
from ..files.ed25519_keys import read_private_key, read_public_key
from .common import (
    EXIT_OK,
    EXIT_PROBLEMS,
    KB_DEFAULT_HELP,
    kb_folder_of,
    writable_kb_folder,
    writing,
)


def register(commands: Any) -> None:
    """Both commands; `release --sign` (in release.py) makes what `verify-release` checks."""
    register_approve(commands)
    register_verify_release(commands)


def register_approve(commands: Any) -> None:
    parser = commands.add_parser(
        "approve",
        help="approve the release candidate as a reviewer of kb.yaml (signs its digest and "
        "changelog lines)",
    )
    parser.add_argument(
        "path",
        nargs="?",
        help="folder holding kb/ and rules/ (default: the KB the current folder is in; never "
        "the bundled KB)",
    )
    parser.add_argument(
        "--key",
        required=True,
        metavar="KEY",
        help="your Ed25519 private key (as `audit keygen` writes it); its public half is "
        "listed under `approvals: reviewers:` in kb.yaml",
    )
    parser.set_defaults(handler=run_approve)


def run_approve(args: argparse.Namespace) -> int:
    root = writable_kb_folder(args.path, "`healthkb approve`")
    key = read_private_key(args.key)
    content = read_content(root)
    with writing(root):
        path, reviewer = approve(content, key)
    found = approvals(content)
    what = candidate(content)
    print(
        f"approved {what['kb_id']} candidate {what['candidate_digest']} as {reviewer.name} "
        f"({reviewer.role}): {len(found.approved_by)} of {found.required} approval(s)"
    )
    for line in what["changes"]:
        print(f"  - {line}")
    print(f"wrote {path.relative_to(root).as_posix()}")
    return EXIT_OK


def register_verify_release(commands: Any) -> None:
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
    parser.set_defaults(handler=run_verify_release)


def run_verify_release(args: argparse.Namespace) -> int:
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
