"""What FHIR intake reads with: the resources of a prefetch value, where each attribute
came from, and the notes on data that was there but could not be used."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ..content.fhir_mapping import FhirMapping
from ..content.model import Attribute, Vocabulary
from ..errors import Problem, shown
from .fhir_instants import Rank
from .fhir_units import UnitConverter

BODY = "request body"


@dataclass(frozen=True)
class IntakeSource:
    """Where one attribute of a profile built from FHIR data came from."""

    attribute: str
    value: Any
    resource: str
    """`QuestionnaireResponse/<id>` or `Observation/<id>`."""
    via: str
    """The answer's linkId, or the Observation's code (`http://loinc.org|89555-7`)."""
    interpretation: str | None
    """How an Observation is read as the attribute (kb/fhir.yaml); None for an answer."""
    converted_from: str | None = None
    """The Observation's own value and UCUM unit (`1 h`) when it was converted."""

    def to_dict(self) -> dict[str, Any]:
        """As JSON: the optional fields only when they have a value (CDS Hooks forbids
        JSON nulls)."""
        data: dict[str, Any] = {
            "attribute": self.attribute,
            "value": self.value,
            "resource": self.resource,
            "via": self.via,
        }
        if self.interpretation is not None:
            data["interpretation"] = self.interpretation
        if self.converted_from is not None:
            data["converted_from"] = self.converted_from
        return data


@dataclass(frozen=True)
class IntakeNote:
    """Data that was sent but not used, and why: an Observation without a usable value,
    an OperationOutcome the client sent in place of data, a prefetch key not sent."""

    resource: str
    """`Observation/<id>`, `OperationOutcome/<id>`, or a prefetch key (`prefetch.observations`)."""
    message: str

    def to_dict(self) -> dict[str, str]:
        return {"resource": self.resource, "message": self.message}


@dataclass(frozen=True)
class Found:
    value: Any
    rank: Rank
    source: IntakeSource


def resource_name(resource: dict[str, Any]) -> str:
    """`Type/id` of a resource (`(no id)` when it has none)."""
    return f"{resource.get('resourceType')}/{resource.get('id', '(no id)')}"


def outcome_text(outcome: dict[str, Any]) -> str:
    """What an OperationOutcome says: its issues' severity, code and text."""
    issues = outcome.get("issue")
    said = []
    for issue in issues if isinstance(issues, list) else []:
        if not isinstance(issue, dict):
            continue
        details = issue.get("details")
        text = issue.get("diagnostics") or (
            details.get("text") if isinstance(details, dict) else None
        )
        parts = [str(issue.get("severity", "issue")), str(issue.get("code", "unknown"))]
        said.append(": ".join([" ".join(parts), str(text)]) if text else " ".join(parts))
    return "; ".join(said) or "an OperationOutcome without issues"


class Reader:
    """Reads one call's FHIR data: collects the problems (a 422) and the notes."""

    def __init__(
        self,
        kb_id: str,
        vocabulary: Vocabulary,
        mapping: FhirMapping,
        patient: str,
        units: UnitConverter,
    ) -> None:
        self.kb_id = kb_id
        self.attributes: dict[str, Attribute] = {
            f"{fact}.{name}": spec
            for fact, declared in vocabulary.input.items()
            for name, spec in declared.attributes.items()
        }
        self.facts = set(vocabulary.input)
        self.mapping = mapping
        self.patient = patient
        self.units = units
        self.problems: list[Problem] = []
        self.notes: list[IntakeNote] = []

    def problem(self, path: str, code: str, message: str, hint: str = "") -> None:
        self.problems.append(Problem(BODY, 0, 0, code, f"`{path}`: {message}", hint))

    def note(self, resource: str, message: str) -> None:
        self.notes.append(IntakeNote(resource, message))

    def resources(self, bundle: Any, path: str, kind: str) -> Iterator[tuple[str, dict[str, Any]]]:
        """(path, resource) for each resource of `kind` in a Bundle (or a lone resource);
        OperationOutcomes among them become notes."""
        if bundle is None:
            return
        if not isinstance(bundle, dict):
            self.problem(path, "invalid-fhir", "expected a FHIR Bundle (a JSON object)")
            return
        if bundle.get("resourceType") == kind:
            yield path, bundle
            return
        if bundle.get("resourceType") != "Bundle":
            self.problem(path, "invalid-fhir", f"expected a Bundle of {kind}s")
            return
        entries = bundle.get("entry", [])
        if not isinstance(entries, list):
            self.problem(f"{path}.entry", "invalid-fhir", "`entry` must be a list")
            return
        for index, entry in enumerate(entries):
            where = f"{path}.entry[{index}].resource"
            resource = entry.get("resource") if isinstance(entry, dict) else None
            if not isinstance(resource, dict):
                self.problem(where, "invalid-fhir", "each entry needs a `resource` object")
            elif resource.get("resourceType") == kind:
                yield where, resource
            elif resource.get("resourceType") == "OperationOutcome":
                self.note(resource_name(resource), outcome_text(resource))

    def about_patient(self, path: str, resource: dict[str, Any]) -> bool:
        subject = resource.get("subject")
        if subject is None:
            return True
        reference = subject.get("reference") if isinstance(subject, dict) else None
        if not isinstance(reference, str):
            self.problem(f"{path}.subject", "invalid-fhir", "`subject` must hold a `reference`")
            return False
        if reference.rsplit("/", 2)[-2:] != ["Patient", self.patient]:
            self.problem(
                f"{path}.subject",
                "other-patient",
                f"the resource is about {shown(reference)}, not Patient/{self.patient} "
                "(the hook's `context.patientId`)",
            )
            return False
        return True
