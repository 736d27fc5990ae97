"""A result's CDS Hooks 2.0 response as JSON text (the cards are built in results/cds_cards.py)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..results.result import Result


def result_cds_hooks(result: Result) -> str:
    """The CDS Hooks response as JSON text (deterministic unless the evaluation was logged)."""
    return json.dumps(result.to_cds_cards(), indent=2, ensure_ascii=False, sort_keys=True)


def with_intake(response: dict[str, Any], sources: list[Tree]) -> dict[str, Any]:
    """The cards, each also saying where the profile's data came from (FHIR intake).

    `sources` are `IntakeSource.to_dict()`s: the attribute, its value, the resource that
    gave it, and for an Observation the mapping's interpretation, which a clinician
    needs to see to judge the conclusion (a day of exercise read as a running session).
    """
    lines = ["", "Data from the health record:", ""]
    for source in sources:
        value = json.dumps(source["value"], ensure_ascii=False)
        where = f"`{source['resource']}` ({escape(source['via'])})"
        line = f"- `{source['attribute']}` = `{value}` from {where}"
        if source.get("interpretation"):
            line += f"; *interpretation:* {escape(source['interpretation'])}"
        lines.append(line)
    cards = []
    for card_data in response["cards"]:
        extension = dict(card_data["extension"]["healthkb"], intake=sources)
        cards.append(
            {
                **card_data,
                "detail": card_data["detail"] + "\n".join(lines) + "\n",
                "extension": {**card_data["extension"], "healthkb": extension},
            }
        )
    return {**response, "cards": cards}
