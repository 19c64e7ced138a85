"""Readers: exact rows for every format, detection by content, and every file-level failure."""

from __future__ import annotations

import datetime as dt
import random
import shutil
import zipfile
from pathlib import Path

import olefile
import pytest
from fixtures_readers import (
    HTML_PAGE,
    register_font,
    soffice_convert,
    write_csv_cp1251,
    write_csv_utf8_bom,
    write_docx,
    write_html,
    write_merged_pdf,
    write_pdf,
    write_scanned_pdf,
    write_wrapped_pdf,
    write_xlsx,
)
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen import canvas

from openepb.read import RawRow, ReadError, detect_format, read_rows
from openepb.read import doc as doc_reader
from openepb.read.cells import value_text
from openepb.read.detect import sniff_delimiter
from openepb.read.html import expand_spans

needs_soffice = pytest.mark.skipif(
    shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed"
)

TITLE = "Реестр заключений ЭПБ"
XLSX_ROWS = [
    RawRow("2018", 1, ("", "", "", "", "")),
    RawRow("2018", 2, ("", TITLE, TITLE, TITLE, TITLE)),
    RawRow("2018", 3, ("", "№", "Номер", "Дата", "Заявитель")),
    RawRow("2018", 4, ("", "1", "58-ТУ-01234-2018", "2018-12-01", 'ООО "Ромашка"\nг. Москва')),
    RawRow("2018", 5, ("", "2.5", "58-ТУ-01235-2018", "43000", "ИП Иванов")),
    RawRow("2018", 6, ("", "3", "58-ТУ-01236-2018", "2018-12-03T10:30:00", "ИП Иванов")),
    RawRow("2018", 7, ("", "", "", "", "")),
    RawRow("2018", 8, ("", "Итого: 3", "", "", "")),
    RawRow("Исключённые", 1, ("Номер",)),
    RawRow("Исключённые", 2, ("58-ЗС-00001-2017",)),
]
HTML_ROWS = [
    RawRow("table 1", 1, ("№", "Заявитель", "Заявитель", "Номер")),
    RawRow("table 1", 2, ("№", "Наименование", "Адрес", "Номер")),
    RawRow(
        "table 1",
        3,
        ("1", "ООО «Ромашка»\nИНН 7701234567", "г. Москва, ул. Ленина, д. 1", "58-ТУ-01234-2018"),
    ),
    RawRow("table 1", 4, ("2", "ИП Иванов", "ИП Иванов", "58-ТУ-01235-2018")),
    RawRow("table 1", 5, ("3", "АО «Лютик»", "г. Тула", "58-ТУ-01235-2018")),
    RawRow("table 2", 1, ("Контакты",)),
]
WORD_ROWS = [
    RawRow("table 1", 1, ("№", "Заявитель", "Заявитель", "Номер")),
    RawRow("table 1", 2, ("№", "Наименование", "Адрес", "Номер")),
    RawRow("table 1", 3, ("1", "ООО «Ромашка»", "г. Москва", "58-ТУ-01234-2018")),
    RawRow("table 1", 4, ("2", "ИП Иванов\nг. Тула", "ИП Иванов\nг. Тула", "58-ТУ-01235-2018")),
    RawRow("table 2", 1, ("58-ЗС-00001-2017", "")),
]
PDF_HEADER = ("№", "Номер", "Заявитель")


def pdf_row(i: int) -> tuple[str, ...]:
    return (str(i), f"58-ТУ-{i:05d}-2018", f"ООО «Ромашка {i}»\nг. Москва")


PDF_ROWS = [
    RawRow(f"page {page}", n + 1, PDF_HEADER if n == 0 else pdf_row(first + n - 1))
    for page, first, count in ((1, 1, 6), (2, 7, 6), (3, 13, 3))
    for n in range(count + 1)
]


def read_error(path: Path, fmt: str | None = None) -> ReadError:
    with pytest.raises(ReadError) as caught:
        list(read_rows(path, fmt))
    return caught.value


@pytest.fixture(scope="module")
def office_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """xlsx and docx, and their LibreOffice xls and doc twins (made once for the module)."""
    folder = tmp_path_factory.mktemp("office")
    files = {"xlsx": write_xlsx(folder / "register.xlsx"), "docx": write_docx(folder / "register.docx")}
    if shutil.which("soffice"):
        files["xls"] = soffice_convert(files["xlsx"], "xls", folder / "xls")
        files["doc"] = soffice_convert(files["docx"], "doc", folder / "doc")
    return files


