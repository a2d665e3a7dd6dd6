"""Find tables on a pdfplumber page and return them as plain grids with their geometry.

Ruled grids (the common case in Japanese government PDFs, which are mostly Excel/Word exports)
are found from ruling lines. Each table comes with the text just above it, where captions and
「（単位：千円）」 notes live.
"""

from __future__ import annotations

from typing import Any

# Settings are explicit dicts with documented defaults, as in pdfplumber itself.
DEFAULT_TABLE_SETTINGS: dict[str, Any] = {
    "vertical_strategy": "lines",
    "horizontal_strategy": "lines",
    "snap_tolerance": 3,
    "join_tolerance": 3,
    "intersection_tolerance": 3,
    "text_x_tolerance": 2,
    "text_y_tolerance": 2,
}
# How far above a table (in points) a caption or unit note may be.
CAPTION_ZONE = 36.0


def _caption_above(page: Any, bbox: tuple[float, float, float, float]) -> str:
    x0, top, x1, _ = bbox
    zone_top = max(0.0, top - CAPTION_ZONE)
    if top - zone_top < 2:
        return ""
    region = page.crop((0, zone_top, float(page.width), top - 0.5), strict=False)
    return (region.extract_text() or "").strip()


def _is_degenerate(rows: list[list[str | None]]) -> bool:
    """A grid with no text, or a single cell, is a frame or a box around prose, not a table."""
    filled = sum(1 for row in rows for cell in row if cell and cell.strip())
    n_cols = max((len(r) for r in rows), default=0)
    return filled == 0 or len(rows) * n_cols < 2


def find_tables(page: Any, settings: dict | None = None) -> list[dict]:
    """Tables on `page` as dicts: bbox, rows (cell text or None for a spanned position), cell boxes."""
    options = {**DEFAULT_TABLE_SETTINGS, **(settings or {})}
    found: list[dict] = []
    for table in page.find_tables(options):
        rows = table.extract(x_tolerance=options["text_x_tolerance"], y_tolerance=options["text_y_tolerance"])
        if _is_degenerate(rows):
            continue
        cell_boxes = [[cell for cell in row.cells] for row in table.rows]
        bbox = tuple(float(v) for v in table.bbox)
        found.append(
            {
                "bbox": bbox,
                "rows": rows,
                "cell_boxes": [[tuple(map(float, c)) if c else None for c in row] for row in cell_boxes],
                "caption": _caption_above(page, bbox),
                "strategy": "lines",
            }
        )
    return found
