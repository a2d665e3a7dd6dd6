"""What goes on each page of the visual report, from the published datasets' rows.

The report exists so a person can check the extraction against the PDF: every table's box and
cell grid over the page it came from, its cells as published (text, value, unit, yen), and for a
提案要求 document the parsed items with their ministries and pages. This module decides *what*
is shown (and which pages need an image); `report.build` reads the Parquet files, and
`report.render` and `report.html` draw the pages and write the HTML. Everything here is rows in,
plain dataclasses out, so it is testable without a PDF or a browser.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

# Which pages get an image: "marked" renders the pages a reader needs to check (tables, item
# starts, unreadable glyphs, no text at all, the cover); "all" every page; "none" no page.
RENDER_POLICIES = ("marked", "all", "none")

# Characters of page text kept for pages shown without an image.
TEXT_EXCERPT_CHARS = 600


@dataclass(frozen=True)
class Box:
    """A rectangle in pdfplumber coordinates: points from the page's top-left corner."""

    x0: float
    top: float
    x1: float
    bottom: float

    @property
    def width(self) -> float:
        return self.x1 - self.x0

    @property
    def height(self) -> float:
        return self.bottom - self.top

    def union(self, other: Box) -> Box:
        return Box(
            min(self.x0, other.x0),
            min(self.top, other.top),
            max(self.x1, other.x1),
            max(self.bottom, other.bottom),
        )

    def contains(self, other: Box, tolerance: float = 1.0) -> bool:
        return (
            other.x0 >= self.x0 - tolerance
            and other.top >= self.top - tolerance
            and other.x1 <= self.x1 + tolerance
            and other.bottom <= self.bottom + tolerance
        )


@dataclass(frozen=True)
class CellView:
    """One published cell, as the reader should see it next to the printed text."""

    page_number: int
    row: int
    col: int
    text: str
    text_raw: str
    header: str | None
    row_label: str | None
    value: float | None
    unit: str | None
    value_yen: int | None
    is_header: bool
    spanned: bool
    note: str | None
    box: Box | None
    row_path: str | None = None


@dataclass
class TableView:
    """A document table: its place in the PDF, its grid of cells and what looks wrong with it."""

    table_id: str
    number: int  # 1-based order in the document: the "T3" drawn on the page
    page_first: int
    page_last: int
    box: Box | None  # on page_first
    n_rows: int
    n_cols: int
    header_rows: int
    caption: str | None
    unit: str | None
    strategy: str | None
    item_seq: int | None
    cells: list[CellView]
    grid: list[list[CellView | None]]  # n_rows × n_cols, None where no cell was published
    row_pages: list[int]  # page of each grid row, to mark where a stitched table continues
    n_numeric: int
    n_money: int
    problems: list[str]
    href: str  # relative to the document page

    @property
    def label(self) -> str:
        return f"T{self.number}"

    @property
    def pages(self) -> str:
        return (
            f"{self.page_first}"
            if self.page_first == self.page_last
            else f"{self.page_first}–{self.page_last}"
        )


@dataclass(frozen=True)
class Overlay:
    """One table drawn on one page: its box and the boxes of its cells on that page."""

    table_id: str
    label: str
    href: str
    box: Box
    cells: list[Box]
    header_cells: list[Box]
    continued: bool  # the page is not the table's first: the box is the span of its cells here


@dataclass(frozen=True)
class ItemView:
    """A parsed 提案要求 item as listed in the report."""

    item_seq: int
    item_no: str | None
    title: str
    category: str | None
    targets: list[str]
    bureaus: list[str]
    tags: list[str]
    n_demands: int
    page_first: int | None
    page_last: int | None
    page_label_first: str | None
    table_labels: list[str]


@dataclass
class PageView:
    """One PDF page: what was found on it and whether it gets an image."""

    page_number: int
    page_label: str | None
    width: float
    height: float
    n_chars: int
    n_unreadable: int
    overlays: list[Overlay]
    items_starting: list[int]  # item_seq of items whose first page this is
    render: bool
    text: str
    text_source: str = "pdf"
    ocr_confidence: float | None = None
    suspects: list[dict] = field(default_factory=list)  # pages.suspect_words: word, ocr, box

    @property
    def anchor(self) -> str:
        return f"p-{self.page_number}"


