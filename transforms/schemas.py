"""Arrow schemas of every published dataset, declared once, with a description of each column.

Readers (DuckDB, Polars, BI tools) see exactly these types; nothing is inferred from pandas, so
an all-null column in one source never turns into a different type than in another source.
Columns may be added over time; the contract's columns are never renamed. Each column's
description travels with the schema as Arrow field metadata (`description`), so it is in every
Parquet file and in the tools that show it; `file_metadata` adds what a file's rows come from
(source, URL, fetch time, pipeline version, and the descriptions again as plain JSON for readers
that do not decode the Arrow schema). Columns the contract says are never null (the ids every
row carries, a row's keys) are declared non-nullable, which Parquet records as REQUIRED.
"""

from __future__ import annotations

import json

import pyarrow as pa

from transforms.version import PIPELINE_VERSION

__all__ = ["DATASETS", "DOCUMENT_DATASETS", "PIPELINE_VERSION", "description", "to_table"]

_STR = pa.string()
_I32 = pa.int32()
_I64 = pa.int64()
_F64 = pa.float64()
_BOOL = pa.bool_()
_LIST_STR = pa.list_(pa.string())

Column = tuple[str, pa.DataType, str]

_IDS: list[Column] = [
    ("source_id", _STR, "The source's id in the catalog."),
    ("doc_id", _STR, "The document version: first 16 hex digits of the PDF's sha256."),
]


# Every row of a document's datasets carries both ids; `documents` also records failed fetches,
# which have no document version yet.
_ROW_IDS = ("source_id", "doc_id")


def _schema(columns: list[Column], required: tuple[str, ...] = _ROW_IDS) -> pa.Schema:
    names = {name for name, _, _ in columns}
    unknown = set(required) - names
    if unknown:
        raise ValueError(f"required columns not declared: {sorted(unknown)}")
    return pa.schema(
        [
            pa.field(name, kind, nullable=name not in required, metadata={"description": text})
            for name, kind, text in columns
        ]
    )


DOCUMENTS = _schema(
    [
        *_IDS,
        ("sha256", _STR, "sha256 of the PDF's bytes (the raw store's file name)."),
        ("title", _STR, "The document's title, as the catalog gives it."),
        ("publisher", _STR, "Who publishes the document (東京都, 富士市 …)."),
        ("kind", _STR, "How the document is parsed: generic, teian, …"),
        ("fiscal_year", _I32, "Japanese fiscal year (年度, April–March): 平成26年度 → 2014."),
        ("edition", _STR, "Edition, where a document has several a year (spring, autumn)."),
        ("url", _STR, "Where the catalog says the document lives."),
        ("fetched_from", _STR, "Where the bytes really came from (after redirects, archive)."),
        ("retrieved_at", pa.timestamp("us", tz="UTC"), "When the bytes were fetched (UTC)."),
        ("size_bytes", _I64, "Size of the PDF in bytes."),
        ("page_count", _I32, "Pages in the PDF."),
        ("n_tables", _I32, "Tables found (stitched across pages)."),
        ("status", _STR, "ok, partial (published with warnings) or failed (not published)."),
        ("error", _STR, "Why the version failed or is partial, one line per reason."),
        ("is_current", _BOOL, "True for the version whose data is published."),
        ("warnings", _LIST_STR, "Why the published data may be incomplete."),
        ("pipeline_version", _STR, "Version of the pipeline that built the data."),
        ("n_requests", _I32, "Request items found (提案要求 documents); null for other kinds."),
    ],
    required=("source_id", "kind", "url", "retrieved_at", "status", "is_current"),
)

PAGES = _schema(
    [
        *_IDS,
        ("page_number", _I32, "PDF page number, 1-based."),
        ("page_label", _STR, "The printed page number (the PDF's page labels or its footer)."),
        ("text", _STR, "The page's text, normalized (NFKC and the Japanese rules)."),
        ("text_raw", _STR, "The page's text exactly as extracted."),
        ("n_tables", _I32, "Tables found on the page."),
        ("width", _F64, "Page width in points."),
        ("height", _F64, "Page height in points."),
        ("n_chars", _I32, "Characters on the page's text layer (blanks not counted)."),
        ("n_unreadable", _I32, "Glyphs with no readable text (OCR candidates)."),
        ("text_source", _STR, "Where the text comes from: pdf (its text layer) or ocr."),
        ("ocr_confidence", _F64, "Mean OCR word confidence (0–100) when text_source is ocr."),
        ("n_suspect", _I32, "Characters a Japanese public document rarely uses (bad font map?)."),
        (
            "suspect_words",
            pa.list_(
                pa.struct(
                    [
                        ("word", _STR),
                        ("ocr", _STR),
                        ("x0", _F64),
                        ("top", _F64),
                        ("x1", _F64),
                        ("bottom", _F64),
                    ]
                )
            ),
            "Words holding a rarely used glyph (outside JIS X 0208 and 常用漢字), with their box "
            "and OCR's reading of that spot (null where OCR did not run): 邴市計画税 → 都市計画税.",
        ),
    ],
    required=(*_ROW_IDS, "page_number"),
)

