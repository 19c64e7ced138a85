"""File helpers every stage needs: content hashes for provenance, checksums and downloads pages."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

CHUNK = 1 << 20


def sha256_and_size(path: Path) -> tuple[str, int]:
    """The file's sha256 (hex) and size, read in 1 MiB chunks so large files cost no memory."""
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def sha256_of(path: Path) -> str:
    return sha256_and_size(path)[0]


@contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """A temporary path beside ``path``, renamed onto it only when the block succeeds, so a reader
    never sees half a file and a failed step leaves the previous output in place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_bytes_atomically(path: Path, data: bytes) -> None:
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


def write_arrow_atomically(path: Path, table: Any) -> bool:
    """An Arrow IPC file (a ``pyarrow.Table``), atomically; False when the disk refused it. For the
    caches: a cache that cannot be written costs the next build time, never this build."""
    import pyarrow as pa

    try:
        with (
            atomic_path(path) as tmp,
            pa.OSFile(str(tmp), "wb") as sink,
            pa.ipc.new_file(sink, table.schema) as writer,
        ):
            writer.write_table(table)
    except OSError:
        return False
    return True


def write_if_changed(path: Path, data: bytes) -> bool:
    """Write ``data`` atomically unless the file already holds exactly these bytes (a rebuild after
    a small change then rewrites only the files that changed); True when the file was written."""
    try:
        with open(path, "rb") as fh:
            if fh.read(len(data) + 1) == data:
                return False
    except OSError:
        pass
    write_bytes_atomically(path, data)
    return True


def prune_tree(root: Path, kept: set[Path] | set[str]) -> int:
    """Delete every file under ``root`` that is not in ``kept``, then the folders left empty;
    returns how many files were deleted."""
    if not root.is_dir():
        return 0
    keep = {str(p) for p in kept}
    top = str(root)
    deleted = 0
    for folder, _, names in os.walk(top, topdown=False):  # the deepest folders first
        for name in names:
            path = os.path.join(folder, name)
            if path not in keep and os.path.isfile(path):
                os.unlink(path)
                deleted += 1
        if folder != top and not os.listdir(folder):
            os.rmdir(folder)
    return deleted
