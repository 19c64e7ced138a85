"""Pure helpers of the harvester: which links of a register page are register files, and where a
fetched file goes in the mirror.

Kept apart from the network code so every rule here is tested on strings alone.
"""

from __future__ import annotations

import contextlib
import posixpath
import re
from dataclasses import dataclass
from email.message import Message
from urllib.parse import quote, unquote, urljoin, urlsplit, urlunsplit

import lxml.html

#: File extensions of the formats the readers handle; a link ending in one is a register file.
FILE_EXTENSIONS = frozenset(
    {".xlsx", ".xls", ".xlsm", ".docx", ".doc", ".pdf", ".csv", ".rtf", ".odt", ".ods"}
)
#: Page extensions: a link to one of these is followed only when its text names the register.
PAGE_EXTENSIONS = frozenset({"", ".php", ".html", ".htm", ".aspx"})
#: Link texts that name a register file or page (Russian, lower case, stems).
REGISTER_TEXT = re.compile(
    r"реестр|сведени[яй]\s+(из|о)\s|заключени|экспертиз|зэпб|\bэпб\b|исключ[её]н|скачать|выгрузк",
    re.IGNORECASE,
)
#: Characters kept as they are when a URL path or query is re-quoted (so "%D0%B0" is not quoted twice).
_SAFE_PATH = "/%:@!$&'()*+,;=-._~"
_SAFE_QUERY = _SAFE_PATH + "?"
#: Characters never allowed in a mirror file name (Windows-reserved, control characters, separators).
_UNSAFE_CHARS = re.compile(r'[\x00-\x1f\x7f<>:"|?*\\/]')


@dataclass(frozen=True, slots=True)
class Link:
    url: str  # absolute, percent-encoded
    text: str  # link text, white space collapsed


class UnsafeName(ValueError):
    """A file name that would leave its folder (``../``), is empty or is a reserved name."""


def normalize_url(url: str) -> str:
    """Percent-encode what needs it (raw Cyrillic, spaces) without encoding ``%XX`` a second time."""
    parts = urlsplit(url.strip())
    path = quote(parts.path or "/", safe=_SAFE_PATH)
    query = quote(parts.query, safe=_SAFE_QUERY)
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), path, query, ""))


_DEFAULT_PORTS = {"http": ":80", "https": ":443"}


def site_host(url: str) -> str:
    """The host a URL is on, as one site: lower case, without ``www.`` and without a default port.

    Offices link their pages both from ``www.zural.gosnadzor.ru`` and from ``zural.gosnadzor.ru``
    (the compiled list gives either); both are one site for the harvester.
    """
    parts = urlsplit(url)
    host = parts.netloc.lower().rsplit("@", 1)[-1]
    port = _DEFAULT_PORTS.get(parts.scheme.lower())
    if port and host.endswith(port):
        host = host[: -len(port)]
    return host.removeprefix("www.")


def same_site(url: str, other: str) -> bool:
    """Both URLs are on one site (see :func:`site_host`)."""
    return site_host(url) == site_host(other)


def url_extension(url: str) -> str:
    """The lower-case extension of the URL's last path segment, decoded (``.xlsx``, or ``""``)."""
    name = unquote(urlsplit(url).path).rsplit("/", 1)[-1]
    return posixpath.splitext(name)[1].lower()


_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([\w-]+)""", re.IGNORECASE)


def decode_page(page: bytes) -> str:
    """Page text: UTF-8 when it decodes, else the ``<meta>`` charset, else windows-1251 (old Bitrix)."""
    try:
        return page.decode("utf-8")
    except UnicodeDecodeError:
        pass
    match = _META_CHARSET.search(page[:4096])
    if match:
        try:
            return page.decode(match.group(1).decode("ascii"), errors="replace")
        except LookupError:
            pass
    return page.decode("cp1251", errors="replace")


def parse_page(page: bytes) -> lxml.html.HtmlElement | None:
    """The page's document, or None for an empty page or one lxml cannot parse."""
    if not page.strip():
        return None
    try:
        return lxml.html.document_fromstring(decode_page(page))
    except (ValueError, lxml.etree.ParserError):
        return None


def _text_of(element: lxml.html.HtmlElement) -> str:
    return " ".join(element.text_content().split())


def discover_links(page: bytes, page_url: str) -> list[Link]:
    """Register files and pages linked from a register page, in page order, each URL once.

    A link counts when its path ends in a file extension the readers handle, or when it stays on the
    page's host, is not a file of another kind, and its text names the register ("Реестр
    заключений 2018", "Скачать", "Исключённые сведения"). Relative, root-relative and
    percent-encoded Cyrillic links are all resolved against the page URL (and ``<base href>``).
    """
    doc = parse_page(page)
    if doc is None:
        return []
    base = page_url
    for href in doc.xpath("//base/@href"):
        base = urljoin(page_url, href.strip())
        break
    page_host = site_host(page_url)
    page_key = normalize_url(page_url)
    found: dict[str, Link] = {}
    for anchor in doc.iter("a"):
        href = (anchor.get("href") or "").strip()
        if not href or href.startswith(("#", "mailto:", "javascript:", "tel:")):
            continue
        url = normalize_url(urljoin(base, href))
        if urlsplit(url).scheme not in ("http", "https") or url == page_key or url in found:
            continue
        text = _text_of(anchor) or (anchor.get("title") or "")
        if _is_register_link(url, text, page_host) and not is_next_page(url, page_url):
            found[url] = Link(url, text)
    return list(found.values())


