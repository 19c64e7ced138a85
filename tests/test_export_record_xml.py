"""A record serialized as one string has exactly the bytes lxml's ``xmlfile`` gives the same record."""

from __future__ import annotations

import io

from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from openepb.contract.xsd import NAMESPACE, RECORD_ELEMENT
from openepb.publish.export import XML_ILLEGAL, record_xml

NAMES = ("reg_number", "object_name", "applicant_name", "date_registered")
# Text as the export hands it over: any character XML 1.0 can carry (illegal ones are dropped first).
TEXTS = st.text(min_size=1, max_size=40).map(lambda t: XML_ILLEGAL.sub("", t)).filter(bool)
TRICKY = ["a & b", "<tag>", "x > y", "line\r\nnext", "]]>", "\"quoted\" 'single'", "\t tab", "ё\u00a0😀"]


def lxml_bytes(texts: list[tuple[str, str]]) -> bytes:
    """The record as lxml writes it inside a root element with the default namespace."""
    buffer = io.BytesIO()
    with (
        etree.xmlfile(buffer, encoding="utf-8") as xf,
        xf.element(f"{{{NAMESPACE}}}root", nsmap={None: NAMESPACE}),
    ):
        xf.flush()
        start = buffer.tell()
        with xf.element(f"{{{NAMESPACE}}}{RECORD_ELEMENT}"):
            for name, text in texts:
                with xf.element(f"{{{NAMESPACE}}}{name}"):
                    xf.write(text)
        xf.write("\n")
        xf.flush()
        end = buffer.tell()
    return buffer.getvalue()[start:end]


def test_tricky_texts_match_lxml() -> None:
    texts = [(NAMES[i % len(NAMES)], text) for i, text in enumerate(TRICKY)]
    assert record_xml(texts).encode("utf-8") == lxml_bytes(texts)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(NAMES), TEXTS), min_size=1, max_size=6))
def test_any_text_matches_lxml(texts: list[tuple[str, str]]) -> None:
    assert record_xml(texts).encode("utf-8") == lxml_bytes(texts)
