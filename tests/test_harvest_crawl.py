"""Crawling an office's register section, on saved pages of a Bitrix office site served locally.

The site (``tests/data/crawl/srpov``) has what the offices' sites have: layout tables around
everything, a menu and a news block linking the rest of the site, a register table spread over
``?PAGEN_1`` pages, year tabs (``?year=``), a GET filter form with a status select (answered only
with its submit button, as Bitrix does), file lists, an «Архив» three levels deep, a link to a
file the office deleted, a print view, an element's card and a section robots.txt disallows.
The server is reached as an HTTP proxy for ``srpov.gosnadzor.ru`` and ``www.srpov.gosnadzor.ru``,
so the office's real host names are used and never resolved.
"""

from __future__ import annotations

import json
import re
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

import duckdb
import lxml.html
import pytest
import requests

import openepb.harvest.run
from openepb.build.pipeline import build_database
from openepb.contract.sources import Sources, load_sources
from openepb.harvest.crawl import Scope, crawl_targets, form_variants, register_folder, visit_key
from openepb.harvest.fetch import FetchPolicy
from openepb.harvest.run import harvest

SITE = Path(__file__).resolve().parent / "data" / "crawl"
START = "http://www.srpov.gosnadzor.ru/activity/expertiza/"
#: Query keys the saved pages answer to; the others (a form's hidden field) change nothing.
ANSWERED = ("PAGEN_1", "year", "status")
REG_NUMBER = re.compile(r"17-ТУ-\d{5}-\d{4}")


@dataclass
class Site:
    root: Path
    log: list[tuple[str, int]] = field(default_factory=list)  # (host path?query, status)
    missing: set[str] = field(default_factory=set)  # office-relative paths answered 404


def resolve(root: Path, path: str, query: str) -> Path:
    """The saved file of a request: ``dir/`` and ``dir/index.php`` are ``dir/index.html``, a
    ``.php`` page is its ``.html``, the answered query keys name the variant (``index.year=2025.html``)."""
    params = dict(parse_qsl(query))
    if "status" in params and "set_filter" not in params:
        params.pop("status")  # a Bitrix filter applies only when submitted
    if params.get("PAGEN_1") == "1":
        params.pop("PAGEN_1")
    variant = "".join(f".{k}={params[k]}" for k in ANSWERED if k in params)
    path = re.sub(r"/index\.php$", "/", path)
    if path.endswith("/"):
        return root / path.lstrip("/") / f"index{variant}.html"
    if path.endswith(".php"):
        return root / (path.lstrip("/")[: -len(".php")] + ".html")
    return root / path.lstrip("/")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: SiteServer

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        site = self.server.site
        parts = urlsplit(self.path)
        office = parts.netloc.lower().removeprefix("www.").split(".")[0]
        path = unquote(parts.path)
        file = resolve(site.root / office, path, unquote(parts.query))
        status = 200
        if path.lstrip("/") in site.missing or not file.is_file():
            status, body = 404, b"<html><body><h1>404 Not Found</h1></body></html>"
        else:
            body = file.read_bytes()
        site.log.append(
            (f"{parts.netloc}{path}" + (f"?{unquote(parts.query)}" if parts.query else ""), status)
        )
        self.send_response(status)
        kind = "text/csv" if file.suffix == ".csv" else "text/plain" if file.suffix == ".txt" else "text/html"
        self.send_header("Content-Type", f"{kind}; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class SiteServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, site: Site) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.site = site


@contextmanager
def serve(root: Path) -> Iterator[tuple[Site, str]]:
    site = Site(root)
    server = SiteServer(site)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield site, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


POLICY = FetchPolicy(connect_timeout=2, read_timeout=2, retries=0, backoff=0, host_interval=0)


def office_sources() -> Sources:
    """Средне-Поволжское as offices.yaml has it, on http (the proxy) and with the www. start page."""
    real = load_sources()
    srpov = real.office("srpov").model_copy(
        update={"site_url": "http://srpov.gosnadzor.ru/", "register_urls": [START]}
    )
    return Sources(districts=real.districts, offices=[srpov])


def run(site_root: Path, out: Path, proxy: str) -> object:
    session = requests.Session()
    session.trust_env = False
    session.proxies = {"http": proxy}
    return harvest(
        office_sources(),
        out / "cache",
        out / "mirror",
        session=session,
        quiet=True,
        policy=POLICY,
        federal_site=None,
    )


def numbers_in(*paths: str) -> set[str]:
    """Registration numbers written in saved files of the site (the truth of what a crawl reaches)."""
    return {
        n for p in paths for n in REG_NUMBER.findall((SITE / "srpov" / p).read_text(encoding="utf-8-sig"))
    }


#: What a full crawl must bring: the register table's two pages and every file of the tabs, the
#: filter's choices and the archive down to its third level.
REACHED = (
    "activity/expertiza/index.html",
    "activity/expertiza/index.PAGEN_1=2.html",
    "upload/iblock/3f2/Реестр ЗЭПБ 2026.csv",
    "upload/iblock/a1b/reestr_2025.csv",
    "upload/iblock/c4d/reestr_2024.csv",
    "upload/iblock/e0e/isklyuchennye.csv",
    "upload/arhiv/reestr_2017.csv",
    "upload/arhiv/reestr_2018.csv",
    "upload/arhiv/reestr_2014-2016.csv",
    "upload/arhiv/old.csv",
)


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Site, object, Path]]:
    out = tmp_path_factory.mktemp("crawl")
    with serve(SITE) as (site, proxy):
        report = run(SITE, out, proxy)
        yield site, report, out


