"""The answers healthkb gives, written down once, so that speed work cannot change a byte.

`python -m tests.support.golden_outputs --write` (from the checkout) writes
tests/results/golden/:

- in full, for every example profile in kb/examples: `healthkb evaluate` in each format
  and each language of the KB, and `healthkb explain` of every conclusion of the KB
  (`--why-not` when the profile does not reach it), as JSON and text;
- as SHA-256 digests, one line per profile: the JSON answer, the text answer and the
  `healthkb batch` answer line of generated profiles of the bundled KB (every
  attribute's range and its boundaries), and the JSON answer of generated profiles of a
  generated 1,000-rule KB.

tests/results/test_golden_outputs.py compares a fresh run with those files. An edit of
the bundled KB changes its answers (the KB's digest and versions are in them): write the
files again and read the diff before committing it.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import yaml

import healthkb
from healthkb.batch.answers import Chunk, answer_chunk
from healthkb.batch.jsonlines import Line
from healthkb.content.loading.loader import read_content
from healthkb.content.provenance import TODAY_VARIABLE
from healthkb.render.result import result_json, result_text

from ..benchmarks.clips_peer import population
from ..benchmarks.generated_kb import write_generated_kb
from .fuzzing import run_cli

CHECKOUT = Path(__file__).resolve().parents[2]
GOLDEN = CHECKOUT / "tests" / "results" / "golden"
EXAMPLES = CHECKOUT / "kb" / "examples"
SEED_PROFILES = 300
GENERATED_RULES = 1_000
GENERATED_PROFILES = 60
GOLDEN_DAY = "2026-12-07"


def command_output(argv: list[str]) -> str:
    """What `healthkb ARGV` prints (standard output, then error), after its exit status."""
    status, out, err = run_cli(argv)
    return f"exit {status}\n{out}{err}"


def example_outputs() -> Iterator[tuple[str, str]]:
    """(file name, text) of every command on every example profile."""
    kb = healthkb.load(CHECKOUT)
    languages = sorted(kb.languages)
    conclusions = sorted(kb.content.conclusions)
    for example in sorted(EXAMPLES.glob("*.yaml")):
        path = str(example)
        reached = {c.id for c in kb.conclusions_reached(_profile_of(example))}
        for form in ("json", "text", "markdown", "cds-hooks"):
            for lang in languages:
                argv = ["evaluate", path, "--kb", str(CHECKOUT), "--format", form, "--lang", lang]
                yield f"{example.stem}.evaluate.{lang}.{form}", command_output(argv)
        for conclusion in conclusions:
            why = [] if conclusion in reached else ["--why-not"]
            for form in ("json", "text"):
                argv = ["explain", path, "--kb", str(CHECKOUT), "--conclusion", conclusion]
                name = f"{example.stem}.explain.{conclusion}.{form}"
                yield name, command_output([*argv, *why, "--format", form])


def _profile_of(example: Path) -> dict[str, object]:
    profile: dict[str, object] = yaml.safe_load(example.read_text(encoding="utf-8"))
    return profile


def digest_lines(kb: healthkb.KnowledgeBase, profiles: list[dict[str, object]]) -> str:
    """One line per profile: the digests of its JSON and text answers and batch line."""
    lines = []
    for number, profile in enumerate(profiles, 1):
        result = kb.evaluate(profile)
        batch_line = Line(number, json.dumps({"id": f"p{number}", "profile": profile}).encode())
        answer = answer_chunk(kb, Chunk("golden", (batch_line,))).text
        lines.append(
            f"{number} {_sha(result_json(result))} {_sha(result_text(result))} {_sha(answer)}"
        )
    return "\n".join(lines) + "\n"


def generated_digests() -> str:
    """The JSON answers of generated profiles of a generated 1,000-rule KB, as digests."""
    with tempfile.TemporaryDirectory() as folder:
        root = write_generated_kb(Path(folder), GENERATED_RULES)
        kb = healthkb.load(root)
        profiles = population(read_content(root), GENERATED_PROFILES, seed=7)
        return "".join(
            f"{number} {_sha(result_json(kb.evaluate(profile)))}\n"
            for number, profile in enumerate(profiles, 1)
        )


def all_outputs() -> dict[str, str]:
    """File name in tests/results/golden/ -> its text, answered on GOLDEN_DAY."""
    with _day(GOLDEN_DAY):
        return _outputs()


@contextlib.contextmanager
def _day(day: str) -> Iterator[None]:
    # Answers say whether a source is past its review date: fix the day they are given.
    before = os.environ.get(TODAY_VARIABLE)
    os.environ[TODAY_VARIABLE] = day
    try:
        yield
    finally:
        if before is None:
            del os.environ[TODAY_VARIABLE]
        else:
            os.environ[TODAY_VARIABLE] = before


def _outputs() -> dict[str, str]:
    outputs = dict(example_outputs())
    kb = healthkb.load(CHECKOUT)
    seed = population(read_content(CHECKOUT), SEED_PROFILES, seed=11)
    outputs["digests.seed.txt"] = digest_lines(kb, seed)
    outputs["digests.generated-1000.txt"] = generated_digests()
    return outputs


def _sha(text: str | bytes) -> str:
    data = text.encode() if isinstance(text, str) else text
    return hashlib.sha256(data).hexdigest()[:16]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.support.golden_outputs")
    parser.add_argument("--write", action="store_true", help="write the files")
    parser.add_argument("--into", type=Path, default=GOLDEN, help="folder (tests/results/golden)")
    options = parser.parse_args(argv)
    if not options.write:
        parser.error("--write is required (the test compares; this writes)")
    options.into.mkdir(exist_ok=True)
    for old in options.into.iterdir():
        old.unlink()
    for name, text in all_outputs().items():
        (options.into / name).write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