# --- exact rows per format ---------------------------------------------------------------------


def test_xlsx_rows_from_a1_with_merges_dates_and_numbers(office_files: dict[str, Path]) -> None:
    assert detect_format(office_files["xlsx"]) == "xlsx"
    assert list(read_rows(office_files["xlsx"])) == XLSX_ROWS


@needs_soffice
def test_xls_made_by_libreoffice_reads_like_the_xlsx(office_files: dict[str, Path]) -> None:
    assert detect_format(office_files["xls"]) == "xls"
    assert list(read_rows(office_files["xls"])) == XLSX_ROWS


def test_html_windows_1251_leaf_tables_spans_and_line_breaks(tmp_path: Path) -> None:
    page = write_html(tmp_path / "register.html")
    assert detect_format(page) == "html"
    assert list(read_rows(page)) == HTML_ROWS


def test_html_saved_as_xls_is_read_as_html(tmp_path: Path) -> None:
    page = write_html(tmp_path / "register.xls")
    assert detect_format(page) == "html"
    assert list(read_rows(page)) == HTML_ROWS


def test_html_utf8_bytes_win_over_a_wrong_meta_charset(tmp_path: Path) -> None:
    page = tmp_path / "register.htm"
    page.write_bytes(HTML_PAGE.encode("utf-8"))
    assert list(read_rows(page)) == HTML_ROWS


def test_html_block_elements_break_lines_and_comments_are_invisible(tmp_path: Path) -> None:
    page = tmp_path / "p.html"
    page.write_text(
        "<table><tr><td><p>ООО «А»</p><p>г. Тула</p></td><td>a<!-- x --><br><br>b<script>x()</script></td>"
        "<td rowspan=0>R</td></tr><tr><td>c</td></tr><tr></tr></table>",
        encoding="utf-8",
    )
    assert list(read_rows(page)) == [
        RawRow("table 1", 1, ("ООО «А»\nг. Тула", "a\n\nb", "R")),
        RawRow("table 1", 2, ("c", "", "R")),
        RawRow("table 1", 3, ("", "", "R")),
    ]


def test_mht_archive_reads_its_html_part(tmp_path: Path) -> None:
    body = HTML_PAGE.encode("cp1251")
    mht = tmp_path / "register.mht"
    mht.write_bytes(
        b'MIME-Version: 1.0\r\nContent-Type: multipart/related; boundary="b"\r\n\r\n--b\r\n'
        b'Content-Type: text/html; charset="windows-1251"\r\nContent-Transfer-Encoding: 8bit\r\n\r\n'
        + body
        + b"\r\n--b--\r\n"
    )
    assert detect_format(mht) == "html"
    assert list(read_rows(mht)) == HTML_ROWS


def test_docx_merged_cells_fill_the_grid_and_nested_tables_are_ignored(office_files: dict[str, Path]) -> None:
    assert detect_format(office_files["docx"]) == "docx"
    assert list(read_rows(office_files["docx"])) == WORD_ROWS


@needs_soffice
def test_doc_made_by_libreoffice_reads_like_the_docx(office_files: dict[str, Path]) -> None:
    assert detect_format(office_files["doc"]) == "doc"
    assert list(read_rows(office_files["doc"])) == WORD_ROWS


def test_pdf_three_pages_with_repeated_header(tmp_path: Path) -> None:
    pdf = write_pdf(tmp_path / "register.pdf")
    assert detect_format(pdf) == "pdf"
    assert list(read_rows(pdf)) == PDF_ROWS


def test_pdf_merged_cells_fill_every_covered_position(tmp_path: Path) -> None:
    assert list(read_rows(write_merged_pdf(tmp_path / "merged.pdf"))) == [
        RawRow("page 1", 1, ("Реестр", "Реестр", "Реестр")),
        RawRow("page 1", 2, ("№", "Заявитель", "Заявитель")),
        RawRow("page 1", 3, ("№", "Наименование", "Адрес")),
        RawRow("page 1", 4, ("1", "ООО «Ромашка»", "г. Тула")),
        RawRow("page 1", 5, ("2", "ООО «Ромашка»", "")),
    ]


