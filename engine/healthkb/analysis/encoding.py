"""The rule semantics as z3 formulas over a profile's input attributes.

Exact for the whole rule language, because it mirrors `content.logic.match` and the
stratified evaluation of `runtime.reference`:

- Each input attribute is a z3 variable with a "given" flag; a comparison on an
  attribute that is not given is false, so its negation is true. A list attribute is
  one flag per allowed value. Integers are bounded as the profile model bounds them.
- Background facts are constants. A derived fact is one of finitely many candidates,
  the distinct `values` that active rules derive for it; a candidate exists when one
  of the rules deriving it fires.
- Rules fire on their normalised condition (any conjunction). Literals on a derived
  type that a conjunction tests positively must hold on one candidate together;
  negated literals on a type never tested positively hold when no existing fact
  satisfies them: negation as failure, sound because negation is stratified.
- Derived facts on a positive cycle (a fact supporting itself) take the least fixed
  point, unfolded as many times as the cycle has candidates.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from ..content.loading.kb_content import KBContent
from ..content.logic import (
    Conjunction,
    Literal,
    bound_groups,
    compare,
    comparisons,
    unbound_negations,
)
from ..content.model import LARGEST_WHOLE_NUMBER, Attribute
from ..content.rule_model import Comparison, Condition, Rule
from .dependencies import fact_groups, tested_derived
from .z3_on_demand import z3

AttributeKey = tuple[str, str]


@dataclass(frozen=True)
class Term:
    """A z3 condition on a profile, with the input attributes it depends on."""

    expr: z3.BoolRef
    uses: frozenset[AttributeKey]


def constant(value: bool, ctx: z3.Context) -> Term:
    return Term(z3.BoolVal(value, ctx), frozenset())


def conjoin(terms: Iterable[Term], ctx: z3.Context) -> Term:
    terms = [t for t in terms if not z3.is_true(t.expr)]
    if any(z3.is_false(t.expr) for t in terms):
        return constant(False, ctx)
    if not terms:
        return constant(True, ctx)
    expr = terms[0].expr if len(terms) == 1 else z3.And([t.expr for t in terms])
    return Term(expr, frozenset().union(*(t.uses for t in terms)))


def disjoin(terms: Iterable[Term], ctx: z3.Context) -> Term:
    terms = [t for t in terms if not z3.is_false(t.expr)]
    if any(z3.is_true(t.expr) for t in terms):
        return constant(True, ctx)
    if not terms:
        return constant(False, ctx)
    expr = terms[0].expr if len(terms) == 1 else z3.Or([t.expr for t in terms])
    return Term(expr, frozenset().union(*(t.uses for t in terms)))


def negate(term: Term) -> Term:
    if z3.is_true(term.expr) or z3.is_false(term.expr):
        return constant(z3.is_false(term.expr), term.expr.ctx)
    return Term(z3.Not(term.expr), term.uses)


def number(value: int | float | Fraction, ctx: z3.Context) -> z3.ArithRef:
    """A threshold as an exact z3 rational (0.1 is the binary number the rule compares)."""
    fraction = Fraction(value)
    return z3.RealVal(f"{fraction.numerator}/{fraction.denominator}", ctx)


@dataclass(frozen=True)
class Candidate:
    """One derived fact some active rules derive, and those rules."""

    fact: str
    values: dict[str, Any]
    rules: tuple[str, ...]


class InputAttribute:
    """The z3 variables of one input attribute, and what they may hold."""

    def __init__(self, fact: str, name: str, spec: Attribute, ctx: z3.Context) -> None:
        self.key = (fact, name)
        self.spec = spec
        self.ctx = ctx
        label = f"{fact}.{name}"
        self.given = z3.Bool(f"{label}?", ctx)
        self.members: dict[str, z3.BoolRef] = {}
        self.value: Any = None
        domain: list[z3.BoolRef] = []
        if spec.type == "bool":
            self.value = z3.Bool(label, ctx)
        elif spec.type == "enum":
            self.value = z3.Int(label, ctx)
            domain += [self.value >= 0, self.value < len(spec.values or [])]
        elif spec.type == "list":
            self.members = {v: z3.Bool(f"{label}[{v}]", ctx) for v in spec.values or []}
            self.given = z3.Or(list(self.members.values()))
        elif spec.type == "integer":
            self.value = z3.Int(label, ctx)
            low = -LARGEST_WHOLE_NUMBER if spec.min is None else int(spec.min)
            high = LARGEST_WHOLE_NUMBER if spec.max is None else int(spec.max)
            domain += [self.value >= low, self.value <= high]
        else:
            self.value = z3.Real(label, ctx)
            if spec.min is not None:
                domain.append(self.value >= number(spec.min, ctx))
            if spec.max is not None:
                domain.append(self.value <= number(spec.max, ctx))
        self.domain = domain

    def number(self) -> z3.ArithRef:
        return z3.ToReal(self.value) if self.spec.type == "integer" else self.value

    def equals(self, expected: Any) -> z3.BoolRef:
        """The attribute (given) equals `expected`, with the rules' notion of equality."""
        kind = self.spec.type
        if kind == "bool":
            return self.value if expected is True else z3.Not(self.value)
        if kind == "enum":
            return self.value == (self.spec.values or []).index(expected)
        return self.number() == number(expected, self.ctx)

    def compare(self, comparison: Comparison) -> z3.BoolRef:
        op, expected = comparison.op, comparison.value
        if op == "contains":
            return self.members[expected]
        if op == "contains_any":
            return z3.Or([self.members[v] for v in expected])
        if op in ("eq", "ne", "in", "not_in"):
            items = expected if op in ("in", "not_in") else [expected]
            matches = z3.Or([self.equals(item) for item in items])
            return z3.And(self.given, matches if op in ("eq", "in") else z3.Not(matches))
        value, bounds, ctx = self.number(), expected, self.ctx
        tests = {
            "lt": lambda: value < number(bounds, ctx),
            "le": lambda: value <= number(bounds, ctx),
            "gt": lambda: value > number(bounds, ctx),
            "ge": lambda: value >= number(bounds, ctx),
            "between": lambda: z3.And(
                value >= number(bounds[0], ctx), value <= number(bounds[1], ctx)
            ),
        }
        return z3.And(self.given, tests[op]())


