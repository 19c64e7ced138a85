"""The change feed: conclusions new since the previous build, as Atom feeds and ``exports/changes.csv``.

A build keeps the registration numbers it published in ``state_dir/records.parquet``; the next build
compares its records with them. New numbers go to the national feed, the feed of their office and
the feed of their expert organization (``site/feeds/``); numbers that disappeared are listed in
``changes.csv`` only. Without a previous state the build is the initial one: every feed is written
with no entries and says so. Details in ``docs/quality.md``.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import duckdb
from lxml import etree

from openepb.fileio import atomic_path, write_bytes_atomically

ATOM = "http://www.w3.org/2005/Atom"
STATE_FILE = "records.parquet"
PENDING_DIR = ".next"  # this build's snapshot until the whole build has been published
FEEDS_DIR = "feeds"
CHANGES_CSV = "changes.csv"
#: Atom ids are tag URIs (RFC 4151) under this authority; registration numbers are percent-encoded.
TAG = "tag:openepb.github.io,2024:"
SITE_TITLE = "Открытый реестр экспертиз ПБ"
CHANGE_COLUMNS: tuple[str, ...] = (
    "change",
    "reg_number",
    "office_code",
    "date_registered",
    "object_type",
    "object_name",
    "applicant_name",
    "expert_org_id",
    "expert_org_name",
    "source_file",
    "source_table",
    "source_row",
)
STATE_COLUMNS = ("reg_number", "office_code", "expert_org_id", "expert_org_name", "date_registered")


@dataclass
class FeedReport:
    initial: bool
    added: int = 0
    removed: int = 0
    feeds: list[str] = field(default_factory=list)  # paths relative to the site

    def line(self) -> str:
        if self.initial:
            return f"feeds: initial build (no previous state), {len(self.feeds)} empty feeds"
        return (
            f"feeds: {self.added} new, {self.removed} gone since the previous build; {len(self.feeds)} feeds"
        )


@dataclass(frozen=True)
class Feed:
    path: str  # relative to the site root
    key: str  # part of the feed's Atom id
    title: str
    alternate: str  # page of the site, relative to the site root


# ---------------------------------------------------------------------------------------------
# The diff


def _rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[dict[str, Any]]:
    cursor = con.execute(sql)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def diff_records(
    con: duckdb.DuckDBPyConnection, previous: Path | None
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Records added since the previous state (full rows) and numbers gone from it (state rows)."""
    if previous is None:
        return [], []
    columns = ", ".join(f"r.{name}" for name in CHANGE_COLUMNS[1:])
    order = "ORDER BY date_registered DESC NULLS LAST, reg_number"
    prev = f"read_parquet('{_sql_path(previous)}')"
    added = _rows(
        con,
        f"""SELECT 'added' AS change, {columns} FROM records r
            WHERE r.reg_number NOT IN (SELECT reg_number FROM {prev}) {order}""",
    )
    removed = _rows(
        con,
        f"""SELECT 'removed' AS change, p.* FROM {prev} p
            WHERE p.reg_number NOT IN (SELECT reg_number FROM records) {order}""",
    )
    return added, removed


def _sql_path(path: Path) -> str:
    return str(path).replace("'", "''")


def save_state(con: duckdb.DuckDBPyConnection, state_dir: Path) -> Path:
    """This build's numbers, for the next build to diff against (written under a temporary name)."""
    state_dir.mkdir(parents=True, exist_ok=True)
    target = state_dir / STATE_FILE
    tmp = state_dir / f".{STATE_FILE}.tmp"
    con.execute(
        f"""COPY (SELECT {", ".join(STATE_COLUMNS)} FROM records ORDER BY reg_number)
            TO '{_sql_path(tmp)}' (FORMAT parquet)"""
    )
    tmp.replace(target)
    return target


