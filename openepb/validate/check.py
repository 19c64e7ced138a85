"""Validator for offices: an XML document in the unified schema, or an xlsx/csv in the template layout.

Every record, from XML or from a table row, is checked the same way: as a ``record`` element against
the XSD (one truth for patterns and code lists, generated from ``schema/formats.yaml``), then by the
rules the XSD cannot express (control digits, years and codes inside the number, duplicates). An
issue is an error or a warning: a warning (a code outside an open, reviewed list) is shown but keeps
the file valid, because the normalizer keeps such a record too. XML is
parsed defensively: size capped before reading, no DTD, no entities, no network, records released as
soon as they are checked, so memory stays bounded and nothing from a hostile file is echoed back.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any

from lxml import etree

from openepb.context import argument_parser
from openepb.contract import formats, problems
from openepb.contract.fields import FIELD_NAMES, FIELDS_BY_NAME
from openepb.contract.xsd import (
    NAMESPACE,
    RECORD_ELEMENT,
    REQUIRED_FIELDS,
    ROOT_ELEMENT,
    XSD_PATH,
    field_type,
    listed_codes,
    load_schema,
    value_fits,
)
from openepb.validate.template import DATA_SHEET, TEMPLATE_FIELDS, header_title

DEFAULT_MAX_BYTES = 100 * 1024 * 1024
PROLOG_BYTES = 1 << 20
VALUE_SHOWN = 200
HEADER_SEARCH_ROWS = 10

EXIT_VALID, EXIT_INVALID, EXIT_UNREADABLE = 0, 1, 2
ERROR, WARNING = "error", "warning"
ELEMENT_IN_MESSAGE = re.compile(r"Element '\{[^}]*\}([^']+)'")
EXPECTED_IN_MESSAGE = re.compile(r"Expected is (?:one of )?\(([^)]*)\)")
EXPECTED_NAME = re.compile(r"\{[^}]*\}([^ ,)]+)")
DAY_FIRST_DATE = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})")
DECLARED_ENCODING = re.compile(rb"<\?xml[^>]*encoding\s*=\s*[\"']([A-Za-z0-9._-]+)[\"']")


@dataclass(frozen=True, slots=True)
class Issue:
    """One problem: its code of ``schema/problems.yaml``, where (row of the table or number of the
    record, line, field) and why, in Russian.

    ``level`` is ``error`` (the file is invalid) or ``warning`` (shown; the file stays valid), as
    the catalogue says for the code. Make one with :func:`issue`.
    """

    code: str
    row: int | None
    field: str | None
    value: str | None
    reason: str
    line: int | None = None
    level: str = ERROR

    def describe(self, unit: str) -> str:
        where = []
        if self.row is not None:
            where.append(f"{unit} {self.row}")
        if self.line is not None:
            where.append(f"строка файла {self.line}")
        if self.field:
            title = FIELDS_BY_NAME[self.field].title_ru if self.field in FIELDS_BY_NAME else None
            where.append(f"поле {self.field}" + (f" ({title})" if title else ""))
        value = f" — значение «{self.value}»" if self.value is not None else ""
        mark = "предупреждение: " if self.level == WARNING else ""
        return f"{mark}{', '.join(where) or 'документ'}: {self.reason}{value} [{self.code}]"


def issue(
    code: str,
    row: int | None,
    field: str | None,
    value: str | None,
    line: int | None = None,
    /,
    **params: object,
) -> Issue:
    """An issue of a catalogue code: its level and its message (the template filled with ``params``)."""
    entry = problems.spec(code, "validate")
    return Issue(code, row, field, value, entry.text(params), line or None, entry.level)


@dataclass
class ValidationReport:
    path: str
    format: str
    status: str = "valid"  # valid | invalid | unreadable
    records: int = 0
    issues: list[Issue] = field(default_factory=list)
    message: str | None = None  # why an unreadable file was not checked
    code: str | None = None  # the catalogue code of that reason

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.level == ERROR]

    @property
    def warnings(self) -> list[Issue]:
        return [i for i in self.issues if i.level == WARNING]

    @property
    def exit_code(self) -> int:
        return {"valid": EXIT_VALID, "invalid": EXIT_INVALID}.get(self.status, EXIT_UNREADABLE)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["exit_code"] = self.exit_code
        return data


class Unreadable(Exception):
    """The file cannot be checked at all: a catalogue code and a message safe to show (no file
    content), with the line and column of a parse error when there is one."""

    def __init__(self, code: str, /, *, line: int | None = None, column: int | None = None, **params: object):
        self.code = code
        where = f" (строка {line}, позиция {column})" if line else ""
        super().__init__(problems.spec(code, "validate").text(params) + where)


def _tag(name: str) -> str:
    return f"{{{NAMESPACE}}}{name}"


def _shown(value: str | None) -> str | None:
    if value is None:
        return None
    return value if len(value) <= VALUE_SHOWN else value[:VALUE_SHOWN] + "…"


@cache
def record_schema() -> etree.XMLSchema:
    """The XSD plus a global ``record`` element, so each record can be validated on its own."""
    wrapper = (
        f'<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:epb="{NAMESPACE}" '
        f'targetNamespace="{NAMESPACE}" elementFormDefault="qualified">'
        f'<xs:include schemaLocation="{XSD_PATH.name}"/>'
        f'<xs:element name="{RECORD_ELEMENT}" type="epb:Record"/></xs:schema>'
    )
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    base = (XSD_PATH.parent / "record-wrapper.xsd").as_uri()
    return etree.XMLSchema(etree.fromstring(wrapper.encode(), parser, base_url=base))


# --- XSD errors in plain words -------------------------------------------------------------------


def _field_reason(name: str) -> str:
    return field_type(name).reason


def _translate(entry: Any, record: etree._Element, row: int | None) -> Issue:
    """One libxml2 schema error → an issue naming the field, its value and the reason in Russian."""
    message: str = entry.message
    found = ELEMENT_IN_MESSAGE.search(message)
    name = found.group(1) if found else None
    line = entry.line or None
    if "This element is not expected" in message:
        wanted = _expected_field(message)
        if wanted in REQUIRED_FIELDS and (name not in FIELDS_BY_NAME or _after(name, wanted)):
            return issue("field_missing", row, wanted, None, line)
        if name in FIELDS_BY_NAME:
            return issue("field_order", row, name, None, line)
        return issue("unknown_element", row, name, None, line)
    if "Missing child element" in message:
        wanted = _expected_field(message)
        return issue("field_missing", row, wanted, None, line)
    if "attribute" in message and "is not allowed" in message:
        return issue("attribute_not_allowed", row, None, None, line)
    if "Character content" in message:
        return issue("text_outside_fields", row, None, None, line)
    if name in FIELDS_BY_NAME:
        child = record.find(_tag(name))
        value = _shown(child.text) if child is not None else None
        return issue("value_pattern", row, name, value, line, reason=_field_reason(name))
    return issue("record_invalid", row, name, None, line)


def _expected_field(message: str) -> str | None:
    """The element libxml2 expected: the first required one it lists, else the first listed."""
    expected = EXPECTED_IN_MESSAGE.search(message)
    names = EXPECTED_NAME.findall(expected.group(1)) if expected else []
    return next((n for n in names if n in REQUIRED_FIELDS), names[0] if names else None)


def _after(name: str | None, wanted: str) -> bool:
    return name in FIELDS_BY_NAME and FIELD_NAMES.index(name) > FIELD_NAMES.index(wanted)


def _xsd_issues(record: etree._Element, row: int | None) -> list[Issue]:
    schema = record_schema()
    if schema.validate(record):
        return []
    issues: list[Issue] = []
    seen: set[tuple[str | None, str]] = set()
    for entry in schema.error_log:
        found = _translate(entry, record, row)
        key = (found.field, found.reason)
        if key not in seen:  # libxml2 may report one bad value twice (facet, then type)
            seen.add(key)
            issues.append(found)
    return issues


# --- rules the XSD cannot express ----------------------------------------------------------------


@dataclass
class RecordChecks:
    """State across the records of one file: numbers seen (duplicates) and the document's office."""

    document_office: str | None = None
    seen: dict[str, int] = field(default_factory=dict)

    def check(self, values: dict[str, str], bad: set[str], row: int | None, line: int | None) -> list[Issue]:
        good = {k: v for k, v in values.items() if k not in bad}
        issues: list[Issue] = []
        number = good.get("reg_number")
        if number:
            issues += self._number_rules(number, good, row, line)
        for rule in (_excluded_after_registered, self._document_office):
            found = rule(good, row, line)
            if found:
                issues.append(found)
        return issues + _checksum_issues(good, row, line) + _unlisted_issues(good, row, line)

    def _number_rules(
        self, number: str, good: dict[str, str], row: int | None, line: int | None
    ) -> list[Issue]:
        issues = []
        first = self.seen.get(number)
        if first is not None:
            issues.append(issue("duplicate_number", row, "reg_number", number, line, first=first))
        else:
            self.seen[number] = row or 0
        object_type, year = number[3:5], number[-4:]
        registered = good.get("date_registered")
        if registered and registered[:4] != year:
            issues.append(
                issue(
                    "year_mismatch",
                    row,
                    "date_registered",
                    registered,
                    line,
                    registered=registered[:4],
                    year=year,
                )
            )
        declared = good.get("object_type")
        if declared and declared != object_type:
            issues.append(issue("object_code_mismatch", row, "object_type", declared, line, code=object_type))
        return issues

    def _document_office(self, good: dict[str, str], row: int | None, line: int | None) -> Issue | None:
        office = good.get("office_code")
        if self.document_office and office and office != self.document_office:
            return issue("other_office", row, "office_code", office, line, office=self.document_office)
        return None


