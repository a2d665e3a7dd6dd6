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

from typing import Any

from transforms.extract.words import centre_inside, line_text, lines_of, segments
from transforms.normalize.figures import is_numeric

# Share of a column's figure cells that must break at the same gaps.
MIN_FUSED_SHARE = 0.6
MIN_FUSED_CELLS = 2


def _cell_words(box: Any, words: list[dict]) -> list[dict]:
    return [w for w in words if centre_inside(w, [box])] if box else []


def _fused_cuts(words: list[dict], gap: float) -> list[tuple[float, float]] | None:
    """The gaps (x-ranges) between the figures of a cell whose every line is figures side by
    side, or None when it is not such a cell."""
    cuts: list[tuple[float, float]] | None = None
    for line in lines_of(words):
        size = float(line[0].get("size") or (line[0]["bottom"] - line[0]["top"]))
        segs = segments({"words": line, "size": size}, gap)
        if not all(is_numeric(s["text"]) for s in segs):
            return None
        if len(segs) < 2:
            continue
        mine = [(a["x1"], b["x0"]) for a, b in zip(segs, segs[1:], strict=False)]
        if cuts is None:
            cuts = mine
        elif len(mine) != len(cuts):
            return None
        else:
            cuts = [(max(a[0], b[0]), min(a[1], b[1])) for a, b in zip(cuts, mine, strict=True)]
    return cuts


def _column_cuts(
    rows: list[list[str | None]], boxes: list[list[Any]], c: int, words: list[dict], gap: float
) -> tuple[list[float], int]:
    """Where column `c` splits (the common gaps of its fused figure cells, or none) and the
    first row holding such a cell (the rows above it are the column's headings)."""
    figures = fused = 0
    first = len(rows)
    common: list[tuple[float, float]] | None = None
    for r, row in enumerate(rows):
        text = row[c]
        own = c + 1 >= len(row) or row[c + 1] is not None
        if not text or not own or not is_numeric(text.replace("\n", " ")):
            continue
        figures += 1
        cuts = _fused_cuts(_cell_words(boxes[r][c], words), gap)
        if not cuts:
            continue
        fused += 1
        first = min(first, r)
        if common is None:
            common = cuts
        elif len(common) != len(cuts):
            return [], first
        else:
            common = [(max(a[0], b[0]), min(a[1], b[1])) for a, b in zip(common, cuts, strict=True)]
    if common is None or fused < MIN_FUSED_CELLS or fused < MIN_FUSED_SHARE * figures:
        return [], first
    if any(lo >= hi for lo, hi in common):
        return [], first
    return [(lo + hi) / 2 for lo, hi in common], first


def _split_cell(
    text: str | None, box: Any, words: list[dict], cuts: list[float], heading: bool
) -> tuple[list[str | None], list[Any]]:
    """A cell of the fused column as its parts, one per new column. A cell whose words cross
    a cut, and a heading (`heading`: above the figures, or spanning into the next column) not
    printed once per new column, span the new columns (text in the first, None in the others)."""
    n = len(cuts) + 1
    if text is None:
        return [None] * n, [None] * n
    edges = [box[0] if box else cuts[0] - 1, *cuts, box[2] if box else cuts[-1] + 1]
    mine = _cell_words(box, words)
    crossing = any(w["x0"] < x < w["x1"] for w in mine for x in cuts)
    if crossing or not mine:
        spanned_boxes = [box] + [None] * (n - 1)
        return [text] + [None] * (n - 1), spanned_boxes
    by_part = [
        [w for w in mine if edges[k] <= (w["x0"] + w["x1"]) / 2 < edges[k + 1]] for k in range(n)
    ]
    if heading and sum(1 for ws in by_part if ws) < 2:
        # a heading over the group (「2010」), not one per new column: it spans them
        return [text] + [None] * (n - 1), [box] + [None] * (n - 1)
    parts = [line_text(lines_of(ws)) if ws else "" for ws in by_part]
    part_boxes = [(edges[k], box[1], edges[k + 1], box[3]) if box else None for k in range(n)]
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
        cuts, first = _column_cuts(rows, boxes, c, words, gap)
        if cuts:
            for r in range(len(rows)):
                box = boxes[r][c] if c < len(boxes[r]) else None
                spans_right = c + 1 < len(rows[r]) and rows[r][c + 1] is None
                heading = r < first or spans_right
                parts, part_boxes = _split_cell(rows[r][c], box, words, cuts, heading)
                rows[r][c : c + 1] = parts
                boxes[r][c : c + 1] = part_boxes
        c -= 1
    return rows, boxes
