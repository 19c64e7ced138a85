"""Text PDFs with tables, read page by page from PDFium's chars and ruling lines.

Each page's chars (with their boxes) and the segments of its painted paths come from pypdfium2
(``openepb.read.pdf_chars``); pdfplumber's table geometry finds the cells on them. The reader on
pdfminer's chars (``read_pdf_pdfplumber``) gives the same rows some twenty times slower; it stays for
the comparison bench and for a file PDFium cannot open, which goes to pdfminer's parser.

Ruled tables (the lines strategy) are what office PDFs exported from Word and Excel contain; a page
with text but no ruled table gets one more try with the text strategy (tables drawn without lines),
its last column reaching to the end of its text (``widened``).
Tables are named ``page N``, or ``page N table M`` when a page has several; rows are numbered per
table. A scan (no page has any text) is ``pdf_no_text``: OCR is out of scope.

A merged cell's text is repeated into every grid position it covers, as in the other formats:
pdfplumber marks a covered position ``None``, and the cell whose box contains that position's centre
gives the text. A position no cell covers (a gap in an irregular ruling) is ``""``.

A cell's text is laid out in lines, and most line ends are soft wraps (the renderer ran out of
width), not breaks the author typed. A break is soft when the first word of the next line would not
have fitted at the end of the line within the cell's width (the cell box minus the padding seen on
the left, taken as equal on the right): soft wraps join with a space, or with nothing after a hyphen
and inside a word too long for the cell; any other break is kept as ``"\n"``. Word, Excel and
LibreOffice start a word too long for the cell on a line of its own before splitting it, so only a
one-word line can end mid-word. LibreOffice and Word also keep the space they wrapped at as the
line's last char: a line that ends with a space char ended at a word boundary and is never joined
mid-word (a one-word line is common in a narrow column, and its geometry alone looks the same as a
split word). A space char is given to the cell its left edge lies in, since a space hanging at the
end of a full line may reach past the cell's right edge. Where a table shows such kept spaces, their
absence counts too: a line without one, though it would have fitted, is a typed break or a split
word (``line_joint``). Where the space would not have fitted, widths cannot tell a one-word line
full to the edge from a word that just filled the line («устройство» / «на»): the document's own
words and a dictionary of Russian word forms decide once the whole file is read (``best_reading``),
and without evidence it reads as a split word.

A row that breaks across a page goes on at the top of the next page in the same columns; that
fragment is joined to the row (``fragment_index``), so a record is one row whatever the page breaks.
"""

from __future__ import annotations

import bisect
import statistics
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from operator import itemgetter
from pathlib import Path
from typing import Any

import pdfplumber
from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect
from pdfplumber.table import Table as TableFinderTable
from pdfplumber.utils import extract_text
from pdfplumber.utils.exceptions import PdfminerException
from pdfplumber.utils.text import LIGATURES

from openepb.read import RawRow, ReadError, pdf_chars
from openepb.read.pdf_cells import table_cell_lines

Box = tuple[float, float, float, float]
Char = dict[str, Any]
TEXT_STRATEGY = {"vertical_strategy": "text", "horizontal_strategy": "text"}
X_TOLERANCE = 3.0  # pdfplumber's default gap (pt) that starts a new word without a space char
Y_TOLERANCE = 3.0  # pdfplumber's default difference of ``top`` (pt) within one line
SPACE_EM = 0.25  # width of a space in ems when the cell has no space char to measure (Times)
FIT_SLACK = 0.05  # pt of rounding a renderer's width arithmetic may leave
#: A soft wrap after these joins with nothing: a hyphen stays (``200-`` + ``00-00``), and an opening
#: quote or bracket belongs to the next word (reportlab splits ``АО «`` + ``Газпромнефть-ОНПЗ»``).
JOIN_AFTER = ("-", "\u2010", "«", "„", "(", "[")
#: A full one-word line ending in one of these ended at a word boundary, and so did one before a
#: line opening with one of WORD_START. Not the full stop: e-mail addresses and sites are split
#: after a dot (``Info@PromExpert.`` + ``ru``).
WORD_END = frozenset(',;:)]»"”')
WORD_START = frozenset("([«„")


