"""Layouts: the true records rendered as one office's table, through a named, seeded variant.

A variant fixes a format and a set of layout features (two-row headers, combined party cells,
shuffled and extra columns, title and column-number rows, abbreviated or hyphenated header
wording, date spellings …); its seed draws the wording and the order. The layout knows which
record fields each column carries, so the expected records are the true records restricted to
those fields — never anything the code under test computed.
"""

from __future__ import annotations

import datetime as dt
import random
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from metamorphic import wording
from metamorphic.truth import RECORDS, REJECTS, Party, TrueRecord

Cell = str | dt.date | int
#: Every field the normalizer fills from cells (the record contract's source fields).
COMPARED_FIELDS = (
    "reg_number_published",
    "date_registered",
    "object_type",
    "object_name",
    "region",
    "opo_reg_number",
    "opo_name",
    "hazard_class",
    "conclusion_result",
    "operation_term",
    "applicant_name",
    "applicant_inn",
    "applicant_address",
    "applicant_head",
    "applicant_phone",
    "applicant_fax",
    "applicant_email",
    "expert_org_name",
    "expert_org_inn",
    "expert_org_address",
    "expert_org_head",
    "expert_org_phone",
    "expert_org_fax",
    "expert_org_email",
    "licence_number",
    "expert_certificate",
    "excluded_date",
    "exclusion_reason",
)
EXCEL_EPOCH = dt.date(1899, 12, 30)


@dataclass(frozen=True)
class Variant:
    """A named combination of format and layout features; ``name`` is also its seed."""

    name: str
    fmt: str  # xlsx | csv | html | docx | pdf
    era: str  # old: 2014–2021 columns; new: today's columns
    features: frozenset[str] = frozenset()
    date_style: str = "dmy"  # dmy | dmy2slash | words | iso | serial | cell | mixed
    encoding: str = "utf-8"
    delimiter: str = ";"

    def has(self, feature: str) -> bool:
        return feature in self.features


@dataclass
class Column:
    header: str
    fields: tuple[str, ...]  # record fields the column carries
    render: Callable[[TrueRecord], Cell]
    parent: str | None = None  # text merged over a group of columns (two-row header)
    group: str | None = None  # columns of one group stay together when shuffled


@dataclass
class Layout:
    variant: Variant
    titles: list[str]
    columns: list[Column]
    header_rows: list[list[str]]
    merges: list[tuple[int, int, int, int]]  # (row0, col0, row1, col1) inclusive, in header rows
    colnum: bool
    body: list[list[Cell]]
    expected: dict[str, dict[str, str | None]]  # reg_number → field → canonical value
    expected_rejects: Counter[str] = field(default_factory=Counter)

    @property
    def width(self) -> int:
        return len(self.columns)


# --- value spellings -------------------------------------------------------------------------------


def collapse(text: str) -> str:
    return " ".join(text.split())


def spell_date(iso: str, style: str, rng: random.Random, fmt: str) -> Cell:
    day = dt.date.fromisoformat(iso)
    if style == "mixed":
        style = rng.choice(("dmy", "dmy2slash", "words", "iso", "dmy_year"))
    if style == "cell":
        return day if fmt == "xlsx" else day.strftime("%d.%m.%Y")
    if style == "serial":
        serial = (day - EXCEL_EPOCH).days
        return serial if fmt == "xlsx" else str(serial)
    if style == "dmy2slash":
        return day.strftime("%d/%m/%y")
    if style == "words":
        return f"{day.day} {wording.MONTHS_GENITIVE[day.month - 1]} {day.year} г."
    if style == "iso":
        return day.isoformat()
    if style == "dmy_year":
        return day.strftime("%d.%m.%Y г.")
    return day.strftime("%d.%m.%Y")


def spell_reg(record: TrueRecord, rng: random.Random, messy: bool) -> str:
    text = record.reg_spelling or record.reg_number
    if messy and rng.random() < 0.4:
        form = rng.choice(("№ {}", "{} г.", "spaced", "№{}"))
        text = " – ".join(text.split("-")) if form == "spaced" else form.format(text)
    return text


def soft_breaks(text: str, rng: random.Random, chance: float) -> str:
    """A line break typed in place of a space now and then (white space collapses to a space)."""
    if rng.random() >= chance or " " not in text:
        return text
    words = text.split(" ")
    i = rng.randrange(1, len(words))
    return " ".join(words[:i]) + "\n" + " ".join(words[i:])


