"""The build: discover files in a mirror, read + normalize each (in parallel), deduplicate, store.

Reading and normalizing a file depend on that file alone, so they run in worker processes; whether a
row is a record or a duplicate depends on every file before it, so that decision is made here, in
processing order (docs/normalization.md).

Files come office by office, so once an office's last file is taken its reading is judged
(:class:`openepb.build.expectations.Gate`): a table read suspiciously (``mapping_suspect``) or a count that
breaks the office's expectations holds that office back — its new records leave the store and its
last good records take their place, before later offices are deduplicated against them and before
the organizations are resolved — while every other office keeps its new data (docs/quality.md).
"""

from __future__ import annotations

import json
import os
import sys
import traceback
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tqdm import tqdm

from openepb import read as readers
from openepb.build.exclusions import Exclusion, ExclusionReport, apply_exclusions, split_exclusions
from openepb.build.expectations import Gate, Suspect, Verdict
from openepb.build.licences import read_licence_register
from openepb.build.store import StoreWriter
from openepb.contract.fields import COMPARED_FIELDS, SOURCE_FIELDS
from openepb.contract.problems import Problem
from openepb.contract.sources import GateRules, Office, Sources, load_gate_rules, load_sources
from openepb.contract.tables import FILE_KINDS
from openepb.fileio import sha256_and_size
from openepb.harvest.mirror import ARCHIVE_FOLDER, ASSET_SUFFIXES, FEDERAL_FOLDER, LICENCE_REGISTER_PATH
from openepb.normalize.rows import FileResult, normalize_rows
from openepb.resolve.entities import ResolveReport, resolve_database

if TYPE_CHECKING:
    from openepb.build.cache import FileCache


@dataclass(frozen=True, slots=True)
class SourceFile:
    office_code: str
    path: Path  # absolute
    rel: str  # POSIX path relative to the mirror root, e.g. "vdon/upload/2017.xlsx"


@dataclass(slots=True)
class FileOutcome:
    """What a worker sends back for one file."""

    source: SourceFile
    sha256: str
    size: int
    format: str | None
    problem: Problem | None = None  # file-level reject
    result: FileResult | None = None
    unexpected: bool = False  # a reader raised something else than ReadError: never cached


@dataclass
class OfficeSummary:
    files: int = 0
    rows: int = 0
    records: int = 0
    duplicates: int = 0
    rejects: Counter = field(default_factory=Counter)
    file_problems: Counter = field(default_factory=Counter)
    suspects: list[Suspect] = field(default_factory=list)  # tables read suspiciously (mapping_suspect)


@dataclass
class BuildSummary:
    offices: dict[str, OfficeSummary]
    unknown_folders: list[str]
    database: Path
    resolve: ResolveReport | None = None
    licences: int = 0
    exclusions: ExclusionReport | None = None
    verdicts: dict[str, Verdict] = field(default_factory=dict)  # offices the gate judged

    @property
    def records(self) -> int:
        return sum(o.records for o in self.offices.values())

    @property
    def held_back(self) -> dict[str, Verdict]:
        """Offices whose new data were not published, in code order."""
        return {code: v for code, v in sorted(self.verdicts.items()) if v.held_back}


def discover_files(root: Path, sources: Sources) -> tuple[list[SourceFile], list[str]]:
    """Every file under each office folder, in processing order; folders of unknown offices listed."""
    files: list[SourceFile] = []
    unknown: list[str] = []
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        if folder.name == FEDERAL_FOLDER:
            continue
        if sources.office(folder.name) is None:
            unknown.append(folder.name)
            continue
        found = [
            p
            for p in folder.rglob("*")
            if p.is_file() and not p.is_symlink() and p.suffix.lower() not in ASSET_SUFFIXES
        ]
        found.sort(key=lambda p: _processing_key(p.relative_to(folder)))
        files.extend(SourceFile(folder.name, p, p.relative_to(root).as_posix()) for p in found)
    return files, unknown


