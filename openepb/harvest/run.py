"""Harvest: fetch every office's register pages and files into a content-addressed cache, then lay
out a mirror (one folder per office) for :func:`openepb.build.pipeline.build_database`.

Never lose data: an office whose page or files fail keeps its last good files in the mirror and is
reported stale with the reason; a file is only replaced by one that downloaded whole and looks like
data. Layout of ``cache_dir`` (see docs/harvest.md):

- ``raw/<sha256>``: every file ever fetched, by content;
- ``provenance.jsonl``: one JSON line per fetch (office, URL, link text, time, status, ETag, …);
- ``state.json``: per office the last good file set, per URL the validators for conditional GET;
- ``freshness.json``: per office last successful harvest, files and their Last-Modified.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from collections import deque
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urljoin
from urllib.robotparser import RobotFileParser

import requests

from openepb import read as readers
from openepb.contract import problems
from openepb.contract.sources import Office, Sources
from openepb.fileio import write_bytes_atomically
from openepb.harvest.crawl import Scope, Target, crawl_targets, robot_rules, visit_key
from openepb.harvest.fetch import (
    USER_AGENT,
    Fetcher,
    FetchError,
    FetchPolicy,
    fault_message,
    make_session,
)
from openepb.harvest.links import (
    FILE_EXTENSIONS,
    UnsafeName,
    content_disposition_name,
    decode_page,
    mirror_path,
    normalize_url,
    url_extension,
)
from openepb.harvest.mirror import ARCHIVE_FOLDER, FEDERAL_FOLDER

#: At most this many files are taken from one office per run (a runaway page must not flood the cache).
MAX_FILES_PER_OFFICE = 500
#: Pages of the register section (listing pages, tabs, form choices, sub-pages) fetched per office.
MAX_PAGES_PER_OFFICE = 300
#: Statuses of a link whose target is gone (a file the office deleted): a broken link, no fault.
GONE_STATUSES = frozenset({404, 410})
#: The federal site; its register of licences for expertise goes to the mirror's ``www`` folder.
FEDERAL_SITE = "https://www.gosnadzor.ru/"
LICENCE_REGISTER_PAGE = "service/list/reestr_licences_99fz/"
STATE_FILE = "state.json"
PROVENANCE_FILE = "provenance.jsonl"
FRESHNESS_FILE = "freshness.json"


def _now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


# --- report ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Fault:
    url: str
    reason: str  # a harvest code of schema/problems.yaml
    detail: str = ""

    def __post_init__(self) -> None:
        problems.spec(self.reason, "harvest")

    @property
    def message(self) -> str:
        return fault_message(self.reason, self.detail)


@dataclass
class OfficeHarvest:
    """What one run did for one office."""

    code: str
    status: str = "ok"  # ok | stale (a fault; last good files kept) | cached (offline run)
    faults: list[Fault] = field(default_factory=list)
    #: Reported, the office stays fresh: a link of an answering page to a file or page that is gone.
    problems: list[Fault] = field(default_factory=list)
    page_failed: bool = False  # no register page of the office could be fetched
    last_good: str | None = None  # time of the last harvest without a fault
    files: int = 0  # files of the office in the mirror
    bytes: int = 0
    downloaded: int = 0
    not_modified: int = 0  # conditional hits (304)

    @property
    def reason(self) -> str:
        return "; ".join(f"{f.url}: {f.message}" for f in self.faults)

    @property
    def notes(self) -> str:
        """The problems that leave the office fresh, as the report prints them."""
        return "; ".join(f"{f.url}: {f.message}" for f in self.problems)


@dataclass
class HarvestReport:
    offices: dict[str, OfficeHarvest]
    offline: bool
    started: str
    federal: OfficeHarvest | None = None  # the register of licences on the federal site
    finished: str = ""
    requests: int = 0
    conditional_requests: int = 0

    @property
    def all_failed(self) -> bool:
        """Nothing new to publish: every office's register page failed (or, offline, none is cached)."""
        if not self.offices:
            return True
        if self.offline:
            return all(o.files == 0 for o in self.offices.values())
        return all(o.page_failed for o in self.offices.values())

    @property
    def geo_blocked(self) -> bool:
        """Every office answered 403: the sites refuse this network (they block foreign addresses)."""
        if self.offline or not self.offices:
            return False
        return all(
            o.page_failed and o.faults and all(f.reason == "harvest_forbidden" for f in o.faults)
            for o in self.offices.values()
        )

    @property
    def everyone(self) -> list[OfficeHarvest]:
        """The offices and, when harvested, the federal site."""
        return [*self.offices.values(), *([self.federal] if self.federal else [])]

    @property
    def downloaded(self) -> int:
        return sum(o.downloaded for o in self.everyone)

    @property
    def not_modified(self) -> int:
        return sum(o.not_modified for o in self.everyone)

    def format(self) -> str:
        """A per-office table for the terminal."""
        lines = [
            f"{'office':<8} {'status':<7} {'files':>5} {'bytes':>11} {'new':>4} {'304':>4}  last good / reason"
        ]
        for o in sorted(self.everyone, key=lambda o: o.code):
            code = o.code
            note = "; ".join(n for n in (o.reason, o.notes) if n)
            lines.append(
                f"{code:<8} {o.status:<7} {o.files:>5} {o.bytes:>11} {o.downloaded:>4} {o.not_modified:>4}  "
                f"{o.last_good or '—'} {note}".rstrip()
            )
        if self.geo_blocked:
            lines.append(
                "every office answered HTTP 403: the sites block this network (they refuse requests from "
                "outside Russia); set HTTPS_PROXY to a proxy in Russia or run on a self-hosted runner there"
            )
        elif self.all_failed:
            lines.append("every office failed: nothing new to publish")
        return "\n".join(lines)


