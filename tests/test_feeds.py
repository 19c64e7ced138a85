"""The change feed: a second demo build with added rows gives feeds holding exactly those records,
every feed valid Atom 1.0 (RFC 4287, RELAX NG in tests/data/atom.rng)."""

from __future__ import annotations

import csv
import shutil
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest
from lxml import etree

from openepb.publish.feeds import CHANGE_COLUMNS, STATE_FILE, write_feeds

ATOM = "{http://www.w3.org/2005/Atom}"
RNG = Path(__file__).parent / "data" / "atom.rng"
#: Files held back from the first build and added in the second: rows an office appended.
ADDED_FILES = ("cntr/files/epb_2018.csv", "zab/upload/sved_2018.docx")
OFFICES = ("cntr", "zab")
NOW = datetime(2019, 1, 7, 3, 17, tzinfo=UTC)


@pytest.fixture(scope="module")
def atom() -> etree.RelaxNG:
    return etree.RelaxNG(etree.parse(str(RNG)))


@pytest.fixture(scope="module")
def builds(demo_build, tmp_path_factory) -> dict[str, Path]:
    """Build 1 from two offices without their 2018 files, build 2 with them; feeds after each."""
    from openepb.build.pipeline import build_database

    root = tmp_path_factory.mktemp("feeds")
    first, second = root / "mirror1", root / "mirror2"
    for office in OFFICES:
        shutil.copytree(demo_build.corpus.corpus_dir / office, second / office)
    shutil.copytree(second, first)
    for rel in ADDED_FILES:
        (first / rel).unlink()
    paths = {"root": root, "state": root / "state"}
    for number, mirror in ((1, first), (2, second)):
        db = root / f"build{number}.duckdb"
        build_database(mirror, db, quiet=True, workers=1)
        paths[f"db{number}"] = db
        site, exports = root / f"site{number}", root / f"exports{number}"
        previous = paths["state"] / STATE_FILE
        write_feeds(db, previous, site, exports, paths["state"], now=NOW)
        paths[f"site{number}"], paths[f"exports{number}"] = site, exports
        shutil.copy(paths["state"] / STATE_FILE, root / f"state{number}.parquet")
    return paths


def _truth_added(demo_build) -> set[str]:
    with (demo_build.corpus.truth_dir / "records.csv").open(encoding="utf-8", newline="") as stream:
        return {row["reg_number"] for row in csv.DictReader(stream) if row["source_file"] in ADDED_FILES}


def _entries(path: Path) -> list[str]:
    """Registration numbers of a feed's entries (from their titles)."""
    root = etree.parse(str(path)).getroot()
    return [e.findtext(f"{ATOM}title").split()[1] for e in root.iter(f"{ATOM}entry")]


def _changes(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as stream:
        return list(csv.DictReader(stream))


def test_first_build_is_initial_and_its_feeds_are_empty(builds):
    site = builds["site1"]
    feeds = sorted(site.rglob("*.xml"))
    assert site / "feeds" / "all.xml" in feeds and site / "feeds" / "office" / "cntr.xml" in feeds
    for path in feeds:
        assert _entries(path) == []
        assert "Первая сборка" in etree.parse(str(path)).getroot().findtext(f"{ATOM}subtitle")
    rows = _changes(builds["exports1"] / "changes.csv")
    assert rows == []
    header = (builds["exports1"] / "changes.csv").read_text(encoding="utf-8-sig").splitlines()[0]
    assert header == ",".join(CHANGE_COLUMNS)


def test_second_build_feeds_hold_exactly_the_added_records(builds, demo_build):
    expected = _truth_added(demo_build)
    assert len(expected) > 50
    site = builds["site2"]
    national = _entries(site / "feeds" / "all.xml")
    assert len(national) == len(set(national))
    assert set(national) == expected
    changes = _changes(builds["exports2"] / "changes.csv")
    assert {row["change"] for row in changes} == {"added"}
    assert sorted(row["reg_number"] for row in changes) == sorted(expected)


def test_office_and_expert_feeds_split_the_added_records(builds):
    site = builds["site2"]
    con = duckdb.connect(str(builds["db2"]), read_only=True)
    try:
        owner = dict(con.execute("SELECT reg_number, office_code FROM records").fetchall())
        expert = dict(con.execute("SELECT reg_number, expert_org_id FROM records").fetchall())
    finally:
        con.close()
    national = set(_entries(site / "feeds" / "all.xml"))
    for office in OFFICES:
        got = _entries(site / "feeds" / "office" / f"{office}.xml")
        assert set(got) == {reg for reg in national if owner[reg] == office}
    seen: list[str] = []
    for path in sorted((site / "feeds" / "expert").glob("*.xml")):
        regs = _entries(path)
        assert {expert[reg] for reg in regs} <= {path.stem}
        seen += regs
    assert sorted(seen) == sorted(reg for reg in national if expert[reg])


def test_every_feed_validates_as_atom(builds, atom):
    feeds = sorted(builds["site2"].rglob("*.xml")) + sorted(builds["site1"].rglob("*.xml"))
    assert len(feeds) > 10
    for path in feeds:
        document = etree.parse(str(path))
        assert atom.validate(document), f"{path.name}: {atom.error_log.last_error}"
        root = document.getroot()
        # RFC 4287 rules the RELAX NG schema leaves to Schematron
        assert root.find(f"{ATOM}author") is not None
        ids = [e.findtext(f"{ATOM}id") for e in root.iter(f"{ATOM}entry")]
        assert len(ids) == len(set(ids))
        for entry in root.iter(f"{ATOM}entry"):
            assert entry.find(f"{ATOM}content") is not None or any(
                link.get("rel") == "alternate" for link in entry.iter(f"{ATOM}link")
            )


def test_the_schema_rejects_a_feed_without_an_id(atom):
    feed = etree.fromstring(
        b'<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title>'
        b"<updated>2019-01-07T03:17:00Z</updated></feed>"
    )
    assert not atom.validate(feed)


def test_removed_numbers_are_listed_in_changes_csv(builds, demo_build, tmp_path):
    report = write_feeds(
        builds["db1"],
        builds["root"] / "state2.parquet",
        tmp_path / "site",
        tmp_path / "exports",
        tmp_path / "st",
    )
    assert (report.initial, report.added, report.removed) == (False, 0, len(_truth_added(demo_build)))
    rows = _changes(tmp_path / "exports" / "changes.csv")
    assert {row["change"] for row in rows} == {"removed"}
    assert {row["reg_number"] for row in rows} == _truth_added(demo_build)
    assert _entries(tmp_path / "site" / "feeds" / "all.xml") == []
    assert (tmp_path / "st" / STATE_FILE).exists() and not (tmp_path / "st" / ".next").exists()
