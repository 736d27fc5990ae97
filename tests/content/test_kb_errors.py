"""Each class of broken KB gives a located problem that says how to fix it."""

from __future__ import annotations

import gc
import time
from pathlib import Path

import pytest

import healthkb
from conftest import MINI_CONCLUSIONS, MINI_FACTS, MINI_RULES, MINI_SOURCE


def problems_of(root: Path) -> list[healthkb.Problem]:
    with pytest.raises(healthkb.KBError) as caught:
        healthkb.load(root)
    return caught.value.problems


def only(problems: list[healthkb.Problem], code: str) -> healthkb.Problem:
    matching = [p for p in problems if p.code == code]
    assert len(matching) == 1, [str(p) for p in problems]
    return matching[0]


def test_the_mini_kb_itself_is_valid(make_kb) -> None:
    kb = healthkb.load(make_kb())
    assert kb.evaluate({"walk": {"sessions": 4}}).conclusion_ids == ["walking_may_help"]


def test_yaml_syntax_error_names_file_line_and_column(make_kb) -> None:
    root = make_kb({"rules/walking.yaml": "rules:\n  - id: x\n    title: [unclosed\n"})
    problem = only(problems_of(root), "yaml-syntax")
    # The parser stops past the last line; the place shown is the end of that line.
    assert (problem.file, problem.line, problem.column) == ("rules/walking.yaml", 3, 21)
    assert (
        problem.hint == "the `[` opened at line 3, column 12 is never closed: is its `]` missing?"
    )


def test_misspelled_key_is_reported_once_with_did_you_mean(make_kb) -> None:
    rules = MINI_RULES.replace("    title: Enough walking", "    titel: Enough walking")
    problems = problems_of(make_kb({"rules/walking.yaml": rules}))
    # The missing `title` is the same mistake: not reported a second time.
    assert [str(p) for p in problems] == [
        "rules/walking.yaml:4:5: unknown-key: unknown key `titel` (did you mean `title`?)"
    ]


def test_a_missing_key_with_no_misspelling_beside_it_is_reported(make_kb) -> None:
    rules = MINI_RULES.replace("    title: Enough walking\n", "")
    problem = only(problems_of(make_kb({"rules/walking.yaml": rules})), "missing-key")
    assert str(problem) == (
        "rules/walking.yaml:2:5: missing-key: missing required key `title` "
        "(a short name for people)"
    )


def test_misspelled_key_inside_a_condition_is_located(make_kb) -> None:
    rules = MINI_RULES.replace(
        "{fact: walk.sessions, between: [3, 5]}", "{fakt: walk.sessions, between: [3, 5]}"
    )
    problems = problems_of(make_kb({"rules/walking.yaml": rules}))
    unknown = only(problems, "unknown-key")
    assert (unknown.line, unknown.column) == (6, 12)
    assert "did you mean `fact`?" in unknown.hint


def test_wrong_type_is_reported(make_kb) -> None:
    rules = MINI_RULES.replace(
        "    version: 1\n    title: Enough walking", "    version: one\n    title: Enough walking"
    )
    problem = only(problems_of(make_kb({"rules/walking.yaml": rules})), "wrong-type")
    assert str(problem) == (
        'rules/walking.yaml:3:5: wrong-type: `version` needs a whole number, got the text "one" '
        "(a whole number, raised whenever the rule's meaning changes)"
    )


def test_unknown_fact_and_attribute_in_conditions(make_kb) -> None:
    rules = MINI_RULES.replace("walk.sessions, between", "walks.sessions, between").replace(
        "walk.tired, eq", "walk.tierd, eq"
    )
    problems = problems_of(make_kb({"rules/walking.yaml": rules}))
    fact = only(problems, "unknown-fact")
    assert fact.line == 6 and "did you mean `walk`?" in fact.hint
    attribute = only(problems, "unknown-attribute")
    assert attribute.line == 25 and "did you mean `tired`?" in attribute.hint


