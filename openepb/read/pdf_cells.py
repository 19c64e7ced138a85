"""The lines and words of every cell of a table at once, on arrays of the page's chars.

``openepb.read.pdf`` reads a cell's text from its chars one cell at a time: ``chars_by_box`` gives
each box the chars whose centre lies in it, ``cell_lines`` groups them into lines by ``top`` and
into words by space chars and gaps. That is a handful of Python steps for every char of the page,
the larger part of reading a PDF after PDFium's own work. Here the same steps run over all the
table's chars together, as sorts and comparisons of numpy arrays, and Python only makes the words,
lines and cells themselves: the result is the same ``CellLines`` for every box, to the bit (the
same float arithmetic, ties kept in the same order), which ``tests/test_pdf_cells.py`` checks
against the per-cell reading.

The steps, as the per-cell functions take them:

* a char belongs to the boxes of a band (boxes of the same top and bottom) when its vertical centre
  lies in ``[top, bottom)``, and across to the box its anchor (centre, or a space's left edge)
  lies in; its order in a box is the order of vertical centres (ties: page order);
* a box's lines are its chars clustered by ``top``: a ``top`` more than ``Y_TOLERANCE`` below the
  one before it (in ``top`` order) starts a line; a line's chars run by ``x0`` (ties: box order);
* a word starts at a char that follows a space char, starts the line, or stands more than
  ``X_TOLERANCE`` right of the char before it; space chars belong to no word.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from pdfplumber.utils.text import LIGATURES

from openepb.read.pdf_chars import Chars

if TYPE_CHECKING:
    from openepb.read.pdf import CellLines

Box = tuple[float, float, float, float]
Char = dict[str, Any]

_LIGATURE_CHARS = frozenset("".join(LIGATURES))


def _floats(values: Sequence[float]) -> np.ndarray:
    return np.fromiter(values, dtype=np.float64, count=len(values))


def _medians(groups: np.ndarray, values: np.ndarray, count: int) -> np.ndarray:
    """Per group 0..count-1, the median of its values as ``statistics.median`` takes it (the middle
    value, or the mean of the two middle ones); NaN for a group without values."""
    order = np.lexsort((values, groups))
    ordered, grouped = values[order], groups[order]
    sizes = np.bincount(grouped, minlength=count)
    starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    medians = np.full(count, np.nan)
    has = sizes > 0
    upper = starts[has] + sizes[has] // 2
    odd = sizes[has] % 2 == 1
    lower = np.where(odd, upper, upper - 1)
    medians[has] = np.where(odd, ordered[upper], (ordered[lower] + ordered[upper]) / 2)
    return medians


def table_cell_lines(
    boxes: Sequence[Box], chars: Chars, one_cell: Callable[[Box, list[Char]], CellLines | None]
) -> dict[Box, CellLines | None]:
    """Every box's ``CellLines`` (None for a box without text), as ``one_cell(box, chars_by_box(...)
    [box])`` reads it; ``one_cell`` itself reads a box holding a char that is not upright."""
    from openepb.read.pdf import (
        FIT_SLACK,
        SPACE_EM,
        X_TOLERANCE,
        Y_TOLERANCE,
        CellLines,
        Line,
        Word,
    )

    unique = list(dict.fromkeys(boxes))
    result: dict[Box, CellLines | None] = dict.fromkeys(unique)
    n = len(chars)
    if not n or not unique:
        return result
    top, bottom, x0, x1 = _floats(chars.top), _floats(chars.bottom), _floats(chars.x0), _floats(chars.x1)
    texts = chars.text
    blank = np.fromiter(map(" ".__eq__, texts), dtype=bool, count=n)
    middle = (top + bottom) / 2
    order = np.argsort(middle, kind="stable")
    centres = middle[order]
    anchors = np.where(blank, x0, (x0 + x1) / 2)[order]

    # Which chars (by their place in ``order``) go to which box.
    box_id = {box: i for i, box in enumerate(unique)}
    bands: dict[tuple[float, float], set[Box]] = {}
    for box in unique:
        bands.setdefault((box[1], box[3]), set()).add(box)
    pair_boxes: list[np.ndarray] = []
    pair_places: list[np.ndarray] = []
    for (band_top, band_bottom), band in bands.items():
        start, end = np.searchsorted(centres, (band_top, band_bottom), side="left").tolist()
        if start >= end:
            continue
        row = sorted(band)
        across = anchors[start:end]
        if all(a[2] <= b[0] for a, b in zip(row, row[1:], strict=False)):
            lefts = np.array([box[0] for box in row], dtype=np.float64)
            rights = np.array([box[2] for box in row], dtype=np.float64)
            k = np.searchsorted(lefts, across, side="right") - 1
            inside = k >= 0
            inside[inside] = across[inside] < rights[k[inside]]
            ids = np.array([box_id[box] for box in row])
            pair_boxes.append(ids[k[inside]])
            pair_places.append(np.flatnonzero(inside) + start)
        else:
            for box in row:
                places = np.flatnonzero((box[0] <= across) & (across < box[2])) + start
                pair_boxes.append(np.full(len(places), box_id[box]))
                pair_places.append(places)
    if not pair_boxes:
        return result
    pbox = np.concatenate(pair_boxes)
    pplace = np.concatenate(pair_places)
    if not len(pbox):
        return result
    pchar = order[pplace]

    # A box holding a char that is not upright is read by ``one_cell``.
    upright = np.fromiter(chars.upright, dtype=bool, count=n)
    tilted = np.zeros(len(unique), dtype=bool)
    tilted[pbox[~upright[pchar]]] = True
    if tilted.any():
        dicts = chars.dicts()
        for i in np.flatnonzero(tilted).tolist():
            mine = np.sort(pplace[pbox == i])
            result[unique[i]] = one_cell(unique[i], [dicts[c] for c in order[mine].tolist()])
        keep = ~tilted[pbox]
        pbox, pplace, pchar = pbox[keep], pplace[keep], pchar[keep]
        if not len(pbox):
            return result

    # Lines: by box, then top; a top more than the tolerance below the one before starts a line.
    ptop = top[pchar]
    by_top = np.lexsort((pplace, ptop, pbox))
    tb, tt = pbox[by_top], ptop[by_top]
    starts_line = np.ones(len(tb), dtype=bool)
    starts_line[1:] = (tb[1:] != tb[:-1]) | (tt[1:] > tt[:-1] + Y_TOLERANCE)
    pline = np.empty(len(tb), dtype=np.int64)
    pline[by_top] = np.cumsum(starts_line) - 1

    # The sequence of every line's chars, left to right.
    px0 = x0[pchar]
    seq = np.lexsort((pplace, px0, pline))
    sline, schar = pline[seq], pchar[seq]
    sx0, sx1 = px0[seq], x1[schar]
    seq_texts = [texts[c] for c in schar.tolist()]
    sspace = np.fromiter(map(str.isspace, seq_texts), dtype=bool, count=len(seq_texts))
    m = len(seq)
    first_of_line = np.ones(m, dtype=bool)
    first_of_line[1:] = sline[1:] != sline[:-1]
    after_space = np.zeros(m, dtype=bool)
    after_space[1:] = sspace[:-1]
    gap = np.zeros(m, dtype=bool)
    gap[1:] = sx0[1:] > sx1[:-1] + X_TOLERANCE
    starts_word = ~sspace & (first_of_line | after_space | gap)
    word_first = np.flatnonzero(starts_word)
    solid = np.flatnonzero(~sspace)
    word_of_solid = np.cumsum(starts_word[solid]) - 1
    word_last = solid[np.r_[np.flatnonzero(np.diff(word_of_solid)), len(solid) - 1]] if len(solid) else solid

    joined = "".join(seq_texts)
    firsts, lasts = word_first.tolist(), word_last.tolist()
    if len(joined) == m:  # one code point a char (always so on PDFium's chars)
        begins, ends = firsts, (word_last + 1).tolist()
    else:
        lengths = np.fromiter(map(len, seq_texts), dtype=np.int64, count=m)
        offsets = np.concatenate(([0], np.cumsum(lengths)))
        begins, ends = offsets[word_first].tolist(), offsets[word_last + 1].tolist()
    fx0, fx1, lx1 = sx0[word_first].tolist(), sx1[word_first].tolist(), sx1[word_last].tolist()
    word_lines = sline[word_first].tolist()
    words_of_line: dict[int, list[Word]] = {}
    for w, (begin, end) in enumerate(zip(begins, ends, strict=True)):
        text = joined[begin:end]
        if not _LIGATURE_CHARS.isdisjoint(text):
            text = "".join(LIGATURES.get(t, t) for t in seq_texts[firsts[w] : lasts[w] + 1])
        words_of_line.setdefault(word_lines[w], []).append(Word(text, fx0[w], lx1[w], fx1[w] - fx0[w]))

    # Each line's last char (a kept space?) and the box it is in, lines in order.
    line_last = np.r_[np.flatnonzero(sline[1:] != sline[:-1]), m - 1]
    last_space = sspace[line_last].tolist()
    last_x0 = sx0[line_last].tolist()
    line_ids = sline[line_last].tolist()
    line_box = pbox[seq][line_last].tolist()
    lines_of_box: dict[int, list[Line]] = {}
    for line, space, lx0, b in zip(line_ids, last_space, last_x0, line_box, strict=True):
        words = words_of_line.get(line)
        if words:
            trailing = space and lx0 >= words[-1].x1 - FIT_SLACK
            lines_of_box.setdefault(b, []).append(Line(tuple(words), trailing))

    # The cells' measures over all their chars.
    count = len(unique)
    left = np.full(count, np.inf)
    np.minimum.at(left, pbox, px0)
    low = np.full(count, -np.inf)
    np.maximum.at(low, pbox, bottom[pchar])
    sizes = _medians(pbox, _floats(chars.size)[pchar], count)
    widths = x1[pchar] - px0
    measured = blank[pchar] & (x1[pchar] > px0)
    spaces = _medians(pbox[measured], widths[measured], count)
    left_l, low_l, size_l, space_l = left.tolist(), low.tolist(), sizes.tolist(), spaces.tolist()
    for b, lines in lines_of_box.items():
        box = unique[b]
        padding = left_l[b] - box[0]
        size = size_l[b]
        space = space_l[b] if space_l[b] == space_l[b] else SPACE_EM * size
        full = box[3] - low_l[b] < size
        result[box] = CellLines(tuple(lines), box[2] - box[0] - 2 * padding, space, full)
    return result
