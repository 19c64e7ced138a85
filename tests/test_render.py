"""Site rendering without a browser: organization details, search index, downloads, escaping."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from openepb.rank import build_rankings
from openepb.render import (
    LATEST_PER_ORG,
    PAGES,
    format_number,
    format_size,
    list_downloads,
    publish_exports,
    read_checksums,
    render_site,
    sha256_of,
    shards_by_size,
)
from openepb.resolve import ORGANIZATION_COLUMNS, _create_table
from openepb.store import StoreWriter

XSS = "<script>alert(1)</script>"


def record(
    n: int, expert: str, applicant: str, day: date, office: str = "mos", **extra: Any
) -> dict[str, Any]:
    row = {
        "reg_number": f"01-ТУ-{n:05d}-{day.year}",
        "office_code": office,
        "district": "CFD" if office == "mos" else "NWFD",
        "year": day.year,
        "date_registered": day,
        "object_type": "ТУ",
        "object_name": f"Котёл № {n}",
        "expert_org_id": expert,
        "expert_org_name": {"e-1": "ООО «Альфа»", "e-2": XSS}[expert],
        "applicant_id": applicant,
        "applicant_name": f"АО «Заявитель {applicant}»",
        "source_file": f"{office}/reestr_{day.year}.xlsx",
        "source_table": "Лист1",
        "source_row": n + 1,
    }
    row.update(extra)
    return row


def organization(org_id: str, role: str, name: str, **extra: Any) -> dict[str, Any]:
    row = dict.fromkeys(c for c, _ in ORGANIZATION_COLUMNS)
    row.update(id=org_id, role=role, display_name=name, records=0, spellings="[]", offices="[]")
    row.update(extra)
    return row


@pytest.fixture(scope="module")
def small_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("render")
    db = root / "store.duckdb"
    store = StoreWriter(db)
    rows = [record(i, "e-1", f"a-{i % 2}", date(2017, 1 + i, 10)) for i in range(11)]
    rows.append(record(20, "e-2", "a-0", date(2018, 3, 1), office="szap"))
    rows.append(
        record(
            21,
            "e-1",
            "a-1",
            date(2018, 5, 1),
            excluded_date=date(2019, 1, 1),
            conclusion_result="не соответствует",
        )
    )
    store.add_many("records", rows)
    store.add("offices", {"code": "mos", "short": "МТУ", "district": "CFD", "district_name": "ЦФО"})
    store.add("offices", {"code": "szap", "short": "С-З", "district": "NWFD", "district_name": "СЗФО"})
    store.flush()
    spellings = json.dumps([{"name": "ООО «Альфа»", "count": 10}, {"name": "ООО Альфа", "count": 2}])
    _create_table(
        store.con,
        "organizations",
        ORGANIZATION_COLUMNS,
        [
            organization(
                "e-1",
                "expert",
                "ООО «Альфа»",
                licence_number="ДЭ-00-000001",
                licence_status="действует",
                licence_date=date(2010, 5, 4),
                spellings=spellings,
            ),
            organization("e-2", "expert", XSS, licence_number="ДЭ-00-000002"),
        ],
    )
    store.close()
    exports = root / "exports"
    (exports / "offices").mkdir(parents=True)
    (exports / "records.csv").write_text("reg_number\n1\n", encoding="utf-8")
    (exports / "offices" / "mos.xml").write_text("<r/>", encoding="utf-8")
    digest = sha256_of(exports / "records.csv")
    (exports / "SHA256SUMS").write_text(f"{digest}  records.csv\n", encoding="utf-8")
    site = root / "site"
    build_rankings(db, site / "data" / "rank", quiet=True)
    render_site(db, site / "data" / "rank", site, exports_dir=exports, quiet=True)
    return site


def read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def test_every_page_is_written_with_relative_urls(small_site: Path) -> None:
    for _, out, _, _ in PAGES:
        html = (small_site / out).read_text(encoding="utf-8")
        assert 'href="/' not in html and 'src="/' not in html, out
        assert "http://" not in html.replace("http://opendata", ""), out
        assert 'data-rank="data/rank/"' in html
    assert (small_site / "static" / "app.js").exists()


def test_expert_detail_entry(small_site: Path) -> None:
    index = read_json(small_site / "data" / "site" / "index.json")
    assert index["roles"]["expert"] == {"count": 2, "first_ids": ["e-1"]}
    assert index["latest"] == LATEST_PER_ORG and index["exports"] is True
    shard = read_json(small_site / "data" / "site" / "org" / "expert" / "0.json")
    first = shard["orgs"][0]
    assert first[:8] == [
        "e-1",
        "ООО «Альфа»",
        "ДЭ-00-000001",
        "действует",
        "2010-05-04",
        None,
        None,
        [["ООО «Альфа»", 10], ["ООО Альфа", 2]],
    ]
    latest = first[8]
    assert len(latest) == LATEST_PER_ORG
    assert latest[0] == [
        "01-ТУ-00021-2018",
        "2018-05-01",
        "Котёл № 21",
        "mos",
        0,
        "Лист1",
        22,
        "2019-01-01",
        "не соответствует",
    ]
    assert latest[1] == ["01-ТУ-00010-2017", "2017-11-10", "Котёл № 10", "mos", 1, "Лист1", 11, None, None]
    assert shard["files"][:2] == ["mos/reestr_2018.xlsx", "mos/reestr_2017.xlsx"]


def test_search_index_orders_by_records_and_keeps_spellings(small_site: Path) -> None:
    experts = read_json(small_site / "data" / "site" / "search" / "expert.json")
    assert experts == [
        ["e-1", "ООО «Альфа»", ["ООО Альфа"], "ДЭ-00-000001", 12],
        ["e-2", XSS, [], "ДЭ-00-000002", 1],
    ]
    applicants = read_json(small_site / "data" / "site" / "search" / "applicant.json")
    assert [a[0] for a in applicants] == ["a-0", "a-1"]
    assert applicants[0][1] == "АО «Заявитель a-0»"


def test_downloads_page_lists_exports_with_rows_and_checksums(small_site: Path) -> None:
    html = (small_site / "downloads.html").read_text(encoding="utf-8")
    assert 'href="exports/records.csv"' in html
    assert 'href="exports/offices/mos.xml"' in html
    assert 'href="schema/epb-register.xsd"' in html
    assert sha256_of(small_site / "exports" / "records.csv") in html
    assert (small_site / "schema" / "template.xlsx").exists()
    downloads = list_downloads(small_site / "exports", "exports", {"records.csv": 13, "offices/mos.xml": 12})
    assert [(d.name, d.rows) for d in downloads] == [
        ("records.csv", 13),
        ("SHA256SUMS", None),
        ("offices/mos.xml", 12),
    ]


def test_data_strings_are_escaped_in_pages(small_site: Path) -> None:
    html = (small_site / "about.html").read_text(encoding="utf-8")
    assert "<script>alert" not in html
    for _, out, _, _ in PAGES:
        assert "alert(1)" not in (small_site / out).read_text(encoding="utf-8")


def test_shards_by_size_cuts_between_entries() -> None:
    entries = [[str(i) * 10] for i in range(5)]  # each is 14 bytes + 1
    assert [len(s) for s in shards_by_size(entries, 30)] == [2, 2, 1]
    assert [len(s) for s in shards_by_size(entries, 1)] == [1, 1, 1, 1, 1]
    assert list(shards_by_size([], 10)) == []


def test_number_and_size_formats() -> None:
    assert format_number(10398) == "10\u202f398"
    assert format_number(None) == "—"
    assert format_size(512) == "512\u00a0Б"
    assert format_size(1536) == "1,5\u00a0КБ"
    assert format_size(3 * 1024 * 1024) == "3,0\u00a0МБ"


def test_checksums_and_published_exports(tmp_path: Path) -> None:
    source = tmp_path / "exports"
    source.mkdir()
    (source / "a.csv").write_text("x\n", encoding="utf-8")
    (source / "SHA256SUMS").write_text("abc  a.csv\ndef *b.xml\n", encoding="utf-8")
    assert read_checksums(source) == {"a.csv": "abc", "b.xml": "def"}
    target = publish_exports(source, tmp_path / "site")
    assert sorted(p.name for p in target.iterdir()) == ["SHA256SUMS", "a.csv"]
    assert (target / "a.csv").read_text(encoding="utf-8") == "x\n"
    assert read_checksums(tmp_path) == {}


def test_exports_too_large_for_the_site_stay_out_and_link_elsewhere(tmp_path: Path) -> None:
    source = tmp_path / "exports"
    source.mkdir()
    (source / "records.csv").write_text("x\n", encoding="utf-8")
    (source / "records.xml").write_bytes(b"<r/>" * 100)
    (source / "offices").mkdir()
    (source / "offices" / "mos.xml").write_bytes(b"<r/>" * 100)
    (source / "SHA256SUMS").write_text("", encoding="utf-8")
    published = publish_exports(source, tmp_path / "site", max_bytes=50)
    assert sorted(p.name for p in published.iterdir()) == ["SHA256SUMS", "records.csv"]
    rows = {"records.csv": 1}
    far = list_downloads(source, "exports", rows, published=published, external="https://example.org/r/")
    assert {d.name: d.path for d in far} == {
        "records.csv": "exports/records.csv",
        "records.xml": "https://example.org/r/records.xml",
        "offices/mos.xml": "https://example.org/r/offices-mos.xml",
        "SHA256SUMS": "exports/SHA256SUMS",
    }
    nowhere = list_downloads(source, "exports", rows, published=published)
    assert {d.name: d.path for d in nowhere}["records.xml"] is None
