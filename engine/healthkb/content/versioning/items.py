"""What is versioned: the content of every item an answer depends on, field by field.

Four kinds of items carry a `version` and are recorded in the lock file:

- a **rule**: its `when`, `then`, `because`, `status` and own `evidence` level (its
  `title` and `description`
  are wording for editors, and its `departures` declarations for auditors: they change
  no answer, and the number check keeps each one necessary, so none can be dropped
  unnoticed);
- a **conclusion**: its `statement`, `kind`, `certainty`, citations and whatever else
  it says (everything but its `id` and `version`);
- a **fact** type of the vocabulary: its section (input, derived, background), each
  attribute's `type`, `values`, `min`, `max`, `unit`, `changeable` and `cost`, and a
  background fact's
  `values` and `because` (descriptions are wording);
- a **source**: its `text`, which every quote is resolved against, its `evidence`
  level and its review dates (`reviewed`, `review_by`): answers show the first and are
  marked `stale` by the second, so neither changes unversioned. (Its provenance,
  publisher to translation, is description: it changes no answer.);
- a **translation** (`kb/translations/<tag>.yaml`, its id the language tag): every
  wording it translates, each a field (`conclusions.x.statement`).

Each item's content is split into named fields (`when`, `statement`,
`sessions.max`, `text`...), so a change can be reported by the field it touched.
Defaults are left out, so a new optional key added to the format later, or
`interpretation: null` written out, does not change a digest.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Literal

from pydantic import BaseModel

from ..languages.translation_model import TranslationFile
from ..located_items import Placed
from ..model import BackgroundFact, Conclusion, FactType, Source, Vocabulary
from ..rule_model import Rule

ItemKind = Literal["source", "conclusion", "fact", "rule", "translation"]
ITEM_KINDS: tuple[ItemKind, ...] = ("source", "conclusion", "fact", "rule", "translation")

# The fields of a rule that make up its content, in the order the digest reads them.
RULE_FIELDS = ("when", "then", "because", "status", "evidence")
# The fields of a source that make up its content.
SOURCE_FIELDS = ("text", "evidence", "reviewed", "review_by", "original")
# The properties of an attribute that make up its content.
ATTRIBUTE_FIELDS = ("type", "values", "min", "max", "unit", "changeable", "cost")

# What each kind's content is, in the words of the version-not-bumped hint.
CONTENT_WORDS: dict[ItemKind, str] = {
    "rule": "a rule's when, then, because, status and evidence are its content",
    "conclusion": "a conclusion's statement, kind, certainty, exclusions and citations are its "
    "content",
    "fact": "a fact's section and its attributes' types, values, bounds, units, changeable "
    "and costs are its content",
    "source": "a source's text, evidence and review dates (reviewed, review_by) are its content",
    "translation": "a translation's every wording is its content",
}


@dataclass(frozen=True, eq=False)
class Versioned:
    """One versioned item: its kind, id, version, and content field by field (`fields`)."""

    kind: ItemKind
    id: str
    version: int
    content: dict[str, Any] | Rule
    """Its fields; for a rule, the rule they are dumped from when first read."""

    # A rule's fields are dumped when first read, not when the item is made: loading
    # reads them only for rules its lock file records (to compare digests), and a
    # rule's dump was most of the cost of its item (docs/performance.md, "Versioned
    # items and the digest").
    @cached_property
    def fields(self) -> dict[str, Any]:
        """Its content, field by field (`when`, `statement`, `sessions.max`, `text`...)."""
        content = self.content
        return content if isinstance(content, dict) else _rule_fields(content)

    # Cached: loading compares every item with the lock, and a release writes them.
    @cached_property
    def digest(self) -> str:
        """sha256 of the canonical JSON of all its fields."""
        return digest_of(self.fields)

    @cached_property
    def _field_digests(self) -> dict[str, str]:
        return {name: digest_of(value)[7:23] for name, value in sorted(self.fields.items())}

    def field_digests(self) -> dict[str, str]:
        """A short digest of each field, to name the fields that changed."""
        return dict(self._field_digests)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Versioned):
            return NotImplemented
        mine = (self.kind, self.id, self.version, self.fields)
        return mine == (other.kind, other.id, other.version, other.fields)

    def __repr__(self) -> str:
        return f"Versioned({self.kind!r}, {self.id!r}, {self.version!r}, {self.fields!r})"


# `json.dumps` with options builds an encoder per call; a KB's items are thousands of calls.
_CANONICAL = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def digest_of(value: Any) -> str:
    """sha256 of `value`'s canonical JSON (keys sorted, no spaces, UTF-8 as is)."""
    return "sha256:" + hashlib.sha256(_CANONICAL.encode(value).encode("utf-8")).hexdigest()


