"""Format detection by content: offices name files freely (HTML saved as ``.xls``, xlsx as ``.pdf``).

The extension is never consulted. Binary containers are recognised by their magic bytes and then by
what they hold (zip members, OLE2 streams); text files by their first 64 KB.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import olefile

from openepb.read import ReadError
from openepb.read.text import choose_encoding

HEAD_SIZE = 64 * 1024
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK"

#: OOXML main parts (conventional member names) → format.
OOXML_PARTS: dict[str, str] = {
    "xl/workbook.xml": "xlsx",
    "xl/workbook.bin": "xlsx",
    "word/document.xml": "docx",
}
#: Markers of a main-part content type in ``[Content_Types].xml`` → format (non-standard part names).
OOXML_CONTENT_TYPES: dict[bytes, str] = {
    b"spreadsheetml.sheet.main": "xlsx",
    b"spreadsheetml.template.main": "xlsx",
    b"ms-excel.sheet.macroenabled.main": "xlsx",
    b"wordprocessingml.document.main": "docx",
    b"wordprocessingml.template.main": "docx",
    b"ms-word.document.macroenabled.main": "docx",
}
#: Top-level OLE2 stream → format; ``None`` means password-protected OOXML.
OLE_STREAMS: dict[str, str | None] = {
    "workbook": "xls",
    "book": "xls",
    "worddocument": "doc",
    "encryptioninfo": None,
    "encryptedpackage": None,
}
HTML_MARKERS = (b"<table", b"<html", b"<!doctype html")
#: Column delimiters a register CSV uses, in order of preference when counts tie.
DELIMITERS = (";", ",", "\t", "|")
#: Share of C0 control characters (other than tab, CR, LF, FF) above which a text is binary junk.
MAX_CONTROL_SHARE = 0.002
CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f\ufffd]")
#: Limits on what an office document's zip may inflate to, checked on the declared sizes of the
#: central directory before anything is inflated (Python's zipfile, and the readers after it, stop at a
#: member's declared size). A register workbook of a million rows inflates to a few hundred MB.
MAX_MEMBER_BYTES = 768 * 2**20
MAX_TOTAL_BYTES = 1 * 2**30
#: Compression ratio above which a large member is refused: XML of a register compresses 5–30 times,
#: a zip bomb a thousand times and more.
MAX_RATIO = 200
RATIO_CHECKED_FROM = 16 * 2**20  # members that inflate to less are harmless whatever their ratio
SPREADSHEET_XML = re.compile(r"<(?:\w+:)?workbook\b[^>]*urn:schemas-microsoft-com:office:spreadsheet", re.I)


def detect_format(path: Path) -> str:
    """One of :data:`openepb.read.FORMATS` for the file at ``path``, or :class:`ReadError`."""
    path = Path(path)
    try:
        with path.open("rb") as f:
            head = f.read(HEAD_SIZE)
    except OSError as e:
        raise ReadError("file_corrupt", f"файл не открывается: {e.strerror or e}") from e
    if not head:
        raise ReadError("file_empty", "файл пуст (0 байт)")
    if head.startswith(ZIP_MAGIC + b"\x03\x04") or head.startswith(ZIP_MAGIC + b"\x05\x06"):
        return zip_format(path)
    if head.startswith(OLE2_MAGIC):
        return ole_format(path)
    if b"%PDF-" in head[:1024]:
        return "pdf"
    if head.lstrip().startswith(b"{\\rtf"):
        return "doc"  # RTF saved as .doc: LibreOffice converts it like a Word file
    return text_format(head, complete=len(head) < HEAD_SIZE)


def zip_format(path: Path) -> str:
    """xlsx or docx by the members of an OOXML zip."""
    try:
        with zipfile.ZipFile(path) as z:
            check_inflated_sizes(z.infolist())
            names = set(z.namelist())
            for part, fmt in OOXML_PARTS.items():
                if part in names:
                    return fmt
            if "[Content_Types].xml" in names:
                types = z.read("[Content_Types].xml").lower()
                for marker, fmt in OOXML_CONTENT_TYPES.items():
                    if marker in types:
                        return fmt
            if "mimetype" in names:
                kind = z.read("mimetype")[:100].decode("ascii", "replace")
                raise ReadError("format_unknown", f"формат OpenDocument ({kind}) не поддерживается")
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError) as e:
        raise ReadError("file_corrupt", f"zip-архив повреждён или обрезан: {e}") from e
    raise ReadError("format_unknown", "zip-архив не является документом Excel или Word")


def check_inflated_sizes(members: list[zipfile.ZipInfo]) -> None:
    """Refuse a zip whose members would inflate past the limits, before inflating any."""
    total = 0
    for member in members:
        total += member.file_size
        ratio = member.file_size / max(member.compress_size, 1)
        too_large = member.file_size > MAX_MEMBER_BYTES
        if too_large or (member.file_size >= RATIO_CHECKED_FROM and ratio > MAX_RATIO):
            raise ReadError(
                "archive_oversize",
                f"элемент архива {member.filename!r} распаковывается в {member.file_size / 2**20:.0f} МБ "
                f"(сжат в {ratio:.0f} раз): файл не читается, похоже на zip-бомбу",
            )
    if total > MAX_TOTAL_BYTES:
        raise ReadError(
            "archive_oversize",
            f"архив распаковывается в {total / 2**20:.0f} МБ, больше {MAX_TOTAL_BYTES // 2**20} МБ",
        )


def ole_format(path: Path) -> str:
    """xls or doc by the streams of an OLE2 compound file; encrypted OOXML is refused here."""
    try:
        with olefile.OleFileIO(str(path)) as ole:
            streams = {entry[0].lower() for entry in ole.listdir(streams=True, storages=True)}
    except Exception as e:  # olefile raises bare Exception subclasses on damaged files
        raise ReadError("file_corrupt", f"составной файл OLE2 повреждён: {e}") from e
    for stream, fmt in OLE_STREAMS.items():
        if stream in streams:
            if fmt is None:
                raise ReadError("file_encrypted", "файл Office зашифрован паролем")
            return fmt
    raise ReadError("format_unknown", "файл OLE2 не является книгой Excel или документом Word")


def text_format(head: bytes, complete: bool) -> str:
    """html or csv for a text file; binary junk is ``format_unknown``."""
    encoding, skip = choose_encoding(head, partial=not complete)
    text = head[skip:].decode(encoding, errors="replace")
    if not text.strip():
        raise ReadError("file_empty", "файл не содержит ничего, кроме пробелов")
    if len(CONTROL_CHARS.findall(text)) > MAX_CONTROL_SHARE * len(text):
        raise ReadError("format_unknown", "двоичный файл неизвестного формата")
    lowered = text.lower()
    if SPREADSHEET_XML.search(text):
        raise ReadError("format_unknown", "формат XML Spreadsheet 2003 не поддерживается")
    if any(marker.decode() in lowered for marker in HTML_MARKERS):
        return "html"
    lines = text.splitlines()
    if not complete and len(lines) > 1:
        lines = lines[:-1]  # the last line of a sample may be cut
    if sniff_delimiter(lines) is None:
        raise ReadError("format_unknown", "текстовый файл без разделителей столбцов")
    return "csv"


def sniff_delimiter(lines: list[str]) -> str | None:
    """The delimiter present in most non-empty lines (at least half of them), by count of lines."""
    lines = [line for line in lines if line.strip()][:200]
    if not lines:
        return None
    best, best_lines = None, 0
    for delimiter in DELIMITERS:
        found = sum(1 for line in lines if delimiter in line)
        if found > best_lines:
            best, best_lines = delimiter, found
    return best if best_lines * 2 >= len(lines) else None
