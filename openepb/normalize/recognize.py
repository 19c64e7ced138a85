"""Cell-content recognizers: how well a column's cells fit each register field.

Header wording is evidence, not the verdict (docs/normalization.md): the normalizer reads a column's
field from its header, then checks that reading against a bounded sample of the column's cells. Each
cell is sorted into kinds (registration number, licence, date, ИНН, …) by the parsers of
openepb.normalize.parsers — the same ones that later turn the cell into a value — so a column is recognised by
what its setter would accept. Kinds, the fields they fit and the thresholds live in
schema/recognizers.yaml.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

import yaml

from openepb.contract import formats
from openepb.contract.fields import COMBINED_FIELDS, SOURCE_FIELDS
from openepb.contract.sources import SCHEMA_DIR
from openepb.normalize import parsers as fields

RULES_FILE = SCHEMA_DIR / "recognizers.yaml"


@dataclass(frozen=True, slots=True)
class Thresholds:
    sample_cells: int
    scan_rows: int
    min_cells: int
    fits: float
    clear: float


@dataclass(frozen=True, slots=True)
class Words:
    legal_forms_short: tuple[str, ...]
    legal_forms_long: tuple[str, ...]
    licence_words: frozenset[str]
    opo_words: frozenset[str]
    term_units: tuple[str, ...]
    object_type_max_words: int
    conclusion_result_max_words: int
    long_text_min_words: int
    value_extra_words: int


@dataclass(frozen=True, slots=True)
class Rules:
    kinds: tuple[str, ...]  # priority order
    titles: dict[str, str]  # kind → Russian words for messages
    values: frozenset[str]  # kinds that are a value and nothing else (never text)
    fits: dict[str, frozenset[str]]  # field → kinds that fit it
    instead: dict[str, dict[str, str]]  # header field → {clear kind: field the column becomes}
    by_content: dict[str, tuple[str, ...]]  # clear kind → fields it can be, first free wins
    thresholds: Thresholds
    words: Words


@cache
def rules() -> Rules:
    """Load schema/recognizers.yaml once; an unknown kind or field is a data error, caught at load."""
    data = yaml.safe_load(RULES_FILE.read_text(encoding="utf-8"))
    kinds = tuple(data["kinds"])
    known = set(kinds)
    used = [k for ks in data["fields"].values() for k in ks]
    used += [k for mapping in data["instead"].values() for k in mapping]
    used += list(data["by_content"])
    unknown = sorted(set(used) - known)
    if unknown:
        raise ValueError(f"schema/recognizers.yaml: unknown kinds {unknown}")
    named = set(data["fields"]) | set(data["instead"])
    named |= {f for mapping in data["instead"].values() for f in mapping.values()}
    named |= {f for names in data["by_content"].values() for f in names}
    strangers = sorted(named - set(SOURCE_FIELDS) - set(COMBINED_FIELDS))
    if strangers:
        raise ValueError(f"schema/recognizers.yaml: unknown fields {strangers}")
    return Rules(
        kinds=kinds,
        titles={k: spec["title"] for k, spec in data["kinds"].items()},
        values=frozenset(k for k, spec in data["kinds"].items() if spec.get("value")),
        fits={name: frozenset(ks) for name, ks in data["fields"].items()},
        instead={name: dict(mapping) for name, mapping in data["instead"].items()},
        by_content={k: tuple(names) for k, names in data["by_content"].items()},
        thresholds=Thresholds(**data["thresholds"]),
        words=_words(data["words"]),
    )


def _words(data: dict[str, Any]) -> Words:
    def texts(name: str) -> tuple[str, ...]:
        return tuple(str(w) for w in data[name])

    return Words(
        legal_forms_short=texts("legal_forms_short"),
        legal_forms_long=texts("legal_forms_long"),
        licence_words=frozenset(w.lower() for w in texts("licence_words")),
        opo_words=frozenset(w.lower() for w in texts("opo_words")),
        term_units=texts("term_units"),
        object_type_max_words=int(data["object_type_max_words"]),
        conclusion_result_max_words=int(data["conclusion_result_max_words"]),
        long_text_min_words=int(data["long_text_min_words"]),
        value_extra_words=int(data["value_extra_words"]),
    )


# --- the kinds of one cell -------------------------------------------------------------------------

_WORD = re.compile(r"[^\W\d_]+")
_LETTER = re.compile(r"[^\W\d_]")
_DIGIT = re.compile(r"\d")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")
_DATE_TOKEN = re.compile(r"(?<!\d)\d{1,2}\.\d{1,2}\.(?:\d{4}|\d{2})(?!\d)")
_INN = re.compile(r"(?:ИНН(?:\s*/\s*КПП)?\s*[:№]?\s*)?(\d{12}|\d{10})(?:\s*/\s*\d{9})?", re.IGNORECASE)
_EMAIL_ONE = r"[\w.%+\-]+@[\w\-]+(?:\.[\w\-]+)*\.[^\W\d_]{2,}"
_EMAIL = re.compile(
    rf"(?:(?:e-?mail|эл\.?\s*почта)\s*:?\s*)?{_EMAIL_ONE}(?:\s*[,;]\s*{_EMAIL_ONE})*", re.IGNORECASE
)
_PHONE_ONE = r"\+?[\d(][\d\s()\-‐–—]{4,}\d"
_PHONE = re.compile(
    rf"(?:(?:тел(?:ефон)?|т)\.?\s*:?\s*)?{_PHONE_ONE}(?:\s*[,;]\s*{_PHONE_ONE})*", re.IGNORECASE
)
_CERTIFICATES = re.compile(formats.get("CertificateList").pattern or "")


@cache
def _legal_form() -> re.Pattern[str]:
    words = rules().words
    short = "|".join(re.escape(w) for w in words.legal_forms_short)
    long = "|".join(re.escape(w) for w in words.legal_forms_long)
    return re.compile(rf"(?<![^\W\d_])(?:{short})(?![^\W\d_])|(?<![^\W\d_])(?i:{long})")


_QUOTES = re.compile('[«»"“”„]')


def _few_other_words(rest: str, allowed: frozenset[str]) -> bool:
    """What is left of a value cell beside its number, dates and marker words is at most a word, and
    not an organization's name (a legal form or quotes)."""
    if _QUOTES.search(rest) or _legal_form().search(rest):
        return False
    words = [w for w in _WORD.findall(rest.lower().replace("ё", "е")) if w not in allowed]
    return len(words) <= rules().words.value_extra_words


