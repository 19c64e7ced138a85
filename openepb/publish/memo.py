"""The files a part of a stage wrote, by a digest of that part's inputs, kept between builds.

A stage that writes many files from independent parts (the rankings' (type, region) slices) hashes
each part's inputs; a part whose digest is the one of the previous build, and whose files are still
there with their sizes, is not computed again: its files are taken as written. The memo lives
outside the published folders (next to the file cache) and holds only the parts of the last build.
Its ``version`` names everything the digests leave out (the code, the axes, the options); a memo of
another version, or one that cannot be read, is no memo.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from openepb.fileio import write_bytes_atomically

#: A memo of values per record is held in memory whole and grows with the register (about 1 KB a
#: record): past this many records it is not kept, and the stage computes every record.
ROW_MEMO_MAX_RECORDS = 500_000


class Digest:
    """A running hash of a part's inputs: arrays by dtype, shape and bytes, texts and numbers."""

    def __init__(self, *parts: Any) -> None:
        self._hash = hashlib.blake2b(digest_size=20)
        self.add(*parts)

    def add(self, *parts: Any) -> Digest:
        for part in parts:
            if isinstance(part, np.ndarray):
                array = np.ascontiguousarray(part)
                self._hash.update(f"a{array.dtype.str}{array.shape}".encode())
                self._hash.update(array.tobytes())
            else:
                data = json.dumps(part, ensure_ascii=False, separators=(",", ":")).encode()
                self._hash.update(f"j{len(data)}:".encode())
                self._hash.update(data)
        return self

    def hexdigest(self) -> str:
        return self._hash.hexdigest()


class PartMemo:
    """``{part: [digest, [[file, kind, bytes, gzip bytes or None], …]]}`` of the last build."""

    def __init__(self, path: Path | None, version: str) -> None:
        self.path = path
        self.version = version
        self.old: dict[str, list[Any]] = {}
        self.new: dict[str, list[Any]] = {}
        self.reused = 0
        if path is None:
            return
        try:
            stored = json.loads(path.read_text(encoding="utf-8"))
            if stored.get("version") == version:
                self.old = stored["parts"]
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            self.old = {}

    def files(self, part: str, digest: str, root: Path) -> list[list[Any]] | None:
        """The files ``part`` wrote from inputs of this ``digest``, when each is still there with its
        size; None when the part must be computed."""
        entry = self.old.get(part)
        if self.path is None or entry is None or entry[0] != digest:
            return None
        for rel, _kind, size, _gzip in entry[1]:
            try:
                if os.path.getsize(os.path.join(root, rel)) != size:
                    return None
            except OSError:
                return None
        self.new[part] = entry
        self.reused += 1
        return entry[1]

    def keep(self, part: str, digest: str, files: list[list[Any]]) -> None:
        self.new[part] = [digest, files]

    def save(self) -> None:
        if self.path is None:
            return
        data = json.dumps({"version": self.version, "parts": self.new}, ensure_ascii=False)
        with contextlib.suppress(OSError):  # unwritten, the next build computes every part
            write_bytes_atomically(self.path, data.encode("utf-8"))

    def forget(self) -> None:
        """Before the stage writes: a stage that fails half-way leaves no memo behind."""
        if self.path is not None:
            self.path.unlink(missing_ok=True)
