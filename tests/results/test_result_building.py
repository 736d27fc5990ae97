"""Results are built without validating again (the content and the profile were
validated already): what is built must be what validation would have built."""

from __future__ import annotations

import json
import pickle

from pydantic import BaseModel
from tests.benchmarks import population

import healthkb
from healthkb.results.result import Result


def walk(model: BaseModel) -> list[BaseModel]:
    found = [model]
    for value in model.__dict__.values():
        items = value if isinstance(value, list) else [value]
        found += [m for item in items if isinstance(item, BaseModel) for m in walk(item)]
    return found


def test_a_built_result_is_the_result_validation_gives(kb: healthkb.KnowledgeBase) -> None:
    for line in population.lines(200):
        profile = json.loads(line)["profile"]
        result = kb.evaluate(profile)
        validated = Result.model_validate(result.model_dump())
        assert validated == result
        assert validated.model_dump_json() == result.model_dump_json()
        for built, checked in zip(walk(result), walk(validated), strict=True):
            assert type(built) is type(checked)
            assert built.__dict__.keys() == type(built).model_fields.keys()
            # Every field given, as building with validation did (`Result(...)`).
            assert built.model_fields_set == set(type(built).model_fields)
        assert result.audit_record_id is None
        assert pickle.loads(pickle.dumps(result)) == result
        for conclusion in result.conclusions:
            assert result.explain(conclusion.id).to_dict()


def test_conclusions_reached_are_those_of_the_full_result(kb: healthkb.KnowledgeBase) -> None:
    for line in population.lines(300, seed=4):
        profile = json.loads(line)["profile"]
        full = kb.evaluate(profile).conclusions
        reached = kb.conclusions_reached(profile)
        assert [(c.id, c.kind, c.certainty, c.rule_id, c.rule_version) for c in full] == [
            (c.id, c.kind, c.certainty, c.rule_id, c.rule_version) for c in reached
        ]
