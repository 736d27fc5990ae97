"""profile_model.py has pydantic make the core schema of each kind of attribute once
(`_SchemaOnce`) and copy it to the other attributes of that kind: the profile model's
core schema, its JSON Schemas and what it accepts and refuses are those of the model
built attribute by attribute, as it was before (issue 23)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, get_args

import pytest
from pydantic import BaseModel, Field, ValidationError, create_model
from tests.benchmarks.generated_kb import write_generated_kb

import healthkb
from healthkb.content.model import Vocabulary
from healthkb.profiles import profile_model


def _attribute_by_attribute(vocabulary: Vocabulary) -> type[BaseModel]:
    """The profile model as built before: each attribute's annotation on its own."""
    facts: dict[str, Any] = {}
    for name, fact in vocabulary.input.items():
        attributes: dict[str, Any] = {
            attr: (
                profile_model._field_type(spec) | None,
                Field(default=None, description=profile_model._describe(spec)),
            )
            for attr, spec in fact.attributes.items()
        }
        model = create_model(
            profile_model._camel(name),
            __config__=profile_model._FACT_CONFIG,
            __doc__=fact.description,
            **attributes,
        )
        facts[name] = (model | None, Field(default=None, description=fact.description))
    return create_model(
        "Profile",
        __config__=profile_model._CONFIG,
        __doc__="A person's profile: input facts.",
        **facts,
    )


def _named(schema: Any) -> str:
    """The core schema's text with its classes named by name alone (the two models'
    classes are different objects, of different modules)."""
    text = re.sub(r"<class '[\w.]*?(\w+)'>", r"\1", repr(schema))
    text = re.sub(r"'[\w.]*?(\w+Fact|Profile):\d+'", r"'\1'", text)
    return re.sub(r"of (\w+)>", r"of \1", text)


def _values(vocabulary: Vocabulary) -> list[dict[str, Any]]:
    values: list[Any] = [None, True, False, 0, 1, 7.0, 7.5, -1, 10**30, "7", "x", [], ["x"]]
    profiles = []
    for name, fact in vocabulary.input.items():
        for attr, spec in fact.attributes.items():
            given = values + list(spec.values or []) + [list(spec.values or [])[:2]]
            profiles += [{name: {attr: value}} for value in given]
    return profiles


def _outcome(model: type[BaseModel], profile: dict[str, Any]) -> Any:
    try:
        return repr(model.model_validate(profile).model_dump())
    except ValidationError as error:
        return error.errors(include_url=False)


@pytest.mark.parametrize("size", [0, 300])
def test_the_profile_model_is_the_one_built_attribute_by_attribute(
    size: int, tmp_path: Path
) -> None:
    kb = healthkb.load(write_generated_kb(tmp_path / "kb", size) if size else None)
    vocabulary = kb.content.vocabulary
    made, reference = (
        profile_model.build_profile_model(vocabulary),
        _attribute_by_attribute(vocabulary),
    )
    assert _named(made.__pydantic_core_schema__) == _named(reference.__pydantic_core_schema__)
    for mode in ("validation", "serialization"):
        assert made.model_json_schema(mode=mode) == reference.model_json_schema(mode=mode)
    for profile in _values(vocabulary):
        assert _outcome(made, profile) == _outcome(reference, profile)


def test_facts_with_the_same_attributes_each_have_a_model_of_their_own(tmp_path: Path) -> None:
    """The generated KB's measures have the same attributes: their models share a base
    that holds the fields (made once), but each is a class of its own, named and described
    as its fact, and one's instance is not taken for another's."""
    kb = healthkb.load(write_generated_kb(tmp_path / "kb", 300))
    model = profile_model.build_profile_model(kb.content.vocabulary)
    first, second = (model.model_fields[name].annotation for name in ("measure_0", "measure_1"))
    first_model, second_model = (get_args(annotation)[0] for annotation in (first, second))
    assert first_model is not second_model
    assert (first_model.__name__, second_model.__name__) == ("Measure0Fact", "Measure1Fact")
    assert first_model.__base__ is second_model.__base__
    assert list(first_model.model_fields) == list(second_model.model_fields) == ["level", "flagged"]
    schema = first_model.model_json_schema()
    assert (schema["title"], schema["description"]) == ("Measure0Fact", "Synthetic measure 0.")
    instance = second_model.model_validate({"level": 3})
    with pytest.raises(ValidationError):
        model.model_validate({"measure_0": instance})
    assert model.model_validate({"measure_1": instance}).model_dump(exclude_none=True) == {
        "measure_1": {"level": 3}
    }
