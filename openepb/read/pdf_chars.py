"""Characters, ruling lines and cell boxes of PDF pages, pulled from pypdfium2 (PDFium).

This is the part of the PDF reader that takes things off the page; ``openepb.read.pdf`` turns them
into rows. PDFium gives every character with its box straight from C, an order of magnitude faster
than pdfminer's interpreter under pdfplumber, and the page's path objects with their segments.

The characters come out as the columns of pdfplumber's char dicts (``text``, ``x0``, ``x1``, ``top``,
``bottom``, ``size``, ``upright``; ``Chars``, the dicts themselves made only where pdfplumber needs
them), in page coordinates from the top-left corner:

* across, a char runs from its origin over its advance width (PDFium's loose box: the same as
  pdfminer's ``x0``/``x1``, with the fraction of a width PDFium drops put back where a font has
  fractional widths, see ``fractional_widths``);
* down, its box is the font size tall and stands on the font's descent, as pdfminer draws it;
* a hyphen that ends a line is a hyphen (PDFium reports it as U+0002);
* the chars PDFium makes up itself (a space between text objects, line ends) are dropped: the reader
  judges wraps by the space chars the renderer really wrote (see ``line_joint``).

The ruling lines are the horizontal and vertical segments of the page's stroked or filled paths
(rectangles, lines and polylines alike, inside form XObjects too), given as pdfplumber's edges. From
them pdfplumber's own table geometry — snapping and joining edges, their intersections, the cells
between intersections, the tables of touching cells — finds the cell boxes: that part is plain
arithmetic on coordinates and costs nothing next to reading the page. A page without ruled table
gets pdfplumber's text strategy on the same chars: columns from the x-alignment of words.
"""

from __future__ import annotations

import ctypes
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from pdfplumber.table import Table, TableFinder, TableSettings, cells_to_tables, edges_to_intersections
from pdfplumber.utils import extract_words, obj_to_bbox

Box = tuple[float, float, float, float]
Char = dict[str, Any]
Edge = dict[str, Any]
TEXT_STRATEGY = {"vertical_strategy": "text", "horizontal_strategy": "text"}


class PdfOpenError(Exception):
    """The PDF could not be opened: ``encrypted`` tells a password from any other failure."""

    def __init__(self, message: str, encrypted: bool) -> None:
        super().__init__(message)
        self.encrypted = encrypted


@dataclass(slots=True)
class Chars:
    """A page's chars as columns, one list per key of pdfplumber's char dict: the reader takes them
    as arrays (``openepb.read.pdf_cells``), and the dicts are made only where pdfplumber needs them."""

    text: list[str] = field(default_factory=list)
    x0: list[float] = field(default_factory=list)
    x1: list[float] = field(default_factory=list)
    top: list[float] = field(default_factory=list)
    bottom: list[float] = field(default_factory=list)
    size: list[float] = field(default_factory=list)
    upright: list[bool] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.text)

    def dicts(self) -> list[Char]:
        return [
            {"text": t, "x0": a, "x1": b, "top": y0, "bottom": y1, "size": s, "upright": u}
            for t, a, b, y0, y1, s, u in zip(
                self.text, self.x0, self.x1, self.top, self.bottom, self.size, self.upright, strict=True
            )
        ]

    @classmethod
    def of(cls, chars: Sequence[Char]) -> Chars:
        """The columns of char dicts (pdfminer's, through pdfplumber)."""
        columns = cls()
        for key in ("text", "x0", "x1", "top", "bottom", "size", "upright"):
            setattr(columns, key, [char[key] for char in chars])
        return columns


@dataclass(slots=True)
class CharPage:
    """What pdfplumber's ``TableFinder`` reads from a page, filled from PDFium."""

    columns: Chars
    edges: list[Edge]
    bbox: tuple[float, float, float, float]
    _dicts: list[Char] | None = None

    @property
    def chars(self) -> list[Char]:
        """The chars as pdfplumber's char dicts, made on the first use."""
        if self._dicts is None:
            self._dicts = self.columns.dicts()
        return self._dicts

    def extract_words(self, **kwargs: Any) -> list[dict[str, Any]]:
        """pdfplumber's words (for the text strategy), which also need each char's ``doctop``."""
        return extract_words([{**char, "doctop": char["top"]} for char in self.chars], **kwargs)

    def find_tables(self, settings: dict[str, Any] | None = None) -> list[Table]:
        return CellFinder(self, settings).tables


