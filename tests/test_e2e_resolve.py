"""End to end: organizations in the demo build, scored against the generator's true entity keys.

The demo plants what broke entity resolution on real files (``openepb.demo.entities``): same-named
utilities of many cities, legal-form twins, numbered units, branches under their parent's ИНН, a
rename ЗАО → АО, common words, ИНН inside names. Every check here is computed from the truth files
(true keys per record); the pipeline's tables are only read to learn which id it gave a record.
"""

from __future__ import annotations

import csv
import json
import shutil
from collections import Counter, defaultdict
from pathlib import Path

import duckdb
import pytest

from openepb.build.pipeline import build_database
from openepb.demo.entities import NEAR_HOMONYMS, RENAMED_EXPERTS, UTILITY_NAMES, planted_applicant_specs
from openepb.demo.writers import Table, write_xlsx
from openepb.publish.rank import build_rankings
from openepb.resolve.entities import pairwise_scores

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


# --------------------------------------------------------------------------------------------------
# Planted cases: no id holds two organizations, each planted organization keeps one id
# --------------------------------------------------------------------------------------------------

ROLE_INDEX = {"expert": (0, "expert_org_key"), "applicant": (1, "applicant_key")}


def _keys_by_id(ids: dict[str, tuple[str, str]], truth, role: str) -> dict[str, Counter[str]]:
    index, column = ROLE_INDEX[role]
    held: dict[str, Counter[str]] = defaultdict(Counter)
    for reg, row in truth.items():
        if row[column]:
            held[ids[reg][index]][row[column]] += 1
    return held


def _ids_by_key(ids: dict[str, tuple[str, str]], truth, role: str) -> dict[str, set[str]]:
    index, column = ROLE_INDEX[role]
    found: dict[str, set[str]] = defaultdict(set)
    for reg, row in truth.items():
        if row[column]:
            found[row[column]].add(ids[reg][index])
    return found


@pytest.mark.parametrize("role", ["expert", "applicant"])
def test_no_id_holds_two_true_organizations(demo_build, truth, role):
    """Different city, number, legal form or ИНН: every planted difference is a different true key,
    so an id holding two keys is a wrong merge, whatever the reason."""
    held = _keys_by_id(_ids(demo_build.database), truth, role)
    assert {cid: dict(keys) for cid, keys in held.items() if len(keys) > 1} == {}


def test_every_planted_applicant_is_in_the_truth_and_keeps_one_id(demo_build, truth):
    by_key = _ids_by_key(_ids(demo_build.database), truth, "applicant")
    planted = [spec.key for spec in planted_applicant_specs()]
    assert [key for key in planted if key not in by_key] == []
    assert {key: len(by_key[key]) for key in planted if len(by_key[key]) != 1} == {}


@pytest.mark.parametrize("utility", UTILITY_NAMES)
def test_same_named_utilities_get_one_id_per_city(demo_build, truth, utility):
    """«МУП «Водоканал» г. Пермь» and «ГУП «Водоканал г. Москва»» are two organizations; a dozen
    cities give a dozen ids (and «МУП «Водоканал»» without a city one more)."""
    by_key = _ids_by_key(_ids(demo_build.database), truth, "applicant")
    keys = [s.key for s in planted_applicant_specs() if s.core == utility and s.key in by_key]
    assert len(keys) >= 12
    ids = [next(iter(by_key[key])) for key in keys]
    assert len(set(ids)) == len(keys)


def test_spellings_without_form_with_the_city_inside_or_after_the_quotes_are_one_organization(truth):
    """The planted spellings exist in the truth: what the clustering tests score covers them."""
    names: dict[str, set[str]] = defaultdict(set)
    for row in truth.values():
        names[row["applicant_key"]].add(row["applicant_name"])
    bare = [s for s in planted_applicant_specs() if s.bare]
    assert any(name == f"{s.core} {s.place}" for s in bare for name in names[s.key])
    inside = [s for s in planted_applicant_specs() if s.place and s.place_inside]
    assert any(f"{s.core} {s.place}" in name for s in inside for name in names[s.key])
    after = [s for s in planted_applicant_specs() if s.place and not s.place_inside]
    assert any(name.endswith(s.place) for s in after for name in names[s.key])
    numbered = [s for s in planted_applicant_specs() if s.variants]
    assert all(len(names[s.key]) >= 2 for s in numbered)


def test_an_organization_with_and_without_inn_is_one_id(demo_build, truth):
    """Rows without an ИНН join the organization whose name key they share exactly."""
    ids = _ids(demo_build.database)
    both: dict[str, set[bool]] = defaultdict(set)
    for row in truth.values():
        both[row["applicant_key"]].add(bool(row["applicant_inn"]))
    mixed = [key for key, seen in both.items() if seen == {True, False}]
    assert len(mixed) >= 50
    by_key = _ids_by_key(ids, truth, "applicant")
    assert {key: by_key[key] for key in mixed if len(by_key[key]) != 1} == {}


def test_inns_inside_names_are_taken_out_of_the_name(demo_build):
    con = duckdb.connect(str(demo_build.database), read_only=True)
    try:
        left = con.execute(
            r"""SELECT count(*) FROM records
               WHERE regexp_matches(applicant_name, 'ИНН\s*\d') OR regexp_matches(expert_org_name, 'ИНН\s*\d')"""
        ).fetchone()[0]
    finally:
        con.close()
    assert left == 0


