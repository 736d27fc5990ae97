"""Governed sources: provenance, evidence levels and review dates, from the source file to
every answer (JSON, text, explanations, CDS cards) and to `validate` and `release`."""

from __future__ import annotations

import datetime
import json
import shutil
from pathlib import Path

import pytest

import healthkb
from conftest import MINI_CONCLUSIONS, MINI_MANIFEST, MINI_RULES, MINI_SOURCE, ROOT, SOURCE_ID
from healthkb.render.result import result_json, result_text
from support.kb_cli import main_in_kb as main

MEETS = ROOT / "kb" / "examples" / "meets_conditions.yaml"
SCALE = "OCEBM-2011-adapted"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def on(day: str) -> healthkb.KnowledgeBase:
    return healthkb.load(today=lambda: datetime.date.fromisoformat(day))


def dated_source(reviewed: str, review_by: str, extra: str = "") -> str:
    return MINI_SOURCE.replace(
        "language: en", f"language: en\nreviewed: {reviewed}\nreview_by: {review_by}\n{extra}"
    )


# --- provenance ------------------------------------------------------------------------


def test_the_bundled_source_is_a_translation_from_chinese_with_unknowns_written_as_unknown(
    kb: healthkb.KnowledgeBase,
) -> None:
    result = kb.evaluate_file(MEETS)
    assert result.sources == {
        SOURCE_ID: {
            "title": "Can running reduce fat in the thighs and buttocks?",
            "publisher": "Cainiu Health",
            "author": "Dr. Yang Ziqi",
            "published": "2025-09-25",
            "url": "unknown",
            "licence": "unknown",
            "language": "en",
            "translation": {
                "original_language": "zh",
                "original_title": "unknown",
                "translator": "unknown",
                "translated": "unknown",
            },
            "evidence": {"level": "expert_opinion", "scale": SCALE},
            "reviewed": "2026-11-24",
            "review_by": "2027-11-24",
        }
    }


def test_every_citation_of_a_text_answer_and_explanation_comes_with_its_sources_provenance(
    kb: healthkb.KnowledgeBase,
) -> None:
    result = kb.evaluate_file(MEETS)
    line = (
        f"  {SOURCE_ID}: “Can running reduce fat in the thighs and buttocks?”, Cainiu Health, "
        "Dr. Yang Ziqi, 2025-09-25; licence unknown; language en, translated from zh "
        "(original title unknown, translator unknown, translated unknown); evidence "
        f"expert_opinion ({SCALE}); reviewed 2026-11-24, review by 2027-11-24"
    )
    assert line in result_text(result).splitlines()
    explanation = result.explain("thigh_buttock_fat_may_decrease")
    assert line in str(explanation).splitlines()
    assert explanation.to_dict()["sources"] == result.sources


def test_a_translated_date_is_a_date_or_unknown_and_anything_else_is_a_located_problem(
    capsys: pytest.CaptureFixture[str], make_kb
) -> None:
    translation = (
        "translation:\n  original_language: zh\n  original_title: 跑步\n"
        "  translator: unknown\n  translated: last spring\n"
    )
    source = MINI_SOURCE.replace("language: en", f"language: en\n{translation}")
    root = make_kb({"kb/sources/mini.yaml": source})
    code, out, err = run(capsys, "validate", str(root))
    assert code == 1, err
    assert "kb/sources/mini.yaml:11:3:" in out
    assert "`translated` needs a date (YYYY-MM-DD)" in out
    assert "Traceback" not in out + err


# --- evidence ---------------------------------------------------------------------------


SECOND_SOURCE = """\
id: trial
title: A trial of walking
publisher: Journal of Walking
author: B. Researcher
published: 2024-05-01
language: en
evidence: randomised_trial
text: |-
  Walking 3–5 times a week lowered fatigue in the trial.
"""


def evidence_kb(make_kb, mini_level: str, rule_level: str | None = None) -> healthkb.KnowledgeBase:
    rules = MINI_RULES.replace(
        """      - source: mini
        quote: "Walking 3–5 times a week"
""",
        """      - source: trial
        quote: "Walking 3–5 times a week"
"""
        + (f"    evidence: {rule_level}\n" if rule_level else ""),
    )
    source = MINI_SOURCE.replace("language: en", f"language: en\nevidence: {mini_level}")
    root = make_kb(
        {
            "kb/sources/mini.yaml": source,
            "kb/sources/trial.yaml": SECOND_SOURCE,
            "rules/walking.yaml": rules,
        }
    )
    return healthkb.load(root)


