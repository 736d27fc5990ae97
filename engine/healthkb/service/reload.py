"""Swapping in a new release without a restart: what every process of a service shares.

`healthkb serve` makes a folder private to its run (mode 700, removed when it stops)
that all its processes read and write:

- `state.json`: the generation every worker must serve (0 at start, one more for each
  release swapped in), that release's version and digest, who asked for it and when,
  and the last reload that was refused, with why;
- `release-N.json`: the files of generation N's KB, as the one who asked for it
  checked them (a `KBShipment`), which every worker loads: the files in the KB's
  folder may change again while the workers swap, or when a worker is restarted;
- `worker-PID.json`: what each worker serves now, and the last generation it tried;
- `lock`: held (`flock`) while a reload is checked and published, so two requests for
  a reload (a SIGHUP and a `POST /kb/reload`) do not interleave.

Whoever asks for a reload (the serving process on SIGHUP or `--watch`, a worker on
`POST /kb/reload`) loads the KB from its folder exactly as `healthkb serve` did at start
(validation, and the signature check with `--require-signed`). A KB that fails leaves the
generation as it was and records why; one that loads is published as the next
generation, its files with it. Each worker then loads those files and swaps only if
their digest is the published one (service/kb_holder.py): every worker answers with the
same release, or says why not.
"""

from __future__ import annotations

import base64
import contextlib
import datetime
import fcntl
import json
import logging
import os
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from ..audit.protection import policy_of
from ..errors import HealthKBError, Problem
from ..knowledge_base import KnowledgeBase, load, load_shipment
from ..runtime.shipment import KBShipment

log = logging.getLogger("healthkb.service")

STATE_FILE = "state.json"
LOCK_FILE = "lock"
WORKER_PREFIX = "worker-"
RELEASE_FILE = "release-{generation}.json"
WAIT_SECONDS = 60.0
"""How long a reload waits for every worker to swap before saying which did not."""


@dataclass(frozen=True)
class Refusal:
    """A reload that was refused: the old release keeps serving."""

    at: str
    requested_by: str
    reason: str
    problems: tuple[dict[str, Any], ...] = ()
    """Each as `Problem.to_dict()` gives it: file, line, column, code, message, hint."""

    def located_problems(self) -> list[Problem]:
        return [Problem(**problem) for problem in self.problems]


