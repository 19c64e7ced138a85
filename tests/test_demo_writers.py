"""The demo format writers produce the genuine format, and the plain libraries read back exactly the grid."""

from __future__ import annotations

import csv
import datetime
import io
import shutil
import zipfile
from pathlib import Path

import olefile
import pytest

from openepb.demo.writers import (
    Merge,
    Table,
    libreoffice_convert,
    render_cell,
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

HAS_SOFFICE = bool(shutil.which("soffice") or shutil.which("libreoffice"))
needs_soffice = pytest.mark.skipif(not HAS_SOFFICE, reason="LibreOffice (soffice) is not on PATH")

TITLE = "Реестр заключений экспертизы промышленной безопасности"
MULTI_LINE = "г. Москва,\nул. Ленина, д. 1"
ROWS = [
    [TITLE, None, None, None, None],
    ["№ п/п", "Заявитель", None, "Рег. номер", "Дата внесения"],
    [None, "Наименование", "Адрес", None, None],
    [1, "ООО «Ромашка»", MULTI_LINE, "77-ТУ-00001-2018", datetime.date(2018, 12, 1)],
    [2, None, "г. Тверь", "77-ТУ-00002-2018", 43000.0],
    [3, None, "г. Рязань", "77-ТУ-00003-2018", datetime.datetime(2019, 1, 2, 10, 30)],
]
MERGES = [Merge(0, 0, 1, 5), Merge(1, 0, 2, 1), Merge(1, 1, 1, 2), Merge(1, 3, 2, 1), Merge(1, 4, 2, 1)]
MERGES.append(Merge(3, 1, 3, 1))  # the applicant cell over three data rows
EXCEL_RANGES = {"A1:E1", "A2:A3", "B2:C2", "D2:D3", "E2:E3", "B4:B6"}
COVERED = {
    (r, c)
    for m in MERGES
    for r in range(m.row, m.row + m.rows)
    for c in range(m.col, m.col + m.cols)
    if (r, c) != (m.row, m.col)
}
TEXT = [
    [TITLE, "", "", "", ""],
    ["№ п/п", "Заявитель", "", "Рег. номер", "Дата внесения"],
    ["", "Наименование", "Адрес", "", ""],
    ["1", "ООО «Ромашка»", MULTI_LINE, "77-ТУ-00001-2018", "01.12.2018"],
    ["2", "", "г. Тверь", "77-ТУ-00002-2018", "43000"],
    ["3", "", "г. Рязань", "77-ТУ-00003-2018", "02.01.2019 10:30"],
]
# The text grid with a merged cell's text in every position it covers (how python-docx reports it).
FILLED = [
    [TITLE] * 5,
    ["№ п/п", "Заявитель", "Заявитель", "Рег. номер", "Дата внесения"],
    ["№ п/п", "Наименование", "Адрес", "Рег. номер", "Дата внесения"],
    ["1", "ООО «Ромашка»", MULTI_LINE, "77-ТУ-00001-2018", "01.12.2018"],
    ["2", "ООО «Ромашка»", "г. Тверь", "77-ТУ-00002-2018", "43000"],
    ["3", "ООО «Ромашка»", "г. Рязань", "77-ТУ-00003-2018", "02.01.2019 10:30"],
]


def sample_table(name: str = "Лист1") -> Table:
    return Table(rows=[list(row) for row in ROWS], merges=list(MERGES), name=name, header_rows=(1, 2))


def second_table() -> Table:
    return Table(rows=[["Рег. номер", "Дата"], ["77-ТУ-00004-2018", datetime.date(2020, 2, 29)]], name="2019")


def is_ole2(path: Path) -> bool:
    return path.read_bytes()[:8] == bytes.fromhex("D0CF11E0A1B11AE1")


# ------------------------------------------------------------------------------------ cell text


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, ""),
        ("текст\nвторая", "текст\nвторая"),
        (7, "7"),
        (43000.0, "43000"),
        (1.25, "1.25"),
        (datetime.date(2018, 3, 4), "04.03.2018"),
        (datetime.datetime(2018, 3, 4, 5, 6, 7), "04.03.2018 05:06"),
    ],
)
def test_render_cell(value, text):
    assert render_cell(value) == text