def test_a_conclusions_evidence_is_the_weakest_step_of_the_derivation_that_reached_it(
    make_kb,
) -> None:
    kb = evidence_kb(make_kb, mini_level="systematic_review")
    result = kb.evaluate({"walk": {"sessions": 4, "tired": True}})
    evidence = {c.id: c.evidence for c in result.conclusions}
    # walking_may_help: walking_helps (mini, systematic review) <- enough_walking (trial).
    assert evidence == {
        "rest": {"level": "systematic_review", "scale": SCALE},
        "walking_may_help": {"level": "randomised_trial", "scale": SCALE},
    }
    assert sorted(result.sources) == ["mini", "trial"]


def test_a_rules_own_evidence_level_stands_for_its_step(make_kb) -> None:
    kb = evidence_kb(make_kb, mini_level="systematic_review", rule_level="expert_opinion")
    result = kb.evaluate({"walk": {"sessions": 4}})
    assert result.conclusions[0].evidence == {"level": "expert_opinion", "scale": SCALE}
    tree = result.explain("walking_may_help").to_dict()
    assert tree["conclusion"]["evidence"] == {"level": "expert_opinion", "scale": SCALE}


def test_an_unknown_evidence_level_is_a_located_problem_naming_the_levels(
    capsys: pytest.CaptureFixture[str], make_kb
) -> None:
    source = MINI_SOURCE.replace("language: en", "language: en\nevidence: strong")
    code, out, err = run(capsys, "validate", str(make_kb({"kb/sources/mini.yaml": source})))
    assert code == 1
    (line,) = [line for line in out.splitlines() if "evidence" in line]
    assert line.startswith("kb/sources/mini.yaml:7:1: ")
    assert "expert_opinion" in line
    assert "Traceback" not in out + err


# --- review dates -----------------------------------------------------------------------


def test_answers_resting_on_an_overdue_source_are_stale_and_still_given() -> None:
    fresh = on("2027-11-24").evaluate_file(MEETS)
    late = on("2027-11-25").evaluate_file(MEETS)
    assert not any(c.stale for c in fresh.conclusions)
    assert late.conclusion_ids == fresh.conclusion_ids
    assert all(c.stale for c in late.conclusions)
    data = json.loads(result_json(late))
    assert all(c["stale"] is True for c in data["conclusions"])
    assert data["sources"][SOURCE_ID]["stale"] is True
    assert "stale" not in json.loads(result_json(fresh))["conclusions"][0]
    assert "STALE: it rests on a source past its review date" in result_text(late)
    card = late.to_cds_cards()["cards"][0]
    assert card["extension"]["healthkb"]["stale"] is True
    assert "**Stale:**" in card["detail"]
    assert late.explain(late.conclusion_ids[0]).to_dict()["conclusion"]["stale"] is True


def test_only_conclusions_whose_derivation_cites_the_overdue_source_are_stale(make_kb) -> None:
    overdue = MINI_SOURCE.replace("language: en", "language: en\nreview_by: 2025-06-01")
    trial = SECOND_SOURCE.replace("evidence:", "review_by: 2030-01-01\nevidence:")
    rules = MINI_RULES.replace(
        """      - source: mini
        quote: "Rest when tired."
""",
        """      - source: trial
        quote: "lowered fatigue"
""",
    )
    root = make_kb(
        {
            "kb/sources/mini.yaml": overdue,
            "kb/sources/trial.yaml": trial,
            "rules/walking.yaml": rules,
        }
    )
    kb = healthkb.load(root, today=lambda: datetime.date(2026, 1, 1))
    result = kb.evaluate({"walk": {"sessions": 4, "tired": True}})
    # `rest` states a passage of `mini` (overdue) itself, so it is stale too.
    assert {c.id: c.stale for c in result.conclusions} == {"rest": True, "walking_may_help": True}
    kb = healthkb.load(root, today=lambda: datetime.date(2025, 1, 1))
    result = kb.evaluate({"walk": {"sessions": 4, "tired": True}})
    assert {c.id: c.stale for c in result.conclusions} == {"rest": False, "walking_may_help": False}


