"""Normalize the raw rows of one file: find each table's header, classify every row, parse values.

The rules are those of docs/normalization.md; the column vocabulary lives in schema/headers.yaml.
A header's reading of a column is checked against a sample of the column's cells (openepb.normalize.recognize):
where they disagree, the contents win. Files can hold millions of rows, so the column mapping is
compiled once per table into a tuple of (column index, setter) pairs and the parsers are cached
(organizations, dates and licences repeat).
Whether a data row is a record or a duplicate is decided later, across files, by the pipeline.
"""

from __future__ import annotations

import gc
import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from functools import cache, lru_cache
from itertools import groupby
from operator import attrgetter

import yaml

from openepb.contract import formats
from openepb.contract.fields import COMBINED_FIELDS, SOURCE_FIELDS
from openepb.contract.problems import Problem
from openepb.contract.sources import SCHEMA_DIR
from openepb.normalize import parsers as fields
from openepb.normalize import recognize
from openepb.read import RawRow

#: Only the first rows of a table are searched for the header block.
HEADER_SEARCH_ROWS = 40
#: A header is one to three rows.
MAX_HEADER_ROWS = 3
#: A section row («2017 год», «I квартал 2017 г.») is short.
MAX_SECTION_LENGTH = 100
#: A footer row has at most this many distinct texts.
MAX_FOOTER_TEXTS = 3

IGNORED = "-"  # field_for_header() result for a column listed under `ignore`
CACHE_SIZE = 1 << 16

_SIGNATURE = re.compile(
    r"(?<!\w)(начальник|заместитель|исполнитель|подпись|м\.\s?п\.|ф\.\s?и\.\s?о\.|фио)(?!\w)", re.IGNORECASE
)
_REG_LIKE = re.compile(
    r"\d+\s*[-‐‑‒–—―−_ ]\s*[^\W\d_]{1,3}\s*[-‐‑‒–—―−_ ]\s*\d+|^б\s*[/\\]?\s*н$", re.IGNORECASE
)
_TOTAL_PREFIXES = ("итого", "всего")
_WS = re.compile(r"\s+")
_HYPHENATED = re.compile(r"(\w)[-‐‑­]\s*\n\s*(\w)|([а-яё])[-‐‑] +([а-яё])")
#: Punctuation becomes a space, except the dot that cuts a word of two letters or more short («наим.»):
#: that dot stays in the key and marks the word as an abbreviation.
_PUNCTUATION = re.compile(r"[^\w№.]+|_|(?<![^\W\d_]{2})\.")
_NUMBER_SIGNS = {"n": "№", "no": "№", "nn": "№", "№№": "№", "n°": "№"}


# --- results ---------------------------------------------------------------------------------------


@dataclass(slots=True)
class RowResult:
    kind: str  # title|header|colnum|blank|section|total|footer|no_header|data|reject
    table: str
    row: int
    cells: tuple[str, ...]
    values: dict[str, object] | None = None  # kind "data": canonical source fields + "year"
    reason: str | None = None  # kind "reject": reg_number_missing | reg_number_invalid
    problems: list[Problem] = field(default_factory=list)


@dataclass(slots=True)
class FileResult:
    rows: list[RowResult]
    problems: list[Problem]  # file level: unknown_column, not_a_register
    headers: dict[str, dict[str, str]]  # table → column index (as str) → field name
    has_register: bool  # False when no table had a header


# --- header rules ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class HeaderRule:
    field: str
    all: tuple[str, ...]
    none: tuple[str, ...] = ()

    def matches(self, padded_key: str, abbreviations: tuple[str, ...] = ()) -> bool:
        """Stems match at word starts: the key is padded with a leading space, so is each stem. A word
        cut short with a dot (``abbreviations``, dot removed) stands for every stem it begins:
        «наим.» is «наименован», «экспл.» is «эксплуатир», «искл.» is «исключ»."""
        return all(_stem_in(s, padded_key, abbreviations) for s in self.all) and not any(
            _stem_in(s, padded_key, abbreviations) for s in self.none
        )


def _stem_in(stem: str, padded_key: str, abbreviations: tuple[str, ...]) -> bool:
    return f" {stem}" in padded_key or any(stem.startswith(a) for a in abbreviations)


def abbreviations_of(key: str) -> tuple[str, ...]:
    """The abbreviated words of a header key (those header_key left ending in a dot), dot removed."""
    return tuple(word[:-1] for word in key.split() if word.endswith("."))


@dataclass(frozen=True, slots=True)
class HeaderVocabulary:
    rules: tuple[HeaderRule, ...]
    ignore: frozenset[str]


