"""The normalizer: header mapping, row kinds and canonical values, as docs/normalization.md says."""

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest

from openepb.contract.fields import SOURCE_FIELDS
from openepb.normalize.rows import (
    IGNORED,
    FileResult,
    RowResult,
    abbreviations_of,
    field_for_header,
    find_header,
    header_key,
    normalize_rows,
)
from openepb.read import RawRow

FILE = "vdon/2017.xlsx"


def raw(table: str, rows: list[list[str]], first: int = 1) -> list[RawRow]:
    """RawRows numbered from `first`, every row as wide as the widest (as readers give them)."""
    width = max(len(r) for r in rows)
    return [RawRow(table, first + i, tuple(r + [""] * (width - len(r)))) for i, r in enumerate(rows)]


def record(**given: object) -> dict[str, object]:
    values: dict[str, object] = dict.fromkeys((*SOURCE_FIELDS, "year"))
    values.update(given)
    return values


def summary(result: FileResult) -> list[tuple[str, int, object]]:
    """(kind, row, values or reason) for every row: what the pipeline consumes."""
    out: list[tuple[str, int, object]] = []
    for r in result.rows:
        detail = r.values if r.kind == "data" else r.reason
        out.append((r.kind, r.row, detail))
    return out


def problems_of(rows: list[RowResult]) -> list[tuple[str, int, str | None, str | None]]:
    return [(p.code, p.row, p.field, p.value) for r in rows for p in r.problems]


def assert_accounted(rows_in: list[RawRow], result: FileResult) -> None:
    """Rows in = the sum over kinds, in reader order."""
    assert [(r.table, r.row) for r in result.rows] == [(r.table, r.row) for r in rows_in]
    assert sum(Counter(r.kind for r in result.rows).values()) == len(rows_in)


# --- header vocabulary -------------------------------------------------------------------------------

HEADER_VARIANTS = [
    ("Регистрационный номер", "reg_number"),
    ("Регистрационный\nномер заключения", "reg_number"),
    ("Регистрационный номер заключения ЭПБ", "reg_number"),
    ("РЕГИСТРАЦИОННЫЙ  НОМЕР", "reg_number"),
    ("Рег. №", "reg_number"),
    ("Рег. N", "reg_number"),
    ("Рег.№ заключения", "reg_number"),
    ("Номер в реестре", "reg_number"),
    ("№ заключения в реестре", "reg_number"),
    ("Регистра-\nционный номер", "reg_number"),
    ("Дата внесения в реестр", "date_registered"),
    ("Дата\nвнесения\nв реестр", "date_registered"),
    ("Дата регистрации", "date_registered"),
    ("Дата внесения сведений в реестр", "date_registered"),
    ("ДАТА ВНЕСЕНИЯ В РЕЕСТР", "date_registered"),
    ("Объект экспертизы", "object_type"),
    ("Вид объекта экспертизы", "object_type"),
    ("Наименование объекта экспертизы", "object_name"),
    ("Наименование заключения", "object_name"),
    ("Наименование заключения экспертизы промышленной безопасности", "object_name"),
    ("Наименование заключения  экспертизы\u00a0промышленной безопасности", "object_name"),
    (
        "Наименование и адрес заяви-\nтеля, ФИО руководителя, телефон, факс, адрес электронной почты",
        "applicant_contact",
    ),
    ("Заявитель", "applicant_contact"),
    ("Заказчик", "applicant_contact"),
    ("Заказчик (наименование, ИНН)", "applicant_contact"),
    ("Наименование заявителя", "applicant_name"),
    ("Заявитель Наименование", "applicant_name"),
    ("Заявитель Адрес", "applicant_address"),
    ("Заявитель Руководитель", "applicant_head"),
    ("Заявитель Телефон", "applicant_phone"),
    ("Заявитель Факс", "applicant_fax"),
    ("Заявитель E-mail", "applicant_email"),
    ("ИНН заявителя", "applicant_inn"),
    ("ИНН", "applicant_inn"),
    (
        "Наименование экспертной организации, ФИО руководителя, телефон, факс, адрес электронной почты",
        "expert_org_contact",
    ),
    ("Экспертная организация", "expert_org_contact"),
    ("Наименование экспертной организации, номер лицензии", "expert_org_contact"),
    ("Экспертная организация Наименование", "expert_org_name"),
    ("Экспертная организация Адрес", "expert_org_address"),
    ("Экспертная организация Руководитель", "expert_org_head"),
    ("Экспертная организация Телефон", "expert_org_phone"),
    ("Экспертная организация E-mail", "expert_org_email"),
    ("Номер лицензии", "licence_number"),
    ("№ лицензии экспертной организации", "licence_number"),
    ("N лицензии экспертной организации", "licence_number"),
    ("Лицензия", "licence_number"),
    ("Экспертная организация № лицензии", "licence_number"),
    ("Номер квалификационного удостоверения эксперта", "expert_certificate"),
    ("Номер квалифика-\nционного удостоверения эксперта", "expert_certificate"),
    ("№ удостоверения", "expert_certificate"),
    ("Эксперт (ФИО, № удостоверения)", "expert_certificate"),
    ("Дата исключения", "excluded_date"),
    ("Дата исключения из реестра", "excluded_date"),
    ("Сведения об исключении", "exclusion_reason"),
    ("Основание исключения", "exclusion_reason"),
    ("Рег. № заключения", "reg_number"),
    ("Дата\nвнесения", "date_registered"),
    ("Заказчик (наименование)", "applicant_name"),
    ("ИНН заказчика", "applicant_inn"),
    ("Заявитель\n(наименование)", "applicant_name"),
    ("Сведения о заявителе (наименование, адрес, руководитель, телефон, e-mail)", "applicant_contact"),
    ("Наименование экспертной\nорганизации", "expert_org_name"),
    ("Экспертная организация (наименование, адрес, телефон)", "expert_org_contact"),
    ("Номер лицензии экспертной организации", "licence_number"),
    ("Наименование заключения экспертизы", "object_name"),
    ("№ удостоверения эксперта", "expert_certificate"),
    ("Лицензия на право проведения ЭПБ (№)", "licence_number"),
    ("Номер ОПО в государственном реестре", "opo_reg_number"),
    ("№ опасного производственного объекта в реестре", "opo_reg_number"),
    ("Рег. номер опасного производственного объекта", "opo_reg_number"),
    ("Субъект РФ, где расположен объект", "region"),
    ("Регион нахождения объекта", "region"),
    ("Номер п/п", IGNORED),
    ("№ п/п", IGNORED),
    ("N п/п", IGNORED),
    ("№\nп/п", IGNORED),
    ("№", IGNORED),
    ("Примечание", None),
    ("Статус", None),
    # a party's «реквизиты» are its details beside the name: a combined cell; a licence's are the licence
    ("Наименование и реквизиты заказчика", "applicant_contact"),
    ("Реквизиты эксплуатирующей организации", "applicant_contact"),
    ("Наименование и реквизиты экспертной организации", "expert_org_contact"),
    ("Реквизиты лицензии экспертной организации", "licence_number"),
    # «Организация, проводившая экспертизу» over its sub-columns
    ("Организация, проводившая экспертизу наименование", "expert_org_name"),
    ("Организация, проводившая экспертизу ИНН", "expert_org_inn"),
    ("Организация, проводившая экспертизу номер лицензии", "licence_number"),
    ("Организация, проводившая экспертизу (наименование, адрес)", "expert_org_contact"),
]


