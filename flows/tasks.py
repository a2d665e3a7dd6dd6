"""The Prefect tasks of the refresh flow, one per stage: fetch, extract, normalize, parse, publish.

Tasks are coarse (a source, a batch of pages, a document) because each costs Prefect API round
trips; each is named after what it works on, so the UI reads "extract tokyo-… p.1–64". Before
the sources, each catalog [[index]] is listed (discover); after them, requests are linked across
editions (request-series). The work
itself lives in the stage modules (flows.fetch, flows.extract, flows.publish); a task only opens
the data dir and reports progress.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

from prefect import task
from prefect.cache_policies import NO_CACHE
from prefect.futures import PrefectFuture

from flows import defaults
from flows.discover import IndexListing, list_index
from flows.extract import ExtractJob, extract_batch, extract_batch_to_file
from flows.fetch import TransientFetchError, fetch_source
from flows.progress import report
from flows.publish import (
    StagedDocument,
    document_info,
    parse_document,
    publish_document,
    stage_document,
)
from flows.series import refresh_series
from flows.store import open_data_dir
from transforms.catalog import Index, Source
from transforms.records import BatchRef, FetchResult


def _retry_transient(task, task_run, state) -> bool:  # noqa: ANN001 - Prefect's callback shape
    """Retry only what may work next time: timeouts, connection errors, 5xx."""
    try:
        state.result()
    except TransientFetchError:
        return True
    except Exception:  # noqa: BLE001
        return False
    return False


# A download (a PDF or an index page): retried on transient errors only, never cached.
_DOWNLOAD_TASK: dict = {
    "retries": 3,
    "retry_delay_seconds": [2, 8, 30],
    "retry_condition_fn": _retry_transient,
    "cache_policy": NO_CACHE,
    "persist_result": False,
}


@task(name="fetch", task_run_name="fetch {source.id}", **_DOWNLOAD_TASK)
def fetch_task(
    source: Source,
    data_root: str,
    timeout: float,
    deadline: float = defaults.FETCH_DEADLINE_SECONDS,
    fresh: bool = False,
) -> FetchResult:
    report(source.id, "fetch", 0, 1)
    data = open_data_dir(data_root)
    return fetch_source(source, data, timeout=timeout, deadline=deadline, fresh=fresh)


@task(
    name="extract",
    task_run_name="extract {job.source_id} p.{job.first}–{job.last}",
    cache_policy=NO_CACHE,
    persist_result=False,
)
def extract_task(job: ExtractJob) -> BatchRef:
    """Extract a batch in a guarded child; return where its records are, not the records.

    Passing a file path keeps the flow's memory flat however many batches are in flight, and
    the path stays valid on any Dask worker that sees the same data dir. A data dir URL is not a
    shared folder: its PDF is read from this machine's cache, downloaded from the URL when
    missing, and a worker on another machine than the flow returns the records themselves,
    since the flow cannot read that machine's work dir.
    """
    pdf_path = job.pdf_path
    remote = job.remote
    if remote is not None and not Path(pdf_path).exists():
        data = open_data_dir(remote.data_root)
        pdf_path = str(data.ensure_local(data.raw_pdf(job.source_id, remote.sha256)))
    options = {
        "password": job.password,
        "limits": job.limits,
        "fast": job.fast_path,
        "ocr": job.ocr,
        "deadline": job.deadline,
        "direct": job.direct_pages,
        "corrections": job.corrections,
    }
    pages = job.last - job.first + 1
    if remote is not None and remote.flow_host != socket.gethostname():
        data = open_data_dir(remote.data_root)
        work = data.checked(data.work)
        batch = extract_batch(pdf_path, job.first, job.last, work, **options)
        report(job.source_id, "extract", pages, 0)
        return BatchRef(job.first, job.last, batch=batch)
    path = extract_batch_to_file(pdf_path, job.first, job.last, Path(job.work_dir), **options)
    report(job.source_id, "extract", pages, 0)
    return BatchRef(job.first, job.last, path=path)


def _in_page_order(futures: list[PrefectFuture]) -> Iterator[BatchRef]:
    """Each batch's result as soon as it (and every batch before it) is ready; a failed batch
    raises its error, which stops the document before anything is published."""
    for future in futures:
        yield future.result()


@task(
    name="normalize",
    task_run_name="normalize {source.id}",
    cache_policy=NO_CACHE,
    persist_result=False,
)
def normalize_task(
    source: Source, data_root: str, fetch: FetchResult, batches: list[PrefectFuture]
) -> StagedDocument:
    """Stitch, normalize and stage a document's pages, tables and cells as its batches finish
    (`batches` are extraction futures in page order), overlapping its later batches' extraction."""
    report(source.id, "normalize", 0, 0)
    doc = document_info(source, fetch)
    return stage_document(open_data_dir(data_root), doc, _in_page_order(batches))


@task(
    name="parse",
    task_run_name="parse {source.id} ({source.kind})",
    cache_policy=NO_CACHE,
    persist_result=False,
)
def parse_task(source: Source, staged: StagedDocument) -> StagedDocument:
    report(source.id, "parse", 0, 0)
    return parse_document(staged)


@task(
    name="publish",
    task_run_name="publish {source.id}",
    cache_policy=NO_CACHE,
    persist_result=False,
)
def publish_task(
    source: Source, data_root: str, fetch: FetchResult, staged: StagedDocument
) -> dict:
    report(source.id, "publish", 0, 0)
    return publish_document(open_data_dir(data_root), source, fetch, staged)


@task(name="discover", task_run_name="discover {index.id}", **_DOWNLOAD_TASK)
def list_index_task(
    index: Index,
    data_root: str,
    timeout: float,
    deadline: float = defaults.FETCH_DEADLINE_SECONDS,
) -> IndexListing:
    """Fetch an index page (or the archive's listing) and choose its links; retried like a fetch."""
    report(index.id, "discover", 0, 1)
    return list_index(index, open_data_dir(data_root), timeout, deadline)


@task(name="request-series", cache_policy=NO_CACHE, persist_result=False)
def series_task(data_root: str) -> dict | None:
    """Link every edition's requests into series, when the published editions changed."""
    return refresh_series(open_data_dir(data_root))
