"""How much of a KB each of its languages gives: translation coverage and the warnings
for wordings left untranslated (`healthkb coverage --lang`, `healthkb validate`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..content.languages.translation_checks import wording_keys
from ..content.languages.translation_model import TRANSLATIONS_FOLDER
from ..content.loading.kb_content import KBContent
from ..errors import KBError, Problem
from ..files.yaml_reader import read_yaml


@dataclass(frozen=True)
class TranslationCoverage:
    """The wordings of a KB one language gives, and those it lacks."""

    language: str
    total: int
    missing: tuple[str, ...]

    @property
    def translated(self) -> int:
        return self.total - len(self.missing)

    @property
    def percent(self) -> float:
        return round(100 * self.translated / self.total, 1) if self.total else 100.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "language": self.language,
            "total": self.total,
            "translated": self.translated,
            "percent": self.percent,
            "missing": list(self.missing),
        }


def _keys(content: KBContent) -> list[str]:
    return wording_keys(
        content.manifest,
        content.conclusions.values(),
        content.rules.values(),
        content.vocabulary,
        content.silences.values(),
    )


def translation_coverage(content: KBContent, language: str) -> TranslationCoverage:
    """What `language` (one of `content.languages`) gives of the KB's wordings: all of
    them for the default language, the ones its translation holds for another."""
    keys = _keys(content)
    if language == content.default_language:
        return TranslationCoverage(language, len(keys), ())
    translation = content.translations.get(language)
    given = translation.wordings() if translation is not None else {}
    return TranslationCoverage(language, len(keys), tuple(k for k in keys if k not in given))


def missing_translation_warnings(content: KBContent) -> list[Problem]:
    """One warning per wording a translation lacks, at the part of its file it belongs in
    (answers in that language show the default language's wording there), after those
    for wordings of items the KB does not have."""
    warnings: list[Problem] = list(content.translation_warnings)
    for language in sorted(content.translations):
        missing = translation_coverage(content, language).missing
        if not missing:
            continue
        name = f"{TRANSLATIONS_FOLDER}/{language}.yaml"
        try:
            located = read_yaml(content.root / name, name)
        except KBError:
            continue
        for key in missing:
            section = key.split(".")[0]
            warnings.append(
                located.problem(
                    tuple(key.split(".")),
                    "missing-translation",
                    f"`{key}` has no {language} translation",
                    f"add it under `{section}:`; until then {language} answers show the "
                    f"{content.default_language} wording",
                )
            )
    return warnings
