"""Small files of every format, written with the plain libraries, for the reader tests."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from pathlib import Path

import docx
import openpyxl
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.pdfencrypt import StandardEncryption
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas
from reportlab.platypus import Paragraph, SimpleDocTemplate, Table, TableStyle

FONT_FILE = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")


def write_xlsx(path: Path) -> Path:
    """Two sheets: a title merged across the header, dates, serial numbers, a vertical merge."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "2018"
    ws["B2"] = "Реестр заключений ЭПБ"
    ws.merge_cells("B2:E2")
    ws.append([None, "№", "Номер", "Дата", "Заявитель"])
    ws.append([None, 1, "58-ТУ-01234-2018", dt.date(2018, 12, 1), 'ООО "Ромашка"\nг. Москва'])
    ws.append([None, 2.5, "58-ТУ-01235-2018", 43000, "ИП Иванов"])
    ws.append([None, 3, "58-ТУ-01236-2018", dt.datetime(2018, 12, 3, 10, 30), None])
    ws.merge_cells("E5:E6")
    ws.append([])
    ws.append([None, "Итого: 3"])
    ws["D4"].number_format = "DD.MM.YYYY"
    ws["D6"].number_format = "DD.MM.YYYY HH:MM"
    second = wb.create_sheet("Исключённые")
    second["A1"] = "Номер"
    second["A2"] = "58-ЗС-00001-2017"
    wb.save(path)
    return path


def soffice_convert(source: Path, target_format: str, outdir: Path) -> Path:
    """Convert with LibreOffice in a private profile; the converted file's path."""
    soffice = shutil.which("soffice")
    assert soffice, "LibreOffice is required"
    outdir.mkdir(parents=True, exist_ok=True)
    profile = (outdir / "profile").as_uri()
    subprocess.run(
        [
            soffice,
            "--headless",
            "--norestore",
            f"-env:UserInstallation={profile}",
            "--convert-to",
            target_format,
        ]
        + ["--outdir", str(outdir), str(source)],
        check=True,
        capture_output=True,
        timeout=180,
    )
    return outdir / f"{source.stem}.{target_format}"


HTML_PAGE = """<!DOCTYPE html>
<html><head><meta http-equiv="Content-Type" content="text/html; charset=windows-1251">
<title>Реестр заключений</title></head><body>
<table class="layout"><tr><td>Меню</td><td>
  <table border="1">
    <tr><th rowspan="2">№</th><th colspan="2">Заявитель</th><th rowspan="2">Номер</th></tr>
    <tr><th>Наименование</th><th>Адрес</th></tr>
    <tr><td>1</td><td>ООО «Ромашка»<br>ИНН 7701234567</td><td>г. Москва,
        ул. Ленина, д. 1</td><td>58-ТУ-01234-2018</td></tr>
    <!-- a comment between rows -->
    <tr><td>2</td><td colspan="2">ИП Иванов</td><td rowspan="2">&nbsp;58-ТУ-01235-2018 </td></tr>
    <tr><td>3</td><td>АО «Лютик»</td><td>г. Тула</td></tr>
  </table>
</td></tr></table>
<table><tr><td>Контакты</td></tr></table>
</body></html>
"""


def write_html(path: Path) -> Path:
    """A windows-1251 page: a layout table around the register, a footer table after it."""
    path.write_bytes(HTML_PAGE.encode("cp1251"))
    return path


def write_docx(path: Path) -> Path:
    """A title paragraph, a table with vertical and horizontal merges and a nested table, and a second table."""
    document = docx.Document()
    document.add_paragraph("Реестр заключений")
    table = document.add_table(rows=4, cols=4)
    texts = [["№", "Заявитель", "", "Номер"], ["", "Наименование", "Адрес", ""]]
    texts += [
        ["1", "ООО «Ромашка»", "г. Москва", "58-ТУ-01234-2018"],
        ["2", "ИП Иванов", "", "58-ТУ-01235-2018"],
    ]
    for r, row in enumerate(texts):
        for c, text in enumerate(row):
            table.cell(r, c).text = text
    table.cell(0, 0).merge(table.cell(1, 0)).text = "№"
    table.cell(0, 1).merge(table.cell(0, 2)).text = "Заявитель"
    table.cell(0, 3).merge(table.cell(1, 3)).text = "Номер"
    table.cell(3, 1).merge(table.cell(3, 2)).text = "ИП Иванов"
    table.cell(3, 1).add_paragraph("г. Тула")
    table.cell(2, 0).add_table(rows=1, cols=1).cell(0, 0).text = "вложенная"
    document.add_paragraph("Исключённые")
    second = document.add_table(rows=1, cols=2)
    second.cell(0, 0).text = "58-ЗС-00001-2017"
    document.add_paragraph("Начальник отдела")  # Word ends a document with a paragraph, not a table
    document.save(path)
    return path


