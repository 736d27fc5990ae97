"""Moving a chain between stores (`healthkb audit copy SRC DST`), verified.

The source must verify; the target must hold no record. Every record is copied as it
is (its line, hashes and sequence unchanged, in groups of `GROUP` per append), then
every checkpoint and the copies of the KB releases that answered them (kb_copies.py);
the copy is then verified on its own and must end on the source's
head with the same number of records and checkpoints, or the copy is reported failed.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass

from .chain import AuditLogError, Record, canonical, parse
from .file_store import FileStore
from .log import AuditLog
from .store import Build

GROUP = 500


@dataclass(frozen=True)
class Copied:
    """What `copy_chain` copied and found on checking the copy."""

    records: int
    checkpoints: int
    head: str


def copy_chain(source: AuditLog, target: AuditLog) -> Copied:
    """Copy every record and checkpoint of `source` into the empty `target`, verified."""
    verification = source.verify()
    if verification.problem is not None:
        raise AuditLogError(
            f"{source.name}: does not verify ({verification.problem}); nothing copied"
        )
    target.open()
    missing = isinstance(target.store, FileStore) and not target.store.path.exists()
    if not missing and next(iter(target.store.lines()), None) is not None:
        raise AuditLogError(f"{target.name}: already holds records; copy only into an empty store")
    group: list[Build] = []
    digests: set[str] = set()
    for record in _records(source):
        kb = record.get("kb")
        if isinstance(kb, dict) and isinstance(kb.get("digest"), str):
            digests.add(kb["digest"])
        group.append(_as_is(record, target.name))
        if len(group) == GROUP:
            target.store.append(group, _no_checkpoint)
            group = []
    if group:
        target.store.append(group, _no_checkpoint)
    for digest in sorted(digests):  # the KB releases that answered, where the source has them
        copy = source.store.kept_kb(digest)
        if copy is not None:
            target.store.keep_kb(digest, copy)
    checkpoints = [json.loads(line) for _, line in source.store.checkpoint_lines()]
    if checkpoints:
        target.store.add_checkpoints(checkpoints)
    copied = target.verify()
    kept = sum(1 for _ in target.store.checkpoint_lines())
    if (copied.problem, copied.records, copied.head, kept) != (
        None,
        verification.records,
        verification.head,
        len(checkpoints),
    ):
        raise AuditLogError(
            f"{target.name}: the copy does not match {source.name} ({copied.records} of "
            f"{verification.records} records, head {copied.head}, {kept} of "
            f"{len(checkpoints)} checkpoints)"
        )
    return Copied(copied.records, kept, copied.head)


def _records(log: AuditLog) -> Iterator[Record]:
    for line in log.store.lines():
        record, _ = parse(line.data)
        if record is None or canonical(record) != line.data:
            raise AuditLogError(f"{log.name}:{line.number}: not a record as written; not copied")
        yield record


def _as_is(record: Record, target: str) -> Build:
    """A build that gives back the record unchanged, if it belongs where it is placed."""

    def build(sequence: int, previous: str) -> Record:
        if record.get("sequence") != sequence or record.get("previous") != previous:
            raise AuditLogError(
                f"{target}: record {record.get('sequence')} does not follow the copy's head "
                "(was the target written to during the copy?); copy rolled back"
            )
        return record

    return build


def _no_checkpoint(sequence: int, head: str) -> Record | None:
    return None
