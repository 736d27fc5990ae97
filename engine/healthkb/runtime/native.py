"""The native durable_rules rulesets of a KB, and their reuse once the KB is gone.

durable_rules 2.0.28 allocates the state of a session (its frame and message pools) in
each ruleset the first time a fact of that session reaches it, and frees it only in
`delete_state`, which crashes the process on these rulesets (see engine.py);
`delete_ruleset` frees the ruleset but not those states. So deleting the rulesets of
every KnowledgeBase that goes away still lost about 0.3-0.5 MB of native memory per KB
that had evaluated anything, and an app that reloads its KB on each update grew
without bound.

So the rulesets of a KB that goes away are not deleted: every session in them is empty
(each evaluation retracts all it asserted), and a later KB compiled to the same
definitions takes them over, session ids and all, instead of allocating new ones. A few
sets are kept idle (`MAX_IDLE`); beyond that the oldest idle set is deleted, which frees
all but those session states. Reloading the same KB (or going back and forth between a
few versions) then takes no new native memory at all.

Its fast paths, and why they give the same answer: docs/performance.md,
"Compiling and starting the engine".
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

import durable_rules_engine
from durable import engine as durable

from .compile import Plan

MAX_IDLE = 4
"""How many sets of native rulesets (one per dropped KB) wait to be taken over."""


class _Host(durable.Host):  # type: ignore[misc]
    """A durable_rules host that only holds the rulesets; `Engine` runs the actions."""

    def _run(self) -> None:
        # durable_rules starts timer threads that dispatch pending actions in the
        # background; every action here runs synchronously inside `Engine._send`, and a
        # background dispatch could run one on another thread, so we start none.
        return None

    def get_action(self, action_name: str) -> Any:
        def action(closure: Any) -> None:
            raise RuntimeError(f"rule action {action_name} dispatched outside Engine._send")

        return action


class _Ruleset(durable.Ruleset):  # type: ignore[misc]
    """A durable_rules ruleset made from its JSON text, with no actions of its own:
    `Engine._send` takes fired rules from the engine's queue itself."""

    def __init__(self, name: str, host: _Host, text: str) -> None:
        # What `durable.Ruleset.__init__` does, minus a Python action per rule and a
        # second `json.dumps` of the definition (the text is written once, by compile.py).
        self._actions: dict[str, Any] = {}
        self._name = name
        self._host = host
        self._handle = durable_rules_engine.create_ruleset(name, text)
        self._definition = None


@dataclass
class NativeRulesets:
    """One host's rulesets, in plan order, and the session ids used in them so far."""

    host: _Host
    rulesets: list[Any]
    shape: str = ""
    """The `shape_of` the plan they were made for (to be taken over by the same)."""
    free_sids: list[str] = field(default_factory=list)
    """Sessions emptied after use, to be reused (their native state already exists)."""
    sids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def new_sid(self) -> str:
        return self.free_sids.pop() if self.free_sids else f"s{next(self.sids)}"

    def delete(self) -> None:
        """Free the native rulesets (all but their sessions' states; see above)."""
        for ruleset in self.rulesets:
            with contextlib.suppress(Exception):  # already gone: nothing to free
                durable_rules_engine.delete_ruleset(ruleset._handle)
        self.rulesets = []


_idle: OrderedDict[int, tuple[str, NativeRulesets]] = OrderedDict()
_idle_lock = threading.Lock()
_idle_keys = itertools.count()


def shape_of(plan: Plan) -> str:
    """What native rulesets a plan needs: the same shape, the same rulesets.

    The digest of the definitions' texts (`RulesetPlan.text`), which the rulesets are
    made from: the same texts in the same order make the same rulesets."""
    digest = hashlib.sha256()
    for text in (r.text for r in plan.rulesets):
        digest.update(f"{len(text)}:{text}".encode())
    return digest.hexdigest()


def take(plan: Plan) -> NativeRulesets:
    """Native rulesets for `plan`: an idle set of the same shape, or new ones."""
    shape = shape_of(plan)
    with _idle_lock:
        # The most recently dropped first: its memory is the likeliest to be warm.
        for key, (idle_shape, native) in reversed(_idle.items()):
            if idle_shape == shape:
                del _idle[key]
                return native
    host = _Host()
    rulesets = [_Ruleset(r.name, host, r.text) for r in plan.rulesets]
    return NativeRulesets(host, rulesets, shape)


def give_back(shape: str, native: NativeRulesets) -> None:
    """Keep the rulesets of a KB that went away for the next KB of the same shape."""
    if not native.rulesets:
        return
    with _idle_lock:
        _idle[next(_idle_keys)] = (shape, native)
        evicted = [_idle.popitem(last=False)[1][1] for _ in range(len(_idle) - MAX_IDLE)]
    for old in evicted:
        old.delete()


def idle_count() -> int:
    """How many sets of rulesets are idle (for tests and benchmarks)."""
    with _idle_lock:
        return len(_idle)
