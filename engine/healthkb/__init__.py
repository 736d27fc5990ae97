"""healthkb: explainable health guidance from published articles.

Guidance is encoded as versioned YAML facts and rules, evaluated by a forward-chaining
engine (durable_rules), and every conclusion is traced to the source passage it
rests on.

>>> import healthkb
>>> kb = healthkb.load()
>>> result = kb.evaluate({"goals": {"weight_management_concern": True}})
>>> [c.id for c in result.conclusions]
['consult_professional']
"""

# ruff: noqa: E402 (the collector is paused before the imports below)
import gc as _gc

# Importing healthkb builds its models and classes: objects that live as long as the
# process, which Python's cyclic collector would scan again and again while they are
# made, for nothing (a tenth of `healthkb evaluate`'s start-up; docs/performance.md,
# "Start-up, second pass"). So the collector is paused while the package imports and
# enabled again at the end of this file, if it was enabled before.
_collecting = _gc.isenabled()
_gc.disable()

from typing import TYPE_CHECKING, Any

from .content.sources import ResolvedCitation
from .errors import (
    EvaluationError,
    HealthKBError,
    KBError,
    Problem,
    ProfileError,
    UnknownConclusionError,
    UnknownLanguageError,
)
from .knowledge_base import KnowledgeBase, load
from .results.result import (
    ConclusionResult,
    Conflict,
    Derivation,
    DerivedFact,
    FactUsed,
    FiredRule,
    Reached,
    Result,
)

if TYPE_CHECKING:
    from .analysis.what_if import WhatIf
    from .audit.chain import Checked, Verification
    from .audit.checkpoints import CheckpointCheck
    from .audit.log import AuditLog, AuditLogError
    from .audit.store import Stored
    from .results.explain import Explanation, WhyNot
    from .results.explain import Tree as ExplanationTree
    from .runtime.shipment import KBShipment, ShipmentError

__all__ = [
    "AuditLog",
    "AuditLogError",
    "Checked",
    "CheckpointCheck",
    "ConclusionResult",
    "Conflict",
    "Derivation",
    "DerivedFact",
    "EvaluationError",
    "Explanation",
    "ExplanationTree",
    "FactUsed",
    "FiredRule",
    "HealthKBError",
    "KBError",
    "KBShipment",
    "KnowledgeBase",
    "Problem",
    "ProfileError",
    "Reached",
    "ResolvedCitation",
    "Result",
    "ShipmentError",
    "Stored",
    "UnknownConclusionError",
    "UnknownLanguageError",
    "Verification",
    "WhatIf",
    "WhyNot",
    "load",
]

__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    """The names evaluating never uses (the what-if, the audit log, explanations,
    shipments), imported at their first read (PEP 562): importing analysis/ and audit/
    took about 6% of `healthkb evaluate`'s start-up (docs/performance.md, "Start-up,
    fourth pass"). `from healthkb import AuditLog` and `healthkb.WhatIf` work as they
    always did."""
    value = _imported_on_demand(name)
    globals()[name] = value  # the next read finds it without calling this again
    return value


def _imported_on_demand(name: str) -> Any:
    match name:
        case "WhatIf":
            from .analysis.what_if import WhatIf

            return WhatIf
        case "Checked" | "Verification":
            from .audit import chain

            return getattr(chain, name)
        case "CheckpointCheck":
            from .audit.checkpoints import CheckpointCheck

            return CheckpointCheck
        case "AuditLog" | "AuditLogError":
            from .audit import log

            return getattr(log, name)
        case "Stored":
            from .audit.store import Stored

            return Stored
        case "Explanation" | "WhyNot":
            from .results import explain

            return getattr(explain, name)
        case "ExplanationTree":
            from .results import explain

            return explain.Tree
        case "KBShipment" | "ShipmentError":
            from .runtime import shipment

            return getattr(shipment, name)
        case _:
            raise AttributeError(f"module 'healthkb' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


# What the import made is alive and stays so: moved to the oldest generation at once
# (freeze, then unfreeze), as if it had survived the collections it would have met, the
# first young collection does not scan it all. Nothing is held back from collection,
# and nothing is done when the program has frozen objects itself (they stay frozen).
if _gc.get_freeze_count() == 0:
    _gc.freeze()
    _gc.unfreeze()
if _collecting:
    _gc.enable()
