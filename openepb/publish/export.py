"""Open-data exports from the DuckDB store: CSV, Parquet, XML (whole register and per office),
rejects and organizations, a Frictionless data package, the Russian open-data passport, SHA256SUMS.

Everything streams: CSV and Parquet are written by DuckDB's COPY, XML from Arrow record batches, so
memory does not grow with the number of records. Every file is written under a temporary name and
renamed into place, so a failed export never leaves a half-written file under a published name.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import json
import os
import re
import shutil
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, BinaryIO

import duckdb
import pyarrow as pa
from lxml import etree

from openepb.context import Log
from openepb.contract.fields import FIELD_NAMES, FIELDS_BY_NAME
from openepb.contract.tables import EXPORT_ORDER, has_table
from openepb.contract.xsd import (
    NAMESPACE,
    RECORD_ELEMENT,
    REQUIRED_FIELDS,
    ROOT_ELEMENT,
    SCHEMA_VERSION,
    load_schema,
    value_fits,
)
from openepb.fileio import atomic_path, sha256_of, write_bytes_atomically
from openepb.publish.files import tabular
from openepb.publish.memo import ROW_MEMO_MAX_RECORDS

BOM = b"\xef\xbb\xbf"
BATCH_ROWS = 20_000
#: First characters that make a spreadsheet treat a cell as a formula (OWASP CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
#: Characters XML 1.0 cannot carry at all; they are dropped from text in the XML exports.
XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
#: Order of CSV and Parquet rows (XML: by office code, then in store order, to stream without a sort).
RECORD_ORDER = EXPORT_ORDER["records"]

DATASET_ID = "openepb-epb-register"
DATASET_TITLE = "Реестр заключений экспертизы промышленной безопасности"
DATASET_DESCRIPTION = (
    "Сводный реестр заключений экспертизы промышленной безопасности (ЭПБ), собранный из реестров "
    "территориальных органов Ростехнадзора и приведённый к единому формату."
)
DATASET_KEYWORDS = "экспертиза промышленной безопасности,ЭПБ,реестр заключений,Ростехнадзор"
DATASET_CREATOR = "Проект openepb"
#: Date of this version of the data structure (changes when the record contract changes).
STRUCTURE_DATE = "20261125"
PASSPORT_STANDARD = "http://opendata.gosmonitor.ru/standard/3.0"
#: DuckDB's working memory for the sorted COPY exports; beyond it the sort spills to disk.
DUCKDB_MEMORY_LIMIT = "2GB"  # spills to disk past this; a 2 M-record sort needs more than 512 MB

FRICTIONLESS_TYPES = {
    "VARCHAR": "string",
    "DATE": "date",
    "SMALLINT": "integer",
    "INTEGER": "integer",
    "BIGINT": "integer",
    "BOOLEAN": "boolean",
    "DOUBLE": "number",
    "FLOAT": "number",
    "TIMESTAMP": "datetime",
}
PASSPORT_FORMATS = {"string": "string", "date": "date", "integer": "integer", "boolean": "boolean"}

REJECT_TITLES = {
    **{name: FIELDS_BY_NAME[name].title_ru for name in ("source_file", "source_table", "source_row")},
    "reason": "Код причины (schema/problems.yaml)",
    "message": "Причина словами",
    "cells": "Исходные ячейки строки (JSON)",
}


@dataclass(frozen=True, slots=True)
class ExportedFile:
    path: str  # relative to the export folder, POSIX
    bytes: int
    rows: int | None = None


MISFIT_EXAMPLES = 5


@dataclass
class SchemaMisfits:
    """Values the XML schema cannot carry: left out of the XML (kept in CSV and Parquet), counted per
    field with a few examples, so one odd value is reported and never stops the publication. A record
    whose registration number cannot be carried is left out of the XML whole (``records_skipped``)."""

    values: Counter[str] = field(default_factory=Counter)
    examples: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    records_skipped: int = 0

    def add(self, name: str, reg_number: Any, value: str) -> None:
        self.values[name] += 1
        shown = self.examples.setdefault(name, [])
        if len(shown) < MISFIT_EXAMPLES:
            shown.append({"reg_number": str(reg_number), "value": value[:200]})

    def update(self, other: SchemaMisfits) -> None:
        self.values.update(other.values)
        self.records_skipped += other.records_skipped
        for name, shown in other.examples.items():
            mine = self.examples.setdefault(name, [])
            mine.extend(shown[: MISFIT_EXAMPLES - len(mine)])

    def to_dict(self) -> dict[str, Any]:
        return {
            "records_left_out_of_xml": self.records_skipped,
            "values_left_out_of_xml": dict(sorted(self.values.items())),
            "examples": {name: self.examples[name] for name in sorted(self.examples)},
        }

    def lines(self) -> list[str]:
        """The build summary's words for it (empty when every value fit)."""
        result = [
            f"warning: {count} value(s) of {name} do not fit the XML schema and are left out of the XML "
            f"(kept in CSV/Parquet), e.g. {self.examples[name][0]['reg_number']}: "
            f"«{self.examples[name][0]['value']}»"
            for name, count in sorted(self.values.items())
        ]
        if self.records_skipped:
            result.append(f"warning: {self.records_skipped} record(s) left out of the XML whole")
        return result


