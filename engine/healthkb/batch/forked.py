"""Worker processes forked from this one, with the KBs it has already loaded (Linux).

A spawned worker starts a fresh Python, imports healthkb and loads the shipped KB
(`runners.py`): about 0.3 CPU s, and half a second before its first answer. A forked
one is this process's copy, KBs loaded, answering within milliseconds. A fork is
taken only where it is safe, and the copy is made to hold nothing of this process:

- **One thread** (`can_fork`, from `/proc/self/task`, so threads started by C code
  count too). A fork copies only the thread that calls it: a lock another thread held
  would stay held in the copy for good. A process with other threads (a server, a
  Dask client, a test runner's helpers) gets spawned workers instead.
- **It ends with this process, however this one ends.** Linux's parent-death signal
  (`prctl(PR_SET_PDEATHSIG, SIGKILL)`) has the kernel kill the worker when this
  process ends, `kill -9` included; a worker whose parent ended before it asked is
  gone at once. `close` kills and reaps it.
- **It keeps none of this process's files.** Every descriptor it inherited other than
  its own two pipe ends is pointed at /dev/null before any task: the output's lock (an
  `flock` belongs to the open file, and a copy holding it would keep the output locked
  against `--resume`), the input and output files, the standard streams, the pipes of
  other workers (so that each sees the end of its own).
- **It runs none of this process's exit.** Its loop ends with `os._exit`: no buffer of
  this process is flushed a second time, no exit handler runs.

Tasks and their results go through the two pipes as length-prefixed pickles, the
worker answering them in the order sent: `(task, item)` in, `task(*kbs, item)` (or the
exception it raised) out. This process never blocks on a full pipe while results wait
to be read (`_send` reads them meanwhile), so neither side waits on the other.

Its fast paths, and why they give the same answer: docs/performance.md, "Forked workers".
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import struct
import sys
from collections.abc import Callable
from types import ModuleType
from typing import TYPE_CHECKING, Any

from ..files.on_demand import OnDemand
from ..runtime.pool import widen_pipe


def _import_ctypes() -> ModuleType:
    import ctypes

    return ctypes


def _import_pickle() -> ModuleType:
    import pickle

    return pickle


# Standard modules, but only a run with workers needs them (a few ms of every start-up).
if TYPE_CHECKING:
    import ctypes
    import pickle
else:
    ctypes = OnDemand(_import_ctypes)
    pickle = OnDemand(_import_pickle)

_PR_SET_PDEATHSIG = 1  # linux/prctl.h
_HEADER = struct.Struct("<Q")  # a frame's length
_READ_BYTES = 1 << 20


class WorkerGone(Exception):
    """The worker process ended (killed, or out of memory) before answering."""


def can_fork() -> bool:
    """Whether a worker can be forked from this process: on Linux, with one thread."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        return len(os.listdir("/proc/self/task")) == 1
    except OSError:
        return False


