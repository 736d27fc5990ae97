"""Language tags (BCP 47) and choosing among a KB's languages (RFC 4647).

A tag is *valid* when every subtag is in the IANA Language Subtag Registry (langcodes
carries it, so nothing is fetched); tags compare case-insensitively (`zh-hans` is
`zh-Hans`). A reader's wish is matched with RFC 4647 *lookup* (drop subtags from the
end until a tag the KB has is found), then through the wish's likely script and
region (CLDR's likely subtags: `zh-CN` is written `zh-Hans-CN`, so it finds
`zh-Hans`), then RFC 4647 *basic filtering* (`zh` finds `zh-Hans`).

langcodes is imported at its first use, not with healthkb: importing it compiles a
pattern of every registered subtag, 17 ms, a tenth of `healthkb evaluate`'s start-up
(docs/performance.md, "Start-up, third pass"). The tags KBs are written in most often
are known valid without it (`REGISTERED_TAGS`): the registry never withdraws a subtag
(RFC 5646 §3.4), so a tag valid once stays valid.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from types import ModuleType
from typing import TYPE_CHECKING, Annotated

from pydantic import AfterValidator

from ...errors import UnknownLanguageError
from ...files.on_demand import OnDemand


def _import_langcodes() -> ModuleType:
    import langcodes

    return langcodes


if TYPE_CHECKING:
    import langcodes
else:
    langcodes = OnDemand(_import_langcodes)

REGISTERED_TAGS = frozenset(
    {
        *("ar", "de", "en", "en-GB", "en-US", "es", "fr", "hi", "it", "ja", "ko", "nl"),
        *("pt", "pt-BR", "ru", "zh", "zh-Hans", "zh-Hant", "zh-Hans-CN", "zh-Hant-TW"),
    }
)
"""Tags valid by the IANA registry, as written (tests/content/test_translations.py asks
langcodes about each): checking them needs no langcodes."""


def is_valid_tag(tag: str) -> bool:
    """Whether `tag` is a valid BCP 47 tag (well formed, every subtag registered)."""
    if tag in REGISTERED_TAGS:
        return True
    try:
        return bool(langcodes.tag_is_valid(tag)) and "_" not in tag
    except (ValueError, LookupError):
        return False


def _valid(tag: str) -> str:
    if not is_valid_tag(tag):
        raise ValueError(
            f"`{tag}` is not a valid BCP 47 language tag\nwrite a registered tag such as "
            "`en`, `en-GB`, `zh-Hans` (Simplified Chinese) or `zh-Hant`"
        )
    return tag


BCP47Tag = Annotated[str, AfterValidator(_valid)]
"""A language tag checked against the IANA registry, as written."""


def same_tag(one: str, other: str) -> bool:
    """Whether two tags are the same tag (BCP 47 tags are case-insensitive)."""
    return one.casefold() == other.casefold()


def _lookup(wish: str, available: Sequence[str]) -> str | None:
    """RFC 4647 §3.4 lookup: the wish, then shorter and shorter prefixes of it."""
    subtags = wish.casefold().split("-")
    while subtags:
        candidate = "-".join(subtags)
        for tag in available:
            if tag.casefold() == candidate:
                return tag
        subtags.pop()
        # A single-letter subtag (an extension's or private use's singleton) is never
        # left at the end of a shortened range.
        if subtags and len(subtags[-1]) == 1:
            subtags.pop()
    return None


def _likely(wish: str) -> str | None:
    """The wish written with its likely script and region (`zh-CN` → `zh-Hans-CN`)."""
    try:
        language = langcodes.Language.get(wish)
        return str(language.maximize().to_tag()) if language.language else None
    except (ValueError, LookupError):
        return None


def _filtered(wish: str, available: Sequence[str]) -> str | None:
    """RFC 4647 §3.3.1 basic filtering: the first tag the wish is a prefix of."""
    prefix = wish.casefold()
    for tag in available:
        if tag.casefold() == prefix or tag.casefold().startswith(prefix + "-"):
            return tag
    return None


def match_language(wish: str, available: Sequence[str]) -> str | None:
    """The KB language that serves a reader who asks for `wish` (None: none does).

    >>> match_language("zh-CN", ["en", "zh-Hans"])
    'zh-Hans'
    >>> match_language("en-GB", ["en", "zh-Hans"])
    'en'
    >>> match_language("fr", ["en", "zh-Hans"]) is None
    True
    """
    if wish == "*":  # any language: the first, the KB's default
        return available[0] if available else None
    found = _lookup(wish, available)
    if found is None and (likely := _likely(wish)) is not None:
        found = _lookup(likely, available)
    return found if found is not None else _filtered(wish, available)


_RANGE = re.compile(r"^(\*|[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*)$")
_QUALITY = re.compile(r"^[qQ]=(0(\.\d{0,3})?|1(\.0{0,3})?)$")


def accepted_ranges(header: str) -> list[str]:
    """The language ranges of an `Accept-Language` header (RFC 9110 §12.5.4), best
    first (equal weights keep their order); ranges weighted 0 and malformed ones are
    left out.

    >>> accepted_ranges("fr;q=0.5, zh-CN, en;q=0.8, de;q=0")
    ['zh-CN', 'en', 'fr']
    """
    weighted: list[tuple[float, int, str]] = []
    for position, part in enumerate(header.split(",")):
        pieces = [piece.strip() for piece in part.split(";")]
        if not pieces[0] or not _RANGE.match(pieces[0]):
            continue
        quality = 1.0
        for parameter in pieces[1:]:
            quality = float(parameter[2:]) if _QUALITY.match(parameter) else -1.0
        if quality > 0:
            weighted.append((-quality, position, pieces[0]))
    return [language for _, _, language in sorted(weighted)]


def negotiate(header: str, available: Sequence[str]) -> str | None:
    """The KB language an `Accept-Language` header asks for (None: none it can serve)."""
    for wish in accepted_ranges(header):
        found = match_language(wish, available)
        if found is not None:
            return found
    return None


def choose_language(wish: str, available: Sequence[str]) -> str:
    """The KB language asked for by `wish`, a BCP 47 tag (`zh`, `zh-CN`, `zh-Hans`);
    raises `UnknownLanguageError` for a tag that is not valid or that no language of
    the KB serves.

    >>> choose_language("zh", ["en", "zh-Hans"])
    'zh-Hans'
    """
    if not isinstance(wish, str) or not is_valid_tag(wish):
        raise UnknownLanguageError(
            f"{wish!r} is not a valid BCP 47 language tag (e.g. `en`, `zh-Hans`); "
            f"this KB speaks {', '.join(available)}"
        )
    found = match_language(wish, available)
    if found is None:
        raise UnknownLanguageError(
            f"this KB does not speak `{wish}`: it speaks {', '.join(available)}"
        )
    return found
