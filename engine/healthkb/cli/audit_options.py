"""The audit-log options that `batch` and `serve` share: the log, and signed checkpoints.

A writer with `--checkpoint-key` signs a checkpoint of the log (see audit/checkpoints.py)
after every `--checkpoint-every` records it appends and at its first append
`--checkpoint-seconds` after its last one, so that a rewrite of the log by someone
without the key is caught by `healthkb audit verify --public-key`.
"""

from __future__ import annotations

import argparse
from types import ModuleType
from typing import TYPE_CHECKING

from ..audit import DEFAULT_CHECKPOINT_EVERY
from ..audit.releases import released_digests
from ..content.loading.loader import read_content
from ..errors import HealthKBError
from ..files.on_demand import OnDemand
from ..files.x25519_keys import read_hash_key
from ..knowledge_base import KnowledgeBase
from .common import UsageError, kb_folder_of


def _import_audit_log() -> ModuleType:
    from ..audit import log

    return log


def _import_protection() -> ModuleType:
    from ..audit import protection

    return protection


# The audit log and its stores are imported when `--audit-log` is given: `healthkb
# evaluate` without one never needs them (docs/performance.md, "Start-up, fourth pass").
if TYPE_CHECKING:
    from ..audit import log as audit_logs
    from ..audit import protection
    from ..audit.log import AuditLog
else:
    audit_logs = OnDemand(_import_audit_log)
    protection = OnDemand(_import_protection)

STORE_HELP = (
    "the audit store: a JSON Lines file, sqlite:///PATH (an SQLite file) or "
    "postgresql://USER:PASSWORD@HOST:PORT/DATABASE"
)


def kb_releases(path: str | None) -> dict[str, str]:
    """digest -> version of every release the KB named by `--kb` (or found as commands
    find it, silently) lists in its changelog, and the release its lock was sealed for;
    {} when that KB cannot be read."""
    try:
        content = read_content(kb_folder_of(path).root)
    except (HealthKBError, UsageError):
        return {}
    return released_digests(content.manifest.changelog, content.lock)


def add_audit_options(parser: argparse.ArgumentParser, what: str) -> None:
    """`--audit-log STORE` (append `what` to it) and the checkpoint options."""
    parser.add_argument(
        "--audit-log",
        metavar="STORE",
        help=f"append {what} to this audit store (a file, sqlite:///PATH or postgresql://…)",
    )
    parser.add_argument(
        "--checkpoint-key",
        metavar="KEY",
        help="sign checkpoints of the audit log with this Ed25519 key (audit.key, made by "
        "`healthkb audit keygen`)",
    )
    parser.add_argument(
        "--checkpoint-every",
        metavar="N",
        type=int,
        default=DEFAULT_CHECKPOINT_EVERY,
        help=f"records between checkpoints (default: {DEFAULT_CHECKPOINT_EVERY})",
    )
    parser.add_argument(
        "--checkpoint-seconds",
        metavar="T",
        type=float,
        help="also sign at the first append T seconds or more after the last checkpoint",
    )
    parser.add_argument(
        "--audit-hash-key",
        metavar="FILE",
        help="the secret key the KB's personal-data policy hashes attributes with (kept "
        "outside the store; `healthkb audit keygen --kind hash` makes one)",
    )


def open_audit_log(args: argparse.Namespace) -> AuditLog | None:
    """The audit log the options ask for (its key read now, so a bad one stops the
    command before any work), or None without `--audit-log`."""
    if args.audit_log is None:
        if args.checkpoint_key is not None:
            raise UsageError("--checkpoint-key signs an audit log: give --audit-log STORE too")
        if args.audit_hash_key is not None:
            raise UsageError("--audit-hash-key hashes audit records: give --audit-log STORE too")
        return None
    if args.checkpoint_every < 1:
        raise UsageError(f"--checkpoint-every must be at least 1; got {args.checkpoint_every}")
    if args.checkpoint_seconds is not None and not args.checkpoint_seconds > 0:
        raise UsageError(f"--checkpoint-seconds must be more than 0; got {args.checkpoint_seconds}")
    return audit_logs.AuditLog(
        args.audit_log,
        checkpoint_key=args.checkpoint_key,
        checkpoint_every=args.checkpoint_every,
        checkpoint_seconds=args.checkpoint_seconds,
        hash_key=None if args.audit_hash_key is None else read_hash_key(args.audit_hash_key),
    )


def check_audit_policy(audit: AuditLog | None, kb: KnowledgeBase) -> None:
    """UsageError if the audit log cannot protect records as the KB's personal-data
    policy says (a policy that hashes, and no `--audit-hash-key`): before any work."""
    if audit is None:
        return
    try:
        audit.check_policy(protection.policy_of(kb.content))
    except audit_logs.AuditLogError as error:
        raise UsageError(str(error)) from None
