"""`teian export`: published tables (or a query's result) out as files people open in Excel,
pandas or a BI tool.

- CSV: the grid as printed (header rows on top), UTF-8 with a byte order mark by default so
  Excel on a Japanese Windows reads it as UTF-8, or cp932 (`--encoding cp932`) for tools that
  only read Shift_JIS; what cp932 cannot hold is reported with its cell, never dropped.
- XLSX (XlsxWriter): one sheet per table, its header rows frozen, the document, PDF page and
  printed page cited above the grid, figures as numbers (exact: a figure Excel would round is
  written as text), merged cells merged.
- Parquet (and CSV/XLSX with `--wide`): one column per header path, typed, one row per printed
  line with its page, for pandas/Polars/BI tools.

Why XlsxWriter: it only writes, and writes what Excel itself writes (merged ranges, frozen
panes, number formats, sheet names checked against Excel's rules) with no dependency of its own;
the tests read its files back with openpyxl, a different implementation, so a writer bug cannot
hide behind its own reader.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from flows.store import DataDir, atomic_path, read_dataset
from transforms.schemas import PIPELINE_VERSION
from transforms.tabulate import (
    AMOUNTS,
    TableGrid,
    column_widths,
    csv_rows,
    describe_character,
    for_cp932,
    sheet_name,
    table_grid,
    values_grid,
    wide_table,
)

EXPORT_FORMATS = ("csv", "xlsx", "parquet")
ENCODINGS = ("utf-8-sig", "utf-8", "cp932")
_ARROW_TYPES = {"int": pa.int64(), "float": pa.float64(), "text": pa.string()}


class ExportError(Exception):
    """What the user asked for cannot be exported (no such source or table, a bad --out)."""


@dataclass
class ExportOptions:
    """How to write: the file format, the CSV encoding, amounts as printed or in yen, wide."""

    fmt: str = "csv"
    encoding: str = "utf-8-sig"
    amounts: str = "printed"
    wide: bool = False

    def check(self) -> None:
        if self.fmt not in EXPORT_FORMATS:
            raise ExportError(f"--format {self.fmt}: one of {', '.join(EXPORT_FORMATS)}")
        if self.encoding not in ENCODINGS:
            raise ExportError(f"--encoding {self.encoding}: one of {', '.join(ENCODINGS)}")
        if self.encoding != "utf-8-sig" and self.fmt != "csv":
            raise ExportError(f"--encoding applies to csv files, not {self.fmt}")
        if self.amounts not in AMOUNTS:
            raise ExportError(f"--amounts {self.amounts}: one of {', '.join(AMOUNTS)}")


@dataclass
class ExportResult:
    files: list[Path] = field(default_factory=list)
    tables: int = 0
    rows: int = 0
    problems: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class SourceFacts:
    """What a sheet or file cites about the document: its title, URL, fetch time."""

    source_id: str
    title: str = ""
    url: str = ""
    retrieved_at: str = ""


# -- reading the published tables ----------------------------------------------------------------


def _source_facts(data: DataDir, source_id: str) -> SourceFacts:
    documents = read_dataset(data, "documents", source_id)
    rows = documents.to_pylist() if documents is not None else []
    current = [r for r in rows if r.get("is_current")] or rows
    if not current:
        return SourceFacts(source_id)
    row = current[-1]
    when = row.get("retrieved_at")
    return SourceFacts(
        source_id, row.get("title") or "", row.get("url") or "", when.isoformat() if when else ""
    )


def _matching_tables(tables: list[dict], table: str | None, source_id: str) -> list[dict]:
    """The tables asked for: all, or the one whose id is `table` (or ends with it: 「p3-t1」)."""
    if table is None:
        return tables
    found = [t for t in tables if t["table_id"] == table or t["table_id"].endswith(f"-{table}")]
    if not found:
        known = ", ".join(t["table_id"] for t in tables[:5]) + (" …" if len(tables) > 5 else "")
        raise ExportError(f"{source_id}: no table {table} (its tables: {known})")
    return found


def source_grids(
    data: DataDir, source_id: str, table: str | None, amounts: str
) -> tuple[SourceFacts, list[TableGrid]]:
    """The grids of a source's published tables (or of one of them), in document order."""
    tables = read_dataset(data, "tables", source_id)
    if tables is None:
        raise ExportError(
            f"{source_id}: nothing published under {data.display(data.processed)} "
            "(`teian sources` lists the sources and their state)"
        )
    table_rows = sorted(tables.to_pylist(), key=lambda t: (t["page_first"], t["table_id"]))
    if not table_rows:
        raise ExportError(f"{source_id}: the published document has no tables")
    wanted = _matching_tables(table_rows, table, source_id)
    ids = {t["table_id"] for t in wanted}
    cells = read_dataset(data, "cells", source_id)
    by_table: dict[str, list[dict]] = {i: [] for i in ids}
    for cell in cells.to_pylist() if cells is not None else []:
        if cell["table_id"] in ids:
            by_table[cell["table_id"]].append(cell)
    pages = read_dataset(data, "pages", source_id)
    labels = {}
    if pages is not None:
        numbers, printed = pages.column("page_number"), pages.column("page_label")
        labels = dict(zip(numbers.to_pylist(), printed.to_pylist(), strict=True))
    grids = [table_grid(t, by_table[t["table_id"]], labels, amounts) for t in wanted]
    return _source_facts(data, source_id), grids