@pytest.mark.parametrize(("text", "expected"), HEADER_VARIANTS)
def test_header_text_maps_to_field(text: str, expected: str | None) -> None:
    assert field_for_header(header_key(text)) == expected


def test_header_key_normalizes_case_hyphenation_punctuation_and_number_sign() -> None:
    assert header_key("Наименование и адрес заяви-\nтеля, ФИО") == "наименование и адрес заявителя фио"
    assert header_key("РЕГ. No") == "рег. №"
    assert header_key("Объём  ёмкости") == "объем емкости"
    assert header_key("№п/п") == "№ п п"
    assert header_key("№ п.п.") == "№ п п"


ABBREVIATED_HEADERS = [
    ("Наимен. заявителя", "applicant_name"),
    ("Адр. заявителя", "applicant_address"),
    ("Юрид. адрес заказчика", "applicant_address"),
    ("Рег. ном. ОПО", "opo_reg_number"),
    ("Наим. опасн. произв. объекта", "opo_name"),
    ("Кл. опасн.", "hazard_class"),
    ("ИНН экспл. орг.", "applicant_inn"),
    ("Наименование экспертн. орг.", "expert_org_name"),
    ("№ удостов. эксперта", "expert_certificate"),
    ("Дата внес. в реестр", "date_registered"),
    ("Дата искл. из реестра", "excluded_date"),  # «искл.» is the excluded stem «исключ» too
    ("Срок дальн. безоп. эксплуатации", "operation_term"),
]


@pytest.mark.parametrize(("text", "expected"), ABBREVIATED_HEADERS)
def test_a_word_cut_with_a_dot_stands_for_the_stems_it_begins(text: str, expected: str) -> None:
    assert field_for_header(header_key(text)) == expected


def test_only_a_dot_after_two_letters_or_more_marks_an_abbreviation() -> None:
    assert header_key("Наим. ОПО") == "наим. опо"
    assert abbreviations_of(header_key("Наим. ОПО, кл. опасн.")) == ("наим", "кл", "опасн")
    assert field_for_header(header_key("Наим ОПО")) is None  # no dot: «наим» is a word of its own
    assert abbreviations_of(header_key("Ф.И.О. эксперта")) == ()  # initials, not cut words
    assert field_for_header(header_key("Ф.И.О. эксперта")) == "expert_certificate"


# --- a whole sheet -------------------------------------------------------------------------------------

SHEET_HEADER = [
    "№ п/п",
    "Регистрационный\nномер заключения",
    "Дата внесения\nв реестр",
    "Наименование заключения",
    "Заявитель",
    "Экспертная организация",
    "№ лицензии",
    "Примечание",
]


def sheet_rows() -> list[RawRow]:
    title = "Реестр заключений экспертизы промышленной безопасности"
    return raw(
        "Лист1",
        [
            [title] * 8,
            ["Верхне-Донское управление Ростехнадзора"],
            [],
            SHEET_HEADER,
            ["1", "2", "3", "4", "5", "6", "7", "8"],
            ["2017 год"] * 8,
            ["Январь"],
            [
                "1",
                "58-ТУ-00001-2017",
                "10.01.2017",
                "ЗЭПБ на  кран\nмостовой",
                "ООО «Ромашка»",
                "ООО «Эксперт»",
                "ДЭ-00-012345",
                "",
            ],
            [
                "2",
                "№ 58-TY-00002-2017",
                "11/01/17",
                "Котёл ДКВР",
                "АО «Завод»",
                "ООО «Эксперт»",
                "DE 00 012345",
                "",
            ],
            ["3", "", "12.01.2017", "Котел", "АО «Завод»", "ООО «Эксперт»", "ДЭ-00-012345", ""],
            ["4", "б/н", "12.01.2017", "Котел", "АО «Завод»", "ООО «Эксперт»", "ДЭ-00-012345", ""],
            ["Итого: 125", "", "", "", "", "", "", ""],
            [],
            SHEET_HEADER,
            ["5", "58-ЗС-00003-2017", "12.01.2018", "Здание", "АО «Завод»", "ООО «Эксперт»", "", "повторно"],
            ["Начальник отдела ____ И.И. Иванов"],
        ],
    )


def test_sheet_rows_get_exact_kinds_and_values() -> None:
    rows = sheet_rows()
    result = normalize_rows(rows, FILE)
    assert_accounted(rows, result)
    common = {"applicant_name": "АО «Завод»", "expert_org_name": "ООО «Эксперт»"}
    assert summary(result) == [
        ("title", 1, None),
        ("title", 2, None),
        ("title", 3, None),
        ("header", 4, None),
        ("colnum", 5, None),
        ("section", 6, None),
        ("section", 7, None),
        (
            "data",
            8,
            record(
                reg_number="58-ТУ-00001-2017",
                date_registered=date(2017, 1, 10),
                year=2017,
                object_type="ТУ",
                object_name="ЗЭПБ на кран мостовой",
                applicant_name="ООО «Ромашка»",
                expert_org_name="ООО «Эксперт»",
                licence_number="ДЭ-00-012345",
            ),
        ),
        (
            "data",
            9,
            record(
                reg_number="58-ТУ-00002-2017",
                reg_number_published="№ 58-TY-00002-2017",
                date_registered=date(2017, 1, 11),
                year=2017,
                object_type="ТУ",
                object_name="Котёл ДКВР",
                licence_number="ДЭ-00-012345",
                **common,
            ),
        ),
        ("reject", 10, "reg_number_missing"),
        ("reject", 11, "reg_number_invalid"),
        ("total", 12, None),
        ("blank", 13, None),
        ("header", 14, None),
        (
            "data",
            15,
            record(
                reg_number="58-ЗС-00003-2017",
                date_registered=date(2018, 1, 12),
                year=2018,
                object_type="ЗС",
                object_name="Здание",
                **common,
            ),
        ),
        ("footer", 16, None),
    ]
    assert problems_of(result.rows) == [("date_year_mismatch", 15, "date_registered", "12.01.2018")]
    assert result.has_register
    assert result.headers == {
        "Лист1": {
            "1": "reg_number",
            "2": "date_registered",
            "3": "object_name",
            "4": "applicant_contact",
            "5": "expert_org_contact",
            "6": "licence_number",
        }
    }
    assert [(p.code, p.table, p.value, p.detail) for p in result.problems] == [
        ("unknown_column", "Лист1", "Примечание", "столбец 8 «Примечание», непустых ячеек: 1")
    ]


# --- two-row header, continuation table, layout table --------------------------------------------------

TWO_ROW_HEADER = [
    [
        "Рег. №",
        "Дата регистрации",
        "Заявитель",
        "Заявитель",
        "Заявитель",
        "Экспертная организация",
        "Экспертная организация",
    ],
    [
        "Рег. №",
        "Дата регистрации",
        "Наименование",
        "ИНН",
        "Адрес",
        "Наименование, адрес, телефон",
        "№ лицензии",
    ],
]


