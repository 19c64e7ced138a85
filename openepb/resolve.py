"""Entity resolution: one stable id per expert organization and per applicant.

Offices spell the same organization in many ways. Spellings are reduced to a canonical name key
(:func:`name_key`); a licence number (expert organizations) or an INN (applicants) is a strong key
that outranks the name; reviewed aliases (``sources/aliases.yaml``) are applied last. Fuzzy
similarity only *suggests* merges for review, it never merges. The rules are in docs/resolution.md.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import re
import time
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path

import duckdb
import pyarrow as pa
import yaml
from rapidfuzz import fuzz
from rapidfuzz.process import cdist

from openepb.config import SOURCES_DIR
from openepb.fileio import atomic_path
from openepb.licences import LicenceEntry

DEFAULT_ALIASES = SOURCES_DIR / "aliases.yaml"

# --------------------------------------------------------------------------------------------------
# Name keys
# --------------------------------------------------------------------------------------------------

#: Long legal forms → their abbreviation (lower case, after quotes and punctuation are gone).
LEGAL_FORM_PHRASES: dict[str, str] = {
    "общество с ограниченной ответственностью": "ооо",
    "общество с дополнительной ответственностью": "одо",
    "закрытое акционерное общество": "зао",
    "открытое акционерное общество": "оао",
    "публичное акционерное общество": "пао",
    "непубличное акционерное общество": "ао",
    "акционерное общество": "ао",
    "федеральное государственное унитарное предприятие": "фгуп",
    "государственное унитарное предприятие": "гуп",
    "муниципальное унитарное предприятие": "муп",
    "федеральное государственное бюджетное учреждение": "фгбу",
    "государственное бюджетное учреждение": "гбу",
    "муниципальное бюджетное учреждение": "мбу",
    "федеральное государственное учреждение": "фгу",
    "федеральное казенное предприятие": "фкп",
    "автономная некоммерческая организация": "ано",
    "некоммерческое партнерство": "нп",
    "индивидуальный предприниматель": "ип",
    "товарищество с ограниченной ответственностью": "тоо",
}
#: Legal-form abbreviations: dropped wherever they stand (before, after, in brackets).
LEGAL_FORMS: frozenset[str] = frozenset(LEGAL_FORM_PHRASES.values()) | {"нао", "гуп", "мкп", "фгбоу"}
#: Tokens that are a legal form written with look-alike digits (``000 «Ромашка»``).
LEGAL_FORM_TOKENS: dict[str, str] = {"000": "ооо", "0оо": "ооо", "оо0": "ооо", "3ао": "зао", "0ао": "оао"}
#: Kind-of-organization abbreviations in front of a name (``ЗАО НДЦ НПФ «Русская лаборатория»``). They
#: are part of the name (``НТЦ «Промэксперт»`` and ``ИЦ «Промэксперт»`` can be two organizations), so
#: keys keep them; names that differ only by them are suggested for review.
LEADING_DESCRIPTORS: frozenset[str] = frozenset(
    {"нпф", "нпп", "нпц", "ндц", "нтц", "нпо", "иц", "икц", "эц", "экц", "итц", "нтф", "пкф", "нпк"}
)

_LATIN_TO_CYRILLIC = str.maketrans("ABCEHKMOPTXY", "АВСЕНКМОРТХУ")
_LOOKALIKE_LATIN = frozenset("ABCEHKMOPTXY")
_WORD = re.compile(r"[^\W_]+")
_CYRILLIC = re.compile(r"[А-ЯЁа-яё]")
_ANY_LOOKALIKE = re.compile(r"[ABCEHKMOPTXY]")
#: ``(г. Москва)``, ``, г. Москва``, ``г.Санкт-Петербург``, ``город Нижний Новгород`` at the end.
_CITY_SUFFIX = re.compile(
    r"[\s,;]*\(?\s*(?i:г\.|гор\.|город\s)\s*[А-ЯЁA-Z][^\s,;()]*(?:[\s-]+[А-ЯЁ][^\s,;()]*)?\s*\)?[\s.]*$"
)
_PHRASES: dict[tuple[str, ...], str] = {tuple(k.split()): v for k, v in LEGAL_FORM_PHRASES.items()}
_MAX_PHRASE = max(len(p) for p in _PHRASES)
_PHRASE_STARTS = frozenset(p[0] for p in _PHRASES)


def _fix_lookalikes(upper: str) -> str:
    """Latin look-alike letters become Cyrillic in words of a Cyrillic name (``OOO``, ``ЗAO``)."""
    if not _ANY_LOOKALIKE.search(upper) or not _CYRILLIC.search(upper):
        return upper

    def fix(m: re.Match[str]) -> str:
        word = m[0]
        if _CYRILLIC.search(word) or all(c in _LOOKALIKE_LATIN or c.isdigit() for c in word):
            return word.translate(_LATIN_TO_CYRILLIC)
        return word

    return _WORD.sub(fix, upper)


def _expand_legal_forms(tokens: list[str]) -> list[str]:
    """Long legal forms (several words) become their abbreviation."""
    out: list[str] = []
    i = 0
    while i < len(tokens):
        if tokens[i] not in _PHRASE_STARTS:
            out.append(LEGAL_FORM_TOKENS.get(tokens[i], tokens[i]))
            i += 1
            continue
        for size in range(min(_MAX_PHRASE, len(tokens) - i), 1, -1):
            short = _PHRASES.get(tuple(tokens[i : i + size]))
            if short:
                out.append(short)
                i += size
                break
        else:
            out.append(LEGAL_FORM_TOKENS.get(tokens[i], tokens[i]))
            i += 1
    return out


def _strip_city_suffix(name: str) -> str:
    stripped = _CITY_SUFFIX.sub("", name)
    return stripped if _WORD.search(stripped) else name


def name_key(name: str | None) -> str:
    """Canonical key of an organization name: what is left when the ways offices differ are removed.

    Rules, in order: Unicode compatibility forms; a trailing ``г. Москва``-style suffix dropped;
    Latin look-alike letters → Cyrillic; case folded, ``ё`` → ``е``; quotes (any kind, nested) and
    punctuation → spaces; long legal forms → abbreviations; legal forms dropped wherever they stand.
    Words are joined by one space.
    """
    if not name:
        return ""
    text = unicodedata.normalize("NFKC", name)
    text = _strip_city_suffix(text)
    text = _fix_lookalikes(text.upper()).lower().replace("ё", "е")
    tokens = _expand_legal_forms(_WORD.findall(text))
    core = [t for t in tokens if t not in LEGAL_FORMS]
    return " ".join(core or tokens)


def core_words(words: str) -> str:
    """A name key without the kind-of-organization abbreviations at its start (for suggestions only)."""
    tokens = words.split(" ")
    while len(tokens) > 1 and tokens[0] in LEADING_DESCRIPTORS:
        tokens.pop(0)
    return "".join(tokens)


@lru_cache(maxsize=1 << 18)
def match_key(name: str | None) -> str:
    """The key spellings are grouped by: :func:`name_key` without spaces (``Техно-Эксперт`` = ``ТехноЭксперт``)."""
    return name_key(name).replace(" ", "")


# --------------------------------------------------------------------------------------------------
# Ids
# --------------------------------------------------------------------------------------------------

ROLE_PREFIX = {"expert": "e-", "applicant": "a-"}
_ID = re.compile(r"^[ea]-[a-z2-7]{10}$")


@lru_cache(maxsize=1 << 18)
def stable_id(role: str, anchor: str) -> str:
    """``e-``/``a-`` + 10 characters of base32(sha1(anchor)): the same anchor always gives the same id."""
    digest = hashlib.sha1(anchor.encode("utf-8")).digest()
    return ROLE_PREFIX[role] + base64.b32encode(digest).decode("ascii").lower()[:10]


# --------------------------------------------------------------------------------------------------
# Aliases
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Aliases:
    """Reviewed overrides: groups of spellings or ids that are one organization, pairs kept apart."""

    merge: tuple[tuple[str, ...], ...] = ()
    keep_apart: tuple[tuple[str, str], ...] = ()


def load_aliases(path: Path | None) -> Aliases:
    if path is None or not path.exists():
        return Aliases()
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    merge = tuple(tuple(str(x) for x in group) for group in data.get("merge") or ())
    apart = tuple(tuple(str(x) for x in pair) for pair in data.get("keep_apart") or ())
    for group in merge:
        if len(group) < 2:
            raise ValueError(f"{path.name}: a merge group needs at least two entries: {group}")
    for pair in apart:
        if len(pair) != 2:
            raise ValueError(f"{path.name}: keep_apart takes pairs: {pair}")
    return Aliases(merge, apart)  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------------------
# Clustering one role
# --------------------------------------------------------------------------------------------------

_INN = re.compile(r"^\d{10}(\d{2})?$")
FUZZY_THRESHOLD = 90.0
FUZZY_WINDOW = 4  # sorted-neighbourhood window
FUZZY_BLOCK_MAX = 60  # first-token blocks up to this size are compared all against all
AMBIGUOUS_CANDIDATES_MAX = 10
_DIGITS = re.compile(r"\d+")  # names with different numbers (Шахта-3, Шахта-4) are different
SIMILAR_REASON = "похожие названия"
DESCRIPTOR_REASON = "названия различаются только сокращением вида организации (НПФ, НТЦ…)"


@dataclass(slots=True)
class Node:
    """One distinct (spelling, strong value) pair as it occurs in records."""

    name: str  # "" when the record has none
    strong_raw: str  # licence / INN as stored ("" when none)
    count: int
    offices: tuple[str, ...]
    words: str = ""  # name_key of the spelling
    key: str = ""  # match_key: the words without spaces
    strong: str = ""  # the strong key when valid, else ""
    rule_anchor: str = ""  # the organization by the rules, before aliases
    anchor: str = ""  # the organization after aliases


@dataclass
class Cluster:
    anchor: str
    id: str
    nodes: list[Node] = field(default_factory=list)


@dataclass
class Candidate:
    role: str
    id_a: str
    name_a: str
    id_b: str
    name_b: str
    score: float
    reason: str


@dataclass
class RoleResult:
    clusters: dict[str, Cluster]  # id → cluster
    candidates: list[Candidate]
    ambiguous_keys: int = 0
    alias_merges: int = 0
    alias_splits: int = 0


def _strong_value(role: str, raw: str) -> str:
    if role == "expert":
        return raw
    return raw if _INN.match(raw) else ""


def _strong_anchor(role: str, strong: str) -> str:
    return ("licence:" if role == "expert" else "inn:") + strong


def assign_anchors(
    role: str, nodes: list[Node], extra_names: Iterable[tuple[str, str]] = ()
) -> dict[str, set[str]]:
    """Every node gets the anchor of its organization; returns key → strong keys seen with it.

    A strong key is its own anchor. A node without one joins the strong key its name key was seen
    with when there is exactly one; otherwise (none, or several: ambiguous) it is anchored on its
    name key. ``extra_names`` are (name, strong) pairs from a register, which count as seen.
    """
    strongs_by_key: dict[str, set[str]] = defaultdict(set)
    for node in nodes:
        node.words = name_key(node.name)
        node.key = node.words.replace(" ", "")
        node.strong = _strong_value(role, node.strong_raw)
        if node.strong and node.key:
            strongs_by_key[node.key].add(node.strong)
    for name, strong in extra_names:
        key = match_key(name)
        if key and strong:
            strongs_by_key[key].add(strong)
    for node in nodes:
        if node.strong:
            node.anchor = _strong_anchor(role, node.strong)
        elif node.key:
            seen = strongs_by_key.get(node.key, ())
            node.anchor = _strong_anchor(role, next(iter(seen))) if len(seen) == 1 else "name:" + node.key
        else:
            node.anchor = ""
        node.rule_anchor = node.anchor
    return strongs_by_key


class _UnionFind:
    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, x: str) -> str:
        parent = self.parent.setdefault(x, x)
        if parent != x:
            parent = self.parent[x] = self.find(parent)
        return parent

    def union_into(self, primary: str, other: str) -> None:
        a, b = self.find(primary), self.find(other)
        if a != b:
            self.parent[b] = a


def _normal_spelling(name: str) -> str:
    return " ".join(name.split()).casefold()


def _entry_nodes(
    role: str, entry: str, nodes_by_key: dict[str, list[Node]], nodes_by_id: dict[str, list[Node]]
) -> list[Node]:
    """Nodes an alias entry names: an id (as the rules gave it), or every spelling with the entry's key."""
    if _ID.match(entry):
        return nodes_by_id.get(entry, []) if entry.startswith(ROLE_PREFIX[role]) else []
    return nodes_by_key.get(match_key(entry), [])


