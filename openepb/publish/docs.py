"""The documentation site (mkdocs-material) in ``site/docs/``, with its reference pages generated.

Hand-written pages live in ``docs/``. The pages under ``reference/`` are written at build time into a
temporary copy of ``docs/`` from the things they describe: the XSD annotations, the code lists, the
validator's examples, the exports' data package and the commands' ``--help``. So the reference cannot
drift from the code, and generated text is never committed. This file is also the mkdocs hook named
in ``mkdocs.yml``: a plain ``mkdocs build --strict`` prepares the same temporary copy.
"""

from __future__ import annotations

import csv
import json
import logging
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from lxml import etree

from openepb.contract import STATIC_DIR, formats
from openepb.contract.sources import ROOT, SCHEMA_DIR, load_sources
from openepb.publish.files import EXPORT_FILES

DOCS_DIR = ROOT / "docs"
MKDOCS_CONFIG = ROOT / "mkdocs.yml"
EXAMPLES_DIR = SCHEMA_DIR / "examples"
REFERENCE_DIR = "reference"
#: A file in a prepared docs folder: the hook leaves such a folder as it is.
PREPARED_MARK = ".openepb-prepared"
#: Files copied into the docs folder from elsewhere in the package: target → source.
COPIED_ASSETS: dict[str, Path] = {"assets/favicon.svg": STATIC_DIR / "favicon.svg"}
#: Width of the ``--help`` text, fixed so the reference does not depend on the terminal.
HELP_COLUMNS = "100"
XS = "{http://www.w3.org/2001/XMLSchema}"

#: The commands the CLI reference documents: shown name → argv after the Python interpreter.
COMMANDS: dict[str, tuple[str, ...]] = {
    "python build.py": ("build.py",),
    "openepb-validate": ("-m", "openepb.validate.check"),
}

FRICTIONLESS_TYPES_RU = {
    "string": "строка",
    "date": "дата",
    "integer": "целое число",
    "number": "число",
    "boolean": "да/нет",
    "datetime": "дата и время",
}

#: Descriptions of export columns whose data package title is only the column's name.
COLUMN_NOTES: dict[str, dict[str, str]] = {
    "organizations": {
        "id": "Устойчивый идентификатор организации (как в expert_org_id / applicant_id записей)",
        "role": "Роль: экспертная организация или заявитель",
        "display_name": "Наименование для показа (самое частое написание)",
        "licence_number": "Номер лицензии на проведение ЭПБ",
        "licence_status": "Состояние лицензии по реестру лицензий",
        "licence_date": "Дата лицензии по реестру лицензий",
        "licence_name": "Наименование лицензиата по реестру лицензий",
        "inn": "ИНН",
        "records": "Число заключений с участием организации",
        "spellings": "Написания наименования в реестрах управлений и их частота (JSON)",
        "offices": "Территориальные органы, в реестрах которых встречается организация",
        "name_key": "Нормализованное наименование: форма и слова без кавычек и различающих признаков",
        "marks": "Различающие признаки наименования: населённый пункт, номер, филиал, регион (JSON)",
        "inns": "Все ИНН, встреченные у организации в записях (JSON)",
        "predecessor_id": "Организация до переименования (тот же ИНН, прежняя лицензия)",
        "successor_id": "Организация после переименования",
        "evidence": "Почему каждое написание отнесено к организации: ИНН, лицензия, ключ, правило (JSON)",
    },
    "merge_candidates": {
        "role": "Роль организаций пары",
        "id_a": "Идентификатор первой организации",
        "name_a": "Наименование первой организации",
        "id_b": "Идентификатор второй организации",
        "name_b": "Наименование второй организации",
        "score": "Оценка сходства названий, 0…100 (100 — совпадают)",
        "reason": "Почему пара предложена к объединению",
        "kind": "Вид пары: ambiguous, same_name, legal_form, place, renamed, descriptor, similar",
        "key_a": "Нормализованное наименование первой организации",
        "key_b": "Нормализованное наименование второй организации",
        "marks_a": "Различающие признаки первой организации",
        "marks_b": "Различающие признаки второй организации",
        "inn_a": "ИНН первой организации",
        "inn_b": "ИНН второй организации",
        "licence_a": "Лицензия первой организации",
        "licence_b": "Лицензия второй организации",
    },
    "exclusions_unmatched": {
        "reg_number": "Регистрационный номер исключённого заключения",
        "excluded_date": "Дата исключения из реестра",
        "exclusion_reason": "Основание исключения",
        "office_code": "Территориальный орган, опубликовавший исключение",
        "source_file": "Файл-источник (путь в зеркале)",
        "source_row": "Строка в файле-источнике",
    },
}

