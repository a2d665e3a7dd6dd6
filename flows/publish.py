"""One document's extracted batches in, its published datasets and history out.

Three steps, each a task of its own in the flow so the UI shows where the time goes:

1. `stage_document` (normalize): batches → the assembled pages/tables/cells, written to staged
   Parquet files in the work dir a few pages at a time, so memory does not grow with the document.
2. `parse_document`: the document's kind reads the staged datasets it needs and returns its own
   datasets and the columns it fills in tables and cells; those are staged too.
3. `publish_document`: each staged file replaces the published one (atomically), then the
   `documents` history, then the source's state file.

Order matters for crash safety: a crash anywhere before the state file is written leaves the
state saying "not yet published", so the next run simply redoes the document.
"""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pyarrow.parquet as pq

from flows.extract import load_batch
from flows.state import source_fingerprint
from flows.store import (
    DataDir,
    dataset_writer_at,
    publish_file,
    read_dataset,
    read_state,
    remove_dataset,
    write_dataset,
    write_staged,
    write_state,
)
from transforms import kinds
from transforms.assemble.document import DocumentAssembler, DocumentStats
from transforms.catalog import Source
from transforms.records import BatchRef, DocumentInfo, FetchResult, PageBatch, PageRecord
from transforms.schemas import DOCUMENT_DATASETS, PIPELINE_VERSION, file_metadata

# Rows are built and written this many pages at a time: the transient rows (a budget page holds
# ~150 cells) then take the same memory whatever the batch size and the document's length.
CHUNK_PAGES = 16
ASSEMBLED = ("pages", "tables", "cells")


def document_info(source: Source, fetch: FetchResult) -> DocumentInfo:
    return DocumentInfo(
        source_id=source.id,
        doc_id=fetch.doc_id,
        kind=source.kind,
        title=source.title,
        publisher=source.publisher,
        fiscal_year=source.fiscal_year,
        edition=source.edition,
        url=source.url,
        retrieved_at=fetch.retrieved_at,
    )


def _metadata(doc: DocumentInfo, dataset: str) -> dict[str, str]:
    """What a published file says about itself (Parquet key-value metadata)."""
    return file_metadata(dataset, doc.source_id, doc.url, doc.retrieved_at)


@dataclass
class StagedDocument:
    """A document's datasets written in the work dir, not yet published."""

    doc: DocumentInfo
    folder: str
    files: dict[str, str] = field(default_factory=dict)  # dataset → staged Parquet file
    rows: dict[str, int] = field(default_factory=dict)  # dataset → rows written
    warnings: list[str] = field(default_factory=list)
    stats: DocumentStats = field(default_factory=DocumentStats)


# -- 1. normalize: assemble the batches into staged pages/tables/cells --------------------------


def _batch_of(ref: BatchRef | PageBatch) -> PageBatch:
    if isinstance(ref, PageBatch):
        return ref
    return ref.batch if ref.batch is not None else load_batch(ref.path or "")


def _page_chunks(
    batches: Iterable[BatchRef | PageBatch],
) -> Iterator[tuple[PageBatch, list[PageRecord]]]:
    """The batches' pages in page order, CHUNK_PAGES at a time; a batch's file is read when the
    previous one is used up."""
    for ref in batches:
        batch = _batch_of(ref)
        pages = sorted(batch.pages, key=lambda p: p.page_number)
        for start in range(0, len(pages), CHUNK_PAGES):
            yield batch, pages[start : start + CHUNK_PAGES]


def stage_document(
    data_dir: DataDir, doc: DocumentInfo, batches: Iterable[BatchRef | PageBatch]
) -> StagedDocument:
    """Assemble and normalize a document's batches (in page order, as they come) into staged
    pages/tables/cells files. A list is put in page order first."""
    if isinstance(batches, list):
        batches = sorted(batches, key=lambda b: b.first)
    folder = data_dir.work / doc.source_id / f"staged-{doc.doc_id}"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    staged = StagedDocument(doc, str(folder))
    assembler = DocumentAssembler(doc)
    with contextlib.ExitStack() as stack:
        writers = {
            name: stack.enter_context(
                dataset_writer_at(name, folder / f"{name}.parquet", _metadata(doc, name))
            )
            for name in ASSEMBLED
        }
        for batch, pages in _page_chunks(batches):
            _write_piece(writers, assembler.add_pages(pages, batch.page_labels))
        _write_piece(writers, assembler.finish())
    staged.files = {name: str(folder / f"{name}.parquet") for name in ASSEMBLED}
    staged.rows = {name: writers[name].rows_written for name in ASSEMBLED}
    staged.stats = assembler.stats
    staged.warnings = assembler.stats.warnings()
    return staged


def _write_piece(writers: dict, piece) -> None:  # noqa: ANN001 - an assemble.document.Piece
    writers["pages"].write(piece.pages)
    writers["tables"].write(piece.tables)
    writers["cells"].write(piece.cells)


# -- 2. parse: the document's kind ---------------------------------------------------------------


