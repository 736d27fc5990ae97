"""A result's CDS Hooks 2.0 response as JSON text (the cards are built in results/cds_cards.py)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..results.result import Result


def result_cds_hooks(result: Result) -> str:
    """The CDS Hooks response as JSON text (deterministic unless the evaluation was logged)."""
    return json.dumps(result.to_cds_cards(), indent=2, ensure_ascii=False, sort_keys=True)
