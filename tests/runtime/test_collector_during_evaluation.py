"""`evaluate()` and `conclusions_reached()` pause Python's cyclic garbage collector while
they run (as loading does, `collector_pause.py`): an evaluation on a large KB allocates
thousands of objects that live until it ends, and collections in its midst promoted
them towards the full passes over the whole process. The collector is left as it was
found, also when the profile is refused."""

from __future__ import annotations

import gc

import pytest

import healthkb


@pytest.mark.parametrize("enabled", [True, False])
def test_the_collector_is_left_as_it_was_found(kb: healthkb.KnowledgeBase, enabled: bool) -> None:
    was = gc.isenabled()
    try:
        gc.enable() if enabled else gc.disable()
        kb.evaluate({"symptoms": {"physical_discomfort": True}})
        assert gc.isenabled() is enabled
        kb.conclusions_reached({"symptoms": {"physical_discomfort": True}})
        assert gc.isenabled() is enabled
        with pytest.raises(healthkb.ProfileError):
            kb.conclusions_reached({"symptoms": {"physical_discomfort": "yes"}})
        assert gc.isenabled() is enabled
    finally:
        gc.enable() if was else gc.disable()


def test_the_collector_is_paused_while_a_profile_is_evaluated(
    kb: healthkb.KnowledgeBase, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen = []
    run = kb._run
    monkeypatch.setattr(
        kb, "_run", lambda validated: (seen.append(gc.isenabled()), run(validated))[1]
    )
    assert gc.isenabled()
    kb.evaluate({})
    kb.conclusions_reached({})
    assert seen == [False, False]
    assert gc.isenabled()
