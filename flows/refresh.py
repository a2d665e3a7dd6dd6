"""The `refresh` flow: catalog → fetch → extract → normalize/parse → publish, per source.

Tasks are coarse: one fetch per source, one extraction task per batch of pages, one publish per
document. Batches of every document are submitted at once, so the task runner keeps all workers
busy across documents. A bad source fails alone; the run ends Failed when any source failed so
Prefect automations and notifications fire, and a summary artifact lists every source.
"""

from __future__ import annotations

import math
import os
import socket
from collections.abc import Iterator
from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from prefect.states import Completed, Failed
from prefect.task_runners import ThreadPoolTaskRunner
from prefect.utilities.annotations import quote

from flows import expected_failures
from flows.extract import ExtractError, Limits, count_pages, extract_batch, extract_batch_to_file
from flows.fetch import TIMEOUT_SECONDS, FetchError, TransientFetchError, fetch_source, result_dict
from flows.lock import data_dir_lock
from flows.progress import report
from flows.publish import is_unchanged, publish_document, record_failure
from flows.store import DataDir, open_data_dir
from transforms.catalog import Source, parse_catalog

# A batch is one Prefect task (API round trips: little on a local server, up to a second on a
# busy shared one) and one child interpreter (~0.2 s to start and open the PDF): at least 16
# pages so that overhead stays small, at most 128 so a child's memory stays bounded (pdfminer
# keeps the objects it has parsed) and one slow batch does not hold up the end of a document.
MIN_BATCH_PAGES = 16
MAX_BATCH_PAGES = 128


def load_catalog(path: str | Path) -> list[Source]:
    """Read and validate a catalog file; raises CatalogError listing every problem."""
    path = Path(path)
    return parse_catalog(path.read_text(encoding="utf-8"), base_dir=path.resolve().parent)


def default_workers() -> int:
    return os.cpu_count() or 1


