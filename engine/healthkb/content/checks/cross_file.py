"""Cross-file checks: ids, references to facts and conclusions, values, quotes, certainty."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from itertools import repeat
from typing import Any

from ...errors import Problem, did_you_mean, shown
from ...files.yaml_reader import PathKey
from ..diagnostics.unloaded_items import NOTHING_UNLOADED, Unloaded
from ..located_items import Placed
from ..model import (
    WHOLE_NUMBER_RANGE,
    Attribute,
    Citation,
    Conclusion,
    FactType,
    Source,
    Vocabulary,
    whole_number_fits,
)
from ..provenance import OriginalText
from ..rule_model import Comparison, Rule, Then
from ..silence_model import Silence
from ..sources import ResolvedCitation, SourceText
from .vocabulary_places import NO_PLACES, Misspelled, VocabularyPlaces

# Words that weaken a claim, and the strongest certainty a quote using them supports.
_OPERATORS_BY_TYPE = {
    "bool": {"eq", "ne"},
    "enum": {"eq", "ne", "in", "not_in"},
    "integer": {"eq", "ne", "lt", "le", "gt", "ge", "between", "in", "not_in"},
    "number": {"eq", "ne", "lt", "le", "gt", "ge", "between", "in", "not_in"},
    "list": {"contains", "contains_any"},
}


@dataclass
class CitationIndex:
    """Source texts and every quote resolved to its passage."""

    texts: dict[str, SourceText]
    resolved: dict[tuple[str, str], ResolvedCitation] = field(default_factory=dict)
    originals: dict[str, tuple[OriginalText, SourceText]] = field(default_factory=dict)
    """Each translated source's original text, when it has one."""

    _as_data: dict[Citation, dict[str, Any]] = field(default_factory=dict, repr=False)

    def resolve(self, citation: Citation) -> ResolvedCitation:
        base = self.resolved[(citation.source, citation.quote)]
        if citation.interpretation == base.interpretation:
            return base
        return base.model_copy(update={"interpretation": citation.interpretation})

    def as_data(self, citation: Citation) -> dict[str, Any]:
        """The resolved citation as JSON-ready data: a fresh copy, built once per citation."""
        data = self._as_data.get(citation)
        if data is None:
            data = self._as_data[citation] = self.resolve(citation).model_dump(mode="json")
        return {**data, "sentences": list(data["sentences"])}


def duplicate_ids(items: Iterable[Placed[Any]], what: str) -> list[Problem]:
    """One problem for every item whose id was already used by an earlier one."""
    first: dict[str, Placed[Any]] = {}
    problems = []
    for placed in items:
        item_id = placed.item.id
        if item_id in first:
            earlier = first[item_id]
            line, column = earlier.located.place(earlier.path)
            problems.append(
                placed.problem(
                    f"duplicate-{what}-id",
                    f"{what} id `{item_id}` is already used at {earlier.file}:{line}:{column}",
                    f"give this {what} a new id",
                    "id",
                )
            )
        else:
            first[item_id] = placed
    return problems


# A citation, the item it is under and the path from that item to it (`("because", 0)`):
# placed (`Placed.child`) only for a problem, since most citations have none.
Cited = tuple[Citation, Placed[Any], PathKey]


def check_citations(
    citations: Iterable[Cited],
    index: CitationIndex,
    unloaded: Unloaded = NOTHING_UNLOADED,
) -> list[Problem]:
    """Resolve every citation's quote to one passage of its source, or say why not.

    Citations of sources in `unloaded` (files whose own problems are reported) are
    skipped: their quotes cannot be checked, and "unknown source" would be wrong.
    """
    problems = []
    # Quotes resolved to one passage by this call: a quote cited again resolves the same
    # (its source's text is the same), so it is neither searched for nor resolved again.
    found_once: set[tuple[str, str]] = set()
    for citation, item, steps in citations:
        if (citation.source, citation.quote) in found_once:
            continue
        placed = item.child(citation, *steps)
        text = index.texts.get(citation.source)
        if text is None and unloaded.covers(citation.source):
            continue
        if text is None:
            problems.append(
                placed.problem(
                    "unknown-source",
                    f"source `{citation.source}` does not exist",
                    did_you_mean(citation.source, index.texts),
                    "source",
                )
            )
            continue
        text, spans, original = _spans(citation, text, index)
        if not spans:
            mismatch = text.closest(citation.quote)
            problems.append(
                placed.problem(
                    "quote-not-found",
                    f"quote not found in source `{citation.source}`: {mismatch.describe()}",
                    "copy the passage exactly; only differences in white space are ignored",
                    "quote",
                )
            )
        elif len(spans) > 1:
            anchors = ", ".join(text.sentences_in(*span)[0].anchor for span in spans)
            problems.append(
                placed.problem(
                    "ambiguous-quote",
                    f"quote occurs {len(spans)} times in source `{citation.source}` ({anchors})",
                    "quote more of the passage so that it occurs once",
                    "quote",
                )
            )
        else:
            found_once.add((citation.source, citation.quote))
            resolved = text.resolve(citation.source, citation.quote, None, spans[0])
            index.resolved.setdefault(
                (citation.source, citation.quote), with_original(resolved, original, text)
            )
    return problems


