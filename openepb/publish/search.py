"""The static search index over every conclusion and the card of each conclusion (``docs/search.md``).

Read from the store only; written under ``site/data/search/`` as a new folder renamed into place.
Layout (all UTF-8 JSON, served gzipped):

- ``meta.json`` — sizes, the year → first ordinal table, type and office codes, the split prefixes;
- ``t/{prefix}.json`` — tokens by prefix: ``{token: [df, postings | null, blocks]}``; postings are
  ordinals, delta-coded; a token with more than ``INLINE`` postings keeps them in
  ``b/{token}/{block}.json``, one file per ``BLOCK`` ordinals;
- ``f/{k}.json`` — the filter cell (type × offices + office) of ``FACET`` ordinals;
- ``s/{k}.json`` — result summaries of ``SUMMARY`` ordinals;
- ``c/{bucket}.json`` — cards by registration number (FNV-1a of the number mod ``buckets``).

Ordinals number records newest first (year, date, number descending), so a posting list in
ascending order is already ranked by recency and a year range is an ordinal range. The token rules
are mirrored in ``static/search.js``; the unit tests and the browser tests hold both to them.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
import shutil
import struct
import sys
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from openepb.contract import labels
from openepb.contract.fields import FIELD_NAMES, RECORD_FIELDS
from openepb.contract.tables import has_table
from openepb.fileio import prune_tree, write_arrow_atomically, write_if_changed
from openepb.normalize.parsers import parse_licence, parse_reg_number
from openepb.publish.memo import ROW_MEMO_MAX_RECORDS
from openepb.publish.names import display_name

SEARCH_FORMAT = 1
#: DuckDB's memory for the index build; the token and card tables spill to disk past it.
DUCKDB_MEMORY_LIMIT = "1GB"
DUCKDB_THREADS = 2
#: Postings kept inside a token shard; a longer list goes to block files.
INLINE = 2000
#: Ordinals per block file of a long posting list.
BLOCK = 65_536
#: Ordinals per filter-cell file and per summary file.
FACET = 16_384
SUMMARY = 64
#: Cards per bucket on average (the bucket count is a power of two).
CARDS_PER_BUCKET = 48
#: A token shard larger than this is split by one more character of the prefix.
SHARD_BYTES = 48_000
FIRST_PREFIX, MAX_PREFIX = 2, 6
#: Longest token kept (longer words are cut, at index and at query time alike).
MAX_TOKEN = 24
#: Characters of the object name a summary keeps (the card has the full text).
SUMMARY_TEXT = 140
#: Words too common and too short to find anything by.
STOPWORDS = frozenset(
    ["и", "в", "во", "на", "по", "с", "со", "для", "от", "к", "о", "об", "из", "до", "за", "при", "а"]
)

#: Fields whose words are searchable; structured numbers are added as whole tokens too.
TEXT_FIELDS = ("object_name", "opo_name", "applicant_name", "expert_org_name", "opo_reg_number")
#: Card fields in their order in a card array (``reg_number`` is the card's key).
CARD_FIELDS = tuple(n for n in FIELD_NAMES if n != "reg_number")

_LOOKALIKE = str.maketrans("abcehkmoptxy", "авсенкмортху")
_LOOKALIKE_LETTERS = frozenset("abcehkmoptxy")
_WORD = re.compile(r"[0-9a-zа-я]+")
_CYRILLIC = re.compile(r"[а-я]")
_DASH = r"[\s\-\u2010-\u2015\u2212_.]*"
#: Structured numbers inside free text (queries): each becomes one whole token.
_REG_IN_TEXT = re.compile(
    rf"(?<![0-9])([0-9]{{1,2}}){_DASH}([a-zа-я0-9]{{2}}){_DASH}([0-9]{{5,6}}){_DASH}([0-9]{{4}})(?![0-9])"
)
_OPO_IN_TEXT = re.compile(
    rf"(?<![0-9a-zа-я])[aа]{_DASH}([0-9]{{2}}){_DASH}([0-9]{{5}}){_DASH}([0-9]{{4}})(?![0-9])"
)
_LICENCE_IN_TEXT = re.compile(rf"(?<![a-zа-я])(?:дэ|де|de|дe|dэ){_DASH}00{_DASH}([0-9]{{6}})(?![0-9])")
_CERT_IN_TEXT = re.compile(
    r"(?<![a-zа-я0-9])([a-zа-я]{2})\s*\.\s*([0-9]{2})\s*\.\s*([0-9]{5})\s*\.\s*([0-9]{3})(?![0-9])"
)


def fold(text: str) -> str:
    """Lower case, ``ё`` → ``е``: the one case folding of index and query."""
    return text.lower().replace("ё", "е")


def _word(word: str) -> str:
    """Latin look-alikes become Cyrillic in a word with Cyrillic letters or made of look-alikes and
    digits only (``OOO``, ``A54``); other Latin words stay Latin."""
    if _CYRILLIC.search(word) or (
        any(c.isalpha() for c in word) and all(c in _LOOKALIKE_LETTERS or c.isdigit() for c in word)
    ):
        word = word.translate(_LOOKALIKE)
    return word[:MAX_TOKEN]


def words(text: str | None) -> list[str]:
    """The searchable words of a text: folded, look-alikes fixed, stopwords and single letters out."""
    if not text:
        return []
    out = []
    for raw in _WORD.findall(fold(text)):
        word = _word(raw)
        if len(word) >= 2 and word not in STOPWORDS:
            out.append(word)
    return out


def reg_token(canonical: str) -> str:
    """``58-ТУ-01234-2017`` → ``58ту012342017``."""
    return fold(canonical).replace("-", "")


def number_tokens(text: str) -> tuple[list[str], str]:
    """Registration, ОПО, licence and certificate numbers written anywhere in a query, as whole
    tokens, and the text left when they are taken out."""
    folded = fold(text)
    found: list[str] = []

    def take(pattern: re.Pattern[str], make: Any) -> None:
        nonlocal folded

        def one(m: re.Match[str]) -> str:
            token = make(m)
            if token is None:
                return m[0]
            found.append(token)
            return " "

        folded = pattern.sub(one, folded)

    def reg(m: re.Match[str]) -> str | None:
        canonical = parse_reg_number(m[0].upper())
        return reg_token(canonical) if canonical else None

    def cert(m: re.Match[str]) -> str | None:
        prefix = m[1].translate(_LOOKALIKE)
        return f"{prefix}{m[2]}{m[3]}{m[4]}" if _CYRILLIC.fullmatch(prefix[0]) else None

    take(_REG_IN_TEXT, reg)
    take(_OPO_IN_TEXT, lambda m: f"а{m[1]}{m[2]}{m[3]}")
    take(_LICENCE_IN_TEXT, lambda m: f"дэ00{m[1]}")
    take(_CERT_IN_TEXT, cert)
    return found, folded


def query_terms(text: str) -> list[str]:
    """The tokens a query is made of (the browser computes the same in ``search.js``)."""
    numbers, rest = number_tokens(text)
    return list(dict.fromkeys([*numbers, *words(rest)]))


def record_tokens(row: dict[str, Any]) -> set[str]:
    """Every token a record is found by: whole numbers (registration, serial, ОПО, licence,
    certificates, ИНН) and the words of its texts."""
    tokens: set[str] = set()
    reg = row.get("reg_number")
    if reg:
        tokens.add(reg_token(reg))
        parts = reg.split("-")
        if len(parts) == 4:
            tokens.add(parts[2])
    opo = row.get("opo_reg_number")
    if opo:
        tokens.update(number_tokens(opo)[0])
    licence = parse_licence(row.get("licence_number"))
    if licence:
        tokens.add(reg_token(licence))
    cert = row.get("expert_certificate")
    if cert:
        found, rest = number_tokens(cert)
        tokens.update(found)
        tokens.update(words(rest))
    for inn in (row.get("applicant_inn"), row.get("expert_org_inn")):
        if inn:
            tokens.add(inn[:MAX_TOKEN])
    for name in TEXT_FIELDS:
        text = row.get(name)
        if text:
            tokens.update(text_tokens(text))
    return tokens


@functools.lru_cache(maxsize=1 << 16)
def text_tokens(text: str) -> tuple[str, ...]:
    """The numbers written in a text and its words. Cached: names of organizations and objects
    repeat across records far more often than they differ."""
    return (*number_tokens(text)[0], *words(text))


def fnv1a(text: str) -> int:
    """32-bit FNV-1a over UTF-16 code units (what ``charCodeAt`` gives in the browser)."""
    h = 0x811C9DC5
    data = text.encode("utf-16-le")
    for unit in struct.unpack(f"<{len(data) // 2}H", data):
        h = ((h ^ unit) * 0x01000193) & 0xFFFFFFFF
    return h


def bucket_count(records: int) -> int:
    """Card buckets: a power of two with about ``CARDS_PER_BUCKET`` cards each."""
    buckets = 1
    while buckets * CARDS_PER_BUCKET < records:
        buckets *= 2
    return buckets


def card_bucket(reg_number: str, buckets: int) -> int:
    return fnv1a(reg_number) % buckets


def prefix_name(prefix: str) -> str:
    """A file name for a token prefix: code points in hex (``ре`` → ``440-435``)."""
    return "-".join(f"{ord(c):x}" for c in prefix)


def shard_prefix(token: str, split: set[str] | frozenset[str]) -> str:
    """The prefix whose shard holds ``token``: two characters, one more while that prefix is split."""
    prefix = token[:FIRST_PREFIX]
    while prefix in split and len(token) > len(prefix):
        prefix = token[: len(prefix) + 1]
    return prefix


def delta(ordinals: Iterable[int]) -> list[int]:
    out, last = [], 0
    for value in ordinals:
        out.append(value - last)
        last = value
    return out


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


@dataclass
class SearchReport:
    records: int = 0
    tokens: int = 0
    postings: int = 0
    files: dict[str, int] = field(default_factory=dict)
    bytes: dict[str, int] = field(default_factory=dict)

    def count(self, kind: str, size: int) -> None:
        self.files[kind] = self.files.get(kind, 0) + 1
        self.bytes[kind] = self.bytes.get(kind, 0) + size

    def lines(self) -> list[str]:
        parts = ", ".join(
            f"{k} {self.files[k]} files {self.bytes[k] / 1e6:.1f} MB" for k in sorted(self.files)
        )
        return [f"search: {self.records} records, {self.tokens} tokens, {self.postings} postings; {parts}"]


class _Writer:
    """Writes JSON files under the index folder (those whose bytes changed) and counts them."""

    def __init__(self, root: Path, report: SearchReport) -> None:
        self.root = root
        self.report = report
        self.written: set[str] = set()  # paths as strings: hashing a Path costs more than its file

    def json(self, kind: str, rel: str, obj: Any) -> None:
        self.text(kind, rel, _dumps(obj))

    def text(self, kind: str, rel: str, text: str) -> None:
        """A file whose JSON is already serialized."""
        self.raw(kind, rel, text.encode("utf-8"))

    def raw(self, kind: str, rel: str, data: bytes) -> None:
        path = self.root / rel
        write_if_changed(path, data)
        self.written.add(str(path))
        self.report.count(kind, len(data))


# ---------------------------------------------------------------------------------------------
# Reading the store

_ORDER = "year DESC NULLS LAST, date_registered DESC NULLS LAST, reg_number DESC"


def _records(con: duckdb.DuckDBPyConnection, columns: list[str], batch: int = 20_000) -> Iterator[dict]:
    """Records newest first as dicts of ``columns``."""
    cursor = con.execute(f"SELECT {', '.join(columns)} FROM records ORDER BY {_ORDER}")
    while rows := cursor.fetchmany(batch):
        for row in rows:
            yield dict(zip(columns, row, strict=True))


def _codes(con: duckdb.DuckDBPyConnection, column: str) -> list[str]:
    rows = con.execute(
        f"SELECT DISTINCT {column} FROM records WHERE {column} IS NOT NULL ORDER BY 1"
    ).fetchall()
    return [r[0] for r in rows]


# ---------------------------------------------------------------------------------------------
# Writing the index


def write_search_index(
    db_path: Path, out_dir: Path, *, quiet: bool = False, memo: Path | None = None
) -> SearchReport:
    """Build the search index and cards of every record of the store into ``out_dir``: each file
    is written atomically and only when its bytes changed, and files of an earlier build that this
    one did not write are deleted (a rebuild after a small change rewrites a few files).

    With ``memo`` (a file outside the site), the tokens and the result summary of each record are
    kept there by the record's content, so the next build computes them only for changed records."""
    report = SearchReport()
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))  # scratch
    con = duckdb.connect(str(db_path), read_only=True)
    _limit(con, tmp / ".spill")
    writer = _Writer(out_dir, report)
    if memo is not None and con.execute("SELECT count(*) FROM records").fetchone()[0] > ROW_MEMO_MAX_RECORDS:
        memo.unlink(missing_ok=True)
        memo = None
    records = RecordMemo.load(memo) if memo is not None else RecordMemo(keep=False)
    try:
        _build(con, writer, report, tmp / ".pairs.duckdb", records)
    finally:
        con.close()
        shutil.rmtree(tmp, ignore_errors=True)
    if memo is not None:
        records.save(memo)
    prune_tree(out_dir, writer.written)
    if not quiet:
        for line in report.lines():
            print(line, file=sys.stderr)
    return report


