"""A loaded knowledge base: validated content plus its compiled durable_rules engine.

Its fast paths, and why they give the same answer: docs/performance.md, "Evaluating".
"""

from __future__ import annotations

import datetime
import itertools
import re
import threading
from collections.abc import Callable, Iterable, Iterator
from os import PathLike
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from .content.languages.tags import choose_language
from .content.languages.translated import in_language
from .content.loading.collector_pause import collection_paused
from .content.loading.kb_content import KBContent
from .content.loading.loader import bundled_root, read_content
from .content.provenance import today_or_environment
from .errors import HealthKBError, KBError, Problem
from .files.crypto_on_demand import ed25519
from .files.ed25519_keys import read_public_key
from .files.on_demand import OnDemand
from .profiles.profile_model import build_profile_model, read_profile, validate_profile
from .results.evidence import overdue_sources
from .results.result import Cited, Reached, Result, build_result, conclusions_reached
from .runtime.compile import compile_rules
from .runtime.engine import DEFAULT_MAX_STEPS, Engine, Trace
from .runtime.pool import in_order, process_pool, worker_count


def _import_audit_log() -> ModuleType:
    from .audit import log

    return log


def _import_release_signature() -> ModuleType:
    from .content.versioning import release_signature

    return release_signature


def _import_shipment() -> ModuleType:
    from .runtime import shipment

    return shipment


# What only some programs use is imported at its first use (docs/performance.md,
# "Start-up, fourth pass"): the audit log (audit/, with its stores) when an evaluation
# is given one, which a program has then imported already; a release's signature when
# a load requires one; the shipment of a KB to worker processes.
if TYPE_CHECKING:
    from .audit import log as audit_logs
    from .audit.log import AuditLog
    from .content.versioning import release_signature
    from .runtime import shipment as shipping
    from .runtime.shipment import KBShipment
else:
    audit_logs = OnDemand(_import_audit_log)
    release_signature = OnDemand(_import_release_signature)
    shipping = OnDemand(_import_shipment)

# Profiles sent to a worker process at a time by `evaluate_many`: enough to make the
# cost of sending them small next to evaluating them.
PROFILES_PER_TASK = 64


