"""A content-addressed cache of read + normalized files, so a rebuild reads only what changed.

An entry is keyed by the file's sha256 and the *rules version*: one hash of everything reading and
normalizing a file depends on besides its bytes —

- every file of ``schema/`` (header rules, recognizers, value formats and code lists, the problem
  catalogue; a few of them, such as the XSD, are not used by the normalizer and only invalidate the
  cache needlessly when edited);
- the source code of the readers (``openepb/read/``) and of the modules that normalize
  (:data:`SOURCE_MODULES`), so a code change can never serve rows read by older code;
- :data:`NORMALIZER_VERSION`, to be raised by hand if an outside change alters readings;
- the versions of the libraries that read office files (:data:`READER_LIBRARIES`).

The path of the file is not part of the key: a file moved or copied within the mirror reads the
same, and the problems it carries get its new path when loaded. The value is one Arrow IPC file per
entry (``<key>.arrow``): a row per classified row of the file, the file-level outcome in the schema
metadata. Entries are written to a temporary name and renamed into place; an entry that cannot be
read is ignored, removed and written again.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from openepb.contract.fields import FIELDS_BY_NAME, SOURCE_FIELDS
from openepb.contract.problems import Problem
from openepb.contract.sources import ROOT, SCHEMA_DIR
from openepb.fileio import write_arrow_atomically
from openepb.normalize.rows import FileResult, RowResult

if TYPE_CHECKING:
    from openepb.build.pipeline import FileOutcome, SourceFile

#: Raise when readings change for a reason none of the hashed inputs shows.
NORMALIZER_VERSION = "1"

#: Packages whose every module decides the rows of a file: the readers, the normalizer and the contract.
SOURCE_PACKAGES = ("openepb/read", "openepb/normalize", "openepb/contract")
#: Single modules besides those packages that decide the rows of a file.
SOURCE_MODULES = (
    "openepb/build/pipeline.py",  # process_file and what it strips
    "openepb/build/cache.py",  # the entry layout
)

#: Libraries whose version may change what a reading returns: every library the readers, the
#: normalizer and the contract import (a test holds the list to their imports), and the dictionary
#: pymorphy3 judges PDF line wraps with.
READER_LIBRARIES = (
    "python-calamine",
    "pypdfium2",
    "pdfplumber",
    "pdfminer.six",
    "python-docx",
    "lxml",
    "olefile",
    "charset-normalizer",
    "numpy",
    "pymorphy3",
    "pymorphy3-dicts-ru",
    "PyYAML",
    "pydantic",
    "pyarrow",
    "duckdb",
)

#: File-level problems that depend on the machine, not the file: never cached.
UNCACHED_PROBLEMS = frozenset({"conversion_failed"})

#: Environment variable that turns the cache off (as ``--no-cache`` does) when set to a non-empty value.
DISABLE_ENV = "OPENEPB_NO_CACHE"

_VALUE_FIELDS = (*SOURCE_FIELDS, "year")
_VALUE_SET = frozenset(_VALUE_FIELDS)
_NO_VALUES: dict[str, Any] = {}
_ARROW_TYPES = {"VARCHAR": pa.string(), "DATE": pa.date32(), "SMALLINT": pa.int32(), "INTEGER": pa.int64()}


def _value_type(name: str) -> pa.DataType:
    if name == "year":
        return pa.int32()
    return _ARROW_TYPES[FIELDS_BY_NAME[name].sql_type]


_SCHEMA_FIELDS = [
    pa.field("kind", pa.string()),
    pa.field("table", pa.string()),
    pa.field("row", pa.int64()),
    pa.field("cells", pa.list_(pa.string())),
    pa.field("reason", pa.string()),
    pa.field("problems", pa.string()),  # JSON list of problems, null when none
    *(pa.field(f"v_{name}", _value_type(name)) for name in _VALUE_FIELDS),
]


def rules_inputs() -> list[tuple[str, Path]]:
    """The files hashed into the rules version, each with the name it is hashed under, in a fixed order."""
    files = [
        (f"schema/{p.relative_to(SCHEMA_DIR).as_posix()}", p) for p in SCHEMA_DIR.rglob("*") if p.is_file()
    ]
    for package in SOURCE_PACKAGES:
        files += [(p.relative_to(ROOT).as_posix(), p) for p in (ROOT / package).glob("*.py")]
    files += [(rel, ROOT / rel) for rel in SOURCE_MODULES]
    return sorted(files)


@cache
def rules_version() -> str:
    """One hash of every input of reading + normalizing except the file itself."""
    digest = hashlib.sha256(f"normalizer {NORMALIZER_VERSION}\n".encode())
    for name, path in rules_inputs():
        digest.update(name.encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    for name in READER_LIBRARIES:
        try:
            version = metadata.version(name)
        except metadata.PackageNotFoundError:
            version = "-"
        digest.update(f"{name}={version}\n".encode())
    return digest.hexdigest()


def _problem_json(p: Problem) -> list[Any]:
    return [p.code, p.table, p.row, p.field, p.value, p.detail]


def _problem_of(item: list[Any], file: str) -> Problem:
    code, table, row, field, value, detail = item
    return Problem(code, file, table, row, field, value, detail)


@dataclass(frozen=True, slots=True)
class FileCache:
    """Entries under ``folder``; ``version`` is the rules version they were read with."""

    folder: Path
    version: str

    def path(self, sha256: str) -> Path:
        key = hashlib.sha256(f"{sha256}\n{self.version}".encode()).hexdigest()
        return self.folder / f"{key}.arrow"

    def load(self, source: SourceFile, sha256: str, size: int) -> FileOutcome | None:
        """The cached outcome of a file with these bytes, or None (missing or unreadable entry)."""
        from openepb.build.pipeline import FileOutcome

        path = self.path(sha256)
        if not path.is_file():
            return None
        try:
            with pa.memory_map(str(path)) as source_map:
                table = pa.ipc.open_file(source_map).read_all()
            meta = json.loads(table.schema.metadata[b"openepb"])
            outcome = FileOutcome(source, sha256, size, meta["format"])
            if meta["problem"] is not None:
                code, detail = meta["problem"]
                outcome.problem = Problem(code, source.rel, detail=detail)
                return outcome
            outcome.result = _result_of(table, meta, source.rel)
            return outcome
        except Exception:  # a broken entry is no entry: read the file again and rewrite it
            path.unlink(missing_ok=True)
            return None

    def store(self, outcome: FileOutcome) -> None:
        """Write the outcome of one file, unless it depends on the machine; never fails the build."""
        if outcome.problem is not None and outcome.problem.code in UNCACHED_PROBLEMS:
            return
        meta: dict[str, Any] = {"format": outcome.format, "problem": None}
        if outcome.problem is not None:
            meta["problem"] = [outcome.problem.code, outcome.problem.detail]
            table = pa.table({f.name: pa.array([], f.type) for f in _SCHEMA_FIELDS})
        else:
            assert outcome.result is not None
            result = outcome.result
            meta.update(
                problems=[_problem_json(p) for p in result.problems],
                headers=result.headers,
                has_register=result.has_register,
            )
            try:
                table = _table_of(result)
            except (pa.ArrowException, TypeError, ValueError):
                return  # a value of an unexpected type: this file simply is not cached
        table = table.replace_schema_metadata({"openepb": json.dumps(meta, ensure_ascii=False)})
        write_arrow_atomically(self.path(outcome.sha256), table)


def _table_of(result: FileResult) -> pa.Table:
    rows = result.rows
    for row in rows:
        if row.values is not None and row.kind != "data":
            raise ValueError("values on a row that is not data")
        if row.kind == "data" and (row.values is None or row.values.keys() != _VALUE_SET):
            raise ValueError("a data row without the usual values")
    columns: dict[str, list[Any]] = {
        "kind": [row.kind for row in rows],
        "table": [row.table for row in rows],
        "row": [row.row for row in rows],
        "cells": [list(row.cells) for row in rows],
        "reason": [row.reason for row in rows],
        "problems": [
            json.dumps([_problem_json(p) for p in row.problems], ensure_ascii=False) if row.problems else None
            for row in rows
        ],
    }
    values = [row.values or _NO_VALUES for row in rows]
    for name in _VALUE_FIELDS:
        columns[f"v_{name}"] = [v.get(name) for v in values]
    return pa.table({f.name: pa.array(columns[f.name], f.type) for f in _SCHEMA_FIELDS})


def _result_of(table: pa.Table, meta: dict[str, Any], file: str) -> FileResult:
    data = table.to_pydict()
    kinds, tables, numbers = data["kind"], data["table"], data["row"]
    cells, reasons, problems = data["cells"], data["reason"], data["problems"]
    value_rows = zip(*(data[f"v_{name}"] for name in _VALUE_FIELDS), strict=True)
    rows: list[RowResult] = []
    for i, kind in enumerate(kinds):
        these = next(value_rows)  # one per row, kept in step
        values = dict(zip(_VALUE_FIELDS, these, strict=True)) if kind == "data" else None
        row = RowResult(kind, tables[i], numbers[i], tuple(cells[i]), values, reasons[i])
        if problems[i] is not None:
            row.problems = [_problem_of(item, file) for item in json.loads(problems[i])]
        rows.append(row)
    return FileResult(
        rows,
        [_problem_of(item, file) for item in meta["problems"]],
        meta["headers"],
        meta["has_register"],
    )


def default_cache(out_dir: Path) -> FileCache | None:
    """The cache of a build folder, or None when :data:`DISABLE_ENV` is set."""
    if os.environ.get(DISABLE_ENV):
        return None
    return FileCache(out_dir / "cache", rules_version())


# --- stages after the database ---------------------------------------------------------------------
#
# Rankings, exports, the site and the documentation are functions of the database and of the code,
# templates and texts that write them. Each stage leaves a stamp in its output folder: the hash of
# its inputs. A stage whose stamp matches is not run again; its output is left as it was.

#: Folders and files of the repository the later stages read besides the database.
PUBLISH_INPUTS = ("openepb", "templates", "schema", "sources", "docs", "mkdocs.yml", "pyproject.toml")

#: Environment variables that change what the site writes.
PUBLISH_ENV = ("OPENEPB_DOWNLOADS_URL", "OPENEPB_SITE_FILE_LIMIT_MB")


def database_fingerprint(db_path: Path) -> str:
    """A hash of every table of the database: its columns and, for every row in order, its values.

    Rows are hashed by DuckDB (64-bit ``hash`` of the row with its position); a table is summed up
    by its row count, the sum and the XOR of those hashes.
    """
    import duckdb

    digest = hashlib.sha256()
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        names = [n for (n,) in con.execute("SELECT table_name FROM duckdb_tables() ORDER BY 1").fetchall()]
        for name in names:
            columns = con.execute(f'DESCRIBE "{name}"').fetchall()
            listed = ", ".join(f'"{c[0]}"' for c in columns)
            row = con.execute(
                f"""SELECT count(*), sum(h::HUGEINT)::VARCHAR, bit_xor(h)::VARCHAR
                    FROM (SELECT hash(rowid, {listed}) AS h FROM "{name}")"""
            ).fetchone()
            digest.update(json.dumps([name, [c[:2] for c in columns], list(row)]).encode())
    finally:
        con.close()
    return digest.hexdigest()


def tree_hash(*roots: Path) -> str:
    """A hash of the paths and bytes of every file under ``roots`` (dot-files left out)."""
    digest = hashlib.sha256()
    for root in roots:
        files = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
        for path in files:
            rel = path.relative_to(root).as_posix() if path != root else path.name
            if any(part.startswith(".") or part == "__pycache__" for part in Path(rel).parts):
                continue
            digest.update(f"{root.name}/{rel}\0".encode())
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


@cache
def publish_code_version() -> str:
    """The code, templates and texts the later stages use, and the environment they read."""
    env = {name: os.environ.get(name) for name in PUBLISH_ENV}
    return hashlib.sha256(
        (tree_hash(*(ROOT / name for name in PUBLISH_INPUTS)) + json.dumps(env, sort_keys=True)).encode()
    ).hexdigest()


def stage_key(*parts: str) -> str:
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Stamp:
    """The stamp of one stage in its output folder."""

    folder: Path
    stage: str
    key: str

    @property
    def path(self) -> Path:
        return self.folder / f".openepb-{self.stage}.stamp"

    def fresh(self) -> bool:
        """True when the stage's output was written from these very inputs and is still there."""
        try:
            return self.path.read_text(encoding="utf-8") == self.key
        except OSError:
            return False

    def clear(self) -> None:
        """Before the stage runs: a stage that fails half-way leaves no stamp behind."""
        self.path.unlink(missing_ok=True)

    def write(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f"{self.path.name}.{os.getpid()}.tmp")
        tmp.write_text(self.key, encoding="utf-8")
        os.replace(tmp, self.path)
