"""The legal forms of organizations (schema/legal_forms.yaml), read once for every stage.

The normalizer uses the codes to find a form written after a name, the resolver the phrases and
abbreviations to tell forms apart, the site the codes for short display names, the demo the full
names. Everything listed under one entry is one form.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

import yaml

from openepb.contract import SCHEMA_DIR

LEGAL_FORMS_FILE = SCHEMA_DIR / "legal_forms.yaml"


def _fold(text: str) -> str:
    return text.lower().replace("ё", "е")


@dataclass(frozen=True, slots=True)
class LegalForm:
    code: str  # ООО
    name: str  # Общество с ограниченной ответственностью
    long: tuple[str, ...]  # full phrases, lower case
    short: tuple[str, ...]  # abbreviations, lower case


@cache
def legal_forms() -> tuple[LegalForm, ...]:
    """The legal forms of schema/legal_forms.yaml; everything under one entry is one form."""
    data = yaml.safe_load(LEGAL_FORMS_FILE.read_text(encoding="utf-8"))
    forms = tuple(
        LegalForm(
            str(f["code"]),
            str(f["name"]),
            tuple(_fold(str(p)) for p in f.get("long") or ()),
            tuple(_fold(str(s)) for s in f.get("short") or ()),
        )
        for f in data["forms"]
    )
    seen: dict[str, str] = {}
    for form in forms:
        for spelling in (*form.long, *form.short):
            if seen.setdefault(spelling, form.code) != form.code:
                raise ValueError(f"{LEGAL_FORMS_FILE.name}: «{spelling}» is listed under two forms")
    return forms


@cache
def form_codes_pattern() -> str:
    """A regex alternation of every form's code, longest first (so АО never cuts ЗАО short)."""
    codes = sorted({f.code for f in legal_forms()}, key=len, reverse=True)
    return "|".join(map(re.escape, codes))