def read_pdf(path: Path) -> Iterator[RawRow]:
    """Rows of every table of every page; ``pdf_no_text`` when no page has text at all.

    The last row of a page is held back until the next page is read: when the row broke across
    the page, its fragment at the top of the next page is joined to it (see ``fragment_index``).
    Soft wraps that widths cannot decide are decided by the document's own words at the end
    (``resolve_ambiguous_wraps``), so the rows are yielded once the whole file is read.
    """
    try:
        rows = list(_page_rows(_pdfium_pages(path)))
    except pdf_chars.PdfOpenError as e:
        if e.encrypted:
            raise ReadError("file_encrypted", "PDF защищён паролем") from e
        # A file PDFium refuses goes to pdfminer, whose parser is more lenient with some broken
        # files; when it fails too, the file is ``file_corrupt`` as pdfminer names the cause.
        rows = list(_page_rows(_pdfplumber_pages(path)))
    yield from resolve_ambiguous_wraps(rows)


def read_pdf_pdfplumber(path: Path) -> Iterator[RawRow]:
    """The same rows read through pdfplumber (pdfminer's chars and ruling lines): the reader before
    PDFium, kept for the comparison bench and the equivalence tests (``bench/pdf_readers.py``)."""
    yield from resolve_ambiguous_wraps(list(_page_rows(_pdfplumber_pages(path))))


def _pdfium_pages(path: Path) -> Iterator[list[Grid] | None]:
    for page in pdf_chars.pages(path):
        yield None if page is None else page_grids(page, page.columns)


def _pdfplumber_pages(path: Path) -> Iterator[list[Grid] | None]:
    with open_pdf(path) as pdf:
        for page in pdf.pages:
            tables = page_tables(page)
            page.close()  # frees the page's parsed objects: long registers have hundreds of pages
            yield tables


def _page_rows(pages: Iterable[list[Grid] | None]) -> Iterator[RawRow]:
    pages_with_text = 0
    held: tuple[str, Grid] | None = None  # the previous page's last table, its last row unread
    for number, tables in enumerate(pages, start=1):
        if tables is None:
            if held is not None:
                yield last_row(*held)
                held = None
            continue
        pages_with_text += 1
        for index, table in enumerate(tables, start=1):
            name = f"page {number}" if len(tables) == 1 else f"page {number} table {index}"
            skip = -1
            if held is not None:
                fragment = fragment_index(held[1], table) if index == 1 else None
                yield last_row(*held) if fragment is None else joined_row(*held, table, fragment)
                skip = -1 if fragment is None else fragment
                held = None
            rows = table.rows
            end = len(rows) - 1 if index == len(tables) and rows else len(rows)
            for row_number, row in enumerate(rows[:end], start=1):
                if row_number - 1 != skip:
                    yield RawRow(name, row_number, tuple(row))
            if end < len(rows) and end != skip:  # a fragment alone on its page is read already
                held = (name, table)
    if held is not None:
        yield last_row(*held)
    if not pages_with_text:
        raise ReadError("pdf_no_text", "в PDF нет текстового слоя (похоже на скан), таблицы не прочитать")


#: Stands, until the whole document is read, where a one-word line full to the cell's edge meets the
#: next line: a word split mid-word or a wrap at a space its renderer dropped (see ``line_joint``).
AMBIGUOUS_WRAP = "\ue000"
_EDGE_PUNCTUATION = "\"'«»„“”()[],.;:!?"


def _word_key(text: str) -> str:
    return text.strip(_EDGE_PUNCTUATION).lower()


@cache
def _morphology() -> object:
    """The OpenCorpora dictionary of Russian word forms (pymorphy3), loaded on the first ambiguous wrap."""
    import pymorphy3

    return pymorphy3.MorphAnalyzer()


def is_russian_word(text: str) -> bool:
    """A word form the dictionary lists (no guessing from endings); Latin and digits are never one."""
    return bool(text) and text.isalpha() and _morphology().word_is_known(text)  # type: ignore[attr-defined]


#: Most ambiguous wraps in one token whose readings are all compared (2**N readings).
MAX_WRAPS_COMPARED = 10


def best_reading(pieces: list[str], known: Callable[[str], bool]) -> str:
    """The pieces of a token between ambiguous wraps, each wrap read as a split word or a space.

    The reading with the fewest words neither the document nor the dictionary knows wins; of those,
    the one with the fewest words (the geometry's reading: a split word). So «Обоснова» + «ние» joins,
    «опасного» + «производ» + «ственного» + «объекта» reads «опасного производственного объекта», and
    «Энергосбыт» + «комплект» joins when the document writes «Энергосбыткомплект» whole elsewhere.
    """
    wraps = len(pieces) - 1
    if wraps > MAX_WRAPS_COMPARED:
        return "".join(pieces)
    best: tuple[int, int, str] | None = None
    for mask in range(2**wraps):
        text = pieces[0]
        for i, piece in enumerate(pieces[1:]):
            text += (" " if mask >> i & 1 else "") + piece
        words = [_word_key(word) for word in text.split()]
        unknown = sum(1 for word in words if word and not known(word))
        candidate = (unknown, len(words), text)
        if best is None or candidate[:2] < best[:2]:
            best = candidate
    assert best is not None
    return best[2]


