"""The first step of loading: every file of a KB read into located models."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ...errors import Problem
from ...files.folders import unsearchable
from ...files.yaml_reader import Located
from ..diagnostics.salvaged_rules import Salvaged
from ..diagnostics.unloaded_items import Unloaded
from ..fhir_mapping import FHIR_FILE, FhirMapping
from ..languages.translation_model import TRANSLATIONS_FOLDER, TranslationFile
from ..located_items import Placed
from ..model import Conclusion, ConclusionsFile, Manifest, Source, Vocabulary
from ..rule_model import Rule, RulesFile
from ..silence_model import Silence, SilencesFile
from ..versioning.lock import LOCK_FILE, LockFile
from .file_reader import FileReader, lexists

SILENCES_FILE = "kb/silences.yaml"


@dataclass
class ReadFiles:
    """What could be read of each file (None or empty where a file failed), and how."""

    manifest: tuple[Manifest, Located] | None
    vocabulary: Placed[Vocabulary] | None
    conclusions_file: tuple[ConclusionsFile, Located] | None
    conclusions: list[Placed[Conclusion]]
    lock: tuple[LockFile, Located] | None
    silences: list[Placed[Silence]]
    silences_failed: bool
    fhir: tuple[FhirMapping, Located] | None
    sources: list[Placed[Source]]
    rules: list[Placed[Rule]]
    rules_unread: bool
    """Rules missing (no folder, too many files, a file that did not load): checks of
    what names them would report them unknown, wrongly."""
    salvaged: Salvaged
    broken_sources: Unloaded
    broken_conclusions: Unloaded
    problems: list[Problem] = field(default_factory=list)
    links_outside: bool = False  # files that links lead to outside the KB were read
    translations: list[Placed[TranslationFile]] = field(default_factory=list)
    """`kb/translations/*.yaml` that could be read, each with its file's stem."""
    translation_stems: dict[str, str] = field(default_factory=dict)
    translations_failed: set[str] = field(default_factory=set)
    """The file stems (`zh-Hans`) of translations that did not load (their problems are
    reported; they are not also "missing")."""


def refusal(base: Path) -> Problem | None:
    """Why `base` cannot be read as a KB at all (None when it can)."""
    for folder in (base, base / "kb"):
        refused = unsearchable(folder, "kb" if folder != base else str(base))
        if refused is not None:
            return refused
    # Anything at kb/kb.yaml makes this a KB: a folder or a pipe there is reported
    # as what it is (`not-a-file`), not as a missing manifest.
    if not lexists(base / "kb" / "kb.yaml"):
        return Problem(
            str(base),
            0,
            0,
            "not-a-kb",
            "no kb/kb.yaml here",
            "give the folder that holds `kb/` and `rules/`",
        )
    return None


def read_files(base: Path, *, links_outside: bool = False) -> ReadFiles:
    """Read every file of the KB at `base`, each against its model (a file or folder
    that a link leads out of `base` is refused unless `links_outside`)."""
    reader = FileReader(base, links_outside=links_outside)
    manifest = reader.read(base / "kb" / "kb.yaml", Manifest)
    vocabulary = reader.read(base / "kb" / "facts.yaml", Vocabulary)
    conclusions_path = base / "kb" / "conclusions.yaml"
    conclusions_file = reader.read(conclusions_path, ConclusionsFile)
    lock_path = base / LOCK_FILE
    # A lock file that is there but cannot be read must not pass for a KB never locked:
    # that would skip the version checks against it.
    lock = reader.read(lock_path, LockFile) if lexists(lock_path) else None
    silences_path = base / SILENCES_FILE
    silences_file = reader.read(silences_path, SilencesFile) if lexists(silences_path) else None
    fhir_path = base / FHIR_FILE
    fhir = reader.read(fhir_path, FhirMapping) if lexists(fhir_path) else None
    source_paths = reader.folder("kb/sources", required=True)
    sources = [
        Placed(source[0], source[1], ())
        for path in source_paths
        if (source := reader.read(path, Source)) is not None
    ]
    rules, rules_unread, salvaged = _read_rules(reader)
    translations: list[Placed[TranslationFile]] = []
    stems: dict[str, str] = {}
    failed_stems: set[str] = set()
    for path in reader.folder(TRANSLATIONS_FOLDER, required=False):
        stem = path.name.removesuffix(".yaml").removesuffix(".yml")
        if (translation := reader.read(path, TranslationFile)) is not None:
            translations.append(Placed(translation[0], translation[1], ()))
            stems[translation[1].file] = stem
        else:
            failed_stems.add(stem)
    _no_sources(reader, source_paths)
    # A file that failed to load has its problems reported; what cites or names the
    # items in it is not reported again, one problem per citation or reference.
    sources_unlisted = "kb/sources" in reader.unlisted
    broken_sources = Unloaded.of(
        [reader.failed[p] for p in source_paths if p in reader.failed]
        + ([None] if sources_unlisted else []),  # any source may be in the unlisted folder
        lambda data: [data],
    )
    broken_conclusions = Unloaded.of(
        [reader.failed[conclusions_path]] if conclusions_path in reader.failed else [],
        lambda data: data.get("conclusions") if isinstance(data, dict) else None,
    )
    return ReadFiles(
        manifest=manifest,
        vocabulary=Placed(vocabulary[0], vocabulary[1], ()) if vocabulary else None,
        conclusions_file=conclusions_file,
        conclusions=[
            Placed(c, conclusions_file[1], ("conclusions", i))
            for i, c in enumerate(conclusions_file[0].conclusions)
        ]
        if conclusions_file
        else [],
        lock=lock,
        silences=[
            Placed(s, silences_file[1], ("silences", i))
            for i, s in enumerate(silences_file[0].silences)
        ]
        if silences_file
        else [],
        silences_failed=silences_path in reader.failed,
        fhir=fhir,
        sources=sources,
        rules=rules,
        rules_unread=rules_unread,
        salvaged=salvaged,
        broken_sources=broken_sources,
        broken_conclusions=broken_conclusions,
        problems=reader.problems,
        links_outside=links_outside,
        translations=translations,
        translation_stems=stems,
        translations_failed=failed_stems,
    )


def _read_rules(reader: FileReader) -> tuple[list[Placed[Rule]], bool, Salvaged]:
    known = len(reader.problems)
    rule_paths = reader.folder("rules", required=True)
    no_rule_folder = len(reader.problems) > known
    rules = [
        Placed(rule, rules_file[1], ("rules", i))
        for path in rule_paths
        if (rules_file := reader.read(path, RulesFile)) is not None
        for i, rule in enumerate(rules_file[0].rules)
    ]
    rules_unread = no_rule_folder or any(p in reader.failed for p in rule_paths)
    # But what does validate of a broken rules file is checked all the same.
    salvaged = Salvaged()
    for path in rule_paths:
        if path in reader.failed_located:
            salvaged.add(reader.failed_located[path])
    return rules + salvaged.rules, rules_unread, salvaged


def _no_sources(reader: FileReader, source_paths: list[Path]) -> None:
    if source_paths or "kb/sources" in reader.unlisted:
        return
    if any(p.code == "missing-folder" for p in reader.problems):
        return
    reader.problems.append(
        Problem(
            "kb/sources",
            0,
            0,
            "no-sources",
            "no source files found",
            "add the article the KB encodes as `kb/sources/<id>.yaml`",
        )
    )