def _entry_anchors(nodes: list[Node]) -> list[str]:
    return sorted({n.anchor for n in nodes if n.anchor})


def apply_aliases(role: str, nodes: list[Node], aliases: Aliases) -> tuple[int, int]:
    """Rewrite node anchors by the reviewed merges, then split the kept-apart pairs. Returns counts.

    A merged organization takes the anchor (and so the id) of the first entry of its group.
    """
    nodes_by_key: dict[str, list[Node]] = defaultdict(list)
    nodes_by_id: dict[str, list[Node]] = defaultdict(list)
    for node in nodes:
        nodes_by_key[node.key].append(node)
        if node.rule_anchor:
            nodes_by_id[stable_id(role, node.rule_anchor)].append(node)
    uf = _UnionFind()
    merges = 0
    for group in aliases.merge:
        anchors = [a for e in group for a in _entry_anchors(_entry_nodes(role, e, nodes_by_key, nodes_by_id))]
        for other in anchors[1:]:
            if uf.find(anchors[0]) != uf.find(other):
                uf.union_into(anchors[0], other)
                merges += 1
    for node in nodes:
        if node.anchor:
            node.anchor = uf.find(node.anchor)
    splits = 0
    for first, second in aliases.keep_apart:
        first_nodes = _pair_nodes(role, first, second, nodes_by_key, nodes_by_id)
        second_nodes = _pair_nodes(role, second, first, nodes_by_key, nodes_by_id)
        shared = {n.anchor for n in first_nodes} & {n.anchor for n in second_nodes}
        moved = [n for n in second_nodes if n.anchor in shared]
        for node in moved:
            node.anchor = "apart:" + (second if _ID.match(second) else _normal_spelling(second))
        splits += bool(moved)
    return merges, splits