def test_two_row_header_continuation_and_layout_tables() -> None:
    expert = "ООО «ИЦ Эксперт»\nг. Воронеж, ул. Мира, д. 5\nтел. 8 (473) 200-00-00"
    rows = [
        *raw(
            "table 1",
            [
                ["Сведения о заключениях экспертизы промышленной безопасности, внесенных в реестр"],
                *TWO_ROW_HEADER,
                ["03-ТП-00010-2018", "01.02.2018", "ПАО «Нефть»", "3601000000", "г. Лиски", expert, ""],
            ],
        ),
        *raw(
            "table 2",
            [
                [
                    "03-ДК-00011-2018",
                    "2018-02-02",
                    "ПАО «Нефть»",
                    "ИНН 3601000000",
                    "г. Лиски",
                    expert,
                    "ДЭ-00-000777",
                ],
                ["03-ДЛ-00012-2018", "", "", "", "", "", ""],
            ],
        ),
        *raw("table 3", [["Главная", "Контакты"], ["", ""]]),
    ]
    result = normalize_rows(rows, "vdon/reestr.docx")
    assert_accounted(rows, result)
    applicant = {
        "applicant_name": "ПАО «Нефть»",
        "applicant_inn": "3601000000",
        "applicant_address": "г. Лиски",
    }
    expert_values = {
        "expert_org_name": "ООО «ИЦ Эксперт»",
        "expert_org_address": "г. Воронеж, ул. Мира, д. 5",
        "expert_org_phone": "8 (473) 200-00-00",
    }
    assert summary(result) == [
        ("title", 1, None),
        ("header", 2, None),
        ("header", 3, None),
        (
            "data",
            4,
            record(
                reg_number="03-ТП-00010-2018",
                date_registered=date(2018, 2, 1),
                year=2018,
                object_type="ТП",
                **applicant,
                **expert_values,
            ),
        ),
        (
            "data",
            1,
            record(
                reg_number="03-ДК-00011-2018",
                date_registered=date(2018, 2, 2),
                year=2018,
                object_type="ДК",
                licence_number="ДЭ-00-000777",
                **applicant,
                **expert_values,
            ),
        ),
        ("data", 2, record(reg_number="03-ДЛ-00012-2018", year=2018, object_type="ДЛ")),
        ("no_header", 1, None),
        ("blank", 2, None),
    ]
    assert problems_of(result.rows) == [("date_missing", 2, "date_registered", None)]
    mapping = {
        "0": "reg_number",
        "1": "date_registered",
        "2": "applicant_name",
        "3": "applicant_inn",
        "4": "applicant_address",
        "5": "expert_org_contact",
        "6": "licence_number",
    }
    assert result.headers == {"table 1": mapping, "table 2": mapping}
    assert result.problems == []


def test_file_without_header_is_not_a_register() -> None:
    rows = raw("table 1", [["Новости"], [], ["Приём граждан", "пн–пт"]])
    result = normalize_rows(rows, "vdon/index.html")
    assert_accounted(rows, result)
    assert summary(result) == [("no_header", 1, None), ("blank", 2, None), ("no_header", 3, None)]
    assert not result.has_register
    assert [(p.code, p.file) for p in result.problems] == [("not_a_register", "vdon/index.html")]
    assert result.headers == {}


# --- canonical values and warnings -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("01.12.2018", date(2018, 12, 1)),
        ("01.12.18", date(2018, 12, 1)),
        ("01/12/2018", date(2018, 12, 1)),
        ("01/12/18", date(2018, 12, 1)),
        ("2018-12-01", date(2018, 12, 1)),
        ("2018-12-01T10:30:00", date(2018, 12, 1)),
        ("1 декабря 2018 г.", date(2018, 12, 1)),
        ("01.12.2018г.", date(2018, 12, 1)),
        ("01.12.2018 г.", date(2018, 12, 1)),
        ("43435", date(2018, 12, 1)),
    ],
)
def test_date_forms_are_parsed(cell: str, expected: date) -> None:
    rows = raw("", [["Регистрационный номер", "Дата внесения в реестр"], ["58-ТУ-00001-2018", cell]])
    result = normalize_rows(rows, "x.csv")
    row = result.rows[1]
    assert (row.kind, row.values["date_registered"], row.values["year"], row.problems) == (
        "data",
        expected,
        2018,
        [],
    )


def test_invalid_and_missing_dates_are_warnings_and_year_comes_from_the_number() -> None:
    rows = raw(
        "",
        [
            ["Регистрационный номер", "Дата внесения в реестр", "Дата исключения"],
            ["58-ТУ-00001-2016", "32.13.2018", "не дата"],
            ["58-ТУ-00002-2016", "", ""],
        ],
    )
    result = normalize_rows(rows, "x.csv")
    assert [(r.kind, r.values["date_registered"], r.values["year"]) for r in result.rows[1:]] == [
        ("data", None, 2016),
        ("data", None, 2016),
    ]
    assert problems_of(result.rows) == [
        ("date_invalid", 2, "date_registered", "32.13.2018"),
        ("excluded_date_invalid", 2, "excluded_date", "не дата"),
        ("date_missing", 3, "date_registered", None),
    ]


def test_licence_certificate_object_type_and_exclusion() -> None:
    rows = raw(
        "",
        [
            [
                "Рег. №",
                "Дата",
                "Объект экспертизы",
                "№ лицензии",
                "Эксперт (ФИО, № удостоверения)",
                "Дата исключения",
                "Основание исключения",
            ],
            [
                "58-ТУ-00001-2018",
                "01.12.2018",
                "Здания и сооружения",
                "лицензия отозвана",
                "Иванов И.И. АЭ.16.01234.003, Петров П.П. AЭ.17.00001.001",
                "01.02.2019",
                "Заявление  заявителя",
            ],
            [
                "58-ТУ-00002-2018",
                "01.12.2018",
                "Технические устройства",
                "№ ДЭ-00-007889 от 04.10.2007",
                "Иванов",
                "",
                "",
            ],
        ],
    )
    result = normalize_rows(rows, "x.csv")
    first, second = result.rows[1].values, result.rows[2].values
    assert (first["licence_number"], first["expert_certificate"], first["object_type"]) == (
        None,
        "АЭ.16.01234.003; АЭ.17.00001.001",
        "ТУ",
    )
    assert (first["excluded_date"], first["exclusion_reason"]) == (date(2019, 2, 1), "Заявление заявителя")
    assert (second["licence_number"], second["expert_certificate"], second["excluded_date"]) == (
        "ДЭ-00-007889",
        "Иванов",
        None,
    )
    assert [(p.code, p.row, p.field, p.value, p.detail) for r in result.rows for p in r.problems] == [
        ("licence_invalid", 2, "licence_number", "лицензия отозвана", None),
        ("object_type_mismatch", 2, "object_type", "Здания и сооружения", "в номере ТУ"),
    ]


