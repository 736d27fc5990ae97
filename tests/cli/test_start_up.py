"""Start-up: `healthkb evaluate` imports what evaluating needs, and nothing of the other
commands (docs/performance.md, "Start-up and loading")."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

import pytest

from conftest import ROOT
from healthkb.cli import COMMANDS, command_module, parser

# Libraries other commands need; evaluating a profile must not pay for importing them.
NOT_FOR_EVALUATING = [
    "z3",
    "psycopg",
    "pyarrow",
    "ruamel.yaml",
    "distributed",
    "dask",
    "fastapi",
    "uvicorn",
    "pygls",
    "pint",
    "ucumvert",
    "healthkb.batch.impact",
    "healthkb.cli.audit",
    "healthkb.cli.analyze",
    "healthkb.editing.layout.formatting",
]


def _commands_of(top: argparse.ArgumentParser) -> list[str]:
    (commands,) = (a for a in top._actions if isinstance(a, argparse._SubParsersAction))
    return list(commands.choices)


@pytest.mark.parametrize(("name", "words"), COMMANDS)
def test_each_command_module_adds_the_commands_the_dispatch_table_names(name, words) -> None:
    top = argparse.ArgumentParser()
    command_module(name).register(top.add_subparsers())
    assert tuple(_commands_of(top)) == words


def test_the_whole_parser_lists_every_command_in_table_order() -> None:
    assert _commands_of(parser()) == [word for _, words in COMMANDS for word in words]


def test_a_command_word_registers_only_its_own_module() -> None:
    assert _commands_of(parser("explain")) == ["evaluate", "explain"]
    assert _commands_of(parser("no-such-command")) == _commands_of(parser())


def test_evaluate_imports_none_of_the_other_commands_libraries() -> None:
    code = (
        "import contextlib, io, json, sys\n"
        "from healthkb.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    code = main(['evaluate', {str(ROOT / 'kb/examples/meets_conditions.yaml')!r}])\n"
        f"print(json.dumps([code, sorted(set(sys.modules) & set({NOT_FOR_EVALUATING!r}))]))\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert json.loads(run.stdout) == [0, []]


def test_a_postgresql_store_still_says_when_psycopg_is_missing_only_when_opened() -> None:
    # psycopg is imported when a PostgreSQL store is opened; an evaluation without one
    # never imports it (above), and the store still reports a missing extra in its place.
    code = (
        "import sys; sys.modules['psycopg'] = None\n"
        "from healthkb.audit.locations import open_store\n"
        "from healthkb.audit.chain import AuditLogError\n"
        "try:\n"
        "    open_store('postgresql://u@localhost/db')\n"
        "except AuditLogError as error:\n"
        "    print(error)\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "needs psycopg: pip install 'healthkb[postgres]'" in run.stdout
