"""Header rows that hold across a table: read once, applied to every block and page of it.

Budget books print a column header once per spread and set each 項 as its own ruled block
under it; lists repeat their header at the top of every page. So a finished table's header is
settled here, before its cells are read:

- its own leading header rows (`count_header_rows`), or as many leading rows as the table's
  later pages repeat (rows printed again at the top of each page are headers, whatever they
  hold), or the number the catalog states;
- a table without a header row of its own takes the header of the latest table whose columns
  it sits in, on the same page or the page before (a block under the spread's header);
- a header row printed again where the table continues on a later page is dropped, whether
  the continuation was stitched to the table or not (a block under the spread's header prints
  it again at the top of the next page); printed again inside one page (over each block of
  a table), it stays where it is, as a header row, never a record.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field

from transforms.assemble.cells import TextGrid, count_header_rows, fill_spans, header_paths
from transforms.assemble.stitch import StitchedTable

# Column edges of two ruled layouts agree within this (points).
EDGE_TOLERANCE = 4.0
# A header applies to blocks on its own page and the next one (a spread, or its two halves).
HEADER_PAGES = 1
# At most this many rows printed again at the top of each page count as header rows.
MAX_REPEATED = 6


@dataclass(frozen=True, slots=True)
class Header:
    """What a table's cells take their `header` from."""

    rows: int  # the table's own header rows (0 when the header comes from another table)
    paths: list[str]  # header path of each column
    source_page: int | None = None  # page of the table the header was taken from, if any
    repeats: frozenset[int] = frozenset()  # body rows printing a header row again (kept)


@dataclass(slots=True)
class _Known:
    page: int
    strategy: str
    bounds: list[tuple[float, float] | None]
    paths: list[str]
    keys: list[tuple] = field(default_factory=list)


def row_key(row: list) -> tuple:
    """A row as compared with a header row: its printed texts, spans left out."""
    return tuple(cell.text if cell is not None else None for cell in row)


def column_bounds(boxes: list[list], n_cols: int) -> list[tuple[float, float] | None]:
    """Each column's x-range: the median left and right edges of the cells printed in it
    alone (a cell spanning into the next column is left out)."""
    bounds: list[tuple[float, float] | None] = []
    for c in range(n_cols):
        own = [
            row[c]
            for row in boxes
            if c < len(row) and row[c] and (c + 1 >= len(row) or row[c + 1] is not None)
        ]
        if not own:
            bounds.append(None)
            continue
        bounds.append((statistics.median(b[0] for b in own), statistics.median(b[2] for b in own)))
    return bounds


def _column_map(
    bounds: list[tuple[float, float] | None], known: _Known, ruled: bool
) -> dict[int, int] | None:
    """Which column of the known header each of the table's columns sits under, or None when
    they do not line up (every printed column must sit under one, in order)."""
    mapping: dict[int, int] = {}
    last = -1
    for c, bound in enumerate(bounds):
        if bound is None:
            continue
        centre = (bound[0] + bound[1]) / 2
        hits = [
            h
            for h, kb in enumerate(known.bounds)
            if kb is not None and kb[0] - 1 <= centre <= kb[1] + 1
        ]
        if len(hits) != 1 or hits[0] <= last:
            return None
        h = hits[0]
        kb = known.bounds[h]
        if ruled and (
            abs(kb[0] - bound[0]) > EDGE_TOLERANCE or abs(kb[1] - bound[1]) > EDGE_TOLERANCE
        ):
            return None
        mapping[c] = last = h
    return mapping if len(mapping) >= 2 else None


class HeaderMemory:
    """The headers of a document's tables so far, for the blocks printed under them."""

    def __init__(self) -> None:
        self._known: list[_Known] = []

    def remember(self, table: StitchedTable, header: Header) -> None:
        if header.rows == 0 or not any(header.paths):
            return
        bounds = column_bounds(table.cell_boxes, table.n_cols)
        keys = [row_key(row) for row in table.texts[: header.rows]]
        self._known.append(_Known(table.page_last, table.strategy, bounds, header.paths, keys))
        del self._known[:-32]

    def inherited(self, table: StitchedTable) -> tuple[_Known, dict[int, int]] | None:
        """The latest header `table`'s columns sit under, and the column mapping."""
        bounds = column_bounds(table.cell_boxes, table.n_cols)
        for known in reversed(self._known):
            if known.page < table.page_first - HEADER_PAGES or known.page > table.page_first:
                continue
            ruled = table.strategy == "lines" and known.strategy == "lines"
            mapping = _column_map(bounds, known, ruled)
            if mapping is not None:
                return known, mapping
        return None


