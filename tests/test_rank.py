"""Rankings: precomputed files against direct DuckDB queries, ties, empty filters, the paper's tables."""

from __future__ import annotations

import json
import random
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pytest

from openepb.build.store import StoreWriter
from openepb.publish.rank import (
    NONE,
    Axes,
    Combo,
    OrgIndex,
    Region,
    axes_from_manifest,
    build_rankings,
    check_rankings,
    competition_ranks,
    dynamic_rank,
    org_count,
    rank_columns,
    rank_counts,
    safe_key,
)

OFFICES = {  # code → (district, short name)
    "mos": ("CFD", "МТУ"),
    "cntr": ("CFD", "Центральное"),
    "szap": ("NWFD", "Северо-Западное"),
    "zural": ("VFD", "Западно-Уральское"),
    "ural": ("UFD", "Уральское"),
}
DISTRICT_NAMES = {"CFD": "ЦФО", "NWFD": "СЗФО", "VFD": "ПФО", "UFD": "УФО"}
ROLE_COLUMNS = {"expert": "expert_org_id", "applicant": "applicant_id"}


def make_db(path: Path, records: list[dict[str, Any]], organizations: list[tuple] | None = None) -> Path:
    store = StoreWriter(path)
    store.add_many("records", records)
    for code, (district, short) in OFFICES.items():
        store.add(
            "offices",
            {
                "code": code,
                "name": f"{short} управление",
                "short": short,
                "district": district,
                "district_name": DISTRICT_NAMES[district],
                "district_short": DISTRICT_NAMES[district],
            },
        )
    if organizations is not None:
        store.con.execute("CREATE TABLE organizations (id VARCHAR, role VARCHAR, display_name VARCHAR)")
        store.con.executemany("INSERT INTO organizations VALUES (?, ?, ?)", organizations)
    store.close()
    return path


def record(
    year: int,
    expert: str | None,
    applicant: str | None = None,
    *,
    type_: str | None = "ТУ",
    office: str | None = "mos",
    month: int | None = 1,
    excluded: bool = False,
    expert_name: str | None = None,
) -> dict[str, Any]:
    return {
        "reg_number": f"01-{type_}-00001-{year}",
        "office_code": office,
        "district": OFFICES[office][0] if office else None,
        "year": year,
        "date_registered": date(year, month, 15) if month else None,
        "object_type": type_,
        "expert_org_id": expert,
        "expert_org_name": expert_name or (f"ООО «{expert}»" if expert else None),
        "applicant_id": applicant,
        "applicant_name": f"АО «{applicant}»" if applicant else None,
        "excluded_date": date(year, 12, 31) if excluded else None,
    }


def random_records(seed: int, n: int = 700) -> list[dict[str, Any]]:
    """Few organizations with skewed weights, so counts tie often; some NULL ids, types, dates."""
    rng = random.Random(seed)
    years = [2015, 2016, 2018, 2019]  # a gap: ranges run over the years present
    types = ["ТУ", "ЗС", "ОБ", "ДП", None]
    offices = [*list(OFFICES)[:-1], None]  # "ural" has no records: its district is absent from the data
    experts = [f"E{i:02d}" for i in range(12)] + [None]
    applicants = [f"A{i:03d}" for i in range(60)] + [None]
    rows = []
    for _ in range(n):
        rows.append(
            record(
                rng.choice(years),
                rng.choices(experts, weights=[2**-i if i < 12 else 0.05 for i in range(13)])[0],
                rng.choice(applicants),
                type_=rng.choices(types, weights=[8, 4, 2, 1, 0.2])[0],
                office=rng.choices(offices, weights=[6, 3, 2, 1, 0.2])[0],
                month=rng.choice([*range(1, 13), None]),
                excluded=rng.random() < 0.05,
            )
        )
    return rows


# ---------------------------------------------------------------------------------------------
# Direct DuckDB answers, written independently of openepb.publish.rank


