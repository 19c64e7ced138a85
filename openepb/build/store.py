"""The one DuckDB file every later stage reads: records, duplicates, rejects, problems, files, offices.

Rows are buffered column-wise and written through Arrow in batches, so loading two million records
costs seconds, not a row-at-a-time INSERT per record. The database is built under a temporary name
and renamed into place only when complete.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from openepb.contract.tables import ARROW_TYPES, STORE_TABLES, ddl

BATCH_ROWS = 50_000  # rows held as Python objects before a flush: bounds the build's memory


class ColumnBuffer:
    """Column-wise rows for one table, flushed to DuckDB through Arrow."""

    def __init__(self, name: str, columns: Sequence[tuple[str, str]]) -> None:
        self.name = name
        self.columns = columns
        self.data: dict[str, list[Any]] = {c: [] for c, _ in columns}
        self.size = 0

    def append(self, row: dict[str, Any]) -> None:
        for column, values in self.data.items():
            values.append(row.get(column))
        self.size += 1

    def to_arrow(self) -> pa.Table:
        arrays = [pa.array(self.data[c], type=ARROW_TYPES[t]) for c, t in self.columns]
        return pa.Table.from_arrays(arrays, names=[c for c, _ in self.columns])

    def clear(self) -> None:
        for values in self.data.values():
            values.clear()
        self.size = 0


class StoreWriter:
    """Builds the database under a temporary name; :meth:`close` renames it into place."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.tmp_path = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        path.parent.mkdir(parents=True, exist_ok=True)
        self.tmp_path.unlink(missing_ok=True)
        self.con = duckdb.connect(str(self.tmp_path))
        for table in STORE_TABLES:
            self.con.execute(ddl(table))
        self.buffers = {table: ColumnBuffer(table, columns) for table, columns in STORE_TABLES.items()}

    def add(self, table: str, row: dict[str, Any]) -> None:
        buffer = self.buffers[table]
        buffer.append(row)
        if buffer.size >= BATCH_ROWS:
            self._flush(buffer)

    def add_many(self, table: str, rows: Iterable[dict[str, Any]]) -> None:
        for row in rows:
            self.add(table, row)

    def _flush(self, buffer: ColumnBuffer) -> None:
        if not buffer.size:
            return
        arrow = buffer.to_arrow()  # noqa: F841 - referenced by name in the SQL below
        self.con.execute(f"INSERT INTO {buffer.name} SELECT * FROM arrow")
        buffer.clear()

    def set_meta(self, meta: dict[str, Any]) -> None:
        self.con.execute(ddl("meta"))
        self.con.executemany(
            "INSERT INTO meta VALUES (?, ?)",
            [(k, json.dumps(v, ensure_ascii=False)) for k, v in meta.items()],
        )

    def flush(self) -> None:
        """Write every buffered row, so later stages of the build can query the tables."""
        for buffer in self.buffers.values():
            self._flush(buffer)

    def close(self) -> None:
        self.flush()
        self.con.execute("CHECKPOINT")
        self.con.close()
        os.replace(self.tmp_path, self.path)

    def abort(self) -> None:
        self.con.close()
        self.tmp_path.unlink(missing_ok=True)


def connect(path: Path, read_only: bool = True) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(path), read_only=read_only)
