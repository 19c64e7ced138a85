"""The layout of a mirror: the contract between the harvester, which writes it, and the pipeline.

A mirror holds one folder per office, named by the office's website subdomain (``vdon`` for
vdon.gosnadzor.ru), with its pages and files at any depth. The federal site has the folder ``www``.
"""

from __future__ import annotations

#: The federal site's folder (www.gosnadzor.ru): the register of licences lives there.
FEDERAL_FOLDER = "www"
#: Where the register of licences for expertise sits under the federal folder.
LICENCE_REGISTER_PATH = "service/list/reestr_licences_99fz"
#: Inside an office folder: versions of files the office no longer publishes, kept so that nothing
#: once harvested is lost; read after the office's current files.
ARCHIVE_FOLDER = "_archive"
#: Files of a mirrored website that are never register data; skipped, not read.
ASSET_SUFFIXES = frozenset(
    {".css", ".js", ".png", ".jpg", ".jpeg", ".gif", ".svg", ".ico", ".woff", ".woff2", ".ttf", ".map"}
)
