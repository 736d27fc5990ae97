"""What can still be checked of a rules file that does not validate.

One malformed value (`ge: "5"`, `between: [65, 18]`) makes its file fail validation.
That must not hide the file's other problems: every rule of the file that validates on
its own is read as usual, and of a rule that does not, the parts that do validate (its
citations, its comparisons, its `then`) are still checked against the sources and the
vocabulary. The file's own validation problems are reported by the reader.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from ...errors import Problem
from ...files.yaml_reader import Located, PathKey
from ..checks.cross_file import all_facts, check_comparison, check_then
from ..checks.vocabulary_places import NO_PLACES, VocabularyPlaces
from ..located_items import Placed
from ..model import Citation, Vocabulary
from ..rule_model import Comparison, Rule, Then
from .unloaded_items import NOTHING_UNLOADED, Unloaded

M = TypeVar("M", bound=BaseModel)


@dataclass
class Salvaged:
    """The rules of broken rules files that validate, and the valid parts of the others."""

    rules: list[Placed[Rule]] = field(default_factory=list)
    citations: list[Placed[Citation]] = field(default_factory=list)
    comparisons: list[Placed[Comparison]] = field(default_factory=list)
    outcomes: list[Placed[Then]] = field(default_factory=list)

    def add(self, located: Located) -> None:
        """Salvage what validates of one rules file that failed validation."""
        data = located.data
        rules = data.get("rules") if isinstance(data, dict) else None
        if not isinstance(rules, list):
            return
        for i, raw in enumerate(rules):
            path: PathKey = ("rules", i)
            rule = _valid(Rule, raw)
            if rule is not None:
                self.rules.append(Placed(rule, located, path))
            elif isinstance(raw, dict):
                self._parts(raw, located, path)

    def _parts(self, raw: dict[str, Any], located: Located, path: PathKey) -> None:
        because = raw.get("because")
        for j, item in enumerate(because if isinstance(because, list) else []):
            citation = _valid(Citation, item)
            if citation is not None:
                self.citations.append(Placed(citation, located, (*path, "because", j)))
        for where, item in _comparisons(raw.get("when"), (*path, "when")):
            comparison = _valid(Comparison, item)
            if comparison is not None:
                self.comparisons.append(Placed(comparison, located, where))
        then = _valid(Then, raw.get("then"))
        if then is not None:
            self.outcomes.append(Placed(then, located, (*path, "then")))

    def check(
        self,
        vocabulary: Vocabulary,
        conclusions: set[str],
        unloaded: Unloaded = NOTHING_UNLOADED,
        declared: VocabularyPlaces = NO_PLACES,
    ) -> list[Problem]:
        """The references of the salvaged comparisons and outcomes."""
        facts = all_facts(vocabulary)
        problems = []
        for comparison in self.comparisons:
            problems += check_comparison(comparison.item, comparison, facts, declared)
        for outcome in self.outcomes:
            problems += check_then(outcome, vocabulary, conclusions, unloaded)
        return problems


def _valid(model: type[M], data: Any) -> M | None:
    try:
        return model.model_validate(data)
    except ValidationError:
        return None


def _comparisons(node: Any, path: PathKey) -> Iterator[tuple[PathKey, Any]]:
    """Every mapping with a `fact:` key in a raw `when`, with its path."""
    if not isinstance(node, dict):
        return
    if "fact" in node:
        yield path, node
    for key in ("all", "any"):
        children = node.get(key)
        for i, child in enumerate(children if isinstance(children, list) else []):
            yield from _comparisons(child, (*path, key, i))
    if "not" in node:
        yield from _comparisons(node["not"], (*path, "not"))
