"""How each office publishes its part of the register: files, columns, spellings and mess.

One :class:`OfficeLayout` per office, read from ``layouts.yaml`` beside this module; the dataclasses
here are its schema and :func:`load_layouts` checks the file against them. The generator reads nothing
but these switches, so a new kind of mess is a new field here and one branch in the generator, never
an office-specific if-chain.
"""

from __future__ import annotations

import codecs
import re
import typing
from dataclasses import MISSING, dataclass, field, fields
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from openepb.demo import mess

#: the two eras the demo world covers: the paper's register and today's files
PAPER_YEARS: tuple[int, ...] = (2014, 2015, 2016, 2017, 2018)
TODAY_YEARS: tuple[int, ...] = (2022, 2023, 2024, 2025, 2026)
YEARS: tuple[int, ...] = PAPER_YEARS + TODAY_YEARS
#: the demo's "today": the current year is published up to this day
LAST_DAY = date(2026, 6, 30)
#: from this year on the first group of a number is the subject of the RF where the object is, and
#: the serial is one running count per year over the whole country (six digits once it passes 99 999)
REGION_NUMBERING_FROM = 2022
#: today's serials per year: (the count the year starts at, conclusions registered per day over the
#: whole country); a day's numbers start at start + (day of the year - 1) × per day, and a year stays
#: below a million (six digits at most). Every 2026 number seen is 8xx xxx (800238, 845161 of
#: 26.05.2026, 896427), so 2026 starts at 800 000; the earlier years start at 1 and pass 99 999
#: in their first weeks (five-digit serials alongside six-digit ones).
NATIONAL_SERIALS: dict[int, tuple[int, int]] = {
    2022: (1, 1800),
    2023: (1, 2000),
    2024: (1, 2200),
    2025: (1, 2500),
    2026: (800_000, 1000),
}
#: share of today's numbers whose first group is another subject of the office (54 for Минусинск)
PREFIX_EXCEPTIONS = 0.03
#: formats whose volume stays capped at any scale (slow to write, and offices keep them small)
CAPPED_FORMATS = frozenset({"xls", "xls_html", "docx", "doc", "pdf", "page"})
#: the layouts of every demo office
LAYOUTS_FILE = Path(__file__).with_name("layouts.yaml")
#: the logical values a published column can hold (see :class:`Column`)
COLUMN_VALUES = frozenset(
    {
        "npp",
        "reg_number",
        "date",
        "object_type",
        "object_name",
        "applicant_name",
        "applicant_inn",
        "applicant_address",
        "applicant_contact",
        "expert_name",
        "expert_inn",
        "expert_contact",
        "licence",
        "certificate",
        "excluded_date",
        "exclusion_reason",
        "region",
        "opo_number",
        "opo_name",
        "hazard_class",
        "verdict",
        "term",
    }
)


@dataclass(frozen=True, slots=True)
class Column:
    """One published column: the logical value it holds and its header wording.

    ``group`` is the parent header of a two-row header; consecutive columns with the same group share
    one merged parent cell. Logical values: ``npp``, ``reg_number``, ``date``, ``object_type``,
    ``object_name``, ``applicant_name``, ``applicant_inn``, ``applicant_address``, ``applicant_contact``,
    ``expert_name``, ``expert_inn``, ``expert_contact``, ``licence``, ``certificate``, ``excluded_date``,
    ``exclusion_reason``; today's files add ``region`` (subject of the RF), ``opo_number``,
    ``opo_name``, ``hazard_class``, ``verdict`` and ``term`` (of further safe operation).
    """

    value: str
    header: str
    group: str = ""


@dataclass(frozen=True, slots=True)
class Publication:
    """A family of files: ``per_year`` (one file per year), ``half_year`` (January–June of ``year``,
    re-published beside the full year), ``workbook`` (a sheet per year plus an all-years sheet),
    ``all_years`` (one table, year sections), ``page`` (the register table on the office page),
    ``weekly`` (one workbook per year, one sheet per week).

    ``fmt``: xlsx, xls (BIFF8), xls_html (an HTML table with an .xls name), docx, doc, pdf, csv, page.
    ``columns`` replaces the office's columns in these files (a layout that changed over the years);
    ``week_sheets`` names the sheets of a weekly workbook: ``range`` («01.01–07.01») or ``number``
    («Неделя 1»).
    """

    kind: str
    fmt: str
    path: str  # relative to the office folder; {year} is replaced
    years: tuple[int, ...] = YEARS
    year: int = 0  # for half_year
    columns: tuple[Column, ...] = ()
    week_sheets: str = "range"


