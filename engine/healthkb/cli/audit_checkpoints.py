"""`healthkb audit keygen|checkpoint`, and the checkpoint half of `audit verify --public-key`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from ..audit.chain import Verification
from ..audit.checkpoints import (
    KEY_KINDS,
    CheckpointCheck,
    generate_keys,
    load_private_key,
    load_public_key,
    verify_checkpoints,
)
from ..audit.log import AuditLog
from .audit_options import STORE_HELP
from .common import EXIT_OK, EXIT_PROBLEMS


def register(actions: Any) -> None:
    keygen = actions.add_parser(
        "keygen",
        help="make keys: an Ed25519 pair for signing checkpoints (audit.key, audit.pub), an "
        "X25519 pair for personal data sealed to an auditor (auditor.key, auditor.pub), or "
        "a secret for hashing personal data (hash.key)",
    )
    keygen.add_argument("--out", required=True, metavar="DIR", help="folder to write them to")
    keygen.add_argument(
        "--kind",
        choices=KEY_KINDS,
        default="signing",
        help="signing (default): checkpoints; sealing: an auditor's key pair for encrypted "
        "attributes; hash: the secret for hashed attributes",
    )
    keygen.set_defaults(handler=run_keygen)

    checkpoint = actions.add_parser(
        "checkpoint", help="verify the log, then sign its last record into LOG.checkpoints"
    )
    checkpoint.add_argument("log", metavar="STORE", help=STORE_HELP)
    checkpoint.add_argument("--key", required=True, help="the private key (audit.key)")
    checkpoint.set_defaults(handler=run_checkpoint)


_KEPT_BY = {
    "signing": (
        "private: keep it with the log's writer, mode 600",
        "public: give it to auditors for `audit verify --public-key`",
    ),
    "sealing": (
        "private: the auditor keeps it, for `audit replay --private-key`; mode 600",
        "public: paste it into kb.yaml, `personal_data: auditor: public_key:`",
    ),
    "hash": ("secret: keep it with the log's writers, never in the store; mode 600",),
}


def run_keygen(args: argparse.Namespace) -> int:
    paths = generate_keys(Path(args.out), args.kind)
    for path, kept_by in zip(paths, _KEPT_BY[args.kind], strict=True):
        print(f"wrote {path} ({kept_by})")
    return EXIT_OK


def run_checkpoint(args: argparse.Namespace) -> int:
    log = AuditLog(args.log)
    key = load_private_key(Path(args.key))
    # Sign only a log that holds: a chain broken, or rewritten since the last
    # checkpoint, must not be blessed by a new signature.
    verification = log.verify()
    if not verification.ok:
        print(f"{args.log}: {verification.problem}")
        print("checkpoint refused: the log does not verify", file=sys.stderr)
        return EXIT_PROBLEMS
    check = verify_checkpoints(log.store, key.public_key())
    problems = [p for p in check.problems if p.code != "no-checkpoints"]
    if problems:
        for problem in problems:
            print(f"{args.log}: {problem}")
        print("checkpoint refused: the log does not match its checkpoints", file=sys.stderr)
        return EXIT_PROBLEMS
    signed = log.checkpoint(key)
    print(
        f"checkpoint: record {signed['sequence']} ({signed['head']}) signed by {signed['key']}, "
        f"appended to {log.store.checkpoints_name}"
    )
    return EXIT_OK


def checkpoint_check(log: AuditLog, public_key: str) -> CheckpointCheck:
    """The checkpoints of `log` checked with the public key in the file `public_key`."""
    return log.verify_checkpoints(load_public_key(Path(public_key)))


def _records(count: int) -> str:
    return f"{count} record" + ("" if count == 1 else "s")


def verdict(verification: Verification, check: CheckpointCheck | None) -> str:
    """The one line `audit verify` ends with: `verified: …` or `FAILED: …`."""
    problems = [verification.problem] if verification.problem else []
    problems += check.problems if check is not None else []
    if problems:
        first = problems[0]
        where = f" at line {first.line}" if first.line else ""
        intact = (
            f"; the chain holds {_records(verification.records)} before it"
            if verification.problem
            else f"; the chain of {_records(verification.records)} holds"
        )
        return f"FAILED: {len(problems)} problem(s), the first{where}: {first.code}{intact}"
    head = f"head {verification.head}"
    if check is None:
        return (
            f"verified: {_records(verification.records)}; signatures not checked "
            f"(no --public-key); {head}"
        )
    signed = check.last or 0
    return (
        f"verified: {_records(verification.records)}; signed up to {signed}; "
        f"{verification.records - signed} unsigned at the tail; {head}"
    )