def _page_starts(table: StitchedTable) -> list[int]:
    """Indices of the rows that open each later page of a stitched table."""
    return [
        i for i in range(1, len(table.row_pages)) if table.row_pages[i] != table.row_pages[i - 1]
    ]


def repeated_rows(table: StitchedTable) -> int:
    """How many of the table's first rows its later pages print again at their top."""
    starts = _page_starts(table)
    if not starts:
        return 0
    keys = [row_key(row) for row in table.texts]
    counts = []
    for start in starts:
        n = 0
        while (
            n < MAX_REPEATED
            and start + n < len(keys)
            and n < start
            and keys[start + n] == keys[n]
            and any(keys[n])
        ):
            n += 1
        counts.append(n)
    return min(counts) if all(counts) else 0


def _drop_rows(table: StitchedTable, drop: set[int]) -> None:
    keep = [i for i in range(len(table.rows)) if i not in drop]
    table.rows = [table.rows[i] for i in keep]
    table.texts = [table.texts[i] for i in keep]
    table.cell_boxes = [table.cell_boxes[i] for i in keep if i < len(table.cell_boxes)]
    table.row_pages = [table.row_pages[i] for i in keep]


def _repeats(table: StitchedTable, first_body: int, keys: list[tuple]) -> set[int]:
    """Body rows that print a header row again (a row of one short text does not count: a
    「計」 line is not a repeated header)."""
    wanted = {
        _blank_key(k) for k in keys if sum(1 for t in k if t) >= 2 or (len(keys) >= 2 and any(k))
    }
    return {
        i
        for i in range(first_body, len(table.texts))
        if _blank_key(row_key(table.texts[i])) in wanted
    }


def _drop_page_repeats(table: StitchedTable, found: set[int]) -> frozenset[int]:
    """Drop the repeated header rows that open a page of the table (printed again where it
    continues); the others (a header printed again over each block of one page) stay, as
    header rows. Returns the kept ones' indices after the drop."""
    page_start = 0
    drop: set[int] = set()
    for i in range(len(table.texts)):
        if i and table.row_pages[i] != table.row_pages[i - 1]:
            page_start = i
        if i in found and page_start and all(j in found for j in range(page_start, i + 1)):
            drop.add(i)
    kept = sorted(found - drop)
    _drop_rows(table, drop)
    return frozenset(i - sum(1 for d in drop if d < i) for i in kept)


def settle_header(
    table: StitchedTable, memory: HeaderMemory, header_rows: int | None = None
) -> Header:
    """The header of a finished table; drops the body rows that repeat it (see module doc).
    `header_rows` is the count stated in the catalog, if any."""
    if header_rows is not None:
        rows = min(header_rows, max(len(table.texts) - 1, 0))
    else:
        rows = max(count_header_rows(table.texts), repeated_rows(table))
        rows = min(rows, max(len(table.texts) - 1, 0))
    if rows:
        keys = [row_key(row) for row in table.texts[:rows]]
        repeats = _drop_page_repeats(table, _repeats(table, rows, keys))
        grid = fill_spans(table.texts, table.cell_boxes, table.row_pages)
        header = Header(rows, header_paths(grid, rows), None, repeats)
        memory.remember(table, header)
        return header
    found = memory.inherited(table)
    if found is None:
        return Header(0, [""] * table.n_cols)
    known, mapping = found
    repeats = _drop_page_repeats(table, _repeats_of_known(table, known, mapping))
    paths = [known.paths[mapping[c]] if c in mapping else "" for c in range(table.n_cols)]
    return Header(0, paths, known.page, repeats)


def _blank_key(key: tuple) -> tuple:
    return tuple(t or "" for t in key)


def _repeats_of_known(table: StitchedTable, known: _Known, mapping: dict[int, int]) -> set[int]:
    """Rows of `table` that print the known header's rows again, column for column (and
    nothing in the columns the header does not cover)."""
    wanted = set()
    for key in known.keys:
        projected = tuple(
            key[mapping[c]] if c in mapping and mapping[c] < len(key) else None
            for c in range(table.n_cols)
        )
        if sum(1 for t in projected if t) >= 2:
            wanted.add(_blank_key(projected))
    return {i for i, row in enumerate(table.texts) if _blank_key(row_key(row)) in wanted}


__all__ = ["Header", "HeaderMemory", "TextGrid", "column_bounds", "settle_header"]
