"""A translated source may hold its original text, sentence by sentence aligned with the
translation: a quote resolves in either, and answers show a translated quote beside
the original sentence it renders. The bundled source's original is not available: the
pages say so rather than inventing it."""

from __future__ import annotations

from pathlib import Path

import pytest

import healthkb
from conftest import MINI_CONCLUSIONS, MINI_SOURCE, write_kb
from healthkb.content.loading.loader import check_content
from healthkb.render.html_explain import explanation_page

# A made-up original for the mini KB's made-up article (a test fixture, not a source).
ORIGINAL = """\
translation:
  original_language: zh
  original_title: 一篇小文章
  translator: unknown
  translated: unknown
original:
  language: zh
  text: |-
    每周散步3–5次可能有帮助。累了就休息。
    吃好。
  alignment: {p1.s1: p1.s1, p1.s2: p1.s2, p2.s1: p2.s1}
"""

# `rest` now cites the original's sentence; `walking_may_help` still the translation's.
CONCLUSIONS = MINI_CONCLUSIONS.replace('quote: "Rest when tired."', 'quote: "累了就休息。"')


def translated_mini(root: Path, original: str = ORIGINAL) -> Path:
    source = MINI_SOURCE.replace("text: |-", original + "text: |-")
    return write_kb(root, {"kb/sources/mini.yaml": source, "kb/conclusions.yaml": CONCLUSIONS})


def test_a_quote_resolves_in_the_original_and_a_translated_one_shows_its_original(
    tmp_path: Path,
) -> None:
    kb = healthkb.load(translated_mini(tmp_path))
    result = kb.evaluate({"walk": {"sessions": 4, "tired": True}})
    rest = result.conclusion("rest")
    assert rest is not None
    quoted, translated = rest.citations  # the conclusion's quote, then its rule's
    assert (quoted.quote, quoted.language, quoted.sentence_anchor) == (
        "累了就休息。",
        "zh",
        "p1.s2",
    )
    assert translated.quote == "Rest when tired." and translated.original is not None
    assert translated.original["text"] == "累了就休息。"
    helps = result.conclusion("walking_may_help")
    assert helps is not None
    assert helps.citations[0].original == {
        "language": "zh",
        "sentence": "p1.s1",
        "text": "每周散步3–5次可能有帮助。",
    }
    text = str(result.explain("walking_may_help"))
    assert "      original (zh) p1.s1: “每周散步3–5次可能有帮助。”" in text
    assert "quoted from the original (zh)" in str(result.explain("rest"))


def test_a_quote_from_a_kb_without_originals_stays_byte_identical() -> None:
    result = healthkb.load().evaluate({"symptoms": {"physical_discomfort": True}})
    data = result.model_dump(mode="json")["conclusions"][0]["citations"][0]
    assert "language" not in data and "original" not in data


@pytest.mark.parametrize(
    ("change", "code", "message"),
    [
        ("{p1.s1: p1.s1, p1.s2: p1.s2, p2.s1: p2.s1}", "unknown-sentence", None),
        ("original:\n  language: zh", "original-language-mismatch", "`ja`"),
    ],
)
def test_a_broken_alignment_or_language_is_located(
    tmp_path: Path, change: str, code: str, message: str | None
) -> None:
    if code == "unknown-sentence":
        original = ORIGINAL.replace(change, "{p1.s1: p1.s1, p1.s9: p1.s2}")
    else:
        original = ORIGINAL.replace("original:\n  language: zh", "original:\n  language: ja")
    problems = check_content(translated_mini(tmp_path, original)).problems
    found = [p for p in problems if p.code == code]
    assert found and found[0].file == "kb/sources/mini.yaml" and found[0].line > 0
    if code == "unknown-sentence":
        assert found[0].message == "`p1.s9` is not a sentence of the source's text"
        assert found[0].hint == "did you mean `p1.s2`?"


def test_a_certainty_is_read_in_an_original_quote_too(tmp_path: Path) -> None:
    # 可能 in the original makes a conclusion citing it at most possible.
    conclusions = CONCLUSIONS.replace('quote: "累了就休息。"', 'quote: "每周散步3–5次可能有帮助。"')
    source = MINI_SOURCE.replace("text: |-", ORIGINAL + "text: |-")
    root = write_kb(tmp_path, {"kb/sources/mini.yaml": source, "kb/conclusions.yaml": conclusions})
    codes = [p.code for p in check_content(root).problems]
    assert "overstated-certainty" in codes


def test_pages_show_the_original_or_say_it_is_not_available(tmp_path: Path) -> None:
    kb = healthkb.load(translated_mini(tmp_path))
    result = kb.evaluate({"walk": {"sessions": 4}})
    page = explanation_page(result.explain("walking_may_help").to_dict(), kb.content)
    assert '<span lang="zh">每周散步3–5次可能有帮助。</span>' in page
    assert (
        '<div class="article original" lang="zh"><p>每周散步3–5次可能有帮助。累了就休息。</p>'
        in page
    )
    bundled = healthkb.load()
    answer = bundled.evaluate({"symptoms": {"physical_discomfort": True}})
    page = explanation_page(answer.explain("stop_and_rest").to_dict(), bundled.content)
    assert (
        "The original text (zh) is not available here: the passages above are the "
        "translation&#x27;s."
    ) in page