TABLES = _schema(
    [
        *_IDS,
        ("table_id", _STR, "<doc_id>-p<page_first>-t<n>: the n-th table starting on that page."),
        ("page_first", _I32, "Page the table starts on."),
        ("page_last", _I32, "Page the table ends on (continued tables are stitched)."),
        ("x0", _F64, "Left edge on page_first, points from the left."),
        ("top", _F64, "Top edge on page_first, points from the top."),
        ("x1", _F64, "Right edge on page_first, points from the left."),
        ("bottom", _F64, "Bottom edge on page_first, points from the top."),
        ("n_rows", _I32, "Rows of the table (repeated header rows dropped)."),
        ("n_cols", _I32, "Columns of the table."),
        ("header_rows", _I32, "Leading rows that are headers."),
        ("caption", _STR, "Caption or unit line(s) just above the table."),
        ("unit", _STR, "Unit stated for the whole table (（単位：千円） → 千円)."),
        ("strategy", _STR, "How the table was found: lines (ruled) or text (alignment)."),
        ("item_seq", _I32, "The request item the table belongs to (提案要求 documents)."),
        ("problems", _LIST_STR, "Why the table may be wrong (ragged rows, guessed header …)."),
    ],
    required=(*_ROW_IDS, "table_id", "page_first", "page_last", "n_rows", "n_cols", "header_rows"),
)

CELLS = _schema(
    [
        *_IDS,
        ("table_id", _STR, "The table (see tables.table_id)."),
        ("page_number", _I32, "Page the cell's row is printed on."),
        ("row", _I32, "Row in the table, 0-based (header rows first)."),
        ("col", _I32, "Column in the table, 0-based."),
        ("header", _STR, "The column's header path, parts joined by ' / '."),
        ("row_label", _STR, "The label of the cell's line."),
        ("text_raw", _STR, "The cell's text as extracted (line breaks kept)."),
        ("text", _STR, "The cell's text, normalized, lines joined."),
        ("value", _F64, "The number as printed, in `unit`; null if not one figure or nil (－)."),
        ("unit", _STR, "Unit of `value` (千円, %, 人 …)."),
        ("value_yen", _I64, "The exact amount in yen; null unless the figure is money."),
        ("is_header", _BOOL, "True for the table's header rows."),
        ("spanned", _BOOL, "True where a merged cell covers this position (a copy of its text)."),
        ("note", _STR, "Footnote marks printed with the figure (※1, *)."),
        ("x0", _F64, "Cell box on its page, points (left)."),
        ("top", _F64, "Cell box on its page, points (top)."),
        ("x1", _F64, "Cell box on its page, points (right)."),
        ("bottom", _F64, "Cell box on its page, points (bottom)."),
        ("item_seq", _I32, "The request item the table belongs to (提案要求 documents)."),
        ("row_path", _STR, "The line's place in the hierarchy (市税 / 市民税 / 個人)."),
        ("n_suspect", _I32, "Characters a Japanese public document rarely uses."),
    ],
    required=(*_ROW_IDS, "table_id", "page_number", "row", "col", "is_header", "spanned"),
)

REQUESTS = _schema(
    [
        *_IDS,
        ("fiscal_year", _I32, "Fiscal year of the edition."),
        ("edition", _STR, "Edition (spring: full, autumn: 最重点事項)."),
        ("item_seq", _I32, "Order of the item in the document, 1-based."),
        ("item_no", _STR, "The item's number as printed."),
        ("category", _STR, "The category (分野) the item is printed under."),
        ("title", _STR, "The item's title, wrapped lines joined."),
        ("targets", _LIST_STR, "提案要求先: the ministries and agencies asked."),
        ("bureaus", _LIST_STR, "都所管局: the Tokyo bureaus in charge."),
        ("summary", _STR, "The one-paragraph summary of the request."),
        ("background", _STR, "現状・課題: the current state and issues."),
        ("demands", _LIST_STR, "具体的要求内容: the numbered demands (1), (2) …"),
        ("page_first", _I32, "PDF page the item starts on."),
        ("page_last", _I32, "PDF page the item ends on."),
        ("page_label_first", _STR, "Printed page number the item starts on (to cite)."),
        ("tags", _LIST_STR, "Tags from the keyword taxonomy (cyber, olympics …)."),
        ("text", _STR, "The item's whole text, tables and notes included."),
    ],
    required=(*_ROW_IDS, "item_seq"),
)