#: Export files that are not tables of the data package: name (or glob) → description (publish/files.py).
FILE_NOTES: dict[str, str] = {f.name: f.note for f in EXPORT_FILES if not f.resource}

#: Tables of the store the exports read, and the store's column lists (used when no export exists).
FALLBACK_TABLES = ("records", "rejects", "organizations", "merge_candidates", "exclusions_unmatched")

log = logging.getLogger("openepb.docs")


class DocsError(RuntimeError):
    """The documentation could not be built (strict mode found a warning, or a page lacks input)."""


# ---------------------------------------------------------------------------------------------
# Markdown helpers


def cell(value: object) -> str:
    """A table cell: pipes escaped, line breaks flattened, empty as a dash."""
    text = "" if value is None else str(value)
    text = " ".join(text.split()).replace("|", "\\|")
    return text or "—"


def table(header: Iterable[str], rows: Iterable[Iterable[object]]) -> str:
    head = list(header)
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def fenced(text: str, lang: str = "text") -> str:
    fence = "````" if "```" in text else "```"
    return f"{fence}{lang}\n{text.rstrip()}\n{fence}\n"


def generated_note(source: str) -> str:
    return (
        f'!!! info "Страница сформирована автоматически"\n    Источник: {source}. Не правьте её вручную.\n\n'
    )


# ---------------------------------------------------------------------------------------------
# The schema, element by element, from the XSD annotations


@dataclass(frozen=True, slots=True)
class XsdElement:
    name: str
    type: str
    doc: str
    min_occurs: str
    max_occurs: str


def _doc(node: etree._Element) -> str:
    found = node.find(f"{XS}annotation/{XS}documentation")
    return " ".join((found.text or "").split()) if found is not None else ""


def _elements(sequence: etree._Element | None) -> list[XsdElement]:
    if sequence is None:
        return []
    return [
        XsdElement(
            node.get("name", ""),
            node.get("type", ""),
            _doc(node),
            node.get("minOccurs", "1"),
            node.get("maxOccurs", "1"),
        )
        for node in sequence.findall(f"{XS}element")
    ]


def _type_link(type_name: str) -> str:
    local = type_name.split(":", 1)[-1]
    if type_name.startswith("xs:"):
        return f"`{type_name}`"
    return f"[`{local}`](#type-{local.lower()})" if local != "Record" else "[`Record`](#record)"


def _occurs(element: XsdElement) -> str:
    high = "∞" if element.max_occurs == "unbounded" else element.max_occurs
    if element.min_occurs == "1" and high == "1":
        return "обязательный, один"
    if element.min_occurs == "0" and high == "1":
        return "необязательный"
    return f"{element.min_occurs}…{high}"


def _template_titles() -> dict[str, str]:
    from openepb.validate.template import TEMPLATE_FIELDS, header_title

    return {name: header_title(name) for name in TEMPLATE_FIELDS}


def _element_section(element: XsdElement, anchor: str, template: dict[str, str]) -> str:
    lines = [f"### `{element.name}` {{#{anchor}}}", "", element.doc or "—", ""]
    lines.append(f"- тип: {_type_link(element.type)}")
    lines.append(f"- кратность: {_occurs(element)}")
    if element.name in template:
        lines.append(f"- столбец шаблона `template.xlsx`: «{template[element.name]}»")
    return "\n".join(lines) + "\n\n"


