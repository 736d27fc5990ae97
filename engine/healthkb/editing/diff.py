"""What changed between two KBs: the structural diff of their files' meaning.

`structural_diff(old, new)` compares two loaded KBs item by item: the manifest's
version, rules (with the fields that changed and both version numbers), citations
(quotes added or removed, interpretations changed), conclusions, sources and the
fact vocabulary; `case_changes` compares the test cases (`kb/tests/*.yaml`), whose
expectations a reviewer must see change too. Layout and comments are not compared:
two files that read the same are the same. The behavioural diff (which profiles
conclude differently) is in `behaviour.py`; `KBDiff` holds both and is JSON-ready and
deterministic.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from pydantic import BaseModel

from ..content.loading.kb_content import KBContent
from ..content.located_items import Placed
from ..content.model import Citation
from ..errors import Problem
from .cases import TestCase
from .content_diff import (
    ValueChange,
    conclusion_changes,
    fact_changes,
    rule_changes,
    source_changes,
)

ChangeKind = Literal["added", "removed", "changed"]

# Rule fields that change what a rule does; `because`, `title` and `description` do not.
BEHAVIOUR_FIELDS = frozenset({"when", "then", "status"})


@dataclass(frozen=True)
class ItemChange:
    """A rule, conclusion or source added, removed or changed: the fields changed, and
    in `details` what changed in them, old → new (see `content_diff.py`)."""

    id: str
    change: ChangeKind
    fields: tuple[str, ...] = ()
    old_version: int | None = None
    new_version: int | None = None
    details: tuple[ValueChange, ...] = ()


@dataclass(frozen=True)
class CitationChange:
    """A quote cited, no longer cited, or cited with another interpretation."""

    owner: str
    source: str
    quote: str
    change: Literal["added", "removed", "interpretation"]
    sentence: str
    old_interpretation: str | None = None
    new_interpretation: str | None = None


@dataclass(frozen=True)
class FactChange:
    """A fact type of the vocabulary added, removed or changed, attribute by attribute."""

    section: str
    fact: str
    change: ChangeKind
    fields: tuple[str, ...] = ()
    attributes_added: tuple[str, ...] = ()
    attributes_removed: tuple[str, ...] = ()
    attributes_changed: dict[str, tuple[str, ...]] = field(default_factory=dict)
    details: tuple[ValueChange, ...] = ()
    old_version: int | None = None
    new_version: int | None = None


@dataclass(frozen=True)
class CaseChange:
    """A test case added, removed or changed: its changed fields, each with both values.

    A field is `description`, `profile.<fact>.<attribute>`, `expect.<key>`
    (`expect.conclusions`, `expect.fired_rules`, ...) or `file` (the case moved); `old`
    and `new` hold the values of the changed fields as JSON data (None: not given).
    """

    name: str
    change: ChangeKind
    file: str
    fields: tuple[str, ...] = ()
    old: dict[str, Any] = field(default_factory=dict)
    new: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class KBSide:
    """One side of a diff: how the reader named it, and which KB release it holds."""

    label: str
    kb_id: str
    version: str
    released: str
    digest: str


@dataclass(frozen=True)
class ProfileChange:
    """A test case or example profile whose conclusions differ, and the edits responsible."""

    kind: Literal["case", "example"]
    name: str
    file: str
    gained: tuple[str, ...]
    lost: tuple[str, ...]
    fired_only_old: tuple[str, ...]
    fired_only_new: tuple[str, ...]
    responsible_rules: tuple[str, ...]
    responsible_facts: tuple[str, ...]
    old_error: str | None = None
    new_error: str | None = None


@dataclass(frozen=True)
class FailingCase:
    """A test case (as NEW has it) that passes on OLD and fails on NEW, and why."""

    name: str
    file: str
    failures: tuple[str, ...]


@dataclass(frozen=True)
class KBDiff:
    """Everything that differs between OLD and NEW, structural then behavioural."""

    old: KBSide
    new: KBSide
    rules: tuple[ItemChange, ...]
    citations: tuple[CitationChange, ...]
    conclusions: tuple[ItemChange, ...]
    sources: tuple[ItemChange, ...]
    vocabulary: tuple[FactChange, ...]
    cases: tuple[CaseChange, ...] = ()
    profiles_compared: int = 0
    behaviour: tuple[ProfileChange, ...] = ()
    newly_failing: tuple[FailingCase, ...] = ()
    # Items changed without their new version on either side (a working copy).
    old_pending: tuple[Problem, ...] = ()
    new_pending: tuple[Problem, ...] = ()

    @property
    def structural_changes(self) -> int:
        return sum(
            len(part)
            for part in (
                self.rules,
                self.citations,
                self.conclusions,
                self.sources,
                self.vocabulary,
                self.cases,
            )
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON data; lists are sorted, so the same two KBs give the same JSON."""
        data: dict[str, Any] = _lists(asdict(self))
        data["behaviour"] = {
            "profiles_compared": data.pop("profiles_compared"),
            "changed": data["behaviour"],
        }
        return data


