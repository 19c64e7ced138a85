"""Charts as an instrument, in headless Chromium on the demo build: one colour per object type on every
view and page, full names in the legend, a click on a mark sets the filter and the permalink, the
TOP-30 rank-over-time chart, and the default «Пульс» and TOP-30 read without JavaScript. Truth comes
from the demo's truth files (what the generator planted) and the schema, never from the site's data."""

from __future__ import annotations

import csv
import json
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

import pytest
from browsing import CHROMIUM, chromium, record_org_ids, render_demo_site, serve_folder, truth_records

from openepb.contract.sources import SCHEMA_DIR

pytestmark = pytest.mark.browser

if not Path(CHROMIUM).exists():
    pytest.skip("chromium is not installed (Debian package `chromium`)", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api")


@dataclass(frozen=True)
class Site:
    url: str
    manifest: dict[str, Any]
    truth: list[dict[str, str]]  # records in the register (excluded ones dropped)
    ids: dict[str, tuple[str | None, str | None]]  # reg_number → (expert id, applicant id)

    def district_of(self, office_code: str) -> str:
        office = next(o for o in self.manifest["offices"] if o["code"] == office_code)
        return self.manifest["districts"][office["district"]]["key"]


@pytest.fixture(scope="module")
def site(demo_build: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    root = tmp_path_factory.mktemp("charts-site")
    rank_dir = render_demo_site(demo_build.database, root)
    truth = [r for r in truth_records(demo_build.corpus.truth_dir) if not r["excluded_date"]]
    ids = record_org_ids(demo_build.database)
    manifest = json.loads((rank_dir / "manifest.json").read_text(encoding="utf-8"))
    with serve_folder(root) as url:
        yield Site(url, manifest, truth, ids)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as instance:
        yield instance


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    tab.set_default_timeout(10_000)
    errors: list[str] = []
    tab.on("pageerror", lambda e: errors.append(str(e)))
    yield tab
    context.close()
    assert errors == []


def schema_names() -> dict[str, str]:
    with (SCHEMA_DIR / "object_types.csv").open(encoding="utf-8", newline="") as handle:
        return {r["code"]: r["name"] for r in csv.DictReader(handle)}


def share_text(count: int, total: int) -> str:
    return f"{round(count / total * 100, 2):.2f}".replace(".", ",") + " %"


def number(text: str) -> int:
    return int(re.sub(r"\D", "", text))


def open_ready(page: Any, url: str) -> Any:
    page.goto(url)
    page.wait_for_selector("body[data-ready]", state="attached")
    return page


def wait_combo(page: Any, part: str) -> None:
    page.wait_for_function("part => (document.body.dataset.ready || '').includes(part)", arg=part)


def legend_colours(page: Any) -> dict[str, str]:
    return page.eval_on_selector_all(
        "#chart-type .legend li",
        "items => Object.fromEntries(items.map(li => [li.dataset.type,"
        " getComputedStyle(li.querySelector('.swatch')).backgroundColor]))",
    )


def slice_colours(page: Any) -> dict[str, str]:
    return page.eval_on_selector_all(
        "#chart-type svg [data-type]",
        "xs => Object.fromEntries(xs.map(x => [x.dataset.type, x.getAttribute('fill') === 'none'"
        " ? x.getAttribute('stroke') : x.getAttribute('fill')]))",
    )


def slice_point(page: Any, key: str) -> tuple[float, float]:
    """A point inside a slice of the donut (the middle of its box may be the hole)."""
    x, y = page.eval_on_selector(
        f'#chart-type svg [data-pick="{key}"]',
        """el => {
          el.scrollIntoView({ block: "center" });
          const svg = el.ownerSVGElement;
          const total = el.getTotalLength ? el.getTotalLength() : 0;
          for (let i = 1; i < 40; i++) {
            const p = total ? el.getPointAtLength((total * i) / 40) : { x: 100, y: 14 };
            const q = svg.createSVGPoint();
            q.x = p.x + (100 - p.x) * 0.15;
            q.y = p.y + (100 - p.y) * 0.15;
            if (!el.isPointInFill || el.isPointInFill(q)) {
              const s = q.matrixTransform(svg.getScreenCTM());
              return [s.x, s.y];
            }
          }
          return null;
        }""",
    )
    return x, y


def type_order(records: list[dict[str, str]]) -> list[str]:
    return [code for code, _ in Counter(r["object_type"] for r in records).most_common()]


def test_one_colour_per_type_on_every_view_and_page(site: Site, page: Any) -> None:
    overall = type_order(site.truth)
    # a district whose order of types differs from Russia's: colours by slice order would differ there
    by_district: dict[str, list[dict[str, str]]] = {}
    for r in site.truth:
        by_district.setdefault(site.district_of(r["office_code"]), []).append(r)
    district = next(
        (
            d
            for d, rows in by_district.items()
            if type_order(rows)[: len(overall)] != overall[: len(type_order(rows))]
        ),
        next(iter(by_district)),
    )
    open_ready(page, site.url + "index.html")
    russia, russia_slices = legend_colours(page), slice_colours(page)
    assert set(russia) == set(overall) and len(set(russia.values())) == len(russia)
    open_ready(page, f"{site.url}index.html?region={district}")
    wait_combo(page, f"/{district}.json")
    there = legend_colours(page)
    assert there and all(there[code] == russia[code] for code in there)
    assert set(slice_colours(page).items()) <= set(russia_slices.items())
    expert = Counter(site.ids[r["reg_number"]][0] for r in site.truth).most_common(1)[0][0]
    open_ready(page, f"{site.url}org.html?role=expert&id={quote(expert)}")
    page.wait_for_selector("#chart-type .legend li")
    org = legend_colours(page)
    assert org and all(org[code] == russia[code] for code in org)


def test_legends_show_full_names_wrapped(site: Site, page: Any) -> None:
    names = schema_names()
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        open_ready(page, site.url + "index.html")
        shown = page.eval_on_selector_all(
            "#chart-type .legend li",
            "items => items.map(li => [li.dataset.type, li.querySelector('.legend-name').textContent,"
            " li.querySelector('.legend-name').scrollWidth <= li.querySelector('.legend-name').clientWidth])",
        )
        assert shown
        for code, name, fits in shown:
            assert name == names.get(code, code)
            assert fits, f"{code}: the name is cut at {width} px"


def test_shares_are_rounded_once(site: Site, page: Any) -> None:
    total = len(site.truth)
    open_ready(page, site.url + "index.html")
    legend = page.eval_on_selector_all(
        "#chart-type .legend li",
        "items => items.map(li => [li.dataset.type, li.querySelector('.legend-value').textContent])",
    )
    counts = Counter(r["object_type"] for r in site.truth)
    for code, text in legend:
        assert text.split(" · ")[1] == share_text(counts[code], total)
    # the office with fewest conclusions: small totals are where a double rounding shows
    offices = Counter(r["office_code"] for r in site.truth)
    office = min(offices, key=lambda o: (offices[o], o))
    key = next(o["key"] for o in site.manifest["offices"] if o["code"] == office)
    open_ready(page, f"{site.url}index.html?region={key}")
    wait_combo(page, f"/{key}.json")
    rows = [r for r in site.truth if r["office_code"] == office]
    experts = Counter(site.ids[r["reg_number"]][0] for r in rows)
    first = page.locator("#top-expert tbody tr").first
    href = first.locator("a").get_attribute("href")
    org = unquote(re.search(r"[?&]id=([^&]+)", href).group(1))
    assert number(first.locator("td").nth(2).text_content()) == experts[org]
    assert first.locator("td").nth(3).text_content() == share_text(experts[org], len(rows))


def test_clicks_set_the_filter_and_the_permalink(site: Site, page: Any) -> None:
    m = site.manifest
    years = Counter(int(r["year"]) for r in site.truth)
    year = max(years, key=lambda y: (years[y], y))
    open_ready(page, site.url + "index.html")
    # a month sets its year
    page.locator(f'#chart-month rect[data-pick="{year}"]').nth(5).click()
    wait_combo(page, f"/{year}-{year}/all/all.json")
    assert f"from={year}" in page.url and f"to={year}" in page.url
    assert number(page.text_content("#fig-n")) == years[year]
    assert page.input_value("#f-from") == str(year) == page.input_value("#f-to")
    # the same year's bar again: all years
    page.locator(f'#chart-year [data-pick="{year}"]').click()
    wait_combo(page, f"/{m['years'][0]}-{m['years'][-1]}/all/all.json")
    assert "from=" not in page.url
    # a bar of a year
    page.locator(f'#chart-year [data-pick="{year}"]').click()
    wait_combo(page, f"/{year}-{year}/all/all.json")
    # a slice of a type (the largest of that year)
    in_year = [r for r in site.truth if int(r["year"]) == year]
    code = type_order(in_year)[0]
    type_key = next(t["key"] for t in m["types"] if t["code"] == code)
    page.mouse.click(*slice_point(page, type_key))
    wait_combo(page, f"/{year}-{year}/{type_key}/all.json")
    assert f"type={quote(type_key)}" in page.url or f"type={type_key}" in page.url
    assert page.input_value("#f-type") == type_key
    # a district from the keyboard: focus its bar, press Enter
    rows = [r for r in in_year if r["object_type"] == code]
    districts = Counter(site.district_of(r["office_code"]) for r in rows)
    district = max(districts, key=lambda d: (districts[d], d))
    bar = page.locator(f'#chart-region [data-pick="{district}"]')
    bar.focus()
    page.keyboard.press("Enter")
    wait_combo(page, f"/{type_key}/{district}.json")
    assert f"region={district}" in page.url
    assert page.input_value("#f-district") == district
    assert number(page.text_content("#fig-n")) == districts[district]
    # focus stays in the chart (on its first office: the district's offices replaced the districts)
    assert page.evaluate("document.activeElement.closest('.chart').id") == "chart-region"
    # an office bar (now the region chart lists the district's offices), with Space
    offices = Counter(r["office_code"] for r in rows if site.district_of(r["office_code"]) == district)
    office = max(offices, key=lambda o: (offices[o], o))
    office_key = next(o["key"] for o in m["offices"] if o["code"] == office)
    page.locator(f'#chart-region [data-pick="{office_key}"]').focus()
    page.keyboard.press(" ")
    wait_combo(page, f"/{type_key}/{office_key}.json")
    assert number(page.text_content("#fig-n")) == offices[office]
    permalink = page.url
    # the permalink reloaded gives the same view
    open_ready(page, permalink)
    wait_combo(page, f"/{year}-{year}/{type_key}/{office_key}.json")
    assert number(page.text_content("#fig-n")) == offices[office]
    assert page.input_value("#f-office") == office_key and page.input_value("#f-type") == type_key
    # back goes one click back
    page.go_back()
    wait_combo(page, f"/{type_key}/{district}.json")


def test_tooltips_give_count_and_share(site: Site, page: Any) -> None:
    total = len(site.truth)
    counts = Counter(r["object_type"] for r in site.truth)
    code = counts.most_common(1)[0][0]
    open_ready(page, site.url + "index.html")
    key = next(t["key"] for t in site.manifest["types"] if t["code"] == code)
    slice_ = page.locator(f'#chart-type svg [data-pick="{key}"]')
    title = slice_.locator("title").text_content()
    page.mouse.move(*slice_point(page, key))
    visible = page.text_content("#chart-type .chart-tip")
    for text in (title, visible):
        assert f"{counts[code]:,}".replace(",", "\u00a0") in text.replace("\u202f", "\u00a0")
        assert share_text(counts[code], total) in text


def test_rank_over_time_chart_on_top(site: Site, page: Any) -> None:
    open_ready(page, site.url + "top.html")
    latest = max(int(r["year"]) for r in site.truth)
    first_year = min(int(r["year"]) for r in site.truth)
    lines = page.locator("#chart-rank .rank-line").count()
    shown = page.locator(f"#h-y{latest} ~ .table-wrap tbody tr").count()
    assert lines == shown > 0
    # the table behind the chart: one row per organization, one column per year
    head = page.eval_on_selector_all("#chart-rank table thead th", "ths => ths.map(th => th.textContent)")
    assert head[1] == str(first_year) and head[-1] == str(latest)
    # its last column is the place in the latest year, as in that year's table
    chart_places = page.eval_on_selector_all(
        "#chart-rank table tbody tr", "trs => trs.map(tr => tr.lastElementChild.textContent)"
    )
    table_places = page.eval_on_selector_all(
        f"#h-y{latest} ~ .table-wrap tbody tr", "trs => trs.map(tr => tr.firstElementChild.textContent)"
    )
    assert chart_places == table_places


def test_default_views_read_without_javascript(site: Site, browser: Any) -> None:
    context = browser.new_context(java_script_enabled=False)
    plain = context.new_page()
    try:
        plain.goto(site.url + "index.html")
        total = len(site.truth)
        assert "Загрузка" not in (plain.text_content("#status") or "")
        assert plain.is_visible("#view")
        assert number(plain.text_content("#fig-n")) == total
        experts = Counter(site.ids[r["reg_number"]][0] for r in site.truth)
        applicants = Counter(site.ids[r["reg_number"]][1] for r in site.truth)
        assert number(plain.text_content("#fig-expert")) == len([k for k in experts if k])
        assert number(plain.text_content("#fig-applicant")) == len([k for k in applicants if k])

        def table(selector: str) -> list[list[str]]:
            return plain.eval_on_selector_all(
                f"{selector} tbody tr",
                "trs => trs.map(tr => [...tr.children].map(c => c.textContent.trim()))",
            )

        years = Counter(int(r["year"]) for r in site.truth)
        assert {int(y): (number(c), s) for y, c, s in table("#chart-year")} == {
            y: (n, share_text(n, total)) for y, n in years.items()
        }
        names = schema_names()
        types = Counter(r["object_type"] for r in site.truth)
        assert table("#chart-type") == [
            [f"{c} — {names.get(c, c)}", f"{n:,}".replace(",", "\u202f"), share_text(n, total)]
            for c, n in sorted(types.items(), key=lambda x: -x[1])
        ]
        by_name = {d["key"]: d["name"] for d in site.manifest["districts"]}
        districts = Counter(by_name[site.district_of(r["office_code"])] for r in site.truth)
        assert {name: (number(c), s) for name, c, s in table("#chart-region")} == {
            d: (n, share_text(n, total)) for d, n in districts.items()
        }
        months = Counter(
            (int(r["year"]), int(r["date_registered"][5:7])) for r in site.truth if r["date_registered"]
        )
        for row in table("#chart-month"):
            assert [number(x) for x in row[1:]] == [months[(int(row[0]), k)] for k in range(1, 13)]
        top = table("#top-expert")
        assert [number(r[2]) for r in top] == sorted((n for k, n in experts.items() if k), reverse=True)[:20]
        assert [r[3] for r in top] == [share_text(number(r[2]), total) for r in top]
        assert len(table("#top-applicant")) == min(20, len([k for k in applicants if k]))

        plain.goto(site.url + "top.html")
        latest = max(years)
        in_latest = Counter(site.ids[r["reg_number"]][0] for r in site.truth if int(r["year"]) == latest)
        rows = table(f"#h-y{latest} ~ .table-wrap")
        top_n = site.manifest["top_n"]
        assert [number(r[3]) for r in rows][:top_n] == sorted(
            (n for k, n in in_latest.items() if k), reverse=True
        )[:top_n]
        assert plain.locator("#view .year-card").count() == len(site.manifest["years"])
    finally:
        context.close()
