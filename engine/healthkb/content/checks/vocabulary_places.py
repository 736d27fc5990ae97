"""Where kb/facts.yaml declares what a rule names, for problems about an unknown name.

A misspelling in the vocabulary shows up at every rule that uses the right name. The
closest declared name would be offered as the fix ("did you mean" the typo), and an
editor following it would copy the typo into every rule. So when the closest
declaration is one that no rule or silence uses, the problem points at it instead:
correct it there, once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property

from ...errors import closest
from ..located_items import Placed
from ..logic import walk_comparisons
from ..model import FactType, Vocabulary
from ..rule_model import Comparison, Rule, Then
from ..silence_model import Silence

_SECTIONS = ("input", "derived", "background")


@dataclass(frozen=True)
class Misspelled:
    """A declaration of kb/facts.yaml that is likely the misspelled name."""

    hint: str
    see: tuple[str, ...]


@dataclass(frozen=True, eq=False)
class VocabularyPlaces:
    """The places of kb/facts.yaml's declarations (none when it could not be read), and
    what names the fact types and `fact.attribute` names the rules and silences use."""

    vocabulary: Placed[Vocabulary] | None = None
    items: Iterable[Placed[Rule] | Placed[Silence]] = ()
    comparisons: Iterable[Comparison] = ()
    outcomes: Iterable[Then] = ()

    @classmethod
    def of(
        cls,
        vocabulary: Placed[Vocabulary] | None,
        items: Iterable[Placed[Rule] | Placed[Silence]],
        comparisons: Iterable[Comparison] = (),
        outcomes: Iterable[Then] = (),
    ) -> VocabularyPlaces:
        """The places of `vocabulary`, and the names used by `items` (rules and silences)
        and by the `comparisons` and `outcomes` salvaged from rules files that failed
        (each iterable is gone through once, at the first name not declared)."""
        return cls(vocabulary, items, comparisons, outcomes)

    @cached_property
    def used(self) -> frozenset[str]:
        """The names used, gathered at the first name not declared (loading a KB whose
        names are all declared never needs them)."""
        compared = list(self.comparisons)
        derived = list(self.outcomes)
        for placed in self.items:
            compared += [comparison for comparison, _ in walk_comparisons(placed.item.when, ())]
            if isinstance(placed.item, Rule):
                derived.append(placed.item.then)
        # Each `fact.attribute` once, with its fact type (what `fact_type` holds): many
        # comparisons test the same one.
        tested = {c.fact for c in compared}
        used = tested | {fact.partition(".")[0] for fact in tested}
        for then in derived:
            if then.derive is not None:
                fact = then.derive.fact
                used |= {fact, *(f"{fact}.{name}" for name in then.derive.values)}
        return frozenset(used)

    def _place(self, *path: str) -> str:
        assert self.vocabulary is not None
        line, column = self.vocabulary.located.place(path)
        return f"{self.vocabulary.file}:{line}:{column}"

    def _section(self, fact_type: str) -> str | None:
        if self.vocabulary is None:
            return None
        item = self.vocabulary.item
        return next((s for s in _SECTIONS if fact_type in getattr(item, s)), None)

    def fact(self, fact_type: str, facts: dict[str, FactType]) -> Misspelled | None:
        """For a fact type not declared: the unused declaration it is close to, if any."""
        close = closest(fact_type, facts)
        section = self._section(close) if close is not None else None
        if close is None or section is None or close in self.used:
            return None
        return _misspelled(f"fact `{close}`", self._place(section, close), close)

    def attribute(self, fact_type: str, attribute: str, fact: FactType) -> Misspelled | None:
        """For an attribute not declared: the unused declaration it is close to, if any."""
        close = closest(attribute, fact.attributes)
        section = self._section(fact_type)
        if close is None or section is None or f"{fact_type}.{close}" in self.used:
            return None
        place = self._place(section, fact_type, "attributes", close)
        return _misspelled(f"attribute `{fact_type}.{close}`", place, close)


def _misspelled(declared: str, place: str, close: str) -> Misspelled:
    return Misspelled(
        f"did you mean `{close}`? {declared} is declared in kb/facts.yaml but nothing else "
        "uses it: if the declaration is the misspelled one, correct it there, once",
        (f"{place} ({declared} is declared here)",),
    )


NO_PLACES = VocabularyPlaces()
