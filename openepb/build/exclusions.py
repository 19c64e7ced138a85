"""Exclusion lists: conclusions an office has excluded from the register (исключённые сведения).

Some offices publish a full register with «Дата исключения» / «Основание исключения» columns: the
normalizer maps them into the record's own fields and nothing here is needed. Others publish a
separate list of excluded conclusions: a table whose header maps the registration number and an
exclusion column, and none of the columns a register row has (date of entry, applicant, expert
organization, object, licence). Such a table is an *exclusion list*: its rows are not records but
marks on records, applied after every file is read. Records are never deleted; an exclusion whose
record was never seen is kept in ``exclusions_unmatched``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

import duckdb
import pyarrow as pa

from openepb.contract.tables import create_table
from openepb.normalize.rows import FileResult

#: Row kind given to the data rows of an exclusion list.
EXCLUSION_KIND = "exclusion"
#: Fields only an exclusion column maps.
EXCLUSION_FIELDS = frozenset({"excluded_date", "exclusion_reason"})
#: Fields of a register row; a table that maps any of them is a register, not an exclusion list.
REGISTER_FIELDS = frozenset(
    {"date_registered", "applicant_name", "expert_org_name", "object_name", "licence_number"}
)


@dataclass(frozen=True, slots=True)
class Exclusion:
    reg_number: str  # canonical
    excluded_date: date | None
    exclusion_reason: str | None
    office_code: str | None = None
    source_file: str | None = None
    source_row: int | None = None


@dataclass
class ExclusionReport:
    marked: int = 0  # records that got an exclusion date or reason
    unmatched: int = 0  # exclusions whose registration number is not among the records
    repeated: int = 0  # exclusions of a number already listed earlier (first one wins)
    unmatched_numbers: list[str] = field(default_factory=list)


def is_exclusion_table(fields: Iterable[str]) -> bool:
    """A header that maps the number and an exclusion column, and no register column."""
    mapped = set(fields)
    return "reg_number" in mapped and bool(mapped & EXCLUSION_FIELDS) and not (mapped & REGISTER_FIELDS)


def exclusion_tables(result: FileResult) -> set[str]:
    """Names of the tables of a normalized file that are exclusion lists."""
    return {table for table, columns in result.headers.items() if is_exclusion_table(columns.values())}


def split_exclusions(
    result: FileResult, office_code: str, source_file: str
) -> tuple[FileResult, list[Exclusion]]:
    """The data rows of exclusion tables, as exclusions; the result is changed in place.

    The pipeline calls this before deduplication. Each exclusion row's kind becomes ``exclusion``,
    so it never becomes a record nor a duplicate, yet is still counted in the file's rows in.
    """
    tables = exclusion_tables(result)
    if not tables:
        return result, []
    found = []
    for row in result.rows:
        if row.kind == "data" and row.table in tables and row.values:
            found.append(
                Exclusion(
                    reg_number=str(row.values["reg_number"]),
                    excluded_date=row.values.get("excluded_date"),  # type: ignore[arg-type]
                    exclusion_reason=row.values.get("exclusion_reason"),  # type: ignore[arg-type]
                    office_code=office_code,
                    source_file=source_file,
                    source_row=row.row,
                )
            )
            row.kind = EXCLUSION_KIND
    return result, found


def apply_exclusions(con: duckdb.DuckDBPyConnection, exclusions: Iterable[Exclusion]) -> ExclusionReport:
    """Mark matching records excluded; keep the rest in ``exclusions_unmatched``.

    A value the record already has (from an exclusion column of the register itself) is kept; the
    first exclusion of a number wins over later ones.
    """
    report = ExclusionReport()
    first: dict[str, Exclusion] = {}
    for item in exclusions:
        if item.reg_number in first:
            report.repeated += 1
        else:
            first[item.reg_number] = item
    create_table(con, "exclusions_unmatched")
    rows = list(first.values())
    table = pa.table(
        {
            "reg_number": pa.array([e.reg_number for e in rows], pa.string()),
            "excluded_date": pa.array([e.excluded_date for e in rows], pa.date32()),
            "exclusion_reason": pa.array([e.exclusion_reason for e in rows], pa.string()),
            "office_code": pa.array([e.office_code for e in rows], pa.string()),
            "source_file": pa.array([e.source_file for e in rows], pa.string()),
            "source_row": pa.array([e.source_row for e in rows], pa.int32()),
        }
    )
    con.register("_exclusions_arrow", table)
    con.execute("CREATE OR REPLACE TEMP TABLE _exclusions AS SELECT * FROM _exclusions_arrow")
    con.unregister("_exclusions_arrow")
    report.marked = con.execute(
        """UPDATE records SET
               excluded_date = coalesce(records.excluded_date, x.excluded_date),
               exclusion_reason = coalesce(records.exclusion_reason, x.exclusion_reason)
           FROM _exclusions x WHERE records.reg_number = x.reg_number"""
    ).fetchone()[0]
    unmatched = "SELECT * FROM _exclusions x WHERE NOT EXISTS (SELECT 1 FROM records r WHERE r.reg_number = x.reg_number)"
    report.unmatched_numbers = [
        r[0] for r in con.execute(f"SELECT reg_number FROM ({unmatched}) ORDER BY 1").fetchall()
    ]
    report.unmatched = len(report.unmatched_numbers)
    con.execute(f"INSERT INTO exclusions_unmatched {unmatched}")
    con.execute("DROP TABLE _exclusions")
    return report
