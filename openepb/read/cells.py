"""Cell values to cell text, and grid filling for merged ranges, shared by every reader.

The reader contract fixes one text form per value type, so that the normalizer never has to know
which library produced a value.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any


def number_text(value: float) -> str:
    """``43000.0`` → ``"43000"``; ``1.5`` → ``"1.5"``; never exponent notation (``1e-05`` → ``"0.00001"``)."""
    if value != value or value in (float("inf"), float("-inf")):  # NaN, ±inf: no better text exists
        return str(value)
    if value.is_integer():
        return str(int(value))
    return format(Decimal(repr(value)), "f")


def datetime_text(value: dt.datetime) -> str:
    """A date-time at midnight is a date; otherwise ISO date-time to the second."""
    if value.hour == value.minute == value.second == value.microsecond == 0:
        return value.date().isoformat()
    return value.replace(microsecond=0, tzinfo=None).isoformat()


def string_text(value: str) -> str:
    """A string cell stripped, its CR LF and lone CR line breaks turned into LF."""
    return value.strip().replace("\r\n", "\n").replace("\r", "\n")


def value_text(value: object) -> str:
    """Any spreadsheet value as contract text, stripped."""
    kind = type(value)
    if kind is str:
        return string_text(value)  # type: ignore[arg-type]
    if value is None:
        return ""
    if kind is float:
        return number_text(value)  # type: ignore[arg-type]
    if kind is bool:
        return str(value)
    if kind is int:
        return str(value)
    if kind is dt.datetime:
        return datetime_text(value)  # type: ignore[arg-type]
    if kind is dt.date:
        return value.isoformat()  # type: ignore[union-attr]
    if kind is dt.time:
        return value.replace(microsecond=0).isoformat()  # type: ignore[union-attr]
    return string_text(str(value))


#: Converters by exact value type, looked up once per cell; other types go through value_text.
CONVERTERS: dict[type, Callable[[Any], str]] = {
    str: string_text,
    float: number_text,
    int: str,
    bool: str,
    dt.date: dt.date.isoformat,
    dt.datetime: datetime_text,
}


def row_texts(
    values: Iterable[object], converters: dict[type, Callable[[Any], str]] = CONVERTERS
) -> list[str]:
    """One row of values as texts; strings without CR (the bulk of a register) take the fast path."""
    return [
        v.strip() if type(v) is str and "\r" not in v else converters.get(type(v), value_text)(v)
        for v in values
    ]


def pad_rows(grid: list[list[str]], width: int | None = None) -> None:
    """Give every row of ``grid`` the same width (the widest row's unless ``width`` is given)."""
    target = width if width is not None else max((len(r) for r in grid), default=0)
    for r in grid:
        if len(r) < target:
            r.extend([""] * (target - len(r)))
