"""Entity resolution: one stable id per expert organization and per applicant.

Offices spell the same organization in many ways. A spelling is parsed into its legal form, its
words and its distinguishing tokens — settlement, number, branch, region (:func:`parse_name`); the
three together are the name key, and two spellings that differ in any of them are two organizations.
Strong keys outrank the name: the licence (expert organizations) and a checksum-valid INN (both
roles). A spelling without a strong key joins a strongly keyed organization only when exactly one
has its name key. Reviewed aliases (``sources/aliases.yaml``) are applied last. Fuzzy similarity
only *suggests* merges for review, it never merges. The rules are in docs/resolution.md.
"""

from __future__ import annotations

import base64
import contextlib
import gc
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
from functools import cache, lru_cache
from pathlib import Path

import duckdb
import pyarrow as pa
import yaml
from rapidfuzz import fuzz
from rapidfuzz.process import cdist

from openepb.build.licences import LicenceEntry
from openepb.contract import formats
from openepb.contract.legal_forms import LegalForm, legal_forms  # noqa: F401 - re-exported
from openepb.contract.sources import SCHEMA_DIR, SOURCES_DIR
from openepb.contract.tables import CANDIDATE_COLUMNS, ORGANIZATION_COLUMNS, arrow_table, create_table
from openepb.fileio import atomic_path
from openepb.normalize.parsers import inn_checksum_ok, split_name_inn

DEFAULT_ALIASES = SOURCES_DIR / "aliases.yaml"
NAME_MARKS_FILE = SCHEMA_DIR / "name_marks.yaml"

# --------------------------------------------------------------------------------------------------
# Legal forms and distinguishing tokens (schema/legal_forms.yaml, schema/name_marks.yaml)
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _FormTables:
    phrases: dict[tuple[str, ...], str]  # long phrase words → code
    shorts: dict[str, str]  # abbreviation → code
    max_phrase: int
    phrase_starts: frozenset[str]


@cache
def _form_tables() -> _FormTables:
    phrases = {tuple(p.split()): f.code for f in legal_forms() for p in f.long}
    shorts = {s: f.code for f in legal_forms() for s in f.short}
    return _FormTables(phrases, shorts, max(map(len, phrases)), frozenset(p[0] for p in phrases))


@dataclass(frozen=True, slots=True)
class _MarkTables:
    settlement: re.Pattern[str]
    settlement_kinds: dict[str, str]  # marker (dots dropped, one space) → kind
    adjective_endings: tuple[str, ...]
    branches: dict[tuple[str, ...], str]
    token_phrases: dict[tuple[str, ...], str]  # branch and region phrases → their mark
    regions: dict[tuple[str, ...], str]  # region words (any listed case) → region code
    max_phrase: int
    #: tokens a settlement marker can start with: a name without any has no settlement (a set
    #: check instead of running the settlement expression on every name)
    settlement_starts: frozenset[str]


def _fold(text: str) -> str:
    return text.lower().replace("ё", "е")


def _declined(word: str, table: dict[str, list[str]]) -> set[str]:
    """The word and its other cases by the ending table (the longest ending that fits)."""
    for ending in sorted(table, key=len, reverse=True):
        if word.endswith(ending) and (ending or word[-1:] not in "аеиоуыэюяйь"):
            stem = word[: len(word) - len(ending)] if ending else word
            return {word, *(stem + e for e in table[ending])}
    return {word}


@cache
def _mark_tables() -> _MarkTables:
    data = yaml.safe_load(NAME_MARKS_FILE.read_text(encoding="utf-8"))
    kinds: dict[str, str] = {}
    alternatives: list[str] = []
    starts: set[str] = set()
    for entry in data["settlements"]:
        for word in entry["words"]:
            marker = " ".join(_fold(str(word)).replace(".", " ").split())
            kinds[marker] = str(entry["kind"])
            parts = marker.split(" ")
            # the parts may be written together («рп»), so the first token is any joined prefix
            starts.update(_TOKEN.findall("".join(parts[: i + 1]))[0] for i in range(len(parts)))
            body = r"\.?\s*".join(re.escape(part) for part in marker.split(" "))
            tail = r"\s*\.\s*" if entry.get("dot") else r"(?:\s*\.\s*|\s+)"
            alternatives.append(f"(?:{body}){tail}")
    # longest markers first, so «город» wins over «г»
    alternatives.sort(key=len, reverse=True)
    name_word = r"[^\W\d_]+(?:-[^\W\d_]+)*"
    settlement = re.compile(
        rf"(?<![^\W\d_])(?P<marker>{'|'.join(alternatives)})(?P<v1>{name_word})(?:\s+(?P<v2>{name_word}))?"
    )
    branches = {tuple(_fold(str(b)).split()): "филиал" for b in data["branches"]}
    declension = {str(k): [str(x) for x in v] for k, v in data["region_declension"].items()}
    regions: dict[tuple[str, ...], str] = {}
    for code in formats.get("Region").codes:
        texts = [code.value, *code.synonyms]
        variants: set[str] = set()
        for text in texts:
            if text.isupper() or any(c.isupper() for c in text[1:]) and len(text) <= 5:
                continue  # НАО, КБР, СПб: abbreviations collide with legal forms and initials
            for piece in re.split(r"\s+—\s+|[()]", text):
                piece = " ".join(_fold(piece).replace("г.", " ").split())
                if piece and piece not in ("город", "г"):
                    variants.add(piece)
        for variant in variants:
            words = [w for w in re.findall(r"[^\W\d_]+", variant) if w not in ("город",)]
            for combo in itertools.product(*(sorted(_declined(w, declension)) for w in words)):
                regions.setdefault(tuple(combo), code.title if code.title.isdigit() else code.value)
    longest = max(map(len, [*regions, *branches]))
    endings = tuple(sorted((str(e) for e in data["adjective_endings"]), key=len, reverse=True))
    token_phrases = {k: REGION_MARK + v for k, v in regions.items()} | branches
    return _MarkTables(
        settlement, kinds, endings, branches, token_phrases, regions, longest, frozenset(starts)
    )


# --------------------------------------------------------------------------------------------------
# Name keys
# --------------------------------------------------------------------------------------------------

