"""Entity resolution: name keys per rule, strong keys, aliases, stable ids, candidates, scoring."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import duckdb
import pytest

from openepb.licences import LicenceEntry
from openepb.resolve import (
    match_key,
    name_key,
    pairwise_scores,
    resolve_database,
    stable_id,
    write_review_files,
)
from openepb.store import TABLES

# --------------------------------------------------------------------------------------------------
# name_key, one rule at a time
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spelling", "key"),
    [
        # legal form long / short
        ('Общество с ограниченной ответственностью "Русская лаборатория"', "русская лаборатория"),
        ("ООО «Русская лаборатория»", "русская лаборатория"),
        ("Закрытое акционерное общество «Ромашка»", "ромашка"),
        ("Публичное акционерное общество «Газпром»", "газпром"),
        # legal form after the name, in brackets
        ("«Ромашка» ООО", "ромашка"),
        ("Ромашка (ООО)", "ромашка"),
        ("Ромашка, общество с ограниченной ответственностью", "ромашка"),
        # quotes of every kind, nested
        ("ООО «НПФ «Русская лаборатория»»", "нпф русская лаборатория"),
        ('ООО "НПФ "Русская лаборатория""', "нпф русская лаборатория"),
        ("ООО “Ромашка”", "ромашка"),
        ("ООО 'Ромашка'", "ромашка"),
        ("ООО „Ромашка“", "ромашка"),
        # case
        ('ЗАО НДЦ НПФ "РУССКАЯ ЛАБОРАТОРИЯ"', "ндц нпф русская лаборатория"),
        ("ооо ромашка", "ромашка"),
        # doubled and odd spaces
        ("ООО  «Русская\u00a0\u00a0лаборатория »", "русская лаборатория"),
        # Latin look-alike letters
        ('OOO "Ромашка"', "ромашка"),
        ("ЗAO «Ромашка»", "ромашка"),
        ("ООО «TEXHOЭКСПЕРТ»", "техноэксперт"),
        ("000 «Ромашка»", "ромашка"),
        # punctuation
        ("ООО «Ромашка».", "ромашка"),
        ("ООО, «Ромашка»", "ромашка"),
        ("ООО «Кран-Сервис»", "кран сервис"),
        # city suffixes
        ('ООО "Ромашка" (г. Москва)', "ромашка"),
        ("ООО «Ромашка», г. Нижний Новгород", "ромашка"),
        ("ООО «Ромашка» г.Санкт-Петербург", "ромашка"),
        # ё
        ("АО «Ёлка»", "елка"),
        # kind-of-organization abbreviations are part of the name
        ("НТЦ «Промэксперт»", "нтц промэксперт"),
        # what must stay
        ("ООО «SGS Восток»", "sgs восток"),
        ("ООО «Газпром трансгаз Москва»", "газпром трансгаз москва"),
        ("ООО", "ооо"),
        ("", ""),
    ],
)
def test_name_key_rules(spelling: str, key: str) -> None:
    assert name_key(spelling) == key


def test_spacing_is_not_a_distinction() -> None:
    assert match_key("ООО «Техно-Эксперт»") == match_key("ООО «ТехноЭксперт»") == "техноэксперт"


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("ООО «Промэксперт»", "ООО «Промэкспертиза»"),
        ("ООО «ТехноЭксперт»", "ООО «ТехЭксперт»"),
        ("ООО «Ромашка»", "ООО «Ромашка-2»"),
    ],
)
def test_near_homonyms_have_different_keys(a: str, b: str) -> None:
    assert match_key(a) != match_key(b)


def test_stable_id_format_and_value() -> None:
    assert stable_id("expert", "licence:ДЭ-00-000001") == "e-qmffabme46"
    assert stable_id("applicant", "inn:7736050003").startswith("a-")
    assert len(stable_id("applicant", "name:ромашка")) == 12


# --------------------------------------------------------------------------------------------------
# The database
# --------------------------------------------------------------------------------------------------

COLUMNS = (
    "reg_number",
    "office_code",
    "expert_org_name",
    "licence_number",
    "applicant_name",
    "applicant_inn",
)


def make_db(rows: list[tuple[str | None, ...]]) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    cols = ", ".join(f'"{c}" {t}' for c, t in TABLES["records"])
    con.execute(f"CREATE TABLE records ({cols})")
    con.executemany(f"INSERT INTO records ({', '.join(COLUMNS)}) VALUES (?, ?, ?, ?, ?, ?)", rows)
    return con


def ids(con: duckdb.DuckDBPyConnection, column: str = "expert_org_id") -> dict[str, str | None]:
    return dict(con.execute(f"SELECT reg_number, {column} FROM records ORDER BY reg_number").fetchall())


def write_aliases(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "aliases.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def no_aliases(tmp_path: Path) -> Path:
    return write_aliases(tmp_path, "merge: []\nkeep_apart: []\n")


def expert(reg: str, name: str | None, licence: str | None = None, office: str = "msk") -> tuple:
    return (reg, office, name, licence, None, None)


def applicant(reg: str, name: str | None, inn: str | None = None, office: str = "msk") -> tuple:
    return (reg, office, None, None, name, inn)


def test_spellings_of_one_organization_get_one_id(tmp_path: Path) -> None:
    con = make_db(
        [
            expert("1", "ООО «НПФ «Русская лаборатория»»"),
            expert("2", 'Общество с ограниченной ответственностью "НПФ "Русская лаборатория""'),
            expert("3", "«НПФ «РУССКАЯ ЛАБОРАТОРИЯ»» ЗАО"),
            expert("4", "ООО «Промэксперт»"),
            expert("5", "ООО «Промэкспертиза»"),
        ]
    )
    report = resolve_database(con, aliases_path=no_aliases(tmp_path))
    got = ids(con)
    assert got["1"] == got["2"] == got["3"] == stable_id("expert", "name:нпфрусскаялаборатория")
    assert len({got["1"], got["4"], got["5"]}) == 3
    assert (report.expert_orgs, report.expert_spellings, report.applicants) == (3, 5, 0)


def test_names_differing_by_a_kind_abbreviation_are_suggested_not_merged(tmp_path: Path) -> None:
    con = make_db(
        [
            expert("1", "ЗАО НДЦ НПФ «Русская лаборатория»"),
            expert("2", "ЗАО «НПФ «Русская лаборатория»»"),
            expert("3", "НТЦ «Промэксперт»"),
            expert("4", "ИЦ «Промэксперт»", "ДЭ-00-000004"),
        ]
    )
    resolve_database(con, aliases_path=no_aliases(tmp_path))
    got = ids(con)
    assert len(set(got.values())) == 4
    rows = con.execute("SELECT id_a, id_b, score, reason FROM merge_candidates ORDER BY score").fetchall()
    reason = "названия различаются только сокращением вида организации (НПФ, НТЦ…)"
    assert rows == [
        (*sorted([got["3"], got["4"]]), 89.7, reason),
        (*sorted([got["1"], got["2"]]), 92.0, reason),
    ]


def test_same_licence_is_one_organization_two_licences_are_two(tmp_path: Path) -> None:
    con = make_db(
        [
            expert("1", "ООО «Альфа»", "ДЭ-00-000001"),
            expert("2", "ООО «Альфа-Эксперт»", "ДЭ-00-000001"),
            expert("3", "ООО «Бета»", "ДЭ-00-000002"),
            expert("4", "ООО «Бета»", "ДЭ-00-000003"),
        ]
    )
    resolve_database(con, aliases_path=no_aliases(tmp_path))
    got = ids(con)
    assert got["1"] == got["2"] == stable_id("expert", "licence:ДЭ-00-000001")
    assert got["3"] == stable_id("expert", "licence:ДЭ-00-000002")
    assert got["4"] == stable_id("expert", "licence:ДЭ-00-000003")
    pairs = con.execute("SELECT id_a, id_b, reason FROM merge_candidates").fetchall()
    assert pairs == [(*sorted([got["3"], got["4"]]), "одно название, разные лицензии")]


def test_licence_less_rows_join_the_one_licence_of_their_name(tmp_path: Path) -> None:
    con = make_db(
        [
            expert("1", "ООО «Альфа»", "ДЭ-00-000001"),
            expert("2", "Альфа ООО"),
            expert("3", "ООО «Бета»", "ДЭ-00-000002"),
            expert("4", "ООО «Бета»", "ДЭ-00-000003"),
            expert("5", "«Бета» ООО"),
        ]
    )
    report = resolve_database(con, aliases_path=no_aliases(tmp_path))
    got = ids(con)
    assert got["2"] == got["1"]
    assert got["5"] == stable_id("expert", "name:бета")  # ambiguous: kept apart from both licences
    assert report.ambiguous_names == 1
    listed = con.execute(
        "SELECT id_a, id_b FROM merge_candidates WHERE reason LIKE 'название без лицензии%' ORDER BY 1, 2"
    ).fetchall()
    assert listed == sorted(tuple(sorted([got["5"], got[k]])) for k in ("3", "4"))


def test_inn_is_the_strong_key_of_applicants(tmp_path: Path) -> None:
    con = make_db(
        [
            applicant("1", 'ПАО "Газпром"', "7736050003"),
            applicant("2", "ОАО «Газпром»", "7736050003"),
            applicant("3", "Газпром"),
            applicant("4", "МУП «Водоканал»", "1234567890"),
            applicant("5", "МУП «Водоканал»", "1234567891"),
            applicant("6", "МУП Водоканал", "12345"),  # not an INN: a name-only row
        ]
    )
    report = resolve_database(con, aliases_path=no_aliases(tmp_path))
    got = ids(con, "applicant_id")
    assert got["1"] == got["2"] == got["3"] == stable_id("applicant", "inn:7736050003")
    assert len({got["4"], got["5"], got["6"]}) == 3
    assert got["6"] == stable_id("applicant", "name:водоканал")
    assert (report.applicants, report.expert_orgs) == (4, 0)


def test_near_homonyms_are_never_merged(tmp_path: Path) -> None:
    con = make_db(
        [
            expert("1", "ООО «Промэксперт»"),
            expert("2", "ООО «Промэкспертиза»"),
            expert("3", "ООО «ТехноЭксперт»"),
            expert("4", "ООО «ТехЭксперт»"),
            expert("5", "ООО «Промэксперт»", "ДЭ-00-000005"),
        ]
    )
    resolve_database(con, aliases_path=no_aliases(tmp_path))
    got = ids(con)
    assert got["1"] == got["5"]
    assert len({got["1"], got["2"], got["3"], got["4"]}) == 4


def test_typos_are_only_suggested(tmp_path: Path) -> None:
    con = make_db([expert("1", "ООО «Русская лаборатория»"), expert("2", "ООО «Руская лаборатория»")])
    resolve_database(con, aliases_path=no_aliases(tmp_path))
    got = ids(con)
    assert got["1"] != got["2"]
    rows = con.execute("SELECT role, name_a, name_b, score, reason FROM merge_candidates").fetchall()
    names = {"ООО «Русская лаборатория»", "ООО «Руская лаборатория»"}
    assert len(rows) == 1
    role, name_a, name_b, score, reason = rows[0]
    assert (role, {name_a, name_b}, reason) == ("expert", names, "похожие названия")
    assert score == 97.1


def test_names_with_different_numbers_are_not_suggested(tmp_path: Path) -> None:
    con = make_db(
        [
            expert("1", "ООО «Шахта Воронеж»"),
            expert("2", "ООО «Шахта Воронеж-3»"),
            expert("3", "ООО «Шахта Воронеж-4»"),
        ]
    )
    resolve_database(con, aliases_path=no_aliases(tmp_path))
    assert len(set(ids(con).values())) == 3
    assert con.execute("SELECT count(*) FROM merge_candidates").fetchone() == (0,)


def test_aliases_merge_what_the_rules_keep_apart(tmp_path: Path) -> None:
    con = make_db(
        [
            expert("1", "ООО «Русская лаборатория»"),
            expert("2", "ООО «Руслаб»"),
            expert("3", "ООО «Гамма»", "ДЭ-00-000007"),
        ]
    )
    rule_id = stable_id("expert", "licence:ДЭ-00-000007")
    aliases = write_aliases(
        tmp_path,
        f'merge:\n  - ["Русская лаборатория ООО", "ООО \\"РУСЛАБ\\""]\n  - ["ООО «Руслаб»", {rule_id}]\nkeep_apart: []\n',
    )
    report = resolve_database(con, aliases_path=aliases)
    got = ids(con)
    assert got["1"] == got["2"] == got["3"] == stable_id("expert", "name:русскаялаборатория")
    assert report.alias_merges == 2
    assert con.execute("SELECT count(*) FROM organizations").fetchone() == (1,)


def test_aliases_keep_apart_what_the_rules_merge(tmp_path: Path) -> None:
    con = make_db(
        [
            expert("1", "ООО «Ромашка» (г. Москва)"),
            expert("2", "АО «Ромашка» (г. Казань)"),
            expert("3", "ООО «Альфа»", "ДЭ-00-000001"),
            expert("4", "ООО «Омега»", "ДЭ-00-000001"),
        ]
    )
    aliases = write_aliases(
        tmp_path,
        'merge: []\nkeep_apart:\n  - ["ООО «Ромашка» (г. Москва)", "ао «ромашка»  (г. Казань)"]\n'
        '  - ["ООО «Альфа»", "ООО «Омега»"]\n',
    )
    report = resolve_database(con, aliases_path=aliases)
    got = ids(con)
    assert got["1"] == stable_id("expert", "name:ромашка")
    assert got["2"] == stable_id("expert", "apart:ао «ромашка» (г. казань)")
    assert got["3"] == stable_id("expert", "licence:ДЭ-00-000001")
    assert got["4"] == stable_id("expert", "apart:ооо «омега»")
    assert report.alias_splits == 2


def test_ids_do_not_depend_on_row_order_or_extra_rows(tmp_path: Path) -> None:
    rows = [
        expert("1", "ООО «Альфа»", "ДЭ-00-000001", "msk"),
        expert("2", "Альфа ООО", None, "vdon"),
        expert("3", "ООО «Бета»", None, "msk"),
        applicant("4", "ПАО «Газпром»", "7736050003"),
        applicant("5", "Газпром"),
    ]
    first = make_db(rows)
    resolve_database(first, aliases_path=no_aliases(tmp_path))
    again = make_db(list(reversed(rows)))
    resolve_database(again, aliases_path=no_aliases(tmp_path))
    more = make_db([*rows, expert("6", "ООО «Дельта»"), applicant("7", "ООО «Дельта»", "7701234567")])
    resolve_database(more, aliases_path=no_aliases(tmp_path))
    for column in ("expert_org_id", "applicant_id"):
        base = ids(first, column)
        assert ids(again, column) == base
        assert {k: v for k, v in ids(more, column).items() if k in base} == base
    orgs = "SELECT * FROM organizations ORDER BY id"
    assert first.execute(orgs).fetchall() == again.execute(orgs).fetchall()


def test_organizations_table_and_licence_register(tmp_path: Path) -> None:
    con = make_db(
        [
            expert("1", "ООО «Альфа»", "ДЭ-00-000001", "vdon"),
            expert("2", "ООО «Альфа»", "ДЭ-00-000001", "msk"),
            expert("3", "Альфа ООО", None, "msk"),
            expert("4", "ООО «Бета-Контроль»", None, "msk"),
        ]
    )
    register = [
        LicenceEntry("ДЭ-00-000001", "действующая", date(2007, 10, 4), "ООО «АЛЬФА»", "7701234567", "Москва"),
        LicenceEntry(
            "ДЭ-00-000009", "прекращена", date(2012, 1, 1), "ООО «Бета Контроль»", "7709999999", None
        ),
    ]
    report = resolve_database(con, aliases_path=no_aliases(tmp_path), licences=register)
    got = ids(con)
    assert got["4"] == stable_id("expert", "licence:ДЭ-00-000009")  # attached through the register name
    rows = con.execute(
        "SELECT id, display_name, licence_number, licence_status, licence_date, licence_name, inn, records,"
        " spellings, offices FROM organizations ORDER BY licence_number"
    ).fetchall()
    assert rows[0] == (
        got["1"],
        "ООО «АЛЬФА»",
        "ДЭ-00-000001",
        "действующая",
        date(2007, 10, 4),
        "ООО «АЛЬФА»",
        "7701234567",
        3,
        json.dumps(
            [{"name": "ООО «Альфа»", "count": 2}, {"name": "Альфа ООО", "count": 1}], ensure_ascii=False
        ),
        '["msk", "vdon"]',
    )
    assert rows[1][2:4] == ("ДЭ-00-000009", "прекращена")
    assert report.licences_linked == 2


def test_display_name_is_the_most_frequent_spelling(tmp_path: Path) -> None:
    con = make_db([expert("1", "ООО «Бета»"), expert("2", "Бета ООО"), expert("3", "Бета ООО")])
    resolve_database(con, aliases_path=no_aliases(tmp_path))
    assert con.execute("SELECT display_name, records FROM organizations").fetchall() == [("Бета ООО", 3)]


def test_rows_without_a_name_get_no_id(tmp_path: Path) -> None:
    con = make_db([expert("1", None), (("2", "msk", None, "ДЭ-00-000001", None, None))])
    resolve_database(con, aliases_path=no_aliases(tmp_path))
    assert ids(con) == {"1": None, "2": stable_id("expert", "licence:ДЭ-00-000001")}


def test_review_files(tmp_path: Path) -> None:
    con = make_db(
        [
            expert("1", "ООО «Альфа»", "ДЭ-00-000001", "msk"),
            expert("2", "Альфа ООО", None, "vdon"),
            expert("3", "ООО «Альфаа»", None, "msk"),
        ]
    )
    resolve_database(con, aliases_path=no_aliases(tmp_path))
    write_review_files(con, tmp_path / "exports")
    orgs = (tmp_path / "exports" / "organizations.csv").read_bytes()
    assert orgs.startswith(b"\xef\xbb\xbf")
    lines = orgs.decode("utf-8-sig").splitlines()
    alpha = stable_id("expert", "licence:ДЭ-00-000001")
    assert (
        lines[0]
        == "id,role,display_name,licence_number,licence_status,licence_date,licence_name,inn,records,spellings,offices"
    )
    assert lines[1] == f"{alpha},expert,Альфа ООО,ДЭ-00-000001,,,,,2,Альфа ООО (1); ООО «Альфа» (1),msk; vdon"
    cands = (tmp_path / "exports" / "merge_candidates.csv").read_text(encoding="utf-8-sig").splitlines()
    other = stable_id("expert", "name:альфаа")
    a, b = sorted([alpha, other])
    name = {alpha: "Альфа ООО", other: "ООО «Альфаа»"}
    assert cands == [
        "role,id_a,name_a,id_b,name_b,score,reason",
        f"expert,{a},{name[a]},{b},{name[b]},90.9,похожие названия",
    ]
    assert not list((tmp_path / "exports").glob(".*"))


# --------------------------------------------------------------------------------------------------
# Scoring
# --------------------------------------------------------------------------------------------------


def test_pairwise_scores() -> None:
    truth = {"r1": "A", "r2": "A", "r3": "A", "r4": "B", "r5": "B", "r6": "C"}
    assert pairwise_scores(truth, truth) == (1.0, 1.0)
    # split A into {r1, r2} + {r3}: 1 of 3 A-pairs kept; nothing wrongly joined
    split = {**truth, "r3": "X"}
    assert pairwise_scores(split, truth) == (1.0, 2 / 4)
    # join B and C: pairs r4-r6, r5-r6 are wrong
    joined = {**truth, "r6": "B"}
    assert pairwise_scores(joined, truth) == (4 / 6, 1.0)
    # items only one side knows are ignored
    assert pairwise_scores({**truth, "extra": "A"}, truth) == (1.0, 1.0)
    assert pairwise_scores({"x": "1"}, {"x": "2"}) == (1.0, 1.0)
