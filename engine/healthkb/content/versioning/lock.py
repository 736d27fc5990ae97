"""Versions and the lock file: nothing an answer depends on changes without its version.

Rules, conclusions, fact types and sources each carry a `version` (a rule must give
it; the others start at 1 when they leave it out). What counts as an item's content
is in `versioned.py`.

The lock file `kb/rules.lock.yaml`, written by `healthkb release`, records each item's
version, content digest and a short digest per field as last released (for a fact
type, its attributes as they were, so a change can be shown old → new). Loading a KB
compares every item with its locked entry: content that changed under the same
version is a *pending bump*, `version-not-bumped`, naming the fields that changed; a
version that went down is `version-lowered`. A KB without a lock file (before its
first release) and items not yet in the lock are fine.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated, Any, Literal

import yaml
from pydantic import Field, StringConstraints

from ...errors import Problem
from ...files.yaml_numbers import number_form_refused
from ..located_items import Placed
from ..model import Identifier, SemVer, SourceId, StrictModel
from ..rule_model import Rule
from ..strict_model import empty_list
from .items import CONTENT_WORDS, ItemKind, Versioned, attribute_specs, rule_item

LOCK_FILE = "kb/rules.lock.yaml"

# Kept for callers that name a rule's content fields.
CONTENT_FIELDS = ("when", "then", "because", "status")

Digest = Annotated[str, StringConstraints(pattern=r"^sha256:[0-9a-f]{64}$")]
ShortDigest = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{16}$")]
Number = int | float
# An item's id: a rule's, conclusion's, fact's or source's, or a translation's language
# tag (`zh-Hans`).
LockedId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")]


class LockedItem(StrictModel):
    """One item as last released: its version, content digest and field digests."""

    id: LockedId
    version: Annotated[int, Field(ge=1)]
    digest: Digest
    fields: dict[str, ShortDigest] = Field(default_factory=dict)
    released_in: SemVer | None = None
    """The release that shipped this version of the item."""


class LockedDeclaration(StrictModel):
    """A silence or the FHIR mapping as last released: they carry no version, so the lock
    records their digest and the release that shipped them."""

    id: SourceId
    digest: Digest
    released_in: SemVer | None = None


class LockedAttribute(StrictModel):
    """An attribute of a fact type as last released."""

    type: str
    values: list[Identifier] | None = None
    min: Number | None = None
    max: Number | None = None
    unit: str | None = None
    changeable: bool = False
    cost: Number | None = None


class LockedFact(LockedItem):
    """A fact type as last released: with its section and attributes, to show old → new."""

    section: Literal["input", "derived", "background"]
    attributes: dict[Identifier, LockedAttribute] = Field(default_factory=dict)


class LockFile(StrictModel):
    """`kb/rules.lock.yaml`: every versioned item's version and digests at a release."""

    kb_version: SemVer
    release_digest: Digest | None = None
    """The content digest of the KB released as `kb_version` (what audit records name
    it by); sealed with the rest. Locks written before it was recorded lack it."""
    rules: list[LockedItem] = Field(default_factory=empty_list)
    # Locks written before conclusions, facts and sources were versioned lack these:
    # such a lock says nothing about them (they are neither added nor changed).
    conclusions: list[LockedItem] | None = None
    facts: list[LockedFact] | None = None
    sources: list[LockedItem] | None = None
    translations: list[LockedItem] | None = None
    """Each translation (by language tag); locks written before translations were
    versioned lack it."""
    silences: list[LockedDeclaration] | None = None
    fhir: LockedDeclaration | None = None
    digest: Digest | None = None
    """sha256 over everything above: an entry deleted or changed by hand, or another
    `kb_version`, no longer matches it (see lock_seal.py)."""

    def by_id(self) -> dict[str, LockedItem]:
        """The locked rules by id."""
        return {entry.id: entry for entry in self.rules}

    def covers(self, kind: ItemKind) -> bool:
        """Whether this lock records items of `kind` at all. Translations came after
        every lock that lacks them, so such a lock released none: they are new."""
        return kind == "translation" or getattr(self, _SECTIONS[kind]) is not None

    def entries(self, kind: ItemKind) -> list[LockedItem]:
        found: list[LockedItem] = list(getattr(self, _SECTIONS[kind]) or ())
        return found


_SECTIONS: dict[ItemKind, str] = {
    "rule": "rules",
    "conclusion": "conclusions",
    "fact": "facts",
    "source": "sources",
    "translation": "translations",
}


def rule_content(rule: Rule) -> dict[str, Any]:
    """The content of a rule as plain JSON data: `when`, `then`, `because`, `status`."""
    return rule_item(rule).fields


def rule_digest(rule: Rule) -> str:
    """sha256 of the canonical JSON of a rule's content (see `rule_content`).

    >>> from healthkb.content.rule_model import Rule
    >>> rule = Rule.model_validate({
    ...     "id": "r", "version": 1, "title": "R", "status": "active",
    ...     "when": {"fact": "a.b", "eq": True}, "then": {"conclude": "c"},
    ...     "because": [{"source": "s", "quote": "q"}]})
    >>> rule_digest(rule) == rule_digest(rule.model_copy(update={"title": "Renamed"}))
    True
    """
    return rule_item(rule).digest


def locked_entry(item: Versioned) -> LockedItem:
    """The lock entry recording `item` as it is now."""
    common: dict[str, Any] = dict(
        id=item.id, version=item.version, digest=item.digest, fields=item.field_digests()
    )
    if item.kind != "fact":
        return LockedItem(**common)
    return LockedFact(
        **common,
        section=item.fields["section"],
        attributes={
            name: LockedAttribute(**spec) for name, spec in sorted(attribute_specs(item).items())
        },
    )


