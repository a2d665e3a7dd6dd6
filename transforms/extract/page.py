"""One PDF page in, one `PageRecord` out: raw text, printed page label and the tables found.

Works on a pdfplumber page and returns plain records, so they can cross process boundaries and
the page can be closed right after: memory does not grow with the document.
"""

from __future__ import annotations

from typing import Any

from transforms.extract.corrections import Corrections
from transforms.extract.settings import TableSettings
from transforms.extract.tables import find_tables
from transforms.normalize.figures import page_number_line
from transforms.records import PageRecord, RawTable


def footer_label(text_raw: str) -> str | None:
    """The printed page number from a page's last (or first) lines, such as 「- 358 -」 → "358"."""
    lines = [line for line in text_raw.splitlines() if line.strip()]
    if not lines:
        return None
    for line in lines[::-1][:2] + lines[:1]:
        label = page_number_line(line)
        if label is not None:
            return label
    return None


def page_record(
    page_number: int,
    size: tuple[float, float],
    text_raw: str,
    n_chars: int,
    tables: list[RawTable],
) -> PageRecord:
    """The record of a page, however it was read (pdfplumber, or pdfium's fast path)."""
    return PageRecord(
        page_number=page_number,
        width=float(size[0]),
        height=float(size[1]),
        text_raw=text_raw,
        footer_label=footer_label(text_raw),
        n_chars=n_chars,
        tables=tables,
    )


def extract_page(
    page: Any,
    settings: TableSettings | dict | None = None,
    corrections: Corrections | None = None,
) -> PageRecord:
    """Extract what the datasets need from a pdfplumber page: text, footer label, tables
    (as the catalog's `corrections` state them, where it does)."""
    text_raw = page.extract_text(layout=False) or ""
    tables = find_tables(page, settings, corrections)
    return page_record(
        page.page_number, (page.width, page.height), text_raw, len(page.chars), tables
    )
