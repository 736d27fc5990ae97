"""The KB digest, the versioned items and the places are the values they were before
they were made faster (the digest worked out on first use, a rule's item fields when
read): releases, audit records and `healthkb diff` rest on them. The computation they had
is kept below, verbatim, and compared on every KB of the repository, the generated 1,000-
and 10,000-rule KBs, and KBs edited by hypothesis."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st
from tests.benchmarks import population
from tests.benchmarks.diamond_kb import write_diamond_kb
from tests.benchmarks.generated_kb import write_generated_kb

import healthkb
from conftest import write_kb
from healthkb.analysis.analyze import analyze
from healthkb.content.languages.translated import in_language
from healthkb.content.loading.checking import check_files
from healthkb.content.loading.kb_content import KBContent
from healthkb.content.loading.loader import check_content
from healthkb.content.loading.reading import ReadFiles, read_files
from healthkb.content.rule_model import Rule
from healthkb.content.versioning import bump
from healthkb.content.versioning import items as versioned
from healthkb.content.versioning.bump import Changes
from healthkb.content.versioning.items import ItemKind
from healthkb.content.versioning.lock import LockedItem, LockFile
from support.analysis_kbs import ROOT, seed_copy
from support.fuzzing import budget, kb_data, texts, writable_scalars
from support.old_canonical_json import canonical_json_before
from support.translated_kb import translated_seed, untranslated_seed

# -- the computation as it was -------------------------------------------------------------


def digest_before(content: KBContent) -> str:
    """`assembly._digest` of the same content, as `assemble` called it."""
    parts: dict[str, Any] = dict(
        manifest=content.manifest,
        sources=content.sources,
        vocabulary=content.vocabulary,
        conclusions=content.conclusions,
        rules=content.rules,
        silences=content.silences,
        fhir=content.fhir,
    )
    languages = content.manifest.languages
    if languages:
        parts |= {"languages": languages, "translations": content.translations}

    return "sha256:" + hashlib.sha256(canonical_json_before(parts)).hexdigest()


def digest_of_before(value: Any) -> str:
    canonical = json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def rule_fields_before(rule: Rule) -> dict[str, Any]:
    data: dict[str, Any] = rule.model_dump(
        mode="json", by_alias=True, exclude_defaults=True, include=set(versioned.RULE_FIELDS)
    )
    return {k: data[k] for k in versioned.RULE_FIELDS if k in data}


def changes_before(lock: LockFile | None, items: list[versioned.Versioned]) -> Changes:
    """`bump.changes_since` as it was (one sort of every (kind, id) by a key function)."""
    now = {(i.kind, i.id): i for i in items if lock is None or lock.covers(i.kind)}
    locked: dict[tuple[ItemKind, str], LockedItem] = {}
    if lock is not None:
        for kind in versioned.ITEM_KINDS:
            for entry in lock.entries(kind):
                locked[(kind, entry.id)] = entry
    found = []
    order = {kind: i for i, kind in enumerate(versioned.ITEM_KINDS)}
    for key in sorted(now.keys() | locked.keys(), key=lambda k: (order[k[0]], k[1])):
        change = bump._change(key[0], now.get(key), locked.get(key))
        if change is not None:
            found.append(change)
    return Changes(tuple(found))


def places_before(read: ReadFiles) -> dict[tuple[str, str], str]:
    """`assembly._places` as it was, and the sources' review places."""
    places: dict[tuple[str, str], str] = {}
    for kind, items in (
        ("rule", read.rules),
        ("conclusion", read.conclusions),
        ("silence", read.silences),
    ):
        for placed in items:
            line, column = placed.located.place(placed.path)
            places.setdefault((kind, placed.item.id), f"{placed.file}:{line}:{column}")
            if kind != "conclusion":
                line, column = placed.located.place((*placed.path, "when"))
                places.setdefault(
                    (f"{kind}_when", placed.item.id), f"{placed.file}:{line}:{column}"
                )
    for source in read.sources:
        field = ("review_by",) if source.item.review_by is not None else ()
        line, column = source.located.place((*source.path, *field))
        places[("source_review_by", source.item.id)] = f"{source.file}:{line}:{column}"
    return places