def _spans(
    citation: Citation, text: SourceText, index: CitationIndex
) -> tuple[SourceText, list[tuple[int, int]], tuple[OriginalText, SourceText] | None]:
    """Where the quote is in its source's text (or, failing that, in the source's original
    text, whose anchors it then has): that text, the spans, and the original."""
    spans = text.find(citation.quote)
    original = index.originals.get(citation.source)
    if not spans and original is not None and original[1].find(citation.quote):
        # Quoted from the original: resolved there (its anchors are the original's).
        text, spans = original[1], original[1].find(citation.quote)
    return text, spans, original


class CitedOnce:
    """The citations of the rules, a rule at a time (loading's one pass over the rules),
    as `check_citations` needs them: each whose quote does not resolve to one passage
    of its source (each is reported, or skipped for a source that failed to load), and
    the first of each that does. A quote resolved once is skipped by `check_citations`
    when cited again, so its other citations are not kept: a 10,000-rule KB cites a few
    dozen passages 10,000 times, and keeping them all was a list of 10,000 triples to
    build and go over again (docs/performance.md, "Checking the files: less made, less
    kept")."""

    def __init__(self, index: CitationIndex) -> None:
        self.index = index
        self.cited: list[Cited] = []
        self._resolved: set[tuple[str, str]] = set()  # kept once, resolving to one passage
        self._unresolved: set[tuple[str, str]] = set()

    def add(self, placed: Placed[Rule]) -> None:
        """The citations of the next rule, in the order read."""
        resolved = self._resolved
        for i, citation in enumerate(placed.item.because):
            key = (citation.source, citation.quote)
            if key in resolved:
                continue
            self.cited.append((citation, placed, ("because", i)))
            if key not in self._unresolved:
                text = self.index.texts.get(citation.source)
                one = text is not None and len(_spans(citation, text, self.index)[1]) == 1
                (resolved if one else self._unresolved).add(key)


def with_original(
    resolved: ResolvedCitation,
    original: tuple[OriginalText, SourceText] | None,
    text: SourceText,
) -> ResolvedCitation:
    """A resolved quote with its other language: the original's language when it is from
    the original text, else the original sentence its first sentence is aligned to."""
    if original is None:
        return resolved
    model, original_text = original
    if text is original_text:
        return resolved.model_copy(update={"language": model.language})
    anchor = model.alignment.get(resolved.sentence_anchor)
    sentence = next((s for s in original_text.sentences if s.anchor == anchor), None)
    if sentence is None:
        return resolved
    said = {"language": model.language, "sentence": sentence.anchor, "text": sentence.text}
    return resolved.model_copy(update={"original": said})


def all_citations(
    sources: list[Placed[Source]],
    vocabulary: Placed[Vocabulary] | None,
    conclusions: list[Placed[Conclusion]],
    rules: list[Placed[Rule]],
    silences: Sequence[Placed[Silence]] = (),
    rules_cited: list[Cited] | None = None,
) -> list[Cited]:
    """Every citation in the KB, including sources' left-out passages. `rules_cited`: in
    place of the rules' citations, those of them `check_citations` needs, when the
    caller gathered them (`CitedOnce.cited`; the same problems, in the same order)."""
    found: list[Cited] = []
    for source in sources:
        for i, left_out in enumerate(source.item.left_out):
            citation = Citation(source=source.item.id, quote=left_out.quote)
            found.append((citation, source, ("left_out", i)))
    if vocabulary is not None:
        for name, fact in vocabulary.item.background.items():
            for i, c in enumerate(fact.because):
                found.append((c, vocabulary, ("background", name, "because", i)))
    for conclusion in conclusions:
        found += _cited_by(conclusion)
    if rules_cited is None:
        for rule in rules:
            found += _cited_by(rule)
    else:
        found += rules_cited
    for silence in silences:
        found += _cited_by(silence)
    return found


def _cited_by(placed: Placed[Conclusion] | Placed[Rule] | Placed[Silence]) -> Iterable[Cited]:
    """The citations of a conclusion, a rule or a silence, each with its path."""
    because = placed.item.because
    if len(because) <= len(_BECAUSE):  # the paths made once, the triples by zip
        return zip(because, repeat(placed), _BECAUSE, strict=False)
    return [(c, placed, ("because", i)) for i, c in enumerate(because)]


