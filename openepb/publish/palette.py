"""One colour per object type, keyed by the type's code in ``schema/object_types.csv``.

Every chart of every page takes a type's colour from here (through the rank manifest), so ДЛ is the
same red on «Пульс» for Russia, for one district, for one office and on an organization's page. The
colours keep at least 3:1 contrast against white (WCAG 1.4.11 for graphics) and differ in hue and
lightness for the common colour-vision deficiencies; the legend always carries the code and the name
too, so no chart relies on colour alone."""

from __future__ import annotations

import hashlib

TYPE_COLORS: dict[str, str] = {
    "ТУ": "#1f5f99",  # blue
    "ЗС": "#c25400",  # orange
    "ТП": "#2e7d32",  # green
    "ДК": "#7b3fa0",  # purple
    "ДЛ": "#b3261e",  # red
    "ОБ": "#00796b",  # teal
    "ДП": "#8a6d00",  # olive
    "ИД": "#ad1457",  # magenta
    "?": "#6b7785",  # grey: the type is not recognized
}

#: For codes outside the schema (a new type before the palette learns it): picked by the code's hash,
#: so the colour is still the same on every page and in every build.
SPARE_COLORS = ("#6d4c41", "#4e5d6c", "#33691e", "#5d4037", "#283593")


def type_color(code: str) -> str:
    if code in TYPE_COLORS:
        return TYPE_COLORS[code]
    digest = hashlib.sha256(code.encode("utf-8")).digest()
    return SPARE_COLORS[digest[0] % len(SPARE_COLORS)]
