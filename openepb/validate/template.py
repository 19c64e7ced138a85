"""The Excel template offices can fill and check with the validator (``schema/template.xlsx``).

Generated from the record contract and the schema's code lists, byte-for-byte deterministic (fixed
document dates and zip timestamps), so the committed file can be compared with a fresh build. A
strict code list (office, region, verdict) refuses another value in Excel; the open object-type list
only warns, as the validator does.
"""

from __future__ import annotations

import io
import re
import zipfile
from datetime import datetime
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation

from openepb.contract.fields import FIELDS_BY_NAME, RECORD_FIELDS
from openepb.contract.sources import SCHEMA_DIR
from openepb.contract.xsd import REQUIRED_FIELDS, field_type

TEMPLATE_PATH = SCHEMA_DIR / "template.xlsx"
DATA_SHEET = "Реестр"
LISTS_SHEET = "Справочники"
HELP_SHEET = "Инструкция"
DATA_ROWS = 2000
FIXED_TIME = datetime(2026, 1, 1)
ZIP_TIME = (2026, 1, 1, 0, 0, 0)
STAMP_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
#: openpyxl stamps the save time into core.xml; it is replaced with the fixed time.
MODIFIED_STAMP = re.compile(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)")

#: Columns an office fills: the fields read from office files, plus the office code.
TEMPLATE_FIELDS: tuple[str, ...] = tuple(f.name for f in RECORD_FIELDS if f.source or f.name == "office_code")
#: Fields whose cells are dates (Excel date format) and fields kept as text (no number mangling).
DATE_FIELDS = frozenset(n for n in TEMPLATE_FIELDS if FIELDS_BY_NAME[n].sql_type == "DATE")
#: Patterned values (numbers, ИНН, codes, hazard class) and the source spelling of the number are
#: text cells, so Excel neither drops leading zeros nor turns «III» or «01-12» into something else.
TEXT_FORMAT_FIELDS = frozenset(
    n for n in TEMPLATE_FIELDS if field_type(n).pattern or n == "reg_number_published"
)
#: Code-list fields offered as drop-down lists.
LIST_FIELDS = ("object_type", "office_code", "region", "conclusion_result")

INSTRUCTIONS = (
    "Как заполнить шаблон реестра заключений ЭПБ",
    "",
    "1. Заполняйте лист «Реестр»: одна строка — одно заключение. Строку заголовка не меняйте.",
    "2. Регистрационный номер — в виде NN-XX-NNNNN-YYYY или NN-XX-NNNNNN-YYYY (порядковый номер из пяти "
    "или шести цифр), буквы кириллицей, первая группа из двух цифр (например 01-ТУ-00123-2018, "
    "48-ТУ-845161-2026). Если в вашем реестре номер записан иначе (например 2-ТУ-600791-2025), "
    "впишите это написание в столбец «Регистрационный номер в написании источника».",
    "3. Код территориального органа, субъект Российской Федерации и вывод заключения выбирайте из "
    "списка (лист «Справочники»). Код объекта экспертизы — тоже из списка; код не из списка допустим, "
    "проверка отметит его предупреждением.",
    "4. Даты вводите как даты (ДД.ММ.ГГГГ); год даты внесения должен совпадать с годом в номере.",
    "5. Номер лицензии — ДЭ-00-NNNNNN; ИНН — 10 или 12 цифр с верными контрольными цифрами; номера "
    "удостоверений экспертов — XX.NN.NNNNN.NNN через «; ».",
    "6. Номер ОПО — АNN-NNNNN-NNNN (первая буква — кириллическая «А»); класс опасности ОПО — I, II, III "
    "или IV латинскими буквами; срок дальнейшей эксплуатации — дата или текст.",
    "7. Пустые ячейки допустимы, кроме обязательных полей (отмечены *).",
    "8. Проверьте файл: openepb-validate файл.xlsx (или python build.py validate файл.xlsx).",
    "",
    "Поля (в порядке столбцов):",
)


def header_title(name: str) -> str:
    """The header cell text of a template column (required fields are marked with *)."""
    title = FIELDS_BY_NAME[name].title_ru
    return f"{title} *" if name in REQUIRED_FIELDS else title