PDF_ROWS = 15


def register_font() -> str:
    """DejaVuSans for Cyrillic text in reportlab."""
    pdfmetrics.registerFont(TTFont("DejaVuSans", str(FONT_FILE)))
    return "DejaVuSans"


def write_pdf(path: Path, password: str | None = None) -> Path:
    """A ruled table with a repeated header, tall rows so that it spans exactly three pages."""
    font = register_font()
    rows = [["№", "Номер", "Заявитель"]]
    rows += [[str(i), f"58-ТУ-{i:05d}-2018", f"ООО «Ромашка {i}»\nг. Москва"] for i in range(1, PDF_ROWS + 1)]
    encrypt = StandardEncryption(password) if password else None
    document = SimpleDocTemplate(str(path), pagesize=A4, encrypt=encrypt)
    # the address column is wide enough for «г.» after the name: the line break there is typed
    table = Table(rows, repeatRows=1, colWidths=[30, 120, 200], rowHeights=[40] + [100] * PDF_ROWS)
    table.setStyle(
        TableStyle([("FONTNAME", (0, 0), (-1, -1), font), ("GRID", (0, 0), (-1, -1), 0.5, colors.black)])
    )
    document.build([table])
    return path


def write_merged_pdf(path: Path) -> Path:
    """One page: a title spanning the table, a header cell spanning two rows, a data cell spanning two rows."""
    font = register_font()
    rows = [["Реестр", "", ""], ["№", "Заявитель", ""], ["", "Наименование", "Адрес"]]
    rows += [["1", "ООО «Ромашка»", "г. Тула"], ["2", "", ""]]
    table = Table(rows)
    style = [("FONTNAME", (0, 0), (-1, -1), font), ("GRID", (0, 0), (-1, -1), 0.5, colors.black)]
    style += [
        ("SPAN", (0, 0), (2, 0)),
        ("SPAN", (1, 1), (2, 1)),
        ("SPAN", (0, 1), (0, 2)),
        ("SPAN", (1, 3), (1, 4)),
    ]
    table.setStyle(TableStyle(style))
    SimpleDocTemplate(str(path), pagesize=A4).build([table])
    return path


#: (cell width in pt, Paragraph markup) of the one-row table of ``write_wrapped_pdf``; reportlab
#: pads a cell by 6 pt on each side and splits a word too long for the cell mid-word.
WRAPPED_PDF_CELLS = [
    (
        120,
        "Заключение экспертизы промышленной безопасности на техническое устройство, "
        "применяемое на опасном производственном объекте",
    ),
    (150, "ООО «Ромашка»<br/>г. Москва"),
    (80, "тел. 8(473)200-00-00"),
    (50, "Газпромнефтьхимсалаватпроект"),
    (96, "АО «Газпромнефть-ОНПЗ»"),
]


def write_wrapped_pdf(
    path: Path, cells: list[tuple[int, str]] = WRAPPED_PDF_CELLS, producer: str = "Microsoft® Word 2016"
) -> Path:
    """One row of Paragraph cells that wrap, under the producer name an office's PDF would carry."""
    style = ParagraphStyle("cell", fontName=register_font(), fontSize=8, leading=10)
    row = [Paragraph(text, style) for _, text in cells]
    table = Table([row], colWidths=[width for width, _ in cells])
    table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.5, colors.black)]))
    SimpleDocTemplate(str(path), pagesize=A4, producer=producer).build([table])
    return path


def write_scanned_pdf(path: Path) -> Path:
    """A page with only a drawn rectangle: no text layer, like a scan."""
    page = canvas.Canvas(str(path), pagesize=A4)
    page.rect(100, 100, 300, 400, fill=1)
    page.showPage()
    page.save()
    return path


CSV_TEXT = (
    "Реестр заключений ЭПБ\r\n"
    "№;Номер;Заявитель;Дата\r\n"
    '1;58-ТУ-01234-2018;"ООО ""Ромашка"", г. Москва\r\nул. Ленина, 1";01.12.2018\r\n'
    "\r\n"
    "2;58-ТУ-01235-2018; ИП Иванов ;02.12.2018\r\n"
)


def write_csv_cp1251(path: Path) -> Path:
    path.write_bytes(CSV_TEXT.encode("cp1251"))
    return path


def write_csv_utf8_bom(path: Path) -> Path:
    text = 'Номер,Заявитель,Дата\n58-ТУ-01234-2018,"ООО ""Ромашка"", г. Москва",01.12.2018\n'
    path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    return path
