"""The demo corpus: mock office websites with every format and every kind of mess, plus their truth.

The world covers two eras: the 2018 paper's register (2014–2018, each office numbering its own
conclusions) and today's (2022–2026: the first group of a number is the object's subject, the serial
one count over the country, and two offices publish today's columns in weekly sheets). The generator
first plans the conclusions (how many per office and year, which expert organization made each, so
the paper's rankings come out), then renders each office's files from its layout in
``offices.py`` and writes, beside the corpus, the truth the pipeline is scored against
(``docs/normalization.md``, «Истина демо-корпуса»). The truth comes from this model alone: every row the
generator writes carries a tag saying what it is, and the files are accounted in the contract's
processing order.
"""

from __future__ import annotations

import csv
import hashlib
import html
import random
import shutil
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import quote

from openepb.build.licences import LicenceEntry
from openepb.contract.fields import SOURCE_FIELDS
from openepb.contract.sources import load_sources
from openepb.demo import mess
from openepb.demo.entities import NEAR_HOMONYMS, ExpertOrg, Party, World, make_world, mistyped_inn
from openepb.demo.licences import write_licence_register
from openepb.demo.offices import (
    CAPPED_FORMATS,
    LAST_DAY,
    LAYOUTS,
    NATIONAL_SERIALS,
    PREFIX_EXCEPTIONS,
    REGION_NUMBERING_FROM,
    YEARS,
    Column,
    OfficeLayout,
    Publication,
    layout,
)
from openepb.demo.quality_truth import QualityTruth
from openepb.demo.writers import (
    CellValue,
    Merge,
    Table,
    write_csv,
    write_doc,
    write_docx,
    write_encrypted_xlsx,
    write_html,
    write_pdf,
    write_truncated,
    write_xls,
    write_xlsx,
)

BASE_RECORDS = 30_000  # conclusions at scale 1.0
#: share of the conclusions per year: the paper's five years, then today's (2026 up to LAST_DAY)
YEAR_WEIGHTS = {2014: 0.09, 2015: 0.12, 2016: 0.13, 2017: 0.16, 2018: 0.15}
YEAR_WEIGHTS |= {2022: 0.07, 2023: 0.07, 2024: 0.08, 2025: 0.08, 2026: 0.05}
CAP_PER_OFFICE_YEAR = {"page": 120, "doc": 500, "pdf": 500, "docx": 800}  # others: DEFAULT_CAP
DEFAULT_CAP = 1000
MIN_PER_OFFICE_YEAR = 3
MERGE_LIMIT = 20_000  # larger tables are written without merges (streamed xlsx)
MAX_SEQUENCE = 99_999
MAX_NATIONAL_SERIAL = 999_999
ZIPF_EXPONENT = 0.9
STRICT_TOP = 31  # ranks 1..31 get distinct counts, so planted ranks (up to 30) are exact
#: planted yearly ranks (by count of conclusions) of expert organizations, as the 2018 paper tells;
#: in later years an organization keeps its last planted rank
TARGET_RANKS: dict[str, dict[int, int]] = {
    "E-RUSLAB": {2014: 35, 2015: 21, 2016: 18, 2017: 1, 2018: 2},
    "E-GAZMASH": {2014: 40, 2015: 25, 2016: 1, 2017: 2, 2018: 1},
    "E-NTCPB": {2014: 3, 2015: 4, 2016: 5, 2017: 6, 2018: 6},
    "E-TEHINNOV": {2014: 90, 2015: 80, 2016: 70, 2017: 30, 2018: 28},
}
FIXED_COUNTS: dict[str, dict[int, int]] = {"E-SCRIPT": {2015: 1, 2016: 2, 2017: 1}}
#: planted ranks of a renamed expert organization (ЗАО → АО, the licence re-issued in 2016): the
#: predecessor works until the rename year, the successor from it; only in the years listed. Both
#: work in 2016, so a resolver that merged them would move them in that year's TOP.
RENAME_RANKS: dict[str, dict[int, int]] = {
    "E-RENOLD": {2014: 12, 2015: 12, 2016: 29},
    "E-RENNEW": {2016: 14, 2017: 12, 2018: 12, 2022: 11, 2023: 11, 2024: 10, 2025: 10, 2026: 10},
}
#: share of safety cases (ОБ) among an organization's conclusions; the rest follow TYPE_WEIGHTS
SAFETY_CASE_SHARE: dict[str, dict[int, float]] = {
    "E-NTCPB": {2014: 0.35, 2015: 0.35, 2016: 0.35, 2017: 0.04, 2018: 0.04},
    "E-TEHINNOV": {2014: 0.0, 2015: 0.0, 2016: 0.0, 2017: 0.8, 2018: 0.6},
}
DEFAULT_SAFETY_CASE_SHARE = 0.01
MIN_HOMONYM_COUNT = 2
#: share of runs of conclusions whose applicant is a planted one (entities.planted_applicant_specs);
#: planted applicants are shared by every office, so each is seen with and without its ИНН
PLANTED_APPLICANT_SHARE = 0.1
TYPE_WEIGHTS = {"ТУ": 0.56, "ЗС": 0.2, "ТП": 0.08, "ИД": 0.07, "ДП": 0.05, "ДК": 0.02, "ДЛ": 0.02}
EXCLUSION_SHARE = 0.015
EXCLUSION_REASONS = (
    "заявление заявителя",
    "решение суда",
    "представлены недостоверные сведения",
    "по результатам проверки (письмо Ростехнадзора)",
)
TRUTH_RECORD_COLUMNS = (
    *SOURCE_FIELDS,
    "office_code",
    "year",
    "source_file",
    "expert_org_key",
    "applicant_key",
)
TRUTH_REJECT_COLUMNS = ("source_file", "table", "row", "reason", "reg_cell")
#: problems the pipeline must report on a record (a planted mistyped ИНН), where the row is stable
TRUTH_PROBLEM_COLUMNS = ("source_file", "table", "row", "reg_number", "code", "field")
TRUTH_FILE_COLUMNS = ("source_file", "office_code", "format", "status", "records", "duplicates", "rejects")
#: real format (by content) of each publication format
REAL_FORMAT = {"xlsx": "xlsx", "xls": "xls", "xls_html": "html", "docx": "docx", "doc": "doc", "pdf": "pdf"}
REAL_FORMAT |= {"csv": "csv", "page": "html"}
NAV = ["Главная", "Об управлении", "Деятельность", "Документы", "Контакты"]

