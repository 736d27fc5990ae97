"""healthkb and a classic rule engine agree: the KB's rules translated to CLIPS
(`tests/benchmarks/clips_peer.py`, the benchmarks' peer) reach the same conclusions as
`evaluate()` on generated populations over every attribute's range and boundaries."""

from __future__ import annotations

from pathlib import Path

from tests.benchmarks.clips_peer import ClipsPeer, population
from tests.benchmarks.generated_kb import write_generated_kb

import healthkb


def _disagreements(kb: healthkb.KnowledgeBase, count: int) -> tuple[list[str], int]:
    peer = ClipsPeer(kb.content)
    wrong, answers = [], set()
    for profile in population(kb.content, count):
        given = kb.validate_profile(profile).model_dump(exclude_none=True)
        ours = frozenset(kb.evaluate(profile).conclusion_ids)
        answers.add(ours)
        if peer.conclusions(given) != ours:
            wrong.append(
                f"{profile}: healthkb {sorted(ours)}, CLIPS {sorted(peer.conclusions(given))}"
            )
    return wrong, len(answers)


def test_clips_reaches_the_conclusions_healthkb_reaches_on_the_seed_kb() -> None:
    wrong, answers = _disagreements(healthkb.load(), 3_000)
    assert wrong == []
    assert answers >= 20, "the population reaches too few different answers to prove much"


def test_clips_agrees_on_a_generated_kb_with_derived_facts(tmp_path: Path) -> None:
    kb = healthkb.load(write_generated_kb(tmp_path / "kb", 200))
    assert kb.content.vocabulary.derived, "the generated KB derives facts"
    wrong, answers = _disagreements(kb, 300)
    assert wrong == []
    assert answers >= 100


def test_a_translation_with_a_wrong_threshold_is_caught() -> None:
    """The check can fail: a peer whose one rule compares wrongly disagrees."""
    kb = healthkb.load()
    threshold = "(> ?running__minutes_per_session 30)"
    assert threshold in ClipsPeer(kb.content).source, "the seed compares minutes with 30"
    peer = ClipsPeer(kb.content, lambda source: source.replace(threshold, threshold[:-3] + "20)"))
    differs = [
        p
        for p in population(kb.content, 2_000)
        if peer.conclusions(kb.validate_profile(p).model_dump(exclude_none=True))
        != frozenset(kb.evaluate(p).conclusion_ids)
    ]
    assert differs, "a wrong threshold in the translation went unnoticed"
