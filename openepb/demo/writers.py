"""Low-level writers: a grid of cell values → a real file of each format an office publishes.

The demo corpus generator and the reader tests build their files through this module, so every
writer produces the genuine format (real BIFF8 via LibreOffice, real Word 97, a text PDF) rather than
something that merely carries the right file name.
"""

from __future__ import annotations

import codecs
import csv
import datetime
import html
import io
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape as xml_escape

CellValue = str | int | float | datetime.date | datetime.datetime | None

XLS_MAX_ROWS = 65536
XLS_MAX_COLS = 256
LIBREOFFICE_TIMEOUT_BASE = 120.0  # seconds for the LibreOffice start-up
LIBREOFFICE_TIMEOUT_PER_FILE = 20.0
PDF_FONT_NAME = "DejaVuSans"
PDF_FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu-sans-fonts/DejaVuSans.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
    "/usr/local/share/fonts/DejaVuSans.ttf",
    "/Library/Fonts/DejaVuSans.ttf",
)
# Python codec name → the label a page declares in <meta charset>.
HTML_CHARSET_LABELS = {
    "utf-8": "utf-8",
    "cp1251": "windows-1251",
    "koi8-r": "koi8-r",
    "cp866": "ibm866",
    "iso8859-5": "iso-8859-5",
    "mac-cyrillic": "x-mac-cyrillic",
}


@dataclass
class Merge:
    """A merged range; the top-left cell holds the value, the covered cells are ``None``."""

    row: int  # 0-based top row in Table.rows
    col: int  # 0-based left column
    rows: int = 1  # rows covered
    cols: int = 1  # columns covered


@dataclass
class Table:
    """One table (one sheet of a workbook) exactly as it must appear in the file."""

    rows: list[list[CellValue]]
    merges: list[Merge] = field(default_factory=list)
    name: str = "Лист1"
    header_rows: tuple[int, int] | None = None  # (first, count): rows repeated on every page
    date_format: str = "DD.MM.YYYY"  # Excel number format of date/datetime cells (xlsx/xls)
    col_widths: list[float] | None = None  # Excel character widths; relative widths elsewhere


# ---------------------------------------------------------------------------------------------
# Shared helpers


def render_cell(value: CellValue) -> str:
    """Cell text as the text formats (html, docx, doc, pdf, csv) show it."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, datetime.datetime):
        return value.strftime("%d.%m.%Y %H:%M")
    if isinstance(value, datetime.date):
        return value.strftime("%d.%m.%Y")
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, int):
        return str(value)
    raise TypeError(f"unsupported cell value {value!r} ({type(value).__name__})")


@dataclass(frozen=True)
class _Layout:
    """A table's grid padded to a rectangle, with its merges indexed by position."""

    rows: list[list[CellValue]]
    ncols: int
    spans: dict[tuple[int, int], Merge]  # top-left position → merge (only real merges, > 1 cell)
    covered: dict[tuple[int, int], Merge]  # every other position of a merge → merge


def _layout(table: Table) -> _Layout:
    """Pad the grid and check the merges: inside the grid, no overlap, covered cells empty."""
    ncols = max((len(row) for row in table.rows), default=0)
    rows = [list(row) + [None] * (ncols - len(row)) for row in table.rows]
    spans: dict[tuple[int, int], Merge] = {}
    covered: dict[tuple[int, int], Merge] = {}
    for merge in table.merges:
        _check_merge_bounds(merge, len(rows), ncols)
        if merge.rows == 1 and merge.cols == 1:
            continue
        for r in range(merge.row, merge.row + merge.rows):
            for c in range(merge.col, merge.col + merge.cols):
                if (r, c) in spans or (r, c) in covered:
                    raise ValueError(
                        f"table {table.name!r}: merge {merge} overlaps another merge at {(r, c)}"
                    )
                if (r, c) == (merge.row, merge.col):
                    spans[(r, c)] = merge
                    continue
                if rows[r][c] is not None:
                    raise ValueError(
                        f"table {table.name!r}: cell {(r, c)} is covered by {merge} but holds {rows[r][c]!r}"
                    )
                covered[(r, c)] = merge
    return _Layout(rows, ncols, spans, covered)


