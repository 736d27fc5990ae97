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

from .audit.log import AuditLog, AuditLogError
from .content.sources import ResolvedCitation
from .errors import (
    EvaluationError,
    HealthKBError,
    KBError,
    Problem,
    ProfileError,
    UnknownConclusionError,
)
from .knowledge_base import KnowledgeBase, load
from .results.result import ConclusionResult, Conflict, DerivedFact, FactUsed, FiredRule, Result

__all__ = [
    "AuditLog",
    "AuditLogError",
    "ConclusionResult",
    "Conflict",
    "DerivedFact",
    "EvaluationError",
    "FactUsed",
    "FiredRule",
    "HealthKBError",
    "KBError",
    "KnowledgeBase",
    "Problem",
    "ProfileError",
    "ResolvedCitation",
    "Result",
    "UnknownConclusionError",
    "load",
]

__version__ = "0.1.0"
