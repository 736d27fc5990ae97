"""Conclusions as CDS Hooks 2.0 cards, for health apps: a result in, JSON-ready dicts out.

One card per conclusion. The fields the specification requires of a card are always
present: `summary` (one sentence, under 140 characters), `indicator` (`info`,
`warning` or `critical`) and `source` (with its required `label`). `detail` is
GitHub-flavoured Markdown quoting every passage the conclusion's proof rests on, with
its anchor and character span.

Indicators: a `warning` conclusion is a `warning` card; `outcome`, `recommendation`
and `information` conclusions are `info` cards. No kind maps to `critical`: the
specification reserves it for urgent, act-now alerts, and the KB's vocabulary has no
kind that says so (a source would have to call for urgent care, and the KB would
need a kind for it, before a card could be `critical`).
"""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

from ..content.languages.messages import say, word
from ..content.model import is_web_address
from .evidence import provenance_line

Tree = dict[str, Any]
SourceInfo = tuple[str, str, str | None]
"""A source's title, publisher and URL (None when the source has no URL)."""

INDICATORS: dict[str, str] = {
    "warning": "warning",
    "outcome": "info",
    "recommendation": "info",
    "information": "info",
}
OVERRIDE_REASONS_SYSTEM = "urn:healthkb:cds-hooks:override-reason"
OVERRIDE_REASONS: list[dict[str, str]] = [
    {"system": OVERRIDE_REASONS_SYSTEM, "code": code, "display": display}
    for code, display in (
        ("not_applicable", "Does not apply to this patient"),
        ("data_out_of_date", "The patient's data is out of date"),
        ("patient_declined", "The patient declined"),
        ("clinical_judgement", "Clinical judgement differs"),
    )
]
"""The reasons a clinician may give for overriding a card (each card lists them, the
discovery document too; feedback naming another reason is refused)."""


def override_reasons(lang: str | None) -> list[dict[str, str]]:
    """`OVERRIDE_REASONS` with their displays in language `lang` (the codes as they are;
    None: the English list itself)."""
    if lang is None:
        return OVERRIDE_REASONS
    return [{**reason, "display": word(lang, reason["display"])} for reason in OVERRIDE_REASONS]


SUMMARY_LIMIT = 140
"""The specification asks for a summary of fewer than 140 characters."""

# Fixed namespace for card uuids of evaluations that were not logged.
_CARD_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:healthkb:cds-hooks-card")
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>~|&#])")


def card_uuid(record_id: str, conclusion_id: str) -> str:
    """The uuid of a logged conclusion's card: derived from its audit record's id.

    Every card needs its own uuid (clients send it back as feedback), so each is
    derived from the record id and the conclusion; `healthkb audit show` finds the
    record from either.
    """
    return str(uuid.uuid5(uuid.UUID(record_id), conclusion_id))


def unlogged_card_uuid(kb_digest: str, profile: dict[str, Any], conclusion_id: str) -> str:
    """The uuid of a card of an evaluation that was not logged: same input, same uuid."""
    key = json.dumps([kb_digest, profile, conclusion_id], sort_keys=True, ensure_ascii=False)
    return str(uuid.uuid5(_CARD_NAMESPACE, key))


def summary(statement: str) -> str:
    """The statement, shortened at a word boundary with an ellipsis if it is too long."""
    text = " ".join(statement.split())
    if len(text) < SUMMARY_LIMIT:
        return text
    cut = text[: SUMMARY_LIMIT - 2].rsplit(" ", 1)[0].rstrip(",;:")
    return cut + "…"


