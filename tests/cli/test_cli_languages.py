"""`--lang` on evaluate, explain and test: the answer in the reader's language; a tag
the KB does not speak is a usage error (exit 2) naming the languages it speaks."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT
from support.translated_kb import translated_seed

HEALTHKB = str(Path(sys.executable).with_name("healthkb"))
DISCOMFORT = str(ROOT / "kb" / "examples" / "discomfort.yaml")


def healthkb(*arguments: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([HEALTHKB, *arguments], capture_output=True, text=True, cwd=cwd)


def test_evaluate_answers_in_simplified_chinese() -> None:
    run = healthkb("evaluate", DISCOMFORT, "--lang", "zh-Hans")
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines()[:3] == [
        "[警告，确定] stop_and_rest",
        "  如果您感到身体有任何不适，请立即停止运动并休息。",
        "  规则 stop_on_discomfort v1：身体不适时停止运动并休息",
    ]


def test_explain_and_why_not_in_simplified_chinese() -> None:
    run = healthkb("explain", DISCOMFORT, "--conclusion", "stop_and_rest", "--lang", "zh")
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith("结论 stop_and_rest（警告，确定程度：确定）\n")
    why = healthkb(
        "explain", DISCOMFORT, "--conclusion", "thigh_buttock_fat_may_decrease", "--lang", "zh"
    )
    assert why.returncode == 0, why.stderr
    assert why.stdout.startswith("为什么没有得出 thigh_buttock_fat_may_decrease？\n")


def test_an_html_explanation_in_a_language_is_written_in_each_with_a_switch(
    tmp_path: Path,
) -> None:
    out = tmp_path / "why.html"
    run = healthkb(
        "explain", DISCOMFORT, "--conclusion", "stop_and_rest", "--format", "html",
        "--lang", "zh", "--out", str(out),
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["why.en.html", "why.html"]
    chinese, english = out.read_text(), (tmp_path / "why.en.html").read_text()
    assert '<a href="why.en.html" hreflang="en" lang="en">English</a>' in chinese
    assert '<a href="why.html" hreflang="zh-Hans" lang="zh-Hans">简体中文</a>' in english
    assert "如果您感到身体有任何不适" in chinese and "If you feel any" in english
    # Without --lang: the one page, as it always was (no switch, no other file).
    plain = healthkb(
        "explain", DISCOMFORT, "--conclusion", "stop_and_rest", "--format", "html",
        "--out", str(tmp_path / "plain.html"),
    )  # fmt: skip
    assert plain.returncode == 0, plain.stderr
    assert 'class="languages"' not in (tmp_path / "plain.html").read_text()
    assert not (tmp_path / "plain.zh-Hans.html").exists()


@pytest.mark.parametrize("command", ["evaluate", "explain", "test", "report", "fhir", "batch"])
def test_an_unknown_language_is_a_usage_error_everywhere(command: str, tmp_path: Path) -> None:
    people = tmp_path / "people.jsonl"
    people.write_text('{"id": 1, "profile": {}}\n')
    arguments = {
        "evaluate": ["evaluate", DISCOMFORT],
        "explain": ["explain", DISCOMFORT, "--conclusion", "stop_and_rest"],
        "test": ["test", str(ROOT)],
        "report": ["report", str(ROOT), "--out", str(tmp_path / "site")],
        "fhir": ["fhir", "questionnaire", str(ROOT)],
        "batch": ["batch", str(people), "--out", str(tmp_path / "answers.jsonl"), "--workers", "1"],
    }[command]
    run = healthkb(*arguments, "--lang", "fr")
    assert (run.returncode, run.stdout) == (2, "")
    assert run.stderr.endswith(
        "healthkb: --lang: this KB does not speak `fr`: it speaks en, zh-Hans\n"
    )


def test_a_case_checks_the_answer_in_each_language(tmp_path: Path) -> None:
    root = translated_seed(tmp_path)
    path = root / "kb" / "translations" / "zh-Hans.yaml"
    # The translator rewords the outcome, keeping both hedges: the case that expects
    # the words it had fails, naming what the statement now says.
    text = path.read_text(encoding="utf-8").replace("version: 1", "version: 2", 1)
    path.write_text(
        text.replace("可能不会减少，甚至可能增加", "可能不会变少，甚至可能增加"), "utf-8"
    )
    run = healthkb("test", str(root), "-k", "low_short_infrequent")
    assert run.returncode == 1, run.stdout + run.stderr
    assert (
        "expected the zh-Hans statement of `thigh_buttock_fat_may_not_decrease` to say "
        "“可能不会减少，甚至可能增加”; it says “您大腿和臀部的脂肪可能不会变少，甚至可能增加，"
    ) in run.stdout
