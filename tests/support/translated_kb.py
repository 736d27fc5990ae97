"""A copy of the seed KB that speaks English and Simplified Chinese."""

from __future__ import annotations

import shutil
from pathlib import Path

from support.analysis_kbs import ROOT, seed_copy

TRANSLATION = ROOT / "kb" / "translations" / "zh-Hans.yaml"
LANGUAGES = "languages: {default: en, available: [en, zh-Hans]}\n"


def translated_seed(root: Path, translation: str | None = None) -> Path:
    """The seed KB (with its test cases) with `languages` declared and
    `kb/translations/zh-Hans.yaml` (the given text, or the full Simplified Chinese one)."""
    seed_copy(root)
    shutil.copytree(ROOT / "kb" / "tests", root / "kb" / "tests")
    manifest = root / "kb" / "kb.yaml"
    text = manifest.read_text(encoding="utf-8")
    if "languages:" not in text:
        manifest.write_text(text.replace("disclaimer:", LANGUAGES + "disclaimer:", 1), "utf-8")
    folder = root / "kb" / "translations"
    folder.mkdir(exist_ok=True)
    body = TRANSLATION.read_text(encoding="utf-8") if translation is None else translation
    (folder / "zh-Hans.yaml").write_text(body, encoding="utf-8")
    return root


def edited_translation(root: Path, old: str, new: str) -> Path:
    """The translated seed with one wording of its translation replaced."""
    text = TRANSLATION.read_text(encoding="utf-8")
    assert old in text, old
    return translated_seed(root, text.replace(old, new, 1))


def untranslated_seed(root: Path) -> Path:
    """The seed KB as it was before it was translated: no languages, no translations."""
    seed_copy(root)
    shutil.rmtree(root / "kb" / "translations")
    manifest = root / "kb" / "kb.yaml"
    lines = manifest.read_text(encoding="utf-8").splitlines(keepends=True)
    manifest.write_text("".join(line for line in lines if not line.startswith("languages:")))
    return root
