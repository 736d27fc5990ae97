"""JSON Schemas for editors' tools: generated from the models, committed, never drifting.

An editor's YAML language server sees YAML dates as strings, so documents are checked
here the same way: loaded, then dates turned into ISO strings. yaml-language-server
validates with draft-07 rules whatever `$schema` says, so the schemas (marked 2020-12)
use only keywords both drafts share, and the checks run under both.
"""

from __future__ import annotations

import copy
import datetime
import json
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft7Validator, Draft202012Validator
from jsonschema.protocols import Validator
from pydantic import ValidationError
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7, DRAFT202012

import healthkb
from conftest import MINI_FACTS, MINI_RULES, ROOT
from healthkb.cases import CasesFile
from healthkb.cli import main
from healthkb.schemas import (
    FILE_MODELS,
    SCHEMA_NAMES,
    SCHEMAS_FOLDER,
    all_schemas,
    file_name,
    header_for,
    read_vocabulary,
    render,
    schema_for,
    stale_schemas,
)

BUNDLED_FILES = sorted(
    p.relative_to(ROOT).as_posix()
    for p in [*(ROOT / "kb").rglob("*.yaml"), *(ROOT / "rules").glob("*.yaml")]
)


def as_language_server_sees_it(value: Any) -> Any:
    """YAML data with dates as ISO strings, as yaml-language-server validates them."""
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {key: as_language_server_sees_it(item) for key, item in value.items()}
    if isinstance(value, list):
        return [as_language_server_sees_it(item) for item in value]
    return value


DRAFTS = {Draft202012Validator: DRAFT202012, Draft7Validator: DRAFT7}


def schema_errors(
    name: str,
    document: Any,
    schemas: dict[str, dict[str, Any]],
    draft: type[Validator] = Draft202012Validator,
) -> list[str]:
    """The messages of every error `schemas[name]` finds in `document`, sorted."""
    # Registered under their `$id`s, as an editor finds them next to each other.
    registry: Registry[Any] = Registry().with_resources(
        (schema["$id"], Resource(schema, DRAFTS[draft])) for schema in schemas.values()
    )
    validator = draft(schemas[name], registry=registry)
    return sorted(e.message for e in validator.iter_errors(as_language_server_sees_it(document)))


@pytest.fixture(scope="module")
def bundled_schemas() -> dict[str, dict[str, Any]]:
    return {
        name: json.loads((ROOT / SCHEMAS_FOLDER / file_name(name)).read_text(encoding="utf-8"))
        for name in SCHEMA_NAMES
    }


# --- the committed schemas ----------------------------------------------------------


def test_committed_schemas_equal_freshly_generated_ones() -> None:
    fresh = all_schemas(read_vocabulary(ROOT))
    stale = stale_schemas(fresh, ROOT / SCHEMAS_FOLDER)
    assert stale == [], (
        f"{SCHEMAS_FOLDER}: {', '.join(map(file_name, stale))} out of date with the models "
        "or kb/facts.yaml; run `healthkb schema` and commit the result"
    )


@pytest.mark.parametrize("name", SCHEMA_NAMES)
def test_each_schema_is_a_valid_draft_2020_12_schema_with_id_and_title(
    name: str, bundled_schemas: dict[str, dict[str, Any]]
) -> None:
    schema = bundled_schemas[name]
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert (schema["$id"], schema["title"].split()[0]) == (file_name(name), "healthkb")
    assert schema["description"]


def test_schemas_render_deterministically_with_sorted_keys() -> None:
    schemas = all_schemas(read_vocabulary(ROOT))
    text = render(schemas["rules"])
    assert text == render(all_schemas(read_vocabulary(ROOT))["rules"])
    # Keys sorted at every level: parsing and writing again changes nothing.
    assert (
        text.endswith("}\n")
        and json.dumps(json.loads(text), indent=2, sort_keys=True) + "\n" == text
    )


@pytest.mark.parametrize("relative", BUNDLED_FILES)
def test_every_bundled_file_names_its_schema_in_its_first_line(relative: str) -> None:
    first = (ROOT / relative).read_text(encoding="utf-8").splitlines()[0]
    assert first == header_for(relative)
    target = first.split("$schema=", 1)[1]
    assert (ROOT / relative).parent.joinpath(target).resolve().is_file()


