"""Data quality and freshness per office: how late, incomplete and inconsistent each publication is.

Everything is computed from the built store (and, for a harvest build, the harvester's
``freshness.json``), so the numbers on the site, in ``exports/quality.csv`` and in the demo truth
agree by construction. Definitions are in ``docs/quality.md``.
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import yaml

from openepb.contract import labels
from openepb.contract.fields import SOURCE_FIELDS
from openepb.contract.sources import SCHEMA_DIR, load_sources
from openepb.contract.tables import EXPORT_ORDER, has_table
from openepb.fileio import atomic_path

#: An office whose newest registration date is more than this many days older than the reference
#: date has stopped publishing (stale); more than LATE_DAYS, it publishes late.
STALE_DAYS = 180
LATE_DAYS = 45
PUBLICATION_TITLES = dict(labels.section("publication"))
#: Fill figures: a record counts for ``contacts`` when any contact part of either party is filled.
CONTACT_FIELDS: tuple[str, ...] = tuple(
    f"{party}_{part}"
    for party in ("applicant", "expert_org")
    for part in ("address", "head", "phone", "fax", "email")
)
FILL_FIELDS: tuple[str, ...] = ("licence_number", "expert_certificate", "contacts", "applicant_inn")
FILL_TITLES = dict(labels.section("fill_field"))
#: Source fields no office's column can make worth counting: the exclusion fields exist for a few
#: records only, so their absence says nothing about a publication.
NOT_COUNTED_FIELDS = frozenset({"excluded_date", "exclusion_reason"})


def _publishable_fields() -> tuple[str, ...]:
    """Fields of the unified schema an office can publish: those a column header maps to
    (schema/headers.yaml). Provenance such as ``reg_number_published`` (the source's spelling of
    the number) is no column, so it is not counted."""
    targets = yaml.safe_load((SCHEMA_DIR / "headers.yaml").read_text(encoding="utf-8"))["fields"]
    return tuple(name for name in SOURCE_FIELDS if name in targets and name not in NOT_COUNTED_FIELDS)


PUBLISHABLE_FIELDS: tuple[str, ...] = _publishable_fields()
#: Files whose format is reported: those that were read (a broken file's format is unknown).
READ_STATUSES: tuple[str, ...] = ("ok", "page", "same_content", "mapping_suspect")
#: What the site and quality.csv say about whose data an office's records are (see Verdict.status).
DATA_STATUS_TITLES = dict(labels.section("data_status"))
#: Statuses of the files table that are no problem code (the others are codes of schema/problems.yaml).
FILE_STATUS_TITLES = dict(labels.section("file_status"))
#: What an office publishes of excluded conclusions (offices.yaml ``exclusions``), as the pages say it.
EXCLUSION_TITLES = dict(labels.section("exclusions"))
#: The harvest's status of an office (freshness.json), as the pages say it.
HARVEST_TITLES = {k: v for k, v in labels.section("harvest_status").items() if k != "none"}
REJECT_EXAMPLES = 3
NOT_HARVESTED = "не собиралось с сайта"
QUALITY_CSV = "quality.csv"


@dataclass(frozen=True)
class RejectExample:
    source_file: str
    source_table: str | None
    source_row: int | None
    csv_row: int | None  # record number in exports/rejects.csv, the header being row 1 (RFC 7111)


@dataclass
class OfficeQuality:
    code: str
    name: str
    harvest_status: str | None = None  # ok | stale | cached; None: not harvested
    last_success: str | None = None
    harvest_stale: bool | None = None
    last_changed: str | None = None  # the harvest that first saw the office's newest file content
    harvest_problems: list[str] = field(default_factory=list)  # broken links; the office stays fresh
    exclusions: str = "unknown"  # what it publishes of excluded conclusions (sources/offices.yaml)
    files: int = 0
    formats: list[str] = field(default_factory=list)
    file_statuses: dict[str, int] = field(default_factory=dict)
    rows_in: int = 0
    records: int = 0
    duplicates: int = 0
    rejects: int = 0
    rejects_by_reason: dict[str, int] = field(default_factory=dict)
    warnings_by_code: dict[str, int] = field(default_factory=dict)  # kept records' doubted values
    reject_examples: dict[str, list[RejectExample]] = field(default_factory=dict)
    first_date: date | None = None
    newest_date: date | None = None
    lag_days: int | None = None
    publication: str = "none"
    gaps: list[str] = field(default_factory=list)
    filled: dict[str, int] = field(default_factory=dict)
    fields_published: list[str] = field(default_factory=list)
    valid_records: int = 0
    data_status: str = "new"  # new | previous (held back, last good records) | none (held back, none)
    held_back_reason: str | None = None
    suspects: list[str] = field(
        default_factory=list
    )  # mapping_suspect messages: file, table, header, mapping

    @property
    def harvest_note(self) -> str:
        return self.harvest_status or NOT_HARVESTED

    @property
    def harvest_title(self) -> str:
        """The harvest status in words, for the pages (quality.csv keeps the status itself)."""
        if self.harvest_status is None:
            return labels.label("none", "harvest_status")
        return HARVEST_TITLES.get(self.harvest_status, self.harvest_status)

    @property
    def held_back(self) -> bool:
        return self.data_status != "new"

    @property
    def data_note(self) -> str:
        """«данные прошлой сборки: <why>» for an office held back, «новые данные» otherwise."""
        title = DATA_STATUS_TITLES[self.data_status]
        return f"{title}: {self.held_back_reason}" if self.held_back_reason else title

    def share(self, name: str) -> float | None:
        return self.filled.get(name, 0) / self.records if self.records else None

    @property
    def fields_share(self) -> float:
        return len(self.fields_published) / len(PUBLISHABLE_FIELDS)

    @property
    def valid_share(self) -> float | None:
        return self.valid_records / self.records if self.records else None

    @property
    def conformance(self) -> float | None:
        """Mean of the share of records that fit the XSD types and the share of schema fields
        published, in percent with one decimal; None for an office without records."""
        if not self.records:
            return None
        return round(50 * (self.valid_share + self.fields_share), 1)


# ---------------------------------------------------------------------------------------------
# Months and lateness (shared with the demo generator's truth)


def months_between(first: date | None, last: date | None) -> list[str]:
    """Every ``YYYY-MM`` from the month of ``first`` to that of ``last``, both included."""
    if first is None or last is None:
        return []
    months, year, month = [], first.year, first.month
    while (year, month) <= (last.year, last.month):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def gap_months(seen: set[str], span: list[str]) -> list[str]:
    """Months of the span in which nothing was registered."""
    return [month for month in span if month not in seen]


def publication_status(lag_days: int | None) -> str:
    if lag_days is None:
        return "none"
    if lag_days > STALE_DAYS:
        return "stale"
    return "late" if lag_days > LATE_DAYS else "current"


def newest_registration_date(db_path: Path) -> date | None:
    """The demo's reference date: the newest registration date over all offices."""
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        return con.execute("SELECT max(date_registered) FROM records").fetchone()[0]
    finally:
        con.close()


