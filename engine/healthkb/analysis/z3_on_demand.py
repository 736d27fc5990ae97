"""z3, imported at the first use of a solver rather than with healthkb.

Every module of `analysis/` reads z3 through `z3` here (`from .z3_on_demand import z3`):
`healthkb evaluate` and `healthkb.load()` import this room (a result offers what-if)
but never solve anything, and z3 is the slowest library to import on that path. Type
checkers see the real module (see `files/on_demand.py`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..files.on_demand import OnDemand


def _import_z3() -> Any:
    import z3

    return z3


if TYPE_CHECKING:
    import z3
else:
    z3 = OnDemand(_import_z3)

__all__ = ["z3"]
