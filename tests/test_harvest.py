"""Harvester tests against a local stand-in for the offices' websites (127.0.0.1 only).

The server serves a folder: ``/<office>/<path>`` → ``<root>/<office>/<path>``; a proxied request for
``http://<office>.gosnadzor.ru/<path>`` (absolute URL in the request line, as clients send to an HTTP
proxy) serves the same file, so no real name is ever resolved. It answers ETag / Last-Modified with
304, and plays every fault of the fault matrix on demand (``site.faults[path] = kind``).
"""

from __future__ import annotations

import datetime
import hashlib
import json
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

import duckdb
import pytest
import requests
import urllib3
import yaml

from openepb.build.exclusions import apply_exclusions, split_exclusions
from openepb.build.pipeline import build_database
from openepb.contract.sources import Sources, load_sources
from openepb.harvest.fetch import FetchPolicy
from openepb.harvest.links import (
    UnsafeName,
    content_disposition_name,
    discover_links,
    discover_pages,
    mirror_path,
    normalize_url,
    same_site,
)
from openepb.harvest.run import harvest
from openepb.normalize.rows import normalize_rows
from openepb.read import RawRow

# --- the local websites ----------------------------------------------------------------------------

ERROR_PAGE = "<html><body><h1>Ошибка</h1><p>Страница не найдена</p></body></html>".encode()
FIXED_LAST_MODIFIED = formatdate(1_700_000_000, usegmt=True)


@dataclass
class Request:
    path: str
    conditional: bool
    status: int


@dataclass
class Site:
    root: Path
    faults: dict[str, str] = field(default_factory=dict)  # decoded path → fault kind
    pages: dict[str, bytes] = field(default_factory=dict)  # decoded path → body served instead of a file
    headers: dict[str, dict[str, str]] = field(default_factory=dict)  # decoded path → extra headers
    log: list[Request] = field(default_factory=list)
    stall: float = 1.0  # seconds a "timeout" fault waits before answering
    oversize: int = 1 << 20  # bytes an "oversize" fault sends
    base: str = ""

    def url(self, office: str, path: str = "") -> str:
        return f"{self.base}/{office}/{path}"


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server: SiteServer

    def log_message(self, format: str, *args: object) -> None:  # keep test output clean
        pass

    def do_GET(self) -> None:
        site = self.server.site
        parts = urlsplit(self.path)
        path = unquote(parts.path)
        if parts.netloc and not parts.netloc.startswith(
            "127.0.0.1"
        ):  # proxied: http://<office>.gosnadzor.ru/…
            path = "/" + parts.netloc.split(".")[0] + path
        if parts.query:
            path += "?" + unquote(parts.query)
        conditional = "If-None-Match" in self.headers or "If-Modified-Since" in self.headers
        fault = site.faults.get(path)
        status = self._serve(site, path, fault)
        site.log.append(Request(path, conditional, status))

    def _serve(self, site: Site, path: str, fault: str | None) -> int:
        if fault and fault.startswith("status:"):
            return self._send(int(fault.split(":")[1]), ERROR_PAGE, {"Content-Type": "text/html"})
        if fault == "redirect_loop":
            return self._send(302, b"", {"Location": path})
        if fault == "timeout":
            time.sleep(site.stall)
        if fault == "html_error":
            return self._send(200, ERROR_PAGE, {"Content-Type": "text/html; charset=utf-8"})
        if fault == "oversize":
            return self._send(200, b"\0" * site.oversize, {"Content-Type": "application/octet-stream"})
        body = site.pages.get(path)
        if body is None:
            plain, _, query = path.lstrip("/").partition("?")
            file = site.root / plain
            if file.is_dir():  # a list page: index.html, or index.PAGEN_1=2.html as mirrors name it
                file = file / (f"index.{query}.html" if query else "index.html")
            if not file.is_file():
                return self._send(404, ERROR_PAGE, {"Content-Type": "text/html"})
            body = file.read_bytes()
        etag = '"' + hashlib.sha256(body).hexdigest()[:20] + '"'
        headers = {"ETag": etag, "Last-Modified": FIXED_LAST_MODIFIED, **site.headers.get(path, {})}
        if fault == "unsafe_name":
            headers["Content-Disposition"] = 'attachment; filename="../../x"'
        changed = fault in ("truncated", "unsafe_name")  # as if a new version were being served
        if self.headers.get("If-None-Match") == etag and not changed:
            return self._send(304, b"", headers)
        if fault == "truncated":
            return self._send_truncated(body, headers)
        return self._send(200, body, headers)

    def _send(self, status: int, body: bytes, headers: dict[str, str]) -> int:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        if status != 304:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if status != 304:
            self.wfile.write(body)
        return status

    def _send_truncated(self, body: bytes, headers: dict[str, str]) -> int:
        self.send_response(200)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body) + 1000))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body[: len(body) // 2])
        self.wfile.flush()
        self.close_connection = True
        return 200


class SiteServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, site: Site) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.site = site


