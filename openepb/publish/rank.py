"""Counts and rankings for every quick filter, precomputed as small JSON files the browser fetches.

A filter is a year range (from–to over the years present), an object type (or all) and a region
(all, a federal district, or one office). Every combination gets one file with its totals, chart
series, TOP-N expert organizations and applicants, and the count histogram of *all* organizations.
Every organization gets its counts per (year, type, office) cell, sharded by id. With both, the
browser computes any organization's count, dynamic rank and share under any filter exactly:
count = sum of its cells inside the filter, rank = 1 + organizations with a larger count (from the
histogram). The layout is described for the site's developer in ``docs/rank-data.md``.

DuckDB reduces the records once to the finest cells (year, month, type, office) and
(organization, year, type, office); every coarser level — year ranges, all types, districts, all
regions — is a sum of those cells, done here with NumPy, so ranges are exact and never a merge of
per-year TOP-Ns. Each (type, region) slice is ranked for all its year ranges at once (a column per
range); a rebuild rewrites only the files whose bytes changed.
"""

from __future__ import annotations

import csv
import gzip
import json
import os
import random
import statistics
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import numpy as np

from openepb.context import Log
from openepb.contract.counting import COUNTED
from openepb.contract.sources import SCHEMA_DIR
from openepb.contract.tables import has_table
from openepb.publish.memo import Digest, PartMemo
from openepb.publish.names import display_name
from openepb.publish.palette import type_color

FORMAT_VERSION = 1

#: Category used for a NULL object type, office or district, so that "all" still counts every record.
NONE = "?"

#: Record sets the site can switch between: key → SQL condition on ``records``. A later
#: "include excluded" filter adds ``"all": "TRUE"``; the layout already nests everything under it.
VARIANTS: dict[str, str] = {"active": COUNTED}

#: Ranked roles: key → (id column, name column) of ``records``.
ROLES: dict[str, tuple[str, str]] = {
    "expert": ("expert_org_id", "expert_org_name"),
    "applicant": ("applicant_id", "applicant_name"),
}

#: Values of ``organizations.role`` (when that table has a role column) accepted for each role.
ORGANIZATION_ROLES: dict[str, tuple[str, ...]] = {
    "expert": ("expert", "expert_org"),
    "applicant": ("applicant",),
}

#: Roles that get the "TOP-N by year with rank movement" tables.
MOVEMENT_ROLES: tuple[str, ...] = ("expert",)

#: Order of the three distinct counts stored per combination.
DISTINCT_KEYS: tuple[str, ...] = ("expert", "applicant", "office")

#: A shard of per-organization cells is closed once its JSON passes this many bytes.
SHARD_RAW_BYTES = 96_000

SHARE_DIGITS = 5
MONTHS = 12

_TRANSLIT = dict(
    zip(
        "абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
        "a b v g d e e zh z i j k l m n o p r s t u f h c ch sh sch _ y _ e yu ya".replace("_", "").split(
            " "
        ),
        strict=True,
    )
)


# ---------------------------------------------------------------------------------------------
# Filter axes and combinations


@dataclass(frozen=True)
class Region:
    kind: str  # "all", "district" or "office"
    code: str | None = None

    @property
    def key(self) -> str:
        """The region's part of a file name: ``all``, ``d-CFD``, ``o-mos``."""
        if self.kind == "all":
            return "all"
        return f"{self.kind[0]}-{safe_key(self.code or NONE)}"


@dataclass(frozen=True)
class Axes:
    """The filter values present in the data, in display order; cells index into them."""

    years: tuple[int, ...]
    types: tuple[str, ...]
    type_keys: tuple[str, ...]
    offices: tuple[str, ...]
    districts: tuple[str, ...]
    office_district: tuple[int, ...]  # index into districts, per office

    def regions(self) -> list[Region]:
        return [
            Region("all"),
            *(Region("district", d) for d in self.districts),
            *(Region("office", o) for o in self.offices),
        ]

    def ranges(self) -> list[tuple[int, int]]:
        """Every (first, last) pair of year indices with first ≤ last."""
        n = len(self.years)
        return [(i, j) for i in range(n) for j in range(i, n)]

    def office_mask(self, region: Region) -> np.ndarray:
        if region.kind == "all":
            return np.ones(len(self.offices), dtype=bool)
        if region.kind == "district":
            d = self.districts.index(region.code or NONE)
            return np.array([od == d for od in self.office_district], dtype=bool)
        return np.array([o == region.code for o in self.offices], dtype=bool)

    def cell(self, year: int, type_: int, office: int) -> int:
        """Flat cell index of (year index, type index, office index)."""
        return (year * len(self.types) + type_) * len(self.offices) + office

    def combos(self) -> Iterator[Combo]:
        for type_ in (None, *range(len(self.types))):
            for region in self.regions():
                for first, last in self.ranges():
                    yield Combo(first, last, type_, region)


@dataclass(frozen=True)
class Combo:
    first: int  # year index, inclusive
    last: int  # year index, inclusive
    type: int | None  # type index, None = all types
    region: Region

    def path(self, axes: Axes) -> str:
        """The file of this combination, relative to its variant's folder."""
        type_key = "all" if self.type is None else axes.type_keys[self.type]
        return f"c/{axes.years[self.first]}-{axes.years[self.last]}/{type_key}/{self.region.key}.json"


def safe_key(text: str) -> str:
    """An ASCII file-name key: Cyrillic transliterated, anything else but [a-zA-Z0-9] dropped."""
    if text == NONE:
        return "none"
    out = "".join(_TRANSLIT.get(ch.lower(), ch) for ch in text)
    out = "".join(ch for ch in out if ch.isascii() and (ch.isalnum() or ch == "-")).strip("-")
    return out or "x"


def _unique_keys(codes: Sequence[str]) -> tuple[str, ...]:
    keys: list[str] = []
    for code in codes:
        key = safe_key(code).lower()
        base, n = key, 2
        while key in keys or key == "all":
            key, n = f"{base}{n}", n + 1
        keys.append(key)
    return tuple(keys)


# ---------------------------------------------------------------------------------------------
# Reading the store


