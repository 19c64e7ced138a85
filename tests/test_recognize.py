"""Content recognizers: which kinds a cell is, how a column's sample fits a field, what it clearly is."""

from __future__ import annotations

import pytest

from openepb.contract.fields import COMBINED_FIELDS, SOURCE_FIELDS
from openepb.normalize import recognize
from openepb.normalize.recognize import Reading, cell_kinds, content_reading, header_stands, profile

# --- kinds of one cell -----------------------------------------------------------------------------

CELL_KINDS = [
    # registration numbers, five- and six-digit serials, messy spellings; a four-digit serial is none
    ("58-ТУ-00001-2017", {"reg_number"}),
    ("№ 58-TY-00002-2017 (повторно)", {"reg_number"}),
    ("2-ТУ-600791-2025", {"reg_number"}),
    ("58-ТУ-1234-2017", set()),
    # licences alone or with their marker words; inside an organization's cell they are no licence
    ("ДЭ-00-012345", {"licence"}),
    ("№ ДЭ-00-007889 от 04.10.2007", {"licence"}),
    ("Лицензия DE-00-017384 от 06.05.2019 г.", {"licence"}),
    ("ООО «Эксперт», лицензия ДЭ-00-000001", {"text", "long_text", "org_name"}),
    ("ЗАО Экспертиза ДЭ-00-000002", {"text", "long_text", "org_name"}),
    # certificates
    ("АЭ.16.01234.003", {"certificate"}),
    ("Иванов И.И. АЭ.16.01234.003; Петров П.П. AЭ.17.00001.001", {"certificate", "text", "long_text"}),
    # ИНН: ten or twelve digits with their control digits; wrong control digits are only a number
    ("7707083893", {"inn", "integer"}),
    ("ИНН 7736050003", {"inn"}),
    ("7707083890", {"integer"}),
    ("500100732259", {"inn", "integer"}),
    ("ИНН/КПП 7707083893/770701001", {"inn"}),
    # dates in every published form; an Excel serial is a date of its own kind
    ("01.12.2018", {"date"}),
    ("1 декабря 2018 г.", {"date"}),
    ("2018-12-01", {"date"}),
    ("2018-12-01T00:00:00", {"date"}),
    ("01.12.2018 0:00:00", {"date"}),
    ("43435", {"date_serial", "integer"}),
    # terms of further operation
    ("до 01.12.2030", {"term"}),
    ("на 18 месяцев", {"term", "text", "long_text"}),
    # contacts
    ("info@romashka.ru", {"email"}),
    ("e-mail: a@b.ru; c@d.ru", {"email"}),
    ("8 (473) 200-00-00", {"phone"}),
    ("тел. +7 495 123-45-67", {"phone"}),
    # ОПО numbers alone or marked; with a name beside it the cell is the ОПО's description
    ("А54-27998-0013", {"opo_number"}),
    ("рег. № А54-27998-0013", {"opo_number"}),
    ("Площадка нефтебазы А54-27998-0013", {"text", "long_text"}),
    # hazard classes; a bare digit is only a candidate
    ("III", {"hazard_class", "text"}),
    ("II класс", {"hazard_class", "text"}),
    ("2", {"hazard_digit", "integer"}),
    ("17", {"integer"}),
    # verdicts, regions
    ("соответствует", {"conclusion_result", "text"}),
    ("Не в полной мере", {"conclusion_result", "text", "long_text"}),
    ("Республика Татарстан", {"region", "text"}),
    ("Томская обл.", {"region", "text"}),
    # object types against descriptions of one object
    ("Технические устройства", {"object_type", "text"}),
    ("Здания и сооружения", {"object_type", "text"}),
    ("Сосуд под давлением, зав. № 1", {"text", "long_text"}),
    ("Котел", {"text"}),
    # organizations
    ("ООО «Ромашка»", {"org_name", "text"}),
    ("Общество с ограниченной ответственностью «Ромашка»", {"org_name", "text", "long_text"}),
    ("Федеральное казенное предприятие «Завод»", {"org_name", "text", "long_text"}),
    ("ИП Сидоров С.С.", {"org_name", "text", "long_text"}),
    ("Заявление заявителя", {"text"}),
    # a party's details in one cell: a name plus an address, phone or e-mail; a name with only its
    # ИНН or licence, or a description with a comma, is no contact cell
    ("ООО «Вектор», 603000, г. Нижний Новгород, ул. Минина, 5", {"contact", "org_name", "text", "long_text"}),
    ("МУП «Горводоканал»; тел. 8 (3822) 51-00-00", {"contact", "org_name", "text", "long_text"}),
    ("Котельная №2\nkotel@mail.ru", {"contact", "text", "long_text"}),
    ("ООО «Вектор» (ИНН 7707083893)", {"org_name", "text", "long_text"}),
]


@pytest.mark.parametrize(("cell", "kinds"), CELL_KINDS)
def test_cell_kinds(cell: str, kinds: set[str]) -> None:
    assert cell_kinds(cell) == frozenset(kinds)


