"""Bad profiles (any value, from Python or a file) give a clear ProfileError, never a crash;
valid ones render in every output format."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import yaml
from hypothesis import given
from hypothesis import strategies as st

import healthkb
from support.fuzzing import (
    EXAMPLE_PROFILES,
    ROOT,
    any_values,
    assert_clear_profile_error,
    budget,
    kb_data,
    keys,
    profiles_for,
    run_cli,
    writable,
    yaml_11_number_forms,
)


@st.composite
def seeded_profiles(draw: st.DrawFn) -> dict[str, Any]:
    """A valid example profile with a few facts or attributes replaced by anything."""
    profile = draw(st.sampled_from(EXAMPLE_PROFILES))
    for _ in range(draw(st.integers(1, 3))):
        fact = draw(st.sampled_from(sorted(profile, key=repr)) | keys)
        if isinstance(profile.get(fact), dict) and draw(st.booleans()):
            attributes = dict(profile[fact])
            names = sorted(attributes, key=repr)
            attribute = draw(st.sampled_from(names) | keys) if names else None
            attributes[attribute] = draw(any_values)
            profile = {**profile, fact: attributes}
        else:
            profile = {**profile, fact: draw(any_values)}
    return profile


def _evaluate_or_profile_error(kb: healthkb.KnowledgeBase, profile: Any) -> None:
    try:
        result = kb.evaluate(profile)
    except healthkb.ProfileError as error:
        assert_clear_profile_error(error)
    else:
        assert isinstance(result, healthkb.Result)


@budget(200)
@given(any_values)
def test_any_value_as_a_profile_evaluates_or_is_a_clear_profile_error(
    kb: healthkb.KnowledgeBase, profile: Any
) -> None:
    _evaluate_or_profile_error(kb, profile)


@budget(150)
@given(seeded_profiles())
def test_any_value_mixed_into_an_example_profile_evaluates_or_is_a_clear_profile_error(
    kb: healthkb.KnowledgeBase, profile: dict[str, Any]
) -> None:
    _evaluate_or_profile_error(kb, profile)


def _as_text(profile: Any, form: str) -> bytes:
    if form == "json":
        return json.dumps(profile, ensure_ascii=True).encode()
    if form == "json-utf8":
        return json.dumps(profile, ensure_ascii=False).encode("utf-8", "surrogatepass")
    return yaml.safe_dump(profile, allow_unicode=True).encode("utf-8", "surrogatepass")


raw_profile_text = st.text(
    st.characters(exclude_categories=("Cs",)) | st.sampled_from(":-[]{}'\"\t\n #&*!|>%@`"),
    max_size=80,
).map(lambda text: text.encode("utf-8")) | st.binary(max_size=40)


@budget(40)
@given(
    st.tuples(writable, st.sampled_from(["json", "json-utf8", "yaml"])).map(lambda p: _as_text(*p))
    | raw_profile_text
)
def test_evaluate_command_exits_0_or_2_on_any_profile_file(content: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "profile.yaml"
        path.write_bytes(content)
        code, _, err = run_cli(["evaluate", str(path), "--kb", str(ROOT)])
    assert code in (0, 2), err
    if code == 2:
        assert err.startswith("healthkb: invalid profile:"), err


CONCLUSION_IDS = [c["id"] for c in kb_data("kb/conclusions.yaml")["conclusions"]]
BUNDLED_FACTS = kb_data("kb/facts.yaml")


@budget(10)
@given(
    profiles_for(BUNDLED_FACTS),
    st.sampled_from(["text", "json", "markdown", "cds-hooks"]),
    st.sampled_from(CONCLUSION_IDS),
    st.sampled_from(["text", "json", "html"]),
)
def test_every_output_format_renders_any_valid_profile(
    profile: dict[str, Any], result_format: str, conclusion: str, explain_format: str
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "profile.yaml"
        path.write_text(yaml.safe_dump(profile), encoding="utf-8")
        code, out, err = run_cli(
            ["evaluate", str(path), "--kb", str(ROOT), "--format", result_format]
        )
        assert (code, err) == (0, ""), err
        if result_format in ("json", "cds-hooks"):
            json.loads(out)
        argv = ["explain", str(path), "--kb", str(ROOT), "--conclusion", conclusion]
        code, out, err = run_cli([*argv, "--format", explain_format])
        assert code == 0, err
        assert out


@budget(40)
@given(
    st.sampled_from(["sessions_per_week", "minutes_per_session"]),
    yaml_11_number_forms,
    st.sampled_from(["yaml", "json"]),
)
def test_a_yaml_11_number_form_in_a_profile_is_never_read_as_a_number_yaml_12_would_not_give(
    kb: healthkb.KnowledgeBase, attribute: str, form: str, suffix: str
) -> None:
    text = f'{{"running": {{"intensity": "high", "{attribute}": {form}}}}}'
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"profile.{suffix}"
        path.write_text(text)
        try:
            result = kb.evaluate_file(path)
        except healthkb.ProfileError as error:
            (problem,) = error.problems
            if suffix == "yaml":
                assert problem.code == "yaml-value"
            elif problem.code != "json-syntax":  # JSON's own number, read as JSON reads it
                assert problem.code == "invalid-value"
                value = json.loads(form)
                if (
                    isinstance(value, float)
                    and value.is_integer()
                    and attribute == "sessions_per_week"
                ):
                    value = int(value)  # JSON Schema's integer: 15.0 is the integer 15
                assert f"{value!r} is not allowed" in problem.message
                return
            start = text.index(form) + 1  # a syntax error is where the parser stopped
            assert problem.line == 1 and start <= problem.column <= start + len(form)
        else:  # only JSON's own numbers (`5e0`) are read, as JSON reads them
            assert suffix == "json"
            assert result.profile["running"][attribute] == json.loads(form)
