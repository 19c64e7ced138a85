"""A cached rebuild after one office changed writes the very bytes a build without the cache writes."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from openepb.demo.writers import write_csv

HEADER = ["Регистрационный номер", "Дата внесения в реестр", "Заявитель", "Экспертная организация"]
EXPERTS = ("ООО «Промэксперт»", "АО «Экспертиза»", "ООО «Надзор-Сервис»")
APPLICANTS = ("ООО «Ромашка»", "ООО «Лютик»", "АО «Завод»", "ПАО «Комбинат»")
#: Offices, their number prefix and the type codes their conclusions use.
OFFICES = {"vdon": ("03", ("ТУ", "ЗС")), "mos": ("50", ("ЗС", "ТП"))}
FIXED = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def office_rows(code: str) -> list[list[str]]:
    prefix, types = OFFICES[code]
    rows = [HEADER]
    for i in range(1, 41):
        year = 2016 + i % 4
        kind = types[i % len(types)]
        rows.append(
            [
                f"{prefix}-{kind}-{i:05d}-{year}",
                f"{1 + i % 27:02d}.{1 + i % 12:02d}.{year}",
                APPLICANTS[(i * 7) % len(APPLICANTS)],
                EXPERTS[(i * 5 + len(code)) % len(EXPERTS)],
            ]
        )
    return rows


def write_mirror(root: Path, changed: bool = False) -> None:
    for code in OFFICES:
        rows = office_rows(code)
        if changed and code == "mos":
            rows[3][3] = "ООО «Экспертиза-Изменено»"  # one record's expert organization
            rows[5][2] = "АО «Новый заявитель»"  # one record's applicant
        write_csv(root / code / "files" / "epb.csv", rows)


@pytest.fixture
def fixed_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """The build's clock reads one instant: two builds of the same data then agree to the byte."""
    import openepb.publish.export as export
    import openepb.publish.feeds as feeds

    class Clock(datetime):
        @classmethod
        def now(cls, tz=None):  # noqa: ANN001, ANN206
            return FIXED if tz is not None else FIXED.replace(tzinfo=None)

    monkeypatch.setattr(export, "_now", lambda: "2026-01-02T03:04:05Z")
    monkeypatch.setattr(feeds, "datetime", Clock)


def publish(mirror: Path, out: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> str:
    from openepb.cli import main

    places = ["--out", str(out), "--site", str(out / "site"), "--exports", str(out / "exports")]
    assert main(["--input", str(mirror), *places, "--workers", "1", *extra]) == 0
    return capsys.readouterr().err


def outputs(out: Path) -> dict[str, bytes]:
    """Every file under site/ and exports/ but the stamps, by path."""
    found = {}
    for folder in ("site", "exports"):
        for path in sorted((out / folder).rglob("*")):
            if path.is_file() and not path.name.startswith(".openepb-"):
                found[path.relative_to(out).as_posix()] = path.read_bytes()
    return found


def test_a_cached_rebuild_after_one_office_changed_equals_a_build_without_cache(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], fixed_clock: None
):
    mirror = tmp_path / "mirror"
    write_mirror(mirror)
    cached, plain = tmp_path / "cached", tmp_path / "plain"
    publish(mirror, cached, capsys)
    publish(mirror, plain, capsys, "--no-cache")
    before = outputs(cached)
    assert before == outputs(plain)
    write_mirror(mirror, changed=True)
    log = publish(mirror, cached, capsys)
    publish(mirror, plain, capsys, "--no-cache")
    after, truth = outputs(cached), outputs(plain)
    assert sorted(after) == sorted(truth)
    differing = [name for name in truth if after[name] != truth[name]]
    assert differing == []
    # The change reached the outputs, and the rebuild took its shortcuts.
    assert after["exports/records.csv"] != before["exports/records.csv"]
    assert "Экспертиза-Изменено" in after["exports/records.csv"].decode("utf-8-sig")
    assert "documentation: inputs unchanged, skipped" in log


def test_the_documentation_is_rebuilt_when_its_data_dictionary_changes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    mirror = tmp_path / "mirror"
    write_mirror(mirror)
    out = tmp_path / "build"
    publish(mirror, out, capsys)
    page = out / "site" / "docs" / "reference" / "data-dictionary.html"
    assert page.is_file()
    # Nothing in the database changes, so the exports are not written again; the data package the
    # dictionary is made from does.
    package_path = out / "exports" / "datapackage.json"
    package = json.loads(package_path.read_text(encoding="utf-8"))
    package["resources"][0]["title"] = "Таблица с новым заголовком"
    package_path.write_text(json.dumps(package, ensure_ascii=False), encoding="utf-8")
    log = publish(mirror, out, capsys)
    assert "exports: inputs unchanged, skipped" in log
    assert "documentation: inputs unchanged, skipped" not in log
    assert "Таблица с новым заголовком" in page.read_text(encoding="utf-8")
