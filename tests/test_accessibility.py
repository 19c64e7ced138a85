"""Every page of a full demo build, docs included, at a desktop (1366x900) and a phone (390x844)
width: no serious or critical axe-core violation, and on the phone nothing scrolls sideways.

axe-core comes from npm: package.json pins it, ``scripts/setup`` runs ``npm ci`` (node_modules/ is
not committed). Locally without it the module is skipped; in CI (``CI`` set) a missing axe-core fails.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from browsing import CHROMIUM, CHROMIUM_ARGS, serve_folder

pytestmark = pytest.mark.browser

AXE = Path(__file__).resolve().parent.parent / "node_modules" / "axe-core" / "axe.min.js"
if not Path(CHROMIUM).exists():
    pytest.skip("chromium is not installed (Debian package `chromium`)", allow_module_level=True)
if not AXE.exists():
    if os.environ.get("CI"):
        raise RuntimeError(f"axe-core is missing ({AXE}): run scripts/setup (npm ci)")
    pytest.skip("axe-core is not installed: run `npm ci` (scripts/setup does)", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api")

WIDTHS = {"desktop": (1366, 900), "phone": (390, 844)}
SERIOUS = {"serious", "critical"}

#: What a page sets on <body> once its script has drawn it (pages without a script need nothing).
READY = {
    "index.html": "document.body.dataset.ready",
    "top.html": "document.body.dataset.ready",
    "orgs.html": "document.body.dataset.ready",
    "org.html": "document.body.dataset.ready",
    "review.html": "document.body.dataset.ready",
    "search.html": "document.body.dataset.searchState === 'done'",
    "conclusion.html": "document.body.dataset.cardState === 'done'",
    "rejects.html": "document.body.dataset.ready",
}

#: In the browser: what scrolls sideways. The document itself, and every element wider than its
#: box (a table, a pre, a figure) that is not inside a keyboard-reachable scroll region.
OVERFLOW_JS = """() => {
  const doc = document.scrollingElement;
  const found = [];
  if (doc.scrollWidth > doc.clientWidth + 1) found.push(`document ${doc.scrollWidth} > ${doc.clientWidth}`);
  const inRegion = (el) => {
    for (let p = el; p; p = p.parentElement) {
      if (/(auto|scroll)/.test(getComputedStyle(p).overflowX) && p.tabIndex >= 0
          && (p.tagName === "PRE" || p.tagName === "CODE" || p.getAttribute("aria-label"))) return true;
    }
    return false;
  };
  const visible = (el) => el.getClientRects().length > 0 && getComputedStyle(el).visibility !== "hidden";
  for (const el of document.querySelectorAll("main table, main pre, article table, article pre")) {
    if (!visible(el)) continue;
    const box = el.parentElement.getBoundingClientRect();
    const own = el.getBoundingClientRect();
    const wide = el.tagName === "PRE" ? el.scrollWidth > el.clientWidth + 1 : own.width > box.width + 1;
    if (wide && !inRegion(el) && !inRegion(el.querySelector("code") || el)) {
      const name = el.id || el.className || el.tagName;
      found.push(`${el.tagName.toLowerCase()} ${name} ${Math.round(own.width)} px in ${Math.round(box.width)} px`);
    }
  }
  return found;
}"""


@dataclass(frozen=True)
class Site:
    url: str
    root: Path
    exports: Path | None = None
    database: Path | None = None


@pytest.fixture(scope="module")
def site(demo_build: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """The demo build's site as ``build.py`` writes it: quality pages, rankings, pages, docs."""
    from openepb.publish.docs import build_docs
    from openepb.publish.export import export_all
    from openepb.publish.quality import write_quality
    from openepb.publish.rank import build_rankings
    from openepb.publish.site import render_site, site_nav

    root = tmp_path_factory.mktemp("a11y-site")
    exports = tmp_path_factory.mktemp("a11y-exports")
    rank_dir = root / "data" / "rank"
    build_rankings(demo_build.database, rank_dir, quiet=True)
    export_all(demo_build.database, exports, quiet=True)
    write_quality(demo_build.database, exports, root, nav=site_nav())
    render_site(demo_build.database, rank_dir, root, exports_dir=exports, quiet=True)
    build_docs(root, db_path=demo_build.database, exports_dir=exports, quiet=True)
    with serve_folder(root) as url:
        yield Site(url, root, exports, demo_build.database)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


