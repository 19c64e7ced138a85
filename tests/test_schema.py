"""The XSD and the template are generated, and the committed files equal a fresh generation."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from lxml import etree
from openpyxl.utils import get_column_letter

from openepb.contract import formats
from openepb.contract.fields import FIELD_NAMES, FIELDS_BY_NAME
from openepb.contract.sources import load_sources
from openepb.contract.xsd import XSD_PATH, build_xsd, field_codes, listed_codes, value_fits
from openepb.validate.template import DATA_SHEET, TEMPLATE_FIELDS, TEMPLATE_PATH, build_template, header_title

XS = "{http://www.w3.org/2001/XMLSchema}"
EXAMPLES = Path(__file__).resolve().parent.parent / "schema" / "examples"
#: Fields added in schema 1.1 (all optional, so a 1.0 document stays valid).
TODAYS_FIELDS = (
    "reg_number_published",
    "region",
    "opo_reg_number",
    "opo_name",
    "hazard_class",
    "conclusion_result",
    "operation_term",
    "expert_org_inn",
)


def test_committed_xsd_equals_fresh_generation() -> None:
    assert XSD_PATH.read_bytes() == build_xsd()


def test_committed_xsd_declares_every_value_format() -> None:
    """Each format of schema/formats.yaml is a named type of the committed XSD with its pattern and,
    for a strict list only, its enumeration; today's fields are elements of that type."""
    tree = etree.parse(str(XSD_PATH)).getroot()
    types = {t.get("name"): t for t in tree.findall(f"{XS}simpleType")}
    for name, spec in formats.formats().items():
        node = types[name]
        assert [p.get("value") for p in node.iter(f"{XS}pattern")] == ([spec.pattern] if spec.pattern else [])
        listed = [e.get("value") for e in node.iter(f"{XS}enumeration")]
        assert listed == ([c.value for c in spec.codes] if spec.strict else []), name
    assert tree.get("version") == formats.schema_version() == "1.1"
    versions = [e.get("value") for e in types["SchemaVersion"].iter(f"{XS}enumeration")]
    assert versions == ["1.0", "1.1"]  # the current version is accepted, and every earlier 1.x
    record = tree.find(f"{XS}complexType[@name='Record']/{XS}sequence")
    element_types = {e.get("name"): e.get("type") for e in record.findall(f"{XS}element")}
    assert {name: element_types[name] for name in TODAYS_FIELDS} == {
        "reg_number_published": "epb:Text",
        "region": "epb:Region",
        "opo_reg_number": "epb:OpoRegNumber",
        "opo_name": "epb:Text",
        "hazard_class": "epb:HazardClass",
        "conclusion_result": "epb:ConclusionResult",
        "operation_term": "epb:Text",
        "expert_org_inn": "epb:Inn",
    }
    assert all(
        e.get("minOccurs") == "0" for e in record.findall(f"{XS}element") if e.get("name") in TODAYS_FIELDS
    )


def test_committed_template_equals_fresh_generation() -> None:
    assert TEMPLATE_PATH.read_bytes() == build_template()


def test_template_has_a_column_for_every_source_field_with_its_contract_title() -> None:
    from openpyxl import load_workbook

    workbook = load_workbook(TEMPLATE_PATH)
    sheet = workbook[DATA_SHEET]
    titles = [cell.value for cell in sheet[1] if cell.value]
    assert titles == [header_title(name) for name in TEMPLATE_FIELDS]
    for name in TODAYS_FIELDS:
        assert FIELDS_BY_NAME[name].title_ru in titles, name
    columns = {name: get_column_letter(i) for i, name in enumerate(TEMPLATE_FIELDS, start=1)}
    for name in ("expert_org_inn", "hazard_class", "opo_reg_number"):  # text cells: no number mangling
        assert sheet[f"{columns[name]}2"].number_format == "@", name
    styles = {str(v.sqref).split(":")[0]: v.errorStyle for v in sheet.data_validations.dataValidation}
    assert styles == {
        f"{columns['object_type']}2": "warning",  # an open list: another code is allowed
        f"{columns['office_code']}2": "stop",
        f"{columns['region']}2": "stop",
        f"{columns['conclusion_result']}2": "stop",
    }
    lists = workbook["Справочники"]
    header = {cell.value: cell.column_letter for cell in lists[1] if cell.value}
    regions = [cell.value for cell in lists[header[FIELDS_BY_NAME["region"].title_ru]]][1:]
    assert set(regions) == field_codes()["region"] and len(regions) == 89
    verdicts = [cell.value for cell in lists[header[FIELDS_BY_NAME["conclusion_result"].title_ru]]][1:]
    assert [v for v in verdicts if v] == ["соответствует", "не соответствует", "не в полной мере"]


