"""Exports from a small store: every file written, XML valid, CSV inert, Parquet typed, package valid."""

from __future__ import annotations

import csv
import hashlib
import io
import shutil
import subprocess
from datetime import date
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest
from lxml import etree

from openepb.build.store import StoreWriter
from openepb.contract.fields import FIELD_NAMES
from openepb.contract.xsd import XSD_PATH, load_schema
from openepb.publish.export import ExportError, _validate_xml, export_all
from openepb.validate.check import validate_file

GENERATED = "2026-11-25T12:00:00Z"
BASE = {
    "district": "CFD",
    "object_type": "ТУ",
    "object_name": "Котёл паровой ДКВР-10/13",
    "applicant_name": "ООО «Ромашка»",
    "applicant_inn": "7701234560",  # right control digits: the validator checks them
    "expert_org_name": "ООО «Эксперт»",
    "licence_number": "ДЭ-00-017384",
    "expert_certificate": "АЭ.16.01234.003",
    "source_file": "mos/2018.xlsx",
    "source_table": "Лист1",
}
RECORDS = [
    {**BASE, "reg_number": "01-ТУ-00002-2018", "office_code": "mos", "year": 2018,
     "date_registered": date(2018, 12, 2), "source_row": 6,
     "applicant_name": '=HYPERLINK("http://evil.example","нажми")', "expert_certificate": "нет данных"},
    {**BASE, "reg_number": "01-ТУ-00001-2018", "office_code": "mos", "year": 2018,
     "date_registered": date(2018, 12, 1), "source_row": 5, "applicant_phone": "+7 495 123-45-67"},
    {**BASE, "reg_number": "02-ЗС-00003-2017", "office_code": "cntr", "object_type": "ЗС", "year": 2017,
     "source_row": 7, "object_name": "Здание\x0bкотельной", "applicant_head": "@директор"},
]  # fmt: skip
REJECT = {
    "source_file": "mos/2018.xlsx",
    "source_table": "Лист1",
    "source_row": 9,
    "reason": "reg_number_invalid",
    "message": "номер не по формату",
    "cells": '["-1+1", "x"]',
}


def _store(path: Path, organizations: bool = False) -> Path:
    writer = StoreWriter(path)
    writer.add_many("records", RECORDS)
    writer.add("rejects", REJECT)
    if organizations:
        writer.con.execute("CREATE TABLE organizations (id VARCHAR, role VARCHAR, display_name VARCHAR)")
        writer.con.execute("INSERT INTO organizations VALUES ('org-1', 'expert_org', '+ООО «Эксперт»')")
    writer.close()
    return path


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("export")
    out = root / "exports"
    report = export_all(
        _store(root / "db.duckdb", organizations=True), out, quiet=True, generated_at=GENERATED
    )
    assert report.records == 3
    assert report.misfits.values == {"expert_certificate": 1}
    assert report.misfits.records_skipped == 0
    return out


def test_every_file_is_written_and_no_temporary_is_left(exported: Path) -> None:
    names = sorted(str(p.relative_to(exported)) for p in exported.rglob("*") if p.is_file())
    assert names == [
        "SHA256SUMS",
        "datapackage.json",
        "meta.csv",
        "offices/cntr.xml",
        "offices/mos.xml",
        "organizations.csv",
        "records.csv",
        "records.parquet",
        "records.xml",
        "rejects.csv",
        "structure-20261125.csv",
    ]


def test_xml_validates_with_lxml_validator_and_xmllint(exported: Path) -> None:
    for name in ("records.xml", "offices/mos.xml", "offices/cntr.xml"):
        report = validate_file(exported / name)
        assert (report.status, report.issues) == ("valid", []), name
    assert validate_file(exported / "records.xml").records == 3
    if shutil.which("xmllint"):
        files = [str(exported / n) for n in ("records.xml", "offices/mos.xml", "offices/cntr.xml")]
        done = subprocess.run(["xmllint", "--noout", "--nonet", "--schema", str(XSD_PATH), *files])
        assert done.returncode == 0


