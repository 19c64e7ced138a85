"""«Организации», the organization's conclusions and one count everywhere, in headless Chromium on the
demo build. Truth comes from the demo's truth files (what the generator planted: each conclusion's
year, object type, office and exclusion); the store only maps a registration number to the id the
resolver gave its organizations. Nothing here is computed by the rankings or the site code."""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import yaml
from browsing import CHROMIUM, chromium, record_org_ids, render_demo_site, serve_folder, truth_records

from openepb.contract.sources import ROOT

pytestmark = pytest.mark.browser

if not Path(CHROMIUM).exists():
    pytest.skip("chromium is not installed (Debian package `chromium`)", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api")

ROLE_COLUMN = {"expert": 0, "applicant": 1}


@dataclass(frozen=True)
class Site:
    url: str
    root: Path
    manifest: dict[str, Any]
    truth: list[dict[str, str]]
    ids: dict[str, tuple[str | None, str | None]]  # reg_number → (expert id, applicant id)

    def type_code(self, key: str | None) -> str | None:
        return next(t["code"] for t in self.manifest["types"] if t["key"] == key) if key else None

    def office_code(self, key: str | None) -> str | None:
        return next(o["code"] for o in self.manifest["offices"] if o["key"] == key) if key else None

    def district_offices(self, key: str | None) -> set[str] | None:
        """The office codes of a district (manifest key ``d-CFD``), from sources/offices.yaml."""
        if not key:
            return None
        offices = yaml.safe_load((ROOT / "sources" / "offices.yaml").read_text(encoding="utf-8"))["offices"]
        return {o["code"] for o in offices if o.get("district") == key.removeprefix("d-")}

    def counted(
        self,
        years: tuple[int, int] | None = None,
        type_: str | None = None,
        office: str | None = None,
        district: str | None = None,
    ):
        """Truth records in the register (not excluded) under a filter of manifest keys."""
        code, office_code = self.type_code(type_), self.office_code(office)
        in_district = self.district_offices(district)
        for r in self.truth:
            if r["excluded_date"]:
                continue
            if years and not years[0] <= int(r["year"]) <= years[1]:
                continue
            if code and r["object_type"] != code:
                continue
            if office_code and r["office_code"] != office_code:
                continue
            if in_district is not None and r["office_code"] not in in_district:
                continue
            yield r

    def expected(self, role: str, **flt: Any) -> Counter[str]:
        """Organization id → conclusions under the filter, from the truth records."""
        found: Counter[str] = Counter()
        for r in self.counted(**flt):
            org = self.ids[r["reg_number"]][ROLE_COLUMN[role]]
            if org:
                found[org] += 1
        return found


@pytest.fixture(scope="module")
def site(demo_build: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    import json

    root = tmp_path_factory.mktemp("orgs-site")
    rank_dir = render_demo_site(demo_build.database, root)
    truth = truth_records(demo_build.corpus.truth_dir)
    ids = record_org_ids(demo_build.database)
    manifest = json.loads((rank_dir / "manifest.json").read_text(encoding="utf-8"))
    with serve_folder(root) as url:
        yield Site(url, root, manifest, truth, ids)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as instance:
        yield instance


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    tab = context.new_page()
    tab.set_default_timeout(20_000)
    errors: list[str] = []
    tab.on("pageerror", lambda e: errors.append(str(e)))
    tab.on("console", lambda m: m.type == "error" and errors.append(m.text))
    yield tab
    context.close()
    assert not errors


def competition_ranks(counts: dict[str, int]) -> dict[str, int]:
    values = sorted(counts.values(), reverse=True)
    return {k: 1 + sum(1 for v in values if v > c) for k, c in counts.items()}


def open_list(page: Any, site: Site, query: str = "") -> Any:
    page.goto(f"{site.url}orgs.html{query}")
    page.wait_for_function("document.body.dataset.listReady !== undefined")
    return page


def wait_list(page: Any, before: str | None) -> None:
    page.wait_for_function("b => document.body.dataset.listReady !== b", arg=before)


def table(page: Any, selector: str = "#o-list") -> list[list[str]]:
    return page.eval_on_selector_all(
        f"{selector} tbody tr",
        "rows => rows.map(r => [...r.children].map(c => c.innerText.replace(/\\s+/g, ' ').trim()))",
    )


def row_ids(page: Any) -> list[str]:
    return page.eval_on_selector_all("#o-list tbody tr", "rows => rows.map(r => r.dataset.id)")


def number(text: str) -> int:
    return int(re.sub(r"\D", "", text))


def download_csv(page: Any, button: str) -> list[dict[str, str]]:
    with page.expect_download() as info:
        page.click(button)
    text = Path(info.value.path()).read_text(encoding="utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def full_range(site: Site) -> tuple[int, int]:
    return site.manifest["years"][0], site.manifest["years"][-1]


# ---------------------------------------------------------------------------------------------
# «Организации»

FILTERS = [
    ("expert", "", {}),
    ("applicant", "", {}),
    ("applicant", "from=2016&to=2018&type=tu", {"years": (2016, 2018), "type_": "tu"}),
    (
        "expert",
        "from=2018&to=2018&type=dl&region=o-srpov",
        {"years": (2018, 2018), "type_": "dl", "office": "o-srpov"},
    ),
    ("applicant", "region=o-mos", {"office": "o-mos"}),
]


@pytest.mark.parametrize(("role", "query", "flt"), FILTERS)
def test_view_csv_lists_every_organization_under_the_filter(
    site: Site, page: Any, role: str, query: str, flt: dict
):
    expected = site.expected(role, **flt)
    open_list(page, site, f"?role={role}&{query}")
    status = page.text_content("#o-status")
    if not expected:
        assert "нет" in status
        return
    assert number(re.search(r"([\d\s\u00a0\u202f]+) организаций", status)[1]) == len(expected)
    rows = download_csv(page, "#o-csv")
    got = {r["идентификатор"]: int(r["заключений_по_фильтру"]) for r in rows}
    assert len(rows) == len(got), "an organization appears twice"
    assert got == dict(expected)
    ranks = competition_ranks(dict(expected))
    assert {r["идентификатор"]: int(r["место_по_фильтру"]) for r in rows} == ranks
    total = sum(expected.values())
    for r in rows:
        assert float(r["доля"]) == pytest.approx(got[r["идентификатор"]] / total, abs=1e-6)
    static = competition_ranks(dict(site.expected(role)))
    assert {r["идентификатор"]: int(r["место_за_всё_время"]) for r in rows} == {k: static[k] for k in got}


def test_pages_in_count_order_cover_the_view_once(site: Site, page: Any) -> None:
    expected = site.expected("expert")
    per = site.manifest["top_n"]
    pages = -(-len(expected) // per)
    seen: list[str] = []
    counts: list[int] = []
    for p in range(1, pages + 1):
        open_list(page, site, f"?page={p}" if p > 1 else "")
        seen += row_ids(page)
        counts += [number(r[2]) for r in table(page)]
    assert len(seen) == len(set(seen)) == len(expected)
    assert counts == sorted(counts, reverse=True)
    assert dict(zip(seen, counts, strict=True)) == dict(expected)


def test_sort_orders(site: Site, page: Any) -> None:
    expected = site.expected("applicant", years=(2016, 2018))
    static = competition_ranks(dict(site.expected("applicant")))
    open_list(page, site, "?role=applicant&from=2016&to=2018&sort=static&page=2")
    ids = row_ids(page)
    shown_static = [number(r[4]) for r in table(page)]
    assert shown_static == sorted(shown_static) and [static[i] for i in ids] == shown_static
    everything = sorted(static[i] for i in expected)
    per = site.manifest["top_n"]
    assert shown_static == everything[per : 2 * per]
    open_list(page, site, "?role=applicant&from=2016&to=2018&sort=name&page=3")
    names = [r[1].split(" ИНН ")[0] for r in table(page)]
    assert len(names) == per
    folded = [n.casefold().replace("ё", "е").strip(" «»\"'") for n in names]
    assert folded == sorted(folded)
    open_list(page, site, "?role=applicant&from=2016&to=2018&sort=count&dir=rev")
    counts = [number(r[2]) for r in table(page)]
    assert counts == sorted(counts) and counts[0] == min(expected.values())
    for sort in ("rank", "share"):
        open_list(page, site, f"?role=applicant&from=2016&to=2018&sort={sort}&page=2")
        assert [number(r[2]) for r in table(page)] == sorted(expected.values(), reverse=True)[per : 2 * per]


def test_search_within_by_name_inn_and_expert_inn(site: Site, page: Any) -> None:
    # an applicant by INN under a filter, and an expert organization by its INN
    truth = [r for r in site.counted(years=(2016, 2018)) if r["applicant_inn"]]
    inn = Counter(r["applicant_inn"] for r in truth).most_common(1)[0][0]
    ids = {site.ids[r["reg_number"]][1] for r in truth if r["applicant_inn"] == inn}
    open_list(page, site, f"?role=applicant&from=2016&to=2018&q={inn}")
    assert set(row_ids(page)) >= ids
    expected = site.expected("applicant", years=(2016, 2018))
    for org, cells in zip(row_ids(page), table(page), strict=True):
        assert number(cells[2]) == expected[org]
    experts = [r for r in site.counted() if r["expert_org_inn"]]
    e_inn = Counter(r["expert_org_inn"] for r in experts).most_common(1)[0][0]
    e_ids = {site.ids[r["reg_number"]][0] for r in experts if r["expert_org_inn"] == e_inn}
    open_list(page, site, f"?q={e_inn}")
    assert set(row_ids(page)) >= e_ids
    # by a word of the name, typed: the URL follows every keystroke and reloads to the same view
    word = "техдиагностика"
    with_word = {
        site.ids[r["reg_number"]][0]
        for r in site.counted()
        if word in r["expert_org_name"].lower().replace("ё", "е")
    }
    assert with_word
    before = page.evaluate("document.body.dataset.listReady")
    page.fill("#o-q", "Техдиагн")
    wait_list(page, before)
    assert "q=%D0%A2%D0%B5%D1%85%D0%B4%D0%B8%D0%B0%D0%B3%D0%BD" in page.url
    found = set(row_ids(page))
    assert with_word <= found or len(found) == site.manifest["top_n"]
    shown = table(page)
    page.reload()
    page.wait_for_function("document.body.dataset.listReady !== undefined")
    assert table(page) == shown
    assert page.input_value("#o-q") == "Техдиагн"


def test_permalinks_reload_identically(site: Site, page: Any) -> None:
    open_list(page, site, "?role=applicant&from=2016&to=2018")
    before = page.evaluate("document.body.dataset.listReady")
    page.select_option("#o-sort", "static")
    wait_list(page, before)
    assert "sort=static" in page.url
    before = page.evaluate("document.body.dataset.listReady")
    page.click("#o-pager a[data-page='2']")
    wait_list(page, before)
    assert "page=2" in page.url and "from=2016" in page.url and "role=applicant" in page.url
    shown = table(page)
    url = page.url
    page.goto(url)
    page.wait_for_function("document.body.dataset.listReady !== undefined")
    assert table(page) == shown
    page.go_back()
    page.wait_for_function("() => !location.search.includes('page=2')")
    # a filter change keeps role and sort and goes back to the first page
    before = page.evaluate("document.body.dataset.listReady")
    page.select_option("#f-type", "zs")
    wait_list(page, before)
    assert "type=zs" in page.url and "sort=static" in page.url and "page=" not in page.url


def test_first_page_reads_the_same_without_javascript(site: Site, browser: Any, page: Any) -> None:
    open_list(page, site)
    with_js = table(page)
    context = browser.new_context(java_script_enabled=False)
    plain = context.new_page()
    plain.goto(f"{site.url}orgs.html")
    without = table(plain)
    context.close()
    assert without == with_js
    expected = site.expected("expert")
    assert [number(r[2]) for r in without] == sorted(expected.values(), reverse=True)[
        : site.manifest["top_n"]
    ]


@pytest.mark.parametrize("address", ["orgs.html?role=applicant&page=2", "ORG"])
def test_no_sideways_scrolling_on_a_phone(site: Site, browser: Any, address: str) -> None:
    if address == "ORG":
        top = site.expected("expert").most_common(1)[0][0]
        address = f"org.html?role=expert&id={quote(top)}"
    context = browser.new_context(viewport={"width": 390, "height": 844})
    tab = context.new_page()
    tab.goto(site.url + address)
    tab.wait_for_function("document.body.dataset.listReady || document.body.dataset.recordsReady")
    overflow = tab.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    context.close()
    assert overflow <= 0


# ---------------------------------------------------------------------------------------------
# The organization's conclusions


def open_org(page: Any, site: Site, role: str, org: str, query: str = "") -> Any:
    page.goto(f"{site.url}org.html?role={role}&id={quote(org)}{query}")
    page.wait_for_function("document.body.dataset.recordsReady !== undefined")
    return page


@pytest.mark.parametrize(
    ("role", "query", "flt"),
    [
        ("expert", "", {}),
        ("expert", "&from=2016&to=2018&type=tu", {"years": (2016, 2018), "type_": "tu"}),
        ("applicant", "&from=2017&to=2018", {"years": (2017, 2018)}),
        # an office: a large organization's page reads its pieces of that office
        ("expert", "&region=o-mos", {"office": "o-mos"}),
        ("expert", "&from=2017&to=2018&region=o-mos", {"years": (2017, 2018), "office": "o-mos"}),
        (
            "applicant",
            "&from=2016&to=2018&type=tu&region=o-mos",
            {"years": (2016, 2018), "type_": "tu", "office": "o-mos"},
        ),
        # a type and a district together: the pieces before a page are counted by (type, district)
        ("expert", "&type=tu&region=d-CFD", {"type_": "tu", "district": "d-CFD"}),
    ],
)
def test_org_page_lists_exactly_its_conclusions_under_the_filter(
    site: Site, page: Any, role, query, flt
) -> None:
    busiest = site.expected(role, **flt).most_common(1)[0][0]
    want = [r for r in site.counted(**flt) if site.ids[r["reg_number"]][ROLE_COLUMN[role]] == busiest]
    open_org(page, site, role, busiest, query)
    assert number(page.text_content("#fig-count")) == len(want)
    rows = download_csv(page, "#org-csv")
    assert sorted(r["reg_number"] for r in rows) == sorted(r["reg_number"] for r in want)
    # the pages, newest first, together are the same list
    seen: list[str] = []
    pages = -(-len(want) // 50)
    for p in range(1, min(pages, 4) + 1):
        open_org(page, site, role, busiest, f"{query}&page={p}" if p > 1 else query)
        seen += [r[0] for r in table(page, "#org-records")]
    by_reg = {r["reg_number"]: r for r in want}
    dates = [by_reg[reg]["date_registered"] for reg in seen]
    assert dates == sorted(dates, reverse=True)
    assert len(seen) == len(set(seen)) == min(len(want), 200)
    assert set(seen) <= set(by_reg)


# ---------------------------------------------------------------------------------------------
# One count everywhere


def test_counts_agree_across_pages(site: Site, page: Any) -> None:
    counted = list(site.counted())
    experts = site.expected("expert")
    applicants = site.expected("applicant")
    page.goto(f"{site.url}index.html")
    page.wait_for_selector("body[data-ready]", state="attached")
    assert number(page.text_content("#fig-n")) == len(counted)
    assert number(page.text_content("#fig-expert")) == len(experts)
    assert number(page.text_content("#fig-applicant")) == len(applicants)
    pulse_top = {
        a.split("id=")[1].split("&")[0]: number(c)
        for a, c in zip(
            page.eval_on_selector_all("#top-expert tbody a", "els => els.map(e => e.getAttribute('href'))"),
            page.eval_on_selector_all(
                "#top-expert tbody td:nth-child(3)", "els => els.map(e => e.textContent)"
            ),
            strict=True,
        )
    }
    assert pulse_top and all(experts[k] == v for k, v in pulse_top.items())
    assert page.locator("#count-note").count() == 1
    page.goto(f"{site.url}about.html")
    assert number(page.text_content("#about-records")) == len(counted)
    assert number(page.text_content("#about-excluded")) == sum(1 for r in site.truth if r["excluded_date"])
    assert number(page.text_content("tr[data-role='expert'] .org-count")) == len(experts)
    assert number(page.text_content("tr[data-role='applicant'] .org-count")) == len(applicants)
    assert page.locator("#count-note").count() == 1
    # organizations page and organization page
    busiest = experts.most_common(1)[0][0]
    open_list(page, site)
    assert row_ids(page)[0] == busiest and number(table(page)[0][2]) == experts[busiest]
    open_org(page, site, "expert", busiest)
    assert number(page.text_content("#fig-count")) == experts[busiest]
    # TOP-30 of the last year
    year = site.manifest["years"][-1]
    in_year = site.expected("expert", years=(year, year))
    page.goto(f"{site.url}top.html")
    page.wait_for_selector("body[data-ready]", state="attached")
    assert page.locator("#count-note").count() == 1
    card = page.locator(".year-card", has=page.locator(f"#h-y{year}"))
    hrefs = card.locator("tbody a").evaluate_all("els => els.map(e => e.getAttribute('href'))")
    cells = card.locator("tbody td:nth-child(4)").evaluate_all("els => els.map(e => e.textContent)")
    top = {a.split("id=")[1].split("&")[0]: number(c) for a, c in zip(hrefs, cells, strict=True)}
    assert top and all(in_year[k] == v for k, v in top.items())
    # search within «Организации» by INN gives the same count as the organization page
    inns = Counter(r["applicant_inn"] for r in counted if r["applicant_inn"])
    inn = inns.most_common(1)[0][0]
    holders = {site.ids[r["reg_number"]][1] for r in counted if r["applicant_inn"] == inn}
    open_list(page, site, f"?role=applicant&q={inn}")
    listed = dict(zip(row_ids(page), (number(r[2]) for r in table(page)), strict=True))
    for org in holders:
        assert listed[org] == applicants[org]