def _processing_key(rel: Path) -> tuple[bool, str]:
    """Current files in path order, then archived versions (docs/normalization.md)."""
    return rel.parts[0] == ARCHIVE_FOLDER, rel.as_posix()


def process_file(source: SourceFile, cache: FileCache | None = None) -> FileOutcome:
    """Read and normalize one file; any failure becomes a file-level problem, never an exception.

    Only a :class:`ReadError` says the file is bad; anything else is a fault of the program and is
    reported as ``processing_failed`` with its place in the code, so it is never taken for a corrupt
    file (and never cached). With ``cache``, a file whose bytes were read before under the same
    rules comes from the cache (openepb.build.cache) and is neither read nor normalized.
    """
    sha, size = sha256_and_size(source.path)
    if cache is not None and (cached := cache.load(source, sha, size)) is not None:
        return cached
    outcome = _read_file(source, sha, size)
    if cache is not None and not outcome.unexpected:
        cache.store(outcome)
    return outcome


def _read_file(source: SourceFile, sha: str, size: int) -> FileOutcome:
    outcome = FileOutcome(source, sha, size, None)
    try:
        outcome.format = readers.detect_format(source.path)
        rows = readers.read_rows(source.path, outcome.format)
        outcome.result = _without_data_cells(normalize_rows(rows, source.rel))
    except readers.ReadError as err:
        outcome.problem = Problem(err.code, source.rel, detail=err.message)
        outcome.result = None
    except Exception as err:  # a program bug must not stop the build: report it on this file
        where = traceback.extract_tb(err.__traceback__)[-1]
        detail = f"{type(err).__name__}: {err} ({Path(where.filename).name}:{where.lineno})"
        outcome.problem = Problem("processing_failed", source.rel, detail=detail)
        outcome.result = None
        outcome.unexpected = True
    return outcome


def _without_data_cells(result: FileResult) -> FileResult:
    """Raw cells of data rows are not needed past normalization (rejects keep theirs): dropping them
    halves what a worker sends back and what the build holds for the largest file."""
    for row in result.rows:
        if row.kind == "data":
            row.cells = ()
    return result


def _problem_row(p: Problem) -> dict[str, Any]:
    return {
        "code": p.code,
        "level": p.level,
        "source_file": p.file,
        "source_table": p.table,
        "source_row": p.row,
        "field": p.field,
        "value": p.value,
        "detail": p.detail,
        "message": p.message,
    }


class Deduplicator:
    """Turns "data" rows into records or duplicates, in processing order, and writes them.

    Only the registration numbers seen are kept in memory; a duplicate's values go to a staging
    table and are compared with the first occurrence in one SQL join (:meth:`finish`).
    """

    def __init__(self, store: StoreWriter) -> None:
        self.store = store
        self.seen: set[str] = set()
        self.staged = 0  # keeps the duplicates in processing order

    def take(self, office: Office, rel: str, row: Any, counts: Counter) -> None:
        values = row.values
        reg = values["reg_number"]
        place = {"source_file": rel, "source_table": row.table, "source_row": row.row}
        if reg not in self.seen:
            self.seen.add(reg)
            record = {name: values.get(name) for name in SOURCE_FIELDS}
            record.update(office_code=office.code, district=office.district, year=values.get("year"), **place)
            self.store.add("records", record)
            counts["records"] += 1
            return
        staged = {name: values.get(name) for name in COMPARED_FIELDS}
        staged.update(seq=self.staged, reg_number=reg, **place)
        self.store.add("duplicate_values", staged)
        self.staged += 1
        counts["duplicates"] += 1

    def finish(self) -> None:
        """Fill ``duplicates`` (where the first occurrence is, which fields differ) and drop the staging."""
        differs = ", ".join(
            f"CASE WHEN d.{name} IS DISTINCT FROM r.{name} THEN '{name}' END" for name in COMPARED_FIELDS
        )
        self.store.con.execute(
            f"""
            INSERT INTO duplicates
            SELECT d.reg_number, d.source_file, d.source_table, d.source_row,
                   r.source_file, r.source_table, r.source_row, NULLIF(concat_ws(',', {differs}), '')
            FROM duplicate_values d JOIN records r USING (reg_number)
            ORDER BY d.seq
            """
        )
        self.store.con.execute("DROP TABLE duplicate_values")