# --- cache -----------------------------------------------------------------------------------------


@dataclass
class FileEntry:
    """One file of an office's last good set: where it came from and where it goes in the mirror."""

    url: str
    rel: str  # path inside the office folder
    sha256: str
    size: int
    kind: str  # page | file
    link_text: str = ""
    etag: str | None = None
    last_modified: str | None = None
    format: str | None = None
    fetched_at: str = ""
    changed_at: str = ""  # first harvest that saw this content at this URL (its sha256 changed then)


class Cache:
    """The content-addressed store, the provenance log and the state of the last good harvests."""

    def __init__(self, cache_dir: Path) -> None:
        self.dir = cache_dir
        self.raw = cache_dir / "raw"
        self.raw.mkdir(parents=True, exist_ok=True)
        self.tmp = cache_dir / "tmp"
        state_path = cache_dir / STATE_FILE
        self.state: dict[str, Any] = (
            json.loads(state_path.read_text(encoding="utf-8")) if state_path.exists() else {}
        )
        self.state.setdefault("offices", {})
        self.state.setdefault("urls", {})

    def raw_path(self, sha256: str) -> Path:
        return self.raw / sha256

    def has(self, sha256: str | None) -> bool:
        return bool(sha256) and self.raw_path(sha256).is_file()

    def store(self, tmp: Path, sha256: str) -> Path:
        """Move a downloaded body into ``raw/`` (a body already there is kept, the new copy dropped)."""
        target = self.raw_path(sha256)
        if target.exists():
            tmp.unlink()
        else:
            os.replace(tmp, target)
        return target

    def office_files(self, code: str) -> list[FileEntry]:
        """The office's current files, then every file it has stopped publishing (see ``retire``)."""
        saved = self.state["offices"].get(code, {})
        entries = [*saved.get("files", []), *saved.get("retired", [])]
        return [FileEntry(**e) for e in entries if self.has(e.get("sha256"))]

    def retire(self, code: str, current: list[FileEntry]) -> None:
        """Keep the files an office no longer publishes (or has replaced) under ``_archive/``.

        Offices drop last year's file or overwrite a cumulative file with the current year only; the
        register itself is cumulative, so a version once harvested stays in the mirror. The pipeline
        reads archived files after the current ones, so a record still published keeps its current
        provenance and an old copy only adds duplicates.
        """
        saved = self.state["offices"].setdefault(code, {})
        keep = {e.sha256 for e in current}
        retired = saved.setdefault("retired", [])
        known = {e["sha256"] for e in retired} | keep
        for entry in saved.get("files", []):
            if entry["kind"] == "file" and entry["sha256"] not in known:
                archived = dict(entry, rel=f"{ARCHIVE_FOLDER}/{entry['sha256'][:12]}/{entry['rel']}")
                retired.append(archived)
                known.add(entry["sha256"])

    def validators(self, url: str) -> dict[str, Any] | None:
        """The last good download of a URL, if its bytes are still in the cache."""
        known = self.state["urls"].get(url)
        return known if known and self.has(known.get("sha256")) else None

    def log(self, row: dict[str, Any]) -> None:
        with (self.dir / PROVENANCE_FILE).open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")

    def save(self) -> None:
        path = self.dir / STATE_FILE
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.state, ensure_ascii=False, indent=1), encoding="utf-8")
        os.replace(tmp, path)
        shutil.rmtree(self.tmp, ignore_errors=True)


