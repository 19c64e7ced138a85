"""Decoding text files (CSV, HTML) whose encoding nobody declared reliably.

Russian office files are UTF-8 or windows-1251 nearly always; KOI8-R and DOS cp866 turn up rarely.
The order of evidence: a byte-order mark, then strict UTF-8 (Cyrillic in cp1251 is practically never
valid UTF-8), then the caller's declared charset, then charset-normalizer's guess with cp1251
preferred whenever it decodes the bytes as cleanly as the best guess.
"""

from __future__ import annotations

import codecs

from charset_normalizer import from_bytes

#: Byte-order marks, longest first (the UTF-32 LE mark starts with the UTF-16 LE one).
BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

#: How much worse (charset-normalizer "chaos") cp1251 may look than the best guess and still win.
CP1251_TOLERANCE = 0.01
#: Bytes handed to charset-normalizer; enough for a verdict, cheap on a 50 MB file.
GUESS_SAMPLE = 256 * 1024


def bom_encoding(data: bytes) -> tuple[str, int] | None:
    """The encoding announced by a byte-order mark and the mark's length."""
    for bom, name in BOMS:
        if data.startswith(bom):
            return name, len(bom)
    return None


def is_utf8(data: bytes, partial: bool = False) -> bool:
    """Strict UTF-8 check; ``partial`` tolerates a character cut at the end of a sample."""
    try:
        codecs.getincrementaldecoder("utf-8")().decode(data, final=not partial)
    except UnicodeDecodeError:
        return False
    return True


def known_codec(name: str | None) -> str | None:
    """A Python codec name for a declared charset, or None when Python does not know it."""
    if not name:
        return None
    try:
        return codecs.lookup(name.strip().strip("\"'")).name
    except LookupError:
        return None


def guess_encoding(data: bytes) -> str:
    """charset-normalizer's verdict, preferring cp1251 when it is as clean as the best guess."""
    matches = list(from_bytes(data[:GUESS_SAMPLE]))
    if not matches:
        return "cp1251"
    best_chaos = min(m.chaos for m in matches)
    for m in matches:
        if m.encoding == "cp1251" and m.chaos <= best_chaos + CP1251_TOLERANCE:
            return "cp1251"
    russian = [m for m in matches if m.language == "Russian"]
    return (russian or matches)[0].encoding


def choose_encoding(data: bytes, declared: str | None = None, partial: bool = False) -> tuple[str, int]:
    """The encoding of ``data`` and how many leading bytes (a BOM) to skip."""
    bom = bom_encoding(data)
    if bom:
        return bom
    if is_utf8(data, partial):
        return "utf-8", 0
    codec = known_codec(declared)
    if codec and codec != "utf-8":
        return codec, 0
    return guess_encoding(data), 0


def decode(data: bytes, declared: str | None = None) -> tuple[str, str]:
    """The text of ``data`` and the encoding used; undecodable bytes become U+FFFD, never an error."""
    encoding, skip = choose_encoding(data, declared)
    return data[skip:].decode(encoding, errors="replace"), encoding