def where_sql(axes: Axes, combo: Combo) -> tuple[str, list[Any]]:
    parts = ["excluded_date IS NULL", "year BETWEEN ? AND ?"]
    params: list[Any] = [axes.years[combo.first], axes.years[combo.last]]
    filters = []
    if combo.type is not None:
        filters.append(("object_type", axes.types[combo.type]))
    if combo.region.kind == "district":
        filters.append(("district", combo.region.code))
    if combo.region.kind == "office":
        filters.append(("office_code", combo.region.code))
    for column, value in filters:
        if value == NONE:
            parts.append(f"{column} IS NULL")
        else:
            parts.append(f"{column} = ?")
            params.append(value)
    return "FROM records WHERE " + " AND ".join(parts), params


def expected_payload(con: duckdb.DuckDBPyConnection, axes: Axes, combo: Combo, top_n: int) -> dict:
    base, params = where_sql(axes, combo)

    def rows(sql: str) -> list[tuple]:
        return con.execute(sql, params).fetchall()

    n = rows(f"SELECT count(*) {base}")[0][0]
    years = axes.years[combo.first : combo.last + 1]
    by_year = dict(rows(f"SELECT year, count(*) {base} GROUP BY year"))
    by_month = dict(
        rows(
            f"SELECT year::INTEGER * 100 + month(date_registered), count(*) {base} AND date_registered IS NOT NULL GROUP BY 1"
        )
    )
    by_type = dict(rows(f"SELECT coalesce(object_type, '{NONE}'), count(*) {base} GROUP BY 1"))
    by_office = dict(rows(f"SELECT coalesce(office_code, '{NONE}'), count(*) {base} GROUP BY 1"))
    by_district = dict(rows(f"SELECT coalesce(district, '{NONE}'), count(*) {base} GROUP BY 1"))
    payload = {
        "n": n,
        "distinct": list(
            rows(
                f"SELECT count(DISTINCT expert_org_id), count(DISTINCT applicant_id), "
                f"count(DISTINCT office_code) {base}"
            )[0]
        ),
        "year": [by_year.get(y, 0) for y in years],
        "month": [by_month.get(y * 100 + m, 0) for y in years for m in range(1, 13)],
        "nodate": rows(f"SELECT count(*) {base} AND date_registered IS NULL")[0][0],
        "type": [by_type.get(t, 0) for t in axes.types],
        "district": [by_district.get(d, 0) for d in axes.districts],
        "office": [by_office.get(o, 0) for o in axes.offices],
        "top": {},
        "hist": {},
    }
    for role, column in ROLE_COLUMNS.items():
        counted = f"SELECT {column} AS id, count(*) AS c {base} AND {column} IS NOT NULL GROUP BY 1"
        top = rows(f"SELECT id, c, rank() OVER (ORDER BY c DESC) FROM ({counted}) ORDER BY c DESC, id")
        everything = f"""SELECT {column} AS id, rank() OVER (ORDER BY count(*) DESC) AS r FROM records
                         WHERE excluded_date IS NULL AND {column} IS NOT NULL GROUP BY 1"""
        static = dict(con.execute(everything).fetchall())
        payload["top"][role] = [
            [i, f"{'ООО' if role == 'expert' else 'АО'} «{i}»", c, r, round(c / n, 5), static[i]]
            for i, c, r in top[:top_n]
        ]
        hist = rows(f"SELECT c, count(*) FROM ({counted}) GROUP BY c ORDER BY c DESC")
        payload["hist"][role] = [v for pair in hist for v in pair]
    return payload


def org_counts_sql(con: duckdb.DuckDBPyConnection, axes: Axes, combo: Combo, column: str) -> dict[str, tuple]:
    base, params = where_sql(axes, combo)
    sql = (
        f"SELECT id, c, rank() OVER (ORDER BY c DESC) FROM "
        f"(SELECT {column} AS id, count(*) AS c {base} AND {column} IS NOT NULL GROUP BY 1)"
    )
    return {i: (c, r) for i, c, r in con.execute(sql, params).fetchall()}


def load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


# ---------------------------------------------------------------------------------------------
# Arithmetic


def test_competition_ranks_share_a_rank_and_skip_the_next() -> None:
    assert competition_ranks(np.array([5, 3, 3, 1, 0, 3])).tolist() == [1, 2, 2, 5, 0, 2]


