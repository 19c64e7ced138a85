"""The record contract: one list of canonical fields used by the store, the exports and the schema.

Keeping it in one place means the DuckDB table, the CSV/Parquet columns, the XML elements and the
demo corpus truth cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    sql_type: str
    title_ru: str
    source: bool = True  # parsed from the office file (False: derived or added by a later stage)
    compared: bool = True  # compared between republications of one number (duplicates.differs)


#: The parts of a party's details every office may publish, in the order of the record.
PARTY_PARTS: tuple[tuple[str, str], ...] = (
    ("name", "наименование"),
    ("inn", "ИНН"),
    ("address", "адрес"),
    ("head", "руководитель"),
    ("phone", "телефон"),
    ("fax", "факс"),
    ("email", "электронная почта"),
)


def _party_fields(party: str, genitive: str, title: str) -> tuple[Field, ...]:
    """The id of a party (added by resolution) and the parts of its details, as one block."""
    return (
        Field(f"{party}_id", "VARCHAR", f"Идентификатор {genitive}", source=False),
        *(Field(f"{party}_{part}", "VARCHAR", f"{title}: {word}") for part, word in PARTY_PARTS),
    )


RECORD_FIELDS: tuple[Field, ...] = (
    Field("reg_number", "VARCHAR", "Регистрационный номер заключения"),
    Field(
        "reg_number_published",
        "VARCHAR",
        "Регистрационный номер в написании источника (если отличается от канонического)",
        compared=False,
    ),
    Field("office_code", "VARCHAR", "Территориальный орган (код)", source=False),
    Field("district", "VARCHAR", "Федеральный округ", source=False),
    Field("year", "SMALLINT", "Год внесения в реестр", source=False),
    Field("date_registered", "DATE", "Дата внесения в реестр"),
    Field("object_type", "VARCHAR", "Объект экспертизы (код)"),
    Field("object_name", "VARCHAR", "Наименование объекта экспертизы"),
    Field("region", "VARCHAR", "Субъект Российской Федерации"),
    Field("opo_reg_number", "VARCHAR", "Регистрационный номер ОПО"),
    Field("opo_name", "VARCHAR", "Наименование ОПО"),
    Field("hazard_class", "VARCHAR", "Класс опасности ОПО (I–IV)"),
    Field("conclusion_result", "VARCHAR", "Вывод заключения"),
    Field("operation_term", "VARCHAR", "Срок дальнейшей безопасной эксплуатации"),
    *_party_fields("applicant", "заявителя", "Заявитель"),
    *_party_fields("expert_org", "экспертной организации", "Экспертная организация"),
    Field("licence_number", "VARCHAR", "Номер лицензии экспертной организации"),
    Field("expert_certificate", "VARCHAR", "Номер квалификационного удостоверения эксперта"),
    Field("excluded_date", "DATE", "Дата исключения из реестра"),
    Field("exclusion_reason", "VARCHAR", "Основание исключения из реестра"),
    Field("source_file", "VARCHAR", "Файл-источник (путь в зеркале)", source=False),
    Field("source_table", "VARCHAR", "Лист или таблица в файле-источнике", source=False),
    Field("source_row", "INTEGER", "Строка в файле-источнике", source=False),
)

FIELD_NAMES: tuple[str, ...] = tuple(f.name for f in RECORD_FIELDS)
FIELDS_BY_NAME: dict[str, Field] = {f.name: f for f in RECORD_FIELDS}

#: Fields a normalizer fills from the office's cells (the rest are derived or added later).
SOURCE_FIELDS: tuple[str, ...] = tuple(f.name for f in RECORD_FIELDS if f.source)

#: Source fields whose difference between two publications of one number is a conflict.
COMPARED_FIELDS: tuple[str, ...] = tuple(
    f.name for f in RECORD_FIELDS if f.source and f.compared and f.name != "reg_number"
)

#: Pseudo-fields: a header maps to one of these when one cell crams several parts together;
#: normalization splits them into the ``<party>_*`` fields.
COMBINED_FIELDS: dict[str, str] = {
    "applicant_contact": "applicant",
    "expert_org_contact": "expert_org",
    "expert_org_licence_contact": "expert_org",
}