# --- header text -----------------------------------------------------------------------------------

_LONG_WORD = re.compile(r"[а-яё]{8,}", re.IGNORECASE)


def hyphenate(text: str, rng: random.Random) -> str:
    """«заявителя» → «заяви-\\nтеля»: a long word hyphenated over a line break, as typed in Word."""
    words = list(_LONG_WORD.finditer(text))
    if not words:
        return text
    m = rng.choice(words)
    cut = m.start() + rng.randint(3, len(m[0]) - 3)
    return text[:cut] + "-\n" + text[cut:]


def wrap(text: str, rng: random.Random) -> str:
    spaces = [i for i, ch in enumerate(text) if ch == " "]
    for i in rng.sample(spaces, min(len(spaces), rng.randint(1, 2))):
        text = text[:i] + "\n" + text[i + 1 :]
    return text


def dress_header(text: str, variant: Variant, rng: random.Random) -> str:
    if variant.has("hyphen") and rng.random() < 0.6:
        text = hyphenate(text, rng)
    if variant.has("wrap") and rng.random() < 0.6:
        text = wrap(text, rng)
    if variant.has("caps") and rng.random() < 0.5:
        text = text.upper()
    return text


def pick_header(field_name: str, variant: Variant, rng: random.Random) -> str:
    full, short = wording.HEADERS[field_name]
    pool = short if variant.has("abbrev") and short and rng.random() < 0.7 else full
    return dress_header(rng.choice(pool), variant, rng)


# --- columns ---------------------------------------------------------------------------------------

PARTY_PREFIXES = ("applicant_", "expert_org_")


def party_of(record: TrueRecord, field_name: str) -> Party:
    return record.expert_org if field_name.startswith(("expert_org", "licence")) else record.applicant


def canonical(record: TrueRecord, field_name: str) -> str | None:
    """The true canonical value of a field."""
    if field_name == "licence_number":
        return record.expert_org.licence
    if field_name.startswith(PARTY_PREFIXES):
        part = field_name.removeprefix("applicant_").removeprefix("expert_org_")
        return getattr(party_of(record, field_name), part)
    return getattr(record, field_name)


