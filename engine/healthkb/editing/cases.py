"""Editors' test cases (`kb/tests/*.yaml`): named profiles with expected outcomes.

A case file is read like any KB file (safe YAML, located problems); each case's
profile is validated against the KB's own vocabulary and every conclusion, rule and
derived fact it names must exist, so a typo in a test is an error, not a pass.
Running a case evaluates its profile and compares the result with its expectations.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

from ..content.diagnostics.located_validation import validate_located
from ..content.languages.tags import BCP47Tag
from ..content.located_items import Placed
from ..content.model import Identifier, Scalar, StrictModel, Text
from ..content.strict_model import empty_list
from ..errors import HealthKBError, KBError, Problem, ProfileError, did_you_mean
from ..files.folders import outside_problem, yaml_files
from ..files.regular_file import kind_of
from ..files.yaml_reader import Located, PathKey, read_yaml
from ..profiles.profile_model import build_profile_model, validate_profile

if TYPE_CHECKING:
    from ..content.loading.kb_content import KBContent
    from ..knowledge_base import KnowledgeBase
    from ..results.result import DerivedFact, Result

CASES_FOLDER = "kb/tests"


class ExpectedFact(StrictModel):
    """A derived fact a case expects: its type and (some of) its attribute values."""

    fact: Identifier
    values: dict[Identifier, Scalar | list[Scalar]] = Field(default_factory=dict)


class Expectation(StrictModel):
    """What must (and must not) come out of a case's profile."""

    conclusions: list[Identifier] = Field(default_factory=empty_list)
    no_conclusions: list[Identifier] = Field(default_factory=empty_list)
    derived: list[ExpectedFact] = Field(default_factory=empty_list)
    fired_rules: list[Identifier] | None = None
    only_these_conclusions: bool = False
    says: dict[BCP47Tag, dict[Identifier, Text]] = Field(default_factory=dict)
    """In each language (a tag of the KB's), words each conclusion's statement must hold
    when the answer is given in it: `{zh-Hans: {stop_and_rest: 立即停止运动}}`."""


class TestCase(StrictModel):
    """One named case: a profile and what the KB must conclude from it."""

    __test__ = False  # not a pytest test class, despite the name

    name: Identifier
    description: str = ""
    profile: dict[str, Any]
    expect: Expectation


class CasesFile(StrictModel):
    """`kb/tests/*.yaml`: a list of test cases."""

    __test__ = False

    cases: list[TestCase] = Field(min_length=1)


@dataclass(frozen=True)
class Mismatch:
    """One expectation a result does not meet.

    `kind` is one of `missing-conclusion`, `unexpected-conclusion`, `missing-derived`,
    `missing-rule` and `unexpected-rule`; `subject` is the conclusion, fact or rule id;
    `values` are the attribute values a missing derived fact was expected to have.
    """

    kind: str
    subject: str
    message: str
    values: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class CaseOutcome:
    """A case after running: the result and every expectation it missed (none = pass)."""

    case: TestCase
    file: str
    result: Result
    failures: tuple[str, ...]
    mismatches: tuple[Mismatch, ...] = ()
    line: int = 0

    @property
    def passed(self) -> bool:
        return not self.failures


def read_cases(
    kb: KnowledgeBase,
    root: str | Path | None = None,
    *,
    files: Sequence[str | Path] | None = None,
) -> list[Placed[TestCase]]:
    """Every case under `root/kb/tests` (default: the KB's own root), checked against `kb`.

    `files` restricts reading to these case files (paths, or names relative to `root`).
    Raises one `KBError` with every located problem (bad YAML, unknown keys, an invalid
    profile, an unknown conclusion, rule or derived fact, a duplicate case name).
    """
    base = Path(root) if root is not None else kb.content.root
    return _read_cases(kb.content, kb.profile_model, base, files)


def check_cases(content: KBContent) -> list[Placed[TestCase]]:
    """Every case under the KB's `kb/tests`, checked against its content as `read_cases`
    checks them, without compiling the rules (what `healthkb validate` needs).

    Raises one `KBError` with every located problem of the case files.
    """
    return _read_cases(content, build_profile_model(content.vocabulary), content.root, None)


