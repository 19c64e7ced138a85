"""Score a demo build against the generator's truth: recall and precision of registration numbers,
rejects against the planted ones, and the accuracy of every field. Run by hand:

    python bench/accuracy.py [--scale 1.0] [--seed 2018]

The truth comes from the generator's own model (``truth/records.csv``, ``truth/rejects.csv``), never
from the pipeline; this script reads both and compares them.
"""

from __future__ import annotations

import argparse
import csv
import sys
import tempfile
import time
from collections import Counter
from datetime import date
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from openepb.build.pipeline import build_database  # noqa: E402
from openepb.contract.fields import SOURCE_FIELDS  # noqa: E402
from openepb.demo.generator import generate  # noqa: E402

COMPARED = (*SOURCE_FIELDS, "office_code", "year")


def _text(value: object) -> str:
    if value is None:
        return ""
    return value.isoformat() if isinstance(value, date) else str(value)


def _truth(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def score(database: Path, truth_dir: Path) -> list[str]:
    con = duckdb.connect(str(database), read_only=True)
    cursor = con.execute(f"SELECT {', '.join(COMPARED)} FROM records")
    got = {row[0]: dict(zip(COMPARED, map(_text, row), strict=True)) for row in cursor.fetchall()}
    rejects_got = Counter(reason for (reason,) in con.execute("SELECT reason FROM rejects").fetchall())
    con.close()
    expected = {r["reg_number"]: r for r in _truth(truth_dir / "records.csv")}
    rejects_true = Counter(r["reason"] for r in _truth(truth_dir / "rejects.csv"))
    found = set(got) & set(expected)
    lines = [
        f"records: truth {len(expected)}, read {len(got)}",
        f"recall of registration numbers: {len(found) / len(expected):.4%}",
        f"precision of registration numbers: {len(found) / max(len(got), 1):.4%}",
        f"rejects: read {dict(sorted(rejects_got.items()))}, truth {dict(sorted(rejects_true.items()))}",
        "field accuracy over the records found (only fields the truth fills somewhere):",
    ]
    for name in COMPARED[1:]:
        filled = [reg for reg in found if expected[reg].get(name, "")]
        if not filled and not any(got[reg][name] for reg in found):
            continue
        wrong = [reg for reg in found if got[reg][name] != expected[reg].get(name, "")]
        example = ""
        if wrong:
            reg = sorted(wrong)[0]
            example = f"  e.g. {reg}: expected «{expected[reg].get(name, '')}», got «{got[reg][name]}»"
        lines.append(f"  {name:<22} {1 - len(wrong) / len(found):.4%}  ({len(filled)} filled){example}")
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=2018)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        corpus = generate(Path(tmp) / "demo", scale=args.scale, seed=args.seed)
        database = Path(tmp) / "openepb.duckdb"
        build_database(corpus.corpus_dir, database, quiet=True)
        print(f"demo scale {args.scale}, seed {args.seed}: built in {time.perf_counter() - started:.1f} s")
        print("\n".join(score(database, corpus.truth_dir)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
