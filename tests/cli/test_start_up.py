"""Start-up: `healthkb evaluate` imports what evaluating needs, and nothing of the other
commands (docs/performance.md, "Start-up")."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

import pytest

from conftest import ROOT
from healthkb.cli import COMMANDS, command_module, parser
from healthkb.content.rule_model import Comparison, Departure
from healthkb.content.strict_model import field_docstrings
from support.fresh_python import fresh_python_output, run_fresh_python

# Libraries other commands need; evaluating a profile must not pay for importing them.
NOT_FOR_EVALUATING = [
    "z3",
    "langcodes",
    "cryptography",
    "multiprocessing",
    "concurrent.futures.process",
    "subprocess",
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
    "healthkb.render.html_explain",
    "html",
    "healthkb.cli.audit",
    "healthkb.cli.analyze",
    "healthkb.editing.layout.formatting",
    "healthkb.analysis.what_if",
    "healthkb.audit.log",
    "healthkb.audit.chain",
    "healthkb.audit.checkpoints",
    "sqlite3",
    "healthkb.results.explain",
    "healthkb.runtime.shipment",
    "healthkb.content.versioning.release_signature",
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
    output = fresh_python_output(code, cwd=ROOT)
    assert json.loads(output) == [0, []]


def test_evaluate_compiles_no_pattern_only_a_broken_file_needs() -> None:
    # The pattern of the characters YAML refuses takes 3 ms to compile: it is compiled
    # when a file holds one (files/yaml_syntax.py), not by every start-up.
    code = (
        "import contextlib, io, json, re\n"
        "compiled, original = [], re.compile\n"
        "def recording(pattern, flags=0):\n"
        "    compiled.append(pattern)\n"
        "    return original(pattern, flags)\n"
        "re.compile = recording\n"
        "from healthkb.cli import main\n"
        "from healthkb.files.yaml_syntax import _REFUSED, bad_character\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    code = main(['evaluate', {str(ROOT / 'kb/examples/meets_conditions.yaml')!r}])\n"
        "evaluating = _REFUSED in compiled\n"
        "problem = bad_character('a: 1\\nb: \\x07\\x07', 'f.yaml')\n"
        "print(json.dumps([code, evaluating, _REFUSED in compiled, str(problem)]))\n"
    )
    output = fresh_python_output(code, cwd=ROOT)
    code, evaluating, when_refused, problem = json.loads(output)
    assert [code, evaluating, when_refused] == [0, False, True]
    assert problem.startswith("f.yaml:2:4: bad-character: character U+0007 (BELL)")
    assert "the file has 1 more such characters" in problem


def test_evaluate_parses_no_signature_written_as_text() -> None:
    # pydantic reads the signature of every model field's default_factory; `list`'s is a
    # text that inspect parses with tokenize, whose pattern takes 1.5 ms to compile. The
    # models' list fields use content.strict_model.empty_list instead.
    code = (
        "import contextlib, io, json, re, tokenize\n"
        "compiled, original = [], re.compile\n"
        "def recording(pattern, flags=0):\n"
        "    compiled.append(pattern)\n"
        "    return original(pattern, flags)\n"
        "re.compile = recording\n"
        "from healthkb.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    code = main(['evaluate', {str(ROOT / 'kb/examples/meets_conditions.yaml')!r}])\n"
        "print(json.dumps([code, tokenize.PseudoToken in compiled]))\n"
    )
    output = fresh_python_output(code, cwd=ROOT)
    assert json.loads(output) == [0, False]


def test_evaluate_reads_no_model_source_for_the_field_descriptions() -> None:
    # A field's description is the docstring under it, read from the model's source when
    # a JSON Schema or a problem's hint asks for it (content/strict_model.py); pydantic's
    # `use_attribute_docstrings` read every model's source as it was defined.
    code = (
        "import contextlib, io, json\n"
        "from healthkb.cli import main\n"
        "from healthkb.content.strict_model import StrictModel, _docstrings_in_body\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    main(['evaluate', {str(ROOT / 'kb/examples/meets_conditions.yaml')!r}])\n"
        "models, seen = [StrictModel], set()\n"
        "while models:\n"
        "    model = models.pop()\n"
        "    seen.add(model)\n"
        "    models += model.__subclasses__()\n"
        "print(json.dumps([\n"
        "    len(seen) > 40,\n"
        "    [m.__name__ for m in seen if m.model_config.get('use_attribute_docstrings')],\n"
        "    _docstrings_in_body.cache_info().currsize,\n"
        "]))\n"
    )
    output = fresh_python_output(code, cwd=ROOT)
    assert json.loads(output) == [True, [], 0]


@pytest.mark.parametrize("enabled", [True, False])
def test_importing_healthkb_runs_no_collection_and_leaves_the_collector_as_it_was(
    enabled: bool,
) -> None:
    # Collections that start while one of healthkb's modules is being executed.
    code = (
        "import gc, json, sys\n"
        "during = []\n"
        "def importing_healthkb():\n"
        "    frame = sys._getframe()\n"
        "    while frame and '/healthkb/' not in frame.f_code.co_filename:\n"
        "        frame = frame.f_back\n"
        "    return frame is not None\n"
        "gc.callbacks.append(lambda phase, info: during.append(importing_healthkb()))\n"
        f"{'gc.enable()' if enabled else 'gc.disable()'}\n"
        "import healthkb\n"
        "young = len(gc.get_objects(generation=0))\n"
        "print(json.dumps([any(during), gc.isenabled(), young < 1000]))\n"
    )
    output = fresh_python_output(code)
    # And what the import made is in the oldest generation: the first young collection
    # after it does not scan it all.
    assert json.loads(output) == [False, enabled, True]


def test_importing_healthkb_keeps_what_a_program_froze_frozen() -> None:
    code = (
        "import gc, json\n"
        "kept = [[n] for n in range(1000)]\n"
        "gc.freeze()\n"
        "import healthkb\n"
        "print(json.dumps(not any(thing is kept for thing in gc.get_objects())))\n"
    )
    output = fresh_python_output(code)
    assert json.loads(output) is True


def test_the_command_hides_what_importing_made_from_the_collector_and_main_does_not() -> None:
    # `healthkb` and `python -m healthkb` freeze the objects importing made (the cyclic
    # collector then never scans them again, at exit either); `main`, which tests and
    # programs call in their own processes, leaves their collector alone.
    # (`console` ends the process: what it left is printed by a function run at exit.)
    code = (
        "import atexit, contextlib, gc, io, json, sys\n"
        "from healthkb.cli import console, main\n"
        f"profile = {str(ROOT / 'kb/examples/meets_conditions.yaml')!r}\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    main(['evaluate', profile])\n"
        "after_main = gc.get_freeze_count()\n"
        "atexit.register(lambda: print(json.dumps([after_main, gc.get_freeze_count() > 10_000])))\n"
        "sys.argv = ['healthkb', 'evaluate', profile]\n"
        "console()\n"
    )
    output = fresh_python_output(code, cwd=ROOT)
    assert json.loads(output.splitlines()[-1]) == [0, True]


def test_the_command_counts_no_frozen_objects_while_it_runs() -> None:
    # Loading moves what it made to the oldest generation unless something is frozen,
    # which `gc.get_freeze_count` tells by walking every frozen object (60,000 after the
    # import): the command freezes when it is done, so that count is of nothing.
    profile = str(ROOT / "kb/examples/meets_conditions.yaml")
    code = (
        "import atexit, gc, json, sys\n"
        "counted, count = [], gc.get_freeze_count\n"
        "gc.get_freeze_count = lambda: counted.append(count()) or counted[-1]\n"
        "from healthkb.cli import console\n"
        f"sys.argv = ['healthkb', 'evaluate', {profile!r}]\n"
        "seen = lambda: [len(counted) > 1, max(counted), count() > 10_000]\n"
        "atexit.register(lambda: print(json.dumps(seen())))\n"
        "console()\n"
    )
    output = fresh_python_output(code, cwd=ROOT)
    assert json.loads(output.splitlines()[-1]) == [True, 0, True]


def test_the_command_ends_in_console_after_flushing_and_the_exit_functions() -> None:
    profile = str(ROOT / "kb/examples/meets_conditions.yaml")
    code = (
        "import atexit, sys\n"
        "from healthkb.cli import console\n"
        "atexit.register(lambda: sys.stdout.write('atexit ran\\n'))\n"
        f"sys.argv = ['healthkb', 'evaluate', {profile!r}]\n"
        "console()\n"
        "print('console returned')\n"
    )
    run = run_fresh_python([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    expected = subprocess.run(
        [sys.executable, "-m", "healthkb", "evaluate", profile],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    # The process ended in `console`, with the command's output and exit functions.
    assert (run.returncode, run.stdout) == (0, expected.stdout + "atexit ran\n")


def test_the_command_ends_at_once_with_its_exit_code_and_its_message() -> None:
    run = run_fresh_python(
        [sys.executable, "-m", "healthkb", "evaluate", "no-such-profile.yaml"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert run.returncode == 2
    assert run.stderr.startswith("healthkb: invalid profile:\n  no-such-profile.yaml: unreadable")


def test_the_command_leaves_the_exit_to_the_interpreter_while_a_thread_runs() -> None:
    # The interpreter waits for a thread that is not a daemon; ending at once would not.
    # The thread prints only once `console` has returned (an event, not a sleep: under
    # load the command may take longer than any sleep, and its redirected output would
    # swallow the thread's line).
    profile = str(ROOT / "kb/examples/meets_conditions.yaml")
    code = (
        "import contextlib, io, sys, threading\n"
        "from healthkb.cli import console\n"
        "returned = threading.Event()\n"
        "threading.Thread(target=lambda: (returned.wait(), print('thread done'))).start()\n"
        f"sys.argv = ['healthkb', 'evaluate', {profile!r}]\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    code = console()\n"
        "print('returned', code)\n"
        "returned.set()\n"
    )
    assert fresh_python_output(code, cwd=ROOT) == "returned 0\nthread done\n"


def test_a_field_without_a_docstring_of_its_own_keeps_the_one_it_inherits() -> None:
    # Departure adds `source_says` to Comparison; the fields it inherits keep the
    # docstrings written under them in Comparison, as pydantic gave them.
    inherited = field_docstrings(Departure)
    assert inherited["fact"] == field_docstrings(Comparison)["fact"]
    assert inherited["source_says"].startswith("The words of a quote")
    assert "source_says" not in field_docstrings(Comparison)
    schema = Departure.model_json_schema()
    assert schema["properties"]["fact"]["description"] == inherited["fact"]


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
    output = fresh_python_output(code)
    assert "needs psycopg: pip install 'healthkb[postgres]'" in output
