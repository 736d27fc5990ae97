"""What would it take: the smallest changes to a profile that reach a conclusion (or, with
`avoid`, that stop it), found exactly over the rules' z3 encoding.

Only attributes the vocabulary marks `changeable` change; each change counts for the
attribute's `cost` (default 1). z3's optimiser minimises the total cost first, then how
far the changed values moved, so the first proposal is proved cheapest and its numbers
are the nearest that work. Further proposals change a set of attributes that is not a
superset of an earlier proposal's (a costlier way round, not the same change with
extras). Every proposal is confirmed by evaluating the changed profile with the
reference evaluator, never reaches two conclusions that exclude each other, names the
warnings and recommendations the person would lose, and cites the passages of the
rules it makes fire.

>>> from healthkb.content.loading.loader import read_content
>>> profile = {"symptoms": {"physical_discomfort": True}}
>>> what_if(read_content(), profile, "stop_and_rest", avoid=True).proposals
()
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from ..content.loading.kb_content import KBContent
from ..content.model import KIND_RANK
from ..content.reference_evaluator import evaluate
from ..errors import UnknownConclusionError, check_conclusion_id, did_you_mean
from .change_space import AttributeChoice, Profile, attribute_choice, changed_profile
from .encoding import Encoding, Term, conjoin, disjoin, negate
from .prove import AnalysisError
from .what_if_text import DEFAULT_ALTERNATIVES, MAX_ALTERNATIVES, what_if_text
from .z3_on_demand import z3

SAFETY_KINDS = ("warning", "recommendation")
"""Kinds of conclusion a proposal says it would lose: advice that keeps a person safe."""


@dataclass(frozen=True)
class Change:
    """One attribute changed: from the profile's value to the proposal's."""

    attribute: str
    before: Any
    after: Any

    def to_dict(self) -> dict[str, Any]:
        return {"attribute": self.attribute, "from": self.before, "to": self.after}


@dataclass(frozen=True)
class Proposal:
    """Changes that reach (or avoid) the conclusion, confirmed by evaluation."""

    changes: tuple[Change, ...]
    cost: int | float
    reaches: tuple[str, ...]
    """Every conclusion the changed profile reaches, in the order results list them."""
    loses: tuple[str, ...]
    """Warnings and recommendations the profile reached that the changed one would not."""
    passages: tuple[dict[str, Any], ...]
    """The passages of each rule the change makes fire (`fires: true`) and, when avoiding
    a conclusion, of each rule it stops (`fires: false`), each with its `rule`."""
    profile: Profile
    """The changed profile."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "changes": [change.to_dict() for change in self.changes],
            "cost": self.cost,
            "reaches": list(self.reaches),
            "loses": list(self.loses),
            "passages": [dict(passage) for passage in self.passages],
        }


@dataclass(frozen=True)
class WhatIf:
    """The cheapest proposals first; none when no change of changeable attributes works."""

    conclusion: str
    avoid: bool
    proposals: tuple[Proposal, ...]

    def __str__(self) -> str:
        return what_if_text(self.to_dict())

    def to_dict(self) -> dict[str, Any]:
        return {
            "conclusion": self.conclusion,
            "avoid": self.avoid,
            "proposals": [proposal.to_dict() for proposal in self.proposals],
        }


def check_alternatives(alternatives: object) -> int:
    """The number of proposals asked for, refused (ValueError) unless 1 to MAX."""
    if isinstance(alternatives, bool) or not isinstance(alternatives, int):
        raise TypeError(f"alternatives must be a whole number; got {type(alternatives).__name__}")
    if not 1 <= alternatives <= MAX_ALTERNATIVES:
        raise ValueError(f"alternatives must be from 1 to {MAX_ALTERNATIVES}; got {alternatives}")
    return alternatives


def what_if(
    content: KBContent,
    profile: Profile,
    conclusion_id: str,
    *,
    avoid: bool = False,
    alternatives: int = DEFAULT_ALTERNATIVES,
    encoding: Encoding | None = None,
) -> WhatIf:
    """Up to `alternatives` proposals, cheapest first, for a validated `profile` (plain
    data). Raises UnknownConclusionError for an id the KB does not declare."""
    check_conclusion_id(conclusion_id)
    if conclusion_id not in content.conclusions:
        hint = did_you_mean(conclusion_id, content.conclusions)
        raise UnknownConclusionError(f"unknown conclusion `{conclusion_id}` ({hint})")
    count = check_alternatives(alternatives)
    search = _Search(content, encoding or Encoding(content, lazy=True), profile)
    proposals = search.proposals(conclusion_id, avoid, count)
    return WhatIf(conclusion_id, avoid, tuple(proposals))


