"""`canonical_json` (the KB digest's fast way) writes exactly the bytes the old way
wrote, `json.dumps` of each model's `model_dump(mode="json", by_alias=True)` with the
keys sorted, or gives None and the old way is taken: differential tests on every float,
every text, big integers, models where a subclass stands for its class, and on the
repository's and generated KBs (which must take the fast way)."""

from __future__ import annotations

import datetime
import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, ConfigDict, Field
from tests.benchmarks.generated_kb import write_generated_kb

from healthkb.content.fhir_mapping import FhirMapping
from healthkb.content.languages.translation_model import TranslationFile
from healthkb.content.loading.canonical_json import NotCanonical, _plan, canonical_json
from healthkb.content.loading.loader import check_content
from healthkb.content.model import (
    BackgroundFact,
    ChangelogEntry,
    Citation,
    Conclusion,
    FactType,
    Manifest,
    Source,
    Vocabulary,
)
from healthkb.content.rule_model import Comparison, Departure, Derive, Rule, Then
from healthkb.content.silence_model import Silence
from support.analysis_kbs import ROOT
from support.fuzzing import budget
from support.old_canonical_json import canonical_json_before


def same_or_old_way(value: Any) -> bytes | None:
    """The fast way's bytes, checked against the old way's; None if it stood aside."""
    fast = canonical_json(value)
    if fast is not None:
        assert fast == canonical_json_before(value)
    return fast


def trusted(number: float) -> bool:
    """The floats orjson writes as `json.dumps` does (`canonical_json.py`)."""
    return number == 0.0 or 1e-4 <= abs(number) < math.inf


def rule(**fields: Any) -> Rule:
    data = {
        "id": "r",
        "version": 1,
        "title": "A rule",
        "status": "active",
        "when": {"fact": "a.b", "eq": True},
        "then": {"conclude": "c"},
        "because": [{"source": "s", "quote": "q"}],
    }
    return Rule.model_validate(data | fields)


# -- numbers -------------------------------------------------------------------------------


@budget(400)
@given(st.floats())
def test_every_float_is_written_as_json_dumps_writes_it_or_the_old_way_is_taken(
    number: float,
) -> None:
    models = [
        Comparison(fact="a.b", gt=number),
        Comparison(fact="a.b", eq=number),
        Comparison(fact="a.b", in_=[1, "x", number]),
        Derive(fact="d", values={"x": number, "y": [number, True]}),
    ]
    if not math.isnan(number):
        models.append(Comparison(fact="a.b", between=[number, number]))
    for model in models:
        fast = same_or_old_way({"rules": {"r": model}})
        assert (fast is not None) == trusted(number), (number, model)


# Lists inside a list of scalars: pydantic warns that it dumps them as they are.
@pytest.mark.filterwarnings("ignore::UserWarning")
@budget(200)
@given(st.floats(), st.sampled_from([0, 0.0, -0.0, False, None, "", [], {}]))
def test_a_float_however_deep_in_a_number_field_is_looked_at(number: float, falsy: Any) -> None:
    # The fields' values that are false (None, 0, empty) are not asked their type: the
    # float beside them, or inside a list or dict inside a list, still is.
    nested = {"x": [falsy, [falsy, number]], "y": {"z": [falsy, {"w": number}]}}
    for model in (
        Derive(fact="d").model_copy(update={"values": nested}),
        Comparison(fact="a.b", gt=1).model_copy(update={"lt": 0, "in_": [falsy, [number]]}),
    ):
        fast = same_or_old_way({"rules": {"r": model}})
        assert (fast is not None) == trusted(number), (number, model)


EDGES = [0.0, -0.0, 1e-4, -1e-4, 9.999999999999999e-05, 1e-5, 1e-10, 5e-324, 0.1, 1 / 3]
EDGES += [1e15, 9999999999999998.0, 1e16, 2.0**53, 2.0**53 + 2, 1e22, 1.7976931348623157e308]


@pytest.mark.parametrize("number", EDGES + [-n for n in EDGES])
def test_floats_at_the_edges_of_the_formats(number: float) -> None:
    fast = same_or_old_way(rule(when={"fact": "a.b", "lt": number}))
    assert (fast is not None) == trusted(number)


def test_every_exponent_from_the_smallest_float_to_the_largest() -> None:
    for exponent in range(-324, 309):
        for digits in ("1", "1.5", "9.999999999999999", "1.2345678901234567"):
            number = float(f"{digits}e{exponent}")
            fast = same_or_old_way(Comparison(fact="a.b", ge=number))
            assert (fast is not None) == trusted(number)


@pytest.mark.parametrize("number", [0, -1, 2**31, 2**53 + 1, 2**63 - 1, -(2**63), 2**64 - 1])
def test_integers_within_64_bits_are_written_as_they_were(number: int) -> None:
    assert same_or_old_way(Comparison(fact="a.b", gt=number)) is not None


@pytest.mark.parametrize("number", [2**64, -(2**63) - 1, 10**30])
def test_larger_integers_take_the_old_way(number: int) -> None:
    assert canonical_json(Comparison(fact="a.b", le=number)) is None


# -- text ----------------------------------------------------------------------------------

every_character = st.characters(exclude_categories=())


