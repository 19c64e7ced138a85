"""Benchmark the conclusion search at scale (run by hand, not in CI; figures go to docs/search.md).

    .venv/bin/python bench/search.py                          # 2 M records
    .venv/bin/python bench/search.py --records 200000 --keep build/bench/search
    .venv/bin/python bench/search.py --pagefind 100000        # also index a sample with Pagefind

Records: the demo corpus's records (real-looking texts, numbers, organizations) copied until there
are ``--records``, each copy with its own registration number, a factory number in the object text
and, for most copies, another applicant (about 86 000 applicants at 2 M). Reports the index's files
and size (raw and gzip) by kind, the first view of search.html, and for each lookup kind the bytes
(gzip) fetched from a cold cache and the time from input to the first results in Chromium with the
CPU throttled ``--throttle`` times (``Emulation.setCPUThrottlingRate``).
"""

from __future__ import annotations

import argparse
import functools
import gzip
import html
import http.server
import json
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import duckdb

from openepb.contract.tables import TABLES
from openepb.publish.rank import build_rankings
from openepb.publish.search import write_search_index
from openepb.publish.site import render_site

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
LATIN = str.maketrans("АВЕКМНОРСТУХ", "ABEKMHOPCTYX")
#: Applicants per original applicant across the copies (86k applicants from the demo's ~6k at 2 M).
APPLICANT_SPREAD = 14


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - signature of the base class
        pass


def gzip_size(path: Path) -> int:
    return len(gzip.compress(path.read_bytes(), compresslevel=6))


def demo_database(work: Path) -> Path:
    from openepb.build.pipeline import build_database
    from openepb.demo.generator import generate

    db = work / "demo.duckdb"
    if not db.exists():
        made = generate(work / "demo", scale=0.5, seed=2018)
        build_database(made.corpus_dir, db, quiet=True)
    return db