def _pair_nodes(
    role: str, entry: str, other: str, nodes_by_key: dict[str, list[Node]], nodes_by_id: dict[str, list[Node]]
) -> list[Node]:
    """Nodes one side of a keep-apart pair stands for; when both sides are spellings with the same
    key, only the exact spelling (case and spaces aside) counts."""
    found = _entry_nodes(role, entry, nodes_by_key, nodes_by_id)
    if not _ID.match(entry) and not _ID.match(other) and match_key(entry) == match_key(other):
        spelling = _normal_spelling(entry)
        found = [n for n in found if _normal_spelling(n.name) == spelling]
    return found


def build_clusters(role: str, nodes: list[Node]) -> dict[str, Cluster]:
    clusters: dict[str, Cluster] = {}
    for node in nodes:
        if not node.anchor:
            continue
        cid = stable_id(role, node.anchor)
        cluster = clusters.get(cid)
        if cluster is None:
            cluster = clusters[cid] = Cluster(node.anchor, cid)
        cluster.nodes.append(node)
    return clusters


def most_frequent(counts: Counter[str]) -> str | None:
    """The most frequent value; ties go to the smallest, so the choice does not depend on row order."""
    if not counts:
        return None
    return min(counts.items(), key=lambda kv: (-kv[1], kv[0]))[0]