def _iter_outcomes(files: list[SourceFile], workers: int, cache: FileCache | None) -> Iterator[FileOutcome]:
    """Every file's outcome, in the order of ``files``.

    With a cache, a file already in it is loaded here, where its rows are used: only the files to read
    go to worker processes (a cached file's rows would otherwise be pickled back from a worker), a
    second file with the same bytes waits for the first one's entry, and no pool is started for one
    file to read."""
    if cache is None:
        yield from _read_all(files, workers, None)
        return
    keyed = [(source, *sha256_and_size(source.path)) for source in files]
    seen: set[str] = set()
    to_read: list[SourceFile] = []
    for source, sha, _ in keyed:
        if sha not in seen and not cache.path(sha).is_file():
            to_read.append(source)
        seen.add(sha)
    reading = {id(source) for source in to_read}
    read = _read_all(to_read, workers, cache)
    try:
        for source, sha, size in keyed:
            if id(source) in reading:
                yield next(read)
            else:  # an entry that turns out unreadable is no entry: the file is read here
                yield cache.load(source, sha, size) or process_file(source, cache)
    finally:
        read.close()


def _read_all(files: list[SourceFile], workers: int, cache: FileCache | None) -> Iterator[FileOutcome]:
    process = partial(process_file, cache=cache)
    if workers <= 1 or len(files) <= 1:
        yield from map(process, files)
        return
    with ProcessPoolExecutor(max_workers=workers) as pool:
        yield from pool.map(process, files, chunksize=1)


def build_database(
    input_dir: Path,
    db_path: Path,
    *,
    quiet: bool = False,
    workers: int | None = None,
    sources: Sources | None = None,
    gate: Gate | None = None,
    cache: FileCache | None = None,
) -> BuildSummary:
    """Read every office file of ``input_dir`` into the store at ``db_path``.

    Without ``gate`` every reading is stored as read (``mapping_suspect`` is still reported); with
    one, each office is judged after its last file and held back when a gate fails. With ``cache``,
    files read before under the same rules are taken from it (openepb.build.cache).
    """
    sources = sources or load_sources()
    rules = load_gate_rules()
    files, unknown = discover_files(input_dir, sources)
    workers = workers if workers is not None else min(2, os.cpu_count() or 1)
    store = StoreWriter(db_path)
    offices = {o.code: OfficeSummary() for o in sources.offices}
    dedup = Deduplicator(store)
    seen_hashes: dict[str, str] = {}
    exclusions: list[Exclusion] = []
    verdicts: dict[str, Verdict] = {}

    def judge(code: str) -> None:
        if gate is None:
            return
        summary = offices[code]
        verdict = gate.judge(code, summary.records, summary.suspects)
        if verdict.held_back:
            _hold_back(store, dedup, sources.office(code), verdict, gate.previous_records(code))
        if summary.files or verdict.held_back or verdict.accepted:
            verdicts[code] = verdict

    try:
        progress = tqdm(
            _iter_outcomes(files, workers, cache),
            total=len(files),
            desc="read+normalize",
            unit="file",
            disable=quiet,
            file=sys.stderr,
        )
        current: str | None = None
        for outcome in progress:
            if outcome.source.office_code != current:
                if current is not None:
                    judge(current)
                current = outcome.source.office_code
            _take_outcome(outcome, sources, store, dedup, offices, seen_hashes, exclusions, rules)
        if current is not None:
            judge(current)
        for office in sources.offices:  # offices without a file this time: vanished ones are held back
            if office.code not in verdicts and not offices[office.code].files:
                judge(office.code)
        for folder in unknown:
            store.add(
                "problems",
                _problem_row(
                    Problem("office_unknown", folder, detail="папка не указана в sources/offices.yaml")
                ),
            )
        _write_offices(store, sources)
        store.flush()
        dedup.finish()
        excluded = apply_exclusions(store.con, exclusions)
        licence_folder = input_dir / FEDERAL_FOLDER / LICENCE_REGISTER_PATH
        licences = read_licence_register(licence_folder) if licence_folder.is_dir() else []
        report = resolve_database(store.con, licences=licences)
        held = {
            code: {"status": v.status, "reason": v.reason, "records": v.records, "restored": v.restored}
            for code, v in sorted(verdicts.items())
            if v.held_back
        }
        store.set_meta(
            {"input": input_dir.name, "files": len(files), "licences": len(licences), "held_back": held}
        )
        store.close()
    except BaseException:
        store.abort()
        raise
    return BuildSummary(
        {k: v for k, v in offices.items() if v.files},
        unknown,
        db_path,
        resolve=report,
        licences=len(licences),
        exclusions=excluded,
        verdicts=verdicts,
    )


