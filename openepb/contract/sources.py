"""Offices, districts and other reference data, loaded from ``sources/`` and validated once."""

from __future__ import annotations

import datetime
from functools import cache
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from openepb.contract import ROOT

SOURCES_DIR = ROOT / "sources"
SCHEMA_DIR = ROOT / "schema"
ISO_DATE = r"^\d{4}-\d{2}-\d{2}$"


class District(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    code: str
    name: str
    short: str


class Expectations(BaseModel):
    """How many records an office's publications must give: a build that falls short fails loudly."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    min_records: int | None = Field(None, ge=0)  # fewer fails the build (a truncated or missing file)
    max_records: int | None = Field(None, ge=0)  # more is reported (a file read twice, a wrong office)
    max_drop: float = Field(0.2, ge=0, le=1)  # largest allowed fall against the previous build's count


class Office(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    code: str = Field(pattern=r"^[a-z]+$")
    name: str
    short: str
    district: str
    reg_prefixes: list[Annotated[str, Field(pattern=r"^\d{2}$")]] = Field(default_factory=list)
    register_urls: list[Annotated[str, Field(pattern=r"^https?://")]] = Field(default_factory=list)
    publishes_certificates: bool = False
    valid_from: str | None = Field(None, pattern=ISO_DATE)  # the office began, when known
    valid_to: str | None = Field(None, pattern=ISO_DATE)  # it was abolished; None for a current office
    successor: str | None = None  # code of the office that took over its territory
    regions: list[str] = Field(default_factory=list)  # subjects of the federation it covers
    exclusions: Literal["none", "also", "only", "unknown"] = "unknown"  # what it publishes of exclusions
    site_url: str | None = None  # overrides https://<code>.gosnadzor.ru/ (tests, mirrors of a site)
    notes: str | None = None
    verified: str = "unverified"
    expect: Expectations = Field(default_factory=Expectations)

    @property
    def base_url(self) -> str:
        """The office's website; mirror paths are relative to it."""
        return self.site_url or f"https://{self.code}.gosnadzor.ru/"

    @property
    def current(self) -> bool:
        return self.valid_to is None


class Acceptance(BaseModel):
    """A person's reviewed decision to publish one reading the gates held back: exactly this file
    (``sha256``, a table read suspiciously) or exactly this record count (``records``, a shrink)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    office: str
    sha256: str | None = Field(None, pattern=r"^[0-9a-f]{64}$")
    records: int | None = Field(None, ge=0)
    by: str = Field(min_length=1)  # who reviewed it
    reason: str = Field(min_length=1)  # why the reading is right
    date: datetime.date

    @model_validator(mode="after")
    def _one_input(self) -> Acceptance:
        if (self.sha256 is None) == (self.records is None):
            raise ValueError(f"accepted entry for {self.office}: give exactly one of sha256 and records")
        return self

    @property
    def note(self) -> str:
        """Who accepted what, for the build summary and the problem's detail."""
        return f"принято в sources/accepted.yaml ({self.by}, {self.date.isoformat()}: {self.reason})"


class Sources(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    districts: list[District]
    offices: list[Office]
    accepted: list[Acceptance] = Field(default_factory=list)

    @model_validator(mode="after")
    def _check_references(self) -> Sources:
        codes = {d.code for d in self.districts}
        seen: set[str] = set()
        for office in self.offices:
            if office.district not in codes:
                raise ValueError(f"office {office.code}: unknown district {office.district}")
            if office.code in seen:
                raise ValueError(f"office {office.code} is listed twice")
            seen.add(office.code)
        for entry in self.accepted:
            if entry.office not in seen:
                raise ValueError(f"accepted entry: unknown office {entry.office}")
        return self

    def accepts_file(self, office: str, sha256: str) -> Acceptance | None:
        """The entry accepting this exact file of the office (its suspicious reading), if any."""
        return next((a for a in self.accepted if a.office == office and a.sha256 == sha256), None)

    def accepts_count(self, office: str, records: int) -> Acceptance | None:
        """The entry accepting exactly this record count of the office (a shrink), if any."""
        return next((a for a in self.accepted if a.office == office and a.records == records), None)

    def office(self, code: str) -> Office | None:
        return next((o for o in self.offices if o.code == code), None)

    def district(self, code: str) -> District | None:
        return next((d for d in self.districts if d.code == code), None)


def _load_yaml(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


@cache
def load_sources(sources_dir: Path = SOURCES_DIR) -> Sources:
    accepted_path = sources_dir / "accepted.yaml"
    accepted = (_load_yaml(accepted_path) or {}).get("accepted") if accepted_path.exists() else None
    return Sources(
        districts=_load_yaml(sources_dir / "districts.yaml")["districts"],
        offices=_load_yaml(sources_dir / "offices.yaml")["offices"],
        accepted=accepted or [],
    )


class GateRules(BaseModel):
    """When a register table counts as read suspiciously (schema/gates.yaml)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    max_reject_share: float = Field(gt=0, lt=1)  # more rejects than this share of data + reject rows
    min_rows: int = Field(ge=1)  # the share counts from this many data + reject rows on


@cache
def load_gate_rules(path: Path = SCHEMA_DIR / "gates.yaml") -> GateRules:
    return GateRules(**_load_yaml(path)["mapping_suspect"])
