"""Rules that overlap where they must not (`conflict`, `ambiguity`) or add nothing
(`redundant`), each proved for every profile and shown by one."""

from __future__ import annotations

from itertools import combinations

from .encoding import Encoding, negate, shown_value
from .findings import Finding
from .prove import Prover, Witness
from .z3_on_demand import z3


def excluded_pairs(encoding: Encoding) -> list[tuple[str, str]]:
    """Every pair of conclusions declared exclusive (either side declaring is enough)."""
    pairs = {
        tuple(sorted((conclusion.id, other)))
        for conclusion in encoding.content.conclusions.values()
        for other in conclusion.excludes
        if other in encoding.content.conclusions and other != conclusion.id
    }
    return sorted((a, b) for a, b in pairs)


def conflicts(
    encoding: Encoding, prover: Prover, witnesses: dict[str, Witness | None]
) -> list[Finding]:
    """Two rules reaching excluded conclusions for one profile."""
    places = encoding.content.places
    findings = []
    for first, second in excluded_pairs(encoding):
        for left in _live(encoding.concluding.get(first, []), witnesses):
            for right in _live(encoding.concluding.get(second, []), witnesses):
                found = prover.witness(encoding.fires(left), encoding.fires(right))
                if found is None:
                    continue
                findings.append(
                    Finding(
                        "conflict",
                        f"one profile can be told both `{first}` (rule `{left}`) and "
                        f"`{second}` (rule `{right}`), which exclude each other",
                        "narrow the rules' conditions so that they never hold together, "
                        "or drop `excludes` if both may rightly be said",
                        (places[("rule", left)], places[("rule", right)]),
                        rules=(left, right),
                        conclusions=(first, second),
                        witness=found.profile,
                    )
                )
    return findings


def ambiguities(
    encoding: Encoding, prover: Prover, witnesses: dict[str, Witness | None]
) -> list[Finding]:
    """Two rules deriving different values of one single-valued attribute together."""
    places = encoding.content.places
    findings = []
    for fact, fact_type in sorted(encoding.content.vocabulary.derived.items()):
        for attribute, spec in fact_type.attributes.items():
            if not spec.single_valued:
                continue
            deriving = [
                (rule_id, _value(encoding, rule_id, attribute))
                for rule_id in _live(encoding.deriving.get(fact, []), witnesses)
                if attribute in _derived_values(encoding, rule_id)
            ]
            for (left, one), (right, other) in combinations(deriving, 2):
                if one == other:
                    continue
                found = prover.witness(encoding.fires(left), encoding.fires(right))
                if found is None:
                    continue
                findings.append(
                    Finding(
                        "ambiguity",
                        f"one profile can derive `{fact}.{attribute}` both {one} (rule "
                        f"`{left}`) and {other} (rule `{right}`), but it holds one value",
                        "make the rules' conditions exclusive, or declare "
                        "`single_valued: false` on the attribute in kb/facts.yaml if both "
                        "may hold at once",
                        (places[("rule", left)], places[("rule", right)]),
                        rules=(left, right),
                        fact=f"{fact}.{attribute}",
                        witness=found.profile,
                    )
                )
    return findings


def _derived_values(encoding: Encoding, rule_id: str) -> dict[str, object]:
    derive = encoding.rules[rule_id].then.derive
    assert derive is not None
    return dict(derive.values)


def _value(encoding: Encoding, rule_id: str, attribute: str) -> str:
    return f"`{shown_value(_derived_values(encoding, rule_id)[attribute])}`"


def redundancies(
    encoding: Encoding, prover: Prover, witnesses: dict[str, Witness | None]
) -> list[Finding]:
    """Rules whose firing implies another's with the same effect (duplicates included)."""
    places = encoding.content.places
    by_effect: dict[str, list[str]] = {}
    for rule_id in _live(list(encoding.rules), witnesses):
        effect = encoding.rules[rule_id].then.model_dump_json(exclude_none=True)
        by_effect.setdefault(effect, []).append(rule_id)
    cyclic = encoding.cyclic_facts
    implies = _Implications(encoding, prover, witnesses)
    findings = []
    for rule_ids in by_effect.values():
        derive = encoding.rules[rule_ids[0]].then.derive
        if len(rule_ids) < 2 or (derive is not None and derive.fact in cyclic):
            continue
        order = {r: i for i, r in enumerate(rule_ids)}
        for rule_id in rule_ids:
            found = _first_covering(implies, rule_id, rule_ids, order)
            if found is None:
                continue
            other, equivalent = found
            witness = witnesses[rule_id]
            assert witness is not None
            findings.append(
                Finding(
                    "redundant",
                    _redundant_message(encoding, rule_id, other, equivalent),
                    "remove the rule, or retire it (`status: retired`)",
                    (places[("rule", rule_id)], places[("rule", other)]),
                    rules=(rule_id, other),
                    conclusions=tuple(filter(None, [encoding.rules[rule_id].then.conclude])),
                    fact=derive.fact if derive else None,
                    witness=witness.profile,
                )
            )
    return findings


def _first_covering(
    implies: _Implications, rule_id: str, rule_ids: list[str], order: dict[str, int]
) -> tuple[str, bool] | None:
    """The first other rule firing whenever this one fires, and whether the two are
    equivalent; of two equivalent rules only the later is redundant (the first stays)."""
    for other in rule_ids:
        if other == rule_id or not implies(rule_id, other):
            continue
        equivalent = implies(other, rule_id)
        if equivalent and order[rule_id] < order[other]:
            continue
        return other, equivalent
    return None


def _redundant_message(encoding: Encoding, rule_id: str, other: str, equivalent: bool) -> str:
    same = encoding.content.dnf[rule_id] == encoding.content.dnf[other]
    if same:
        return f"rule `{rule_id}` duplicates rule `{other}`: same conditions, same effect"
    if equivalent:
        return (
            f"rule `{rule_id}` fires for exactly the profiles rule `{other}` fires for, "
            "with the same effect: it adds nothing"
        )
    return (
        f"rule `{rule_id}` adds nothing: whenever it fires, rule `{other}` fires too, "
        "with the same effect"
    )


class _Implications:
    """Whether one rule fires whenever another does, proved on demand.

    Every profile found where a rule fires and another does not is kept: a rule that
    does not fire on one of them cannot be implied, so most questions need no solver.
    """

    def __init__(
        self, encoding: Encoding, prover: Prover, witnesses: dict[str, Witness | None]
    ) -> None:
        self.encoding = encoding
        self.prover = prover
        self.models: dict[str, list[z3.ModelRef]] = {
            r: [w.model] for r, w in witnesses.items() if w is not None
        }
        self.known: dict[tuple[str, str], bool] = {}

    def __call__(self, rule_id: str, other: str) -> bool:
        key = (rule_id, other)
        if key not in self.known:
            self.known[key] = self._prove(rule_id, other)
        return self.known[key]

    def _prove(self, rule_id: str, other: str) -> bool:
        fires = self.encoding.fires(other)
        if not all(self.prover.true_in(model, fires) for model in self.models[rule_id]):
            return False
        counter = self.prover.model(self.encoding.fires(rule_id), negate(fires))
        if counter is None:
            return True
        self.models[rule_id].append(counter)
        return False


def _live(rule_ids: list[str], witnesses: dict[str, Witness | None]) -> list[str]:
    """The rules of the list that can fire, in the same order."""
    return [r for r in rule_ids if witnesses[r] is not None]
