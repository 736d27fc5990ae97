"""The `healthkb` command: argument parsing and exit codes over the library, nothing more.

Each command lives in a module of its own with a `register(commands)` function that
adds its sub-parser and sets `handler`. Exit codes: 0 success; 1 a check found
problems (validate, analyze, test, audit verify); 2 unusable input or usage.
"""

from __future__ import annotations

import argparse
import atexit
import gc
import os
import sys
import threading
from collections.abc import Sequence
from types import ModuleType

from .. import __version__
from ..errors import HealthKBError, KBError, ProfileError
from .common import EXIT_OK, EXIT_USAGE, UsageError, print_listed

# Each command module, in the order `--help` lists them, with the commands it adds.
COMMANDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("validate", ("validate",)),
    ("analyze", ("analyze",)),
    ("evaluate", ("evaluate", "explain")),
    ("batch", ("batch", "impact")),
    ("test", ("test",)),
    ("coverage", ("coverage",)),
    ("schema", ("schema",)),
    ("fmt", ("fmt",)),
    ("release", ("release",)),
    ("governed_release", ("approve", "verify-release")),
    ("diff", ("diff",)),
    ("report", ("report",)),
    ("audit", ("audit",)),
    ("serve", ("serve",)),
    ("lsp", ("lsp",)),
    ("fhir", ("fhir",)),
)


def parser(command: str | None = None) -> argparse.ArgumentParser:
    """The whole command line; given the command about to run, only that command's
    module is imported and registered (start-up: see docs/performance.md)."""
    top = argparse.ArgumentParser(
        prog="healthkb", description="Explainable health guidance from published articles."
    )
    top.add_argument("--version", action="version", version=f"healthkb {__version__}")
    commands = top.add_subparsers(dest="command", required=True, metavar="COMMAND")
    owners = [name for name, words in COMMANDS if command in words]
    for name in owners or [name for name, _ in COMMANDS]:
        command_module(name).register(commands)
    return top


def command_module(name: str) -> ModuleType:
    """A command's module, imported only when it is registered: each command pays for
    what it imports, and `healthkb evaluate` never imports z3's analyses, ruamel.yaml,
    the audit queries or the batch runner. The one place in healthkb whose imports wait
    in a function (nothing imports `cli`, so no cycle can hide behind them)."""
    match name:
        case "validate":
            from . import validate

            return validate
        case "analyze":
            from . import analyze

            return analyze
        case "evaluate":
            from . import evaluate

            return evaluate
        case "batch":
            from . import batch

            return batch
        case "test":
            from . import test

            return test
        case "coverage":
            from . import coverage

            return coverage
        case "schema":
            from . import schema

            return schema
        case "fmt":
            from .editor_tools import fmt

            return fmt
        case "release":
            from . import release

            return release
        case "governed_release":
            from . import governed_release

            return governed_release
        case "diff":
            from . import diff

            return diff
        case "report":
            from . import report

            return report
        case "audit":
            from . import audit

            return audit
        case "serve":
            from . import serve

            return serve
        case "lsp":
            from .editor_tools import lsp

            return lsp
        case "fhir":
            from . import fhir

            return fhir
        case _:
            raise ValueError(f"no command module {name}")


def _command_word(argv: Sequence[str]) -> str | None:
    """The command about to run: the first word that is not an option."""
    return next((word for word in argv if not word.startswith("-")), None)


def console() -> int:
    """The `healthkb` command and `python -m healthkb`: `main` on the process's arguments.

    What the command made (modules, classes, pydantic models, the KB: most of the objects
    the process ever held) lives until the process ends, so once the command is done it
    is moved out of the cyclic collector's sight (`gc.freeze`): the interpreter's
    collection at exit does not scan it. A sixth of `healthkb evaluate`'s start-up
    (docs/performance.md, "Start-up, third pass"). Only then: while the command runs
    nothing is frozen, so loading a KB moves what it made to the oldest generation
    without first counting frozen objects (`gc.get_freeze_count` walks every one of
    them: the 60,000 importing made, a fiftieth of the start-up). What importing made is
    in the oldest generation already (`healthkb/__init__.py`). Not in `main`, which tests
    and other programs call in their own processes.

    Then the process ends at once (`end_at_once`), without the interpreter's teardown."""
    code = main()
    gc.freeze()
    end_at_once(code)
    return code


def end_at_once(code: int) -> None:
    """End the process now with `code`, as the interpreter's exit would but without its
    teardown, which frees every object the command made one by one (3–5% of
    `healthkb evaluate`'s CPU, the KB's objects most of it) when the system takes the whole
    memory back at once anyway (docs/performance.md, "Start-up, fourth pass").

    What an exit does that anyone can see is still done, in the interpreter's order: the
    output is flushed, and the functions registered with `atexit` run (a coverage run's
    saving of its data among them), then the output is flushed again. Returns, leaving
    the exit to the interpreter as before, when another thread is running (the
    interpreter waits for it) or the output cannot be flushed (the interpreter reports
    it, a closed pipe say, as it always did)."""
    if threading.active_count() > 1:
        return
    try:
        _flush_output()
        atexit._run_exitfuncs()
        _flush_output()
    except (OSError, ValueError):
        return
    os._exit(code)


def _flush_output() -> None:
    for stream in (sys.stdout, sys.stderr):
        if stream is not None:
            stream.flush()


def main(argv: Sequence[str] | None = None) -> int:
    words = sys.argv[1:] if argv is None else list(argv)
    args = parser(_command_word(words)).parse_args(words)
    try:
        code: int = args.handler(args)
        return code
    except (KBError, ProfileError) as error:
        kind = "invalid profile" if isinstance(error, ProfileError) else "broken knowledge base"
        print(f"healthkb: {kind}:", file=sys.stderr)
        print_listed(error, "  ", sys.stderr)
        return EXIT_USAGE
    except (HealthKBError, UsageError) as error:
        print(f"healthkb: {error}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:
        return EXIT_OK
    except OSError as error:
        # The system refused what the command needed to do (a full disk under the
        # output, a folder it may not write): said in a line, as any other refusal.
        where = f" ({error.filename})" if error.filename else ""
        print(f"healthkb: {error.strerror or error}{where}", file=sys.stderr)
        return EXIT_USAGE
