"""«Организации» in full and an organization's own conclusions, as small static files.

The rankings (``openepb.publish.rank``) give each filter combination its TOP-N; this module adds what a
complete, paged, sortable list of *every* organization of a role needs, in files whose size follows
the data and not the number of combinations:

- ``list/{role}/y/{from}-{to}/{type}/{region}.json`` — the organizations with counted conclusions in one
  year range (like the rankings' combination files), object type (or ``all``) and region (``all``,
  ``d-…``, ``o-…``): ``[[idx deltas], [counts], [name-block deltas], [organizations per name block]]``,
  the first two in idx order, the last two over the name blocks (``b/``) that hold any of them. One
  file per view keeps every page to one view file however long the range; the histogram lets a page in
  name order start at its own block and skip the blocks without organizations of the view. The view of
  everything (all years, types, regions) is read only by the search within: its counts are the static
  counts and its count order is the idx order.
- ``list/{role}/n/{block}.json`` — ``LIST_BLOCK`` organizations in idx order:
  ``[[id, name, INN(s), static count, static rank], …]``. ``idx`` is the organization's place in the
  static order (all-time count descending, then name), so the busiest organizations of any view sit
  in the first blocks.
- ``list/{role}/b/{block}.json`` — the same rows in name order, ``LIST_BLOCK`` a file, each with its
  idx first: a page in name order reads the blocks of the view's histogram from its own first row on
  and keeps the rows of the view.
- ``list/{role}/q/{prefix}.json`` — the search within: ``{token: [idx deltas]}`` of name words (every
  spelling), INNs and (expert organizations) licence numbers, by the token's first ``Q_PREFIX`` characters; a shard over ``Q_SHARD_BYTES``
  is split by one more character (``split`` in the index lists the split prefixes).
- ``orgrec/{role}/{n}.json`` — every counted conclusion of every organization, newest first, in
  pieces of at most ``PIECE_ROWS``: ``{"id#piece": [[number, date, cell, verdict], …]}``; the
  organization's detail entry lists its pieces ``[[file, first year, last year, rows, [rows per type],
  [rows per district], [[type, district, rows], …]], …]`` (in the axes' order; the pairs only where
  rows exist), so a page under a year range and a type, a district or both counts the pieces before
  it without reading them.
- ``orgrec/{role}/o/{n}.json`` — the same rows cut per office for organizations of more than
  ``OFFICE_PIECES_FROM`` pieces: ``{"id@office#piece": […]}``; the detail entry's element 11 is
  ``{office: [[file, first year, last year, rows], …]}`` (office = its place in the manifest's offices).

Counts are ``openepb.contract.counting.COUNTED`` through the rankings' own cell reduction (``rank.load_role``),
so every number here equals the TOP-N, the Pulse and the organization page.
"""

from __future__ import annotations

import json
import os
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import numpy as np

from openepb.contract.counting import COUNTED
from openepb.contract.tables import has_table
from openepb.fileio import prune_tree, write_if_changed
from openepb.publish import rank
from openepb.publish.memo import Digest, PartMemo
from openepb.publish.search import words

LIST_FORMAT = 2
#: Rows of one page of «Организации» (the first page of the count order is the combination's TOP-N).
PAGE_ROWS = 30
#: Organizations per name block (a page reads the blocks of its rows: small blocks, small pages; a page
#: of a sparse view touches up to ``PAGE_ROWS`` blocks, so a block must stay well under 1/30 of the budget).
LIST_BLOCK = 32
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
#: An organization with more pieces than this also has its conclusions cut per office (``orgrec/{role}/o/``):
#: under an office in the filter its page reads that office's pieces, not every piece with a few rows of it.
OFFICE_PIECES_FROM = 2
VERDICTS = ("соответствует", "не соответствует")


_ENCODE = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode  # one encoder, not one a call


def _dump(obj: Any) -> bytes:
    return _ENCODE(obj).encode("utf-8")


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
        self.written: set[str] = set()  # paths as strings: hashing a Path costs more than its file
        self.recent: list[list[Any]] = []  # [file, kind, bytes, None] of the files of one part

    def json(self, kind: str, rel: str, obj: Any) -> None:
        data = _dump(obj)
        self.bytes(rel, data)
        self.report.add(kind, len(data))
        self.recent.append([rel, kind, len(data), None])

    def text(self, kind: str, rel: str, data: bytes) -> None:
        """A file whose JSON is already serialized."""
        self.bytes(rel, data)
        self.report.add(kind, len(data))
        self.recent.append([rel, kind, len(data), None])

    def keep(self, files: list[list[Any]]) -> None:
        """Files a memo says are already written: counted as written, not touched."""
        for rel, kind, size, _ in files:
            self.written.add(os.path.join(self.root, rel))
            self.report.add(kind, size)

    def bytes(self, rel: str, data: bytes) -> None:
        path = self.root / rel
        write_if_changed(path, data)
        self.written.add(str(path))


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


