"""The in-browser validator against the command-line one: every example, the template with mistakes,
CSV, and a few hundred generated documents give the same report in Chromium as ``validate_file``;
the file never leaves the page; the page works offline, by keyboard and at phone width."""

from __future__ import annotations

import json
import random
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml
from browsing import CHROMIUM, CHROMIUM_ARGS, serve_folder
from test_site import Tab
from test_validate import GOOD, NEW_FIELDS, _filled_template, _row

from openepb.contract import formats
from openepb.contract.fields import FIELD_NAMES
from openepb.contract.sources import load_sources
from openepb.contract.xsd import ACCEPTED_VERSIONS, NAMESPACE
from openepb.publish.site import copy_static, environment, site_nav
from openepb.validate.check import format_report, validate_file
from openepb.validate.page import PAGE, validator_rules, write_validator_page

pytestmark = pytest.mark.browser
sync_api = pytest.importorskip("playwright.sync_api")

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "schema" / "examples"
CATALOGUE = yaml.safe_load((ROOT / "schema" / "problems.yaml").read_text(encoding="utf-8"))
EXPECTED = yaml.safe_load((EXAMPLES / "expected.yaml").read_text(encoding="utf-8"))
SECRET = "СЕКРЕТ-ОФИСА-7f3a9c"


@pytest.fixture(scope="module")
def site_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("validator-site")
    versions = copy_static(root)
    context = {"nav": site_nav(), "versions": versions, "rank_path": "data/rank/", "site_path": "data/site/"}
    write_validator_page(root, environment(), context)
    return root


@pytest.fixture(scope="module")
def site_url(site_root: Path) -> Iterator[str]:
    with serve_folder(site_root) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture(scope="module")
def page(browser: Any, site_url: str) -> Iterator[Any]:
    """One validator page for the comparisons (the validator keeps no state between files)."""
    tab = Tab(browser)
    tab.page.goto(site_url + PAGE)
    tab.page.wait_for_selector("body[data-ready]", state="attached")
    yield tab.page
    assert tab.errors == []
    tab.close()


def cli_report(path: Path) -> dict[str, Any]:
    report = validate_file(path).to_dict()
    report["path"] = path.name
    if report["status"] == "unreadable":
        report["message"] = report["message"].split(" (строка")[0]
    return report


def browser_report(page: Any, path: Path) -> dict[str, Any]:
    """The report the page computes for a file, through the same code path as a dropped file."""
    report = page.evaluate(
        """async ([name, bytes]) => window.openepbValidator.validateBytes(name, new Uint8Array(bytes).buffer)""",
        [path.name, list(path.read_bytes())],
    )
    if report["status"] == "unreadable":
        report["message"] = report["message"].split(" (строка")[0]
    return report


def choose_file(page: Any, path: Path) -> dict[str, Any]:
    """Pick a file in the page's file input, as a visitor does, and return the report shown."""
    page.evaluate("document.body.dataset.ready = 'waiting'")
    page.set_input_files("#vf-file", str(path))
    page.wait_for_selector("body[data-ready=checked]", state="attached")
    return page.evaluate("window.openepbValidator.lastReport")


# --- the rules embedded in the page ----------------------------------------------------------------


def test_rules_are_read_from_the_schema_sources() -> None:
    rules = validator_rules()
    assert [f["name"] for f in rules["fields"]] == list(FIELD_NAMES)
    assert "offices" not in rules  # the first group of a number does not name the office
    assert rules["versions"] == list(ACCEPTED_VERSIONS) == ["1.0", "1.1"]
    for name, spec in formats.formats().items():
        exported = rules["types"][name]
        assert exported["pattern"] == spec.pattern, name
        assert exported["codes"] == ([c.value for c in spec.codes] or None), name
        assert (exported["strict"], exported["checksum"]) == (spec.strict, spec.checksum), name
    assert rules["types"]["ObjectTypeCode"]["strict"] is False
    assert "{code}" in rules["types"]["ObjectTypeCode"]["unlisted_reason"]
    assert rules["types"]["Inn"]["checksum_reason"] == "неверные контрольные цифры ИНН"
    assert rules["checksums"]["inn"] == {
        str(n): [list(w) for w in ws] for n, ws in formats.CHECKSUM_WEIGHTS["inn"].items()
    }
    assert rules["types"]["OfficeCode"]["codes"] == [o.code for o in load_sources().offices]
    assert rules["namespace"] == NAMESPACE
    assert rules["template"]["headers"]["регистрационный номер заключения"] == "reg_number"


