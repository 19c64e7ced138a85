"""Canonical field parsers: one messy cell in, one canonical value (or ``None``) out.

The rules are those of ``docs/normalization.md`` («Канонические значения»). Every function is pure and
runs once per cell on millions of rows, so regexes and tables are built at import, inputs that are
already canonical take a fast path, and only functions whose inputs repeat heavily are cached.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from dataclasses import dataclass
from functools import cache, lru_cache

from openepb.contract import SCHEMA_DIR, formats
from openepb.contract.legal_forms import form_codes_pattern

# --------------------------------------------------------------------------------------------------
# Text
# --------------------------------------------------------------------------------------------------

_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")


def clean_text(s: str | None) -> str | None:
    """Collapse every white-space run to one space and trim; an empty result is ``None``.

    ``str.split()`` splits on all Unicode white space (NBSP, narrow NBSP, tabs, line breaks), which
    is both exact and the fastest way to do it in Python. Zero-width characters are dropped.
    """
    if not s:
        return None
    if _INVISIBLE.search(s):
        s = _INVISIBLE.sub("", s)
    text = " ".join(s.split())
    return text or None


# --------------------------------------------------------------------------------------------------
# Registration number NN-XX-NNNNN-YYYY
# --------------------------------------------------------------------------------------------------

_DASHES = "\\-\u2010\u2011\u2012\u2013\u2014\u2015\u2212"
_SEP = rf"[\s{_DASHES}_]+"
#: The canonical form, from schema/formats.yaml (RegNumber): whatever this parser returns fits it.
_REG_CANONICAL = re.compile(formats.get("RegNumber").pattern or "")
_REG_LOOSE = re.compile(
    rf"\s*(?:№|NO\.?|N)?\s*([0-9]+){_SEP}([A-ZА-ЯЁ0-9]{{2}}){_SEP}([0-9]+){_SEP}([0-9]+)",
)
#: Latin look-alikes and the digits 3 and 0 that stand for letters in the letter group.
_LETTER_LOOKALIKES = str.maketrans("ABCEHKMOPTXY30", "АВСЕНКМОРТХУЗО")
_CYRILLIC_PAIR = re.compile(r"[А-ЯЁ]{2}")
#: Group lengths a published number may have: the first group of one or two digits (one is padded),
#: the serial of five or six digits, a four-digit year.
_FIRST_GROUP = (1, 2)
_SERIAL = (5, 6)


def parse_reg_number(s: str | None) -> str | None:
    """Canonical ``NN-XX-NNNNN-YYYY`` / ``NN-XX-NNNNNN-YYYY`` (Cyrillic letters), or ``None``.

    A one-digit first group is zero-padded (``2-ТУ-600791-2025`` → ``02-ТУ-600791-2025``); nothing
    else is padded or guessed: ``58-ТУ-1234-2017`` is invalid. Text after the year is ignored.
    """
    if not s:
        return None
    if _REG_CANONICAL.fullmatch(s):
        return s
    m = _REG_LOOSE.match(s.upper())
    if m is None:
        return None
    region, letters, serial, year = m.groups()
    if len(region) not in _FIRST_GROUP or len(serial) not in _SERIAL or len(year) != 4:
        return None
    letters = letters.translate(_LETTER_LOOKALIKES)
    if not _CYRILLIC_PAIR.fullmatch(letters):
        return None
    return f"{region.zfill(2)}-{letters}-{serial}-{year}"


def published_spelling(cell: str, canonical: str) -> str | None:
    """The number as the source wrote it, when that differs from the canonical form (provenance)."""
    text = clean_text(cell)
    return None if text is None or text == canonical else text


# --------------------------------------------------------------------------------------------------
# Placeholders
# --------------------------------------------------------------------------------------------------


def is_placeholder(s: str) -> bool:
    """«нет», «-», «отсутствует», «б/н» …: a cell that says there is no value (schema/formats.yaml)."""
    return formats.is_placeholder(s.strip())


# --------------------------------------------------------------------------------------------------
# Dates
# --------------------------------------------------------------------------------------------------

_EXCEL_EPOCH = dt.date(1899, 12, 30)
_SERIAL_MIN = (dt.date(2000, 1, 1) - _EXCEL_EPOCH).days
_SERIAL_MAX = (dt.date(2099, 12, 31) - _EXCEL_EPOCH).days

_YEAR_SUFFIX = r"(?:\s*г(?:од[а]?)?\.?)?"
_TIME = r"(?:[T ][0-9]{1,2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?)?"
_DATE_ISO = re.compile(rf"([0-9]{{4}})-([0-9]{{2}})-([0-9]{{2}}){_TIME}")
_DATE_DMY = re.compile(rf"([0-9]{{1,2}})([./])([0-9]{{1,2}})\2([0-9]{{4}}|[0-9]{{2}}){_YEAR_SUFFIX}{_TIME}")
_DATE_WORDS = re.compile(rf"[«\"]?([0-9]{{1,2}})[»\"]?\s*([а-яё]+)\.?\s*([0-9]{{4}}){_YEAR_SUFFIX}")
_DATE_SERIAL = re.compile(r"([0-9]{5})(?:\.[0-9]+)?")

#: Month names in the genitive, as written after a day (``1 декабря 2018 г.``).
MONTHS_GENITIVE = (
    "января",
    "февраля",
    "марта",
    "апреля",
    "мая",
    "июня",
    "июля",
    "августа",
    "сентября",
    "октября",
    "ноября",
    "декабря",
)
#: Three-letter stems identify a month uniquely (``мар``/``мая``, ``июн``/``июл`` differ).
_MONTH_BY_STEM = {name[:3]: number for number, name in enumerate(MONTHS_GENITIVE, start=1)}
_MONTH_BY_STEM["май"] = 5


def _month_from_word(word: str) -> int | None:
    """A genitive month name or an abbreviation of at least three letters (``дек``, ``сент``)."""
    month = _MONTH_BY_STEM.get(word[:3])
    if month is None or len(word) < 3:
        return None
    if word == "май" or MONTHS_GENITIVE[month - 1].startswith(word):
        return month
    return None


def _make_date(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def _date_from_serial(serial: int) -> dt.date | None:
    """An Excel serial (1900 date system) in the plausible range 2000-01-01..2099-12-31."""
    if _SERIAL_MIN <= serial <= _SERIAL_MAX:
        return _EXCEL_EPOCH + dt.timedelta(days=serial)
    return None


@lru_cache(maxsize=8192)
def parse_date(s: str | None) -> dt.date | None:
    """Every date form the contract accepts; ``None`` when the text is not one of them.

    Day first; two-digit years are 20YY; a time part is dropped (also after a day-first date, as
    spreadsheet CSV exports write it); month names may be abbreviated
    to three or more letters (``1 дек. 2018``), which is unambiguous for Russian months.
    Cached: a register has few distinct dates and many rows per date.
    """
    if not s:
        return None
    text = s.strip()
    m = _DATE_DMY.fullmatch(text)
    if m is not None:
        year = int(m[4])
        return _make_date(year + 2000 if year < 100 else year, int(m[3]), int(m[1]))
    m = _DATE_ISO.fullmatch(text)
    if m is not None:
        return _make_date(int(m[1]), int(m[2]), int(m[3]))
    m = _DATE_SERIAL.fullmatch(text)
    if m is not None:
        return _date_from_serial(int(m[1]))
    m = _DATE_WORDS.fullmatch(text.lower())
    if m is not None:
        month = _month_from_word(m[2])
        return None if month is None else _make_date(int(m[3]), month, int(m[1]))
    return None


# --------------------------------------------------------------------------------------------------
# Licence ДЭ-00-NNNNNN and expert certificates XX.NN.NNNNN.NNN
# --------------------------------------------------------------------------------------------------

_LICENCE = re.compile(
    rf"(?<![^\W\d_])[ДD][ЭЕE][\s{_DASHES}_]*00[\s{_DASHES}_]*([0-9]{{6}})(?![0-9])",
    re.IGNORECASE,
)


def parse_licence(s: str | None) -> str | None:
    """The first ``ДЭ-00-NNNNNN`` anywhere in the text (``DE``/``ДЕ`` look-alikes accepted)."""
    if not s:
        return None
    m = _LICENCE.search(s)
    return None if m is None else f"ДЭ-00-{m[1]}"


_CERTIFICATE = re.compile(
    r"(?<![^\W\d_])([A-ZА-ЯЁ]{2})\s*\.\s*([0-9]{2})\s*\.\s*([0-9]{5})\s*\.\s*([0-9]{3})(?![0-9])",
    re.IGNORECASE,
)
_CERTIFICATE_CANONICAL = re.compile(r"[А-ЯЁ]{2}\.[0-9]{2}\.[0-9]{5}\.[0-9]{3}")
_LATIN_LOOKALIKES = str.maketrans("ABCEHKMOPTXY", "АВСЕНКМОРТХУ")
#: Prefixes that only differ from the real one by Е written for Э (as in ``DE``/``ДЕ`` licences).
_CERTIFICATE_PREFIX_FIXES = {"АЕ": "АЭ"}


def _certificate_prefix(letters: str) -> str | None:
    prefix = letters.upper().translate(_LATIN_LOOKALIKES)
    prefix = _CERTIFICATE_PREFIX_FIXES.get(prefix, prefix)
    return prefix if _CYRILLIC_PAIR.fullmatch(prefix) else None


def parse_certificates(s: str | None) -> str | None:
    """Every ``XX.NN.NNNNN.NNN`` in order, joined by ``; ``; text without one is kept as text."""
    if s and _CERTIFICATE_CANONICAL.fullmatch(s) and s[:2] not in _CERTIFICATE_PREFIX_FIXES:
        return s
    text = clean_text(s)
    if text is None:
        return None
    found: list[str] = []
    for m in _CERTIFICATE.finditer(text):
        prefix = _certificate_prefix(m[1])
        if prefix is not None:
            found.append(f"{prefix}.{m[2]}.{m[3]}.{m[4]}")
    return "; ".join(found) if found else text


# --------------------------------------------------------------------------------------------------
# ИНН
# --------------------------------------------------------------------------------------------------

_INN_MARK = r"ИНН(?:\s*/\s*КПП)?\s*[:№]?\s*"
_INN_LEADING = re.compile(rf"(?:{_INN_MARK})?([0-9]{{12}}|[0-9]{{10}})(?![0-9])", re.IGNORECASE)
_INN_INSIDE = re.compile(rf"(?<![^\W\d_]){_INN_MARK}([0-9]{{12}}|[0-9]{{10}})(?![0-9])", re.IGNORECASE)


def parse_inn(s: str | None) -> str | None:
    """10 or 12 digits, alone or after ``ИНН``; a lost leading zero is not restored (no guessing)."""
    text = clean_text(s)
    if text is None:
        return None
    m = _INN_LEADING.match(text) or _INN_INSIDE.search(text)
    return None if m is None else m[1]


# --------------------------------------------------------------------------------------------------
# Object type
# --------------------------------------------------------------------------------------------------

_NON_WORD = re.compile(r"[\W_]+")


def _object_type_key(s: str) -> str:
    return _NON_WORD.sub(" ", s.lower().replace("ё", "е")).strip()


@cache
def _object_type_synonyms() -> tuple[tuple[str, str], ...]:
    """(normalized synonym, code) pairs from ``schema/object_types.csv``, longest synonym first."""
    pairs: dict[str, str] = {}
    with (SCHEMA_DIR / "object_types.csv").open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            for text in (row["code"], row["name"], *row["synonyms"].split("|")):
                key = _object_type_key(text)
                if key:
                    pairs.setdefault(key, row["code"])
    return tuple(sorted(pairs.items(), key=lambda kv: -len(kv[0])))


@lru_cache(maxsize=4096)
def object_type_from_text(s: str | None) -> str | None:
    """Object-type column text → code: exact synonym, else the longest synonym the text starts
    with, else a code all the (multi-letter) synonyms found inside the text agree on."""
    if not s:
        return None
    key = _object_type_key(s)
    if not key:
        return None
    synonyms = _object_type_synonyms()
    for synonym, code in synonyms:
        if key == synonym or key.startswith(synonym + " "):
            return code
    padded = f" {key} "
    inside = {code for synonym, code in synonyms if len(synonym) > 2 and f" {synonym} " in padded}
    return inside.pop() if len(inside) == 1 else None


# --------------------------------------------------------------------------------------------------
# Contact cells
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Contact:
    name: str | None = None
    inn: str | None = None
    address: str | None = None
    head: str | None = None
    phone: str | None = None
    fax: str | None = None
    email: str | None = None
    licence: str | None = None  # a licence number found inside an expert organization's cell


_EMAIL = re.compile(r"[\w.%+\-]+@[\w\-]+(?:\.[\w\-]+)*\.[^\W\d_]{2,}")

#: Markers that open a part of a contact cell, in matching order (``тел./факс`` before ``тел``).
_PART_MARKERS: tuple[tuple[str, str], ...] = (
    ("email", r"e-?mail|эл\.?\s*почта|электронная\s+почта|адрес\s+электронной\s+почты"),
    ("inn", r"ИНН(?:\s*/\s*КПП)?"),
    ("phone_fax", r"тел(?:ефон)?\.?\s*[/\\,-]?\s*факс|т\s*/\s*ф"),
    ("phone", r"(?:контактный\s+)?тел(?:ефон|ефоны)?\.?|т\."),
    ("fax", r"факс|ф\."),
    ("licence", r"лицензи[яи]|лиц\."),
    ("address", r"(?:(?:юридический|почтовый|фактический|юр\.|факт\.|почт\.)\s*)?адрес"),
    ("skip", r"ОГРН(?:ИП)?|КПП|ОКПО|ОКВЭД|БИК|р/с|к/с|сайт|www\.\S*|https?://\S*"),
)
_MARKER_AT_START = re.compile(
    r"[\s(]*(?:"
    + "|".join(f"(?P<{kind}>{pattern})" for kind, pattern in _PART_MARKERS)
    + r")(?![^\W\d_])\s*[:.№]?\s*",
    re.IGNORECASE,
)
#: Markers that split a part even without a comma before them (``д. 1 тел. 123``).
_INLINE_SPLIT = re.compile(
    r"(?<=[^\s/\\,;])(?<!тел\.)(?<!тел)(?<!телефон)\s+"
    r"(?=(?:тел|телефон|факс|e-?mail|эл\.\s*почта|ИНН)(?![^\W\d_]))",
    re.IGNORECASE,
)
_POSITION = re.compile(
    r"(?<![^\W\d_])(?:директор[ау]?|руководител[ья]|управляющ(?:ий|его)|президент[а]?"
    r"|председател[ья]|начальник[а]?|глав[аы])(?![^\W\d_])",
    re.IGNORECASE,
)
_ENDS_WITH_POSITION = re.compile(_POSITION.pattern + r"\W*$", re.IGNORECASE)
_ADDRESS_START = re.compile(
    r"[0-9]{6}(?![0-9])|(?:г|гор|город|пос|пгт|рп|с|дер|ул|пр|просп|пр-т|пер|пл|ш|наб|мкр|р-н|обл|край"
    r"|респ|Республика|Россия|РФ|Российская\s+Федерация)(?:\.|\s|$)",
    re.IGNORECASE,
)
_SEGMENT_BREAK = re.compile(r"\s*(?:\n|;)\s*")
_CHUNK_BREAK = re.compile(r",\s+")
_UNQUOTED_NAME_END = re.compile(r"[,;\n]")
_LEGAL_FORM_AFTER = re.compile(r"\s*(?:" + form_codes_pattern() + r")(?![^\W\d_])")
_OPEN_QUOTES = "«„"
_CLOSE_QUOTES = "»"
_CONTEXT_QUOTES = '"“”'
_OPENING_CONTEXT = "([{«„"
_QUOTE_CHARS = frozenset(_OPEN_QUOTES + _CLOSE_QUOTES + _CONTEXT_QUOTES)
_EDGE_PUNCTUATION = " ,;:"
_EMPTY_VALUE_KINDS = frozenset({"inn", "phone", "fax", "phone_fax"})


def _quote_delta(text: str, i: int, depth: int) -> int:
    """+1 for an opening quote, -1 for a closing one, 0 otherwise.

    Guillemets say which side they are on; straight and curly quotes open at depth 0 or after a
    space or an opening bracket, and close otherwise.
    """
    ch = text[i]
    if ch in _OPEN_QUOTES:
        return 1
    if ch in _CLOSE_QUOTES:
        return -1 if depth else 0
    if ch in _CONTEXT_QUOTES:
        if depth == 0 or i == 0 or text[i - 1].isspace() or text[i - 1] in _OPENING_CONTEXT:
            return 1
        return -1
    return 0


def _first_segment_has_quote(text: str) -> bool:
    """A quote opens before the first comma, semicolon or line break (a line break right before
    a quote is a wrapped name, not a break)."""
    for i, ch in enumerate(text):
        if ch in _OPEN_QUOTES or ch in _CONTEXT_QUOTES:
            return True
        if ch in ",;" or (ch == "\n" and text[i + 1 :].lstrip(" ")[:1] not in _QUOTE_CHARS):
            return False
    return False


def _is_separator_after(text: str, end: int) -> bool:
    rest = text[end:].lstrip(" \t")
    return not rest or rest[0] in ",;(\n"


def _quoted_name_end(text: str) -> int | None:
    """Index just after the quote that closes the outermost one.

    When the closing quotes of nested names are merged into one (``«НПФ «Русская лаборатория»``),
    the name ends at the first closing quote followed by a separator, else at the last one.
    """
    depth = 0
    candidate = last_close = None
    for i, ch in enumerate(text):
        if ch not in _QUOTE_CHARS:
            continue
        delta = _quote_delta(text, i, depth)
        if delta > 0:
            depth += 1
        elif delta < 0:
            depth -= 1
            if depth == 0:
                return i + 1
            last_close = i + 1
            if candidate is None and _is_separator_after(text, i + 1):
                candidate = i + 1
    return candidate or last_close


def _take_name(text: str) -> tuple[str | None, str]:
    """Split off the name (the first segment of the cell) and return it with the rest."""
    if _first_segment_has_quote(text):
        end = _quoted_name_end(text)
        if end is not None:
            form = _LEGAL_FORM_AFTER.match(text, end)
            if form is not None:
                end = form.end()
            return _trim(text[:end]), text[end:]
    m = _UNQUOTED_NAME_END.search(text)
    end = m.start() if m else len(text)
    inline = _INLINE_SPLIT.search(text, 0, end)
    if inline is not None:
        end = inline.start()
    head = text[:end]
    if _MARKER_AT_START.match(head) or _LICENCE.search(head):
        return None, text
    return _trim(head), text[end:]


def _trim(text: str) -> str | None:
    """Clean a part and drop separators left at its edges; keep a final dot (``Петров П.П.``)."""
    cleaned = clean_text(text)
    if cleaned is None:
        return None
    cleaned = cleaned.strip(_EDGE_PUNCTUATION)
    if cleaned.startswith("(") and cleaned.endswith(")") and cleaned.count("(") == 1:
        cleaned = cleaned[1:-1].strip(_EDGE_PUNCTUATION)
    return cleaned or None


def _chunk_kind(chunk: str) -> str | None:
    """The part a chunk opens, or ``None`` when it continues the previous part."""
    m = _MARKER_AT_START.match(chunk)
    if m is not None:
        return m.lastgroup
    if _LICENCE.search(chunk):
        return "licence"
    if _POSITION.search(chunk):
        return "head"
    if _ADDRESS_START.match(chunk):
        return "address"
    return None


def _marker_value(kind: str, chunk: str) -> str:
    """The chunk without its leading marker; a head keeps its position words."""
    if kind == "head":
        return chunk
    m = _MARKER_AT_START.match(chunk)
    return chunk[m.end() :] if m is not None else chunk


def _group_parts(rest: str) -> list[tuple[str, list[str]]]:
    """Segments at line breaks and ``;``; inside them a new part at ``, `` or an inline marker when
    the next chunk opens one. Returns (kind, values) groups in order."""
    groups: list[tuple[str, list[str]]] = []
    for segment in _SEGMENT_BREAK.split(rest):
        first = True
        for piece in _CHUNK_BREAK.split(segment):
            for chunk in _INLINE_SPLIT.split(piece):
                chunk = chunk.strip(_EDGE_PUNCTUATION + "\t")
                if not chunk:
                    continue
                kind = _chunk_kind(chunk)
                if first or kind is not None:
                    kind = kind or "address"
                    groups.append((kind, [_marker_value(kind, chunk)]))
                    first = False
                else:
                    groups[-1][1].append(chunk)
    return _absorb_wrapped_values(groups)


def _absorb_wrapped_values(groups: list[tuple[str, list[str]]]) -> list[tuple[str, list[str]]]:
    """A marker whose value went to the next line (``тел.`` / ``(495) 123-45-67``, ``Генеральный
    директор`` / ``Петров П.П.``) takes that next unmarked line as its value."""
    merged: list[tuple[str, list[str]]] = []
    for kind, values in groups:
        if merged and kind == "address":
            prev_kind, prev_values = merged[-1]
            prev_text = ", ".join(v for v in prev_values if v.strip(_EDGE_PUNCTUATION))
            empty = prev_kind in _EMPTY_VALUE_KINDS and not prev_text
            if empty or (prev_kind == "head" and _ENDS_WITH_POSITION.search(prev_text)):
                joiner = " " if prev_text else ""
                merged[-1] = (prev_kind, [prev_text + joiner + ", ".join(values)])
                continue
        merged.append((kind, values))
    return merged


def looks_like_address(text: str) -> bool:
    """A postcode or a settlement/street word opens the text (``450000, г. Уфа``, ``ул. Мира, 1``)."""
    return _ADDRESS_START.match(text.lstrip()) is not None


def _join(parts: list[str], sep: str) -> str | None:
    trimmed = [t for t in (_trim(p) for p in parts) if t]
    return sep.join(trimmed) if trimmed else None


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


@lru_cache(maxsize=32768)
def split_contact(s: str | None) -> Contact:
    """Split a crammed name/address/head/phone/fax/e-mail/ИНН cell per the contract.

    Cached with a bound: organization cells repeat on thousands of rows.
    """
    if not s or not s.strip():
        return Contact()
    text = s.strip().replace("\r\n", "\n").replace("\r", "\n")
    emails = _unique([e.lower() for e in _EMAIL.findall(text)])
    name, rest = _take_name(_EMAIL.sub(" ", text) if emails else text)
    by_kind: dict[str, list[str]] = {}
    for kind, values in _group_parts(rest):
        joined = _join(values, ", ")
        if joined:
            by_kind.setdefault(kind, []).append(joined)
    phones = by_kind.get("phone", []) + by_kind.get("phone_fax", [])
    faxes = by_kind.get("fax", []) + by_kind.get("phone_fax", [])
    inns = [inn for inn in map(parse_inn, by_kind.get("inn", [])) if inn]
    return Contact(
        name=name,
        inn=inns[0] if inns else None,
        address=_join(by_kind.get("address", []), ", "),
        head=_join(by_kind.get("head", []), "; "),
        phone=_join(_unique(phones), ", "),
        fax=_join(_unique(faxes), ", "),
        email="; ".join(emails) if emails else None,
        licence=parse_licence(text),
    )


# --------------------------------------------------------------------------------------------------
# Today's fields: ОПО number, hazard class, verdict, region, term of further operation
# --------------------------------------------------------------------------------------------------

_OPO = re.compile(
    rf"(?<![^\W\d_])[АA]\s*([0-9]{{2}})\s*[{_DASHES}]\s*([0-9]{{5}})\s*[{_DASHES}]\s*([0-9]{{4}})(?![0-9])",
    re.IGNORECASE,
)


def parse_opo_number(s: str | None) -> str | None:
    """The first ОПО registration number ``АNN-NNNNN-NNNN`` in the text (Latin A accepted)."""
    if not s:
        return None
    m = _OPO.search(s)
    return None if m is None else f"А{m[1]}-{m[2]}-{m[3]}"


_ROMAN = {"I": "I", "II": "II", "III": "III", "IV": "IV", "1": "I", "2": "II", "3": "III", "4": "IV"}
_HAZARD = re.compile(
    r"(?:(?:класс\w*\s*(?:опасности)?|кл\.)\s*[:№]?\s*)?"
    r"(IV|III|II|I|[1-4])(?![\w])"
    r"(?:\s*-?(?:й|го|ий))?(?:\s*(?:класс\w*|кл\.)(?:\s*опасности)?)?\.?\s*(?:\([^)]*\))?",
    re.IGNORECASE,
)
_CYRILLIC_ROMAN = str.maketrans("ІУХ", "IVX")


def parse_hazard_class(s: str | None) -> str | None:
    """Hazard class I–IV from «II», «2», «III класс», «класс опасности: IV», «I (чрезвычайно высокая)»."""
    text = clean_text(s)
    if text is None:
        return None
    m = _HAZARD.fullmatch(text.translate(_CYRILLIC_ROMAN))
    return None if m is None else _ROMAN[m[1].upper()]


def _phrase_key(s: str) -> str:
    return " " + " ".join(_NON_WORD.sub(" ", s.lower().replace("ё", "е")).split()) + " "


@cache
def _result_synonyms() -> tuple[tuple[str, tuple[str, ...]], ...]:
    """(code, phrase keys), in reverse list order: «не в полной мере» and «не соответствует» are
    looked for before «соответствует», which both contain."""
    codes = formats.get("ConclusionResult").codes
    return tuple((c.value, tuple(_phrase_key(t) for t in (c.value, *c.synonyms))) for c in reversed(codes))


@lru_cache(maxsize=1024)
def parse_conclusion_result(s: str | None) -> str | None:
    """The verdict code of a cell («Соответствует требованиям ПБ» → «соответствует»), or None."""
    if not s:
        return None
    key = _phrase_key(s)
    for code, phrases in _result_synonyms():
        if any(phrase in key for phrase in phrases):
            return code
    return None


#: Words left out of a region's key, and abbreviations written out, so word order, «г.», «обл.»,
#: «респ.» and «АО» do not matter.
_REGION_DROP = frozenset({"г", "гор", "город", "федерального", "значения"})
_REGION_WORDS = {"обл": "область", "респ": "республика", "ао": "автономный округ", "авт": "автономный"}


def _region_key(s: str) -> str:
    words = _NON_WORD.sub(" ", s.lower().replace("ё", "е")).split()
    expanded = " ".join(_REGION_WORDS.get(w, w) for w in words if w not in _REGION_DROP)
    return " ".join(sorted(expanded.split()))


@cache
def _region_names() -> dict[str, str]:
    names: dict[str, str] = {}
    for code in formats.get("Region").codes:
        for text in (code.value, *code.synonyms):
            names.setdefault(_region_key(text), code.value)
    return names


@lru_cache(maxsize=1024)
def parse_region(s: str | None) -> str | None:
    """The official name of a subject of the federation from any listed spelling, or None."""
    if not s:
        return None
    return _region_names().get(_region_key(s))


_DATE_INSIDE = re.compile(r"(?<![0-9])[0-9]{1,2}\.[0-9]{1,2}\.(?:[0-9]{4}|[0-9]{2})(?![0-9])")


def parse_operation_term(s: str | None) -> str | None:
    """ISO date where the term is a date («до 01.12.2030» → 2030-12-01), else the cleaned text."""
    text = clean_text(s)
    if text is None:
        return None
    found = parse_date(text)
    if found is None:
        dates = _DATE_INSIDE.findall(text)
        found = parse_date(dates[0]) if len(dates) == 1 else None
    return found.isoformat() if found is not None else text


# --------------------------------------------------------------------------------------------------
# ИНН inside a name cell
# --------------------------------------------------------------------------------------------------

_NAME_INN = re.compile(rf"[\s,;]*\(?\s*{_INN_MARK}([0-9]{{12}}|[0-9]{{10}})(?![0-9])\s*\)?", re.IGNORECASE)


def split_name_inn(s: str | None) -> tuple[str | None, str | None]:
    """«ООО "ЦЭПБ" (ИНН 5503221735)» → («ООО "ЦЭПБ"», «5503221735»): the ИНН leaves the name."""
    text = clean_text(s)
    if text is None:
        return None, None
    m = _NAME_INN.search(text)
    if m is None:
        return text, None
    name = clean_text((text[: m.start()] + " " + text[m.end() :]).strip(" ,;"))
    return name, m[1]


def inn_checksum_ok(inn: str) -> bool:
    return formats.inn_checksum_ok(inn)


# --------------------------------------------------------------------------------------------------
# Helpers for the content recognizers (openepb/normalize/recognize.py)
# --------------------------------------------------------------------------------------------------


def remove_licences(s: str) -> str:
    """The text with every licence number cut out: what is left says whether the cell is a licence."""
    return _LICENCE.sub(" ", s)


def remove_opo_numbers(s: str) -> str:
    """The text with every ОПО number cut out: what is left says whether the cell is an ОПО number."""
    return _OPO.sub(" ", s)
