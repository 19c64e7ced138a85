"""One messy register table, published in every format an office uses, must give the same records.

Each fixture is a small office file written by the demo writers (title rows, a two-row merged header,
a column-number row, a section row, a vertically merged applicant cell, a crammed expert organization
cell, Latin look-alike letters in a number, mixed date forms, a reject, a total row, a blank row and a
signature footer), built through the real pipeline into DuckDB.
"""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import duckdb
import pytest

from openepb.build.pipeline import build_database
from openepb.demo.writers import (
    Merge,
    Table,
    write_csv,
    write_doc,
    write_docx,
    write_html,
    write_pdf,
    write_xls,
    write_xlsx,
)

HAS_SOFFICE = bool(shutil.which("soffice") or shutil.which("libreoffice"))
needs_soffice = pytest.mark.skipif(
    not HAS_SOFFICE, reason="LibreOffice is not installed (scripts/setup installs it)"
)

APPLICANT = "ПАО «Воронежсинтезкаучук»"
APPLICANT_ADDRESS = "394014, г. Воронеж, Ленинский пр-т, д. 2"
EXPERT_CELL = (
    "ООО «Промэксперт», 394000, г. Воронеж, ул. Мира, д. 5, директор Сидоров С.С., "
    "тел. (473) 200-00-00, e-mail: Info@PromExpert.ru"
)

TITLE = [
    ["Сведения из реестра заключений экспертизы промышленной безопасности"] + [None] * 8,
    ["Верхне-Донское управление Ростехнадзора"] + [None] * 8,
]
HEADER = [
    [
        "№ п/п",
        "Заявитель",
        None,
        "Объект\nэкспертизы",
        "Наименование объекта экспертизы",
        "Экспертная организация",
        "Номер лицензии",
        "Регистрационный номер заключения",
        "Дата внесения в реестр",
    ],
    [None, "Наименование", "Адрес", None, None, None, None, None, None],
]
COLNUM = [["1", "2", "3", "4", "5", "6", "7", "8", "9"]]
SECTION = [["2017 год"] + [None] * 8]
DATA = [
    [
        1,
        APPLICANT,
        APPLICANT_ADDRESS,
        "Технические устройства",
        "Кран мостовой\nрег. № 123",
        EXPERT_CELL,
        "№ ДЭ-00-012345 от 04.10.2007",
        "03-TY-00001-2017",
        date(2017, 3, 1),
    ],
    [
        2,
        None,
        None,
        "здания и сооружения",
        "Здание цеха № 5",
        EXPERT_CELL,
        "ДЭ-00-012345",
        "№ 03-зс-00002-2017",
        "02/03/17",
    ],
    [
        3,
        "ООО «Ромашка»",
        "г. Липецк",
        "Технические устройства",
        "Котёл",
        EXPERT_CELL,
        "ДЭ-00-012345",
        "б/н",
        "03.03.2017",
    ],
]
TAIL = [
    ["Итого: 3"] + [None] * 8,
    [None] * 9,
    ["Начальник отдела ____________ И.И. Иванов"] + [None] * 8,
]

MERGES = [
    Merge(0, 0, 1, 9),
    Merge(1, 0, 1, 9),
    Merge(2, 0, 2, 1),  # № п/п over both header rows
    Merge(2, 1, 1, 2),  # «Заявитель» over name and address
    *(Merge(2, c, 2, 1) for c in range(3, 9)),
    Merge(5, 0, 1, 9),  # section row
    Merge(6, 1, 2, 1),  # the same applicant for two consecutive conclusions
    Merge(6, 2, 2, 1),
]

EXPECTED_COMMON = {
    "object_name": None,
    "applicant_name": APPLICANT,
    "applicant_address": APPLICANT_ADDRESS,
    "expert_org_name": "ООО «Промэксперт»",
    "expert_org_address": "394000, г. Воронеж, ул. Мира, д. 5",
    "expert_org_head": "директор Сидоров С.С.",
    "expert_org_phone": "(473) 200-00-00",
    "expert_org_email": "info@promexpert.ru",
    "licence_number": "ДЭ-00-012345",
    "expert_certificate": None,
    "office_code": "vdon",
    "year": 2017,
}
EXPECTED = [
    {
        **EXPECTED_COMMON,
        "reg_number": "03-ТУ-00001-2017",
        "date_registered": date(2017, 3, 1),
        "object_type": "ТУ",
        "object_name": "Кран мостовой рег. № 123",
    },
    {
        **EXPECTED_COMMON,
        "reg_number": "03-ЗС-00002-2017",
        "date_registered": date(2017, 3, 2),
        "object_type": "ЗС",
        "object_name": "Здание цеха № 5",
    },
]
COLUMNS = list(EXPECTED[0])