def test_validate_warns_within_the_window_and_refuses_an_overdue_source(
    capsys: pytest.CaptureFixture[str], make_kb, monkeypatch: pytest.MonkeyPatch
) -> None:
    manifest = MINI_MANIFEST + "review_warning_days: 10\n"
    root = make_kb(
        {"kb/kb.yaml": manifest, "kb/sources/mini.yaml": dated_source("2025-01-01", "2026-06-30")}
    )
    monkeypatch.setenv("HEALTHKB_TODAY", "2026-06-19")
    code, out, err = run(capsys, "validate", str(root))
    assert (code, err) == (0, "")
    monkeypatch.setenv("HEALTHKB_TODAY", "2026-06-20")
    code, out, err = run(capsys, "validate", str(root))
    assert code == 0
    assert err == (
        "warning: kb/sources/mini.yaml:8:1: review-due-soon: source `mini` is due for review "
        "on 2026-06-30 (in 10 day(s)) (review it before then, or answers resting on it will "
        "be marked stale)\n"
    )
    monkeypatch.setenv("HEALTHKB_TODAY", "2026-07-01")
    code, out, err = run(capsys, "validate", str(root))
    assert code == 1
    assert out.startswith(
        "kb/sources/mini.yaml:8:1: review-overdue: source `mini` was due for review on "
        "2026-06-30 (1 day(s) ago); answers resting on it are marked stale"
    )


