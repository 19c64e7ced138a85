"""The organization lists' view memo: a (type, region) keeps its files only while its counts hold."""

from __future__ import annotations

import json
from pathlib import Path

from test_rank import make_db, random_records
from test_rank_memo import changed_office, files

from openepb.publish.orgs import write_org_lists


def views(folder: Path) -> int:
    return sum(1 for _ in (folder / "list").rglob("y/*/*/*.json"))


def test_a_rebuild_with_the_memo_writes_the_lists_of_a_build_without_it(tmp_path: Path):
    rows = random_records(5)
    memo = tmp_path / "memo.json"
    write_org_lists(make_db(tmp_path / "a.duckdb", rows), tmp_path / "kept", quiet=True, memo=memo)
    stored = json.loads(memo.read_text(encoding="utf-8"))["parts"]
    assert views(tmp_path / "kept") == sum(len(files) for _, files in stored.values())
    # New organizations move every organization's place in the list: every view is written again.
    rows = changed_office(rows, "szap", 5)
    db = make_db(tmp_path / "b.duckdb", rows)
    write_org_lists(db, tmp_path / "kept", quiet=True, memo=memo)
    write_org_lists(db, tmp_path / "fresh", quiet=True)
    assert files(tmp_path / "kept") == files(tmp_path / "fresh")
    # Three records of one office change their type: no organization's place moves.
    before = json.loads(memo.read_text(encoding="utf-8"))["parts"]
    moved = [dict(r) for r in rows]
    for row in [r for r in moved if r["office_code"] == "szap" and r["object_type"] == "ТУ"][:3]:
        row["object_type"] = "ЗС"
    db = make_db(tmp_path / "c.duckdb", moved)
    write_org_lists(db, tmp_path / "kept", quiet=True, memo=memo)
    write_org_lists(db, tmp_path / "fresh", quiet=True)
    assert files(tmp_path / "kept") == files(tmp_path / "fresh")
    after = json.loads(memo.read_text(encoding="utf-8"))["parts"]
    kept = [part for part, entry in after.items() if before.get(part, [None])[0] == entry[0]]
    assert kept and len(kept) < len(after)  # some views kept, the changed ones written again
    # Written again: only the two types' views of that office, its district and all regions.
    touched = {
        f"{role}/{t}/{region}"
        for role in ("expert", "applicant")
        for t in ("tu", "zs")
        for region in ("o-szap", "d-NWFD", "all")
    }
    assert set(after) - set(kept) <= touched
    assert {"expert/all/o-szap", "expert/tu/o-mos", "applicant/all/all"} <= set(kept)


def test_a_lost_view_file_is_written_again(tmp_path: Path):
    rows = random_records(6)
    db, memo = make_db(tmp_path / "a.duckdb", rows), tmp_path / "memo.json"
    write_org_lists(db, tmp_path / "kept", quiet=True, memo=memo)
    lost = next((tmp_path / "kept" / "list").rglob("y/*/*/*.json"))
    content = lost.read_bytes()
    lost.unlink()
    write_org_lists(db, tmp_path / "kept", quiet=True, memo=memo)
    assert lost.read_bytes() == content