def _plain(model: BaseModel, exclude: set[str]) -> dict[str, Any]:
    data: dict[str, Any] = model.model_dump(
        mode="json", by_alias=True, exclude_defaults=True, exclude=exclude
    )
    return data


def _rule_fields(rule: Rule) -> dict[str, Any]:
    # Only the content fields are dumped (none has an alias): a rule's title,
    # description and departures were dumped and thrown away for every rule.
    data: dict[str, Any] = rule.model_dump(
        mode="json", by_alias=True, exclude_defaults=True, include=set(RULE_FIELDS)
    )
    return {k: data[k] for k in RULE_FIELDS if k in data}


def rule_item(rule: Rule) -> Versioned:
    """The rule's versioned item; its fields are dumped from it when first read."""
    return Versioned("rule", rule.id, rule.version, rule)


def conclusion_item(conclusion: Conclusion) -> Versioned:
    data = _plain(conclusion, {"id", "version"})
    return Versioned("conclusion", conclusion.id, conclusion.version, data)


def fact_item(section: str, name: str, fact: FactType) -> Versioned:
    fields: dict[str, Any] = {"section": section}
    for attribute_name, attribute in fact.attributes.items():
        spec = _plain(attribute, {"description"})
        for key in ATTRIBUTE_FIELDS:
            if key in spec:
                fields[f"{attribute_name}.{key}"] = spec[key]
    if isinstance(fact, BackgroundFact):
        fields["values"] = _plain(fact, set())["values"]
        fields["because"] = _plain(fact, set())["because"]
    return Versioned("fact", name, fact.version, fields)


def source_item(source: Source) -> Versioned:
    data = _plain(source, set())
    fields = {key: data[key] for key in SOURCE_FIELDS if key in data}
    return Versioned("source", source.id, source.version, fields)


def translation_item(translation: TranslationFile) -> Versioned:
    return Versioned(
        "translation", translation.language, translation.version, translation.wordings()
    )


def fact_items(vocabulary: Vocabulary) -> Iterator[Versioned]:
    for section, facts in (
        ("input", vocabulary.input),
        ("derived", vocabulary.derived),
        ("background", vocabulary.background),
    ):
        for name, fact in facts.items():
            yield fact_item(section, name, fact)


def attribute_specs(item: Versioned) -> dict[str, dict[str, Any]]:
    """A fact item's attributes: name -> {type, values, min, max, unit, changeable, cost}."""
    specs: dict[str, dict[str, Any]] = {}
    for key, value in item.fields.items():
        name, dot, prop = key.partition(".")
        if dot and prop in ATTRIBUTE_FIELDS:
            specs.setdefault(name, {})[prop] = value
    return specs


def items_of(
    sources: dict[str, Source],
    conclusions: dict[str, Conclusion],
    vocabulary: Vocabulary,
    rules: dict[str, Rule],
    translations: dict[str, TranslationFile] | None = None,
) -> list[Versioned]:
    """Every versioned item of a KB's content."""
    return [
        *(source_item(s) for s in sources.values()),
        *(conclusion_item(c) for c in conclusions.values()),
        *fact_items(vocabulary),
        *(rule_item(r) for r in rules.values()),
        *(translation_item(t) for t in (translations or {}).values()),
    ]


def placed_items(
    sources: list[Placed[Source]],
    conclusions: list[Placed[Conclusion]],
    vocabulary: Placed[Vocabulary] | None,
    rules: list[Placed[Rule]],
    translations: Sequence[Placed[TranslationFile]] = (),
) -> list[Placed[Versioned]]:
    """Every versioned item with its place in the files, for the version checks."""
    placed: list[Placed[Any]] = [s.child(source_item(s.item)) for s in sources]
    placed += [c.child(conclusion_item(c.item)) for c in conclusions]
    if vocabulary is not None:
        for item in fact_items(vocabulary.item):
            placed.append(vocabulary.child(item, item.fields["section"], item.id))
    placed += [r.child(rule_item(r.item)) for r in rules]
    placed += [t.child(translation_item(t.item)) for t in translations]
    return placed