def test_value_outside_the_vocabulary(make_kb) -> None:
    rules = MINI_RULES.replace("walking_load.level, eq: enough", "walking_load.level, eq: plenty")
    problem = only(problems_of(make_kb({"rules/walking.yaml": rules})), "invalid-value")
    assert problem.line == 16 and "'plenty' is not one of enough, low" in problem.message


def test_operator_that_does_not_fit_the_attribute_type(make_kb) -> None:
    rules = MINI_RULES.replace("walk.tired, eq: true", "walk.tired, gt: 1")
    problem = only(problems_of(make_kb({"rules/walking.yaml": rules})), "wrong-operator")
    assert "bool attribute" in problem.message and "eq, ne" in problem.hint


def test_duplicate_rule_ids_across_files(make_kb) -> None:
    extra = MINI_RULES.split("  - id: walking_helps")[0]
    problem = only(problems_of(make_kb({"rules/more.yaml": extra})), "duplicate-rule-id")
    assert problem.file == "rules/walking.yaml"
    assert "already used at rules/more.yaml:2:" in problem.message


def test_conclusion_never_declared(make_kb) -> None:
    rules = MINI_RULES.replace("conclude: walking_may_help", "conclude: walking_might_help")
    problem = only(problems_of(make_kb({"rules/walking.yaml": rules})), "unknown-conclusion")
    assert problem.line == 17 and "did you mean `walking_may_help`?" in problem.hint


def test_derived_fact_never_declared(make_kb) -> None:
    rules = MINI_RULES.replace("derive: {fact: walking_load,", "derive: {fact: walk_load,")
    problem = only(problems_of(make_kb({"rules/walking.yaml": rules})), "unknown-derived-fact")
    assert "did you mean `walking_load`?" in problem.hint


def test_quote_with_hyphen_for_en_dash_is_explained(make_kb) -> None:
    rules = MINI_RULES.replace(
        'quote: "Walking 3–5 times a week"', 'quote: "Walking 3-5 times a week"'
    )
    problem = only(problems_of(make_kb({"rules/walking.yaml": rules})), "quote-not-found")
    assert (problem.file, problem.line, problem.column) == ("rules/walking.yaml", 11, 9)
    assert "closest passage is p1.s1" in problem.message
    assert "the quote's first word matches, then the quote has “3-5”" in problem.message
    assert "“-” (U+002D HYPHEN-MINUS) where the source has “–” (U+2013 EN DASH)" in problem.message


def test_quote_matching_folds_white_space_only(make_kb) -> None:
    rules = MINI_RULES.replace(
        'quote: "Walking 3–5 times a week"', 'quote: "Walking   3–5\\n times a week"'
    )
    assert healthkb.load(make_kb({"rules/walking.yaml": rules}))
    rules = MINI_RULES.replace(
        'quote: "Walking 3–5 times a week"', 'quote: "walking 3–5 times a week"'
    )
    problem = only(
        problems_of(make_kb({"rules/walking.yaml": rules}, name="case")), "quote-not-found"
    )
    assert (
        "the quote starts with “walking” where the source has “Walking”: “w” (U+0077 LATIN "
        "SMALL LETTER W) where the source has “W”" in problem.message
    )


def test_ambiguous_quote_must_be_lengthened(make_kb) -> None:
    source = (Path(__file__).parent.parent / "conftest.py").read_text()
    assert source  # the mini source text has "Rest when tired." once; add a second one
    from conftest import MINI_SOURCE

    doubled = MINI_SOURCE.replace("  Eat well.", "  Eat well. Rest when tired.")
    problems = problems_of(make_kb({"kb/sources/mini.yaml": doubled}))
    ambiguous = [p for p in problems if p.code == "ambiguous-quote"]
    assert ambiguous and "occurs 2 times" in ambiguous[0].message
    assert "(p1.s2, p2.s2)" in ambiguous[0].message


def test_unknown_source_id(make_kb) -> None:
    conclusions = MINI_CONCLUSIONS.replace(
        '- source: mini\n        quote: "Rest', '- source: minni\n        quote: "Rest'
    )
    problem = only(problems_of(make_kb({"kb/conclusions.yaml": conclusions})), "unknown-source")
    assert problem.file == "kb/conclusions.yaml" and "did you mean `mini`?" in problem.hint


