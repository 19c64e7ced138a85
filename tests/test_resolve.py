"""Entity resolution: name keys per rule, strong keys, aliases, stable ids, candidates, scoring."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import duckdb
import pytest

from openepb.licences import LicenceEntry
from openepb.resolve import (
    legal_forms,
    name_key,
    parse_name,
    pairwise_scores,
    resolve_database,
    stable_id,
    write_review_files,
)
from openepb.store import TABLES

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
    assert got["1"] == got["2"] == got["3"] == got["4"] == stable_id("expert", "name:ООО:нпфрусскаялаборатория")
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
    listed = con.execute("SELECT id_a, id_b FROM merge_candidates WHERE kind = 'ambiguous' ORDER BY 1, 2").fetchall()
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
    kinds = dict(
        con.execute("SELECT kind, count(*) FROM merge_candidates GROUP BY 1").fetchall()
    )
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
        'merge: []\nkeep_apart:\n  - ["ООО «Ромашка»", "ооо  ромашка"]\n'
        '  - ["ООО «Альфа»", "ООО «Омега»"]\n',
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
