"""Benchmark entity resolution (run by hand, not in CI).

    .venv/bin/python bench/resolve.py                      # 200k distinct generated spellings
    .venv/bin/python bench/resolve.py --spellings 1000000
    .venv/bin/python bench/resolve.py --labelled           # the rules against splink on the labelled set

Generated organizations get random names; each is written in several of the ways offices write
names (legal form long/short/after, quotes, case, Latin look-alikes); a share of expert rows carry
a licence and an INN, applicant rows an INN. A tenth are same-named municipal utilities of
different cities and a tenth legal-form twins (АО / ООО with one name), the cases that must stay
apart. Reports seconds for the resolver and its pairwise precision/recall against the truth.

``--labelled`` scores the resolver and a splink model (probabilistic linkage on DuckDB, installed
separately: ``pip install splink``) on ``tests/data/resolve_labelled.csv`` and prints pairwise
precision, recall, F1 and seconds for both roles (docs/resolution.md §8).
"""

from __future__ import annotations

import argparse
import csv
import itertools
import random
import tempfile
import time
from pathlib import Path

import duckdb
import pyarrow as pa

from openepb.contract.tables import TABLES
from openepb.resolve.entities import pairwise_scores, parse_name, resolve_database

LABELLED = Path(__file__).resolve().parent.parent / "tests" / "data" / "resolve_labelled.csv"
SYLLABLES = [
    "про",
    "мэкс",
    "пер",
    "тех",
    "но",
    "газ",
    "неф",
    "те",
    "хим",
    "строй",
    "энер",
    "го",
    "маш",
    "сиб",
    "урал",
    "вол",
    "га",
    "дон",
    "кран",
    "кот",
    "лон",
    "ром",
    "аш",
    "ка",
    "лаб",
    "ор",
    "ат",
]
WORDS = [
    "эксперт",
    "экспертиза",
    "диагностика",
    "контроль",
    "сервис",
    "центр",
    "инжиниринг",
    "безопасность",
    "надзор",
    "промышленность",
]
UTILITIES = ("Водоканал", "Теплосеть", "Жилкомсервис", "Спецавтохозяйство", "Теплоэнерго")
LOOKALIKE = str.maketrans("АВСЕНКМОРТХУ", "ABCEHKMOPTXY")
LEGAL = (("ООО", "Общество с ограниченной ответственностью"), ("АО", "Акционерное общество"))
LONG = dict(LEGAL) | {"МУП": "Муниципальное унитарное предприятие"}


def inn(n: int) -> str:
    """A checksum-valid ten-digit INN made from a number (distinct numbers → distinct INNs)."""
    digits = [int(c) for c in f"{(7_700_000_000 // 10 + n) % 10**9:09d}"]
    control = sum(w * d for w, d in zip((2, 4, 10, 3, 5, 9, 4, 6, 8), digits, strict=True)) % 11 % 10
    return "".join(map(str, digits)) + str(control)


def stem(rng: random.Random) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))).capitalize()


def spellings(rng: random.Random, short: str, name: str, place: str, n: int) -> list[str]:
    where = f" г. {place}" if place else ""
    forms = [
        f"{short} «{name}»{where}",
        f'{LONG[short]} "{name}"{where}',
        f"«{name}»{where} {short}",
        f'{short} "{name.upper()}"{where.upper()}',
        f"{short.translate(LOOKALIKE)} «{name}»{where}",
        f"{short}  “{name}”{where}",
        f"{name}{where} ({short})",
        f"{short} «{name}» {where.strip()}" if where else f"{short} «{name} »",
    ]
    return rng.sample(forms, n)


