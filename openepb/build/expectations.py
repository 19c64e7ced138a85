"""Per-office gates: record-count expectations and suspicious readings hold one office back, never the build.

An office file that shrinks (a truncated download, a year dropped from a cumulative file, a reader
that stopped seeing a table) or is read wrongly (a licence column taken for the registration
number) must not pass unnoticed, and must not stop every other office either. A count under the
office's minimum, a fall of more than its ``max_drop`` against the previous build, or a file the
pipeline found ``mapping_suspect`` holds that office's new data back: its last good records
(``state/offices/<code>.parquet``) are published again, marked as the previous build's, until a
person accepts the new reading in ``sources/accepted.yaml``. A count over the maximum is a warning.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from openepb.contract.sources import Office, Sources
from openepb.fileio import write_bytes_atomically

STATE_FILE = "office_counts.json"
OFFICES_DIR = "offices"  # state/offices/<code>.parquet: the office's last published records
PENDING_DIR = ".next-offices"  # this build's snapshots until the whole build has been published


@dataclass(frozen=True, slots=True)
class Breach:
    office: str
    level: str  # error | warning
    message: str


def check_office(office: Office, now: int, before: int | None) -> list[Breach]:
    """One office's record count against its expectations; ``before`` is the last build's count."""
    breaches = []
    expect = office.expect
    if expect.min_records is not None and now < expect.min_records:
        breaches.append(
            Breach(
                office.code,
                "error",
                f"{office.code}: {now} записей, ожидается не меньше {expect.min_records}",
            )
        )
    if expect.max_records is not None and now > expect.max_records:
        breaches.append(
            Breach(
                office.code,
                "warning",
                f"{office.code}: {now} записей, ожидается не больше {expect.max_records}",
            )
        )
    if before and now < before * (1 - expect.max_drop):
        breaches.append(
            Breach(
                office.code,
                "error",
                f"{office.code}: {now} записей против {before} в прошлой сборке "
                f"(падение больше {expect.max_drop:.0%})",
            )
        )
    return breaches


def check_counts(counts: dict[str, int], sources: Sources, previous: dict[str, int] | None) -> list[Breach]:
    """Every office of ``sources`` against its expectations; ``previous`` is the last build's counts."""
    return [
        breach
        for office in sources.offices
        for breach in check_office(office, counts.get(office.code, 0), (previous or {}).get(office.code))
    ]


def load_previous(state_dir: Path) -> dict[str, int] | None:
    path = state_dir / STATE_FILE
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


def save_counts(state_dir: Path, counts: dict[str, int]) -> None:
    """Written only after a build that was published, so a bad build never becomes the baseline."""
    text = json.dumps(dict(sorted(counts.items())), ensure_ascii=False, indent=1)
    write_bytes_atomically(state_dir / STATE_FILE, text.encode("utf-8"))


# ---------------------------------------------------------------------------------------------
# Verdicts


@dataclass(frozen=True, slots=True)
class Suspect:
    """A file of the office the pipeline found read suspiciously (problem ``mapping_suspect``)."""

    path: str
    sha256: str
    message: str


@dataclass
class Verdict:
    """Whether an office's new reading is published, and why not."""

    office: str
    records: int  # records of this build's reading
    reasons: list[str] = field(default_factory=list)  # why it is held back (Russian); empty: published
    accepted: list[str] = field(default_factory=list)  # gates a person (or --accept-shrink) let through
    warnings: list[str] = field(default_factory=list)
    restored: int | None = None  # previous build's records published instead; None: there were none

    @property
    def held_back(self) -> bool:
        return bool(self.reasons)

    @property
    def reason(self) -> str:
        return "; ".join(self.reasons)

    @property
    def status(self) -> str:
        """``new``: this build's reading; ``previous``: the last good build's; ``none``: nothing."""
        if not self.held_back:
            return "new"
        return "previous" if self.restored is not None else "none"

    def line(self) -> str:
        """One line of the build summary (machine-greppable prefix, Russian text)."""
        if self.restored is not None:
            kept = f"опубликованы данные прошлой сборки ({self.restored} записей)"
        else:
            kept = "прошлой удачной сборки нет, новые данные не опубликованы"
        return f"held back: {self.office} — {self.reason}; {kept}"


