"""A table's grid in, cell records out: header paths, row labels, units and amounts.

Header rows are the leading rows with no figures in them; each column's header is the path of
their texts joined " / " (a cell spanning several columns gives its text to each, so a column
under 「本年度予算額の財源内訳」 and 「特定財源」 gets 「本年度予算額の財源内訳 / 特定財源 / 国県支出金」).

Spanned positions: the grid has None where a cell spanning from the left or from above covers
the position. Every position gets a record; a covered one carries the spanning cell's text with
``spanned`` true, so filtering ``NOT spanned`` gives each printed cell exactly once.

A unit stated for the whole table (caption 「（単位：千円）」), for a column (header
「予算額（千円）」) or in the cell itself (a 「千円」 line above the figure, as budget books print
it in the first row) applies to the figure unless a nearer statement overrides it.
"""

from __future__ import annotations

import re
import statistics

from transforms.amounts import find_unit, parse_amount
from transforms.text import normalize_text

# A line that states only a unit: 「千円」「（千円）」「単位：円」.
_UNIT_LINE = re.compile(
    r"^[（(]?\s*(?:単位\s*[:：]\s*)?(千円|百万円|万円|億円|兆円|円|%|％|人|件)\s*[)）]?$"
)
# Columns that number things (款 1, 項 2, No. 3) hold ordinals, never amounts in the table's unit.
_ORDINAL_HEADER = re.compile(r"^(款|項|目|節|番号|通番|連番|順位|No\.?|NO\.?|№|#|コード)$")
# 「001 給与費 448,879」: a Japanese label and the amount printed after it in the same cell.
_LABELLED_FIGURE = re.compile(
    r"^(?P<label>.*[\u3040-\u30ff\u3400-\u9fff].*?)\s+(?P<figure>[△▲\-−]?\s*[0-9][0-9,]*(?:\.[0-9]+)?)$"
)


def _owner_of(
    rows: list[list[str | None]],
    boxes: list[list],
    r: int,
    c: int,
    col_x: list[float | None],
    row_pages: list | None,
) -> tuple[int, int] | None:
    """The origin of the cell covering a None position: the one whose box reaches over it
    (boxes of rows on different pages are not compared)."""
    in_row = [b for b in boxes[r] if b] if r < len(boxes) else []
    x = col_x[c] if c < len(col_x) else None
    y = statistics.median((b[1] + b[3]) / 2 for b in in_row) if in_row else None
    for k in range(c - 1, -1, -1):
        box = boxes[r][k] if k < len(boxes[r]) else None
        if rows[r][k] is not None and box is not None:
            if x is not None and box[2] > x:
                return (r, k)
            break
    for k in range(r - 1, -1, -1):
        box = boxes[k][c] if c < len(boxes[k]) else None
        if rows[k][c] is not None and box is not None:
            same_page = not row_pages or row_pages[k] == row_pages[r]
            if y is not None and same_page and box[3] > y:
                return (k, c)
            break
    return None


def _filled(
    rows: list[list[str | None]], boxes: list[list] | None = None, row_pages: list | None = None
) -> list[list[str | None]]:
    """Carry a spanned cell's text into the positions it spans (pdfplumber gives None there).

    With cell boxes the spanning cell is the one whose box covers the position; without, the
    nearest cell to the left, else above.
    """
    grid = [list(row) for row in rows]
    boxes = boxes or []
    n_cols = max((len(r) for r in rows), default=0)
    col_x: list[float | None] = []
    for c in range(n_cols):
        in_col = [row[c] for row in boxes if c < len(row) and row[c]]
        col_x.append(statistics.median((b[0] + b[2]) / 2 for b in in_col) if in_col else None)
    for r, row in enumerate(grid):
        for c, cell in enumerate(row):
            if cell is not None:
                continue
            owner = _owner_of(rows, boxes, r, c, col_x, row_pages) if boxes else None
            if owner is not None:
                grid[r][c] = grid[owner[0]][owner[1]]
            elif c > 0 and grid[r][c - 1] is not None:
                grid[r][c] = grid[r][c - 1]
            elif r > 0 and c < len(grid[r - 1]) and grid[r - 1][c] is not None:
                grid[r][c] = grid[r - 1][c]
    return grid