def _table() -> Table:
    rows = [list(r) for r in TITLE + HEADER + COLNUM + SECTION + DATA + TAIL]
    return Table(rows=rows, merges=list(MERGES), name="2017", header_rows=(2, 2))


def _flat_rows() -> list[list[object]]:
    """The same register as a CSV office publishes it: one header row, no merges."""
    header = [
        "№ п/п",
        "Наименование заявителя",
        "Адрес заявителя",
        "Объект экспертизы",
        "Наименование объекта экспертизы",
        "Экспертная организация",
        "Номер лицензии",
        "Регистрационный номер заключения",
        "Дата внесения в реестр",
    ]
    data = [list(r) for r in DATA]
    data[1][1:3] = [APPLICANT, APPLICANT_ADDRESS]
    data[0][8] = "01.03.2017"
    return [TITLE[0][:1], header, *COLNUM, SECTION[0][:1], *data, *(r[:1] for r in TAIL)]


def _build(tmp_path: Path, write) -> tuple[list[dict], dict]:
    office = tmp_path / "mirror" / "vdon" / "upload"
    office.mkdir(parents=True)
    write(office)
    db_path = tmp_path / "db.duckdb"
    build_database(tmp_path / "mirror", db_path, quiet=True, workers=1)
    con = duckdb.connect(str(db_path), read_only=True)
    cur = con.execute(f"SELECT {', '.join(COLUMNS)} FROM records ORDER BY reg_number")
    records = [dict(zip(COLUMNS, row, strict=True)) for row in cur.fetchall()]
    files = con.execute("SELECT status, records, duplicates, rejects, rows_in FROM files").fetchall()
    rejects = con.execute("SELECT reason FROM rejects").fetchall()
    con.close()
    return records, {"files": files, "rejects": rejects}


def _assert_register(records: list[dict], facts: dict) -> None:
    assert records == sorted(EXPECTED, key=lambda r: r["reg_number"])
    assert facts["rejects"] == [("reg_number_invalid",)]
    [(status, n_records, n_duplicates, n_rejects, rows_in)] = facts["files"]
    assert (status, n_records, n_duplicates, n_rejects) == ("ok", 2, 0, 1)
    assert rows_in >= len(DATA)


def test_xlsx(tmp_path):
    records, facts = _build(tmp_path, lambda d: write_xlsx(d / "reestr_2017.xlsx", [_table()]))
    _assert_register(records, facts)
    assert facts["files"][0][4] == len(TITLE + HEADER + COLNUM + SECTION + DATA + TAIL)


@needs_soffice
def test_real_biff_xls(tmp_path):
    records, facts = _build(tmp_path, lambda d: write_xls([(d / "reestr_2017.xls", [_table()])]))
    _assert_register(records, facts)


def test_html_table_saved_as_xls(tmp_path):
    records, facts = _build(
        tmp_path,
        lambda d: write_html(d / "reestr.xls", [_table()], encoding="windows-1251", excel_flavour=True),
    )
    _assert_register(records, facts)


def test_html_table_on_the_office_page(tmp_path):
    layout = '<p><a href="upload/old.xlsx">Реестр за 2016 год</a></p>'
    records, facts = _build(
        tmp_path,
        lambda d: write_html(
            d / "index.html", [_table()], encoding="windows-1251", title="Реестр", before=layout
        ),
    )
    _assert_register(records, facts)


def test_docx(tmp_path):
    records, facts = _build(
        tmp_path,
        lambda d: write_docx(
            d / "reestr.docx", [_table()], before=["Реестр заключений"], after=["Исполнитель: Петров"]
        ),
    )
    _assert_register(records, facts)


@needs_soffice
def test_word97_doc(tmp_path):
    records, facts = _build(tmp_path, lambda d: write_doc([(d / "reestr.doc", [_table()], {})]))
    _assert_register(records, facts)


def test_text_pdf(tmp_path):
    records, facts = _build(tmp_path, lambda d: write_pdf(d / "reestr.pdf", _table(), title="Реестр"))
    _assert_register(records, facts)


def test_csv_windows_1251_semicolon(tmp_path):
    records, facts = _build(tmp_path, lambda d: write_csv(d / "reestr.csv", _flat_rows()))
    _assert_register(records, facts)
