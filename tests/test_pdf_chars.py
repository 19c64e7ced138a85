"""The PDF reader on PDFium's chars: the rows of the pdfminer reader, and the geometry of hand-drawn PDFs.

The pdfminer reader (``read_pdf_pdfplumber``) reads chars and ruling lines by another library's
own interpreter, so equal rows on the same files check how PDFium's chars, boxes and edges are
taken off the page. The hand-drawn PDFs state their truth by construction: the cells are where the
rectangles were drawn, the words are the strings drawn, the wraps are made with reportlab's widths.
"""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import pdfplumber.table
import pytest
from fixtures_readers import (
    register_font,
    soffice_convert,
    write_docx,
    write_merged_pdf,
    write_pdf,
    write_wrapped_pdf,
)
from hypothesis import given, settings
from hypothesis import strategies as st
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen import canvas

from openepb.read import ReadError, pdf_chars
from openepb.read.pdf import read_pdf, read_pdf_pdfplumber

needs_soffice = pytest.mark.skipif(
    shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed"
)
PAGE_HEIGHT = A4[1]


def write_demo_register(path: Path) -> Path:
    """A register as the demo corpus writes it: long wrapped cells over several pages."""
    from openepb.demo.writers import Table
    from openepb.demo.writers import write_pdf as write_table_pdf

    rng = random.Random(7)
    words = [
        "Документация",
        "на",
        "техническое",
        "перевооружение",
        "опасного",
        "производственного",
        "объекта",
        "котельной",
    ]
    header = ["№", "Регистрационный номер", "Объект экспертизы", "Заявитель"]
    rows = [
        [
            str(i),
            f"66-ТП-{rng.randrange(10**5):05d}-20{rng.randrange(14, 26)}",
            " ".join(rng.choices(words, k=rng.randrange(3, 14))),
            f"ООО «{rng.choice(words).capitalize()}-{rng.choice(words)}»",
        ]
        for i in range(1, 90)
    ]
    write_table_pdf(path, Table([header, *rows], header_rows=(0, 1)))
    return path


@pytest.mark.parametrize(
    "write", [write_pdf, write_merged_pdf, write_wrapped_pdf, write_demo_register], ids=lambda f: f.__name__
)
def test_pdfium_reader_gives_the_rows_of_the_pdfminer_reader(tmp_path: Path, write) -> None:
    path = write(tmp_path / "register.pdf")
    rows = list(read_pdf(path))
    assert rows
    assert rows == list(read_pdf_pdfplumber(path))


@needs_soffice
def test_pdfium_reader_gives_the_rows_of_the_pdfminer_reader_on_a_libreoffice_export(tmp_path: Path) -> None:
    path = soffice_convert(write_docx(tmp_path / "register.docx"), "pdf", tmp_path)
    rows = list(read_pdf(path))
    assert len(rows) > 1
    assert rows == list(read_pdf_pdfplumber(path))


# Edges on a small lattice: horizontal (y, x0, x1) and vertical (x, y0, y1) segments.
lattice = st.integers(0, 6).map(lambda v: v * 20.0)
segments = st.lists(st.tuples(lattice, lattice, lattice), min_size=2, max_size=14)


def edge(orientation: str, at: float, start: float, end: float) -> dict:
    start, end = min(start, end), max(start, end)
    if orientation == "h":
        return {"x0": start, "x1": end, "top": at, "bottom": at, "orientation": "h"}
    return {"x0": at, "x1": at, "top": start, "bottom": end, "orientation": "v"}


@settings(max_examples=200, deadline=None)
@given(horizontal=segments, vertical=segments)
def test_cells_from_intersections_are_pdfplumbers(horizontal, vertical) -> None:
    edges = [edge("h", *s) for s in horizontal if s[1] != s[2]] + [
        edge("v", *s) for s in vertical if s[1] != s[2]
    ]
    intersections = pdfplumber.table.edges_to_intersections(edges, 3, 3)
    assert pdf_chars.intersections_to_cells(intersections) == pdfplumber.table.intersections_to_cells(
        intersections
    )


def draw_table(
    path: Path, widths: list[float], rows: list[list[list[str]]], ruled: bool = True
) -> list[tuple]:
    """A table of the given column widths, each cell's lines drawn as given; the cell boxes drawn
    (x0, top, x1, bottom from the page's top), row by row."""
    font, size, pad, leading = register_font(), 8, 4.0, 10
    page = canvas.Canvas(str(path), pagesize=A4)
    page.setFont(font, size)
    top, boxes = 800.0, []
    for row in rows:
        height = leading * max(len(lines) for lines in row) + 2 * pad
        x = 40.0
        for width, lines in zip(widths, row, strict=True):
            if ruled:
                page.rect(x, top - height, width, height)
            for i, line in enumerate(lines):
                page.drawString(x + pad, top - pad - size - i * leading, line)
            boxes.append((x, PAGE_HEIGHT - top, x + width, PAGE_HEIGHT - top + height))
            x += width
        top -= height
    page.showPage()
    page.save()
    return boxes


def test_cells_are_the_rectangles_drawn(tmp_path: Path) -> None:
    widths = [30.0, 95.5, 160.25]
    rows = [[["№"], ["Номер"], ["Заявитель"]], [["1"], ["66-ТП-1-2016"], ["АО «Заря»", "г. Омск"]]]
    boxes = draw_table(tmp_path / "t.pdf", widths, rows)
    [page] = list(pdf_chars.pages(tmp_path / "t.pdf"))
    assert page is not None
    [table] = page.find_tables()
    cells = sorted(table.cells)
    assert len(cells) == len(boxes)
    for cell, box in zip(cells, sorted(boxes), strict=True):
        assert cell == pytest.approx(box, abs=1e-3)