@pytest.mark.parametrize("draft", DRAFTS, ids=lambda d: d.__name__)
@pytest.mark.parametrize("relative", BUNDLED_FILES)
def test_every_bundled_file_validates_against_its_schema(
    relative: str, draft: type[Validator], bundled_schemas: dict[str, dict[str, Any]]
) -> None:
    name = schema_for(relative)
    assert name is not None, f"{relative} has no schema"
    document = yaml.safe_load((ROOT / relative).read_text(encoding="utf-8"))
    assert schema_errors(name, document, bundled_schemas, draft) == []


def test_every_kind_of_bundled_file_is_covered() -> None:
    assert {schema_for(relative) for relative in BUNDLED_FILES} == set(SCHEMA_NAMES)


# --- what the schemas say ------------------------------------------------------------


def test_help_on_hover_comes_from_model_and_field_docstrings(
    bundled_schemas: dict[str, dict[str, Any]],
) -> None:
    rule = bundled_schemas["rules"]["$defs"]["Rule"]
    assert rule["description"].startswith("One versioned rule")
    assert (
        "raised whenever the rule's meaning changes" in rule["properties"]["version"]["description"]
    )
    between = bundled_schemas["rules"]["$defs"]["Comparison"]["properties"]["between"]
    assert between["description"].startswith("`[low, high]`")
    # No made-up titles ("Between") above the help.
    assert "title" not in between


def test_profile_schema_carries_the_vocabulary_enums_ranges_and_units(
    bundled_schemas: dict[str, dict[str, Any]],
) -> None:
    running = bundled_schemas["profile"]["$defs"]["RunningFact"]["properties"]
    sessions = running["sessions_per_week"]
    assert sessions["anyOf"][0] == {"type": "integer", "minimum": 0, "maximum": 14}
    assert sessions["description"] == (
        "How many times a week the person runs. "
        "Allowed: a whole number from 0 to 14 sessions per week."
    )
    assert running["intensity"]["anyOf"][0]["enum"] == ["low", "moderate", "high"]


def test_a_test_case_profile_refers_to_the_profile_schema(
    bundled_schemas: dict[str, dict[str, Any]],
) -> None:
    profile = bundled_schemas["test-cases"]["$defs"]["TestCase"]["properties"]["profile"]
    assert profile["$ref"] == "profile.schema.json"


def test_in_operator_is_spelled_in_and_dates_are_strings(
    bundled_schemas: dict[str, dict[str, Any]],
) -> None:
    rule = yaml.safe_load(RULE)
    rule["rules"][0]["when"] = {"fact": "running.intensity", "in": ["moderate", "high"]}
    assert schema_errors("rules", rule, bundled_schemas) == []
    rule["rules"][0]["when"] = {"fact": "running.intensity", "in_": ["moderate", "high"]}
    assert schema_errors("rules", rule, bundled_schemas) != []
    published = bundled_schemas["source"]["properties"]["published"]
    assert published == {
        "type": "string",
        "format": "date",
        "description": published["description"],
    }


# --- typical editor mistakes are caught while typing ----------------------------------

RULE = """\
rules:
  - id: running_load_adequate
    version: 1
    title: Running load is adequate
    status: active
    when:
      all:
        - {fact: running.intensity, in: [moderate, high]}
        - not: {fact: running.sessions_per_week, lt: 3}
    then:
      derive: {fact: running_load, values: {level: adequate}}
    because:
      - source: cainiu-2025-running-thigh-fat
        quote: "at least 3–5 times a week"
"""

FACTS = """\
input:
  running:
    description: Running routine.
    attributes:
      intensity: {type: enum, values: [low, high], description: Effort.}
      sessions_per_week: {type: integer, min: 0, max: 14, description: Runs a week.}
"""

MANIFEST = """\
id: mini-kb
title: Mini KB
version: 1.0.0
released: 2025-02-01
"""

CASES = """\
cases:
  - name: runs_enough
    profile: {running: {intensity: high, sessions_per_week: 4}}
    expect: {conclusions: [thigh_buttock_fat_may_decrease]}
"""

