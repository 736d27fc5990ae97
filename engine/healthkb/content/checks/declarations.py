"""Checks of what the KB declares for its analysis: `excludes` on conclusions,
`single_valued` and `changeable` on attributes, and the intended silences of
`kb/silences.yaml`."""

from __future__ import annotations

from ...errors import Problem, did_you_mean
from ..located_items import Placed
from ..logic import walk_comparisons
from ..model import Conclusion, Vocabulary
from ..silence_model import Silence
from .cross_file import all_facts, check_comparison
from .vocabulary_places import NO_PLACES, VocabularyPlaces


def check_single_valued(vocabulary: Placed[Vocabulary]) -> list[Problem]:
    """`single_valued: false` only on attributes of derived facts."""
    problems = []
    for section in ("input", "background"):
        for name, fact in getattr(vocabulary.item, section).items():
            for attribute, spec in fact.attributes.items():
                if not spec.single_valued:
                    problems.append(
                        vocabulary.problem(
                            "invalid-value",
                            f"`single_valued` only applies to derived facts, not to {section} "
                            f"fact `{name}`",
                            "remove it: a profile or background fact gives one value",
                            section,
                            name,
                            "attributes",
                            attribute,
                            "single_valued",
                        )
                    )
    return problems


def check_changeable(vocabulary: Placed[Vocabulary]) -> list[Problem]:
    """`changeable` (and so `cost`) only on attributes of input facts: a person changes
    what they do, not what rules derive or what a source states."""
    problems = []
    for section in ("derived", "background"):
        for name, fact in getattr(vocabulary.item, section).items():
            for attribute, spec in fact.attributes.items():
                if spec.changeable:
                    problems.append(
                        vocabulary.problem(
                            "invalid-value",
                            f"`changeable` only applies to input facts, not to {section} "
                            f"fact `{name}`",
                            "remove it: only what a profile gives can be changed",
                            section,
                            name,
                            "attributes",
                            attribute,
                            "changeable",
                        )
                    )
    return problems


def check_excludes(conclusions: list[Placed[Conclusion]]) -> list[Problem]:
    """`excludes` names declared conclusions, other than the conclusion itself."""
    known = {c.item.id for c in conclusions}
    problems = []
    for placed in conclusions:
        for i, other in enumerate(placed.item.excludes):
            if other == placed.item.id:
                problems.append(
                    placed.problem(
                        "invalid-value",
                        f"conclusion `{other}` cannot exclude itself",
                        "name the conclusions it must never be reached with",
                        "excludes",
                        i,
                    )
                )
            elif other not in known:
                problems.append(
                    placed.problem(
                        "unknown-conclusion",
                        f"conclusion `{other}` is not declared in kb/conclusions.yaml",
                        did_you_mean(other, known),
                        "excludes",
                        i,
                    )
                )
    return problems


def check_silence_references(
    silence: Placed[Silence],
    vocabulary: Vocabulary,
    conclusions: set[str],
    declared: VocabularyPlaces = NO_PLACES,
) -> list[Problem]:
    """A silence's condition names declared facts rightly; `about` names conclusions."""
    problems = []
    facts = all_facts(vocabulary)
    for comparison, path in walk_comparisons(silence.item.when, (*silence.path, "when")):
        problems += check_comparison(
            comparison, silence.child(comparison, *path[len(silence.path) :]), facts, declared
        )
    for i, conclusion in enumerate(silence.item.about):
        if conclusion not in conclusions:
            problems.append(
                silence.problem(
                    "unknown-conclusion",
                    f"conclusion `{conclusion}` is not declared in kb/conclusions.yaml",
                    did_you_mean(conclusion, conclusions),
                    "about",
                    i,
                )
            )
    return problems