def test_pdf_soft_wraps_join_and_typed_breaks_stay(tmp_path: Path) -> None:
    """Wrapped lines → one; a <br/> before a word that would have fitted → "\\n"; a phone split after
    its hyphen; a word longer than the cell split mid-word; a name wrapped after its hyphen."""
    assert list(read_rows(write_wrapped_pdf(tmp_path / "wrapped.pdf"))) == [
        RawRow(
            "page 1",
            1,
            (
                "Заключение экспертизы промышленной безопасности на техническое устройство, "
                "применяемое на опасном производственном объекте",
                "ООО «Ромашка»\nг. Москва",
                "тел. 8(473)200-00-00",
                "Газпромнефтьхимсалаватпроект",
                "АО «Газпромнефть-ОНПЗ»",
            ),
        )
    ]


def test_pdf_word_too_long_for_its_cell_reads_back_whole(tmp_path: Path) -> None:
    """A word longer than its cell starts a line of its own and is split there (as Word lays it out);
    the split is joined back and the break before it is a soft wrap."""
    from openepb.demo.writers import Table, write_pdf

    text = "ПАО «Воронежсинтезкаучукэнергоремонт» г. Воронеж"
    table = Table(rows=[["Номер", "Заявитель"], ["1", text]], col_widths=[10, 1])
    write_pdf(tmp_path / "narrow.pdf", table)
    assert [row.cells for row in read_rows(tmp_path / "narrow.pdf")] == [("Номер", "Заявитель"), ("1", text)]


def write_lines_pdf(path: Path, cells: list[tuple[float, list[str]]]) -> Path:
    """A one-row ruled table whose cells hold the given lines exactly as drawn, trailing spaces
    included, the way LibreOffice and Word export wrapped cells; (inner width, lines) per cell."""
    font, size, pad, leading = register_font(), 8, 4.0, 10
    page = canvas.Canvas(str(path), pagesize=A4)
    page.setFont(font, size)
    x, top = 40.0, 800.0
    height = leading * max(len(lines) for _, lines in cells) + 2 * pad
    for inner, lines in cells:
        page.rect(x, top - height, inner + 2 * pad, height)
        for i, line in enumerate(lines):
            page.drawString(x + pad, top - pad - size - i * leading, line)
        x += inner + 2 * pad
    page.showPage()
    page.save()
    return path


def test_pdf_wrap_at_a_kept_space_or_after_punctuation_is_a_word_boundary(tmp_path: Path) -> None:
    """LibreOffice keeps the space it wrapped at when it fits: «Заводское » + «шоссе» are two words,
    though the one-word line is as full as a split word would leave it. A full line ending in
    punctuation, or followed by a capital, is a boundary too. A line without a kept space and no such
    sign is still a word split mid-word, and a closing quote wrapped alone joins its word."""
    font = register_font()

    def w(text: str) -> float:
        return stringWidth(text, font, 8)

    cells = [
        (w("Заводское ") + 0.3, ["Заводское ", "шоссе, д. 8"]),
        (w("Заявитель:") + 0.5, ["Заявитель:", "ИНН"]),
        (w("воздушный") + 0.5, ["воздушный", "В-6,3"]),
        (w("электриче") + 1.0, ["электриче", "ский"]),
        (w("теплосеть") + 0.5, ["теплосеть", '"']),
    ]
    # Every first line is full: the next line's first char would not have fitted after it.
    assert all(w(lines[0].rstrip()) + w(lines[1][0]) > inner for inner, lines in cells)
    rows = list(read_rows(write_lines_pdf(tmp_path / "kept-spaces.pdf", cells)))
    assert rows == [
        RawRow(
            "page 1",
            1,
            ("Заводское шоссе, д. 8", "Заявитель: ИНН", "воздушный В-6,3", "электрический", 'теплосеть"'),
        )
    ]


def test_pdf_line_without_the_space_a_renderer_keeps_is_a_typed_break(tmp_path: Path) -> None:
    """Where the renderer keeps the space it wrapped at (as LibreOffice does, seen on «Заводское »),
    a line that lacks it though it would have fitted was not wrapped at a space: a break the author
    typed inside a combined cell («ООО «Заря»» / «тел. …»), or a word split mid-word when the line
    is one word. Without kept spaces anywhere the same lines read as a soft wrap."""
    font = register_font()

    def w(text: str) -> float:
        return stringWidth(text, font, 8)

    name_phone = (w("ООО «Заря» тел.") - 1.0, ["ООО «Заря»", "тел. 1-22"])
    split = (w("Площадк ") + 0.5, ["Площадк", "а"])
    assert w("ООО «Заря» ") < name_phone[0] and w("Площадка") > split[0]
    kept = (w("Заводское ") + 0.3, ["Заводское ", "шоссе"])
    rows = list(read_rows(write_lines_pdf(tmp_path / "kept.pdf", [kept, name_phone, split])))
    assert rows == [RawRow("page 1", 1, ("Заводское шоссе", "ООО «Заря»\nтел. 1-22", "Площадка"))]
    rows = list(read_rows(write_lines_pdf(tmp_path / "none-kept.pdf", [(40.0, ["Котел"]), name_phone])))
    assert rows == [RawRow("page 1", 1, ("Котел", "ООО «Заря» тел. 1-22"))]


