"""`kb/translations/<tag>.yaml`: the KB's wording in another language.

Keyed by the ids the KB already uses: a conclusion's statement (and clinician
statement), a rule's title, a fact's and attribute's description and question, the
labels of an attribute's values, a silence's reason. Only wording is translated;
what a rule tests and concludes is the KB's own and stays in its files.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from ..model import Identifier, StrictModel, Text
from .tags import BCP47Tag

TRANSLATIONS_FOLDER = "kb/translations"


class AttributeTranslation(StrictModel):
    """An attribute's wording: what it means, the question that asks for it, its values."""

    description: Text | None = None
    """The attribute's `description`, translated."""
    question: Text | None = None
    """The attribute's `question`, translated (the Questionnaire's item text)."""
    values: dict[Identifier, Text] = Field(default_factory=dict)
    """A label for each allowed value of an enum or list attribute (`high: 高强度`)."""


class FactTranslation(StrictModel):
    """A fact type's wording."""

    description: Text | None = None
    """The fact's `description`, translated."""
    attributes: dict[Identifier, AttributeTranslation] = Field(default_factory=dict)
    """Its attributes' wording, by attribute name."""


class ConclusionTranslation(StrictModel):
    """What a person (and a clinician) is told, hedged exactly as the statement is."""

    statement: Text
    """The conclusion's `statement`, translated with the same certainty."""
    clinician_statement: Text | None = None
    """The conclusion's `clinician_statement`, translated (only when it has one)."""


class RuleTranslation(StrictModel):
    """A rule's wording."""

    title: Text
    """The rule's `title`, translated."""


class SilenceTranslation(StrictModel):
    """A declared silence's wording."""

    reason: Text
    """The silence's `reason`, translated."""


class TranslationFile(StrictModel):
    """`kb/translations/<tag>.yaml`: every translated wording in one language."""

    language: BCP47Tag
    """The language tag of this translation, as the file is named (`zh-Hans`)."""
    version: Annotated[int, Field(ge=1)] = 1
    """Raise it whenever a translated wording changes; `healthkb release` records it."""
    translator: Text | None = None
    """Who translated it (a person, a team, a service), for reviewers."""
    title: Text | None = None
    """The KB's `title`, translated."""
    description: Text | None = None
    """The KB's `description`, translated."""
    disclaimer: Text | None = None
    """The KB's `disclaimer`, translated: shown with every answer in this language."""
    conclusions: dict[Identifier, ConclusionTranslation] = Field(default_factory=dict)
    """Each conclusion's statements, by conclusion id."""
    rules: dict[Identifier, RuleTranslation] = Field(default_factory=dict)
    """Each rule's title, by rule id."""
    facts: dict[Identifier, FactTranslation] = Field(default_factory=dict)
    """Each fact's and attribute's wording, by fact name."""
    silences: dict[Identifier, SilenceTranslation] = Field(default_factory=dict)
    """Each silence's reason, by silence id."""

    def wordings(self) -> dict[str, Any]:
        """Every translated wording by its dotted key (`conclusions.x.statement`): the
        translation's content, field by field, for the lock."""
        data = self.model_dump(mode="json", exclude_defaults=True, exclude={"language", "version"})
        flat: dict[str, Any] = {}

        def walk(prefix: str, value: Any) -> None:
            if isinstance(value, dict):
                for key, inner in value.items():
                    walk(f"{prefix}.{key}" if prefix else key, inner)
            else:
                flat[prefix] = value

        walk("", data)
        return flat
