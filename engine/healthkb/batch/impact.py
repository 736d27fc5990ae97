"""The impact of a KB release on a population: every profile evaluated under OLD and NEW.

For each input line (the batch input format), both KBs evaluate its profile; the
report counts the profiles read, refused (an unreadable line, or a profile either KB
refuses), and changed (different conclusions), how many profiles gain and lose each
conclusion, and, for each rule edit that `healthkb diff` finds (added, removed, or
changed in what it does), how many changed profiles it is responsible for, as `diff`
attributes them (the edited rules that fired on either side), with example ids; and
every region where the two KBs are proved to differ (`healthkb diff --prove`), with how
many profiles of the population lie in it, so that a region no profile reached is seen.
Chunks run wherever a batch runs (this process, a pool, Dask); only counts and a few
example ids come back, so memory does not grow with the input.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..analysis.proven_diff import Difference, prove_diff
from ..editing.behaviour import responsible_rules
from ..editing.diff import behavioural_edits, side, structural_diff
from ..editing.review import load_side
from ..editing.revisions import kb_at
from ..errors import EvaluationError, ProfileError
from ..knowledge_base import KnowledgeBase
from .answers import Refused, read_line
from .job import LINES_PER_CHUNK, ProgressBar
from .jsonlines import Line, count_lines, input_name, open_input, read_lines
from .runners import RunnerFactory, local_runners

DEFAULT_EXAMPLES = 3


@dataclass(frozen=True)
class ImpactChunk:
    source: str
    lines: tuple[Line, ...]
    edited: frozenset[str]
    regions: tuple[Difference, ...] = ()


@dataclass(frozen=True)
class Outcome:
    """One line under both KBs: refused (by whom), or what it gains and loses, and the
    rule edits responsible when it changed."""

    identifier: Any
    refused_by: str | None = None  # "input", "old", "new" or "both"
    gained: tuple[str, ...] = ()
    lost: tuple[str, ...] = ()
    responsible: tuple[str, ...] = ()
    regions: tuple[int, ...] = ()
    """The proven regions (indexes into the chunk's) the profile lies in."""


@dataclass
class ImpactReport:
    """What a release changes for a population; `to_dict` is the JSON report."""

    old: dict[str, str]
    new: dict[str, str]
    edits: dict[str, str]  # rule id -> "added", "removed" or "changed"
    examples: int = DEFAULT_EXAMPLES
    profiles: int = 0
    refused: Counter[str] = field(default_factory=Counter)
    changed: int = 0
    gained: Counter[str] = field(default_factory=Counter)
    lost: Counter[str] = field(default_factory=Counter)
    moved: Counter[str] = field(default_factory=Counter)
    moved_examples: dict[str, list[Any]] = field(default_factory=dict)
    unattributed: int = 0
    regions: tuple[Difference, ...] = ()
    """Where the KBs are proved to differ, over every valid profile."""
    in_region: Counter[int] = field(default_factory=Counter)

    def add(self, outcome: Outcome) -> None:
        self.profiles += 1
        if outcome.refused_by is not None:
            self.refused[outcome.refused_by] += 1
            return
        if not (outcome.gained or outcome.lost):
            return
        self.changed += 1
        self.gained.update(outcome.gained)
        self.lost.update(outcome.lost)
        self.in_region.update(outcome.regions)
        if not outcome.responsible:
            self.unattributed += 1
        for rule in outcome.responsible:
            self.moved[rule] += 1
            shown = self.moved_examples.setdefault(rule, [])
            if len(shown) < self.examples:
                shown.append(outcome.identifier)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON data, the same for the same input and KBs."""
        ids = sorted(self.gained.keys() | self.lost.keys())
        return {
            "old": self.old,
            "new": self.new,
            "profiles": self.profiles,
            "refused": sum(self.refused.values()),
            "refused_by": {k: self.refused[k] for k in ("input", "old", "new", "both")},
            "changed": self.changed,
            "unattributed": self.unattributed,
            "conclusions": {c: {"gained": self.gained[c], "lost": self.lost[c]} for c in ids},
            "regions": [
                {**region.to_dict(), "profiles": self.in_region[i]}
                for i, region in enumerate(self.regions)
            ],
            "edits": [
                {
                    "rule": rule,
                    "change": change,
                    "profiles": self.moved[rule],
                    "examples": self.moved_examples.get(rule, []),
                }
                for rule, change in sorted(
                    self.edits.items(), key=lambda item: (-self.moved[item[0]], item[0])
                )
            ],
        }


def run_impact(
    old: str,
    new: str,
    input: str | Path,
    *,
    repo: str | Path = ".",
    workers: int = 1,
    on: RunnerFactory | None = None,
    examples: int = DEFAULT_EXAMPLES,
    progress: bool = False,
) -> ImpactReport:
    """Evaluate every profile of `input` under OLD and NEW (each a KB folder or a git
    revision of the repository holding `repo`, as `healthkb diff` takes them), on
    `workers` local processes or the runners `on` gives (as `run_batch`)."""
    with ExitStack() as stack:
        before = stack.enter_context(kb_at(old, repo))
        after = stack.enter_context(kb_at(new, repo))
        old_kb = load_side("OLD", before.label, before.root)
        new_kb = load_side("NEW", after.label, after.root)
        rules = structural_diff(old_kb.content, new_kb.content)["rules"]
        edited = behavioural_edits(rules)
        regions = prove_diff(old_kb.content, new_kb.content).differences
        report = ImpactReport(
            old=_side(before.label, old_kb),
            new=_side(after.label, new_kb),
            edits={r.id: r.change for r in rules if r.id in edited},
            examples=examples,
            regions=regions,
        )
        source = input_name(input)
        stream = stack.enter_context(open_input(input))
        chunks = _chunks(read_lines(stream, source), source, frozenset(edited), regions)
        run = stack.enter_context((on or local_runners(workers))((old_kb, new_kb)))
        total = count_lines(input) if progress else None
        bar = stack.enter_context(ProgressBar(total=total, unit=" profiles", disable=not progress))
        for outcomes in run.map(compare_chunk, chunks):
            for outcome in outcomes:
                report.add(outcome)
            bar.update(len(outcomes))
        return report


def compare_chunk(old: KnowledgeBase, new: KnowledgeBase, chunk: ImpactChunk) -> list[Outcome]:
    """Each line of the chunk under both KBs, in order."""
    return [_compare(old, new, chunk, line) for line in chunk.lines]


def _compare(old: KnowledgeBase, new: KnowledgeBase, chunk: ImpactChunk, line: Line) -> Outcome:
    try:
        identifier, profile = read_line(line, chunk.source)
    except Refused as refusal:
        return Outcome(refusal.identifier, refused_by="input")
    before, after = _evaluated(old, profile), _evaluated(new, profile)
    if before is None and after is None:
        return Outcome(identifier, refused_by="both")
    if before is None or after is None:
        return Outcome(identifier, refused_by="old" if before is None else "new")
    was, now = set(before.conclusion_ids), set(after.conclusion_ids)
    if was == now:
        return Outcome(identifier)
    gained, lost = now - was, was - now
    # Only a profile that changed can lie in a region where the KBs differ.
    regions = tuple(
        i
        for i, region in enumerate(chunk.regions)
        if region.conclusion in (gained if region.change == "gained" else lost)
        and region.contains(after.profile)
    )
    return Outcome(
        identifier,
        gained=tuple(sorted(gained)),
        lost=tuple(sorted(lost)),
        responsible=responsible_rules(set(chunk.edited), before, after),
        regions=regions,
    )


def _evaluated(kb: KnowledgeBase, profile: Any) -> Any:
    try:
        return kb.evaluate(profile)
    except (ProfileError, EvaluationError):
        return None


def _side(label: str, kb: KnowledgeBase) -> dict[str, str]:
    described = side(label, kb.content)
    return {
        "label": described.label,
        "kb_id": described.kb_id,
        "version": described.version,
        "digest": described.digest,
    }


def _chunks(
    lines: Iterator[Line], source: str, edited: frozenset[str], regions: tuple[Difference, ...]
) -> Iterator[ImpactChunk]:
    while batch := tuple(itertools.islice(lines, LINES_PER_CHUNK)):
        yield ImpactChunk(source, batch, edited, regions)
