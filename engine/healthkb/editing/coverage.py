"""Coverage of the sources (every passage accounted for) and of the rules (every rule tested).

A sentence of a source is accounted for only as far as its quoted parts go. Each part
of it is *encoded* when an active rule, a conclusion or a background fact quotes it,
*left out* when the source file lists it under `left_out` with a reason, and otherwise
*untouched* text. A sentence is:

- *encoded* when some part is encoded and no part is untouched;
- *left out* when it is all left out;
- *partly* encoded when some part is quoted but words of it are untouched (a claim
  added to an encoded sentence shows up so: the words are listed);
- *untouched* when nothing quotes it.

Text between quotes that holds no word, or only connectives ("and", "however"), is not
untouched text: it adds no claim. A rule is *exercised* when it fires in at least one
test case. Draft and retired rules do not run, so they are listed but not counted, and
a passage cited only by them is not encoded.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from ..content.model import Citation
from .cases import CaseOutcome

if TYPE_CHECKING:
    from ..content.loading.kb_content import KBContent

SentenceStatus = Literal["encoded", "left_out", "partly", "untouched"]
STATUSES: tuple[SentenceStatus, ...] = ("encoded", "left_out", "partly", "untouched")

# Words that join claims without making one: left between two quotes, they are no
# untouched text.
CONNECTIVES = frozenset({"and", "or", "but", "however", "so", "then", "also", "yet", "while"})
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class SentenceCoverage:
    """One sentence of a source and what accounts for it."""

    source: str
    anchor: str
    text: str
    status: SentenceStatus
    rules: tuple[str, ...] = ()
    conclusions: tuple[str, ...] = ()
    background: tuple[str, ...] = ()
    inactive_rules: tuple[str, ...] = ()
    reason: str | None = None
    # The untouched parts of a partly encoded sentence: (start, end) in the source text.
    untouched_spans: tuple[tuple[int, int], ...] = ()
    untouched_parts: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "untouched_parts": list(self.untouched_parts),
            "source": self.source,
            "anchor": self.anchor,
            "text": self.text,
            "status": self.status,
            "rules": list(self.rules),
            "conclusions": list(self.conclusions),
            "background": list(self.background),
            "inactive_rules": list(self.inactive_rules),
            "reason": self.reason,
        }


@dataclass(frozen=True)
class RuleCoverage:
    """One rule and the test cases in which it fired."""

    rule: str
    file: str
    status: str
    cases: tuple[str, ...]

    @property
    def counted(self) -> bool:
        """Only active rules run, so only they count towards rule coverage."""
        return self.status == "active"

    @property
    def exercised(self) -> bool:
        return bool(self.cases)

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "file": self.file,
            "status": self.status,
            "exercised": self.exercised,
            "cases": list(self.cases),
        }


def _percent(part: int, whole: int) -> float:
    return 100.0 if whole == 0 else round(100.0 * part / whole, 1)


@dataclass(frozen=True)
class Coverage:
    """Sentence and rule coverage of one KB under its test cases."""

    sentences: tuple[SentenceCoverage, ...]
    rules: tuple[RuleCoverage, ...]

    def count(self, status: SentenceStatus, source: str | None = None) -> int:
        return sum(
            1
            for s in self.sentences
            if s.status == status and (source is None or s.source == source)
        )

    @property
    def sentence_percent(self) -> float:
        """Share of sentences encoded or left out with a reason, with no untouched words."""
        return self.source_percent(None)

    def source_percent(self, source: str | None) -> float:
        total = sum(1 for s in self.sentences if source is None or s.source == source)
        open_ = self.count("untouched", source) + self.count("partly", source)
        return _percent(total - open_, total)

    def source_summary(self, source: str | None = None) -> dict[str, Any]:
        """Counts of one source's sentences by status (all sources: None)."""
        total = sum(1 for s in self.sentences if source is None or s.source == source)
        counts: dict[str, Any] = {"total": total}
        counts.update({status: self.count(status, source) for status in STATUSES})
        counts["percent"] = self.source_percent(source)
        return counts

    @property
    def rule_percent(self) -> float:
        """Share of active rules fired by at least one test case."""
        counted = [r for r in self.rules if r.counted]
        return _percent(sum(1 for r in counted if r.exercised), len(counted))

    def shortfalls(
        self, sentences_min: float | None = None, rules_min: float | None = None
    ) -> list[str]:
        """A sentence for each coverage figure under its threshold (none: all met).

        Thresholds are percentages: a floor outside 0 to 100 is a mistake (it could
        never fail, or never pass), so it raises ValueError.
        """
        for name, floor in (("sentences_min", sentences_min), ("rules_min", rules_min)):
            if floor is not None and not 0 <= floor <= 100:
                raise ValueError(f"{name} must be a percentage from 0 to 100, got {floor!r}")
        found = []
        if sentences_min is not None and self.sentence_percent < sentences_min:
            found.append(f"sentence coverage {self.sentence_percent}% is under {sentences_min:g}%")
        if rules_min is not None and self.rule_percent < rules_min:
            found.append(f"rule coverage {self.rule_percent}% is under {rules_min:g}%")
        return found

    def to_dict(self) -> dict[str, Any]:
        counted = [r for r in self.rules if r.counted]
        return {
            "sentences": [s.to_dict() for s in self.sentences],
            "rules": [r.to_dict() for r in self.rules],
            "summary": {
                "sentences": self.source_summary(),
                "sources": {
                    source: self.source_summary(source)
                    for source in sorted({s.source for s in self.sentences})
                },
                "rules": {
                    "total": len(counted),
                    "exercised": sum(1 for r in counted if r.exercised),
                    "not_counted": len(self.rules) - len(counted),
                    "percent": self.rule_percent,
                },
            },
        }


