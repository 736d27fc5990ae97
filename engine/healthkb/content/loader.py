"""Reading a KB folder into validated content, atomically: all problems, or nothing.

`read_content(root)` reads every file, validates each against its model, runs the
cross-file checks and either returns a complete `KBContent` or raises one `KBError`
listing every problem found, sorted by place.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel

from ..errors import KBError, Problem
from . import checks, declarations, strata, versioned, versions
from .certainty import check_certainty
from .changes import Changes, changes_since, next_version
from .fhir import FHIR_FILE, FhirMapping, check_fhir_mapping
from .folders import unsearchable, yaml_files
from .gcpause import collection_paused
from .logic import Conjunction, TooComplex, to_dnf
from .model import Conclusion, ConclusionsFile, Manifest, Source, Vocabulary
from .placed import Placed
from .regularfile import kind_of
from .rule_model import Rule, RulesFile
from .salvage import Salvaged
from .silence_model import Silence, SilencesFile
from .sources import SourceText
from .unloaded import Unloaded
from .validation import validate_located
from .yamlio import Located, read_yaml

M = TypeVar("M", bound=BaseModel)

MAX_FILES = 2000
SILENCES_FILE = "kb/silences.yaml"


@dataclass(frozen=True)
class KBContent:
    """A validated knowledge base: every model, resolved quote and rule stratum."""

    root: Path
    manifest: Manifest
    sources: dict[str, Source]
    vocabulary: Vocabulary
    conclusions: dict[str, Conclusion]
    rules: dict[str, Rule]
    rule_files: dict[str, str]
    citations: checks.CitationIndex
    dnf: dict[str, list[Conjunction]]
    strata: dict[str, int]
    digest: str
    lock: versions.LockFile | None = None
    # Items changed under the same version (`version-not-bumped`): a working copy may be
    # tested and reviewed with them; `validate` and `release` refuse them.
    pending: tuple[Problem, ...] = ()
    changes: Changes = field(default_factory=lambda: Changes(()))
    silences: dict[str, Silence] = field(default_factory=dict)
    silence_dnf: dict[str, list[Conjunction]] = field(default_factory=dict)
    places: dict[tuple[str, str], str] = field(default_factory=dict)
    """`file:line:column` of each ("rule" | "conclusion" | "silence", id), and of the
    condition of each ("rule_when" | "silence_when", id)."""
    fhir: FhirMapping = field(default_factory=FhirMapping)
    """How FHIR Observations become profile attributes (`kb/fhir.yaml`; empty without it)."""

    def active_rules(self) -> list[Rule]:
        return [r for r in self.rules.values() if r.status == "active"]

    @property
    def unreleased(self) -> bool:
        """Whether this differs from the release its lock file records."""
        return self.lock is not None and bool(self.changes.items)

    @cached_property
    def version(self) -> str:
        """The version stamped on answers: the manifest's, or for a working copy with
        changes since its release, the version those changes lead to, as `+dev`
        (`0.3.0+dev`), so an answer from unreleased content never passes for a release.

        Cached: every evaluation stamps its result with it, and working it out looks at
        every versioned item (over a millisecond per call on a 10,000-rule KB)."""
        released = self.manifest.version
        if not self.unreleased:
            return released
        bump = self.changes.bump
        return released if bump is None else f"{next_version(released, bump)}+dev"

    def versioned_items(self) -> list[versioned.Versioned]:
        """Every versioned item of the KB (see `versioned.py`)."""
        return versioned.items_of(self.sources, self.conclusions, self.vocabulary, self.rules)


def bundled_root() -> Path:
    """The folder holding the bundled KB: inside the wheel, or the source checkout."""
    package = Path(__file__).resolve().parent.parent  # healthkb/, above content/
    installed = package / "_bundled"
    if (installed / "kb" / "kb.yaml").is_file():
        return installed
    return package.parent.parent


class _Reader:
    """Reads files of one KB, collecting problems instead of stopping at the first."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.problems: list[Problem] = []
        # Files that failed, with their raw data when the YAML itself could be read.
        self.failed: dict[Path, Any] = {}
        # The same files, as read, when their YAML could be read (to salvage from).
        self.failed_located: dict[Path, Located] = {}
        # Folders that exist but could not be listed: what is in them is unknown.
        self.unlisted: set[str] = set()

    def name(self, path: Path) -> str:
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            return str(path)

    def read(self, path: Path, model: type[M]) -> tuple[M, Located] | None:
        try:
            located = read_yaml(path, self.name(path))
        except KBError as error:
            self.problems += error.problems
            self.failed[path] = None
            return None
        if located.data is None:
            self.problems.append(
                Problem(
                    located.file,
                    1,
                    1,
                    "empty-file",
                    "file is empty",
                    "write its content (docs/editors.md shows each file), or delete it",
                )
            )
            self.failed[path] = None
            return None
        item, problems = validate_located(model, located)
        self.problems += problems
        if item is None:
            self.failed[path] = located.data
            self.failed_located[path] = located
            return None
        return item, located

    def folder(self, relative: str, required: bool) -> list[Path]:
        folder = self.root / relative
        if not folder.is_dir():
            if required:
                kind = kind_of(folder)
                message = (
                    f"`{relative}` is {kind}, not a folder"
                    if kind
                    else f"folder `{relative}` not found"
                )
                action = "move it away and create" if kind else "create"
                hint = f"a KB holds `kb/sources/` and `rules/`: {action} the folder `{relative}/`"
                self.problems.append(Problem(relative, 0, 0, "missing-folder", message, hint))
            return []
        try:
            files = yaml_files(folder, relative)
        except KBError as error:
            self.problems += error.problems
            self.unlisted.add(relative)
            return []
        if len(files) > MAX_FILES:
            self.problems.append(
                Problem(
                    relative,
                    0,
                    0,
                    "too-many-files",
                    f"more than {MAX_FILES} files",
                    "gather items into fewer files: a file may hold many rules",
                )
            )
            return []
        return files


