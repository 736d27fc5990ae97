"""Hedges in every language a KB is written or translated in.

English hedges are in `checks/certainty.py` (whole words); Simplified Chinese ones are
here. Chinese has no spaces between words, so a hedge is found as the longest phrase
of the table at each place in the text: `不一定` ("not necessarily") is one hedge, not
`一定` ("certainly"); `不可能` ("impossible") is a word of certainty, not `可能`. A
translation must hedge as its English statement does (docs/editors.md lists both
tables).
"""

from __future__ import annotations

import re

CHINESE_HEDGES: dict[str, str] = {
    # At most `possible`: it can happen, no more.
    "可能": "possible",
    "有可能": "possible",
    "可能会": "possible",
    "可能不会": "possible",
    "甚至可能": "possible",
    "或许": "possible",
    "也许": "possible",
    "说不定": "possible",
    "有时": "possible",
    "有时候": "possible",
    "有助于": "possible",
    "可能有助于": "possible",
    "未必": "possible",
    "不一定": "possible",
    # At most `likely`: more probable than not (or, negated, its opposite is).
    "很可能": "likely",
    "大概": "likely",
    "多半": "likely",
    "通常": "likely",
    "往往": "likely",
    "常常": "likely",
    "经常": "likely",
    "一般来说": "likely",
    "一般而言": "likely",
    "总体来说": "likely",
    "倾向于": "likely",
    "不太可能": "likely",
    "不大可能": "likely",
    "很少": "likely",
}
"""Each Simplified Chinese hedge with the strongest certainty it allows."""

CHINESE_CERTAINTY_WORDS = ("一定", "肯定", "必然", "必定", "绝对", "总是", "不可能", "注定", "必将")
"""Words that say something *will* (or cannot) happen: never in a translation of a
statement that is only `possible` or `likely` ("may" rendered 一定)."""

CHINESE_NOT_HEDGES = ("尽可能", "可能性")
"""Words that hold a hedge's characters but are no hedge: 尽可能 is "as … as possible"."""

_CHINESE = re.compile(
    "|".join(
        re.escape(phrase)
        for phrase in sorted(
            [*CHINESE_HEDGES, *CHINESE_CERTAINTY_WORDS, *CHINESE_NOT_HEDGES],
            key=lambda p: (-len(p), p),
        )
    )
)

HEDGED_LANGUAGES = ("en", "zh")
"""The primary language subtags whose hedges the checks know."""


def primary_language(tag: str) -> str:
    """The language subtag of a tag: `zh` of `zh-Hans-CN`."""
    return tag.split("-", 1)[0].casefold()


def knows_hedges(tag: str) -> bool:
    """Whether the certainty of text in language `tag` can be checked."""
    return primary_language(tag) in HEDGED_LANGUAGES


def chinese_hedges_in(text: str) -> list[tuple[str, str]]:
    """Each Chinese hedge in `text` with its certainty; a word of certainty comes back
    as `certain`, and what only looks like a hedge is left out.

    >>> chinese_hedges_in("脂肪可能不会减少，甚至可能增加")
    [('可能不会', 'possible'), ('甚至可能', 'possible')]
    >>> chinese_hedges_in("不一定会减少，但一定要热身")
    [('不一定', 'possible'), ('一定', 'certain')]
    """
    found = []
    for match in _CHINESE.finditer(text):
        word = match.group(0)
        if word in CHINESE_HEDGES:
            found.append((word, CHINESE_HEDGES[word]))
        elif word in CHINESE_CERTAINTY_WORDS:
            found.append((word, "certain"))
    return found
