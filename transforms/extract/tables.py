"""Find the tables on a pdfplumber page: ruled grids first, then unruled ones elsewhere.

The strategy is chosen per table, not per document (`RawTable.strategy`): ruled grids from the
rulings a reader sees (`transforms.extract.ruled`), unruled tables from text alignment in the
parts of the page no grid covers (`transforms.extract.unruled`); each table then gets its
caption (`transforms.extract.captions`). A spread is read as its two facing pages.
"""

from __future__ import annotations

from typing import Any

from transforms.extract.captions import caption_above
from transforms.extract.grid import covered
from transforms.extract.ruled import ruled_tables
from transforms.extract.settings import TableSettings
from transforms.extract.spreads import halves
from transforms.extract.unruled import has_unruled_table, text_tables
from transforms.records import RawTable

__all__ = ["find_tables", "has_unruled_table"]


def find_tables(page: Any, settings: TableSettings | dict | None = None) -> list[RawTable]:
    """Tables on `page` (ruled grids first, then unruled ones elsewhere), top to bottom; on a
    spread, on each of its facing pages (`transforms.extract.spreads`)."""
    settings = TableSettings.resolve(settings)
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
