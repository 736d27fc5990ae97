"""Where a quote that is not found differs from its source: aligned on the right passage,
word by word."""

from __future__ import annotations

from healthkb.content.sources import SourceText


def test_word_of_another_length_is_found_at_its_own_place() -> None:
    # "will" for "may": aligned on characters, the quote would start one character
    # early, on the space between two sentences.
    text = SourceText("Eat well. Fat may drop over time.")
    assert text.closest("Fat will drop over time.").describe() == (
        "the closest passage is p1.s2 (“Fat may drop over time.”); the quote's first word "
        "matches, then the quote has “will” where the source has “may”"
    )


def test_numbers_written_as_digits_are_named_word_by_word() -> None:
    # Not "starts with “2” where the source has “o”": the words that differ, each once.
    text = SourceText("Aim for Two or three sessions a week, each over 30 minutes.")
    assert text.closest("2 or 3 sessions a week").describe() == (
        "the closest passage is p1.s1 (“Aim for Two or three sessions a week, each over 30 "
        "minutes.”); the quote starts with “2” where the source has “Two”; and the quote has "
        "“3” where the source has “three”"
    )


def test_shortened_first_word_is_reported_where_it_differs() -> None:
    text = SourceText("Walking 3–5 times a week may help. Rest when tired.\nEat well.")
    assert text.closest("Walk 3–5 times a week may help.").describe() == (
        "the closest passage is p1.s1 (“Walking 3–5 times a week may help.”); the quote "
        "starts with “Walk” where the source has “Walking”"
    )
    assert text.closest("Resting when tired.").describe() == (
        "the closest passage is p1.s2 (“Rest when tired.”); the quote starts with “Resting” "
        "where the source has “Rest”"
    )


def test_words_left_out_or_added_are_named() -> None:
    text = SourceText("Rest when you are tired. Eat well.")
    assert (
        text.closest("Rest when tired.")
        .describe()
        .endswith(
            "the quote's first 2 words match, then the source has “you are”, which the quote "
            "leaves out"
        )
    )
    assert (
        text.closest("Eat well every day")
        .describe()
        .endswith(
            "the quote's first word matches, then the quote has “well” where the source has "
            "“well.”; and the quote goes on with “every day” after the source text ends"
        )
    )


def test_a_look_alike_character_is_named_with_its_code_point() -> None:
    text = SourceText("Walking 3–5 times a week may help.")
    assert (
        text.closest("Walking 3-5 times a week")
        .describe()
        .endswith(
            "the quote's first word matches, then the quote has “3-5” where the source has “3–5”: "
            "“-” (U+002D HYPHEN-MINUS) where the source has “–” (U+2013 EN DASH)"
        )
    )


def test_a_quote_starting_or_ending_inside_a_word_differs_only_where_it_differs() -> None:
    text = SourceText("Walking 3–5 times a week, or more, may help.")
    assert (
        text.closest("alking 3–5 times a weak")
        .describe()
        .endswith(
            "the quote's first 4 words match, then the quote has “weak” where the source has "
            "“week,”"
        )
    )