def header_key(text: str) -> str:
    """The comparable form of a header text: lower case, ё→е, hyphenation undone, punctuation gone
    but for the dot of an abbreviated word («Наим. ОПО» → «наим. опо»)."""
    text = text.lower().replace("ё", "е").replace("\u00ad", "")
    text = _HYPHENATED.sub(lambda m: (m[1] or m[3]) + (m[2] or m[4]), text)
    text = _PUNCTUATION.sub(" ", text.replace("№", " № ").replace(".", ". "))
    return " ".join(_word_key(word) for word in text.split())


def _word_key(word: str) -> str:
    return _NUMBER_SIGNS.get(word.rstrip("."), word)


@cache
def header_vocabulary() -> HeaderVocabulary:
    """Load schema/headers.yaml once; an unknown target field is a data error, caught at load."""
    data = yaml.safe_load((SCHEMA_DIR / "headers.yaml").read_text(encoding="utf-8"))
    targets = set(SOURCE_FIELDS) | set(COMBINED_FIELDS)
    rules = []
    for target, specs in data["fields"].items():
        if target not in targets:
            raise ValueError(f"schema/headers.yaml: unknown field {target!r}")
        for spec in specs:
            stems = tuple(header_key(s) for s in spec["all"])
            excluded = tuple(header_key(s) for s in spec.get("none", ()))
            rules.append(HeaderRule(target, stems, excluded))
    ignore = frozenset(header_key(text) for text in data.get("ignore", ()))
    return HeaderVocabulary(tuple(rules), ignore)


@lru_cache(maxsize=CACHE_SIZE)
def field_for_header(key: str) -> str | None:
    """The field of a normalized header text; IGNORED for row-number columns; None when unknown."""
    vocabulary = header_vocabulary()
    if key in vocabulary.ignore:
        return IGNORED
    padded = f" {key}"
    abbreviations = abbreviations_of(key)
    best: HeaderRule | None = None
    for rule in vocabulary.rules:
        if (best is None or len(rule.all) > len(best.all)) and rule.matches(padded, abbreviations):
            best = rule
    return best.field if best else None


# --- cached parsers --------------------------------------------------------------------------------

clean_text = lru_cache(maxsize=CACHE_SIZE)(fields.clean_text)
clean_unique_text = fields.clean_text  # object names rarely repeat: a cache would only cost
parse_date = lru_cache(maxsize=CACHE_SIZE)(fields.parse_date)
parse_licence = lru_cache(maxsize=CACHE_SIZE)(fields.parse_licence)
parse_certificates = lru_cache(maxsize=CACHE_SIZE)(fields.parse_certificates)
parse_inn = lru_cache(maxsize=CACHE_SIZE)(fields.parse_inn)
split_name_inn = lru_cache(maxsize=CACHE_SIZE)(fields.split_name_inn)
parse_opo_number = lru_cache(maxsize=CACHE_SIZE)(fields.parse_opo_number)
parse_operation_term = lru_cache(maxsize=CACHE_SIZE)(fields.parse_operation_term)
_is_short_placeholder = lru_cache(maxsize=4096)(fields.is_placeholder)


def is_placeholder(cell: str) -> bool:
    """Long cells (object names, most of a file's text) skip the cache: no placeholder is that long."""
    limit = formats.PLACEHOLDER_MAX_LENGTH
    return (len(cell) <= limit or len(cell.strip()) <= limit) and _is_short_placeholder(cell)


object_type_from_text = lru_cache(maxsize=1024)(fields.object_type_from_text)
parse_reg_number = fields.parse_reg_number  # numbers are unique: a cache would only cost


# --- header detection ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Header:
    start: int  # index of the first header row within the table's rows
    size: int  # number of header rows
    columns: tuple[str | None, ...]  # field per column; IGNORED; None when unknown
    texts: tuple[str, ...]  # joined header text per column, white space collapsed
    row_keys: frozenset[tuple[str, ...]]  # the header rows, for recognising repeats
    reg_index: int  # the column of the registration number
    field_count: int  # distinct fields mapped


def _collapse(text: str) -> str:
    return _WS.sub(" ", text).strip()


def _row_key(cells: tuple[str, ...]) -> tuple[str, ...]:
    """A row's cells with white space collapsed and trailing empty cells dropped."""
    key = [_collapse(c) for c in cells]
    while key and not key[-1]:
        key.pop()
    return tuple(key)


def is_colnum(cells: tuple[str, ...]) -> bool:
    """Column numbers under a header: small integers, rising (a merged cell may repeat one)."""
    numbers = [c for c in cells if c]
    if len(numbers) < 2 or not all(c.isdigit() and len(c) <= 3 for c in numbers):
        return False
    values = [int(c) for c in numbers]
    return all(b >= a for a, b in zip(values, values[1:], strict=False)) and values[-1] > values[0]


