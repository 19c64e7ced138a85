"""Spelling variants of values as offices publish them: dates, registration numbers, names, licences.

Every function takes the canonical value and a style name and returns the published cell; the
canonical value stays the generator's truth. The styles are data (tables below), so an office layout
names them instead of carrying code.
"""

from __future__ import annotations

from datetime import date

from openepb.demo.writers import CellValue
from openepb.normalize.parsers import MONTHS_GENITIVE

MONTHS_NOMINATIVE = (
    "Январь",
    "Февраль",
    "Март",
    "Апрель",
    "Май",
    "Июнь",
    "Июль",
    "Август",
    "Сентябрь",
    "Октябрь",
    "Ноябрь",
    "Декабрь",
)
ROMAN_QUARTERS = ("I", "II", "III", "IV")
EXCEL_EPOCH = date(1899, 12, 30)

# --- dates ---------------------------------------------------------------------------------------

#: style → strftime-like template for the text styles; "cell" and "serial" are real cell values.
DATE_TEXT_STYLES: dict[str, str] = {
    "dmy": "{d:02d}.{m:02d}.{y}",  # 01.12.2018
    "dmy2": "{d:02d}.{m:02d}.{yy:02d}",  # 01.12.18
    "slash": "{d:02d}/{m:02d}/{y}",  # 01/12/2018
    "slash2": "{d:02d}/{m:02d}/{yy:02d}",  # 01/12/18 (Центральное, per the 2018 paper)
    "iso": "{y}-{m:02d}-{d:02d}",  # 2018-12-01
    "long": "{d} {month} {y} г.",  # 1 декабря 2018 г.
    "dmy_g": "{d:02d}.{m:02d}.{y}г.",  # 01.12.2018г.
    "dmy_g_space": "{d:02d}.{m:02d}.{y} г.",  # 01.12.2018 г.
}
#: the styles a "mixed" column draws from, in one column of one file
MIXED_DATE_STYLES: tuple[str, ...] = ("cell", "cell", "serial", "dmy", "iso", "dmy_g_space")


def excel_serial(day: date) -> int:
    """Excel 1900-system serial number of a day (what a date cell stores without its format)."""
    return (day - EXCEL_EPOCH).days


def date_cell(day: date, style: str) -> CellValue:
    """The published cell of a date in one style: text, a real date cell, or a bare Excel serial."""
    if style == "cell":
        return day
    if style == "serial":
        return excel_serial(day)
    template = DATE_TEXT_STYLES[style]
    return template.format(
        d=day.day, m=day.month, y=day.year, yy=day.year % 100, month=MONTHS_GENITIVE[day.month - 1]
    )


def invalid_date_text(year: int) -> str:
    """A date cell no parser may accept (the record keeps an empty date and a warning)."""
    return f"31.02.{year}"


# --- registration numbers --------------------------------------------------------------------------

#: Cyrillic letter → Latin look-alike, as typed on an English keyboard layout
LATIN_LOOKALIKES = {
    "А": "A",
    "В": "B",
    "С": "C",
    "Е": "E",
    "Н": "H",
    "К": "K",
    "М": "M",
    "О": "O",
    "Р": "P",
    "Т": "T",
    "Х": "X",
    "У": "Y",
}
#: Cyrillic letter → digit look-alike (the contract maps 3 → З and 0 → О in the letter group)
DIGIT_LOOKALIKES = {"З": "3", "О": "0"}
DASHES = ("‐", "‑", "‒", "–", "—", "―", "−")

#: style → function of (first group, letter code, sequence, year) → published text
REG_STYLES = (
    "plain",
    "latin",
    "digit",
    "lower",
    "spaces",
    "dashes",
    "numero",
    "junk",
    "second_line",
    "underscore",
    "short_first",
)


def canonical_reg(prefix: str, code: str, seq: int, year: int) -> str:
    return f"{prefix}-{code}-{seq:05d}-{year}"


