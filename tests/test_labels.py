"""Russian labels: every code a page shows has one label from one table (schema/labels.yaml and the
problem catalogue), and no page shows a bare code as text outside a code element."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import duckdb
import pytest
import yaml

from openepb.contract import labels
from openepb.contract.fields import FIELD_NAMES
from openepb.contract.sources import ROOT
from openepb.publish.site import capfirst, environment

#: Elements whose text is code, not prose: a code may stand there as it is.
CODE_ELEMENTS = frozenset({"code", "pre", "kbd", "samp", "script", "style", "template"})
VOID = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}
)
#: A run that can be a code or part of a longer name (a file name, a path, a URL, a number).
TOKEN = re.compile(r"[A-Za-z0-9_./-]+")


class _VisibleText(HTMLParser):
    """The text a person reads: outside code elements, without attributes."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list) -> None:
        pass

    def handle_endtag(self, tag: str) -> None:
        if tag in self.stack:
            while self.stack.pop() != tag:
                pass

    def handle_data(self, data: str) -> None:
        if not CODE_ELEMENTS.intersection(self.stack):
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = _VisibleText()
    parser.feed(html)
    parser.close()
    # one line per text node: two table cells side by side («2014», «109») are not one number
    return "\n".join(parser.parts)


def bare_codes(text: str, codes: set[str]) -> set[str]:
    return {token.rstrip(".") for token in TOKEN.findall(text)} & codes


def all_codes() -> set[str]:
    return {code for kind in labels.table().values() for code in kind}


# --- the table ------------------------------------------------------------------------------------------


def test_every_label_is_russian_text() -> None:
    for kind, codes in labels.table().items():
        assert codes, kind
        for code, text in codes.items():
            if kind != "format":  # formats are named by their programs: Excel, Word, PDF
                assert re.search(r"[А-Яа-яЁё]", text), (kind, code, text)
            assert not bare_codes(text, {code}) and text.strip() == text, (kind, code, text)


def test_the_table_holds_the_file_and_the_catalogue() -> None:
    """Read here from the files themselves, not through the module under test."""
    data = yaml.safe_load((ROOT / "schema" / "labels.yaml").read_text(encoding="utf-8"))
    catalogue = yaml.safe_load((ROOT / "schema" / "problems.yaml").read_text(encoding="utf-8"))
    table = labels.table()
    for kind, codes in data.items():
        assert dict(table[kind]) == {str(k): v for k, v in codes.items()}
    assert dict(table["problem"]) == {code: spec["title"] for code, spec in catalogue["problems"].items()}
    assert dict(table["level"]) == {
        level: spec["title"] for level, spec in catalogue["levels"]["build"].items()
    }
    assert list(table["field"]) == list(FIELD_NAMES)
    assert "ИНН" in table["field"]["applicant_inn"]
    assert labels.label("ok") == data["file_status"]["ok"]
    assert labels.label("file_corrupt") == catalogue["problems"]["file_corrupt"]["title"]
    assert labels.label("ok", "harvest_status") == data["harvest_status"]["ok"]
    assert labels.label(None) == "—"
    assert labels.label("no_such_code_yet") == "no_such_code_yet"
    with pytest.raises(labels.LabelError):
        labels.label("ok", "no_such_kind")


def test_every_format_the_readers_know_has_a_label() -> None:
    from openepb.read import FORMATS

    assert set(FORMATS) == set(labels.section("format"))


def test_capfirst_keeps_abbreviations() -> None:
    assert capfirst("ИНН заявителя") == "ИНН заявителя"
    assert capfirst("лицензия") == "Лицензия"
    assert capfirst("") == ""


def test_label_filter_in_templates() -> None:
    env = environment()
    out = env.from_string(
        "{{ 'reg_number_invalid' | label }}|{{ 'warning' | label('level') }}|{{ fs | map('label', 'format') | join(', ') }}"
    )
    text = out.render(fs=["xlsx", "pdf"])
    catalogue = yaml.safe_load((ROOT / "schema" / "problems.yaml").read_text(encoding="utf-8"))
    assert text.split("|") == [
        catalogue["problems"]["reg_number_invalid"]["title"],
        catalogue["levels"]["build"]["warning"]["title"],
        "Excel (.xlsx), PDF",
    ]


def test_bare_codes_are_found_outside_code_elements_only() -> None:
    codes = {"ok", "reg_number_invalid", "xlsx"}
    html = (
        '<p title="ok">прочитан (<code>ok</code>) <a href="x.html">reestr.xlsx</a></p>'
        "<pre>reg_number_invalid</pre><p>Итог: reg_number_invalid.</p><td>xlsx</td>"
    )
    assert bare_codes(visible_text(html), codes) == {"reg_number_invalid", "xlsx"}


