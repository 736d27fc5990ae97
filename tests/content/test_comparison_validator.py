"""A comparison's validator answers as it did before its fast path: the same comparisons
pass, with the same operator, value, fact type and attribute worked out, and the same
ones fail, with the same message. The validator as it was is kept below, verbatim, and
compared with the model on comparisons and departures hypothesis writes: every operator
alone, none, two or more, null values, `between` in either order, `source_says`. And
broken comparisons in a rules file are reported as 59e0d10 reported them, line, column,
code, message and hint."""

from __future__ import annotations

import copy
import pickle
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

import healthkb
from conftest import MINI_RULES
from healthkb.content.model import HINT
from healthkb.content.rule_model import OPERATORS, Comparison, Departure
from healthkb.errors import shown
from support.fuzzing import budget

# -- the validator as it was ---------------------------------------------------------------


def _attr(op: str) -> str:
    return "in_" if op == "in" else op


_OPERATOR_FIELDS = tuple((op, _attr(op)) for op in OPERATORS)


def validated_before(model: Comparison) -> dict[str, Any]:
    """What `_exactly_one_operator` set on a comparison before its fast path (it raised
    a ValueError on the same inputs as below). Its `len(named) == 2` shortcut is left
    out: it answered as the loop does, except for a KeyError on `source_says`."""
    fields = model.__dict__
    given = [op for op, name in _OPERATOR_FIELDS if fields[name] is not None]
    if len(given) != 1:
        listed = ", ".join(OPERATORS)
        hint = (
            "test one thing per comparison, and put two comparisons under `all:`"
            if given
            else "e.g. `{fact: running.minutes_per_session, gt: 30}`"
        )
        raise ValueError(
            f"a comparison needs exactly one operator ({listed}); found "
            f"{', '.join(given) if given else 'none'}{HINT}{hint}"
        )
    if model.between is not None and model.between[0] > model.between[1]:
        low, high = model.between
        raise ValueError(
            f"`between` needs [low, high]; got {list(model.between)}"
            f"{HINT}low must not exceed high: did you mean [{shown(high)}, {shown(low)}]?"
        )
    op = given[0]
    fact_type, _, attribute = model.fact.partition(".")
    return {"op": op, "value": fields[_attr(op)], "fact_type": fact_type, "attribute": attribute}


# -- comparisons to try --------------------------------------------------------------------

numbers = st.integers(-50, 50) | st.floats(-50, 50, allow_nan=False)
scalars = st.booleans() | numbers | st.sampled_from(["low", "high", "x"])
OPERAND: dict[str, st.SearchStrategy[Any]] = {
    "eq": scalars,
    "ne": scalars,
    "lt": numbers,
    "le": numbers,
    "gt": numbers,
    "ge": numbers,
    "between": st.lists(numbers, min_size=2, max_size=2),
    "in": st.lists(scalars, min_size=1, max_size=3),
    "not_in": st.lists(scalars, min_size=1, max_size=3),
    "contains": st.sampled_from(["low", "high"]),
    "contains_any": st.lists(st.sampled_from(["low", "high"]), min_size=1, max_size=2),
}


@st.composite
def comparisons(draw: st.DrawFn) -> dict[str, Any]:
    """`fact` and mostly one operator; sometimes none, two, or a null value."""
    count = draw(st.sampled_from([1, 1, 1, 1, 0, 2, 3]))
    ops = draw(st.lists(st.sampled_from(OPERATORS), min_size=count, max_size=count, unique=True))
    data: dict[str, Any] = {"fact": draw(st.sampled_from(["walk.sessions", "a_b.c_d"]))}
    for op in ops:
        data[op] = None if draw(st.integers(0, 9)) == 0 else draw(OPERAND[op])
    if draw(st.booleans()):
        data["source_says"] = "three times"
    return data


def outcome(model: type[Comparison], data: dict[str, Any]) -> tuple[str, Any]:
    """What validating `data` gives now: its worked-out fields, or its errors' messages."""
    try:
        made = model.model_validate(data)
    except ValidationError as error:
        return "errors", [(e["type"], e["msg"]) for e in error.errors(include_url=False)]
    return "valid", {k: getattr(made, k) for k in ("op", "value", "fact_type", "attribute")}