def test_combined_contact_cells_are_split_and_separate_columns_win() -> None:
    applicant = (
        "ООО «Ромашка», ИНН 7701234560\n"
        "123456, г. Москва, ул. Ленина, д. 1\n"
        "Генеральный директор Петров П.П.\n"
        "тел. (495) 123-45-67; факс (495) 123-45-68\n"
        "e-mail: INFO@romashka.ru"
    )
    expert = "АО «НТЦ «Промышленная безопасность»\nлицензия № ДЭ-00-017384 от 06.05.2019"
    rows = raw(
        "",
        [
            [
                "Регистрационный номер",
                "Наименование и адрес заявителя, ФИО руководителя, телефон, факс, адрес электронной почты",
                "ИНН заявителя",
                "Наименование экспертной организации, номер лицензии",
            ],
            ["58-ОБ-00001-2018", applicant, "7700000009", expert],
        ],
    )
    result = normalize_rows(rows, "x.csv")
    assert result.rows[1].values == record(
        reg_number="58-ОБ-00001-2018",
        year=2018,
        object_type="ОБ",
        applicant_name="ООО «Ромашка»",
        applicant_inn="7700000009",
        applicant_address="123456, г. Москва, ул. Ленина, д. 1",
        applicant_head="Генеральный директор Петров П.П.",
        applicant_phone="(495) 123-45-67",
        applicant_fax="(495) 123-45-68",
        applicant_email="info@romashka.ru",
        expert_org_name="АО «НТЦ «Промышленная безопасность»",
        licence_number="ДЭ-00-017384",
    )


# --- header detection ----------------------------------------------------------------------------------


def test_header_block_skips_titles_and_prefers_most_fields_then_shorter() -> None:
    rows = raw(
        "Лист1",
        [
            ["Сведения о заключениях ЭПБ", "Сведения о заключениях ЭПБ", "Сведения о заключениях ЭПБ"],
            ["за 2018 год"],
            ["Номер", "Дата", "Заявитель"],
            ["Регистрационный номер", "Дата внесения в реестр", "Заявитель"],
            ["58-ТУ-00001-2018", "01.12.2018", "ООО «Ромашка»"],
        ],
    )
    result = normalize_rows(rows, "x.xlsx")
    assert [(r.kind, r.row) for r in result.rows] == [
        ("title", 1),
        ("title", 2),
        ("title", 3),
        ("header", 4),
        ("data", 5),
    ]
    assert result.headers == {"Лист1": {"0": "reg_number", "1": "date_registered", "2": "applicant_contact"}}


def test_unknown_columns_are_reported_and_row_number_columns_ignored() -> None:
    rows = raw(
        "",
        [
            ["№ п/п", "Регистрационный номер", "Статус", ""],
            ["1", "58-ТУ-00001-2018", "действует", "лишнее"],
            ["2", "", "действует", ""],
        ],
    )
    result = normalize_rows(rows, "x.csv")
    assert [(p.code, p.value, p.detail) for p in result.problems] == [
        ("unknown_column", "Статус", "столбец 3 «Статус», непустых ячеек: 2"),
        ("unknown_column", "", "столбец 4 «», непустых ячеек: 1"),
    ]


def test_section_row_is_not_taken_for_a_number_and_footer_needs_a_signature_word() -> None:
    rows = raw(
        "",
        [
            ["Регистрационный номер", "Заявитель", "Экспертная организация"],
            ["I квартал 2017 г.", "I квартал 2017 г.", "I квартал 2017 г."],
            ["58-ТУ-0001-2017", "", ""],
            ["Исполнитель: Петрова А.А.", "тел. 22-33-44", ""],
            ["Всего 3", "", ""],
            ["", "ООО «Ромашка»", "ООО «Эксперт»"],
        ],
    )
    result = normalize_rows(rows, "x.csv")
    assert summary(result) == [
        ("header", 1, None),
        ("section", 2, None),
        ("reject", 3, "reg_number_invalid"),
        ("footer", 4, None),
        ("total", 5, None),
        ("reject", 6, "reg_number_missing"),
    ]


def test_pages_repeating_the_header_report_an_unknown_column_once() -> None:
    header = ["Регистрационный номер", "Дата внесения в реестр", "Статус"]
    rows = [
        *raw("page 1", [header, ["58-ТУ-00001-2018", "01.12.2018", "действует"]]),
        *raw(
            "page 2",
            [header, ["58-ТУ-00002-2018", "02.12.2018", "исключено"], ["", "03.12.2018", "действует"]],
        ),
    ]
    result = normalize_rows(rows, "x.pdf")
    assert_accounted(rows, result)
    assert [r.kind for r in result.rows] == ["header", "data", "header", "data", "reject"]
    assert [(p.code, p.table, p.detail) for p in result.problems] == [
        ("unknown_column", "page 1", "столбец 3 «Статус», непустых ячеек: 3")
    ]


def test_reworded_header_repeat_is_a_header_but_a_wordy_reject_is_not() -> None:
    rows = raw(
        "",
        [
            [
                "Регистрационный номер",
                "Дата внесения в реестр",
                "Наименование объекта",
                "Экспертная организация",
            ],
            ["58-ТУ-00001-2018", "01.12.2018", "Кран", "ООО «Эксперт»"],
            ["Рег. №", "Дата регистрации", "Наименование объекта экспертизы", "Экспертная организация"],
            ["", "Заключение ЭПБ № 12", "Кран", "ООО «Экспертная организация Сфера»"],
        ],
    )
    result = normalize_rows(rows, "x.csv")
    assert summary(result)[2:] == [("header", 3, None), ("reject", 4, "reg_number_missing")]


# --- header and contents together: the cells have the last word ----------------------------------------


def conflicts(result: FileResult) -> list[tuple[str, str | None, str | None, str | None, str | None]]:
    """File-level problems with everything a person reads in them."""
    return [(p.code, p.table, p.field, p.value, p.detail) for p in result.problems]


@pytest.mark.parametrize(
    ("licence_header", "expected_problems"),
    [
        ("Лицензия на деятельность по проведению ЭПБ (№)", []),
        (
            "№ разрешения на проведение ЭПБ",
            [
                (
                    "header_content_conflict",
                    "Лист1",
                    "licence_number",
                    "№ разрешения на проведение ЭПБ",
                    "столбец 2 «№ разрешения на проведение ЭПБ»: по заголовку — reg_number, по содержимому"
                    " — licence_number (номера лицензий ДЭ-00-NNNNNN: 3 из 3 ячеек)",
                )
            ],
        ),
    ],
)
def test_licence_column_beside_the_number_is_never_the_number(
    licence_header: str, expected_problems: list[tuple[str, ...]]
) -> None:
    rows = raw(
        "Лист1",
        [
            [
                "Номер п/п",
                licence_header,
                "Регистрационный № заключения ЭПБ",
                "Когда внесено в реестр (дата)",
            ],
            ["1", "ДЭ-00-012345", "58-ТУ-00001-2019", "10.01.2019"],
            ["2", "№ ДЭ-00-000777 от 04.10.2007", "58-ТУ-000002-2019", "11.01.2019"],
            ["3", "ДЭ-00-012345", "58-ЗС-00003-2019", "14.01.2019"],
        ],
    )
    result = normalize_rows(rows, FILE)
    assert_accounted(rows, result)
    assert summary(result) == [
        ("header", 1, None),
        (
            "data",
            2,
            record(
                reg_number="58-ТУ-00001-2019",
                date_registered=date(2019, 1, 10),
                year=2019,
                object_type="ТУ",
                licence_number="ДЭ-00-012345",
            ),
        ),
        (
            "data",
            3,
            record(
                reg_number="58-ТУ-000002-2019",
                date_registered=date(2019, 1, 11),
                year=2019,
                object_type="ТУ",
                licence_number="ДЭ-00-000777",
            ),
        ),
        (
            "data",
            4,
            record(
                reg_number="58-ЗС-00003-2019",
                date_registered=date(2019, 1, 14),
                year=2019,
                object_type="ЗС",
                licence_number="ДЭ-00-012345",
            ),
        ),
    ]
    assert result.headers == {"Лист1": {"1": "licence_number", "2": "reg_number", "3": "date_registered"}}
    assert conflicts(result) == expected_problems
    assert problems_of(result.rows) == []


