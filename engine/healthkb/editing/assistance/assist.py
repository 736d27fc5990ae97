"""What an editor's tool shows while a KB file is edited: hover text, completions, and the
edit a "did you mean" hint proposes. Data in, data out; the language server (`lsp/`)
only carries it over the protocol.

>>> did_you_mean("unknown key `titel`", "did you mean `title`?", "    titel: Walk", 4)
Fix(start=4, end=9, text='title', title='Change `titel` to `title`')
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from ...content.loading.kb_content import KBContent
from ...content.model import Attribute
from ...content.rule_model import OPERATORS
from .symbols import Occurrence, SymbolIndex

COMBINATORS = ("all", "any", "not")

_SUGGESTION = re.compile(r"did you mean `([^`]+)`")
_BACKTICKED = re.compile(r"`([^`]+)`")
_FACT_BEFORE = re.compile(r"fact:\s*([\w.]+)")
# What the text before the cursor ends with, for each kind of completion.
_FACT_VALUE = re.compile(r"(?:^|[{,\s])(?:fact|attribute):\s*[\w.]*$")
_CONCLUSION_VALUE = re.compile(
    r"(?:conclude:\s*\w*|(?:excludes|about|conclusions|no_conclusions):\s*\[[\w, ]*)$"
)
_RULE_VALUE = re.compile(r"fired_rules:\s*\[[\w, ]*$")
_SOURCE_VALUE = re.compile(r"(?:^|[{,\s])source:\s*[\w.-]*$")
_ALLOWED_VALUE = re.compile(r"(?:eq|ne|in|not_in|contains|contains_any):\s*\[?[\w, ]*$")
_OPERATOR_KEY = re.compile(r"fact:\s*[\w.]+\s*,\s*\w*$")
_LIST_ITEM = re.compile(r"^\s*-\s*\w*$")


@dataclass(frozen=True)
class Completion:
    label: str
    kind: str  # rule, conclusion, fact, attribute, source, operator, value
    detail: str = ""


@dataclass(frozen=True)
class Fix:
    """Replace columns `start`..`end` of the problem's line with `text`."""

    start: int
    end: int
    text: str
    title: str


def did_you_mean(message: str, hint: str, line: str, column: int) -> Fix | None:
    """The edit a problem's "did you mean `x`?" hint proposes, on its line (`column` is
    where the problem is, 0-based): the backticked word of the message most like the
    suggestion, found in the line from that column on; None when there is no such edit."""
    suggested = _SUGGESTION.search(hint) or _SUGGESTION.search(message)
    if suggested is None:
        return None
    wanted = suggested.group(1)
    words = [w for w in _BACKTICKED.findall(message) if w != wanted and w in line]
    if not words:
        return None
    wrong = max(words, key=lambda w: difflib.SequenceMatcher(None, w, wanted).ratio())
    start = line.find(wrong, max(column, 0))
    if start < 0:
        start = line.find(wrong)
    # The wrong word may be the last part of a path (`walk.sesions`): replace only it.
    if "." in wrong and "." not in wanted:
        start, wrong = start + wrong.rindex(".") + 1, wrong.rsplit(".", 1)[1]
    return Fix(start, start + len(wrong), wanted, f"Change `{wrong}` to `{wanted}`")


def completions(
    before: str, previous_lines: list[str], index: SymbolIndex, content: KBContent | None
) -> list[Completion]:
    """What may be written at the cursor, given the text of its line before it (and the
    lines above, for a list item whose key is there)."""
    if _FACT_VALUE.search(before):
        return _fact_paths(index, content)
    if _CONCLUSION_VALUE.search(before) or _item_of(previous_lines, before, _CONCLUSION_LISTS):
        return _ids(index, "conclusion", content)
    if _RULE_VALUE.search(before) or _item_of(previous_lines, before, ("fired_rules",)):
        return _ids(index, "rule", content)
    if _SOURCE_VALUE.search(before):
        return _ids(index, "source", content)
    fact = _FACT_BEFORE.search(before)
    if fact and _ALLOWED_VALUE.search(before):
        return _allowed_values(fact.group(1), content)
    if _OPERATOR_KEY.search(before) or _after_condition_fact(previous_lines, before):
        return [Completion(op, "operator", "comparison") for op in OPERATORS]
    return []


_CONCLUSION_LISTS = ("excludes", "about", "conclusions", "no_conclusions")


def _item_of(previous_lines: list[str], before: str, keys: tuple[str, ...]) -> bool:
    """Whether the cursor is on a `- ` item of a block list under one of `keys`."""
    if not _LIST_ITEM.match(before) or not previous_lines:
        return False
    indent = len(before) - len(before.lstrip())
    for line in reversed(previous_lines):
        stripped = line.strip()
        if not stripped or (stripped.startswith("- ") and line.startswith(" " * indent)):
            continue
        return any(stripped == f"{key}:" for key in keys)
    return False


def _after_condition_fact(previous_lines: list[str], before: str) -> bool:
    """A key being typed under a block condition's `fact:` line, in line with it."""
    if not re.fullmatch(r"\s*\w*", before) or not previous_lines:
        return False
    match = re.match(r"^(\s*(?:- )?)fact:\s*\S", previous_lines[-1])
    return match is not None and len(before) - len(before.lstrip()) == len(match.group(1))