@contextmanager
def serve(root: Path) -> Iterator[Site]:
    """Serve ``root`` on a free port of 127.0.0.1 for the duration of the block."""
    site = Site(root)
    server = SiteServer(site)
    site.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield site
    finally:
        server.shutdown()
        server.server_close()


# --- helpers ---------------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def only_localhost(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every name lookup but 127.0.0.1 fails: these tests never reach a real site."""
    real = socket.getaddrinfo

    def local_only(host: object, *args: object, **kwargs: object) -> object:
        if host not in ("127.0.0.1", "localhost"):
            raise socket.gaierror(-2, f"tests resolve only 127.0.0.1, not {host}")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", local_only)


FAST = FetchPolicy(connect_timeout=2, read_timeout=0.3, retries=1, backoff=0, host_interval=0)


def local_sources(site: Site, codes: list[str]) -> Sources:
    """The real offices of ``codes``, with their sites moved to the local server."""
    real = load_sources()
    offices = [
        o.model_copy(update={"site_url": site.url(o.code), "register_urls": [site.url(o.code)]})
        for o in real.offices
        if o.code in codes
    ]
    return Sources(districts=real.districts, offices=offices)


#: The federal site, reached through the local server acting as an HTTP proxy (links on it are root-relative).
FEDERAL = "http://www.gosnadzor.ru/"


def session(proxy: Site | None = None) -> requests.Session:
    s = requests.Session()
    s.trust_env = False  # a proxy of the machine running the tests must not see 127.0.0.1 traffic
    if proxy is not None:
        s.proxies = {"http": proxy.base}
    return s


def tree(root: Path) -> dict[str, str]:
    """Relative path → sha256 of every file under ``root``."""
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def records(database: Path) -> list[tuple]:
    with duckdb.connect(str(database), read_only=True) as con:
        return con.execute("SELECT * FROM records ORDER BY reg_number").fetchall()


def corpus_offices(corpus_dir: Path) -> list[str]:
    return sorted(p.name for p in corpus_dir.iterdir() if p.is_dir() and p.name != "www")


# --- links, names, paths ---------------------------------------------------------------------------

PAGE = """<html><head><meta charset="utf-8"><base href="/activity/expert/"></head><body>
<a href="/">Главная</a> <a href="../contacts/">Контакты</a> <a href="mailto:x@y.ru">почта</a>
<a href="files/Реестр 2017.xlsx">2017</a>
<a href="/upload/%D1%80%D0%B5%D0%B5%D1%81%D1%82%D1%80_2018.pdf">2018</a>
<a href="download.php?id=7">Реестр заключений ЭПБ за 2019 год</a>
<a href="archive.php">Архив новостей</a>
<a href="https://other.example.org/x.docx">чужой файл</a>
<a href="files/Реестр 2017.xlsx">дубль</a>
</body></html>"""


def test_links_by_extension_and_by_russian_text() -> None:
    links = discover_links(PAGE.encode(), "https://nvol.gosnadzor.ru/activity/expert/index.php")
    assert [(link.url, link.text) for link in links] == [
        (
            "https://nvol.gosnadzor.ru/activity/expert/files/%D0%A0%D0%B5%D0%B5%D1%81%D1%82%D1%80%202017.xlsx",
            "2017",
        ),
        ("https://nvol.gosnadzor.ru/upload/%D1%80%D0%B5%D0%B5%D1%81%D1%82%D1%80_2018.pdf", "2018"),
        ("https://nvol.gosnadzor.ru/activity/expert/download.php?id=7", "Реестр заключений ЭПБ за 2019 год"),
        ("https://other.example.org/x.docx", "чужой файл"),
    ]


