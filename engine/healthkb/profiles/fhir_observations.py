"""Observations read as profile attributes through kb/fhir.yaml.

Only final (amended, corrected) Observations with a mapped code count; the newest wins
(times compared as instants, see fhir_instants.py). An Observation that cannot give
its attribute — a `dataAbsentReason`, no value, a unit UCUM cannot convert to the
mapping's, a value outside the attribute's range — is skipped and named in the intake
notes: one such Observation in a health record must not stop the others from counting.
"""

from __future__ import annotations

from typing import Any

from ..content.checks.cross_file import value_error
from ..content.fhir_mapping import ObservationMapping
from ..content.model import Attribute
from ..errors import shown
from .fhir_instants import rank
from .fhir_reading import Found, IntakeSource, Reader, resource_name

OBSERVATIONS_KEY = "observations"
USED_OBSERVATIONS = ("final", "amended", "corrected")


def observations(reader: Reader, bundle: Any) -> dict[str, Found]:
    """Each mapped attribute's value from the newest usable Observation."""
    found: dict[str, Found] = {}
    for path, observation in reader.resources(
        bundle, f"prefetch.{OBSERVATIONS_KEY}", "Observation"
    ):
        mapping = _mapping_of(reader, observation)
        if mapping is None or observation.get("status") not in USED_OBSERVATIONS:
            continue
        if not reader.about_patient(path, observation):
            continue
        spec = reader.attributes[mapping.attribute]
        read = _observed_value(reader, observation, mapping, spec)
        if read is None:
            continue
        value, converted_from = read
        when = rank(_effective(observation))
        previous = found.get(mapping.attribute)
        if previous is None or when >= previous.rank:
            via = f"{mapping.code.system}|{mapping.code.code}"
            source = IntakeSource(
                mapping.attribute,
                value,
                resource_name(observation),
                via,
                mapping.interpretation,
                converted_from,
            )
            found[mapping.attribute] = Found(value, when, source)
    return found


def _mapping_of(reader: Reader, observation: dict[str, Any]) -> ObservationMapping | None:
    code = observation.get("code")
    codings = code.get("coding", []) if isinstance(code, dict) else []
    for coding in codings if isinstance(codings, list) else []:
        if isinstance(coding, dict):
            found = reader.mapping.for_code(str(coding.get("system")), str(coding.get("code")))
            if found is not None:
                return found
    return None


def _observed_value(
    reader: Reader, observation: dict[str, Any], mapping: ObservationMapping, spec: Attribute
) -> tuple[Any, str | None] | None:
    """The value and, when it was converted, what it was; None (and a note) when the
    Observation has no usable value."""
    name = resource_name(observation)
    code = f"{mapping.code.system}|{mapping.code.code}"
    absent = observation.get("dataAbsentReason")
    if absent is not None:
        reader.note(name, f"not used: no value ({_absent_reason(absent)})")
        return None
    if spec.type == "bool":
        value: Any = observation.get("valueBoolean")
        if not isinstance(value, bool):
            reader.note(name, f"not used: an Observation {code} needs `valueBoolean`")
            return None
        return value, None
    read = _number(reader, name, observation, mapping, code)
    if read is None:
        return None
    value, converted_from = read
    if spec.type == "integer" and isinstance(value, float) and value.is_integer():
        value = int(value)
    error = value_error(spec, value)
    if error:
        reader.note(name, f"not used: {error} (`{mapping.attribute}`)")
        return None
    return value, converted_from


def _number(
    reader: Reader,
    name: str,
    observation: dict[str, Any],
    mapping: ObservationMapping,
    code: str,
) -> tuple[Any, str | None] | None:
    if "valueInteger" in observation:
        return observation["valueInteger"], None
    quantity = observation.get("valueQuantity")
    if not isinstance(quantity, dict) or not _is_number(quantity.get("value")):
        reader.note(name, f"not used: an Observation {code} needs a `valueQuantity` with a `value`")
        return None
    value = quantity["value"]
    unit = quantity.get("code", quantity.get("unit"))
    target = mapping.unit or ""
    if unit == target:
        return value, None
    converted = (
        reader.units.convert(value, unit, target, mapping.occasion)
        if isinstance(unit, str)
        else None
    )
    if converted is None:
        said = f"`{unit}`" if isinstance(unit, str) else shown(unit)
        reader.note(
            name,
            f"not used: the value is in {said}, which UCUM cannot convert to "
            f"`{target}` (the unit kb/fhir.yaml reads {code} in)",
        )
        return None
    return converted, f"{value} {unit}"


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _absent_reason(absent: Any) -> str:
    coding = absent.get("coding") if isinstance(absent, dict) else None
    first = coding[0] if isinstance(coding, list) and coding else None
    if isinstance(first, dict) and (first.get("display") or first.get("code")):
        return f"data absent: {first.get('display') or first.get('code')}"
    text = absent.get("text") if isinstance(absent, dict) else None
    return f"data absent: {text}" if text else "data absent"


def _effective(observation: dict[str, Any]) -> Any:
    """When an Observation holds: its effective time (a period's end), else `issued`."""
    period = observation.get("effectivePeriod")
    for value in (
        observation.get("effectiveDateTime"),
        observation.get("effectiveInstant"),
        period.get("end") or period.get("start") if isinstance(period, dict) else None,
        observation.get("issued"),
    ):
        if isinstance(value, str):
            return value
    return None