# --- one office ------------------------------------------------------------------------------------


class OfficeHarvester:
    """Fetches one office's register pages and the files they link; keeps last good ones on faults."""

    def __init__(self, office: Office, cache: Cache, fetcher: Fetcher) -> None:
        self.office = office
        self.cache = cache
        self.fetcher = fetcher
        self.result = OfficeHarvest(office.code)
        self.entries: dict[str, FileEntry] = {}  # url → entry of this run
        self.used_rels: set[str] = set()
        self.robots: RobotFileParser | None = None

    def run(self) -> list[FileEntry]:
        """Crawl the office's register section (:mod:`openepb.harvest.crawl`), each URL once."""
        previous = self.cache.office_files(self.office.code)
        starts = [normalize_url(u) for u in self.office.register_urls]
        scope = Scope.of(starts)
        queue = deque(Target(u, "page", "", 0) for u in starts)
        seen = {visit_key(u) for u in starts}
        starts_ok, found_any, pages, files = 0, False, 0, 0
        while queue:
            target = queue.popleft()
            start = target.depth == 0 and target.url in starts
            if target.wander and not self._allowed(target.url):
                continue
            if target.kind == "page":
                if pages >= MAX_PAGES_PER_OFFICE:
                    continue
                pages += 1
            elif files >= MAX_FILES_PER_OFFICE:
                continue
            else:
                files += 1
            entry = self._fetch(target.url, target.kind, target.text, gone_is_fault=start)
            if entry is None or (target.kind == "file" and entry.format != "html"):
                continue
            body = self.cache.raw_path(entry.sha256).read_bytes()
            targets = crawl_targets(body, target.url, scope, target.depth)
            more = [t for t in targets if visit_key(t.url) not in seen]
            seen.update(visit_key(t.url) for t in more)
            if start:
                starts_ok += 1
                found_any |= any(t.kind == "file" for t in targets) or b"<table" in body.lower()
            queue.extendleft(reversed([t for t in more if t.kind == "file"]))  # a page's files first
            queue.extend(t for t in more if t.kind == "page")
        self.result.page_failed = starts_ok == 0
        if self.result.page_failed:
            return previous
        if not found_any and any(e.kind == "file" for e in previous):
            self._fault(self.office.register_urls[0], "harvest_empty_page", f"было файлов: {len(previous)}")
            return previous
        return self._with_last_good(previous)

    def _allowed(self, url: str) -> bool:
        """robots.txt of the office's site allows a sub-page (fetched once, on the first one asked)."""
        if not self.fetcher.policy.robots:
            return True
        if self.robots is None:
            self.robots = robot_rules(self._robots_text(urljoin(url, "/robots.txt")))
        return self.robots.can_fetch(USER_AGENT, url)

    def _robots_text(self, url: str) -> str:
        try:
            fetched = self.fetcher.get(url)
        except FetchError:
            return ""  # no robots.txt (or none answering): nothing is disallowed
        if fetched.path is None:
            return ""
        text = decode_page(fetched.path.read_bytes())
        fetched.path.unlink(missing_ok=True)
        return text

    def _with_last_good(self, previous: list[FileEntry]) -> list[FileEntry]:
        """This run's files, plus the last good version of every URL that failed this time."""
        failed = {f.url for f in (*self.result.faults, *self.result.problems)}
        kept = [e for e in previous if e.url in failed and e.url not in self.entries]
        taken = {e.rel for e in self.entries.values()}
        return list(self.entries.values()) + [e for e in kept if e.rel not in taken]

    def _fault(self, url: str, reason: str, detail: str = "") -> None:
        self.result.faults.append(Fault(url, reason, detail))

    def _fetch(self, url: str, kind: str, text: str, *, gone_is_fault: bool = True) -> FileEntry | None:
        """Fetch into the cache; a fault makes the office stale. A 404 or 410 of a linked file or
        sub-page (``gone_is_fault`` false) is a broken link: reported, the office stays fresh."""
        known = self.cache.validators(url)
        try:
            fetched = self.fetcher.get(
                url,
                etag=known.get("etag") if known else None,
                last_modified=known.get("last_modified") if known else None,
            )
        except FetchError as err:
            if not gone_is_fault and err.status in GONE_STATUSES:
                self.result.problems.append(Fault(url, "harvest_link_broken", err.detail))
                self._log(
                    url, kind, text, error=FetchError("harvest_link_broken", url, err.detail, err.status)
                )
            else:
                self._fault(url, err.reason, err.detail)
                self._log(url, kind, text, error=err)
            return None
        if fetched.not_modified and not known:
            self._fault(url, "harvest_http_error", "HTTP 304 на безусловный запрос")
            self._log(
                url, kind, text, status=304, error=FetchError("harvest_http_error", url, "HTTP 304", 304)
            )
            return None
        if fetched.not_modified and known:
            entry = FileEntry(**{**known, "kind": kind, "link_text": text or known.get("link_text", "")})
            entry.rel = self._unique_rel(entry.rel)
            entry.fetched_at = _now()
            entry.changed_at = entry.changed_at or known.get("fetched_at", "")
            self.result.not_modified += 1
        else:
            try:
                entry = self._take_download(url, kind, text, fetched)
            except FetchError as err:
                if fetched.path is not None:
                    fetched.path.unlink(missing_ok=True)
                self._fault(url, err.reason, err.detail)
                self._log(url, kind, text, error=err, status=fetched.status)
                return None
            self.result.downloaded += 1
            before = self.cache.state["urls"].get(url) or {}
            same = before.get("sha256") == entry.sha256
            entry.changed_at = (
                (before.get("changed_at") or before.get("fetched_at", "")) if same else entry.fetched_at
            )
        self.entries[url] = entry
        self.cache.state["urls"][url] = asdict(entry)
        self._log(url, kind, text, entry=entry, status=fetched.status, final_url=fetched.final_url)
        return entry

    def _take_download(self, url: str, kind: str, text: str, fetched: Any) -> FileEntry:
        assert fetched.path is not None and fetched.sha256 is not None
        name = content_disposition_name(fetched.headers.get("Content-Disposition"))
        try:
            rel = mirror_path(url, self.office.base_url, filename=name, page=kind == "page")
        except UnsafeName as err:
            raise FetchError("harvest_unsafe_name", url, repr(str(err))) from err
        fmt = _detect(fetched.path)
        if kind == "file" and fmt == "html" and _looks_like_error_page(fetched.path, url, name):
            raise FetchError("harvest_html_error_page", url, fetched.headers.get("Content-Type", ""))
        self.cache.store(fetched.path, fetched.sha256)
        return FileEntry(
            url=url,
            rel=self._unique_rel(rel),
            sha256=fetched.sha256,
            size=fetched.size,
            kind=kind,
            link_text=text,
            etag=fetched.headers.get("ETag"),
            last_modified=fetched.headers.get("Last-Modified"),
            format=fmt,
            fetched_at=_now(),
        )

    def _unique_rel(self, rel: str) -> str:
        """Two URLs that map to one mirror path (same Content-Disposition name) get ``name~2.ext``."""
        candidate, n = rel, 1
        while candidate in self.used_rels:
            n += 1
            stem, dot, ext = rel.rpartition(".")
            candidate = f"{stem}~{n}.{ext}" if dot and "/" not in ext else f"{rel}~{n}"
        self.used_rels.add(candidate)
        return candidate

    def _log(
        self,
        url: str,
        kind: str,
        text: str,
        *,
        entry: FileEntry | None = None,
        error: FetchError | None = None,
        status: int | None = None,
        final_url: str | None = None,
    ) -> None:
        row: dict[str, Any] = {
            "office": self.office.code,
            "url": url,
            "final_url": final_url,
            "kind": kind,
            "link_text": text,
            "fetched_at": _now(),
            "http_status": status if error is None else (error.status or status),
            "outcome": "failed" if error else ("not_modified" if status == 304 else "downloaded"),
        }
        if entry is not None:
            row.update(
                etag=entry.etag,
                last_modified=entry.last_modified,
                sha256=entry.sha256,
                size=entry.size,
                format=entry.format,
                path=f"{self.office.code}/{entry.rel}",
            )
        if error is not None:
            row.update(reason=error.reason, detail=error.detail)
        self.cache.log(row)


