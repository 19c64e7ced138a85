"""The demo world's people and organizations: expert organizations, applicants, heads, addresses.

Everything is drawn from one seeded random generator, so a seed always gives the same world. The
planted organizations reproduce what the 2018 paper describes (rising leaders, a safety-case leader),
the near-homonyms a resolver must keep apart, and what broke entity resolution on real files
(docs/resolution.md): same-named utilities of many cities, legal-form twins, numbered units,
branches under their parent's ИНН, a rename ЗАО → АО with a re-issued licence, common words shared
by unrelated organizations.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, replace
from datetime import date

from openepb.contract.legal_forms import legal_forms

LEGAL_FORMS: dict[str, str] = {f.code: f.name for f in legal_forms()}
EXPERT_FORMS = ("ООО", "ООО", "ООО", "ООО", "ЗАО", "АО", "АНО", "ОАО")
APPLICANT_FORMS = ("ООО", "ООО", "ООО", "АО", "АО", "ПАО", "ЗАО", "ОАО", "МУП", "ФГУП")

EXPERT_STEMS = (
    "Пром",
    "Тех",
    "Энерго",
    "Нефте",
    "Газ",
    "Хим",
    "Спец",
    "Строй",
    "Котло",
    "Подъем",
    "Регион",
    "Сибирь",
    "Урал",
    "Волга",
    "Северо",
    "Гидро",
    "Металл",
    "Трубо",
    "Инж",
    "Кран",
)
EXPERT_TAILS = (
    "Эксперт",
    "Диагностика",
    "Контроль",
    "Надзор",
    "Безопасность",
    "Аудит",
    "Инжиниринг",
    "Диагност",
    "ЭкспертСервис",
    "ТехЭксперт",
    "Защита",
    "Ресурс",
    "Оценка",
    "Проект",
)
EXPERT_PREFIXES = ("", "", "", "НТЦ ", "ИЦ ", "НПЦ ", "ЭКЦ ", "Центр ", "НИИ ")
APPLICANT_STEMS = (
    "Газпром",
    "Лукойл",
    "Роснефть",
    "Сибур",
    "Татнефть",
    "Башнефть",
    "Евраз",
    "Северсталь",
    "Мечел",
    "Агро",
    "Тепло",
    "Водо",
    "Хлеб",
    "Молоко",
    "Цемент",
    "Стекло",
    "Кирпич",
    "Элеватор",
    "Химпром",
    "Азот",
    "Металлург",
    "Энергосбыт",
    "Теплосеть",
    "Горгаз",
    "Нефтебаза",
    "Карьер",
    "Шахта",
    "Рудник",
)
APPLICANT_TAILS = (
    "",
    " добыча",
    " трансгаз",
    " переработка",
    "-Сервис",
    "-Трейд",
    "снаб",
    "комплект",
    " Холдинг",
    " Инвест",
    "-Строй",
    " Терминал",
    "-Логистик",
    " Энерго",
    " Ресурс",
)
TOWNS = (
    ("Москва", "г. Москва", "1"),
    ("Воронеж", "Воронежская обл.", "394"),
    ("Рязань", "Рязанская обл.", "390"),
    ("Санкт-Петербург", "г. Санкт-Петербург", "19"),
    ("Сыктывкар", "Республика Коми", "167"),
    ("Пермь", "Пермский край", "614"),
    ("Самара", "Самарская обл.", "443"),
    ("Екатеринбург", "Свердловская обл.", "620"),
    ("Тюмень", "Тюменская обл.", "625"),
    ("Красноярск", "Красноярский край", "660"),
    ("Волгоград", "Волгоградская обл.", "400"),
    ("Чита", "Забайкальский край", "672"),
    ("Южно-Сахалинск", "Сахалинская обл.", "693"),
    ("Тула", "Тульская обл.", "300"),
    ("Липецк", "Липецкая обл.", "398"),
    ("Ухта", "Республика Коми", "169"),
)
STREETS = (
    "Ленина",
    "Мира",
    "Гагарина",
    "Советская",
    "Садовая",
    "Заводская",
    "Промышленная",
    "Октябрьская",
    "Победы",
    "Кирова",
    "Пушкина",
    "Строителей",
    "Энергетиков",
    "Нефтяников",
    "Лесная",
    "Полевая",
)
SURNAMES = (
    "Иванов",
    "Петров",
    "Сидоров",
    "Кузнецов",
    "Смирнов",
    "Попов",
    "Васильев",
    "Соколов",
    "Михайлов",
    "Новиков",
    "Фёдоров",
    "Морозов",
    "Волков",
    "Алексеев",
    "Лебедев",
    "Семёнов",
    "Егоров",
    "Павлов",
    "Козлов",
    "Степанов",
    "Николаев",
    "Орлов",
    "Андреев",
    "Макаров",
    "Никитин",
    "Захаров",
    "Зайцев",
)
INITIALS = "АБВГДЕИКЛМНОПРСТФЮЯ"
POSITIONS = (
    "Генеральный директор",
    "Директор",
    "Управляющий",
    "Генеральный директор",
    "Исполнительный директор",
)
LATIN_SLUG = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "zh", "з": "z", "и": "i",
    "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t",
    "у": "u", "ф": "f", "х": "h", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "sch", "ы": "y", "э": "e",
    "ю": "yu", "я": "ya",
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Party:
    """An organization as it really is; offices publish spellings of it.

    The optional fields are the distinguishing parts of a name that real files write in many ways:
    ``place`` (the settlement, after the quoted name or inside the quotes), ``branch`` (a branch of
    the organization named by ``form`` and ``core``: «Филиал ПАО «X» — «Y»»), ``variants`` (other
    spellings of the core: «ДРСУ-2» for «ДРСУ № 2») and ``bare`` (the share of spellings without
    legal form and quotes: «Водоканал г. Пермь»).
    """

    key: str
    form: str  # short legal form, ООО
    core: str  # the name proper, without quotes: Промэксперт, НПФ «Русская лаборатория»
    inn: str
    address: str
    head: str
    phone: str
    email: str
    place: str = ""  # г. Пермь
    place_inside: bool = False  # «Водоканал г. Пермь» rather than «Водоканал» г. Пермь
    branch: str = ""  # Липецкэнерго
    variants: tuple[str, ...] = ()
    bare: float = 0.0

    @property
    def long_form(self) -> str:
        return LEGAL_FORMS[self.form]

    def contact_name(self, core: str = "") -> str:
        """The name in a crammed contact cell: one pair of quotes holding everything after the form,
        so the cell's name part keeps the settlement and the branch."""
        core = core or self.core
        inner = " ".join(p for p in (core, self.place) if p)
        if self.branch:
            return f"Филиал {self.form} «{inner} — {self.branch}»"
        if self.place or self.variants:
            return f"{self.form} «{inner}»"
        return _safe_contact_name(self.form, core)