def escape(text: str) -> str:
    """Text made literal in Markdown (quotes must show exactly as the article has them)."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", " ".join(text.split()))


def clinician_statement(conclusion: Tree) -> str:
    """What a card tells a clinician: the conclusion's clinician statement, if it has
    one, else the statement written for the person."""
    text: str = conclusion.get("clinician_statement") or conclusion["statement"]
    return text


def supporting_citations(tree: Tree) -> list[Tree]:
    """Every passage an explanation rests on, in proof order (every derivation that
    reached it), each once."""
    found: list[Tree] = []
    seen: set[tuple[Any, ...]] = set()

    def add(citations: list[Tree]) -> None:
        for c in citations:
            key = (c["source"], c["start"], c["end"], c.get("interpretation"))
            if key not in seen:
                seen.add(key)
                found.append(c)

    def walk_rule(rule: Tree) -> None:
        add(rule["citations"])
        for condition in rule["conditions"]:
            support = condition.get("support") or {}
            if "rule" in support:
                walk_rule(support["rule"])
            elif "citations" in support:
                add(support["citations"])

    add(tree["conclusion"]["citations"])
    walk_rule(tree["rule"])
    for other in tree.get("also_reached_by", []):
        walk_rule(other)
    return found


def _source_label(info: SourceInfo) -> str:
    title, publisher, _ = info
    return f"{title} ({publisher})"


def _passage(citation: Tree, sources: dict[str, SourceInfo], lang: str | None) -> list[str]:
    title, publisher, _ = sources[citation["source"]]
    where = say(
        lang,
        "— *{title}*, {publisher}: `{source}` {sentence}, characters {start}–{end}",
        title=escape(title),
        publisher=escape(publisher),
        source=citation["source"],
        sentence=citation["sentence"],
        start=citation["start"],
        end=citation["end"],
    )
    lines = [f"> {escape(citation['quote'])}", ">", f"> {where}"]
    if citation.get("interpretation"):
        said = say(
            lang, "*Editor's interpretation:* {text}", text=escape(citation["interpretation"])
        )
        lines += [">", f"> {said}"]
    return [*lines, ""]


def card_detail(tree: Tree, sources: dict[str, SourceInfo], record_id: str | None) -> str:
    """The card's Markdown: the statement, the rule, every supporting passage, the stamp."""
    conclusion, rule, kb = tree["conclusion"], tree["rule"], tree["kb"]
    lang = tree.get("language")
    kind = word(lang, conclusion["kind"])
    lines = [
        escape(clinician_statement(conclusion)),
        "",
        say(
            lang,
            "**{kind}**, certainty *{certainty}*. Reached by rule `{id}` v{version} ({title})",
            kind=kind.capitalize() if lang is None else kind,
            certainty=word(lang, conclusion["certainty"]),
            id=rule["id"],
            version=rule["version"],
            title=escape(rule["title"]),
        )
        + "".join(
            say(
                lang,
                "; also by rule `{id}` v{version} ({title})",
                id=other["id"],
                version=other["version"],
                title=escape(other["title"]),
            )
            for other in tree.get("also_reached_by", [])
        )
        + ("。" if lang and lang.startswith("zh") else "."),
        "",
        *_standing(conclusion, lang),
        say(lang, "Supporting passages:"),
        "",
    ]
    for citation in supporting_citations(tree):
        lines += _passage(citation, sources, lang)
    for source_id, known in sorted((tree.get("sources") or {}).items()):
        line = escape(provenance_line(source_id, known, lang))
        lines += [say(lang, "*Source* {line}", line=line), ""]
    if tree.get("disclaimer"):
        lines += [f"*{escape(tree['disclaimer'])}*", ""]
    stamp = say(
        lang,
        "Knowledge base `{id}` {version}, digest `{digest}`.",
        id=kb["id"],
        version=kb["version"],
        digest=kb["digest"],
    )
    if record_id is not None:
        stamp += say(lang, " Audit record `{id}`.", id=record_id)
    lines.append(stamp)
    return "\n".join(lines) + "\n"


def _standing(conclusion: Tree, lang: str | None) -> list[str]:
    evidence = conclusion.get("evidence")
    if not evidence:
        return []
    lines = [
        say(
            lang, "Evidence: *{level}* ({scale}).", level=evidence["level"], scale=evidence["scale"]
        ),
        "",
    ]
    if conclusion.get("stale"):
        lines += [say(lang, "**Stale:** it rests on a source past its review date."), ""]
    return lines


def card(
    tree: Tree,
    profile: dict[str, Any],
    sources: dict[str, SourceInfo],
    record_id: str | None,
) -> dict[str, Any]:
    """One conclusion's card, from its explanation tree."""
    conclusion, kb = tree["conclusion"], tree["kb"]
    citations = supporting_citations(tree)
    primary = sources[citations[0]["source"]]
    source: dict[str, Any] = {
        "label": _source_label(primary),
        "topic": {
            "system": "urn:healthkb:conclusion-kind",
            "code": conclusion["kind"],
            "display": conclusion["kind"].capitalize(),
        },
    }
    if primary[2] and is_web_address(primary[2]):  # checked again: a card's link is live
        source["url"] = primary[2]
    uid = (
        card_uuid(record_id, conclusion["id"])
        if record_id is not None
        else unlogged_card_uuid(kb["digest"], profile, conclusion["id"])
    )
    return {
        "uuid": uid,
        "summary": summary(clinician_statement(conclusion)),
        "indicator": INDICATORS[conclusion["kind"]],
        "detail": card_detail(tree, sources, record_id),
        "source": source,
        "overrideReasons": override_reasons(tree.get("language")),
        # `extension` is the name CDS Hooks reserves for a service's own data.
        "extension": {"healthkb": _extension(tree, record_id)},
    }