def test_branches_share_the_parent_inn_and_are_organizations_of_their_own(demo_build, truth):
    specs = [s for s in planted_applicant_specs() if s.branch]
    by_key = _ids_by_key(_ids(demo_build.database), truth, "applicant")
    groups = {spec.inn_of: {spec.inn_of} for spec in specs}
    for spec in specs:
        groups[spec.inn_of].add(spec.key)
    con = duckdb.connect(str(demo_build.database), read_only=True)
    try:
        for keys in groups.values():
            ids = [next(iter(by_key[key])) for key in keys]
            assert len(set(ids)) == len(keys)
            inns = con.execute(
                f"SELECT DISTINCT inn FROM organizations WHERE id IN ({', '.join('?' * len(ids))})", ids
            ).fetchall()
            assert len(inns) == 1 and inns[0][0]
    finally:
        con.close()


def test_a_rename_is_two_organizations_linked(demo_build, truth):
    by_key = _ids_by_key(_ids(demo_build.database), truth, "expert")
    con = duckdb.connect(str(demo_build.database), read_only=True)
    try:
        for after, (before, _) in RENAMED_EXPERTS.items():
            (old,), (new,) = by_key[before], by_key[after]
            assert old != new
            links = con.execute(
                "SELECT id, predecessor_id, successor_id FROM organizations WHERE id IN (?, ?) ORDER BY id",
                [old, new],
            ).fetchall()
            assert {row[0]: row[1:] for row in links} == {old: (None, new), new: (old, None)}
    finally:
        con.close()


# --------------------------------------------------------------------------------------------------
# The site's TOP lists equal the truth's
# --------------------------------------------------------------------------------------------------

TOP_N = 30
SAFETY_CASE = "ОБ"


@pytest.fixture(scope="module")
def rank_dir(demo_build, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("rank")
    build_rankings(demo_build.database, out, top_n=TOP_N, quiet=True)
    return out


def truth_counts(truth, year: int, object_type: str | None) -> Counter[str]:
    """Conclusions per true expert organization in a year: the site's default record set (not
    excluded), all offices; computed from the truth alone."""
    return Counter(
        row["expert_org_key"]
        for row in truth.values()
        if row["expert_org_key"]
        and row["year"] == str(year)
        and not row["excluded_date"]
        and object_type in (None, row["object_type"])
    )


def top_failures(site_rows: list[list], key_of: dict[str, str], counts: Counter[str], n: int) -> list[str]:
    """How a site TOP-N differs from the truth's: each row's organization must have the true count
    and competition rank, and the list must hold every organization ranked above the last count
    shown (organizations tied at the last place may be cut by the site's id order)."""
    ranks = {k: 1 + sum(1 for v in counts.values() if v > c) for k, c in counts.items()}
    failures = []
    got = []
    for cid, _name, count, rank, *_ in site_rows:
        key = key_of.get(cid, f"? {cid}")
        got.append(key)
        if (counts.get(key), ranks.get(key)) != (count, rank):
            failures.append(f"{key}: site {count} (rank {rank}), truth {counts.get(key)} ({ranks.get(key)})")
    if len(got) != len(set(got)):
        failures.append(f"one organization twice: {[k for k, v in Counter(got).items() if v > 1]}")
    if len(got) != min(n, len(counts)):
        failures.append(f"{len(got)} rows, truth has {len(counts)} organizations")
    last = min((counts.get(k, 0) for k in got), default=0)
    missing = sorted(k for k, c in counts.items() if c > last and k not in got)
    if missing:
        failures.append(f"missing from the site: {missing}")
    return failures


@pytest.fixture(scope="module")
def key_of(demo_build, truth) -> dict[str, str]:
    """Site id → the true organization of its records (the ids the pipeline gave each record)."""
    held = _keys_by_id(_ids(demo_build.database), truth, "expert")
    return {cid: keys.most_common(1)[0][0] for cid, keys in held.items()}


@pytest.mark.parametrize("object_type", [None, SAFETY_CASE], ids=["all types", "safety cases"])
def test_site_top_30_per_year_equals_the_truth(rank_dir, truth, key_of, object_type):
    manifest = json.loads((rank_dir / "manifest.json").read_text(encoding="utf-8"))
    type_key = (
        "all"
        if object_type is None
        else next(t["key"] for t in manifest["types"] if t["code"] == object_type)
    )
    table = json.loads(
        (rank_dir / "active" / "m" / "expert" / f"{type_key}.json").read_text(encoding="utf-8")
    )
    assert table["years"] == manifest["years"] and len(table["years"]) == 10
    failures = {}
    for year, rows in zip(table["years"], table["top"], strict=True):
        wrong = top_failures(rows, key_of, truth_counts(truth, year, object_type), TOP_N)
        if wrong:
            failures[year] = wrong
    assert failures == {}


def test_the_top_check_fails_on_a_wrong_merge_or_split(truth, key_of):
    """The comparison catches what a resolver gets wrong: two organizations under one id, or one
    organization under two."""
    counts = truth_counts(truth, 2016, None)
    ranked = [k for k, _ in counts.most_common(TOP_N)]
    rows = [[k, k, counts[k], 1 + sum(1 for v in counts.values() if v > counts[k])] for k in ranked]
    identity = {k: k for k in counts}
    assert top_failures(rows, identity, counts, TOP_N) == []
    merged = [list(r) for r in rows]
    merged[0][2] += counts[ranked[1]]
    assert top_failures(merged, identity, counts, TOP_N)
    split = [list(r) for r in rows]
    split[0][2] -= 1
    assert top_failures(split, identity, counts, TOP_N)
    assert top_failures(rows[:-1], identity, counts, TOP_N)


def test_the_planted_rename_is_in_the_top_of_both_years_it_spans(truth):
    """Both organizations of the rename are in the 2016 TOP-30: a resolver merging them moves one."""
    counts = truth_counts(truth, 2016, None)
    top = {k for k, _ in counts.most_common(TOP_N)}
    for after, (before, _) in RENAMED_EXPERTS.items():
        assert {before, after} <= top