def _may_be_header_row(cells: tuple[str, ...]) -> bool:
    """A title merged across the row, a data row or a column-number row is never part of a header."""
    texts = {c for c in cells if c}
    if len(texts) < 2 or is_colnum(cells):
        return False
    return not any(parse_reg_number(c) for c in texts)


def _block_columns(block: list[tuple[str, ...]]) -> tuple[str, ...]:
    """Join each column's texts top to bottom; a cell merged down over rows is said once."""
    width = max(len(cells) for cells in block)
    grid = _spread_parents([[_collapse(c) for c in cells] + [""] * (width - len(cells)) for cells in block])
    texts = []
    for col in range(width):
        parts: list[str] = []
        for cells in grid:
            text = cells[col]
            if text and (not parts or parts[-1] != text):
                parts.append(text)
        texts.append(" ".join(parts))
    return tuple(texts)


def _spread_parents(grid: list[list[str]]) -> list[list[str]]:
    """A parent written only over the first column of its group, as formats without merged cells
    (CSV) keep a merged cell: it also heads the columns to its right that have a sub-header below and
    an empty cell of their own in its row, up to the next text of that row. A text with nothing below
    it is a column merged down, not a parent, and heads no other column."""
    for r in range(len(grid) - 1):
        row = grid[r]
        parent = ""
        for col, text in enumerate(row):
            below = any(lower[col] for lower in grid[r + 1 :])
            if text:
                parent = text if below else ""
            elif parent and below:
                row[col] = parent
            else:
                parent = ""
    return grid


def _map_columns(texts: tuple[str, ...]) -> tuple[str | None, ...]:
    return tuple(field_for_header(header_key(t)) if t else None for t in texts)


def _distinct_fields(columns: tuple[str | None, ...]) -> set[str]:
    return {c for c in columns if c and c != IGNORED}


def find_header(rows: list[RawRow]) -> Header | None:
    """The block of 1–3 rows mapping most distinct fields (reg_number required); ties: shorter, earlier.

    A block holding a value no header cell is (a date, an ИНН, a licence …) is data, however many
    fields its words map: a row «б/н» | «29.12.2020» | «…, рег. № 2-АП» is a reject, not a header.
    That check is made only on a block about to win, as it costs more than the words.
    """
    limit = min(HEADER_SEARCH_ROWS, len(rows))
    eligible = [_may_be_header_row(r.cells) for r in rows[:limit]]
    holds_values: dict[int, bool] = {}

    def free_of_values(start: int, size: int) -> bool:
        for j in range(start, start + size):
            if j not in holds_values:
                holds_values[j] = _holds_values(rows[j].cells)
            if holds_values[j]:
                return False
        return True

    best: Header | None = None
    best_score = 0
    for start in range(limit):
        for size in range(1, MAX_HEADER_ROWS + 1):
            if start + size > limit or not eligible[start + size - 1]:
                break
            block = [r.cells for r in rows[start : start + size]]
            texts = _block_columns(block)
            columns = _map_columns(texts)
            found = _distinct_fields(columns)
            if "reg_number" not in found:
                continue
            wins = len(found) > best_score or (
                best is not None and len(found) == best_score and size < best.size
            )
            if wins and free_of_values(start, size):
                keys = frozenset(_row_key(cells) for cells in block)
                best = Header(start, size, columns, texts, keys, columns.index("reg_number"), len(found))
                best_score = len(found)
    return best


#: Kinds of content a header cell never is (a row holding one is a data row, not a header); bare
#: numbers are left out, as a header may carry a year or a column number.
_VALUE_KINDS = frozenset({"reg_number", "licence", "opo_number", "inn", "date", "email", "phone"})


def _is_spacer(cells: tuple[str, ...]) -> bool:
    """A row that may stand between a header and the data: blank, column numbers or a section."""
    return len({c for c in cells if c}) <= 1 or is_colnum(cells)


def _holds_values(cells: tuple[str, ...]) -> bool:
    return any(c and recognize.cell_kinds(c) & _VALUE_KINDS for c in cells)


