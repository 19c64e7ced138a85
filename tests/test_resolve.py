"""Entity resolution: name keys per rule, strong keys, aliases, stable ids, candidates, scoring."""

from __future__ import annotations

import csv
import json
from datetime import date
from pathlib import Path

import duckdb
import pytest

from openepb.build.licences import LicenceEntry
from openepb.contract.tables import TABLES
from openepb.resolve.entities import (
    legal_forms,
    name_key,
    pairwise_scores,
    parse_name,
    resolve_database,
    stable_id,
    write_review_files,
)

# --------------------------------------------------------------------------------------------------
# parse_name, one rule at a time
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spelling", "form", "words", "marks"),
    [
        # legal form long / short, before / after / in brackets
        ('Общество с ограниченной ответственностью "Русская лаборатория"', "ООО", "русская лаборатория", ()),
        ("ООО «Русская лаборатория»", "ООО", "русская лаборатория", ()),
        ("Закрытое акционерное общество «Ромашка»", "ЗАО", "ромашка", ()),
        ("Публичное акционерное общество «Газпром»", "ПАО", "газпром", ()),
        ("Непубличное акционерное общество «Ромашка»", "НАО", "ромашка", ()),
        ("Унитарное муниципальное предприятие «Водоканал»", "МУП", "водоканал", ()),
        ("«Ромашка» ООО", "ООО", "ромашка", ()),
        ("Ромашка (ООО)", "ООО", "ромашка", ()),
        ("Ромашка, общество с ограниченной ответственностью", "ООО", "ромашка", ()),
        ("Ромашка", "", "ромашка", ()),
        # quotes of every kind, nested
        ("ООО «НПФ «Русская лаборатория»»", "ООО", "нпф русская лаборатория", ()),
        ('ООО "НПФ "Русская лаборатория""', "ООО", "нпф русская лаборатория", ()),
        ("ООО “Ромашка”", "ООО", "ромашка", ()),
        ("ООО „Ромашка“", "ООО", "ромашка", ()),
        # case, odd spaces, ё
        ('ЗАО НДЦ НПФ "РУССКАЯ ЛАБОРАТОРИЯ"', "ЗАО", "ндц нпф русская лаборатория", ()),
        ("ООО  «Русская\u00a0\u00a0лаборатория »", "ООО", "русская лаборатория", ()),
        ("АО «Ёлка»", "АО", "елка", ()),
        # Latin look-alike letters and digits for letters
        ('OOO "Ромашка"', "ООО", "ромашка", ()),
        ("ЗAO «Ромашка»", "ЗАО", "ромашка", ()),
        ("ООО «TEXHOЭКСПЕРТ»", "ООО", "техноэксперт", ()),
        ("000 «Ромашка»", "ООО", "ромашка", ()),
        ("ООО «Кран-Сервис»", "ООО", "кран сервис", ()),
        # settlements are distinguishing tokens
        ('МУП "Водоканал г. Пермь"', "МУП", "водоканал", ("г. пермь",)),
        ("МУП «Водоканал» г.Пермь", "МУП", "водоканал", ("г. пермь",)),
        ("МУП «Водоканал» (город Пермь)", "МУП", "водоканал", ("г. пермь",)),
        ("МУП «Теплосеть» г. Набережные Челны", "МУП", "теплосеть", ("г. набережные челны",)),
        ("«Водоканал» г. Нижний Новгород МУП", "МУП", "водоканал", ("г. нижний новгород",)),
        ("МУП ЖКХ р.п. Лесной", "МУП", "жкх", ("рп. лесной",)),
        ("МУП ЖКХ пгт Лесной", "МУП", "жкх", ("пгт. лесной",)),
        ("СПК «Заря» с. Красное", "СПК", "заря", ("с. красное",)),
        ("ООО «Заря» пос. Северный", "ООО", "заря", ("пос. северный",)),
        ("ООО «Рассвет» ст. Ленинградская", "ООО", "рассвет", ("ст. ленинградская",)),
        ("ООО «Кубань»", "ООО", "", ("регион 23",)),
        # «с» without a dot is a word, not a settlement
        ("Общество с ограниченной ответственностью «Заря»", "ООО", "заря", ()),
        # a federal city after «г.» is its region
        ("ГУП «Водоканал г. Москва»", "ГУП", "водоканал", ("регион 77",)),
        ("ГУП «Водоканал» Москвы", "ГУП", "водоканал", ("регион 77",)),
        # region names, in any case
        ("ГУП «Водоканал Пермского края»", "ГУП", "водоканал", ("регион 59",)),
        ("ГУП «Водоканал» Пермский край", "ГУП", "водоканал", ("регион 59",)),
        ("ГУП «Крымэнерго» Республики Крым", "ГУП", "крымэнерго", ("регион 91",)),
        # numbers
        ("ДРСУ № 2", "", "дрсу", ("№ 2",)),
        ("ДРСУ №02", "", "дрсу", ("№ 2",)),
        ("ДРСУ-2", "", "дрсу", ("№ 2",)),
        ("ПМК-88", "", "пмк", ("№ 88",)),
        ("АО «Шахта 7»", "АО", "шахта", ("№ 7",)),
        ("ООО «Ромашка-2»", "ООО", "ромашка", ("№ 2",)),
        # branches
        ("Филиал ПАО «Россети Урал» — «Пермэнерго»", "ПАО", "россети урал пермэнерго", ("филиал",)),
        # what must stay
        ("ООО «SGS Восток»", "ООО", "sgs восток", ()),
        ("НТЦ «Промэксперт»", "", "нтц промэксперт", ()),
    ],
)
def test_parse_name_rules(spelling: str, form: str, words: str, marks: tuple[str, ...]) -> None:
    parts = parse_name(spelling)
    assert (parts.form, " ".join(parts.words), parts.marks) == (form, words, marks)