def _validator_codes() -> dict[str, dict[str, Any]]:
    """The validators' codes as schema/problems.yaml lists them (read here, not through the package)."""
    return {
        code: spec
        for code, spec in CATALOGUE["problems"].items()
        if "validate" in ([spec["stage"]] if isinstance(spec["stage"], str) else spec["stage"])
    }


def test_rules_carry_the_catalogue_of_the_validators_codes() -> None:
    exported = validator_rules()["problems"]
    expected = {
        code: {"level": spec["level"], "title": spec["title"], "message": spec.get("message", spec["title"])}
        for code, spec in _validator_codes().items()
    }
    assert exported == expected
    assert {"value_pattern", "field_missing", "duplicate_number", "object_type_unlisted"} <= set(exported)
    assert "file_corrupt" not in exported and "harvest_timeout" not in exported  # other stages' codes
    assert validator_rules()["levels"] == {
        level: spec["title"] for level, spec in CATALOGUE["levels"]["validate"].items()
    }


def test_the_script_copies_no_pattern_or_code_list() -> None:
    """Patterns, code lists and weights reach the script only through the rules JSON."""
    script = (Path(__file__).resolve().parent.parent / "openepb" / "static" / "validate.js").read_text(
        encoding="utf-8"
    )
    for spec in formats.formats().values():
        assert spec.pattern is None or spec.pattern not in script, spec.name
        for code in spec.codes:
            assert f'"{code.value}"' not in script, (spec.name, code.value)
    for pattern in ("А-ЯЁ", "ДЭ-00", "[0-9]{10}", "reg_prefixes", "2, 4, 10, 3"):
        assert pattern not in script, pattern


def test_the_script_copies_no_message_of_the_catalogue() -> None:
    """Message texts reach the script only through the rules JSON: no title, no template and no
    literal part of a template (between its placeholders) is written in it."""
    script = (ROOT / "openepb" / "static" / "validate.js").read_text(encoding="utf-8")
    for code, spec in _validator_codes().items():
        for text in (spec["title"], spec.get("message", "")):
            for part in re.split(r"\{\w+\}", text):
                assert len(part.strip()) < 12 or part.strip() not in script, (code, part)


def test_page_embeds_the_rules_without_breaking_out_of_the_script(site_root: Path) -> None:
    html = (site_root / PAGE).read_text(encoding="utf-8")
    start = html.index('id="validator-rules">') + len('id="validator-rules">')
    embedded = html[start : html.index("</script>", start)]
    assert json.loads(embedded) == validator_rules()
    assert "http://" not in html.replace(NAMESPACE, "") and "https://" not in html


# --- same report as the CLI --------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_examples_give_the_cli_report(page: Any, name: str) -> None:
    path = EXAMPLES / name
    shown = choose_file(page, path)
    assert shown == cli_report(path)
    assert shown["exit_code"] == EXPECTED[name]["exit"]
    text = validate_file(path)
    text.path = path.name
    if shown["status"] != "unreadable":  # the text report, as openepb-validate prints it
        assert page.evaluate("r => window.openepbValidator.formatReport(r)", shown) == format_report(text)
    assert [i["code"] for i in shown["issues"]] == [i.code for i in text.issues]
    assert shown["code"] == text.code  # None unless unreadable
    errors = [[i["row"], i["field"]] for i in shown["issues"] if i["level"] == "error"]
    warnings = [[i["row"], i["field"]] for i in shown["issues"] if i["level"] == "warning"]
    assert (errors, warnings) == (EXPECTED[name]["issues"], EXPECTED[name].get("warnings", []))