def coverage(content: KBContent, outcomes: Iterable[CaseOutcome]) -> Coverage:
    """Sentence coverage of every source and rule coverage under these case outcomes."""
    return Coverage(tuple(sentence_coverage(content)), tuple(rule_coverage(content, outcomes)))


def sentence_coverage(content: KBContent) -> list[SentenceCoverage]:
    """Every sentence of every source (sources by id, sentences in text order)."""
    cited: dict[str, dict[tuple[str, str], set[str]]] = {
        kind: {} for kind in ("rules", "conclusions", "background", "inactive_rules")
    }
    quoted: dict[str, list[tuple[int, int]]] = {}

    def note(kind: str, name: str, citations: Iterable[Citation]) -> None:
        for citation in citations:
            resolved = content.citations.resolve(citation)
            for anchor in resolved.sentence_anchors:
                cited[kind].setdefault((citation.source, anchor), set()).add(name)
            if kind != "inactive_rules":
                quoted.setdefault(citation.source, []).append((resolved.start, resolved.end))

    for rule in content.rules.values():
        note("rules" if rule.status == "active" else "inactive_rules", rule.id, rule.because)
    for conclusion in content.conclusions.values():
        note("conclusions", conclusion.id, conclusion.because)
    for name, fact in content.vocabulary.background.items():
        note("background", name, fact.because)

    found = []
    for source_id in sorted(content.sources):
        reasons, left_spans = _left_out(content, source_id)
        text = content.citations.texts[source_id]
        covered = quoted.get(source_id, []) + left_spans
        for sentence in text.sentences:
            key = (source_id, sentence.anchor)
            by = {kind: tuple(sorted(table.get(key, ()))) for kind, table in cited.items()}
            encoded = by["rules"] or by["conclusions"] or by["background"]
            reason = reasons.get(sentence.anchor)
            gaps = _untouched(text.text, sentence.start, sentence.end, covered)
            status: SentenceStatus = (
                "untouched"
                if not encoded and reason is None
                else "partly"
                if gaps
                else "encoded"
                if encoded
                else "left_out"
            )
            found.append(
                SentenceCoverage(
                    source_id,
                    sentence.anchor,
                    sentence.text,
                    status,
                    reason=reason,
                    untouched_spans=tuple(gaps) if status == "partly" else (),
                    untouched_parts=tuple(
                        text.text[a:b].strip() for a, b in gaps if status == "partly"
                    ),
                    **by,
                )
            )
    return found


def _untouched(
    text: str, start: int, end: int, covered: list[tuple[int, int]]
) -> list[tuple[int, int]]:
    """The parts of `text[start:end]` no span covers that hold a word other than a
    connective, as (start, end)."""
    gaps, at = [], start
    for a, b in sorted((max(a, start), min(b, end)) for a, b in covered if a < end and start < b):
        if a > at:
            gaps.append((at, a))
        at = max(at, b)
    if at < end:
        gaps.append((at, end))
    return [
        (a, b)
        for a, b in gaps
        if any(word.lower() not in CONNECTIVES for word in _WORD.findall(text[a:b]))
    ]


def _left_out(content: KBContent, source_id: str) -> tuple[dict[str, str], list[tuple[int, int]]]:
    """Sentence anchor -> the reason given for leaving (part of) it out, and the spans."""
    reasons: dict[str, str] = {}
    spans = []
    for item in content.sources[source_id].left_out:
        resolved = content.citations.resolve(Citation(source=source_id, quote=item.quote))
        spans.append((resolved.start, resolved.end))
        for anchor in resolved.sentence_anchors:
            reasons.setdefault(anchor, item.reason)
    return reasons, spans


def rule_coverage(content: KBContent, outcomes: Iterable[CaseOutcome]) -> list[RuleCoverage]:
    """Every rule (by id) with the names of the cases in which it fired."""
    fired_in: dict[str, set[str]] = {}
    for outcome in outcomes:
        for firing in outcome.result.fired:
            fired_in.setdefault(firing.rule_id, set()).add(outcome.case.name)
    return [
        RuleCoverage(
            rule_id,
            content.rule_files[rule_id],
            rule.status,
            tuple(sorted(fired_in.get(rule_id, ()))),
        )
        for rule_id, rule in sorted(content.rules.items())
    ]