@cache
def _checksum_fields() -> tuple[tuple[str, str, str], ...]:
    """(field, checksum kind, reason) of the fields whose type has control digits, in field order."""
    return tuple(
        (name, spec.checksum, spec.checksum_reason or spec.reason)
        for name in FIELD_NAMES
        if (spec := field_type(name)).checksum
    )


def _checksum_issues(good: dict[str, str], row: int | None, line: int | None) -> list[Issue]:
    """A value that fits its pattern but whose control digits are wrong (a mistyped ИНН)."""
    return [
        issue("inn_checksum", row, name, value, line, reason=reason)
        for name, kind, reason in _checksum_fields()
        if (value := good.get(name))
        and value_fits(name, value)
        and not formats.control_digits_ok(kind, value)
    ]


@cache
def _unlisted_fields() -> tuple[tuple[str, frozenset[str], str], ...]:
    """(field, reviewed codes, warning) of the fields whose code list is open, in field order."""
    listed = listed_codes()
    return tuple(
        (
            name,
            listed[name],
            formats.get(field_type(name).name).unlisted_reason or problems.spec("object_type_unlisted").title,
        )
        for name in FIELD_NAMES
        if name in listed
    )


def _unlisted_issues(good: dict[str, str], row: int | None, line: int | None) -> list[Issue]:
    """A warning for a code outside an open list; without an object_type element, the number's
    second group is the object-type code."""
    issues = []
    for name, codes, reason in _unlisted_fields():
        where, code = name, good.get(name)
        if not code and name == "object_type" and good.get("reg_number"):
            where, code = "reg_number", good["reg_number"][3:5]
        if code and value_fits(name, code) and code not in codes:
            text = problems.fill(reason, {"code": code})  # unlisted_reason names the {code}
            issues.append(issue("object_type_unlisted", row, where, good[where], line, reason=text))
    return issues


