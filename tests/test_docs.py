"""The documentation site: strict mkdocs build, reference pages complete against the XSD, the code
lists, the exports and the commands' --help, offline theme in Russian."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from lxml import etree

from openepb.contract import formats
from openepb.contract.fields import FIELD_NAMES
from openepb.contract.sources import ROOT, load_sources
from openepb.contract.xsd import SCHEMA_VERSION, XSD_PATH
from openepb.publish import docs as docs_site
from openepb.publish.docs import (
    COMMANDS,
    CliOption,
    DocsError,
    build_docs,
    cli_help,
    cli_options,
    cli_page,
    codes_page,
    data_dictionary_page,
    examples_page,
    schema_page,
)

XS = "{http://www.w3.org/2001/XMLSchema}"
TINY_CSV = (
    "Регистрационный номер заключения;Дата внесения в реестр;Объект экспертизы;Заявитель;"
    "Экспертная организация;Номер лицензии\n"
    "01-ТУ-00001-2018;01.12.2018;технические устройства;ООО «Ромашка»;ООО «Эксперт»;ДЭ-00-017384\n"
    "без номера;02.12.2018;ту;ООО «Ромашка»;ООО «Эксперт»;\n"
)
PAGES = (
    "index.html",
    "validate.html",
    "schema.html",
    "schema-changelog.html",
    "methodology.html",
    "normalization.html",
    "resolution.html",
    "harvest.html",
    "rank-data.html",
    "site.html",
    "reference/schema.html",
    "reference/codes.html",
    "reference/examples.html",
    "reference/data-dictionary.html",
    "reference/cli.html",
)


@dataclass(frozen=True)
class Built:
    database: Path
    exports: Path
    docs: Path


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """A two-row store and its exports (the columns are those of any build), then the docs."""
    from openepb.build.pipeline import build_database
    from openepb.publish.export import export_all

    root = tmp_path_factory.mktemp("docs")
    office = root / "mirror" / "mos"
    office.mkdir(parents=True)
    (office / "reestr.csv").write_text(TINY_CSV, encoding="utf-8")
    database = root / "openepb.duckdb"
    build_database(root / "mirror", database, quiet=True)
    exports = root / "exports"
    export_all(database, exports, quiet=True)
    docs = build_docs(root / "site", db_path=database, exports_dir=exports, quiet=True)
    return Built(database, exports, docs)


def _xsd() -> etree._Element:
    return etree.parse(str(XSD_PATH)).getroot()


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


# --- the build -----------------------------------------------------------------------------------


def test_build_writes_every_page_in_russian(built: Built) -> None:
    assert built.docs == built.database.parent / "site" / "docs"
    for page in PAGES:
        html = (built.docs / page).read_text(encoding="utf-8")
        assert '<html lang="ru"' in html, page
        assert "assets/openepb.css" in html, page
    assert not (built.docs / docs_site.PREPARED_MARK).exists()
    assert (built.docs / "assets" / "favicon.svg").read_bytes() == (
        docs_site.STATIC_DIR / "favicon.svg"
    ).read_bytes()


def test_build_needs_no_network(built: Built) -> None:
    """Fonts disabled, no CDN: every script, stylesheet and icon is a file of the build."""
    for html_path in built.docs.rglob("*.html"):
        html = html_path.read_text(encoding="utf-8")
        assert "fonts.googleapis" not in html and "fonts.gstatic" not in html, html_path
        for tag in re.findall(r"<(?:script|link)\b[^>]*>", html):
            assert not re.search(r'(?:src|href)="(?:https?:)?//', tag), (html_path, tag)


def test_logo_and_back_link_lead_to_the_site(built: Built) -> None:
    index = (built.docs / "index.html").read_text(encoding="utf-8")
    assert '<a href="../index.html">← Вернуться на сайт реестра</a>' in index
    deep = (built.docs / "reference" / "schema.html").read_text(encoding="utf-8")
    assert (
        'href="../../index.html" title="Документация открытого реестра экспертиз ПБ" class="md-header__button'
        in deep
    )


def test_strict_mode_fails_on_a_broken_link(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    docs = tmp_path / "docs"
    shutil.copytree(docs_site.DOCS_DIR, docs)
    (docs / "index.md").write_text("# Главная\n\n[нет такой страницы](missing.md)\n", encoding="utf-8")
    monkeypatch.setattr(docs_site, "DOCS_DIR", docs)
    with pytest.raises(DocsError, match="documentation build failed"):
        build_docs(tmp_path / "site", quiet=True)


def test_strict_mode_fails_on_a_broken_anchor(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    docs = tmp_path / "docs"
    shutil.copytree(docs_site.DOCS_DIR, docs)
    (docs / "index.md").write_text("# Главная\n\n[схема](schema.md#нет-такого-раздела)\n", encoding="utf-8")
    monkeypatch.setattr(docs_site, "DOCS_DIR", docs)
    with pytest.raises(DocsError):
        build_docs(tmp_path / "site", quiet=True)


def test_plain_mkdocs_build_strict(tmp_path: Path) -> None:
    """`mkdocs build --strict` with the repository's config (the hook generates the reference)."""
    out = tmp_path / "mk"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "mkdocs",
            "build",
            "--strict",
            "-q",
            "-f",
            str(ROOT / "mkdocs.yml"),
            "-d",
            str(out),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert (out / "reference" / "schema.html").is_file()
    assert not (ROOT / "docs" / "reference").exists()