def shown_value(value: Any) -> str:
    """A value as YAML writes it: `true`, `3`, `[thighs, arms]`."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(shown_value(v) for v in value) + "]"
    return str(value)


def literal_text(literal: Literal) -> str:
    """A comparison as the editor wrote it: `walk.tired eq true`, `not (x.y in [a, b])`."""
    comparison = literal.comparison
    text = f"{comparison.fact} {comparison.op} {shown_value(comparison.value)}"
    return f"not ({text})" if literal.negated else text


def candidate_key(fact: str, values: dict[str, Any]) -> str:
    return f"{fact}:{json.dumps(values, sort_keys=True)}"


class Encoding:
    """Every active rule's firing (and each silence's holding) as a z3 `Term`."""

    def __init__(
        self, content: KBContent, ctx: z3.Context | None = None, *, lazy: bool = False
    ) -> None:
        self.content = content
        # A z3 context of its own: the same KB gives the same questions in the same
        # order, so the same witnesses, whatever else the process analysed before.
        # Two KBs compared share one (`ctx`): their input attributes are then the same
        # z3 variables, so one profile is asked about under both.
        self.ctx = ctx if ctx is not None else z3.Context()
        self.true, self.false = constant(True, self.ctx), constant(False, self.ctx)
        self.rules: dict[str, Rule] = {r.id: r for r in content.active_rules()}
        self.inputs: dict[AttributeKey, InputAttribute] = {
            (fact, name): InputAttribute(fact, name, spec, self.ctx)
            for fact, fact_type in content.vocabulary.input.items()
            for name, spec in fact_type.attributes.items()
        }
        self.background = {
            name: dict(fact.values) for name, fact in content.vocabulary.background.items()
        }
        self.candidates = _candidates(self.rules.values())
        # Active rules by what they conclude and by the fact they derive, in KB order.
        self.concluding: dict[str, list[str]] = {}
        self.deriving: dict[str, list[str]] = {}
        for rule in self.rules.values():
            if rule.then.conclude is not None:
                self.concluding.setdefault(rule.then.conclude, []).append(rule.id)
            elif rule.then.derive is not None:
                self.deriving.setdefault(rule.then.derive.fact, []).append(rule.id)
        self.thresholds = _thresholds(
            [r.when for r in self.rules.values()] + [s.when for s in content.silences.values()],
            self.inputs,
        )
        self._exists: dict[str, Term] = {}
        self._fires: dict[str, Term] = {}
        derived = set(content.vocabulary.derived)
        self._groups = fact_groups(self.rules.values(), derived)
        self._group_of = {fact: i for i, (group, _) in enumerate(self._groups) for fact in group}
        self._defined: set[int] = set()
        self._derived_facts = derived
        self.cyclic_facts: set[str] = {f for group, cyclic in self._groups if cyclic for f in group}
        # `lazy`: derived facts are defined when a question first needs them (a what-if
        # asks about one conclusion of a large KB); otherwise all at once, in dependency
        # order, so that `analyze` builds the same terms in the same order every time.
        if not lazy:
            for index in range(len(self._groups)):
                self._define_group(index)

    # --- literals and conjunctions ----------------------------------------------------

    def _literal(self, literal: Literal) -> Term:
        comparison = literal.comparison
        attribute = self.inputs[(comparison.fact_type, comparison.attribute)]
        term = Term(attribute.compare(comparison), frozenset({attribute.key}))
        return negate(term) if literal.negated else term

    def _derived_group(self, fact: str, literals: list[Literal], exists: Any) -> Term:
        return disjoin(
            (
                exists(c)
                for c in self.candidates.get(fact, [])
                if all(
                    compare(lit.comparison, c.values.get(lit.comparison.attribute)) != lit.negated
                    for lit in literals
                )
            ),
            self.ctx,
        )

    def conjunction(self, conjunction: Conjunction, exists: Any = None) -> Term:
        """When one conjunction holds; `exists` overrides candidates (fixed-point steps)."""
        return conjoin((term for _, term in self.parts(conjunction, exists)), self.ctx)

    def parts(self, conjunction: Conjunction, exists: Any = None) -> list[tuple[str, Term]]:
        """A conjunction's independent parts, each labelled as the editor wrote it: one
        per input comparison, one per group of comparisons on one derived fact."""
        exists = exists or self.exists
        parts: list[tuple[str, Term]] = []
        for fact, literals in bound_groups(conjunction).items():
            label = " and ".join(f"`{literal_text(lit)}`" for lit in literals)
            if fact in self.background:
                values = self.background[fact]
                holds = all(
                    compare(lit.comparison, values.get(lit.comparison.attribute)) != lit.negated
                    for lit in literals
                )
                parts.append((label, self.true if holds else self.false))
            elif fact in self.content.vocabulary.derived:
                parts.append((label, self._derived_group(fact, literals, exists)))
            else:
                parts += [(f"`{literal_text(lit)}`", self._literal(lit)) for lit in literals]
        for literal in unbound_negations(conjunction):
            comparison = literal.comparison
            label = f"`{literal_text(literal)}`"
            if literal.fact_type in self.background:
                values = self.background[literal.fact_type]
                found = compare(comparison, values.get(comparison.attribute))
                parts.append((label, self.false if found else self.true))
            elif literal.fact_type in self.content.vocabulary.derived:
                positive = Literal(comparison)
                group = self._derived_group(literal.fact_type, [positive], exists)
                parts.append((label, negate(group)))
            else:
                parts.append((label, self._literal(literal)))
        return parts

    def condition(self, dnf: list[Conjunction], exists: Any = None) -> Term:
        return disjoin((self.conjunction(c, exists) for c in dnf), self.ctx)

    # --- derived facts and rules ------------------------------------------------------

    def exists(self, candidate: Candidate) -> Term:
        key = candidate_key(candidate.fact, candidate.values)
        if key not in self._exists:
            self._define_needed(candidate.fact)
        return self._exists[key]

    def fires(self, rule_id: str) -> Term:
        """When an active rule fires, for some profile."""
        if rule_id not in self._fires:
            self._fires[rule_id] = self.condition(self.content.dnf[rule_id])
        return self._fires[rule_id]

    def silence(self, silence_id: str) -> Term:
        return self.condition(self.content.silence_dnf[silence_id])

    def _define_needed(self, fact: str) -> None:
        """Define the group of `fact` and every group it depends on, dependencies first
        (a loop, not recursion: a chain of derived facts may be hundreds deep)."""
        needed: set[int] = set()
        waiting = [self._group_of[fact]]
        while waiting:
            index = waiting.pop()
            if index in needed or index in self._defined:
                continue
            needed.add(index)
            for member in self._groups[index][0]:
                for rule_id in self.deriving.get(member, []):
                    tested = tested_derived(self.rules[rule_id], self._derived_facts)
                    waiting += [self._group_of[t] for t in tested]
        for index in sorted(needed):  # fact_groups lists dependencies first
            self._define_group(index)

    def _define_group(self, index: int) -> None:
        """Each candidate's existence in one strongly connected group of facts."""
        self._defined.add(index)
        group, cyclic = self._groups[index]
        members = [c for fact in group for c in self.candidates.get(fact, [])]
        if not cyclic:
            for candidate in members:
                self._exists[candidate_key(candidate.fact, candidate.values)] = disjoin(
                    (self.fires(r) for r in candidate.rules), self.ctx
                )
            return
        # A positive cycle: the least fixed point, reached in len(members) steps.
        step = {candidate_key(c.fact, c.values): self.false for c in members}
        for _ in range(len(members)):

            def previous(c: Candidate, step: dict[str, Term] = step) -> Term:
                key = candidate_key(c.fact, c.values)
                return step[key] if key in step else self._exists[key]

            step = {
                candidate_key(c.fact, c.values): disjoin(
                    (self.condition(self.content.dnf[r], previous) for r in c.rules),
                    self.ctx,
                )
                for c in members
            }
        self._exists.update(step)

    # --- solving ----------------------------------------------------------------------

    def domain(self, uses: Iterable[AttributeKey]) -> list[z3.BoolRef]:
        return [d for key in sorted(uses) for d in self.inputs[key].domain]


