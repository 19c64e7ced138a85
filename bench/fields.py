"""Micro-benchmark of the canonical field parsers (run by hand, not in CI).

    .venv/bin/python bench/fields.py            # 100k values per function
    .venv/bin/python bench/fields.py --n 300000

Values are generated like register cells: mostly canonical, a share of messy spellings, and the
repetition a register has (few distinct dates and organizations, many rows each). Cached functions
are also timed with their cache bypassed, to show the cost of a cell seen for the first time.
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Callable

from openepb.normalize import parsers as fields

LETTERS = ["ТУ", "ЗС", "ТП", "ОБ", "ДК", "ДЛ"]
REG_SPELLINGS = [
    "{r}-{l}-{n}-{y}",
    "{r}-{l}-{n}-{y}",
    "{r}-{l}-{n}-{y}",
    "№ {r}-{l}-{n}-{y}",
    "{r} – {l} – {n} – {y}",
    "{r}-{l}-{n}-{y}г.",
    "{r}-{l}-{n}-{y} (повторно)",
    "{r}_{l}_{n}_{y}",
    "б/н",
]
DATE_SPELLINGS = [
    "{d:%d.%m.%Y}",
    "{d:%d.%m.%Y}",
    "{d:%Y-%m-%d}",
    "{d:%d.%m.%y}",
    "{d.day} декабря {d.year} г.",
    "{s}",
]
ORG_TEMPLATES = [
    "ООО «{n}», {p}, г. Москва, ул. Ленина, д. {k}, Генеральный директор Петров П.П., "
    "тел. (495) 123-45-{k:02d}, факс (495) 123-45-68, e-mail: info{k}@example.ru",
    'Общество с ограниченной ответственностью "{n}"\n{p}, г. Пермь, ул. Мира, {k}\n'
    "директор Иванов Иван Иванович\nтел./факс: 8 (342) 212-12-{k:02d}",
    "«{n}» ООО; ИНН 77{p}{k:02d}; {p}, Московская обл., г. Химки, ул. Мира, {k}; тел. 8-495-1234567",
    'АО "{n}", {p}, Омская область, г. Омск, пр. Губкина, {k}',
    "ООО «НПФ «{n}» (лицензия № ДЭ-00-0{p}), генеральный директор Сидоров С.С.",
]


def reg_numbers(rng: random.Random, n: int) -> list[str]:
    return [
        rng.choice(REG_SPELLINGS).format(
            r=f"{rng.randint(1, 99):02d}",
            l=rng.choice(LETTERS),
            n=f"{rng.randint(0, 99999):05d}",
            y=rng.randint(2014, 2024),
        )
        for _ in range(n)
    ]


def dates(rng: random.Random, n: int) -> list[str]:
    import datetime as dt

    start = dt.date(2014, 1, 1)
    days = [start + dt.timedelta(days=rng.randint(0, 3650)) for _ in range(2500)]
    out = []
    for _ in range(n):
        d = rng.choice(days)
        out.append(rng.choice(DATE_SPELLINGS).format(d=d, s=(d - dt.date(1899, 12, 30)).days))
    return out


def organizations(rng: random.Random, n: int, distinct: int = 3000) -> list[str]:
    pool = [
        rng.choice(ORG_TEMPLATES).format(n=f"Ромашка-{i}", p=rng.randint(100000, 999999), k=i % 100)
        for i in range(distinct)
    ]
    return [rng.choice(pool) for _ in range(n)]


def texts(rng: random.Random, n: int) -> list[str]:
    words = ["Кран", "мостовой", "КМ-10", "цех\u00a0№ 3", "поз.\n1/4", "котел", "ДЕ-25-14", "  "]
    return [" ".join(rng.choices(words, k=rng.randint(2, 8))) for _ in range(n)]


def licences(rng: random.Random, n: int) -> list[str]:
    forms = ["ДЭ-00-{k:06d}", "№ ДЭ-00-{k:06d} от 04.10.2007", "DE-00-{k:06d}", "бессрочно"]
    return [rng.choice(forms).format(k=rng.randint(0, 20000)) for _ in range(n)]


def certificates(rng: random.Random, n: int) -> list[str]:
    forms = [
        "АЭ.16.{a:05d}.003",
        "Иванов И.И. (АЭ.16.{a:05d}.003), Петров П.П. (AE.15.{b:05d}.001)",
        "Иванов И.И.",
    ]
    return [rng.choice(forms).format(a=rng.randint(0, 99999), b=rng.randint(0, 99999)) for _ in range(n)]


def inns(rng: random.Random, n: int) -> list[str]:
    forms = ["{i}", "ИНН {i}", "ИНН/КПП {i}/770101001", ""]
    return [rng.choice(forms).format(i=rng.randint(10**9, 10**10 - 1)) for _ in range(n)]


def object_types(rng: random.Random, n: int) -> list[str]:
    forms = ["Технические устройства", "здания и сооружения", "Техническое перевооружение", "ТУ", "прочее"]
    return [rng.choice(forms) for _ in range(n)]


def calls_per_second(func: Callable[[str], object], values: list[str]) -> float:
    started = time.perf_counter()
    for value in values:
        func(value)
    return len(values) / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=100_000, help="values per function")
    parser.add_argument("--seed", type=int, default=2018)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    cases: list[tuple[str, Callable[[str], object], list[str]]] = [
        ("clean_text", fields.clean_text, texts(rng, args.n)),
        ("parse_reg_number", fields.parse_reg_number, reg_numbers(rng, args.n)),
        ("parse_date (cached)", fields.parse_date, dates(rng, args.n)),
        ("parse_date (uncached)", fields.parse_date.__wrapped__, dates(rng, args.n)),
        ("parse_licence", fields.parse_licence, licences(rng, args.n)),
        ("parse_certificates", fields.parse_certificates, certificates(rng, args.n)),
        ("parse_inn", fields.parse_inn, inns(rng, args.n)),
        ("object_type_from_text (cached)", fields.object_type_from_text, object_types(rng, args.n)),
        (
            "object_type_from_text (uncached)",
            fields.object_type_from_text.__wrapped__,
            object_types(rng, args.n),
        ),
        ("split_contact (cached, 3000 orgs)", fields.split_contact, organizations(rng, args.n)),
        ("split_contact (uncached)", fields.split_contact.__wrapped__, organizations(rng, args.n)),
    ]
    print(f"{'function':<36} {'calls/s':>12}")
    for name, func, values in cases:
        print(f"{name:<36} {calls_per_second(func, values):>12,.0f}")


if __name__ == "__main__":
    main()
