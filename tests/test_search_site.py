"""Search and conclusion cards in headless Chromium on the demo build. Truth comes from the demo's
truth files (what the generator planted), never from the index under test."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pytest
from browsing import CHROMIUM, chromium, render_demo_site, serve_folder, truth_records

pytestmark = pytest.mark.browser

if not Path(CHROMIUM).exists():
    pytest.skip("chromium is not installed (Debian package `chromium`)", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api")

LATIN = str.maketrans("АВЕКМНОРСТУХ", "ABEKMHOPCTYX")


@dataclass(frozen=True)
class Site:
    url: str
    root: Path
    database: Path
    truth: list[dict[str, str]]


@pytest.fixture(scope="module")
def site(demo_build: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    root = tmp_path_factory.mktemp("search-site")
    render_demo_site(demo_build.database, root)
    truth = truth_records(demo_build.corpus.truth_dir)
    with serve_folder(root) as url:
        yield Site(url, root, demo_build.database, truth)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as instance:
        yield instance


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    tab = browser.new_page(viewport={"width": 1280, "height": 900})
    tab.set_default_timeout(15_000)
    errors: list[str] = []
    tab.on("pageerror", lambda e: errors.append(str(e)))
    yield tab
    tab.close()
    assert not errors


def search(page: Any, site: Site, query: str, extra: str = "") -> list[str]:
    """Open the search page for ``query``; the registration numbers listed on the first page."""
    from urllib.parse import quote

    page.goto(f"{site.url}search.html?q={quote(query)}{extra}")
    page.wait_for_function("document.body.dataset.searchState === 'done'")
    return page.eval_on_selector_all("#results li .result-title a", "els => els.map(e => e.textContent)")


def status(page: Any) -> str:
    return page.text_content("#q-status") or ""


def total(page: Any) -> int:
    m = re.search(r"Найдено заключений: (?:не менее )?([\d\s\u202f\u00a0]+)", status(page))
    assert m, status(page)
    return int(re.sub(r"\D", "", m[1]))


def rare(site: Site, column: str) -> dict[str, str]:
    """A truth row whose ``column`` value occurs in few records (so it is on the first page)."""
    counts = Counter(r[column] for r in site.truth if r[column])
    return next(r for r in site.truth if r[column] and counts[r[column]] <= 5)


def truth_count(site: Site, value: str, *columns: str) -> int:
    return sum(1 for r in site.truth if any(r[c] == value for c in columns))


# ---------------------------------------------------------------------------------------------


def test_every_spelling_of_a_registration_number_finds_it(site: Site, page: Any) -> None:
    row = next(r for r in site.truth if r["reg_number_published"])
    reg = row["reg_number"]
    first, code, serial, year = reg.split("-")
    spellings = {
        row["reg_number_published"],
        reg.translate(LATIN),
        reg.lower(),
        f"№ {first} {code} {serial} {year}",
        f"{first}–{code}–{serial}–{year}",
        f"{int(first)}-{code}-{serial}-{year}",
    }
    for spelling in spellings:
        assert search(page, site, spelling)[:1] == [reg], spelling


@pytest.mark.parametrize("column", ["applicant_inn", "expert_org_inn", "licence_number"])
def test_an_inn_or_licence_finds_every_conclusion_with_it(site: Site, page: Any, column: str) -> None:
    counts = Counter(r[column] for r in site.truth if r[column])
    value = min(counts, key=lambda v: (counts[v], v))
    row = next(r for r in site.truth if r[column] == value)
    found = search(page, site, value)
    assert row["reg_number"] in found
    inn_columns = ("applicant_inn", "expert_org_inn") if column.endswith("inn") else (column,)
    assert total(page) == truth_count(site, value, *inn_columns)


def test_a_certificate_finds_its_conclusion(site: Site, page: Any) -> None:
    row = rare(site, "expert_certificate")
    first = row["expert_certificate"].split("; ")[0]
    assert row["reg_number"] in search(page, site, first.translate(LATIN).lower())


def test_an_opo_number_finds_its_conclusions(site: Site, page: Any) -> None:
    row = rare(site, "opo_reg_number")
    assert row["reg_number"] in search(page, site, row["opo_reg_number"].replace("А", "A", 1))
    in_text = next(r for r in site.truth if re.search(r"рег\. № А\d\d-\d{5}-\d{4}", r["object_name"]))
    number = re.search(r"А\d\d-\d{5}-\d{4}", in_text["object_name"])[0]
    assert in_text["reg_number"] in search(page, site, number)


def test_a_factory_number_in_the_object_text_finds_it(site: Site, page: Any) -> None:
    rows = [r for r in site.truth if re.search(r"зав\. № \d{5,}", r["object_name"])]
    row = rows[0]
    factory = re.search(r"зав\. № \d{5,}", row["object_name"])[0]
    expected = {r["reg_number"] for r in site.truth if factory in r["object_name"]}
    found = search(page, site, factory)
    assert row["reg_number"] in found
    assert set(found) >= expected or total(page) >= len(expected)


def test_an_organization_name_with_a_typo_finds_its_conclusions(site: Site, page: Any) -> None:
    text = " ".join(r["applicant_name"] for r in site.truth).lower()
    counts = Counter(r["applicant_name"] for r in site.truth if r["applicant_name"])
    for name in sorted(counts, key=lambda n: (counts[n], n)):
        word = max(re.findall(r"[а-я]{7,}", name.lower()), key=len, default="")
        typo = word[:4] + ("о" if word[4] != "о" else "а") + word[5:] if word else ""
        if word and typo not in text:
            break
    row = next(r for r in site.truth if r["applicant_name"] == name)
    found = search(page, site, typo)
    assert "похожим словам" in status(page)
    assert total(page) >= 1
    same_word = {r["reg_number"] for r in site.truth if word in r["applicant_name"].lower()}
    assert set(found) & same_word or row["reg_number"] in found


def test_filters_narrow_results_and_permalinks_reload_identically(site: Site, page: Any) -> None:
    counts = Counter(r["applicant_inn"] for r in site.truth if r["applicant_inn"])
    inn = next(v for v, n in counts.most_common() if 5 < n < 60)
    rows = [r for r in site.truth if inn in (r["applicant_inn"], r["expert_org_inn"])]
    code = Counter(r["object_type"] for r in rows).most_common(1)[0][0]
    import json

    manifest = json.loads((site.root / "data" / "rank" / "manifest.json").read_text(encoding="utf-8"))
    key = next(t["key"] for t in manifest["types"] if t["code"] == code)
    found = search(page, site, inn, f"&type={key}")
    assert total(page) == sum(1 for r in rows if r["object_type"] == code)
    assert all(r["object_type"] == code for r in site.truth if r["reg_number"] in found)
    before = (page.url, status(page), found)
    page.reload()
    page.wait_for_function("document.body.dataset.searchState === 'done'")
    after_found = page.eval_on_selector_all(
        "#results li .result-title a", "els => els.map(e => e.textContent)"
    )
    assert (page.url, status(page), after_found) == before


def test_typing_updates_the_url(site: Site, page: Any) -> None:
    row = rare(site, "applicant_inn")
    page.goto(f"{site.url}search.html")
    page.wait_for_function("document.body.dataset.searchState === 'done'")
    page.fill("#q", row["applicant_inn"])
    page.wait_for_function("location.search.includes('q=')")
    page.wait_for_function(
        "reg => [...document.querySelectorAll('#results a')].some(a => a.textContent === reg)",
        arg=row["reg_number"],
    )
    assert row["applicant_inn"] in page.url


def test_the_header_box_searches_from_any_page(site: Site, page: Any) -> None:
    row = rare(site, "applicant_inn")
    page.goto(f"{site.url}index.html")
    page.fill("#site-q", row["applicant_inn"])
    page.press("#site-q", "Enter")
    page.wait_for_url(re.compile(r"search\.html\?q="))
    page.wait_for_function("document.body.dataset.searchState === 'done'")
    assert row["reg_number"] in page.eval_on_selector_all(
        "#results li .result-title a", "e => e.map(x => x.textContent)"
    )


def _card(page: Any, site: Site, number: str) -> str:
    from urllib.parse import quote

    page.goto(f"{site.url}conclusion.html?n={quote(number)}")
    page.wait_for_function("document.body.dataset.cardState === 'done'")
    return page.inner_text("main")


def test_the_card_shows_every_published_field(site: Site, page: Any) -> None:
    row = next(
        r
        for r in site.truth
        if r["conclusion_result"]
        and r["opo_reg_number"]
        and r["hazard_class"]
        and r["region"]
        and r["operation_term"]
    )
    text = _card(page, site, row["reg_number_published"] or row["reg_number"].translate(LATIN))
    assert row["reg_number"] in page.inner_text("h1")
    for column in (
        "conclusion_result",
        "opo_reg_number",
        "hazard_class",
        "region",
        "applicant_inn",
        "licence_number",
    ):
        if row[column]:
            assert row[column] in text, column
    assert row["source_file"].split("/")[-1] in text
    if row["applicant_name"]:
        assert page.locator("#card-applicant a[href^='org.html?']").count() == 1


def test_the_card_marks_an_exclusion_and_lists_republications(site: Site, page: Any) -> None:
    excluded = next(r for r in site.truth if r["excluded_date"])
    _card(page, site, excluded["reg_number"])
    assert "Исключено из реестра" in page.inner_text("#card-flags")
    with duckdb.connect(str(site.database), read_only=True) as con:
        reg, n = con.execute(
            "SELECT reg_number, count(*) FROM duplicates GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 1"
        ).fetchone()
    _card(page, site, reg)
    assert page.locator("#dups-table tbody tr").count() == n


def test_an_unknown_number_says_not_found_with_near_spellings(site: Site, page: Any) -> None:
    reg = site.truth[0]["reg_number"]
    first, code, serial, year = reg.split("-")
    known = {r["reg_number"] for r in site.truth}
    wrong = next(
        f"{first}-{code}-{serial}-{y}"
        for y in range(2030, 2040)
        if f"{first}-{code}-{serial}-{y}" not in known
    )
    _card(page, site, wrong)
    assert "не найдено" in page.inner_text("#card-missing-text")
    near = page.eval_on_selector_all("#near-list a", "els => els.map(e => e.textContent)")
    assert reg in near
    assert "не найдено" in _card(page, site, "совсем не номер")


@pytest.mark.parametrize("name", ["search.html?q=%D0%BA%D1%80%D0%B0%D0%BD", "conclusion.html?n=X"])
def test_pages_fit_a_phone(site: Site, browser: Any, name: str) -> None:
    tab = browser.new_page(viewport={"width": 390, "height": 800})
    try:
        target = name if "X" not in name else f"conclusion.html?n={site.truth[0]['reg_number']}"
        tab.goto(site.url + target)
        tab.wait_for_load_state("networkidle")
        assert tab.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    finally:
        tab.close()


def test_results_are_paged_and_a_page_is_a_permalink(site: Site, page: Any) -> None:
    counts = Counter(r["expert_org_inn"] for r in site.truth if r["expert_org_inn"])
    inn = next(v for v, n in counts.most_common() if 40 < n <= 2000)
    first = search(page, site, inn)
    assert len(first) == 20
    page.click("#pager a[rel=next]")
    page.wait_for_url(re.compile(r"[?&]p=2"))
    page.wait_for_function("document.body.dataset.searchState === 'done'")
    second = page.eval_on_selector_all("#results li .result-title a", "els => els.map(e => e.textContent)")
    assert second and not set(second) & set(first)
    page.reload()
    page.wait_for_function("document.body.dataset.searchState === 'done'")
    assert (
        page.eval_on_selector_all("#results li .result-title a", "els => els.map(e => e.textContent)")
        == second
    )


def test_a_filter_change_keeps_the_query(site: Site, page: Any) -> None:
    counts = Counter(r["expert_org_inn"] for r in site.truth if r["expert_org_inn"])
    inn = next(v for v, n in counts.most_common() if 20 < n <= 2000)
    search(page, site, inn)
    year = max(int(r["year"]) for r in site.truth if r["expert_org_inn"] == inn)
    page.select_option("#f-from", str(year))
    page.wait_for_url(re.compile(rf"from={year}"))
    page.wait_for_function("document.body.dataset.searchState === 'done'")
    assert f"q={inn}" in page.url
    expected = sum(
        1 for r in site.truth if inn in (r["applicant_inn"], r["expert_org_inn"]) and int(r["year"]) >= year
    )
    assert total(page) == expected
