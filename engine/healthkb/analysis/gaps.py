"""`gap`: profiles reaching none of a group of outcomes, with no declared silence.

A group is a set of outcome conclusions linked by `excludes`: the alternative answers
to one question. A gap is found as a witness profile, then grown into a region (a
box of cells per input attribute, the cells cut by every number the rules and
silences compare with) that holds only gap profiles, so that it is described by a
few conditions per attribute rather than as points. Each region is then ruled out
and the next searched for, up to `MAX_REGIONS` per group.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from ..content.logic import holds
from ..content.model import Attribute
from ..content.reference_evaluator import evaluate
from .encoding import AttributeKey, Encoding, InputAttribute, Term, conjoin, disjoin, negate, number
from .findings import Finding
from .overlaps import excluded_pairs
from .prove import Profile, Prover, Witness
from .z3_on_demand import z3

MAX_REGIONS = 10


def outcome_groups(encoding: Encoding) -> list[list[str]]:
    """Outcome conclusions linked by `excludes`, in groups of two or more."""
    conclusions = encoding.content.conclusions
    parent = {c: c for c in conclusions if conclusions[c].kind == "outcome"}

    def root(c: str) -> str:
        while parent[c] != c:
            c = parent[c]
        return c

    for a, b in excluded_pairs(encoding):
        if a in parent and b in parent:
            parent[root(a)] = root(b)
    groups: dict[str, list[str]] = {}
    for c in parent:
        groups.setdefault(root(c), []).append(c)
    return sorted(sorted(g) for g in groups.values() if len(g) > 1)


@dataclass(frozen=True)
class Cell:
    """One piece of an attribute's values that every rule treats alike."""

    text: str
    constraint: z3.BoolRef
    low: Fraction | None = None  # numbers: the piece's ends, for merging neighbours
    high: Fraction | None = None
    low_in: bool = False
    high_in: bool = False


@dataclass(frozen=True)
class Dimension:
    """One axis of the profile space: an attribute, or one value of a list attribute."""

    attribute: str
    cells: tuple[Cell, ...]
    missing: int | None  # the cell of "not given", if any
    ordered: bool  # number cells, in order after `missing`
    spec: Attribute


def gaps(encoding: Encoding, prover: Prover, witnesses: dict[str, Witness | None]) -> list[Finding]:
    findings = []
    for group in outcome_groups(encoding):
        findings += _group_gaps(encoding, prover, witnesses, group)
    return findings


def _group_gaps(
    encoding: Encoding, prover: Prover, witnesses: dict[str, Witness | None], group: list[str]
) -> list[Finding]:
    rules = [r for c in group for r in encoding.concluding.get(c, []) if witnesses[r] is not None]
    silences = [
        s for s, silence in encoding.content.silences.items() if set(silence.about) & set(group)
    ]
    reached = disjoin((encoding.fires(r) for r in rules), encoding.ctx)
    silenced = disjoin((encoding.silence(s) for s in silences), encoding.ctx)
    gap = conjoin([negate(reached), negate(silenced)], encoding.ctx)
    dimensions = [d for key in sorted(gap.uses) for d in _dimensions(encoding, key)]
    listed = ", ".join(f"`{c}`" for c in group)
    place = encoding.content.places[("conclusion", group[0])]
    findings: list[Finding] = []
    blocked: list[z3.BoolRef] = []
    while len(findings) < MAX_REGIONS:
        found = prover.witness(gap, extra=blocked)
        if found is None:
            break
        box = _grow(encoding, prover, gap, dimensions, found)
        region = _describe(dimensions, box)
        blocked.append(z3.Not(_box_constraint(encoding, dimensions, box)))
        conditions = (
            "; ".join(f"`{name}` {text}" for name, text in region.items()) or "for any profile"
        )
        findings.append(
            Finding(
                "gap",
                f"none of {listed} is reached, and no silence is declared, where {conditions}",
                "write the rule the source gives for these profiles; if it says nothing "
                "about them, declare an intended silence in kb/silences.yaml with its reason "
                "and passage",
                (place,),
                conclusions=tuple(group),
                witness=found.profile,
                region=region,
            )
        )
    return findings


def _dimensions(encoding: Encoding, key: AttributeKey) -> list[Dimension]:
    attribute = encoding.inputs[key]
    name = f"{key[0]}.{key[1]}"
    spec = attribute.spec
    if spec.type == "list":
        return [
            Dimension(
                name,
                (Cell(f"contains {value}", flag), Cell(f"lacks {value}", z3.Not(flag))),
                None,
                False,
                spec,
            )
            for value, flag in attribute.members.items()
        ]
    missing = Cell("not given", z3.Not(attribute.given))
    if spec.type == "bool":
        cells = [
            Cell(text, z3.And(attribute.given, attribute.equals(value)))
            for text, value in (("true", True), ("false", False))
        ]
    elif spec.type == "enum":
        cells = [Cell(v, z3.And(attribute.given, attribute.equals(v))) for v in spec.values or []]
    else:
        cells = _number_cells(attribute, encoding.thresholds[key])
        return [Dimension(name, (missing, *cells), 0, True, spec)]
    return [Dimension(name, (missing, *cells), 0, False, spec)]