def test_the_crawl_brings_every_part_of_the_register(crawled) -> None:
    site, report, out = crawled
    office = report.offices["srpov"]
    assert office.status == "ok" and not office.faults
    build_database(out / "mirror", out / "db.duckdb", quiet=True, workers=1)
    with duckdb.connect(str(out / "db.duckdb"), read_only=True) as con:
        got = {n for (n,) in con.execute("SELECT reg_number FROM records").fetchall()}
    assert got == numbers_in(*REACHED)
    assert len(got) == 17


def test_a_deleted_file_is_a_broken_link_and_the_office_stays_fresh(crawled) -> None:
    _, report, out = crawled
    office = report.offices["srpov"]
    assert [(p.url, p.reason) for p in office.problems] == [
        ("http://www.srpov.gosnadzor.ru/upload/old/reestr_2019.csv", "harvest_link_broken")
    ]
    assert office.problems[0].message.startswith("ссылка на странице реестра никуда не ведёт")
    fresh = json.loads((out / "cache" / "freshness.json").read_text("utf-8"))["offices"]["srpov"]
    assert (fresh["status"], fresh["faults"]) == ("ok", [])
    assert [p["reason"] for p in fresh["problems"]] == ["harvest_link_broken"]
    assert fresh["last_changed"] == max(f["changed_at"] for f in fresh["files"] if f["kind"] == "file")


def test_the_crawl_stays_in_the_register_section_and_asks_each_url_once(crawled) -> None:
    site, _, _ = crawled
    asked = [path for path, _ in site.log]
    pages = {re.sub(r"^www\.", "", p.split("?")[0]) for p in asked}
    assert not any("/press/" in p or "/about/" in p or "/contacts/" in p or "/auth/" in p for p in pages)
    assert not any("/activity/licensing/" in p or "/search/" in p or "ask.php" in p for p in pages)
    assert not any("print=" in p or "ID=" in p or "del_filter" in p or "login" in p for p in asked)
    assert "srpov.gosnadzor.ru/activity/expertiza/closed/" not in pages  # robots.txt
    assert "srpov.gosnadzor.ru/upload/closed/internal.csv" not in pages
    assert "srpov.gosnadzor.ru/activity/expertiza/archive/2014-2016/old/deeper/" not in pages  # depth
    assert [p for p in asked if p.endswith("robots.txt")] == ["www.srpov.gosnadzor.ru/robots.txt"]
    keys = [visit_key("http://" + p) for p in asked]
    assert len(keys) == len(set(keys))  # www. and the bare host, index.php and the folder: once
    assert "srpov.gosnadzor.ru/activity/expertiza/archive/" in pages  # linked on the bare host
    assert (
        "srpov.gosnadzor.ru/activity/expertiza/normativ.php" not in pages
    )  # in the folder, not the register's


def test_a_file_deleted_after_a_good_harvest_keeps_its_last_copy(tmp_path: Path) -> None:
    root = tmp_path / "site"
    shutil.copytree(SITE, root)
    with serve(root) as (site, proxy):
        first = run(root, tmp_path, proxy)
        assert first.offices["srpov"].status == "ok"
        before = (tmp_path / "mirror" / "srpov" / "upload" / "arhiv" / "reestr_2017.csv").read_bytes()
        site.missing.add("upload/arhiv/reestr_2017.csv")
        second = run(root, tmp_path, proxy)
    office = second.offices["srpov"]
    assert office.status == "ok"
    assert [p.url for p in office.problems] == [
        "http://www.srpov.gosnadzor.ru/upload/old/reestr_2019.csv",
        "http://srpov.gosnadzor.ru/upload/arhiv/reestr_2017.csv",  # the «Архив» link is on the bare host
    ]
    assert (tmp_path / "mirror" / "srpov" / "upload" / "arhiv" / "reestr_2017.csv").read_bytes() == before


def test_a_failing_start_page_is_still_a_fault(tmp_path: Path) -> None:
    root = tmp_path / "site"
    shutil.copytree(SITE, root)
    with serve(root) as (site, proxy):
        run(root, tmp_path, proxy)
        site.missing.add("activity/expertiza/")
        again = run(root, tmp_path, proxy)
    office = again.offices["srpov"]
    assert office.status == "stale" and [f.reason for f in office.faults] == ["harvest_http_error"]


# --- the rules on strings ----------------------------------------------------------------------

