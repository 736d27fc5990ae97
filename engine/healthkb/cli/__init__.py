"""The `healthkb` command: argument parsing and exit codes over the library, nothing more.

Each command lives in a module of its own with a `register(commands)` function that
adds its sub-parser and sets `handler`. Exit codes: 0 success; 1 a check found
problems (validate, analyze, test, audit verify); 2 unusable input or usage.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from .. import __version__
from ..errors import HealthKBError, KBError, ProfileError
from . import (
    analyze,
    audit,
    batch,
    coverage,
    diff,
    evaluate,
    fhir,
    governed_release,
    release,
    report,
    schema,
    serve,
    test,
    validate,
)
from .common import EXIT_OK, EXIT_USAGE, UsageError, print_listed

# One module per command (or group of commands), in the order `--help` lists them.
COMMAND_MODULES = (
    validate,
    analyze,
    evaluate,
    batch,
    test,
    coverage,
    schema,
    release,
    governed_release,
    diff,
    report,
    audit,
    serve,
    fhir,
)


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="healthkb", description="Explainable health guidance from published articles."
    )
    top.add_argument("--version", action="version", version=f"healthkb {__version__}")
    commands = top.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in COMMAND_MODULES:
        module.register(commands)
    return top


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
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