# -- CSV ---------------------------------------------------------------------------------------------


def _cp932_rows(rows: list[list[str]], where: str) -> tuple[list[list[str]], list[str]]:
    """Rows as cp932 holds them, and one problem per cell whose characters it cannot hold."""
    problems, twins = [], 0
    out = []
    for r, row in enumerate(rows, start=1):
        line = []
        for c, text in enumerate(row, start=1):
            converted, missing = for_cp932(text)
            if missing:
                chars = ", ".join(describe_character(ch) for ch in dict.fromkeys(missing))
                problems.append(
                    f"{where} row {r} col {c}: cp932 cannot hold {chars}; written as 〓 "
                    f"(cell: {text[:40]!r})"
                )
            elif converted != text:
                twins += 1
            line.append(converted)
        out.append(line)
    if twins:
        problems.append(
            f"{where}: {twins} cell(s) written with cp932's own form of a character "
            "(〜 as ～, − as －, …), which Windows shows the same"
        )
    return out, problems


def write_csv(path: Path, rows: list[list[str]], encoding: str, where: str) -> list[str]:
    """One CSV file; for cp932 the problems found on the way, each naming its cell."""
    problems: list[str] = []
    if encoding == "cp932":
        rows, problems = _cp932_rows(rows, where)
    with atomic_path(path) as tmp:
        with open(tmp, "w", encoding=encoding, newline="") as handle:
            csv.writer(handle, lineterminator="\r\n").writerows(_defused(rows))
    return problems


def _defused(rows: list[list[str]]) -> list[list[str]]:
    """Cells a spreadsheet would run as a formula (「=HYPERLINK(…)」 printed in a PDF) get a
    leading apostrophe, as OWASP advises for CSV; figures (「-1234」) are left alone."""
    out = []
    for row in rows:
        line = []
        for text in row:
            if text[:1] in ("=", "+", "-", "@", "\t", "\r") and not _is_plain_number(text):
                text = "'" + text
            line.append(text)
        out.append(line)
    return out


def _is_plain_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return len(text) == 1  # a lone 「-」 (nil) is text no spreadsheet runs
    return True


# -- XLSX ------------------------------------------------------------------------------------------


class _Formats:
    """XlsxWriter formats, made once per workbook and per number format."""

    def __init__(self, workbook: Any) -> None:
        self.workbook = workbook
        self.header = workbook.add_format(
            {"bold": True, "bg_color": "#EEEEEE", "border": 1, "text_wrap": True, "valign": "top"}
        )
        self.text = workbook.add_format({"border": 1, "text_wrap": True, "valign": "top"})
        self.nil = workbook.add_format({"border": 1, "align": "right", "valign": "top"})
        self.title = workbook.add_format({"bold": True, "font_size": 12})
        self.note = workbook.add_format({"font_color": "#555555"})
        self._numbers: dict[str, Any] = {}

    def number(self, number_format: str | None) -> Any:
        key = number_format or "General"
        if key not in self._numbers:
            self._numbers[key] = self.workbook.add_format(
                {"border": 1, "num_format": key, "valign": "top"}
            )
        return self._numbers[key]


def _write_cell(sheet: Any, formats: _Formats, r: int, c: int, cell: Any) -> None:
    if cell is None:
        sheet.write_blank(r, c, None, formats.text)
    elif cell.number is not None and not cell.is_header:
        sheet.write_number(r, c, cell.number, formats.number(cell.number_format))
    else:
        style = formats.header if cell.is_header else formats.nil if cell.nil else formats.text
        sheet.write_string(r, c, cell.text, style)


