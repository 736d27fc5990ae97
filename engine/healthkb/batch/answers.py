"""Answering input lines: each line's output line, a result or the reason it was refused.

An input line is `{"id": ..., "profile": {...}}`; its answer is
`{"id", "kb_id", "kb_version", "kb_digest", "conclusions": [...]}` (each conclusion with
its rule, its `evidence` and, when it rests on a source past its review date,
`"stale": true`, as `evaluate --format json` gives them), or, for a line that
cannot be evaluated, `{"id" (when readable), "line": N, "error": {"code", "message",
"problems"}}`, each sealed with its `answer_digest` (see `answer_digest.py`). The
same bytes whichever process or machine answers: this is the one function every way
of running a batch calls.

Its fast paths, and why they give the same answer: docs/performance.md, "Batch and workers".
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from ..audit.log import Record, record_body
from ..audit.records import recordable_id
from ..content.provenance import EVIDENCE_SCALE
from ..errors import EvaluationError, Problem, ProfileError, did_you_mean
from ..files.json_reader import StrictJSONError, strict_loads
from ..knowledge_base import KnowledgeBase
from ..results.result import Reached, Result
from ..runtime.compile import json_encoder
from .answer_digest import sealed
from .jsonlines import MAX_LINE_BYTES, Line, pack
from .line_blocks import LineBlock

T = TypeVar("T")

LINE_KEYS = ("id", "profile")
_LINE_HINT = 'write {"id": ..., "profile": {...}}'


@dataclass(frozen=True)
class Chunk:
    """Consecutive input lines, answered together by one worker."""

    source: str  # how problems name the input
    lines: LineBlock | tuple[Line, ...]  # a block as read, or the lines one by one
    audit: bool = False  # also build each evaluation's audit record
    lang: str | None = None  # word the answers in this KB language (not the default)
    gzip: bool = False  # the answers as one gzip member (for a `.gz` output)


@dataclass(frozen=True)
class ChunkAnswer:
    """The output lines of a chunk (each ending in a newline; one gzip member of them
    when the chunk asked for gzip, compressed where it was answered, not by the one
    process that writes every chunk), how many lines and how many of them refused, and
    the audit record bodies of the evaluated ones, in order."""

    text: bytes
    lines: int
    refused: int
    records: tuple[Record, ...] = ()


class Refused(Exception):
    """An input line that cannot be evaluated, with what to say about it."""

    def __init__(
        self, code: str, message: str, problems: list[Problem], identifier: Any = None
    ) -> None:
        super().__init__(message)
        self.code, self.message, self.problems = code, message, problems
        self.identifier = identifier  # the line's id, when it could be read


def answer_chunk(kb: KnowledgeBase, chunk: Chunk) -> ChunkAnswer:
    """Every line of the chunk answered, in order."""
    out: list[bytes] = []
    refused = 0
    records: list[Record] = []
    plain = _PlainAnswers(kb)
    for line in chunk.lines:
        statements: list[str] | None = None
        record: str | None = None
        try:
            identifier, profile = read_line(line, chunk.source)
            if chunk.audit:
                _check_recordable(identifier, f"{chunk.source}:{line.number}")
            if chunk.audit or chunk.lang is not None:
                evaluate = functools.partial(kb.evaluate, lang=chunk.lang)
                result = evaluate_line(kb, line, chunk.source, profile, identifier, evaluate)
                if chunk.audit:
                    records.append(record_body(result, str(identifier)))
                    record = records[-1]["record"]
                reached = _reached(result)
                if chunk.lang is not None:
                    statements = [c.statement for c in result.conclusions]
            else:
                reached = evaluate_line(
                    kb, line, chunk.source, profile, identifier, kb.conclusions_reached
                )
        except Refused as refusal:
            refused += 1
            out.append(_refusal_line(line.number, refusal))
            continue
        if record is None and statements is None:
            out.append(plain.line(identifier, reached))
            continue
        worded = None if statements is None else Worded(chunk.lang or "", statements)
        out.append(result_line(kb, identifier, reached, record, worded))
    text = b"".join(out)
    return ChunkAnswer(pack(text) if chunk.gzip else text, len(out), refused, tuple(records))


class _PlainAnswers:
    """The output lines of one chunk's evaluated profiles (without a language or an
    audit record), written from their parts: the KB's stamp once per chunk, and each
    distinct conclusion's JSON once (a chunk's answers repeat the same few), joined as
    `result_line` would encode the whole answer, byte for byte (compact JSON, keys in
    the same order). An id that is not UTF-8 (a lone surrogate) goes to `result_line`."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb
        stamp = {"kb_id": kb.id, "kb_version": kb.version, "kb_digest": kb.digest}
        self.head = "".join(f",{_COMPACT(key)}:{_COMPACT(value)}" for key, value in stamp.items())
        self.head += ',"conclusions":['
        self.conclusions: dict[Reached, str] = {}

    def line(self, identifier: Any, reached: list[Reached]) -> bytes:
        known = self.conclusions
        parts = []
        for conclusion in reached:
            text = known.get(conclusion)
            if text is None:
                text = known[conclusion] = _COMPACT(_conclusion(conclusion))
            parts.append(text)
        answer = '{"id":' + _COMPACT(identifier) + self.head + ",".join(parts) + "]}"
        try:
            return sealed(answer.encode("utf-8"))
        except UnicodeEncodeError:
            return result_line(self.kb, identifier, reached)


