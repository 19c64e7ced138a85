"""The rankings' slice memo: a slice is kept only while its inputs are those of the last build."""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path

import pytest
from test_rank import make_db, random_records

from openepb.publish.rank import build_rankings, check_rankings


def files(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def changed_office(rows: list[dict], office: str, seed: int) -> list[dict]:
    """The records with a few of one office's changed: another expert, one more, one fewer."""
    rng = random.Random(seed)
    rows = [dict(r) for r in rows]
    mine = [i for i, r in enumerate(rows) if r["office_code"] == office]
    for i in rng.sample(mine, 3):
        rows[i]["expert_org_id"] = rows[i]["expert_org_name"] = "E-new"
    rows.append({**rows[mine[0]], "reg_number": "99-ТУ-99999-2019", "applicant_id": "A-new"})
    del rows[mine[-1]]
    return rows


@pytest.mark.parametrize("seed", [1, 2])
def test_a_rebuild_with_the_memo_writes_the_files_of_a_build_without_it(tmp_path: Path, seed: int):
    rows = random_records(seed)
    office = rows[0]["office_code"] or "mos"
    memo = tmp_path / "memo.json"
    first = build_rankings(make_db(tmp_path / "a.duckdb", rows), tmp_path / "kept", quiet=True, memo=memo)
    assert first.slices_reused == 0
    db = make_db(tmp_path / "b.duckdb", changed_office(rows, office, seed))
    again = build_rankings(db, tmp_path / "kept", quiet=True, memo=memo)
    build_rankings(db, tmp_path / "fresh", quiet=True)
    assert files(tmp_path / "kept") == files(tmp_path / "fresh")
    assert 0 < again.slices_reused < first.combinations  # some slices kept, the changed ones not
    assert check_rankings(db, tmp_path / "kept") == []
    unchanged = build_rankings(db, tmp_path / "kept", quiet=True, memo=memo)
    assert unchanged.changed == 0 and files(tmp_path / "kept") == files(tmp_path / "fresh")


def test_a_new_display_name_or_a_missing_file_is_written_again(tmp_path: Path):
    rows = random_records(3)
    memo = tmp_path / "memo.json"
    build_rankings(make_db(tmp_path / "a.duckdb", rows), tmp_path / "kept", quiet=True, memo=memo)
    # The same records, one organization renamed by the organizations table: no count moves.
    renamed = make_db(tmp_path / "b.duckdb", rows, [("E01", "expert_org", "ООО «Новое название»")])
    lost = tmp_path / "kept" / "active" / "c" / "2015-2019" / "all" / "all.json"
    lost.unlink()
    build_rankings(renamed, tmp_path / "kept", quiet=True, memo=memo)
    build_rankings(renamed, tmp_path / "fresh", quiet=True)
    assert files(tmp_path / "kept") == files(tmp_path / "fresh")
    assert "Новое название" in lost.read_text(encoding="utf-8")


def test_a_memo_of_other_options_or_a_broken_memo_is_not_used(tmp_path: Path):
    rows = random_records(4)
    db, memo = make_db(tmp_path / "a.duckdb", rows), tmp_path / "memo.json"
    build_rankings(db, tmp_path / "out", quiet=True, memo=memo)
    other = build_rankings(db, tmp_path / "out", quiet=True, memo=memo, top_n=5)
    assert other.slices_reused == 0
    build_rankings(db, tmp_path / "fresh", quiet=True, top_n=5)
    assert files(tmp_path / "out") == files(tmp_path / "fresh")
    memo.write_text(json.dumps({"version": "x"})[:7], encoding="utf-8")
    assert build_rankings(db, tmp_path / "out", quiet=True, memo=memo, top_n=5).slices_reused == 0


def test_a_memo_of_another_folder_is_not_used(tmp_path: Path):
    db, memo = make_db(tmp_path / "a.duckdb", random_records(5)), tmp_path / "memo.json"
    build_rankings(db, tmp_path / "one", quiet=True, memo=memo)
    shutil.copytree(tmp_path / "one", tmp_path / "two")
    assert build_rankings(db, tmp_path / "two", quiet=True, memo=memo).slices_reused == 0
    assert build_rankings(db, tmp_path / "two", quiet=True, memo=memo).slices_reused > 0
