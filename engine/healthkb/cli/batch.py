"""`healthkb batch` and `healthkb impact`: many profiles, on all cores or a Dask cluster."""

from __future__ import annotations

import argparse
import functools
import importlib.util
import os
import signal
import sys
import threading
from collections.abc import Callable
from types import FrameType
from typing import Any

from ..batch.impact import DEFAULT_EXAMPLES, run_impact
from ..batch.job import FORKED_WORKERS_AFTER, WORKERS_AFTER, local_workers, run_batch
from ..batch.runners import RunnerFactory
from ..render.impact import impact_json, impact_markdown, impact_text
from ..runtime.pool import reap_resource_tracker, worker_count
from .audit_options import add_audit_options, check_audit_policy, open_audit_log
from .common import (
    EXIT_OK,
    EXIT_PROBLEMS,
    UsageError,
    add_kb_option,
    add_language_option,
    kb_language,
    load_kb,
)
from .diff import add_sides

IMPACT_FORMATS = {"text": impact_text, "json": impact_json, "markdown": impact_markdown}


def register(commands: Any) -> None:
    batch = commands.add_parser(
        "batch", help="evaluate a file of profiles (JSON Lines) into a file of answers"
    )
    batch.add_argument("input", help="JSON Lines of {id, profile} (.gz read as gzip; - stdin)")
    batch.add_argument(
        "--out", required=True, metavar="OUTPUT", help="answers, in input order (.gz; - stdout)"
    )
    add_kb_option(batch)
    _add_where(batch)
    batch.add_argument(
        "--resume", action="store_true", help="continue after the last complete answer of OUTPUT"
    )
    batch.add_argument(
        "--workers-after",
        type=_count,
        metavar="LINES",
        help=f"with --workers N, start no worker process for an input of at most LINES lines "
        f"(this process answers it alone); a longer file starts them at once, a longer "
        f"pipe after its first LINES lines (default: {FORKED_WORKERS_AFTER:,} when they are "
        f"forked from this process, as on Linux, {WORKERS_AFTER:,} when they start afresh; "
        f"0: always at once)",
    )
    add_audit_options(batch, "one record per evaluated profile")
    add_language_option(batch, "the answers (each with its conclusions' statements)")
    batch.add_argument("--quiet", action="store_true", help="no progress bar, no summary")
    batch.set_defaults(handler=_reaping(run_batch_command))

    impact = commands.add_parser(
        "impact", help="what a KB release changes for a population of profiles"
    )
    add_sides(impact)
    impact.add_argument("input", help="JSON Lines of {id, profile}, as `batch` reads")
    _add_where(impact)
    impact.add_argument("--format", choices=sorted(IMPACT_FORMATS), default="text")
    impact.add_argument(
        "--examples",
        type=_count,
        default=DEFAULT_EXAMPLES,
        metavar="K",
        help=f"example ids per rule edit (default: {DEFAULT_EXAMPLES})",
    )
    impact.add_argument("--quiet", action="store_true", help="no progress bar")
    impact.set_defaults(handler=_reaping(run_impact_command))


def _add_where(parser: argparse.ArgumentParser) -> None:
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--workers",
        type=_count,
        metavar="N",
        help="worker processes (default: one per core; 1 runs in this process)",
    )
    where.add_argument(
        "--dask", metavar="ADDRESS", help="run on the Dask scheduler at ADDRESS (tcp://host:8786)"
    )


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 0 or (value == 0 and text != "0"):
        raise argparse.ArgumentTypeError(f"{text} is not a count")
    return value


class _Terminated(BaseException):
    """SIGTERM while a batch command runs, raised so that its pools, files and locks
    are let go of on the way out (as on Ctrl-C) before the signal ends the process."""


def _terminating(signum: int, frame: FrameType | None) -> None:
    raise _Terminated


