"""Text PDFs with tables, read page by page with pdfplumber.

Ruled tables (the lines strategy) are what office PDFs exported from Word and Excel contain; a page
with text but no ruled table gets one more try with the text strategy (tables drawn without lines).
Tables are named ``page N``, or ``page N table M`` when a page has several; rows are numbered per
table. A scan (no page has any text) is ``pdf_no_text``: OCR is out of scope.

A merged cell's text is repeated into every grid position it covers, as in the other formats:
pdfplumber marks a covered position ``None``, and the cell whose box contains that position's centre
gives the text. A position no cell covers (a gap in an irregular ruling) is ``""``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

import pdfplumber
from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect
from pdfplumber.table import Table as TableFinderTable
from pdfplumber.utils.exceptions import PdfminerException

from openepb.readers import RawRow, ReadError

Box = tuple[float, float, float, float]
TEXT_STRATEGY = {"vertical_strategy": "text", "horizontal_strategy": "text"}


def read_pdf(path: Path) -> Iterator[RawRow]:
    """Rows of every table of every page; ``pdf_no_text`` when no page has text at all."""
    with open_pdf(path) as pdf:
        pages_with_text = 0
        for number, page in enumerate(pdf.pages, start=1):
            tables = page_tables(page)
            page.close()  # frees the page's parsed objects: long registers have hundreds of pages
            if tables is None:
                continue
            pages_with_text += 1
            for index, table in enumerate(tables, start=1):
                name = f"page {number}" if len(tables) == 1 else f"page {number} table {index}"
                for row_number, row in enumerate(table, start=1):
                    yield RawRow(name, row_number, tuple(row))
    if not pages_with_text:
        raise ReadError("pdf_no_text", "в PDF нет текстового слоя (похоже на скан), таблицы не прочитать")


def open_pdf(path: Path) -> pdfplumber.PDF:
    """The opened PDF; a password is ``file_encrypted``, any other failure ``file_corrupt``."""
    try:
        return pdfplumber.open(str(path))
    except Exception as e:
        raise pdf_error(e) from e


def pdf_error(error: BaseException) -> ReadError:
    """Classify a pdfminer/pdfplumber failure by its cause."""
    cause = error.args[0] if isinstance(error, PdfminerException) and error.args else error
    if isinstance(cause, PDFPasswordIncorrect | PDFEncryptionError):
        return ReadError("file_encrypted", "PDF защищён паролем")
    return ReadError("file_corrupt", f"pdf: файл не читается ({type(cause).__name__}: {cause})")


def page_tables(page: pdfplumber.page.Page) -> list[list[list[str]]] | None:
    """Ruled tables of the page, or tables found by text alignment; None for a page without text."""
    try:
        if not page.chars:
            return None
        tables = page.find_tables() or page.find_tables(TEXT_STRATEGY)
        return [table_grid(table) for table in tables]
    except Exception as e:
        raise pdf_error(e) from e


def table_grid(table: TableFinderTable) -> list[list[str]]:
    """The table's texts with every position a merged cell covers filled with that cell's text."""
    texts = table.extract()
    boxes = [row.cells for row in table.rows]
    origin_text = {box: texts[r][c] or "" for r, row in enumerate(boxes) for c, box in enumerate(row) if box}
    lefts = sorted({box[0] for box in table.cells}) + [table.bbox[2]]
    tops = sorted({box[1] for box in table.cells}) + [table.bbox[3]]
    grid = []
    for r, row in enumerate(boxes):
        cells = []
        for c, box in enumerate(row):
            if box is None:
                centre = ((lefts[c] + lefts[c + 1]) / 2, (tops[r] + tops[r + 1]) / 2)
                box = covering_box(centre, origin_text)
            cells.append(origin_text.get(box, "").strip() if box else "")
        grid.append(cells)
    return grid


def covering_box(point: tuple[float, float], boxes: Iterable[Box]) -> Box | None:
    """The first cell box (x0, top, x1, bottom) containing the point."""
    x, y = point
    return next((b for b in boxes if b[0] <= x <= b[2] and b[1] <= y <= b[3]), None)
