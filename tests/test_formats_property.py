"""Whatever a parser accepts from a messy cell, the schema accepts: the value fits its format of
``schema/formats.yaml`` (``schema.value_fits``) and a one-record document carrying it validates
against the committed XSD.

Each field with a parser (the normalizer's setters, ``fields.parse_reg_number`` for the number) has
a generator of cell texts as offices write them: stray and non-breaking spaces, Latin look-alike
letters, every kind of dash, «№», lower case, unpadded first groups, roman and arabic hazard
classes, region and verdict spellings, ИНН marks. Where the intended value is known from the
generator, the parsed value must equal it; the expected values are built here, not by the parsers.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from openepb.contract import formats
from openepb.contract.fields import COMBINED_FIELDS, FIELD_NAMES, SOURCE_FIELDS
from openepb.contract.xsd import NAMESPACE, load_schema, value_fits
from openepb.normalize import parsers as fields
from openepb.normalize.rows import _setter_for

SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None
)

SPACES = st.sampled_from(["", " ", "  ", "\u00a0", "\t", "\n", " \u00a0"])
DASHES = st.sampled_from(["-", "‐", "‑", "‒", "–", "—", "−", " - ", " – "])
#: Cyrillic letters and the Latin letters (or digits) offices type for them.
LOOKALIKES = {"А": "A", "В": "B", "Е": "E", "К": "K", "М": "M", "Н": "H", "О": "O0", "Р": "P"}
LOOKALIKES |= {"С": "C", "Т": "T", "У": "Y", "Х": "X", "З": "3"}
#: The published weights of the ИНН control digits, written out here independently of the code.
INN_WEIGHTS = {
    10: [[2, 4, 10, 3, 5, 9, 4, 6, 8]],
    12: [[7, 2, 4, 10, 3, 5, 9, 4, 6, 8], [3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8]],
}


def _control(digits: list[int], weights: list[int]) -> int:
    return sum(w * d for w, d in zip(weights, digits, strict=False)) % 11 % 10


@st.composite
def valid_inns(draw: st.DrawFn) -> str:
    """A 10-digit (organization) or 12-digit (entrepreneur) ИНН with right control digits."""
    length = draw(st.sampled_from(sorted(INN_WEIGHTS)))
    body = length - len(INN_WEIGHTS[length])
    digits = [int(c) for c in draw(st.text("0123456789", min_size=body, max_size=body))]
    for weights in INN_WEIGHTS[length]:
        digits.append(_control(digits, weights))
    return "".join(map(str, digits))


@st.composite
def spelled(draw: st.DrawFn, letters: str, *, latin: bool = True, case: bool = True) -> str:
    """Cyrillic letters as typed: some replaced by Latin look-alikes, some in lower case."""
    out = []
    for letter in letters:
        choices = [letter]
        if latin and letter in LOOKALIKES:
            choices += list(LOOKALIKES[letter])
        typed = draw(st.sampled_from(choices))
        out.append(typed.lower() if case and draw(st.booleans()) else typed)
    return "".join(out)


def _padded(draw: st.DrawFn, text: str) -> str:
    return draw(SPACES) + text + draw(SPACES)


# --- one generator per field with a parser: (cell, expected values or None when not predictable) ---

Case = tuple[str, dict[str, Any] | None]
OBJECT_CODES = [c.value for c in formats.get("ObjectTypeCode").codes] + ["ПД", "ЖЖ"]


@st.composite
def reg_numbers(draw: st.DrawFn) -> Case:
    first = draw(st.integers(1, 99))
    code = draw(st.sampled_from(OBJECT_CODES))
    serial = draw(st.text("0123456789", min_size=5, max_size=6))
    year = draw(st.integers(2014, 2026))
    head = str(first) if first < 10 and draw(st.booleans()) else f"{first:02d}"
    mark = draw(st.sampled_from(["", "№", "№ ", "N ", "No. ", "no "]))
    tail = draw(st.sampled_from(["", " от 01.02.2018", "\n(исключено)", " г."]))
    groups = [head, draw(spelled(code)), serial, str(year)]
    text = groups[0] + "".join(draw(DASHES) + g for g in groups[1:])
    expected = f"{first:02d}-{code}-{serial}-{year}"
    return _padded(draw, mark + text + tail), {"reg_number": expected, "object_type": code}


MONTHS = ["января", "февраля", "марта", "апреля", "мая", "июня", "июля"]
MONTHS += ["августа", "сентября", "октября", "ноября", "декабря"]


@st.composite
def dates(draw: st.DrawFn) -> tuple[str, dt.date]:
    day = draw(st.dates(dt.date(2014, 1, 1), dt.date(2026, 12, 31)))
    form = draw(st.sampled_from(["iso", "dmy", "dmy-short", "slash", "words", "serial", "time"]))
    text = {
        "iso": day.isoformat(),
        "dmy": f"{day.day:02d}.{day.month:02d}.{day.year}",
        "dmy-short": f"{day.day}.{day.month}.{day.year % 100:02d}",
        "slash": f"{day.day:02d}/{day.month:02d}/{day.year}",
        "words": f"«{day.day}» {MONTHS[day.month - 1]} {day.year} г.",
        "serial": str((day - dt.date(1899, 12, 30)).days),
        "time": f"{day.isoformat()} 00:00:00",
    }[form]
    return _padded(draw, text), day


@st.composite
def date_cells(draw: st.DrawFn, name: str) -> Case:
    text, day = draw(dates())
    return text, {name: day}


@st.composite
def licences(draw: st.DrawFn) -> Case:
    digits = draw(st.text("0123456789", min_size=6, max_size=6))
    letters = draw(st.sampled_from(["ДЭ", "DE", "ДЕ", "дэ", "De"]))
    body = letters + draw(DASHES) + "00" + draw(DASHES) + digits
    text = draw(st.sampled_from(["{}", "№ {}", "{} от 04.10.2007", "лицензия № {} (бессрочно)"])).format(body)
    return _padded(draw, text), {"licence_number": f"ДЭ-00-{digits}"}


@st.composite
def certificates(draw: st.DrawFn) -> Case:
    found = []
    for _ in range(draw(st.integers(1, 3))):
        prefix = draw(st.sampled_from(["АЭ", "ТЭ", "ЭЭ", "АЕ"]))
        groups = [draw(st.text("0123456789", min_size=n, max_size=n)) for n in (2, 5, 3)]
        dot = draw(st.sampled_from([".", " .", ". "]))
        typed = draw(spelled(prefix))
        found.append(
            (typed + dot + dot.join(groups), ".".join(["АЭ" if prefix == "АЕ" else prefix, *groups]))
        )
    joiner = draw(st.sampled_from(["; ", ";", ", ", "\n", " "]))
    text = joiner.join(typed for typed, _ in found)
    return _padded(draw, text), {"expert_certificate": "; ".join(canonical for _, canonical in found)}


@st.composite
def inn_cells(draw: st.DrawFn, name: str) -> Case:
    inn = draw(valid_inns())
    text = draw(st.sampled_from(["{}", "ИНН {}", "ИНН: {}", "инн№{}", "ИНН/КПП {}/770101001"])).format(inn)
    return _padded(draw, text), {name: inn}


@st.composite
def name_cells(draw: st.DrawFn, name: str) -> Case:
    inn_field = name.replace("_name", "_inn")
    title = draw(st.sampled_from(["ООО «Ромашка»", 'АО "ЦЭПБ"', "ИП Сидоров С.С.", "ПАО «Газпром нефть»"]))
    if not draw(st.booleans()):
        return _padded(draw, title), None
    inn = draw(valid_inns())
    text = draw(st.sampled_from(["{} (ИНН {})", "{}, ИНН {}", "{} ИНН: {}"])).format(title, inn)
    return _padded(draw, text), {name: title, inn_field: inn}


@st.composite
def contact_cells(draw: st.DrawFn, party: str) -> Case:
    parts = [draw(st.sampled_from(["ООО «Промэксперт»", "АО «НИИ Безопасность»", "ИП Иванов И.И."]))]
    if draw(st.booleans()):
        parts.append(
            draw(st.sampled_from(["394000, г. Воронеж, ул. Мира, д. 5", "г. Москва, ул. Лесная, 1"]))
        )
    if draw(st.booleans()):
        parts.append(f"ИНН {draw(valid_inns())}")
    if draw(st.booleans()):
        parts.append("тел. (473) 200-00-00")
    if party == "expert_org" and draw(st.booleans()):
        parts.append(f"лицензия № ДЭ-00-{draw(st.text('0123456789', min_size=6, max_size=6))}")
    if draw(st.booleans()):
        parts.append("e-mail: Info@PromExpert.ru")
    return _padded(draw, draw(st.sampled_from([", ", "; ", "\n"])).join(parts)), None


@st.composite
def opo_numbers(draw: st.DrawFn) -> Case:
    groups = [draw(st.text("0123456789", min_size=n, max_size=n)) for n in (2, 5, 4)]
    letter = draw(st.sampled_from(["А", "A", "а", "a"]))
    body = letter + draw(st.sampled_from(["", " "])) + groups[0] + draw(DASHES) + groups[1]
    body += draw(DASHES) + groups[2]
    text = draw(st.sampled_from(["{}", "рег. № {}", "{} (площадка котельной)", "ОПО {}, III класс"]))
    return _padded(draw, text.format(body)), {"opo_reg_number": "А" + "-".join(groups)}


ROMAN = ["I", "II", "III", "IV"]


@st.composite
def hazard_classes(draw: st.DrawFn) -> Case:
    level = draw(st.integers(1, 4))
    roman = ROMAN[level - 1]
    digit = draw(st.sampled_from([roman, roman.lower(), str(level), roman.replace("I", "І")]))
    text = draw(
        st.sampled_from(
            ["{}", "{} класс", "класс опасности: {}", "{} класс опасности", "кл. {}", "{} (высокая)"]
        )
    )
    if digit.isdigit() and draw(st.booleans()):
        text = "{}-й класс"
    return _padded(draw, text.format(digit)), {"hazard_class": roman}


@st.composite
def verdicts(draw: st.DrawFn) -> Case:
    code = draw(st.sampled_from(formats.get("ConclusionResult").codes))
    phrase = draw(st.sampled_from((code.value, *code.synonyms)))
    phrase = draw(st.sampled_from([phrase, phrase.upper(), phrase.capitalize()]))
    text = draw(st.sampled_from(["{}", "Объект {}", "{}.", "{} требованиям ПБ"])).format(phrase)
    return _padded(draw, text), {"conclusion_result": code.value}


@st.composite
def regions(draw: st.DrawFn) -> Case:
    region = draw(st.sampled_from(formats.get("Region").codes))
    spelling = draw(st.sampled_from((region.value, *region.synonyms)))
    spelling = spelling.replace(" область", draw(st.sampled_from([" область", " обл.", " обл"])))
    spelling = spelling.replace("Республика ", draw(st.sampled_from(["Республика ", "Респ. ", "респ. "])))
    if draw(st.booleans()):
        spelling = spelling.replace("е", "ё") if "ё" not in region.value else spelling.replace("ё", "е")
    spelling = draw(st.sampled_from([spelling, spelling.lower(), spelling.upper()]))
    return _padded(draw, spelling), {"region": region.value}


@st.composite
def operation_terms(draw: st.DrawFn) -> Case:
    if draw(st.booleans()):
        text, day = draw(dates())
        return draw(st.sampled_from(["{}", "до {}"])).format(text.strip()), None
    return _padded(draw, draw(st.sampled_from(["5 лет", "до капитального ремонта", "24 месяца"]))), None


GENERATORS: dict[str, st.SearchStrategy[Case]] = {
    "reg_number": reg_numbers(),
    "date_registered": date_cells("date_registered"),
    "excluded_date": date_cells("excluded_date"),
    "licence_number": licences(),
    "expert_certificate": certificates(),
    "applicant_inn": inn_cells("applicant_inn"),
    "expert_org_inn": inn_cells("expert_org_inn"),
    "applicant_name": name_cells("applicant_name"),
    "expert_org_name": name_cells("expert_org_name"),
    "opo_reg_number": opo_numbers(),
    "hazard_class": hazard_classes(),
    "conclusion_result": verdicts(),
    "region": regions(),
    "operation_term": operation_terms(),
    **{name: contact_cells(party) for name, party in COMBINED_FIELDS.items()},
}


def parsed_values(name: str, cell: str) -> dict[str, Any]:
    """What the normalizer keeps from one cell of a column mapped to ``name``."""
    if name == "reg_number":
        number = fields.parse_reg_number(cell)
        return {} if number is None else {"reg_number": number, "object_type": number[3:5]}
    setter = _setter_for(name)
    assert setter is not None
    values: dict[str, Any] = {}
    setter(values, cell)
    return {key: value for key, value in values.items() if value is not None}


def _xml_text(value: Any) -> str:
    return value.isoformat() if isinstance(value, dt.date) else str(value)


def one_record_document(values: dict[str, Any]) -> etree._Element:
    """A register document of schema 1.1 with one record carrying ``values`` (in contract order)."""
    root = etree.Element(f"{{{NAMESPACE}}}register", version="1.1", nsmap={None: NAMESPACE})
    etree.SubElement(root, f"{{{NAMESPACE}}}generated_at").text = "2026-01-01T00:00:00Z"
    record = etree.SubElement(root, f"{{{NAMESPACE}}}record")
    full = {"reg_number": "01-ТУ-00001-2018", "office_code": "mos", **values}
    for field in FIELD_NAMES:
        if field in full:
            etree.SubElement(record, f"{{{NAMESPACE}}}{field}").text = _xml_text(full[field])
    return root


def test_every_field_with_a_parser_has_a_generator() -> None:
    """A new parser must get a generator here (a text field's setter only cleans the text)."""
    parsed = {"reg_number"} | {
        name
        for name in (*SOURCE_FIELDS, *COMBINED_FIELDS)
        if (setter := _setter_for(name)) is not None and setter.__name__ != "set_text"
    }
    assert parsed == set(GENERATORS)


@pytest.mark.parametrize("name", sorted(GENERATORS))
@SETTINGS
@given(data=st.data())
def test_what_a_parser_accepts_fits_the_schema(name: str, data: st.DataObject) -> None:
    cell, expected = data.draw(GENERATORS[name], label="cell")
    values = parsed_values(name, cell)
    if expected is not None:
        assert values == expected
    assert values, "the generator writes values the parser is meant to read"
    for field, value in values.items():
        assert value_fits(field, _xml_text(value)), (field, value)
        if formats.get("Inn").checksum and field.endswith("_inn"):
            assert formats.inn_checksum_ok(value)
    schema = load_schema()
    document = one_record_document(values)
    assert schema.validate(document), (values, str(schema.error_log))


@pytest.mark.parametrize(
    "values",
    [
        {"hazard_class": "3"},
        {"conclusion_result": "положительное"},
        {"region": "Новосибирская обл."},
        {"opo_reg_number": "A54-27998-0013"},
        {"expert_org_inn": "77123456"},
        {"reg_number": "2-ТУ-600791-2025"},
    ],
)
def test_the_one_record_document_can_fail(values: dict[str, str]) -> None:
    """The check above is not vacuous: a value the parsers never write fails both checks."""
    ((field, value),) = values.items()
    assert not value_fits(field, value)
    assert not load_schema().validate(one_record_document(values))


def test_an_unlisted_object_code_fits_and_validates() -> None:
    """The object-type list is open: «ПД» in the number and in object_type is schema-valid."""
    values = {"reg_number": "58-ПД-01234-2017", "object_type": "ПД"}
    assert all(value_fits(field, value) for field, value in values.items())
    assert load_schema().validate(one_record_document(values))