def test_rank_counts_orders_ties_by_id_and_cuts_at_n() -> None:
    orgs = np.array([4, 0, 2, 7, 5, 9])
    counts = np.array([3, 1, 3, 5, 3, 0])
    ranking = rank_counts(orgs, counts, top_n=3)
    assert ranking.top.tolist() == [7, 2, 4]
    assert ranking.top_counts.tolist() == [5, 3, 3]
    assert ranking.top_ranks.tolist() == [1, 2, 2]
    assert ranking.hist_counts.tolist() == [5, 3, 1]
    assert ranking.hist_orgs.tolist() == [1, 3, 1]
    assert ranking.distinct == 5
    full = rank_counts(orgs, counts, top_n=10)
    assert full.top.tolist() == [7, 2, 4, 5, 0]
    assert full.top_ranks.tolist() == [1, 2, 2, 2, 5]


def test_dynamic_rank_from_histogram() -> None:
    hist = [9, 1, 4, 3, 2, 5]
    assert [dynamic_rank(hist, c) for c in (9, 4, 3, 2, 1, 0)] == [1, 2, 5, 5, 10, None]


def test_safe_key_transliterates_type_codes() -> None:
    assert [safe_key(c) for c in ("ТУ", "ОБ", "ЗС", "ИД", NONE, "CFD")] == [
        "tu",
        "ob",
        "zs",
        "id",
        "none",
        "CFD",
    ]


# ---------------------------------------------------------------------------------------------
# Precomputed answers equal DuckDB


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_sampled_combinations_equal_duckdb(tmp_path: Path, seed: int) -> None:
    db = make_db(tmp_path / "r.duckdb", random_records(seed))
    out = tmp_path / "rank"
    top_n = 5
    report = build_rankings(db, out, top_n=top_n, quiet=True)
    manifest = load(out / "manifest.json")
    axes = axes_from_manifest(manifest)
    assert axes.years == (2015, 2016, 2018, 2019)
    assert axes.types == ("ТУ", "ЗС", "ОБ", "ДП", NONE)
    assert axes.districts == ("CFD", "NWFD", "VFD", NONE)
    assert axes.offices == ("mos", "cntr", "szap", "zural", NONE)
    combos = list(axes.combos())
    assert report.combinations == len(combos) == 10 * 6 * (1 + 4 + 5)
    indexes = {
        role: OrgIndex(out, "active", role, manifest["variants"]["active"]["orgs"][role]["first_ids"])
        for role in ROLE_COLUMNS
    }
    rng = random.Random(seed)
    con = duckdb.connect(str(db), read_only=True)
    for combo in rng.sample(combos, 60) + [Combo(0, 3, None, Region("all"))]:
        got = load(out / "active" / combo.path(axes))
        assert got == expected_payload(con, axes, combo, top_n), combo
        for role, column in ROLE_COLUMNS.items():
            for org_id, (count, rank) in org_counts_sql(con, axes, combo, column).items():
                cells = indexes[role].entry(org_id)[4]
                assert org_count(cells, axes, combo) == count
                assert dynamic_rank(got["hist"][role], count) == rank
    con.close()
    assert check_rankings(db, out, samples=40, seed=seed) == []


def test_static_rank_and_shards(tmp_path: Path) -> None:
    rows = [record(2016, "B")] * 3 + [record(2017, "A")] * 3 + [record(2017, "C")] + [record(2016, None)]
    db = make_db(tmp_path / "r.duckdb", rows)
    build_rankings(db, tmp_path / "rank", quiet=True)
    shard = load(tmp_path / "rank/active/o/expert/0.json")
    # [id, name, static count, static rank, [cell, count, …]]; cell = (year * types + type) * offices + office
    assert shard == [
        ["A", "ООО «A»", 3, 1, [1, 3]],
        ["B", "ООО «B»", 3, 1, [0, 3]],
        ["C", "ООО «C»", 1, 3, [1, 1]],
    ]
    manifest = load(tmp_path / "rank/manifest.json")
    assert manifest["variants"]["active"]["orgs"]["expert"] == {"count": 3, "first_ids": ["A"]}
    assert [o["code"] for o in manifest["offices"]] == ["mos"]


