"""What the site counts: the one definition every count of conclusions and organizations uses.

A conclusion is counted when it is in the register today: one record per registration number (a
number repeated in another file or on another page is a duplicate and is stored once, in
``duplicates``, never as a second record), with a year, and not excluded by its office (no
``excluded_date``). Excluded conclusions stay in the store, the exports, the search and their cards,
marked as excluded, but no count, ranking, share or chart includes them. An organization is counted
when it has at least one counted conclusion. Why this definition: ``docs/site.md``.
"""

from __future__ import annotations

#: SQL condition on ``records`` selecting the counted conclusions.
COUNTED = "excluded_date IS NULL AND year IS NOT NULL"

#: Said once on every page that shows counts (the Pulse, About, search, organizations, TOP-30).
COUNTED_NOTE = (
    "Считаются заключения, которые сейчас есть в реестре: повтор номера в другом файле считается один раз, "
    "исключённые из реестра заключения не считаются (их можно найти поиском, они помечены)."
)


def counted(alias: str | None = None) -> str:
    """``COUNTED`` for a table alias: ``counted("r")`` → ``r.excluded_date IS NULL AND r.year IS NOT NULL``."""
    if not alias:
        return f"({COUNTED})"
    return f"({alias}.excluded_date IS NULL AND {alias}.year IS NOT NULL)"
