"""Readers: one per real file format, detected by content. They yield cell texts and nothing else.

Contract (every reader keeps it, tests check it):
- ``read_rows(path)`` yields :class:`RawRow` for every row of every table in document order,
  blank rows included, so that rows in = rows the normalizer accounts for.
- Cell text: ``str``; empty cell → ``""``; integral numbers without ``.0`` (``43000``), other numbers
  as ``repr``-free decimal text; real date cells as ISO ``YYYY-MM-DD`` (``YYYY-MM-DDTHH:MM:SS`` when
  the time is not midnight); line breaks inside a cell kept as ``"\\n"``; leading/trailing white space
  of a cell stripped.
- A merged cell's text appears in every grid position it covers (xlsx/xls merged ranges, HTML
  rowspan/colspan, docx vMerge/gridSpan), so the normalizer never sees format-specific holes.
- No field knowledge: a reader never looks at what a cell means.
- A file that cannot be read raises :class:`ReadError` with a stable problem code
  (see ``schema/problems.yaml``) and a Russian message; the pipeline turns it into a file-level reject.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class RawRow:
    table: str  # sheet name; "table N" (docx, doc, html); "page N" or "page N table M" (pdf); "" (csv)
    row: int  # 1-based row number within the table as the format counts it (sheet row, CSV line)
    cells: tuple[str, ...]


class ReadError(Exception):
    """A file-level failure with a stable problem code (``file_corrupt``, ``file_encrypted``, …)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


FORMATS = ("xlsx", "xls", "docx", "doc", "pdf", "csv", "html")

#: Format → "module:function" of its reader; imported on first use, so reading a CSV never loads
#: pdfplumber and the format modules can import this package without a cycle.
READERS: dict[str, str] = {
    "xlsx": "openepb.read.xlsx:read_xlsx",
    "xls": "openepb.read.xls:read_xls",
    "docx": "openepb.read.docx:read_docx",
    "doc": "openepb.read.doc:read_doc",
    "pdf": "openepb.read.pdf:read_pdf",
    "csv": "openepb.read.csv:read_csv",
    "html": "openepb.read.html:read_html",
}


def detect_format(path: Path) -> str:
    """The file's format by content (never by extension); :class:`ReadError` when there is none."""
    from openepb.read.detect import detect_format as detect

    return detect(Path(path))


def reader_for(fmt: str) -> Callable[[Path], Iterable[RawRow]]:
    """The reader function of a format."""
    if fmt not in READERS:
        raise ReadError("format_unknown", f"формат «{fmt}» не поддерживается")
    module_name, function = READERS[fmt].split(":")
    return getattr(importlib.import_module(module_name), function)


def read_rows(path: Path, fmt: str | None = None) -> Iterator[RawRow]:
    """Every row of every table of the file; ``fmt`` skips detection when the caller knows it.

    Errors surface while iterating. Whatever a library raises becomes ``ReadError`` so that one
    broken file never stops a build.
    """
    path = Path(path)
    fmt = fmt or detect_format(path)
    reader = reader_for(fmt)
    try:
        yield from reader(path)
    except ReadError:
        raise
    except OSError as e:
        raise ReadError("file_corrupt", f"{fmt}: файл не читается ({e.strerror or e})") from e
    except Exception as e:
        raise ReadError("file_corrupt", f"{fmt}: файл не читается ({type(e).__name__}: {e})") from e
