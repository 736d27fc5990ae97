"""What a load keeps goes straight to the cyclic collector's oldest generation.

Loading pauses the collector (`content/loading/collector_pause.py`); when it ends, what
the KB is made of (hundreds of thousands of objects for a large KB) is moved where two
collections would have put it, rather than being scanned by the first young collection
and then again by the next middle one (docs/performance.md, "The collector when loading ends").
Nothing is held back from the collector.
"""

from __future__ import annotations

import gc
import json
import weakref

import healthkb
from healthkb.content.loading.collector_pause import collection_paused
from support.fresh_python import fresh_python_output


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


_RELOADING = """
import gc, json
import healthkb

class Dropped:
    # What a program drops between loads: a cycle only a collection frees.
    def __init__(self):
        self.me = self

full = []
gc.callbacks.append(lambda phase, info: full.append(info["generation"]))
for _ in range(25):
    healthkb.load()
    for _ in range(4000):
        Dropped()
left = sum(type(found) is Dropped for found in gc.get_objects())
print(json.dumps([2 in full, left]))
"""


def test_loading_again_and_again_leaves_room_for_full_collections() -> None:
    """A service reloading its KB, a test run loading many: the KBs dropped (cycles)
    and the program's own cycles moved along with each load must still meet a full
    collection; each load set the collector's counts back, so none ever came.

    In a fresh process: when a full collection comes depends on how much the process
    already holds (a whole test run holds a lot), and on no coverage measurement."""
    output = fresh_python_output(_RELOADING)
    met_full, left = json.loads(output)
    assert met_full
    assert left < 4000


class _Cycle:
    def __init__(self) -> None:
        self.me = self


def test_a_load_after_a_move_leaves_the_collectors_counts_alone() -> None:
    """Moving what is alive to the oldest generation (`gc.freeze`) sets the collector's
    counts back to zero: a load moves only once per full collection, so loads again and
    again still let the middle collections add up to a full one."""
    gc.collect()
    healthkb.load()  # the first load since a full collection: moved
    while gc.get_count()[2] == 0:  # middle collections, on the way to a full one
        for _ in range(1000):
            _Cycle()
    middle_collections = gc.get_count()[2]
    healthkb.load()
    assert gc.get_count()[2] >= middle_collections


def test_a_pause_inside_another_on_the_same_thread_leaves_the_collector_off() -> None:
    """`load` reads the content in a pause of its own: when that inner pause ended, the
    rest of the load (the checks, compiling) ran with the collector scanning everything
    just read, a third of the 10,000-rule KB's load time."""
    assert gc.isenabled()
    with collection_paused(kept=True):
        with collection_paused():
            pass
        assert not gc.isenabled()
    assert gc.isenabled()


def test_loading_runs_no_collection() -> None:
    # In a Python of its own: nothing else of the test run may call `gc.collect()` meanwhile.
    counting = (
        "import gc, healthkb\n"
        "gc.collect()\n"
        "before = [g['collections'] for g in gc.get_stats()]\n"
        "healthkb.load()\n"
        "print([g['collections'] for g in gc.get_stats()] == before)\n"
    )
    output = fresh_python_output(counting)
    assert output.strip() == "True"