def test_normalize_url_does_not_quote_twice() -> None:
    assert normalize_url("https://A.ru/upload/Реестр 1.xlsx") == normalize_url(
        "https://a.ru/upload/%D0%A0%D0%B5%D0%B5%D1%81%D1%82%D1%80%201.xlsx"
    )


@pytest.mark.parametrize(
    ("url", "filename", "expected"),
    [
        (
            "https://vdon.gosnadzor.ru/upload/%D0%B0%D1%80%D1%85%D0%B8%D0%B2/a%20b.xlsx",
            None,
            "upload/архив/a b.xlsx",
        ),
        ("https://vdon.gosnadzor.ru/activity/gosuslugi/", None, "activity/gosuslugi/index.html"),
        ("https://vdon.gosnadzor.ru/d/download.php?id=7", "Реестр 2019.xlsx", "d/Реестр 2019.xlsx"),
        ("https://vdon.gosnadzor.ru/d/download.php?id=7", None, "d/download.id=7.php"),
        ("https://vdon.gosnadzor.ru/list/?PAGEN_1=2", None, "list/index.PAGEN_1=2.html"),
        ("https://www.gosnadzor.ru/f/x.pdf", None, "www.gosnadzor.ru/f/x.pdf"),
        ("https://vdon.gosnadzor.ru/a/x:y*.pdf", None, "a/x_y_.pdf"),
    ],
)
def test_mirror_paths(url: str, filename: str | None, expected: str) -> None:
    page = url.endswith("/") or "PAGEN" in url
    assert mirror_path(url, "https://vdon.gosnadzor.ru/", filename=filename, page=page) == expected


@pytest.mark.parametrize(
    ("url", "other", "same"),
    [
        ("https://www.zural.gosnadzor.ru/a/", "https://zural.gosnadzor.ru/b.xlsx", True),
        ("https://WWW.Zural.gosnadzor.ru:443/a/", "https://zural.gosnadzor.ru/", True),
        ("http://zural.gosnadzor.ru:80/", "http://www.zural.gosnadzor.ru/", True),
        ("https://zural.gosnadzor.ru/", "https://sural.gosnadzor.ru/", False),
        ("https://www.gosnadzor.ru/", "https://zural.gosnadzor.ru/", False),
        ("http://127.0.0.1:8/a/", "http://127.0.0.1:9/a/", False),
    ],
)
def test_www_and_the_bare_host_are_one_site(url: str, other: str, same: bool) -> None:
    assert same_site(url, other) is same


def test_a_www_page_links_the_bare_hosts_files_and_pages_as_its_own() -> None:
    page = """<a href="https://lensk.gosnadzor.ru/upload/zhurnal.xlsx">Журнал 2026</a>
    <a href="https://lensk.gosnadzor.ru/activity/reestr/arhiv.php">Реестр заключений: архив</a>
    <a href="https://lensk.gosnadzor.ru/activity/reestr/?PAGEN_1=2">2</a>""".encode()
    base = "https://www.lensk.gosnadzor.ru/activity/reestr/"
    assert [link.text for link in discover_links(page, base)] == ["Журнал 2026", "Реестр заключений: архив"]
    assert discover_pages(page, base) == ["https://lensk.gosnadzor.ru/activity/reestr/?PAGEN_1=2"]
    site = "https://lensk.gosnadzor.ru/"
    assert mirror_path("https://www.lensk.gosnadzor.ru/upload/zhurnal.xlsx", site) == "upload/zhurnal.xlsx"
    assert mirror_path("https://lensk.gosnadzor.ru/upload/zhurnal.xlsx", site) == "upload/zhurnal.xlsx"


def test_mirror_path_relative_to_a_site_in_a_folder() -> None:
    assert mirror_path("http://127.0.0.1:8/vdon/upload/a.xls", "http://127.0.0.1:8/vdon/") == "upload/a.xls"


@pytest.mark.parametrize("name", ["../../x", "..", "a/../../b", "..\\x", "", "/etc/passwd"])
def test_hostile_names_are_refused(name: str) -> None:
    with pytest.raises(UnsafeName):
        mirror_path("https://vdon.gosnadzor.ru/f/get.php", "https://vdon.gosnadzor.ru/", filename=name)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("attachment; filename*=UTF-8''%D0%A0%D0%B5%D0%B5%D1%81%D1%82%D1%80.xlsx", "Реестр.xlsx"),
        ('attachment; filename="reestr 2018.xls"', "reestr 2018.xls"),
        ('attachment; filename="%D0%90.pdf"', "А.pdf"),
        ('attachment; filename="../../x"', "../../x"),
        ("inline", None),
        (None, None),
    ],
)
def test_content_disposition_names(header: str | None, expected: str | None) -> None:
    assert content_disposition_name(header) == expected


