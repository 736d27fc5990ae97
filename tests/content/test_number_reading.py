"""Reading the numbers of many texts at once (loading reads every rule's title) gives each
text the mentions `numbers_in` gives it alone, whatever its digits and its neighbours."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from healthkb.content.number_words import NumberMention, NumberReader, numbers_in
from support.fuzzing import budget

# Pieces of titles and quotes: numbers of every form (ASCII and other decimal digits,
# decimals, words), comparatives, range words and separators, and letters or digits
# glued to them, so that word boundaries fall everywhere a digit can stand.
_PIECES = [
    "0",
    "3",
    "12",
    "250",
    "007",
    "1.5",
    "0.25",
    "٣",
    "３",
    "2٣",
    "x5",
    "5x",
    "five",
    "one",
    "twenty-five",
    "thirty one",
    "十几",
    "more than",
    "at least",
    "under",
    "up to",
    "or more",
    "or less",
    "between",
    "and",
    "to",
    "-",
    "–",
    "—",
    ".",
    ":",
    "minutes",
    "rule",
    "a level",
    "times",
]
_TEXTS = st.lists(st.sampled_from(_PIECES), max_size=12).flatmap(
    lambda pieces: st.tuples(
        st.just(pieces), st.lists(st.sampled_from(["", " ", "  "]), min_size=len(pieces))
    ).map(lambda both: "".join(p + s for p, s in zip(both[0], both[1], strict=False)))
)


@budget(300)
@given(st.lists(_TEXTS, min_size=1, max_size=8), st.lists(st.sampled_from(_PIECES[:10])))
def test_a_reader_gives_every_text_the_mentions_it_states_alone(
    texts: list[str], digits: list[str]
) -> None:
    # The same texts again with other digits in their places: they share shapes.
    others = [text.replace("3", digit, 1) for text in texts for digit in digits[:3]]
    reader = NumberReader()
    for text in texts + others + texts:
        assert reader.numbers_in(text) == numbers_in(text), text
    # What the number check compares: each mention without its words, read apart.
    stating = NumberReader()
    for text in others + texts + others:
        said = [(m.relation, m.low, m.high) for m in numbers_in(text)]
        assert stating.stated(text) == said, text
        # A title is read without being kept: the same, before and after it is kept.
        assert stating.stated(text, keep=False) == said, text
    titles = NumberReader()
    for text in others + texts:
        assert titles.stated(text, keep=False) == [
            (m.relation, m.low, m.high) for m in numbers_in(text)
        ], text


def test_titles_of_one_shape_are_read_with_their_own_numbers() -> None:
    reader = NumberReader()
    for title, low in (
        ("Rule 7: a level more than 5", 5.0),
        ("Rule 12: a level more than 250", 250.0),
    ):
        assert reader.numbers_in(title) == numbers_in(title)
        assert reader.numbers_in(title)[-1] == NumberMention("gt", low, low, f"more than {low:g}")


def test_a_range_is_read_from_its_own_values() -> None:
    reader = NumberReader()
    # One shape ("0-0 times"), but only the first is a range: "5-3" runs backwards.
    assert reader.numbers_in("3-5 times") == [NumberMention("between", 3, 5, "3-5")]
    assert reader.numbers_in("5-3 times") == numbers_in("5-3 times")
    assert [m.relation for m in reader.numbers_in("5-3 times")] == ["eq", "eq"]
