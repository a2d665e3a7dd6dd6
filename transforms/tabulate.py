"""A published table back as a table: its cells as a grid with its header rows, or "wide" (one
column per header path), ready for a spreadsheet, a CSV file or a typed Parquet file.

`cells` holds one row per cell so that every figure keeps its page, header and unit; analysts
then want the table as printed (header rows on top, one line per printed line) or as a frame
with one column per header path. Both are built here from the published rows, so an export never
goes back to the PDF and always shows what the datasets say.

What a spreadsheet may hold is decided here too, because Excel and Shift_JIS both lose data
silently when asked for what they cannot do:

- Excel keeps 15 significant digits; a figure with more is written as text, never rounded.
- Figures stay numbers: as printed in the table's unit (`amounts="printed"`: 1,234 in a 千円
  table is 1234), or as exact yen (`amounts="yen"`: 1234000), never a float's approximation.
- cp932 (Shift_JIS as Windows reads it) lacks some characters the normalized text uses; those
  with a cp932 twin that a Japanese Windows shows the same (〜 → ～) are written as the twin,
  and any other is replaced by 〓 and reported with its cell, so nothing is dropped unseen.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from transforms.normalize.figures import is_nil

AMOUNTS = ("printed", "yen")
# Significant digits a spreadsheet cell keeps (Excel's limit, IEEE doubles give ~15.9).
SPREADSHEET_DIGITS = 15
# Characters the normalized text uses that cp932 spells with another code point, which a
# Japanese Windows displays the same (the JIS X 0208 vs Microsoft mapping differences).
CP932_TWINS = {
    "\u301c": "\uff5e",  # 〜 WAVE DASH → ～ FULLWIDTH TILDE
    "\u2016": "\u2225",  # ‖ DOUBLE VERTICAL LINE → ∥ PARALLEL TO
    "\u2212": "\uff0d",  # − MINUS SIGN → － FULLWIDTH HYPHEN-MINUS
    "\u00a2": "\uffe0",  # ¢ → ￠
    "\u00a3": "\uffe1",  # £ → ￡
    "\u00ac": "\uffe2",  # ¬ → ￢
    "\u2014": "\u2015",  # — EM DASH → ― HORIZONTAL BAR
    "\u00a6": "\uffe4",  # ¦ → ￤
}
# What a character cp932 cannot hold becomes: the geta mark, a Japanese typesetter's "missing".
CP932_MISSING = "\u3013"
_DECIMALS = re.compile(r"[.．]([0-9０-９]+)")
_MINUS_MARKS = ("△", "▲", "▼")
_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


@dataclass(frozen=True, slots=True)
class GridCell:
    """One position of the grid: its text, and the number a spreadsheet cell should hold."""

    text: str
    number: int | float | None = None  # None: a text cell
    number_format: str | None = None  # spreadsheet number format ("#,##0", "#,##0;△#,##0" …)
    is_header: bool = False
    spanned: bool = False  # covered by a merged cell printed to its left or above
    nil: bool = False  # a nil marker (「－」「―」): no figure, which data files leave empty

    @property
    def is_empty_figure(self) -> bool:
        """No value for a data file: a nil marker, or a merged figure's copy (never summed twice)."""
        return self.nil or (self.spanned and self.number is not None)


@dataclass(frozen=True, slots=True)
class Merge:
    """A merged cell's extent in the grid, inclusive (0-based rows and columns)."""

    first_row: int
    first_col: int
    last_row: int
    last_col: int