def _check_merge_bounds(merge: Merge, nrows: int, ncols: int) -> None:
    if merge.rows < 1 or merge.cols < 1 or merge.row < 0 or merge.col < 0:
        raise ValueError(f"invalid merge {merge}")
    if merge.row + merge.rows > nrows or merge.col + merge.cols > ncols:
        raise ValueError(f"merge {merge} falls outside the {nrows}x{ncols} grid")


def _header_range(table: Table) -> range:
    """Row indices of the header rows (empty when the table declares none)."""
    if table.header_rows is None:
        return range(0)
    first, count = table.header_rows
    if first < 0 or count < 0 or first + count > len(table.rows):
        raise ValueError(f"table {table.name!r}: header_rows {table.header_rows} outside the table")
    return range(first, first + count)


def _relative_widths(table: Table, ncols: int) -> list[float]:
    """Column widths as fractions of the available width (equal when the table gives none)."""
    widths = list(table.col_widths or [])[:ncols]
    widths += [widths[-1] if widths else 1.0] * (ncols - len(widths))
    total = sum(widths) or 1.0
    return [w / total for w in widths]


# ---------------------------------------------------------------------------------------------
# LibreOffice


def _find_soffice() -> str:
    for name in ("soffice", "libreoffice"):
        found = shutil.which(name)
        if found:
            return found
    raise RuntimeError("LibreOffice is not installed: neither soffice nor libreoffice is on PATH")


def libreoffice_convert(sources: list[Path], target: str, outdir: Path) -> list[Path]:
    """Convert files with ONE headless LibreOffice run; return the outputs in the order of ``sources``.

    ``target`` is a ``--convert-to`` argument such as ``xls:MS Excel 97``. A private user profile in a
    temporary directory keeps parallel runs from colliding on the shared one.
    """
    if not sources:
        return []
    extension = target.split(":", 1)[0]
    outdir.mkdir(parents=True, exist_ok=True)
    outputs = [outdir / f"{Path(source).stem}.{extension}" for source in sources]
    if len(set(outputs)) != len(outputs):
        raise ValueError("libreoffice_convert: two sources share a file name stem; outputs would collide")
    for source in sources:
        if not Path(source).is_file():
            raise RuntimeError(f"LibreOffice conversion: source file {source} does not exist")
    for output in outputs:
        output.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory(prefix="openepb-lo-") as profile:
        command = [
            _find_soffice(),
            "--headless",
            "--norestore",
            "--nologo",
            "--nolockcheck",
            "--nodefault",
            f"-env:UserInstallation={Path(profile).resolve().as_uri()}",
            "--convert-to",
            target,
            "--outdir",
            str(outdir),
            *(str(source) for source in sources),
        ]
        timeout = LIBREOFFICE_TIMEOUT_BASE + LIBREOFFICE_TIMEOUT_PER_FILE * len(sources)
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
        except subprocess.TimeoutExpired as error:
            raise RuntimeError(
                f"LibreOffice conversion to {target!r} timed out after {timeout:.0f} s (first file {sources[0]})"
            ) from error
    missing = [source for source, output in zip(sources, outputs, strict=True) if not output.is_file()]
    if missing:
        raise RuntimeError(
            f"LibreOffice did not convert {', '.join(map(str, missing))} to {target!r} "
            f"(exit code {done.returncode}): {(done.stderr or done.stdout).strip()[:500]}"
        )
    return outputs


def _convert_batch(files: Sequence[tuple[Path, Path]], target: str) -> None:
    """Convert (source, destination) pairs in one LibreOffice run and move each output to its destination."""
    if not files:
        return
    with tempfile.TemporaryDirectory(prefix="openepb-convert-") as tmp:
        outputs = libreoffice_convert([source for source, _ in files], target, Path(tmp) / "out")
        for output, (_, destination) in zip(outputs, files, strict=True):
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(output, destination)