@dataclass(frozen=True)
class ReloadState:
    """The release every worker must serve (see the module docstring)."""

    generation: int
    version: str
    digest: str
    requested_by: str
    at: str
    refused: Refusal | None = None
    supervisor: int = 0
    """The process id of `healthkb serve` (the one to send SIGHUP)."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ReloadState:
        refused = data.get("refused")
        if refused is not None:
            refused = Refusal(**{**refused, "problems": tuple(refused.get("problems", ()))})
        return cls(**{**data, "refused": refused})


@dataclass(frozen=True)
class WorkerReport:
    """What one worker serves, and how its last reload went."""

    pid: int
    generation: int
    version: str
    digest: str
    tried: int
    """The last generation it tried to swap in (its `generation` unless that failed)."""
    failure: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class ReloadOutcome:
    """What a request for a reload did: `reloaded`, `unchanged` or `refused`."""

    state: ReloadState
    outcome: str
    workers: tuple[WorkerReport, ...] = field(default_factory=tuple)
    waiting: tuple[int, ...] = ()
    """Workers that had not swapped in the new generation when the wait ended."""


def now() -> str:
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="milliseconds")


class ReloadFolder:
    """The folder a service's processes share for reloads (see the module docstring)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    @classmethod
    @contextlib.contextmanager
    def created(cls, kb: KnowledgeBase) -> Iterator[ReloadFolder]:
        """A new folder, private to this run, at generation 0 serving `kb`; removed after."""
        with tempfile.TemporaryDirectory(prefix="healthkb-reload-") as path:
            folder = cls(path)
            started = ReloadState(0, kb.version, kb.digest, "start", now(), supervisor=os.getpid())
            folder.publish(started, kb.shipment())
            yield folder

    def read(self) -> ReloadState:
        data = json.loads((self.path / STATE_FILE).read_text(encoding="utf-8"))
        return ReloadState.from_dict(data)

    def write(self, state: ReloadState) -> None:
        _write_atomically(self.path / STATE_FILE, state.to_dict())

    def publish(self, state: ReloadState, shipment: KBShipment) -> None:
        """Make `state` the release to serve, its files first; keep the previous
        release's files (a worker may be loading them), remove older ones."""
        files = {name: base64.b64encode(data).decode("ascii") for name, data in shipment.files}
        release = {"digest": shipment.digest, "max_steps": shipment.max_steps, "files": files}
        _write_atomically(self.path / RELEASE_FILE.format(generation=state.generation), release)
        self.write(state)
        for old in self.path.glob(RELEASE_FILE.format(generation="*")):
            if int(old.stem.split("-")[1]) < state.generation - 1:
                old.unlink(missing_ok=True)

    def release(self, generation: int) -> KBShipment:
        """The files of generation `generation`'s KB (see `publish`)."""
        path = self.path / RELEASE_FILE.format(generation=generation)
        data = json.loads(path.read_text(encoding="utf-8"))
        files = tuple((name, base64.b64decode(text)) for name, text in data["files"].items())
        return KBShipment(files, data["digest"], data["max_steps"])

    def load(self, generation: int) -> KnowledgeBase:
        """Generation `generation`'s KB, from its files; `ShipmentError` unless their
        digest is the published one."""
        return load_shipment(self.release(generation))

    def stamp(self) -> tuple[int, int, int]:
        """Changes whenever the state file is written (a new file replaces it)."""
        status = (self.path / STATE_FILE).stat()
        return status.st_ino, status.st_mtime_ns, status.st_size

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        with open(self.path / LOCK_FILE, "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def report(self, report: WorkerReport) -> None:
        _write_atomically(self.path / f"{WORKER_PREFIX}{report.pid}.json", report.to_dict())

    def reports(self) -> list[WorkerReport]:
        """The reports of the workers alive now, by process id (a dead one's is removed)."""
        found = []
        for path in sorted(self.path.glob(f"{WORKER_PREFIX}*.json")):
            try:
                report = WorkerReport(**json.loads(path.read_text(encoding="utf-8")))
            except (OSError, ValueError, TypeError):
                continue  # being replaced, or removed just now
            if _alive(report.pid):
                found.append(report)
            else:
                path.unlink(missing_ok=True)
        return sorted(found, key=lambda report: report.pid)

    def pending(self, generation: int, workers: int) -> tuple[list[WorkerReport], list[int]]:
        """The workers' reports, and the workers that have not yet tried `generation`
        (process ids; -1 for each worker not started yet)."""
        reports = self.reports()
        waiting = [report.pid for report in reports if report.tried < generation]
        return reports, waiting + [-1] * max(0, workers - len(reports))


def request_reload(
    folder: ReloadFolder,
    root: str | Path | None,
    require_signed: str | None,
    requested_by: str,
    can_hash: bool = True,
) -> ReloadOutcome:
    """Check the KB at `root` and publish it as the next generation (see the module
    docstring); never raises for a KB that cannot be served, records why instead.
    `can_hash` is False when the service logs answers without a hash key: a release
    whose personal-data policy hashes attributes could not be logged, so it is refused
    (as `serve` refuses to start with it)."""
    with folder.locked():
        state = folder.read()
        try:
            kb = load(root, require_signed=require_signed)
            if not can_hash and policy_of(kb.content).hashes:
                raise HealthKBError(
                    "the release's personal-data policy hashes attributes, and this service "
                    "logs answers without a hash key (start it with --audit-hash-key FILE)"
                )
            shipment = kb.shipment()  # the files read again: check they still give the KB
            load_shipment(shipment)
        except (HealthKBError, OSError) as error:
            problems = tuple(p.to_dict() for p in getattr(error, "problems", []))
            reason = str(error).split(":\n", 1)[0]
            refusal = Refusal(now(), requested_by, reason, problems)
            folder.write(replace(state, refused=refusal))
            return ReloadOutcome(folder.read(), "refused")
        if kb.digest == state.digest:
            folder.write(replace(state, refused=None))
            return ReloadOutcome(folder.read(), "unchanged")
        published = replace(
            state,
            generation=state.generation + 1,
            version=kb.version,
            digest=kb.digest,
            requested_by=requested_by,
            at=now(),
            refused=None,
        )
        folder.publish(published, shipment)
        return ReloadOutcome(published, "reloaded")


def wait_for_workers(
    folder: ReloadFolder, outcome: ReloadOutcome, workers: int, seconds: float = WAIT_SECONDS
) -> ReloadOutcome:
    """`outcome` with the workers' reports once each has tried its generation (or
    `seconds` passed: `waiting` names those that had not)."""
    deadline = time.monotonic() + seconds
    while True:
        reports, waiting = folder.pending(outcome.state.generation, workers)
        if not waiting or time.monotonic() > deadline:
            return replace(outcome, workers=tuple(reports), waiting=tuple(waiting))
        time.sleep(0.05)


def describe(outcome: ReloadOutcome) -> str:
    """One line for the log."""
    state = outcome.state
    if outcome.outcome == "refused":
        assert state.refused is not None
        problems = "; ".join(str(p) for p in state.refused.located_problems()[:5])
        return (
            f"reload asked by {state.refused.requested_by} refused: {state.refused.reason}"
            f"{': ' + problems if problems else ''}; still serving {state.version} ({state.digest})"
        )
    if outcome.outcome == "unchanged":
        return f"reload asked: the KB on disk is the one served, {state.version} ({state.digest})"
    failed = [f"worker {r.pid}: {r.failure}" for r in outcome.workers if r.failure]
    done = f"generation {state.generation}: {state.version} ({state.digest})"
    if failed or outcome.waiting:
        late = [str(pid) for pid in outcome.waiting if pid > 0]
        return f"{done} NOT served by every worker: {'; '.join(failed + late)}"
    return f"{done} served by every worker ({len(outcome.workers)})"


class Reloader:
    """The serving process's side: reloads asked for by SIGHUP or `--watch`, run one at
    a time on a thread of their own (the supervisor's loop keeps watching its workers)."""

    def __init__(
        self,
        folder: ReloadFolder,
        root: str | Path | None,
        require_signed: str | None,
        workers: int,
        can_hash: bool = True,
    ) -> None:
        self.folder = folder
        self.root = root
        self.require_signed = require_signed
        self.workers = workers
        self.can_hash = can_hash
        self._lock = threading.Lock()
        self._again = threading.Event()

    def start(self, requested_by: str) -> None:
        """Reload on a new thread; if one is running, it runs once more when done."""
        self._again.set()
        threading.Thread(target=self._run, args=(requested_by,), daemon=True).start()

    def _run(self, requested_by: str) -> None:
        while self._again.is_set():
            if not self._lock.acquire(blocking=False):
                return  # the running one sees `_again`
            try:
                while self._again.is_set():
                    self._again.clear()
                    self.reload(requested_by)
            finally:
                self._lock.release()

    def reload(self, requested_by: str) -> ReloadOutcome | None:
        """Reload now, logging what happened; None if it failed unexpectedly."""
        log.info("reload asked by %s", requested_by)
        try:
            outcome = request_reload(
                self.folder, self.root, self.require_signed, requested_by, self.can_hash
            )
            if outcome.outcome == "reloaded":
                outcome = wait_for_workers(self.folder, outcome, self.workers)
        except Exception:  # the service keeps serving whatever went wrong here
            log.exception("reload asked by %s failed", requested_by)
            return None
        (log.error if outcome.outcome == "refused" else log.info)("%s", describe(outcome))
        return outcome


def fingerprint(root: Path) -> tuple[tuple[str, int, int], ...]:
    """Every file under `root` with its modification time and size: changes when an
    editor saves any of them (the KB's digest is checked again on reload)."""
    found = []
    for folder, _, files in os.walk(root):
        for name in files:
            path = os.path.join(folder, name)
            with contextlib.suppress(OSError):
                status = os.stat(path)
                found.append((os.path.relpath(path, root), status.st_mtime_ns, status.st_size))
    return tuple(sorted(found))


def watch(
    root: Path, on_change: Callable[[], None], stop: threading.Event, interval: float = 0.5
) -> None:
    """Call `on_change` once the files under `root` changed and then stayed as they are
    for `interval` seconds (an editor saving several files is one change), until `stop`."""
    seen = fingerprint(root)
    while not stop.wait(interval):
        current = fingerprint(root)
        if current == seen:
            continue
        while not stop.wait(interval):
            settled = fingerprint(root)
            if settled == current:
                break
            current = settled
        seen = current
        on_change()


def _write_atomically(path: Path, data: dict[str, Any]) -> None:
    fd, temporary = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump(data, out, sort_keys=True)
    os.replace(temporary, path)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
