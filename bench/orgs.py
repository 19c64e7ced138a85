"""Benchmark «Организации» and the organization's conclusions on synthetic records (run by hand).

    .venv/bin/python bench/orgs.py                     # 2 M records, ~86k applicants, 2014–2018
    .venv/bin/python bench/orgs.py --records 200000 --keep build/bench/orgs

Generates the records the way ``bench/rank.py`` does, gives the applicants names made of words of a
synthetic vocabulary (Zipf-distributed, so some words are common and most are rare) and ten-digit INNs,
builds the rankings and the files of ``openepb.publish.orgs``, then replays what the browser fetches
(``openepb/static/orgs.js``) and reports gzip bytes:

- one page of «Организации» per view and order (the first page of the count order is the filter's
  combination file; the view of everything reads only the name blocks of the page; any other page
  sums the view's year files (one file for the whole year range) and reads the name blocks of its rows;
  the name order walks the name-order blocks until the page is full), against the budget of 50 KB;
- one keystroke of the search within: the shard each prefix of a typed word needs, against 50 KB;
- the first page of an organization's conclusions under a filter, and its whole CSV;
- total files and bytes written.
"""

from __future__ import annotations

import argparse
import gzip
import json
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent))

from rank import generate, year_weights  # noqa: E402 - the sibling benchmark's generator

from openepb.publish.orgs import write_org_lists  # noqa: E402
from openepb.publish.rank import build_rankings  # noqa: E402
from openepb.publish.search import words  # noqa: E402

BUDGET = 50_000
SYLLABLES = [
    "ро",
    "ма",
    "ка",
    "те",
    "ле",
    "на",
    "ви",
    "со",
    "до",
    "ми",
    "ра",
    "ло",
    "ни",
    "ту",
    "ба",
    "ве",
    "ко",
    "ст",
    "пр",
    "гр",
    "тр",
    "зо",
    "лу",
    "хи",
    "ба",
]


def gz(path: Path) -> int:
    return len(gzip.compress(path.read_bytes(), 6, mtime=0))


def rename_applicants(db_path: Path) -> None:
    """Names of 2–3 words from a 6 000-word vocabulary (Zipf), a legal form and an INN per applicant."""
    con = duckdb.connect(str(db_path))
    n = len(SYLLABLES)
    word = "list_extract($s, {a} % {n} + 1) || list_extract($s, ({a} // {n}) % {n} + 1) || list_extract($s, ({a} // {nn}) % {n} + 1)"

    def w(salt: int) -> str:
        zipf = f"floor(pow(6000, ((hash(applicant_id, {salt}) % 1000000) / 1000000.0)))::BIGINT"
        return word.format(a=zipf, n=n, nn=n * n)

    con.execute(
        f"""CREATE TEMP TABLE names AS
            SELECT applicant_id AS id,
                   list_extract(['ООО', 'АО', 'ПАО', 'МУП', 'ИП'], (hash(applicant_id, 1) % 5)::INTEGER + 1)
                   || ' «' || {w(2)} || ' ' || {w(3)}
                   || CASE WHEN hash(applicant_id, 4) % 2 = 0 THEN ' ' || {w(5)} ELSE '' END || '»' AS name,
                   ((hash(applicant_id, 6) % 9000000000) + 1000000000)::VARCHAR AS inn
            FROM (SELECT DISTINCT applicant_id FROM records)""",
        {"s": SYLLABLES},
    )
    con.execute(
        """UPDATE records SET applicant_name = names.name, applicant_inn = names.inn
           FROM names WHERE records.applicant_id = names.id"""
    )
    con.close()


