"""The unified XML schema (XSD 1.0) of the register, generated from the record contract and code lists.

The XSD, the exports and the validator all read the types defined here, so a pattern or a code
list has one truth: object types come from ``schema/object_types.csv``, offices and districts from
``sources/``. ``python -m openepb.schema`` rewrites ``schema/epb-register.xsd``; a test checks that
the committed file equals a fresh generation.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from lxml import etree

from openepb.config import SCHEMA_DIR, load_sources
from openepb.contract import RECORD_FIELDS

SCHEMA_VERSION = "1.0"
NAMESPACE = f"urn:openepb:epb-register:{SCHEMA_VERSION}"
XSD_PATH = SCHEMA_DIR / "epb-register.xsd"
XS = "http://www.w3.org/2001/XMLSchema"

ROOT_ELEMENT = "register"
RECORD_ELEMENT = "record"

#: Record fields every record must carry; the rest may be absent when unknown.
REQUIRED_FIELDS: frozenset[str] = frozenset({"reg_number", "office_code"})

CYRILLIC_UPPER = "А-ЯЁ"
CERTIFICATE = rf"[{CYRILLIC_UPPER}]{{2}}\.[0-9]{{2}}\.[0-9]{{5}}\.[0-9]{{3}}"


@dataclass(frozen=True, slots=True)
class SimpleType:
    """A named simple type: base, optional pattern or enumeration, and a reason shown when a value fails."""

    name: str
    base: str
    doc: str
    reason: str
    pattern: str | None = None
    enumeration: tuple[tuple[str, str], ...] = field(default_factory=tuple)
    min_length: int | None = None


def _object_types() -> list[tuple[str, str]]:
    with (SCHEMA_DIR / "object_types.csv").open(encoding="utf-8", newline="") as handle:
        return [(row["code"], row["name"]) for row in csv.DictReader(handle)]


@cache
def simple_types() -> dict[str, SimpleType]:
    """Every named simple type of the schema, code lists read from the data files."""
    sources = load_sources()
    object_types = _object_types()
    type_codes = "|".join(code for code, _ in object_types)
    types = [
        SimpleType(
            "RegNumber",
            "xs:string",
            "Регистрационный номер заключения: NN-XX-NNNNN-YYYY, буквы кириллицей, XX — код объекта экспертизы.",
            "номер не соответствует формату NN-XX-NNNNN-YYYY (две цифры, код объекта кириллицей "
            f"из справочника: {', '.join(c for c, _ in object_types)}, пять цифр, год)",
            pattern=rf"[0-9]{{2}}-({type_codes})-[0-9]{{5}}-[0-9]{{4}}",
        ),
        SimpleType(
            "LicenceNumber",
            "xs:string",
            "Номер лицензии на проведение экспертизы промышленной безопасности: ДЭ-00-NNNNNN.",
            "номер лицензии не соответствует формату ДЭ-00-NNNNNN (буквы кириллицей, шесть цифр)",
            pattern=r"ДЭ-00-[0-9]{6}",
        ),
        SimpleType(
            "CertificateList",
            "xs:string",
            "Номера квалификационных удостоверений экспертов XX.NN.NNNNN.NNN через «; ».",
            "номер удостоверения эксперта не соответствует формату XX.NN.NNNNN.NNN "
            "(несколько номеров — через «; »)",
            pattern=rf"{CERTIFICATE}(; {CERTIFICATE})*",
        ),
        SimpleType(
            "Inn",
            "xs:string",
            "ИНН: 10 цифр (организация) или 12 цифр (индивидуальный предприниматель).",
            "ИНН должен состоять из 10 или 12 цифр",
            pattern=r"[0-9]{10}|[0-9]{12}",
        ),
        SimpleType(
            "ObjectTypeCode",
            "xs:string",
            "Код объекта экспертизы (справочник schema/object_types.csv).",
            f"код объекта экспертизы не из справочника ({', '.join(c for c, _ in object_types)})",
            enumeration=tuple(object_types),
        ),
        SimpleType(
            "OfficeCode",
            "xs:string",
            "Код территориального органа Ростехнадзора (справочник sources/offices.yaml).",
            f"код территориального органа не из справочника ({', '.join(o.code for o in sources.offices)})",
            enumeration=tuple((o.code, o.name) for o in sources.offices),
        ),
        SimpleType(
            "DistrictCode",
            "xs:string",
            "Код федерального округа (справочник sources/districts.yaml).",
            f"код федерального округа не из справочника ({', '.join(d.code for d in sources.districts)})",
            enumeration=tuple((d.code, d.name) for d in sources.districts),
        ),
        SimpleType(
            "Text",
            "xs:string",
            "Непустой текст.",
            "пустое значение: уберите элемент или заполните его",
            min_length=1,
        ),
        SimpleType(
            "Date", "xs:date", "Дата ГГГГ-ММ-ДД.", "не дата в формате ГГГГ-ММ-ДД (например 2018-12-01)"
        ),
        SimpleType("Year", "xs:gYear", "Год, четыре цифры.", "не год из четырёх цифр"),
        SimpleType(
            "RowNumber",
            "xs:nonNegativeInteger",
            "Номер строки, целое неотрицательное число.",
            "не целое неотрицательное число",
        ),
    ]
    return {t.name: t for t in types}


#: Field → simple type where the SQL type alone does not say it.
FIELD_TYPE_OVERRIDES: dict[str, str] = {
    "reg_number": "RegNumber",
    "office_code": "OfficeCode",
    "district": "DistrictCode",
    "object_type": "ObjectTypeCode",
    "applicant_inn": "Inn",
    "licence_number": "LicenceNumber",
    "expert_certificate": "CertificateList",
}
SQL_TYPE_TO_SIMPLE: dict[str, str] = {
    "VARCHAR": "Text",
    "DATE": "Date",
    "SMALLINT": "Year",
    "INTEGER": "RowNumber",
}


def field_type(name: str) -> SimpleType:
    """The simple type of a record field's element."""
    sql_type = next(f.sql_type for f in RECORD_FIELDS if f.name == name)
    return simple_types()[FIELD_TYPE_OVERRIDES.get(name) or SQL_TYPE_TO_SIMPLE[sql_type]]


