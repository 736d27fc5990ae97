"""A full disk during an audit append: AuditLogError (exit 2), the log as it was, and
appends that work again once there is room."""

from __future__ import annotations

import errno
import os
import shutil
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import psycopg
import pytest

import healthkb
from healthkb.audit import file_store as audit_log
from healthkb.audit.postgres_store import PostgresStore
from healthkb.cli import main


class _DiskFillsAfter:
    """`os.write` on a disk with `room` bytes left: a short write, then ENOSPC."""

    def __init__(self, room: int) -> None:
        self.room = room

    def __call__(self, fd: int, data: bytes | memoryview) -> int:
        if self.room <= 0:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        written = os.write(fd, bytes(data[: self.room]))
        self.room -= written
        return written


@pytest.fixture
def mini(make_kb) -> healthkb.KnowledgeBase:
    return healthkb.load(make_kb())


def test_a_full_disk_mid_record_cuts_the_partial_record_off_and_logging_resumes(
    mini, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = healthkb.AuditLog(tmp_path / "audit.jsonl")
    mini.evaluate({"walk": {"sessions": 4}}, audit=log)
    before = log.path.read_bytes()

    class _Os:  # the module's `os`, with a disk that fills 100 bytes into the record
        def __getattr__(self, name: str) -> object:
            return getattr(os, name)

    full = _Os()
    full.write = _DiskFillsAfter(100)  # type: ignore[attr-defined]
    monkeypatch.setattr(audit_log, "os", full)
    with pytest.raises(healthkb.AuditLogError) as caught:
        mini.evaluate({"walk": {"tired": True}}, audit=log)
    assert str(caught.value) == (
        f"{log.path}: cannot write the audit record (No space left on device); not logged, "
        "and the log is as it was before"
    )
    assert log.path.read_bytes() == before

    monkeypatch.setattr(audit_log, "os", os)  # room again
    mini.evaluate({"walk": {"sessions": 5}}, audit=log)
    verification = log.verify()
    assert (verification.ok, verification.records) == (True, 2)


def test_a_full_disk_gives_exit_2_and_a_message_not_a_traceback(
    mini, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    profile = tmp_path / "p.yaml"
    profile.write_text("walk: {sessions: 4}\n")
    log = tmp_path / "audit.jsonl"
    monkeypatch.setattr(audit_log.os, "fsync", _no_room)
    code = main(["evaluate", str(profile), "--kb", str(mini.content.root), "--audit-log", str(log)])
    assert (code, capsys.readouterr().err) == (
        2,
        f"healthkb: {log}: cannot write the audit record (No space left on device); not "
        "logged, and the log is as it was before\n",
    )
    assert log.read_bytes() == b""


def _no_room(fd: int) -> None:
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def _can_mount_tmpfs() -> bool:
    if shutil.which("unshare") is None or not hasattr(os, "geteuid"):
        return False
    probe = ["unshare", "--mount", "sh", "-c", "mount -t tmpfs -o size=64k none /mnt"]
    return subprocess.run(probe, capture_output=True, check=False).returncode == 0


# A real full disk: a 128 kB tmpfs in a mount namespace of its own (gone with the process).
_ON_A_SMALL_DISK = """
import os, sys
import healthkb
kb = healthkb.load(sys.argv[1])
folder = sys.argv[2]
log = healthkb.AuditLog(os.path.join(folder, "audit.jsonl"))
kb.evaluate({"walk": {"sessions": 4}}, audit=log)
before = open(log.path, "rb").read()
filler = os.path.join(folder, "filler")
fd = os.open(filler, os.O_WRONLY | os.O_CREAT)
try:
    while True:
        os.write(fd, b"x" * 4096)
except OSError:
    pass
os.close(fd)
os.truncate(filler, os.path.getsize(filler) - 2048)  # 2 kB left: less than one record
try:
    kb.evaluate({"walk": {"tired": True}}, audit=log)
except healthkb.AuditLogError as error:
    print("refused:", str(error).split(": ", 1)[1])
assert open(log.path, "rb").read() == before, "the log changed"
os.remove(filler)
kb.evaluate({"walk": {"sessions": 5}}, audit=log)
print("verified:", log.verify().ok, log.verify().records)
"""


@pytest.mark.skipif(not _can_mount_tmpfs(), reason="cannot mount a tmpfs in a mount namespace")
def test_a_really_full_tmpfs_refuses_the_record_and_logs_again_once_freed(mini) -> None:
    script = f'mount -t tmpfs -o size=128k none /mnt && {sys.executable} -c "$0" "$@"'
    done = subprocess.run(
        [
            "unshare",
            "--mount",
            "sh",
            "-c",
            script,
            textwrap.dedent(_ON_A_SMALL_DISK),
            str(mini.content.root),
            "/mnt",
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == (
        "refused: cannot write the audit record (No space left on device); not logged, "
        "and the log is as it was before\n"
        "verified: True 2\n"
    )


# --- the database stores ---------------------------------------------------------------
#
# SQLite: `PRAGMA max_page_count` set to the file's size on every connection the store
# opens makes SQLite itself answer SQLITE_FULL ("database or disk is full"), as a full
# disk does, without a small disk; where a tmpfs can be mounted, a really full one too.
# PostgreSQL: a full disk cannot be made unprivileged (no tablespace quota), so only the
# message its error (DiskFull, SQLSTATE 53100) becomes is checked, and that the
# transaction it ends is rolled back is PostgreSQL's own guarantee.


@pytest.fixture
def sqlite_cannot_grow(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every SQLite connection opened from now on cannot grow its database."""
    real = sqlite3.connect

    def connect(*args: object, **kwargs: object) -> sqlite3.Connection:
        connection = real(*args, **kwargs)  # type: ignore[arg-type]
        pages = connection.execute("PRAGMA page_count").fetchone()[0]
        connection.execute(f"PRAGMA max_page_count = {max(pages, 1)}")
        return connection

    monkeypatch.setattr(sqlite3, "connect", connect)


def test_a_full_sqlite_store_refuses_the_record_keeps_every_acknowledged_one_and_resumes(
    mini, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> None:
    store = f"sqlite:///{tmp_path / 'audit.db'}"
    acknowledged = [
        mini.evaluate({"walk": {"sessions": n}}, audit=healthkb.AuditLog(store)).audit_record_id
        for n in (3, 4)
    ]
    request.getfixturevalue("sqlite_cannot_grow")
    with pytest.raises(healthkb.AuditLogError) as refused:
        mini.evaluate({"walk": {"tired": True}}, audit=healthkb.AuditLog(store))
    assert str(refused.value) == (
        f"{store}: cannot write the audit record (database or disk is full); not logged, "
        "and the store is as it was before"
    )
    monkeypatch.undo()  # room again
    log = healthkb.AuditLog(store)
    assert [record["record"] for _, record in log.records()] == acknowledged
    mini.evaluate({"walk": {"sessions": 5}}, audit=log)
    verification = log.verify()
    assert (verification.ok, verification.records) == (True, 3)


def test_a_full_sqlite_store_is_exit_2_and_a_message_on_the_command_line(
    mini, tmp_path: Path, request: pytest.FixtureRequest, capsys: pytest.CaptureFixture[str]
) -> None:
    store = f"sqlite:///{tmp_path / 'audit.db'}"
    for n in (3, 4):  # the store holds records
        mini.evaluate({"walk": {"sessions": n}}, audit=healthkb.AuditLog(store))
    request.getfixturevalue("sqlite_cannot_grow")  # and cannot grow
    profile = tmp_path / "p.yaml"
    profile.write_text("walk: {sessions: 4}\n")
    root = str(mini.content.root)
    code = main(["evaluate", str(profile), "--kb", root, "--audit-log", store])
    assert (code, capsys.readouterr().err) == (
        2,
        f"healthkb: {store}: cannot write the audit record (database or disk is full); "
        "not logged, and the store is as it was before\n",
    )


def test_a_store_that_cannot_even_be_created_on_a_full_disk_is_a_clear_message(
    tmp_path: Path, sqlite_cannot_grow: None
) -> None:
    store = f"sqlite:///{tmp_path / 'audit.db'}"
    with pytest.raises(healthkb.AuditLogError) as refused:
        healthkb.AuditLog(store).open()  # what `serve` does before it starts
    assert str(refused.value) == (
        f"{store}: cannot open the audit store (database or disk is full); not logged, and "
        "the store is as it was before"
    )


def test_a_full_disk_under_postgresql_is_the_same_clear_message() -> None:
    store = PostgresStore("postgresql://audit:secret@127.0.0.1:1/audit")
    full = psycopg.errors.DiskFull(
        'could not extend file "base/16384/16390": No space left on device'
    )
    assert str(store._error(full, "write the audit record")) == (
        "postgresql://audit:***@127.0.0.1:1/audit: cannot write the audit record (could not "
        'extend file "base/16384/16390": No space left on device); not logged, and the '
        "store is as it was before"
    )


_SQLITE_ON_A_SMALL_DISK = """
import os, sys
import healthkb
kb = healthkb.load(sys.argv[1])
folder = sys.argv[2]
store = "sqlite:///" + os.path.join(folder, "audit.db")
first = kb.evaluate({"walk": {"sessions": 4}}, audit=healthkb.AuditLog(store)).audit_record_id
filler = os.path.join(folder, "filler")
fd = os.open(filler, os.O_WRONLY | os.O_CREAT)
try:
    while True:
        os.write(fd, b"x" * 4096)
except OSError:
    pass
os.close(fd)
try:
    kb.evaluate({"walk": {"tired": True}}, audit=healthkb.AuditLog(store))
    print("logged on a full disk")
except healthkb.AuditLogError as error:
    print("refused:", "not logged, and the store is as it was before" in str(error))
os.remove(filler)
log = healthkb.AuditLog(store)
print("kept:", [record["record"] for _, record in log.records()] == [first])
kb.evaluate({"walk": {"sessions": 5}}, audit=log)
print("verified:", log.verify().ok, log.verify().records)
"""


@pytest.mark.skipif(not _can_mount_tmpfs(), reason="cannot mount a tmpfs in a mount namespace")
def test_a_really_full_tmpfs_refuses_the_sqlite_record_and_logs_again_once_freed(mini) -> None:
    script = f'mount -t tmpfs -o size=1m none /mnt && {sys.executable} -c "$0" "$@"'
    done = subprocess.run(
        [
            *("unshare", "--mount", "sh", "-c", script),
            *(textwrap.dedent(_SQLITE_ON_A_SMALL_DISK), str(mini.content.root), "/mnt"),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "refused: True\nkept: True\nverified: True 2\n"