def reg_text(prefix: str, code: str, seq: int, year: int, style: str, variant: int = 0) -> str:
    """A registration number as an office typed it; ``variant`` picks among equivalent spellings."""
    groups = [prefix, code, f"{seq:05d}", str(year)]
    if style == "latin":
        groups[1] = "".join(LATIN_LOOKALIKES.get(ch, ch) for ch in code)
    elif style == "digit":
        groups[1] = "".join(DIGIT_LOOKALIKES.get(ch, LATIN_LOOKALIKES.get(ch, ch)) for ch in code)
    if style == "lower":
        return (
            "-".join(groups).lower()
            if variant % 2
            else "-".join(groups[:1] + [groups[1].lower()] + groups[2:])
        )
    if style == "spaces":
        return (" ", " - ", "  ")[variant % 3].join(groups)
    if style == "dashes":
        return DASHES[variant % len(DASHES)].join(groups)
    if style == "numero":
        return ("№ ", "№", "N ", "No ")[variant % 4] + "-".join(groups)
    if style == "junk":
        return "-".join(groups) + (" (повторно)", " г.", "г.", " (взамен ранее выданного)")[variant % 4]
    if style == "second_line":
        return "-".join(groups) + "\n" + ("(изм.)", "повторная экспертиза")[variant % 2]
    if style == "underscore":
        return "_".join(groups)
    if style == "short_first" and len(prefix) == 2 and prefix.startswith("0"):
        return "-".join([prefix[1]] + groups[1:])  # 2-ТУ-600791-2025 for 02-ТУ-600791-2025
    return "-".join(groups)


def invalid_reg_cells(prefix: str, year: int) -> tuple[tuple[str, str], ...]:
    """(cell, reason) of data rows that cannot become a record."""
    return (
        ("", "reg_number_missing"),
        ("б/н", "reg_number_invalid"),
        (f"{prefix}-ТУ-0123-{year}", "reg_number_invalid"),
        ("в работе", "reg_number_invalid"),
        (f"{prefix}-ТУ-{year}", "reg_number_invalid"),
    )


# --- organizations ---------------------------------------------------------------------------------

QUOTES = {
    "guillemets": ("«", "»"),
    "straight": ('"', '"'),
    "curly": ("“", "”"),
}

#: style → (legal form: short/long, quotes, form placement, case)
ORG_STYLES: dict[str, tuple[str, str, str, str]] = {
    "short": ("short", "guillemets", "before", "as_is"),
    "short_straight": ("short", "straight", "before", "as_is"),
    "short_curly": ("short", "curly", "before", "as_is"),
    "long": ("long", "guillemets", "before", "as_is"),
    "long_straight": ("long", "straight", "before", "as_is"),
    "after": ("short", "guillemets", "after", "as_is"),
    "upper": ("short", "guillemets", "before", "upper"),
    "plain": ("short", "none", "before", "as_is"),
}


def org_name(short_form: str, long_form: str, core: str, style: str) -> str:
    """An organization's name in an office's spelling (``ООО «Ромашка»``, ``«Ромашка» ООО``, …)."""
    form_kind, quotes, placement, case = ORG_STYLES[style]
    form = short_form if form_kind == "short" else long_form
    if quotes == "none":
        quoted = core
    else:
        left, right = QUOTES[quotes]
        quoted = f"{left}{core}{right}"
    text = f"{quoted} {form}" if placement == "after" else f"{form} {quoted}"
    return text.upper() if case == "upper" else text


def safe_contact_name(short_form: str, core: str) -> str:
    """A name for a crammed contact cell: one pair of quotes at most, so the name part is unambiguous."""
    if "«" in core or '"' in core:
        return f"{short_form} {core}"
    return f"{short_form} «{core}»"


# --- licences and certificates ------------------------------------------------------------------------

LICENCE_STYLES = ("plain", "numero_date", "latin", "spaces")


def licence_text(number: str, style: str, issued: date) -> str:
    """``ДЭ-00-012345`` as published: with ``№`` and the issue date, Latin letters, spaces."""
    if style == "numero_date":
        return f"№ {number} от {issued:%d.%m.%Y}"
    if style == "latin":
        return number.replace("Д", "D").replace("Э", "E")
    if style == "spaces":
        return number.replace("-", " - ")
    return number


def certificate_text(certificates: list[str], style: str, names: list[str]) -> str:
    """Expert certificates as published: one per line, ``; ``-joined, or after the expert's name."""
    if style == "lines":
        return "\n".join(certificates)
    if style == "names":
        return ", ".join(f"{name} ({cert})" for name, cert in zip(names, certificates, strict=True))
    if style == "latin":
        return "; ".join(cert.replace("А", "A").replace("Т", "T") for cert in certificates)
    return "; ".join(certificates)


# --- contact cells -------------------------------------------------------------------------------

