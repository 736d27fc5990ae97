"""FHIR `date`, `dateTime` and `instant` values as the spans of time they name.

FHIR writes times as text with a time zone (`2026-12-02T01:00:00+05:00`) and lets a
value be partial (`2026`, `2026-12`, `2026-12-01`). Compared as text, a value in
another zone sorts wrongly, so intake reads each value as the span it covers, in UTC:
an instant is a span of no length; `2026-12-01` is the whole day, from its midnight to
the next. A value without a time zone (a date, or a time FHIR should have zoned) is
read in UTC.

How spans rank ("which is newer"): by the first instant each covers, then, on the same
start, the narrower span ranks higher (the more precise value). So `2026-12-01T10:00Z`
ranks above `2026-12-01` (the day began before 10:00), and `2026-12-02` above
`2026-12-01T23:00Z`. A value that is missing or not a FHIR time ranks below every
other.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

_FHIR_TIME = re.compile(
    r"(?P<year>\d{4})(?:-(?P<month>\d{2})(?:-(?P<day>\d{2})"
    r"(?:T(?P<hour>\d{2}):(?P<minute>\d{2})(?::(?P<second>\d{2})(?P<fraction>\.\d+)?)?"
    r"(?P<zone>Z|[+-]\d{2}:\d{2})?)?)?)?"
)


@dataclass(frozen=True, order=True)
class Rank:
    """Where a FHIR time ranks among others (compare with `<`, `>=`)."""

    start: datetime
    narrowness: timedelta
    """Minus the span's length: on the same start, the narrower span ranks higher."""


LOWEST = Rank(datetime.min.replace(tzinfo=UTC), timedelta.min)
"""The rank of a missing or unreadable time: below every FHIR time."""


def span(text: object) -> tuple[datetime, datetime] | None:
    """The span `[start, end)` a FHIR date, dateTime or instant covers, in UTC; None
    when `text` is not one.

    >>> start, end = span("2026-12-02T01:00:00+05:00")
    >>> start.isoformat(), start == end
    ('2026-12-01T20:00:00+00:00', True)
    >>> [t.isoformat() for t in span("2026-12")]
    ['2026-12-01T00:00:00+00:00', '2027-01-01T00:00:00+00:00']
    """
    match = _FHIR_TIME.fullmatch(text) if isinstance(text, str) else None
    if match is None:
        return None
    parts = match.groupdict()
    try:
        return _span(parts)
    except (ValueError, OverflowError):
        return None  # 2026-02-30, 25:00 and the like


def _span(parts: dict[str, str | None]) -> tuple[datetime, datetime]:
    year, month, day = int(parts["year"] or 0), int(parts["month"] or 1), int(parts["day"] or 1)
    if parts["month"] is None:
        return _utc(year, 1, 1), _utc(year + 1, 1, 1)
    if parts["day"] is None:
        following = (year + 1, 1) if month == 12 else (year, month + 1)
        return _utc(year, month, 1), _utc(*following, 1)
    if parts["hour"] is None:
        start = _utc(year, month, day)
        return start, start + timedelta(days=1)
    fraction = parts["fraction"] or ""
    microseconds = int((fraction[1:] + "000000")[:6]) if fraction else 0
    zone = parts["zone"] or "Z"
    offset = timedelta(0)
    if zone != "Z":
        sign = -1 if zone[0] == "-" else 1
        offset = sign * timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6]))
    local = datetime(
        year,
        month,
        day,
        int(parts["hour"]),
        int(parts["minute"] or 0),
        int(parts["second"] or 0),
        microseconds,
        tzinfo=UTC,
    )
    start = local - offset
    length = timedelta(0) if parts["second"] is not None else timedelta(minutes=1)
    return start, start + length


def _utc(year: int, month: int, day: int) -> datetime:
    return datetime(year, month, day, tzinfo=UTC)


def rank(text: object) -> Rank:
    """The rank of a FHIR time (see the module docstring); LOWEST when there is none."""
    covered = span(text)
    if covered is None:
        return LOWEST
    start, end = covered
    return Rank(start, start - end)


def is_instant(text: object) -> bool:
    """Whether `text` is a FHIR `instant`: to the second, with a time zone."""
    match = _FHIR_TIME.fullmatch(text) if isinstance(text, str) else None
    return (
        match is not None
        and match["second"] is not None
        and match["zone"] is not None
        and span(text) is not None
    )