def test_a_rule_that_can_never_fire_still_loads(make_kb) -> None:
    # Which rules can fire is proved by `healthkb analyze` (test_analysis.py), which
    # `validate` and `release` run; loading stays fast and does not.
    rules = MINI_RULES.replace("between: [3, 5]", "gt: 14")
    assert healthkb.load(make_kb({"rules/walking.yaml": rules}))


def test_cycle_through_negation_is_refused(make_kb) -> None:
    facts = (
        MINI_FACTS
        + """\
  rested:
    description: Rested.
    attributes:
      rested:
        type: bool
        description: Yes.
"""
    )
    rules = (
        MINI_RULES
        + """\
  - id: rested_unless_enough
    version: 1
    title: Rested unless enough walking
    status: active
    when:
      all:
        - {fact: walk.sessions, ge: 0}
        - not: {fact: walking_load.level, eq: enough}
    then:
      derive: {fact: rested, values: {rested: true}}
    because:
      - source: mini
        quote: "Eat well."
  - id: enough_when_rested
    version: 1
    title: Enough when rested
    status: active
    when: {fact: rested.rested, eq: true}
    then:
      derive: {fact: walking_load, values: {level: enough}}
    because:
      - source: mini
        quote: "Eat well."
"""
    )
    problems = problems_of(make_kb({"kb/facts.yaml": facts, "rules/walking.yaml": rules}))
    cycle = only(problems, "negation-cycle")
    assert "rested_unless_enough" in cycle.message and "depends on `rested`" in cycle.message


def test_overstated_certainty_is_refused(make_kb) -> None:
    conclusions = MINI_CONCLUSIONS.replace(
        "certainty: possible\n    statement: Walking may help.",
        "certainty: established\n    statement: Walking helps.",
    )
    problem = only(
        problems_of(make_kb({"kb/conclusions.yaml": conclusions})), "overstated-certainty"
    )
    assert "its source says “may help”" in problem.message and "`possible`" in problem.hint


def test_hedged_certainty_needs_a_hedged_statement(make_kb) -> None:
    conclusions = MINI_CONCLUSIONS.replace(
        "statement: Walking may help.", "statement: Walking helps."
    )
    problem = only(
        problems_of(make_kb({"kb/conclusions.yaml": conclusions})), "overstated-statement"
    )
    assert problem.line == 5


def test_all_problems_of_a_kb_are_reported_together(make_kb) -> None:
    rules = MINI_RULES.replace("titel", "title").replace(
        "    title: Enough walking", "    titel: Enough walking"
    )
    conclusions = MINI_CONCLUSIONS.replace("kind: warning", "kind: warnung")
    problems = problems_of(
        make_kb({"rules/walking.yaml": rules, "kb/conclusions.yaml": conclusions})
    )
    files = {p.file for p in problems}
    assert files == {"rules/walking.yaml", "kb/conclusions.yaml"}
    assert problems == sorted(problems)


def test_billion_laughs_is_refused_fast(make_kb) -> None:
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 10):
        refs = ",".join([f"*a{i - 1}"] * 10)
        lines.append(f"a{i}: &a{i} [{refs}]")
    root = make_kb({"kb/kb.yaml": "\n".join(lines) + "\n"})
    started = time.perf_counter()
    problem = only(problems_of(root), "yaml-limit")
    assert time.perf_counter() - started < 2
    assert problem.file == "kb/kb.yaml" and "aliases" in problem.message


def test_an_alias_inside_its_own_anchor_is_refused(make_kb) -> None:
    problem = only(problems_of(make_kb({"kb/kb.yaml": "id: &loop [1, *loop]\n"})), "yaml-limit")
    assert (problem.line, problem.column) == (1, 5) and "contains it" in problem.message


def test_python_tags_are_refused(make_kb) -> None:
    root = make_kb({"kb/kb.yaml": "id: !!python/object/apply:os.system ['echo pwned']\n"})
    problem = only(problems_of(root), "yaml-tag")
    assert problem.line == 1 and "python/object/apply" in problem.message