@cache
def field_patterns() -> dict[str, re.Pattern[str]]:
    """Compiled patterns of the patterned fields (XSD patterns are anchored: use ``fullmatch``)."""
    return {
        name: re.compile(field_type(name).pattern or "")
        for name in FIELD_TYPE_OVERRIDES
        if field_type(name).pattern
    }


@cache
def field_codes() -> dict[str, frozenset[str]]:
    """Allowed values of the code-list fields."""
    return {
        name: frozenset(code for code, _ in field_type(name).enumeration)
        for name in FIELD_TYPE_OVERRIDES
        if field_type(name).enumeration
    }


def value_fits(name: str, value: str) -> bool:
    """Whether a value of a field is acceptable to the schema's simple type (pattern and code list)."""
    pattern = field_patterns().get(name)
    if pattern is not None and not pattern.fullmatch(value):
        return False
    codes = field_codes().get(name)
    return codes is None or value in codes


HEADER_ELEMENTS: tuple[tuple[str, str, str, int], ...] = (
    # name, type, documentation, minOccurs
    (
        "office",
        "OfficeCode",
        "Территориальный орган, чьи записи содержит документ (если документ одного органа).",
        0,
    ),
    (
        "period_from",
        "Date",
        "Начало периода: самая ранняя дата внесения в реестр среди записей документа.",
        0,
    ),
    ("period_to", "Date", "Конец периода: самая поздняя дата внесения в реестр среди записей документа.", 0),
    ("generated_at", "xs:dateTime", "Дата и время формирования документа.", 1),
)


def _xs(parent: etree._Element, tag: str, **attrs: str) -> etree._Element:
    return etree.SubElement(parent, f"{{{XS}}}{tag}", attrs)