def write_changes_csv(rows: list[dict[str, Any]], path: Path) -> None:
    """``changes.csv``: UTF-8 with BOM like the other CSV exports, added rows first."""
    with atomic_path(path) as tmp, tmp.open("w", encoding="utf-8-sig", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(CHANGE_COLUMNS)
        for row in rows:
            writer.writerow([_text(row.get(name)) for name in CHANGE_COLUMNS])


def _text(value: Any) -> str:
    if value is None:
        return ""
    return value.isoformat() if isinstance(value, date) else str(value)


# ---------------------------------------------------------------------------------------------
# Atom


def _atom(parent: etree._Element, tag: str, text: str | None = None, **attrs: str) -> etree._Element:
    element = etree.SubElement(parent, f"{{{ATOM}}}{tag}", **attrs)
    if text is not None:
        element.text = text
    return element


def _tag_uri(*parts: str) -> str:
    return TAG + ":".join(quote(part, safe="-._~") for part in parts)


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def entry_summary(row: dict[str, Any]) -> str:
    parts = [
        f"Дата внесения: {_text(row.get('date_registered')) or 'не указана'}",
        f"Объект: {row.get('object_name') or '—'}",
        f"Заявитель: {row.get('applicant_name') or '—'}",
        f"Экспертная организация: {row.get('expert_org_name') or '—'}",
        f"Территориальный орган: {row.get('office_code') or '—'}",
        f"Источник: {row.get('source_file') or '—'}",
    ]
    return "\n".join(parts)


def entry_page(row: dict[str, Any]) -> str:
    """The site page an entry links to: its expert organization, else its office's quality page."""
    if row.get("expert_org_id"):
        return f"org.html?role=expert&id={quote(row['expert_org_id'])}"
    return f"quality-{row['office_code']}.html" if row.get("office_code") else "index.html"


def _entry(feed: etree._Element, row: dict[str, Any], updated: str, up: str) -> None:
    """One new conclusion; ``up`` leads from the feed's folder back to the site root."""
    entry = _atom(feed, "entry")
    _atom(entry, "id", _tag_uri("conclusion", row["reg_number"]))
    object_type = row.get("object_type") or ""
    _atom(entry, "title", f"Заключение {row['reg_number']}" + (f" ({object_type})" if object_type else ""))
    _atom(entry, "updated", updated)
    day = row.get("date_registered")
    if isinstance(day, date):
        _atom(entry, "published", f"{day.isoformat()}T00:00:00Z")
    _atom(entry, "link", rel="alternate", type="text/html", href=up + entry_page(row))
    if row.get("office_code"):
        _atom(entry, "category", term=row["office_code"], label="Территориальный орган")
    _atom(entry, "summary", entry_summary(row), type="text")


def atom_feed(feed: Feed, rows: list[dict[str, Any]], updated: str, *, initial: bool) -> bytes:
    root = etree.Element(f"{{{ATOM}}}feed", nsmap={None: ATOM})
    root.set("{http://www.w3.org/XML/1998/namespace}lang", "ru")
    _atom(root, "id", _tag_uri("feed", *feed.key.split("/")))
    _atom(root, "title", feed.title)
    if initial:
        _atom(
            root,
            "subtitle",
            "Первая сборка: предыдущего состояния нет, новые заключения появятся со следующей.",
        )
    else:
        _atom(root, "subtitle", "Заключения, впервые появившиеся в реестре с предыдущей сборки.")
    _atom(root, "updated", updated)
    author = _atom(root, "author")
    _atom(author, "name", SITE_TITLE)
    up = "../" * feed.path.count("/")
    _atom(root, "link", rel="self", type="application/atom+xml", href=Path(feed.path).name)
    _atom(root, "link", rel="alternate", type="text/html", href=up + feed.alternate)
    _atom(root, "generator", "openepb")
    for row in rows:
        _entry(root, row, updated, up)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


# ---------------------------------------------------------------------------------------------
# Which feeds


def feeds_of(con: duckdb.DuckDBPyConnection) -> list[Feed]:
    """The national feed, one per office with records and one per expert organization."""
    feeds = [Feed(f"{FEEDS_DIR}/all.xml", "all", f"{SITE_TITLE}: новые заключения", "index.html")]
    offices = con.execute(
        """SELECT DISTINCT r.office_code, coalesce(o.name, r.office_code) FROM records r
           LEFT JOIN offices o ON o.code = r.office_code WHERE r.office_code IS NOT NULL ORDER BY 1"""
    ).fetchall()
    for code, name in offices:
        feeds.append(
            Feed(
                f"{FEEDS_DIR}/office/{code}.xml",
                f"office/{code}",
                f"{name}: новые заключения",
                f"quality-{code}.html",
            )
        )
    experts = con.execute(
        """SELECT expert_org_id, arg_max(expert_org_name, n) FROM (
               SELECT expert_org_id, expert_org_name, count(*) AS n FROM records
               WHERE expert_org_id IS NOT NULL GROUP BY 1, 2)
           GROUP BY 1 ORDER BY 1"""
    ).fetchall()
    for org_id, name in experts:
        feeds.append(
            Feed(
                f"{FEEDS_DIR}/expert/{org_id}.xml",
                f"expert/{org_id}",
                f"{name}: новые заключения",
                f"org.html?role=expert&id={quote(org_id)}",
            )
        )
    return feeds


def _members(feed: Feed, added: list[dict[str, Any]]) -> list[dict[str, Any]]:
    kind, _, key = feed.key.partition("/")
    if kind == "office":
        return [row for row in added if row.get("office_code") == key]
    if kind == "expert":
        return [row for row in added if row.get("expert_org_id") == key]
    return added


def write_feeds(
    db_path: Path,
    previous: Path | None,
    site_dir: Path,
    exports_dir: Path,
    state_dir: Path,
    *,
    now: datetime | None = None,
    commit: bool = True,
) -> FeedReport:
    """Diff the build against ``previous`` (the last build's ``records.parquet``; None or missing:
    initial build), write the feeds and ``changes.csv``, then save this build's state.

    With ``commit=False`` the state stays pending until :func:`commit_state`: a build whose later
    stages fail publishes nothing, so its records must not become the next build's baseline.
    """
    updated = _stamp(now or datetime.now(UTC))
    initial = previous is None or not previous.exists()
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        added, removed = diff_records(con, None if initial else previous)
        feeds = feeds_of(con)
        _snapshot(con, state_dir)
    finally:
        con.close()
    report = FeedReport(initial, len(added), len(removed))
    target = site_dir / FEEDS_DIR
    if target.exists():
        for old in target.rglob("*.xml"):
            old.unlink()
    for feed in feeds:
        path = site_dir / feed.path
        write_bytes_atomically(path, atom_feed(feed, _members(feed, added), updated, initial=initial))
        report.feeds.append(feed.path)
    write_changes_csv(added + removed, exports_dir / CHANGES_CSV)
    if commit:
        commit_state(state_dir)
    return report


def commit_state(state_dir: Path) -> None:
    """Make the pending snapshot (written by :func:`write_feeds`) the baseline of the next build."""
    pending = state_dir / PENDING_DIR / STATE_FILE
    if pending.exists():
        pending.replace(state_dir / STATE_FILE)
        pending.parent.rmdir()


def _snapshot(con: duckdb.DuckDBPyConnection, state_dir: Path) -> Path:
    """This build's state in a side folder, moved into place only once the feeds are written, so a
    failed build leaves the previous state for the next attempt."""
    return save_state(con, state_dir / PENDING_DIR)
