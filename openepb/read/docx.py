"""Word tables (docx, and doc after LibreOffice conversion) read from the document XML.

python-docx opens the package; the grid is built from WordprocessingML directly, because the grid
must account for ``gridBefore``/``gridAfter``, ``gridSpan``, ``vMerge`` and legacy ``hMerge`` alike
and older Word files keep text in smart tags and tracked insertions that paragraph helpers skip.
Tables are the top-level ones (content controls included) in document order, ``table N``; a table
nested in a cell is ignored, its text left out.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import docx
from lxml import etree

from openepb.read import RawRow, ReadError
from openepb.read.cells import pad_rows

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
NS = {"w": W}
TOP_TABLES = etree.XPath("//w:tbl[not(ancestor::w:tbl)]", namespaces=NS)
ROWS = etree.XPath("./w:tr | ./w:sdt/w:sdtContent/w:tr", namespaces=NS)
CELLS = etree.XPath("./w:tc | ./w:sdt/w:sdtContent/w:tc | ./w:customXml/w:tc", namespaces=NS)
GRID_COLUMNS = etree.XPath("count(./w:tblGrid/w:gridCol)", namespaces=NS)
ROW_GRID_BEFORE = etree.XPath("string(./w:trPr/w:gridBefore/@w:val)", namespaces=NS)
ROW_GRID_AFTER = etree.XPath("string(./w:trPr/w:gridAfter/@w:val)", namespaces=NS)
CELL_SPAN = etree.XPath("string(./w:tcPr/w:gridSpan/@w:val)", namespaces=NS)
CELL_VMERGE = etree.XPath("./w:tcPr/w:vMerge", namespaces=NS)
CELL_HMERGE = etree.XPath("./w:tcPr/w:hMerge", namespaces=NS)
#: Paragraphs of a cell, not those of a table nested in it.
CELL_PARAGRAPHS = etree.XPath(".//w:p[count(ancestor::w:tbl) = $depth]", namespaces=NS)
DEPTH = etree.XPath("count(ancestor-or-self::w:tbl)", namespaces=NS)
RUN_CONTENT = etree.XPath(
    ".//w:r/w:t | .//w:r/w:tab | .//w:r/w:br | .//w:r/w:cr | .//w:r/w:noBreakHyphen", namespaces=NS
)
#: Run content element → its text; w:t carries its own.
RUN_TEXT = {f"{{{W}}}tab": "\t", f"{{{W}}}br": "\n", f"{{{W}}}cr": "\n", f"{{{W}}}noBreakHyphen": "-"}
VAL = f"{{{W}}}val"
T_TAG = f"{{{W}}}t"


def read_docx(path: Path) -> Iterator[RawRow]:
    """Rows of every top-level table of a Word document."""
    body = open_body(path)
    for number, table in enumerate(TOP_TABLES(body), start=1):
        name = f"table {number}"
        for index, cells in enumerate(table_grid(table), start=1):
            yield RawRow(name, index, tuple(cells))


def open_body(path: Path) -> etree._Element:
    """The document body element, or why the package cannot be opened."""
    try:
        return docx.Document(str(path)).element.body
    except Exception as e:
        raise ReadError("file_corrupt", f"docx: документ не открывается ({type(e).__name__}: {e})") from e


def table_grid(table: etree._Element) -> list[list[str]]:
    """Rows of a table on its column grid, merged cells repeated into every covered position."""
    depth = int(DEPTH(table))
    grid: list[list[str]] = []
    for tr in ROWS(table):
        above = grid[-1] if grid else []
        row = [""] * number(ROW_GRID_BEFORE(tr), 0)
        for tc in CELLS(tr):
            text = merged_text(tc, row, above) if is_continuation(tc) else cell_text(tc, depth)
            row.extend([text] * number(CELL_SPAN(tc), 1))
        row.extend([""] * number(ROW_GRID_AFTER(tr), 0))
        grid.append(row)
    pad_rows(grid, max(int(GRID_COLUMNS(table)), max((len(r) for r in grid), default=0)))
    return grid


def is_continuation(tc: etree._Element) -> bool:
    """A cell continuing a merge: vMerge or hMerge present without ``restart``."""
    marks = CELL_VMERGE(tc) or CELL_HMERGE(tc)
    return bool(marks) and marks[0].get(VAL, "continue") != "restart"


def merged_text(tc: etree._Element, row: list[str], above: list[str]) -> str:
    """A continuation cell's text: from the cell above (vMerge) or to the left (hMerge)."""
    if CELL_VMERGE(tc):
        return above[len(row)] if len(row) < len(above) else ""
    return row[-1] if row else ""


def cell_text(tc: etree._Element, depth: int) -> str:
    """The cell's paragraphs joined by line breaks; text of nested tables left out."""
    paragraphs = CELL_PARAGRAPHS(tc, depth=depth)
    return "\n".join(paragraph_text(p) for p in paragraphs).strip()


def paragraph_text(p: etree._Element) -> str:
    """Run text of a paragraph, smart tags, hyperlinks, fields and insertions included."""
    return "".join((e.text or "") if e.tag == T_TAG else RUN_TEXT[e.tag] for e in RUN_CONTENT(p))


def number(value: str, default: int) -> int:
    """An integer attribute value; absent or malformed gives ``default``."""
    return int(value) if value.strip().isdigit() else default