def outcome_before(model: type[Comparison], data: dict[str, Any]) -> tuple[str, Any]:
    """What validating `data` gave with the validator as it was."""
    try:
        # The fields alone, as pydantic had them when it called the validator.
        bare = model.model_validate(data)
    except ValidationError as error:
        types = [e["type"] for e in error.errors(include_url=False)]
        if types != ["value_error"]:  # a field's own error: the validator never ran
            return "errors", [(e["type"], e["msg"]) for e in error.errors(include_url=False)]
        bare = model.model_construct(
            _fields_set={_attr(k) for k in data}, **{_attr(k): v for k, v in data.items()}
        )
    try:
        return "valid", validated_before(bare)
    except ValueError as error:
        return "errors", [("value_error", f"Value error, {error}")]


@given(comparisons())
@budget(400)
def test_a_comparison_is_valid_and_worded_as_before(data: dict[str, Any]) -> None:
    model = Departure if "source_says" in data else Comparison
    assert outcome(model, data) == outcome_before(model, data)


def test_a_departure_without_an_operator_is_found_with_none() -> None:
    assert outcome(Departure, {"fact": "a.b", "source_says": "x"})[1][0][1].endswith(
        "found none\ne.g. `{fact: running.minutes_per_session, gt: 30}`"
    )


def test_a_comparison_keeps_only_its_fields_in_its_dict() -> None:
    # Its operator, value, fact type and attribute are slots: a key of `__dict__` that is
    # no field fails pydantic's strict check when a condition is dumped, and the dump is
    # then done again.
    comparison = Comparison.model_validate({"fact": "walk.sessions", "between": [3, 5]})
    assert set(comparison.__dict__) == set(Comparison.model_fields)
    assert (comparison.op, comparison.value) == ("between", [3, 5])
    assert (comparison.fact_type, comparison.attribute) == ("walk", "sessions")


def test_a_comparison_made_without_validating_works_out_its_operator() -> None:
    comparison = Comparison.model_validate({"fact": "walk.sessions", "in": [3, 5]})
    changed = comparison.model_copy(update={"in_": None, "gt": 2})
    assert (changed.op, changed.value, changed.attribute) == ("gt", 2, "sessions")
    for twin in (pickle.loads(pickle.dumps(comparison)), copy.deepcopy(comparison)):
        assert twin == comparison
        assert (twin.op, twin.value, twin.fact_type) == ("in", [3, 5], "walk")


# -- whole files: the problems an editor saw before the fast path ---------------------------

