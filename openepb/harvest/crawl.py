"""Where the harvester goes from an office's register page: the register files it links, the
further pages of its listing (``?PAGEN_N``, year and status tabs, a GET filter form) and the
sub-pages of the register section (an «Архив», a page per year), never the rest of the site.

Pure functions on a page's bytes and URLs, so every rule is tested without a network; the
harvester (:mod:`openepb.harvest.run`) fetches what they return, once per URL.
"""

from __future__ import annotations

import itertools
import posixpath
import re
import urllib.robotparser
from dataclasses import dataclass
from urllib.parse import parse_qsl, unquote, urlencode, urljoin, urlsplit, urlunsplit

import lxml.html

from openepb.harvest.links import (
    FILE_EXTENSIONS,
    PAGE_EXTENSIONS,
    REGISTER_TEXT,
    discover_links,
    discover_pages,
    normalize_url,
    parse_page,
    same_site,
    site_host,
    url_extension,
)

#: Sub-pages of the register section followed from a start page: a page of years, then a year's
#: page, then its «Архив». Pagination and query tabs of one page keep its depth.
MAX_DEPTH = 3
#: Query variants (tabs, filter values) of one page path taken at most, so a calendar that links
#: one more month for ever ends.
MAX_VARIANTS_PER_PATH = 120
#: Combinations of one GET form's selects taken at most; beyond it each select is varied alone.
MAX_FORM_COMBINATIONS = 60
#: Query keys of a Bitrix site that never select register rows: log-in, print and debug views,
#: sorting (the same rows again), search.
NOISE_KEYS = frozenset(
    {
        "login",
        "logout",
        "register",
        "forgot_password",
        "change_password",
        "backurl",
        "print",
        "clear_cache",
        "bitrix_include_areas",
        "show_page_exec_time",
        "show_include_exec_time",
        "sort",
        "order",
        "by",
        "lang",
        "q",
        "tags",
        "how",
        "where",
        "sessid",
        "del_filter",
    }
)

