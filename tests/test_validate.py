"""The validator: examples get their expected verdicts, template files report row and field, the
rules beyond the XSD (control digits, open code lists as warnings) hold, hostile XML is refused with
exit 2 without echoing the file."""

from __future__ import annotations

import json
import resource
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
import yaml
from openpyxl import load_workbook

from openepb.validate import check as validate
from openepb.validate.check import main, validate_file
from openepb.validate.template import DATA_SHEET, TEMPLATE_FIELDS, TEMPLATE_PATH, header_title

EXAMPLES = Path(__file__).resolve().parent.parent / "schema" / "examples"
EXPECTED = yaml.safe_load((EXAMPLES / "expected.yaml").read_text(encoding="utf-8"))
NS = "urn:openepb:epb-register:1.0"
SECRET = "TOP-SECRET-CONTENT-42"


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_examples_get_the_expected_verdict(name: str) -> None:
    report = validate_file(EXAMPLES / name)
    assert report.exit_code == EXPECTED[name]["exit"]
    assert [[i.row, i.field] for i in report.errors] == EXPECTED[name]["issues"]
    assert [[i.row, i.field] for i in report.warnings] == EXPECTED[name].get("warnings", [])
    assert {i.level for i in report.issues} <= {"error", "warning"}


def test_every_example_is_listed() -> None:
    assert {p.name for p in EXAMPLES.glob("*.xml")} == set(EXPECTED)


def _row(**values: object) -> list[object]:
    return [values.get(name) for name in TEMPLATE_FIELDS]


GOOD = {
    "office_code": "mos",
    "object_type": "ТУ",
    "object_name": "Котёл ДКВР-10/13",
    "applicant_name": "ООО «Ромашка»",
    "applicant_inn": "7701234560",
    "licence_number": "ДЭ-00-017384",
}
#: Today's fields, filled as an office writes them in the template.
NEW_FIELDS = {
    "region": "Московская область",
    "opo_reg_number": "А01-01234-0005",
    "opo_name": "Площадка котельной",
    "hazard_class": "III",
    "conclusion_result": "соответствует",
    "operation_term": "до 01.12.2030",
    "expert_org_name": "ООО «Эксперт»",
    "expert_org_inn": "7712345671",
}


def _filled_template(path: Path, rows: list[list[object]]) -> Path:
    workbook = load_workbook(TEMPLATE_PATH)
    sheet = workbook[DATA_SHEET]
    for offset, row in enumerate(rows):
        for col, value in enumerate(row, start=1):
            if value is not None:
                sheet.cell(row=2 + offset, column=col, value=value)
    workbook.save(path)
    return path


def test_template_with_five_mistakes_gets_exactly_five_errors(tmp_path: Path) -> None:
    rows = [
        _row(**GOOD, reg_number="01-ТУ-00001-2018", date_registered=date(2018, 12, 1)),
        _row(**GOOD, reg_number="01-ТУ-0002-2018", date_registered=date(2018, 12, 1)),  # 1: format
        _row(**GOOD, reg_number="01-ТУ-00003-2018", date_registered=date(2017, 12, 1)),  # 2: year
        _row(**{**GOOD, "office_code": "xyz"}, reg_number="01-ТУ-00004-2018"),  # 3: office
        _row(**{**GOOD, "licence_number": "ДЭ-00-12345"}, reg_number="01-ТУ-00005-2018"),  # 4: licence
        _row(**GOOD, reg_number="01-ТУ-00001-2018", date_registered=date(2018, 12, 2)),  # 5: duplicate
        _row(**GOOD, reg_number="01-ТУ-00006-2018", date_registered=date(2018, 12, 3)),
    ]
    report = validate_file(_filled_template(tmp_path / "filled.xlsx", rows))
    assert report.format == "xlsx"
    assert report.records == 7
    assert [(i.row, i.field, i.code) for i in report.issues] == [
        (3, "reg_number", "value_pattern"),
        (4, "date_registered", "year_mismatch"),
        (5, "office_code", "value_pattern"),
        (6, "licence_number", "value_pattern"),
        (7, "reg_number", "duplicate_number"),
    ]
    assert report.issues[4].reason == "номер уже встречался в файле (запись/строка 2)"
    assert report.exit_code == 1


