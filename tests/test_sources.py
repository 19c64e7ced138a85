"""Schema checks of sources/offices.yaml and sources/districts.yaml beyond the pydantic model."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml
from pydantic import ValidationError

from openepb.contract.sources import SOURCES_DIR, Office, Sources, load_sources
from openepb.harvest.links import same_site

#: The demo corpus writes these codes with these first prefixes; they must never change.
DEMO_PREFIXES = {
    "mos": "01",
    "cntr": "02",
    "vdon": "03",
    "priok": "04",
    "szap": "06",
    "pech": "07",
    "zural": "16",
    "srpov": "17",
    "ural": "19",
    "sural": "20",
    "enis": "22",
    "nvol": "29",
    "zab": "31",
    "sahal": "33",
}


#: The compiled public list of the offices' register pages, kept verbatim beside the project.
REFERENCE = SOURCES_DIR / "reference"


@pytest.fixture(scope="module")
def sources() -> Sources:
    return load_sources()


def test_demo_codes_and_first_prefixes_are_kept(sources: Sources) -> None:
    assert {code: sources.office(code).reg_prefixes[0] for code in DEMO_PREFIXES} == DEMO_PREFIXES


def test_every_office_says_how_it_was_verified(sources: Sources) -> None:
    assert [o.code for o in sources.offices if not o.verified.strip() or o.verified == "unverified"] == []


def test_current_offices_cover_the_compiled_list(sources: Sources) -> None:
    current = {o.code for o in sources.offices if o.current}
    listed = {"mos", "cntr", "vdon", "priok", "szap", "pech", "nvol", "sevkav", "crim", "kav", "volok"}
    listed |= {"zural", "privol", "srpov", "sural", "ural", "enis", "usib", "dvost", "lensk", "sahal"}
    listed |= {"zab", "svost", "dnr", "lnr", "zpr", "kho", "zsib"}
    assert current == listed


def test_prefixes_are_unique(sources: Sources) -> None:
    counts = Counter(p for o in sources.offices for p in o.reg_prefixes)
    assert [p for p, n in counts.items() if n > 1] == []


def test_register_urls_are_on_the_office_site(sources: Sources) -> None:
    """On the office's own subdomain, with or without ``www.`` (the compiled list gives both)."""
    wrong = [
        url
        for o in sources.offices
        for url in o.register_urls
        if urlsplit(url).scheme != "https"
        or urlsplit(url).netloc not in (f"{o.code}.gosnadzor.ru", f"www.{o.code}.gosnadzor.ru")
        or not same_site(url, o.base_url)
    ]
    assert wrong == []


#: The two current offices whose entry in the compiled list carries another office's URL.
COPY_ERRORS = {"kav": "sevkav", "kho": "szap"}


def test_every_current_office_has_a_register_page_but_the_two_copy_errors(sources: Sources) -> None:
    without = {o.code for o in sources.offices if o.current and not o.register_urls}
    assert without == set(COPY_ERRORS)
    for code, other in COPY_ERRORS.items():
        office = sources.office(code)
        assert "copy error" in office.verified and other in office.verified, code


def test_register_urls_are_the_compiled_lists_but_for_the_scheme(sources: Sources) -> None:
    """Every listed URL is taken as listed (https for http), but the list's copy errors and the
    Сахалинское file the list links instead of its page."""
    listed = json.loads((REFERENCE / "registries_list_zepb.json").read_text(encoding="utf-8"))
    by_code = {entry["site"].split(".")[0]: entry["url"] for entry in listed["registries"]}
    ours = {o.code: o.register_urls for o in sources.offices if o.current}
    differ = {
        code: url
        for code, url in by_code.items()
        if ours[code] != [url.replace("http://", "https://", 1)] and code not in COPY_ERRORS
    }
    assert set(differ) == {"sahal"}
    assert ours["sahal"] == ["https://sahal.gosnadzor.ru/activity/gosuslugirtn/"]
    assert differ["sahal"].startswith("http://www.sahal.gosnadzor.ru/activity/gosuslugirtn/")


def test_exclusion_flags_follow_the_compiled_list(sources: Sources) -> None:
    flags = {o.code: o.exclusions for o in sources.offices if o.current}
    assert {c for c, f in flags.items() if f == "only"} == {
        "pech",
        "zural",
        "sevkav",
        "volok",
        "usib",
        "svost",
    }
    assert {c for c, f in flags.items() if f == "also"} == {
        "priok",
        "nvol",
        "srpov",
        "ural",
        "enis",
        "lensk",
        "dnr",
    }


def test_historical_offices_have_dates_and_a_current_successor(sources: Sources) -> None:
    for office in sources.offices:
        if office.current:
            assert office.successor is None, office.code
            continue
        successor = sources.office(office.successor or "")
        assert successor is not None and successor.current, office.code
        assert office.register_urls == [], office.code
        if office.valid_from:
            assert office.valid_from < office.valid_to, office.code


