"""Benchmark «Организации» and the organization's conclusions on synthetic records (run by hand).

    .venv/bin/python bench/orgs.py                     # 2 M records, ~86k applicants, 2014–2018
    .venv/bin/python bench/orgs.py --records 200000 --keep build/bench/orgs

Generates the records the way ``bench/rank.py`` does, gives the applicants names made of words of a
synthetic vocabulary (Zipf-distributed, so some words are common and most are rare) and ten-digit INNs,
builds the rankings and the files of ``openepb.publish.orgs``, then replays what the browser fetches
(``openepb/static/orgs.js``) and reports gzip bytes:

- pages of «Организации» (the first, second, middle and last of every order, forwards and reversed)
  for views from everything to one rare type in one office in one year, and the largest of them:
  the first page of the count order is the filter's combination file; the view of everything reads
  only the name blocks of the page; any other page reads the view's file and the name blocks of its
  rows, the name order from the block of its first row on (the view's histogram), against 50 KB;
- one keystroke of the search within: the shard each prefix of a typed word needs, against 50 KB;
- the first page of an organization's conclusions, and its whole CSV; the first, middle and last page
  of the busiest organizations' conclusions under narrow filters, and the largest of them;
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
    """What orgs.js fetches, file by file (each counted once per page, as the browser caches)."""

    def __init__(self, rank_dir: Path, site_data: Path) -> None:
        self.rank = rank_dir
        self.data = site_data
        self.manifest = json.loads((rank_dir / "manifest.json").read_text(encoding="utf-8"))
        self.index = json.loads((site_data / "list" / "index.json").read_text(encoding="utf-8"))
        self._gz: dict[Path, int] = {}
        self._json: dict[Path, Any] = {}

    def gz(self, path: Path) -> int:
        if path not in self._gz:
            self._gz[path] = gz(path)
        return self._gz[path]

    def load(self, path: Path) -> Any:
        if path not in self._json:
            self._json[path] = json.loads(path.read_text(encoding="utf-8"))
        return self._json[path]

    def combo(self, years: tuple[int, int], type_: str, region: str) -> Path:
        return self.rank / "active" / "c" / f"{years[0]}-{years[1]}" / type_ / f"{region}.json"

    def view_file(self, role: str, years: tuple[int, int], type_: str, region: str) -> Path:
        return self.data / "list" / role / "y" / f"{years[0]}-{years[1]}" / type_ / f"{region}.json"

    def view(
        self, role: str, years: tuple[int, int], type_: str, region: str
    ) -> tuple[list[list[int]], dict[int, int]]:
        """([[idx, count], …] in count order, {name block: organizations of the view})."""
        path = self.view_file(role, years, type_, region)
        if not path.exists():
            return [], {}
        deltas, values, block_deltas, per_block = self.load(path)
        rows, idx = [], 0
        for d, v in zip(deltas, values, strict=True):
            idx += d
            rows.append([idx, v])
        rows.sort(key=lambda r: (-r[1], r[0]))
        hist, b = {}, 0
        for d, v in zip(block_deltas, per_block, strict=True):
            b += d
            hist[b] = v
        return rows, hist

    def pages(self, role: str, years: tuple[int, int], type_: str, region: str) -> int:
        orgs = self.orgs(role, years, type_, region)
        return max(1, -(-orgs // self.manifest["top_n"]))

    def orgs(self, role: str, years: tuple[int, int], type_: str, region: str) -> int:
        combo = self.load(self.combo(years, type_, region))
        return combo["distinct"][self.manifest["distinct"].index(role)]

    def page_bytes(
        self,
        role: str,
        years: tuple[int, int],
        type_: str,
        region: str,
        sort: str,
        page: int,
        rev: bool = False,
    ) -> int:
        """gzip bytes of one page (sort: count, rank and share share the count order; static; name)."""
        combo = self.combo(years, type_, region)
        total = self.gz(combo)
        if sort in ("count", "rank", "share") and page == 1 and not rev:
            return total  # the combination's TOP-N
        per = self.manifest["top_n"]
        block = self.index["block"]
        first, last = (page - 1) * per, page * per
        whole = years == (self.manifest["years"][0], self.manifest["years"][-1])
        count = self.index["roles"][role]["count"]
        names = self.data / "list" / role
        if whole and type_ == "all" and region == "all":  # everything: pages are idx ranges
            if sort == "name":
                n_blocks = self.index["roles"][role]["blocks"]
                order = list(range(n_blocks))[:: -1 if rev else 1]
                hist = {b: min(block, count - b * block) for b in order}
                return total + self._walk(names, order, hist, None, first, last, rev)
            idxs = [count - 1 - k if rev else k for k in range(first, min(last, count))]
            return total + sum(self.gz(names / "n" / f"{b}.json") for b in {i // block for i in idxs})
        total += self.gz(self.view_file(role, years, type_, region))
        rows, hist = self.view(role, years, type_, region)
        if sort == "name":
            order = sorted(hist, reverse=rev)
            return total + self._walk(names, order, hist, {r[0] for r in rows}, first, last, rev)
        if sort == "static":
            rows = sorted(rows)
        if rev:
            rows = rows[::-1]
        shown = rows[first:last]
        return total + sum(self.gz(names / "n" / f"{b}.json") for b in {r[0] // block for r in shown})

    def _walk(
        self,
        names: Path,
        order: list[int],
        hist: dict[int, int],
        members: set[int] | None,
        first: int,
        last: int,
        rev: bool,
    ) -> int:
        """Bytes of the name blocks a name-order page reads (``byName`` in orgs.js)."""
        seen, k = 0, 0
        while k < len(order) and seen + hist[order[k]] <= first:
            seen += hist[order[k]]
            k += 1
        total, got = 0, 0
        while k < len(order) and got < last - first:
            path = names / "b" / f"{order[k]}.json"
            total += self.gz(path)
            entries = self.load(path)[:: -1 if rev else 1]
            for entry in entries:
                if members is not None and entry[0] not in members:
                    continue
                if seen >= first and got < last - first:
                    got += 1
                seen += 1
            k += 1
        return total

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
        index, pieces, office_pieces, report = write_org_lists(db_path, site_data, quiet=True)
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
        last = years[1]
        big_office = m["offices"][0]["key"]
        small_office = m["offices"][-1]["key"]
        district = m["districts"][0]["key"]
        small_district = m["districts"][-1]["key"]
        rare = m["types"][-1]["key"]
        views = [
            ("all years, all types, all regions", years, "all", "all"),
            ("first year, all types, all regions", (years[0], years[0]), "all", "all"),
            ("one year, all types, all regions", (last, last), "all", "all"),
            ("four years, all types, all regions", (years[0] + 1, last), "all", "all"),
            ("all years, ТУ, all regions", years, "tu", "all"),
            (f"all years, ТУ, {district}", years, "tu", district),
            (f"all years, all types, {big_office}", years, "all", big_office),
            (f"two years, all types, {big_office}", (last - 1, last), "all", big_office),
            (f"two years, ЗС, {small_office}", (last - 1, last), "zs", small_office),
            (f"first year, ЗС, {small_office}", (years[0], years[0]), "zs", small_office),
            (f"one year, all types, {small_office}", (last, last), "all", small_office),
            (f"one year, {rare}, {small_office}", (last, last), rare, small_office),
            (f"all years, {rare}, all regions", years, rare, "all"),
        ]
        print(
            "\nbytes per page of «Организации» (gzip; budget 50 KB); pages 1, 2, middle and last of every order "
            "(count = rank = share; static; name), forwards and reversed:"
        )
        worst: tuple[int, str] = (0, "")
        for role in ("applicant", "expert"):
            for label, ys, t, region in views:
                if not client.combo(ys, t, region).exists():
                    continue
                pages = client.pages(role, ys, t, region)
                cells = []
                for sort in ("count", "static", "name"):
                    sizes = []
                    for rev in (False, True):
                        for page in sorted({1, 2, (pages + 1) // 2, pages} & set(range(1, pages + 1))):
                            size = client.page_bytes(role, ys, t, region, sort, page, rev)
                            sizes.append((size, f"{sort}{' rev' if rev else ''} p{page}"))
                    top = max(sizes)
                    worst = max(worst, (top[0], f"{role} {label}, {top[1]}"))
                    cells.append(
                        f"{sort} {fmt_kb(min(sizes)[0])}–{fmt_kb(top[0])}{' !' if top[0] > BUDGET else ''}"
                    )
                orgs = client.orgs(role, ys, t, region)
                print(f"  {role:9} {label:38} ({orgs:,} orgs, {pages:,} pages): " + "; ".join(cells))
        print(
            f"  largest page: {fmt_kb(worst[0])} ({worst[1]}){' — over budget' if worst[0] > BUDGET else ''}"
        )
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
        print(
            "\nan organization's page under a narrow filter (gzip; pages of 50, newest first; budget 50 KB):"
        )
        org_worst: tuple[int, str] = (0, "")
        for role, id_col in (("applicant", "applicant_id"), ("expert", "expert_org_id")):
            org = con.execute(
                f"""SELECT {id_col} FROM records WHERE excluded_date IS NULL
                    GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1"""
            ).fetchone()[0]
            for label, ys, t, office in (
                ("all years, all types, all offices", years, None, None),
                ("two years, all types, all offices", (last - 1, last), None, None),
                (f"all years, all types, {small_office}", years, None, small_office),
                (f"all years, {rare}, all offices", years, rare, None),
                (f"all years, all types, {small_district}", years, None, small_district),
                (f"two years, ТУ, {district}", (last - 1, last), "tu", district),
                (f"one year, ЗС, {small_office}", (last, last), "zs", small_office),
                (f"first year, {rare}, {small_office}", (years[0], years[0]), rare, small_office),
            ):
                sizes = org_pages(
                    client, role, org, pieces[role][org], office_pieces[role].get(org, {}), ys, t, office
                )
                if not sizes:
                    continue
                top = max(sizes)
                org_worst = max(org_worst, (top[0], f"{role} busiest, {label}, {top[1]}"))
                print(
                    f"  {role} busiest, {label}: "
                    + ", ".join(
                        f"{where} {fmt_kb(size)}{' !' if size > BUDGET else ''}" for size, where in sizes
                    )
                )
        print(
            f"  largest page: {fmt_kb(org_worst[0])} ({org_worst[1]})"
            f"{' — over budget' if org_worst[0] > BUDGET else ''}"
        )
        con.close()
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


def org_pages(
    client: Client,
    role: str,
    org: str,
    pieces: list[list[Any]],
    per_office: dict[str, list[list[Any]]],
    years: tuple[int, int],
    type_: str | None,
    region: str | None,
) -> list[tuple[int, str]]:
    """(gzip bytes, "pN of M") of the first, middle and last page of an organization's conclusions under
    a filter, replaying ``orgRecords`` in orgs.js (pieces in the filter's years, in order, until the page
    is full, counting the pieces before the page from the entry where it can; under an office, a large
    organization's pieces of that office; each piece file counted once). ``region``: ``d-…``, ``o-…``."""
    m = client.manifest
    n_types, n_offices = len(m["types"]), len(m["offices"])
    type_pos = None if type_ is None else [t["key"] for t in m["types"]].index(type_)
    office = region if region and region.startswith("o-") else None
    district = region if region and region.startswith("d-") else None
    office_pos = None if office is None else [o["key"] for o in m["offices"]].index(office)
    district_pos = None if district is None else [d["key"] for d in m["districts"]].index(district)
    lo, hi = m["years"].index(years[0]), m["years"].index(years[1])

    def keep(cell: int) -> bool:
        year, t, o = cell // (n_types * n_offices), (cell // n_offices) % n_types, cell % n_offices
        return (
            lo <= year <= hi
            and type_pos in (None, t)
            and office_pos in (None, o)
            and district_pos in (None, m["offices"][o]["district"])
        )

    by_office = office_pos is not None and bool(per_office)
    own = per_office.get(str(office_pos), []) if by_office else pieces
    folder = client.data / "orgrec" / role / ("o" if by_office else "")
    key = f"{org}@{office_pos}#{{}}" if by_office else f"{org}#{{}}"
    relevant = [(k, p) for k, p in enumerate(own) if p[2] >= years[0] and p[1] <= years[1]]
    matched = []  # rows under the filter in each piece
    files: list[int] = []
    for k, (file_no, *_rest) in relevant:
        rows = client.load(folder / f"{file_no}.json")[key.format(k)]
        matched.append(sum(1 for row in rows if keep(row[2])))
        files.append(file_no)
    total = sum(matched)
    if not total:
        return []
    n_pages = -(-total // 50)
    scope = None if by_office else "office" if office else "district" if district else None

    def known(piece: list[Any]) -> int | None:  # orgs.js ``known``
        if piece[1] < years[0] or piece[2] > years[1] or scope == "office":
            return None
        if scope and type_pos is not None:  # a type and a district: the piece's pair counts
            return next((n for a, b, n in piece[6] if a == type_pos and b == district_pos), 0)
        if type_pos is not None:
            return piece[4][type_pos]
        return piece[5][district_pos] if scope else piece[3]

    out = []
    for page in sorted({1, (n_pages + 1) // 2, n_pages}):
        start, end, seen, read = (page - 1) * 50, page * 50, 0, []
        for count, file_no, (_, piece) in zip(matched, files, relevant, strict=True):
            if seen >= end:
                break
            n = known(piece)
            if n is not None:
                assert n == count, (n, count)  # the entry's counts are the piece's
            if n is None or seen + count > start:  # else counted from the entry, not read
                read.append(file_no)
            seen += count
        size = sum(client.gz(folder / f"{f}.json") for f in dict.fromkeys(read))
        out.append((size, f"p{page} of {n_pages}"))
    return out


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
