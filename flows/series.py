"""`request_series`: every published edition's requests linked into series, kept in one file.

The series span sources, so they cannot live in one file per source like the other datasets: a
new edition changes the rows of earlier editions too (their `n_editions`), and files replaced one
after another would let a reader see a new edition's series next to an old edition's count. So
the whole dataset is one file, `processed/request_series/all_sources.parquet` (no source id can
hold "_", so the name never clashes with one), replaced atomically like every dataset file: a
reader sees the old series or the new ones, never a mix. The same glob reads it
(`request_series/*.parquet`).

The file records, in its Parquet metadata, which editions it was built from (each requests file's
source and doc_id, year, edition, publisher, and the pipeline and linking versions). Each run
compares that with the requests files published now and rebuilds only when they differ, so a run
killed between publishing an edition and linking it is put right by the next run.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime

import pyarrow.parquet as pq

from flows.store import DataDir, read_dataset, write_table
from transforms.schemas import PIPELINE_VERSION, file_metadata, to_table
from transforms.series import Edition, SeriesItem, link_editions

SERIES_FILE = "all_sources"
SERIES_VERSION = "1"  # bumped when the linking rules change
_INPUTS_KEY = b"teian.series_inputs"
_ITEM_COLUMNS = ["item_seq", "title", "targets", "bureaus", "category"]
_EDITION_COLUMNS = ["source_id", "doc_id", "fiscal_year", "edition"]


def _now() -> str:
    return datetime.now(UTC).isoformat()


def _publisher(data_dir: DataDir, source_id: str) -> str:
    documents = read_dataset(data_dir, "documents", source_id)
    if documents is None:
        return ""
    current = [
        r for r in documents.select(["publisher", "is_current"]).to_pylist() if r["is_current"]
    ]
    return (current[-1]["publisher"] if current else "") or ""


def _published(data_dir: DataDir) -> list[tuple[str, dict]]:
    """(source id, what identifies its published edition) for every requests file."""
    editions = []
    for path in data_dir.list_files(data_dir.processed / "requests", ".parquet"):
        if not data_dir.download(path):
            continue
        rows = pq.read_table(path, columns=_EDITION_COLUMNS).slice(0, 1).to_pylist()
        if not rows:  # a document without items: nothing to link
            continue
        edition = {**rows[0], "publisher": _publisher(data_dir, path.stem)}
        editions.append((path.stem, edition))
    return editions


def _inputs_key(editions: list[tuple[str, dict]]) -> str:
    text = json.dumps(
        [SERIES_VERSION, PIPELINE_VERSION, [e for _, e in editions]], sort_keys=True
    ).encode()
    return hashlib.sha256(text).hexdigest()[:32]


def _series_file(data_dir: DataDir):  # noqa: ANN202 - a Path
    return data_dir.dataset_file("request_series", SERIES_FILE)


def _stored_key(data_dir: DataDir) -> str | None:
    path = _series_file(data_dir)
    if not data_dir.download(path):
        return None
    metadata = pq.read_schema(path).metadata or {}
    return metadata.get(_INPUTS_KEY, b"").decode() or None


def series_outdated(data_dir: DataDir) -> bool:
    """Whether the published series were built from other editions than those published now."""
    editions = _published(data_dir)
    stored = _stored_key(data_dir)
    if not editions:
        return stored is not None
    return stored != _inputs_key(editions)


def refresh_series(data_dir: DataDir) -> dict | None:
    """Rebuild `request_series` from every published requests file (see the module docstring);
    returns its counts, or None when the file was already up to date."""
    editions = _published(data_dir)
    key = _inputs_key(editions)
    path = _series_file(data_dir)
    if _stored_key(data_dir) == key and editions:
        return None
    linked = []
    for source_id, info in editions:
        table = read_dataset(data_dir, "requests", source_id)
        items = [
            SeriesItem(
                r["item_seq"],
                r["title"] or "",
                tuple(r["targets"] or ()),
                tuple(r["bureaus"] or ()),
                r["category"],
            )
            for r in table.select(_ITEM_COLUMNS).to_pylist()
        ]
        linked.append(
            Edition(
                source_id,
                info["doc_id"],
                info["fiscal_year"],
                info["edition"],
                items,
                info["publisher"],
            )
        )
    rows = link_editions(linked)
    if not editions:
        data_dir.remove(path)
        return {"editions": 0, "items": 0, "series": 0}
    metadata = file_metadata("request_series", SERIES_FILE, retrieved_at=_now())
    metadata |= {
        "teian.sources": json.dumps([source_id for source_id, _ in editions]),
        _INPUTS_KEY.decode(): key,
    }
    write_table(data_dir, "request_series", SERIES_FILE, to_table("request_series", rows), metadata)
    return {
        "editions": len(editions),
        "items": len(rows),
        "series": len({r["series_id"] for r in rows}),
    }
