"""A link out of the KB folder is not followed unless asked: `rules/passwd.yaml ->
/etc/passwd` is refused with a located problem and never quoted; a `kb/sources` folder
linked from elsewhere does not validate (issue 17, item 8)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import healthkb
from conftest import ROOT
from healthkb.errors import KBError

HEALTHKB = str(Path(sys.executable).parent / "healthkb")
PASSWD = Path("/etc/passwd")


def kb_copy(tmp_path: Path) -> Path:
    root = tmp_path / "kb-folder"
    for folder in ("kb", "rules"):
        shutil.copytree(ROOT / folder, root / folder)
    return root


def validate(root: Path, *options: str) -> subprocess.CompletedProcess[str]:
    # From inside the KB, as an editor runs it: places print as the KB has them.
    return subprocess.run(
        [HEALTHKB, "validate", str(root), *options], capture_output=True, text=True, cwd=root
    )


@pytest.mark.skipif(not PASSWD.is_file(), reason="no /etc/passwd here")
@pytest.mark.parametrize("place", ["rules/passwd.yaml", "kb/tests/passwd.yaml"])
def test_a_kb_file_linked_to_a_system_file_is_refused_and_never_quoted(
    tmp_path: Path, place: str
) -> None:
    root = kb_copy(tmp_path)
    (root / place).symlink_to(PASSWD)
    first_line = PASSWD.read_text().splitlines()[0]
    done = validate(root)
    assert done.returncode == 1
    assert (
        f"{place}: outside-kb: `{place}` is a link to /etc/passwd, outside the KB: not read"
        in done.stdout
    )
    assert first_line[:8] not in done.stdout + done.stderr
    # Allowed, it is read; still, text that is not a mapping of keys is not quoted.
    allowed = validate(root, "--allow-outside-links")
    assert allowed.returncode == 1
    assert "wrong-type: the file holds text (" in allowed.stdout
    assert first_line[:8] not in allowed.stdout + allowed.stderr


def test_a_sources_folder_linked_from_outside_does_not_validate_unless_allowed(
    tmp_path: Path,
) -> None:
    root = kb_copy(tmp_path)
    elsewhere = tmp_path / "elsewhere"
    (root / "kb" / "sources").rename(elsewhere)
    (root / "kb" / "sources").symlink_to(elsewhere)
    done = validate(root)
    assert done.returncode == 1
    assert done.stdout.splitlines()[0].startswith(
        f"kb/sources: outside-kb: `kb/sources` is a link to {elsewhere}, outside the KB"
    )
    with pytest.raises(KBError) as refused:
        healthkb.load(root)
    assert [p.code for p in refused.value.problems] == ["outside-kb"]
    assert healthkb.load(root, allow_links_outside=True).digest == healthkb.load(ROOT).digest
    assert validate(root, "--allow-outside-links").returncode == 0


def test_links_inside_the_kb_folder_are_followed(tmp_path: Path) -> None:
    root = kb_copy(tmp_path)
    shared = root / "shared"
    shared.mkdir()
    (root / "rules" / "running_and_diet.yaml").rename(shared / "running_and_diet.yaml")
    (root / "rules" / "running_and_diet.yaml").symlink_to(shared / "running_and_diet.yaml")
    assert healthkb.load(root).digest == healthkb.load(ROOT).digest


def test_batch_and_evaluate_refuse_a_kb_that_links_out(tmp_path: Path) -> None:
    root = kb_copy(tmp_path)
    (root / "rules" / "running_and_diet.yaml").rename(tmp_path / "anywhere.yaml")
    (root / "rules" / "running_and_diet.yaml").symlink_to(tmp_path / "anywhere.yaml")
    (tmp_path / "people.jsonl").write_text('{"id": 1, "profile": {}}\n')
    (tmp_path / "profile.yaml").write_text("{}\n")
    for command in (
        ["batch", "people.jsonl", "--out", "answers.jsonl", "--workers", "1"],
        ["evaluate", "profile.yaml"],
    ):
        done = subprocess.run(
            [HEALTHKB, *command, "--kb", str(root)], cwd=tmp_path, capture_output=True, text=True
        )
        assert done.returncode == 2
        assert "rules/running_and_diet.yaml: outside-kb:" in done.stderr
        allowed = subprocess.run(
            [HEALTHKB, *command, "--kb", str(root), "--allow-outside-links"],
            cwd=tmp_path,
            capture_output=True,
            text=True,
        )
        assert allowed.returncode == 0, allowed.stderr
