"""Compiling validated rules into durable_rules ruleset definitions, partitioned.

Each conjunction of a rule's normal form becomes one durable_rules rule. Rules are
partitioned into rulesets by the fact types that connect them, because a
durable_rules ruleset holds at most ~4,096 rules and every fact asserted into it
costs time in proportion to its rule count. Each fact is then routed only to the
rulesets whose rules test its type.

Rules that test for the absence of something wait for a "gate" fact of their
stratum, asserted only once everything of lower strata has been derived; durable_rules
itself never retracts an action, so this ordering is what makes negation correct.

Each rule is written once, as the JSON text durable_rules reads (`RulesetPlan.text`),
by the small writers at the end (`_object`, `_array`, `_value`): building it as dicts
and encoding those again cost more than half as much again on a 10,000-rule KB. The text
is what `json.dumps(definition, ensure_ascii=False, separators=(",", ":"))` writes for
the same definition (docs/performance.md, "Compiling and starting the engine").
"""

from __future__ import annotations

import itertools
import json
import math
import uuid
from dataclasses import dataclass
from operator import attrgetter
from typing import Any, NamedTuple

from ..content.logic import Conjunction
from ..content.rule_model import Comparison, Rule

TYPE_KEY = "_fact"  # attribute names start with a letter, so this never collides
GATE_TYPE = "$gate"
MAX_RULES_PER_RULESET = 256

# Operators as durable_rules names them, as JSON text (as are the other keys below).
_OPERATOR = {"lt": '"$lt"', "le": '"$lte"', "gt": '"$gt"', "ge": '"$gte"', "ne": '"$neq"'}
_name_counter = itertools.count(1)
# A string as JSON text, as `json.dumps(..., ensure_ascii=False)` writes it (the C writer).
_string = json.encoder.encode_basestring
_TYPE_KEY = _string(TYPE_KEY)


class CompiledRule(NamedTuple):
    """What an action needs to know when durable_rules fires one conjunction of a rule.

    (A named tuple: a 10,000-rule KB makes 10,000 of them at every load.)"""

    rule_id: str
    conjunction: int
    aliases: dict[str, str]  # pattern alias -> fact type it binds
    places: tuple[int, ...] | None
    """Where each fact bound, in the order of their fact types (as a firing lists them),
    is among the patterns (f0, f1, ...); None when that is the same order."""
    conclusion: str | None  # the rule's `then`: a conclusion, or
    derive: tuple[str, dict[str, Any]] | None  # a fact's type and values


@dataclass(frozen=True)
class RulesetPlan:
    name: str
    text: str
    """The ruleset's definition as the JSON text durable_rules reads: each rule by its
    name, without the `run` key (the action's name is the rule's own)."""
    fact_types: frozenset[str]
    gates: frozenset[int]

    @property
    def definition(self) -> dict[str, Any]:
        """The definition as data, each rule with its action's name (`run`), as
        durable_rules' `Ruleset` takes it (made from `text` when asked)."""
        return {name: {**rule, "run": name} for name, rule in json.loads(self.text).items()}


@dataclass(frozen=True)
class Plan:
    """Everything the runtime needs: rulesets, routes for facts and gates, actions."""

    rulesets: tuple[RulesetPlan, ...]
    routes: dict[str, tuple[str, ...]]
    gate_routes: dict[int, tuple[str, ...]]
    actions: dict[str, CompiledRule]

    @property
    def strata(self) -> list[int]:
        return sorted(self.gate_routes)


class _Entry(NamedTuple):
    """One durable_rules rule while the plan is made."""

    name: str
    text: str  # `"<name>":{<definition>}`, a member of its ruleset's JSON object
    fact_types: tuple[str, ...]  # sorted
    gate: int | None


def compile_rules(
    rules: list[Rule], dnf: dict[str, list[Conjunction]], strata: dict[str, int], label: str
) -> Plan:
    """Plan durable_rules rulesets for the active `rules`; names are unique per call."""
    entries: list[_Entry] = []
    actions: dict[str, CompiledRule] = {}
    writer = _Writer()
    for rule in sorted(rules, key=attrgetter("id")):
        then = rule.then
        derive = None if then.derive is None else (then.derive.fact, dict(then.derive.values))
        for index, conjunction in enumerate(dnf[rule.id]):
            entry, aliases = writer.durable_rule(f"{rule.id}#{index}", conjunction, strata[rule.id])
            entries.append(entry)
            places = _places(aliases)
            actions[entry.name] = CompiledRule(
                rule.id, index, aliases, places, then.conclude, derive
            )

    prefix = f"healthkb-{label}-{next(_name_counter)}-{uuid.uuid4().hex[:8]}"
    rulesets = [
        RulesetPlan(
            name=f"{prefix}-{number}",
            text="{" + ",".join(e.text for e in members) + "}",
            fact_types=frozenset().union(*(e.fact_types for e in members)),
            gates=frozenset(e.gate for e in members if e.gate is not None),
        )
        for number, members in enumerate(_partition(entries))
    ]
    routes: dict[str, list[str]] = {}
    gate_routes: dict[int, list[str]] = {}
    for ruleset in rulesets:
        for fact_type in ruleset.fact_types:
            routes.setdefault(fact_type, []).append(ruleset.name)
        for gate in ruleset.gates:
            gate_routes.setdefault(gate, []).append(ruleset.name)
    return Plan(
        rulesets=tuple(rulesets),
        routes={k: tuple(v) for k, v in sorted(routes.items())},
        gate_routes={k: tuple(v) for k, v in sorted(gate_routes.items())},
        actions=actions,
    )


