"""A table's grid in, cell records out: each cell read once, spans filled, figures parsed.

Every printed cell is normalized exactly once, into a `CellText` that says what the cell is as
text, as a figure (its amount part) and as a row label; headers, stitching and cell records all
read that. Spanned positions: the grid has None where a cell spanning from the left or from above
covers the position. Every position gets a record; a covered one carries the spanning cell's text
with ``spanned`` true, so filtering ``NOT spanned`` gives each printed cell exactly once.

A unit stated for the whole table (caption 「（単位：千円）」), for a column (header
「予算額（千円）」) or in the cell itself (a 「千円」 line above the figure, as budget books print
it in the first row) applies to the figure unless a nearer statement overrides it.
"""

from __future__ import annotations

import re
import statistics
from dataclasses import dataclass

from transforms.normalize.amounts import find_unit, parse_amount
from transforms.normalize.figures import is_figure, labelled_figure
from transforms.normalize.text import join_cell_lines, normalize_lines, normalize_text

# A line that states only a unit: 「千円」「（千円）」「単位：円」.
_UNIT_LINE = re.compile(
    r"^[（(]?\s*(?:単位\s*[:：]\s*)?(千円|百万円|万円|億円|兆円|円|%|％|人|件)\s*[)）]?$"
)
# Columns that number things (款 1, 項 2, No. 3) hold ordinals, never amounts in the table's unit.
_ORDINAL_HEADER = re.compile(r"^(款|項|目|節|番号|通番|連番|順位|No\.?|NO\.?|№|#|コード)$")


@dataclass(frozen=True, slots=True)
class CellText:
    """One printed cell, read once: as extracted, as text, and what it says as figure and label.

    `unit` is the unit a unit-only line of the cell states (「千円\\n488,451」 → 千円); `body` is
    the text without that line (empty when the cell is only a unit note); `figure` is the part
    that is the cell's amount (the whole body, or the figure after a Japanese label on its first
    line that has one: 「002 一般職 １１人 96,733」 → 「96,733」); `label` is the cell as a row
    label (None for a figure).
    """

    raw: str
    text: str
    unit: str | None
    body: str
    figure: str
    label: str | None

    @property
    def is_figure(self) -> bool:
        return is_figure(self.figure, normalized=True)


def read_cell(raw: str) -> CellText:
    """Normalize a cell once and read its unit note, figure and label from the normalized lines."""
    raw_lines = raw.split("\n")
    lines = normalize_lines(raw)
    if len(lines) != len(raw_lines):  # exotic line separators: read each printed line alone
        lines = [normalize_text(line, join_lines=True) or "" for line in raw_lines]
    text = join_cell_lines(lines)
    unit = None
    kept: list[str] = []
    for raw_line, line in zip(raw_lines, lines, strict=True):
        match = _UNIT_LINE.match(raw_line.strip())
        if match and unit is None:
            unit = "%" if match.group(1) == "％" else match.group(1)
        else:
            kept.append(line)
    body = join_cell_lines(kept) if unit else text
    figure, label = body, body or None
    if body and is_figure(body, normalized=True):
        label = None
    elif body:
        for line in kept:
            if not line:
                continue
            if is_figure(line, normalized=True):
                figure = line
                break
            pair = labelled_figure(line)
            if pair:
                figure = pair[1]
                break
        labelled = next((p for line in kept if line and (p := labelled_figure(line))), None)
        if labelled:
            label = labelled[0]
    return CellText(raw, text, unit, body, figure, label)


TextGrid = list[list[CellText | None]]


def read_grid(rows: list[list[str | None]]) -> TextGrid:
    """Every cell of a grid read once; None (a spanned position) stays None."""
    return [[None if cell is None else read_cell(cell) for cell in row] for row in rows]