def _ids(index: SymbolIndex, kind: str, content: KBContent | None) -> list[Completion]:
    names = set(index.names(kind))
    if content is not None:
        names |= set(_content_ids(content, kind))
    return [Completion(name, kind, describe_id(kind, name, content)) for name in sorted(names)]


def _content_ids(content: KBContent, kind: str) -> list[str]:
    if kind == "conclusion":
        return list(content.conclusions)
    if kind == "rule":
        return list(content.rules)
    if kind == "source":
        return list(content.sources)
    return []


def _fact_paths(index: SymbolIndex, content: KBContent | None) -> list[Completion]:
    found: dict[str, Completion] = {}
    for name in index.names("fact"):
        found[name] = Completion(name, "fact")
    for name in index.names("attribute"):
        found[name] = Completion(name, "attribute")
    if content is not None:
        for fact, attribute_name, attribute in _attributes(content):
            path = f"{fact}.{attribute_name}"
            found[path] = Completion(path, "attribute", attribute_summary(attribute))
    return [found[name] for name in sorted(found)]


def _allowed_values(path: str, content: KBContent | None) -> list[Completion]:
    attribute = find_attribute(content, path)
    if attribute is None:
        return []
    if attribute.type == "bool":
        return [Completion("true", "value"), Completion("false", "value")]
    return [Completion(value, "value", path) for value in attribute.values or []]


def _attributes(content: KBContent) -> list[tuple[str, str, Attribute]]:
    vocabulary = content.vocabulary
    sections = (vocabulary.input, vocabulary.derived, vocabulary.background)
    return [
        (fact, name, attribute)
        for section in sections
        for fact, fact_type in section.items()
        for name, attribute in fact_type.attributes.items()
    ]


def find_attribute(content: KBContent | None, path: str) -> Attribute | None:
    if content is None:
        return None
    fact, _, name = path.partition(".")
    for fact_name, attribute_name, attribute in _attributes(content):
        if (fact_name, attribute_name) == (fact, name):
            return attribute
    return None


def attribute_summary(attribute: Attribute) -> str:
    """`integer, 0 to 14 sessions per week`, `enum: low, moderate, high`."""
    text: str = attribute.type
    if attribute.values:
        text += ": " + ", ".join(attribute.values)
    if attribute.min is not None or attribute.max is not None:
        low = "…" if attribute.min is None else f"{attribute.min:g}"
        high = "…" if attribute.max is None else f"{attribute.max:g}"
        text += f", {low} to {high}"
    if attribute.unit:
        text += f" {attribute.unit}"
    return text


def describe_id(kind: str, name: str, content: KBContent | None) -> str:
    """One line about an id, for a completion's detail."""
    if content is None:
        return kind
    if kind == "conclusion" and name in content.conclusions:
        conclusion = content.conclusions[name]
        return f"{conclusion.certainty} {conclusion.kind}"
    if kind == "rule" and name in content.rules:
        return content.rules[name].title
    if kind == "source" and name in content.sources:
        return content.sources[name].title
    return kind


def hover(occurrence: Occurrence, content: KBContent | None) -> str | None:
    """Markdown about the id under the cursor: a rule's quoted passages with their
    paragraph and sentence, a conclusion's statement and certainty, an attribute's type
    and range, a fact's and a source's description."""
    if content is None:
        return None
    kind, name = occurrence.kind, occurrence.name
    if kind == "rule" and name in content.rules:
        return _rule_hover(content, name)
    if kind == "conclusion" and name in content.conclusions:
        conclusion = content.conclusions[name]
        return (
            f"**conclusion `{name}`** — {conclusion.kind}, certainty "
            f"**{conclusion.certainty}**\n\n{conclusion.statement}"
        )
    if kind == "attribute":
        attribute = find_attribute(content, name)
        if attribute is not None:
            return (
                f"**attribute `{name}`** — {attribute_summary(attribute)}\n\n"
                f"{attribute.description}"
            )
    if kind == "fact":
        return _fact_hover(content, name)
    if kind == "source" and name in content.sources:
        source = content.sources[name]
        return (
            f"**source `{name}`** — “{source.title}”, {source.author}, {source.publisher} "
            f"({source.published})"
        )
    return None


def _rule_hover(content: KBContent, name: str) -> str:
    rule = content.rules[name]
    lines = [f"**rule `{name}`** (version {rule.version}, {rule.status}) — {rule.title}"]
    for citation in rule.because:
        resolved = content.citations.resolve(citation)
        lines.append(
            f"\n> “{citation.quote}”\n\n— `{citation.source}` paragraph "
            f"`{resolved.paragraph}`, sentence `{', '.join(resolved.sentences)}`"
        )
        if citation.interpretation:
            lines.append(f"\n*Interpretation:* {citation.interpretation}")
    return "\n".join(lines)


def _fact_hover(content: KBContent, name: str) -> str | None:
    vocabulary = content.vocabulary
    for section, facts in (
        ("input", vocabulary.input),
        ("derived", vocabulary.derived),
        ("background", vocabulary.background),
    ):
        if name in facts:
            fact = facts[name]
            attributes = ", ".join(f"`{a}`" for a in fact.attributes)
            return f"**{section} fact `{name}`** — {fact.description}\n\nattributes: {attributes}"
    return None