def _write_views(
    out: _Out,
    role: str,
    cells: rank.RoleCells,
    axes: rank.Axes,
    idx_of: np.ndarray,
    name_block: np.ndarray,
    memo: PartMemo | None = None,
) -> None:
    """One file per (year range, type, region): the organizations present, their counts, and how many of
    them fall in each name block (``b/``), so a page in name order starts at its own block.

    With ``memo``, a (type, region) whose counts per organization and year and whose name blocks are
    those of the last build keeps the files it wrote then."""
    n_years = len(axes.years)
    n_blocks = int(name_block.max()) + 1 if len(name_block) else 0
    blocks = Digest(name_block).hexdigest() if memo is not None else ""
    for type_ in (None, *range(len(axes.types))):
        type_key = "all" if type_ is None else axes.type_keys[type_]
        for region in axes.regions():
            keep = axes.office_mask(region)[cells.office]
            if type_ is not None:
                keep &= cells.type == type_
            if not keep.any():
                continue
            per_year = np.bincount(
                idx_of[cells.org[keep]] * n_years + cells.year[keep],
                weights=cells.n[keep],
                minlength=len(cells.ids) * n_years,
            ).reshape(len(cells.ids), n_years)
            part = f"{role}/{type_key}/{region.key}"
            digest = Digest(blocks, per_year.astype(np.int64)).hexdigest() if memo is not None else ""
            if memo is not None:
                kept = memo.files(part, digest, out.root)
                if kept is not None:
                    out.keep(kept)
                    continue
                out.recent = []
            cumulative = np.zeros((len(cells.ids), n_years + 1), dtype=np.int64)
            np.cumsum(per_year.astype(np.int64), axis=1, out=cumulative[:, 1:])
            for first in range(n_years):
                for last in range(first, n_years):
                    counts = cumulative[:, last + 1] - cumulative[:, first]
                    present = np.flatnonzero(counts)
                    if not len(present):
                        continue
                    hist = np.bincount(name_block[present], minlength=n_blocks)
                    used = np.flatnonzero(hist)
                    out.json(
                        "view",
                        f"list/{role}/y/{axes.years[first]}-{axes.years[last]}/{type_key}/{region.key}.json",
                        [
                            np.diff(present, prepend=0).tolist(),
                            counts[present].tolist(),
                            np.diff(used, prepend=0).tolist(),
                            hist[used].tolist(),
                        ],
                    )
            if memo is not None:
                memo.keep(part, digest, out.recent)
                out.recent = []


def _write_pieces(
    con: duckdb.DuckDBPyConnection,
    out: _Out,
    role: str,
    axes: rank.Axes,
    only: set[str] | None = None,
) -> dict[str, list[list[Any]]]:
    """Every counted conclusion per organization, newest first, in pieces; returns the pieces per id.

    With ``only`` (the organizations to write), the pieces of each organization are cut per office
    instead (``orgrec/{role}/o/``, keys ``id@office#piece``, office = its place in the axes), and the
    pieces per id are keyed ``"{id}@{office}"``."""
    id_col = rank.ROLES[role][0]
    type_pos = {t: i for i, t in enumerate(axes.types)}
    office_pos = {o: i for i, o in enumerate(axes.offices)}
    year_pos = {y: i for i, y in enumerate(axes.years)}
    by_office = only is not None
    folder = f"orgrec/{role}/o" if by_office else f"orgrec/{role}"
    office_sql = f"coalesce(office_code, '{rank.NONE}')"
    cursor = con.execute(
        f"""SELECT {id_col}, reg_number, date_registered, year, coalesce(object_type, '{rank.NONE}'),
                   {office_sql}, conclusion_result
            FROM db.records WHERE {id_col} IS NOT NULL AND {COUNTED}
            ORDER BY {id_col}, {office_sql + ", " if by_office else ""}year DESC,
                     date_registered DESC NULLS LAST, reg_number DESC"""
    )
    pieces: dict[str, list[list[Any]]] = defaultdict(list)
    file_no = 0
    batch: list[bytes] = []  # ``"key":[rows]`` of each piece of the file, serialized once
    size = 0

    def flush() -> None:
        nonlocal file_no, batch, size
        if batch:  # what ``_dump`` of the {key: rows} object writes
            data = b"{" + b",".join(batch) + b"}"
            out.text("office pieces" if by_office else "pieces", f"{folder}/{file_no}.json", data)
            file_no += 1
            batch, size = [], 0

    current: str | None = None
    rows: list[list[Any]] = []
    years: list[int] = []
    kinds: list[tuple[int, int]] = []  # (type, district) of each row

    def close_piece() -> None:
        nonlocal rows, years, kinds, size
        if not rows:
            return
        data = _dump(rows)
        cost = len(data)
        if batch and size + cost > PIECE_FILE_BYTES:
            flush()
        key = f"{current}#{len(pieces[current])}"
        batch.append(_dump(key) + b":" + data)
        size += cost
        per = np.array(kinds, dtype=np.int64).reshape(-1, 2)
        pieces[current].append(
            [
                file_no,
                years[-1],
                years[0],
                len(rows),
                np.bincount(per[:, 0], minlength=len(axes.types)).tolist(),
                np.bincount(per[:, 1], minlength=len(axes.districts)).tolist(),
                _pair_counts(per),
            ]
        )
        rows, years, kinds = [], [], []

    while chunk := cursor.fetchmany(50_000):
        for org_id, reg, day, year, type_, office, verdict in chunk:
            if by_office:
                if org_id not in only:
                    continue
                org_id = f"{org_id}@{office_pos[office]}"
            if org_id != current:
                close_piece()
                current = org_id
            cell = axes.cell(year_pos[int(year)], type_pos[type_], office_pos[office])
            code = VERDICTS.index(verdict) if verdict in VERDICTS else (verdict or None)
            rows.append([reg, day.isoformat() if day else None, cell, code])
            years.append(int(year))
            kinds.append((type_pos[type_], axes.office_district[office_pos[office]]))
            if len(rows) >= PIECE_ROWS:
                close_piece()
    close_piece()
    flush()
    return pieces