def _safe_contact_name(short_form: str, core: str) -> str:
    """One pair of quotes at most (the same rule as ``mess.safe_contact_name``)."""
    if "«" in core or '"' in core:
        return f"{short_form} {core}"
    return f"{short_form} «{core}»"


@dataclass(frozen=True, slots=True)
class ExpertOrg(Party):
    licence: str = ""
    licence_issued: date = date(2010, 1, 1)
    experts: tuple[tuple[str, str], ...] = ()  # (name, certificate) of its experts
    licence_ended: bool = False  # the register says «прекращена» (a licence re-issued on a rename)


#: planted expert organizations: key → (form, core). Ranks per year are set in the generator.
PLANTED_EXPERTS: dict[str, tuple[str, str]] = {
    "E-RUSLAB": ("ЗАО", "НПФ «Русская лаборатория»"),
    "E-GAZMASH": ("ООО", "ГАЗМАШПРОЕКТ"),
    "E-NTCPB": ("ОАО", "НТЦ «Промышленная безопасность»"),
    "E-TEHINNOV": ("ООО", "ТЕХИННОВАЦИЯ"),
    "E-PROMEXP": ("ООО", "Промэксперт"),
    "E-PROMEXPZ": ("ООО", "Промэкспертиза"),
    "E-TEHNOEXP": ("ООО", "ТехноЭксперт"),
    "E-TEHEXP": ("ООО", "ТехЭксперт"),
    "E-ENDIAG": ("ООО", "Энергодиагностика"),
    "E-ENDIAG2": ("ЗАО", "Энергодиагностик"),
    "E-SPETSTEH": ("ООО", "СпецТехЭксперт"),
    "E-SPETSTEHZ": ("ООО", "СпецТехЭкспертиза"),
    "E-NGEXP": ("ООО", "Нефтегазэксперт"),
    "E-NHEXP": ("ООО", "Нефтехимэксперт"),
    "E-SCRIPT": ("ООО", "<script>alert(1)</script>"),
    "E-RENOLD": ("ЗАО", "Техдиагностика"),
    "E-RENNEW": ("АО", "Техдиагностика"),
}
#: renames: successor → (predecessor, day the licence was re-issued). One legal entity (one ИНН),
#: two licences: two organizations, linked as predecessor and successor.
RENAMED_EXPERTS: dict[str, tuple[str, date]] = {"E-RENNEW": ("E-RENOLD", date(2016, 2, 1))}
#: pairs that look alike and must stay two organizations
NEAR_HOMONYMS: tuple[tuple[str, str], ...] = (
    ("E-PROMEXP", "E-PROMEXPZ"),
    ("E-TEHNOEXP", "E-TEHEXP"),
    ("E-ENDIAG", "E-ENDIAG2"),
    ("E-SPETSTEH", "E-SPETSTEHZ"),
    ("E-NGEXP", "E-NHEXP"),
)