# The paths from an item to its first citations, made once for every item.
_BECAUSE = tuple(("because", i) for i in range(8))


def check_vocabulary(vocabulary: Placed[Vocabulary]) -> list[Problem]:
    """Fact names are unique across sections; background values fit their attributes."""
    problems = []
    seen: dict[str, str] = {}
    for section in ("input", "derived", "background"):
        for name in getattr(vocabulary.item, section):
            if name in seen:
                problems.append(
                    vocabulary.problem(
                        "duplicate-fact",
                        f"fact `{name}` is declared in both `{seen[name]}` and `{section}`",
                        "rename one of them",
                        section,
                        name,
                    )
                )
            seen.setdefault(name, section)
    for name, fact in vocabulary.item.background.items():
        problems += check_values(
            fact, fact.values, vocabulary.child(fact, "background", name), "values", True
        )
    return problems + check_bounds(vocabulary)


def check_bounds(vocabulary: Placed[Vocabulary]) -> list[Problem]:
    """`min` and `max` are finite, and whole numbers for an integer attribute."""
    problems = []
    for section in ("input", "derived", "background"):
        for name, fact in getattr(vocabulary.item, section).items():
            for attribute, spec in fact.attributes.items():
                for key in ("min", "max"):
                    error = _bound_error(spec, key)
                    if error:
                        where = (section, name, "attributes", attribute, key)
                        problems.append(vocabulary.problem("invalid-value", *error, *where))
    return problems


def _bound_error(spec: Attribute, key: str) -> tuple[str, str] | None:
    bound = getattr(spec, key)
    if bound is None:
        return None
    if not math.isfinite(bound):
        side = "lower" if key == "min" else "upper"
        return (
            f"`{key}` must be a finite number, not {bound}",
            f"leave `{key}` out for no {side} bound",
        )
    if spec.type == "integer" and bound != int(bound):
        return (
            f"`{key}` of an integer attribute must be a whole number, not {bound}",
            "use a whole number, or make the attribute a `number`",
        )
    if not whole_number_fits(bound):
        return (
            f"`{key}` is {shown(bound)}, beyond the whole numbers the rule engine compares exactly",
            f"use a whole number {WHOLE_NUMBER_RANGE}, or leave `{key}` out",
        )
    return None


def check_values(
    fact: FactType, values: dict[str, Any], where: Placed[Any], key: str, complete: bool
) -> list[Problem]:
    """Attribute values (of a background fact or a derived fact) fit the vocabulary."""
    problems = []
    for attribute, value in values.items():
        spec = fact.attributes.get(attribute)
        if spec is None:
            problems.append(
                where.problem(
                    "unknown-attribute",
                    f"attribute `{attribute}` is not declared for this fact",
                    did_you_mean(attribute, fact.attributes),
                    key,
                    attribute,
                )
            )
            continue
        error = value_error(spec, value)
        if error:
            hint = _value_hint(spec, value)
            problems.append(where.problem("invalid-value", error, hint, key, attribute))
    if complete:
        for attribute in sorted(set(fact.attributes) - set(values)):
            problems.append(
                where.problem(
                    "missing-value",
                    f"attribute `{attribute}` has no value",
                    f"give it under `{key}:` (a background fact states every attribute)",
                    key,
                )
            )
    return problems


def value_error(spec: Attribute, value: Any) -> str:
    """Why `value` does not fit the attribute, or '' if it does."""
    if spec.type == "bool":
        return "" if isinstance(value, bool) else f"{shown(value)} is not true or false"
    if spec.type == "enum":
        if isinstance(value, str) and spec.values and value in spec.values:
            return ""
        return f"{shown(value)} is not one of {', '.join(spec.values or [])}"
    if spec.type == "list":
        items = value if isinstance(value, list) else [value]
        bad = [v for v in items if v not in (spec.values or [])]
        return f"{shown(bad[0])} is not one of {', '.join(spec.values or [])}" if bad else ""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return f"{shown(value)} is not a number"
    if spec.type == "integer" and not isinstance(value, int):
        return f"{shown(value)} is not a whole number"
    if not whole_number_fits(value):
        return (
            f"{shown(value)} is beyond the whole numbers the rule engine compares exactly "
            f"({WHOLE_NUMBER_RANGE})"
        )
    if spec.min is not None and value < spec.min:
        return f"{shown(value)} is below the minimum {shown(spec.min)}"
    if spec.max is not None and value > spec.max:
        return f"{shown(value)} is above the maximum {shown(spec.max)}"
    return ""


