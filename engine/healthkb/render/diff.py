"""Rendering a KB diff: text for a reviewer, JSON for review tools."""

from __future__ import annotations

import json

from ..editing.content_diff import ValueChange
from ..editing.diff import (
    CaseChange,
    CitationChange,
    FactChange,
    FailingCase,
    ItemChange,
    KBDiff,
    ProfileChange,
)

_MARK = {"added": "+", "removed": "-", "changed": "~", "interpretation": "~"}


def diff_json(diff: KBDiff) -> str:
    """The diff as indented JSON with sorted keys: the same two KBs give the same bytes."""
    return json.dumps(diff.to_dict(), indent=2, ensure_ascii=False, sort_keys=True)


def diff_text(diff: KBDiff) -> str:
    """The diff for a reviewer: what changed in the files, then what it changes in results."""
    old, new = diff.old, diff.new
    lines = [
        f"OLD: {old.label}: {old.kb_id} {old.version} ({old.released})",
        f"NEW: {new.label}: {new.kb_id} {new.version} ({new.released})",
    ]
    if (old.version, old.released) != (new.version, new.released):
        lines.append(f"KB version: {old.version} → {new.version}")
    sections = (
        ("Rules", [_rule(c) for c in diff.rules]),
        ("Citations", [_citation(c) for c in diff.citations]),
        ("Conclusions", [_rule(c) for c in diff.conclusions]),
        ("Sources", [_rule(c) for c in diff.sources]),
        ("Vocabulary", [_fact(c) for c in diff.vocabulary]),
        ("Test cases", [_case(c) for c in diff.cases]),
    )
    for title, entries in sections:
        if entries:
            lines += ["", f"{title}:", *entries]
    if diff.structural_changes == 0:
        lines += ["", "No rule, citation, conclusion, source, vocabulary or test case changed."]
    changed = len(diff.behaviour)
    lines += [
        "",
        f"Behaviour: {changed} of {diff.profiles_compared} test cases and example profiles "
        "conclude differently" + (":" if changed else "."),
    ]
    rules = {c.id: c for c in diff.rules}
    for change in diff.behaviour:
        lines += _profile(change, rules, bool(diff.vocabulary))
    if diff.newly_failing:
        lines += [
            "",
            f"Test cases that pass on OLD and fail on NEW: {len(diff.newly_failing)}",
            *(line for case in diff.newly_failing for line in _failing(case)),
        ]
    return "\n".join(lines)


def _failing(case: FailingCase) -> list[str]:
    return [f"  {case.name} ({case.file})", *(f"    - {f}" for f in case.failures)]


def _details(details: tuple[ValueChange, ...]) -> list[str]:
    """One line per part changed: `when.all[2]: running.minutes_per_session gt 30 → gt 20`."""
    lines = []
    for change in details:
        if change.old is None:
            lines.append(f"      + {change.field}: {_shown(change.field, change.new)}")
        elif change.new is None:
            lines.append(f"      - {change.field}: {_shown(change.field, change.old)}")
        elif change.words is not None:
            lines.append(f"      ~ {change.field}: {change.words}")
        else:
            lines.append(f"      ~ {change.field}: {_old_new(change.old, change.new)}")
    return lines


def _shown(field: str, text: str | None) -> str:
    # Sentences and statements are quoted; conditions and values are shown as written.
    return f"“{text}”" if _is_sentence(field) else str(text)


def _is_sentence(field: str) -> bool:
    return (field.startswith("p") and ".s" in field) or field == "statement"


def _old_new(old: str, new: str) -> str:
    """`running.minutes_per_session gt 30 → gt 20`: a shared first word is said once."""
    head_old, _, rest_old = old.partition(" ")
    head_new, _, rest_new = new.partition(" ")
    if head_old == head_new and rest_old and rest_new and "." in head_old:
        return f"{head_old} {rest_old} → {rest_new}"
    if len(old) > 40 or len(new) > 40:
        return f"“{old}” → “{new}”"
    return f"{old} → {new}"