# --- columns -----------------------------------------------------------------------------------------


def test_profile_counts_cells_that_fit_a_field() -> None:
    column = profile(
        ["ДЭ-00-012345", "№ ДЭ-00-007889 от 04.10.2007", "лицензия отозвана", "58-ТУ-00001-2017"]
    )
    assert column.cells == 4
    assert (column.fit("licence_number"), column.fit("reg_number"), column.fit("object_name")) == (
        0.5,
        0.25,
        0.25,
    )
    assert column.fit("applicant_head") == 0.25  # text
    assert profile([]).fit("reg_number") == 0.0


def test_header_stands_when_enough_cells_fit_or_too_few_were_sampled() -> None:
    licences = ["ДЭ-00-012345", "ДЭ-00-012346", "ДЭ-00-012347"]
    assert not header_stands(profile(licences), "reg_number")
    assert header_stands(profile(licences), "licence_number")
    assert header_stands(profile(licences[:2]), "reg_number")  # two cells are no evidence
    half = ["58-ТУ-00001-2017", "58-ТУ-1234-2017", "58-ТУ-00003-2017", "б/н 12"]
    assert header_stands(profile(half), "reg_number")


def test_clear_contents_give_the_field_once() -> None:
    licences = profile(["ДЭ-00-012345", "ДЭ-00-012346", "Лицензия ДЭ-00-012347 от 01.02.2010"])
    assert content_reading(licences, "reg_number", set()) == Reading("licence_number", "licence", 3, 3)
    assert content_reading(licences, None, set()) == Reading("licence_number", "licence", 3, 3)
    assert content_reading(licences, "reg_number", {"licence_number"}) == Reading(
        None, "licence", 3, 3, taken_by="licence_number"
    )
    inns = profile(["7707083893", "7736050003", "500100732259", "7707083893"])
    assert content_reading(inns, None, {"applicant_inn"}) == Reading("expert_org_inn", "inn", 4, 4)
    assert content_reading(inns, "expert_org_name", set()) == Reading("expert_org_inn", "inn", 4, 4)


def test_four_of_five_cells_are_clear_and_three_of_five_are_not() -> None:
    four = profile(["58-ТУ-00001-2017", "58-ТУ-00002-2017", "58-ТУ-00003-2017", "58-ТУ-00004-2017", "б/н 5"])
    assert content_reading(four, None, set()) == Reading("reg_number", "reg_number", 4, 5)
    three = profile(["58-ТУ-00001-2017", "58-ТУ-00002-2017", "58-ТУ-00003-2017", "б/н 4", "б/н 5"])
    assert content_reading(three, None, set()) is None


def test_free_text_under_an_object_type_header_is_the_objects_name() -> None:
    descriptions = profile(
        ["Сосуд под давлением, зав. № 1", "Кран мостовой, рег. № 6067", "Трубопровод пара и горячей воды"]
    )
    assert content_reading(descriptions, "object_type", set()) == Reading("object_name", "long_text", 3, 3)
    assert content_reading(descriptions, None, set()) is None  # free text alone names no field


def test_a_name_column_of_whole_contact_cells_is_the_partys_combined_cell() -> None:
    """Every cell fits a name, yet each holds the address and phone too: the combined cell wins."""
    cells = [
        "АО «Омскнефть», 644000, г. Омск, ул. Лермонтова, 2",
        "ООО «Тепловик», тел. (3812) 40-40-40",
        "ПАО «Сибмаш»\n630000, г. Новосибирск\ne-mail: mail@sibmash.ru",
    ]
    contacts = profile(cells)
    assert not header_stands(contacts, "applicant_name")
    assert content_reading(contacts, "applicant_name", set()) == Reading("applicant_contact", "contact", 3, 3)
    assert content_reading(contacts, "expert_org_name", set()) == Reading(
        "expert_org_contact", "contact", 3, 3
    )
    names = profile(["АО «Омскнефть»", "ООО «Тепловик»", "ПАО «Сибмаш»"])
    assert header_stands(names, "applicant_name")
    assert header_stands(contacts, "applicant_contact")
    assert header_stands(profile(cells[:2]), "applicant_name")  # two cells are no evidence


def test_row_numbers_and_bare_digits_are_no_field() -> None:
    assert content_reading(profile([str(n) for n in range(1, 40)]), None, set()) is None
    assert content_reading(profile(["1", "2", "3", "4", "2"]), None, set()) is None


def test_rules_name_only_known_fields_and_kinds() -> None:
    rules = recognize.rules()
    targets = set(SOURCE_FIELDS) | set(COMBINED_FIELDS)
    named = set(rules.fits) | set(rules.instead)
    named |= {f for mapping in rules.instead.values() for f in mapping.values()}
    named |= {f for fields in rules.by_content.values() for f in fields}
    assert named <= targets
    assert set(rules.titles) == set(rules.kinds)
    assert rules.values <= set(rules.kinds)