@dataclass
class ExportReport:
    out_dir: Path
    records: int = 0
    files: list[ExportedFile] = field(default_factory=list)
    misfits: SchemaMisfits = field(default_factory=SchemaMisfits)
    seconds: float = 0.0

    def file(self, path: str) -> ExportedFile:
        return next(f for f in self.files if f.path == path)


class ExportError(RuntimeError):
    """An export could not be completed (for example the XML does not validate against the XSD)."""


def _columns(con: duckdb.DuckDBPyConnection, table: str) -> list[tuple[str, str]]:
    rows = con.execute(
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_name = ? ORDER BY ordinal_position",
        [table],
    ).fetchall()
    return [(name, data_type) for name, data_type in rows]


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def neutralize_sql(column: str) -> str:
    """SQL that prefixes an apostrophe to a text cell a spreadsheet would run as a formula."""
    starts = ", ".join(f"chr({ord(c)})" for c in FORMULA_STARTS)
    col = _quote(column)
    return f"CASE WHEN left({col}, 1) IN ({starts}) THEN '''' || {col} ELSE {col} END AS {col}"


def _csv_select(con: duckdb.DuckDBPyConnection, table: str, order: str | None) -> str:
    parts = [
        neutralize_sql(name) if data_type == "VARCHAR" else _quote(name)
        for name, data_type in _columns(con, table)
    ]
    query = f"SELECT {', '.join(parts)} FROM {table}"
    return f"{query} ORDER BY {order}" if order else query


def _copy_with_bom(source: Path, target: BinaryIO) -> None:
    target.write(BOM)
    with source.open("rb") as handle:
        shutil.copyfileobj(handle, target, 1 << 20)


def write_csv(con: duckdb.DuckDBPyConnection, table: str, path: Path, order: str | None = None) -> int:
    """UTF-8 with BOM (Excel reads Cyrillic), formula-like cells neutralized; returns the row count."""
    query = _csv_select(con, table, order)
    with atomic_path(path) as tmp:
        raw = tmp.with_name(tmp.name + ".raw")
        try:
            con.execute(f"COPY ({query}) TO '{raw}' (FORMAT CSV, HEADER, DELIMITER ',', QUOTE '\"')")
            with tmp.open("wb") as out:
                _copy_with_bom(raw, out)
        finally:
            raw.unlink(missing_ok=True)
    return con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def write_parquet(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    with atomic_path(path) as tmp:
        con.execute(
            f"COPY (SELECT * FROM records ORDER BY {RECORD_ORDER}) TO '{tmp}' "
            "(FORMAT PARQUET, COMPRESSION ZSTD, COMPRESSION_LEVEL 9)"
        )


# --- XML ----------------------------------------------------------------------------------------


def _tag(name: str) -> str:
    return f"{{{NAMESPACE}}}{name}"


def _xml_text(name: str, value: Any) -> str | None:
    """The element text of one value; None when absent."""
    if value is None:
        return None
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, int):
        return str(value)
    return XML_ILLEGAL.sub("", str(value)) or None