def page_addresses(site: Site, browser: Any) -> list[str]:
    """Every HTML file of the build (one office quality page stands for all), the organization page
    of the first TOP-20 expert, a search and the card of its first result."""
    root = site.root
    pages = sorted(p.relative_to(root).as_posix() for p in root.rglob("*.html"))
    offices = [p for p in pages if p.startswith("quality-")]
    pages = [p for p in pages if not p.startswith(("quality-", "exports/", "schema/"))] + offices[:1]
    assert offices, "the build wrote no office quality page"
    tab = browser.new_page()
    try:
        tab.goto(f"{site.url}top.html")
        tab.wait_for_function(READY["top.html"])
        org = tab.get_attribute("a[href^='org.html?']", "href")
        tab.goto(f"{site.url}search.html?q=2020")
        tab.wait_for_function(READY["search.html"])
        card = tab.get_attribute("a[href^='conclusion.html?']", "href")
        rejects = None
        for office in offices:
            tab.goto(f"{site.url}{office}")
            rejects = tab.get_attribute("a[href^='rejects.html?']", "href")
            if rejects:
                break
    finally:
        tab.close()
    assert org and card and rejects
    extra = [org, "search.html?q=2020", card, rejects]
    return [p for p in pages if p not in ("org.html", "conclusion.html", "rejects.html")] + extra


@pytest.fixture(scope="module")
def addresses(site: Site, browser: Any) -> list[str]:
    return page_addresses(site, browser)


def open_page(browser: Any, site: Site, address: str, width: str) -> Any:
    w, h = WIDTHS[width]
    tab = browser.new_page(viewport={"width": w, "height": h})
    tab.set_default_timeout(20_000)
    tab.goto(site.url + address)
    ready = READY.get(address.split("?")[0].split("#")[0])
    if ready:
        tab.wait_for_function(ready)
    tab.wait_for_load_state("networkidle")
    return tab


def axe_violations(tab: Any) -> list[str]:
    tab.add_script_tag(path=str(AXE))
    result = tab.evaluate(
        "() => axe.run(document, {resultTypes: ['violations']}).then(r => r.violations.map(v => ({"
        "id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map(n => n.target.join(' '))})))"
    )
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {', '.join(v['nodes'][:3])}"
        for v in result
        if v["impact"] in SERIOUS
    ]


@pytest.mark.parametrize("width", list(WIDTHS))
def test_no_serious_axe_violation_and_nothing_scrolls_sideways_on_a_phone(
    site: Site, browser: Any, addresses: list[str], width: str
) -> None:
    """One visit per page and width: axe-core's serious and critical violations; on the phone also
    what is wider than the screen outside a focusable scroll region."""
    found: dict[str, list[str]] = {}
    for address in addresses:
        tab = open_page(browser, site, address, width)
        try:
            problems = axe_violations(tab)
            if width == "phone":
                problems += [f"wider than the screen: {w}" for w in tab.evaluate(OVERFLOW_JS)]
        finally:
            tab.close()
        if problems:
            found[address] = problems
    assert not found, "\n".join(f"{a}: {v}" for a, vs in found.items() for v in vs)


def test_the_overflow_check_sees_a_wide_table(site: Site, browser: Any) -> None:
    """The phone check itself: a table wider than the phone is found, the same table inside a
    focusable, labelled scroll region is not."""
    tab = open_page(browser, site, "about.html", "phone")
    try:
        tab.evaluate(
            """() => {
              const cells = Array.from({length: 30}, (_, i) => `<td>столбец${i}</td>`).join("");
              const wide = document.createElement("table");
              wide.id = "planted";
              wide.innerHTML = `<tr>${cells}</tr>`;
              document.querySelector("main").append(wide);
            }"""
        )
        assert any("planted" in line for line in tab.evaluate(OVERFLOW_JS))
        tab.evaluate(
            """() => {
              const region = document.createElement("div");
              region.style.overflowX = "auto";
              region.setAttribute("role", "region");
              region.setAttribute("aria-label", "Таблица");
              region.tabIndex = 0;
              const wide = document.getElementById("planted");
              wide.replaceWith(region);
              region.append(wide);
            }"""
        )
        assert not [line for line in tab.evaluate(OVERFLOW_JS) if re.search("planted", line)]
    finally:
        tab.close()