# --- a full harvest of the demo corpus -------------------------------------------------------------


@dataclass
class Harvested:
    site: Site
    sources: Sources
    cache: Path
    mirror: Path
    report: object


@pytest.fixture(scope="module")
def full(demo_build, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Harvested]:
    corpus = demo_build.corpus.corpus_dir
    out = tmp_path_factory.mktemp("full")
    with serve(corpus) as site:
        sources = local_sources(site, corpus_offices(corpus))
        report = harvest(
            sources,
            out / "cache",
            out / "mirror",
            session=session(site),
            quiet=True,
            policy=FAST,
            federal_site=FEDERAL,
        )
        yield Harvested(site, sources, out / "cache", out / "mirror", report)


def test_full_harvest_equals_the_input_build(full: Harvested, demo_build, tmp_path: Path) -> None:
    assert not full.report.all_failed
    assert {o.status for o in full.report.offices.values()} == {"ok"}
    assert tree(full.mirror) == tree(demo_build.corpus.corpus_dir)
    build_database(full.mirror, tmp_path / "harvested.duckdb", quiet=True, workers=2)
    harvested, expected = records(tmp_path / "harvested.duckdb"), records(demo_build.database)
    assert len(harvested) == len(expected) > 1000
    assert harvested == expected


def test_provenance_has_a_row_per_fetch(full: Harvested) -> None:
    rows = [json.loads(line) for line in (full.cache / "provenance.jsonl").read_text("utf-8").splitlines()]
    first_run = rows[: len(tree(full.mirror))]
    assert {r["outcome"] for r in first_run} == {"downloaded"}
    row = next(r for r in first_run if r["path"] == "vdon/upload/reestr_epb.xlsx")
    assert row["office"] == "vdon"
    assert row["url"] == full.site.url("vdon", "upload/reestr_epb.xlsx")
    assert row["link_text"] == "reestr_epb.xlsx"
    assert (row["http_status"], row["format"], row["last_modified"]) == (200, "xlsx", FIXED_LAST_MODIFIED)
    assert row["etag"].startswith('"') and len(row["sha256"]) == 64
    assert (full.cache / "raw" / row["sha256"]).stat().st_size == row["size"]


def test_freshness_lists_last_success_and_files(full: Harvested) -> None:
    data = json.loads((full.cache / "freshness.json").read_text("utf-8"))
    vdon = data["offices"]["vdon"]
    assert vdon["status"] == "ok" and vdon["reason"] is None
    assert vdon["last_success"] is not None
    assert sorted(f["path"] for f in vdon["files"]) == sorted("vdon/" + p for p in tree(full.mirror / "vdon"))
    assert {f["last_modified"] for f in vdon["files"]} == {FIXED_LAST_MODIFIED}


