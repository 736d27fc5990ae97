"""The command line: each command's output, and every bad-input path exiting 2 cleanly."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import MINI_CONCLUSIONS, MINI_SOURCE, ROOT
from support.kb_cli import main_in_kb as main

EXAMPLES = ROOT / "kb" / "examples"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_validate_names_the_kb_it_checked(capsys) -> None:
    code, out, _ = run(capsys, "validate", str(ROOT))
    assert code == 0
    assert out.startswith(f"ok: healthkb-running-fat-loss 0.1.2 (folder {ROOT}): 15 rules")
    cases = sum(len(yaml.safe_load(f.read_text())["cases"]) for f in (ROOT / "kb/tests").iterdir())
    assert out.endswith(f", {cases} test cases\n")


def test_validate_a_broken_kb_prints_compiler_style_lines_and_exits_1(capsys, make_kb) -> None:
    root = make_kb({"kb/conclusions.yaml": "conclusions:\n  - id: x\n    kind: outcome\n"})
    code, out, err = run(capsys, "validate", str(root))
    assert code == 1
    assert out.splitlines()[0].startswith("kb/conclusions.yaml:2:5: missing-key:")
    assert "problem(s) found" in err


def test_evaluate_prints_conclusions_with_citations(capsys) -> None:
    code, out, _ = run(capsys, "evaluate", str(EXAMPLES / "meets_conditions.yaml"))
    assert code == 0
    assert "[outcome, possible] thigh_buttock_fat_may_decrease" in out
    assert "source cainiu-2025-running-thigh-fat p7.s2:" in out


def test_evaluate_json_is_the_result_model_dump(capsys, kb) -> None:
    code, out, _ = run(
        capsys, "evaluate", str(EXAMPLES / "fails_conditions.yaml"), "--format", "json"
    )
    assert code == 0
    expected = kb.evaluate_file(EXAMPLES / "fails_conditions.yaml").model_dump(mode="json")
    assert json.loads(out) == expected


def test_evaluate_markdown(capsys) -> None:
    code, out, _ = run(
        capsys, "evaluate", str(EXAMPLES / "discomfort.yaml"), "--format", "markdown"
    )
    assert code == 0 and out.startswith("# Conclusions\n\n## stop_and_rest\n")


def test_the_silent_example_concludes_no_outcome(capsys) -> None:
    code, out, _ = run(capsys, "evaluate", str(EXAMPLES / "article_silent.yaml"))
    assert code == 0 and "thigh_buttock_fat" not in out


def test_explain_prints_the_proof_tree(capsys) -> None:
    code, out, _ = run(
        capsys,
        "explain",
        str(EXAMPLES / "meets_conditions.yaml"),
        "--conclusion",
        "thigh_buttock_fat_may_decrease",
    )
    assert code == 0
    assert '      derived fact calorie_balance {"state": "deficit"}' in out


def test_explain_of_an_unreached_conclusion_falls_back_to_why_not(capsys) -> None:
    code, out, err = run(
        capsys,
        "explain",
        str(EXAMPLES / "article_silent.yaml"),
        "--conclusion",
        "thigh_buttock_fat_may_decrease",
    )
    assert code == 0 and "showing why not" in err
    assert out.startswith("why not thigh_buttock_fat_may_decrease?")


def test_explain_why_not_json(capsys) -> None:
    code, out, _ = run(
        capsys,
        "explain",
        str(EXAMPLES / "discomfort.yaml"),
        "--conclusion",
        "thigh_buttock_fat_may_decrease",
        "--why-not",
        "--format",
        "json",
    )
    assert code == 0 and json.loads(out)["concluded"] is False


@pytest.mark.parametrize(
    ("files", "argv_tail", "message"),
    [
        ({}, ["missing.yaml"], "cannot read file"),
        ({"p.yaml": "running: {intensity: high"}, ["p.yaml"], "yaml-syntax"),
        ({"p.yaml": "running: {intensity: extreme}"}, ["p.yaml"], "'extreme' is not allowed"),
        ({"p.yaml": "- a list\n"}, ["p.yaml"], "a profile is a mapping of facts; got a list"),
        ({"p.yaml": "!!python/object:os.system {}"}, ["p.yaml"], "yaml-tag"),
        (
            {"p.json": '{"running": {"sessions_per_week": "4"}}'},
            ["p.json"],
            'needs a whole number, got the text "4"',
        ),
    ],
)
def test_bad_profiles_exit_2_with_a_located_message(
    capsys, tmp_path: Path, files, argv_tail, message
) -> None:
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    code, out, err = run(capsys, "evaluate", *[str(tmp_path / a) for a in argv_tail])
    assert code == 2 and out == ""
    assert message in err and "Traceback" not in err


def test_a_binary_profile_is_refused(capsys, tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_bytes(b"\xff\xfe\x00garbage")
    code, _, err = run(capsys, "evaluate", str(path))
    assert code == 2 and "not UTF-8" in err


def test_a_broken_kb_exits_2_when_evaluating(capsys, make_kb) -> None:
    root = make_kb({"rules/walking.yaml": "rules: []\n"})
    code, _, err = run(capsys, "evaluate", str(EXAMPLES / "discomfort.yaml"), "--kb", str(root))
    assert code == 2 and "broken knowledge base" in err


@pytest.mark.parametrize("command", ["evaluate", "explain"])
def test_kb_option_that_is_not_a_folder_exits_2(capsys, tmp_path: Path, command) -> None:
    extra = ["--conclusion", "stop_and_rest"] if command == "explain" else []
    argv = [command, str(EXAMPLES / "discomfort.yaml"), "--kb", str(tmp_path / "nope"), *extra]
    code, _, err = run(capsys, *argv)
    assert code == 2 and "not a folder" in err


@pytest.mark.parametrize("why_not", [[], ["--why-not"]])
def test_explain_an_unknown_conclusion_exits_2_with_the_did_you_mean_hint(capsys, why_not) -> None:
    code, out, err = run(
        capsys,
        "explain",
        str(EXAMPLES / "discomfort.yaml"),
        *("--kb", str(ROOT), "--conclusion", "stop_rest", *why_not),
    )
    assert (code, out) == (2, "")
    assert err == "healthkb: unknown conclusion `stop_rest` (did you mean `stop_and_rest`?)\n"


def test_usage_errors_exit_2(capsys) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["evaluate"])
    assert exit_info.value.code == 2
    assert "required: profile" in capsys.readouterr().err


def test_python_dash_m_runs_the_command_without_a_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("running: [", encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "healthkb", "evaluate", str(bad)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr.startswith("healthkb: invalid profile:\n")
    assert "Traceback" not in done.stderr


# --- validate checks the test cases; release, which validates, refuses them -----------

TYPO_CASE = """\
cases:
  - name: three_walks_may_help
    profile: {walk: {sessions: 3}}
    expect: {conclusions: [walking_may_hlep]}
