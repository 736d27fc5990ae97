"""A diff of two KBs proved over every valid profile: which conclusions are gained or lost,
and where, or "proven unchanged in behaviour".

Both KBs are encoded in one z3 context, so an input attribute is the same variable under
both and a question is about one profile. For each conclusion whose rules could behave
differently, z3 is asked for a profile that reaches it under one KB and not the other;
each such set is covered by regions (boxes of conditions on input attributes, see
regions.py), each with a witness profile confirmed by evaluating it under both KBs.

Which conclusions could behave differently: a rule differs when it is only in one KB,
or its `when`, `then` or `status` differ; so does a rule that tests an input attribute
whose type, values or bounds differ, or a background fact whose values differ; and a
rule that tests a derived fact some differing rule derives. A conclusion none of whose
rules differ has the same formula, over the same variables, in both encodings: the
same answer for every profile, proved without asking. So a change of wording (titles,
statements, citations, descriptions) or of layout is proved unchanged at once.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal

from ..content.loading.kb_content import KBContent
from ..content.logic import fact_types
from ..content.reference_evaluator import evaluate
from ..content.rule_model import Rule
from .encoding import AttributeKey, Encoding, Term, disjoin
from .prove import AnalysisError, Prover
from .regions import Cover, RegionCondition, box_conditions, box_text, dimensions
from .z3_on_demand import z3

MAX_REGIONS = 10
"""The most regions one conclusion's gain (or loss) is described by; past it, the
difference says that more regions remain."""

Change = Literal["gained", "lost"]


@dataclass(frozen=True)
class Difference:
    """Profiles in `region` reach `conclusion` under one KB and not the other."""

    conclusion: str
    change: Change
    region: str
    witness: dict[str, Any]
    conditions: tuple[RegionCondition, ...] = ()
    """The region as data (`contains` checks a profile against it)."""

    def contains(self, profile: dict[str, Any]) -> bool:
        """Whether a validated profile (plain data) lies in the region."""
        return all(condition.holds_for(profile) for condition in self.conditions)

    def to_dict(self) -> dict[str, Any]:
        return {
            "conclusion": self.conclusion,
            "change": self.change,
            "region": self.region,
            "witness": self.witness,
        }


@dataclass(frozen=True)
class ProvenDiff:
    """Every difference in behaviour between two KBs, over every valid profile."""

    differences: tuple[Difference, ...]
    incomplete: tuple[str, ...] = ()
    """Conclusions whose gain or loss needed more than MAX_REGIONS regions (the rest of
    the profiles concerned are not described, though the change is proved)."""

    @property
    def unchanged(self) -> bool:
        return not self.differences

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "unchanged": self.unchanged,
            "differences": [d.to_dict() for d in self.differences],
        }
        if self.incomplete:
            data["more_regions"] = list(self.incomplete)
        return data


def prove_diff(old: KBContent, new: KBContent) -> ProvenDiff:
    """What changes in behaviour from `old` to `new`, proved for every valid profile
    (valid under both vocabularies)."""
    ctx = z3.Context()
    before, after = Encoding(old, ctx, lazy=True), Encoding(new, ctx, lazy=True)
    _share_thresholds(before, after)
    suspects = differing_conclusions(old, new)
    differences: list[Difference] = []
    incomplete: list[str] = []
    for conclusion in sorted(suspects):
        was, now = _reach(before, conclusion), _reach(after, conclusion)
        sides: tuple[tuple[Change, Term, Term], ...] = (("gained", now, was), ("lost", was, now))
        for change, reached, missed in sides:
            found, more = _regions(before, after, reached, missed, conclusion, change)
            differences += found
            if more:
                incomplete.append(f"{conclusion} {change}")
    return ProvenDiff(tuple(differences), tuple(incomplete))


def _reach(encoding: Encoding, conclusion: str) -> Term:
    rules = encoding.concluding.get(conclusion, [])
    return disjoin((encoding.fires(r) for r in rules), encoding.ctx)


def _regions(
    before: Encoding,
    after: Encoding,
    reached: Term,
    missed: Term,
    conclusion: str,
    change: Change,
) -> tuple[list[Difference], bool]:
    ctx = after.ctx
    if z3.is_false(reached.expr) or (z3.is_true(missed.expr)):
        return [], False
    uses = sorted(reached.uses | missed.uses)
    inside = z3.And(reached.expr, z3.Not(missed.expr))
    domain = _domain(before, after, uses)
    encoding = after if all(key in after.inputs for key in uses) else before
    dims = dimensions(encoding, uses)
    cover = Cover(ctx, dims, inside, domain)
    boxes, more = cover.boxes(MAX_REGIONS)
    prover = Prover(encoding)
    found = []
    for box in boxes:
        region = cover.expression(box)
        term = Term(inside, frozenset(k for k in uses if k in encoding.inputs))
        witness = prover.witness(term, extra=[*domain, region])
        if witness is None:
            raise AnalysisError(f"no witness in a region where `{conclusion}` is {change}")
        _confirm(before.content, after.content, witness.profile, conclusion, change)
        found.append(
            Difference(
                conclusion,
                change,
                box_text(dims, box),
                witness.profile,
                box_conditions(dims, box),
            )
        )
    return found, more


def _domain(before: Encoding, after: Encoding, uses: list[AttributeKey]) -> list[z3.BoolRef]:
    """Profiles valid under both vocabularies."""
    return [
        *before.domain(k for k in uses if k in before.inputs),
        *after.domain(k for k in uses if k in after.inputs),
    ]


def _confirm(
    old: KBContent, new: KBContent, profile: dict[str, Any], conclusion: str, change: Change
) -> None:
    was = conclusion in evaluate(old, profile).conclusions
    now = conclusion in evaluate(new, profile).conclusions
    if (was, now) != ((False, True) if change == "gained" else (True, False)):
        raise AnalysisError(
            f"the witness {profile} of `{conclusion}` {change} was not confirmed by evaluating "
            "it under both KBs (a defect of healthkb, please report it)"
        )


def _share_thresholds(before: Encoding, after: Encoding) -> None:
    """Each KB's numbers compared with both KBs' thresholds, so that a witness's value is
    read the same way by both."""
    for key in before.thresholds.keys() & after.thresholds.keys():
        merged = sorted(set(before.thresholds[key]) | set(after.thresholds[key]))
        before.thresholds[key] = after.thresholds[key] = merged


def differing_conclusions(old: KBContent, new: KBContent) -> set[str]:
    """Conclusions whose rules could behave differently (see the module docstring)."""
    old_rules, new_rules = _active(old), _active(new)
    differing = {
        rule_id
        for rule_id in old_rules.keys() | new_rules.keys()
        if _behaviour(old_rules.get(rule_id)) != _behaviour(new_rules.get(rule_id))
    }
    changed_facts = _changed_facts(old, new)
    rules = [*old_rules.values(), *new_rules.values()]
    while True:
        derived = {r.then.derive.fact for r in rules if r.id in differing and r.then.derive}
        tainted = changed_facts | derived
        grown = differing | {r.id for r in rules if fact_types(r.when) & tainted}
        if grown == differing:
            break
        differing = grown
    return {r.then.conclude for r in rules if r.id in differing and r.then.conclude}


def _active(content: KBContent) -> dict[str, Rule]:
    return {rule.id: rule for rule in content.active_rules()}


def _behaviour(rule: Rule | None) -> str | None:
    if rule is None:
        return None
    data = rule.model_dump(mode="json", include={"when", "then", "status"})
    return json.dumps(data, sort_keys=True)


def _changed_facts(old: KBContent, new: KBContent) -> set[str]:
    """Fact types whose attributes' types, values or bounds, or background values, differ."""
    changed = set()
    for name in _fact_names(old) | _fact_names(new):
        if _fact_shape(old, name) != _fact_shape(new, name):
            changed.add(name)
    return changed


def _fact_names(content: KBContent) -> set[str]:
    vocabulary = content.vocabulary
    return set(vocabulary.input) | set(vocabulary.derived) | set(vocabulary.background)


def _fact_shape(content: KBContent, name: str) -> str:
    vocabulary = content.vocabulary
    for section, facts in (
        ("input", vocabulary.input),
        ("derived", vocabulary.derived),
        ("background", vocabulary.background),
    ):
        fact = facts.get(name)
        if fact is not None:
            attributes = {
                attribute: spec.model_dump(mode="json", include={"type", "values", "min", "max"})
                for attribute, spec in fact.attributes.items()
            }
            values = dict(getattr(fact, "values", {}) or {})
            return json.dumps([section, attributes, values], sort_keys=True)
    return ""
