"""YAML 1.1 number forms (octal 035, base-60 1:05, 0b, 1_000, 1e3) never change an answer.

PyYAML reads YAML 1.1, where `035` is 29 and `1:05` is 65: a profile with
`minutes_per_session: 035` silently lost a conclusion. Every such form is refused with a
located problem, in every file the reader reads; `.json` profiles are strict JSON.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import healthkb

ARTICLE_CONDITIONS_MET = """\
running: {{intensity: high, sessions_per_week: 4, minutes_per_session: {minutes}}}
diet: {{low_calorie: true, nutrient_rich: true, limits_high_fat_high_sugar: true}}
"""


def _problem(error: healthkb.KBError | healthkb.ProfileError) -> healthkb.Problem:
    assert len(error.problems) == 1, error.problems
    return error.problems[0]


def test_plain_35_minutes_meets_the_articles_conditions(
    kb: healthkb.KnowledgeBase, tmp_path: Path
) -> None:
    profile = tmp_path / "p.yaml"
    profile.write_text(ARTICLE_CONDITIONS_MET.format(minutes="35"))
    assert "thigh_buttock_fat_may_decrease" in kb.evaluate_file(profile).conclusion_ids


@pytest.mark.parametrize(
    ("written", "read_as"),
    [("035", "29"), ("1:05", "65"), ("0b100011", "35"), ("3_5", "35"), ("3.5e1", "text")],
)
def test_yaml_11_number_in_a_profile_is_refused_where_it_stands(
    kb: healthkb.KnowledgeBase, tmp_path: Path, written: str, read_as: str
) -> None:
    profile = tmp_path / "p.yaml"
    profile.write_text(ARTICLE_CONDITIONS_MET.format(minutes=written))
    with pytest.raises(healthkb.ProfileError) as caught:
        kb.evaluate_file(profile)
    problem = _problem(caught.value)
    assert (problem.file, problem.line, problem.code) == (str(profile), 1, "yaml-value")
    assert problem.column == ARTICLE_CONDITIONS_MET.format(minutes="@").index("@") + 1
    assert f"`{written}` is read as {read_as}" in problem.message
    assert f'quote it ("{written}")' in problem.hint


def test_json_profile_is_strict_json_and_035_is_a_syntax_error(
    kb: healthkb.KnowledgeBase, tmp_path: Path
) -> None:
    profile = tmp_path / "p.json"
    profile.write_text('{"running": {"intensity": "high",\n "minutes_per_session": 035}}')
    with pytest.raises(healthkb.ProfileError) as caught:
        kb.evaluate_file(profile)
    assert str(_problem(caught.value)) == (
        f"{profile}:2:25: json-syntax: Expecting ',' delimiter "
        "(JSON numbers have no leading zeros: write 35, not 035)"
    )


def test_json_profile_reads_json_numbers_as_json_does(
    kb: healthkb.KnowledgeBase, tmp_path: Path
) -> None:
    # YAML 1.1 reads 3.5e1 as text; JSON reads it as 35.0. A whole number written with a
    # fraction or an exponent (4e0, 4.0) is a whole number, as JSON Schema's integer is
    # (the service's OpenAPI promises it); 4.5 is not.
    profile = tmp_path / "p.json"
    profile.write_text('{"running": {"sessions_per_week": 4e0}}')
    assert kb.evaluate_file(profile).profile == {"running": {"sessions_per_week": 4}}
    profile.write_text('{"running": {"sessions_per_week": 4.5}}')
    with pytest.raises(healthkb.ProfileError) as caught:
        kb.evaluate_file(profile)
    assert str(_problem(caught.value)) == (
        f"{profile}:1:14: invalid-value: `running.sessions_per_week`: 4.5 is not allowed "
        "(allowed: a whole number from 0 to 14 sessions per week)"
    )
    profile.write_text(
        '{"running": {"intensity": "high", "sessions_per_week": 4,'
        ' "minutes_per_session": 3.5e1},'
        ' "diet": {"low_calorie": true, "nutrient_rich": true,'
        ' "limits_high_fat_high_sugar": true}}'
    )
    assert "thigh_buttock_fat_may_decrease" in kb.evaluate_file(profile).conclusion_ids


@pytest.mark.parametrize(
    ("text", "code", "where"),
    [
        ('{"running": {"sessions_per_week": NaN}}', "json-value", (1, 35)),
        ('{"running": {}, "running": {}}', "duplicate-key", (1, 17)),
        ("{'running': {}}", "json-syntax", (1, 2)),
        ('{"running": {},}', "json-syntax", (1, 16)),
    ],
)
def test_json_profile_refuses_what_json_does_not_allow_with_a_place(
    kb: healthkb.KnowledgeBase, tmp_path: Path, text: str, code: str, where: tuple[int, int]
) -> None:
    profile = tmp_path / "p.json"
    profile.write_text(text)
    with pytest.raises(healthkb.ProfileError) as caught:
        kb.evaluate_file(profile)
    problem = _problem(caught.value)
    assert (problem.code, (problem.line, problem.column)) == (code, where)


def test_json_profile_problems_point_at_the_json_value(
    kb: healthkb.KnowledgeBase, tmp_path: Path
) -> None:
    profile = tmp_path / "p.json"
    profile.write_text('{\n  "running": {\n    "sessions_per_week": 99\n  }\n}\n')
    with pytest.raises(healthkb.ProfileError) as caught:
        kb.evaluate_file(profile)
    assert (_problem(caught.value).line, _problem(caught.value).column) == (3, 5)


def test_octal_bound_in_a_rule_is_a_located_problem(make_kb) -> None:
    root = make_kb(
        {
            "rules/extra.yaml": """\
            rules:
              - id: many_walks
                version: 1
                title: Many walks
                status: active
                when: {fact: walk.sessions, gt: 010}
                then: {conclude: rest}
                because:
                  - {source: mini, quote: "Rest when tired."}
            """
        }
    )
    with pytest.raises(healthkb.KBError) as caught:
        healthkb.load(root)
    assert str(_problem(caught.value)) == (
        "rules/extra.yaml:6:37: yaml-value: `010` is read as 8: YAML 1.1 reads a whole "
        'number with a leading 0 as octal (write 10, or quote it ("010") if you mean the text)'
    )


def test_base_60_bound_in_the_vocabulary_is_a_located_problem(make_kb) -> None:
    from conftest import MINI_FACTS

    root = make_kb({"kb/facts.yaml": MINI_FACTS.replace("max: 14", "max: 1:10")})
    with pytest.raises(healthkb.KBError) as caught:
        healthkb.load(root)
    problem = _problem(caught.value)
    assert (problem.file, problem.line, problem.code) == ("kb/facts.yaml", 8, "yaml-value")
    assert "`1:10` is read as 70: YAML 1.1 reads numbers with `:` as base 60" in problem.message


def test_octal_in_a_test_case_profile_is_a_located_problem(make_kb) -> None:
    from healthkb.editing.cases import read_cases

    root = make_kb(
        {
            "kb/tests/walks.yaml": """\
            cases:
              - name: four_walks
                profile: {walk: {sessions: 04}}
                expect: {conclusions: [walking_may_help]}
            """
        }
    )
    with pytest.raises(healthkb.KBError) as caught:
        read_cases(healthkb.load(root))
    assert str(_problem(caught.value)).startswith(
        "kb/tests/walks.yaml:3:32: yaml-value: `04` is read as 4: YAML 1.1 reads a whole "
        "number with a leading 0 as octal"
    )


@pytest.mark.parametrize("written", ["35", "-0.5", "1.0e+3", ".5", "0", '"035"', "'1:05'"])
def test_forms_yaml_11_and_12_read_alike_pass(written: str) -> None:
    from healthkb.files.yaml_reader import parse_yaml

    assert parse_yaml(f"v: {written}", "f.yaml").data["v"] is not None
