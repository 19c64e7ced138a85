"""Loud gates per office: a misread table or a shrink holds back that office only, with its last good
records published and the reason on the quality page; a reviewed entry in sources/accepted.yaml lets
exactly that reading through."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import duckdb
import pytest
import yaml

from openepb.build.expectations import Gate
from openepb.build.pipeline import build_database, suspect_tables
from openepb.cli import EXIT_FAILED, EXIT_HELD_BACK, EXIT_PUBLISHED, main
from openepb.contract.sources import SOURCES_DIR, load_gate_rules, load_sources
from openepb.demo.writers import Table, write_xlsx
from openepb.fileio import sha256_of
from openepb.normalize.rows import normalize_rows
from openepb.read import RawRow

HEADER = ["Регистрационный номер", "Дата внесения в реестр", "Заявитель", "Экспертная организация"]


def _rows(prefix: str, first: int, last: int, year: int = 2017) -> list[list[str]]:
    return [
        [f"{prefix}-ТУ-{i:05d}-{year}", f"01.03.{year}", f"ООО «Заявитель {i}»", "ООО «Промэксперт»"]
        for i in range(first, last + 1)
    ]


def _csv(path: Path, rows: list[list[str]]) -> Path:
    """An office's CSV as offices write them: semicolons, a one-row header."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(";".join(r) for r in [HEADER, *rows]) + "\n", encoding="utf-8")
    return path


def _licences(n: int) -> list[list[str]]:
    """Rows whose number column holds the expert organization's licence: the misread seen in the wild."""
    return [
        [f"ДЭ-00-{i:06d}", "02.03.2018", f"ООО «Лютик {i}»", "ООО «Промэксперт»"] for i in range(1, n + 1)
    ]


