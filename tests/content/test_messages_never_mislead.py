"""Messages that never mislead: a hint keeps what the editor meant, one mistake gives
one problem, and the problem says where the mistake is."""

from __future__ import annotations

from conftest import MINI_FACTS, MINI_RULES
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


def test_a_misspelled_attribute_in_the_vocabulary_is_pointed_at_from_its_uses(make_kb) -> None:
    # kb/facts.yaml misspells `sessions`: the rule that spells it right is not only told
    # to copy the typo ("did you mean `sesions`?"), it is pointed at the declaration,
    # which nothing else uses, to correct it there once.
    root = make_kb({"kb/facts.yaml": MINI_FACTS.replace("      sessions:\n", "      sesions:\n")})
    (problem,) = [p for p in check_kb(root).problems if p.file == "rules/walking.yaml"]
    assert (problem.line, problem.code, problem.message) == (
        6,
        "unknown-attribute",
        "fact `walk` has no attribute `sessions`",
    )
    assert problem.hint == (
        "did you mean `sesions`? attribute `walk.sesions` is declared in kb/facts.yaml but "
        "nothing else uses it: if the declaration is the misspelled one, correct it there, once"
    )
    assert problem.see == ("kb/facts.yaml:5:7 (attribute `walk.sesions` is declared here)",)
    assert str(problem).endswith(
        "\n  see: kb/facts.yaml:5:7 (attribute `walk.sesions` is declared here)"
    )
    assert problem.to_dict()["see"] == list(problem.see)


def test_a_misspelled_fact_in_the_vocabulary_is_pointed_at_from_its_uses(make_kb) -> None:
    root = make_kb({"kb/facts.yaml": MINI_FACTS.replace("  walk:\n", "  wlak:\n")})
    found = [p for p in check_kb(root).problems if p.file == "rules/walking.yaml"]
    assert len(found) == 2 and {p.code for p in found} == {"unknown-fact"}
    assert {p.see for p in found} == {("kb/facts.yaml:2:3 (fact `wlak` is declared here)",)}


def test_a_misspelling_in_a_rule_is_offered_the_declared_name_in_use(make_kb) -> None:
    # `walk.tired` is used by another rule: the declaration is right, the rule is not.
    rules = MINI_RULES.replace("when: {fact: walk.sessions", "when: {fact: walk.sesions")
    rules += (
        "  - id: tired_walkers\n    version: 1\n    title: Rest when tired\n    status: active\n"
        "    when: {fact: walk.sessions, between: [3, 5]}\n    then: {conclude: rest}\n"
        '    because:\n      - source: mini\n        quote: "Walking 3–5 times a week"\n'
    )
    (problem,) = check_kb(make_kb({"rules/walking.yaml": rules})).problems
    assert (problem.code, problem.hint, problem.see) == (
        "unknown-attribute",
        "did you mean `sessions`?",
        (),
    )
