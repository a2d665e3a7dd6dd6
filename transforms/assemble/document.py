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
from transforms.normalize.glyphs import DocumentWords, count_suspect
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
    ocr_pages: list[int] = field(default_factory=list)  # pages whose text was read by OCR
    unread_pages: list[tuple[int, str]] = field(default_factory=list)  # no text layer, no OCR
    suspect_pages: list[int] = field(default_factory=list)
    damaged_pages: list[int] = field(default_factory=list)

    def warnings(self) -> list[str]:
        """Why the document's text cannot be trusted whole, whatever its kind.

        A page read by OCR is not a reason: its text is there, with its confidence in `pages`.
        """
        found: list[str] = []
        unread = ""
        if self.unread_pages:
            page, reason = self.unread_pages[0]
            unread = (
                f"{len(self.unread_pages)} page(s) without a text layer not read "
                f"(first: p.{page}: {reason})"
            )
        if self.pages and self.chars == 0 and not self.ocr_pages:
            found.append("no text layer: needs OCR" + (f" ({unread})" if unread else ""))
        elif unread:
            found.append(unread)
        if self.unreadable_pages:
            found.append(
                f"{len(self.unreadable_pages)} page(s) with unreadable glyphs "
                f"(first: p.{self.unreadable_pages[0]})"
            )
        if self.damaged_pages:
            found.append(damaged_pages_warning(self.damaged_pages))
        return found


def damaged_pages_warning(pages: list[int], shown: int = 20) -> str:
    """The pages whose content could not be read whole, by number, so each can be checked."""
    listed = ", ".join(f"p.{n}" for n in pages[:shown])
    more = f" and {len(pages) - shown} more" if len(pages) > shown else ""
    return f"{len(pages)} page(s) with damaged content, text may be missing: {listed}{more}"


def page_label(page: PageRecord, pdf_labels: list[str] | None) -> str | None:
    """The printed page number: the PDF's own page labels first, else the page footer."""
    index = page.page_number - 1
    if pdf_labels and 0 <= index < len(pdf_labels) and pdf_labels[index]:
        return pdf_labels[index]
    return page.footer_label


def page_row(
    doc: DocumentInfo,
    page: PageRecord,
    pdf_labels: list[str] | None,
    words: DocumentWords | None = None,
) -> dict:
    """The `pages` row of one page. `words` (the document's words so far): on a page whose text
    already shows a wrong map (a rare glyph), the uncommon kanji whose word the document prints
    elsewhere with a common one count in `n_suspect` too (see `DocumentWords`)."""
    raw = page.text_raw
    text = normalize_text(raw)
    n_suspect = count_suspect(text)
    if words is not None:
        words.add(text)
        if n_suspect:
            words.wrong_map_pages.add(page.page_number)
            n_suspect += len(words.confirmed(text))
    return {
        **doc.ids,
        "page_number": page.page_number,
        "page_label": page_label(page, pdf_labels),
        "text": text,
        "text_raw": raw,
        "n_tables": len(page.tables),
        "width": page.width,
        "height": page.height,
        "n_chars": page.n_chars,
        "n_unreadable": count_unreadable(raw),
        "text_source": page.text_source,
        "ocr_confidence": page.ocr_confidence,
        "n_suspect": n_suspect,
        "suspect_words": [
            dict(zip(("x0", "top", "x1", "bottom"), s.bbox, strict=True), word=s.word, ocr=s.ocr)
            for s in page.suspects
        ],
        "problems": list(page.problems),
    }


@dataclass(slots=True)
class DocumentForms:
    """What a document states once and means for many of its tables: the units of its
    columns, its column headers, its headings (款, 項) and the rows beside each other."""

    units: ColumnUnits = field(default_factory=ColumnUnits)
    headers: HeaderMemory = field(default_factory=HeaderMemory)
    outline: Outline = field(default_factory=Outline)


def table_rows(
    doc: DocumentInfo,
    table: StitchedTable,
    forms: DocumentForms,
    words: DocumentWords | None = None,
) -> tuple[dict, list[dict]]:
    """The `tables` row of a finished table and its `cells` rows (`words`: see `page_row`)."""
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
    for cell in cells:
        text = cell.get("text")
        cell["n_suspect"] = count_suspect(text)
        if words is not None and cell.get("page_number") in words.wrong_map_pages:
            cell["n_suspect"] += len(words.confirmed(text))
    return row, [{**ids, **cell} for cell in cells]


class DocumentAssembler:
    """Feed a document's pages in order (`add_pages`), then `finish`; each returns final rows."""

    def __init__(self, doc: DocumentInfo, pdf_labels: list[str] | None = None) -> None:
        self.doc = doc
        self.pdf_labels = pdf_labels
        self.stats = DocumentStats()
        self._stitcher = Stitcher()
        self._forms = DocumentForms()
        self._words = DocumentWords()

    def add_pages(self, pages: list[PageRecord], pdf_labels: list[str] | None = None) -> Piece:
        """Rows of `pages`, and of the tables these pages complete. `pdf_labels` (the PDF's own
        page labels, read with its first batch) is taken the first time it is given."""
        self.pdf_labels = self.pdf_labels or pdf_labels
        piece = Piece()
        for page in pages:
            piece.pages.append(page_row(self.doc, page, self.pdf_labels, self._words))
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
        if page.text_source == "ocr":
            self.stats.ocr_pages.append(page.page_number)
        elif page.ocr_error and not page.n_chars:
            self.stats.unread_pages.append((page.page_number, page.ocr_error))
        if row["n_suspect"]:
            self.stats.suspect_pages.append(page.page_number)
        if page.problems:
            self.stats.damaged_pages.append(page.page_number)

    def _add_tables(self, piece: Piece, tables: list[StitchedTable]) -> None:
        for table in tables:
            row, cells = table_rows(self.doc, table, self._forms, self._words)
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