PROFILE = "running: {intensity: high, sessions_per_week: 4}\n"


def _set(path: tuple[Any, ...], value: Any) -> Callable[[Any], None]:
    def edit(document: Any) -> None:
        for step in path[:-1]:
            document = document[step]
        document[path[-1]] = value

    return edit


RULE0 = ("rules", 0)
MISTAKES = {
    "unknown key in a rule": ("rules", RULE, _set((*RULE0, "priority"), 1)),
    "misspelled operator": (
        "rules",
        RULE,
        _set((*RULE0, "when"), {"fact": "running.sessions_per_week", "greater": 3}),
    ),
    "misspelled operator deep in all/not": (
        "rules",
        RULE,
        _set((*RULE0, "when", "all", 1, "not"), {"fact": "running.sessions_per_week", "lt_": 3}),
    ),
    "two operators in one comparison": (
        "rules",
        RULE,
        _set((*RULE0, "when"), {"fact": "running.sessions_per_week", "gt": 3, "lt": 5}),
    ),
    "comparison without an operator": (
        "rules",
        RULE,
        _set((*RULE0, "when"), {"fact": "running.sessions_per_week"}),
    ),
    "fact without its attribute": (
        "rules",
        RULE,
        _set((*RULE0, "when"), {"fact": "running", "eq": 3}),
    ),
    "version as a string": ("rules", RULE, _set((*RULE0, "version"), "1")),
    "version zero": ("rules", RULE, _set((*RULE0, "version"), 0)),
    "status outside its set": ("rules", RULE, _set((*RULE0, "status"), "enabled")),
    "then with both derive and conclude": (
        "rules",
        RULE,
        _set((*RULE0, "then", "conclude"), "thigh_buttock_fat_may_decrease"),
    ),
    "citation without a quote": ("rules", RULE, _set((*RULE0, "because"), [{"source": "x"}])),
    "enum attribute without values": (
        "facts",
        FACTS,
        _set(("input", "running", "attributes", "intensity", "values"), None),
    ),
    "range on an enum attribute": (
        "facts",
        FACTS,
        _set(("input", "running", "attributes", "intensity", "min"), 0),
    ),
    "values on an integer attribute": (
        "facts",
        FACTS,
        _set(("input", "running", "attributes", "sessions_per_week", "values"), ["a"]),
    ),
    "attribute name with a capital": (
        "facts",
        FACTS,
        _set(("input", "running", "attributes", "Pace"), {"type": "bool", "description": "x"}),
    ),
    "manifest version as a number": ("manifest", MANIFEST, _set(("version",), 1.0)),
    "enum value outside the vocabulary": ("profile", PROFILE, _set(("running", "intensity"), "x")),
    "sessions_per_week above its range": (
        "profile",
        PROFILE,
        _set(("running", "sessions_per_week"), 15),
    ),
    "sessions_per_week below its range": (
        "profile",
        PROFILE,
        _set(("running", "sessions_per_week"), -1),
    ),
    "fractional sessions_per_week": (
        "profile",
        PROFILE,
        _set(("running", "sessions_per_week"), 3.5),
    ),
    "misspelled fact in a profile": ("profile", PROFILE, _set(("runing",), {"intensity": "high"})),
    "enum value outside the vocabulary in a test case": (
        "test-cases",
        CASES,
        _set(("cases", 0, "profile", "running", "intensity"), "extreme"),
    ),
    "misspelled expectation key": (
        "test-cases",
        CASES,
        _set(("cases", 0, "expect", "conclusion"), ["x"]),
    ),
}


@pytest.mark.parametrize("draft", DRAFTS, ids=lambda d: d.__name__)
@pytest.mark.parametrize("mistake", sorted(MISTAKES))
def test_schema_rejects_what_the_model_rejects(
    mistake: str,
    draft: type[Validator],
    bundled_schemas: dict[str, dict[str, Any]],
    kb: healthkb.KnowledgeBase,
) -> None:
    name, text, edit = MISTAKES[mistake]
    valid = yaml.safe_load(text)
    assert schema_errors(name, valid, bundled_schemas, draft) == [], "the example is valid"
    document = copy.deepcopy(valid)
    edit(document)
    assert schema_errors(name, document, bundled_schemas, draft) != []
    # The schema says no more than the model does: the model refuses the same edit.
    assert not model_refuses(name, valid, kb)
    assert model_refuses(name, document, kb)


