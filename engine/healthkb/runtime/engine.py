"""Running compiled rulesets on durable_rules: one isolated session per evaluation.

One `Engine` (and one durable_rules host) per loaded KB, so two KBs in one process
never share rulesets (a KB that goes away leaves its emptied rulesets to the next KB
compiled to the same definitions: native.py says why). Each evaluation runs in a
session of its own; its facts are routed to the rulesets that test them, derived facts
are asserted back until nothing new is derived (the fixpoint), and afterwards every
fact is retracted again.

Why retract instead of `delete_state`: durable_rules 2.0.28 crashes the process
(segmentation fault) when a session is deleted while a rule is half-matched (one
fact of a join present, the other not), which is the normal case here (and, on these
rulesets, after retraction too). A session emptied by retraction is clean and its id is
reused, so memory stays flat.

Its fast paths, and why they give the same answer: docs/performance.md, "Evaluating".
"""

from __future__ import annotations

import json
import math
import re
import threading
import weakref
from collections import deque
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, NamedTuple

import durable_rules_engine

from ..errors import EvaluationError
from . import native
from .compile import (
    GATE_TYPE,
    TYPE_KEY,
    CompiledRule,
    Plan,
    canonical_fact,
    json_encoder,
    member_key,
)

DEFAULT_MAX_STEPS = 10_000


@dataclass(frozen=True)
class FactRecord:
    """One fact present in an evaluation: given, background, or derived."""

    index: int
    type: str
    values: dict[str, Any]
    origin: str  # "input", "background" or "derived"
    canonical: str  # type and values as sorted JSON: the fact's identity, stable across runs


class Firing(NamedTuple):
    """One rule conjunction firing, with the facts it bound and what it produced.

    A named tuple, not a frozen dataclass: an evaluation of a large KB records thousands
    of firings, and a frozen dataclass costs about three times as much to build.
    """

    rule_id: str
    conjunction: int
    bound: tuple[tuple[str, int], ...]  # (fact type, fact index) per positive fact, by type
    conclusion: str | None = None
    derived: int | None = None


FiringRecord = tuple[str, int, tuple[tuple[str, int], ...], str | None, int | None]
"""A firing as a trace records it: `Firing`'s fields, in order, in a plain tuple.

Python's garbage collector stops tracking a plain tuple of plain values (strings,
numbers, such tuples) the first time it looks at it, but tracks a named tuple for as
long as it lives. A result on a large KB keeps thousands of firings (and the ranks of
those that reached a conclusion, `Proofs.reaching`); as named tuples they made the
collector's full passes, over every object of the process and of the loaded KB, come
once every few dozen results kept (`docs/performance.md`)."""


@dataclass
class Trace:
    facts: list[FactRecord] = field(default_factory=list)
    records: list[FiringRecord] = field(default_factory=list)
    """Every firing, in the order they fired."""

    @property
    def firings(self) -> list[Firing]:
        """Every firing, in the order they fired (made when asked: see `FiringRecord`)."""
        return [Firing._make(record) for record in self.records]


@dataclass
class _Session:
    sid: str
    trace: Trace = field(default_factory=Trace)
    keys: dict[str, int] = field(default_factory=dict)
    # Each fact's (type, index), the pair a firing's `bound` holds, by the index as the
    # engine writes it in the fact's id: made once per fact, not once per firing.
    pairs: dict[str, tuple[str, int]] = field(default_factory=dict)
    pending: deque[FactRecord] = field(default_factory=deque)  # facts still to assert
    asserted: list[tuple[str, str]] = field(default_factory=list)  # (ruleset, fact JSON)