# ---------------------------------------------------------------------------------------------
# xlsx / xls


def write_xlsx(path: Path, tables: list[Table]) -> None:
    """One sheet per table: real numbers, real dates with ``date_format``, merges, wrapped multi-line text.

    A table without merges is streamed (openpyxl write-only mode), so half a million rows stay cheap.
    """
    from openpyxl import Workbook

    streamed = all(not _has_real_merges(table) for table in tables)
    workbook = Workbook(write_only=streamed)
    if not streamed:
        workbook.remove(workbook.active)
    for table in tables:
        sheet = workbook.create_sheet(title=table.name)
        _set_xlsx_widths(sheet, table)
        if streamed:
            _append_streamed_rows(sheet, table)
        else:
            _fill_sheet(sheet, table)
    if not tables:
        workbook.create_sheet(title="Лист1")
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(path)


def _has_real_merges(table: Table) -> bool:
    return any(merge.rows > 1 or merge.cols > 1 for merge in table.merges)


def _set_xlsx_widths(sheet, table: Table) -> None:
    from openpyxl.utils import get_column_letter

    for index, width in enumerate(table.col_widths or [], start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width


def _append_streamed_rows(sheet, table: Table) -> None:
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment

    wrap = Alignment(wrap_text=True, vertical="top")

    def styled(value: CellValue):
        if isinstance(value, datetime.date):
            cell = WriteOnlyCell(sheet, value=value)
            cell.number_format = table.date_format
            return cell
        if isinstance(value, str) and ("\n" in value or value.startswith("=")):
            cell = WriteOnlyCell(sheet, value=value)
            cell.data_type = "s"  # a leading "=" is text, never a formula
            if "\n" in value:
                cell.alignment = wrap
            return cell
        return value

    for row in table.rows:
        if any(_needs_style(value) for value in row):
            sheet.append([styled(value) for value in row])
        else:
            sheet.append(row)


def _needs_style(value: CellValue) -> bool:
    if isinstance(value, datetime.date):
        return True
    return isinstance(value, str) and ("\n" in value or value.startswith("="))


def _fill_sheet(sheet, table: Table) -> None:
    from openpyxl.styles import Alignment

    layout = _layout(table)
    wrap = Alignment(wrap_text=True, vertical="top")
    for r, row in enumerate(layout.rows, start=1):
        for c, value in enumerate(row, start=1):
            if value is None:
                continue
            cell = sheet.cell(row=r, column=c, value=value)
            if isinstance(value, datetime.date):
                cell.number_format = table.date_format
            elif isinstance(value, str):
                cell.data_type = "s"
                if "\n" in value:
                    cell.alignment = wrap
    for merge in layout.spans.values():
        sheet.merge_cells(
            start_row=merge.row + 1,
            start_column=merge.col + 1,
            end_row=merge.row + merge.rows,
            end_column=merge.col + merge.cols,
        )


def write_xls(paths_and_tables: list[tuple[Path, list[Table]]]) -> None:
    """Real BIFF8 workbooks: xlsx first, then one LibreOffice run converts them all."""
    for path, tables in paths_and_tables:
        for table in tables:
            _check_xls_limits(path, table)
    with tempfile.TemporaryDirectory(prefix="openepb-xls-") as tmp:
        pairs = []
        for index, (path, tables) in enumerate(paths_and_tables):
            source = Path(tmp) / f"book{index:05d}.xlsx"
            write_xlsx(source, tables)
            pairs.append((source, Path(path)))
        _convert_batch(pairs, "xls:MS Excel 97")


def _check_xls_limits(path: Path, table: Table) -> None:
    ncols = max((len(row) for row in table.rows), default=0)
    if len(table.rows) > XLS_MAX_ROWS or ncols > XLS_MAX_COLS:
        raise ValueError(
            f"{path}: table {table.name!r} is {len(table.rows)}x{ncols}; "
            f"a BIFF8 sheet holds at most {XLS_MAX_ROWS}x{XLS_MAX_COLS}"
        )


def write_encrypted_xlsx(path: Path, tables: list[Table], password: str = "secret") -> None:
    """A password-protected workbook: the OLE2 container Excel writes (EncryptionInfo + EncryptedPackage)."""
    import msoffcrypto

    with tempfile.TemporaryDirectory(prefix="openepb-enc-") as tmp:
        plain = Path(tmp) / "plain.xlsx"
        write_xlsx(plain, tables)
        encrypted = io.BytesIO()
        with plain.open("rb") as source:
            office_file = msoffcrypto.OfficeFile(source)
            office_file.encrypt(password, encrypted)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(encrypted.getvalue())


# ---------------------------------------------------------------------------------------------
# HTML

_EXCEL_HTML_HEAD = """<html xmlns:v="urn:schemas-microsoft-com:vml"
xmlns:o="urn:schemas-microsoft-com:office:office"
xmlns:x="urn:schemas-microsoft-com:office:excel"
xmlns="http://www.w3.org/TR/REC-html40">

<head>
<meta http-equiv=Content-Type content="text/html; charset={charset}">
<meta name=ProgId content=Excel.Sheet>
<meta name=Generator content="Microsoft Excel 11">
<title>{title}</title>
<style>
<!--table
\t{{mso-displayed-decimal-separator:"\\,";
\tmso-displayed-thousand-separator:" ";}}
td
\t{{mso-style-parent:style0;
\tfont-size:10.0pt;
\tfont-family:"Arial Cyr";
\tmso-number-format:General;
\tborder:.5pt solid windowtext;
\twhite-space:normal;}}
.xl24
\t{{mso-number-format:"\\@";}}
.xl25
\t{{mso-number-format:"dd\\.mm\\.yyyy";}}
br
\t{{mso-data-placement:same-cell;}}
-->
</style>
<!--[if gte mso 9]><xml>
 <x:ExcelWorkbook>
  <x:ExcelWorksheets>
{worksheets}  </x:ExcelWorksheets>
  <x:ProtectStructure>False</x:ProtectStructure>
  <x:ProtectWindows>False</x:ProtectWindows>
 </x:ExcelWorkbook>
</xml><![endif]-->
</head>

<body link=blue vlink=purple>
"""

_EXCEL_WORKSHEET = """   <x:ExcelWorksheet>
    <x:Name>{name}</x:Name>
    <x:WorksheetOptions>
     <x:Selected/>
     <x:ProtectContents>False</x:ProtectContents>
    </x:WorksheetOptions>
   </x:ExcelWorksheet>
"""


def write_html(
    path: Path,
    tables: list[Table],
    *,
    encoding: str = "utf-8",
    title: str = "",
    before: str = "",
    after: str = "",
    excel_flavour: bool = False,
) -> None:
    """A full HTML page with the tables; ``excel_flavour`` writes it the way Excel saves a sheet as a web page.

    Characters the encoding cannot hold become numeric character references, as browsers would send them.
    """
    charset = _html_charset(encoding)
    if excel_flavour:
        parts = [_excel_head(tables, charset, title), before]
        parts += [_excel_table(table) for table in tables]
    else:
        parts = [_plain_head(charset, title), before]
        parts += [_plain_table(table) for table in tables]
    parts += [after, "\n</body>\n</html>\n"]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes("".join(parts).encode(encoding, errors="xmlcharrefreplace"))


def _html_charset(encoding: str) -> str:
    name = codecs.lookup(encoding).name
    return HTML_CHARSET_LABELS.get(name, name)


def _plain_head(charset: str, title: str) -> str:
    return (
        "<!DOCTYPE html>\n<html>\n<head>\n"
        f'<meta charset="{charset}">\n<title>{html.escape(title)}</title>\n</head>\n<body>\n'
    )


def _excel_head(tables: list[Table], charset: str, title: str) -> str:
    worksheets = "".join(_EXCEL_WORKSHEET.format(name=html.escape(table.name)) for table in tables)
    return _EXCEL_HTML_HEAD.format(charset=charset, title=html.escape(title), worksheets=worksheets)


def _html_text(value: CellValue) -> str:
    return "<br>".join(html.escape(line, quote=False) for line in render_cell(value).split("\n"))


def _span_attributes(merge: Merge | None) -> str:
    if merge is None:
        return ""
    attributes = f' rowspan="{merge.rows}"' if merge.rows > 1 else ""
    return attributes + (f' colspan="{merge.cols}"' if merge.cols > 1 else "")


def _html_row_cells(layout: _Layout, r: int, tag: str) -> str:
    cells = []
    for c, value in enumerate(layout.rows[r]):
        if (r, c) in layout.covered:
            continue
        merge = layout.spans.get((r, c))
        cells.append(f"<{tag}{_span_attributes(merge)}>{_html_text(value)}</{tag}>")
    return "<tr>" + "".join(cells) + "</tr>\n"


def _plain_table(table: Table) -> str:
    """``<table>`` with the header rows as ``<th>`` in ``<thead>``.

    Rows above the header (a title inside the table) go into the ``<thead>`` too, as ``<td>``: a
    ``<thead>`` after a ``<tbody>`` would be drawn above it by every browser.
    """
    layout = _layout(table)
    header = _header_range(table)
    _check_html_merges(table, layout, header)
    parts = ['<table border="1" cellspacing="0" cellpadding="3">\n']
    if header:
        parts.append("<thead>\n")
        parts += [_html_row_cells(layout, r, "th" if r in header else "td") for r in range(header.stop)]
        parts.append("</thead>\n")
    parts.append("<tbody>\n")
    parts += [_html_row_cells(layout, r, "td") for r in range(header.stop, len(layout.rows))]
    parts.append("</tbody>\n</table>\n")
    return "".join(parts)


def _check_html_merges(table: Table, layout: _Layout, header: range) -> None:
    """A rowspan cannot leave its row group (thead/tbody): browsers would cut it."""
    for merge in layout.spans.values():
        if merge.row < header.stop < merge.row + merge.rows:
            raise ValueError(f"table {table.name!r}: merge {merge} crosses the end of the header")


def _excel_table(table: Table) -> str:
    """A table as Excel's "save as web page" writes it: td only, x:num numbers, text and date classes."""
    layout = _layout(table)
    widths = table.col_widths or [10.0] * layout.ncols
    parts = [
        "<table x:str border=0 cellpadding=0 cellspacing=0 "
        "style='border-collapse:collapse;table-layout:fixed'>\n",
        "".join(f"<col width={round(w * 7 + 5)}>\n" for w in widths),
    ]
    for r, row in enumerate(layout.rows):
        cells = []
        for c, value in enumerate(row):
            if (r, c) in layout.covered:
                continue
            span = _span_attributes(layout.spans.get((r, c))).replace('"', "")
            cells.append(f"  <td{span}{_excel_cell_attributes(value)}>{_html_text(value)}</td>\n")
        parts.append(" <tr height=17>\n" + "".join(cells) + " </tr>\n")
    parts.append("</table>\n")
    return "".join(parts)


def _excel_cell_attributes(value: CellValue) -> str:
    if isinstance(value, datetime.date):
        return f" class=xl25 x:num={_excel_serial(value)}"
    if isinstance(value, int | float):
        return " x:num"
    if isinstance(value, str) and value:
        return " class=xl24"
    return ""


def _excel_serial(value: datetime.date) -> str:
    """Excel 1900-system serial of a date (time as the fraction)."""
    epoch = datetime.datetime(1899, 12, 30)
    if not isinstance(value, datetime.datetime):
        value = datetime.datetime(value.year, value.month, value.day)
    serial = (value - epoch).total_seconds() / 86400
    return str(int(serial)) if serial.is_integer() else repr(serial)


# ---------------------------------------------------------------------------------------------
# docx / doc

_W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_DOCX_TEXT_WIDTH_TWIPS = {True: 14570, False: 9638}  # A4 minus 2 cm margins, landscape / portrait
_BORDER = 'w:val="single" w:sz="4" w:space="0" w:color="000000"'


def write_docx(
    path: Path,
    tables: list[Table],
    *,
    before: Iterable[str] = (),
    after: Iterable[str] = (),
    landscape: bool = True,
) -> None:
    """A Word document: paragraphs before, the ruled tables (real merges, repeated header rows), paragraphs after.

    The table XML is built directly (gridSpan / vMerge / tblHeader, what ``cell.merge`` writes), because
    python-docx's cell API is quadratic on long tables.
    """
    from docx import Document
    from docx.oxml import parse_xml
    from docx.shared import Cm

    document = Document()
    _set_page(document, landscape, Cm)
    for text in before:
        document.add_paragraph(text)
    body = document.element.body
    for index, table in enumerate(tables):
        if index:
            document.add_paragraph()  # Word joins adjacent tables without a paragraph between them
        xml = _docx_table_xml(table, _DOCX_TEXT_WIDTH_TWIPS[landscape])
        _append_to_body(body, parse_xml(xml))
    for text in after:
        document.add_paragraph(text)
    if not after:
        document.add_paragraph()  # a body ending in a table loses it when LibreOffice saves Word 97
    path.parent.mkdir(parents=True, exist_ok=True)
    document.save(str(path))


def _set_page(document, landscape: bool, cm) -> None:
    from docx.enum.section import WD_ORIENT

    section = document.sections[0]
    section.page_width, section.page_height = (cm(29.7), cm(21.0)) if landscape else (cm(21.0), cm(29.7))
    section.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, cm(1.5))