def _limit(con: duckdb.DuckDBPyConnection, spill: Path) -> None:
    con.execute(f"SET memory_limit = '{DUCKDB_MEMORY_LIMIT}'")
    con.execute(f"SET threads = {DUCKDB_THREADS}")
    con.execute(f"SET temp_directory = '{spill}'")


#: The memo's columns after the key, in the order of ``RecordMemo.get``.
_MEMO_COLUMNS = ("tokens", "summary", "card_head", "card_source", "card_tail")
#: Raise when what a record's tokens or summary are made of changes outside this package's code.
MEMO_VERSION = 2


class RecordMemo:
    """Tokens, summary (as JSON) and card text (``_card_parts``) of each record, by a digest of the
    record's every value.

    All are functions of the record's row alone (``record_tokens``, ``_summary``, ``_card_parts``), so a record with
    the same values has the same ones; an entry is trusted only under the code version it was made
    with (``openepb.build.cache.publish_code_version``: this module, the name rules, …). A memo that
    cannot be read is no memo. ``save`` keeps the entries this build used, no others. A memo with
    ``keep=False`` (no memo file, or a register too large for one) computes every record and holds
    nothing: held, the entries of a million records take gigabytes.
    """

    def __init__(self, entries: dict[bytes, tuple[Any, ...]] | None = None, *, keep: bool = True) -> None:
        self.old = entries or {}
        self.new: dict[bytes, tuple[Any, ...]] = {}
        self.hits = 0
        self.keep = keep

    @staticmethod
    def version() -> str:
        from openepb.build.cache import publish_code_version

        return f"{MEMO_VERSION} {SEARCH_FORMAT} {publish_code_version()}"

    @classmethod
    def load(cls, path: Path) -> RecordMemo:
        try:
            with pa.memory_map(str(path)) as source:
                table = pa.ipc.open_file(source).read_all()
            if table.schema.metadata.get(b"version") != cls.version().encode():
                return cls()
            keys, *values = (table.column(n).to_pylist() for n in ("key", *_MEMO_COLUMNS))
            return cls(dict(zip(keys, zip(*values, strict=True), strict=True)))
        except Exception:  # missing, cut short or of another layout: computed afresh
            return cls()

    def get(self, row: dict[str, Any]) -> tuple[Any, ...]:
        """``(tokens, summary, card head, card source, card tail)`` of a record."""
        if not self.keep:
            return (sorted(record_tokens(row)), _dumps(_summary(row)), *_card_parts(row))
        key = hashlib.blake2b(repr(tuple(row.values())).encode(), digest_size=16).digest()
        found = self.old.get(key)
        if found is None:
            found = (sorted(record_tokens(row)), _dumps(_summary(row)), *_card_parts(row))
        else:
            self.hits += 1
        self.new[key] = found
        return found

    def save(self, path: Path) -> None:
        keys = list(self.new)
        table = pa.table(
            {
                "key": pa.array(keys, pa.binary(16)),
                "tokens": pa.array([self.new[k][0] for k in keys], pa.list_(pa.string())),
                **{
                    name: pa.array([self.new[k][i] for k in keys], pa.string())
                    for i, name in enumerate(_MEMO_COLUMNS[1:], start=1)
                },
            }
        ).replace_schema_metadata({"version": self.version()})
        write_arrow_atomically(path, table)  # unwritten, the next build computes them again


