"""Find the tables on a pdfplumber page: ruled grids first, then unruled ones elsewhere.

The strategy is chosen per table, not per document (`RawTable.strategy`): ruled grids from the
rulings a reader sees (`transforms.extract.ruled`), unruled tables from text alignment in the
parts of the page no grid covers (`transforms.extract.unruled`); each table then gets its
caption (`transforms.extract.captions`). A spread is read as its two facing pages.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from transforms.extract.captions import caption_above
from transforms.extract.corrections import Corrections, TableCorrection
from transforms.extract.grid import covered
from transforms.extract.ruled import ruled_tables
from transforms.extract.settings import TableSettings
from transforms.extract.spreads import halves
from transforms.extract.unruled import has_unruled_table, text_table_at, text_tables
from transforms.records import RawTable

__all__ = ["find_tables", "has_unruled_table"]


def find_tables(
    page: Any,
    settings: TableSettings | dict | None = None,
    corrections: Corrections | None = None,
) -> list[RawTable]:
    """Tables on `page` (ruled grids first, then unruled ones elsewhere), top to bottom; on a
    spread, on each of its facing pages (`transforms.extract.spreads`). `corrections` (from the
    catalog) say which pages to look at and which tables a page holds."""
    settings = TableSettings.resolve(settings)
    if corrections is not None:
        if not corrections.looks_at(page.page_number):
            return []
        stated = corrections.on_page(page.page_number)
        if stated:
            return _stated_tables(page, stated, settings)
    found: list[tuple[Any, RawTable]] = []
    for part in halves(page):
        tables = ruled_tables(part, settings)
        if settings.text_tables:
            tables = _with_text_tables(part, tables, settings)
        found += [(part, t) for t in tables]
    found.sort(key=lambda pt: (round(pt[1].bbox[1]), pt[1].bbox[0]))
    boxes = [t.bbox for _, t in found]
    for part, table in found:
        others = [b for b in boxes if b is not table.bbox]
        table.caption = caption_above(part, table.bbox, others)
    return [t for _, t in found]


def _stated_table(page: Any, stated: TableCorrection, settings: TableSettings) -> list[RawTable]:
    """The table(s) a catalog correction states: read in its area with its strategy."""
    x0, top, x1, bottom = (float(v) for v in page.bbox)
    area = stated.area or (x0, top, x1, bottom)
    area = (max(area[0], x0), max(area[1], top), min(area[2], x1), min(area[3], bottom))
    part = page.crop(area, strict=False)
    if stated.strategy == "text" or (stated.strategy is None and stated.columns):
        table = text_table_at(page, area, stated.columns, settings)
        tables = [table] if table else []
    elif stated.strategy == "lines":
        extra = dict(settings.extra)
        if stated.columns:
            extra["explicit_vertical_lines"] = [*area[0:1], *stated.columns, area[2]]
        tables = ruled_tables(part, replace(settings, extra=tuple(sorted(extra.items()))))
    else:
        tables = ruled_tables(part, settings)
        if settings.text_tables:
            tables = _with_text_tables(part, tables, settings)
    for table in tables:
        table.header_rows = stated.header_rows
        table.caption = caption_above(page, table.bbox, [])
    return tables


def _stated_tables(
    page: Any, stated: list[TableCorrection], settings: TableSettings
) -> list[RawTable]:
    found = [t for item in stated for t in _stated_table(page, item, settings)]
    found.sort(key=lambda t: (round(t.bbox[1]), t.bbox[0]))
    return found


def _with_text_tables(page: Any, ruled: list[RawTable], settings: TableSettings) -> list[RawTable]:
    """The ruled grids plus the tables set by alignment outside them.

    A small ruled box inside a larger aligned block (a boxed header, a highlighted row) is part
    of that block: the whole block is read by alignment instead, unless it then falls apart.
    """
    text = text_tables(page, [t.bbox for t in ruled], settings)
    inside = [r for r in ruled if any(covered(r.bbox, t.bbox) for t in text)]
    if inside:
        kept = [r for r in ruled if r not in inside]
        retried = text_tables(page, [t.bbox for t in kept], settings)
        if all(any(covered(r.bbox, t.bbox) for t in retried) for r in inside):
            return kept + retried
    return ruled + text
