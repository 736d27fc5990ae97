"""Findings of an analysis: data with a place, a message and a witness profile."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from ..errors import Problem

Kind = Literal["conflict", "ambiguity", "unreachable", "redundant", "gap", "silence-contradicted"]
Severity = Literal["error", "warning"]

SEVERITY: dict[str, Severity] = {
    "conflict": "error",
    "ambiguity": "error",
    "unreachable": "error",
    "redundant": "warning",
    "gap": "warning",
    "silence-contradicted": "warning",
}
"""The severity of each kind: an error makes `analyze` exit 1 and refuses a release."""


@dataclass(frozen=True)
class Finding:
    """One thing proved about a KB, and a profile that shows it.

    `places` are `file:line:column` of the rules (or conclusions) involved, first the
    one to look at. `witness` is a complete, valid profile reproducing the finding when
    evaluated; an `unreachable` finding has none (no profile exists), its `reason` says
    which conditions cannot hold together. A `gap` has its `region`: conditions per
    input attribute, every profile meeting them reaching none of its conclusions.
    """

    kind: Kind
    message: str
    hint: str
    places: tuple[str, ...]
    rules: tuple[str, ...] = ()
    conclusions: tuple[str, ...] = ()
    fact: str | None = None
    witness: dict[str, Any] | None = None
    region: dict[str, str] | None = None

    @property
    def severity(self) -> Severity:
        return SEVERITY[self.kind]

    @property
    def place(self) -> tuple[str, int, int]:
        """The first place as (file, line, column)."""
        file, line, column = self.places[0].rsplit(":", 2)
        return file, int(line), int(column)

    def sort_key(self) -> tuple[Any, ...]:
        return (self.severity != "error", self.place, self.kind, self.rules, self.conclusions)

    def as_problem(self) -> Problem:
        """The finding as a problem line for `validate`: `file:line:col: kind: message`."""
        file, line, column = self.place
        see = tuple(
            f"{place} (rule `{rule}`)"
            for place, rule in zip(self.places[1:], self.rules[1:], strict=False)
        )
        return Problem(file, line, column, self.kind, self.message, self.hint, see, self.witness)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "kind": self.kind,
            "severity": self.severity,
            "message": self.message,
            "hint": self.hint,
            "places": list(self.places),
            "rules": list(self.rules),
            "conclusions": list(self.conclusions),
            "fact": self.fact,
            "witness": self.witness,
        }
        if self.region is not None:
            data["region"] = self.region
        return data


@dataclass(frozen=True)
class Report:
    """Every finding of one KB, errors first then by place; and what it took."""

    kb_id: str
    kb_version: str
    kb_digest: str
    findings: tuple[Finding, ...]
    questions: int
    seconds: float

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "warning"]

    def to_dict(self) -> dict[str, Any]:
        return {
            "kb_id": self.kb_id,
            "kb_version": self.kb_version,
            "kb_digest": self.kb_digest,
            "errors": len(self.errors),
            "warnings": len(self.warnings),
            "findings": [f.to_dict() for f in self.findings],
        }