#: same-named utilities: each name in a dozen cities, one organization per (name, city)
UTILITY_NAMES = ("Водоканал", "Теплосеть", "Жилкомсервис", "Спецавтохозяйство", "Теплоэнерго")
UTILITY_TOWNS = (
    "Пермь",
    "Москва",
    "Владивосток",
    "Тамбов",
    "Нижний Новгород",
    "Набережные Челны",
    "Тула",
    "Липецк",
    "Самара",
    "Чита",
    "Ухта",
    "Воронеж",
    "Рязань",
    "Старый Оскол",
)
UTILITY_FORMS = ("МУП", "МУП", "ГУП", "МП")
UTILITY_CITIES = 12  # cities per utility name
BARE_SHARE = 0.2  # spellings without legal form of the utilities that have them


@dataclass(frozen=True, slots=True)
class PlantedApplicant:
    """An applicant planted for entity resolution; ``inn_of``: the key whose ИНН it shares (a
    branch shares its parent's)."""

    key: str
    form: str
    core: str
    place: str = ""
    place_inside: bool = False
    branch: str = ""
    variants: tuple[str, ...] = ()
    bare: float = 0.0
    inn_of: str = ""


def planted_applicant_specs() -> tuple[PlantedApplicant, ...]:
    """What broke entity resolution on real files, as applicants: utilities of many cities (and one
    without a city), legal-form twins with their own ИНН, numbered units, a parent and two branches
    under its ИНН, common words shared by unrelated organizations."""
    specs = [
        PlantedApplicant(
            f"A-U-{slug(name)}-{slug(town)}",
            UTILITY_FORMS[(i + j) % len(UTILITY_FORMS)],
            name,
            place=f"г. {town}",
            place_inside=(i + j) % 3 == 0,
            bare=BARE_SHARE if (i + 2 * j) % 5 == 0 else 0.0,
        )
        for i, name in enumerate(UTILITY_NAMES)
        for j, town in enumerate(
            UTILITY_TOWNS[(3 * i + k) % len(UTILITY_TOWNS)] for k in range(UTILITY_CITIES)
        )
    ]
    specs += [
        PlantedApplicant("A-U-vodokanal", "МУП", "Водоканал"),
        PlantedApplicant("A-TWIN-agroenergo-ao", "АО", "Агроэнерго"),
        PlantedApplicant("A-TWIN-agroenergo-ooo", "ООО", "АГРОЭНЕРГО"),
        PlantedApplicant("A-TWIN-neftemash-pao", "ПАО", "Нефтемаш"),
        PlantedApplicant("A-TWIN-neftemash-ooo", "ООО", "Нефтемаш"),
        PlantedApplicant("A-NUM-drsu-2", "АО", "ДРСУ № 2", variants=("ДРСУ-2", "ДРСУ №2")),
        PlantedApplicant("A-NUM-drsu-3", "АО", "ДРСУ № 3", variants=("ДРСУ-3",)),
        PlantedApplicant("A-NUM-shahta-7", "ООО", "Шахта № 7", variants=("Шахта 7", "Шахта-7")),
        PlantedApplicant("A-NUM-shahta-9", "ООО", "Шахта № 9"),
        PlantedApplicant("A-BR-rosseti", "ПАО", "Россети Центр"),
        PlantedApplicant("A-BR-rosseti-lipetsk", "ПАО", "Россети Центр", branch="Липецкэнерго", inn_of="A-BR-rosseti"),
        PlantedApplicant("A-BR-rosseti-kursk", "ПАО", "Россети Центр", branch="Курскэнерго", inn_of="A-BR-rosseti"),
        PlantedApplicant("A-COMMON-energoservis", "ООО", "Энергосервис"),
        PlantedApplicant("A-COMMON-energoservis-plus", "ООО", "Энергосервис Плюс"),
        PlantedApplicant("A-COMMON-energoservis-yug", "АО", "Энергосервис-Юг"),
        PlantedApplicant("A-COMMON-teploset-servis", "ООО", "Теплосеть-Сервис"),
    ]  # fmt: skip
    return tuple(specs)