REQUEST_TARGETS = _schema(
    [
        *_IDS,
        ("item_seq", _I32, "The request item (see requests.item_seq)."),
        ("target", _STR, "One ministry or agency the item asks."),
    ],
    required=(*_ROW_IDS, "item_seq", "target"),
)

BUDGET_LINES = _schema(
    [
        *_IDS,
        ("fiscal_year", _I32, "Fiscal year of the budget."),
        ("side", _STR, "歳入 (revenue) or 歳出 (expenditure)."),
        ("level", _STR, "款, 項, 目 or 節."),
        ("kan", _STR, "The 款 the line is under (or is)."),
        ("kou", _STR, "The 項 the line is under (or is); null above that level."),
        ("moku", _STR, "The 目 the line is under (or is); null above that level."),
        ("setsu", _STR, "The 節 (for a 節 line); null above that level."),
        ("name", _STR, "The line's own name, without its ordinal."),
        ("ordinal", _STR, "The line's ordinal as printed (1款 → 1)."),
        ("amount_yen", _I64, "本年度予算額 (or the 節's 金額), in yen."),
        ("prior_yen", _I64, "前年度予算額 in yen; null where not printed."),
        ("change_yen", _I64, "比較 (本年度 − 前年度) in yen."),
        ("kokken_yen", _I64, "財源内訳: 国県支出金, in yen (歳出)."),
        ("chihousai_yen", _I64, "財源内訳: 地方債, in yen (歳出)."),
        ("sonota_yen", _I64, "財源内訳: その他, in yen (歳出)."),
        ("ippan_yen", _I64, "財源内訳: 一般財源, in yen (歳出)."),
        ("description", _LIST_STR, "The 説明 items printed beside the line."),
        ("page_number", _I32, "PDF page the line is printed on."),
        ("page_label", _STR, "Printed page number of that page (to cite)."),
        ("checks", _LIST_STR, "The book's own arithmetic this line fails; empty when all hold."),
    ]
)

REQUEST_SERIES = _schema(
    [
        *_IDS,
        ("item_seq", _I32, "The request item (see requests.item_seq)."),
        ("series_id", _STR, "The same id for the same request in every edition."),
        ("match_score", _F64, "How closely the item matches its series' previous edition (0–1)."),
        ("first_fiscal_year", _I32, "The fiscal year the series first appears."),
        ("n_editions", _I32, "Editions the series appears in."),
    ],
    required=(*_ROW_IDS, "item_seq"),
)

DATASETS: dict[str, pa.Schema] = {
    "documents": DOCUMENTS,
    "pages": PAGES,
    "tables": TABLES,
    "cells": CELLS,
    "requests": REQUESTS,
    "request_targets": REQUEST_TARGETS,
    "budget_lines": BUDGET_LINES,
    "request_series": REQUEST_SERIES,
}

# Datasets rebuilt from one PDF; `documents` is different: it keeps every fetched version, and
# `request_series` spans every edition of a kind.
DOCUMENT_DATASETS = ("pages", "tables", "cells", "requests", "request_targets", "budget_lines")


def description(dataset: str, column: str) -> str:
    """What a column holds, as its schema says."""
    field = DATASETS[dataset].field(column)
    return (field.metadata or {}).get(b"description", b"").decode()


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
    for name in schema.names:
        if not schema.field(name).nullable and None in columns[name]:
            missing = columns[name].count(None)
            raise ValueError(f"{dataset}: {missing} row(s) without {name}, which is never null")
    return pa.Table.from_pydict(columns, schema=schema)


def file_metadata(
    dataset: str,
    source_id: str,
    url: str | None = None,
    retrieved_at: str | None = None,
) -> dict[str, str]:
    """Key-value metadata of a published file: what its rows come from and what each column
    holds, readable with any Parquet reader (DuckDB: `parquet_kv_metadata('file.parquet')`)."""
    columns = {name: description(dataset, name) for name in DATASETS[dataset].names}
    facts = {
        "teian.dataset": dataset,
        "teian.pipeline_version": PIPELINE_VERSION,
        "teian.source_id": source_id,
        "teian.url": url or "",
        "teian.retrieved_at": retrieved_at or "",
        "teian.columns": json.dumps(columns, ensure_ascii=False),
    }
    return facts