def items_before(items: list[versioned.Versioned], rules: list[Rule]) -> list[tuple[Any, ...]]:
    """`items` as the computation before made them: each rule's fields dumped by its own
    `model_dump`, every digest by `json.dumps`; the other kinds' items are unchanged."""
    made = iter(rules)
    return [
        exactly(versioned.Versioned("rule", i.id, i.version, rule_fields_before(next(made))))
        if i.kind == "rule"
        else exactly(versioned.Versioned(i.kind, i.id, i.version, i.fields))
        for i in items
    ]


def exactly(item: versioned.Versioned) -> tuple[Any, ...]:
    """Everything of an item, its fields' order and types included (`1 == 1.0 == True`),
    the digests worked out as before."""
    fields = json.dumps(item.fields, ensure_ascii=False)  # not sorted: the order counts
    field_digests = {k: digest_of_before(v)[7:23] for k, v in sorted(item.fields.items())}
    return (item.kind, item.id, item.version, fields, digest_of_before(item.fields), field_digests)


def exactly_now(item: versioned.Versioned) -> tuple[Any, ...]:
    fields = json.dumps(item.fields, ensure_ascii=False)
    return (item.kind, item.id, item.version, fields, item.digest, item.field_digests())


def assert_unchanged(root: Path) -> None:
    checked = check_content(root)
    content = checked.content
    assert content is not None, checked.problems
    assert content.digest == digest_before(content)
    now = content.versioned_items()
    assert [exactly_now(i) for i in now] == items_before(now, list(content.rules.values()))
    read = read_files(root)
    assert list(content.places.items()) == list(places_before(read).items())
    placed = [
        p.item
        for p in versioned.placed_items(
            read.sources, read.conclusions, read.vocabulary, read.rules, read.translations
        )
    ]
    rules = [r.item for r in read.rules]
    assert [exactly_now(i) for i in placed] == items_before(placed, rules)
    assert [exactly_now(i) for i in check_files(read).versioned_items] == items_before(
        placed, rules
    )
    assert content.changes == changes_before(content.lock, check_files(read).versioned_items)


# -- every KB of the repository, and generated ones ----------------------------------------


def test_the_bundled_kb_has_the_digest_and_items_it_had() -> None:
    assert_unchanged(ROOT)


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda root: write_kb(root, {}), id="mini"),
        pytest.param(seed_copy, id="seed"),
        pytest.param(translated_seed, id="translated"),
        pytest.param(untranslated_seed, id="untranslated"),
        pytest.param(lambda root: write_diamond_kb(root, 12), id="diamond"),
        pytest.param(lambda root: write_generated_kb(root, 1000), id="generated-1000"),
        pytest.param(
            lambda root: write_generated_kb(root, 10_000),
            id="generated-10000",
            marks=pytest.mark.slow,
        ),
    ],
)
def test_a_kb_has_the_digest_and_items_it_had(make: Any, tmp_path: Path) -> None:
    root = tmp_path / "kb"
    make(root)
    assert_unchanged(root)


def test_a_digest_read_after_a_translation_is_worded_is_the_kb_s(tmp_path: Path) -> None:
    """The digest is worked out on first use: a copy worded in another language, made
    first, still gives the KB's digest, not one of its translated wording."""
    content = check_content(translated_seed(tmp_path / "kb")).content
    assert content is not None
    worded = in_language(content, "zh-Hans")
    assert worded.digest == digest_before(content)
    assert content.digest == worded.digest


def test_the_digest_is_of_the_content_as_loaded_even_when_read_later() -> None:
    content = check_content(ROOT).content
    assert content is not None
    expected = digest_before(content)
    content.rules.pop(next(iter(content.rules)))  # a program changing what it was given
    assert content.digest == expected


