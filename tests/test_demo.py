"""The demo corpus generator: deterministic, every format and kind of mess present, truth consistent."""

from __future__ import annotations

import csv
import re
from collections import Counter
from datetime import date, datetime
from pathlib import Path

import olefile
import openpyxl
import pytest

from openepb.contract.fields import SOURCE_FIELDS
from openepb.demo import mess
from openepb.demo.entities import NEAR_HOMONYMS
from openepb.demo.generator import TRUTH_RECORD_COLUMNS, generate

SCALE = 0.05
CERTIFICATE_OFFICES = {"vdon", "enis", "zab", "zural", "pech"}
CANONICAL_REG = re.compile(r"^(\d{2})-([А-ЯЁ]{2})-(\d{5,6})-(\d{4})$")


def read_truth(truth_dir: Path, name: str) -> list[dict[str, str]]:
    with (truth_dir / f"{name}.csv").open(encoding="utf-8", newline="") as stream:
        return list(csv.DictReader(stream))


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory):
    return generate(tmp_path_factory.mktemp("demo-a"), scale=SCALE, seed=2018)


@pytest.fixture(scope="module")
def truth(built) -> dict[str, list[dict[str, str]]]:
    return {name: read_truth(built.truth_dir, name) for name in ("records", "rejects", "files")}


def ranks(records: list[dict[str, str]], year: str) -> dict[str, int]:
    counts = Counter(r["expert_org_key"] for r in records if r["year"] == year)
    return {key: 1 + sum(1 for other in counts.values() if other > count) for key, count in counts.items()}


def sheet_values(path: Path) -> list[list[object]]:
    book = openpyxl.load_workbook(path)
    return [list(row) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True)]


# --- determinism -------------------------------------------------------------------------------------


def test_same_seed_gives_the_same_truth_and_the_same_files(built, tmp_path):
    again = generate(tmp_path / "demo-b", scale=SCALE, seed=2018)
    for name in ("records.csv", "rejects.csv", "files.csv"):
        assert (again.truth_dir / name).read_bytes() == (built.truth_dir / name).read_bytes(), name
    first = sorted(p.relative_to(built.corpus_dir) for p in built.corpus_dir.rglob("*") if p.is_file())
    second = sorted(p.relative_to(again.corpus_dir) for p in again.corpus_dir.rglob("*") if p.is_file())
    assert first == second
    for rel in first:
        if rel.suffix in (".csv", ".html") or rel.parts[0] == "szap":
            assert (built.corpus_dir / rel).read_bytes() == (again.corpus_dir / rel).read_bytes(), rel
        elif rel.suffix == ".xlsx" and rel.parts[0] in ("mos", "ural") and "old" not in rel.parts:
            assert sheet_values(built.corpus_dir / rel) == sheet_values(again.corpus_dir / rel), rel


def test_another_seed_gives_another_corpus(built, tmp_path):
    other = generate(tmp_path / "demo-c", scale=0.01, seed=7)
    assert (other.truth_dir / "records.csv").read_bytes() != (built.truth_dir / "records.csv").read_bytes()


# --- formats and file statuses ----------------------------------------------------------------------------


def real_format(path: Path) -> str:
    """Format by content, independent of the pipeline's detector."""
    head = path.read_bytes()[:4096]
    if head.startswith(b"%PDF"):
        return "pdf"
    if head.startswith(b"PK"):
        return "docx" if b"word/" in path.read_bytes() else "xlsx"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        streams = {"/".join(s).lower() for s in olefile.OleFileIO(str(path)).listdir()}
        if "encryptioninfo" in streams:
            return "xlsx"  # a password-protected workbook is an OLE2 container
        return "doc" if "worddocument" in streams else "xls"
    if b"<table" in path.read_bytes().lower():
        return "html"
    return "csv"