@dataclass
class DocumentSummary:
    """One line of the index: a source, its published version and how healthy it is."""

    source_id: str
    title: str | None
    publisher: str | None
    kind: str | None
    fiscal_year: int | None
    edition: str | None
    status: str  # ok / partial / failed; "failed" also when nothing was ever published
    published: bool
    doc_id: str | None
    sha256: str | None
    url: str | None
    retrieved_at: object | None
    page_count: int
    n_tables: int
    n_cells: int
    n_requests: int | None
    warnings: list[str]
    last_failure: str | None  # the newest attempt failed: the published data is older
    versions: int
    href: str


@dataclass
class DocumentReport:
    """Everything on a document's page and its table pages."""

    summary: DocumentSummary
    pages: list[PageView]
    tables: list[TableView]
    items: list[ItemView]
    tag_counts: list[tuple[str, int]] = field(default_factory=list)
    target_counts: list[tuple[str, int]] = field(default_factory=list)

    def pages_to_render(self) -> list[int]:
        """Only these pages are rendered: images are most of a report's size and time."""
        return [p.page_number for p in self.pages if p.render]


def safe_name(value: str) -> str:
    """A file-name-safe form of an id (ids are [a-z0-9-] by contract, but a report must not trust it)."""
    return re.sub(r"[^A-Za-z0-9._-]", "_", value) or "_"


def document_href(source_id: str) -> str:
    """Links are relative, so the report folder works when moved, zipped or opened offline."""
    return f"{safe_name(source_id)}/index.html"


def table_href(table_id: str) -> str:
    """Relative to the document's page, which links every table from its list and its boxes."""
    return f"tables/{safe_name(table_id)}.html"


def _box(row: dict) -> Box | None:
    values = [row.get(k) for k in ("x0", "top", "x1", "bottom")]
    if any(v is None for v in values):
        return None
    return Box(*(float(v) for v in values))


def summarize_document(source_id: str, history: list[dict], n_cells: int = 0) -> DocumentSummary:
    """The index line of a source from its `documents` history (one row per fetched version).

    The published version is the `is_current` row; a newer failed row means the last attempt
    failed while older data stays published, which the reader must see.
    """
    current = next((r for r in reversed(history) if r.get("is_current")), None)
    latest = history[-1] if history else None
    shown = current or latest or {}
    last_failure = None
    if latest is not None and latest is not current and latest.get("status") == "failed":
        last_failure = latest.get("error") or "failed"
    return DocumentSummary(
        source_id=source_id,
        title=shown.get("title"),
        publisher=shown.get("publisher"),
        kind=shown.get("kind"),
        fiscal_year=shown.get("fiscal_year"),
        edition=shown.get("edition"),
        status=(current or {}).get("status") or "failed",
        published=current is not None,
        doc_id=(current or {}).get("doc_id"),
        sha256=(current or {}).get("sha256"),
        url=shown.get("url"),
        retrieved_at=(current or {}).get("retrieved_at"),
        page_count=(current or {}).get("page_count") or 0,
        n_tables=(current or {}).get("n_tables") or 0,
        n_cells=n_cells,
        n_requests=(current or {}).get("n_requests"),
        warnings=list((current or {}).get("warnings") or []),
        last_failure=last_failure,
        versions=len(history),
        href=document_href(source_id),
    )


def _cell_view(row: dict) -> CellView:
    return CellView(
        page_number=int(row["page_number"]),
        row=int(row["row"]),
        col=int(row["col"]),
        text=row.get("text") or "",
        text_raw=row.get("text_raw") or "",
        header=row.get("header"),
        row_label=row.get("row_label"),
        value=row.get("value"),
        unit=row.get("unit"),
        value_yen=row.get("value_yen"),
        is_header=bool(row.get("is_header")),
        spanned=bool(row.get("spanned")),
        note=row.get("note"),
        box=_box(row),
        row_path=row.get("row_path"),
    )