def test_answering_explaining_and_analysing_leave_the_content_a_late_digest_is_of() -> None:
    # The lists inside the (frozen) models are not copied for the digest: healthkb must
    # not change them in place, whenever the digest is first read.
    kb = healthkb.load(ROOT)
    content = kb.content
    expected = digest_before(content)
    profiles = [json.loads(line)["profile"] for line in population.lines(60, 7)]
    for lang in [None, *kb.languages]:
        for profile in profiles:
            result = kb.evaluate(profile, lang=lang)
            result.model_dump_json()
            result.to_cds_cards()
            for conclusion in content.conclusions:
                result.why_not(conclusion)
            for reached in result.conclusions:
                result.explain(reached.id)
    analyze(content)
    # Worked out again from the content as it is now (a result reads the digest early).
    assert digest_before(content) == expected == kb.digest


# -- KBs edited by hypothesis ---------------------------------------------------------------

RULE_FILE = "rules/running_and_diet.yaml"


def _leaves(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if isinstance(value, dict):
        return [leaf for key, item in value.items() for leaf in _leaves(item, (*path, key))]
    if isinstance(value, list):
        return [leaf for i, item in enumerate(value) for leaf in _leaves(item, (*path, i))]
    return [path]


NUMBERS = st.floats(allow_nan=False, allow_infinity=False) | st.sampled_from(
    [0.0, -0.0, 1e-5, 1e-4, 1e16, 9999999999999998.0, 2**53 + 1, 2**63, -(2**64), 0.1, 1.5]
)


@st.composite
def edited_rules(draw: st.DrawFn) -> str:
    """The rule file with one to three values of its rules replaced."""
    data = kb_data(RULE_FILE)
    for _ in range(draw(st.integers(1, 3))):
        rule = draw(st.sampled_from(data["rules"]))
        path = draw(st.sampled_from(_leaves(rule)))
        parent = rule
        for step in path[:-1]:
            parent = parent[step]
        parent[path[-1]] = draw(NUMBERS | texts | writable_scalars)
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


@pytest.fixture(scope="module")
def edited_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return seed_copy(tmp_path_factory.mktemp("edited") / "kb")


@budget(30)
@given(edited_rules())
def test_an_edited_kb_has_the_digest_and_items_it_would_have_had(
    edited_copy: Path, text: str
) -> None:
    path = edited_copy / RULE_FILE
    original = path.read_bytes()
    path.write_bytes(text.encode("utf-8", "surrogatepass"))
    try:
        content = check_content(edited_copy).content
        if content is not None:
            assert content.digest == digest_before(content)
            now = content.versioned_items()
            before = items_before(now, list(content.rules.values()))
            assert [exactly_now(i) for i in now] == before
    finally:
        path.write_bytes(original)


# -- changes since the lock, on items and locks edited by hypothesis ------------------------


@pytest.fixture(scope="module")
def seed_items_and_lock() -> tuple[list[versioned.Versioned], LockFile]:
    content = check_content(ROOT).content
    assert content is not None and content.lock is not None
    return content.versioned_items(), content.lock


@budget(60)
@given(st.data())
def test_changes_since_the_lock_are_the_ones_found_before(
    seed_items_and_lock: tuple[list[versioned.Versioned], LockFile], data: st.DataObject
) -> None:
    """Items dropped, given twice, raised in version or changed in content, and locks
    without some sections: the same changes, in the same order, as before."""
    items, lock = seed_items_and_lock
    edited: list[versioned.Versioned] = []
    for item in items:
        what = data.draw(st.sampled_from(["keep", "keep", "drop", "twice", "raise", "change"]))
        if what == "drop":
            continue
        if what == "raise":
            item = versioned.Versioned(item.kind, item.id, item.version + 1, item.fields)
        if what == "change":
            item = versioned.Versioned(item.kind, item.id, item.version, {**item.fields, "x": 1})
        edited += [item, item] if what == "twice" else [item]
    new_id = data.draw(st.text(min_size=1, max_size=5))
    edited.append(versioned.Versioned("rule", new_id, 1, {"when": {}}))
    edited = data.draw(st.permutations(edited))
    sections = ["conclusions", "facts", "sources", "translations"]
    dropped = data.draw(st.lists(st.sampled_from(sections), unique=True))
    edited_lock = lock.model_copy(update=dict.fromkeys(dropped))
    for this_lock in (edited_lock, None):
        assert bump.changes_since(this_lock, edited) == changes_before(this_lock, edited)