def _write_header(
    xf: Any, office: str | None, period: tuple[date | None, date | None], generated: str
) -> None:
    values = (("office", office), ("period_from", period[0]), ("period_to", period[1]))
    for name, value in values:
        if value is not None:
            with xf.element(_tag(name)):
                xf.write(value.isoformat() if isinstance(value, date) else value)
    with xf.element(_tag("generated_at")):
        xf.write(generated)


def _record_texts(row: dict[str, Any], misfits: SchemaMisfits) -> list[tuple[str, str]] | None:
    """(element, text) of the values the schema can carry; None when a required one cannot be."""
    texts = []
    for name in FIELD_NAMES:
        value = row[name]
        if value is None:  # most fields of most records: no call
            continue
        text = _xml_text(name, value)
        if text is None:
            continue
        if not value_fits(name, text):
            misfits.add(name, row["reg_number"], text)
            if name in REQUIRED_FIELDS:
                misfits.records_skipped += 1
                return None
            continue
        texts.append((name, text))
    return texts


#: Characters libxml2's serializer escapes in text (``&``, ``<``, ``>`` and carriage return), so a
#: record written as a string has the bytes lxml would give it.
_NEEDS_ESCAPE = re.compile("[&<>\r]")


def _escape(text: str) -> str:
    if not _NEEDS_ESCAPE.search(text):  # most values: one scan, no copy
        return text
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")


def record_xml(texts: list[tuple[str, str]]) -> str:
    """One ``<record>`` element and its newline, as lxml's ``xmlfile`` writes it under the default
    namespace: built as one string, because an lxml element context per value costs most of the
    export's time at millions of records."""
    inner = "".join([f"<{name}>{_escape(text)}</{name}>" for name, text in texts])
    return f"<{RECORD_ELEMENT}>{inner}</{RECORD_ELEMENT}>\n"


def _record_bytes(row: dict[str, Any], misfits: SchemaMisfits) -> bytes | None:
    texts = _record_texts(row, misfits)
    return None if texts is None else record_xml(texts).encode("utf-8")


@dataclass
class _OfficeSlice:
    code: str
    path: Path
    start: int = 0
    end: int = 0
    rows: int = 0
    misfits: SchemaMisfits = field(default_factory=SchemaMisfits)


def _periods(con: duckdb.DuckDBPyConnection) -> dict[str | None, tuple[date | None, date | None]]:
    rows = con.execute(
        "SELECT office_code, min(date_registered), max(date_registered) FROM records "
        "GROUP BY GROUPING SETS ((office_code), ())"
    ).fetchall()
    return {code: (low, high) for code, low, high in rows}


def _open_office_file(
    stack: contextlib.ExitStack, piece: _OfficeSlice, period: tuple[date | None, date | None], generated: str
) -> tuple[BinaryIO, Any]:
    """Start one office's XML; remembers where its records start so records.xml can reuse the bytes."""
    handle = stack.enter_context(piece.path.open("wb"))
    xf = stack.enter_context(etree.xmlfile(handle, encoding="utf-8"))
    xf.write_declaration()
    stack.enter_context(xf.element(_tag(ROOT_ELEMENT), {"version": SCHEMA_VERSION}, nsmap={None: NAMESPACE}))
    xf.write("\n")
    _write_header(xf, piece.code, period, generated)
    xf.write("\n")
    xf.flush()
    piece.start = handle.tell()
    return handle, xf


def _record_rows(con: duckdb.DuckDBPyConnection) -> Iterator[dict[str, Any]]:
    """Records in store order. Without a sort that order is only stable when DuckDB keeps it: with
    several threads and the order not preserved, two exports of one store differ in their bytes."""
    con.execute("SET preserve_insertion_order = true")
    columns = ", ".join(_quote(n) for n in FIELD_NAMES)
    reader = con.sql(f"SELECT {columns} FROM records").to_arrow_reader(BATCH_ROWS)
    for batch in reader:
        yield from batch.to_pylist()