def test_deep_nesting_is_refused(make_kb) -> None:
    root = make_kb({"kb/kb.yaml": "x: " + "[" * 200 + "]" * 200 + "\n"})
    problem = only(problems_of(root), "yaml-limit")
    assert "nesting deeper than" in problem.message


def test_nesting_past_the_parsers_own_limit_is_a_yaml_limit_not_a_crash(make_kb) -> None:
    root = make_kb({"kb/kb.yaml": "x: " + "[" * 5000 + "]" * 5000 + "\n"})
    problem = only(problems_of(root), "yaml-limit")
    assert "nesting deeper than" in problem.message and problem.line == 1


def test_deep_nesting_through_an_alias_is_refused(make_kb) -> None:
    deep = "[" * 40 + "1" + "]" * 40
    root = make_kb({"kb/kb.yaml": f"a: &deep {deep}\nb: {'[' * 40}*deep{']' * 40}\n"})
    problem = only(problems_of(root), "yaml-limit")
    assert "nesting deeper than" in problem.message


def test_loading_leaves_the_garbage_collector_as_it_was(make_kb) -> None:
    healthkb.load(make_kb())
    assert gc.isenabled()
    with pytest.raises(healthkb.KBError):
        healthkb.load(make_kb({"kb/kb.yaml": "id: [\n"}, name="broken"))
    assert gc.isenabled()
    gc.disable()
    try:
        healthkb.load(make_kb(name="again"))
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_duplicate_keys_are_refused(make_kb) -> None:
    rules = MINI_RULES.replace(
        "    version: 1\n    title: Enough walking",
        "    version: 1\n    version: 2\n    title: Enough walking",
    )
    problem = only(problems_of(make_kb({"rules/walking.yaml": rules})), "duplicate-key")
    assert problem.line == 4


def test_non_utf8_file_is_refused(make_kb) -> None:
    root = make_kb()
    (root / "kb" / "kb.yaml").write_bytes(b"id: \xff\xfe\n")
    assert only(problems_of(root), "not-utf8").file == "kb/kb.yaml"


def test_a_folder_without_a_kb(tmp_path: Path) -> None:
    problem = only(problems_of(tmp_path), "not-a-kb")
    assert "`kb/` and `rules/`" in problem.hint


def test_numbers_the_engine_cannot_read_are_refused(make_kb) -> None:
    facts = MINI_FACTS.replace(
        "        type: integer\n        min: 0\n        max: 14",
        "        type: number\n        min: 0\n        max: 14",
    )
    rules = MINI_RULES.replace("between: [3, 5]", "gt: 0.00001")
    problem = only(
        problems_of(make_kb({"kb/facts.yaml": facts, "rules/walking.yaml": rules})), "number-format"
    )
    assert "1e-05" in problem.message


UNBOUNDED_FACTS = MINI_FACTS.replace("        min: 0\n        max: 14\n", "")


@pytest.mark.parametrize(
    "number", [2**53, -(2**53), 10**20, 10**400], ids=["2^53", "-2^53", "10^20", "10^400"]
)
def test_a_whole_number_the_engine_would_compare_wrongly_is_refused_in_a_rule(
    make_kb, number: int
) -> None:
    # durable_rules reads 10^20 as the largest 64-bit integer: `gt: 10^20` would never hold.
    rules = MINI_RULES.replace("between: [3, 5]", f"ge: {number}")
    root = make_kb({"kb/facts.yaml": UNBOUNDED_FACTS, "rules/walking.yaml": rules})
    problem = only(problems_of(root), "invalid-value")
    assert (problem.file, problem.line) == ("rules/walking.yaml", 6)
    assert "is beyond the whole numbers the rule engine compares exactly" in problem.message
    assert "(from -(2^53 - 1) to 2^53 - 1)" in problem.message


def test_a_bound_beyond_the_whole_numbers_the_engine_compares_is_refused(make_kb) -> None:
    facts = MINI_FACTS.replace("max: 14", "max: 100000000000000000000")
    problem = only(problems_of(make_kb({"kb/facts.yaml": facts})), "invalid-value")
    assert (problem.file, problem.line) == ("kb/facts.yaml", 8)
    assert problem.hint == "use a whole number from -(2^53 - 1) to 2^53 - 1, or leave `max` out"