def _read_cases(
    content: KBContent,
    profile_model: type[BaseModel],
    base: Path,
    files: Sequence[str | Path] | None,
) -> list[Placed[TestCase]]:
    problems: list[Problem] = []
    if files is None:
        folder = base / CASES_FOLDER
        paths = []
        if os.path.isdir(folder):
            try:
                paths = yaml_files(folder, CASES_FOLDER, hidden=False)
            except KBError as error:
                problems += error.problems
    else:
        paths = [base / f if not Path(f).is_absolute() else Path(f) for f in files]
    cases: list[Placed[TestCase]] = []
    for path in paths:
        # The KB's own kb/tests stay inside it; files named on the command line may not.
        mine = files is None and not content.links_outside
        outside = outside_problem(path, base, _named(path, base)) if mine else None
        if outside is not None:
            problems.append(outside)
            continue
        try:
            located = read_yaml(path, _relative(path, base))
        except KBError as error:
            problems += error.problems
            continue
        if located.data is None:
            problems.append(
                Problem(
                    located.file,
                    1,
                    1,
                    "empty-file",
                    "file is empty",
                    "write its `cases:` (see docs/editors.md, Writing test cases), or delete it",
                )
            )
            continue
        cases_file, found = validate_located(CasesFile, located)
        problems += found
        if cases_file is None:
            continue
        for i, case in enumerate(cases_file.cases):
            placed = Placed(case, located, ("cases", i))
            problems += _check_case(content, profile_model, placed)
            cases.append(placed)
    problems += _duplicate_names(cases)
    if problems:
        raise KBError(problems)
    return cases


def case_target(path: str | Path | None) -> tuple[Path | None, list[Path] | None]:
    """The KB root and case files a command-line path names.

    None: the bundled KB and all its cases. A folder: that KB and all its cases. A
    case file: only that file, in the KB found by walking up to a folder holding
    `kb/kb.yaml`. Raises `HealthKBError` when nothing usable is there.
    """
    if path is None:
        return None, None
    target = Path(path)
    if target.is_dir():
        return target, None
    kind = kind_of(target)
    if kind is None:
        raise HealthKBError(f"{path}: no such file or folder")
    if kind != "a regular file":
        raise HealthKBError(
            f"{path}: is {kind}, not a regular file (give a case file or a KB folder)"
        )
    for folder in target.resolve().parents:
        if (folder / "kb" / "kb.yaml").is_file():
            return folder, [target.resolve()]
    raise HealthKBError(f"{path}: not inside a KB (no kb/kb.yaml in any parent folder)")


def select(cases: Iterable[Placed[TestCase]], keyword: str | None) -> list[Placed[TestCase]]:
    """The cases whose name contains `keyword` (all of them when it is None or empty)."""
    return [c for c in cases if not keyword or keyword in c.item.name]


def _named(path: Path, base: Path) -> str:
    """How a problem names a file of the KB: its place in it, links not followed."""
    return path.relative_to(base).as_posix() if path.is_relative_to(base) else str(path)


def _relative(path: Path, base: Path) -> str:
    try:
        return path.resolve().relative_to(base.resolve()).as_posix()
    except ValueError:
        return str(path)


def _check_case(
    content: KBContent, profile_model: type[BaseModel], placed: Placed[TestCase]
) -> list[Problem]:
    case = placed.item
    problems: list[Problem] = []
    try:
        prefix = (*placed.path, "profile")
        validate_profile(
            profile_model, content.vocabulary, case.profile, _sub(placed.located, prefix)
        )
    except ProfileError as error:
        problems += error.problems
    expect = case.expect
    for key, ids, known, what in (
        ("conclusions", expect.conclusions, content.conclusions, "conclusion"),
        ("no_conclusions", expect.no_conclusions, content.conclusions, "conclusion"),
        ("fired_rules", expect.fired_rules or [], content.rules, "rule"),
    ):
        for i, item in enumerate(ids):
            if item not in known:
                problems.append(
                    placed.problem(
                        f"unknown-{what}",
                        f"{what} `{item}` is not declared in this KB",
                        did_you_mean(item, known),
                        "expect",
                        key,
                        i,
                    )
                )
    for i, fact in enumerate(expect.derived):
        if fact.fact not in content.vocabulary.derived:
            problems.append(
                placed.problem(
                    "unknown-derived-fact",
                    f"derived fact `{fact.fact}` is not declared in kb/facts.yaml",
                    did_you_mean(fact.fact, content.vocabulary.derived),
                    "expect",
                    "derived",
                    i,
                    "fact",
                )
            )
    problems += _said_languages(content, placed)
    both = sorted(set(expect.conclusions) & set(expect.no_conclusions))
    if both:
        problems.append(
            placed.problem(
                "contradictory-expectation",
                f"`{both[0]}` is expected both to appear and not to appear",
                "remove it from one of `conclusions` and `no_conclusions`",
                "expect",
            )
        )
    return problems


def _said_languages(content: KBContent, placed: Placed[TestCase]) -> list[Problem]:
    """`says` names languages the KB speaks and conclusions it has."""
    problems = []
    for language, wordings in placed.item.expect.says.items():
        if language not in content.languages:
            problems.append(
                placed.problem(
                    "unknown-language",
                    f"this KB does not speak `{language}`",
                    did_you_mean(language, content.languages),
                    "expect",
                    "says",
                    language,
                )
            )
        problems += [
            placed.problem(
                "unknown-conclusion",
                f"conclusion `{item}` is not declared in this KB",
                did_you_mean(item, content.conclusions),
                "expect",
                "says",
                language,
                item,
            )
            for item in wordings
            if item not in content.conclusions
        ]
    return problems