def _append_to_body(body, element) -> None:
    """Insert before the final section properties, which must stay the last child of the body."""
    section = body.find(f"{{{_W_NS}}}sectPr")
    if section is not None:
        section.addprevious(element)
    else:
        body.append(element)


def _docx_table_xml(table: Table, text_width: int) -> str:
    layout = _layout(table)
    header = set(_header_range(table))
    widths = [max(1, round(f * text_width)) for f in _relative_widths(table, layout.ncols)]
    borders = "".join(
        f"<w:{side} {_BORDER}/>" for side in ("top", "left", "bottom", "right", "insideH", "insideV")
    )
    parts = [
        f'<w:tbl xmlns:w="{_W_NS}"><w:tblPr><w:tblStyle w:val="TableGrid"/>'
        f'<w:tblW w:w="{sum(widths)}" w:type="dxa"/><w:tblBorders>{borders}</w:tblBorders>'
        '<w:tblLayout w:type="fixed"/><w:tblLook w:val="04A0"/></w:tblPr><w:tblGrid>',
        "".join(f'<w:gridCol w:w="{w}"/>' for w in widths),
        "</w:tblGrid>",
    ]
    for r in range(len(layout.rows)):
        parts.append(_docx_row_xml(layout, r, widths, r in header))
    parts.append("</w:tbl>")
    return "".join(parts)