class _Search:
    def __init__(self, content: KBContent, encoding: Encoding, profile: Profile) -> None:
        self.content = content
        self.encoding = encoding
        self.profile = profile
        self.before = evaluate(content, profile)

    def reach(self, conclusion_id: str) -> Term:
        rules = self.encoding.concluding.get(conclusion_id, [])
        return disjoin((self.encoding.fires(r) for r in rules), self.encoding.ctx)

    def exclusions(self) -> list[Term]:
        """No two conclusions that exclude each other, whatever else changes."""
        terms = []
        for first in sorted(self.content.conclusions):
            for second in sorted(self.content.conclusions[first].excludes):
                both = conjoin([self.reach(first), self.reach(second)], self.encoding.ctx)
                terms.append(negate(both))
        return terms

    def proposals(self, conclusion_id: str, avoid: bool, count: int) -> list[Proposal]:
        ctx = self.encoding.ctx
        target = self.reach(conclusion_id)
        terms = [negate(target) if avoid else target, *self.exclusions()]
        uses = sorted(frozenset().union(*(t.uses for t in terms)))
        choices = [attribute_choice(self.encoding, key, self.profile) for key in uses]
        optimiser = z3.Optimize(ctx=ctx)
        optimiser.add(*self.encoding.domain(uses))
        optimiser.add(*[c for choice in choices for c in choice.constraints])
        optimiser.add(*[t.expr for t in terms])
        changeable = [c for c in choices if c.changed is not None]
        optimiser.minimize(_total(changeable, ctx))
        distances = [c.distance for c in changeable if c.distance is not None]
        optimiser.minimize(z3.Sum(distances) if distances else z3.RealVal(0, ctx))
        found: list[Proposal] = []
        while len(found) < count:
            answer = optimiser.check()
            if answer == z3.unknown:
                raise AnalysisError(f"the solver could not decide: {optimiser.reason_unknown()}")
            if answer == z3.unsat:
                break
            model = optimiser.model()
            changed = [c for c in changeable if _true(model, c.changed)]
            proposal = self.confirmed(conclusion_id, avoid, model, changed, choices)
            found.append(proposal)
            if not changed:
                break  # nothing to change: no other proposal can be cheaper or different
            # Later proposals may not change a superset of these attributes.
            optimiser.add(z3.Not(z3.And([c.changed for c in changed if c.changed is not None])))
        return found

    def confirmed(
        self,
        conclusion_id: str,
        avoid: bool,
        model: z3.ModelRef,
        changed: Sequence[AttributeChoice],
        choices: Sequence[AttributeChoice],
    ) -> Proposal:
        keys = {choice.key for choice in choices}
        profile = changed_profile(self.encoding, model, self.profile, keys)
        after = evaluate(self.content, profile)
        reached = conclusion_id in after.conclusions
        excluded = [
            (first, second)
            for first in sorted(after.conclusions)
            for second in sorted(self.content.conclusions[first].excludes)
            if second in after.conclusions
        ]
        if reached == avoid or excluded:
            raise AnalysisError(
                f"a what-if proposal for `{conclusion_id}` was not confirmed by evaluating "
                f"the changed profile {profile} (a defect of healthkb, please report it)"
            )
        changes = tuple(
            Change(
                f"{c.key[0]}.{c.key[1]}",
                _value_of(self.profile, c.key),
                _value_of(profile, c.key),
            )
            for c in changed
        )
        total = sum((c.cost for c in changed), Fraction(0))
        return Proposal(
            changes=changes,
            cost=int(total) if total.denominator == 1 else float(total),
            reaches=self.ordered(after.conclusions),
            loses=tuple(
                c
                for c in self.ordered(self.before.conclusions - after.conclusions)
                if self.content.conclusions[c].kind in SAFETY_KINDS
            ),
            passages=self.passages(sorted(after.fired - self.before.fired), fires=True)
            + self.passages(sorted(self.before.fired - after.fired) if avoid else [], fires=False),
            profile=profile,
        )

    def ordered(self, conclusions: frozenset[str]) -> tuple[str, ...]:
        declared = self.content.conclusions
        return tuple(sorted(conclusions, key=lambda c: (KIND_RANK[declared[c].kind], c)))

    def passages(self, rule_ids: Sequence[str], fires: bool) -> tuple[dict[str, Any], ...]:
        """The passages of these rules, each with its `rule` and whether it now `fires`."""
        found = []
        for rule_id in rule_ids:
            for citation in self.content.rules[rule_id].because:
                data = self.content.citations.as_data(citation)
                found.append({"rule": rule_id, "fires": fires, **data})
        return tuple(found)


def _total(changeable: Sequence[AttributeChoice], ctx: z3.Context) -> z3.ArithRef:
    costs = [
        z3.If(c.changed, _rational(c.cost, ctx), z3.RealVal(0, ctx))
        for c in changeable
        if c.changed is not None
    ]
    return z3.Sum(costs) if costs else z3.RealVal(0, ctx)


def _rational(value: Fraction, ctx: z3.Context) -> z3.ArithRef:
    return z3.RealVal(f"{value.numerator}/{value.denominator}", ctx)


def _value_of(profile: Profile, key: tuple[str, str]) -> Any:
    return (profile.get(key[0]) or {}).get(key[1])


def _true(model: z3.ModelRef, expr: z3.BoolRef | None) -> bool:
    return expr is not None and bool(z3.is_true(model.eval(expr, model_completion=True)))