def test_excluded_records_are_not_counted(tmp_path: Path) -> None:
    rows = [record(2016, "A"), record(2016, "A", excluded=True), record(2016, "B", excluded=True)]
    db = make_db(tmp_path / "r.duckdb", rows)
    build_rankings(db, tmp_path / "rank", quiet=True)
    got = load(tmp_path / "rank/active/c/2016-2016/all/all.json")
    assert (got["n"], got["distinct"], got["top"]["expert"]) == (
        1,
        [1, 0, 1],
        [["A", "ООО «A»", 1, 1, 1.0, 1]],
    )


def test_empty_combination_has_empty_lists(tmp_path: Path) -> None:
    rows = [record(2016, "A", office="mos"), record(2017, "B", office="szap", type_="ОБ")]
    db = make_db(tmp_path / "r.duckdb", rows)
    build_rankings(db, tmp_path / "rank", quiet=True)
    got = load(tmp_path / "rank/active/c/2016-2016/ob/o-szap.json")
    assert got == {
        "n": 0,
        "distinct": [0, 0, 0],
        "year": [0],
        "month": [0] * 12,
        "nodate": 0,
        "type": [0, 0],
        "district": [0, 0],
        "office": [0, 0],
        "top": {"expert": [], "applicant": []},
        "hist": {"expert": [], "applicant": []},
    }
    assert check_rankings(tmp_path / "r.duckdb", tmp_path / "rank") == []


def test_ties_in_top_list(tmp_path: Path) -> None:
    counts = {"D": 2, "C": 4, "A": 2, "B": 4, "E": 1, "F": 2}
    rows = [record(2016, org) for org, n in counts.items() for _ in range(n)]
    db = make_db(tmp_path / "r.duckdb", rows)
    build_rankings(db, tmp_path / "rank", top_n=4, quiet=True)
    got = load(tmp_path / "rank/active/c/2016-2016/all/all.json")
    assert [row[:4] for row in got["top"]["expert"]] == [
        ["B", "ООО «B»", 4, 1],
        ["C", "ООО «C»", 4, 1],
        ["A", "ООО «A»", 2, 3],
        ["D", "ООО «D»", 2, 3],
    ]
    assert got["hist"]["expert"] == [4, 2, 2, 3, 1, 1]
    assert dynamic_rank(got["hist"]["expert"], 1) == 6


def test_display_names_come_from_organizations_table(tmp_path: Path) -> None:
    rows = [record(2016, "A", expert_name="ооо ромашка")] * 2 + [
        record(2016, "A", expert_name="ООО «Ромашка»")
    ]
    organizations = [("A", "expert_org", "ООО «Ромашка» (по лицензии)"), ("A", "applicant", "не то")]
    build_rankings(make_db(tmp_path / "a.duckdb", rows), tmp_path / "a", quiet=True)
    build_rankings(make_db(tmp_path / "b.duckdb", rows, organizations), tmp_path / "b", quiet=True)
    top = "active/c/2016-2016/all/all.json"
    # the most frequent spelling, shown with its legal form as the code (openepb.publish.names)
    assert load(tmp_path / "a" / top)["top"]["expert"][0][1] == "ООО ромашка"
    assert load(tmp_path / "b" / top)["top"]["expert"][0][1] == "ООО «Ромашка» (по лицензии)"


def test_empty_store_writes_an_empty_manifest(tmp_path: Path) -> None:
    report = build_rankings(make_db(tmp_path / "r.duckdb", []), tmp_path / "rank", quiet=True)
    manifest = load(tmp_path / "rank/manifest.json")
    assert (report.combinations, manifest["years"], manifest["types"]) == (0, [], [])
    assert manifest["variants"]["active"]["orgs"]["expert"] == {"count": 0, "first_ids": []}
    assert check_rankings(tmp_path / "r.duckdb", tmp_path / "rank") == []


def test_check_reports_a_tampered_file(tmp_path: Path) -> None:
    db = make_db(tmp_path / "r.duckdb", random_records(7, n=200))
    out = tmp_path / "rank"
    build_rankings(db, out, quiet=True)
    path = out / "active/c/2015-2019/all/all.json"
    payload = load(path)
    payload["n"] += 1
    payload["top"]["expert"][0][2] -= 1
    path.write_text(json.dumps(payload, ensure_ascii=False), encoding="utf-8")
    errors = check_rankings(db, out, samples=5)
    assert len(errors) == 2
    assert errors[0].startswith("c/2015-2019/all/all.json: n ")
    assert "TOP-30 expert" in errors[1]