#: What ``json.dumps(obj, ensure_ascii=False, separators=(",", ":"))`` does, without making an encoder
#: per call (``json.dumps`` makes one whenever an option differs from its defaults).
_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def _build(
    con: duckdb.DuckDBPyConnection,
    out: _Writer,
    report: SearchReport,
    scratch: Path,
    memo: RecordMemo | None = None,
) -> None:
    memo = memo if memo is not None else RecordMemo()
    types, offices = _codes(con, "object_type"), _codes(con, "office_code")
    type_index = {c: i for i, c in enumerate(types)}
    office_index = {c: i for i, c in enumerate(offices)}
    n_offices = len(offices) + 1  # the last index: no office
    records = con.execute("SELECT count(*) FROM records").fetchone()[0]
    report.records = records
    buckets = bucket_count(records)
    files = _file_facts(con)
    dups = _duplicates(con)
    # Tokens and cards of every record go to a scratch database on disk (not memory), and are read
    # back sorted: DuckDB's external sort, so neither the pairs nor the cards are held in memory.
    pairs = duckdb.connect(str(scratch))
    _limit(pairs, scratch.with_suffix(".spill"))
    pairs.execute("SET preserve_insertion_order = false")
    pairs.execute("CREATE TABLE p (token VARCHAR, ord INTEGER)")
    years: list[list[int | None]] = []
    facets: list[int] = []
    summaries: list[str] = []  # JSON of each summary
    pairs.execute("CREATE TABLE c (bucket INTEGER, head VARCHAR, src VARCHAR, tail VARCHAR)")
    cards = _CardColumns()
    tok_col: list[str] = []
    ord_col: list[int] = []
    columns = ["reg_number", *CARD_FIELDS]
    for ordinal, row in enumerate(_records(con, columns)):
        year = row["year"]
        if not years or years[-1][0] != year:
            years.append([year, ordinal])
        cell = type_index.get(row["object_type"], len(types)) * n_offices + office_index.get(
            row["office_code"], len(offices)
        )
        facets.append(cell)
        if len(facets) == FACET:
            out.json("facets", f"f/{(ordinal // FACET)}.json", facets)
            facets = []
        tokens, summary, *card = memo.get(row)
        summaries.append(summary)
        if len(summaries) == SUMMARY:
            out.raw("summaries", f"s/{ordinal // SUMMARY}.json", _json_list(summaries))
            summaries = []
        cards.add(card_bucket(row["reg_number"], buckets), *card)
        tok_col.extend(tokens)
        ord_col.extend([ordinal] * len(tokens))
        if len(tok_col) >= 1_000_000:
            _flush_pairs(pairs, tok_col, ord_col)
            cards.flush(pairs)
    _flush_pairs(pairs, tok_col, ord_col)
    cards.flush(pairs)
    if facets:
        out.json("facets", f"f/{(records - 1) // FACET}.json", facets)
    if summaries:
        out.raw("summaries", f"s/{(records - 1) // SUMMARY}.json", _json_list(summaries))
    # A card's JSON starts with its registration number, unique among records, so ordering by the
    # head orders by the whole card.
    sql = "SELECT bucket, list_value(head, src, tail) FROM c ORDER BY bucket, head, src, tail"
    for number, parts in _runs(pairs.sql(sql)):
        _write_cards(out, number, parts, files, dups)
    split = _write_tokens(pairs, out, report)
    pairs.close()
    scratch.unlink(missing_ok=True)
    shutil.rmtree(scratch.with_suffix(".spill"), ignore_errors=True)
    out.json(
        "meta",
        "meta.json",
        {
            "format": SEARCH_FORMAT,
            "records": records,
            "years": years,
            "types": types,
            "offices": offices,
            "inline": INLINE,
            "block": BLOCK,
            "facet": FACET,
            "summary": SUMMARY,
            "buckets": buckets,
            "max_token": MAX_TOKEN,
            "first_prefix": FIRST_PREFIX,
            "split": sorted(split),
            "card_fields": list(CARD_FIELDS),
            "card_titles": {f.name: f.title_ru for f in RECORD_FIELDS},
            "format_labels": dict(labels.section("format")),
            "stopwords": sorted(STOPWORDS),
        },
    )


