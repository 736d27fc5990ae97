"""Writing the rows of `audit list` as Parquet, for analysts' tools (optional pyarrow:
`pip install 'healthkb[parquet]'`)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from .chain import AuditLogError
from .queries import LISTED_FIELDS, Listed

try:
    import pyarrow
    import pyarrow.parquet
except ImportError:  # the optional extra `healthkb[parquet]`
    pyarrow = None


def write_parquet(rows: Iterable[Listed], path: Path) -> int:
    """Write the rows to a Parquet file (conclusions as a list column); how many."""
    if pyarrow is None:
        raise AuditLogError("Parquet export needs pyarrow: pip install 'healthkb[parquet]'")
    data = [row.to_dict() for row in rows]
    columns = {name: [row[name] for row in data] for name in LISTED_FIELDS}
    table = pyarrow.table(columns)
    pyarrow.parquet.write_table(table, path)
    return len(data)
