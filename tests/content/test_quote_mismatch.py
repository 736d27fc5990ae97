"""Where a quote that is not found differs from its source: aligned on the right passage."""

from __future__ import annotations

from healthkb.content.sources import SourceText


def test_word_of_another_length_is_found_at_its_own_place() -> None:
    # "will" for "may": aligning on the longest verbatim stretch alone would start the
    # quote one character early, on the space between two sentences.
    text = SourceText("Eat well. Fat may drop over time.")
    assert text.closest("Fat will drop over time.").describe() == (
        "the closest passage is p1.s2 (“Fat may drop over time.”); the quote's first 4 "
        "characters match, then “w” (U+0077 LATIN SMALL LETTER W) where the source has "
        "“m” (U+006D LATIN SMALL LETTER M)"
    )


def test_shortened_first_word_is_reported_where_it_differs() -> None:
    text = SourceText("Walking 3–5 times a week may help. Rest when tired.\nEat well.")
    assert text.closest("Walk 3–5 times a week may help.").describe() == (
        "the closest passage is p1.s1 (“Walking 3–5 times a week may help.”); the quote's "
        "first 4 characters match, then “ ” (U+0020 SPACE) where the source has “i” "
        "(U+0069 LATIN SMALL LETTER I)"
    )
    resting = text.closest("Resting when tired.").describe()
    assert resting.startswith("the closest passage is p1.s2 (“Rest when tired.”); ")
    assert "the quote's first 4 characters match" in resting
