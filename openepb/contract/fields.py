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
    Field("applicant_id", "VARCHAR", "Идентификатор заявителя", source=False),
    Field("applicant_name", "VARCHAR", "Заявитель: наименование"),
    Field("applicant_inn", "VARCHAR", "Заявитель: ИНН"),
    Field("applicant_address", "VARCHAR", "Заявитель: адрес"),
    Field("applicant_head", "VARCHAR", "Заявитель: руководитель"),
    Field("applicant_phone", "VARCHAR", "Заявитель: телефон"),
    Field("applicant_fax", "VARCHAR", "Заявитель: факс"),
    Field("applicant_email", "VARCHAR", "Заявитель: электронная почта"),
    Field("expert_org_id", "VARCHAR", "Идентификатор экспертной организации", source=False),
    Field("expert_org_name", "VARCHAR", "Экспертная организация: наименование"),
    Field("expert_org_inn", "VARCHAR", "Экспертная организация: ИНН"),
    Field("expert_org_address", "VARCHAR", "Экспертная организация: адрес"),
    Field("expert_org_head", "VARCHAR", "Экспертная организация: руководитель"),
    Field("expert_org_phone", "VARCHAR", "Экспертная организация: телефон"),
    Field("expert_org_fax", "VARCHAR", "Экспертная организация: факс"),
    Field("expert_org_email", "VARCHAR", "Экспертная организация: электронная почта"),
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
