"""Regions of profiles, described by conditions on their input attributes.

The rules only see, of each input attribute, whether it is given and which *cell* its
value falls in: a value of an enum or bool, a list member present or not, or for a
number the cell between the thresholds the rules compare it with. A region is a box:
for each attribute it names, the cells it allows. `cover` finds boxes that hold only
profiles with some property and together hold every such profile: it takes a profile
with the property (a z3 model), the box of exactly its cells, then widens each
attribute as far as the property still holds for every profile in the box (dropping
the attribute when any cell will do), and asks again outside the boxes found so far.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from .encoding import AttributeKey, Encoding, InputAttribute, number, shown_value
from .z3_on_demand import z3

ABSENT = "absent"
"""The cell of an attribute that is not given."""


@dataclass(frozen=True)
class Dimension:
    """One thing a rule can tell apart: an attribute (or a list's member) and its cells."""

    label: str
    attribute: InputAttribute
    member: str | None
    cells: tuple[Any, ...]
    """ABSENT, then values (bool, enum) or ("point", t) / ("between", low, high)."""
    ordered: bool

    def holds(self, cell: Any) -> z3.BoolRef:
        """A profile's attribute is in `cell`."""
        attribute = self.attribute
        if self.member is not None:
            flag = attribute.members[self.member]
            return flag if cell else z3.Not(flag)
        if cell == ABSENT:
            return z3.Not(attribute.given)
        if not self.ordered:
            return z3.And(attribute.given, attribute.equals(cell))
        value, ctx = attribute.number(), attribute.ctx
        if cell[0] == "point":
            return z3.And(attribute.given, value == number(cell[1], ctx))
        tests = [attribute.given]
        if cell[1] is not None:
            tests.append(value > number(cell[1], ctx))
        if cell[2] is not None:
            tests.append(value < number(cell[2], ctx))
        return z3.And(tests)

    def allows(self, cells: Sequence[Any]) -> z3.BoolRef:
        return z3.Or([self.holds(cell) for cell in cells])


def dimensions(encoding: Encoding, keys: Sequence[AttributeKey]) -> list[Dimension]:
    """The dimensions of these input attributes, in key order."""
    found = []
    for key in sorted(keys):
        attribute = encoding.inputs[key]
        label = f"{key[0]}.{key[1]}"
        kind = attribute.spec.type
        if kind == "list":
            for member in attribute.members:
                found.append(Dimension(label, attribute, member, (False, True), False))
        elif kind == "bool":
            found.append(Dimension(label, attribute, None, (ABSENT, False, True), False))
        elif kind == "enum":
            values = tuple(attribute.spec.values or [])
            found.append(Dimension(label, attribute, None, (ABSENT, *values), False))
        else:
            cells = _number_cells(attribute, encoding.thresholds[key])
            found.append(Dimension(label, attribute, None, (ABSENT, *cells), True))
    return found


def _number_cells(attribute: InputAttribute, thresholds: list[Fraction]) -> list[Any]:
    spec = attribute.spec
    low = Fraction(spec.min) if spec.min is not None else None
    high = Fraction(spec.max) if spec.max is not None else None
    points = [t for t in thresholds if (low is None or t >= low) and (high is None or t <= high)]
    cells: list[Any] = [] if low is not None else [("between", None, points[0] if points else None)]
    for i, point in enumerate(points):
        cells.append(("point", point))
        following = points[i + 1] if i + 1 < len(points) else None
        if following is not None or high is None:
            cells.append(("between", point, following))
    return cells


def cell_of(dimension: Dimension, model: z3.ModelRef) -> Any:
    """The cell a model's profile is in."""
    for cell in dimension.cells:
        if z3.is_true(model.eval(dimension.holds(cell), model_completion=True)):
            return cell
    raise AssertionError(f"no cell of {dimension.label} holds")  # the cells partition it


Box = dict[int, tuple[Any, ...]]
"""For each dimension (by index) it restricts, the cells it allows."""


class Cover:
    """Boxes that hold only profiles where `inside` holds, and together every one."""

    def __init__(
        self, ctx: z3.Context, dims: list[Dimension], inside: z3.BoolRef, domain: list[z3.BoolRef]
    ) -> None:
        self.dims = dims
        self.finder = z3.SimpleSolver(ctx=ctx)
        self.finder.add(*domain, inside)
        self.checker = z3.SimpleSolver(ctx=ctx)
        self.checker.add(*domain, z3.Not(inside))

    def boxes(self, most: int) -> tuple[list[Box], bool]:
        """Up to `most` boxes; and whether profiles outside them remain."""
        found: list[Box] = []
        while self.finder.check() == z3.sat:
            if len(found) == most:
                return found, True
            model = self.finder.model()
            box = self.widened({i: (cell_of(d, model),) for i, d in enumerate(self.dims)})
            found.append(box)
            self.finder.add(z3.Not(self.expression(box)))
        return found, False

    def expression(self, box: Box) -> z3.BoolRef:
        parts = [self.dims[i].allows(cells) for i, cells in sorted(box.items())]
        return z3.And(parts) if parts else z3.BoolVal(True, self.finder.ctx)

    def inside_only(self, box: Box) -> bool:
        self.checker.push()
        self.checker.add(self.expression(box))
        answer = self.checker.check()
        self.checker.pop()
        return bool(answer == z3.unsat)

    def widened(self, box: Box) -> Box:
        for index, dimension in enumerate(self.dims):
            dropped = {i: cells for i, cells in box.items() if i != index}
            if self.inside_only(dropped):
                box = dropped
                continue
            (cell,) = box[index]
            options = list(dimension.cells)
            if dimension.ordered and cell != ABSENT:
                box[index] = self._range(box, index, options.index(cell))
            else:
                for other in options:
                    wider = {**box, index: (*box[index], other)}
                    if other not in box[index] and self.inside_only(wider):
                        box = wider
                box[index] = tuple(sorted(box[index], key=options.index))
        return box

    def _range(self, box: Box, index: int, at: int) -> tuple[Any, ...]:
        cells = self.dims[index].cells
        low = high = at
        while low - 1 >= 1 and self.inside_only({**box, index: cells[low - 1 : high + 1]}):
            low -= 1
        while high + 1 < len(cells) and self.inside_only({**box, index: cells[low : high + 2]}):
            high += 1
        return cells[low : high + 1]


@dataclass(frozen=True)
class RegionCondition:
    """One condition of a region as plain data: the cells one attribute may be in."""

    fact: str
    attribute: str
    member: str | None
    cells: tuple[Any, ...]

    def holds_for(self, profile: dict[str, Any]) -> bool:
        """Whether a validated profile (plain data) meets the condition."""
        value = (profile.get(self.fact) or {}).get(self.attribute)
        if self.member is not None:
            return (self.member in (value or [])) in self.cells
        if value is None:
            return ABSENT in self.cells
        return any(_in_cell(value, cell) for cell in self.cells if cell != ABSENT)


def _in_cell(value: Any, cell: Any) -> bool:
    if not isinstance(cell, tuple):
        return bool(value == cell and type(value) is type(cell))
    number_value = Fraction(value)
    if cell[0] == "point":
        return bool(number_value == cell[1])
    return (cell[1] is None or number_value > cell[1]) and (
        cell[2] is None or number_value < cell[2]
    )


def box_conditions(dims: list[Dimension], box: Box) -> tuple[RegionCondition, ...]:
    """A box as data a profile can be checked against without z3."""
    return tuple(
        RegionCondition(*dims[i].attribute.key, dims[i].member, cells)
        for i, cells in sorted(box.items())
    )


def box_text(dims: list[Dimension], box: Box) -> str:
    """A box as conditions an editor reads: `running.sessions_per_week is 2 and ...`."""
    parts = [_dimension_text(dims[i], cells) for i, cells in sorted(box.items())]
    return " and ".join(parts) if parts else "every profile"


def _dimension_text(dimension: Dimension, cells: tuple[Any, ...]) -> str:
    name = dimension.label
    if dimension.member is not None:
        verb = "contains" if cells == (True,) else "does not contain"
        return f"{name} {verb} {dimension.member}"
    given = [c for c in cells if c != ABSENT]
    text = _given_text(dimension, given) if given else ""
    if ABSENT not in cells:
        return text
    return f"{name} is not given" if not given else f"({name} is not given or {text})"


def _given_text(dimension: Dimension, cells: list[Any]) -> str:
    name = dimension.label
    if not dimension.ordered:
        if len(cells) == 1:
            return f"{name} is {shown_value(cells[0])}"
        return f"{name} is one of [{', '.join(shown_value(c) for c in cells)}]"
    first, last = cells[0], cells[-1]
    if first == last and first[0] == "point":
        return f"{name} is {_number(first[1])}"
    spec = dimension.attribute.spec
    if spec.type == "integer":
        return _whole_range_text(name, first, last, spec.min, spec.max)
    bounds = []
    if first[0] == "point" and (spec.min is None or first[1] != Fraction(spec.min)):
        bounds.append(f"{name} >= {_number(first[1])}")
    elif first[0] == "between" and first[1] is not None:
        bounds.append(f"{name} > {_number(first[1])}")
    if last[0] == "point" and (spec.max is None or last[1] != Fraction(spec.max)):
        bounds.append(f"{name} <= {_number(last[1])}")
    elif last[0] == "between" and last[2] is not None:
        bounds.append(f"{name} < {_number(last[2])}")
    return " and ".join(bounds) if bounds else f"{name} is given"


def _whole_range_text(name: str, first: Any, last: Any, low: Any, high: Any) -> str:
    """An integer's range of cells as the whole numbers it holds: `is 2`, `>= 3 and <= 5`."""
    if first[0] == "point":
        smallest: int | None = int(first[1])
    else:
        smallest = None if first[1] is None else math.floor(first[1]) + 1
    if last[0] == "point":
        largest: int | None = int(last[1])
    else:
        largest = None if last[2] is None else math.ceil(last[2]) - 1
    if smallest is not None and smallest == largest:
        return f"{name} is {smallest}"
    bounds = []
    if smallest is not None and smallest != low:
        bounds.append(f"{name} >= {smallest}")
    if largest is not None and largest != high:
        bounds.append(f"{name} <= {largest}")
    return " and ".join(bounds) if bounds else f"{name} is given"


def _number(value: Fraction) -> str:
    return str(value.numerator) if value.denominator == 1 else str(float(value))
