"""Wrong arguments at the library's edges get a clear error naming what was expected,
not an internal one from deep inside (`'NoneType' object is not iterable`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import healthkb
from conftest import ROOT
from healthkb.editing.coverage import Coverage

DISCOMFORT = {"symptoms": {"physical_discomfort": True}}


@pytest.mark.parametrize(("bad", "kind"), [(None, "NoneType"), (123, "int"), (["x"], "list")])
@pytest.mark.parametrize("method", ["explain", "why_not", "conclusion"])
def test_explain_why_not_and_conclusion_of_something_else_than_an_id_is_a_type_error(
    kb: healthkb.KnowledgeBase, method: str, bad: Any, kind: str
) -> None:
    result = kb.evaluate(DISCOMFORT)
    with pytest.raises(TypeError) as caught:
        getattr(result, method)(bad)
    assert str(caught.value) == f"a conclusion id (str) is expected; got {kind}"


@pytest.mark.parametrize("audit", ["x.jsonl", Path("x.jsonl")])
def test_an_audit_log_given_as_a_path_is_a_type_error_saying_what_to_write(
    kb: healthkb.KnowledgeBase, audit: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    for evaluate, given in ((kb.evaluate, DISCOMFORT), (kb.evaluate_file, "p.yaml")):
        with pytest.raises(TypeError) as caught:
            evaluate(given, audit=audit)
        assert str(caught.value) == (
            f"audit must be a healthkb.AuditLog; got {type(audit).__name__} "
            "— use AuditLog('x.jsonl')"
        )
    assert list(tmp_path.iterdir()) == []


def test_an_audit_log_of_another_kind_is_a_type_error(kb: healthkb.KnowledgeBase) -> None:
    with pytest.raises(TypeError, match=r"^audit must be a healthkb\.AuditLog; got list$"):
        kb.evaluate(DISCOMFORT, audit=[])


def test_a_constructed_profile_model_is_validated_like_any_other_profile(
    kb: healthkb.KnowledgeBase,
) -> None:
    unchecked = kb.profile_model.model_construct(running={"intensity": "fast"})
    with pytest.raises(healthkb.ProfileError) as caught:
        kb.evaluate(unchecked)
    assert [str(p) for p in caught.value.problems] == [
        "profile: invalid-value: `running.intensity`: 'fast' is not allowed "
        "(allowed: one of low, moderate, high)"
    ]
    nested = kb.profile_model.model_fields["symptoms"].annotation
    fact = next(a for a in nested.__args__ if a is not type(None))
    inner = kb.profile_model.model_construct(symptoms=fact.model_construct(physical_discomfort=3))
    with pytest.raises(healthkb.ProfileError, match=r"symptoms\.physical_discomfort"):
        kb.validate_profile(inner)


def test_a_validated_profile_model_still_evaluates(kb: healthkb.KnowledgeBase) -> None:
    typed = kb.profile_model.model_validate(DISCOMFORT)
    assert kb.evaluate(typed).conclusion_ids == ["stop_and_rest"]


@pytest.mark.parametrize(
    ("max_steps", "error", "message"),
    [
        ("x", TypeError, "max_steps must be a whole number; got str"),
        (None, TypeError, "max_steps must be a whole number; got NoneType"),
        (2.5, TypeError, "max_steps must be a whole number; got float"),
        (True, TypeError, "max_steps must be a whole number; got bool"),
        (0, ValueError, "max_steps must be at least 1; got 0"),
        (-1, ValueError, "max_steps must be at least 1; got -1"),
    ],
)
def test_a_step_limit_that_is_not_a_positive_whole_number_is_refused_at_load(
    max_steps: Any, error: type[Exception], message: str
) -> None:
    with pytest.raises(error) as caught:
        healthkb.load(ROOT, max_steps=max_steps)
    assert str(caught.value) == message


def test_a_step_limit_of_one_is_accepted(kb: healthkb.KnowledgeBase) -> None:
    assert healthkb.load(ROOT, max_steps=1).max_steps == 1


@pytest.mark.parametrize(("sentences", "rules"), [(-5, None), (None, 101), (float("nan"), None)])
def test_coverage_floors_outside_0_to_100_are_value_errors(sentences: Any, rules: Any) -> None:
    with pytest.raises(ValueError, match="must be a percentage from 0 to 100"):
        Coverage((), ()).shortfalls(sentences, rules)


def test_a_profile_that_is_none_is_refused_as_not_a_mapping(kb: healthkb.KnowledgeBase) -> None:
    with pytest.raises(healthkb.ProfileError) as caught:
        kb.evaluate(None)
    assert [str(p) for p in caught.value.problems] == [
        "profile: invalid-profile: a profile is a mapping of facts; got None (write each "
        "fact as `fact: {attribute: value}`, e.g. `running: {intensity: ...}`)"
    ]


def test_an_empty_mapping_is_a_profile_with_nothing_known(kb: healthkb.KnowledgeBase) -> None:
    result = kb.evaluate({})
    assert (result.profile, result.conclusion_ids, result.fired) == ({}, [], [])


def test_any_mapping_is_a_profile(kb: healthkb.KnowledgeBase) -> None:
    from types import MappingProxyType

    frozen = MappingProxyType({"symptoms": MappingProxyType({"physical_discomfort": True})})
    assert kb.evaluate(frozen) == kb.evaluate(DISCOMFORT)


def test_pickling_a_knowledge_base_is_a_type_error_saying_to_send_profiles(
    kb: healthkb.KnowledgeBase,
) -> None:
    import pickle

    with pytest.raises(TypeError) as caught:
        pickle.dumps(kb)
    assert str(caught.value) == (
        "a KnowledgeBase cannot be pickled: send profiles to the worker processes and load "
        'the KB in each (healthkb.load(), once per worker); see docs/api.md, "Results '
        'across processes"'
    )


def test_a_copy_of_a_knowledge_base_is_the_knowledge_base(kb: healthkb.KnowledgeBase) -> None:
    import copy

    assert copy.copy(kb) is kb and copy.deepcopy({"kb": kb})["kb"] is kb
