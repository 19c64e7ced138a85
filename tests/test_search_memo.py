"""The search index's memo of record tokens: reused for unchanged records, never for changed ones."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest

import openepb.publish.search as search
from openepb.contract.tables import TABLES
from openepb.publish.search import write_search_index

NAMES = ("Резервуар вертикальный", "Котёл паровой", "Трубопровод пара", "Кран мостовой")


def store(path: Path, n: int = 12) -> None:
    con = duckdb.connect(str(path))
    cols = ", ".join(f'"{c}" {t}' for c, t in TABLES["records"])
    con.execute(f"CREATE TABLE records ({cols})")
    for i in range(n):
        con.execute(
            """INSERT INTO records (reg_number, year, date_registered, object_type, office_code,
                   object_name, applicant_name, expert_org_name)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?)""",
            [
                f"58-ТУ-{i:05d}-{2017 + i % 2}",
                2017 + i % 2,
                dt.date(2017 + i % 2, 1 + i % 12, 1 + i),
                "ТУ",
                "mos",
                f"{NAMES[i % len(NAMES)]} № {i}",
                f"ООО «Заявитель {i % 3}»",
                "общество с ограниченной ответственностью «Эксперт»",
            ],
        )
    con.close()


def files(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The registration numbers whose tokens were computed."""
    seen: list[str] = []
    real = search.record_tokens

    def counting(row):
        seen.append(row["reg_number"])
        return real(row)

    monkeypatch.setattr(search, "record_tokens", counting)
    return seen


def test_a_memo_gives_the_index_written_without_it_and_is_used(tmp_path: Path, calls: list[str]):
    db, memo = tmp_path / "s.duckdb", tmp_path / "cache" / "memo.arrow"
    store(db)
    write_search_index(db, tmp_path / "plain", quiet=True)
    write_search_index(db, tmp_path / "memo", quiet=True, memo=memo)
    assert files(tmp_path / "memo") == files(tmp_path / "plain")
    calls.clear()
    write_search_index(db, tmp_path / "again", quiet=True, memo=memo)
    assert calls == []  # every record taken from the memo
    assert files(tmp_path / "again") == files(tmp_path / "plain")


def test_a_changed_record_is_tokenised_again(tmp_path: Path, calls: list[str]):
    db, memo = tmp_path / "s.duckdb", tmp_path / "memo.arrow"
    store(db)
    write_search_index(db, tmp_path / "memo", quiet=True, memo=memo)
    assert "Кран мостовой № 3" in b"".join(files(tmp_path / "memo").values()).decode("utf-8")
    con = duckdb.connect(str(db))
    con.execute(
        """UPDATE records SET object_name = 'Газгольдер мокрый', applicant_name = 'АО «Новое имя»'
           WHERE reg_number = '58-ТУ-00003-2018'"""
    )
    con.close()
    calls.clear()
    write_search_index(db, tmp_path / "memo", quiet=True, memo=memo)
    assert calls == ["58-ТУ-00003-2018"]
    write_search_index(db, tmp_path / "plain", quiet=True)
    assert files(tmp_path / "memo") == files(tmp_path / "plain")
    text = b"".join(files(tmp_path / "memo").values()).decode("utf-8")
    assert "газгольдер" in text and "Новое имя" in text
    assert "Кран мостовой № 3" not in text


def test_a_memo_of_other_code_or_a_broken_memo_is_not_used(
    tmp_path: Path, calls: list[str], monkeypatch: pytest.MonkeyPatch
):
    db, memo = tmp_path / "s.duckdb", tmp_path / "memo.arrow"
    store(db)
    write_search_index(db, tmp_path / "out", quiet=True, memo=memo)
    with monkeypatch.context() as patch:
        patch.setattr(search.RecordMemo, "version", staticmethod(lambda: "other code"))
        calls.clear()
        write_search_index(db, tmp_path / "out", quiet=True, memo=memo)
        assert len(calls) == 12
    memo.write_bytes(memo.read_bytes()[:200])
    calls.clear()
    write_search_index(db, tmp_path / "out", quiet=True, memo=memo)
    assert len(calls) == 12
    calls.clear()
    write_search_index(db, tmp_path / "out", quiet=True, memo=memo)  # written again, whole
    assert calls == []


def test_past_the_record_limit_no_memo_is_kept(
    tmp_path: Path, calls: list[str], monkeypatch: pytest.MonkeyPatch
):
    db, memo = tmp_path / "s.duckdb", tmp_path / "memo.arrow"
    store(db)
    write_search_index(db, tmp_path / "out", quiet=True, memo=memo)
    assert memo.is_file()
    monkeypatch.setattr(search, "ROW_MEMO_MAX_RECORDS", 11)
    calls.clear()
    write_search_index(db, tmp_path / "out", quiet=True, memo=memo)
    assert len(calls) == 12 and not memo.exists()


@pytest.mark.parametrize("limit", [None, 11])
def test_a_build_without_a_memo_holds_no_entries(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, limit):
    """Regression: without a memo file (or past the limit) every record's tokens were still held in
    memory, 4.3 GiB at a million records."""
    made: list[search.RecordMemo] = []

    class Spy(search.RecordMemo):
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            made.append(self)

    monkeypatch.setattr(search, "RecordMemo", Spy)
    db, memo = tmp_path / "s.duckdb", tmp_path / "memo.arrow"
    store(db)
    if limit is not None:
        monkeypatch.setattr(search, "ROW_MEMO_MAX_RECORDS", limit)
    write_search_index(db, tmp_path / "out", quiet=True, memo=memo if limit else None)
    assert len(made) == 1 and made[0].new == {} and not memo.exists()
