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


def test_piece_files_are_the_json_of_their_objects(tmp_path: Path):
    """Piece files are joined from each piece's serialized rows: the bytes ``json.dumps`` writes of
    the object read back from them (keys in their order, every row), and the detail entries count
    the rows the files hold."""
    from openepb.publish.orgs import _dump

    rows = random_records(7)
    _, pieces, _, _ = write_org_lists(make_db(tmp_path / "a.duckdb", rows), tmp_path / "site", quiet=True)
    written = sorted((tmp_path / "site" / "orgrec").rglob("*.json"))
    assert len(written) > 1
    held: dict[str, int] = {}
    for path in written:
        data = path.read_bytes()
        obj = json.loads(data)
        assert obj and data == _dump(obj)
        if path.parent.name != "o":
            held.update({key: len(value) for key, value in obj.items()})
    listed = {
        f"{org}#{i}": entry[3]
        for own in pieces.values()
        for org, rows_ in own.items()
        for i, entry in enumerate(rows_)
    }
    assert listed == held


def test_pair_counts_are_the_rows_of_each_type_and_district_pair():
    import numpy as np

    from openepb.publish.orgs import _pair_counts

    rng = np.random.default_rng(3)
    for n in (1, 2, 50, 400):
        kinds = np.stack([rng.integers(0, 4, n), rng.integers(0, 9, n)], axis=1).astype(np.int64)
        truth: dict[tuple[int, int], int] = {}
        for a, b in kinds.tolist():
            truth[(a, b)] = truth.get((a, b), 0) + 1
        assert _pair_counts(kinds) == [[a, b, truth[(a, b)]] for a, b in sorted(truth)]
    assert _pair_counts(np.empty((0, 2), dtype=np.int64)) == []
