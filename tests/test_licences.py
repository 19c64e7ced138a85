"""The licence register: saved list and card pages → LicenceEntry; the demo pages read back."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from openepb.build.licences import (
    LicenceEntry,
    label_field,
    merge_entries,
    page_count,
    parse_licence_page,
    read_licence_register,
)
from openepb.demo.licences import write_licence_register


def entries(n: int) -> list[LicenceEntry]:
    return [
        LicenceEntry(
            number=f"ДЭ-00-{i:06d}",
            status="действующая" if i % 3 else "прекращена",
            date_issued=date(2007 + i % 12, 1 + i % 12, 1 + i % 28),
            legal_name=f"ООО «Экспертиза & Контроль № {i}»",
            inn=f"77{i:08d}",
            address=f"125009, г. Москва, ул. Тверская, д. {i}" if i % 5 else None,
        )
        for i in range(1, n + 1)
    ]


def test_demo_register_reads_back(tmp_path: Path) -> None:
    written = entries(120)
    files = write_licence_register(tmp_path / "licences", written, per_page=50)
    assert [f.name for f in files] == ["index.html", "index.PAGEN_1=2.html", "index.PAGEN_1=3.html"]
    assert read_licence_register(tmp_path / "licences") == written
    assert [len(parse_licence_page(f.read_bytes())) for f in files] == [50, 50, 20]
    assert page_count(files[0].read_bytes()) == 3


def test_demo_pages_are_windows_1251(tmp_path: Path) -> None:
    files = write_licence_register(tmp_path, entries(1))
    content = files[0].read_bytes()
    assert b"charset=windows-1251" in content
    assert "Наименование лицензиата".encode("cp1251") in content
    with pytest.raises(UnicodeDecodeError):
        content.decode("utf-8")


def test_empty_register_writes_one_page(tmp_path: Path) -> None:
    files = write_licence_register(tmp_path, [])
    assert [f.name for f in files] == ["index.html"]
    assert read_licence_register(tmp_path) == []


LIST_PAGE = """<html><head><meta charset="utf-8"></head><body>
<table><tr><td>Меню</td><td>
  <table><tr><td>Номер лицензии:</td><td><input name="licNum"></td></tr></table>
  <table>
    <tr><th>№ п/п</th><th>Номер лицензии</th><th>Дата выдачи</th><th>Дата прекращения</th>
        <th>Лицензиат</th><th>ИНН</th><th>Статус</th></tr>
    <tr><td>1</td><td><a href="license.php?licNum=DE-00-007889">DE-00-007889</a></td><td>04.10.2007</td>
        <td></td><td>ЗАО НДЦ НПФ «Русская лаборатория»</td><td>ИНН 7826080710</td><td>действующая</td></tr>
    <tr><td>2</td><td>ДЭ 00 017384 от 06.05.2019</td><td>06.05.2019</td><td>01.02.2024</td>
        <td>ООО «Промэксперт»</td><td></td><td>прекращена</td></tr>
    <tr><td>3</td><td>нет номера</td><td>06.05.2019</td><td></td><td>ООО «Пусто»</td><td></td><td></td></tr>
  </table>
</td></tr></table></body></html>"""


def test_list_page_inside_layout_tables() -> None:
    assert parse_licence_page(LIST_PAGE.encode("utf-8")) == [
        LicenceEntry(
            "ДЭ-00-007889",
            "действующая",
            date(2007, 10, 4),
            "ЗАО НДЦ НПФ «Русская лаборатория»",
            "7826080710",
        ),
        LicenceEntry("ДЭ-00-017384", "прекращена", date(2019, 5, 6), "ООО «Промэксперт»"),
    ]


CARD_PAGE = """<html><head><meta http-equiv="Content-Type" content="text/html; charset=windows-1251"></head>
<body><table class="layout"><tr><td>
<table>
  <tr><td>Регистрационный номер лицензии</td><td>ДЭ-00-017384</td></tr>
  <tr><td>Дата предоставления лицензии</td><td>06.05.2019</td></tr>
  <tr><td>Полное наименование лицензиата</td><td>Общество с ограниченной ответственностью «Промэксперт»</td></tr>
  <tr><td>ИНН</td><td>5405123456</td></tr>
  <tr><td>Адрес места нахождения</td><td>630099, г. Новосибирск, ул. Ленина, 1</td></tr>
  <tr><td>Вид деятельности</td><td>Проведение экспертизы промышленной безопасности</td></tr>
</table></td></tr></table></body></html>"""


def test_card_page() -> None:
    assert parse_licence_page(CARD_PAGE.encode("cp1251")) == [
        LicenceEntry(
            "ДЭ-00-017384",
            None,
            date(2019, 5, 6),
            "Общество с ограниченной ответственностью «Промэксперт»",
            "5405123456",
            "630099, г. Новосибирск, ул. Ленина, 1",
        )
    ]


def test_card_fills_the_gaps_of_the_list(tmp_path: Path) -> None:
    (tmp_path / "index.html").write_text(LIST_PAGE, encoding="utf-8")
    (tmp_path / "license.php?licNum=ДЭ-00-017384.html").write_bytes(CARD_PAGE.encode("cp1251"))
    got = read_licence_register(tmp_path)
    assert got[1] == LicenceEntry(
        "ДЭ-00-017384",
        "прекращена",
        date(2019, 5, 6),
        "ООО «Промэксперт»",
        "5405123456",
        "630099, г. Новосибирск, ул. Ленина, 1",
    )
    assert [e.number for e in got] == ["ДЭ-00-007889", "ДЭ-00-017384"]


def test_page_without_a_register() -> None:
    page = "<html><body><table><tr><td>Номер лицензии:</td><td><input></td></tr></table></body></html>"
    assert parse_licence_page(page.encode("utf-8")) == []
    assert parse_licence_page(b"") == []
    assert page_count(page.encode("utf-8")) == 1


@pytest.mark.parametrize(
    ("label", "field"),
    [
        ("Рег. номер лицензии", "number"),
        ("№ п/п", None),
        ("Дата предоставления лицензии", "date_issued"),
        ("Дата прекращения действия лицензии", None),
        ("Наименование лицензиата", "legal_name"),
        ("Вид деятельности", None),
        ("ИНН", "inn"),
        ("Статус лицензии", "status"),
    ],
)
def test_label_field(label: str, field: str | None) -> None:
    assert label_field(label) == field


def test_merge_entries_keeps_the_first_and_fills_gaps() -> None:
    a = LicenceEntry("ДЭ-00-000002", "действующая", None, "ООО «А»")
    b = LicenceEntry("ДЭ-00-000002", "прекращена", date(2010, 1, 1), "ООО «Б»", "7701234567")
    c = LicenceEntry("ДЭ-00-000001")
    assert merge_entries([a, b, c]) == [
        c,
        LicenceEntry("ДЭ-00-000002", "действующая", date(2010, 1, 1), "ООО «А»", "7701234567"),
    ]