def _excluded_after_registered(good: dict[str, str], row: int | None, line: int | None) -> Issue | None:
    registered, excluded = good.get("date_registered"), good.get("excluded_date")
    if registered and excluded and excluded < registered:
        return issue("excluded_before_registered", row, "excluded_date", excluded, line)
    return None


def _check_record(record: etree._Element, row: int, checks: RecordChecks) -> list[Issue]:
    issues = _xsd_issues(record, row)
    bad = {issue.field for issue in issues if issue.field}
    values = {
        etree.QName(child).localname: (child.text or "").strip()
        for child in record
        if isinstance(child.tag, str) and child.tag.startswith(f"{{{NAMESPACE}}}")
    }
    return issues + checks.check(values, bad, row, record.sourceline)


# --- XML input -----------------------------------------------------------------------------------


def _check_prolog(path: Path) -> None:
    """Refuse, before parsing, what an office document never needs: DTDs, entities, other encodings."""
    with path.open("rb") as handle:
        head = handle.read(PROLOG_BYTES)
    if head.startswith((b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff")) or b"\x00" in head[:4]:
        raise Unreadable("encoding_not_utf8")
    declared = DECLARED_ENCODING.search(head[:200])
    if declared and declared.group(1).lower().replace(b"_", b"-") not in (b"utf-8", b"utf8"):
        raise Unreadable("encoding_declared_other")
    if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
        raise Unreadable("dtd_forbidden")


def _syntax_error(error: etree.XMLSyntaxError) -> Unreadable:
    """A parse failure by its class; libxml2's own text may quote the file, so it is not shown."""
    text = str(error.msg or "")
    if "UTF-8" in text or "encoding" in text.lower() or "Char 0x" in text:
        code = "xml_bad_characters"
    elif "ntity" in text:
        code = "xml_entity"
    elif "huge" in text.lower() or "depth" in text.lower():
        code = "xml_limits"
    else:
        code = "xml_malformed"
    return Unreadable(code, line=error.lineno, column=error.offset)


def _iter_xml_records(path: Path, report: ValidationReport) -> Iterator[tuple[etree._Element, int]]:
    """Yield each record with its number; header elements are collected and checked at the end."""
    root: etree._Element | None = None
    records = 0
    header_after_records: list[etree._Element] = []
    context = etree.iterparse(
        str(path),
        events=("start", "end"),
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )
    for event, element in context:
        if root is None:
            root = element
            if element.getroottree().docinfo.internalDTD is not None:
                raise Unreadable("dtd_forbidden")
            if element.tag != _tag(ROOT_ELEMENT):
                raise Unreadable("not_register_document", root=ROOT_ELEMENT, namespace=NAMESPACE)
            continue
        if event != "end" or element.getparent() is not root:
            continue
        if element.tag == _tag(RECORD_ELEMENT):
            records += 1
            yield element, records
            root.remove(element)
        elif records:
            header_after_records.append(element)
    report.records = records
    if root is not None:
        report.issues += _header_issues(root, header_after_records)


def _header_issues(root: etree._Element, misplaced: list[etree._Element]) -> list[Issue]:
    """The register element without its records, against the full schema."""
    issues = [
        issue("header_after_records", None, etree.QName(el).localname, None, el.sourceline)
        for el in misplaced
        if isinstance(el.tag, str)
    ]
    schema = load_schema()
    if not schema.validate(root):
        for entry in schema.error_log:
            found = ELEMENT_IN_MESSAGE.search(entry.message)
            name = found.group(1) if found else None
            issues.append(_header_issue(entry.message, None if name == ROOT_ELEMENT else name, entry.line))
    return issues


def _header_issue(message: str, name: str | None, line: int | None) -> Issue:
    if "version" in message:
        return issue("header_version", None, name, None, line, root=ROOT_ELEMENT)
    if "Missing child" in message or "Expected is" in message:
        expected = EXPECTED_IN_MESSAGE.search(message)
        names = EXPECTED_NAME.findall(expected.group(1)) if expected else []
        return issue("header_expected", None, name, None, line, element=names[0] if names else "?")
    return issue("header_invalid", None, name, None, line)


def _validate_xml(path: Path, report: ValidationReport) -> None:
    _check_prolog(path)
    checks = RecordChecks()
    try:
        for record, number in _iter_xml_records(path, report):
            if checks.document_office is None:
                office = record.getparent().find(_tag("office"))
                checks.document_office = office.text if office is not None else ""
            report.issues += _check_record(record, number, checks)
    except etree.XMLSyntaxError as error:
        raise _syntax_error(error) from None


# --- xlsx / csv in the template layout ------------------------------------------------------------


def _cell_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value).strip()
    return text or None


def _normalized_header(text: str) -> str:
    return " ".join(text.replace("*", " ").split()).lower()


@cache
def _header_lookup() -> dict[str, str]:
    lookup = {}
    for name in TEMPLATE_FIELDS:
        lookup[_normalized_header(name)] = name
        lookup[_normalized_header(header_title(name))] = name
    return lookup


def _find_header(rows: list[list[str | None]]) -> int | None:
    lookup = _header_lookup()
    for index, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        mapped = {lookup.get(_normalized_header(cell or "")) for cell in row}
        if "reg_number" in mapped:
            return index
    return None


def _read_xlsx(path: Path) -> list[list[str | None]]:
    """The data sheet's cells; a zip that would inflate past the build's limits is refused first."""
    import zipfile

    from python_calamine import CalamineWorkbook

    from openepb.read import ReadError
    from openepb.read.detect import check_inflated_sizes

    try:
        with zipfile.ZipFile(path) as archive:
            check_inflated_sizes(archive.infolist())
    except ReadError as refused:
        raise Unreadable("xlsx_unreadable", error=refused.message) from None
    except (zipfile.BadZipFile, OSError):
        pass  # calamine below names what is wrong with it
    try:
        workbook = CalamineWorkbook.from_path(str(path))
        name = DATA_SHEET if DATA_SHEET in workbook.sheet_names else workbook.sheet_names[0]
        rows = workbook.get_sheet_by_name(name).to_python(skip_empty_area=False)
    except Exception as error:  # calamine raises its own error types for broken workbooks
        raise Unreadable("xlsx_unreadable", error=type(error).__name__) from None
    return [[_cell_text(value) for value in row] for row in rows]


def _decode_csv(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            return data.decode("cp1251")
        except UnicodeDecodeError:
            raise Unreadable("csv_encoding") from None


def _read_csv(path: Path) -> list[list[str | None]]:
    text = _decode_csv(path.read_bytes())
    first_line = text.split("\n", 1)[0]
    delimiter = max((";", ",", "\t"), key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    return [[_cell_text(cell) for cell in row] for row in reader]


def _iso_date(text: str) -> str:
    found = DAY_FIRST_DATE.fullmatch(text)
    return f"{found.group(3)}-{int(found.group(2)):02d}-{int(found.group(1)):02d}" if found else text


def _row_record(values: dict[str, str], row: int) -> etree._Element:
    record = etree.Element(_tag(RECORD_ELEMENT))
    for name in FIELD_NAMES:
        value = values.get(name)
        if value:
            child = etree.SubElement(record, _tag(name))
            child.text = _iso_date(value) if FIELDS_BY_NAME[name].sql_type == "DATE" else value
    return record


def _validate_table(rows: list[list[str | None]], report: ValidationReport) -> None:
    header_index = _find_header(rows)
    if header_index is None:
        report.issues.append(issue("template_header_missing", None, None, None))
        return
    lookup = _header_lookup()
    columns: dict[int, str] = {}
    for col, cell in enumerate(rows[header_index]):
        if not cell:
            continue
        name = lookup.get(_normalized_header(cell))
        if name is None:
            report.issues.append(issue("template_unknown_column", header_index + 1, cell, None))
        else:
            columns[col] = name
    checks = RecordChecks()
    for index in range(header_index + 1, len(rows)):
        row = rows[index]
        values = {name: row[col] for col, name in columns.items() if col < len(row) and row[col]}
        if not values:
            continue
        report.records += 1
        report.issues += _check_record(_row_record(values, index + 1), index + 1, checks)


# --- entry points --------------------------------------------------------------------------------


def _detect_format(path: Path) -> str:
    with path.open("rb") as handle:
        head = handle.read(512)
    if head.startswith(b"PK\x03\x04"):
        return "xlsx"
    stripped = head.removeprefix(b"\xef\xbb\xbf").lstrip()
    if path.suffix.lower() == ".xml" or stripped.startswith(b"<"):
        return "xml"
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "xml" if b"<\x00" in head[:8] or b"\x00<" in head[:8] else "csv"
    return "csv"


def validate_file(path: Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> ValidationReport:
    """Check one file; never raises for a bad file: the report says ``unreadable`` with a message."""
    path = Path(path)
    report = ValidationReport(str(path), "?")
    try:
        if not path.is_file():
            raise Unreadable("file_not_found")
        size = path.stat().st_size
        if size > max_bytes:
            raise Unreadable("file_too_large", size=f"{size / 2**20:.0f}", limit=f"{max_bytes / 2**20:.0f}")
        report.format = _detect_format(path)
        if report.format == "xml":
            _validate_xml(path, report)
        else:
            rows = _read_xlsx(path) if report.format == "xlsx" else _read_csv(path)
            _validate_table(rows, report)
    except Unreadable as error:
        return _unreadable(report, error)
    except (OSError, MemoryError) as error:
        return _unreadable(report, Unreadable("file_unreadable", error=type(error).__name__))
    if not report.records and not report.errors:
        report.issues.append(issue("no_records", None, None, None))
    report.status = "invalid" if report.errors else "valid"
    return report


def _unreadable(report: ValidationReport, error: Unreadable) -> ValidationReport:
    report.status, report.message, report.code = "unreadable", str(error), error.code
    report.issues = []
    return report


def format_report(report: ValidationReport) -> str:
    unit = "запись" if report.format == "xml" else "строка"
    if report.status == "unreadable":
        return f"{report.path}: НЕ ПРОВЕРЕН — {report.message} [{report.code}]"
    head = f"{report.path}: {'ОШИБОК НЕТ' if report.status == 'valid' else 'ЕСТЬ ОШИБКИ'}"
    warnings = f", предупреждений: {len(report.warnings)}" if report.warnings else ""
    head += f" (записей: {report.records}, ошибок: {len(report.errors)}{warnings})"
    return "\n".join([head, *(f"  {issue.describe(unit)}" for issue in report.issues)])


def overall_exit(reports: Iterable[ValidationReport]) -> int:
    return max((r.exit_code for r in reports), default=EXIT_VALID)


def main(argv: list[str] | None = None) -> int:
    parser = argument_parser(
        prog="openepb-validate",
        description="Проверить файл реестра заключений ЭПБ (XML по единой схеме, xlsx или csv по шаблону).",
    )
    parser.add_argument(
        "files",
        nargs="+",
        type=Path,
        metavar="FILE",
        help="файл реестра: XML по единой схеме, xlsx или csv по шаблону",
    )
    parser.add_argument("--format", choices=("text", "json"), default="text", help="вид отчёта")
    parser.add_argument(
        "--max-size-mb", type=float, default=DEFAULT_MAX_BYTES / 2**20, help="предельный размер файла, МБ"
    )
    args = parser.parse_args(argv)
    reports = [validate_file(path, max_bytes=int(args.max_size_mb * 2**20)) for path in args.files]
    if args.format == "json":
        print(json.dumps([r.to_dict() for r in reports], ensure_ascii=False, indent=2))
    else:
        print("\n".join(format_report(r) for r in reports))
    return overall_exit(reports)


if __name__ == "__main__":
    raise SystemExit(main())