class ColumnMaker:
    """Builds a variant's columns; every choice comes from the variant's own random stream."""

    def __init__(self, variant: Variant, rng: random.Random) -> None:
        self.v = variant
        self.rng = rng
        self.value_rng = random.Random(f"{variant.name}/values")
        self.licence_form = rng.choice(("{l}", "№ {l}", "{l} от 12.03.2014", "№ {l} от 04.10.2007 г."))
        self.cert_joiner = rng.choice(("; ", ", ", "\n"))

    def messy_values(self) -> bool:
        return self.v.has("values_messy")

    def field_column(self, name: str, header: str | None = None) -> Column:
        carried = (
            (name, "expert_org_inn") if name == "expert_org_name" and self.v.has("inn_in_name") else (name,)
        )
        return Column(header or pick_header(name, self.v, self.rng), carried, self.renderer(name))

    def renderer(self, name: str) -> Callable[[TrueRecord], Cell]:
        rng, v = self.value_rng, self.v
        messy = self.messy_values()
        if name == "reg_number":
            return lambda r: spell_reg(r, rng, v.has("reg_messy"))
        if name in ("date_registered", "excluded_date"):
            return lambda r: spell_date(x, v.date_style, rng, v.fmt) if (x := canonical(r, name)) else ""
        if name == "licence_number":
            return lambda r: self.licence_form.format(l=r.expert_org.licence)
        if name == "expert_certificate":
            return lambda r: self.cert_joiner.join((r.expert_certificate or "").split("; "))
        if name == "conclusion_result":
            return lambda r: (
                rng.choice(wording.VERDICT_SPELLINGS[r.conclusion_result]) if messy else r.conclusion_result
            )
        if name == "region":
            return lambda r: (
                rng.choice((r.region, *wording.REGION_SPELLINGS[r.region])) if messy else r.region
            )
        if name == "hazard_class":
            return lambda r: rng.choice(wording.HAZARD_SPELLINGS[r.hazard_class]) if messy else r.hazard_class
        if name == "operation_term":
            return lambda r: self.term(r.operation_term)
        if name == "object_name":
            return lambda r: soft_breaks(r.object_name, rng, 0.3 if messy else 0.0)
        if name == "expert_org_name" and v.has("inn_in_name"):
            return lambda r: self.name_with_inn(r.expert_org)
        if name == "applicant_inn":
            return lambda r: (
                int(r.applicant.inn) if v.fmt == "xlsx" and r.applicant.inn else (r.applicant.inn or "")
            )
        return lambda r: canonical(r, name) or ""

    def term(self, term: str | None) -> str:
        if term is None:
            return ""
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", term):
            return term
        day = dt.date.fromisoformat(term).strftime("%d.%m.%Y")
        return self.value_rng.choice(("до {}", "{}", "до {} г.")).format(day)

    def name_with_inn(self, party: Party) -> str:
        if party.inn is None:
            return party.name
        return self.value_rng.choice(("{n} (ИНН {i})", "{n}, ИНН {i}", "{n} (ИНН: {i})")).format(
            n=party.name, i=party.inn
        )

    def contact_column(self, party: str) -> Column:
        """Name, address, phone, e-mail, ИНН (and head, licence) in one cell, order and markers drawn."""
        rng = self.rng
        sep = rng.choice((", ", "\n", "; "))
        phone_mark = rng.choice(("тел. ", "тел.: ", "телефон: ", "т. "))
        email_mark = rng.choice(("e-mail: ", "эл. почта: ", ""))
        inn_mark = rng.choice(("ИНН ", "ИНН: ", "ИНН "))
        order = (
            ["address", "phone", "email", "inn", "head"]
            if party == "applicant"
            else ["address", "phone", "email", "inn", "licence"]
        )
        rng.shuffle(order)
        prefix = "applicant" if party == "applicant" else "expert_org"

        def render(record: TrueRecord) -> str:
            p = record.applicant if party == "applicant" else record.expert_org
            texts = {
                "address": p.address,
                "phone": phone_mark + p.phone,
                "email": email_mark + p.email,
                "inn": inn_mark + p.inn if p.inn else None,
                "head": p.head,
                "licence": "лицензия " + self.licence_form.format(l=p.licence) if p.licence else None,
            }
            return sep.join([p.name] + [texts[k] for k in order if texts[k]])

        carried = [f"{prefix}_{k}" for k in ("name", "address", "phone", "email", "inn")]
        carried.append(f"{prefix}_head" if party == "applicant" else "licence_number")
        header = pick_header(f"{prefix}_contact", self.v, rng)
        return Column(header, tuple(carried), render)


def extra_columns(variant: Variant, rng: random.Random) -> list[Column]:
    value_rng = random.Random(f"{variant.name}/extras")
    chosen = rng.sample(wording.EXTRA_COLUMNS, rng.randint(2, 3))
    return [
        Column(
            dress_header(rng.choice(headers), variant, rng), (), lambda r, vals=values: value_rng.choice(vals)
        )
        for headers, values in chosen
    ]


def group(columns: list[Column], key: str, variant: Variant, rng: random.Random) -> list[Column]:
    """Put columns under a merged parent (two-row header), children worded as the group writes them."""
    parents, children = wording.PARENTS[key]
    parent = dress_header(rng.choice(parents), variant, rng)
    for column in columns:
        child = children.get(column.fields[0])
        if child:
            column.header = dress_header(rng.choice(child), variant, rng)
        column.parent = parent
        column.group = key
    return columns