def _is_licence(text: str) -> bool:
    if fields.parse_licence(text) is None:
        return False
    return _few_other_words(_DATE_TOKEN.sub(" ", fields.remove_licences(text)), rules().words.licence_words)


def _is_opo_number(text: str) -> bool:
    if fields.parse_opo_number(text) is None:
        return False
    return _few_other_words(_DATE_TOKEN.sub(" ", fields.remove_opo_numbers(text)), rules().words.opo_words)


def _is_inn(text: str) -> bool:
    m = _INN.fullmatch(text)
    return m is not None and formats.inn_checksum_ok(m[1])


def _is_phone(text: str) -> bool:
    if _PHONE.fullmatch(text) is None:
        return False
    digits = len(_DIGIT.findall(text))
    return 6 <= digits <= 15 * (text.count(",") + text.count(";") + 1) and not text.isdigit()


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


@cache
def _term_units() -> re.Pattern[str]:
    units = "|".join(re.escape(w) for w in rules().words.term_units)
    return re.compile(rf"(?<!\d)\d{{1,3}}(?:[.,]\d)?\s*(?:{units})(?![^\W\d_])", re.IGNORECASE)


def _is_term(text: str) -> bool:
    """A term of further operation: a date inside a few words («до 01.12.2030») or «5 лет»."""
    term = fields.parse_operation_term(text) or ""
    return _ISO_DATE.fullmatch(term) is not None or _term_units().search(text) is not None


def _is_contact(text: str) -> bool:
    """A party's details in one cell: it splits into a name plus a phone, fax, e-mail or a part that
    reads as an address (a postcode, «г.», «ул.» …; not just any text after a comma)."""
    contact = fields.split_contact(text)
    if contact.name is None:
        return False
    if contact.phone or contact.fax or contact.email:
        return True
    return contact.address is not None and fields.looks_like_address(contact.address)