def test_render_cell_rejects_other_types():
    with pytest.raises(TypeError, match="unsupported cell value"):
        render_cell([1])


@pytest.mark.parametrize(
    ("merges", "message"),
    [
        ([Merge(0, 0, 2, 2), Merge(2, 1, 1, 1), Merge(1, 1, 2, 1)], "overlaps"),
        ([Merge(0, 0, 1, 3)], "outside"),
        ([Merge(1, 0, 2, 1)], "covered"),
        ([Merge(0, 0, 0, 1)], "invalid merge"),
    ],
)
def test_bad_merges_are_refused(tmp_path, merges, message):
    table = Table(rows=[["a", None], [None, None], ["c", None]], merges=merges)
    with pytest.raises(ValueError, match=message):
        write_docx(tmp_path / "x.docx", [table])


# ------------------------------------------------------------------------------------ xlsx


def test_xlsx_cells_dates_numbers_and_merges(tmp_path):
    import openpyxl

    path = tmp_path / "реестр.xlsx"
    write_xlsx(path, [sample_table(), second_table()])
    assert zipfile.is_zipfile(path)
    assert "xl/workbook.xml" in zipfile.ZipFile(path).namelist()
    workbook = openpyxl.load_workbook(path)
    assert workbook.sheetnames == ["Лист1", "2019"]
    sheet = workbook["Лист1"]
    assert [[cell.value for cell in row] for row in sheet.iter_rows()] == [
        [TITLE, None, None, None, None],
        ["№ п/п", "Заявитель", None, "Рег. номер", "Дата внесения"],
        [None, "Наименование", "Адрес", None, None],
        [1, "ООО «Ромашка»", MULTI_LINE, "77-ТУ-00001-2018", datetime.datetime(2018, 12, 1)],
        [2, None, "г. Тверь", "77-ТУ-00002-2018", 43000],
        [3, None, "г. Рязань", "77-ТУ-00003-2018", datetime.datetime(2019, 1, 2, 10, 30)],
    ]
    assert {str(cell_range) for cell_range in sheet.merged_cells.ranges} == EXCEL_RANGES
    assert sheet["E4"].is_date and sheet["E4"].number_format == "DD.MM.YYYY"
    assert sheet["E5"].data_type == "n" and not sheet["E5"].is_date
    assert sheet["C4"].alignment.wrap_text is True
    assert workbook["2019"]["B2"].value == datetime.datetime(2020, 2, 29)


def test_xlsx_read_by_calamine(tmp_path):
    from python_calamine import CalamineWorkbook

    path = tmp_path / "a.xlsx"
    write_xlsx(path, [sample_table()])
    sheet = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("Лист1")
    values = sheet.to_python()
    assert values[3][4] == datetime.date(2018, 12, 1)
    assert values[4][4] == 43000.0
    assert values[5][4] == datetime.datetime(2019, 1, 2, 10, 30)
    assert values[3][2] == MULTI_LINE
    ranges = {(start, end) for start, end in sheet.merged_cell_ranges}
    assert ranges == {((m.row, m.col), (m.row + m.rows - 1, m.col + m.cols - 1)) for m in MERGES}


def test_xlsx_workbook_with_a_sheet_per_week_keeps_names_and_order(tmp_path):
    """Today's yearly workbooks: 53 sheets named by their week («01.01–07.01», «Неделя 1»)."""
    import openpyxl
    from python_calamine import CalamineWorkbook

    names = [f"{1 + 7 * i:02d}.01–{7 + 7 * i:02d}.01" for i in range(4)] + [
        f"Неделя {n}" for n in range(5, 54)
    ]
    header = ["Субъект РФ", "Регистрационный номер ЗЭПБ", "Дата регистрации ЗЭПБ"]
    tables = [
        Table(
            rows=[["Сведения из реестра"], header, ["Томская область", f"70-ТУ-{800000 + n}-2026", n + 1]],
            name=name,
            header_rows=(1, 1),
        )
        for n, name in enumerate(names)
    ]
    path = tmp_path / "Сведения из реестра ЗЭПБ 2026.xlsx"
    write_xlsx(path, tables)
    assert openpyxl.load_workbook(path, read_only=True).sheetnames == names
    workbook = CalamineWorkbook.from_path(str(path))
    assert workbook.sheet_names == names
    assert workbook.get_sheet_by_name("Неделя 53").to_python() == [
        ["Сведения из реестра", "", ""],
        header,
        ["Томская область", "70-ТУ-800052-2026", 53.0],
    ]