@dataclass(frozen=True, slots=True)
class World:
    experts: tuple[ExpertOrg, ...]
    applicants: tuple[Party, ...]
    planted_applicants: tuple[Party, ...] = ()

    def expert(self, key: str) -> ExpertOrg:
        return next(org for org in self.experts if org.key == key)


def person(rng: random.Random) -> str:
    """``Петров П.П.``"""
    return f"{rng.choice(SURNAMES)} {rng.choice(INITIALS)}.{rng.choice(INITIALS)}."


def address(rng: random.Random) -> str:
    """A postal address without any part marker, so a crammed cell splits back into it exactly."""
    town, region, index = rng.choice(TOWNS)
    postcode = index + "".join(str(rng.randrange(10)) for _ in range(6 - len(index)))
    where = f"г. {town}" if region.startswith("г. ") else f"{region}, г. {town}"
    return f"{postcode}, {where}, ул. {rng.choice(STREETS)}, д. {rng.randrange(1, 120)}"


def phone(rng: random.Random) -> str:
    return f"({rng.randrange(3010, 8700)}) {rng.randrange(20, 99)}-{rng.randrange(10, 99)}-{rng.randrange(10, 99)}"


def slug(text: str) -> str:
    letters = "".join(LATIN_SLUG.get(ch, ch if ch.isascii() and ch.isalnum() else "") for ch in text.lower())
    return letters or "org"


#: weights of the control digit of a 10-digit ИНН (the tax service's published algorithm)
INN10_WEIGHTS = (2, 4, 10, 3, 5, 9, 4, 6, 8)


def inn_control_digit(first_nine: str) -> str:
    """The tenth digit of an organization's ИНН: the weighted sum of the nine others mod 11 mod 10."""
    return str(sum(w * int(d) for w, d in zip(INN10_WEIGHTS, first_nine, strict=True)) % 11 % 10)


def inn(rng: random.Random) -> str:
    """An organization's ИНН: a tax-region code (01–89), seven more digits, the control digit."""
    first_nine = f"{rng.randrange(1, 90):02d}{rng.randrange(10**7):07d}"
    return first_nine + inn_control_digit(first_nine)


def mistyped_inn(value: str) -> str:
    """The ИНН with its control digit mistyped: never a valid ИНН (a deliberate mess)."""
    return value[:-1] + str((int(value[-1]) + 1) % 10)


def _party_contacts(rng: random.Random, core: str) -> tuple[str, str, str, str, str]:
    head = f"{rng.choice(POSITIONS)} {person(rng)}"
    email = f"{rng.choice(('info', 'office', 'mail', 'priem'))}@{slug(core)[:16]}.ru"
    return inn(rng), address(rng), head, phone(rng), email


