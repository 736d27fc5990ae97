"""Shared fixtures: the bundled KB (loaded once) and a builder for small KBs in tmp_path."""

from __future__ import annotations

import os
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

import healthkb

ROOT = Path(__file__).resolve().parent.parent
SOURCE_ID = "cainiu-2025-running-thigh-fat"

TODAY = "2026-12-01"
"""The day every test runs on, for review dates (`stale`, `review-due-soon`): set in the
environment, so the commands and services that tests start agree on it. A test about
review dates sets its own."""
os.environ["HEALTHKB_TODAY"] = TODAY


@pytest.fixture(autouse=True)
def _in_repository_root(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests name files relative to the repository root, as the docs do; so run there."""
    monkeypatch.chdir(ROOT)


@pytest.fixture(scope="session")
def kb() -> healthkb.KnowledgeBase:
    return healthkb.load()


MINI_SOURCE = """\
id: mini
title: A tiny article
publisher: Test Press
author: A. Writer
published: 2025-01-01
language: en
text: |-
  Walking 3–5 times a week may help. Rest when tired.
  Eat well.
"""

MINI_FACTS = """\
input:
  walk:
    description: Walking routine.
    attributes:
      sessions:
        type: integer
        min: 0
        max: 14
        description: Walks per week.
      tired:
        type: bool
        description: Feels tired.
derived:
  walking_load:
    description: Walking load.
    attributes:
      level:
        type: enum
        values: [enough, low]
        description: Level.
"""

MINI_CONCLUSIONS = """\
conclusions:
  - id: walking_may_help
    kind: outcome
    certainty: possible
    statement: Walking may help.
    because:
      - source: mini
        quote: "Walking 3–5 times a week may help."
  - id: rest
    kind: warning
    certainty: established
    statement: Rest when tired.
    because:
      - source: mini
        quote: "Rest when tired."
"""

MINI_RULES = """\
rules:
  - id: enough_walking
    version: 1
    title: Enough walking
    status: active
    when: {fact: walk.sessions, between: [3, 5]}
    then:
      derive: {fact: walking_load, values: {level: enough}}
    because:
      - source: mini
        quote: "Walking 3–5 times a week"
  - id: walking_helps
    version: 1
    title: Walking may help
    status: active
    when: {fact: walking_load.level, eq: enough}
    then: {conclude: walking_may_help}
    because:
      - source: mini
        quote: "may help"
  - id: rest_when_tired
    version: 1
    title: Rest when tired
    status: active
    when: {fact: walk.tired, eq: true}
    then: {conclude: rest}
    because:
      - source: mini
        quote: "Rest when tired."
"""

# A silence of the mini KB: nothing is said of people who do not walk.
MINI_SILENCES = """\
silences:
  - id: never_walks
    about: [walking_may_help]
    when: {fact: walk.sessions, eq: 0}
    reason: The source says nothing of people who do not walk.
    because:
      - source: mini
        quote: "Eat well."
"""

MINI_MANIFEST = """\
id: mini-kb
title: Mini KB
version: 1.0.0
released: 2025-02-01
"""


# The mini KB has no test cases and leaves "Eat well." aside: a release ships that only
# when accepted, saying why (release gates, editing/release_gates.py).
ACCEPT_UNTESTED = {
    "rule-not-exercised": "the mini KB has no test cases",
    "sentence-not-encoded": "the mini KB leaves part of its source aside",
}
ACCEPT_OPTIONS = [
    option
    for code, reason in ACCEPT_UNTESTED.items()
    for option in ("--accept", f"{code}={reason}")
]


def write_kb(root: Path, files: dict[str, str]) -> Path:
    """Write a small KB: the mini KB's files, with `files` replacing or adding some."""
    defaults = {
        "kb/kb.yaml": MINI_MANIFEST,
        "kb/facts.yaml": MINI_FACTS,
        "kb/conclusions.yaml": MINI_CONCLUSIONS,
        "kb/sources/mini.yaml": MINI_SOURCE,
        "rules/walking.yaml": MINI_RULES,
    }
    for name, text in {**defaults, **files}.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if text is None:
            continue
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return root


@pytest.fixture
def make_kb(tmp_path: Path) -> Callable[..., Path]:
    def make(files: dict[str, str] | None = None, name: str = "kbroot") -> Path:
        return write_kb(tmp_path / name, files or {})

    return make


# A throwaway PostgreSQL server (`postgres`) and a fresh database per test (`postgres_url`).
pytest_plugins = ["support.postgres_server"]
