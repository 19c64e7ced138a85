"""How an organization's name is shown: the one place the site's lists and pages get it from.

``display_name`` is the short form every list shows (the legal form abbreviated by
schema/legal_forms.yaml, quotes as «ёлочки»); ``full_name`` is the name as registered, with only
the quotes and spaces tidied, for the organization's own page. Neither changes what is stored or
exported: the records keep the spelling of the source.
"""

from __future__ import annotations

import re
from functools import cache, lru_cache

from openepb.contract.legal_forms import legal_forms

#: Characters offices use as double quotes. «» are always opening and closing; the others are
#: decided by what stands before them.
_QUOTES = '"“”„‟″«»'
_OPENERS_BEFORE = " \t\n([{-–—/«„“"
#: Two apostrophes typed for a double quote.
_DOUBLED = re.compile(r"''")


def normalize_quotes(name: str) -> str:
    """Straight, curly and low quotes as «ёлочки», quotes inside quotes as „лапки“; a quote left
    open at the end is closed, a closing quote that closes nothing is dropped.

    >>> normalize_quotes('МУП "Хлеб-Строй"')
    'МУП «Хлеб-Строй»'
    >>> normalize_quotes('ООО "Фирма "Альфа""')
    'ООО «Фирма „Альфа“»'
    """
    text = _DOUBLED.sub('"', name)
    out: list[str] = []
    depth = 0
    for i, ch in enumerate(text):
        if ch not in _QUOTES:
            out.append(ch)
            continue
        before = text[i - 1] if i else " "
        after = text[i + 1] if i + 1 < len(text) else ""
        if ch in "«„":
            opening = True
        elif ch == "»":
            opening = False
        elif depth == 0:
            opening = True
        elif ch == "“":  # inside quotes: the closing one of „лапки“
            opening = False
        else:
            after_opener = before in _OPENERS_BEFORE or (out and out[-1] in "«„")
            opening = after_opener and not (after == "" or after.isspace() or after in ',.;:)»“”"')
        if opening:
            out.append("«" if depth == 0 else "„")
            depth += 1
        elif depth:
            depth -= 1
            out.append("»" if depth == 0 else "“")
    while depth:
        depth -= 1
        out.append("»" if depth == 0 else "“")
    return "".join(out)


def _spaces(text: str) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    text = re.sub(r"(\w)«", r"\1 «", text)
    text = re.sub(r"([«„])\s+", r"\1", text)
    return re.sub(r"\s+([»“])", r"\1", text)


def _words_pattern(phrase: str) -> str:
    words = [re.escape(w).replace("е", "[её]") for w in phrase.split()]
    return r"\s+".join(words)


@cache
def _forms() -> tuple[re.Pattern[str], dict[str, str], re.Pattern[str], dict[str, str]]:
    """One pattern of every long phrase (longest first) and one of every abbreviation at the start."""
    phrases: dict[str, str] = {}
    shorts: dict[str, str] = {}
    for form in legal_forms():
        for phrase in form.long:
            phrases[phrase] = form.code
        for short in (*form.short, form.code.lower().replace("ё", "е")):
            shorts[short] = form.code
    ordered = sorted(phrases, key=len, reverse=True)
    long_re = re.compile(
        r"(?<![\w-])(?:" + "|".join(f"({_words_pattern(p)})" for p in ordered) + r")(?![\w-])", re.IGNORECASE
    )
    short_re = re.compile(
        r"^(" + "|".join(re.escape(s) for s in sorted(shorts, key=len, reverse=True)) + r")(?=[\s«\"“„]|$)",
        re.IGNORECASE,
    )
    long_codes = {str(i + 1): phrases[p] for i, p in enumerate(ordered)}
    return long_re, long_codes, short_re, shorts


def abbreviate_legal_form(name: str) -> str:
    """Every legal-form phrase written out in full replaced by its abbreviation; an abbreviation at
    the start typed in lower case or with digits for letters («000», «ооо») written as the code.

    >>> abbreviate_legal_form("Общество с ограниченной ответственностью «Ромашка»")
    'ООО «Ромашка»'
    """
    long_re, long_codes, short_re, shorts = _forms()

    def long_code(match: re.Match[str]) -> str:
        return long_codes[str(match.lastindex)]

    text = long_re.sub(long_code, name)
    return short_re.sub(lambda m: shorts[m.group(1).lower().replace("ё", "е")], text, count=1)


def full_name(name: str | None) -> str:
    """The name as registered for the organization's own page: quotes and spaces tidied only."""
    if not name:
        return ""
    return _spaces(normalize_quotes(name))


@lru_cache(maxsize=1 << 16)
def display_name(name: str | None) -> str:
    """The short name lists show: legal form abbreviated, quotes as «ёлочки», spaces tidied.

    >>> display_name('Муниципальное унитарное предприятие "Хлеб-Строй"')
    'МУП «Хлеб-Строй»'
    """
    if not name:
        return ""
    return _spaces(abbreviate_legal_form(normalize_quotes(name)))