#: Kind-of-organization abbreviations in front of a name (``ЗАО НДЦ НПФ «Русская лаборатория»``). They
#: are part of the name (``НТЦ «Промэксперт»`` and ``ИЦ «Промэксперт»`` can be two organizations), so
#: keys keep them; names that differ only by them are suggested for review.
LEADING_DESCRIPTORS: frozenset[str] = frozenset(
    {"нпф", "нпп", "нпц", "ндц", "нтц", "нпо", "иц", "икц", "эц", "экц", "итц", "нтф", "пкф", "нпк"}
)

_LATIN_TO_CYRILLIC = str.maketrans("ABCEHKMOPTXY", "АВСЕНКМОРТХУ")
_LOOKALIKE_LATIN = frozenset("ABCEHKMOPTXY")
_WORD = re.compile(r"[^\W_]+")
_TOKEN = re.compile(r"[^\W\d_]+|\d+")  # letters and digits apart: «СУ-155», «СУ155» → су, 155
_CYRILLIC = re.compile(r"[А-ЯЁа-яё]")
_ANY_LOOKALIKE = re.compile(r"[ABCEHKMOPTXY]")
#: «№ 2», «N2», «No. 2» (NFKC writes № as «No»): the sign goes, the number stays.
_HAS_DIGIT = re.compile(r"\d")
_NUMBER_SIGN = re.compile(r"(?:№|(?<![^\W\d_])n[o°º]?\.?)\s*(?=\d)")

BRANCH_MARK = "филиал"
REGION_MARK = "регион "
NUMBER_MARK = "№ "


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


class NameParts:
    """A spelling taken apart: legal form, the words of the name proper, distinguishing tokens.

    ``key`` is the words without spaces (``Техно-Эксперт`` = ``ТехноЭксперт``); ``loose`` adds the
    tokens (to place a spelling without a legal form); ``ident``, the name key, adds the form:
    spellings with one ident are one organization. Immutable by convention (shared by a cache).
    """

    __slots__ = ("form", "words", "marks", "key", "loose", "ident")

    def __init__(self, form: str, words: tuple[str, ...], marks: tuple[str, ...]) -> None:
        self.form = form  # legal form code (``ООО``), "" when the spelling has none
        self.words = words  # the name proper, lower case, without form and tokens
        self.marks = marks  # sorted: ``г. пермь``, ``№ 2``, ``филиал``, ``регион 59``
        self.key = "".join(words)
        self.loose = f"{self.key}/{'/'.join(marks)}" if marks else self.key
        self.ident = f"{form}:{self.loose}" if words or marks or form else ""

    def __eq__(self, other: object) -> bool:
        return isinstance(other, NameParts) and (self.form, self.words, self.marks) == (
            other.form,
            other.words,
            other.marks,
        )

    def __hash__(self) -> int:
        return hash(self.ident)

    def __repr__(self) -> str:
        return f"NameParts({self.form!r}, {self.words!r}, {self.marks!r})"

    @property
    def text(self) -> str:
        """The normalized name as a person reads it: ``МУП водоканал``."""
        return " ".join(p for p in (self.form, " ".join(self.words)) if p)


EMPTY_NAME = NameParts("", (), ())


def _settlement(m: re.Match[str], tables: _MarkTables, marks: list[str]) -> str:
    first, second = m["v1"], m["v2"]
    take_second = second is not None and first.endswith(tables.adjective_endings)
    value = f"{first} {second}" if take_second else first
    words = tuple(_TOKEN.findall(value))
    region = tables.regions.get(words)
    if region is not None:
        marks.append(REGION_MARK + region)
    else:
        marker = " ".join(m["marker"].replace(".", " ").split())
        marks.append(f"{tables.settlement_kinds.get(marker, marker)}. {' '.join(words)}")
    return " " if take_second or second is None else f" {second}"


#: Phrase tables (legal forms, branches, regions) → first word → phrase lengths, longest first.
_STARTS: dict[int, dict[str, tuple[int, ...]]] = {}


def _phrase_starts(table: dict[tuple[str, ...], str]) -> dict[str, tuple[int, ...]]:
    starts = _STARTS.get(id(table))
    if starts is None:
        sizes: dict[str, set[int]] = defaultdict(set)
        for phrase in table:
            sizes[phrase[0]].add(len(phrase))
        starts = _STARTS[id(table)] = {w: tuple(sorted(v, reverse=True)) for w, v in sizes.items()}
    return starts


def _phrases(
    tokens: list[str], table: dict[tuple[str, ...], str], marks: list[str], prefix: str
) -> list[str]:
    """Tokens without the listed phrases (longest first); each phrase found adds a mark."""
    starts = _phrase_starts(table)
    if starts.keys().isdisjoint(tokens):  # most names: no phrase at all (one set operation in C)
        return tokens
    out: list[str] = []
    i = 0
    n = len(tokens)
    while i < n:
        sizes = starts.get(tokens[i])
        if sizes is not None:
            for size in sizes:
                value = table.get(tuple(tokens[i : i + size])) if i + size <= n else None
                if value is not None:
                    marks.append(prefix + value if prefix else value)
                    i += size
                    break
            else:
                out.append(tokens[i])
                i += 1
        else:
            out.append(tokens[i])
            i += 1
    return out


@lru_cache(maxsize=1 << 19)
def parse_name(name: str | None) -> NameParts:
    """Take a spelling apart (docs/resolution.md §1). Rules, in order: Unicode compatibility forms;
    Latin look-alikes → Cyrillic; case folded, ``ё`` → ``е``; settlements after «г.», «пос.», «с.»,
    «р.п.», «пгт», «ст.» … become tokens; quotes and punctuation → spaces, digits apart from
    letters; long legal forms → their code; legal forms dropped wherever they stand (the first one
    found is the form); branch words, region names and numbers become tokens."""
    if not name:
        return EMPTY_NAME
    tables = _mark_tables()
    forms = _form_tables()
    if "№" in name:
        name = name.replace("№", " № ")
    text = name if unicodedata.is_normalized("NFKC", name) else unicodedata.normalize("NFKC", name)
    text = _fold(_fix_lookalikes(text.upper()))
    if ("n" in text or "№" in text) and _HAS_DIGIT.search(text):  # the sign is «№», «N», «No»
        text = _NUMBER_SIGN.sub(" ", text)
    marks: list[str] = []
    tokens = _TOKEN.findall(text)
    if not tables.settlement_starts.isdisjoint(tokens):
        text = tables.settlement.sub(lambda m: _settlement(m, tables, marks), text)
        tokens = _TOKEN.findall(text)
    found: list[str] = []
    tokens = _phrases(tokens, forms.phrases, found, "")
    # «000» (zeros for ООО) is a legal form, not a number
    shorts = forms.shorts
    if shorts.keys().isdisjoint(tokens):
        kept = tokens
    else:
        found += [shorts[t] for t in tokens if t in shorts]
        kept = [t for t in tokens if t not in shorts]
    tokens = _phrases(kept, tables.token_phrases, marks, "")
    if _HAS_DIGIT.search(text):
        words = [t for t in tokens if not t.isdigit()]
        marks += [NUMBER_MARK + str(int(t)) for t in tokens if t.isdigit()]
    else:
        words = tokens
    form = found[0] if found else ""
    if not words and not marks and found and len(found) > 1:
        words = [f.lower() for f in found[1:]]  # «ООО АО» — nothing but forms
    return NameParts(form, tuple(words), tuple(sorted(set(marks))) if marks else ())