@lru_cache(maxsize=1 << 16)
def cell_kinds(cell: str) -> frozenset[str]:
    """Every kind a (non-empty, non-placeholder) cell fits; cached, as organizations and dates repeat."""
    text = " ".join(cell.split())
    words = rules().words
    found: set[str] = set()
    if fields.parse_reg_number(text) is not None:
        found.add("reg_number")
    if _is_licence(text):
        found.add("licence")
    if _is_opo_number(text):
        found.add("opo_number")
    if _CERTIFICATES.fullmatch(fields.parse_certificates(text) or ""):
        found.add("certificate")
    if _is_inn(text):
        found.add("inn")
    is_date = fields.parse_date(text) is not None
    if is_date:
        found.add("date_serial" if _NUMBER.fullmatch(text) else "date")
    if _EMAIL.fullmatch(text):
        found.add("email")
    if not is_date and _is_phone(text):
        found.add("phone")
    if text.isdigit():
        found.add("integer")
        if text in ("1", "2", "3", "4"):
            found.add("hazard_digit")
    elif fields.parse_hazard_class(text) is not None:
        found.add("hazard_class")
    if found & rules().values:
        return frozenset(found)
    if _is_term(text):
        found.add("term")
    has_digit = _DIGIT.search(text) is not None
    word_count = len(text.split())
    if fields.parse_region(text) is not None:
        found.add("region")
    if (
        not has_digit
        and word_count <= words.conclusion_result_max_words
        and fields.parse_conclusion_result(text) is not None
    ):
        found.add("conclusion_result")
    if (
        not has_digit
        and word_count <= words.object_type_max_words
        and fields.object_type_from_text(text) is not None
    ):
        found.add("object_type")
    if _legal_form().search(text):
        found.add("org_name")
    if _is_contact(text):
        found.add("contact")
    if len(_LETTER.findall(text[:64])) >= 3:
        found.add("text")
        long_text = has_digit or word_count >= words.long_text_min_words
        if long_text and "object_type" not in found:
            found.add("long_text")
    return frozenset(found)


# --- a column's profile ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Profile:
    """The kinds of a column's sampled cells: how many cells had each combination of kinds."""

    cells: int
    combos: tuple[tuple[frozenset[str], int], ...]

    def count(self, kinds: frozenset[str]) -> int:
        """Cells that fit at least one of the kinds."""
        return sum(n for combo, n in self.combos if combo & kinds)

    def share(self, kinds: frozenset[str]) -> float:
        return self.count(kinds) / self.cells if self.cells else 0.0

    def fit(self, field: str) -> float:
        """Share of the cells that fit the field; 1.0 for a field without a recognizer."""
        accepted = rules().fits.get(field)
        return 1.0 if accepted is None else self.share(accepted)

    @property
    def enough(self) -> bool:
        return self.cells >= rules().thresholds.min_cells


def profile(cells: Iterable[str]) -> Profile:
    """The profile of sampled cells (the caller leaves out empty cells and placeholders)."""
    counts = Counter(cell_kinds(c) for c in cells)
    return Profile(sum(counts.values()), tuple(counts.items()))


@dataclass(frozen=True, slots=True)
class Reading:
    """What a column's contents say: the field, the kind of its cells and how many of them."""

    field: str | None  # None: the field is taken by another column
    kind: str
    cells: int
    total: int
    taken_by: str | None = None  # the field the contents point to when it is taken

    @property
    def evidence(self) -> str:
        """«номера лицензий ДЭ-00-NNNNNN: 27 из 27 ячеек» — for problem messages."""
        return f"{rules().titles[self.kind]}: {self.cells} из {self.total} ячеек"


def header_stands(p: Profile, header_field: str) -> bool:
    """The header's field stands when too few cells were sampled or enough of them fit it, and the
    cells are not clearly of a kind `instead` turns the header's field into another (a «Наименование
    заявителя» column of whole contact cells fits a name, yet it is the combined cell)."""
    if not p.enough:
        return True
    instead = rules().instead.get(header_field)
    if instead and any(kind in instead for kind in clear_kinds(p)):
        return False
    return p.fit(header_field) >= rules().thresholds.fits


def clear_kinds(p: Profile) -> list[str]:
    """The kinds most cells are of, in priority order; none when too few cells were sampled."""
    if not p.enough:
        return []
    clear = rules().thresholds.clear
    return [k for k in rules().kinds if p.share(frozenset((k,))) >= clear]


def content_reading(p: Profile, header_field: str | None, taken: set[str]) -> Reading | None:
    """The field the contents clearly are, for a column whose header is unknown (None) or contradicted.

    ``taken`` holds the fields other columns already have: a field of `by_content` is only given once.
    A reading whose only field is taken names it in ``taken_by`` and has no field.
    """
    r = rules()
    for kind in clear_kinds(p):
        count = p.count(frozenset((kind,)))
        target = r.instead.get(header_field or "", {}).get(kind)
        if target is not None:
            return Reading(target, kind, count, p.cells)
        options = r.by_content.get(kind, ())
        if not options or header_field in options:
            continue
        free = [f for f in options if f not in taken]
        if free:
            return Reading(free[0], kind, count, p.cells)
        return Reading(None, kind, count, p.cells, taken_by=options[0])
    return None