def build_table(number: int, table: dict, cell_rows: list[dict]) -> TableView:
    """A table and its cells as a grid, with the inconsistencies a reader should look at."""
    cells = sorted((_cell_view(c) for c in cell_rows), key=lambda c: (c.row, c.col))
    n_rows = max([int(table.get("n_rows") or 0)] + [c.row + 1 for c in cells])
    n_cols = max([int(table.get("n_cols") or 0)] + [c.col + 1 for c in cells])
    grid: list[list[CellView | None]] = [[None] * n_cols for _ in range(n_rows)]
    row_pages = [int(table.get("page_first") or 0)] * n_rows
    for cell in cells:
        grid[cell.row][cell.col] = cell
        row_pages[cell.row] = cell.page_number
    box = _box(table)
    # why the finder says the table may be wrong (tables.problems), then what looks off here
    problems: list[str] = [str(p) for p in table.get("problems") or []]
    expected = int(table.get("n_rows") or 0) * int(table.get("n_cols") or 0)
    if len(cells) != expected:
        problems.append(
            f"{len(cells)} cells published for {table.get('n_rows')}×{table.get('n_cols')} rows×columns"
        )
    if cells and all(c.box is None for c in cells):
        problems.append("cells have no coordinates: no grid can be drawn")
    page_first = int(table.get("page_first") or 0)
    if box is not None:
        outside = [
            c
            for c in cells
            if c.page_number == page_first and c.box is not None and not box.contains(c.box)
        ]
        if outside:
            problems.append(f"{len(outside)} cell(s) on p.{page_first} lie outside the table's box")
    return TableView(
        table_id=table["table_id"],
        number=number,
        page_first=page_first,
        page_last=int(table.get("page_last") or page_first),
        box=box,
        n_rows=int(table.get("n_rows") or 0),
        n_cols=int(table.get("n_cols") or 0),
        header_rows=int(table.get("header_rows") or 0),
        caption=table.get("caption"),
        unit=table.get("unit"),
        strategy=table.get("strategy"),
        item_seq=table.get("item_seq"),
        cells=cells,
        grid=grid,
        row_pages=row_pages,
        n_numeric=sum(1 for c in cells if c.value is not None),
        n_money=sum(1 for c in cells if c.value_yen is not None),
        problems=problems,
        href=table_href(table["table_id"]),
    )


def page_overlays(page_number: int, tables: list[TableView]) -> list[Overlay]:
    """The boxes to draw on one page: each table's box and grid, in points on that page.

    The `tables` row gives the box on page_first only; on a page a stitched table continues to,
    the box is the span of the table's cells published for that page.
    """
    overlays: list[Overlay] = []
    for table in tables:
        if not table.page_first <= page_number <= table.page_last:
            continue
        here = [c for c in table.cells if c.page_number == page_number and c.box is not None]
        box = table.box if page_number == table.page_first else None
        if box is None and here:
            box = here[0].box
            for cell in here[1:]:
                box = box.union(cell.box)  # type: ignore[arg-type]
        if box is None:
            continue
        overlays.append(
            Overlay(
                table_id=table.table_id,
                label=table.label,
                href=table.href,
                box=box,
                cells=[c.box for c in here if not c.is_header],  # type: ignore[misc]
                header_cells=[c.box for c in here if c.is_header],  # type: ignore[misc]
                continued=page_number != table.page_first,
            )
        )
    return overlays


def place_label(
    x0: float,
    top: float,
    width: float,
    height: float,
    taken: list[tuple[float, float, float, float]],
) -> tuple[float, float]:
    """Where a table's label goes: in the margin left of its box, else above it, never on its cells.

    Tables that start at the same corner (a table nested in another) would hide each other's
    labels: a label moves down until it overlaps none placed before it on the page. The HTML
    overlay (in points) and the PNG overlay (in pixels) both place labels this way, so they agree.
    """
    x, y = (x0 - width - 2, top) if x0 >= width + 2 else (x0, max(0.0, top - height))
    while any(x < r[2] and r[0] < x + width and y < r[3] and r[1] < y + height for r in taken):
        y += height + 1
    taken.append((x, y, x + width, y + height))
    return x, y


def build_item(row: dict, tables: list[TableView]) -> ItemView:
    """An item with the labels of the tables inside it, so a reader can go from one to the other."""
    seq = int(row["item_seq"])
    return ItemView(
        item_seq=seq,
        item_no=row.get("item_no"),
        title=row.get("title") or "",
        category=row.get("category"),
        targets=list(row.get("targets") or []),
        bureaus=list(row.get("bureaus") or []),
        tags=list(row.get("tags") or []),
        n_demands=len(row.get("demands") or []),
        page_first=row.get("page_first"),
        page_last=row.get("page_last"),
        page_label_first=row.get("page_label_first"),
        table_labels=[t.label for t in tables if t.item_seq == seq],
    )


def _wants_image(
    page: dict, overlays: list[Overlay], items_starting: list[int], policy: str
) -> bool:
    if policy == "all":
        return True
    if policy == "none":
        return False
    return bool(
        overlays
        or items_starting
        or (page.get("n_unreadable") or 0) > 0
        or (page.get("n_suspect") or 0) > 0
        or not (page.get("n_chars") or 0)
        or page.get("page_number") == 1
    )