class KnowledgeBase:
    """A validated, compiled KB. Safe to share across threads.

    >>> import healthkb
    >>> kb = healthkb.load()
    >>> result = kb.evaluate({"symptoms": {"physical_discomfort": True}})
    >>> result.conclusion_ids
    ['stop_and_rest']
    """

    def __init__(
        self,
        content: KBContent,
        max_steps: int = DEFAULT_MAX_STEPS,
        today: Callable[[], datetime.date] = today_or_environment,
    ) -> None:
        self.content = content
        self.today = today
        """The day answers are checked against review dates (`stale`); injectable."""
        self._overdue: tuple[datetime.date, frozenset[str]] | None = None
        self.max_steps = _checked_max_steps(max_steps)
        self.profile_model: type[BaseModel] = build_profile_model(content.vocabulary)
        active = content.active_rules()
        label = re.sub(r"[^a-z0-9]+", "-", content.manifest.id.lower())
        plan = compile_rules(active, content.dnf, content.strata, label)
        self._engine = Engine(plan)
        self.plan = plan
        self._cited: Cited = {}  # each conclusion's citations, resolved once
        # The content worded in each language asked for, made once (a dict assignment
        # is atomic: two threads making the same language make the same content).
        self._in_language: dict[str, KBContent] = {}
        # The same for every evaluation, and never changed by one: made once.
        self._background = [
            (name, dict(fact.values), "background")
            for name, fact in sorted(content.vocabulary.background.items())
        ]

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

    @property
    def languages(self) -> list[str]:
        """The languages this KB answers in (BCP 47 tags), its default first."""
        return self.content.languages

    def language(self, wish: str) -> str:
        """The KB language that serves a reader asking for `wish` (`zh`, `zh-CN` and
        `zh-Hans` all find `zh-Hans`); raises `UnknownLanguageError` for a tag that is not
        valid or that no language of the KB serves."""
        return choose_language(wish, self.content.languages)

    def _worded(self, lang: str | None) -> KBContent:
        """This KB's content worded in language `lang` (see `language`), or as its files
        say it for None: the same rules and digest, the wording of its translation."""
        if lang is None:
            return self.content
        tag = self.language(lang)
        content = self._in_language.get(tag)
        if content is None:
            content = self._in_language[tag] = in_language(self.content, tag)
        return content

    def evaluate(
        self,
        profile: Any,
        *,
        lang: str | None = None,
        audit: AuditLog | None = None,
        input_id: str | None = None,
    ) -> Result:
        """Evaluate a profile (dict or profile model) and return conclusions with proofs.

        With `lang` (a BCP 47 tag of one of `languages`), the result, its explanations,
        why-nots and cards are worded in that language and say so (`result.language`);
        an unknown tag raises `UnknownLanguageError`. With `audit`, the evaluation is
        appended to that audit log (durably, before this returns) and
        `result.audit_record_id` names its record; `input_id`, the caller's id of this
        input (a request id, say), is kept in the record (`audit list --input-id` finds
        it).
        """
        _check_audit(audit)
        content = self._worded(lang)
        with collection_paused():
            validated = self.validate_profile(profile)
            return self._evaluate(validated, audit, input_id, content)

    def evaluate_file(
        self, path: str | Path, *, lang: str | None = None, audit: AuditLog | None = None
    ) -> Result:
        """Evaluate a profile file (YAML or JSON); errors name the file, line and column."""
        _check_audit(audit)
        content = self._worded(lang)
        data, located = read_profile(Path(path))
        validated = validate_profile(self.profile_model, self.content.vocabulary, data, located)
        return self._evaluate(validated, audit, content=content)

    def conclusions_reached(self, profile: Any) -> list[Reached]:
        """Only the conclusions a profile reaches, each with its rule and rule version, its
        evidence level and staleness, in the order of `evaluate(profile).conclusions`: what
        a batch answer holds. Faster
        than `evaluate` (no facts used, citations or firings are built); raises the same
        errors.

        >>> import healthkb
        >>> kb = healthkb.load()
        >>> [c.rule_id for c in kb.conclusions_reached({"symptoms": {"physical_discomfort": True}})]
        ['stop_on_discomfort']
        """
        with collection_paused():
            _, trace = self._run(self.validate_profile(profile))
            return conclusions_reached(self.content, trace, self.overdue_sources())

    def _run(self, validated: BaseModel) -> tuple[dict[str, Any], Trace]:
        given = validated.model_dump(exclude_none=True)
        facts = [(name, values, "input") for name, values in given.items()]
        return given, self._engine.run(facts + self._background, self.max_steps)

    def _evaluate(
        self,
        validated: BaseModel,
        audit: AuditLog | None,
        input_id: str | None = None,
        content: KBContent | None = None,
    ) -> Result:
        given, trace = self._run(validated)
        worded = self.content if content is None else content
        result = build_result(worded, given, trace, self._cited, self.overdue_sources())
        if audit is not None:
            result._audit_record_id = audit.append(result, input_id)
        return result

    def overdue_sources(self) -> frozenset[str]:
        """The sources past their review date today (worked out once a day)."""
        today = self.today()
        known = self._overdue
        if known is None or known[0] != today:
            known = self._overdue = (today, overdue_sources(self.content, today))
        return known[1]

    def evaluate_many(self, profiles: Iterable[Any], workers: int | None = 1) -> Iterator[Result]:
        """Evaluate profiles one after the other, yielding each result in input order.

        With `workers=1` (the default) they are evaluated in this process. With more
        (None: one per core), in that many worker processes, each loading this KB once
        from its files as this KB read them (`shipment()`), checking their digest;
        their results are *detached* (see `Result`). Profiles are read from `profiles`
        only as workers free up, so any number of them fits in memory. An invalid
        profile raises `ProfileError` at its place, after the results before it.

        >>> import healthkb
        >>> kb = healthkb.load()
        >>> profiles = [{}, {"symptoms": {"physical_discomfort": True}}]
        >>> [result.conclusion_ids for result in kb.evaluate_many(profiles)]
        [[], ['stop_and_rest']]
        """
        count = worker_count(workers)
        if count == 1:
            return (self.evaluate(profile) for profile in profiles)
        return _evaluate_in_pool(self.shipment(), profiles, count)

    def shipment(self) -> KBShipment:
        """This KB's files and digest, to load the same KB in another process or machine
        (`load_shipment`); the files are read again now, and the digest is this KB's."""
        return shipping.pack(self.content.root, self.digest, self.max_steps)

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
    if audit is None or isinstance(audit, audit_logs.AuditLog):
        return
    hint = f" — use AuditLog({str(audit)!r})" if isinstance(audit, str | PathLike) else ""
    raise TypeError(f"audit must be a healthkb.AuditLog; got {type(audit).__name__}{hint}")