# --- the schema page -----------------------------------------------------------------------------


def test_schema_page_has_every_xsd_element_attribute_and_type() -> None:
    page = schema_page()
    root = _xsd()
    register = root.find(f"{XS}element")
    for element in register.find(f"{XS}complexType/{XS}sequence").findall(f"{XS}element"):
        assert f"### `{element.get('name')}` {{#register-{element.get('name')}}}" in page
    record = root.find(f"{XS}complexType[@name='Record']/{XS}sequence").findall(f"{XS}element")
    assert [element.get("name") for element in record] == list(FIELD_NAMES)
    assert len(record) == 37
    for element in record:
        name = element.get("name")
        doc = element.find(f"{XS}annotation/{XS}documentation").text
        assert f"### `{name}` {{#record-{name}}}\n\n{doc}\n" in page
    for attribute in root.iter(f"{XS}attribute"):
        assert f"### Атрибут `@{attribute.get('name')}`" in page
    for unique in root.iter(f"{XS}unique"):
        assert f"### Ограничение `{unique.get('name')}`" in page
    for simple in root.findall(f"{XS}simpleType"):
        name = simple.get("name")
        assert f"### `{name}` {{#type-{name.lower()}}}" in page
        for facet in simple.iter(f"{XS}pattern"):
            assert f"`{facet.get('value')}`" in page
        for value in simple.iter(f"{XS}enumeration"):
            doc = value.find(f"{XS}annotation/{XS}documentation").text
            assert f"| `{value.get('value')}` | {doc} |" in page


def test_schema_page_describes_a_field_exactly() -> None:
    page = schema_page()
    start = page.index("### `licence_number` {#record-licence_number}")
    section = page[start : page.index("###", start + 3)]
    assert section == (
        "### `licence_number` {#record-licence_number}\n\n"
        "Номер лицензии экспертной организации\n\n"
        "- тип: [`LicenceNumber`](#type-licencenumber)\n"
        "- кратность: необязательный\n"
        "- столбец шаблона `template.xlsx`: «Номер лицензии экспертной организации»\n\n"
    )
    assert (
        "- кратность: обязательный, один\n- столбец шаблона `template.xlsx`: «Регистрационный номер заключения *»"
        in page
    )


def test_schema_page_follows_a_changed_xsd(tmp_path: Path) -> None:
    """The page is read from the XSD it is given, not from the code that generated it."""
    changed = XSD_PATH.read_text(encoding="utf-8").replace(
        'name="exclusion_reason"', 'name="exclusion_basis"'
    )
    path = tmp_path / "changed.xsd"
    path.write_text(changed, encoding="utf-8")
    page = schema_page(path)
    assert "{#record-exclusion_basis}" in page
    assert "{#record-exclusion_reason}" not in page


# --- code lists, examples, changelog ---------------------------------------------------------------