def test_xlsx_streamed_table_keeps_formats_and_formula_like_text(tmp_path):
    import openpyxl

    path = tmp_path / "flat.xlsx"
    rows = [
        ["Рег. номер", "Дата", "Примечание"],
        ["77-ТУ-00005-2018", datetime.date(2018, 5, 6), "=A1\nтекст"],
    ]
    write_xlsx(path, [Table(rows=rows, date_format="dd.mm.yy", col_widths=[20, 12, 30])])
    sheet = openpyxl.load_workbook(path).active
    assert [[cell.value for cell in row] for row in sheet.iter_rows()] == [
        ["Рег. номер", "Дата", "Примечание"],
        ["77-ТУ-00005-2018", datetime.datetime(2018, 5, 6), "=A1\nтекст"],
    ]
    assert sheet["B2"].number_format == "dd.mm.yy"
    assert sheet["C2"].data_type == "s" and sheet["C2"].alignment.wrap_text is True
    assert sheet.column_dimensions["A"].width == 20


def test_encrypted_xlsx_opens_only_with_the_password(tmp_path):
    import msoffcrypto
    import openpyxl

    path = tmp_path / "закрыт.xlsx"
    write_encrypted_xlsx(path, [sample_table()], password="пароль")
    assert is_ole2(path)
    with olefile.OleFileIO(str(path)) as ole:
        assert ole.exists("EncryptionInfo") and ole.exists("EncryptedPackage")
    office_file = msoffcrypto.OfficeFile(io.BytesIO(path.read_bytes()))
    assert office_file.is_encrypted()
    office_file.load_key(password="пароль")
    plain = io.BytesIO()
    office_file.decrypt(plain)
    assert openpyxl.load_workbook(plain).active["B4"].value == "ООО «Ромашка»"


def test_truncated_copy_is_a_prefix_that_no_longer_opens(tmp_path):
    import openpyxl

    source = tmp_path / "full.xlsx"
    write_xlsx(source, [sample_table()])
    broken = tmp_path / "broken.xlsx"
    write_truncated(broken, source, keep=0.4)
    full = source.read_bytes()
    assert broken.read_bytes() == full[: int(len(full) * 0.4)]
    with pytest.raises(zipfile.BadZipFile):
        openpyxl.load_workbook(broken)
    with pytest.raises(ValueError, match="keep"):
        write_truncated(broken, source, keep=1.0)


# ------------------------------------------------------------------------------------ LibreOffice


@pytest.fixture(scope="module")
def office_files(tmp_path_factory) -> dict[str, Path]:
    """All LibreOffice-made files of this module: one batched run for xls, one for doc."""
    if not HAS_SOFFICE:
        pytest.skip("LibreOffice (soffice) is not on PATH")
    folder = tmp_path_factory.mktemp("office")
    files = {
        "xls": folder / "2018" / "реестр.xls",
        "xls2": folder / "2019" / "реестр.xls",  # same name in another folder: no collision
        "doc": folder / "реестр.doc",
    }
    write_xls([(files["xls"], [sample_table(), second_table()]), (files["xls2"], [second_table()])])
    options = {"before": ["Сведения о заключениях"], "after": ["Начальник отдела ____ Иванов И.И."]}
    write_doc([(files["doc"], [sample_table()], options)])
    return files


