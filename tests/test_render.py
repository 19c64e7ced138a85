"""Site rendering without a browser: organization details, search index, downloads, escaping."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from openepb.build.store import StoreWriter
from openepb.contract.tables import CANDIDATE_COLUMNS, ORGANIZATION_COLUMNS
from openepb.publish import site as render
from openepb.publish.rank import build_rankings
from openepb.publish.site import (
    CANDIDATE_KINDS,
    LATEST_PER_ORG,
    PAGES,
    RULE_PHRASES,
    format_number,
    format_size,
    list_downloads,
    publish_exports,
    read_checksums,
    render_site,
    sha256_of,
    shards_by_size,
)
from openepb.resolve.entities import RULES, _create_table

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


def candidate(role: str, id_a: str, name_a: str, id_b: str, name_b: str, **extra: Any) -> dict[str, Any]:
    row = dict.fromkeys(c for c, _ in CANDIDATE_COLUMNS)
    row.update(role=role, id_a=id_a, name_a=name_a, id_b=id_b, name_b=name_b, score=100.0)
    row.update(extra)
    return row


def evidence(*entries: tuple[str, int, str | None, str | None, str]) -> str:
    """The resolver's evidence JSON: (spelling, records, INN, licence, rule code of RULES)."""
    return json.dumps(
        [
            {"name": n, "count": c, "inn": i, "licence": lic, "key": "", "marks": [], "rule": RULES.get(r, r)}
            for n, c, i, lic, r in entries
        ],
        ensure_ascii=False,
    )


#: Near-misses of the small store (rows of ``merge_candidates``); a-9 has no records.
CANDIDATES = [
    candidate(
        "applicant",
        "a-0",
        "АО «Заявитель a-0»",
        "a-1",
        "ООО «Заявитель a-1»",
        kind="legal_form",
        reason="одно название, разные организационно-правовые формы: АО / ООО",
        key_a="АО заявитель",
        key_b="ООО заявитель",
        marks_a="г. пермь",
        marks_b="г. пермь",
    ),
    candidate(
        "applicant",
        "a-1",
        "ООО «Заявитель a-1»",
        "a-9",
        "ООО «Заявитал»",
        score=93.5,
        kind="similar",
        reason="похожие названия",
        key_a="ООО заявитель",
        key_b="ООО заявитал",
        marks_a="",
        marks_b="",
        inn_a="7707083893",
        inn_b="",
    ),
    candidate(
        "applicant",
        "a-0",
        "АО «Заявитель a-0»",
        "a-9",
        "АО «Заявитель» г. Тамбов № 2 (Пермский край)",
        kind="place",
        reason="названия различаются только указанием места: г. тамбов",
        key_a="АО заявитель",
        key_b="АО заявитель",
        marks_a="",
        marks_b="г. тамбов; регион 59; № 2",
        inn_a="5503221735",
    ),
    candidate(
        "expert",
        "e-1",
        "ООО «Альфа»",
        "e-2",
        XSS,
        kind="same_name",
        reason="одно название, разные лицензии",
        key_a="ООО альфа",
        key_b="ООО альфа",
        marks_a="",
        marks_b="филиал",
        licence_a="ДЭ-00-000001",
        licence_b="ДЭ-00-000002",
    ),
]


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
        [
            organization(
                "e-1",
                "expert",
                "ООО «Альфа»",
                licence_number="ДЭ-00-000001",
                licence_status="действует",
                licence_date=date(2010, 5, 4),
                spellings=spellings,
                inns='["5503221735"]',
                successor_id="e-2",
                evidence=evidence(
                    ("ООО «Альфа»", 10, "5503221735", "ДЭ-00-000001", "licence"),
                    ("ООО Альфа", 2, None, None, "name_strong"),
                ),
            ),
            organization(
                "e-2",
                "expert",
                XSS,
                licence_number="ДЭ-00-000002",
                spellings=json.dumps([{"name": XSS, "count": 1}]),
                inns="[]",
                predecessor_id="e-1",
                evidence=evidence((XSS, 1, None, "ДЭ-00-000002", "alias_merge")),
            ),
        ],
    )
    _create_table(store.con, "merge_candidates", CANDIDATES)
    store.close()
    exports = root / "exports"
    (exports / "offices").mkdir(parents=True)
    (exports / "records.csv").write_text("reg_number\n1\n", encoding="utf-8")
    (exports / "offices" / "mos.xml").write_text("<r/>", encoding="utf-8")
    digest = sha256_of(exports / "records.csv")
    (exports / "SHA256SUMS").write_text(f"{digest}  records.csv\n", encoding="utf-8")
    site = root / "site"
    build_rankings(db, site / "data" / "rank", quiet=True)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(render, "REVIEW_PAGE_ROWS", 2)
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
        ["e-1", "ООО «Альфа»", ["ООО Альфа"], "ДЭ-00-000001", 11],  # one of 12 is excluded: not counted
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
        page = (small_site / out).read_text(encoding="utf-8")
        # a page written by the build may show the name, escaped (orgs.html's first page), never as markup
        assert "<script>alert(1)" not in page
        assert "alert(1)" not in page or "&lt;script&gt;alert(1)&lt;/script&gt;" in page


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


