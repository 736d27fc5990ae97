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

import functools
import itertools
import json
import math
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from operator import attrgetter, itemgetter
from typing import Any, NamedTuple

from ..content.logic import Conjunction
from ..content.rule_model import Comparison, Derive, Rule

TYPE_KEY = "_fact"  # attribute names start with a letter, so this never collides
GATE_TYPE = "$gate"
MAX_RULES_PER_RULESET = 256

# Operators as durable_rules names them, as JSON text (as are the other keys below).
# Each rule's settings, written before its patterns, are durable_rules' own defaults:
# every match fires (`count` 1, no `cap`), at priority 0 (`pri`), on distinct facts
# (`dist` 1). Its `create_ruleset` looks for each of the four settings by reading the
# rule's members in order, reading past the whole array of patterns for a setting that
# is not there; written first, three are found before it (`cap`, which must stay
# absent, still reads past it): 8% fewer instructions creating the 10,000-rule KB's
# rulesets (docs/performance.md, "Compiling and starting the engine, third pass").
DEFAULT_SETTINGS = '"count":1,"pri":0,"dist":1,'

_OPERATOR = {"lt": '"$lt"', "le": '"$lte"', "gt": '"$gt"', "ge": '"$gte"', "ne": '"$neq"'}
_name_counter = itertools.count(1)
# A string as JSON text, as `json.dumps(..., ensure_ascii=False)` writes it (the C writer).
_string = json.encoder.encode_basestring
_TYPE_KEY = _string(TYPE_KEY)
# What the writer reads of a comparison, in one go.
_TESTED = attrgetter("fact_type", "attribute", "op", "value")


class CompiledRule(NamedTuple):
    """What an action needs to know when durable_rules fires one conjunction of a rule.

    (A named tuple: a 10,000-rule KB makes 10,000 of them at every load; the engine
    reads them as they are.)"""

    rule_id: str
    conjunction: int
    aliases: dict[str, str]  # pattern alias -> fact type it binds (shared: never changed)
    places: tuple[int, ...] | None
    """Where each fact bound, in the order of their fact types (as a firing lists them),
    is among the patterns (f0, f1, ...); None when that is the same order."""
    conclusion: str | None  # the rule's `then`: a conclusion, or
    derive: tuple[str, dict[str, Any], str] | None
    """a fact's type, values and identity (`canonical_fact`), shared by the rules that
    derive the same fact (never changed: each derived fact gets values of its own)."""


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


# One durable_rules rule while the plan is made: its name, its text (`"<name>":{...}`,
# a member of its ruleset's JSON object) and its gate. A plain tuple, as are the
# `CompiledRule`s made below (`_compiled`): a named tuple's own constructor is a Python
# function, called 10,000 times per load of a 10,000-rule KB.
_Entry = tuple[str, str, int | None]
_compiled = functools.partial(tuple.__new__, CompiledRule)
_name = itemgetter(0)