def _docx_row_xml(layout: _Layout, r: int, widths: list[int], is_header: bool) -> str:
    parts = ["<w:tr>", "<w:trPr><w:tblHeader/></w:trPr>" if is_header else ""]
    c = 0
    while c < layout.ncols:
        merge = layout.spans.get((r, c)) or layout.covered.get((r, c))
        if merge is None:
            parts.append(_docx_cell_xml(layout.rows[r][c], widths[c], 1, None))
            c += 1
            continue
        if c != merge.col:  # unreachable: a merge's own row is written from its left column
            raise AssertionError(f"merge {merge} entered at column {c}")
        vmerge = None if merge.rows == 1 else ("restart" if r == merge.row else "continue")
        value = layout.rows[r][c] if r == merge.row else None
        parts.append(_docx_cell_xml(value, sum(widths[c : c + merge.cols]), merge.cols, vmerge))
        c += merge.cols
    parts.append("</w:tr>")
    return "".join(parts)


def _docx_cell_xml(value: CellValue, width: int, span: int, vmerge: str | None) -> str:
    properties = f'<w:tcW w:w="{width}" w:type="dxa"/>'
    if span > 1:
        properties += f'<w:gridSpan w:val="{span}"/>'
    if vmerge == "restart":
        properties += '<w:vMerge w:val="restart"/>'
    elif vmerge == "continue":
        properties += "<w:vMerge/>"
    text = render_cell(value)
    run = ""
    if text:
        lines = (f'<w:t xml:space="preserve">{xml_escape(line)}</w:t>' for line in text.split("\n"))
        run = "<w:r>" + "<w:br/>".join(lines) + "</w:r>"
    return f"<w:tc><w:tcPr>{properties}</w:tcPr><w:p>{run}</w:p></w:tc>"