def _write_sheet(
    workbook: Any, formats: _Formats, name: str, grid: TableGrid, preamble: list[str]
) -> Any:
    """One table on one sheet: the citation lines, then the grid with its header rows frozen."""
    sheet = workbook.add_worksheet(name)
    for r, line in enumerate(preamble):
        sheet.write_string(r, 0, line, formats.title if r == 0 else formats.note)
    top = len(preamble) + 1
    merged = {(m.first_row, m.first_col): m for m in grid.merges}
    covered = {
        (r, c)
        for m in grid.merges
        for r in range(m.first_row, m.last_row + 1)
        for c in range(m.first_col, m.last_col + 1)
    }
    for r, row in enumerate(grid.rows):
        for c, cell in enumerate(row):
            if (r, c) in merged:
                m = merged[(r, c)]
                fmt = formats.header if cell.is_header else formats.text
                sheet.merge_range(
                    top + m.first_row, m.first_col, top + m.last_row, m.last_col, "", fmt
                )
            elif (r, c) in covered:
                continue
            _write_cell(sheet, formats, top + r, c, cell)
    for c, width in enumerate(column_widths(grid)):
        sheet.set_column(c, c, width)
    sheet.freeze_panes(top + grid.header_rows, 0)
    if grid.header_rows:  # printed, every page repeats the header rows, as the PDF does
        sheet.repeat_rows(top, top + grid.header_rows - 1)
    return sheet


def _preamble(facts: SourceFacts, grid: TableGrid) -> list[str]:
    lines = [facts.title or facts.source_id, grid.citation()]
    if grid.caption:
        lines.append(" ".join(grid.caption.split("\n")))
    if note := grid.unit_note():
        lines.append(note)
    if facts.url:
        lines.append(f"{facts.url} (retrieved {facts.retrieved_at[:19]} UTC)")
    return lines


def _index_sheet(workbook: Any, formats: _Formats, facts: SourceFacts, sheets: list) -> None:  # noqa: ANN001
    """A first sheet listing every table with a link to its sheet, when there are several."""
    sheet = workbook.add_worksheet("tables")
    sheet.write_string(0, 0, facts.title or facts.source_id, formats.title)
    sheet.write_string(1, 0, f"{facts.source_id}: {len(sheets)} tables", formats.note)
    for c, name in enumerate(("sheet", "table", "pages", "caption", "rows", "columns")):
        sheet.write_string(3, c, name, formats.header)
    for r, (name, grid) in enumerate(sheets, start=4):
        sheet.write_url(r, 0, f"internal:'{name}'!A1", string=name)
        sheet.write_string(r, 1, grid.table_id)
        sheet.write_string(r, 2, grid.page_citation())
        sheet.write_string(r, 3, " ".join((grid.caption or "").split("\n")))
        sheet.write_number(r, 4, len(grid.rows))
        sheet.write_number(r, 5, grid.n_cols)
    sheet.set_column(0, 0, 12)
    sheet.set_column(1, 1, 26)
    sheet.set_column(2, 2, 28)
    sheet.set_column(3, 3, 50)
    sheet.freeze_panes(4, 0)


def write_xlsx(
    path: Path, facts: SourceFacts, grids: list[TableGrid], preambles: list[list[str]] | None = None
) -> None:
    """A workbook with one sheet per grid (and an index sheet when there are several)."""
    import xlsxwriter

    with atomic_path(path) as tmp:
        workbook = xlsxwriter.Workbook(
            str(tmp),
            {"strings_to_numbers": False, "strings_to_formulas": False, "strings_to_urls": False},
        )
        workbook.set_properties(
            {"title": facts.title, "subject": facts.source_id, "comments": facts.url}
        )
        formats = _Formats(workbook)
        used: set[str] = {"tables"} if len(grids) > 1 else set()
        sheets = [(sheet_name(g.table_id, used), g) for g in grids]
        if len(grids) > 1:
            _index_sheet(workbook, formats, facts, sheets)
        for index, (name, grid) in enumerate(sheets):
            preamble = preambles[index] if preambles else _preamble(facts, grid)
            _write_sheet(workbook, formats, name, grid, preamble)
        workbook.close()


# -- Parquet (wide) ----------------------------------------------------------------------------------


def file_metadata(facts: SourceFacts, **extra: str) -> dict[str, str]:
    """Key-value metadata of an exported file: where its rows come from, which pipeline."""
    return {
        "teian.pipeline_version": PIPELINE_VERSION,
        "teian.source_id": facts.source_id,
        "teian.url": facts.url,
        "teian.retrieved_at": facts.retrieved_at,
        **extra,
    }


