"""Every stage after reading, on a synthetic register of ten million records (run by hand; figures
go to docs/scale.md).

    .venv/bin/python bench/scale.py                              # 10 M records
    .venv/bin/python bench/scale.py --records 1000000 --keep build/bench/scale

Records: the demo corpus's store (built once, ``scale=0.5``) copied in DuckDB until there are
``--records`` (``bench/search.py``'s ``synthesize``: each copy its own registration number and
factory number, most copies another applicant). Writing ten million rows as office files would
measure the office-file writer, not the build; reading files is measured by ``bench/build.py``.

Each stage runs in its own child process, so its peak RSS is its own (``os.wait4``'s
``ru_maxrss``); the child runs under an address-space limit (``--as-limit``) so a hog fails
instead of taking the machine. Stages: demo (the base store, built once) → synthesize → resolve → rank → export (CSV, Parquet, XML) →
search (the search index) → site (organization shards, review, pages; the search index is the
stage before, so it is not built twice). Sizes of the rankings, the search index and the
organization shards are printed at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
STAGES = ("demo", "synthesize", "resolve", "rank", "export", "search", "site")


def tree_size(folder: Path) -> tuple[int, int]:
    files = [p for p in folder.rglob("*") if p.is_file()] if folder.exists() else []
    return len(files), sum(p.stat().st_size for p in files)


def run_stage(stage: str, work: Path, records: int) -> None:
    """One stage, in this (child) process."""
    sys.path.insert(0, str(HERE))
    db, site, exports = work / "scale.duckdb", work / "site", work / "exports"
    rank_dir = site / "data" / "rank"
    if stage == "demo":
        import search

        search.demo_database(work)
    elif stage == "synthesize":
        import duckdb
        import search

        search.synthesize(work / "demo.duckdb", db, records)
        con = duckdb.connect(str(db))
        con.execute(f"ATTACH '{work / 'demo.duckdb'}' AS base (READ_ONLY)")
        for table in ("rejects", "problems", "meta", "exclusions_unmatched"):  # what the build leaves
            con.execute(f"CREATE TABLE {table} AS SELECT * FROM base.{table}")
        con.close()
    elif stage == "resolve":
        import duckdb

        from openepb.resolve.entities import resolve_database

        con = duckdb.connect(str(db))
        con.execute("SET threads = 2")
        con.execute("SET memory_limit = '2GB'")
        report = resolve_database(con)
        con.execute("CHECKPOINT")
        con.close()
        print(
            f"  resolved: {report.expert_orgs} expert organizations, {report.applicants} applicants, "
            f"{report.merge_candidates} candidates"
        )
    elif stage == "rank":
        from openepb.publish.rank import build_rankings

        report = build_rankings(db, rank_dir, quiet=True)
        print(f"  rankings: {report.combinations} combinations")
    elif stage == "export":
        from openepb.publish.export import export_all

        report = export_all(db, exports, quiet=True)
        for f in report.files:
            print(f"  {f.path}: {f.bytes / 1e6:,.0f} MB")
    elif stage == "search":
        from openepb.publish.search import write_search_index

        report = write_search_index(db, site / "data" / "search", quiet=True)
        print("  " + report.lines()[0])
    elif stage == "site":
        import openepb.publish.site as render

        render.write_search_index = lambda *a, **k: None  # the stage before built it
        report = render.render_site(db, rank_dir, site, exports_dir=exports, quiet=True)
        print("  " + "; ".join(report.lines()))
    else:
        raise SystemExit(f"unknown stage {stage}")


def measure(stage: str, work: Path, records: int, as_limit: int) -> tuple[float, float, int, int]:
    """Wall and CPU seconds, peak RSS (bytes) and exit status of ``stage`` run in a child process."""

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (as_limit, as_limit))

    started = time.perf_counter()
    args = [sys.executable, __file__, "--stage", stage, "--keep", str(work), "--records", str(records)]
    child = subprocess.Popen(args, preexec_fn=limit)  # noqa: PLW1509 - only sets a limit
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    cpu = usage.ru_utime + usage.ru_stime
    return time.perf_counter() - started, cpu, usage.ru_maxrss * 1024, child.returncode


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--records", type=int, default=10_000_000)
    parser.add_argument("--keep", type=Path, help="work here and keep the database, exports and site")
    parser.add_argument("--stage", choices=STAGES, help=argparse.SUPPRESS)
    parser.add_argument(
        "--only", nargs="*", choices=STAGES, help="run only these stages (after a --keep run)"
    )
    parser.add_argument(
        "--as-limit", type=float, default=10e9, help="address-space limit of each stage, bytes"
    )
    parser.add_argument(
        "--max-rss",
        type=float,
        default=4 * 2**30,
        help="peak RSS a stage may reach, bytes (4 GiB); above it the run exits 1 after all stages",
    )
    args = parser.parse_args()
    if args.stage:
        run_stage(args.stage, args.keep, args.records)
        return
    work = args.keep or Path(tempfile.mkdtemp(prefix="openepb-bench-scale-"))
    work.mkdir(parents=True, exist_ok=True)
    figures: dict[str, dict[str, float]] = {}
    over: list[str] = []
    try:
        print(
            f"records: {args.records:,}; each stage in a child process, address space ≤ {args.as_limit / 1e9:g} GB"
        )
        for stage in args.only or STAGES:
            seconds, cpu, peak, code = measure(stage, work, args.records, int(args.as_limit))
            figures[stage] = {
                "seconds": round(seconds, 1),
                "cpu": round(cpu, 1),
                "peak_rss": peak,
                "exit": code,
            }
            state = "" if code == 0 else f"  FAILED (exit {code})"
            if peak > args.max_rss:
                over.append(stage)
                state += f"  OVER {args.max_rss / 2**30:g} GiB"
            print(
                f"{stage:<11} {seconds:8.1f} s wall {cpu:8.1f} s CPU  peak RSS {peak / 2**30:5.2f} GiB{state}",
                flush=True,
            )
            if code:
                break
        site = work / "site"
        for label, folder in (
            ("rankings", site / "data" / "rank"),
            ("search index", site / "data" / "search"),
            ("organization shards", site / "data" / "site"),
            ("exports", work / "exports"),
        ):
            files, size = tree_size(folder)
            figures[label] = {"files": files, "bytes": size}
            print(f"{label}: {files:,} files, {size / 1e6:,.0f} MB")
        print(json.dumps(figures, ensure_ascii=False), file=sys.stderr)
        failed = [stage for stage, f in figures.items() if f.get("exit")]
        if failed or over:
            raise SystemExit(f"failed: {failed}; over the peak RSS limit: {over}")
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
