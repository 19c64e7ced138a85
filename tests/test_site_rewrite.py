"""Detail shards and review pages are rewritten in place: a file keeps its bytes when they did not
change, changes when its content does, and what the last build wrote past this one's end goes."""

from __future__ import annotations

import json
from pathlib import Path

import openepb.publish.site as site
from openepb.publish.site import OrgFacts, write_details, write_review


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _facts(n: int, suffix: str = "") -> dict[str, OrgFacts]:
    return {f"e{i:04d}": OrgFacts(name=f"ООО «Организация {i}{suffix}»", inn=f"77{i:08d}") for i in range(n)}


def test_detail_shards_match_a_fresh_folder_and_lose_the_shards_past_the_end(tmp_path: Path, monkeypatch):
    monkeypatch.setattr(site, "DETAIL_SHARD_BYTES", 400)
    kept, fresh = tmp_path / "kept", tmp_path / "fresh"
    first = write_details(kept, "expert", _facts(40), {})
    many = _files(kept / "org" / "expert")
    assert len(many) == len(first) > 3
    # one organization renamed: its shard changes, the others keep their bytes
    facts = _facts(40)
    facts["e0007"] = OrgFacts(name="ООО «Переименована»", inn="7700000007")
    write_details(kept, "expert", facts, {})
    write_details(fresh, "expert", facts, {})
    after = _files(kept / "org" / "expert")
    assert after == _files(fresh / "org" / "expert")
    changed = [name for name in after if after[name] != many.get(name)]
    assert len(changed) == 1 and "Переименована" in after[changed[0]].decode()
    # fewer organizations: fewer shards, none left over from the bigger build
    write_details(kept, "expert", _facts(5), {})
    write_details(tmp_path / "small", "expert", _facts(5), {})
    assert _files(kept / "org" / "expert") == _files(tmp_path / "small" / "org" / "expert")
    assert len(_files(kept / "org" / "expert")) < len(many)


def test_review_pages_match_a_fresh_folder_and_lose_the_pages_past_the_end(tmp_path: Path):
    rows = [[f"e{i}", f"Организация {i}", i] for i in range(3 * site.REVIEW_PAGE_ROWS)]
    kept = tmp_path / "kept"
    write_review(kept, {"expert": {"all": rows}})
    assert len(list((kept / "review" / "expert" / "all").glob("*.json"))) == 3
    fewer = rows[: site.REVIEW_PAGE_ROWS - 1] + [["e-new", "Новая", 0]]
    index = write_review(kept, {"expert": {"all": fewer}})
    write_review(tmp_path / "fresh", {"expert": {"all": fewer}})
    assert _files(kept / "review") == _files(tmp_path / "fresh" / "review")
    assert index["roles"]["expert"]["all"]["pages"] == 1
    assert json.loads((kept / "review" / "expert" / "all" / "1.json").read_bytes())[-1][0] == "e-new"
    assert not (kept / "review" / "expert" / "all" / "2.json").exists()


def test_tree_size_counts_every_file_and_its_bytes(tmp_path: Path):
    from openepb.publish.site import _tree_size

    sizes = {"a.json": 3, "d/b.json": 10, "d/e/f/c.txt": 0, "d/e/g.bin": 7}
    for name, size in sizes.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(b"x" * size)
    (tmp_path / "empty").mkdir()
    assert _tree_size(tmp_path) == (len(sizes), sum(sizes.values()))
    assert _tree_size(tmp_path / "missing") == (0, 0)
