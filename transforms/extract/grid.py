"""Small facts about grids and boxes that ruled and unruled tables share."""

from __future__ import annotations

from typing import Any

from pdfplumber.utils import calculate_area, get_bbox_overlap


def is_white(color: Any) -> bool:
    """A colour that prints nothing on white paper (RGB or grey near 1, CMYK near 0)."""
    if color is None:
        return False
    values = color if isinstance(color, list | tuple) else (color,)
    try:
        numbers = [float(v) for v in values]
    except (TypeError, ValueError):
        return False
    if len(numbers) == 4:  # CMYK: white is no ink
        return all(v <= 0.02 for v in numbers)
    return bool(numbers) and all(v >= 0.98 for v in numbers)


def blank(cell: str | None) -> bool:
    """A grid position with no text (a spanned position included)."""
    return cell is None or not cell.strip()


def is_degenerate(rows: list[list[str | None]]) -> bool:
    """A grid with fewer than two filled rows or two filled columns is a frame or a box around
    prose, not a table."""
    filled_rows = sum(1 for row in rows if sum(not blank(c) for c in row) >= 1)
    filled_cols = {c for row in rows for c, cell in enumerate(row) if not blank(cell)}
    return filled_rows < 2 or len(filled_cols) < 2


def is_small_table(rows: list[list[str | None]], is_figure: Any) -> bool:
    """A ruled box that is a table although it has one row or one column: a label beside
    figures (one line of a form, a block cut by the page's foot) or a label above one figure
    (「うち重症者 / 0」). `is_figure` says whether a cell's text is a figure."""
    filled = [[c for c in row if not blank(c)] for row in rows]
    filled = [cells for cells in filled if cells]
    if len(filled) == 1:
        cells = filled[0]
        return len(cells) >= 2 and any(is_figure(c) for c in cells[1:]) and not is_figure(cells[0])
    if len(filled) == 2 and all(len(cells) == 1 for cells in filled):
        label, figure = filled[0][0], filled[1][0]
        return not is_figure(label) and is_figure(figure) and len(label) <= 20
    return False


def covered(inner: tuple, outer: tuple, share: float = 0.8) -> bool:
    """Does `outer` cover at least `share` of `inner`'s area?"""
    overlap = get_bbox_overlap(inner, outer)
    area = calculate_area(inner)
    return area > 0 and overlap is not None and calculate_area(overlap) >= share * area
