"""Partially ruled tables: columns a ruled grid fuses, split again where the figures line up.

Many statistical tables rule only between groups of columns: a 「Male Female」 pair under each
year, a vertical rule only before the next year. The grid then has one column per group and
each body cell holds two figures. Inside such a ruled column, when the body cells break into
figures at the same gaps, the column is split there; a header centred over the group (its
words cross the gap) spans the new columns, a header printed over each (「Male」「Female」)
is split like the figures. A column of labels and amounts (a budget book's 説明: 「均等割
399,000」) is never split: only figures beside figures make a fused column.
"""

from __future__ import annotations

import statistics
from typing import Any

from transforms.extract.words import centre_inside, line_text, lines_of
from transforms.normalize.figures import is_numeric

# Share of a column's figure cells that must break at the same gaps.
MIN_FUSED_SHARE = 0.6
MIN_FUSED_CELLS = 2


def _cell_words(box: Any, words: list[dict]) -> list[dict]:
    return [w for w in words if centre_inside(w, [box])] if box else []


def _column_words(boxes: list[list[Any]], c: int, words: list[dict]) -> list[dict]:
    """The words whose centre lies within column `c`'s x-range (with the slack of
    `centre_inside`): every word of one of its cells, found in one pass over the page's words
    instead of one pass per cell."""
    column = [row[c] for row in boxes if c < len(row) and row[c]]
    if not column:
        return []
    lo, hi = min(b[0] for b in column) - 1, max(b[2] for b in column) + 1
    return [w for w in words if lo <= (w["x0"] + w["x1"]) / 2 <= hi]


def _fused(words: list[dict]) -> bool:
    """Every line of the cell is figures only, and some line holds two or more."""
    lines = lines_of(words)
    return (
        bool(lines)
        and all(all(is_numeric(w["text"]) for w in line) for line in lines)
        and any(len(line) >= 2 for line in lines)
    )


def _gaps(words: list[dict], min_width: float) -> list[float]:
    """The centres of the x-ranges no word covers, between the first word and the last."""
    spans = sorted((w["x0"], w["x1"]) for w in words)
    cuts: list[float] = []
    reach = spans[0][1]
    for x0, x1 in spans[1:]:
        if x0 - reach >= min_width:
            cuts.append((reach + x0) / 2)
        reach = max(reach, x1)
    return cuts


def _column_cuts(
    rows: list[list[str | None]], boxes: list[list[Any]], c: int, words: list[dict], gap: float
) -> tuple[list[float], int]:
    """Where column `c` splits (the gaps its fused figure cells all leave free, or none) and
    the first row holding such a cell (the rows above it are the column's headings)."""
    figures = 0
    fused: list[dict] = []
    cells = 0
    first = len(rows)
    for r, row in enumerate(rows):
        text = row[c]
        own = c + 1 >= len(row) or row[c + 1] is not None
        if not text or not own or not is_numeric(text.replace("\n", " ")):
            continue
        figures += 1
        mine = _cell_words(boxes[r][c], words)
        if _fused(mine):
            fused += mine
            cells += 1
            first = min(first, r)
    if cells < MIN_FUSED_CELLS or cells < MIN_FUSED_SHARE * figures:
        return [], first
    size = statistics.median(float(w.get("size") or (w["bottom"] - w["top"])) for w in fused)
    return _gaps(fused, gap * 0.5 * size), first


def _split_cell(
    text: str | None, box: Any, words: list[dict], cuts: list[float], heading: bool
) -> tuple[list[str | None], list[Any]]:
    """A cell of the fused column as its parts, one per new column. Each word goes to the
    part it starts in and spans the parts it runs over (「Revenue」 centred over two); a
    heading (`heading`: above the figures, or spanning into the next column) printed once for
    the whole group spans all the parts (text in the first, None in the others)."""
    n = len(cuts) + 1
    if text is None:
        return [None] * n, [None] * n
    edges = [box[0] if box else cuts[0] - 1, *cuts, box[2] if box else cuts[-1] + 1]
    mine = _cell_words(box, words)
    if not mine:
        return [text] + [None] * (n - 1), [box] + [None] * (n - 1)
    first = [max(k for k in range(n) if edges[k] <= w["x0"] + 0.5 or k == 0) for w in mine]
    last = [max(k for k in range(n) if edges[k] < w["x1"] - 0.5 or k == 0) for w in mine]
    by_part = [[w for w, f in zip(mine, first, strict=True) if f == k] for k in range(n)]
    if heading and sum(1 for ws in by_part if ws) < 2:
        # a heading over the group (「2010」), not one per new column: it spans them
        return [text] + [None] * (n - 1), [box] + [None] * (n - 1)
    covered = {k for f, lst in zip(first, last, strict=True) for k in range(f + 1, lst + 1)}
    parts: list[str | None] = []
    for k, ws in enumerate(by_part):
        parts.append(line_text(lines_of(ws)) if ws else (None if k in covered else ""))
    part_boxes = [
        (edges[k], box[1], edges[k + 1], box[3]) if box and parts[k] is not None else None
        for k in range(n)
    ]
    return parts, part_boxes


def split_fused_columns(
    rows: list[list[str | None]], boxes: list[list[Any]], words: list[dict], gap: float
) -> tuple[list, list]:
    """The grid with each fused column split (see the module doc). `gap` is the column gap in
    font sizes (`TableSettings.column_gap`)."""
    n_cols = max((len(r) for r in rows), default=0)
    c = n_cols - 1
    rows = [list(r) for r in rows]
    boxes = [list(b) for b in boxes]
    while c >= 0:
        column_words = _column_words(boxes, c, words)
        cuts, first = _column_cuts(rows, boxes, c, column_words, gap)
        if cuts:
            for r in range(len(rows)):
                box = boxes[r][c] if c < len(boxes[r]) else None
                spans_right = c + 1 < len(rows[r]) and rows[r][c + 1] is None
                heading = r < first or spans_right
                parts, part_boxes = _split_cell(rows[r][c], box, column_words, cuts, heading)
                rows[r][c : c + 1] = parts
                boxes[r][c : c + 1] = part_boxes
        c -= 1
    return rows, boxes
