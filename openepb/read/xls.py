"""Excel 97–2003 workbooks (BIFF in an OLE2 file), read by calamine like xlsx.

calamine gives xls merged ranges too, so the xlsx sheet logic applies unchanged; an encrypted
workbook (FILEPASS) surfaces as calamine's password error and becomes ``file_encrypted``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from openepb.read import RawRow
from openepb.read.xlsx import read_workbook


def read_xls(path: Path) -> Iterator[RawRow]:
    """Rows of every worksheet of an xls workbook."""
    return read_workbook(path, "xls")
