"""The demo offices' layouts file (openepb/demo/layouts.yaml) against its schema (openepb/demo/offices.py)."""

from __future__ import annotations

import copy
import fnmatch
import tomllib
from pathlib import Path

import pytest
import yaml

from openepb.demo.offices import LAYOUTS, LAYOUTS_FILE, LayoutError, OfficeLayout, load_layouts

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def raw() -> dict:
    """The layouts file as plain YAML data (aliases resolved), to be changed one key at a time."""
    return yaml.safe_load(LAYOUTS_FILE.read_text(encoding="utf-8"))


def load_changed(data: dict, tmp_path: Path) -> tuple[OfficeLayout, ...]:
    path = tmp_path / "layouts.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return load_layouts(path)


def test_the_layouts_file_loads_one_layout_per_office_listed() -> None:
    listed = [entry["code"] for entry in yaml.safe_load(LAYOUTS_FILE.read_text(encoding="utf-8"))["offices"]]
    loaded = load_layouts()
    assert [item.code for item in loaded] == listed
    assert len(set(listed)) == len(listed) >= 10
    assert all(isinstance(item, OfficeLayout) and item.publications and item.columns for item in loaded)
    assert loaded == LAYOUTS


def test_every_demo_office_is_an_office_of_the_sources() -> None:
    sources = yaml.safe_load((ROOT / "sources" / "offices.yaml").read_text(encoding="utf-8"))
    codes = {entry["code"] for entry in sources["offices"]}
    assert {item.code for item in LAYOUTS} <= codes


def test_the_layouts_file_ships_with_the_package() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = project["tool"]["setuptools"]["package-data"]["openepb"]
    relative = LAYOUTS_FILE.relative_to(ROOT / "openepb").as_posix()
    assert any(fnmatch.fnmatch(relative, pattern) for pattern in patterns)


def test_a_rewritten_copy_loads_the_same_layouts(raw: dict, tmp_path: Path) -> None:
    """The harness of the tests below: an unchanged copy loads what the file itself does."""
    assert load_changed(copy.deepcopy(raw), tmp_path) == LAYOUTS


def test_shared_columns_are_given_by_name(raw: dict) -> None:
    shared = {name: (spec["value"], spec["header"]) for name, spec in raw["columns"].items()}
    by_code = {item.code: item for item in LAYOUTS}
    for entry in raw["offices"]:
        for column, spec in zip(by_code[entry["code"]].columns, entry["columns"], strict=True):
            if isinstance(spec, str):
                assert (column.value, column.header) == shared[spec]


def office_entry(data: dict, code: str) -> dict:
    return next(entry for entry in data["offices"] if entry["code"] == code)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda o: o.update(colour="red"), r"office mos: unknown key 'colour'"),
        (
            lambda o: o["publications"][0].update(yeers=[2014]),
            r"office mos, publications #1: unknown key 'yeers'",
        ),
        (lambda o: o["columns"].append({"value": "npp", "header": "№", "span": 2}), r"unknown key 'span'"),
        (
            lambda o: o["columns"].append({"value": "inn_of_applicant", "header": "ИНН"}),
            r"unknown column value",
        ),
        (
            lambda o: o["columns"].append("NO_SUCH_COLUMN"),
            r"office mos, columns #\d+: unknown column 'NO_SUCH",
        ),
        (lambda o: o.update(date_style="dd/mm/yyyy"), r"office mos, date_style: unknown 'dd/mm/yyyy'"),
        (
            lambda o: o.update(reg_styles=["spaces", "sideways"]),
            r"office mos, reg_styles: unknown 'sideways'",
        ),
        (
            lambda o: o["publications"][0].update(fmt="ods"),
            r"office mos, publications #1, fmt: unknown 'ods'",
        ),
        (lambda o: o["publications"][0].update(years=[2019]), r"2019 is not a year of the demo"),
        (
            lambda o: o.update(file_mess={"a.xlsx": "burnt"}),
            r"office mos, file_mess: a.xlsx: unknown 'burnt'",
        ),
        (lambda o: o.update(colnum_row="yes"), r"office mos, colnum_row: expected true or false"),
        (lambda o: o.update(stops="30.06.2026"), r"office mos, stops: '30.06.2026' is not"),
        (lambda o: o.pop("volume"), r"office mos: `volume` is missing"),
    ],
)
def test_a_layout_the_schema_does_not_know_fails_naming_the_office(
    raw: dict, tmp_path: Path, change, message: str
) -> None:
    data = copy.deepcopy(raw)
    change(office_entry(data, "mos"))
    with pytest.raises(LayoutError, match=message):
        load_changed(data, tmp_path)


def test_an_unknown_column_value_in_a_shared_column_fails(raw: dict, tmp_path: Path) -> None:
    data = copy.deepcopy(raw)
    data["columns"]["NPP"]["value"] = "number"
    with pytest.raises(LayoutError, match=r"column NPP: unknown column value 'number'"):
        load_changed(data, tmp_path)


def test_an_unknown_column_set_and_a_repeated_office_fail(raw: dict, tmp_path: Path) -> None:
    data = copy.deepcopy(raw)
    office_entry(data, "mos")["columns"] = "no_such_set"
    with pytest.raises(LayoutError, match=r"office mos, columns: unknown column set 'no_such_set'"):
        load_changed(data, tmp_path)
    data = copy.deepcopy(raw)
    data["offices"].append(copy.deepcopy(office_entry(data, "mos")))
    with pytest.raises(LayoutError, match=r"office mos: listed twice"):
        load_changed(data, tmp_path)