class Engine:
    """The durable_rules side of one loaded KB. Thread-safe; evaluations are serialised."""

    def __init__(
        self,
        plan: Plan,
    ) -> None:
        self._plan = plan
        self._lock = threading.Lock()
        # Rulesets of a dropped KB of the same shape when there are some (native.py).
        self._native = native.take(plan)
        self._rulesets = {
            r.name: ruleset for r, ruleset in zip(plan.rulesets, self._native.rulesets, strict=True)
        }
        weakref.finalize(self, native.give_back, self._native.shape, self._native)
        # The JSON of facts every evaluation may assert (derived and background facts,
        # by canonical text), without their id and session: written once, not per run.
        self._bodies: dict[str, str] = {}
        self._actions: dict[str, CompiledRule] = plan.actions

    def run(
        self, facts: list[tuple[str, dict[str, Any], str]], max_steps: int = DEFAULT_MAX_STEPS
    ) -> Trace:
        """Evaluate `facts` (type, values, origin) to a fixpoint and return what happened."""
        with self._lock:
            sid = self._native.new_sid()
            session = _Session(sid=sid)
            try:
                for fact_type, values, origin in facts:
                    self._add_fact(
                        session, fact_type, values, origin, canonical_fact(fact_type, values)
                    )
                self._drain(session, max_steps)
                for stratum in self._plan.strata:
                    gate = {TYPE_KEY: GATE_TYPE, "stratum": stratum, "id": f"gate{stratum}"}
                    text = to_json({**gate, "sid": session.sid})
                    self._assert(session, self._plan.gate_routes[stratum], text)
                    self._drain(session, max_steps)
                return session.trace
            finally:
                if self._retract_all(session):
                    self._native.free_sids.append(session.sid)

    def _retract_all(self, session: _Session) -> bool:
        """Empty the session so its id can be reused; False if that failed.

        One batch per ruleset, in the reverse order of assertion. Retracting can fire
        nothing: every rule that tests an absence waits for a gate fact of its own
        ruleset, and gates, asserted last, are retracted first.
        """
        by_ruleset: dict[str, list[str]] = {}
        for name, text in reversed(session.asserted):
            by_ruleset.setdefault(name, []).append(text)
        retract = durable_rules_engine.retract_facts
        try:
            for name, texts in by_ruleset.items():
                if not self._send(session, retract, name, "[" + ",".join(texts) + "]"):
                    return False
        except Exception:
            return False
        return True

    def _add_fact(
        self, session: _Session, fact_type: str, values: dict[str, Any], origin: str, key: str
    ) -> int:
        """The index of the fact with identity `key`; a new fact is recorded and queued to
        be asserted (facts are a set: the same fact given or derived twice is one)."""
        index = session.keys.get(key)
        if index is None:
            index = session.keys[key] = len(session.trace.facts)
            record = FactRecord(index, fact_type, values, origin, key)
            session.trace.facts.append(record)
            session.pairs[str(index)] = (fact_type, index)
            session.pending.append(record)
        return index

    def _drain(self, session: _Session, max_steps: int) -> None:
        """Assert the queued facts, first in first out, until no rule derives a new one."""
        firings = session.trace.records
        routes = self._plan.routes
        while session.pending:
            fact = session.pending.popleft()
            to = routes.get(fact.type, ())
            if to:
                self._assert(session, to, self._fact_text(fact, session.sid))
            if len(firings) > max_steps:
                raise EvaluationError(
                    f"evaluation stopped: more than {max_steps} rule firings (a runaway chain?); "
                    f"most recent rules: {', '.join(rule_id for rule_id, *_ in firings[-5:])}"
                )

    def _fact_text(self, fact: FactRecord, sid: str) -> str:
        """The fact as durable_rules reads it: its JSON with its id and session."""
        body = None if fact.origin == "input" else self._bodies.get(fact.canonical)
        if body is None:
            durable_fact = _durable_fact(fact.type, fact.values, fact.index)
            del durable_fact["id"]
            body = to_json(durable_fact)[:-1]  # without the closing brace: id and session follow
            if fact.origin != "input":  # a KB has finitely many of these; profiles, no end
                self._bodies[fact.canonical] = body
        return f'{body},"id":"f{fact.index}","sid":"{sid}"}}'

    def _assert(self, session: _Session, rulesets: tuple[str, ...], text: str) -> None:
        assert_fact = durable_rules_engine.assert_fact
        for name in rulesets:
            if self._send(session, assert_fact, name, text):
                session.asserted.append((name, text))

    def _send(self, session: _Session, operation: Any, name: str, text: str) -> bool:
        """Assert or retract facts given as JSON text, then run the actions they trigger;
        False if the ruleset had nothing to do with them (no rule of it can use the fact,
        or the fact is already there: facts are a set).

        The text is ours, not durable_rules' `json.dumps`: its parser rejects exponents
        such as `1e-06`, so facts are written with positional numbers by `to_json`.
        Actions are taken from the engine one by one, as durable_rules' own
        `Ruleset.do_actions` does, minus what we do not use: a Python closure per
        action and a rewrite of the session's state document after each one (only
        facts are used here, so that document never changes). What an action names is
        read from its text without decoding it (`_fired`).
        """
        handle = self._rulesets[name]._handle
        # What durable_rules' `Ruleset._handle_result` reads, without its exceptions.
        code, state_handle = operation(handle, text)[:2]
        if code in _NOTHING_TO_DO:
            return False
        if code == _NO_STATE:
            state_handle = 0
        started = durable_rules_engine.start_action_for_state(handle, state_handle)
        if not started:
            return True
        queued = started[1]
        complete_and_start = durable_rules_engine.complete_and_start_action
        while queued:
            try:
                self._fired(session, queued)
            except BaseException:
                durable_rules_engine.abandon_action(handle, state_handle)
                raise
            queued = complete_and_start(handle, state_handle)
        return True

    def _fired(self, session: _Session, text: str) -> None:
        """One rule conjunction fired; `text` is the action as durable_rules gives it:
        `{"<rule>#<conjunction>":{"f0":{...,"id":"f<index>","sid":"<session>"},...}}`,
        each bound fact as we asserted it (its id and session last), in the order of the
        rule's patterns, then its gate (`"id":"gate<stratum>"`) if it has one.

        The name ends at the first quote after the opening `{"` (rule ids are
        identifiers), and each fact's index is the number after `"id":"f`, which only a
        fact's own id can be followed by (values are numbers, booleans and identifiers,
        and inside a JSON string every quote is escaped anyway), so the action is read
        without decoding its facts' values: a third of the cost of `json` here, and a
        large KB fires thousands of rules per profile (tests/runtime/test_action_reading.py
        holds this reading to decoding).
        """
        action = self._actions[text[2 : text.index('"', 2)]]
        indices = _FACT_INDEX.findall(text)
        if action.places is not None:
            indices = [indices[place] for place in action.places]
        bound = tuple(map(session.pairs.__getitem__, indices))
        derived = None
        if action.derive is not None:
            fact_type, values, key = action.derive
            derived = session.keys.get(key)
            if derived is None:  # each derived fact gets values of its own, as results hold them
                derived = self._add_fact(session, fact_type, dict(values), "derived", key)
        firing = (action.rule_id, action.conjunction, bound, action.conclusion, derived)
        session.trace.records.append(firing)


