"""Text PDFs with tables, read page by page with pdfplumber.

Ruled tables (the lines strategy) are what office PDFs exported from Word and Excel contain; a page
with text but no ruled table gets one more try with the text strategy (tables drawn without lines).
Tables are named ``page N``, or ``page N table M`` when a page has several; rows are numbered per
table. A scan (no page has any text) is ``pdf_no_text``: OCR is out of scope.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pdfplumber
from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect
from pdfplumber.utils.exceptions import PdfminerException

from openepb.readers import RawRow, ReadError

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
                    yield RawRow(name, row_number, tuple((cell or "").strip() for cell in row))
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


def page_tables(page: pdfplumber.page.Page) -> list[list[list[str | None]]] | None:
    """Ruled tables of the page, or tables found by text alignment; None for a page without text."""
    try:
        if not page.chars:
            return None
        return page.extract_tables() or page.extract_tables(TEXT_STRATEGY)
    except Exception as e:
        raise pdf_error(e) from e
