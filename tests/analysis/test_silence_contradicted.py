"""A declared silence that a rule now reaches is reported, with a witness, by `analyze`
and `validate`, and `release` refuses it unless accepted."""

from __future__ import annotations

from conftest import MINI_RULES, MINI_SILENCES
from healthkb.analysis.analyze import analyze
from healthkb.content.loading.loader import read_content

# A second source says that rest helps tired people, walkers or not.
RESTING = """\
  - id: resting_helps
    version: 1
    title: Rest may help the tired
    status: active
    when: {fact: walk.tired, eq: true}
    then: {conclude: walking_may_help}
    because:
      - source: mini
        quote: "Rest when tired."
"""


def findings(make_kb, rules: str) -> list:
    root = make_kb({"kb/silences.yaml": MINI_SILENCES, "rules/walking.yaml": rules})
    return [f for f in analyze(read_content(root)).findings if f.kind == "silence-contradicted"]


def test_a_rule_reaching_a_declared_silence_is_reported_with_a_witness(make_kb) -> None:
    (finding,) = findings(make_kb, MINI_RULES + RESTING)
    assert finding.message == (
        "silence `never_walks` says the sources are silent about `walking_may_help` here, "
        "but rule `resting_helps` concludes it for such a profile"
    )
    assert finding.severity == "warning"
    assert finding.witness is not None
    assert finding.witness["walk"]["sessions"] == 0 and finding.witness["walk"]["tired"] is True


def test_a_silence_no_rule_reaches_is_not_reported(make_kb) -> None:
    assert findings(make_kb, MINI_RULES) == []
