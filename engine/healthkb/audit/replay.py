"""Replaying an audit log under a KB: which past answers would a KB update change?

Every record's profile is evaluated again with the given KB, and the record is
reported when the conclusions differ, with the rules responsible: the rules that fired
on one side and not on the other.

Only records that match their own hash are replayed: an edited record says nothing
about the KB, so it is reported as edited instead, and never as a difference. The
first other problem `audit verify` would find (a broken link, CRLF line endings) is
reported too; the records around it still match their hashes and are replayed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from ..errors import HealthKBError, Problem, ProfileError
from ..files.crypto_on_demand import x25519
from .chain import explain, is_feedback
from .log import AuditLogError, LogProblem
from .protection import restore_profile

if TYPE_CHECKING:
    from ..results.result import Result
    from .log import AuditLog, Record


class Evaluator(Protocol):
    """What a replay needs of a KB: its stamp and `evaluate` (a `KnowledgeBase` is one).

    The audit stage sits below the knowledge base in the layers, so it is handed one.
    """

    @property
    def id(self) -> str: ...
    @property
    def version(self) -> str: ...
    @property
    def digest(self) -> str: ...
    def evaluate(self, profile: Any) -> Result: ...


@dataclass(frozen=True)
class Difference:
    """One record whose conclusions differ when evaluated again."""

    line: int
    record: str
    time: str
    then_kb: str
    added: list[str]
    """Conclusions reached now that were not reached then."""
    removed: list[str]
    """Conclusions reached then that are not reached now."""
    fired_only_then: list[str] = field(default_factory=list)
    """Rules (`id vN`) that fired then and do not fire now."""
    fired_only_now: list[str] = field(default_factory=list)
    """Rules (`id vN`) that fire now and did not fire then."""
    error: str | None = None
    """Why the record's profile could not be evaluated now (it no longer fits the KB)."""
    problems: list[Problem] = field(default_factory=list)
    """The fields of the profile the KB no longer accepts, when that is the error."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "line": self.line,
            "record": self.record,
            "time": self.time,
            "then_kb": self.then_kb,
            "added": self.added,
            "removed": self.removed,
            "fired_only_then": self.fired_only_then,
            "fired_only_now": self.fired_only_now,
            "error": self.error,
            "problems": [p.to_dict() for p in self.problems],
        }


@dataclass(frozen=True)
class NotReplayed:
    """A record whose answer cannot be replayed exactly: inputs it was given are not in
    the record as given (the KB's personal-data policy dropped, hashed, generalised or
    encrypted them, and no key to open them was given)."""

    line: int
    record: str
    time: str
    missing: dict[str, str]
    """`fact.attribute` → why its value is not there (`dropped`, `hashed`, ...)."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "line": self.line,
            "record": self.record,
            "time": self.time,
            "missing": self.missing,
        }


@dataclass(frozen=True)
class Replay:
    """The outcome of replaying a whole log: the KB used, the records that differ, and
    what is wrong with the log itself."""

    kb: str
    records: int
    """How many records were replayed."""
    differences: list[Difference]
    edited: list[LogProblem] = field(default_factory=list)
    """Records that do not match their own hash: not replayed."""
    log_problem: LogProblem | None = None
    """The first other problem with the log (see `healthkb audit verify`)."""
    not_replayed: list[NotReplayed] = field(default_factory=list)
    """Records whose protected inputs cannot be given back: not evaluated again."""

    @property
    def ok(self) -> bool:
        """No record differs, and the log is as written."""
        return not self.differences and not self.edited and self.log_problem is None

    def to_dict(self) -> dict[str, Any]:
        return {
            "kb": self.kb,
            "records": self.records,
            "differences": [d.to_dict() for d in self.differences],
            "edited": [p.to_dict() for p in self.edited],
            "log_problem": self.log_problem.to_dict() if self.log_problem else None,
            "not_replayed": [n.to_dict() for n in self.not_replayed],
        }


def _stamp(kb: dict[str, Any]) -> str:
    return f"{kb.get('id')} {kb.get('version')} ({kb.get('digest')})"


def _fired(result: dict[str, Any]) -> dict[str, str]:
    """rule id -> `id vN` for every rule that fired."""
    return {f["rule_id"]: f"{f['rule_id']} v{f['rule_version']}" for f in result["fired"]}


def _conclusions(result: dict[str, Any]) -> set[str]:
    return {c["id"] for c in result["conclusions"]}


def replay_record(
    kb: Evaluator, line: int, record: Record, profile: dict[str, Any] | None = None
) -> Difference | None:
    """The difference between a record and a fresh evaluation of its profile (or of
    `profile`, the record's with its encrypted values opened), if any."""
    then = record["result"]
    head = (line, str(record.get("record")), str(record.get("time")), _stamp(record["kb"]))
    try:
        given = record["profile"] if profile is None else profile
        now = kb.evaluate(given).model_dump(mode="json")
    except ProfileError as error:
        removed = sorted(_conclusions(then))
        return Difference(
            *head, added=[], removed=removed, error="invalid profile", problems=error.problems
        )
    except HealthKBError as error:
        removed = sorted(_conclusions(then))
        return Difference(*head, added=[], removed=removed, error=str(error))
    added = sorted(_conclusions(now) - _conclusions(then))
    removed = sorted(_conclusions(then) - _conclusions(now))
    if not added and not removed:
        return None
    fired_then, fired_now = _fired(then), _fired(now)
    return Difference(
        *head,
        added=added,
        removed=removed,
        fired_only_then=sorted(v for k, v in fired_then.items() if k not in fired_now),
        fired_only_now=sorted(v for k, v in fired_now.items() if k not in fired_then),
    )


def replay(
    log: AuditLog, kb: Evaluator, private_key: x25519.X25519PrivateKey | None = None
) -> Replay:
    """Evaluate every record of `log` again with `kb`; list the records that differ.

    A record whose personal data was protected is evaluated with its encrypted values
    opened by `private_key` (the auditor's); one that lacks an input (dropped, hashed,
    generalised, or sealed to a key not given) is listed as not replayed, never guessed."""
    differences, edited, not_replayed = [], [], []
    count, log_problem = 0, None
    for checked in log.checked():
        line, record, problem = checked.line.number, checked.record, checked.problem
        assert record is not None
        if problem is not None and problem.code == "edited-record":
            edited.append(problem)
            continue
        if log_problem is None and problem is not None:
            log_problem = explain(log.store, checked)
        if is_feedback(record):
            continue  # feedback on a card: nothing was evaluated
        try:
            restored = restore_profile(record, private_key)
            if restored.missing:
                head = (line, str(record.get("record")), str(record.get("time")))
                not_replayed.append(NotReplayed(*head, restored.missing))
                continue
            count += 1
            difference = replay_record(kb, line, record, restored.profile)
        except (KeyError, TypeError, AttributeError, RecursionError):
            # Only a forged record (its hash recomputed) can reach here with this shape.
            raise AuditLogError(f"{log.name}:{line}: not a healthkb audit record") from None
        if difference is not None:
            differences.append(difference)
    stamp = f"{kb.id} {kb.version} ({kb.digest})"
    return Replay(stamp, count, differences, edited, log_problem, not_replayed)