OBJECT_TEMPLATES: dict[str, tuple[str, ...]] = {
    "ТУ": (
        "Сосуд, работающий под давлением, рег. № {n}, зав. № {m}",
        "Кран мостовой электрический г/п {t} т, зав. № {m}",
        "Котёл паровой ДКВР-10-13, рег. № {n}",
        "Компрессор центробежный К-500-61-1 поз. {t}/{s}",
        "Насос центробежный НК-{n}, поз. Н-{s}",
        "Трубопровод пара и горячей воды, рег. № {n}",
        "Подъёмник автомобильный АГП-22, зав. № {m}",
    ),
    "ЗС": (
        "Здание котельной {opo}",
        "Резервуар вертикальный стальной РВС-{v} № {s}",
        "Дымовая труба Н={t}0 м {opo}",
        "Эстакада технологических трубопроводов {opo}",
    ),
    "ТП": ("Техническое перевооружение {opo}", "Документация на техническое перевооружение {opo}"),
    "ДК": ("Документация на консервацию {opo}",),
    "ДЛ": ("Документация на ликвидацию {opo}",),
    "ОБ": ("Обоснование безопасности опасного производственного объекта {opo}",),
    "ДП": ("Декларация промышленной безопасности {opo}",),
    "ИД": ("Руководство по эксплуатации {opo}", "Программа производственного контроля {opo}"),
}
OPO_NAMES = (
    "Сеть газопотребления",
    "Площадка нефтебазы",
    "Участок транспортный",
    "Площадка главного корпуса",
    "Карьер",
    "Склад ГСМ",
    "Площадка котельной",
    "Цех химической водоподготовки",
)
#: today's «Наименование ЗЭПБ»: {f} factory, {r} registration, {i} inventory number, {opo} the ОПО
TODAY_OBJECT_TEMPLATES: dict[str, tuple[str, ...]] = {
    "ТУ": (
        "Техническое устройство: сосуд, работающий под давлением, зав. № {f}, рег. № {r}",
        "Техническое устройство: кран мостовой электрический г/п {t} т, зав. № {f}, рег. № {r}",
        "Техническое устройство: турбокомпрессор К-{n}, зав. № {f}, инв. № {i}, применяемое на ОПО {opo}",
        "Техническое устройство: котёл паровой ДЕ-25-14ГМ, зав. № {f}, рег. № {r}",
        "Техническое устройство: насос центробежный ЦНС 300-{t}0, зав.№ {f}, инв. № {i}",
        "Техническое устройство: подъёмник автомобильный ПСС-131.18Э, зав. № {f}, рег. № {r}",
    ),
    "ЗС": (
        "Здание котельной, инв. № {i}, на ОПО {opo}",
        "Сооружение: резервуар вертикальный стальной РВС-{v}, зав. № {f}, на ОПО {opo}",
        "Сооружение: технологический трубопровод пара, рег. № {r}, на ОПО {opo}",
    ),
    "ТП": ("Документация на техническое перевооружение ОПО {opo}",),
    "ДК": ("Документация на консервацию ОПО {opo}",),
    "ДЛ": ("Документация на ликвидацию ОПО {opo}",),
    "ОБ": ("Обоснование безопасности ОПО {opo}",),
    "ДП": ("Декларация промышленной безопасности ОПО {opo}",),
    "ИД": ("Руководство по безопасности ОПО {opo}",),
}
MAX_OPOS = 3  # ОПО per operator
HAZARD_CLASSES, HAZARD_WEIGHTS = ("I", "II", "III", "IV"), (0.03, 0.12, 0.55, 0.30)
VERDICTS = ("соответствует", "не соответствует", "не в полной мере")
VERDICT_WEIGHTS = (0.955, 0.03, 0.015)
TERM_TYPES = frozenset({"ТУ", "ЗС"})  # objects whose further safe operation has a term
TERM_TEXT_SHARE = 0.15
TERM_TEXTS = ("на 2 года", "на 3 года", "на 4 года", "5 лет", "8 лет", "до выработки назначенного ресурса")


@dataclass(frozen=True, slots=True)
class DemoCorpus:
    corpus_dir: Path
    truth_dir: Path
    records: int
    files: int
    seconds: float


@dataclass(frozen=True, slots=True)
class Opo:
    """A hazardous production facility (ОПО) of an operator, as the state register knows it."""

    number: str  # А54-27998-0013
    name: str
    hazard: str  # I..IV
    region: str  # code of the subject where it is


@dataclass(slots=True)
class Conclusion:
    cid: int
    seq: int
    num_year: int
    day: date
    code: str  # object type
    org: ExpertOrg
    applicant: Party  # the applicant; today's files call it the operating organization
    object_name: str
    certificates: tuple[tuple[str, str], ...]
    excluded: date | None
    reason: str
    prefix: str = ""  # first group of the number: the office's, or (today) the object's subject
    region: str = ""  # code of schema/regions.csv: the subject where the object is
    opo: Opo | None = None
    verdict: str = "соответствует"  # a code of schema/conclusion_results.csv
    term: date | str | None = None  # of further safe operation: a date, a text, or none


@dataclass(frozen=True, slots=True)
class Rendered:
    """One conclusion as an office publishes it: a cell per logical value, and the truth fields."""

    cells: dict[str, CellValue]
    truth: tuple[str, ...]  # TRUTH_RECORD_COLUMNS without source_file
    reg: str  # canonical registration number
    problems: tuple[tuple[str, str], ...] = ()  # (code, field) the record must be reported with


@dataclass(frozen=True, slots=True)
class RejectRow:
    cells: dict[str, CellValue]
    reason: str
    reg_cell: str


Tag = Rendered | RejectRow | None  # None: a non-data row (title, header, section, total, blank, footer)


@dataclass
class TableModel:
    table: Table
    tags: list[Tag]
    label: str  # the reader's table label for rejects.csv


@dataclass
class FileJob:
    rel: str
    fmt: str  # publication format, or a file-mess kind
    tables: list[TableModel] = field(default_factory=list)
    status: str = "ok"
    options: dict = field(default_factory=dict)
    real_format: str = ""
    make: Callable[[], list[TableModel]] = list

    def lazy(self, make: Callable[[], list[TableModel]]) -> FileJob:
        """Tables are built only when the file is written, so one office's files are never all in memory."""
        self.make = make
        return self


# --------------------------------------------------------------------------------------------------
# Planning: how many conclusions per office and year, and which expert organization made each


def year_format(item: OfficeLayout, year: int) -> str:
    for publication in item.publications:
        if publication.kind != "half_year" and year in publication.years:
            return publication.fmt
    raise ValueError(f"{item.code}: no publication covers {year}")


def active(year: int) -> list[OfficeLayout]:
    """The offices publishing a year (an office that stopped, or began later, has no quota there)."""
    return [item for item in LAYOUTS if item.publishes(year)]


def plan_quotas(scale: float) -> dict[tuple[str, int], int]:
    """Conclusions per (office, year); capped formats stay small and the rest goes to xlsx/csv."""
    quotas: dict[tuple[str, int], int] = {}
    for year in YEARS:
        offices = active(year)
        total_volume = sum(item.volume for item in offices)
        raw = {
            item.code: BASE_RECORDS * scale * YEAR_WEIGHTS[year] * item.volume / total_volume
            for item in offices
        }
        excess = 0.0
        uncapped = []
        for item in offices:
            fmt = year_format(item, year)
            if fmt in CAPPED_FORMATS:
                cap = CAP_PER_OFFICE_YEAR.get(fmt, DEFAULT_CAP)
                excess += max(0.0, raw[item.code] - cap)
                raw[item.code] = min(raw[item.code], cap)
            else:
                uncapped.append(item)
        uncapped_volume = sum(item.volume for item in uncapped)
        for item in uncapped:
            raw[item.code] += excess * item.volume / uncapped_volume
        for code, value in raw.items():
            quotas[code, year] = max(MIN_PER_OFFICE_YEAR, round(value))
    return quotas


def yearly_order(experts: tuple[ExpertOrg, ...], year: int, seed: int) -> list[str]:
    """Expert organizations by falling volume in a year: a base order kept from year to year, a
    little reshuffled, with the planted organizations put at their target ranks."""
    planted = set(TARGET_RANKS) | set(FIXED_COUNTS) | set(RENAME_RANKS)
    order = [org.key for org in experts if org.key not in planted]
    random.Random(f"base-{seed}").shuffle(order)
    rng = random.Random(f"rank-{seed}-{year}")
    for i in range(len(order) - 1):
        if rng.random() < 0.3:
            order[i], order[i + 1] = order[i + 1], order[i]
    ranks = [(k, target_rank(r, year)) for k, r in TARGET_RANKS.items()]
    ranks += [(k, r[year]) for k, r in RENAME_RANKS.items() if year in r]
    for key, rank in sorted(ranks, key=lambda kr: kr[1]):
        order.insert(rank - 1, key)
    return order