def test_template_with_mistakes_gives_the_cli_report(page: Any, tmp_path: Path) -> None:
    rows = [
        _row(**GOOD, reg_number="01-ТУ-00001-2018", date_registered=date(2018, 12, 1)),
        _row(**GOOD, reg_number="01-ТУ-0002-2018", date_registered=date(2018, 12, 1)),
        _row(**GOOD, reg_number="01-ТУ-00003-2018", date_registered=date(2017, 12, 1)),
        _row(**{**GOOD, "office_code": "xyz"}, reg_number="01-ТУ-00004-2018"),
        _row(**{**GOOD, "licence_number": "ДЭ-00-12345"}, reg_number="01-ТУ-00005-2018"),
        _row(**GOOD, reg_number="01-ТУ-00001-2018", date_registered=date(2018, 12, 2)),
        _row(**GOOD, reg_number="01-ТУ-00006-2018", date_registered=date(2018, 12, 3)),
        _row(
            **{**GOOD, "object_name": 12.5}, reg_number="02-ТП-00007-2018", date_registered=date(2018, 12, 4)
        ),
        _row(**GOOD, **NEW_FIELDS, reg_number="48-ТУ-845161-2026", date_registered=date(2026, 2, 10)),
        _row(**{**GOOD, **NEW_FIELDS, "hazard_class": "IIII"}, reg_number="48-ТУ-845162-2026"),
        _row(**{**GOOD, **NEW_FIELDS, "applicant_inn": 7701234567}, reg_number="48-ТУ-845163-2026"),
        _row(**{**GOOD, "object_type": "ПД"}, reg_number="48-ПД-845164-2026"),
    ]
    path = _filled_template(tmp_path / "filled.xlsx", rows)
    shown = choose_file(page, path)
    assert shown == cli_report(path)
    assert [(i["row"], i["field"], i["level"], i["code"]) for i in shown["issues"]] == [
        (3, "reg_number", "error", "value_pattern"),
        (4, "date_registered", "error", "year_mismatch"),
        (5, "office_code", "error", "value_pattern"),
        (6, "licence_number", "error", "value_pattern"),
        (7, "reg_number", "error", "duplicate_number"),
        (9, "object_type", "error", "object_code_mismatch"),  # ТУ given, ТП in the number; 02 is no error
        (11, "hazard_class", "error", "value_pattern"),
        (12, "applicant_inn", "error", "inn_checksum"),
        (13, "object_type", "warning", "object_type_unlisted"),
    ]
    table = page.locator("#vf-issues tbody tr")
    assert table.count() == 9
    assert "ДЭ-00-12345" in table.nth(3).inner_text()
    assert table.nth(8).inner_text().startswith("предупреждение")
    assert page.text_content("#vf-verdict") == "Есть ошибки. Записей: 12, ошибок: 8, предупреждений: 1."


def test_clean_template_is_valid_in_the_browser(page: Any, tmp_path: Path) -> None:
    rows = [_row(**GOOD, reg_number="01-ТУ-00001-2018", date_registered=date(2018, 12, 1))]
    path = _filled_template(tmp_path / "ok.xlsx", rows)
    assert choose_file(page, path) == cli_report(path) | {"status": "valid"}
    assert page.text_content("#vf-verdict") == "Ошибок нет. Записей: 1, ошибок: 0."


def test_empty_template_is_a_warning_not_a_green_verdict(page: Any, tmp_path: Path) -> None:
    """The blank template has no record: both validators warn «записей нет», the page says so
    instead of «Ошибок нет»."""
    path = _filled_template(tmp_path / "blank.xlsx", [])
    cli = cli_report(path)
    assert [i["code"] for i in cli["issues"]] == ["no_records"] and cli["records"] == 0
    assert choose_file(page, path) == cli
    verdict = page.locator("#vf-verdict")
    assert verdict.text_content().startswith("Записей нет")
    assert "vf-empty" in (verdict.get_attribute("class") or "")


def test_table_errors_show_the_file_row_and_link_the_field(page: Any, tmp_path: Path) -> None:
    rows = [
        _row(**GOOD, reg_number="01-ТУ-00001-2018", date_registered=date(2018, 12, 1)),
        _row(**{**GOOD, "licence_number": "ДЭ-00-12345"}, reg_number="01-ТУ-00005-2018"),
    ]
    path = _filled_template(tmp_path / "one-bad.xlsx", rows)
    report = choose_file(page, path)
    [bad] = [i for i in report["issues"] if i["field"] == "licence_number"]
    headers = page.eval_on_selector_all("#vf-issues thead th", "els => els.map(e => e.textContent)")
    assert headers[1] == "Строка файла" and "Запись" not in headers
    cells = page.eval_on_selector_all(
        "#vf-issues tbody tr:first-child td", "els => els.map(e => e.textContent)"
    )
    assert bad["row"] == 3 and cells[1] == "3"  # header in row 1, data from row 2
    href = page.get_attribute("#vf-issues tbody tr:first-child a", "href")
    assert href == "docs/reference/schema.html#record-licence_number"