def test_every_format_is_present_with_real_magic_bytes(built, truth):
    seen = set()
    for row in truth["files"]:
        if row["status"] == "file_empty":
            assert (built.corpus_dir / row["source_file"]).stat().st_size == 0
            continue
        if row["status"] == "file_corrupt":
            assert (built.corpus_dir / row["source_file"]).read_bytes()[:2] == b"PK"
            continue
        assert real_format(built.corpus_dir / row["source_file"]) == row["format"], row["source_file"]
        seen.add(row["format"])
    assert seen == {"xlsx", "xls", "html", "docx", "doc", "pdf", "csv"}


def test_every_file_status_is_planted(truth):
    statuses = Counter(row["status"] for row in truth["files"])
    assert set(statuses) == {
        "ok",
        "page",
        "file_corrupt",
        "file_encrypted",
        "file_empty",
        "not_a_register",
        "same_content",
    }


def test_an_html_table_with_an_xls_name_and_an_office_page_register(built, truth):
    formats = {row["source_file"]: row["format"] for row in truth["files"]}
    assert formats["szap/upload/medialibrary/epb_2016.xls"] == "html"
    page = (built.corpus_dir / "srpov/index.html").read_bytes()
    text = page.decode("cp1251")
    assert 'charset="windows-1251"' in text and "rowspan=" in text and "colspan=" in text and "<br>" in text
    assert {row["status"] for row in truth["files"] if row["source_file"] == "srpov/index.html"} == {"ok"}


def test_office_pages_link_their_files(built, truth):
    page = (built.corpus_dir / "pech/index.html").read_text(encoding="utf-8")
    assert 'href="upload/%D0%A0%D0%B5%D0%B5%D1%81%D1%82%D1%80%20%D0%97%D0%AD%D0%9F%D0%91%202017.docx"' in page
    offices = {row["office_code"] for row in truth["files"]}
    assert len(offices) >= 10
    assert all((built.corpus_dir / code / "index.html").is_file() for code in offices)


