"""Every table of the store, declared once: its columns and their SQL types.

The build, the resolver and the exclusions write these tables, later stages read them and the
docs' data dictionary is made from them; no other module declares a column of the store.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import duckdb
import pyarrow as pa

from openepb.contract.fields import RECORD_FIELDS

Columns = tuple[tuple[str, str], ...]

ARROW_TYPES = {
    "VARCHAR": pa.string(),
    "DATE": pa.date32(),
    "SMALLINT": pa.int16(),
    "INTEGER": pa.int32(),
    "BIGINT": pa.int64(),
    "BOOLEAN": pa.bool_(),
    "DOUBLE": pa.float64(),
}

FILE_KINDS = ("title", "header", "colnum", "blank", "section", "total", "footer", "no_header", "exclusion")

STORE_TABLES: dict[str, Columns] = {
    "records": tuple((f.name, f.sql_type) for f in RECORD_FIELDS),
    "duplicates": (
        ("reg_number", "VARCHAR"),
        ("source_file", "VARCHAR"),
        ("source_table", "VARCHAR"),
        ("source_row", "INTEGER"),
        ("first_file", "VARCHAR"),
        ("first_table", "VARCHAR"),
        ("first_row", "INTEGER"),
        ("differs", "VARCHAR"),
    ),
    # Staging for duplicates: their values, compared with the first occurrence in SQL at the end of the
    # build, so the pipeline never holds the records it has seen in memory.
    "duplicate_values": (
        ("seq", "BIGINT"),
        ("reg_number", "VARCHAR"),
        ("source_file", "VARCHAR"),
        ("source_table", "VARCHAR"),
        ("source_row", "INTEGER"),
        *((f.name, f.sql_type) for f in RECORD_FIELDS if f.source and f.name != "reg_number"),
    ),
    "rejects": (
        ("source_file", "VARCHAR"),
        ("source_table", "VARCHAR"),
        ("source_row", "INTEGER"),
        ("reason", "VARCHAR"),
        ("message", "VARCHAR"),
        ("cells", "VARCHAR"),
    ),
    "problems": (
        ("code", "VARCHAR"),
        ("level", "VARCHAR"),
        ("source_file", "VARCHAR"),
        ("source_table", "VARCHAR"),
        ("source_row", "INTEGER"),
        ("field", "VARCHAR"),
        ("value", "VARCHAR"),
        ("detail", "VARCHAR"),
        ("message", "VARCHAR"),
    ),
    "files": (
        ("path", "VARCHAR"),
        ("office_code", "VARCHAR"),
        ("sha256", "VARCHAR"),
        ("size", "BIGINT"),
        ("format", "VARCHAR"),
        ("status", "VARCHAR"),
        ("message", "VARCHAR"),
        ("same_as", "VARCHAR"),
        ("rows_in", "INTEGER"),
        ("records", "INTEGER"),
        ("duplicates", "INTEGER"),
        ("rejects", "INTEGER"),
        *((kind, "INTEGER") for kind in FILE_KINDS),
    ),
    "offices": (
        ("code", "VARCHAR"),
        ("name", "VARCHAR"),
        ("short", "VARCHAR"),
        ("district", "VARCHAR"),
        ("district_name", "VARCHAR"),
        ("district_short", "VARCHAR"),
    ),
}

ORGANIZATION_COLUMNS: Columns = (
    ("id", "VARCHAR"),
    ("role", "VARCHAR"),
    ("display_name", "VARCHAR"),
    ("licence_number", "VARCHAR"),
    ("licence_status", "VARCHAR"),
    ("licence_date", "DATE"),
    ("licence_name", "VARCHAR"),
    ("inn", "VARCHAR"),
    ("records", "BIGINT"),
    ("spellings", "VARCHAR"),
    ("offices", "VARCHAR"),
    ("name_key", "VARCHAR"),
    ("marks", "VARCHAR"),
    ("inns", "VARCHAR"),
    ("predecessor_id", "VARCHAR"),
    ("successor_id", "VARCHAR"),
    ("evidence", "VARCHAR"),
)
CANDIDATE_COLUMNS: Columns = (
    ("role", "VARCHAR"),
    ("id_a", "VARCHAR"),
    ("name_a", "VARCHAR"),
    ("id_b", "VARCHAR"),
    ("name_b", "VARCHAR"),
    ("score", "DOUBLE"),
    ("reason", "VARCHAR"),
    ("kind", "VARCHAR"),
    ("key_a", "VARCHAR"),
    ("key_b", "VARCHAR"),
    ("marks_a", "VARCHAR"),
    ("marks_b", "VARCHAR"),
    ("inn_a", "VARCHAR"),
    ("inn_b", "VARCHAR"),
    ("licence_a", "VARCHAR"),
    ("licence_b", "VARCHAR"),
)

#: Exclusions whose conclusion is not among the records (kept, exported, never dropped).
UNMATCHED_COLUMNS: Columns = (
    ("reg_number", "VARCHAR"),
    ("excluded_date", "DATE"),
    ("exclusion_reason", "VARCHAR"),
    ("office_code", "VARCHAR"),
    ("source_file", "VARCHAR"),
    ("source_row", "INTEGER"),
)

META_COLUMNS: Columns = (("key", "VARCHAR"), ("value", "VARCHAR"))

#: Every table of the store, in the order the docs list them.
TABLES: dict[str, Columns] = {
    **STORE_TABLES,
    "organizations": ORGANIZATION_COLUMNS,
    "merge_candidates": CANDIDATE_COLUMNS,
    "exclusions_unmatched": UNMATCHED_COLUMNS,
    "meta": META_COLUMNS,
}


#: The row order of each table's export: the exports write it and pages that point at a row of an
#: export (the quality page's reject examples) count rows in it.
EXPORT_ORDER: dict[str, str] = {
    "records": "office_code, reg_number",
    "rejects": "source_file, source_table, source_row",
    "organizations": "id",
    "exclusions_unmatched": "office_code, reg_number",
    "merge_candidates": "role, id_a, id_b",
}


def has_table(con: duckdb.DuckDBPyConnection, name: str, *, database: str | None = None) -> bool:
    """Whether the store (or the attached ``database``) holds the table: a store built by an older
    version, or by a partial build in tests, may lack the resolver's and the exclusions' tables."""
    sql = "SELECT count(*) FROM duckdb_tables() WHERE table_name = ?"
    params = [name]
    if database is not None:
        sql += " AND database_name = ?"
        params.append(database)
    return bool(con.execute(sql, params).fetchone()[0])


def ddl(name: str, *, if_not_exists: bool = False) -> str:
    """The CREATE TABLE statement of one declared table."""
    cols = ", ".join(f'"{c}" {t}' for c, t in TABLES[name])
    return f"CREATE TABLE {'IF NOT EXISTS ' if if_not_exists else ''}{name} ({cols})"


def create_table(con: duckdb.DuckDBPyConnection, name: str, *, replace: bool = False) -> None:
    if replace:
        con.execute(f"DROP TABLE IF EXISTS {name}")
    con.execute(ddl(name, if_not_exists=not replace))


def arrow_table(name: str, rows: Iterable[Mapping[str, Any]]) -> pa.Table:
    """Rows of a declared table as Arrow, typed by its declaration."""
    rows = list(rows)
    columns = TABLES[name]
    return pa.Table.from_arrays(
        [pa.array([r.get(c) for r in rows], type=ARROW_TYPES[t]) for c, t in columns],
        names=[c for c, _ in columns],
    )
