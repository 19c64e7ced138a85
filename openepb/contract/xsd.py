"""The unified XML schema (XSD 1.0) of the register, generated from the record contract and code lists.

The XSD, the exports and the validator all read the types defined here, so a pattern or a code
list has one truth: object types come from ``schema/object_types.csv``, offices and districts from
``sources/``. ``python -m openepb.contract.xsd`` rewrites ``schema/epb-register.xsd``; a test checks that
the committed file equals a fresh generation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from lxml import etree

from openepb.contract import formats
from openepb.contract.fields import RECORD_FIELDS
from openepb.contract.sources import SCHEMA_DIR, load_sources

#: The version of the schema; documents of every version listed in ACCEPTED_VERSIONS validate.
SCHEMA_VERSION = formats.schema_version()
#: Each accepted version with what it brought (documented in the XSD; docs/schema-changelog.md).
VERSION_NOTES: dict[str, str] = {
    "1.0": "Первая версия схемы.",
    "1.1": (
        "Шестизначные порядковые номера, открытый справочник кодов объектов, субъект РФ, сведения "
        "об ОПО, вывод заключения, срок эксплуатации и ИНН экспертной организации."
    ),
}
ACCEPTED_VERSIONS = tuple(VERSION_NOTES)
#: The namespace names the 1.x family: 1.1 only added optional elements and widened patterns, so
#: every 1.0 document stays valid (docs/schema-changelog.md).
NAMESPACE = "urn:openepb:epb-register:1.0"
XSD_PATH = SCHEMA_DIR / "epb-register.xsd"
XS = "http://www.w3.org/2001/XMLSchema"

ROOT_ELEMENT = "register"
RECORD_ELEMENT = "record"

#: Record fields every record must carry; the rest may be absent when unknown.
REQUIRED_FIELDS: frozenset[str] = frozenset({"reg_number", "office_code"})


@dataclass(frozen=True, slots=True)
class SimpleType:
    """A named simple type: base, optional pattern or enumeration, and a reason shown when a value fails.

    ``strict`` False: the enumeration documents the reviewed code list, but a value outside it is
    valid (a warning in the validators), so the list can grow from data.
    """

    name: str
    base: str
    doc: str
    reason: str
    pattern: str | None = None
    enumeration: tuple[tuple[str, str], ...] = field(default_factory=tuple)
    min_length: int | None = None
    strict: bool = True
    checksum: str | None = None
    checksum_reason: str | None = None


def _format_types() -> list[SimpleType]:
    return [
        SimpleType(
            spec.name,
            "xs:string",  # every value format is text; hazard classes too (I–IV)
            spec.doc,
            spec.reason,
            pattern=spec.pattern,
            enumeration=tuple((c.value, c.title) for c in spec.codes),
            strict=spec.strict,
            checksum=spec.checksum,
            checksum_reason=spec.checksum_reason,
        )
        for spec in formats.formats().values()
    ]


@cache
def simple_types() -> dict[str, SimpleType]:
    """Every named simple type of the schema: value formats from schema/formats.yaml, offices and
    districts from sources/."""
    sources = load_sources()
    types = [
        *_format_types(),
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
    "region": "Region",
    "opo_reg_number": "OpoRegNumber",
    "hazard_class": "HazardClass",
    "conclusion_result": "ConclusionResult",
    "applicant_inn": "Inn",
    "expert_org_inn": "Inn",
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
    """Allowed values of the fields whose code list is strict (a schema error outside it)."""
    return {
        name: frozenset(code for code, _ in field_type(name).enumeration)
        for name in FIELD_TYPE_OVERRIDES
        if field_type(name).enumeration and field_type(name).strict
    }


@cache
def listed_codes() -> dict[str, frozenset[str]]:
    """The reviewed codes of the fields whose list is not strict (a warning outside it)."""
    return {
        name: frozenset(code for code, _ in field_type(name).enumeration)
        for name in FIELD_TYPE_OVERRIDES
        if field_type(name).enumeration and not field_type(name).strict
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
    doc = spec.doc
    if spec.enumeration and not spec.strict:
        listed = "; ".join(f"{value} — {title}" for value, title in spec.enumeration)
        doc = f"{doc} Справочник: {listed}."
    _document(node, doc)
    restriction = _xs(node, "restriction", base=spec.base)
    if spec.min_length is not None:
        _xs(restriction, "minLength", value=str(spec.min_length))
    if spec.pattern:
        _xs(restriction, "pattern", value=spec.pattern)
    if spec.strict:
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
    version = _xs(complex_type, "attribute", name="version", type="epb:SchemaVersion", use="required")
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
    versions = _xs(schema, "simpleType", name="SchemaVersion")
    _document(versions, "Версии схемы, документы которых проходят проверку.")
    restriction = _xs(versions, "restriction", base="xs:string")
    for version in ACCEPTED_VERSIONS:
        _document(_xs(restriction, "enumeration", value=version), VERSION_NOTES[version])
    for spec in simple_types().values():
        _simple_type(schema, spec)
    return etree.tostring(schema, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def write_xsd(path: Path = XSD_PATH) -> Path:
    path.write_bytes(build_xsd())
    return path


#: The schema's identity constraints: libxml2 checks them by keeping every key of the document.
IDENTITY_CONSTRAINTS = ("unique", "key", "keyref")


@cache
def load_schema(path: Path = XSD_PATH, *, identity_constraints: bool = True) -> etree.XMLSchema:
    """The compiled schema, parsed without network or DTD access.

    ``identity_constraints=False`` drops ``xs:unique`` (the one unique registration number): libxml2
    holds every key of a document to check it, about 360 bytes a record, so ten million records need
    gigabytes. Whoever streams a document that large checks the uniqueness on disk instead."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    document = etree.parse(str(path), parser)
    if not identity_constraints:
        for name in IDENTITY_CONSTRAINTS:
            for element in list(document.iter(f"{{{XS}}}{name}")):
                element.getparent().remove(element)
    return etree.XMLSchema(document)


if __name__ == "__main__":
    print(write_xsd())
