"""JSON Schemas of the files editors write, generated from the models.

A YAML-aware editor (VS Code with the Red Hat YAML extension, or any client of
yaml-language-server) reads the schema named in a file's first line,

    # yaml-language-server: $schema=../schemas/rules.schema.json

and offers completion, help on hover and inline errors while the editor types. The
schemas come from the same pydantic models the loader validates with, so they cannot
disagree on keys, types or ranges; the profile schema comes from the KB's own fact
vocabulary (`KnowledgeBase.profile_model`), so enum values, ranges and units are there.
They catch what a single file can show (an unknown key, a misspelled operator, a
string where a number belongs); cross-file checks (a quote that is not in its source,
an unknown conclusion) remain `healthkb validate`'s job.
"""

from __future__ import annotations

import fnmatch
import json
import posixpath
from pathlib import Path, PurePosixPath
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import GenerateJsonSchema

from ..content.checks.cross_file import check_bounds
from ..content.diagnostics.located_validation import validate_located
from ..content.fhir_mapping import FHIR_FILE, FhirMapping
from ..content.languages.translation_model import TRANSLATIONS_FOLDER, TranslationFile
from ..content.located_items import Placed
from ..content.model import ConclusionsFile, Manifest, Source, Vocabulary
from ..content.rule_model import RulesFile
from ..content.silence_model import SilencesFile
from ..errors import KBError, Problem
from ..files.yaml_reader import read_yaml
from ..profiles.profile_model import build_profile_model
from .cases import CasesFile

DRAFT = "https://json-schema.org/draft/2020-12/schema"
SCHEMAS_FOLDER = "kb/schemas"

# Schema name -> (model, the files it describes). The names are stable: the headers
# of the KB's YAML files point at `<name>.schema.json`.
FILE_MODELS: dict[str, tuple[type[BaseModel], str]] = {
    "manifest": (Manifest, "kb/kb.yaml"),
    "source": (Source, "kb/sources/*.yaml"),
    "facts": (Vocabulary, "kb/facts.yaml"),
    "conclusions": (ConclusionsFile, "kb/conclusions.yaml"),
    "rules": (RulesFile, "rules/*.yaml"),
    "silences": (SilencesFile, "kb/silences.yaml"),
    "test-cases": (CasesFile, "kb/tests/*.yaml"),
    "fhir": (FhirMapping, FHIR_FILE),
    "translation": (TranslationFile, f"{TRANSLATIONS_FOLDER}/*.yaml"),
}
PROFILE_FILES = "kb/examples/*.yaml"
SCHEMA_NAMES = (*FILE_MODELS, "profile")


class _Generator(GenerateJsonSchema):
    """pydantic's generator without the titles it makes up from field names.

    An editor shows a property's title above its description on hover; "Min" above
    "The smallest allowed value..." is noise. Models keep their titles.
    """

    def field_title_should_be_set(self, schema: Any) -> bool:
        return False


def file_name(name: str) -> str:
    """The file a schema is written to: `rules` -> `rules.schema.json`."""
    return f"{name}.schema.json"


def _finish(schema: dict[str, Any], name: str, title: str) -> dict[str, Any]:
    _close_pattern_keys(schema)
    # No `$id`: the test-case schema's `$ref: profile.schema.json` then resolves against
    # the schema file's own location in every validator. A relative `$id` would do so by
    # the standard too, but some (check-jsonschema) resolve it against the current folder.
    return {"$schema": DRAFT, **schema, "title": title}


def _close_pattern_keys(node: Any) -> None:
    """Maps keyed by an identifier (`attributes:`, `values:`) reject other keys.

    pydantic describes `dict[Identifier, X]` with `patternProperties` alone, which lets
    any key that misses the pattern through; the model rejects it, so must the schema.
    """
    if isinstance(node, dict):
        if "patternProperties" in node and "properties" not in node:
            node.setdefault("additionalProperties", False)
        for value in node.values():
            _close_pattern_keys(value)
    elif isinstance(node, list):
        for value in node:
            _close_pattern_keys(value)


def file_schema(name: str) -> dict[str, Any]:
    """The JSON Schema of one kind of KB file (`name` in `FILE_MODELS`)."""
    model, files = FILE_MODELS[name]
    schema = model.model_json_schema(schema_generator=_Generator)
    if name == "test-cases":
        # A case's profile follows the KB's vocabulary: completion inside test profiles.
        schema["$defs"]["TestCase"]["properties"]["profile"] = {
            "$ref": file_name("profile"),
            "description": "The person's profile: input facts as in kb/facts.yaml.",
        }
    return _finish(schema, name, f"healthkb {name.replace('-', ' ')} ({files})")


