"""The records one stage hands to the next, declared once.

    fetch ─▶ FetchResult ─▶ extract ─▶ PageBatch of PageRecord (with RawTable) ─▶ assemble
    ─▶ rows of pages/tables/cells (+ DocTable inside) ─▶ kinds ─▶ Parsed ─▶ publish

Stage records are dataclasses so that a stage cannot be handed something it has to guess the
shape of. Dataset rows (what publish writes) stay plain dicts: their one declaration is the Arrow
schema in `transforms.schemas`, which checks every row's keys and types on the way out.
Everything here pickles, because extraction runs in child processes and may run on Dask workers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

BBox = tuple[float, float, float, float]  # x0, top, x1, bottom in PDF points, top-left origin
Grid = list[list[str | None]]  # cell texts; None where a cell spanning from left/above covers
BoxGrid = list[list[BBox | None]]


@dataclass(frozen=True, slots=True)
class FetchResult:
    """A source's PDF in the raw store, and how it got there."""

    source_id: str
    path: str
    sha256: str
    size_bytes: int
    fetched_from: str
    retrieved_at: str  # ISO 8601, UTC
    outcome: str  # "new" (stored now) | "unchanged" (same bytes again) | "not-modified" (HTTP 304)
    etag: str | None = None
    last_modified: str | None = None

    @property
    def doc_id(self) -> str:
        return self.sha256[:16]


@dataclass(slots=True)
class RawTable:
    """A table as found on one page: its grid, each cell's box, how it was found."""

    bbox: BBox
    rows: Grid
    cell_boxes: BoxGrid
    strategy: str  # "lines" (ruled grid) | "text" (column alignment)
    caption: str = ""
    header_rows: int | None = None  # stated by a catalog correction; None: found by assembly

    @property
    def n_cols(self) -> int:
        return max((len(r) for r in self.rows), default=0)


@dataclass(slots=True)
class SuspectWord:
    """A word holding a glyph a Japanese public document rarely uses, where it is printed, and
    how OCR of that spot reads it (None when OCR did not run)."""

    word: str
    bbox: BBox
    ocr: str | None = None


@dataclass(slots=True)
class PageRecord:
    """What extraction keeps of a PDF page: enough to build every dataset without the PDF."""

    page_number: int  # 1-based
    width: float
    height: float
    text_raw: str
    footer_label: str | None  # the printed page number found in the page's first/last lines
    n_chars: int
    tables: list[RawTable] = field(default_factory=list)
    text_source: str = "pdf"  # "pdf" (the text layer) | "ocr"
    ocr_confidence: float | None = None  # mean word confidence (0-100) when read by OCR
    ocr_error: str | None = None  # why a page without a text layer has no OCR text
    suspects: list[SuspectWord] = field(default_factory=list)
    # Why the page's text may be incomplete: a damaged content stream, a page the parser failed on.
    problems: list[str] = field(default_factory=list)


@dataclass(slots=True)
class PageBatch:
    """The records of pages `first`..`last` (inclusive), as one extraction worker returns them."""

    first: int
    last: int
    pages: list[PageRecord]
    page_labels: list[str] | None = None  # the PDF's own page labels, read by the batch of page 1


@dataclass(frozen=True, slots=True)
class BatchRef:
    """Where a finished batch is: a file in the work dir (local runs), or the batch itself (a
    Dask worker on another machine, whose work dir the flow cannot read)."""

    first: int
    last: int
    path: str | None = None
    batch: PageBatch | None = None


@dataclass(slots=True)
class DocTable:
    """A document table: one page's table, or several stitched across consecutive pages."""

    page_first: int
    page_last: int
    bbox: BBox  # on page_first
    rows: Grid
    cell_boxes: BoxGrid
    row_pages: list[int]  # the page each row is printed on
    strategy: str
    caption: str = ""

    @classmethod
    def from_page(cls, table: RawTable, page_number: int) -> DocTable:
        return cls(
            page_first=page_number,
            page_last=page_number,
            bbox=table.bbox,
            rows=list(table.rows),
            cell_boxes=list(table.cell_boxes),
            row_pages=[page_number] * len(table.rows),
            strategy=table.strategy,
            caption=table.caption,
        )

    @property
    def n_cols(self) -> int:
        return max((len(r) for r in self.rows), default=0)


@dataclass(frozen=True, slots=True)
class DocumentInfo:
    """What the stages after extraction know about the document they work on."""

    source_id: str
    doc_id: str
    kind: str
    title: str = ""
    publisher: str = ""
    fiscal_year: int | None = None
    edition: str | None = None
    url: str | None = None  # where the catalog says it lives (cited in the published files)
    retrieved_at: str | None = None  # when these bytes were fetched, ISO 8601 UTC

    @property
    def ids(self) -> dict[str, str]:
        """The two columns every row of every dataset carries."""
        return {"source_id": self.source_id, "doc_id": self.doc_id}


@dataclass(slots=True)
class Parsed:
    """What a document kind makes of a document (see `transforms.kinds`).

    `datasets` holds the rows of the kind's own datasets; `table_columns` fills columns of the
    tables and cells already assembled, by table id (e.g. the request item a table belongs to);
    `warnings` say why the result may be incomplete (the document is then published `partial`).
    """

    datasets: dict[str, list[dict]] = field(default_factory=dict)
    table_columns: dict[str, dict[str, Any]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