def plan_batches(page_count: int, workers: int) -> list[tuple[int, int]]:
    """Split pages into equal batches: a multiple of `workers` of them, so no worker sits idle
    while another finishes a last odd batch, at least three rounds so uneven pages (tables cost
    ten times prose) even out, and each between MIN_ and MAX_BATCH_PAGES pages."""
    if page_count <= 0:
        return []
    workers = max(1, workers)
    count = max(workers * 3, math.ceil(page_count / MAX_BATCH_PAGES))
    count = math.ceil(count / workers) * workers
    count = max(1, min(count, page_count // MIN_BATCH_PAGES))
    if count * MAX_BATCH_PAGES < page_count:  # only reachable with MIN_ close to MAX_
        count = math.ceil(page_count / MAX_BATCH_PAGES)
    size, extra = divmod(page_count, count)
    batches, first = [], 1
    for index in range(count):
        last = first + size - 1 + (1 if index < extra else 0)
        batches.append((first, last))
        first = last + 1
    return batches


def _retry_transient(task, task_run, state) -> bool:  # noqa: ANN001 - Prefect's callback shape
    """Retry only what may work next time: timeouts, connection errors, 5xx."""
    try:
        state.result()
    except TransientFetchError:
        return True
    except Exception:  # noqa: BLE001
        return False
    return False


@task(
    name="fetch_source",
    retries=3,
    retry_delay_seconds=[2, 8, 30],
    retry_condition_fn=_retry_transient,
    cache_policy=NO_CACHE,
    persist_result=False,
)
def fetch_task(source: Source, data_root: str, timeout: float = TIMEOUT_SECONDS) -> dict:
    report(source.id, "fetch", 0, 1)
    return result_dict(fetch_source(source, open_data_dir(data_root), timeout=timeout))


@task(name="extract_pages", cache_policy=NO_CACHE, persist_result=False)
def extract_task(
    source_id: str,
    pdf_path: str,
    first: int,
    last: int,
    work_dir: str,
    password: str | None,
    limits: Limits,
    fast_path: bool = True,
    data_root: str | None = None,
    sha256: str | None = None,
    flow_host: str | None = None,
) -> dict:
    """Extract a batch in a guarded child; return where its records are, not the records.

    Passing a file path keeps the flow's memory flat however many batches are in flight, and
    the path stays valid on any Dask worker that sees the same data dir. A data dir URL
    (`data_root`) is not a shared folder: its PDF is read from this machine's cache, downloaded
    from the URL when missing, and a worker on another machine than the flow (`flow_host`)
    returns the records themselves, since the flow cannot read that machine's work dir.
    """
    remote = data_root is not None and sha256 is not None
    if remote and not Path(pdf_path).exists():
        data = open_data_dir(data_root)
        pdf_path = str(data.ensure_local(data.raw_pdf(source_id, sha256)))
    if remote and flow_host and flow_host != socket.gethostname():
        records = extract_batch(
            pdf_path, first, last, open_data_dir(data_root).work, password, limits, fast_path
        )
        report(source_id, "extract", last - first + 1, 0)
        return {**records, "first": first, "last": last}
    path = extract_batch_to_file(pdf_path, first, last, Path(work_dir), password, limits, fast_path)
    report(source_id, "extract", last - first + 1, 0)
    return {"path": path, "first": first, "last": last}


@task(name="publish_document", cache_policy=NO_CACHE, persist_result=False)
def publish_task(source: Source, data_root: str, fetch: dict, batches: list) -> dict:
    """Publish a document from its batches: extraction results, or futures of them.

    Given futures (in page order), rows are built and written as each batch finishes, so the
    publishing of a long document overlaps the extraction of its later batches.
    """
    report(source.id, "publish", 0, 0)
    return publish_document(open_data_dir(data_root), source, fetch, _in_page_order(batches))


def _in_page_order(batches: list) -> Iterator[dict]:
    """Each batch's result as soon as it (and every batch before it) is ready; a failed batch
    raises its error, which stops the publishing before anything is replaced."""
    for batch in batches:
        yield batch.result() if hasattr(batch, "result") else batch


def _summary_markdown(rows: list[dict]) -> str:
    lines = [
        "# teian refresh",
        "",
        "| source | outcome | pages | tables | cells | requests | detail |",
        "|---|---|---:|---:|---:|---:|---|",
    ]
    for r in rows:
        detail = (r.get("error") or "").replace("|", "\\|")[:300]
        lines.append(
            f"| {r['source_id']} | {r['outcome']} | {r.get('pages', '')} | {r.get('tables', '')} "
            f"| {r.get('cells', '')} | {r.get('requests', '')} | {detail} |"
        )
    return "\n".join(lines)


@flow(
    name="refresh",
    persist_result=False,
    task_runner=ThreadPoolTaskRunner(max_workers=default_workers()),
)
def refresh(
    catalog: str = "sources.toml",
    data_dir: str = "data",
    only: list[str] | None = None,
    force: bool = False,
    workers: int | None = None,
    time_limit: float = Limits.time_seconds,
    memory_limit_mb: int = Limits.memory_mb,
    retry_delays: list[float] | None = None,
    fetch_timeout: float = TIMEOUT_SECONDS,
    fast_path: bool = True,
):
    """Bring every source's published datasets up to date with its current PDF."""
    logger = get_run_logger()
    expected_failures.install()
    sources = load_catalog(catalog)
    if only:
        sources = [s for s in sources if s.id in set(only)]
    data = open_data_dir(data_dir)
    root = data.location
    workers = workers or default_workers()
    limits = Limits(time_seconds=time_limit, memory_mb=memory_limit_mb)
    fetcher = (
        fetch_task
        if retry_delays is None
        else fetch_task.with_options(retries=len(retry_delays), retry_delay_seconds=retry_delays)
    )
    summary: list[dict] = []
    with data_dir_lock(data.root):
        fetches = {s.id: fetcher.submit(s, root, fetch_timeout) for s in sources}
        pending: dict[str, tuple[dict, list]] = {}
        for source in sources:
            future = fetches[source.id]
            future.wait()
            state = future.state
            if not state.is_completed():
                error = _error_of(state)
                logger.error("%s: fetch failed: %s", source.id, error)
                record_failure(data, source, None, "fetch", error)
                summary.append(
                    {"source_id": source.id, "outcome": "failed", "stage": "fetch", "error": error}
                )
                continue
            fetched = state.result()
            if not force and is_unchanged(data, source, fetched["sha256"]):
                logger.info("%s: unchanged (%s)", source.id, fetched["sha256"][:16])
                summary.append({"source_id": source.id, "outcome": "unchanged", "stage": "fetch"})
                continue
            # The fetch may have run on another machine (a Dask worker): the PDF is read from this
            # machine's copy, downloaded from a data dir URL if the cache lacks it.
            pdf_path = str(data.ensure_local(data.raw_pdf(source.id, fetched["sha256"])))
            try:
                page_count = count_pages(pdf_path, source.password)
            except ExtractError as exc:
                logger.error("%s: extract failed: %s", source.id, exc)
                record_failure(data, source, fetched, "extract", str(exc))
                summary.append(
                    {
                        "source_id": source.id,
                        "outcome": "failed",
                        "stage": "extract",
                        "error": str(exc),
                    }
                )
                continue
            report(source.id, "extract", 0, page_count)
            work_dir = str(data.work / source.id)
            batches = [
                extract_task.submit(
                    source.id,
                    pdf_path,
                    first,
                    last,
                    work_dir,
                    source.password,
                    limits,
                    fast_path,
                    root if data.is_remote else None,
                    fetched["sha256"],
                    socket.gethostname(),
                )
                for first, last in plan_batches(page_count, workers)
            ]
            pending[source.id] = (fetched, batches)
        for source in sources:
            if source.id not in pending:
                continue
            fetched, batches = pending.pop(source.id)
            try:
                outcome = _publish_extracted(data, source, fetched, batches, root, logger)
            finally:
                for batch in batches:
                    batch.wait()
                    if batch.state.is_completed():
                        if path := batch.state.result().get("path"):
                            Path(path).unlink(missing_ok=True)
            summary.append(outcome)
    try:
        create_markdown_artifact(
            _summary_markdown(summary),
            key="teian-run-summary",
            description="Outcome of every source in this refresh run",
        )
    except Exception as exc:  # noqa: BLE001 - the artifact is a convenience, never a reason to fail
        logger.warning("could not publish the summary artifact: %s", exc)
    failed = [r["source_id"] for r in summary if r["outcome"] == "failed"]
    result = {"data_dir": root, "sources": summary}
    if failed:
        return Failed(message=f"{len(failed)} source(s) failed: {', '.join(failed)}", data=result)
    return Completed(message=f"{len(summary)} source(s) up to date", data=result)


def _publish_extracted(
    data: DataDir, source: Source, fetched: dict, batches: list, root: str, logger
) -> dict:  # noqa: ANN001 - Prefect's logger
    """Publish one document as its batches finish (or record why not); returns its summary row.

    The publish task runs in the flow's own thread, not in the task runner's pool, so it never
    takes a worker away from extraction while it waits for the next batch.
    """
    state = publish_task(source, root, fetched, quote(batches), return_state=True)
    if not state.is_completed():
        for batch in batches:
            batch.wait()
        failed_batches = [b for b in batches if not b.state.is_completed()]
        stage = "extract" if failed_batches else "publish"
        error = _error_of(failed_batches[0].state if failed_batches else state)
        logger.error("%s: %s failed: %s", source.id, stage, error)
        record_failure(data, source, fetched, stage, error)
        return {"source_id": source.id, "outcome": "failed", "stage": stage, "error": error}
    counts = state.result()
    outcome = "published" if counts["status"] == "ok" else "partial"
    logger.info(
        "%s: %s (%d pages, %d tables)", source.id, outcome, counts["pages"], counts["tables"]
    )
    return {
        "source_id": source.id,
        "outcome": outcome,
        "stage": "publish",
        "error": "; ".join(counts["warnings"]) or None,
        **counts,
    }


def _error_of(state) -> str:  # noqa: ANN001
    """The one-line reason a task failed, from its exception when there is one."""
    try:
        state.result()
    except (FetchError, ExtractError) as exc:
        return str(exc)
    except Exception as exc:  # noqa: BLE001
        return f"{exc.__class__.__name__}: {exc}"
    return state.message or "failed"