@dataclass(frozen=True, slots=True)
class OfficeLayout:
    code: str
    volume: float  # relative share of the conclusions
    publications: tuple[Publication, ...]
    columns: tuple[Column, ...]
    date_style: str = "dmy"  # a mess.DATE_TEXT_STYLES key, "cell", "serial" or "mixed"
    org_style: str = "short"  # mess.ORG_STYLES key for expert organizations
    applicant_style: str = "short"
    reg_styles: tuple[str, ...] = ("plain",)  # drawn for a share reg_mess of the rows
    reg_mess: float = 0.0
    licence_style: str = "plain"
    certificate_style: str = "semicolon"
    contact_shapes: tuple[str, ...] = ("lines_full",)
    title_rows: tuple[str, ...] = ()  # rows above the header ({office}, {year}, {period})
    colnum_row: bool = False
    sections: str = ""  # "", "year", "month", "quarter"
    totals: bool = False
    blank_every: int = 0  # a blank row after every N data rows
    footer: tuple[tuple[str, ...], ...] = ()  # rows of the signature block (cells)
    merge_applicant: bool = False  # runs of the same applicant merged vertically
    newest_first: bool = False
    multiline: bool = False  # object names with a line break inside
    paste_twice: bool = False  # a block of rows pasted twice in one file
    invalid_dates: float = 0.0  # share of rows whose date cell cannot be parsed
    rejects: float = 0.004  # share of extra rows without a valid registration number
    encoding: str = "utf-8"
    before: tuple[str, ...] = ()  # paragraphs above a Word table
    # file mess: (relative path, what) — what: empty, corrupt, encrypted, not_a_register, copy:<path>
    file_mess: tuple[tuple[str, str], ...] = ()
    page_links: tuple[tuple[str, str], ...] = field(default_factory=tuple)
    # publication timeliness, for the data-quality page: no conclusion dated after ``stops``
    # (ISO date; a stale or late office), and no conclusion in the ``gap_months`` (``YYYY-MM``)
    stops: str = ""
    gap_months: tuple[str, ...] = ()
    # today's values, each drawn per row from the styles of mess.py
    region_styles: tuple[str, ...] = ("official",)
    opo_styles: tuple[str, ...] = ("plain",)
    hazard_styles: tuple[str, ...] = ("roman",)
    verdict_styles: tuple[str, ...] = ("short",)
    term_styles: tuple[str, ...] = ("until",)
    expert_inn_in_name: float = 0.0  # share of expert name cells written «ООО "X" (ИНН 5503221735)»
    bad_inn: float = 0.0  # share of operator ИНН cells with a typo in the control digit
    applicant_inn_in_name: float = 0.0  # share of operator name cells with the ИНН inside, ИНН cell empty

    def columns_for(self, year: int) -> tuple[Column, ...]:
        """The columns of the files covering ``year`` (an office's layout may change over the years)."""
        for publication in self.publications:
            if publication.kind != "half_year" and year in publication.years and publication.columns:
                return publication.columns
        return self.columns

    def publishes(self, year: int) -> bool:
        return any(p.kind != "half_year" and year in p.years for p in self.publications)


# --- the layouts file ------------------------------------------------------------------------------


class LayoutError(ValueError):
    """``layouts.yaml`` does not fit the schema: the message names the office and the key."""