def resolve_ambiguous_wraps(rows: list[RawRow]) -> list[RawRow]:
    """Decide each ambiguous wrap once the whole document is read (see ``best_reading``)."""
    if not any(AMBIGUOUS_WRAP in cell for row in rows for cell in row.cells):
        return rows
    vocabulary: set[str] = set()
    for row in rows:
        for cell in row.cells:
            vocabulary.update(_word_key(t) for t in cell.split() if AMBIGUOUS_WRAP not in t)

    @cache
    def known(word: str) -> bool:
        return word in vocabulary or is_russian_word(word)

    def decide(cell: str) -> str:
        return " ".join(
            best_reading(token.split(AMBIGUOUS_WRAP), known) if AMBIGUOUS_WRAP in token else token
            for token in cell.split(" ")
        )

    resolved = []
    for row in rows:
        if any(AMBIGUOUS_WRAP in cell for cell in row.cells):
            row = RawRow(
                row.table, row.row, tuple(decide(c) if AMBIGUOUS_WRAP in c else c for c in row.cells)
            )
        resolved.append(row)
    return resolved


def last_row(name: str, table: Grid) -> RawRow:
    return RawRow(name, len(table.rows), tuple(table.rows[-1]))


def fragment_index(previous: Grid, table: Grid) -> int | None:
    """The row of ``table`` (the first table of a page) that continues the last row of ``previous``
    (the last table of the page before), or None.

    Word and LibreOffice let a tall row break across a page: the cells whose text did not fit go on
    in the same columns at the top of the next page (below the header rows, when they repeat). Such
    a fragment has text only in columns where the row above ran to the bottom of its cell (no room
    was left for another line), and it leaves empty some column the row above has text in (that cell
    ended on the first page). Its cells go on from the lines above them: every one softly (the
    first word would not have fitted at the end of the line above), or — when the row above shows
    cells that ended with room to spare, so that it plainly broke — at least one softly, the others
    after a break the author typed at the page's edge. A row whose first words would have fitted
    after complete one-line cells is a row of its own.
    """
    if len(previous.edges) != len(table.edges) or any(
        abs(a - b) > EDGE_TOLERANCE for a, b in zip(previous.edges, table.edges, strict=True)
    ):
        return None
    k = 0
    while k < len(table.rows) and k < len(previous.rows) - 1 and table.rows[k] == previous.rows[k]:
        k += 1
    if k >= len(table.rows):
        return None
    below, above = table.rows[k], previous.rows[-1]
    below_cells, above_cells = table.cells[k], previous.cells[-1]
    filled = [i for i, text in enumerate(below) if text]
    if not filled or len(below) != len(above):
        return None
    if not all(above[i] and above_cells[i] is not None and above_cells[i].full for i in filled):
        return None
    ended = [i for i, text in enumerate(above) if text and not below[i]]
    if not ended:
        return None
    soft = [joint(above_cells[i], below_cells[i], previous.keeps_spaces) != "\n" for i in filled]
    if all(soft):
        return k
    spare = any(above_cells[i] is not None and not above_cells[i].full for i in ended)
    return k if spare and any(soft) else None


def joined_row(name: str, previous: Grid, table: Grid, fragment: int) -> RawRow:
    """The last row of ``previous`` with the fragment's cells joined to its cells."""
    above, below = previous.rows[-1], table.rows[fragment]
    cells = []
    for i, text in enumerate(above):
        if below[i]:
            text += joint(previous.cells[-1][i], table.cells[fragment][i], previous.keeps_spaces) + below[i]
        cells.append(text)
    return RawRow(name, len(previous.rows), tuple(cells))


def joint(above: CellLines | None, below: CellLines | None, keeps_spaces: bool) -> str:
    if above is None or below is None or not above.lines or not below.lines:
        return " "
    return line_joint(above.lines[-1], below.lines[0], above.width, above.space, keeps_spaces)


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


def page_tables(page: pdfplumber.page.Page) -> list[Grid] | None:
    """Ruled tables of the page, or tables found by text alignment; None for a page without text."""
    try:
        chars = page.chars
        if not chars:
            return None
        return page_grids(page, chars)
    except Exception as e:
        raise pdf_error(e) from e


