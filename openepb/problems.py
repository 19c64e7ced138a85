"""Typed problems with stable codes, so reports, rejects.csv and the site speak one language."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from pathlib import Path

import yaml

SCHEMA_DIR = Path(__file__).resolve().parent.parent / "schema"


class Level(StrEnum):
    FILE = "file"  # the whole file could not be used
    REJECT = "reject"  # the row was not turned into a record
    WARNING = "warning"  # the row became a record, but a value was dropped or doubted


@dataclass(frozen=True, slots=True)
class Problem:
    code: str
    file: str
    table: str | None = None
    row: int | None = None
    field: str | None = None
    value: str | None = None
    detail: str | None = None

    @property
    def level(self) -> Level:
        return Level(problem_codes()[self.code]["level"])

    @property
    def message(self) -> str:
        """A sentence in Russian naming the place and the reason."""
        title = problem_codes()[self.code]["title"]
        where = [self.file]
        if self.table:
            where.append(f"таблица «{self.table}»")
        if self.row is not None:
            where.append(f"строка {self.row}")
        if self.field:
            where.append(f"поле {self.field}")
        text = f"{', '.join(where)}: {title}"
        if self.value:
            text += f" («{self.value[:120]}»)"
        if self.detail:
            text += f" — {self.detail}"
        return text


@cache
def problem_codes() -> dict[str, dict[str, str]]:
    """Codes, levels and Russian titles live in data, so documentation and UI read the same list."""
    data = yaml.safe_load((SCHEMA_DIR / "problems.yaml").read_text(encoding="utf-8"))
    return {code: spec for code, spec in data["problems"].items()}
