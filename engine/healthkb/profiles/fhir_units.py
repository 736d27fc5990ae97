"""Observation values converted between UCUM units, with ucumvert (UCUM's grammar on pint).

A health record writes the same measure in several UCUM units: days of activity per
week as `d/wk` or `/wk`, minutes as `min` or `h`. kb/fhir.yaml names the unit each
code is read in; a value in another unit is converted when UCUM says how. One
assumption needs the mapping's word: UCUM reads `d/wk` as a pure ratio (a day is
1/7 of a week), while the Exercise Vital Sign counts *days with activity*; the
mapping's `occasion` (e.g. `d`) says that one occasion (a session) is counted in that
unit, so a count per week (`/wk`) times one day is `d/wk`, and minutes per session
(`min`) over one day is `min/d`.

ucumvert, not bare pint: pint does not read UCUM codes (`/wk`, `{session}/d`, `mo`
are not pint units), and ucumvert parses UCUM's own grammar into pint quantities. Its
registry takes about 1.5 s to build, so a converter builds it on first use and keeps
the factor of each pair of units it has converted.
"""

from __future__ import annotations

import threading
from typing import Any

from pint.errors import PintError
from ucumvert import PintUcumRegistry  # type: ignore[import-untyped]
from ucumvert.parser import InvalidUcumError  # type: ignore[import-untyped]

_NO_FACTOR = object()


class UnitConverter:
    """Converts values between UCUM units; one per process (its registry is large)."""

    def __init__(self) -> None:
        self._registry: Any = None
        self._factors: dict[tuple[str, str, str | None], float | None] = {}
        self._lock = threading.Lock()

    def convert(self, value: float, unit: str, target: str, occasion: str | None) -> float | None:
        """`value` in `unit` expressed in `target`; None when UCUM cannot convert it
        (an unknown unit, or another dimension)."""
        key = (unit, target, occasion)
        with self._lock:
            factor = self._factors.get(key, _NO_FACTOR)
            if factor is _NO_FACTOR:
                factor = self._factor(unit, target, occasion)
                self._factors[key] = factor
        if factor is None:
            return None
        assert isinstance(factor, float)
        return round(value * factor, 9)

    def _factor(self, unit: str, target: str, occasion: str | None) -> float | None:
        if unit == target:
            return 1.0
        if self._registry is None:
            self._registry = PintUcumRegistry()
        registry = self._registry
        try:
            source, wanted = registry.from_ucum(unit), registry.from_ucum(target)
            tries = [source]
            if occasion is not None:
                counted = registry.from_ucum(occasion)
                tries += [source * counted, source / counted]
            for quantity in tries:
                if quantity.dimensionality == wanted.dimensionality:
                    return float((quantity / wanted).to("dimensionless").magnitude)
        except (InvalidUcumError, PintError, ValueError, TypeError, AttributeError):
            return None
        return None
