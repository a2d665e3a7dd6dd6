"""Where things live under the data dir, and the only code that writes there.

    data/raw/<source_id>/<sha256>.pdf        immutable, content-addressed, never overwritten
    data/raw/<source_id>/fetch-log.jsonl     append-only, one line per fetch attempt
    data/processed/<dataset>/<source_id>.parquet   published datasets, replaced atomically
    data/state/<source_id>.json              what is published for the source (hash, version)
    data/work/                               scratch space for extraction batches

Every write goes to a temporary file in the target's folder and is renamed into place, so a
reader (or a crash) only ever sees the old complete file or the new complete one.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from transforms.schemas import DATASETS, to_table


@dataclass(frozen=True)
class DataDir:
    root: Path

    @property
    def raw(self) -> Path:
        return self.root / "raw"

    @property
    def processed(self) -> Path:
        return self.root / "processed"

    @property
    def state_dir(self) -> Path:
        return self.root / "state"

    @property
    def work(self) -> Path:
        return self.root / "work"

    def raw_dir(self, source_id: str) -> Path:
        return self.raw / source_id

    def raw_pdf(self, source_id: str, sha256: str) -> Path:
        return self.raw_dir(source_id) / f"{sha256}.pdf"

    def fetch_log(self, source_id: str) -> Path:
        return self.raw_dir(source_id) / "fetch-log.jsonl"

    def dataset_file(self, dataset: str, source_id: str) -> Path:
        return self.processed / dataset / f"{source_id}.parquet"

    def state_file(self, source_id: str) -> Path:
        return self.state_dir / f"{source_id}.json"


@contextlib.contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yield a temp path beside `target`; on success it is fsynced and renamed over `target`."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        with open(tmp_path, "rb+") as handle:
            os.fsync(handle.fileno())
        _pause_for_crash_test(target)
        os.replace(tmp_path, target)
        dir_fd = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def _pause_for_crash_test(target: Path) -> None:
    """Crash-safety tests kill a run at its most delicate moment: a new file complete on disk but
    not yet renamed over the published one. TEIAN_TEST_PAUSE_BEFORE_REPLACE names the target
    (a path suffix such as "cells/x.parquet") at which the process stops and waits to be killed."""
    suffix = os.environ.get("TEIAN_TEST_PAUSE_BEFORE_REPLACE")
    if suffix and str(target).endswith(suffix):
        while True:
            time.sleep(3600)


def write_dataset(data_dir: DataDir, dataset: str, source_id: str, rows: list[dict]) -> Path:
    """Publish one source's rows of one dataset: typed by the declared schema, zstd, atomic."""
    table = to_table(dataset, rows)
    return write_table(data_dir, dataset, source_id, table)


def write_table(data_dir: DataDir, dataset: str, source_id: str, table: pa.Table) -> Path:
    target = data_dir.dataset_file(dataset, source_id)
    table = table.cast(DATASETS[dataset])
    with atomic_path(target) as tmp:
        pq.write_table(table, tmp, compression="zstd")
    return target


class DatasetWriter:
    """Rows of one source's dataset written in pieces (row groups), published atomically at the end.

    A long document is written batch by batch, so its rows are never all in memory at once.
    """

    def __init__(self, dataset: str, path: Path) -> None:
        self.dataset = dataset
        self.rows_written = 0
        self._writer = pq.ParquetWriter(path, DATASETS[dataset], compression="zstd")

    def write(self, rows: list[dict]) -> None:
        if rows:
            self._writer.write_table(to_table(self.dataset, rows))
            self.rows_written += len(rows)

    def close(self) -> None:
        self._writer.close()


@contextlib.contextmanager
def dataset_writer(data_dir: DataDir, dataset: str, source_id: str) -> Iterator[DatasetWriter]:
    """Open a piecewise writer; the file replaces the published one only if the block succeeds."""
    with atomic_path(data_dir.dataset_file(dataset, source_id)) as tmp:
        writer = DatasetWriter(dataset, tmp)
        try:
            yield writer
        finally:
            writer.close()


def read_dataset(data_dir: DataDir, dataset: str, source_id: str) -> pa.Table | None:
    path = data_dir.dataset_file(dataset, source_id)
    if not path.exists():
        return None
    return pq.read_table(path, schema=DATASETS[dataset])


def remove_dataset(data_dir: DataDir, dataset: str, source_id: str) -> None:
    """Drop a source's file of a dataset it no longer produces (e.g. its kind changed)."""
    path = data_dir.dataset_file(dataset, source_id)
    if path.exists():
        path.unlink()


def write_json(path: Path, data: dict) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(
            json.dumps(data, ensure_ascii=False, indent=2, default=str), encoding="utf-8"
        )


def read_json(path: Path) -> dict | None:
    if not path.exists():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None


def append_jsonl(path: Path, record: dict) -> None:
    """Append one line and fsync: the fetch log is evidence, it must survive a crash."""
    path.parent.mkdir(parents=True, exist_ok=True)
    line = json.dumps(record, ensure_ascii=False, default=str) + "\n"
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(line)
        handle.flush()
        os.fsync(handle.fileno())


def read_jsonl(path: Path) -> list[dict]:
    if not path.exists():
        return []
    records = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            continue  # a line cut short by a crash: the rest of the log is still good
    return records
