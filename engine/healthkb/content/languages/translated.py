"""A KB's content worded in one of its languages.

`in_language(content, "zh-Hans")` is the same content — the same rules, conditions,
quotes, digest and version — with every wording its translation gives put in place of
the default language's: conclusions' statements, rules' titles, facts' and attributes'
descriptions and questions, silences' reasons, the KB's title, description and
disclaimer. Whatever reads wording from the content (results, explanations, cards, the
Questionnaire, the report) then speaks that language; a wording not translated stays
in the default language (`missing-translation` warns of it).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from ..loading.kb_content import KBContent
from ..model import Attribute, Conclusion, FactType, Vocabulary
from .translation_model import FactTranslation, TranslationFile


def in_language(content: KBContent, language: str) -> KBContent:
    """`content` worded in `language`, one of `content.languages` (itself for the
    default language)."""
    if language == content.default_language:
        return content
    translation = content.translations[language]
    manifest = content.manifest.model_copy(
        update=_given(
            title=translation.title,
            description=translation.description,
            disclaimer=translation.disclaimer if content.manifest.disclaimer else None,
        )
    )
    return dataclasses.replace(
        content,
        manifest=manifest,
        conclusions={
            key: _conclusion(conclusion, translation)
            for key, conclusion in content.conclusions.items()
        },
        rules={
            key: rule.model_copy(update={"title": translation.rules[key].title})
            if key in translation.rules
            else rule
            for key, rule in content.rules.items()
        },
        vocabulary=_vocabulary(content.vocabulary, translation),
        silences={
            key: silence.model_copy(update={"reason": translation.silences[key].reason})
            if key in translation.silences
            else silence
            for key, silence in content.silences.items()
        },
        language=language,
    )


def _given(**wordings: str | None) -> dict[str, Any]:
    return {name: text for name, text in wordings.items() if text is not None}


def _conclusion(conclusion: Conclusion, translation: TranslationFile) -> Conclusion:
    translated = translation.conclusions.get(conclusion.id)
    if translated is None:
        return conclusion
    clinician = conclusion.clinician_statement and translated.clinician_statement
    return conclusion.model_copy(
        update=_given(statement=translated.statement, clinician_statement=clinician or None)
    )


def _vocabulary(vocabulary: Vocabulary, translation: TranslationFile) -> Vocabulary:
    sections = {}
    for section in ("input", "derived", "background"):
        facts: dict[str, FactType] = getattr(vocabulary, section)
        sections[section] = {
            name: _fact(fact, translation.facts[name]) if name in translation.facts else fact
            for name, fact in facts.items()
        }
    return vocabulary.model_copy(update=sections)


def _fact(fact: FactType, translated: FactTranslation) -> FactType:
    attributes: dict[str, Attribute] = {}
    for name, attribute in fact.attributes.items():
        worded = translated.attributes.get(name)
        question = worded.question if worded is not None and attribute.question else None
        attributes[name] = (
            attribute.model_copy(update=_given(description=worded.description, question=question))
            if worded is not None
            else attribute
        )
    update: dict[str, Any] = {"attributes": attributes}
    return fact.model_copy(update=update | _given(description=translated.description))


def value_label(content: KBContent, fact: str, attribute: str, value: Any) -> str | None:
    """The label of an attribute's value in the language `content` is worded in (None:
    no label; show the value itself)."""
    if content.language is None:
        return None
    translated = content.translations[content.language].facts.get(fact)
    worded = translated.attributes.get(attribute) if translated is not None else None
    return worded.values.get(str(value)) if worded is not None else None