@dataclass
class TableGrid:
    """A table as printed, with where it comes from, to cite in a sheet or file."""

    source_id: str
    table_id: str
    header_rows: int
    rows: list[list[GridCell | None]]
    row_pages: list[int]  # the PDF page each row is printed on
    headers: list[str]  # each column's header path (the wide form's column names)
    units: list[str | None]  # each column's most common unit
    page_labels: dict[int, str | None] = field(default_factory=dict)
    caption: str | None = None
    unit: str | None = None
    amounts: str = "printed"
    merges: list[Merge] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    row_labels: list[str | None] = field(default_factory=list)

    @property
    def n_cols(self) -> int:
        return max((len(r) for r in self.rows), default=0)

    @property
    def pages(self) -> tuple[int, int]:
        return (min(self.row_pages), max(self.row_pages)) if self.row_pages else (0, 0)

    def page_citation(self) -> str:
        """The pages to cite: 「PDF p.2–3 (printed p.1–2)」."""
        first, last = self.pages
        pages = f"p.{first}" if first == last else f"p.{first}–{last}"
        labels = [self.page_labels.get(first), self.page_labels.get(last)]
        printed = ""
        if labels[0] or labels[1]:
            a, b = labels[0] or "?", labels[1] or "?"
            printed = f" (printed p.{a})" if first == last or a == b else f" (printed p.{a}–{b})"
        return f"PDF {pages}{printed}"

    def citation(self) -> str:
        """Where the table is printed: 「sample-budget-r8, PDF p.2–3 (printed p.1–2), table …」."""
        return f"{self.source_id}, {self.page_citation()}, table {self.table_id}"

    def unit_note(self) -> str | None:
        """What the figures are in, as a reader of the sheet needs to know."""
        if self.amounts == "yen":
            printed = f" (printed in {self.unit})" if self.unit else ""
            return f"Amounts of money in yen{printed}; other figures as printed."
        if not self.unit or self.unit in (self.caption or ""):
            return None  # the caption above the grid already says it
        return f"単位: {self.unit} (as printed)"


# -- numbers as a spreadsheet holds them --------------------------------------------------------