def write_pages_pdf(path: Path, inner: list[float], pages: list[list[list[list[str]]]]) -> Path:
    """Ruled tables of the same columns (inner widths) on several pages, each row as tall as its
    tallest cell, every line drawn as given (trailing spaces included) — the way LibreOffice lays
    out a row that breaks across a page: the rest of its cells at the top of the next page."""
    font, size, pad, leading = register_font(), 8, 4.0, 10
    page = canvas.Canvas(str(path), pagesize=A4)
    for rows in pages:
        page.setFont(font, size)
        top = 800.0
        for row in rows:
            height = leading * max(len(lines) for lines in row) + 2 * pad
            x = 40.0
            for width, lines in zip(inner, row, strict=True):
                page.rect(x, top - height, width + 2 * pad, height)
                for i, line in enumerate(lines):
                    page.drawString(x + pad, top - pad - size - i * leading, line)
                x += width + 2 * pad
            top -= height
        page.showPage()
    page.save()
    return path


def test_pdf_row_broken_across_a_page_is_joined_to_its_fragment(tmp_path: Path) -> None:
    """Page 1 ends with a row whose object text runs to the bottom of its cell; page 2 opens with
    the rest of that text alone in the same column: one row. Its number ended on page 1."""
    font = register_font()
    inner = [90.0, stringWidth("Сосуд работающий", font, 8) + 1.0]
    header = [["Номер"], ["Объект"]]
    first = [["63-ТУ-00301-2021"], ["Сосуд работающий ", "под давлением, ", "зав. № 17, рег. № "]]
    rest = [[], ["4410-А"]]
    after = [["63-ТУ-00302-2021"], ["Кран мостовой"]]
    pdf = write_pages_pdf(tmp_path / "broken.pdf", inner, [[header, first], [rest, after]])
    assert list(read_rows(pdf)) == [
        RawRow("page 1", 1, ("Номер", "Объект")),
        RawRow("page 1", 2, ("63-ТУ-00301-2021", "Сосуд работающий под давлением, зав. № 17, рег. № 4410-А")),
        RawRow("page 2", 2, ("63-ТУ-00302-2021", "Кран мостовой")),
    ]


def test_pdf_broken_row_joins_across_a_break_typed_at_the_page_edge(tmp_path: Path) -> None:
    """A combined cell whose author broke the line right at the page's edge still continues: the
    row above plainly broke (its number cell ended with room to spare) and another cell goes on
    softly."""
    font = register_font()
    inner = [90.0, max(stringWidth(t, font, 8) for t in ("ООО «Заря»,", "г. Тула, ул.")) + 1.0, 120.0]
    first = [["63-ТУ-00301-2021"], ["ООО «Заря», ", "г. Тула, ул. "], ["ООО «Надзор»", "n@nadzor.ru"]]
    rest = [[], ["Мира, д. 1"], ["ИНН 5503221735"]]
    pdf = write_pages_pdf(tmp_path / "typed.pdf", inner, [[first], [rest]])
    assert [row.cells for row in read_rows(pdf)] == [
        (
            "63-ТУ-00301-2021",
            "ООО «Заря», г. Тула, ул. Мира, д. 1",
            "ООО «Надзор»\nn@nadzor.ru\nИНН 5503221735",
        )
    ]


def test_pdf_row_opening_a_page_after_a_complete_row_stays_a_row(tmp_path: Path) -> None:
    """A row without a number at the top of page 2 is a row of its own when the line above it ended
    with room for its first word (a typed end, not a wrap), or when it fills a column the row above
    left empty."""
    inner = [90.0, 160.0, 60.0]
    complete = [["63-ТУ-00301-2021"], ["Кран мостовой"], ["ООО «Заря»"]]
    no_number = [[], ["Сосуд под давлением"], ["ООО «Заря»"]]
    fills_empty = [[], ["Котел"], ["АО «Котлы»"]]
    short = [["63-ТУ-00302-2021"], ["Кран"], []]
    pdf = write_pages_pdf(tmp_path / "pages.pdf", inner, [[complete], [no_number], [short], [fills_empty]])
    assert [row.cells for row in read_rows(pdf)] == [
        ("63-ТУ-00301-2021", "Кран мостовой", "ООО «Заря»"),
        ("", "Сосуд под давлением", "ООО «Заря»"),
        ("63-ТУ-00302-2021", "Кран", ""),
        ("", "Котел", "АО «Котлы»"),
    ]