#: the values a field may take (a tuple field: each of its items)
CHOICES: dict[str, frozenset[str]] = {
    "kind": frozenset({"per_year", "half_year", "workbook", "all_years", "page", "weekly"}),
    "fmt": frozenset({"xlsx", "xls", "xls_html", "docx", "doc", "pdf", "csv", "page"}),
    "week_sheets": frozenset({"range", "number"}),
    "date_style": frozenset({*mess.DATE_TEXT_STYLES, "cell", "serial", "mixed"}),
    "org_style": frozenset(mess.ORG_STYLES),
    "applicant_style": frozenset(mess.ORG_STYLES),
    "reg_styles": frozenset(mess.REG_STYLES),
    "licence_style": frozenset(mess.LICENCE_STYLES),
    "certificate_style": frozenset({"semicolon", "lines", "names", "latin"}),
    "contact_shapes": frozenset(mess.CONTACT_SHAPES),
    "sections": frozenset({"", "year", "month", "quarter"}),
    "region_styles": frozenset(mess.REGION_STYLES),
    "opo_styles": frozenset(mess.OPO_STYLES),
    "hazard_styles": frozenset(mess.HAZARD_STYLES),
    "verdict_styles": frozenset(mess.VERDICT_STYLES),
    "term_styles": frozenset(mess.TERM_STYLES),
}
#: what can be wrong with a file of ``file_mess`` (besides ``copy:<path>``, a copy of another file)
FILE_MESS = frozenset({"empty", "corrupt", "encrypted", "not_a_register"})
#: a publication's ``years`` by name
ERAS: dict[str, tuple[int, ...]] = {"paper": PAPER_YEARS, "today": TODAY_YEARS}
_FILE_KEYS = frozenset({"columns", "column_sets", "texts", "offices"})
_PATTERNS = {"stops": re.compile(r"(\d{4}-\d{2}-\d{2})?"), "gap_months": re.compile(r"\d{4}-\d{2}")}


def load_layouts(path: Path = LAYOUTS_FILE) -> tuple[OfficeLayout, ...]:
    """Every office's layout from ``path``; :class:`LayoutError` for anything the schema does not know."""
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise LayoutError(f"{path}: expected a mapping with {sorted(_FILE_KEYS)}")
    _known_keys(data, _FILE_KEYS, str(path))
    named = {
        str(name): _column(spec, {}, f"column {name}") for name, spec in _mapping(data, "columns", "").items()
    }
    sets = {
        str(name): _columns(spec, named, {}, f"column set {name}")
        for name, spec in _mapping(data, "column_sets", "").items()
    }
    offices = data.get("offices")
    if not isinstance(offices, list) or not offices:
        raise LayoutError(f"{path}: `offices` must be a list of offices")
    layouts = tuple(_office(entry, named, sets, i) for i, entry in enumerate(offices))
    seen: set[str] = set()
    for item in layouts:
        if item.code in seen:
            raise LayoutError(f"office {item.code}: listed twice")
        seen.add(item.code)
    return layouts


def _office(
    entry: Any, named: dict[str, Column], sets: dict[str, tuple[Column, ...]], i: int
) -> OfficeLayout:
    code = entry.get("code") if isinstance(entry, dict) else None
    where = f"office {code}" if isinstance(code, str) and code else f"office #{i + 1}"
    if not isinstance(entry, dict):
        raise LayoutError(f"{where}: expected a mapping of fields")
    special = {
        "publications": lambda value, at: tuple(
            _publication(p, named, sets, f"{at} #{n + 1}") for n, p in enumerate(_list(value, at))
        ),
        "columns": lambda value, at: _columns(value, named, sets, at),
        "file_mess": _file_mess,
        "page_links": lambda value, at: tuple(
            (_str(k, at), _str(v, f"{at}: {k}")) for k, v in _dict(value, at).items()
        ),
    }
    return _build(OfficeLayout, entry, where, special)


def _publication(
    entry: Any, named: dict[str, Column], sets: dict[str, tuple[Column, ...]], where: str
) -> Publication:
    special = {
        "years": _years,
        "columns": lambda value, at: _columns(value, named, sets, at),
    }
    return _build(Publication, _dict(entry, where), where, special)


def _build(cls: type, entry: dict, where: str, special: dict) -> Any:
    """An instance of the dataclass ``cls`` from ``entry``: every key a field, every required field there."""
    hints = typing.get_type_hints(cls)
    schema = {f.name: f for f in fields(cls)}
    _known_keys(entry, frozenset(schema), where)
    values = {}
    for name, spec in schema.items():
        at = f"{where}, {name}"
        if name not in entry:
            if spec.default is MISSING and spec.default_factory is MISSING:
                raise LayoutError(f"{where}: `{name}` is missing")
            continue
        value = entry[name]
        if name in special:
            values[name] = special[name](value, at)
        else:
            values[name] = _value(value, hints[name], at)
        _check_choice(name, values[name], at)
    return cls(**values)