def test_second_harvest_is_conditional_and_downloads_nothing(full: Harvested, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    shutil.copytree(full.cache, cache)
    before = len(full.site.log)
    report = harvest(
        full.sources,
        cache,
        tmp_path / "mirror",
        session=session(full.site),
        quiet=True,
        policy=FAST,
        federal_site=FEDERAL,
    )
    second = full.site.log[before:]
    assert len(second) == len(tree(full.mirror))
    assert {(r.conditional, r.status) for r in second} == {(True, 304)}
    assert report.downloaded == 0
    assert report.not_modified == len(second)
    assert tree(tmp_path / "mirror") == tree(full.mirror)


def test_offline_rebuilds_the_mirror_from_the_cache(full: Harvested, tmp_path: Path) -> None:
    before = len(full.site.log)
    report = harvest(
        full.sources,
        full.cache,
        tmp_path / "mirror",
        offline=True,
        quiet=True,
        federal_site=FEDERAL,
    )
    assert len(full.site.log) == before
    assert {o.status for o in report.offices.values()} == {"cached"} and not report.all_failed
    assert tree(tmp_path / "mirror") == tree(full.mirror)


def test_offline_without_a_cache_has_nothing_to_publish(full: Harvested, tmp_path: Path) -> None:
    report = harvest(
        full.sources, tmp_path / "cache", tmp_path / "mirror", offline=True, quiet=True, federal_site=None
    )
    assert report.all_failed and not (tmp_path / "mirror").exists()


# --- the fault matrix ------------------------------------------------------------------------------

FAULT_OFFICES = ["cntr", "srpov", "vdon"]
VDON_PAGE = "/vdon/"
VDON_FILE = "/vdon/upload/reestr_epb.xlsx"


class NoDNS(requests.adapters.BaseAdapter):
    """A transport whose every name lookup fails, as for a host that does not resolve."""

    def send(self, request: requests.PreparedRequest, **kwargs: object) -> requests.Response:
        host = urlsplit(request.url).hostname or ""
        error = urllib3.exceptions.NameResolutionError(host, None, OSError(-2, "Name or service not known"))
        raise requests.ConnectionError(error)

    def close(self) -> None:
        pass


@dataclass
class Baseline:
    site: Site
    sources: Sources
    cache: Path
    mirror: dict[str, str]
    policy: FetchPolicy


@pytest.fixture(scope="module")
def baseline(demo_build, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Baseline]:
    """A good harvest of three offices; each fault test starts from a copy of its cache."""
    corpus = demo_build.corpus.corpus_dir
    out = tmp_path_factory.mktemp("baseline")
    largest = max(p.stat().st_size for p in corpus.rglob("*") if p.is_file())
    policy = FetchPolicy(
        connect_timeout=2, read_timeout=0.3, retries=1, backoff=0, host_interval=0, max_bytes=largest
    )
    with serve(corpus) as site:
        site.oversize = largest + 1
        sources = local_sources(site, FAULT_OFFICES)
        report = harvest(
            sources,
            out / "cache",
            out / "mirror",
            session=session(),
            quiet=True,
            policy=policy,
            federal_site=None,
        )
        assert {o.status for o in report.offices.values()} == {"ok"}
        yield Baseline(site, sources, out / "cache", tree(out / "mirror"), policy)


FAULTS = [
    # (fault, where, code of schema/problems.yaml)
    ("status:404", VDON_PAGE, "harvest_http_error"),
    ("status:500", VDON_PAGE, "harvest_http_error"),
    ("status:503", VDON_FILE, "harvest_http_error"),
    ("timeout", VDON_PAGE, "harvest_timeout"),
    ("timeout", VDON_FILE, "harvest_timeout"),
    ("truncated", VDON_FILE, "harvest_truncated"),
    ("redirect_loop", VDON_PAGE, "harvest_redirect_loop"),
    ("html_error", VDON_FILE, "harvest_html_error_page"),
    ("oversize", VDON_FILE, "harvest_oversize"),
    ("unsafe_name", VDON_FILE, "harvest_unsafe_name"),
    ("empty_page", VDON_PAGE, "harvest_empty_page"),
    ("dns", VDON_PAGE, "harvest_dns"),
]
#: The Russian titles of the harvest's codes, read from the catalogue file itself.
FAULT_TITLES = {
    code: spec["title"]
    for code, spec in yaml.safe_load(
        (Path(__file__).resolve().parent.parent / "schema" / "problems.yaml").read_text(encoding="utf-8")
    )["problems"].items()
    if spec["stage"] == "harvest"
}


@pytest.mark.parametrize(("fault", "where", "reason"), FAULTS, ids=[f"{f}@{w}" for f, w, _ in FAULTS])
def test_a_fault_keeps_the_last_good_files(
    baseline: Baseline, tmp_path: Path, fault: str, where: str, reason: str
) -> None:
    cache = tmp_path / "cache"
    shutil.copytree(baseline.cache, cache)
    sources, http = baseline.sources, session()
    if fault == "dns":
        moved = "http://vdon.nosuch.test/"
        vdon = sources.office("vdon").model_copy(update={"site_url": moved, "register_urls": [moved]})
        sources = Sources(
            districts=sources.districts, offices=[vdon if o.code == "vdon" else o for o in sources.offices]
        )
        http.mount("http://vdon.nosuch.test/", NoDNS())
        url = moved
    else:
        url = baseline.site.base + where
        if fault == "empty_page":
            baseline.site.pages[where] = "<html><body><p>Раздел обновляется</p></body></html>".encode()
        else:
            baseline.site.faults[where] = fault
    try:
        report = harvest(
            sources,
            cache,
            tmp_path / "mirror",
            session=http,
            quiet=True,
            policy=baseline.policy,
            federal_site=None,
        )
    finally:
        baseline.site.faults.clear()
        baseline.site.pages.clear()
    assert tree(tmp_path / "mirror") == baseline.mirror  # no record of the good harvest lost
    vdon = report.offices["vdon"]
    assert vdon.status == "stale" and vdon.last_good is not None
    assert [(f.url, f.reason) for f in vdon.faults] == [(url, reason)]
    assert url in vdon.reason and vdon.faults[0].message.startswith(FAULT_TITLES[reason])
    assert {code: o.status for code, o in report.offices.items() if code != "vdon"} == {
        "cntr": "ok",
        "srpov": "ok",
    }
    assert not report.all_failed and not report.geo_blocked
    stale = json.loads((cache / "freshness.json").read_text("utf-8"))["offices"]["vdon"]
    assert (stale["status"], stale["faults"][0]["reason"], stale["faults"][0]["url"]) == (
        "stale",
        reason,
        url,
    )
    assert stale["faults"][0]["message"] == vdon.faults[0].message
    failed = [json.loads(line) for line in (cache / "provenance.jsonl").read_text("utf-8").splitlines()]
    assert (
        any(r["outcome"] == "failed" and r["reason"] == reason and r["url"] == url for r in failed)
        or fault == "empty_page"
    )


def test_every_office_403_is_a_geo_block(baseline: Baseline, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    shutil.copytree(baseline.cache, cache)
    (tmp_path / "mirror").mkdir()
    (tmp_path / "mirror" / "published").write_text("x")
    for code in FAULT_OFFICES:
        baseline.site.faults[f"/{code}/"] = "status:403"
    try:
        report = harvest(
            baseline.sources,
            cache,
            tmp_path / "mirror",
            session=session(),
            quiet=True,
            policy=baseline.policy,
            federal_site=None,
        )
    finally:
        baseline.site.faults.clear()
    assert report.all_failed and report.geo_blocked
    assert "HTTP 403" in report.format() and "HTTPS_PROXY" in report.format()
    assert tree(tmp_path / "mirror") == {
        "published": hashlib.sha256(b"x").hexdigest()
    }  # nothing new laid out
    assert (
        harvest(
            baseline.sources, cache, tmp_path / "again", offline=True, quiet=True, federal_site=None
        ).all_failed
        is False
    )
    assert tree(tmp_path / "again") == baseline.mirror


def test_every_office_failing_otherwise_is_not_a_geo_block(baseline: Baseline, tmp_path: Path) -> None:
    shutil.copytree(baseline.cache, tmp_path / "cache")
    for code in FAULT_OFFICES:
        baseline.site.faults[f"/{code}/"] = "status:403" if code == "vdon" else "status:500"
    try:
        report = harvest(
            baseline.sources,
            tmp_path / "cache",
            tmp_path / "m",
            session=session(),
            quiet=True,
            policy=baseline.policy,
            federal_site=None,
        )
    finally:
        baseline.site.faults.clear()
    assert report.all_failed and not report.geo_blocked


def test_retries_with_backoff_then_succeeds(baseline: Baseline, tmp_path: Path) -> None:
    """A 503 on the first attempt only: the retry gets the file, nothing is stale."""
    from openepb.harvest.fetch import Fetcher

    waits: list[float] = []
    calls = {"n": 0}
    original = Handler._serve

    def flaky(self: Handler, site: Site, path: str, fault: str | None) -> int:
        if path == VDON_FILE and calls["n"] == 0:
            calls["n"] += 1
            return original(self, site, path, "status:503")
        return original(self, site, path, fault)

    Handler._serve = flaky  # type: ignore[method-assign]
    try:
        policy = FetchPolicy(retries=3, backoff=0.5, host_interval=0)
        fetcher = Fetcher(session(), tmp_path / "tmp", policy, sleep=waits.append)
        fetched = fetcher.get(baseline.site.base + VDON_FILE)
    finally:
        Handler._serve = original  # type: ignore[method-assign]
    assert (fetched.status, fetched.attempts, waits) == (200, 2, [0.5])


def test_rate_limit_waits_between_requests_to_one_host(tmp_path: Path) -> None:
    from openepb.harvest.fetch import HostClock

    now = {"t": 100.0}
    waits: list[float] = []
    clock = HostClock(
        1.5, sleep=lambda s: (waits.append(s), now.update(t=now["t"] + s)), clock=lambda: now["t"]
    )
    clock.wait("https://a.gosnadzor.ru/x")
    now["t"] += 0.5
    clock.wait("https://a.gosnadzor.ru/y")
    clock.wait("https://b.gosnadzor.ru/y")
    assert waits == [1.0]


def test_proxy_from_the_environment(demo_build, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With HTTP_PROXY set, http://vdon.gosnadzor.ru/ is fetched through the proxy (the local server)."""
    corpus = demo_build.corpus.corpus_dir
    with serve(corpus) as site:
        for name in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy", "NO_PROXY", "no_proxy"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("HTTP_PROXY", site.base)
        real = load_sources()
        vdon = real.office("vdon").model_copy(
            update={"register_urls": ["http://vdon.gosnadzor.ru/"], "site_url": "http://vdon.gosnadzor.ru/"}
        )
        sources = Sources(districts=real.districts, offices=[vdon])
        report = harvest(
            sources, tmp_path / "cache", tmp_path / "mirror", quiet=True, policy=FAST, federal_site=None
        )
    assert report.offices["vdon"].status == "ok"
    assert tree(tmp_path / "mirror") == {f"vdon/{k}": v for k, v in tree(corpus / "vdon").items()}
    assert {r.path for r in site.log} >= {"/vdon/", VDON_FILE}


def test_content_disposition_and_link_text_on_a_live_page(tmp_path: Path, demo_build) -> None:
    """A download.php link found by its Russian text, saved under its Content-Disposition name."""
    xlsx = (demo_build.corpus.corpus_dir / "vdon" / "upload" / "reestr_epb.xlsx").read_bytes()
    with serve(tmp_path / "empty") as site:
        site.pages["/mos/"] = (
            '<html><body><a href="/mos/get/download.php?id=5">Реестр заключений ЭПБ</a>'
            '<a href="/press/news.php">Новости</a></body></html>'  # the menu, outside the register section
        ).encode()
        site.pages["/mos/get/download.php?id=5"] = xlsx
        site.headers["/mos/get/download.php?id=5"] = {
            "Content-Disposition": "attachment; filename*=UTF-8''%D0%A0%D0%B5%D0%B5%D1%81%D1%82%D1%80%202018.xlsx"
        }
        report = harvest(
            local_sources(site, ["mos"]),
            tmp_path / "c",
            tmp_path / "m",
            session=session(),
            quiet=True,
            policy=FAST,
            federal_site=None,
        )
    assert report.offices["mos"].status == "ok"
    assert sorted(tree(tmp_path / "m")) == ["mos/get/Реестр 2018.xlsx", "mos/index.html"]
    assert "/press/news.php" not in {r.path for r in site.log}


# --- exclusions and freshness ----------------------------------------------------------------------


def test_exclusion_lists_mark_records_and_keep_unmatched(tmp_path: Path) -> None:
    rows = [
        RawRow("Лист1", 1, ("Исключённые сведения из реестра", "", "")),
        RawRow("Лист1", 2, ("Рег. номер заключения", "Дата исключения", "Основание исключения")),
        RawRow("Лист1", 3, ("07-ТУ-00001-2017", "12.03.2019", "заявление заказчика")),
        RawRow("Лист1", 4, ("07-ТУ-00009-2017", "01.04.2019", "решение суда")),
        RawRow("Лист1", 5, ("07-ТУ-00001-2017", "13.03.2019", "повтор")),
    ]
    result, found = split_exclusions(normalize_rows(rows, "pech/x.xlsx"), "pech", "pech/x.xlsx")
    assert [r.kind for r in result.rows] == ["title", "header", "exclusion", "exclusion", "exclusion"]
    assert [(e.reg_number, e.excluded_date, e.source_row) for e in found][:2] == [
        ("07-ТУ-00001-2017", datetime.date(2019, 3, 12), 3),
        ("07-ТУ-00009-2017", datetime.date(2019, 4, 1), 4),
    ]
    con = duckdb.connect(str(tmp_path / "x.duckdb"))
    con.execute("CREATE TABLE records (reg_number VARCHAR, excluded_date DATE, exclusion_reason VARCHAR)")
    con.execute(
        "INSERT INTO records VALUES ('07-ТУ-00001-2017', NULL, NULL), ('07-ТУ-00002-2017', NULL, NULL)"
    )
    report = apply_exclusions(con, found)
    assert (report.marked, report.unmatched, report.repeated) == (1, 1, 1)
    assert con.execute("SELECT * FROM records ORDER BY 1").fetchall() == [
        ("07-ТУ-00001-2017", datetime.date(2019, 3, 12), "заявление заказчика"),
        ("07-ТУ-00002-2017", None, None),
    ]
    assert con.execute(
        "SELECT reg_number, exclusion_reason, office_code, source_row FROM exclusions_unmatched"
    ).fetchall() == [("07-ТУ-00009-2017", "решение суда", "pech", 4)]


def test_a_register_with_exclusion_columns_is_not_an_exclusion_list() -> None:
    rows = [
        RawRow("t", 1, ("Рег. номер заключения", "Дата внесения в реестр", "Заявитель", "Дата исключения")),
        RawRow("t", 2, ("07-ТУ-00001-2017", "01.02.2017", "ООО «А»", "12.03.2019")),
    ]
    result, found = split_exclusions(normalize_rows(rows, "x.csv"), "pech", "x.csv")
    assert found == [] and [r.kind for r in result.rows] == ["header", "data"]


def _register_bytes(path: Path, rows: list[list[str]]) -> bytes:
    from openepb.demo.writers import Table, write_xlsx

    header = ["Регистрационный номер", "Дата внесения в реестр", "Заявитель", "Экспертная организация"]
    write_xlsx(path, [Table(rows=[header, *rows])])
    return path.read_bytes()


def test_files_an_office_stops_publishing_stay_in_the_mirror(tmp_path: Path) -> None:
    """An office replaces its cumulative file with the current year and drops last year's file: the
    versions harvested before stay under _archive/, read after the current files, and lose no record."""
    r2016 = ["01-ТУ-00001-2016", "01.03.2016", "ООО «А»", "ООО «Э»"]
    r2017 = ["01-ТУ-00001-2017", "01.03.2017", "ООО «Б»", "ООО «Э»"]
    r2018 = ["01-ТУ-00001-2018", "01.03.2018", "ООО «В»", "ООО «Э»"]
    cumulative = _register_bytes(tmp_path / "x1.xlsx", [r2017, r2018])
    current = _register_bytes(tmp_path / "x2.xlsx", [r2018])
    old_year = _register_bytes(tmp_path / "x3.xlsx", [r2016])
    links = "<html><body>{}</body></html>"
    with serve(tmp_path / "empty") as site:
        site.pages["/mos/"] = links.format(
            '<a href="/mos/reestr.xlsx">Реестр</a><a href="/mos/reestr_2016.xlsx">Реестр 2016</a>'
        ).encode()
        site.pages["/mos/reestr.xlsx"] = cumulative
        site.pages["/mos/reestr_2016.xlsx"] = old_year
        sources = local_sources(site, ["mos"])
        kwargs = {"session": session(), "quiet": True, "policy": FAST, "federal_site": None}
        harvest(sources, tmp_path / "cache", tmp_path / "mirror", **kwargs)
        site.pages["/mos/"] = links.format('<a href="/mos/reestr.xlsx">Реестр</a>').encode()
        site.pages["/mos/reestr.xlsx"] = current
        report = harvest(sources, tmp_path / "cache", tmp_path / "mirror", **kwargs)
    assert report.offices["mos"].status == "ok"
    sha = {name: hashlib.sha256(data).hexdigest() for name, data in (("cum", cumulative), ("old", old_year))}
    assert sorted(tree(tmp_path / "mirror")) == sorted(
        [
            f"mos/_archive/{sha['cum'][:12]}/reestr.xlsx",
            f"mos/_archive/{sha['old'][:12]}/reestr_2016.xlsx",
            "mos/index.html",
            "mos/reestr.xlsx",
        ]
    )
    database = tmp_path / "db.duckdb"
    build_database(tmp_path / "mirror", database, quiet=True, workers=1)
    with duckdb.connect(str(database), read_only=True) as con:
        rows = con.execute("SELECT reg_number, source_file FROM records ORDER BY 1").fetchall()
    assert rows == [
        ("01-ТУ-00001-2016", f"mos/_archive/{sha['old'][:12]}/reestr_2016.xlsx"),
        ("01-ТУ-00001-2017", f"mos/_archive/{sha['cum'][:12]}/reestr.xlsx"),
        ("01-ТУ-00001-2018", "mos/reestr.xlsx"),
    ]