def generate(total: int, seed: int) -> tuple[pa.Table, dict[str, str]]:
    rng = random.Random(seed)
    columns: dict[str, list] = {c: [] for c, _ in TABLES["records"]}
    truth: dict[str, str] = {}
    seen: set[str] = set()
    made = org = 0
    last: dict[str, tuple[str, str]] = {"expert": ("ООО", "Альфа 0"), "applicant": ("ООО", "Бета 0")}
    while made < total:
        org += 1
        role = "expert" if org % 2 else "applicant"
        kind = org % 10
        if kind == 3 and role == "applicant":  # a municipal utility: one name, many cities
            short, name, place = "МУП", rng.choice(UTILITIES), f"{stem(rng)}ск{org}"
        elif kind == 5:  # a legal-form twin of the previous organization of its role
            before, name = last[role]
            short, place = ("АО" if before == "ООО" else "ООО"), ""
        else:
            short, name, place = rng.choice(LEGAL)[0], f"{stem(rng)} {rng.choice(WORDS)} {org}", ""
        last[role] = (short, name)
        key = f"{role}:{org}"
        for spelling in spellings(rng, short, name, place, rng.randint(2, 6)):
            if (role, spelling) in seen:
                continue
            seen.add((role, spelling))
            made += 1
            reg = f"{made:08d}"
            truth[reg] = key
            row = {"reg_number": reg, "office_code": rng.choice(("msk", "vdon", "sibir", "ural"))}
            strong = rng.random() < 0.5
            if role == "expert":
                row |= {
                    "expert_org_name": spelling,
                    "licence_number": f"ДЭ-00-{org:06d}" if strong else None,
                    "expert_org_inn": inn(org) if strong and rng.random() < 0.5 else None,
                }
            else:
                row |= {"applicant_name": spelling, "applicant_inn": inn(org) if strong else None}
            for column, values in columns.items():
                values.append(row.get(column))
    types = {"VARCHAR": pa.string(), "DATE": pa.date32(), "SMALLINT": pa.int16(), "INTEGER": pa.int32()}
    table = pa.table({c: pa.array(columns[c], type=types[t]) for c, t in TABLES["records"]})
    return table, truth


def records_db(generated: pa.Table) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    cols = ", ".join(f'"{c}" {t}' for c, t in TABLES["records"])
    con.execute(f"CREATE TABLE records ({cols})")
    con.execute("INSERT INTO records SELECT * FROM generated")
    return con


def no_aliases() -> Path:
    path = Path(tempfile.mkdtemp()) / "aliases.yaml"
    path.write_text("merge: []\nkeep_apart: []\n", encoding="utf-8")
    return path


def f1(precision: float, recall: float) -> float:
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def bench_scale(spellings_count: int, seed: int) -> None:
    started = time.perf_counter()
    generated, truth = generate(spellings_count, seed)
    con = records_db(generated)
    print(f"generated {len(truth)} distinct spellings in {time.perf_counter() - started:.1f} s")
    started, cpu = time.perf_counter(), time.process_time()
    report = resolve_database(con, aliases_path=no_aliases())
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    print(f"resolve: {cpu:.1f} s CPU, {seconds:.1f} s wall — {len(truth) / seconds:,.0f} spellings/s (wall)")
    print(f"  {report}")
    pred = dict(
        con.execute("SELECT reg_number, coalesce(expert_org_id, applicant_id) FROM records").fetchall()
    )
    precision, recall = pairwise_scores(pred, truth)
    print(f"  pairwise precision {precision:.4f}, recall {recall:.4f}, F1 {f1(precision, recall):.4f}")


# --------------------------------------------------------------------------------------------------
# The labelled set: the rules against splink
# --------------------------------------------------------------------------------------------------


def labelled_rows() -> list[dict[str, str]]:
    with LABELLED.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def labelled_db(rows: list[dict[str, str]]) -> duckdb.DuckDBPyConnection:
    columns: dict[str, list] = {c: [] for c, _ in TABLES["records"]}
    for r in rows:
        expert = r["role"] == "expert"
        row = {
            "reg_number": r["reg"],
            "office_code": "msk",
            "expert_org_name" if expert else "applicant_name": r["name"],
            "licence_number": (r["licence"] or None) if expert else None,
            "expert_org_inn" if expert else "applicant_inn": r["inn"] or None,
        }
        for column, values in columns.items():
            values.append(row.get(column))
    types = {"VARCHAR": pa.string(), "DATE": pa.date32(), "SMALLINT": pa.int16(), "INTEGER": pa.int32()}
    return records_db(pa.table({c: pa.array(columns[c], type=types[t]) for c, t in TABLES["records"]}))


def rules_predictions(rows: list[dict[str, str]]) -> tuple[dict[str, str], float]:
    con = labelled_db(rows)
    started = time.perf_counter()
    resolve_database(con, aliases_path=no_aliases())
    seconds = time.perf_counter() - started
    pred = con.execute("SELECT reg_number, coalesce(expert_org_id, applicant_id) FROM records").fetchall()
    return dict(pred), seconds


