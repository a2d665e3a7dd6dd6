"""Where things live under the data dir, and the only code that writes there.

    data/raw/<source_id>/<sha256>.pdf        immutable, content-addressed, never overwritten
    data/raw/<source_id>/fetch-log.jsonl     append-only, one line per fetch attempt
    data/processed/<dataset>/<source_id>.parquet   published datasets, replaced atomically
    data/state/<source_id>.json              what is published for the source (hash, version)
    data/work/                               scratch space for extraction batches

Every write goes to a temporary file in the target's folder and is renamed into place, so a
reader (or a crash) only ever sees the old complete file or the new complete one.

The data dir may also be an fsspec URL (`s3://bucket/teian`, `memory://teian`, `file:///srv/x`).
Then `DataDir.root` is a local cache folder that mirrors the URL's layout: every file is written
there exactly as for a local data dir, and `DataDir.upload` then copies the complete file to the
URL in one put — a single object PUT is atomic on object stores, so readers see the old or the
new object, never half of one. Reads first refresh the cache copy from the URL (`download`).
The cache also holds what must be local: the raw PDF the extraction child opens, the work/
batch files and the run lock. Object stores cannot append, so the fetch log is downloaded, given
its line and uploaded whole; a crash between the two loses at most that line, and two writers
cannot interleave because a run holds the run lock while it writes.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pyarrow as pa

# pyarrow and the schemas are imported where a dataset is read or written, not here: a run that
# finds nothing changed only reads state files, and should not pay pyarrow's start-up.


def is_url(location: str | os.PathLike) -> bool:
    """Whether a --data-dir value names an fsspec filesystem (`proto://…`) rather than a path."""
    return "://" in str(location)


def cache_dir_for(url: str) -> Path:
    """The local cache of a data dir URL: TEIAN_CACHE_DIR (default ~/.cache/teian), then a short
    hash of the URL, so two URLs never share a cache and the same URL always finds its own."""
    base = os.environ.get("TEIAN_CACHE_DIR") or Path.home() / ".cache" / "teian"
    return Path(base).expanduser().resolve() / hashlib.sha256(url.encode()).hexdigest()[:16]


@functools.cache
def _filesystem(url: str) -> tuple[Any, str]:
    """The fsspec filesystem of a URL and the URL's path within it (e.g. "bucket/teian")."""
    import fsspec

    try:
        fs, path = fsspec.core.url_to_fs(url)
    except (ImportError, ValueError) as exc:  # e.g. s3:// without s3fs installed
        raise StorageError(f"--data-dir {url}: {exc}".splitlines()[0]) from None
    return fs, path.rstrip("/")


def _protocols(fs: Any) -> tuple[str, ...]:
    return (fs.protocol,) if isinstance(fs.protocol, str) else tuple(fs.protocol)


class StorageError(Exception):
    """A data dir URL that cannot be used (unknown protocol, its package not installed)."""