def make_columns(variant: Variant, rng: random.Random) -> list[Column]:
    make = ColumnMaker(variant, rng)
    parents = variant.has("parents")
    units: list[list[Column]] = []

    def fields(*names: str, under: str | None = None) -> None:
        cols = [make.field_column(n) for n in names]
        if under and parents:
            units.append(group(cols, under, variant, rng))
        else:
            units.extend([c] for c in cols)

    if variant.has("licence_beside_number"):
        # «Лицензия … (№)» | «Регистрационный № заключения ЭПБ»: both headers carry «№».
        licence = make.field_column(
            "licence_number",
            dress_header(
                rng.choice(("Лицензия на проведение ЭПБ (№)", "Лицензия экспертной организации (№, дата)")),
                variant,
                rng,
            ),
        )
        number = make.field_column(
            "reg_number", dress_header("Регистрационный № заключения ЭПБ", variant, rng)
        )
        licence.group = number.group = "licence+number"
        units.append([licence, number])
        fields("date_registered")
    else:
        fields("reg_number", "date_registered", under="registration" if variant.era == "new" else None)
    fields("object_name")
    if variant.era == "new":
        fields("region", "operation_term", "conclusion_result")
        fields("opo_reg_number", "opo_name", "hazard_class", under="opo")
    if variant.has("applicant_contact"):
        units.append([make.contact_column("applicant")])
    elif variant.era == "new":
        fields("applicant_name", "applicant_inn", under="applicant")
    else:
        fields("applicant_name", "applicant_inn", "applicant_address", under="applicant")
    if variant.has("expert_contact"):
        units.append([make.contact_column("expert_org")])
    else:
        names = ["expert_org_name"]
        if variant.has("expert_inn") and not variant.has("inn_in_name"):
            names.append("expert_org_inn")
        if not variant.has("licence_beside_number"):
            names.append("licence_number")
        fields(*names, under="expert_org")
    if variant.era == "old":
        fields("expert_certificate")
        if variant.has("exclusions"):
            fields("excluded_date", "exclusion_reason")
    if variant.has("extras"):
        units.extend([c] for c in extra_columns(variant, rng))
    if variant.has("shuffle"):
        rng.shuffle(units)
    if variant.has("rownum"):
        units.insert(0, [Column(rng.choice(wording.ROW_NUMBER_HEADERS), (), lambda r: "")])
    return [c for unit in units for c in unit]


# --- the table -------------------------------------------------------------------------------------


def header_grid(columns: list[Column]) -> tuple[list[list[str]], list[tuple[int, int, int, int]]]:
    """One header row, or two when a column has a parent: parents merged across their group,
    single columns merged down over both rows."""
    if not any(c.parent for c in columns):
        return [[c.header for c in columns]], []
    top, bottom, merges = [], [], []
    i = 0
    while i < len(columns):
        c = columns[i]
        if c.parent is None:
            top.append(c.header)
            bottom.append(c.header)
            merges.append((0, i, 1, i))
            i += 1
            continue
        j = i
        while j + 1 < len(columns) and columns[j + 1].parent == c.parent and columns[j + 1].group == c.group:
            j += 1
        for k in range(i, j + 1):
            top.append(c.parent)
            bottom.append(columns[k].header)
        if j > i:
            merges.append((0, i, 0, j))
        i = j + 1
    return [top, bottom], merges


def records_of(era: str) -> list[TrueRecord]:
    return [r for r in RECORDS if r.era == era] if era != "all" else list(RECORDS)


def expected_of(record: TrueRecord, columns: list[Column], reg_cell: str) -> dict[str, str | None]:
    values: dict[str, str | None] = dict.fromkeys(COMPARED_FIELDS)
    carried = {f for c in columns for f in c.fields}
    for name in carried - {"reg_number"}:
        values[name] = canonical(record, name)
    values["object_type"] = record.object_type
    published = collapse(reg_cell)
    values["reg_number_published"] = published if published != record.reg_number else None
    return values


def build_layout(variant: Variant) -> Layout:
    rng = random.Random(variant.name)
    columns = make_columns(variant, rng)
    header_rows, merges = header_grid(columns)
    titles = []
    if variant.has("titles"):
        titles = [rng.choice(wording.TITLES), rng.choice(wording.SUBTITLES)]
    records = records_of(variant.era)
    reg_index = next(i for i, c in enumerate(columns) if c.fields == ("reg_number",))
    body: list[list[Cell]] = []
    expected: dict[str, dict[str, str | None]] = {}
    rejects: Counter[str] = Counter()
    reject_at = {3 + 6 * k: reject for k, reject in enumerate(REJECTS)}
    for i, record in enumerate(records):
        if i in reject_at:
            reject = reject_at[i]
            row = [c.render(records[reject.like % len(records)]) for c in columns]
            row[reg_index] = reject.reg_cell
            body.append(row)
            rejects[reject.reason] += 1
        row = [c.render(record) for c in columns]
        body.append(row)
        expected[record.reg_number] = expected_of(record, columns, str(row[reg_index]))
    if variant.has("rownum"):
        for n, row in enumerate(body, start=1):
            row[0] = str(n) if variant.fmt != "xlsx" else n
    return Layout(
        variant, titles, columns, header_rows, merges, variant.has("colnum"), body, expected, rejects
    )