def page_grids(page: Any, chars: Sequence[Char] | pdf_chars.Chars) -> list[Grid]:
    """The grids of a page's ruled tables, or else of the tables its text's alignment shows.

    ``page`` is a pdfplumber page or a ``pdf_chars.CharPage``: both find tables with pdfplumber's
    table geometry, on pdfminer's or on PDFium's chars and ruling lines."""
    columns = chars if isinstance(chars, pdf_chars.Chars) else pdf_chars.Chars.of(chars)
    tables = page.find_tables() or [widened(table, columns) for table in page.find_tables(TEXT_STRATEGY)]
    return [table_grid(table, columns) for table in tables]


def widened(table: TableFinderTable, chars: pdf_chars.Chars) -> TableFinderTable:
    """A table found by text alignment, its last column reaching to the end of its text.

    pdfplumber's text strategy puts a table's right edge at the right end of the aligned words it
    found the columns by: in the last column these are the first words of its values (those that
    start at the column's left), so a value of several words wider than them lost its last chars
    («ООО Восход» read «ООО Восхо»). The edge moves right to the last char that stands in the last
    column (starts right of its left edge) within the table's height.
    """
    x0, top, x1, bottom = table.bbox
    last_left = max(cell[0] for cell in table.cells)
    right = x1
    for text, left, end, y0, y1 in zip(chars.text, chars.x0, chars.x1, chars.top, chars.bottom, strict=True):
        if end > right and left >= last_left and top <= (y0 + y1) / 2 < bottom and not text.isspace():
            right = end
    if right == x1:
        return table
    cells = [(c[0], c[1], right if c[2] == x1 else c[2], c[3]) for c in table.cells]
    return TableFinderTable(table.page, cells)


@dataclass(frozen=True, slots=True)
class CellLines:
    """A cell's lines and the measures ``line_joint`` needs, kept to join a row broken across pages."""

    lines: tuple[Line, ...]
    width: float  # room for text across the cell
    space: float  # width of a space
    full: bool  # no room was left below the last line for another one


@dataclass(frozen=True, slots=True)
class Grid:
    """A table's texts per grid position, with each position's cell lines and the column edges."""

    rows: list[list[str]]
    cells: list[list[CellLines | None]]
    edges: tuple[float, ...]
    keeps_spaces: bool  # the renderer keeps the space it wrapped at (see ``line_joint``)


EDGE_TOLERANCE = 1.0  # pt: the same column edge on two pages


def table_grid(table: TableFinderTable, chars: pdf_chars.Chars) -> Grid:
    """The table's texts with every position a merged cell covers filled with that cell's text."""
    boxes = [row.cells for row in table.rows]
    # Each box's lines from its chars (``chars_by_box`` and ``cell_lines``), for all boxes at once.
    origin = table_cell_lines(table.cells, chars, cell_lines)
    keeps = any(line.trailing_space for cell in origin.values() if cell for line in cell.lines)
    origin_text = {box: lines_text(cell, keeps) if cell else "" for box, cell in origin.items()}
    lefts = sorted({box[0] for box in table.cells}) + [table.bbox[2]]
    tops = sorted({box[1] for box in table.cells}) + [table.bbox[3]]
    grid, layout = [], []
    for r, row in enumerate(boxes):
        cells: list[str] = []
        measures: list[CellLines | None] = []
        for c, box in enumerate(row):
            if box is None:
                centre = ((lefts[c] + lefts[c + 1]) / 2, (tops[r] + tops[r + 1]) / 2)
                box = covering_box(centre, origin_text)
            cells.append(origin_text.get(box, "").strip() if box else "")
            measures.append(origin.get(box) if box else None)
        grid.append(cells)
        layout.append(measures)
    return Grid(grid, layout, tuple(lefts), keeps)


def covering_box(point: tuple[float, float], boxes: Iterable[Box]) -> Box | None:
    """The first cell box (x0, top, x1, bottom) containing the point."""
    x, y = point
    return next((b for b in boxes if b[0] <= x <= b[2] and b[1] <= y <= b[3]), None)


