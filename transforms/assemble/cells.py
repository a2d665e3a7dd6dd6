"""Each printed cell read once, spans filled, header rows told from records.

Every printed cell is normalized exactly once, into a `CellText` that says what the cell is as
text, as a figure (its amount part) and as a row label; headers, stitching and cell records all
read that. Spanned positions: the grid has None where a cell spanning from the left or from above
covers the position. Every position gets a record; a covered one carries the spanning cell's text
with ``spanned`` true, so filtering ``NOT spanned`` gives each printed cell exactly once.

Header rows are the leading rows without a figure that are not shaped like the records below
them: a list's first record (a clinic's name, postal code, phone number and URL) is never taken
for its header, however few figures it holds.
"""

from __future__ import annotations

import re
import statistics
from dataclasses import dataclass

from transforms.normalize.figures import UNIT_LINE, is_figure, is_nil, labelled_figure
from transforms.normalize.text import join_cell_lines, normalize_lines, normalize_text


@dataclass(frozen=True, slots=True)
class CellText:
    """One printed cell, read once: as extracted, as text, and what it says as figure and label.

    `unit` is the unit a unit-only line of the cell states (「千円\\n488,451」 → 千円); `body` is
    the text without that line (empty when the cell is only a unit note); `figure` is the part
    that is the cell's amount (the whole body, or the figure after a Japanese label on its first
    line that has one: 「002 一般職 １１人 96,733」 → 「96,733」); `label` is the cell as a row
    label (None for a figure).
    """

    raw: str
    text: str
    unit: str | None
    body: str
    figure: str
    label: str | None

    @property
    def is_figure(self) -> bool:
        return is_figure(self.figure, normalized=True)


def read_cell(raw: str) -> CellText:
    """Normalize a cell once and read its unit note, figure and label from the normalized lines."""
    raw_lines = raw.split("\n")
    lines = normalize_lines(raw)
    if len(lines) != len(raw_lines):  # exotic line separators: read each printed line alone
        lines = [normalize_text(line, join_lines=True) or "" for line in raw_lines]
    text = join_cell_lines(lines)
    unit = None
    kept: list[str] = []
    for raw_line, line in zip(raw_lines, lines, strict=True):
        match = UNIT_LINE.match(raw_line.strip())
        if match and unit is None:
            unit = "%" if match.group(1) == "％" else match.group(1)
        else:
            kept.append(line)
    body = join_cell_lines(kept) if unit else text
    figure, label = body, body or None
    if body and is_figure(body, normalized=True):
        label = None
    elif body:
        for line in kept:
            if not line:
                continue
            if is_figure(line, normalized=True):
                figure = line
                break
            pair = labelled_figure(line)
            if pair:
                figure = pair[1]
                break
        labelled = next((p for line in kept if line and (p := labelled_figure(line))), None)
        if labelled:
            label = labelled[0]
    return CellText(raw, text, unit, body, figure, label)


TextGrid = list[list[CellText | None]]


def read_grid(rows: list[list[str | None]]) -> TextGrid:
    """Every cell of a grid read once; None (a spanned position) stays None."""
    return [[None if cell is None else read_cell(cell) for cell in row] for row in rows]


def _owner_of(
    texts: TextGrid,
    boxes: list[list],
    r: int,
    c: int,
    col_x: list[float | None],
    row_pages: list | None,
) -> tuple[int, int] | None:
    """The origin of the cell covering a None position: the one whose box reaches over it
    (boxes of rows on different pages are not compared)."""
    in_row = [b for b in boxes[r] if b] if r < len(boxes) else []
    x = col_x[c] if c < len(col_x) else None
    y = statistics.median((b[1] + b[3]) / 2 for b in in_row) if in_row else None
    for k in range(c - 1, -1, -1):
        box = boxes[r][k] if k < len(boxes[r]) else None
        if texts[r][k] is not None and box is not None:
            if x is not None and box[2] > x:
                return (r, k)
            break
    for k in range(r - 1, -1, -1):
        box = boxes[k][c] if c < len(boxes[k]) else None
        if texts[k][c] is not None and box is not None:
            same_page = not row_pages or row_pages[k] == row_pages[r]
            if y is not None and same_page and box[3] > y:
                return (k, c)
            break
    return None


