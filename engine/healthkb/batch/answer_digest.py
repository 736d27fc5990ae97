"""Each output line carries the digest of its own answer, so `--resume` keeps only
answers that are as written.

An output line is the answer's compact JSON with one last key, `answer_digest`: the
SHA-256 of the answer's JSON bytes without that key (`{...}` as written, up to the
`,"answer_digest"` that follows). An answer edited after it was written (by hand, a
script, a disk) no longer matches, and `--resume` refuses the output rather than keep
it. It guards against accidents, not against someone who recomputes the digest: that
is what the audit log's signed chain is for.
"""

from __future__ import annotations

import hashlib
import re

KEY = "answer_digest"
_SEALED = re.compile(rb'(\{.*),"answer_digest":"sha256:([0-9a-f]{64})"\}\n', re.DOTALL)


def sealed(answer: bytes) -> bytes:
    """The output line of `answer` (compact JSON of an object, without a newline)."""
    digest = hashlib.sha256(answer).hexdigest()
    return answer[:-1] + f',"{KEY}":"sha256:{digest}"}}\n'.encode("ascii")


def intact(line: bytes) -> bool:
    """Whether an output line (with its newline) holds its answer as written."""
    found = _SEALED.fullmatch(line)
    if found is None:
        return False
    answer = found.group(1) + b"}"
    return hashlib.sha256(answer).hexdigest() == found.group(2).decode("ascii")