def _take_outcome(
    outcome: FileOutcome,
    sources: Sources,
    store: StoreWriter,
    dedup: Deduplicator,
    offices: dict[str, OfficeSummary],
    seen_hashes: dict[str, str],
    exclusions: list[Exclusion],
    rules: GateRules,
) -> None:
    src = outcome.source
    office = sources.office(src.office_code)
    assert office is not None
    summary = offices[office.code]
    summary.files += 1
    counts: Counter = Counter()
    file_row: dict[str, Any] = {
        "path": src.rel,
        "office_code": office.code,
        "sha256": outcome.sha256,
        "size": outcome.size,
        "format": outcome.format,
        "status": "ok",
    }
    if outcome.sha256 in seen_hashes:
        problem = Problem("same_content", src.rel, detail=seen_hashes[outcome.sha256])
        file_row.update(status="same_content", same_as=seen_hashes[outcome.sha256], message=problem.message)
        store.add("problems", _problem_row(problem))
        summary.file_problems["same_content"] += 1
    elif outcome.problem is not None:
        file_row.update(status=outcome.problem.code, message=outcome.problem.message)
        store.add("problems", _problem_row(outcome.problem))
        summary.file_problems[outcome.problem.code] += 1
        seen_hashes[outcome.sha256] = src.rel
    else:
        seen_hashes[outcome.sha256] = src.rel
        result, listed = split_exclusions(outcome.result, office.code, src.rel)
        exclusions.extend(listed)
        _take_rows(result, office, src.rel, store, dedup, counts, summary)
        if not result.has_register:
            status = "page" if outcome.format == "html" else "not_a_register"
            file_row["status"] = status
            if status == "not_a_register":
                summary.file_problems[status] += 1
        for problem in result.problems:
            if not (file_row["status"] == "page" and problem.code == "not_a_register"):
                store.add("problems", _problem_row(problem))
        suspects = suspect_tables(result, rules)
        accepted = sources.accepts_file(office.code, outcome.sha256) if suspects else None
        for table, said, columns in suspects:
            detail = f"{said}; {columns}" + (f"; {accepted.note}" if accepted else "")
            problem = Problem("mapping_suspect", src.rel, table, detail=detail)
            store.add("problems", _problem_row(problem))
            where = f"{src.rel}, таблица «{table}»" if table else src.rel
            summary.suspects.append(Suspect(src.rel, outcome.sha256, f"{where}: {said}"))
            if file_row["status"] != "mapping_suspect":
                file_row.update(status="mapping_suspect", message=problem.message)
                summary.file_problems["mapping_suspect"] += 1
    rows_in = sum(counts.values())
    file_row.update(rows_in=rows_in, **{k: counts.get(k, 0) for k in ("records", "duplicates", "rejects")})
    file_row.update({kind: counts.get(kind, 0) for kind in FILE_KINDS})
    store.add("files", file_row)
    summary.rows += rows_in
    summary.records += counts["records"]
    summary.duplicates += counts["duplicates"]