def test_name_key_is_form_words_and_tokens() -> None:
    assert name_key("ООО «Техно-Эксперт»") == name_key("ООО «ТехноЭксперт»") == "ООО:техноэксперт"
    assert name_key('МУП "Водоканал г. Пермь"') == "МУП:водоканал/г. пермь"
    assert name_key("ДРСУ № 2 г. Пермь") == ":дрсу/г. пермь/№ 2"
    assert name_key("") == name_key(None) == ""


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("ООО «Промэксперт»", "ООО «Промэкспертиза»"),
        ("ООО «ТехноЭксперт»", "ООО «ТехЭксперт»"),
        ("ООО «Ромашка»", "ООО «Ромашка-2»"),
        ('МУП "Водоканал г. Пермь"', "МУП «Водоканал» г. Тамбов"),
        ('МУП "Водоканал г. Пермь"', 'ГУП "Водоканал г. Пермь"'),
        ('АО "Агроэнерго"', 'ООО "АГРОЭНЕРГО"'),
        ("ОАО «Ромашка»", "ПАО «Ромашка»"),
        ("ЗАО «Ромашка»", "АО «Ромашка»"),
        ("НАО «Ромашка»", "АО «Ромашка»"),
        ("ПАО «Россети Урал»", "Филиал ПАО «Россети Урал»"),
        ("ГУП «Водоканал» Пермский край", "ГУП «Водоканал» Свердловская область"),
    ],
)
def test_different_organizations_have_different_keys(a: str, b: str) -> None:
    assert name_key(a) != name_key(b)


def test_legal_forms_are_read_from_the_schema() -> None:
    forms = {f.code: f for f in legal_forms()}
    assert {"ООО", "АО", "НАО", "ПАО", "ЗАО", "ОАО", "МУП", "ГУП", "ФГУП"} <= set(forms)
    assert "общество с ограниченной ответственностью" in forms["ООО"].long
    assert {"муп", "умп"} <= set(forms["МУП"].short)


def test_stable_id_format_and_value() -> None:
    assert stable_id("expert", "licence:ДЭ-00-000001") == "e-qmffabme46"
    assert stable_id("applicant", "inn:7736050003").startswith("a-")
    assert len(stable_id("applicant", "name:ООО:ромашка")) == 12


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
    "expert_org_inn",
)