# The index of each fact an action names: its id, written last but for its session
# (`_fact_text`); gates' ids (`gate<stratum>`) do not match.
_FACT_INDEX = re.compile(r'"id":"f(\d+)","sid":"')
# durable_rules' answers to an assertion or retraction that left nothing to do: no rule
# of the ruleset can use the fact (1), or it was asserted already (2); and the answer
# that names no session state (3).
_NOTHING_TO_DO = (1, 2)
_NO_STATE = 3


# Made once (see `json_encoder`).
_COMPACT = json_encoder(ensure_ascii=False, allow_nan=False, separators=(",", ":"))


def to_json(value: Any) -> str:
    """JSON with numbers in positional notation (durable_rules cannot parse `1e-06`)."""
    try:
        text = _COMPACT(value)
    except ValueError:  # NaN or infinity: refused below, in the words it always was
        return _positional_json(value)
    # Walking the values for a float Python writes with an exponent costs more than the
    # encoding; a text without a digit, `e` and a digit or sign in a row has none.
    if _MAYBE_EXPONENT.search(text) is not None and _has_exponent_float(value):
        return _positional_json(value)
    return text


_MAYBE_EXPONENT = re.compile(r"[0-9][eE][-+0-9]")


def _has_exponent_float(value: Any) -> bool:
    """Would `json.dumps` write a number of this fact (flat: scalars and lists) as 1e-05?"""
    items = value.values() if isinstance(value, dict) else value
    for item in items:
        if isinstance(item, float) and item and not 1e-4 <= abs(item) < 1e16:
            return True
        if isinstance(item, dict | list) and _has_exponent_float(item):
            return True
    return False


def _positional_json(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"number {value} cannot be evaluated")
        return format(Decimal(repr(value)), "f")
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ",".join(_positional_json(item) for item in value) + "]"
    if isinstance(value, dict):
        items = (f"{_positional_json(str(k))}:{_positional_json(v)}" for k, v in value.items())
        return "{" + ",".join(items) + "}"
    raise TypeError(f"cannot send {type(value).__name__} to the rule engine")


def _durable_fact(fact_type: str, values: dict[str, Any], index: int) -> dict[str, Any]:
    fact = {**values, TYPE_KEY: fact_type, "id": f"f{index}"}
    for name, value in values.items():
        if isinstance(value, list):
            for item in value:
                fact[member_key(name, str(item))] = True
    return fact