def test_reorganization_36_to_28_is_represented(sources: Sources) -> None:
    abolished = {o.code for o in sources.offices if not o.current}
    assert len(abolished) == 9  # Западно-Сибирское, reported abolished, still publishes (2026)
    assert {o.successor for o in sources.offices if not o.current} <= {o.code for o in sources.offices}


def test_every_office_lists_its_regions_once(sources: Sources) -> None:
    for office in sources.offices:
        assert office.regions and len(set(office.regions)) == len(office.regions), office.code


def test_districts_have_unique_codes_and_names() -> None:
    districts = yaml.safe_load((SOURCES_DIR / "districts.yaml").read_text(encoding="utf-8"))["districts"]
    assert len({d["code"] for d in districts}) == len(districts)
    assert len({d["name"] for d in districts}) == len(districts)


def test_every_district_has_a_current_office(sources: Sources) -> None:
    used = {o.district for o in sources.offices if o.current}
    assert [d.code for d in sources.districts if d.code not in used] == []


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("reg_prefixes", ["5"]),
        ("register_urls", ["ftp://x"]),
        ("valid_to", "31.12.2019"),
        ("exclusions", "sometimes"),
        ("colour", "red"),
    ],
)
def test_model_rejects_malformed_values(field: str, value: object) -> None:
    base = {"code": "abc", "name": "x", "short": "x", "district": "CFD"}
    with pytest.raises(ValidationError):
        Office(**base, **{field: value})


def test_a_copy_with_a_bad_district_is_rejected(tmp_path: Path) -> None:
    (tmp_path / "districts.yaml").write_text(
        "districts: [{code: CFD, name: a, short: b}]\n", encoding="utf-8"
    )
    (tmp_path / "offices.yaml").write_text(
        "offices: [{code: abc, name: a, short: b, district: XX}]\n", encoding="utf-8"
    )
    with pytest.raises(ValidationError, match="unknown district XX"):
        load_sources.__wrapped__(tmp_path)


def test_base_url_defaults_to_the_subdomain() -> None:
    office = Office(code="vdon", name="x", short="x", district="CFD")
    assert office.base_url == "https://vdon.gosnadzor.ru/"
    assert (
        office.model_copy(update={"site_url": "http://127.0.0.1:1/vdon/"}).base_url
        == "http://127.0.0.1:1/vdon/"
    )


# --- sources/accepted.yaml ----------------------------------------------------------------------


def test_the_committed_acceptances_load_and_name_known_offices(sources: Sources) -> None:
    raw = yaml.safe_load((SOURCES_DIR / "accepted.yaml").read_text(encoding="utf-8"))
    assert len(sources.accepted) == len(raw["accepted"] or [])
    assert all(sources.office(a.office) is not None for a in sources.accepted)


def _sources_with(tmp_path: Path, entries: str) -> Sources:
    for name in ("districts.yaml", "offices.yaml"):
        (tmp_path / name).write_bytes((SOURCES_DIR / name).read_bytes())
    (tmp_path / "accepted.yaml").write_text(f"accepted:\n{entries}", encoding="utf-8")
    return load_sources.__wrapped__(tmp_path)


def test_an_acceptance_names_exactly_one_file_or_one_count(tmp_path: Path) -> None:
    sha = "ab" * 32
    loaded = _sources_with(
        tmp_path,
        f"  - {{office: vdon, sha256: {sha}, by: И. Иванов, reason: проверено, date: 2026-01-12}}\n"
        "  - {office: cntr, records: 12, by: И. Иванов, reason: годы до 2020 убраны, date: 2026-01-12}\n",
    )
    assert loaded.accepts_file("vdon", sha).by == "И. Иванов"
    assert loaded.accepts_file("cntr", sha) is None and loaded.accepts_file("vdon", "cd" * 32) is None
    assert loaded.accepts_count("cntr", 12).reason == "годы до 2020 убраны"
    assert loaded.accepts_count("cntr", 11) is None and loaded.accepts_count("vdon", 12) is None
    assert loaded.accepts_count("cntr", 12).note == (
        "принято в sources/accepted.yaml (И. Иванов, 2026-01-12: годы до 2020 убраны)"
    )


@pytest.mark.parametrize(
    ("entry", "error"),
    [
        ("{office: vdon, by: x, reason: y, date: 2026-01-12}", "exactly one of sha256 and records"),
        (
            f"{{office: vdon, sha256: {'a' * 64}, records: 3, by: x, reason: y, date: 2026-01-12}}",
            "exactly one",
        ),
        ("{office: nosuch, records: 3, by: x, reason: y, date: 2026-01-12}", "unknown office nosuch"),
        ("{office: vdon, sha256: ABC, by: x, reason: y, date: 2026-01-12}", "sha256"),
        ("{office: vdon, records: 3, reason: y, date: 2026-01-12}", "by"),
        ("{office: vdon, records: 3, by: x, reason: y, date: 12.01.2026}", "date"),
    ],
)
def test_a_malformed_acceptance_is_rejected(tmp_path: Path, entry: str, error: str) -> None:
    with pytest.raises(ValidationError, match=error):
        _sources_with(tmp_path, f"  - {entry}\n")