# ---------------------------------------------------------------------------------------------
# Merge review: evidence on the organization page, review.html and its paged data

LICENCE_RULE = "по лицензии"
NAME_RULE = "совпадает название, форма и признаки единственной организации с ИНН или лицензией"


def test_detail_entry_carries_the_resolution(small_site: Path) -> None:
    shard = read_json(small_site / "data" / "site" / "org" / "expert" / "0.json")
    first, second = shard["orgs"]
    assert first[9] == {
        "inns": ["5503221735"],
        "evidence": [
            ["ООО «Альфа»", 10, "5503221735", "ДЭ-00-000001", LICENCE_RULE],
            ["ООО Альфа", 2, None, None, NAME_RULE],
        ],
        "predecessor": None,
        "successor": ["e-2", XSS],
        "near": [["e-2", XSS, "same_name", 100]],
    }
    assert second[9] == {
        "inns": [],
        "evidence": [[XSS, 1, None, "ДЭ-00-000002", "ручное объединение (aliases.yaml)"]],
        "predecessor": ["e-1", "ООО «Альфа»"],
        "successor": None,
        "near": [["e-1", "ООО «Альфа»", "same_name", 100]],
    }
    applicants = read_json(small_site / "data" / "site" / "org" / "applicant" / "0.json")["orgs"]
    near = {entry[0]: entry[9]["near"] for entry in applicants}
    # a-9 has no records, so no page of its own; its pairs show on the pages of a-0 and a-1.
    assert near == {
        "a-0": [
            ["a-1", "ООО «Заявитель a-1»", "legal_form", 100],
            ["a-9", "АО «Заявитель» г. Тамбов № 2 (Пермский край)", "place", 100],
        ],
        "a-1": [["a-0", "АО «Заявитель a-0»", "legal_form", 100], ["a-9", "ООО «Заявитал»", "similar", 93.5]],
    }
    assert applicants[0][9]["evidence"] == [] and applicants[0][9]["predecessor"] is None


def test_review_index_counts_rows_and_pages(small_site: Path) -> None:
    index = read_json(small_site / "data" / "site" / "review" / "index.json")
    assert index["page_rows"] == 2
    assert index["roles"] == {
        "expert": {
            "merged": {"rows": 1, "pages": 1},
            "all": {"rows": 1, "pages": 1},
            "same_name": {"rows": 1, "pages": 1},
        },
        "applicant": {
            "merged": {"rows": 0, "pages": 1},
            "all": {"rows": 3, "pages": 2},
            "legal_form": {"rows": 1, "pages": 1},
            "place": {"rows": 1, "pages": 1},
            "similar": {"rows": 1, "pages": 1},
        },
    }
    assert list(index["roles"]["applicant"]) == ["merged", "all", "legal_form", "place", "similar"]
    assert index["kinds"]["legal_form"][0] == "разные формы"
    assert index["role_titles"] == {"expert": "экспертные организации", "applicant": "заявители"}


