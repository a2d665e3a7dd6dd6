"""A document's page records in, its `pages`, `tables` and `cells` rows out, piece by piece.

This is where per-page results become per-document facts: printed page labels, tables continued
across pages stitched into one, units stated once for a table (or a form) applied to its cells.
Pages are fed in order, a few at a time; each call returns the rows that are final, so a
document of any length is assembled in the memory of a few pages and of the tables still open.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from transforms.assemble.headers import HeaderMemory, settle_header
from transforms.assemble.problems import table_problems
from transforms.assemble.rows import Outline
from transforms.assemble.stitch import StitchedTable, Stitcher
from transforms.assemble.table import TableGrid, table_cells
from transforms.assemble.units import ColumnUnits
from transforms.normalize.amounts import find_unit
from transforms.normalize.text import count_unreadable, normalize_text
from transforms.records import DocumentInfo, PageRecord


@dataclass(slots=True)
class Piece:
    """Rows ready to be written, in page order."""

    pages: list[dict] = field(default_factory=list)
    tables: list[dict] = field(default_factory=list)
    cells: list[dict] = field(default_factory=list)


@dataclass(slots=True)
class DocumentStats:
    """Counts kept while a document is assembled, and what they say about its quality."""

    pages: int = 0
    tables: int = 0
    cells: int = 0
    chars: int = 0
    unreadable_pages: list[int] = field(default_factory=list)

    def warnings(self) -> list[str]:
        """Why the document's text cannot be trusted whole, whatever its kind."""
        found: list[str] = []
        if self.pages and self.chars == 0:
            found.append("no text layer: needs OCR")
        if self.unreadable_pages:
            found.append(
                f"{len(self.unreadable_pages)} page(s) with unreadable glyphs "
                f"(first: p.{self.unreadable_pages[0]})"
            )
        return found


def page_label(page: PageRecord, pdf_labels: list[str] | None) -> str | None:
    """The printed page number: the PDF's own page labels first, else the page footer."""
    index = page.page_number - 1
    if pdf_labels and 0 <= index < len(pdf_labels) and pdf_labels[index]:
        return pdf_labels[index]
    return page.footer_label


def page_row(doc: DocumentInfo, page: PageRecord, pdf_labels: list[str] | None) -> dict:
    """The `pages` row of one page."""
    raw = page.text_raw
    return {
        **doc.ids,
        "page_number": page.page_number,
        "page_label": page_label(page, pdf_labels),
        "text": normalize_text(raw),
        "text_raw": raw,
        "n_tables": len(page.tables),
        "width": page.width,
        "height": page.height,
        "n_chars": page.n_chars,
        "n_unreadable": count_unreadable(raw),
    }


@dataclass(slots=True)
class DocumentForms:
    """What a document states once and means for many of its tables: the units of its
    columns, its column headers, its headings (款, 項) and the rows beside each other."""

    units: ColumnUnits = field(default_factory=ColumnUnits)
    headers: HeaderMemory = field(default_factory=HeaderMemory)
    outline: Outline = field(default_factory=Outline)


def table_rows(
    doc: DocumentInfo, table: StitchedTable, forms: DocumentForms
) -> tuple[dict, list[dict]]:
    """The `tables` row of a finished table and its `cells` rows."""
    table_id = f"{doc.doc_id}-p{table.page_first}-t{table.ordinal}"
    caption = normalize_text(table.caption or "", join_lines=False) or None
    unit = find_unit(caption)
    header = settle_header(table, forms.headers, table.header_rows)
    grid = TableGrid(
        table.texts, table.cell_boxes, table.row_pages, header.rows, header.paths, header.repeats
    )
    known = forms.units.known_for(table, unit)
    cells, header_rows, column_units = table_cells(grid, unit, known, forms.outline)
    forms.units.remember(table, column_units)
    x0, top, x1, bottom = table.bbox
    row = {
        **doc.ids,
        "table_id": table_id,
        "page_first": table.page_first,
        "page_last": table.page_last,
        "x0": x0,
        "top": top,
        "x1": x1,
        "bottom": bottom,
        "n_rows": len(table.rows),
        "n_cols": table.n_cols,
        "header_rows": header_rows,
        "caption": caption,
        "unit": unit,
        "strategy": table.strategy,
        "problems": table_problems(
            cells, header_rows, header.source_page, table.strategy, table.n_cols
        ),
    }
    ids = {**doc.ids, "table_id": table_id}
    return row, [{**ids, **cell} for cell in cells]


class DocumentAssembler:
    """Feed a document's pages in order (`add_pages`), then `finish`; each returns final rows."""

    def __init__(self, doc: DocumentInfo, pdf_labels: list[str] | None = None) -> None:
        self.doc = doc
        self.pdf_labels = pdf_labels
        self.stats = DocumentStats()
        self._stitcher = Stitcher()
        self._forms = DocumentForms()

    def add_pages(self, pages: list[PageRecord], pdf_labels: list[str] | None = None) -> Piece:
        """Rows of `pages`, and of the tables these pages complete. `pdf_labels` (the PDF's own
        page labels, read with its first batch) is taken the first time it is given."""
        self.pdf_labels = self.pdf_labels or pdf_labels
        piece = Piece()
        for page in pages:
            piece.pages.append(page_row(self.doc, page, self.pdf_labels))
            self._count_page(page, piece.pages[-1])
            self._forms.outline.add_page(page)
            self._add_tables(piece, self._stitcher.add_page(page))
        return piece

    def finish(self) -> Piece:
        """The tables that run to the document's last page."""
        piece = Piece()
        self._add_tables(piece, self._stitcher.finish())
        return piece

    def _count_page(self, page: PageRecord, row: dict) -> None:
        self.stats.pages += 1
        self.stats.chars += page.n_chars or 0
        if row["n_unreadable"]:
            self.stats.unreadable_pages.append(page.page_number)

    def _add_tables(self, piece: Piece, tables: list[StitchedTable]) -> None:
        for table in tables:
            row, cells = table_rows(self.doc, table, self._forms)
            piece.tables.append(row)
            piece.cells.extend(cells)
            self.stats.tables += 1
            self.stats.cells += len(cells)


def assemble_document(
    doc: DocumentInfo, pages: list[PageRecord], pdf_labels: list[str] | None = None
) -> Piece:
    """All rows of a document whose pages are at hand (evaluations, tests)."""
    assembler = DocumentAssembler(doc, pdf_labels)
    piece = assembler.add_pages(sorted(pages, key=lambda p: p.page_number))
    rest = assembler.finish()
    piece.tables += rest.tables
    piece.cells += rest.cells
    return piece
