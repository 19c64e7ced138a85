"""Data quality per office: figures against the demo generator's truth, quality.csv, pages, sorting."""

from __future__ import annotations

import csv
import json
import re
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pytest
import yaml
from browsing import CHROMIUM, CHROMIUM_ARGS
from markupsafe import escape

from openepb.publish.quality import (
    CSV_COLUMNS,
    FILL_FIELDS,
    NOT_HARVESTED,
    PUBLISHABLE_FIELDS,
    OfficeQuality,
    compute_quality,
    gap_months,
    months_between,
    newest_registration_date,
    publication_status,
    write_quality,
)


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as stream:
        return list(csv.DictReader(stream))


def _as_truth(office: OfficeQuality) -> dict[str, str]:
    """The office's figures in the columns and spelling of truth/quality.csv."""
    iso = lambda d: d.isoformat() if d else ""  # noqa: E731
    row: dict[str, Any] = {
        "office_code": office.code,
        "files": office.files,
        "formats": " ".join(office.formats),
        "records": office.records,
        "duplicates": office.duplicates,
        "rejects": office.rejects,
        "first_date": iso(office.first_date),
        "newest_date": iso(office.newest_date),
        "lag_days": "" if office.lag_days is None else office.lag_days,
        "gap_months": len(office.gaps),
        "gaps": " ".join(office.gaps),
        "publication": office.publication,
    }
    row |= {f"{name}_filled": office.filled.get(name, 0) for name in FILL_FIELDS}
    return {key: str(value) for key, value in row.items()}


@pytest.fixture(scope="module")
def truth(demo_build) -> dict[str, dict[str, str]]:
    return {row["office_code"]: row for row in _read(demo_build.corpus.truth_dir / "quality.csv")}


@pytest.fixture(scope="module")
def quality(demo_build) -> list[OfficeQuality]:
    reference = newest_registration_date(demo_build.database)
    return compute_quality(demo_build.database, freshness=None, reference_date=reference)


# --- definitions ------------------------------------------------------------------------------------


def test_months_between_spans_years_and_gaps_are_the_empty_months():
    span = months_between(date(2016, 11, 30), date(2017, 2, 1))
    assert span == ["2016-11", "2016-12", "2017-01", "2017-02"]
    assert gap_months({"2016-11", "2017-02"}, span) == ["2016-12", "2017-01"]
    assert months_between(None, date(2017, 1, 1)) == []


@pytest.mark.parametrize(
    ("lag", "status"),
    [(None, "none"), (0, "current"), (45, "current"), (46, "late"), (180, "late"), (181, "stale")],
)
def test_publication_status_thresholds(lag, status):
    assert publication_status(lag) == status


# --- the demo corpus against its truth -------------------------------------------------------------


def test_planted_offices_are_in_the_truth(truth):
    assert truth["enis"]["publication"] == "stale"
    assert truth["szap"]["publication"] == "late"
    assert {"2016-06", "2016-07", "2016-08", "2017-03"} <= set(truth["nvol"]["gaps"].split())
    assert [code for code, row in truth.items() if row["publication"] != "current"] == ["enis", "szap"]


def test_quality_figures_equal_the_generator_truth(quality, truth):
    got = {office.code: _as_truth(office) for office in quality}
    assert sorted(got) == sorted(truth)
    for code, expected in truth.items():
        assert got[code] == expected, code


def test_demo_conformance_and_fields(quality):
    by_code = {office.code: office for office in quality}
    ural = by_code["ural"]  # the richest office: contacts cell, licence column
    assert ural.valid_records == ural.records
    assert "applicant_phone" in ural.fields_published and "expert_certificate" not in ural.fields_published
    # the source's spelling of the number is provenance, not a column an office publishes
    assert (
        "reg_number_published" not in PUBLISHABLE_FIELDS
        and "reg_number_published" not in ural.fields_published
    )
    # 26: the 29 source fields less that spelling and the two exclusion fields
    assert len(PUBLISHABLE_FIELDS) == 26
    assert ural.conformance == round(50 * (1 + len(ural.fields_published) / 26), 1)
    assert all(office.harvest_note == NOT_HARVESTED and office.harvest_stale is None for office in quality)


# --- quality.csv, reject examples, pages -----------------------------------------------------------


@pytest.fixture(scope="module")
def written(demo_build, tmp_path_factory) -> tuple[Path, Path, list[OfficeQuality]]:
    from openepb.publish.export import write_csv

    exports, site = tmp_path_factory.mktemp("exports"), tmp_path_factory.mktemp("site")
    con = duckdb.connect(str(demo_build.database), read_only=True)
    try:
        write_csv(con, "rejects", exports / "rejects.csv", "source_file, source_table, source_row")
    finally:
        con.close()
    offices = write_quality(demo_build.database, exports, site)
    return exports, site, offices