def spellings_of(cluster: Cluster) -> Counter[str]:
    counts: Counter[str] = Counter()
    for node in cluster.nodes:
        if node.name:
            counts[node.name] += node.count
    return counts


def strongs_of(cluster: Cluster) -> Counter[str]:
    counts: Counter[str] = Counter()
    for node in cluster.nodes:
        if node.strong:
            counts[node.strong] += node.count
    return counts


# --------------------------------------------------------------------------------------------------
# Merge candidates
# --------------------------------------------------------------------------------------------------


def _display(cluster: Cluster) -> str:
    return most_frequent(spellings_of(cluster)) or ""


def ambiguity_candidates(
    role: str, clusters: dict[str, Cluster], strongs_by_key: dict[str, set[str]]
) -> Iterator[Candidate]:
    """A name seen with several licences/INNs: its strong-less rows stay apart, listed for review;
    clusters with different strong keys under one name are listed too."""
    loose_reason, strong_word = ("без лицензии", "лицензиями") if role == "expert" else ("без ИНН", "ИНН")
    by_anchor = {c.anchor: c for c in clusters.values()}
    for key, strongs in sorted(strongs_by_key.items()):
        if len(strongs) < 2:
            continue
        ordered = sorted(strongs)
        strong_clusters = [by_anchor.get(_strong_anchor(role, s)) for s in ordered]
        strong_clusters = [c for c in strong_clusters if c is not None]
        loose = by_anchor.get("name:" + key)
        shown = ", ".join(ordered[:AMBIGUOUS_CANDIDATES_MAX])
        if loose is not None:
            for target in strong_clusters[:AMBIGUOUS_CANDIDATES_MAX]:
                reason = f"название {loose_reason} встречается с {strong_word}: {shown}"
                yield _candidate(role, loose, target, 100.0, reason)
        if role == "expert":
            for a, b in zip(strong_clusters, strong_clusters[1:], strict=False):
                if a.id != b.id:
                    yield _candidate(role, a, b, 100.0, "одно название, разные лицензии")


