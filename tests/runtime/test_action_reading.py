"""The engine reads what a fired rule bound from durable_rules' action text without
decoding it (`Engine._fired`): each fact's index after `"id":"f`, in the order of the
rule's patterns. These tests hold that reading to a full JSON decoding of every action
text of whole populations."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from tests.benchmarks.clips_peer import population
from tests.benchmarks.generated_kb import write_generated_kb

import healthkb
from healthkb.runtime.engine import Engine


def _texts_read(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every action text the engine reads from now on."""
    texts: list[str] = []
    reading = Engine._fired

    def recorded(self: Engine, session: Any, text: str) -> None:
        texts.append(text)
        reading(self, session, text)

    monkeypatch.setattr(Engine, "_fired", recorded)
    return texts


def _bound_by_decoding(kb: healthkb.KnowledgeBase, text: str) -> tuple[tuple[str, int], ...]:
    ((name, message),) = json.loads(text).items()
    aliases = sorted(kb.plan.actions[name].aliases.items(), key=lambda item: item[1])
    return tuple((fact_type, int(message[alias]["id"][1:])) for alias, fact_type in aliases)


def test_every_action_on_the_seed_kb_is_read_as_decoding_it_reads_it(
    kb: healthkb.KnowledgeBase, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Joins, lists (their members asserted as flags), gates and negations."""
    texts = _texts_read(monkeypatch)
    bound = []
    for profile in population(kb.content, 300):
        bound += [f.bound for f in kb.evaluate(profile)._trace.firings]
    assert any(len(b) > 1 for b in bound) and any('"gate":' in t for t in texts)
    assert bound == [_bound_by_decoding(kb, text) for text in texts]


def test_every_action_of_a_generated_kb_is_read_as_decoding_it_reads_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    kb = healthkb.load(write_generated_kb(tmp_path / "kb", 200))
    texts = _texts_read(monkeypatch)
    bound = []
    for profile in population(kb.content, 100):
        bound += [f.bound for f in kb.evaluate(profile)._trace.firings]
    assert len(bound) > 1_000
    assert bound == [_bound_by_decoding(kb, text) for text in texts]