#: shape → the parts in order, with their markers; the contract's split rules recover every part
CONTACT_SHAPES: dict[str, tuple[str, ...]] = {
    "lines_full": ("name", "address", "head", "phone", "email"),
    "semicolon_inn": ("name", "address", "inn", "head", "phone_fax"),
    "lines_fax": ("name", "address", "inn", "phone", "fax", "email"),
    "name_address": ("name", "address"),
}
CONTACT_SEPARATORS = {"lines_full": "\n", "semicolon_inn": "; ", "lines_fax": "\n", "name_address": "\n"}
PART_MARKERS = {
    "inn": "ИНН {}",
    "phone": "тел. {}",
    "fax": "факс: {}",
    "phone_fax": "тел./факс {}",
    "email": "e-mail: {}",
    "head": "{}",
    "name": "{}",
    "address": "{}",
}


def contact_cell(parts: dict[str, str], shape: str) -> tuple[str, dict[str, str]]:
    """Cram a party's parts into one cell; return the cell and the parts it holds (the truth)."""
    pieces: list[str] = []
    truth: dict[str, str] = {}
    for part in CONTACT_SHAPES[shape]:
        if part == "phone_fax":
            value = parts["phone"]
            truth["phone"] = truth["fax"] = value
        else:
            value = parts[part]
            truth[part] = value
        pieces.append(PART_MARKERS[part].format(value))
    return CONTACT_SEPARATORS[shape].join(pieces), truth


def canonical_text(value: str) -> str:
    """Canonical form of a text cell: white space runs collapsed to one space, trimmed."""
    return " ".join(value.split())


# --- today's values: subject of the RF, ОПО, hazard class, verdict, term ------------------------------

#: words of a subject's official name written short («Новосибирская обл.»)
REGION_ABBREVIATIONS = {"область": "обл.", "Республика": "Респ."}
REGION_STYLES = ("official", "synonym", "short")


def region_text(official: str, synonyms: tuple[str, ...], style: str, variant: int = 0) -> str:
    """A subject of the RF as written: its official name, a listed synonym, or abbreviated."""
    if style == "synonym" and synonyms:
        return synonyms[variant % len(synonyms)]
    if style == "short":  # «Республика Татарстан (Татарстан)» → «Респ. Татарстан»
        name = official.split(" (")[0]
        return " ".join(REGION_ABBREVIATIONS.get(word, word) for word in name.split())
    return official


OPO_STYLES = ("plain", "latin")


def opo_text(number: str, style: str) -> str:
    """``А54-27998-0013``; ``latin``: the letter typed on an English layout."""
    return "A" + number[1:] if style == "latin" else number


#: hazard class (Roman) → the arabic digit
HAZARD_DIGITS = {"I": "1", "II": "2", "III": "3", "IV": "4"}
HAZARD_STYLES: dict[str, str] = {
    "roman": "{r}",  # II
    "digit": "{d}",  # 2
    "digit_class": "{d} класс",  # 2 класс
    "roman_class": "{r} класс опасности",  # II класс опасности
    "label": "класс опасности: {r}",  # класс опасности: II
}


def hazard_text(hazard: str, style: str) -> str:
    return HAZARD_STYLES[style].format(r=hazard, d=HAZARD_DIGITS[hazard])


#: verdict code (schema/conclusion_results.csv) → (short, full) spellings
VERDICT_TEXTS: dict[str, tuple[str, str]] = {
    "соответствует": ("соответствует", "Соответствует требованиям промышленной безопасности"),
    "не соответствует": ("не соответствует", "Не соответствует требованиям промышленной безопасности"),
    "не в полной мере": (
        "не в полной мере",
        "Соответствует требованиям промышленной безопасности не в полной мере",
    ),
}
VERDICT_STYLES = ("short", "full")


def verdict_text(verdict: str, style: str) -> str:
    short, full = VERDICT_TEXTS[verdict]
    return full if style == "full" else short


#: a term of further safe operation given as a date: style → template (``cell``: a real date cell)
TERM_STYLES: dict[str, str] = {
    "until": "до {d:%d.%m.%Y}",  # до 01.12.2030
    "date": "{d:%d.%m.%Y}",  # 01.12.2030
    "until_g": "до {d:%d.%m.%Y} г.",  # до 01.12.2030 г.
    "cell": "",
}


def term_cell(term: date | str, style: str) -> CellValue:
    """A term as published: a date in one style, or a text term («на 3 года») as it is."""
    if isinstance(term, str):
        return term
    if style == "cell":
        return term
    return TERM_STYLES[style].format(d=term)