def _versions(change: ItemChange) -> str:
    if change.change == "added":
        return f"version {change.new_version}"
    if change.change == "removed":
        return f"was version {change.old_version}"
    if change.old_version == change.new_version:
        return f"version {change.new_version}"
    return f"version {change.old_version} → {change.new_version}"


def _rule(change: ItemChange) -> str:
    text = f"  {_MARK[change.change]} {change.id} ({_versions(change)})"
    text = f"{text}: {', '.join(change.fields)}" if change.fields else text
    return "\n".join([text, *_details(change.details)])


def _edit(change: ItemChange) -> str:
    """`rule x changed (version 1 → 2: when)`: a rule edit named in a behavioural change."""
    fields = f": {', '.join(change.fields)}" if change.fields else ""
    return f"rule {change.id} {change.change} ({_versions(change)}{fields})"


def _citation(change: CitationChange) -> str:
    place = f"{change.source} {change.sentence}".rstrip()
    text = f"  {_MARK[change.change]} {change.owner} cites {place}: “{change.quote}”"
    if change.change == "interpretation":
        return (
            f"{text}\n      interpretation: {_quoted(change.old_interpretation)} → "
            f"{_quoted(change.new_interpretation)}"
        )
    return text


def _quoted(text: str | None) -> str:
    return "(none)" if text is None else f"“{text}”"


def _fact(change: FactChange) -> str:
    text = f"  {_MARK[change.change]} {change.section} fact {change.fact}"
    details = list(change.fields)
    details += [f"attribute {a} added" for a in change.attributes_added]
    details += [f"attribute {a} removed" for a in change.attributes_removed]
    details += [
        f"attribute {a} ({', '.join(fields)})" for a, fields in change.attributes_changed.items()
    ]
    text = f"{text}: {'; '.join(details)}" if details else text
    return "\n".join([text, *_details(change.details)])


def _case(change: CaseChange) -> str:
    """A test case edit: one line per changed field, with what changed in it."""
    lines = [f"  {_MARK[change.change]} {change.name} ({change.file})"]
    for name in change.fields:
        lines.append(f"      {name}: {_field_change(change.old[name], change.new[name])}")
    return "\n".join(lines)


def _field_change(old: object, new: object) -> str:
    """`45 → 50`; for two lists (expected conclusions, rules...), the items added and removed."""
    if isinstance(old, list) and isinstance(new, list):
        added = [f"+ {_item_text(item)}" for item in new if item not in old]
        removed = [f"- {_item_text(item)}" for item in old if item not in new]
        return ", ".join(added + removed)
    return f"{_compact(old)} → {_compact(new)}"


def _item_text(item: object) -> str:
    return item if isinstance(item, str) else _compact(item)


def _compact(value: object) -> str:
    if value is None:
        return "(none)"
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))


def _profile(
    change: ProfileChange, rules: dict[str, ItemChange], vocabulary_changed: bool
) -> list[str]:
    lines = [f"  {change.kind} {change.name} ({change.file})"]
    for label, error in (("OLD", change.old_error), ("NEW", change.new_error)):
        if error:
            lines.append(f"    not valid on {label}: {error}")
    for label, ids in (
        ("now concluded", change.gained),
        ("no longer concluded", change.lost),
        ("fired only on OLD", change.fired_only_old),
        ("fired only on NEW", change.fired_only_new),
    ):
        if ids:
            lines.append(f"    {label}: {', '.join(ids)}")
    responsible = [_edit(rules[r]) for r in change.responsible_rules]

    responsible += [f"background fact {f}" for f in change.responsible_facts]
    if not responsible:
        responsible = ["the vocabulary change" if vocabulary_changed else "no rule edit fired"]
    lines.append(f"    responsible: {', '.join(responsible)}")
    return lines
