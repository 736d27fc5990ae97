"""The second step of loading: checks across files, on what could be read.

Every check runs on what could be read, so that all problems come out at once; what
depends on every rule being read (the normal forms' strata) waits for that.

Its fast paths, and why they give the same answer: docs/performance.md, "Checks across files".
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from itertools import chain

from ...errors import Problem
from ..checks import cross_file, declarations
from ..checks.certainty import check_certainty
from ..checks.certainty_paths import Derivations, check_certainty_along_proof
from ..checks.cross_file import CitationIndex, CitedOnce
from ..checks.numbers import check_numbers
from ..checks.personal_data_policy import check_personal_data
from ..checks.rule_conditions import RuleConditions, normalise
from ..checks.rule_references import RuleReferences
from ..checks.stratification import Movable, stratify_rules
from ..checks.vocabulary_places import VocabularyPlaces
from ..fhir_mapping import check_fhir_mapping
from ..languages.originals import check_original, original_texts
from ..languages.translation_checks import check_languages, check_translation
from ..located_items import Placed
from ..logic import Conjunction
from ..number_words import NumberReader
from ..rule_model import Rule
from ..sources import SourceText
from ..versioning import items as versioned
from ..versioning.lock import check_versions
from ..versioning.lock_seal import check_seal
from .reading import ReadFiles


@dataclass
class Checked:
    """Every problem found, and what the checks worked out on the way."""

    citations: CitationIndex
    problems: list[Problem] = field(default_factory=list)
    pending: list[Problem] = field(default_factory=list)
    departures: list[Problem] = field(default_factory=list)
    dnf: dict[str, list[Conjunction]] = field(default_factory=dict)
    silence_dnf: dict[str, list[Conjunction]] = field(default_factory=dict)
    strata: dict[str, int] = field(default_factory=dict)
    analysable: bool = False
    translation_warnings: list[Problem] = field(default_factory=list)
    versioned_items: list[versioned.Versioned] = field(default_factory=list)
    """Every versioned item read, in the order read (an id read twice is there twice):
    made once, for the version checks and for the changes since the lock."""


def check_files(read: ReadFiles) -> Checked:
    """Check what was read across files: ids, versions, citations, rules, strata."""
    index = CitationIndex(
        {s.item.id: SourceText(s.item.text) for s in read.sources},
        originals=original_texts(read.sources),
    )
    checked = Checked(index, problems=list(read.problems))
    for source in read.sources:
        checked.problems += check_original(source, index.originals)
    conclusion_ids = {c.item.id for c in read.conclusions}
    salvaged = read.salvaged
    # The names the rules and silences use, gathered only for a name not declared.
    declared = VocabularyPlaces.of(
        read.vocabulary,
        chain(read.silences, read.rules),
        (c.item for c in salvaged.comparisons),
        (o.item for o in salvaged.outcomes),
    )
    rules = _check_each_rule(read, conclusion_ids, declared, index)
    checked.problems += _identity_and_citations(read, checked, rules)
    translation_problems = _translations(read, rules.by_id)
    # A translation wording what the KB no longer has (or a misspelt id) changes no
    # answer: a warning, so that removing a rule is not held up by its translation.
    checked.translation_warnings = [
        p for p in translation_problems if p.code == "unknown-translated-item"
    ]
    checked.problems += [p for p in translation_problems if p.code != "unknown-translated-item"]
    twins = len(rules.by_id) < len(read.rules)  # an id used twice
    rule_problems = cross_file.duplicate_ids(read.rules, "rule") if twins else []
    if read.vocabulary is not None:
        rule_problems += _rule_logic(read, checked, rules, conclusion_ids, declared)
        # Which rules can fire, and in which stratum, depends only on the rules and the
        # vocabulary: it is meaningful once every rule was read and names only what is
        # declared. Other problems (a quote, a version, a source file) do not change it,
        # so they are reported together with it, all at once.
        if not rule_problems and not read.rules_unread:
            stratification = stratify_rules(
                rules.active, checked.dnf, read.vocabulary.item, movable=rules.movable
            )
            checked.strata = stratification.strata
            checked.problems += stratification.problems
            checked.analysable = not stratification.problems and not read.silences_failed
    checked.problems += rule_problems
    # One mistake, one problem: a number already wrong where it stands (above the
    # vocabulary's maximum, say) is not also reported as departing from its quote.
    taken = {(p.file, p.line, p.column) for p in checked.problems}
    checked.departures = [p for p in rules.departures if (p.file, p.line, p.column) not in taken]
    return checked


@dataclass
class _EachRule:
    """What the one pass over the rules found and gathered."""

    conditions: RuleConditions
    derivations: Derivations
    cited: CitedOnce
    """The rules' citations that `check_citations` needs."""
    movable: Movable = field(default_factory=Movable)
    """What the strata need of the active rules."""
    references: list[Problem] = field(default_factory=list)
    """The problems of the rules' references (none without a vocabulary)."""
    departures: list[Problem] = field(default_factory=list)
    """The numbers that depart from their quotes, not yet without those `taken`."""
    active: list[Placed[Rule]] = field(default_factory=list)
    by_id: dict[str, Rule] = field(default_factory=dict)
    """Each rule by its id (the last rule of an id)."""