@dataclass(frozen=True)
class DataDir:
    """The data dir's layout, plus where its files really live.

    `root` is the local folder every path points into: the data dir itself, or the local cache
    of `url` when the data dir is an fsspec URL. Code that writes a file writes it under `root`
    and calls `upload`; code that reads one calls `download` first. Both do nothing for a local
    data dir, so local runs keep exactly their os.replace / fsync behaviour.
    """

    root: Path
    url: str | None = None

    @property
    def location(self) -> str:
        """What the user gave: the URL, or the local path; tasks rebuild the DataDir from it."""
        return self.url or str(self.root)

    @property
    def is_remote(self) -> bool:
        return self.url is not None

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

    def display(self, path: Path) -> str:
        """A path as the user knows it: under the URL for a remote data dir, not the cache."""
        if self.url is None:
            return str(path)
        relative = Path(path).relative_to(self.root).as_posix()
        return self.url if relative == "." else f"{self.url}/{relative}"

    # ------------------------------------------------------------------ storage

    @property
    def fs(self) -> Any:
        """The fsspec filesystem of a URL data dir (a remote data dir only)."""
        assert self.url is not None
        return _filesystem(self.url)[0]

    def remote_path(self, path: Path) -> str:
        """Where a file under `root` lives on the URL's filesystem."""
        assert self.url is not None
        relative = Path(path).relative_to(self.root).as_posix()
        return f"{_filesystem(self.url)[1]}/{relative}"

    def exists(self, path: Path) -> bool:
        """Whether the data dir holds the file (on the URL for a remote data dir)."""
        if self.url is None:
            return path.exists()
        return self.fs.exists(self.remote_path(path))

    def upload(self, path: Path, overwrite: bool = True) -> bool:
        """Copy a complete local file to the URL in one put; False when it was not needed
        (a local data dir, or `overwrite=False` and the object is already there).

        An object PUT replaces the object whole. A `file://` URL is a folder, where a copy is
        seen while it grows, so there the copy goes to a temp name and is renamed over the file.
        """
        if self.url is None:
            return False
        remote = self.remote_path(path)
        if not overwrite and self.fs.exists(remote):
            return False
        folder, name = remote.rsplit("/", 1)
        self.fs.makedirs(folder, exist_ok=True)
        if "file" in _protocols(self.fs):
            fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=folder)
            os.close(fd)
            try:
                self.fs.put_file(str(path), tmp)
                os.replace(tmp, remote)
            finally:
                Path(tmp).unlink(missing_ok=True)
        else:
            self.fs.put_file(str(path), remote)
        return True

    def download(self, path: Path) -> bool:
        """Refresh the cache copy of a file from the URL; returns whether the file exists.

        A file gone from the URL is removed from the cache too, so the cache never answers with
        data the data dir no longer has. The copy lands through a temp file and a rename, as
        every other write does.
        """
        if self.url is None:
            return path.exists()
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        os.close(fd)
        try:
            self.fs.get_file(self.remote_path(path), tmp)
        except FileNotFoundError:
            Path(tmp).unlink(missing_ok=True)
            path.unlink(missing_ok=True)
            return False
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        os.replace(tmp, path)
        return True

    def ensure_local(self, path: Path) -> Path:
        """A local copy of an immutable file (a raw PDF): downloaded only if the cache lacks it."""
        if self.url is not None and not path.exists():
            self.download(path)
        return path

    def remove(self, path: Path) -> None:
        path.unlink(missing_ok=True)
        if self.url is not None:
            with contextlib.suppress(FileNotFoundError):
                self.fs.rm_file(self.remote_path(path))

    def list_files(self, folder: Path, suffix: str) -> list[Path]:
        """The files of a folder ending in `suffix`, as paths under `root`, sorted."""
        if self.url is None:
            return sorted(folder.glob(f"*{suffix}")) if folder.exists() else []
        remote = self.remote_path(folder)
        try:
            names = self.fs.ls(remote, detail=False)
        except FileNotFoundError:
            return []
        return sorted(
            folder / n.rstrip("/").rsplit("/", 1)[-1] for n in names if n.endswith(suffix)
        )


def open_data_dir(location: str | os.PathLike) -> DataDir:
    """The DataDir for a --data-dir value: a local path (resolved), or an fsspec URL with its
    local cache. The URL's filesystem is checked here, so a missing package fails at once."""
    if is_url(location):
        url = str(location).rstrip("/")
        _filesystem(url)
        return DataDir(cache_dir_for(url), url)
    return DataDir(Path(location).resolve())


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


def dataset_schema(dataset: str, metadata: dict[str, str] | None = None) -> pa.Schema:
    """The declared schema of `dataset`, carrying a file's key-value metadata when given
    (`transforms.schemas.file_metadata`): Parquet writes a schema's metadata into the footer."""
    from transforms.schemas import DATASETS

    schema = DATASETS[dataset]
    return schema.with_metadata(metadata) if metadata else schema


def write_dataset(
    data_dir: DataDir,
    dataset: str,
    source_id: str,
    rows: list[dict],
    metadata: dict[str, str] | None = None,
) -> Path:
    """Publish one source's rows of one dataset: typed by the declared schema, zstd, atomic."""
    from transforms.schemas import to_table

    table = to_table(dataset, rows)
    return write_table(data_dir, dataset, source_id, table, metadata)


