"""Every file of the open-data export, declared once: name, title, what it holds, which table and stage.

The data package, the Downloads page and the data dictionary of the docs all read this list, so a
file is described in one place and the three never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePosixPath


@dataclass(frozen=True)
class ExportFile:
    name: str  # path in the export folder, or a glob for a family of files
    title: str
    note: str  # what is in it and how to open it
    resource: str | None = None  # data package resource name, for the tabular files
    table: str | None = None  # the store table it is written from
    stage: str = "export"  # the publish stage that writes it: export, quality, feeds

    def matches(self, name: str) -> bool:
        return PurePosixPath(name).match(self.name)


EXPORT_FILES: tuple[ExportFile, ...] = (
    ExportFile(
        "records.csv",
        "Записи реестра (CSV)",
        "UTF-8 с BOM, разделитель — запятая, первая строка — имена полей. Открывается в Excel и LibreOffice.",
        "records",
        "records",
    ),
    ExportFile(
        "records.parquet",
        "Записи реестра (Parquet)",
        "Столбцовый формат для DuckDB, pandas, Spark: типы полей сохранены, файл в разы меньше CSV.",
        "records-parquet",
        "records",
    ),
    ExportFile(
        "records.xml",
        "Записи реестра (XML)",
        "Все записи по единой XML-схеме, проверены по XSD при выгрузке; один элемент на заключение.",
    ),
    ExportFile(
        "offices/*.xml",
        "Записи одного территориального органа (XML)",
        "Записи одного территориального органа по единой XML-схеме (`offices/<код>.xml`).",
    ),
    ExportFile(
        "rejects.csv",
        "Строки, не ставшие записями",
        "Файл, лист, строка, причина и исходные ячейки каждой отклонённой строки.",
        "rejects",
        "rejects",
    ),
    ExportFile(
        "organizations.csv",
        "Организации",
        "Экспертные организации и заявители: идентификатор, наименование, лицензия, варианты написания.",
        "organizations",
        "organizations",
    ),
    ExportFile(
        "merge_candidates.csv",
        "Предлагаемые объединения организаций",
        "Пары похожих организаций, оставленных раздельными, и чем они различаются.",
        "merge-candidates",
        "merge_candidates",
    ),
    ExportFile(
        "exclusions_unmatched.csv",
        "Исключения из реестра, для которых нет заключения в собранных данных",
        "Номер, дата и основание исключения, управление и строка файла-источника.",
        "exclusions-unmatched",
        "exclusions_unmatched",
    ),
    ExportFile(
        "quality.csv",
        "Качество данных по территориальным органам",
        "Полнота, свежесть и соответствие схеме по каждому управлению (как на странице «Качество данных»).",
        "quality",
        stage="quality",
    ),
    ExportFile(
        "changes.csv",
        "Изменения с прошлой сборки",
        "Заключения, появившиеся, изменённые и исчезнувшие с прошлой сборки (как в лентах Atom).",
        "changes",
        stage="feeds",
    ),
    ExportFile(
        "datapackage.json",
        "Описание набора (Frictionless Data Package)",
        "Поля, типы, размеры и sha256 табличных файлов; проверка: frictionless validate.",
    ),
    ExportFile(
        "meta.csv",
        "Паспорт набора открытых данных",
        "По методическим рекомендациям для открытых данных (версия 3.0).",
    ),
    ExportFile(
        "structure-*.csv",
        "Структура набора открытых данных",
        "Структура набора открытых данных к паспорту: поле, описание, формат.",
    ),
    ExportFile(
        "SHA256SUMS", "Контрольные суммы", "SHA-256 всех файлов выгрузки; проверка: sha256sum -c SHA256SUMS."
    ),
)


def export_file(name: str) -> ExportFile | None:
    """The declaration a file of the export folder falls under, if any."""
    return next((f for f in EXPORT_FILES if f.matches(name)), None)


def tabular(stage: str) -> list[ExportFile]:
    """The data package's tables that ``stage`` writes, in declaration order."""
    return [f for f in EXPORT_FILES if f.resource and f.stage == stage]