def test_csv_cp1251_semicolon_multiline_quoted_cell(tmp_path: Path) -> None:
    path = write_csv_cp1251(tmp_path / "register.csv")
    assert detect_format(path) == "csv"
    assert list(read_rows(path)) == [
        RawRow("", 1, (TITLE,)),
        RawRow("", 2, ("№", "Номер", "Заявитель", "Дата")),
        RawRow("", 3, ("1", "58-ТУ-01234-2018", 'ООО "Ромашка", г. Москва\nул. Ленина, 1', "01.12.2018")),
        RawRow("", 4, ()),
        RawRow("", 5, ("2", "58-ТУ-01235-2018", "ИП Иванов", "02.12.2018")),
    ]


def test_csv_utf8_bom_comma(tmp_path: Path) -> None:
    path = write_csv_utf8_bom(tmp_path / "register.txt")
    assert detect_format(path) == "csv"
    assert list(read_rows(path)) == [
        RawRow("", 1, ("Номер", "Заявитель", "Дата")),
        RawRow("", 2, ("58-ТУ-01234-2018", 'ООО "Ромашка", г. Москва', "01.12.2018")),
    ]


# --- detection ignores the extension -----------------------------------------------------------


@pytest.mark.parametrize(
    ("writer", "name", "expected"),
    [
        (write_xlsx, "register.pdf", "xlsx"),
        (write_docx, "register.xls", "docx"),
        (write_html, "register.xls", "html"),
        (write_pdf, "register.csv", "pdf"),
        (write_csv_cp1251, "register.xlsx", "csv"),
    ],
)
def test_detection_by_content_not_extension(tmp_path: Path, writer, name: str, expected: str) -> None:
    assert detect_format(writer(tmp_path / name)) == expected


def test_rtf_saved_as_doc_is_converted_like_a_doc(tmp_path: Path) -> None:
    path = tmp_path / "register.doc"
    path.write_bytes(b"{\\rtf1\\ansi{\\fonttbl\\f0\\fswiss Helvetica;}\\f0\\pard text\\par}")
    assert detect_format(path) == "doc"


# --- file-level failures -----------------------------------------------------------------------


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.xlsx"
    path.write_bytes(b"")
    error = read_error(path)
    assert (error.code, error.message) == ("file_empty", "файл пуст (0 байт)")


