"""What a source is and how far it can be trusted: provenance, evidence level, review dates.

A source records who published and wrote it, under which licence it is quoted, its
language and, for a translation, what is known of the original. What is not known is
written `unknown`, never guessed. Its evidence level is a step of `EVIDENCE_SCALE`, and
its review dates say when an editor last checked it against current knowledge and when
it must be checked again.
"""

from __future__ import annotations

import datetime
import os
from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from ..errors import HealthKBError
from .strict_model import StrictModel

UNKNOWN = "unknown"
"""What an editor writes for a piece of provenance nobody knows."""

Unknown = Literal["unknown"]
LanguageTag = Annotated[str, StringConstraints(pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]+)*$")]

EVIDENCE_SCALE = "OCEBM-2011-adapted"
"""The name of the evidence scale, stamped beside every level (see docs/editors.md).

Adapted from the Oxford CEBM 2011 levels of evidence for consumer health articles:
it keeps apart what a trial showed from what an expert says."""

EvidenceLevel = Literal[
    "systematic_review",
    "randomised_trial",
    "observational_study",
    "expert_opinion",
    "not_assessed",
]

EVIDENCE_RANK: dict[str, int] = {
    "systematic_review": 4,
    "randomised_trial": 3,
    "observational_study": 2,
    "expert_opinion": 1,
    "not_assessed": 0,
}
"""Strongest first; a derivation is only as strong as its weakest step."""

NOT_ASSESSED = "not_assessed"
DEFAULT_REVIEW_WARNING_DAYS = 30


class Translation(StrictModel):
    """What is known of the original of a translated source (`unknown` where nothing is)."""

    original_language: LanguageTag
    """The original's language tag, e.g. `zh` for Chinese."""
    original_title: str | Unknown
    """The original's title as published, or `unknown`."""
    translator: str | Unknown
    """Who translated it (a person, a service, a machine translation), or `unknown`."""
    translated: datetime.date | Unknown
    """When it was translated, `YYYY-MM-DD`, or `unknown`."""


def weakest(levels: list[str]) -> str:
    """The weakest of evidence levels (`not_assessed` for none)."""
    return min(levels, key=EVIDENCE_RANK.__getitem__, default=NOT_ASSESSED)


def is_overdue(review_by: datetime.date | None, today: datetime.date) -> bool:
    """Whether a source must have been reviewed again before `today`."""
    return review_by is not None and review_by < today


TODAY_VARIABLE = "HEALTHKB_TODAY"
"""The environment variable that sets "today" (`YYYY-MM-DD`) for review dates, so that
tests, demonstrations and every worker of a service agree on the day."""


def today_or_environment() -> datetime.date:
    """Today: `HEALTHKB_TODAY` when it is set, else the system's date.

    Raises `HealthKBError` naming the variable when it is not a `YYYY-MM-DD` date."""
    given = os.environ.get(TODAY_VARIABLE)
    if not given:
        return datetime.date.today()
    try:
        return datetime.date.fromisoformat(given)
    except ValueError:
        raise HealthKBError(
            f"{TODAY_VARIABLE}={given!r} is not a date (write it as YYYY-MM-DD, or unset it)"
        ) from None


class OriginalText(StrictModel):
    """The text a translated source was translated from, with its sentences aligned to
    the translation's: quotes may come from either, and answers show both."""

    language: LanguageTag
    """The original's language tag (`zh`): the same as `translation.original_language`."""
    text: str = Field(min_length=1)
    """The original text, verbatim, one paragraph per line (anchored `p1.s1`, … as the
    translation is)."""
    alignment: dict[str, str] = Field(default_factory=dict)
    """Which sentence of the original each sentence of the translation renders:
    translation anchor -> original anchor (`p7.s2: p3.s2`)."""
