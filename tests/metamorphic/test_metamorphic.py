"""Metamorphic tests: the same true records, laid out by many independent variants, must read back
as the same records. Numbers (recall, precision, rejects) and fields are scored apart.

Variants that fail on today's normalizer are strict xfails naming why, so each one turns red the
day it starts passing and its mark is removed.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from metamorphic.layouts import COMPARED_FIELDS, build_layout
from metamorphic.score import Rendered, Score, render_all, score
from metamorphic.truth import RECORDS, REJECTS, inn_valid
from metamorphic.variants import VARIANTS
from metamorphic.writers import soffice_binary

#: Variants whose registration numbers are not all read today, and why.
NUMBERS_FAIL_TODAY: dict[str, str] = {}
#: Variants with a field not read right today, and why.
FIELDS_FAIL_TODAY: dict[str, str] = {}


def _params(failing: dict[str, str]) -> list:
    return [
        pytest.param(
            v.name,
            id=v.name,
            marks=[pytest.mark.xfail(strict=True, reason=failing[v.name])] if v.name in failing else [],
        )
        for v in VARIANTS
    ]


@pytest.fixture(scope="session")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Rendered]:
    """Every variant written once per session; the PDF variants in one LibreOffice run.

    Without LibreOffice the PDF variants are skipped, except in CI, where they must run.
    """
    variants = list(VARIANTS)
    if soffice_binary() is None:
        if os.environ.get("CI"):
            pytest.fail("LibreOffice (soffice) is required in CI for the PDF variants")
        variants = [v for v in variants if v.fmt != "pdf"]
    return render_all(variants, tmp_path_factory.mktemp("metamorphic"))


_SCORES: dict[str, Score] = {}


def _score(rendered: dict[str, Rendered], name: str) -> Score:
    if name not in rendered:
        pytest.skip("LibreOffice (soffice) is not installed: no PDF variants")
    if name not in _SCORES:
        _SCORES[name] = score(rendered[name])
    return _SCORES[name]


@pytest.mark.parametrize("name", _params(NUMBERS_FAIL_TODAY))
def test_registration_numbers(rendered: dict[str, Rendered], name: str) -> None:
    """Every true number read once (recall), nothing else read as a record (precision), and exactly
    the rows written to be rejected rejected, for their reasons."""
    result = _score(rendered, name)
    assert result.numbers_ok(), result.numbers_report()


@pytest.mark.parametrize("name", _params(FIELDS_FAIL_TODAY))
def test_fields(rendered: dict[str, Rendered], name: str) -> None:
    """Every field of every record read equals the true canonical value (None where the layout has
    no column for it)."""
    result = _score(rendered, name)
    assert result.fields_ok(), result.fields_report()


# --- the harness itself ----------------------------------------------------------------------------

_REG = re.compile(r"[0-9]{2}-[А-ЯЁ]{2}-[0-9]{5,6}-[0-9]{4}")


def test_truth_is_canonical_and_covers_both_eras() -> None:
    numbers = [r.reg_number for r in RECORDS]
    assert len(numbers) == len(set(numbers)) >= 40
    assert all(_REG.fullmatch(n) for n in numbers)
    serials = {len(n.split("-")[2]) for n in numbers}
    assert serials == {5, 6}
    assert any(
        r.reg_spelling and r.reg_spelling.split("-")[0].isdigit() and len(r.reg_spelling.split("-")[0]) == 1
        for r in RECORDS
    )
    assert {r.era for r in RECORDS} == {"old", "new"}
    assert all(inn_valid(r.applicant.inn) for r in RECORDS if r.applicant.inn)
    assert all(re.fullmatch(r"ДЭ-00-[0-9]{6}", r.expert_org.licence or "") for r in RECORDS)
    assert any(r.excluded_date for r in RECORDS)
    assert {len(r.applicant.inn or "") for r in RECORDS} == {10, 12}


def test_own_inn_checksum_agrees_with_published_examples() -> None:
    assert inn_valid("7707083893")  # a 10-digit ИНН as published
    assert inn_valid("500100732259")  # a 12-digit ИНН as published
    assert not inn_valid("7707083894")


def test_every_variant_is_seeded_by_its_name_and_distinct() -> None:
    names = [v.name for v in VARIANTS]
    assert len(names) == len(set(names))
    first, again = build_layout(VARIANTS[8]), build_layout(VARIANTS[8])
    assert first.header_rows == again.header_rows and first.body == again.body
    layouts = {v.name: build_layout(v) for v in VARIANTS}
    assert len({tuple(map(tuple, lay.header_rows)) for lay in layouts.values()}) == len(VARIANTS)


def test_every_field_is_carried_by_some_variant_and_rejects_are_written() -> None:
    carried = {f for v in VARIANTS for c in build_layout(v).columns for f in c.fields}
    derived = {"reg_number_published", "object_type", "applicant_fax", "expert_org_fax", "expert_org_head"}
    assert set(COMPARED_FIELDS) - derived <= carried
    for v in VARIANTS:
        assert sum(build_layout(v).expected_rejects.values()) == len(REJECTS)


def test_the_scorer_can_fail(rendered: dict[str, Rendered], tmp_path: Path) -> None:
    """A file that lost a row and changed a value scores below 100 %: the harness sees mistakes."""
    item = rendered["csv-cp1251-semicolon-old"]
    lines = item.path.read_bytes().decode("cp1251").split("\r\n")
    broken = tmp_path / "broken.csv"
    changed = [
        line.replace('ООО ""ЦЭПБ""', 'ООО ""ЦЭПБ-2""') for line in lines if "38-ДЛ-42792-2015" not in line
    ]
    broken.write_bytes("\r\n".join(changed).encode("cp1251"))
    result = score(Rendered(item.variant, item.layout, broken))
    assert result.missing == ["38-ДЛ-42792-2015"]
    assert "expert_org_name" in result.wrong_fields()


def test_a_whole_build_on_every_variant_publishes(rendered: dict[str, Rendered], tmp_path: Path) -> None:
    """Done as a user would: every variant's file in a mirror of office folders, `build.py --input`.
    The build finishes and publishes (exit 0, nothing held back): every true number is one record, the
    other layouts' rows its duplicates, the planted rows the only rejects, and the XML export valid."""
    import json
    import shutil
    import subprocess
    import sys
    from collections import Counter

    import duckdb

    from openepb.contract.sources import load_sources
    from openepb.validate.check import validate_file

    offices = [o.code for o in load_sources().offices if o.current]
    mirror = tmp_path / "mirror"
    for i, item in enumerate(rendered.values()):
        folder = mirror / offices[i % len(offices)]
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copy(item.path, folder / item.path.name)
    out = tmp_path / "build"
    done = subprocess.run(
        [sys.executable, "build.py", "--input", str(mirror), "--out", str(out), "--site", str(tmp_path / "site"),
         "--exports", str(tmp_path / "exports"), "--quiet"],
        cwd=Path(__file__).resolve().parents[2], capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    con = duckdb.connect(str(out / "openepb.duckdb"), read_only=True)
    numbers = {n for (n,) in con.execute("SELECT reg_number FROM records").fetchall()}
    duplicates = con.execute("SELECT count(*) FROM duplicates").fetchone()[0]
    rejects = con.execute("SELECT reason, count(*) FROM rejects GROUP BY 1").fetchall()
    con.close()
    assert numbers == {r.reg_number for r in RECORDS}
    assert duplicates == sum(len(item.layout.expected) for item in rendered.values()) - len(RECORDS)
    planted: Counter[str] = Counter()
    for item in rendered.values():
        planted.update(item.layout.expected_rejects)
    assert dict(rejects) == dict(planted)
    assert validate_file(tmp_path / "exports" / "records.xml").exit_code == 0
    package = json.loads((tmp_path / "exports" / "datapackage.json").read_text(encoding="utf-8"))
    assert package["openepb:xml_misfits"]["records_left_out_of_xml"] == 0
