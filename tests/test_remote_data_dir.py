"""A data dir given as an fsspec URL: the run writes every file to the URL's filesystem, keeps
only the local copies extraction needs in its cache, and the reading commands read the URL.

`memory://` is fsspec's real in-process filesystem: the flow runs in this process (threads), so
it sees the same objects the test reads; the extraction child only opens the cache copy.
"""

from __future__ import annotations

import hashlib
import socket
import uuid
from pathlib import Path

import fsspec
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from flows.cli import app
from flows.extract import ExtractJob, Limits, RemotePdf
from flows.runner import run_refresh
from flows.store import (
    append_fetch_log,
    cache_dir_for,
    open_data_dir,
    read_dataset,
    read_fetch_log,
    read_state,
    write_dataset,
    write_state,
)
from flows.tasks import extract_task
from transforms.schemas import DATASETS

SOURCES = ("sample-budget-r8", "sample-teian-r7")


@pytest.fixture()
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("TEIAN_CACHE_DIR", str(folder))
    return folder


@pytest.fixture()
def memory_url():
    url = f"memory://teian-test-{uuid.uuid4().hex}"
    yield url
    fs = fsspec.filesystem("memory")
    if fs.exists(url):
        fs.rm(url, recursive=True)


def _objects(url: str) -> dict[str, object]:
    """Every object under the URL with its creation time: a new put gives a new time."""
    fs, root = fsspec.core.url_to_fs(url)
    return {
        path[len(root) + 1 :]: info["created"] for path, info in fs.find(root, detail=True).items()
    }


def _run(catalog: Path, data_dir: str) -> tuple[object, dict[str, dict]]:
    state, result = run_refresh(catalog=str(catalog), data_dir=data_dir, workers=2)
    assert result is not None, state.message
    return state, {r["source_id"]: r for r in result["sources"]}


# ------------------------------------------------------------------ the storage layer


@pytest.mark.parametrize("kind", ["local", "memory"])
def test_storage_round_trip(kind: str, tmp_path: Path, cache: Path, memory_url: str) -> None:
    location = str(tmp_path / "data") if kind == "local" else memory_url
    data = open_data_dir(location)
    assert data.is_remote == (kind == "memory")
    assert data.location == location
    if kind == "memory":
        assert data.root == cache_dir_for(memory_url) and data.root.is_relative_to(cache)
    assert read_state(data, "s1") is None and read_fetch_log(data, "s1") == []
    assert read_dataset(data, "documents", "s1") is None

    write_state(data, "s1", {"sha256": "abc"})
    append_fetch_log(data, "s1", {"n": 1})
    append_fetch_log(data, "s1", {"n": 2})
    write_dataset(
        data,
        "request_targets",
        "s1",
        [{"source_id": "s1", "doc_id": "0123456789abcdef", "item_seq": 1, "target": "総務省"}],
    )

    # a second DataDir with an empty cache sees everything: it lives at the location itself
    fresh_cache = tmp_path / "other-cache"
    other = open_data_dir(location)
    if kind == "memory":
        other = type(data)(fresh_cache, data.url)
    assert read_state(other, "s1") == {"sha256": "abc"}
    assert [r["n"] for r in read_fetch_log(other, "s1")] == [1, 2]
    table = read_dataset(other, "request_targets", "s1")
    assert table is not None and table.schema == DATASETS["request_targets"]
    assert table.column("target").to_pylist() == ["総務省"]
    assert [p.name for p in other.list_files(other.processed / "request_targets", ".parquet")] == [
        "s1.parquet"
    ]
    if kind == "memory":
        fs = fsspec.filesystem("memory")
        name = memory_url.removeprefix("memory://")
        assert fs.exists(f"/{name}/state/s1.json")
        assert fs.cat(f"/{name}/raw/s1/fetch-log.jsonl").count(b"\n") == 2
        assert not (tmp_path / "data").exists()  # nothing went to a local data dir

    # the published object is replaced whole, and a removed one is gone from the cache too
    pdf = data.raw_pdf("s1", "0" * 64)
    pdf.parent.mkdir(parents=True, exist_ok=True)
    pdf.write_bytes(b"%PDF-1.4 first")
    assert data.upload(pdf, overwrite=False) == data.is_remote
    pdf.write_bytes(b"%PDF-1.4 second")
    assert data.upload(pdf, overwrite=False) is False  # raw PDFs are never overwritten
    if kind == "memory":
        copy = other.ensure_local(other.raw_pdf("s1", "0" * 64))
        assert copy.read_bytes() == b"%PDF-1.4 first"
    data.remove(data.dataset_file("request_targets", "s1"))
    assert read_dataset(other, "request_targets", "s1") is None
    assert not other.dataset_file("request_targets", "s1").exists()