def _json_list(items: list[str]) -> bytes:
    """The JSON list of items given as JSON: what ``json.dumps`` of the list writes."""
    return f"[{','.join(items)}]".encode()


def _flush_pairs(con: duckdb.DuckDBPyConnection, tokens: list[str], ordinals: list[int]) -> None:
    if not tokens:
        return
    batch = pa.table({"token": pa.array(tokens, pa.string()), "ord": pa.array(ordinals, pa.int32())})  # noqa: F841
    con.execute("INSERT INTO p SELECT * FROM batch")
    tokens.clear()
    ordinals.clear()


_DECODER = json.JSONDecoder()
#: Where the source file is in a card's field values.
_SOURCE_AT = CARD_FIELDS.index("source_file")


def _card_parts(row: dict[str, Any]) -> tuple[str, str | None, str]:
    """A card's JSON text around its source file (``_CardColumns``)."""
    values = [_iso(row[n]) for n in CARD_FIELDS]
    before, after = values[:_SOURCE_AT], values[_SOURCE_AT + 1 :]
    head = f"[{_dumps(row['reg_number'])},[{_dumps(before)[1:-1]}{',' if before else ''}"
    return head, values[_SOURCE_AT] or None, f"{',' if after else ''}{_dumps(after)[1:-1]}],"