def make_experts(rng: random.Random, count: int = 200) -> tuple[ExpertOrg, ...]:
    """Planted organizations first, then generated ones with unique names and licences."""
    names: list[tuple[str, str, str]] = [(key, form, core) for key, (form, core) in PLANTED_EXPERTS.items()]
    taken = {core.lower() for _, _, core in names}
    while len(names) < count:
        core = rng.choice(EXPERT_PREFIXES) + rng.choice(EXPERT_STEMS) + rng.choice(EXPERT_TAILS).lower()
        core = core[0].upper() + core[1:]
        if rng.random() < 0.15:
            core += rng.choice(("-Центр", "-Юг", "-Север", " Плюс", "-М"))
        if core.lower() in taken:
            continue
        taken.add(core.lower())
        names.append((f"E{len(names):04d}", rng.choice(EXPERT_FORMS), core))
    licences = rng.sample(range(1000, 20000), len(names))
    experts: list[ExpertOrg] = []
    for (key, form, core), number in zip(names, licences, strict=True):
        tax, addr, head, tel, email = _party_contacts(rng, core)
        issued = date(rng.randrange(2005, 2014), rng.randrange(1, 13), rng.randrange(1, 29))
        team = tuple(
            (
                person(rng),
                f"АЭ.{rng.randrange(14, 18)}.{rng.randrange(100, 99999):05d}.{rng.randrange(1, 12):03d}",
            )
            for _ in range(rng.randrange(3, 12))
        )
        experts.append(
            ExpertOrg(
                key,
                form,
                core,
                tax,
                addr,
                head,
                tel,
                email,
                licence=f"ДЭ-00-{number:06d}",
                licence_issued=issued,
                experts=team,
            )  # fmt: skip
        )
    return tuple(_renamed(experts))


def _renamed(experts: list[ExpertOrg]) -> list[ExpertOrg]:
    """A successor of RENAMED_EXPERTS is its predecessor under a new form and a re-issued licence:
    the same ИНН, address, head and experts; the predecessor's licence has ended."""
    by_key = {org.key: org for org in experts}
    ended = {before for before, _ in RENAMED_EXPERTS.values()}
    out = []
    for org in experts:
        if org.key in RENAMED_EXPERTS:
            before, issued = RENAMED_EXPERTS[org.key]
            old = by_key[before]
            org = replace(
                org, inn=old.inn, address=old.address, head=old.head, phone=old.phone, email=old.email,
                experts=old.experts, licence_issued=issued,
            )  # fmt: skip
        elif org.key in ended:
            org = replace(org, licence_ended=True)
        out.append(org)
    return out


def name_key(core: str) -> str:
    """Letters and digits of a name, lower case: generated names never repeat a planted one
    however spaced or cased («Агро Энерго» would be «АГРОЭНЕРГО»)."""
    return re.sub(r"[\W_]+", "", core.lower())


def make_applicants(
    rng: random.Random, count: int, reserved: frozenset[str] = frozenset()
) -> tuple[Party, ...]:
    """Applicants with unique names (a stem, a tail and, when needed, a town), none of them a
    ``reserved`` (planted) name."""
    applicants: list[Party] = []
    taken: set[str] = set(reserved)
    while len(applicants) < count:
        core = rng.choice(APPLICANT_STEMS) + rng.choice(APPLICANT_TAILS)
        if name_key(core) in taken or rng.random() < 0.6:
            core = f"{core} {rng.choice(TOWNS)[0]}"
        if name_key(core) in taken:
            core = f"{core}-{rng.randrange(2, 99)}"
        if name_key(core) in taken:
            continue
        taken.add(name_key(core))
        tax, addr, head, tel, email = _party_contacts(rng, core)
        applicants.append(
            Party(f"A{len(applicants):05d}", rng.choice(APPLICANT_FORMS), core, tax, addr, head, tel, email)
        )
    return tuple(applicants)


def make_planted_applicants(rng: random.Random) -> tuple[Party, ...]:
    """The applicants of :func:`planted_applicant_specs`, each with its own ИНН unless it shares one."""
    made: dict[str, Party] = {}
    for spec in planted_applicant_specs():
        tax, addr, head, tel, email = _party_contacts(rng, spec.core)
        if spec.inn_of:
            tax = made[spec.inn_of].inn
        made[spec.key] = Party(
            spec.key, spec.form, spec.core, tax, addr, head, tel, email,
            spec.place, spec.place_inside, spec.branch, spec.variants, spec.bare,
        )  # fmt: skip
    return tuple(made.values())


def make_world(seed: int, applicants: int) -> World:
    rng = random.Random(f"world-{seed}")
    planted = make_planted_applicants(random.Random(f"planted-{seed}"))
    reserved = frozenset(name_key(" ".join((p.core, p.place, p.branch))) for p in planted)
    reserved |= {name_key(p.core) for p in planted}
    return World(make_experts(rng), make_applicants(rng, applicants, reserved), planted)
