"""The audit log: complete records, a hash chain that shows every kind of tampering,
and appends that stay sound under several threads and processes."""

from __future__ import annotations

import json
import multiprocessing
import threading
from pathlib import Path

import pytest

import healthkb
from healthkb.audit import chain as auditchain
from healthkb.audit.log import GENESIS, LogProblem, line_hash, record_hash
from healthkb.render import result_json

PROFILES = [
    {"walk": {"sessions": 4}},
    {"walk": {"tired": True}},
    {"walk": {"sessions": 1}},
    {"walk": {"sessions": 3, "tired": True}},
    {"walk": {"sessions": 5}},
]


@pytest.fixture
def mini(make_kb) -> healthkb.KnowledgeBase:
    return healthkb.load(make_kb())


@pytest.fixture
def log_of_five(mini, tmp_path: Path) -> Path:
    log = healthkb.AuditLog(tmp_path / "audit.jsonl")
    for profile in PROFILES:
        mini.evaluate(profile, audit=log)
    return log.path


def lines_of(path: Path) -> list[bytes]:
    return path.read_bytes().splitlines(keepends=True)


def record_at(path: Path, line: int) -> dict:
    return json.loads(lines_of(path)[line - 1])


def test_a_record_holds_everything_needed_to_see_why(mini, tmp_path: Path) -> None:
    log = healthkb.AuditLog(tmp_path / "audit.jsonl")
    result = mini.evaluate({"walk": {"sessions": 4, "tired": True}}, audit=log)
    record = record_at(log.path, 1)
    assert record["record"] == result.audit_record_id
    assert record["sequence"] == 1
    assert record["previous"] == GENESIS
    assert record["time"].endswith("Z")
    assert record["kb"] == {"id": mini.id, "version": mini.version, "digest": mini.digest}
    assert set(record["software"]) == {"healthkb", "durable_rules", "pydantic", "python"}
    assert record["profile"] == {"walk": {"sessions": 4, "tired": True}}
    assert record["result"] == result.model_dump(mode="json")
    assert record["explanations"] == {
        c: result.explain(c).to_dict() for c in ("rest", "walking_may_help")
    }
    assert record["hash"] == record_hash(record)


def test_each_record_links_to_the_line_before_it(log_of_five: Path) -> None:
    lines = lines_of(log_of_five)
    records = [json.loads(line) for line in lines]
    assert [r["sequence"] for r in records] == [1, 2, 3, 4, 5]
    assert [r["previous"] for r in records] == [
        GENESIS,
        *(line_hash(line.rstrip(b"\n")) for line in lines[:-1]),
    ]


def test_logging_leaves_the_result_dump_deterministic(mini, tmp_path: Path) -> None:
    log = healthkb.AuditLog(tmp_path / "audit.jsonl")
    logged = mini.evaluate({"walk": {"sessions": 4}}, audit=log)
    plain = mini.evaluate({"walk": {"sessions": 4}})
    assert plain.audit_record_id is None
    assert logged.audit_record_id is not None
    assert result_json(logged) == result_json(plain)


def test_a_clean_log_verifies_with_its_head_hash(log_of_five: Path) -> None:
    verification = healthkb.AuditLog(log_of_five).verify()
    assert verification.ok
    assert verification.records == 5
    assert verification.head == line_hash(lines_of(log_of_five)[-1].rstrip(b"\n"))


def test_an_empty_log_verifies_with_the_genesis_head(tmp_path: Path) -> None:
    (tmp_path / "empty.jsonl").write_bytes(b"")
    verification = healthkb.AuditLog(tmp_path / "empty.jsonl").verify()
    assert (verification.ok, verification.records, verification.head) == (True, 0, GENESIS)


# --- tampering -----------------------------------------------------------------------


def problem_of(path: Path) -> LogProblem:
    verification = healthkb.AuditLog(path).verify()
    assert verification.problem is not None
    return verification.problem