CSV_CASES = {
    "semicolons-russian-dates.csv": (
        "utf-8-sig",
        "Регистрационный номер заключения *;Территориальный орган (код) *;Дата внесения в реестр\n"
        "01-ТУ-00001-2018;mos;01.12.2018\n01-ТУ-00002-2018;mos;1.12.2019\n;;\n\n"
        '"01-ТУ-00003-2018";"mo""s";"02.12.2018"\n01-ТУ-00001-2018;cntr;31.02.2018\n',
    ),
    "unknown-column.csv": ("utf-8", "reg_number,office_code,Примечание\n01-ТУ-00001-2018,mos,x\n"),
    "cp1251-quoted-newline.csv": (
        "cp1251",
        "reg_number;office_code;object_name;licence_number\r\n"
        '01-ТУ-00001-2018;mos;"Котёл\r\nпаровой; ДКВР";ДЭ-00-1\r\n02-ЗС-00002-2018;mos; ;ДЭ-00-000001\r\n',
    ),
    "no-header.csv": ("utf-8", "a;b\n1;2\n"),
    "tabs.csv": (
        "utf-8",
        "reg_number\toffice_code\tyear\n01-ТУ-00001-2018\tmos\t2018\n01-ТУ-00001-2018\t\t18\n",
    ),
    "todays-fields.csv": (
        "utf-8",
        "Регистрационный номер заключения *;Территориальный орган (код) *;Субъект Российской Федерации;"
        "Регистрационный номер ОПО;Класс опасности ОПО (I–IV);Вывод заключения;Экспертная организация: ИНН\n"
        "48-ТУ-845161-2026;mos;Липецкая область;А48-00123-0001;II;не в полной мере;7712345671\n"
        "48-ТУ-845162-2026;mos;Липецкая обл.;А48-00123-000;ii;Соответствует;7712345672\n"
        "48-ПД-845163-2026;mos;;;IV;не соответствует;771234567100\n"
        "48-ПД-845164-2026;mos;;;;;\n",
    ),
    "only-warnings.csv": ("utf-8", "reg_number,office_code,object_type\n58-ПД-01234-2017,mos,ПД\n"),
}


@pytest.mark.parametrize("name", sorted(CSV_CASES))
def test_csv_gives_the_cli_report(page: Any, tmp_path: Path, name: str) -> None:
    encoding, text = CSV_CASES[name]
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    cli = cli_report(path)
    assert cli["format"] == "csv"
    assert browser_report(page, path) == cli
    if name == "only-warnings.csv":
        assert (cli["status"], cli["exit_code"]) == ("valid", 0)
        assert [i["level"] for i in cli["issues"]] == ["warning"]
    if name == "todays-fields.csv":
        assert {i["field"] for i in cli["issues"]} >= {"region", "opo_reg_number", "hazard_class"}


# --- generated documents: the XSD part and the rules on many shapes of record -------------------------

