"""`healthkb batch`: a population in, answers out in input order, on one core or many.

The answers are checked against evaluating each profile on its own; the process-pool
run against the one in this process, byte for byte.
"""

from __future__ import annotations

import datetime
import fcntl
import gzip
import hashlib
import json
import os
import pty
import select
import shutil
import signal
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path
from typing import Any

import pytest
from tests.benchmarks import population
from tests.support.fresh_python import run_fresh_python

import healthkb
from healthkb.audit.log import AuditLog, AuditLogError
from healthkb.batch import jsonlines
from healthkb.batch.answer_digest import sealed
from healthkb.batch.job import LINES_PER_CHUNK, run_batch
from healthkb.batch.jsonlines import MAX_LINE_BYTES
from healthkb.batch.runners import local_runners
from healthkb.cli import main
from healthkb.runtime.shipment import ShipmentError

HEALTHKB = str(Path(sys.executable).parent / "healthkb")


def read_answers(path: Path) -> list[dict[str, Any]]:
    opener = gzip.open if path.name.removesuffix(".partial").endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as file:
        return [json.loads(line) for line in file]


def expected_answer(kb: healthkb.KnowledgeBase, line: dict[str, Any]) -> dict[str, Any]:
    result = kb.evaluate(line["profile"])
    return {
        "id": line["id"],
        "kb_id": kb.id,
        "kb_version": kb.version,
        "kb_digest": kb.digest,
        "conclusions": [
            {
                "id": c.id,
                "kind": c.kind,
                "certainty": c.certainty,
                "rule": c.rule_id,
                "rule_version": c.rule_version,
                "evidence": c.evidence,
                **({"stale": True} if c.stale else {}),
            }
            for c in result.conclusions
        ],
    }


def test_batch_answers_carry_each_conclusions_evidence_and_stale_flag_as_evaluate_does(
    tmp_path: Path,
) -> None:
    overdue = healthkb.load(today=lambda: datetime.date(2027, 11, 30))  # past review_by
    people = population.write(tmp_path / "people.jsonl", 40)
    run_batch(people, tmp_path / "answers.jsonl", overdue, workers=1)
    lines = [json.loads(line) for line in people.read_text().splitlines()]
    answers = read_answers(tmp_path / "answers.jsonl")
    for answer in answers:
        del answer["answer_digest"]
    assert answers == [expected_answer(overdue, line) for line in lines]
    reached = [c for answer in answers for c in answer["conclusions"]]
    assert reached and all(c["stale"] is True for c in reached)
    assert {c["evidence"]["scale"] for c in reached} == {"OCEBM-2011-adapted"}


def test_answers_are_in_input_order_with_their_ids_and_match_one_by_one_evaluation(
    tmp_path: Path, kb: healthkb.KnowledgeBase
) -> None:
    people = population.write(tmp_path / "people.jsonl", 600)
    summary = run_batch(people, tmp_path / "answers.jsonl", kb, workers=1)
    assert (summary.lines, summary.refused, summary.evaluated) == (600, 0, 600)
    lines = [json.loads(line) for line in people.read_text().splitlines()]
    answers = read_answers(tmp_path / "answers.jsonl")
    # Each answer sealed with the digest of its own JSON, written before that key.
    for answer, written in zip(answers, (tmp_path / "answers.jsonl").open("rb"), strict=True):
        digest = answer.pop("answer_digest")
        before = written.rpartition(b',"answer_digest"')[0] + b"}"
        assert digest == "sha256:" + hashlib.sha256(before).hexdigest()
    assert answers == [expected_answer(kb, line) for line in lines]
    assert len({tuple(c["id"] for c in a["conclusions"]) for a in answers}) > 10


def test_two_worker_processes_write_the_same_bytes_as_this_process(
    tmp_path: Path, kb: healthkb.KnowledgeBase
) -> None:
    people = population.write(tmp_path / "people.jsonl", 3 * LINES_PER_CHUNK + 17)
    with people.open("a") as file:
        file.write('{"id": "bad", "profile": {"running": {"pace": 3}}}\n')
    run_batch(people, tmp_path / "one.jsonl", kb, workers=1)
    summary = run_batch(people, tmp_path / "two.jsonl", kb, workers=2, workers_after=0)
    assert summary.refused == 1
    assert (tmp_path / "two.jsonl").read_bytes() == (tmp_path / "one.jsonl").read_bytes()


