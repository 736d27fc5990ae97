"""Translations are KB content: declared in kb.yaml, checked against the KB, hedged as
the statements they translate, versioned in the lock, and counted by `coverage --lang`."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import langcodes
import pytest

import healthkb
from conftest import ROOT, write_kb
from healthkb.content.languages.hedges import (
    CHINESE_CERTAINTY_WORDS,
    CHINESE_HEDGES,
    chinese_hedges_in,
)
from healthkb.content.languages.tags import REGISTERED_TAGS, is_valid_tag
from healthkb.content.loading.loader import check_content
from healthkb.editing.kb_validation import kb_warnings
from healthkb.runtime.shipment import unpacked
from support.translated_kb import edited_translation, translated_seed, untranslated_seed

HEALTHKB = str(Path(sys.executable).with_name("healthkb"))
MAY_DECREASE = "脂肪可能会逐渐减少，肌肉线条也可能变得更明显"


def problems_of(root: Path) -> list[str]:
    return [str(p) for p in check_content(root).problems]


def test_a_declared_translation_loads_with_the_kb(tmp_path: Path) -> None:
    kb = healthkb.load(translated_seed(tmp_path))
    assert kb.content.languages == ["en", "zh-Hans"]
    translated = kb.content.translations["zh-Hans"].conclusions["stop_and_rest"]
    assert translated.statement == "如果您感到身体有任何不适，请立即停止运动并休息。"


def test_a_kb_without_languages_keeps_its_digest(tmp_path: Path) -> None:
    # Languages are read into the digest only when declared: a KB that has none keeps
    # the digest (and so the answers) it had before translations existed; this is the
    # mini KB's digest as it was then.
    kb = healthkb.load(write_kb(tmp_path, {}))
    assert kb.content.languages == ["en"]
    assert kb.digest == "sha256:f09c8f7ba7f4620e131ad69e8b5e60a52a60b5368eec13c99ba4a16549fd9ee1"


def test_translating_the_kb_changes_its_digest(tmp_path: Path) -> None:
    translated = healthkb.load(translated_seed(tmp_path / "a")).content.digest
    changed = healthkb.load(
        edited_translation(tmp_path / "b", "选择合适的跑鞋", "挑选合适的跑鞋")
    ).content.digest
    untranslated = check_content(untranslated_seed(tmp_path / "c")).content
    assert untranslated is not None
    assert len({translated, changed, untranslated.digest}) == 3


def test_may_rendered_as_certainly_is_a_located_error(tmp_path: Path) -> None:
    root = edited_translation(tmp_path, MAY_DECREASE, "脂肪一定会逐渐减少，肌肉线条也会变得更明显")
    assert problems_of(root) == [
        "kb/translations/zh-Hans.yaml:14:5: translation-certainty: the zh-Hans statement of "
        "`thigh_buttock_fat_may_decrease` says “一定”, but the conclusion is only possible "
        "(“may”) (hedge it as the statement does, with a possible hedge (可能, 或许, 也许, "
        "未必); see the hedge tables in docs/editors.md)"
    ]


def test_may_rendered_as_will_is_a_located_error(tmp_path: Path) -> None:
    root = edited_translation(tmp_path, MAY_DECREASE, "脂肪会逐渐减少，肌肉线条也会变得更明显")
    (problem,) = check_content(root).problems
    assert (problem.line, problem.code) == (14, "translation-certainty")
    assert "reads as established, with no hedge, but the statement reads as possible" in str(
        problem
    )


def test_a_dropped_second_hedge_is_a_located_error(tmp_path: Path) -> None:
    root = edited_translation(tmp_path, "甚至可能增加", "甚至会增加")
    (problem,) = check_content(root).problems
    assert (problem.line, problem.code) == (16, "translation-certainty")
    assert "keeps 1 of the statement's 2 possible hedges (“may not”, “could even”)" in str(problem)


def test_a_hedge_added_to_a_plain_statement_is_a_located_error(tmp_path: Path) -> None:
    root = edited_translation(tmp_path, "选择合适的跑鞋，保护", "或许可以选择合适的跑鞋，保护")
    (problem,) = check_content(root).problems
    assert (problem.line, problem.code) == (20, "translation-certainty")
    assert "reads as possible (“或许”), but the statement reads as established" in str(problem)


def test_unknown_ids_and_values_are_located_warnings_with_a_suggestion(tmp_path: Path) -> None:
    root = edited_translation(tmp_path, "  fat_may_decrease:\n", "  fat_may_decreas:\n")
    text = (root / "kb/translations/zh-Hans.yaml").read_text(encoding="utf-8")
    (root / "kb/translations/zh-Hans.yaml").write_text(
        text.replace("{low: 低强度", "{lo: 低强度"), encoding="utf-8"
    )
    content = healthkb.load(root).content
    assert [str(w) for w in kb_warnings(content)][:2] == [
        "kb/translations/zh-Hans.yaml:30:3: unknown-translated-item: rule `fat_may_decreas` is "
        "not in the KB (did you mean `fat_may_decrease`?)",
        "kb/translations/zh-Hans.yaml:67:18: unknown-translated-item: `lo` is not a value of "
        "attribute `intensity` (did you mean `low`?)",
    ]


def test_a_malformed_entry_is_a_located_problem(tmp_path: Path) -> None:
    root = edited_translation(
        tmp_path, "    statement: 选择合适的跑鞋", "    statment: 选择合适的跑鞋"
    )
    (problem,) = check_content(root).problems
    assert (problem.file, problem.line, problem.code) == (
        "kb/translations/zh-Hans.yaml",
        20,
        "unknown-key",
    )


@pytest.mark.parametrize(
    ("languages", "code", "where"),
    [
        ("{default: en, available: [en, zh_Hans]}", "invalid-value", "kb/kb.yaml:11"),
        (
            "{default: en, available: [en, zh-Hans, fr]}",
            "missing-translation-file",
            "kb/kb.yaml:11",
        ),
        ("{default: en, available: [en]}", "undeclared-language", "kb/translations/zh-Hans.yaml:4"),
        ("{default: fr, available: [en, zh-Hans]}", "invalid-value", "kb/kb.yaml:11"),
    ],
)
def test_languages_are_declared_as_valid_tags(
    tmp_path: Path, languages: str, code: str, where: str
) -> None:
    root = translated_seed(tmp_path)
    manifest = root / "kb/kb.yaml"
    manifest.write_text(
        manifest.read_text(encoding="utf-8").replace(
            "{default: en, available: [en, zh-Hans]}", languages
        ),
        encoding="utf-8",
    )
    problems = check_content(root).problems
    assert [p.code for p in problems if p.code != "missing-translation-file" or code == p.code]
    assert code in {p.code for p in problems}
    assert any(str(p).startswith(where) for p in problems if p.code == code), problems


@pytest.mark.parametrize("tag", sorted(REGISTERED_TAGS))
def test_each_tag_known_valid_without_langcodes_is_valid_by_langcodes(tag: str) -> None:
    # is_valid_tag answers these without importing langcodes (its import is a tenth of
    # `healthkb evaluate`'s start-up); the registry agrees with the list.
    assert langcodes.tag_is_valid(tag) and "_" not in tag


@pytest.mark.parametrize("tag", ["en", "EN", "zh-hans", "zh-Hans", "zh_Hans", "jp", "fr-XX", ""])
def test_a_tag_is_valid_exactly_when_langcodes_says_so(tag: str) -> None:
    assert is_valid_tag(tag) == (langcodes.tag_is_valid(tag) and "_" not in tag)


def test_a_missing_wording_is_a_warning_at_its_place(tmp_path: Path) -> None:
    root = edited_translation(
        tmp_path, "  appropriate_running_shoes:\n    title: 选择合适的跑鞋\n", ""
    )
    content = healthkb.load(root).content
    warnings = [str(w) for w in kb_warnings(content) if w.code == "missing-translation"]
    assert warnings == [
        "kb/translations/zh-Hans.yaml:29:1: missing-translation: `rules.appropriate_running_shoes"
        ".title` has no zh-Hans translation (add it under `rules:`; until then zh-Hans answers "
        "show the en wording)"
    ]


def test_the_lock_records_translations_and_a_changed_one_needs_a_bump(tmp_path: Path) -> None:
    root = translated_seed(tmp_path)
    lock = (root / "kb/rules.lock.yaml").read_text(encoding="utf-8")
    assert "translations:\n- id: zh-Hans\n  version: 1\n" in lock
    assert check_content(root).problems == []
    path = root / "kb/translations/zh-Hans.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("选择合适的跑鞋", "挑选合适的跑鞋", 1),
        encoding="utf-8",
    )
    pending = [str(p) for p in check_content(root).pending]
    assert pending == [
        "kb/translations/zh-Hans.yaml:5:1: version-not-bumped: translation `zh-Hans` changed "
        "since release 0.1.2 (conclusions.wear_appropriate_running_shoes.statement) but its "
        "version is still 1 (raise `version` to 2: a translation's every wording is its content)"
    ]
    path.write_text(
        path.read_text(encoding="utf-8").replace("version: 1", "version: 2", 1), encoding="utf-8"
    )
    changes = healthkb.load(root).content.changes
    assert [(c.changelog_line(), c.bump) for c in changes.items] == [
        (
            "Changed translation `zh-Hans` (version 1 → 2) in "
            "conclusions.wear_appropriate_running_shoes.statement.",
            "patch",
        )
    ]


CHINESE_SENTENCES = [
    ("脂肪可能减少。", "可能", "possible"),
    ("脂肪有可能减少。", "有可能", "possible"),
    ("脂肪可能会减少。", "可能会", "possible"),
    ("脂肪可能不会减少。", "可能不会", "possible"),
    ("甚至可能增加。", "甚至可能", "possible"),
    ("脂肪或许会减少。", "或许", "possible"),
    ("脂肪也许会减少。", "也许", "possible"),
    ("说不定会减少。", "说不定", "possible"),
    ("脂肪有时会减少。", "有时", "possible"),
    ("有时候会减少。", "有时候", "possible"),
    ("深蹲有助于增肌。", "有助于", "possible"),
    ("步行可能有助于减脂。", "可能有助于", "possible"),
    ("脂肪未必会减少。", "未必", "possible"),
    ("脂肪不一定会减少。", "不一定", "possible"),
    ("多余的热量很可能储存为脂肪。", "很可能", "likely"),
    ("脂肪大概会减少。", "大概", "likely"),
    ("脂肪多半会减少。", "多半", "likely"),
    ("脂肪通常会减少。", "通常", "likely"),
    ("脂肪往往会减少。", "往往", "likely"),
    ("脂肪常常会减少。", "常常", "likely"),
    ("脂肪经常会减少。", "经常", "likely"),
    ("一般来说，脂肪会减少。", "一般来说", "likely"),
    ("一般而言，脂肪会减少。", "一般而言", "likely"),
    ("总体来说，脂肪会减少。", "总体来说", "likely"),
    ("脂肪倾向于减少。", "倾向于", "likely"),
    ("血压不太可能变化。", "不太可能", "likely"),
    ("血压不大可能变化。", "不大可能", "likely"),
    ("脂肪很少减少。", "很少", "likely"),
]


@pytest.mark.parametrize(
    ("sentence", "hedge", "level"), CHINESE_SENTENCES, ids=[s[1] for s in CHINESE_SENTENCES]
)
def test_each_chinese_hedge_is_read_as_one_hedge_with_its_certainty(
    sentence: str, hedge: str, level: str
) -> None:
    assert chinese_hedges_in(sentence) == [(hedge, level)]


def test_every_chinese_hedge_of_the_check_has_a_sentence_here() -> None:
    assert {h for _, h, _ in CHINESE_SENTENCES} == set(CHINESE_HEDGES)


@pytest.mark.parametrize("word", CHINESE_CERTAINTY_WORDS)
def test_words_of_certainty_are_found_as_such(word: str) -> None:
    assert chinese_hedges_in(f"脂肪{word}减少。") == [(word, "certain")]


@pytest.mark.parametrize("sentence", ["请尽可能多跑步。", "这种可能性很小。", "跑步会减少脂肪。"])
def test_words_that_only_hold_a_hedges_characters_are_not_hedges(sentence: str) -> None:
    assert chinese_hedges_in(sentence) == []


def test_the_chinese_table_in_the_editors_guide_is_the_one_the_check_uses() -> None:
    text = (ROOT / "docs/editors.md").read_text(encoding="utf-8")
    rows = dict(re.findall(r"^\| (possible|likely|certain)[^|]* \| ([^|]+) \|", text, re.M))
    documented = {w: level for level, words in rows.items() for w in words.strip().split(", ")}
    expected = {**CHINESE_HEDGES, **{w: "certain" for w in CHINESE_CERTAINTY_WORDS}}
    assert documented == expected


def test_coverage_counts_each_language_and_lists_what_is_missing(tmp_path: Path) -> None:
    root = edited_translation(
        tmp_path, "  appropriate_running_shoes:\n    title: 选择合适的跑鞋\n", ""
    )
    path = root / "kb/translations/zh-Hans.yaml"
    path.write_text(path.read_text("utf-8").replace("version: 1", "version: 2", 1), "utf-8")
    run = subprocess.run(
        [HEALTHKB, "coverage", str(root), "--lang", "zh", "--lang", "en"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines()[-3:] == [
        "translation zh-Hans: 77 of 78 wordings (98.7%)",
        "  missing rules.appropriate_running_shoes.title",
        "translation en: 78 of 78 wordings (100.0%)",
    ]
    refused = subprocess.run(
        [HEALTHKB, "coverage", str(root), "--lang", "fr"], capture_output=True, text=True
    )
    assert (refused.returncode, refused.stderr) == (
        2,
        "healthkb: --lang: this KB does not speak `fr`: it speaks en, zh-Hans\n",
    )


def test_a_kb_shipped_to_a_worker_keeps_its_translations() -> None:
    kb = healthkb.load()
    with unpacked(kb.shipment()) as root:
        assert healthkb.load(root).digest == kb.digest
