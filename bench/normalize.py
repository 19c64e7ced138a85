"""Normalizer throughput on synthetic rows (run by hand): ``python bench/normalize.py [ROWS]``.

The rows look like a typical 12-column office sheet: a title, a header, section rows, and data rows
whose organizations repeat (as they do in real registers), so the parser caches work as in practice.
They are measured twice: as one sheet, and as pages of 50 rows each repeating the header (a PDF), which
adds the cost of finding the header and choosing the columns per table.
"""

from __future__ import annotations

import random
import sys
import time
from collections import Counter

from openepb.normalize.rows import normalize_rows
from openepb.read import RawRow

HEADER = (
    "№ п/п",
    "Регистрационный номер заключения",
    "Дата внесения в реестр",
    "Объект экспертизы",
    "Наименование заключения экспертизы промышленной безопасности",
    "Наименование и адрес заявителя, ФИО руководителя, телефон",
    "ИНН заявителя",
    "Экспертная организация",
    "№ лицензии",
    "Эксперт (ФИО, № удостоверения)",
    "Дата исключения",
    "Основание исключения",
)
TYPES = ("ТУ", "ЗС", "ТП", "ОБ")
#: Rows per page of the paged variant: each page is a table repeating the header, as PDFs are read.
PAGE_ROWS = 50
TYPE_NAMES = {"ТУ": "Технические устройства", "ЗС": "Здания и сооружения", "ТП": "Техническое перевооружение"}


def synthetic_rows(count: int, seed: int = 2018) -> list[RawRow]:
    """A title, a header and `count` rows (about one section row per thousand)."""
    rnd = random.Random(seed)
    applicants = [
        (
            f"ООО «Завод {i}»\nг. Воронеж, ул. Мира, д. {i}\nДиректор Петров П.П.\nтел. 8 (473) 200-{i:04d}",
            f"36{i:08d}",
        )
        for i in range(3000)
    ]
    certificates = [f"Иванов И.И. АЭ.16.{i:05d}.003" for i in range(5000)]
    experts = [(f"ООО «Эксперт {i}»\nлицензия ДЭ-00-{i:06d}", f"ДЭ-00-{i:06d}") for i in range(300)]
    rows = [RawRow("Лист1", 1, ("Реестр заключений ЭПБ",) * 12), RawRow("Лист1", 2, HEADER)]
    for n in range(count):
        row_number = n + 3
        if n % 1000 == 0:
            rows.append(RawRow("Лист1", row_number, (f"{2014 + n % 5} год",) * 12))
            continue
        kind = rnd.choice(TYPES)
        applicant, inn = rnd.choice(applicants)
        expert, licence = rnd.choice(experts)
        day, month = rnd.randint(1, 28), rnd.randint(1, 12)
        rows.append(
            RawRow(
                "Лист1",
                row_number,
                (
                    str(n + 1),
                    f"58-{kind}-{n % 100000:05d}-2017",
                    f"{day:02d}.{month:02d}.2017",
                    TYPE_NAMES.get(kind, ""),
                    f"Заключение ЭПБ на котел ДКВР-{rnd.randint(1, 99)} рег. № {rnd.randint(1, 99999)}",
                    applicant,
                    inn,
                    expert,
                    licence,
                    rnd.choice(certificates),
                    "",
                    "",
                ),
            )
        )
    return rows


def as_pages(rows: list[RawRow], size: int = PAGE_ROWS) -> list[RawRow]:
    """The same data as pages of `size` rows, each a table of its own opening with the header (a PDF)."""
    data = rows[2:]
    pages = []
    for n, start in enumerate(range(0, len(data), size), start=1):
        table = f"page {n}"
        pages.append(RawRow(table, 1, HEADER))
        pages.extend(RawRow(table, i + 2, r.cells) for i, r in enumerate(data[start : start + size]))
    return pages


def measure(label: str, rows: list[RawRow]) -> None:
    started, cpu = time.perf_counter(), time.process_time()
    result = normalize_rows(rows, "bench.xlsx")
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    kinds = Counter(r.kind for r in result.rows)
    print(
        f"{label}: {len(rows)} rows in {elapsed:.2f} s: {len(rows) / elapsed:,.0f} rows/s"
        f" (CPU {cpu:.2f} s: {len(rows) / cpu:,.0f} rows/s)  {dict(kinds)}"
    )


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
    rows = synthetic_rows(count)
    measure("one sheet", rows)
    measure(f"pages of {PAGE_ROWS} rows", as_pages(rows))


if __name__ == "__main__":
    main()