def _document(parent: etree._Element, text: str) -> None:
    annotation = _xs(parent, "annotation")
    doc = _xs(annotation, "documentation")
    doc.set("{http://www.w3.org/XML/1998/namespace}lang", "ru")
    doc.text = text


def _simple_type(schema: etree._Element, spec: SimpleType) -> None:
    node = _xs(schema, "simpleType", name=spec.name)
    _document(node, spec.doc)
    restriction = _xs(node, "restriction", base=spec.base)
    if spec.min_length is not None:
        _xs(restriction, "minLength", value=str(spec.min_length))
    if spec.pattern:
        _xs(restriction, "pattern", value=spec.pattern)
    for value, doc in spec.enumeration:
        _document(_xs(restriction, "enumeration", value=value), doc)


def _type_ref(name: str) -> str:
    return name if name.startswith("xs:") else f"epb:{name}"


def _record_type(schema: etree._Element) -> None:
    node = _xs(schema, "complexType", name="Record")
    _document(node, "Сведения об одном заключении экспертизы промышленной безопасности.")
    sequence = _xs(node, "sequence")
    for spec in RECORD_FIELDS:
        attrs = {"name": spec.name, "type": _type_ref(field_type(spec.name).name)}
        if spec.name not in REQUIRED_FIELDS:
            attrs["minOccurs"] = "0"
        _document(_xs(sequence, "element", **attrs), spec.title_ru)


def _root_element(schema: etree._Element) -> None:
    root = _xs(schema, "element", name=ROOT_ELEMENT)
    _document(
        root,
        "Документ реестра заключений экспертизы промышленной безопасности (ЭПБ): "
        "заголовок документа и записи в порядке внесения.",
    )
    complex_type = _xs(root, "complexType")
    sequence = _xs(complex_type, "sequence")
    for name, type_name, doc, min_occurs in HEADER_ELEMENTS:
        attrs = {"name": name, "type": _type_ref(type_name)}
        if not min_occurs:
            attrs["minOccurs"] = "0"
        _document(_xs(sequence, "element", **attrs), doc)
    record = _xs(
        sequence, "element", name=RECORD_ELEMENT, type="epb:Record", minOccurs="0", maxOccurs="unbounded"
    )
    _document(record, "Запись реестра: одно заключение ЭПБ.")
    version = _xs(complex_type, "attribute", name="version", type="xs:string", use="required")
    version.set("fixed", SCHEMA_VERSION)
    _document(version, "Версия схемы, по которой составлен документ.")
    unique = _xs(root, "unique", name="UniqueRegNumber")
    _document(unique, "Регистрационный номер встречается в документе не более одного раза.")
    _xs(unique, "selector", xpath=f"epb:{RECORD_ELEMENT}")
    _xs(unique, "field", xpath="epb:reg_number")


def build_xsd() -> bytes:
    """The XSD document, deterministic for the same contract and code lists."""
    schema = etree.Element(
        f"{{{XS}}}schema",
        {
            "targetNamespace": NAMESPACE,
            "elementFormDefault": "qualified",
            "attributeFormDefault": "unqualified",
            "version": SCHEMA_VERSION,
        },
        nsmap={"xs": XS, "epb": NAMESPACE},
    )
    _document(
        schema,
        "Единая схема реестра заключений экспертизы промышленной безопасности, версия "
        f"{SCHEMA_VERSION}. Сформирована автоматически из контракта записи и справочников проекта; "
        "не редактируйте вручную.",
    )
    _root_element(schema)
    _record_type(schema)
    for spec in simple_types().values():
        _simple_type(schema, spec)
    return etree.tostring(schema, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def write_xsd(path: Path = XSD_PATH) -> Path:
    path.write_bytes(build_xsd())
    return path


@cache
def load_schema(path: Path = XSD_PATH) -> etree.XMLSchema:
    """The compiled schema, parsed without network or DTD access."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    return etree.XMLSchema(etree.parse(str(path), parser))


if __name__ == "__main__":
    print(write_xsd())