def _sub(located: Located, prefix: PathKey) -> Located:
    """The part of a located file below `prefix`, with places relative to it."""
    n = len(prefix)
    places = {key[n:]: place for key, place in located.places.items() if key[:n] == prefix}
    data: Any = located.data
    for step in prefix:
        data = data[step]
    return Located(located.file, data, places)


def _duplicate_names(cases: list[Placed[TestCase]]) -> list[Problem]:
    first: dict[str, Placed[TestCase]] = {}
    problems = []
    for placed in cases:
        earlier = first.setdefault(placed.item.name, placed)
        if earlier is not placed:
            line, column = earlier.located.place((*earlier.path, "name"))
            problems.append(
                placed.problem(
                    "duplicate-case-name",
                    f"test case `{placed.item.name}` is already defined at "
                    f"{earlier.file}:{line}:{column}",
                    "give this case a new name",
                    "name",
                )
            )
    return problems


def run_case(kb: KnowledgeBase, placed: Placed[TestCase], lang: str | None = None) -> CaseOutcome:
    """Evaluate one case's profile (its answer in `lang`, None: the default language)
    and list every expectation it does not meet."""
    case = placed.item
    result = kb.evaluate(case.profile, lang=lang)
    found = tuple(mismatches(case.expect, result) + _unsaid(kb, case))
    line, _ = placed.located.place(placed.path)
    return CaseOutcome(case, placed.file, result, tuple(m.message for m in found), found, line)


def unmet(expect: Expectation, result: Result) -> list[str]:
    """Each expectation the result does not meet, in words."""
    return [m.message for m in mismatches(expect, result)]


def mismatches(expect: Expectation, result: Result) -> list[Mismatch]:
    """Each expectation the result does not meet, as data (see `Mismatch`)."""
    got = set(result.conclusion_ids)
    found = [
        Mismatch("missing-conclusion", c, f"expected conclusion `{c}`, not reached")
        for c in expect.conclusions
        if c not in got
    ]
    found += [
        Mismatch("unexpected-conclusion", c, f"conclusion `{c}` must not appear, but was reached")
        for c in expect.no_conclusions
        if c in got
    ]
    if expect.only_these_conclusions:
        extra = sorted(got - set(expect.conclusions) - set(expect.no_conclusions))
        found += [
            Mismatch("unexpected-conclusion", c, f"unexpected conclusion `{c}`") for c in extra
        ]
    for fact in expect.derived:
        if not any(_matches(fact, d) for d in result.derived):
            values = json.dumps(fact.values, sort_keys=True, ensure_ascii=False)
            found.append(
                Mismatch(
                    "missing-derived",
                    fact.fact,
                    f"expected derived fact `{fact.fact}` {values}, not derived",
                    dict(fact.values),
                )
            )
    if expect.fired_rules is not None:
        fired = {f.rule_id for f in result.fired}
        wanted = set(expect.fired_rules)
        found += [
            Mismatch("missing-rule", r, f"expected rule `{r}` to fire, it did not")
            for r in sorted(wanted - fired)
        ]
        found += [
            Mismatch("unexpected-rule", r, f"rule `{r}` fired, not expected")
            for r in sorted(fired - wanted)
        ]
    return found


def _unsaid(kb: KnowledgeBase, case: TestCase) -> list[Mismatch]:
    """Each statement that does not hold the words `says` expects in its language."""
    found = []
    for language, wordings in sorted(case.expect.says.items()):
        answer = kb.evaluate(case.profile, lang=language)
        for conclusion_id, words in sorted(wordings.items()):
            reached = answer.conclusion(conclusion_id)
            if reached is None or words not in reached.statement:
                said = "not reached" if reached is None else f"it says “{reached.statement}”"
                message = (
                    f"expected the {language} statement of `{conclusion_id}` to say "
                    f"“{words}”; {said}"
                )
                found.append(Mismatch("unsaid-wording", conclusion_id, message))
    return found


def _matches(expected: ExpectedFact, derived: DerivedFact) -> bool:
    return derived.fact == expected.fact and all(
        derived.values.get(k) == v for k, v in expected.values.items()
    )


def run_cases(
    kb: KnowledgeBase, cases: Iterable[Placed[TestCase]], lang: str | None = None
) -> list[CaseOutcome]:
    """Run every case, in the given order (answers in `lang`, None: the default)."""
    return [run_case(kb, placed, lang) for placed in cases]