class _CardColumns:
    """Cards on their way to the scratch table, each as the JSON text around its source file: the
    head ``["number",[values before,`` , the source file's path, the tail ``,values after],``. A
    bucket's file is put together from these strings (``_write_cards``), with the paths replaced
    by their index in the bucket's table of files and the duplicates added, as ``json.dumps`` of
    the card (``_card``) would write it."""

    def __init__(self) -> None:
        self.bucket: list[int] = []
        self.head: list[str] = []
        self.src: list[str | None] = []
        self.tail: list[str] = []

    def add(self, bucket: int, head: str, src: str | None, tail: str) -> None:
        self.bucket.append(bucket)
        self.head.append(head)
        self.src.append(src)
        self.tail.append(tail)

    def flush(self, con: duckdb.DuckDBPyConnection) -> None:
        if not self.bucket:
            return
        batch = pa.table(  # noqa: F841
            {
                "bucket": pa.array(self.bucket, pa.int32()),
                "head": pa.array(self.head, pa.string()),
                "src": pa.array(self.src, pa.string()),
                "tail": pa.array(self.tail, pa.string()),
            }
        )
        con.execute("INSERT INTO c SELECT * FROM batch")
        for column in (self.bucket, self.head, self.src, self.tail):
            column.clear()


def _summary(row: dict[str, Any]) -> list[Any]:
    """``[number, date, type, office, object (cut), applicant, applicant id, expert org, expert id,
    verdict, excluded date]``: what one result line shows (names in their short form; the card
    keeps them as published)."""
    text = row["object_name"] or ""
    if len(text) > SUMMARY_TEXT:
        text = text[: SUMMARY_TEXT - 1].rstrip() + "…"
    return [
        row["reg_number"],
        _iso(row["date_registered"]),
        row["object_type"],
        row["office_code"],
        text,
        display_name(row["applicant_name"]) if row["applicant_name"] else None,
        row["applicant_id"],
        display_name(row["expert_org_name"]) if row["expert_org_name"] else None,
        row["expert_org_id"],
        row["conclusion_result"],
        _iso(row["excluded_date"]),
    ]