SWAPPED = [
    ["ДЭ-00-000101", "66-ТУ-00101-2020", "Кран козловой"],
    ["ДЭ-00-000102", "66-ТУ-00102-2020", "Кран мостовой"],
    ["Лицензия ДЭ-00-000103 от 02.03.2012", "66-ТП-00103-2020", "Проект перевооружения"],
    ["ДЭ-00-000101", "", "Котел"],
]


def test_licences_and_numbers_swapped_under_their_headers_are_read_by_contents() -> None:
    rows = raw("Лист1", [["Рег. номер ЗЭПБ", "Номер лицензии экспертной организации", "Объект"], *SWAPPED])
    result = normalize_rows(rows, FILE)
    assert_accounted(rows, result)
    assert [(r.kind, r.reason, r.values and r.values["licence_number"]) for r in result.rows] == [
        ("header", None, None),
        ("data", None, "ДЭ-00-000101"),
        ("data", None, "ДЭ-00-000102"),
        ("data", None, "ДЭ-00-000103"),
        ("reject", "reg_number_missing", None),
    ]
    assert [r.values["reg_number"] for r in result.rows if r.kind == "data"] == [
        "66-ТУ-00101-2020",
        "66-ТУ-00102-2020",
        "66-ТП-00103-2020",
    ]
    assert result.headers == {"Лист1": {"0": "licence_number", "1": "reg_number", "2": "object_type"}}
    assert conflicts(result) == [
        (
            "header_content_conflict",
            "Лист1",
            "licence_number",
            "Рег. номер ЗЭПБ",
            "столбец 1 «Рег. номер ЗЭПБ»: по заголовку — reg_number, по содержимому — licence_number"
            " (номера лицензий ДЭ-00-NNNNNN: 4 из 4 ячеек)",
        ),
        (
            "header_content_conflict",
            "Лист1",
            "reg_number",
            "Номер лицензии экспертной организации",
            "столбец 2 «Номер лицензии экспертной организации»: по заголовку — licence_number, по содержимому"
            " — reg_number (регистрационные номера заключений: 3 из 3 ячеек)",
        ),
    ]


def test_licences_and_numbers_swapped_with_their_headers_need_no_warning() -> None:
    rows = raw("Лист1", [["Номер лицензии экспертной организации", "Рег. номер ЗЭПБ", "Объект"], *SWAPPED])
    result = normalize_rows(rows, FILE)
    assert result.headers == {"Лист1": {"0": "licence_number", "1": "reg_number", "2": "object_type"}}
    assert [r.kind for r in result.rows] == ["header", "data", "data", "data", "reject"]
    assert result.problems == []


def test_a_number_column_holding_only_licences_stays_the_number_and_its_rows_are_rejects() -> None:
    rows = raw(
        "",
        [
            ["Регистрационный номер", "Дата"],
            ["ДЭ-00-012345", "10.01.2019"],
            ["ДЭ-00-012346", "10.01.2019"],
            ["ДЭ-00-012347", "10.01.2019"],
        ],
    )
    result = normalize_rows(rows, "x.csv")
    assert summary(result)[1:] == [
        ("reject", 2, "reg_number_invalid"),
        ("reject", 3, "reg_number_invalid"),
        ("reject", 4, "reg_number_invalid"),
    ]
    assert result.headers == {"": {"0": "reg_number", "1": "date_registered"}}
    assert result.problems == []


def test_headers_no_rule_knows_are_mapped_by_clear_contents() -> None:
    rows = raw(
        "Лист1",
        [
            ["Выгрузка из реестра"],
            ["Графа 1", "Графа 2", "Графа 3", "Графа 4", "Графа 5", "Графа 6", "Графа 7", "Графа 8"],
            [
                "54-ТУ-806283-2026",
                "26.05.2026",
                "7707083893",
                "А54-27998-0013",
                "III",
                "соответствует",
                "Новосибирская обл.",
                "Кран мостовой",
            ],
            [
                "54-ТУ-806284-2026",
                "27.05.2026",
                "7736050003",
                "А54-27998-0014",
                "II",
                "не соответствует",
                "Новосибирская область",
                "Кран козловой",
            ],
            [
                "42-ЗС-806285-2026",
                "28.05.2026",
                "ИНН 5503221735",
                "А42-00011-0001",
                "IV",
                "Не в полной мере",
                "Кемеровская область - Кузбасс",
                "Здание цеха",
            ],
        ],
    )
    result = normalize_rows(rows, "zsib/2026.xlsx")
    assert_accounted(rows, result)
    assert [r.kind for r in result.rows] == ["title", "header", "data", "data", "data"]
    assert result.rows[4].values == record(
        reg_number="42-ЗС-806285-2026",
        date_registered=date(2026, 5, 28),
        year=2026,
        object_type="ЗС",
        applicant_inn="5503221735",
        opo_reg_number="А42-00011-0001",
        hazard_class="IV",
        conclusion_result="не в полной мере",
        region="Кемеровская область — Кузбасс",
    )
    assert result.headers == {
        "Лист1": {
            "0": "reg_number",
            "1": "date_registered",
            "2": "applicant_inn",
            "3": "opo_reg_number",
            "4": "hazard_class",
            "5": "conclusion_result",
            "6": "region",
        }
    }
    by_content = [
        (1, "reg_number", "регистрационные номера заключений"),
        (2, "date_registered", "даты"),
        (3, "applicant_inn", "ИНН с верными контрольными цифрами"),
        (4, "opo_reg_number", "регистрационные номера ОПО"),
        (5, "hazard_class", "классы опасности I–IV"),
        (6, "conclusion_result", "выводы заключений"),
        (7, "region", "субъекты Российской Федерации"),
    ]
    assert conflicts(result) == [
        (
            "column_by_content",
            "Лист1",
            name,
            f"Графа {n}",
            f"столбец {n} «Графа {n}»: по содержимому — {name} ({title}: 3 из 3 ячеек)",
        )
        for n, name, title in by_content
    ] + [("unknown_column", "Лист1", None, "Графа 8", "столбец 8 «Графа 8», непустых ячеек: 3")]


def test_a_single_object_column_of_free_text_is_the_objects_name() -> None:
    rows = raw(
        "",
        [
            ["Рег. № заключения", "Объект экспертизы"],
            ["16-ТУ-00101-2021", "Сосуд под давлением, зав. № 1"],
            ["16-ТУ-00102-2021", "Кран мостовой КМ-10, рег. № 6067"],
            ["16-ЗС-00103-2021", "Трубопровод пара и горячей воды цеха"],
        ],
    )
    result = normalize_rows(rows, "x.xlsx")
    assert [r.values["object_name"] for r in result.rows[1:]] == [
        "Сосуд под давлением, зав. № 1",
        "Кран мостовой КМ-10, рег. № 6067",
        "Трубопровод пара и горячей воды цеха",
    ]
    assert [r.values["object_type"] for r in result.rows[1:]] == ["ТУ", "ТУ", "ЗС"]
    assert problems_of(result.rows) == []
    assert result.headers == {"": {"0": "reg_number", "1": "object_name"}}
    assert conflicts(result) == [
        (
            "header_content_conflict",
            "",
            "object_name",
            "Объект экспертизы",
            "столбец 2 «Объект экспертизы»: по заголовку — object_type, по содержимому — object_name"
            " (описания (свободный текст): 3 из 3 ячеек)",
        )
    ]


