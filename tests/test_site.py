"""The site in headless Chromium on the demo build: numbers against DuckDB, permalinks, search,
escaping, keyboard and phone layout. Screenshots of every page go to test-artifacts/screenshots/."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pytest
from browsing import CHROMIUM, CHROMIUM_ARGS, serve_folder

from openepb.contract.sources import ROOT
from openepb.publish.names import display_name

pytestmark = pytest.mark.browser

SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
PAGES = ("index.html", "orgs.html", "top.html", "review.html", "downloads.html", "about.html")
XSS = "<script>alert(1)</script>"

if not Path(CHROMIUM).exists():
    pytest.skip("chromium is not installed (Debian package `chromium`)", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api")


@dataclass(frozen=True)
class Site:
    url: str
    root: Path
    database: Path
    manifest: dict[str, Any]


@pytest.fixture(scope="module")
def site(demo_build: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    from openepb.publish.export import export_all
    from openepb.publish.rank import build_rankings
    from openepb.publish.site import render_site

    root = tmp_path_factory.mktemp("site")
    rank_dir = root / "data" / "rank"
    build_rankings(demo_build.database, rank_dir, quiet=True)
    exports = tmp_path_factory.mktemp("exports")
    export_all(demo_build.database, exports, quiet=True)
    render_site(demo_build.database, rank_dir, root, exports_dir=exports, quiet=True)
    manifest = json.loads((rank_dir / "manifest.json").read_text(encoding="utf-8"))
    with serve_folder(root) as url:
        yield Site(url, root, demo_build.database, manifest)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


class Tab:
    """A page that records console errors, page errors and dialogs."""

    def __init__(self, browser: Any, width: int = 1280) -> None:
        self.page = browser.new_page(viewport={"width": width, "height": 900})
        self.page.set_default_timeout(10_000)
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("dialog", self._dialog)

    def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def open(self, url: str, ready: bool = True) -> Any:
        self.page.goto(url)
        if ready:
            self.page.wait_for_selector("body[data-ready]", state="attached")
        return self.page

    def close(self) -> None:
        self.page.close()


@pytest.fixture
def tab(browser: Any) -> Iterator[Tab]:
    opened = Tab(browser)
    yield opened
    opened.close()


def query(database: Path, sql: str, params: list[Any] | None = None) -> list[tuple]:
    with duckdb.connect(str(database), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def filter_sql(manifest: dict[str, Any], state: dict[str, Any]) -> tuple[str, list[Any]]:
    where = ["excluded_date IS NULL", "year BETWEEN ? AND ?"]
    params: list[Any] = [state["from"], state["to"]]
    if state.get("type"):
        where.append("object_type = ?")
        params.append(next(t["code"] for t in manifest["types"] if t["key"] == state["type"]))
    if state.get("office"):
        where.append("office_code = ?")
        params.append(next(o["code"] for o in manifest["offices"] if o["key"] == state["office"]))
    elif state.get("district"):
        where.append("district = ?")
        params.append(next(d["code"] for d in manifest["districts"] if d["key"] == state["district"]))
    return " AND ".join(where), params


def shown_number(page: Any, selector: str) -> int:
    return int("".join(ch for ch in page.text_content(selector) if ch.isdigit()))


def wait_for_combo(page: Any, part: str) -> None:
    page.wait_for_function("part => (document.body.dataset.ready || '').includes(part)", arg=part)


# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("width", [1280, 360])
def test_pages_load_without_errors_and_fit_the_viewport(site: Site, browser: Any, width: int) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    tab = Tab(browser, width)
    top_expert = query(
        site.database,
        "SELECT expert_org_id FROM records WHERE excluded_date IS NULL GROUP BY 1 ORDER BY count(*) DESC LIMIT 1",
    )[0][0]
    pages = [*PAGES, f"org.html?role=expert&id={top_expert}"]
    try:
        for name in pages:
            page = tab.open(site.url + name, ready=name not in ("downloads.html", "about.html"))
            page.wait_for_load_state("networkidle")
            overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, f"{name} scrolls sideways at {width} px"
            shot = name.split("?")[0].replace(".html", "")
            page.screenshot(path=str(SCREENSHOTS / f"{shot}-{width}.png"), full_page=True)
        assert tab.errors == []
    finally:
        tab.close()


def test_filters_match_duckdb_and_permalink_round_trips(site: Site, tab: Tab) -> None:
    m = site.manifest
    district = m["districts"][0]
    office = next(o for o in m["offices"] if o["district"] == 0)
    state = {
        "from": m["years"][1],
        "to": m["years"][-2],
        "type": m["types"][0]["key"],
        "district": district["key"],
    }
    page = tab.open(site.url + "index.html")
    page.select_option("#f-from", str(state["from"]))
    page.select_option("#f-to", str(state["to"]))
    page.select_option("#f-type", state["type"])
    page.select_option("#f-district", state["district"])
    wait_for_combo(page, f"/{state['type']}/{state['district']}.json")
    where, params = filter_sql(m, state)
    n, experts, applicants, offices = query(
        site.database,
        f"""SELECT count(*), count(DISTINCT expert_org_id), count(DISTINCT applicant_id),
                   count(DISTINCT office_code) FROM records WHERE {where}""",
        params,
    )[0]
    assert shown_number(page, "#fig-n") == n
    assert shown_number(page, "#fig-expert") == experts
    assert shown_number(page, "#fig-applicant") == applicants
    assert shown_number(page, "#fig-office") == offices
    top = query(
        site.database,
        f"""SELECT expert_org_id, count(*) AS c FROM records WHERE {where} AND expert_org_id IS NOT NULL
            GROUP BY 1 ORDER BY c DESC, 1 LIMIT 1""",
        params,
    )[0]
    first_row = page.locator("#top-expert tbody tr").first
    assert f"id={top[0]}&" in first_row.locator("a").get_attribute("href")
    assert int(first_row.locator("td").nth(2).text_content().replace("\u00a0", "").replace(" ", "")) == top[1]
    # The office list narrows to the district; picking one keeps the district.
    offered = page.eval_on_selector_all("#f-office option", "os => os.map(o => o.value).filter(Boolean)")
    assert offered == [o["key"] for o in m["offices"] if o["district"] == 0]
    page.select_option("#f-office", office["key"])
    wait_for_combo(page, f"/{office['key']}.json")
    permalink = page.url
    assert f"from={state['from']}" in permalink and f"region={office['key']}" in permalink
    where, params = filter_sql(m, {**state, "office": office["key"]})
    expected = query(site.database, f"SELECT count(*) FROM records WHERE {where}", params)[0][0]
    assert shown_number(page, "#fig-n") == expected
    # Permalink in a fresh page restores the same view.
    other = Tab(page.context.browser)
    try:
        again = other.open(permalink)
        wait_for_combo(again, f"/{office['key']}.json")
        assert again.input_value("#f-office") == office["key"]
        assert again.input_value("#f-district") == district["key"]
        assert again.input_value("#f-from") == str(state["from"])
        assert shown_number(again, "#fig-n") == expected
    finally:
        other.close()
    # Back returns to the district view.
    page.go_back()
    wait_for_combo(page, f"/{state['district']}.json")
    assert page.input_value("#f-office") == ""
    assert tab.errors == []


def test_empty_filter_says_so(site: Site, tab: Tab) -> None:
    m = site.manifest
    codes = [t["code"] for t in m["types"]]
    rows = query(
        site.database,
        """SELECT y.year, t.code, o.code FROM (SELECT DISTINCT year FROM records) y,
                  (SELECT unnest(?) AS code) t, (SELECT DISTINCT office_code AS code FROM records) o
           WHERE NOT EXISTS (SELECT 1 FROM records r WHERE r.excluded_date IS NULL AND r.year = y.year
                             AND r.object_type = t.code AND r.office_code = o.code)
           ORDER BY 1, 2, 3 LIMIT 1""",
        [codes],
    )
    if not rows:
        pytest.skip("the demo build has no empty (year, type, office) combination")
    year, code, office = rows[0]
    type_key = next(t["key"] for t in m["types"] if t["code"] == code)
    office_key = next(o["key"] for o in m["offices"] if o["code"] == office)
    page = tab.open(f"{site.url}index.html?from={year}&to={year}&type={type_key}&region={office_key}")
    assert "заключений нет" in page.text_content("#status")
    assert page.is_hidden("#view")


def test_org_page_dynamic_rank_matches_duckdb(site: Site, tab: Tab) -> None:
    m = site.manifest
    year = m["years"][-1]
    org_id, count = query(
        site.database,
        """SELECT expert_org_id, count(*) FROM records WHERE excluded_date IS NULL AND expert_org_id IS NOT NULL
           AND year = ? GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 1 OFFSET 2""",
        [year],
    )[0]
    larger = query(
        site.database,
        """SELECT count(*) FROM (SELECT expert_org_id FROM records WHERE excluded_date IS NULL AND year = ?
           AND expert_org_id IS NOT NULL GROUP BY 1 HAVING count(*) > ?)""",
        [year, count],
    )[0][0]
    page = tab.open(f"{site.url}org.html?role=expert&id={org_id}&from={year}&to={year}")
    wait_for_combo(page, f"/{year}-{year}/")
    assert shown_number(page, "#fig-count") == count
    assert page.text_content("#fig-rank").startswith(f"{larger + 1} из")
    name = query(site.database, "SELECT display_name FROM organizations WHERE id = ?", [org_id])[0][0]
    assert page.text_content("#org-name") == name
    latest = query(
        site.database,
        """SELECT reg_number FROM records WHERE expert_org_id = ? AND excluded_date IS NULL AND year = ?
           ORDER BY date_registered DESC NULLS LAST, reg_number DESC LIMIT 1""",
        [org_id, year],
    )[0][0]
    page.wait_for_selector("#org-records tbody tr")
    assert page.locator("#org-records tbody tr").first.locator("a").text_content() == latest
    assert tab.errors == []


def test_top_by_year_for_safety_cases(site: Site, tab: Tab) -> None:
    m = site.manifest
    year = m["years"][-1]
    page = tab.open(f"{site.url}top.html?type=ob")
    assert page.input_value("#f-type") == "ob"
    expected = query(
        site.database,
        """SELECT count(*) FROM records WHERE excluded_date IS NULL AND object_type = 'ОБ' AND year = ?
           GROUP BY expert_org_id ORDER BY 1 DESC LIMIT 1""",
        [year],
    )
    table = page.locator(f"section[aria-labelledby='h-y{year}']")
    if not expected:
        assert "заключений нет" in table.text_content()
        return
    first = table.locator("tbody tr").first
    assert first.locator("td").first.text_content() == "1"
    assert (
        int(first.locator("td").nth(3).text_content().replace("\u00a0", "").replace(" ", ""))
        == expected[0][0]
    )
    headers = table.locator("thead th").all_text_contents()
    assert headers[-1] == f"Место в {year - 1}"


def test_search_within_finds_name_words_and_licence(site: Site, tab: Tab) -> None:
    org_id, name, licence = query(
        site.database,
        """SELECT id, display_name, licence_number FROM organizations
           WHERE role = 'expert' AND licence_number IS NOT NULL AND display_name LIKE '%лаборатория%'
           ORDER BY records DESC LIMIT 1""",
    )[0]
    page = tab.open(site.url + "orgs.html")
    page.fill("#o-q", "русская лаборат")
    page.wait_for_function("() => location.search.includes('q=')")
    page.wait_for_function(
        "id => (document.querySelector('#o-list tbody a') || {}).href?.endsWith('id=' + id)", arg=org_id
    )
    # lists show the short form of the name (its rules: tests/test_names.py)
    assert page.locator("#o-list tbody a").first.text_content() == display_name(name)
    page.fill("#o-q", licence.replace("-", " "))
    page.wait_for_function(
        "id => [...document.querySelectorAll('#o-list tbody a')].map(a => a.href).join(' ').includes('id=' + id)",
        arg=org_id,
    )
    assert page.locator("#o-list tbody tr").count() == 1
    page.fill("#o-q", "яяяяяя")
    page.wait_for_function("() => document.querySelector('#o-status').textContent.includes('ничего')")


def test_script_named_organization_stays_text(site: Site, tab: Tab) -> None:
    rows = query(
        site.database,
        "SELECT id, display_name FROM organizations WHERE display_name LIKE '%<script>%' LIMIT 1",
    )
    assert rows, "the demo corpus has an organization named <script>alert(1)</script>"
    org_id, name = rows[0]
    page = tab.open(f"{site.url}org.html?role=expert&id={org_id}")
    assert page.text_content("#org-name") == name
    assert XSS in page.text_content("#org-names")
    assert page.evaluate("document.querySelectorAll('main script').length") == 0
    page = tab.open(site.url + "orgs.html?q=script+alert")
    page.wait_for_selector("#o-list tbody a")
    assert XSS in page.locator("#o-list tbody a").first.text_content()
    assert tab.dialogs == []
    assert tab.errors == []


def test_keyboard_reaches_and_drives_the_filters(site: Site, tab: Tab) -> None:
    page = tab.open(site.url + "index.html")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"
    for _ in range(16):  # brand, menu, the header search box and its button
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "f-from":
            break
    order = []
    for _ in range(6):
        order.append(page.evaluate("document.activeElement.id"))
        page.keyboard.press("Tab")
    assert order == ["f-from", "f-to", "f-type", "f-district", "f-office", "f-reset"]
    page.focus("#f-type")
    page.keyboard.press("ArrowDown")
    first_type = site.manifest["types"][0]["key"]
    wait_for_combo(page, f"/{first_type}/all.json")
    assert f"type={first_type}" in page.url
    assert page.evaluate("document.activeElement.id") == "f-type"
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid"
    page.focus("#f-reset")
    page.keyboard.press("Enter")
    wait_for_combo(page, "/all/all.json")
    assert "?" not in page.url


# ---------------------------------------------------------------------------------------------
# Merge review (review.html) and the organization page's evidence

REVIEW_ROWS = 50


def merged_ids(database: Path, role: str) -> list[str]:
    """Organizations of a role gathering more than one spelling, busiest first (the review order).

    Busiest by counted conclusions (docs/site.md «Что считается»: not excluded, dated), written
    out here rather than taken from the code.
    """
    id_col = "expert_org_id" if role == "expert" else "applicant_id"
    rows = query(
        database,
        f"""SELECT o.id FROM organizations o LEFT JOIN (SELECT {id_col} AS id, count(*) AS n FROM records
                 WHERE {id_col} IS NOT NULL AND excluded_date IS NULL AND year IS NOT NULL GROUP BY 1) r
                 USING (id)
            WHERE o.role = ? AND json_array_length(o.spellings) > 1 ORDER BY coalesce(r.n, 0) DESC, o.id""",
        [role],
    )
    return [r[0] for r in rows]


def row_ids(page: Any) -> list[str]:
    return page.eval_on_selector_all(
        "#review-table tbody tr th code.org-id", "cs => cs.map(c => c.textContent)"
    )


def table_text(page: Any) -> list[str]:
    """Every cell of the review table, spaces aside (markup whitespace differs between the HTML the
    build writes and the table the script draws)."""
    cells = page.eval_on_selector_all(
        "#review-table caption, #review-table th, #review-table td", "cs => cs.map(c => c.textContent)"
    )
    return ["".join(cell.split()) for cell in cells]


def test_review_page_pages_filters_by_kind_and_permalinks(site: Site, tab: Tab) -> None:
    merged = merged_ids(site.database, "expert")
    assert len(merged) > REVIEW_ROWS, "the demo has more merged expert organizations than one page"
    pages = -(-len(merged) // REVIEW_ROWS)
    page = tab.open(site.url + "review.html")
    assert page.evaluate("document.body.dataset.ready") == "expert/merged/1"
    assert row_ids(page) == merged[:REVIEW_ROWS]
    assert page.text_content(".pager-at") == f"Страница 1 из {pages}"
    page.click("#review-pager a[rel=next]")
    page.wait_for_function("() => document.body.dataset.ready === 'expert/merged/2'")
    assert page.url.endswith("review.html?page=2")
    assert row_ids(page) == merged[REVIEW_ROWS : 2 * REVIEW_ROWS]
    assert page.evaluate("document.activeElement.id") == "review-title"
    # by kind: the applicants' most frequent kind of near-miss
    kind, count = query(
        site.database,
        "SELECT kind, count(*) FROM merge_candidates WHERE role = 'applicant' GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 1",
    )[0]
    page.select_option("#r-role", "applicant")
    page.wait_for_function("() => (document.body.dataset.ready || '').startsWith('applicant/')")
    offered = page.eval_on_selector_all("#r-kind option", "os => os.map(o => o.value)")
    kinds = [
        k
        for (k,) in query(
            site.database, "SELECT DISTINCT kind FROM merge_candidates WHERE role = 'applicant'"
        )
    ]
    assert sorted(offered) == sorted(["merged", "all", *kinds])
    page.select_option("#r-kind", kind)
    page.wait_for_function("k => document.body.dataset.ready === 'applicant/' + k + '/1'", arg=kind)
    assert page.url.endswith(f"review.html?role=applicant&kind={kind}")
    shown = page.eval_on_selector_all("#review-table tbody tr", "rs => rs.map(r => r.dataset.kind)")
    assert shown == [kind] * min(count, REVIEW_ROWS)
    first = query(
        site.database,
        """SELECT id_a, id_b FROM merge_candidates WHERE role = 'applicant' AND kind = ?
           ORDER BY score DESC, id_a, id_b, reason LIMIT 1""",
        [kind],
    )[0]
    assert row_ids(page)[:2] == list(first)
    permalink, text = page.url, table_text(page)
    other = Tab(page.context.browser)
    try:
        again = other.open(permalink)
        assert again.evaluate("document.body.dataset.ready") == f"applicant/{kind}/1"
        assert again.input_value("#r-role") == "applicant" and again.input_value("#r-kind") == kind
        assert table_text(again) == text
        deep = other.open(f"{site.url}review.html?page={pages}")
        assert row_ids(deep) == merged[(pages - 1) * REVIEW_ROWS :]
        assert other.errors == []
    finally:
        other.close()
    page.go_back()
    page.wait_for_function("() => document.body.dataset.ready === 'applicant/merged/1'")
    assert page.input_value("#r-kind") == "merged"
    assert tab.errors == []


def test_review_default_view_reads_the_same_without_javascript(site: Site, browser: Any) -> None:
    context = browser.new_context(java_script_enabled=False)
    try:
        plain = context.new_page()
        plain.goto(site.url + "review.html")
        assert plain.is_hidden("#review-form")
        static_text = table_text(plain)
        static_ids = row_ids(plain)
    finally:
        context.close()
    tab = Tab(browser)
    try:
        page = tab.open(site.url + "review.html")
        assert static_ids == merged_ids(site.database, "expert")[:REVIEW_ROWS]
        assert table_text(page) == static_text
    finally:
        tab.close()


@pytest.mark.parametrize("view", ["review.html", "review.html?role=applicant&kind=all"])
def test_review_page_does_not_scroll_sideways_on_a_phone(site: Site, browser: Any, view: str) -> None:
    tab = Tab(browser, 390)
    try:
        page = tab.open(site.url + view)
        assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
        boxes = page.evaluate(
            "[...document.querySelectorAll('main .table-wrap, main pre')].map(b => b.scrollWidth - b.clientWidth)"
        )
        assert boxes and max(boxes) <= 0, boxes
        assert page.evaluate("document.querySelectorAll('#review-table tbody tr').length") > 0
        assert tab.errors == []
    finally:
        tab.close()


def test_org_page_shows_spellings_inns_and_evidence(site: Site, tab: Tab) -> None:
    org_id, inns, evidence = query(
        site.database,
        """SELECT id, inns, evidence FROM organizations WHERE role = 'expert'
           ORDER BY json_array_length(evidence) DESC, id LIMIT 1""",
    )[0]
    evidence = json.loads(evidence)
    page = tab.open(f"{site.url}org.html?role=expert&id={org_id}")
    rows = page.locator("#org-evidence tbody tr")
    assert rows.count() == len(evidence)
    first = rows.first.locator("th, td").all_text_contents()
    assert first[0] == evidence[0]["name"]
    assert int("".join(ch for ch in first[1] if ch.isdigit())) == evidence[0]["count"]
    assert first[4] in {"по лицензии", "по ИНН", "по ИНН лицензиата"} or first[4].startswith("совпадает")
    assert ", ".join(json.loads(inns)) in page.text_content("#org-keys")
    assert page.get_attribute("#org-review", "href") == "review.html?role=expert"
    linked = query(
        site.database,
        "SELECT id, successor_id FROM organizations WHERE successor_id IS NOT NULL ORDER BY id LIMIT 1",
    )
    if linked:
        before, after = linked[0]
        role = "expert" if before.startswith("e-") else "applicant"
        page = tab.open(f"{site.url}org.html?role={role}&id={before}")
        assert page.get_attribute("#org-keys a.link-successor", "href").endswith(f"id={after}")
        page = tab.open(f"{site.url}org.html?role={role}&id={after}")
        assert page.get_attribute("#org-keys a.link-predecessor", "href").endswith(f"id={before}")
    assert tab.errors == []