def _is_register_link(url: str, text: str, page_host: str) -> bool:
    ext = url_extension(url)
    if ext in FILE_EXTENSIONS:
        return True
    same_host = site_host(url) == page_host
    return same_host and ext in PAGE_EXTENSIONS and bool(REGISTER_TEXT.search(text))


_PAGINATION = re.compile(r"(?:^|&)PAGEN_\d+=\d+(?:&|$)")
_FIRST_PAGE = re.compile(r"PAGEN_\d+=1")


def is_next_page(url: str, page_url: str) -> bool:
    """A Bitrix pagination link (``?PAGEN_1=2``) of the same list as the page."""
    link, page = urlsplit(url), urlsplit(page_url)
    return same_site(url, page_url) and link.path == page.path and bool(_PAGINATION.search(link.query))


def discover_pages(page: bytes, page_url: str) -> list[str]:
    """Further pages of a paginated list, in page order, each once."""
    doc = parse_page(page)
    if doc is None:
        return []
    found: dict[str, None] = {}
    for href in doc.xpath("//a/@href"):
        url = normalize_url(urljoin(page_url, href.strip()))
        if is_next_page(url, page_url) and not _FIRST_PAGE.fullmatch(urlsplit(url).query):
            found[url] = None  # "?PAGEN_1=1" is the list's own first page under another URL
    return list(found)


def content_disposition_name(header: str | None) -> str | None:
    """The file name a ``Content-Disposition`` header gives (``filename*=UTF-8''…`` preferred).

    Returned as sent, unsanitized: :func:`safe_name` decides whether it is acceptable.
    """
    if not header:
        return None
    message = Message()
    message["content-disposition"] = header
    name = message.get_filename()
    if name is None:
        return None
    if "%" in name and "filename*" not in header.lower():
        name = unquote(name)  # servers that percent-encode a plain filename=
    with contextlib.suppress(UnicodeEncodeError, UnicodeDecodeError):  # UTF-8 sent as Latin-1 bytes
        name = name.encode("latin-1").decode("utf-8")
    return name


def safe_name(name: str) -> str:
    """A single safe path segment, or :class:`UnsafeName` for names that try to leave their folder."""
    stripped = name.strip()
    if "/" in stripped or "\\" in stripped or stripped in ("", ".", "..") or stripped.startswith(".."):
        raise UnsafeName(name)
    cleaned = _UNSAFE_CHARS.sub("_", stripped).rstrip(". ")
    if not cleaned:
        raise UnsafeName(name)
    return cleaned


def mirror_path(url: str, site_url: str, *, filename: str | None = None, page: bool = False) -> str:
    """Where a fetched URL goes inside its office folder (POSIX, relative, never escaping it).

    The path is the URL path relative to the office's site URL, decoded, so a mirror of a site has
    the site's own file names (``upload/архив/reestr 2017.xlsx``). A URL on another host goes under a
    folder named by that host. ``filename`` (from Content-Disposition) replaces the last segment; a
    query string or an empty last segment gives a name made from the query or ``index.html``.
    """
    parts, site = urlsplit(url), urlsplit(site_url)
    path = unquote(parts.path)
    site_path = unquote(site.path or "/")
    if not site_path.endswith("/"):
        site_path = site_path.rsplit("/", 1)[0] + "/"
    prefix: list[str] = []
    if not same_site(url, site_url):
        prefix = [safe_name(parts.netloc.lower().replace(":", "_"))]
    elif path.startswith(site_path):
        path = path[len(site_path) - 1 :]
    segments = [s for s in path.split("/")]
    last = segments.pop() if segments else ""
    folders = [safe_name(s) for s in segments if s not in ("", ".")]
    if ".." in segments:
        raise UnsafeName(url)
    if filename is not None:
        last = safe_name(filename)
    elif parts.query:  # index.PAGEN_1=2.html, download.id=7.php
        root, ext = posixpath.splitext(last or "index.html")
        query = re.sub(r"[^\w.=-]+", "_", unquote(parts.query)).strip("_")[:80]
        ext = ".html" if page and ext.lower() not in FILE_EXTENSIONS else ext
        last = safe_name(f"{root}.{query}{ext}")
    elif not last:
        last = "index.html"
    else:
        last = safe_name(last)
    return "/".join([*prefix, *folders, last])