def _candidate(role: str, a: Cluster, b: Cluster, score: float, reason: str) -> Candidate:
    if b.id < a.id:
        a, b = b, a
    return Candidate(role, a.id, _display(a), b.id, _display(b), round(score, 1), reason)


def _descriptor_pairs(keys: list[str]) -> Iterator[tuple[int, int]]:
    """Keys equal but for the kind-of-organization abbreviations in front (``НПФ``, ``НТЦ``…)."""
    blocks: dict[str, list[int]] = defaultdict(list)
    for i, key in enumerate(keys):
        blocks[core_words(key)].append(i)
    for members in blocks.values():
        for pos, i in enumerate(members[:FUZZY_BLOCK_MAX]):
            for j in members[pos + 1 : FUZZY_BLOCK_MAX]:
                yield i, j


def _fuzzy_pairs(keys: list[str]) -> Iterator[tuple[int, int, float]]:
    """Similar key pairs by blocking: first word of the key (small blocks all against all) and a
    sorted neighbourhood over the keys without spaces. Never all pairs."""
    compact = [k.replace(" ", "") for k in keys]
    order = sorted(range(len(keys)), key=lambda i: compact[i])
    for pos, i in enumerate(order):
        for j in order[pos + 1 : pos + 1 + FUZZY_WINDOW]:
            score = fuzz.ratio(compact[i], compact[j], score_cutoff=FUZZY_THRESHOLD)
            if score:
                yield i, j, score
    blocks: dict[str, list[int]] = defaultdict(list)
    for i, key in enumerate(keys):
        blocks[key.split(" ", 1)[0]].append(i)
    for members in blocks.values():
        if not 1 < len(members) <= FUZZY_BLOCK_MAX:
            continue
        texts = [compact[i] for i in members]
        scores = cdist(texts, texts, scorer=fuzz.ratio, score_cutoff=FUZZY_THRESHOLD)
        for a, b in zip(*scores.nonzero(), strict=True):
            if a < b:
                yield members[a], members[b], float(scores[a, b])