def _detect(path: Path) -> str | None:
    try:
        return readers.detect_format(path)
    except readers.ReadError:
        return None


def _looks_like_error_page(path: Path, url: str, name: str | None) -> bool:
    """An HTML body where a data file was linked, with no table in it: an error or login page.

    HTML *with* a table is a real format (Excel's "save as web page" .xls); the readers handle it.
    """
    expected_file = url_extension(url) in FILE_EXTENSIONS or (
        name is not None and ("." + name.rsplit(".", 1)[-1].lower()) in FILE_EXTENSIONS
    )
    return expected_file and b"<table" not in path.read_bytes().lower()


# --- the run ---------------------------------------------------------------------------------------


def federal_office(site_url: str) -> Office:
    """The federal site as a pseudo-office whose register page is the list of licences."""
    return Office(
        code=FEDERAL_FOLDER,
        name="Федеральная служба по экологическому, технологическому и атомному надзору",
        short="Ростехнадзор",
        district="CFD",
        site_url=site_url,
        register_urls=[urljoin(site_url, LICENCE_REGISTER_PAGE)],
        verified="URL from the licence-register scraper quoted in the domain notes",
    )


def offices_to_harvest(sources: Sources) -> list[Office]:
    """Current offices with at least one register URL, in code order."""
    return sorted((o for o in sources.offices if o.current and o.register_urls), key=lambda o: o.code)


