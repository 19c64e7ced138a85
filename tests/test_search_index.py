"""The search index's token rules and sharding, without a browser (docs/search.md)."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from openepb.contract.tables import TABLES
from openepb.publish.search import (
    bucket_count,
    card_bucket,
    delta,
    fnv1a,
    prefix_name,
    query_terms,
    record_tokens,
    reg_token,
    shard_prefix,
    words,
    write_search_index,
)


@pytest.mark.parametrize(
    "spelling",
    [
        "58-ТУ-01234-2017",
        "58-TY-01234-2017",  # Latin look-alikes
        "58 ту 01234 2017",
        "№ 58–ТУ–01234–2017",
        "58_ТУ_01234_2017",
        "58ТУ012342017",
    ],
)
def test_a_registration_number_in_any_spelling_is_one_token(spelling: str) -> None:
    assert query_terms(spelling) == ["58ту012342017"]


def test_a_one_digit_first_group_is_padded_and_six_digit_serials_kept() -> None:
    assert query_terms("2-ТУ-600791-2025") == ["02ту6007912025"]
    assert reg_token("48-ТУ-845161-2026") == "48ту8451612026"


@pytest.mark.parametrize(
    ("query", "token"),
    [
        ("A54-27998-0013", "а54279980013"),
        ("а54 27998 0013", "а54279980013"),
        ("DE-00-012345", "дэ00012345"),
        ("дэ 00 012345", "дэ00012345"),
        ("AЭ.16.00123.001", "аэ1600123001"),
    ],
)
def test_numbers_of_other_kinds_are_whole_tokens(query: str, token: str) -> None:
    assert query_terms(query) == [token]


def test_words_fold_case_yo_and_latin_lookalikes_drop_stopwords() -> None:
    assert words("OOO «Ёлка» и Газпром, зав. № 95005") == ["ооо", "елка", "газпром", "зав", "95005"]
    assert words("Siemens AG") == ["siemens", "ag"]  # a Latin word stays Latin


def test_a_record_is_found_by_its_numbers_and_words() -> None:
    row = {
        "reg_number": "58-ТУ-01234-2017",
        "object_name": "Кран мостовой, зав. № 95005, рег. № А01-10374-0248",
        "opo_reg_number": "А54-27998-0013",
        "licence_number": "ДЭ-00-012345",
        "expert_certificate": "АЭ.16.00123.001; АЭ.15.00001.002",
        "applicant_inn": "7707083893",
        "applicant_name": "ПАО «Газпром»",
    }
    tokens = record_tokens(row)
    expected = {"58ту012342017", "01234", "а54279980013", "а01103740248", "дэ00012345", "аэ1600123001"}
    assert expected <= tokens
    assert {"аэ1500001002", "7707083893", "газпром", "кран", "95005", "зав"} <= tokens


def test_delta_coding() -> None:
    assert delta([3, 5, 5, 10]) == [3, 2, 0, 5]


def test_fnv1a_matches_the_published_test_vectors() -> None:
    # FNV-1a 32-bit: "" and "a" (one UTF-16 unit equal to its byte for ASCII)
    assert fnv1a("") == 0x811C9DC5
    assert fnv1a("a") == 0xE40C292C
    assert card_bucket("58-ТУ-01234-2017", 64) == fnv1a("58-ТУ-01234-2017") % 64


def test_bucket_count_is_a_power_of_two_with_few_cards_each() -> None:
    assert bucket_count(1) == 1
    assert bucket_count(2_000_000) == 65_536
    assert all(bucket_count(n) & (bucket_count(n) - 1) == 0 for n in (10, 1000, 123_457))


def test_shard_prefix_walks_split_prefixes() -> None:
    split = {"ре", "рез"}
    assert shard_prefix("резервуар", split) == "резе"
    assert shard_prefix("рез", split) == "рез"  # as long as the prefix: stays in the parent
    assert shard_prefix("река", split) == "рек"
    assert shard_prefix("кран", split) == "кр"
    assert prefix_name("ре") == "440-435"


def _store(path: Path, rows: list[tuple]) -> None:
    con = duckdb.connect(str(path))
    cols = ", ".join(f'"{c}" {t}' for c, t in TABLES["records"])
    con.execute(f"CREATE TABLE records ({cols})")
    for reg, year, day, type_, office, name in rows:
        con.execute(
            "INSERT INTO records (reg_number, year, date_registered, object_type, office_code, object_name) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [reg, year, day, type_, office, name],
        )
    con.close()


def test_index_files_shard_tokens_and_put_long_lists_in_blocks(tmp_path: Path, monkeypatch) -> None:
    import openepb.publish.search as si

    monkeypatch.setattr(si, "INLINE", 3)
    monkeypatch.setattr(si, "SHARD_BYTES", 40)
    rows = [
        (
            f"58-ТУ-{i:05d}-2017",
            2017 if i < 6 else 2018,
            None,
            "ТУ",
            "mos",
            f"Резервуар вертикальный {i} резерв",
        )
        for i in range(10)
    ]
    db = tmp_path / "s.duckdb"
    _store(db, rows)
    out = tmp_path / "search"
    report = write_search_index(db, out, quiet=True)
    meta = json.loads((out / "meta.json").read_text(encoding="utf-8"))
    assert meta["records"] == 10 == report.records
    # newest first: the 2018 records get the first ordinals
    assert meta["years"] == [[2018, 0], [2017, 4]]
    split = set(meta["split"])
    assert "ре" in split  # 40 bytes is too small for every «ре…» token
    token = "резервуар"
    shard = json.loads(
        (out / "t" / f"{prefix_name(shard_prefix(token, split))}.json").read_text(encoding="utf-8")
    )
    df, inline, blocks = shard[token]
    assert df == 10 and inline is None and blocks == [0]
    postings = json.loads((out / "b" / prefix_name(token) / "0.json").read_text(encoding="utf-8"))
    assert sum(postings) == 9 and len(postings) == 10  # ordinals 0..9, delta-coded
    one = "00003"
    entry = json.loads(
        (out / "t" / f"{prefix_name(shard_prefix(one, split))}.json").read_text(encoding="utf-8")
    )[one]
    summaries = json.loads((out / "s" / "0.json").read_text(encoding="utf-8"))
    assert summaries[entry[1][0]][0] == "58-ТУ-00003-2017"
    bucket = json.loads(
        (out / "c" / f"{card_bucket('58-ТУ-00003-2017', meta['buckets'])}.json").read_text("utf-8")
    )
    assert any(card[0] == "58-ТУ-00003-2017" for card in bucket["cards"])


def test_sorted_runs_across_arrow_batches_equal_duckdb_list_aggregates() -> None:
    """Keys whose values span several Arrow batches come out as one run, as a GROUP BY would give."""
    import duckdb

    from openepb.publish.search import _runs

    con = duckdb.connect()
    con.execute(
        "CREATE TABLE p AS SELECT 'w' || (i * 7919 % 13)::VARCHAR AS token, i AS ord FROM range(500) t(i)"
    )
    truth = con.execute("SELECT token, list(ord ORDER BY ord) FROM p GROUP BY 1 ORDER BY 1").fetchall()
    for rows in (1, 3, 64, 1000):
        got = list(_runs(con.sql("SELECT token, ord FROM p ORDER BY token, ord"), rows=rows))
        assert got == [(token, list(ords)) for token, ords in truth]


def _reference_buckets(db: Path, buckets: int) -> dict[int, str]:
    """Each card bucket's file as the plain way writes it: every card (``_card``) as JSON, sorted
    by that JSON within its bucket, paths replaced by their index in the bucket's table of files,
    the whole bucket through ``json.dumps``."""
    from openepb.publish.search import CARD_FIELDS, _card, _duplicates, _file_facts, _iso

    con = duckdb.connect(str(db), read_only=True)
    columns = ["reg_number", *CARD_FIELDS]
    rows = [
        dict(zip(columns, r, strict=True))
        for r in con.execute(f"SELECT {', '.join(columns)} FROM records").fetchall()
    ]
    dups, files = _duplicates(con), _file_facts(con)
    con.close()
    grouped: dict[int, list[str]] = {}
    for row in rows:
        card = _card({k: _iso(v) for k, v in row.items()}, dups)
        grouped.setdefault(card_bucket(row["reg_number"], buckets), []).append(
            json.dumps(card, ensure_ascii=False, separators=(",", ":"))
        )
    source_at = CARD_FIELDS.index("source_file")
    out = {}
    for number, texts in grouped.items():
        table: dict[str, int] = {}
        cards = [json.loads(t) for t in sorted(texts)]
        for card in cards:
            path = card[1][source_at]
            card[1][source_at] = table.setdefault(path, len(table)) if path else None
            for dup in card[2]:
                dup[0] = table.setdefault(dup[0], len(table)) if dup[0] else None
        listed = [files.get(p, [p, None, None, None, None]) for p in table]
        out[number] = json.dumps({"files": listed, "cards": cards}, ensure_ascii=False, separators=(",", ":"))
    return out


def test_card_buckets_are_what_json_dumps_of_the_sorted_cards_writes(tmp_path: Path) -> None:
    """Cards are put together from strings; every bucket file must equal the JSON of its cards,
    with escapes, missing sources, sources outside the files table and republications."""
    db = tmp_path / "s.duckdb"
    con = duckdb.connect(str(db))
    for name in ("records", "duplicates", "files"):
        con.execute(f"CREATE TABLE {name} ({', '.join(f'{c} {t}' for c, t in TABLES[name])})")
    for i in range(300):
        source = (
            None if i % 7 == 0 else f"mos/{i % 5}.csv" if i % 11 else f'spb/"странный"\\путь {i % 3}.xlsx'
        )
        con.execute(
            "INSERT INTO records (reg_number, year, date_registered, object_type, office_code, object_name,"
            " applicant_name, source_file, source_table, source_row, excluded_date) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                f"{i % 90 + 1:02d}-ТУ-{i * 37 % 100_000:05d}-{2015 + i % 9}",
                2015 + i % 9,
                f"{2015 + i % 9}-0{1 + i % 9}-1{i % 10}",
                "ТУ" if i % 2 else "ЗС",
                "mos" if i % 3 else "spb",
                f'Кран «№{i}»\t"двойной"\n\u2028 ё ' * (1 + i % 3),
                None if i % 4 == 0 else f"ООО «Ромашка-{i % 13}»",
                source,
                None if source is None else f"Лист{i % 2}",
                None if source is None else i,
                "2024-01-02" if i % 17 == 0 else None,
            ],
        )
    con.execute(
        "INSERT INTO files (path, office_code, sha256, format, status) VALUES "
        "('mos/0.csv', 'mos', 'aa', 'csv', 'ok'), ('mos/1.csv', 'mos', 'bb', 'csv', 'ok'),"
        " ('spb/\"странный\"\\путь 1.xlsx', 'spb', 'cc', 'xlsx', 'ok')"
    )
    regs = [
        r[0] for r in con.execute("SELECT reg_number FROM records ORDER BY reg_number LIMIT 40").fetchall()
    ]
    for j, reg in enumerate(regs):
        for k in range(1 + j % 3):
            con.execute(
                "INSERT INTO duplicates (reg_number, source_file, source_table, source_row, differs) VALUES (?, ?, ?, ?, ?)",
                [
                    reg,
                    None if k == 2 else f"mos/{(j + k) % 6}.csv",
                    f"Т{k}",
                    j * 10 + k,
                    "object_name" if k else None,
                ],
            )
    con.close()
    out = tmp_path / "search"
    write_search_index(db, out, quiet=True)
    buckets = json.loads((out / "meta.json").read_text(encoding="utf-8"))["buckets"]
    truth = _reference_buckets(db, buckets)
    written = {int(p.stem): p.read_text(encoding="utf-8") for p in (out / "c").glob("*.json")}
    assert len(truth) > 1 and any('"cards":[[' in t and ",[[" in t for t in truth.values())  # republications
    assert written == truth


def test_token_entries_are_what_json_dumps_writes(tmp_path: Path, monkeypatch) -> None:
    """A token's member of its shard is written as a string: the bytes ``json.dumps`` gives of the
    token and of ``[df, delta postings]`` or ``[df, null, blocks]``."""
    import random

    import openepb.publish.search as si

    monkeypatch.setattr(si, "INLINE", 5)
    monkeypatch.setattr(si, "BLOCK", 8)
    writer = si._Writer(tmp_path, si.SearchReport())
    rng = random.Random(5)
    for token in ("кран", 'a"b\\c', "58ту012342017", "ё\u2028x"):
        for n in (0, 1, 5, 6, 40):
            ordinals = sorted(rng.sample(range(100), n))
            entry = si._entry(writer, token, ordinals)
            if n <= 5:
                value: list = [n, delta(ordinals)]
            else:
                value = [n, None, sorted({o // 8 for o in ordinals})]
            expected = json.dumps(token, ensure_ascii=False) + ":" + json.dumps(value, separators=(",", ":"))
            assert entry.member == expected
            assert json.loads("{" + entry.member + "}") == {token: value}