# Each edit of MINI_RULES's `rest_when_tired` condition, with the problems `healthkb.load`
# reported for it at 59e0d10, before the validator's fast path and the slots (written
# down from that commit's run, not from this code's).
EDITED_CONDITION = "when: {fact: walk.tired, eq: true}"
PROBLEMS_BEFORE: list[tuple[str, list[str]]] = [
    (
        "when: {fact: walk.tired}",
        [
            (
                "rules/walking.yaml:25:5: invalid-value: a comparison needs exactly one "
                "operator (eq, ne, lt, le, gt, ge, between, in, not_in, contains, "
                "contains_any); found none (e.g. `{fact: running.minutes_per_session, "
                "gt: 30}`)"
            ),
        ],
    ),
    (
        "when: {fact: walk.tired, eq: true, ne: false}",
        [
            (
                "rules/walking.yaml:25:5: invalid-value: a comparison needs exactly one "
                "operator (eq, ne, lt, le, gt, ge, between, in, not_in, contains, "
                "contains_any); found eq, ne (test one thing per comparison, and put two "
                "comparisons under `all:`)"
            ),
        ],
    ),
    (
        "when: {fact: walk.tired, eq: null}",
        [
            (
                "rules/walking.yaml:25:5: invalid-value: a comparison needs exactly one "
                "operator (eq, ne, lt, le, gt, ge, between, in, not_in, contains, "
                "contains_any); found none (e.g. `{fact: running.minutes_per_session, "
                "gt: 30}`)"
            ),
        ],
    ),
    (
        "when: {fact: walk.tired, eq: true, gt: null}",
        [],
    ),
    (
        "when: {fact: walk.sessions, between: [5, 3]}",
        [
            (
                "rules/walking.yaml:25:5: invalid-value: `between` needs [low, high]; "
                "got [5, 3] (low must not exceed high: did you mean [3, 5]?)"
            ),
        ],
    ),
    (
        "when: {fact: walk.sessions, between: [3, 5], eq: 1}",
        [
            (
                "rules/walking.yaml:25:5: invalid-value: a comparison needs exactly one "
                "operator (eq, ne, lt, le, gt, ge, between, in, not_in, contains, "
                "contains_any); found eq, between (test one thing per comparison, and "
                "put two comparisons under `all:`)"
            ),
        ],
    ),
    (
        "when: {fact: walk.sessions, in: []}",
        [
            (
                "rules/walking.yaml:25:33: invalid-value: `in` needs at least 1 item; it "
                "is empty (holds when the attribute is one of these values)"
            ),
        ],
    ),
    (
        "when: {fact: walk.sessions, gt: 1, lt: 9, ge: 2}",
        [
            (
                "rules/walking.yaml:25:5: invalid-value: a comparison needs exactly one "
                "operator (eq, ne, lt, le, gt, ge, between, in, not_in, contains, "
                "contains_any); found lt, gt, ge (test one thing per comparison, and put "
                "two comparisons under `all:`)"
            ),
        ],
    ),
    (
        "when: {all: [{fact: walk.tired, eq: true}, {fact: walk.sessions}]}",
        [
            (
                "rules/walking.yaml:25:48: invalid-value: a comparison needs exactly one "
                "operator (eq, ne, lt, le, gt, ge, between, in, not_in, contains, "
                "contains_any); found none (e.g. `{fact: running.minutes_per_session, "
                "gt: 30}`)"
            ),
        ],
    ),
    (
        (
            "when: {any: [{fact: walk.tired, eq: true, ne: true}, {not: {fact: "
            "walk.sessions, between: [9, 1]}}]}"
        ),
        [
            (
                "rules/walking.yaml:25:18: invalid-value: a comparison needs exactly one "
                "operator (eq, ne, lt, le, gt, ge, between, in, not_in, contains, "
                "contains_any); found eq, ne (test one thing per comparison, and put two "
                "comparisons under `all:`)"
            ),
            (
                "rules/walking.yaml:25:59: invalid-value: `between` needs [low, high]; "
                "got [9, 1] (low must not exceed high: did you mean [1, 9]?)"
            ),
        ],
    ),
    (
        (
            "when: {fact: walk.tired, eq: true}\n    departures:\n      - {fact: "
            'walk.sessions, gt: 2, lt: 5, source_says: "Rest when tired."}'
        ),
        [
            (
                "rules/walking.yaml:27:9: invalid-value: a comparison needs exactly one "
                "operator (eq, ne, lt, le, gt, ge, between, in, not_in, contains, "
                "contains_any); found lt, gt (test one thing per comparison, and put two "
                "comparisons under `all:`)"
            ),
        ],
    ),
    (
        (
            "when: {fact: walk.tired, eq: true}\n    departures:\n      - {fact: "
            'walk.sessions, between: [5, 3], source_says: "Rest when tired."}'
        ),
        [
            (
                "rules/walking.yaml:27:9: invalid-value: `departures`: `between` needs "
                "[low, high]; got [5, 3] (low must not exceed high: did you mean [3, 5]?)"
            ),
        ],
    ),
]


@pytest.mark.parametrize(("edit", "problems"), PROBLEMS_BEFORE)
def test_a_broken_comparison_in_a_file_is_reported_as_before(
    make_kb: Callable[..., Path], edit: str, problems: list[str]
) -> None:
    assert EDITED_CONDITION in MINI_RULES
    root = make_kb({"rules/walking.yaml": MINI_RULES.replace(EDITED_CONDITION, edit)})
    try:
        healthkb.load(root)
    except healthkb.KBError as error:
        assert [str(p) for p in error.problems] == problems
    else:
        assert problems == []
