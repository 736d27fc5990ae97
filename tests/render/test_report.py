"""The auditors' HTML report site and explain page, read back without a browser."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

import healthkb
from healthkb.cli import main
from healthkb.content.sources import SourceText
from healthkb.editing.passages import coverage
from healthkb.editing.report_data import gather_report
from healthkb.render.html import Highlight, article_html
from healthkb.render.html_explain import explanation_page, tree_citations, why_not_page
from healthkb.render.report import build_report, write_report
from support.htmlcheck import broken_links, parse

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "kb" / "examples"

SOURCE = """\
id: mini
title: A tiny article
publisher: Test Press
author: A. Writer
published: 2025-01-01
language: en
text: |-
  Walking 3–5 times a week may help. Rest when tired.
  Eat well.
  Buy our shoes today.
left_out:
  - quote: "Buy our shoes today."
    reason: Advertisement, not guidance.
"""

CASES = """\
cases:
  - name: walks_four_times
    description: Four walks a week.
    profile: {walk: {sessions: 4}}
    expect: {conclusions: [walking_may_help]}
"""


@pytest.fixture
def mini(make_kb: Callable[..., Path]) -> Path:
    return make_kb({"kb/sources/mini.yaml": SOURCE, "kb/tests/walking.yaml": CASES})


def test_report_writes_an_index_findings_a_page_per_source_and_a_page_per_rule(
    mini: Path, tmp_path: Path
) -> None:
    out = tmp_path / "site"
    written = write_report(gather_report(healthkb.load(mini)), out)
    names = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert names == [
        "findings.html",
        "index.html",
        "rules/enough_walking.html",
        "rules/rest_when_tired.html",
        "rules/walking_helps.html",
        "sources/mini.html",
    ]
    assert sorted(written) == sorted(out / n for n in names)


def test_source_page_marks_every_passage_left_out_reason_and_untouched_text(mini: Path) -> None:
    kb = healthkb.load(mini)
    page = parse(build_report(gather_report(kb))["sources/mini.html"])
    cov = coverage(kb.content)["mini"]
    assert [p.quote for p in cov.encoded] == [
        "Walking 3–5 times a week may help.",
        "Walking 3–5 times a week",
        "may help",
        "Rest when tired.",
    ]
    for passage in cov.passages:
        assert page.mark(passage.id).text == passage.quote
    left_out = page.mark(cov.left_out[0].id)
    assert left_out.css_class == "left-out"
    assert left_out.title == "left out: Advertisement, not guidance."
    assert "left out: Advertisement, not guidance." in " ".join(page.text.split())
    assert [s.text for s in cov.untouched] == ["Eat well."]
    assert (
        '<span class="untouched" title="not encoded, not left out">Eat well.</span>'
        in (build_report(gather_report(kb))["sources/mini.html"])
    )


def test_passage_notes_link_each_passage_to_the_rules_and_conclusions_citing_it(
    mini: Path,
) -> None:
    html = build_report(gather_report(healthkb.load(mini)))["sources/mini.html"]
    assert (
        '<li><a href="#passage-mini-35-51">p1.s2</a> “Rest when tired.” — cited by conclusion '
        '<a href="../index.html#conclusion-rest">rest</a>; rule '
        '<a href="../rules/rest_when_tired.html">rest_when_tired</a></li>'
    ) in html


def test_crossing_passages_nest_and_only_the_first_piece_carries_the_id() -> None:
    text = SourceText("Walking 3–5 times a week may help. Rest.\nEat well.")
    marks = [
        Highlight(0, 34, "a", "encoded", "A"),
        Highlight(0, 24, "b", "encoded", "B"),
        Highlight(20, 40, "c", "encoded", "C"),
    ]
    assert article_html(text, marks, untouched=[(41, 50)]) == (
        '<div class="article">\n'
        '<p id="p1"><a class="anchor" href="#p1">p1</a>\n'
        '<mark id="a" class="encoded" title="A"><mark id="b" class="encoded" title="B">'
        'Walking 3–5 times a <mark id="c" class="encoded" title="C">week</mark></mark>'
        '<mark class="encoded continued" title="C"> may help.</mark></mark>'
        '<mark class="encoded continued" title="C"> Rest.</mark>\n'
        "</p>\n"
        '<p id="p2"><a class="anchor" href="#p2">p2</a>\n'
        '<span class="untouched" title="not encoded, not left out">Eat well.</span>\n'
        "</p>\n"
        "</div>"
    )


def test_rule_page_shows_conditions_outcome_citations_and_covering_cases(mini: Path) -> None:
    pages = build_report(gather_report(healthkb.load(mini)))
    enough = pages["rules/enough_walking.html"]
    assert "<code>walk.sessions</code> is between 3 and 5</div>" in enough
    assert "derives <code>walking_load</code> {&quot;level&quot;: &quot;enough&quot;}" in enough
    assert '<a href="../sources/mini.html#passage-mini-0-24">mini p1.s1</a>' in enough
    assert '<a href="../index.html#case-walks_four_times">walks_four_times</a>' in enough
    helps = pages["rules/walking_helps.html"]
    assert '(derived by <a href="enough_walking.html">enough_walking</a>)' in helps
    rest = pages["rules/rest_when_tired.html"]
    assert "No test case makes this rule fire." in rest
    assert 'concludes <a href="../index.html#conclusion-rest">rest</a>' in rest


def test_every_link_of_the_bundled_kb_report_resolves(
    kb: healthkb.KnowledgeBase, tmp_path: Path
) -> None:
    out = tmp_path / "site"
    write_report(gather_report(kb), out)
    for page in sorted(out.rglob("*.html")):
        parsed = parse(page.read_text(encoding="utf-8"))
        assert parsed.hrefs, page
        assert broken_links(page, parsed) == [], page
        assert len(parsed.ids) == len(set(parsed.ids)), f"duplicate ids in {page}"


def test_same_kb_in_another_folder_gives_byte_identical_site(mini: Path, tmp_path: Path) -> None:
    copy = tmp_path / "elsewhere"
    shutil.copytree(mini, copy)
    first, second = tmp_path / "one", tmp_path / "two"
    write_report(gather_report(healthkb.load(mini)), first)
    write_report(gather_report(healthkb.load(copy)), second)
    files = sorted(p.relative_to(first) for p in first.rglob("*.html"))
    assert files == sorted(p.relative_to(second) for p in second.rglob("*.html"))
    for name in files:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name


def test_rewriting_a_report_removes_the_page_of_a_deleted_rule_and_nothing_else(
    mini: Path, tmp_path: Path
) -> None:
    out = tmp_path / "site"
    write_report(gather_report(healthkb.load(mini)), out)
    rules = mini / "rules" / "walking.yaml"
    text = rules.read_text(encoding="utf-8")
    rules.write_text(text[: text.index("  - id: rest_when_tired")], encoding="utf-8")
    # Hand-placed files, in the site's own folders too, are the auditor's, not the site's.
    mine = {
        out / "notes.txt": "mine",
        out / "rules" / "my_annotations.html": "<p>my notes on the rules</p>",
        out / "sources" / "article_as_printed.html": "<!DOCTYPE html><title>scan</title>",
    }
    for path, text in mine.items():
        path.write_text(text, encoding="utf-8")
    assert (out / "rules" / "rest_when_tired.html").is_file()
    write_report(gather_report(healthkb.load(mini)), out)
    assert not (out / "rules" / "rest_when_tired.html").exists()
    assert (out / "rules" / "walking_helps.html").is_file()
    for path, text in mine.items():
        assert path.read_text(encoding="utf-8") == text


HOSTILE_SOURCE = """\
id: mini
title: "Tags <b>bold</b> & \\"quotes\\""
publisher: Test Press
author: A. Writer
published: 2025-01-01
language: en
text: |-
  Walking 3–5 times a week may help. Rest when tired.
  Never run <script>alert("x")</script> at night.
