"""CDS Hooks feedback, held to the specification: what a client may say about a card.

Each item names a card, an outcome (`accepted` or `overridden`) and when
(`outcomeTimestamp`, an ISO instant with its time zone). An `accepted` outcome names
the suggestions accepted (`acceptedSuggestions`, at least one) and no override reason;
an `overridden` one names no accepted suggestion, and its `overrideReason.reason`, if
any, is one of the `overrideReasons` the cards list. No element may be JSON null.
The JSON Schema of the models says all of it (the OpenAPI document), so that a client
can check its feedback before sending it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ..content.strict_model import empty_list
from ..results.cds_cards import OVERRIDE_REASONS

_RFC3339 = "date" + "-time"  # JSON Schema's format name (not a problem code)
_REASON_CODES = tuple(r["code"] for r in OVERRIDE_REASONS)


class _Open(BaseModel):
    # Clients may send extensions and fields of later versions: keep what is known.
    model_config = ConfigDict(extra="allow")


class ReasonCoding(_Open):
    """One of the cards' `overrideReasons`."""

    system: Literal["urn:healthkb:cds-hooks:override-reason"]
    code: str = Field(json_schema_extra={"enum": list(_REASON_CODES)})
    display: str = ""

    @field_validator("code")
    @classmethod
    def _listed(cls, code: str) -> str:
        if code not in _REASON_CODES:
            raise ValueError(
                f"`{code}` is not one of the card's overrideReasons ({', '.join(_REASON_CODES)})"
            )
        return code


class OverrideReason(_Open):
    reason: ReasonCoding = None  # type: ignore[assignment]  # absent, never null
    userComment: str = ""


class AcceptedSuggestion(_Open):
    id: str = Field(min_length=1)


def _feedback_item_schema(schema: dict[str, Any]) -> None:
    # What the validator below checks, in JSON Schema's words.
    schema["if"] = {"properties": {"outcome": {"const": "accepted"}}}
    schema["then"] = {
        "required": ["acceptedSuggestions"],
        "properties": {"acceptedSuggestions": {"minItems": 1}},
        "not": {"required": ["overrideReason"]},
    }
    schema["else"] = {"properties": {"acceptedSuggestions": {"maxItems": 0}}}


class FeedbackItem(_Open):
    """What the client did with one card."""

    model_config = ConfigDict(json_schema_extra=_feedback_item_schema)

    card: str = Field(min_length=1)
    outcome: Literal["accepted", "overridden"]
    outcomeTimestamp: str = Field(json_schema_extra={"format": _RFC3339})
    acceptedSuggestions: list[AcceptedSuggestion] = Field(default_factory=empty_list)
    overrideReason: OverrideReason = None  # type: ignore[assignment]  # absent, never null

    @field_validator("outcomeTimestamp")
    @classmethod
    def _an_instant(cls, value: str) -> str:
        if not _is_timestamp(value):
            raise ValueError(
                f"`outcomeTimestamp` {value!r} is not an instant (e.g. 2026-12-01T10:00:00Z)"
            )
        return value

    @model_validator(mode="after")
    def _consistent(self) -> FeedbackItem:
        if self.outcome == "accepted" and not self.acceptedSuggestions:
            raise ValueError("an `accepted` outcome names its `acceptedSuggestions`")
        if self.outcome == "accepted" and "overrideReason" in self.model_fields_set:
            raise ValueError("an `accepted` outcome has no `overrideReason`")
        if self.outcome == "overridden" and self.acceptedSuggestions:
            raise ValueError("an `overridden` outcome has no `acceptedSuggestions`")
        return self


class FeedbackRequest(_Open):
    feedback: list[FeedbackItem] = Field(min_length=1)


def _is_timestamp(value: str) -> bool:
    """An RFC 3339 date-time: to the second, with a time zone (`Z` or an offset)."""
    text = value.upper()
    if len(text) < 20 or text[10] != "T" or text[19:20] not in (".", "Z", "+", "-"):
        return False
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return False
    return parsed.tzinfo is not None