def test_codes_page_lists_every_office_with_prefixes_district_and_object_type() -> None:
    page = codes_page()
    sources = load_sources()
    districts = {d.code: d.short for d in sources.districts}
    for office in sources.offices:
        prefixes = ", ".join(f"`{p}`" for p in office.reg_prefixes) or "—"
        assert f"| `{office.code}` | {office.name} | {districts[office.district]} | {prefixes} |" in page
    for district in sources.districts:
        assert f"| `{district.code}` | {district.short} | {district.name} |" in page
    assert "| `ТУ` | Технические устройства, применяемые на опасном производственном объекте |" in page


def test_codes_page_lists_the_whole_problem_catalogue_by_stage_and_level() -> None:
    """Every code of schema/problems.yaml (read here from the file) under each of its stages, in the
    section of its level, with its Russian title; and nothing else in those sections."""
    page = codes_page()
    data = yaml.safe_load((ROOT / "schema" / "problems.yaml").read_text(encoding="utf-8"))
    expected: dict[str, list[str]] = {}
    for code, spec in data["problems"].items():
        stages = [spec["stage"]] if isinstance(spec["stage"], str) else spec["stage"]
        for stage in stages:
            expected.setdefault(f"problems-{stage}-{spec['level']}", []).append(code)
    anchors = re.findall(r"\{#(problems-[a-z]+-[a-z]+)\}", page)
    assert sorted(anchors) == sorted(
        f"problems-{stage}-{level}" for stage, levels in data["levels"].items() for level in levels
    )
    for n, anchor in enumerate(anchors):
        start = page.index(f"{{#{anchor}}}")
        end = page.index(f"{{#{anchors[n + 1]}}}") if n + 1 < len(anchors) else len(page)
        section = page[start:end]
        assert re.findall(r"^\| `([a-z0-9_]+)` \|", section, re.M) == expected.get(anchor, []), anchor
        for code in expected.get(anchor, []):
            title = data["problems"][code]["title"]
            title = title.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            assert f"| `{code}` | {title} |" in section, code
    assert "| `reg_number_invalid` | регистрационный номер не соответствует формату" in page
    assert "#### Строка отклонена (`reject`)" in page


def test_codes_page_lists_every_region_and_verdict() -> None:
    page = codes_page()
    regions = page[page.index("{#regions}") : page.index("{#conclusion-results}")]
    assert regions.count("\n| `") == len(formats.get("Region").codes) == 89
    assert "| `Новосибирская область` | 54 |" in regions
    assert "| `Москва` | 77 | г. Москва, город Москва, Москва город |" in regions
    verdicts = page[page.index("{#conclusion-results}") : page.index("{#districts}")]
    for code in formats.get("ConclusionResult").codes:
        assert f"| `{code.value}` | {code.title} | {', '.join(code.synonyms)} |" in verdicts
    assert verdicts.count("\n| `") == 3
    assert "валидатор проверяет, что номер записи начинается с префикса" not in page


def test_examples_page_shows_the_validators_report() -> None:
    from openepb.validate.check import format_report, validate_file

    page = examples_page()
    examples = sorted((ROOT / "schema" / "examples").glob("*.xml"))
    assert examples
    for path in examples:
        report = validate_file(path)
        report.path = path.name
        assert f"$ openepb-validate {path.name}\n{format_report(report)}\n" in page
        assert f"Код выхода: **{report.exit_code}**" in page
    assert page.index("## `valid.xml`") < page.index("## `invalid-")


def test_changelog_describes_the_current_schema_version() -> None:
    text = (ROOT / "docs" / "schema-changelog.md").read_text(encoding="utf-8")
    assert f"\n## {SCHEMA_VERSION}\n" in text


# --- data dictionary ----------------------------------------------------------------------------------


def test_data_dictionary_has_every_export_column(built: Built) -> None:
    package = json.loads((built.exports / "datapackage.json").read_text(encoding="utf-8"))
    page = data_dictionary_page(built.exports, built.database)
    html = _text((built.docs / "reference" / "data-dictionary.html").read_text(encoding="utf-8"))
    assert len(package["resources"]) == 6
    for resource in package["resources"]:
        assert f"## `{resource['path']}`" in page
        assert resource["path"] in html
        for field in resource["schema"]["fields"]:
            assert f"`{field['name']}`" in page, (resource["path"], field["name"])
            assert field["name"] in html
    assert (
        "| [`licence_number`](schema.md#record-licence_number) | строка | Номер лицензии экспертной организации |"
        in page
    )
    assert "| `score` | число | Оценка сходства названий, 0…100 (100 — совпадают) |" in page
    assert "Те же столбцы, что в [`records.csv`](#records-csv)." in page


