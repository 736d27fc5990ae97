"""The report counts and shades what `healthkb coverage` counts, sentence by sentence,
and renders what editors write (retired rules, interpretations, the changelog) cleanly;
`validate` notes a title that no longer names every source."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import healthkb
from conftest import MINI_CONCLUSIONS, MINI_MANIFEST, MINI_RULES, MINI_SOURCE
from healthkb.cli import main
from healthkb.editing.report_data import gather_report
from healthkb.render.report import build_report

# "Rest when tired, and drink water.": the rule quotes only its first words, so the
# claim added after them is untouched text.
SOURCE = MINI_SOURCE.replace("Rest when tired.", "Rest when tired, and drink water.")
FILES = {
    "kb/sources/mini.yaml": SOURCE,
    "kb/conclusions.yaml": MINI_CONCLUSIONS.replace('"Rest when tired."', '"Rest when tired"'),
    "rules/walking.yaml": MINI_RULES.replace('"Rest when tired."', '"Rest when tired"'),
}


@pytest.fixture
def partly(make_kb) -> Path:
    return make_kb(FILES)


def test_a_claim_added_to_a_quoted_sentence_is_untouched_text(partly, capsys) -> None:
    assert main(["coverage", str(partly), "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    sentence = next(s for s in report["sentences"] if s["anchor"] == "p1.s2")
    assert (sentence["status"], sentence["untouched_parts"]) == ("partly", [", and drink water."])
    assert report["summary"]["sources"]["mini"] == {
        "total": 3,
        "encoded": 1,
        "left_out": 0,
        "partly": 1,
        "untouched": 1,
        "percent": 33.3,
    }
    assert main(["coverage", str(partly)]) == 0
    out = capsys.readouterr().out
    assert (
        "  p1.s2   PARTLY     “Rest when tired, and drink water.”\n"
        "                     by rules rest_when_tired\n"
        "                     by conclusions rest\n"
        "                     untouched: “, and drink water.”\n"
    ) in out
    assert out.splitlines()[-2] == (
        "sentences: 1 of 3 accounted for (33.3%): 1 encoded, 0 left out, 1 partly encoded, "
        "1 untouched"
    )


def test_connectives_between_quotes_are_not_untouched(make_kb, capsys) -> None:
    rules = FILES["rules/walking.yaml"].replace(
        '        quote: "Rest when tired"\n',
        '        quote: "Rest when tired"\n      - source: mini\n        quote: "drink water."\n',
    )
    root = make_kb({**FILES, "rules/walking.yaml": rules})
    assert main(["coverage", str(root), "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert [s["status"] for s in report["sentences"]] == ["encoded", "encoded", "untouched"]


def test_report_counts_and_shades_the_same_as_coverage(partly) -> None:
    pages = build_report(gather_report(healthkb.load(partly)))
    assert (
        "<th>sentences</th><th>encoded</th><th>left out</th><th>partly encoded</th>"
        "<th>untouched</th><th>accounted for</th>"
    ) in pages["index.html"]
    assert ("<td>3</td><td>1</td><td>0</td><td>1</td><td>1</td><td>33.3%</td>") in pages[
        "index.html"
    ]
    source = pages["sources/mini.html"]
    shaded = [
        part.split(">", 1)[1].split("</span>", 1)[0]
        for part in source.split('<span class="untouched" ')[1:]
    ]
    assert shaded == [", and drink water.", "Eat well."]
    assert (
        "Sentences: 1 of 3 accounted for (33.3%): 1 encoded, 0 left out, 1 partly encoded, "
        "1 untouched."
    ) in source


def test_retired_rules_are_tagged_where_they_cite(make_kb) -> None:
    retired = MINI_RULES.replace(
        "status: active\n    when: {fact: walk.tired",
        "status: retired\n    when: {fact: walk.tired",
    )
    root = make_kb({"rules/walking.yaml": retired})
    source = build_report(gather_report(healthkb.load(root)))["sources/mini.html"]
    assert (
        '<a href="../rules/rest_when_tired.html">rest_when_tired</a> '
        '<span class="tag">retired</span>'
    ) in source


def test_interpretations_render_their_code_spans(make_kb) -> None:
    rules = MINI_RULES.replace(
        '        quote: "Rest when tired."\n',
        '        quote: "Rest when tired."\n'
        "        interpretation: Read `tired` as any tiredness <the person> reports.\n",
    )
    pages = build_report(gather_report(healthkb.load(make_kb({"rules/walking.yaml": rules}))))
    expected = "Read <code>tired</code> as any tiredness &lt;the person&gt; reports."
    assert expected in pages["sources/mini.html"]
    assert expected in pages["rules/rest_when_tired.html"]
    assert "`" not in pages["rules/rest_when_tired.html"].split("<body>", 1)[1]


def test_changelog_renders_as_a_list_of_changes(make_kb) -> None:
    manifest = MINI_MANIFEST + (
        "changelog:\n  - version: 1.0.0\n    date: 2025-02-01\n    changes:\n"
        "      - Added rule `enough_walking` (version 1).\n"
        "      - Added source `mini` (version 1).\n"
    )
    index = build_report(gather_report(healthkb.load(make_kb({"kb/kb.yaml": manifest}))))[
        "index.html"
    ]
    assert (
        "<li>1.0.0 (2025-02-01)<ul><li>Added rule <code>enough_walking</code> (version 1).</li>"
        "<li>Added source <code>mini</code> (version 1).</li></ul></li>"
    ) in index
    assert ".;" not in index


SECOND = """\
id: brisk
title: Brisk walking and blood pressure
publisher: Heart Weekly
author: B. Writer
published: 2025-01-02
language: en
text: |-
  Brisk walking may lower blood pressure.
left_out:
  - quote: "Brisk walking may lower blood pressure."
    reason: Not encoded yet.
"""


def test_validate_notes_a_title_that_does_not_mention_every_source(make_kb, capsys) -> None:
    first = MINI_MANIFEST + "description: Encoded from A tiny article.\n"
    root = make_kb({"kb/kb.yaml": first})
    assert main(["validate", str(root)]) == 0
    assert capsys.readouterr().err == ""
    (root / "kb/sources/brisk.yaml").write_text(SECOND, encoding="utf-8")
    assert main(["validate", str(root)]) == 0
    out, err = capsys.readouterr()
    assert out.startswith("ok: ")
    assert err == (
        "warning: kb/kb.yaml:2:1: source-not-described: the KB's title and description do "
        "not mention source `brisk` (“Brisk walking and blood pressure”, by B. Writer, Heart "
        "Weekly) (say in `title` or `description` what the KB now covers)\n"
    )
    described = MINI_MANIFEST + "description: From A tiny article and Heart Weekly.\n"
    (root / "kb/kb.yaml").write_text(described, encoding="utf-8")
    assert main(["validate", str(root)]) == 0
    assert capsys.readouterr().err == ""