def target_rank(ranks: dict[int, int], year: int) -> int:
    """The planted rank of a year, or the last one planted before it."""
    return ranks[max(y for y in ranks if y <= year)]


def zipf_counts(total: int, size: int) -> list[int]:
    """Falling counts summing to at least ``total``; the first STRICT_TOP are distinct and above
    every later one, so a rank there is unambiguous under any ranking rule."""
    weights = [1 / (i + 1) ** ZIPF_EXPONENT for i in range(size)]
    scale = total / sum(weights)
    counts = [int(scale * w) for w in weights]
    counts[STRICT_TOP - 1] = max(counts[STRICT_TOP - 1], 3, counts[STRICT_TOP] + 1)
    for i in range(STRICT_TOP - 2, -1, -1):
        counts[i] = max(counts[i], counts[i + 1] + 1)
    counts[0] += max(0, total - sum(counts))
    return counts


def plan_org_counts(experts: tuple[ExpertOrg, ...], year: int, total: int, seed: int) -> dict[str, int]:
    fixed = {key: by_year.get(year, 0) for key, by_year in FIXED_COUNTS.items()}
    order = yearly_order(experts, year, seed)
    counts = dict(zip(order, zipf_counts(total - sum(fixed.values()), len(order)), strict=True))
    for key in {key for pair in NEAR_HOMONYMS for key in pair}:
        counts[key] = max(counts[key], MIN_HOMONYM_COUNT)  # below the planted ranks, never zero
    return counts | fixed


def draw_types(key: str, year: int, count: int, rng: random.Random) -> list[str]:
    share = SAFETY_CASE_SHARE.get(key, {}).get(year, DEFAULT_SAFETY_CASE_SHARE)
    safety = round(share * count)
    codes = ["ОБ"] * safety + rng.choices(
        list(TYPE_WEIGHTS), weights=list(TYPE_WEIGHTS.values()), k=count - safety
    )
    rng.shuffle(codes)
    return codes


def spread_excess(quotas: dict[tuple[str, int], int], year: int, excess: int) -> None:
    """Give conclusions added by the ranking plan to the uncapped offices, by their volume."""
    uncapped = [item for item in active(year) if year_format(item, year) not in CAPPED_FORMATS]
    volume = sum(item.volume for item in uncapped)
    given = 0
    for item in uncapped:
        share = int(excess * item.volume / volume)
        quotas[item.code, year] += share
        given += share
    quotas[max(uncapped, key=lambda item: item.volume).code, year] += excess - given


def plan_assignments(
    world: World, quotas: dict[tuple[str, int], int], seed: int
) -> dict[tuple[str, int], list[tuple[int, str]]]:
    """(office, year) → [(expert index, object type)], the yearly counts per organization exact."""
    index = {org.key: i for i, org in enumerate(world.experts)}
    plan: dict[tuple[str, int], list[tuple[int, str]]] = {}
    for year in YEARS:
        rng = random.Random(f"assign-{seed}-{year}")
        offices = active(year)
        total = sum(quotas[item.code, year] for item in offices)
        counts = plan_org_counts(world.experts, year, total, seed)
        pool: list[tuple[int, str]] = []
        for key, count in counts.items():
            pool += [(index[key], code) for code in draw_types(key, year, count, rng)]
        rng.shuffle(pool)
        spread_excess(quotas, year, len(pool) - total)
        start = 0
        for item in sorted(offices, key=lambda i: i.code):
            size = quotas[item.code, year]
            plan[item.code, year] = pool[start : start + size]
            start += size
    return plan


# --------------------------------------------------------------------------------------------------
# Conclusions of one office


def object_name(code: str, rng: random.Random) -> str:
    """A paper-era object name, naming some ОПО of its own."""
    opo = f"«{rng.choice(OPO_NAMES)}» рег. № А{rng.randrange(1, 99):02d}-{rng.randrange(1, 99999):05d}-{rng.randrange(1, 300):04d}"
    template = rng.choice(OBJECT_TEMPLATES[code])
    return template.format(
        n=rng.randrange(100, 99999), m=rng.randrange(1000, 999999), t=rng.randrange(2, 50),
        s=rng.randrange(1, 12), v=rng.choice((1000, 2000, 5000, 10000)), opo=opo,
    )  # fmt: skip


def factory_number(rng: random.Random) -> str:
    """A factory number as plates carry them: 4-8-3821F, 0053364, ЕН-1234."""
    shape = rng.randrange(3)
    if shape == 0:
        return (
            f"{rng.randrange(1, 10)}-{rng.randrange(1, 10)}-{rng.randrange(1000, 9999)}{rng.choice('FKMNRS')}"
        )
    if shape == 1:
        return f"{rng.randrange(10**6):07d}"
    return f"{rng.choice(('ЕН', 'КС', 'ТМ', 'АВ'))}-{rng.randrange(100, 9999)}"


def today_object_name(code: str, opo: Opo, rng: random.Random) -> str:
    """Today's «Наименование ЗЭПБ»: the object with its factory, registration or inventory number,
    and the ОПО it serves."""
    template = rng.choice(TODAY_OBJECT_TEMPLATES[code])
    return template.format(
        f=factory_number(rng), r=rng.randrange(100, 99999), i=f"{rng.randrange(10**7):07d}",
        t=rng.randrange(2, 50), n=rng.randrange(100, 999), v=rng.choice((1000, 2000, 5000, 10000)),
        opo=f"«{opo.name}» рег. № {opo.number}",
    )  # fmt: skip


def open_days(item: OfficeLayout, year: int) -> list[date] | None:
    """Days of a year an office registers conclusions on, when it stops early, skips months or the
    year is today's; None when every day of the year is open (most offices, most years)."""
    if not item.stops and not item.gap_months and year < LAST_DAY.year:
        return None
    stop = min(date.fromisoformat(item.stops) if item.stops else date.max, LAST_DAY)
    days = [date(year, 1, 1) + timedelta(days=i) for i in range(365)]
    days = [d for d in days if d <= stop and d.strftime("%Y-%m") not in item.gap_months]
    if not days:
        raise ValueError(f"{item.code}: no open day in {year} (stops {item.stops})")
    return days


def draw_day(days: list[date] | None, year: int, rng: random.Random) -> date:
    """A registration day: any day of the year, or one of the office's open days."""
    if days is None:
        return date(year, 1, 1) + timedelta(days=rng.randrange(365))
    return days[rng.randrange(len(days))]


