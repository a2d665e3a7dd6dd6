"""Turn one document's extracted pages into published datasets, and record what was published.

Order matters for crash safety: the per-document datasets are replaced first (each atomically),
then the `documents` history, then the source's state file. A crash anywhere before the state
file is written leaves the state saying "not yet published", so the next run simply redoes it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import asdict
from datetime import UTC, datetime

from flows.extract import load_batch
from flows.store import (
    DataDir,
    DatasetWriter,
    dataset_writer,
    read_dataset,
    read_state,
    remove_dataset,
    write_dataset,
    write_state,
)
from transforms.catalog import Source
from transforms.document import build_records
from transforms.schemas import PIPELINE_VERSION
from transforms.tags import load_default_taxonomy
from transforms.teian import parse_requests


def source_fingerprint(source: Source) -> str:
    """Catalog fields that change the published rows; a change republishes the source."""
    fields = asdict(source)
    fields.pop("password", None)
    return hashlib.sha256(
        json.dumps(fields, sort_keys=True, ensure_ascii=False).encode()
    ).hexdigest()[:16]


def is_unchanged(data_dir: DataDir, source: Source, sha256: str) -> bool:
    state = read_state(data_dir, source.id)
    return bool(
        state
        and state.get("sha256") == sha256
        and state.get("pipeline_version") == PIPELINE_VERSION
        and state.get("fingerprint") == source_fingerprint(source)
        and state.get("status") in ("ok", "partial")
    )


def _timestamp(value: str | None) -> datetime | None:
    if not value:
        return None
    return datetime.fromisoformat(value).astimezone(UTC)


def _document_row(source: Source, fetch: dict | None, **fields) -> dict:
    sha = fetch.get("sha256") if fetch else None
    return {
        "source_id": source.id,
        "doc_id": sha[:16] if sha else None,
        "sha256": sha,
        "title": source.title,
        "publisher": source.publisher,
        "kind": source.kind,
        "fiscal_year": source.fiscal_year,
        "edition": source.edition,
        "url": source.url,
        "fetched_from": fetch.get("fetched_from") if fetch else None,
        "retrieved_at": _timestamp(fetch.get("retrieved_at")) if fetch else datetime.now(UTC),
        "size_bytes": fetch.get("size_bytes") if fetch else None,
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
    write_dataset(data_dir, "documents", source.id, rows)


def record_failure(
    data_dir: DataDir, source: Source, fetch: dict | None, stage: str, error: str
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


def _batch_records(batch: dict) -> dict:
    """A batch as the extraction task left it: its records, or the path of the file holding them."""
    if "pages" in batch:
        return batch
    return load_batch(batch["path"])


# Rows are built and written this many pages at a time: the transient rows (a budget page holds
# ~150 cells) then take the same memory whatever the batch size and the document's length.
CHUNK_PAGES = 16


def _page_chunks(batches: Iterable[dict]) -> Iterator[tuple[list[str] | None, list[dict]]]:
    """The batches' page records in page order, CHUNK_PAGES at a time, each with the PDF's page
    labels if its batch read them; a batch's file is read when the previous one is used up."""
    for batch in batches:
        loaded = _batch_records(batch)
        pages = sorted(loaded["pages"], key=lambda p: p["page_number"])
        for start in range(0, len(pages), CHUNK_PAGES):
            yield loaded.get("page_labels"), pages[start : start + CHUNK_PAGES]


def iter_document_records(
    ids: dict, batches: Iterable[dict], labels: list[str] | None = None
) -> Iterator[dict[str, list[dict]]]:
    """The document's `pages`, `tables` and `cells` rows, piece by piece, in page order.

    `batches` are taken in page order as they come (a list is sorted first), so publishing can
    start while later batches are still being extracted. Only one chunk's rows (plus the pages
    of a table still running at the chunk's end) are in memory at a time: a table on a chunk's
    last page may continue on the next chunk's first page, so it is held back and its pages are
    fed again with the next chunk. Tables are identified by page and position, so a
    table built twice gets the same id and is emitted once. The PDF's page labels are read from
    the batch holding page 1 unless given.
    """
    if isinstance(batches, list):
        batches = sorted(batches, key=lambda b: b.get("first") or 0)
    carry: list[dict] = []
    emitted: set[str] = set()
    held: dict[str, list[dict]] = {"tables": [], "cells": []}
    for batch_labels, new_pages in _page_chunks(batches):
        labels = labels or batch_labels
        pages = carry + new_pages
        offset = pages[0]["page_number"] - 1
        records = build_records(ids, pages, labels[offset:] if labels else None)
        end_page = pages[-1]["page_number"]
        held_ids = {t["table_id"] for t in records["tables"] if t["page_last"] == end_page}
        tables = [t for t in records["tables"] if t["table_id"] not in held_ids | emitted]
        done = {t["table_id"] for t in tables}
        emitted |= done
        yield {
            "pages": [
                p for p in records["pages"] if p["page_number"] >= new_pages[0]["page_number"]
            ],
            "tables": tables,
            "cells": [c for c in records["cells"] if c["table_id"] in done],
        }
        held = {
            "tables": [t for t in records["tables"] if t["table_id"] in held_ids],
            "cells": [c for c in records["cells"] if c["table_id"] in held_ids],
        }
        carry_from = min((t["page_first"] for t in held["tables"]), default=None)
        carry = [p for p in pages if carry_from is not None and p["page_number"] >= carry_from]
    if held["tables"]:  # the tables running to the document's last page
        yield {"pages": [], **held}


