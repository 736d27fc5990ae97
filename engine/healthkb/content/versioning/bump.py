"""What changed since the last release, and which version bump that needs.

The lock file records every versioned item as released (see `versions.py`); the
working copy's items are compared with it. Each change needs a bump, by what it
can break:

- **major**: an input fact or attribute removed, its type or unit changed, an allowed
  value dropped or a bound narrowed (a stored profile may no longer validate, or mean
  something else); a conclusion removed (apps that look for it no longer find it);
- **minor**: anything else that can change an answer: rules added, removed or changed
  in `when`, `then` or `status`; conclusions added or changed in kind, certainty or
  anything but wording; new optional input facts and attributes, wider bounds, more
  values; derived and background facts; sources added or removed;
- **patch**: wording: a conclusion's statement or citations, a rule's citations, a
  source's text; a source's review dates (a review changes no conclusion, only from
  which day answers resting on it are marked `stale`); a translation added, removed or
  changed (the same answers, worded in another language); and which input attributes
  are `changeable` and at what `cost`: they change no answer of an evaluation, only
  which changes a what-if may propose.

The release needs the largest bump of its changes; `reason` says which change decided.

Its fast paths, and why they give the same answer: docs/performance.md,
"The digest's canonical JSON written by orjson; the changes since the lock".
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Literal

from .items import ITEM_KINDS, ItemKind, Versioned, attribute_specs
from .lock import LockedFact, LockedItem, LockFile, changed_fields, describe_fields

Part = Literal["major", "minor", "patch"]
PART_RANK: dict[str, int] = {"patch": 0, "minor": 1, "major": 2}

_WORDING = {
    "rule": {"because"},
    "conclusion": {"statement", "because"},
    "source": {"text"},
    "fact": set(),
    "translation": set(),
}
_REVIEW_DATES = {"reviewed", "review_by"}
# The attribute fields that only steer what-if proposals (see the module docstring).
_WHAT_IF_FIELDS = (".changeable", ".cost")


@dataclass(frozen=True, init=False)
class Change:
    """One item added, removed or changed since the last release."""

    kind: ItemKind
    id: str
    change: Literal["added", "removed", "changed"]
    old_version: int | None
    new_version: int | None
    fields: str
    bump: Part
    reason: str

    def __init__(
        self,
        kind: ItemKind,
        id: str,
        change: Literal["added", "removed", "changed"],
        old_version: int | None,
        new_version: int | None,
        fields: str,
        bump: Part,
        reason: str,
    ) -> None:
        # The frozen dataclass's own __init__, in one step instead of eight
        # `object.__setattr__` calls: loading makes one per item added since the lock
        # (10,000 on a KB grown that much), and that was half of `changes_since`.
        self.__dict__.update(
            kind=kind,
            id=id,
            change=change,
            old_version=old_version,
            new_version=new_version,
            fields=fields,
            bump=bump,
            reason=reason,
        )

    def changelog_line(self) -> str:
        """The line for the changelog, in Markdown."""
        if self.change == "added":
            return f"Added {self.kind} `{self.id}` (version {self.new_version})."
        if self.change == "removed":
            return f"Removed {self.kind} `{self.id}` (was version {self.old_version})."
        what = f" in {self.fields}" if self.fields else ""
        versions = (
            f"version {self.old_version} → {self.new_version}"
            if self.old_version != self.new_version
            else f"version {self.new_version}, not raised"
        )
        return f"Changed {self.kind} `{self.id}` ({versions}){what}."


@dataclass(frozen=True)
class Changes:
    """Every change since the lock's release, and the bump they need together."""

    items: tuple[Change, ...]

    @cached_property
    def bump(self) -> Part | None:
        """The smallest bump that covers every change (None: nothing changed)."""
        if not self.items:
            return None
        return max((c.bump for c in self.items), key=lambda p: PART_RANK[p])

    @property
    def reason(self) -> str:
        """Why that bump: the first change that needs it."""
        bump = self.bump
        decisive = next((c for c in self.items if c.bump == bump), None)
        return decisive.reason if decisive else "nothing changed"


def changes_since(lock: LockFile | None, items: Iterable[Versioned]) -> Changes:
    """The changes of `items` since the release recorded in `lock` (all added if none),
    kind by kind in the order of `ITEM_KINDS`, each kind's by id."""
    now: dict[ItemKind, dict[str, Versioned]] = {kind: {} for kind in ITEM_KINDS}
    for item in items:
        now[item.kind][item.id] = item  # an id given twice: the last one counts
    found: list[Change] = []
    for kind in ITEM_KINDS:
        if lock is not None and not lock.covers(kind):
            continue  # a lock made before the kind was versioned: none is reported
        mine = now[kind]
        locked = {entry.id: entry for entry in lock.entries(kind)} if lock is not None else {}
        for item_id in sorted(mine.keys() | locked.keys()):
            change = _change(kind, mine.get(item_id), locked.get(item_id))
            if change is not None:
                found.append(change)
    return Changes(tuple(found))