def compile_rules(
    rules: list[Rule], dnf: dict[str, list[Conjunction]], strata: dict[str, int], label: str
) -> Plan:
    """Plan durable_rules rulesets for the active `rules`; names are unique per call."""
    # Each rule's durable rules by the fact types they test (`_Shape.fact_types`), in
    # the order of their names (see `_partition`).
    by_types: dict[tuple[str, ...], list[_Entry]] = {}
    actions: dict[str, CompiledRule] = {}
    writer = _Writer()
    derived: dict[tuple[str, str], tuple[str, dict[str, Any], str]] = {}
    for rule in sorted(rules, key=attrgetter("id")):
        rule_id, then = rule.id, rule.then
        conclusion = then.conclude
        derive = None if then.derive is None else _derived(then.derive, derived)
        stratum = strata[rule_id]
        for index, conjunction in enumerate(dnf[rule_id]):
            name = f"{rule_id}#{index}"
            text, shape = writer.durable_rule(name, conjunction, stratum)
            members = by_types.get(shape.fact_types)
            if members is None:
                members = by_types[shape.fact_types] = []
            members.append((name, text, shape.gate))
            actions[name] = _compiled(
                (rule_id, index, shape.aliases, shape.places, conclusion, derive)
            )

    prefix = f"healthkb-{label}-{next(_name_counter)}-{uuid.uuid4().hex[:8]}"
    rulesets = [
        RulesetPlan(
            name=f"{prefix}-{number}",
            text="{" + ",".join([text for _, text, _ in members]) + "}",
            fact_types=frozenset(fact_types),
            gates=frozenset([gate for _, _, gate in members if gate is not None]),
        )
        for number, (fact_types, members) in enumerate(_partition(by_types))
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


def _derived(
    derive: Derive, known: dict[tuple[str, str], tuple[str, dict[str, Any], str]]
) -> tuple[str, dict[str, Any], str]:
    """`CompiledRule.derive` for a rule's `then.derive`, made once per distinct fact
    (`repr` tells apart values JSON writes differently: `1`, `1.0`, `true`, `-0.0`)."""
    key = (derive.fact, repr(derive.values))
    made = known.get(key)
    if made is None:
        values = dict(derive.values)
        made = known[key] = (derive.fact, values, canonical_fact(derive.fact, values))
    return made


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


class _Shape(NamedTuple):
    """What the conjunctions of one shape share (the same fact types, negated or not, in
    the same order, in the same stratum): all of their durable_rules rule but the
    literals' tests, worked out once for the thousands of rules written alike."""

    template: str
    """The rule as a member of its ruleset's JSON object (`"<name>":{<settings>,"all":[...]}`,
    `DEFAULT_SETTINGS`), with `%s` for its name and for each slot's tests."""
    slots: tuple[tuple[int, bool], ...]
    """Each slot's literal (its place in the conjunction) and whether its tests are the
    negation's, in the order of the text."""
    aliases: dict[str, str]  # pattern alias -> fact type it binds
    places: tuple[int, ...] | None  # `CompiledRule.places`
    fact_types: tuple[str, ...]  # sorted
    gate: int | None


class _Writer:
    """Writes rules as JSON text, remembering each shape of conjunction (`_Shape`) and
    each literal's tests: thousands of rules share them (`level gt 4`, `flagged eq
    true`), and writing them is most of the work."""

    def __init__(self) -> None:
        self._tests: dict[tuple[bool, str, str, str], str] = {}
        self._shapes: dict[tuple[tuple[tuple[bool, str, str], ...], int], _Shape] = {}

    def durable_rule(self, name: str, conjunction: Conjunction, stratum: int) -> tuple[str, _Shape]:
        """The rule named `name` as a member of its ruleset's JSON object
        (`"<name>":{<settings>,"all":[...]}`), and its shape."""
        # One look at each comparison (a 10,000-rule KB's are spread over megabytes of
        # memory, and reaching one costs more than what is done with it).
        kinds: list[tuple[bool, str, str]] = []
        keys: list[tuple[bool, str, str, str]] = []
        for literal in conjunction:
            negated = literal.negated
            fact_type, attribute, op, value = _TESTED(literal.comparison)
            kinds.append((negated, fact_type, op))
            # `repr` tells apart what JSON writes differently (`1`, `1.0`, `true`, `"1"`).
            keys.append((negated, attribute, op, repr(value)))
        shape = self._shapes.get((tuple(kinds), stratum))
        if shape is None:
            shape = self._shapes[tuple(kinds), stratum] = _shape(tuple(kinds), stratum)
        tests = self._tests
        written = [_string(name)]
        for index, negated in shape.slots:
            key = keys[index]
            if key[0] != negated:  # a negation written inside its own `$not` pattern
                key = (negated, key[1], key[2], key[3])
            text = tests.get(key)
            if text is None:
                text = tests[key] = _literal_tests(conjunction[index].comparison, negated)
            written.append(text)
        return shape.template % tuple(written), shape


def _shape(kinds: tuple[tuple[bool, str, str], ...], stratum: int) -> _Shape:
    """The shape of conjunctions whose literals are `kinds` (negated, fact type, operator)."""
    # The literals on each fact type the conjunction tests positively, in first-mention
    # order, and the negated ones on other fact types, as content/logic.py's
    # `bound_groups` and `unbound_negations` give them.
    positive = {fact_type for negated, fact_type, _ in kinds if not negated}
    groups: dict[str, list[int]] = {}
    unbound: list[int] = []
    for index, (_, fact_type, _) in enumerate(kinds):
        if fact_type in positive:
            groups.setdefault(fact_type, []).append(index)
        else:  # negated: a positive literal's type is in `positive`
            unbound.append(index)
    # Any negation waits for its stratum's gate (and so would a conjunction without a
    # positive literal): input facts are asserted one by one, and a rule must not
    # fire on the absence of a fact that simply has not been asserted yet.
    gate = stratum if not positive or any(negated for negated, _, _ in kinds) else None
    patterns: list[str] = []
    aliases: dict[str, str] = {}
    slots: list[tuple[int, bool]] = []
    for number, (fact_type, members) in enumerate(groups.items()):
        aliases[f"f{number}"] = fact_type
        patterns.append(_object(f'"f{number}"', _pattern_template(fact_type, len(members))))
        # Tests of ranges last: see `_RANGES`.
        members.sort(key=lambda index: kinds[index][2] in _RANGES)
        slots += [(index, kinds[index][0]) for index in members]
    # A `$not` pattern only takes effect after a positive one, so the gate goes first.
    if gate is not None:
        patterns.append(_object('"gate"', _gate_pattern(gate)))
    # durable_rules' `$not` ignores a fact already bound by the same rule, so negations
    # on a bound fact type are tests inside its pattern (content/logic.py: the meaning).
    for number, index in enumerate(unbound):
        patterns.append(_object(f'"n{number}$not"', _pattern_template(kinds[index][1], 1)))
        slots.append((index, False))
    template = "%s:{" + DEFAULT_SETTINGS + '"all":' + _array(patterns) + "}"
    types = tuple(sorted(positive.union(kinds[index][1] for index in unbound)))
    return _Shape(template, tuple(slots), aliases, _places(aliases), types, gate)


# The operators of a range. Within a fact's pattern their tests come after the others
# (each group keeping the order of the rule), so that rules sharing the others' tests
# (`flagged eq true`) share durable_rules' nodes for them: it builds a chain of nodes
# per pattern, one node per test, shared by patterns only as far as they begin alike,
# and thresholds are what rules differ in (`level gt 4`, `level gt 6`). A pattern
# holds when all of its tests do, in any order; on the generated 10,000-rule KB this
# saves one node of about four per rule, and a tenth of creating the rulesets.
_RANGES = frozenset({"lt", "le", "gt", "ge", "between"})


def _pattern_template(fact_type: str, literals: int) -> str:
    """The pattern of one fact: its type, then `%s` for the tests of each literal."""
    type_test = _object(_TYPE_KEY, _string(fact_type)).replace("%", "%%")
    return _object('"$and"', _array([type_test] + ["%s"] * literals))


def _literal_tests(comparison: Comparison, negated: bool) -> str:
    """The tests of one literal, as items of its pattern's `$and` array."""
    return _negated_expression(comparison) if negated else ",".join(_expressions(comparison))


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


def _partition(
    by_types: dict[tuple[str, ...], list[_Entry]],
) -> list[tuple[set[str], list[_Entry]]]:
    """Group durable rules whose fact types connect, each group sorted by (fact types,
    name); split groups that grow too large. Each ruleset with the fact types it tests."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for fact_types in by_types:  # each distinct set of fact types once, not each rule
        first, *rest = fact_types
        for other in rest:
            parent[find(other)] = find(first)
    components: dict[str, list[tuple[str, ...]]] = {}
    for fact_types in by_types:
        components.setdefault(find(fact_types[0]), []).append(fact_types)
    groups: list[tuple[set[str], list[_Entry]]] = []
    for root in sorted(components):
        # Each run of rules on the same fact types in the order of names (made in the
        # order of rule ids and conjunctions, where `r#10` comes before `r#2`), the
        # group cut every MAX_RULES_PER_RULESET rules, each part with its fact types.
        part: list[_Entry] = []
        types: set[str] = set()
        for fact_types in sorted(components[root]):
            run = sorted(by_types[fact_types], key=_name)
            while run:
                room = MAX_RULES_PER_RULESET - len(part)
                part += run[:room]
                run = run[room:]
                types.update(fact_types)
                if len(part) == MAX_RULES_PER_RULESET:
                    groups.append((types, part))
                    part, types = [], set()
        if part:
            groups.append((types, part))
    return groups


def json_encoder(**options: Any) -> Callable[[Any], str]:
    """What `json.JSONEncoder(**options).encode` does, without what that builds on every
    call (an encoder object and a closure, more than the encoding of a small fact costs):
    the standard library's C encoder, made once, called directly. The values encoded
    here (facts, answers) are never circular, so it does not look for cycles."""
    made = json.JSONEncoder(**options)
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:  # a Python without the C accelerator
        return made.encode
    strings = json.encoder.encode_basestring_ascii if made.ensure_ascii else _string
    encode = make(
        None,
        made.default,
        strings,
        None,
        made.key_separator,
        made.item_separator,
        made.sort_keys,
        made.skipkeys,
        made.allow_nan,
    )
    return lambda value: "".join(encode(value, 0))


# Made once (see `json_encoder`).
_SORTED = json_encoder(sort_keys=True, ensure_ascii=False)


def canonical_fact(fact_type: str, values: dict[str, Any]) -> str:
    """A fact's identity: equal facts give the same text, whatever their key order."""
    return f"{fact_type}:{_SORTED(values)}"
