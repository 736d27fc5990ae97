"""The bare durable_rules path: the same compiled rules and facts, none of healthkb.

What an app would write with durable_rules alone: the KB's compiled rules packed into
as few rulesets as durable_rules allows (at most 4,000 rules each), every fact
asserted into every ruleset, chaining done by durable_rules itself (`c.assert_fact`
in the action), and every fact retracted afterwards. No profile validation, no
trace, no result, no explanation. It is the floor `KnowledgeBase.evaluate` is
measured against.

Retracted, not `delete_state`: on the 10,000-rule KB, durable_rules 2.0.28 aborts
the process in `delete_state` ("free(): invalid pointer"), the same crash that made
healthkb's runtime retract (see engine/healthkb/runtime/engine.py).
"""

from __future__ import annotations

import contextlib
import json
from typing import Any

from durable import engine as durable

import healthkb
from healthkb.runtime.compile import GATE_TYPE, TYPE_KEY
from healthkb.runtime.engine import _durable_fact

RULES_PER_RULESET = 4_000  # durable_rules refuses more than about 4,096
# A fact asserted twice, or one no rule of the ruleset tests: durable_rules raises.
_NOTHING_TO_DO = (durable.MessageObservedException, durable.MessageNotHandledException)


class _BareHost(durable.Host):  # type: ignore[misc]
    def __init__(self, actions: dict[str, Any]) -> None:
        self._bare_actions = actions
        super().__init__()

    def _run(self) -> None:
        return None  # no timer threads: every action runs inside assert_fact

    def get_action(self, action_name: str) -> Any:
        return self._bare_actions[action_name]


class BareEngine:
    """The KB's rules on a plain durable_rules host; `run` evaluates one profile."""

    _instances = 0

    def __init__(self, kb: healthkb.KnowledgeBase) -> None:
        BareEngine._instances += 1
        rules = {
            name: definition
            for ruleset in kb.plan.rulesets
            for name, definition in ruleset.definition.items()
        }
        # durable_rules chains only inside a ruleset: keep each file's rules together
        # (the generated KBs keep every chain inside one file), the seed's files first.
        names = sorted(rules, key=lambda n: (kb.content.rule_files[kb.plan.actions[n].rule_id], n))
        actions = {name: self._action(kb, kb.plan.actions[name].rule_id) for name in names}
        self._host = _BareHost(actions)
        self._rulesets = []
        for start in range(0, len(names), RULES_PER_RULESET):
            ruleset = f"bare-{BareEngine._instances}-{start}"
            chunk = names[start : start + RULES_PER_RULESET]
            self._host.register_rulesets({ruleset: {n: dict(rules[n]) for n in chunk}})
            self._rulesets.append(ruleset)
        self._strata = kb.plan.strata
        self._background = [
            (name, dict(fact.values)) for name, fact in kb.content.vocabulary.background.items()
        ]
        self.fired = 0
        self._asserted: list[tuple[str, dict[str, Any]]] = []

    def _action(self, kb: healthkb.KnowledgeBase, rule_id: str) -> Any:
        rule = kb.content.rules[rule_id]
        derive = rule.then.derive

        def action(c: Any) -> None:
            self.fired += 1
            if derive is None:
                return
            values = dict(derive.values)
            fact_id = f"{derive.fact}:{json.dumps(values, sort_keys=True)}"
            fact = {**values, TYPE_KEY: derive.fact, "id": fact_id, "sid": "1"}
            with contextlib.suppress(*_NOTHING_TO_DO):  # derived before, or not used here
                c.assert_fact(fact)
                self._asserted.append((c._ruleset._name, fact))

        return action

    def run(self, profile: dict[str, dict[str, Any]]) -> None:
        """Assert the profile's facts, let durable_rules chain, retract every fact again."""
        facts = [
            _durable_fact(name, values, index)
            for index, (name, values) in enumerate([*profile.items(), *self._background])
        ]
        facts += [{TYPE_KEY: GATE_TYPE, "stratum": s, "id": f"gate{s}"} for s in self._strata]
        self._asserted = []
        for ruleset in self._rulesets:
            for fact in facts:
                self._assert(ruleset, {**fact, "sid": "1"})
        by_ruleset: dict[str, list[dict[str, Any]]] = {}
        for ruleset, fact in self._asserted:
            by_ruleset.setdefault(ruleset, []).append(fact)
        for ruleset, asserted in by_ruleset.items():
            self._host.retract_facts(ruleset, asserted)

    def _assert(self, ruleset: str, fact: dict[str, Any]) -> None:
        with contextlib.suppress(*_NOTHING_TO_DO):
            self._host.assert_fact(ruleset, fact)
            self._asserted.append((ruleset, fact))
