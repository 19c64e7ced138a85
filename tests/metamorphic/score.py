"""Render the variants, run them through the real reader and normalizer, and score against the truth.

Recall and precision of registration numbers are kept apart (a lost record and an invented one are
different failures), fields are scored one by one over the records both sides have, and rejects are
counted by reason against the rows the layout wrote to be rejected.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from metamorphic.layouts import COMPARED_FIELDS, Layout, Variant, build_layout
from metamorphic.writers import SUFFIX, WRITERS, convert_to_pdf
from openepb.normalize.rows import normalize_rows
from openepb.read import detect_format, read_rows


@dataclass
class Rendered:
    variant: Variant
    layout: Layout
    path: Path


def render_all(variants: list[Variant] | tuple[Variant, ...], folder: Path) -> dict[str, Rendered]:
    """Write every variant into ``folder``; the PDF variants are exported in one LibreOffice run."""
    folder.mkdir(parents=True, exist_ok=True)
    rendered: dict[str, Rendered] = {}
    words: list[Path] = []
    for variant in variants:
        layout = build_layout(variant)
        path = folder / f"{variant.name}{SUFFIX[variant.fmt]}"
        WRITERS[variant.fmt](layout, path)
        if variant.fmt == "pdf":
            words.append(path)
        rendered[variant.name] = Rendered(variant, layout, path)
    pdfs = convert_to_pdf(words, folder / "pdf")
    for name, item in rendered.items():
        if item.path in pdfs:
            rendered[name] = Rendered(item.variant, item.layout, pdfs[item.path])
    return rendered


@dataclass(frozen=True)
class Mismatch:
    field: str
    reg_number: str
    expected: str | None
    got: str | None


@dataclass
class Score:
    variant: str
    fmt: str
    data_rows: int
    true_numbers: int
    found: int  # true numbers read as data rows
    false_numbers: list[str]  # data rows whose number is not a true one (or a true one again)
    missing: list[str]  # true numbers not read
    field_total: Counter[str] = field(default_factory=Counter)
    field_right: Counter[str] = field(default_factory=Counter)
    mismatches: list[Mismatch] = field(default_factory=list)
    rejects: Counter[str] = field(default_factory=Counter)
    true_rejects: Counter[str] = field(default_factory=Counter)
    error: str | None = None  # the file could not be read at all
    carried: frozenset[str] = frozenset()  # fields the layout has a column for (and those derived)

    @property
    def recall(self) -> float:
        return self.found / self.true_numbers if self.true_numbers else 1.0

    @property
    def precision(self) -> float:
        return (self.data_rows - len(self.false_numbers)) / self.data_rows if self.data_rows else 0.0

    def accuracy(self, name: str) -> float:
        total = self.field_total[name]
        return self.field_right[name] / total if total else 1.0

    def wrong_fields(self) -> list[str]:
        return [f for f in COMPARED_FIELDS if self.field_right[f] < self.field_total[f]]

    def numbers_ok(self) -> bool:
        return (
            self.error is None
            and not self.missing
            and not self.false_numbers
            and self.rejects == self.true_rejects
        )

    def fields_ok(self) -> bool:
        """Every field right on every record read; with no record read there is nothing to trust."""
        return self.error is None and self.found > 0 and not self.wrong_fields()

    def numbers_report(self) -> str:
        lines = [
            f"{self.variant}: recall {self.recall:.1%}, precision {self.precision:.1%}, "
            f"rejects {dict(self.rejects)} (true {dict(self.true_rejects)})"
        ]
        if self.error:
            lines.append(f"  error: {self.error}")
        if self.missing:
            lines.append(f"  not read ({len(self.missing)}): {', '.join(self.missing[:5])}")
        if self.false_numbers:
            lines.append(f"  not true ({len(self.false_numbers)}): {', '.join(self.false_numbers[:5])}")
        return "\n".join(lines)

    def fields_report(self) -> str:
        lines = [
            f"{self.variant}: {self.found} records read, wrong fields {', '.join(self.wrong_fields()) or 'none'}"
        ]
        if self.error:
            lines.append(f"  error: {self.error}")
        shown: set[str] = set()
        for m in self.mismatches:
            if m.field not in shown:
                shown.add(m.field)
                accuracy = self.accuracy(m.field)
                lines.append(
                    f"  {m.field} ({accuracy:.0%}) {m.reg_number}: expected {m.expected!r}, got {m.got!r}"
                )
        return "\n".join(lines)


def _as_text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def score(item: Rendered) -> Score:
    layout = item.layout
    result = Score(item.variant.name, item.variant.fmt, 0, len(layout.expected), 0, [], [])
    result.true_rejects = Counter(layout.expected_rejects)
    carried = {f for column in layout.columns for f in column.fields}
    result.carried = frozenset(carried | {"object_type", "reg_number_published"})
    try:
        fmt = detect_format(item.path)
        normalized = normalize_rows(read_rows(item.path, fmt), item.path.name)
    except Exception as e:  # a file the pipeline cannot read is a scored failure, not a crash
        result.error = f"{type(e).__name__}: {e}"
        result.missing = list(layout.expected)
        return result
    seen: set[str] = set()
    for row in normalized.rows:
        if row.kind == "reject":
            result.rejects[row.reason or "?"] += 1
        if row.kind != "data" or row.values is None:
            continue
        result.data_rows += 1
        number = str(row.values["reg_number"])
        expected = layout.expected.get(number)
        if expected is None or number in seen:
            result.false_numbers.append(number)
            continue
        seen.add(number)
        for name in COMPARED_FIELDS:
            want, got = expected[name], _as_text(row.values.get(name))
            result.field_total[name] += 1
            if want == got:
                result.field_right[name] += 1
            else:
                result.mismatches.append(Mismatch(name, number, want, got))
    result.found = len(seen)
    result.missing = [n for n in layout.expected if n not in seen]
    return result
