"""Turn one document's extracted pages into published datasets, and record what was published.

Order matters for crash safety: the per-document datasets are replaced first (each atomically),
then the `documents` history, then the source's state file. A crash anywhere before the state
file is written leaves the state saying "not yet published", so the next run simply redoes it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict
from datetime import UTC, datetime

from flows.store import DataDir, read_dataset, read_json, remove_dataset, write_dataset, write_json
from transforms.catalog import Source
from transforms.document import build_records
from transforms.schemas import DOCUMENT_DATASETS, PIPELINE_VERSION
from transforms.tags import load_default_taxonomy
from transforms.teian import parse_requests


def source_fingerprint(source: Source) -> str:
    """Catalog fields that change the published rows; a change republishes the source."""
    fields = asdict(source)
    fields.pop("password", None)
    return hashlib.sha256(json.dumps(fields, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:16]


def is_unchanged(data_dir: DataDir, source: Source, sha256: str) -> bool:
    state = read_json(data_dir.state_file(source.id))
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
        if last["status"] == "failed" and last["error"] == row["error"] and last["sha256"] == row["sha256"]:
            return  # the same failure again: the history does not need a row per week
    if make_current:
        for old in rows:
            old["is_current"] = False
    row["is_current"] = make_current
    rows.append(row)
    write_dataset(data_dir, "documents", source.id, rows)


def record_failure(data_dir: DataDir, source: Source, fetch: dict | None, stage: str, error: str) -> None:
    """A failed source keeps its last good data; only its history and state note the failure."""
    row = _document_row(source, fetch, page_count=None, n_tables=None, status="failed",
                        error=f"{stage}: {error}", warnings=[], n_requests=None)
    append_document(data_dir, source, row, make_current=False)
    state = read_json(data_dir.state_file(source.id)) or {}
    state.update(last_error=f"{stage}: {error}", last_attempt=datetime.now(UTC).isoformat())
    write_json(data_dir.state_file(source.id), state)


def publish_document(
    data_dir: DataDir, source: Source, fetch: dict, batches: list[dict]
) -> dict:
    """Build every dataset of one document from its extracted batches and publish them."""
    sha = fetch["sha256"]
    ids = {"source_id": source.id, "doc_id": sha[:16]}
    pages = [page for batch in batches for page in batch["pages"]]
    pages.sort(key=lambda p: p["page_number"])
    labels = next((b["page_labels"] for b in batches if b.get("page_labels")), None)
    records = build_records(ids, pages, labels)
    warnings: list[str] = []
    requests: list[dict] = []
    targets: list[dict] = []
    if source.kind == "teian":
        items, warnings = parse_requests(records["pages"], load_default_taxonomy())
        for item in items:
            row = {**ids, "fiscal_year": source.fiscal_year, "edition": source.edition, **asdict(item)}
            requests.append(row)
            targets.extend({**ids, "item_seq": item.item_seq, "target": t} for t in item.targets)
        _attach_items(records, requests)
    total_chars = sum(p.get("n_chars") or 0 for p in pages)
    if pages and total_chars == 0:
        warnings.insert(0, "no text layer: needs OCR")
    unreadable = [p["page_number"] for p in records["pages"] if p["n_unreadable"]]
    if unreadable:
        warnings.append(f"{len(unreadable)} page(s) with unreadable glyphs (first: p.{unreadable[0]})")
    datasets = {**records, "requests": requests, "request_targets": targets}
    for dataset in DOCUMENT_DATASETS:
        if dataset in ("requests", "request_targets") and source.kind != "teian":
            remove_dataset(data_dir, dataset, source.id)
            continue
        write_dataset(data_dir, dataset, source.id, datasets[dataset])
    status = "partial" if warnings else "ok"
    row = _document_row(
        source, fetch,
        page_count=len(pages), n_tables=len(records["tables"]), status=status,
        error="; ".join(warnings) or None, warnings=warnings,
        n_requests=len(requests) if source.kind == "teian" else None,
    )
    append_document(data_dir, source, row, make_current=True)
    write_json(
        data_dir.state_file(source.id),
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
                "pages": len(records["pages"]),
                "tables": len(records["tables"]),
                "cells": len(records["cells"]),
                "requests": len(requests),
            },
        },
    )
    return {
        "status": status,
        "pages": len(records["pages"]),
        "tables": len(records["tables"]),
        "cells": len(records["cells"]),
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
        candidates = [r for r in requests if r["page_first"] <= table["page_first"] <= r["page_last"]]
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