def test_an_edited_value_is_found_at_the_edited_record(log_of_five: Path) -> None:
    lines = lines_of(log_of_five)
    edited = lines[2].replace(b'"sessions":1', b'"sessions":4')
    assert edited != lines[2]
    log_of_five.write_bytes(b"".join([*lines[:2], edited, *lines[3:]]))
    problem = problem_of(log_of_five)
    assert (problem.line, problem.code) == (3, "edited-record")
    assert problem.record == record_at(log_of_five, 3)["record"]


def test_an_edit_with_a_recomputed_hash_breaks_the_next_link(log_of_five: Path) -> None:
    lines = lines_of(log_of_five)
    record = json.loads(lines[2])
    record["profile"] = {"walk": {"sessions": 4}}
    record["hash"] = record_hash(record)
    forged = json.dumps(record, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    log_of_five.write_bytes(b"".join([*lines[:2], forged.encode() + b"\n", *lines[3:]]))
    problem = problem_of(log_of_five)
    assert (problem.line, problem.code) == (4, "broken-chain")
    assert "the record before it was edited or replaced" in problem.message


def test_a_deleted_record_is_found_where_it_is_missing(log_of_five: Path) -> None:
    lines = lines_of(log_of_five)
    log_of_five.write_bytes(b"".join([*lines[:2], *lines[3:]]))
    problem = problem_of(log_of_five)
    assert (problem.line, problem.code) == (3, "broken-chain")
    assert problem.record == json.loads(lines[3])["record"]
    assert "record 3 is missing (deleted)" in problem.message


def test_two_swapped_records_are_found_at_the_first_of_them(log_of_five: Path) -> None:
    lines = lines_of(log_of_five)
    log_of_five.write_bytes(b"".join([lines[0], lines[2], lines[1], *lines[3:]]))
    problem = problem_of(log_of_five)
    assert (problem.line, problem.code) == (2, "broken-chain")
    assert problem.record == json.loads(lines[2])["record"]
    assert "record 2 is at line 3 (reordered)" in problem.message


def test_several_deleted_records_are_named_as_a_range(log_of_five: Path) -> None:
    lines = lines_of(log_of_five)
    log_of_five.write_bytes(b"".join([lines[0], lines[3], lines[4]]))
    problem = problem_of(log_of_five)
    assert (problem.line, problem.code) == (2, "broken-chain")
    assert problem.message.endswith("records 2 to 3 are missing (deleted)")


def test_a_torn_last_line_is_reported_and_never_appended_after(mini, log_of_five: Path) -> None:
    lines = lines_of(log_of_five)
    torn = b"".join([*lines[:4], lines[4][: len(lines[4]) // 2]])
    log_of_five.write_bytes(torn)
    problem = problem_of(log_of_five)
    assert (problem.line, problem.code) == (5, "torn-line")
    with pytest.raises(healthkb.AuditLogError, match="torn"):
        mini.evaluate({"walk": {"sessions": 4}}, audit=healthkb.AuditLog(log_of_five))
    assert log_of_five.read_bytes() == torn


def test_a_line_cut_short_in_the_middle_is_malformed(log_of_five: Path) -> None:
    lines = lines_of(log_of_five)
    log_of_five.write_bytes(b"".join([*lines[:2], lines[2][:40] + b"\n", *lines[3:]]))
    problem = problem_of(log_of_five)
    assert (problem.line, problem.record, problem.code) == (3, None, "malformed-record")


def test_deleting_the_last_record_changes_the_head_hash(log_of_five: Path) -> None:
    # A chain cannot show its own tail was cut: auditors keep the head hash elsewhere.
    head = healthkb.AuditLog(log_of_five).verify().head
    log_of_five.write_bytes(b"".join(lines_of(log_of_five)[:-1]))
    shortened = healthkb.AuditLog(log_of_five).verify()
    assert shortened.ok
    assert (shortened.records, shortened.head != head) == (4, True)


def test_appending_after_a_damaged_last_record_is_refused(mini, log_of_five: Path) -> None:
    with log_of_five.open("ab") as handle:
        handle.write(b"not json\n")
    with pytest.raises(healthkb.AuditLogError, match="not a record"):
        mini.evaluate({"walk": {"sessions": 4}}, audit=healthkb.AuditLog(log_of_five))


def test_a_duplicated_record_is_named_as_a_duplicate(log_of_five: Path) -> None:
    lines = lines_of(log_of_five)
    log_of_five.write_bytes(b"".join([*lines[:3], lines[2], *lines[3:]]))
    problem = problem_of(log_of_five)
    assert (problem.line, problem.code) == (4, "broken-chain")
    assert problem.message.endswith(": duplicated record (same as record 3 at line 3)")
    log_of_five.write_bytes(b"".join([*lines, lines[0]]))
    problem = problem_of(log_of_five)
    assert (problem.line, problem.code) == (6, "broken-chain")
    assert problem.message.endswith(": duplicated record (same as record 1 at line 1)")


def test_a_log_converted_to_crlf_line_endings_is_named_so(mini, log_of_five: Path) -> None:
    written = log_of_five.read_bytes()
    converted = written.replace(b"\n", b"\r\n")
    log_of_five.write_bytes(converted)
    problem = problem_of(log_of_five)
    assert (problem.line, problem.code) == (1, "crlf-line-ending")
    assert problem.message.startswith(
        "the line ends in CRLF (\\r\\n), not LF (\\n) as written: the file was converted to "
        "CRLF line endings"
    )
    with pytest.raises(healthkb.AuditLogError, match="it ends in CRLF: the file was converted"):
        mini.evaluate({"walk": {"sessions": 4}}, audit=healthkb.AuditLog(log_of_five))
    assert log_of_five.read_bytes() == converted
    log_of_five.write_bytes(converted.replace(b"\r\n", b"\n"))
    assert healthkb.AuditLog(log_of_five).verify().ok


def test_a_blank_line_is_named_as_such_at_the_end_and_between_records(
    mini, log_of_five: Path
) -> None:
    lines = lines_of(log_of_five)
    log_of_five.write_bytes(b"".join([*lines, b"\n"]))
    problem = problem_of(log_of_five)
    assert (problem.line, problem.record, problem.code) == (6, None, "blank-line")
    assert problem.message == (
        "blank line at the end: the log must end with its last record's newline"
    )
    with pytest.raises(
        healthkb.AuditLogError, match=r"the last line is not a record \(it is blank"
    ):
        mini.evaluate({"walk": {"sessions": 4}}, audit=healthkb.AuditLog(log_of_five))
    log_of_five.write_bytes(b"".join([*lines[:2], b"\n", *lines[2:]]))
    problem = problem_of(log_of_five)
    assert (problem.line, problem.code) == (3, "blank-line")
    assert problem.message == "blank line between records: the log must hold only records"


DEEP = b"[" * 100_000 + b"]" * 100_000


def test_a_deeply_nested_line_is_a_malformed_record_not_a_crash(mini, log_of_five: Path) -> None:
    with log_of_five.open("ab") as handle:
        handle.write(DEEP + b"\n")
    problem = problem_of(log_of_five)
    assert (problem.line, problem.record, problem.code) == (6, None, "malformed-record")
    assert problem.message == (
        "the line's JSON is nested too deeply to read (no record nests this deep)"
    )
    log = healthkb.AuditLog(log_of_five)
    with pytest.raises(healthkb.AuditLogError, match=":6: malformed-record: the line's JSON"):
        list(log.records())
    with pytest.raises(healthkb.AuditLogError, match="nested too deeply"):
        log.find("no-such-record")
    assert log.find(record_at(log_of_five, 5)["record"])["sequence"] == 5
    before = log_of_five.read_bytes()
    with pytest.raises(healthkb.AuditLogError, match=r"the last line is not a record \(.*nested"):
        mini.evaluate({"walk": {"sessions": 4}}, audit=log)
    assert log_of_five.read_bytes() == before


def test_a_line_longer_than_a_record_may_be_is_reported_unread(mini, log_of_five: Path) -> None:
    size = auditchain.MAX_LINE_BYTES + 1
    with log_of_five.open("ab") as handle:
        handle.write(b"{" + b" " * (size - 1) + b"\n")
    problem = problem_of(log_of_five)
    assert (problem.line, problem.code) == (6, "malformed-record")
    assert problem.message == (
        f"the line is {size:,} bytes long, longer than a record may be "
        f"({auditchain.MAX_LINE_BYTES:,} bytes); it was not read"
    )
    with pytest.raises(
        healthkb.AuditLogError,
        match=r"last line is not a record \(it is longer than the 16,777,216 bytes",
    ):
        mini.evaluate({"walk": {"sessions": 4}}, audit=healthkb.AuditLog(log_of_five))


def test_a_record_too_long_to_read_back_is_never_written(
    mini, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(auditchain, "MAX_LINE_BYTES", 1000)
    log = healthkb.AuditLog(tmp_path / "audit.jsonl")
    with pytest.raises(
        healthkb.AuditLogError, match=r"longer than a record may be \(1,000 bytes\); not logged"
    ):
        mini.evaluate({"walk": {"sessions": 4}}, audit=log)
    assert log.path.read_bytes() == b""


def test_a_record_no_hash_can_match_is_reported_as_edited(log_of_five: Path) -> None:
    # A lone surrogate (`\ud800`) cannot be written as UTF-8 again, so no hash matches.
    lines = lines_of(log_of_five)
    record = json.loads(lines[1])
    record["time"] = "\ud800"
    forged = json.dumps(record, sort_keys=True, separators=(",", ":")).encode() + b"\n"
    log_of_five.write_bytes(b"".join([lines[0], forged, *lines[2:]]))
    problem = problem_of(log_of_five)
    assert (problem.line, problem.code) == (2, "edited-record")


def test_an_unwritable_log_is_an_audit_error(mini, tmp_path: Path) -> None:
    log = healthkb.AuditLog(tmp_path / "no-such-folder" / "audit.jsonl")
    with pytest.raises(healthkb.AuditLogError, match="cannot open the audit log"):
        mini.evaluate({"walk": {"sessions": 4}}, audit=log)


def test_find_names_a_missing_record(log_of_five: Path) -> None:
    with pytest.raises(healthkb.AuditLogError, match="no record or card with id nope"):
        healthkb.AuditLog(log_of_five).find("nope")


# --- concurrency ---------------------------------------------------------------------

THREADS, PER_THREAD = 5, 5


def _append_from_threads(root: str, log_path: str, worker: int) -> None:
    """One process: several threads sharing one AuditLog, each appending records."""
    kb = healthkb.load(root)
    log = healthkb.AuditLog(log_path)

    def run(thread: int) -> None:
        for n in range(PER_THREAD):
            sessions = (worker * THREADS * PER_THREAD + thread * PER_THREAD + n) % 15
            kb.evaluate({"walk": {"sessions": sessions}}, audit=log)

    threads = [threading.Thread(target=run, args=(t,)) for t in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def test_many_processes_and_threads_append_a_clean_chain(make_kb, tmp_path: Path) -> None:
    root, log_path = str(make_kb()), str(tmp_path / "audit.jsonl")
    processes = 4
    context = multiprocessing.get_context("spawn")
    workers = [
        context.Process(target=_append_from_threads, args=(root, log_path, w))
        for w in range(processes)
    ]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=120)
    assert [w.exitcode for w in workers] == [0] * processes

    total = processes * THREADS * PER_THREAD
    verification = healthkb.AuditLog(log_path).verify()
    assert (verification.ok, verification.records) == (True, total), verification.problem
    records = [r for _, r in healthkb.AuditLog(log_path).records()]
    assert [r["sequence"] for r in records] == list(range(1, total + 1))
    assert len({r["record"] for r in records}) == total
    sessions = sorted(r["profile"]["walk"]["sessions"] for r in records)
    assert sessions == sorted(n % 15 for n in range(total))


def test_the_module_example_runs() -> None:
    import doctest

    import healthkb.audit.log

    assert doctest.testmod(healthkb.audit.log).failed == 0