def profile_schema(vocabulary: Vocabulary) -> dict[str, Any]:
    """The JSON Schema of an input profile for this vocabulary (as `kb.profile_model`)."""
    schema = build_profile_model(vocabulary).model_json_schema(schema_generator=_Generator)
    schema["description"] = (
        "A person's profile: the input facts declared in kb/facts.yaml. Generated from "
        "that file; run `healthkb schema` after changing it."
    )
    return _finish(schema, "profile", "healthkb profile")


def all_schemas(vocabulary: Vocabulary) -> dict[str, dict[str, Any]]:
    """Every schema by name (`SCHEMA_NAMES`), the profile schema for `vocabulary`."""
    schemas = {name: file_schema(name) for name in FILE_MODELS}
    schemas["profile"] = profile_schema(vocabulary)
    return schemas


def render(schema: dict[str, Any]) -> str:
    """A schema as the bytes written to disk: sorted keys, two-space indent, final newline."""
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def read_vocabulary(root: str | Path) -> Vocabulary:
    """`root/kb/facts.yaml` as a Vocabulary, or a KBError with its located problems.

    Only the vocabulary: schemas help most while the rest of a KB is still broken.
    """
    path = Path(root) / "kb" / "facts.yaml"
    # Only when nothing is there: a folder or a pipe is reported as such (`not-a-file`).
    if not (path.exists() or path.is_symlink()):
        raise KBError(
            [
                Problem(
                    "kb/facts.yaml",
                    0,
                    0,
                    "missing-file",
                    f"{path} not found",
                    "the profile schema follows the vocabulary: write kb/facts.yaml first",
                )
            ]
        )
    located = read_yaml(path, "kb/facts.yaml")
    vocabulary, problems = validate_located(Vocabulary, located)
    if vocabulary is None:
        raise KBError(problems)
    # Bounds the profile model cannot be built with (an integer's `min: 0.5`).
    problems = check_bounds(Placed(vocabulary, located, ()))
    if problems:
        raise KBError(problems)
    return vocabulary


def stale_schemas(schemas: dict[str, dict[str, Any]], folder: str | Path) -> list[str]:
    """Names of the schemas whose file in `folder` is missing or differs from `schemas`."""
    stale = []
    for name, schema in schemas.items():
        path = Path(folder) / file_name(name)
        if not path.is_file() or path.read_text(encoding="utf-8") != render(schema):
            stale.append(name)
    return stale


def write_schemas(schemas: dict[str, dict[str, Any]], folder: str | Path) -> list[Path]:
    """Write each schema to `folder/<name>.schema.json`; return the files that changed.

    `folder` is created if missing; its parent must exist, as for `healthkb report`.
    """
    target = Path(folder)
    target.mkdir(exist_ok=True)
    changed = set(stale_schemas(schemas, target))
    for name in sorted(changed):
        (target / file_name(name)).write_text(render(schemas[name]), encoding="utf-8")
    return [target / file_name(name) for name in schemas if name in changed]


def schema_for(relative: str) -> str | None:
    """The schema name for a KB file given relative to the KB root, if it has one.

    >>> schema_for("rules/running.yaml"), schema_for("kb/examples/me.yml")
    ('rules', 'profile')
    """
    path = PurePosixPath(relative)
    patterns = {name: files for name, (_, files) in FILE_MODELS.items()}
    patterns["profile"] = PROFILE_FILES
    if path.suffix not in (".yaml", ".yml"):
        return None
    for name, pattern in patterns.items():
        folder, _, name_pattern = pattern.rpartition("/")
        if path.parent.as_posix() == folder and fnmatch.fnmatchcase(
            path.stem + ".yaml", name_pattern
        ):
            return name
    return None


def header_for(relative: str) -> str:
    """The `# yaml-language-server` line a KB file starts with (relative to the KB root).

    >>> header_for("rules/running.yaml")
    '# yaml-language-server: $schema=../kb/schemas/rules.schema.json'
    >>> header_for("kb/kb.yaml")
    '# yaml-language-server: $schema=schemas/manifest.schema.json'
    """
    name = schema_for(relative)
    if name is None:
        raise ValueError(f"{relative}: no schema describes this file")
    start = PurePosixPath(relative).parent.as_posix()
    target = posixpath.relpath(f"{SCHEMAS_FOLDER}/{file_name(name)}", start)
    return f"# yaml-language-server: $schema={target}"
