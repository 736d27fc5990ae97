"""Comparing two KBs for review: load both sides, then the structural and behavioural diff.

>>> from healthkb.editing.review import diff_kbs
>>> diff = diff_kbs(".", ".")           # a KB against itself: nothing differs
>>> diff.structural_changes, diff.behaviour
(0, ())
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..analysis.proven_diff import ProvenDiff, prove_diff
from ..content.loading.loader import read_content
from ..content.located_items import Placed
from ..errors import HealthKBError, KBError, Problem
from ..knowledge_base import KnowledgeBase
from .behaviour import behavioural_diff, newly_failing
from .cases import TestCase, read_cases
from .diff import KBDiff, case_changes, side, structural_diff
from .revisions import kb_at


class SideError(HealthKBError):
    """One side of a diff does not load (or its test cases do not); lists its problems."""

    def __init__(self, role: str, label: str, problems: list[Problem]) -> None:
        self.role, self.label, self.problems = role, label, sorted(problems)
        count = len(problems)
        lines = "".join(f"\n  {p}" for p in self.problems)
        noun = "problem" if count == 1 else "problems"
        super().__init__(f"{role} ({label}) does not load: {count} {noun}:{lines}")


def diff_kbs(old: str, new: str, repo: str | Path = ".") -> KBDiff:
    """Diff two KBs, each a folder or a git revision of the repository holding `repo`."""
    with kb_at(old, repo, new) as before, kb_at(new, repo, old) as after:
        return diff_folders(before.root, after.root, before.label, after.label)


def diff_folders(old_root: Path, new_root: Path, old_label: str, new_label: str) -> KBDiff:
    """Diff two KB folders; raises `SideError` naming the side that does not load."""
    old, old_cases = _load("OLD", old_label, old_root)
    new, new_cases = _load("NEW", new_label, new_root)
    parts = structural_diff(old.content, new.content)
    compared, changes = behavioural_diff(
        (old, old_cases), (new, new_cases), parts["rules"], parts["vocabulary"]
    )
    return KBDiff(
        old=side(old_label, old.content),
        new=side(new_label, new.content),
        cases=case_changes(old_cases, new_cases),
        profiles_compared=compared,
        behaviour=changes,
        newly_failing=newly_failing(old, new, new_cases),
        old_pending=old.pending,
        new_pending=new.pending,
        **parts,
    )


@dataclass(frozen=True)
class ProvenReview:
    """Two KBs' labels and their difference in behaviour, proved over every profile."""

    old: str
    new: str
    proof: ProvenDiff


def prove_kbs(old: str, new: str, repo: str | Path = ".") -> ProvenReview:
    """`prove_diff` of two KBs, each a folder or a git revision (as `diff_kbs` takes)."""
    with kb_at(old, repo, new) as before, kb_at(new, repo, old) as after:
        old_kb = load_side("OLD", before.label, before.root)
        new_kb = load_side("NEW", after.label, after.root)
        return ProvenReview(
            _stamp(before.label, old_kb),
            _stamp(after.label, new_kb),
            prove_diff(old_kb.content, new_kb.content),
        )


def _stamp(label: str, kb: KnowledgeBase) -> str:
    return f"{label}: {kb.id} {kb.version}"


def _load(role: str, label: str, root: Path) -> tuple[KnowledgeBase, list[Placed[TestCase]]]:
    kb = load_side(role, label, root)
    # Read the test cases now, so that a broken case file is blamed on its side.
    try:
        return kb, read_cases(kb)
    except KBError as error:
        raise SideError(role, label, error.problems) from None


def load_side(role: str, label: str, root: Path) -> KnowledgeBase:
    """The KB of one side (`role` OLD or NEW); `SideError` naming the side if it is broken."""
    try:
        return KnowledgeBase(read_content(root))
    except KBError as error:
        raise SideError(role, label, error.problems) from None
