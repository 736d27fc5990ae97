"""Every sentence of the seed article is either cited by a rule or left out with a reason."""

from __future__ import annotations

from conftest import SOURCE_ID


def test_every_guidance_sentence_is_cited_by_at_least_one_rule(kb) -> None:
    content = kb.content
    text = content.citations.texts[SOURCE_ID]
    cited = {
        anchor
        for rule in content.rules.values()
        for citation in rule.because
        for anchor in content.citations.resolve(citation).sentence_anchors
    }
    left_out = {
        anchor
        for item in content.sources[SOURCE_ID].left_out
        for anchor in text.sentences_in(*text.find(item.quote)[0])
        for anchor in [anchor.anchor]
    }
    every = {s.anchor for s in text.sentences}
    assert every - cited - left_out == set()
    # A sentence left out as "no guidance" must not be cited at the same time.
    assert cited & left_out == set()


def test_the_article_is_stored_verbatim(kb) -> None:
    from pathlib import Path

    seed = Path(__file__).resolve().parents[3] / "shared" / "seeds" / "000_c6ed024a2b543124.txt"
    if seed.is_file():
        assert kb.content.sources[SOURCE_ID].text == seed.read_text(encoding="utf-8")
    text = kb.content.citations.texts[SOURCE_ID]
    assert len(text.sha256) == 64
    assert [p.anchor for p in text.paragraphs][-1] == "p11"