class Gate:
    """Judges each office once its files were read; knows the previous build's counts and records.

    ``state_dir`` None (the demo) means no history: no previous counts and nothing to restore.
    ``accept_all`` is the one-off ``--accept-shrink`` override.
    """

    def __init__(self, sources: Sources, state_dir: Path | None, *, accept_all: bool = False) -> None:
        self.sources = sources
        self.state_dir = state_dir
        self.previous = (load_previous(state_dir) if state_dir is not None else None) or {}
        self.accept_all = accept_all

    def judge(self, code: str, records: int, suspects: list[Suspect]) -> Verdict:
        office = self.sources.office(code)
        assert office is not None
        verdict = Verdict(code, records)
        for breach in check_office(office, records, self.previous.get(code)):
            if breach.level == "warning":
                verdict.warnings.append(breach.message)
            elif self.accept_all:
                verdict.accepted.append(f"{breach.message} — пропущено разово (--accept-shrink)")
            elif entry := self.sources.accepts_count(code, records):
                verdict.accepted.append(f"{breach.message} — {entry.note}")
            else:
                verdict.reasons.append(breach.message)
        for suspect in suspects:
            if self.accept_all:
                verdict.accepted.append(f"{suspect.message} — пропущено разово (--accept-shrink)")
            elif entry := self.sources.accepts_file(code, suspect.sha256):
                verdict.accepted.append(f"{suspect.message} — {entry.note}")
            else:
                verdict.reasons.append(f"mapping_suspect: {suspect.message}")
        return verdict

    def previous_records(self, code: str) -> Path | None:
        """The office's last published records, when a previous build kept them."""
        if self.state_dir is None:
            return None
        path = self.state_dir / OFFICES_DIR / f"{code}.parquet"
        return path if path.is_file() else None

    def counts_after(self, verdicts: dict[str, Verdict]) -> dict[str, int]:
        """The next baseline: this build's count for offices published anew, the old one otherwise."""
        counts = dict(self.previous)
        counts.update({code: v.records for code, v in verdicts.items() if not v.held_back})
        return counts


# ---------------------------------------------------------------------------------------------
# Each office's last published records


def snapshot_offices(db_path: Path, state_dir: Path, codes: list[str]) -> None:
    """Write the records of ``codes`` beside the state (``.next-offices/``), moved into place by
    :func:`commit_offices` only once the build was published, so a failed build keeps the old ones."""
    pending = state_dir / PENDING_DIR
    shutil.rmtree(pending, ignore_errors=True)
    pending.mkdir(parents=True)
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        for code in codes:
            target = pending / f"{code}.parquet"
            tmp = pending / f".{code}.parquet.tmp"
            con.execute(
                f"COPY (SELECT * FROM records WHERE office_code = ? ORDER BY source_file, source_table, "
                f"source_row) TO '{_sql_path(tmp)}' (FORMAT parquet)",
                [code],
            )
            os.replace(tmp, target)
    finally:
        con.close()


def commit_offices(state_dir: Path) -> list[str]:
    """Move this build's office snapshots into place (each an atomic rename); the codes moved."""
    pending = state_dir / PENDING_DIR
    if not pending.is_dir():
        return []
    target = state_dir / OFFICES_DIR
    target.mkdir(parents=True, exist_ok=True)
    moved = []
    for path in sorted(pending.glob("*.parquet")):
        path.replace(target / path.name)
        moved.append(path.stem)
    shutil.rmtree(pending, ignore_errors=True)
    return moved


def _sql_path(path: Path) -> str:
    return str(path).replace("'", "''")
