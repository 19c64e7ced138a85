"""The Rostekhnadzor register of licences for expertise (реестр лицензий), read from saved pages.

The register is server-side HTML (Bitrix): list pages ``?PAGEN_1=N`` with one row per licence inside
layout tables, and a card page ``license.php?licNum=…`` per licence with label/value rows. Both are
found by their labels, not by the position of a table on the page, so a changed layout or an extra
banner table does not move the data.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, fields, replace
from datetime import date
from pathlib import Path

import lxml.html

from openepb.normalize.parsers import parse_licence

PAGE_SUFFIXES = (".html", ".htm", ".php")


@dataclass(frozen=True, slots=True)
class LicenceEntry:
    number: str  # canonical ДЭ-00-NNNNNN
    status: str | None = None  # as published: «действующая», «прекращена», …
    date_issued: date | None = None
    legal_name: str | None = None
    inn: str | None = None
    address: str | None = None


#: Field → label rules: a label matches when it contains every stem of one of the field's rules.
LABELS: dict[str, tuple[tuple[str, ...], ...]] = {
    "number": (("номер", "лиценз"), ("рег", "номер"), ("№", "лиценз")),
    "date_issued": (("дата", "предоставл"), ("дата", "выдач"), ("дата", "лиценз")),
    "legal_name": (("наименование",), ("лицензиат",)),
    "inn": (("инн",),),
    "address": (("адрес",),),
    "status": (("статус",), ("состояние",)),
}
#: Labels that look like a field's but are another thing (e.g. the date a licence ended).
LABEL_EXCLUDES: dict[str, tuple[str, ...]] = {
    "date_issued": ("прекращ", "приостанов", "переоформ"),
    "legal_name": ("вид", "деятельност", "орган"),
    "number": ("п/п",),
}
LABEL_MAX = 80  # a card label longer than this is text, not a label
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([\w-]+)""", re.IGNORECASE)
_DATE = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})")
_INN = re.compile(r"\b(\d{12}|\d{10})\b")
_SPACES = re.compile(r"\s+")


def label_field(label: str) -> str | None:
    """The entry field a column header or card label names, if any."""
    text = label.lower()
    for name, rules in LABELS.items():
        if any(stem in text for stem in LABEL_EXCLUDES.get(name, ())):
            continue
        if any(all(stem in text for stem in rule) for rule in rules):
            return name
    return None


def decode_page(content: bytes) -> str:
    """Page text in the charset the page declares; UTF-8, then windows-1251 when it declares none."""
    m = _META_CHARSET.search(content[:4096])
    if m:
        try:
            return content.decode(m[1].decode("ascii"), errors="replace")
        except LookupError:
            pass
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError:
        return content.decode("cp1251", errors="replace")


def _text(cell: lxml.html.HtmlElement) -> str:
    return _SPACES.sub(" ", cell.text_content()).strip()


def _own_rows(table: lxml.html.HtmlElement) -> list[list[str]]:
    """Rows of this table only (not of tables nested in its cells), as cell texts."""
    rows = []
    for tr in table.xpath("./tr | ./thead/tr | ./tbody/tr | ./tfoot/tr"):
        rows.append([_text(td) for td in tr.xpath("./td | ./th")])
    return rows


def parse_date(text: str | None) -> date | None:
    m = _DATE.search(text or "")
    if not m:
        return None
    try:
        return date(int(m[3]), int(m[2]), int(m[1]))
    except ValueError:
        return None


def _entry(values: dict[str, str]) -> LicenceEntry | None:
    number = parse_licence(values.get("number"))
    if number is None:
        return None
    inn = _INN.search(values.get("inn") or "")
    return LicenceEntry(
        number=number,
        status=values.get("status") or None,
        date_issued=parse_date(values.get("date_issued")),
        legal_name=values.get("legal_name") or None,
        inn=inn[1] if inn else None,
        address=values.get("address") or None,
    )


def _list_entries(rows: list[list[str]]) -> Iterator[LicenceEntry]:
    """Entries of a list table: the header is the first row naming both the number and the name."""
    for h, header in enumerate(rows[:5]):
        columns = {i: label_field(text) for i, text in enumerate(header)}
        if {"number", "legal_name"} <= set(columns.values()):
            yield from _entries_below(rows[h + 1 :], columns)
            return


def _entries_below(rows: list[list[str]], columns: dict[int, str | None]) -> Iterator[LicenceEntry]:
    for row in rows:
        values = {f: row[i] for i, f in columns.items() if f and i < len(row)}
        entry = _entry(values)
        if entry:
            yield entry


def _card_entry(rows: list[list[str]]) -> LicenceEntry | None:
    """A card: label/value rows, one licence."""
    values: dict[str, str] = {}
    for row in rows:
        cells = [c for c in row if c]
        if len(cells) == 2 and len(cells[0]) <= LABEL_MAX:
            name = label_field(cells[0])
            if name and name not in values:
                values[name] = cells[1]
    return _entry(values) if "number" in values else None


def parse_licence_page(content: bytes) -> list[LicenceEntry]:
    """Every licence on a saved register page (list or card); a page without one gives ``[]``."""
    text = decode_page(content)
    if not text.strip():
        return []
    root = lxml.html.document_fromstring(text)
    entries: list[LicenceEntry] = []
    for table in root.iter("table"):
        if table.xpath(".//table"):
            continue  # a layout table: its data is read from the innermost tables
        rows = _own_rows(table)
        found = list(_list_entries(rows))
        if not found:
            card = _card_entry(rows)
            found = [card] if card else []
        entries.extend(found)
    return entries


_PAGE_LINK = re.compile(r"PAGEN_1=(\d+)")


def page_count(content: bytes) -> int:
    """The last page number the pagination of a list page links to (1 when there is none)."""
    return max((int(n) for n in _PAGE_LINK.findall(decode_page(content))), default=1)


def merge_entries(entries: Iterable[LicenceEntry]) -> list[LicenceEntry]:
    """One entry per licence number: the first seen wins, later pages (cards) fill its empty fields."""
    merged: dict[str, LicenceEntry] = {}
    for entry in entries:
        known = merged.get(entry.number)
        if known is None:
            merged[entry.number] = entry
            continue
        gaps = {f.name: getattr(entry, f.name) for f in fields(known) if getattr(known, f.name) is None}
        merged[entry.number] = replace(known, **{k: v for k, v in gaps.items() if v is not None})
    return [merged[k] for k in sorted(merged)]


def read_licence_register(folder: Path) -> list[LicenceEntry]:
    """All licences in a folder of saved register pages, in licence-number order."""
    pages = sorted(
        (p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in PAGE_SUFFIXES),
        key=lambda p: p.relative_to(folder).as_posix(),
    )
    return merge_entries(e for p in pages for e in parse_licence_page(p.read_bytes()))
