"""Row labels and row paths: which line of a table a figure belongs to, and where that line sits.

A table's label column is the leftmost column whose body cells are mostly words (not figures,
codes or dates). A cell's `row_label` is the name of its own line:

- the label printed in the cell itself, before its figure (「均等割 399,000」: a budget book's
  説明 lists its items so, one per line);
- else the label column's cell in its row (a list's 施設名, not the 住所 beside it);
- else the nearest label to its left (a line listed under the label column's cell above).

Ordinals printed before a name (「1 個人」「1款 市税」「001 給与費」「(1)」) are not part of it;
a 款/項/目/節 after the number says the line's level. Lines nest by indentation (or by sitting
further right, as a 説明 item under its 節), which gives each line its path inside the table.
Across tables, `Outline` carries the levels a budget book prints as headings (「1款 市税」
「1項 市民税」) and the rows of a table at the level above on the facing page, so a 目 line's
path reads 「市税 / 市民税 / 個人」. A total line (「計」) names the line it totals: its path
is its parent's, its label the parent's name (the printed 「計」 stays in `text`).
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from dataclasses import dataclass, field

from transforms.assemble.cells import CellText, TextGrid, cell_kind
from transforms.normalize.text import normalize_text
from transforms.records import PageRecord

# 「1款」「第2項」「(3)」「④」「001 」 before a name; the letter after the number is the level.
_ORDINAL = re.compile(
    r"^\s*(?:第?\s*[0-9]+\s*(?P<level>[款項目節])\s*"
    r"|[(（][0-9]+[)）]\s*"
    r"|[\u2460-\u2473]\s*"
    r"|[0-9]{1,4}\s+(?=[^\x00-\x7f]))"
)
LEVELS = ("款", "項", "目", "節")
TOTALS = frozenset({"計", "合計", "小計", "総計", "総額", "累計"})
# A figure closing a heading line: 「1款 市税 49,286,300千円」.
_TRAILING_AMOUNT = re.compile(r"\s+[△▲\-−]?[0-9][0-9,.]*\s*(?:千円|百万円|億円|円)?\s*$")
# Headings and row bands kept for the tables still to come (a few pages' worth is enough).
MAX_HEADINGS = 4000
MAX_BANDS = 4000
# Two label starts closer than this (points) are at the same indentation.
INDENT_TOLERANCE = 1.5


@dataclass(frozen=True, slots=True)
class Name:
    """A label as printed, read: its name without the ordinal, the level the ordinal states."""

    name: str
    level: str | None
    total: bool


def read_name(label: str) -> Name:
    """「1款 市税」 → 市税 at level 款; 「1 個人」 → 個人; 「合 計」 → a total."""
    match = _ORDINAL.match(label)
    name = label[match.end() :].strip() if match and label[match.end() :].strip() else label
    compact = re.sub(r"\s+", "", unicodedata.normalize("NFKC", name))
    level = match.group("level") if match else None
    return Name(name.strip(), level, compact in TOTALS)


def is_label(cell: CellText | None) -> bool:
    """A cell of words: text that names something (a date such as 「令和6年度」 included), not
    a figure, a code or a URL, nor a nil mark (「－」)."""
    return (
        cell is not None
        and cell.label is not None
        and cell_kind(cell) in ("text", "date")
        and any(ch.isalpha() for ch in cell.label)
    )


def _own_label(cell: CellText | None) -> bool:
    """A cell printing its line's label before its figure (「均等割 399,000」)."""
    return cell is not None and cell.is_figure and bool(cell.label) and cell.figure != cell.body


def _is_year_cell(cell: CellText | None) -> bool:
    return cell is not None and cell_kind(cell) == "year"


