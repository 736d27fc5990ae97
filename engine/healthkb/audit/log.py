"""The audit log: one JSON line per evaluation, chained by sha256 so tampering shows.

Each record holds everything an auditor needs to see why an answer was given without
running anything again: the KB's identity and digest, the package versions, the
validated profile, the conclusions and the proof tree of every conclusion. Each record
carries `previous`, the sha256 of the previous record's line exactly as written (the
first record carries `GENESIS`), and `hash`, the sha256 of its own canonical JSON
without that field. Editing a record breaks its own `hash`; deleting or reordering
records breaks the next record's `previous`.

The chain is kept in a store (store.py): a JSON Lines file, an SQLite file or a
PostgreSQL database, each serialising appends from many threads, processes (and, for
PostgreSQL, hosts) and making each record durable before `append` returns. What a
record holds is built in records.py; checking a chain is chain.py.

>>> import healthkb, tempfile, pathlib
>>> log = healthkb.AuditLog(pathlib.Path(tempfile.mkdtemp()) / "audit.jsonl")
>>> result = healthkb.load().evaluate({"symptoms": {"physical_discomfort": True}}, audit=log)
>>> log.find(result.audit_record_id)["result"]["conclusions"][0]["id"]
'stop_and_rest'
>>> log.verify().ok
True
"""

from __future__ import annotations

import functools
import itertools
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from ..files.crypto_on_demand import ed25519
from ..results.cds_cards import card_uuid
from ..runtime.shipment import ShipmentError
from . import chain as auditchain
from .chain import (
    FORMAT,
    GENESIS,
    AuditLogError,
    Checked,
    LogProblem,
    Record,
    Verification,
    canonical,
    hash_matches,
    is_feedback,
    line_hash,
    parse,
    record_hash,
)
from .checkpoints import (
    DEFAULT_CHECKPOINT_EVERY,
    CheckpointCheck,
    CheckpointSchedule,
    load_public_key,
    make_checkpoint,
    verify_checkpoints,
)
from .file_store import VERIFY_HINT, FileStore
from .filters import Filters, matches
from .kb_copies import kb_copy
from .locations import open_store
from .protection import Policy, policy_of, protect
from .records import (
    Feedback,
    build_feedback_record,
    build_record,
    chain_record,
    record_body,
)
from .store import Store, Stored

if TYPE_CHECKING:
    from ..content.loading.kb_content import KBContent
    from ..results.result import Result

__all__ = [
    "FORMAT",
    "GENESIS",
    "AuditLog",
    "AuditLogError",
    "Checked",
    "Feedback",
    "LogProblem",
    "Record",
    "UnknownRecordError",
    "Verification",
    "build_feedback_record",
    "build_record",
    "canonical",
    "chain_record",
    "hash_matches",
    "line_hash",
    "record_body",
    "record_hash",
]


class UnknownRecordError(AuditLogError):
    """No record (or card) of the log has the id asked for."""