def test_review_pages_hold_merged_organizations_and_pairs_with_differences(small_site: Path) -> None:
    folder = small_site / "data" / "site" / "review"
    assert read_json(folder / "expert" / "merged" / "1.json") == [
        [
            "e-1",
            "ООО «Альфа»",
            11,  # counted conclusions: one of 12 is excluded
            2,
            ["5503221735"],
            "ДЭ-00-000001",
            [
                ["ООО «Альфа»", 10, "5503221735", "ДЭ-00-000001", LICENCE_RULE],
                ["ООО Альфа", 2, None, None, NAME_RULE],
            ],
        ]
    ]
    legal = [
        "legal_form",
        100,
        ["a-0", "АО «Заявитель a-0»", None, None],
        ["a-1", "ООО «Заявитель a-1»", None, None],
        "одно название, разные организационно-правовые формы: АО / ООО",
        [["форма", "АО", "ООО"]],
    ]
    place = [
        "place",
        100,
        ["a-0", "АО «Заявитель a-0»", "5503221735", None],
        ["a-9", "АО «Заявитель» г. Тамбов № 2 (Пермский край)", None, None],
        "названия различаются только указанием места: г. тамбов",
        [
            ["город", "—", "г. тамбов"],
            ["регион", "—", "Пермский край (59)"],
            ["номер", "—", "№ 2"],
            ["ИНН", "5503221735", "—"],
        ],
    ]
    similar = [
        "similar",
        93.5,
        ["a-1", "ООО «Заявитель a-1»", "7707083893", None],
        ["a-9", "ООО «Заявитал»", None, None],
        "похожие названия",
        [["наименование", "заявитель", "заявитал"], ["ИНН", "7707083893", "—"]],
    ]
    assert read_json(folder / "applicant" / "all" / "1.json") == [legal, place]
    assert read_json(folder / "applicant" / "all" / "2.json") == [similar]
    assert not (folder / "applicant" / "all" / "3.json").exists()
    assert read_json(folder / "applicant" / "place" / "1.json") == [place]
    assert read_json(folder / "applicant" / "merged" / "1.json") == []
    assert read_json(folder / "expert" / "same_name" / "1.json") == [
        [
            "same_name",
            100,
            ["e-1", "ООО «Альфа»", None, "ДЭ-00-000001"],
            ["e-2", XSS, None, "ДЭ-00-000002"],
            "одно название, разные лицензии",
            [["филиал", "—", "филиал"], ["лицензия", "ДЭ-00-000001", "ДЭ-00-000002"]],
        ]
    ]
    assert sorted(p.name for p in (folder / "applicant").iterdir()) == [
        "all",
        "legal_form",
        "merged",
        "place",
        "similar",
    ]


def test_review_page_shows_the_first_page_without_javascript(small_site: Path) -> None:
    html = (small_site / "review.html").read_text(encoding="utf-8")
    assert "<h1>Объединение организаций</h1>" in html
    assert '<a href="org.html?role=expert&amp;id=e-1">ООО «Альфа»</a>' in html
    assert html.count('<tr>\n        <th scope="row">') == 1  # one merged organization
    assert (
        f'<span class="rule">{LICENCE_RULE}</span>' in html
        and f'<span class="rule">{NAME_RULE}</span>' in html
    )
    assert "<caption>Экспертные организации: объединённые организации, страница 1 из 1</caption>" in html
    # counts per role and view link to the view's permalink
    assert '<a href="review.html?role=applicant&amp;kind=all">3</a>' in html
    assert '<a href="review.html?role=expert&amp;kind=same_name">1</a>' in html
    assert 'href="exports/merge_candidates.csv"' in html
    for section in ("merge:", "keep_apart:", "renamed:"):
        assert section in html
    for out in ("index.html", "org.html", "review.html"):
        page = (small_site / out).read_text(encoding="utf-8")
        assert '<a href="review.html"' in page, out
    assert '<a href="review.html" aria-current="page">' in html


def test_every_rule_and_kind_has_russian_wording() -> None:
    assert set(RULE_PHRASES) == set(RULES)
    assert render.rule_phrase(RULES["inn"]) == "по ИНН"
    assert render.rule_phrase("правило новой версии") == "правило новой версии"
    assert render.rule_phrase(None) == "—"
    assert set(CANDIDATE_KINDS) == {
        "ambiguous",
        "same_name",
        "legal_form",
        "place",
        "renamed",
        "descriptor",
        "similar",
    }