def chars_by_box(boxes: Iterable[Box], chars: Sequence[Char]) -> dict[Box, list[Char]]:
    """The chars whose centre lies in each box, as pdfplumber's ``Table.extract`` assigns them.

    The page's chars are sorted by vertical centre once, so each band of boxes (the same top and
    bottom) only scans its own chars instead of every char (a per-cell ``crop`` is far too slow on
    registers of many pages), and each char is put into its box by bisection across the band.
    """
    middles = [(char["top"] + char["bottom"]) / 2 for char in chars]
    order = sorted(range(len(chars)), key=middles.__getitem__)
    ordered = [chars[i] for i in order]
    centres = [middles[i] for i in order]
    # Where a char belongs across: its centre; a space's left edge (a space that hangs at the end
    # of a full line may reach into the next cell, yet it ends the line it follows).
    anchors = [char["x0"] if char["text"] == " " else (char["x0"] + char["x1"]) / 2 for char in ordered]
    boxes = list(boxes)
    bands: dict[tuple[float, float], set[Box]] = {}
    for box in boxes:
        bands.setdefault((box[1], box[3]), set()).add(box)
    found: dict[Box, list[Char]] = {}
    for (top, bottom), band in bands.items():
        start, end = bisect.bisect_left(centres, top), bisect.bisect_left(centres, bottom)
        row = sorted(band)
        if all(a[2] <= b[0] for a, b in zip(row, row[1:], strict=False)):
            # Boxes side by side: a char can only be in the last box starting left of it.
            lefts = [box[0] for box in row]
            lists: list[list[Char]] = [[] for _ in row]
            for i in range(start, end):
                k = bisect.bisect_right(lefts, anchors[i]) - 1
                if k >= 0 and anchors[i] < row[k][2]:
                    lists[k].append(ordered[i])
            found.update(zip(row, lists, strict=True))
        else:
            for x0, _, x1, _ in row:
                found[(x0, top, x1, bottom)] = [
                    ordered[i] for i in range(start, end) if x0 <= anchors[i] < x1
                ]
    return {box: found[box] for box in boxes}


@dataclass(frozen=True, slots=True)
class Word:
    text: str
    x0: float
    x1: float
    first_char_width: float  # how much of the word a renderer could have put on the line above

    @property
    def width(self) -> float:
        return self.x1 - self.x0


@dataclass(frozen=True, slots=True)
class Line:
    words: tuple[Word, ...]
    trailing_space: bool = False  # a space char follows the last word: the line ended at a word boundary

    @property
    def text(self) -> str:
        return " ".join(word.text for word in self.words)

    @property
    def width(self) -> float:
        return self.words[-1].x1 - self.words[0].x0


def cell_text(box: Box, chars: list[Char]) -> str:
    """The cell's text with soft wraps joined and typed line breaks kept as ``"\\n"``."""
    cell = cell_lines(box, chars)
    return lines_text(cell, any(line.trailing_space for line in cell.lines)) if cell else ""


def cell_lines(box: Box, chars: list[Char]) -> CellLines | None:
    """The cell's lines and measures; None for an empty cell. Rotated text is one line as
    pdfplumber reads it, breaks as drawn."""
    if not chars:
        return None
    if not all(map(_UPRIGHT, chars)):
        # pdfplumber's text wants each char's ``doctop``, which PDFium's chars do not carry.
        text = extract_text([char if "doctop" in char else {**char, "doctop": char["top"]} for char in chars])
        return CellLines((Line((Word(text, box[0], box[2], 0.0),)),), box[2] - box[0], 0.0, False)
    lines = text_lines(chars)
    if not lines:
        return None
    padding = min(map(_X0, chars)) - box[0]
    size = statistics.median(map(_SIZE, chars))
    full = box[3] - max(map(_BOTTOM, chars)) < size
    return CellLines(tuple(lines), box[2] - box[0] - 2 * padding, space_width(chars), full)


def lines_text(cell: CellLines, keeps_spaces: bool) -> str:
    lines = cell.lines
    parts = [lines[0].text]
    for above, below in zip(lines, lines[1:], strict=False):
        parts += [line_joint(above, below, cell.width, cell.space, keeps_spaces), below.text]
    return "".join(parts)


def text_lines(chars: list[Char]) -> list[Line]:
    """Chars grouped into lines by ``top`` and into words by space chars and gaps, top to bottom."""
    lines = []
    for cluster in clusters_by_top(chars):
        ordered = sorted(cluster, key=_X0)
        words = line_words(ordered)
        if words:
            trailing = ordered[-1]["text"].isspace() and ordered[-1]["x0"] >= words[-1].x1 - FIT_SLACK
            lines.append(Line(tuple(words), trailing))
    return lines