def harvest(
    sources: Sources,
    cache_dir: Path,
    mirror_dir: Path,
    *,
    offline: bool = False,
    session: requests.Session | None = None,
    quiet: bool = False,
    policy: FetchPolicy | None = None,
    federal_site: str | None = FEDERAL_SITE,
) -> HarvestReport:
    """Fetch every office into the cache (unless ``offline``) and lay out ``mirror_dir`` from it.

    The federal site's register of licences (``federal_site``, None to skip) goes to the mirror's
    ``www`` folder; its failure is reported but never makes the run fail.
    """
    cache = Cache(cache_dir)
    report = HarvestReport({}, offline=offline, started=_now())
    fetcher = None if offline else Fetcher(session or make_session(), cache.tmp, policy)
    chosen: dict[str, list[FileEntry]] = {}
    for office in offices_to_harvest(sources):
        if fetcher is None:
            result, files = _from_cache(office, cache)
        else:
            result, files = _harvest_office(office, cache, fetcher)
        chosen[office.code] = files
        report.offices[office.code] = result
        if not quiet:
            print(f"harvest: {office.code} {result.status} ({len(files)} files)", file=sys.stderr, flush=True)
    if federal_site:
        federal = federal_office(federal_site)
        if fetcher is None:
            report.federal, chosen[federal.code] = _from_cache(federal, cache)
        else:
            report.federal, chosen[federal.code] = _harvest_office(federal, cache, fetcher)
    if fetcher is not None:
        report.requests = fetcher.requests
        report.conditional_requests = fetcher.conditional_requests
    if not report.all_failed:
        lay_out_mirror(cache, chosen, mirror_dir)
    report.finished = _now()
    cache.state["last_run"] = {"started": report.started, "finished": report.finished, "offline": offline}
    cache.save()
    write_freshness(report, cache, chosen)
    return report


