"""Reading a KB folder into validated content, atomically: all problems, or nothing.

`read_content(root)` reads every file, validates each against its model, runs the
cross-file checks and either returns a complete `KBContent` or raises one `KBError`
listing every problem found, sorted by place. The steps are modules of their own:
`reading.py` (files into located models), `checking.py` (checks across files) and
`assembly.py` (the content, its digest and changes).
"""

from __future__ import annotations

from pathlib import Path

from ...errors import KBError
from .assembly import assemble
from .checking import check_files
from .collector_pause import collection_paused
from .kb_content import CheckedContent, KBContent
from .reading import read_files, refusal


def bundled_root() -> Path:
    """The folder holding the bundled KB: inside the wheel, or the source checkout."""
    package = Path(__file__).resolve().parents[2]  # healthkb/, above content/loading/
    installed = package / "_bundled"
    if (installed / "kb" / "kb.yaml").is_file():
        return installed
    return package.parent.parent


def read_content(root: str | Path | None = None, *, allow_links_outside: bool = False) -> KBContent:
    """Load and check the KB under `root` (a folder holding `kb/` and `rules/`).

    A file or folder of the KB that is a link leading outside `root` is a problem
    (`outside-kb`) and is not read, unless `allow_links_outside`."""
    checked = check_content(root, allow_links_outside=allow_links_outside)
    if checked.problems or checked.content is None:
        raise KBError(checked.problems, root=root if root is not None else bundled_root())
    return checked.content


def check_content(
    root: str | Path | None = None, *, allow_links_outside: bool = False
) -> CheckedContent:
    """Check the KB under `root`: every problem at once, and what content could be read
    (links out of `root`: see `read_content`)."""
    base = Path(root) if root is not None else bundled_root()
    refused = refusal(base)
    if refused is not None:
        return CheckedContent(None, [refused])
    with collection_paused():
        read = read_files(base, links_outside=allow_links_outside)
        return assemble(base, read, check_files(read))