@dataclass(frozen=True)
class CheckedContent:
    """Every problem of a KB, and its content when the files it is made of were read.

    `content` is there (even with problems) when the manifest, the fact vocabulary, the
    conclusions and every rule file were read, so that checks built on top of it (the
    test cases) can still run and report alongside; it must not be evaluated unless
    `problems` is empty.
    """

    content: KBContent | None
    problems: list[Problem]
    pending: list[Problem] = field(default_factory=list)
    analysable: bool = False
    """Whether the rules, silences and vocabulary are sound enough for `healthkb analyze`
    (every rule read and naming only what is declared, no negation cycle)."""


def read_content(root: str | Path | None = None) -> KBContent:
    """Load and check the KB under `root` (a folder holding `kb/` and `rules/`)."""
    checked = check_content(root)
    if checked.problems or checked.content is None:
        raise KBError(checked.problems)
    return checked.content


def check_content(root: str | Path | None = None) -> CheckedContent:
    """Check the KB under `root`: every problem at once, and what content could be read."""
    with collection_paused():
        return _check_content(root)


def _check_content(root: str | Path | None) -> CheckedContent:
    base = Path(root) if root is not None else bundled_root()
    for folder in (base, base / "kb"):
        refused = unsearchable(folder, "kb" if folder != base else str(base))
        if refused is not None:
            return CheckedContent(None, [refused])
    # Anything at kb/kb.yaml makes this a KB: a folder or a pipe there is reported
    # as what it is (`not-a-file`), not as a missing manifest.
    if not _lexists(base / "kb" / "kb.yaml"):
        return CheckedContent(
            None,
            [
                Problem(
                    str(base),
                    0,
                    0,
                    "not-a-kb",
                    "no kb/kb.yaml here",
                    "give the folder that holds `kb/` and `rules/`",
                )
            ],
        )
    reader = _Reader(base)
    manifest = reader.read(base / "kb" / "kb.yaml", Manifest)
    vocabulary = reader.read(base / "kb" / "facts.yaml", Vocabulary)
    conclusions_path = base / "kb" / "conclusions.yaml"
    conclusions_file = reader.read(conclusions_path, ConclusionsFile)
    lock_path = base / versions.LOCK_FILE
    # A lock file that is there but cannot be read must not pass for a KB never locked:
    # that would skip the version checks against it.
    lock = reader.read(lock_path, versions.LockFile) if _lexists(lock_path) else None
    silences_path = base / SILENCES_FILE
    silences_file = reader.read(silences_path, SilencesFile) if _lexists(silences_path) else None
    silences = (
        [
            Placed(s, silences_file[1], ("silences", i))
            for i, s in enumerate(silences_file[0].silences)
        ]
        if silences_file
        else []
    )
    fhir_path = base / FHIR_FILE
    fhir = reader.read(fhir_path, FhirMapping) if _lexists(fhir_path) else None
    source_paths = reader.folder("kb/sources", required=True)
    sources = [
        Placed(source[0], source[1], ())
        for path in source_paths
        if (source := reader.read(path, Source)) is not None
    ]
    known = len(reader.problems)
    rule_paths = reader.folder("rules", required=True)
    no_rule_folder = len(reader.problems) > known
    rules = [
        Placed(rule, rules_file[1], ("rules", i))
        for path in rule_paths
        if (rules_file := reader.read(path, RulesFile)) is not None
        for i, rule in enumerate(rules_file[0].rules)
    ]
    # Rules missing (no folder, too many files, a file that did not load) leave the
    # content incomplete: checks of what names them would report them unknown, wrongly.
    rules_unread = no_rule_folder or any(p in reader.failed for p in rule_paths)
    # But what does validate of a broken rules file is checked all the same.
    salvaged = Salvaged()
    for path in rule_paths:
        if path in reader.failed_located:
            salvaged.add(reader.failed_located[path])
    rules += salvaged.rules
    conclusions = (
        [
            Placed(c, conclusions_file[1], ("conclusions", i))
            for i, c in enumerate(conclusions_file[0].conclusions)
        ]
        if conclusions_file
        else []
    )
    placed_vocabulary = Placed(vocabulary[0], vocabulary[1], ()) if vocabulary else None
    problems = list(reader.problems)
    sources_unlisted = "kb/sources" in reader.unlisted
    if (
        not source_paths
        and not sources_unlisted
        and not any(p.code == "missing-folder" for p in problems)
    ):
        problems.append(
            Problem(
                "kb/sources",
                0,
                0,
                "no-sources",
                "no source files found",
                "add the article the KB encodes as `kb/sources/<id>.yaml`",
            )
        )
    # A file that failed to load has its problems reported; what cites or names the
    # items in it is not reported again, one problem per citation or reference.
    broken_sources = Unloaded.of(
        [reader.failed[p] for p in source_paths if p in reader.failed]
        + ([None] if sources_unlisted else []),  # any source may be in the unlisted folder
        lambda data: [data],
    )
    broken_conclusions = Unloaded.of(
        [reader.failed[conclusions_path]] if conclusions_path in reader.failed else [],
        lambda data: data.get("conclusions") if isinstance(data, dict) else None,
    )

    index = checks.CitationIndex({s.item.id: SourceText(s.item.text) for s in sources})
    problems += checks.duplicate_ids(sources, "source")
    problems += checks.duplicate_ids(conclusions, "conclusion")
    problems += checks.duplicate_ids(silences, "silence")
    problems += declarations.check_excludes(conclusions)
    rule_problems = checks.duplicate_ids(rules, "rule")
    version_problems, pending = versions.check_versions(
        versioned.placed_items(sources, conclusions, placed_vocabulary, rules),
        Placed(lock[0], lock[1], ()) if lock else None,
    )
    problems += version_problems
    problems += checks.check_citations(
        checks.all_citations(sources, placed_vocabulary, conclusions, rules, silences)
        + salvaged.citations,
        index,
        broken_sources,
    )
    for conclusion in conclusions:
        problems += check_certainty(conclusion)

    dnf: dict[str, list[Conjunction]] = {}
    silence_dnf: dict[str, list[Conjunction]] = {}
    analysis = strata.Analysis({}, [])
    analysable = False
    if placed_vocabulary is not None:
        rule_problems += checks.check_vocabulary(placed_vocabulary)
        rule_problems += declarations.check_single_valued(placed_vocabulary)
        rule_problems += declarations.check_changeable(placed_vocabulary)
        if fhir is not None:
            problems += check_fhir_mapping(Placed(fhir[0], fhir[1], ()), placed_vocabulary.item)
        conclusion_ids = {c.item.id for c in conclusions}
        for rule in rules:
            rule_problems += checks.check_rule_references(
                rule, placed_vocabulary.item, conclusion_ids, broken_conclusions
            )
        rule_problems += salvaged.check(placed_vocabulary.item, conclusion_ids, broken_conclusions)
        for silence in silences:
            rule_problems += declarations.check_silence_references(
                silence, placed_vocabulary.item, conclusion_ids
            )
        dnf, dnf_problems = _normalise(rules)
        silence_dnf, silence_dnf_problems = _normalise(silences)
        rule_problems += dnf_problems + silence_dnf_problems
        # Which rules can fire, and in which stratum, depends only on the rules and the
        # vocabulary: it is meaningful once every rule was read and names only what is
        # declared. Other problems (a quote, a version, a source file) do not change it,
        # so they are reported together with it, all at once.
        if not rule_problems and not rules_unread:
            active = [r for r in rules if r.item.status == "active"]
            analysis = strata.analyse(active, dnf, placed_vocabulary.item)
            problems += analysis.problems
            analysable = not analysis.problems and silences_path not in reader.failed
    problems += rule_problems

    if manifest is None or placed_vocabulary is None or conclusions_file is None or rules_unread:
        return CheckedContent(None, problems, pending)
    content = dict(
        manifest=manifest[0],
        sources={s.item.id: s.item for s in sources},
        vocabulary=placed_vocabulary.item,
        conclusions={c.item.id: c.item for c in conclusions},
        rules={r.item.id: r.item for r in rules},
        silences={s.item.id: s.item for s in silences},
        # Part of the digest: the mapping changes what the KB answers to FHIR data.
        fhir=fhir[0] if fhir is not None else FhirMapping(),
    )
    return CheckedContent(
        KBContent(
            root=base,
            rule_files={r.item.id: r.file for r in rules},
            citations=index,
            dnf=dnf,
            silence_dnf=silence_dnf,
            places=_places(rules, conclusions, silences),
            strata=analysis.strata,
            digest=_digest(content),
            lock=lock[0] if lock else None,
            pending=tuple(sorted(pending)),
            changes=changes_since(
                lock[0] if lock else None,
                versioned.items_of(
                    content["sources"],  # type: ignore[arg-type]
                    content["conclusions"],  # type: ignore[arg-type]
                    placed_vocabulary.item,
                    content["rules"],  # type: ignore[arg-type]
                ),
            ),
            **content,  # type: ignore[arg-type]
        ),
        problems,
        pending,
        analysable,
    )