def _is_figure(text: str | None) -> bool:
    return bool(text) and parse_amount(text).value is not None


def split_cell_unit(text: str | None) -> tuple[str | None, str | None]:
    """(text without unit-only lines, the unit they state): 「千円\\n488,451」 → ("488,451", "千円")."""
    if not text:
        return text, None
    unit = None
    kept = []
    for line in text.split("\n"):
        match = _UNIT_LINE.match(line.strip())
        if match and unit is None:
            unit = "%" if match.group(1) == "％" else match.group(1)
        else:
            kept.append(line)
    return "\n".join(kept), unit


def _amount_text(raw: str | None) -> str | None:
    """The part of a cell that is its figure: the whole cell, or the amount printed after a
    Japanese label (「002 一般職 １１人 96,733」 → 「96,733」) on the cell's first line that has
    one; later lines of such a cell are working (「421,072×1／2」), not the amount."""
    text = normalize_text(raw, join_lines=True)
    if not text or _is_figure(text):
        return text
    for line in (raw or "").split("\n"):
        line = normalize_text(line, join_lines=True) or ""
        if _is_figure(line):
            return line
        match = _LABELLED_FIGURE.match(line)
        if match:
            return match.group("figure")
    return text


def _label_text(raw: str | None) -> str | None:
    """The cell as a row label: its text when it is not a figure, or the label part of a
    「label amount」 line (「002 一般職 １１人 96,733」 → 「002 一般職 11人」)."""
    text = normalize_text(raw, join_lines=True)
    if not text or _is_figure(text):
        return None
    for line in (raw or "").split("\n"):
        match = _LABELLED_FIGURE.match(normalize_text(line, join_lines=True) or "")
        if match:
            return match.group("label").strip()
    return text


def count_header_rows(rows: list[list[str | None]]) -> int:
    """Leading rows without any figure are headers (at most 4, and never the whole table)."""
    count = 0
    for row in rows[: min(4, len(rows) - 1)]:
        cells = [c for c in row if c and c.strip()]
        if not cells or any(_is_figure(_amount_text(split_cell_unit(c)[0])) for c in cells):
            break
        if all(not split_cell_unit(c)[0] for c in cells):
            break  # a row of 「千円」 notes opens the body: it states the columns' units
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


def table_cells(
    table: dict, table_unit: str | None, column_units: list[str | None] | None = None
) -> tuple[list[dict], int]:
    """Cell records (without source/doc ids) for one table, and its number of header rows.

    `column_units`, when given, holds units already known for the columns (from an earlier
    block of the same form); it is updated in place with the units this table states.
    """
    rows: list[list[str | None]] = table["rows"]
    boxes = table.get("cell_boxes") or []
    grid = _filled(rows, boxes, table.get("row_pages"))
    header_rows = table.get("header_rows")
    if header_rows is None:
        header_rows = count_header_rows(grid)
    headers = header_paths(grid, header_rows)
    known = list(column_units or [])
    units = [find_unit(h) or (known[c] if c < len(known) else None) for c, h in enumerate(headers)]
    if column_units is None:
        column_units = []
    column_units[:] = units
    pages = table.get("row_pages") or [table.get("page_number")] * len(rows)
    cells: list[dict] = []
    for r, row in enumerate(rows):
        label = None
        if r >= header_rows:
            for raw in grid[r]:
                label = _label_text(split_cell_unit(raw)[0])
                if label:
                    break
        for c, raw in enumerate(row):
            spanned = raw is None and grid[r][c] is not None
            text_raw = grid[r][c]
            text = normalize_text(text_raw, join_lines=True)
            is_header = r < header_rows
            amount = None
            if not is_header:
                figure_raw, cell_unit = split_cell_unit(text_raw)
                if cell_unit and c < len(column_units) and not spanned:
                    # budget books print the unit once, in the column's first figure cell
                    column_units[c] = cell_unit
                unit = cell_unit or (
                    column_units[c] if c < len(column_units) and column_units[c] else table_unit
                )
                if c < len(headers) and _ORDINAL_HEADER.match(headers[c].split(" / ")[-1]):
                    unit = None
                amount = parse_amount(_amount_text(figure_raw), unit)
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