class ForkedWorker:
    """A worker process forked from this one, answering `task(*kbs, item)` for each
    `(task, item)` sent, in the order sent, on the KBs as this process holds them."""

    def __init__(self, kbs: tuple[Any, ...]) -> None:
        tasks_in, self._tasks = os.pipe()
        self._results, results_out = os.pipe()
        for end in (tasks_in, self._results):
            widen_pipe(end)
        parent = os.getpid()
        try:
            pid = os.fork()
        except OSError:  # no process to be had (a limit reached, memory)
            for end in (tasks_in, self._tasks, self._results, results_out):
                os.close(end)
            raise
        if pid == 0:  # the worker: it never returns from here
            code = 1
            try:
                _work(parent, tasks_in, results_out, kbs)
                code = 0
            finally:
                os._exit(code)
        self.pid = pid
        os.close(tasks_in)
        os.close(results_out)
        os.set_blocking(self._tasks, False)
        os.set_blocking(self._results, False)
        self.sent = 0  # tasks sent
        self._received = 0  # results received
        self._answers: dict[int, tuple[bool, Any]] = {}  # received, not taken yet
        self._inbox = _Inbox()

    @property
    def in_flight(self) -> int:
        """Tasks sent whose results were not taken yet."""
        return self.sent - self._received + len(self._answers)

    def send(self, task: Callable[..., Any], item: Any) -> int:
        """Send a task; its number, for `answered` and `take`."""
        frame = pickle.dumps((task, item), protocol=pickle.HIGHEST_PROTOCOL)
        self._send(_HEADER.pack(len(frame)) + frame)
        self.sent += 1
        return self.sent - 1

    def answered(self, number: int) -> bool:
        """Whether task `number`'s result is here (reading those that have come)."""
        if number >= self._received:
            self._read(block=False)
        return number < self._received

    def take(self, number: int) -> Any:
        """Task `number`'s result, waiting for it; the exception it raised is raised."""
        while number >= self._received:
            self._read(block=True)
        ok, value = self._answers.pop(number)
        if not ok:
            raise value
        return value

    def close(self) -> None:
        """Kill the worker (whatever it was doing) and reap it."""
        for end in (self._tasks, self._results):
            with contextlib.suppress(OSError):
                os.close(end)
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(self.pid, 0)

    def _send(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            try:
                view = view[os.write(self._tasks, view) :]
            except BlockingIOError:
                # The worker may be waiting for room for its results: read them meanwhile.
                readable, _, _ = select.select([self._results], [self._tasks], [])
                if readable:
                    self._read(block=False)
            except BrokenPipeError:
                raise WorkerGone from None

    def _read(self, *, block: bool) -> None:
        """Read what the worker has written (waiting for something if `block`), and
        keep every result complete by now."""
        while True:
            try:
                answers = self._inbox.read(self._results)
            except BlockingIOError:
                if not block:
                    return
                select.select([self._results], [], [])
                continue
            for answer in answers:
                self._answers[self._received] = answer
                self._received += 1
            return


class _Inbox:
    """The pickled frames a pipe brings, read into one buffer kept from read to read (a
    chunk's answers are a few hundred kB: a new buffer for each read, and copies of it to
    join and cut frames, cost page faults and copying in the process that also answers
    chunks and writes every answer)."""

    def __init__(self) -> None:
        self._space = bytearray(_READ_BYTES)
        self._filled = 0  # bytes read, from the start of the first incomplete frame

    def read(self, descriptor: int) -> list[Any]:
        """What the frames completed by one read hold (BlockingIOError: nothing to read
        yet; WorkerGone: the pipe's end)."""
        with memoryview(self._space) as space:
            count = os.readv(descriptor, [space[self._filled :]])
        if not count:
            raise WorkerGone
        self._filled += count
        values, start = [], 0
        with memoryview(self._space) as space:
            while self._filled - start >= _HEADER.size:
                (size,) = _HEADER.unpack_from(space, start)
                end = start + _HEADER.size + size
                if self._filled < end:
                    break
                values.append(pickle.loads(space[start + _HEADER.size : end]))
                start = end
        # The incomplete frame's bytes to the front, with room for all of it.
        rest = self._filled - start
        if start + _HEADER.size <= self._filled:
            (size,) = _HEADER.unpack_from(self._space, start)
            if _HEADER.size + size > len(self._space):
                self._space = bytearray(self._space[start : self._filled])
                self._space.extend(bytes(_HEADER.size + size - rest))
                start = 0
        if start:
            self._space[:rest] = self._space[start : self._filled]
        self._filled = rest
        return values


def _work(parent: int, tasks: int, results: int, kbs: tuple[Any, ...]) -> None:
    """The worker's life: cut loose from this process, then answer until the end of
    the tasks (this process closed its end) or until killed."""
    ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:  # the parent ended before it could be asked for
        return
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # not this process's handlers
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C: the parent ends the worker
    _let_go_of_inherited(keep=(tasks, results))
    os.set_blocking(tasks, True)
    while (frame := _read_frame(tasks)) is not None:
        task, item = pickle.loads(frame)
        try:
            answer: tuple[bool, Any] = (True, task(*kbs, item))
        except Exception as error:  # raised in this process's place for it, in order
            answer = (False, error)
        try:
            data = pickle.dumps(answer, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception as error:  # an exception that cannot be pickled
            data = pickle.dumps((False, RuntimeError(f"{type(error).__name__}: {error}")))
        _write_all(results, _HEADER.pack(len(data)), data)


def _let_go_of_inherited(keep: tuple[int, ...]) -> None:
    """Point every descriptor but `keep` at /dev/null (closing what it referred to here,
    while any object of the parent still holding its number writes nowhere)."""
    null = os.open(os.devnull, os.O_RDWR)
    for name in os.listdir("/proc/self/fd"):
        descriptor = int(name)
        if descriptor not in keep and descriptor != null:
            with contextlib.suppress(OSError):  # the listing's own, closed by now
                os.dup2(null, descriptor)
    os.close(null)


def _read_frame(descriptor: int) -> bytes | None:
    header = _read_exactly(descriptor, _HEADER.size)
    if header is None:
        return None
    (size,) = _HEADER.unpack(header)
    return _read_exactly(descriptor, size)


def _read_exactly(descriptor: int, size: int) -> bytes | None:
    """`size` bytes, or None at the end of the pipe."""
    parts = []
    while size:
        part = os.read(descriptor, min(size, _READ_BYTES))
        if not part:
            return None
        parts.append(part)
        size -= len(part)
    return b"".join(parts)


def _write_all(descriptor: int, header: bytes, data: bytes) -> None:
    """`header` then `data`, in one system call when the pipe has room (no copy of
    `data` to join them)."""
    written = os.writev(descriptor, [header, data])
    view = memoryview(header + data)[written:] if written < len(header) + len(data) else None
    while view:
        view = view[os.write(descriptor, view) :]