def write_doc(paths_and_tables: list[tuple[Path, list[Table], dict]]) -> None:
    """Word 97 documents: docx first (``dict`` = write_docx keyword arguments), then one LibreOffice run."""
    with tempfile.TemporaryDirectory(prefix="openepb-doc-") as tmp:
        pairs = []
        for index, (path, tables, options) in enumerate(paths_and_tables):
            source = Path(tmp) / f"doc{index:05d}.docx"
            write_docx(source, tables, **options)
            pairs.append((source, Path(path)))
        _convert_batch(pairs, "doc:MS Word 97")


# ---------------------------------------------------------------------------------------------
# PDF


def _pdf_font() -> str:
    """Register a Cyrillic TrueType font once; OPENEPB_PDF_FONT overrides the search."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    if PDF_FONT_NAME in pdfmetrics.getRegisteredFontNames():
        return PDF_FONT_NAME
    candidates = [os.environ.get("OPENEPB_PDF_FONT", ""), *PDF_FONT_CANDIDATES, _fc_match("DejaVuSans")]
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            pdfmetrics.registerFont(TTFont(PDF_FONT_NAME, candidate))
            return PDF_FONT_NAME
    raise RuntimeError("no DejaVuSans.ttf found for Cyrillic PDF text; set OPENEPB_PDF_FONT to a .ttf file")


def _fc_match(family: str) -> str:
    if not shutil.which("fc-match"):
        return ""
    done = subprocess.run(["fc-match", "-f", "%{file}", family], capture_output=True, text=True, check=False)
    return done.stdout.strip() if done.returncode == 0 else ""


def write_pdf(path: Path, table: Table, *, title: str = "", after: Iterable[str] = ()) -> None:
    """A text PDF (landscape A4) with a ruled grid; header rows repeat on every page, cells wrap in place."""
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import cm
    from reportlab.platypus import LongTable, Paragraph, SimpleDocTemplate, Spacer

    font = _pdf_font()
    cell_style = ParagraphStyle("cell", fontName=font, fontSize=8, leading=10)
    text_style = ParagraphStyle("text", fontName=font, fontSize=10, leading=13)
    layout = _layout(table)
    header = _header_range(table)
    page = SimpleDocTemplate(
        str(path), pagesize=landscape(A4), leftMargin=cm, rightMargin=cm, topMargin=cm, bottomMargin=cm
    )
    widths = [f * page.width for f in _relative_widths(table, layout.ncols)]
    data = [
        [
            _pdf_cell(value, cell_style, Paragraph, _span_width(layout, widths, r, c))
            for c, value in enumerate(row)
        ]
        for r, row in enumerate(layout.rows)
    ]
    # reportlab repeats a tuple of rows wrongly, so rows above the header become their own table
    # drawn flush above the main one, whose header then starts at row 0 (repeatRows=count).
    split = header.start if header else 0
    flowables = []
    if title:
        flowables += [_pdf_paragraph(title, text_style, Paragraph), Spacer(1, 0.3 * cm)]
    for first, stop, repeat in ((0, split, 0), (split, len(data), len(header))):
        if first < stop:
            style = _pdf_table_style(layout, first, stop, table.name)
            flowables.append(LongTable(data[first:stop], colWidths=widths, repeatRows=repeat, style=style))
    flowables += [_pdf_paragraph(text, text_style, Paragraph) for text in after]
    path.parent.mkdir(parents=True, exist_ok=True)
    page.build(flowables or [Spacer(1, 1)])


def _pdf_table_style(layout: _Layout, first: int, stop: int, name: str) -> list[tuple]:
    """Grid and spans for rows ``first``..``stop``-1 of the layout, renumbered from 0."""
    from reportlab.lib import colors

    commands: list[tuple] = [
        ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]
    for merge in layout.spans.values():
        last = merge.row + merge.rows - 1
        if not first <= merge.row < stop:
            continue
        if last >= stop:
            raise ValueError(f"table {name!r}: merge {merge} crosses the start of the header")
        end = (merge.col + merge.cols - 1, last - first)
        commands.append(("SPAN", (merge.col, merge.row - first), end))
    return commands


def _pdf_paragraph(text: str, style, paragraph_class):
    return paragraph_class(xml_escape(text).replace("\n", "<br/>"), style)


PDF_CELL_PADDING = 6  # reportlab's default left and right cell padding, pt


def _span_width(layout: _Layout, widths: list[float], row: int, col: int) -> float:
    merge = layout.spans.get((row, col))
    return sum(widths[col : col + merge.cols]) if merge else widths[col]


def _words_too_long_on_own_line(text: str, width: float, style) -> str:
    """Start a word too long for the cell on a line of its own, as Word and LibreOffice do.

    reportlab would otherwise fill the current line with the word's first letters, a layout no
    office's PDF shows; its own mid-word split is then left only for a word alone on its line.
    """
    from reportlab.pdfbase.pdfmetrics import stringWidth

    room = width - 2 * PDF_CELL_PADDING
    lines = []
    for line in text.split("\n"):
        words = line.split(" ")
        out = [words[0]]
        for word in words[1:]:
            too_long = stringWidth(word, style.fontName, style.fontSize) > room
            out.append(("\n" if too_long else " ") + word)
        lines.append("".join(out))
    return "\n".join(lines)


def _pdf_cell(value: CellValue, style, paragraph_class, width: float):
    text = render_cell(value)
    if not text:
        return ""
    return _pdf_paragraph(_words_too_long_on_own_line(text, width, style), style, paragraph_class)


# ---------------------------------------------------------------------------------------------
# CSV and damaged files


def write_csv(
    path: Path,
    rows: list[list[CellValue]],
    *,
    encoding: str = "cp1251",
    delimiter: str = ";",
    line_terminator: str = "\r\n",
) -> None:
    """CSV as offices export it (windows-1251, ``;``, CRLF by default); cells rendered as text."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding=encoding, newline="") as stream:
        writer = csv.writer(
            stream, delimiter=delimiter, lineterminator=line_terminator, quoting=csv.QUOTE_MINIMAL
        )
        writer.writerows([render_cell(value) for value in row] for row in rows)


def write_truncated(path: Path, source: Path, keep: float = 0.5) -> None:
    """A corrupt copy of ``source``: only its first ``keep`` share of bytes (at least one byte)."""
    if not 0 < keep < 1:
        raise ValueError(f"keep must be between 0 and 1, not {keep}")
    data = Path(source).read_bytes()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data[: max(1, int(len(data) * keep))])