def test_answers_in_another_language_carry_it_and_the_statements_evaluate_gives_in_it(
    tmp_path: Path, kb: healthkb.KnowledgeBase
) -> None:
    people = population.write(tmp_path / "people.jsonl", LINES_PER_CHUNK + 7)
    run_batch(people, tmp_path / "en.jsonl", kb, workers=1)
    run_batch(people, tmp_path / "zh.jsonl", kb, workers=1, lang="zh-Hans")
    run_batch(people, tmp_path / "zh2.jsonl", kb, workers=2, workers_after=0, lang="zh-Hans")
    assert (tmp_path / "zh2.jsonl").read_bytes() == (tmp_path / "zh.jsonl").read_bytes()
    lines = [json.loads(line) for line in people.read_text().splitlines()]
    english = read_answers(tmp_path / "en.jsonl")
    for line, answer, plain in zip(
        lines, read_answers(tmp_path / "zh.jsonl"), english, strict=True
    ):
        worded = kb.evaluate(line["profile"], lang="zh-Hans")
        assert answer.pop("language") == "zh-Hans"
        statements = [c.pop("statement") for c in answer["conclusions"]]
        assert statements == [c.statement for c in worded.conclusions]
        answer.pop("answer_digest"), plain.pop("answer_digest")
        assert answer == plain  # otherwise the same answer as without --lang


BAD_LINES = [
    ("not json", "invalid-json", None),
    ("[1, 2]", "invalid-line", None),
    ('{"profile": {}}', "invalid-id", None),
    ('{"id": true, "profile": {}}', "invalid-id", None),
    ('{"id": "no-profile"}', "missing-profile", "no-profile"),
    ('{"id": "extra", "profile": {}, "name": "x"}', "unknown-key", "extra"),
    ('{"id": 7, "profile": {"running": {"pace": 3}}}', "invalid-profile", 7),
    ('{"id": "nan", "profile": {"running": {"minutes_per_session": NaN}}}', "json-value", None),
    ('{"id": "twice", "id": "twice", "profile": {}}', "duplicate-key", None),
    ('{"id": "list", "profile": [1]}', "invalid-profile", "list"),
    ("", "empty-line", None),
    ('{"id": "\\ud800", "profile": {}}', None, "\ud800"),
]