def find_header_by_content(rows: list[RawRow]) -> Header | None:
    """A header whose words map no registration number: the block of one to three header-like rows
    right above the first row holding a registration number (blank, column-number and section rows
    between them skipped), when one column below it clearly holds registration numbers."""
    limit = min(HEADER_SEARCH_ROWS + MAX_HEADER_ROWS, len(rows))
    first = next((j for j in range(limit) if any(c and parse_reg_number(c) for c in rows[j].cells)), None)
    if first is None:
        return None
    end = first
    while end > 0 and _is_spacer(rows[end - 1].cells):
        end -= 1
    best: tuple[int, int, tuple[str | None, ...], tuple[str, ...]] | None = None
    for size in range(1, MAX_HEADER_ROWS + 1):
        start = end - size
        if start < 0 or not _may_be_header_row(rows[start].cells) or _holds_values(rows[start].cells):
            break
        texts = _block_columns([r.cells for r in rows[start:end]])
        columns = _map_columns(texts)
        if best is None or len(_distinct_fields(columns)) > len(_distinct_fields(best[2])):
            best = (start, size, columns, texts)
    if best is None:
        return None
    start, size, columns, texts = best
    keys = frozenset(_row_key(r.cells) for r in rows[start:end])
    probe = Header(start, size, columns, texts, keys, -1, len(_distinct_fields(columns)))
    width = max(len(r.cells) for r in rows)
    reg_kind = frozenset({"reg_number"})
    shares = [recognize.profile(cells) for cells in _sample(rows[end:], probe, width)]
    clear = [i for i, p in enumerate(shares) if "reg_number" in recognize.clear_kinds(p)]
    if not clear:
        return None
    reg_index = max(clear, key=lambda i: (shares[i].share(reg_kind), -i))
    return Header(start, size, columns, texts, keys, reg_index, len(_distinct_fields(columns)))


def is_header_repeat(cells: tuple[str, ...], header: Header) -> bool:
    """The header again (a new page): equal to a header row, or a row that alone maps the number in
    the same column and at least half of the header's fields (a reworded or re-wrapped repeat)."""
    if _row_key(cells) in header.row_keys:
        return True
    if not _may_be_header_row(cells) or _holds_values(cells):
        return False
    columns = _map_columns(_block_columns([cells]))
    if not 0 <= header.reg_index < len(columns) or columns[header.reg_index] != "reg_number":
        return False
    return len(_distinct_fields(columns)) >= max(2, header.field_count / 2)


# --- column mapping: header and contents together ------------------------------------------------


def _sample(body: list[RawRow], header: Header, width: int) -> list[list[str]]:
    """Up to `sample_cells` non-empty cells per column from the first `scan_rows` rows below the
    header, leaving out rows of other kinds (blank, sections, column numbers, totals, repeats of the
    header) and placeholders."""
    limits = recognize.rules().thresholds
    samples: list[list[str]] = [[] for _ in range(width)]
    open_columns = width
    head_texts = {text for key in header.row_keys for text in key if text}
    for raw in body[: limits.scan_rows]:
        cells = raw.cells
        if not _may_be_sampled(cells, header, head_texts):
            continue
        for i, cell in enumerate(cells[:width]):
            column = samples[i]
            if cell and len(column) < limits.sample_cells and not cell.isspace() and not is_placeholder(cell):
                column.append(cell)
                if len(column) == limits.sample_cells:
                    open_columns -= 1
        if open_columns == 0:
            break
    return samples


def _may_be_sampled(cells: tuple[str, ...], header: Header, head_texts: set[str]) -> bool:
    """A cheap _other_kind for the sample: rows of one text (blank, section), column numbers, totals
    and exact repeats of the header are left out; a stray footer adds a cell or two, no more."""
    texts = [c for c in cells if c]
    if len(texts) < 2 or len(set(texts)) < 2 or is_colnum(cells):
        return False
    first = texts[0]
    if first.lstrip().lower().startswith(_TOTAL_PREFIXES):
        return False
    return not (_collapse(first) in head_texts and _row_key(cells) in header.row_keys)


@dataclass(frozen=True, slots=True)
class ColumnDecision:
    """A column whose field its contents decided: against its header, or without a known header."""

    index: int
    text: str  # the header text
    header_field: str | None  # the header's reading; None when no rule knows it (or it is ignored)
    reading: recognize.Reading

    @property
    def code(self) -> str:
        return "header_content_conflict" if self.header_field else "column_by_content"

    def problem(self, file: str, table: str) -> Problem:
        where = f"столбец {self.index + 1} «{self.text}»"
        reading = self.reading
        if reading.field is None:
            said = f"{reading.taken_by} (поле уже занято другим столбцом; столбец не использован)"
        else:
            said = reading.field
        if self.header_field:
            detail = f"{where}: по заголовку — {self.header_field}, по содержимому — {said}"
        else:
            detail = f"{where}: по содержимому — {said}"
        detail += f" ({reading.evidence})"
        return Problem(self.code, file, table, None, reading.field, self.text or None, detail)


