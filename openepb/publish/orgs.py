"""«Организации» in full and an organization's own conclusions, as small static files.

The rankings (``openepb.publish.rank``) give each filter combination its TOP-N; this module adds what a
complete, paged, sortable list of *every* organization of a role needs, in files whose size follows
the data and not the number of combinations:

- ``list/{role}/y/{year}/{type}/{region}.json`` — the organizations with counted conclusions in one
  year, object type (or ``all``) and region (``all``, ``d-…``, ``o-…``): ``[[idx deltas], [counts]]``
  in idx order. A year range is the sum of its years (done in the browser), so no file per range;
  only the whole range has its own file (``y/all/…``), the view most people look at. The view of
  everything (all years, types, regions) needs no file at all: its counts are the static counts and
  its count order is the idx order.
- ``list/{role}/n/{block}.json`` — ``LIST_BLOCK`` organizations in idx order:
  ``[[id, name, INN(s), static count, static rank], …]``. ``idx`` is the organization's place in the
  static order (all-time count descending, then name), so the busiest organizations of any view sit
  in the first blocks.
- ``list/{role}/b/{block}.json`` — the same rows in name order, ``LIST_BLOCK`` a file, each with its
  idx first: a page in name order walks these blocks and keeps the rows of the view.
- ``list/{role}/q/{prefix}.json`` — the search within: ``{token: [idx deltas]}`` of name words (every
  spelling), INNs and (expert organizations) licence numbers, by the token's first ``Q_PREFIX`` characters; a shard over ``Q_SHARD_BYTES``
  is split by one more character (``split`` in the index lists the split prefixes).
- ``orgrec/{role}/{n}.json`` — every counted conclusion of every organization, newest first, in
  pieces of at most ``PIECE_ROWS``: ``{"id#piece": [[number, date, cell, verdict], …]}``; the
  organization's detail entry lists its pieces ``[[file, first year, last year, rows], …]``.

Counts are ``openepb.contract.counting.COUNTED`` through the rankings' own cell reduction (``rank.load_role``),
so every number here equals the TOP-N, the Pulse and the organization page.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import numpy as np

from openepb.contract.counting import COUNTED
from openepb.contract.tables import has_table
from openepb.fileio import prune_tree, write_if_changed
from openepb.publish import rank
from openepb.publish.search import words

LIST_FORMAT = 1
#: Rows of one page of «Организации» (the first page of the count order is the combination's TOP-N).
PAGE_ROWS = 30
#: Organizations per name block (a page reads the blocks of its rows: small blocks, small pages).
LIST_BLOCK = 64
#: Characters of a token that name its search shard, and the size at which a shard is split.
Q_PREFIX = 2
Q_SHARD_BYTES = 24_000
#: A token found in more than this share of a role's organizations (ООО, общество…) is not indexed;
#: the index lists it as common and the browser skips it in a query.
Q_COMMON_SHARE = 0.1
Q_COMMON_MIN = 200
#: Conclusions per piece of an organization's list, and the size at which a piece file is closed.
PIECE_ROWS = 400
PIECE_FILE_BYTES = 64_000
VERDICTS = ("соответствует", "не соответствует")


def _dump(obj: Any) -> bytes:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


@dataclass
class ListReport:
    files: int = 0
    bytes: int = 0
    by_kind: dict[str, list[int]] = field(default_factory=dict)

    def add(self, kind: str, size: int) -> None:
        self.files += 1
        self.bytes += size
        self.by_kind.setdefault(kind, []).append(size)


class _Out:
    """Writes the files of one build, leaving a file that already has its bytes as it is."""

    def __init__(self, root: Path, report: ListReport) -> None:
        self.root = root
        self.report = report
        self.written: set[Path] = set()

    def json(self, kind: str, rel: str, obj: Any) -> None:
        data = _dump(obj)
        self.bytes(rel, data)
        self.report.add(kind, len(data))

    def bytes(self, rel: str, data: bytes) -> None:
        path = self.root / rel
        write_if_changed(path, data)
        self.written.add(path)


def _name_key(name: str, ident: str) -> tuple[str, str]:
    return (name.casefold().replace("ё", "е").strip(" «»\"'"), ident)


def static_order(cells: rank.RoleCells) -> np.ndarray:
    """Organization indices (into ``cells.ids``) in the static order: all-time count desc, then name."""
    keys = [_name_key(cells.names[o], cells.ids[o]) for o in range(len(cells.ids))]
    by_name = sorted(range(len(cells.ids)), key=lambda o: keys[o])
    name_pos = np.empty(len(cells.ids), dtype=np.int64)
    name_pos[by_name] = np.arange(len(cells.ids))
    return np.lexsort((name_pos, -cells.static_count))


def _inns(con: duckdb.DuckDBPyConnection, role: str) -> dict[str, list[str]]:
    id_col = rank.ROLES[role][0]
    inn_col = "expert_org_inn" if role == "expert" else "applicant_inn"
    found: dict[str, list[str]] = defaultdict(list)
    for org_id, inn in con.execute(
        f"""SELECT {id_col}, {inn_col} FROM db.records WHERE {id_col} IS NOT NULL AND {inn_col} IS NOT NULL
            AND {COUNTED} GROUP BY ALL ORDER BY {id_col}, count(*) DESC, {inn_col}"""
    ).fetchall():
        found[org_id].append(inn)
    if has_table(con, "organizations", database="db") and "inn" in rank._table_columns(con, "organizations"):
        cols = rank._table_columns(con, "organizations")
        where = "inn IS NOT NULL"
        params: list[Any] = []
        if "role" in cols:
            where += " AND role IN (SELECT unnest(?))"
            params.append(list(rank.ORGANIZATION_ROLES[role]))
        for org_id, inn in con.execute(
            f"SELECT id, inn FROM db.organizations WHERE {where}", params
        ).fetchall():
            if inn not in found.get(org_id, []):
                found[org_id].insert(0, inn)
    return found


def _licences(con: duckdb.DuckDBPyConnection, role: str) -> dict[str, set[str]]:
    """Licence numbers an expert organization is found by (records and the resolver's licence)."""
    if role != "expert":
        return {}
    out: dict[str, set[str]] = defaultdict(set)
    for org_id, licence in con.execute(
        """SELECT DISTINCT expert_org_id, licence_number FROM db.records
           WHERE expert_org_id IS NOT NULL AND licence_number IS NOT NULL"""
    ).fetchall():
        out[org_id].add(licence)
    if has_table(con, "organizations", database="db") and "licence_number" in rank._table_columns(
        con, "organizations"
    ):
        for org_id, licence in con.execute(
            "SELECT id, licence_number FROM db.organizations WHERE licence_number IS NOT NULL"
        ).fetchall():
            out[org_id].add(licence)
    return out


def _spellings(con: duckdb.DuckDBPyConnection, role: str) -> dict[str, set[str]]:
    id_col, name_col = rank.ROLES[role]
    out: dict[str, set[str]] = defaultdict(set)
    for org_id, name in con.execute(
        f"SELECT DISTINCT {id_col}, {name_col} FROM db.records WHERE {id_col} IS NOT NULL AND {name_col} IS NOT NULL"
    ).fetchall():
        out[org_id].add(name)
    return out


def _write_search(out: _Out, role: str, tokens_of: list[set[str]]) -> tuple[list[str], list[str]]:
    """The prefix shards of the search within; returns the split prefixes and the common tokens."""
    postings: dict[str, list[int]] = defaultdict(list)
    for idx, tokens in enumerate(tokens_of):
        for token in tokens:
            postings[token].append(idx)
    limit = max(Q_COMMON_MIN, int(len(tokens_of) * Q_COMMON_SHARE))
    common = sorted(t for t, p in postings.items() if len(p) > limit and not t.isdigit())
    postings = {
        t: np.diff(np.array(p), prepend=0).tolist()
        for t, p in postings.items()
        if len(p) <= limit or t.isdigit()
    }
    split: list[str] = []

    def write(prefix: str, entries: dict[str, list[int]]) -> None:
        size = len(_dump(entries))
        longer = [t for t in entries if len(t) > len(prefix)]
        if size > Q_SHARD_BYTES and longer and len(prefix) < 6:
            split.append(prefix)
            groups: dict[str, dict[str, list[int]]] = defaultdict(dict)
            here: dict[str, list[int]] = {}
            for token, ids in entries.items():
                if len(token) > len(prefix):
                    groups[token[: len(prefix) + 1]][token] = ids
                else:
                    here[token] = ids
            for sub, group in groups.items():
                write(sub, group)
            if here:
                out.json("search", f"list/{role}/q/{prefix}_.json", here)
            return
        out.json("search", f"list/{role}/q/{prefix}.json", entries)

    by_prefix: dict[str, dict[str, list[int]]] = defaultdict(dict)
    for token in sorted(postings):
        by_prefix[token[:Q_PREFIX]][token] = postings[token]
    for prefix, entries in by_prefix.items():
        write(prefix, entries)
    return sorted(split), common


def _write_years(out: _Out, role: str, cells: rank.RoleCells, axes: rank.Axes, idx_of: np.ndarray) -> None:
    """One file per (year, type, region) with the organizations present and their counts."""
    for type_ in (None, *range(len(axes.types))):
        type_key = "all" if type_ is None else axes.type_keys[type_]
        for region in axes.regions():
            keep = axes.office_mask(region)[cells.office]
            if type_ is not None:
                keep &= cells.type == type_
            for y, year in [*enumerate(axes.years), (None, "all")]:
                sel = keep & (cells.year == y) if y is not None else keep
                if not sel.any():
                    continue
                counts = np.bincount(idx_of[cells.org[sel]], weights=cells.n[sel], minlength=len(cells.ids))
                present = np.flatnonzero(counts)
                deltas = np.diff(present, prepend=0).tolist()
                out.json(
                    "year",
                    f"list/{role}/y/{year}/{type_key}/{region.key}.json",
                    [deltas, counts[present].astype(np.int64).tolist()],
                )


def _write_pieces(
    con: duckdb.DuckDBPyConnection, out: _Out, role: str, axes: rank.Axes
) -> dict[str, list[list[Any]]]:
    """Every counted conclusion per organization, newest first, in pieces; returns the pieces per id."""
    id_col = rank.ROLES[role][0]
    type_pos = {t: i for i, t in enumerate(axes.types)}
    office_pos = {o: i for i, o in enumerate(axes.offices)}
    year_pos = {y: i for i, y in enumerate(axes.years)}
    cursor = con.execute(
        f"""SELECT {id_col}, reg_number, date_registered, year, coalesce(object_type, '{rank.NONE}'),
                   coalesce(office_code, '{rank.NONE}'), conclusion_result
            FROM db.records WHERE {id_col} IS NOT NULL AND {COUNTED}
            ORDER BY {id_col}, year DESC, date_registered DESC NULLS LAST, reg_number DESC"""
    )
    pieces: dict[str, list[list[Any]]] = defaultdict(list)
    file_no = 0
    batch: dict[str, list[list[Any]]] = {}
    size = 0

    def flush() -> None:
        nonlocal file_no, batch, size
        if batch:
            out.json("pieces", f"orgrec/{role}/{file_no}.json", batch)
            file_no += 1
            batch, size = {}, 0

    current: str | None = None
    rows: list[list[Any]] = []
    years: list[int] = []

    def close_piece() -> None:
        nonlocal rows, years, size
        if not rows:
            return
        cost = len(_dump(rows))
        if batch and size + cost > PIECE_FILE_BYTES:
            flush()
        key = f"{current}#{len(pieces[current])}"
        batch[key] = rows
        size += cost
        pieces[current].append([file_no, years[-1], years[0], len(rows)])
        rows, years = [], []

    while chunk := cursor.fetchmany(50_000):
        for org_id, reg, day, year, type_, office, verdict in chunk:
            if org_id != current:
                close_piece()
                current = org_id
            cell = axes.cell(year_pos[int(year)], type_pos[type_], office_pos[office])
            code = VERDICTS.index(verdict) if verdict in VERDICTS else (verdict or None)
            rows.append([reg, day.isoformat() if day else None, cell, code])
            years.append(int(year))
            if len(rows) >= PIECE_ROWS:
                close_piece()
    close_piece()
    flush()
    return pieces


def write_org_lists(
    db_path: Path, site_data: Path, *, quiet: bool = False
) -> tuple[dict[str, Any], dict[str, dict[str, list[list[Any]]]], ListReport]:
    """Write ``list/`` and ``orgrec/`` under ``site_data``; return the index part for ``index.json``,
    the pieces per role and id (for the detail entries) and the sizes written."""
    report = ListReport()
    out = _Out(site_data, report)
    con = rank._open(db_path)
    index: dict[str, Any] = {
        "format": LIST_FORMAT,
        "page_rows": PAGE_ROWS,
        "block": LIST_BLOCK,
        "q_prefix": Q_PREFIX,
        "verdicts": list(VERDICTS),
        "roles": {},
    }
    pieces: dict[str, dict[str, list[list[Any]]]] = {}
    try:
        axes, _ = rank.load_axes(con)
        rank._variant_view(con, rank.VARIANTS["active"])
        for role in rank.ROLES:
            cells = rank.load_role(con, axes, role)
            order = static_order(cells)
            idx_of = np.empty(len(order), dtype=np.int64)
            idx_of[order] = np.arange(len(order))
            inns = _inns(con, role)
            spellings = _spellings(con, role)
            licences = _licences(con, role)
            rows = []
            tokens_of: list[set[str]] = []
            for o in order.tolist():
                ident, name = cells.ids[o], cells.names[o]
                org_inns = inns.get(ident, [])
                rows.append(
                    [
                        ident,
                        name,
                        ", ".join(org_inns) or None,
                        int(cells.static_count[o]),
                        int(cells.static_rank[o]),
                    ]
                )
                tokens: set[str] = set(org_inns)
                for spelling in {name, *spellings.get(ident, ()), *licences.get(ident, ())}:
                    tokens.update(words(spelling))
                tokens_of.append(tokens)
            for b in range(0, len(rows), LIST_BLOCK):
                out.json("names", f"list/{role}/n/{b // LIST_BLOCK}.json", rows[b : b + LIST_BLOCK])
            by_name = sorted(range(len(rows)), key=lambda i: _name_key(rows[i][1], rows[i][0]))
            for b in range(0, len(rows), LIST_BLOCK):
                block = [[i, *rows[i]] for i in by_name[b : b + LIST_BLOCK]]
                out.json("names", f"list/{role}/b/{b // LIST_BLOCK}.json", block)
            split, common = _write_search(out, role, tokens_of)
            _write_years(out, role, cells, axes, idx_of)
            pieces[role] = _write_pieces(con, out, role, axes)
            index["roles"][role] = {
                "count": len(rows),
                "blocks": -(-len(rows) // LIST_BLOCK),
                "split": split,
                "common": common,
            }
            if not quiet:
                print(f"site: {role}: full list of {len(rows)} organizations", flush=True)
    finally:
        con.close()
    out.bytes("list/index.json", _dump(index))
    for folder in ("list", "orgrec"):  # what an earlier build wrote and this one did not
        prune_tree(site_data / folder, out.written)
    return index, pieces, report