def write_xml(
    con: duckdb.DuckDBPyConnection,
    out_dir: Path,
    generated: str,
    report: ExportReport,
    memo: Path | None = None,
) -> list[_OfficeSlice]:
    """Per-office files written side by side from one unsorted stream (no sort, so memory stays flat),
    then records.xml assembled from their record bytes in office order."""
    periods = _periods(con)
    offices_dir = out_dir / "offices"
    offices_dir.mkdir(parents=True, exist_ok=True)
    pieces: dict[str, _OfficeSlice] = {}
    with contextlib.ExitStack() as renames:
        writers: dict[str, tuple[BinaryIO, Any]] = {}
        with contextlib.ExitStack() as files:
            for row in _record_rows(con):
                code = row["office_code"]
                if code not in writers:
                    tmp = renames.enter_context(atomic_path(offices_dir / f"{code}.xml"))
                    pieces[code] = _OfficeSlice(code, tmp)
                    writers[code] = _open_office_file(
                        files, pieces[code], periods.get(code, (None, None)), generated
                    )
                data = _record_bytes(row, pieces[code].misfits)
                if data is not None:
                    writers[code][0].write(data)  # after the header's flush; the closing tag follows
                    pieces[code].rows += 1
            for code, (handle, xf) in writers.items():
                xf.flush()
                pieces[code].end = handle.tell()
        ordered = [pieces[code] for code in sorted(pieces)]
        for piece in ordered:
            report.misfits.update(piece.misfits)
            _validate_office_header(piece)
        _assemble_register(out_dir / "records.xml", ordered, periods.get(None, (None, None)), generated, memo)
    for piece in ordered:
        piece.path = offices_dir / f"{piece.code}.xml"
    return ordered


def _assemble_register(
    path: Path,
    pieces: list[_OfficeSlice],
    period: tuple[date | None, date | None],
    generated: str,
    memo: Path | None = None,
) -> None:
    head = io.BytesIO()
    with etree.xmlfile(head, encoding="utf-8") as xf:
        xf.write_declaration()
        with xf.element(_tag(ROOT_ELEMENT), {"version": SCHEMA_VERSION}, nsmap={None: NAMESPACE}):
            xf.write("\n")
            _write_header(xf, None, period, generated)
            xf.write("\n")
    document = head.getvalue()
    closing = f"</{ROOT_ELEMENT}>".encode()
    if not document.endswith(closing):
        raise ExportError("unexpected serialization of the register element")
    with atomic_path(path) as tmp, tmp.open("wb") as out:
        # validated under the temporary name: an invalid register never replaces the published one
        out.write(document[: -len(closing)])
        for piece in pieces:
            with piece.path.open("rb") as source:
                source.seek(piece.start)
                _copy_range(source, out, piece.end - piece.start)
        out.write(closing + b"\n")
        out.close()
        if memo is None:
            _validate_xml(tmp)
        else:
            _validate_register(tmp, len(document) - len(closing), [p.end - p.start for p in pieces], memo)


def _copy_range(source: BinaryIO, target: BinaryIO, size: int) -> None:
    while size > 0:
        chunk = source.read(min(size, 1 << 20))
        if not chunk:
            raise ExportError("office XML ended early")
        target.write(chunk)
        size -= len(chunk)


def _validate_office_header(piece: _OfficeSlice) -> None:
    """An office file's header, closed after it; its record bytes are validated inside records.xml."""
    with piece.path.open("rb") as handle:
        head = handle.read(piece.start)
    document = head + f"</{ROOT_ELEMENT}>".encode()
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    schema = load_schema()
    if not schema.validate(etree.fromstring(document, parser)):
        raise ExportError(f"offices/{piece.code}.xml header does not validate: {schema.error_log.last_error}")


def _validate_xml(path: Path) -> None:
    """Stream-validate against the XSD; a failure stops the export loudly.

    The structure and every value are validated by libxml2 as the document streams past; the unique
    registration number (the XSD's ``xs:unique``) is checked by DuckDB on the numbers read back from
    the document, on disk, since libxml2 would hold every key in memory."""
    with _validation(path) as numbers:
        for number in _validated_numbers(str(path)):
            numbers.add(number)


