"""HTML tables: register pages, and Excel "web page" exports that offices publish as ``.xls``.

Only leaf tables (tables with no table inside) are read: the page layout of a Bitrix site wraps the
register in tables of its own. Leaf tables are named ``table N`` in document order; ``rowspan`` and
``colspan`` are expanded so the text appears in every grid position the cell covers.

Cell text follows what a browser shows: a run of white space in the page source (the line wrapping
of Word and Excel exports included) is one space, while ``<br>`` and the edges of block elements
(``<p>``, ``<div>``, ``<li>``) are line breaks. Non-breaking spaces are kept for the normalizer.
"""

from __future__ import annotations

import email
import email.policy
import re
from collections.abc import Iterator
from pathlib import Path

import lxml.etree
import lxml.html

from openepb.read import RawRow
from openepb.read.cells import pad_rows
from openepb.read.text import decode

META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([a-z0-9_.:-]+)""", re.I)
XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")
SOURCE_SPACE = re.compile(r"[ \t\r\n\f]+")
LINE_EDGE = re.compile(r" *\n *")
#: Elements that start a new line in a browser.
BLOCK_TAGS = frozenset(
    {"p", "div", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "blockquote"}
)
#: Elements whose text is never shown.
HIDDEN_TAGS = frozenset({"script", "style", "head", "title", "template", "noscript"})
BLOCK_MARK = "\x00"  # the edge of a block element: one line break however many edges meet
LINE_MARK = "\u2028"  # a <br>, kept apart from source white space until that is collapsed
BLOCK_EDGE = re.compile(f"[ {BLOCK_MARK}]*{BLOCK_MARK}[ {BLOCK_MARK}]*")
MAX_COLSPAN = 1000
MAX_ROWSPAN = 65534


def read_html(path: Path) -> Iterator[RawRow]:
    """Rows of every leaf table of an HTML page (or of the HTML part of an MHT archive)."""
    data = Path(path).read_bytes()
    document = parse_document(*html_bytes(data))
    if document is None:
        return
    leaf_tables = (t for t in document.iter("table") if t.find(".//table") is None)
    for number, table in enumerate(leaf_tables, start=1):
        name = f"table {number}"
        for index, cells in enumerate(table_grid(table), start=1):
            yield RawRow(name, index, tuple(cells))


def html_bytes(data: bytes) -> tuple[bytes, str | None]:
    """The page bytes and the charset a container declares (MHT parts declare theirs)."""
    if data.lstrip()[:200].lower().startswith(b"mime-version"):
        message = email.message_from_bytes(data, policy=email.policy.compat32)
        for part in message.walk():
            if part.get_content_type() == "text/html":
                return part.get_payload(decode=True) or b"", part.get_content_charset()
    return data, None


def declared_charset(data: bytes) -> str | None:
    """The charset named in a ``<meta charset>`` or ``<meta http-equiv content=...charset=...>``."""
    found = META_CHARSET.search(data[: 64 * 1024])
    return found.group(1).decode("ascii") if found else None


def parse_document(data: bytes, container_charset: str | None) -> lxml.html.HtmlElement | None:
    """The parsed page, decoded by BOM, UTF-8 validity, declared charset or a guess."""
    text, _ = decode(data, container_charset or declared_charset(data))
    text = XML_DECLARATION.sub("", text, count=1)
    if not text.strip():
        return None
    try:
        return lxml.html.document_fromstring(text)
    except (lxml.etree.ParserError, ValueError):
        return None  # nothing a parser can build a tree from: the page has no tables


def table_grid(table: lxml.html.HtmlElement) -> list[list[str]]:
    """The table's rows with rowspan/colspan expanded into every covered position, padded to one width."""
    rows = [
        [
            (cell_text(c), span(c, "rowspan", MAX_ROWSPAN), span(c, "colspan", MAX_COLSPAN))
            for c in tr
            if is_cell(c)
        ]
        for tr in table.iter("tr")
    ]
    grid = expand_spans(rows)
    pad_rows(grid)
    return grid


def expand_spans(rows: list[list[tuple[str, int, int]]]) -> list[list[str]]:
    """Place cells on a grid the way a browser does; rowspan 0 means "to the end of the table"."""
    height = len(rows)
    carried: dict[int, dict[int, str]] = {}  # row → column → text of a cell spanning down into it
    grid: list[list[str]] = []
    for r, cells in enumerate(rows):
        placed = carried.pop(r, {})
        col = 0
        for text, rowspan, colspan in cells:
            while col in placed:
                col += 1
            last_row = height if rowspan == 0 else min(height, r + rowspan)
            for c in range(col, col + colspan):
                placed[c] = text
                for below in range(r + 1, last_row):
                    carried.setdefault(below, {})[c] = text
            col += colspan
        width = max(placed, default=-1) + 1
        grid.append([placed.get(c, "") for c in range(width)])
    return grid


def span(cell: lxml.html.HtmlElement, attribute: str, limit: int) -> int:
    """A rowspan/colspan value as browsers read it: leading digits, default 1, capped."""
    digits = re.match(r"\s*(\d+)", cell.get(attribute, ""))
    if not digits:
        return 1
    value = min(int(digits.group(1)), limit)
    return 1 if value == 0 and attribute == "colspan" else value


def is_cell(node: lxml.html.HtmlElement) -> bool:
    """td and th; a row may also hold comments and stray elements, which are no cells."""
    return node.tag in ("td", "th")


def cell_text(cell: lxml.html.HtmlElement) -> str:
    """The visible text of a td/th as a browser lays it out, stripped."""
    parts: list[str] = [cell.text or ""]
    collect_text(cell, parts)
    text = SOURCE_SPACE.sub(" ", "".join(parts)).replace(LINE_MARK, "\n")
    text = BLOCK_EDGE.sub("\n", text)
    return LINE_EDGE.sub("\n", text).strip()


def collect_text(node: lxml.html.HtmlElement, parts: list[str]) -> None:
    """Append the node's text in document order; <br> becomes a line break, blocks a block mark."""
    for child in node:
        tag = child.tag if isinstance(child.tag, str) else ""
        if tag == "br":
            parts.append(LINE_MARK)
        elif tag in HIDDEN_TAGS or not tag:
            pass  # comments, processing instructions, scripts: no visible text
        else:
            if tag in BLOCK_TAGS:
                parts.append(BLOCK_MARK)
            if child.text:
                parts.append(child.text)
            collect_text(child, parts)
            if tag in BLOCK_TAGS:
                parts.append(BLOCK_MARK)
        if child.tail:
            parts.append(child.tail)
