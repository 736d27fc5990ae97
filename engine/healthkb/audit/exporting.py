"""Writing the rows of `audit list` as Parquet, for analysts' tools (optional pyarrow:
`pip install 'healthkb[parquet]'`)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ..files.on_demand import OnDemand, available
from .chain import AuditLogError
from .queries import LISTED_FIELDS, Listed


def _import_pyarrow() -> Any:
    import pyarrow  # the optional extra `healthkb[parquet]`
    import pyarrow.parquet

    return pyarrow


# Imported by the first Parquet export: `audit list` without it skips its cost.
pyarrow: Any = OnDemand(_import_pyarrow)


def write_parquet(rows: Iterable[Listed], path: Path) -> int:
    """Write the rows to a Parquet file (conclusions as a list column); how many."""
    if not available(pyarrow):
        raise AuditLogError("Parquet export needs pyarrow: pip install 'healthkb[parquet]'")
    data = [row.to_dict() for row in rows]
    columns = {name: [row[name] for row in data] for name in LISTED_FIELDS}
    table = pyarrow.table(columns)
    pyarrow.parquet.write_table(table, path)
    return len(data)
