"""Benchmark the rankings on synthetic records generated directly in DuckDB (run by hand, not in CI).

    .venv/bin/python bench/rank.py                      # 2 M records, 2014–2018
    .venv/bin/python bench/rank.py --records 200000 --keep build/bench/rank

Records follow realistic shapes: expert organizations and applicants drawn from Zipf laws (each
office reshuffles half of the expert ranking, as local leaders differ), offices and object types
skewed, volume growing by year, 1 % excluded. Reports compute time, number of combinations, bytes on
disk (raw and gzip) and the largest and median bytes one filter change fetches; then runs the check.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import tempfile
import time
from pathlib import Path

from openepb.build.store import StoreWriter
from openepb.contract.sources import load_sources
from openepb.publish.rank import build_rankings, check_rankings

TYPES = {"ТУ": 0.45, "ЗС": 0.22, "ТП": 0.12, "ИД": 0.07, "ДП": 0.05, "ОБ": 0.05, "ДК": 0.025, "ДЛ": 0.015}


def _uniform(i: str, salt: int) -> str:
    """A deterministic uniform number in [0, 1) from the row number (random() is not reproducible)."""
    return f"((hash({i}, {salt}) % 1000003) / 1000003.0)"


def _pick(weights: dict, u: str) -> str:
    """SQL CASE choosing a key by cumulative weight."""
    total = sum(weights.values())
    parts, acc = [], 0.0
    for key, weight in weights.items():
        acc += weight / total
        value = key if isinstance(key, int) else f"'{key}'"
        parts.append(f"WHEN {u} < {acc:.6f} THEN {value}")
    last = next(reversed(weights))
    return f"CASE {' '.join(parts)} ELSE {last if isinstance(last, int) else repr(last)} END"


def _zipf(n: int, s: float, u: str) -> str:
    """SQL for a 0-based Zipf-like rank in [0, n): inverse CDF of the continuous power law."""
    a = 1.0 - s
    return f"least({n - 1}, floor(pow((pow({n + 1}, {a}) - 1) * {u} + 1, {1 / a}) - 1))::INTEGER"


def year_weights(first: int, last: int) -> dict[int, float]:
    """Volume grows by a third of the first year's each year (2014: 1, 2018: 2.33)."""
    return {y: 1 + (y - first) / 3 for y in range(first, last + 1)}


def generate(db_path: Path, records: int, experts: int, applicants: int, years: dict[int, float]) -> None:
    offices = load_sources().offices
    office_weights = {i: 1.0 / (i + 1) ** 0.6 for i in range(len(offices))}
    codes = [o.code for o in offices]
    districts = [o.district for o in offices]
    store = StoreWriter(db_path)
    con = store.con
    expert_rank = _zipf(experts, 1.15, _uniform("i", 3))
    local = _uniform("i", 4)
    sql = f"""
    INSERT INTO records (reg_number, office_code, district, year, date_registered, object_type,
                         expert_org_id, expert_org_name, applicant_id, applicant_name, excluded_date)
    WITH base AS (
        SELECT i, {_pick(years, _uniform("i", 1))} AS year,
               {_pick(TYPES, _uniform("i", 2))} AS t,
               {_pick(office_weights, _uniform("i", 5))} AS office,
               {expert_rank} AS er,
               {_zipf(applicants, 1.05, _uniform("i", 6))} AS ar,
               (hash(i, 7) % 365)::INTEGER AS day,
               {_uniform("i", 8)} < 0.01 AS excluded
        FROM range({records}) t(i)
    ), placed AS (
        SELECT *, CASE WHEN {local} < 0.5 THEN er ELSE (er * 7 + office * 37) % {experts} END AS e
        FROM base
    )
    SELECT printf('%02d-%s-%05d-%d', office + 1, t, i % 100000, year),
           list_extract($codes, office + 1), list_extract($districts, office + 1), year,
           make_date(year, 1, 1) + day, t,
           printf('E%04d', e), printf('ООО «Экспертиза-%d»', e),
           printf('A%06d', (ar * 7919) % {applicants}), printf('АО «Заявитель-%d»', ar),
           CASE WHEN excluded THEN make_date(year, 12, 31) END
    FROM placed
    """
    try:
        con.execute(sql, {"codes": codes, "districts": districts})
        sources = load_sources()
        for o in offices:
            district = sources.district(o.district)
            row = {"code": o.code, "name": o.name, "short": o.short, "district": o.district}
            if district:
                row |= {"district_name": district.name, "district_short": district.short}
            store.add("offices", row)
        store.close()
    except BaseException:
        store.abort()
        raise


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--records", type=int, default=2_000_000)
    parser.add_argument("--experts", type=int, default=300)
    parser.add_argument("--applicants", type=int, default=100_000)
    parser.add_argument("--first-year", type=int, default=2014)
    parser.add_argument("--last-year", type=int, default=2018)
    parser.add_argument("--samples", type=int, default=100, help="combinations the check compares")
    parser.add_argument("--keep", type=Path, help="write the database and files here and keep them")
    args = parser.parse_args()

    work = args.keep or Path(tempfile.mkdtemp(prefix="openepb-rank-"))
    work.mkdir(parents=True, exist_ok=True)
    db_path, out_dir = work / "bench.duckdb", work / "rank"
    try:
        started = time.perf_counter()
        years = year_weights(args.first_year, args.last_year)
        generate(db_path, args.records, args.experts, args.applicants, years)
        print(f"generated {args.records:,} records in {time.perf_counter() - started:.1f} s")
        report = build_rankings(db_path, out_dir, quiet=True)
        for line in report.lines():
            print(line)
        started = time.perf_counter()
        errors = check_rankings(db_path, out_dir, samples=args.samples)
        print(
            f"check of {args.samples} combinations: {len(errors)} disagreements "
            f"in {time.perf_counter() - started:.1f} s"
        )
        for error in errors[:10]:
            print(f"  {error}")
        print(f"peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
