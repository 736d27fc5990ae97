"""A fact's model (`SymptomsFact`) is validated as part of the profile model; its own
validator and serializer are built when it is used on its own, and then work alike."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

import healthkb


def _fact_model(kb: healthkb.KnowledgeBase, name: str) -> type[BaseModel]:
    annotation: Any = kb.profile_model.model_fields[name].annotation
    model: type[BaseModel] = next(a for a in annotation.__args__ if a is not type(None))
    return model


def test_a_fact_model_on_its_own_validates_as_the_profile_model_does(
    kb: healthkb.KnowledgeBase,
) -> None:
    running = _fact_model(kb, "running")
    alone = running.model_validate({"intensity": "high", "sessions_per_week": 3})
    within = kb.profile_model.model_validate(
        {"running": {"intensity": "high", "sessions_per_week": 3}}
    )
    assert alone == within.running
    assert alone.model_dump(exclude_none=True) == {"intensity": "high", "sessions_per_week": 3}
    assert alone.model_dump_json(exclude_none=True) == '{"intensity":"high","sessions_per_week":3}'
    for bad in ({"intensity": "fast"}, {"sessions_per_week": "3"}, {"pace": 1}):
        with pytest.raises(ValidationError) as on_its_own:
            running.model_validate(bad)
        with pytest.raises(ValidationError) as in_a_profile:
            kb.profile_model.model_validate({"running": bad})
        assert [(e["type"], e["loc"]) for e in on_its_own.value.errors()] == [
            (e["type"], e["loc"][1:]) for e in in_a_profile.value.errors()
        ]


def test_a_fact_models_schema_is_the_one_inside_the_profile_schema(
    kb: healthkb.KnowledgeBase,
) -> None:
    running = _fact_model(kb, "running")
    inside = kb.profile_model.model_json_schema()["$defs"][running.__name__]
    assert running.model_json_schema() == inside
