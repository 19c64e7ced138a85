"""End to end: the demo build's exports are valid, complete and agree with the database."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest
from lxml import etree

from openepb.contract.xsd import load_schema
from openepb.publish.export import export_all

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def exports(demo_build, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("exports")
    export_all(demo_build.database, out, quiet=True)
    return out


def _count(db: Path, sql: str) -> int:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql).fetchone()[0]


def test_records_xml_is_valid_with_lxml_and_xmllint(exports: Path, demo_build):
    document = etree.parse(str(exports / "records.xml"))
    schema = load_schema()
    assert schema.validate(document), schema.error_log.last_error
    records = document.getroot().findall(".//{*}record")
    assert len(records) == _count(demo_build.database, "SELECT count(*) FROM records")
    if shutil.which("xmllint"):
        done = subprocess.run(
            [
                "xmllint",
                "--noout",
                "--stream",
                "--schema",
                "schema/epb-register.xsd",
                str(exports / "records.xml"),
            ],
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr[-2000:]


def test_every_office_file_is_valid_and_the_offices_add_up(exports: Path, demo_build):
    schema = load_schema()
    total = 0
    for path in sorted((exports / "offices").glob("*.xml")):
        document = etree.parse(str(path))
        assert schema.validate(document), (path.name, schema.error_log.last_error)
        total += len(document.getroot().findall(".//{*}record"))
    assert total == _count(demo_build.database, "SELECT count(*) FROM records")


def test_parquet_and_csv_hold_every_record(exports: Path, demo_build):
    n = _count(demo_build.database, "SELECT count(*) FROM records")
    assert pq.read_metadata(exports / "records.parquet").num_rows == n
    with duckdb.connect() as con:
        csv_rows = con.execute(
            f"SELECT count(*) FROM read_csv('{exports / 'records.csv'}', header=true)"
        ).fetchone()[0]
    assert csv_rows == n
    assert (exports / "records.csv").read_bytes()[:3] == b"\xef\xbb\xbf"


def test_data_package_validates_and_checksums_match(exports: Path):
    frictionless = pytest.importorskip("frictionless")
    report = frictionless.validate(exports / "datapackage.json")
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])[:10]
    for line in (exports / "SHA256SUMS").read_text(encoding="utf-8").splitlines():
        digest, name = line.split("  ", 1)
        assert hashlib.sha256((exports / name).read_bytes()).hexdigest() == digest, name