def spreadsheet_number(value: int | float | Decimal | None) -> int | float | None:
    """The number a spreadsheet cell can hold exactly, or None when it would be rounded.

    Integral values become ints (a float's 1234.0 is the printed 1,234); values with more
    significant digits than a spreadsheet keeps are refused, so the caller writes them as text.
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
        return None
    if isinstance(value, float | Decimal) and value == int(value):
        value = int(value)
    if isinstance(value, int):
        digits = str(abs(value)).rstrip("0") or "0"
        return value if len(digits) <= SPREADSHEET_DIGITS else None
    return float(value)  # a fraction as printed (12.5): a double holds it as a spreadsheet does


def plain_number(value: int | float | Decimal) -> str:
    """A number as CSV and Markdown cells print it: all its digits, never an exponent."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float) and value == int(value) and abs(value) < 2**63:
        return str(int(value))
    text = format(Decimal(repr(value)) if isinstance(value, float) else value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _number_format(text: str, number: int | float, amounts: str, is_money: bool) -> str:
    """Digit grouping as printed; minus shown the way the table printed it (△1,234)."""
    decimals = 0
    if not (amounts == "yen" and is_money):
        match = _DECIMALS.search(text)
        decimals = len(match.group(1)) if match else 0
    positive = "#,##0" + ("." + "0" * decimals if decimals else "")
    mark = next((m for m in _MINUS_MARKS if text.lstrip().startswith(m)), None)
    return f'{positive};"{mark}"{positive}' if mark else positive


# -- a table's cells to its grid -----------------------------------------------------------------


def _grid_cell(cell: dict, amounts: str) -> tuple[GridCell, str | None]:
    """A published cell as a grid position, and a problem when its figure cannot be a number."""
    text = cell.get("text") or ""
    is_header = bool(cell.get("is_header"))
    raw = None if is_header else cell.get("value")
    is_money = cell.get("value_yen") is not None
    if amounts == "yen" and is_money:
        raw = cell["value_yen"]
    number = spreadsheet_number(raw)
    problem = None
    if raw is not None and number is None:
        problem = (
            f"row {cell['row']} col {cell['col']}: {plain_number(raw)} has more than "
            f"{SPREADSHEET_DIGITS} significant digits, written as text to stay exact"
        )
        text = plain_number(raw) if isinstance(raw, int) else text
    number_format = _number_format(text, number, amounts, is_money) if number is not None else None
    nil = not is_header and raw is None and is_nil(text)
    return (
        GridCell(text, number, number_format, is_header, bool(cell.get("spanned")), nil),
        problem,
    )


def _merges(rows: list[list[GridCell | None]]) -> list[Merge]:
    """The merged cells: each printed cell with the spanned copies of it to its right and below."""
    claimed: set[tuple[int, int]] = set()
    merges = []

    def copy_of(r: int, c: int, origin: GridCell) -> bool:
        if r >= len(rows) or c >= len(rows[r]) or (r, c) in claimed:
            return False
        cell = rows[r][c]
        return cell is not None and cell.spanned and cell.text == origin.text

    for r, row in enumerate(rows):
        for c, origin in enumerate(row):
            if origin is None or origin.spanned:
                continue
            last_col = c
            while copy_of(r, last_col + 1, origin):
                last_col += 1
            last_row = r
            while all(copy_of(last_row + 1, k, origin) for k in range(c, last_col + 1)):
                last_row += 1
            if (last_row, last_col) != (r, c):
                merges.append(Merge(r, c, last_row, last_col))
                claimed.update(
                    (i, k) for i in range(r, last_row + 1) for k in range(c, last_col + 1)
                )
    return merges


def _column_names(cells: list[dict], n_cols: int) -> list[str]:
    """Each column's header path, made unique (a repeated path gets 「 (2)」)."""
    names: list[str | None] = [None] * n_cols
    for cell in cells:
        c = cell["col"]
        if c < n_cols and names[c] is None and cell.get("header"):
            names[c] = cell["header"]
    seen: Counter[str] = Counter()
    unique = []
    for c, name in enumerate(names):
        base = name or f"column {c + 1}"
        seen[base] += 1
        unique.append(base if seen[base] == 1 else f"{base} ({seen[base]})")
    return unique


def _column_units(cells: list[dict], n_cols: int, amounts: str) -> list[str | None]:
    counts: list[Counter[str]] = [Counter() for _ in range(n_cols)]
    for cell in cells:
        if cell.get("value") is not None and cell["col"] < n_cols and not cell.get("is_header"):
            money = cell.get("value_yen") is not None
            unit = "円" if amounts == "yen" and money else cell.get("unit")
            if unit:
                counts[cell["col"]][unit] += 1
    return [c.most_common(1)[0][0] if c else None for c in counts]


def table_grid(
    table: dict,
    cells: list[dict],
    page_labels: dict[int, str | None] | None = None,
    amounts: str = "printed",
) -> TableGrid:
    """A `tables` row and its `cells` rows as the printed grid: header rows first, one grid row
    per table row, numbers as numbers, merged cells as merges."""
    if amounts not in AMOUNTS:
        raise ValueError(f"amounts must be one of {', '.join(AMOUNTS)}, not {amounts!r}")
    n_rows = max([table.get("n_rows") or 0, *(c["row"] + 1 for c in cells)])
    n_cols = max([table.get("n_cols") or 0, *(c["col"] + 1 for c in cells)])
    rows: list[list[GridCell | None]] = [[None] * n_cols for _ in range(n_rows)]
    row_pages = [table.get("page_first") or 0] * n_rows
    row_labels: list[str | None] = [None] * n_rows
    problems = []
    for cell in cells:
        grid_cell, problem = _grid_cell(cell, amounts)
        rows[cell["row"]][cell["col"]] = grid_cell
        row_pages[cell["row"]] = cell.get("page_number") or row_pages[cell["row"]]
        row_labels[cell["row"]] = row_labels[cell["row"]] or cell.get("row_label")
        if problem:
            problems.append(problem)
    return TableGrid(
        source_id=table["source_id"],
        table_id=table["table_id"],
        header_rows=int(table.get("header_rows") or 0),
        rows=rows,
        row_pages=row_pages,
        headers=_column_names(cells, n_cols),
        units=_column_units(cells, n_cols, amounts),
        page_labels=dict(page_labels or {}),
        caption=table.get("caption"),
        unit=table.get("unit"),
        amounts=amounts,
        merges=_merges(rows),
        problems=problems,
        row_labels=row_labels,
    )


def values_grid(source: str, columns: list[str], rows: list[tuple]) -> TableGrid:
    """A query's result as a grid: one header row of column names, each value typed."""
    grid_rows: list[list[GridCell | None]] = [[GridCell(name, is_header=True) for name in columns]]
    problems = []
    for r, row in enumerate(rows, start=1):
        line: list[GridCell | None] = []
        for c, value in enumerate(row):
            number = spreadsheet_number(value) if _is_number(value) else None
            if _is_number(value) and number is None:
                problems.append(
                    f"row {r} column {columns[c]}: {plain_number(value)} has more than "
                    f"{SPREADSHEET_DIGITS} significant digits, written as text to stay exact"
                )
            text = "" if value is None else cell_text(value)
            fmt = "#,##0" if isinstance(number, int) and abs(number) >= 1000 else None
            line.append(GridCell(text, number, fmt))
        grid_rows.append(line)
    return TableGrid(
        source_id=source,
        table_id="query",
        header_rows=1,
        rows=grid_rows,
        row_pages=[],
        headers=list(columns),
        units=[None] * len(columns),
        problems=problems,
        row_labels=[None] * len(grid_rows),
    )


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


# -- the grid as CSV rows and as a wide frame --------------------------------------------------------


def csv_rows(grid: TableGrid) -> list[list[str]]:
    """The grid as CSV rows. A merged cell's text is repeated over the positions it covers, so
    every column keeps its whole header; a merged figure is written once, never summed twice.
    Nil markers (「－」) are empty: the figure's column stays numeric for whoever reads it."""
    out = []
    for row in grid.rows:
        line = []
        for cell in row + [None] * (grid.n_cols - len(row)):
            if cell is None or cell.is_empty_figure:
                line.append("")
            else:
                line.append(plain_number(cell.number) if cell.number is not None else cell.text)
        out.append(line)
    return out


@dataclass(frozen=True, slots=True)
class WideColumn:
    """A column of the wide form: its name (the header path), its type and unit."""

    name: str
    kind: str  # "int" | "float" | "text"
    unit: str | None = None
    description: str = ""


WIDE_KEYS = (
    WideColumn("source_id", "text", description="The source's id in the catalog."),
    WideColumn("table_id", "text", description="The table (see tables.table_id)."),
    WideColumn("page_number", "int", description="PDF page the row is printed on."),
    WideColumn("page_label", "text", description="Printed page number of that page (to cite)."),
    WideColumn("row", "int", description="Row in the table, 0-based (header rows first)."),
    WideColumn("row_label", "text", description="The label of the row."),
)


def _column_kind(values: list[GridCell | None]) -> str:
    present = [
        v for v in values if v is not None and not v.nil and (v.text or v.number is not None)
    ]
    if present and all(v.number is not None for v in present):
        return "int" if all(isinstance(v.number, int) for v in present) else "float"
    return "text"


def wide_table(grid: TableGrid) -> tuple[list[WideColumn], list[list[Any]]]:
    """One row per body row, one column per header path, plus the row's source, page and label.

    A column whose every cell is a figure is numeric (int when every figure is whole), so
    pandas, Polars and BI tools sum it without parsing; any other column is text.
    """
    body = grid.rows[grid.header_rows :]
    names = {c.name for c in WIDE_KEYS}
    columns = list(WIDE_KEYS)
    kinds = []
    for c, header in enumerate(grid.headers):
        kind = _column_kind([row[c] if c < len(row) else None for row in body])
        kinds.append(kind)
        name = header if header not in names else f"{header} (column {c + 1})"
        names.add(name)
        unit = grid.units[c] if kind != "text" else None
        description = f"Column {c + 1} of the table, headed {header!r}" + (
            f", in {unit}." if unit else "."
        )
        columns.append(WideColumn(name, kind, unit, description))
    rows = []
    for offset, row in enumerate(body):
        r = grid.header_rows + offset
        page = grid.row_pages[r] if r < len(grid.row_pages) else None
        line: list[Any] = [
            grid.source_id,
            grid.table_id,
            page,
            grid.page_labels.get(page) if page is not None else None,
            r,
            grid.row_labels[r] if r < len(grid.row_labels) else None,
        ]
        for c, kind in enumerate(kinds):
            line.append(_wide_value(row[c] if c < len(row) else None, kind))
        rows.append(line)
    return columns, rows


def _wide_value(cell: GridCell | None, kind: str) -> Any:
    if cell is None or cell.is_empty_figure:
        return None
    if kind == "text":
        return cell.text or None
    return cell.number


# -- text of values, for CSV, Markdown and JSON ---------------------------------------------------


def cell_text(value: Any) -> str:
    """A value as one CSV or Markdown cell: numbers with all their digits, lists as JSON."""
    if value is None:
        return ""
    if isinstance(value, bool | int | float | Decimal):
        return plain_number(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list | tuple | dict):
        return json.dumps(json_value(value), ensure_ascii=False)
    if isinstance(value, bytes):
        return value.hex()
    return str(value)


def json_value(value: Any) -> Any:
    """A value JSON can carry without loss: exact integers stay integers, times become ISO text."""
    if isinstance(value, Decimal):
        return int(value) if value == int(value) else float(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [json_value(v) for v in value]
    if isinstance(value, dict):
        return {str(k): json_value(v) for k, v in value.items()}
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
        return None
    return value


# -- cp932, sheet names, column widths ---------------------------------------------------------------


def for_cp932(text: str) -> tuple[str, list[str]]:
    """`text` as cp932 can hold it: twins substituted (〜 → ～), any other character cp932 lacks
    replaced by 〓; returns the text and the characters that were replaced (not the twins)."""
    out, missing = [], []
    for char in text:
        char = CP932_TWINS.get(char, char)
        try:
            char.encode("cp932")
        except UnicodeEncodeError:
            missing.append(char)
            char = CP932_MISSING
        out.append(char)
    return "".join(out), missing


def describe_character(char: str) -> str:
    """「'𠮷' (U+20BB7)」: a character as a person can look it up."""
    return f"{char!r} (U+{ord(char):04X} {unicodedata.name(char, 'unnamed')})"


def sheet_name(table_id: str, used: set[str]) -> str:
    """A unique worksheet name for a table: its id after the document's (「p12-t1」), within
    Excel's 31 characters and without the characters Excel refuses."""
    base = table_id.split("-", 1)[1] if "-" in table_id else table_id
    base = _SHEET_FORBIDDEN.sub("_", base).strip("'")[:31] or "table"
    name, n = base, 1
    while name.lower() in {u.lower() for u in used}:
        n += 1
        suffix = f" ({n})"
        name = base[: 31 - len(suffix)] + suffix
    used.add(name)
    return name


def display_width(text: str) -> int:
    """Columns a text takes in a spreadsheet: East Asian wide characters count twice."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def column_widths(grid: TableGrid, most: int = 60) -> list[int]:
    """A readable width for each column: its longest line, within `most` characters."""
    widths = [4] * grid.n_cols
    for row in grid.rows:
        for c, cell in enumerate(row):
            if cell is None or (cell.spanned and cell.is_header):
                continue
            shown = f"{cell.number:,}" if cell.number is not None else cell.text
            longest = max((display_width(line) for line in shown.split("\n")), default=0)
            widths[c] = max(widths[c], min(most, longest + 2))
    return widths