def test_a_real_object_type_column_stays_the_type_and_is_cross_checked() -> None:
    rows = raw(
        "",
        [
            ["Рег. № заключения", "Вид объекта ЭПБ", "Наименование"],
            ["16-ТУ-00101-2021", "Технические устройства", "Кран"],
            ["16-ТУ-00102-2021", "Здания и сооружения", "Котел"],
            ["16-ЗС-00103-2021", "ЗС", "Здание"],
        ],
    )
    result = normalize_rows(rows, "x.xlsx")
    assert [r.values["object_type"] for r in result.rows[1:]] == ["ТУ", "ТУ", "ЗС"]
    assert problems_of(result.rows) == [("object_type_mismatch", 3, "object_type", "Здания и сооружения")]
    assert result.headers == {"": {"0": "reg_number", "1": "object_type"}}
    assert conflicts(result) == [
        ("unknown_column", "", None, "Наименование", "столбец 3 «Наименование», непустых ячеек: 3")
    ]


TODAY_HEADER = [
    "Субъект РФ, где расположен объект",
    "Регистрационный номер ЗЭПБ",
    "Дата регистрации ЗЭПБ в реестре",
    "Срок дальнейшей безопасной эксплуатации (до)",
    "Вывод по результатам экспертизы",
    "Наименование ЗЭПБ (объект экспертизы)",
    "Номер ОПО в государственном реестре",
    "Наименование опасного производственного объекта",
    "Класс опасности",
    "Эксплуатирующая организация (наименование)",
    "ИНН эксплуатирующей организации (ОПО)",
]


def test_todays_one_row_header_maps_all_eleven_columns() -> None:
    rows = raw(
        "Неделя 21",
        [
            ["Сведения о заключениях экспертизы промышленной безопасности, внесенных в реестр"] * 11,
            TODAY_HEADER,
            [
                "Новосибирская обл.",
                "54-ТУ-806283-2026",
                "26.05.2026",
                "до 26.05.2030",
                "Соответствует",
                "ЗЭПБ на сосуд, работающий под давлением, зав. № 4-8-3821F",
                "А54-27998-0013",
                "Площадка нефтебазы",
                "III",
                "АО «Сибнефть»",
                "7707083893",
            ],
            [
                "Кемеровская область - Кузбасс",
                "42-ТУ-896427-2026",
                "27.05.2026",
                "5 лет",
                "не соответствует",
                "ЗЭПБ на кран мостовой, рег. № 6067",
                "А42-00011-0001",
                "Цех коксования",
                "II",
                "ПАО «Кокс»",
                "7736050003",
            ],
            [
                "Алтайский край",
                "2-ЗС-800238-2026",
                "46170",
                "-",
                "не в полной мере",
                "Здание котельной",
                "а22-00123-0002",
                "Котельная",
                "IV класс",
                "ООО «Тепло» (ИНН 5503221735)",
                "",
            ],
        ],
    )
    result = normalize_rows(rows, "zsib/2026.xlsx")
    assert_accounted(rows, result)
    assert summary(result) == [
        ("title", 1, None),
        ("header", 2, None),
        (
            "data",
            3,
            record(
                reg_number="54-ТУ-806283-2026",
                date_registered=date(2026, 5, 26),
                year=2026,
                object_type="ТУ",
                region="Новосибирская область",
                operation_term="2030-05-26",
                conclusion_result="соответствует",
                object_name="ЗЭПБ на сосуд, работающий под давлением, зав. № 4-8-3821F",
                opo_reg_number="А54-27998-0013",
                opo_name="Площадка нефтебазы",
                hazard_class="III",
                applicant_name="АО «Сибнефть»",
                applicant_inn="7707083893",
            ),
        ),
        (
            "data",
            4,
            record(
                reg_number="42-ТУ-896427-2026",
                date_registered=date(2026, 5, 27),
                year=2026,
                object_type="ТУ",
                region="Кемеровская область — Кузбасс",
                operation_term="5 лет",
                conclusion_result="не соответствует",
                object_name="ЗЭПБ на кран мостовой, рег. № 6067",
                opo_reg_number="А42-00011-0001",
                opo_name="Цех коксования",
                hazard_class="II",
                applicant_name="ПАО «Кокс»",
                applicant_inn="7736050003",
            ),
        ),
        (
            "data",
            5,
            record(
                reg_number="02-ЗС-800238-2026",
                reg_number_published="2-ЗС-800238-2026",
                date_registered=date(2026, 5, 28),
                year=2026,
                object_type="ЗС",
                region="Алтайский край",
                conclusion_result="не в полной мере",
                object_name="Здание котельной",
                opo_reg_number="А22-00123-0002",
                opo_name="Котельная",
                hazard_class="IV",
                applicant_name="ООО «Тепло»",
                applicant_inn="5503221735",
            ),
        ),
    ]
    assert result.headers == {
        "Неделя 21": {
            "0": "region",
            "1": "reg_number",
            "2": "date_registered",
            "3": "operation_term",
            "4": "conclusion_result",
            "5": "object_name",
            "6": "opo_reg_number",
            "7": "opo_name",
            "8": "hazard_class",
            "9": "applicant_name",
            "10": "applicant_inn",
        }
    }
    assert result.problems == []
    assert problems_of(result.rows) == []


@pytest.mark.parametrize(
    ("inn_header", "expected_problems"),
    [
        ("ИНН организации, эксплуатирующей ОПО", []),
        ("ИНН экспл. организации", []),
        (
            "Эксплуатирующая организация",
            [
                (
                    "header_content_conflict",
                    "",
                    "applicant_inn",
                    "Эксплуатирующая организация",
                    "столбец 3 «Эксплуатирующая организация»: по заголовку — applicant_contact, по содержимому"
                    " — applicant_inn (ИНН с верными контрольными цифрами: 3 из 3 ячеек)",
                )
            ],
        ),
    ],
)
def test_an_inn_column_of_the_operating_organization_is_its_inn_never_its_name(
    inn_header: str, expected_problems: list[tuple[str, ...]]
) -> None:
    rows = raw(
        "",
        [
            ["Рег. номер", "Наименование организации, эксплуатирующей ОПО", inn_header],
            ["38-ТУ-00001-2024", "АО «Ангарская НХК»", "7707083893"],
            ["38-ТУ-00002-2024", "ООО «Байкал»", "7736050003"],
            ["38-ТУ-00003-2024", "ООО «Байкал»", "7736050003"],
        ],
    )
    result = normalize_rows(rows, "x.xlsx")
    assert [(r.values["applicant_name"], r.values["applicant_inn"]) for r in result.rows[1:]] == [
        ("АО «Ангарская НХК»", "7707083893"),
        ("ООО «Байкал»", "7736050003"),
        ("ООО «Байкал»", "7736050003"),
    ]
    assert result.headers[""]["2"] == "applicant_inn"
    assert conflicts(result) == expected_problems