def _simple_type_section(node: etree._Element) -> str:
    name = node.get("name", "")
    restriction = node.find(f"{XS}restriction")
    lines = [f"### `{name}` {{#type-{name.lower()}}}", "", _doc(node) or "—", ""]
    base = restriction.get("base", "") if restriction is not None else ""
    lines.append(f"- основа: `{base}`")
    facets = restriction if restriction is not None else []
    for facet in facets:
        kind = etree.QName(facet).localname
        if kind == "pattern":
            lines.append(f"- шаблон (регулярное выражение XSD, вся строка): `{facet.get('value')}`")
        elif kind == "minLength":
            lines.append(f"- наименьшая длина: {facet.get('value')}")
    lines.append("")
    enumeration = [(f.get("value"), _doc(f)) for f in facets if etree.QName(f).localname == "enumeration"]
    if enumeration:
        lines.append(table(("значение", "наименование"), ((f"`{v}`", d) for v, d in enumeration)))
    return "\n".join(lines) + "\n"


def _element_table(elements: list[XsdElement], prefix: str) -> str:
    rows = ((f"[`{e.name}`](#{prefix}-{e.name})", _type_link(e.type), _occurs(e), e.doc) for e in elements)
    return table(("элемент", "тип", "кратность", "описание"), rows)


def schema_page(xsd_path: Path | None = None) -> str:
    """Markdown of every element, attribute, constraint and simple type of the XSD, in file order."""
    from openepb.contract.xsd import NAMESPACE, SCHEMA_VERSION, XSD_PATH

    path = xsd_path or XSD_PATH
    root = etree.parse(str(path), etree.XMLParser(resolve_entities=False, no_network=True)).getroot()
    register = root.find(f"{XS}element")
    if register is None:
        raise DocsError(f"{path.name}: no root element declared")
    register_type = register.find(f"{XS}complexType")
    header = _elements(register_type.find(f"{XS}sequence"))
    record_type = root.find(f"{XS}complexType[@name='Record']")
    record = _elements(record_type.find(f"{XS}sequence")) if record_type is not None else []
    template = _template_titles()
    parts = [
        "# Схема по элементам\n\n",
        generated_note("аннотации `schema/epb-register.xsd`"),
        f"{_doc(root)}\n\n",
        f"Версия схемы **{root.get('version', SCHEMA_VERSION)}**, пространство имён "
        f"`{root.get('targetNamespace', NAMESPACE)}`, элементы в пространстве имён "
        f'(`elementFormDefault="{root.get("elementFormDefault", "")}"`). '
        'Файл схемы: <a href="../../schema/epb-register.xsd"><code>epb-register.xsd</code></a> '
        "(в разделе «Скачать» сайта). "
        "Описание схемы словами — на странице [«Схема XML»](../schema.md).\n\n",
        f"## Документ `{register.get('name')}` {{#document}}\n\n{_doc(register)}\n\n",
        _element_table(header, "register"),
        "\n",
    ]
    for attribute in register_type.findall(f"{XS}attribute"):
        fixed = f", фиксированное значение `{attribute.get('fixed')}`" if attribute.get("fixed") else ""
        use = "обязательный" if attribute.get("use") == "required" else "необязательный"
        parts.append(
            f"### Атрибут `@{attribute.get('name')}` {{#register-at-{attribute.get('name')}}}\n\n"
            f"{_doc(attribute)}\n\n- тип: {_type_link(attribute.get('type', ''))}{fixed}\n- {use}\n\n"
        )
    for unique in register.findall(f"{XS}unique"):
        selector = unique.find(f"{XS}selector").get("xpath")
        key = unique.find(f"{XS}field").get("xpath")
        parts.append(
            f"### Ограничение `{unique.get('name')}` {{#unique-{unique.get('name').lower()}}}\n\n"
            f"{_doc(unique)}\n\n- элементы: `{selector}`\n- ключ: `{key}`\n\n"
        )
    parts += [_element_section(e, f"register-{e.name}", {}) for e in header]
    parts.append(f"## Запись `record` (тип `Record`) {{#record}}\n\n{_doc(record_type)}\n\n")
    parts.append("Элементы идут в этом порядке (`xs:sequence`); пустые элементы не пишут.\n\n")
    parts += [_element_table(record, "record"), "\n"]
    parts += [_element_section(e, f"record-{e.name}", template) for e in record]
    parts.append("## Типы {#types}\n\n")
    parts += [_simple_type_section(node) for node in root.findall(f"{XS}simpleType")]
    return "".join(parts)


# ---------------------------------------------------------------------------------------------
# Code lists