def model_refuses(name: str, document: Any, kb: healthkb.KnowledgeBase) -> bool:
    """Whether the models (with the KB's vocabulary for profiles) refuse a document."""
    try:
        if name == "profile":
            kb.validate_profile(document)
            return False
        model = FILE_MODELS[name][0].model_validate(document)
        for case in model.cases if isinstance(model, CasesFile) else []:
            kb.validate_profile(case.profile)
    except (ValidationError, healthkb.ProfileError):
        return True
    return False


def test_unknown_key_in_a_rule_is_named_in_the_message(
    bundled_schemas: dict[str, dict[str, Any]],
) -> None:
    document = yaml.safe_load(RULE)
    document["rules"][0]["priority"] = 1
    assert schema_errors("rules", document, bundled_schemas) == [
        "Additional properties are not allowed ('priority' was unexpected)"
    ]


# --- the command ---------------------------------------------------------------------


def test_schema_command_writes_every_schema_and_exits_0(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "schemas"
    assert main(["schema", str(ROOT), "--out", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == sorted(map(file_name, SCHEMA_NAMES))
    for name in SCHEMA_NAMES:
        assert (out / file_name(name)).read_text(encoding="utf-8") == (
            ROOT / SCHEMAS_FOLDER / file_name(name)
        ).read_text(encoding="utf-8")
    assert capsys.readouterr().out == "".join(
        f"wrote: {out / file_name(name)}\n" for name in SCHEMA_NAMES
    )
    assert main(["schema", str(ROOT), "--out", str(out), "--check"]) == 0


def test_schema_command_writes_into_the_kb_by_default_with_its_own_vocabulary(
    make_kb: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_kb()
    assert main(["schema", str(root)]) == 0
    folder = root / SCHEMAS_FOLDER
    profile = json.loads((folder / "profile.schema.json").read_text(encoding="utf-8"))
    assert sorted(profile["properties"]) == ["walk"]
    capsys.readouterr()
    assert main(["schema", str(root), "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows == [{"file": str(folder / file_name(n)), "changed": False} for n in SCHEMA_NAMES]


def test_schema_check_reports_a_schema_left_behind_by_a_vocabulary_edit(
    make_kb: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_kb()
    assert main(["schema", str(root)]) == 0
    facts = MINI_FACTS.replace(
        "      tired:",
        "      pace:\n        type: number\n        description: Pace.\n      tired:",
    )
    (root / "kb" / "facts.yaml").write_text(facts, encoding="utf-8")
    capsys.readouterr()
    assert main(["schema", str(root), "--check"]) == 1
    out = capsys.readouterr().out
    assert f"stale: {root / SCHEMAS_FOLDER / 'profile.schema.json'}\n" in out
    assert out.endswith("run `healthkb schema` to regenerate them\n")
    assert out.count("stale:") == 1


def test_schema_command_works_while_the_rules_are_broken(
    make_kb: Callable[..., Path], tmp_path: Path
) -> None:
    root = make_kb({"rules/walking.yaml": MINI_RULES.replace("version: 1", "version: one")})
    with pytest.raises(healthkb.KBError):
        healthkb.load(root)
    assert main(["schema", str(root), "--out", str(tmp_path / "out")]) == 0


def test_schema_command_names_the_place_of_a_broken_vocabulary(
    make_kb: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    broken = textwrap.dedent(MINI_FACTS).replace("type: integer", "type: whole")
    root = make_kb({"kb/facts.yaml": broken})
    assert main(["schema", str(root)]) == 2
    assert capsys.readouterr().err == (
        "healthkb: broken knowledge base:\n  kb/facts.yaml:6:9: invalid-value: `type`: "
        "Input should be 'bool', 'integer', 'number', 'enum' or 'list'\n"
    )
    assert not (root / SCHEMAS_FOLDER).exists()