def test_the_csv_is_windows_1251_with_semicolons(built):
    raw = (built.corpus_dir / "cntr/files/epb_2017.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    text = raw.decode("cp1251")
    assert text.splitlines()[0].startswith("Регистрационный номер заключения;Дата регистрации;")
    assert re.search(r";\d\d/\d\d/17;", text), "dates as 01/12/18 (Центральное)"


# --- truth consistency --------------------------------------------------------------------------------


def test_truth_counts_add_up(truth):
    files = truth["files"]
    assert sum(int(row["records"]) for row in files) == len(truth["records"])
    assert sum(int(row["rejects"]) for row in files) == len(truth["rejects"])
    assert sum(int(row["duplicates"]) for row in files) > 0
    assert len({r["reg_number"] for r in truth["records"]}) == len(truth["records"])
    ok = {row["source_file"] for row in files if row["status"] == "ok"}
    assert {r["source_file"] for r in truth["records"]} <= ok
    not_read = [row for row in files if row["status"] not in ("ok",)]
    assert all(row["records"] == row["duplicates"] == row["rejects"] == "0" for row in not_read)


def test_truth_records_are_canonical(truth):
    assert list(truth["records"][0]) == list(TRUTH_RECORD_COLUMNS)
    for record in truth["records"]:
        match = CANONICAL_REG.match(record["reg_number"])
        assert match, record["reg_number"]
        assert match.group(2) == record["object_type"]
        for name in SOURCE_FIELDS:
            assert record[name] == " ".join(record[name].split()), (name, record[name])
        if record["date_registered"]:
            assert record["year"] == record["date_registered"][:4]
            date.fromisoformat(record["date_registered"])
        else:
            assert record["year"] == match.group(4)
        if record["licence_number"]:
            assert re.fullmatch(r"ДЭ-00-\d{6}", record["licence_number"])


def test_republished_rows_are_duplicates_of_the_first_file_in_order(truth):
    files = {row["source_file"]: row for row in truth["files"]}
    half, full = "mos/upload/iblock/3f2/reestr_2017-1pol.xlsx", "mos/upload/iblock/3f2/reestr_2017.xlsx"
    assert int(files[half]["records"]) > 0 and int(files[full]["duplicates"]) >= int(files[half]["records"])
    workbook = files["vdon/upload/reestr_epb.xlsx"]
    assert int(workbook["duplicates"]) >= int(workbook["records"]), "the all-years sheet repeats every row"


def test_rejects_name_their_rows(built, truth):
    reasons = Counter(row["reason"] for row in truth["rejects"])
    assert set(reasons) == {"reg_number_missing", "reg_number_invalid"}
    cells = {row["reg_cell"] for row in truth["rejects"]}
    assert "б/н" in cells and any(re.fullmatch(r"\d\d-ТУ-0123-\d{4}", cell) for cell in cells)
    books: dict[Path, openpyxl.Workbook] = {}
    for row in truth["rejects"]:
        path = built.corpus_dir / row["source_file"]
        if path.suffix == ".xlsx" and row["reg_cell"]:
            if path not in books:
                books[path] = openpyxl.load_workbook(path, read_only=True)
            sheet = books[path][row["table"]]
            values = [
                cell.value for cell in next(sheet.iter_rows(min_row=int(row["row"]), max_row=int(row["row"])))
            ]
            assert row["reg_cell"] in values, row
        if row["source_file"].endswith((".pdf", ".doc")):
            assert row["row"] == ""


def test_year_mismatch_and_invalid_dates_are_planted(truth):
    records = truth["records"]
    mismatch = [r for r in records if r["date_registered"] and r["reg_number"][-4:] != r["year"]]
    assert mismatch and all(r["date_registered"][5:7] == "01" for r in mismatch)
    assert any(not r["date_registered"] for r in records)


# --- entities ------------------------------------------------------------------------------------------


def test_paper_rankings_are_reproduced(truth):
    records = truth["records"]
    assert [ranks(records, year)["E-RUSLAB"] for year in ("2015", "2016", "2017")] == [21, 18, 1]
    assert [ranks(records, year)["E-GAZMASH"] for year in ("2015", "2016", "2017")] == [25, 1, 2]


def test_safety_case_leaders(truth):
    def leader(year: str) -> str:
        counts = Counter(
            r["expert_org_key"] for r in truth["records"] if r["year"] == year and r["object_type"] == "ОБ"
        )
        (first, top), (_, second) = [*counts.most_common(2), ("", 0)][:2]
        assert top > second
        return first

    assert [leader(year) for year in ("2015", "2016", "2017")] == ["E-NTCPB", "E-NTCPB", "E-TEHINNOV"]


def test_object_types_have_realistic_shares(truth):
    shares = Counter(r["object_type"] for r in truth["records"])
    assert shares.most_common(1)[0][0] == "ТУ"
    assert set(shares) == {"ТУ", "ЗС", "ТП", "ДК", "ДЛ", "ОБ", "ДП", "ИД"}


def test_certificates_only_where_the_paper_says(truth):
    offices = {r["office_code"] for r in truth["records"] if r["expert_certificate"]}
    assert offices == CERTIFICATE_OFFICES


def test_near_homonyms_and_the_script_name(truth):
    licences: dict[str, set[str]] = {}
    for r in truth["records"]:
        if r["licence_number"]:
            licences.setdefault(r["expert_org_key"], set()).add(r["licence_number"])
    for left, right in NEAR_HOMONYMS:
        assert licences[left] and licences[right] and licences[left] != licences[right]
    names = {r["expert_org_name"] for r in truth["records"] if r["expert_org_key"] == "E-SCRIPT"}
    assert any("<script>alert(1)</script>" in name for name in names)
    assert len({r["expert_org_name"] for r in truth["records"] if r["expert_org_key"] == "E-RUSLAB"}) >= 4


def test_crammed_cells_are_split_in_truth(truth):
    ural = [r for r in truth["records"] if r["office_code"] == "ural"]
    assert any(r["applicant_email"] and r["applicant_head"] for r in ural)
    assert any(r["applicant_fax"] and r["applicant_fax"] == r["applicant_phone"] for r in ural)
    sural = [r for r in truth["records"] if r["office_code"] == "sural"]
    assert all(r["expert_org_name"] and r["expert_org_address"] and r["expert_org_phone"] for r in sural)


# --- layout and value mess in the files ---------------------------------------------------------------------


def test_workbook_mess(built):
    mos = openpyxl.load_workbook(built.corpus_dir / "mos/upload/iblock/3f2/reestr_2016.xlsx").active
    merges = [m for m in mos.merged_cells.ranges]
    assert any(m.min_row != m.max_row and m.min_col == m.max_col == 4 and m.min_row > 7 for m in merges)
    assert any(m.min_row == 5 and m.max_col > m.min_col for m in merges), "two-row header, parent merged"
    assert [mos.cell(7, c).value for c in range(1, 9)] == list(range(1, 9)), "column-number row"
    assert mos.cell(1, 1).value.startswith("Сведения из реестра")
    ural = sheet_values(built.corpus_dir / "ural/upload/iblock/a1c/Сведения_ЭПБ_2017.xlsx")
    dates = [row[2] for row in ural[1:] if row[1]]
    kinds = {type(value).__name__ for value in dates}
    assert {"datetime", "int", "str"} <= kinds, "several kinds of date in one column"
    assert all(41000 < value < 44000 for value in dates if isinstance(value, int))
    assert any(isinstance(value, datetime) for value in dates)
    regs = [str(row[1]) for row in ural[1:] if row[1]]
    assert any(re.search(r"[A-Z]", reg[3:5]) for reg in regs), "a Latin look-alike in a number"
    workbook = openpyxl.load_workbook(built.corpus_dir / "vdon/upload/reestr_epb.xlsx")
    assert workbook.sheetnames == ["2014", "2015", "2016", "2017", "2018", "Все годы"]
    today = openpyxl.load_workbook(built.corpus_dir / "vdon/upload/reestr_epb_2024.xlsx", read_only=True)
    assert today.sheetnames == ["Лист1"], "today the office publishes a file per year"


def test_sections_totals_footers_in_text_formats(built):
    page = (built.corpus_dir / "srpov/index.html").read_bytes().decode("cp1251")
    assert ">2017 год<" in page and ">2026 год<" in page
    assert re.search(
        r">\d{1,2} (января|февраля|марта|апреля|мая|июня|июля|августа|сентября|октября|ноября|декабря) 2018 г\.<",
        page,
    )
    from docx import Document

    zab = Document(str(built.corpus_dir / "zab/upload/sved_2017.docx"))
    texts = [cell.text for row in zab.tables[0].rows for cell in row.cells]
    assert "Январь 2017 г." in texts
    pech = Document(str(built.corpus_dir / "pech/upload/Реестр ЗЭПБ 2017.docx"))
    texts = [cell.text for row in pech.tables[0].rows for cell in row.cells]
    assert "I квартал 2017 г." in texts and "Начальник отдела" in texts
    assert any(re.fullmatch(r"\d\d\.\d\d\.2017г\.", text) for text in texts)


# --- value spellings round-trip through the contract's rules ---------------------------------------------------

LATIN_TO_CYRILLIC = str.maketrans("ABCEHKMOPTXY30", "АВСЕНКМОРТХУЗО")


def parse_reg(text: str) -> str | None:
    """The contract's registration number rules, written independently of the pipeline: a first
    group of one digit is padded, the serial has five or six digits."""
    text = re.sub(r"^\s*(№|No|N)\s*", "", text).upper()
    match = re.match(
        r"(\d{1,2})[\s\-‐‑‒–—―−_]+([A-ZА-ЯЁ0-9]{2})[\s\-‐‑‒–—―−_]+(\d+)[\s\-‐‑‒–—―−_]+(\d{4})", text
    )
    if not match or len(match.group(3)) not in (5, 6):
        return None
    first = match.group(1).zfill(2)
    return f"{first}-{match.group(2).translate(LATIN_TO_CYRILLIC)}-{match.group(3)}-{match.group(4)}"


@pytest.mark.parametrize("style", mess.REG_STYLES)
@pytest.mark.parametrize("code", ["ТУ", "ЗС", "ОБ", "ДП"])
@pytest.mark.parametrize(("prefix", "serial", "year"), [("07", 123, 2017), ("54", 845161, 2026)])
def test_every_registration_number_spelling_parses_back(style, code, prefix, serial, year):
    for variant in range(12):
        text = mess.reg_text(prefix, code, serial, year, style, variant)
        assert parse_reg(text) == mess.canonical_reg(prefix, code, serial, year), text


def test_a_one_digit_first_group_and_six_digit_serials_are_spelled_as_published():
    assert mess.canonical_reg("02", "ТУ", 600791, 2025) == "02-ТУ-600791-2025"
    assert mess.reg_text("02", "ТУ", 600791, 2025, "short_first") == "2-ТУ-600791-2025"
    assert mess.reg_text("54", "ТУ", 6283, 2023, "short_first") == "54-ТУ-06283-2023"


def test_invalid_registration_cells_do_not_parse():
    for cell, reason in mess.invalid_reg_cells("07", 2017):
        assert parse_reg(cell) is None
        assert reason == ("reg_number_missing" if cell == "" else "reg_number_invalid")


@pytest.mark.parametrize("style", [*mess.DATE_TEXT_STYLES])
def test_date_spellings(style):
    text = mess.date_cell(date(2018, 12, 1), style)
    expected = {
        "dmy": "01.12.2018",
        "dmy2": "01.12.18",
        "slash": "01/12/2018",
        "slash2": "01/12/18",
        "iso": "2018-12-01",
        "long": "1 декабря 2018 г.",
        "dmy_g": "01.12.2018г.",
        "dmy_g_space": "01.12.2018 г.",
    }
    assert text == expected[style]
    assert mess.date_cell(date(2018, 12, 1), "serial") == 43435


def test_contact_cells_hold_the_parts_they_claim():
    parts = {
        "name": "ООО «Ромашка»",
        "address": "394036, Воронежская обл., г. Воронеж, ул. Мира, д. 5",
        "head": "Генеральный директор Петров П.П.",
        "phone": "(4732) 55-12-34",
        "fax": "(4732) 55-12-34",
        "email": "info@romashka.ru",
        "inn": "3664000000",
    }
    cell, truth = mess.contact_cell(parts, "semicolon_inn")
    assert cell == (
        "ООО «Ромашка»; 394036, Воронежская обл., г. Воронеж, ул. Мира, д. 5; ИНН 3664000000; "
        "Генеральный директор Петров П.П.; тел./факс (4732) 55-12-34"
    )
    assert truth == {k: parts[k] for k in ("name", "address", "inn", "head", "phone", "fax")}
    assert mess.safe_contact_name("ЗАО", "НПФ «Русская лаборатория»") == "ЗАО НПФ «Русская лаборатория»"


# --- today's register (2022–2026) ------------------------------------------------------------------------

TODAY = ("2022", "2023", "2024", "2025", "2026")
ZSIB_2025 = "zsib/upload/medialibrary/reestr/Сведения из реестра ЗЭПБ 2025.xlsx"
ZSIB_HEADER = [
    "№ п/п",
    "Субъект РФ",
    "Регистрационный номер ЗЭПБ",
    "Дата регистрации ЗЭПБ",
    "Срок дальнейшей безопасной эксплуатации",
    "Вывод заключения",
    "Наименование ЗЭПБ",
    "Номер ОПО",
    "Наименование ОПО",
    "Класс опасности ОПО",
    "Наименование эксплуатирующей организации",
    "ИНН эксплуатирующей организации",
    "Наименование экспертной организации",
    "Номер лицензии экспертной организации",
]
VERDICTS = {"соответствует", "не соответствует", "не в полной мере"}


def region_codes() -> dict[str, str]:
    path = Path(__file__).resolve().parent.parent / "schema" / "regions.csv"
    with path.open(encoding="utf-8", newline="") as stream:
        return {row["name"]: row["code"] for row in csv.DictReader(stream)}


def week_of(day: date) -> tuple[date, date]:
    """The seven-day period from 1 January that holds a day (the last ends on 31 December)."""
    first = date.fromordinal(date(day.year, 1, 1).toordinal() + (day.timetuple().tm_yday - 1) // 7 * 7)
    return first, min(date.fromordinal(first.toordinal() + 6), date(day.year, 12, 31))


def test_weeks_run_from_1_january_and_the_last_ends_on_31_december():
    from openepb.demo.generator import WEEK_SHEET_NAMES, Conclusion, weeks

    def at(day: date) -> Conclusion:
        return Conclusion(0, 1, day.year, day, "ТУ", None, None, "", (), None, "")  # type: ignore[arg-type]

    days = [date(2025, 1, 1), date(2025, 1, 7), date(2025, 1, 8), date(2025, 12, 30), date(2025, 12, 31)]
    got = [(first, last, len(items)) for first, last, items in weeks([at(d) for d in days], 2025)]
    assert got == [
        (date(2025, 1, 1), date(2025, 1, 7), 2),
        (date(2025, 1, 8), date(2025, 1, 14), 1),
        (date(2025, 12, 24), date(2025, 12, 30), 1),
        (date(2025, 12, 31), date(2025, 12, 31), 1),
    ]
    first, last = date(2025, 12, 31), date(2025, 12, 31)
    assert WEEK_SHEET_NAMES["range"].format(first=first, last=last, week=53) == "31.12–31.12"
    assert WEEK_SHEET_NAMES["number"].format(first=first, last=last, week=53) == "Неделя 53"


@pytest.mark.parametrize(
    ("style", "text"),
    [("roman", "II"), ("digit", "2"), ("digit_class", "2 класс"), ("roman_class", "II класс опасности"),
     ("label", "класс опасности: II")],
)  # fmt: skip
def test_hazard_class_spellings(style, text):
    assert mess.hazard_text("II", style) == text


def test_today_value_spellings():
    assert mess.region_text("Новосибирская область", (), "short") == "Новосибирская обл."
    assert mess.region_text("Республика Татарстан (Татарстан)", ("Татарстан",), "short") == "Респ. Татарстан"
    assert (
        mess.region_text("Республика Башкортостан", ("Башкортостан", "Башкирия"), "synonym", 1) == "Башкирия"
    )
    assert mess.opo_text("А54-27998-0013", "latin") == "A54-27998-0013"
    assert mess.verdict_text("не в полной мере", "full") == (
        "Соответствует требованиям промышленной безопасности не в полной мере"
    )
    assert mess.term_cell(date(2030, 12, 1), "until") == "до 01.12.2030"
    assert mess.term_cell(date(2030, 12, 1), "until_g") == "до 01.12.2030 г."
    assert mess.term_cell(date(2030, 12, 1), "cell") == date(2030, 12, 1)
    assert mess.term_cell("на 3 года", "until") == "на 3 года"


def test_weekly_workbooks_have_a_sheet_per_week_and_a_one_row_header_under_titles(built):
    book = openpyxl.load_workbook(built.corpus_dir / ZSIB_2025, read_only=True)
    assert len(book.sheetnames) > 20
    for name in book.sheetnames:
        rows = list(book[name].iter_rows(values_only=True))
        assert rows[0][0] == "Сведения о заключениях экспертизы промышленной безопасности, внесённых в реестр"
        assert rows[1][0] == "Западно-Сибирское управление Ростехнадзора"
        first, last = (datetime.strptime(f"{part}.2025", "%d.%m.%Y").date() for part in name.split("–"))
        assert rows[2][0] == f"за период с {first:%d.%m.%Y} по {last:%d.%m.%Y}"
        assert not any(rows[3]) and list(rows[4]) == ZSIB_HEADER
        days = [row[3].date() for row in rows[5:] if row[2] and isinstance(row[3], datetime)]
        assert days and {week_of(day) for day in days} == {(first, last)}, name
    privol = openpyxl.load_workbook(built.corpus_dir / "privol/activity/expertiza/files/sved_zepb_2024.xlsx")
    for name in privol.sheetnames:
        week = int(re.fullmatch(r"Неделя (\d+)", name).group(1))
        sheet = privol[name]
        assert sheet.cell(3, 1).value.startswith("с ")
        dates = [
            datetime.strptime(row[2], "%d.%m.%Y").date()
            for row in sheet.iter_rows(min_row=5, values_only=True)
            if row[2]
        ]
        assert {(day.timetuple().tm_yday - 1) // 7 + 1 for day in dates} == {week}, name


def test_zsib_changed_its_columns_in_2024(built, truth):
    old = openpyxl.load_workbook(built.corpus_dir / ZSIB_2025.replace("2025", "2023"), read_only=True)
    header = list(next(old.worksheets[0].iter_rows(min_row=5, max_row=5, values_only=True)))
    assert "Наименование заявителя" in header and "Наименование заключения" in header
    assert not {"Субъект РФ", "ИНН эксплуатирующей организации", "Номер ОПО"} & set(header)
    zsib = [r for r in truth["records"] if r["office_code"] == "zsib"]
    before = [r for r in zsib if r["year"] < "2024"]
    after = [r for r in zsib if r["year"] >= "2024"]
    assert before and after
    assert all(not r["region"] and not r["opo_reg_number"] and not r["applicant_inn"] for r in before)
    assert all(r["conclusion_result"] in VERDICTS for r in before)
    assert all(r["region"] and r["opo_reg_number"] and r["hazard_class"] for r in after)


def test_today_serials_are_national_and_six_digit(truth):
    records = truth["records"]
    serials: dict[str, list[tuple[str, int]]] = {}
    for r in records:
        serial = r["reg_number"].split("-")[2]
        year = r["reg_number"][-4:]
        if year < "2022":
            assert len(serial) == 5, r["reg_number"]
            continue
        serials.setdefault(year, []).append((r["date_registered"], int(serial)))
    assert all(800_000 <= serial <= 999_999 for _, serial in serials["2026"])
    for year in ("2022", "2023", "2024", "2025"):
        lengths = Counter(len(str(serial)) for _, serial in serials[year])
        assert lengths[5] and lengths[6] > lengths[5], (year, lengths)
        dated = sorted(pair for pair in serials[year] if pair[0])
        by_day = [serial for _, serial in dated]
        days = [day for day, _ in dated]
        # one count over the country: a later day always has higher serials, whatever the office
        assert all(a < b for (d1, a), (d2, b) in zip(dated, dated[1:], strict=False) if d1 < d2)
        assert len(set(by_day)) == len(by_day) and days


def test_today_prefixes_are_the_subject_of_the_object(truth):
    codes = region_codes()
    today = [r for r in truth["records"] if r["region"]]
    assert {r["office_code"] for r in today} == {"zsib", "privol"}
    same = [r for r in today if r["reg_number"][:2] == codes[r["region"]]]
    assert 0.9 < len(same) / len(today) < 1, "mostly the subject, with exceptions"
    assert {codes[r["region"]] for r in today if r["office_code"] == "privol"} == {"16", "02"}
    published = [r for r in truth["records"] if re.match(r"\d-", r["reg_number_published"])]
    assert published, "a number with a one-digit first group (2-ТУ-600791-2025)"
    assert all(r["reg_number"] == "0" + r["reg_number_published"] for r in published)


def test_today_fields_are_canonical_in_truth(truth):
    today = [r for r in truth["records"] if r["office_code"] in ("zsib", "privol") and r["year"] >= "2024"]
    assert all(re.fullmatch(r"А\d{2}-\d{5}-\d{4}", r["opo_reg_number"]) for r in today)
    assert all(r["opo_reg_number"][1:3] == region_codes()[r["region"]] for r in today)
    assert {r["hazard_class"] for r in today} == {"I", "II", "III", "IV"}
    verdicts = Counter(r["conclusion_result"] for r in today)
    assert set(verdicts) == VERDICTS
    assert 0.01 < verdicts["не соответствует"] / len(today) < 0.08
    terms = [r["operation_term"] for r in today if r["operation_term"]]
    assert any(re.fullmatch(r"20[3-4]\d-\d\d-01", t) for t in terms) and any(" " in t for t in terms)
    assert all(not r["operation_term"] for r in today if r["conclusion_result"] == "не соответствует")
    assert any("зав. №" in r["object_name"] for r in today) and any(
        "рег. №" in r["object_name"] for r in today
    )
    privol = [r for r in today if r["office_code"] == "privol"]
    assert all(r["expert_org_inn"] for r in privol)


def test_today_cells_carry_the_planted_spellings(built):
    sheets = sheet_values(built.corpus_dir / ZSIB_2025)
    rows = [row for row in sheets if isinstance(row[2], str) and CANONICAL_REG.match(row[2])]
    regions = {row[1] for row in rows}
    assert "Новосибирская область" in regions and any(r.endswith("обл.") for r in regions)
    hazards = {row[9] for row in rows}
    assert {"III", "3 класс"} <= hazards and any(h.endswith("класс опасности") for h in hazards)
    assert any(re.fullmatch(r"до \d\d\.\d\d\.20\d\d", str(row[4])) for row in rows)
    assert any(re.fullmatch(r'.+" \(ИНН \d{10}\)', row[12]) for row in rows)
    assert any(row[7].startswith("A") for row in rows) and any(row[7].startswith("А") for row in rows)


def test_every_inn_has_valid_control_digits_except_the_planted_typos(built, truth):
    from openepb.contract.formats import inn_checksum_ok

    inns = [r[name] for r in truth["records"] for name in ("applicant_inn", "expert_org_inn") if r[name]]
    assert len(inns) > 1000 and all(inn_checksum_ok(inn) for inn in inns)
    problems = read_truth(built.truth_dir, "problems")
    assert problems and {p["code"] for p in problems} == {"inn_checksum_invalid"}
    records = {r["reg_number"]: r for r in truth["records"]}
    for problem in problems:
        assert records[problem["reg_number"]]["applicant_inn"] == ""
        book = openpyxl.load_workbook(built.corpus_dir / problem["source_file"], read_only=True)
        row = next(book[problem["table"]].iter_rows(min_row=int(problem["row"]), values_only=True))
        assert problem["reg_number"] in row
        inns = [cell for cell in row if isinstance(cell, str) and re.fullmatch(r"\d{10}", cell)]
        assert len([inn for inn in inns if not inn_checksum_ok(inn)]) == 1, row


def test_published_spellings_are_in_truth_where_they_differ(truth):
    spelled = [r for r in truth["records"] if r["reg_number_published"]]
    assert len(spelled) > 50
    for r in spelled:
        assert r["reg_number_published"] != r["reg_number"]
        assert parse_reg(r["reg_number_published"]) == r["reg_number"], r["reg_number_published"]
    assert {r["office_code"] for r in spelled} >= {"mos", "cntr", "ural", "nvol", "vdon", "privol"}


def test_planted_entity_spellings_are_published(built, truth):
    """What broke entity resolution is in the files: operators with the ИНН inside the name and an
    empty ИНН cell, branches, utilities with the city inside or after the quotes or without form."""
    inside = []
    for path in sorted((built.corpus_dir / "privol").rglob("*.xlsx")):
        for row in sheet_values(path):
            if len(row) > 9 and isinstance(row[8], str) and re.fullmatch(r".+ \(ИНН \d{10}\)", row[8]):
                inside.append(row)
    assert inside and all(row[9] is None for row in inside)
    names = {r["applicant_name"] for r in truth["records"]}
    assert any(re.fullmatch(r"Филиал ПАО «Россети Центр» — «\w+»", n) for n in names)
    assert any(re.fullmatch(r"(МУП|ГУП|МП) «Водоканал» г\. [\w ]+", n) for n in names)
    assert any(re.fullmatch(r"(МУП|ГУП|МП) «Водоканал г\. [\w ]+»", n) for n in names)
    assert any(re.fullmatch(r"Водоканал г\. [\w ]+", n) for n in names)