def publish_document(
    data_dir: DataDir, source: Source, fetch: dict, batches: Iterable[dict]
) -> dict:
    """Build every dataset of one document from its extracted batches and publish them.

    `batches` are the extraction results in page order — records, or {"path", "first", "last"}
    references to the files holding them — as a list or as an iterator that yields each batch
    when it is ready. Rows are written batch by batch, so memory does not grow with the
    document's length (a 提案要求 document keeps its page texts, which the item parser reads, and
    its few tables, which wait for the items they belong to).
    """
    sha = fetch["sha256"]
    ids = {"source_id": source.id, "doc_id": sha[:16]}
    if isinstance(batches, list):
        batches = sorted(batches, key=lambda b: b.get("first") or 0)
    warnings: list[str] = []
    requests: list[dict] = []
    targets: list[dict] = []
    counts = {"pages": 0, "tables": 0, "cells": 0, "chars": 0}
    unreadable: list[int] = []
    teian = source.kind == "teian"
    page_rows: list[dict] = []

    def take_pages(rows: list[dict]) -> None:
        counts["pages"] += len(rows)
        counts["chars"] += sum(p.get("n_chars") or 0 for p in rows)
        unreadable.extend(p["page_number"] for p in rows if p["n_unreadable"])

    def write_tables(table_out: DatasetWriter, cell_out: DatasetWriter, piece: dict) -> None:
        if teian:
            _attach_items(piece, requests)
        table_out.write(piece["tables"])
        cell_out.write(piece["cells"])
        counts["tables"] += len(piece["tables"])
        counts["cells"] += len(piece["cells"])

    with contextlib.ExitStack() as stack:
        page_out = stack.enter_context(dataset_writer(data_dir, "pages", source.id))
        held_tables: list[dict] = []  # a 提案要求 document's tables wait for the item parser
        if teian:
            # The item parser needs every page's text before tables can be given their item.
            # Their tables are few (prose documents), so they are kept rather than rebuilt.
            for piece in iter_document_records(ids, batches):
                page_out.write(piece["pages"])
                take_pages(piece["pages"])
                page_rows.extend(piece["pages"])
                held_tables.append({"tables": piece["tables"], "cells": piece["cells"]})
            items, warnings = parse_requests(page_rows, load_default_taxonomy())
            page_rows.clear()
            for item in items:
                row = {
                    **ids,
                    "fiscal_year": source.fiscal_year,
                    "edition": source.edition,
                    **asdict(item),
                }
                requests.append(row)
                targets.extend(
                    {**ids, "item_seq": item.item_seq, "target": t} for t in item.targets
                )
        table_out = stack.enter_context(dataset_writer(data_dir, "tables", source.id))
        cell_out = stack.enter_context(dataset_writer(data_dir, "cells", source.id))
        for piece in held_tables if teian else iter_document_records(ids, batches):
            if not teian:
                page_out.write(piece["pages"])
                take_pages(piece["pages"])
            write_tables(table_out, cell_out, piece)
    if counts["pages"] and counts["chars"] == 0:
        warnings.insert(0, "no text layer: needs OCR")
    if unreadable:
        warnings.append(
            f"{len(unreadable)} page(s) with unreadable glyphs (first: p.{unreadable[0]})"
        )
    if teian:
        write_dataset(data_dir, "requests", source.id, requests)
        write_dataset(data_dir, "request_targets", source.id, targets)
    else:
        remove_dataset(data_dir, "requests", source.id)
        remove_dataset(data_dir, "request_targets", source.id)
    status = "partial" if warnings else "ok"
    row = _document_row(
        source,
        fetch,
        page_count=counts["pages"],
        n_tables=counts["tables"],
        status=status,
        error="; ".join(warnings) or None,
        warnings=warnings,
        n_requests=len(requests) if source.kind == "teian" else None,
    )
    append_document(data_dir, source, row, make_current=True)
    write_state(
        data_dir,
        source.id,
        {
            "source_id": source.id,
            "sha256": sha,
            "doc_id": sha[:16],
            "pipeline_version": PIPELINE_VERSION,
            "fingerprint": source_fingerprint(source),
            "status": status,
            "warnings": warnings,
            "published_at": datetime.now(UTC).isoformat(),
            "fetched_from": fetch.get("fetched_from"),
            "retrieved_at": fetch.get("retrieved_at"),
            "last_error": None,
            "counts": {
                "pages": counts["pages"],
                "tables": counts["tables"],
                "cells": counts["cells"],
                "requests": len(requests),
            },
        },
    )
    return {
        "status": status,
        "pages": counts["pages"],
        "tables": counts["tables"],
        "cells": counts["cells"],
        "requests": len(requests) if source.kind == "teian" else "",
        "warnings": warnings,
    }


def _attach_items(records: dict[str, list[dict]], requests: list[dict]) -> None:
    """Give tables and cells of a 提案要求 document the item_seq of the item they belong to.

    A table belongs to an item whose pages hold its first page; when a page holds several items,
    the one whose text contains most of the table's cell texts wins (item text keeps table rows).
    """
    texts_by_table: dict[str, list[str]] = {}
    for cell in records["cells"]:
        if cell.get("text"):
            texts_by_table.setdefault(cell["table_id"], []).append(cell["text"].replace(" ", ""))
    for table in records["tables"]:
        candidates = [
            r for r in requests if r["page_first"] <= table["page_first"] <= r["page_last"]
        ]
        if len(candidates) > 1:
            texts = texts_by_table.get(table["table_id"], [])

            def overlap(item: dict, texts: list[str] = texts) -> int:
                body = (item.get("text") or "").replace(" ", "")
                return sum(1 for t in texts if t in body)

            candidates.sort(key=overlap, reverse=True)
        table["item_seq"] = candidates[0]["item_seq"] if candidates else None
    seq_by_table = {t["table_id"]: t["item_seq"] for t in records["tables"]}
    for cell in records["cells"]:
        cell["item_seq"] = seq_by_table.get(cell["table_id"])