def build_document_report(
    summary: DocumentSummary,
    pages: list[dict],
    tables: list[dict],
    cells: list[dict],
    requests: list[dict] | None = None,
    render: str = "marked",
) -> DocumentReport:
    """A document's report from its rows; rows of other versions (doc_id) than the summary's are ignored."""
    if render not in RENDER_POLICIES:
        raise ValueError(f"render policy {render!r}: expected one of {RENDER_POLICIES}")
    table_views = _table_views(_current(tables, summary.doc_id), _current(cells, summary.doc_id))
    request_rows = sorted(_current(requests, summary.doc_id), key=lambda r: r["item_seq"])
    items = [build_item(r, table_views) for r in request_rows]
    starts = _item_starts(items)
    page_views = [
        _page_view(page, table_views, starts.get(int(page["page_number"]), []), render)
        for page in sorted(_current(pages, summary.doc_id), key=lambda p: p["page_number"])
    ]
    return DocumentReport(
        summary=summary,
        pages=page_views,
        tables=table_views,
        items=items,
        tag_counts=_by_frequency(tag for item in items for tag in item.tags),
        target_counts=_by_frequency(target for item in items for target in item.targets),
    )


def _current(rows: list[dict] | None, doc_id: str | None) -> list[dict]:
    """Rows of the published version only: a dataset file may still hold an older doc_id's rows."""
    return [r for r in rows or [] if doc_id is None or r.get("doc_id") == doc_id]


def _table_views(tables: list[dict], cells: list[dict]) -> list[TableView]:
    """Tables numbered in reading order (page, then height on it), so T1, T2… follow the PDF."""
    cells_by_table: dict[str, list[dict]] = {}
    for cell in cells:
        cells_by_table.setdefault(cell["table_id"], []).append(cell)
    ordered = sorted(
        tables,
        key=lambda t: (t.get("page_first") or 0, t.get("top") or 0.0, t["table_id"]),
    )
    return [
        build_table(n, t, cells_by_table.get(t["table_id"], []))
        for n, t in enumerate(ordered, start=1)
    ]


def _item_starts(items: list[ItemView]) -> dict[int, list[int]]:
    """Page → item_seq of the items that start on it: those pages get an image and a note."""
    starts: dict[int, list[int]] = {}
    for item in items:
        if item.page_first is not None:
            starts.setdefault(int(item.page_first), []).append(item.item_seq)
    return starts


def _page_view(
    page: dict, tables: list[TableView], items_starting: list[int], policy: str
) -> PageView:
    """A page row with what lies on it; its text is cut short, as the PDF itself is linked."""
    number = int(page["page_number"])
    overlays = page_overlays(number, tables)
    text = page.get("text") or ""
    return PageView(
        page_number=number,
        page_label=page.get("page_label"),
        width=float(page.get("width") or 595.0),
        height=float(page.get("height") or 842.0),
        n_chars=int(page.get("n_chars") or 0),
        n_unreadable=int(page.get("n_unreadable") or 0),
        overlays=overlays,
        items_starting=items_starting,
        render=_wants_image(page, overlays, items_starting, policy),
        text=text if len(text) <= TEXT_EXCERPT_CHARS else text[:TEXT_EXCERPT_CHARS] + "…",
        text_source=page.get("text_source") or "pdf",
        ocr_confidence=page.get("ocr_confidence"),
        suspects=list(page.get("suspect_words") or []),
    )


def _by_frequency(values: Iterable[str]) -> list[tuple[str, int]]:
    """Most frequent first, ties by name, so the same data always lists in the same order."""
    return sorted(Counter(values).items(), key=lambda kv: (-kv[1], kv[0]))


def column_headers(table: TableView) -> list[str]:
    """One header per column (the published header path), for a terminal or a narrow view."""
    headers: list[str] = []
    for col in range(len(table.grid[0]) if table.grid else 0):
        header = next(
            (
                row[col].header
                for row in table.grid
                if row[col] is not None and not row[col].is_header and row[col].header
            ),  # type: ignore[union-attr]
            None,
        )
        if header is None:
            parts = [
                row[col].text
                for row in table.grid[: table.header_rows]
                if row[col] is not None and row[col].text
            ]  # type: ignore[union-attr]
            header = " / ".join(parts)
        headers.append(header or f"col {col + 1}")
    return headers


def body_rows(table: TableView, page_number: int | None = None) -> list[list[CellView | None]]:
    """The grid rows below the header, optionally only those printed on one page."""
    rows = []
    for index, row in enumerate(table.grid):
        if index < table.header_rows:
            continue
        if page_number is not None and table.row_pages[index] != page_number:
            continue
        rows.append(row)
    return rows
