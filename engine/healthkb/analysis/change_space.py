"""What a what-if may change in a profile, as z3 constraints over the rules' encoding.

Each input attribute of the encoding is either kept as the profile gives it or, when
the vocabulary marks it `changeable`, left free, with a term saying whether it changed
(which costs the attribute's `cost`) and how far it moved (so that among the cheapest
changes, a number moves to the nearest value that works).

A number only matters to the rules through the cell it falls in between the thresholds
they compare it with (see `Encoding.thresholds`), so a changeable number may only take
its current value or, in each other cell, the value of that cell nearest to it: the
search is finite and exact, and "nearest" is a value a person can act on (a whole
number when the cell holds one, otherwise one or two decimals).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from .encoding import AttributeKey, Encoding, InputAttribute, number
from .z3_on_demand import z3

Profile = dict[str, dict[str, Any]]


@dataclass(frozen=True)
class AttributeChoice:
    """One input attribute in a what-if: constraints, and (if changeable) its change."""

    key: AttributeKey
    constraints: list[z3.BoolRef]
    changed: z3.BoolRef | None
    """True when the attribute differs from the profile; None when it may not change."""
    cost: Fraction
    distance: z3.ArithRef | None
    """How far it moved (numbers: the difference; enums: positions; lists: members)."""


def current_value(profile: Profile, key: AttributeKey) -> Any:
    return (profile.get(key[0]) or {}).get(key[1])


def attribute_choice(encoding: Encoding, key: AttributeKey, profile: Profile) -> AttributeChoice:
    """The constraints that keep `key` as `profile` gives it, or let it change."""
    attribute = encoding.inputs[key]
    now = current_value(profile, key)
    if not attribute.spec.changeable:
        return AttributeChoice(key, kept(attribute, now), None, Fraction(0), None)
    cost = Fraction(attribute.spec.cost) if attribute.spec.cost is not None else Fraction(1)
    kind = attribute.spec.type
    ctx = encoding.ctx
    if kind == "list":
        current = set(now or [])
        flips = [
            z3.If(flag != z3.BoolVal(value in current, ctx), 1, 0)
            for value, flag in attribute.members.items()
        ]
        moved = z3.Sum(flips) if flips else z3.IntVal(0, ctx)
        return AttributeChoice(key, [], moved > 0, cost, z3.ToReal(moved))
    constraints: list[z3.BoolRef] = []
    if kind in ("integer", "number"):
        values = cell_values(attribute, now, encoding.thresholds[key])
        constraints.append(z3.Or([attribute.number() == number(v, ctx) for v in values]))
    if now is None:
        anchor = _anchor(attribute)
        distance = z3.If(attribute.given, _distance(attribute, anchor), z3.RealVal(0, ctx))
        return AttributeChoice(key, constraints, attribute.given, cost, distance)
    # A given attribute stays given: removing what the person told is no change they make.
    constraints.append(attribute.given)
    changed = z3.Not(attribute.equals(now))
    return AttributeChoice(key, constraints, changed, cost, _distance(attribute, now))


def kept(attribute: InputAttribute, now: Any) -> list[z3.BoolRef]:
    """The attribute exactly as the profile gives it (or not given at all)."""
    ctx = attribute.ctx
    if attribute.spec.type == "list":
        current = set(now or [])
        return [flag == z3.BoolVal(v in current, ctx) for v, flag in attribute.members.items()]
    if now is None:
        return [z3.Not(attribute.given)]
    return [attribute.given, attribute.equals(now)]


def _anchor(attribute: InputAttribute) -> Any:
    """Where an attribute the profile leaves out is measured from: its smallest value."""
    spec = attribute.spec
    if spec.type in ("integer", "number"):
        return spec.min if spec.min is not None else 0
    if spec.type == "enum":
        return (spec.values or [])[0]
    return False


def _distance(attribute: InputAttribute, origin: Any) -> z3.ArithRef:
    ctx = attribute.ctx
    kind = attribute.spec.type
    if kind == "bool":
        return z3.RealVal(0, ctx)
    if kind == "enum":
        position = (attribute.spec.values or []).index(origin)
        difference = z3.ToReal(attribute.value - position)
    else:
        difference = attribute.number() - number(origin, ctx)
    return z3.If(difference >= 0, difference, -difference)


def cell_values(
    attribute: InputAttribute, now: Any, thresholds: list[Fraction]
) -> list[int | float]:
    """The current value, and in every other cell between the thresholds the value
    nearest to it (to the smallest allowed value when the profile gives none)."""
    spec = attribute.spec
    whole = spec.type == "integer"
    low = Fraction(spec.min) if spec.min is not None else None
    high = Fraction(spec.max) if spec.max is not None else None
    points = [t for t in thresholds if (low is None or t >= low) and (high is None or t <= high)]
    origin = Fraction(now if now is not None else _anchor(attribute))
    found: list[int | float] = [_plain(origin, whole)] if now is not None else []
    found += [_plain(point, whole) for point in points]
    edges: list[Fraction | None] = [None, *points, None]
    for below, above in itertools.pairwise(edges):
        if (below is None and low is not None) or (above is None and high is not None):
            continue  # no cell beyond a bound
        value = nearest_inside(below, above, origin, whole)
        if value is not None:
            found.append(value)
    return sorted(set(found), key=lambda v: (abs(Fraction(v) - origin), Fraction(v)))


def nearest_inside(
    below: Fraction | None, above: Fraction | None, origin: Fraction, whole: bool
) -> int | float | None:
    """The value strictly between `below` and `above` nearest to `origin`, in the fewest
    decimals (a whole number if one fits); None if no such value exists."""

    def inside(value: Fraction) -> bool:
        return (below is None or value > below) and (above is None or value < above)

    if inside(origin):
        return _plain(origin, whole)
    upward = below is not None and origin <= below
    for places in (0,) if whole else (0, 1, 2, 3):
        scale = 10**places
        assert below is not None or above is not None
        if upward:
            assert below is not None
            step = Fraction(math.floor(below * scale) + 1, scale)
        else:
            assert above is not None
            step = Fraction(math.ceil(above * scale) - 1, scale)
        if inside(step):
            return _plain(step, whole)
    if whole:
        return None
    middle = float((below + above) / 2) if below is not None and above is not None else None
    return middle if middle is not None and inside(Fraction(middle)) else None


def _plain(value: Fraction, whole: bool) -> int | float:
    """A cell's value as a profile gives it: int for integers, float for numbers."""
    return int(value) if whole else float(value)


