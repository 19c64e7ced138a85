"""Write ``resolve_labelled.csv``: records of organizations with the true organization of each row.

    python tests/data/resolve_labelled.py        # rewrites tests/data/resolve_labelled.csv

The truth is given by construction (every row is written from one organization), never computed
by the resolver. The set plants what broke on real files: dozens of same-named municipal
utilities across cities, legal-form twins (АО / ООО «Агроэнерго»), numbered units, branches that
share their parent's INN, one organization with and without INN, the INN inside the name, common
words shared by unrelated organizations, a ЗАО → АО rename with a re-issued licence, and spellings
of one organization in every way offices write them (quotes, case, long / short form, form after
the name, Latin look-alikes). Rows are ``role, reg, name, licence, inn, truth``.
"""

from __future__ import annotations

import csv
import random
from pathlib import Path

OUT = Path(__file__).with_suffix(".csv")
SEED = 2026

LONG = {
    "ООО": "Общество с ограниченной ответственностью",
    "АО": "Акционерное общество",
    "ЗАО": "Закрытое акционерное общество",
    "ПАО": "Публичное акционерное общество",
    "МУП": "Муниципальное унитарное предприятие",
    "ГУП": "Государственное унитарное предприятие",
}
LOOKALIKE = str.maketrans("АВСЕНКМОРТХУ", "ABCEHKMOPTXY")
CITIES = (
    "Пермь",
    "Тамбов",
    "Владивосток",
    "Киров",
    "Курган",
    "Омск",
    "Томск",
    "Тверь",
    "Чита",
    "Нижний Новгород",
    "Великий Новгород",
    "Набережные Челны",
)
UTILITIES = ("Водоканал", "Теплосеть", "Жилкомсервис", "Спецавтохозяйство", "Теплоэнерго")
TWINS = (
    "Агроэнерго",
    "Стройресурс",
    "Техносервис",
    "Энергосбыт",
    "Спецмонтаж",
    "Промтранс",
    "Нефтемаш",
    "Газсервис",
)
COMMON = (
    "Энергосервис",
    "Энергосервис Плюс",
    "Сервис-Центр",
    "Теплосеть-Сервис",
    "Теплосервис",
    "Водоканалстрой",
    "Газпром добыча",
    "Газпром переработка",
    "Газпром трансгаз Казань",
    "Газпром трансгаз Ухта",
)
EXPERTS = (
    "Промэксперт",
    "Промэкспертиза",
    "ТехноЭксперт",
    "ТехЭксперт",
    "Кран-Диагностика",
    "Котлонадзор",
    "ЦЭПБ",
    "НТЦ «Промышленная безопасность»",
    "НПФ «Русская лаборатория»",
    "Энергодиагностика",
)


def inn(rng: random.Random) -> str:
    """A ten-digit INN with valid control digit (the tax service's weights)."""
    digits = [rng.randrange(10) for _ in range(9)]
    digits[0] = rng.randrange(1, 10)
    control = sum(w * d for w, d in zip((2, 4, 10, 3, 5, 9, 4, 6, 8), digits, strict=True)) % 11 % 10
    return "".join(map(str, digits)) + str(control)


def spellings(form: str, core: str, place: str = "") -> list[str]:
    """The ways offices write one organization."""
    where = f" г. {place}" if place else ""
    bracket = f" (г. {place})" if place else ""
    out = [
        f"{form} «{core}»{where}",
        f'{form} "{core}{where}"',
        f"{LONG[form]} «{core}»{bracket}",
        f"«{core}»{where} {form}",
        f"{form} «{core.upper()}»{where.upper()}",
        f"{form.translate(LOOKALIKE)} «{core}»{where}",
        f"{form}  “{core}”{where}",
    ]
    if place:
        out.append(f"{form} «{core}» г.{place}")
    return out


class Writer:
    def __init__(self) -> None:
        self.rows: list[dict[str, str]] = []

    def add(
        self, role: str, truth: str, name: str, *, licence: str = "", inn: str = "", times: int = 1
    ) -> None:
        for _ in range(times):
            reg = f"{len(self.rows) + 1:06d}"
            self.rows.append(
                {"role": role, "reg": reg, "name": name, "licence": licence, "inn": inn, "truth": truth}
            )