@dataclass(frozen=True)
class Worded:
    """The language of an answer asked in another language than the KB's default, and
    its conclusions' statements in it (in the order of the conclusions)."""

    language: str
    statements: list[str]


def read_line(line: Line, source: str) -> tuple[Any, Any]:
    """The id and profile of an input line; `Refused` saying why not (with the id when
    it could be read, so the answer can name it)."""
    where = f"{source}:{line.number}"
    if line.data is None:
        raise _refused(where, "line-too-long", f"the line is longer than {MAX_LINE_BYTES:,} bytes")
    if not line.data.strip():
        raise _refused(where, "empty-line", "the line is empty", _LINE_HINT)
    try:
        data = strict_loads(line.data)
    except StrictJSONError as refused:
        # A key given twice, NaN, Infinity: refused as a `.json` profile and the service
        # refuse them, in the same words.
        _, column = refused.place(line.data.decode("utf-8", "replace"))
        raise _refused(where, refused.code, refused.message, refused.hint, column=column) from None
    except (ValueError, RecursionError) as error:
        column = error.colno if isinstance(error, json.JSONDecodeError) else 0
        refusal = _refused(where, "invalid-json", _json_message(error), column=column)
        raise refusal from None
    if not isinstance(data, dict):
        raise _refused(where, "invalid-line", "a line is a JSON object", _LINE_HINT)
    identifier = data.get("id")
    if isinstance(identifier, bool) or not isinstance(identifier, str | int):
        what = "has no `id`" if identifier is None else "has an `id` that is not text or a number"
        raise _refused(where, "invalid-id", f"the line {what}", "give each line its id")
    unknown = sorted(set(data) - set(LINE_KEYS))
    if unknown:
        hint = did_you_mean(unknown[0], LINE_KEYS)
        raise _refused(where, "unknown-key", f"unknown key `{unknown[0]}`", hint, identifier)
    if "profile" not in data:
        raise _refused(where, "missing-profile", "the line has no `profile`", "", identifier)
    return identifier, data["profile"]


def evaluate_line(
    kb: KnowledgeBase,
    line: Line,
    source: str,
    profile: Any,
    identifier: Any,
    evaluate: Callable[[Any], T],
) -> T:
    """`evaluate(profile)`; `Refused` if the KB refuses the profile or cannot finish."""
    try:
        return evaluate(profile)
    except ProfileError as error:
        problems = [_placed(p, source, line.number) for p in error.problems]
        count = len(problems)
        message = f"invalid profile: {count} problem{'s' if count != 1 else ''}"
        raise Refused("invalid-profile", message, problems, identifier) from None
    except EvaluationError as error:
        where = f"{source}:{line.number}"
        raise _refused(where, "evaluation-failed", str(error), "", identifier) from None


