"""Signed checkpoints of an audit log: a log nobody without the key can rewrite unseen.

The hash chain shows an edited, deleted or reordered record, but whoever can write the
file can rewrite it whole from the edit onwards, hashes recomputed, and the chain holds.
So, as Certificate Transparency and Sigstore's Rekor sign the head of their logs, a
checkpoint signs (Ed25519, with the `cryptography` package) the sequence number and
line hash of the log's last record at the time. Since each line's hash covers the
`previous` hash of the line before it, a checkpoint fixes every record up to it: with
the public key, `verify_checkpoints` checks every signature and that each signed head
is still the line at that sequence number. A rewrite before the last checkpoint shows,
unless the rewriter also holds the private key.

Checkpoints are JSON lines in a file beside the log (`audit.jsonl.checkpoints`), so the
log keeps one kind of line. What they do not protect, docs/auditors.md says: records
after the last checkpoint, and checkpoints deleted together with the records they cover
(keep a copy of the latest checkpoint somewhere the log's writer cannot write).
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import json
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..files.crypto_on_demand import crypto_errors, ed25519, serialization
from ..files.regular_file import FileTooLarge, NotRegularFile, read_regular
from ..files.x25519_keys import generate_sealing_pem
from . import DEFAULT_CHECKPOINT_EVERY as DEFAULT_CHECKPOINT_EVERY
from .chain import AuditLogError, LogProblem, Record, canonical, is_sequence, line_hash
from .file_store import checkpoints_path as checkpoints_path
from .store import Store

CHECKPOINT_FORMAT = "healthkb-audit-checkpoint/1"
PRIVATE_KEY_FILE = "audit.key"
PUBLIC_KEY_FILE = "audit.pub"
SEALING_KEY_FILE = "auditor.key"
SEALING_PUBLIC_FILE = "auditor.pub"
HASH_KEY_FILE = "hash.key"
KEY_KINDS = ("signing", "sealing", "hash")
# --- keys ------------------------------------------------------------------------------


def generate_keys(folder: Path, kind: str = "signing") -> tuple[Path, ...]:
    """Write new keys to `folder`, never overwriting a file. `signing`: an Ed25519 pair
    for checkpoints, `audit.key` (PEM, mode 600: the writer's secret) and `audit.pub`
    (for auditors); `sealing`: an X25519 pair for personal data encrypted to an auditor,
    `auditor.key` (mode 600: the auditor's secret) and `auditor.pub` (for kb.yaml);
    `hash`: `hash.key`, 32 random bytes (mode 600) that personal data is hashed with."""
    if kind == "hash":
        files: tuple[tuple[str, bytes, int], ...] = ((HASH_KEY_FILE, os.urandom(32), 0o600),)
    elif kind == "sealing":
        private, public = generate_sealing_pem()
        files = ((SEALING_KEY_FILE, private, 0o600), (SEALING_PUBLIC_FILE, public, 0o644))
    else:
        key = ed25519.Ed25519PrivateKey.generate()
        private = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        public = key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        files = ((PRIVATE_KEY_FILE, private, 0o600), (PUBLIC_KEY_FILE, public, 0o644))
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise AuditLogError(f"{folder}: cannot create the folder ({error.strerror})") from None
    paths = tuple(folder / name for name, _, _ in files)
    for path in paths:
        if os.path.lexists(path):
            raise AuditLogError(f"{path}: already exists; not overwritten (move it away first)")
    for path, (_, data, mode) in zip(paths, files, strict=True):
        _write_new(path, data, mode)
    return paths


def _write_new(path: Path, data: bytes, mode: int) -> None:
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    except OSError as error:
        raise AuditLogError(f"{path}: cannot create the key file ({error.strerror})") from None
    try:
        os.fchmod(fd, mode)  # whatever the umask
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)


def load_private_key(path: Path) -> ed25519.Ed25519PrivateKey:
    """The Ed25519 private key in a PEM file; AuditLogError if it is not one."""
    try:
        key = serialization.load_pem_private_key(_key_bytes(path), password=None)
    except (ValueError, TypeError, crypto_errors.UnsupportedAlgorithm):
        raise AuditLogError(
            f"{path}: not an unencrypted PEM private key (give the audit.key written by "
            "audit keygen)"
        ) from None
    if not isinstance(key, ed25519.Ed25519PrivateKey):
        raise AuditLogError(f"{path}: not an Ed25519 private key (make one: audit keygen)")
    return key


def load_public_key(path: Path) -> ed25519.Ed25519PublicKey:
    """The Ed25519 public key in a PEM file; AuditLogError if it is not one."""
    data = _key_bytes(path)
    if b"PRIVATE KEY-----" in data:
        raise AuditLogError(
            f"{path}: holds a private key; give the public key (audit.pub), and keep the "
            "private one away from auditors' tools"
        )
    try:
        key = serialization.load_pem_public_key(data)
    except ValueError:
        raise AuditLogError(
            f"{path}: not a PEM public key (give the audit.pub written by audit keygen)"
        ) from None
    if not isinstance(key, ed25519.Ed25519PublicKey):
        raise AuditLogError(f"{path}: not an Ed25519 public key (make one: audit keygen)")
    return key


MAX_KEY_BYTES = 64 * 1024
"""A PEM Ed25519 key is about 120 bytes; a key file over 64 kB is not one."""


def _key_bytes(path: Path) -> bytes:
    """The bytes of a key file: a regular file of at most MAX_KEY_BYTES (a device such
    as /dev/zero, a pipe or a huge file is an error, never read to the end)."""
    try:
        return read_regular(path, MAX_KEY_BYTES)
    except NotRegularFile as error:
        raise AuditLogError(f"{path}: the key file is {error.kind}, not a regular file") from None
    except FileTooLarge:
        raise AuditLogError(
            f"{path}: larger than {MAX_KEY_BYTES:,} bytes: not a key (give audit.key or "
            "audit.pub, written by audit keygen)"
        ) from None
    except OSError as error:
        raise AuditLogError(f"{path}: cannot read the key ({error.strerror})") from None


def key_id(public: ed25519.Ed25519PublicKey) -> str:
    """The name of a public key in checkpoints: the sha256 of its 32 raw bytes."""
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return "sha256:" + hashlib.sha256(raw).hexdigest()


# --- writing ---------------------------------------------------------------------------


def _signed_part(checkpoint: Record) -> bytes:
    """The bytes a checkpoint's signature covers: its canonical JSON without `signature`."""
    return canonical({k: v for k, v in checkpoint.items() if k != "signature"})


def make_checkpoint(key: ed25519.Ed25519PrivateKey, sequence: int, head: str) -> Record:
    """A signed checkpoint of the record `sequence` whose line hashes to `head`."""
    now = datetime.datetime.now(datetime.UTC).isoformat(timespec="microseconds")
    checkpoint: Record = {
        "format": CHECKPOINT_FORMAT,
        "sequence": sequence,
        "head": head,
        "time": now.replace("+00:00", "Z"),
        "key": key_id(key.public_key()),
    }
    signature = key.sign(_signed_part(checkpoint))
    checkpoint["signature"] = base64.b64encode(signature).decode("ascii")
    return checkpoint


class CheckpointSchedule:
    """When a writer signs a checkpoint: after every `every` records it appended, and at
    its first append `seconds` or more after its last checkpoint (or its start)."""

    def __init__(
        self,
        key: str | Path | ed25519.Ed25519PrivateKey,
        every: int | None = DEFAULT_CHECKPOINT_EVERY,
        seconds: float | None = None,
    ) -> None:
        if every is not None and every < 1:
            raise ValueError(f"checkpoint_every must be at least 1, not {every}")
        if seconds is not None and not seconds > 0:
            raise ValueError(f"checkpoint_seconds must be more than 0, not {seconds}")
        self.key = (
            key if isinstance(key, ed25519.Ed25519PrivateKey) else load_private_key(Path(key))
        )
        self.every, self.seconds = every, seconds
        self._appended = 0
        self._since = time.monotonic()

    def record_appended(self) -> bool:
        """Count one record appended; whether a checkpoint is due now."""
        self._appended += 1
        due_by_count = self.every is not None and self._appended >= self.every
        due_by_time = self.seconds is not None and time.monotonic() - self._since >= self.seconds
        return due_by_count or due_by_time

    def checkpointed(self) -> None:
        self._appended, self._since = 0, time.monotonic()

    @property
    def pending(self) -> int:
        """Records this writer appended since its last checkpoint (none signed yet)."""
        return self._appended

    def overdue(self) -> bool:
        """Whether records wait unsigned for `seconds` or more (a writer gone idle)."""
        return (
            self._appended > 0
            and self.seconds is not None
            and time.monotonic() - self._since >= self.seconds
        )


# --- checking --------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckpointCheck:
    """What checking a log's checkpoints with a public key found."""

    log: str
    checkpoints: int
    """Checkpoints whose signature is good and whose record still matches."""
    last: int | None
    """The sequence number of the last such checkpoint: every record up to it holds."""
    problems: list[LogProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        return {
            "log": self.log,
            "ok": self.ok,
            "checkpoints": self.checkpoints,
            "last_checkpointed_record": self.last,
            "problems": [p.to_dict() for p in self.problems],
        }


def verify_checkpoints(store: Store, public: ed25519.Ed25519PublicKey) -> CheckpointCheck:
    """Check every checkpoint of `store`: its signature by `public`, and that the record
    it signs is still the line it signed. A store with no checkpoint at all is a problem:
    a rewrite could have removed them."""
    heads = _heads(store)
    problems: list[LogProblem] = []
    good, last = 0, None
    entries = list(_read_checkpoints(store))
    if not entries:
        message = f"{store.checkpoints_name}: no checkpoint to check the log against"
        problems.append(LogProblem(0, None, "no-checkpoints", message))
    expected_key = key_id(public)
    for number, checkpoint, why in entries:
        where = f"{Path(store.checkpoints_name).name} line {number}"
        if checkpoint is None:
            problems.append(LogProblem(0, None, "malformed-checkpoint", f"{where}: {why}"))
            continue
        problem = _checkpoint_problem(checkpoint, where, public, expected_key, heads)
        if problem is not None:
            problems.append(problem)
        else:
            good += 1
            sequence = checkpoint["sequence"]
            last = sequence if last is None else max(last, sequence)
    return CheckpointCheck(store.name, good, last, problems)


def _checkpoint_problem(
    checkpoint: Record,
    where: str,
    public: ed25519.Ed25519PublicKey,
    expected_key: str,
    heads: dict[int, tuple[int, str, str | None]],
) -> LogProblem | None:
    """What is wrong with one well-formed checkpoint: its signature, or the record it signs."""
    sequence, head = checkpoint["sequence"], checkpoint["head"]
    if checkpoint.get("key") != expected_key or not _signed(public, checkpoint):
        message = f"{where}: the signature of the checkpoint of record {sequence} "
        message += "is not good under this public key (forged, or signed by another key)"
        return LogProblem(0, None, "bad-signature", message)
    found = heads.get(sequence)
    if found is None:
        message = f"{where}: record {sequence}, signed at {checkpoint['time']}, is gone "
        message += "(the log was cut short or rewritten)"
        return LogProblem(0, None, "checkpoint-mismatch", message)
    if found[1] != head:
        message = (
            f"{where}: record {sequence} no longer matches its checkpoint signed at "
            f"{checkpoint['time']}: it, or a record before it, was rewritten"
        )
        return LogProblem(found[0], found[2], "checkpoint-mismatch", message)
    return None


def _signed(public: ed25519.Ed25519PublicKey, checkpoint: Record) -> bool:
    try:
        signature = base64.b64decode(str(checkpoint.get("signature", "")), validate=True)
        public.verify(signature, _signed_part(checkpoint))
    except (
        crypto_errors.InvalidSignature,
        ValueError,
        TypeError,
        UnicodeEncodeError,
        RecursionError,
    ):
        return False
    return True


def _heads(store: Store) -> dict[int, tuple[int, str, str | None]]:
    """Sequence number -> (line number, line hash, record id) of every record line.

    The first line with a given sequence number counts: a duplicate after it is for the
    chain check to report."""
    heads: dict[int, tuple[int, str, str | None]] = {}
    for line in store.lines():
        if line.torn or not line.data:
            continue
        try:
            record = json.loads(line.data)
        except (ValueError, RecursionError):
            continue
        sequence = record.get("sequence") if isinstance(record, dict) else None
        if is_sequence(sequence) and sequence not in heads:
            record_id = record.get("record")
            heads[sequence] = (
                line.number,
                line_hash(line.data),
                record_id if isinstance(record_id, str) else None,
            )
    return heads


def _read_checkpoints(store: Store) -> Iterator[tuple[int, Record | None, str]]:
    """(number, checkpoint or None, why not) for each of the store's checkpoints."""
    for number, raw in store.checkpoint_lines():
        try:
            value = json.loads(raw)
        except (ValueError, RecursionError):
            yield number, None, "not a checkpoint (not JSON)"
            continue
        if not (
            isinstance(value, dict)
            and value.get("format") == CHECKPOINT_FORMAT
            and is_sequence(value.get("sequence"))
            and isinstance(value.get("head"), str)
            and isinstance(value.get("time"), str)
        ):
            yield number, None, "not a checkpoint (fields missing or of the wrong kind)"
            continue
        yield number, value, ""