def test_record_type_lists_every_contract_field_in_order() -> None:
    tree = etree.fromstring(build_xsd())
    record = tree.find(f"{XS}complexType[@name='Record']")
    names = [el.get("name") for el in record.iter(f"{XS}element")]
    assert tuple(names) == FIELD_NAMES


def test_every_element_has_russian_documentation() -> None:
    tree = etree.fromstring(build_xsd())
    for element in tree.iter(f"{XS}element"):
        doc = element.find(f"{XS}annotation/{XS}documentation")
        assert doc is not None and doc.text, element.get("name")
        assert any("а" <= ch <= "я" for ch in doc.text.lower()), element.get("name")


def test_code_lists_come_from_the_data_files() -> None:
    sources = load_sources()
    assert field_codes()["office_code"] == {o.code for o in sources.offices}
    assert field_codes()["district"] == {d.code for d in sources.districts}
    # The object-type list is reviewed but open: a code outside it is valid (a warning), so it is
    # not a strict code list of the schema.
    assert "object_type" not in field_codes()
    assert listed_codes()["object_type"] == {"ТУ", "ЗС", "ТП", "ДК", "ДЛ", "ОБ", "ДП", "ИД"}
    assert field_codes()["conclusion_result"] == {"соответствует", "не соответствует", "не в полной мере"}
    assert len(field_codes()["region"]) == 89


@pytest.mark.parametrize(
    ("field", "value", "fits"),
    [
        ("reg_number", "58-ТУ-01234-2017", True),
        ("reg_number", "58-TY-01234-2017", False),  # Latin letters
        ("reg_number", "58-ПД-01234-2017", True),  # an unlisted object code: kept, warned about
        ("reg_number", "58-ТУ-1234-2017", False),
        ("reg_number", "48-ТУ-845161-2026", True),  # six-digit serial (2022 on)
        ("reg_number", "2-ТУ-600791-2025", False),  # the canonical form pads the first group
        ("reg_number", "02-ТУ-600791-2025", True),
        ("opo_reg_number", "А54-27998-0013", True),
        ("opo_reg_number", "A54-27998-0013", False),  # Latin A
        ("hazard_class", "III", True),
        ("hazard_class", "3", False),
        ("conclusion_result", "не соответствует", True),
        ("conclusion_result", "плохо", False),
        ("region", "Новосибирская область", True),
        ("region", "Новосибирская обл.", False),
        ("licence_number", "ДЭ-00-017384", True),
        ("licence_number", "DE-00-017384", False),
        ("expert_certificate", "АЭ.16.01234.003; АЭ.17.04321.001", True),
        ("expert_certificate", "АЭ.16.01234.003,АЭ.17.04321.001", False),
        ("applicant_inn", "770123456789", True),
        ("applicant_inn", "77012345678", False),
        ("office_code", "mos", True),
        ("office_code", "moscow", False),
    ],
)
def test_value_fits_follows_the_schema_types(field: str, value: str, fits: bool) -> None:
    assert value_fits(field, value) is fits


@pytest.mark.skipif(shutil.which("xmllint") is None, reason="xmllint not installed")
def test_xmllint_agrees_on_the_examples() -> None:
    def lint(name: str) -> int:
        command = ["xmllint", "--noout", "--nonet", "--schema", str(XSD_PATH), str(EXAMPLES / name)]
        return subprocess.run(command, capture_output=True).returncode

    assert lint("valid.xml") == 0
    assert lint("valid-new-fields.xml") == 0  # a 1.1 document with every new field
    assert lint("valid-warning-unlisted-code.xml") == 0  # the open object-type list
    assert lint("invalid-hazard-verdict.xml") != 0
    assert lint("invalid-inn-checksum.xml") == 0  # control digits are beyond the XSD
    assert lint("invalid-reg-number.xml") != 0
    assert lint("invalid-duplicate.xml") != 0  # xs:unique on the registration number
    assert lint("invalid-missing-office.xml") != 0
