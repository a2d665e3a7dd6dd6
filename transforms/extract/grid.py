"""Small facts about grids and boxes that ruled and unruled tables share."""

from __future__ import annotations

from pdfplumber.utils import calculate_area, get_bbox_overlap


def blank(cell: str | None) -> bool:
    """A grid position with no text (a spanned position included)."""
    return cell is None or not cell.strip()


def is_degenerate(rows: list[list[str | None]]) -> bool:
    """A grid with fewer than two filled rows or two filled columns is a frame or a box around
    prose, not a table."""
    filled_rows = sum(1 for row in rows if sum(not blank(c) for c in row) >= 1)
    filled_cols = {c for row in rows for c, cell in enumerate(row) if not blank(cell)}
    return filled_rows < 2 or len(filled_cols) < 2


def covered(inner: tuple, outer: tuple, share: float = 0.8) -> bool:
    """Does `outer` cover at least `share` of `inner`'s area?"""
    overlap = get_bbox_overlap(inner, outer)
    area = calculate_area(inner)
    return area > 0 and overlap is not None and calculate_area(overlap) >= share * area