def what_fits(spec: Attribute) -> tuple[str, str, str, str]:
    """What decides which comparisons fit an attribute (`check_comparison`'s operator
    check and `value_error`): its type, values and bounds, `repr` telling `1` from
    `1.0`. Two attributes alike in these accept the same operators and values."""
    return (spec.type, repr(spec.values), repr(spec.min), repr(spec.max))


def _value_hint(spec: Attribute, value: Any) -> str:
    """How to fix a value the vocabulary does not allow."""
    if spec.values is not None and isinstance(value, str):
        return did_you_mean(value, spec.values) or (
            "use one of them, or declare the value in kb/facts.yaml (with a new version)"
        )
    return "use a value the vocabulary allows, or widen it in kb/facts.yaml (with a new version)"


def all_facts(vocabulary: Vocabulary) -> dict[str, FactType]:
    return {**vocabulary.input, **vocabulary.derived, **vocabulary.background}


def _pointed(problem: Problem, misspelled: Misspelled | None) -> Problem:
    """The problem pointing at the declaration that is likely misspelled, if any."""
    if misspelled is None:
        return problem
    return replace(problem, hint=misspelled.hint, see=misspelled.see)


def check_then(
    then: Placed[Any],
    vocabulary: Vocabulary,
    conclusions: set[str],
    unloaded: Unloaded = NOTHING_UNLOADED,
) -> list[Problem]:
    """A rule's outcome names a declared conclusion, or a derived fact with fitting values."""
    item: Then = then.item
    problems = []
    if (
        item.conclude is not None
        and item.conclude not in conclusions
        and not unloaded.covers(item.conclude)
    ):
        problems.append(
            then.problem(
                "unknown-conclusion",
                f"conclusion `{item.conclude}` is not declared in kb/conclusions.yaml",
                did_you_mean(item.conclude, conclusions),
                "conclude",
            )
        )
    if item.derive is not None:
        derived = vocabulary.derived.get(item.derive.fact)
        if derived is None:
            problems.append(
                then.problem(
                    "unknown-derived-fact",
                    f"derived fact `{item.derive.fact}` is not declared under `derived` in "
                    "kb/facts.yaml",
                    did_you_mean(item.derive.fact, vocabulary.derived),
                    "derive",
                    "fact",
                )
            )
        else:
            where = then.child(item.derive, "derive")
            problems += check_values(derived, item.derive.values, where, "values", False)
    return problems


def check_comparison(
    comparison: Comparison,
    where: Placed[Any],
    facts: dict[str, FactType],
    declared: VocabularyPlaces = NO_PLACES,
) -> list[Problem]:
    """A comparison names a declared fact and attribute, with a fitting operator and values.

    An unknown name is also shown where kb/facts.yaml declares the closest one
    (`declared`), which may be the misspelled one."""
    fact = facts.get(comparison.fact_type)
    if fact is None:
        problem = where.problem(
            "unknown-fact",
            f"fact `{comparison.fact_type}` is not declared in kb/facts.yaml",
            did_you_mean(comparison.fact_type, facts),
            "fact",
        )
        return [_pointed(problem, declared.fact(comparison.fact_type, facts))]
    spec = fact.attributes.get(comparison.attribute)
    if spec is None:
        problem = where.problem(
            "unknown-attribute",
            f"fact `{comparison.fact_type}` has no attribute `{comparison.attribute}`",
            did_you_mean(comparison.attribute, fact.attributes),
            "fact",
        )
        misspelled = declared.attribute(comparison.fact_type, comparison.attribute, fact)
        return [_pointed(problem, misspelled)]
    op = comparison.op
    allowed = _OPERATORS_BY_TYPE[spec.type]
    key = "in" if op == "in" else op
    if op not in allowed:
        return [
            where.problem(
                "wrong-operator",
                f"`{op}` cannot test `{comparison.fact}`, a {spec.type} attribute",
                f"use one of {', '.join(sorted(allowed))}",
                key,
            )
        ]
    values = comparison.value if isinstance(comparison.value, list) else [comparison.value]
    item_spec = spec.model_copy(update={"type": "enum"}) if spec.type == "list" else spec
    problems = []
    for value in values:
        if isinstance(value, float) and "e" in repr(value):
            problems.append(
                where.problem(
                    "number-format",
                    f"`{shown(value)}` is too small or too large for the rule engine",
                    "use a number between 0.0001 and 10^16 (or 0)",
                    key,
                )
            )
            continue
        error = value_error(item_spec, value)
        if error:
            problems.append(
                where.problem(
                    "invalid-value",
                    f"`{comparison.fact}`: {error}",
                    _value_hint(item_spec, value),
                    key,
                )
            )
    return problems
