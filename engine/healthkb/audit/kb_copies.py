"""The KB releases an audit store keeps: what answered its records, with no checkout.

A record names the KB that answered it by id, version and digest, and carries its
explanations (rules, quotes, statements), but not the articles' full texts that the
explanation page highlights the passages in. So every store also keeps, once per KB
digest, the files that KB was loaded from (its `kb/*.yaml`, sources and rules: what
loading needs, as a worker process is shipped them), written by the first writer that
appends a record answered by that KB. `audit show --format html` loads that copy,
checks that it gives the record's digest, and renders the page: no checkout needed.

A copy is data like any other in the store: whoever can write the store can replace
it, which is why the digest is checked when the copy is loaded (a copy that does not
give the record's digest is refused, never shown). Records written before a store
kept copies, or copied by an older healthkb, name a release the store does not hold:
`audit show` then needs `--kb` of that release.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from ..runtime.shipment import KBShipment, pack
from .chain import AuditLogError, canonical

if TYPE_CHECKING:
    from ..content.loading.kb_content import KBContent


def kb_copy(content: KBContent) -> bytes:
    """The files of a KB as one canonical JSON object: `{"digest", "files": {path: text}}`."""
    shipment = pack(content.root, content.digest, 0)
    try:
        files = {name: data.decode("utf-8") for name, data in shipment.files}
    except UnicodeDecodeError:
        raise AuditLogError(
            f"KB {content.digest}: a file of it is not UTF-8 text; not kept in the store"
        ) from None
    return canonical({"digest": content.digest, "files": files})


def shipment_of(copy: bytes, digest: str) -> KBShipment:
    """A kept copy as a shipment to unpack and load (its digest checked by the loader)."""
    try:
        data = json.loads(copy)
        files = tuple(
            (str(name), str(text).encode("utf-8")) for name, text in sorted(data["files"].items())
        )
    except (ValueError, KeyError, TypeError, AttributeError):
        raise AuditLogError(f"the store's copy of KB {digest} is damaged") from None
    if data.get("digest") != digest:
        raise AuditLogError(f"the store's copy of KB {digest} names another digest")
    return KBShipment(files, digest, 0)