class CellFinder(TableFinder):
    """pdfplumber's ``TableFinder`` with its cells found from the same intersections by the same
    rule, but each point's edges put into sets once instead of on every comparison of two points."""

    def __init__(self, page: CharPage, settings: dict[str, Any] | None = None) -> None:
        self.page = page  # type: ignore[assignment]
        self.settings = TableSettings.resolve(settings)
        self.edges = self.get_edges()
        self.intersections = edges_to_intersections(
            self.edges, self.settings.intersection_x_tolerance, self.settings.intersection_y_tolerance
        )
        self.cells = intersections_to_cells(self.intersections)
        self.tables = [Table(self.page, group) for group in cells_to_tables(self.cells)]  # type: ignore[arg-type]


def intersections_to_cells(intersections: dict[tuple[float, float], dict[str, list[Edge]]]) -> list[Box]:
    """The cells of pdfplumber's ``intersections_to_cells``, in its order: for each intersection (by
    x, then y) the first point below it and then the first to its right, each joined to it by an
    edge, whose corner below-right is an intersection joined to both."""
    points = sorted(intersections)
    v_sets = {p: {obj_to_bbox(e) for e in edges["v"]} for p, edges in intersections.items()}
    h_sets = {p: {obj_to_bbox(e) for e in edges["h"]} for p, edges in intersections.items()}
    by_x: dict[float, list[tuple[float, float]]] = {}
    by_y: dict[float, list[tuple[float, float]]] = {}
    for point in points:  # sorted, so each list runs down (same x) or right (same y)
        by_x.setdefault(point[0], []).append(point)
        by_y.setdefault(point[1], []).append(point)
    position = {p: (by_x[p[0]].index(p), by_y[p[1]].index(p)) for p in points}

    def connects(p1: tuple[float, float], p2: tuple[float, float]) -> bool:
        return bool(
            (p1[0] == p2[0] and not v_sets[p1].isdisjoint(v_sets[p2]))
            or (p1[1] == p2[1] and not h_sets[p1].isdisjoint(h_sets[p2]))
        )

    cells = []
    for point in points[:-1]:
        down, across = position[point]
        below = [p for p in by_x[point[0]][down + 1 :] if connects(point, p)]
        right = [p for p in by_y[point[1]][across + 1 :] if connects(point, p)]
        cell = next(
            (
                (point[0], point[1], r[0], b[1])
                for b in below
                for r in right
                if (r[0], b[1]) in intersections and connects((r[0], b[1]), r) and connects((r[0], b[1]), b)
            ),
            None,
        )
        if cell is not None:
            cells.append(cell)
    return cells


@contextmanager
def open_document(path: Path) -> Iterator[pdfium.PdfDocument]:
    try:
        document = pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as e:
        raise PdfOpenError(str(e), e.err_code == pdfium_c.FPDF_ERR_PASSWORD) from e
    try:
        yield document
    finally:
        document.close()


def pages(path: Path) -> Iterator[CharPage | None]:
    """Each page's chars, edges and box in turn; None for a page without any char."""
    widths = fractional_widths(path)
    with open_document(path) as document:
        for index in range(len(document)):
            try:
                page = document[index]
                try:
                    read = read_page(page, widths)
                finally:
                    page.close()
            except pdfium.PdfiumError as e:
                raise PdfOpenError(f"page {index + 1}: {e}", encrypted=False) from e
            yield read


def read_page(page: pdfium.PdfPage, widths: FontWidths | None = None) -> CharPage | None:
    left, bottom, right, top = page.get_mediabox()
    textpage = page.get_textpage()
    try:
        chars = page_chars(textpage.raw, top, widths or {})
    finally:
        textpage.close()
    if not chars:
        return None
    return CharPage(chars, page_edges(page.raw, top), (0.0, 0.0, right - left, top - bottom))


#: PDFium reports a hyphen that ends a line as U+0002; the PDF has a plain hyphen there.
HYPHEN_AT_LINE_END = 0x02


def _direct(function: Any, restype: Any, *argtypes: Any) -> Any:
    """A PDFium function called with plain addresses (ints) instead of pypdfium2's typed pointers:
    ``page_chars`` calls three of them per char, and ctypes checks a typed pointer on every call."""
    address = ctypes.cast(function, ctypes.c_void_p).value
    return ctypes.CFUNCTYPE(restype, *argtypes)(address)


