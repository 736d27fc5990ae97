"""The behavioural diff: which test cases and example profiles conclude differently.

Every test case (`kb/tests/*.yaml`) and example profile (`kb/examples/*.yaml`) of
either side is evaluated on both KBs with the same profile: NEW's copy when NEW has
it, else OLD's, so that only the KB edits (not edits of the case) can make the two
results differ. For each profile whose conclusions differ, the rule edits
responsible are the rules added, removed or changed in `when`, `then` or `status`
that fired on either side, and the changed background facts a firing used.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from ..content.located_items import Placed
from ..errors import ProfileError
from ..files.folders import yaml_files
from ..knowledge_base import KnowledgeBase
from ..profiles.profile_model import read_profile
from ..results.result import Result
from .cases import TestCase, run_case
from .diff import FactChange, FailingCase, ItemChange, ProfileChange, behavioural_edits

EXAMPLES_FOLDER = "kb/examples"


@dataclass(frozen=True)
class _Profile:
    kind: Literal["case", "example"]
    name: str
    file: str
    data: Any


Side = tuple[KnowledgeBase, list[Placed[TestCase]]]


def behavioural_diff(
    old_side: Side,
    new_side: Side,
    rules: tuple[ItemChange, ...],
    vocabulary: tuple[FactChange, ...],
) -> tuple[int, tuple[ProfileChange, ...]]:
    """How many profiles were compared, and each one whose conclusions differ.

    Each side is a KB with its test cases (as `read_cases` gives them).
    """
    (old, old_cases), (new, new_cases) = old_side, new_side
    edited = behavioural_edits(rules)
    background = {f.fact for f in vocabulary if f.section == "background"}
    profiles = _cases(old_cases, new_cases) + _examples(old.content.root, new.content.root)
    changes = [
        _compare(profile, _run(old, profile.data), _run(new, profile.data), edited, background)
        for profile in profiles
    ]
    return len(profiles), tuple(c for c in changes if c is not None)


def newly_failing(
    old: KnowledgeBase, new: KnowledgeBase, cases: list[Placed[TestCase]]
) -> tuple[FailingCase, ...]:
    """NEW's test cases that pass on OLD and fail on NEW, with NEW's failures: beside the
    profiles that conclude differently, those whose derived facts or fired rules moved."""
    found = []
    for placed in cases:
        if _failures(old, placed):
            continue
        failures = _failures(new, placed)
        if failures:
            found.append(FailingCase(placed.item.name, placed.file, failures))
    return tuple(found)


def _failures(kb: KnowledgeBase, placed: Placed[TestCase]) -> tuple[str, ...]:
    try:
        return run_case(kb, placed).failures
    except ProfileError as error:
        return tuple(f"profile not valid: {p.code}: {p.message}" for p in error.problems)


def _cases(old: list[Placed[TestCase]], new: list[Placed[TestCase]]) -> list[_Profile]:
    before = {p.item.name: p for p in old}
    after = {p.item.name: p for p in new}
    chosen = [after.get(name) or before[name] for name in sorted(before.keys() | after.keys())]
    return [_Profile("case", p.item.name, p.file, p.item.profile) for p in chosen]


def _examples(old_root: Path, new_root: Path) -> list[_Profile]:
    def files(root: Path) -> dict[str, Path]:
        folder = root / EXAMPLES_FOLDER
        if not os.path.isdir(folder):
            return {}
        listed = yaml_files(folder, f"{root}/{EXAMPLES_FOLDER}", hidden=False)
        return {p.name: p for p in listed if p.suffix == ".yaml"}

    before, after = files(old_root), files(new_root)
    profiles = []
    for name in sorted(before.keys() | after.keys()):
        path = after.get(name) or before[name]
        try:
            data: Any = read_profile(path)[0]
        except ProfileError as error:
            data = error
        profiles.append(_Profile("example", path.stem, f"{EXAMPLES_FOLDER}/{name}", data))
    return profiles


def _run(kb: KnowledgeBase, data: Any) -> Result | str:
    """The result of a profile, or why the KB refused it (its vocabulary changed, say)."""
    try:
        if isinstance(data, ProfileError):
            raise data
        return kb.evaluate(data)
    except ProfileError as error:
        return "; ".join(f"{p.code}: {p.message}" for p in error.problems)


def _conclusions(outcome: Result | str) -> set[str]:
    return set() if isinstance(outcome, str) else set(outcome.conclusion_ids)


def _fired(outcome: Result | str) -> set[str]:
    return set() if isinstance(outcome, str) else {f.rule_id for f in outcome.fired}


def responsible_rules(edited: set[str], old: Result | str, new: Result | str) -> tuple[str, ...]:
    """The rule edits that can explain a difference between two outcomes of one profile:
    the edited rules (`behavioural_edits`) that fired on either side."""
    return tuple(sorted(edited & (_fired(old) | _fired(new))))


def _compare(
    profile: _Profile,
    old: Result | str,
    new: Result | str,
    edited: set[str],
    background: set[str],
) -> ProfileChange | None:
    """The difference of one profile's outcomes, with the edits that touched it."""
    errors = [o if isinstance(o, str) else None for o in (old, new)]
    if _conclusions(old) == _conclusions(new) and errors == [None, None]:
        return None
    results = [o for o in (old, new) if not isinstance(o, str)]
    used = {
        fact.fact
        for result in results
        for firing in result.fired
        for fact in firing.facts_used
        if fact.origin == "background"
    }
    return ProfileChange(
        kind=profile.kind,
        name=profile.name,
        file=profile.file,
        gained=tuple(sorted(_conclusions(new) - _conclusions(old))),
        lost=tuple(sorted(_conclusions(old) - _conclusions(new))),
        fired_only_old=tuple(sorted(_fired(old) - _fired(new))),
        fired_only_new=tuple(sorted(_fired(new) - _fired(old))),
        responsible_rules=responsible_rules(edited, old, new),
        responsible_facts=tuple(sorted(background & used)),
        old_error=errors[0],
        new_error=errors[1],
    )
