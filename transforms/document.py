"""A document's page records in, the `pages`, `tables` and `cells` rows out.

This is where per-page results become per-document facts: printed page labels, tables continued
across pages stitched into one, units stated once for a table applied to its cells.
"""

from __future__ import annotations

from transforms.amounts import find_unit
from transforms.cells import count_header_rows, table_cells
from transforms.text import count_unreadable, normalize_text

# Two tables on consecutive pages are one table when their column edges agree within this (pt).
STITCH_TOLERANCE = 4.0


def page_label(index: int, pdf_labels: list[str] | None, footer: str | None) -> str | None:
    """The printed page number: the PDF's own page labels first, else the page footer."""
    if pdf_labels and index < len(pdf_labels) and pdf_labels[index]:
        return pdf_labels[index]
    return footer


def _column_edges(table: dict) -> list[float]:
    """The x positions of the table's column boundaries, from its last row of cells."""
    boxes = table.get("cell_boxes") or []
    edges: set[float] = set()
    for row in boxes[-1:]:
        for box in row:
            if box:
                edges.add(round(box[0], 0))
                edges.add(round(box[2], 0))
    return sorted(edges)


def _column_extent(table: dict, c: int) -> tuple[float, float] | None:
    """The x-range column `c` occupies in the table's last rows (its own cells only)."""
    boxes = [row[c] for row in (table.get("cell_boxes") or [])[-10:] if c < len(row) and row[c]]
    if not boxes:
        return None
    return (min(b[0] for b in boxes), max(b[2] for b in boxes))


def _units_above(table: dict, unit_columns: list[tuple]) -> list[str | None]:
    """Units for `table`'s columns from the columns of a table just above it on the same page."""
    n_cols = max((len(r) for r in table["rows"]), default=0)
    top = table["bbox"][1]
    units: list[str | None] = []
    for c in range(n_cols):
        extent = _column_extent(table, c)
        found = None
        if extent:
            centre = (extent[0] + extent[1]) / 2
            for page, x0, x1, bottom, unit in reversed(unit_columns):
                if page == table["page_first"] and 0 <= top - bottom < 40 and x0 <= centre <= x1:
                    found = unit
                    break
        units.append(found)
    return units


def _continues(prev: dict, prev_page: dict, nxt: dict, page: dict) -> bool:
    """Is `nxt` (a table at the top of a page) the continuation of `prev` (a table that runs to
    the foot of the page before)? Same number of columns, same column edges, same strategy."""
    if not prev["rows"] or not nxt["rows"] or len(prev["rows"][0]) != len(nxt["rows"][0]):
        return False
    if prev.get("strategy") != nxt.get("strategy"):
        return False
    if prev["bbox"][3] < prev_page["height"] * 0.7 or nxt["bbox"][1] > page["height"] * 0.35:
        return False
    if nxt.get("strategy") == "text":
        return abs(prev["bbox"][0] - nxt["bbox"][0]) <= 3 * STITCH_TOLERANCE
    a, b = _column_edges(prev), _column_edges(nxt)
    if len(a) != len(b) or not a:
        return False
    return all(abs(x - y) <= STITCH_TOLERANCE for x, y in zip(a, b, strict=True))


def _row_key(row: list[str | None]) -> tuple:
    return tuple(normalize_text(c, join_lines=True) if c is not None else None for c in row)


def _repeated_header(first: dict, nxt: dict) -> int:
    """How many leading rows of `nxt` repeat the header rows of the table it continues."""
    header = count_header_rows(first["rows"])
    count = 0
    while (
        count < header
        and count < len(nxt["rows"])
        and _row_key(nxt["rows"][count]) == _row_key(first["rows"][count])
    ):
        count += 1
    return count if count == header else 0


