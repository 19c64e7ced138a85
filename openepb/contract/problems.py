"""The one catalogue of problem codes (``schema/problems.yaml``) and the build's typed problem.

Every stage reports by code: the build writes it to the ``problems`` and ``rejects`` tables, the
harvest to its fetch log and ``freshness.json``, both validators to their reports; the quality pages
and the docs show the code's Russian title from here. A message is the code's template filled with
the values the problem carries; ``{name}`` is the only placeholder syntax, so the in-browser
validator fills the same templates (exported in its rules JSON) the same way.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache

import yaml

from openepb.contract import SCHEMA_DIR

CATALOGUE_FILE = SCHEMA_DIR / "problems.yaml"
PLACEHOLDER = re.compile(r"\{(\w+)\}")
#: The levels each stage reports at (the catalogue's ``levels`` section must list the same).
STAGE_LEVELS: dict[str, tuple[str, ...]] = {
    "build": ("file", "reject", "warning"),
    "validate": ("file", "error", "warning"),
    "harvest": ("fault", "warning"),
}
POSITION_FIELDS = frozenset({"file", "table", "row", "line", "field", "value", "url"})


@dataclass(frozen=True, slots=True)
class ProblemSpec:
    """One code of the catalogue."""

    code: str
    stages: tuple[str, ...]
    level: str
    title: str  # what the code means, shown beside it
    message: str  # the report's sentence; ``{name}`` placeholders filled from the problem's values
    position: tuple[str, ...]  # where the problem is: file, table, row, line, field, value, url

    @property
    def params(self) -> tuple[str, ...]:
        """Placeholders of the message, in order of appearance."""
        return tuple(dict.fromkeys(PLACEHOLDER.findall(self.message)))

    def text(self, params: Mapping[str, object] | None = None) -> str:
        """The message with its placeholders filled; a missing value is an error of the caller."""
        return fill(self.message, params or {})


def fill(template: str, params: Mapping[str, object]) -> str:
    """``{name}`` placeholders replaced by the values of ``params`` (as ``fill`` in validate.js)."""
    return PLACEHOLDER.sub(lambda m: str(params[m.group(1)]), template)


@dataclass(frozen=True, slots=True)
class LevelSpec:
    stage: str
    level: str
    title: str
    doc: str


class CatalogueError(ValueError):
    """The catalogue file is inconsistent (an unknown stage, level or position field)."""


def _as_tuple(value: object) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    return tuple(value or ())


@cache
def _data() -> dict:
    return yaml.safe_load(CATALOGUE_FILE.read_text(encoding="utf-8"))


@cache
def catalogue() -> dict[str, ProblemSpec]:
    """Every code, in the catalogue's order; checked once on load, so a broken file stops early."""
    result = {}
    for code, spec in _data()["problems"].items():
        stages = _as_tuple(spec["stage"])
        entry = ProblemSpec(
            code=code,
            stages=stages,
            level=spec["level"],
            title=spec["title"],
            message=spec.get("message", spec["title"]),
            position=_as_tuple(spec.get("position")),
        )
        for stage in stages:
            if entry.level not in STAGE_LEVELS.get(stage, ()):
                raise CatalogueError(f"{code}: level {entry.level} is not a level of stage {stage}")
        if unknown := set(entry.position) - POSITION_FIELDS:
            raise CatalogueError(f"{code}: unknown position fields {sorted(unknown)}")
        result[code] = entry
    return result


@cache
def levels() -> tuple[LevelSpec, ...]:
    """The levels of every stage with their Russian titles, in the catalogue's order."""
    found = tuple(
        LevelSpec(stage, level, spec["title"], spec["doc"])
        for stage, by_level in _data()["levels"].items()
        for level, spec in by_level.items()
    )
    if {(s.stage, s.level) for s in found} != {(st, lv) for st, lvs in STAGE_LEVELS.items() for lv in lvs}:
        raise CatalogueError("the levels section does not list the levels of every stage")
    return found


def spec(code: str, stage: str | None = None) -> ProblemSpec:
    """The catalogue entry of ``code``; ``stage`` checks that the code belongs to that stage."""
    entry = catalogue().get(code)
    if entry is None:
        raise KeyError(f"problem code {code!r} is not in schema/problems.yaml")
    if stage is not None and stage not in entry.stages:
        raise KeyError(f"problem code {code!r} is not a code of stage {stage}")
    return entry


def title(code: str) -> str:
    """The Russian title of a code; an unknown code (from an older build) is shown as it is."""
    entry = catalogue().get(code)
    return entry.title if entry else code


def stage_codes(stage: str) -> dict[str, ProblemSpec]:
    return {code: entry for code, entry in catalogue().items() if stage in entry.stages}


@dataclass(frozen=True, slots=True)
class Problem:
    """A problem of the build: a code of stage ``build`` and where it was found."""

    code: str
    file: str
    table: str | None = None
    row: int | None = None
    field: str | None = None
    value: str | None = None
    detail: str | None = None

    def __post_init__(self) -> None:
        spec(self.code, "build")

    @property
    def level(self) -> str:
        """``file``, ``reject`` or ``warning``: the one source of the level the store writes."""
        return catalogue()[self.code].level

    @property
    def message(self) -> str:
        """A sentence in Russian naming the place and the reason."""
        where = [self.file]
        if self.table:
            where.append(f"таблица «{self.table}»")
        if self.row is not None:
            where.append(f"строка {self.row}")
        if self.field:
            where.append(f"поле {self.field}")
        text = f"{', '.join(where)}: {catalogue()[self.code].title}"
        if self.value:
            text += f" («{self.value[:120]}»)"
        if self.detail:
            text += f" — {self.detail}"
        return text