def _harvest_office(office: Office, cache: Cache, fetcher: Fetcher) -> tuple[OfficeHarvest, list[FileEntry]]:
    worker = OfficeHarvester(office, cache, fetcher)
    files = worker.run()
    result = worker.result
    saved = cache.state["offices"].setdefault(office.code, {})
    saved["last_attempt"] = _now()
    if result.faults:
        result.status = "stale"
        saved["last_fault"] = [asdict(f) for f in result.faults]
    else:
        saved["last_good"] = saved["last_attempt"]
        saved.pop("last_fault", None)
    cache.retire(office.code, files)
    saved["files"] = [asdict(e) for e in files]
    files = [*files, *(FileEntry(**e) for e in saved["retired"] if cache.has(e["sha256"]))]
    result.last_good = saved.get("last_good")
    result.files = len(files)
    result.bytes = sum(e.size for e in files)
    return result, files


def _from_cache(office: Office, cache: Cache) -> tuple[OfficeHarvest, list[FileEntry]]:
    files = cache.office_files(office.code)
    saved = cache.state["offices"].get(office.code, {})
    result = OfficeHarvest(office.code, status="cached", last_good=saved.get("last_good"))
    if not files:
        result.faults.append(Fault(office.register_urls[0], "harvest_not_in_cache"))
    result.files = len(files)
    result.bytes = sum(e.size for e in files)
    return result, files


def lay_out_mirror(cache: Cache, chosen: dict[str, list[FileEntry]], mirror_dir: Path) -> None:
    """Rewrite ``mirror_dir``: one folder per office with its chosen files, copied from the cache.

    Built beside the target and swapped in, so a crash never leaves a half-written mirror.
    """
    staging = mirror_dir.with_name(mirror_dir.name + ".new")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    for code, files in chosen.items():
        root = (staging / code).resolve()
        for entry in files:
            target = (root / entry.rel).resolve()
            if not target.is_relative_to(root):  # mirror_path forbids it; checked again here
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(cache.raw_path(entry.sha256), target)
    old = mirror_dir.with_name(mirror_dir.name + ".old")
    shutil.rmtree(old, ignore_errors=True)
    if mirror_dir.exists():
        os.replace(mirror_dir, old)
    os.replace(staging, mirror_dir)
    shutil.rmtree(old, ignore_errors=True)


# --- freshness -------------------------------------------------------------------------------------


def write_freshness(report: HarvestReport, cache: Cache, chosen: dict[str, list[FileEntry]]) -> Path:
    """``freshness.json`` for the data-quality page (format in docs/harvest.md)."""
    offices = {
        code: _freshness_entry(result, cache, chosen) for code, result in sorted(report.offices.items())
    }
    data: dict[str, Any] = {"generated_at": report.finished or _now(), "offline": report.offline}
    data["offices"] = offices
    if report.federal is not None:
        data["federal"] = _freshness_entry(report.federal, cache, chosen)
    path = cache.dir / FRESHNESS_FILE
    write_bytes_atomically(path, json.dumps(data, ensure_ascii=False, indent=1).encode("utf-8"))
    return path


def _freshness_entry(
    result: OfficeHarvest, cache: Cache, chosen: dict[str, list[FileEntry]]
) -> dict[str, Any]:
    saved = cache.state["offices"].get(result.code, {})
    files = chosen.get(result.code, [])
    return {
        "status": result.status,
        "reason": result.reason or None,
        "faults": [asdict(f) | {"message": f.message} for f in result.faults],
        "problems": [asdict(f) | {"message": f.message} for f in result.problems],
        "last_attempt": saved.get("last_attempt"),
        "last_success": saved.get("last_good"),
        "last_changed": last_changed(files),
        "files": [
            {
                "path": f"{result.code}/{e.rel}",
                "url": e.url,
                "kind": e.kind,
                "sha256": e.sha256,
                "size": e.size,
                "format": e.format,
                "last_modified": e.last_modified,
                "fetched_at": e.fetched_at,
                "changed_at": e.changed_at or None,
            }
            for e in files
        ],
    }


def last_changed(files: list[FileEntry]) -> str | None:
    """When the office last changed what it publishes: the newest content change of its current
    files (pages only when it publishes no file; a page's counters and dates change every visit).

    Dates are the harvester's: a change is seen at the first harvest after it, and the first
    harvest of an office dates all its files.
    """
    current = [e for e in files if not e.rel.startswith(f"{ARCHIVE_FOLDER}/")]
    taken = [e for e in current if e.kind == "file"] or current
    dates = [e.changed_at or e.fetched_at for e in taken if e.changed_at or e.fetched_at]
    return max(dates) if dates else None
