"""Excel workbooks (xlsx, and xls through :mod:`openepb.read.xls`) with python-calamine.

calamine is the fast path (tens of thousands of rows per second) and exposes merged ranges for both
xlsx and xls, so no second library is opened. Every worksheet is read from cell A1, so a row's
number is its sheet row number and a cell's index is its column index.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import python_calamine as calamine

from openepb.read import RawRow, ReadError
from openepb.read.cells import row_texts

#: ((first_row, first_col), (last_row, last_col)), 0-based and inclusive, as calamine gives them.
MergedRange = tuple[tuple[int, int], tuple[int, int]]


def read_xlsx(path: Path) -> Iterator[RawRow]:
    """Rows of every worksheet of an xlsx (or xlsm, xlsb) workbook."""
    return read_workbook(path, "xlsx")


def read_workbook(path: Path, kind: str) -> Iterator[RawRow]:
    """Rows of every worksheet in workbook order; library failures become :class:`ReadError`."""
    workbook = open_workbook(path, kind)
    try:
        for name in worksheet_names(workbook):
            try:
                sheet = workbook.get_sheet_by_name(name)
                grid = sheet.to_python(skip_empty_area=False)
                merges = sheet.merged_cell_ranges or []
            except calamine.CalamineError as e:
                raise workbook_error(kind, e, f"лист «{name}»") from e
            yield from sheet_rows(name, grid, merges)
    finally:
        workbook.close()


def open_workbook(path: Path, kind: str) -> calamine.CalamineWorkbook:
    """calamine's workbook, or the reason it cannot be opened."""
    try:
        return calamine.CalamineWorkbook.from_path(str(path))
    except Exception as e:
        raise workbook_error(kind, e, "книга") from e


def workbook_error(kind: str, error: Exception, where: str) -> ReadError:
    """A password error is ``file_encrypted``; anything else calamine refuses is ``file_corrupt``."""
    if isinstance(error, calamine.PasswordError) or "password" in str(error).lower():
        return ReadError("file_encrypted", f"{kind}: книга защищена паролем")
    return ReadError("file_corrupt", f"{kind}: не читается {where} ({type(error).__name__}: {error})")


def worksheet_names(workbook: calamine.CalamineWorkbook) -> list[str]:
    """Worksheets in workbook order, hidden ones included; chart and macro sheets hold no cells."""
    return [m.name for m in workbook.sheets_metadata if m.typ == calamine.SheetTypeEnum.WorkSheet]


def sheet_rows(name: str, grid: list[list[object]], merges: list[MergedRange]) -> Iterator[RawRow]:
    """Rows of one sheet as texts, a merged range's top-left text repeated over the range.

    Ranges are clipped to the used area: a title merged far beyond the last used column does not
    widen every row of the sheet.
    """
    height = len(grid)
    width = len(grid[0]) if grid else 0
    starts: dict[int, list[tuple[int, int, int]]] = {}
    for (r0, c0), (r1, c1) in merges:
        if r0 < height and c0 < width:
            starts.setdefault(r0, []).append((c0, r1, min(c1, width - 1)))
    fills: dict[int, list[tuple[int, int, str]]] = {}
    for index in range(height):
        cells = row_texts(grid[index])
        grid[index] = []  # release the values as we go: a register sheet can be large
        for c0, r1, c1 in starts.get(index, ()):
            text = cells[c0]
            for r in range(index, min(r1, height - 1) + 1):
                fills.setdefault(r, []).append((c0, c1, text))
        for c0, c1, text in fills.pop(index, ()):
            cells[c0 : c1 + 1] = [text] * (c1 - c0 + 1)
        yield RawRow(name, index + 1, tuple(cells))
