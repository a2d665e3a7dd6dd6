"""Corrections to the table finder, stated in the catalog for a source it gets wrong.

As camelot's and tabula's page and area options: per source, `pages` (tables are looked for on
these pages only; every page still gives its text), and per table (`[[source.table]]`) the
`page` it is on, the `area` it covers (x0, top, x1, bottom in points from the page's top-left
corner, as `teian inspect` shows them), the `strategy` to read it with (`lines`: its rulings,
`text`: its alignment), the x positions of its `columns` (boundaries between columns), and how
many `header_rows` it has. On a page with corrections, the tables listed for it are the
page's tables. Validated with the rest of the catalog; carried to the extraction workers as
plain JSON.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

TABLE_KEYS = ("page", "area", "strategy", "columns", "header_rows")
STRATEGIES = ("lines", "text")
MAX_HEADER_ROWS = 20


@dataclass(frozen=True)
class TableCorrection:
    """One table as the catalog states it."""

    page: int
    area: tuple[float, float, float, float] | None = None
    strategy: str | None = None
    columns: tuple[float, ...] = ()
    header_rows: int | None = None


@dataclass(frozen=True)
class Corrections:
    """A source's corrections: the pages to look at and the tables stated per page."""

    pages: tuple[int, ...] | None = None
    tables: tuple[TableCorrection, ...] = field(default_factory=tuple)

    def looks_at(self, page_number: int) -> bool:
        """Are tables looked for on this page?"""
        return self.pages is None or page_number in self.pages

    def on_page(self, page_number: int) -> list[TableCorrection]:
        return [t for t in self.tables if t.page == page_number]

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Corrections:
        data = json.loads(text)
        tables = tuple(
            TableCorrection(
                page=t["page"],
                area=tuple(t["area"]) if t.get("area") else None,
                strategy=t.get("strategy"),
                columns=tuple(t.get("columns") or ()),
                header_rows=t.get("header_rows"),
            )
            for t in data.get("tables") or []
        )
        pages = tuple(data["pages"]) if data.get("pages") is not None else None
        return cls(pages, tables)


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _page_numbers(value: Any, where: str) -> tuple[tuple[int, ...] | None, list[str]]:
    """`pages = [1, 2, "5-9"]`: page numbers and ranges, 1-based."""
    if not isinstance(value, list) or not value:
        return None, [f'{where}: pages must be a list of page numbers or ranges such as "5-9"']
    pages: list[int] = []
    for item in value:
        if isinstance(item, int) and not isinstance(item, bool) and item >= 1:
            pages.append(item)
            continue
        parts = item.split("-") if isinstance(item, str) else []
        if len(parts) == 2 and all(p.strip().isdigit() for p in parts):
            first, last = int(parts[0]), int(parts[1])
            if 1 <= first <= last:
                pages.extend(range(first, last + 1))
                continue
        return None, [f'{where}: pages: {item!r} is not a page number or a range such as "5-9"']
    return tuple(sorted(set(pages))), []


def _table_problems(item: Any, where: str) -> list[str]:
    if not isinstance(item, dict):
        return [f"{where}: must be a table of page, area, strategy, columns, header_rows"]
    problems = []
    unknown = sorted(set(item) - set(TABLE_KEYS))
    if unknown:
        problems.append(f"{where}: unknown keys {unknown}")
    page = item.get("page")
    if not isinstance(page, int) or isinstance(page, bool) or page < 1:
        problems.append(f"{where}: page must be a page number (1 = the first page)")
    area = item.get("area")
    if area is not None and not (
        isinstance(area, list)
        and len(area) == 4
        and all(_number(v) and v >= 0 for v in area)
        and area[0] < area[2]
        and area[1] < area[3]
    ):
        problems.append(
            f"{where}: area must be [x0, top, x1, bottom] in points, x0 < x1, top < bottom"
        )
    if item.get("strategy") is not None and item.get("strategy") not in STRATEGIES:
        problems.append(f"{where}: strategy must be one of {', '.join(STRATEGIES)}")
    columns = item.get("columns")
    if columns is not None and not (
        isinstance(columns, list)
        and columns
        and all(_number(v) and v >= 0 for v in columns)
        and all(a < b for a, b in zip(columns, columns[1:], strict=False))
    ):
        problems.append(f"{where}: columns must be increasing x positions in points")
    rows = item.get("header_rows")
    if rows is not None and (
        not isinstance(rows, int) or isinstance(rows, bool) or not 0 <= rows <= MAX_HEADER_ROWS
    ):
        problems.append(f"{where}: header_rows must be a whole number from 0 to {MAX_HEADER_ROWS}")
    return problems


def _table(item: dict) -> TableCorrection:
    area = item.get("area")
    return TableCorrection(
        page=item["page"],
        area=tuple(float(v) for v in area) if area else None,  # type: ignore[arg-type]
        strategy=item.get("strategy"),
        columns=tuple(float(v) for v in item.get("columns") or ()),
        header_rows=item.get("header_rows"),
    )


def parse_corrections(entry: dict, where: str) -> tuple[Corrections | None, list[str]]:
    """A catalog entry's corrections (None when it states none) and the problems with them."""
    if "pages" not in entry and "table" not in entry:
        return None, []
    problems: list[str] = []
    pages = None
    if "pages" in entry:
        pages, found = _page_numbers(entry["pages"], where)
        problems += found
    items = entry.get("table", [])
    if not isinstance(items, list):
        return None, problems + [f"{where}: table must be an array of tables ([[source.table]])"]
    for k, item in enumerate(items, start=1):
        problems += _table_problems(item, f"{where} table #{k}")
    if problems:
        return None, problems
    tables = tuple(_table(item) for item in items)
    outside = sorted({t.page for t in tables if pages is not None and t.page not in pages})
    if outside:
        return None, [f"{where}: table on page {outside[0]}, which pages leaves out"]
    return Corrections(pages, tables), []
