"""A demo licence register: saved list pages of the Rostekhnadzor licence register.

Pages look like the real server-side HTML: a Bitrix layout (header, menu and footer tables around
the content), a search form whose labels name the same fields as the data, the data table nested in
a layout cell, ``?PAGEN_1=N`` pagination and ``license.php?licNum=…`` card links, in windows-1251.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import quote

from openepb.build.licences import LicenceEntry

ENCODING = "cp1251"
COLUMNS = (
    "№ п/п",
    "Рег. номер лицензии",
    "Дата предоставления лицензии",
    "Наименование лицензиата",
    "ИНН",
    "Адрес места нахождения",
    "Статус лицензии",
)


def page_name(page: int) -> str:
    """The file a page is saved as: the first page is the register's index, later ones by number."""
    return "index.html" if page == 1 else f"index.PAGEN_1={page}.html"


def _esc(value: object) -> str:
    return html.escape("" if value is None else str(value))


def _row(n: int, entry: LicenceEntry) -> str:
    issued = entry.date_issued.strftime("%d.%m.%Y") if entry.date_issued else ""
    link = f'<a href="license.php?licNum={quote(entry.number)}">{_esc(entry.number)}</a>'
    cells = (
        str(n),
        link,
        _esc(issued),
        _esc(entry.legal_name),
        _esc(entry.inn),
        _esc(entry.address),
        _esc(entry.status),
    )
    return "<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>"


def _pagination(page: int, pages: int) -> str:
    links = [
        f"<b>{p}</b>" if p == page else f'<a href="/service/list/reestr_licences_99fz/?PAGEN_1={p}">{p}</a>'
        for p in range(1, pages + 1)
    ]
    return '<div class="modern-page-navigation">Страницы: ' + " ".join(links) + "</div>"


def _search_form() -> str:
    return (
        '<form method="get"><table class="filter"><tr><td>Номер лицензии:</td>'
        '<td><input type="text" name="licNum" value=""></td></tr>'
        '<tr><td>ИНН:</td><td><input type="text" name="inn" value=""></td></tr>'
        '<tr><td>Наименование лицензиата:</td><td><input type="text" name="name" value=""></td></tr>'
        '<tr><td colspan="2"><input type="submit" value="Найти"></td></tr></table></form>'
    )


def render_page(entries: Sequence[LicenceEntry], first: int, page: int, pages: int) -> str:
    header = "<tr>" + "".join(f"<th>{_esc(c)}</th>" for c in COLUMNS) + "</tr>"
    rows = "\n".join(_row(first + i, e) for i, e in enumerate(entries))
    data = f'<table class="data-table" border="1" cellpadding="3">\n<thead>{header}</thead>\n<tbody>\n{rows}\n</tbody></table>'
    return f"""<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN">
<html><head><meta http-equiv="Content-Type" content="text/html; charset=windows-1251">
<title>Реестр лицензий на осуществление деятельности по проведению экспертизы промышленной безопасности</title></head>
<body>
<table width="100%" class="layout"><tr><td><a href="/"><img src="/bitrix/templates/gosnadzor/images/logo.png" alt="Ростехнадзор"></a></td>
<td>Федеральная служба по экологическому, технологическому и атомному надзору</td></tr></table>
<table width="100%" class="layout"><tr>
<td class="menu" width="220"><ul><li><a href="/service/">Государственные услуги</a></li>
<li><a href="/service/list/reestr_licences_99fz/">Реестр лицензий</a></li></ul></td>
<td class="content"><h1>Реестр лицензий (экспертиза промышленной безопасности)</h1>
{_search_form()}
{_pagination(page, pages)}
{data}
{_pagination(page, pages)}
</td></tr></table>
<table width="100%" class="layout"><tr><td>© Ростехнадзор. Все права защищены.</td></tr></table>
</body></html>
"""


def write_licence_register(out_dir: Path, entries: list[LicenceEntry], per_page: int = 50) -> list[Path]:
    """Write ``entries`` (in the order given) as paginated list pages; returns the files written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    pages = max(1, math.ceil(len(entries) / per_page))
    written = []
    for page in range(1, pages + 1):
        start = (page - 1) * per_page
        text = render_page(entries[start : start + per_page], start + 1, page, pages)
        path = out_dir / page_name(page)
        path.write_bytes(text.encode(ENCODING, errors="xmlcharrefreplace"))
        written.append(path)
    return written