def _take_rows(
    result: FileResult,
    office: Office,
    rel: str,
    store: StoreWriter,
    dedup: Deduplicator,
    counts: Counter,
    summary: OfficeSummary,
) -> None:
    for row in result.rows:
        if row.kind == "data":
            dedup.take(office, rel, row, counts)
        elif row.kind == "reject":
            problem = Problem(row.reason or "reg_number_invalid", rel, row.table, row.row, "reg_number")
            store.add(
                "rejects",
                {
                    "source_file": rel,
                    "source_table": row.table,
                    "source_row": row.row,
                    "reason": problem.code,
                    "message": problem.message,
                    "cells": json.dumps(list(row.cells), ensure_ascii=False),
                },
            )
            counts["rejects"] += 1
            summary.rejects[problem.code] += 1
        else:
            counts[row.kind] += 1
        for problem in row.problems:
            store.add("problems", _problem_row(problem))


#: Row kinds that hold a registration number (or should): the rows a suspicious share is taken of.
TAKEN_KINDS = ("data", "exclusion")


def suspect_tables(result: FileResult, rules: GateRules) -> list[tuple[str, str, str]]:
    """``(table, counts, columns)`` for every register table read suspiciously: mostly rejects, or
    every table of a file whose header was found that yields no record, duplicate or exclusion.

    ``counts`` says how many rows were rejected; ``columns`` the header seen and the column → field
    mapping used, so a person can tell a misread column from a real file without opening it.
    """
    kinds: dict[str, Counter] = {}
    leading: dict[str, list[tuple[str, ...]]] = {}
    for row in result.rows:
        counts = kinds.setdefault(row.table, Counter())
        if row.kind == "header" and counts.keys() <= {"title", "header"}:
            leading.setdefault(row.table, []).append(row.cells)
        counts[row.kind] += 1
    yielded = sum(c[k] for c in kinds.values() for k in TAKEN_KINDS)
    found: list[tuple[str, str, str]] = []
    header: list[tuple[str, ...]] = []
    first: tuple[str, str, str] | None = None
    for table, mapping in result.headers.items():
        header = leading.get(table) or header  # a continued table keeps the header of the one before
        counts = kinds.get(table, Counter())
        taken, rejects = sum(counts[k] for k in TAKEN_KINDS), counts["reject"]
        rows = taken + rejects
        share = f" ({rejects / rows:.0%})" if rows else ""
        said = f"строк реестра: {rows}, отклонено: {rejects}{share}"
        if not yielded:
            said += ", записей в файле нет"
        entry = (table, said, _describe_columns(header, mapping))
        first = first or entry
        mostly_rejects = rows >= rules.min_rows and rejects > rules.max_reject_share * rows
        if mostly_rejects or (not yielded and rejects):
            found.append(entry)
    if not yielded and not found and first is not None:
        found.append(first)  # a header and nothing under it
    return found


def _describe_columns(header: list[tuple[str, ...]], mapping: dict[str, str]) -> str:
    """``1 «Номер лицензии» → reg_number, 2 «…» → не сопоставлен``: header texts top to bottom."""
    width = max([len(cells) for cells in header] + [int(i) + 1 for i in mapping], default=0)
    columns = []
    for i in range(width):
        texts: list[str] = []
        for cells in header:
            text = " ".join(cells[i].split()) if i < len(cells) else ""
            if text and (not texts or texts[-1] != text):
                texts.append(text)
        if texts or str(i) in mapping:
            columns.append(f"{i + 1} «{' '.join(texts)}» → {mapping.get(str(i), 'не сопоставлен')}")
    return "заголовок и сопоставление: " + ", ".join(columns)


#: Record columns a held-back office's previous records are restored with (ids are resolved again).
RESTORED_FIELDS: tuple[str, ...] = (*SOURCE_FIELDS, "year", "source_file", "source_table", "source_row")