@needs_soffice
def test_xls_is_biff8_with_dates_and_merges(office_files):
    from python_calamine import CalamineWorkbook

    path = office_files["xls"]
    assert is_ole2(path)
    with olefile.OleFileIO(str(path)) as ole:
        assert ole.exists("Workbook")
    workbook = CalamineWorkbook.from_path(str(path))
    assert workbook.sheet_names == ["Лист1", "2019"]
    sheet = workbook.get_sheet_by_name("Лист1")
    assert sheet.to_python() == [
        [TITLE, "", "", "", ""],
        ["№ п/п", "Заявитель", "", "Рег. номер", "Дата внесения"],
        ["", "Наименование", "Адрес", "", ""],
        [1, "ООО «Ромашка»", MULTI_LINE, "77-ТУ-00001-2018", datetime.date(2018, 12, 1)],
        [2, "", "г. Тверь", "77-ТУ-00002-2018", 43000],
        [3, "", "г. Рязань", "77-ТУ-00003-2018", datetime.datetime(2019, 1, 2, 10, 30)],
    ]
    ranges = {(start, end) for start, end in sheet.merged_cell_ranges}
    assert ranges == {((m.row, m.col), (m.row + m.rows - 1, m.col + m.cols - 1)) for m in MERGES}
    second = CalamineWorkbook.from_path(str(office_files["xls2"])).get_sheet_by_name("2019")
    assert second.to_python() == [["Рег. номер", "Дата"], ["77-ТУ-00004-2018", datetime.date(2020, 2, 29)]]


@needs_soffice
def test_xls_date_format_survives(office_files):
    import xlrd

    book = xlrd.open_workbook(str(office_files["xls"]), formatting_info=True)
    sheet = book.sheet_by_index(0)
    cell = sheet.cell(3, 4)
    assert cell.ctype == xlrd.XL_CELL_DATE
    number_format = book.format_map[book.xf_list[cell.xf_index].format_key].format_str
    assert number_format.replace("\\", "").lower() == "dd.mm.yyyy"  # LibreOffice escapes the dots
    assert sheet.cell(4, 4).ctype == xlrd.XL_CELL_NUMBER and sheet.cell(4, 4).value == 43000


@needs_soffice
def test_doc_is_word97_with_the_cell_texts(office_files):
    path = office_files["doc"]
    assert is_ole2(path)
    with olefile.OleFileIO(str(path)) as ole:
        assert ole.exists("WordDocument")
        stream = ole.openstream("WordDocument").read()
    for text in ["Сведения о заключениях", "ООО «Ромашка»", "77-ТУ-00003-2018", "02.01.2019 10:30"]:
        assert text.encode("utf-16-le") in stream, text


def test_libreoffice_convert_names_the_missing_file(tmp_path):
    with pytest.raises(RuntimeError, match="нет.xlsx"):
        libreoffice_convert([tmp_path / "нет.xlsx"], "xls:MS Excel 97", tmp_path / "out")


def test_libreoffice_convert_refuses_colliding_outputs(tmp_path):
    sources = [tmp_path / "a" / "r.xlsx", tmp_path / "b" / "r.xlsx"]
    with pytest.raises(ValueError, match="collide"):
        libreoffice_convert(sources, "xls:MS Excel 97", tmp_path / "out")


def test_libreoffice_missing_binary_is_a_clear_error(tmp_path, monkeypatch):
    source = tmp_path / "a.xlsx"
    write_xlsx(source, [second_table()])
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(RuntimeError, match="LibreOffice is not installed"):
        libreoffice_convert([source], "xls:MS Excel 97", tmp_path / "out")


def test_xls_refuses_more_rows_than_biff8_holds(tmp_path):
    table = Table(rows=[["x"]] * 65537)
    with pytest.raises(ValueError, match="65536"):
        write_xls([(tmp_path / "big.xls", [table])])


# ------------------------------------------------------------------------------------ HTML


def html_grid(table_element) -> list[list[tuple[str, str, int, int]]]:
    """(tag, text with <br> as \\n, rowspan, colspan) of every written cell, row by row."""
    rows = []
    for tr in table_element.iter("tr"):
        cells = []
        for cell in tr:
            for br in cell.iter("br"):
                br.tail = "\n" + (br.tail or "")
            span = (int(cell.get("rowspan", 1)), int(cell.get("colspan", 1)))
            cells.append((cell.tag, cell.text_content(), *span))
        rows.append(cells)
    return rows