def test_a_url_whose_filesystem_is_missing_fails_with_one_line(tmp_path: Path) -> None:
    runner = CliRunner()
    catalog = Path(__file__).resolve().parent.parent / "data" / "samples" / "catalog.toml"
    done = runner.invoke(
        app, ["sources", "--catalog", str(catalog), "--data-dir", "nosuchproto://bucket/teian"]
    )
    assert done.exit_code == 2
    assert done.output.strip().splitlines() == [
        "--data-dir nosuchproto://bucket/teian: Protocol not known: nosuchproto"
    ]


# ------------------------------------------------------------------ the flow on memory://


@pytest.mark.usefixtures("prefect_harness")
def test_flow_publishes_to_memory_url_and_a_second_run_uploads_nothing(
    sample_catalog: Path, cache: Path, memory_url: str
) -> None:
    state, outcome = _run(sample_catalog, memory_url)
    assert state.is_completed(), outcome
    assert {outcome[s]["outcome"] for s in SOURCES} == {"published"}
    fs, root = fsspec.core.url_to_fs(memory_url)

    for dataset, schema in DATASETS.items():
        expected = {  # the generic budget and the 提案要求 sample publish their kinds' datasets
            "documents": SOURCES,
            "pages": SOURCES,
            "tables": SOURCES,
            "cells": SOURCES,
            "requests": SOURCES[1:],
            "request_targets": SOURCES[1:],
        }.get(dataset, ())
        for source_id in expected:
            with fs.open(f"{root}/processed/{dataset}/{source_id}.parquet", "rb") as handle:
                assert pq.read_schema(handle).remove_metadata() == schema, (dataset, source_id)
    with fs.open(f"{root}/processed/tables/sample-budget-r8.parquet", "rb") as handle:
        tables = pq.read_table(handle).to_pylist()
    assert [(t["page_first"], t["page_last"], t["n_rows"]) for t in tables] == [(2, 3, 34)]

    for source_id, name in zip(SOURCES, ("budget-sample.pdf", "teian-sample.pdf"), strict=True):
        body = (sample_catalog.parent / name).read_bytes()
        sha = hashlib.sha256(body).hexdigest()
        assert fs.cat(f"{root}/raw/{source_id}/{sha}.pdf") == body
        log = fs.cat(f"{root}/raw/{source_id}/fetch-log.jsonl").decode().splitlines()
        assert len(log) == 1 and f'"sha256": "{sha}"' in log[0]
        assert '"sha256": "' + sha in fs.cat(f"{root}/state/{source_id}.json").decode()

    # the local cache holds the copies, never the other way round; batch files are cleaned up
    data = open_data_dir(memory_url)
    assert data.root.is_relative_to(cache)
    assert data.raw_pdf(
        SOURCES[0],
        hashlib.sha256((sample_catalog.parent / "budget-sample.pdf").read_bytes()).hexdigest(),
    ).exists()
    assert not list(data.work.rglob("*.pkl"))
    assert not fs.exists(f"{root}/work")

    before = _objects(memory_url)
    state, outcome = _run(sample_catalog, memory_url)
    assert state.is_completed()
    assert {outcome[s]["outcome"] for s in SOURCES} == {"unchanged"}
    after = _objects(memory_url)
    assert after.keys() == before.keys()
    rewritten = sorted(k for k in after if after[k] != before[k])
    assert rewritten == [f"raw/{s}/fetch-log.jsonl" for s in SOURCES]
    assert len(read_fetch_log(data, SOURCES[0])) == 2

    # the reading commands work on the URL
    runner = CliRunner(env={"COLUMNS": "250"})
    listed = runner.invoke(
        app, ["sources", "--catalog", str(sample_catalog), "--data-dir", memory_url]
    )
    assert listed.exit_code == 0, listed.output
    for source_id in SOURCES:
        line = next(x for x in listed.output.splitlines() if source_id in x)
        cells = [c.strip() for c in line.split("│")]
        assert cells[4].endswith(" ok") and cells[5] != "never" and cells[6] == "ok", line
    queried = runner.invoke(
        app,
        [
            "query",
            "SELECT value_yen FROM cells WHERE row_label = '地方譲与税' AND header = '比較'",
            "--data-dir",
            memory_url,
        ],
    )
    assert queried.exit_code == 0, queried.output
    assert "-28000000" in queried.output


