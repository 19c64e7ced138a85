"""Offices, districts and other reference data, loaded from ``sources/`` and validated once."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

ROOT = Path(__file__).resolve().parent.parent
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


class Sources(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    districts: list[District]
    offices: list[Office]

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
        return self

    def office(self, code: str) -> Office | None:
        return next((o for o in self.offices if o.code == code), None)

    def district(self, code: str) -> District | None:
        return next((d for d in self.districts if d.code == code), None)


def _load_yaml(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


@cache
def load_sources(sources_dir: Path = SOURCES_DIR) -> Sources:
    return Sources(
        districts=_load_yaml(sources_dir / "districts.yaml")["districts"],
        offices=_load_yaml(sources_dir / "offices.yaml")["offices"],
    )