TRICKY = {
    "reg_number": [
        "01-ТУ-00001-2018",
        " 01-ТУ-00001-2018",
        "01-TU-00001-2018",
        "02-ЗС-00002-2019",
        "01-ТУ-1-2018",
        "48-ТУ-845161-2018",  # six-digit serial
        "1-ТУ-845161-2018",  # unpadded first group
        "01-ПД-00003-2018",  # unlisted object-type code: a warning
        "01-ТУ-8451610-2018",
    ],
    "reg_number_published": ["1-ТУ-845161-2018", "", "№ 01‑ТУ‑00001‑2018"],
    "region": [
        "Московская область",
        "Москва",
        "Московская обл.",
        " Москва",
        "Ханты-Мансийский автономный округ — Югра",
    ],
    "opo_reg_number": ["А01-01234-0005", "A01-01234-0005", "А01-1234-0005", "А01-01234-0005 "],
    "opo_name": ["Площадка котельной", ""],
    "hazard_class": ["I", "II", "III", "IV", "V", "3", "iii", "IIII", " II"],
    "conclusion_result": ["соответствует", "не соответствует", "не в полной мере", "Соответствует", "плохо"],
    "operation_term": ["2030-12-01", "до 01.12.2030", ""],
    "expert_org_inn": ["7712345671", "7712345670", "770123456703", "770123456789", "77123456"],
    "office_code": ["mos", "cntr", "MOS", "", " mos"],
    "district": ["CFD", "cfd", "XX"],
    "year": ["2018", " 2018 ", "18", "02018", "-2018", "2018Z", "0000", "12018", "2018+14:00", "2018+15:00"],
    "date_registered": [
        "2018-12-01",
        " 2018-12-01\n",
        "2018-02-29",
        "2016-02-29",
        "2018-13-01",
        "01.12.2018",
        "2018-12-01Z",
        "2018-12-01+03:00",
        "2018-12-01+14:30",
        "2018-12-1",
        "2017-12-01",
        "",
    ],
    "object_type": ["ТУ", "ЗС", "ту", "QQ", "ПД", "ЖЖ"],
    "applicant_inn": [
        "7701234560",
        "7701234567",  # ten digits, wrong control digit
        "770123456703",
        "770123456789",  # twelve digits, wrong control digits
        "77012345",
        "7701234560 ",
        "０７０１２３４５６０",  # full-width digits
    ],
    "licence_number": ["ДЭ-00-017384", "ДЭ-00-12345", "DE-00-017384"],
    "expert_certificate": [
        "АЭ.16.01234.003",
        "АЭ.16.01234.003; АЭ.17.04321.001",
        "АЭ.16.01234.003;АЭ.17.04321.001",
    ],
    "excluded_date": ["2019-03-01", "2017-01-01", "2019-3-1"],
    "source_row": ["12", "+12", "-0", "-1", " 7 ", "1.0"],
    "object_name": ["Котёл", "", "   ", "a&amp;b", "<![CDATA[x]]>", "a<!-- c -->b"],
}
HEADERS = [
    "<office>mos</office><generated_at>2018-12-04T09:00:00Z</generated_at>",
    "<generated_at>2018-12-04T09:00:00</generated_at>",
    "<generated_at> 2018-12-04T24:00:00+14:00 </generated_at>",
    "<office>cntr</office><period_from>2018-12-01</period_from><generated_at>x</generated_at>",
    "<period_to>2018-12-01</period_to><period_from>2018-12-01</period_from><generated_at>2018-12-04T09:00:00.5Z</generated_at>",
    "",
    "text<generated_at>2018-12-04T09:00:60Z</generated_at>",
    '<office a="1">mos</office><generated_at>2018-12-04T09:00:00Z</generated_at>',
]


def _generated_field(rng: random.Random) -> str:
    name = rng.choice([*TRICKY, "reg_number", "office_code", "date_registered", "applicant_inn"])
    value = rng.choice(TRICKY[name])
    shape = rng.random()
    if shape < 0.04:
        return f'<{name} a="1">{value}</{name}>'
    if shape < 0.07:
        return f"<{name}>{value}<x/></{name}>"
    if shape < 0.1:
        return f'<{name} xmlns="urn:other">{value}</{name}>'
    return f"<{name}>{value}</{name}>"


def _generated_record(rng: random.Random, number: int) -> str:
    shape = rng.choice(["01-ТУ-{:05d}-2018", "48-ЗС-{:06d}-2018", "01-ПД-{:05d}-2018", "01-ЖЖ-{:06d}-2018"])
    fields = [f"<reg_number>{shape.format(number)}</reg_number>", "<office_code>mos</office_code>"]
    fields += [_generated_field(rng) for _ in range(rng.randint(0, 5))]
    order = {name: i for i, name in enumerate(FIELD_NAMES)}
    if rng.random() < 0.7:  # mostly in schema order, so the type checks are reached
        fields.sort(key=lambda f: order.get(f[1 : f.index(">")].split()[0], 99))
    if rng.random() < 0.3:
        fields.pop(rng.randrange(len(fields)))
    extras = ["<foo/>", "<unknown_field>1</unknown_field>", "stray text", "\n  ", "<!-- note -->"]
    if rng.random() < 0.15:
        fields.insert(rng.randrange(len(fields) + 1), rng.choice(extras))
    attrs = ' id="1"' if rng.random() < 0.05 else ""
    return f"<record{attrs}>\n    " + "\n    ".join(fields) + "\n  </record>"


