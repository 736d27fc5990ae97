"""The walk-through runner (tests/support/walkthrough.py) holds the docs to what they show: each
rule it applies, on small docs written here, and the docs' console blocks all run."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

from conftest import ROOT, write_kb
from support import service_docs
from support.walkthrough import (
    WALKTHROUGHS,
    Session,
    Step,
    WalkthroughError,
    console_blocks,
    run_walkthrough,
    section,
)

UUID = "python3 -c 'import uuid; print(uuid.uuid4())'"


def run_doc(tmp_path: Path, body: str) -> int:
    """Run the console blocks of a doc `# Guide` holding `body`, in a fresh folder."""
    doc = tmp_path / "docs" / "guide.md"
    doc.parent.mkdir(exist_ok=True)
    doc.write_text("# Guide\n\n" + textwrap.dedent(body), encoding="utf-8")
    work, home = tmp_path / "work", tmp_path / "home"
    work.mkdir(exist_ok=True)
    home.mkdir(exist_ok=True)
    return run_walkthrough(doc, ["Guide"], work, home)


def console(*lines: str) -> str:
    return "```console\n" + "\n".join(lines) + "\n```\n"


def test_a_step_that_prints_what_the_doc_shows_passes(tmp_path: Path) -> None:
    assert run_doc(tmp_path, console("$ printf 'one\\ntwo\\n'", "one", "two")) == 1


def test_a_different_line_is_named_with_the_doc_its_line_and_the_command(tmp_path) -> None:
    doc = "Text.\n\n" + console("$ printf 'one\\ntwo\\n'", "one", "three")
    with pytest.raises(WalkthroughError) as failure:
        run_doc(tmp_path, doc)
    message = str(failure.value)
    assert message.startswith("docs/guide.md:6: `$ printf 'one\\ntwo\\n'` printed something")
    assert "doc line 8: 'three'\n  printed line 2: 'two'" in message


def test_an_ellipsis_line_stands_for_any_run_of_lines(tmp_path: Path) -> None:
    printing = "$ printf 'a\\nb\\nc\\nd\\n'"
    assert run_doc(tmp_path, console(printing, "a", "…", "d"))
    assert run_doc(tmp_path, console(printing, "...", "c", "d"))
    assert run_doc(tmp_path, console(printing, "a", "b", "…", "c", "d"))  # or none
    with pytest.raises(WalkthroughError, match="doc line 7: 'e'\n  not printed at or after"):
        run_doc(tmp_path, console(printing, "a", "…", "e"))


def test_a_step_shown_without_output_must_print_nothing(tmp_path: Path) -> None:
    assert run_doc(tmp_path, console("$ true", "$ echo quiet > file", "$ cat file", "quiet"))
    with pytest.raises(WalkthroughError, match="the doc shows no more lines; printed line 1"):
        run_doc(tmp_path, console("$ echo loud", "$ true"))


def test_a_failing_command_fails_unless_the_doc_shows_its_status(tmp_path: Path) -> None:
    with pytest.raises(WalkthroughError, match=r"`\$ false` exited with status 1"):
        run_doc(tmp_path, console("$ false", "$ true"))
    assert run_doc(tmp_path, console("$ false", "$ echo $?", "1"))
    with pytest.raises(WalkthroughError, match="doc line 6: '0'"):
        run_doc(tmp_path, console("$ sh -c 'exit 3'", "$ echo $?", "0"))


def test_cd_carries_over_to_the_next_command_as_in_a_terminal(tmp_path: Path) -> None:
    steps_run = run_doc(tmp_path, console("$ mkdir -p ~/place && cd ~/place", "$ pwd", "~/place"))
    assert steps_run == 2


def test_heredocs_and_continued_lines_belong_to_their_command(tmp_path: Path) -> None:
    doc = console(
        "$ cat > notes.txt <<'EOF'",
        "$ not a command, a line of the file",
        "EOF",
        "$ cat notes.txt \\",
        "  notes.txt | cut -c 3-",
        "not a command, a line of the file",
        "not a command, a line of the file",
    )
    assert run_doc(tmp_path, doc) == 2


def test_an_id_printed_by_one_step_is_the_id_later_steps_use(tmp_path: Path) -> None:
    doc_id = "f819fc85-f6c3-43ce-94ad-751ccf9181ce"
    doc = console(
        f"$ {UUID} | tee id.txt",
        doc_id,
        f"$ echo {doc_id} = $(cat id.txt)",
        f"{doc_id} = {doc_id}",
    )
    assert run_doc(tmp_path, doc) == 2


def test_a_doc_id_cannot_stand_for_two_different_ids(tmp_path: Path) -> None:
    doc_id = "f819fc85-f6c3-43ce-94ad-751ccf9181ce"
    doc = console(f"$ {UUID}", doc_id, f"$ {UUID}", doc_id)
    with pytest.raises(WalkthroughError, match=r"(?s)doc line 7: .*ids so far \(doc = printed\)"):
        run_doc(tmp_path, doc)
    other = "0c4a0f43-4ab2-4e5e-9a43-b36e65ed1a5c"
    assert run_doc(tmp_path, console(f"$ {UUID}", doc_id, f"$ {UUID}", other))


def test_times_digests_and_the_home_folder_may_differ(tmp_path: Path) -> None:
    printing = "$ echo 2031-01-02T03:04:05.123456Z sha256:" + "ab" * 32 + " $HOME/x"
    assert run_doc(tmp_path, console(printing, "2026-11-25T06:22:48.934195Z sha256:ff2f668e… ~/x"))
    with pytest.raises(WalkthroughError):
        run_doc(tmp_path, console("$ echo sha256:" + "ab" * 32 + "!", "sha256:ff2f668e…"))


def test_package_versions_may_differ_only_on_a_software_line(tmp_path: Path) -> None:
    shown = "  software: healthkb 0.1.0, python 3.11.7"
    assert run_doc(tmp_path, console("$ echo '  software: healthkb 9.9.9, python 3.12.1'", shown))
    with pytest.raises(WalkthroughError):
        run_doc(tmp_path, console("$ echo 'version 9.9.9'", "version 0.1.0"))


def test_headings_inside_code_blocks_do_not_end_a_section() -> None:
    text = "# Guide\n```yaml\n# a comment, not a heading\n```\nin\n## Sub\nin\n# Next\nout\n"
    lines, first = section(text, "Guide")
    assert first == 1 and lines[-1] == "in" and "out" not in lines


def test_indented_console_blocks_are_read_without_their_indentation() -> None:
    lines = ["- item", "", "  ```console", "  $ echo hi", "  hi", "  ```"]
    assert list(console_blocks(lines, 10)) == [(["$ echo hi", "hi"], 13)]


def test_a_plain_healthkb_command_prints_the_same_in_process_and_from_the_console_script(
    tmp_path: Path,
) -> None:
    kb = write_kb(tmp_path / "kb", {"rules/walking.yaml": "rules:\n  - id: x\n"})
    step = Step("healthkb validate .", (), 1)
    outputs = []
    for in_process in (True, False):
        session = Session(cwd=kb, home=tmp_path, in_process=in_process)
        outputs.append((session.execute(session.command(step)), session.status))
    assert outputs[0] == outputs[1]
    assert outputs[0][1] == 1 and outputs[0][0].endswith("problem(s) found (folder .)\n")


_CONSOLE = re.compile(r"^ *```console\s*$", re.MULTILINE)


def test_every_console_block_of_the_docs_is_run_by_a_walkthrough() -> None:
    # A console block shows a session as real; so each one is run, or it is not there.
    for path in sorted((ROOT / "docs").glob("*.md")):
        text = path.read_text(encoding="utf-8")
        if path.name == "service.md":
            # Every block of it runs against real servers (tests/support/service_docs.py).
            assert service_docs.steps(text) and "```console" in text
            continue
        run = sum(
            len(list(console_blocks(*section(text, heading))))
            for heading in WALKTHROUGHS.get(path.name, ())
        )
        assert len(_CONSOLE.findall(text)) == run, f"docs/{path.name}: a console block not run"
