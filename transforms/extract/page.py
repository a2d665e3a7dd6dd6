"""One PDF page in, one `PageRecord` out: raw text, printed page label and the tables found.

Works on a pdfplumber page and returns plain records, so they can cross process boundaries and
the page can be closed right after: memory does not grow with the document.
"""

from __future__ import annotations

from typing import Any

from transforms.extract.corrections import Corrections
from transforms.extract.settings import TableSettings
from transforms.extract.tables import find_tables
from transforms.extract.vertical import has_vertical_run, read_page
from transforms.normalize.figures import is_number, page_number_line
from transforms.normalize.glyphs import suspect_words
from transforms.records import BBox, PageRecord, RawTable

# Rows of text next to a page number candidate that are looked at to tell a printed page number
# from the last figure of a column (a 目次's page column, a table's total).
_NEIGHBOUR_ROWS = 3


def footer_label(
    text_raw: str, chars: list[dict] | None = None, tables: list[RawTable] | None = None
) -> str | None:
    """The printed page number from a page's last (or first) lines, such as 「- 358 -」 → "358".

    With the page's characters, a candidate must also stand where a page number stands: not
    inside a table, and not at the end of a column of figures aligned with it, just above it or
    standing alone like it (a 目次 whose last entry's page number sits on a line of its own).
    """
    lines = [line for line in text_raw.splitlines() if line.strip()]
    if not lines:
        return None
    for position, line in [
        (-1, lines[-1]),
        (-1, lines[-2] if len(lines) > 1 else ""),
        (0, lines[0]),
    ]:
        label = page_number_line(line)
        if label is not None and (
            chars is None or stands_alone(label, chars, position == 0, tables or [])
        ):
            return label
    return None


def count_chars(chars: list[dict]) -> int:
    """Characters that print something: blanks are left out, since one parser reports the
    spaces a PDF draws and another skips them, and a page of blanks has no text either way."""
    return sum(1 for char in chars if not char["text"].isspace())


def stands_alone(label: str, chars: list[dict], at_top: bool, tables: list[RawTable]) -> bool:
    """Whether the row printing `label` at the page's bottom (top) is a page number, not a figure
    of a column or table (see `footer_label`); a row that cannot be found is given the benefit."""
    rows = _edge_rows(chars, at_top)
    for index, row in enumerate(rows[:2]):
        if page_number_line(_row_text(row)) != label:
            continue
        box = _row_box(row)
        if any(_centre_in(box, table.bbox) for table in tables):
            return False
        height = box[3] - box[1]
        for other in rows[index + 1 : index + 1 + _NEIGHBOUR_ROWS]:
            text = _row_text(other)
            words = text.split()
            other_box = _row_box(other)
            gap = max(box[1] - other_box[3], other_box[1] - box[3])
            if (
                words
                and is_number(words[-1])
                and abs(other_box[2] - box[2]) <= 2.0
                and (page_number_line(text) is not None or gap < 2 * height)
            ):
                return False  # the last of a column of figures: a 目次's page column
        return True
    return True


def _edge_rows(chars: list[dict], from_top: bool) -> list[list[dict]]:
    """The page's rows of characters from its bottom edge up (or its top edge down), the few a
    page number check needs."""
    visible = [c for c in chars if c["text"].strip()]
    visible.sort(key=lambda c: c["top"] if from_top else -c["bottom"])
    rows: list[list[dict]] = []
    for char in visible:
        if rows:
            row = rows[-1]
            anchor = row[0]
            height = min(anchor["bottom"] - anchor["top"], char["bottom"] - char["top"]) or 1.0
            overlap = min(anchor["bottom"], char["bottom"]) - max(anchor["top"], char["top"])
            if overlap >= 0.5 * height:
                row.append(char)
                continue
            if len(rows) > 2 + _NEIGHBOUR_ROWS:
                break
        rows.append([char])
    return rows


def _row_text(row: list[dict]) -> str:
    out: list[str] = []
    previous = None
    for char in sorted(row, key=lambda c: c["x0"]):
        if previous is not None and char["x0"] - previous["x1"] > 3:
            out.append(" ")
        out.append(char["text"])
        previous = char
    return "".join(out)


def _row_box(row: list[dict]) -> BBox:
    return (
        min(c["x0"] for c in row),
        min(c["top"] for c in row),
        max(c["x1"] for c in row),
        max(c["bottom"] for c in row),
    )


def _centre_in(box: BBox, outer: BBox) -> bool:
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    return outer[0] - 1 <= cx <= outer[2] + 1 and outer[1] - 1 <= cy <= outer[3] + 1


def page_record(
    page_number: int,
    size: tuple[float, float],
    text_raw: str,
    n_chars: int,
    tables: list[RawTable],
    chars: list[dict] | None = None,
) -> PageRecord:
    """The record of a page, however it was read (pdfplumber, or pdfium's fast path)."""
    return PageRecord(
        page_number=page_number,
        width=float(size[0]),
        height=float(size[1]),
        text_raw=text_raw,
        footer_label=footer_label(text_raw, chars, tables),
        n_chars=n_chars,
        tables=tables,
        suspects=suspect_words(chars) if chars else [],
    )


def extract_page(
    page: Any,
    settings: TableSettings | dict | None = None,
    corrections: Corrections | None = None,
) -> PageRecord:
    """Extract what the datasets need from a pdfplumber page: text, footer label, tables
    (as the catalog's `corrections` state them, where it does).

    A page with vertical writing is read in its own order (`transforms.extract.vertical`).
    """
    tables = find_tables(page, settings, corrections)
    text_raw = None
    chars = page.chars
    if has_vertical_run(chars):
        text_raw, tables = read_page(page, tables)
    if text_raw is None:
        text_raw = page.extract_text(layout=False) or ""
    return page_record(
        page.page_number, (page.width, page.height), text_raw, count_chars(chars), tables, chars
    )