def applicants(rng: random.Random, w: Writer) -> None:
    # same-named municipal utilities of different cities, each with its INN on some rows
    for core in UTILITIES:
        for city in CITIES:
            form = rng.choice(("МУП", "ГУП"))
            truth, tax = f"A:{core}:{city}", inn(rng)
            for i, name in enumerate(spellings(form, core, city)):
                w.add("applicant", truth, name, inn=tax if i % 2 == 0 else "", times=rng.randint(1, 3))
            w.add("applicant", truth, f"{core} г. {city}", times=2)  # no legal form, no INN
    # what the rules cannot place and keep apart (a typo, a case ending, a name without its form)
    w.add("applicant", "A:Водоканал:Пермь", "МУП «Вадоканал» г. Пермь")
    w.add("applicant", "A:Теплосеть:Тамбов", "«Теплосеть» г. Тамбова")
    # one utility without a city at all: its own organization
    w.add("applicant", "A:Водоканал:-", "МУП «Водоканал»", inn=(t := inn(rng)), times=3)
    w.add("applicant", "A:Водоканал:-", "Муниципальное унитарное предприятие «Водоканал»", inn=t)
    # legal-form twins: one name, two forms, two INNs
    for core in TWINS:
        for form in ("АО", "ООО"):
            truth, tax = f"A:{core}:{form}", inn(rng)
            for i, name in enumerate(spellings(form, core if form == "АО" else core.upper())):
                w.add("applicant", truth, name, inn=tax if i % 3 != 1 else "", times=rng.randint(1, 2))
    w.add("applicant", "A:Агроэнерго:АО", "«Агроэнерго»")
    # numbered units: different organizations
    for unit, numbers in (("ДРСУ", (1, 2, 3, 12)), ("Шахта", (7, 8, 9)), ("ПМК", (88, 89))):
        for n in numbers:
            truth, tax = f"A:{unit}:{n}", inn(rng)
            for i, name in enumerate(
                (f"АО «{unit} № {n}»", f"АО «{unit}-{n}»", f"Акционерное общество «{unit} №{n}»")
            ):
                w.add("applicant", truth, name, inn=tax if i != 1 else "", times=2)
    # a parent and its branches: one INN, separate organizations
    parent = inn(rng)
    w.add("applicant", "A:Россети", "ПАО «Россети Урал»", inn=parent, times=4)
    w.add("applicant", "A:Россети", "Публичное акционерное общество «Россети Урал»", inn=parent, times=2)
    for branch in ("Пермэнерго", "Свердловэнерго", "Челябэнерго"):
        truth = f"A:Россети:{branch}"
        w.add("applicant", truth, f"Филиал ПАО «Россети Урал» — «{branch}»", inn=parent, times=3)
        w.add("applicant", truth, f"филиал ПАО «Россети Урал» - «{branch.upper()}»", inn=parent, times=1)
    # one organization with and without INN, the INN also inside the name
    for core in ("Северсталь", "Татнефть", "Сибур Холдинг"):
        truth, tax = f"A:{core}", inn(rng)
        for i, name in enumerate(spellings("ПАО", core)):
            w.add("applicant", truth, name, inn=tax if i == 0 else "", times=rng.randint(1, 3))
        w.add("applicant", truth, f"ПАО «{core}» (ИНН {tax})", times=2)
        w.add("applicant", truth, f"ПАО «{core}», ИНН {tax}", times=1)
    # common words shared by unrelated organizations
    for core in COMMON:
        truth, tax = f"A:{core}", inn(rng)
        for i, name in enumerate(spellings("ООО", core)[:5]):
            w.add("applicant", truth, name, inn=tax if i % 2 == 0 else "", times=rng.randint(1, 2))


def experts(rng: random.Random, w: Writer) -> None:
    licences = iter(rng.sample(range(1000, 99999), 100))
    for core in EXPERTS:
        truth, tax, licence = f"E:{core}", inn(rng), f"ДЭ-00-{next(licences):06d}"
        form = "ЗАО" if core == "Энергодиагностика" else "ООО"
        for i, name in enumerate(spellings(form, core)):
            lic = licence if i % 3 != 2 else ""
            w.add("expert", truth, name, licence=lic, inn=tax if i % 2 else "", times=rng.randint(1, 3))
        w.add("expert", truth, f'{form} "{core}" (ИНН {tax})', times=1)
    # the rename: ЗАО «Энергодиагностика» became АО, the licence was re-issued, the INN stayed
    tax = next(r["inn"] for r in w.rows if r["truth"] == "E:Энергодиагностика" and r["inn"])
    licence = f"ДЭ-00-{next(licences):06d}"
    for name in spellings("АО", "Энергодиагностика")[:4]:
        w.add("expert", "E:Энергодиагностика:АО", name, licence=licence, inn=tax, times=2)
    # legal-form twin among experts: another licence, another INN
    for name in spellings("АО", "Промэксперт")[:4]:
        w.add("expert", "E:Промэксперт:АО", name, licence=f"ДЭ-00-{99998:06d}", times=2)
    # same name in two cities, each with its licence
    for city in ("Пермь", "Казань", "Самара"):
        truth, licence = f"E:Экспертиза:{city}", f"ДЭ-00-{next(licences):06d}"
        for i, name in enumerate(spellings("ООО", "Экспертиза", city)[:5]):
            w.add("expert", truth, name, licence=licence if i < 3 else "", times=2)


def main() -> None:
    rng = random.Random(SEED)
    w = Writer()
    applicants(rng, w)
    experts(rng, w)
    with OUT.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=["role", "reg", "name", "licence", "inn", "truth"])
        writer.writeheader()
        writer.writerows(w.rows)
    print(f"{OUT.name}: {len(w.rows)} rows, {len({r['truth'] for r in w.rows})} organizations")


if __name__ == "__main__":
    main()
