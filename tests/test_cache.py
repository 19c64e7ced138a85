"""The cache of read files: hit for unchanged bytes under unchanged rules, missed otherwise, never stale."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from openepb import read as readers
from openepb.build import cache as cache_module
from openepb.build.cache import FileCache, Stamp, database_fingerprint, rules_version
from openepb.build.pipeline import build_database
from openepb.demo.writers import Table, write_csv, write_truncated, write_xlsx
from openepb.publish.export import export_all

HEADER = ["Регистрационный номер", "Дата внесения в реестр", "Заявитель", "Экспертная организация"]
ROWS = [
    ["03-ТУ-00001-2017", "01.03.2017", "ООО «Ромашка»", "ООО «Промэксперт»"],
    ["03-ТУ-00002-2017", "02.03.2016", "ООО «Лютик»", "ООО «Промэксперт»"],  # date_year_mismatch
    ["не номер", "03.03.2017", "ООО «Лютик»", "ООО «Промэксперт»"],  # a reject
    ["03-ТУ-00001-2017", "01.03.2017", "ООО «Ромашка»", "АО «Другой эксперт»"],  # a duplicate
]
CSV_ROWS = [
    ["Регистрационный номер заключения", "Дата регистрации", "Наименование экспертной организации"],
    ["50-ЗС-00007-2018", "05.04.2018", "ООО «Экспертиза»"],
    ["50-ЗС-00008-2018", "06.04.2018", "ООО «Экспертиза»"],
]
TABLES = ("records", "duplicates", "rejects", "problems", "files", "organizations", "meta")


@pytest.fixture
def mirror(tmp_path: Path) -> Path:
    root = tmp_path / "mirror"
    good = root / "vdon" / "upload" / "a_reestr_2017.xlsx"
    write_xlsx(good, [Table(rows=[HEADER, *ROWS])])
    (root / "vdon" / "upload" / "b_copy.xlsx").write_bytes(good.read_bytes())
    write_truncated(root / "vdon" / "upload" / "c_truncated.xlsx", good, keep=0.4)
    (root / "vdon" / "upload" / "d_junk.bin").write_bytes(bytes(range(256)) * 4)
    write_csv(root / "mos" / "files" / "epb_2018.csv", CSV_ROWS)
    return root


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the files opened to detect their format or read their rows, one entry per file
    (builds run in this process: workers=1)."""
    calls: list[str] = []
    real_detect, real_read = readers.detect_format, readers.read_rows

    def detecting(path):
        calls.append(Path(path).name)
        return real_detect(path)

    def reading(path, fmt=None):
        if not calls or calls[-1] != Path(path).name:
            calls.append(Path(path).name)
        return real_read(path, fmt)

    monkeypatch.setattr(readers, "detect_format", detecting)
    monkeypatch.setattr(readers, "read_rows", reading)
    return calls


def build(mirror: Path, db: Path, cache: FileCache | None) -> Path:
    build_database(mirror, db, quiet=True, workers=1, cache=cache)
    return db