def label_columns(grid: TextGrid, header_rows: int) -> list[int]:
    """The columns that name the lines: the label columns left of the first column of figures
    (a column of years there, 「1991」 beside 「Men」, is one); in a table without figures, the
    leftmost label column alone (a list's 施設名, not the 住所 beside it)."""
    body = grid[header_rows:]
    n_cols = max((len(r) for r in body), default=0)
    labels: list[int] = []
    first_figures = None
    for c in range(n_cols):
        filled = [row[c] for row in body if c < len(row) and row[c] is not None and row[c].text]
        if not filled:
            continue
        years = all(_is_year_cell(cell) for cell in filled)
        if years or sum(1 for cell in filled if is_label(cell)) >= 0.5 * len(filled):
            labels.append(c)
        elif sum(1 for cell in filled if cell.is_figure) >= 0.5 * len(filled):
            first_figures = c
            break
    if first_figures is None:
        return [
            c
            for c in labels
            if not all(
                _is_year_cell(r[c]) for r in body if c < len(r) and r[c] is not None and r[c].text
            )
        ][:1]
    return labels


def label_column(grid: TextGrid, header_rows: int) -> int | None:
    """The first of the columns that name the lines."""
    columns = label_columns(grid, header_rows)
    return columns[0] if columns else None


@dataclass(slots=True)
class Line:
    """The line a cell belongs to: its label, the labels above it in the table, the level its
    ordinal states, whether it is a total, and the row whose label it is."""

    label: str | None
    path: list[str] = field(default_factory=list)
    level: str | None = None
    total: bool = False
    row: int = -1


def _column_lefts(boxes: list[list]) -> list[float]:
    """Each column's left edge: where a spanned position (no box of its own) starts."""
    n_cols = max((len(r) for r in boxes), default=0)
    lefts = []
    for c in range(n_cols):
        xs = [row[c][0] for row in boxes if c < len(row) and row[c]]
        lefts.append(min(xs) if xs else float(c))
    return lefts


def _entries(
    row: list[CellText | None], box_row: list, columns: list[int], lefts: list[float]
) -> list[tuple[int, float, Name]]:
    """(column, x, name) of the labels that open lines in a row: the label columns' cells (or,
    where they are empty, the first label in the row: a line listed under the one above) and
    cells printing their own label before their figure."""
    out: list[tuple[int, float, Name]] = []
    filled = any(c < len(row) and (is_label(row[c]) or _is_year_cell(row[c])) for c in columns)
    for c, cell in enumerate(row):
        x = box_row[c][0] if c < len(box_row) and box_row[c] else lefts[c] if c < len(lefts) else c
        named = c in columns and (is_label(cell) or _is_year_cell(cell))
        listed = not filled and not out and is_label(cell)
        if cell is not None and (named or listed or _own_label(cell)):
            out.append((c, x, read_name(cell.label or cell.text)))
    return out


def line_labels(grid: TextGrid, header_rows: int, boxes: list[list]) -> dict[tuple[int, int], Line]:
    """Each body cell's line (see the module doc), from the grid with spans filled: a cell's
    own label, else (for a figure) the nearest label to its left, else the row's first."""
    columns = label_columns(grid, header_rows)
    lefts = _column_lefts(boxes)
    stack: list[tuple[float, str]] = []
    out: dict[tuple[int, int], Line] = {}
    for r in range(header_rows, len(grid)):
        row = grid[r]
        box_row = boxes[r] if r < len(boxes) else []
        lines: list[tuple[int, Line]] = []
        for c, x, name in _entries(row, box_row, columns, lefts):
            while stack and stack[-1][0] >= x - INDENT_TOLERANCE:
                stack.pop()
            parents = [n for _, n in stack]
            if name.total:
                lines.append(
                    (c, Line(parents[-1] if parents else name.name, parents, None, True, r))
                )
                continue
            lines.append((c, Line(name.name, parents + [name.name], name.level, False, r)))
            stack.append((x, name.name))
        for c in range(len(row)):
            if row[c] is None and not lines:
                continue
            own = next((line for k, line in lines if k == c), None)
            left = [line for k, line in lines if k < c]
            figure = row[c] is not None and row[c].is_figure
            first = lines[0][1] if lines else None
            line = own or (left[-1] if left and figure else (left[0] if left else first))
            if line is not None:
                out[(r, c)] = line
    return out