def _number_cells(attribute: InputAttribute, thresholds: list[Fraction]) -> list[Cell]:
    """The points and open stretches between consecutive thresholds, empty ones left out."""
    spec, value, given, ctx = attribute.spec, attribute.number(), attribute.given, attribute.ctx
    whole = spec.type == "integer"
    ends: list[Fraction | None] = [None, *thresholds, None]
    cells: list[Cell] = []
    least = None if spec.min is None else Fraction(spec.min)
    most = None if spec.max is None else Fraction(spec.max)
    for i in range(len(ends) - 1):
        low, high = ends[i], ends[i + 1]
        if (
            low is not None
            and (not whole or low.denominator == 1)
            and (least is None or low >= least)
            and (most is None or low <= most)
        ):
            cells.append(Cell("", z3.And(given, value == number(low, ctx)), low, low, True, True))
        if (low is None and least is not None) or (high is None and most is not None):
            continue
        if (most is not None and low is not None and low >= most) or (
            least is not None and high is not None and high <= least
        ):
            continue
        if whole and low is not None and high is not None and math.floor(low) + 1 >= high:
            continue
        parts = [given]
        if low is not None:
            parts.append(value > number(low, ctx))
        if high is not None:
            parts.append(value < number(high, ctx))
        cells.append(Cell("", z3.And(parts), low, high, False, False))
    return cells


def _cell_of(dimension: Dimension, model: z3.ModelRef) -> int:
    for i, cell in enumerate(dimension.cells):
        if z3.is_true(model.eval(cell.constraint, model_completion=True)):
            return i
    raise AssertionError(f"no cell of {dimension.attribute} holds")


def _box_constraint(
    encoding: Encoding, dimensions: list[Dimension], box: list[set[int]]
) -> z3.BoolRef:
    parts = [
        z3.Or([d.cells[i].constraint for i in sorted(cells)])
        for d, cells in zip(dimensions, box, strict=True)
        if len(cells) < len(d.cells)
    ]
    return z3.And(parts) if parts else encoding.true.expr


def _grow(
    encoding: Encoding, prover: Prover, gap: Term, dimensions: list[Dimension], found: Witness
) -> list[set[int]]:
    """A box around the witness's cells, as wide as it stays inside the gap."""
    box = [{_cell_of(d, found.model)} for d in dimensions]
    outside = negate(gap)

    def inside(candidate: list[set[int]]) -> bool:
        return not prover.possible(
            outside, Term(_box_constraint(encoding, dimensions, candidate), gap.uses)
        )

    for i, dimension in enumerate(dimensions):
        everything = set(range(len(dimension.cells)))
        if inside([*box[:i], everything, *box[i + 1 :]]):
            box[i] = everything
            continue
        order = _growth_order(dimension, box[i])
        for cell in order:
            wider = box[i] | {cell}
            if inside([*box[:i], wider, *box[i + 1 :]]):
                box[i] = wider
    return box


def _growth_order(dimension: Dimension, start: set[int]) -> list[int]:
    """Cells to try adding: numbers outwards from the start, so stretches stay joined."""
    if not dimension.ordered:
        return [i for i in range(len(dimension.cells)) if i not in start]
    (first,) = start
    numbers = list(range(1, len(dimension.cells)))
    if first == 0:
        return numbers
    at = numbers.index(first)
    return [*reversed(numbers[:at]), *numbers[at + 1 :], 0]


def _describe(dimensions: list[Dimension], box: list[set[int]]) -> dict[str, str]:
    """Conditions per input attribute, e.g. `running.sessions_per_week`: `gt 5 or not
    given`; `running.intensity`: `is moderate or high`; attributes left free are left out."""
    region: dict[str, str] = {}
    for dimension, cells in zip(dimensions, box, strict=True):
        if len(cells) == len(dimension.cells):
            continue
        if dimension.missing is None:  # one value of a list: in it or not
            (cell,) = cells
            text = dimension.cells[cell].text
            region[dimension.attribute] = ", ".join(
                filter(None, [region.get(dimension.attribute), text])
            )
            continue
        if dimension.ordered:
            texts = _number_texts(dimension, cells)
        else:
            texts = [dimension.cells[i].text for i in sorted(cells) if i != dimension.missing]
            texts = [f"is {' or '.join(texts)}"] if texts else []
        if dimension.missing in cells:
            texts.append("not given")
        region[dimension.attribute] = " or ".join(texts)
    return region


def _number_texts(dimension: Dimension, cells: set[int]) -> list[str]:
    """Joined stretches of number cells, as comparisons: `ge 3 and le 5`, `lt 3`; an end
    at the attribute's own `min` or `max` goes without saying."""
    least, most = dimension.spec.min, dimension.spec.max
    stretches: list[list[Cell]] = []
    previous = None
    for i in sorted(c for c in cells if c != dimension.missing):
        if previous is not None and i == previous + 1:
            stretches[-1].append(dimension.cells[i])
        else:
            stretches.append([dimension.cells[i]])
        previous = i
    texts = []
    for stretch in stretches:
        low, high = stretch[0], stretch[-1]
        if low.low is not None and low.low == high.high:
            texts.append(f"eq {_number(low.low)}")
            continue
        parts = []
        if low.low is not None and not (low.low_in and least is not None and low.low == least):
            parts.append(f"{'ge' if low.low_in else 'gt'} {_number(low.low)}")
        if high.high is not None and not (high.high_in and most is not None and high.high == most):
            parts.append(f"{'le' if high.high_in else 'lt'} {_number(high.high)}")
        texts.append(" and ".join(parts) if parts else "any number")
    return texts


def _number(value: Fraction) -> str:
    return str(int(value)) if value.denominator == 1 else repr(float(value))


def silences_holding(encoding: Encoding, profile: Profile) -> list[str]:
    """The declared silences whose condition holds for a profile, after evaluation."""
    content = encoding.content
    result = evaluate(content, profile)
    facts: dict[str, list[Any]] = {name: [values] for name, values in profile.items()}
    for name, fact in content.vocabulary.background.items():
        facts.setdefault(name, []).append(dict(fact.values))
    for key in sorted(result.derived):
        derived_fact, values = key.split(":", 1)
        facts.setdefault(derived_fact, []).append(json.loads(values))
    return [s for s, dnf in content.silence_dnf.items() if any(holds(c, facts) for c in dnf)]
