"""Arrow schemas of every published dataset, declared once.

Readers (DuckDB, Polars, BI tools) see exactly these types; nothing is inferred from pandas, so
an all-null column in one source never turns into a different type than in another source.
Columns may be added over time; the contract's columns are never renamed.
"""

from __future__ import annotations

import pyarrow as pa

# Bumped whenever extraction, normalization or parsing changes what the datasets would contain:
# a source whose PDF hash and pipeline version are unchanged is not re-extracted.
PIPELINE_VERSION = "2"

_STR = pa.string()
_I32 = pa.int32()
_F64 = pa.float64()
_LIST_STR = pa.list_(pa.string())

DOCUMENTS = pa.schema(
    [
        ("source_id", _STR),
        ("doc_id", _STR),
        ("sha256", _STR),
        ("title", _STR),
        ("publisher", _STR),
        ("kind", _STR),
        ("fiscal_year", _I32),
        ("edition", _STR),
        ("url", _STR),
        ("fetched_from", _STR),
        ("retrieved_at", pa.timestamp("us", tz="UTC")),
        ("size_bytes", pa.int64()),
        ("page_count", _I32),
        ("n_tables", _I32),
        ("status", _STR),
        ("error", _STR),
        ("is_current", pa.bool_()),
        ("warnings", _LIST_STR),
        ("pipeline_version", _STR),
        ("n_requests", _I32),
    ]
)

PAGES = pa.schema(
    [
        ("source_id", _STR),
        ("doc_id", _STR),
        ("page_number", _I32),
        ("page_label", _STR),
        ("text", _STR),
        ("text_raw", _STR),
        ("n_tables", _I32),
        ("width", _F64),
        ("height", _F64),
        ("n_chars", _I32),
        ("n_unreadable", _I32),
    ]
)

TABLES = pa.schema(
    [
        ("source_id", _STR),
        ("doc_id", _STR),
        ("table_id", _STR),
        ("page_first", _I32),
        ("page_last", _I32),
        ("x0", _F64),
        ("top", _F64),
        ("x1", _F64),
        ("bottom", _F64),
        ("n_rows", _I32),
        ("n_cols", _I32),
        ("header_rows", _I32),
        ("caption", _STR),
        ("unit", _STR),
        ("strategy", _STR),
        ("item_seq", _I32),
    ]
)

CELLS = pa.schema(
    [
        ("source_id", _STR),
        ("doc_id", _STR),
        ("table_id", _STR),
        ("page_number", _I32),
        ("row", _I32),
        ("col", _I32),
        ("header", _STR),
        ("row_label", _STR),
        ("text_raw", _STR),
        ("text", _STR),
        ("value", _F64),
        ("unit", _STR),
        ("value_yen", pa.int64()),
        ("is_header", pa.bool_()),
        ("spanned", pa.bool_()),
        ("note", _STR),
        ("x0", _F64),
        ("top", _F64),
        ("x1", _F64),
        ("bottom", _F64),
        ("item_seq", _I32),
    ]
)

REQUESTS = pa.schema(
    [
        ("source_id", _STR),
        ("doc_id", _STR),
        ("fiscal_year", _I32),
        ("edition", _STR),
        ("item_seq", _I32),
        ("item_no", _STR),
        ("category", _STR),
        ("title", _STR),
        ("targets", _LIST_STR),
        ("bureaus", _LIST_STR),
        ("summary", _STR),
        ("background", _STR),
        ("demands", _LIST_STR),
        ("page_first", _I32),
        ("page_last", _I32),
        ("page_label_first", _STR),
        ("tags", _LIST_STR),
        ("text", _STR),
    ]
)

REQUEST_TARGETS = pa.schema(
    [
        ("source_id", _STR),
        ("doc_id", _STR),
        ("item_seq", _I32),
        ("target", _STR),
    ]
)

DATASETS: dict[str, pa.Schema] = {
    "documents": DOCUMENTS,
    "pages": PAGES,
    "tables": TABLES,
    "cells": CELLS,
    "requests": REQUESTS,
    "request_targets": REQUEST_TARGETS,
}

# Datasets rebuilt from one PDF; `documents` is different: it keeps every fetched version.
DOCUMENT_DATASETS = ("pages", "tables", "cells", "requests", "request_targets")


def to_table(dataset: str, rows: list[dict]) -> pa.Table:
    """Build an Arrow table of `dataset` from row dicts, with the declared types and column order.

    Missing keys become nulls, so a producer that does not know an optional column yet stays
    valid; unknown keys are an error, so a typo never silently drops data.
    """
    schema = DATASETS[dataset]
    names = set(schema.names)
    for row in rows[:1]:
        extra = set(row) - names
        if extra:
            raise KeyError(f"{dataset}: unknown columns {sorted(extra)}")
    columns = {name: [row.get(name) for row in rows] for name in schema.names}
    return pa.Table.from_pydict(columns, schema=schema)