def build_lock(kb_version: str, items: Iterable[Versioned]) -> LockFile:
    """The lock of a release: every item (draft and retired rules too), sorted by id."""
    sections: dict[str, list[Any]] = {name: [] for name in _SECTIONS.values()}
    for item in items:
        sections[_SECTIONS[item.kind]].append(locked_entry(item))
    return LockFile.model_validate(
        {
            "kb_version": kb_version,
            **{name: sorted(entries, key=lambda e: e.id) for name, entries in sections.items()},
        }
    )


def render_lock(lock: LockFile) -> str:
    """The lock file's text: a header saying how it is made, then the entries."""
    header = [
        "# Generated by `healthkb release`; do not edit by hand.",
        "# The version, content digest and field digests of every rule, conclusion, fact",
        "# type and source as of the release below. `healthkb validate` reports an item",
        "# whose content changed while its version did not go up, and a lock whose",
        "# entries no longer match its digest.",
    ]
    data = lock.model_dump(mode="json", exclude_none=True)
    data = {"kb_version": lock.kb_version, **{k: v for k, v in data.items() if k != "kb_version"}}
    body = yaml.dump(data, Dumper=_LockDumper, sort_keys=False, allow_unicode=True, width=100)
    return "\n".join(header) + "\n" + body


class _LockDumper(yaml.SafeDumper):
    """`yaml.safe_dump`'s writer, quoting the text healthkb's reader refuses written plain.

    A field digest is 16 hex digits: some read as a YAML 1.2 number (`7439450221867e88`)
    or have a leading 0 (`0655268603414150`), which PyYAML writes plain and the reader
    then refuses (`yaml-value`), so a lock of a few thousand items could not be read back.
    """


def _text(dumper: yaml.SafeDumper, text: str) -> yaml.ScalarNode:
    # Single quotes are what PyYAML itself gives the forms it reads as numbers (`035`).
    refused = number_form_refused(_TEXT, text, text) is not None
    return dumper.represent_scalar(_TEXT, text, style="'" if refused else None)


_TEXT = "tag:yaml.org,2002:str"
_LockDumper.add_representer(str, _text)


def changed_fields(item: Versioned, entry: LockedItem) -> list[str]:
    """The fields of `item` that differ from its locked entry (empty: not known)."""
    if not entry.fields:
        return []
    now = item.field_digests()
    return sorted(
        name for name in now.keys() | entry.fields.keys() if now.get(name) != entry.fields.get(name)
    )


def describe_fields(item: Versioned, entry: LockedItem) -> str:
    """The changed fields in words; for a fact, each attribute's values old → new."""
    names = changed_fields(item, entry)
    if not isinstance(entry, LockedFact):
        return ", ".join(names)
    now = attribute_specs(item)
    words = []
    for name in names:
        attribute, dot, prop = name.partition(".")
        if not dot or prop not in LockedAttribute.model_fields:
            words.append(name)
            continue
        old_spec = entry.attributes.get(attribute)
        old = getattr(old_spec, prop) if old_spec is not None else None
        new = now.get(attribute, {}).get(prop)
        words.append(f"{name} {_value(old)} → {_value(new)}")
    return ", ".join(words)


def _value(value: Any) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, bool):
        return "true" if value else "false"  # as YAML writes it
    if isinstance(value, list):
        return "[" + ", ".join(str(v) for v in value) + "]"
    return str(value)


def check_versions(
    items: Iterable[Placed[Versioned]], lock: Placed[LockFile] | None
) -> tuple[list[Problem], list[Problem]]:
    """(problems, pending bumps): versions that went down, and content changed under
    the same version (`version-not-bumped`, naming the fields that changed)."""
    if lock is None:
        return [], []
    problems = _duplicate_entries(lock)
    pending: list[Problem] = []
    release = lock.item.kb_version
    locked = {kind: {entry.id: entry for entry in lock.item.entries(kind)} for kind in _SECTIONS}
    for placed in items:
        item = placed.item
        entry = locked[item.kind].get(item.id)
        if entry is None:
            continue
        if item.version < entry.version:
            problems.append(
                placed.problem(
                    "version-lowered",
                    f"{item.kind} `{item.id}` has version {item.version}, lower than version "
                    f"{entry.version} in release {release}",
                    f"versions only go up: set `version` to {entry.version} or higher",
                    "version",
                )
            )
        elif item.version == entry.version and item.digest != entry.digest:
            fields = describe_fields(item, entry)
            what = f" ({fields})" if fields else ""
            # Conclusions, facts and sources may leave `version` out (it is then 1).
            written = (*placed.path, "version") in placed.located.places
            bumped = entry.version + 1
            action = f"raise `version` to {bumped}" if written else f"add `version: {bumped}`"
            pending.append(
                placed.problem(
                    "version-not-bumped",
                    f"{item.kind} `{item.id}` changed since release {release}{what} but its "
                    f"version is still {item.version}",
                    f"{action}: {CONTENT_WORDS[item.kind]}",
                    "version",
                )
            )
    return problems, pending


def _duplicate_entries(lock: Placed[LockFile]) -> list[Problem]:
    problems = []
    for kind, section in _SECTIONS.items():
        seen: set[str] = set()
        for i, entry in enumerate(lock.item.entries(kind)):
            if entry.id in seen:
                problems.append(
                    lock.problem(
                        "duplicate-lock-entry",
                        f"{kind} `{entry.id}` is listed twice in the lock file",
                        "regenerate the lock file with `healthkb release`",
                        section,
                        i,
                        "id",
                    )
                )
            seen.add(entry.id)
    return problems