def tables(db: Path) -> dict[str, list[tuple]]:
    """Every row of the tables the later stages read, in the order they were written."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        return {name: con.execute(f"SELECT * FROM {name} ORDER BY rowid").fetchall() for name in TABLES}
    finally:
        con.close()


#: Files opened by a first build: the copy's bytes are those of the file before it (a cache hit).
READ = ["a_reestr_2017.xlsx", "c_truncated.xlsx", "d_junk.bin", "epb_2018.csv"]


def test_an_unchanged_file_is_not_read_again(mirror: Path, tmp_path: Path, reads: list[str]):
    cache = FileCache(tmp_path / "cache", rules_version())
    first = tables(build(mirror, tmp_path / "1.duckdb", cache))
    assert sorted(reads) == sorted(READ)
    assert len(list(cache.folder.glob("*.arrow"))) == 4  # the copy shares its entry with the original
    reads.clear()
    second = tables(build(mirror, tmp_path / "2.duckdb", cache))
    assert reads == []
    assert second == first
    assert len(first["records"]) == 4 and len(first["rejects"]) == 1 and len(first["duplicates"]) == 1


@pytest.mark.parametrize("workers", [1, 2])
def test_changed_bytes_are_read_again(mirror: Path, tmp_path: Path, reads: list[str], workers: int):
    """Only the changed file is read, and in the build process even with two workers: the cached files
    are loaded where they are used, and no worker pool is started for one file (``reads`` sees only
    this process)."""
    cache = FileCache(tmp_path / "cache", rules_version())
    build(mirror, tmp_path / "1.duckdb", cache)
    rows = [row.copy() for row in CSV_ROWS]
    rows[1][2] = "АО «Новая экспертиза»"
    write_csv(mirror / "mos" / "files" / "epb_2018.csv", rows)
    reads.clear()
    db = tmp_path / "2.duckdb"
    build_database(mirror, db, quiet=True, workers=workers, cache=cache)
    assert reads == ["epb_2018.csv"]
    con = duckdb.connect(str(db), read_only=True)
    name = con.execute("SELECT expert_org_name FROM records WHERE reg_number = '50-ЗС-00007-2018'").fetchone()
    con.close()
    assert name == ("АО «Новая экспертиза»",)
    assert tables(db) == tables(build(mirror, tmp_path / "afresh.duckdb", None))


def test_a_rules_change_reads_every_file_again(
    mirror: Path, tmp_path: Path, reads: list[str], monkeypatch: pytest.MonkeyPatch
):
    schema = tmp_path / "schema"
    shutil.copytree(cache_module.SCHEMA_DIR, schema)
    monkeypatch.setattr(cache_module, "SCHEMA_DIR", schema)
    rules_version.cache_clear()
    try:
        before = rules_version()
        assert before == cache_module.rules_version.__wrapped__()  # same files, same version
        build(mirror, tmp_path / "1.duckdb", FileCache(tmp_path / "cache", before))
        headers = schema / "headers.yaml"
        headers.write_text(headers.read_text(encoding="utf-8") + "\n# one more rule\n", encoding="utf-8")
        rules_version.cache_clear()
        after = rules_version()
    finally:
        rules_version.cache_clear()
    assert after != before
    reads.clear()
    build(mirror, tmp_path / "2.duckdb", FileCache(tmp_path / "cache", after))
    assert sorted(reads) == sorted(READ)  # the copy still shares an entry


def test_the_rules_version_covers_the_normalizer_and_the_header_rules():
    inputs = {name for name, _ in cache_module.rules_inputs()}
    for name in (
        "schema/headers.yaml",
        "schema/recognizers.yaml",
        "schema/formats.yaml",
        "schema/object_types.csv",
    ):
        assert name in inputs
    assert {"openepb/normalize/rows.py", "openepb/read/xlsx.py", "openepb/read/pdf.py"} <= inputs
    root = Path(__file__).resolve().parents[1]
    for package in ("read", "normalize", "contract"):  # every module a reading depends on
        for module in (root / "openepb" / package).glob("*.py"):
            assert module.relative_to(root).as_posix() in inputs, module.name


def test_cached_rows_equal_rows_read_afresh_even_when_a_file_moved(mirror: Path, tmp_path: Path):
    cache = FileCache(tmp_path / "cache", rules_version())
    build(mirror, tmp_path / "warm.duckdb", cache)
    # The same bytes under another name: its problems and provenance must name the new path.
    upload = mirror / "vdon" / "upload"
    (upload / "a_reestr_2017.xlsx").rename(upload / "a_moved_2017.xlsx")
    cached = tables(build(mirror, tmp_path / "cached.duckdb", cache))
    fresh = tables(build(mirror, tmp_path / "fresh.duckdb", None))
    assert cached == fresh
    assert {row[0] for row in fresh["files"]} >= {"vdon/upload/a_moved_2017.xlsx"}
    problems = [row for row in cached["problems"] if row[2] == "vdon/upload/a_moved_2017.xlsx"]
    assert problems and all(row[8].startswith("vdon/upload/a_moved_2017.xlsx") for row in problems)


def test_a_corrupt_entry_is_ignored_and_written_again(mirror: Path, tmp_path: Path, reads: list[str]):
    cache = FileCache(tmp_path / "cache", rules_version())
    first = tables(build(mirror, tmp_path / "1.duckdb", cache))
    entries = sorted(cache.folder.glob("*.arrow"))
    entries[0].write_bytes(b"not an arrow file")
    entries[1].write_bytes(entries[1].read_bytes()[:100])  # cut short
    reads.clear()
    second = tables(build(mirror, tmp_path / "2.duckdb", cache))
    assert second == first
    assert len(reads) == 2
    reads.clear()
    third = tables(build(mirror, tmp_path / "3.duckdb", cache))
    assert reads == [] and third == first


def test_a_reader_crash_is_not_cached(
    mirror: Path, tmp_path: Path, reads: list[str], monkeypatch: pytest.MonkeyPatch
):
    real = readers.read_rows

    def crashing(path, fmt=None):
        if Path(path).suffix == ".csv":
            raise RuntimeError("a reader bug")
        return real(path, fmt)

    cache = FileCache(tmp_path / "cache", rules_version())
    with monkeypatch.context() as patch:
        patch.setattr(readers, "read_rows", crashing)
        build(mirror, tmp_path / "1.duckdb", cache)
    reads.clear()
    db = build(mirror, tmp_path / "2.duckdb", cache)
    assert reads == ["epb_2018.csv"]
    con = duckdb.connect(str(db), read_only=True)
    status = con.execute("SELECT status FROM files WHERE path = 'mos/files/epb_2018.csv'").fetchone()
    con.close()
    assert status == ("ok",)


def test_exports_of_a_cached_build_are_byte_identical(mirror: Path, tmp_path: Path):
    cache = FileCache(tmp_path / "cache", rules_version())
    build(mirror, tmp_path / "warm.duckdb", cache)
    cached = build(mirror, tmp_path / "cached.duckdb", cache)
    fresh = build(mirror, tmp_path / "fresh.duckdb", None)
    for db, out in ((cached, tmp_path / "e_cached"), (fresh, tmp_path / "e_fresh")):
        export_all(db, out, quiet=True, generated_at="2026-01-01T00:00:00+00:00")
    for name in ("records.csv", "rejects.csv", "organizations.csv", "records.parquet"):
        assert (tmp_path / "e_cached" / name).read_bytes() == (tmp_path / "e_fresh" / name).read_bytes(), name
    assert database_fingerprint(cached) == database_fingerprint(fresh)


def test_the_database_fingerprint_changes_with_one_value(mirror: Path, tmp_path: Path):
    first = build(mirror, tmp_path / "1.duckdb", None)
    again = build(mirror, tmp_path / "2.duckdb", None)
    assert database_fingerprint(first) == database_fingerprint(again)
    con = duckdb.connect(str(again))
    con.execute("UPDATE records SET applicant_name = 'ООО «Иное»' WHERE reg_number = '03-ТУ-00001-2017'")
    con.close()
    assert database_fingerprint(first) != database_fingerprint(again)


def test_a_stamp_is_fresh_only_for_its_own_key(tmp_path: Path):
    stamp = Stamp(tmp_path / "site", "site", "key-1")
    assert not stamp.fresh()
    stamp.write()
    assert stamp.fresh()
    assert not Stamp(tmp_path / "site", "site", "key-2").fresh()
    stamp.clear()
    assert not stamp.fresh()


def _publish(mirror: Path, out: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> str:
    from openepb.cli import main

    places = ["--out", str(out), "--site", str(out / "site"), "--exports", str(out / "exports")]
    assert main(["--input", str(mirror), *places, "--workers", "1", *extra]) == 0
    return capsys.readouterr().err


def test_later_stages_are_skipped_only_while_their_inputs_hold(
    mirror: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    out = tmp_path / "build"
    csv_path = mirror / "mos" / "files" / "epb_2018.csv"
    original = csv_path.read_bytes()
    _publish(mirror, out, capsys)
    first = (out / "exports" / "records.csv").read_bytes()
    log = _publish(mirror, out, capsys)
    for stage in ("rankings", "exports", "site", "documentation"):
        assert f"{stage}: inputs unchanged, skipped" in log
    assert (out / "exports" / "records.csv").read_bytes() == first
    # A --no-cache build of other data rewrites every output, so no stamp of the first build may
    # survive it: a cached build of the first data afterwards must write them again.
    rows = [row.copy() for row in CSV_ROWS]
    rows[1][2] = "АО «Новая экспертиза»"
    write_csv(csv_path, rows)
    _publish(mirror, out, capsys, "--no-cache")
    assert "Новая экспертиза" in (out / "exports" / "records.csv").read_text(encoding="utf-8")
    csv_path.write_bytes(original)
    log = _publish(mirror, out, capsys)
    assert "inputs unchanged, skipped" not in log
    assert (out / "exports" / "records.csv").read_bytes() == first
    site_text = "".join(p.read_text(encoding="utf-8") for p in (out / "site").rglob("*.json"))
    assert "Новая экспертиза" not in site_text


def test_the_command_line_build_reads_through_the_file_cache(
    mirror: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
):
    """``build.py --input`` stores every file it reads and, unchanged, reads none of them again."""
    import openepb.build.pipeline as pipeline

    out = tmp_path / "build"
    _publish(mirror, out, capsys)
    assert list((out / "cache").glob("*.arrow"))
    reads: list[str] = []
    real = pipeline.readers.read_rows
    monkeypatch.setattr(
        pipeline.readers, "read_rows", lambda path, fmt: reads.append(path.name) or real(path, fmt)
    )
    _publish(mirror, out, capsys)
    assert reads == []
    _publish(mirror, out, capsys, "--no-cache")
    assert reads  # with --no-cache every file is read again


def test_every_library_the_readers_import_is_in_the_rules_version():
    """A new release of any library the readers, the normalizer or the contract import may change the
    rows: each one's version is hashed."""
    import ast
    import sys
    from importlib import metadata

    distributions = metadata.packages_distributions()
    root = Path(__file__).resolve().parents[1]
    imported: set[str] = set()
    for module in [
        p for package in ("read", "normalize", "contract") for p in (root / "openepb" / package).glob("*.py")
    ]:
        for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                imported.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                imported.add(node.module.split(".")[0])
    third_party = {name for name in imported if name not in sys.stdlib_module_names and name != "openepb"}
    assert third_party, "the readers import no library at all?"
    missing = {
        name: distributions.get(name)
        for name in third_party
        if not set(distributions.get(name, [name])) & set(cache_module.READER_LIBRARIES)
    }
    assert missing == {}