def fuzzy_candidates(role: str, clusters: dict[str, Cluster]) -> Iterator[Candidate]:
    """Clusters whose name keys are similar (rapidfuzz ratio ≥ threshold) — suggestions only.
    Pairs with two different strong keys, or with different numbers in their names, are different
    organizations by rule and not suggested."""
    keys: list[str] = []
    owners: list[Cluster] = []
    for cluster in clusters.values():
        for key in sorted({n.words for n in cluster.nodes if n.words}):
            keys.append(key)
            owners.append(cluster)
    best: dict[tuple[str, str], tuple[float, Cluster, Cluster, str]] = {}
    descriptor = ((i, j, fuzz.ratio(keys[i], keys[j]), DESCRIPTOR_REASON) for i, j in _descriptor_pairs(keys))
    similar = ((i, j, score, SIMILAR_REASON) for i, j, score in _fuzzy_pairs(keys))
    for i, j, score, reason in itertools.chain(descriptor, similar):
        a, b = owners[i], owners[j]
        if a.id == b.id or _different_strong(a, b) or _DIGITS.findall(keys[i]) != _DIGITS.findall(keys[j]):
            continue
        pair = (min(a.id, b.id), max(a.id, b.id))
        if pair not in best:
            best[pair] = (score, a, b, reason)
    for score, a, b, reason in best.values():
        yield _candidate(role, a, b, score, reason)


def _different_strong(a: Cluster, b: Cluster) -> bool:
    sa, sb = set(strongs_of(a)), set(strongs_of(b))
    return bool(sa and sb and not sa & sb)


# --------------------------------------------------------------------------------------------------
# One role end to end
# --------------------------------------------------------------------------------------------------


def resolve_role(
    role: str, nodes: list[Node], aliases: Aliases, register_names: Iterable[tuple[str, str]] = ()
) -> RoleResult:
    strongs_by_key = assign_anchors(role, nodes, register_names)
    merges, splits = apply_aliases(role, nodes, aliases)
    clusters = build_clusters(role, nodes)
    candidates = unique_pairs(
        [*ambiguity_candidates(role, clusters, strongs_by_key), *fuzzy_candidates(role, clusters)]
    )
    ambiguous = sum(1 for s in strongs_by_key.values() if len(s) > 1)
    return RoleResult(clusters, candidates, ambiguous, merges, splits)


def unique_pairs(candidates: list[Candidate]) -> list[Candidate]:
    """One suggestion per pair of organizations (the first reason given wins), best score first."""
    seen: set[tuple[str, str]] = set()
    unique = []
    for c in candidates:
        if (c.id_a, c.id_b) not in seen:
            seen.add((c.id_a, c.id_b))
            unique.append(c)
    return sorted(unique, key=lambda c: (-c.score, c.id_a, c.id_b))


# --------------------------------------------------------------------------------------------------
# The database
# --------------------------------------------------------------------------------------------------

ROLE_COLUMNS = {
    "expert": ("expert_org_name", "licence_number", "expert_org_id"),
    "applicant": ("applicant_name", "applicant_inn", "applicant_id"),
}
ORGANIZATION_COLUMNS: tuple[tuple[str, str], ...] = (
    ("id", "VARCHAR"),
    ("role", "VARCHAR"),
    ("display_name", "VARCHAR"),
    ("licence_number", "VARCHAR"),
    ("licence_status", "VARCHAR"),
    ("licence_date", "DATE"),
    ("licence_name", "VARCHAR"),
    ("inn", "VARCHAR"),
    ("records", "BIGINT"),
    ("spellings", "VARCHAR"),
    ("offices", "VARCHAR"),
)
CANDIDATE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("role", "VARCHAR"),
    ("id_a", "VARCHAR"),
    ("name_a", "VARCHAR"),
    ("id_b", "VARCHAR"),
    ("name_b", "VARCHAR"),
    ("score", "DOUBLE"),
    ("reason", "VARCHAR"),
)
_ARROW = {"VARCHAR": pa.string(), "DATE": pa.date32(), "BIGINT": pa.int64(), "DOUBLE": pa.float64()}


@dataclass
class ResolveReport:
    expert_orgs: int = 0
    applicants: int = 0
    expert_spellings: int = 0
    applicant_spellings: int = 0
    licences_linked: int = 0
    ambiguous_names: int = 0
    merge_candidates: int = 0
    alias_merges: int = 0
    alias_splits: int = 0
    seconds: float = 0.0