def fill_spans(
    texts: TextGrid, boxes: list[list] | None = None, row_pages: list | None = None
) -> TextGrid:
    """Carry a spanning cell into the positions it covers (pdfplumber gives None there).

    With cell boxes the spanning cell is the one whose box covers the position; without, the
    nearest cell to the left, else above.
    """
    grid = [list(row) for row in texts]
    boxes = boxes or []
    n_cols = max((len(r) for r in texts), default=0)
    col_x: list[float | None] = []
    for c in range(n_cols):
        in_col = [row[c] for row in boxes if c < len(row) and row[c]]
        col_x.append(statistics.median((b[0] + b[2]) / 2 for b in in_col) if in_col else None)
    for r, row in enumerate(grid):
        for c, cell in enumerate(row):
            if cell is not None:
                continue
            owner = _owner_of(texts, boxes, r, c, col_x, row_pages) if boxes else None
            if owner is not None:
                grid[r][c] = grid[owner[0]][owner[1]]
            elif c > 0 and grid[r][c - 1] is not None:
                grid[r][c] = grid[r][c - 1]
            elif r > 0 and c < len(grid[r - 1]) and grid[r - 1][c] is not None:
                grid[r][c] = grid[r - 1][c]
    return grid


# What a cell holds, as far as telling a header row from a record goes.
_CODE = re.compile(r"^[0-9０-９\-‐－―ー−~〜～:：/／.．()（）\s]+$")
_URL = re.compile(r"(https?://|www\.|@|\.(jp|com|net|org|info)(/|$))", re.IGNORECASE)
_DATE = re.compile(r"[0-9０-９]+\s*[年月日時分]")
# What a date is printed with besides its numbers (「令和7年度から」「4月21日(火)」); a date
# is a cell of little else (「8 年度以降の支出予定額」 is a heading).
_DATE_WORDS = re.compile(r"[\s度]|から|まで|以降|現在|時点|令和|平成|昭和|[(（][^)）]{1,3}[)）]")
# Kinds of cell text only records hold; a header names its columns in words.
RECORD_KINDS = ("figure", "code", "url", "date")
MAX_HEADER_ROWS = 4


def cell_kind(cell: CellText | None) -> str:
    """empty, figure, year (「2010」: a figure that may head a column), code (postal codes,
    phone numbers, times), url, date or text."""
    if cell is None or not cell.text:
        return "empty"
    text = cell.text
    if cell.is_figure:
        return "year" if _is_year(text) else "figure"
    if _CODE.match(text) and sum(ch.isdigit() for ch in text) >= 2:
        return "code"
    if _URL.search(text) and " " not in text.strip():
        return "url"
    if _DATE.search(text) and len(_DATE_WORDS.sub("", _DATE.sub("", text))) <= 3:
        return "date"
    return "text"


def _column_kinds(rows: TextGrid) -> list[str | None]:
    """Each column's usual kind over `rows` (None where no kind holds most of its cells)."""
    n_cols = max((len(r) for r in rows), default=0)
    kinds: list[str | None] = []
    for c in range(n_cols):
        seen = [cell_kind(r[c]) for r in rows if c < len(r) and cell_kind(r[c]) != "empty"]
        best = max(set(seen), key=seen.count) if seen else None
        kinds.append(best if best and seen.count(best) > 0.5 * len(seen) else None)
    return kinds


def shaped_like_records(row: list[CellText | None], below: TextGrid) -> bool:
    """Is `row` one more record of the rows `below` it? Its cells hold what their columns hold
    below (postal codes under postal codes, URLs under URLs), which a header's words never do."""
    kinds = _column_kinds(below)
    matched = distinctive = filled = 0
    for c, cell in enumerate(row):
        kind = cell_kind(cell)
        if kind == "empty" or c >= len(kinds):
            continue
        filled += 1
        if kind == kinds[c]:
            matched += 1
            distinctive += kind in RECORD_KINDS
    return filled > 0 and distinctive > 0 and matched >= 0.6 * filled