@pytest.mark.usefixtures("prefect_harness")
def test_a_failed_source_keeps_its_last_good_data_on_a_url(
    sample_catalog: Path, cache: Path, memory_url: str, tmp_path: Path
) -> None:
    _run(sample_catalog, memory_url)
    before = _objects(memory_url)
    (sample_catalog.parent / "budget-sample.pdf").write_bytes(b"%PDF-1.4\n" + b"garbage " * 200)
    state, outcome = _run(sample_catalog, memory_url)
    assert state.is_failed()
    assert outcome["sample-budget-r8"]["outcome"] == "failed"
    assert outcome["sample-teian-r7"]["outcome"] == "unchanged"
    after = _objects(memory_url)
    for dataset in ("pages", "tables", "cells"):
        key = f"processed/{dataset}/sample-budget-r8.parquet"
        assert after[key] == before[key], key  # the published data was not touched
    data = open_data_dir(memory_url)
    history = read_dataset(data, "documents", "sample-budget-r8").to_pylist()
    assert [(h["status"], h["is_current"]) for h in history] == [("ok", True), ("failed", False)]
    state_file = read_state(data, "sample-budget-r8")
    assert state_file["status"] == "ok" and "extract" in state_file["last_error"]

    # the report reads the URL too: the published version, with its raw PDF from the URL
    runner = CliRunner()
    out = tmp_path / "report"
    done = runner.invoke(app, ["report", "--data-dir", memory_url, "--out", str(out)])
    assert done.exit_code == 0, done.output
    assert (out / "sample-budget-r8" / "index.html").exists()
    assert "raw PDF not found" not in (out / "sample-budget-r8" / "index.html").read_text()


def test_an_extraction_task_fetches_a_missing_pdf_from_the_url(
    tmp_path: Path, cache: Path, memory_url: str, sample_pdf_bytes: dict[str, bytes]
) -> None:
    """A Dask worker on another machine has no cache copy: it downloads the PDF from the URL."""
    body = sample_pdf_bytes["budget"]
    sha = hashlib.sha256(body).hexdigest()
    fs, root = fsspec.core.url_to_fs(memory_url)
    fs.pipe(f"{root}/raw/s1/{sha}.pdf", body)
    data = open_data_dir(memory_url)
    assert not data.raw_pdf("s1", sha).exists()
    job = ExtractJob(
        "s1",
        str(tmp_path / "elsewhere" / f"{sha}.pdf"),  # the flow machine's path: not here
        1,
        1,
        str(tmp_path / "work"),
        limits=Limits(time_seconds=120),
        remote=RemotePdf(memory_url, sha, socket.gethostname()),
    )
    ref = extract_task.fn(job)
    assert data.raw_pdf("s1", sha).read_bytes() == body
    assert Path(ref.path).exists() and (ref.first, ref.last) == (1, 1)


