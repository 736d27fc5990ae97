"""What a load keeps goes straight to the cyclic collector's oldest generation.

Loading pauses the collector (`content/loading/collector_pause.py`); when it ends, what
the KB is made of (hundreds of thousands of objects for a large KB) is moved where two
collections would have put it, rather than being scanned by the first young collection
and then again by the next middle one (docs/performance.md, "Start-up and loading").
Nothing is held back from the collector.
"""

from __future__ import annotations

import gc
import weakref

import healthkb
from healthkb.content.loading.collector_pause import collection_paused


class _Cell:
    partner: object = None


def test_a_loaded_kb_is_in_the_oldest_generation() -> None:
    assert gc.isenabled()
    gc.collect()  # the first load since a full collection
    kb = healthkb.load()
    oldest = {id(found) for found in gc.get_objects(generation=2)}
    assert id(kb) in oldest
    assert id(kb.content) in oldest
    assert gc.isenabled()


def test_garbage_made_while_a_kb_loads_is_still_collected() -> None:
    with collection_paused(kept=True):
        cell = _Cell()
        cell.partner = cell  # a cycle: only the collector frees it
        gone = weakref.ref(cell)
        del cell
    assert gone() is not None
    gc.collect()
    assert gone() is None


def test_a_load_inside_a_paused_collector_leaves_it_paused() -> None:
    gc.disable()
    try:
        with collection_paused(kept=True):
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_what_is_frozen_stays_frozen_through_a_load() -> None:
    # The `healthkb` command freezes what importing made before it loads the KB.
    marker: list[object] = []
    gc.freeze()
    try:
        healthkb.load()
        assert not any(found is marker for found in gc.get_objects())  # still frozen
    finally:
        gc.unfreeze()


class _Dropped:
    """What a program drops between loads: a cycle only a collection frees."""

    def __init__(self) -> None:
        self.me = self


def test_loading_again_and_again_leaves_room_for_full_collections() -> None:
    """A service reloading its KB, a test run loading many: moving what is alive to the
    oldest generation (`gc.freeze`) sets the collector's counts back to zero, so with a
    move at every load the full collection that frees the KBs dropped (cycles) never
    came. A load moves only once per full collection and leaves the counts alone."""
    gc.collect()
    healthkb.load()  # the first load since a full collection: moved
    while gc.get_count()[2] == 0:  # middle collections, on the way to a full one
        for _ in range(1000):
            _Dropped()
    middle_collections = gc.get_count()[2]
    healthkb.load()
    assert gc.get_count()[2] >= middle_collections
