"""The value formats of ``schema/formats.yaml`` and their code lists, loaded once.

This module is the one place a pattern or a code list is read from: the normalizer checks its
canonical output against it, the XSD is generated from it, and both validators read it (the page
through the rules JSON). It imports nothing of the project, so the field parsers can use it.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from functools import cache

import yaml

from openepb.contract import SCHEMA_DIR

FORMATS_FILE = SCHEMA_DIR / "formats.yaml"


@dataclass(frozen=True, slots=True)
class Code:
    """One entry of a code list: the value written in the data, its title, the spellings read as it."""

    value: str
    title: str
    synonyms: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Format:
    name: str
    doc: str
    reason: str
    pattern: str | None = None
    codes: tuple[Code, ...] = ()
    strict: bool = True  # a value outside the code list fails the schema (else: a warning)
    checksum: str | None = None  # a check no pattern can express (validators and normalizer)
    checksum_reason: str | None = None
    unlisted_reason: str | None = None  # the warning on a value outside a non-strict code list
    _compiled: re.Pattern[str] | None = field(default=None, compare=False, repr=False)

    def matches(self, value: str) -> bool:
        """Pattern (anchored) and, for a strict code list, membership."""
        if self._compiled is not None and not self._compiled.fullmatch(value):
            return False
        return not (self.codes and self.strict) or value in self.values

    @property
    def values(self) -> frozenset[str]:
        return frozenset(code.value for code in self.codes)


def _read_codes(file_name: str, value_column: str) -> tuple[Code, ...]:
    with (SCHEMA_DIR / file_name).open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    title_column = "code" if value_column == "name" else "name"
    return tuple(
        Code(
            row[value_column],
            row[title_column],
            tuple(s for s in (row.get("synonyms") or "").split("|") if s),
        )
        for row in rows
    )


@cache
def formats() -> dict[str, Format]:
    data = yaml.safe_load(FORMATS_FILE.read_text(encoding="utf-8"))
    result = {}
    for name, spec in data["formats"].items():
        pattern = spec.get("pattern")
        codes = _read_codes(spec["codes"], spec.get("code_is", "code")) if "codes" in spec else ()
        result[name] = Format(
            name=name,
            doc=" ".join(spec["doc"].split()),
            reason=" ".join(spec["reason"].split()),
            pattern=pattern,
            codes=codes,
            strict=spec.get("strict", True),
            checksum=spec.get("checksum"),
            checksum_reason=spec.get("checksum_reason"),
            unlisted_reason=" ".join(spec["unlisted_reason"].split()) if "unlisted_reason" in spec else None,
            _compiled=re.compile(pattern) if pattern else None,
        )
    return result


@cache
def schema_version() -> str:
    return str(yaml.safe_load(FORMATS_FILE.read_text(encoding="utf-8"))["version"])


@cache
def placeholders() -> frozenset[str]:
    """Cell texts meaning "no value" (``placeholders`` of formats.yaml), in comparable form."""
    data = yaml.safe_load(FORMATS_FILE.read_text(encoding="utf-8"))
    return frozenset(placeholder_key(text) for text in data.get("placeholders", ()))


def placeholder_key(text: str) -> str:
    return " ".join(text.lower().replace("ё", "е").split())


#: No placeholder is longer: a longer cell is a value without looking it up.
PLACEHOLDER_MAX_LENGTH = 16


def is_placeholder(text: str) -> bool:
    return len(text) <= PLACEHOLDER_MAX_LENGTH and placeholder_key(text) in placeholders()


def get(name: str) -> Format:
    return formats()[name]


#: Weights of each control digit of an ИНН by its length (the tax service's published algorithm):
#: control digit = sum(weight × digit) mod 11 mod 10, the n-th weights for the n-th control digit
#: from the end. Exported to the in-browser validator, which computes the same check.
CHECKSUM_WEIGHTS: dict[str, dict[int, tuple[tuple[int, ...], ...]]] = {
    "inn": {
        10: ((2, 4, 10, 3, 5, 9, 4, 6, 8),),
        12: ((7, 2, 4, 10, 3, 5, 9, 4, 6, 8), (3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8)),
    },
}


def control_digits_ok(kind: str, value: str) -> bool:
    """Whether the trailing control digits of ``value`` are right by the weights of ``kind``."""
    by_length = CHECKSUM_WEIGHTS[kind]
    if not value.isascii() or not value.isdigit() or len(value) not in by_length:
        return False
    digits = [int(c) for c in value]
    weights = by_length[len(value)]
    first = len(value) - len(weights)
    return all(
        sum(w * d for w, d in zip(ws, digits, strict=False)) % 11 % 10 == digits[first + n]
        for n, ws in enumerate(weights)
    )


def inn_checksum_ok(inn: str) -> bool:
    """The control digits of a 10- or 12-digit ИНН."""
    return control_digits_ok("inn", inn)
