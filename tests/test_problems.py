"""The one catalogue of problem codes: every code the package uses is listed, every listed code is
used by its stage, both validators use the same codes, and a problem carries only the position
fields the catalogue declares for its code."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import duckdb
import pytest
import yaml

from openepb.contract import problems
from openepb.contract.problems import Problem, catalogue, stage_codes
from openepb.validate.check import validate_file

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "openepb"
CATALOGUE_FILE = ROOT / "schema" / "problems.yaml"
SCRIPT = PACKAGE / "static" / "validate.js"

#: Calls that take a code, and the position of the code among their arguments.
CODE_TAKERS = {
    "Problem": 0,
    "ReadError": 0,
    "issue": 0,
    "Unreadable": 0,
    "spec": 0,
    "FetchError": 0,
    "Fault": 1,
    "_fault": 1,
    "_parsed_setter": 2,
}
#: Modules whose codes belong to a stage other than the build.
#: A module's stage is its package; the rest of the package reports build problems.
STAGE_OF_PACKAGE = {"validate": "validate", "harvest": "harvest"}
#: Codes only the command-line validator can meet: a path that does not exist (the page is given
#: bytes), libxml2's classes of parse errors and its fallback the browser's parser has no counterpart to.
CLI_ONLY = {"file_not_found", "xml_entity", "xml_limits", "record_invalid"}
JS_CODE = re.compile(r"""\b(?:issue|Unreadable)\(\s*"([a-z0-9_]+)"|rules\.problems\.([a-z0-9_]+)""")


CODE_SHAPE = re.compile(r"[a-z][a-z0-9]*(_[a-z0-9]+)+")


def _constants(node: ast.AST | None) -> list[str]:
    """Code-shaped string constants an expression can evaluate to (through ``a if c else b`` and
    ``a or b``); a sentence assigned to a ``reason`` is no code."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value] if CODE_SHAPE.fullmatch(node.value) else []
    if isinstance(node, ast.IfExp):
        return _constants(node.body) + _constants(node.orelse)
    if isinstance(node, ast.BoolOp):
        return [c for value in node.values for c in _constants(value)]
    return []


def _name(func: ast.AST) -> str | None:
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None


def codes_in_python(tree: ast.AST) -> set[str]:
    """Code literals of a module: passed to a code taker, assigned to ``reason``/``code``, returned
    by a setter (``set_*``) or a ``code`` property, or appended first in a ``warnings`` tuple."""
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = _name(node.func)
            at = CODE_TAKERS.get(name or "")
            if at is not None and len(node.args) > at:
                found.update(_constants(node.args[at]))
            if name == "append" and _name(node.func.value) == "warnings" and node.args:
                arg = node.args[0]
                if isinstance(arg, ast.Tuple) and arg.elts:
                    found.update(_constants(arg.elts[0]))
        elif isinstance(node, ast.Assign):
            if any(isinstance(t, ast.Name) and t.id in ("reason", "code") for t in node.targets):
                found.update(_constants(node.value))
        elif isinstance(node, ast.FunctionDef) and (node.name == "code" or node.name.startswith("set_")):
            for inner in ast.walk(node):
                if isinstance(inner, ast.Return):
                    found.update(_constants(inner.value))
    return found


def used_codes() -> dict[str, set[str]]:
    """The codes each stage uses, found in the package's source."""
    used: dict[str, set[str]] = {"build": set(), "validate": set(), "harvest": set()}
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.name == "problems.py" or "demo" in path.relative_to(PACKAGE).parts:
            continue
        stage = STAGE_OF_PACKAGE.get(path.relative_to(PACKAGE).parts[0], "build")
        used[stage] |= codes_in_python(ast.parse(path.read_text(encoding="utf-8")))
    return used


def script_codes() -> set[str]:
    return {a or b for a, b in JS_CODE.findall(SCRIPT.read_text(encoding="utf-8"))}


def _raw_catalogue() -> dict:
    class Unique(yaml.SafeLoader):
        pass

    def mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict:
        keys = [loader.construct_object(key) for key, _ in node.value]
        duplicated = {k for k in keys if keys.count(k) > 1}
        assert not duplicated, f"listed twice in problems.yaml: {sorted(duplicated)}"
        return loader.construct_mapping(node)

    Unique.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, mapping)
    return yaml.load(CATALOGUE_FILE.read_text(encoding="utf-8"), Loader=Unique)


def _stages(spec: dict) -> list[str]:
    return [spec["stage"]] if isinstance(spec["stage"], str) else list(spec["stage"])


# --- the catalogue against the code -------------------------------------------------------------


def test_every_code_used_in_the_package_is_in_the_catalogue_for_its_stage() -> None:
    listed = _raw_catalogue()["problems"]
    for stage, codes in used_codes().items():
        missing = {c for c in codes if c not in listed or stage not in _stages(listed[c])}
        assert not missing, (stage, sorted(missing))
    missing = {c for c in script_codes() if c not in listed or "validate" not in _stages(listed[c])}
    assert not missing, sorted(missing)