def generated_document(seed: int) -> str:
    rng = random.Random(seed)
    records = [_generated_record(rng, rng.randint(1, 6)) for _ in range(rng.randint(1, 4))]
    tail = rng.choice(["", "tail text", "<office>mos</office>"]) if rng.random() < 0.2 else ""
    version = rng.choice(
        ['version="1.0"'] * 4 + ['version="1.1"'] * 4 + ['version="2.0"', "", 'version="1.0" foo="x"']
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<register xmlns="{NAMESPACE}" {version}>\n'
        f"  {rng.choice(HEADERS)}\n  " + "\n  ".join(records) + f"\n{tail}</register>\n"
    )


def test_generated_documents_give_the_cli_report(page: Any, tmp_path: Path) -> None:
    mismatches = []
    for seed in range(300):
        path = tmp_path / f"doc-{seed}.xml"
        path.write_text(generated_document(seed), encoding="utf-8")
        cli, shown = cli_report(path), browser_report(page, path)
        if cli != shown:
            mismatches.append((seed, cli, shown))
    assert mismatches == []


# --- privacy, offline, accessibility ------------------------------------------------------------------


def test_the_file_is_never_sent(browser: Any, site_url: str, tmp_path: Path) -> None:
    path = tmp_path / "secret.xml"
    source = (EXAMPLES / "invalid-licence.xml").read_text(encoding="utf-8")
    path.write_text(source.replace("ООО «Ромашка»", SECRET), encoding="utf-8")
    tab = Tab(browser)
    requests: list[Any] = []
    tab.page.on("request", lambda request: requests.append(request))
    try:
        tab.page.goto(site_url + PAGE)
        tab.page.wait_for_load_state("networkidle")
        loaded = len(requests)
        shown = choose_file(tab.page, path)
        tab.page.wait_for_timeout(300)
        assert shown["status"] == "invalid"
        assert requests[loaded:] == []  # choosing and checking a file makes no request at all
        for request in requests:
            assert request.method == "GET" and request.url.startswith(site_url)
            assert SECRET not in request.url and not request.post_data
        assert tab.errors == []
    finally:
        tab.close()


def test_works_offline_from_the_file_system(browser: Any, site_root: Path) -> None:
    context = browser.new_context(offline=True)
    tab = context.new_page()
    try:
        tab.goto((site_root / PAGE).as_uri())
        tab.wait_for_selector("body[data-ready=validator]", state="attached")
        shown = choose_file(tab, EXAMPLES / "invalid-year-mismatch.xml")
        assert shown == cli_report(EXAMPLES / "invalid-year-mismatch.xml")
    finally:
        context.close()


def test_file_input_is_labelled_and_reached_by_keyboard(browser: Any, site_url: str) -> None:
    tab = Tab(browser)
    try:
        tab.open(site_url + PAGE)
        label = tab.page.get_by_label("Файл реестра: XML, Excel (.xlsx) или CSV")
        assert label.get_attribute("id") == "vf-file"
        for _ in range(20):
            tab.page.keyboard.press("Tab")
            if tab.page.evaluate("document.activeElement.id") == "vf-file":
                break
        assert tab.page.evaluate("document.activeElement.id") == "vf-file"
        assert tab.page.get_attribute(f'nav a[href="{PAGE}"]', "aria-current") == "page"
    finally:
        tab.close()


def test_report_fits_a_phone(browser: Any, site_url: str, tmp_path: Path) -> None:
    path = tmp_path / "long.xml"
    long_value = "ДЭ-00-" + "1" * 180
    path.write_text(
        (EXAMPLES / "invalid-licence.xml").read_text(encoding="utf-8").replace("ДЭ-00-12345", long_value),
        encoding="utf-8",
    )
    tab = Tab(browser, width=360)
    try:
        tab.open(site_url + PAGE)
        shown = choose_file(tab.page, path)
        assert shown["status"] == "invalid"
        assert tab.page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
        assert tab.page.locator("#vf-issues").is_visible()
        assert tab.errors == []
    finally:
        tab.close()


