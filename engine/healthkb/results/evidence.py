"""How strong a conclusion's evidence is and whether it rests on a source overdue for review.

A conclusion's evidence is that of the derivation that reached it: the proof's
concluding rule and, recursively, every rule that derived a fact it used, and the
background facts among them. Each step is as strong as its rule says (`evidence:`) or,
by default, as the weakest source it cites; the derivation is as strong as its weakest
step. A conclusion is stale when any source its derivation cites, or its own statement
cites, is past its `review_by` date on the day of the evaluation.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..content.languages.messages import say, word
from ..content.provenance import EVIDENCE_SCALE, UNKNOWN, is_overdue, weakest
from ..runtime.engine import FactRecord, Firing
from .proof import Proofs

if TYPE_CHECKING:
    from ..content.loading.kb_content import KBContent
    from ..content.model import Source


@dataclass(frozen=True)
class Standing:
    """A conclusion's evidence level and whether a source it rests on is overdue."""

    level: str
    stale: bool
    sources: frozenset[str]
    """Every source the derivation and the conclusion's statement cite."""

    def evidence(self) -> dict[str, str]:
        """The `evidence` object of an answer: level and scale."""
        return {"level": self.level, "scale": EVIDENCE_SCALE}


def overdue_sources(content: KBContent, today: datetime.date) -> frozenset[str]:
    """The ids of the sources past their `review_by` date on `today`."""
    return frozenset(
        source_id
        for source_id, source in content.sources.items()
        if is_overdue(source.review_by, today)
    )


def standing(
    content: KBContent,
    facts: list[FactRecord],
    proofs: Proofs,
    conclusion_id: str,
    overdue: frozenset[str],
) -> Standing:
    """The evidence and staleness of a reached conclusion, along its chosen proof."""
    cited: set[str] = {c.source for c in content.conclusions[conclusion_id].because}
    levels = _walk(content, facts, proofs, proofs.conclusions[conclusion_id], cited)
    return Standing(weakest(levels), bool(cited & overdue), frozenset(cited))


def derivation_sources(
    content: KBContent, facts: list[FactRecord], proofs: Proofs, firing: Firing
) -> frozenset[str]:
    """Every source one derivation rests on: its rule's, those of the rules that derived
    the facts it used (along their chosen proofs), and those of its background facts."""
    cited: set[str] = set()
    _walk(content, facts, proofs, firing, cited)
    return frozenset(cited)


def _walk(
    content: KBContent, facts: list[FactRecord], proofs: Proofs, top: Firing, cited: set[str]
) -> list[str]:
    """The evidence level of each step of a derivation; adds the sources it cites to
    `cited`."""
    rule_steps, background_steps = content.rule_steps, content.background_steps
    levels: list[str] = []
    pending = [top]
    seen: set[tuple[str, int, tuple[tuple[str, int], ...]]] = set()
    while pending:
        firing = pending.pop()
        key = (firing.rule_id, firing.conjunction, firing.bound)
        if key in seen:
            continue
        seen.add(key)
        sources, level = rule_steps[firing.rule_id]
        cited |= sources
        levels.append(level)
        for _, index in firing.bound:
            fact = facts[index]
            if fact.origin == "derived":
                pending.append(proofs.facts[index])
            elif fact.origin == "background":
                sources, level = background_steps[fact.type]
                cited |= sources
                levels.append(level)
    return levels


def provenance(source: Source, *, stale: bool = False) -> dict[str, Any]:
    """What an answer says about a source it cites: who, when, under which licence, in
    which language (and the original's, for a translation), how strong, when reviewed."""
    translation = source.translation
    data: dict[str, Any] = {
        "title": source.title,
        "publisher": source.publisher,
        "author": source.author,
        "published": source.published.isoformat(),
        "url": source.url if source.url is not None else UNKNOWN,
        "licence": source.licence,
        "language": source.language,
        "translation": None
        if translation is None
        else {
            "original_language": translation.original_language,
            "original_title": translation.original_title,
            "translator": translation.translator,
            "translated": _day(translation.translated),
        },
        "evidence": {"level": source.evidence, "scale": EVIDENCE_SCALE},
        "reviewed": _day(source.reviewed),
        "review_by": _day(source.review_by),
    }
    if stale:
        data["stale"] = True
    return data


def _day(value: datetime.date | str | None) -> str:
    if value is None:
        return UNKNOWN
    return value if isinstance(value, str) else value.isoformat()


def provenance_line(source_id: str, data: dict[str, Any], language: str | None = None) -> str:
    """One line naming a source and what is known of it, for text answers and trees
    (its fixed words in `language`, see `content/languages/messages.py`)."""
    text = say(
        language,
        "{id}: “{title}”, {publisher}, {author}, {published}; licence {licence}; "
        "language {language}",
        id=source_id,
        title=data["title"],
        publisher=data["publisher"],
        author=data["author"],
        published=data["published"],
        licence=word(language, str(data["licence"])),
        language=data["language"],
    )
    translation = data["translation"]
    if translation is not None:
        text += say(
            language,
            ", translated from {language} (original title {title}, translator {translator}, "
            "translated {date})",
            language=translation["original_language"],
            title=word(language, str(translation["original_title"])),
            translator=word(language, str(translation["translator"])),
            date=word(language, str(translation["translated"])),
        )
    text += say(
        language,
        "; evidence {level} ({scale}); reviewed {reviewed}, review by {review_by}",
        level=data["evidence"]["level"],
        scale=data["evidence"]["scale"],
        reviewed=data["reviewed"],
        review_by=data["review_by"],
    )
    if data.get("stale"):
        text += say(language, " — OVERDUE FOR REVIEW")
    return text
