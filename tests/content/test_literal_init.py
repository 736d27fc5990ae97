"""`Literal` is made by its own `__init__` (docs/performance.md, "Checks across files"):
it must behave exactly as the frozen dataclass's generated one did, which `_Reference`
below keeps as it was."""

from __future__ import annotations

import copy
import dataclasses
import pickle
from dataclasses import dataclass
from typing import Any

import pytest

from healthkb.content.logic import Literal
from healthkb.content.rule_model import Comparison

LEVEL = Comparison.model_validate({"fact": "walk.sessions", "gt": 3})
KINDS = Comparison.model_validate({"fact": "walk.kind", "in": ["brisk", "slow"]})


@dataclass(frozen=True)
class _Reference:
    """`Literal` as it was: the dataclass's own `__init__`."""

    comparison: Comparison
    negated: bool = False


def _both(*args: Any, **kwargs: Any) -> tuple[Literal, _Reference]:
    return Literal(*args, **kwargs), _Reference(*args, **kwargs)


def test_a_literal_holds_what_it_is_given_as_the_dataclass_did() -> None:
    for args, kwargs in (
        ((LEVEL,), {}),
        ((LEVEL, True), {}),
        ((), {"comparison": KINDS, "negated": False}),
        ((KINDS,), {"negated": True}),
    ):
        literal, reference = _both(*args, **kwargs)
        assert vars(literal) == vars(reference)
        assert list(vars(literal)) == ["comparison", "negated"]
        assert repr(literal) == repr(reference).replace("_Reference", "Literal")
        assert dataclasses.astuple(literal) == dataclasses.astuple(reference)
        assert literal.fact_type == reference.comparison.fact_type


def test_a_literal_compares_and_hashes_by_its_fields() -> None:
    assert Literal(LEVEL) == Literal(LEVEL, False)
    assert Literal(LEVEL) != Literal(LEVEL, True)
    assert Literal(LEVEL) != _Reference(LEVEL)  # another class, as before
    assert hash(Literal(LEVEL, True)) == hash(_Reference(LEVEL, True))
    # A comparison with a list is unhashable, and so is its literal, as before.
    for literal in (Literal(KINDS), _Reference(KINDS)):
        with pytest.raises(TypeError, match="unhashable type"):
            hash(literal)


def test_a_literal_stays_frozen_and_needs_its_comparison() -> None:
    literal = Literal(LEVEL)
    with pytest.raises(dataclasses.FrozenInstanceError):
        literal.negated = True  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        del literal.comparison  # type: ignore[misc]
    with pytest.raises(TypeError):
        Literal()  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        Literal(LEVEL, True, 1)  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        Literal(LEVEL, sign=True)  # type: ignore[call-arg]


def test_a_literal_copies_pickles_and_replaces_as_before() -> None:
    literal = Literal(LEVEL, True)
    assert copy.copy(literal) == literal
    assert copy.deepcopy(literal) == literal
    assert pickle.loads(pickle.dumps(literal)) == literal
    assert dataclasses.replace(literal, negated=False) == Literal(LEVEL)
    assert [f.name for f in dataclasses.fields(literal)] == ["comparison", "negated"]
