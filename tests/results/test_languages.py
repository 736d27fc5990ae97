"""Answers in the reader's language: `kb.evaluate(profile, lang=...)` words the result,
its explanations, why-nots and cards in that language, keeps every hedge, and leaves
an answer in the default language exactly as it was."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path
from typing import Any

import pytest

import healthkb
from conftest import ROOT
from healthkb.content.languages.messages import CATALOGUES, say
from healthkb.render import result_json, result_markdown, result_text
from healthkb.render.html import OPERATOR_WORDS
from healthkb.results.cds_cards import OVERRIDE_REASONS

RUNNER = {
    "running": {"intensity": "high", "sessions_per_week": 4, "minutes_per_session": 45},
    "diet": {"low_calorie": True, "nutrient_rich": True, "limits_high_fat_high_sugar": True},
    "goals": {"target_areas": ["thighs"]},
    "symptoms": {"physical_discomfort": True},
}


@pytest.fixture(scope="module")
def kb() -> healthkb.KnowledgeBase:
    return healthkb.load()


def test_an_answer_in_simplified_chinese_keeps_the_hedge(kb: healthkb.KnowledgeBase) -> None:
    result = kb.evaluate(RUNNER, lang="zh-Hans")
    assert result.language == "zh-Hans"
    decrease = result.conclusion("thigh_buttock_fat_may_decrease")
    assert decrease is not None and decrease.certainty == "possible"
    assert decrease.statement == (
        "随着时间推移，您大腿和臀部的脂肪可能会逐渐减少，肌肉线条也可能变得更明显。"
    )
    assert decrease.rule_title == "持续的热量缺口可能会减少大腿和臀部的脂肪"
    # The quotes are the source's own words, whatever the answer's language.
    assert decrease.citations[0].quote.startswith("Over time, fat on the thighs")
    assert result.disclaimer is not None and result.disclaimer.startswith("这是来自已发表文章")


@pytest.mark.parametrize("wish", ["zh", "zh-CN", "zh-Hans-CN", "ZH-hans"])
def test_a_reader_asking_for_chinese_gets_simplified_chinese(
    kb: healthkb.KnowledgeBase, wish: str
) -> None:
    assert kb.evaluate(RUNNER, lang=wish).language == "zh-Hans"


def test_an_answer_without_a_language_is_byte_for_byte_what_it_was(
    kb: healthkb.KnowledgeBase,
) -> None:
    plain = result_json(kb.evaluate(RUNNER))
    assert "language" not in json.loads(plain)
    # Asking for the default language is not asking for another: the same answer.
    english = kb.evaluate(RUNNER, lang="en-GB")
    assert english.language is None
    assert result_json(english) == plain
    assert result_text(english) == result_text(kb.evaluate(RUNNER))


@pytest.mark.parametrize(
    ("wish", "message"),
    [
        ("fr", "this KB does not speak `fr`: it speaks en, zh-Hans"),
        ("zh_Hans", "'zh_Hans' is not a valid BCP 47 language tag (e.g. `en`, `zh-Hans`)"),
        ("zh-TW", "this KB does not speak `zh-TW`: it speaks en, zh-Hans"),
    ],
)
def test_a_language_the_kb_does_not_speak_is_refused_clearly(
    kb: healthkb.KnowledgeBase, wish: str, message: str
) -> None:
    with pytest.raises(healthkb.UnknownLanguageError) as caught:
        kb.evaluate(RUNNER, lang=wish)
    assert str(caught.value).startswith(message)


def test_explanations_why_nots_and_cards_speak_the_answers_language(
    kb: healthkb.KnowledgeBase,
) -> None:
    result = kb.evaluate(RUNNER, lang="zh-Hans")
    explanation = str(result.explain("stop_and_rest"))
    assert explanation.splitlines()[:2] == [
        "结论 stop_and_rest（警告，确定程度：确定）",
        "  “如果您感到身体有任何不适，请立即停止运动并休息。”",
    ]
    assert result.explain("stop_and_rest").to_dict()["language"] == "zh-Hans"
    why_not = str(result.why_not("thigh_buttock_fat_may_not_decrease"))
    assert why_not.startswith("为什么没有得出 thigh_buttock_fat_may_not_decrease？")
    assert "热量过剩可能会使大腿和臀部的脂肪保持不变或增加" in why_not
    (card, *_) = result.to_cds_cards()["cards"]
    assert card["summary"] == "如果您感到身体有任何不适，请立即停止运动并休息。"
    assert "**警告**，确定程度 *确定*。由规则 `stop_on_discomfort` v1" in card["detail"]


def test_a_chinese_answer_is_logged_as_given(kb: healthkb.KnowledgeBase, tmp_path: Path) -> None:
    log = healthkb.AuditLog(tmp_path / "audit.jsonl")
    result = kb.evaluate(RUNNER, lang="zh", audit=log)
    record = (tmp_path / "audit.jsonl").read_text(encoding="utf-8")
    assert result.audit_record_id in record
    assert '"language":"zh-Hans"' in record and "请立即停止运动并休息" in record


def _reasons(tree: Any) -> list[str]:
    """Every `reason` in a why-not tree, depth first."""
    if isinstance(tree, list):
        return [reason for part in tree for reason in _reasons(part)]
    if not isinstance(tree, dict):
        return []
    own = [tree["reason"]] if "reason" in tree else []
    return own + [
        reason for key, part in tree.items() if key != "reason" for reason in _reasons(part)
    ]


def test_a_why_nots_reasons_in_its_json_speak_the_answers_language(
    kb: healthkb.KnowledgeBase,
) -> None:
    conclusion = "thigh_buttock_fat_may_not_decrease"
    english = kb.evaluate(RUNNER).why_not(conclusion).to_dict()
    chinese = kb.evaluate(RUNNER, lang="zh-Hans").why_not(conclusion).to_dict()
    reasons = _reasons(english)
    assert reasons and set(reasons) <= set(CATALOGUES["zh-Hans"])  # English, as it was
    assert _reasons(chinese) == [CATALOGUES["zh-Hans"][reason] for reason in reasons]
    # The text says each reason once, in Chinese (not translated twice, not left English).
    text = str(kb.evaluate(RUNNER, lang="zh-Hans").why_not(conclusion))
    assert all(CATALOGUES["zh-Hans"][reason] in text for reason in reasons)


def _templates_said() -> set[str]:
    """Every template the package passes to `say` (its second argument, a literal)."""
    found: set[str] = set()
    for path in (ROOT / "engine" / "healthkb").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "id", None) == "say"
                and len(node.args) >= 2
            ):
                template = node.args[1]
                assert isinstance(template, ast.Constant), f"{path}:{node.lineno}"
                found.add(template.value)
    return found


def test_every_template_the_package_says_is_in_every_catalogue() -> None:
    said = _templates_said()
    assert len(said) > 40
    for language, catalogue in CATALOGUES.items():
        assert sorted(said - set(catalogue)) == [], language


def test_every_operator_word_and_override_reason_is_in_every_catalogue() -> None:
    words = [w for w in OPERATOR_WORDS.values() if w.isascii() and w[0].isalpha()]
    words += [reason["display"] for reason in OVERRIDE_REASONS]
    assert len(words) == 11
    for language, catalogue in CATALOGUES.items():
        assert [w for w in words if w not in catalogue] == [], language


def test_a_chinese_card_offers_its_override_reasons_in_chinese(kb: healthkb.KnowledgeBase) -> None:
    profile = {"symptoms": {"physical_discomfort": True}}
    (card, *_) = kb.evaluate(profile, lang="zh-Hans").to_cds_cards()["cards"]
    assert [r["code"] for r in card["overrideReasons"]] == [r["code"] for r in OVERRIDE_REASONS]
    assert card["overrideReasons"][0]["display"] == "不适用于这位患者"
    (english, *_) = kb.evaluate(profile).to_cds_cards()["cards"]
    assert english["overrideReasons"] == OVERRIDE_REASONS


def test_a_translated_template_keeps_every_placeholder() -> None:
    for catalogue in CATALOGUES.values():
        for english, translated in catalogue.items():
            assert set(re.findall(r"\{(\w+)\}", english)) == set(
                re.findall(r"\{(\w+)\}", translated)
            ), english


def test_the_default_language_says_the_template_itself() -> None:
    assert say(None, "why not {id}?", id="x") == "why not x?"
    assert say("en", "why not {id}?", id="x") == "why not x?"
    assert say("zh-Hans", "why not {id}?", id="x") == "为什么没有得出 x？"


def test_markdown_answers_speak_the_answers_language(kb: healthkb.KnowledgeBase) -> None:
    markdown = result_markdown(kb.evaluate({"symptoms": {"physical_discomfort": True}}, lang="zh"))
    assert markdown.startswith("# 结论\n\n## stop_and_rest\n\n*警告，确定程度：确定* — 如果您")
    assert "规则 `stop_on_discomfort` v1：身体不适时停止运动并休息" in markdown