def test_every_listed_code_is_used_by_each_of_its_stages() -> None:
    used = used_codes()
    for code, spec in _raw_catalogue()["problems"].items():
        for stage in _stages(spec):
            assert code in used[stage], f"{code} is listed for {stage} but never used there"


def test_both_validators_use_the_same_codes() -> None:
    assert script_codes() == used_codes()["validate"] - CLI_ONLY
    assert used_codes()["validate"] >= CLI_ONLY


def test_the_scanner_finds_codes_in_every_context() -> None:
    """The scanner itself: each context it reads, and nothing else."""
    source = """
Problem("a_one", f)
x.Fault(url, "a_two")
reason = "a_three" if c else "a_four"
warnings.append(("a_five", "field", v, None))
def set_x(values, cell):
    return None if c else "a_six"
class D:
    @property
    def code(self):
        return "a_seven"
log("not_a_code")
status = "not_either"
reason = "a sentence, not a code"
"""
    assert codes_in_python(ast.parse(source)) == {
        f"a_{n}" for n in ["one", "two", "three", "four", "five", "six", "seven"]
    }


# --- the catalogue itself -------------------------------------------------------------------------


def test_catalogue_is_consistent() -> None:
    data = _raw_catalogue()
    levels = {stage: set(by_level) for stage, by_level in data["levels"].items()}
    assert levels == {stage: set(lv) for stage, lv in problems.STAGE_LEVELS.items()}
    for code, spec in data["problems"].items():
        assert re.fullmatch(r"[a-z][a-z0-9]*(_[a-z0-9]+)+", code), code
        for stage in _stages(spec):
            assert spec["level"] in levels[stage], code
        assert set(spec.get("position", [])) <= problems.POSITION_FIELDS, code
        assert re.search("[а-яё]", spec["title"]), code  # Russian, for people
    assert list(catalogue()) == list(data["problems"])
    assert all(code.startswith("harvest_") for code in stage_codes("harvest"))


def test_message_templates_fill_in_python_as_in_the_script() -> None:
    entry = catalogue()["year_mismatch"]
    assert entry.params == ("registered", "year")
    assert entry.text({"registered": "2017", "year": "2018"}) == (
        "год даты внесения (2017) не совпадает с годом в номере (2018)"
    )
    with pytest.raises(KeyError):
        entry.text({"registered": "2017"})
    assert "replace(/\\{(\\w+)\\}/g" in SCRIPT.read_text(encoding="utf-8")  # the script's fill: {name} only


def test_a_problem_takes_its_level_from_the_catalogue_and_refuses_an_unknown_code() -> None:
    data = _raw_catalogue()["problems"]
    for code in ("file_corrupt", "reg_number_missing", "inn_checksum_invalid", "object_type_unlisted"):
        assert Problem(code, "mos/a.xlsx").level == data[code]["level"]
    assert Problem("date_invalid", "mos/a.xlsx", "Лист1", 3, "date_registered", "32.13.2020").message == (
        "mos/a.xlsx, таблица «Лист1», строка 3, поле date_registered: дата внесения в реестр не распознана"
        " («32.13.2020»)"
    )
    with pytest.raises(KeyError, match="not in schema/problems.yaml"):
        Problem("no_such_code", "mos/a.xlsx")
    with pytest.raises(KeyError, match="not a code of stage build"):
        Problem("field_missing", "mos/a.xlsx")  # a validator's code


# --- positions ----------------------------------------------------------------------------------

BUILD_POSITIONS = {
    "file": "source_file",
    "table": "source_table",
    "row": "source_row",
    "field": "field",
    "value": "value",
}


def test_the_builds_problems_carry_only_their_declared_positions(demo_build) -> None:
    con = duckdb.connect(str(demo_build.database), read_only=True)
    try:
        used = con.execute(
            f"SELECT code, level, {', '.join(f'bool_or({c} IS NOT NULL)' for c in BUILD_POSITIONS.values())} "
            "FROM problems GROUP BY 1, 2"
        ).fetchall()
    finally:
        con.close()
    assert len(used) >= 3  # the demo's files give problems of several codes
    for code, level, *carried in used:
        entry = catalogue()[code]
        assert level == entry.level, code
        given = {name for name, present in zip(BUILD_POSITIONS, carried, strict=True) if present}
        assert given <= set(entry.position), (code, given - set(entry.position))


def test_the_validators_issues_carry_only_their_declared_positions() -> None:
    seen = set()
    for path in sorted((ROOT / "schema" / "examples").glob("*.xml")):
        report = validate_file(path)
        for issue in report.issues:
            given = {name for name in ("row", "line", "field", "value") if getattr(issue, name) is not None}
            assert given <= set(catalogue()[issue.code].position), (path.name, issue.code, given)
            assert issue.level == catalogue()[issue.code].level
            seen.add(issue.code)
        if report.code:
            seen.add(report.code)
    assert {
        "value_pattern",
        "duplicate_number",
        "inn_checksum",
        "object_type_unlisted",
        "dtd_forbidden",
    } <= seen
