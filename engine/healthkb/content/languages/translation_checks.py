"""Checks of the translations against the KB: declared, named, and hedged as the KB is.

A translation is read against the KB it translates: its language is one `kb.yaml`
declares (and names its file), every id it translates exists, and every translated
statement expresses the certainty its English statement does — a "may" dropped or
rendered 一定 or 会 is `translation-certainty`, located at the translated statement.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from ...errors import Problem, did_you_mean
from ..checks.certainty import hedges_in as english_hedges_in
from ..located_items import Placed
from ..model import CERTAINTY_RANK, Attribute, Conclusion, FactType, Manifest, Vocabulary
from ..rule_model import Rule
from ..silence_model import Silence
from .hedges import chinese_hedges_in, knows_hedges, primary_language
from .tags import same_tag
from .translation_model import FactTranslation, TranslationFile


def check_languages(
    manifest: Placed[Manifest] | None,
    translations: Sequence[Placed[TranslationFile]],
    stems: Mapping[str, str],
    failed: Iterable[str] = (),
) -> list[Problem]:
    """Each translation's language is declared, once, by its file's name; each declared
    language has its translation."""
    if manifest is None:  # its problems are reported; what it declares is not known
        return []
    declared = manifest.item.languages
    available = list(declared.available) if declared is not None else []
    default = declared.default if declared is not None else None
    problems: list[Problem] = []
    seen: set[str] = set()
    for placed in translations:
        tag = placed.item.language
        stem = stems.get(placed.file, tag)
        if tag not in available or tag == default:
            others = [t for t in available if t != default]
            hint = (
                "declare the KB's languages in kb.yaml: `languages: {default: en, available: "
                f"[en, {tag}]}}`"
                if declared is None
                else (
                    f"write it as kb.yaml does: `{next(t for t in others if same_tag(t, tag))}`"
                    if any(same_tag(t, tag) for t in others)
                    else f"add `{tag}` to `languages.available` in kb.yaml, or "
                    + did_you_mean(tag, others)
                )
            )
            problems.append(
                placed.problem(
                    "undeclared-language",
                    f"`{tag}` is not a translated language of this KB",
                    hint,
                    "language",
                )
            )
        elif tag in seen:
            problems.append(
                placed.problem(
                    "duplicate-translation",
                    f"`{tag}` is translated twice",
                    "keep one file per language",
                    "language",
                )
            )
        elif stem != tag:
            problems.append(
                placed.problem(
                    "translation-file-name",
                    f"the translation into `{tag}` is in `{stem}.yaml`",
                    f"name the file `kb/translations/{tag}.yaml`",
                    "language",
                )
            )
        seen.add(tag)
    seen |= set(failed)
    if declared is not None:
        for i, tag in enumerate(declared.available):
            if tag != default and tag not in seen:
                problems.append(
                    manifest.problem(
                        "missing-translation-file",
                        f"`{tag}` is declared but has no translation",
                        f"add `kb/translations/{tag}.yaml`, or remove `{tag}` from `available`",
                        "languages",
                        "available",
                        i,
                    )
                )
    return problems


def check_translation(
    placed: Placed[TranslationFile],
    conclusions: Mapping[str, Conclusion],
    rules: Mapping[str, Rule],
    vocabulary: Vocabulary | None,
    silences: Mapping[str, Silence],
) -> list[Problem]:
    """What a translation names exists, and its statements keep their certainty."""
    item = placed.item
    problems = _unknown(placed, "conclusions", item.conclusions, conclusions, "conclusion")
    problems += _unknown(placed, "rules", item.rules, rules, "rule")
    problems += _unknown(placed, "silences", item.silences, silences, "silence")
    if vocabulary is not None:
        facts = {**vocabulary.input, **vocabulary.derived, **vocabulary.background}
        problems += _unknown(placed, "facts", item.facts, facts, "fact")
        for name, fact in item.facts.items():
            if name in facts:
                problems += _fact(placed.child(fact, "facts", name), facts[name])  # type: ignore[arg-type]
    for conclusion_id, translated in item.conclusions.items():
        conclusion = conclusions.get(conclusion_id)
        if conclusion is None:
            continue
        here = placed.child(translated, "conclusions", conclusion_id)
        pairs = [("statement", conclusion.statement, translated.statement)]
        if translated.clinician_statement is not None:
            if conclusion.clinician_statement is None:
                problems.append(
                    here.problem(
                        "nothing-to-translate",
                        f"conclusion `{conclusion_id}` has no clinician statement",
                        "remove `clinician_statement`, or give the conclusion one first",
                        "clinician_statement",
                    )
                )
            else:
                pairs.append(
                    (
                        "clinician_statement",
                        conclusion.clinician_statement,
                        translated.clinician_statement,
                    )
                )
        for field, original, text in pairs:
            problems += _certainty(here, field, conclusion, original, text, item.language)
    return problems


def _certainty(
    here: Placed[object],
    field: str,
    conclusion: Conclusion,
    original: str,
    text: str,
    language: str,
) -> list[Problem]:
    """A translated statement says what its statement says with the same certainty."""
    if not knows_hedges(language):
        return []
    # An established statement says nothing is uncertain, even where its words look
    # like a hedge ("how often you run"): its translation must not hedge at all.
    said, level = (
        expressed_certainty(original, "en")
        if conclusion.certainty != "established"
        else ("", "established")
    )
    shown, found = expressed_certainty(text, language)
    strong = certainty_words(text, language) if conclusion.certainty != "established" else []
    name = "clinician statement" if field == "clinician_statement" else "statement"
    if strong:
        message = (
            f"the {language} {name} of `{conclusion.id}` says “{strong[0]}”, but the "
            f"conclusion is only {conclusion.certainty}" + (f" (“{said}”)" if said else "")
        )
    elif found != level:
        message = (
            f"the {language} {name} of `{conclusion.id}` reads as {found}"
            + (f" (“{shown}”)" if shown else ", with no hedge")
            + f", but the statement reads as {level}"
            + (f" (“{said}”)" if said else ", with no hedge")
        )
    elif level != "established" and (dropped := _dropped_hedge(original, text, language)):
        message = f"the {language} {name} of `{conclusion.id}` {dropped}"
    else:
        return []
    return [
        here.problem(
            "translation-certainty",
            message,
            _hedge_hint(level, language),
            field,
        )
    ]


def _dropped_hedge(original: str, text: str, language: str) -> str:
    """How the translation hedges fewer things than the statement ('' if it does not):
    "may not decrease and could even increase" needs two hedges of possibility."""
    for level in ("possible", "likely"):
        said = [word for word, found in hedges_in(original, "en") if found == level]
        kept = [word for word, found in hedges_in(text, language) if found == level]
        if len(kept) < len(said):
            return (
                f"keeps {len(kept)} of the statement's {len(said)} {level} hedges "
                f"({', '.join(f'“{w}”' for w in said)}): one was dropped"
            )
    return ""


def _hedge_hint(level: str, language: str) -> str:
    words = {
        "possible": "可能, 或许, 也许, 未必",
        "likely": "很可能, 通常, 一般来说, 不太可能",
    }
    if level == "established":
        return "translate it without a hedge, as the statement has none"
    shown = words[level] if language.startswith("zh") else "may, could, likely"
    return (
        f"hedge it as the statement does, with a {level} hedge ({shown}); see the hedge "
        "tables in docs/editors.md"
    )


def _unknown(
    placed: Placed[TranslationFile],
    section: str,
    translated: Mapping[str, object],
    known: Mapping[str, object],
    kind: str,
) -> list[Problem]:
    return [
        placed.problem(
            "unknown-translated-item",
            f"{kind} `{name}` is not in the KB",
            did_you_mean(name, known),
            section,
            name,
        )
        for name in translated
        if name not in known
    ]


def _fact(here: Placed[FactTranslation], fact: FactType) -> list[Problem]:
    problems = _unknown(
        here,  # type: ignore[arg-type]
        "attributes",
        here.item.attributes,
        fact.attributes,
        "attribute",
    )
    for name, translated in here.item.attributes.items():
        spec = fact.attributes.get(name)
        if spec is None:
            continue
        problems += _attribute(here, name, translated.question, translated.values, spec)
    return problems


def _attribute(
    here: Placed[FactTranslation],
    name: str,
    question: str | None,
    values: Mapping[str, str],
    spec: Attribute,
) -> list[Problem]:
    problems = []
    if question is not None and spec.question is None:
        problems.append(
            here.problem(
                "nothing-to-translate",
                f"attribute `{name}` asks no question",
                "remove `question`, or give the attribute one first",
                "attributes",
                name,
                "question",
            )
        )
    allowed = spec.values or []
    problems += [
        here.problem(
            "unknown-translated-item",
            f"`{value}` is not a value of attribute `{name}`",
            did_you_mean(value, allowed),
            "attributes",
            name,
            "values",
            value,
        )
        for value in values
        if value not in allowed
    ]
    return problems


def wording_keys(
    manifest: Manifest,
    conclusions: Iterable[Conclusion],
    rules: Iterable[Rule],
    vocabulary: Vocabulary,
    silences: Iterable[Silence],
) -> list[str]:
    """Every wording of a KB that a translation should give, by its dotted key
    (`conclusions.x.statement`), in the order of the KB."""
    keys = ["title"]
    keys += ["description"] if manifest.description else []
    keys += ["disclaimer"] if manifest.disclaimer else []
    for conclusion in conclusions:
        keys.append(f"conclusions.{conclusion.id}.statement")
        if conclusion.clinician_statement is not None:
            keys.append(f"conclusions.{conclusion.id}.clinician_statement")
    keys += [f"rules.{rule.id}.title" for rule in rules]
    for name, fact in {**vocabulary.input, **vocabulary.derived, **vocabulary.background}.items():
        keys.append(f"facts.{name}.description")
        for attribute, spec in fact.attributes.items():
            at = f"facts.{name}.attributes.{attribute}"
            keys.append(f"{at}.description")
            if spec.question is not None:
                keys.append(f"{at}.question")
            keys += [f"{at}.values.{value}" for value in spec.values or []]
    keys += [f"silences.{silence.id}.reason" for silence in silences]
    return keys


def hedges_in(text: str, language: str) -> list[tuple[str, str]]:
    """The hedges of `text` written in language `language` (empty for a language whose
    hedges are not known: see `knows_hedges`)."""
    primary = primary_language(language)
    if primary == "zh":
        return chinese_hedges_in(text)
    if primary == "en":
        return english_hedges_in(text)
    return []


def expressed_certainty(text: str, language: str) -> tuple[str, str]:
    """The certainty the wording of `text` expresses, and the hedge that decides it:
    its weakest hedge's, or `established` with no hedge."""
    weakest = ("", "established")
    for word, level in hedges_in(text, language):
        if level in CERTAINTY_RANK and CERTAINTY_RANK[level] < CERTAINTY_RANK[weakest[1]]:
            weakest = (word, level)
    return weakest


def certainty_words(text: str, language: str) -> list[str]:
    """The words of certainty in `text` ("certainly", 一定)."""
    return [word for word, level in hedges_in(text, language) if level == "certain"]
