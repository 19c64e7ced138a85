"""Benchmark entity resolution on generated spellings (run by hand, not in CI).

    .venv/bin/python bench/resolve.py                    # 200k distinct spellings
    .venv/bin/python bench/resolve.py --spellings 50000

Organizations get random names; each is written in several of the ways offices write names (legal
form long/short/after, quotes, case, Latin look-alikes, city suffix); a share of expert rows carry a
licence and applicant rows an INN. Reports seconds for the resolver and its pairwise precision/recall
against the generated truth.
"""

from __future__ import annotations

import argparse
import random
import time

import duckdb
import pyarrow as pa

from openepb.resolve import pairwise_scores, resolve_database
from openepb.store import TABLES

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
LOOKALIKE = str.maketrans("АВСЕНКМОРТХУ", "ABCEHKMOPTXY")
LEGAL = (("ООО", "Общество с ограниченной ответственностью"), ("АО", "Акционерное общество"))


def org_name(rng: random.Random) -> str:
    stem = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))).capitalize()
    return f"{stem} {rng.choice(WORDS)}" if rng.random() < 0.6 else stem


def spellings(rng: random.Random, name: str, n: int) -> list[str]:
    short, long = rng.choice(LEGAL)
    forms = [
        f"{short} «{name}»",
        f'{long} "{name}"',
        f"«{name}» {short}",
        f'{short} "{name.upper()}"',
        f"{short.translate(LOOKALIKE)} «{name}»",
        f"{short} «{name}» (г. Москва)",
        f"{short}  “{name}”",
        f"{name} ({short})",
    ]
    return rng.sample(forms, n)


def generate(total: int, seed: int) -> tuple[pa.Table, dict[str, str]]:
    rng = random.Random(seed)
    columns: dict[str, list] = {c: [] for c, _ in TABLES["records"]}
    truth: dict[str, str] = {}
    seen: set[str] = set()
    made = org = 0
    while made < total:
        org += 1
        role = "expert" if org % 2 else "applicant"
        name = f"{org_name(rng)} {org}"  # the number keeps generated organizations distinct
        strong = f"ДЭ-00-{org:06d}" if role == "expert" else f"{7700000000 + org}"
        for spelling in spellings(rng, name, rng.randint(2, 6)):
            if spelling in seen:
                continue
            seen.add(spelling)
            made += 1
            reg = f"{made:08d}"
            truth[reg] = f"{role}:{org}"
            row = {"reg_number": reg, "office_code": rng.choice(("msk", "vdon", "sibir", "ural"))}
            with_strong = rng.random() < 0.5
            if role == "expert":
                row |= {"expert_org_name": spelling, "licence_number": strong if with_strong else None}
            else:
                row |= {"applicant_name": spelling, "applicant_inn": strong if with_strong else None}
            for column, values in columns.items():
                values.append(row.get(column))
    types = {"VARCHAR": pa.string(), "DATE": pa.date32(), "SMALLINT": pa.int16(), "INTEGER": pa.int32()}
    table = pa.table({c: pa.array(columns[c], type=types[t]) for c, t in TABLES["records"]})
    return table, truth


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--spellings", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=2018)
    args = parser.parse_args()
    started = time.perf_counter()
    generated, truth = generate(args.spellings, args.seed)
    con = duckdb.connect()
    cols = ", ".join(f'"{c}" {t}' for c, t in TABLES["records"])
    con.execute(f"CREATE TABLE records ({cols})")
    con.execute("INSERT INTO records SELECT * FROM generated")
    print(f"generated {len(truth)} distinct spellings in {time.perf_counter() - started:.1f} s")
    started = time.perf_counter()
    report = resolve_database(con)
    seconds = time.perf_counter() - started
    print(f"resolve: {seconds:.1f} s — {len(truth) / seconds:,.0f} spellings/s")
    print(f"  {report}")
    pred = dict(
        con.execute("SELECT reg_number, coalesce(expert_org_id, applicant_id) FROM records").fetchall()
    )
    precision, recall = pairwise_scores(pred, truth)
    print(f"  pairwise precision {precision:.4f}, recall {recall:.4f}")


if __name__ == "__main__":
    main()