def test_quality_csv_holds_the_same_numbers(written, quality):
    exports, _, offices = written
    rows = _read(exports / "quality.csv")
    assert list(rows[0]) == list(CSV_COLUMNS)
    assert [row["office_code"] for row in rows] == [office.code for office in quality]
    for row, office in zip(rows, quality, strict=True):
        assert int(row["records"]) == office.records
        assert int(row["rejects"]) == office.rejects
        assert row["newest_date"] == office.newest_date.isoformat()
        assert row["gaps"] == " ".join(office.gaps)
        assert row["publication"] == office.publication
        assert float(row["conformance"]) == office.conformance
        assert (row["held_back"], row["data_status"]) == (
            "false",
            "новые данные",
        )  # no gate held the demo back
    assert {row["reference_date"] for row in rows} == {max(o.newest_date for o in offices).isoformat()}


def test_reject_examples_point_at_their_rows_of_rejects_csv(written):
    exports, _, offices = written
    rows = _read(exports / "rejects.csv")
    checked = 0
    for office in offices:
        assert sum(office.rejects_by_reason.values()) == office.rejects
        for reason, examples in office.reject_examples.items():
            assert 1 <= len(examples) <= 3
            for example in examples:
                line = rows[example.csv_row - 2]  # csv_row counts the header as row 1
                assert line["reason"] == reason
                assert line["source_file"] == example.source_file
                assert line["source_file"].startswith(f"{office.code}/")
                checked += 1
    assert checked >= len(offices)


def test_pages_show_the_table_and_one_page_per_office(written):
    _, site, offices = written
    page = (site / "quality.html").read_text(encoding="utf-8")
    assert page.count('<tbody data-office="') == len(offices)
    assert "прекратил публикацию" in page and "с опозданием" in page
    nvol = (site / "quality-nvol.html").read_text(encoding="utf-8")
    assert '<time datetime="2016-07">2016-07</time>' in nvol
    first = offices[0]
    example = next(iter(first.reject_examples.values()))[0]
    assert f'href="rejects.html?office={first.code}#row={example.csv_row}"' in (
        site / f"quality-{first.code}.html"
    ).read_text(encoding="utf-8")
    # The rejects page reads the office's rows; the linked one is there with its file and row.
    rows = json.loads(
        (site / "data" / "site" / "rejects" / f"{first.code}.json").read_text(encoding="utf-8")
    )["rows"]
    [shown] = [r for r in rows if r[0] == example.csv_row]
    assert shown[1:4] == [example.source_file, example.source_table, example.source_row]


def test_freshness_gives_last_harvest_and_stale_flag(demo_build, tmp_path):
    freshness = tmp_path / "freshness.json"
    entry = {"status": "ok", "last_success": "2026-03-02T03:20:00Z", "files": []}
    data = {
        "offices": {"mos": entry, "cntr": entry | {"status": "stale", "last_success": "2026-01-05T03:20:00Z"}}
    }
    freshness.write_text(json.dumps(data), encoding="utf-8")
    offices = {
        o.code: o
        for o in compute_quality(demo_build.database, freshness=freshness, reference_date=date(2019, 1, 31))
    }
    assert (offices["mos"].harvest_status, offices["mos"].harvest_stale) == ("ok", False)
    assert (offices["cntr"].harvest_stale, offices["cntr"].last_success) == (True, "2026-01-05T03:20:00Z")
    assert offices["zab"].harvest_note == NOT_HARVESTED
    assert offices["enis"].lag_days == (date(2019, 1, 31) - offices["enis"].newest_date).days


# --- sorting in the browser -------------------------------------------------------------------------


@pytest.mark.browser
def test_table_sorts_by_each_column_with_the_keyboard(written):
    sync_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.skip("chromium is not installed")
    _, site, offices = written
    _copy_static(site)
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.goto((site / "quality.html").as_uri())
            header = page.locator("#quality-table thead th").nth(6)  # lag in days
            header.locator("button").focus()
            page.keyboard.press("Enter")
            assert header.get_attribute("aria-sort") == "ascending"
            page.keyboard.press("Enter")
            assert header.get_attribute("aria-sort") == "descending"
            order = page.eval_on_selector_all(
                "#quality-table tbody", "rows => rows.map(r => r.dataset.office)"
            )
            expected = sorted(offices, key=lambda o: (-(o.lag_days or 0), offices.index(o)))
            assert order == [o.code for o in expected]
            assert "по убыванию" in page.locator("#quality-sort-status").text_content()
        finally:
            browser.close()


def _copy_static(site: Path) -> None:
    import shutil

    from openepb.publish.site import STATIC_DIR

    shutil.copytree(STATIC_DIR, site / "static", dirs_exist_ok=True)


def _catalogue_titles() -> dict[str, str]:
    """Titles of schema/problems.yaml, read from the file (not through the code under test)."""
    path = Path(__file__).resolve().parent.parent / "schema" / "problems.yaml"
    return {code: spec["title"] for code, spec in yaml.safe_load(path.read_text("utf-8"))["problems"].items()}


