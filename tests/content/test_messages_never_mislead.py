"""Messages that never mislead: a hint keeps what the editor meant, one mistake gives
one problem, and the problem says where the mistake is."""

from __future__ import annotations

from conftest import MINI_RULES
from healthkb.content.loading.loader import read_content
from healthkb.editing.kb_validation import check_kb
from healthkb.editing.release import write_lock


def problems(make_kb, rules: str) -> list[tuple[int, int, str, str, str]]:
    root = make_kb({"rules/walking.yaml": rules})
    return [(p.line, p.column, p.code, p.message, p.hint) for p in check_kb(root).problems]


def test_gte_is_offered_ge_never_gt(make_kb) -> None:
    rules = MINI_RULES.replace("between: [3, 5]", "gte: 3")
    found = problems(make_kb, rules)
    assert [(code, message, hint) for _, _, code, message, hint in found] == [
        ("unknown-key", "unknown key `gte`", "did you mean `ge` (at least)?")
    ]


def test_lte_is_offered_le(make_kb) -> None:
    found = problems(make_kb, MINI_RULES.replace("between: [3, 5]", "lte: 5"))
    assert [hint for *_, hint in found] == ["did you mean `le` (at most)?"]


def test_then_indented_under_when_is_one_problem_naming_its_line(make_kb) -> None:
    rules = MINI_RULES.replace(
        "    when: {fact: walk.tired, eq: true}\n    then: {conclude: rest}\n",
        "    when:\n      all: [{fact: walk.tired, eq: true}]\n      then: {conclude: rest}\n",
    )
    assert problems(make_kb, rules) == [
        (
            27,
            7,
            "over-indented",
            "`then:` is indented under `when:` (line 25), so the rule has no `then`",
            "move `then:` and what is under it left, to line up with `when:`",
        )
    ]


def test_a_rule_id_used_in_two_files_is_one_problem(make_kb) -> None:
    # A released rule copied into another file and edited there: the duplicate id is
    # the mistake, not a change of the released rule without a new version.
    root = make_kb()
    write_lock(read_content(root))
    copy = "rules:\n" + MINI_RULES.split("rules:\n", 1)[1].split("  - id: walking_helps")[0]
    copy = copy.replace("title: Enough walking", "title: Enough walking again").replace(
        'quote: "Walking 3–5 times a week"\n',
        'quote: "Walking 3–5 times a week"\n        interpretation: A copy.\n',
    )
    (root / "rules/again.yaml").write_text(copy, encoding="utf-8")
    assert [(p.file, p.code) for p in check_kb(root).problems] == [
        ("rules/walking.yaml", "duplicate-rule-id")
    ]
