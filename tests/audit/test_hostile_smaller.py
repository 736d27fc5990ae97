"""Smaller red-team findings: problem lists are capped, `audit verify` on a live log,
fact names with lone surrogates."""

from __future__ import annotations

import fcntl
import os
import threading
from pathlib import Path

import pytest

import healthkb
from conftest import MINI_RULES
from healthkb.errors import MAX_LISTED_PROBLEMS
from support.fuzzing import run_cli


def test_a_profile_with_thousands_of_unknown_facts_lists_100_and_counts_the_rest(
    kb: healthkb.KnowledgeBase,
) -> None:
    profile = {f"fact_{i:05d}": {"a": 1} for i in range(5_000)}
    with pytest.raises(healthkb.ProfileError) as caught:
        kb.evaluate(profile)
    error = caught.value
    assert (len(error.problems), error.more) == (MAX_LISTED_PROBLEMS, 4_900)
    assert str(error).endswith(
        "\nprofile: unknown-fact: `fact_00099`: unknown fact (expected one of `diet`, `goals`, "
        "`running`, `symptoms`)\n... and 4,900 more problems (only the first 100 are listed)"
    )


def test_evaluate_command_prints_100_problems_and_how_many_more(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    profile = tmp_path / "p.yaml"
    profile.write_text("".join(f"fact_{i}: {{a: 1}}\n" for i in range(2_000)))
    code, _, err = run_cli(["evaluate", str(profile)])
    lines = err.splitlines()
    assert code == 2
    assert lines[0] == "healthkb: invalid profile:"
    assert len(lines) == 1 + MAX_LISTED_PROBLEMS + 1
    assert lines[-1] == "  ... and 1,900 more problems (only the first 100 are listed)"


def test_validate_lists_100_problems_of_a_kb_and_counts_them_all(make_kb) -> None:
    broken = "".join(
        MINI_RULES.replace("rules:\n", "").replace("id: ", f"id: r{i}_").replace("walk.", "wlk.")
        for i in range(60)
    )
    root = make_kb({"rules/walking.yaml": "rules:\n" + broken})
    code, out, err = run_cli(["validate", str(root)])
    assert code == 1
    # A problem's own line starts at the margin; its see:/witness lines are indented under it.
    problem_lines = [line for line in out.splitlines() if not line.startswith(" ")]
    assert len(problem_lines) == MAX_LISTED_PROBLEMS + 1
    assert out.splitlines()[-1].startswith("... and ") and out.endswith(" are listed)\n")
    hidden = int(out.splitlines()[-1].split()[2].replace(",", ""))
    assert err == f"{MAX_LISTED_PROBLEMS + hidden:,} problem(s) found (folder {root})\n"


def test_verify_during_an_append_in_progress_waits_for_the_whole_record(
    kb: healthkb.KnowledgeBase, tmp_path: Path
) -> None:
    log = healthkb.AuditLog(tmp_path / "audit.jsonl")
    kb.evaluate({"symptoms": {"physical_discomfort": True}}, audit=log)
    record = log.path.read_bytes()
    half_written, go_on = threading.Event(), threading.Event()

    def writer() -> None:  # an append as AuditLog makes it, stopped half-way
        fd = os.open(log.path, os.O_WRONLY | os.O_APPEND)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            os.write(fd, record[:100])
            half_written.set()
            go_on.wait(5)
            os.write(fd, record[100:])  # (a copy: verify reports it, but not as torn)
        finally:
            os.close(fd)

    thread = threading.Thread(target=writer)
    thread.start()
    half_written.wait(5)
    verifying = threading.Thread(target=lambda: results.append(log.verify()))
    results: list[healthkb.Verification] = []
    verifying.start()
    verifying.join(0.3)
    assert verifying.is_alive()  # waiting for the writer, not reading half a record
    go_on.set()
    thread.join(5)
    verifying.join(5)
    (verification,) = results
    assert verification.problem is None or verification.problem.code != "torn-line"


def test_verify_reads_only_what_was_there_when_it_began(
    kb: healthkb.KnowledgeBase, tmp_path: Path
) -> None:
    log = healthkb.AuditLog(tmp_path / "audit.jsonl")
    kb.evaluate({}, audit=log)
    checked = iter(log.checked())
    first = next(checked)
    # A record appended half-way through reading is not read (nor half of one).
    with open(log.path, "ab") as appended:
        appended.write(b'{"half": ')
    assert first.problem is None and list(checked) == []
    assert log.verify().problem.code == "torn-line"  # a new read sees it


@pytest.mark.parametrize(
    ("profile", "expected"),
    [
        (
            {"\ud800x": {}, "runnin": {}},
            [
                "profile: unknown-fact: `\\ud800x`: unknown fact: its name holds a lone "
                "surrogate (U+D800 to U+DFFF), half of a UTF-16 pair, which is not text "
                "(expected one of `diet`, `goals`, `running`, `symptoms`)",
                "profile: unknown-fact: `runnin`: unknown fact (did you mean `running`?)",
            ],
        ),
        (
            {"running": {"sessions\udcff": 3}},
            [
                "profile: unknown-attribute: `running.sessions\\udcff`: unknown attribute: its "
                "name holds a lone surrogate (U+D800 to U+DFFF), half of a UTF-16 pair, which "
                "is not text (expected one of `intensity`, `minutes_per_session`, "
                "`sessions_per_week`)"
            ],
        ),
    ],
)
def test_a_name_with_a_lone_surrogate_is_named_readably(
    kb: healthkb.KnowledgeBase, profile: dict[str, object], expected: list[str]
) -> None:
    with pytest.raises(healthkb.ProfileError) as caught:
        kb.evaluate(profile)
    assert [str(p) for p in caught.value.problems] == expected