def name_key(name: str | None) -> str:
    """The key spellings are grouped by: legal form, words without spaces, distinguishing tokens."""
    return parse_name(name).ident


def core_words(words: str) -> str:
    """Words without the kind-of-organization abbreviations at their start (for suggestions only)."""
    tokens = words.split(" ")
    while len(tokens) > 1 and tokens[0] in LEADING_DESCRIPTORS:
        tokens.pop(0)
    return "".join(tokens)


# --------------------------------------------------------------------------------------------------
# Ids
# --------------------------------------------------------------------------------------------------

ROLE_PREFIX = {"expert": "e-", "applicant": "a-"}
_ID = re.compile(r"^[ea]-[a-z2-7]{10}$")


@lru_cache(maxsize=1 << 19)
def stable_id(role: str, anchor: str) -> str:
    """``e-``/``a-`` + 10 characters of base32(sha1(anchor)): the same anchor always gives the same id."""
    digest = hashlib.sha1(anchor.encode("utf-8")).digest()
    # base32 encodes 5-byte groups on their own: the first 10 characters come from 10 bytes
    return ROLE_PREFIX[role] + base64.b32encode(digest[:10]).decode("ascii").lower()[:10]


# --------------------------------------------------------------------------------------------------
# Aliases
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Aliases:
    """Reviewed overrides: groups that are one organization, pairs kept apart, known renames."""

    merge: tuple[tuple[str, ...], ...] = ()
    keep_apart: tuple[tuple[str, str], ...] = ()
    renamed: tuple[tuple[str, str], ...] = ()  # (before, after): two organizations, linked


def load_aliases(path: Path | None) -> Aliases:
    if path is None or not path.exists():
        return Aliases()
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    merge = tuple(tuple(str(x) for x in group) for group in data.get("merge") or ())
    apart = tuple(tuple(str(x) for x in pair) for pair in data.get("keep_apart") or ())
    renamed = tuple(tuple(str(x) for x in pair) for pair in data.get("renamed") or ())
    for group in merge:
        if len(group) < 2:
            raise ValueError(f"{path.name}: a merge group needs at least two entries: {group}")
    for section, pairs in (("keep_apart", apart), ("renamed", renamed)):
        for pair in pairs:
            if len(pair) != 2:
                raise ValueError(f"{path.name}: {section} takes pairs: {pair}")
    return Aliases(merge, apart, renamed)  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------------------
# Placing spellings: strong keys, then name keys
# --------------------------------------------------------------------------------------------------

FUZZY_THRESHOLD = 90.0
FUZZY_WINDOW = 4  # sorted-neighbourhood window
FUZZY_BLOCK_MAX = 60  # blocks up to this size are compared all against all
AMBIGUOUS_CANDIDATES_MAX = 10

#: How a spelling was placed (the ``rule`` of its evidence), by code → text a person reads.
RULES = {
    "licence": "лицензия",
    "licence_other_inn": "лицензия, но ИНН другой организации",
    "inn": "ИНН",
    "inn_branch": "ИНН и слово «филиал»",
    "inn_licence": "ИНН лицензиата",
    "inn_licence_name": "ИНН нескольких лицензий, выбрана лицензия с тем же названием",
    "inn_successor": "ИНН нескольких лицензий, выбрана последняя",
    "name_strong": "название совпадает с названием единственной организации с ИНН/лицензией",
    "name_ambiguous": "название есть у нескольких организаций с ИНН/лицензией",
    "name": "название",
    "name_formless": "название без формы совпадает с единственной организацией",
    "alias_merge": "объединено в aliases.yaml",
    "alias_split": "отделено в aliases.yaml",
}

#: Kinds of merge candidates (``kind`` column) → what the ``reason`` says.
SIMILAR_REASON = "похожие названия"
DESCRIPTOR_REASON = "названия различаются только сокращением вида организации (НПФ, НТЦ…)"


@dataclass(slots=True)
class Node:
    """One distinct (spelling, licence, INN) triple as it occurs in records."""

    name: str  # "" when the record has none
    licence_raw: str  # licence as stored ("" when none; always "" for applicants)
    inn_raw: str  # INN as stored ("" when none)
    count: int
    offices: tuple[str, ...]
    first_date: date | None = None
    parts: NameParts = EMPTY_NAME
    licence: str = ""  # the licence when there is one
    inn: str = ""  # a checksum-valid INN: the column's, else one written in the name
    rule: str = ""  # code of RULES: how the node was placed
    rule_anchor: str = ""  # the organization by the rules, before aliases
    anchor: str = ""  # the organization after aliases

    @property
    def ident(self) -> str:
        return self.parts.ident


@dataclass
class Cluster:
    anchor: str
    id: str
    nodes: list[Node] = field(default_factory=list)
    _summary: _Summary | None = None

    @property
    def summary(self) -> _Summary:
        """Spellings, INNs and licences by record count, and the main node — counted once."""
        if self._summary is None:
            self._summary = _summarize(self.nodes)
        return self._summary


@dataclass(frozen=True, slots=True)
class _Summary:
    spellings: Counter[str]
    inns: Counter[str]
    licences: Counter[str]
    main: Node
    records: int