"""


def test_validate_reports_a_typo_in_a_test_case_with_its_place(capsys, make_kb) -> None:
    root = make_kb({"kb/tests/walking.yaml": TYPO_CASE})
    code, out, _ = run(capsys, "validate", str(root))
    assert code == 1
    assert out == (
        "kb/tests/walking.yaml:4:28: unknown-conclusion: conclusion `walking_may_hlep` is not "
        "declared in this KB (did you mean `walking_may_help`?)\n"
    )


def test_release_refuses_a_kb_whose_test_case_is_broken(capsys, make_kb) -> None:
    root = make_kb({"kb/tests/walking.yaml": TYPO_CASE})
    manifest = (root / "kb" / "kb.yaml").read_text(encoding="utf-8")
    code, out, _ = run(capsys, "release", str(root), "--bump", "patch", "--change", "x")
    assert code == 1
    assert out.splitlines() == [
        "kb/tests/walking.yaml:4:28: unknown-conclusion: conclusion `walking_may_hlep` is not "
        "declared in this KB (did you mean `walking_may_help`?)",
        "release refused: 1 problem(s) found",
    ]
    assert (root / "kb" / "kb.yaml").read_text(encoding="utf-8") == manifest
    assert not (root / "kb" / "rules.lock.yaml").exists()


# The mini KB with HTML and Markdown markup in its source text and statements.
HTML_SOURCE = MINI_SOURCE.replace("Rest when tired.", "Rest when <b>tired</b> & *sore*.")
HTML_CONCLUSIONS = MINI_CONCLUSIONS.replace(
    "statement: Rest when tired.",
    'statement: "Rest <script>alert(1)</script> when [tired](javascript:x)."',
).replace('quote: "Rest when tired."', 'quote: "Rest when <b>tired</b> & *sore*."')


def test_evaluate_markdown_shows_html_and_markup_in_kb_text_literally(capsys, make_kb) -> None:
    root = make_kb({"kb/sources/mini.yaml": HTML_SOURCE, "kb/conclusions.yaml": HTML_CONCLUSIONS})
    rules = (root / "rules" / "walking.yaml").read_text(encoding="utf-8")
    rules = rules.replace('quote: "Rest when tired."', 'quote: "Rest when <b>tired</b>"')
    rules = rules.replace("title: Rest when tired", "title: Rest <img src=x onerror=alert(1)>")
    (root / "rules" / "walking.yaml").write_text(rules, encoding="utf-8")
    profile = root / "p.yaml"
    profile.write_text("walk: {tired: true}\n", encoding="utf-8")
    code, out, _ = run(capsys, "evaluate", str(profile), "--kb", str(root), "--format", "markdown")
    assert code == 0
    body = out.split("## rest\n\n", 1)[1].split("## Sources", 1)[0]
    assert body == (
        r"*warning, certainty established* — Rest \<script\>alert(1)\</script\> when "
        r"\[tired\](javascript:x)."
        "\n\n"
        r"Rule `rest_when_tired` v1: Rest \<img src=x onerror=alert(1)\>"
        "\n\n"
        r"Evidence: not\_assessed (OCEBM-2011-adapted)"
        "\n\n"
        r"> “Rest when \<b\>tired\</b\> \& \*sore\*.” — `mini` p1.s2"
        "\n\n"
        r"> “Rest when \<b\>tired\</b\>” — `mini` p1.s2"
        "\n\n"
    )
