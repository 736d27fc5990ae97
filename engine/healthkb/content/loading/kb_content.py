"""What loading a KB gives: `KBContent` (validated, frozen, with a digest) and, for
editors' tools that report alongside, `CheckedContent` (every problem, and the content
when its files could be read)."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from ...errors import Problem
from ..checks.cross_file import CitationIndex
from ..fhir_mapping import FhirMapping
from ..languages.translation_model import TranslationFile
from ..logic import Conjunction
from ..model import Conclusion, Manifest, Source, Vocabulary
from ..provenance import weakest
from ..rule_model import Rule
from ..silence_model import Silence
from ..versioning import items as versioned
from ..versioning.bump import Changes, next_version
from ..versioning.lock import LockFile
from .content_digest import ContentDigest


def _step(
    sources: set[str], evidence: str | None, known: dict[str, Source]
) -> tuple[frozenset[str], str]:
    level = evidence if evidence is not None else weakest([known[s].evidence for s in sources])
    return frozenset(sources), level


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
    citations: CitationIndex
    dnf: dict[str, list[Conjunction]]
    strata: dict[str, int]
    content_digest: ContentDigest
    """The digest of the content as loaded (its wording in translations included), kept
    by every copy worded in another language; read it as `digest`."""
    lock: LockFile | None = None
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
    links_outside: bool = False
    """Loaded with links out of `root` allowed (its test cases are read the same way)."""
    translations: dict[str, TranslationFile] = field(default_factory=dict)
    """Each translation by its language tag as declared in `kb.yaml` (`kb/translations/`)."""
    language: str | None = None
    """The language this content's wording is in, when it is not the default language
    (see `content/languages/translated.py`); None for the KB as its files say it."""
    translation_warnings: tuple[Problem, ...] = ()
    """Translated wordings of items the KB does not have (`unknown-translated-item`)."""

    @property
    def digest(self) -> str:
        """sha256 of the KB's meaning: the canonical JSON of every model, independent of
        the files' layout (worked out on first use: see `content_digest.py`)."""
        return self.content_digest.value

    @property
    def default_language(self) -> str:
        """The language the KB's own files are written in (`en` unless declared)."""
        languages = self.manifest.languages
        return languages.default if languages is not None else "en"

    @property
    def languages(self) -> list[str]:
        """Every language answers can be given in, the default first."""
        declared = self.manifest.languages
        if declared is None:
            return [self.default_language]
        others = [tag for tag in declared.available if tag != declared.default]
        return [declared.default, *others]

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

    @cached_property
    def rule_steps(self) -> dict[str, tuple[frozenset[str], str]]:
        """Each rule's cited sources and the evidence level of a step by it: the rule's
        own `evidence:`, or else its weakest source's. Worked out once: every answer's
        evidence walks the rules of its proofs (results/evidence.py)."""
        return {
            rule.id: _step({c.source for c in rule.because}, rule.evidence, self.sources)
            for rule in self.rules.values()
        }

    @cached_property
    def background_steps(self) -> dict[str, tuple[frozenset[str], str]]:
        """The same for each background fact: its cited sources and their weakest level."""
        return {
            name: _step({c.source for c in fact.because}, None, self.sources)
            for name, fact in self.vocabulary.background.items()
        }

    def versioned_items(self) -> list[versioned.Versioned]:
        """Every versioned item of the KB (see `versioned.py`)."""
        return versioned.items_of(
            self.sources, self.conclusions, self.vocabulary, self.rules, self.translations
        )


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
    departures: list[Problem] = field(default_factory=list)
    """Numbers that depart from their quotes undeclared: `validate` and `release`
    refuse them, but `load()` tolerates them, as it does pending bumps, so that a
    working copy can be tried while its numbers are settled."""
    analysable: bool = False
    """Whether the rules, silences and vocabulary are sound enough for `healthkb analyze`
    (every rule read and naming only what is declared, no negation cycle)."""