def _summarize(nodes: list[Node]) -> _Summary:
    spellings: Counter[str] = Counter()
    inns: Counter[str] = Counter()
    licences: Counter[str] = Counter()
    for node in nodes:
        if node.name:
            spellings[node.name] += node.count
        if node.inn:
            inns[node.inn] += node.count
        if node.licence:
            licences[node.licence] += node.count
    main = min(nodes, key=lambda n: (-n.count, n.name, n.licence_raw, n.inn_raw))
    return _Summary(spellings, inns, licences, main, sum(n.count for n in nodes))


@dataclass
class Candidate:
    role: str
    id_a: str
    name_a: str
    id_b: str
    name_b: str
    score: float
    reason: str
    kind: str = ""
    key_a: str = ""
    key_b: str = ""
    marks_a: str = ""
    marks_b: str = ""
    inn_a: str = ""
    inn_b: str = ""
    licence_a: str = ""
    licence_b: str = ""


@dataclass(frozen=True)
class Link:
    """Two organizations that are one legal entity before and after a rename."""

    predecessor: str  # id
    successor: str  # id
    reason: str


@dataclass
class RoleResult:
    clusters: dict[str, Cluster]  # id → cluster
    candidates: list[Candidate]
    links: list[Link] = field(default_factory=list)
    ambiguous_keys: int = 0
    alias_merges: int = 0
    alias_splits: int = 0


@dataclass(frozen=True)
class RegisterName:
    """What the licence register says of a licence: the licensee's name and INN."""

    licence: str
    name: str
    inn: str
    issued: date | None = None


_INN_WORD = re.compile("инн", re.IGNORECASE)


@lru_cache(maxsize=1 << 19)
def _valid_inn(raw: str) -> str:
    raw = raw.strip()
    return raw if raw.isdigit() and len(raw) in (10, 12) and inn_checksum_ok(raw) else ""


def prepare_nodes(nodes: list[Node]) -> None:
    """Parse every spelling; take the INN from its column, else from the name («… (ИНН 5503221735)»)."""
    for node in nodes:
        name = node.name
        inn = _valid_inn(node.inn_raw) if node.inn_raw else ""
        if name and _INN_WORD.search(name):
            stripped, in_name = split_name_inn(name)
            name = stripped or ""
            if not inn and in_name:
                inn = _valid_inn(in_name)
        node.parts = parse_name(name)
        node.inn = inn
        node.licence = node.licence_raw.strip()


class _Placer:
    """Anchors of one role's nodes by the rules (before aliases)."""

    def __init__(self, role: str, nodes: list[Node], register: Iterable[RegisterName]) -> None:
        self.role = role
        self.nodes = nodes
        self.register = [r for r in register if r.licence]
        self.licence_inn: dict[str, str] = {}  # licence → its INN
        self.inn_licences: dict[str, list[str]] = defaultdict(list)  # INN → licences, oldest first
        self.licence_idents: dict[str, set[str]] = defaultdict(set)
        self.ambiguous: set[str] = set()
        self.targets: dict[str, list[str]] = {}  # ambiguous name anchor → the organizations it may be

    # ---- expert organizations: licences and their INNs ----

    def _licence_facts(self) -> None:
        counts: dict[str, Counter[str]] = defaultdict(Counter)
        first: dict[str, date] = {}
        for node in self.nodes:
            if node.licence:
                if node.inn:
                    counts[node.licence][node.inn] += node.count
                if node.ident:
                    self.licence_idents[node.licence].add(node.ident)
                if node.first_date and (node.licence not in first or node.first_date < first[node.licence]):
                    first[node.licence] = node.first_date
        issued: dict[str, date] = {}
        for entry in self.register:
            inn = _valid_inn(entry.inn)
            if inn:
                self.licence_inn[entry.licence] = inn  # the register's INN outranks the rows'
            if entry.issued:
                issued[entry.licence] = entry.issued
            ident = parse_name(entry.name).ident
            if ident:
                self.licence_idents[entry.licence].add(ident)
        for licence, inns in counts.items():
            self.licence_inn.setdefault(licence, most_frequent(inns) or "")
        for licence, inn in sorted(self.licence_inn.items()):
            if inn:
                self.inn_licences[inn].append(licence)
        far = date.max
        for licences in self.inn_licences.values():
            licences.sort(key=lambda lic: (issued.get(lic) or first.get(lic) or far, lic))

    def _place_expert(self, node: Node) -> None:
        if node.licence:
            own = self.licence_inn.get(node.licence, "")
            if node.inn and own and node.inn != own:
                node.anchor, node.rule = f"licence:{node.licence}/inn:{node.inn}", "licence_other_inn"
            else:
                node.anchor, node.rule = f"licence:{node.licence}", "licence"
            return
        licences = self.inn_licences.get(node.inn, [])
        if not licences:
            node.anchor, node.rule = f"inn:{node.inn}", "inn"
        elif len(licences) == 1:
            node.anchor, node.rule = f"licence:{licences[0]}", "inn_licence"
        else:
            named = [lic for lic in licences if node.ident and node.ident in self.licence_idents[lic]]
            if len(named) == 1:
                node.anchor, node.rule = f"licence:{named[0]}", "inn_licence_name"
            else:
                node.anchor, node.rule = f"licence:{licences[-1]}", "inn_successor"

    # ---- both roles ----

    def place(self) -> None:
        if self.role == "expert":
            self._licence_facts()
        strong_by_ident: dict[str, set[str]] = defaultdict(set)
        strong_by_loose: dict[str, set[str]] = defaultdict(set)
        loose_nodes: list[Node] = []
        for node in self.nodes:
            if self.role == "expert" and (node.licence or node.inn):
                self._place_expert(node)
            elif node.inn:
                if BRANCH_MARK in node.parts.marks:
                    node.anchor, node.rule = f"inn:{node.inn}/{node.parts.loose}", "inn_branch"
                else:
                    node.anchor, node.rule = f"inn:{node.inn}", "inn"
            else:
                loose_nodes.append(node)
                continue
            if node.ident:
                strong_by_ident[node.ident].add(node.anchor)
                strong_by_loose[node.parts.loose].add(node.anchor)
        for entry in self.register:
            ident = parse_name(entry.name).ident
            if ident:
                strong_by_ident[ident].add(f"licence:{entry.licence}")
                strong_by_loose[parse_name(entry.name).loose].add(f"licence:{entry.licence}")
        self.ambiguous = {k for k, v in strong_by_ident.items() if len(v) > 1}
        # spellings with a form first: a spelling without one is placed among all of them
        all_by_loose: dict[str, set[str]] = defaultdict(set)
        for loose, anchors in strong_by_loose.items():
            all_by_loose[loose] |= anchors
        for node in (n for n in loose_nodes if n.parts.form):
            targets = strong_by_ident.get(node.ident) or strong_by_ident.get(":" + node.parts.loose, set())
            self._place_loose(node, targets, "name_strong")
            all_by_loose[node.parts.loose].add(node.anchor)
        for node in (n for n in loose_nodes if not n.parts.form):
            if node.ident:
                targets = all_by_loose.get(node.parts.loose, set()) - {"name:" + node.ident}
                only = next(iter(targets)) if len(targets) == 1 else ""
                self._place_loose(
                    node, targets, "name_formless" if only.startswith("name:") else "name_strong"
                )
        for node in self.nodes:
            node.rule_anchor = node.anchor

    def _place_loose(self, node: Node, targets: set[str], joined: str) -> None:
        """Join the one organization the name key points at; with several, stay apart (ambiguous)."""
        if len(targets) == 1:
            node.anchor, node.rule = next(iter(targets)), joined
            return
        node.anchor = "name:" + node.ident
        node.rule = "name_ambiguous" if targets else "name"
        if targets:
            self.targets[node.anchor] = sorted(targets)


