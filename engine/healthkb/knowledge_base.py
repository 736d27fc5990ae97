"""A loaded knowledge base: validated content plus its compiled durable_rules engine."""

from __future__ import annotations

import re
from os import PathLike
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from .audit.log import AuditLog
from .content.gcpause import collection_paused
from .content.loader import KBContent, read_content
from .content.profile import build_profile_model, read_profile, validate_profile
from .errors import Problem
from .results.result import Result, build_result
from .runtime.compile import compile_rules
from .runtime.engine import DEFAULT_MAX_STEPS, Engine


class KnowledgeBase:
    """A validated, compiled KB. Safe to share across threads.

    >>> import healthkb
    >>> kb = healthkb.load()
    >>> result = kb.evaluate({"symptoms": {"physical_discomfort": True}})
    >>> result.conclusion_ids
    ['stop_and_rest']
    """

    def __init__(self, content: KBContent, max_steps: int = DEFAULT_MAX_STEPS) -> None:
        self.content = content
        self.max_steps = _checked_max_steps(max_steps)
        self.profile_model: type[BaseModel] = build_profile_model(content.vocabulary)
        active = content.active_rules()
        label = re.sub(r"[^a-z0-9]+", "-", content.manifest.id.lower())
        plan = compile_rules(active, content.dnf, content.strata, label)
        self._engine = Engine(
            plan,
            conclusions={r.id: r.then.conclude for r in active},
            derives={
                r.id: (r.then.derive.fact, dict(r.then.derive.values)) if r.then.derive else None
                for r in active
            },
        )
        self.plan = plan

    @property
    def id(self) -> str:
        return self.content.manifest.id

    @property
    def version(self) -> str:
        """The version stamped on answers: the release's, or `x.y.z+dev` for a working
        copy changed since its release (see `KBContent.version`)."""
        return self.content.version

    @property
    def pending(self) -> tuple[Problem, ...]:
        """Items changed since the last release without a new version (`version-not-bumped`):
        fine in a working copy, refused by `healthkb validate` and `release`."""
        return self.content.pending

    @property
    def digest(self) -> str:
        """sha256 of all KB content (manifest, sources, vocabulary, conclusions, rules)."""
        return self.content.digest

    def validate_profile(self, profile: Any) -> BaseModel:
        """The profile as this KB's profile model; raises ProfileError naming every bad field."""
        return validate_profile(self.profile_model, self.content.vocabulary, profile)

    def evaluate(self, profile: Any, *, audit: AuditLog | None = None) -> Result:
        """Evaluate a profile (dict or profile model) and return conclusions with proofs.

        With `audit`, the evaluation is appended to that audit log (durably, before this
        returns) and `result.audit_record_id` names its record.
        """
        _check_audit(audit)
        validated = self.validate_profile(profile)
        return self._evaluate(validated, audit)

    def evaluate_file(self, path: str | Path, *, audit: AuditLog | None = None) -> Result:
        """Evaluate a profile file (YAML or JSON); errors name the file, line and column."""
        _check_audit(audit)
        data, located = read_profile(Path(path))
        validated = validate_profile(self.profile_model, self.content.vocabulary, data, located)
        return self._evaluate(validated, audit)

    def _evaluate(self, validated: BaseModel, audit: AuditLog | None) -> Result:
        given = validated.model_dump(exclude_none=True)
        facts = [(name, values, "input") for name, values in given.items()]
        facts += [
            (name, dict(fact.values), "background")
            for name, fact in sorted(self.content.vocabulary.background.items())
        ]
        trace = self._engine.run(facts, self.max_steps)
        result = build_result(self.content, given, trace)
        if audit is not None:
            result._audit_record_id = audit.append(result)
        return result

    def __repr__(self) -> str:
        return f"<KnowledgeBase {self.id} {self.version} {self.digest[:19]}>"

    def __reduce_ex__(self, protocol: Any) -> Any:
        # Its compiled rule engine (locks, a durable_rules host, generated models) is
        # bound to this process; without this, pickle fails deep inside with a message
        # about a class named `Profile`.
        raise TypeError(
            "a KnowledgeBase cannot be pickled: send profiles to the worker processes and "
            "load the KB in each (healthkb.load(), once per worker); see docs/api.md, "
            '"Results across processes"'
        )

    def __copy__(self) -> KnowledgeBase:
        # Never changed once loaded, and safe to share across threads: a copy is itself.
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> KnowledgeBase:
        return self


def _checked_max_steps(max_steps: Any) -> int:
    """The step limit, refused at load time rather than at the first evaluation."""
    if isinstance(max_steps, bool) or not isinstance(max_steps, int):
        raise TypeError(f"max_steps must be a whole number; got {type(max_steps).__name__}")
    if max_steps < 1:
        raise ValueError(f"max_steps must be at least 1; got {max_steps}")
    return max_steps


def _check_audit(audit: Any) -> None:
    if audit is None or isinstance(audit, AuditLog):
        return
    hint = f" — use AuditLog({str(audit)!r})" if isinstance(audit, str | PathLike) else ""
    raise TypeError(f"audit must be a healthkb.AuditLog; got {type(audit).__name__}{hint}")


def load(path: str | Path | None = None, *, max_steps: int = DEFAULT_MAX_STEPS) -> KnowledgeBase:
    """Load, check and compile a KB (default: the bundled one); raises KBError if broken.

    `max_steps` (a whole number, at least 1) bounds the rule firings of one evaluation.
    """
    _checked_max_steps(max_steps)
    with collection_paused():
        return KnowledgeBase(read_content(path), max_steps=max_steps)