@dataclass(frozen=True, slots=True)
class ColumnChoice:
    """The mapping of a table's columns that agrees best with header and contents together."""

    columns: tuple[str | None, ...]  # field per column; IGNORED; None when unknown or unused
    reg_index: int
    decisions: tuple[ColumnDecision, ...]
    settled: bool  # the sample was large enough to be evidence: a repeat of the header may reuse it


def choose_columns(header: Header, body: list[RawRow], width: int) -> ColumnChoice:
    """Header readings checked against the cells below (docs/normalization.md, «Сопоставление»).

    A header reading stands when enough sampled cells fit its field; otherwise, and for columns no
    rule knows, a field the cells clearly are takes its place (each such field once). Of several
    number columns the one whose cells parse best as registration numbers is the number.
    """
    size = max(width, len(header.columns))
    header_columns = header.columns + (None,) * (size - len(header.columns))
    texts = header.texts + ("",) * (size - len(header.texts))
    profiles = [recognize.profile(cells) for cells in _sample(body, header, size)]
    columns: list[str | None] = list(header_columns)
    pending = [
        i
        for i, name in enumerate(header_columns)
        if name is None or name == IGNORED or not recognize.header_stands(profiles[i], name)
    ]
    taken = {name for i, name in enumerate(columns) if name and name != IGNORED and i not in pending}
    decisions: dict[int, ColumnDecision] = {}
    for i in pending:
        name = header_columns[i]
        said = None if name == IGNORED else name
        reading = recognize.content_reading(profiles[i], said, taken)
        if reading is None or (reading.field is None and said is None):
            continue
        decisions[i] = ColumnDecision(i, texts[i], said, reading)
        columns[i] = reading.field
        if reading.field is not None:
            taken.add(reading.field)
    reg_columns = [i for i, name in enumerate(columns) if name == "reg_number"]
    if not reg_columns:  # nothing holds numbers: keep the header's number column (its rows are rejects)
        reg = header.reg_index
        columns[reg] = "reg_number"
        decisions.pop(reg, None)
        reg_columns = [reg]
    number = frozenset({"reg_number"})
    reg_index = max(reg_columns, key=lambda i: (profiles[i].share(number), -i))
    ordered = tuple(decisions[i] for i in sorted(decisions))
    settled = any(p.enough for p in profiles)
    return ColumnChoice(tuple(columns), reg_index, ordered, settled)


# --- value extraction ------------------------------------------------------------------------------

Values = dict[str, object]
Setter = Callable[[Values, str], str | None]  # sets a value from a cell; returns a warning code or None
PARTY_PARTS = ("name", "address", "head", "phone", "fax", "email")


#: Text fields whose values are mostly unique per row; the others repeat and are cached.
UNIQUE_TEXT_FIELDS = frozenset({"object_name"})


def _text_setter(name: str) -> Setter:
    clean = clean_unique_text if name in UNIQUE_TEXT_FIELDS else clean_text

    def set_text(values: Values, cell: str) -> None:
        text = clean(cell)
        if text is not None and not is_placeholder(text):
            values[name] = text

    return set_text


def _parsed_setter(
    name: str, parse: Callable[[str], object], invalid: str | None = None, *, keeps_text: bool = False
) -> Setter:
    """Set the parsed value; a placeholder or a cell that does not parse leaves the field as it was.

    A parser that keeps unparsed text as the value (certificates, terms) would keep «нет» too: for
    those, a placeholder is looked for first.
    """
    if keeps_text:

        def set_text_or_parsed(values: Values, cell: str) -> None:
            if not is_placeholder(cell):
                parsed = parse(cell)
                if parsed is not None:
                    values[name] = parsed

        return set_text_or_parsed

    def set_parsed(values: Values, cell: str) -> str | None:
        parsed = parse(cell)
        if parsed is None:
            return None if is_placeholder(cell) else invalid
        values[name] = parsed
        return None

    return set_parsed


def _inn_setter(name: str) -> Setter:
    """An ИНН with wrong control digits is not kept: it would join unrelated organizations."""

    def set_inn(values: Values, cell: str) -> str | None:
        inn = parse_inn(cell)
        if inn is None:
            return None if is_placeholder(cell) else "inn_invalid"
        if not fields.inn_checksum_ok(inn):
            return "inn_checksum_invalid"
        values[name] = inn
        return None

    return set_inn


def _name_setter(name: str, inn_field: str) -> Setter:
    """A name cell may carry the ИНН («ООО "ЦЭПБ" (ИНН 5503221735)»): it goes to the ИНН field."""

    def set_name(values: Values, cell: str) -> str | None:
        text, inn = split_name_inn(cell)
        if text is not None and not is_placeholder(text):
            values[name] = text
        if inn is None:
            return None
        if not fields.inn_checksum_ok(inn):
            return "inn_checksum_invalid"
        if values.get(inn_field) is None:
            values[inn_field] = inn
        return None

    return set_name