def assign_anchors(role: str, nodes: list[Node], register: Iterable[RegisterName] = ()) -> _Placer:
    """Every node gets the anchor of its organization (docs/resolution.md §2)."""
    prepare_nodes(nodes)
    placer = _Placer(role, nodes, register)
    placer.place()
    return placer


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


class _AliasIndex:
    """Nodes an alias entry names: an id (as the rules gave it), or every spelling with the entry's
    name key (with any legal form when the entry has none)."""

    def __init__(self, role: str, nodes: list[Node]) -> None:
        self.role = role
        self.by_ident: dict[str, list[Node]] = defaultdict(list)
        self.by_loose: dict[str, list[Node]] = defaultdict(list)
        self.by_id: dict[str, list[Node]] = defaultdict(list)
        for node in nodes:
            self.by_ident[node.ident].append(node)
            self.by_loose[node.parts.loose].append(node)
            if node.rule_anchor:
                self.by_id[stable_id(role, node.rule_anchor)].append(node)

    def nodes(self, entry: str) -> list[Node]:
        if _ID.match(entry):
            return self.by_id.get(entry, []) if entry.startswith(ROLE_PREFIX[self.role]) else []
        parts = parse_name(entry)
        return self.by_ident.get(parts.ident, []) if parts.form else self.by_loose.get(parts.loose, [])

    def pair(self, entry: str, other: str) -> list[Node]:
        """One side of a pair; when both sides are spellings with one name key, only the exact
        spelling (case and spaces aside) counts."""
        found = self.nodes(entry)
        if not _ID.match(entry) and not _ID.match(other) and name_key(entry) == name_key(other):
            spelling = _normal_spelling(entry)
            found = [n for n in found if _normal_spelling(n.name) == spelling]
        return found


def apply_aliases(role: str, nodes: list[Node], aliases: Aliases) -> tuple[int, int, list[tuple[str, str]]]:
    """Rewrite node anchors by the reviewed merges, then split the kept-apart pairs and renames.

    A merged organization takes the anchor (and so the id) of the first entry of its group.
    Returns the merge and split counts and the renames as (before, after) anchors.
    """
    if not (aliases.merge or aliases.keep_apart or aliases.renamed):
        return 0, 0, []
    index = _AliasIndex(role, nodes)
    uf = _UnionFind()
    merges = 0
    for group in aliases.merge:
        ordered = [a for e in group for a in sorted({n.anchor for n in index.nodes(e) if n.anchor})]
        anchors = list(dict.fromkeys(ordered))
        for other in anchors[1:]:
            if uf.find(anchors[0]) != uf.find(other):
                uf.union_into(anchors[0], other)
                merges += 1
    for node in nodes:
        if node.anchor:
            if uf.find(node.anchor) != node.anchor:
                node.rule = "alias_merge"
            node.anchor = uf.find(node.anchor)
    splits = 0
    renames: list[tuple[str, str]] = []
    for first, second in (*aliases.keep_apart, *aliases.renamed):
        first_nodes = index.pair(first, second)
        second_nodes = index.pair(second, first)
        shared = {n.anchor for n in first_nodes} & {n.anchor for n in second_nodes}
        moved = [n for n in second_nodes if n.anchor in shared]
        for node in moved:
            node.anchor = "apart:" + (second if _ID.match(second) else _normal_spelling(second))
            node.rule = "alias_split"
        splits += bool(moved)
    for before, after in aliases.renamed:
        a = {n.anchor for n in index.nodes(before) if n.anchor}
        b = {n.anchor for n in index.nodes(after) if n.anchor}
        if len(a) == 1 and len(b) == 1 and a != b:
            renames.append((next(iter(a)), next(iter(b))))
    return merges, splits, renames


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
    return cluster.summary.spellings


def strongs_of(cluster: Cluster) -> Counter[str]:
    """Licences (expert organizations) or INNs (applicants) of a cluster's rows, by record count."""
    counts: Counter[str] = Counter()
    for node in cluster.nodes:
        value = node.licence or node.inn
        if value:
            counts[value] += node.count
    return counts


def inns_of(cluster: Cluster) -> Counter[str]:
    return cluster.summary.inns


def licences_of(cluster: Cluster) -> Counter[str]:
    return cluster.summary.licences


def _main_node(cluster: Cluster) -> Node:
    """The node of the most frequent spelling (ties: the smallest spelling)."""
    return cluster.summary.main


# --------------------------------------------------------------------------------------------------
# Merge candidates: near-misses kept apart, with their evidence
# --------------------------------------------------------------------------------------------------


@dataclass
class _Facts:
    """A cluster's evidence as candidates show it."""

    cluster: Cluster
    display: str
    parts: NameParts
    inns: frozenset[str]
    licences: frozenset[str]
    strong: bool