_VOID, _INT = ctypes.c_void_p, ctypes.c_int
_GET_UNICODE = _direct(pdfium_c.FPDFText_GetUnicode, ctypes.c_uint, _VOID, _INT)
_GET_LOOSE_BOX = _direct(pdfium_c.FPDFText_GetLooseCharBox, _INT, _VOID, _INT, _VOID)
_IS_GENERATED = _direct(pdfium_c.FPDFText_IsGenerated, _INT, _VOID, _INT)
#: ``FPDFText_GetTextObject`` returning the object's address as a plain int (a dict key).
_TEXT_OBJECT = _direct(pdfium_c.FPDFText_GetTextObject, _VOID, _VOID, _INT)
_GET_MATRIX = _direct(pdfium_c.FPDFText_GetMatrix, _INT, _VOID, _INT, _VOID)
_GET_FONT_SIZE = _direct(pdfium_c.FPDFText_GetFontSize, ctypes.c_double, _VOID, _INT)
_TEXT_OBJECT_FONT = _direct(pdfium_c.FPDFTextObj_GetFont, _VOID, _VOID)
_FONT_NAME = _direct(
    pdfium_c.FPDFFont_GetBaseFontName, ctypes.c_ulong, _VOID, ctypes.c_char_p, ctypes.c_ulong
)


#: Per font (its ``BaseFont`` without a subset's tag), the width of each char in ems (``/Widths``
#: over 1000) and the fraction of it PDFium drops, for the fonts whose ``/Widths`` are not whole.
FontWidths = dict[str, dict[str, tuple[float, float]]]


def fractional_widths(path: Path) -> FontWidths:
    """The char widths of the document's fonts whose ``/Widths`` are not whole numbers.

    PDFium keeps a simple font's widths as whole thousandths of an em, cutting off the fraction
    (641.1133 is 641), and lays out its chars by them. Word, Excel and LibreOffice write whole
    widths, but reportlab writes the font's exact ones: there a line's chars drift left by up to a
    thousandth of an em per char, some 0.2 pt on a long line of a cell, more than the slack of the
    wrap arithmetic. pdfminer's parser reads the fonts' dictionaries (not the pages' content, which
    is the slow part), and ``page_chars`` puts the chars of such fonts where their widths put them.
    A char that two fonts of one name (or two codes of one font) give different widths is left
    uncorrected.
    """
    from pdfminer.pdfdocument import PDFDocument
    from pdfminer.pdfinterp import PDFResourceManager
    from pdfminer.pdfpage import PDFPage
    from pdfminer.pdfparser import PDFParser
    from pdfminer.pdftypes import resolve1
    from pdfminer.psparser import literal_name

    found: dict[str, dict[str, float | None]] = {}
    try:
        with open(path, "rb") as file:
            document = PDFDocument(PDFParser(file))
            manager = PDFResourceManager(caching=True)
            seen: set[int] = set()
            for page in PDFPage.create_pages(document):
                fonts = resolve1(resolve1(page.resources or {}).get("Font")) or {}
                for ref in fonts.values():
                    key = getattr(ref, "objid", id(ref))
                    if key in seen:
                        continue
                    seen.add(key)
                    spec = resolve1(ref)
                    raw = resolve1(spec.get("Widths")) if isinstance(spec, dict) else None
                    if not raw or all(float(resolve1(w)) == int(resolve1(w)) for w in raw):
                        continue
                    font = manager.get_font(None, spec)
                    widths: list[tuple[str, float]] = []
                    for cid, width in font.widths.items():  # type: ignore[attr-defined]
                        try:
                            widths.append((font.to_unichr(int(cid)), float(width)))
                        except Exception:
                            continue
                    # PDFium names a font without its subset's tag (``AAAAAB+DejaVuSans``): the
                    # subsets of one font hold different chars, so their widths go together.
                    name = str(literal_name(spec.get("BaseFont")))
                    name = name.split("+", 1)[1] if name[6:7] == "+" else name
                    merged = found.setdefault(name, {})
                    for char, width in widths:
                        merged[char] = width if merged.get(char, width) == width else None
    except Exception:  # no correction for a file pdfminer cannot parse; PDFium may still read it
        return {}
    return {
        name: {
            char: (width / 1000, (width - int(width)) / 1000)
            for char, width in widths.items()
            if width is not None
        }
        for name, widths in found.items()
    }


#: How far (in ems) PDFium's advance of a char may lie from its exact width to be corrected.
WIDTH_SLACK = 0.02


def _font_name(font: int | None) -> str:
    """The ``BaseFont`` of a font (its address, as ``_TEXT_OBJECT_FONT`` gives it)."""
    if not font:
        return ""
    size = _FONT_NAME(font, None, 0)
    buffer = ctypes.create_string_buffer(size)
    _FONT_NAME(font, buffer, size)
    return buffer.value.decode("utf-8", "replace")


