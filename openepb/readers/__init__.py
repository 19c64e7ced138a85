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

from collections.abc import Iterator
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


def detect_format(path: Path) -> str:  # pragma: no cover - replaced by the implementation
    raise NotImplementedError


def read_rows(path: Path, fmt: str | None = None) -> Iterator[RawRow]:  # pragma: no cover
    raise NotImplementedError