def test_clean_template_is_valid(tmp_path: Path) -> None:
    rows = [_row(**GOOD, reg_number="01-ТУ-00001-2018", date_registered=date(2018, 12, 1))]
    report = validate_file(_filled_template(tmp_path / "ok.xlsx", rows))
    assert (report.status, report.records, report.issues) == ("valid", 1, [])


def test_template_with_todays_fields_and_their_mistakes(tmp_path: Path) -> None:
    rows = [
        _row(**GOOD, **NEW_FIELDS, reg_number="48-ТУ-845161-2026", date_registered=date(2026, 2, 10)),
        _row(**GOOD, **{**NEW_FIELDS, "hazard_class": "3"}, reg_number="01-ТУ-00002-2026"),  # 1
        _row(**GOOD, **{**NEW_FIELDS, "conclusion_result": "хорошо"}, reg_number="01-ТУ-00003-2026"),  # 2
        _row(**GOOD, **{**NEW_FIELDS, "region": "Москва и область"}, reg_number="01-ТУ-00004-2026"),  # 3
        _row(
            **GOOD, **{**NEW_FIELDS, "opo_reg_number": "A01-01234-0005"}, reg_number="01-ТУ-00005-2026"
        ),  # 4
        _row(**GOOD, **{**NEW_FIELDS, "expert_org_inn": "7712345670"}, reg_number="01-ТУ-00006-2026"),  # 5
        _row(**{**GOOD, "object_type": "ПД"}, reg_number="01-ПД-00007-2026"),  # a warning only
    ]
    report = validate_file(_filled_template(tmp_path / "today.xlsx", rows))
    assert report.records == 7
    assert [(i.row, i.field, i.value, i.level, i.code) for i in report.issues] == [
        (3, "hazard_class", "3", "error", "value_pattern"),
        (4, "conclusion_result", "хорошо", "error", "value_pattern"),
        (5, "region", "Москва и область", "error", "value_pattern"),
        (6, "opo_reg_number", "A01-01234-0005", "error", "value_pattern"),
        (7, "expert_org_inn", "7712345670", "error", "inn_checksum"),
        (8, "object_type", "ПД", "warning", "object_type_unlisted"),
    ]
    assert report.issues[4].reason == "неверные контрольные цифры ИНН"
    assert report.issues[5].reason.startswith("код объекта экспертизы «ПД» не из справочника")
    assert report.exit_code == 1


def test_warnings_alone_keep_the_file_valid(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "unlisted.csv"
    path.write_text("reg_number;office_code\n58-ПД-01234-2017;mos\n58-ТУ-01235-2017;mos\n", encoding="utf-8")
    report = validate_file(path)
    assert (report.status, report.exit_code, len(report.errors)) == ("valid", 0, 0)
    # without an object_type column the code is read from the number's second group
    assert [(i.row, i.field, i.value, i.level, i.code) for i in report.issues] == [
        (2, "reg_number", "58-ПД-01234-2017", "warning", "object_type_unlisted")
    ]
    assert main([str(path)]) == 0
    out = capsys.readouterr().out
    assert "ОШИБОК НЕТ (записей: 2, ошибок: 0, предупреждений: 1)" in out
    assert (
        "\n  предупреждение: строка 2, поле reg_number (Регистрационный номер заключения): код объекта" in out
    )


@pytest.mark.parametrize(
    ("number", "errors"),
    [
        ("48-ТУ-845161-2026", []),  # six-digit serial (2022 on)
        ("02-ТУ-600791-2026", []),  # the first group does not have to be the office's prefix
        ("2-ТУ-600791-2026", ["reg_number"]),  # the canonical form pads the first group
        ("48-ТУ-8451612-2026", ["reg_number"]),
        ("48-ТУ-8451-2026", ["reg_number"]),
    ],
)
def test_registration_number_forms(tmp_path: Path, number: str, errors: list[str]) -> None:
    path = tmp_path / "n.csv"
    path.write_text(f"reg_number;office_code;date_registered\n{number};mos;10.02.2026\n", encoding="utf-8")
    assert [i.field for i in validate_file(path).errors] == errors


@pytest.mark.parametrize(("version", "valid"), [("1.0", True), ("1.1", True), ("1.2", False), ("2.0", False)])
def test_documents_of_every_accepted_version_validate(tmp_path: Path, version: str, valid: bool) -> None:
    path = tmp_path / "v.xml"
    record = "<record><reg_number>01-ТУ-00001-2018</reg_number><office_code>mos</office_code></record>\n"
    path.write_text(_register(record).replace('version="1.0">', f'version="{version}">'), encoding="utf-8")
    report = validate_file(path)
    assert report.status == ("valid" if valid else "invalid")
    assert valid or [i.field for i in report.issues] == [None]


def test_csv_in_template_layout_with_semicolons_and_russian_dates(tmp_path: Path) -> None:
    header = ";".join(header_title(n) for n in ("reg_number", "office_code", "date_registered"))
    lines = [header, "01-ТУ-00001-2018;mos;01.12.2018", "01-ТУ-00002-2018;mos;01.12.2019", ";;"]
    path = tmp_path / "office.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8-sig")
    report = validate_file(path)
    assert report.records == 2
    assert [(i.row, i.field, i.value) for i in report.issues] == [(3, "date_registered", "2019-12-01")]