"""

HOSTILE_RULE = """\
  - id: night
    version: 1
    title: "Night <img src=x onerror=alert(1)>"
    status: active
    when: {fact: walk.tired, eq: true}
    then: {conclude: rest}
    because:
      - source: mini
        quote: 'Never run <script>alert("x")</script> at night.'
"""


def test_markup_in_quotes_and_titles_renders_as_text(
    make_kb: Callable[..., Path], tmp_path: Path
) -> None:
    from conftest import MINI_RULES

    root = make_kb(
        {"kb/sources/mini.yaml": HOSTILE_SOURCE, "rules/walking.yaml": MINI_RULES + HOSTILE_RULE}
    )
    kb = healthkb.load(root)
    pages = build_report(gather_report(kb))
    result = kb.evaluate({"walk": {"tired": True}})
    tree = result.why_not("walking_may_help").to_dict()
    pages["why-not.html"] = why_not_page(tree, kb.content, result.profile)
    pages["explain.html"] = explanation_page(
        result.explain("rest").to_dict(), kb.content, result.profile
    )
    for name, html in pages.items():
        assert "<script" not in html, name
        assert "<img" not in html, name
        assert "<b>" not in html, name
    night = pages["rules/night.html"]
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in night
    assert "Night &lt;img src=x onerror=alert(1)&gt;" in night
    assert "Tags &lt;b&gt;bold&lt;/b&gt; &amp; &quot;quotes&quot;" in pages["index.html"]
    source = parse(pages["sources/mini.html"])
    assert 'Never run <script>alert("x")</script> at night.' in [m.text for m in source.marks]


# --- the explain page ------------------------------------------------------------------


def test_explain_page_holds_every_quote_of_the_proof_and_its_highlighted_passage(
    kb: healthkb.KnowledgeBase, tmp_path: Path
) -> None:
    result = kb.evaluate_file(EXAMPLES / "meets_conditions.yaml")
    tree = result.explain("thigh_buttock_fat_may_decrease").to_dict()
    html = explanation_page(tree, kb.content, result.profile)
    parsed = parse(html)
    citations = list(tree_citations(tree))
    assert len(citations) == 6
    for citation in citations:
        assert f"“{citation['quote']}”" in parsed.text
        target = f"passage-{citation['source']}-{citation['start']}-{citation['end']}"
        assert f"#{target}" in parsed.hrefs
        assert parsed.mark(target).text == citation["quote"]
    page = tmp_path / "explain.html"
    page.write_text(html, encoding="utf-8")
    assert broken_links(page, parsed) == []
    assert parsed.tags["details"] >= 5
    assert html == explanation_page(tree, kb.content, result.profile)


def test_why_not_page_holds_every_quote_of_the_failed_rules(
    kb: healthkb.KnowledgeBase, tmp_path: Path
) -> None:
    result = kb.evaluate_file(EXAMPLES / "meets_conditions.yaml")
    tree = result.why_not("thigh_buttock_fat_may_not_decrease").to_dict()
    html = why_not_page(tree, kb.content, result.profile)
    parsed = parse(html)
    citations = list(tree_citations(tree))
    assert citations
    for citation in citations:
        assert f"“{citation['quote']}”" in parsed.text
    assert "failed: no rule derived a matching fact" in " ".join(parsed.text.split())
    page = tmp_path / "why-not.html"
    page.write_text(html, encoding="utf-8")
    assert broken_links(page, parsed) == []


# --- the command line ------------------------------------------------------------------


def test_report_command_writes_the_site_and_says_where(
    mini: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["report", str(mini), "--out", str(tmp_path / "site")]) == 0
    assert (tmp_path / "site" / "index.html").is_file()
    assert "wrote 6 pages" in capsys.readouterr().out


def test_report_command_into_a_missing_folder_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["report", "--out", str(tmp_path / "no" / "site")]) == 2
    assert "does not exist" in capsys.readouterr().err
    (tmp_path / "file").write_text("x", encoding="utf-8")
    assert main(["report", "--out", str(tmp_path / "file")]) == 2


def test_explain_html_is_printed_or_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    profile = str(EXAMPLES / "discomfort.yaml")
    assert main(["explain", profile, "--conclusion", "stop_and_rest", "--format", "html"]) == 0
    printed = capsys.readouterr().out
    assert printed.startswith("<!DOCTYPE html>") and "Why <code>stop_and_rest</code>?" in printed
    out = tmp_path / "why.html"
    args = ["explain", profile, "--conclusion", "stop_and_rest", "--format", "html"]
    assert main([*args, "--out", str(out)]) == 0
    assert out.read_text(encoding="utf-8") == printed
    assert main([*args, "--why-not", "--out", str(tmp_path / "not.html")]) == 0
    assert "was reached" in (tmp_path / "not.html").read_text(encoding="utf-8")


def test_explain_html_usage_errors_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    profile = str(EXAMPLES / "discomfort.yaml")
    base = ["explain", profile, "--format", "html"]
    assert main([*base, "--conclusion", "no_such_conclusion"]) == 2
    assert "unknown conclusion `no_such_conclusion`" in capsys.readouterr().err
    missing = str(tmp_path / "missing" / "page.html")
    assert main([*base, "--conclusion", "stop_and_rest", "--out", missing]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_the_findings_page_shows_each_finding_with_its_witness_and_the_silences(
    tmp_path: Path,
) -> None:
    from support.analysis_kbs import SEED_CONFLICT, seed_copy

    root = seed_copy(tmp_path / "kb", SEED_CONFLICT)
    out = tmp_path / "site"
    write_report(gather_report(healthkb.load(root)), out)
    findings = parse((out / "findings.html").read_text(encoding="utf-8"))
    text = " ".join(findings.text.split())
    # The planted rule also reaches three of the seed's declared silences (warnings).
    assert "1 error(s), 3 warning(s)" in text
    assert "silence `running_routine_not_described` says the sources are silent" in text
    assert "one profile can be told both `thigh_buttock_fat_may_decrease`" in text
    assert '"sessions_per_week": 3' in text  # the witness
    assert "rules/frequent_running_fat_may_not_decrease.html" in findings.hrefs
    # The seed's four intended silences, each with its reason and its passage.
    for silence in ("running_routine_not_described", "adequate_running_uncontrolled_diet"):
        assert f"silence-{silence}" in findings.ids
    assert any(h.startswith("sources/cainiu-2025-running-thigh-fat.html#") for h in findings.hrefs)
    assert broken_links(out / "findings.html", findings) == []
    index = parse((out / "index.html").read_text(encoding="utf-8"))
    assert "analysis1error(s),3warning(s)" in "".join(index.text.split())
    assert "findings.html" in index.hrefs