def test_each_bad_line_is_answered_in_place_and_the_run_goes_on(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = '{"id": "good", "profile": {"symptoms": {"physical_discomfort": true}}}'
    text = "\n".join(line for bad in BAD_LINES for line in (bad[0], good)) + "\n"
    people = tmp_path / "people.jsonl"
    people.write_bytes(
        text.encode("utf-8", "surrogatepass")
        + b"\xff\xfe\n"
        + b"x" * (MAX_LINE_BYTES + 5)
        + b"\n"
        + good.encode()
    )
    out = tmp_path / "answers.jsonl"
    code = main(["batch", str(people), "--out", str(out), "--workers", "1", "--quiet"])
    answers = read_answers(out)
    assert len(answers) == 2 * len(BAD_LINES) + 3
    for number, answer in enumerate(answers, 1):
        if (number % 2 == 0 and number <= 2 * len(BAD_LINES)) or number == len(answers):
            assert answer["id"] == "good" and answer["conclusions"][0]["id"] == "stop_and_rest"
    refused = [(n, a) for n, a in enumerate(answers, 1) if "error" in a]
    expected = [(bad[1], bad[2]) for bad in BAD_LINES if bad[1]] + [
        ("invalid-json", None),
        ("line-too-long", None),
    ]
    assert [(a["error"]["code"], a.get("id")) for _, a in refused] == expected
    for number, answer in refused:
        assert answer["line"] == number
        problem = answer["error"]["problems"][0]
        assert (problem["file"], problem["line"]) == (str(people), number)
    assert code == 1
    assert f"{len(refused)} of {len(answers)} lines refused" in capsys.readouterr().err


def test_gzip_input_and_output_are_read_and_written_transparently(
    tmp_path: Path, kb: healthkb.KnowledgeBase
) -> None:
    people = population.write(tmp_path / "people.jsonl", 300)
    packed = tmp_path / "people.jsonl.gz"
    packed.write_bytes(gzip.compress(people.read_bytes()))
    run_batch(people, tmp_path / "plain.jsonl", kb)
    run_batch(packed, tmp_path / "answers.jsonl.gz", kb)
    assert (
        gzip.decompress((tmp_path / "answers.jsonl.gz").read_bytes())
        == (tmp_path / "plain.jsonl").read_bytes()
    )
    # A gzip input is recognised by its content, whatever its name.
    renamed = shutil.copy(packed, tmp_path / "people.data")
    run_batch(renamed, tmp_path / "again.jsonl", kb)
    assert (tmp_path / "again.jsonl").read_bytes() == (tmp_path / "plain.jsonl").read_bytes()


def test_standard_input_and_output_are_dashes(tmp_path: Path) -> None:
    lines = "".join(population.lines(40)).encode()
    command = [HEALTHKB, "batch", "-", "--out", "-", "--workers", "1"]
    plain = subprocess.run(command, input=lines, capture_output=True, check=True, cwd=tmp_path)
    packed = subprocess.run(
        command, input=gzip.compress(lines), capture_output=True, check=True, cwd=tmp_path
    )
    assert plain.stdout == packed.stdout
    answers = [json.loads(line) for line in plain.stdout.splitlines()]
    assert [a["id"] for a in answers] == [f"person-{n}" for n in range(1, 41)]
    # Nothing but the bundled-KB notice and the summary on a pipe: no progress bar.
    assert plain.stderr.decode().splitlines() == [
        "healthkb: using the bundled KB (no kb/kb.yaml in the current folder or above)",
        "healthkb: 40 profiles evaluated into standard output",
    ]


def partial_of(out: Path) -> Path:
    """Where a run writes the answers for `out` until it ends."""
    return out.with_name(out.name + ".partial")


def _killed_mid_run(command: list[str], out: Path, cwd: Path) -> None:
    """Start `command`, SIGKILL it once it has written some answers to `out` (a run's
    partial file) but not all."""
    process = subprocess.Popen(command, cwd=cwd, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        if out.exists() and out.stat().st_size > 0:
            break
        time.sleep(0.02)
    assert process.poll() is None, "the run finished before it could be interrupted"
    process.send_signal(signal.SIGKILL)
    process.wait()


@pytest.mark.parametrize("name", ["answers.jsonl", "answers.jsonl.gz"])
def test_a_run_killed_in_the_middle_resumes_to_the_same_output(
    tmp_path: Path, kb: healthkb.KnowledgeBase, name: str
) -> None:
    people = population.write(tmp_path / "people.jsonl", 8_000)
    out = tmp_path / name
    command = [HEALTHKB, "batch", str(people), "--out", str(out), "--workers", "1", "--quiet"]
    _killed_mid_run(command, partial_of(out), tmp_path)
    assert not out.exists()  # the output's name only ever holds a finished run
    partial = read_answers(partial_of(out))
    assert 0 < len(partial) < 8_000
    # Simulate the worst a crash can leave: a torn line (or gzip member) at the end.
    with partial_of(out).open("ab") as file:
        file.write(b'{"id":"person-' if name.endswith(".jsonl") else b"\x1f\x8b\x08\x00")
    resumed = subprocess.run([*command, "--resume"], cwd=tmp_path, capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stderr
    assert not partial_of(out).exists()
    run_batch(people, tmp_path / ("full" + name), kb)
    assert read_answers(out) == read_answers(tmp_path / ("full" + name))


def test_resume_refuses_an_output_written_for_another_input_or_kb(
    tmp_path: Path, kb: healthkb.KnowledgeBase, capsys: pytest.CaptureFixture[str]
) -> None:
    people = population.write(tmp_path / "people.jsonl", 20)
    others = population.write(tmp_path / "others.jsonl", 20, seed=3)
    lines = others.read_text().splitlines()
    others.write_text("\n".join([*lines[:4], lines[4].replace("person-5", "someone")]) + "\n")
    out = tmp_path / "answers.jsonl"
    run_batch(others, out, kb)
    args = ["batch", str(people), "--out", str(out), "--workers", "1", "--resume"]
    assert main(args) == 2
    assert 'answer 5 is for id "someone", but line 5 of' in capsys.readouterr().err
    run_batch(people, out, kb)
    # Another KB's answer, sealed as that KB's run would have sealed it.
    first, rest = out.read_bytes().split(b"\n", 1)
    answer = json.loads(first)
    answer["kb_digest"] = "sha256:" + "0" * 64
    del answer["answer_digest"]
    out.write_bytes(sealed(json.dumps(answer, separators=(",", ":")).encode()) + rest)
    text = out.read_text()
    assert main(args) == 2
    assert "answer 1 was evaluated with the KB sha256:000" in capsys.readouterr().err
    assert out.read_text() == text  # nothing written on a refusal


def test_resume_continues_only_in_the_language_the_kept_answers_are_worded_in(
    tmp_path: Path, kb: healthkb.KnowledgeBase, capsys: pytest.CaptureFixture[str]
) -> None:
    people = population.write(tmp_path / "people.jsonl", 20)
    out = tmp_path / "answers.jsonl"
    run_batch(people, out, kb, lang="zh-Hans")
    text = out.read_text()
    args = ["batch", str(people), "--out", str(out), "--workers", "1", "--resume"]
    assert main(args) == 2
    assert "answer 1 is worded in zh-Hans, but this run is without --lang" in (
        capsys.readouterr().err
    )
    assert main([*args, "--lang", "en"]) == 2  # the default language: as without --lang
    capsys.readouterr()
    assert out.read_text() == text
    assert main([*args, "--lang", "zh", "--quiet"]) == 0
    assert out.read_text() == text


def test_resume_refuses_an_answer_changed_since_it_was_written(
    tmp_path: Path, kb: healthkb.KnowledgeBase, capsys: pytest.CaptureFixture[str]
) -> None:
    people = tmp_path / "people.jsonl"
    people.write_text(
        '{"id": 1, "profile": {"symptoms": {"physical_discomfort": true}}}\n'
        '{"id": 2, "profile": {"symptoms": {"physical_discomfort": false}}}\n'
    )
    out = tmp_path / "answers.jsonl"
    run_batch(people, out, kb)
    lines = out.read_text().splitlines(keepends=True)
    # Someone's guidance quietly changed: "stop and rest" taken out of an answer.
    edited = lines[0].replace('{"id":"stop_and_rest"', '{"id":"keep_running"')
    assert edited != lines[0]
    out.write_text(edited + lines[1])
    args = ["batch", str(people), "--out", str(out), "--workers", "1", "--resume"]
    assert main(args) == 2
    assert capsys.readouterr().err == (
        f"healthkb: {out}: answer 1 does not match its answer_digest: it was changed after "
        "healthkb wrote it (or by a healthkb without answer digests); run without --resume "
        "to start afresh\n"
    )
    assert out.read_text() == edited + lines[1]


def test_resume_of_a_finished_run_changes_nothing_and_counts_its_refusals(
    tmp_path: Path, kb: healthkb.KnowledgeBase, capsys: pytest.CaptureFixture[str]
) -> None:
    people = population.write(tmp_path / "people.jsonl", 30)
    with people.open("a") as file:
        file.write("oops\n")
    out = tmp_path / "answers.jsonl"
    run_batch(people, out, kb)
    before = out.read_bytes()
    args = ["batch", str(people), "--out", str(out), "--workers", "1", "--resume"]
    assert main(args) == 1
    assert "1 of 31 lines refused (31 kept from the earlier run)" in capsys.readouterr().err
    assert out.read_bytes() == before


@pytest.mark.parametrize(
    "refused",
    [
        '{"id": "first", "id": "second", "profile": {}}',
        '{"id": "nan", "profile": {"running": {"minutes_per_session": NaN}}}',
        '{"id": "inf", "profile": {"running": {"minutes_per_session": -Infinity}}}',
    ],
)
def test_resume_keeps_the_answer_to_a_line_refused_as_strict_json_refuses_it(
    tmp_path: Path, kb: healthkb.KnowledgeBase, capsys: pytest.CaptureFixture[str], refused: str
) -> None:
    # Such a line is answered without an id (strict JSON refuses it), so the check of the
    # kept answers must read the line as strictly, not find an id `json.loads` would.
    people = population.write(tmp_path / "people.jsonl", 5)
    with people.open("a") as file:
        file.write(refused + "\n")
    out = tmp_path / "answers.jsonl"
    run_batch(people, out, kb)
    before = out.read_bytes()
    args = ["batch", str(people), "--out", str(out), "--workers", "1", "--resume"]
    assert main(args) == 1
    assert "1 of 6 lines refused (6 kept from the earlier run)" in capsys.readouterr().err
    assert out.read_bytes() == before


def test_every_evaluated_profile_has_a_record_in_an_audit_log_that_verifies(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    people = population.write(tmp_path / "people.jsonl", LINES_PER_CHUNK + 10)
    with people.open("a") as file:
        file.write('{"id": "bad", "profile": 3}\n')
    log = tmp_path / "audit.jsonl"
    args = ["batch", str(people), "--out", str(tmp_path / "a.jsonl"), "--audit-log", str(log)]
    assert main([*args, "--workers", "2", "--workers-after", "0"]) == 1
    # Logged or not, the answers are the same, but for the id of each answer's record.
    assert main(["batch", str(people), "--out", str(tmp_path / "b.jsonl"), "--workers", "1"]) == 1
    logged = [json.loads(line) for line in (tmp_path / "a.jsonl").read_text().splitlines()]
    unlogged = [json.loads(line) for line in (tmp_path / "b.jsonl").read_text().splitlines()]
    # (and so for its answer_digest, the digest of the answer with that id)
    sealed_anew = ("record", "answer_digest")
    assert [{k: v for k, v in a.items() if k not in sealed_anew} for a in logged] == [
        {k: v for k, v in a.items() if k != "answer_digest"} for a in unlogged
    ]
    records = [record for _, record in AuditLog(log).records()]
    assert [r["profile"] for r in records] == [
        json.loads(line)["profile"] for line in people.read_text().splitlines()[:-1]
    ]
    # Each answer names its record, and each record the input line it answers.
    assert [a["record"] for a in logged[:-1]] == [r["record"] for r in records]
    assert [r["input_id"] for r in records] == [str(a["id"]) for a in logged[:-1]]
    assert "record" not in logged[-1]  # the refused line has no record
    capsys.readouterr()
    assert main(["audit", "verify", str(log)]) == 0
    assert f"verified: {LINES_PER_CHUNK + 10} records;" in capsys.readouterr().out


def test_an_id_the_audit_log_cannot_record_refuses_its_line_not_the_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # JSON's escape "\\ud800" reads as a lone surrogate, which a UTF-8 record cannot
    # hold: that line is refused, named, and the others are answered and recorded.
    people = tmp_path / "people.jsonl"
    lines = ['{"id": "a", "profile": {}}', '{"id": "\\ud800x", "profile": {}}']
    people.write_text("\n".join([*lines, '{"id": "b", "profile": {}}', ""]))
    log = tmp_path / "audit.jsonl"
    out = tmp_path / "answers.jsonl"
    args = ["batch", str(people), "--out", str(out), "--workers", "1", "--audit-log", str(log)]
    assert main(args) == 1
    answers = [json.loads(line) for line in out.read_text().splitlines()]
    assert [a["id"] for a in answers] == ["a", "\ud800x", "b"]
    assert answers[1]["error"]["code"] == "invalid-id"
    assert "lone surrogate" in answers[1]["error"]["message"]
    assert [r["input_id"] for _, r in AuditLog(log).records()] == ["a", "b"]
    capsys.readouterr()
    assert main(["audit", "verify", str(log)]) == 0


def test_the_library_refuses_to_record_an_id_that_is_not_text(
    tmp_path: Path, kb: healthkb.KnowledgeBase
) -> None:
    log = AuditLog(tmp_path / "audit.jsonl")
    with pytest.raises(AuditLogError, match="lone surrogate"):
        kb.evaluate({}, audit=log, input_id="\ud800")
    kb.evaluate({}, audit=log, input_id="é 中文")
    assert [r["input_id"] for _, r in log.records()] == ["é 中文"]


def test_a_group_of_records_is_committed_with_one_fsync(
    tmp_path: Path, kb: healthkb.KnowledgeBase, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = AuditLog(tmp_path / "audit.jsonl")
    log.append(kb.evaluate({}))  # the log exists: no fsync of its folder below
    synced: list[int] = []
    real_fsync = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: synced.append(fd) or real_fsync(fd))
    results = [kb.evaluate({"running": {"sessions_per_week": n}}) for n in range(10)]
    ids = log.append_many(results)
    assert len(synced) == 1
    assert [record["record"] for _, record in log.records()][1:] == ids
    assert log.verify().ok


def test_unusable_input_or_kb_exits_2_with_a_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = str(tmp_path / "a.jsonl")
    assert main(["batch", str(tmp_path / "missing.jsonl"), "--out", out]) == 2
    assert "cannot read" in capsys.readouterr().err
    assert main(["batch", str(tmp_path), "--out", out]) == 2
    assert "is a folder, not a file of JSON lines" in capsys.readouterr().err
    broken = tmp_path / "broken.jsonl.gz"
    broken.write_bytes(
        gzip.compress(b"".join(text.encode() for text in population.lines(50)))[:-30]
    )
    assert main(["batch", str(broken), "--out", out, "--workers", "1"]) == 2
    assert f"{broken}: cannot read line" in capsys.readouterr().err
    assert main(["batch", "-", "--out", "-", "--resume"]) == 2
    assert "--resume needs an output file" in capsys.readouterr().err
    assert main(["batch", out, "--out", out, "--kb", str(tmp_path)]) == 2
    assert "not a knowledge base" in capsys.readouterr().err


def copy_kb(target: Path) -> Path:
    root = Path(__file__).resolve().parents[2]
    for folder in ("kb", "rules"):
        shutil.copytree(root / folder, target / folder)
    return target


def lengthen_running_sessions(root: Path) -> None:
    """Edit a rule: adequate running needs sessions of more than 50 minutes, not 30."""
    rules = root / "rules" / "running_and_diet.yaml"
    text = rules.read_text().replace("gt: 30", "gt: 50").replace("version: 1", "version: 2", 1)
    text = text.replace("a week, for more than 30", "a week, for more than 50")
    rules.write_text(text)


def test_a_spawned_worker_refuses_kb_files_that_changed_since_they_were_loaded(
    tmp_path: Path,
) -> None:
    root = copy_kb(tmp_path / "kb")
    kb = healthkb.load(root)
    lengthen_running_sessions(root)
    people = population.write(tmp_path / "people.jsonl", 10)
    spawned = local_runners(2, alone=0, fork=False)
    with pytest.raises(ShipmentError, match=r"not .* as sent: its files changed"):
        run_batch(people, tmp_path / "a.jsonl", kb, on=spawned)


# In a fresh process, which runs one thread (the test run may have others, and then
# spawns its workers): the KB loaded, its files changed, then a run with a worker.
ANSWERS_ON_THE_KB_AS_LOADED = """
import sys
from pathlib import Path
import healthkb
from healthkb.batch.forked import can_fork
from healthkb.batch.job import run_batch
from tests.batch.test_batch import lengthen_running_sessions
root, people, out = map(Path, sys.argv[1:])
kb = healthkb.load(root)
lengthen_running_sessions(root)
assert can_fork()
run_batch(people, out, kb, workers=2, workers_after=0)
"""


def test_a_forked_worker_answers_on_the_kb_as_loaded_whatever_its_files_became(
    tmp_path: Path,
) -> None:
    root = copy_kb(tmp_path / "kb")
    people = population.write(tmp_path / "people.jsonl", 1_000)
    run_batch(people, tmp_path / "one.jsonl", healthkb.load(root), workers=1)
    arguments = [root, people, tmp_path / "two.jsonl"]
    script = [sys.executable, "-c", ANSWERS_ON_THE_KB_AS_LOADED, *map(str, arguments)]
    done = run_fresh_python(script, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "two.jsonl").read_bytes() == (tmp_path / "one.jsonl").read_bytes()


def test_evaluate_many_yields_results_in_order_in_this_process_or_in_workers(
    kb: healthkb.KnowledgeBase,
) -> None:
    lines = [json.loads(line) for line in population.lines(150)]
    profiles = [line["profile"] for line in lines]
    serial = [kb.evaluate(p) for p in profiles]
    assert list(kb.evaluate_many(profiles)) == serial
    assert list(kb.evaluate_many(iter(profiles), workers=2)) == serial
    many = kb.evaluate_many([*profiles[:100], {"running": {"pace": 1}}, {}], workers=2)
    assert [next(many) for _ in range(100)] == serial[:100]
    with pytest.raises(healthkb.ProfileError, match=r"running\.pace"):
        next(many)
    with pytest.raises(ValueError, match="workers must be at least 1"):
        kb.evaluate_many(profiles, workers=0)


def test_a_progress_bar_shows_on_a_terminal_only(tmp_path: Path) -> None:
    people = population.write(tmp_path / "people.jsonl", 600)
    command = [HEALTHKB, "batch", str(people), "--out", str(tmp_path / "a.jsonl"), "--workers", "1"]
    leader, follower = pty.openpty()
    # A terminal of 24 lines of 100 columns (a new pseudo-terminal has no size at all).
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
    process = subprocess.Popen(command, cwd=tmp_path, stderr=follower, stdout=subprocess.DEVNULL)
    os.close(follower)
    shown = b""
    while True:
        ready, _, _ = select.select([leader], [], [], 30)
        try:
            chunk = os.read(leader, 4096) if ready else b""
        except OSError:  # the terminal closed: the command ended
            chunk = b""
        if not chunk:
            break
        shown += chunk
    os.close(leader)
    assert process.wait() == 0
    text = shown.decode()
    assert "600/600" in text and "profiles/s" in text
    quiet = subprocess.run([*command, "--quiet"], cwd=tmp_path, capture_output=True, text=True)
    assert quiet.stderr.splitlines() == [
        "healthkb: using the bundled KB (no kb/kb.yaml in the current folder or above)"
    ]


def test_an_audited_run_signs_checkpoints_every_n_records_and_at_its_end(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["audit", "keygen", "--out", str(tmp_path / "keys")]) == 0
    people = population.write(tmp_path / "people.jsonl", 25)
    log = tmp_path / "audit.jsonl"
    args = ["batch", str(people), "--out", str(tmp_path / "a.jsonl"), "--audit-log", str(log)]
    key = ["--checkpoint-key", str(tmp_path / "keys" / "audit.key"), "--checkpoint-every", "10"]
    assert main([*args, *key, "--workers", "1", "--quiet"]) == 0
    check = AuditLog(log).verify_checkpoints(tmp_path / "keys" / "audit.pub")
    # After records 10 and 20, and the run's end (25): nothing unsigned is left.
    assert (check.ok, check.checkpoints, check.last) == (True, 3, 25)
    capsys.readouterr()
    assert (
        main(["audit", "verify", str(log), "--public-key", str(tmp_path / "keys/audit.pub")]) == 0
    )
    assert main([*args[:-2], "--checkpoint-key", "k", "--quiet"]) == 2
    assert "--checkpoint-key signs an audit log" in capsys.readouterr().err
    assert main([*args, "--checkpoint-every", "0", "--quiet"]) == 2
    assert "--checkpoint-every must be at least 1; got 0" in capsys.readouterr().err


def test_the_output_is_handed_to_the_disk_as_it_is_written_and_synced_at_the_end(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The run's last step, an fsync nothing runs beside, would otherwise wait for the
    # whole output to reach the disk.
    advised: list[tuple[int, int]] = []
    monkeypatch.setattr(jsonlines, "WRITE_BACK_BYTES", 1000)
    monkeypatch.setattr(
        jsonlines, "_ADVISE", lambda fd, start, size, how: advised.append((start, size))
    )
    synced: list[int] = []
    real_fsync = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: synced.append(fd) or real_fsync(fd))
    out = tmp_path / "answers.jsonl"
    with jsonlines.Output(out) as output:
        for _ in range(5):
            output.write(b"x" * 600 + b"\n")
    assert advised == [(0, 1202), (1202, 1202)]
    assert len(synced) == 1 and out.stat().st_size == 5 * 601
    with jsonlines.Output(out, append=True) as output:  # a resumed run goes on from its end
        output.write(b"y" * 1200 + b"\n")
    assert advised[-1] == (5 * 601, 1201)