def _pair_counts(kinds: np.ndarray) -> list[list[int]]:
    """``[[type, district, rows], …]`` of a piece's rows, for the (type, district) pairs it has."""
    if not len(kinds):
        return []
    width = int(kinds[:, 1].max()) + 1  # pairs as one code, in (type, district) order
    counts = np.bincount(kinds[:, 0] * width + kinds[:, 1])
    codes = np.flatnonzero(counts)
    return [[int(c // width), int(c % width), int(counts[c])] for c in codes.tolist()]


def write_org_lists(
    db_path: Path, site_data: Path, *, quiet: bool = False, memo: Path | None = None
) -> tuple[
    dict[str, Any], dict[str, dict[str, list[list[Any]]]], dict[str, dict[str, dict[str, Any]]], ListReport
]:
    """Write ``list/`` and ``orgrec/`` under ``site_data``; return the index part for ``index.json``,
    the pieces per role and id and the pieces per office per role and id (for the detail entries, 10
    and 11) and the sizes written. ``memo`` (a file outside the site) keeps the views' files of each
    (type, region) by a digest of their counts, for the next build."""
    report = ListReport()
    out = _Out(site_data, report)
    con = rank._open(db_path)
    parts: PartMemo | None = None
    index: dict[str, Any] = {
        "format": LIST_FORMAT,
        "page_rows": PAGE_ROWS,
        "block": LIST_BLOCK,
        "q_prefix": Q_PREFIX,
        "verdicts": list(VERDICTS),
        "roles": {},
    }
    pieces: dict[str, dict[str, list[list[Any]]]] = {}
    office_pieces: dict[str, dict[str, dict[str, Any]]] = {}
    try:
        axes, _ = rank.load_axes(con)
        if memo is not None:
            from openepb.build.cache import publish_code_version

            version = json.dumps(  # the folder too: the memo names files of this one
                [LIST_FORMAT, publish_code_version(), asdict(axes), str(site_data.resolve())]
            )
            parts = PartMemo(memo, version)
            parts.forget()
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
            name_block = np.empty(len(rows), dtype=np.int64)
            name_block[by_name] = np.arange(len(rows)) // LIST_BLOCK
            for b in range(0, len(rows), LIST_BLOCK):
                block = [[i, *rows[i]] for i in by_name[b : b + LIST_BLOCK]]
                out.json("names", f"list/{role}/b/{b // LIST_BLOCK}.json", block)
            split, common = _write_search(out, role, tokens_of)
            _write_views(out, role, cells, axes, idx_of, name_block, parts)
            pieces[role] = _write_pieces(con, out, role, axes)
            big = {org for org, own in pieces[role].items() if len(own) > OFFICE_PIECES_FROM}
            per_office: dict[str, dict[str, Any]] = defaultdict(dict)
            for key, own in _write_pieces(con, out, role, axes, only=big).items():
                org, office = key.rsplit("@", 1)
                per_office[org][office] = own
            office_pieces[role] = dict(per_office)
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
    if parts is not None:
        parts.save()
    return index, pieces, office_pieces, report
