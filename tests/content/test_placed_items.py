"""`Placed` is made by its own `__init__` (docs/performance.md, "Validating the rules,
again"): it must behave exactly as the frozen dataclass's generated one did, which
`_Reference` below keeps as it was."""

from __future__ import annotations

import copy
import dataclasses
import pickle
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import pytest

from healthkb.content.located_items import Placed
from healthkb.content.rule_model import Rule
from healthkb.files.yaml_reader import Located, PathKey

T = TypeVar("T")

LOCATED = Located("rules/a.yaml", {"rules": [{"id": "a"}]}, {(): (1, 1)})


@dataclass(frozen=True)
class _Reference(Generic[T]):
    """`Placed` as it was: the dataclass's own `__init__`."""

    item: T
    located: Located
    path: PathKey


def _both(*args: Any, **kwargs: Any) -> tuple[Placed[Any], _Reference[Any]]:
    return Placed(*args, **kwargs), _Reference(*args, **kwargs)


def test_placed_holds_what_it_is_given_as_the_dataclass_did() -> None:
    for args, kwargs in (
        (("item", LOCATED, ("rules", 0)), {}),
        ((), {"item": 3, "located": LOCATED, "path": ()}),
        (([1, 2],), {"path": ("rules", 1, "when"), "located": LOCATED}),
    ):
        placed, reference = _both(*args, **kwargs)
        assert vars(placed) == vars(reference)
        assert list(vars(placed)) == ["item", "located", "path"]
        assert repr(placed) == repr(reference).replace("_Reference", "Placed")
        assert dataclasses.astuple(placed) == dataclasses.astuple(reference)


def test_placed_compares_and_hashes_by_its_fields() -> None:
    one, two = Placed("x", LOCATED, ("rules", 0)), Placed("x", LOCATED, ("rules", 0))
    assert one == two
    assert one != Placed("x", LOCATED, ("rules", 1))
    assert one != _Reference("x", LOCATED, ("rules", 0))  # another class, as before
    # Hashed by its fields, as the dataclass was: a file's data is a dict, so not at all.
    for placed in (one, _Reference("x", LOCATED, ("rules", 0))):
        with pytest.raises(TypeError, match="unhashable type: 'dict'"):
            hash(placed)


def test_placed_stays_frozen() -> None:
    placed = Placed("x", LOCATED, ())
    with pytest.raises(dataclasses.FrozenInstanceError):
        placed.item = "y"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        del placed.path  # type: ignore[misc]


def test_placed_needs_its_three_fields() -> None:
    with pytest.raises(TypeError):
        Placed("x", LOCATED)  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        Placed("x", LOCATED, (), ())  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        Placed(item="x", located=LOCATED, path=(), where=1)  # type: ignore[call-arg]


def test_placed_copies_pickles_and_replaces_as_before() -> None:
    rule = Rule.model_validate(
        {
            "id": "r",
            "version": 1,
            "title": "R",
            "status": "active",
            "when": {"fact": "a.b", "gt": 1},
            "then": {"conclude": "c"},
            "because": [{"source": "s", "quote": "q"}],
        }
    )
    placed = Placed[Rule](rule, LOCATED, ("rules", 0))
    assert copy.copy(placed) == placed
    assert copy.deepcopy(placed) == placed
    assert pickle.loads(pickle.dumps(placed)) == placed
    moved = dataclasses.replace(placed, path=("rules", 1))
    assert moved.path == ("rules", 1) and moved.item is rule
    assert placed.child(rule.when, "when") == Placed(rule.when, LOCATED, ("rules", 0, "when"))
    assert placed.file == "rules/a.yaml"