def synthesize(base: Path, out: Path, records: int) -> None:
    """``records`` rows made of the base store's records (see the module docstring)."""
    out.unlink(missing_ok=True)
    con = duckdb.connect(str(out))
    con.execute("SET memory_limit = '2GB'")
    con.execute(f"ATTACH '{base}' AS base (READ_ONLY)")
    n = con.execute("SELECT count(*) FROM base.records").fetchone()[0]
    copies = -(-records // n)
    columns = [c for c, _ in TABLES["records"]]
    replaced = {
        "reg_number": "printf('%02d-%s-%06d-%d', 10 + (rn // 1000000) % 90, coalesce(object_type, 'ТУ'), "
        "rn % 1000000, coalesce(year, 2018))",
        "object_name": "coalesce(object_name, '') || ', зав. № ' || (100000 + hash(rn) % 900000)::VARCHAR",
        "applicant_id": f"CASE WHEN k % {APPLICANT_SPREAD} = 0 THEN applicant_id "
        f"ELSE applicant_id || '-' || (k % {APPLICANT_SPREAD}) END",
        "applicant_name": f"CASE WHEN k % {APPLICANT_SPREAD} = 0 THEN applicant_name "
        f"ELSE applicant_name || ' ' || (k % {APPLICANT_SPREAD}) END",
        "applicant_inn": f"CASE WHEN k % {APPLICANT_SPREAD} = 0 THEN applicant_inn "
        f"ELSE printf('%010d', hash(applicant_inn, k % {APPLICANT_SPREAD}) % 10000000000) END",
    }
    select = ", ".join(f"{replaced.get(c, c)} AS {c}" for c in columns)
    con.execute(
        f"""CREATE TABLE records AS
            SELECT {select} FROM (
                SELECT r.*, k, row_number() OVER () - 1 AS rn
                FROM base.records r CROSS JOIN range({copies}) t(k)) LIMIT {records}"""
    )
    for table in ("files", "offices", "duplicates"):
        con.execute(f"CREATE TABLE {table} AS SELECT * FROM base.{table}")
    con.close()


def lookups(db: Path) -> dict[str, str]:
    """One query per lookup kind, taken from the synthetic records."""
    con = duckdb.connect(str(db), read_only=True)

    def one(sql: str) -> str:
        return con.execute(sql).fetchone()[0]

    big_inn = (
        "SELECT applicant_inn FROM records WHERE applicant_inn IS NOT NULL GROUP BY 1 ORDER BY count(*) DESC"
    )
    queries = {
        "номер (латиница, пробелы)": one("SELECT reg_number FROM records ORDER BY hash(reg_number) LIMIT 1")
        .translate(LATIN)
        .replace("-", " "),
        "ИНН заявителя (редкий)": one(
            "SELECT applicant_inn FROM records WHERE applicant_inn IS NOT NULL GROUP BY 1 HAVING count(*) < 20 "
            "ORDER BY 1 LIMIT 1"
        ),
        "ИНН заявителя (крупный)": one(big_inn + " LIMIT 1"),
        "ИНН экспертной организации": one(
            "SELECT expert_org_inn FROM records WHERE expert_org_inn IS NOT NULL GROUP BY 1 ORDER BY count(*) DESC"
        ),
        "лицензия": one("SELECT licence_number FROM records WHERE licence_number IS NOT NULL LIMIT 1"),
        "удостоверение эксперта": one(
            "SELECT split_part(expert_certificate, '; ', 1) FROM records WHERE expert_certificate LIKE 'А%' LIMIT 1"
        ),
        "заводской номер": one("SELECT regexp_extract(object_name, 'зав\\. № [0-9]+') FROM records LIMIT 1"),
        "номер ОПО": one(
            "SELECT opo_reg_number FROM records WHERE opo_reg_number IS NOT NULL LIMIT 1"
        ).replace("А", "A", 1),
        "наименование с опечаткой": "Техдиагностеку",
        "слова объекта": "резервуар вертикальный",
        "начало слова": "трубопро",
    }
    con.close()
    return queries


def _serve(folder: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    handler = functools.partial(QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_port}/"


def measure(site: Path, queries: dict[str, str], throttle: float) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    server, base = _serve(site)
    out: dict[str, Any] = {"queries": {}}

    def local(url: str) -> Path:
        return site / unquote(urlparse(url).path).lstrip("/")

    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=shutil.which("chromium"), args=CHROMIUM_ARGS)
            for label, query in [("", ""), *queries.items()]:
                context = browser.new_context(viewport={"width": 1280, "height": 900})
                page = context.new_page()
                cdp = context.new_cdp_session(page)
                cdp.send("Emulation.setCPUThrottlingRate", {"rate": throttle})
                fetched: list[str] = []
                page.on("request", lambda r, fetched=fetched: fetched.append(r.url))
                page.goto(base + "search.html")
                page.wait_for_function("document.body.dataset.searchState === 'done'")
                page.wait_for_load_state("networkidle")
                if not label:
                    files = {local(u) for u in fetched}
                    out["first_view_files"] = len(files)
                    out["first_view_gzip"] = sum(gzip_size(f) for f in files if f.is_file())
                    context.close()
                    continue
                fetched.clear()
                started = time.perf_counter()
                page.fill("#q", query)
                page.wait_for_function("document.body.dataset.searchState === 'busy'")
                page.wait_for_function("document.body.dataset.searchState === 'done'")
                elapsed = time.perf_counter() - started
                files = {local(u) for u in fetched if "/data/search/" in u}
                out["queries"][label] = {
                    "query": query,
                    "files": len(files),
                    "raw": sum(f.stat().st_size for f in files if f.is_file()),
                    "gzip": sum(gzip_size(f) for f in files if f.is_file()),
                    "seconds": elapsed,
                    "search_ms": float(page.evaluate("document.body.dataset.searchMs || 0")),
                    "status": page.text_content("#q-status"),
                }
                context.close()
            browser.close()
    finally:
        server.shutdown()
    return out


def index_sizes(folder: Path) -> dict[str, list[int]]:
    """Files, raw bytes and gzip bytes per kind (top-level folder or file of the index)."""
    sizes: dict[str, list[int]] = {}
    for path in folder.rglob("*"):
        if path.is_file():
            kind = path.relative_to(folder).parts[0]
            entry = sizes.setdefault(kind, [0, 0, 0])
            entry[0] += 1
            entry[1] += path.stat().st_size
            entry[2] += gzip_size(path)
    return sizes


# ---------------------------------------------------------------------------------------------
# Pagefind on a sample of the same records


def _pagefind_index(db: Path, site: Path, records: int) -> float:
    """One HTML page per record (Pagefind indexes pages; its Python API answers one record per round
    trip, about ten records a second here), indexed by the Pagefind CLI; returns the CLI's seconds."""
    con = duckdb.connect(str(db), read_only=True)
    rows = con.execute(
        f"""SELECT reg_number, concat_ws(' ', reg_number, object_name, opo_reg_number, opo_name, applicant_name,
                   applicant_inn, expert_org_name, expert_org_inn, licence_number, expert_certificate),
                   coalesce(object_type, '?'), coalesce(office_code, '?'), coalesce(year, 0)::VARCHAR
            FROM records LIMIT {records}"""
    ).fetchall()
    con.close()
    pages = site / "c"
    for i, (reg, content, type_, office, year) in enumerate(rows):
        folder = pages / str(i // 1000)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{i}.html").write_text(
            f'<!doctype html><html lang="ru"><body><main data-pagefind-body><h1>{html.escape(reg)}</h1>'
            f"<p>{html.escape(content)}</p>"
            f'<span data-pagefind-filter="type">{type_}</span><span data-pagefind-filter="office">{office}</span>'
            f'<span data-pagefind-filter="year">{year}</span></main></body></html>',
            encoding="utf-8",
        )
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "pagefind", "--site", str(site), "--quiet"], check=True)
    return time.perf_counter() - started


