"""The named variants: each one a format and a combination of layout features, seeded by its name."""

from __future__ import annotations

from metamorphic.layouts import Variant


def V(name: str, fmt: str, era: str, features: str = "", **kw: str) -> Variant:  # noqa: N802
    return Variant(name, fmt, era, frozenset(features.split()), **kw)


VARIANTS: tuple[Variant, ...] = (
    # --- spreadsheets -------------------------------------------------------------------------
    V("xlsx-old-plain", "xlsx", "old", "exclusions", date_style="cell"),
    V("xlsx-old-parents-titles", "xlsx", "old", "parents titles rownum colnum exclusions", date_style="cell"),
    V("xlsx-old-shuffled-extras", "xlsx", "old", "shuffle extras rownum expert_inn", date_style="serial"),
    V("xlsx-old-hyphenated-caps", "xlsx", "old", "hyphen wrap caps exclusions titles", date_style="dmy"),
    V("xlsx-old-combined-parties", "xlsx", "old", "applicant_contact expert_contact", date_style="cell"),
    V("xlsx-old-licence-beside-number", "xlsx", "old", "licence_beside_number rownum", date_style="words"),
    V("xlsx-new-today", "xlsx", "new", "titles", date_style="cell"),
    V("xlsx-new-parents", "xlsx", "new", "parents colnum inn_in_name values_messy", date_style="serial"),
    V("xlsx-new-shuffled-abbrev", "xlsx", "new", "shuffle abbrev extras reg_messy", date_style="mixed"),
    # --- csv ------------------------------------------------------------------------------------
    V("csv-cp1251-semicolon-old", "csv", "old", "rownum exclusions", date_style="dmy", encoding="cp1251"),
    V(
        "csv-cp1251-semicolon-combined",
        "csv",
        "old",
        "applicant_contact expert_contact titles shuffle",
        date_style="dmy2slash",
        encoding="cp1251",
    ),
    V("csv-utf8-comma-new", "csv", "new", "values_messy reg_messy", date_style="iso", delimiter=","),
    V(
        "csv-utf8-comma-parents",
        "csv",
        "old",
        "parents expert_inn colnum",
        date_style="dmy",
        delimiter=",",
    ),
    V("csv-cp1251-new-abbrev", "csv", "new", "abbrev hyphen extras", date_style="serial", encoding="cp1251"),
    # --- html -----------------------------------------------------------------------------------
    V("html-old-parents", "html", "old", "parents titles exclusions", date_style="words"),
    V("html-old-combined-shuffled", "html", "old", "applicant_contact shuffle extras", date_style="dmy"),
    V(
        "html-new-cp1251",
        "html",
        "new",
        "inn_in_name wrap values_messy",
        date_style="dmy2slash",
        encoding="cp1251",
    ),
    # --- docx -----------------------------------------------------------------------------------
    V("docx-old-colnum", "docx", "old", "colnum rownum titles exclusions", date_style="words"),
    V("docx-old-combined", "docx", "old", "applicant_contact expert_contact hyphen", date_style="dmy"),
    V("docx-new-parents", "docx", "new", "parents inn_in_name values_messy", date_style="dmy"),
    V("docx-new-licence-beside-number", "docx", "new", "licence_beside_number abbrev", date_style="iso"),
    # --- PDF exported from Word by LibreOffice (wrapped cells; rows_keep: rows never break across
    # pages, otherwise a tall row continues on the next page as Word and LibreOffice allow) -------
    V("pdf-old-wrapped", "pdf", "old", "rownum exclusions rows_keep", date_style="dmy"),
    V("pdf-old-combined", "pdf", "old", "applicant_contact expert_contact", date_style="dmy"),
    V("pdf-new-wrapped", "pdf", "new", "values_messy rows_keep", date_style="dmy"),
    V("pdf-new-parents", "pdf", "new", "parents inn_in_name titles", date_style="words"),
)

VARIANTS_BY_NAME: dict[str, Variant] = {v.name: v for v in VARIANTS}
