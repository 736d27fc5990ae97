"""Work the checks share across rules (issue 23: a quote resolved once, a comparison's
operator worked out when it is validated) still reports each rule's own problem."""

from __future__ import annotations

from pathlib import Path

from conftest import MINI_RULES
from healthkb.content.loading.loader import check_content
from healthkb.content.rule_model import Comparison
from healthkb.editing.kb_validation import check_kb

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
