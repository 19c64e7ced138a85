"""Write a layout as an office would: xlsx, csv, html, docx, and PDF exported from Word by LibreOffice.

Plain libraries only (openpyxl, csv, python-docx, LibreOffice); nothing from the project's demo writers.
"""

from __future__ import annotations

import csv
import datetime as dt
import html
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import docx
import openpyxl
from docx.enum.section import WD_ORIENT
from docx.oxml import OxmlElement
from docx.shared import Cm, Pt
from openpyxl.styles import Alignment

from metamorphic.layouts import Cell, Layout

SUFFIX = {"xlsx": ".xlsx", "csv": ".csv", "html": ".html", "docx": ".docx", "pdf": ".docx"}


def text(cell: Cell) -> str:
    if isinstance(cell, dt.date):
        return cell.strftime("%d.%m.%Y")
    return str(cell)


def header_texts(layout: Layout) -> list[list[str]]:
    """Header rows as a format without merged cells writes them: a merged text in its first cell only."""
    rows = [list(r) for r in layout.header_rows]
    for r0, c0, r1, c1 in layout.merges:
        for r in range(r0, r1 + 1):
            for c in range(c0, c1 + 1):
                if (r, c) != (r0, c0):
                    rows[r][c] = ""
    return rows


def colnum_row(layout: Layout) -> list[str]:
    return [str(i) for i in range(1, layout.width + 1)]


def write_xlsx(layout: Layout, path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Реестр"
    width = layout.width
    for title in layout.titles:
        ws.append([title])
        ws.merge_cells(start_row=ws.max_row, start_column=1, end_row=ws.max_row, end_column=width)
    first = ws.max_row + 1 if layout.titles else 1
    for row in header_texts(layout):
        ws.append(row)
    for r0, c0, r1, c1 in layout.merges:
        ws.merge_cells(start_row=first + r0, start_column=c0 + 1, end_row=first + r1, end_column=c1 + 1)
    if layout.colnum:
        ws.append([int(n) for n in colnum_row(layout)])
    for row in layout.body:
        ws.append(list(row))
        for cell in ws[ws.max_row]:
            if isinstance(cell.value, dt.date):
                cell.number_format = "DD.MM.YYYY"
            elif isinstance(cell.value, str) and "\n" in cell.value:
                cell.alignment = Alignment(wrap_text=True)
    wb.save(path)


def write_csv(layout: Layout, path: Path) -> None:
    v = layout.variant
    rows = [[t] + [""] * (layout.width - 1) for t in layout.titles] + header_texts(layout)
    if layout.colnum:
        rows.append(colnum_row(layout))
    rows += [[text(c) for c in row] for row in layout.body]
    with path.open("w", encoding=v.encoding, newline="") as f:
        csv.writer(f, delimiter=v.delimiter, lineterminator="\r\n").writerows(rows)


def _html_cell(tag: str, value: str, span: str = "") -> str:
    return f"<{tag}{span}>{html.escape(value).replace(chr(10), '<br>')}</{tag}>"


def write_html(layout: Layout, path: Path) -> None:
    v = layout.variant
    lines = [
        "<!DOCTYPE html>",
        f'<html><head><meta charset="{v.encoding}"><title>Реестр заключений ЭПБ</title></head><body>',
    ]
    lines += [f"<p><b>{html.escape(t)}</b></p>" for t in layout.titles]
    lines.append('<table border="1" cellpadding="2"><thead>')
    covered = {
        (r, c) for r0, c0, r1, c1 in layout.merges for r in range(r0, r1 + 1) for c in range(c0, c1 + 1)
    }
    starts = {(r0, c0): (r1 - r0 + 1, c1 - c0 + 1) for r0, c0, r1, c1 in layout.merges}
    for r, row in enumerate(layout.header_rows):
        cells = []
        for c, value in enumerate(row):
            if (r, c) in starts:
                rows, cols = starts[(r, c)]
                span = (f' rowspan="{rows}"' if rows > 1 else "") + (f' colspan="{cols}"' if cols > 1 else "")
                cells.append(_html_cell("th", value, span))
            elif (r, c) not in covered:
                cells.append(_html_cell("th", value))
        lines.append("<tr>" + "".join(cells) + "</tr>")
    lines.append("</thead><tbody>")
    if layout.colnum:
        lines.append("<tr>" + "".join(_html_cell("td", n) for n in colnum_row(layout)) + "</tr>")
    for row in layout.body:
        lines.append("<tr>" + "".join(_html_cell("td", text(c)) for c in row) + "</tr>")
    lines.append("</tbody></table></body></html>")
    path.write_bytes("\n".join(lines).encode(v.encoding))


def write_docx(layout: Layout, path: Path) -> None:
    """A landscape Word table with a grid; merged header cells; titles as paragraphs above it."""
    document = docx.Document()
    section = document.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = section.page_height, section.page_width
    for margin in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, margin, Cm(1.5))
    style = document.styles["Normal"]
    style.font.name = "Times New Roman"
    style.font.size = Pt(8)
    for title in layout.titles:
        document.add_paragraph(title)
    rows = len(layout.header_rows) + int(layout.colnum) + len(layout.body)
    table = document.add_table(rows=rows, cols=layout.width)
    table.style = "Table Grid"
    if layout.variant.has("rows_keep"):  # «не разрывать строку при переходе на другую страницу»
        for row in table.rows:
            row._tr.get_or_add_trPr().append(OxmlElement("w:cantSplit"))
    grid = [row.cells for row in table.rows]
    for r, row in enumerate(header_texts(layout)):
        for c, value in enumerate(row):
            if value:
                grid[r][c].text = value
    for r0, c0, r1, c1 in layout.merges:
        merged = grid[r0][c0].merge(grid[r1][c1])
        merged.text = layout.header_rows[r0][c0]
    offset = len(layout.header_rows)
    if layout.colnum:
        for c, n in enumerate(colnum_row(layout)):
            grid[offset][c].text = n
        offset += 1
    for r, row in enumerate(layout.body):
        cells = grid[offset + r]
        for c, value in enumerate(row):
            cells[c].text = text(value)
    document.save(path)


WRITERS = {"xlsx": write_xlsx, "csv": write_csv, "html": write_html, "docx": write_docx, "pdf": write_docx}


def soffice_binary() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def convert_to_pdf(sources: list[Path], outdir: Path) -> dict[Path, Path]:
    """Export several Word files to PDF in one LibreOffice run (a private profile, so runs can overlap)."""
    if not sources:
        return {}
    soffice = soffice_binary()
    if soffice is None:
        raise RuntimeError("LibreOffice (soffice) is not installed")
    outdir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="metamorphic-soffice-") as profile:
        subprocess.run(
            [
                soffice,
                "--headless",
                "--norestore",
                f"-env:UserInstallation={Path(profile).as_uri()}",
                "--convert-to",
                "pdf:writer_pdf_Export",
                "--outdir",
                str(outdir),
                *map(str, sources),
            ],
            check=True,
            capture_output=True,
            timeout=300,
            env={**os.environ, "SAL_USE_VCLPLUGIN": "svp"},
        )
    converted = {source: outdir / f"{source.stem}.pdf" for source in sources}
    missing = [str(s) for s, pdf in converted.items() if not pdf.is_file()]
    if missing:
        raise RuntimeError(f"LibreOffice wrote no PDF for {missing}")
    return converted
