"""The static site: HTML pages from jinja2 templates, plus the JSON the pages read in the browser.

Analytic views (filters, charts, TOP lists, ranks) are computed in the browser from the ranking data
``openepb.publish.rank.build_rankings`` wrote (``docs/rank-data.md``). This module adds what the rankings do
not carry: per-organization details (names seen, licence, latest conclusions with provenance) in
shards by id, a search index per role, the Downloads page from the export folder and the
methodology page's figures. Every page is static and uses relative URLs only, so ``site/`` works
from any sub-path and from ``python -m http.server``. The layout is described in ``docs/site.md``.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
from jinja2 import Environment, FileSystemLoader, select_autoescape

from openepb.context import Log
from openepb.contract import STATIC_DIR, labels
from openepb.contract.counting import COUNTED, COUNTED_NOTE
from openepb.contract.formats import get as get_format
from openepb.contract.sources import ROOT, SCHEMA_DIR
from openepb.contract.tables import has_table
from openepb.fileio import prune_tree, sha256_of, write_bytes_atomically, write_if_changed
from openepb.publish.files import EXPORT_FILES
from openepb.publish.names import display_name, full_name
from openepb.publish.orgs import write_org_lists
from openepb.publish.search import write_search_index
from openepb.resolve.entities import BRANCH_MARK, NUMBER_MARK, REGION_MARK, RULES, legal_forms
from openepb.validate.page import validator_context

TEMPLATES_DIR = ROOT / "templates"

SITE_FORMAT = 1
#: Latest conclusions stored per organization (the page shows them with provenance).
LATEST_PER_ORG = 10
#: A detail shard is closed once its JSON passes this many bytes.
DETAIL_SHARD_BYTES = 64_000
#: Longest object name kept in the latest conclusions (the exports hold the full text).
OBJECT_NAME_CHARS = 160

#: Roles: key → (id column, name column, values of ``organizations.role``).
ROLES: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "expert": ("expert_org_id", "expert_org_name", ("expert", "expert_org")),
    "applicant": ("applicant_id", "applicant_name", ("applicant",)),
}

#: Role titles as the site shows them (plural: a list of such organizations).
ROLE_TITLES: dict[str, str] = {"expert": "экспертные организации", "applicant": "заявители"}

#: Pages: template → (output file, title, navigation label or None when not in the menu).
PAGES: tuple[tuple[str, str, str, str | None], ...] = (
    ("pulse.html", "index.html", "Пульс экспертиз", "Пульс экспертиз"),
    ("orgs.html", "orgs.html", "Организации", "Организации"),
    ("org.html", "org.html", "Организация", None),
    ("review.html", "review.html", "Объединение организаций", "Объединение"),
    ("top.html", "top.html", "ТОП-30 по годам", "ТОП-30 по годам"),
    ("downloads.html", "downloads.html", "Скачать данные", "Скачать"),
    ("validate.html", "validate.html", "Проверка файла реестра", "Проверить файл"),
    ("about.html", "about.html", "О данных и методике", "О методике"),
    ("search.html", "search.html", "Поиск заключений", None),
    ("conclusion.html", "conclusion.html", "Заключение", None),
)

#: Nav entries for pages other modules write into the site (documentation, quality, validator).
EXTRA_NAV: tuple[tuple[str, str], ...] = (
    ("quality.html", "Качество данных"),
    ("docs/index.html", "Документация"),
)


#: DuckDB's memory for the site's queries (windows over every record); it spills to disk past it.
DUCKDB_MEMORY_LIMIT = "2GB"


def site_nav() -> list[tuple[str, str]]:
    """The nav every page shows, including pages written by other modules."""
    return [(out, label) for _, out, _, label in PAGES if label] + list(EXTRA_NAV)


#: Export files the Downloads page describes, in its order: name → (title, note) (publish/files.py).
EXPORT_NOTES: dict[str, tuple[str, str]] = {
    f.name: (f.title, f.note) for f in EXPORT_FILES if "*" not in f.name
}

#: Files of ``schema/`` published beside the exports: name → (title, note).
SCHEMA_FILES: dict[str, tuple[str, str]] = {
    "epb-register.xsd": ("Схема XML (XSD)", "Описание формата XML реестра, элемент за элементом."),
    "template.xlsx": (
        "Шаблон Excel для территориальных органов",
        "Лист «Реестр» со списками допустимых значений и листом «Инструкция».",
    ),
}


#: Rows per page of the review tables: one JSON file per page, the first page also in the HTML.
REVIEW_PAGE_ROWS = 50
#: Spellings shown per organization in the review table (all of them are on its own page).
REVIEW_SPELLINGS = 12
#: Near-misses kept apart shown on an organization's page.
NEAR_PER_ORG = 10

#: How the resolver placed a spelling (code of ``openepb.resolve.entities.RULES``) → what the site says.
RULE_PHRASES: dict[str, str] = {
    "licence": "по лицензии",
    "licence_other_inn": "по лицензии, но с ИНН другой организации (выделено отдельно)",
    "inn": "по ИНН",
    "inn_branch": "по ИНН головной организации и слову «филиал» (филиал — отдельная организация)",
    "inn_licence": "по ИНН лицензиата",
    "inn_licence_name": "по ИНН; у ИНН несколько лицензий, выбрана лицензия с тем же названием",
    "inn_successor": "по ИНН; у ИНН несколько лицензий, выбрана последняя",
    "name_strong": "совпадает название, форма и признаки единственной организации с ИНН или лицензией",
    "name_ambiguous": "название есть у нескольких организаций с ИНН или лицензией — оставлено отдельно",
    "name": "совпадает название, форма и признаки",
    "name_formless": "название без формы совпадает с единственной организацией",
    "alias_merge": "ручное объединение (aliases.yaml)",
    "alias_split": "ручное разделение (aliases.yaml)",
}
_RULE_CODES = {text: code for code, text in RULES.items()}

#: Kinds of near-misses kept apart (``merge_candidates.kind``): code → (title, what it means).
CANDIDATE_KINDS: dict[str, tuple[str, str]] = {
    "ambiguous": (
        "неоднозначное название",
        "написание без ИНН и лицензии, такое же название есть у нескольких организаций с ИНН или лицензией",
    ),
    "same_name": ("одно название, разные ИНН или лицензии", "по правилам это разные организации"),
    "legal_form": (
        "разные формы",
        "одно название и признаки, разные организационно-правовые формы (АО / ООО, МУП / ГУП)",
    ),
    "place": ("место указано у одной", "у одной стороны указан населённый пункт или регион, у другой нет"),
    "renamed": ("переименование", "две организации, связанные как прежнее наименование и правопреемник"),
    "descriptor": ("разный вид организации", "названия различаются только сокращением вида (НПФ, НТЦ, ИЦ…)"),
    "similar": ("похожие названия", "похожие слова при одинаковых признаках и совместимой форме"),
}
#: Review views besides the kinds: merged organizations, and all near-misses.
REVIEW_VIEWS: dict[str, str] = {"merged": "объединённые организации", "all": "все близкие пары"}


@dataclass
class RenderReport:
    site_dir: Path
    pages: list[str] = field(default_factory=list)
    detail_shards: dict[str, int] = field(default_factory=dict)
    organizations: dict[str, int] = field(default_factory=dict)
    #: Review rows per role and view (``merged``, ``all``, each kind).
    review: dict[str, dict[str, int]] = field(default_factory=dict)
    exports: int = 0
    files: int = 0
    bytes: int = 0
    seconds: float = 0.0

    def lines(self) -> list[str]:
        shards = ", ".join(f"{role} {n}" for role, n in self.detail_shards.items())
        return [
            f"site: {len(self.pages)} pages, organization shards: {shards}, exports: {self.exports}",
            f"site: {self.files} files, {self.bytes / 1e6:.1f} MB in {self.site_dir}",
            f"site: done in {self.seconds:.1f} s",
        ]


# ---------------------------------------------------------------------------------------------
# Writing files


def write_json(path: Path, obj: Any) -> int:
    """Compact UTF-8 JSON, written under a temporary name and renamed; returns its size."""
    data = json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    write_bytes_atomically(path, data)
    return len(data)


def write_json_kept(path: Path, obj: Any, written: set[Path]) -> None:
    """``write_json`` leaving a file that already holds these bytes as it is; adds ``path`` to
    ``written`` (what the folder keeps when ``prune_tree`` deletes the rest)."""
    write_if_changed(path, json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))
    written.add(path)


def shards_by_size(entries: list[list[Any]], limit: int) -> Iterator[list[list[Any]]]:
    """Consecutive runs of entries whose JSON stays near ``limit`` bytes (at least one entry each)."""
    shard: list[list[Any]] = []
    size = 0
    for entry in entries:
        cost = len(json.dumps(entry, ensure_ascii=False, separators=(",", ":")).encode("utf-8")) + 1
        if shard and size + cost > limit:
            yield shard
            shard, size = [], 0
        shard.append(entry)
        size += cost
    if shard:
        yield shard


# ---------------------------------------------------------------------------------------------
# Reading the store


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


@dataclass
class OrgFacts:
    """What the store knows of one organization beyond its counts."""

    name: str
    licence: str | None = None
    licence_status: str | None = None
    licence_date: str | None = None
    licence_name: str | None = None
    inn: str | None = None
    spellings: list[list[Any]] = field(default_factory=list)
    inns: list[str] = field(default_factory=list)
    #: ``[[spelling, records, INN, licence, how it was placed], …]`` (the resolver's evidence).
    evidence: list[list[Any]] = field(default_factory=list)
    predecessor: str | None = None
    successor: str | None = None
    #: Near-misses kept apart: ``[[other id, other name, kind, score], …]``.
    near: list[list[Any]] = field(default_factory=list)


def load_org_facts(
    con: duckdb.DuckDBPyConnection, role: str, candidates: list[Candidate] | None = None
) -> dict[str, OrgFacts]:
    """Organizations of a role that have records: the resolver's facts, or the record names alone.
    ``candidates`` (the role's near-misses, read from the store when not given) fill ``near``."""
    id_col, name_col, values = ROLES[role]
    spelled = con.execute(
        f"""SELECT {id_col}, {name_col}, count(*) AS n FROM records
            WHERE {id_col} IS NOT NULL AND {name_col} IS NOT NULL
            GROUP BY ALL ORDER BY 1, n DESC, 2"""
    ).fetchall()
    facts: dict[str, OrgFacts] = {}
    for org_id, name, n in spelled:
        facts.setdefault(org_id, OrgFacts(name)).spellings.append([name, n])
    for (org_id,) in con.execute(
        f"SELECT DISTINCT {id_col} FROM records WHERE {id_col} IS NOT NULL"
    ).fetchall():
        facts.setdefault(org_id, OrgFacts(org_id))
    if has_table(con, "organizations"):
        rows = con.execute(
            """SELECT id, display_name, licence_number, licence_status, licence_date, licence_name, inn,
                      spellings, inns, evidence, predecessor_id, successor_id
               FROM organizations WHERE role IN (SELECT unnest(?))""",
            [list(values)],
        ).fetchall()
        for (
            org_id,
            display,
            licence,
            status,
            issued,
            lname,
            inn,
            spellings,
            inns,
            evidence,
            pred,
            succ,
        ) in rows:
            fact = facts.get(org_id)
            if fact is None:
                continue
            fact.name = display or fact.name
            fact.licence, fact.licence_status, fact.licence_name, fact.inn = licence, status, lname, inn
            fact.licence_date = _iso(issued) if isinstance(issued, date) else issued
            if spellings:
                fact.spellings = [[s["name"], s["count"]] for s in json.loads(spellings)]
            fact.inns = json.loads(inns) if inns else []
            fact.evidence = evidence_rows(evidence)
            fact.predecessor, fact.successor = pred, succ
    if candidates is None:
        candidates = load_candidates(con, role)
    for candidate in candidates:
        for this, other in ((candidate.a, candidate.b), (candidate.b, candidate.a)):
            fact = facts.get(this.id)
            if fact is not None and len(fact.near) < NEAR_PER_ORG:
                fact.near.append([other.id, other.name, candidate.kind, _score(candidate.score)])
    return facts


def rule_phrase(rule: str | None) -> str:
    """The site's wording of how a spelling was placed; an unknown rule is shown as the resolver wrote it."""
    if not rule:
        return "—"
    return RULE_PHRASES.get(_RULE_CODES.get(rule, rule), rule)


def evidence_rows(evidence_json: str | None) -> list[list[Any]]:
    """``organizations.evidence`` as ``[[spelling, records, INN, licence, how placed], …]``."""
    if not evidence_json:
        return []
    return [
        [e.get("name") or "", e.get("count") or 0, e.get("inn"), e.get("licence"), rule_phrase(e.get("rule"))]
        for e in json.loads(evidence_json)
    ]


# ---------------------------------------------------------------------------------------------
# Merge review: merged organizations and near-misses kept apart


@dataclass(frozen=True)
class CandidateSide:
    id: str
    name: str
    key: str
    marks: tuple[str, ...]
    inn: str
    licence: str

    def cell(self) -> list[Any]:
        """``[id, name, INN, licence]`` as the review page shows one side of a pair."""
        return [self.id, self.name, self.inn or None, self.licence or None]


@dataclass(frozen=True)
class Candidate:
    kind: str
    score: float
    reason: str
    a: CandidateSide
    b: CandidateSide


def load_candidates(con: duckdb.DuckDBPyConnection, role: str) -> list[Candidate]:
    """Near-misses of a role in the order of ``merge_candidates.csv``: best score first."""
    if not has_table(con, "merge_candidates"):
        return []
    values = list(ROLES[role][2])
    rows = con.execute(
        """SELECT kind, score, reason, id_a, name_a, key_a, marks_a, inn_a, licence_a,
                  id_b, name_b, key_b, marks_b, inn_b, licence_b
           FROM merge_candidates WHERE role IN (SELECT unnest(?))
           ORDER BY score DESC, id_a, id_b, reason""",
        [values],
    ).fetchall()

    def side(values: tuple) -> CandidateSide:
        org_id, name, key, marks, inn, licence = values
        split = tuple(m.strip() for m in (marks or "").split(";") if m.strip())
        return CandidateSide(org_id, name or "", key or "", split, inn or "", licence or "")

    return [Candidate(r[0] or "", float(r[1] or 0), r[2] or "", side(r[3:9]), side(r[9:15])) for r in rows]


def _form_codes() -> frozenset[str]:
    return frozenset(form.code for form in legal_forms())


def _region_names() -> dict[str, str]:
    return {code.title: code.value for code in get_format("Region").codes}


def split_key(key: str, forms: frozenset[str]) -> tuple[str, str]:
    """A normalized name (``МУП водоканал``) as (legal form, words): the form is the leading code."""
    head, _, rest = key.partition(" ")
    return (head, rest) if head in forms else ("", key)


def mark_class(mark: str) -> str:
    """Which kind of distinguishing token a mark is, as the review page names it."""
    if mark.startswith(NUMBER_MARK):
        return "номер"
    if mark == BRANCH_MARK:
        return "филиал"
    if mark.startswith(REGION_MARK):
        return "регион"
    return "город" if mark.startswith("г. ") else "населённый пункт"


def _mark_text(mark: str, regions: dict[str, str]) -> str:
    if mark.startswith(REGION_MARK):
        code = mark[len(REGION_MARK) :]
        return f"{regions[code]} ({code})" if code in regions else mark
    return mark


def differences(a: CandidateSide, b: CandidateSide, forms: frozenset[str], regions: dict[str, str]) -> list:
    """What tells the two sides apart: ``[[what, side a, side b], …]`` (form, words, each kind of
    distinguishing token, ИНН, licence); ``—`` where a side has none."""
    out: list[list[str]] = []
    form_a, words_a = split_key(a.key, forms)
    form_b, words_b = split_key(b.key, forms)
    if form_a != form_b:
        out.append(["форма", form_a or "—", form_b or "—"])
    if words_a != words_b:
        out.append(["наименование", words_a or "—", words_b or "—"])
    classes = list(dict.fromkeys(mark_class(m) for m in (*a.marks, *b.marks)))
    for label in classes:
        mine = [_mark_text(m, regions) for m in a.marks if mark_class(m) == label]
        theirs = [_mark_text(m, regions) for m in b.marks if mark_class(m) == label]
        if mine != theirs:
            out.append([label, "; ".join(mine) or "—", "; ".join(theirs) or "—"])
    if a.inn != b.inn:
        out.append(["ИНН", a.inn or "—", b.inn or "—"])
    if a.licence != b.licence:
        out.append(["лицензия", a.licence or "—", b.licence or "—"])
    return out


def _score(value: float) -> int | float:
    """A similarity as JSON shows it: ``100``, ``93.5``."""
    return int(value) if float(value).is_integer() else value


def candidate_row(c: Candidate, forms: frozenset[str], regions: dict[str, str]) -> list[Any]:
    """``[kind, score, side a, side b, reason, differences]``; a side is ``[id, name, INN, licence]``."""
    return [c.kind, _score(c.score), c.a.cell(), c.b.cell(), c.reason, differences(c.a, c.b, forms, regions)]


def merged_row(org_id: str, fact: OrgFacts, records: int) -> list[Any]:
    """``[id, name, records, spellings, INNs, licence, evidence (first REVIEW_SPELLINGS)]``."""
    return [
        org_id,
        display_name(fact.name),
        records,
        len(fact.spellings),
        fact.inns,
        fact.licence,
        fact.evidence[:REVIEW_SPELLINGS],
    ]


def review_views(
    facts: dict[str, OrgFacts], counts: dict[str, int], candidates: list[Candidate]
) -> dict[str, list[list[Any]]]:
    """The rows of every review view of one role: ``merged`` (organizations with more than one
    spelling, busiest first), ``all`` near-misses and one view per kind that occurs."""
    merged = [
        merged_row(org_id, fact, counts.get(org_id, 0))
        for org_id, fact in facts.items()
        if len(fact.spellings) > 1
    ]
    merged.sort(key=lambda row: (-row[2], row[0]))
    forms, regions = _form_codes(), _region_names()
    pairs = [candidate_row(c, forms, regions) for c in candidates]
    views: dict[str, list[list[Any]]] = {"merged": merged, "all": pairs}
    for kind in [*CANDIDATE_KINDS, *sorted({row[0] for row in pairs} - set(CANDIDATE_KINDS))]:
        rows = [row for row in pairs if row[0] == kind]
        if rows:
            views[kind] = rows
    return views


def review_context(index: dict[str, Any], views: dict[str, dict[str, list]], exports: bool) -> dict:
    """What ``review.html`` renders at build time: counts per role and view, and the default view
    (the first role's merged organizations, page 1) so the page reads without JavaScript."""
    role = next(iter(ROLES))
    return {
        "index": index,
        "roles": {r: ROLE_TITLES[r] for r in ROLES},
        "default_role": role,
        "default_view": "merged",
        "rows": views.get(role, {}).get("merged", [])[:REVIEW_PAGE_ROWS],
        "pages": index["roles"].get(role, {}).get("merged", {}).get("pages", 1),
        "exports": exports,
    }


def _default_variant(manifest: dict[str, Any]) -> str | None:
    return "active" if "active" in manifest["variants"] else next(iter(manifest["variants"]), None)


def default_combo(manifest: dict[str, Any], rank_dir: Path) -> dict[str, Any] | None:
    """The combination file of the default filter (all years, types and regions), or None."""
    variant = _default_variant(manifest)
    years = manifest.get("years") or []
    if not variant or not years:
        return None
    path = rank_dir / variant / "c" / f"{years[0]}-{years[-1]}" / "all" / "all.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


def orgs_default(manifest: dict[str, Any], rank_dir: Path) -> dict[str, Any]:
    """The first page of «Организации» under the default filter (all years, types and regions, expert
    organizations, by count), written into ``orgs.html`` so the page reads without JavaScript."""
    role = next(iter(ROLES))
    combo = default_combo(manifest, rank_dir)
    if combo is None:
        return {"role": role, "rows": [], "total": 0, "orgs": 0, "pages": 1}
    orgs = combo["distinct"][manifest["distinct"].index(role)]
    rows = combo["top"][role]
    return {
        "role": role,
        "rows": rows,
        "total": combo["n"],
        "orgs": orgs,
        "pages": max(1, -(-orgs // len(rows or [0]))),
    }


#: Rows of each TOP on «Пульс» (``TOP_SHOWN.pulse`` in app.js).
PULSE_TOP = 20


def pulse_default(manifest: dict[str, Any], rank_dir: Path) -> dict[str, Any] | None:
    """«Пульс» under the default filter (all years, types and regions): the figures, each chart's
    table and the TOP-20s, written into ``index.html`` so the page reads without JavaScript."""
    combo = default_combo(manifest, rank_dir)
    if combo is None:
        return None
    years = manifest["years"]
    distinct = dict(zip(manifest["distinct"], combo["distinct"], strict=True))
    types = [{**t, "count": n} for t, n in zip(manifest["types"], combo["type"], strict=True) if n > 0]
    districts = [
        {**d, "count": n} for d, n in zip(manifest["districts"], combo["district"], strict=True) if n > 0
    ]
    month = combo["month"]
    n = combo["n"]
    types = sorted(types, key=lambda t: -t["count"])
    districts = sorted(districts, key=lambda d: -d["count"])
    rows = {
        "year": [
            [str(y), format_number(c), share_of(c, n)] for y, c in zip(years, combo["year"], strict=True)
        ],
        "type": [
            [f"{t['code']} — {t['name']}", format_number(t["count"]), share_of(t["count"], n)] for t in types
        ],
        "month": [
            [str(y), *(format_number(v) for v in month[k * 12 : k * 12 + 12])] for k, y in enumerate(years)
        ],
        "district": [[d["name"], format_number(d["count"]), share_of(d["count"], n)] for d in districts],
    }
    return {
        "rows": rows,
        "n": combo["n"],
        "distinct": distinct,
        "nodate": combo["nodate"],
        "types": types,
        "top": {role: rows[:PULSE_TOP] for role, rows in combo["top"].items()},
    }


def top_default(manifest: dict[str, Any], rank_dir: Path) -> dict[str, Any] | None:
    """The TOP-N of expert organizations by year over all types (``m/expert/all.json``), latest
    year first, written into ``top.html`` so the page reads without JavaScript."""
    variant = _default_variant(manifest)
    path = rank_dir / str(variant) / "m" / "expert" / "all.json"
    if not variant or not path.exists():
        return None
    table = json.loads(path.read_text(encoding="utf-8"))
    sections = [
        {"year": year, "rows": table["top"][k], "earlier": table["years"][:k], "first": k == 0}
        for k, year in enumerate(table["years"])
    ]
    return {"sections": sections[::-1]}


def write_review(site_data: Path, views: dict[str, dict[str, list[list[Any]]]]) -> dict[str, Any]:
    """Write ``review/{role}/{view}/{page}.json`` (pages from 1, ``REVIEW_PAGE_ROWS`` rows each) and
    ``review/index.json``; return the index (rows and pages per role and view)."""
    folder = site_data / "review"
    written: set[Path] = set()
    index: dict[str, Any] = {
        "page_rows": REVIEW_PAGE_ROWS,
        "role_titles": ROLE_TITLES,
        "views": REVIEW_VIEWS,
        "kinds": {k: list(v) for k, v in CANDIDATE_KINDS.items()},
        "roles": {},
    }
    for role, by_view in views.items():
        counts = {}
        for view, rows in by_view.items():
            pages = max(1, -(-len(rows) // REVIEW_PAGE_ROWS))
            for page in range(pages):
                chunk = rows[page * REVIEW_PAGE_ROWS : (page + 1) * REVIEW_PAGE_ROWS]
                write_json_kept(folder / role / view / f"{page + 1}.json", chunk, written)
            counts[view] = {"rows": len(rows), "pages": pages}
        index["roles"][role] = counts
    write_json_kept(folder / "index.json", index, written)
    prune_tree(folder, written)  # what an earlier build wrote and this one did not
    return index


def load_latest(con: duckdb.DuckDBPyConnection, role: str, per_org: int) -> dict[str, list[tuple]]:
    """The newest conclusions of every organization of a role, newest first."""
    id_col = ROLES[role][0]
    rows = con.execute(
        f"""SELECT {id_col}, reg_number, date_registered, left(object_name, {OBJECT_NAME_CHARS}),
                   office_code, source_file, source_table, source_row, excluded_date, conclusion_result
            FROM records WHERE {id_col} IS NOT NULL
            QUALIFY row_number() OVER (PARTITION BY {id_col}
                    ORDER BY date_registered DESC NULLS LAST, reg_number DESC) <= {int(per_org)}
            ORDER BY {id_col}, date_registered DESC NULLS LAST, reg_number DESC"""
    ).fetchall()
    latest: dict[str, list[tuple]] = {}
    for row in rows:
        latest.setdefault(row[0], []).append(row[1:])
    return latest


# ---------------------------------------------------------------------------------------------
# Organization details and search index


def detail_shard(ids: list[str], facts: dict[str, OrgFacts], latest: dict[str, list[tuple]]) -> dict:
    """One detail shard: its own table of source files, and one entry per organization.

    Entry: ``[id, name, licence, licence_status, licence_date, licence_name, inn, spellings,
    latest, resolution]``; spellings ``[[name, count], …]``; latest ``[[reg_number, date, object,
    office, file index, table, row, excluded date, verdict], …]`` (verdict: ``conclusion_result`` or
    null); resolution ``{inns, evidence, predecessor, successor, near}``: every INN, the evidence
    ``[[spelling, records, INN, licence, how placed], …]``, the linked organizations ``[id, name]``
    (or null) and the near-misses kept apart ``[[id, name, kind, score], …]``.
    """
    files: dict[str, int] = {}
    entries = []
    for org_id in ids:
        fact = facts[org_id]
        rows = []
        for reg, day, obj, office, src, table, row, excluded, verdict in latest.get(org_id, []):
            index = files.setdefault(src, len(files)) if src else None
            rows.append([reg, _iso(day), obj, office, index, table, row, _iso(excluded), verdict])
        entries.append(
            [
                org_id,
                full_name(fact.name),
                fact.licence,
                fact.licence_status,
                fact.licence_date,
                fact.licence_name,
                fact.inn,
                fact.spellings,
                rows,
                {
                    "inns": fact.inns,
                    "evidence": fact.evidence,
                    "predecessor": _link(fact.predecessor, facts),
                    "successor": _link(fact.successor, facts),
                    "near": fact.near,
                },
            ]
        )
    return {"files": list(files), "orgs": entries}


def _link(org_id: str | None, facts: dict[str, OrgFacts]) -> list[str] | None:
    """A linked organization as ``[id, name]`` (its id alone when it has no records)."""
    if not org_id:
        return None
    fact = facts.get(org_id)
    return [org_id, display_name(fact.name) if fact else org_id]


def _entry_cost(org_id: str, fact: OrgFacts, latest: list[tuple]) -> list[Any]:
    """A stand-in of an entry's JSON size for cutting shards (files are counted inline)."""
    return [
        org_id,
        fact.name,
        fact.spellings,
        fact.evidence,
        fact.inns,
        fact.near,
        [[str(v) for v in row] for row in latest],
    ]


def write_details(
    site_data: Path,
    role: str,
    facts: dict[str, OrgFacts],
    latest: dict,
    pieces: dict | None = None,
    office_pieces: dict | None = None,
) -> list[str]:
    """Write the detail shards of a role; return the first id of each shard (ids in code-point order).
    ``pieces`` (id → the pieces of its list of conclusions, ``openepb.publish.orgs``) go into entry 10,
    ``office_pieces`` (id → office → the pieces of that office) into entry 11."""
    ids = sorted(facts)
    costed = [_entry_cost(i, facts[i], latest.get(i, [])) for i in ids]
    first_ids: list[str] = []
    folder = site_data / "org" / role
    written: set[Path] = set()
    for number, shard in enumerate(shards_by_size(costed, DETAIL_SHARD_BYTES)):
        shard_ids = [entry[0] for entry in shard]
        first_ids.append(shard_ids[0])
        shard_data = detail_shard(shard_ids, facts, latest)
        if pieces is not None:
            for entry in shard_data["orgs"]:
                entry.append(pieces.get(entry[0], []))
                entry.append((office_pieces or {}).get(entry[0], {}))
        write_json_kept(folder / f"{number}.json", shard_data, written)
    prune_tree(folder, written)  # shards of an earlier build past this one's last
    return first_ids


def search_entries(facts: dict[str, OrgFacts], counts: dict[str, int]) -> list[list[Any]]:
    """Search index of a role: ``[id, name, [other spellings], licence or ИНН, records]``, busiest first."""
    entries = []
    for org_id, fact in facts.items():
        others = [s[0] for s in fact.spellings if s[0] != fact.name]
        entries.append(
            [org_id, display_name(fact.name), others, fact.licence or fact.inn or "", counts.get(org_id, 0)]
        )
    entries.sort(key=lambda e: (-e[4], e[0]))
    return entries


def record_counts(con: duckdb.DuckDBPyConnection, role: str) -> dict[str, int]:
    id_col = ROLES[role][0]
    return dict(
        con.execute(
            f"SELECT {id_col}, count(*) FROM records WHERE {id_col} IS NOT NULL AND {COUNTED} GROUP BY 1"
        ).fetchall()
    )


# ---------------------------------------------------------------------------------------------
# Downloads


@dataclass(frozen=True)
class Download:
    path: str | None  # relative to the site root, an external URL, or None (not on the site)
    name: str
    title: str
    note: str
    bytes: int
    rows: int | None
    sha256: str


def read_checksums(folder: Path) -> dict[str, str]:
    sums = folder / "SHA256SUMS"
    if not sums.exists():
        return {}
    pairs = (line.split(maxsplit=1) for line in sums.read_text(encoding="utf-8").splitlines() if line)
    return {name.strip().lstrip("*"): digest for digest, name in pairs}


def export_row_counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Rows of each export, from the store the exports were written from."""
    records = con.execute("SELECT count(*) FROM records").fetchone()[0]
    counts = {"records.csv": records, "records.parquet": records, "records.xml": records}
    counts["rejects.csv"] = con.execute("SELECT count(*) FROM rejects").fetchone()[0]
    if has_table(con, "organizations"):
        counts["organizations.csv"] = con.execute("SELECT count(*) FROM organizations").fetchone()[0]
    for office, n in con.execute(
        "SELECT office_code, count(*) FROM records WHERE office_code IS NOT NULL GROUP BY 1"
    ).fetchall():
        counts[f"offices/{office}.xml"] = n
    return counts


#: Static hosts cap a site's size (GitHub Pages: about 1 GB): an export file larger than this is not
#: copied into the site; the Downloads page links it under OPENEPB_DOWNLOADS_URL (a release, say).
SITE_FILE_LIMIT_MB = 100


def site_file_limit() -> int:
    return int(os.environ.get("OPENEPB_SITE_FILE_LIMIT_MB", SITE_FILE_LIMIT_MB)) * 1024 * 1024


def publish_exports(exports_dir: Path, site_dir: Path, *, max_bytes: int | None = None) -> Path:
    """Make the exports available under ``site/exports`` (hard links where possible, else copies);
    files over ``max_bytes`` stay out of the site."""
    target = site_dir / "exports"
    if exports_dir.resolve() == target.resolve():
        return target
    if target.exists():
        shutil.rmtree(target)
    for source in sorted(p for p in exports_dir.rglob("*") if p.is_file() and not p.name.startswith(".")):
        if max_bytes is not None and source.stat().st_size > max_bytes:
            continue
        dest = target / source.relative_to(exports_dir)
        dest.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(source, dest)
        except OSError:
            shutil.copy2(source, dest)
    return target


def office_names(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    if not has_table(con, "offices"):
        return {}
    return dict(con.execute("SELECT code, coalesce(name, short, code) FROM offices").fetchall())


def release_asset_name(name: str) -> str:
    """Release assets have flat names: ``offices/cntr.xml`` is published as ``offices-cntr.xml``."""
    return name.replace("/", "-")


def list_downloads(
    folder: Path,
    prefix: str,
    rows: dict[str, int],
    offices: dict[str, str] | None = None,
    *,
    published: Path | None = None,
    external: str | None = None,
) -> list[Download]:
    """Every file of an export folder, described files first, each with size and sha256.

    With ``published`` (the site's copy), a file missing there links to ``external`` + its name, or
    to nothing when no external location is set.
    """
    sums = read_checksums(folder)
    names = [  # dot-files (the build's stamps, temporary files) are not exports
        p.relative_to(folder).as_posix()
        for p in folder.rglob("*")
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(folder).parts)
    ]
    order = list(EXPORT_NOTES)
    names.sort(key=lambda n: (order.index(n) if n in order else len(order), n.count("/"), n))
    downloads = []
    for name in names:
        title, note = EXPORT_NOTES.get(name) or _generic_note(name, offices or {})
        path = folder / name
        digest = sums.get(name) or sha256_of(path)
        href: str | None = f"{prefix}/{name}"
        if published is not None and not (published / name).is_file():
            href = f"{external.rstrip('/')}/{release_asset_name(name)}" if external else None
        downloads.append(Download(href, name, title, note, path.stat().st_size, rows.get(name), digest))
    return downloads


def _generic_note(name: str, offices: dict[str, str]) -> tuple[str, str]:
    if name.startswith("offices/") and name.endswith(".xml"):
        code = Path(name).stem
        return (f"{offices.get(code, code)}, XML", "Записи одного территориального органа, та же схема XSD.")
    if name.startswith("structure"):
        return ("Структура набора открытых данных", "Описание полей для паспорта набора.")
    return (name, "")


def publish_schema_files(site_dir: Path) -> list[Download]:
    """Copy the XSD and the Excel template next to the exports."""
    downloads = []
    for name, (title, note) in SCHEMA_FILES.items():
        source = SCHEMA_DIR / name
        if not source.exists():
            continue
        dest = site_dir / "schema" / name
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, dest)
        downloads.append(
            Download(f"schema/{name}", name, title, note, dest.stat().st_size, None, sha256_of(dest))
        )
    return downloads


# ---------------------------------------------------------------------------------------------
# Methodology figures


def about_figures(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """Counts the methodology page cites: files by status, rejects by reason, problems, organizations."""

    def rows(sql: str) -> list[tuple]:
        return con.execute(sql).fetchall()

    figures: dict[str, Any] = {
        "records": rows(f"SELECT count(*) FROM records WHERE {COUNTED}")[0][0],
        "stored": rows("SELECT count(*) FROM records")[0][0],
        "excluded": rows("SELECT count(*) FROM records WHERE excluded_date IS NOT NULL")[0][0],
        "duplicates": rows("SELECT count(*) FROM duplicates")[0][0] if has_table(con, "duplicates") else 0,
        "offices": rows(f"SELECT count(DISTINCT office_code) FROM records WHERE {COUNTED}")[0][0],
        "files": rows("SELECT status, count(*) FROM files GROUP BY 1 ORDER BY 2 DESC, 1"),
        "formats": rows("SELECT format, count(*) FROM files GROUP BY 1 ORDER BY 2 DESC, 1"),
        "rejects": rows("SELECT reason, count(*) FROM rejects GROUP BY 1 ORDER BY 2 DESC, 1"),
        "problems": rows(
            "SELECT code, level, count(*) FROM problems GROUP BY 1, 2 ORDER BY 3 DESC, 1 LIMIT 25"
        ),
        "years": rows(f"SELECT min(year), max(year) FROM records WHERE {COUNTED}")[0],
        "orgs": [],
        "candidates": 0,
        "note": COUNTED_NOTE,
    }
    # Organizations with at least one counted conclusion (as on every other page), with the spellings
    # the resolver gathered for them; the organizations table also lists those with excluded ones only.
    has_orgs = has_table(con, "organizations")
    for role, (id_col, name_col, values) in ROLES.items():
        counted_ids = f"SELECT DISTINCT {id_col} AS id FROM records WHERE {id_col} IS NOT NULL AND {COUNTED}"
        n = rows(f"SELECT count(*) FROM ({counted_ids})")[0][0]
        if has_orgs:
            spellings = con.execute(
                f"""SELECT coalesce(sum(json_array_length(o.spellings)), 0) FROM organizations o
                    WHERE o.role IN (SELECT unnest(?)) AND o.id IN ({counted_ids})""",
                [list(values)],
            ).fetchone()[0]
        else:
            spellings = rows(
                f"""SELECT count(DISTINCT ({id_col}, {name_col})) FROM records
                    WHERE {id_col} IS NOT NULL AND {COUNTED}"""
            )[0][0]
        if n:
            figures["orgs"].append((role, n, int(spellings)))
    return figures


# ---------------------------------------------------------------------------------------------
# Pages


def asset_versions(static_dir: Path) -> dict[str, str]:
    """A short content hash per static file, appended to its URL so a new build is never served stale."""
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()[:10] for p in static_dir.iterdir() if p.is_file()
    }


def copy_static(site_dir: Path) -> dict[str, str]:
    target = site_dir / "static"
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(STATIC_DIR, target, ignore=shutil.ignore_patterns("__pycache__", "*.py"))
    return asset_versions(target)


def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["num"] = format_number
    env.filters["size"] = format_size
    env.filters["pct"] = format_share
    env.filters["share"] = share_of
    env.filters["label"] = labels.label
    env.filters["capfirst"] = capfirst
    env.globals["labels"] = labels.table()
    return env


def capfirst(text: str) -> str:
    """The first letter upper-cased, the rest as written («ИНН заявителя», not «Инн заявителя»)."""
    return text[:1].upper() + text[1:]


def format_number(value: int | float | None) -> str:
    """Russian digit grouping with a narrow no-break space: 10 398."""
    if value is None:
        return "—"
    return f"{value:,}".replace(",", "\u202f")


def format_share(value: float | None) -> str:
    """A share as the pages' script writes it (``pct`` in app.js): 9,45 %, 0,032 %."""
    if not value:
        return "0 %"
    digits = 3 if value < 0.001 else 2 if value < 0.1 else 1
    return f"{value * 100:.{digits}f}".replace(".", ",") + " %"


def share_of(count: int, total: int) -> str:
    """A share computed once from the counts and rounded once (``share`` in app.js): 1 of 22 is 4,55 %."""
    if not total or not count:
        return "0 %"
    text = f"{count / total * 100:.2f}"
    return "< 0,01 %" if text == "0.00" else text.replace(".", ",") + " %"


def format_size(value: int) -> str:
    units = (("ГБ", 1 << 30), ("МБ", 1 << 20), ("КБ", 1 << 10))
    for unit, scale in units:
        if value >= scale:
            return f"{value / scale:.1f}".replace(".", ",") + f"\u00a0{unit}"
    return f"{value}\u00a0Б"


def render_pages(site_dir: Path, context: dict[str, Any]) -> list[str]:
    env = environment()
    nav = site_nav()
    written = []
    for template, out, title, _ in PAGES:
        html = env.get_template(template).render(page=out, title=title, nav=nav, **context)
        write_bytes_atomically(site_dir / out, html.encode("utf-8"))
        written.append(out)
    return written


def _relative(path: Path, start: Path) -> str:
    return Path(os.path.relpath(path, start)).as_posix().rstrip("/") + "/"


def _tree_size(folder: Path) -> tuple[int, int]:
    """Files under ``folder`` and their bytes."""
    files = size = 0
    folders = [str(folder)]
    while folders:  # one stat per file (os.walk, isfile and getsize take two)
        try:
            entries = list(os.scandir(folders.pop()))
        except OSError:
            continue
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                folders.append(entry.path)
            elif entry.is_file():
                files += 1
                size += entry.stat().st_size
    return files, size


#: Files of ``render_site``'s ``memo_dir``: the search index's record memo, the list views' memo.
SEARCH_MEMO, VIEWS_MEMO = "search-records.arrow", "org-views.json"


def render_site(
    db_path: Path,
    rank_dir: Path,
    site_dir: Path,
    *,
    exports_dir: Path | None = None,
    quiet: bool = False,
    memo_dir: Path | None = None,
) -> RenderReport:
    """Write the site into ``site_dir``: pages, static assets, organization details, search index,
    and (when ``exports_dir`` exists) the exports with the Downloads page describing them.
    ``memo_dir`` (outside the site): where the search index and the organization lists keep what
    the next build may reuse (``openepb.publish.search.RecordMemo``, ``openepb.publish.memo``)."""
    started = time.perf_counter()
    site_dir.mkdir(parents=True, exist_ok=True)
    report = RenderReport(site_dir)
    manifest = json.loads((rank_dir / "manifest.json").read_text(encoding="utf-8"))
    site_data = site_dir / "data" / "site"
    con = duckdb.connect(str(db_path), read_only=True)
    con.execute(f"SET memory_limit = '{DUCKDB_MEMORY_LIMIT}'")  # spills past it (10 M records: docs/scale.md)
    try:
        roles: dict[str, Any] = {}
        views: dict[str, dict[str, list[list[Any]]]] = {}
        views_memo = memo_dir / VIEWS_MEMO if memo_dir is not None else None
        lists, pieces, office_pieces, _ = write_org_lists(db_path, site_data, quiet=quiet, memo=views_memo)
        for role in ROLES:
            candidates = load_candidates(con, role)
            facts = load_org_facts(con, role, candidates)
            latest = load_latest(con, role, LATEST_PER_ORG)
            first_ids = write_details(
                site_data, role, facts, latest, pieces.get(role, {}), office_pieces.get(role, {})
            )
            counts = record_counts(con, role)
            write_json(site_data / "search" / f"{role}.json", search_entries(facts, counts))
            views[role] = review_views(facts, counts, candidates)
            roles[role] = {"count": len(facts), "first_ids": first_ids}
            report.detail_shards[role] = len(first_ids)
            report.organizations[role] = len(facts)
            Log(quiet).info(f"site: {role}: {len(facts)} organizations, {len(first_ids)} detail shards")
        downloads = publish_schema_files(site_dir)
        has_exports = exports_dir is not None and exports_dir.is_dir()
        if has_exports:
            published = publish_exports(exports_dir, site_dir, max_bytes=site_file_limit())
            counts = export_row_counts(con)
            external = os.environ.get("OPENEPB_DOWNLOADS_URL")
            listed = list_downloads(
                exports_dir, "exports", counts, office_names(con), published=published, external=external
            )
            downloads = listed + downloads
            report.exports = sum(1 for d in downloads if d.path and d.path.startswith("exports/"))
        figures = about_figures(con)
    finally:
        con.close()
    search_memo = memo_dir / SEARCH_MEMO if memo_dir is not None else None
    write_search_index(db_path, site_dir / "data" / "search", quiet=quiet, memo=search_memo)
    review = write_review(site_data, views)
    report.review = {role: {v: c["rows"] for v, c in by.items()} for role, by in review["roles"].items()}
    write_json(
        site_data / "index.json",
        {
            "format": SITE_FORMAT,
            "latest": LATEST_PER_ORG,
            "roles": roles,
            "exports": has_exports,
            "list": lists,
        },
    )
    versions = copy_static(site_dir)
    context = {
        "rank_path": _relative(rank_dir, site_dir),
        "site_path": "data/site/",
        "versions": versions,
        "manifest": manifest,
        "downloads": downloads,
        "has_exports": has_exports,
        "figures": figures,
        "counted_note": COUNTED_NOTE,
        "top_n": manifest.get("top_n", 30),
        "review": review_context(review, views, has_exports),
        "orgs_default": orgs_default(manifest, rank_dir),
        "pulse_default": pulse_default(manifest, rank_dir),
        "top_default": top_default(manifest, rank_dir),
    }
    context.update(validator_context())
    report.pages = render_pages(site_dir, context)
    report.files, report.bytes = _tree_size(site_dir)
    report.seconds = time.perf_counter() - started
    for line in report.lines():
        Log(quiet).info(line)
    return report