@contextlib.contextmanager
def _validation(path: Path) -> Iterator[_NumberLedger]:
    """The ledger the validation of ``path`` adds its numbers to: a schema error becomes an
    ExportError naming the file, and when the block ends a repeated number is refused."""
    numbers = _NumberLedger(path.with_name(f".{path.name}.numbers.duckdb"))
    try:
        yield numbers
        repeated = numbers.repeated()
    except etree.XMLSyntaxError as error:
        raise ExportError(f"{path.name} does not validate against the XSD: {error}") from error
    finally:
        numbers.close()
    if repeated:
        raise ExportError(
            f"{path.name} does not validate against the XSD: UniqueRegNumber, repeated: {', '.join(repeated)}"
        )


def _validated_numbers(source: str | BinaryIO) -> Iterator[str | None]:
    """The registration number of each record of a document, as libxml2 validates it streaming
    (without the schema's uniqueness table); each record is dropped once read."""
    record_tag, number_tag = _tag(RECORD_ELEMENT), _tag("reg_number")
    schema = load_schema(identity_constraints=False)
    for _, element in etree.iterparse(
        source, events=("end",), schema=schema, resolve_entities=False, no_network=True, huge_tree=True
    ):
        if element.tag == record_tag:
            yield element.findtext(number_tag)
            element.clear()
            while element.getprevious() is not None:
                del element.getparent()[0]


#: Raise when what a validated slice of records.xml proves changes outside the code and the XSD.
SLICE_MEMO_VERSION = 1
#: Above this many records the slice memo (which keeps every registration number) is not kept.
SLICE_MEMO_MAX_RECORDS = ROW_MEMO_MAX_RECORDS


def _slice_memo_version() -> str:
    from openepb.build.cache import publish_code_version
    from openepb.contract.xsd import XSD_PATH

    return json.dumps(
        [
            SLICE_MEMO_VERSION,
            publish_code_version(),
            sha256_of(XSD_PATH),
            etree.LIBXML_VERSION,
            etree.LXML_VERSION,
        ]
    )


class _Chain(io.RawIOBase):
    """A read-only stream of ``head``, ``size`` bytes of ``source`` from where it stands, ``tail``."""

    def __init__(self, head: bytes, source: BinaryIO, size: int, tail: bytes) -> None:
        self.parts: list[Any] = [head, (source, size), tail]

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while self.parts:
            part = self.parts[0]
            if isinstance(part, bytes):
                data, rest = part[: len(buffer)], part[len(buffer) :]
                self.parts[0] = rest
            else:
                source, left = part
                data = source.read(min(left, len(buffer), 1 << 20))
                if not data and left:
                    raise ExportError("records.xml ended early")
                self.parts[0] = (source, left - len(data))
            if not data:
                self.parts.pop(0)
                continue
            buffer[: len(data)] = data
            return len(data)
        return 0


def _validate_register(path: Path, head_size: int, sizes: list[int], memo: Path) -> None:
    """``_validate_xml`` of records.xml (``head`` + the office slices + the closing tag) one slice at
    a time, skipping slices already proven valid.

    Sound because the register's content is its header and then ``record*``: a validating parser is
    in the same state after the header as after any whole record, so when ``head + slice + closing``
    validates for every slice (and ``head + closing`` does), so does their concatenation — a slice
    that validates after the header is whole records and nothing else. A slice whose bytes (SHA-256)
    validated under the same XSD, code and libxml2 is not parsed again; its registration numbers,
    read back from it then, come from ``memo``. Uniqueness is checked over all of them."""
    closing = f"</{ROOT_ELEMENT}>".encode()
    version = _slice_memo_version()
    try:
        stored = json.loads(memo.read_text(encoding="utf-8"))
        known: dict[str, list[str | None]] = stored["slices"] if stored.get("version") == version else {}
    except (OSError, ValueError, KeyError, TypeError):
        known = {}
    proven: dict[str, list[str | None]] = {}
    total = 0
    with _validation(path) as numbers, path.open("rb") as handle:
        head = handle.read(head_size)
        offset = head_size
        for size in [0, *sizes]:  # the empty slice first: the head and the closing tag alone
            digest = hashlib.sha256()
            handle.seek(offset)
            left = size
            while left > 0:
                chunk = handle.read(min(left, 1 << 20))
                if not chunk:
                    raise ExportError("records.xml ended early")
                digest.update(chunk)
                left -= len(chunk)
            key = digest.hexdigest()
            found = known.get(key) if size else None
            if found is None:
                handle.seek(offset)
                found = list(_validated_numbers(_Chain(head, handle, size, closing)))
            for number in found:
                numbers.add(number)
            if size:
                proven[key] = found
                total += len(found)
            offset += size
        handle.seek(offset)
        if handle.read() != closing + b"\n":
            raise ExportError("records.xml does not end with its closing tag")
    if total > SLICE_MEMO_MAX_RECORDS:
        memo.unlink(missing_ok=True)
        return
    with contextlib.suppress(OSError):  # unwritten, the next build validates every slice again
        write_bytes_atomically(memo, json.dumps({"version": version, "slices": proven}).encode())


