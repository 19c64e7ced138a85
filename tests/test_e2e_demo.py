"""End to end: the demo corpus through the whole pipeline, scored against the generator's truth."""

from __future__ import annotations

import csv
from collections import Counter
from datetime import date
from pathlib import Path

import duckdb
import pytest

from openepb.contract.fields import SOURCE_FIELDS

pytestmark = pytest.mark.slow

COMPARED = (*SOURCE_FIELDS, "office_code", "year", "source_file")
FIELD_ACCURACY = 0.995


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _as_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


@pytest.fixture(scope="module")
def truth(demo_build) -> dict[str, list[dict[str, str]]]:
    truth_dir = demo_build.corpus.truth_dir
    return {
        name: _read_csv(truth_dir / f"{name}.csv") for name in ("records", "rejects", "files", "problems")
    }


@pytest.fixture(scope="module")
def db(demo_build) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(demo_build.database), read_only=True)
    yield con
    con.close()


def _records(db: duckdb.DuckDBPyConnection) -> dict[str, dict[str, str]]:
    cur = db.execute(f"SELECT {', '.join(COMPARED)} FROM records")
    names = [d[0] for d in cur.description]
    return {row[0]: {n: _as_text(v) for n, v in zip(names, row, strict=True)} for row in cur.fetchall()}


def test_registration_numbers_recall_and_precision_are_complete(db, truth):
    got = set(_records(db))
    expected = {r["reg_number"] for r in truth["records"]}
    assert got - expected == set(), "records the truth does not have"
    assert expected - got == set(), "truth records the pipeline missed"


def test_every_field_matches_truth_for_at_least_995_per_mille(db, truth, record_property):
    got = _records(db)
    mismatches: Counter = Counter()
    examples: dict[str, tuple[str, str, str]] = {}
    for want in truth["records"]:
        have = got.get(want["reg_number"])
        if have is None:
            continue
        for name in COMPARED:
            if have[name] != want.get(name, ""):
                mismatches[name] += 1
                examples.setdefault(name, (want["reg_number"], want.get(name, ""), have[name]))
    total = len(truth["records"])
    report = {name: 1 - mismatches[name] / total for name in COMPARED}
    for name, share in report.items():
        record_property(f"accuracy_{name}", round(share, 5))
    failing = {n: (round(report[n], 4), examples[n]) for n in COMPARED if report[n] < FIELD_ACCURACY}
    assert failing == {}, f"fields below {FIELD_ACCURACY}: {failing}"


def test_every_truth_reject_is_found_with_its_reason(db, truth):
    got = db.execute("SELECT source_file, source_table, source_row, reason FROM rejects").fetchall()
    by_place = {(f, t or "", str(r)): reason for f, t, r, reason in got}
    by_file = Counter((f, reason) for f, _, _, reason in got)
    want_by_file = Counter((r["source_file"], r["reason"]) for r in truth["rejects"])
    for reject in truth["rejects"]:
        if reject["row"]:
            place = (reject["source_file"], reject["table"], reject["row"])
            assert by_place.get(place) == reject["reason"], f"truth reject not found as such: {reject}"
    assert by_file == want_by_file


def test_every_planted_problem_is_reported_on_its_row(db, truth):
    """A mistyped ИНН is dropped from the record (the field accuracy above) and reported here."""
    got = set(
        db.execute(
            "SELECT source_file, coalesce(source_table, ''), source_row, code, field FROM problems"
        ).fetchall()
    )
    want = {(p["source_file"], p["table"], int(p["row"]), p["code"], p["field"]) for p in truth["problems"]}
    assert want and want <= got


def test_per_file_outcomes_equal_truth(db, truth):
    got = {
        row[0]: row[1:]
        for row in db.execute("SELECT path, status, records, duplicates, rejects FROM files").fetchall()
    }
    want = {
        f["source_file"]: (f["status"], int(f["records"]), int(f["duplicates"]), int(f["rejects"]))
        for f in truth["files"]
    }
    assert {p: got.get(p) for p in want} == want
    assert set(got) == set(want), "files read that the truth does not list, or the other way round"


def test_row_accounting_balances_for_every_file(db):
    unbalanced = db.execute(
        """
        SELECT path, rows_in, records + duplicates + rejects + title + header + colnum + blank
                              + section + total + footer + no_header AS accounted
        FROM files WHERE rows_in <> accounted
        """
    ).fetchall()
    assert unbalanced == []
    stored = db.execute(
        """
        SELECT (SELECT count(*) FROM records), (SELECT count(*) FROM duplicates), (SELECT count(*) FROM rejects),
               sum(records), sum(duplicates), sum(rejects) FROM files
        """
    ).fetchone()
    assert stored[:3] == stored[3:]
