"""The build never stops on a bad file: each becomes a file-level problem naming the file and reason."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import duckdb
import pytest

from openepb.build.pipeline import build_database, discover_files
from openepb.contract.sources import ROOT
from openepb.demo.writers import Table, write_docx, write_encrypted_xlsx, write_truncated, write_xlsx

HEADER = ["Регистрационный номер", "Дата внесения в реестр", "Заявитель", "Экспертная организация"]
ROWS = [
    ["03-ТУ-00001-2017", "01.03.2017", "ООО «Ромашка»", "ООО «Промэксперт»"],
    ["03-ТУ-00002-2017", "02.03.2017", "ООО «Лютик»", "ООО «Промэксперт»"],
]


@pytest.fixture
def mirror(tmp_path: Path) -> Path:
    root = tmp_path / "mirror"
    good = root / "vdon" / "upload" / "a_reestr_2017.xlsx"
    write_xlsx(good, [Table(rows=[HEADER, *ROWS])])
    (root / "vdon" / "upload" / "b_copy_of_reestr.xlsx").write_bytes(good.read_bytes())
    write_truncated(root / "vdon" / "upload" / "c_truncated.xlsx", good, keep=0.4)
    (root / "vdon" / "upload" / "d_empty.xlsx").write_bytes(b"")
    write_encrypted_xlsx(root / "vdon" / "upload" / "e_locked.xlsx", [Table(rows=[HEADER, *ROWS])])
    write_docx(
        root / "vdon" / "upload" / "f_prikaz.docx",
        [Table(rows=[["Пункт", "Содержание"], ["1", "Утвердить"]])],
    )
    (root / "vdon" / "upload" / "g_junk.bin").write_bytes(bytes(range(256)) * 4)
    (root / "vdon" / "style.css").write_text("body{}", encoding="utf-8")
    (root / "vdon" / "index.html").write_text(
        '<html><body><a href="upload/a_reestr_2017.xlsx">Реестр</a></body></html>', encoding="utf-8"
    )
    (root / "nosuchoffice").mkdir(parents=True)
    (root / "nosuchoffice" / "x.csv").write_text("a;b\n1;2\n", encoding="utf-8")
    return root


def test_every_bad_file_is_a_named_file_level_problem(mirror: Path, tmp_path: Path):
    db_path = tmp_path / "db.duckdb"
    summary = build_database(mirror, db_path, quiet=True, workers=2)
    con = duckdb.connect(str(db_path), read_only=True)
    files = dict(con.execute("SELECT path, status FROM files").fetchall())
    problems = con.execute("SELECT code, source_file, message FROM problems WHERE level = 'file'").fetchall()
    records = con.execute("SELECT reg_number, source_file FROM records ORDER BY 1").fetchall()
    con.close()
    assert files == {
        "vdon/index.html": "page",
        "vdon/upload/a_reestr_2017.xlsx": "ok",
        "vdon/upload/b_copy_of_reestr.xlsx": "same_content",
        "vdon/upload/c_truncated.xlsx": "file_corrupt",
        "vdon/upload/d_empty.xlsx": "file_empty",
        "vdon/upload/e_locked.xlsx": "file_encrypted",
        "vdon/upload/f_prikaz.docx": "not_a_register",
        "vdon/upload/g_junk.bin": "format_unknown",
    }
    assert records == [
        ("03-ТУ-00001-2017", "vdon/upload/a_reestr_2017.xlsx"),
        ("03-ТУ-00002-2017", "vdon/upload/a_reestr_2017.xlsx"),
    ]
    by_file = {source: (code, message) for code, source, message in problems}
    for path, status in files.items():
        if status not in ("ok", "page", "not_a_register"):
            code, message = by_file[path]
            assert code == status
            assert message.startswith(path), message
    assert by_file["nosuchoffice"][0] == "office_unknown"
    assert summary.unknown_folders == ["nosuchoffice"]


def test_discovery_order_is_office_then_path_and_skips_site_assets(mirror: Path):
    from openepb.contract.sources import load_sources

    files, unknown = discover_files(mirror, load_sources())
    assert [f.rel for f in files] == [
        "vdon/index.html",
        "vdon/upload/a_reestr_2017.xlsx",
        "vdon/upload/b_copy_of_reestr.xlsx",
        "vdon/upload/c_truncated.xlsx",
        "vdon/upload/d_empty.xlsx",
        "vdon/upload/e_locked.xlsx",
        "vdon/upload/f_prikaz.docx",
        "vdon/upload/g_junk.bin",
    ]
    assert unknown == ["nosuchoffice"]


def test_cli_builds_from_a_mirror_and_reports_per_office(mirror: Path, tmp_path: Path):
    out = tmp_path / "out"
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "build.py"),
            "--input",
            str(mirror),
            "--out",
            str(out),
            "--site",
            str(out / "site"),
            "--exports",
            str(out / "exports"),
            "--quiet",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    vdon = next(line for line in done.stdout.splitlines() if line.startswith("vdon"))
    assert vdon.split()[:6] == ["vdon", "8", "5", "2", "0", "0"]  # rows: 3 in the register, 2 in the order
    assert "file_corrupt 1" in vdon and "file_encrypted 1" in vdon and "same_content 1" in vdon
    assert done.stderr == ""
    assert (out / "openepb.duckdb").is_file()
    package = json.loads((out / "exports" / "datapackage.json").read_text(encoding="utf-8"))
    described = {resource["path"] for resource in package["resources"]}
    assert {"records.csv", "records.parquet", "rejects.csv", "quality.csv", "changes.csv"} <= described
    summed = {line.split("  ", 1)[1] for line in (out / "exports" / "SHA256SUMS").read_text().splitlines()}
    assert {"records.xml", "quality.csv", "changes.csv", "datapackage.json"} <= summed


def test_cli_refuses_a_missing_mirror(tmp_path: Path):
    done = subprocess.run(
        [sys.executable, str(ROOT / "build.py"), "--input", str(tmp_path / "nope"), "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "no such folder" in done.stderr


def test_exclusion_lists_mark_records_and_keep_unmatched_ones(tmp_path: Path):
    root = tmp_path / "mirror"
    write_xlsx(root / "vdon" / "upload" / "reestr_2017.xlsx", [Table(rows=[HEADER, *ROWS])])
    excluded = [
        ["№ п/п", "Регистрационный номер заключения", "Дата исключения", "Основание исключения"],
        ["1", "03-ТУ-00002-2017", "15.05.2018", "заявление заявителя"],
        ["2", "03-ТУ-09999-2016", "16.05.2018", "решение суда"],
    ]
    write_xlsx(root / "vdon" / "upload" / "zz_isklyuchennye.xlsx", [Table(rows=excluded)])
    db_path = tmp_path / "db.duckdb"
    build_database(root, db_path, quiet=True, workers=1)
    con = duckdb.connect(str(db_path), read_only=True)
    records = con.execute(
        "SELECT reg_number, excluded_date, exclusion_reason FROM records ORDER BY 1"
    ).fetchall()
    unmatched = con.execute(
        "SELECT reg_number, exclusion_reason, source_file FROM exclusions_unmatched"
    ).fetchall()
    accounting = con.execute(
        "SELECT rows_in, header, exclusion, records FROM files WHERE path LIKE '%isklyuchennye%'"
    ).fetchone()
    con.close()
    assert records == [
        ("03-ТУ-00001-2017", None, None),
        ("03-ТУ-00002-2017", date(2018, 5, 15), "заявление заявителя"),
    ]
    assert unmatched == [("03-ТУ-09999-2016", "решение суда", "vdon/upload/zz_isklyuchennye.xlsx")]
    from openepb.publish.export import export_all

    export_all(db_path, tmp_path / "exports", quiet=True)
    published = (tmp_path / "exports" / "exclusions_unmatched.csv").read_text(encoding="utf-8-sig")
    assert "03-ТУ-09999-2016" in published and "решение суда" in published
    assert accounting == (3, 1, 2, 0)


def _cli(*args: str | Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(ROOT / "build.py"), *map(str, args), "--quiet"],
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_a_sole_office_that_shrinks_publishes_nothing_until_accepted(tmp_path: Path):
    """With one office, holding it back leaves nothing new to publish: exit 1, the site untouched.
    Several offices, where only the one that shrank is held back: tests/test_holdback.py."""
    root = tmp_path / "mirror"
    year_2016 = [[f"03-ТУ-0000{i}-2016", "01.03.2016", "ООО «Ромашка»", "ООО «Э»"] for i in range(1, 6)]
    write_xlsx(root / "vdon" / "upload" / "reestr_2016.xlsx", [Table(rows=[HEADER, *year_2016])])
    write_xlsx(root / "vdon" / "upload" / "reestr_2017.xlsx", [Table(rows=[HEADER, *ROWS])])
    out = tmp_path / "out"
    places = ("--out", out, "--site", out / "site", "--exports", out / "exports")
    assert _cli("--input", root, *places).returncode == 0
    site = (out / "site" / "quality.html").read_bytes()
    (root / "vdon" / "upload" / "reestr_2016.xlsx").unlink()
    refused = _cli("--input", root, *places)
    assert refused.returncode == 1
    assert (
        "held back: vdon — vdon: 2 записей против 7 в прошлой сборке (падение больше 20%); "
        "опубликованы данные прошлой сборки (7 записей)"
    ) in refused.stdout.splitlines()
    assert "every office was held back" in refused.stderr
    assert (out / "site" / "quality.html").read_bytes() == site
    assert _cli("--input", root, *places, "--accept-shrink").returncode == 0
    assert _cli("--input", root, *places).returncode == 0  # the accepted build is the new baseline


def test_office_minimum_and_maximum_from_sources():
    from openepb.build.expectations import check_counts
    from openepb.contract.sources import Expectations, Sources, load_sources

    real = load_sources()
    vdon = real.office("vdon").model_copy(update={"expect": Expectations(min_records=10, max_records=20)})
    cntr = real.office("cntr").model_copy(update={"expect": Expectations(max_records=5)})
    sources = Sources(districts=real.districts, offices=[vdon, cntr])
    assert [(b.office, b.level) for b in check_counts({"vdon": 9, "cntr": 6}, sources, None)] == [
        ("vdon", "error"),
        ("cntr", "warning"),
    ]
    assert check_counts({"vdon": 10, "cntr": 5}, sources, {"vdon": 12, "cntr": 5}) == []


def test_offline_build_without_a_harvest_cache_publishes_nothing(tmp_path: Path):
    out = tmp_path / "out"
    done = _cli("--offline", "--out", out, "--site", out / "site", "--exports", out / "exports")
    assert done.returncode == 1
    assert "nothing new is published" in done.stderr
    assert not (out / "site").exists() and not (out / "exports").exists()


def test_a_build_that_fails_after_the_feeds_keeps_the_previous_baseline(tmp_path: Path, monkeypatch):
    """The change feed's baseline moves only when everything was published, so the conclusions of a
    failed build still reach the feeds of the next one."""
    import openepb.publish.site
    from openepb.cli import main

    root = tmp_path / "mirror"
    write_xlsx(root / "vdon" / "upload" / "reestr_2017.xlsx", [Table(rows=[HEADER, *ROWS[:1]])])
    out = tmp_path / "out"
    places = ["--out", str(out), "--site", str(out / "site"), "--exports", str(out / "exports"), "--quiet"]
    assert main(["--input", str(root), *places]) == 0
    baseline = (out / "state" / "records.parquet").read_bytes()
    office_baseline = (out / "state" / "offices" / "vdon.parquet").read_bytes()

    write_xlsx(root / "vdon" / "upload" / "reestr_2017.xlsx", [Table(rows=[HEADER, *ROWS])])

    def broken_render(*args, **kwargs):
        raise RuntimeError("render failed")

    monkeypatch.setattr(openepb.publish.site, "render_site", broken_render)
    with pytest.raises(RuntimeError, match="render failed"):
        main(["--input", str(root), *places])
    assert (out / "state" / "records.parquet").read_bytes() == baseline
    assert (out / "state" / "offices" / "vdon.parquet").read_bytes() == office_baseline
    assert json.loads((out / "state" / "office_counts.json").read_text(encoding="utf-8")) == {"vdon": 1}

    monkeypatch.undo()
    assert main(["--input", str(root), *places]) == 0
    changes = (out / "exports" / "changes.csv").read_text(encoding="utf-8-sig")
    assert "03-ТУ-00002-2017" in changes


def test_a_mirror_without_office_files_publishes_nothing(tmp_path: Path):
    (tmp_path / "mirror" / "nosuchoffice").mkdir(parents=True)
    out = tmp_path / "out"
    done = _cli(
        "--input", tmp_path / "mirror", "--out", out, "--site", out / "site", "--exports", out / "exports"
    )
    assert done.returncode == 1
    assert "no office files" in done.stderr
    assert not (out / "site").exists() and not (out / "exports").exists()


def test_a_program_fault_is_not_reported_as_a_corrupt_file(tmp_path: Path, monkeypatch):
    """A bug in the normalizer is ``processing_failed`` on that file; the file is not called
    corrupt and the other files still build."""
    import openepb.build.pipeline as pipeline

    root = tmp_path / "mirror"
    write_xlsx(root / "vdon" / "upload" / "a.xlsx", [Table(rows=[HEADER, *ROWS])])
    write_xlsx(
        root / "vdon" / "upload" / "b.xlsx", [Table(rows=[HEADER, ["03-ТУ-00009-2017", *ROWS[0][1:]]])]
    )
    real = pipeline.normalize_rows

    def faulty(rows, rel):
        if rel.endswith("b.xlsx"):
            return {}["no such key"]
        return real(rows, rel)

    monkeypatch.setattr(pipeline, "normalize_rows", faulty)
    db_path = tmp_path / "db.duckdb"
    build_database(root, db_path, quiet=True, workers=1)
    con = duckdb.connect(str(db_path), read_only=True)
    files = dict(con.execute("SELECT path, status FROM files").fetchall())
    detail = con.execute("SELECT message FROM problems WHERE code = 'processing_failed'").fetchall()
    records = [r[0] for r in con.execute("SELECT reg_number FROM records ORDER BY 1").fetchall()]
    con.close()
    assert files == {"vdon/upload/a.xlsx": "ok", "vdon/upload/b.xlsx": "processing_failed"}
    assert len(detail) == 1 and "KeyError" in detail[0][0]
    assert records == ["03-ТУ-00001-2017", "03-ТУ-00002-2017"]