def _card(row: dict[str, Any], dups: dict[str, list[list[Any]]]) -> list[Any]:
    """``[number, [field values in CARD_FIELDS order], [[file, table, row, differs], …]]``."""
    return [row["reg_number"], [_iso(row[n]) for n in CARD_FIELDS], dups.get(row["reg_number"], [])]


def _file_facts(con: duckdb.DuckDBPyConnection) -> dict[str, list[Any]]:
    """Harvested files: path → ``[path, office, sha256, format, status]``."""
    if not has_table(con, "files"):
        return {}
    rows = con.execute("SELECT path, office_code, sha256, format, status FROM files").fetchall()
    return {r[0]: list(r) for r in rows}


def _duplicates(con: duckdb.DuckDBPyConnection) -> dict[str, list[list[Any]]]:
    """Other publications of each number: ``[[file, table, row, fields that differ], …]``."""
    if not has_table(con, "duplicates"):
        return {}
    out: dict[str, list[list[Any]]] = {}
    sql = "SELECT reg_number, source_file, source_table, source_row, differs FROM duplicates ORDER BY ALL"
    for reg, path, table, row, differs in con.execute(sql).fetchall():
        out.setdefault(reg, []).append([path, table, row, differs])
    return out


def _write_cards(
    out: _Writer,
    number: int,
    cards: list[list[str | None]],
    files: dict[str, list[Any]],
    dups: dict[str, list[list[Any]]],
) -> None:
    """One bucket: its own table of files (``[path, office, sha256, format, status]``), cards whose
    source and duplicates point into it by index. ``cards`` are ``[head, source, tail]`` of
    ``_CardColumns`` in the bucket's order; the file is what ``json.dumps`` writes of
    ``{"files": …, "cards": [_card(…) with the paths indexed, …]}``."""
    table: dict[str, int] = {}

    def index(path: str | None) -> str:
        return "null" if not path else str(table.setdefault(path, len(table)))

    texts = []
    for head, src, tail in cards:
        text = f"{head}{index(src)}{tail}"
        others = dups.get(_DECODER.raw_decode(head, 1)[0]) if dups else None  # by the number
        if others:
            listed = ",".join(f"[{index(d[0])},{_dumps(d[1:])[1:]}" for d in others)
            texts.append(f"{text}[{listed}]]")
        else:
            texts.append(f"{text}[]]")
    listed = [files.get(p, [p, None, None, None, None]) for p in table]
    out.text("cards", f"c/{number}.json", f'{{"files":{_dumps(listed)},"cards":[{",".join(texts)}]}}')


