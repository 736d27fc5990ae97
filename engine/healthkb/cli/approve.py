"""`healthkb approve [PATH] --key KEY`: a reviewer approves the release candidate."""

from __future__ import annotations

import argparse
from typing import Any

from ..content.loading.loader import read_content
from ..editing.approvals import approvals, approve, candidate
from ..files.ed25519_keys import read_private_key
from .common import EXIT_OK, writable_kb_folder, writing


def register(commands: Any) -> None:
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
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
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