@dataclass
class NationalSerials:
    """Today's serials: one running count per year over the country, of which an office's
    conclusions take a few. Each day of a year owns its per-day numbers (NATIONAL_SERIALS), each
    office a slice of them, so two offices never draw the same number and the serials rise with
    the date."""

    slot: int  # the office's slice of a day
    slots: int
    rng: random.Random
    used: dict[tuple[int, int], int] = field(default_factory=dict)

    def next(self, num_year: int, day: date) -> int:
        start, per_day = NATIONAL_SERIALS[num_year]
        width = per_day // self.slots
        ordinal = (day - date(num_year, 1, 1)).days  # past 364 for a late entry of January
        offset = (
            self.used.get((num_year, ordinal), self.rng.randrange(width // 4)) + 1 + self.rng.randrange(2)
        )
        if offset >= width:
            raise ValueError(f"{day}: more conclusions a day than the national count allows; lower the scale")
        self.used[num_year, ordinal] = offset
        serial = start + ordinal * per_day + self.slot * width + offset
        if serial > MAX_NATIONAL_SERIAL:
            raise ValueError(f"{day}: serial {serial} has more than six digits")
        return serial


def today_details(c: Conclusion, regions: list[str], opos: dict[str, list[Opo]], rng: random.Random) -> None:
    """The ОПО (an operator has a few, each in a subject of the office), verdict and term of a
    conclusion; the subject is the ОПО's; today's number prefix and object name."""
    owned = opos.setdefault(c.applicant.key, [])
    if len(owned) < MAX_OPOS and (not owned or rng.random() < 0.3):
        region = rng.choices(regions, weights=[2] + [1] * (len(regions) - 1))[0]
        number = f"А{region}-{rng.randrange(1, 99999):05d}-{rng.randrange(1, 300):04d}"
        hazard = rng.choices(HAZARD_CLASSES, HAZARD_WEIGHTS)[0]
        owned.append(Opo(number, rng.choice(OPO_NAMES), hazard, region))
    c.opo = rng.choice(owned)
    c.region = c.opo.region
    if c.num_year >= REGION_NUMBERING_FROM:
        c.prefix = c.region
        if len(regions) > 1 and rng.random() < PREFIX_EXCEPTIONS:
            c.prefix = rng.choice([code for code in regions if code != c.region])
    c.verdict = rng.choices(VERDICTS, VERDICT_WEIGHTS)[0]
    c.term = None
    if c.code in TERM_TYPES and c.verdict != "не соответствует":
        if rng.random() < TERM_TEXT_SHARE:
            c.term = rng.choice(TERM_TEXTS)
        else:
            c.term = date(c.day.year + rng.randrange(2, 11), c.day.month, 1)
    if c.day.year >= REGION_NUMBERING_FROM:
        c.object_name = today_object_name(c.code, c.opo, rng)


def office_conclusions(
    code: str,
    world: World,
    plan: dict[tuple[str, int], list[tuple[int, str]]],
    seed: int,
    first_cid: int,
    prefix: str,
    regions: list[str],
) -> list[Conclusion]:
    """Dated, numbered conclusions of an office: sequence per year in date order (from 2022 the
    national serials); a few entered in early January carry the previous year's number
    (``date_year_mismatch``)."""
    rng = random.Random(f"office-{seed}-{code}")
    applicants = [
        a for i, a in enumerate(world.applicants) if i % len(LAYOUTS) == _office_index(code)
    ] or list(world.applicants)
    planted = list(world.planted_applicants)
    item = layout(code)
    serials = NationalSerials(_office_index(code), len(LAYOUTS), random.Random(f"serials-{seed}-{code}"))
    opos: dict[str, list[Opo]] = {}
    conclusions: list[Conclusion] = []
    last_seq: dict[int, int] = {}
    cid = first_cid
    for year in YEARS:
        assigned = plan.get((code, year), [])
        if not assigned:
            continue
        open_on = open_days(item, year)
        late = min(1 + len(assigned) // 400, len(assigned) - 1) if year - 1 in last_seq else 0
        dated = sorted(
            [(date(year, 1, 2 + i % 8), False) for i in range(late)]
            + [(draw_day(open_on, year, rng), True) for _ in range(len(assigned) - late)]
        )
        run_left, applicant = 0, applicants[0]
        seq = late_seq = 0
        for (org_index, otype), (day, on_time) in zip(assigned, dated, strict=True):
            if on_time:
                seq += 1
                num_year, number = year, seq
            else:
                late_seq += 1
                num_year, number = year - 1, last_seq[year - 1] + late_seq
            if num_year >= REGION_NUMBERING_FROM:
                number = serials.next(num_year, day)
            elif number > MAX_SEQUENCE:
                raise ValueError(f"{code} {year}: more than {MAX_SEQUENCE} conclusions; lower the scale")
            if run_left == 0:
                pool = planted if planted and rng.random() < PLANTED_APPLICANT_SHARE else applicants
                applicant, run_left = rng.choice(pool), rng.choice((1, 1, 1, 2, 2, 3, 4))
            run_left -= 1
            org = world.experts[org_index]
            experts = tuple(rng.sample(org.experts, rng.choice((1, 1, 2))))
            excluded = (
                day + timedelta(days=rng.randrange(20, 300)) if rng.random() < EXCLUSION_SHARE else None
            )
            reason = rng.choice(EXCLUSION_REASONS) if excluded else ""
            conclusion = Conclusion(
                cid,
                number,
                num_year,
                day,
                otype,
                org,
                applicant,
                object_name(otype, rng),
                experts,
                excluded,
                reason,
                prefix=prefix,
            )
            today_details(conclusion, regions, opos, rng)
            conclusions.append(conclusion)
            cid += 1
        last_seq[year] = seq
    return conclusions


def _office_index(code: str) -> int:
    return [item.code for item in LAYOUTS].index(code)


# --------------------------------------------------------------------------------------------------
# Rendering one conclusion in an office's spelling


def party_name(party: Party, core: str, style: str, rng: random.Random) -> str:
    """An applicant's name in an office's spelling, with its settlement and branch where it has them
    (``МУП «Водоканал» г. Пермь``, ``МУП «Водоканал г. Пермь»``, ``Филиал ПАО «X» — «Y»``); a share
    ``bare`` of the spellings has neither legal form nor quotes (``Водоканал г. Пермь``)."""
    upper = mess.ORG_STYLES[style][3] == "upper"
    if party.bare and rng.random() < party.bare:
        text = " ".join(p for p in (core, party.place) if p)
        return text.upper() if upper else text
    inside = party.place and party.place_inside
    text = mess.org_name(party.form, party.long_form, f"{core} {party.place}" if inside else core, style)
    after = party.place if party.place and not inside else ""
    after += f" — «{party.branch}»" if party.branch else ""
    text = f"Филиал {text}" if party.branch else text
    text = f"{text} {after.strip()}" if after else text
    return text.upper() if upper else text


class Renderer:
    """Spells conclusions the way one office does, and remembers each so re-publications match."""

    def __init__(
        self, item: OfficeLayout, seed: int, object_type_names: dict[str, str], regions: dict[str, Region]
    ) -> None:
        self.item = item
        self.rng = random.Random(f"render-{seed}-{item.code}")
        self.values = {column.value for column in item.columns}
        self.type_names = object_type_names
        self.regions = regions
        self.cache: dict[int, Rendered] = {}

    def render(self, c: Conclusion) -> Rendered:
        if c.cid not in self.cache:
            self.cache[c.cid] = self._render(c)
        return self.cache[c.cid]

    def _render(self, c: Conclusion) -> Rendered:
        item, rng = self.item, self.rng
        self.values = {column.value for column in item.columns_for(c.day.year)}
        truth = dict.fromkeys(SOURCE_FIELDS, "")
        cells: dict[str, CellValue] = {}
        problems: list[tuple[str, str]] = []
        truth["reg_number"] = mess.canonical_reg(c.prefix, c.code, c.seq, c.num_year)
        truth["object_type"] = c.code
        style = rng.choice(item.reg_styles) if rng.random() < item.reg_mess else "plain"
        cells["reg_number"] = mess.reg_text(c.prefix, c.code, c.seq, c.num_year, style, rng.randrange(12))
        published = mess.canonical_text(str(cells["reg_number"]))
        truth["reg_number_published"] = published if published != truth["reg_number"] else ""
        cells["date"], truth["date_registered"] = self._date(c)
        cells["object_type"] = self.type_names[c.code]
        name = c.object_name
        if item.multiline and rng.random() < 0.3 and ", " in name:
            name = name.replace(", ", ",\n", 1)
        cells["object_name"] = name
        truth["object_name"] = mess.canonical_text(name) if "object_name" in self.values else ""
        self._applicant(c, cells, truth, problems)
        self._expert(c, cells, truth)
        self._exclusion(c, cells, truth)
        self._today(c, cells, truth)
        year = truth["date_registered"][:4] or str(c.num_year)
        keys = (item.code, year)
        row = tuple(truth[name] for name in SOURCE_FIELDS) + keys
        return Rendered(cells, (*row, c.org.key, c.applicant.key), truth["reg_number"], tuple(problems))

    def _today(self, c: Conclusion, cells: dict[str, CellValue], truth: dict[str, str]) -> None:
        """Subject of the RF, ОПО number, name and hazard class, verdict, term of further operation."""
        item, rng, values = self.item, self.rng, self.values
        region = self.regions[c.region]
        style = rng.choice(item.region_styles)
        cells["region"] = mess.region_text(region.name, region.synonyms, style, rng.randrange(4))
        if "region" in values:
            truth["region"] = region.name
        if c.opo is not None:
            cells["opo_number"] = mess.opo_text(c.opo.number, rng.choice(item.opo_styles))
            cells["opo_name"] = c.opo.name
            cells["hazard_class"] = mess.hazard_text(c.opo.hazard, rng.choice(item.hazard_styles))
            if "opo_number" in values:
                truth["opo_reg_number"] = c.opo.number
            if "opo_name" in values:
                truth["opo_name"] = mess.canonical_text(c.opo.name)
            if "hazard_class" in values:
                truth["hazard_class"] = c.opo.hazard
        cells["verdict"] = mess.verdict_text(c.verdict, rng.choice(item.verdict_styles))
        if "verdict" in values:
            truth["conclusion_result"] = c.verdict
        cells["term"] = mess.term_cell(c.term, rng.choice(item.term_styles)) if c.term else None
        if "term" in values and c.term:
            truth["operation_term"] = c.term if isinstance(c.term, str) else c.term.isoformat()

    def _date(self, c: Conclusion) -> tuple[CellValue, str]:
        item, rng = self.item, self.rng
        if c.num_year == c.day.year and rng.random() < item.invalid_dates:
            return mess.invalid_date_text(c.day.year), ""
        style = rng.choice(mess.MIXED_DATE_STYLES) if item.date_style == "mixed" else item.date_style
        return mess.date_cell(c.day, style), c.day.isoformat()

    def _applicant(
        self,
        c: Conclusion,
        cells: dict[str, CellValue],
        truth: dict[str, str],
        problems: list[tuple[str, str]],
    ) -> None:
        a, values, item = c.applicant, self.values, self.item
        core = self.rng.choice((a.core, *a.variants)) if a.variants else a.core
        name = party_name(a, core, item.applicant_style, self.rng)
        cells["applicant_name"] = name
        cells["applicant_inn"] = a.inn
        cells["applicant_address"] = a.address
        if "applicant_name" in values:
            truth["applicant_name"] = mess.canonical_text(name)
        if (
            "applicant_name" in values
            and item.applicant_inn_in_name
            and self.rng.random() < item.applicant_inn_in_name
        ):  # ООО "Ромашка" (ИНН 5503221735), the ИНН cell left empty
            cells["applicant_name"] = f"{name} (ИНН {a.inn})"
            cells["applicant_inn"] = None
            truth["applicant_inn"] = a.inn
        elif "applicant_inn" in values:
            if self.rng.random() < item.bad_inn:  # a typo: the pipeline must drop it and say so
                cells["applicant_inn"] = mistyped_inn(a.inn)
                problems.append(("inn_checksum_invalid", "applicant_inn"))
            else:
                truth["applicant_inn"] = a.inn
        if "applicant_address" in values:
            truth["applicant_address"] = a.address
        if "applicant_contact" in values:
            cell, parts = mess.contact_cell(self._parts(a, core), self.rng.choice(item.contact_shapes))
            cells["applicant_contact"] = cell
            for part, text in parts.items():
                truth[f"applicant_{part}"] = text

    def _expert(self, c: Conclusion, cells: dict[str, CellValue], truth: dict[str, str]) -> None:
        org, item, values = c.org, self.item, self.values
        name = mess.org_name(org.form, org.long_form, org.core, item.org_style)
        cells["expert_name"] = name
        cells["expert_inn"] = org.inn
        if "expert_name" in values:
            truth["expert_org_name"] = mess.canonical_text(name)
            if self.rng.random() < item.expert_inn_in_name:  # ООО "ЦЭПБ" (ИНН 5503221735)
                cells["expert_name"] = f"{name} (ИНН {org.inn})"
                truth["expert_org_inn"] = org.inn
        if "expert_inn" in values:
            truth["expert_org_inn"] = org.inn
        if "expert_contact" in values:
            cell, parts = mess.contact_cell(self._parts(org), self.rng.choice(item.contact_shapes))
            cells["expert_contact"] = cell
            for part, text in parts.items():
                truth[f"expert_org_{part}"] = text
        cells["licence"] = mess.licence_text(org.licence, item.licence_style, org.licence_issued)
        if "licence" in values:
            truth["licence_number"] = org.licence
        names = [name for name, _ in c.certificates]
        numbers = [number for _, number in c.certificates]
        cells["certificate"] = mess.certificate_text(numbers, item.certificate_style, names)
        if "certificate" in values:
            truth["expert_certificate"] = "; ".join(numbers)

    def _exclusion(self, c: Conclusion, cells: dict[str, CellValue], truth: dict[str, str]) -> None:
        style = "cell" if self.item.date_style in ("mixed", "serial") else self.item.date_style
        cells["excluded_date"] = mess.date_cell(c.excluded, style) if c.excluded else None
        cells["exclusion_reason"] = c.reason or None
        if "excluded_date" in self.values and c.excluded:
            truth["excluded_date"] = c.excluded.isoformat()
        if "exclusion_reason" in self.values:
            truth["exclusion_reason"] = c.reason

    @staticmethod
    def _parts(party: Party, core: str = "") -> dict[str, str]:
        return {
            "name": party.contact_name(core),
            "address": party.address,
            "head": party.head,
            "phone": party.phone,
            "fax": party.phone,
            "email": party.email,
            "inn": party.inn,
        }

    def reject(self, c: Conclusion, year: int) -> RejectRow:
        """A data row whose registration number is missing or malformed, other cells like a real row."""
        cell, reason = self.rng.choice(mess.invalid_reg_cells(c.prefix, year))
        cells = dict(self._render_uncached(c).cells)
        cells["reg_number"] = cell or None
        return RejectRow(cells, reason, cell)

    def _render_uncached(self, c: Conclusion) -> Rendered:
        return self.cache.get(c.cid) or self._render(c)


# --------------------------------------------------------------------------------------------------
# Tables: title, header, data with sections, totals, blanks, rejects and merges, footer


@dataclass
class TableBuilder:
    item: OfficeLayout
    columns: tuple[Column, ...]
    allow_merges: bool
    office_name: str
    rows: list[list[CellValue]] = field(default_factory=list)
    tags: list[Tag] = field(default_factory=list)
    merges: list[Merge] = field(default_factory=list)

    @property
    def width(self) -> int:
        return len(self.columns)

    def add(self, row: list[CellValue], tag: Tag = None) -> int:
        self.rows.append(row + [None] * (self.width - len(row)))
        self.tags.append(tag)
        return len(self.rows) - 1

    def merge(self, row: int, col: int, rows: int = 1, cols: int = 1) -> None:
        if self.allow_merges and (rows > 1 or cols > 1):
            self.merges.append(Merge(row, col, rows, cols))
            for r in range(row, row + rows):
                for c in range(col, col + cols):
                    if (r, c) != (row, col):
                        self.rows[r][c] = None

    def title(self, period: str) -> None:
        for text in self.item.title_rows:
            self.add([text.format(office=self.office_name, period=period) or None])

    def header(self) -> tuple[int, int]:
        """One header row, or two when columns are grouped under a merged parent cell."""
        columns = self.columns
        first = len(self.rows)
        if not any(column.group for column in columns):
            self.add([column.header for column in columns])
        else:
            top = self.add([column.group or column.header for column in columns])
            self.add([column.header if column.group else None for column in columns])
            col = 0
            while col < len(columns):
                group = columns[col].group
                span = 1
                while group and col + span < len(columns) and columns[col + span].group == group:
                    span += 1
                if group:
                    self.merge(top, col, cols=span)
                else:
                    self.merge(top, col, rows=2)
                col += span
        count = len(self.rows) - first
        if self.item.colnum_row:
            self.add(list(range(1, self.width + 1)))
        return first, count

    def data(self, tag: Rendered | RejectRow, number: int) -> int:
        cells = [number if column.value == "npp" else tag.cells.get(column.value) for column in self.columns]
        return self.add(cells, tag)

    def section(self, text: str) -> None:
        row = self.add([text])
        self.merge(row, 0, cols=self.width)

    def merge_applicant_runs(self) -> None:
        """Merge the applicant cell vertically over consecutive data rows of the same applicant."""
        if not self.item.merge_applicant:
            return
        col = next(i for i, column in enumerate(self.columns) if column.value.startswith("applicant_name"))
        start = 0
        while start < len(self.rows):
            end = start + 1
            if self.tags[start] is not None:
                while (
                    end < len(self.rows)
                    and self.tags[end] is not None
                    and self.rows[end][col] == self.rows[start][col]
                ):
                    end += 1
                if end - start > 1:
                    self.merge(start, col, rows=end - start)
            start = end


SECTION_KEYS = {
    "year": lambda day: (day.year, f"{day.year} год"),
    "month": lambda day: (day.month, f"{mess.MONTHS_NOMINATIVE[day.month - 1]} {day.year} г."),
    "quarter": lambda day: (
        (day.month - 1) // 3,
        f"{mess.ROMAN_QUARTERS[(day.month - 1) // 3]} квартал {day.year} г.",
    ),
}


def build_table(
    item: OfficeLayout,
    renderer: Renderer,
    conclusions: list[Conclusion],
    *,
    name: str,
    period: str,
    office_name: str,
    rng: random.Random,
    with_title: bool = True,
    columns: tuple[Column, ...] = (),
    min_rejects: int = 1,
) -> tuple[Table, list[Tag]]:
    """A register table of ``conclusions`` (date order) in the office's layout, with its row tags.

    Rejects are the layout's share of the rows, at least ``min_rejects`` (one per table, except in
    a weekly workbook, where the share is drawn row by row).
    """
    ordered = list(reversed(conclusions)) if item.newest_first else list(conclusions)
    entries: list[Rendered | RejectRow] = [renderer.render(c) for c in ordered]
    if min_rejects:
        rejects = max(min_rejects, round(item.rejects * len(entries))) if entries else 0
    else:
        rejects = sum(1 for _ in entries if rng.random() < item.rejects)
    for _ in range(rejects):
        at = rng.randrange(len(entries) + 1)
        neighbour = ordered[min(at, len(ordered) - 1)]
        entries.insert(at, renderer.reject(neighbour, neighbour.day.year))
    days = [c.day for c in ordered]
    day_of = {id(renderer.render(c)): c.day for c in ordered}
    if item.paste_twice and len(entries) > 10:
        at = rng.randrange(len(entries) - 5)
        entries[at + 5 : at + 5] = entries[at : at + 5]
    builder = TableBuilder(
        item, columns or item.columns, allow_merges=len(entries) <= MERGE_LIMIT, office_name=office_name
    )
    if with_title:
        builder.title(period)
    header = builder.header()
    section_of = SECTION_KEYS.get(item.sections)
    current, label, in_section = None, "", 0
    last_day = days[0] if days else date(YEARS[0], 1, 1)
    for number, entry in enumerate(entries, start=1):
        last_day = day_of.get(id(entry), last_day)
        if section_of:
            key, text = section_of(last_day)
            if (last_day.year, key) != current:
                if current is not None and item.totals:
                    builder.add([f"Итого за {label}:", in_section])
                current, label, in_section = (last_day.year, key), text, 0
                builder.section(text)
        in_section += 1
        builder.data(entry, number)
        if item.blank_every and number % item.blank_every == 0:
            builder.add([])
    if section_of and item.totals and current is not None:
        builder.add([f"Итого за {label}:", in_section])
    builder.merge_applicant_runs()
    if item.footer:
        builder.add([])
        for footer in item.footer:
            builder.add(
                [
                    text.format(head="И.И. Петров", clerk="Сидорова А.А., тел. 55-12-34") or None
                    for text in footer
                ]
            )
    table = Table(builder.rows, builder.merges, name=name, header_rows=header)
    return table, builder.tags


# --------------------------------------------------------------------------------------------------
# Files of one office


@dataclass
class OfficeContext:
    item: OfficeLayout
    name: str
    conclusions: list[Conclusion]
    renderer: Renderer
    rng: random.Random
    work_dir: Path


def table_label(fmt: str, sheet: str, index: int) -> str:
    """The reader's name for a table (``RawRow.table``): sheet name, ``table N``, or empty."""
    if fmt in ("xlsx", "xls"):
        return sheet
    if fmt in ("docx", "doc", "xls_html", "page"):
        return f"table {index}"
    return ""


def register_table(
    ctx: OfficeContext,
    fmt: str,
    conclusions: list[Conclusion],
    sheet: str,
    period: str,
    index: int = 1,
    *,
    columns: tuple[Column, ...] = (),
    min_rejects: int = 1,
) -> TableModel:
    with_title = fmt not in ("pdf", "docx", "doc")  # those carry the title as text above the table
    table, tags = build_table(
        ctx.item,
        ctx.renderer,
        conclusions,
        name=sheet,
        period=period,
        office_name=ctx.name,
        rng=ctx.rng,
        with_title=with_title,
        columns=columns,
        min_rejects=min_rejects,
    )
    return TableModel(table, tags, table_label(fmt, sheet, index))


def weeks(conclusions: list[Conclusion], year: int) -> list[tuple[date, date, list[Conclusion]]]:
    """Seven-day periods from 1 January (the last one ends on 31 December), with their conclusions;
    a week without any has no sheet."""
    by_week: dict[int, list[Conclusion]] = {}
    for c in conclusions:
        by_week.setdefault((c.day - date(year, 1, 1)).days // 7, []).append(c)
    result = []
    for week, items in sorted(by_week.items()):
        first = date(year, 1, 1) + timedelta(days=7 * week)
        last = min(first + timedelta(days=6), date(year, 12, 31))
        result.append((first, last, items))
    return result


#: sheet name of a weekly workbook: style → template (week number from 1)
WEEK_SHEET_NAMES = {"range": "{first:%d.%m}–{last:%d.%m}", "number": "Неделя {week}"}


def weekly_tables(
    ctx: OfficeContext, pub: Publication, conclusions: list[Conclusion], year: int
) -> list[TableModel]:
    tables = []
    for first, last, items in weeks(conclusions, year):
        week = (first - date(year, 1, 1)).days // 7 + 1
        sheet = WEEK_SHEET_NAMES[pub.week_sheets].format(first=first, last=last, week=week)
        period = f"с {first:%d.%m.%Y} по {last:%d.%m.%Y}"
        tables.append(register_table(ctx, pub.fmt, items, sheet, period, columns=pub.columns, min_rejects=0))
    return tables


def publication_jobs(ctx: OfficeContext, pub: Publication) -> Iterator[FileJob]:
    by_year = {year: [c for c in ctx.conclusions if c.day.year == year] for year in YEARS}
    real = REAL_FORMAT[pub.fmt]
    span = f"{pub.years[0]}–{pub.years[-1]} гг."
    covered = [c for c in ctx.conclusions if c.day.year in pub.years]
    if pub.kind == "per_year":
        for year in pub.years:
            yield FileJob(
                pub.path.format(year=year), pub.fmt, real_format=real, options={"period": f"{year} год"}
            ).lazy(
                lambda y=year: [
                    register_table(ctx, pub.fmt, by_year[y], "Лист1", f"{y} год", columns=pub.columns)
                ]
            )
    elif pub.kind == "half_year":
        half = [c for c in by_year[pub.year] if c.day.month <= 6]
        period = f"I полугодие {pub.year} г."
        yield FileJob(
            pub.path.format(year=pub.year), pub.fmt, real_format=real, options={"period": period}
        ).lazy(lambda: [register_table(ctx, pub.fmt, half, "Лист1", period)])
    elif pub.kind == "weekly":
        for year in pub.years:
            yield FileJob(
                pub.path.format(year=year), pub.fmt, real_format=real, options={"period": f"{year} год"}
            ).lazy(lambda y=year: weekly_tables(ctx, pub, by_year[y], y))
    elif pub.kind == "workbook":
        yield FileJob(pub.path, pub.fmt, real_format=real, options={"period": span}).lazy(
            lambda: (
                [register_table(ctx, pub.fmt, by_year[y], str(y), f"{y} год") for y in pub.years]
                + [register_table(ctx, pub.fmt, covered, "Все годы", span)]
            )
        )
    elif pub.kind == "all_years":
        # on the office page the register follows the site's navigation table (a layout table)
        nav = [TableModel(Table([NAV]), [None], "table 1")] if pub.fmt == "page" else []
        yield FileJob(pub.path, pub.fmt, real_format=real, options={"period": span}).lazy(
            lambda: [*nav, register_table(ctx, pub.fmt, covered, "Лист1", "", len(nav) + 1)]
        )
    else:
        raise ValueError(f"{ctx.item.code}: unknown publication kind {pub.kind}")


def mess_job(ctx: OfficeContext, rel: str, what: str) -> FileJob:
    """A file that is no register data: empty, corrupt, encrypted, an order, a byte copy."""
    some = [c for c in ctx.conclusions if c.day.year == YEARS[-1]][:20]
    if what == "empty":
        return FileJob(rel, "empty", status="file_empty", real_format=Path(rel).suffix[1:])
    if what == "corrupt":
        return FileJob(rel, "corrupt", status="file_corrupt", real_format="xlsx").lazy(
            lambda: [register_table(ctx, "xlsx", some, "Лист1", "")]
        )
    if what == "encrypted":
        return FileJob(rel, "encrypted", status="file_encrypted", real_format="xlsx").lazy(
            lambda: [register_table(ctx, "xlsx", some, "Лист1", "")]
        )
    if what == "not_a_register":
        return FileJob(rel, "order", status="not_a_register", real_format="docx").lazy(order_tables)
    if what.startswith("copy:"):
        source = what.split(":", 1)[1]
        job = FileJob(rel, "copy", status="same_content", options={"source": source})
        job.real_format = next(REAL_FORMAT[p.fmt] for p in ctx.item.publications if p.path == source)
        return job
    raise ValueError(f"{ctx.item.code}: unknown file mess {what}")


def order_tables() -> list[TableModel]:
    """An order («Приказ») with a plan table: a linked document that has no register header."""
    rows: list[list[CellValue]] = [["№ п/п", "Мероприятие", "Срок исполнения", "Ответственный"]]
    rows += [
        [
            1,
            "Обеспечить размещение сведений на официальном сайте управления",
            "до 01.02.2017",
            "Отдел делопроизводства",
        ],
        [2, "Назначить ответственных за актуализацию раздела сайта", "до 20.01.2017", "Отдел кадров"],
        [3, "Контроль за исполнением приказа оставляю за собой", "постоянно", "Руководитель управления"],
    ]
    return [TableModel(Table(rows, header_rows=(0, 1)), [None] * len(rows), "table 1")]


def office_jobs(ctx: OfficeContext) -> list[FileJob]:
    jobs = [job for pub in ctx.item.publications for job in publication_jobs(ctx, pub)]
    jobs += [mess_job(ctx, rel, what) for rel, what in ctx.item.file_mess]
    if not any(job.rel == "index.html" for job in jobs):
        jobs.append(
            FileJob("index.html", "index", status="page", real_format="html").lazy(
                lambda: [TableModel(Table([NAV]), [None], "table 1")]
            )
        )
    return sorted(jobs, key=lambda job: job.rel)


def page_before(ctx: OfficeContext, jobs: list[FileJob]) -> str:
    """The office page above its tables: a heading and a link to every published file."""
    links = "".join(
        f'<li><a href="{quote(job.rel)}">{html.escape(Path(job.rel).name)}</a></li>\n'
        for job in jobs
        if job.rel != "index.html"
    )
    heading = html.escape(f"{ctx.name}: сведения из реестра заключений экспертизы промышленной безопасности")
    return f"<h1>{heading}</h1>\n<ul>\n{links}</ul>\n"


@dataclass
class Batches:
    """Files converted by LibreOffice: one run per target format at the end."""

    xls: list[tuple[Path, list[Table]]] = field(default_factory=list)
    doc: list[tuple[Path, list[Table], dict]] = field(default_factory=list)

    def flush(self) -> None:
        if self.xls:
            write_xls(self.xls)
        if self.doc:
            write_doc(self.doc)


def write_job(
    ctx: OfficeContext,
    job: FileJob,
    tables: list[TableModel],
    jobs: list[FileJob],
    root: Path,
    batches: Batches,
) -> None:
    path = root / ctx.item.code / job.rel
    path.parent.mkdir(parents=True, exist_ok=True)
    plain = [model.table for model in tables]
    period = job.options.get("period", "")
    before = [text.format(office=ctx.name, period=period) for text in ctx.item.before]
    title = f"{ctx.name}. Сведения из реестра ЗЭПБ за {period}"
    match job.fmt:
        case "xlsx":
            write_xlsx(path, plain)
        case "xls":
            batches.xls.append((path, plain))
        case "xls_html":
            write_html(path, plain, encoding="cp1251", title=title, excel_flavour=True)
        case "docx":
            write_docx(path, plain, before=before, after=[])
        case "doc":
            batches.doc.append((path, plain, {"before": before}))
        case "pdf":
            write_pdf(path, plain[0], title=title)
        case "csv":
            write_csv(path, plain[0].rows, encoding=ctx.item.encoding)
        case "page" | "index":
            write_html(path, plain, encoding=ctx.item.encoding, title=ctx.name, before=page_before(ctx, jobs))
        case "empty":
            path.write_bytes(b"")
        case "corrupt":
            source = ctx.work_dir / f"{ctx.item.code}-corrupt.xlsx"
            write_xlsx(source, plain)
            write_truncated(path, source, keep=0.5)
            source.unlink()
        case "encrypted":
            write_encrypted_xlsx(path, plain, password="reestr")
        case "order":
            write_docx(
                path,
                plain,
                before=["ПРИКАЗ", "от 12.01.2017 № 45", "О размещении сведений на официальном сайте"],
            )
        case "copy":
            source = root / ctx.item.code / job.options["source"]
            if not source.is_file():
                raise ValueError(f"{job.rel}: copy of {source} that is not written yet (it must sort first)")
            shutil.copyfile(source, path)
        case _:
            raise ValueError(f"unknown job format {job.fmt}")


# --------------------------------------------------------------------------------------------------
# Truth


class TruthWriter:
    """Accounts rows in the contract's processing order and writes the three truth files."""

    def __init__(self, truth_dir: Path) -> None:
        truth_dir.mkdir(parents=True, exist_ok=True)
        self.truth_dir = truth_dir
        self.streams = [
            (truth_dir / name).open("w", encoding="utf-8", newline="")
            for name in ("records.csv", "rejects.csv", "files.csv", "problems.csv")
        ]
        self.records, self.rejects, self.files, self.problems = (
            csv.writer(stream) for stream in self.streams
        )
        self.records.writerow(TRUTH_RECORD_COLUMNS)
        self.rejects.writerow(TRUTH_REJECT_COLUMNS)
        self.files.writerow(TRUTH_FILE_COLUMNS)
        self.problems.writerow(TRUTH_PROBLEM_COLUMNS)
        self.seen: set[str] = set()
        self.quality = QualityTruth()
        self.record_count = 0
        self.file_statuses: list[tuple[str, str]] = []

    def account(self, office: str, job: FileJob, tables: list[TableModel]) -> None:
        rel = f"{office}/{job.rel}"
        counts: Counter[str] = Counter()
        if job.status == "ok":
            for model in tables:
                for index, tag in enumerate(model.tags):
                    self._row(rel, job.real_format, model.label, index, tag, counts)
        self.quality.add_file(office, job.real_format, job.status, counts)
        self.record_count += counts["records"]
        self.file_statuses.append((rel, job.status))
        self.files.writerow(
            [
                rel,
                office,
                job.real_format,
                job.status,
                counts["records"],
                counts["duplicates"],
                counts["rejects"],
            ]
        )

    def _row(
        self, rel: str, real_format: str, label: str, index: int, tag: Tag, counts: Counter[str]
    ) -> None:
        if isinstance(tag, Rendered):
            if tag.reg in self.seen:
                counts["duplicates"] += 1
                return
            self.seen.add(tag.reg)
            self.records.writerow([*tag.truth[:-2], rel, *tag.truth[-2:]])
            row = "" if real_format in ("pdf", "doc") else index + 1
            for code, name in tag.problems:
                self.problems.writerow([rel, "" if real_format == "pdf" else label, row, tag.reg, code, name])
            fields = dict(zip(SOURCE_FIELDS, tag.truth, strict=False))
            self.quality.add_record(tag.truth[len(SOURCE_FIELDS)], fields)
            counts["records"] += 1
        elif isinstance(tag, RejectRow):
            row = "" if real_format in ("pdf", "doc") else index + 1
            self.rejects.writerow([rel, "" if real_format == "pdf" else label, row, tag.reason, tag.reg_cell])
            counts["rejects"] += 1

    def close(self) -> None:
        for stream in self.streams:
            stream.close()
        self.quality.write(self.truth_dir / "quality.csv")


def check_same_content(root: Path, statuses: list[tuple[str, str]]) -> None:
    """Only the planned byte copies may equal an earlier file (the pipeline would skip any other)."""
    seen: set[str] = set()
    for rel, status in statuses:
        digest = hashlib.sha256((root / rel).read_bytes()).hexdigest()
        if (digest in seen) != (status == "same_content"):
            raise AssertionError(
                f"{rel}: status {status} but the content is {'a' if digest in seen else 'no'} copy"
            )
        seen.add(digest)


# --------------------------------------------------------------------------------------------------
# Entry point


def object_type_names() -> dict[str, str]:
    path = Path(__file__).resolve().parents[2] / "schema" / "object_types.csv"
    with path.open(encoding="utf-8", newline="") as stream:
        return {row["code"]: row["name"] for row in csv.DictReader(stream)}


@dataclass(frozen=True, slots=True)
class Region:
    """A subject of the RF of schema/regions.csv: its official name and the spellings listed for it."""

    name: str
    synonyms: tuple[str, ...]


def load_regions() -> dict[str, Region]:
    path = Path(__file__).resolve().parents[2] / "schema" / "regions.csv"
    with path.open(encoding="utf-8", newline="") as stream:
        return {
            row["code"]: Region(row["name"], tuple(s for s in row["synonyms"].split("|") if s))
            for row in csv.DictReader(stream)
        }


def office_region_codes(names: list[str], regions: dict[str, Region]) -> list[str]:
    """Codes of the subjects an office covers (sources/offices.yaml names them as the code list does)."""
    by_name = {text: code for code, region in regions.items() for text in (region.name, *region.synonyms)}
    missing = [name for name in names if name not in by_name]
    if missing or not names:
        raise ValueError(f"subjects not in schema/regions.csv: {missing or 'none listed'}")
    return [by_name[name] for name in names]


def applicant_count(scale: float) -> int:
    return max(200, min(10_000, int(7_500 * scale)))


#: Where the federal site keeps the register of licences, inside the mirror (see openepb.build.pipeline).
LICENCE_REGISTER_DIR = Path("www/service/list/reestr_licences_99fz")
#: Share of the demo's licences that have ended (прекращена), for the organization pages to show.
ENDED_LICENCE_SHARE = 0.05


def write_demo_licence_register(world: World, corpus_dir: Path, seed: int) -> None:
    """The federal register of licences for expertise, as paginated pages of the federal site."""
    rng = random.Random(f"licences-{seed}")
    entries = [
        LicenceEntry(
            number=org.licence,
            status="прекращена" if rng.random() < ENDED_LICENCE_SHARE or org.licence_ended else "действующая",
            date_issued=org.licence_issued,
            legal_name=f"{org.long_form} «{org.core}»",
            inn=org.inn,
            address=org.address,
        )
        for org in sorted(world.experts, key=lambda o: o.licence)
    ]
    write_licence_register(corpus_dir / LICENCE_REGISTER_DIR, entries)


def generate(out_dir: Path, *, scale: float = 1.0, seed: int = 2018) -> DemoCorpus:
    """Write ``out_dir/corpus`` (one folder per office) and ``out_dir/truth``; same seed, same corpus."""
    started = time.perf_counter()
    out_dir = Path(out_dir)
    corpus_dir, truth_dir, work_dir = out_dir / "corpus", out_dir / "truth", out_dir / ".work"
    for folder in (corpus_dir, truth_dir, work_dir):
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
    sources = load_sources()
    quotas = plan_quotas(scale)
    world = make_world(seed, applicant_count(scale))
    plan = plan_assignments(world, quotas, seed)
    names = object_type_names()
    regions = load_regions()
    truth = TruthWriter(truth_dir)
    batches = Batches()
    first_cid = 0
    try:
        for item in sorted(LAYOUTS, key=lambda layout: layout.code):
            office = sources.office(item.code)
            if office is None:
                raise ValueError(f"office {item.code} is not in sources/offices.yaml")
            prefix = office.reg_prefixes[0] if office.reg_prefixes else ""
            codes = office_region_codes(office.regions, regions)
            conclusions = office_conclusions(item.code, world, plan, seed, first_cid, prefix, codes)
            if not prefix and any(c.num_year < REGION_NUMBERING_FROM for c in conclusions):
                raise ValueError(f"office {item.code} has no number prefix for its early years")
            first_cid += len(conclusions)
            renderer = Renderer(item, seed, names, regions)
            ctx = OfficeContext(
                item,
                office.name,
                conclusions,
                renderer,
                random.Random(f"tables-{seed}-{item.code}"),
                work_dir,
            )
            jobs = office_jobs(ctx)
            for job in jobs:
                tables = job.make()
                write_job(ctx, job, tables, jobs, corpus_dir, batches)
                truth.account(item.code, job, tables)
        batches.flush()
        write_demo_licence_register(world, corpus_dir, seed)
    finally:
        truth.close()
        shutil.rmtree(work_dir, ignore_errors=True)
    check_same_content(corpus_dir, truth.file_statuses)
    seconds = time.perf_counter() - started
    return DemoCorpus(corpus_dir, truth_dir, truth.record_count, len(truth.file_statuses), seconds)