def page_chars(textpage: Any, top: float, widths: FontWidths | None = None) -> Chars:
    """The page's chars, the columns of pdfplumber's char dicts (``top`` is the page's upper edge in
    PDF units); ``widths``: the exact widths of fonts PDFium lays out by whole ones
    (``fractional_widths``)."""
    count = pdfium_c.FPDFText_CountChars(textpage)
    address = ctypes.cast(textpage, ctypes.c_void_p).value
    box = pdfium_c.FS_RECTF()
    box_address = ctypes.addressof(box)
    matrix = pdfium_c.FS_MATRIX()
    matrix_address = ctypes.addressof(matrix)
    get_unicode, get_box, get_object, is_generated = _GET_UNICODE, _GET_LOOSE_BOX, _TEXT_OBJECT, _IS_GENERATED
    # A text object's chars share its font size, matrix and font: (size, upright, exact widths).
    styles: dict[int | None, tuple[float, bool, dict[str, tuple[float, float]] | None]] = {}
    shift: dict[int | None, float] = {}  # per text object: how far its next char stands right of PDFium's
    # Per font (its address; the page's text objects share a few): its exact widths, if any.
    fonts: dict[int | None, dict[str, tuple[float, float]] | None] = {}
    chars = Chars()
    add_text, add_x0, add_x1 = chars.text.append, chars.x0.append, chars.x1.append
    add_top, add_bottom = chars.top.append, chars.bottom.append
    add_size, add_upright = chars.size.append, chars.upright.append
    for i in range(count):
        code = get_unicode(address, i)
        text = "-" if code == HYPHEN_AT_LINE_END else chr(code) if code < 0x110000 else "\ufffd"
        if text.isspace() and is_generated(address, i):
            continue
        get_box(address, i, box_address)
        handle = get_object(address, i)
        style = styles.get(handle)
        if style is None:
            _GET_MATRIX(address, i, matrix_address)
            a, b, c, d = matrix.a, matrix.b, matrix.c, matrix.d
            upright = a * d > 0 and b * c <= 0
            size = _GET_FONT_SIZE(address, i) * (abs(d) if upright else (a * a + b * b) ** 0.5)
            exact = None
            if widths:
                font = _TEXT_OBJECT_FONT(handle) if handle else None
                if font in fonts:
                    exact = fonts[font]
                else:
                    exact = fonts[font] = widths.get(_font_name(font))
            style = styles[handle] = (size, upright, exact)
        size, upright, exact = style
        x0, x1 = box.left, box.right
        if exact is not None and upright:
            # PDFium places the next char by the whole width, and the char's box is (nearly always)
            # as wide: the char runs over its exact width, the chars after it move by the fraction.
            # Far from the exact width the text is scaled (``Tz``), and is left as it is.
            width = exact.get(text)
            if width is not None:
                advance = width[0] * size
                if -size * WIDTH_SLACK < advance - (x1 - x0) < size * WIDTH_SLACK:
                    moved = shift.get(handle, 0.0)
                    shift[handle] = moved + width[1] * size
                    x0 += moved
                    x1 = x0 + advance
        y_bottom = top - box.bottom
        add_text(text)
        add_x0(x0)
        add_x1(x1)
        add_top(y_bottom - size)
        add_bottom(y_bottom)
        add_size(size)
        add_upright(upright)
    return chars


def page_edges(page: Any, top: float) -> list[Edge]:
    """Horizontal and vertical segments of the page's painted paths, as pdfplumber's edges."""
    edges: list[Edge] = []
    address = ctypes.cast(page, ctypes.c_void_p).value
    scratch = _Scratch()
    for index in range(_PAGE_COUNT_OBJECTS(address)):
        _object_edges(_PAGE_GET_OBJECT(address, index), (1.0, 0.0, 0.0, 1.0, 0.0, 0.0), top, edges, scratch)
    return edges


_PAGE_COUNT_OBJECTS = _direct(pdfium_c.FPDFPage_CountObjects, _INT, _VOID)
_PAGE_GET_OBJECT = _direct(pdfium_c.FPDFPage_GetObject, _VOID, _VOID, _INT)
_FORM_COUNT_OBJECTS = _direct(pdfium_c.FPDFFormObj_CountObjects, _INT, _VOID)
_FORM_GET_OBJECT = _direct(pdfium_c.FPDFFormObj_GetObject, _VOID, _VOID, ctypes.c_ulong)
_OBJECT_TYPE = _direct(pdfium_c.FPDFPageObj_GetType, _INT, _VOID)
_OBJECT_MATRIX = _direct(pdfium_c.FPDFPageObj_GetMatrix, _INT, _VOID, _VOID)
_PATH_DRAW_MODE = _direct(pdfium_c.FPDFPath_GetDrawMode, _INT, _VOID, _VOID, _VOID)
_PATH_COUNT_SEGMENTS = _direct(pdfium_c.FPDFPath_CountSegments, _INT, _VOID)
_PATH_SEGMENT = _direct(pdfium_c.FPDFPath_GetPathSegment, _VOID, _VOID, _INT)
_SEGMENT_POINT = _direct(pdfium_c.FPDFPathSegment_GetPoint, _INT, _VOID, _VOID, _VOID)
_SEGMENT_TYPE = _direct(pdfium_c.FPDFPathSegment_GetType, _INT, _VOID)
_SEGMENT_CLOSE = _direct(pdfium_c.FPDFPathSegment_GetClose, _INT, _VOID)