class _NumberLedger:
    """Registration numbers of a document, in a scratch DuckDB file: which of them repeat."""

    BATCH = 200_000

    def __init__(self, path: Path) -> None:
        self.path = path
        path.unlink(missing_ok=True)
        self.con = duckdb.connect(str(path))
        self.con.execute("SET memory_limit = '512MB'")
        self.con.execute("SET preserve_insertion_order = false")
        self.con.execute("CREATE TABLE n (reg_number VARCHAR)")
        self.batch: list[str | None] = []

    def add(self, number: str | None) -> None:
        self.batch.append(number)
        if len(self.batch) >= self.BATCH:
            self._flush()

    def _flush(self) -> None:
        if self.batch:
            rows = pa.table({"reg_number": pa.array(self.batch, pa.string())})  # noqa: F841 - read by DuckDB
            self.con.execute("INSERT INTO n SELECT * FROM rows")
            self.batch = []

    def repeated(self, examples: int = 5) -> list[str]:
        self._flush()
        sql = "SELECT reg_number FROM n GROUP BY 1 HAVING count(*) > 1 ORDER BY 1 LIMIT ?"
        return [row[0] for row in self.con.execute(sql, [examples]).fetchall()]

    def close(self) -> None:
        self.con.close()
        self.path.unlink(missing_ok=True)
        self.path.with_name(self.path.name + ".wal").unlink(missing_ok=True)


# --- data package and passport -------------------------------------------------------------------


def _field_title(table: str, name: str) -> str:
    if table == "records" and name in FIELDS_BY_NAME:
        return FIELDS_BY_NAME[name].title_ru
    return REJECT_TITLES.get(name, name) if table == "rejects" else name


def table_schema(con: duckdb.DuckDBPyConnection, table: str) -> dict[str, Any]:
    """A Frictionless Table Schema of a store table."""
    fields = [
        {
            "name": name,
            "type": FRICTIONLESS_TYPES.get(data_type, "string"),
            "title": _field_title(table, name),
        }
        for name, data_type in _columns(con, table)
    ]
    schema: dict[str, Any] = {"fields": fields, "missingValues": [""]}
    if table == "records":
        schema["primaryKey"] = ["reg_number"]
    return schema


def _resource(
    out_dir: Path, path: str, name: str, schema: dict[str, Any], title: str, fmt: str
) -> dict[str, Any]:
    full = out_dir / path
    resource: dict[str, Any] = {
        "name": name,
        "path": path,
        "title": title,
        "profile": "tabular-data-resource",
        "format": fmt,
        "schema": schema,
    }
    if fmt == "csv":
        # Frictionless reads Parquet through pandas and cannot count its bytes: size and hash of the
        # Parquet are in SHA256SUMS only.
        resource.update(
            bytes=full.stat().st_size,
            hash=f"sha256:{sha256_of(full)}",
            mediatype="text/csv",
            encoding="utf-8-sig",
            dialect={"delimiter": ",", "quoteChar": '"', "doubleQuote": True, "header": True},
        )
    else:
        resource["mediatype"] = "application/vnd.apache.parquet"
    return resource


#: The data package's tables this stage writes: path, resource name, table, title (publish/files.py).
TABULAR_RESOURCES = tuple((f.name, f.resource, f.table, f.title) for f in tabular("export"))