@dataclass(frozen=True, slots=True)
class _Band:
    page: int
    x1: float
    top: float
    bottom: float
    path: list[str]
    level: str


@dataclass(frozen=True, slots=True)
class _Heading:
    page: int
    top: float
    level: str
    name: str


def _table_level(headers: list[str], main: int | None) -> str | None:
    """The level the label column's header names (「目」「節 / 区分」), if any."""
    if main is None or main >= len(headers):
        return None
    parts = [re.sub(r"\s+", "", p) for p in headers[main].split(" / ")]
    return next((p for p in parts if p in LEVELS), None)


def heading_name(text: str) -> Name | None:
    """The level heading a line prints (「1款 市税 49,286,300千円」 → 市税 at 款), if any."""
    label = _TRAILING_AMOUNT.sub("", normalize_text(text, join_lines=True) or "").strip()
    name = read_name(label)
    if name.level is not None and name.name and name.name != label:
        return name
    return None


class Outline:
    """Where a budget book's headings are (款 and 項 lines, in captions or in table rows) and
    the rows of its tables at each level, so a table's lines get their full path (see the
    module doc). Headings are noted as pages arrive and read by position, so a table stitched
    over many pages finds on each page the headings printed there."""

    def __init__(self) -> None:
        self._headings: list[_Heading] = []
        self._keys: list[tuple[int, float]] = []
        self._bands: list[_Band] = []

    def add_page(self, page: PageRecord) -> None:
        """Note the level headings on `page`: caption lines and the first cell of table rows."""
        found: list[_Heading] = []
        for table in page.tables:
            for line in (table.caption or "").splitlines():
                if name := heading_name(line):
                    found.append(
                        _Heading(page.page_number, table.bbox[1] - 1, name.level, name.name)
                    )
            for r, row in enumerate(table.rows):
                first = next((c for c in row if c and c.strip()), None)
                boxes = [b for b in table.cell_boxes[r] if b] if r < len(table.cell_boxes) else []
                top = min(b[1] for b in boxes) if boxes else table.bbox[1]
                if first and (name := heading_name(first)):
                    found.append(_Heading(page.page_number, top, name.level, name.name))
        found.sort(key=lambda h: h.top)
        self._headings += found
        self._keys += [(h.page, h.top) for h in found]
        if len(self._headings) > MAX_HEADINGS:
            del self._headings[:-MAX_HEADINGS], self._keys[:-MAX_HEADINGS]

    def context(self, page: int, top: float) -> dict[str, str]:
        """The headings in force at (page, top): the latest of each level not cleared by a
        later heading of a higher level, from this page or the one before."""
        levels: dict[str, str] = {}
        bound = len(LEVELS)
        k = bisect.bisect_right(self._keys, (page, top + 0.5)) - 1
        while k >= 0 and bound > 0 and self._headings[k].page >= page - 1:
            heading = self._headings[k]
            index = LEVELS.index(heading.level)
            if index < bound:
                levels[heading.level] = heading.name
                bound = index
            k -= 1
        return levels

    def _prefix(self, level: str, page: int, top: float) -> list[str]:
        found = self.context(page, top)
        return [found[above] for above in LEVELS[: LEVELS.index(level)] if above in found]

    def _beside(self, level: str | None, page: int, x0: float, top: float) -> _Band | None:
        """The row at the level above (any level, for a table that names none) on the table
        to the left at this height."""
        above = LEVELS[LEVELS.index(level) - 1] if level and LEVELS.index(level) else None
        for band in reversed(self._bands):
            if (
                (level is None or band.level == above)
                and band.page == page
                and band.x1 <= x0 + 1
                and band.top - 1 <= top < band.bottom
            ):
                return band
        return None

    def level_beside(self, page: int, geometry: tuple[float, float] | None) -> str | None:
        """The level of a table that names none but sits beside the rows of one that does:
        the level below theirs (a budget book's 節 on the page facing its 目)."""
        band = self._beside(None, page, *geometry) if geometry else None
        if band is None or LEVELS.index(band.level) + 1 >= len(LEVELS):
            return None
        return LEVELS[LEVELS.index(band.level) + 1]

    def place(
        self,
        lines: dict[tuple[int, int], Line],
        headers: list[str],
        grid: TextGrid,
        header_rows: int,
        boxes: list[list],
        row_pages: list[int],
    ) -> dict[tuple[int, int], Line]:
        """The cells' lines with the path from the headings and the facing table before them."""
        main = label_column(grid, header_rows)
        level = _table_level(headers, main)
        if level is None and header_rows < len(grid):
            first = header_rows
            level = self.level_beside(row_pages[first], _row_geometry(boxes, first))
        placed: dict[int, Line] = {}
        out: dict[tuple[int, int], Line] = {}
        root: list[str] | None = None  # the prefix of the latest line at the table's top level
        for key in sorted(lines):
            line = lines[key]
            if id(line) not in placed:
                nested = len(line.path) > 1 and root is not None
                where = (row_pages[line.row], _row_geometry(boxes, line.row))
                placed[id(line)] = self._place_line(line, level, where, root if nested else None)
                if not nested and level is not None:
                    root = placed[id(line)].path[: -1 if not line.total else None]
            out[key] = placed[id(line)]
        if level is not None:
            self._remember_rows(out, level, boxes, row_pages, main)
        return out

    def _place_line(
        self,
        line: Line,
        level: str | None,
        where: tuple[int, tuple[float, float] | None],
        root: list[str] | None,
    ) -> Line:
        """`where` is the line's page and (left, top); `root` is the prefix of the top-level
        line a nested line sits under."""
        page, geometry = where
        top = geometry[1] if geometry else 0.0
        if line.level is not None and not line.total and line.label:
            prefix = self._prefix(line.level, page, top)
            return Line(line.label, prefix + line.path[-1:], line.level, False, line.row)
        if level is None:
            return line
        if root is not None:
            return Line(line.label, root + line.path, level, line.total, line.row)
        prefix = self._prefix(level, page, top)
        if geometry is not None and LEVELS.index(level) > len(prefix):
            beside = self._beside(level, page, geometry[0], top)
            if beside is not None:
                prefix = beside.path
        path = prefix + line.path
        label = line.label
        if line.total and not line.path and prefix:
            label = prefix[-1]
        return Line(label, path, level, line.total, line.row)

    def _remember_rows(
        self,
        lines: dict[tuple[int, int], Line],
        level: str,
        boxes: list[list],
        row_pages: list[int],
        main: int | None,
    ) -> None:
        """Each line's band on its page: from its top to the next line's top (the last to the
        table's foot), for the lines of a table set beside this one."""
        tops: list[tuple[int, float, float, Line]] = []
        for (r, c), line in sorted(lines.items()):
            row = [b for b in (boxes[r] if r < len(boxes) else []) if b]
            if c != main or not row or not line.path:
                continue
            tops.append((row_pages[r], min(b[1] for b in row), max(b[2] for b in row), line))
        foot = max((b[3] for row in boxes for b in row if b), default=0.0)
        for k, (page, top, x1, line) in enumerate(tops):
            nxt = tops[k + 1] if k + 1 < len(tops) and tops[k + 1][0] == page else None
            bottom = nxt[1] if nxt else foot
            if not line.total:
                self._bands.append(_Band(page, x1, top, bottom, line.path, level))
        del self._bands[:-MAX_BANDS]


def _row_geometry(boxes: list[list], r: int) -> tuple[float, float] | None:
    """(left, top) of a row's cells."""
    row = [b for b in (boxes[r] if r < len(boxes) else []) if b]
    return (min(b[0] for b in row), min(b[1] for b in row)) if row else None
