"""Display names of organizations (openepb/publish/names.py): the short form in lists, the full name on
the organization's page, quotes as «ёлочки». Expected strings are written out by hand."""

from __future__ import annotations

import re

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from openepb.contract.legal_forms import LEGAL_FORMS_FILE
from openepb.publish.names import display_name, full_name, normalize_quotes


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ('МУП "Хлеб-Строй"', "МУП «Хлеб-Строй»"),
        ("ФГУП “Завод”", "ФГУП «Завод»"),
        ("ЗАО „Стройка“", "ЗАО «Стройка»"),
        ('ООО "Фирма "Альфа""', "ООО «Фирма „Альфа“»"),
        ("Общество с ограниченной ответственностью «Ромашка»", "ООО «Ромашка»"),
        ('общество  с ограниченной ответственностью "ТехЭксперт"', "ООО «ТехЭксперт»"),
        ('Акционерное общество "Газпром нефть"', "АО «Газпром нефть»"),
        ('Публичное акционерное общество "Северсталь"', "ПАО «Северсталь»"),
        ("Муниципальное унитарное предприятие «Водоканал»", "МУП «Водоканал»"),
        ("Федеральное государственное унитарное предприятие «Атом»", "ФГУП «Атом»"),
        ("Закрытое акционерное общество «Недра»", "ЗАО «Недра»"),
        ('000 "Нефть"', "ООО «Нефть»"),
        ('ооо " Ромашка "', "ООО «Ромашка»"),
        ('ООО"Ромашка', "ООО «Ромашка»"),
        ("ИП Иванов И.И.", "ИП Иванов И.И."),
        # A declined phrase is part of the name, not its form.
        (
            'Филиал публичного акционерного общества "Россети"',
            "Филиал публичного акционерного общества «Россети»",
        ),
        # Words that merely contain a form's letters stay.
        ("Аорта-Сервис", "Аорта-Сервис"),
    ],
)
def test_display_name(raw: str, shown: str) -> None:
    assert display_name(raw) == shown


def test_full_name_keeps_the_legal_form_written_out() -> None:
    assert full_name('Общество с ограниченной ответственностью  "Ромашка"') == (
        "Общество с ограниченной ответственностью «Ромашка»"
    )
    assert full_name(None) == "" and display_name("") == ""


def test_every_listed_form_is_abbreviated_to_its_code() -> None:
    """Each long phrase of schema/legal_forms.yaml, read here from the file itself, becomes its code."""
    forms = yaml.safe_load(LEGAL_FORMS_FILE.read_text(encoding="utf-8"))["forms"]
    for form in forms:
        for phrase in form.get("long") or ():
            written = phrase[:1].upper() + phrase[1:]
            assert display_name(f'{written} "Север"') == f"{form['code']} «Север»", phrase


names = st.text(alphabet=st.sampled_from(list("абвгд АБВ-\"“”„«»'.,")), max_size=30)


@given(names)
def test_quotes_balance_and_letters_survive(raw: str) -> None:
    shown = normalize_quotes(raw)
    assert re.sub(r'[«»„“”"\']', "", shown) == re.sub(r'[«»„“”"\']', "", raw)
    depth = 0
    for ch in shown:
        if ch in "«„":
            depth += 1
        elif ch in "»“":
            depth -= 1
            assert depth >= 0, (raw, shown)
    assert depth == 0, (raw, shown)
    assert not set(shown) & set('"”'), (raw, shown)


@given(names)
def test_display_name_is_stable(raw: str) -> None:
    once = display_name(raw)
    assert display_name(once) == once