def pagefind_measure(folder: Path, queries: dict[str, str], throttle: float) -> dict[str, Any]:
    """Bytes (gzip) and time of a Pagefind query with the 20 first results' fragments loaded."""
    from playwright.sync_api import sync_playwright

    (folder / "index.html").write_text("<!doctype html><title>pf</title>", encoding="utf-8")
    server, base = _serve(folder)
    out: dict[str, Any] = {}
    js = """async (q) => {
      const t0 = performance.now();
      const pf = await import('./pagefind/pagefind.js');
      const r = await pf.search(q);
      await Promise.all(r.results.slice(0, 20).map((x) => x.data()));
      return [performance.now() - t0, r.results.length];
    }"""
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=shutil.which("chromium"), args=CHROMIUM_ARGS)
            for label, query in queries.items():
                context = browser.new_context()
                page = context.new_page()
                context.new_cdp_session(page).send("Emulation.setCPUThrottlingRate", {"rate": throttle})
                page.goto(base + "index.html")
                fetched: list[str] = []
                page.on("request", lambda r, fetched=fetched: fetched.append(r.url))
                ms, hits = page.evaluate(js, query)
                files = {folder / unquote(urlparse(u).path).lstrip("/") for u in fetched}
                out[label] = {
                    "hits": hits,
                    "ms": ms,
                    "files": len(files),
                    "gzip": sum(gzip_size(f) for f in files if f.is_file()),
                }
                context.close()
            browser.close()
    finally:
        server.shutdown()
    return out


def run_pagefind(db: Path, work: Path, sample: int, queries: dict[str, str], throttle: float) -> None:
    folder = work / "pagefind-site"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    seconds = _pagefind_index(db, folder, sample)
    files = [p for p in (folder / "pagefind").rglob("*") if p.is_file()]
    raw = sum(p.stat().st_size for p in files)
    print(
        f"pagefind: {sample:,} records indexed in {seconds:.0f} s; {len(files):,} files, {raw / 1e6:.1f} MB"
    )
    for kind in ("fragment", "index", "filter"):
        part = [p for p in files if p.parent.name == kind]
        print(f"  {kind}: {len(part):,} files, {sum(p.stat().st_size for p in part) / 1e6:.1f} MB")
    for label, m in pagefind_measure(folder, queries, throttle).items():
        print(
            f"  {label}: {m['hits']} hits, {m['files']} files, {m['gzip'] / 1024:.0f} KB gzip, {m['ms']:.0f} ms"
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--records", type=int, default=2_000_000)
    parser.add_argument("--throttle", type=float, default=4.0)
    parser.add_argument("--pagefind", type=int, default=0, help="also index this many records with Pagefind")
    parser.add_argument("--keep", type=Path, help="work here and keep the database and the site")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="openepb-bench-search-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        base = demo_database(work)
        db, site = work / "search.duckdb", work / "site"
        started = time.perf_counter()
        synthesize(base, db, args.records)
        print(f"records: {args.records:,} synthesized in {time.perf_counter() - started:.0f} s")
        build_rankings(base, site / "data" / "rank", quiet=True)
        render_site(base, site / "data" / "rank", site, quiet=True)
        started = time.perf_counter()
        report = write_search_index(db, site / "data" / "search", quiet=True)
        print(f"index: built in {time.perf_counter() - started:.0f} s; {report.lines()[0]}")
        sizes = index_sizes(site / "data" / "search")
        files = sum(v[0] for v in sizes.values())
        raw = sum(v[1] for v in sizes.values())
        packed = sum(v[2] for v in sizes.values())
        print(f"index total: {files:,} files, {raw / 1e6:.0f} MB raw, {packed / 1e6:.0f} MB gzip")
        for kind, (n, size, gz) in sorted(sizes.items()):
            print(f"  {kind}: {n:,} files, {size / 1e6:.1f} MB raw, {gz / 1e6:.1f} MB gzip")
        queries = lookups(db)
        figures = measure(site, queries, args.throttle)
        print(
            f"search.html first view: {figures['first_view_files']} files, "
            f"{figures['first_view_gzip'] / 1024:.0f} KB gzip (target ≤ 100 KB)"
        )
        print(f"queries (cold cache, CPU ×{args.throttle:g}; targets ≤ 300 KB, ≤ 1 s):")
        for label, q in figures["queries"].items():
            print(
                f"  {label} «{q['query']}»: {q['files']} files, {q['gzip'] / 1024:.0f} KB gzip "
                f"({q['raw'] / 1024:.0f} KB raw), {q['seconds']:.2f} s from input "
                f"(search {q['search_ms']:.0f} ms) — {q['status'][:60]}"
            )
        if args.pagefind:
            run_pagefind(db, work, args.pagefind, queries, args.throttle)
        print(json.dumps({"sizes": sizes, **figures}, ensure_ascii=False), file=sys.stderr)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