def _places(aliases: dict[str, str]) -> tuple[int, ...] | None:
    """`CompiledRule.places`: a conjunction binds one fact per fact type, and its aliases
    are f0, f1, ... in the order of its patterns, the order in which durable_rules writes
    the facts they bind; a firing lists them in the order of their fact types."""
    if len(aliases) < 2:
        return None
    fact_types = list(aliases.values())
    if fact_types == sorted(fact_types):
        return None
    return tuple(sorted(range(len(fact_types)), key=fact_types.__getitem__))


class _Writer:
    """Writes rules as JSON text, remembering each literal's tests and each fact type's
    test: thousands of rules share them (`level gt 4`, `flagged eq true`), and writing
    them is most of the work."""

    def __init__(self) -> None:
        self._tests: dict[tuple[bool, str, str, str], list[str]] = {}
        self._types: dict[str, str] = {}

    def durable_rule(
        self, name: str, conjunction: Conjunction, stratum: int
    ) -> tuple[_Entry, dict[str, str]]:
        """The rule named `name` as a member of its ruleset's JSON object
        (`"<name>":{"all":[...]}`), and its patterns' aliases."""
        # The literals on each fact type the conjunction tests positively, in first-mention
        # order, and the negated ones on other fact types, as content/logic.py's
        # `bound_groups` and `unbound_negations` give them.
        positive = {lit.comparison.fact_type for lit in conjunction if not lit.negated}
        groups: dict[str, list[tuple[Comparison, bool]]] = {}
        unbound: list[tuple[str, Comparison]] = []
        for literal in conjunction:
            comparison, negated = literal.comparison, literal.negated
            if comparison.fact_type in positive:
                groups.setdefault(comparison.fact_type, []).append((comparison, negated))
            else:  # negated: a positive literal's type is in `positive`
                unbound.append((comparison.fact_type, comparison))
        # Any negation waits for its stratum's gate (and so would a conjunction without a
        # positive literal): input facts are asserted one by one, and a rule must not
        # fire on the absence of a fact that simply has not been asserted yet.
        gate = stratum if not positive or any(lit.negated for lit in conjunction) else None
        patterns: list[str] = []
        aliases: dict[str, str] = {}
        for number, (fact_type, literals) in enumerate(groups.items()):
            aliases[f"f{number}"] = fact_type
            patterns.append(_object(f'"f{number}"', self._pattern(fact_type, literals)))
        # A `$not` pattern only takes effect after a positive one, so the gate goes first.
        if gate is not None:
            patterns.append(_object('"gate"', _gate_pattern(gate)))
        # durable_rules' `$not` ignores a fact already bound by the same rule, so negations
        # on a bound fact type are tests inside its pattern (content/logic.py: the meaning).
        for number, (fact_type, comparison) in enumerate(unbound):
            pattern = self._pattern(fact_type, [(comparison, False)])
            patterns.append(_object(f'"n{number}$not"', pattern))
        text = _string(name) + ':{"all":' + _array(patterns) + "}"
        types = tuple(sorted(positive.union(fact_type for fact_type, _ in unbound)))
        return _Entry(name, text, types, gate), aliases

    def _pattern(self, fact_type: str, literals: list[tuple[Comparison, bool]]) -> str:
        """The pattern of one fact: its type, then the tests of each (comparison, negated)."""
        type_test = self._types.get(fact_type)
        if type_test is None:
            type_test = self._types[fact_type] = _object(_TYPE_KEY, _string(fact_type))
        tests = [type_test]
        for comparison, negated in literals:
            # `repr` tells apart what JSON writes differently (`1`, `1.0`, `true`, `"1"`).
            key = (negated, comparison.attribute, comparison.op, repr(comparison.value))
            written = self._tests.get(key)
            if written is None:
                written = [_negated_expression(comparison)] if negated else _expressions(comparison)
                self._tests[key] = written
            tests += written
        return _object('"$and"', _array(tests))