def _owner_of(
    texts: TextGrid,
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
        if texts[r][k] is not None and box is not None:
            if x is not None and box[2] > x:
                return (r, k)
            break
    for k in range(r - 1, -1, -1):
        box = boxes[k][c] if c < len(boxes[k]) else None
        if texts[k][c] is not None and box is not None:
            same_page = not row_pages or row_pages[k] == row_pages[r]
            if y is not None and same_page and box[3] > y:
                return (k, c)
            break
    return None


def fill_spans(
    texts: TextGrid, boxes: list[list] | None = None, row_pages: list | None = None
) -> TextGrid:
    """Carry a spanning cell into the positions it covers (pdfplumber gives None there).

    With cell boxes the spanning cell is the one whose box covers the position; without, the
    nearest cell to the left, else above.
    """
    grid = [list(row) for row in texts]
    boxes = boxes or []
    n_cols = max((len(r) for r in texts), default=0)
    col_x: list[float | None] = []
    for c in range(n_cols):
        in_col = [row[c] for row in boxes if c < len(row) and row[c]]
        col_x.append(statistics.median((b[0] + b[2]) / 2 for b in in_col) if in_col else None)
    for r, row in enumerate(grid):
        for c, cell in enumerate(row):
            if cell is not None:
                continue
            owner = _owner_of(texts, boxes, r, c, col_x, row_pages) if boxes else None
            if owner is not None:
                grid[r][c] = grid[owner[0]][owner[1]]
            elif c > 0 and grid[r][c - 1] is not None:
                grid[r][c] = grid[r][c - 1]
            elif r > 0 and c < len(grid[r - 1]) and grid[r - 1][c] is not None:
                grid[r][c] = grid[r - 1][c]
    return grid


def count_header_rows(texts: TextGrid) -> int:
    """Leading rows without any figure are headers (at most 4, and never the whole table)."""
    count = 0
    for row in texts[: min(4, len(texts) - 1)]:
        cells = [c for c in row if c is not None and c.raw.strip()]
        if not cells or any(c.is_figure for c in cells):
            break
        if all(not c.body for c in cells):
            break  # a row of 「千円」 notes opens the body: it states the columns' units
        count += 1
    return count


def header_paths(grid: TextGrid, header_rows: int) -> list[str]:
    """Column header paths: the texts of the header rows in that column, joined " / "."""
    n_cols = max((len(r) for r in grid), default=0)
    paths: list[str] = []
    for c in range(n_cols):
        parts: list[str] = []
        for r in range(header_rows):
            cell = grid[r][c] if c < len(grid[r]) else None
            text = cell.text if cell is not None else None
            if text and (not parts or parts[-1] != text):
                parts.append(text)
        paths.append(" / ".join(parts))
    return paths


@dataclass(frozen=True, slots=True)
class TableGrid:
    """What `table_cells` needs of a (stitched) table."""

    texts: TextGrid
    boxes: list[list]
    row_pages: list[int]


def _row_label(row: list[CellText | None]) -> str | None:
    for cell in row:
        if cell is not None and cell.label:
            return cell.label
    return None


def _figure_unit(
    cell: CellText, c: int, units: list[str | None], headers: list[str], table_unit: str | None
) -> str | None:
    unit = cell.unit or (units[c] if c < len(units) and units[c] else table_unit)
    if c < len(headers) and _ORDINAL_HEADER.match(headers[c].split(" / ")[-1]):
        return None
    return unit


def table_cells(
    table: TableGrid, table_unit: str | None, known_units: list[str | None] | None = None
) -> tuple[list[dict], int, list[str | None]]:
    """Cell records (without source/doc/table ids) for one table, its number of header rows, and
    the unit of each column as this table leaves it (for a later block of the same form).

    `known_units` are units already known for the columns (from an earlier block of the form).
    """
    grid = fill_spans(table.texts, table.boxes, table.row_pages)
    header_rows = count_header_rows(grid)
    headers = header_paths(grid, header_rows)
    known = list(known_units or [])
    units = [
        find_unit(h, normalized=True) or (known[c] if c < len(known) else None)
        for c, h in enumerate(headers)
    ]
    cells: list[dict] = []
    for r, row in enumerate(table.texts):
        label = _row_label(grid[r]) if r >= header_rows else None
        for c, printed in enumerate(row):
            cell = grid[r][c]
            amount = None
            if r >= header_rows and cell is not None:
                if cell.unit and c < len(units) and printed is not None:
                    units[c] = cell.unit  # budget books print the unit once, in the first figure
                unit = _figure_unit(cell, c, units, headers, table_unit)
                amount = parse_amount(cell.figure, unit, normalized=True)
            box = table.boxes[r][c] if r < len(table.boxes) and c < len(table.boxes[r]) else None
            record = _cell_record(table.row_pages[r], r, c, label, cell, amount, box)
            record["header"] = headers[c] if c < len(headers) and headers[c] else None
            record["is_header"] = r < header_rows
            record["spanned"] = printed is None and cell is not None
            cells.append(record)
    return cells, header_rows, units


def _cell_record(page, r, c, label, cell, amount, box) -> dict:  # noqa: ANN001
    return {
        "page_number": page,
        "row": r,
        "col": c,
        "header": None,
        "row_label": label,
        "text_raw": cell.raw if cell is not None else None,
        "text": cell.text if cell is not None else None,
        "value": amount.value if amount else None,
        "unit": amount.unit if amount and amount.value is not None else None,
        "value_yen": amount.value_yen if amount else None,
        "is_header": False,
        "spanned": False,
        "note": amount.note if amount else None,
        "x0": box[0] if box else None,
        "top": box[1] if box else None,
        "x1": box[2] if box else None,
        "bottom": box[3] if box else None,
    }