def _places(
    rules: list[Placed[Rule]],
    conclusions: list[Placed[Conclusion]],
    silences: list[Placed[Silence]],
) -> dict[tuple[str, str], str]:
    places: dict[tuple[str, str], str] = {}
    for kind, items in (("rule", rules), ("conclusion", conclusions), ("silence", silences)):
        for placed in items:
            line, column = placed.located.place(placed.path)
            places.setdefault((kind, placed.item.id), f"{placed.file}:{line}:{column}")
            if kind != "conclusion":  # where its condition is, for "can never fire"
                line, column = placed.located.place((*placed.path, "when"))
                places.setdefault(
                    (f"{kind}_when", placed.item.id), f"{placed.file}:{line}:{column}"
                )
    return places


def _lexists(path: Path) -> bool:
    """Whether anything is at `path`, even a link to nothing (which then fails to read)."""
    return path.exists() or path.is_symlink()


def _normalise(
    rules: list[Placed[Rule]] | list[Placed[Silence]],
) -> tuple[dict[str, list[Conjunction]], list[Problem]]:
    dnf: dict[str, list[Conjunction]] = {}
    problems = []
    for rule in rules:
        try:
            dnf[rule.item.id] = to_dnf(rule.item.when)
        except TooComplex as error:
            problems.append(rule.problem("too-complex", str(error), "", "when"))
    return dnf, problems


def _digest(content: dict[str, Any]) -> str:
    """sha256 of the KB's meaning: canonical JSON of every model, independent of layout."""

    def plain(value: Any) -> Any:
        if isinstance(value, BaseModel):
            return value.model_dump(mode="json", by_alias=True)
        if isinstance(value, dict):
            return {k: plain(v) for k, v in sorted(value.items())}
        return value

    canonical = json.dumps(
        plain(content), sort_keys=True, ensure_ascii=False, separators=(",", ":")
    )
    return "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()