#: Parts of a combined cell that have a field of their own besides the party's PARTY_PARTS.
PARTY_EXTRA = {
    "applicant": (("inn", "applicant_inn"),),
    "expert_org": (("inn", "expert_org_inn"), ("licence", "licence_number")),
}


@lru_cache(maxsize=CACHE_SIZE)
def contact_values(party: str, cell: str) -> dict[str, object]:
    """The non-empty parts of a combined cell as fields (split once per distinct cell; do not modify)."""
    contact = fields.split_contact(cell)
    targets = tuple((part, f"{party}_{part}") for part in PARTY_PARTS) + PARTY_EXTRA[party]
    pairs = ((name, getattr(contact, part)) for part, name in targets)
    return {name: value for name, value in pairs if value is not None}


def _contact_setter(party: str) -> Setter:
    """Combined cells are applied first, so that separate columns, applied after, win."""
    inn_field = f"{party}_inn"

    def set_contact(values: Values, cell: str) -> str | None:
        if is_placeholder(cell):
            return None
        parts = contact_values(party, cell)
        inn = parts.get(inn_field)
        if inn is not None and not fields.inn_checksum_ok(str(inn)):
            values.update({k: v for k, v in parts.items() if k != inn_field})
            return "inn_checksum_invalid"
        values.update(parts)
        return None

    return set_contact


def _setter_for(name: str) -> Setter | None:
    """The setter of a mapped field; reg_number and object_type are handled by the row itself."""
    if name in COMBINED_FIELDS:
        return _contact_setter(COMBINED_FIELDS[name])
    if name == "date_registered":
        return _parsed_setter(name, parse_date, "date_invalid")
    if name == "excluded_date":
        return _parsed_setter(name, parse_date, "excluded_date_invalid")
    if name == "licence_number":
        return _parsed_setter(name, parse_licence, "licence_invalid")
    if name == "expert_certificate":
        return _parsed_setter(name, parse_certificates, keeps_text=True)
    if name in ("applicant_inn", "expert_org_inn"):
        return _inn_setter(name)
    if name in ("applicant_name", "expert_org_name"):
        return _name_setter(name, name.replace("_name", "_inn"))
    if name == "opo_reg_number":
        return _parsed_setter(name, parse_opo_number, "opo_number_invalid")
    if name == "hazard_class":
        return _parsed_setter(name, fields.parse_hazard_class, "hazard_class_invalid")
    if name == "conclusion_result":
        return _parsed_setter(name, fields.parse_conclusion_result, "conclusion_result_unknown")
    if name == "region":
        return _parsed_setter(name, fields.parse_region, "region_unknown")
    if name == "operation_term":
        return _parsed_setter(name, parse_operation_term, keeps_text=True)
    if name in ("reg_number", "object_type"):
        return None
    return _text_setter(name)


@dataclass(frozen=True, slots=True)
class Extractor:
    """A table's column mapping compiled once: what to read from which cell, in which order.

    Combined cells come first and separate columns after, so a separate column's value wins over
    the combined cell's part; of two separate columns of one field the later non-empty one wins.
    """

    reg_index: int
    object_type_index: int | None
    date_index: int | None
    steps: tuple[tuple[int, str, Setter], ...]  # (column, field, setter); combined cells first

    @classmethod
    def compile(cls, columns: tuple[str | None, ...], reg_index: int) -> Extractor:
        mapped = [(i, name) for i, name in enumerate(columns) if name and name != IGNORED]
        mapped.sort(key=lambda item: item[1] not in COMBINED_FIELDS)
        steps = []
        for i, name in mapped:
            setter = _setter_for(name)
            if setter is not None:
                steps.append((i, name, setter))
        return cls(
            reg_index=reg_index,
            object_type_index=_first_index(columns, "object_type"),
            date_index=_first_index(columns, "date_registered"),
            steps=tuple(steps),
        )


def _first_index(columns: tuple[str | None, ...], name: str) -> int | None:
    return columns.index(name) if name in columns else None


def _cell(cells: tuple[str, ...], index: int | None) -> str:
    return cells[index] if index is not None and index < len(cells) else ""


_VALUES_TEMPLATE: Values = dict.fromkeys((*SOURCE_FIELDS, "year"))


@cache
def listed_object_types() -> frozenset[str]:
    """Object-type codes of the reviewed list; another code keeps its record with a warning."""
    return formats.get("ObjectTypeCode").values


# --- row classification ----------------------------------------------------------------------------