FORM = """<form method="get" action="/activity/expertiza/">
<input type="hidden" name="arrFilter_ff" value="reestr">
<select name="year"><option value="2026" selected>2026</option><option value="2025">2025</option></select>
<select name="status"><option value="">Все</option><option value="excluded">Исключённые</option></select>
<input type="text" name="number" value="">
<input type="checkbox" name="archive" value="Y">
<input type="submit" name="set_filter" value="Показать"><input type="submit" name="del_filter" value="Сбросить">
</form>
<form method="post" action="/x.php"><select name="a"><option value="1">1</option></select></form>
<form action="https://other.example.org/find"><select name="b"><option value="1">1</option></select></form>"""


def test_a_get_form_gives_one_url_per_combination_of_its_selects() -> None:
    doc = lxml.html.document_fromstring(FORM)
    urls = [url for url, _ in form_variants(doc, "https://srpov.gosnadzor.ru/activity/expertiza/")]
    queries = [sorted(parse_qsl(urlsplit(u).query, keep_blank_values=True)) for u in urls]
    assert [dict(q)["year"] + "/" + dict(q)["status"] for q in queries] == ["2026/excluded", "2025/excluded"]
    for query in queries:
        assert dict(query)["set_filter"] == "Показать" and dict(query)["arrFilter_ff"] == "reestr"
        assert (
            "del_filter" not in dict(query) and "archive" not in dict(query) and dict(query)["number"] == ""
        )
    assert {urlsplit(u).path for u in urls} == {"/activity/expertiza/"}


def test_register_folders_and_visit_keys() -> None:
    assert (
        register_folder("https://privol.gosnadzor.ru/activity/expertiza/sved_zepb.php")
        == "/activity/expertiza/"
    )
    assert register_folder("https://mos.gosnadzor.ru/activity/svedeniya/") == "/activity/svedeniya/"
    scope = Scope.of(["https://www.zural.gosnadzor.ru/activity/expert2/"])
    assert scope.contains("https://zural.gosnadzor.ru/activity/expert2/archive/")
    assert not scope.contains("https://zural.gosnadzor.ru/activity/expert/")
    assert not scope.contains("https://enis.gosnadzor.ru/activity/expert2/")
    assert visit_key("https://www.a.ru/x/index.php?b=2&a=1") == visit_key("https://a.ru/x/?a=1&b=2")


def test_news_and_menus_of_a_layout_give_no_page_outside_the_section() -> None:
    page = (SITE / "srpov" / "activity" / "expertiza" / "index.html").read_bytes()
    targets = crawl_targets(page, START, Scope.of([START]), 0)
    pages = sorted(
        urlsplit(t.url).path + ("?" + urlsplit(t.url).query if urlsplit(t.url).query else "")
        for t in targets
        if t.kind == "page"
    )
    assert all(p.startswith("/activity/expertiza/") for p in pages)
    files = [unquote(urlsplit(t.url).path) for t in targets if t.kind == "file" and not t.wander]
    assert files == ["/upload/iblock/3f2/Реестр ЗЭПБ 2026.csv", "/upload/old/reestr_2019.csv"]
    by_text = [urlsplit(t.url).path for t in targets if t.kind == "file" and t.wander]
    assert by_text == ["/activity/expertiza/closed/"]  # its text names the register; robots.txt decides


def test_change_dates_move_only_with_a_files_content(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "site"
    shutil.copytree(SITE, root)
    ticks = iter(range(1, 100_000))  # a clock that moves on every reading, however fast the runs
    monkeypatch.setattr(openepb.harvest.run, "_now", lambda: f"2026-12-01T00:00:00+00:00#{next(ticks):06d}")

    def files() -> dict[str, dict]:
        data = json.loads((tmp_path / "cache" / "freshness.json").read_text("utf-8"))["offices"]["srpov"]
        return {f["path"]: f for f in data["files"]} | {"": {"last_changed": data["last_changed"]}}

    changed = "srpov/upload/iblock/a1b/reestr_2025.csv"
    with serve(root) as (_, proxy):
        run(root, tmp_path, proxy)
        first = files()
        run(root, tmp_path, proxy)  # nothing changed on the site
        second = files()
        csv = root / "srpov" / "upload" / "iblock" / "a1b" / "reestr_2025.csv"
        csv.write_text(
            csv.read_text("utf-8-sig") + "17-ТУ-00304-2025;01.02.2025;x;y;z;6320004728;w;ДЭ-00-016538\n",
            "utf-8-sig",
        )
        run(root, tmp_path, proxy)
        third = files()
    same = "srpov/upload/arhiv/reestr_2017.csv"
    assert first[changed]["changed_at"] == first[changed]["fetched_at"]
    assert second[changed]["changed_at"] == first[changed]["changed_at"] < second[changed]["fetched_at"]
    assert third[changed]["changed_at"] == third[changed]["fetched_at"] > first[changed]["changed_at"]
    assert third[same]["changed_at"] == first[same]["changed_at"]
    assert second[""]["last_changed"] == first[""]["last_changed"]
    assert third[""]["last_changed"] == third[changed]["changed_at"]