def read_nodes(con: duckdb.DuckDBPyConnection, role: str) -> list[Node]:
    """Distinct (spelling, licence/INN) pairs with their record counts and offices."""
    name_col, strong_col, _ = ROLE_COLUMNS[role]
    rows = con.execute(
        f"""SELECT coalesce({name_col}, '') AS name, coalesce({strong_col}, '') AS strong, count(*) AS n,
                   list(DISTINCT office_code ORDER BY office_code) FILTER (WHERE office_code IS NOT NULL)
            FROM records
            WHERE {name_col} IS NOT NULL OR {strong_col} IS NOT NULL
            GROUP BY 1, 2 ORDER BY 1, 2"""
    ).fetchall()
    return [Node(name, strong, n, tuple(offices or ())) for name, strong, n, offices in rows]


def organization_rows(
    role: str, clusters: dict[str, Cluster], register: dict[str, LicenceEntry]
) -> Iterator[dict[str, object]]:
    for cid in sorted(clusters):
        cluster = clusters[cid]
        spellings = spellings_of(cluster)
        strong = most_frequent(strongs_of(cluster)) or _anchor_strong(cluster.anchor)
        entry = register.get(strong) if role == "expert" and strong else None
        offices = sorted({o for n in cluster.nodes for o in n.offices})
        ordered = sorted(spellings.items(), key=lambda kv: (-kv[1], kv[0]))
        yield {
            "id": cid,
            "role": role,
            "display_name": (entry.legal_name if entry and entry.legal_name else most_frequent(spellings)),
            "licence_number": strong if role == "expert" else None,
            "licence_status": entry.status if entry else None,
            "licence_date": entry.date_issued if entry else None,
            "licence_name": entry.legal_name if entry else None,
            "inn": (entry.inn if entry else None) if role == "expert" else strong,
            "records": sum(n.count for n in cluster.nodes),
            "spellings": json.dumps([{"name": k, "count": v} for k, v in ordered], ensure_ascii=False),
            "offices": json.dumps(offices, ensure_ascii=False),
        }


def _anchor_strong(anchor: str) -> str | None:
    """The licence/INN an organization is anchored on when none of its rows carries it (register link)."""
    kind, _, value = anchor.partition(":")
    return value if kind in ("licence", "inn") else None


def _create_table(
    con: duckdb.DuckDBPyConnection,
    name: str,
    columns: tuple[tuple[str, str], ...],
    rows: list[dict[str, object]],
) -> None:
    con.execute(f"DROP TABLE IF EXISTS {name}")
    cols = ", ".join(f'"{c}" {t}' for c, t in columns)
    con.execute(f"CREATE TABLE {name} ({cols})")
    if rows:
        arrow = pa.Table.from_arrays(  # noqa: F841 - referenced by name in the SQL below
            [pa.array([r[c] for r in rows], type=_ARROW[t]) for c, t in columns],
            names=[c for c, _ in columns],
        )
        con.execute(f"INSERT INTO {name} SELECT * FROM arrow")


def _write_ids(con: duckdb.DuckDBPyConnection, role: str, clusters: dict[str, Cluster]) -> None:
    """Fill the id column through a mapping table joined in SQL (one UPDATE, not one per row)."""
    name_col, strong_col, id_col = ROLE_COLUMNS[role]
    names, strongs, ids = [], [], []
    for cid, cluster in clusters.items():
        for node in cluster.nodes:
            names.append(node.name)
            strongs.append(node.strong_raw)
            ids.append(cid)
    mapping = pa.table({"name": names, "strong": strongs, "id": ids})  # noqa: F841 - used in SQL
    con.execute(f"UPDATE records SET {id_col} = NULL")
    con.execute(
        f"""UPDATE records SET {id_col} = m.id FROM mapping AS m
            WHERE coalesce(records.{name_col}, '') = m.name AND coalesce(records.{strong_col}, '') = m.strong"""
    )