@dataclass(slots=True)
class TableMapping:
    """A header found in one table, shared by the tables that continue it."""

    table: str
    header: Header
    choice: ColumnChoice
    extractor: Extractor
    width: int
    unknown: tuple[int, ...]  # columns reported as unknown_column
    counts: dict[int, int] = field(default_factory=dict)  # non-empty cells per unknown column


class Normalizer:
    """Normalizes one file; holds the file label and the previous table's mapping."""

    def __init__(self, file_label: str) -> None:
        self.file = file_label
        self.rows: list[RowResult] = []
        self.mappings: list[TableMapping] = []
        self.headers: dict[str, dict[str, str]] = {}
        self.previous: TableMapping | None = None
        #: a header seen again (every page, every sheet) keeps the columns chosen the first time it
        #: had enough rows below it to be evidence
        self.choices: dict[tuple[tuple[str, ...], int], ColumnChoice] = {}

    def table(self, name: str, rows: list[RawRow]) -> None:
        width = max((len(r.cells) for r in rows), default=0)
        header = find_header(rows)
        continues = self.previous is not None and self.previous.width == width
        if continues and header is not None and self.previous is not None:
            header = header if _looks_like(header, self.previous.header) else None
        if header is None and not continues:
            header = find_header_by_content(rows)
        if header is not None:
            body = rows[header.start + header.size :]
            mapping = self._new_mapping(name, header, body, width)
            self._emit_top(name, rows, header)
        elif continues and self.previous is not None:
            mapping = self.previous
            body = rows
        else:
            self.previous = None
            self.rows.extend(RowResult(_blank_or(r.cells, "no_header"), name, r.row, r.cells) for r in rows)
            return
        self.headers[name] = {str(i): f for i, f in enumerate(mapping.choice.columns) if f and f != IGNORED}
        self.previous = mapping
        classify = self._classifier(mapping)
        self.rows.extend(classify(r) for r in body)

    def _new_mapping(self, name: str, header: Header, body: list[RawRow], width: int) -> TableMapping:
        key = (header.texts, width)
        choice = self.choices.get(key)
        if choice is None:
            choice = choose_columns(header, body, width)
            if choice.settled:
                self.choices[key] = choice
        columns = choice.columns
        decided = {d.index for d in choice.decisions}
        unknown = tuple(
            i for i in range(width) if (i >= len(columns) or columns[i] is None) and i not in decided
        )
        extractor = Extractor.compile(columns, choice.reg_index)
        mapping = TableMapping(name, header, choice, extractor, width, unknown)
        self.mappings.append(mapping)
        return mapping

    def _emit_top(self, name: str, rows: list[RawRow], header: Header) -> None:
        for r in rows[: header.start]:
            self.rows.append(RowResult("title", name, r.row, r.cells))
        for r in rows[header.start : header.start + header.size]:
            self.rows.append(RowResult("header", name, r.row, r.cells))

    def _classifier(self, mapping: TableMapping) -> Callable[[RawRow], RowResult]:
        extractor = mapping.extractor
        reg_index = extractor.reg_index
        header = mapping.header
        unknown = mapping.unknown
        counts = mapping.counts
        data = self._data_row

        def classify(raw: RawRow) -> RowResult:
            cells = raw.cells
            reg_cell = cells[reg_index] if reg_index < len(cells) else ""
            reg = parse_reg_number(reg_cell) if reg_cell else None
            if reg is None:
                kind = _other_kind(cells, header)
                if kind is not None:
                    return RowResult(kind, raw.table, raw.row, cells)
            for i in unknown:
                if i < len(cells) and cells[i]:
                    counts[i] = counts.get(i, 0) + 1
            if reg is None:
                reason = "reg_number_invalid" if reg_cell.strip() else "reg_number_missing"
                return RowResult("reject", raw.table, raw.row, cells, reason=reason)
            return data(raw, reg, extractor)

        return classify

    def _data_row(self, raw: RawRow, reg: str, extractor: Extractor) -> RowResult:
        cells = raw.cells
        values = _VALUES_TEMPLATE.copy()
        values["reg_number"] = reg
        reg_cell = cells[extractor.reg_index]
        if reg_cell != reg:
            values["reg_number_published"] = fields.published_spelling(reg_cell, reg)
        warnings: list[tuple[str, str, str, str | None]] = []  # code, field, value, detail
        n = len(cells)
        for i, name, setter in extractor.steps:
            if i < n:
                cell = cells[i]
                if cell and (code := setter(values, cell)):
                    warnings.append((code, name, cell, None))
        letters = reg[3:5]
        values["object_type"] = letters
        if letters not in listed_object_types():
            warnings.append(("object_type_unlisted", "object_type", reg, f"код {letters}"))
        reg_year = int(reg[-4:])
        registered = values["date_registered"]
        if isinstance(registered, date):
            values["year"] = registered.year
            if registered.year != reg_year:
                warnings.append(
                    ("date_year_mismatch", "date_registered", _cell(cells, extractor.date_index), reg)
                )
        else:
            values["year"] = reg_year
            has_date_column = extractor.date_index is not None
            if has_date_column and not any(w[0] == "date_invalid" for w in warnings):
                warnings.append(("date_missing", "date_registered", "", None))
        if extractor.object_type_index is not None:
            type_cell = _cell(cells, extractor.object_type_index)
            code = object_type_from_text(type_cell) if type_cell else None
            if code is not None and code != letters:
                warnings.append(("object_type_mismatch", "object_type", type_cell, f"в номере {letters}"))
            elif code is None and type_cell:
                warnings.append(("object_type_unknown", "object_type", type_cell, None))
        result = RowResult("data", raw.table, raw.row, cells, values)
        if warnings:
            result.problems = [
                Problem(code, self.file, raw.table, raw.row, name, value or None, detail)
                for code, name, value, detail in warnings
            ]
        return result

    def result(self) -> FileResult:
        problems = self._column_decisions() + self._unknown_columns()
        has_register = bool(self.mappings)
        if not has_register:
            problems.append(Problem("not_a_register", self.file))
        return FileResult(self.rows, problems, self.headers, has_register)

    def _column_decisions(self) -> list[Problem]:
        """header_content_conflict / column_by_content, once per column of a header seen on many pages."""
        problems = []
        seen: set[ColumnChoice] = set()
        for mapping in self.mappings:
            if mapping.choice in seen:
                continue
            seen.add(mapping.choice)
            problems.extend(d.problem(self.file, mapping.table) for d in mapping.choice.decisions)
        return problems

    def _unknown_columns(self) -> list[Problem]:
        """One problem per unmapped column; a header repeated on every page is one column."""
        first_table: dict[tuple[int, str], str] = {}
        counts: dict[tuple[int, str], int] = {}
        for mapping in self.mappings:
            texts = mapping.header.texts
            for i in mapping.unknown:
                key = (i, texts[i] if i < len(texts) else "")
                first_table.setdefault(key, mapping.table)
                counts[key] = counts.get(key, 0) + mapping.counts.get(i, 0)
        problems = []
        for (i, text), table in first_table.items():
            count = counts[(i, text)]
            if text or count:
                detail = f"столбец {i + 1} «{text}», непустых ячеек: {count}"
                problems.append(Problem("unknown_column", self.file, table, None, None, text, detail))
        return problems