def _facts(clusters: dict[str, Cluster]) -> dict[str, _Facts]:
    out = {}
    for cid, cluster in clusters.items():
        main = _main_node(cluster)
        inns, licences = inns_of(cluster), licences_of(cluster)
        anchor_kind = cluster.anchor.partition(":")[0]
        out[cid] = _Facts(
            cluster,
            most_frequent(spellings_of(cluster)) or "",
            main.parts,
            frozenset(inns)
            | (frozenset({cluster.anchor[4:].partition("/")[0]}) if anchor_kind == "inn" else frozenset()),
            frozenset(licences)
            | (
                frozenset({cluster.anchor[8:].partition("/")[0]}) if anchor_kind == "licence" else frozenset()
            ),
            anchor_kind in ("inn", "licence"),
        )
    return out


def _candidate(role: str, a: _Facts, b: _Facts, score: float, kind: str, reason: str) -> Candidate:
    if b.cluster.id < a.cluster.id:
        a, b = b, a
    return Candidate(
        role,
        a.cluster.id,
        a.display,
        b.cluster.id,
        b.display,
        round(score, 1),
        reason,
        kind,
        a.parts.text,
        b.parts.text,
        "; ".join(a.parts.marks),
        "; ".join(b.parts.marks),
        ", ".join(sorted(a.inns)),
        ", ".join(sorted(b.inns)),
        ", ".join(sorted(a.licences)),
        ", ".join(sorted(b.licences)),
    )


def _conflict(a: _Facts, b: _Facts) -> bool:
    """Two different INNs (or licences) make two organizations by rule: never suggested by similarity."""
    return bool(
        (a.inns and b.inns and not a.inns & b.inns)
        or (a.licences and b.licences and not a.licences & b.licences)
    )


def key_candidates(role: str, facts: dict[str, _Facts], placer: _Placer) -> Iterator[Candidate]:
    """Near-misses with one name key or one name: ambiguous spellings, one name with different
    INNs/licences, legal-form twins, names that differ only by a settlement or region."""
    by_anchor = {f.cluster.anchor: f for f in facts.values()}
    for anchor, targets in sorted(placer.targets.items()):
        loose = by_anchor.get(anchor)
        found = [by_anchor[t] for t in targets if t in by_anchor]
        if loose is None:
            continue
        shown = ", ".join(
            sorted({x for f in found for x in (*f.licences, *f.inns)})[:AMBIGUOUS_CANDIDATES_MAX]
        )
        reason = "название есть у нескольких организаций" + (f": {shown}" if shown else "")
        for target in found[:AMBIGUOUS_CANDIDATES_MAX]:
            yield _candidate(role, loose, target, 100.0, "ambiguous", reason)
    by_loose: dict[str, list[_Facts]] = defaultdict(list)
    by_words: dict[str, list[_Facts]] = defaultdict(list)
    for f in sorted(facts.values(), key=lambda f: f.cluster.id):
        idents = {n.parts for n in f.cluster.nodes if n.ident}
        for parts in idents:
            by_loose[parts.loose].append(f)
            by_words[f"{parts.form}:{parts.key}"].append(f)
    for loose in sorted(by_loose):
        group = list({id(f): f for f in by_loose[loose]}.values())
        if len(group) < 2:
            continue
        by_form: dict[str, list[_Facts]] = defaultdict(list)
        for f in group:
            by_form[f.parts.form].append(f)
        for _form, members in sorted(by_form.items()):
            members = [m for m in members if m.strong]
            for a, b in itertools.pairwise(members[:FUZZY_BLOCK_MAX]):
                what = "лицензии" if a.licences and b.licences else "ИНН"
                yield _candidate(role, a, b, 100.0, "same_name", f"одно название, разные {what}")
        forms = sorted(f for f in by_form if f)
        for fa, fb in itertools.combinations(forms[:FUZZY_BLOCK_MAX], 2):
            a, b = by_form[fa][0], by_form[fb][0]
            reason = f"одно название, разные организационно-правовые формы: {fa} / {fb}"
            yield _candidate(role, a, b, 100.0, "legal_form", reason)
    # one form and words, the settlement or region given on one side only
    for words in sorted(by_words):
        group = list({id(f): f for f in by_words[words]}.values())
        if len(group) < 2:
            continue
        bare = [f for f in group if not _place_marks(f.parts.marks)]
        placed = [f for f in group if _place_marks(f.parts.marks)]
        for b in bare[:AMBIGUOUS_CANDIDATES_MAX]:
            rest = set(b.parts.marks)
            for p in placed[:AMBIGUOUS_CANDIDATES_MAX]:
                extra = set(p.parts.marks) - rest
                if rest <= set(p.parts.marks) and extra <= set(_place_marks(p.parts.marks)):
                    reason = "названия различаются только указанием места: " + "; ".join(sorted(extra))
                    yield _candidate(role, b, p, 100.0, "place", reason)