#: Query keys that open one element of a list (a licence, a news item, a conclusion's card): not a
#: part of the register's listing, so not crawled as a tab or a sub-page (a file link still is).
DETAIL_KEYS = frozenset({"id", "element_id", "element_code", "code", "licnum", "news_id"})
_PAGINATION_KEY = re.compile(r"PAGEN_\d+", re.IGNORECASE)
_CARD_PAGE = re.compile(r"detail|element|card|view|license")
#: Link texts of a register section's own sub-pages: the register's words (as for files), an
#: archive, a year, a period, earlier entries. A register folder may be a broad one
#: (``/activity/gosuslugi/``): its other services («Лицензирование», «Аттестация») are not crawled.
SECTION_TEXT = re.compile(
    REGISTER_TEXT.pattern + r"|архив|\b(19|20)\d\d\b|\bгод|период|квартал|месяц|ранее|предыдущ|прошл",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class Target:
    """One URL to fetch: a register ``file`` or a ``page`` to read for more links."""

    url: str
    kind: str  # file | page
    text: str  # link text, or the form's choice ("Год: 2024")
    depth: int
    wander: bool = False  # a page or script found by its link: robots.txt decides whether it is fetched


@dataclass(frozen=True)
class Scope:
    """The office's register section: its site and the folders of its start pages."""

    host: str
    folders: tuple[str, ...]

    @classmethod
    def of(cls, start_urls: list[str]) -> Scope:
        folders = tuple(dict.fromkeys(register_folder(u) for u in start_urls))
        return cls(site_host(start_urls[0]) if start_urls else "", folders)

    def contains(self, url: str) -> bool:
        """On the office's site and under one of its register folders."""
        path = unquote(urlsplit(url).path) or "/"
        return site_host(url) == self.host and any(path.startswith(f) for f in self.folders)


def register_folder(url: str) -> str:
    """The folder of a register page: ``/activity/expertiza/`` for ``…/expertiza/sved_zepb.php``."""
    path = unquote(urlsplit(url).path) or "/"
    return path if path.endswith("/") else posixpath.dirname(path).rstrip("/") + "/"


def visit_key(url: str) -> str:
    """One key per resource: ``www.`` or not, ``index.php`` or the folder, query keys in any order."""
    parts = urlsplit(normalize_url(url))
    path = re.sub(r"/index\.(php|html?)$", "/", parts.path)
    query = urlencode(sorted(parse_qsl(parts.query, keep_blank_values=True)))
    return f"{site_host(url)}{path}?{query}"


def _keys(url: str) -> list[str]:
    return [key.lower() for key, _ in parse_qsl(urlsplit(url).query, keep_blank_values=True)]


def _is_noise(url: str) -> bool:
    return any(key in NOISE_KEYS for key in _keys(url)) or _is_card(url)


def _is_card(url: str) -> bool:
    """An element's card (``detail.php?ID=5``): one conclusion or news item, no register part; a
    ``download.php?id=7`` is no card, it may answer a workbook."""
    last = unquote(urlsplit(url).path).rsplit("/", 1)[-1].lower()
    return bool(_CARD_PAGE.search(last)) and any(key in DETAIL_KEYS for key in _keys(url))


def _is_listing(url: str) -> bool:
    """A URL worth crawling as part of a listing: no noise, no element's card, not bare pagination
    (``?PAGEN_N`` pages come from :func:`discover_pages`, which knows ``?PAGEN_1=1`` is the page itself)."""
    keys = _keys(url)
    if any(key in NOISE_KEYS or key in DETAIL_KEYS for key in keys):
        return False
    return not keys or not all(_PAGINATION_KEY.fullmatch(key) for key in keys)


def _same_path(url: str, page_url: str) -> bool:
    return same_site(url, page_url) and visit_key(url).split("?")[0] == visit_key(page_url).split("?")[0]


def crawl_targets(page: bytes, page_url: str, scope: Scope, depth: int) -> list[Target]:
    """What to fetch next from a fetched register page, in page order, each URL once.

    - every register file the page links (:func:`discover_links`), and same-site pages whose link
      text names the register, fetched as files (a ``download.php?id=7`` may answer a workbook);
    - the page's own listing: ``?PAGEN_N`` pages, and links to the same path with another query
      (``?year=2024``, ``?status=excluded``), at the page's depth;
    - the choices of its GET forms (a select of years or statuses), at the page's depth;
    - any other page under the register folders (``Scope``) whose link text is the section's
      (:data:`SECTION_TEXT`), one level deeper, up to :data:`MAX_DEPTH`.
    """
    found: dict[str, Target] = {}

    def add(target: Target) -> None:
        found.setdefault(visit_key(target.url), target)

    for link in discover_links(page, page_url):
        if url_extension(link.url) in FILE_EXTENSIONS:
            add(Target(link.url, "file", link.text, depth + 1))
        elif not (_is_noise(link.url) or _same_path(link.url, page_url)):  # a script or a page
            add(Target(link.url, "file", link.text, depth + 1, wander=True))
    for url in discover_pages(page, page_url):
        add(Target(url, "page", "", depth))
    doc = parse_page(page)
    if doc is None:
        return list(found.values())
    for url, text in _query_tabs(doc, page_url):
        add(Target(url, "page", text, depth))
    for url, text in form_variants(doc, page_url):
        add(Target(url, "page", text, depth))
    if depth < MAX_DEPTH:
        for url, text in _section_pages(doc, page_url, scope):
            add(Target(url, "page", text, depth + 1, wander=True))
    return list(found.values())


def _anchors(doc: lxml.html.HtmlElement, page_url: str) -> list[tuple[str, str]]:
    base = page_url
    for href in doc.xpath("//base/@href"):
        base = urljoin(page_url, href.strip())
        break
    out = []
    for anchor in doc.iter("a"):
        href = (anchor.get("href") or "").strip()
        if not href or href.startswith(("#", "mailto:", "javascript:", "tel:")):
            continue
        url = normalize_url(urljoin(base, href))
        if urlsplit(url).scheme in ("http", "https"):
            out.append((url, " ".join(anchor.text_content().split())))
    return out


def _query_tabs(doc: lxml.html.HtmlElement, page_url: str) -> list[tuple[str, str]]:
    """Links to the page's own path with another query: year and status tabs of one listing."""
    own = visit_key(page_url)
    tabs = [
        (url, text)
        for url, text in _anchors(doc, page_url)
        if urlsplit(url).query and _same_path(url, page_url) and _is_listing(url) and visit_key(url) != own
    ]
    return tabs[:MAX_VARIANTS_PER_PATH]


def _section_pages(doc: lxml.html.HtmlElement, page_url: str, scope: Scope) -> list[tuple[str, str]]:
    """Pages under the register folders: «Архив», a page per year, a page per status."""
    return [
        (url, text)
        for url, text in _anchors(doc, page_url)
        if scope.contains(url)
        and SECTION_TEXT.search(text)
        and url_extension(url) in PAGE_EXTENSIONS
        and _is_listing(url)
        and not _same_path(url, page_url)
    ]


# --- GET forms ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Choice:
    name: str
    values: list[tuple[str, str]]  # (value, label)


def form_variants(doc: lxml.html.HtmlElement, page_url: str) -> list[tuple[str, str]]:
    """The URLs a GET form with selects submits, one per combination of its choices.

    Text fields keep their value, hidden fields and the first submit button are sent as a browser
    sends them (Bitrix filters answer only with ``set_filter=Y``). POST forms, forms to another
    site and forms without a select (a search box) are left alone.
    """
    out: list[tuple[str, str]] = []
    for form in doc.iter("form"):
        if (form.get("method") or "get").strip().lower() != "get":
            continue
        action = normalize_url(urljoin(page_url, (form.get("action") or "").strip() or page_url))
        if not same_site(action, page_url):
            continue
        fixed, choices = _form_fields(form)
        if not choices:
            continue
        for values in _combinations(choices):
            query = fixed + [(c.name, v) for c, (v, _) in zip(choices, values, strict=True)]
            url = urlunsplit(urlsplit(action)._replace(query=urlencode(query), fragment=""))
            label = "; ".join(f"{c.name}: {lab or v}" for c, (v, lab) in zip(choices, values, strict=True))
            out.append((normalize_url(url), label))
    return out[:MAX_VARIANTS_PER_PATH]


def _form_fields(form: lxml.html.HtmlElement) -> tuple[list[tuple[str, str]], list[_Choice]]:
    fixed: list[tuple[str, str]] = []
    choices: list[_Choice] = []
    submitted = False
    for field in form.iter("input", "select", "button"):
        name = (field.get("name") or "").strip()
        if not name:
            continue
        if field.tag == "select":
            values = [
                (
                    (o.get("value") if o.get("value") is not None else o.text_content()).strip(),
                    " ".join(o.text_content().split()),
                )
                for o in field.iter("option")
            ]
            values = [v for v in values if v[0]] or values[:1]
            if values:
                choices.append(_Choice(name, values))
            continue
        kind = (field.get("type") or ("submit" if field.tag == "button" else "text")).lower()
        if kind in ("submit", "image") and not submitted:
            fixed.append((name, field.get("value") or ""))
            submitted = True
        elif kind in ("hidden", "text", "search", "number", "date") or (
            kind in ("checkbox", "radio") and field.get("checked") is not None
        ):
            fixed.append((name, field.get("value") or ""))
    return fixed, choices


def _combinations(choices: list[_Choice]) -> list[tuple[tuple[str, str], ...]]:
    total = 1
    for choice in choices:
        total *= len(choice.values)
    if total <= MAX_FORM_COMBINATIONS:
        return list(itertools.product(*(c.values for c in choices)))
    first = [c.values[0] for c in choices]  # each select varied alone, the others at their first
    alone = []
    for i, choice in enumerate(choices):
        for value in choice.values:
            alone.append(tuple(first[:i] + [value] + first[i + 1 :]))
    return list(dict.fromkeys(alone))


def robot_rules(text: str) -> urllib.robotparser.RobotFileParser:
    """robots.txt rules of a site (an empty text allows everything)."""
    rules = urllib.robotparser.RobotFileParser()
    rules.parse(text.splitlines())
    return rules
