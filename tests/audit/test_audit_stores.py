"""Audit stores: the same chain, records, hashes and checkpoints in a JSON Lines file,
an SQLite file and a PostgreSQL database; appends serialised across processes; bad
stores refused with a clear message."""

from __future__ import annotations

import json
import multiprocessing
import sqlite3
import threading
from pathlib import Path

import psycopg
import pytest

import healthkb
from healthkb.audit.chain import canonical, line_hash
from healthkb.audit.checkpoints import generate_keys
from healthkb.cli import main
from support.postgres_server import PostgresServer

PROFILES = [
    {"walk": {"sessions": 4}},
    {"walk": {"tired": True}},
    {"walk": {"sessions": 1}},
]


@pytest.fixture
def mini(make_kb) -> healthkb.KnowledgeBase:
    return healthkb.load(make_kb())


@pytest.fixture(params=["file", "sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The location of an empty store of each kind."""
    if request.param == "file":
        return str(tmp_path / "audit.jsonl")
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'audit.db'}"
    url: str = request.getfixturevalue("postgres_url")
    return url


def test_every_store_keeps_a_chain_that_verifies_and_finds_its_records(mini, store: str) -> None:
    log = healthkb.AuditLog(store)
    results = [mini.evaluate(profile, audit=log) for profile in PROFILES]
    verification = log.verify()
    assert (verification.ok, verification.records) == (True, 3)
    records = [record for _, record in log.records()]
    assert [r["record"] for r in records] == [r.audit_record_id for r in results]
    assert verification.head == line_hash(canonical(records[-1]))
    assert records[1]["previous"] == line_hash(canonical(records[0]))
    assert log.find(results[2].audit_record_id)["profile"] == {"walk": {"sessions": 1}}
    card = results[0].to_cds_cards()["cards"][0]["uuid"]
    assert log.locate(card.upper())[0]["record"] == results[0].audit_record_id


def test_checkpoints_in_every_store_verify_with_the_public_key(
    mini, store: str, tmp_path: Path
) -> None:
    private, public = generate_keys(tmp_path / "keys")
    log = healthkb.AuditLog(store, checkpoint_key=private, checkpoint_every=2)
    for profile in PROFILES:
        mini.evaluate(profile, audit=log)
    log.checkpoint()
    check = log.verify_checkpoints(public)
    assert (check.ok, check.checkpoints, check.last) == (True, 2, 3)


def _edit_second_record(store: str, edit: str) -> None:
    """Change the profile of record 2 as someone with write access to the database would."""
    if store.startswith("sqlite:///"):
        connection = sqlite3.connect(store.removeprefix("sqlite:///"))
        (line,) = connection.execute(
            "SELECT line FROM healthkb_audit_records WHERE sequence = 2"
        ).fetchone()
        connection.execute(
            "UPDATE healthkb_audit_records SET line = ? WHERE sequence = 2",
            (line.replace('"tired":true', edit),),
        )
        connection.commit()
        connection.close()
    else:
        with psycopg.connect(store) as connection:
            connection.execute(
                "UPDATE healthkb_audit_records SET line = replace(line, '\"tired\":true', %s) "
                "WHERE sequence = 2",
                (edit,),
            )


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_an_edited_row_in_a_database_store_is_found(mini, kind: str, tmp_path: Path, request):
    store = (
        f"sqlite:///{tmp_path / 'audit.db'}"
        if kind == "sqlite"
        else request.getfixturevalue("postgres_url")
    )
    log = healthkb.AuditLog(store)
    for profile in PROFILES:
        mini.evaluate(profile, audit=log)
    _edit_second_record(store, '"tired":false')
    problem = log.verify().problem
    assert problem is not None
    assert (problem.line, problem.code) == (2, "edited-record")


THREADS, PER_THREAD, PROCESSES = 3, 4, 3


def _append_from_threads(root: str, store: str, worker: int) -> None:
    kb = healthkb.load(root)
    log = healthkb.AuditLog(store)

    def run(thread: int) -> None:
        for n in range(PER_THREAD):
            kb.evaluate({"walk": {"sessions": (worker * 7 + thread * 3 + n) % 15}}, audit=log)

    threads = [threading.Thread(target=run, args=(t,)) for t in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_many_processes_and_threads_append_one_clean_chain_to_a_database(
    make_kb, kind: str, tmp_path: Path, request
) -> None:
    store = (
        f"sqlite:///{tmp_path / 'audit.db'}"
        if kind == "sqlite"
        else request.getfixturevalue("postgres_url")
    )
    root = str(make_kb())
    context = multiprocessing.get_context("spawn")
    workers = [
        context.Process(target=_append_from_threads, args=(root, store, w))
        for w in range(PROCESSES)
    ]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=120)
    assert [w.exitcode for w in workers] == [0] * PROCESSES
    total = PROCESSES * THREADS * PER_THREAD
    verification = healthkb.AuditLog(store).verify()
    assert (verification.ok, verification.records) == (True, total), verification.problem


# --- stores that cannot be used --------------------------------------------------------


def _verify_exit(store: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(["audit", "verify", store])
    return code, capsys.readouterr().err


def test_an_unreachable_database_is_a_clear_message_and_exit_2(capsys) -> None:
    code, err = _verify_exit("postgresql://auditor:secret@127.0.0.1:1/audit", capsys)
    assert code == 2
    assert err.startswith(
        "healthkb: postgresql://auditor:***@127.0.0.1:1/audit: cannot connect to the audit "
        "store (connection failed: "
    )
    assert "secret" not in err and "Traceback" not in err


def test_wrong_credentials_are_a_clear_message_and_exit_2(postgres: PostgresServer, capsys) -> None:
    code, err = _verify_exit(postgres.url(password="wrong"), capsys)
    assert code == 2
    assert "cannot connect to the audit store" in err
    assert "password authentication failed" in err
    assert "wrong" not in err


def test_a_store_written_by_a_newer_schema_is_refused(mini, tmp_path: Path, capsys) -> None:
    store = f"sqlite:///{tmp_path / 'audit.db'}"
    mini.evaluate(PROFILES[0], audit=healthkb.AuditLog(store))
    connection = sqlite3.connect(tmp_path / "audit.db")
    connection.execute("UPDATE healthkb_audit_schema SET version = 99")
    connection.commit()
    connection.close()
    code, err = _verify_exit(store, capsys)
    assert (code, err) == (
        2,
        f"healthkb: {store}: written by a newer healthkb (store schema 99; this one knows "
        "schema 1): upgrade healthkb to read or append to it\n",
    )
    with pytest.raises(healthkb.AuditLogError, match="written by a newer healthkb"):
        mini.evaluate(PROFILES[0], audit=healthkb.AuditLog(store))


def test_a_missing_sqlite_store_is_not_created_by_reading_it(tmp_path: Path, capsys) -> None:
    code, err = _verify_exit(f"sqlite:///{tmp_path / 'none.db'}", capsys)
    assert code == 2
    assert "no such audit store" in err
    assert not (tmp_path / "none.db").exists()


def test_an_unknown_kind_of_store_is_named(capsys) -> None:
    code, err = _verify_exit("mysql://auditor@db/audit", capsys)
    assert (code, err) == (
        2,
        "healthkb: mysql://auditor@db/audit: unknown kind of audit store `mysql://` (give a "
        "file path, sqlite:///PATH or postgresql://USER@HOST/DATABASE)\n",
    )


def test_serve_refuses_to_start_when_the_store_cannot_be_opened(capsys) -> None:
    code = main(["serve", "--port", "0", "--audit-log", "postgresql://a:b@127.0.0.1:1/x"])
    assert code == 2
    assert "cannot connect to the audit store" in capsys.readouterr().err


def test_records_in_every_store_are_the_same_json(mini, tmp_path: Path, request) -> None:
    """A record's line is the same whichever store keeps it (only ids and times differ)."""
    stores = [
        str(tmp_path / "a.jsonl"),
        f"sqlite:///{tmp_path / 'a.db'}",
        request.getfixturevalue("postgres_url"),
    ]
    shapes = []
    for store in stores:
        log = healthkb.AuditLog(store)
        mini.evaluate(PROFILES[1], audit=log)
        ((_, record),) = log.records()
        shapes.append(
            json.dumps({k: v for k, v in record.items() if k not in {"record", "time", "hash"}})
        )
    assert shapes[0] == shapes[1] == shapes[2]


# --- audit copy ------------------------------------------------------------------------


def test_a_chain_copied_through_sqlite_and_postgresql_comes_back_byte_for_byte(
    mini, tmp_path: Path, postgres_url: str, capsys
) -> None:
    private, public = generate_keys(tmp_path / "keys")
    original = tmp_path / "audit.jsonl"
    log = healthkb.AuditLog(original, checkpoint_key=private, checkpoint_every=2)
    for profile in PROFILES:
        mini.evaluate(profile, audit=log)
    sqlite_store, back = f"sqlite:///{tmp_path / 'audit.db'}", tmp_path / "back.jsonl"
    for source, target in (
        (str(original), sqlite_store),
        (sqlite_store, postgres_url),
        (postgres_url, str(back)),
    ):
        assert main(["audit", "copy", source, target]) == 0
        out = capsys.readouterr().out
        assert out.startswith("copied 3 record(s) and 1 checkpoint(s) from ")
        assert "; the copy verifies, head sha256:" in out
        assert "audit-store-test" not in out  # the password is never printed
    assert back.read_bytes() == original.read_bytes()
    assert Path(f"{back}.checkpoints").read_bytes() == Path(f"{original}.checkpoints").read_bytes()
    assert healthkb.AuditLog(postgres_url).verify_checkpoints(public).ok


def test_copy_refuses_a_source_that_does_not_verify_and_a_target_that_is_not_empty(
    mini, tmp_path: Path, capsys
) -> None:
    source = tmp_path / "audit.jsonl"
    for profile in PROFILES:
        mini.evaluate(profile, audit=healthkb.AuditLog(source))
    target = f"sqlite:///{tmp_path / 'audit.db'}"
    assert main(["audit", "copy", str(source), target]) == 0
    capsys.readouterr()
    assert main(["audit", "copy", str(source), target]) == 2
    assert capsys.readouterr().err == (
        f"healthkb: {target}: already holds records; copy only into an empty store\n"
    )
    lines = source.read_bytes().splitlines(keepends=True)
    source.write_bytes(lines[0] + lines[2])
    assert main(["audit", "copy", str(source), f"sqlite:///{tmp_path / 'other.db'}"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"healthkb: {source}: does not verify (line 2 (record ")
    assert err.endswith("record 2 is missing (deleted)); nothing copied\n")