def _extension(tree: Tree, record_id: str | None) -> dict[str, Any]:
    conclusion, rule, kb = tree["conclusion"], tree["rule"], tree["kb"]
    extension = {
        "conclusion": conclusion["id"],
        "certainty": conclusion["certainty"],
        "evidence": conclusion.get("evidence"),
        **({"stale": True} if conclusion.get("stale") else {}),
        "rule": rule["id"],
        "rule_version": rule["version"],
        "kb_id": kb["id"],
        "kb_version": kb["version"],
        "kb_digest": kb["digest"],
    }
    if record_id is not None:  # CDS Hooks: an element without a value is left out
        extension["audit_record"] = record_id
    return extension


def cds_cards(
    conclusion_ids: list[str],
    profile: dict[str, Any],
    explanations: dict[str, Tree],
    sources: dict[str, SourceInfo],
    record_id: str | None,
) -> dict[str, Any]:
    """A CDS Hooks response, `{"cards": [...]}`, one card per conclusion, in result order."""
    cards = [
        card(explanations[conclusion_id], profile, sources, record_id)
        for conclusion_id in conclusion_ids
    ]
    return {"cards": cards}


def with_intake(
    response: dict[str, Any], sources: list[Tree], notes: list[Tree] | None = None
) -> dict[str, Any]:
    """The cards, each also saying where the profile's data came from (FHIR intake).

    `sources` are `IntakeSource.to_dict()`s: the attribute, its value, the resource that
    gave it, and for an Observation the mapping's interpretation, which a clinician
    needs to see to judge the conclusion (a day of exercise read as a running session).
    `notes` are `IntakeNote.to_dict()`s: the data that was sent but not used, and why.
    """
    lines = _intake_lines(sources, notes or [])
    cards = []
    for card_data in response["cards"]:
        extension = dict(card_data["extension"]["healthkb"], intake=sources)
        if notes:
            extension["intake_notes"] = notes
        cards.append(
            {
                **card_data,
                "detail": card_data["detail"] + "\n".join(lines) + "\n",
                "extension": {**card_data["extension"], "healthkb": extension},
            }
        )
    return {**response, "cards": cards}


def _intake_lines(sources: list[Tree], notes: list[Tree]) -> list[str]:
    lines = ["", "Data from the health record:", ""]
    for source in sources:
        value = json.dumps(source["value"], ensure_ascii=False)
        where = f"`{source['resource']}`"
        if source["via"] != source["attribute"]:  # an Observation's code
            where += f" ({escape(source['via'])})"
        if source.get("converted_from"):
            where += f", converted from {escape(source['converted_from'])}"
        line = f"- `{source['attribute']}` = `{value}` from {where}"
        if source.get("interpretation"):
            line += f"; *interpretation:* {escape(source['interpretation'])}"
        lines.append(line)
    if not sources:
        lines.append("- none: these cards hold without the patient's data")
    if notes:
        lines += ["", "Data not used:", ""]
        lines += [f"- `{n['resource']}`: {escape(n['message'])}" for n in notes]
    return lines


def with_fresh_uuids(response: dict[str, Any]) -> dict[str, Any]:
    """The cards with a new random uuid each: a service answering without an audit log
    still gives every card of every answer its own uuid (CDS Hooks feedback names a
    card by it), where the library's own output stays deterministic."""
    return {**response, "cards": [{**c, "uuid": str(uuid.uuid4())} for c in response["cards"]]}


def with_links(response: dict[str, Any], links: list[dict[str, str]]) -> dict[str, Any]:
    """Each card with its `links` (CDS Hooks `Link`s, `type: absolute`), in card order."""
    return {
        **response,
        "cards": [{**c, "links": [link]} for c, link in zip(response["cards"], links, strict=True)],
    }