@pytest.mark.usefixtures("prefect_harness")
def test_a_file_url_behaves_like_the_local_folder(
    sample_catalog: Path, cache: Path, tmp_path: Path
) -> None:
    target = tmp_path / "shared"
    state, outcome = _run(sample_catalog, target.as_uri())
    assert state.is_completed()
    assert {outcome[s]["outcome"] for s in SOURCES} == {"published"}
    for dataset in ("documents", "pages", "tables", "cells"):
        for source_id in SOURCES:
            path = target / "processed" / dataset / f"{source_id}.parquet"
            assert pq.read_schema(path).remove_metadata() == DATASETS[dataset]
    assert len(list((target / "raw" / "sample-budget-r8").glob("*.pdf"))) == 1
    assert not [p for p in target.rglob("*") if p.name.endswith(".tmp")]  # renamed into place
    assert not (target / ".teian.lock").exists()  # the lock is in the local cache
    assert (cache_dir_for(target.as_uri()) / ".teian.lock").exists()


def test_a_worker_on_another_machine_returns_the_records(
    tmp_path: Path, cache: Path, memory_url: str, sample_pdf_bytes: dict[str, bytes]
) -> None:
    """The flow cannot read another machine's work dir, so such a batch comes back inline."""
    body = sample_pdf_bytes["budget"]
    sha = hashlib.sha256(body).hexdigest()
    fs, root = fsspec.core.url_to_fs(memory_url)
    fs.pipe(f"{root}/raw/s1/{sha}.pdf", body)
    flow_work = tmp_path / "flow-work"
    job = ExtractJob(
        "s1",
        str(tmp_path / "elsewhere" / f"{sha}.pdf"),
        2,
        3,
        str(flow_work),
        limits=Limits(time_seconds=120),
        remote=RemotePdf(memory_url, sha, "a-machine-that-is-not-this-one"),
    )
    ref = extract_task.fn(job)
    assert ref.path is None and (ref.first, ref.last) == (2, 3)
    assert [p.page_number for p in ref.batch.pages] == [2, 3]
    assert not flow_work.exists()
    assert not list(open_data_dir(memory_url).work.rglob("*.pkl"))


@pytest.mark.usefixtures("prefect_harness")
def test_dask_workers_with_their_own_cache_publish_to_a_url(
    sample_catalog: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Dask worker processes whose cache is not the flow's: fetches land in the workers' cache
    and on the URL, and the flow reads its copy back from the URL."""
    distributed = pytest.importorskip("distributed")
    monkeypatch.setenv("TEIAN_CACHE_DIR", str(tmp_path / "worker-cache"))
    with distributed.LocalCluster(
        n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None
    ) as cluster:
        monkeypatch.setenv("TEIAN_CACHE_DIR", str(tmp_path / "flow-cache"))
        url = (tmp_path / "shared").as_uri()
        state, result = run_refresh(
            catalog=str(sample_catalog),
            data_dir=url,
            workers=2,
            dask_address=cluster.scheduler_address,
        )
    assert result is not None and state.is_completed(), state.message
    assert {r["outcome"] for r in result["sources"]} == {"published"}
    shared = tmp_path / "shared"
    for source_id in SOURCES:
        assert len(list((shared / "raw" / source_id).glob("*.pdf"))) == 1
        path = shared / "processed" / "cells" / f"{source_id}.parquet"
        assert pq.read_schema(path).remove_metadata() == DATASETS["cells"]
    worker_raw = cache_dir_for(url).relative_to(tmp_path / "flow-cache")
    assert list((tmp_path / "worker-cache" / worker_raw / "raw").rglob("*.pdf"))
    assert list((tmp_path / "flow-cache" / worker_raw / "raw").rglob("*.pdf"))
