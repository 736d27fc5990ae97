"""Auditors' questions without code: list, summary, export and show, on every store."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from pathlib import Path

import pyarrow.parquet
import pytest

import healthkb
from healthkb.cli import main

DISCOMFORT = {"symptoms": {"physical_discomfort": True}}
CONCERN = {"goals": {"weight_management_concern": True}}


@pytest.fixture(params=["file", "sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path, kb: healthkb.KnowledgeBase) -> str:
    """A store holding four answers (person-1 to person-4) and one feedback."""
    if request.param == "file":
        location = str(tmp_path / "audit.jsonl")
    elif request.param == "sqlite":
        location = f"sqlite:///{tmp_path / 'audit.db'}"
    else:
        location = request.getfixturevalue("postgres_url")
    log = healthkb.AuditLog(location)
    for n, profile in enumerate([DISCOMFORT, CONCERN, DISCOMFORT, {}], start=1):
        kb.evaluate(profile, audit=log, input_id=f"person-{n}")
    return location


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(list(args))
    return code, capsys.readouterr().out


def test_list_filters_by_conclusion_input_and_time_in_every_store(store: str, capsys) -> None:
    code, out = _run(
        capsys, "audit", "list", store, "--conclusion", "stop_and_rest", "--format", "json"
    )
    rows = json.loads(out)
    assert code == 0
    assert [r["input_id"] for r in rows] == ["person-1", "person-3"]
    assert set(rows[0]) == {
        "record",
        "sequence",
        "time",
        "kind",
        "kb_id",
        "kb_version",
        "kb_digest",
        "input_id",
        "conclusions",
        "intact",
        "release",
    }
    assert rows[0]["conclusions"] == ["stop_and_rest"] and rows[0]["intact"]
    _, out = _run(capsys, "audit", "list", store, "--input-id", "person-2", "--format", "json")
    assert [r["input_id"] for r in json.loads(out)] == ["person-2"]
    _, out = _run(capsys, "audit", "list", store, "--since", "2000-01-01", "--until", "2000-01-02")
    assert out == ""
    _, out = _run(capsys, "audit", "list", store, "--rule", "stop_on_discomfort", "--format", "csv")
    table = list(csv.DictReader(io.StringIO(out)))
    assert [row["input_id"] for row in table] == ["person-1", "person-3"]
    kb = healthkb.load()
    _, out = _run(
        capsys, "audit", "list", store, "--digest", kb.digest[:14], "--kb-version", kb.version
    )
    assert len(out.splitlines()) == 4
    assert "(no conclusion)" in out.splitlines()[3]


def test_summary_counts_answers_per_conclusion_release_and_day(store: str, capsys) -> None:
    code, out = _run(capsys, "audit", "summary", store, "--format", "json")
    summary = json.loads(out)
    kb = healthkb.load()
    assert code == 0
    assert (summary["answers"], summary["answers_without_conclusion"]) == (4, 1)
    assert summary["releases"] == {kb.version: 4}
    per_conclusion = {r["conclusion"]: r["answers"] for r in summary["conclusions"]}
    assert per_conclusion["stop_and_rest"] == 2


def test_export_writes_csv_records_as_written_and_parquet(
    store: str, tmp_path: Path, capsys
) -> None:
    jsonl, table = tmp_path / "out.jsonl", tmp_path / "out.parquet"
    assert main(["audit", "export", store, "--format", "jsonl", "--out", str(jsonl)]) == 0
    exported = jsonl.read_text().splitlines()
    assert [json.loads(line)["input_id"] for line in exported] == [
        f"person-{n}" for n in range(1, 5)
    ]
    assert (
        main(
            [
                "audit",
                "export",
                store,
                "--format",
                "parquet",
                "--conclusion",
                "stop_and_rest",
                "--out",
                str(table),
            ]
        )
        == 0
    )
    read = pyarrow.parquet.read_table(table).to_pylist()
    assert [row["input_id"] for row in read] == ["person-1", "person-3"]
    assert read[0]["conclusions"] == ["stop_and_rest"]


def test_show_finds_an_answer_by_input_id_and_renders_its_page(
    store: str, tmp_path: Path, capsys
) -> None:
    page = tmp_path / "page.html"
    code = main(
        ["audit", "show", store, "--input-id", "person-3", "--format", "html", "--out", str(page)]
    )
    assert code == 0
    text = page.read_text()
    assert "Why <code>stop_and_rest</code>?" in text
    assert "stop exercising immediately and rest" in text
    code = main(["audit", "show", store, "--input-id", "person-9"])
    assert code == 2
    assert "no answer to input person-9" in capsys.readouterr().err


def test_an_edited_record_is_flagged_in_the_list(kb, tmp_path: Path, capsys) -> None:
    path = tmp_path / "audit.db"
    log = healthkb.AuditLog(f"sqlite:///{path}")
    kb.evaluate(DISCOMFORT, audit=log, input_id="person-1")
    connection = sqlite3.connect(path)
    connection.execute("UPDATE healthkb_audit_records SET line = replace(line, 'true', 'false')")
    connection.commit()
    connection.close()
    _, out = _run(capsys, "audit", "list", f"sqlite:///{path}")
    assert out.rstrip().endswith("EDITED: does not match its hash")