def write_datapackage(
    con: duckdb.DuckDBPyConnection,
    out_dir: Path,
    generated: str,
    written: list[str],
    misfits: SchemaMisfits | None = None,
) -> None:
    resources = [
        _resource(out_dir, path, name, table_schema(con, table), title, Path(path).suffix[1:])
        for path, name, table, title in TABULAR_RESOURCES
        if path in written
    ]
    package = {
        "profile": "tabular-data-package",
        "name": DATASET_ID,
        "title": DATASET_TITLE,
        "description": DATASET_DESCRIPTION,
        "version": SCHEMA_VERSION,
        "created": generated,
        "keywords": DATASET_KEYWORDS.split(","),
        "licenses": [
            {
                "name": "CC-BY-4.0",
                "path": "https://creativecommons.org/licenses/by/4.0/",
                "title": "Creative Commons Attribution 4.0",
            }
        ],
        "resources": resources,
        # Values the XML schema could not carry (left out of records.xml, kept in CSV/Parquet).
        "openepb:xml_misfits": (misfits or SchemaMisfits()).to_dict(),
    }
    _write_text(out_dir / "datapackage.json", json.dumps(package, ensure_ascii=False, indent=2) + "\n")


def _write_text(path: Path, text: str, bom: bool = False) -> None:
    with atomic_path(path) as tmp:
        tmp.write_bytes((BOM if bom else b"") + text.encode("utf-8"))