class Client:
    """What orgs.js fetches, file by file (each counted once per view, as the browser caches)."""

    def __init__(self, rank_dir: Path, site_data: Path) -> None:
        self.rank = rank_dir
        self.data = site_data
        self.manifest = json.loads((rank_dir / "manifest.json").read_text(encoding="utf-8"))
        self.index = json.loads((site_data / "list" / "index.json").read_text(encoding="utf-8"))

    def combo(self, years: tuple[int, int], type_: str, region: str) -> Path:
        return self.rank / "active" / "c" / f"{years[0]}-{years[1]}" / type_ / f"{region}.json"

    def view_files(self, role: str, years: tuple[int, int], type_: str, region: str) -> list[Path]:
        if years == (self.manifest["years"][0], self.manifest["years"][-1]):
            return [self.data / "list" / role / "y" / "all" / type_ / f"{region}.json"]
        paths = [
            self.data / "list" / role / "y" / str(y) / type_ / f"{region}.json"
            for y in range(years[0], years[1] + 1)
        ]
        return [p for p in paths if p.exists()]

    def rows(self, files: Iterable[Path]) -> dict[int, int]:
        counts: dict[int, int] = {}
        for path in files:
            deltas, values = json.loads(path.read_text(encoding="utf-8"))
            idx = 0
            for d, v in zip(deltas, values, strict=True):
                idx += d
                counts[idx] = counts.get(idx, 0) + v
        return counts

    def page_bytes(
        self, role: str, years: tuple[int, int], type_: str, region: str, sort: str, page: int
    ) -> tuple[int, int]:
        """(gzip bytes, organizations in the view) of one page."""
        combo = self.combo(years, type_, region)
        total = gz(combo)
        combo_data = json.loads(combo.read_text(encoding="utf-8"))
        orgs = combo_data["distinct"][self.manifest["distinct"].index(role)]
        if sort == "count" and page == 1:
            return total, orgs
        per = self.manifest["top_n"]
        whole = years == (self.manifest["years"][0], self.manifest["years"][-1])
        if whole and type_ == "all" and region == "all":  # everything: pages are idx ranges
            first, last = (page - 1) * per, page * per - 1
            folder = "b" if sort == "name" else "n"
            blocks = range(first // self.index["block"], last // self.index["block"] + 1)
            return total + sum(gz(self.data / "list" / role / folder / f"{b}.json") for b in blocks), orgs
        files = self.view_files(role, years, type_, region)
        total += sum(gz(p) for p in files)
        counts = self.rows(files)
        if sort == "count":
            ordered = sorted(counts, key=lambda i: (-counts[i], i))
        elif sort == "static":
            ordered = sorted(counts)
        else:  # walk the name-order blocks until the page is full
            seen = 0
            for b in range(self.index["roles"][role]["blocks"]):
                path = self.data / "list" / role / "b" / f"{b}.json"
                total += gz(path)
                seen += sum(1 for entry in json.loads(path.read_text(encoding="utf-8")) if entry[0] in counts)
                if seen >= page * per:
                    break
            return total, len(counts)
        shown = ordered[(page - 1) * per : page * per]
        blocks = {i // self.index["block"] for i in shown}
        total += sum(gz(self.data / "list" / role / "n" / f"{b}.json") for b in blocks)
        return total, len(counts)

    def shard(self, role: str, token: str) -> Path:
        split = set(self.index["roles"][role]["split"])
        prefix = token[: self.index["q_prefix"]]
        while prefix in split:
            if len(token) <= len(prefix):
                prefix += "_"
                break
            prefix = token[: len(prefix) + 1]
        return self.data / "list" / role / "q" / f"{prefix}.json"


def fmt_kb(n: float) -> str:
    return f"{n / 1000:.1f} KB"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--records", type=int, default=2_000_000)
    parser.add_argument("--experts", type=int, default=300)
    parser.add_argument("--applicants", type=int, default=100_000)
    parser.add_argument("--keep", type=Path, help="write the database and files here and keep them")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="openepb-orgs-"))
    work.mkdir(parents=True, exist_ok=True)
    db_path, rank_dir, site_data = work / "bench.duckdb", work / "rank", work / "site"
    try:
        started = time.perf_counter()
        if not db_path.exists():
            generate(db_path, args.records, args.experts, args.applicants, year_weights(2014, 2018))
            rename_applicants(db_path)
        print(f"records: {args.records:,} in {time.perf_counter() - started:.0f} s")
        started = time.perf_counter()
        if not (rank_dir / "manifest.json").exists():
            build_rankings(db_path, rank_dir, quiet=True)
        print(f"rankings: {time.perf_counter() - started:.0f} s")
        started = time.perf_counter()
        index, _, report = write_org_lists(db_path, site_data, quiet=True)
        print(
            f"lists and conclusions: {time.perf_counter() - started:.0f} s; {report.files:,} files, "
            f"{report.bytes / 1e6:.1f} MB raw"
        )
        for kind, sizes in report.by_kind.items():
            print(
                f"  {kind}: {len(sizes):,} files, {sum(sizes) / 1e6:.1f} MB raw, largest {fmt_kb(max(sizes))} raw"
            )
        counts = ", ".join(f"{r} {v['count']:,}" for r, v in index["roles"].items())
        print(f"organizations: {counts}")
        client = Client(rank_dir, site_data)
        m = client.manifest
        years = (m["years"][0], m["years"][-1])
        big_office = m["offices"][0]["key"]
        small_office = m["offices"][-1]["key"]
        district = m["districts"][0]["key"]
        views = [
            ("all years, all types, all regions", years, "all", "all"),
            ("one year, all types, all regions", (years[1], years[1]), "all", "all"),
            (f"all years, ТУ, {district}", years, "tu", district),
            (f"all years, all types, {big_office}", years, "all", big_office),
            (f"two years, ЗС, {small_office}", (years[1] - 1, years[1]), "zs", small_office),
        ]
        print("\nbytes per page of «Организации» (gzip; budget 50 KB):")
        worst = 0
        for role in ("applicant", "expert"):
            for label, ys, t, region in views:
                cells = []
                for sort, page in (("count", 1), ("count", 2), ("static", 3), ("name", 2)):
                    size, orgs = client.page_bytes(role, ys, t, region, sort, page)
                    worst = max(worst, size)
                    cells.append(f"{sort} p{page} {fmt_kb(size)}{' !' if size > BUDGET else ''}")
                print(f"  {role:9} {label:38} ({orgs:,} orgs): " + "; ".join(cells))
        print(f"  largest page: {fmt_kb(worst)}")
        print("\nbytes per keystroke of the search within (gzip; budget 50 KB):")
        for role in ("applicant", "expert"):
            shards = sorted((site_data / "list" / role / "q").glob("*.json"))
            sizes = [gz(p) for p in shards]
            print(
                f"  {role}: {len(shards):,} shards, largest {fmt_kb(max(sizes))}, median {fmt_kb(statistics.median(sizes))}; "
                f"common words left out: {len(index['roles'][role]['common'])}"
            )
        con = duckdb.connect(str(db_path), read_only=True)
        name, inn = con.execute(
            "SELECT applicant_name, applicant_inn FROM records GROUP BY ALL ORDER BY count(*) DESC LIMIT 1 OFFSET 500"
        ).fetchone()
        for typed in (name, inn):
            steps = []
            for word in words(typed):
                for k in range(2, len(word) + 1):
                    steps.append(
                        gz(client.shard("applicant", word[:k]))
                        if client.shard("applicant", word[:k]).exists()
                        else 0
                    )
            print(f"  typing «{typed}»: per keystroke {', '.join(fmt_kb(s) for s in steps)}")
        print("\nan organization's conclusions (gzip):")
        for role, id_col in (("applicant", "applicant_id"), ("expert", "expert_org_id")):
            for label, offset in (("busiest", 0), ("median", None)):
                if offset is None:
                    offset = con.execute(f"SELECT count(DISTINCT {id_col}) // 2 FROM records").fetchone()[0]
                org, n = con.execute(
                    f"""SELECT {id_col}, count(*) FROM records WHERE excluded_date IS NULL
                        GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 1 OFFSET {offset}"""
                ).fetchone()
                shard = _detail_pieces(site_data, role, org)
                files = [p[0] for p in shard]
                first = gz(site_data / "orgrec" / role / f"{files[0]}.json")
                every = sum(gz(site_data / "orgrec" / role / f"{f}.json") for f in dict.fromkeys(files))
                print(
                    f"  {role} {label} ({n:,} conclusions, {len(shard)} pieces): first page {fmt_kb(first)}, CSV of all {fmt_kb(every)}"
                )
        con.close()
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


def _detail_pieces(site_data: Path, role: str, org: str) -> list[list[Any]]:
    """The pieces of one organization, found in the piece files (the detail entry lists the same)."""
    found = []
    for path in sorted((site_data / "orgrec" / role).glob("*.json"), key=lambda p: int(p.stem)):
        data = json.loads(path.read_text(encoding="utf-8"))
        for key in data:
            if key.rsplit("#", 1)[0] == org:
                found.append([int(path.stem), key])
        if found and not any(k.rsplit("#", 1)[0] == org for k in data):
            break
    return found


if __name__ == "__main__":
    main()
