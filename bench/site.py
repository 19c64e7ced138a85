"""Benchmark the static site on synthetic records (run by hand, not in CI).

    .venv/bin/python bench/site.py                       # 2 M records, 2014–2018
    .venv/bin/python bench/site.py --records 200000 --keep build/bench/site

Generates the records the way ``bench/rank.py`` does, builds the rankings and the site, then drives
Debian's Chromium against it over a local HTTP server and reports the issue's targets:

- bytes of the first view of «Пульс экспертиз», gzip (target ≤ 300 KB);
- bytes fetched on a filter change, gzip, and the time from the change to the re-rendered view,
  measured in the page with performance.now() (targets ≤ 50 KB and ≤ 100 ms);
- the search index: bytes (gzip) and the time to load it and answer a first query;
- the number and total size of files in ``site/``.
"""

from __future__ import annotations

import argparse
import functools
import gzip
import http.server
import random
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

sys.path.insert(0, str(Path(__file__).resolve().parent))

from rank import generate, year_weights  # noqa: E402 - the sibling benchmark's generator

from openepb.publish.rank import build_rankings  # noqa: E402
from openepb.publish.site import render_site  # noqa: E402

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

#: Runs in the page: change one select, wait until the view shows the new combination.
CHANGE_JS = """async ([id, value]) => {
  const select = document.getElementById(id);
  const before = document.body.dataset.ready;
  const t0 = performance.now();
  select.value = value;
  select.dispatchEvent(new Event("change", { bubbles: true }));
  while (document.body.dataset.ready === before) {
    if (performance.now() - t0 > 10000) throw new Error(`no new view after ${id} = ${value}`);
    await new Promise((r) => setTimeout(r, 0));
  }
  return [performance.now() - t0, Number(document.body.dataset.renderMs)];
}"""


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - signature of the base class
        pass


def gzip_size(path: Path) -> int:
    return len(gzip.compress(path.read_bytes(), compresslevel=6))


def local_file(site: Path, url: str) -> Path:
    return site / unquote(urlparse(url).path).lstrip("/")


def tree_size(folder: Path) -> tuple[int, int]:
    files = [p for p in folder.rglob("*") if p.is_file()]
    return len(files), sum(p.stat().st_size for p in files)


def random_change(rng: random.Random, manifest: dict[str, Any], current: dict[str, str]) -> tuple[str, str]:
    """A filter change a reader might make (a year bound, a type or a district) to a new value."""
    years = [str(y) for y in manifest["years"]]
    choices = {
        "f-from": years,
        "f-to": years,
        "f-type": ["", *(t["key"] for t in manifest["types"])],
        "f-district": ["", *(d["key"] for d in manifest["districts"])],
    }
    select = rng.choice(sorted(choices))
    return select, rng.choice([v for v in choices[select] if v != current[select]])


def measure(site: Path, changes: int, seed: int) -> dict[str, Any]:
    import json

    from playwright.sync_api import sync_playwright

    manifest = json.loads((site / "data" / "rank" / "manifest.json").read_text(encoding="utf-8"))
    handler = functools.partial(QuietHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}/"
    fetched: list[str] = []
    result: dict[str, Any] = {}
    rng = random.Random(seed)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path=shutil.which("chromium") or "/usr/bin/chromium", args=CHROMIUM_ARGS
            )
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.on("request", lambda r: fetched.append(r.url))
            page.goto(base + "index.html")
            page.wait_for_selector("body[data-ready]", state="attached")
            page.wait_for_load_state("networkidle")
            first = {local_file(site, u) for u in fetched}
            result["first_view_files"] = len(first)
            result["first_view_gzip"] = sum(gzip_size(f) for f in first if f.is_file())
            per_change: list[int] = []
            total_ms: list[float] = []
            render_ms: list[float] = []
            for _ in range(changes):
                fetched.clear()
                current = {k: page.input_value(f"#{k}") for k in ("f-from", "f-to", "f-type", "f-district")}
                select, value = random_change(rng, manifest, current)
                elapsed, render = page.evaluate(CHANGE_JS, [select, value])
                per_change.append(sum(gzip_size(local_file(site, u)) for u in fetched))
                total_ms.append(elapsed)
                render_ms.append(render)
            result.update(
                change_gzip_max=max(per_change),
                change_gzip_median=statistics.median(per_change),
                change_ms_median=statistics.median(total_ms),
                change_ms_max=max(total_ms),
                render_ms_median=statistics.median(render_ms),
                render_ms_max=max(render_ms),
            )
            page.goto(base + "orgs.html")
            started = time.perf_counter()
            page.fill("#search", "Экспертиза-12")
            page.wait_for_selector("#search-results li")
            result["search_first_s"] = time.perf_counter() - started
            result["search_query_ms"] = float(page.evaluate("document.body.dataset.searchMs"))
            browser.close()
    finally:
        server.shutdown()
    search = site / "data" / "site" / "search"
    result["search_gzip"] = sum(gzip_size(p) for p in search.iterdir())
    return result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--records", type=int, default=2_000_000)
    parser.add_argument("--experts", type=int, default=300)
    parser.add_argument("--applicants", type=int, default=100_000)
    parser.add_argument("--first-year", type=int, default=2014)
    parser.add_argument("--last-year", type=int, default=2018)
    parser.add_argument("--changes", type=int, default=30, help="filter changes measured in Chromium")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--keep", type=Path, help="write the database and the site here and keep them")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="openepb-bench-site-"))
    work.mkdir(parents=True, exist_ok=True)
    db, site = work / "bench.duckdb", work / "site"
    try:
        started = time.perf_counter()
        generate(
            db, args.records, args.experts, args.applicants, year_weights(args.first_year, args.last_year)
        )
        print(f"records: {args.records:,} generated in {time.perf_counter() - started:.1f} s")
        started = time.perf_counter()
        build_rankings(db, site / "data" / "rank", quiet=True)
        print(f"rankings: {time.perf_counter() - started:.1f} s")
        started = time.perf_counter()
        report = render_site(db, site / "data" / "rank", site, quiet=True)
        print(f"site: rendered in {time.perf_counter() - started:.1f} s; {report.organizations}")
        files, size = tree_size(site)
        rank_files, rank_size = tree_size(site / "data" / "rank")
        org_files, org_size = tree_size(site / "data" / "site" / "org")
        print(f"site/: {files:,} files, {size / 1e6:.1f} MB")
        print(f"  rankings: {rank_files:,} files, {rank_size / 1e6:.1f} MB")
        print(f"  organization details: {org_files:,} files, {org_size / 1e6:.1f} MB")
        figures = measure(site, args.changes, args.seed)
        print(
            f"first view: {figures['first_view_files']} files, "
            f"{figures['first_view_gzip'] / 1024:.1f} KB gzip (target ≤ 300 KB)"
        )
        print(
            f"filter change: fetched {figures['change_gzip_median'] / 1024:.1f} KB median, "
            f"{figures['change_gzip_max'] / 1024:.1f} KB max gzip (target ≤ 50 KB)"
        )
        print(
            f"filter change to re-rendered view: {figures['change_ms_median']:.1f} ms median, "
            f"{figures['change_ms_max']:.1f} ms max (target ≤ 100 ms); render alone "
            f"{figures['render_ms_median']:.1f} ms median, {figures['render_ms_max']:.1f} ms max"
        )
        print(
            f"search: index {figures['search_gzip'] / 1024:.0f} KB gzip, first answer "
            f"{figures['search_first_s']:.2f} s (load + build), a query {figures['search_query_ms']:.1f} ms"
        )
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