def stitch_tables(pages: list[dict]) -> list[dict]:
    """Flatten the pages' tables into document tables, joining continuations across pages.

    A table at the top of a page continues a table that ran to the foot of the page before
    when their column layouts agree; side-by-side tables continue side by side. The repeated
    header rows of the continuation are dropped.
    """
    tables: list[dict] = []
    open_tables: list[
        tuple[dict, dict]
    ] = []  # (page table, document table) at the last page's foot
    prev_page: dict | None = None
    for page in pages:
        next_open: list[tuple[dict, dict]] = []
        used: set[int] = set()
        for table in page["tables"]:
            doc_table = None
            if prev_page is not None and prev_page["page_number"] == page["page_number"] - 1:
                for k, (prev, candidate) in enumerate(open_tables):
                    if k not in used and _continues(prev, prev_page, table, page):
                        doc_table = candidate
                        used.add(k)
                        break
            if doc_table is not None:
                skip = _repeated_header(doc_table, table)
                doc_table["rows"] = doc_table["rows"] + table["rows"][skip:]
                doc_table["cell_boxes"] = (
                    doc_table["cell_boxes"] + (table.get("cell_boxes") or [])[skip:]
                )
                doc_table["row_pages"] = doc_table["row_pages"] + [page["page_number"]] * (
                    len(table["rows"]) - skip
                )
                doc_table["page_last"] = page["page_number"]
            else:
                doc_table = {
                    **table,
                    "page_first": page["page_number"],
                    "page_last": page["page_number"],
                    "row_pages": [page["page_number"]] * len(table["rows"]),
                }
                tables.append(doc_table)
            next_open.append((table, doc_table))
        open_tables = next_open
        prev_page = page
    return tables


def build_records(
    ids: dict, pages: list[dict], pdf_labels: list[str] | None = None
) -> dict[str, list[dict]]:
    """Rows for `pages`, `tables` and `cells`; `ids` holds source_id and doc_id for every row."""
    page_rows: list[dict] = []
    for index, page in enumerate(pages):
        raw = page["text_raw"]
        page_rows.append(
            {
                **ids,
                "page_number": page["page_number"],
                "page_label": page_label(index, pdf_labels, page.get("footer_label")),
                "text": normalize_text(raw),
                "text_raw": raw,
                "n_tables": len(page["tables"]),
                "width": page["width"],
                "height": page["height"],
                "n_chars": page.get("n_chars"),
                "n_unreadable": count_unreadable(raw),
            }
        )
    table_rows: list[dict] = []
    cell_rows: list[dict] = []
    # Forms repeat: a ruled block with the same columns as an earlier one (a budget book's next
    # 項 under the same 目/節/説明 columns) uses the units that block's columns stated.
    units_by_layout: dict[tuple, list[str | None]] = {}
    # A block printed right under a table, in its columns, with no unit of its own (a budget
    # book's next 目 after the ruled frame ends) uses the units of the columns above it.
    unit_columns: list[tuple[int, float, float, float, str]] = []  # page, x0, x1, bottom, unit
    for table in stitch_tables(pages):
        table_id = f"{ids['doc_id']}-p{table['page_first']}-t{len([t for t in table_rows if t['page_first'] == table['page_first']]) + 1}"
        caption = normalize_text(table.get("caption") or "", join_lines=False) or None
        unit = find_unit(caption)
        layout = (table.get("strategy"), tuple(_column_edges(table)))
        column_units = list(units_by_layout.get(layout) or [])
        if not unit and not any(column_units):
            column_units = _units_above(table, unit_columns)
        cells, header_rows = table_cells(table, unit, column_units=column_units)
        if any(column_units):
            units_by_layout[layout] = column_units
            for c, col_unit in enumerate(column_units):
                extent = _column_extent(table, c)
                if col_unit and extent:
                    unit_columns.append((table["page_last"], *extent, table["bbox"][3], col_unit))
        x0, top, x1, bottom = table["bbox"]
        table_rows.append(
            {
                **ids,
                "table_id": table_id,
                "page_first": table["page_first"],
                "page_last": table["page_last"],
                "x0": x0,
                "top": top,
                "x1": x1,
                "bottom": bottom,
                "n_rows": len(table["rows"]),
                "n_cols": max(len(r) for r in table["rows"]),
                "header_rows": header_rows,
                "caption": caption,
                "unit": unit,
                "strategy": table.get("strategy"),
            }
        )
        for cell in cells:
            cell_rows.append({**ids, "table_id": table_id, **cell})
    return {"pages": page_rows, "tables": table_rows, "cells": cell_rows}
