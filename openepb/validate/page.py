"""The in-browser validator page: the rules the browser needs, exported from the same sources as the CLI.

The page checks an office's file with ``static/validate.js`` entirely in the browser; nothing is sent
anywhere. Everything the checks depend on — the record's element order, each field's simple type
(pattern, code list and whether it is strict, control digits, reasons shown), the accepted schema
versions, the header elements, the template's column titles, the problem codes with their levels
and message templates — is read here from ``openepb.contract.xsd`` (which reads ``schema/formats.yaml``),
``openepb.contract.formats``, ``openepb.validate.template`` and ``openepb.contract.problems`` (``schema/problems.yaml``) and
embedded in the page as JSON, so the browser and ``openepb.validate.check`` share one truth, no pattern
or message is copied into the script by hand, and the page needs no request after it loads.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from jinja2 import Environment

from openepb.contract import formats, problems
from openepb.contract.fields import FIELD_NAMES, FIELDS_BY_NAME
from openepb.contract.xsd import (
    ACCEPTED_VERSIONS,
    HEADER_ELEMENTS,
    NAMESPACE,
    RECORD_ELEMENT,
    REQUIRED_FIELDS,
    ROOT_ELEMENT,
    SCHEMA_VERSION,
    field_type,
    simple_types,
)
from openepb.validate import check as validate
from openepb.validate.template import DATA_SHEET, TEMPLATE_FIELDS

PAGE = "validate.html"
TITLE = "Проверка файла реестра"
NAV_LABEL = "Проверить файл"
RULES_FORMAT = 3


def _simple_type(name: str) -> dict[str, Any]:
    """A simple type as the script checks it: ``codes`` fail the value only when ``strict``."""
    spec = simple_types()[name]
    value_format = formats.formats().get(name)
    return {
        "base": spec.base,
        "pattern": spec.pattern,
        "codes": [code for code, _ in spec.enumeration] or None,
        "strict": spec.strict,
        "min_length": spec.min_length,
        "reason": spec.reason,
        "checksum": spec.checksum,
        "checksum_reason": spec.checksum_reason,
        "unlisted_reason": value_format.unlisted_reason if value_format else None,
    }


def _checksums() -> dict[str, dict[str, list[list[int]]]]:
    """The weights of each control-digit check by value length (JSON keys are strings)."""
    return {
        kind: {str(length): [list(w) for w in weights] for length, weights in by_length.items()}
        for kind, by_length in formats.CHECKSUM_WEIGHTS.items()
    }


def _fields() -> list[dict[str, Any]]:
    return [
        {
            "name": name,
            "title": FIELDS_BY_NAME[name].title_ru,
            "type": field_type(name).name,
            "required": name in REQUIRED_FIELDS,
            "date": FIELDS_BY_NAME[name].sql_type == "DATE",
        }
        for name in FIELD_NAMES
    ]


def _problems() -> dict[str, dict[str, str]]:
    """The validators' codes of ``schema/problems.yaml``: level, title and message template."""
    return {
        code: {"level": spec.level, "title": spec.title, "message": spec.message}
        for code, spec in problems.stage_codes("validate").items()
    }


def _levels() -> dict[str, str]:
    return {level.level: level.title for level in problems.levels() if level.stage == "validate"}


def _header_types() -> set[str]:
    return {type_name for _, type_name, _, _ in HEADER_ELEMENTS if not type_name.startswith("xs:")}


def validator_rules() -> dict[str, Any]:
    """What validate.js needs, as plain JSON-able data (deterministic for the same sources)."""
    type_names = {field_type(name).name for name in FIELD_NAMES} | _header_types()
    lookup = validate._header_lookup()
    return {
        "format": RULES_FORMAT,
        "schema_version": SCHEMA_VERSION,
        "versions": list(ACCEPTED_VERSIONS),
        "namespace": NAMESPACE,
        "root": ROOT_ELEMENT,
        "record": RECORD_ELEMENT,
        "fields": _fields(),
        "types": {name: _simple_type(name) for name in sorted(type_names)},
        "header": [
            {"name": name, "type": type_name, "required": bool(min_occurs)}
            for name, type_name, _, min_occurs in HEADER_ELEMENTS
        ],
        "checksums": _checksums(),
        "problems": _problems(),
        "levels": _levels(),
        "template": {
            "sheet": DATA_SHEET,
            "fields": list(TEMPLATE_FIELDS),
            "headers": dict(sorted(lookup.items())),
            "search_rows": validate.HEADER_SEARCH_ROWS,
        },
        "limits": {
            "max_bytes": validate.DEFAULT_MAX_BYTES,
            "prolog_bytes": validate.PROLOG_BYTES,
            "value_shown": validate.VALUE_SHOWN,
        },
    }


def rules_json() -> str:
    """The rules as JSON safe to embed in a ``<script type="application/json">`` element."""
    text = json.dumps(validator_rules(), ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def validator_context() -> dict[str, Any]:
    """Template variables of ``validate.html``; merge into the context every page is rendered with."""
    return {"validator_rules": rules_json()}


def write_validator_page(site_dir: Path, env: Environment, context: dict[str, Any]) -> Path:
    """Render ``validate.html`` into ``site_dir`` with the shared page context (nav, versions)."""
    page = env.get_template(PAGE).render(**{**context, "page": PAGE, "title": TITLE, **validator_context()})
    path = site_dir / PAGE
    path.write_bytes(page.encode("utf-8"))
    return path
