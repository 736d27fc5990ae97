"""Pausing Python's cyclic garbage collector while a KB is read and compiled.

Reading a large KB allocates millions of small objects (YAML nodes, places, models)
that are all still alive, so every collection the allocations trigger scans them for
nothing: on a 10,000-rule KB that tripled the load time. Reference counting still
frees garbage while the collector is paused. The pause is counted across threads:
the collector is left off only if it was on when the first of overlapping pauses
began, and is turned on again as each of them ends (the next to begin turns it off),
so overlapping evaluations on many threads never keep it off for good. A pause inside
another on the same thread (`load` reads the content in a pause of its own) is part of
the outer one: it neither counts nor turns the collector on when it ends, else the rest
of the load ran with the collector on, scanning the content just read (1.2 s of the
10,000-rule KB's 3.3 s).

Its fast paths, and why they give the same answer: docs/performance.md, "Loading as a whole".
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_depth = threading.local()  # how deep this thread's pauses are nested
_paused = 0
_was_enabled = False
_kept = False
_full_collections_at_last_move = -1


@contextmanager
def collection_paused(*, kept: bool = False) -> Iterator[None]:
    """Run the body with the cyclic collector off (restored afterwards).

    With `kept` (a KB being loaded: what it makes lives as long as the KB), everything
    alive when the last pause ends is moved to the oldest generation, where surviving
    two collections would have put it, instead of being scanned by the first young
    collection after the pause (0.2 s of CPU for the 10,000-rule KB) and then by the
    next middle one. Nothing is held back: a full collection still scans and frees it.
    Only while nothing is frozen (`gc.freeze`), which stays as it is, and once per full
    collection (`_moved_to_oldest`).
    """
    global _paused, _was_enabled, _kept
    depth = getattr(_depth, "value", 0)
    _depth.value = depth + 1
    with _lock:
        _kept = _kept or kept
        if depth == 0:
            if _paused == 0:
                _was_enabled = gc.isenabled()
            if _was_enabled:
                gc.disable()
            _paused += 1
    try:
        yield
    finally:
        _depth.value = depth
        if depth == 0:
            with _lock:
                _paused -= 1
                if _was_enabled:
                    if _paused == 0 and _kept:
                        _moved_to_oldest()
                    # On again as each pause ends, not only the last: evaluations on
                    # several threads overlap (a busy service always has one running),
                    # and a pause that waited for the last of them would never let the
                    # collector run, so the cycles of the whole process would pile up.
                    # The next pause to begin turns it off again.
                    gc.enable()
                if _paused == 0:
                    _kept = False


def _moved_to_oldest() -> None:
    """Every tracked object to the permanent generation and back into the oldest one: no
    scan either way. Not when something is frozen (the `healthkb` command freezes what
    importing made): unfreezing would give that back to the collector.

    Only if a full collection ran since the last move: `gc.freeze` sets the collector's
    counts back to zero, and the oldest generation is collected only after ten middle
    collections. A program loading KBs again and again (a service reloading, a test
    run) moved each time, so no full collection ever came and the KBs it dropped (and
    all the garbage moved with them) piled up in the oldest generation.
    """
    global _full_collections_at_last_move
    full_collections = gc.get_stats()[-1]["collections"]
    if gc.get_freeze_count() or full_collections == _full_collections_at_last_move:
        return
    _full_collections_at_last_move = full_collections
    gc.freeze()
    gc.unfreeze()
