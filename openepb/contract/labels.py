"""The one table of Russian labels for the codes the site shows (``schema/labels.yaml``).

Problem codes and their levels are labelled by the catalogue (``schema/problems.yaml``, through
``openepb.contract.problems``), field names by the contract (``openepb.contract.fields``); every other code a page prints — file statuses, formats, harvest statuses,
publication, data status, exclusions, fill figures — by ``schema/labels.yaml``. The templates show a
code through the ``label`` filter (``render.environment``); the data keep the codes themselves.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from types import MappingProxyType

import yaml

from openepb.contract import problems
from openepb.contract.fields import RECORD_FIELDS

LABELS_FILE = problems.SCHEMA_DIR / "labels.yaml"
#: Kinds whose labels come from the problem catalogue rather than from labels.yaml.
PROBLEM = "problem"
LEVEL = "level"
FIELD = "field"


class LabelError(KeyError):
    """A code without a label in its kind (or an unknown kind)."""


@cache
def table() -> Mapping[str, Mapping[str, str]]:
    """Kind → code → Russian label: labels.yaml, the catalogue's codes and the build's levels."""
    data = yaml.safe_load(LABELS_FILE.read_text(encoding="utf-8"))
    if {PROBLEM, LEVEL, FIELD} & set(data):
        raise LabelError(
            "problem and level labels come from schema/problems.yaml, field labels from the contract"
        )
    kinds: dict[str, Mapping[str, str]] = {
        kind: MappingProxyType({str(code): str(text) for code, text in codes.items()})
        for kind, codes in data.items()
    }
    kinds[PROBLEM] = MappingProxyType({code: spec.title for code, spec in problems.catalogue().items()})
    kinds[LEVEL] = MappingProxyType({lv.level: lv.title for lv in problems.levels() if lv.stage == "build"})
    kinds[FIELD] = MappingProxyType({f.name: f.title_ru for f in RECORD_FIELDS})
    return MappingProxyType(kinds)


def section(kind: str) -> Mapping[str, str]:
    """The labels of one kind of code."""
    try:
        return table()[kind]
    except KeyError:
        raise LabelError(f"no kind of labels {kind!r} in schema/labels.yaml") from None


def has(code: str, kind: str) -> bool:
    return code in section(kind)


def label(code: str | None, kind: str | None = None) -> str:
    """The Russian label of ``code`` in ``kind``; without a kind, a file status or a problem code.

    A code without a label (from an older build) is shown as it is: a page never fails on it, and
    the test of the labels finds it.
    """
    if code is None or code == "":
        return "—"
    if kind is not None:
        return section(kind).get(code, code)
    return section("file_status").get(code) or section(PROBLEM).get(code, code)
