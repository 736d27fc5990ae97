"""`healthkb diff OLD NEW`: what changed between two KBs, and what it changes in results."""

from __future__ import annotations

import argparse
from typing import Any

from ..editing.review import diff_kbs, prove_kbs
from ..render.diff import diff_json, diff_text
from ..render.proven_diff import proven_diff_json, proven_diff_text
from .common import EXIT_OK, warn_pending


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "diff", help="compare two KBs (folders or git revisions): structure, then behaviour"
    )
    add_sides(parser)
    parser.add_argument(
        "--prove",
        action="store_true",
        help="prove, over every valid profile, which conclusions are gained or lost and where",
    )
    parser.add_argument("--format", choices=["text", "json"], default="text")
    parser.set_defaults(handler=run)


def add_sides(parser: argparse.ArgumentParser) -> None:
    """OLD and NEW, each a folder or a git revision, and the repository of revisions."""
    parser.add_argument("old", help="OLD: a KB folder or a git revision (HEAD~1, v0.1.0, ...)")
    parser.add_argument("new", help="NEW: a KB folder or a git revision")
    parser.add_argument(
        "--repo",
        default=".",
        help="KB folder inside the git repository that revisions refer to (default: .)",
    )


def run(args: argparse.Namespace) -> int:
    if args.prove:
        review = prove_kbs(args.old, args.new, args.repo)
        tree = review.proof.to_dict()
        if args.format == "json":
            print(proven_diff_json(tree))
        else:
            print(proven_diff_text(tree, review.old, review.new))
        return EXIT_OK
    diff = diff_kbs(args.old, args.new, args.repo)
    warn_pending(diff.old_pending, diff.old.version, "OLD: ")
    warn_pending(diff.new_pending, diff.new.version, "NEW: ")
    print(diff_json(diff) if args.format == "json" else diff_text(diff))
    return EXIT_OK
