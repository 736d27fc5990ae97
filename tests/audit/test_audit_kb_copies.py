"""`audit show --format html` with no checkout: every store keeps a copy of each KB
release that answered its records, and the page is rendered from the record and that
copy (its digest checked); without a copy the command says which release it needs."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

import healthkb
from healthkb.cli import main
from support.policy_kbs import policy_kb

PROFILE = {
    "running": {"intensity": "high", "sessions_per_week": 4, "minutes_per_session": 45},
    "diet": {"low_calorie": True, "nutrient_rich": True, "limits_high_fat_high_sugar": True},
    "goals": {"target_areas": ["thighs"]},
}
CONCLUSION = "thigh_buttock_fat_may_decrease"


@pytest.fixture(params=["file", "sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "file":
        return str(tmp_path / "audit.jsonl")
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'audit.db'}"
    url: str = request.getfixturevalue("postgres_url")
    return url


def _answer(tmp_path: Path, store: str) -> tuple[str, Path]:
    """A record answered by a KB that is not the bundled one (its digest differs), and
    that KB's folder."""
    root = policy_kb(tmp_path, "    symptoms.*: drop\n")
    answer = healthkb.load(root).evaluate(PROFILE, audit=healthkb.AuditLog(store))
    assert answer.audit_record_id is not None
    return answer.audit_record_id, root


def _show(store: str, record: str, out: Path, *more: str) -> int:
    command = ["audit", "show", store, record, "--conclusion", CONCLUSION, "--format", "html"]
    return main([*command, "--out", str(out), *more])


def test_the_page_is_rendered_from_the_stores_copy_with_no_checkout(
    store: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    record, root = _answer(tmp_path, store)
    assert _show(store, record, tmp_path / "with-kb.html", "--kb", str(root)) == 0
    shutil.rmtree(root)  # no checkout left
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert _show(store, record, elsewhere / "page.html") == 0
    page = (elsewhere / "page.html").read_text(encoding="utf-8")
    assert page == (tmp_path / "with-kb.html").read_text(encoding="utf-8")
    assert "<mark" in page and "muscle definition may become more visible" in page


def test_without_a_copy_of_the_release_show_names_it_and_exits_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    store = tmp_path / "audit.jsonl"
    record, root = _answer(tmp_path, str(store))
    (tmp_path / "audit.jsonl.kbs").unlink()  # as a store written before copies were kept
    shutil.rmtree(root)
    monkeypatch.chdir(tmp_path)
    capsys.readouterr()
    assert _show(str(store), record, tmp_path / "page.html") == 2
    error = capsys.readouterr().err
    version = healthkb.load().version  # the bundled KB's, whose release the copy was
    assert f"record {record} was answered by healthkb-running-fat-loss {version} (sha256:" in error
    assert f"which the store holds no copy of; this KB is {version}" in error
    assert error.rstrip().endswith("give --kb PATH of that release")
    assert not (tmp_path / "page.html").exists()


def test_a_copy_changed_in_the_store_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    store = tmp_path / "audit.jsonl"
    record, root = _answer(tmp_path, str(store))
    shutil.rmtree(root)
    copies = tmp_path / "audit.jsonl.kbs"
    copy = json.loads(copies.read_bytes())
    source = next(name for name in copy["files"] if name.startswith("kb/sources/"))
    copy["files"][source] = copy["files"][source].replace("gradually decrease", "vanish")
    copies.write_text(json.dumps(copy, sort_keys=True, separators=(",", ":")) + "\n")
    monkeypatch.chdir(tmp_path)
    capsys.readouterr()
    assert _show(str(store), record, tmp_path / "page.html") == 2
    version = healthkb.load().version
    assert f"the store's copy of healthkb-running-fat-loss {version}" in capsys.readouterr().err


def test_audit_copy_carries_the_kb_copies(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    record, root = _answer(tmp_path, str(tmp_path / "audit.jsonl"))
    shutil.rmtree(root)
    target = f"sqlite:///{tmp_path / 'copy.db'}"
    assert main(["audit", "copy", str(tmp_path / "audit.jsonl"), target]) == 0
    monkeypatch.chdir(tmp_path)
    assert _show(target, record, tmp_path / "page.html") == 0


def test_a_log_refused_as_not_a_file_gets_no_kb_copy_beside_it(tmp_path: Path) -> None:
    # The KB's copy was kept before the log was opened: `--audit-log /dev/null` (refused)
    # still wrote /dev/null.kbs.
    log = tmp_path / "audit.jsonl"
    os.mkfifo(log)
    with pytest.raises(healthkb.AuditLogError, match="not-a-file"):
        healthkb.load().evaluate(PROFILE, audit=healthkb.AuditLog(str(log)))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["audit.jsonl"]


def test_a_pipe_in_the_place_of_the_kb_copies_keeps_no_copy_and_the_record_is_written(
    tmp_path: Path,
) -> None:
    log = tmp_path / "audit.jsonl"
    os.mkfifo(tmp_path / "audit.jsonl.kbs")
    answer = healthkb.load().evaluate(PROFILE, audit=healthkb.AuditLog(str(log)))
    assert answer.audit_record_id is not None
    assert answer.audit_record_id in log.read_text()