def test_two_row_merged_header_with_column_numbers_and_swapped_subcolumns() -> None:
    parent = "Сведения об эксплуатирующей организации"
    rows = raw(
        "Лист1",
        [
            ["Рег. № ЗЭПБ", parent, parent, "Дата внесения"],
            ["Рег. № ЗЭПБ", "Наименование", "ИНН", "Дата внесения"],
            ["1", "2", "3", "4"],
            ["58-ТУ-00001-2019", "7707083893", "ООО «Ромашка»", "10.01.2019"],
            ["58-ТУ-00002-2019", "7736050003", "АО «Завод»", "11.01.2019"],
            ["2019 год", "2019 год", "2019 год", "2019 год"],
            ["58-ТУ-00003-2019", "7736050003", "АО «Завод»", "12.01.2019"],
        ],
    )
    result = normalize_rows(rows, FILE)
    assert_accounted(rows, result)
    assert [r.kind for r in result.rows] == ["header", "header", "colnum", "data", "data", "section", "data"]
    assert [
        (r.values["applicant_name"], r.values["applicant_inn"]) for r in result.rows if r.kind == "data"
    ] == [
        ("ООО «Ромашка»", "7707083893"),
        ("АО «Завод»", "7736050003"),
        ("АО «Завод»", "7736050003"),
    ]
    assert result.headers == {
        "Лист1": {"0": "reg_number", "1": "applicant_inn", "2": "applicant_name", "3": "date_registered"}
    }
    assert [(p.code, p.field, p.value) for p in result.problems] == [
        ("header_content_conflict", "applicant_inn", f"{parent} Наименование"),
        ("header_content_conflict", "applicant_name", f"{parent} ИНН"),
    ]


def test_a_header_whose_words_miss_the_number_is_found_by_the_numbers_below_it() -> None:
    rows = raw(
        "Лист1",
        [
            ["Реестр ЗЭПБ за 2019 год"],
            ["Номер", "Дата", "Заявитель"],
            ["1", "2", "3"],
            ["58-ТУ-00001-2019", "10.01.2019", "ООО «Ромашка»"],
            ["58-ТУ-00002-2019", "11.01.2019", "АО «Завод»"],
            ["", "11.01.2019", "АО «Завод»"],
            ["58-ТУ-00003-2019", "12.01.2019", "АО «Завод»"],
        ],
    )
    result = normalize_rows(rows, FILE)
    assert_accounted(rows, result)
    assert summary(result)[:3] == [("title", 1, None), ("header", 2, None), ("colnum", 3, None)]
    assert [r.kind for r in result.rows[3:]] == ["data", "data", "reject", "data"]
    assert result.rows[3].values == record(
        reg_number="58-ТУ-00001-2019",
        date_registered=date(2019, 1, 10),
        year=2019,
        object_type="ТУ",
        applicant_name="ООО «Ромашка»",
    )
    assert result.headers == {"Лист1": {"0": "reg_number", "1": "date_registered", "2": "applicant_contact"}}
    assert conflicts(result) == [
        (
            "column_by_content",
            "Лист1",
            "reg_number",
            "Номер",
            "столбец 1 «Номер»: по содержимому — reg_number (регистрационные номера заключений: 3 из 3 ячеек)",
        )
    ]


def test_a_page_starting_with_data_continues_the_previous_header_not_a_new_one() -> None:
    rows = [
        *raw(
            "page 1",
            [
                ["Номер", "Дата"],
                ["58-ТУ-00001-2019", "10.01.2019"],
                ["58-ТУ-00002-2019", "10.01.2019"],
                ["58-ТУ-00003-2019", "10.01.2019"],
            ],
        ),
        *raw("page 2", [["Заявление ООО «Ромашка»", "12.01.2019"], ["58-ТУ-00004-2019", "13.01.2019"]]),
    ]
    result = normalize_rows(rows, "x.pdf")
    assert_accounted(rows, result)
    assert [(r.table, r.kind) for r in result.rows] == [
        ("page 1", "header"),
        ("page 1", "data"),
        ("page 1", "data"),
        ("page 1", "data"),
        ("page 2", "reject"),
        ("page 2", "data"),
    ]


def test_columns_of_placeholders_only_give_no_values_and_no_warnings() -> None:
    rows = raw(
        "",
        [
            ["Рег. №", "Эксперт: удостоверение", "Лицензия", "Срок эксплуатации", "Замечания"],
            ["58-ТУ-00001-2019", "нет", "-", "нет", "—"],
            ["58-ТУ-00002-2019", "нет", "нет", "—", "нет"],
            ["58-ТУ-00003-2019", "-", "отсутствует", "не указан", "-"],
        ],
    )
    result = normalize_rows(rows, "x.xlsx")
    assert [r.values for r in result.rows[1:]] == [
        record(reg_number=f"58-ТУ-0000{n}-2019", year=2019, object_type="ТУ") for n in (1, 2, 3)
    ]
    assert problems_of(result.rows) == []
    assert result.headers == {
        "": {"0": "reg_number", "1": "expert_certificate", "2": "licence_number", "3": "operation_term"}
    }
    assert conflicts(result) == [
        ("unknown_column", "", None, "Замечания", "столбец 5 «Замечания», непустых ячеек: 3")
    ]


def test_a_conflict_on_a_header_repeated_on_every_page_is_reported_once() -> None:
    header = ["Номер лицензии", "Рег. №"]
    rows = [
        *raw(
            "page 1",
            [
                header,
                ["58-ТУ-00001-2019", "ДЭ-00-000001"],
                ["58-ТУ-00002-2019", "ДЭ-00-000001"],
                ["58-ТУ-00003-2019", "ДЭ-00-000002"],
            ],
        ),
        *raw("page 2", [header, ["58-ТУ-00004-2019", "ДЭ-00-000001"]]),
    ]
    result = normalize_rows(rows, "x.pdf")
    assert [r.values["reg_number"] for r in result.rows if r.kind == "data"] == [
        "58-ТУ-00001-2019",
        "58-ТУ-00002-2019",
        "58-ТУ-00003-2019",
        "58-ТУ-00004-2019",
    ]
    assert [(p.code, p.table, p.field) for p in result.problems] == [
        ("header_content_conflict", "page 1", "reg_number"),
        ("header_content_conflict", "page 1", "licence_number"),
    ]


def test_a_first_page_too_short_to_be_evidence_leaves_the_choice_to_the_next_page() -> None:
    header = ["Номер лицензии", "Рег. №"]
    rows = [
        *raw("page 1", [header, ["58-ТУ-00001-2019", "ДЭ-00-000001"]]),
        *raw(
            "page 2",
            [
                header,
                ["58-ТУ-00002-2019", "ДЭ-00-000001"],
                ["58-ТУ-00003-2019", "ДЭ-00-000002"],
                ["58-ТУ-00004-2019", "ДЭ-00-000001"],
            ],
        ),
    ]
    result = normalize_rows(rows, "x.pdf")
    assert_accounted(rows, result)
    assert [(r.table, r.kind, r.reason) for r in result.rows] == [
        ("page 1", "header", None),
        ("page 1", "reject", "reg_number_invalid"),
        ("page 2", "header", None),
        ("page 2", "data", None),
        ("page 2", "data", None),
        ("page 2", "data", None),
    ]
    assert result.headers == {
        "page 1": {"0": "licence_number", "1": "reg_number"},
        "page 2": {"0": "reg_number", "1": "licence_number"},
    }
    assert [(p.code, p.table, p.field) for p in result.problems] == [
        ("header_content_conflict", "page 2", "reg_number"),
        ("header_content_conflict", "page 2", "licence_number"),
    ]


