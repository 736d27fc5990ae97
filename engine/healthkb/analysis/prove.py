"""Asking z3 about a KB's encoding, and turning its answers into profiles.

A satisfiable question comes back as a witness: a profile (plain data, valid for the
KB's vocabulary) that makes the question's condition true when the engine evaluates
it. Unsatisfiable questions come back as None, or as the labelled parts that cannot
hold together (an unsat core).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from ..errors import HealthKBError
from .encoding import AttributeKey, Encoding, InputAttribute, Term, number
from .z3_on_demand import z3

Profile = dict[str, dict[str, Any]]


class AnalysisError(HealthKBError):
    """The solver could not decide a question (it never should for this rule language)."""


@dataclass(frozen=True)
class Witness:
    profile: Profile
    model: z3.ModelRef


class Prover:
    """Questions about one KB: is there a profile for which these terms all hold?"""

    def __init__(self, encoding: Encoding) -> None:
        self.encoding = encoding
        self.questions = 0

    def _solver(self, terms: Sequence[Term], extra: Sequence[z3.BoolRef]) -> z3.Solver:
        solver = z3.SimpleSolver(ctx=self.encoding.ctx)
        uses = frozenset().union(*(t.uses for t in terms))
        solver.add(*self.encoding.domain(uses))
        solver.add(*[t.expr for t in terms], *extra)
        return solver

    def _check(self, solver: z3.Solver, *assumptions: z3.BoolRef) -> bool:
        self.questions += 1
        answer = solver.check(*assumptions)
        if answer == z3.unknown:
            raise AnalysisError(f"the solver could not decide: {solver.reason_unknown()}")
        return bool(answer == z3.sat)

    def possible(self, *terms: Term) -> bool:
        """Whether some profile makes every term hold."""
        return self._check(self._solver(terms, ()))

    def model(self, *terms: Term) -> z3.ModelRef | None:
        """A solver model in which every term holds (no profile built), or None."""
        solver = self._solver(terms, ())
        return solver.model() if self._check(solver) else None

    def witness(self, *terms: Term, extra: Sequence[z3.BoolRef] = ()) -> Witness | None:
        """A profile for which every term holds (and every `extra` constraint), or None."""
        uses = sorted(frozenset().union(*(t.uses for t in terms)))
        while True:
            solver = self._solver(terms, extra)
            if not self._check(solver):
                return None
            model = solver.model()
            profile, refinement = self._profile(model, uses)
            if refinement is None:
                return Witness(profile, model)
            # No float lies where the solver's (rational) number is: rule that cell out.
            attribute, constraint = refinement
            attribute.domain.append(constraint)

    def core(self, parts: Sequence[tuple[str, Term]]) -> list[str]:
        """Labels of parts that cannot hold together (a small unsat core); [] if they can."""
        solver = self._solver([], ())
        solver.set("core.minimize", True)
        flags = []
        for i, (_, term) in enumerate(parts):
            flag = z3.Bool(f"part {i}", self.encoding.ctx)
            flags.append(flag)
            solver.add(*self.encoding.domain(term.uses))
            solver.add(z3.Implies(flag, term.expr))
        if self._check(solver, *flags):
            return []
        core = {str(flag) for flag in solver.unsat_core()}
        return [label for flag, (label, _) in zip(flags, parts, strict=True) if str(flag) in core]

    def _profile(
        self, model: z3.ModelRef, uses: Sequence[AttributeKey]
    ) -> tuple[Profile, tuple[InputAttribute, z3.BoolRef] | None]:
        profile: Profile = {}
        for key in uses:
            attribute = self.encoding.inputs[key]
            spec = attribute.spec
            if spec.type == "list":
                items = [v for v, flag in attribute.members.items() if _true(model, flag)]
                if items:
                    profile.setdefault(key[0], {})[key[1]] = items
                continue
            if not _true(model, attribute.given):
                continue
            raw = model.eval(attribute.value, model_completion=True)
            value: Any
            if spec.type == "bool":
                value = z3.is_true(raw)
            elif spec.type == "enum":
                value = (spec.values or [])[raw.as_long()]
            elif spec.type == "integer":
                value = raw.as_long()
            else:
                value = _float_in_cell(raw.as_fraction(), self.encoding.thresholds[key])
                if value is None:
                    cell = _outside_cell(
                        attribute, raw.as_fraction(), self.encoding.thresholds[key]
                    )
                    return profile, (attribute, cell)
            profile.setdefault(key[0], {})[key[1]] = value
        return profile, None

    def true_in(self, model: z3.ModelRef, term: Term) -> bool:
        return _true(model, term.expr)


def _true(model: z3.ModelRef, expr: z3.BoolRef) -> bool:
    return bool(z3.is_true(model.eval(expr, model_completion=True)))


def _cell(value: Fraction, thresholds: list[Fraction]) -> tuple[Fraction | None, Fraction | None]:
    below = [t for t in thresholds if t < value]
    above = [t for t in thresholds if t > value]
    return (below[-1] if below else None), (above[0] if above else None)


def _float_in_cell(value: Fraction, thresholds: list[Fraction]) -> int | float | None:
    """A number a profile can give that every rule compares as it compares `value`."""
    if value in thresholds or value.denominator == 1:
        return int(value) if value.denominator == 1 else float(value)
    low, high = _cell(value, thresholds)
    tries = [float(value), round(float(value), 2), round(float(value))]
    if low is not None:
        tries.append(math.nextafter(float(low), math.inf))
    if high is not None:
        tries.append(math.nextafter(float(high), -math.inf))
    for candidate in tries:
        exact = Fraction(candidate)
        if (low is None or exact > low) and (high is None or exact < high):
            return candidate
    return None


def _outside_cell(
    attribute: InputAttribute, value: Fraction, thresholds: list[Fraction]
) -> z3.BoolRef:
    """The attribute is not strictly between the thresholds around `value`."""
    low, high = _cell(value, thresholds)
    outside = []
    if low is not None:
        outside.append(attribute.value <= number(low, attribute.ctx))
    if high is not None:
        outside.append(attribute.value >= number(high, attribute.ctx))
    return z3.Or(outside) if outside else z3.BoolVal(False, attribute.ctx)