def wide_arrow(grid: TableGrid, metadata: dict[str, str]) -> pa.Table:
    """The wide form as an Arrow table: typed columns, each with its description and unit."""
    columns, rows = wide_table(grid)
    fields = []
    for column in columns:
        meta = {"description": column.description}
        if column.unit:
            meta["unit"] = column.unit
        fields.append(pa.field(column.name, _ARROW_TYPES[column.kind], metadata=meta))
    schema = pa.schema(fields, metadata={**metadata, "teian.table_id": grid.table_id})
    data = {col.name: [row[i] for row in rows] for i, col in enumerate(columns)}
    return pa.Table.from_pydict(data, schema=schema)


def write_parquet(path: Path, table: pa.Table) -> None:
    with atomic_path(path) as tmp:
        pq.write_table(table, tmp, compression="zstd")


def wide_grid(grid: TableGrid) -> TableGrid:
    """The wide form as a grid with one header row, for CSV and XLSX (`--wide`)."""
    columns, rows = wide_table(grid)
    wide = values_grid(grid.source_id, [c.name for c in columns], [tuple(r) for r in rows])
    wide.table_id, wide.page_labels, wide.row_pages = (
        grid.table_id,
        grid.page_labels,
        grid.row_pages,
    )
    wide.caption, wide.unit, wide.amounts = grid.caption, grid.unit, grid.amounts
    return wide


# -- where the files go ------------------------------------------------------------------------------


def output_paths(out: Path, names: list[str], suffix: str) -> list[Path]:
    """One file for one table (`out` itself, unless it is a folder), else one per table in the
    folder `out`."""
    folder = out.is_dir() or (len(names) > 1 and not out.suffix)
    if not folder:
        if len(names) > 1:
            raise ExportError(
                f"--out {out}: {len(names)} tables need a folder (give one without a suffix), "
                "or choose one with --table"
            )
        return [out]
    out.mkdir(parents=True, exist_ok=True)
    return [out / f"{name}{suffix}" for name in names]


def export_grids(
    facts: SourceFacts, grids: list[TableGrid], out: Path, options: ExportOptions
) -> ExportResult:
    """Write grids in the chosen format; returns the files and what the user must know."""
    result = ExportResult(tables=len(grids), rows=sum(len(g.rows) for g in grids))
    for grid in grids:
        result.problems.extend(f"{grid.table_id}: {p}" for p in grid.problems)
    shown = [wide_grid(g) for g in grids] if options.wide else grids
    if options.fmt == "xlsx":
        write_xlsx(out, facts, shown)
        result.files.append(out)
        return result
    names = [sheet_name(g.table_id, set()) for g in grids]
    suffix = ".parquet" if options.fmt == "parquet" else ".csv"
    for path, grid, table in zip(output_paths(out, names, suffix), shown, grids, strict=True):
        if options.fmt == "parquet":
            write_parquet(path, wide_arrow(table, file_metadata(facts)))
        else:
            result.problems += write_csv(path, csv_rows(grid), options.encoding, grid.table_id)
        result.files.append(path)
    return result


def export_source(
    data: DataDir, source_id: str, table: str | None, out: Path, options: ExportOptions
) -> ExportResult:
    """A source's tables (or one of them) to files."""
    options.check()
    facts, grids = source_grids(data, source_id, table, options.amounts)
    return export_grids(facts, grids, out, options)


def export_query(con: Any, sql: str, out: Path, options: ExportOptions) -> ExportResult:
    """A query's result to one file: a typed Parquet table, or a CSV/XLSX grid."""
    options.check()
    cursor = con.execute(sql)
    facts = SourceFacts("query", title="teian query", url="")
    if options.fmt == "parquet":
        table = cursor.to_arrow_table()
        meta = {**(table.schema.metadata or {}), "teian.query": sql}
        meta["teian.pipeline_version"] = PIPELINE_VERSION
        write_parquet(out, table.replace_schema_metadata(meta))
        return ExportResult(files=[out], tables=1, rows=table.num_rows)
    columns = [d[0] for d in cursor.description or []]
    rows = cursor.fetchall()
    grid = values_grid("query", columns, rows)
    result = ExportResult(files=[out], tables=1, rows=len(rows), problems=list(grid.problems))
    if options.fmt == "xlsx":
        preamble = ["teian query", " ".join(sql.split()), f"{len(rows)} rows"]
        write_xlsx(out, facts, [grid], [preamble])
    else:
        result.problems += write_csv(out, csv_rows(grid), options.encoding, "query")
    return result


def describe(result: ExportResult) -> str:
    """The one line `teian export` prints: what was written where."""
    files = ", ".join(str(p) for p in result.files[:3]) + (" …" if len(result.files) > 3 else "")
    return (
        f"Wrote {len(result.files)} file(s), {result.tables} table(s), {result.rows} rows: {files}"
    )