def test_warnings_are_counted_per_office_and_code(tmp_path):
    """A kept record whose value was doubted (here: an object code outside the reviewed list) is counted
    on the office's quality figures, in quality.csv and on its page, with the code's Russian title;
    reject reasons and file statuses are shown with their titles too, never as a bare code."""
    from openepb.build.store import StoreWriter
    from openepb.publish.quality import FILE_STATUS_TITLES, render_quality_pages, write_quality_csv

    store = StoreWriter(tmp_path / "db.duckdb")
    store.add(
        "files", {"path": "mos/a.xlsx", "office_code": "mos", "status": "ok", "rows_in": 3, "records": 3}
    )
    store.add("files", {"path": "mos/b.pdf", "office_code": "mos", "status": "pdf_no_text", "rows_in": 0})
    store.add(
        "records", {"reg_number": "01-ПД-00001-2025", "office_code": "mos", "source_file": "mos/a.xlsx"}
    )
    store.add("rejects", {"source_file": "mos/a.xlsx", "source_row": 4, "reason": "reg_number_missing"})
    warning = {"level": "warning", "source_file": "mos/a.xlsx", "field": "object_type"}
    store.add("problems", {**warning, "code": "object_type_unlisted", "source_row": 2})
    store.add("problems", {**warning, "code": "object_type_unlisted", "source_row": 3})
    store.add("problems", {**warning, "code": "date_invalid", "source_row": 3})
    store.add("problems", {"code": "file_corrupt", "level": "file", "source_file": "mos/a.xlsx"})
    store.add("offices", {"code": "mos", "name": "МТУ", "short": "МТУ", "district": "CFD"})
    store.close()
    [office] = compute_quality(tmp_path / "db.duckdb", freshness=None, reference_date=date(2025, 12, 31))
    assert office.warnings_by_code == {"object_type_unlisted": 2, "date_invalid": 1}
    assert office.rejects_by_reason == {"reg_number_missing": 1}
    assert office.file_statuses == {"ok": 1, "pdf_no_text": 1}
    write_quality_csv([office], tmp_path / "quality.csv", date(2025, 12, 31))
    [row] = _read(tmp_path / "quality.csv")
    assert row["warnings_by_code"] == "object_type_unlisted: 2; date_invalid: 1"
    site = tmp_path / "site"
    render_quality_pages([office], site, date(2025, 12, 31), None)
    page = (site / "quality-mos.html").read_text(encoding="utf-8")
    titles = _catalogue_titles() | FILE_STATUS_TITLES
    shown = re.findall(r"<tr><td>([^<]*)</td><td><code>([a-z_]+)</code></td>", page)
    assert sorted(code for _, code in shown) == sorted(
        ["ok", "pdf_no_text", "reg_number_missing", "object_type_unlisted", "date_invalid"]
    )
    for text, code in shown:  # every code printed beside its title, in the same row
        assert text == str(escape(titles[code])), code
    printed = [c for c in re.findall(r"<code>([a-z_]+)</code>", page) if c in titles]
    assert sorted(printed) == sorted(code for _, code in shown)  # and none alone


def test_freshness_page_says_when_files_changed_and_who_publishes_only_exclusions(demo_build, tmp_path):
    from openepb.publish.quality import office_page, render_quality_pages

    freshness = tmp_path / "freshness.json"
    broken = {
        "url": "https://mos.gosnadzor.ru/upload/old.xlsx",
        "message": "ссылка никуда не ведёт (HTTP 404)",
    }
    entry = {"status": "ok", "last_success": "2026-03-02T03:20:00Z", "files": []}
    data = {
        "offices": {
            "mos": entry | {"last_changed": "2026-02-16T03:18:00+00:00", "problems": [broken]},
            "pech": entry | {"last_changed": "2025-11-03T03:17:00+00:00"},
        }
    }
    freshness.write_text(json.dumps(data), encoding="utf-8")
    offices = compute_quality(demo_build.database, freshness=freshness, reference_date=date(2019, 1, 31))
    by_code = {o.code: o for o in offices}
    assert by_code["mos"].last_changed == "2026-02-16T03:18:00+00:00"
    assert by_code["mos"].harvest_problems == [f"{broken['url']}: {broken['message']}"]
    assert (by_code["mos"].harvest_stale, by_code["mos"].exclusions, by_code["pech"].exclusions) == (
        False,
        "none",
        "only",
    )
    site = tmp_path / "site"
    render_quality_pages(offices, site, date(2019, 1, 31), None)
    page = (site / "quality.html").read_text(encoding="utf-8")
    row = re.search(r'<tbody data-office="mos">.*?</tbody>', page, re.S).group(0)
    assert "2026-02-16" in row and "битых ссылок: 1" in row and "без исключённых" in row
    listed = re.search(r'<ul class="only-excluded">(.*?)</ul>', page, re.S).group(1)
    names = re.findall(r"\((\w+)\)</span></li>", listed)
    assert set(names) == {"pech", "zural", "sevkav", "volok", "usib", "svost"}
    assert f'href="{office_page("pech")}"' in listed
    mos = (site / "quality-mos.html").read_text(encoding="utf-8")
    assert broken["url"] in mos and "2026-02-16T03:18:00+00:00" in mos
