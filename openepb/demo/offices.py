"""How each office publishes its part of the register, as data: files, columns, spellings and mess.

One :class:`OfficeLayout` per office. The generator reads nothing but these switches, so a new kind
of mess is a new field here and one branch in the generator, never an office-specific if-chain.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

#: the two eras the demo world covers: the paper's register and today's files
PAPER_YEARS: tuple[int, ...] = (2014, 2015, 2016, 2017, 2018)
TODAY_YEARS: tuple[int, ...] = (2022, 2023, 2024, 2025, 2026)
YEARS: tuple[int, ...] = PAPER_YEARS + TODAY_YEARS
#: the demo's "today": the current year is published up to this day
LAST_DAY = date(2026, 6, 30)
#: from this year on the first group of a number is the subject of the RF where the object is, and
#: the serial is one running count per year over the whole country (six digits once it passes 99 999)
REGION_NUMBERING_FROM = 2022
#: today's serials per year: (the count the year starts at, conclusions registered per day over the
#: whole country); a day's numbers start at start + (day of the year - 1) × per day, and a year stays
#: below a million (six digits at most). Every 2026 number seen is 8xx xxx (800238, 845161 of
#: 26.05.2026, 896427), so 2026 starts at 800 000; the earlier years start at 1 and pass 99 999
#: in their first weeks (five-digit serials alongside six-digit ones).
NATIONAL_SERIALS: dict[int, tuple[int, int]] = {
    2022: (1, 1800),
    2023: (1, 2000),
    2024: (1, 2200),
    2025: (1, 2500),
    2026: (800_000, 1000),
}
#: share of today's numbers whose first group is another subject of the office (54 for Минусинск)
PREFIX_EXCEPTIONS = 0.03
#: formats whose volume stays capped at any scale (slow to write, and offices keep them small)
CAPPED_FORMATS = frozenset({"xls", "xls_html", "docx", "doc", "pdf", "page"})


@dataclass(frozen=True, slots=True)
class Column:
    """One published column: the logical value it holds and its header wording.

    ``group`` is the parent header of a two-row header; consecutive columns with the same group share
    one merged parent cell. Logical values: ``npp``, ``reg_number``, ``date``, ``object_type``,
    ``object_name``, ``applicant_name``, ``applicant_inn``, ``applicant_address``, ``applicant_contact``,
    ``expert_name``, ``expert_inn``, ``expert_contact``, ``licence``, ``certificate``, ``excluded_date``,
    ``exclusion_reason``; today's files add ``region`` (subject of the RF), ``opo_number``,
    ``opo_name``, ``hazard_class``, ``verdict`` and ``term`` (of further safe operation).
    """

    value: str
    header: str
    group: str = ""


@dataclass(frozen=True, slots=True)
class Publication:
    """A family of files: ``per_year`` (one file per year), ``half_year`` (January–June of ``year``,
    re-published beside the full year), ``workbook`` (a sheet per year plus an all-years sheet),
    ``all_years`` (one table, year sections), ``page`` (the register table on the office page),
    ``weekly`` (one workbook per year, one sheet per week).

    ``fmt``: xlsx, xls (BIFF8), xls_html (an HTML table with an .xls name), docx, doc, pdf, csv, page.
    ``columns`` replaces the office's columns in these files (a layout that changed over the years);
    ``week_sheets`` names the sheets of a weekly workbook: ``range`` («01.01–07.01») or ``number``
    («Неделя 1»).
    """

    kind: str
    fmt: str
    path: str  # relative to the office folder; {year} is replaced
    years: tuple[int, ...] = YEARS
    year: int = 0  # for half_year
    columns: tuple[Column, ...] = ()
    week_sheets: str = "range"


@dataclass(frozen=True, slots=True)
class OfficeLayout:
    code: str
    volume: float  # relative share of the conclusions
    publications: tuple[Publication, ...]
    columns: tuple[Column, ...]
    date_style: str = "dmy"  # a mess.DATE_TEXT_STYLES key, "cell", "serial" or "mixed"
    org_style: str = "short"  # mess.ORG_STYLES key for expert organizations
    applicant_style: str = "short"
    reg_styles: tuple[str, ...] = ("plain",)  # drawn for a share reg_mess of the rows
    reg_mess: float = 0.0
    licence_style: str = "plain"
    certificate_style: str = "semicolon"
    contact_shapes: tuple[str, ...] = ("lines_full",)
    title_rows: tuple[str, ...] = ()  # rows above the header ({office}, {year}, {period})
    colnum_row: bool = False
    sections: str = ""  # "", "year", "month", "quarter"
    totals: bool = False
    blank_every: int = 0  # a blank row after every N data rows
    footer: tuple[tuple[str, ...], ...] = ()  # rows of the signature block (cells)
    merge_applicant: bool = False  # runs of the same applicant merged vertically
    newest_first: bool = False
    multiline: bool = False  # object names with a line break inside
    paste_twice: bool = False  # a block of rows pasted twice in one file
    invalid_dates: float = 0.0  # share of rows whose date cell cannot be parsed
    rejects: float = 0.004  # share of extra rows without a valid registration number
    encoding: str = "utf-8"
    before: tuple[str, ...] = ()  # paragraphs above a Word table
    # file mess: (relative path, what) — what: empty, corrupt, encrypted, not_a_register, copy:<path>
    file_mess: tuple[tuple[str, str], ...] = ()
    page_links: tuple[tuple[str, str], ...] = field(default_factory=tuple)
    # publication timeliness, for the data-quality page: no conclusion dated after ``stops``
    # (ISO date; a stale or late office), and no conclusion in the ``gap_months`` (``YYYY-MM``)
    stops: str = ""
    gap_months: tuple[str, ...] = ()
    # today's values, each drawn per row from the styles of mess.py
    region_styles: tuple[str, ...] = ("official",)
    opo_styles: tuple[str, ...] = ("plain",)
    hazard_styles: tuple[str, ...] = ("roman",)
    verdict_styles: tuple[str, ...] = ("short",)
    term_styles: tuple[str, ...] = ("until",)
    expert_inn_in_name: float = 0.0  # share of expert name cells written «ООО "X" (ИНН 5503221735)»
    bad_inn: float = 0.0  # share of operator ИНН cells with a typo in the control digit
    applicant_inn_in_name: float = 0.0  # share of operator name cells with the ИНН inside, ИНН cell empty

    def columns_for(self, year: int) -> tuple[Column, ...]:
        """The columns of the files covering ``year`` (an office's layout may change over the years)."""
        for publication in self.publications:
            if publication.kind != "half_year" and year in publication.years and publication.columns:
                return publication.columns
        return self.columns

    def publishes(self, year: int) -> bool:
        return any(p.kind != "half_year" and year in p.years for p in self.publications)


NPP = Column("npp", "№ п/п")
REG = Column("reg_number", "Регистрационный номер заключения")
DATE = Column("date", "Дата внесения в реестр")
OBJ_NAME = Column("object_name", "Наименование объекта экспертизы")
APPLICANT = Column("applicant_name", "Наименование заявителя")
EXPERT = Column("expert_name", "Наименование экспертной организации")
LICENCE = Column("licence", "Номер лицензии экспертной организации")
CERT = Column("certificate", "Номер квалификационного удостоверения эксперта")
TITLE = "Сведения из реестра заключений экспертизы промышленной безопасности"
TODAY_TITLE = "Сведения о заключениях экспертизы промышленной безопасности, внесённых в реестр"
#: Западно-Сибирское before 2024: «Наименование заявителя», «Наименование заключения», no subject or ИНН
ZSIB_BEFORE_2024 = (
    NPP,
    Column("reg_number", "Регистрационный номер"),
    Column("date", "Дата регистрации"),
    Column("term", "Срок дальнейшей безопасной эксплуатации"),
    Column("verdict", "Вывод заключения"),
    Column("object_name", "Наименование заключения"),
    Column("applicant_name", "Наименование заявителя"),
    Column("expert_name", "Наименование экспертной организации"),
    Column("licence", "Номер лицензии экспертной организации"),
)
SIGNATURE = (("Начальник отдела", "", "подпись", "", "{head}"), ("Исполнитель: {clerk}",))

LAYOUTS: tuple[OfficeLayout, ...] = (
    OfficeLayout(
        code="mos",
        volume=1.1,
        publications=(
            Publication("per_year", "xlsx", "upload/iblock/3f2/reestr_{year}.xlsx"),
            Publication("half_year", "xlsx", "upload/iblock/3f2/reestr_{year}-1pol.xlsx", year=2017),
        ),
        columns=(
            NPP,
            Column("reg_number", "Регистрационный\nномер заключения"),
            Column("date", "Дата внесения\nв реестр"),
            Column("applicant_name", "Наименование", "Заявитель"),
            Column("applicant_inn", "ИНН", "Заявитель"),
            Column("object_name", "Наименование объекта экспертизы"),
            Column("expert_name", "Наименование", "Экспертная организация"),
            Column("licence", "№ лицензии", "Экспертная организация"),
        ),
        date_style="cell",
        org_style="short",
        title_rows=(TITLE, "{office}", "за {period}", ""),
        colnum_row=True,
        merge_applicant=True,
        paste_twice=True,
        licence_style="numero_date",
        reg_styles=("spaces", "dashes"),
        reg_mess=0.02,
    ),
    OfficeLayout(
        code="cntr",
        volume=1.1,
        publications=(Publication("per_year", "csv", "files/epb_{year}.csv"),),
        columns=(
            REG,
            Column("date", "Дата регистрации"),
            Column("object_type", "Объект экспертизы"),
            OBJ_NAME,
            Column("applicant_name", "Заказчик (наименование)"),
            Column("applicant_inn", "ИНН заказчика"),
            EXPERT,
            Column("licence", "Лицензия"),
        ),
        date_style="slash2",
        org_style="long_straight",
        applicant_style="short_straight",
        reg_styles=("spaces", "underscore", "latin"),
        reg_mess=0.03,
        encoding="cp1251",
        file_mess=(("files/reestr_2018_zashita.xlsx", "encrypted"),),
    ),
    OfficeLayout(
        code="vdon",
        volume=1.0,
        publications=(
            Publication("workbook", "xlsx", "upload/reestr_epb.xlsx", years=PAPER_YEARS),
            Publication("per_year", "xlsx", "upload/reestr_epb_{year}.xlsx", years=TODAY_YEARS),
        ),
        columns=(
            NPP,
            Column("reg_number", "Рег. № заключения"),
            Column("date", "Дата\nвнесения в реестр"),
            Column("expert_name", "Наименование экспертной\nорганизации"),
            Column("object_name", "Наименование заключения экспертизы"),
            Column("certificate", "№ удостоверения эксперта"),
            Column("applicant_name", "Наименование заявителя"),
        ),
        date_style="dmy",
        org_style="upper",
        certificate_style="lines",
        reg_styles=("latin", "digit"),
        reg_mess=0.03,
        file_mess=(("upload/архив/reestr_epb (копия).xlsx", "copy:upload/reestr_epb.xlsx"),),
    ),
    OfficeLayout(
        code="priok",
        volume=0.8,
        publications=(Publication("per_year", "xls", "activity/expertise/reestr_{year}.xls"),),
        columns=(
            NPP,
            REG,
            DATE,
            APPLICANT,
            OBJ_NAME,
            EXPERT,
            Column("excluded_date", "Дата исключения из реестра"),
            Column("exclusion_reason", "Основание исключения"),
        ),
        date_style="cell",
        org_style="after",
        title_rows=(TITLE, "{office}", ""),
        sections="month",
        totals=True,
    ),
    OfficeLayout(
        code="szap",
        volume=0.9,
        publications=(Publication("per_year", "xls_html", "upload/medialibrary/epb_{year}.xls"),),
        columns=(
            Column("reg_number", "Регистрационный номер"),
            Column("date", "Дата\nвнесения"),
            Column("applicant_name", "Заявитель\n(наименование)"),
            Column("object_name", "Наименование\nобъекта экспертизы"),
            Column("expert_name", "Наименование экспертной организации"),
            Column("licence", "Лицензия"),
        ),
        date_style="iso",
        org_style="short_curly",
        applicant_style="short_curly",
        multiline=True,
        newest_first=True,
        licence_style="latin",
        stops="2026-04-20",  # late: publishes a couple of months behind the others
    ),
    OfficeLayout(
        code="pech",
        volume=0.5,
        publications=(Publication("per_year", "docx", "upload/Реестр ЗЭПБ {year}.docx"),),
        columns=(
            NPP,
            REG,
            DATE,
            APPLICANT,
            OBJ_NAME,
            EXPERT,
            Column("certificate", "Эксперт (ФИО, № удостоверения)"),
        ),
        date_style="dmy_g",
        org_style="plain",
        certificate_style="names",
        sections="quarter",
        footer=SIGNATURE,
        before=(TITLE, "{office}"),
        file_mess=(("upload/Приказ № 45 от 12.01.2017.docx", "not_a_register"),),
    ),
    OfficeLayout(
        code="zural",
        volume=0.7,
        publications=(Publication("per_year", "pdf", "files/reestr_{year}.pdf"),),
        columns=(NPP, REG, DATE, EXPERT, CERT, APPLICANT, OBJ_NAME),
        date_style="dmy",
        org_style="long",
        certificate_style="latin",
        newest_first=True,
    ),
    OfficeLayout(
        code="srpov",
        volume=0.6,
        publications=(Publication("all_years", "page", "index.html"),),
        columns=(
            NPP,
            REG,
            Column("date", "Дата внесения"),
            Column("applicant_name", "Наименование", "Заявитель"),
            Column("applicant_address", "Адрес", "Заявитель"),
            OBJ_NAME,
            EXPERT,
        ),
        date_style="long",
        org_style="short",
        sections="year",
        merge_applicant=True,
        multiline=True,
        newest_first=True,
        encoding="cp1251",
    ),
    OfficeLayout(
        code="ural",
        volume=1.1,
        publications=(Publication("per_year", "xlsx", "upload/iblock/a1c/Сведения_ЭПБ_{year}.xlsx"),),
        columns=(
            NPP,
            REG,
            DATE,
            Column(
                "applicant_contact",
                "Сведения о заявителе (наименование, адрес, руководитель, телефон, e-mail)",
            ),
            OBJ_NAME,
            EXPERT,
            LICENCE,
        ),
        date_style="mixed",
        org_style="short",
        contact_shapes=("lines_full", "semicolon_inn", "lines_fax", "name_address"),
        reg_styles=("latin", "digit", "lower", "numero", "junk", "second_line"),
        reg_mess=0.08,
        licence_style="spaces",
        invalid_dates=0.005,
        file_mess=(("upload/iblock/a1c/old/reestr_2016.xlsx", "corrupt"),),
    ),
    OfficeLayout(
        code="sural",
        volume=1.0,
        publications=(Publication("per_year", "xlsx", "activity/ekspertiza-pb/data/epb_{year}.xlsx"),),
        columns=(
            REG,
            DATE,
            APPLICANT,
            OBJ_NAME,
            Column("expert_contact", "Экспертная организация (наименование, адрес, телефон)"),
            LICENCE,
        ),
        date_style="dmy",
        org_style="short",
        contact_shapes=("lines_full", "semicolon_inn"),
        blank_every=40,
        paste_twice=True,
        title_rows=(TITLE, "за {period}"),
    ),
    OfficeLayout(
        code="enis",
        volume=0.6,
        publications=(Publication("per_year", "doc", "upload/reestr_{year}.doc", years=PAPER_YEARS),),
        columns=(NPP, REG, DATE, APPLICANT, EXPERT, CERT, OBJ_NAME),
        date_style="dmy2",
        org_style="short",
        footer=SIGNATURE,
        before=(TITLE, "{office}", "за {period}"),
        stops="2018-05-31",  # stale: stopped publishing in 2018, half a year before the paper's end
    ),
    OfficeLayout(
        code="nvol",
        volume=1.0,
        publications=(Publication("per_year", "xlsx", "upload/expert/reestr_{year}.xlsx"),),
        columns=(
            NPP,
            REG,
            DATE,
            APPLICANT,
            EXPERT,
            OBJ_NAME,
            Column("excluded_date", "Дата исключения из реестра"),
            Column("exclusion_reason", "Основание исключения"),
        ),
        date_style="dmy_g_space",
        org_style="short",
        newest_first=True,
        reg_styles=("lower", "latin", "numero", "junk", "dashes"),
        reg_mess=0.06,
        invalid_dates=0.003,
        file_mess=(("upload/expert/reestr_2019.xlsx", "empty"),),
        gap_months=("2016-06", "2016-07", "2016-08", "2017-03"),  # months with nothing published
    ),
    OfficeLayout(
        code="zab",
        volume=0.5,
        publications=(Publication("per_year", "docx", "upload/sved_{year}.docx"),),
        columns=(NPP, REG, DATE, APPLICANT, OBJ_NAME, EXPERT, LICENCE, CERT),
        date_style="dmy_g",
        org_style="short",
        sections="month",
        merge_applicant=True,
        before=(TITLE, "{office}"),
    ),
    OfficeLayout(
        code="sahal",
        volume=0.6,
        publications=(
            Publication("per_year", "doc", "upload/СИЭР {year}.doc", years=(2014, 2015, 2016, 2017)),
            Publication(
                "per_year", "xlsx", "upload/СИЭР {year} (для сайта).xlsx", years=(2018, *TODAY_YEARS)
            ),
        ),
        columns=(NPP, REG, DATE, APPLICANT, OBJ_NAME, EXPERT, LICENCE),
        date_style="dmy",
        org_style="short",
        title_rows=(TITLE, "{office}", "за {period}"),
    ),
    # --- today's layout: yearly workbooks with a sheet per week (domain notes, §5) ---------------------
    OfficeLayout(
        code="zsib",
        volume=1.6,
        publications=(
            Publication(
                "weekly",
                "xlsx",
                "upload/medialibrary/reestr/Сведения из реестра ЗЭПБ {year}.xlsx",
                years=(2022, 2023),
                columns=ZSIB_BEFORE_2024,
            ),
            Publication(
                "weekly",
                "xlsx",
                "upload/medialibrary/reestr/Сведения из реестра ЗЭПБ {year}.xlsx",
                years=(2024, 2025, 2026),
            ),
        ),
        columns=(
            NPP,
            Column("region", "Субъект РФ"),
            Column("reg_number", "Регистрационный номер ЗЭПБ"),
            Column("date", "Дата регистрации ЗЭПБ"),
            Column("term", "Срок дальнейшей безопасной эксплуатации"),
            Column("verdict", "Вывод заключения"),
            Column("object_name", "Наименование ЗЭПБ"),
            Column("opo_number", "Номер ОПО"),
            Column("opo_name", "Наименование ОПО"),
            Column("hazard_class", "Класс опасности ОПО"),
            Column("applicant_name", "Наименование эксплуатирующей организации"),
            Column("applicant_inn", "ИНН эксплуатирующей организации"),
            Column("expert_name", "Наименование экспертной организации"),
            Column("licence", "Номер лицензии экспертной организации"),
        ),
        date_style="cell",
        org_style="short_straight",
        applicant_style="short_straight",
        title_rows=(TODAY_TITLE, "{office}", "за период {period}", ""),
        region_styles=("official", "official", "official", "synonym", "short"),
        opo_styles=("plain", "plain", "plain", "latin"),
        hazard_styles=("roman", "roman", "digit_class", "roman_class"),
        verdict_styles=("short",),
        term_styles=("until", "until", "date", "until_g"),
        expert_inn_in_name=0.3,
        bad_inn=0.003,
    ),
    OfficeLayout(
        code="privol",
        volume=1.3,
        publications=(
            Publication(
                "weekly",
                "xlsx",
                "activity/expertiza/files/sved_zepb_{year}.xlsx",
                years=TODAY_YEARS,
                week_sheets="number",
            ),
        ),
        columns=(
            NPP,
            Column("reg_number", "Регистрационный номер заключения экспертизы"),
            Column("date", "Дата регистрации заключения"),
            Column("region", "Субъект Российской Федерации"),
            Column("object_name", "Наименование ЗЭПБ (объект экспертизы)"),
            Column("opo_number", "Регистрационный номер ОПО"),
            Column("opo_name", "Наименование ОПО"),
            Column("hazard_class", "Класс опасности"),
            Column("applicant_name", "Наименование эксплуатирующей организации"),
            Column("applicant_inn", "ИНН эксплуатирующей организации"),
            Column("expert_name", "Наименование экспертной организации"),
            Column("expert_inn", "ИНН экспертной организации"),
            Column("licence", "Лицензия экспертной организации"),
            Column("verdict", "Вывод заключения экспертизы"),
            Column("term", "Срок дальнейшей безопасной эксплуатации (при наличии)"),
        ),
        date_style="dmy",
        org_style="short",
        applicant_style="short",
        title_rows=(TODAY_TITLE, "{office}", "{period}"),
        reg_styles=("short_first",),  # 2-ТУ-600791-2025: the leading zero of 02 dropped
        reg_mess=0.02,
        region_styles=("official", "synonym"),
        hazard_styles=("roman", "digit", "digit_class", "roman_class", "label"),
        verdict_styles=("short", "full", "full"),
        term_styles=("until", "cell"),
        expert_inn_in_name=0.05,
        licence_style="numero_date",
        bad_inn=0.003,
        applicant_inn_in_name=0.03,
    ),
)


def layout(code: str) -> OfficeLayout:
    return next(item for item in LAYOUTS if item.code == code)