def splink_predictions(
    rows: list[dict[str, str]], role: str, threshold: float, training: str
) -> tuple[dict[str, str], float]:
    """A splink model on the features the resolver's parser extracts (legal form, words, tokens)
    plus INN and licence: blocking on words / INN / licence, Jaro-Winkler on the words with
    term-frequency adjustment, randomly sampled u, connected components at the threshold. The m
    probabilities are trained by EM (``training="em"``: what a build without labels can do) or
    from the true labels (``"labels"``: the best case, labels a build does not have)."""
    import pandas as pd
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    from openepb.normalize.parsers import split_name_inn

    started = time.perf_counter()
    records = []
    for r in rows:
        if r["role"] != role:
            continue
        name, in_name = split_name_inn(r["name"])
        parts = parse_name(name)
        records.append(
            {
                "unique_id": r["reg"],
                "words": " ".join(parts.words) or None,
                "form": parts.form or None,
                "marks": "; ".join(parts.marks) or None,
                "inn": r["inn"] or in_name or None,
                "licence": r["licence"] or None,
                "truth": r["truth"],
            }
        )
    frame = pd.DataFrame(records)
    comparisons = [
        cl.JaroWinklerAtThresholds("words", [0.95, 0.88]).configure(term_frequency_adjustments=True),
        cl.ExactMatch("form"),
        cl.ExactMatch("marks").configure(term_frequency_adjustments=True),
        cl.ExactMatch("inn"),
    ]
    blocking = [block_on("words"), block_on("inn")]
    if role == "expert":
        comparisons.append(cl.ExactMatch("licence"))
        blocking.append(block_on("licence"))
    settings = SettingsCreator(
        link_type="dedupe_only",
        comparisons=comparisons,
        blocking_rules_to_generate_predictions=blocking,
        retain_intermediate_calculation_columns=False,
    )
    db_api = DuckDBAPI()
    linker = Linker(db_api.register(frame), settings, log_level=None)
    linker.training.estimate_probability_two_random_records_match([block_on("inn")], recall=0.7)
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6)
    if training == "labels":
        linker.training.estimate_m_from_label_column("truth")
    else:
        linker.training.estimate_parameters_using_expectation_maximisation(block_on("words"))
        linker.training.estimate_parameters_using_expectation_maximisation(block_on("inn"))
    predictions = linker.inference.predict(threshold_match_probability=threshold)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(predictions, threshold)
    got = clusters.as_pandas_dataframe()
    seconds = time.perf_counter() - started
    return dict(zip(got["unique_id"].astype(str), got["cluster_id"].astype(str), strict=True)), seconds


def bench_labelled(thresholds: list[float]) -> None:
    rows = labelled_rows()
    print(f"{LABELLED.name}: {len(rows)} rows, {len({r['truth'] for r in rows})} organizations")
    rules, rules_seconds = rules_predictions(rows)
    print("method              role       precision  recall   F1       seconds")
    for role in ("expert", "applicant"):
        truth = {r["reg"]: r["truth"] for r in rows if r["role"] == role}
        precision, recall = pairwise_scores({k: rules[k] for k in truth}, truth)
        print(
            f"rules               {role:10} {precision:.4f}     {recall:.4f}   {f1(precision, recall):.4f}"
            f"   {rules_seconds:.2f} (both roles)"
        )
        for training, threshold in itertools.product(("em", "labels"), thresholds):
            pred, seconds = splink_predictions(rows, role, threshold, training)
            precision, recall = pairwise_scores(pred, truth)
            method = f"splink {training} p≥{threshold}"
            print(
                f"{method:19} {role:10} {precision:.4f}     {recall:.4f}   "
                f"{f1(precision, recall):.4f}   {seconds:.2f}"
            )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--spellings", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=2018)
    parser.add_argument("--labelled", action="store_true", help="compare with splink on the labelled set")
    parser.add_argument("--threshold", type=float, action="append", help="splink match probability")
    args = parser.parse_args()
    if args.labelled:
        bench_labelled(args.threshold or [0.5, 0.9, 0.99])
    else:
        bench_scale(args.spellings, args.seed)


if __name__ == "__main__":
    main()