def load(
    path: str | Path | None = None,
    *,
    max_steps: int = DEFAULT_MAX_STEPS,
    today: Callable[[], datetime.date] = today_or_environment,
    require_signed: str | Path | ed25519.Ed25519PublicKey | None = None,
    allow_links_outside: bool = False,
) -> KnowledgeBase:
    """Load, check and compile a KB (default: the bundled one); raises KBError if broken.

    `max_steps` (a whole number, at least 1) bounds the rule firings of one evaluation.
    `today` gives the day answers are checked against sources' review dates (by default
    the `HEALTHKB_TODAY` environment variable, `YYYY-MM-DD`, else the system's date).
    `require_signed` (an Ed25519 public key, or its PEM file): refuse the KB, with a
    `KBError` naming each file, unless its files are exactly those of a release signed
    with that key (`healthkb release --sign`).
    A KB file or folder that is a link leading outside `path` is refused (problem
    `outside-kb`) unless `allow_links_outside`: a KB is its own text.
    """
    _checked_max_steps(max_steps)
    if require_signed is not None:
        check_signed(Path(path) if path is not None else bundled_root(), require_signed)
    with collection_paused(kept=True):
        content = read_content(path, allow_links_outside=allow_links_outside)
        return KnowledgeBase(content, max_steps=max_steps, today=today)


def check_signed(root: Path, public: str | Path | ed25519.Ed25519PublicKey) -> None:
    """Raise `KBError` naming every file of the KB at `root` that is not as `public`'s
    signed release holds it (or `KeyFileError` for a key file that cannot be used)."""
    key = public if isinstance(public, ed25519.Ed25519PublicKey) else read_public_key(public)
    problems = release_signature.verify_release(root, key).problems
    if problems:
        raise KBError(problems)


def load_shipment(shipment: KBShipment) -> KnowledgeBase:
    """Load a shipped KB; raises `ShipmentError` unless its digest is the shipped one."""
    with shipping.unpacked(shipment) as root:
        kb = load(root, max_steps=shipment.max_steps)
    shipping.check_digest(shipment, kb.digest)
    return kb


# In a worker process: the KBs shipped to it, by digest, each loaded once on start;
# or why one could not be loaded, told to every task that asks for it (an error in a
# pool's initializer would only break the pool, and lose the message).
_shipped: dict[str, KnowledgeBase | HealthKBError] = {}
_shipped_lock = threading.Lock()


def adopt_shipments(*shipments: KBShipment) -> None:
    """Load each shipped KB into this (worker) process, unless it was loaded already."""
    for shipment in shipments:
        with _shipped_lock:
            if isinstance(_shipped.get(shipment.digest), KnowledgeBase):
                continue
            try:
                _shipped[shipment.digest] = load_shipment(shipment)
            except HealthKBError as error:
                _shipped[shipment.digest] = error


def shipped(digest: str) -> KnowledgeBase:
    """The KB with this digest shipped to this worker process by `adopt_shipments`;
    raises the error that refused it, if it was refused."""
    kb = _shipped.get(digest)
    if isinstance(kb, HealthKBError):
        raise kb
    if kb is None:
        raise shipping.ShipmentError(f"no KB with digest {digest} was sent to this worker process")
    return kb


def _evaluate_in_pool(
    shipment: KBShipment, profiles: Iterable[Any], workers: int
) -> Iterator[Result]:
    chunks = _chunks(profiles, PROFILES_PER_TASK)
    with process_pool(workers, adopt_shipments, (shipment,)) as pool:
        for answers in in_order(
            lambda chunk: pool.submit(_evaluate_chunk, shipment.digest, chunk),
            chunks,
            window=2 * workers,
        ):
            for answer in answers:
                if isinstance(answer, HealthKBError):
                    raise answer
                yield answer


def _evaluate_chunk(digest: str, profiles: list[Any]) -> list[Result | HealthKBError]:
    """In a worker: each profile's result, or the error that refused it, in order."""
    kb = shipped(digest)
    answers: list[Result | HealthKBError] = []
    for profile in profiles:
        try:
            answers.append(kb.evaluate(profile))
        except HealthKBError as error:
            answers.append(error)
            break  # the caller stops at the first error: the rest would be wasted work
    return answers


def _chunks(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    iterator = iter(items)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk
