"""Numbers checked against the quote: a rule compares with the numbers its source gives.

Every number a condition compares must be stated in the rule's quotes or title, and
the comparison must agree with the words around it: "more than 30" is `gt: 30`, "at
least 30" `ge: 30`, "under 20" and "less than 20" `lt: 20`, "3–5", "three to five" and
"between 3 and 5" `between: [3, 5]` (number_words.py reads them). Under a `not`, the
comparison is read negated (`not: {gt: 30}` is "30 or less"). A condition that departs
from the words on purpose is declared in the rule's `departures`, with the words it
departs from, and explanations show it to auditors.

Its fast paths, and why they give the same answer: docs/performance.md,
"Checking the files: each distinct value once".
"""

from __future__ import annotations

from typing import Any

from ...errors import Problem, shown
from ...files.yaml_reader import PathKey
from ..located_items import Placed
from ..logic import walk_comparisons
from ..number_words import NumberMention, NumberReader, Stated, numbers_in
from ..rule_model import Comparison, Departure, Rule
from ..sources import fold

# A comparison read under a `not`: the relation its words would state.
_NEGATED = {"gt": "le", "ge": "lt", "lt": "ge", "le": "gt"}
_WORDS = {
    "gt": "more than",
    "ge": "at least",
    "lt": "under",
    "le": "at most",
    "between": "from … to",
    "eq": "exactly",
}
_NUMERIC_OPERATORS = frozenset(("eq", "ne", "lt", "le", "gt", "ge", "between", "in", "not_in"))


def compared_numbers(comparison: Comparison) -> list[int | float]:
    """The numbers a comparison compares with (none for words, booleans and lists)."""
    if comparison.op not in _NUMERIC_OPERATORS:
        return []
    value = comparison.value
    kind = type(value)
    if kind is int or kind is float:  # most comparisons: one number
        return [value]
    if kind is bool or kind is str:  # `eq: true`, `eq: high`: no number
        return []
    values = value if isinstance(value, list) else [value]
    return [v for v in values if isinstance(v, int | float) and not isinstance(v, bool)]


def departure_key(comparison: Comparison) -> tuple[str, str, str]:
    """What identifies a condition a departure declares: fact, operator, value."""
    return (comparison.fact, comparison.op, repr(comparison.value))


def agrees(
    comparison: Comparison,
    negated: bool,
    mention: NumberMention,
    numbers: list[int | float] | None = None,
) -> bool:
    """Whether the words of `mention` state what the comparison tests (`numbers`: its
    `compared_numbers`, when the caller has them)."""
    op = comparison.op
    numbers = compared_numbers(comparison) if numbers is None else numbers
    if op == "between":
        return negated or (mention.relation, mention.low, mention.high) == (
            "between",
            numbers[0],
            numbers[1],
        )
    if op in _NEGATED:
        relation = _NEGATED[op] if negated else op
        return (mention.relation, mention.low) == (relation, numbers[0])
    return mention.relation == "eq" and mention.low in numbers


def check_numbers(
    rule: Placed[Rule],
    read: NumberReader | None = None,
    walked: list[tuple[Comparison, PathKey]] | None = None,
) -> list[Problem]:
    """Each compared number found in the quotes or title, with the comparison they state.

    `read` keeps the numbers of each text already read, for a caller that checks many
    rules: a passage quoted by many rules is read once, and titles that differ only in
    their digits share one scan (the regular expressions are most of this check's
    time); a rule comparing no number reads none of its texts. Only what the texts
    state is compared (`NumberReader.stated`); their words are read for a problem.
    `walked`: the rule's `walk_comparisons(when, ("when",))`, when the caller has it.
    """
    item = rule.item
    reader = NumberReader() if read is None else read
    stated: list[Stated] | None = None  # read at the first number compared
    departures = item.departures
    declared = {departure_key(d): i for i, d in enumerate(departures)} if departures else None
    used: set[int] = set()
    problems: list[Problem] = []
    if walked is None:
        walked = list(walk_comparisons(item.when, ("when",)))
    for comparison, path in walked:
        value = comparison.value
        kind = type(value)
        if kind is bool or kind is str:  # `eq: true`, `eq: high`: no number, whatever op
            continue
        if kind is int or kind is float:  # one number, as `compared_numbers` gives it
            if comparison.op not in _NUMERIC_OPERATORS:
                continue
            numbers = [value]
        else:
            numbers = compared_numbers(comparison)
            if not numbers:
                continue
        if declared and departure_key(comparison) in declared:
            used.add(declared[departure_key(comparison)])
            continue
        if stated is None:  # the title's, then each quote's (a new list: read keeps them)
            stated = reader.stated(item.title, keep=False)
            for citation in item.because:
                quoted = reader.stated(citation.quote)
                if quoted:
                    stated = stated + quoted
        negated = "not" in path and path.count("not") % 2 == 1
        if not _stated_agrees(comparison.op, negated, numbers, stated):
            mentions = reader.numbers_in(item.title)
            for citation in item.because:
                mentions = mentions + reader.numbers_in(citation.quote)
            problems.append(_departure_problem(rule, comparison, path, numbers, mentions))
    if departures:
        texts = [item.title, *[citation.quote for citation in item.because]]
        for index, departure in enumerate(departures):
            problems += _check_declared(rule, index, departure, index in used, texts)
    return problems


def _stated_agrees(
    op: str, negated: bool, numbers: list[int | float], stated: list[Stated]
) -> bool:
    """Whether any mention (its relation, low, high) `agrees` with the comparison. A
    mention other than a range states one value, its low and its high alike."""
    if op == "between":  # negated, it agrees with any mention (as `agrees`), if any
        return bool(stated) if negated else ("between", numbers[0], numbers[1]) in stated
    if op in _NEGATED:
        number = numbers[0]
        return (_NEGATED[op] if negated else op, number, number) in stated
    return any(("eq", number, number) in stated for number in numbers)


def _departure_problem(
    rule: Placed[Rule],
    comparison: Comparison,
    path: tuple[str | int, ...],
    numbers: list[int | float],
    mentions: list[NumberMention],
) -> Problem:
    item = rule.item
    condition = f"`{comparison.op}: {shown(comparison.value)}` on `{comparison.fact}`"
    # The quote that gives numbers (the first one if none does) is the one to compare with.
    quote = next((c for c in item.because if numbers_in(c.quote)), item.because[0])
    cited = f"{quote.source}: “{quote.quote}”"
    said = ", ".join(dict.fromkeys(f"“{m.words}”" for m in mentions)) or "no number at all"
    same = [m for m in mentions if m.low in numbers or m.high in numbers]
    hint = (
        "compare as the words do, or declare the reading under the rule's `departures` "
        f"(`- {{fact: {comparison.fact}, {comparison.op}: {shown(comparison.value)}, "
        "source_says: ...}`) so that auditors see it"
    )
    alias = "in" if comparison.op == "in" else comparison.op
    if same:
        return _at(
            rule,
            path,
            alias,
            "number-disagrees-with-quote",
            f"rule `{item.id}` compares {condition} ({_WORDS.get(comparison.op, comparison.op)} "
            f"{shown(comparison.value)}) but its source says “{same[0].words}” ({cited})",
            hint,
        )
    return _at(
        rule,
        path,
        alias,
        "number-not-in-quote",
        f"rule `{item.id}` compares {condition}, a number neither its title nor its quotes "
        f"give (they say {said}; {cited})",
        hint,
    )


def _at(
    rule: Placed[Rule], path: tuple[Any, ...], key: str, code: str, message: str, hint: str
) -> Problem:
    return rule.problem(code, message, hint, *path, key)


def _check_declared(
    rule: Placed[Rule], index: int, departure: Departure, used: bool, texts: list[str]
) -> list[Problem]:
    problems = []
    if not used:
        problems.append(
            rule.problem(
                "departure-unused",
                f"rule `{rule.item.id}` declares a departure for `{departure.fact}` "
                f"`{departure.op}: {shown(departure.value)}`, a condition it does not have",
                "declare the condition exactly as `when` compares it, or remove the departure",
                "departures",
                index,
            )
        )
    said = fold(departure.source_says).lower()
    if not any(said in fold(text).lower() for text in texts):
        problems.append(
            rule.problem(
                "departure-not-in-quote",
                f"rule `{rule.item.id}`'s departure says the source says "
                f"“{departure.source_says}”, but neither its title nor its quotes have it",
                "copy the words verbatim from one of the rule's quotes",
                "departures",
                index,
                "source_says",
            )
        )
    return problems
