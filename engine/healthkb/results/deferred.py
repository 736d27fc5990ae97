"""Models with fields built when first read: what makes `evaluate()` cheap on a large KB.

A result lists every rule firing, every derived fact, every other derivation of each
conclusion and every source those rest on. On a KB where thousands of rules fire for a
profile, building those took most of an evaluation, while most callers read only the
conclusions. So a `DeferredModel` may be built with some fields left out and a function
that builds them (`defer`); they are built, once, by whatever first needs them: reading
one of them, dumping or serialising the model, comparing, copying or pickling it, its
repr. After that the instance is an ordinary model, indistinguishable from one built
with every field given (`tests/results/test_deferred_fields.py` checks it).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel, ConfigDict, PrivateAttr

_M = TypeVar("_M", bound="DeferredModel")


class DeferredModel(BaseModel):
    """A frozen model some of whose fields may be built when first read."""

    # Built when first validated or dumped (`defer_build`): results are made without
    # validation (`defer` below), and `healthkb evaluate`'s text reads their fields,
    # so a command that prints text never builds their validators and serializers
    # (docs/performance.md, "Start-up, fourth pass").
    model_config = ConfigDict(frozen=True, defer_build=True)

    _deferred: Callable[[], dict[str, Any]] | None = PrivateAttr(default=None)
    """Builds the fields left out, or None once they are all present."""

    def _materialise(self) -> None:
        """Build the deferred fields now, if some are still missing."""
        private = self.__pydantic_private__
        build = private.get("_deferred") if private else None
        if build is not None and private is not None:
            # Frozen: the fields are written once, to what they would have been at birth,
            # in the order of the model's fields (the order pydantic dumps them in).
            values = {**self.__dict__, **build()}
            _set(self, "__dict__", {name: values[name] for name in type(self).model_fields})
            private["_deferred"] = None

    if not TYPE_CHECKING:
        # Only a field missing from the instance comes here (Python looks in __dict__
        # first), so a built field costs nothing to read.
        def __getattr__(self, name: str) -> Any:
            if name in type(self).model_fields:
                self._materialise()
                if name in self.__dict__:
                    return self.__dict__[name]
            return super().__getattr__(name)

    def __eq__(self, other: object) -> bool:
        self._materialise()
        if isinstance(other, DeferredModel):
            other._materialise()
        return super().__eq__(other)

    __hash__ = None  # type: ignore[assignment]  # mutable lists inside: not hashable

    def __getstate__(self) -> dict[Any, Any]:
        self._materialise()
        state: dict[Any, Any] = super().__getstate__()
        return state

    def __copy__(self: _M) -> _M:
        self._materialise()
        return super().__copy__()

    def __deepcopy__(self: _M, memo: dict[int, Any] | None = None) -> _M:
        self._materialise()
        return super().__deepcopy__(memo)

    def __iter__(self) -> Iterator[tuple[str, Any]]:  # type: ignore[override]
        self._materialise()
        return super().__iter__()

    def __repr_args__(self) -> Any:
        self._materialise()
        return super().__repr_args__()


def defer(
    model: type[_M],
    build: Callable[[], dict[str, Any]],
    _private: dict[str, Any] | None = None,
    **values: Any,
) -> _M:
    """An instance of `model` from trusted `values` (not validated again: they come from
    content validated when the KB loaded, or from the validated profile), its other
    fields to be built by `build` when first needed; `_private`: private attributes.

    What pydantic's `model_construct` does for a model without extra fields, without its
    per-field bookkeeping, which made it no faster than validating.
    """
    attributes: dict[str, Any] = model.__private_attributes__
    private = {name: attribute.get_default() for name, attribute in attributes.items()}
    private.update(_private or {}, _deferred=build)
    instance = model.__new__(model)
    _set(instance, "__dict__", values)
    _set(instance, "__pydantic_fields_set__", set(model.model_fields))
    _set(instance, "__pydantic_extra__", None)
    _set(instance, "__pydantic_private__", private)
    return instance


_set = object.__setattr__
