"""A table's grid in, cell records out: header paths, row labels, units and amounts.

Header rows are the leading rows with no figures in them; each column's header is the path of
their texts joined " / " (a cell spanning several columns gives its text to each). A unit stated
for the whole table (caption 「（単位：千円）」) or for a column (header 「予算額（千円）」) applies to
every figure below it unless the cell states its own.
"""

from __future__ import annotations

from transforms.amounts import find_unit, parse_amount
from transforms.text import normalize_text


def _filled(rows: list[list[str | None]]) -> list[list[str | None]]:
    """Carry a spanned cell's text into the positions it spans (pdfplumber gives None there)."""
    grid = [list(row) for row in rows]
    for r, row in enumerate(grid):
        for c, cell in enumerate(row):
            if cell is None:
                if c > 0 and grid[r][c - 1] is not None:
                    grid[r][c] = grid[r][c - 1]
                elif r > 0 and c < len(grid[r - 1]) and grid[r - 1][c] is not None:
                    grid[r][c] = grid[r - 1][c]
    return grid


def _is_figure(text: str | None) -> bool:
    return bool(text) and parse_amount(text).value is not None


def count_header_rows(rows: list[list[str | None]]) -> int:
    """Leading rows without any figure are headers (at most 4, and never the whole table)."""
    count = 0
    for row in rows[: min(4, len(rows) - 1)]:
        texts = [c for c in row if c and c.strip()]
        if not texts or any(_is_figure(t) for t in texts):
            break
        count += 1
    return count


def header_paths(grid: list[list[str | None]], header_rows: int) -> list[str]:
    """Column header paths: the texts of the header rows in that column, joined " / "."""
    n_cols = max((len(r) for r in grid), default=0)
    paths: list[str] = []
    for c in range(n_cols):
        parts: list[str] = []
        for r in range(header_rows):
            text = normalize_text(grid[r][c] if c < len(grid[r]) else None, join_lines=True)
            if text and (not parts or parts[-1] != text):
                parts.append(text)
        paths.append(" / ".join(parts))
    return paths


def table_cells(table: dict, table_unit: str | None) -> tuple[list[dict], int]:
    """Cell records (without source/doc ids) for one table, and its number of header rows."""
    rows: list[list[str | None]] = table["rows"]
    boxes = table.get("cell_boxes") or []
    grid = _filled(rows)
    header_rows = count_header_rows(grid)
    headers = header_paths(grid, header_rows)
    column_units = [find_unit(h) for h in headers]
    pages = table.get("row_pages") or [table.get("page_number")] * len(rows)
    cells: list[dict] = []
    for r, row in enumerate(rows):
        label = None
        if r >= header_rows:
            for raw in grid[r]:
                text = normalize_text(raw, join_lines=True)
                if text and not _is_figure(raw):
                    label = text
                    break
        for c, raw in enumerate(row):
            spanned = raw is None and grid[r][c] is not None
            text_raw = grid[r][c]
            text = normalize_text(text_raw, join_lines=True)
            is_header = r < header_rows
            unit = column_units[c] if c < len(column_units) and column_units[c] else table_unit
            # parse the raw text: parse_amount normalizes it itself and can still tell a list
            # number ⑴ from a parenthesized figure (1), which normalized text cannot
            amount = parse_amount(text_raw, unit) if not is_header else None
            box = boxes[r][c] if r < len(boxes) and c < len(boxes[r]) else None
            cells.append(
                {
                    "page_number": pages[r],
                    "row": r,
                    "col": c,
                    "header": headers[c] if c < len(headers) and headers[c] else None,
                    "row_label": label,
                    "text_raw": text_raw,
                    "text": text,
                    "value": amount.value if amount else None,
                    "unit": (amount.unit if amount and amount.value is not None else None),
                    "value_yen": amount.value_yen if amount else None,
                    "is_header": is_header,
                    "spanned": spanned,
                    "note": amount.note if amount else None,
                    "x0": box[0] if box else None,
                    "top": box[1] if box else None,
                    "x1": box[2] if box else None,
                    "bottom": box[3] if box else None,
                }
            )
    return cells, header_rows
