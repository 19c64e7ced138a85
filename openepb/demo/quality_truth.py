"""The demo corpus's data-quality truth: per office, the figures the quality page must show.

Accumulated from the generator's own model (the rows it tags as records, duplicates and rejects, and
the files it writes), never from the pipeline's output, and written to ``truth/quality.csv``.
The reference date is the newest registration date over all offices, as in ``openepb.publish.quality``.
Only the definitions (which fields count, the lag thresholds) are shared with the quality stage; the
figures are computed here by their own code, so a fault in the stage's arithmetic is caught.
"""

from __future__ import annotations

import csv
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from openepb.publish.quality import CONTACT_FIELDS, FILL_FIELDS, LATE_DAYS, READ_STATUSES, STALE_DAYS

TRUTH_QUALITY_COLUMNS = (
    "office_code",
    "files",
    "formats",
    "records",
    "duplicates",
    "rejects",
    "first_date",
    "newest_date",
    "lag_days",
    "gap_months",
    "gaps",
    "publication",
    *(f"{name}_filled" for name in FILL_FIELDS),
)


@dataclass
class OfficeTruth:
    files: int = 0
    formats: set[str] = field(default_factory=set)
    records: int = 0
    duplicates: int = 0
    rejects: int = 0
    days: set[date] = field(default_factory=set)
    filled: Counter[str] = field(default_factory=Counter)


def _month_gaps(days: set[date]) -> list[str]:
    """Months between the first and the last registration in which none was registered."""
    if not days:
        return []
    index = {d.year * 12 + d.month - 1 for d in days}
    return [f"{m // 12:04d}-{m % 12 + 1:02d}" for m in range(min(index), max(index) + 1) if m not in index]


def _publication(lag: int | None) -> str:
    if lag is None:
        return "none"
    return "current" if lag <= LATE_DAYS else ("late" if lag <= STALE_DAYS else "stale")


class QualityTruth:
    """Per-office counters fed by the truth writer as it accounts each file and record."""

    def __init__(self) -> None:
        self.offices: dict[str, OfficeTruth] = {}

    def office(self, code: str) -> OfficeTruth:
        return self.offices.setdefault(code, OfficeTruth())

    def add_file(self, code: str, real_format: str, status: str, counts: Counter[str]) -> None:
        office = self.office(code)
        office.files += 1
        if real_format and status in READ_STATUSES:
            office.formats.add(real_format)
        office.duplicates += counts["duplicates"]
        office.rejects += counts["rejects"]

    def add_record(self, code: str, fields: dict[str, str]) -> None:
        office = self.office(code)
        office.records += 1
        if fields.get("date_registered"):
            office.days.add(date.fromisoformat(fields["date_registered"]))
        for name in FILL_FIELDS:
            wanted = CONTACT_FIELDS if name == "contacts" else (name,)
            if any(fields.get(part) for part in wanted):
                office.filled[name] += 1

    def rows(self) -> list[list[object]]:
        newest = [max(o.days) for o in self.offices.values() if o.days]
        reference = max(newest) if newest else None
        rows = []
        for code, o in sorted(self.offices.items()):
            first, last = (min(o.days), max(o.days)) if o.days else (None, None)
            lag = (reference - last).days if reference and last else None
            gaps = _month_gaps(o.days)
            rows.append(
                [
                    code,
                    o.files,
                    " ".join(sorted(o.formats)),
                    o.records,
                    o.duplicates,
                    o.rejects,
                    first.isoformat() if first else "",
                    last.isoformat() if last else "",
                    "" if lag is None else lag,
                    len(gaps),
                    " ".join(gaps),
                    _publication(lag),
                    *(o.filled[name] for name in FILL_FIELDS),
                ]
            )
        return rows

    def write(self, path: Path) -> None:
        with path.open("w", encoding="utf-8", newline="") as stream:
            writer = csv.writer(stream)
            writer.writerow(TRUTH_QUALITY_COLUMNS)
            writer.writerows(self.rows())
