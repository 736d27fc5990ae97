"""What changed inside an item, old → new: the content a reviewer must see, not field names.

- a rule: each condition (by its place in `when`), its outcome (`then`), `status` and
  `title`: `running.minutes_per_session gt 30 → gt 20`;
- a conclusion: `statement`, `kind`, `certainty` and whatever else it says;
- a fact type: each attribute's `type`, `values`, `min`, `max`, `unit` and
  `description`, and a background fact's values;
- a source: each sentence added, removed or changed, by anchor, a changed one also
  word by word (`[-cures-]{+may lower+}`, as `git diff --word-diff` shows it).

Citations are compared in `diff.py` (quotes cited and their interpretations).
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from ..content.logic import walk_comparisons
from ..content.model import Attribute, FactType, Source
from ..content.rule_model import Rule, Then
from ..content.sources import SourceText


@dataclass(frozen=True)
class ValueChange:
    """One part of an item, old → new (None: not there on that side).

    `words` is set for a changed sentence of a source: the sentence with the words
    removed in `[-...-]` and those added in `{+...+}`.
    """

    field: str
    old: str | None
    new: str | None
    words: str | None = None


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))


def _pairs(old: dict[str, str], new: dict[str, str]) -> list[ValueChange]:
    """Keys in the order they come (OLD's, then those only NEW has), where values differ."""
    keys = list(old) + [k for k in new if k not in old]
    return [ValueChange(k, old.get(k), new.get(k)) for k in keys if old.get(k) != new.get(k)]


# --- rules -----------------------------------------------------------------------------


def _path_text(path: tuple[str | int, ...]) -> str:
    """`when.all[2]`, `when.any[0].not`: where in `when` a condition sits."""
    text = ""
    for step in path:
        text += f"[{step}]" if isinstance(step, int) else (f".{step}" if text else step)
    return text


def _conditions(rule: Rule) -> dict[str, str]:
    return {
        _path_text(path): f"{c.fact} {c.op} {_text(c.value)}"
        for c, path in walk_comparisons(rule.when, ("when",))
    }


def _then(then: Then) -> str:
    if then.derive is not None:
        return f"derive {then.derive.fact} {_text(dict(then.derive.values))}"
    return f"conclude {then.conclude}"


def rule_changes(old: Rule, new: Rule) -> tuple[ValueChange, ...]:
    """A rule's conditions, outcome, status and title, old → new."""
    changes = _pairs(_conditions(old), _conditions(new))
    changes += _pairs(
        {"then": _then(old.then), "status": old.status, "title": old.title},
        {"then": _then(new.then), "status": new.status, "title": new.title},
    )
    return tuple(changes)


# --- conclusions and the vocabulary -----------------------------------------------------


def _fields(model: BaseModel, skip: set[str]) -> dict[str, str]:
    data = model.model_dump(mode="json", by_alias=True, exclude_defaults=True, exclude=skip)
    return {key: _text(value) for key, value in data.items()}


def conclusion_changes(old: BaseModel, new: BaseModel) -> tuple[ValueChange, ...]:
    """A conclusion's statement, kind, certainty (and any other field), old → new."""
    skip = {"id", "version", "because"}
    return tuple(_pairs(_fields(old, skip), _fields(new, skip)))


def _attribute(name: str, attribute: Attribute | None) -> dict[str, str]:
    if attribute is None:
        return {}
    return {f"{name}.{key}": value for key, value in _fields(attribute, set()).items()}


def fact_changes(old: FactType, new: FactType) -> tuple[ValueChange, ...]:
    """A fact type's description, each attribute's properties, background values."""
    skip = {"attributes", "version"}
    changes = _pairs(_fields(old, skip), _fields(new, skip))
    for name in list(old.attributes) + [n for n in new.attributes if n not in old.attributes]:
        before = _attribute(name, old.attributes.get(name))
        after = _attribute(name, new.attributes.get(name))
        if before and after:
            changes += _pairs(before, after)
    return tuple(changes)


# --- sources ----------------------------------------------------------------------------


def source_changes(old: Source, new: Source) -> tuple[ValueChange, ...]:
    """The sentences of a source added, removed and changed (word by word), by anchor."""
    before = [(s.anchor, s.text) for s in SourceText(old.text).sentences]
    after = [(s.anchor, s.text) for s in SourceText(new.text).sentences]
    matcher = difflib.SequenceMatcher(
        a=[t for _, t in before], b=[t for _, t in after], autojunk=False
    )
    changes: list[ValueChange] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        olds, news = before[i1:i2], after[j1:j2]
        # Replaced sentences pair up in order; the rest were removed or added.
        shared = min(len(olds), len(news)) if tag == "replace" else 0
        for (old_anchor, old_text), (new_anchor, new_text) in zip(
            olds[:shared], news[:shared], strict=True
        ):
            anchor = old_anchor if old_anchor == new_anchor else f"{old_anchor} → {new_anchor}"
            changes.append(ValueChange(anchor, old_text, new_text, word_diff(old_text, new_text)))
        changes += [ValueChange(anchor, text, None) for anchor, text in olds[shared:]]
        changes += [ValueChange(anchor, None, text) for anchor, text in news[shared:]]
    return tuple(changes)


_WORD = re.compile(r"\S+")


def word_diff(old: str, new: str) -> str:
    """`new` with the words removed from `old` as `[-...-]` and those added as `{+...+}`."""
    a, b = _WORD.findall(old), _WORD.findall(new)
    parts: list[str] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if tag == "equal":
            parts += a[i1:i2]
            continue
        if i2 > i1:
            parts.append("[-" + " ".join(a[i1:i2]) + "-]")
        if j2 > j1:
            parts.append("{+" + " ".join(b[j1:j2]) + "+}")
    return " ".join(parts)