def test_chars_stand_where_they_were_drawn(tmp_path: Path) -> None:
    font, size = register_font(), 8
    path = tmp_path / "chars.pdf"
    page = canvas.Canvas(str(path), pagesize=A4)
    page.setFont(font, size)
    page.drawString(100, 700, "Ж 7")
    page.showPage()
    page.save()
    [read] = list(pdf_chars.pages(path))
    assert read is not None
    assert [c["text"] for c in read.chars] == ["Ж", " ", "7"]
    first = read.chars[0]
    assert first["x0"] == pytest.approx(100, abs=1e-3)
    assert first["x1"] == pytest.approx(100 + stringWidth("Ж", font, size), abs=0.01)
    assert first["size"] == pytest.approx(size)
    assert first["bottom"] - first["top"] == pytest.approx(size)
    assert first["top"] < PAGE_HEIGHT - 700 < first["bottom"]  # the baseline crosses the box
    assert all(c["upright"] for c in read.chars)


def test_soft_wraps_join_and_typed_breaks_stay_on_pdfium_chars(tmp_path: Path) -> None:
    """Widths set so that the next line's first word would not have fitted (a soft wrap: a space, or
    nothing after a hyphen) or would have (a break the author typed)."""
    font, size, pad = register_font(), 8, 4.0
    soft = ["Документация на", "перевооружение"]
    hyphen = ["АО «Газпром-", "нефть»"]
    typed = ["ООО «Заря»", "тел. 1"]

    def width(lines: list[str]) -> float:  # just wider than the widest line, plus both paddings
        return max(stringWidth(line, font, size) for line in lines) + 1.0 + 2 * pad

    widths = [width(soft), width(hyphen), max(width(typed), stringWidth("ООО «Заря» тел.", font, size) + 12)]
    draw_table(tmp_path / "wrap.pdf", widths, [[soft, hyphen, typed]])
    [row] = list(read_pdf(tmp_path / "wrap.pdf"))
    assert row.cells == ("Документация на перевооружение", "АО «Газпром-нефть»", "ООО «Заря»\nтел. 1")


def test_columns_from_the_alignment_of_words_on_a_page_without_rules(tmp_path: Path) -> None:
    rows = [
        [["№"], ["Номер"], ["Заявитель"]],
        [["1"], ["66-ТП-00001-2016"], ["АО Заря"]],
        [["2"], ["66-ТУ-00002-2017"], ["ООО Восход"]],
        [["3"], ["74-ЗС-00003-2018"], ["ПАО Рассвет"]],
    ]
    path = tmp_path / "unruled.pdf"
    draw_table(path, [40.0, 120.0, 120.0], rows, ruled=False)
    [page] = list(pdf_chars.pages(path))
    assert page is not None and page.edges == []
    read = [row.cells for row in read_pdf(path) if any(row.cells)]
    # Every value reads back whole, the last column's widest ones («ООО Восход», «ПАО Рассвет»,
    # wider than the header the columns are aligned by) too.
    assert read == [tuple(lines[0] for lines in row) for row in rows]
    assert list(read_pdf(path)) == list(read_pdf_pdfplumber(path))


def test_a_file_pdfium_cannot_open_is_corrupt(tmp_path: Path) -> None:
    path = write_pdf(tmp_path / "register.pdf")
    path.write_bytes(path.read_bytes()[:300])
    with pytest.raises(ReadError) as error:
        list(read_pdf(path))
    assert error.value.code == "file_corrupt"


def test_chars_of_a_font_with_fractional_widths_stand_where_its_widths_put_them(tmp_path: Path) -> None:
    """reportlab writes the font's exact widths (641.1133), which PDFium cuts to whole thousandths:
    along a long line the chars must still stand where the exact widths put them."""
    font, size = register_font(), 10
    text = "Документация на техническое перевооружение опасного производственного объекта"
    path = tmp_path / "long.pdf"
    page = canvas.Canvas(str(path), pagesize=A4)
    page.setFont(font, size)
    page.drawString(50, 700, text)
    page.showPage()
    page.save()
    [read] = list(pdf_chars.pages(path))
    assert read is not None
    assert "".join(c["text"] for c in read.chars) == text
    for i, char in enumerate(read.chars):
        assert char["x0"] == pytest.approx(50 + stringWidth(text[:i], font, size), abs=0.005), (i, char)
        assert char["x1"] == pytest.approx(50 + stringWidth(text[: i + 1], font, size), abs=0.005), (i, char)


def test_a_cell_of_rotated_text_is_read(tmp_path: Path) -> None:
    """A cell with text turned upright along its side goes to pdfplumber's text, which wants each
    char's ``doctop``: PDFium's chars must read there as pdfminer's do."""
    font, size = register_font(), 8
    path = tmp_path / "rotated.pdf"
    page = canvas.Canvas(str(path), pagesize=A4)
    page.setFont(font, size)
    page.rect(40, 600, 60, 100)
    page.rect(100, 600, 100, 100)
    page.saveState()
    page.translate(60, 610)
    page.rotate(90)
    page.drawString(0, 0, "Номер дела")
    page.restoreState()
    page.drawString(104, 688, "ООО Восход")
    page.showPage()
    page.save()
    [row] = list(read_pdf(path))
    rotated, upright = row.cells
    assert upright == "ООО Восход"
    assert sorted(rotated.replace("\n", "").replace(" ", "")) == sorted("Номердела")
    assert [row] == list(read_pdf_pdfplumber(path))
