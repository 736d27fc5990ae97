"""`personal_data:` in kb.yaml checked against the vocabulary: each pattern names an input
attribute (or an input fact's `*`), a band fits a number, and encryption has an auditor."""

from __future__ import annotations

from ...errors import Problem, did_you_mean
from ..located_items import Placed
from ..model import Attribute, Vocabulary
from ..personal_data import Band, Generalise, PersonalData

_WHERE = ("personal_data", "attributes")


def check_personal_data(manifest: Placed[PersonalData], vocabulary: Vocabulary) -> list[Problem]:
    """Every problem of the policy, located at its pattern in kb.yaml."""
    policy = manifest.item
    problems: list[Problem] = []
    for pattern, action in policy.attributes.items():
        problems += _check_pattern(manifest, vocabulary, pattern, action)
    encrypted = sorted(p for p, a in policy.attributes.items() if a == "encrypt")
    if encrypted and policy.auditor is None:
        problems.append(
            manifest.problem(
                "missing-auditor",
                f"`{encrypted[0]}` is encrypted, but no auditor is named to seal it to",
                "add `auditor:` under `personal_data`, with a `name` and the `public_key` "
                "of auditor.pub, from `healthkb audit keygen --kind sealing`",
                "personal_data",
            )
        )
    return problems


def _check_pattern(
    manifest: Placed[PersonalData],
    vocabulary: Vocabulary,
    pattern: str,
    action: str | Generalise,
) -> list[Problem]:
    fact_name, attribute_name = pattern.split(".")
    where = (*_WHERE, pattern)
    fact = vocabulary.input.get(fact_name)
    if fact is None:
        message = f"`{pattern}`: unknown input fact `{fact_name}`"
        if fact_name in vocabulary.derived or fact_name in vocabulary.background:
            message += " (a profile never gives it: only input facts are personal data)"
        hint = did_you_mean(fact_name, vocabulary.input)
        return [manifest.problem("unknown-fact", message, hint, *where)]
    if attribute_name == "*":
        specs = list(fact.attributes.items())
    elif attribute_name in fact.attributes:
        specs = [(attribute_name, fact.attributes[attribute_name])]
    else:
        hint = did_you_mean(attribute_name, fact.attributes)
        message = f"`{pattern}`: unknown attribute `{attribute_name}` of `{fact_name}`"
        return [manifest.problem("unknown-attribute", message, hint, *where)]
    if not isinstance(action, Generalise):
        return []
    return [
        manifest.problem("band-does-not-fit", message, hint, *where, "generalise", "band")
        for name, spec in specs
        for message, hint in [_band_misfit(f"{fact_name}.{name}", spec, action.generalise)]
        if message
    ]


def _band_misfit(path: str, spec: Attribute, band: Band) -> tuple[str, str]:
    """What is wrong with generalising this attribute to bands of this width ("" if
    nothing)."""
    if spec.type not in ("integer", "number"):
        return (
            f"`{path}` is {spec.type}: only a number can be generalised to a band",
            "drop, hash or encrypt it instead",
        )
    if spec.type == "integer" and isinstance(band.band, float) and not band.band.is_integer():
        return (
            f"`{path}` is a whole number: a band of {band.band} does not fit it",
            "give a whole band, e.g. 10",
        )
    return "", ""