EXPECTED_HTML_CELLS = [
    [("td", TITLE, 1, 5)],
    [
        ("th", "№ п/п", 2, 1),
        ("th", "Заявитель", 1, 2),
        ("th", "Рег. номер", 2, 1),
        ("th", "Дата внесения", 2, 1),
    ],
    [("th", "Наименование", 1, 1), ("th", "Адрес", 1, 1)],
    [("td", text, 3 if c == 1 else 1, 1) for c, text in enumerate(TEXT[3])],
    [("td", text, 1, 1) for c, text in enumerate(TEXT[4]) if c != 1],
    [("td", text, 1, 1) for c, text in enumerate(TEXT[5]) if c != 1],
]


def test_html_page_cp1251_with_spans_and_thead(tmp_path):
    import lxml.html

    path = tmp_path / "reestr.htm"
    before = '<p><a href="/files/2017.xls">Реестр за 2017 год</a></p>'
    write_html(
        path, [sample_table()], encoding="cp1251", title="Реестр ЭПБ", before=before, after="<p>Конец</p>"
    )
    raw = path.read_bytes()
    assert b'<meta charset="windows-1251">' in raw
    assert "Реестр за 2017 год".encode("cp1251") in raw
    page = lxml.html.fromstring(raw.decode("cp1251"))
    assert page.findtext(".//title") == "Реестр ЭПБ"
    assert page.xpath("//a/@href") == ["/files/2017.xls"]
    (table,) = page.xpath("//table")
    assert [len(group) for group in table.xpath("thead|tbody")] == [3, 3]
    assert html_grid(table) == EXPECTED_HTML_CELLS
    assert page.xpath("//p[last()]/text()") == ["Конец"]


def test_html_escapes_text_and_refers_unencodable_characters(tmp_path):
    path = tmp_path / "x.html"
    write_html(path, [Table(rows=[['<b>ООО "А&Б"</b>', "Ω"]])], encoding="cp1251")
    raw = path.read_bytes().decode("cp1251")
    assert '<td>&lt;b&gt;ООО "А&amp;Б"&lt;/b&gt;</td><td>&#937;</td>' in raw


def test_html_refuses_a_merge_across_the_header_end(tmp_path):
    table = Table(rows=[["a", "b"], [None, "c"]], merges=[Merge(0, 0, 2, 1)], header_rows=(0, 1))
    with pytest.raises(ValueError, match="crosses"):
        write_html(tmp_path / "x.html", [table])


def test_html_excel_flavour_looks_like_a_saved_sheet(tmp_path):
    import lxml.html

    path = tmp_path / "reestr.xls"
    write_html(path, [sample_table(), second_table()], encoding="cp1251", excel_flavour=True)
    raw = path.read_bytes()
    assert raw.startswith(b'<html xmlns:v="urn:schemas-microsoft-com:vml"')
    assert b'xmlns:x="urn:schemas-microsoft-com:office:excel"' in raw
    assert b"charset=windows-1251" in raw and b"mso-number-format" in raw
    assert "<x:Name>Лист1</x:Name>".encode("cp1251") in raw
    page = lxml.html.fromstring(raw.decode("cp1251"))
    first, second = page.xpath("//table")
    assert html_grid(first) == [[("td", *cell[1:]) for cell in row] for row in EXPECTED_HTML_CELLS]
    dates = second.xpath(".//td[@class='xl25']")
    assert [(cell.text, cell.get("x:num")) for cell in dates] == [("29.02.2020", "43890")]


# ------------------------------------------------------------------------------------ docx