def _check_each_rule(
    read: ReadFiles, conclusion_ids: set[str], declared: VocabularyPlaces, index: CitationIndex
) -> _EachRule:
    """One pass over the rules: each rule's `when` read, its references checked (when
    the vocabulary was read) and its numbers compared with its quotes; and what other
    checks need of every rule gathered (its derivations, whether it is active, its id).
    Each check used to go over all the rules in turn; on a 10,000-rule KB most of each
    pass was fetching the same objects again, which one pass fetches once."""
    vocabulary = read.vocabulary.item if read.vocabulary is not None else None
    conditions = RuleConditions(derived=set(vocabulary.derived) if vocabulary else set())
    references = (
        RuleReferences(vocabulary, conclusion_ids, read.broken_conclusions, declared)
        if vocabulary is not None
        else None
    )
    reader = NumberReader()
    found = _EachRule(conditions, Derivations([], vocabulary), CitedOnce(index))
    derivations, cited, movable = found.derivations, found.cited, found.movable
    active, by_id, tested = found.active, found.by_id, conditions.tested
    for rule in read.rules:
        item = rule.item
        walked = conditions.add(rule)
        if references is not None:
            found.references += references.check(rule, walked)
        found.departures += check_numbers(rule, reader, walked)
        derivations.add(item)
        rule_id = item.id
        if item.status == "active":
            active.append(rule)
            derive = item.then.derive
            movable.add(rule_id, derive.fact if derive else None, tested.get(rule_id))
        cited.add(rule)
        by_id[rule_id] = item
    return found


def _identity_and_citations(read: ReadFiles, checked: Checked, rules: _EachRule) -> list[Problem]:
    problems = cross_file.duplicate_ids(read.sources, "source")
    problems += cross_file.duplicate_ids(read.conclusions, "conclusion")
    problems += cross_file.duplicate_ids(read.silences, "silence")
    problems += declarations.check_excludes(read.conclusions)
    # An id used twice is one mistake (`duplicate-*-id`): neither copy is compared with
    # the lock, where either would look changed.
    twice = _ids_used_twice(read, len(rules.by_id) < len(read.rules))
    placed_items = versioned.placed_items(
        read.sources, read.conclusions, read.vocabulary, read.rules, read.translations
    )
    checked.versioned_items = [placed.item for placed in placed_items]
    version_problems, checked.pending = check_versions(
        [placed for placed in placed_items if (placed.item.kind, placed.item.id) not in twice]
        if twice
        else placed_items,
        Placed(read.lock[0], read.lock[1], ()) if read.lock else None,
    )
    problems += version_problems
    if read.lock:
        manifest_version = read.manifest[0].version if read.manifest else None
        problems += check_seal(Placed(read.lock[0], read.lock[1], ()), manifest_version)
    problems += cross_file.check_citations(
        cross_file.all_citations(
            read.sources,
            read.vocabulary,
            read.conclusions,
            read.rules,
            read.silences,
            rules_cited=rules.cited.cited,
        )
        + [(placed.item, placed, ()) for placed in read.salvaged.citations],
        checked.citations,
        read.broken_sources,
    )
    weakest: dict[str, tuple[str, str]] = {}  # each quote's weakest hedge, read once
    for conclusion in read.conclusions:
        problems += check_certainty(conclusion, weakest)
        problems += check_certainty_along_proof(conclusion, rules.derivations)
    return problems


def _translations(read: ReadFiles, rules: dict[str, Rule]) -> list[Problem]:
    """The translations are of declared languages and say what the KB says, as surely."""
    manifest = Placed(read.manifest[0], read.manifest[1], ()) if read.manifest else None
    problems = check_languages(
        manifest, read.translations, read.translation_stems, read.translations_failed
    )
    conclusions = {c.item.id: c.item for c in read.conclusions}
    silences = {s.item.id: s.item for s in read.silences}
    vocabulary = read.vocabulary.item if read.vocabulary else None
    for translation in read.translations:
        # What a broken file holds is reported where it fails, not as unknown here.
        if not read.rules_unread and read.conclusions_file and not read.silences_failed:
            problems += check_translation(translation, conclusions, rules, vocabulary, silences)
    return problems


def _ids_used_twice(read: ReadFiles, rule_twins: bool) -> set[tuple[str, str]]:
    """`rule_twins`: whether any rule's id is used twice (the one pass over the rules
    knows: without, the rules are not counted)."""
    twice: set[tuple[str, str]] = set()
    kinds = (("source", read.sources), ("conclusion", read.conclusions))
    for kind, items in (*kinds, ("rule", read.rules if rule_twins else [])):
        ids = [placed.item.id for placed in items]
        if len(set(ids)) == len(ids):  # the usual: none twice
            continue
        # Counted once (a count per id was quadratic: 6 s on a 10,000-rule KB).
        counts = Counter(ids)
        twice |= {(kind, i) for i, count in counts.items() if count > 1}
    return twice


def _rule_logic(
    read: ReadFiles,
    checked: Checked,
    rules: _EachRule,
    conclusion_ids: set[str],
    declared: VocabularyPlaces,
) -> list[Problem]:
    """What the rules and silences name, and their normal forms (problems of rules)."""
    assert read.vocabulary is not None
    vocabulary = read.vocabulary.item
    rule_problems = cross_file.check_vocabulary(read.vocabulary)
    rule_problems += declarations.check_single_valued(read.vocabulary)
    rule_problems += declarations.check_changeable(read.vocabulary)
    if read.fhir is not None:
        checked.problems += check_fhir_mapping(Placed(read.fhir[0], read.fhir[1], ()), vocabulary)
    if read.manifest is not None and read.manifest[0].personal_data is not None:
        policy = Placed(read.manifest[0].personal_data, read.manifest[1], ())
        checked.problems += check_personal_data(policy, vocabulary)
    rule_problems += rules.references
    rule_problems += read.salvaged.check(
        vocabulary, conclusion_ids, read.broken_conclusions, declared
    )
    for silence in read.silences:
        rule_problems += declarations.check_silence_references(
            silence, vocabulary, conclusion_ids, declared
        )
    checked.dnf = rules.conditions.dnf
    checked.silence_dnf, silence_dnf_problems = normalise(read.silences)
    return rule_problems + rules.conditions.too_complex + silence_dnf_problems
