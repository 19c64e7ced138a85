"""File helpers: a file is rewritten only when its bytes change; pruning keeps exactly the kept files."""

from __future__ import annotations

from pathlib import Path

from openepb.fileio import prune_tree, write_if_changed


def test_write_if_changed_leaves_equal_bytes_alone(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b.json"
    assert write_if_changed(path, b"[1,2]")
    inode = path.stat().st_ino
    assert not write_if_changed(path, b"[1,2]")
    assert path.stat().st_ino == inode
    assert write_if_changed(path, b"[1,2,3]")  # longer
    assert path.read_bytes() == b"[1,2,3]"
    assert write_if_changed(path, b"[1]")  # a prefix of what is there
    assert path.read_bytes() == b"[1]"
    assert not list(tmp_path.rglob("*.tmp"))


def test_prune_tree_deletes_what_was_not_kept_and_empty_folders(tmp_path: Path) -> None:
    root = tmp_path / "root"
    for rel in ("x/1.json", "x/2.json", "y/z/3.json", "4.json"):
        write_if_changed(root / rel, b"{}")
    kept = {root / "x/1.json", root / "4.json"}
    assert prune_tree(root, kept) == 2
    assert sorted(p.relative_to(root).as_posix() for p in root.rglob("*")) == ["4.json", "x", "x/1.json"]
    assert prune_tree(tmp_path / "missing", set()) == 0