def write_table(
    data_dir: DataDir,
    dataset: str,
    source_id: str,
    table: pa.Table,
    metadata: dict[str, str] | None = None,
) -> Path:
    import pyarrow.parquet as pq

    target = data_dir.dataset_file(dataset, source_id)
    table = table.cast(dataset_schema(dataset, metadata))
    with atomic_path(target) as tmp:
        pq.write_table(table, tmp, compression="zstd")
    data_dir.upload(target)
    return target


class DatasetWriter:
    """Rows of one source's dataset written in pieces (row groups), published atomically at the end.

    A long document is written batch by batch, so its rows are never all in memory at once.
    """

    def __init__(self, dataset: str, path: Path, metadata: dict[str, str] | None = None) -> None:
        import pyarrow.parquet as pq

        self.dataset = dataset
        self.rows_written = 0
        schema = dataset_schema(dataset, metadata)
        self._writer = pq.ParquetWriter(path, schema, compression="zstd")

    def write(self, rows: list[dict]) -> None:
        from transforms.schemas import to_table

        if rows:
            self._writer.write_table(to_table(self.dataset, rows))
            self.rows_written += len(rows)

    def close(self) -> None:
        self._writer.close()


@contextlib.contextmanager
def dataset_writer_at(
    dataset: str, path: Path, metadata: dict[str, str] | None = None
) -> Iterator[DatasetWriter]:
    """A piecewise writer of a staged (not yet published) dataset file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = DatasetWriter(dataset, path, metadata)
    try:
        yield writer
    finally:
        writer.close()


def write_staged(
    dataset: str, path: Path, rows: list[dict], metadata: dict[str, str] | None = None
) -> Path:
    """A staged dataset file of `rows`, typed by the declared schema."""
    import pyarrow.parquet as pq

    from transforms.schemas import to_table

    path.parent.mkdir(parents=True, exist_ok=True)
    table = to_table(dataset, rows).replace_schema_metadata(metadata)
    pq.write_table(table, path, compression="zstd")
    return path


def publish_file(data_dir: DataDir, staged: Path, dataset: str, source_id: str) -> Path:
    """Replace a source's published dataset file with a staged one, atomically.

    The staged file is first moved beside the target under a temp name (readers glob
    `*.parquet` and never see it), synced, then renamed over the target: a reader sees the old
    file or the new one, never part of one. A crash in between leaves a temp file that the next
    run's lock sweeps away.
    """
    target = data_dir.dataset_file(dataset, source_id)
    with atomic_path(target) as tmp:
        os.replace(staged, tmp)
    data_dir.upload(target)
    return target


def read_dataset(data_dir: DataDir, dataset: str, source_id: str) -> pa.Table | None:
    import pyarrow.parquet as pq

    from transforms.schemas import DATASETS

    path = data_dir.dataset_file(dataset, source_id)
    if not data_dir.download(path):
        return None
    return pq.read_table(path, schema=DATASETS[dataset])


def remove_dataset(data_dir: DataDir, dataset: str, source_id: str) -> None:
    """Drop a source's file of a dataset it no longer produces (e.g. its kind changed)."""
    data_dir.remove(data_dir.dataset_file(dataset, source_id))


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


def read_state(data_dir: DataDir, source_id: str) -> dict | None:
    """The source's state file: what is published for it, or None before its first publish."""
    path = data_dir.state_file(source_id)
    return read_json(path) if data_dir.download(path) else None


def write_state(data_dir: DataDir, source_id: str, state: dict) -> None:
    """Replace the source's state file; it is written last, so it only names published data."""
    path = data_dir.state_file(source_id)
    write_json(path, state)
    data_dir.upload(path)


def read_fetch_log(data_dir: DataDir, source_id: str) -> list[dict]:
    path = data_dir.fetch_log(source_id)
    return read_jsonl(path) if data_dir.download(path) else []


def append_fetch_log(data_dir: DataDir, source_id: str, record: dict) -> None:
    """Add one attempt to the source's fetch log.

    A remote log is downloaded, given the line and uploaded whole (object stores cannot
    append): a crash before the upload loses this one line, and the run lock keeps two runs
    from rewriting the same log at once.
    """
    path = data_dir.fetch_log(source_id)
    data_dir.download(path)
    append_jsonl(path, record)
    data_dir.upload(path)
