"""DuckDB over the published datasets, and query results written the way a reader wants them.

`connect` gives a DuckDB connection in which every dataset is a view of its name (`cells`,
`requests` …) over all its sources' files, with each column's description from
`transforms.schemas` as a DuckDB comment, so `SELECT column_name, comment FROM duckdb_columns()`
says what a column holds. `write_result` prints rows as a terminal table, CSV, JSON or Markdown:
the terminal table folds long cells instead of cutting them, and a table that is not going to a
terminal is never narrowed to 80 columns.
"""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Sequence
from typing import IO, Any

import duckdb

from flows.store import DataDir
from transforms.schemas import DATASETS, description
from transforms.tabulate import cell_text, json_value

FORMATS = ("table", "csv", "json", "markdown")
# Rows the terminal table shows unless --limit says otherwise; the other formats show all.
TABLE_ROWS = 50


def _sql_text(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def connect(data: DataDir) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection with a view per published dataset, its columns commented."""
    con = duckdb.connect()
    if data.is_remote:
        # DuckDB reads the URL's objects through the same fsspec filesystem the run wrote with.
        con.register_filesystem(data.fs)
    for dataset, schema in DATASETS.items():
        folder = data.processed / dataset
        if not data.list_files(folder, ".parquet"):
            continue
        location = (
            data.fs.unstrip_protocol(data.remote_path(folder)) if data.is_remote else str(folder)
        )
        pattern = _sql_text(f"{location}/*.parquet")
        con.execute(
            f"CREATE VIEW {dataset} AS SELECT * FROM read_parquet({pattern}, union_by_name=true)"
        )
        present = {row[0] for row in con.execute(f"DESCRIBE {dataset}").fetchall()}
        for name in schema.names:
            text = description(dataset, name)
            if name in present and text:
                con.execute(f'COMMENT ON COLUMN {dataset}."{name}" IS {_sql_text(text)}')
    return con


def views(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {row[0] for row in con.execute("SELECT view_name FROM duckdb_views()").fetchall()}


def _csv(columns: Sequence[str], rows: Sequence[Sequence[Any]], stream: IO[str]) -> None:
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([cell_text(v) for v in row])


def _json(columns: Sequence[str], rows: Sequence[Sequence[Any]], stream: IO[str]) -> None:
    """A JSON array of objects, one object per line: parseable whole, readable line by line."""
    if not rows:
        stream.write("[]\n")
        return
    stream.write("[\n")
    for index, row in enumerate(rows):
        record = {name: json_value(value) for name, value in zip(columns, row, strict=True)}
        stream.write(json.dumps(record, ensure_ascii=False))
        stream.write(",\n" if index < len(rows) - 1 else "\n")
    stream.write("]\n")


def _markdown_cell(value: Any) -> str:
    return cell_text(value).replace("|", "\\|").replace("\r", "").replace("\n", "<br>")


def _markdown(columns: Sequence[str], rows: Sequence[Sequence[Any]], stream: IO[str]) -> None:
    numeric = [
        bool(rows)
        and all(
            isinstance(row[c], int | float) and not isinstance(row[c], bool)
            for row in rows
            if row[c] is not None
        )
        and any(row[c] is not None for row in rows)
        for c in range(len(columns))
    ]
    stream.write("| " + " | ".join(_markdown_cell(c) for c in columns) + " |\n")
    stream.write("|" + "|".join("---:" if n else "---" for n in numeric) + "|\n")
    for row in rows:
        stream.write("| " + " | ".join(_markdown_cell(v) for v in row) + " |\n")


def _table(columns: Sequence[str], rows: Sequence[Sequence[Any]], stream: IO[str]) -> None:
    """A box table. On a terminal long cells fold onto more lines; elsewhere (a pipe, a file)
    the table is as wide as its longest cell, so nothing is cut."""
    from rich.console import Console
    from rich.table import Table

    terminal = stream.isatty()
    console = Console(file=stream, width=None if terminal else 1_000_000, soft_wrap=not terminal)
    table = Table(*columns)
    for column in table.columns:
        column.overflow = "fold"
        column.no_wrap = not terminal
    for row in rows:
        table.add_row(*(cell_text(v) for v in row))
    console.print(table, markup=False, highlight=False, crop=terminal)


_WRITERS = {"csv": _csv, "json": _json, "markdown": _markdown, "table": _table}


def write_result(
    fmt: str, columns: Sequence[str], rows: Sequence[Sequence[Any]], stream: IO[str] | None = None
) -> None:
    """Print rows in one of FORMATS. CSV, JSON and Markdown are UTF-8 whatever the locale."""
    if fmt not in _WRITERS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    if stream is None:
        stream = sys.stdout
        if fmt != "table" and hasattr(stream, "buffer"):
            stream = io.TextIOWrapper(
                stream.buffer, encoding="utf-8", newline="", write_through=True
            )
            try:
                _WRITERS[fmt](columns, rows, stream)
            finally:
                stream.flush()
                stream.detach()
            return
    _WRITERS[fmt](columns, rows, stream)


def row_limit(fmt: str, limit: int | None) -> int | None:
    """Rows to fetch at most: --limit when given (0: all), else TABLE_ROWS for the terminal
    table and all rows for the formats made for other programs."""
    if limit is not None:
        return limit or None
    return TABLE_ROWS if fmt == "table" else None


def fetch_rows(cursor: duckdb.DuckDBPyConnection, limit: int | None) -> tuple[list, bool]:
    """At most `limit` rows, and whether more were left out (one row more is read to know)."""
    if limit is None:
        return cursor.fetchall(), False
    rows = cursor.fetchmany(limit + 1)
    return rows[:limit], len(rows) > limit