def _fill_lists(workbook: Workbook) -> dict[str, str]:
    """The code lists on their own sheet; returns a range formula per list field."""
    sheet = workbook.create_sheet(LISTS_SHEET)
    ranges: dict[str, str] = {}
    for index, name in enumerate(LIST_FIELDS):
        code_col = get_column_letter(index * 3 + 1)
        sheet[f"{code_col}1"] = FIELDS_BY_NAME[name].title_ru
        sheet[f"{get_column_letter(index * 3 + 2)}1"] = "Наименование"
        sheet[f"{code_col}1"].font = Font(bold=True)
        entries = field_type(name).enumeration
        for row, (code, title) in enumerate(entries, start=2):
            sheet[f"{code_col}{row}"] = code
            sheet[f"{get_column_letter(index * 3 + 2)}{row}"] = title
        ranges[name] = f"{quote_sheetname(LISTS_SHEET)}!${code_col}$2:${code_col}${len(entries) + 1}"
        sheet.column_dimensions[code_col].width = min(60, max(14, *(len(code) + 2 for code, _ in entries)))
        sheet.column_dimensions[get_column_letter(index * 3 + 2)].width = 60
    return ranges


def _fill_data_sheet(workbook: Workbook, ranges: dict[str, str]) -> None:
    sheet = workbook.active
    sheet.title = DATA_SHEET
    header_fill = PatternFill("solid", fgColor="DDEBF7")
    for col, name in enumerate(TEMPLATE_FIELDS, start=1):
        cell = sheet.cell(row=1, column=col, value=header_title(name))
        cell.font = Font(bold=True)
        cell.fill = header_fill
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        letter = get_column_letter(col)
        sheet.column_dimensions[letter].width = 14 if name in DATE_FIELDS else 24
        number_format = "DD.MM.YYYY" if name in DATE_FIELDS else "@" if name in TEXT_FORMAT_FIELDS else None
        if number_format:
            for row in range(2, DATA_ROWS + 2):
                sheet.cell(row=row, column=col).number_format = number_format
        if name in ranges:
            strict = field_type(name).strict
            validation = DataValidation(
                type="list",
                formula1=f"={ranges[name]}",
                allow_blank=True,
                showErrorMessage=True,
                errorStyle="stop" if strict else "warning",
            )
            validation.error = (
                "Выберите значение из списка"
                if strict
                else "Кода нет в справочнике: запись будет принята, проверка отметит её предупреждением"
            )
            validation.errorTitle = FIELDS_BY_NAME[name].title_ru
            validation.add(f"{letter}2:{letter}{DATA_ROWS + 1}")
            sheet.add_data_validation(validation)
    sheet.freeze_panes = "A2"


def _fill_instructions(workbook: Workbook) -> None:
    sheet = workbook.create_sheet(HELP_SHEET, 0)
    lines = [*INSTRUCTIONS]
    for col, name in enumerate(TEMPLATE_FIELDS, start=1):
        lines.append(f"{get_column_letter(col)}. {header_title(name)} ({name}) — {field_type(name).doc}")
    for row, text in enumerate(lines, start=1):
        sheet.cell(row=row, column=1, value=text)
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.column_dimensions["A"].width = 140


def _deterministic_zip(data: bytes) -> bytes:
    """Rewrite the xlsx with fixed entry timestamps and order, so equal content gives equal bytes."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=ZIP_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            content = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = MODIFIED_STAMP.sub(
                    rb"\g<1>" + FIXED_TIME.strftime(STAMP_FORMAT).encode() + rb"\g<2>", content
                )
            target.writestr(entry, content)
    return out.getvalue()


def build_template() -> bytes:
    workbook = Workbook()
    ranges = _fill_lists(workbook)
    _fill_data_sheet(workbook, ranges)
    _fill_instructions(workbook)
    workbook.active = workbook.sheetnames.index(DATA_SHEET)
    workbook.properties.creator = "openepb"
    workbook.properties.created = FIXED_TIME
    workbook.properties.modified = FIXED_TIME
    buffer = io.BytesIO()
    workbook.save(buffer)
    return _deterministic_zip(buffer.getvalue())


def write_template(path: Path = TEMPLATE_PATH) -> Path:
    path.write_bytes(build_template())
    return path


if __name__ == "__main__":
    print(write_template())