_X0, _TOP, _BOTTOM, _SIZE = itemgetter("x0"), itemgetter("top"), itemgetter("bottom"), itemgetter("size")
_TEXT, _UPRIGHT = itemgetter("text"), itemgetter("upright")


def clusters_by_top(chars: list[Char]) -> list[list[Char]]:
    """The chars grouped as pdfplumber's ``cluster_objects(chars, "top", Y_TOLERANCE)`` groups them
    (a ``top`` within the tolerance of the one before it joins its group; groups top to bottom, chars
    in their order), without its dict of tuples: this runs for every cell."""
    index: dict[float, int] = {}
    group, last = -1, None
    for top in sorted(set(map(_TOP, chars))):
        if last is None or top > last + Y_TOLERANCE:
            group += 1
        index[top] = group
        last = top
    if group == 0:
        return [chars]
    groups: list[list[Char]] = [[] for _ in range(group + 1)]
    for char in chars:
        groups[index[char["top"]]].append(char)
    return groups


def word_text(group: list[Char]) -> str:
    text = "".join(map(_TEXT, group))
    if _LIGATURE_CHARS.isdisjoint(text):
        return text
    return "".join(LIGATURES.get(c["text"], c["text"]) for c in group)


_LIGATURE_CHARS = frozenset("".join(LIGATURES))


def line_words(chars: list[Char]) -> list[Word]:
    """The words of one line of chars sorted left to right."""
    groups: list[list[Char]] = []
    end = None  # x1 of the previous char, None after a space
    for char in chars:
        if char["text"].isspace():
            end = None
            continue
        if end is None or char["x0"] > end + X_TOLERANCE:
            groups.append([char])
        else:
            groups[-1].append(char)
        end = char["x1"]
    return [
        Word(
            word_text(group),
            group[0]["x0"],
            group[-1]["x1"],
            group[0]["x1"] - group[0]["x0"],
        )
        for group in groups
    ]


def space_width(chars: list[Char]) -> float:
    """The width of a space in the cell: measured on its space chars, else estimated from the size."""
    spaces = [char["x1"] - char["x0"] for char in chars if char["text"] == " " and char["x1"] > char["x0"]]
    return statistics.median(spaces) if spaces else SPACE_EM * statistics.median(map(_SIZE, chars))


def line_joint(above: Line, below: Line, width: float, space: float, keeps_spaces: bool = False) -> str:
    """What stands between two lines of a cell: ``" "`` or ``""`` for a soft wrap, ``"\\n"`` for a
    typed break.

    ``keeps_spaces``: the table's renderer keeps the space it wrapped at whenever that space fits on
    the line (LibreOffice and Word do; reportlab does not). Then a line without that space, though a
    space would have fitted after it, was not wrapped at a space: it is a word split mid-word (one
    word, as full as a split leaves it) or else a break the author typed («ООО «Заря»» / «тел. …»,
    where the next word would not have fitted either). Where the space would not have fitted, its
    absence says nothing and the widths decide as without it.
    """
    glued = above.text.endswith(JOIN_AFTER)
    needed = below.words[0].width + (0 if glued else space)
    if above.width + needed <= width + FIT_SLACK:
        return "\n"  # the next word would have fitted: the author broke the line
    if above.trailing_space:
        return " "  # the renderer wrapped at a space and kept it: a word boundary, whatever the widths
    split = len(above.words) == 1 and word_split(above, below, width) and not word_boundary(above, below)
    if keeps_spaces and not glued and above.width + space <= width + FIT_SLACK:
        return AMBIGUOUS_WRAP if split else "\n"
    if glued:
        return ""
    return AMBIGUOUS_WRAP if split else " "


def word_boundary(above: Line, below: Line) -> bool:
    """Text that says the wrap fell between two words, where widths alone cannot tell: a full line
    ending in punctuation, a next line opening with a bracket or quote, or a lower-case letter
    followed by a capital or a digit (``Заявитель:`` / ``ИНН``, ``воздушный`` / ``В-6,3``, ``корпусами`` / ``12``)."""
    end, start = above.words[-1].text[-1], below.words[0].text[0]
    return end in WORD_END or start in WORD_START or (end.islower() and (start.isupper() or start.isdigit()))


def word_split(above: Line, below: Line, width: float) -> bool:
    """A word too long for the cell broken mid-word: the line above is full to the last char, and
    its last word and the next line's first word together are wider than the cell."""
    full = above.width + below.words[0].first_char_width > width - FIT_SLACK
    return full and above.words[-1].width + below.words[0].width > width + FIT_SLACK
