"""A finished table's grid in, its cell records out: header, line, figure and unit of each cell.

A unit stated for the whole table (caption 「（単位：千円）」), for a column (header
「予算額（千円）」) or in the cell itself (a 「千円」 line above the figure, as budget books print
it in the first row) applies to the figure unless a nearer statement overrides it. The header
of each column and the line of each cell come from `transforms.assemble.headers` and
`transforms.assemble.rows`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from transforms.assemble.cells import (
    CellText,
    TextGrid,
    band_headers,
    count_header_rows,
    fill_spans,
    header_paths,
)
from transforms.assemble.rows import Line, Outline, line_labels
from transforms.normalize.amounts import find_unit, parse_amount

# Columns that number things (款 1, 項 2, No. 3) hold ordinals, never amounts in the table's unit.
_ORDINAL_HEADER = re.compile(r"^(款|項|目|節|番号|通番|連番|順位|No\.?|NO\.?|№|#|コード)$")


@dataclass(frozen=True, slots=True)
class TableGrid:
    """What `table_cells` needs of a (stitched) table. `header_rows` and `headers` are the
    header as settled for the whole table (None: read from the grid)."""

    texts: TextGrid
    boxes: list[list]
    row_pages: list[int]
    header_rows: int | None = None
    headers: list[str] | None = None
    repeated_headers: frozenset[int] = frozenset()  # body rows printing a header row again


def _figure_unit(
    cell: CellText, c: int, units: list[str | None], headers: list[str], table_unit: str | None
) -> str | None:
    unit = cell.unit or (units[c] if c < len(units) and units[c] else table_unit)
    if c < len(headers) and _ORDINAL_HEADER.match(headers[c].split(" / ")[-1]):
        return None
    return unit


def table_cells(
    table: TableGrid,
    table_unit: str | None,
    known_units: list[str | None] | None = None,
    outline: Outline | None = None,
) -> tuple[list[dict], int, list[str | None]]:
    """Cell records (without source/doc/table ids) for one table, its number of header rows, and
    the unit of each column as this table leaves it (for a later block of the same form).

    `known_units` are units already known for the columns (from an earlier block of the form);
    `outline` carries the document's headings, for each line's full path.
    """
    grid = fill_spans(table.texts, table.boxes, table.row_pages)
    header_rows = count_header_rows(grid) if table.header_rows is None else table.header_rows
    headers = table.headers if table.headers is not None else header_paths(grid, header_rows)
    known = list(known_units or [])
    units = [
        find_unit(h, normalized=True) or (known[c] if c < len(known) else None)
        for c, h in enumerate(headers)
    ]
    bands, band_rows = band_headers(grid, header_rows)
    band_rows = band_rows | table.repeated_headers
    lines = line_labels(grid, header_rows, table.boxes)
    if outline is not None:
        lines = outline.place(lines, headers, grid, header_rows, table.boxes, table.row_pages)
    cells: list[dict] = []
    for r, row in enumerate(table.texts):
        for c, printed in enumerate(row):
            cell = grid[r][c]
            amount = None
            if r >= header_rows and r not in band_rows and cell is not None:
                if cell.unit and c < len(units) and printed is not None:
                    units[c] = cell.unit  # budget books print the unit once, in the first figure
                unit = _figure_unit(cell, c, units, headers, table_unit)
                amount = parse_amount(cell.figure, unit, normalized=True)
            box = table.boxes[r][c] if r < len(table.boxes) and c < len(table.boxes[r]) else None
            line = None if r in band_rows else lines.get((r, c))
            record = _cell_record(table.row_pages[r], r, c, line, cell, amount, box)
            heads = bands.get(r, headers)
            record["header"] = heads[c] if c < len(heads) and heads[c] else None
            record["is_header"] = r < header_rows or r in band_rows
            record["spanned"] = printed is None and cell is not None
            cells.append(record)
    return cells, header_rows, units


def _cell_record(page, r, c, line: Line | None, cell, amount, box) -> dict:  # noqa: ANN001
    return {
        "page_number": page,
        "row": r,
        "col": c,
        "header": None,
        "row_label": line.label if line else None,
        "row_path": " / ".join(line.path) if line and line.path else None,
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