def result_line(
    kb: KnowledgeBase,
    identifier: Any,
    reached: list[Reached],
    record: str | None = None,
    worded: Worded | None = None,
) -> bytes:
    """The output line of an evaluated profile (with `record`, the id of its audit record;
    with `worded`, its `"language"` and each conclusion's `"statement"` in it)."""
    answer: dict[str, Any] = {
        "id": identifier,
        "kb_id": kb.id,
        "kb_version": kb.version,
        "kb_digest": kb.digest,
        "conclusions": [_conclusion(c) for c in reached],
    }
    if worded is not None:
        answer["language"] = worded.language
        for conclusion, statement in zip(answer["conclusions"], worded.statements, strict=True):
            conclusion["statement"] = statement
    if record is not None:
        answer["record"] = record
    return _json_line(answer)


def _conclusion(reached: Reached) -> dict[str, Any]:
    conclusion: dict[str, Any] = {
        "id": reached.id,
        "kind": reached.kind,
        "certainty": reached.certainty,
        "rule": reached.rule_id,
        "rule_version": reached.rule_version,
        "evidence": {"level": reached.evidence_level, "scale": EVIDENCE_SCALE},
    }
    if reached.stale:
        conclusion["stale"] = True
    return conclusion


def _reached(result: Result) -> list[Reached]:
    return [
        Reached(
            c.id,
            c.kind,
            c.certainty,
            c.rule_id,
            c.rule_version,
            c.evidence.get("level", ""),
            c.stale,
        )
        for c in result.conclusions
    ]


def _refusal_line(number: int, refusal: Refused) -> bytes:
    identifier = refusal.identifier
    answer: dict[str, Any] = {} if identifier is None else {"id": identifier}
    answer["line"] = number
    answer["error"] = {
        "code": refusal.code,
        "message": refusal.message,
        "problems": [p.to_dict() for p in refusal.problems],
    }
    return _json_line(answer)


# Made once: `json.dumps` with options builds a new encoder on every call (per line).
_COMPACT = json_encoder(ensure_ascii=False, separators=(",", ":"))
_COMPACT_ASCII = json_encoder(separators=(",", ":"))


def _json_line(data: dict[str, Any]) -> bytes:
    """The output line of an answer: its compact JSON, sealed with its digest."""
    text = _COMPACT(data)
    try:
        return sealed(text.encode("utf-8"))
    except UnicodeEncodeError:
        # A lone surrogate (`"\ud800"` in an id) is valid JSON but not UTF-8: escaped.
        return sealed(_COMPACT_ASCII(data).encode("ascii"))


def _check_recordable(identifier: Any, where: str) -> None:
    """With audit on, a line whose id a record cannot hold is refused (`recordable_id`)."""
    if isinstance(identifier, str) and not recordable_id(identifier):
        message = "the line's `id` holds a lone surrogate, which the audit log cannot record"
        hint = "give each line an id of valid Unicode text"
        raise _refused(where, "invalid-id", message, hint, identifier)


def _refused(
    where: str,
    code: str,
    message: str,
    hint: str = "",
    identifier: Any = None,
    column: int = 0,
) -> Refused:
    source, _, number = where.rpartition(":")
    problem = Problem(source, int(number), column, code, message, hint)
    return Refused(code, message, [problem], identifier)


def _placed(problem: Problem, source: str, number: int) -> Problem:
    """A profile problem placed at its input line (the profile's own place is the line)."""
    return Problem(source, number, 0, problem.code, problem.message, problem.hint)


def _json_message(error: Exception) -> str:
    if isinstance(error, RecursionError):
        return "the JSON nests too deeply to read"
    if isinstance(error, UnicodeDecodeError):
        return f"the line is not UTF-8 (byte {error.start + 1})"
    if isinstance(error, json.JSONDecodeError):
        return f"not JSON: {error.msg}"
    return f"not JSON: {error}"