def _object_types() -> list[dict[str, str]]:
    with (SCHEMA_DIR / "object_types.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _office_period(office: Any) -> str:
    if office.valid_to:
        successor = f", преемник `{office.successor}`" if office.successor else ""
        return f"упразднён {office.valid_to}{successor}"
    return f"с {office.valid_from}" if office.valid_from else "действует"


def _code_list_table(format_name: str, value_title: str, title_title: str) -> str:
    """A code list of schema/formats.yaml: the value written in the data, its title, the spellings read as it."""
    return table(
        (value_title, title_title, "как встречается в реестрах"),
        (
            (f"`{code.value}`", code.title, ", ".join(code.synonyms))
            for code in formats.get(format_name).codes
        ),
    )


#: Stages of schema/problems.yaml as the code-list page names them.
PROBLEM_STAGE_TITLES = {
    "build": "Сборка: чтение и нормализация файлов управлений",
    "validate": "Проверка файла: openepb-validate и страница «Проверить файл»",
    "harvest": "Сбор файлов с сайтов управлений",
}
POSITION_TITLES = {
    "file": "файл",
    "table": "таблица",
    "row": "строка таблицы или номер записи",
    "line": "строка файла",
    "field": "поле",
    "value": "значение",
    "url": "адрес страницы или файла",
}


def _html_text(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _message_cell(spec: Any) -> str:
    """The message template when it says more than the title; placeholders as code."""
    if spec.message == spec.title:
        return "—"
    from openepb.contract.problems import PLACEHOLDER

    return PLACEHOLDER.sub(lambda m: f"`{{{m.group(1)}}}`", _html_text(spec.message))


def problems_section() -> str:
    """The whole catalogue of problem codes, by stage and level, with messages and positions."""
    from openepb.contract.problems import levels, stage_codes

    parts = [
        "\n## Коды проблем {#problems}\n\n",
        "Все коды, которыми сборка, сбор файлов и проверка файла сообщают о проблеме "
        "(`schema/problems.yaml`): причины в `rejects.csv` (столбец `reason`), таблица `problems` "
        "базы, статусы файлов, сбои сбора в `freshness.json` и журнале загрузок, замечания "
        "`openepb-validate` (поле `code` отчёта `--format json`). В сообщении `{имя}` — значение, "
        "подставляемое в текст; `{reason}` — пояснение формата поля из `schema/formats.yaml`.\n",
    ]
    for stage, stage_title in PROBLEM_STAGE_TITLES.items():
        parts.append(f"\n### {stage_title} {{#problems-{stage}}}\n")
        codes = stage_codes(stage)
        for level in (lv for lv in levels() if lv.stage == stage):
            chosen = [spec for spec in codes.values() if spec.level == level.level]
            parts.append(
                f"\n#### {level.title.capitalize()} (`{level.level}`) {{#problems-{stage}-{level.level}}}\n\n"
            )
            parts.append(f"{level.doc.capitalize()}.\n\n")
            parts.append(
                table(
                    ("код", "смысл", "сообщение", "где"),
                    (
                        (
                            f"`{spec.code}`",
                            _html_text(spec.title),
                            _message_cell(spec),
                            ", ".join(POSITION_TITLES[p] for p in spec.position),
                        )
                        for spec in chosen
                    ),
                )
            )
    return "".join(parts)


def codes_page() -> str:
    """Object types, regions, verdicts, districts, offices with their number prefixes, problem codes."""
    sources = load_sources()
    districts = {d.code: d for d in sources.districts}
    parts = [
        "# Справочники\n\n",
        generated_note(
            "`schema/object_types.csv`, `schema/regions.csv`, `schema/conclusion_results.csv`, "
            "`sources/districts.yaml`, `sources/offices.yaml`, `schema/problems.yaml`"
        ),
        "Коды управлений, округов, субъектов РФ и выводов — перечисления [схемы](schema.md#types): "
        "другое значение схема не примет. Справочник объектов экспертизы открыт: код вне его "
        "допустим, валидатор отмечает его предупреждением.\n\n",
        "## Объекты экспертизы {#object-types}\n\n",
        "Код объекта — вторая группа регистрационного номера (`NN-XX-NNNNN-YYYY` или "
        "`NN-XX-NNNNNN-YYYY`) и значение поля [`object_type`](schema.md#record-object_type). "
        "Справочник пополняется из данных после проверки человеком; код не из него — "
        "предупреждение `object_type_unlisted`, запись сохраняется.\n\n",
        table(
            ("код", "наименование", "как встречается в реестрах"),
            ((f"`{t['code']}`", t["name"], ", ".join(t["synonyms"].split("|"))) for t in _object_types()),
        ),
        "\n## Субъекты Российской Федерации {#regions}\n\n",
        "Значение поля [`region`](schema.md#record-region) — официальное наименование субъекта; "
        "другие написания (сокращения «обл.», «респ.», «г.», иной порядок слов) нормализация "
        "приводит к нему.\n\n",
        _code_list_table("Region", "наименование (значение в данных)", "код субъекта"),
        "\n## Выводы заключений {#conclusion-results}\n\n",
        "Значение поля [`conclusion_result`](schema.md#record-conclusion_result).\n\n",
        _code_list_table("ConclusionResult", "код", "смысл"),
        "\n## Федеральные округа {#districts}\n\n",
        table(
            ("код", "сокращение", "наименование", "управлений"),
            (
                (f"`{d.code}`", d.short, d.name, sum(1 for o in sources.offices if o.district == d.code))
                for d in sources.districts
            ),
        ),
        "\n## Территориальные органы {#offices}\n\n",
        "Префиксы — первая группа номеров, которую управлению отводит указатель территориальных "
        "органов (для реестра ЭПБ это соответствие не подтверждено, см. `verified` в "
        "`sources/offices.yaml`). В номерах 2022–2026 годов первая группа чаще совпадает с кодом "
        "субъекта РФ, где находится объект, поэтому управление записи определяется по сайту, "
        "опубликовавшему файл, а валидатор первую группу с управлением не сверяет.\n\n",
        table(
            ("код", "наименование", "округ", "префиксы номеров", "статус", "страница реестра"),
            (
                (
                    f"`{o.code}`",
                    o.name,
                    districts[o.district].short,
                    ", ".join(f"`{p}`" for p in o.reg_prefixes),
                    _office_period(o),
                    " ".join(f"<{url}>" for url in o.register_urls),
                )
                for o in sources.offices
            ),
        ),
        problems_section(),
    ]
    return "".join(parts)


# ---------------------------------------------------------------------------------------------
# The validator's examples and their reports


def _expected_verdicts() -> dict[str, dict[str, Any]]:
    path = EXAMPLES_DIR / "expected.yaml"
    return yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else {}


def examples_page() -> str:
    """Each example file of ``schema/examples/`` with the validator's report on it, run at build time."""
    from openepb.validate.check import format_report, validate_file

    expected = _expected_verdicts()
    names = sorted(p.name for p in EXAMPLES_DIR.glob("*.xml"))
    names.sort(key=lambda n: (not n.startswith("valid"), n))
    parts = [
        "# Примеры и отчёты валидатора\n\n",
        generated_note("файлы `schema/examples/` и отчёт `openepb-validate` на каждом из них"),
        "Как читать отчёт и коды выхода — на странице [«Как проверить файл»](../validate.md).\n\n",
    ]
    for name in names:
        report = validate_file(EXAMPLES_DIR / name)
        report.path = name
        text = (EXAMPLES_DIR / name).read_text(encoding="utf-8", errors="replace")
        verdict = expected.get(name, {})
        parts.append(f"## `{name}` {{#{name.removesuffix('.xml')}}}\n\n")
        parts.append(f"Код выхода: **{report.exit_code}**")
        if "exit" in verdict and verdict["exit"] != report.exit_code:
            raise DocsError(
                f"{name}: the validator exits {report.exit_code}, expected.yaml says {verdict['exit']}"
            )
        parts.append(".\n\n" + fenced(f"$ openepb-validate {name}\n{format_report(report)}") + "\n")
        body = "\n".join("    " + line for line in fenced(text, "xml").splitlines())
        parts.append(f'??? example "Файл {name}"\n{body}\n\n')
    return "".join(parts)


# ---------------------------------------------------------------------------------------------
# The data dictionary of the exports


def _fallback_package(db_path: Path | None) -> dict[str, Any]:
    """The resources ``export_all`` would describe, read from the store (or from the column lists
    of the store and the resolver when there is no store), with the exporter's own schema code."""
    import duckdb

    from openepb.publish.export import TABULAR_RESOURCES, table_schema

    if db_path is not None:
        con = duckdb.connect(str(db_path), read_only=True)
    else:
        from openepb.contract.tables import create_table

        con = duckdb.connect()
        for name in FALLBACK_TABLES:
            create_table(con, name)
    try:
        tables = {
            row[0] for row in con.execute("SELECT table_name FROM information_schema.tables").fetchall()
        }
        resources = [
            {
                "name": name,
                "path": path,
                "title": title,
                "format": Path(path).suffix[1:],
                "schema": table_schema(con, table),
            }
            for path, name, table, title in TABULAR_RESOURCES
            if table in tables
        ]
    finally:
        con.close()
    return {"resources": resources}


def load_package(exports_dir: Path | None, db_path: Path | None) -> tuple[dict[str, Any], str]:
    """The data package to document and where it came from."""
    if exports_dir is not None and (exports_dir / "datapackage.json").is_file():
        package = json.loads((exports_dir / "datapackage.json").read_text(encoding="utf-8"))
        return package, "`datapackage.json` этой выгрузки"
    if db_path is not None:
        return _fallback_package(db_path), "таблицы базы сборки (выгрузка не передана)"
    return _fallback_package(None), "контракт записи и описания таблиц в коде (выгрузка не передана)"


def _column_note(table_name: str, column: dict[str, Any]) -> str:
    title = column.get("title") or ""
    if title and title != column["name"]:
        return title
    return COLUMN_NOTES.get(table_name, {}).get(column["name"], title)


def _resource_table_name(resource: dict[str, Any]) -> str:
    name = resource["name"].removesuffix("-parquet")
    return name.replace("-", "_")


def _column_name(resource: dict[str, Any], name: str) -> str:
    if _resource_table_name(resource) == "records":
        return f"[`{name}`](schema.md#record-{name})"
    return f"`{name}`"


def _other_files(exports_dir: Path | None, documented: set[str]) -> list[tuple[str, str]]:
    """Export files outside the data package's tables, with their notes."""
    if exports_dir is None or not exports_dir.is_dir():
        return list(FILE_NOTES.items())
    found: list[tuple[str, str]] = []
    for path in sorted(exports_dir.iterdir()):
        if path.name.startswith(".") or path.name in documented:
            continue
        name = "offices/*.xml" if path.is_dir() and path.name == "offices" else path.name
        note = next((text for pattern, text in FILE_NOTES.items() if Path(name).match(pattern)), "")
        found.append((name, note))
    return found


def data_dictionary_page(exports_dir: Path | None = None, db_path: Path | None = None) -> str:
    """Every table of the exports, column by column, with types and descriptions."""
    package, origin = load_package(exports_dir, db_path)
    resources = package.get("resources", [])
    parts = [
        "# Словарь данных выгрузок\n\n",
        generated_note(origin),
        "Выгрузки лежат в разделе «Скачать» сайта. CSV — в кодировке UTF-8 с BOM, разделитель — "
        "запятая; ячейки, которые табличный редактор принял бы за формулу, начинаются с апострофа. "
        "Пустая ячейка — значение неизвестно.\n\n",
        table(
            ("файл", "что в нём", "формат"),
            (
                (f"[`{r['path']}`](#{_anchor(r['path'])})", r.get("title", ""), r.get("format", ""))
                for r in resources
            ),
        ),
        "\n",
    ]
    seen: dict[str, str] = {}
    for resource in resources:
        fields = resource.get("schema", {}).get("fields", [])
        signature = json.dumps([f["name"] for f in fields])
        parts.append(
            f"## `{resource['path']}` {{#{_anchor(resource['path'])}}}\n\n{resource.get('title', '')}."
        )
        key = resource.get("schema", {}).get("primaryKey")
        if key:
            parts.append(f" Ключ: {', '.join(f'`{k}`' for k in key)}.")
        parts.append("\n\n")
        if signature in seen:
            parts.append(f"Те же столбцы, что в [`{seen[signature]}`](#{_anchor(seen[signature])}).\n\n")
            continue
        seen[signature] = resource["path"]
        table_name = _resource_table_name(resource)
        rows = (
            (
                _column_name(resource, f["name"]),
                FRICTIONLESS_TYPES_RU.get(f.get("type", ""), f.get("type", "")),
                _column_note(table_name, f),
            )
            for f in fields
        )
        parts.append(table(("столбец", "тип", "описание"), rows) + "\n")
    documented = {r["path"] for r in resources}
    others = _other_files(exports_dir, documented)
    if others:
        parts.append("## Другие файлы выгрузки {#other-files}\n\n")
        parts.append(table(("файл", "что в нём"), ((f"`{n}`", note) for n, note in others)))
    return "".join(parts)


def _anchor(path: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-")


# ---------------------------------------------------------------------------------------------
# The command-line reference, from --help


def cli_help(command: str) -> str:
    """The ``--help`` text of one documented command, run now with a fixed width."""
    env = {**os.environ, "COLUMNS": HELP_COLUMNS, "PYTHONIOENCODING": "utf-8"}
    done = subprocess.run(
        [sys.executable, *COMMANDS[command], "--help"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
        check=False,
    )
    if done.returncode != 0:
        raise DocsError(f"{command} --help failed: {done.stderr.strip()[-500:]}")
    return done.stdout.rstrip() + "\n"


@dataclass(frozen=True, slots=True)
class CliOption:
    flags: tuple[str, ...]
    argument: str
    help: str


OPTION_LINE = re.compile(r"^  (-\S.*?)(?:\s{2,}(\S.*))?$")


def cli_options(help_text: str) -> list[CliOption]:
    """The options listed in an argparse ``--help`` text (its «параметры:» section), help joined."""
    options: list[CliOption] = []
    in_options = False
    pending: tuple[str, list[str]] | None = None

    def close() -> None:
        if pending is not None:
            invocation, words = pending
            parts = [p.strip() for p in invocation.split(", ")]
            flags = tuple(p.split(" ", 1)[0] for p in parts)
            argument = parts[-1].split(" ", 1)[1] if " " in parts[-1] else ""
            options.append(CliOption(flags, argument, " ".join(words)))

    for line in help_text.splitlines():
        if not line.strip():
            continue
        if not line.startswith(" "):
            close()
            pending = None
            in_options = line.rstrip(":") in {"параметры", "options", "optional arguments"}
            continue
        if not in_options:
            continue
        match = OPTION_LINE.match(line)
        if match:
            close()
            pending = (match.group(1).strip(), [match.group(2)] if match.group(2) else [])
        elif pending is not None:
            pending[1].append(line.strip())
    close()
    return options


def cli_page(helps: dict[str, str] | None = None) -> str:
    """Each command's ``--help`` verbatim and its options as a table; an option without a
    description stops the build (every option must say what it does)."""
    helps = helps or {command: cli_help(command) for command in COMMANDS}
    parts = [
        "# Командная строка\n\n",
        generated_note("вывод `--help` каждой команды при сборке документации"),
        "Как проверить файл реестра — на странице [«Как проверить файл»](../validate.md).\n\n",
    ]
    for command, text in helps.items():
        anchor = _anchor(command)
        parts.append(f"## `{command}` {{#{anchor}}}\n\n")
        parts.append(fenced(f"$ {command} --help\n{text}") + "\n")
        rows = []
        for option in cli_options(text):
            if not option.help or option.help.startswith("show this help"):
                if option.flags[-1] != "--help":
                    raise DocsError(f"{command}: option {option.flags[-1]} has no description in --help")
                rows.append((", ".join(f"`{f}`" for f in option.flags), "", "показать эту справку и выйти"))
                continue
            argument = f"`{option.argument}`" if option.argument else ""
            rows.append((", ".join(f"`{f}`" for f in option.flags), argument, option.help))
        parts.append(table(("параметр", "значение", "что делает"), rows) + "\n")
    return "".join(parts)


# ---------------------------------------------------------------------------------------------
# Building


GENERATED_PAGES = ("schema.md", "codes.md", "examples.md", "data-dictionary.md", "cli.md")


def write_reference(reference: Path, *, db_path: Path | None, exports_dir: Path | None) -> list[Path]:
    """Write the generated pages into ``reference`` (a folder of the temporary docs copy)."""
    reference.mkdir(parents=True, exist_ok=True)
    pages = {
        "schema.md": schema_page(),
        "codes.md": codes_page(),
        "examples.md": examples_page(),
        "data-dictionary.md": data_dictionary_page(exports_dir, db_path),
        "cli.md": cli_page(),
    }
    written = []
    for name in GENERATED_PAGES:
        path = reference / name
        path.write_text(pages[name], encoding="utf-8")
        written.append(path)
    return written


def prepare_docs(target: Path, *, db_path: Path | None = None, exports_dir: Path | None = None) -> Path:
    """A complete docs folder at ``target``: the hand-written pages, assets and generated reference."""
    shutil.copytree(DOCS_DIR, target, dirs_exist_ok=True)
    for relative, source in COPIED_ASSETS.items():
        (target / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target / relative)
    write_reference(target / REFERENCE_DIR, db_path=db_path, exports_dir=exports_dir)
    (target / PREPARED_MARK).write_text("", encoding="utf-8")
    return target


def build_docs(
    site_dir: Path, *, db_path: Path | None = None, exports_dir: Path | None = None, quiet: bool = False
) -> Path:
    """Build the documentation into ``site_dir/docs`` in strict mode; return that folder.

    Raises DocsError when mkdocs reports any warning (a broken link or anchor, a page missing from
    the navigation) or a generated page cannot be written.
    """
    from mkdocs.commands.build import build
    from mkdocs.config import load_config
    from mkdocs.exceptions import Abort, ConfigurationError

    out = site_dir / "docs"
    mkdocs_log = logging.getLogger("mkdocs")
    previous = mkdocs_log.level
    mkdocs_log.setLevel(logging.WARNING if quiet else logging.INFO)
    try:
        with tempfile.TemporaryDirectory(prefix="openepb-docs-") as tmp:
            docs = prepare_docs(Path(tmp) / "docs", db_path=db_path, exports_dir=exports_dir)
            config = load_config(str(MKDOCS_CONFIG), docs_dir=str(docs), site_dir=str(out), strict=True)
            try:
                build(config)
            except (Abort, ConfigurationError) as error:
                raise DocsError(f"documentation build failed: {error}") from error
    finally:
        mkdocs_log.setLevel(previous)
    (out / PREPARED_MARK).unlink(missing_ok=True)
    return out


# ---------------------------------------------------------------------------------------------
# mkdocs hooks (mkdocs.yml: hooks) for a plain `mkdocs build`


_TEMPORARY: list[tempfile.TemporaryDirectory[str]] = []


def on_config(config: Any) -> Any:
    """Point mkdocs at a prepared copy of docs/ unless it already is one (``build_docs``)."""
    if (Path(config["docs_dir"]) / PREPARED_MARK).exists():
        return config
    holder = tempfile.TemporaryDirectory(prefix="openepb-docs-")
    _TEMPORARY.append(holder)
    config["docs_dir"] = str(prepare_docs(Path(holder.name) / "docs"))
    return config


def on_files(files: Any, config: Any) -> Any:
    """The marker file is bookkeeping, not a page or asset."""
    marker = files.get_file_from_path(PREPARED_MARK)
    if marker is not None:
        files.remove(marker)
    return files


def on_post_build(config: Any) -> None:
    while _TEMPORARY:
        _TEMPORARY.pop().cleanup()


#: A root-absolute URL in an attribute of the 404 page (``href="/assets/…"``).
_ROOT_URL = re.compile(r'((?:href|src|action)=")/(?!/)')


def relative_404(html: str) -> str:
    """The 404 page with its URLs relative to the docs folder, where it lies.

    Without ``site_url`` mkdocs writes the 404 page with the base ``/``: its stylesheets, scripts and
    links then point at the root of the host, not at ``docs/`` under the site's sub-path, and the
    page shows unstyled.
    """
    html = _ROOT_URL.sub(r"\1", html)
    return html.replace('"base": "/"', '"base": "."')


def on_post_template(output_content: str, template_name: str, config: Any) -> str:
    if template_name == "404.html" and not config.get("site_url"):
        return relative_404(output_content)
    return output_content