def _gate_pattern(stratum: int) -> str:
    tests = [_object(_TYPE_KEY, _string(GATE_TYPE)), _object('"stratum"', _value(stratum))]
    return _object('"$and"', _array(tests))


def member_key(attribute: str, item: str) -> str:
    """The key under which a list item is asserted, so membership is a plain test.

    durable_rules' `$iall` never matches an empty list, so list membership is
    compiled to flags (`target_areas~thighs: true`) added when facts are asserted.
    """
    return f"{attribute}~{item}"


def _expressions(comparison: Comparison) -> list[str]:
    """durable_rules tests for one comparison (a missing attribute never matches)."""
    name, op, value = _string(comparison.attribute), comparison.op, comparison.value
    if op == "eq":
        return [_object(name, _value(value))]
    if op in _OPERATOR:
        return [_object(_OPERATOR[op], _object(name, _value(value)))]
    if op == "between":
        return [
            _object('"$gte"', _object(name, _value(value[0]))),
            _object('"$lte"', _object(name, _value(value[1]))),
        ]
    if op == "in":
        return [_any_of([_object(name, _value(v)) for v in value])]
    if op == "not_in":
        return [_object('"$neq"', _object(name, _value(v))) for v in value]
    if op == "contains":
        return [_object(_member(comparison.attribute, value), "true")]
    if op == "contains_any":
        return [_any_of([_object(_member(comparison.attribute, v), "true") for v in value])]
    raise ValueError(f"unknown operator {op}")


_NEGATED_OPERATOR = {"lt": '"$gte"', "le": '"$gt"', "gt": '"$lte"', "ge": '"$lt"', "eq": '"$neq"'}


def _negated_expression(comparison: Comparison) -> str:
    """A test that holds exactly when the comparison does not (missing attribute included)."""
    name, op, value = _string(comparison.attribute), comparison.op, comparison.value
    if op == "contains":
        return _missing(_member(comparison.attribute, value))
    if op == "contains_any":
        return _object(
            '"$and"', _array([_missing(_member(comparison.attribute, v)) for v in value])
        )
    if op in _NEGATED_OPERATOR:
        otherwise = _object(_NEGATED_OPERATOR[op], _object(name, _value(value)))
    elif op == "ne":
        otherwise = _object(name, _value(value))
    elif op == "between":
        low = _object('"$lt"', _object(name, _value(value[0])))
        high = _object('"$gt"', _object(name, _value(value[1])))
        otherwise = _object('"$or"', _array([low, high]))
    elif op == "in":
        otherwise = _all_of([_object('"$neq"', _object(name, _value(v))) for v in value])
    elif op == "not_in":
        otherwise = _any_of([_object(name, _value(v)) for v in value])
    else:
        raise ValueError(f"unknown operator {op}")
    return _object('"$or"', _array([_missing(name), otherwise]))


def _missing(name: str) -> str:
    """The test that attribute `name` (JSON text) is not there."""
    return _object('"$nex"', _object(name, "1"))


def _member(attribute: str, item: str) -> str:
    return _string(member_key(attribute, item))


def _all_of(tests: list[str]) -> str:
    return tests[0] if len(tests) == 1 else _object('"$and"', _array(tests))


def _any_of(tests: list[str]) -> str:
    return tests[0] if len(tests) == 1 else _object('"$or"', _array(tests))


# The JSON writers: what `json.dumps(..., ensure_ascii=False, separators=(",", ":"))`
# writes for an object of one member, an array, a scalar (compact: durable_rules reads
# a shorter text sooner).
def _object(key: str, value: str) -> str:
    """`{key: value}`, both given as JSON text."""
    return "{" + key + ":" + value + "}"


def _array(items: list[str]) -> str:
    return "[" + ",".join(items) + "]"


def _value(value: Any) -> str:
    """A scalar of a rule (bool, int, float or str) as JSON text."""
    if isinstance(value, str):
        return _string(value)
    if value is True or value is False:
        return "true" if value else "false"
    if isinstance(value, int):
        return int.__repr__(value)
    if isinstance(value, float) and math.isfinite(value):
        return float.__repr__(value)
    return json.dumps(value)  # NaN and infinities, as json writes them


def _partition(entries: list[_Entry]) -> list[list[_Entry]]:
    """Group durable rules whose fact types connect; split groups that grow too large."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for entry in entries:
        first, *rest = entry.fact_types
        for other in rest:
            parent[find(other)] = find(first)
    components: dict[str, list[_Entry]] = {}
    for entry in entries:
        components.setdefault(find(entry.fact_types[0]), []).append(entry)
    groups = []
    for root in sorted(components):
        members = sorted(components[root], key=lambda e: (e.fact_types, e.name))
        for start in range(0, len(members), MAX_RULES_PER_RULESET):
            groups.append(members[start : start + MAX_RULES_PER_RULESET])
    return groups