def _place_marks(marks: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(m for m in marks if not m.startswith(NUMBER_MARK) and m != BRANCH_MARK)


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


def fuzzy_candidates(role: str, facts: dict[str, _Facts]) -> Iterator[Candidate]:
    """Clusters whose words are similar (rapidfuzz ratio ≥ threshold) — suggestions only. Pairs
    that are two organizations by rule are not suggested: different INNs or licences, different
    distinguishing tokens, different legal forms."""
    keys: list[str] = []
    parts: list[NameParts] = []
    owners: list[_Facts] = []
    for f in facts.values():
        for p in sorted({n.parts for n in f.cluster.nodes if n.parts.words}, key=lambda p: p.ident):
            keys.append(" ".join(p.words))
            parts.append(p)
            owners.append(f)
    best: dict[tuple[str, str], tuple[float, _Facts, _Facts, str]] = {}
    descriptor = ((i, j, fuzz.ratio(keys[i], keys[j]), DESCRIPTOR_REASON) for i, j in _descriptor_pairs(keys))
    similar = ((i, j, score, SIMILAR_REASON) for i, j, score in _fuzzy_pairs(keys))
    for i, j, score, reason in itertools.chain(descriptor, similar):
        a, b = owners[i], owners[j]
        pa_, pb = parts[i], parts[j]
        if a.cluster.id == b.cluster.id or pa_.marks != pb.marks or pa_.key == pb.key:
            continue
        if pa_.form and pb.form and pa_.form != pb.form or _conflict(a, b):
            continue
        pair = (min(a.cluster.id, b.cluster.id), max(a.cluster.id, b.cluster.id))
        if pair not in best:
            best[pair] = (score, a, b, reason)
    for score, a, b, reason in best.values():
        kind = "descriptor" if reason == DESCRIPTOR_REASON else "similar"
        yield _candidate(role, a, b, score, kind, reason)


def rename_links(
    role: str, clusters: dict[str, Cluster], placer: _Placer, renames: list[tuple[str, str]]
) -> list[Link]:
    """Licences that share one INN are one legal entity renamed (ЗАО → АО, a re-issued licence):
    two organizations, linked oldest to newest; and the renames reviewed in aliases.yaml."""
    by_anchor = {c.anchor: c.id for c in clusters.values()}
    links: list[Link] = []
    for inn, licences in sorted(placer.inn_licences.items()):
        ids = [by_anchor.get(f"licence:{lic}") for lic in licences]
        ids = [i for i in ids if i]
        for before, after in itertools.pairwise(ids):
            links.append(Link(before, after, f"один ИНН {inn}, разные лицензии"))
    for before, after in renames:
        a, b = by_anchor.get(before), by_anchor.get(after)
        if a and b:
            links.append(Link(a, b, "переименование по aliases.yaml"))
    return links


# --------------------------------------------------------------------------------------------------
# One role end to end
# --------------------------------------------------------------------------------------------------


def resolve_role(
    role: str, nodes: list[Node], aliases: Aliases, register: Iterable[RegisterName] = ()
) -> RoleResult:
    placer = assign_anchors(role, nodes, register)
    merges, splits, renames = apply_aliases(role, nodes, aliases)
    clusters = build_clusters(role, nodes)
    facts = _facts(clusters)
    links = rename_links(role, clusters, placer, renames)
    linked = {(min(k.predecessor, k.successor), max(k.predecessor, k.successor)) for k in links}
    renamed = [
        _candidate(role, facts[k.predecessor], facts[k.successor], 100.0, "renamed", k.reason) for k in links
    ]
    others = [
        c
        for c in (*key_candidates(role, facts, placer), *fuzzy_candidates(role, facts))
        if (c.id_a, c.id_b) not in linked
    ]
    candidates = unique_pairs([*renamed, *others])
    return RoleResult(clusters, candidates, links, len(placer.ambiguous), merges, splits)


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

#: Role → (name column, licence column or None, INN column, id column) of ``records``.
ROLE_COLUMNS: dict[str, tuple[str, str | None, str, str]] = {
    "expert": ("expert_org_name", "licence_number", "expert_org_inn", "expert_org_id"),
    "applicant": ("applicant_name", None, "applicant_inn", "applicant_id"),
}


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
    renames: int = 0
    seconds: float = 0.0


def read_nodes(con: duckdb.DuckDBPyConnection, role: str) -> list[Node]:
    """Distinct (spelling, licence, INN) triples with their record counts, offices and first date."""
    name_col, licence_col, inn_col, _ = ROLE_COLUMNS[role]
    licence = f"coalesce({licence_col}, '')" if licence_col else "''"
    present = " OR ".join(f"{c} IS NOT NULL" for c in (name_col, licence_col, inn_col) if c)
    rows = con.execute(
        f"""SELECT coalesce({name_col}, '') AS name, {licence} AS licence, coalesce({inn_col}, '') AS inn,
                   count(*) AS n,
                   list(DISTINCT office_code ORDER BY office_code) FILTER (WHERE office_code IS NOT NULL),
                   min(date_registered)
            FROM records WHERE {present}
            GROUP BY 1, 2, 3 ORDER BY 1, 2, 3"""
    ).fetchall()
    return [
        Node(name, lic, inn, n, tuple(offices or ()), first) for name, lic, inn, n, offices, first in rows
    ]


# JSON text as ``json.dumps(value, ensure_ascii=False)`` writes it, built from the encoder's own
# string escaping: an organizations table has one evidence list per organization, and a general
# ``json.dumps`` call per value is a quarter of the resolver's time on a million spellings.
_STR = json.encoder.encode_basestring


@lru_cache(maxsize=1 << 16)
def _json_strings(values: tuple[str, ...]) -> str:
    """``["a", "b"]`` (offices, marks and INNs repeat across organizations: encoded once)."""
    return "[" + ", ".join(map(_STR, values)) + "]"


def _json_optional(value: str) -> str:
    return _STR(value) if value else "null"


def _evidence(node: Node) -> str:
    """One spelling's evidence as a JSON object: name, records, INN, licence, key, marks, rule."""
    return (
        f'{{"name": {_STR(node.name)}, "count": {node.count}, "inn": {_json_optional(node.inn)}, '
        f'"licence": {_json_optional(node.licence)}, "key": {_STR(node.parts.text)}, '
        f'"marks": {_json_strings(node.parts.marks)}, "rule": {_STR(RULES.get(node.rule, node.rule))}}}'
    )


def _spellings_json(ordered: list[tuple[str, int]]) -> str:
    return "[" + ", ".join(f'{{"name": {_STR(k)}, "count": {v}}}' for k, v in ordered) + "]"


def organization_rows(
    role: str, clusters: dict[str, Cluster], register: dict[str, LicenceEntry], links: list[Link] = ()
) -> Iterator[dict[str, object]]:
    predecessor = {link.successor: link.predecessor for link in links}
    successor = {link.predecessor: link.successor for link in links}
    for cid in sorted(clusters):
        cluster = clusters[cid]
        spellings = spellings_of(cluster)
        licence = most_frequent(licences_of(cluster)) or _anchor_value(cluster.anchor, "licence")
        inns = inns_of(cluster)
        entry = register.get(licence) if role == "expert" and licence else None
        inn = most_frequent(inns) or _anchor_value(cluster.anchor, "inn")
        if entry and entry.inn:
            inn = entry.inn
        offices = sorted({o for n in cluster.nodes for o in n.offices})
        ordered = sorted(spellings.items(), key=lambda kv: (-kv[1], kv[0]))
        main = _main_node(cluster)
        evidence = (
            cluster.nodes
            if len(cluster.nodes) == 1
            else sorted(cluster.nodes, key=lambda n: (-n.count, n.name, n.licence_raw, n.inn_raw))
        )
        yield {
            "id": cid,
            "role": role,
            "display_name": (entry.legal_name if entry and entry.legal_name else most_frequent(spellings)),
            "licence_number": licence if role == "expert" else None,
            "licence_status": entry.status if entry else None,
            "licence_date": entry.date_issued if entry else None,
            "licence_name": entry.legal_name if entry else None,
            "inn": inn,
            "records": cluster.summary.records,
            "spellings": _spellings_json(ordered),
            "offices": _json_strings(tuple(offices)),
            "name_key": main.parts.text,
            "marks": _json_strings(main.parts.marks),
            "inns": _json_strings(tuple(sorted(inns))),
            "predecessor_id": predecessor.get(cid),
            "successor_id": successor.get(cid),
            "evidence": "[" + ", ".join(map(_evidence, evidence)) + "]",
        }


def _anchor_value(anchor: str, kind: str) -> str | None:
    """The licence/INN an organization is anchored on when none of its rows carries it (register link)."""
    head, _, value = anchor.partition(":")
    return value.partition("/")[0] if head == kind else None


def _create_table(con: duckdb.DuckDBPyConnection, name: str, rows: list[dict[str, object]]) -> None:
    create_table(con, name, replace=True)
    if rows:
        arrow = arrow_table(name, rows)  # noqa: F841 - referenced by name in the SQL below
        con.execute(f"INSERT INTO {name} SELECT * FROM arrow")


def _write_ids(con: duckdb.DuckDBPyConnection, role: str, clusters: dict[str, Cluster]) -> None:
    """Fill the id column through a mapping table joined in SQL (one UPDATE, not one per row)."""
    name_col, licence_col, inn_col, id_col = ROLE_COLUMNS[role]
    names, licences, inns, ids = [], [], [], []
    for cid, cluster in clusters.items():
        for node in cluster.nodes:
            names.append(node.name)
            licences.append(node.licence_raw)
            inns.append(node.inn_raw)
            ids.append(cid)
    mapping = pa.table({"name": names, "licence": licences, "inn": inns, "id": ids})  # noqa: F841 - SQL
    licence_match = f"AND coalesce(records.{licence_col}, '') = m.licence" if licence_col else ""
    con.execute(f"UPDATE records SET {id_col} = NULL")
    con.execute(
        f"""UPDATE records SET {id_col} = m.id FROM mapping AS m
            WHERE coalesce(records.{name_col}, '') = m.name AND coalesce(records.{inn_col}, '') = m.inn
            {licence_match}"""
    )


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """Python's cycle collector off while the resolver builds its objects, on again after.

    A million spellings make millions of small objects (nodes, parsed names, clusters) that hold
    no reference cycles, so reference counting frees them; the collector would only walk them again
    and again as they pile up — about a third of the resolver's time on 200 000 spellings."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def resolve_database(
    con: duckdb.DuckDBPyConnection,
    *,
    aliases_path: Path | None = None,
    licences: list[LicenceEntry] | None = None,
) -> ResolveReport:
    """Give every record's expert organization and applicant an id; write ``organizations`` and
    ``merge_candidates``. ``aliases_path`` defaults to ``sources/aliases.yaml``."""
    with _gc_paused():
        return _resolve_database(con, aliases_path, licences)


def _resolve_database(
    con: duckdb.DuckDBPyConnection, aliases_path: Path | None, licences: list[LicenceEntry] | None
) -> ResolveReport:
    started = time.perf_counter()
    aliases = load_aliases(aliases_path if aliases_path is not None else DEFAULT_ALIASES)
    register = {e.number: e for e in licences or () if e.number}
    report = ResolveReport()
    organizations: list[dict[str, object]] = []
    candidates: list[Candidate] = []
    for role in ("expert", "applicant"):
        nodes = read_nodes(con, role)
        names = (
            [
                RegisterName(e.number, e.legal_name or "", e.inn or "", e.date_issued)
                for e in register.values()
            ]
            if role == "expert"
            else []
        )
        result = resolve_role(role, nodes, aliases, names)
        _write_ids(con, role, result.clusters)
        rows = list(organization_rows(role, result.clusters, register, result.links))
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
        report.renames += len(result.links)
    _create_table(con, "organizations", organizations)
    _create_table(con, "merge_candidates", [vars(c) for c in candidates])
    report.merge_candidates = len(candidates)
    report.seconds = round(time.perf_counter() - started, 3)
    return report


# --------------------------------------------------------------------------------------------------
# Review files
# --------------------------------------------------------------------------------------------------


def _spellings_text(spellings_json: str) -> str:
    return "; ".join(f"{s['name']} ({s['count']})" for s in json.loads(spellings_json))


def _evidence_text(evidence_json: str) -> str:
    return "; ".join(f"{e['name']} — {e['rule']} ({e['count']})" for e in json.loads(evidence_json))


def write_review_files(con: duckdb.DuckDBPyConnection, out_dir: Path) -> None:
    """``organizations.csv`` and ``merge_candidates.csv`` (UTF-8 with BOM, for a spreadsheet), each
    written under a temporary name and renamed, so a reader never sees half a file. JSON lists are
    written as ``a; b`` text, the evidence as ``spelling — rule (count); …``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    header = [c for c, _ in ORGANIZATION_COLUMNS]
    orgs = con.execute(
        f"SELECT {', '.join(header)} FROM organizations ORDER BY role, records DESC, id"
    ).fetchall()
    text = {
        "licence_date": lambda v: v.isoformat() if isinstance(v, date) else v,
        "spellings": _spellings_text,
        "offices": lambda v: "; ".join(json.loads(v)),
        "marks": lambda v: "; ".join(json.loads(v)),
        "inns": lambda v: "; ".join(json.loads(v)),
        "evidence": _evidence_text,
    }
    rows = [
        [text[c](v) if c in text and v is not None else v for c, v in zip(header, r, strict=True)]
        for r in orgs
    ]
    _write_csv(out_dir / "organizations.csv", header, rows)
    columns = [c for c, _ in CANDIDATE_COLUMNS]
    cands = con.execute(
        f"SELECT {', '.join(columns)} FROM merge_candidates ORDER BY role, score DESC, id_a, id_b, reason"
    ).fetchall()
    _write_csv(out_dir / "merge_candidates.csv", columns, [list(r) for r in cands])


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