class _Scratch:
    """The out-parameters of the path calls, made once per page; ``*_at`` are their addresses."""

    def __init__(self) -> None:
        self.matrix = pdfium_c.FS_MATRIX()
        self.fill, self.stroke = ctypes.c_int(), ctypes.c_int()
        self.x, self.y = ctypes.c_float(), ctypes.c_float()
        self.matrix_at = ctypes.addressof(self.matrix)
        self.fill_at, self.stroke_at = ctypes.addressof(self.fill), ctypes.addressof(self.stroke)
        self.x_at, self.y_at = ctypes.addressof(self.x), ctypes.addressof(self.y)


Matrix = tuple[float, float, float, float, float, float]


def _multiply(m: Matrix, n: Matrix) -> Matrix:
    """``m`` then ``n`` (PDF row-vector convention)."""
    a, b, c, d, e, f = m
    a2, b2, c2, d2, e2, f2 = n
    return (
        a * a2 + b * c2,
        a * b2 + b * d2,
        c * a2 + d * c2,
        c * b2 + d * d2,
        e * a2 + f * c2 + e2,
        e * b2 + f * d2 + f2,
    )


def _object_matrix(obj: int, scratch: _Scratch) -> Matrix:
    if not _OBJECT_MATRIX(obj, scratch.matrix_at):
        return (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)
    m = scratch.matrix
    return (m.a, m.b, m.c, m.d, m.e, m.f)


def _object_edges(obj: int | None, outer: Matrix, top: float, edges: list[Edge], scratch: _Scratch) -> None:
    if not obj:
        return
    kind = _OBJECT_TYPE(obj)
    if kind == pdfium_c.FPDF_PAGEOBJ_FORM:
        inner = _multiply(_object_matrix(obj, scratch), outer)
        for index in range(_FORM_COUNT_OBJECTS(obj)):
            _object_edges(_FORM_GET_OBJECT(obj, index), inner, top, edges, scratch)
        return
    if kind != pdfium_c.FPDF_PAGEOBJ_PATH:
        return
    if not _PATH_DRAW_MODE(obj, scratch.fill_at, scratch.stroke_at):
        return
    if not scratch.fill.value and not scratch.stroke.value:
        return
    a, b, c, d, e, f = _multiply(_object_matrix(obj, scratch), outer)
    x, y, x_at, y_at = scratch.x, scratch.y, scratch.x_at, scratch.y_at
    start: tuple[float, float] | None = None
    previous: tuple[float, float] | None = None
    for index in range(_PATH_COUNT_SEGMENTS(obj)):
        segment = _PATH_SEGMENT(obj, index)
        _SEGMENT_POINT(segment, x_at, y_at)
        px, py = x.value, y.value
        point = (a * px + c * py + e, top - (b * px + d * py + f))
        if _SEGMENT_TYPE(segment) == pdfium_c.FPDF_SEGMENT_MOVETO:
            start = point
        elif previous is not None:
            _add_edge(previous, point, edges)
        if _SEGMENT_CLOSE(segment) and start is not None:
            _add_edge(point, start, edges)
            point = start
        previous = point


def _add_edge(p0: tuple[float, float], p1: tuple[float, float], edges: list[Edge]) -> None:
    if p0[0] == p1[0]:
        orientation = "v"
    elif p0[1] == p1[1]:
        orientation = "h"
    else:
        return
    x0, x1 = min(p0[0], p1[0]), max(p0[0], p1[0])
    y0, y1 = min(p0[1], p1[1]), max(p0[1], p1[1])
    edges.append(
        {
            "object_type": "path_edge",
            "x0": x0,
            "x1": x1,
            "top": y0,
            "bottom": y1,
            "doctop": y0,
            "width": x1 - x0,
            "height": y1 - y0,
            "orientation": orientation,
        }
    )
