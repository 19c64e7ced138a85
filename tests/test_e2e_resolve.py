"""End to end: organizations in the demo build, scored against the generator's true entity keys."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import duckdb
import pytest

from openepb.demo.entities import NEAR_HOMONYMS
from openepb.demo.writers import Table, write_xlsx
from openepb.pipeline import build_database
from openepb.resolve import pairwise_scores

pytestmark = pytest.mark.slow

MIN_SCORE = 0.99


def clustering_failures(pred: dict[str, str], truth: dict[str, str]) -> list[str]:
    """What is wrong with a clustering: precision and recall are checked each on its own (a tuple
    comparison would pass a resolver that gives every record its own id)."""
    precision, recall = pairwise_scores(pred, truth)
    failures = []
    if precision < MIN_SCORE:
        failures.append(f"precision {precision:.4f} < {MIN_SCORE}")
    if recall < MIN_SCORE:
        failures.append(f"recall {recall:.4f} < {MIN_SCORE}")
    return failures


@pytest.fixture(scope="module")
def truth(demo_build) -> dict[str, dict[str, str]]:
    with (demo_build.corpus.truth_dir / "records.csv").open(encoding="utf-8", newline="") as fh:
        return {row["reg_number"]: row for row in csv.DictReader(fh)}


def _ids(db_path: Path) -> dict[str, tuple[str, str]]:
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        rows = con.execute("SELECT reg_number, expert_org_id, applicant_id FROM records").fetchall()
    finally:
        con.close()
    return {reg: (expert, applicant) for reg, expert, applicant in rows}


@pytest.mark.parametrize(
    ("role", "column", "index"), [("expert", "expert_org_key", 0), ("applicant", "applicant_key", 1)]
)
def test_clustering_matches_true_entities(demo_build, truth, role, column, index, record_property):
    ids = _ids(demo_build.database)
    pred = {reg: pair[index] for reg, pair in ids.items() if pair[index]}
    keys = {reg: row[column] for reg, row in truth.items() if row[column]}
    precision, recall = pairwise_scores(pred, keys)
    record_property(f"{role}_precision", round(precision, 5))
    record_property(f"{role}_recall", round(recall, 5))
    assert len(pred) == len(keys), "every record with a named organization gets an id"
    assert precision >= MIN_SCORE, precision
    assert recall >= MIN_SCORE, recall
    assert clustering_failures(pred, keys) == []


@pytest.mark.parametrize(("role", "column"), [("expert", "expert_org_key"), ("applicant", "applicant_key")])
def test_the_check_fails_when_every_record_gets_its_own_id(truth, role, column):
    keys = {reg: row[column] for reg, row in truth.items() if row[column]}
    singletons = {reg: reg for reg in keys}
    assert clustering_failures(singletons, keys) == [
        f"recall {pairwise_scores(singletons, keys)[1]:.4f} < 0.99"
    ]


@pytest.mark.parametrize(("role", "column"), [("expert", "expert_org_key"), ("applicant", "applicant_key")])
def test_the_check_fails_when_every_record_shares_one_id(truth, role, column):
    keys = {reg: row[column] for reg, row in truth.items() if row[column]}
    one = dict.fromkeys(keys, "one")
    assert clustering_failures(one, keys)[0].startswith("precision")


def test_planted_near_homonyms_are_never_merged(demo_build, truth):
    ids = _ids(demo_build.database)
    for key_a, key_b in NEAR_HOMONYMS:
        ids_a = {ids[reg][0] for reg, row in truth.items() if row["expert_org_key"] == key_a}
        ids_b = {ids[reg][0] for reg, row in truth.items() if row["expert_org_key"] == key_b}
        assert ids_a and ids_b, (key_a, key_b)
        assert ids_a.isdisjoint(ids_b), f"{key_a} and {key_b} were merged"


def test_expert_organizations_carry_the_licence_register(demo_build):
    con = duckdb.connect(str(demo_build.database), read_only=True)
    try:
        missing = con.execute(
            """SELECT count(*) FROM organizations
               WHERE role = 'expert' AND licence_number IS NOT NULL AND licence_status IS NULL"""
        ).fetchone()[0]
        statuses = dict(
            con.execute(
                "SELECT licence_status, count(*) FROM organizations WHERE role = 'expert' GROUP BY 1"
            ).fetchall()
        )
    finally:
        con.close()
    assert missing == 0
    assert set(statuses) == {"действующая", "прекращена"}


def test_ids_are_stable_across_rebuilds_and_new_files(demo_build, tmp_path):
    first = _ids(demo_build.database)
    again = tmp_path / "again.duckdb"
    build_database(demo_build.corpus.corpus_dir, again, quiet=True)
    assert _ids(again) == first

    corpus = tmp_path / "corpus"
    shutil.copytree(demo_build.corpus.corpus_dir, corpus)
    con = duckdb.connect(str(demo_build.database), read_only=True)
    known_reg, expert, licence = con.execute(
        """SELECT reg_number, expert_org_name, licence_number FROM records
           WHERE licence_number IS NOT NULL ORDER BY reg_number LIMIT 1"""
    ).fetchone()
    con.close()
    header = [
        "Регистрационный номер",
        "Дата внесения в реестр",
        "Заявитель",
        "Экспертная организация",
        "Лицензия",
    ]
    new_rows = [
        [f"03-ТУ-{90000 + i:05d}-2018", f"0{i + 1}.12.2018", f"ООО «Новый заявитель {i}»", expert, licence]
        for i in range(3)
    ]
    write_xlsx(corpus / "vdon" / "upload" / "zz_added_2018.xlsx", [Table(rows=[header, *new_rows])])
    grown = tmp_path / "grown.duckdb"
    build_database(corpus, grown, quiet=True)
    after = _ids(grown)
    assert {reg: after[reg] for reg in first} == first
    assert len(after) == len(first) + 3
    assert {after[row[0]][0] for row in new_rows} == {first[known_reg][0]}