# ---------------------------------------------------------------------------------------------
# Reading the store


def _office_of_file(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    return dict(con.execute("SELECT path, office_code FROM files WHERE office_code IS NOT NULL").fetchall())


def held_back(con: duckdb.DuckDBPyConnection) -> dict[str, dict[str, Any]]:
    """The offices the build held back (``meta`` key ``held_back``, written by the pipeline)."""
    if not has_table(con, "meta"):
        return {}
    row = con.execute("SELECT value FROM meta WHERE key = 'held_back'").fetchone()
    return json.loads(row[0]) if row else {}


def _office_list(con: duckdb.DuckDBPyConnection) -> dict[str, OfficeQuality]:
    codes = {
        code
        for (code,) in con.execute(
            """SELECT office_code FROM files WHERE office_code IS NOT NULL
               UNION SELECT office_code FROM records WHERE office_code IS NOT NULL"""
        ).fetchall()
    }
    codes |= set(held_back(con))  # an office held back with neither files nor records is listed too
    names: dict[str, str] = {}
    if has_table(con, "offices"):
        names = dict(con.execute("SELECT code, coalesce(name, short, code) FROM offices").fetchall())
    return {code: OfficeQuality(code, names.get(code, code)) for code in sorted(codes)}


def _add_files(con: duckdb.DuckDBPyConnection, offices: dict[str, OfficeQuality]) -> None:
    rows = con.execute(
        """SELECT office_code, count(*),
                  list(DISTINCT format ORDER BY format) FILTER (status IN (SELECT unnest(?))),
                  sum(coalesce(rows_in, 0)), sum(coalesce(duplicates, 0))
           FROM files WHERE office_code IS NOT NULL GROUP BY 1""",
        [list(READ_STATUSES)],
    ).fetchall()
    for code, files, formats, rows_in, duplicates in rows:
        office = offices[code]
        office.files, office.rows_in, office.duplicates = files, int(rows_in), int(duplicates)
        office.formats = [f for f in formats or [] if f]
    for code, status, n in con.execute(
        "SELECT office_code, status, count(*) FROM files WHERE office_code IS NOT NULL GROUP BY 1, 2 ORDER BY 1, 3 DESC, 2"
    ).fetchall():
        offices[code].file_statuses[status or ""] = n


def _add_rejects(con: duckdb.DuckDBPyConnection, offices: dict[str, OfficeQuality]) -> None:
    for code, reason, n in con.execute(
        """SELECT f.office_code, r.reason, count(*) FROM rejects r JOIN files f ON f.path = r.source_file
           WHERE f.office_code IS NOT NULL GROUP BY 1, 2 ORDER BY 1, 3 DESC, 2"""
    ).fetchall():
        offices[code].rejects_by_reason[reason] = n
        offices[code].rejects += n


def _add_warnings(con: duckdb.DuckDBPyConnection, offices: dict[str, OfficeQuality]) -> None:
    """Warnings per code (an unlisted object code, a bad ИНН, a header the contents overruled, …)."""
    for code, problem, n in con.execute(
        """SELECT f.office_code, p.code, count(*) FROM problems p JOIN files f ON f.path = p.source_file
           WHERE p.level = 'warning' AND f.office_code IS NOT NULL GROUP BY 1, 2 ORDER BY 1, 3 DESC, 2"""
    ).fetchall():
        if code in offices:
            offices[code].warnings_by_code[problem] = n


def _add_dates(
    con: duckdb.DuckDBPyConnection, offices: dict[str, OfficeQuality], reference: date | None
) -> None:
    rows = con.execute(
        """SELECT office_code, count(*), min(date_registered), max(date_registered),
                  list(DISTINCT strftime(date_registered, '%Y-%m')) FILTER (date_registered IS NOT NULL)
           FROM records WHERE office_code IS NOT NULL GROUP BY 1"""
    ).fetchall()
    for code, records, first, last, months in rows:
        office = offices[code]
        office.records, office.first_date, office.newest_date = records, first, last
        office.gaps = gap_months(set(months or []), months_between(first, last))
        if reference is not None and last is not None:
            office.lag_days = (reference - last).days
        office.publication = publication_status(office.lag_days)


def _filled_sql(name: str) -> str:
    parts = CONTACT_FIELDS if name == "contacts" else (name,)
    test = " OR ".join(f"coalesce(CAST({p} AS VARCHAR), '') <> ''" for p in parts)
    return f"count(*) FILTER ({test})"


def _add_fields(con: duckdb.DuckDBPyConnection, offices: dict[str, OfficeQuality]) -> None:
    filled = ", ".join(_filled_sql(name) for name in FILL_FIELDS)
    published = ", ".join(
        f"count(*) FILTER (coalesce(CAST({n} AS VARCHAR), '') <> '')" for n in PUBLISHABLE_FIELDS
    )
    for row in con.execute(
        f"SELECT office_code, {filled}, {published} FROM records WHERE office_code IS NOT NULL GROUP BY 1"
    ).fetchall():
        office = offices[row[0]]
        office.filled = dict(zip(FILL_FIELDS, row[1 : 1 + len(FILL_FIELDS)], strict=True))
        counts = row[1 + len(FILL_FIELDS) :]
        office.fields_published = [n for n, c in zip(PUBLISHABLE_FIELDS, counts, strict=True) if c]


def _add_validity(con: duckdb.DuckDBPyConnection, offices: dict[str, OfficeQuality]) -> None:
    """Count the records whose every value fits its XSD simple type (patterns and code lists)."""
    from openepb.contract.xsd import field_codes, field_patterns, value_fits

    checked = sorted((set(field_patterns()) | set(field_codes())) & set(SOURCE_FIELDS + ("office_code",)))
    cursor = con.execute(
        f"SELECT office_code, {', '.join(checked)} FROM records WHERE office_code IS NOT NULL"
    )
    valid: Counter[str] = Counter()
    while batch := cursor.fetchmany(50_000):
        for code, *values in batch:
            if all(
                v is None or v == "" or value_fits(n, str(v)) for n, v in zip(checked, values, strict=True)
            ):
                valid[code] += 1
    for code, office in offices.items():
        office.valid_records = valid[code]


def _add_held_back(con: duckdb.DuckDBPyConnection, offices: dict[str, OfficeQuality]) -> None:
    for code, entry in held_back(con).items():
        office = offices[code]
        office.data_status, office.held_back_reason = entry["status"], entry["reason"]
    for code, message in con.execute(
        """SELECT f.office_code, p.message FROM problems p JOIN files f ON f.path = p.source_file
           WHERE p.code = 'mapping_suspect' AND f.office_code IS NOT NULL
           ORDER BY p.source_file, p.source_table"""
    ).fetchall():
        offices[code].suspects.append(message)


def _add_freshness(offices: dict[str, OfficeQuality], freshness: Path | None) -> None:
    if freshness is None or not freshness.exists():
        return
    data = json.loads(freshness.read_text(encoding="utf-8"))
    for code, entry in data.get("offices", {}).items():
        office = offices.get(code)
        if office is None:
            continue
        office.harvest_status = entry.get("status")
        office.last_success = entry.get("last_success")
        office.harvest_stale = entry.get("status") == "stale"
        office.last_changed = entry.get("last_changed")
        office.harvest_problems = [f"{p['url']}: {p['message']}" for p in entry.get("problems", [])]


def _add_exclusions(offices: dict[str, OfficeQuality]) -> None:
    for code, office in offices.items():
        known = load_sources().office(code)
        if known is not None:
            office.exclusions = known.exclusions


def exclusions_only(offices: list[OfficeQuality] | None = None) -> list[tuple[str, str]]:
    """(code, name) of every current office that publishes only exclusions, from offices.yaml."""
    return [(o.code, o.name) for o in load_sources().offices if o.current and o.exclusions == "only"]


def reject_examples(
    con: duckdb.DuckDBPyConnection, office_of_file: dict[str, str], per_reason: int = REJECT_EXAMPLES
) -> dict[str, dict[str, list[RejectExample]]]:
    """The first few rejects of every office and reason, with their line in ``rejects.csv``.

    Read from the store; the line is the reject's place in the export's declared order (line 1 is
    the header), so the page can point at the export without reading it.
    """
    examples: dict[str, dict[str, list[RejectExample]]] = {}
    rows = con.execute(
        f"""SELECT source_file, source_table, source_row, reason,
                   row_number() OVER (ORDER BY {EXPORT_ORDER["rejects"]}) + 1 AS line
            FROM rejects ORDER BY line"""
    ).fetchall()
    for source_file, source_table, source_row, reason, line in rows:
        code = office_of_file.get(source_file)
        found = examples.setdefault(code or "", {}).setdefault(reason, [])
        if code and len(found) < per_reason:
            found.append(RejectExample(source_file, source_table or None, source_row, line))
    return examples


REJECTS_DIR = "data/site/rejects"  # under the site: one JSON of rejected rows per office


def rejects_href(office_code: str, csv_row: int) -> str:
    """The page showing one row of ``rejects.csv`` (numbered as in the file, the header being row 1)."""
    return f"rejects.html?office={office_code}#row={csv_row}"


def write_office_rejects(rejects_csv: Path, office_of_file: dict[str, str], site_dir: Path) -> dict[str, int]:
    """``data/site/rejects/<office>.json`` for the rejects page: every rejected row of the office as
    ``[csv row, file, table, row, reason, reason title, message, cells]``; returns rows per office."""
    by_office: dict[str, list[list[Any]]] = {}
    if rejects_csv.exists():
        with rejects_csv.open(encoding="utf-8-sig", newline="") as stream:
            for number, row in enumerate(csv.DictReader(stream), start=2):
                code = office_of_file.get(row["source_file"])
                if not code:
                    continue
                try:
                    cells = json.loads(row.get("cells") or "[]")
                except json.JSONDecodeError:
                    cells = [row.get("cells")]
                by_office.setdefault(code, []).append(
                    [
                        number,
                        row["source_file"],
                        row.get("source_table") or None,
                        int(row["source_row"]) if row.get("source_row") else None,
                        row["reason"],
                        code_title(row["reason"]),
                        row.get("message") or "",
                        cells,
                    ]
                )
    folder = site_dir / REJECTS_DIR
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob("*.json"):
        if stale.stem not in by_office:
            stale.unlink()
    for code, rows in by_office.items():
        payload = json.dumps({"office": code, "rows": rows}, ensure_ascii=False, separators=(",", ":"))
        (folder / f"{code}.json").write_text(payload, encoding="utf-8")
    return {code: len(rows) for code, rows in by_office.items()}


def compute_quality(
    db_path: Path, *, freshness: Path | None, reference_date: date | None
) -> list[OfficeQuality]:
    """Quality figures of every office with files or records, in office code order.

    ``reference_date`` is the date lags are measured to: today for a harvest build, the newest
    registration date over all offices for the demo and ``--input`` builds
    (:func:`newest_registration_date`).
    """
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        offices = _office_list(con)
        _add_files(con, offices)
        _add_rejects(con, offices)
        _add_warnings(con, offices)
        _add_dates(con, offices, reference_date)
        _add_fields(con, offices)
        _add_validity(con, offices)
        _add_held_back(con, offices)
        examples = reject_examples(con, _office_of_file(con))
    finally:
        con.close()
    _add_freshness(offices, freshness)
    _add_exclusions(offices)
    for code, by_reason in examples.items():
        if code in offices:
            offices[code].reject_examples = {r: e for r, e in by_reason.items() if e}
    return list(offices.values())


# ---------------------------------------------------------------------------------------------
# Writing: exports/quality.csv and the site pages

CSV_COLUMNS: tuple[str, ...] = (
    "office_code",
    "office_name",
    "harvest_status",
    "last_success",
    "harvest_stale",
    "last_changed",
    "harvest_problems",
    "exclusions",
    "held_back",
    "data_status",
    "mapping_suspect",
    "files",
    "formats",
    "rows_in",
    "records",
    "duplicates",
    "rejects",
    "rejects_by_reason",
    "warnings_by_code",
    "first_date",
    "newest_date",
    "reference_date",
    "lag_days",
    "publication",
    "gap_months",
    "gaps",
    *(f"{name}_share" for name in FILL_FIELDS),
    "fields_published",
    "fields_share",
    "valid_share",
    "conformance",
)


def _share(value: float | None) -> str:
    return "" if value is None else f"{value:.4f}"


def csv_row(office: OfficeQuality, reference: date | None) -> list[Any]:
    iso = lambda d: d.isoformat() if d else ""  # noqa: E731
    return [
        office.code,
        office.name,
        office.harvest_note,
        office.last_success or "",
        "" if office.harvest_stale is None else str(office.harvest_stale).lower(),
        office.last_changed or "",
        "; ".join(office.harvest_problems),
        office.exclusions,
        str(office.held_back).lower(),
        office.data_note,
        len(office.suspects),
        office.files,
        " ".join(office.formats),
        office.rows_in,
        office.records,
        office.duplicates,
        office.rejects,
        "; ".join(f"{reason}: {n}" for reason, n in office.rejects_by_reason.items()),
        "; ".join(f"{code}: {n}" for code, n in office.warnings_by_code.items()),
        iso(office.first_date),
        iso(office.newest_date),
        iso(reference),
        "" if office.lag_days is None else office.lag_days,
        office.publication,
        len(office.gaps),
        " ".join(office.gaps),
        *(_share(office.share(name)) for name in FILL_FIELDS),
        " ".join(office.fields_published),
        _share(office.fields_share),
        _share(office.valid_share),
        "" if office.conformance is None else f"{office.conformance:.1f}",
    ]


def write_quality_csv(offices: list[OfficeQuality], path: Path, reference: date | None) -> int:
    """``quality.csv``: UTF-8 with BOM like the other CSV exports, one row per office."""
    with atomic_path(path) as tmp, tmp.open("w", encoding="utf-8-sig", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(CSV_COLUMNS)
        writer.writerows(csv_row(office, reference) for office in offices)
    return len(offices)


def office_page(code: str) -> str:
    return f"quality-{code}.html"


def code_title(code: str) -> str:
    """The Russian title of a file status, reject reason or warning code printed on the pages."""
    return labels.label(code)


def render_quality_pages(
    offices: list[OfficeQuality], site_dir: Path, reference: date | None, nav: list[tuple[str, str]] | None
) -> list[str]:
    """``quality.html`` (the national table) and ``quality-<office>.html`` per office."""
    from openepb.fileio import write_bytes_atomically
    from openepb.publish.site import PAGES, STATIC_DIR, asset_versions, environment

    env = environment()
    if nav is None:
        nav = [(out, label) for _, out, _, label in PAGES if label]
        if all(href != "quality.html" for href, _ in nav):
            nav.append(("quality.html", "Качество данных"))
    common = {
        "nav": nav,
        "versions": asset_versions(STATIC_DIR),
        "rank_path": "data/rank/",
        "site_path": "data/site/",
        "reference": reference,
        "offices": offices,
        "fill_fields": FILL_FIELDS,
        "fill_titles": FILL_TITLES,
        "code_title": code_title,
        "publication_titles": PUBLICATION_TITLES,
        "office_page": office_page,
        "exclusion_titles": EXCLUSION_TITLES,
        "exclusions_only": exclusions_only(),
        "stale_days": STALE_DAYS,
        "late_days": LATE_DAYS,
        "publishable": PUBLISHABLE_FIELDS,
        "rejects_href": rejects_href,
    }
    written = ["quality.html"]
    html = env.get_template("quality.html").render(page="quality.html", title="Качество данных", **common)
    write_bytes_atomically(site_dir / "quality.html", html.encode("utf-8"))
    html = env.get_template("rejects.html").render(page="rejects.html", title="Отклонённые строки", **common)
    write_bytes_atomically(site_dir / "rejects.html", html.encode("utf-8"))
    written.append("rejects.html")
    for office in offices:
        out = office_page(office.code)
        html = env.get_template("office.html").render(
            page=out, title=f"Качество данных: {office.name}", office=office, **common
        )
        write_bytes_atomically(site_dir / out, html.encode("utf-8"))
        written.append(out)
    return written


def write_quality(
    db_path: Path,
    exports_dir: Path,
    site_dir: Path | None,
    *,
    freshness: Path | None = None,
    reference_date: date | None = None,
    nav: list[tuple[str, str]] | None = None,
) -> list[OfficeQuality]:
    """Compute the figures, write ``exports/quality.csv`` and (with ``site_dir``) the pages.

    Without ``reference_date`` the newest registration date over all offices is used (demo and
    ``--input`` builds); a harvest build passes today's date.
    """
    reference = reference_date or newest_registration_date(db_path)
    offices = compute_quality(db_path, freshness=freshness, reference_date=reference)
    write_quality_csv(offices, exports_dir / QUALITY_CSV, reference)
    if site_dir is not None:
        render_quality_pages(offices, site_dir, reference, nav)
        con = duckdb.connect(str(db_path), read_only=True)
        try:
            office_of_file = _office_of_file(con)
        finally:
            con.close()
        write_office_rejects(exports_dir / "rejects.csv", office_of_file, site_dir)
    return offices