def make_db(rows: list[tuple[str | None, ...]]) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    cols = ", ".join(f'"{c}" {t}' for c, t in TABLES["records"])
    con.execute(f"CREATE TABLE records ({cols})")
    rows = [(*r, None) if len(r) == 6 else r for r in rows]
    con.executemany(f"INSERT INTO records ({', '.join(COLUMNS)}) VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
    return con


def ids(con: duckdb.DuckDBPyConnection, column: str = "expert_org_id") -> dict[str, str | None]:
    return dict(con.execute(f"SELECT reg_number, {column} FROM records ORDER BY reg_number").fetchall())


def write_aliases(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "aliases.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def no_aliases(tmp_path: Path) -> Path:
    return write_aliases(tmp_path, "merge: []\nkeep_apart: []\n")


def expert(
    reg: str, name: str | None, licence: str | None = None, office: str = "msk", inn: str | None = None
) -> tuple:
    return (reg, office, name, licence, None, None, inn)


def applicant(reg: str, name: str | None, inn: str | None = None, office: str = "msk") -> tuple:
    return (reg, office, None, None, name, inn)


def test_spellings_of_one_organization_get_one_id(tmp_path: Path) -> None:
    con = make_db(
        [
            expert("1", "ООО «НПФ «Русская лаборатория»»"),
            expert("2", 'Общество с ограниченной ответственностью "НПФ "Русская лаборатория""'),
            expert("3", "«НПФ «РУССКАЯ ЛАБОРАТОРИЯ»» ООО"),
            expert("4", "OOO «НПФ «Русская лаборатория» »"),
            expert("5", "ООО «Промэксперт»"),
            expert("6", "ООО «Промэкспертиза»"),
            expert("7", "«НПФ «РУССКАЯ ЛАБОРАТОРИЯ»» ЗАО"),  # another legal form: another organization
        ]
    )
    report = resolve_database(con, aliases_path=no_aliases(tmp_path))
    got = ids(con)
    assert (
        got["1"] == got["2"] == got["3"] == got["4"] == stable_id("expert", "name:ООО:нпфрусскаялаборатория")
    )
    assert got["7"] == stable_id("expert", "name:ЗАО:нпфрусскаялаборатория")
    assert len({got["1"], got["5"], got["6"], got["7"]}) == 4
    assert (report.expert_orgs, report.expert_spellings, report.applicants) == (4, 7, 0)


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
    assert got["5"] == stable_id("expert", "name:ООО:бета")  # ambiguous: kept apart from both licences
    assert report.ambiguous_names == 1
    listed = con.execute(
        "SELECT id_a, id_b FROM merge_candidates WHERE kind = 'ambiguous' ORDER BY 1, 2"
    ).fetchall()
    assert listed == sorted(tuple(sorted([got["5"], got[k]])) for k in ("3", "4"))


def test_inn_is_the_strong_key_of_applicants(tmp_path: Path) -> None:
    con = make_db(
        [
            applicant("1", 'ПАО "Газпром"', "7736050003"),
            applicant("2", "ОАО «Газпром»", "7736050003"),
            applicant("3", "Газпром"),  # no form: the one organization with these words
            applicant("4", "МУП «Водоканал»", "7707083893"),
            applicant("5", "МУП «Водоканал»", "7702070139"),
            applicant("6", "МУП Водоканал", "12345"),  # not an INN: a name-only row, ambiguous
            applicant("7", "МУП Водоканал", "1234567890"),  # wrong control digits: not an INN
        ]
    )
    report = resolve_database(con, aliases_path=no_aliases(tmp_path))
    got = ids(con, "applicant_id")
    assert got["1"] == got["2"] == got["3"] == stable_id("applicant", "inn:7736050003")
    assert got["4"] == stable_id("applicant", "inn:7707083893")
    assert got["5"] == stable_id("applicant", "inn:7702070139")
    assert got["6"] == got["7"] == stable_id("applicant", "name:МУП:водоканал")
    assert (report.applicants, report.expert_orgs) == (4, 0)
    kinds = dict(con.execute("SELECT kind, count(*) FROM merge_candidates GROUP BY 1").fetchall())
    assert kinds == {"ambiguous": 2, "same_name": 1}


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
    assert got["1"] == got["2"] == got["3"] == stable_id("expert", "name:ООО:русскаялаборатория")
    assert report.alias_merges == 2
    assert con.execute("SELECT count(*) FROM organizations").fetchone() == (1,)


def test_aliases_keep_apart_what_the_rules_merge(tmp_path: Path) -> None:
    con = make_db(
        [
            expert("1", "ООО «Ромашка»"),
            expert("2", "ООО Ромашка"),
            expert("3", "ООО «Альфа»", "ДЭ-00-000001"),
            expert("4", "ООО «Омега»", "ДЭ-00-000001"),
        ]
    )
    aliases = write_aliases(
        tmp_path,
        'merge: []\nkeep_apart:\n  - ["ООО «Ромашка»", "ооо  ромашка"]\n  - ["ООО «Альфа»", "ООО «Омега»"]\n',
    )
    report = resolve_database(con, aliases_path=aliases)
    got = ids(con)
    assert got["1"] == stable_id("expert", "name:ООО:ромашка")
    assert got["2"] == stable_id("expert", "apart:ооо ромашка")
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
    assert lines[0] == (
        "id,role,display_name,licence_number,licence_status,licence_date,licence_name,inn,records,spellings,"
        "offices,name_key,marks,inns,predecessor_id,successor_id,evidence"
    )
    rule = "название совпадает с названием единственной организации с ИНН/лицензией"
    assert lines[1] == (
        f"{alpha},expert,Альфа ООО,ДЭ-00-000001,,,,,2,Альфа ООО (1); ООО «Альфа» (1),msk; vdon,ООО альфа,,,,,"
        f"Альфа ООО — {rule} (1); ООО «Альфа» — лицензия (1)"
    )
    cands = (tmp_path / "exports" / "merge_candidates.csv").read_text(encoding="utf-8-sig").splitlines()
    other = stable_id("expert", "name:ООО:альфаа")
    (a, key_a, lic_a), (b, key_b, lic_b) = sorted(
        [(alpha, "ООО альфа", "ДЭ-00-000001"), (other, "ООО альфаа", "")]
    )
    name = {alpha: "Альфа ООО", other: "ООО «Альфаа»"}
    assert cands == [
        "role,id_a,name_a,id_b,name_b,score,reason,kind,key_a,key_b,marks_a,marks_b,inn_a,inn_b,licence_a,licence_b",
        f"expert,{a},{name[a]},{b},{name[b]},90.9,похожие названия,similar,{key_a},{key_b},,,,,{lic_a},{lic_b}",
    ]
    assert not list((tmp_path / "exports").glob(".*"))


# --------------------------------------------------------------------------------------------------
# Identity: distinguishing tokens, legal forms, strong keys
# --------------------------------------------------------------------------------------------------


def candidates(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, str]]:
    return con.execute("SELECT kind, id_a, id_b FROM merge_candidates ORDER BY kind, id_a, id_b").fetchall()


def pair(kind: str, a: str, b: str) -> tuple[str, str, str]:
    return (kind, *sorted([a, b]))


def test_same_named_utilities_of_different_cities_are_different(tmp_path: Path) -> None:
    con = make_db(
        [
            applicant("1", 'МУП "Водоканал г. Пермь"', "5902292103"),
            applicant("2", "МУП «Водоканал» г.Пермь"),
            applicant("3", "Водоканал г. Пермь"),  # no form: the one organization with these words
            applicant("4", "ГУП «Водоканал г. Москва»", "7708503727"),
            applicant("5", "МУП «Водоканал» г. Тамбов"),
            applicant("6", "МУП «ВОДОКАНАЛ» Г. ТАМБОВ"),
            applicant("7", "МУП «Водоканал»"),
        ]
    )
    resolve_database(con, aliases_path=no_aliases(tmp_path))
    got = ids(con, "applicant_id")
    perm, moscow = stable_id("applicant", "inn:5902292103"), stable_id("applicant", "inn:7708503727")
    tambov, bare = (
        stable_id("applicant", "name:МУП:водоканал/г. тамбов"),
        stable_id("applicant", "name:МУП:водоканал"),
    )
    assert got == {"1": perm, "2": perm, "3": perm, "4": moscow, "5": tambov, "6": tambov, "7": bare}
    assert candidates(con) == sorted([pair("place", bare, perm), pair("place", bare, tambov)])


def test_legal_forms_are_identity_unless_a_strong_key_links_them(tmp_path: Path) -> None:
    con = make_db(
        [
            applicant("1", 'АО "Агроэнерго"'),
            applicant("2", "Акционерное общество «Агроэнерго»"),
            applicant("3", 'ООО "АГРОЭНЕРГО"'),
            applicant("4", "Агроэнерго"),  # no form, two organizations with these words: ambiguous
            applicant("5", "ЗАО «Ромашка»", "7736050003"),
            applicant("6", "АО «Ромашка»", "7736050003"),  # one INN: one organization
            applicant("7", "ОАО «Бета»"),
            applicant("8", "ПАО «Бета»"),
        ]
    )
    report = resolve_database(con, aliases_path=no_aliases(tmp_path))
    got = ids(con, "applicant_id")
    ao, ooo = stable_id("applicant", "name:АО:агроэнерго"), stable_id("applicant", "name:ООО:агроэнерго")
    formless = stable_id("applicant", "name::агроэнерго")
    oao, pao = stable_id("applicant", "name:ОАО:бета"), stable_id("applicant", "name:ПАО:бета")
    inn = stable_id("applicant", "inn:7736050003")
    assert got == {"1": ao, "2": ao, "3": ooo, "4": formless, "5": inn, "6": inn, "7": oao, "8": pao}
    assert report.applicants == 6
    assert candidates(con) == sorted(
        [
            pair("ambiguous", formless, ao),
            pair("ambiguous", formless, ooo),
            pair("legal_form", ao, ooo),
            pair("legal_form", oao, pao),
        ]
    )
    reason = con.execute(
        "SELECT reason FROM merge_candidates WHERE kind = 'legal_form' ORDER BY 1"
    ).fetchall()
    assert reason == [
        ("одно название, разные организационно-правовые формы: АО / ООО",),
        ("одно название, разные организационно-правовые формы: ОАО / ПАО",),
    ]


def test_numbers_and_branches_are_identity(tmp_path: Path) -> None:
    con = make_db(
        [
            applicant("1", "АО «ДРСУ № 2»"),
            applicant("2", "АО «ДРСУ-2»"),
            applicant("3", "АО «ДРСУ № 3»"),
            applicant("4", "АО «ДРСУ»"),
            applicant("5", "ПАО «Россети Урал»", "6671163413"),
            applicant("6", "Филиал ПАО «Россети Урал» — «Пермэнерго»", "6671163413"),
            applicant("7", "филиал ПАО «Россети Урал» - «ПЕРМЭНЕРГО»", "6671163413"),
        ]
    )
    resolve_database(con, aliases_path=no_aliases(tmp_path))
    got = ids(con, "applicant_id")
    assert got["1"] == got["2"] == stable_id("applicant", "name:АО:дрсу/№ 2")
    assert got["3"] == stable_id("applicant", "name:АО:дрсу/№ 3")
    assert got["4"] == stable_id("applicant", "name:АО:дрсу")
    assert got["5"] == stable_id("applicant", "inn:6671163413")
    assert got["6"] == got["7"] == stable_id("applicant", "inn:6671163413/россетиуралпермэнерго/филиал")
    assert candidates(con) == []  # numbers differ: two organizations by rule, nothing to review


def test_one_inn_is_one_id_two_inns_never_share_one(tmp_path: Path) -> None:
    con = make_db(
        [
            applicant("1", "ПАО «Газпром»", "7736050003"),
            applicant("2", "Публичное акционерное общество «Газпром» (г. Москва)", "7736050003"),
            applicant("3", "ООО «Газпром»", "7736050003"),
            applicant("4", "ООО «Ромашка»", "7707083893"),
            applicant("5", "ООО «Ромашка»", "7702070139"),
            applicant("6", "ООО Ромашка"),  # two INN-keyed organizations have this name: ambiguous
            applicant("7", "ООО «Бета»", "7728168971"),
            applicant("8", "Бета ООО"),  # exactly one: joins it
            applicant("9", 'ООО "ЦЭПБ" (ИНН 5503221735)'),  # the INN inside the name
            applicant("10", "ООО «ЦЭПБ»", "5503221735"),
        ]
    )
    resolve_database(con, aliases_path=no_aliases(tmp_path))
    got = ids(con, "applicant_id")
    gazprom = stable_id("applicant", "inn:7736050003")
    assert got["1"] == got["2"] == got["3"] == gazprom
    assert got["4"] == stable_id("applicant", "inn:7707083893")
    assert got["5"] == stable_id("applicant", "inn:7702070139")
    assert got["6"] == stable_id("applicant", "name:ООО:ромашка")
    assert got["7"] == got["8"] == stable_id("applicant", "inn:7728168971")
    assert got["9"] == got["10"] == stable_id("applicant", "inn:5503221735")


def test_expert_inn_and_licence(tmp_path: Path) -> None:
    con = make_db(
        [
            expert("1", "ООО «Альфа»", "ДЭ-00-000001", inn="7707083893"),
            expert("1b", "ООО «Альфа»", "ДЭ-00-000001", inn="7707083893"),  # the licence's usual INN
            expert("2", "ООО «Альфа-Контроль»", None, inn="7707083893"),  # the licensee's INN
            expert("3", "ООО «Альфа»", "ДЭ-00-000001", inn="7702070139"),  # another entity's INN
            expert("4", 'ООО "Бета" (ИНН 7728168971)'),
            expert("5", "ООО «Бета»", "ДЭ-00-000002"),
        ]
    )
    resolve_database(con, aliases_path=no_aliases(tmp_path))
    got = ids(con)
    alpha = stable_id("expert", "licence:ДЭ-00-000001")
    assert got["1"] == got["2"] == alpha
    assert got["3"] == stable_id("expert", "licence:ДЭ-00-000001/inn:7702070139")
    assert got["4"] == stable_id("expert", "inn:7728168971")
    assert got["5"] == stable_id("expert", "licence:ДЭ-00-000002")
    assert ("same_name", *sorted([got["4"], got["5"]])) in candidates(con)


def test_a_rename_stays_two_organizations_linked(tmp_path: Path) -> None:
    register = [
        LicenceEntry("ДЭ-00-000010", "прекращена", date(2010, 1, 1), "ЗАО «Энергодиагностика»", "7707083893"),
        LicenceEntry("ДЭ-00-000020", "действующая", date(2016, 1, 1), "АО «Энергодиагностика»", "7707083893"),
    ]
    con = make_db(
        [
            expert("1", "ЗАО «Энергодиагностика»", "ДЭ-00-000010"),
            expert("2", "АО «Энергодиагностика»", "ДЭ-00-000020"),
            expert("3", "Закрытое акционерное общество «Энергодиагностика»", None, inn="7707083893"),
            expert("4", "Энергодиагностика", None, inn="7707083893"),  # the INN, no name to choose by
            expert("5", "АО «ЭНЕРГОДИАГНОСТИКА»"),  # the name of one licence
        ]
    )
    report = resolve_database(con, aliases_path=no_aliases(tmp_path), licences=register)
    got = ids(con)
    old, new = stable_id("expert", "licence:ДЭ-00-000010"), stable_id("expert", "licence:ДЭ-00-000020")
    assert got == {"1": old, "2": new, "3": old, "4": new, "5": new}
    links = con.execute(
        "SELECT id, predecessor_id, successor_id FROM organizations ORDER BY licence_date"
    ).fetchall()
    assert links == [(old, None, new), (new, old, None)]
    assert candidates(con) == [pair("renamed", old, new)]
    assert report.renames == 1


def test_aliases_record_a_rename(tmp_path: Path) -> None:
    con = make_db([applicant("1", "ООО «Старое имя»"), applicant("2", "ООО «Новое имя»")])
    aliases = write_aliases(tmp_path, 'renamed:\n  - ["ООО «Старое имя»", "ООО «Новое имя»"]\n')
    resolve_database(con, aliases_path=aliases)
    old, new = stable_id("applicant", "name:ООО:староеимя"), stable_id("applicant", "name:ООО:новоеимя")
    rows = con.execute("SELECT id, predecessor_id, successor_id FROM organizations ORDER BY id").fetchall()
    assert sorted(rows) == sorted([(old, None, new), (new, old, None)])


def test_organizations_carry_the_evidence(tmp_path: Path) -> None:
    con = make_db(
        [
            applicant("1", 'МУП "Водоканал г. Пермь"', "5902292103"),
            applicant("2", "Водоканал г. Пермь"),
            applicant("3", "Водоканал г. Пермь"),
        ]
    )
    resolve_database(con, aliases_path=no_aliases(tmp_path))
    name_key_, marks, inns, evidence = con.execute(
        "SELECT name_key, marks, inns, evidence FROM organizations"
    ).fetchone()
    assert (name_key_, json.loads(marks), json.loads(inns)) == ("водоканал", ["г. пермь"], ["5902292103"])
    assert json.loads(evidence) == [
        {
            "name": "Водоканал г. Пермь",
            "count": 2,
            "inn": None,
            "licence": None,
            "key": "водоканал",
            "marks": ["г. пермь"],
            "rule": "название совпадает с названием единственной организации с ИНН/лицензией",
        },
        {
            "name": 'МУП "Водоканал г. Пермь"',
            "count": 1,
            "inn": "5902292103",
            "licence": None,
            "key": "МУП водоканал",
            "marks": ["г. пермь"],
            "rule": "ИНН",
        },
    ]


# --------------------------------------------------------------------------------------------------
# The labelled set (tests/data/resolve_labelled.csv)
# --------------------------------------------------------------------------------------------------

LABELLED = Path(__file__).parent / "data" / "resolve_labelled.csv"


@pytest.fixture(scope="module")
def labelled() -> tuple[list[dict[str, str]], dict[str, str]]:
    with LABELLED.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    con = make_db(
        [
            expert(r["reg"], r["name"], r["licence"] or None, inn=r["inn"] or None)
            if r["role"] == "expert"
            else applicant(r["reg"], r["name"], r["inn"] or None)
            for r in rows
        ]
    )
    path = Path(__file__).parent / "data" / "resolve_no_aliases.yaml"
    resolve_database(con, aliases_path=path)
    got = dict(
        con.execute("SELECT reg_number, coalesce(expert_org_id, applicant_id) FROM records").fetchall()
    )
    return rows, got


@pytest.mark.parametrize("role", ["expert", "applicant"])
def test_labelled_set_never_merges_two_organizations(labelled, role: str) -> None:
    rows, got = labelled
    truth = {r["reg"]: r["truth"] for r in rows if r["role"] == role}
    held: dict[str, set[str]] = {}
    for reg, org in truth.items():
        held.setdefault(got[reg], set()).add(org)
    assert {i: orgs for i, orgs in held.items() if len(orgs) > 1} == {}
    precision, recall = pairwise_scores({k: got[k] for k in truth}, truth)
    assert precision >= 0.99
    assert recall >= 0.99


def test_labelled_set_check_fails_when_same_named_organizations_share_one_id(labelled) -> None:
    rows, _ = labelled
    truth = {r["reg"]: r["truth"] for r in rows if r["role"] == "applicant"}
    same_words = {r["reg"]: " ".join(parse_name(r["name"]).words) for r in rows if r["role"] == "applicant"}
    precision, _ = pairwise_scores(same_words, truth)
    assert precision < 0.5


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