def test_csv_with_unknown_column_reports_it_on_the_header_row(tmp_path: Path) -> None:
    path = tmp_path / "office.csv"
    path.write_text("reg_number,office_code,Примечание\n01-ТУ-00001-2018,mos,x\n", encoding="utf-8")
    report = validate_file(path)
    assert [(i.row, i.field, i.reason, i.code) for i in report.issues] == [
        (1, "Примечание", "столбец не из шаблона", "template_unknown_column")
    ]


def _register(body: str) -> str:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<register xmlns="{NS}" version="1.0">\n'
        f"<generated_at>2026-01-01T00:00:00Z</generated_at>\n{body}</register>\n"
    )


def _unreadable(path: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> str:
    assert main([str(path), *extra]) == 2
    out = capsys.readouterr()
    text = out.out + out.err
    assert SECRET not in text
    return text


def test_xxe_to_a_local_file_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text(SECRET)
    path = tmp_path / "xxe.xml"
    doctype = f'<!DOCTYPE register [<!ENTITY s SYSTEM "{secret.as_uri()}">]>\n'
    path.write_text(
        _register("<record><reg_number>&s;</reg_number></record>\n").replace("\n", "\n" + doctype, 1)
    )
    text = _unreadable(path, capsys)
    assert "DTD" in text and text.rstrip().endswith("[dtd_forbidden]")


def test_doctype_after_a_long_prolog_is_still_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(validate, "PROLOG_BYTES", 64)
    secret = tmp_path / "secret.txt"
    secret.write_text(SECRET)
    padding = "<!--" + "x" * 200 + "-->\n"
    doctype = f'<!DOCTYPE register [<!ENTITY s SYSTEM "{secret.as_uri()}">]>\n'
    body = _register("<record><reg_number>&s;</reg_number></record>\n")
    path = tmp_path / "late.xml"
    path.write_text(body.replace("\n", "\n" + padding + doctype, 1))
    assert "DTD" in _unreadable(path, capsys)


def test_billion_laughs_is_refused_in_bounded_memory(tmp_path: Path) -> None:
    entities = '<!ENTITY a0 "lol">' + "".join(f'<!ENTITY a{i} "{f"&a{i - 1};" * 10}">' for i in range(1, 10))
    path = tmp_path / "lol.xml"
    path.write_text(f'<?xml version="1.0"?>\n<!DOCTYPE register [{entities}]>\n<register>&a9;</register>\n')
    # VmHWM belongs to the process's own address space (ru_maxrss would carry over the parent's
    # high-water mark across fork and exec on Linux).
    code = (
        "import re, sys\n"
        "from openepb.validate.check import main\n"
        f"code = main([{str(path)!r}])\n"
        "status = open('/proc/self/status').read()\n"
        "print(re.search(r'VmHWM:\\s+(\\d+)', status).group(1))\n"
        "sys.exit(code)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "lollol" not in done.stdout
    assert int(done.stdout.split()[-1]) < 200_000  # KB (baseline ≈ 60 MB): nothing was expanded


def test_file_over_the_size_cap_is_refused_without_reading(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "huge.xml"
    with path.open("wb") as handle:
        handle.write(_register(f"<!-- {SECRET} -->").encode())
        handle.truncate(200 * 2**20)  # sparse: 200 MB on disk costs nothing
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    text = _unreadable(path, capsys)
    assert "файл больше допустимого размера (200 МБ > 100 МБ) [file_too_large]" in text
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 50_000


def test_size_cap_is_configurable(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "small.xml"
    path.write_text(_register("") + " " * 3000)
    assert "больше допустимого" in _unreadable(path, capsys, "--max-size-mb", "0.001")


def test_invalid_utf8_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "bad.xml"
    body = _register("<office>mos</office>").encode().replace(b"mos", b"\xff\xfe" + SECRET.encode())
    path.write_bytes(body)
    text = _unreadable(path, capsys)
    assert "UTF-8" in text and text.rstrip().endswith("[xml_bad_characters]")


def test_other_declared_encoding_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "cp.xml"
    path.write_bytes(_register("").replace("UTF-8", "windows-1251").encode("cp1251"))
    text = _unreadable(path, capsys)
    assert "UTF-8" in text and text.rstrip().endswith("[encoding_declared_other]")


def test_json_output_for_machines(capsys: pytest.CaptureFixture[str]) -> None:
    names = ["valid.xml", "invalid-licence.xml"]
    assert main([str(EXAMPLES / n) for n in names] + ["--format", "json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert [d["status"] for d in data] == ["valid", "invalid"]
    assert data[1]["issues"] == [
        {
            "code": "value_pattern",
            "row": 2,
            "field": "licence_number",
            "value": "ДЭ-00-1734",
            "reason": "номер лицензии не соответствует формату ДЭ-00-NNNNNN (буквы кириллицей, шесть цифр)",
            "line": 30,
            "level": "error",
        }
    ]


def test_text_report_names_row_field_value_and_reason(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(EXAMPLES / "invalid-year-mismatch.xml")]) == 1
    out = capsys.readouterr().out
    assert (
        "запись 2, строка файла 26, поле date_registered (Дата внесения в реестр): год даты внесения "
        "(2017) не совпадает с годом в номере (2018) — значение «2017-12-02» [year_mismatch]"
    ) in out


def test_header_errors_are_reported(tmp_path: Path) -> None:
    path = tmp_path / "noversion.xml"
    path.write_text(_register("").replace(f'xmlns="{NS}" version="1.0"', f'xmlns="{NS}"'))
    report = validate_file(path)
    assert report.exit_code == 1
    assert [(i.field, i.code) for i in report.issues] == [(None, "header_version")]
    assert "version" in report.issues[0].reason


def test_wrong_root_is_unreadable(tmp_path: Path) -> None:
    path = tmp_path / "other.xml"
    path.write_text("<html><body/></html>")
    report = validate_file(path)
    assert (report.exit_code, report.code) == (2, "not_register_document")
    assert report.message == (
        f"корневой элемент — не register в пространстве имён {NS}: это не документ реестра в единой схеме"
    )


def test_json_report_of_an_unreadable_file_names_its_code(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([str(tmp_path / "absent.xml"), "--format", "json"]) == 2
    [data] = json.loads(capsys.readouterr().out)
    assert (data["status"], data["code"], data["message"], data["issues"]) == (
        "unreadable",
        "file_not_found",
        "файл не найден",
        [],
    )


def test_a_zip_bomb_workbook_is_refused_before_inflating(tmp_path: Path) -> None:
    """The validator refuses an xlsx whose sheet would inflate past the build's limits, unread."""
    import zipfile

    path = tmp_path / "reestr.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/workbook.xml", "<workbook/>")
        with z.open("xl/worksheets/sheet1.xml", "w") as member:
            for _ in range(64):
                member.write(b"\0" * 2**20)
    report = validate_file(path)
    assert report.status == "unreadable" and report.exit_code == 2
    assert "zip-бомбу" in (report.message or "")