def test_data_dictionary_lists_the_other_export_files(built: Built) -> None:
    page = data_dictionary_page(built.exports)
    others = page[page.index("## Другие файлы выгрузки") :]
    for name in ("records.xml", "offices/*.xml", "datapackage.json", "meta.csv", "SHA256SUMS"):
        assert f"| `{name}` |" in others
    assert "| `structure-20261125.csv` | Структура набора открытых данных" in others


def test_data_dictionary_without_exports_equals_the_exported_package(built: Built) -> None:
    """From the store, or from the code alone, the dictionary names the columns the export writes."""
    package = json.loads((built.exports / "datapackage.json").read_text(encoding="utf-8"))
    exported = {r["path"]: [f["name"] for f in r["schema"]["fields"]] for r in package["resources"]}
    for source in (built.database, None):
        fallback, _ = docs_site.load_package(None, source)
        assert {
            r["path"]: [f["name"] for f in r["schema"]["fields"]] for r in fallback["resources"]
        } == exported


# --- the CLI reference ----------------------------------------------------------------------------------


def _help_options(text: str) -> set[str]:
    section = text[text.index("параметры:") :]
    return set(re.findall(r"(?<![\w-])--?[a-z][a-z0-9-]*", section))


def test_cli_reference_matches_help() -> None:
    page = cli_page()
    for command in COMMANDS:
        text = cli_help(command)
        assert f"$ {command} --help\n{text}" in page
        options = _help_options(text)
        assert "--help" in options
        for option in options:
            assert re.search(rf"\| (`-\S+`, )*`{re.escape(option)}`", page), (command, option)


def test_every_validator_option_is_explained_for_offices() -> None:
    text = (ROOT / "docs" / "validate.md").read_text(encoding="utf-8")
    for option in _help_options(cli_help("openepb-validate")):
        assert f"`{option}" in text, option


def test_cli_options_parses_argparse_help() -> None:
    text = (
        "usage: x [-h] [--out OUT] [--long-option-name LONG_OPTION_NAME]\n\n"
        "options:\n"
        "  -h, --help            show this help message and exit\n"
        "  --out OUT             папка сборки\n"
        "  --long-option-name LONG_OPTION_NAME\n"
        "                        длинное описание,\n"
        "                        на две строки\n"
        "  --flag\n"
    )
    assert cli_options(text) == [
        CliOption(("-h", "--help"), "", "show this help message and exit"),
        CliOption(("--out",), "OUT", "папка сборки"),
        CliOption(("--long-option-name",), "LONG_OPTION_NAME", "длинное описание, на две строки"),
        CliOption(("--flag",), "", ""),
    ]


def test_an_option_without_description_stops_the_build() -> None:
    text = "usage: x [-h] [--flag]\n\noptions:\n  -h, --help  show this help message and exit\n  --flag\n"
    with pytest.raises(DocsError, match="--flag has no description"):
        cli_page({"x": text})


def test_404_page_loads_its_assets_from_the_docs_folder(built: Built) -> None:
    """The 404 page lies in docs/ like index.html: every local URL it names is a file of the build
    (a root-absolute URL would point outside the site's sub-path and leave the page unstyled)."""
    html = (built.docs / "404.html").read_text(encoding="utf-8")
    urls = re.findall(r'(?:href|src)="([^"#?]+)[^"]*"', html)
    local = [url for url in urls if not re.match(r"(?:[a-z]+:)?//", url)]
    assert any(url.endswith("openepb.css") for url in local)
    for url in local:
        assert not url.startswith("/"), url
        assert (built.docs / url).resolve().exists() or url == "../index.html", url
    config = json.loads(
        re.search(r'<script id="__config" type="application/json">(.*?)</script>', html, re.S)[1]
    )
    assert config["base"] == "."