def test_xml_is_grouped_by_office_and_drops_illegal_characters(exported: Path) -> None:
    text = (exported / "records.xml").read_text(encoding="utf-8")
    numbers = [part.split("<")[0] for part in text.split("<reg_number>")[1:]]
    assert numbers == ["02-ЗС-00003-2017", "01-ТУ-00002-2018", "01-ТУ-00001-2018"]  # office, then store order
    assert "<object_name>Зданиекотельной</object_name>" in text
    assert "<period_from>2018-12-01</period_from><period_to>2018-12-02</period_to>" in text
    office = (exported / "offices/mos.xml").read_text(encoding="utf-8")
    assert "<office>mos</office>" in office and "02-ЗС-00003-2017" not in office


def _csv_rows(path: Path) -> list[dict[str, str]]:
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline="")))


def test_csv_has_bom_and_formula_cells_are_inert(exported: Path) -> None:
    rows = _csv_rows(exported / "records.csv")
    assert list(rows[0]) == list(FIELD_NAMES)
    by_number = {r["reg_number"]: r for r in rows}
    assert by_number["01-ТУ-00002-2018"]["applicant_name"] == '\'=HYPERLINK("http://evil.example","нажми")'
    assert by_number["02-ЗС-00003-2017"]["applicant_head"] == "'@директор"
    assert by_number["01-ТУ-00001-2018"]["applicant_phone"] == "'+7 495 123-45-67"
    assert by_number["01-ТУ-00001-2018"]["date_registered"] == "2018-12-01"
    assert _csv_rows(exported / "rejects.csv")[0]["cells"] == '["-1+1", "x"]'
    assert _csv_rows(exported / "organizations.csv")[0]["display_name"] == "'+ООО «Эксперт»"


def test_parquet_reads_back_with_the_same_rows_and_types(exported: Path, tmp_path: Path) -> None:
    path = exported / "records.parquet"
    assert pq.ParquetFile(path).metadata.row_group(0).column(0).compression == "ZSTD"
    table = pq.read_table(path)
    assert table.num_rows == 3
    assert table.column_names == list(FIELD_NAMES)
    assert str(table.schema.field("date_registered").type) == "date32[day]"
    assert str(table.schema.field("year").type) == "int16"
    assert table.column("applicant_name")[2].as_py() == '=HYPERLINK("http://evil.example","нажми")'
    con = duckdb.connect()
    described = con.execute(f"DESCRIBE SELECT * FROM read_parquet('{path}')").fetchall()
    assert [(c[0], c[1]) for c in described][:6] == [
        ("reg_number", "VARCHAR"),
        ("reg_number_published", "VARCHAR"),
        ("office_code", "VARCHAR"),
        ("district", "VARCHAR"),
        ("year", "SMALLINT"),
        ("date_registered", "DATE"),
    ]
    assert con.execute(f"SELECT count(*) FROM read_parquet('{path}')").fetchone()[0] == 3


def test_frictionless_validate_passes(exported: Path) -> None:
    frictionless = pytest.importorskip("frictionless")
    pytest.importorskip("pandas")  # frictionless reads Parquet through pandas
    report = frictionless.validate(exported / "datapackage.json")
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])
    assert [task.name for task in report.tasks] == ["records", "records-parquet", "rejects", "organizations"]


def test_passport_and_structure(exported: Path) -> None:
    meta = dict(csv.reader((exported / "meta.csv").read_text(encoding="utf-8").splitlines()))
    assert meta["standardversion"] == "http://opendata.gosmonitor.ru/standard/3.0"
    assert meta["modified"] == "20261125"
    assert meta["data-20261125-structure-20261125"] == "records.csv"
    structure = list(
        csv.reader((exported / "structure-20261125.csv").read_text(encoding="utf-8").splitlines())
    )
    assert structure[0] == ["field name", "english description", "russian description", "format"]
    assert structure[1] == ["reg_number", "reg number", "Регистрационный номер заключения", "string"]
    assert len(structure) == 1 + len(FIELD_NAMES)


def test_checksums_cover_every_other_file(exported: Path) -> None:
    lines = (exported / "SHA256SUMS").read_text().splitlines()
    listed = dict(reversed(line.split("  ", 1)) for line in lines)
    files = {str(p.relative_to(exported)) for p in exported.rglob("*") if p.is_file()} - {"SHA256SUMS"}
    assert set(listed) == files
    for name, digest in listed.items():
        assert hashlib.sha256((exported / name).read_bytes()).hexdigest() == digest


