"""records.xml validated one office slice at a time, with the slices proven valid before skipped:
the same verdicts as validating the whole document, and a changed slice is always parsed again."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from lxml import etree
from test_export import GENERATED, _store

import openepb.publish.export as export
from openepb.contract.xsd import load_schema
from openepb.publish.export import ExportError, _validate_register, export_all


def _parts(exports: Path) -> tuple[bytes, list[bytes], bytes]:
    """records.xml as its head, the office slices (each office file's records) and its end."""
    whole = (exports / "records.xml").read_bytes()
    slices = []
    for office in sorted((exports / "offices").glob("*.xml")):
        data = office.read_bytes()
        start = data.index(b"<record>")
        slices.append(data[start : data.rindex(b"</register>")])
    head = whole[: whole.index(b"<record>")]
    assert whole == head + b"".join(slices) + b"</register>\n"
    return head, slices, b"</register>\n"


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many documents the validation parses."""
    count: list[int] = []
    real = etree.iterparse

    def counting(*args, **kwargs):
        count.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(export.etree, "iterparse", counting)
    return count


def test_with_the_memo_the_exports_are_the_same_and_unchanged_slices_are_not_parsed(
    tmp_path: Path, parses: list[int]
) -> None:
    db = _store(tmp_path / "db.duckdb")
    memo = tmp_path / "memo" / "slices.json"
    export_all(db, tmp_path / "plain", quiet=True, generated_at=GENERATED)
    export_all(db, tmp_path / "a", quiet=True, generated_at=GENERATED, memo=memo)
    offices = len(list((tmp_path / "a" / "offices").glob("*.xml")))
    assert offices == 2
    parses.clear()
    export_all(db, tmp_path / "b", quiet=True, generated_at=GENERATED, memo=memo)
    assert len(parses) == 1  # the head alone: both slices were proven valid before
    for folder in ("a", "b"):
        for name in ("records.xml", "offices/cntr.xml", "offices/mos.xml"):
            assert (tmp_path / folder / name).read_bytes() == (tmp_path / "plain" / name).read_bytes()
    stored = json.loads(memo.read_text(encoding="utf-8"))["slices"]
    assert sorted(n for numbers in stored.values() for n in numbers) == [
        "01-ТУ-00001-2018",
        "01-ТУ-00002-2018",
        "02-ЗС-00003-2017",
    ]


def _write(path: Path, head: bytes, slices: list[bytes], end: bytes) -> list[int]:
    path.write_bytes(head + b"".join(slices) + end)
    return [len(s) for s in slices]


def test_a_changed_slice_is_parsed_again_and_an_invalid_one_refused(
    tmp_path: Path, parses: list[int]
) -> None:
    db = _store(tmp_path / "db.duckdb")
    memo = tmp_path / "slices.json"
    export_all(db, tmp_path / "x", quiet=True, generated_at=GENERATED, memo=memo)
    head, slices, end = _parts(tmp_path / "x")
    document = tmp_path / "records.xml"
    schema = load_schema()
    # a value the schema refuses in the second slice: parsed again (its digest is new) and refused
    bad = slices[1].replace(b"<object_type>", b"<object_type>X", 1)
    assert not schema.validate(etree.fromstring(head + slices[0] + bad + end))
    parses.clear()
    with pytest.raises(ExportError, match="does not validate"):
        _validate_register(document, len(head), _write(document, head, [slices[0], bad], end), memo)
    assert len(parses) == 2  # the head, then the changed slice; the first one came from the memo
    # a stray closing tag, a half record: refused though every other slice is known
    for broken in (slices[1] + b"</register><register>", slices[1][:-20]):
        with pytest.raises(ExportError):
            _validate_register(document, len(head), _write(document, head, [slices[0], broken], end), memo)
    # a valid change (another object name) is accepted and remembered with its numbers
    renamed = slices[1].replace(b"<object_name>", "<object_name>Ещё ".encode(), 1)
    _validate_register(document, len(head), _write(document, head, [slices[0], renamed], end), memo)
    assert schema.validate(etree.fromstring(head + slices[0] + renamed + end))


def test_a_number_repeated_across_known_slices_is_refused(tmp_path: Path) -> None:
    db = _store(tmp_path / "db.duckdb")
    memo = tmp_path / "slices.json"
    export_all(db, tmp_path / "x", quiet=True, generated_at=GENERATED, memo=memo)
    head, slices, end = _parts(tmp_path / "x")
    document = tmp_path / "records.xml"
    sizes = _write(document, head, [slices[0], slices[1], slices[0]], end)  # every slice known
    assert not load_schema().validate(etree.fromstring(document.read_bytes()))
    with pytest.raises(ExportError, match="UniqueRegNumber, repeated: 02-ЗС-00003-2017"):
        _validate_register(document, len(head), sizes, memo)


def test_a_memo_of_another_version_proves_nothing(tmp_path: Path, parses: list[int], monkeypatch) -> None:
    db = _store(tmp_path / "db.duckdb")
    memo = tmp_path / "slices.json"
    export_all(db, tmp_path / "x", quiet=True, generated_at=GENERATED, memo=memo)
    monkeypatch.setattr(export, "SLICE_MEMO_VERSION", export.SLICE_MEMO_VERSION + 1)
    parses.clear()
    export_all(db, tmp_path / "y", quiet=True, generated_at=GENERATED, memo=memo)
    assert len(parses) == 3  # the head and both slices
