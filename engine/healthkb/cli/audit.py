"""`healthkb audit verify|replay|show`: check, replay and read an audit log (keygen and
checkpoint: audit_checkpoints.py)."""

from __future__ import annotations

import argparse
import json
from typing import Any

from ..audit.log import AuditLog, LogProblem
from ..audit.queries import digest_counts
from ..audit.releases import release_of
from ..audit.replay import Difference, NotReplayed, Replay, replay
from ..files.x25519_keys import read_sealing_private_key
from . import audit_checkpoints, audit_copy, audit_queries, audit_show
from .audit_checkpoints import checkpoint_check, verdict
from .audit_options import STORE_HELP, kb_releases
from .common import EXIT_OK, EXIT_PROBLEMS, add_kb_option, load_kb


def register(commands: Any) -> None:
    audit = commands.add_parser("audit", help="verify, replay or show an audit log")
    actions = audit.add_subparsers(dest="action", required=True, metavar="ACTION")

    verify = actions.add_parser("verify", help="check the hash chain; name the first bad record")
    verify.add_argument("log", metavar="STORE", help=STORE_HELP)
    verify.add_argument(
        "--public-key",
        metavar="PUB",
        help="also check every signed checkpoint (LOG.checkpoints) with this key (audit.pub)",
    )
    verify.add_argument(
        "--kb",
        metavar="PATH",
        help="the KB whose changelog names the release of each digest (default: as other "
        "commands find it)",
    )
    verify.add_argument("--format", choices=["text", "json"], default="text")
    verify.set_defaults(handler=run_verify)

    again = actions.add_parser("replay", help="evaluate every record again; list differences")
    again.add_argument("log", metavar="STORE", help=STORE_HELP)
    add_kb_option(again)
    again.add_argument(
        "--private-key",
        metavar="KEY",
        help="the auditor's X25519 private key (auditor.key): opens the attributes the KB's "
        "personal-data policy encrypted, so those answers can be replayed",
    )
    again.add_argument("--format", choices=["text", "json"], default="text")
    again.set_defaults(handler=run_replay)

    audit_show.register(actions)
    audit_checkpoints.register(actions)
    audit_copy.register(actions)
    audit_queries.register(actions)


def _dump(data: Any) -> None:
    print(json.dumps(data, indent=2, ensure_ascii=False, sort_keys=True))


def run_verify(args: argparse.Namespace) -> int:
    log = AuditLog(args.log)
    # Every check first; then the problems, and one verdict line: nothing says "ok"
    # before the chain and every checkpoint have been checked.
    verification = log.verify()
    check = checkpoint_check(log, args.public_key) if args.public_key else None
    text = verdict(verification, check)
    releases = kb_releases(args.kb)
    answered = {
        digest: (release_of(digest, releases), count)
        for digest, count in digest_counts(log).items()
    }
    if args.format == "json":
        report = verification.to_dict()
        if check is not None:
            report["checkpoints"] = check.to_dict()
        report["releases"] = {d: {"release": r, "answers": n} for d, (r, n) in answered.items()}
        _dump({**report, "verdict": text})
    else:
        problems = [verification.problem] if verification.problem else []
        problems += check.problems if check is not None else []
        for problem in problems:
            print(f"{log.name}: {problem}")
        if not problems:  # a failure's report stays the problems and the verdict
            for digest, (release, count) in answered.items():
                print(f"KB {digest}: {release} ({count} answer(s))")
        print(text)
    passed = verification.ok and (check is None or check.ok)
    return EXIT_OK if passed else EXIT_PROBLEMS


def _difference_lines(d: Difference) -> list[str]:
    lines = [f"line {d.line}: record {d.record} ({d.time}, then {d.then_kb})"]
    if d.error:
        lines.append(f"  cannot be evaluated now: {d.error}")
        lines += [f"    {problem}" for problem in d.problems]
    for name, items in (
        ("now also concluded", d.added),
        ("no longer concluded", d.removed),
        ("rules that fired then, not now", d.fired_only_then),
        ("rules that fire now, not then", d.fired_only_now),
    ):
        if items:
            lines.append(f"  {name}: {', '.join(items)}")
    return lines


def _edited_lines(problem: LogProblem) -> list[str]:
    which = f"record {problem.record}" if problem.record else "the record"
    return [f"line {problem.line}: {which} does not match its hash: not replayed"]


def _not_replayed_lines(n: NotReplayed) -> list[str]:
    missing = ", ".join(f"{path} {why}" for path, why in sorted(n.missing.items()))
    return [f"line {n.line}: record {n.record} ({n.time}) cannot be replayed exactly: {missing}"]


def _replay_text(outcome: Replay, log: str) -> str:
    """Edited records, differences and records that cannot be replayed exactly, in the
    log's order, the log's problem, a count."""
    reports = [(e.line, _edited_lines(e)) for e in outcome.edited]
    reports += [(n.line, _not_replayed_lines(n)) for n in outcome.not_replayed]
    reports += [(d.line, _difference_lines(d)) for d in outcome.differences]
    lines = [text for _, block in sorted(reports, key=lambda r: r[0]) for text in block]
    if outcome.log_problem is not None:
        lines.append(f"{log}: {outcome.log_problem}")
    count = len(outcome.differences)
    summary = f"{count} of {outcome.records} record(s) differ under {outcome.kb}"
    if outcome.edited:
        summary += f"; {len(outcome.edited)} record(s) not replayed: they do not match their hash"
    if outcome.not_replayed:
        summary += (
            f"; {len(outcome.not_replayed)} record(s) not replayed: inputs the KB's "
            "personal-data policy protected are not in them"
        )
    return "\n".join([*lines, summary])


def run_replay(args: argparse.Namespace) -> int:
    key = None if args.private_key is None else read_sealing_private_key(args.private_key)
    outcome = replay(AuditLog(args.log), load_kb(args.kb, args.allow_outside_links), key)
    if args.format == "json":
        _dump(outcome.to_dict())
    else:
        print(_replay_text(outcome, args.log))
    return EXIT_OK if outcome.ok else EXIT_PROBLEMS