def _reaping(command: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """`command`, then the worker pools' helper process stopped and reaped, so that the
    command ends with every process it started (see `reap_resource_tracker`).

    Also when it is terminated (SIGTERM): left to the default action, the signal ended
    the command at once, and its worker processes (one blocked on a pipe nobody read)
    and multiprocessing's resource tracker lived on for good, its lock left behind. The
    signal is raised as `_Terminated` instead, the pool is shut down and the lock
    released as the exception passes, and the signal is then given again to the
    handler found, so the process still ends as terminated (exit status 143).

    Ctrl-C (SIGINT, KeyboardInterrupt) goes the same way out, and the process then ends
    as interrupted (exit status 130) by the signal's default action, as Python ends it
    after an uncaught KeyboardInterrupt, but without printing its traceback."""

    @functools.wraps(command)
    def run(args: argparse.Namespace) -> int:
        on_main = threading.current_thread() is threading.main_thread()
        found = signal.signal(signal.SIGTERM, _terminating) if on_main else None
        try:
            return command(args)
        except _Terminated:
            signal.signal(signal.SIGTERM, found)
            reap_resource_tracker()
            os.kill(os.getpid(), signal.SIGTERM)
            return 128 + signal.SIGTERM  # a handler found let the process go on
        except KeyboardInterrupt:
            reap_resource_tracker()
            if not on_main or signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
                raise  # a program that handles SIGINT its own way decides
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            os.kill(os.getpid(), signal.SIGINT)
            return 128 + signal.SIGINT  # (not reached: the default action ends the process)
        finally:
            if on_main:
                signal.signal(signal.SIGTERM, found)
            reap_resource_tracker()

    return run


def _workers(args: argparse.Namespace) -> int:
    if args.workers == 0:
        raise UsageError("--workers: give at least 1")
    return worker_count(args.workers)


def _runners(args: argparse.Namespace) -> RunnerFactory:
    """Where the chunks run: local processes, or Dask with `--dask`."""
    workers = _workers(args)
    if args.dask is None:
        # `impact` has no --workers-after: it starts its workers at once.
        return local_workers(workers, getattr(args, "workers_after", 0))
    if importlib.util.find_spec("distributed") is None:
        raise UsageError("--dask needs Dask distributed: pip install 'healthkb[dask]'")
    # Imported here, only for --dask: Dask distributed (an optional extra) takes a
    # second to import, which no other command pays. The top layer, which nothing
    # imports, so no cycle can hide behind it (tests/test_architecture.py lists it).
    from ..batch.cluster import dask_runners

    return dask_runners(args.dask)


def run_batch_command(args: argparse.Namespace) -> int:
    runners = _runners(args)
    if args.resume and args.out == "-":
        raise UsageError("--resume needs an output file (--out FILE): stdout cannot be resumed")
    kb = load_kb(args.kb, args.allow_outside_links)
    lang = None if args.lang is None else kb_language(kb.content, args.lang)
    audit = open_audit_log(args)
    check_audit_policy(audit, kb)
    progress = not args.quiet and sys.stderr.isatty()
    try:
        summary = run_batch(
            args.input,
            args.out,
            kb,
            on=runners,
            resume=args.resume,
            audit=audit,
            progress=progress,
            lang=None if lang == kb.content.default_language else lang,
        )
        if audit is not None and args.checkpoint_key is not None:
            audit.checkpoint()  # the run's last records are signed too, not only every N
    finally:
        if audit is not None:
            audit.close()
    where = "standard output" if args.out == "-" else args.out
    kept = f" ({summary.resumed:,} kept from the earlier run)" if summary.resumed else ""
    if summary.refused:
        print(
            f"healthkb: {summary.refused:,} of {summary.lines:,} lines refused{kept}: "
            f'their answers in {where} carry an "error"',
            file=sys.stderr,
        )
        return EXIT_PROBLEMS
    if not args.quiet:
        print(f"healthkb: {summary.lines:,} profiles evaluated{kept} into {where}", file=sys.stderr)
    return EXIT_OK


def run_impact_command(args: argparse.Namespace) -> int:
    runners = _runners(args)
    report = run_impact(
        args.old,
        args.new,
        args.input,
        repo=args.repo,
        on=runners,
        examples=args.examples,
        progress=not args.quiet and sys.stderr.isatty(),
    )
    print(IMPACT_FORMATS[args.format](report.to_dict()))
    return EXIT_OK
