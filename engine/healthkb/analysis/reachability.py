"""`unreachable`: active rules no profile makes fire, conclusions no profile reaches.

A rule is unreachable exactly when its firing condition (through every derived fact
it needs) is unsatisfiable; the unsat core names the comparisons that cannot hold
together, so a contradiction hidden behind a derived fact (`walking_load.level eq
infrequent`, derived only below 3 days a week, with `days_per_week ge 3`) is shown.
"""

from __future__ import annotations

from ..content.logic import Conjunction, Literal, bound_groups, compare
from .encoding import Encoding, literal_text, shown_value
from .findings import Finding
from .prove import Prover, Witness


def rule_witnesses(encoding: Encoding, prover: Prover) -> dict[str, Witness | None]:
    """A profile making each active rule fire, or None for rules that never fire."""
    return {rule_id: prover.witness(encoding.fires(rule_id)) for rule_id in encoding.rules}


def unreachable_rules(
    encoding: Encoding, prover: Prover, witnesses: dict[str, Witness | None]
) -> list[Finding]:
    places = encoding.content.places
    findings = []
    for rule_id in sorted(r for r, w in witnesses.items() if w is None):
        rule = encoding.rules[rule_id]
        reasons = [_reason(encoding, prover, witnesses, c) for c in encoding.content.dnf[rule_id]]
        if len(reasons) == 1:
            reason = reasons[0]
        else:
            reason = f"none of its {len(reasons)} alternatives can hold: " + "; ".join(
                f"({i}) {r}" for i, r in enumerate(reasons, 1)
            )
        conclusion = rule.then.conclude
        findings.append(
            Finding(
                "unreachable",
                f"rule `{rule_id}` can never fire: {reason}",
                "fix the condition, or mark the rule `draft` until it can fire",
                (places[("rule_when", rule_id)],),
                rules=(rule_id,),
                conclusions=(conclusion,) if conclusion else (),
                fact=rule.then.derive.fact if rule.then.derive else None,
            )
        )
    return findings


def _reason(
    encoding: Encoding,
    prover: Prover,
    witnesses: dict[str, Witness | None],
    conjunction: Conjunction,
) -> str:
    parts = encoding.parts(conjunction)
    core = prover.core(parts) or [label for label, _ in parts]
    derived = [
        _derived_note(encoding, witnesses, fact, literals)
        for fact, literals in bound_groups(conjunction).items()
        if fact in encoding.content.vocabulary.derived
        and " and ".join(f"`{literal_text(lit)}`" for lit in literals) in core
    ]
    if len(core) == 1:
        text = f"no profile meets {core[0]}"
    elif len(core) == 2:
        text = f"no profile meets both {core[0]} and {core[1]}"
    else:
        text = f"no profile meets {', '.join(core[:-1])} and {core[-1]} together"
    notes = sorted(set(derived))
    return text + (f" ({'; '.join(notes)})" if notes else "")


def _derived_note(
    encoding: Encoding, witnesses: dict[str, Witness | None], fact: str, literals: list[Literal]
) -> str:
    """Which rules derive the facts a group of comparisons on a derived fact needs."""
    matching = [
        c
        for c in encoding.candidates.get(fact, [])
        if all(
            compare(lit.comparison, c.values.get(lit.comparison.attribute)) != lit.negated
            for lit in literals
        )
    ]
    if not matching:
        return f"no active rule derives a `{fact}` that meets it"

    def by(rule_id: str) -> str:
        return f"`{rule_id}`" + (" (which can never fire)" if witnesses[rule_id] is None else "")

    described = "; ".join(
        f"{_values(c.values)} only by {', '.join(by(r) for r in c.rules)}" for c in matching
    )
    return f"`{fact}` is derived {described}"


def _values(values: dict[str, object]) -> str:
    if not values:
        return "with no values"
    return "with " + ", ".join(f"{k}: {shown_value(v)}" for k, v in sorted(values.items()))


def unreachable_conclusions(
    encoding: Encoding, witnesses: dict[str, Witness | None]
) -> list[Finding]:
    places = encoding.content.places
    findings = []
    for conclusion_id in sorted(encoding.content.conclusions):
        rules = sorted(encoding.concluding.get(conclusion_id, []))
        if any(witnesses[r] is not None for r in rules):
            continue
        if rules:
            listed = ", ".join(f"`{r}`" for r in rules)
            why = f"every rule that concludes it ({listed}) can never fire"
        else:
            why = "no active rule concludes it"
        findings.append(
            Finding(
                "unreachable",
                f"conclusion `{conclusion_id}` can never be reached: {why}",
                "write or activate a rule that concludes it, or remove the conclusion",
                (places[("conclusion", conclusion_id)],),
                rules=tuple(rules),
                conclusions=(conclusion_id,),
            )
        )
    return findings
