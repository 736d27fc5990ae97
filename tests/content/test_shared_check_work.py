"""Work the checks share across rules (issue 23: a quote resolved once, a comparison's
operator worked out when it is validated) still reports each rule's own problem."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from conftest import MINI_FACTS, MINI_RULES
from healthkb.content.checks.stratification import stratify_rules
from healthkb.content.loading.loader import check_content
from healthkb.content.located_items import Placed
from healthkb.content.logic import to_dnf
from healthkb.content.model import Vocabulary
from healthkb.content.rule_model import Comparison, Rule
from healthkb.editing.kb_validation import check_kb
from healthkb.files.yaml_reader import Located

# A second rule citing what `rest_when_tired` cites, word for word.
RESTING = """\
  - id: rest_more
    version: 1
    title: Rest more
    status: active
    when: {fact: walk.tired, eq: true}
    then: {conclude: rest}
    because:
      - source: mini
        quote: "QUOTE"
"""


def _problems(root: Path) -> list[str]:
    return [f"{p.line}:{p.code}" for p in check_kb(root).problems]


def test_a_quote_cited_by_two_rules_resolves_for_both(make_kb) -> None:
    rules = MINI_RULES + RESTING.replace("QUOTE", "Rest when tired.")
    root = make_kb({"rules/walking.yaml": rules})
    checked = check_content(root)
    assert checked.problems == []
    assert checked.content is not None
    assert ("mini", "Rest when tired.") in checked.content.citations.resolved


def test_a_quote_not_found_is_reported_at_every_rule_citing_it(make_kb) -> None:
    rules = MINI_RULES.replace('"Rest when tired."', '"Rest when weary."')
    root = make_kb({"rules/walking.yaml": rules + RESTING.replace("QUOTE", "Rest when weary.")})
    assert _problems(root) == ["29:quote-not-found", "38:quote-not-found"]


def test_an_unknown_source_is_reported_at_every_rule_citing_it(make_kb) -> None:
    rules = (MINI_RULES + RESTING.replace("QUOTE", "Rest when tired.")).replace(
        'source: mini\n        quote: "Rest', 'source: maxi\n        quote: "Rest'
    )
    assert _problems(make_kb({"rules/walking.yaml": rules})) == [
        "28:unknown-source",
        "37:unknown-source",
    ]


def test_a_comparison_knows_its_operator_whether_validated_or_constructed() -> None:
    for data in (
        {"fact": "walk.sessions", "between": [3, 5]},
        {"fact": "walk.tired", "eq": False},
        {"fact": "walk.kind", "in": ["brisk", "slow"]},
    ):
        validated = Comparison.model_validate(data)
        constructed = Comparison.model_construct(**data)  # nothing worked out in advance
        for name in ("op", "value", "fact_type", "attribute"):
            assert getattr(validated, name) == getattr(constructed, name), name
        assert validated.model_dump() == Comparison.model_validate(data).model_dump()


def _placed_rule(rule_id: str, when: dict[str, Any], then: dict[str, Any]) -> Placed[Rule]:
    rule = Rule.model_validate(
        {
            "id": rule_id,
            "version": 1,
            "title": rule_id,
            "status": "active",
            "when": when,
            "then": then,
            "because": [{"source": "mini", "quote": "Rest when tired."}],
        }
    )
    return Placed(rule, Located("rules/chain.yaml", {}, {}), ())


def test_strata_follow_a_chain_of_negations_given_from_its_end() -> None:
    """A fact's stratum is kept until one of its producers moves: the rules come last to
    first, so each stratum is known only after the rules testing it were seen."""
    on = {"on": {"type": "bool", "description": "On."}}
    vocabulary = Vocabulary.model_validate(
        {
            "input": {"walk": {"description": "Walk.", "attributes": {"tired": on["on"]}}},
            "derived": {
                name: {"description": name, "attributes": on} for name in ("d1", "d2", "d3")
            },
        }
    )
    rules = [
        _placed_rule("r4", {"not": {"fact": "d3.on", "eq": True}}, {"conclude": "rest"}),
        _placed_rule(
            "r3", {"fact": "d2.on", "eq": True}, {"derive": {"fact": "d3", "values": {"on": True}}}
        ),
        _placed_rule(
            "r2",
            {"not": {"fact": "d1.on", "eq": True}},
            {"derive": {"fact": "d2", "values": {"on": True}}},
        ),
        _placed_rule(
            "r1",
            {"fact": "walk.tired", "eq": True},
            {"derive": {"fact": "d1", "values": {"on": True}}},
        ),
    ]
    dnf = {placed.item.id: to_dnf(placed.item.when) for placed in rules}
    stratification = stratify_rules(rules, dnf, vocabulary)
    assert stratification.problems == []
    assert stratification.strata == {"r4": 2, "r3": 1, "r2": 1, "r1": 0}


def test_a_wrong_test_shared_by_rules_is_reported_at_each_after_a_right_one(make_kb) -> None:
    """References are checked once per distinct test and outcome; a wrong one is still
    reported at every rule that has it, and `eq: 1` is not taken for `eq: true`."""
    wrong = RESTING.replace("eq: true}", "eq: 1}").replace("conclude: rest}", "conclude: rests}")
    rules = (
        MINI_RULES
        + RESTING.replace("QUOTE", "Rest when tired.")
        + wrong.replace("rest_more", "rest_again").replace("QUOTE", "Rest when tired.")
        + wrong.replace("rest_more", "rest_twice").replace("QUOTE", "Rest when tired.")
    )
    assert _problems(make_kb({"rules/walking.yaml": rules})) == [
        "43:invalid-value",
        "44:unknown-conclusion",
        "52:invalid-value",
        "53:unknown-conclusion",
    ]


def test_a_comparison_counts_its_operators_however_it_is_written() -> None:
    """The validator looks only at the one operator written beside `fact`, when that is
    all there is; an operator written as null still counts as not given."""
    for data, op in (
        ({"fact": "walk.sessions", "gt": None, "lt": 3}, "lt"),
        ({"fact": "walk.kind", "in": ["brisk"]}, "in"),
        ({"fact": "walk.kind", "not_in": ["slow"], "eq": None}, "not_in"),
    ):
        assert Comparison.model_validate(data).op == op
    for data, found in (
        ({"fact": "walk.sessions", "gt": None}, "none"),
        ({"fact": "walk.sessions"}, "none"),
        ({"fact": "walk.sessions", "gt": 1, "lt": 3}, "lt, gt"),
        ({"fact": "walk.kind", "contains_any": ["a"], "in": ["b"]}, "in, contains_any"),
    ):
        with pytest.raises(ValidationError, match=f"exactly one operator .*; found {found}\n"):
            Comparison.model_validate(data)


def test_a_value_right_for_one_attribute_is_checked_again_for_another(make_kb) -> None:
    """Tests are remembered by what their attribute allows: `ge: 10` fits sessions of 0
    to 14, and is still out of range for laps of 0 to 5, whatever came first."""
    laps = "      laps:\n        type: integer\n        min: 0\n        max: 5\n"
    laps += "        description: Laps.\n"
    facts = MINI_FACTS.replace("      tired:\n", f"{laps}      tired:\n")
    for first, second in (("sessions", "laps"), ("laps", "sessions")):
        tests = f"all: [{{fact: walk.{first}, ge: 10}}, {{fact: walk.{second}, ge: 10}}]"
        rules = MINI_RULES.replace("when: {fact: walk.tired, eq: true}", f"when:\n      {tests}")
        root = make_kb({"kb/facts.yaml": facts, "rules/walking.yaml": rules}, name=first)
        invalid = [p for p in check_kb(root).problems if p.code == "invalid-value"]
        assert [p.message for p in invalid] == ["`walk.laps`: 10 is above the maximum 5"]