def test_without_organizations_table_no_organizations_csv(tmp_path: Path) -> None:
    out = tmp_path / "out"
    export_all(_store(tmp_path / "db.duckdb"), out, quiet=True, generated_at=GENERATED)
    assert not (out / "organizations.csv").exists()
    assert "organizations.csv" not in (out / "SHA256SUMS").read_text()


def test_invalid_xml_fails_loudly_and_keeps_the_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "records.xml").write_text("old")
    monkeypatch.setattr(
        "openepb.publish.export.value_fits", lambda name, value: True
    )  # lets the bad value through
    with pytest.raises(ExportError, match="does not validate"):
        export_all(_store(tmp_path / "db.duckdb"), out, quiet=True, generated_at=GENERATED)
    assert (out / "records.xml").read_text() == "old"
    assert not list(out.rglob(".*.tmp"))


def test_values_the_schema_cannot_carry_are_reported_and_the_export_goes_on(tmp_path: Path) -> None:
    """Regression: a number with an unlisted object code once stopped the whole publication at the XML
    export. A record whose required value does not fit is left out of the XML only, counted with an
    example; an optional value that does not fit is left out of its element; CSV and Parquet keep both."""
    odd = [
        {**BASE, "reg_number": "01-ПД-00004-2018", "object_type": "ПД", "office_code": "mos", "year": 2018,
         "source_row": 8},
        {**BASE, "reg_number": "01-ТУ-0005-2018", "office_code": "mos", "year": 2018, "source_row": 9},
        {**BASE, "reg_number": "01-ТУ-00006-2018", "office_code": "mos", "year": 2018, "source_row": 10,
         "hazard_class": "V"},
    ]  # fmt: skip
    writer = StoreWriter(tmp_path / "db.duckdb")
    writer.add_many("records", odd)
    writer.close()
    report = export_all(tmp_path / "db.duckdb", tmp_path / "out", quiet=True, generated_at=GENERATED)
    assert report.records == 3
    assert report.misfits.records_skipped == 1
    assert report.misfits.values == {"reg_number": 1, "hazard_class": 1}
    assert report.misfits.examples["reg_number"] == [
        {"reg_number": "01-ТУ-0005-2018", "value": "01-ТУ-0005-2018"}
    ]
    assert report.file("records.xml").rows == 2  # the unlisted code «ПД» is valid: only the bad number is out
    assert validate_file(tmp_path / "out" / "records.xml").exit_code == 0
    package = (tmp_path / "out" / "datapackage.json").read_text(encoding="utf-8")
    assert '"records_left_out_of_xml": 1' in package
    with (tmp_path / "out" / "records.csv").open(encoding="utf-8-sig") as handle:
        rows = {row["reg_number"]: row["hazard_class"] for row in csv.DictReader(handle)}
    assert rows == {"01-ПД-00004-2018": "", "01-ТУ-0005-2018": "", "01-ТУ-00006-2018": "V"}


EXAMPLES = Path(__file__).resolve().parent.parent / "schema" / "examples"


@pytest.mark.parametrize("name", ["valid.xml", "invalid-duplicate.xml", "valid-new-fields.xml"])
def test_streamed_validation_refuses_repeated_numbers_as_the_full_schema_does(
    name: str, tmp_path: Path
) -> None:
    """The export validates without libxml2's in-memory uniqueness table; a repeated number is still
    refused, exactly for the documents the full XSD (with xs:unique) refuses."""
    document = tmp_path / name
    shutil.copy(EXAMPLES / name, document)
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    full_schema_accepts = load_schema().validate(etree.parse(str(document), parser))
    if full_schema_accepts:
        _validate_xml(document)
    else:
        with pytest.raises(ExportError, match="UniqueRegNumber, repeated: 01-ТУ-00123-2018"):
            _validate_xml(document)
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]  # the scratch ledger is gone
    assert full_schema_accepts == (name != "invalid-duplicate.xml")
