"""Tables continued across pages, stitched into one, page by page as the pages arrive.

A table at the top of a page continues a table that ran to the foot of the page before when
their column layouts agree; side-by-side tables continue side by side. The header rows a
continuation prints again are dropped when the table is finished (`headers.settle_header`). Pages are fed one at a time, so a document of any length is
stitched with only the tables of its last page held open.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from transforms.assemble.cells import TextGrid, read_grid
from transforms.records import BBox, PageRecord, RawTable

# Two tables on consecutive pages are one table when their column edges agree within this (pt).
STITCH_TOLERANCE = 4.0
# A table continues only from the foot of one page (below this share of its height) to the top
# of the next (above this share).
FOOT_SHARE = 0.7
TOP_SHARE = 0.35


@dataclass(slots=True)
class StitchedTable:
    """A document table: one page's table, or several stitched across consecutive pages."""

    ordinal: int  # its place among the tables that start on page_first (1-based)
    page_first: int
    page_last: int
    bbox: BBox  # on page_first
    rows: list[list[str | None]]
    texts: TextGrid
    cell_boxes: list[list]
    row_pages: list[int]
    strategy: str
    caption: str = ""
    header_rows: int | None = None  # as the catalog states it, if it does
    complete: bool = field(default=False, repr=False)

    @property
    def n_cols(self) -> int:
        return max((len(r) for r in self.rows), default=0)


def column_edges(boxes: list[list]) -> list[float]:
    """The x positions of a table's column boundaries, from its last row of cells."""
    edges: set[float] = set()
    for row in boxes[-1:]:
        for box in row:
            if box:
                edges.add(round(box[0], 0))
                edges.add(round(box[2], 0))
    return sorted(edges)


def _continues(prev: RawTable, prev_height: float, nxt: RawTable, height: float) -> bool:
    """Is `nxt` (a table at the top of a page) the continuation of `prev` (a table that runs to
    the foot of the page before)? Same number of columns, same column edges, same strategy."""
    if not prev.rows or not nxt.rows or len(prev.rows[0]) != len(nxt.rows[0]):
        return False
    if prev.strategy != nxt.strategy:
        return False
    if prev.bbox[3] < prev_height * FOOT_SHARE or nxt.bbox[1] > height * TOP_SHARE:
        return False
    if nxt.strategy == "text":
        return abs(prev.bbox[0] - nxt.bbox[0]) <= 3 * STITCH_TOLERANCE
    a, b = column_edges(prev.cell_boxes), column_edges(nxt.cell_boxes)
    if len(a) != len(b) or not a:
        return False
    return all(abs(x - y) <= STITCH_TOLERANCE for x, y in zip(a, b, strict=True))


def _extend(table: StitchedTable, raw: RawTable, texts: TextGrid, page_number: int) -> None:
    """Append a continuation's rows; the header rows it prints again are dropped once the
    table is finished (`transforms.assemble.headers.settle_header`)."""
    table.rows = table.rows + raw.rows
    table.texts = table.texts + texts
    table.cell_boxes = table.cell_boxes + (raw.cell_boxes or [])
    table.row_pages = table.row_pages + [page_number] * len(raw.rows)
    table.page_last = page_number


class Stitcher:
    """Feed pages in order with `add_page`; each call returns the tables that are now complete
    (no later page can continue them), in the order they started. `finish` returns the rest."""

    def __init__(self) -> None:
        self._open: list[tuple[RawTable, StitchedTable]] = []  # the last page's tables
        self._last_page: tuple[int, float] | None = None  # its number and height
        self._queue: deque[StitchedTable] = deque()

    def add_page(self, page: PageRecord) -> list[StitchedTable]:
        follows = self._last_page is not None and self._last_page[0] == page.page_number - 1
        now_open: list[tuple[RawTable, StitchedTable]] = []
        used: set[int] = set()
        ordinal = 0
        for raw in page.tables:
            texts = read_grid(raw.rows)
            target = self._continued(raw, page.height, used) if follows else None
            if target is not None:
                _extend(target, raw, texts, page.page_number)
            else:
                ordinal += 1
                target = _new_table(raw, texts, page.page_number, ordinal)
                self._queue.append(target)
            now_open.append((raw, target))
        continued = {id(t) for _, t in now_open}
        for _, table in self._open:
            if id(table) not in continued:
                table.complete = True
        self._open = now_open
        self._last_page = (page.page_number, page.height)
        return self._ready()

    def _continued(self, raw: RawTable, height: float, used: set[int]) -> StitchedTable | None:
        """The open table `raw` continues, if any; marks it used (a table continues once). Of
        several with the same columns, the lowest on its page: the one cut by the page's foot."""
        assert self._last_page is not None
        matches = [
            k
            for k, (prev, _) in enumerate(self._open)
            if k not in used and _continues(prev, self._last_page[1], raw, height)
        ]
        if not matches:
            return None
        k = max(matches, key=lambda k: self._open[k][0].bbox[3])
        used.add(k)
        return self._open[k][1]

    def finish(self) -> list[StitchedTable]:
        for table in self._queue:
            table.complete = True
        self._open = []
        return self._ready()

    def _ready(self) -> list[StitchedTable]:
        done: list[StitchedTable] = []
        while self._queue and self._queue[0].complete:
            done.append(self._queue.popleft())
        return done


def _new_table(raw: RawTable, texts: TextGrid, page_number: int, ordinal: int) -> StitchedTable:
    return StitchedTable(
        ordinal=ordinal,
        page_first=page_number,
        page_last=page_number,
        bbox=raw.bbox,
        rows=list(raw.rows),
        texts=texts,
        cell_boxes=list(raw.cell_boxes or []),
        row_pages=[page_number] * len(raw.rows),
        strategy=raw.strategy,
        caption=raw.caption,
        header_rows=raw.header_rows,
    )
