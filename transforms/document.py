"""A document's page records in, the `pages`, `tables` and `cells` rows out.

This is where per-page results become per-document facts: printed page labels, tables continued
across pages stitched into one, units stated once for a table applied to its cells.
"""

from __future__ import annotations

from transforms.amounts import find_unit
from transforms.cells import table_cells
from transforms.text import count_unreadable, normalize_text

# Two tables on consecutive pages are one table when their column edges agree within this (pt).
STITCH_TOLERANCE = 4.0


def page_label(index: int, pdf_labels: list[str] | None, footer: str | None) -> str | None:
    """The printed page number: the PDF's own page labels first, else the page footer."""
    if pdf_labels and index < len(pdf_labels) and pdf_labels[index]:
        return pdf_labels[index]
    return footer


def _column_edges(table: dict) -> list[float]:
    boxes = table.get("cell_boxes") or []
    edges: set[float] = set()
    for row in boxes[-1:]:
        for box in row:
            if box:
                edges.add(round(box[0], 0))
                edges.add(round(box[2], 0))
    return sorted(edges)


def _continues(prev: dict, prev_page: dict, nxt: dict) -> bool:
    """Is `nxt` (first table on the next page) the continuation of `prev` (last table)?"""
    if len(prev["rows"][0]) != len(nxt["rows"][0]):
        return False
    near_bottom = prev["bbox"][3] > prev_page["height"] * 0.7
    if not near_bottom:
        return False
    a, b = _column_edges(prev), _column_edges(nxt)
    return len(a) == len(b) and all(abs(x - y) <= STITCH_TOLERANCE for x, y in zip(a, b, strict=True))


def stitch_tables(pages: list[dict]) -> list[dict]:
    """Flatten the pages' tables into document tables, joining continuations across pages."""
    tables: list[dict] = []
    prev_page = None
    for page in pages:
        for k, table in enumerate(page["tables"]):
            table = {**table, "page_first": page["page_number"], "page_last": page["page_number"]}
            table["row_pages"] = [page["page_number"]] * len(table["rows"])
            if k == 0 and tables and prev_page is not None and tables[-1]["page_last"] == prev_page["page_number"]:
                last = tables[-1]
                if prev_page["tables"] and _continues(prev_page["tables"][-1], prev_page, table):
                    rows, boxes, row_pages = table["rows"], table["cell_boxes"], table["row_pages"]
                    if rows and last["rows"] and rows[0] == last["rows"][0]:
                        rows, boxes, row_pages = rows[1:], boxes[1:], row_pages[1:]
                    last["rows"] = last["rows"] + rows
                    last["cell_boxes"] = last["cell_boxes"] + boxes
                    last["row_pages"] = last["row_pages"] + row_pages
                    last["page_last"] = page["page_number"]
                    continue
            tables.append(table)
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
    for table in stitch_tables(pages):
        table_id = f"{ids['doc_id']}-p{table['page_first']}-t{len([t for t in table_rows if t['page_first'] == table['page_first']]) + 1}"
        caption = normalize_text(table.get("caption") or "", join_lines=False) or None
        unit = find_unit(caption)
        cells, header_rows = table_cells(table, unit)
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