def _value(value: Any, hint: Any, where: str) -> Any:
    """``value`` as the plain type ``hint`` (str, int, float, bool or a tuple of them)."""
    if hint is str:
        return _str(value, where)
    if hint is bool:
        if not isinstance(value, bool):
            raise LayoutError(f"{where}: expected true or false, not {value!r}")
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise LayoutError(f"{where}: expected a whole number, not {value!r}")
        return value
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise LayoutError(f"{where}: expected a number, not {value!r}")
        return float(value)
    if typing.get_origin(hint) is tuple:
        args = typing.get_args(hint)
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(
                _value(item, args[0], f"{where} #{n + 1}") for n, item in enumerate(_list(value, where))
            )
    raise TypeError(f"{where}: no reader for fields of type {hint}")


def _check_choice(name: str, value: Any, where: str) -> None:
    items = value if isinstance(value, tuple) else (value,)
    if name in CHOICES:
        unknown = [item for item in items if item not in CHOICES[name]]
        if unknown:
            raise LayoutError(f"{where}: unknown {unknown[0]!r}; known: {', '.join(sorted(CHOICES[name]))}")
    if name in _PATTERNS:
        for item in items:
            if not _PATTERNS[name].fullmatch(item):
                raise LayoutError(f"{where}: {item!r} is not {_PATTERNS[name].pattern}")
    if name == "encoding":
        try:
            codecs.lookup(value)
        except LookupError:
            raise LayoutError(f"{where}: unknown encoding {value!r}") from None


def _columns(
    value: Any, named: dict[str, Column], sets: dict[str, tuple[Column, ...]], where: str
) -> tuple[Column, ...]:
    """A column list, or the name of a column set."""
    if isinstance(value, str):
        if value not in sets:
            raise LayoutError(f"{where}: unknown column set {value!r}; known: {', '.join(sorted(sets))}")
        return sets[value]
    return tuple(_column(spec, named, f"{where} #{n + 1}") for n, spec in enumerate(_list(value, where)))


def _column(spec: Any, named: dict[str, Column], where: str) -> Column:
    """A shared column by name, or ``{value, header, group}``."""
    if isinstance(spec, str):
        if spec not in named:
            raise LayoutError(f"{where}: unknown column {spec!r}; shared columns: {', '.join(sorted(named))}")
        return named[spec]
    column = _build(Column, _dict(spec, where), where, {})
    if column.value not in COLUMN_VALUES:
        raise LayoutError(
            f"{where}: unknown column value {column.value!r}; known: {', '.join(sorted(COLUMN_VALUES))}"
        )
    return column


def _years(value: Any, where: str) -> tuple[int, ...]:
    if isinstance(value, str):
        if value not in ERAS:
            raise LayoutError(f"{where}: unknown era {value!r}; known: {', '.join(ERAS)}")
        return ERAS[value]
    years = _value(value, tuple[int, ...], where)
    unknown = [year for year in years if year not in YEARS]
    if unknown:
        raise LayoutError(f"{where}: {unknown[0]} is not a year of the demo ({YEARS[0]}-{YEARS[-1]})")
    return years


def _file_mess(value: Any, where: str) -> tuple[tuple[str, str], ...]:
    items = []
    for rel, what in _dict(value, where).items():
        what = _str(what, f"{where}: {rel}")
        if what not in FILE_MESS and not (what.startswith("copy:") and len(what) > len("copy:")):
            raise LayoutError(
                f"{where}: {rel}: unknown {what!r}; known: {', '.join(sorted(FILE_MESS))}, copy:<path>"
            )
        items.append((_str(rel, where), what))
    return tuple(items)


def _known_keys(entry: dict, known: frozenset[str], where: str) -> None:
    unknown = [key for key in entry if key not in known]
    if unknown:
        raise LayoutError(f"{where}: unknown key {unknown[0]!r}; known: {', '.join(sorted(known))}")


def _mapping(data: dict, key: str, where: str) -> dict:
    return _dict(data.get(key) or {}, f"{where}{key}")


def _dict(value: Any, where: str) -> dict:
    if not isinstance(value, dict):
        raise LayoutError(f"{where}: expected a mapping, not {value!r}")
    return value


def _list(value: Any, where: str) -> list:
    if not isinstance(value, list):
        raise LayoutError(f"{where}: expected a list, not {value!r}")
    return value


def _str(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise LayoutError(f"{where}: expected text, not {value!r}")
    return value


LAYOUTS: tuple[OfficeLayout, ...] = load_layouts()


def layout(code: str) -> OfficeLayout:
    return next(item for item in LAYOUTS if item.code == code)
