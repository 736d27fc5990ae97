"""The lock cannot be edited away: a digest over itself, the release of every entry,
and silences and the FHIR mapping recorded beside the versioned items."""

from __future__ import annotations

import datetime
from pathlib import Path

import yaml

from conftest import ACCEPT_OPTIONS, ACCEPT_UNTESTED, MINI_RULES, MINI_SILENCES, ROOT
from healthkb.cli import main
from healthkb.content.loading.loader import read_content
from healthkb.content.versioning.lock import LOCK_FILE, LockedItem, LockFile, render_lock
from healthkb.editing.kb_validation import check_kb
from healthkb.editing.release import release, write_lock
from healthkb.files.yaml_reader import parse_yaml


def locked(make_kb) -> Path:
    root = make_kb({"kb/silences.yaml": MINI_SILENCES})
    write_lock(read_content(root))
    return root


def codes(root: Path) -> list[tuple[str, int, str]]:
    return [(p.file, p.line, p.code) for p in check_kb(root).problems]


def edit_lock(root: Path, old: str, new: str) -> None:
    path = root / LOCK_FILE
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_the_bundled_lock_records_every_released_item_and_is_sealed() -> None:
    lock = read_content(ROOT).lock
    assert lock is not None and lock.digest is not None
    assert {s.id for s in lock.silences or []} == set(read_content(ROOT).silences)
    assert lock.fhir is not None
    entries = [*lock.rules, *(lock.conclusions or []), *(lock.facts or []), *(lock.sources or [])]
    assert all(entry.released_in is not None for entry in entries)


def test_a_lock_written_by_release_validates(make_kb) -> None:
    assert codes(locked(make_kb)) == []


def test_a_rule_entry_deleted_by_hand_is_a_located_error(make_kb) -> None:
    root = locked(make_kb)
    data = yaml.safe_load((root / LOCK_FILE).read_text(encoding="utf-8"))
    data["rules"] = [e for e in data["rules"] if e["id"] != "rest_when_tired"]
    (root / LOCK_FILE).write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    found = codes(root)
    assert [code for _, _, code in found] == ["lock-edited"]
    assert found[0][0] == LOCK_FILE


def test_a_changed_kb_version_in_the_lock_is_a_located_error(make_kb) -> None:
    root = locked(make_kb)
    edit_lock(root, "kb_version: 1.0.0", "kb_version: 1.0.1")
    assert [code for _, _, code in codes(root)] == ["lock-edited"]


def test_a_manifest_version_edited_by_hand_does_not_match_the_lock(make_kb) -> None:
    root = locked(make_kb)
    manifest = root / "kb/kb.yaml"
    manifest.write_text(
        manifest.read_text(encoding="utf-8").replace("version: 1.0.0", "version: 1.0.3"),
        encoding="utf-8",
    )
    assert codes(root) == [(LOCK_FILE, 6, "lock-version-mismatch")]


def test_a_lock_without_its_digest_is_unsealed(make_kb) -> None:
    root = locked(make_kb)
    text = (root / LOCK_FILE).read_text(encoding="utf-8")
    cut = "\n".join(line for line in text.splitlines() if not line.startswith("digest:"))
    (root / LOCK_FILE).write_text(cut + "\n", encoding="utf-8")
    assert [code for _, _, code in codes(root)] == ["lock-unsealed"]


def test_release_refuses_a_lock_whose_entry_was_deleted_to_hide_a_change(make_kb, capsys) -> None:
    # The scenario: delete a released rule's entry by hand, then change the rule
    # without raising its version; the release must not call it "added".
    root = locked(make_kb)
    data = yaml.safe_load((root / LOCK_FILE).read_text(encoding="utf-8"))
    data["rules"] = [e for e in data["rules"] if e["id"] != "enough_walking"]
    (root / LOCK_FILE).write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    changed = MINI_RULES.replace("title: Enough walking", "title: Enough walking (3–5 times)")
    (root / "rules/walking.yaml").write_text(
        changed.replace('quote: "Walking 3–5 times a week"', 'quote: "Walking 3–5 times"'),
        encoding="utf-8",
    )
    code = main(["release", str(root), "--date", "2025-03-01", *ACCEPT_OPTIONS])
    out = capsys.readouterr().out
    assert code == 1
    assert "lock-edited" in out and "Added rule" not in out


def test_release_keeps_the_release_of_unchanged_items_and_reseals(make_kb) -> None:
    root = locked(make_kb)
    changed = MINI_RULES.replace("between: [3, 5]", "between: [3, 4]").replace(
        "version: 1\n    title: Enough walking", "version: 2\n    title: Enough walking, 3–4 times"
    )
    (root / "rules/walking.yaml").write_text(changed, encoding="utf-8")
    done = release(root, date=datetime.date(2025, 3, 1), accept=ACCEPT_UNTESTED)
    assert done.version == "1.1.0"
    lock = read_content(root).lock
    assert lock is not None
    released = {entry.id: entry.released_in for entry in lock.rules}
    assert released == {
        "enough_walking": "1.1.0",
        "rest_when_tired": "1.0.0",
        "walking_helps": "1.0.0",
    }
    assert {s.id: s.released_in for s in lock.silences or []} == {"never_walks": "1.0.0"}
    assert codes(root) == []


def test_a_lock_whose_field_digests_read_as_numbers_is_read_back_as_written() -> None:
    """A field digest is 16 hex digits: `7439450221867e88` reads as a YAML 1.2 number and
    `0655268603414150` has a leading 0. Written plain, the reader refused them, and
    the lock of a 10,000-rule KB written by `release` could not be loaded."""
    digests = {
        "when": "7439450221867e88",
        "then": "0655268603414150",
        "because": "1234567890123456",
        "status": "abcdef0123456789",
    }
    lock = LockFile(
        kb_version="0.1.0",
        rules=[LockedItem(id="a", version=1, digest="sha256:" + "0" * 64, fields=digests)],
    )
    text = render_lock(lock)
    assert "when: '7439450221867e88'\n" in text and "status: abcdef0123456789\n" in text
    assert parse_yaml(text, LOCK_FILE).data["rules"][0]["fields"] == digests


def test_the_bundled_lock_is_written_as_it_was() -> None:
    lock = read_content(ROOT).lock
    assert lock is not None
    assert render_lock(lock) == (ROOT / LOCK_FILE).read_text(encoding="utf-8")
