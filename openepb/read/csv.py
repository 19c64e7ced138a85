"""Delimited text files in any common encoding and delimiter.

The table name is ``""`` and ``row`` is the 1-based *record* number: a quoted cell spanning several
physical lines is one record, so after such a cell the record number is smaller than the line number.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

from openepb.read import RawRow, ReadError
from openepb.read.detect import DELIMITERS, sniff_delimiter
from openepb.read.text import decode

SNIFF_SAMPLE = 64 * 1024


def read_csv(path: Path) -> Iterator[RawRow]:
    """Records of a CSV file, each cell stripped, quotes and multi-line quoted cells resolved."""
    text, _ = decode(Path(path).read_bytes())
    text = text.replace("\x00", "").replace("\r\n", "\n").replace("\r", "\n")
    delimiter = choose_delimiter(text[:SNIFF_SAMPLE])
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quotechar='"')
    number = 0
    try:
        for number, record in enumerate(reader, start=1):  # noqa: B007 - number is read after the loop
            yield RawRow("", number, tuple(cell.strip() for cell in record))
    except csv.Error as e:
        raise ReadError("file_corrupt", f"csv: ошибка разбора после записи {number}: {e}") from e


def choose_delimiter(sample: str) -> str:
    """csv.Sniffer among the register delimiters, falling back to counting lines that contain them."""
    try:
        return csv.Sniffer().sniff(sample, delimiters="".join(DELIMITERS)).delimiter
    except csv.Error:
        lines = sample.splitlines()
        return sniff_delimiter(lines[:-1] if len(lines) > 1 else lines) or DELIMITERS[0]