def test_truncated_xlsx_is_corrupt(tmp_path: Path) -> None:
    whole = write_xlsx(tmp_path / "whole.xlsx").read_bytes()
    path = tmp_path / "cut.xlsx"
    path.write_bytes(whole[: len(whole) // 2])
    error = read_error(path)
    assert error.code == "file_corrupt"
    assert error.message.startswith("zip-архив повреждён или обрезан")


def test_xlsx_with_a_damaged_sheet_is_corrupt(tmp_path: Path) -> None:
    source = write_xlsx(tmp_path / "whole.xlsx")
    path = tmp_path / "damaged.xlsx"
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(path, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            dst.writestr(
                item, b"<worksheet><sheetData><row" if item.filename == "xl/worksheets/sheet1.xml" else data
            )
    error = read_error(path)
    assert error.code == "file_corrupt"
    assert error.message.startswith("xlsx: не читается")


def test_random_bytes_are_an_unknown_format(tmp_path: Path) -> None:
    path = tmp_path / "junk.xls"
    path.write_bytes(random.Random(7).randbytes(4096))
    error = read_error(path)
    assert (error.code, error.message) == ("format_unknown", "двоичный файл неизвестного формата")


def test_zip_that_is_no_office_document(tmp_path: Path) -> None:
    path = tmp_path / "archive.xlsx"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("readme.txt", "hello")
    assert read_error(path).code == "format_unknown"


def test_text_without_column_delimiters_is_an_unknown_format(tmp_path: Path) -> None:
    path = tmp_path / "note.csv"
    path.write_text("Реестр временно недоступен\nОбратитесь позже\n", encoding="utf-8")
    error = read_error(path)
    assert (error.code, error.message) == ("format_unknown", "текстовый файл без разделителей столбцов")


def test_encrypted_xlsx(tmp_path: Path) -> None:
    pytest.importorskip("msoffcrypto", reason="msoffcrypto-tool encrypts the test workbook")
    from msoffcrypto.format.ooxml import OOXMLFile

    plain = write_xlsx(tmp_path / "plain.xlsx")
    path = tmp_path / "locked.xlsx"
    with plain.open("rb") as src, path.open("wb") as dst:
        OOXMLFile(src).encrypt("secret", dst)
    assert olefile.isOleFile(str(path))
    error = read_error(path)
    assert (error.code, error.message) == ("file_encrypted", "файл Office зашифрован паролем")


def test_encrypted_pdf(tmp_path: Path) -> None:
    error = read_error(write_pdf(tmp_path / "locked.pdf", password="secret"))
    assert (error.code, error.message) == ("file_encrypted", "PDF защищён паролем")


def test_pdf_without_text_layer(tmp_path: Path) -> None:
    error = read_error(write_scanned_pdf(tmp_path / "scan.pdf"))
    assert error.code == "pdf_no_text"


@needs_soffice
def test_encrypted_doc_is_refused_before_conversion(office_files: dict[str, Path], tmp_path: Path) -> None:
    path = tmp_path / "locked.doc"
    shutil.copyfile(office_files["doc"], path)
    with olefile.OleFileIO(str(path), write_mode=True) as ole:
        stream = bytearray(ole.openstream("WordDocument").read())
        stream[0x0B] |= 0x01  # fEncrypted: bit 8 of the FIB flags word at offset 0x0A
        ole.write_stream("WordDocument", bytes(stream))
    error = read_error(path)
    assert (error.code, error.message) == ("file_encrypted", "doc: документ Word защищён паролем")


@needs_soffice
def test_doc_without_libreoffice(office_files: dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(doc_reader.shutil, "which", lambda name: None)
    error = read_error(office_files["doc"])
    assert error.code == "conversion_failed"
    assert "не установлен" in error.message


@needs_soffice
def test_doc_conversion_timeout(
    office_files: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    slow = tmp_path / "soffice"
    slow.write_text("#!/bin/sh\nsleep 30\n")
    slow.chmod(0o755)
    monkeypatch.setattr(doc_reader, "soffice_binary", lambda: str(slow))
    monkeypatch.setattr(doc_reader, "CONVERT_TIMEOUT", 0.5)
    error = read_error(office_files["doc"])
    assert (error.code, error.message) == (
        "conversion_failed",
        "LibreOffice не уложился в 0.5 с и был остановлен",
    )


def test_library_exceptions_become_read_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import openepb.read.csv as csv_reader

    def broken(path: Path):
        raise ValueError("boom")
        yield  # pragma: no cover

    monkeypatch.setattr(csv_reader, "read_csv", broken)
    error = read_error(write_csv_cp1251(tmp_path / "a.csv"))
    assert (error.code, error.message) == ("file_corrupt", "csv: файл не читается (ValueError: boom)")


def test_explicit_format_skips_detection_and_unknown_format_is_refused(tmp_path: Path) -> None:
    path = write_csv_cp1251(tmp_path / "a.bin")
    assert next(iter(read_rows(path, "csv"))) == RawRow("", 1, (TITLE,))
    assert read_error(path, "odt").code == "format_unknown"


# --- small pieces ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, ""),
        (43000.0, "43000"),
        (1.5, "1.5"),
        (1e-05, "0.00001"),
        (-3.0, "-3"),
        (7, "7"),
        (True, "True"),
        (dt.date(2018, 12, 1), "2018-12-01"),
        (dt.datetime(2018, 12, 1), "2018-12-01"),
        (dt.datetime(2018, 12, 1, 9, 5, 7, 12), "2018-12-01T09:05:07"),
        (dt.time(10, 30), "10:30:00"),
        ("  a\r\nb\r ", "a\nb"),
    ],
)
def test_value_text(value: object, text: str) -> None:
    assert value_text(value) == text


def test_expand_spans_places_cells_around_rowspans() -> None:
    rows = [[("a", 2, 1), ("b", 1, 2)], [("c", 1, 1), ("d", 1, 1)], [("e", 1, 3)]]
    assert expand_spans(rows) == [["a", "b", "b"], ["a", "c", "d"], ["e", "e", "e"]]


@pytest.mark.parametrize(
    ("lines", "delimiter"),
    [
        (["a;b,c", "d;e"], ";"),
        (["a\tb", "c\td", "e"], "\t"),
        (["a|b|c"], "|"),
        (["a", "b", "c;d"], None),
    ],
)
def test_sniff_delimiter(lines: list[str], delimiter: str | None) -> None:
    assert sniff_delimiter(lines) == delimiter


def test_wraps_widths_cannot_decide_are_decided_by_the_documents_own_words() -> None:
    """A one-word line full to the edge is a split word or a wrap at a dropped space. The join written
    whole elsewhere in the file, or listed in the dictionary, joins; two pieces written whole elsewhere,
    or both listed while their join is not, stay apart; without evidence it joins (a split word)."""
    from openepb.read.pdf import AMBIGUOUS_WRAP as W
    from openepb.read.pdf import resolve_ambiguous_wraps

    rows = [
        RawRow("page 1", 1, (f"ООО «Энергосбыт{W}комплект»", f"Сибтех{W}монтаж")),
        RawRow("page 1", 2, ("ООО «Энергосбыткомплект»", "Контур Плюс")),
        RawRow("page 1", 3, (f"техническое устройство{W}на площадке", f"Подъёмни{W}к", f"газоочистк{W}и,")),
        RawRow(
            "page 1",
            4,
            (f"по хранению{W}и перевалке", f"ООО «Липецкая{W}литейная компания»", f"Альфа{W}Контур"),
        ),
        RawRow("page 1", 5, ("Альфа-Строй",)),
    ]
    assert [row.cells for row in resolve_ambiguous_wraps(rows)] == [
        ("ООО «Энергосбыткомплект»", "Сибтехмонтаж"),
        ("ООО «Энергосбыткомплект»", "Контур Плюс"),
        ("техническое устройство на площадке", "Подъёмник", "газоочистки,"),
        ("по хранению и перевалке", "ООО «Липецкая литейная компания»", "Альфа Контур"),
        ("Альфа-Строй",),
    ]


def _zip_bomb(path: Path, inflated: int) -> Path:
    """An xlsx-looking zip whose sheet inflates to ``inflated`` bytes of zeros (about 1000:1)."""
    chunk = b"\0" * 2**20
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/workbook.xml", "<workbook/>")
        with z.open("xl/worksheets/sheet1.xml", "w") as member:
            for _ in range(inflated // len(chunk)):
                member.write(chunk)
    return path


def test_a_zip_bomb_is_refused_by_its_declared_sizes_before_inflating(tmp_path: Path) -> None:
    from openepb.build.pipeline import SourceFile, process_file

    bomb = _zip_bomb(tmp_path / "reestr.xlsx", 64 * 2**20)
    assert bomb.stat().st_size < 2**20
    with pytest.raises(ReadError) as caught:
        detect_format(bomb)
    assert caught.value.code == "archive_oversize"
    assert "sheet1.xml" in caught.value.message
    outcome = process_file(SourceFile("mos", bomb, "mos/reestr.xlsx"))
    assert outcome.problem is not None and outcome.problem.code == "archive_oversize"
    assert outcome.result is None


def _with_member(source: Path, target: Path, name: str, data: bytes) -> Path:
    """``source``'s workbook with the member ``name`` replaced by ``data`` (deflated)."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as new:
        for info in old.infolist():
            if info.filename != name:
                new.writestr(info, old.read(info))
        new.writestr(name, data)
    return target


def _declare_size(path: Path, name: str, declared: int) -> Path:
    """Make the zip state ``declared`` bytes (and the CRC of that prefix) for ``name``, in the local
    header and the central directory, whatever the member really inflates to."""
    import struct
    import zlib

    with zipfile.ZipFile(path) as z:
        info = z.getinfo(name)
        with z.open(info) as member:
            crc = zlib.crc32(member.read(declared))
    data = bytearray(path.read_bytes())
    local = info.header_offset
    assert not struct.unpack_from("<H", data, local + 6)[0] & 0x08  # sizes in the local header
    struct.pack_into("<I", data, local + 14, crc)
    struct.pack_into("<I", data, local + 22, declared)
    central = data.find(b"PK\x01\x02")
    while central != -1:
        length = struct.unpack_from("<H", data, central + 28)[0]
        if bytes(data[central + 46 : central + 46 + length]) == name.encode():
            struct.pack_into("<I", data, central + 16, crc)
            struct.pack_into("<I", data, central + 24, declared)
            break
        central = data.find(b"PK\x01\x02", central + 4)
    else:
        raise AssertionError(f"{name} not in the central directory")
    path.write_bytes(bytes(data))
    return path


def _no_workbook_opened(monkeypatch: pytest.MonkeyPatch) -> None:
    import python_calamine

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the workbook was opened")

    monkeypatch.setattr(python_calamine.CalamineWorkbook, "from_path", refuse)


def test_a_shared_strings_bomb_is_refused_unread_by_the_build_and_the_validator(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Shared strings (not a sheet) that inflate to 32 MB at over 200:1: refused before any reader
    opens the workbook, in the build's worker and in the validator alike."""
    from openepb.build.pipeline import SourceFile, process_file
    from openepb.validate.check import validate_file

    strings = ("<sst>" + "<si><t>Заключение</t></si>" * (32 * 2**20 // 36) + "</sst>").encode()
    bomb = _with_member(
        write_xlsx(tmp_path / "good.xlsx"), tmp_path / "bomb.xlsx", "xl/sharedStrings.xml", strings
    )
    assert bomb.stat().st_size * 200 < len(strings)
    _no_workbook_opened(monkeypatch)
    outcome = process_file(SourceFile("mos", bomb, "mos/bomb.xlsx"))
    assert outcome.problem is not None and outcome.problem.code == "archive_oversize"
    assert "sharedStrings.xml" in (outcome.problem.detail or "")
    assert outcome.result is None
    report = validate_file(bomb)
    assert (report.status, report.code, report.records) == ("unreadable", "xlsx_unreadable", 0)
    assert "zip-бомбу" in (report.message or "")


def test_a_sheet_larger_than_its_declared_size_is_refused_without_rows(tmp_path: Path) -> None:
    """A sheet that declares 64 KB but inflates to 32 MB passes the declared-size check; reading
    stops where the declared size ends, and the file is refused with no row taken from it."""
    from openepb.build.pipeline import SourceFile, process_file
    from openepb.validate.check import validate_file

    good = write_xlsx(tmp_path / "good.xlsx")
    with zipfile.ZipFile(good) as z:
        sheet = z.read("xl/worksheets/sheet1.xml")
    head, tail = sheet.split(b"</sheetData>")
    filler = b'<row r="100"><c r="A100" t="inlineStr"><is><t>x</t></is></c></row>' * (32 * 2**20 // 64)
    bomb = _with_member(
        good, tmp_path / "bomb.xlsx", "xl/worksheets/sheet1.xml", head + filler + b"</sheetData>" + tail
    )
    _declare_size(bomb, "xl/worksheets/sheet1.xml", 2**16)
    assert detect_format(bomb) == "xlsx"  # the declared sizes are harmless
    outcome = process_file(SourceFile("mos", bomb, "mos/bomb.xlsx"))
    assert outcome.problem is not None and outcome.problem.code == "file_corrupt"
    assert "declared" in (outcome.problem.detail or "")
    assert outcome.result is None
    report = validate_file(bomb)
    assert (report.status, report.code, report.records) == ("unreadable", "xlsx_unreadable", 0)


@pytest.mark.parametrize(
    ("sizes", "refused"),
    [
        ([(10 * 2**20, 2**20)], False),  # a register sheet compressed ten times
        ([(15 * 2**20, 1000)], False),  # a small member may compress as much as it likes
        ([(100 * 2**20, 2**20)], False),  # 100:1 is still a workbook
        ([(100 * 2**20, 2**18)], True),  # 400:1 over 16 MB is not
        ([(800 * 2**20, 80 * 2**20)], True),  # one member over 768 MB
        ([(600 * 2**20, 60 * 2**20), (600 * 2**20, 60 * 2**20)], True),  # over 1 GB in all
    ],
)
def test_inflated_size_limits(sizes: list[tuple[int, int]], refused: bool) -> None:
    from openepb.read.detect import check_inflated_sizes

    members = []
    for i, (inflated, compressed) in enumerate(sizes):
        info = zipfile.ZipInfo(f"xl/worksheets/sheet{i}.xml")
        info.file_size, info.compress_size = inflated, compressed
        members.append(info)
    if refused:
        with pytest.raises(ReadError) as caught:
            check_inflated_sizes(members)
        assert caught.value.code == "archive_oversize"
    else:
        check_inflated_sizes(members)
