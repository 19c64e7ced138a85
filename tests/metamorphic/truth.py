"""The true records: canonical values written here by hand or drawn from seeded pools written here.

Nothing in this module calls the code under test. Canonical forms are those of
docs/normalization.md and schema/formats.yaml: numbers ``NN-XX-NNNNN(N)-YYYY`` in Cyrillic, dates
ISO, names and addresses as published (white space collapsed), e-mail lower-cased, licences
``ДЭ-00-NNNNNN``, certificates ``XX.NN.NNNNN.NNN`` joined by ``; ``, the verdict as its code, the
region as its official name, the hazard class in Latin Roman numerals, a term of operation that is a
date as an ISO date.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

SEED = "metamorphic-truth-1"

# --- ИНН with valid control digits (own implementation, not the project's) -----------------------

_W10 = (2, 4, 10, 3, 5, 9, 4, 6, 8)
_W11 = (7, 2, 4, 10, 3, 5, 9, 4, 6, 8)
_W12 = (3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8)


def _control(digits: str, weights: tuple[int, ...]) -> str:
    return str(sum(int(d) * w for d, w in zip(digits, weights, strict=True)) % 11 % 10)


def inn_with_checksum(body: str) -> str:
    """A 10-digit ИНН from 9 digits, a 12-digit one from 10 digits."""
    if len(body) == 9:
        return body + _control(body, _W10)
    if len(body) == 10:
        first = body + _control(body, _W11)
        return first + _control(first, _W12)
    raise ValueError(body)


def inn_valid(inn: str) -> bool:
    """Own check, used only to test inn_with_checksum against published ИНН examples."""
    if len(inn) == 10:
        return inn == inn_with_checksum(inn[:9])
    if len(inn) == 12:
        return inn == inn_with_checksum(inn[:10])
    return False


# --- parties ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Party:
    name: str
    inn: str | None
    address: str
    phone: str
    email: str
    head: str | None = None
    licence: str | None = None  # expert organizations only
    fax: str | None = None


APPLICANTS: tuple[Party, ...] = (
    Party(
        'ООО "Северная теплосеть"',
        inn_with_checksum("110104583"),
        "169300, Республика Коми, г. Ухта, ул. Октябрьская, д. 14",
        "(8216) 74-12-90",
        "info@sevteplo.ru",
        "Генеральный директор Котов А.В.",
    ),
    Party(
        "АО «Уралхиммаш»",
        inn_with_checksum("665800312"),
        "620010, г. Екатеринбург, ул. Грибоедова, д. 32",
        "(343) 221-45-07",
        "office@uralhimmash.ru",
        "Директор Лебедев И.С.",
    ),
    Party(
        'ПАО "Томскнефтехимпром"',
        inn_with_checksum("701702166"),
        "634067, Томская обл., г. Томск, Кузовлевский тракт, д. 2, стр. 202",
        "(3822) 70-11-56",
        "tnhp@tomsk-nhp.ru",
    ),
    Party(
        "МУП «Водоканал г. Ангарска»",
        inn_with_checksum("380103442"),
        "665830, Иркутская обл., г. Ангарск, ул. Мира, д. 6",
        "(3955) 52-30-03",
        "priem@vodokanal-ang.ru",
    ),
    Party(
        "ИП Серов Павел Андреевич",
        inn_with_checksum("4826104517"),
        "398002, г. Липецк, ул. Гагарина, д. 71, кв. 5",
        "8-904-290-11-22",
        "serov.pa@mail.ru",
    ),
    Party(
        'ООО "Липецкая литейная компания"',
        inn_with_checksum("482504119"),
        "398510, Липецкая обл., с. Косыревка, ул. Заводская, д. 1",
        "(4742) 35-60-80",
        "llk@llk48.ru",
    ),
    Party(
        'АО "Газораспределение Сибирь"',
        inn_with_checksum("540613725"),
        "630099, г. Новосибирск, ул. Советская, д. 5",
        "(383) 220-47-47",
        "gr@gazsib.ru",
        "Управляющий директор Фролов Д.Н.",
    ),
    Party(
        "ФГУП «Завод имени Морозова»",
        inn_with_checksum("631900452"),
        "443022, г. Самара, Заводское шоссе, д. 8",
        "(846) 992-33-10",
        "zavod@morozov-samara.ru",
    ),
    Party(
        'Общество с ограниченной ответственностью "ТехСтрой-Сервис"',
        inn_with_checksum("165100987"),
        "423570, Республика Татарстан, г. Нижнекамск, пр. Строителей, д. 11",
        "(8555) 41-02-36",
        "tss@techstroy-nk.ru",
    ),
    Party(
        'АО "Кузнецкий угольный разрез"',
        inn_with_checksum("421701448"),
        "654007, Кемеровская обл., г. Новокузнецк, ул. Кирова, д. 55",
        "(3843) 72-05-19",
        "razrez@kuzur.ru",
    ),
)

EXPERT_ORGS: tuple[Party, ...] = (
    Party(
        'ООО "ЦЭПБ"',
        inn_with_checksum("550322173"),
        "644043, г. Омск, ул. Фрунзе, д. 1, корп. 4",
        "(3812) 21-77-40",
        "cepb@cepb-omsk.ru",
        licence="ДЭ-00-016245",
    ),
    Party(
        "ООО «Экспертиза и диагностика»",
        inn_with_checksum("774305529"),
        "127422, г. Москва, ул. Тимирязевская, д. 1, стр. 3",
        "(495) 612-08-81",
        "ed@expdiag.ru",
        licence="ДЭ-00-007889",
    ),
    Party(
        'ООО "Сибирский центр экспертизы"',
        None,
        "660049, г. Красноярск, ул. Ленина, д. 21",
        "(391) 227-61-02",
        "sce@sce24.ru",
        licence="ДЭ-00-012734",
    ),
    Party(
        "АНО «Центр технического аудита»",
        inn_with_checksum("744802671"),
        "454091, г. Челябинск, ул. Свободы, д. 2",
        "(351) 263-40-18",
        "audit@cta74.ru",
        licence="ДЭ-00-017384",
    ),
    Party(
        'ООО "Промэкспертиза-Урал"',
        None,
        "620075, г. Екатеринбург, ул. Малышева, д. 51, оф. 1204",
        "(343) 310-02-44",
        "pe-ural@pe-ural.ru",
        licence="ДЭ-00-015521",
    ),
)

# --- objects ---------------------------------------------------------------------------------------

OBJECTS_BY_TYPE: dict[str, tuple[str, ...]] = {
    "ТУ": (
        "Кран мостовой электрический КМ-10, зав. № 4-8-3821F, рег. № 6067",
        "Технические устройства, применяемые на опасном производственном объекте: ресивер воздушный "
        "В-6,3, зав. № 1125, рег. № 18734",
        "Котёл паровой ДЕ-25-14ГМ, зав. № 10987, рег. № 5521, инв. № 0053364",
        "Техническое устройство: насос центробежный НК 200/120, зав. № 77-412, применяемый на опасном "
        "производственном объекте",
        "Сосуд, работающий под давлением: автоклав АП-2000, зав. № 345, рег. № 2-АП",
        "Турбокомпрессор К-250-61-2, зав. № 6120, техническое устройство на площадке цеха № 3",
        "Подъёмник автомобильный гидравлический ВС-22, зав. № 2215, учётный № 31877",
    ),
    "ЗС": (
        "Здание компрессорной станции, инв. № 0041170",
        "Сооружение: эстакада трубопроводов между корпусами 12 и 14, инв. № 000318",
        "Здание котельной № 2 с дымовой трубой высотой 45 м",
    ),
    "ТП": (
        "Документация на техническое перевооружение опасного производственного объекта: установка "
        "газоочистки, шифр 118-ГО",
        "Техническое перевооружение сети газопотребления котельной, проект 07/21-ГСН",
    ),
    "ОБ": ("Обоснование безопасности опасного производственного объекта «Площадка нефтебазы»",),
    "ДЛ": ("Документация на ликвидацию шахтного ствола «Вспомогательный», проект 15-Л",),
}

OPO_NAMES = (
    "Площадка главного корпуса",
    "Сеть газопотребления предприятия",
    "Участок транспортный",
    "Цех производства аммиака",
    "Площадка нефтебазы по хранению и перевалке нефтепродуктов",
    "Котельная",
)

# (first group, region) pairs of today's numbers: the first group follows the subject of the RF.
REGIONS = (
    ("16", "Республика Татарстан (Татарстан)"),
    ("38", "Иркутская область"),
    ("48", "Липецкая область"),
    ("63", "Самарская область"),
    ("70", "Томская область"),
    ("54", "Новосибирская область"),
    ("42", "Кемеровская область — Кузбасс"),
    ("66", "Свердловская область"),
    ("2", "Республика Башкортостан"),
)
VERDICTS = ("соответствует", "соответствует", "соответствует", "не соответствует", "не в полной мере")
HAZARD_CLASSES = ("I", "II", "III", "III", "IV")
EXCLUSION_REASONS = (
    "по заявлению экспертной организации",
    "решение территориального органа об исключении сведений",
    "заключение отозвано заявителем",
)

# --- records ---------------------------------------------------------------------------------------


@dataclass
class TrueRecord:
    """One conclusion as the register knows it; every value canonical, ``None`` when absent."""

    reg_number: str
    era: str  # "old" (2014–2021 layouts) or "new" (2022– layouts)
    date_registered: str
    object_name: str
    applicant: Party
    expert_org: Party
    expert_certificate: str | None
    excluded_date: str | None = None
    exclusion_reason: str | None = None
    region: str | None = None
    opo_reg_number: str | None = None
    opo_name: str | None = None
    hazard_class: str | None = None
    conclusion_result: str | None = None
    operation_term: str | None = None
    reg_spelling: str | None = None  # how the source writes the number, when not canonical
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def object_type(self) -> str:
        return self.reg_number[3:5]


@dataclass(frozen=True)
class TrueReject:
    """A data row that cannot become a record: the number cell is empty or does not parse."""

    reg_cell: str
    reason: str  # reg_number_missing | reg_number_invalid
    like: int  # index of the record whose other values the row carries


def _certificates(rng: random.Random) -> str:
    def one() -> str:
        return f"АЭ.{rng.randint(14, 23)}.{rng.randint(0, 99999):05d}.{rng.randint(1, 9):03d}"

    return "; ".join(one() for _ in range(rng.choice((1, 1, 2))))


def _date(rng: random.Random, year: int) -> dt.date:
    return dt.date(year, 1, 1) + dt.timedelta(days=rng.randint(0, 364))


def _term(rng: random.Random, registered: dt.date) -> str:
    """The term of further safe operation: a date (canonical ISO) or a period kept as text."""
    if rng.random() < 0.6:
        return dt.date(
            registered.year + rng.randint(2, 8), rng.randint(1, 12), rng.randint(1, 28)
        ).isoformat()
    return rng.choice(("5 лет", "на 4 года", "24 месяца", "до полной выработки ресурса"))


def make_records(n_old: int = 26, n_new: int = 24) -> list[TrueRecord]:
    """The true records: old-era numbers (five-digit serials, 2015–2021) and today's (2022–2026,
    six- and five-digit serials, the first group following the region, one with a one-digit group)."""
    rng = random.Random(SEED)
    records: list[TrueRecord] = []
    used: set[str] = set()
    types = [t for t, objs in OBJECTS_BY_TYPE.items() for _ in objs]
    for i in range(n_old + n_new):
        new = i >= n_old
        year = rng.randint(2022, 2026) if new else rng.randint(2015, 2021)
        letters = rng.choice(types)
        if new:
            group, region = rng.choice(REGIONS)
            serial = (
                f"{rng.randint(100000, 999999)}" if rng.random() < 0.7 else f"{rng.randint(0, 99999):05d}"
            )
        else:
            group, region = rng.choice(("58", "66", "16", "38", "74")), None
            serial = f"{rng.randint(0, 99999):05d}"
        spelled = f"{group}-{letters}-{serial}-{year}"
        number = f"{group.zfill(2)}-{letters}-{serial}-{year}"
        if number in used:
            continue
        used.add(number)
        registered = _date(rng, year)
        record = TrueRecord(
            reg_number=number,
            era="new" if new else "old",
            date_registered=registered.isoformat(),
            object_name=rng.choice(OBJECTS_BY_TYPE[letters]),
            applicant=rng.choice(APPLICANTS),
            expert_org=rng.choice(EXPERT_ORGS),
            expert_certificate=_certificates(rng),
            reg_spelling=spelled if spelled != number else None,
        )
        if new:
            record.region = region
            record.opo_reg_number = (
                f"А{rng.randint(1, 99):02d}-{rng.randint(0, 99999):05d}-{rng.randint(1, 99):04d}"
            )
            record.opo_name = rng.choice(OPO_NAMES)
            record.hazard_class = rng.choice(HAZARD_CLASSES)
            record.conclusion_result = rng.choice(VERDICTS)
            record.operation_term = _term(rng, registered)
        elif rng.random() < 0.2:
            excluded = registered + dt.timedelta(days=rng.randint(20, 300))
            record.excluded_date = excluded.isoformat()
            record.exclusion_reason = rng.choice(EXCLUSION_REASONS)
        records.append(record)
    return records


#: Rows that must be rejected, with the index of the record whose other cells they copy.
REJECTS: tuple[TrueReject, ...] = (
    TrueReject("", "reg_number_missing", 3),
    TrueReject("б/н", "reg_number_invalid", 7),
    TrueReject("58-ТУ-1234-2017", "reg_number_invalid", 11),
)

RECORDS: list[TrueRecord] = make_records()
