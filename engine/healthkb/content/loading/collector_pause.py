"""Pausing Python's cyclic garbage collector while a KB is read and compiled.

Reading a large KB allocates millions of small objects (YAML nodes, places, models)
that are all still alive, so every collection the allocations trigger scans them for
nothing: on a 10,000-rule KB that tripled the load time. Reference counting still
frees garbage while the collector is paused. The pause is counted, so loads on
several threads nest correctly and the collector is enabled again only when the
last of them ends, and only if it was enabled before the first began.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_paused = 0
_was_enabled = False


@contextmanager
def collection_paused() -> Iterator[None]:
    """Run the body with the cyclic collector off (restored afterwards)."""
    global _paused, _was_enabled
    with _lock:
        if _paused == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _paused += 1
    try:
        yield
    finally:
        with _lock:
            _paused -= 1
            if _paused == 0 and _was_enabled:
                gc.enable()
