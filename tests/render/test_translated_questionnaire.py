"""The intake Questionnaire in every language of the KB: asked in one (`--lang`), the
others carried as FHIR's `translation` extension; valid FHIR R4 (fhir.resources)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from fhir.resources.R4B.questionnaire import Questionnaire

TRANSLATION = "http://hl7.org/fhir/StructureDefinition/translation"
HEALTHKB = str(Path(sys.executable).with_name("healthkb"))


def questionnaire(*options: str) -> dict[str, Any]:
    run = subprocess.run(
        [HEALTHKB, "fhir", "questionnaire", *options], capture_output=True, text=True, check=True
    )
    document: dict[str, Any] = json.loads(run.stdout)
    return document


def translations(element: dict[str, Any]) -> dict[str, str]:
    found = {}
    for extension in element["extension"]:
        assert extension["url"] == TRANSLATION
        parts = {part["url"]: part for part in extension["extension"]}
        found[parts["lang"]["valueCode"]] = parts["content"]["valueString"]
    return found


def question(document: dict[str, Any], link_id: str) -> dict[str, Any]:
    return next(q for group in document["item"] for q in group["item"] if q["linkId"] == link_id)


def test_the_questionnaire_asks_in_english_and_carries_chinese() -> None:
    document = questionnaire()
    Questionnaire.model_validate(document)
    assert document["language"] == "en"
    assert translations(document["_title"]) == {"zh-Hans": "跑步与局部减脂——来自已发表文章的建议"}
    sessions = question(document, "running.sessions_per_week")
    assert sessions["text"] == "How many times a week do you run? (0 if you do not run)"
    assert translations(sessions["_text"]) == {"zh-Hans": "您每周跑几次步？（不跑步请填 0）"}
    high = question(document, "running.intensity")["answerOption"][2]["valueCoding"]
    assert (high["display"], translations(high["_display"])) == ("high", {"zh-Hans": "高强度"})


def test_the_questionnaire_in_chinese_carries_english() -> None:
    document = questionnaire("--lang", "zh")
    Questionnaire.model_validate(document)
    assert document["language"] == "zh-Hans"
    sessions = question(document, "running.sessions_per_week")
    assert sessions["text"] == "您每周跑几次步？（不跑步请填 0）"
    assert translations(sessions["_text"]) == {
        "en": "How many times a week do you run? (0 if you do not run)"
    }
    # What is not worded (a UCUM unit's code, the linkId) is the same in every language.
    assert sessions["linkId"] == "running.sessions_per_week"


def test_an_unknown_language_is_a_usage_error() -> None:
    run = subprocess.run(
        [HEALTHKB, "fhir", "questionnaire", "--lang", "klingon"], capture_output=True, text=True
    )
    assert (run.returncode, run.stdout) == (2, "")
    assert run.stderr == (
        "healthkb: --lang: 'klingon' is not a valid BCP 47 language tag (e.g. `en`, "
        "`zh-Hans`); this KB speaks en, zh-Hans\n"
    )