def _hold_back(
    store: StoreWriter, dedup: Deduplicator, office: Office, verdict: Verdict, previous: Path | None
) -> None:
    """Replace the office's new records with its last published ones (none without a previous build).

    Its files, rejects and problems stay: they are this build's reading and say why it was held back.
    Its new duplicates go (their first occurrences are gone); later offices are deduplicated
    against the restored numbers, exactly as they were published.
    """
    store.flush()
    con = store.con
    code = office.code
    new = con.execute("SELECT reg_number FROM records WHERE office_code = ?", [code]).fetchall()
    dedup.seen.difference_update(reg for (reg,) in new)
    con.execute("DELETE FROM records WHERE office_code = ?", [code])
    con.execute(
        "DELETE FROM duplicate_values WHERE source_file IN (SELECT path FROM files WHERE office_code = ?)",
        [code],
    )
    if previous is None:
        verdict.restored = None
        return
    present = {
        row[0] for row in con.execute("DESCRIBE SELECT * FROM read_parquet(?)", [str(previous)]).fetchall()
    }
    columns = ", ".join(name for name in RESTORED_FIELDS if name in present)
    con.execute(
        f"""CREATE TEMP TABLE restored AS SELECT {columns} FROM read_parquet(?)
            WHERE reg_number NOT IN (SELECT reg_number FROM records)""",
        [str(previous)],
    )
    con.execute(
        f"INSERT INTO records ({columns}, office_code, district) SELECT {columns}, ?, ? FROM restored",
        [code, office.district],
    )
    restored = con.execute("SELECT reg_number FROM restored").fetchall()
    dedup.seen.update(reg for (reg,) in restored)
    con.execute("DROP TABLE restored")
    verdict.restored = len(restored)


def _write_offices(store: StoreWriter, sources: Sources) -> None:
    for office in sources.offices:
        district = sources.district(office.district)
        store.add(
            "offices",
            {
                "code": office.code,
                "name": office.name,
                "short": office.short,
                "district": office.district,
                "district_name": district.name if district else None,
                "district_short": district.short if district else None,
            },
        )


def format_summary(summary: BuildSummary) -> str:
    """A per-office table for the terminal."""
    lines = [
        f"{'office':<8} {'files':>5} {'rows':>8} {'records':>8} {'dupl.':>7} {'rejects':>7}  reasons / file problems"
    ]
    total = OfficeSummary()
    for code in sorted(summary.offices):
        s = summary.offices[code]
        notes = ", ".join(f"{k} {v}" for k, v in sorted((s.rejects + s.file_problems).items()))
        lines.append(
            f"{code:<8} {s.files:>5} {s.rows:>8} {s.records:>8} {s.duplicates:>7} "
            f"{sum(s.rejects.values()):>7}  {notes}"
        )
        total.files += s.files
        total.rows += s.rows
        total.records += s.records
        total.duplicates += s.duplicates
        total.rejects.update(s.rejects)
    lines.append(
        f"{'total':<8} {total.files:>5} {total.rows:>8} {total.records:>8} {total.duplicates:>7} "
        f"{sum(total.rejects.values()):>7}"
    )
    if summary.unknown_folders:
        lines.append("folders of unknown offices (skipped): " + ", ".join(summary.unknown_folders))
    for code in sorted(summary.offices):
        lines.extend(
            f"mapping_suspect: {s.message} (sha256 {s.sha256})" for s in summary.offices[code].suspects
        )
    for code in sorted(summary.verdicts):
        lines.extend(f"accepted: {note}" for note in summary.verdicts[code].accepted)
    lines.extend(verdict.line() for verdict in summary.held_back.values())
    return "\n".join(lines)


def office_counts(summary: BuildSummary) -> dict[str, dict[str, int]]:
    return {
        code: {"files": s.files, "rows": s.rows, "records": s.records, "duplicates": s.duplicates}
        for code, s in summary.offices.items()
    }