def test_a_large_threshold_of_an_unbounded_number_can_be_met(make_kb) -> None:
    # Tried with 1e-6 on either side, `lt: 10^15` looked unmeetable: 10^15 - 1e-6 == 10^15.
    facts = UNBOUNDED_FACTS.replace("type: integer", "type: number")
    rules = MINI_RULES.replace("between: [3, 5]", "lt: 1000000000000000")
    kb = healthkb.load(make_kb({"kb/facts.yaml": facts, "rules/walking.yaml": rules}))
    assert kb.evaluate({"walk": {"sessions": 999999999999999.9}}).conclusion_ids == [
        "walking_may_help"
    ]


def test_yes_as_a_key_is_explained(make_kb) -> None:
    facts = MINI_FACTS.replace("      tired:\n", "      yes:\n")
    problem = only(problems_of(make_kb({"kb/facts.yaml": facts})), "yaml-key")
    assert "key `yes` is read as bool" in problem.message and '"yes"' in problem.hint


def test_a_typo_in_a_source_file_is_one_problem_not_one_per_citation(make_kb) -> None:
    source = MINI_SOURCE.replace("text: |-", "txt: |-")
    problems = problems_of(make_kb({"kb/sources/mini.yaml": source}))
    # Not "no source files found", nor an unknown-source for each of the 5 citations.
    assert [str(p) for p in problems] == [
        "kb/sources/mini.yaml:7:1: unknown-key: unknown key `txt` (did you mean `text`?)"
    ]


def test_a_source_file_that_cannot_be_parsed_hides_unknown_source_problems(make_kb) -> None:
    source = MINI_SOURCE.replace("title: A tiny article", 'title: "A tiny article')
    problems = problems_of(make_kb({"kb/sources/mini.yaml": source}))
    assert [p.code for p in problems] == ["yaml-syntax"]


def test_a_citation_of_a_source_that_never_existed_is_still_reported(make_kb) -> None:
    source = MINI_SOURCE.replace("language: en", "language: english!")
    conclusions = MINI_CONCLUSIONS.replace(
        '- source: mini\n        quote: "Rest', '- source: minni\n        quote: "Rest'
    )
    problems = problems_of(
        make_kb({"kb/sources/mini.yaml": source, "kb/conclusions.yaml": conclusions})
    )
    assert [(p.file, p.code) for p in problems] == [
        ("kb/conclusions.yaml", "unknown-source"),
        ("kb/sources/mini.yaml", "invalid-value"),
    ]


def test_an_empty_sources_folder_has_no_sources(make_kb) -> None:
    root = make_kb()
    (root / "kb" / "sources" / "mini.yaml").unlink()
    problems = problems_of(root)
    assert str(only(problems, "no-sources")) == (
        "kb/sources: no-sources: no source files found (add the article the KB encodes as "
        "`kb/sources/<id>.yaml`)"
    )
    assert [p.code for p in problems].count("unknown-source") == 5


def test_a_mistake_in_one_conclusion_does_not_make_rules_conclude_unknown_ones(make_kb) -> None:
    conclusions = MINI_CONCLUSIONS.replace("kind: warning", "kind: 5")
    problems = problems_of(make_kb({"kb/conclusions.yaml": conclusions}))
    assert [str(p) for p in problems] == [
        "kb/conclusions.yaml:10:5: invalid-value: the number 5 is not a valid `kind` (expected "
        "one of `outcome`, `recommendation`, `warning`, `information`)"
    ]


def test_a_rule_concluding_a_conclusion_that_never_existed_is_still_reported(make_kb) -> None:
    conclusions = MINI_CONCLUSIONS.replace("kind: warning", "kind: 5")
    rules = MINI_RULES.replace("conclude: walking_may_help", "conclude: walking_might_help")
    problems = problems_of(
        make_kb({"kb/conclusions.yaml": conclusions, "rules/walking.yaml": rules})
    )
    assert [p.code for p in problems] == ["invalid-value", "unknown-conclusion"]