def _csv_text(rows: list[list[str]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue()


def structure_file_name() -> str:
    return f"structure-{STRUCTURE_DATE}.csv"


def write_passport(con: duckdb.DuckDBPyConnection, out_dir: Path, generated: str) -> None:
    """The passport (meta.csv) and structure file of the Russian open-data recommendations, v3.0."""
    modified = generated[:10].replace("-", "")
    structure = [["field name", "english description", "russian description", "format"]]
    for column in table_schema(con, "records")["fields"]:
        english = column["name"].replace("_", " ")
        structure.append([column["name"], english, column["title"], PASSPORT_FORMATS[column["type"]]])
    _write_text(out_dir / structure_file_name(), _csv_text(structure))
    meta = [
        ["property", "value"],
        ["standardversion", PASSPORT_STANDARD],
        ["identifier", DATASET_ID],
        ["title", DATASET_TITLE],
        ["description", DATASET_DESCRIPTION],
        ["creator", DATASET_CREATOR],
        ["created", STRUCTURE_DATE],
        ["modified", modified],
        ["subject", DATASET_KEYWORDS],
        ["format", "csv"],
        [f"data-{modified}-structure-{STRUCTURE_DATE}", "records.csv"],
        [f"structure-{STRUCTURE_DATE}", structure_file_name()],
        ["publishername", DATASET_CREATOR],
        ["publisherphone", ""],
        ["publishermbox", ""],
        [
            "provenance",
            "Собрано из реестров территориальных органов Ростехнадзора; см. records.csv, source_file",
        ],
    ]
    _write_text(out_dir / "meta.csv", _csv_text(meta))


def write_checksums(out_dir: Path, names: list[str]) -> None:
    lines = [f"{sha256_of(out_dir / name)}  {name}\n" for name in sorted(names)]
    _write_text(out_dir / "SHA256SUMS", "".join(lines))


#: CSV files later stages add to the exports: path, resource name, title (publish/files.py).
LATER_CSV_RESOURCES = tuple((f.name, f.resource, f.title) for f in [*tabular("quality"), *tabular("feeds")])


def describe_later_exports(out_dir: Path) -> None:
    """Add the CSVs written after :func:`export_all` (quality, changes) to ``datapackage.json``, with
    column types read from the files themselves, then rewrite ``SHA256SUMS`` over every file."""
    package_path = out_dir / "datapackage.json"
    package = json.loads(package_path.read_text(encoding="utf-8"))
    known = {r["path"] for r in package["resources"]}
    con = duckdb.connect()
    try:
        for path, name, title in LATER_CSV_RESOURCES:
            if path in known or not (out_dir / path).is_file():
                continue
            con.execute(
                f"CREATE TABLE {name} AS SELECT * FROM read_csv(?, header = true, all_varchar = false)",
                [str(out_dir / path)],
            )
            package["resources"].append(_resource(out_dir, path, name, table_schema(con, name), title, "csv"))
    finally:
        con.close()
    _write_text(package_path, json.dumps(package, ensure_ascii=False, indent=2) + "\n")
    refresh_checksums(out_dir)


def refresh_checksums(out_dir: Path) -> None:
    """SHA256SUMS over every file of the folder, for exports later stages add (quality, changes)."""
    names = [
        p.relative_to(out_dir).as_posix()
        for p in out_dir.rglob("*")
        if p.is_file() and p.name != "SHA256SUMS" and not p.name.startswith(".")
    ]
    write_checksums(out_dir, names)


def _now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def export_all(
    db_path: Path,
    out_dir: Path,
    *,
    quiet: bool = False,
    generated_at: str | None = None,
    checksums: bool = True,
    memo: Path | None = None,
) -> ExportReport:
    """Write every export of the store at ``db_path`` into ``out_dir``; raise ExportError on invalid XML.

    A build passes ``checksums=False``: later stages add files, and :func:`describe_later_exports`
    writes ``SHA256SUMS`` once over all of them. ``memo`` (a file outside the exports) keeps which
    office slices of records.xml were proven valid, so the next build validates only the changed ones.
    """
    started = time.perf_counter()
    generated = generated_at or _now()
    out_dir.mkdir(parents=True, exist_ok=True)
    report = ExportReport(out_dir)
    rows: dict[str, int | None] = {}
    con = duckdb.connect(str(db_path), read_only=True)
    spill = out_dir / f".duckdb-spill.{os.getpid()}"
    con.execute(f"SET memory_limit = '{DUCKDB_MEMORY_LIMIT}'")
    con.execute(f"SET temp_directory = '{spill}'")
    con.execute("SET preserve_insertion_order = false")  # every export states its own ORDER BY
    try:
        rows["records.csv"] = report.records = write_csv(
            con, "records", out_dir / "records.csv", RECORD_ORDER
        )
        Log(quiet, "export").info(f"records.csv: {report.records} records")
        write_parquet(con, out_dir / "records.parquet")
        rows["records.parquet"] = report.records
        rows["rejects.csv"] = write_csv(con, "rejects", out_dir / "rejects.csv", EXPORT_ORDER["rejects"])
        if has_table(con, "organizations"):
            rows["organizations.csv"] = write_csv(
                con, "organizations", out_dir / "organizations.csv", EXPORT_ORDER["organizations"]
            )
        if has_table(con, "exclusions_unmatched"):
            rows["exclusions_unmatched.csv"] = write_csv(
                con,
                "exclusions_unmatched",
                out_dir / "exclusions_unmatched.csv",
                EXPORT_ORDER["exclusions_unmatched"],
            )
        if has_table(con, "merge_candidates"):
            rows["merge_candidates.csv"] = write_csv(
                con, "merge_candidates", out_dir / "merge_candidates.csv", EXPORT_ORDER["merge_candidates"]
            )
        pieces = write_xml(con, out_dir, generated, report, memo)
        rows["records.xml"] = sum(piece.rows for piece in pieces)
        rows.update({f"offices/{piece.code}.xml": piece.rows for piece in pieces})
        Log(quiet, "export").info(f"records.xml and {len(pieces)} office files written and valid")
        write_datapackage(
            con, out_dir, generated, [name for name in rows if name.count("/") == 0], report.misfits
        )
        write_passport(con, out_dir, generated)
        rows.update({"datapackage.json": None, "meta.csv": None, structure_file_name(): None})
    finally:
        con.close()
        shutil.rmtree(spill, ignore_errors=True)
    if checksums:
        write_checksums(out_dir, list(rows))
        rows["SHA256SUMS"] = None
    report.files = [
        ExportedFile(name, (out_dir / name).stat().st_size, count) for name, count in rows.items()
    ]
    report.seconds = time.perf_counter() - started
    Log(quiet, "export").info(f"done in {report.seconds:.1f} s")
    return report


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(description="Выгрузить открытые данные из базы реестра.")
    parser.add_argument("database", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)
    report = export_all(args.database, args.out, quiet=args.quiet)
    for item in report.files:
        print(f"{item.bytes:>14,}  {item.path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