def _build(root: Path, out: Path, *extra: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    places = ["--out", str(out), "--site", str(out / "site"), "--exports", str(out / "exports")]
    code = main(["--input", str(root), *places, "--quiet", *extra])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _records(db: Path, office: str) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(
            "SELECT * FROM records WHERE office_code = ? ORDER BY reg_number", [office]
        ).fetchall()
    finally:
        con.close()


def _quality(out: Path) -> dict[str, dict[str, str]]:
    with (out / "exports" / "quality.csv").open(encoding="utf-8-sig", newline="") as stream:
        return {row["office_code"]: row for row in csv.DictReader(stream)}


def _counts(out: Path) -> dict[str, int]:
    return json.loads((out / "state" / "office_counts.json").read_text(encoding="utf-8"))


@pytest.fixture
def mirror(tmp_path: Path) -> Path:
    """Two offices read well: vdon 6 records (xlsx), cntr 8 (csv)."""
    root = tmp_path / "mirror"
    write_xlsx(root / "vdon" / "upload" / "reestr_2017.xlsx", [Table(rows=[HEADER, *_rows("03", 1, 6)])])
    _csv(root / "cntr" / "upload" / "reestr_2017.csv", _rows("02", 1, 8))
    return root


@pytest.fixture
def sources_copy(tmp_path: Path) -> Path:
    folder = tmp_path / "sources"
    shutil.copytree(SOURCES_DIR, folder)
    return folder


def _accept(folder: Path, *entries: dict) -> None:
    base = {"by": "Проверяющий", "reason": "файл проверен вручную", "date": "2026-01-12"}
    text = yaml.safe_dump({"accepted": [base | e for e in entries]}, allow_unicode=True)
    (folder / "accepted.yaml").write_text(text, encoding="utf-8")


# --- the rule ------------------------------------------------------------------------------------


def _result(rows: list[list[str]], table: str = "Лист1"):
    raw = [RawRow(table, i + 1, tuple(cells)) for i, cells in enumerate([HEADER, *rows])]
    return normalize_rows(raw, "x/reestr.xlsx")


def test_a_table_of_mostly_rejects_is_suspect_and_names_header_and_mapping():
    rules = load_gate_rules()
    assert (rules.max_reject_share, rules.min_rows) == (0.5, 5)
    # 3 rejects of 5 rows: more than half
    found = suspect_tables(_result(_rows("03", 1, 2) + _licences(3)), rules)
    assert found == [
        (
            "Лист1",
            "строк реестра: 5, отклонено: 3 (60%)",
            "заголовок и сопоставление: 1 «Регистрационный номер» → reg_number, "
            "2 «Дата внесения в реестр» → date_registered, 3 «Заявитель» → applicant_contact, "
            "4 «Экспертная организация» → expert_org_contact",
        )
    ]
    # exactly half is not "mostly"; four rows are too few to judge by the share
    assert suspect_tables(_result(_rows("03", 1, 3) + _licences(3)), rules) == []
    assert suspect_tables(_result(_rows("03", 1, 1) + _licences(3)), rules) == []


def test_a_register_file_that_yields_no_record_is_suspect_whatever_its_size():
    rules = load_gate_rules()
    [(table, said, columns)] = suspect_tables(_result(_licences(2)), rules)
    assert (table, said) == ("Лист1", "строк реестра: 2, отклонено: 2 (100%), записей в файле нет")
    [(table, said, _)] = suspect_tables(_result([]), rules)  # a header and nothing under it
    assert said == "строк реестра: 0, отклонено: 0, записей в файле нет"
    assert columns.startswith("заголовок и сопоставление: 1 «Регистрационный номер» → reg_number")


def test_a_header_with_zero_records_holds_the_office_back_on_a_first_build(mirror: Path, tmp_path: Path):
    write_xlsx(mirror / "cntr" / "upload" / "reestr_2026.xlsx", [Table(rows=[HEADER])])
    db = tmp_path / "db.duckdb"
    summary = build_database(mirror, db, quiet=True, gate=Gate(load_sources(), tmp_path / "state"))
    assert sorted(summary.held_back) == ["cntr"]
    verdict = summary.held_back["cntr"]
    assert (verdict.status, verdict.records, verdict.restored) == ("none", 8, None)
    assert verdict.reasons == [
        "mapping_suspect: cntr/upload/reestr_2026.xlsx, таблица «Лист1»: строк реестра: 0, отклонено: 0, "
        "записей в файле нет"
    ]
    assert _records(db, "cntr") == [] and len(_records(db, "vdon")) == 6
    con = duckdb.connect(str(db), read_only=True)
    status = con.execute("SELECT status FROM files WHERE path = 'cntr/upload/reestr_2026.xlsx'").fetchone()
    problems = con.execute(
        "SELECT source_file, source_table FROM problems WHERE code = 'mapping_suspect'"
    ).fetchall()
    con.close()
    assert status == ("mapping_suspect",)
    assert problems == [("cntr/upload/reestr_2026.xlsx", "Лист1")]


def test_without_a_gate_the_reading_is_stored_and_the_suspect_still_reported(mirror: Path, tmp_path: Path):
    _csv(mirror / "cntr" / "upload" / "reestr_2018.csv", _licences(5))
    summary = build_database(mirror, tmp_path / "db.duckdb", quiet=True)
    assert summary.held_back == {} and len(_records(tmp_path / "db.duckdb", "cntr")) == 8
    assert summary.offices["cntr"].file_problems["mapping_suspect"] == 1


# --- the build ------------------------------------------------------------------------------------


def test_a_misread_office_is_held_back_with_its_previous_records(mirror: Path, tmp_path: Path, capsys):
    out = tmp_path / "out"
    assert _build(mirror, out, capsys=capsys)[0] == EXIT_PUBLISHED
    published = _records(out / "openepb.duckdb", "cntr")
    state = (out / "state" / "offices" / "cntr.parquet").read_bytes()
    assert len(published) == 8

    # cntr adds a file whose number column holds licences; vdon publishes two more conclusions
    misread = _csv(mirror / "cntr" / "upload" / "reestr_2018.csv", _licences(6))
    write_xlsx(mirror / "vdon" / "upload" / "reestr_2017.xlsx", [Table(rows=[HEADER, *_rows("03", 1, 8)])])
    code, stdout, stderr = _build(mirror, out, capsys=capsys)
    assert code == EXIT_HELD_BACK
    assert _records(out / "openepb.duckdb", "cntr") == published
    assert [r[0] for r in _records(out / "openepb.duckdb", "vdon")] == [
        f"03-ТУ-{i:05d}-2017" for i in range(1, 9)
    ]
    reason = "mapping_suspect: cntr/upload/reestr_2018.csv: строк реестра: 6, отклонено: 6 (100%), записей в файле нет"
    assert (
        f"held back: cntr — {reason}; опубликованы данные прошлой сборки (8 записей)" in stdout.splitlines()
    )
    assert "offices held back, their previous build's data are published: cntr" in stderr

    con = duckdb.connect(str(out / "openepb.duckdb"), read_only=True)
    [(message,)] = con.execute("SELECT message FROM problems WHERE code = 'mapping_suspect'").fetchall()
    rejects = con.execute(
        "SELECT count(*) FROM rejects WHERE source_file = 'cntr/upload/reestr_2018.csv'"
    ).fetchone()
    con.close()
    assert message.startswith("cntr/upload/reestr_2018.csv: таблица прочитана подозрительно")
    assert "1 «Регистрационный номер» → reg_number" in message
    assert rejects == (6,)  # the reading that was held back stays visible as rejects

    quality = _quality(out)
    cntr = quality["cntr"]
    assert (cntr["held_back"], cntr["records"], cntr["mapping_suspect"]) == ("true", "8", "1")
    assert quality["cntr"]["data_status"] == f"данные прошлой сборки: {reason}"
    assert (quality["vdon"]["held_back"], quality["vdon"]["data_status"]) == ("false", "новые данные")
    page = (out / "site" / "quality-cntr.html").read_text(encoding="utf-8")
    assert (
        "Новые данные органа не опубликованы" in page
        and "Записи ниже — записи прошлой удачной сборки" in page
    )
    assert "<li>cntr/upload/reestr_2018.csv: таблица прочитана подозрительно" in page
    assert "1 «Регистрационный номер» → reg_number" in page
    assert "данные прошлой сборки: mapping_suspect" in (out / "site" / "quality.html").read_text(
        encoding="utf-8"
    )

    # the held-back office's baseline did not move; the other's did
    assert (out / "state" / "offices" / "cntr.parquet").read_bytes() == state
    assert _counts(out) == {"cntr": 8, "vdon": 8}
    # and the office stays held back until the file changes or is accepted
    assert _build(mirror, out, capsys=capsys)[0] == EXIT_HELD_BACK
    misread.unlink()
    assert _build(mirror, out, capsys=capsys)[0] == EXIT_PUBLISHED


def test_first_build_publishes_nothing_of_a_misread_office_and_says_so(mirror: Path, tmp_path: Path, capsys):
    _csv(mirror / "cntr" / "upload" / "reestr_2017.csv", _licences(8))
    out = tmp_path / "out"
    code, stdout, _ = _build(mirror, out, capsys=capsys)
    assert code == EXIT_HELD_BACK
    assert (
        _records(out / "openepb.duckdb", "cntr") == [] and len(_records(out / "openepb.duckdb", "vdon")) == 6
    )
    line = next(x for x in stdout.splitlines() if x.startswith("held back: cntr"))
    assert line.endswith("прошлой удачной сборки нет, новые данные не опубликованы")
    quality = _quality(out)
    assert quality["cntr"]["data_status"].startswith(
        "не опубликовано: mapping_suspect: cntr/upload/reestr_2017.csv"
    )
    assert quality["cntr"]["records"] == "0" and quality["cntr"]["rejects"] == "8"
    assert sorted(p.name for p in (out / "state" / "offices").iterdir()) == ["vdon.parquet"]


def test_a_shrink_holds_back_that_office_only(mirror: Path, tmp_path: Path, capsys):
    out = tmp_path / "out"
    assert _build(mirror, out, capsys=capsys)[0] == EXIT_PUBLISHED
    published = _records(out / "openepb.duckdb", "vdon")
    write_xlsx(mirror / "vdon" / "upload" / "reestr_2017.xlsx", [Table(rows=[HEADER, *_rows("03", 1, 2)])])
    _csv(mirror / "cntr" / "upload" / "reestr_2017.csv", _rows("02", 1, 9))
    code, stdout, _ = _build(mirror, out, capsys=capsys)
    assert code == EXIT_HELD_BACK
    assert [line for line in stdout.splitlines() if line.startswith("held back:")] == [
        "held back: vdon — vdon: 2 записей против 6 в прошлой сборке (падение больше 20%); "
        "опубликованы данные прошлой сборки (6 записей)"
    ]
    assert _records(out / "openepb.duckdb", "vdon") == published
    assert len(_records(out / "openepb.duckdb", "cntr")) == 9
    assert _counts(out) == {"cntr": 9, "vdon": 6}
    # --accept-shrink is a one-off: it publishes this build and the count becomes the baseline
    code, stdout, _ = _build(mirror, out, "--accept-shrink", capsys=capsys)
    assert code == EXIT_PUBLISHED
    assert (
        "accepted: vdon: 2 записей против 6 в прошлой сборке (падение больше 20%) — пропущено разово"
        in stdout
    )
    assert _counts(out) == {"cntr": 9, "vdon": 2}
    assert _build(mirror, out, capsys=capsys)[0] == EXIT_PUBLISHED


def test_an_office_gone_from_the_mirror_keeps_its_records(mirror: Path, tmp_path: Path, capsys):
    out = tmp_path / "out"
    assert _build(mirror, out, capsys=capsys)[0] == EXIT_PUBLISHED
    published = _records(out / "openepb.duckdb", "cntr")
    shutil.rmtree(mirror / "cntr")
    code, stdout, _ = _build(mirror, out, capsys=capsys)
    assert code == EXIT_HELD_BACK
    assert "held back: cntr — cntr: 0 записей против 8 в прошлой сборке (падение больше 20%); " in stdout
    assert _records(out / "openepb.duckdb", "cntr") == published
    assert _quality(out)["cntr"]["files"] == "0"


def test_every_office_held_back_publishes_nothing(tmp_path: Path, capsys):
    root = tmp_path / "mirror"
    _csv(root / "cntr" / "upload" / "reestr.csv", _licences(8))
    out = tmp_path / "out"
    code, _, stderr = _build(root, out, capsys=capsys)
    assert code == EXIT_FAILED
    assert "every office was held back" in stderr
    assert not (out / "site").exists() and not (out / "exports").exists() and not (out / "state").exists()


# --- acceptance -----------------------------------------------------------------------------------


def test_an_accepted_file_lets_exactly_that_reading_through(
    mirror: Path, tmp_path: Path, sources_copy: Path, capsys
):
    out = tmp_path / "out"
    sources = ("--sources", str(sources_copy))
    assert _build(mirror, out, *sources, capsys=capsys)[0] == EXIT_PUBLISHED
    misread = _csv(mirror / "cntr" / "upload" / "reestr_2018.csv", _licences(6))
    _accept(sources_copy, {"office": "cntr", "sha256": "0" * 64})  # another file's hash accepts nothing
    assert _build(mirror, out, *sources, capsys=capsys)[0] == EXIT_HELD_BACK
    _accept(sources_copy, {"office": "vdon", "sha256": sha256_of(misread)})  # nor does another office
    assert _build(mirror, out, *sources, capsys=capsys)[0] == EXIT_HELD_BACK

    _accept(
        sources_copy,
        {"office": "cntr", "sha256": sha256_of(misread), "reason": "в файле лицензии, не заключения"},
    )
    code, stdout, _ = _build(mirror, out, *sources, capsys=capsys)
    assert code == EXIT_PUBLISHED
    assert (
        "accepted: cntr/upload/reestr_2018.csv: строк реестра: 6, отклонено: 6 (100%), записей в файле нет — "
        "принято в "
        "sources/accepted.yaml (Проверяющий, 2026-01-12: в файле лицензии, не заключения)"
    ) in stdout.splitlines()
    accepted = _quality(out)["cntr"]
    assert (accepted["data_status"], accepted["mapping_suspect"]) == ("новые данные", "1")  # still listed
    # the file changes: held back again
    _csv(misread, _licences(7))
    assert _build(mirror, out, *sources, capsys=capsys)[0] == EXIT_HELD_BACK


def test_an_accepted_count_lets_exactly_that_shrink_through(
    mirror: Path, tmp_path: Path, sources_copy: Path, capsys
):
    out = tmp_path / "out"
    sources = ("--sources", str(sources_copy))
    assert _build(mirror, out, *sources, capsys=capsys)[0] == EXIT_PUBLISHED
    _csv(mirror / "cntr" / "upload" / "reestr_2017.csv", _rows("02", 1, 3))
    _accept(sources_copy, {"office": "cntr", "records": 4})
    assert _build(mirror, out, *sources, capsys=capsys)[0] == EXIT_HELD_BACK
    _accept(sources_copy, {"office": "cntr", "records": 3})
    code, stdout, _ = _build(mirror, out, *sources, capsys=capsys)
    assert code == EXIT_PUBLISHED
    assert "accepted: cntr: 3 записей против 8 в прошлой сборке (падение больше 20%) — принято в" in stdout
    assert len(_records(out / "openepb.duckdb", "cntr")) == 3
    assert _counts(out)["cntr"] == 3


# --- the scheduled workflow ------------------------------------------------------------------------

STUB = """#!/bin/sh
echo "office   files"
echo "held back: cntr — mapping_suspect: cntr/upload/r.csv; опубликованы данные прошлой сборки (8 записей)"
echo "held back: vdon — vdon: 2 записей против 6 в прошлой сборке"
exit $STUB_EXIT
"""


@pytest.mark.parametrize(("status", "passes"), [(0, True), (3, True), (1, False)])
def test_the_scheduled_build_reports_held_back_offices_and_goes_on(tmp_path: Path, status: int, passes: bool):
    """The workflow's build step, run by bash as Actions runs it, with build.py replaced by a stub."""
    import subprocess

    workflow = yaml.safe_load((SOURCES_DIR.parent / ".github" / "workflows" / "build.yml").read_text())
    step = next(s for s in workflow["jobs"]["build"]["steps"] if s.get("name") == "Harvest and build")
    assert step["shell"] == "bash"
    stub = tmp_path / ".venv" / "bin" / "python"
    stub.parent.mkdir(parents=True)
    stub.write_text(STUB, encoding="utf-8")
    stub.chmod(0o755)
    summary = tmp_path / "summary.md"
    env = {"PATH": "/usr/bin:/bin", "STUB_EXIT": str(status), "GITHUB_STEP_SUMMARY": str(summary)}
    done = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (done.returncode == 0) == passes, done.stderr
    warnings = [line for line in done.stdout.splitlines() if line.startswith("::warning")]
    if status == 3:
        assert warnings == [
            "::warning title=Управление задержано::cntr — mapping_suspect: cntr/upload/r.csv; "
            "опубликованы данные прошлой сборки (8 записей)",
            "::warning title=Управление задержано::vdon — vdon: 2 записей против 6 в прошлой сборке",
        ]
        text = summary.read_text(encoding="utf-8")
        assert text.startswith("## Задержанные управления\n") and "- vdon — vdon: 2 записей" in text
    else:
        assert warnings == [] and not summary.exists()