def _open(db_path: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("SET memory_limit = '2GB'")  # spills past it (10 M records: docs/scale.md)
    con.execute(f"ATTACH '{db_path.as_posix()}' AS db (READ_ONLY)")
    return con


def _table_columns(con: duckdb.DuckDBPyConnection, table: str) -> set[str]:
    sql = "SELECT column_name FROM duckdb_columns() WHERE database_name = 'db' AND table_name = ?"
    return {r[0] for r in con.execute(sql, [table]).fetchall()}


def _object_type_order() -> dict[str, tuple[int, str]]:
    with (SCHEMA_DIR / "object_types.csv").open(encoding="utf-8", newline="") as fh:
        return {row["code"]: (i, row["name"]) for i, row in enumerate(csv.DictReader(fh))}


def _ordered(values: set[str], preferred: Sequence[str]) -> tuple[str, ...]:
    """Values in the preferred order first, then the others sorted, the NULL category last."""
    first = [v for v in dict.fromkeys(preferred) if v in values]
    rest = sorted(v for v in values if v not in first and v != NONE)
    return tuple(first + rest + ([NONE] if NONE in values else []))


@dataclass(frozen=True)
class Reference:
    """Display names of types, offices and districts for the manifest."""

    type_names: dict[str, str]
    office_short: dict[str, str]
    district_names: dict[str, tuple[str, str]]


def load_axes(con: duckdb.DuckDBPyConnection) -> tuple[Axes, Reference]:
    """Axes over all records (every variant shares them), ordered like ``sources/`` and the schema."""
    years = tuple(
        int(r[0])
        for r in con.execute(
            "SELECT DISTINCT year FROM db.records WHERE year IS NOT NULL ORDER BY 1"
        ).fetchall()
    )
    types_present = {
        r[0]
        for r in con.execute(f"SELECT DISTINCT coalesce(object_type, '{NONE}') FROM db.records").fetchall()
    }
    type_order = _object_type_order()
    types = _ordered(types_present, sorted(type_order, key=lambda c: type_order[c][0]))
    placed = con.execute(
        f"""SELECT coalesce(office_code, '{NONE}') AS o, min(coalesce(district, '{NONE}')),
                   count(DISTINCT coalesce(district, '{NONE}'))
            FROM db.records GROUP BY o"""
    ).fetchall()
    split = [o for o, _, n in placed if n > 1]
    if split:
        raise ValueError(f"offices with records in more than one district: {', '.join(sorted(split))}")
    district_of = {o: d for o, d, _ in placed}
    office_rows: list[tuple[str, str, str, str, str]] = []
    if has_table(con, "offices", database="db"):
        office_rows = con.execute(
            "SELECT code, short, district, district_name, district_short FROM db.offices ORDER BY rowid"
        ).fetchall()
    offices = _ordered(set(district_of), [r[0] for r in office_rows])
    districts = _ordered(set(district_of.values()), [r[2] for r in office_rows])
    axes = Axes(
        years=years,
        types=types,
        type_keys=_unique_keys(types),
        offices=offices,
        districts=districts,
        office_district=tuple(districts.index(district_of[o]) for o in offices),
    )
    reference = Reference(
        type_names={c: type_order.get(c, (0, c))[1] for c in types},
        office_short={r[0]: r[1] or r[0] for r in office_rows},
        district_names={r[2]: (r[3] or r[2], r[4] or r[2]) for r in office_rows},
    )
    return axes, reference


def _variant_view(con: duckdb.DuckDBPyConnection, where: str) -> None:
    con.execute(
        f"""CREATE OR REPLACE TEMP VIEW r AS
            SELECT year, month(date_registered) AS month,
                   coalesce(object_type, '{NONE}') AS t, coalesce(office_code, '{NONE}') AS o,
                   expert_org_id, expert_org_name, applicant_id, applicant_name
            FROM db.records WHERE year IS NOT NULL AND ({where})"""
    )


def _index_sql(column: str, axis: str) -> str:
    return f"(list_position(${axis}, {column}) - 1)::INTEGER"


def _axis_params(axes: Axes) -> dict[str, list[Any]]:
    return {"years": list(axes.years), "types": list(axes.types), "offices": list(axes.offices)}


def load_totals(con: duckdb.DuckDBPyConnection, axes: Axes) -> np.ndarray:
    """Record counts as a dense array [year, month (0 = no date), type, office]."""
    rows = con.execute(
        f"""SELECT {_index_sql("year::INTEGER", "years")} AS y, coalesce(month, 0)::INTEGER AS m,
                   {_index_sql("t", "types")} AS t, {_index_sql("o", "offices")} AS o, count(*) AS n
            FROM r GROUP BY ALL""",
        _axis_params(axes),
    ).fetchnumpy()
    totals = np.zeros((len(axes.years), MONTHS + 1, len(axes.types), len(axes.offices)), dtype=np.int64)
    totals[rows["y"], rows["m"], rows["t"], rows["o"]] = rows["n"]
    return totals


@dataclass
class RoleCells:
    """One role's organizations (sorted by id) and their counts per (year, type, office) cell."""

    role: str
    ids: list[str]
    names: list[str]
    org: np.ndarray
    year: np.ndarray
    type: np.ndarray
    office: np.ndarray
    n: np.ndarray
    static_count: np.ndarray = field(init=False)
    static_rank: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        self.static_count = np.bincount(self.org, weights=self.n, minlength=len(self.ids)).astype(np.int64)
        self.static_rank = competition_ranks(self.static_count)


def load_role(con: duckdb.DuckDBPyConnection, axes: Axes, role: str) -> RoleCells:
    id_col, name_col = ROLES[role]
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE ids AS
            SELECT id, (row_number() OVER (ORDER BY id) - 1)::INTEGER AS k
            FROM (SELECT DISTINCT {id_col} AS id FROM r WHERE {id_col} IS NOT NULL)"""
    )
    ids = [r[0] for r in con.execute("SELECT id FROM ids ORDER BY k").fetchall()]
    cells = con.execute(
        f"""SELECT ids.k AS org, {_index_sql("r.year::INTEGER", "years")} AS y,
                   {_index_sql("r.t", "types")} AS t, {_index_sql("r.o", "offices")} AS o,
                   count(*) AS n
            FROM r JOIN ids ON r.{id_col} = ids.id GROUP BY ALL ORDER BY org, y, t, o""",
        _axis_params(axes),
    ).fetchnumpy()
    names = _display_names(con, role, ids)
    return RoleCells(
        role,
        ids,
        names,
        np.asarray(cells["org"], dtype=np.int64),
        np.asarray(cells["y"], dtype=np.int64),
        np.asarray(cells["t"], dtype=np.int64),
        np.asarray(cells["o"], dtype=np.int64),
        np.asarray(cells["n"], dtype=np.int64),
    )


def _display_names(con: duckdb.DuckDBPyConnection, role: str, ids: list[str]) -> list[str]:
    """The resolver's display name when it has one, else the most frequent spelling (ties: smallest),
    shortened for lists (openepb.publish.names.display_name)."""
    id_col, name_col = ROLES[role]
    spelled = dict(
        con.execute(
            f"""SELECT {id_col}, {name_col} FROM r
                WHERE {id_col} IS NOT NULL AND {name_col} IS NOT NULL
                GROUP BY {id_col}, {name_col}
                QUALIFY row_number() OVER (PARTITION BY {id_col} ORDER BY count(*) DESC, {name_col}) = 1"""
        ).fetchall()
    )
    resolved: dict[str, str] = {}
    if has_table(con, "organizations", database="db") and {"id", "display_name"} <= _table_columns(
        con, "organizations"
    ):
        where = "display_name IS NOT NULL"
        params: list[Any] = []
        if "role" in _table_columns(con, "organizations"):
            where += " AND role IN (SELECT unnest(?))"
            params.append(list(ORGANIZATION_ROLES[role]))
        sql = f"SELECT id, min(display_name) FROM db.organizations WHERE {where} GROUP BY id"
        resolved = dict(con.execute(sql, params).fetchall())
    return [display_name(resolved.get(i) or spelled.get(i)) or i for i in ids]


# ---------------------------------------------------------------------------------------------
# Ranking arithmetic


def competition_ranks(counts: np.ndarray) -> np.ndarray:
    """Rank of each count among all counts: 1 + how many are larger (1, 2, 2, 4); 0 for a zero count."""
    ordered = np.sort(counts)
    larger = len(counts) - np.searchsorted(ordered, counts, side="right")
    return np.where(counts > 0, larger + 1, 0).astype(np.int64)


@dataclass(frozen=True)
class Ranking:
    """Organizations under one filter: histogram of counts, and the TOP-N in stable order."""

    hist_counts: np.ndarray  # distinct counts, descending
    hist_orgs: np.ndarray  # how many organizations have each
    top: np.ndarray  # organization indices: count desc, then id
    top_counts: np.ndarray
    top_ranks: np.ndarray

    @property
    def distinct(self) -> int:
        return int(self.hist_orgs.sum())


def rank_counts(orgs: np.ndarray, counts: np.ndarray, top_n: int) -> Ranking:
    """Histogram and TOP-N of organizations ``orgs`` (indices in id order) with ``counts``."""
    present = counts > 0
    orgs, counts = orgs[present], counts[present]
    values, how_many = np.unique(counts, return_counts=True)
    values, how_many = values[::-1], how_many[::-1]
    larger = np.cumsum(how_many) - how_many
    if len(counts) > top_n:
        key = counts * (int(orgs.max()) + 1) - orgs  # unique: count desc, then index asc
        pick = np.argpartition(-key, top_n - 1)[:top_n]
        order = pick[np.argsort(-key[pick])]
    else:
        order = np.lexsort((orgs, -counts))
    top_counts = counts[order]
    ranks = larger[np.searchsorted(-values, -top_counts)] + 1
    return Ranking(values, how_many, orgs[order], top_counts, ranks)


def dynamic_rank(hist: Sequence[int], count: int) -> int | None:
    """The browser's rule: 1 + organizations with a larger count; None when the count is zero."""
    if count <= 0:
        return None
    return 1 + sum(hist[i + 1] for i in range(0, len(hist), 2) if hist[i] > count)


def org_count(cells: Sequence[int], axes: Axes, combo: Combo) -> int:
    """The browser's rule: sum of an organization's cells inside a filter."""
    offices = axes.office_mask(combo.region)
    per_year = len(axes.types) * len(axes.offices)
    total = 0
    for i in range(0, len(cells), 2):
        year, rest = divmod(cells[i], per_year)
        type_, office = divmod(rest, len(axes.offices))
        if combo.first <= year <= combo.last and combo.type in (None, type_) and offices[office]:
            total += cells[i + 1]
    return total


# ---------------------------------------------------------------------------------------------
# Writing


@dataclass
class FileStats:
    raw: list[int] = field(default_factory=list)
    gzip: list[int] = field(default_factory=list)

    def add(self, data: bytes, gzip_size: bool = True) -> None:
        self.raw.append(len(data))
        if gzip_size:
            self.gzip.append(len(gzip.compress(data, 6, mtime=0)))


class Writer:
    """Writes JSON files atomically under one folder and remembers what it wrote.

    A file whose bytes are already those on disk is left as it is (a rebuild after a small change
    rewrites only the files that changed). ``gzip_sizes=False`` skips measuring compressed sizes.
    """

    def __init__(self, root: Path, *, gzip_sizes: bool = True) -> None:
        self.root = root
        self.gzip_sizes = gzip_sizes
        self.written: set[str] = set()
        self.stats: dict[str, FileStats] = {}
        self.changed = 0
        self._folders: set[str] = set()
        self.recent: list[list[Any]] = []  # [file, kind, bytes, gzip bytes or None] since last taken

    def take_recent(self) -> list[list[Any]]:
        recent, self.recent = self.recent, []
        return recent

    def keep(self, files: list[list[Any]]) -> None:
        """Files a memo says are already written: counted as written, not touched."""
        for rel, kind, size, gzip_size in files:
            self.written.add(os.path.join(self.root, rel))
            stats = self.stats.setdefault(kind, FileStats())
            stats.raw.append(size)
            if self.gzip_sizes:
                stats.gzip.append(gzip_size)

    def write(self, rel: str, obj: Any, kind: str) -> None:
        data = json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        path = os.path.join(self.root, rel)
        self.written.add(path)
        stats = self.stats.setdefault(kind, FileStats())
        stats.add(data, self.gzip_sizes)
        self.recent.append([rel, kind, len(data), stats.gzip[-1] if self.gzip_sizes else None])
        try:
            with open(path, "rb") as fh:
                if fh.read(len(data) + 1) == data:
                    return
        except OSError:
            pass
        folder = os.path.dirname(path)
        if folder not in self._folders:
            os.makedirs(folder, exist_ok=True)
            self._folders.add(folder)
        tmp = os.path.join(folder, f".{os.path.basename(path)}.{os.getpid()}.tmp")
        with open(tmp, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
        self.changed += 1

    def prune(self) -> int:
        """Delete JSON files a previous build left that this build did not write."""
        stale = [p for p in self.root.rglob("*.json") if str(p) not in self.written]
        for path in stale:
            path.unlink()
        return len(stale)


def _share(count: int, total: int) -> float:
    return round(count / total, SHARE_DIGITS) if total else 0.0


@dataclass(frozen=True)
class SliceOrgs:
    """One role's per-year counts of the organizations inside one (type, region) slice."""

    orgs: np.ndarray  # organization indices present in the slice
    cumulative: np.ndarray  # [org, year + 1]: counts summed over years up to each year

    def counts(self, first: int, last: int) -> np.ndarray:
        return self.cumulative[:, last + 1] - self.cumulative[:, first]


def slice_orgs(cells: RoleCells, type_: int | None, office_mask: np.ndarray, n_years: int) -> SliceOrgs:
    keep = office_mask[cells.office]
    if type_ is not None:
        keep &= cells.type == type_
    orgs, local = np.unique(cells.org[keep], return_inverse=True)
    per_year = np.bincount(
        local * n_years + cells.year[keep], weights=cells.n[keep], minlength=len(orgs) * n_years
    )
    per_year = per_year.astype(np.int64).reshape(len(orgs), n_years)
    cumulative = np.zeros((len(orgs), n_years + 1), dtype=np.int64)
    np.cumsum(per_year, axis=1, out=cumulative[:, 1:])
    return SliceOrgs(orgs, cumulative)


@dataclass(frozen=True)
class ColumnRankings:
    """:func:`rank_counts` of many filters at once, as plain lists: one item per filter (column)."""

    distinct: list[int]
    top: list[list[int]]  # organization indices: count desc, then index
    top_counts: list[list[int]]
    top_ranks: list[list[int]]
    hist: list[list[int]]  # flat [count, organizations with it, …], counts descending


def rank_columns(orgs: np.ndarray, counts: np.ndarray, top_n: int) -> ColumnRankings:
    """The ranking of every column of ``counts`` [organization, filter] of organizations ``orgs``
    (indices in id order, ascending): the histograms, TOP-N and ranks :func:`rank_counts` gives
    column by column, in a few NumPy calls for all of them."""
    n, columns = counts.shape
    if n == 0:
        empty: list[list[int]] = [[] for _ in range(columns)]
        return ColumnRankings([0] * columns, empty, empty, empty, empty)
    key = counts * (int(orgs.max()) + 1) - orgs[:, None]  # unique in a column; a zero count is ≤ 0
    order = np.argsort(-key, axis=0, kind="stable")
    ordered = np.take_along_axis(counts, order, axis=0)  # each column descending
    distinct = (ordered > 0).sum(axis=0)
    starts = np.ones(ordered.shape, dtype=bool)  # first organization of each count
    starts[1:] = ordered[1:] != ordered[:-1]
    head = min(top_n, n)
    first = np.where(starts[:head], np.arange(head)[:, None], 0)
    ranks = np.maximum.accumulate(first, axis=0) + 1  # 1 + organizations with a larger count
    kept = np.minimum(distinct, head).tolist()
    top = orgs[order[:head]].T.tolist()
    top_counts = ordered[:head].T.tolist()
    top_ranks = ranks.T.tolist()
    column, row = np.nonzero((starts & (ordered > 0)).T)  # by column, then row
    ends = np.empty_like(row)
    ends[:-1] = row[1:]
    last = np.ones(len(row), dtype=bool)
    last[:-1] = column[1:] != column[:-1]
    ends[last] = distinct[column[last]]
    flat = np.column_stack((ordered.T[column, row], ends - row)).ravel().tolist()
    bounds = (np.searchsorted(column, np.arange(columns + 1)) * 2).tolist()
    return ColumnRankings(
        distinct.tolist(),
        [t[:k] for t, k in zip(top, kept, strict=True)],
        [t[:k] for t, k in zip(top_counts, kept, strict=True)],
        [t[:k] for t, k in zip(top_ranks, kept, strict=True)],
        [flat[bounds[c] : bounds[c + 1]] for c in range(columns)],
    )


def _range_sums(per_year: np.ndarray, firsts: np.ndarray, lasts: np.ndarray) -> np.ndarray:
    """Sums of ``per_year`` [year, …] over each year range (first, last), one row per range."""
    cumulative = np.zeros((per_year.shape[0] + 1, *per_year.shape[1:]), dtype=np.int64)
    np.cumsum(per_year, axis=0, out=cumulative[1:])
    return cumulative[lasts + 1] - cumulative[firsts]


def slice_payloads(
    totals: np.ndarray,
    axes: Axes,
    type_: int | None,
    office_mask: np.ndarray,
    rankings: dict[str, ColumnRankings],
    roles: dict[str, RoleCells],
) -> list[dict[str, Any]]:
    """Everything each filter combination of one (type, region) slice shows, as compact arrays: one
    payload per year range, in the order of ``axes.ranges()``; every range is a difference of
    cumulative sums over the years."""
    ranges = axes.ranges()
    firsts = np.array([f for f, _ in ranges], dtype=np.int64)
    lasts = np.array([la for _, la in ranges], dtype=np.int64)
    inside = totals[..., office_mask]  # [year, month, type, office in the region]
    by_type_year = inside.sum(axis=(1, 3))
    part = inside if type_ is None else inside[:, :, type_ : type_ + 1]
    months = part.sum(axis=(2, 3))  # [year, month (0 = no date)]
    by_office_year = np.zeros((len(axes.years), len(axes.offices)), dtype=np.int64)
    by_office_year[:, office_mask] = part.sum(axis=(1, 2))
    district_of = np.zeros((len(axes.offices), len(axes.districts)), dtype=np.int64)
    district_of[np.arange(len(axes.offices)), list(axes.office_district)] = 1
    by_type = _range_sums(by_type_year, firsts, lasts)
    if type_ is not None:
        by_type[:, np.arange(len(axes.types)) != type_] = 0
    by_office = _range_sums(by_office_year, firsts, lasts)
    named = np.array([o != NONE for o in axes.offices], dtype=bool)
    year_list = months.sum(axis=1).tolist()
    month_list = months[:, 1:].ravel().tolist()
    columns = {
        "n": _range_sums(months.sum(axis=1), firsts, lasts).tolist(),
        "nodate": _range_sums(months[:, 0], firsts, lasts).tolist(),
        "type": by_type.tolist(),
        "district": (by_office @ district_of).tolist(),
        "office": by_office.tolist(),
        "offices": ((by_office > 0) & named).sum(axis=1).tolist(),  # like count(DISTINCT office_code)
    }
    people = {role: (cells.ids, cells.names, cells.static_rank.tolist()) for role, cells in roles.items()}
    payloads = []
    for r, (first, last) in enumerate(ranges):
        total = columns["n"][r]
        distinct = {role: rankings[role].distinct[r] for role in rankings}
        distinct["office"] = columns["offices"][r]
        top = {}
        for role, ranked in rankings.items():
            ids, names, static = people[role]
            top[role] = [
                [ids[o], names[o], c, k, _share(c, total), static[o]]
                for o, c, k in zip(ranked.top[r], ranked.top_counts[r], ranked.top_ranks[r], strict=True)
            ]
        payloads.append(
            {
                "n": total,
                "distinct": [distinct.get(k, 0) for k in DISTINCT_KEYS],
                "year": year_list[first : last + 1],
                "month": month_list[first * MONTHS : (last + 1) * MONTHS],
                "nodate": columns["nodate"][r],
                "type": columns["type"][r],
                "district": columns["district"][r],
                "office": columns["office"][r],
                "top": top,
                "hist": {role: rankings[role].hist[r] for role in rankings},
            }
        )
    return payloads


def _movement_table(
    cells: RoleCells, axes: Axes, per_year: list[tuple[np.ndarray, np.ndarray]], top_n: int
) -> list[list[list[Any]]]:
    """Per year: the TOP-N with count and rank, and [rank, count] (or null) in each earlier year."""
    n_orgs = len(cells.ids)
    counts = np.zeros((len(axes.years), n_orgs), dtype=np.int64)
    for y, (orgs, c) in enumerate(per_year):
        counts[y, orgs] = c
    ranks = np.array([competition_ranks(row) for row in counts]).reshape(counts.shape)
    tables = []
    for y in range(len(axes.years)):
        ranking = rank_counts(np.arange(n_orgs), counts[y], top_n)
        rows = []
        for o, c, r in zip(ranking.top, ranking.top_counts, ranking.top_ranks, strict=True):
            earlier = [[int(ranks[p, o]), int(counts[p, o])] if counts[p, o] else None for p in range(y)]
            rows.append([cells.ids[o], cells.names[o], int(c), int(r), earlier])
        tables.append(rows)
    return tables


def _org_shards(cells: RoleCells, axes: Axes) -> list[list[list[Any]]]:
    """Organizations in id order: [id, name, static count, static rank, [cell, n, …]], cut by size."""
    flat = (cells.year * len(axes.types) + cells.type) * len(axes.offices) + cells.office
    order = np.lexsort((flat, cells.org))
    org, flat, n = cells.org[order], flat[order], cells.n[order]
    bounds = np.searchsorted(org, np.arange(len(cells.ids) + 1))
    shards: list[list[list[Any]]] = [[]]
    size = 0
    for o, ident in enumerate(cells.ids):
        lo, hi = bounds[o], bounds[o + 1]
        pairs = np.column_stack((flat[lo:hi], n[lo:hi])).ravel().tolist()
        entry = [ident, cells.names[o], int(cells.static_count[o]), int(cells.static_rank[o]), pairs]
        entry_size = len(json.dumps(entry, ensure_ascii=False, separators=(",", ":")).encode())
        if shards[-1] and size + entry_size > SHARD_RAW_BYTES:
            shards.append([])
            size = 0
        shards[-1].append(entry)
        size += entry_size
    return shards if shards[0] else []


# ---------------------------------------------------------------------------------------------
# Build


@dataclass
class RankReport:
    seconds: float
    combinations: int
    files: int
    bytes_raw: int
    bytes_gzip: int
    largest_fetch_gzip: int  # largest combination file: what one filter change fetches
    median_fetch_gzip: int
    largest_org_shard_gzip: int
    organizations: dict[str, int]
    records: int
    stages: dict[str, float] = field(default_factory=dict)
    changed: int = 0  # files whose bytes differed from those on disk (all of them on a first build)
    gzip_measured: bool = True
    slices_reused: int = 0  # (type, region) slices whose files the memo kept

    def lines(self) -> list[str]:
        return [
            f"records counted: {self.records:,}",
            f"organizations: {', '.join(f'{k} {v:,}' for k, v in self.organizations.items())}",
            f"combinations: {self.combinations:,}; files: {self.files:,}",
            f"files rewritten: {self.changed:,} (the others already had these bytes); "
            f"slices kept from the last build: {self.slices_reused:,}",
            *(
                [
                    f"bytes on disk: {self.bytes_raw / 1e6:.1f} MB raw, {self.bytes_gzip / 1e6:.1f} MB gzip",
                    f"fetch per filter change (gzip): largest {self.largest_fetch_gzip / 1e3:.1f} KB, "
                    f"median {self.median_fetch_gzip / 1e3:.1f} KB",
                    f"largest organization shard (gzip): {self.largest_org_shard_gzip / 1e3:.1f} KB",
                ]
                if self.gzip_measured
                else [f"bytes on disk: {self.bytes_raw / 1e6:.1f} MB raw (gzip sizes not measured)"]
            ),
            f"compute: {self.seconds:.1f} s ({', '.join(f'{k} {v:.1f} s' for k, v in self.stages.items())})",
        ]


class Stopwatch:
    """Seconds per stage, summed over variants, for the report."""

    def __init__(self) -> None:
        self.stages: dict[str, float] = {}
        self.started = time.perf_counter()

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.stages[stage] = self.stages.get(stage, 0.0) + now - self.started
        self.started = now


def _slice_digest(
    totals: np.ndarray,
    type_: int | None,
    mask: np.ndarray,
    slices: dict[str, SliceOrgs],
    roles: dict[str, RoleCells],
) -> str:
    """Everything the files of one (type, region) slice are made of besides the axes and ``top_n``:
    the record counts of its offices (every type: the type series shows them), and per role the
    organizations present — id, display name, static rank — with their per-year counts."""
    digest = Digest(type_, mask, totals[..., mask])
    for role, s in slices.items():
        cells = roles[role]
        orgs = s.orgs.tolist()
        digest.add(role, [cells.ids[o] for o in orgs], [cells.names[o] for o in orgs])
        digest.add(cells.static_rank[s.orgs], s.cumulative)
    return digest.hexdigest()


def _write_combinations(
    writer: Writer,
    variant: str,
    axes: Axes,
    totals: np.ndarray,
    roles: dict[str, RoleCells],
    top_n: int,
    memo: PartMemo | None = None,
) -> None:
    """One file per combination; and, over all regions, the movement tables of each type.

    With ``memo``, a slice whose inputs (:func:`_slice_digest`) are those of the last build keeps
    the files it wrote then."""
    ranges = axes.ranges()
    firsts = np.array([f for f, _ in ranges], dtype=np.int64) + 1
    lasts = np.array([la for _, la in ranges], dtype=np.int64) + 1
    for type_ in (None, *range(len(axes.types))):
        for region in axes.regions():
            mask = axes.office_mask(region)
            slices = {role: slice_orgs(cells, type_, mask, len(axes.years)) for role, cells in roles.items()}
            part = f"{variant}/{'all' if type_ is None else axes.type_keys[type_]}/{region.key}"
            digest = _slice_digest(totals, type_, mask, slices, roles) if memo is not None else ""
            if memo is not None:
                kept = memo.files(part, digest, writer.root)
                if kept is not None and (not writer.gzip_sizes or all(f[3] is not None for f in kept)):
                    writer.keep(kept)
                    continue
            writer.take_recent()
            rankings = {
                role: rank_columns(s.orgs, s.cumulative[:, lasts] - s.cumulative[:, firsts - 1], top_n)
                for role, s in slices.items()
            }
            payloads = slice_payloads(totals, axes, type_, mask, rankings, roles)
            for (first, last), payload in zip(ranges, payloads, strict=True):
                combo = Combo(first, last, type_, region)
                writer.write(f"{variant}/{combo.path(axes)}", payload, "combo")
            if region.kind == "all":
                type_key = "all" if type_ is None else axes.type_keys[type_]
                for role in MOVEMENT_ROLES:
                    s = slices[role]
                    per_year = [(s.orgs, s.counts(y, y)) for y in range(len(axes.years))]
                    tables = _movement_table(roles[role], axes, per_year, top_n)
                    movement = {"years": list(axes.years), "top": tables}
                    writer.write(f"{variant}/m/{role}/{type_key}.json", movement, "movement")
            if memo is not None:
                memo.keep(part, digest, writer.take_recent())


def _write_organizations(writer: Writer, variant: str, axes: Axes, roles: dict[str, RoleCells]) -> dict:
    """The organization shards of each role; returns the manifest's shard index."""
    index: dict[str, Any] = {}
    for role, cells in roles.items():
        shards = _org_shards(cells, axes)
        for i, shard in enumerate(shards):
            writer.write(f"{variant}/o/{role}/{i}.json", shard, "org")
        index[role] = {"count": len(cells.ids), "first_ids": [shard[0][0] for shard in shards]}
    return index


def _build_variant(
    con: duckdb.DuckDBPyConnection,
    axes: Axes,
    variant: str,
    writer: Writer,
    top_n: int,
    clock: Stopwatch,
    memo: PartMemo | None = None,
) -> dict[str, Any]:
    """Writes one variant's combination, movement and organization files; returns its manifest part."""
    _variant_view(con, VARIANTS[variant])
    totals = load_totals(con, axes)
    roles = {role: load_role(con, axes, role) for role in ROLES}
    clock.lap("duckdb")
    _write_combinations(writer, variant, axes, totals, roles, top_n, memo)
    clock.lap("combinations")
    orgs = _write_organizations(writer, variant, axes, roles)
    clock.lap("organizations")
    return {"records": int(totals.sum()), "orgs": orgs}


def _manifest(axes: Axes, reference: Reference, variants: dict[str, Any], top_n: int) -> dict[str, Any]:
    return {
        "format": FORMAT_VERSION,
        "top_n": top_n,
        "years": list(axes.years),
        "types": [
            {"code": c, "key": k, "name": reference.type_names.get(c, c), "color": type_color(c)}
            for c, k in zip(axes.types, axes.type_keys, strict=True)
        ],
        "districts": [
            {
                "code": d,
                "key": Region("district", d).key,
                "name": reference.district_names.get(d, (d, d))[0],
                "short": reference.district_names.get(d, (d, d))[1],
            }
            for d in axes.districts
        ],
        "offices": [
            {
                "code": o,
                "key": Region("office", o).key,
                "short": reference.office_short.get(o, o),
                "district": d,
            }
            for o, d in zip(axes.offices, axes.office_district, strict=True)
        ],
        "paths": {
            "combination": "{variant}/c/{from}-{to}/{type}/{region}.json",
            "organizations": "{variant}/o/{role}/{shard}.json",
            "movement": "{variant}/m/{role}/{type}.json",
        },
        "distinct": list(DISTINCT_KEYS),
        "roles": list(ROLES),
        "movement_roles": list(MOVEMENT_ROLES),
        "variants": variants,
    }


def build_rankings(
    db_path: Path,
    out_dir: Path,
    *,
    top_n: int = 30,
    quiet: bool = False,
    gzip_sizes: bool = True,
    memo: Path | None = None,
) -> RankReport:
    """Writes ``out_dir/manifest.json`` and every shard; files a previous build left are removed, a
    file that already has its bytes is not rewritten. ``gzip_sizes=False`` leaves the report's
    compressed sizes unmeasured (zero); measuring them costs about a sixth of the build.

    ``memo`` (a file outside ``out_dir``) keeps, per (type, region) slice, a digest of its inputs and
    the files it wrote: the next build computes only the slices whose inputs changed."""
    if top_n < 1:
        raise ValueError("top_n must be at least 1")
    started = time.perf_counter()
    clock = Stopwatch()
    con = _open(db_path)
    parts: PartMemo | None = None
    try:
        axes, reference = load_axes(con)
        if memo is not None:
            from openepb.build.cache import publish_code_version

            version = json.dumps(  # the folder too: the memo names files of this one
                [FORMAT_VERSION, top_n, publish_code_version(), asdict(axes), str(out_dir.resolve())]
            )
            parts = PartMemo(memo, version)
            parts.forget()
        writer = Writer(out_dir, gzip_sizes=gzip_sizes)
        variants: dict[str, Any] = {}
        for variant in VARIANTS:
            Log(quiet).info(f"variant {variant}")
            variants[variant] = _build_variant(con, axes, variant, writer, top_n, clock, parts)
    finally:
        con.close()
    writer.write("manifest.json", _manifest(axes, reference, variants, top_n), "manifest")
    writer.prune()
    if parts is not None:
        parts.save()
    stats = writer.stats
    combo = stats.get("combo", FileStats())
    org = stats.get("org", FileStats())
    report = RankReport(
        seconds=time.perf_counter() - started,
        combinations=len(combo.raw),
        files=sum(len(s.raw) for s in stats.values()),
        bytes_raw=sum(sum(s.raw) for s in stats.values()),
        bytes_gzip=sum(sum(s.gzip) for s in stats.values()),
        largest_fetch_gzip=max(combo.gzip, default=0),
        median_fetch_gzip=int(statistics.median(combo.gzip)) if combo.gzip else 0,
        largest_org_shard_gzip=max(org.gzip, default=0),
        organizations={r: variants[next(iter(VARIANTS))]["orgs"][r]["count"] for r in ROLES},
        records=variants[next(iter(VARIANTS))]["records"],
        stages=clock.stages,
        changed=writer.changed,
        gzip_measured=gzip_sizes,
        slices_reused=parts.reused if parts is not None else 0,
    )
    for line in report.lines():
        Log(quiet).info(line)
    return report


# ---------------------------------------------------------------------------------------------
# Check: the files agree with DuckDB


def axes_from_manifest(manifest: dict[str, Any]) -> Axes:
    districts = tuple(d["code"] for d in manifest["districts"])
    return Axes(
        years=tuple(manifest["years"]),
        types=tuple(t["code"] for t in manifest["types"]),
        type_keys=tuple(t["key"] for t in manifest["types"]),
        offices=tuple(o["code"] for o in manifest["offices"]),
        districts=districts,
        office_district=tuple(o["district"] for o in manifest["offices"]),
    )


def combo_filter_sql(axes: Axes, combo: Combo) -> tuple[str, list[Any]]:
    """The SQL condition on ``records`` that selects the same records as a combination."""
    parts = ["year BETWEEN ? AND ?"]
    params: list[Any] = [axes.years[combo.first], axes.years[combo.last]]
    columns = {"type": "object_type", "district": "district", "office": "office_code"}
    selected = [("type", None if combo.type is None else axes.types[combo.type])]
    if combo.region.kind != "all":
        selected.append((combo.region.kind, combo.region.code))
    for kind, value in selected:
        if value is None:
            continue
        if value == NONE:
            parts.append(f"{columns[kind]} IS NULL")
        else:
            parts.append(f"{columns[kind]} = ?")
            params.append(value)
    return " AND ".join(parts), params


def _load_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


class OrgIndex:
    """The browser's lookup of an organization's entry: binary search of the shards' first ids."""

    def __init__(self, out_dir: Path, variant: str, role: str, first_ids: list[str]) -> None:
        self.dir = out_dir / variant / "o" / role
        self.first_ids = first_ids
        self.cache: dict[int, dict[str, list[Any]]] = {}

    def entry(self, org_id: str) -> list[Any] | None:
        lo, hi = 0, len(self.first_ids)
        while lo < hi:
            mid = (lo + hi) // 2
            if self.first_ids[mid] <= org_id:
                lo = mid + 1
            else:
                hi = mid
        shard = lo - 1
        if shard < 0:
            return None
        if shard not in self.cache:
            self.cache[shard] = {e[0]: e for e in _load_json(self.dir / f"{shard}.json")}
        return self.cache[shard].get(org_id)


#: The chosen combinations of a check, as a table the records are joined to: a NULL filter value
#: selects every record, ``NONE`` the records without a value.
_CHOSEN_SQL = """
    CREATE OR REPLACE TEMP TABLE chosen (
        cid INTEGER, first_year INTEGER, last_year INTEGER,
        object_type VARCHAR, district VARCHAR, office_code VARCHAR)
"""


def _filter_sql(column: str) -> str:
    """A chosen combination's condition on one column of a record: the same as ``combo_filter_sql``."""
    return (
        f"(c.{column} IS NULL OR (c.{column} = '{NONE}' AND r.{column} IS NULL)"
        f" OR (c.{column} <> '{NONE}' AND r.{column} = c.{column}))"
    )


def _chosen_rows(axes: Axes, combos: list[Combo]) -> list[tuple[Any, ...]]:
    rows = []
    for cid, combo in enumerate(combos):
        region = combo.region
        rows.append(
            (
                cid,
                axes.years[combo.first],
                axes.years[combo.last],
                None if combo.type is None else axes.types[combo.type],
                region.code if region.kind == "district" else None,
                region.code if region.kind == "office" else None,
            )
        )
    return rows


@dataclass
class _ComboFacts:
    """What DuckDB says of one chosen combination."""

    total: int = 0
    distinct: tuple[int, int, int] = (0, 0, 0)
    by_year: dict[int, int] = field(default_factory=dict)
    ranked: dict[str, list[tuple[int, str, int, int]]] = field(default_factory=dict)  # rn, id, c, r


def _combo_facts(
    con: duckdb.DuckDBPyConnection,
    axes: Axes,
    combos: list[Combo],
    where: str,
    top_n: int,
    rng: random.Random,
) -> tuple[list[_ComboFacts], list[dict[str, int | None]]]:
    """Counts, year series, TOP-N and one sampled organization per role of every combination, in a
    handful of set-based queries; returns the facts and the sampled row numbers (1-based, None when
    the combination has no organization of the role). The sample draws ``rng`` in combination order,
    expert before applicant, as the check has always drawn it."""
    if not combos:
        return [], []
    con.execute(_CHOSEN_SQL)
    con.executemany("INSERT INTO chosen VALUES (?, ?, ?, ?, ?, ?)", _chosen_rows(axes, combos))
    joined = f"""chosen c JOIN (SELECT * FROM db.records WHERE {where}) r
                 ON r.year BETWEEN c.first_year AND c.last_year AND {_filter_sql("object_type")}
                 AND {_filter_sql("district")} AND {_filter_sql("office_code")}"""
    facts = [_ComboFacts() for _ in combos]
    for cid, total, experts, applicants, offices in con.execute(
        f"""SELECT c.cid, count(*), count(DISTINCT r.expert_org_id), count(DISTINCT r.applicant_id),
                   count(DISTINCT r.office_code) FROM {joined} GROUP BY c.cid"""
    ).fetchall():
        facts[cid].total, facts[cid].distinct = total, (experts, applicants, offices)
    for cid, year, n in con.execute(
        f"SELECT c.cid, r.year, count(*) FROM {joined} GROUP BY c.cid, r.year"
    ).fetchall():
        facts[cid].by_year[year] = n
    picks: list[dict[str, int | None]] = []
    for fact in facts:
        distinct = {"expert": fact.distinct[0], "applicant": fact.distinct[1]}
        picks.append({role: rng.randrange(distinct[role]) + 1 if distinct[role] else None for role in ROLES})
    for role, (id_col, _) in ROLES.items():
        con.execute("CREATE OR REPLACE TEMP TABLE picked (cid INTEGER, rn BIGINT)")
        wanted = [(cid, pick[role]) for cid, pick in enumerate(picks) if pick[role] is not None]
        if wanted:
            con.executemany("INSERT INTO picked VALUES (?, ?)", wanted)
        rows = con.execute(
            f"""WITH counted AS (
                    SELECT c.cid, r.{id_col} AS org, count(*) AS n FROM {joined}
                    WHERE r.{id_col} IS NOT NULL GROUP BY c.cid, r.{id_col}),
                ranked AS (
                    SELECT cid, org, n, rank() OVER (PARTITION BY cid ORDER BY n DESC) AS rk,
                           row_number() OVER (PARTITION BY cid ORDER BY n DESC, org) AS rn
                    FROM counted)
                SELECT cid, rn, org, n, rk FROM ranked
                WHERE rn <= ? OR (cid, rn) IN (SELECT (cid, rn) FROM picked)
                ORDER BY cid, rn""",
            [top_n],
        ).fetchall()
        for cid, rn, org, n, rk in rows:
            facts[cid].ranked.setdefault(role, []).append((rn, org, n, rk))
    con.execute("DROP TABLE chosen")
    con.execute("DROP TABLE picked")
    return facts, picks


def _check_combo(
    axes: Axes,
    combo: Combo,
    payload: dict[str, Any],
    facts: _ComboFacts,
    picks: dict[str, int | None],
    top_n: int,
    indexes: dict[str, OrgIndex],
) -> list[str]:
    label = combo.path(axes)
    errors: list[str] = []
    expected = {"n": facts.total, "distinct": list(facts.distinct)}
    for key, value in expected.items():
        if payload[key] != value:
            errors.append(f"{label}: {key} {payload[key]} in the file, {value} in DuckDB")
    years = [facts.by_year.get(y, 0) for y in axes.years[combo.first : combo.last + 1]]
    if payload["year"] != years:
        errors.append(f"{label}: year series {payload['year']} in the file, {years} in DuckDB")
    for role in ROLES:
        ranked = facts.ranked.get(role, [])
        head = [[org, n, rk] for rn, org, n, rk in ranked if rn <= top_n]
        got = [[row[0], row[2], row[3]] for row in payload["top"][role]]
        if got != head:
            errors.append(f"{label}: TOP-{top_n} {role} differs from DuckDB")
        pick = picks[role]
        if pick is not None:
            org_id, count, rank = next((org, n, rk) for rn, org, n, rk in ranked if rn == pick)
            entry = indexes[role].entry(org_id)
            got_count = org_count(entry[4], axes, combo) if entry else 0
            got_rank = dynamic_rank(payload["hist"][role], got_count)
            if (got_count, got_rank) != (count, rank):
                errors.append(
                    f"{label}: {role} {org_id} count/rank {got_count}/{got_rank} from the files, "
                    f"{count}/{rank} in DuckDB"
                )
    return errors


def check_rankings(db_path: Path, out_dir: Path, *, samples: int = 200, seed: int = 0) -> list[str]:
    """Compares sampled combinations (and one organization's dynamic rank in each) with DuckDB."""
    manifest = _load_json(out_dir / "manifest.json")
    axes = axes_from_manifest(manifest)
    combos = list(axes.combos())
    rng = random.Random(seed)
    everything = Combo(0, len(axes.years) - 1, None, Region("all"))
    rest = [c for c in combos if c != everything]
    chosen = combos if samples >= len(combos) else [everything, *rng.sample(rest, max(samples - 1, 0))]
    errors: list[str] = []
    con = _open(db_path)
    try:
        for variant, part in manifest["variants"].items():
            if variant not in VARIANTS:
                errors.append(f"{variant}: variant unknown to this build")
                continue
            indexes = {
                role: OrgIndex(out_dir, variant, role, part["orgs"][role]["first_ids"]) for role in ROLES
            }
            present = []
            for combo in chosen:
                path = out_dir / variant / combo.path(axes)
                if path.exists():
                    present.append((combo, _load_json(path)))
                else:
                    errors.append(f"{variant}/{combo.path(axes)}: missing")
            top_n = manifest["top_n"]
            combos = [combo for combo, _ in present]
            facts, picks = _combo_facts(con, axes, combos, VARIANTS[variant], top_n, rng)
            for (combo, payload), fact, pick in zip(present, facts, picks, strict=True):
                errors += _check_combo(axes, combo, payload, fact, pick, top_n, indexes)
    finally:
        con.close()
    return errors
