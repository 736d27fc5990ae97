"""The benchmarks as tests: the full run prints figures (`pytest -m benchmark -s`); a
small run in the ordinary suite keeps the benchmark code working and checks that the
paths it compares do the same work."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.benchmarks import audit_store, batch, peer, robustness
from tests.benchmarks.generated_kb import group_profile, write_generated_kb
from tests.benchmarks.run import main, run
from tests.benchmarks.service import run as run_service

import healthkb


@pytest.mark.benchmark
def test_benchmarks_print_their_figures() -> None:
    assert main([]) == 0


def test_a_small_benchmark_run_reports_every_path_and_target() -> None:
    report = run(sizes=(120,), repeats=5, memory_evaluations=20, analysed=(120,))
    text = "\n".join(report.lines)
    for path in ("evaluate()", "bare durable_rules", "reference evaluator (plain Python)"):
        assert f"seed          running profile: {path} " in text
        assert f"120 rules     running + one synthetic measure: {path} " in text
    assert "seed: evaluate() <= 2x bare durable_rules" in text
    assert "seed: healthkb analyze < 2 s" in text
    # Synthetic rules of one group with one effect: each above the lowest threshold adds
    # nothing. Two full groups (2 x (24 + 24)) and one of five rules (2 + 1).
    analysis = report.figures("120 rules").analysis
    assert analysis is not None and analysis.findings == {"redundant": 99}
    assert report.figures("seed").analysis.findings == {}  # type: ignore[union-attr]
    assert len(report.memory) == 10


def test_a_generated_kb_is_valid_and_its_synthetic_rules_chain(tmp_path: Path) -> None:
    kb = healthkb.load(write_generated_kb(tmp_path, 215))
    assert len(kb.content.active_rules()) == 215
    result = kb.evaluate(group_profile(1, 5))
    assert result.conclusion_ids == ["measure_1_advice"]
    assert [d.fact for d in result.derived] == ["measure_1_state"]


@pytest.mark.benchmark
def test_robustness_benchmark_prints_its_figures() -> None:
    assert robustness.main([]) == 0


def test_a_quick_robustness_benchmark_reports_why_not_by_depth_and_reload_memory(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert robustness.main(["--quick"]) == 0
    out = capsys.readouterr().out
    assert "why-not on diamond-chain KBs" in out and "\n      16     33 " in out
    assert "         50 reloads" in out and "growth after the first tenth" in out


def test_a_small_service_load_run_reports_every_row() -> None:
    loads, memory, lines = run_service(workers=(1,), clients=2, requests=20)
    assert [(load.workers, load.endpoint) for load in loads] == [
        (1, "POST /evaluate"),
        (1, "POST /cds-services/{id}"),
        (1, "POST /cds-services/{id} (fetch)"),
    ]
    assert all(load.requests == 20 and load.errors == 0 for load in loads)
    assert len(memory[1]) == 1 and all(mib > 10 for mib in memory[1].values())
    assert any(line.startswith("memory per worker with 1 worker(s)") for line in lines)


@pytest.mark.benchmark
def test_the_clips_peer_benchmark_prints_its_figures() -> None:
    assert peer.main([]) == 0


def test_a_quick_clips_peer_run_reports_every_path_and_target(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert peer.main(["--quick"]) == 0
    text = capsys.readouterr().out
    for path in ("evaluate()", "conclusions_reached()", "CLIPS"):
        assert f"seed          {path} " in text
        assert f"200 rules     {path} " in text
    assert "seed: evaluate() <= 2.5x CLIPS" in text
    assert "`healthkb evaluate` start-up <= 0.25 s" in text


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_a_small_audit_store_benchmark_answers_every_question(
    tmp_path: Path, kind: str, request: pytest.FixtureRequest
) -> None:
    location = (
        f"sqlite:///{tmp_path / 'audit.db'}"
        if kind == "sqlite"
        else request.getfixturevalue("postgres_url")
    )
    log = healthkb.AuditLog(location)  # bulk-filled: by COPY on PostgreSQL
    audit_store.fill(log, 730)
    figures = {question: found for question, _, found in audit_store.queries(log, 730)}
    assert figures["list --input-id person-N"] == 1
    assert figures["list --since DAY --until DAY+1"] == 2
    assert log.verify().ok


def test_the_batch_commands_in_turn_report_every_part_and_the_idle_speed_up() -> None:
    figures = batch.commands_in_turn(300, rounds=1)  # raises if 1 and 2 workers differ
    text = "\n".join(batch.render_commands(figures))
    for part in ("1 worker", "2 workers", "start-up", "start-up and a worker"):
        assert f"  {part} " in text and len(figures.cpu[part]) == 1
    assert "a worker's start-up: " in text
    assert "on an idle 2-core machine by the CPU of the parts" in text


def test_the_batch_parts_give_the_healthkb_processs_cpu_part_by_part() -> None:
    shown = "\n".join(batch.parent_parts(3 * batch.LINES_PER_CHUNK))
    for part in (*batch.PARTS, "the rest"):
        assert f"  {part} " in shown
    assert "healthkb process " in shown and "; workers " in shown
    # Put back as they were.
    assert batch.job.answer_chunk is batch.answers.answer_chunk
    assert not hasattr(batch.answers.answer_chunk, "__wrapped__")
