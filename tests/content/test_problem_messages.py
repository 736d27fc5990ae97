"""One mistake, one problem: said in the editor's words, at the value, with a hint.

pydantic reports one error per branch of a union and names Python types; these tests
pin the messages an editor sees instead, whole.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import healthkb
from conftest import MINI_CONCLUSIONS, MINI_FACTS, MINI_MANIFEST, MINI_RULES, MINI_SOURCE
from healthkb.cli import main
from healthkb.content import model, rule_model
from healthkb.content.diagnostics.error_wording import PATTERN_HINTS
from healthkb.content.versioning.lock import LockFile
from healthkb.editing.cases import CasesFile, read_cases


def problems_of(root: Path) -> list[str]:
    with pytest.raises(healthkb.KBError) as caught:
        healthkb.load(root)
    return [str(p) for p in caught.value.problems]


def rules_with(old: str, new: str) -> dict[str, str]:
    assert old in MINI_RULES
    return {"rules/walking.yaml": MINI_RULES.replace(old, new)}


def test_a_number_in_quotes_is_one_problem_saying_to_remove_the_quotes(make_kb) -> None:
    root = make_kb(rules_with("walk.tired, eq: true", 'walk.sessions, gt: "30"'))
    assert problems_of(root) == [
        'rules/walking.yaml:25:33: wrong-type: `gt` needs a number, got the text "30" '
        '(remove the quotes: write 30, not "30")'
    ]


def test_a_rule_version_in_quotes_says_to_remove_the_quotes(make_kb) -> None:
    root = make_kb(rules_with("version: 1\n    title: Enough", 'version: "1"\n    title: Enough'))
    assert problems_of(root) == [
        'rules/walking.yaml:3:5: wrong-type: `version` needs a whole number, got the text "1" '
        '(remove the quotes: write 1, not "1")'
    ]


def test_gt_with_a_word_is_a_wrong_operator_as_for_an_enum(make_kb) -> None:
    root = make_kb(rules_with("walking_load.level, eq: enough", "walking_load.level, gt: moderate"))
    assert problems_of(root) == [
        "rules/walking.yaml:16:38: wrong-operator: `gt` compares numbers, and the text "
        '"moderate" is not a number (test an enum attribute with `eq`, `ne`, `in` or `not_in`)'
    ]


def test_gt_with_true_is_a_wrong_operator_as_for_a_bool(make_kb) -> None:
    root = make_kb(rules_with("walk.tired, eq: true", "walk.tired, gt: true"))
    assert problems_of(root) == [
        "rules/walking.yaml:25:30: wrong-operator: `gt` compares numbers, and true is not a "
        "number (test a bool attribute with `eq` or `ne`)"
    ]


def test_eq_with_a_list_is_one_problem_pointing_to_in(make_kb) -> None:
    root = make_kb(rules_with("walk.tired, eq: true", "walk.tired, eq: [true]"))
    assert problems_of(root) == [
        "rules/walking.yaml:25:30: wrong-type: `eq` needs one value (true or false, a number "
        "or text), got a list (to test several values, use `in: [...]`)"
    ]


@pytest.mark.parametrize(
    ("file", "text", "hint"),
    [
        (
            "rules/walking.yaml",
            "- id: a\n",
            "write `rules:` on the first line and indent what follows under it",
        ),
        (
            "kb/kb.yaml",
            "- mini-kb\n",
            "start the file with its keys: `id:`, `title:`, `version:`, `released:`",
        ),
    ],
)
def test_a_file_that_is_a_list_says_what_its_top_level_must_be(make_kb, file, text, hint) -> None:
    assert problems_of(make_kb({file: text})) == [
        f"{file}:1:1: wrong-type: the file holds a list, but it must be a mapping of keys ({hint})"
    ]


def test_a_case_file_that_is_a_list_says_to_start_with_cases(make_kb) -> None:
    root = make_kb({"kb/tests/walking.yaml": "- name: a\n"})
    kb = healthkb.load(root)
    with pytest.raises(healthkb.KBError) as caught:
        read_cases(kb)
    assert [str(p) for p in caught.value.problems] == [
        "kb/tests/walking.yaml:1:1: wrong-type: the file holds a list, but it must be a mapping "
        "of keys (write `cases:` on the first line and indent what follows under it)"
    ]


def test_derive_dedented_out_of_then_is_one_problem_at_derive(make_kb) -> None:
    root = make_kb(
        rules_with(
            "    then:\n      derive: {fact: walking_load",
            "    then:\n    derive: {fact: walking_load",
        )
    )
    assert problems_of(root) == [
        "rules/walking.yaml:8:5: unknown-key: `derive` belongs under `then` "
        "(indent it under `then:`, with spaces)"
    ]


def test_derive_without_then_is_one_problem_at_derive(make_kb) -> None:
    root = make_kb(
        rules_with(
            "    then:\n      derive: {fact: walking_load", "    derive: {fact: walking_load"
        )
    )
    assert problems_of(root) == [
        "rules/walking.yaml:7:5: unknown-key: `derive` belongs under `then` "
        "(write `then:` above it and indent it under `then:`)"
    ]


def test_an_empty_value_says_to_indent_what_belongs_under_it(make_kb) -> None:
    root = make_kb(rules_with("when: {fact: walk.tired, eq: true}", "when: {not: }"))
    assert problems_of(root) == [
        "rules/walking.yaml:25:12: wrong-type: `not` is empty; it needs a condition (write its "
        "value after `not:`, or indent the lines that belong to it under `not:`)"
    ]


@pytest.mark.parametrize(
    ("when", "got", "hint"),
    [
        (
            "when: walk.tired is true",
            'the text "walk.tired is true"',
            "write a comparison such as `{fact: running.intensity, eq: high}`, or `all:`, "
            "`any:` or `not:` with conditions under it",
        ),
        (
            "when: [{fact: walk.tired, eq: true}]",
            "a list",
            "to combine conditions, list them under `all:` (each must hold) or `any:`",
        ),
    ],
)
def test_a_condition_written_as_text_or_a_list_says_what_a_condition_is(
    make_kb, when, got, hint
) -> None:
    root = make_kb(rules_with("when: {fact: walk.tired, eq: true}", when))
    assert problems_of(root) == [
        f"rules/walking.yaml:25:5: wrong-type: `when` needs a condition, got {got} ({hint})"
    ]


def test_between_with_one_value_says_it_needs_two(make_kb) -> None:
    root = make_kb(rules_with("between: [3, 5]", "between: [3]"))
    assert problems_of(root) == [
        "rules/walking.yaml:6:33: invalid-value: `between` needs exactly 2 items; it has 1 "
        "(`[low, high]`: holds when low <= attribute <= high (both ends included))"
    ]


def test_an_empty_rules_list_says_so(make_kb) -> None:
    assert problems_of(make_kb({"rules/walking.yaml": "rules: []\n"})) == [
        "rules/walking.yaml:1:1: invalid-value: `rules` needs at least 1 item; it is empty "
        "(the rules of this file; ids are unique across all rule files)"
    ]


@pytest.mark.parametrize(
    ("version", "expected"),
    [
        (
            '"1"',
            "kb/kb.yaml:3:1: invalid-value: `version`: `1` is not a version (major.minor.patch) "
            "(write the version as major.minor.patch, e.g. `1.0.0`)",
        ),
        (
            "1",
            "kb/kb.yaml:3:1: wrong-type: `version` needs a version (major.minor.patch), got the "
            "number 1 (write the version as major.minor.patch, e.g. `1.0.0`)",
        ),
    ],
)
def test_a_manifest_version_that_is_not_major_minor_patch_says_how_to_write_it(
    make_kb, version, expected
) -> None:
    manifest = MINI_MANIFEST.replace("version: 1.0.0", f"version: {version}")
    assert problems_of(make_kb({"kb/kb.yaml": manifest})) == [expected]


def test_an_unknown_kind_suggests_the_closest(make_kb) -> None:
    conclusions = MINI_CONCLUSIONS.replace("kind: warning", "kind: warnung")
    assert problems_of(make_kb({"kb/conclusions.yaml": conclusions})) == [
        "kb/conclusions.yaml:10:5: invalid-value: `warnung` is not a valid `kind` "
        "(did you mean `warning`?)"
    ]


@pytest.mark.parametrize(
    ("file", "old", "new", "expected"),
    [
        (
            "kb/sources/mini.yaml",
            "language: en",
            "language: english!",
            "kb/sources/mini.yaml:6:1: invalid-value: `language`: `english!` is not a language "
            "tag (write a language tag such as `en` or `en-GB`)",
        ),
        (
            "rules/walking.yaml",
            "fact: walk.tired,",
            "fact: walk,",
            "rules/walking.yaml:25:12: invalid-name: `walk` is not a valid name for `fact` "
            "(write `fact.attribute`, both in lower-case letters, digits and `_` "
            "(e.g. `running.intensity`))",
        ),
        (
            "kb/conclusions.yaml",
            'source: mini\n        quote: "Rest',
            'source: Mini!\n        quote: "Rest',
            "kb/conclusions.yaml:14:9: invalid-name: `Mini!` is not a valid name for `source` "
            "(use lower-case letters, digits, `_`, `-` and `.`, starting with a letter or digit "
            "(e.g. `who-2020.activity`))",
        ),
        (
            "kb/facts.yaml",
            "      tired:",
            "      Tired:",
            "kb/facts.yaml:10:7: invalid-name: `Tired` is not a valid name in `attributes` "
            "(use lower-case letters, digits and `_`, starting with a letter "
            "(e.g. `sessions_per_week`))",
        ),
    ],
)
def test_an_invalid_name_hint_describes_the_pattern_it_breaks(
    make_kb, file, old, new, expected
) -> None:
    texts = {
        "kb/sources/mini.yaml": MINI_SOURCE,
        "rules/walking.yaml": MINI_RULES,
        "kb/conclusions.yaml": MINI_CONCLUSIONS,
        "kb/facts.yaml": MINI_FACTS,
    }
    assert old in texts[file]
    assert problems_of(make_kb({file: texts[file].replace(old, new, 1)})) == [expected]


def test_every_naming_pattern_of_the_formats_has_words_for_its_hint() -> None:
    formats = [model.Manifest, model.Source, model.Vocabulary, model.ConclusionsFile]
    formats += [rule_model.RulesFile, LockFile, CasesFile]
    patterns: set[str] = set()

    def collect(node: object) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("pattern"), str):
                patterns.add(node["pattern"])
            for value in node.values():
                collect(value)
        elif isinstance(node, list):
            for value in node:
                collect(value)

    for fmt in formats:
        collect(fmt.model_json_schema())
    assert patterns and patterns <= set(PATTERN_HINTS), patterns - set(PATTERN_HINTS)


def test_an_enum_attribute_without_values_says_an_enum(make_kb) -> None:
    facts = MINI_FACTS.replace("        values: [enough, low]\n", "")
    assert problems_of(make_kb({"kb/facts.yaml": facts})) == [
        "kb/facts.yaml:17:7: invalid-value: `level`: an `enum` attribute needs `values` "
        "(the allowed values) (list them, e.g. `values: [low, moderate, high]`)"
    ]


def test_a_huge_value_in_a_kb_file_is_shortened(make_kb) -> None:
    conclusions = MINI_CONCLUSIONS.replace("kind: warning", "kind: " + "w" * 100_000)
    rules = MINI_RULES.replace(
        "walking_load.level, eq: enough", "walking_load.level, eq: " + "e" * 100_000
    )
    problems = problems_of(
        make_kb({"kb/conclusions.yaml": conclusions, "rules/walking.yaml": rules})
    )
    assert problems == [
        "kb/conclusions.yaml:10:5: invalid-value: `" + "w" * 60 + "… (100,000 characters)` is "
        "not a valid `kind` (expected one of `information`, `outcome`, `recommendation`, "
        "`warning`)",
        "rules/walking.yaml:16:38: invalid-value: `walking_load.level`: '" + "e" * 60 + "'… "
        "(100,000 characters) is not one of enough, low (expected one of `enough`, `low`)",
    ]


def test_a_megabyte_enum_value_in_a_profile_gives_a_short_profile_error(
    kb: healthkb.KnowledgeBase,
) -> None:
    with pytest.raises(healthkb.ProfileError) as caught:
        kb.evaluate({"running": {"intensity": "x" * 1_000_000}})
    assert [str(p) for p in caught.value.problems] == [
        "profile: invalid-value: `running.intensity`: '" + "x" * 60 + "'… (1,000,000 "
        "characters) is not allowed (allowed: one of low, moderate, high)"
    ]


def test_a_number_of_5001_digits_in_a_profile_is_a_profile_error(
    kb: healthkb.KnowledgeBase,
) -> None:
    with pytest.raises(healthkb.ProfileError) as caught:
        kb.evaluate({"running": {"sessions_per_week": 10**5000}})
    assert [str(p) for p in caught.value.problems] == [
        "profile: invalid-value: `running.sessions_per_week`: a number of 5,001 digits is not "
        "allowed (allowed: a whole number from 0 to 14 sessions per week)"
    ]


def test_a_list_nested_thousands_deep_in_a_profile_is_shown_three_levels_deep(
    kb: healthkb.KnowledgeBase,
) -> None:
    nested: object = "low"
    for _ in range(5_000):
        nested = [nested]
    with pytest.raises(healthkb.ProfileError) as caught:
        kb.evaluate({"running": {"intensity": nested}})
    assert [str(p) for p in caught.value.problems] == [
        "profile: invalid-value: `running.intensity`: [[[[…]]]] is not allowed "
        "(allowed: one of low, moderate, high)"
    ]


def test_an_empty_profile_file_says_it_is_empty(kb: healthkb.KnowledgeBase, tmp_path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text("# nothing yet\n", encoding="utf-8")
    with pytest.raises(healthkb.ProfileError) as caught:
        kb.evaluate_file(path)
    assert [str(p) for p in caught.value.problems] == [
        f"{path}:1:1: invalid-profile: the profile is empty; a profile is a mapping of "
        "facts (write each fact as `fact: {attribute: value}`, e.g. `running: {intensity: ...}`)"
    ]


def test_a_profile_key_that_is_not_text_blames_the_key(kb: healthkb.KnowledgeBase) -> None:
    with pytest.raises(healthkb.ProfileError) as caught:
        kb.evaluate({1: {}, "running": {2: 3}})
    assert [str(p) for p in caught.value.problems] == [
        "profile: unknown-attribute: `running.2`: an attribute's name is text, not the number 2 "
        "(expected one of `intensity`, `minutes_per_session`, `sessions_per_week`)",
        "profile: unknown-fact: `1`: a fact's name is text, not the number 1 "
        "(expected one of `diet`, `goals`, `running`, `symptoms`)",
    ]


@pytest.mark.parametrize(
    ("profile", "expected"),
    [
        (
            {None: {}},
            "profile: unknown-fact: `None`: a fact's name is text, not nothing "
            "(expected one of `diet`, `goals`, `running`, `symptoms`)",
        ),
        (
            {"running": {None: 1}},
            "profile: unknown-attribute: `running.None`: an attribute's name is text, not "
            "nothing (expected one of `intensity`, `minutes_per_session`, `sessions_per_week`)",
        ),
        (
            {"running": {True: 1}},
            "profile: unknown-attribute: `running.True`: an attribute's name is text, not "
            "true (expected one of `intensity`, `minutes_per_session`, `sessions_per_week`)",
        ),
    ],
    ids=["fact", "attribute", "attribute-true"],
)
def test_a_profile_key_that_is_none_blames_that_key(
    kb: healthkb.KnowledgeBase, profile, expected
) -> None:
    with pytest.raises(healthkb.ProfileError) as caught:
        kb.evaluate(profile)
    assert [str(p) for p in caught.value.problems] == [expected]


def test_a_fact_given_a_plain_value_says_it_needs_attributes(kb: healthkb.KnowledgeBase) -> None:
    with pytest.raises(healthkb.ProfileError) as caught:
        kb.evaluate({"running": 5})
    assert [str(p) for p in caught.value.problems] == [
        "profile: invalid-value: `running`: a fact is a mapping of its attributes, not the "
        "number 5 (write `running: {attribute: value}` with attributes from `intensity`, "
        "`sessions_per_week`, `minutes_per_session`)"
    ]


@pytest.mark.parametrize(
    ("bounds", "expected"),
    [
        (
            "min: 0.5\n        max: 14",
            "kb/facts.yaml:7:9: invalid-value: `min` of an integer attribute must be a whole "
            "number, not 0.5 (use a whole number, or make the attribute a `number`)",
        ),
        (
            "min: 0\n        max: .inf",
            "kb/facts.yaml:8:9: invalid-value: `max` must be a finite number, not inf "
            "(leave `max` out for no upper bound)",
        ),
    ],
)
def test_integer_bounds_that_are_not_whole_numbers_are_refused_not_a_crash(
    make_kb, bounds, expected
) -> None:
    facts = MINI_FACTS.replace("min: 0\n        max: 14", bounds)
    assert problems_of(make_kb({"kb/facts.yaml": facts})) == [expected]


def test_a_number_yaml_reads_as_text_says_so_rather_than_remove_quotes(make_kb) -> None:
    facts = MINI_FACTS.replace("max: 14", "max: 1.4e1")
    assert problems_of(make_kb({"kb/facts.yaml": facts})) == [
        "kb/facts.yaml:8:14: yaml-value: `1.4e1` is read as text: this YAML reader takes an "
        'exponent only with a dot and a sign (1.0e+3) (write 14, or quote it ("1.4e1") if you '
        "mean the text)"
    ]


def test_the_schema_command_refuses_bounds_it_cannot_build_a_profile_from(make_kb, capsys) -> None:
    root = make_kb({"kb/facts.yaml": MINI_FACTS.replace("min: 0\n", "min: 0.5\n")})
    assert main(["schema", str(root)]) == 2
    assert capsys.readouterr().err == (
        "healthkb: broken knowledge base:\n  kb/facts.yaml:7:9: invalid-value: `min` of an "
        "integer attribute must be a whole number, not 0.5 (use a whole number, or make the "
        "attribute a `number`)\n"
    )


def test_a_departure_without_an_operator_is_a_problem_not_a_crash(make_kb) -> None:
    # `{fact, source_says}` is two keys like `{fact, gt}`: the validator once took
    # `source_says` for an operator and failed with a KeyError.
    root = make_kb(
        rules_with(
            'quote: "Rest when tired."',
            'quote: "Rest when tired."\n    departures:\n'
            '      - {fact: walk.tired, source_says: "Rest when tired."}',
        )
    )
    assert problems_of(root) == [
        "rules/walking.yaml:31:9: invalid-value: a comparison needs exactly one operator "
        "(eq, ne, lt, le, gt, ge, between, in, not_in, contains, contains_any); found none "
        "(e.g. `{fact: running.minutes_per_session, gt: 30}`)"
    ]