def _thresholds(
    conditions: Iterable[Condition], inputs: dict[AttributeKey, InputAttribute]
) -> dict[AttributeKey, list[Fraction]]:
    """Every number a number or integer attribute is compared with, and its bounds, sorted:
    a profile's value matters only through the cell of these it falls in."""
    found: dict[AttributeKey, set[Fraction]] = {}
    for key, attribute in inputs.items():
        if attribute.spec.type in ("integer", "number"):
            bounds = (attribute.spec.min, attribute.spec.max)
            found[key] = {Fraction(b) for b in bounds if b is not None}
    for condition in conditions:
        for comparison in comparisons(condition):
            key = (comparison.fact_type, comparison.attribute)
            if key in found:
                value = comparison.value
                for item in value if isinstance(value, list) else [value]:
                    if isinstance(item, int | float) and not isinstance(item, bool):
                        found[key].add(Fraction(item))
    return {key: sorted(values) for key, values in found.items()}


def _candidates(rules: Iterable[Rule]) -> dict[str, list[Candidate]]:
    """The distinct derived facts active rules derive, by fact type, in rule order."""
    found: dict[str, dict[str, tuple[dict[str, Any], list[str]]]] = {}
    for rule in rules:
        derive = rule.then.derive
        if derive is None:
            continue
        values = dict(derive.values)
        slot = found.setdefault(derive.fact, {})
        slot.setdefault(candidate_key(derive.fact, values), (values, []))[1].append(rule.id)
    return {
        fact: [Candidate(fact, values, tuple(ids)) for values, ids in by_key.values()]
        for fact, by_key in found.items()
    }