def _runs(cursor: duckdb.DuckDBPyRelation, rows: int = 200_000) -> Iterator[tuple[Any, list[Any]]]:
    """``(key, [values…])`` of a result sorted by key: one per run of equal keys, read in Arrow
    batches (a key's values may span batches)."""
    reader = cursor.to_arrow_reader(rows)
    key: Any = None
    values: list[Any] = []
    for batch in reader:
        keys = batch.column(0)
        if not len(keys):
            continue
        column = batch.column(1).to_pylist()
        changes = pc.indices_nonzero(pc.not_equal(keys[1:], keys[:-1])).to_pylist()
        starts = [0, *(i + 1 for i in changes)]
        ends = [*starts[1:], len(keys)]
        for start, end in zip(starts, ends, strict=True):
            this = keys[start].as_py()
            if values and this != key:
                yield key, values
                values = []
            key = this
            values.extend(column[start:end])
    if values:
        yield key, values


def _write_tokens(pairs: duckdb.DuckDBPyConnection, out: _Writer, report: SearchReport) -> set[str]:
    """Token shards, block files of long lists; returns the prefixes that were split."""
    cursor = pairs.sql("SELECT token, ord FROM p ORDER BY substr(token, 1, 2), token, ord")
    split: set[str] = set()
    group: list[_Entry] = []
    head = None
    for token, ordinals in _runs(cursor):
        report.tokens += 1
        report.postings += len(ordinals)
        entry = _entry(out, token, ordinals)
        first = token[:FIRST_PREFIX]
        if first != head and group:
            _write_group(out, head, group, split)
            group = []
        head = first
        group.append(entry)
    if group:
        _write_group(out, head, group, split)
    return split