def _lists(value: Any) -> Any:
    """Tuples as lists, all the way down: JSON data compares equal to its parsed self."""
    if isinstance(value, dict):
        return {key: _lists(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_lists(item) for item in value]
    return value


def side(label: str, content: KBContent) -> KBSide:
    manifest = content.manifest
    return KBSide(
        label, manifest.id, content.version, manifest.released.isoformat(), content.digest
    )


def structural_diff(old: KBContent, new: KBContent) -> dict[str, tuple[Any, ...]]:
    """The item-by-item differences, as the structural fields of a `KBDiff`."""
    return {
        "rules": tuple(_item_changes(old.rules, new.rules, rule_changes)),
        "citations": tuple(_citation_changes(old, new)),
        "conclusions": tuple(_item_changes(old.conclusions, new.conclusions, conclusion_changes)),
        "sources": tuple(_item_changes(old.sources, new.sources, source_changes)),
        "vocabulary": tuple(_vocabulary_changes(old, new)),
    }


def behavioural_edits(rules: tuple[ItemChange, ...]) -> set[str]:
    """Ids of rules added, removed, or changed in what they do (not only wording)."""
    return {r.id for r in rules if r.change != "changed" or BEHAVIOUR_FIELDS & set(r.fields)}


def _plain(model: BaseModel) -> dict[str, Any]:
    return model.model_dump(mode="json", by_alias=True, exclude_defaults=True)


def _changed_fields(old: BaseModel, new: BaseModel, skip: tuple[str, ...] = ()) -> list[str]:
    """Names of the fields that differ, in the order the model declares them."""
    before, after = _plain(old), _plain(new)
    names = [f.alias or name for name, f in type(old).model_fields.items()]
    return [n for n in names if n not in skip and before.get(n) != after.get(n)]


def _item_changes(
    old: Mapping[str, Any],
    new: Mapping[str, Any],
    details: Callable[[Any, Any], tuple[ValueChange, ...]],
) -> list[ItemChange]:
    def version(item: Any) -> int | None:
        return getattr(item, "version", None)

    changes = []
    for key in sorted(old.keys() | new.keys()):
        before, after = old.get(key), new.get(key)
        if before is None:
            changes.append(ItemChange(key, "added", new_version=version(after)))
        elif after is None:
            changes.append(ItemChange(key, "removed", old_version=version(before)))
        elif fields := _changed_fields(before, after, skip=("id", "version")):
            changes.append(
                ItemChange(
                    key,
                    "changed",
                    tuple(fields),
                    version(before),
                    version(after),
                    details(before, after),
                )
            )
        elif version(before) != version(after):
            changes.append(ItemChange(key, "changed", (), version(before), version(after)))
    return changes


def _citations_by_owner(content: KBContent) -> dict[str, list[Citation]]:
    owners: dict[str, list[Citation]] = {}
    for rule in content.rules.values():
        owners[f"rule {rule.id}"] = list(rule.because)
    for conclusion in content.conclusions.values():
        owners[f"conclusion {conclusion.id}"] = list(conclusion.because)
    for name, fact in content.vocabulary.background.items():
        owners[f"background fact {name}"] = list(fact.because)
    return owners


def _citation_changes(old: KBContent, new: KBContent) -> list[CitationChange]:
    before, after = _citations_by_owner(old), _citations_by_owner(new)
    changes = []
    for owner in sorted(before.keys() | after.keys()):
        was = {(c.source, c.quote): c for c in before.get(owner, [])}
        now = {(c.source, c.quote): c for c in after.get(owner, [])}
        for key in sorted(was.keys() | now.keys()):
            old_meaning = was[key].interpretation if key in was else None
            new_meaning = now[key].interpretation if key in now else None
            if key not in was:
                kind: Literal["added", "removed", "interpretation"] = "added"
            elif key not in now:
                kind = "removed"
            elif old_meaning != new_meaning:
                kind = "interpretation"
            else:
                continue
            sentence = _sentence(new if key in now else old, key)
            changes.append(CitationChange(owner, *key, kind, sentence, old_meaning, new_meaning))
    return changes


def _sentence(content: KBContent, key: tuple[str, str]) -> str:
    resolved = content.citations.resolved.get(key)
    return resolved.sentence_anchor if resolved else ""


def _vocabulary_changes(old: KBContent, new: KBContent) -> list[FactChange]:
    changes = []
    for section in ("input", "derived", "background"):
        was: dict[str, Any] = getattr(old.vocabulary, section)
        now: dict[str, Any] = getattr(new.vocabulary, section)
        for name in sorted(was.keys() | now.keys()):
            if name not in was:
                changes.append(FactChange(section, name, "added"))
            elif name not in now:
                changes.append(FactChange(section, name, "removed"))
            elif (change := _fact_change(section, name, was[name], now[name])) is not None:
                changes.append(change)
    return changes


def _fact_change(section: str, name: str, was: Any, now: Any) -> FactChange | None:
    fields = tuple(_changed_fields(was, now, skip=("attributes", "version")))
    before, after = was.attributes, now.attributes
    pairs = (
        (a, _changed_fields(before[a], after[a])) for a in sorted(before.keys() & after.keys())
    )
    changed = {attribute: tuple(names) for attribute, names in pairs if names}
    added = tuple(sorted(after.keys() - before.keys()))
    removed = tuple(sorted(before.keys() - after.keys()))
    if not (fields or changed or added or removed):
        return None
    return FactChange(
        section,
        name,
        "changed",
        fields,
        added,
        removed,
        changed,
        fact_changes(was, now),
        was.version,
        now.version,
    )


def case_changes(
    old: list[Placed[TestCase]], new: list[Placed[TestCase]]
) -> tuple[CaseChange, ...]:
    """The test cases added, removed or changed between two sides, by name."""
    before = {p.item.name: p for p in old}
    after = {p.item.name: p for p in new}
    changes = []
    for name in sorted(before.keys() | after.keys()):
        was, now = before.get(name), after.get(name)
        if was is None:
            changes.append(CaseChange(name, "added", after[name].file))
        elif now is None:
            changes.append(CaseChange(name, "removed", was.file))
        else:
            fields_before, fields_after = _case_fields(was), _case_fields(now)
            changed = [
                f
                for f in {**fields_before, **fields_after}
                if fields_before.get(f) != fields_after.get(f)
            ]
            if changed:
                changes.append(
                    CaseChange(
                        name,
                        "changed",
                        now.file,
                        tuple(changed),
                        {f: fields_before.get(f) for f in changed},
                        {f: fields_after.get(f) for f in changed},
                    )
                )
    return tuple(changes)


def _case_fields(placed: Placed[TestCase]) -> dict[str, Any]:
    """A case as flat fields: `description`, `profile.<fact>.<attribute>` (sorted, so a
    reviewer sees which value changed, not two whole profiles), `expect.<key>`, `file`."""
    data = placed.item.model_dump(mode="json")
    fields: dict[str, Any] = {"description": data["description"]}
    for fact, values in sorted(data["profile"].items()):
        if isinstance(values, dict):
            for attribute, value in sorted(values.items()):
                fields[f"profile.{fact}.{attribute}"] = value
        else:
            fields[f"profile.{fact}"] = values
    for key, value in data["expect"].items():
        # The order of expected ids and facts means nothing: a reordered list is no edit.
        fields[f"expect.{key}"] = (
            sorted(value, key=_canonical) if isinstance(value, list) else value
        )
    fields["file"] = placed.file
    return fields


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False)