def test_docx_real_merges_header_rows_and_paragraphs(tmp_path):
    import docx
    from docx.oxml.ns import qn

    path = tmp_path / "реестр.docx"
    write_docx(
        path, [sample_table(), second_table()], before=["Реестр", "за 2018 год"], after=["Начальник отдела"]
    )
    assert zipfile.is_zipfile(path) and "word/document.xml" in zipfile.ZipFile(path).namelist()
    document = docx.Document(str(path))
    assert [p.text for p in document.paragraphs] == ["Реестр", "за 2018 год", "", "Начальник отдела"]
    first, second = document.tables
    assert [[cell.text for cell in row.cells] for row in first.rows] == FILLED
    assert [[cell.text for cell in row.cells] for row in second.rows] == [
        ["Рег. номер", "Дата"],
        ["77-ТУ-00004-2018", "29.02.2020"],
    ]
    rows = first._tbl.tr_lst
    assert [tr.find(f"{qn('w:trPr')}/{qn('w:tblHeader')}") is not None for tr in rows] == [
        False,
        True,
        True,
        False,
        False,
        False,
    ]
    spans = [[int(tc.grid_span) for tc in tr.tc_lst] for tr in rows]
    assert spans == [[5], [1, 2, 1, 1], [1, 1, 1, 1, 1], [1] * 5, [1] * 5, [1] * 5]
    vmerge = [[tc.vMerge for tc in tr.tc_lst] for tr in rows]
    assert vmerge == [
        [None],
        ["restart", None, "restart", "restart"],
        ["continue", None, None, "continue", "continue"],
        [None, "restart", None, None, None],
        [None, "continue", None, None, None],
        [None, "continue", None, None, None],
    ]
    section = document.sections[0]
    assert section.page_width > section.page_height


# ------------------------------------------------------------------------------------ PDF


def test_pdf_text_grid_round_trips_through_pdfplumber(tmp_path):
    import pdfplumber

    path = tmp_path / "реестр.pdf"
    write_pdf(path, sample_table(), title="Реестр ЭПБ", after=["Исполнитель: Петров П.П."])
    assert path.read_bytes()[:5] == b"%PDF-"
    with pdfplumber.open(path) as pdf:
        (page,) = pdf.pages
        assert page.width > page.height
        assert page.extract_tables() == [
            [
                [None if (r, c) in COVERED else text for c, text in enumerate(row)]
                for r, row in enumerate(TEXT)
            ]
        ]
        text = page.extract_text()
    assert text.startswith("Реестр ЭПБ\n") and text.endswith("Исполнитель: Петров П.П.")


def test_pdf_long_table_repeats_the_header_on_every_page(tmp_path):
    import pdfplumber

    table = sample_table()
    table.rows += [
        [n, f"ООО «Альфа-{n}»", "г. Омск", f"55-ТУ-{n:05d}-2018", "01.02.2018"] for n in range(4, 124)
    ]
    path = tmp_path / "long.pdf"
    write_pdf(path, table)
    with pdfplumber.open(path) as pdf:
        pages = [page.extract_tables() for page in pdf.pages]
    assert len(pages) >= 3
    header = [[None if (r, c) in COVERED else text for c, text in enumerate(TEXT[r])] for r in (1, 2)]
    data_rows = []
    for number, tables in enumerate(pages):
        (rows,) = tables
        if number:
            assert rows[:2] == header
            data_rows += rows[2:]
        else:
            data_rows += rows[3:]
    assert [row[0] for row in data_rows] == [str(n) for n in range(1, 124)]
    assert data_rows[-1] == ["123", "ООО «Альфа-123»", "г. Омск", "55-ТУ-00123-2018", "01.02.2018"]


# ------------------------------------------------------------------------------------ CSV


def test_csv_cp1251_semicolons_crlf_and_quoted_line_breaks(tmp_path):
    path = tmp_path / "реестр.csv"
    write_csv(path, ROWS)
    raw = path.read_bytes()
    assert raw.startswith(f"{TITLE};;;;\r\n".encode("cp1251"))
    assert (
        '1;ООО «Ромашка»;"г. Москва,\nул. Ленина, д. 1";77-ТУ-00001-2018;01.12.2018\r\n'.encode("cp1251")
        in raw
    )
    with path.open(encoding="cp1251", newline="") as stream:
        assert list(csv.reader(stream, delimiter=";")) == TEXT


def test_csv_other_dialect(tmp_path):
    path = tmp_path / "r.csv"
    write_csv(path, [["а,б", 1.5], ["в", None]], encoding="utf-8", delimiter=",", line_terminator="\n")
    assert path.read_bytes() == '"а,б",1.5\nв,\n'.encode()