def test_the_menu_stays_on_one_line_on_a_desktop(site: Site, browser: Any) -> None:
    for address in ("index.html", "quality.html"):
        tab = open_page(browser, site, address, "desktop")
        try:
            rows, overflow = tab.evaluate(
                """() => {
                  const nav = document.querySelector(".masthead nav ul");
                  const tops = new Set(Array.from(nav.children, (li) => Math.round(li.getBoundingClientRect().top)));
                  return [tops.size, nav.scrollWidth - nav.clientWidth];
                }"""
            )
        finally:
            tab.close()
        assert (rows, overflow) == (1, 0), address


# --- links between pages: parameters, rejects, feeds ------------------------------------------------


def test_invalid_parameters_are_corrected_in_the_address_with_a_note(site: Site, browser: Any) -> None:
    tab = open_page(browser, site, "index.html?type=nothing&region=nowhere&from=1800", "desktop")
    try:
        assert tab.evaluate("location.search") == ""
        note = tab.text_content("#param-note") or ""
        assert "«type=nothing»" in note and "«region=nowhere»" in note and "«from=1800»" in note
    finally:
        tab.close()
    tab = open_page(browser, site, "index.html", "desktop")
    try:
        assert tab.query_selector("#param-note") is None
    finally:
        tab.close()


def test_a_reject_link_opens_a_page_showing_that_row(site: Site, browser: Any, addresses: list[str]) -> None:
    """The row shown is the one of that number in rejects.csv, read here with the csv module."""
    import csv

    [link] = [a for a in addresses if a.startswith("rejects.html?")]
    number = int(link.rsplit("#row=", 1)[1])
    assert site.exports is not None
    with (site.exports / "rejects.csv").open(encoding="utf-8-sig", newline="") as stream:
        record = list(csv.DictReader(stream))[number - 2]  # the header is row 1
    tab = open_page(browser, site, link, "phone")
    try:
        assert tab.text_content("#h-reject") == f"Строка {number} файла rejects.csv"
        facts = tab.text_content("#reject-facts") or ""
        assert record["source_file"] in facts and record["reason"] in facts
        if record["source_row"]:
            assert f"Строка в файле органа{record['source_row']}" in facts
        assert tab.get_attribute(f"#row-{number}", "aria-current") == "true"
    finally:
        tab.close()


def test_feeds_are_linked_from_their_pages(site: Site, browser: Any, addresses: list[str]) -> None:
    """Every office feed and the feed of the organization page visited: the page the feed names as
    its alternate declares it (<link rel=alternate>) and shows a link to it."""
    import duckdb

    from openepb.publish.feeds import feeds_of

    assert site.database is not None
    with duckdb.connect(str(site.database), read_only=True) as con:
        feeds = feeds_of(con)
    [org] = [a for a in addresses if a.startswith("org.html?")]
    pages = {f.alternate: f.path for f in feeds if f.key.startswith("office/")}
    [expert] = [f for f in feeds if f.alternate == org] or [None]
    if expert is not None:
        pages[org] = expert.path
    pages["index.html"] = next(f.path for f in feeds if f.key == "all")
    assert len(pages) > 2
    for page, path in pages.items():
        tab = open_page(browser, site, page, "desktop")
        try:
            declared = tab.eval_on_selector_all(
                "link[rel=alternate][type='application/atom+xml']",
                "els => els.map(e => e.getAttribute('href'))",
            )
            visible = tab.eval_on_selector_all(
                "main a[type='application/atom+xml']", "els => els.map(e => e.getAttribute('href'))"
            )
        finally:
            tab.close()
        assert path in declared and path in visible, page