def test_rebuild_removes_stale_files(tmp_path: Path) -> None:
    out = tmp_path / "rank"
    build_rankings(make_db(tmp_path / "a.duckdb", [record(2016, "A"), record(2017, "A")]), out, quiet=True)
    assert (out / "active/c/2016-2017/all/all.json").exists()
    build_rankings(make_db(tmp_path / "b.duckdb", [record(2017, "A")]), out, quiet=True)
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*.json")) == [
        "active/c/2017-2017/all/all.json",
        "active/c/2017-2017/all/d-CFD.json",
        "active/c/2017-2017/all/o-mos.json",
        "active/c/2017-2017/tu/all.json",
        "active/c/2017-2017/tu/d-CFD.json",
        "active/c/2017-2017/tu/o-mos.json",
        "active/m/expert/all.json",
        "active/m/expert/tu.json",
        "active/o/expert/0.json",
        "manifest.json",
    ]
    assert not list(out.rglob("*.tmp"))


# ---------------------------------------------------------------------------------------------
# The paper's TOP-30 tables with rank movement


RL, GMP = "russkaya-laboratoriya", "gazmashproekt"
NTC, TECH = "ntc-pb", "tehinnovaciya"
PAPER_COUNTS = {  # org → {year: count} of technical devices (ТУ)
    RL: {2015: 1266, 2016: 2267, 2017: 10398},
    GMP: {2015: 1210, 2016: 5396, 2017: 10113},
    **{f"f{i:02d}": {2015: 1300 + 10 * i, 2016: 2300 + 10 * i, 2017: 1000 + i} for i in range(16)},
    **{f"g{i}": {2015: 1290 + i} for i in range(4)},  # 2015: 20 ahead of RL
    **{f"h{i}": {2015: 1220 + i} for i in range(3)},  # 2015: 24 ahead of GMP
    **{f"z{i:02d}": {y: 500 + i for y in (2015, 2016, 2017)} for i in range(15)},  # more than 30 each year
}
PAPER_SAFETY_CASES = {  # org → {year: count} of safety cases (ОБ)
    NTC: {2015: 60, 2016: 70, 2017: 80},
    TECH: {2017: 90},
    **{f"z{i:02d}": {2015: 5 + i, 2016: 5 + i, 2017: 5 + i} for i in range(15)},
}


def plant_paper_fixture(path: Path) -> None:
    store = StoreWriter(path)
    rows = [(org, year, n, "ТУ") for org, years in PAPER_COUNTS.items() for year, n in years.items()]
    rows += [(org, year, n, "ОБ") for org, years in PAPER_SAFETY_CASES.items() for year, n in years.items()]
    store.con.execute("CREATE TEMP TABLE planted (org VARCHAR, year SMALLINT, n INTEGER, t VARCHAR)")
    store.con.executemany("INSERT INTO planted VALUES (?, ?, ?, ?)", rows)
    store.con.execute(
        """INSERT INTO records (office_code, district, year, object_type, expert_org_id, expert_org_name)
           SELECT 'mos', 'CFD', year, t, org, 'ООО «' || org || '»' FROM planted, range(n)"""
    )
    store.close()


def row(org: str, count: int, rank: int, earlier: list) -> list:
    return [org, f"ООО «{org}»", count, rank, earlier]


def test_paper_rank_movement(tmp_path: Path) -> None:
    """«Русская лаборатория» 21 → 18 → 1, ГАЗМАШПРОЕКТ 25 → 1 → 2 (all types, 2015–2017)."""
    plant_paper_fixture(tmp_path / "p.duckdb")
    build_rankings(tmp_path / "p.duckdb", tmp_path / "rank", quiet=True)
    movement = load(tmp_path / "rank/active/m/expert/all.json")
    assert movement["years"] == [2015, 2016, 2017]
    t2015, t2016, t2017 = movement["top"]
    assert [len(t) for t in movement["top"]] == [30, 30, 30]
    assert t2015[20] == row(RL, 1266, 21, [])
    assert t2015[24] == row(GMP, 1210, 25, [])
    assert t2016[0] == row(GMP, 5396, 1, [[25, 1210]])
    assert t2016[17] == row(RL, 2267, 18, [[21, 1266]])
    assert t2017[:2] == [
        row(RL, 10398, 1, [[21, 1266], [18, 2267]]),
        row(GMP, 10113, 2, [[25, 1210], [1, 5396]]),
    ]
    assert check_rankings(tmp_path / "p.duckdb", tmp_path / "rank", samples=10) == []