def count_header_rows(texts: TextGrid) -> int:
    """Leading rows that are headers: no figure (years heading columns aside), and not shaped
    like the records below them (at most MAX_HEADER_ROWS, never the whole table). A table without a single figure or record
    kind below its first row has one header row at most: nothing else tells them apart."""
    count = 0
    for r, row in enumerate(texts[: min(MAX_HEADER_ROWS, len(texts) - 1)]):
        cells = [c for c in row if c is not None and c.raw.strip()]
        if not cells or any(_states_figure(c) and not _is_year(c.text) for c in cells):
            break
        if all(not c.body for c in cells):
            break  # a row of 「千円」 notes opens the body: it states the columns' units
        below = texts[r + 1 : r + 13]
        if shaped_like_records(row, below):
            break
        count += 1
    if count > 1 and not _records_below(texts[count:]):
        return 1
    return count


def _states_figure(cell: CellText) -> bool:
    """The cell states a figure: all of it, or after its label (「002 一般職 96,733」) — not a
    header naming its unit on a line of its own (「Number of retail outlets / (000)」)."""
    if is_figure(cell.body, normalized=True):
        return True
    return cell.is_figure and cell.label is not None and cell.label != cell.body


def _is_year(text: str) -> bool:
    """A year heading a column (「2010」), which reads as a figure but names the column."""
    return bool(_YEAR.match(text.strip()))


_YEAR = re.compile(r"^(19|20)[0-9]{2}$")


def _records_below(rows: TextGrid) -> bool:
    return any(cell_kind(c) in RECORD_KINDS for row in rows for c in row if c is not None)


def _whole_width(row: list[CellText | None]) -> bool:
    """A header row that is one cell across every column: the table's title (「医療機関等一覧」),
    which names no column."""
    return len(row) >= 2 and row[0] is not None and all(c is row[0] for c in row)


def header_paths(grid: TextGrid, header_rows: int) -> list[str]:
    """Column header paths: the texts of the header rows in that column, joined " / " (a row
    that is one cell across the whole table is its title, not part of any column's path)."""
    n_cols = max((len(r) for r in grid), default=0)
    rows = [r for r in range(header_rows) if not _whole_width(grid[r]) or r == header_rows - 1]
    paths: list[str] = []
    for c in range(n_cols):
        parts: list[str] = []
        for r in rows:
            cell = grid[r][c] if c < len(grid[r]) else None
            text = cell.text if cell is not None else None
            if text and (not parts or parts[-1] != text):
                parts.append(text)
        paths.append(" / ".join(parts))
    return paths


def _label_row(row: list[CellText | None]) -> bool:
    cells = [c for c in row if c is not None and c.text]
    return len(cells) >= 2 and not any(c.is_figure for c in cells)


def _figure_row(row: list[CellText | None]) -> bool:
    cells = [c for c in row if c is not None and c.text]
    return len(cells) >= 2 and all(c.is_figure or is_nil(c.text) for c in cells)


def band_headers(grid: TextGrid, header_rows: int) -> tuple[dict[int, list[str]], set[int]]:
    """Headers of a table printed in bands: a row of labels over a row of figures, again and
    again (a ward table wrapped over several lines: 千代田 中央 港 … / 19 68 215 …). Each
    figure row's header is the row of labels printed above it. Returns the labels of each
    figure row and the label rows of the later bands (header rows too); empty for any other
    table."""
    if header_rows < 1 or not _label_row(grid[header_rows - 1]):
        return {}, set()
    body = grid[header_rows:]
    if len(body) < 3:
        return {}, set()
    for k, row in enumerate(body):
        if not (_figure_row(row) if k % 2 == 0 else _label_row(row)):
            return {}, set()
    labels: dict[int, list[str]] = {}
    for k in range(0, len(body), 2):
        above = body[k - 1] if k else grid[header_rows - 1]
        labels[header_rows + k] = [cell.text if cell is not None else "" for cell in above]
    return labels, {header_rows + k for k in range(1, len(body), 2)}
