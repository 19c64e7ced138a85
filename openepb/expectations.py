"""Per-office expectations on record counts, checked after every build against data and history.

An office file that shrinks (a truncated download, a year dropped from a cumulative file, a reader
that stopped seeing a table) must not pass unnoticed: a count under the office's minimum, or a fall
of more than its ``max_drop`` against the previous build, is an error that fails the build; a count
over its maximum is a warning.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from openepb.config import Sources
from openepb.fileio import write_bytes_atomically

STATE_FILE = "office_counts.json"


@dataclass(frozen=True, slots=True)
class Breach:
    office: str
    level: str  # error | warning
    message: str


def check_counts(counts: dict[str, int], sources: Sources, previous: dict[str, int] | None) -> list[Breach]:
    """Every office of ``sources`` against its expectations; ``previous`` is the last build's counts."""
    breaches = []
    for office in sources.offices:
        now = counts.get(office.code, 0)
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
        before = (previous or {}).get(office.code)
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


def load_previous(state_dir: Path) -> dict[str, int] | None:
    path = state_dir / STATE_FILE
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


def save_counts(state_dir: Path, counts: dict[str, int]) -> None:
    """Written only after a build that passed its checks, so a bad build never becomes the baseline."""
    text = json.dumps(dict(sorted(counts.items())), ensure_ascii=False, indent=1)
    write_bytes_atomically(state_dir / STATE_FILE, text.encode("utf-8"))