def _document(body: str, head: str = "") -> str:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n{head}<register xmlns="{NAMESPACE}" version="1.0">\n'
        f"<generated_at>2026-01-01T00:00:00Z</generated_at>\n{body}</register>\n"
    )


UNREADABLE = {
    "not-utf8.xml": _document("<record><reg_number>\xe9</reg_number></record>").encode("latin-1"),
    "declared-cp1251.xml": _document("").replace("UTF-8", "windows-1251").encode(),
    "utf16.xml": _document("").encode("utf-16"),
    "doctype-late.xml": _document(
        "", "<!--" + "x" * (1 << 20) + '-->\n<!DOCTYPE register [<!ENTITY a "b">]>\n'
    )
    .replace("<record", "&a;<record")
    .encode(),
    "entity.xml": _document("<record><reg_number>&a;</reg_number></record>").encode(),
    "broken.xml": _document("<record><reg_number>1</record>").encode(),
    "other-root.xml": b'<?xml version="1.0"?><root xmlns="urn:x"/>',
    "empty.xml": b"",
    "broken.xlsx": b"PK\x03\x04" + b"\x00" * 64,
    "cp1251-undefined.csv": "reg_number;office_code\n01-ТУ-00001-2018;mos\n".encode("cp1251") + b"\x98\n",
}


#: The catalogue code each unreadable file gets (the same in the CLI and in the page).
UNREADABLE_CODES = {
    "not-utf8.xml": "xml_bad_characters",
    "declared-cp1251.xml": "encoding_declared_other",
    "utf16.xml": "encoding_not_utf8",
    "doctype-late.xml": "dtd_forbidden",
    "entity.xml": "xml_malformed",
    "broken.xml": "xml_malformed",
    "other-root.xml": "not_register_document",
    "empty.xml": "xml_malformed",
    "broken.xlsx": "xlsx_unreadable",
    "cp1251-undefined.csv": "csv_encoding",
}


@pytest.mark.parametrize("name", sorted(UNREADABLE))
def test_unreadable_files_are_refused_as_by_the_cli(page: Any, tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(UNREADABLE[name])
    cli, shown = cli_report(path), browser_report(page, path)
    assert cli["status"] == "unreadable"
    assert shown["code"] == cli["code"] == UNREADABLE_CODES[name]
    assert shown == cli


def _workbook(path: Path, rows: list[list[Any]], *, title: str = "Лист1", epoch_1904: bool = False) -> Path:
    from datetime import datetime

    from openpyxl import Workbook
    from openpyxl.cell.rich_text import CellRichText, TextBlock
    from openpyxl.cell.text import InlineFont

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title
    if epoch_1904:
        workbook.epoch = datetime(1904, 1, 1)
    for row in rows:
        sheet.append(row)
    sheet["A1"] = CellRichText(TextBlock(InlineFont(b=True), "Регистрационный"), " номер заключения")
    sheet["F3"].number_format = "yyyy-mm-dd hh:mm"
    sheet["C4"].number_format = "0.00"
    workbook.save(path)
    return path


def test_other_workbooks_give_the_cli_report(page: Any, tmp_path: Path) -> None:
    from datetime import datetime

    header = ["reg_number", "office_code", "year", "object_name", "applicant_inn", "date_registered"]
    rows = [
        header,
        ["01-ТУ-00001-2018", "mos", 2018, True, 7701234567, datetime(2018, 12, 1, 23, 59)],
        ["01-ТУ-00002-2018", "mos", 2018.5, 1e-05, 7.7e15, date(2019, 1, 2)],
        ["01-ТУ-00003-2018", "mos", 2018.0, 0.1, "  ", date(2018, 1, 1)],
    ]
    for epoch in (False, True):
        path = _workbook(tmp_path / f"book-{epoch}.xlsx", rows, epoch_1904=epoch)
        cli = cli_report(path)
        assert cli["records"] == 3 and cli["issues"]
        assert browser_report(page, path) == cli


def test_unclosed_prolog_comment_is_a_syntax_error(page: Any, tmp_path: Path) -> None:
    path = tmp_path / "unclosed.xml"
    path.write_text("  <!-- never closed <register/>", encoding="utf-8")
    shown = browser_report(page, path)
    assert (shown["status"], shown["message"]) == ("unreadable", "файл не является правильно построенным XML")
    assert cli_report(path)["status"] == "unreadable"