@budget(300)
@given(st.text(every_character, max_size=30), st.text(every_character, min_size=1, max_size=8))
def test_every_text_is_written_as_json_dumps_writes_it(text: str, key: str) -> None:
    surrogate = any(0xD800 <= ord(c) <= 0xDFFF for c in text + key)
    value = {"rules": {key: rule(description=text), "b": rule()}}
    if surrogate:
        # The old way failed to encode it to UTF-8; the fast way stands aside for it.
        assert canonical_json(value) is None
        with pytest.raises(UnicodeEncodeError):
            canonical_json_before(value)
    else:
        assert same_or_old_way(value) is not None


def test_every_character_outside_the_surrogates_in_one_text() -> None:
    text = "".join(map(chr, [*range(0xD800), *range(0xE000, 0x110000)]))
    assert same_or_old_way(rule(description=text)) is not None


# -- dates ---------------------------------------------------------------------------------


@budget(100)
@given(st.dates(), st.text(every_character.filter(lambda c: c.isprintable()), min_size=1))
def test_every_date_is_written_as_its_iso_form(day: datetime.date, change: str) -> None:
    entry = ChangelogEntry(version="1.0.0", date=day, changes=[change], digest="sha256:" + "0" * 64)
    assert same_or_old_way(entry) is not None  # the digest left out (`exclude=True`)


def test_a_datetime_where_a_date_is_declared_takes_the_old_way() -> None:
    entry = ChangelogEntry(version="1.0.0", date=datetime.date(2026, 1, 2), changes=["x"])
    late = entry.model_copy(update={"date": datetime.datetime(2026, 1, 2, 3, 4)})
    assert canonical_json(late) is None


# -- which fields, which classes -----------------------------------------------------------


def test_a_field_s_alias_is_its_key() -> None:
    assert same_or_old_way(Comparison(fact="a.b", in_=["x"])) == b'{"between":null,' + (
        b'"contains":null,"contains_any":null,"eq":null,"fact":"a.b","ge":null,"gt":null,'
        b'"in":["x"],"le":null,"lt":null,"ne":null,"not_in":null}'
    )


class Swapped(BaseModel):
    """Two fields, each with the other's name as its alias."""

    model_config = ConfigDict(populate_by_name=True, frozen=True)
    a: str = Field(alias="b")
    b: str = Field(alias="a")
    c: int = Field(alias="in")


def test_aliases_that_are_other_fields_names_are_each_field_s_key() -> None:
    model = Swapped.model_validate({"b": "field a", "a": "field b", "in": 1})
    assert model.a == "field a"
    assert same_or_old_way(model) == b'{"a":"field b","b":"field a","in":1}'


def test_what_a_model_keeps_in_its_dict_beside_its_fields_is_not_dumped() -> None:
    # As a cached property or a validator may keep a value there.
    for model in (Citation(source="s", quote="q"), Comparison(fact="a.b", in_=["x"])):
        object.__setattr__(model, "kept", 1.5e-7)
        assert "kept" in model.__dict__
        assert same_or_old_way(model) is not None


def test_a_departure_where_it_is_declared_is_written_fast() -> None:
    departure = {"fact": "a.b", "le": 2, "source_says": "infrequently"}
    assert same_or_old_way(rule(departures=[departure])) is not None


def test_a_departure_standing_for_a_comparison_takes_the_old_way() -> None:
    # pydantic dumps it as the class its field declares (a Comparison: no source_says).
    departure = Departure(fact="a.b", le=2, source_says="infrequently")
    model = rule().model_copy(update={"when": departure})
    assert canonical_json(model) is None
    assert b"source_says" not in canonical_json_before(model)


def test_a_background_fact_standing_for_an_input_fact_takes_the_old_way() -> None:
    background = BackgroundFact.model_validate(
        {
            "description": "d",
            "attributes": {"x": {"type": "bool", "description": "d"}},
            "values": {"x": True},
            "because": [{"source": "s", "quote": "q"}],
        }
    )
    fact = FactType.model_validate(
        {"description": "d", "attributes": {"y": {"type": "bool", "description": "d"}}}
    )
    good = Vocabulary(input={"a": fact}, background={"b": background})
    assert same_or_old_way(good) is not None
    assert canonical_json(Vocabulary(input={"a": background})) is None


def test_what_is_not_a_model_of_the_kb_takes_the_old_way() -> None:
    class Other:
        pass

    assert canonical_json({"rules": {"r": Other()}}) is None
    assert canonical_json({"x": {1, 2}}) is None


@pytest.mark.parametrize(
    "model",
    [Manifest, Source, Vocabulary, Conclusion, Rule, Then, Silence, FhirMapping, TranslationFile],
)
def test_every_model_of_a_kb_has_a_plan(model: type[BaseModel]) -> None:
    # A model a change made unplannable would send every digest the old way unnoticed.
    try:
        _plan(model)
    except NotCanonical as reason:  # pragma: no cover - the failure's message
        pytest.fail(f"{model.__name__}: {reason}")


# -- whole KBs -----------------------------------------------------------------------------


def content_parts(root: Path) -> dict[str, Any]:
    content = check_content(root).content
    assert content is not None
    return content.content_digest._content


def test_the_bundled_kb_is_written_fast_and_the_same() -> None:
    assert same_or_old_way(content_parts(ROOT)) is not None


@budget(4)
@given(st.integers(0, 600))
def test_generated_kbs_of_every_size_are_written_fast_and_the_same(
    tmp_path_factory: pytest.TempPathFactory, rules: int
) -> None:
    root = write_generated_kb(tmp_path_factory.mktemp("generated") / "kb", rules)
    assert same_or_old_way(content_parts(root)) is not None