# --- the demo site ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rendered:
    site: Path
    database: Path
    offices: list


@pytest.fixture(scope="module")
def rendered(demo_build, tmp_path_factory: pytest.TempPathFactory) -> Rendered:
    """The demo site as a build writes it: rankings, exports, pages and quality pages; the quality
    pages once more with a harvest (fresh, stale and cached offices, a broken link)."""
    from openepb.publish.export import export_all
    from openepb.publish.quality import write_quality
    from openepb.publish.rank import build_rankings
    from openepb.publish.site import render_site

    root = tmp_path_factory.mktemp("labels")
    site, exports = root / "site", root / "exports"
    rank_dir = site / "data" / "rank"
    build_rankings(demo_build.database, rank_dir, quiet=True)
    export_all(demo_build.database, exports, quiet=True)
    render_site(demo_build.database, rank_dir, site, exports_dir=exports, quiet=True)
    offices = write_quality(demo_build.database, exports, site)
    freshness = root / "freshness.json"
    entry = {"status": "ok", "last_success": "2026-03-02T03:20:00Z", "files": []}
    broken = {
        "url": "https://mos.gosnadzor.ru/upload/old.xlsx",
        "reason": "harvest_link_broken",
        "message": "HTTP 404",
    }
    data = {
        "offices": {
            "mos": entry | {"problems": [broken]},
            "cntr": entry | {"status": "stale"},
            "szap": entry | {"status": "cached"},
        }
    }
    freshness.write_text(json.dumps(data), encoding="utf-8")
    harvested = write_quality(demo_build.database, root / "exports-h", root / "site-h", freshness=freshness)
    return Rendered(site, demo_build.database, offices + harvested)


def _pages(rendered: Rendered) -> list[Path]:
    pages = sorted(rendered.site.glob("*.html")) + sorted((rendered.site.parent / "site-h").glob("*.html"))
    assert len(pages) > 20
    return pages


def test_no_page_shows_a_bare_code(rendered: Rendered) -> None:
    codes = all_codes()
    found = {}
    for page in _pages(rendered):
        shown = bare_codes(visible_text(page.read_text(encoding="utf-8")), codes)
        if shown:
            found[page.name] = sorted(shown)
    assert found == {}


def test_pages_spell_inn_and_group_digits_without_breaking(rendered: Rendered) -> None:
    for page in _pages(rendered):
        text = visible_text(page.read_text(encoding="utf-8"))
        assert not re.search(r"\bИнн\b", text), page.name
        assert not re.search(r"\d \d{3}\b", text), (page.name, re.search(r".{20}\d \d{3}\b.{0,20}", text))


def test_every_code_the_demo_build_shows_has_a_label(rendered: Rendered) -> None:
    """The codes in the store and in the quality figures, read with SQL and from the figures."""
    con = duckdb.connect(str(rendered.database), read_only=True)
    try:
        statuses = {s for (s,) in con.execute("SELECT DISTINCT status FROM files").fetchall()}
        formats = {
            f for (f,) in con.execute("SELECT DISTINCT format FROM files WHERE format IS NOT NULL").fetchall()
        }
        problems = con.execute("SELECT DISTINCT code, level FROM problems").fetchall()
        reasons = {r for (r,) in con.execute("SELECT DISTINCT reason FROM rejects").fetchall()}
        roles = {r for (r,) in con.execute("SELECT DISTINCT role FROM organizations").fetchall()}
    finally:
        con.close()
    assert {"ok", "page"} <= statuses and "xlsx" in formats and problems and reasons
    table = labels.table()
    for status in statuses:
        assert status in table["file_status"] or status in table["problem"], status
    assert formats <= set(table["format"])
    for code, level in problems:
        assert code in table["problem"] and level in table["level"], (code, level)
    assert reasons <= set(table["problem"])
    assert roles == set(table["role"])
    for office in rendered.offices:
        assert office.publication in table["publication"]
        assert office.exclusions in table["exclusions"]
        assert office.data_status in table["data_status"]
        assert (office.harvest_status or "none") in table["harvest_status"]
    assert {o.harvest_status for o in rendered.offices} >= {None, "ok", "stale", "cached"}


def test_the_card_script_gets_the_format_labels(rendered: Rendered) -> None:
    meta = json.loads((rendered.site / "data" / "search" / "meta.json").read_text(encoding="utf-8"))
    assert meta["format_labels"] == dict(labels.section("format"))