def test_a_parent_written_over_the_first_column_of_its_group_heads_the_whole_group() -> None:
    """CSV keeps a merged parent in its first cell only: «Сведения о заказчике» | «» | «» over
    «наименование | ИНН | адрес» is the customer's name, ИНН and address, and the expert
    organization's ИНН after it is the expert organization's, never the customer's."""
    rows = raw(
        "",
        [
            [
                "Рег. № заключения",
                "Сведения о заказчике",
                "",
                "",
                "Экспертная организация",
                "",
                "Дата внесения",
                "",
            ],
            ["", "наименование", "ИНН", "адрес", "наименование", "ИНН", "", "Примечание"],
            [
                "02-ТУ-00011-2018",
                "АО «Литейщик»",
                "7707083893",
                "г. Уфа",
                "ООО «Надзор»",
                "5503221735",
                "10.01.2018",
                "",
            ],
            [
                "02-ТУ-00012-2018",
                "ООО «Теплосеть»",
                "7736050003",
                "г. Орск",
                "ООО «Надзор»",
                "5503221735",
                "11.01.2018",
                "x",
            ],
            [
                "02-ТУ-00013-2018",
                "ПАО «Котлы»",
                "7702070139",
                "г. Бийск",
                "ООО «Аудит»",
                "7728168971",
                "12.01.2018",
                "",
            ],
        ],
    )
    result = normalize_rows(rows, FILE)
    assert_accounted(rows, result)
    assert result.headers[""] == {
        "0": "reg_number",
        "1": "applicant_name",
        "2": "applicant_inn",
        "3": "applicant_address",
        "4": "expert_org_name",
        "5": "expert_org_inn",
        "6": "date_registered",
    }
    first = next(r.values for r in result.rows if r.kind == "data")
    assert (first["applicant_inn"], first["expert_org_inn"], first["applicant_address"]) == (
        "7707083893",
        "5503221735",
        "г. Уфа",
    )
    # «Дата внесения» has nothing below it: a column merged down, no parent of «Примечание»
    assert [(p.code, p.value) for p in result.problems] == [("unknown_column", "Примечание")]


def test_a_name_column_holding_whole_contact_cells_is_split_as_a_combined_cell() -> None:
    cells = [
        "ООО «Тепловик», 644000, г. Омск, ул. Лермонтова, д. 2, тел. (3812) 40-40-40",
        "АО «Сибмаш»; 630000, г. Новосибирск, пр. Мира, 10; e-mail: mail@sibmash.ru",
        "МУП «Водоканал», 634000, г. Томск, ул. Ленина, 1",
    ]
    rows = raw(
        "",
        [
            ["Рег. № заключения", "Наименование заказчика", "Наименование экспертной организации"],
            ["70-ТУ-00101-2019", cells[0], "ООО «Надзор»"],
            ["70-ТУ-00102-2019", cells[1], "ООО «Надзор»"],
            ["70-ТУ-00103-2019", cells[2], "ООО «Аудит»"],
        ],
    )
    result = normalize_rows(rows, FILE)
    assert result.headers[""] == {"0": "reg_number", "1": "applicant_contact", "2": "expert_org_name"}
    values = [r.values for r in result.rows if r.kind == "data"]
    assert [
        (v["applicant_name"], v["applicant_address"], v["applicant_phone"], v["applicant_email"])
        for v in values
    ] == [
        ("ООО «Тепловик»", "644000, г. Омск, ул. Лермонтова, д. 2", "(3812) 40-40-40", None),
        ("АО «Сибмаш»", "630000, г. Новосибирск, пр. Мира, 10", None, "mail@sibmash.ru"),
        ("МУП «Водоканал»", "634000, г. Томск, ул. Ленина, 1", None, None),
    ]
    assert [(p.code, p.field, p.value) for p in result.problems] == [
        ("header_content_conflict", "applicant_contact", "Наименование заказчика")
    ]


PAGE_HEADER = [
    "№",
    "Рег. номер заключения",
    "Дата внесения",
    "Объект экспертизы",
    "Заявитель",
    "ИНН заявителя",
]


def test_a_data_row_whose_words_map_a_field_or_two_is_no_header_of_a_later_page() -> None:
    """Page 2 opens with rejects: «б/н» beside an object described with «рег. №». With a date and
    an ИНН in it the row is data, whatever its words map; without values it maps too few of the
    page-1 header's fields to be that header again."""
    boiler = "Котел паровой ДЕ-10, рег. № 4410"
    rows = [
        *raw(
            "page 1",
            [
                PAGE_HEADER,
                ["1", "63-ТУ-00201-2020", "14.02.2020", "Кран мостовой", "ООО «Заря»", "7707083893"],
                ["2", "63-ТУ-00202-2020", "15.02.2020", "Кран козловой", "ООО «Заря»", "7707083893"],
            ],
        ),
        *raw(
            "page 2",
            [
                ["3", "б/н", "17.02.2020", boiler, "АО «Котлы»", "7736050003"],
                ["4", "б/н", "", boiler, "АО «Котлы»", ""],
                ["5", "63-ТУ-00205-2020", "18.02.2020", boiler, "АО «Котлы»", "7736050003"],
            ],
        ),
    ]
    result = normalize_rows(rows, "x.pdf")
    assert_accounted(rows, result)
    assert [(r.table, r.kind, r.reason) for r in result.rows] == [
        ("page 1", "header", None),
        ("page 1", "data", None),
        ("page 1", "data", None),
        ("page 2", "reject", "reg_number_invalid"),
        ("page 2", "reject", "reg_number_invalid"),
        ("page 2", "data", None),
    ]
    assert result.rows[-1].values["applicant_inn"] == "7736050003"
    assert result.problems == []


def test_a_page_repeating_the_header_reworded_still_starts_with_its_header() -> None:
    reworded = ["№", "Регистрационный № ЗЭПБ", "Дата регистрации", "Объект", "Заявитель", "ИНН"]
    rows = [
        *raw(
            "page 1",
            [PAGE_HEADER, ["1", "63-ТУ-00201-2020", "14.02.2020", "Кран", "ООО «Заря»", "7707083893"]],
        ),
        *raw(
            "page 2", [reworded, ["2", "63-ТУ-00202-2020", "15.02.2020", "Кран", "ООО «Заря»", "7707083893"]]
        ),
    ]
    result = normalize_rows(rows, "x.pdf")
    assert [(r.table, r.kind) for r in result.rows] == [
        ("page 1", "header"),
        ("page 1", "data"),
        ("page 2", "header"),
        ("page 2", "data"),
    ]


def test_a_block_holding_dates_or_inns_is_never_a_header() -> None:
    data = ["б/н", "17.02.2020", "Котел паровой ДЕ-10, рег. № 4410", "АО «Котлы»", "7736050003"]
    assert find_header(raw("page 7", [data, data])) is None
    words_only = ["б/н", "", "Котел паровой ДЕ-10, рег. № 4410", "АО «Котлы»", ""]
    header = find_header(raw("page 7", [words_only]))
    assert header is not None and header.columns[2] == "reg_number"  # its words alone map the number