def _entry(out: _Writer, token: str, ordinals: list[int]) -> _Entry:
    """``[df, delta-coded postings]``, or ``[df, null, [blocks]]`` with the postings in block files;
    serialized once, for both the shard's size and its file."""
    if len(ordinals) <= INLINE:
        value: list[Any] = [len(ordinals), delta(ordinals)]
    else:
        blocks: dict[int, list[int]] = {}
        for ordinal in ordinals:
            blocks.setdefault(ordinal // BLOCK, []).append(ordinal)
        for number, values in blocks.items():
            out.json("blocks", f"b/{prefix_name(token)}/{number}.json", delta(values))
        value = [len(ordinals), None, sorted(blocks)]
    # ``json.dumps(value, separators=(",", ":"))`` of counts, ordinals and null, written directly
    inner = "null" if value[1] is None else f"[{','.join(map(str, value[1]))}]"
    text = f"[{value[0]},{inner}" + (f",[{','.join(map(str, value[2]))}]]" if len(value) > 2 else "]")
    return _Entry(token, f"{_dumps(token)}:{text}", len(token) * 2 + len(text) + 4)


@dataclass(frozen=True, slots=True)
class _Entry:
    token: str
    member: str  # ``"token":[…]``, as json.dumps writes a member of the shard's object
    size: int  # the estimate a shard is split by


def _write_group(out: _Writer, prefix: str, entries: list[_Entry], split: set[str]) -> None:
    """Write the tokens of one prefix, splitting by one more character while a shard is too big."""
    if len(prefix) < MAX_PREFIX and len(entries) > 1 and sum(e.size for e in entries) > SHARD_BYTES:
        split.add(prefix)
        here = [e for e in entries if len(e.token) <= len(prefix)]
        children: dict[str, list[_Entry]] = {}
        for e in entries:
            if len(e.token) > len(prefix):
                children.setdefault(e.token[: len(prefix) + 1], []).append(e)
        if here:
            _write_shard(out, prefix, here)
        for child, group in children.items():
            _write_group(out, child, group, split)
        return
    _write_shard(out, prefix, entries)


def _write_shard(out: _Writer, prefix: str, entries: list[_Entry]) -> None:
    """One token shard: the object ``{token: entry, …}`` in the order of ``entries``."""
    out.text("tokens", f"t/{prefix_name(prefix)}.json", "{" + ",".join(e.member for e in entries) + "}")
