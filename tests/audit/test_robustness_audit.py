"""A damaged or forged audit log is verified, replayed, shown and refused for appending with
healthkb's own errors, never a traceback."""

from __future__ import annotations

import contextlib
import json
import re
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import healthkb
from healthkb.audit.log import record_hash
from support.fuzzing import EXAMPLE_PROFILES, ROOT, budget, run_cli, writable


@pytest.fixture(scope="module")
def audit_lines(kb: healthkb.KnowledgeBase, tmp_path_factory: pytest.TempPathFactory) -> bytes:
    log = healthkb.AuditLog(tmp_path_factory.mktemp("audit") / "audit.jsonl")
    for profile in EXAMPLE_PROFILES[:3]:
        kb.evaluate(profile, audit=log)
    return log.path.read_bytes()


def _byte_edits(draw: st.DrawFn, data: bytes) -> bytes:
    for _ in range(draw(st.integers(1, 3))):
        lines = data.split(b"\n")
        i = draw(st.integers(0, len(lines) - 1))
        kind = draw(
            st.sampled_from(["flip", "insert", "cut", "delete", "duplicate", "swap", "lengthen"])
        )
        numbers = [m.start() + 1 for m in re.finditer(rb":[0-9]", data)]
        if kind == "lengthen" and numbers:
            at = draw(st.sampled_from(numbers))
            data = data[:at] + b"9" * draw(st.sampled_from([1, 20, 5000])) + data[at:]
        elif kind == "flip" and data:
            at = draw(st.integers(0, len(data) - 1))
            data = data[:at] + bytes([data[at] ^ draw(st.integers(1, 255))]) + data[at + 1 :]
        elif kind == "insert":
            at = draw(st.integers(0, len(data)))
            data = data[:at] + draw(st.binary(min_size=1, max_size=8)) + data[at:]
        elif kind == "cut":
            data = data[: draw(st.integers(0, len(data)))]
        elif kind == "delete":
            del lines[i]
            data = b"\n".join(lines)
        elif kind == "duplicate":
            lines.insert(i, lines[i])
            data = b"\n".join(lines)
        elif kind == "swap":
            j = draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
            data = b"\n".join(lines)
    return data


def _json_edit(draw: st.DrawFn, data: bytes) -> bytes:
    """One record's JSON with one value replaced by anything: valid JSON, wrong content;
    sometimes forged, its `hash` made to match again, as only a forger would."""
    lines = data.split(b"\n")
    i = draw(st.integers(0, len(lines) - 2))
    record = json.loads(lines[i])
    path = []
    value = record
    while isinstance(value, dict | list) and value and draw(st.integers(0, 3)):
        key = draw(st.sampled_from(sorted(value) if isinstance(value, dict) else range(len(value))))
        path.append(key)
        value = value[key]
    target = record
    for key in path[:-1]:
        target = target[key]
    new = draw(writable)
    if path:
        target[path[-1]] = new
    else:
        record = new
    if isinstance(record, dict) and draw(st.booleans()):
        with contextlib.suppress(UnicodeEncodeError, RecursionError):  # no hash of those
            record["hash"] = record_hash(record)
    lines[i] = json.dumps(record, sort_keys=True, separators=(",", ":")).encode()
    return b"\n".join(lines)


@st.composite
def damaged_logs(draw: st.DrawFn, audit_lines: bytes) -> bytes:
    edit: Callable[[st.DrawFn, bytes], bytes] = draw(st.sampled_from([_byte_edits, _json_edit]))
    return edit(draw, audit_lines)


def _record_ids(data: bytes) -> list[str]:
    return sorted(set(re.findall(r'"record":"([^"]*)"', data.decode("utf-8", "replace"))))


@budget(40)
@given(st.data())
def test_a_damaged_or_forged_audit_log_is_verified_replayed_shown_and_appended_to_safely(
    kb: healthkb.KnowledgeBase, audit_lines: bytes, data: st.DataObject
) -> None:
    damaged = data.draw(damaged_logs(audit_lines))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "audit.jsonl"
        path.write_bytes(damaged)
        code, out, err = run_cli(["audit", "verify", str(path), "--format", "json"])
        assert code in (0, 1, 2), err
        if code != 2:
            assert json.loads(out)["ok"] is (code == 0)
        code, _, err = run_cli(["audit", "replay", str(path), "--kb", str(ROOT)])
        assert code in (0, 1, 2), err
        record = data.draw(st.sampled_from(_record_ids(damaged) or ["none"]))
        code, _, err = run_cli(["audit", "show", str(path), record])
        assert code in (0, 1, 2), err
        try:
            kb.evaluate({"symptoms": {"physical_discomfort": True}}, audit=healthkb.AuditLog(path))
        except healthkb.AuditLogError as error:
            assert str(error).startswith(str(path)), error