def _change(kind: ItemKind, item: Versioned | None, entry: LockedItem | None) -> Change | None:
    if item is None:
        return _removed(kind, entry) if entry is not None else None
    if entry is None:
        return Change(item.kind, item.id, "added", None, item.version, "", *_added(item))
    if item.digest == entry.digest and item.version == entry.version:
        return None
    fields = describe_fields(item, entry)
    bump, reason = _changed_bump(item, entry)
    return Change(item.kind, item.id, "changed", entry.version, item.version, fields, bump, reason)


def _removed(kind: ItemKind, entry: LockedItem) -> Change:
    if isinstance(entry, LockedFact) and entry.section == "input":
        bump: Part = "major"
        reason = (
            f"input fact `{entry.id}` was removed: stored profiles that give it no longer validate"
        )
    elif kind == "conclusion":
        bump, reason = (
            "major",
            f"conclusion `{entry.id}` was removed: apps that look for it no longer find it",
        )
    elif kind == "translation":
        bump, reason = "patch", f"translation `{entry.id}` was removed (answers in it fall back)"
    else:
        bump, reason = "minor", f"{kind} `{entry.id}` was removed"
    return Change(kind, entry.id, "removed", entry.version, None, "", bump, reason)


def _added(item: Versioned) -> tuple[Part, str]:
    if item.kind == "translation":
        return "patch", f"translation `{item.id}` is new (the same answers in another language)"
    if item.kind == "fact" and item.fields["section"] == "input":
        return "minor", f"input fact `{item.id}` is new (an optional part of the profile)"
    return "minor", f"{item.kind} `{item.id}` is new"


def _changed_bump(item: Versioned, entry: LockedItem) -> tuple[Part, str]:
    if item.kind == "translation":
        return "patch", f"translation `{item.id}` changed only in wording"
    if isinstance(entry, LockedFact):
        return _fact_bump(item, entry)
    names = set(changed_fields(item, entry))
    # Without field digests (a lock written by an older healthkb) assume the worst.
    review = _REVIEW_DATES if item.kind == "source" else set()
    if names and names <= _WORDING[item.kind] | review:
        what = "review dates" if names <= review else "wording"
        if names & review and names - review:
            what = "wording and review dates"
        return (
            "patch",
            f"{item.kind} `{item.id}` changed only in {what} ({', '.join(sorted(names))})",
        )
    what = ", ".join(sorted(names)) if names else "its content"
    return "minor", f"{item.kind} `{item.id}` changed ({what})"


def _fact_bump(item: Versioned, entry: LockedFact) -> tuple[Part, str]:
    was_input = entry.section == "input"
    section = item.fields["section"]
    if was_input and section != "input":
        return "major", f"input fact `{item.id}` is now {section}: profiles can no longer give it"
    if was_input:
        names = changed_fields(item, entry)
        if names and all(n.endswith(_WHAT_IF_FIELDS) for n in names):
            return "patch", (
                f"input fact `{item.id}` changed only in what a what-if may change "
                f"({', '.join(names)})"
            )
        now = attribute_specs(item)
        for name, old in sorted(entry.attributes.items()):
            narrowed = _narrowed(old.model_dump(), now.get(name))
            if narrowed:
                return "major", (
                    f"input attribute `{item.id}.{name}` {narrowed}: stored profiles may no "
                    "longer validate"
                )
        new_names = sorted(now.keys() - entry.attributes.keys())
        if new_names:
            return "minor", f"input fact `{item.id}` has new optional attribute(s) " + ", ".join(
                f"`{n}`" for n in new_names
            )
        return "minor", f"input fact `{item.id}` accepts more ({describe_fields(item, entry)})"
    return "minor", f"{section} fact `{item.id}` changed ({describe_fields(item, entry)})"


def _narrowed(old: dict[str, Any], new: dict[str, Any] | None) -> str:
    """How an input attribute lost something a stored profile may hold ('' if it did not)."""
    if new is None:
        return "was removed"
    if old["type"] != new.get("type"):
        return f"changed type {old['type']} → {new.get('type')}"
    if old.get("unit") != new.get("unit"):
        return f"changed unit {old.get('unit')} → {new.get('unit')}"
    dropped = sorted(set(old.get("values") or ()) - set(new.get("values") or ()))
    if dropped:
        return "no longer allows " + ", ".join(dropped)
    low_old, low_new = old.get("min"), new.get("min")
    if low_new is not None and (low_old is None or low_new > low_old):
        return f"raised its min {low_old} → {low_new}"
    high_old, high_new = old.get("max"), new.get("max")
    if high_new is not None and (high_old is None or high_new < high_old):
        return f"lowered its max {high_old} → {high_new}"
    return ""


def next_version(version: str, part: Part) -> str:
    """The next semantic version: `next_version("1.4.2", "minor") == "1.5.0"`."""
    major, minor, patch = (int(n) for n in version.split("."))
    if part == "major":
        return f"{major + 1}.0.0"
    if part == "minor":
        return f"{major}.{minor + 1}.0"
    return f"{major}.{minor}.{patch + 1}"