def _looks_like(found: Header, previous: Header) -> bool:
    """A header found in a table that continues the previous one (a new PDF page, a Word table split
    by a page break) is the header again, or a new table's, only when it maps at least half as many
    fields as the previous one; a row of a page whose words happen to map a field or two («рег. №» in
    an object's description) is data of the continued table."""
    return bool(found.row_keys & previous.row_keys) or found.field_count >= max(2, previous.field_count / 2)


def _blank_or(cells: tuple[str, ...], kind: str) -> str:
    return kind if any(cells) else "blank"


def _other_kind(cells: tuple[str, ...], header: Header) -> str | None:
    """The kind of a row below the header that has no valid number; None for a reject."""
    texts = [c for c in cells if c]
    if not texts:
        return "blank"
    if is_header_repeat(cells, header):
        return "header"
    if is_colnum(cells):
        return "colnum"
    if texts[0].lstrip().lower().startswith(_TOTAL_PREFIXES):
        return "total"
    distinct = set(texts)
    if len(distinct) <= MAX_FOOTER_TEXTS and any(_SIGNATURE.search(t) for t in distinct):
        return "footer"  # before sections: a signature alone in a merged cell is one text too
    if len(distinct) == 1:
        text = texts[0]
        if len(text) <= MAX_SECTION_LENGTH and not _REG_LIKE.search(text.strip()):
            return "section"
    return None


# --- entry point -----------------------------------------------------------------------------------


def normalize_rows(rows: Iterable[RawRow], file_label: str) -> FileResult:
    """Classify every row of one file and parse its data rows (see docs/normalization.md)."""
    normalizer = Normalizer(file_label)
    with _cyclic_gc_paused():
        for name, table_rows in groupby(rows, key=attrgetter("table")):
            normalizer.table(name, list(table_rows))
    return normalizer.result()


@contextmanager
def _cyclic_gc_paused() -> Iterator[None]:
    """Millions of new dicts would trigger the cycle collector over and over; they hold no cycles."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