class AuditLog:
    """An append-only, hash-chained JSON-lines log of evaluations.

    Safe to share between threads; several processes may append to the same file.
    Pass it to `KnowledgeBase.evaluate(profile, audit=log)`.
    """

    def __init__(
        self,
        path: str | Path | Store,
        *,
        checkpoint_key: str | Path | ed25519.Ed25519PrivateKey | None = None,
        checkpoint_every: int | None = DEFAULT_CHECKPOINT_EVERY,
        checkpoint_seconds: float | None = None,
        hash_key: bytes | None = None,
    ) -> None:
        """`checkpoint_key` (an Ed25519 private key, or the path of `audit.key`) makes
        this writer sign a checkpoint after every `checkpoint_every` records it appends
        and at its first append `checkpoint_seconds` or more after its last checkpoint
        (None turns either off); `checkpoint()` signs one now (at shutdown, say).
        `hash_key` is the secret a KB's personal-data policy hashes attributes with
        (kept outside the store: see protection.py)."""
        self.store: Store = open_store(path) if isinstance(path, str | Path) else path
        self._hash_key = hash_key
        self._kept_kbs: set[str] = set()
        self._lock = threading.Lock()
        self._schedule = (
            None
            if checkpoint_key is None
            else CheckpointSchedule(checkpoint_key, checkpoint_every, checkpoint_seconds)
        )

    def __repr__(self) -> str:
        return f"<AuditLog {self.store.name}>"

    @property
    def name(self) -> str:
        """The store as messages name it (a path, or a URL without its password)."""
        return self.store.name

    @property
    def path(self) -> Path:
        """The file of a JSON Lines log (a database store has none)."""
        if not isinstance(self.store, FileStore):
            raise AuditLogError(f"{self.store.name}: a database store, not a file")
        return self.store.path

    def open(self) -> None:
        """Check now that records can be appended (for a service, before it starts)."""
        self.store.open()

    def close(self) -> None:
        """Let go of the store's open connection, if any (appending opens it again)."""
        self.store.close()

    def check_policy(self, policy: Policy) -> None:
        """AuditLogError if this writer cannot protect records as `policy` says (it
        hashes attributes, and no hash key was given): checked before any work."""
        if policy.hashes and self._hash_key is None:
            raise AuditLogError(
                f"{self.store.name}: the KB's personal-data policy hashes attributes; give "
                "the secret hash key (--audit-hash-key FILE, kept outside the store)"
            )

    def append(self, result: Result, input_id: str | None = None) -> str:
        """Write the record of `result` (naming the caller's `input_id`, if given),
        durably, and return its record id. The record keeps of the profile what the
        personal-data policy of the KB that evaluated it says."""
        return self.append_bodies([record_body(result, input_id)], result._evaluated_by())[0]

    def append_many(self, results: Iterable[Result]) -> list[str]:
        """Write the records of `results` in order with one fsync (a group commit): all
        of them durable when this returns; their record ids, in order."""
        ids: list[str] = []
        for _, group in itertools.groupby(results, lambda result: result.kb_digest):
            answered = list(group)
            bodies = [record_body(result) for result in answered]
            ids += self.append_bodies(bodies, answered[0]._evaluated_by())
        return ids

    def append_bodies(
        self, bodies: list[Record], evaluated_by: KBContent | None = None
    ) -> list[str]:
        """Chain and write record bodies (`record_body`, built wherever the evaluations
        ran) in order, durably, with one fsync; their record ids, in order. Given the KB
        that `evaluated_by` them, the records are protected as its personal-data policy
        says, and the store keeps a copy of that KB (kb_copies.py) before them."""
        if evaluated_by is not None:
            policy = policy_of(evaluated_by)
            bodies = [protect(body, policy, self._hash_key) for body in bodies]
            if evaluated_by.digest not in self._kept_kbs:
                with self._lock:  # the store's writer connection: one thread at a time
                    self._keep_kb(evaluated_by)
        return self._append([functools.partial(chain_record, body) for body in bodies])

    def _keep_kb(self, content: KBContent) -> None:
        """Keep a copy of the KB in the store, once. Best effort: a KB whose files cannot
        be read again, or a store that cannot take the copy now, keeps none (those
        records then need `audit show --kb`); the append itself is what must not fail."""
        if content.digest in self._kept_kbs:
            return
        try:
            held = self.store.kept_kb(content.digest)
        except AuditLogError:
            held = None  # not created yet, say; keeping it (below) says what is wrong
        if held is None:
            try:
                self.store.keep_kb(content.digest, kb_copy(content))
            except (ShipmentError, AuditLogError):
                return  # the append says what is wrong with the store, if anything
        self._kept_kbs.add(content.digest)

    def append_feedback(self, feedback: Feedback) -> str:
        """Write the record of feedback on a card, durably, and return its record id."""
        return self._append(
            [lambda sequence, previous: build_feedback_record(feedback, sequence, previous)]
        )[0]

    def _append(self, builds: list[Callable[[int, str], Record]]) -> list[str]:
        """Build and write records in order, chained, durably, all or none."""
        if not builds:
            return []
        with self._lock:
            records = self.store.append(builds, self._due)
        return [str(record["record"]) for record in records]

    def _due(self, sequence: int, head: str) -> Record | None:
        """The checkpoint to sign after the record `sequence`, if the schedule says so."""
        if self._schedule is None or not self._schedule.record_appended():
            return None
        checkpoint = make_checkpoint(self._schedule.key, sequence, head)
        self._schedule.checkpointed()
        return checkpoint

    def checkpoint(self, key: str | Path | ed25519.Ed25519PrivateKey | None = None) -> Record:
        """Sign a checkpoint of the log's last record now, with `key` or the writer's
        `checkpoint_key`, and append it to the store's checkpoints; returns it.

        It signs what the log holds: run `verify` (and `verify_checkpoints`) first where
        the log may have been tampered with since the last checkpoint, as the
        `healthkb audit checkpoint` command does."""
        with self._lock:
            if key is not None:
                schedule = CheckpointSchedule(key, None, None)
            elif self._schedule is not None:
                schedule = self._schedule
            else:
                raise AuditLogError(f"{self.store.name}: no key to sign a checkpoint with")
            checkpoint = self.store.sign_head(
                lambda sequence, head: make_checkpoint(schedule.key, sequence, head)
            )
            schedule.checkpointed()
            return checkpoint

    @property
    def checkpoint_seconds(self) -> float | None:
        """The writer's `checkpoint_seconds` (None: no key, or no time limit)."""
        return None if self._schedule is None else self._schedule.seconds

    def checkpoint_pending(self, *, overdue_only: bool = False) -> Record | None:
        """Sign a checkpoint now if this writer appended records since its last one
        (with `overdue_only`, only once they waited `checkpoint_seconds`): what a writer
        does when it stops, and on a timer while idle. None when nothing waits, or the
        writer has no key."""
        schedule = self._schedule
        if schedule is None or not schedule.pending:
            return None
        if overdue_only and not schedule.overdue():
            return None
        return self.checkpoint()

    def verify_checkpoints(
        self, public_key: str | Path | ed25519.Ed25519PublicKey
    ) -> CheckpointCheck:
        """Check every checkpoint of the log with `public_key` (or the path of
        `audit.pub`): each signature, and that each signed record is still as signed."""
        if not isinstance(public_key, ed25519.Ed25519PublicKey):
            public_key = load_public_key(Path(public_key))
        return verify_checkpoints(self.store, public_key)

    def checked(self) -> Iterator[Checked]:
        """Every record with what is wrong with it (its hash, its link, its line ending),
        if anything; raises AuditLogError at a line that is not a record at all."""
        for checked in auditchain.walk(self.store):
            if checked.record is None:
                assert checked.problem is not None
                problem = checked.problem
                raise AuditLogError(
                    f"{self.store.name}:{problem.line}: {problem.code}: {problem.message} "
                    f"({VERIFY_HINT})"
                )
            yield checked

    def records(self) -> Iterator[tuple[int, Record]]:
        """(line number, record) for every record; raises AuditLogError at a damaged line."""
        for checked in self.checked():
            assert checked.record is not None
            yield checked.line.number, checked.record

    def locate(self, record_or_card_id: str) -> tuple[Record, str | None]:
        """The record with this id (and None), or the record and the conclusion behind a
        CDS Hooks card with this uuid. A uuid may be given in any of its standard textual
        forms: any case, in braces, or as a `urn:uuid:`. A database store finds it by its
        index; the record found is read from its line, as written."""
        wanted = _uuid_text(record_or_card_id)
        for record in self._candidates(Filters(record=wanted or record_or_card_id)):
            if is_feedback(record) or "record" not in record:
                continue  # only evaluations are shown; feedback names the card it is about
            record_id = str(record["record"])
            if record_id == record_or_card_id or (wanted and wanted == _uuid_text(record_id)):
                return record, None
            conclusion = _card_conclusion(record, wanted) if wanted else None
            if conclusion is not None:
                return record, conclusion
        raise UnknownRecordError(
            f"{self.store.name}: no record or card with id {record_or_card_id}"
        )

    def _candidates(self, filters: Filters) -> Iterator[Record]:
        """The records that may answer `filters`: a file's every record (a damaged line
        raises AuditLogError), a database's from its index."""
        if isinstance(self.store, FileStore):
            yield from (record for _, record in self.records())
            return
        for stored in self.store.select(filters):
            record, _ = parse(stored.data)
            if record is not None:
                yield record

    def select(self, filters: Filters) -> Iterator[tuple[Stored, Record]]:
        """The records that answer `filters`, in the chain's order, each with its line
        (a database store answers from its index, then each record is checked again)."""
        for stored in self.store.select(filters):
            record, _ = parse(stored.data)
            if record is not None and matches(record, filters):
                yield stored, record

    def find(self, record_id: str) -> Record:
        """The record with this id (or the record behind a CDS Hooks card with this uuid)."""
        return self.locate(record_id)[0]

    def verify(self) -> Verification:
        """Check every record's own hash and its link to the one before; stop at the first."""
        return auditchain.verify(self.store)


def _uuid_text(text: str) -> str | None:
    """A uuid's canonical text (lower case, hyphens), or None if `text` is not a uuid."""
    try:
        return str(uuid.UUID(text))
    except ValueError:
        return None


def _card_conclusion(record: Record, card: str) -> str | None:
    """The conclusion whose card has this uuid, if it is one of the record's cards."""
    record_id, explanations = str(record["record"]), record["explanations"]
    if _uuid_text(record_id) is None or not isinstance(explanations, dict):
        return None  # not a record healthkb wrote, which verify reports
    return next((c for c in explanations if card_uuid(record_id, c) == card), None)
