"""Heavy third-party modules imported at their first use, not when healthkb is imported.

`healthkb evaluate` must start quickly, and the libraries behind other commands cost
more to import than evaluating does: z3 (what-if, `diff --prove`, `analyze`) and psycopg
(a PostgreSQL audit store) take a third of a second each on a loaded machine. A module
that needs one of them holds an `OnDemand` in its place, whose loader is a function with
a plain `import` statement (so the import is still where a reader and the tools look for
it); the module is imported at the first read of one of its names:

    def _import_psycopg() -> ModuleType:
        import psycopg

        return psycopg

    psycopg: Any = OnDemand(_import_psycopg)
    ...
    psycopg.connect(location)  # imports psycopg here, the first time

healthkb's own modules import each other at the top of the file (tests/test_architecture.py
checks it), except a few that evaluating never runs though a module on its path names
them: the what-if search and the audit log, which go through here too, each loader
named in that test (`OWN_MODULES_ON_DEMAND`).

Its fast paths, and why they give the same answer: docs/performance.md, "Start-up, first pass".
"""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import Any


class OnDemand:
    """A third-party module that is imported at the first read of one of its names.

    >>> import json
    >>> lazy_json = OnDemand(lambda: json)
    >>> lazy_json.dumps([1])
    '[1]'
    """

    def __init__(self, load: Callable[[], ModuleType]) -> None:
        self._load = load

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._load(), name)
        # Kept on the instance: later reads find it without calling `__getattr__` again.
        setattr(self, name, value)
        return value


def available(module: OnDemand) -> bool:
    """Whether the module can be imported (an optional extra may be missing)."""
    try:
        module._load()
    except ImportError:
        return False
    return True