def resolve_database(
    con: duckdb.DuckDBPyConnection,
    *,
    aliases_path: Path | None = None,
    licences: list[LicenceEntry] | None = None,
) -> ResolveReport:
    """Give every record's expert organization and applicant an id; write ``organizations`` and
    ``merge_candidates``. ``aliases_path`` defaults to ``sources/aliases.yaml``."""
    started = time.perf_counter()
    aliases = load_aliases(aliases_path if aliases_path is not None else DEFAULT_ALIASES)
    register = {e.number: e for e in licences or () if e.number}
    report = ResolveReport()
    organizations: list[dict[str, object]] = []
    candidates: list[Candidate] = []
    for role in ("expert", "applicant"):
        nodes = read_nodes(con, role)
        extra = (
            [(e.legal_name, e.number) for e in register.values() if e.legal_name] if role == "expert" else []
        )
        result = resolve_role(role, nodes, aliases, extra)
        _write_ids(con, role, result.clusters)
        rows = list(organization_rows(role, result.clusters, register))
        organizations.extend(rows)
        candidates.extend(result.candidates)
        spellings = len({n.name for n in nodes if n.name})
        if role == "expert":
            report.expert_orgs, report.expert_spellings = len(result.clusters), spellings
            report.licences_linked = sum(
                1 for r in rows if r["licence_status"] is not None or r["licence_name"]
            )
        else:
            report.applicants, report.applicant_spellings = len(result.clusters), spellings
        report.ambiguous_names += result.ambiguous_keys
        report.alias_merges += result.alias_merges
        report.alias_splits += result.alias_splits
    _create_table(con, "organizations", ORGANIZATION_COLUMNS, organizations)
    _create_table(con, "merge_candidates", CANDIDATE_COLUMNS, [vars(c) for c in candidates])
    report.merge_candidates = len(candidates)
    report.seconds = round(time.perf_counter() - started, 3)
    return report


# --------------------------------------------------------------------------------------------------
# Review files
# --------------------------------------------------------------------------------------------------


def _spellings_text(spellings_json: str) -> str:
    return "; ".join(f"{s['name']} ({s['count']})" for s in json.loads(spellings_json))


def write_review_files(con: duckdb.DuckDBPyConnection, out_dir: Path) -> None:
    """``organizations.csv`` and ``merge_candidates.csv`` (UTF-8 with BOM, for a spreadsheet), each
    written under a temporary name and renamed, so a reader never sees half a file."""
    out_dir.mkdir(parents=True, exist_ok=True)
    orgs = con.execute(
        """SELECT id, role, display_name, licence_number, licence_status, licence_date, licence_name, inn,
                  records, spellings, offices FROM organizations ORDER BY role, records DESC, id"""
    ).fetchall()
    header = [c for c, _ in ORGANIZATION_COLUMNS]
    rows = [
        [
            *r[:5],
            r[5].isoformat() if isinstance(r[5], date) else r[5],
            *r[6:9],
            _spellings_text(r[9]),
            "; ".join(json.loads(r[10])),
        ]
        for r in orgs
    ]
    _write_csv(out_dir / "organizations.csv", header, rows)
    cands = con.execute(
        "SELECT role, id_a, name_a, id_b, name_b, score, reason FROM merge_candidates "
        "ORDER BY role, score DESC, id_a, id_b, reason"
    ).fetchall()
    _write_csv(out_dir / "merge_candidates.csv", [c for c, _ in CANDIDATE_COLUMNS], [list(r) for r in cands])


def _write_csv(path: Path, header: list[str], rows: list[list[object]]) -> None:
    import csv

    with atomic_path(path) as tmp, tmp.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(["" if v is None else v for v in row] for row in rows)


# --------------------------------------------------------------------------------------------------
# Scoring against a truth
# --------------------------------------------------------------------------------------------------


def _pairs(sizes: Iterable[int]) -> int:
    return sum(n * (n - 1) // 2 for n in sizes)


def pairwise_scores(pred: dict[str, str], truth: dict[str, str]) -> tuple[float, float]:
    """Pairwise precision and recall of a clustering (item → cluster) against the truth, over the
    items both know. Counted from cluster sizes (pairs = n·(n−1)/2), never by listing pairs."""
    items = pred.keys() & truth.keys()
    joint = Counter((pred[i], truth[i]) for i in items)
    together = _pairs(joint.values())
    predicted = _pairs(Counter(pred[i] for i in items).values())
    true = _pairs(Counter(truth[i] for i in items).values())
    precision = together / predicted if predicted else 1.0
    recall = together / true if true else 1.0
    return precision, recall