def parse_document(staged: StagedDocument) -> StagedDocument:
    """Run the document's kind over the staged datasets; stage what it returns."""
    kind = kinds.load(staged.doc.kind)
    inputs = {name: pq.read_table(staged.files[name]) for name in kind.INPUTS}
    parsed = kind.parse(staged.doc, inputs)
    folder = Path(staged.folder)
    for name in kind.DATASETS:
        rows = parsed.datasets.get(name, [])
        path = folder / f"{name}.parquet"
        staged.files[name] = str(write_staged(name, path, rows, _metadata(staged.doc, name)))
        staged.rows[name] = len(rows)
    if parsed.table_columns:
        for name in ("tables", "cells"):
            table = pq.read_table(staged.files[name])
            filled = kinds.fill_table_columns(table, parsed.table_columns)
            pq.write_table(filled, staged.files[name], compression="zstd")
    staged.warnings = staged.warnings + parsed.warnings
    return staged


# -- 3. publish ------------------------------------------------------------------------------------


def _timestamp(value: str | None) -> datetime | None:
    if not value:
        return None
    return datetime.fromisoformat(value).astimezone(UTC)


def _document_row(source: Source, fetch: FetchResult | None, **fields) -> dict:
    return {
        "source_id": source.id,
        "doc_id": fetch.doc_id if fetch else None,
        "sha256": fetch.sha256 if fetch else None,
        "title": source.title,
        "publisher": source.publisher,
        "kind": source.kind,
        "fiscal_year": source.fiscal_year,
        "edition": source.edition,
        "url": source.url,
        "fetched_from": fetch.fetched_from if fetch else None,
        "retrieved_at": _timestamp(fetch.retrieved_at) if fetch else datetime.now(UTC),
        "size_bytes": fetch.size_bytes if fetch else None,
        "pipeline_version": PIPELINE_VERSION,
        **fields,
    }


def append_document(data_dir: DataDir, source: Source, row: dict, make_current: bool) -> None:
    """Add a row to the source's `documents` history; the published version is `is_current`."""
    existing = read_dataset(data_dir, "documents", source.id)
    rows = existing.to_pylist() if existing is not None else []
    if rows and row["status"] == "failed":
        last = rows[-1]
        if (
            last["status"] == "failed"
            and last["error"] == row["error"]
            and last["sha256"] == row["sha256"]
        ):
            return  # the same failure again: the history does not need a row per week
    if make_current:
        for old in rows:
            old["is_current"] = False
    row["is_current"] = make_current
    rows.append(row)
    current = next((r for r in reversed(rows) if r["is_current"]), row)
    when = current.get("retrieved_at")
    metadata = file_metadata(
        "documents", source.id, source.url, when.isoformat() if when is not None else None
    )
    write_dataset(data_dir, "documents", source.id, rows, metadata)


def record_failure(
    data_dir: DataDir, source: Source, fetch: FetchResult | None, stage: str, error: str
) -> None:
    """A failed source keeps its last good data; only its history and state note the failure."""
    row = _document_row(
        source,
        fetch,
        page_count=None,
        n_tables=None,
        status="failed",
        error=f"{stage}: {error}",
        warnings=[],
        n_requests=None,
    )
    append_document(data_dir, source, row, make_current=False)
    state = read_state(data_dir, source.id) or {}
    state.update(last_error=f"{stage}: {error}", last_attempt=datetime.now(UTC).isoformat())
    write_state(data_dir, source.id, state)


def publish_document(
    data_dir: DataDir, source: Source, fetch: FetchResult, staged: StagedDocument
) -> dict:
    """Replace the source's published datasets with the staged ones; returns its counts."""
    for dataset in DOCUMENT_DATASETS:
        if dataset in staged.files:
            publish_file(data_dir, Path(staged.files[dataset]), dataset, source.id)
        else:  # a dataset this document's kind does not produce (e.g. its kind changed)
            remove_dataset(data_dir, dataset, source.id)
    shutil.rmtree(staged.folder, ignore_errors=True)
    warnings = staged.warnings
    status = "partial" if warnings else "ok"
    requests = staged.rows.get("requests")
    row = _document_row(
        source,
        fetch,
        page_count=staged.stats.pages,
        n_tables=staged.stats.tables,
        status=status,
        error="; ".join(warnings) or None,
        warnings=warnings,
        n_requests=requests,
    )
    append_document(data_dir, source, row, make_current=True)
    counts = {
        "pages": staged.stats.pages,
        "tables": staged.stats.tables,
        "cells": staged.stats.cells,
        "requests": requests if requests is not None else 0,
    }
    write_state(data_dir, source.id, _state(source, fetch, status, warnings, counts))
    return {
        "status": status,
        **counts,
        "requests": requests if requests is not None else "",
        "warnings": warnings,
    }


def _state(
    source: Source, fetch: FetchResult, status: str, warnings: list[str], counts: dict
) -> dict:
    return {
        "source_id": source.id,
        "sha256": fetch.sha256,
        "doc_id": fetch.doc_id,
        "pipeline_version": PIPELINE_VERSION,
        "fingerprint": source_fingerprint(source),
        "status": status,
        "warnings": warnings,
        "published_at": datetime.now(UTC).isoformat(),
        "fetched_from": fetch.fetched_from,
        "retrieved_at": fetch.retrieved_at,
        "last_error": None,
        "counts": counts,
    }
