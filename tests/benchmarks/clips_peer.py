"""A classic rule engine as a peer: the KB's rules translated to CLIPS, run by clipspy.

The translation is automatic, from the validated content (`KBContent`): every rule's
conditions in disjunctive normal form (`content.dnf`), as `healthkb` itself compiles
them for durable_rules. The semantics are the KB's (docs/editors.md, `content/logic.py`):

- one CLIPS template per fact type (input, derived, background), a slot per attribute
  (a multislot for lists); an attribute the profile leaves out stays `nil`, and a
  comparison on it is false (so its negation is true);
- a bool equals only a bool (CLIPS symbols TRUE/FALSE), numbers compare as numbers
  (`30` equals `30.0`), text as strings;
- inside one conjunction the comparisons on a positively tested fact type are about one
  fact; a negated comparison on a fact type not tested positively is negation as failure
  (`(not (F ...))`);
- negation is stratified as healthkb stratifies it (`content.strata`): a rule of stratum
  k has salience -k, so every rule of a lower stratum fires first;
- a rule concludes by asserting a `healthkb-conclusion` fact; CLIPS keeps no duplicate
  facts, as derived facts are a set in healthkb.

Used by the benchmarks (`python -m tests.benchmarks --clips`), which time it call by call
against `evaluate()` after checking both give the same conclusions on a generated
population, and by `tests/runtime/test_clips_peer.py`.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterator
from typing import Any

import clips

from healthkb.content.loading.kb_content import KBContent
from healthkb.content.logic import Conjunction, Literal, bound_groups, unbound_negations
from healthkb.content.model import Attribute, FactType

CONCLUSION = "healthkb-conclusion"


def _value(value: Any) -> str:
    """A value as CLIPS source text."""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list):
        return " ".join(_value(item) for item in value)
    return json.dumps(str(value))  # a CLIPS string: double quotes, backslash escapes


def _same(var: str, expected: Any) -> str:
    if isinstance(expected, bool):
        return f"(eq {var} {_value(expected)})"
    if isinstance(expected, int | float):
        return f"(and (numberp {var}) (= {var} {expected!r}))"
    return f"(eq {var} {_value(expected)})"


def _number(var: str, op: str, bound: Any) -> str:
    return f"(and (numberp {var}) ({op} {var} {bound!r}))"


def _test(literal: Literal, var: str) -> str:
    """The comparison of one literal (before negation) on the variable bound to it."""
    comparison = literal.comparison
    op, expected = comparison.op, comparison.value
    present = f"(neq {var} nil)"
    if op == "eq":
        return _same(var, expected)
    if op == "ne":
        return f"(and {present} (not {_same(var, expected)}))"
    if op == "in":
        return "(or " + " ".join(_same(var, item) for item in expected) + ")"
    if op == "not_in":
        return f"(and {present} (not (or " + " ".join(_same(var, i) for i in expected) + ")))"
    if op == "contains":
        return f"(neq (member$ {_value(expected)} {var}) FALSE)"
    if op == "contains_any":
        items = " ".join(f"(neq (member$ {_value(i)} {var}) FALSE)" for i in expected)
        return f"(or {items})"
    if op == "between":
        low, high = expected
        return f"(and (numberp {var}) (<= {low!r} {var} {high!r}))"
    symbol = {"lt": "<", "le": "<=", "gt": ">", "ge": ">="}[op]
    return _number(var, symbol, expected)


class ClipsPeer:
    """The KB's active rules in one CLIPS environment; `conclusions(profile)` runs it.

    `source` is the translation as CLIPS source text (what a CLIPS user would keep in a
    `.clp` file); `load(path)` times CLIPS loading it, as `healthkb.load` is timed."""

    def __init__(self, content: KBContent, edit: Callable[[str], str] | None = None) -> None:
        """`edit` changes the translation before it is loaded (tests plant mistakes)."""
        self._lists: dict[str, set[str]] = {}
        self.source = "\n".join(self._constructs(content)) + "\n"
        if edit is not None:
            self.source = edit(self.source)
        self.env = clips.Environment()
        self._reached: list[str] = []
        # Conclusions are handed to Python as they are asserted (an RHS call): reading
        # them back through the fact list costs more than the whole run.
        self.env.define_function(self._reached.append, name="healthkb-reached")
        for construct in self.source.splitlines():
            self.env.build(construct)
        self._templates = {t.name: t for t in self.env.templates()}

    @staticmethod
    def load(path: str) -> clips.Environment:
        """A fresh environment with the constructs of a `.clp` file loaded."""
        env = clips.Environment()
        env.define_function(list().append, name="healthkb-reached")
        env.load(path)
        return env

    def _constructs(self, content: KBContent) -> Iterator[str]:
        vocabulary = content.vocabulary
        for facts in (vocabulary.input, vocabulary.derived, vocabulary.background):
            for name, fact in facts.items():
                yield self._template(name, fact)
        yield f"(deftemplate {CONCLUSION} (slot id))"
        if vocabulary.background:
            body = " ".join(
                self._fact(name, dict(fact.values)) for name, fact in vocabulary.background.items()
            )
            yield f"(deffacts background {body})"
        for rule in content.active_rules():
            salience = -content.strata[rule.id]
            if rule.then.conclude is not None:
                action = (
                    f'(assert ({CONCLUSION} (id "{rule.then.conclude}")))'
                    f' (healthkb-reached "{rule.then.conclude}")'
                )
            else:
                derive = rule.then.derive
                assert derive is not None
                action = f"(assert {self._fact(derive.fact, dict(derive.values))})"
            for index, conjunction in enumerate(content.dnf[rule.id]):
                lhs = " ".join(self._patterns(conjunction))
                yield (
                    f"(defrule r{index}-{rule.id} (declare (salience {salience})) "
                    f"{lhs} => {action})"
                )

    def _template(self, name: str, fact: FactType) -> str:
        slots = []
        lists = self._lists.setdefault(name, set())
        for attribute, spec in fact.attributes.items():
            if spec.type == "list":
                lists.add(attribute)
                slots.append(f"(multislot {attribute})")
            else:
                slots.append(f"(slot {attribute})")
        return f"(deftemplate {name} {' '.join(slots)})"

    def _fact(self, name: str, values: dict[str, Any]) -> str:
        slots = " ".join(f"({key} {_value(value)})" for key, value in values.items())
        return f"({name} {slots})"

    def _var(self, literal: Literal) -> str:
        comparison = literal.comparison
        sigil = "$?" if comparison.attribute in self._lists.get(literal.fact_type, ()) else "?"
        return f"{sigil}{literal.fact_type}__{comparison.attribute}"

    def _patterns(self, conjunction: Conjunction) -> Iterator[str]:
        # Each comparison is a predicate constraint on its slot (`?v&:(> ?v 34)`): CLIPS
        # tests it once per fact in its pattern network, as a CLIPS author would write it.
        for fact_type, literals in bound_groups(conjunction).items():
            constraints: dict[str, list[str]] = {}
            for literal in literals:
                test = _test(literal, self._var(literal))
                constraints.setdefault(literal.comparison.attribute, []).append(
                    f"(not {test})" if literal.negated else test
                )
            slots = []
            for attribute, tests in sorted(constraints.items()):
                var = self._var(next(x for x in literals if x.comparison.attribute == attribute))
                slots.append(f"({attribute} {var}" + "".join(f"&:{t}" for t in tests) + ")")
            yield f"({fact_type} " + " ".join(slots) + ")"
        for literal in unbound_negations(conjunction):
            var = self._var(literal)
            attribute = literal.comparison.attribute
            yield f"(not ({literal.fact_type} ({attribute} {var}&:{_test(literal, var)})))"
        if not conjunction:
            yield "(initial-fact)"

    def conclusions(self, profile: dict[str, Any]) -> frozenset[str]:
        """The conclusions the rules reach for a validated profile (plain dict)."""
        env = self.env
        env.reset()
        self._reached.clear()
        for name, values in profile.items():
            template = self._templates[name]
            lists = self._lists.get(name, ())
            template.assert_fact(
                **{
                    key: (
                        list(value)
                        if key in lists
                        else clips.Symbol("TRUE" if value else "FALSE")
                        if isinstance(value, bool)
                        else value
                    )
                    for key, value in values.items()
                }
            )
        env.run()
        return frozenset(self._reached)


def population(content: KBContent, count: int, seed: int = 2025) -> list[dict[str, Any]]:
    """Profiles over every attribute's range: its bounds, each threshold a rule compares
    with and the values either side of it, every enum value, lists of every size, and
    attributes or whole facts left out."""
    chooser = random.Random(seed)
    thresholds = _thresholds(content)
    choices = {
        (name, attribute): _choices(spec, thresholds.get(f"{name}.{attribute}", set()))
        for name, fact in content.vocabulary.input.items()
        for attribute, spec in fact.attributes.items()
    }
    profiles = []
    for _ in range(count):
        profile: dict[str, Any] = {}
        for name, fact in content.vocabulary.input.items():
            if chooser.random() < 0.2:
                continue
            values = {}
            for attribute in fact.attributes:
                if chooser.random() < 0.15:
                    continue
                values[attribute] = chooser.choice(choices[name, attribute])(chooser)
            profile[name] = values
        profiles.append(profile)
    return profiles


def _thresholds(content: KBContent) -> dict[str, set[float]]:
    found: dict[str, set[float]] = {}
    for conjunctions in content.dnf.values():
        for conjunction in conjunctions:
            for literal in conjunction:
                value = literal.comparison.value
                numbers = value if isinstance(value, list) else [value]
                for number in numbers:
                    if isinstance(number, int | float) and not isinstance(number, bool):
                        found.setdefault(literal.comparison.fact, set()).add(float(number))
    return found


def _choices(spec: Attribute, thresholds: set[float]) -> list[Any]:
    if spec.type == "bool":
        return [lambda c: True, lambda c: False]
    if spec.type == "enum":
        return [lambda c, v=v: v for v in spec.values or []]
    if spec.type == "list":
        items = list(spec.values or [])
        return [lambda c, k=k: sorted(c.sample(items, k)) for k in range(len(items) + 1)]
    low = spec.min if spec.min is not None else 0
    high = spec.max if spec.max is not None else 1000
    whole = spec.type == "integer"
    points = {low, high, *thresholds}
    near = {p + d for p in points for d in ((-1, 1) if whole else (-0.01, 0.01))}
    picks = sorted(p for p in points | near if low <= p <= high)
    picks = [int(p) for p in picks] if whole else picks
    return [lambda c, p=p: p for p in picks] + [
        (lambda c: c.randint(int(low), int(high)))
        if whole
        else (lambda c: round(c.uniform(low, high), 2))
    ]
