"""The lines of all a table's cells at once (``pdf_cells``) are the lines read cell by cell.

``table_cell_lines`` does on arrays what ``chars_by_box`` and ``cell_lines`` do for one cell at a
time; the per-cell reading is plain Python written for one cell, so equal results on made-up
chars (ties of centres and tops, gaps at the tolerance, spaces, ligatures, merged and overlapping
boxes, rotated chars) and on the chars of generated PDFs check the arrays' bookkeeping.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fixtures_readers import write_merged_pdf, write_pdf, write_wrapped_pdf
from hypothesis import given, settings
from hypothesis import strategies as st
from test_pdf_chars import write_demo_register

from openepb.read import pdf, pdf_chars
from openepb.read.pdf_cells import table_cell_lines


def per_cell(boxes: list[pdf.Box], chars: pdf_chars.Chars) -> dict:
    return {box: pdf.cell_lines(box, found) for box, found in pdf.chars_by_box(boxes, chars.dicts()).items()}


# A grid of boxes 50 wide and 20 tall, a box merged over two rows, and one overlapping its band.
GRID = [(x, y, x + 50.0, y + 20.0) for x in (0.0, 50.0, 100.0) for y in (0.0, 20.0, 40.0)]
MERGED = (150.0, 0.0, 200.0, 40.0)
OVERLAPPING = [(150.0, 40.0, 200.0, 60.0), (180.0, 40.0, 230.0, 60.0)]

char = st.fixed_dictionaries(
    {
        "text": st.sampled_from(["а", "б", "в", " ", " ", "\u00a0", "-", "\ufb01", "ab"]),
        "x0": st.integers(0, 92).map(lambda v: v * 2.5),
        "width": st.sampled_from([0.0, 2.0, 2.5, 4.5, 5.0]),  # 2 and 4.5: gaps of exactly the tolerance
        "top": st.integers(-4, 44).map(lambda v: v * 1.5),
        "size": st.sampled_from([8.0, 10.0, 12.0]),
        "upright": st.sampled_from([True] * 12 + [False]),
    }
)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(char, max_size=80),
    st.booleans(),
    st.booleans(),
)
def test_all_cells_at_once_read_as_each_cell_alone(made: list[dict], merged: bool, overlapping: bool) -> None:
    boxes = list(GRID) + ([MERGED] if merged else []) + (OVERLAPPING if overlapping else [])
    chars = pdf_chars.Chars.of(
        [
            {
                "text": c["text"],
                "x0": c["x0"],
                "x1": c["x0"] + c["width"],
                "top": c["top"],
                "bottom": c["top"] + c["size"],
                "size": c["size"],
                "upright": c["upright"],
            }
            for c in made
        ]
    )
    assert table_cell_lines(boxes, chars, pdf.cell_lines) == per_cell(boxes, chars)


@pytest.mark.parametrize(
    "write", [write_pdf, write_merged_pdf, write_wrapped_pdf, write_demo_register], ids=lambda f: f.__name__
)
def test_cells_of_generated_pdfs_read_as_each_cell_alone(tmp_path: Path, write) -> None:
    path = write(tmp_path / "register.pdf")
    compared = 0
    for page in pdf_chars.pages(path):
        assert page is not None
        for table in page.find_tables() or page.find_tables(pdf.TEXT_STRATEGY):
            found = table_cell_lines(table.cells, page.columns, pdf.cell_lines)
            assert found == per_cell(table.cells, page.columns)
            compared += sum(cell is not None for cell in found.values())
    assert compared >= 5