def changed_profile(
    encoding: Encoding, model: z3.ModelRef, profile: Profile, keys: Iterable[AttributeKey]
) -> Profile:
    """The profile with each changeable attribute of `keys` as the model sets it."""
    changed: Profile = {fact: dict(values) for fact, values in profile.items()}
    for key in sorted(keys):
        attribute = encoding.inputs[key]
        if not attribute.spec.changeable:
            continue
        value = model_value(attribute, model, current_value(profile, key))
        facts = changed.setdefault(key[0], {})
        if value is None:
            facts.pop(key[1], None)
        else:
            facts[key[1]] = value
        if not facts:
            del changed[key[0]]
    return changed


def model_value(attribute: InputAttribute, model: z3.ModelRef, now: Any) -> Any:
    """An attribute's value in a model, as a profile gives it (None: not given)."""
    spec = attribute.spec
    if spec.type == "list":
        items = [v for v, flag in attribute.members.items() if _true(model, flag)]
        return items if items or now is not None else None
    if not _true(model, attribute.given):
        return None
    raw = model.eval(attribute.value, model_completion=True)
    if spec.type == "bool":
        return z3.is_true(raw)
    if spec.type == "enum":
        return (spec.values or [])[raw.as_long()]
    if spec.type == "integer":
        return raw.as_long()
    return float(raw.as_fraction())


def _true(model: z3.ModelRef, expr: z3.BoolRef) -> bool:
    return bool(z3.is_true(model.eval(expr, model_completion=True)))