def test_paper_safety_case_movement(tmp_path: Path) -> None:
    """ОБ: НТЦ «Промышленная безопасность» first in 2015 and 2016, second in 2017 behind a newcomer."""
    plant_paper_fixture(tmp_path / "p.duckdb")
    build_rankings(tmp_path / "p.duckdb", tmp_path / "rank", quiet=True)
    t2015, t2016, t2017 = load(tmp_path / "rank/active/m/expert/ob.json")["top"]
    assert t2015[:2] == [row(NTC, 60, 1, []), row("z14", 19, 2, [])]
    assert t2016[0] == row(NTC, 70, 1, [[1, 60]])
    assert t2017[:3] == [
        row(TECH, 90, 1, [None, None]),
        row(NTC, 80, 2, [[1, 60], [1, 70]]),
        row("z14", 19, 3, [[2, 19], [2, 19]]),
    ]
    assert [len(t) for t in (t2015, t2016, t2017)] == [16, 16, 17]


def test_rank_columns_equals_rank_counts_column_by_column() -> None:
    rng = np.random.default_rng(7)
    orgs = np.sort(rng.choice(500, size=80, replace=False))
    counts = rng.integers(0, 6, size=(80, 25)) * (rng.random((80, 25)) < 0.6)
    counts[:, 3] = 0  # a filter nobody is in
    for top_n in (1, 5, 200):
        columns = rank_columns(orgs, counts, top_n)
        for c in range(counts.shape[1]):
            one = rank_counts(orgs, counts[:, c], top_n)
            assert columns.top[c] == one.top.tolist()
            assert columns.top_counts[c] == one.top_counts.tolist()
            assert columns.top_ranks[c] == one.top_ranks.tolist()
            pairs = zip(one.hist_counts, one.hist_orgs, strict=True)
            assert columns.hist[c] == [int(v) for pair in pairs for v in pair]
            assert columns.distinct[c] == one.distinct
    empty = rank_columns(np.array([], dtype=np.int64), np.zeros((0, 3), dtype=np.int64), 5)
    assert empty.distinct == [0, 0, 0] and empty.top == [[], [], []] and empty.hist == [[], [], []]


def test_rebuild_rewrites_only_the_files_that_changed(tmp_path: Path) -> None:
    out = tmp_path / "rank"
    rows = [record(2016, "A", "X"), record(2017, "B", "Y", office="szap"), record(2017, "A", "Y")]
    first = build_rankings(make_db(tmp_path / "a.duckdb", rows), out, quiet=True)
    assert first.changed == first.files
    before = {p: p.stat().st_ino for p in out.rglob("*.json")}
    again = build_rankings(make_db(tmp_path / "b.duckdb", rows), out, quiet=True)
    assert again.changed == 0
    assert {p: p.stat().st_ino for p in out.rglob("*.json")} == before
    rows[1] = record(2017, "B", "Y", office="szap", month=5)  # another month, in one office and year
    moved = build_rankings(make_db(tmp_path / "c.duckdb", rows), out, quiet=True)
    rewritten = {p.relative_to(out).as_posix() for p in before if p.stat().st_ino != before[p]}
    assert len(rewritten) == moved.changed > 0
    assert "active/c/2016-2016/all/all.json" not in rewritten  # 2016 alone did not change
    assert "active/c/2017-2017/all/o-szap.json" in rewritten
    assert "active/c/2016-2017/tu/o-mos.json" not in rewritten
    fresh = tmp_path / "fresh"
    build_rankings(tmp_path / "c.duckdb", fresh, quiet=True)
    for path in out.rglob("*.json"):
        assert path.read_bytes() == (fresh / path.relative_to(out)).read_bytes()