def test_release_refuses_an_overdue_source(
    capsys: pytest.CaptureFixture[str], make_kb, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_kb({"kb/sources/mini.yaml": dated_source("2025-01-01", "2025-06-30")})
    monkeypatch.setenv("HEALTHKB_TODAY", "2025-07-01")
    before = (root / "kb/kb.yaml").read_text(encoding="utf-8")
    code, out, _ = run(capsys, "release", str(root), "--date", "2025-07-01")
    assert code == 1
    assert (
        "review-overdue: kb/sources/mini.yaml:8: source `mini` was due for review on "
        "2025-06-30 (1 day(s) ago); answers resting on it are marked stale\n"
    ) in out
    assert out.endswith("--accept CODE=REASON)\n")
    assert (root / "kb/kb.yaml").read_text(encoding="utf-8") == before


def test_release_ships_an_overdue_source_accepted_with_a_reason_in_the_changelog(
    capsys: pytest.CaptureFixture[str], make_kb, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_kb({"kb/sources/mini.yaml": dated_source("2025-01-01", "2025-06-30")})
    monkeypatch.setenv("HEALTHKB_TODAY", "2025-07-01")
    reason = "review-overdue=the reviewer is on leave until August"
    others = ("--accept", "rule-not-exercised=a mini KB", "--accept", "sentence-not-encoded=mini")
    argv = ("release", str(root), "--date", "2025-07-01", "--change", "Walks", *others)
    code, out, err = run(capsys, *argv, "--accept", reason)
    assert (code, err) == (0, ""), out
    assert "accepted review-overdue: kb/sources/mini.yaml:8: source `mini`" in out
    entry = healthkb.load(root).content.manifest.changelog[0]
    assert entry.changes[-1] == (
        "Accepted `review-overdue` because the reviewer is on leave until August; "
        "kb/sources/mini.yaml:8: source `mini` was due for review on 2025-06-30 (1 day(s) "
        "ago); answers resting on it are marked stale."
    )


def test_a_review_due_before_the_last_review_is_a_located_problem(
    capsys: pytest.CaptureFixture[str], make_kb
) -> None:
    root = make_kb({"kb/sources/mini.yaml": dated_source("2025-06-01", "2025-01-01")})
    code, out, _err = run(capsys, "validate", str(root))
    assert code == 1
    assert "`review_by` (2025-01-01) is before `reviewed` (2025-06-01)" in out
    assert out.startswith("kb/sources/mini.yaml:")


def test_a_malformed_review_date_is_a_located_problem(
    capsys: pytest.CaptureFixture[str], make_kb
) -> None:
    root = make_kb({"kb/sources/mini.yaml": dated_source("2025-01-01", "2025-13-01")})
    code, out, err = run(capsys, "validate", str(root))
    assert code == 1
    assert out == (
        "kb/sources/mini.yaml:8:12: yaml-value: `2025-13-01` is not a valid value: month must "
        "be in 1..12\n"
    )
    assert "Traceback" not in out + err


def test_a_malformed_today_is_usage_error_naming_the_variable(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HEALTHKB_TODAY", "tomorrow")
    code, out, err = run(capsys, "evaluate", str(MEETS))
    assert (code, out) == (2, "")
    assert err == (
        "healthkb: HEALTHKB_TODAY='tomorrow' is not a date (write it as YYYY-MM-DD, or unset it)\n"
    )


def test_the_same_profile_kb_and_day_give_the_same_bytes(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "kb", tmp_path / "kb")
    shutil.copytree(ROOT / "rules", tmp_path / "rules")
    first = healthkb.load(tmp_path, today=lambda: datetime.date(2028, 1, 1))
    second = healthkb.load(tmp_path, today=lambda: datetime.date(2028, 1, 1))
    assert result_json(first.evaluate_file(MEETS)) == result_json(second.evaluate_file(MEETS))


# --- disclaimer -------------------------------------------------------------------------


def test_the_disclaimer_goes_with_every_answer(kb: healthkb.KnowledgeBase) -> None:
    result = kb.evaluate_file(MEETS)
    disclaimer = kb.content.manifest.disclaimer
    assert disclaimer and disclaimer.startswith("General information")
    assert json.loads(result_json(result))["disclaimer"] == disclaimer
    assert f"disclaimer: {disclaimer}" in result_text(result)
    for card in result.to_cds_cards()["cards"]:
        assert card["detail"].count("not medical advice") == 1


def test_a_kb_without_a_disclaimer_has_no_disclaimer_key(make_kb) -> None:
    result = healthkb.load(make_kb()).evaluate({"walk": {"tired": True}})
    assert "disclaimer" not in json.loads(result_json(result))


# --- audience ---------------------------------------------------------------------------


def clinician_kb(make_kb, statement: str) -> Path:
    conclusions = MINI_CONCLUSIONS.replace(
        "    statement: Walking may help.\n",
        f"    statement: Walking may help.\n    clinician_statement: {statement}\n",
    )
    return make_kb({"kb/conclusions.yaml": conclusions})


def test_cds_cards_tell_the_clinician_statement_and_answers_the_persons(make_kb) -> None:
    statement = "Walking 3-5 sessions a week may reduce the patient's fatigue."
    kb = healthkb.load(clinician_kb(make_kb, statement))
    result = kb.evaluate({"walk": {"sessions": 4}})
    assert result.conclusions[0].statement == "Walking may help."
    (card,) = result.to_cds_cards()["cards"]
    assert card["summary"] == statement
    assert card["detail"].startswith("Walking 3-5 sessions a week may reduce the patient's")
    tree = result.explain("walking_may_help").to_dict()
    assert tree["conclusion"]["clinician_statement"] == statement


def test_a_clinician_statement_stronger_than_its_certainty_is_refused_at_its_place(
    capsys: pytest.CaptureFixture[str], make_kb
) -> None:
    root = clinician_kb(make_kb, "Walking 3-5 sessions a week reduces fatigue.")
    code, out, _ = run(capsys, "validate", str(root))
    assert code == 1
    assert out.startswith(
        "kb/conclusions.yaml:6:5: overstated-statement: the clinician statement of "
        "`walking_may_help` does not say it is only possible (say “may”, “could” in the "
        "clinician statement, as the source does"
    )


def test_the_report_shows_each_sources_provenance_and_the_disclaimer(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, _ = run(capsys, "report", str(ROOT), "--out", str(tmp_path / "site"))
    assert code == 0
    page = (tmp_path / "site" / "sources" / f"{SOURCE_ID}.html").read_text(encoding="utf-8")
    for row in (
        "<tr><th>licence</th><td>unknown</td></tr>",
        "<tr><th>translated from</th><td>zh</td></tr>",
        "<tr><th>original title</th><td>unknown</td></tr>",
        f"<tr><th>evidence</th><td>expert_opinion ({SCALE})</td></tr>",
        "<tr><th>review by</th><td>2027-11-24</td></tr>",
    ):
        assert row in page
    index = (tmp_path / "site" / "index.html").read_text(encoding="utf-8")
    assert '<p class="disclaimer"><strong>General information from a published' in index
