"""The `refresh` flow: catalog → fetch → extract → normalize → parse (per kind) → publish.

Fetches of every source run at once; the extraction batches of every changed document are
submitted as soon as its fetch is in, so the task runner keeps all workers busy across
documents; each document is then normalized, parsed and published in catalog order while later
batches still run. A bad source fails alone; the run ends Failed when any source failed, so
Prefect automations and notifications fire, and a summary artifact lists every source.
"""

from __future__ import annotations

import math
import os
import socket
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger
from prefect.artifacts import create_markdown_artifact
from prefect.states import Completed, Failed
from prefect.task_runners import ThreadPoolTaskRunner
from prefect.utilities.annotations import quote

from flows import defaults, expected_failures
from flows.catalog import load_catalog
from flows.extract import ExtractError, ExtractJob, Limits, RemotePdf, count_pages
from flows.fetch import FetchError
from flows.lock import data_dir_lock
from flows.progress import report
from flows.publish import record_failure
from flows.state import is_unchanged
from flows.store import DataDir, open_data_dir
from flows.summary import SourceOutcome, summary_markdown
from flows.tasks import extract_task, fetch_task, normalize_task, parse_task, publish_task
from transforms.catalog import Source
from transforms.records import FetchResult

# A batch is one Prefect task (API round trips: little on a local server, up to a second on a
# busy shared one) and one child interpreter (~0.2 s to start and open the PDF): at least 16
# pages so that overhead stays small, at most 128 so a child's memory stays bounded (pdfminer
# keeps the objects it has parsed) and one slow batch does not hold up the end of a document.
MIN_BATCH_PAGES = 16
MAX_BATCH_PAGES = 128


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


@dataclass
class RefreshRun:
    """What every step of one run shares: the data dir, the settings, the outcomes so far."""

    data: DataDir
    sources: list[Source]
    force: bool
    workers: int
    limits: Limits
    fast_path: bool
    logger: Any
    ocr: str = defaults.OCR_MODE
    outcomes: list[SourceOutcome] = field(default_factory=list)

    @property
    def root(self) -> str:
        return self.data.location

    def fail(self, source: Source, fetch: FetchResult | None, stage: str, error: str) -> None:
        """Record a source's failure: a log line, its `documents` history, the summary."""
        self.logger.error("%s: %s failed: %s", source.id, stage, error)
        record_failure(self.data, source, fetch, stage, error)
        self.outcomes.append(SourceOutcome(source.id, "failed", stage, error))


@dataclass
class PendingDocument:
    """A changed document whose extraction batches are submitted."""

    source: Source
    fetch: FetchResult
    batches: list


def error_of(state) -> str:  # noqa: ANN001 - a Prefect state
    """The one-line reason a task failed, from its exception when there is one."""
    try:
        state.result()
    except (FetchError, ExtractError) as exc:
        return str(exc)
    except Exception as exc:  # noqa: BLE001
        return f"{exc.__class__.__name__}: {exc}"
    return state.message or "failed"


def wait_for_fetch(run: RefreshRun, source: Source, future) -> FetchResult | None:  # noqa: ANN001
    """The source's fetch, or None after recording why it failed."""
    future.wait()
    if not future.state.is_completed():
        run.fail(source, None, "fetch", error_of(future.state))
        return None
    return future.state.result()


def start_document(run: RefreshRun, source: Source, fetch: FetchResult) -> PendingDocument | None:
    """Submit a source's extraction when its PDF changed, or record why not."""
    if not run.force and is_unchanged(run.data, source, fetch.sha256):
        run.logger.info("%s: unchanged (%s, %s)", source.id, fetch.outcome, fetch.doc_id)
        run.outcomes.append(SourceOutcome(source.id, "unchanged", "fetch", fetched=fetch.outcome))
        return None
    # The fetch may have run on another machine (a Dask worker): the PDF is read from this
    # machine's copy, downloaded from a data dir URL if the cache lacks it.
    pdf_path = str(run.data.ensure_local(run.data.raw_pdf(source.id, fetch.sha256)))
    try:
        page_count = count_pages(pdf_path, source.password)
    except ExtractError as exc:
        run.fail(source, fetch, "extract", str(exc))
        return None
    report(source.id, "extract", 0, page_count)
    remote = RemotePdf(run.root, fetch.sha256, socket.gethostname()) if run.data.is_remote else None
    jobs = [
        ExtractJob(
            source.id,
            pdf_path,
            first,
            last,
            str(run.data.work / source.id),
            source.password,
            run.limits,
            run.fast_path,
            remote,
            run.ocr,
            source.corrections,
        )
        for first, last in plan_batches(page_count, run.workers)
    ]
    return PendingDocument(source, fetch, [extract_task.submit(job) for job in jobs])


def finish_document(run: RefreshRun, pending: PendingDocument) -> None:
    """Normalize, parse and publish a document as its batches finish, or record why not.

    These tasks run in the flow's own thread, not in the task runner's pool, so they never take
    a worker away from extraction while they wait for the next batch.
    """
    source, fetch = pending.source, pending.fetch
    try:
        state = normalize_task(source, run.root, fetch, quote(pending.batches), return_state=True)
        stage = "normalize"
        if state.is_completed():
            stage = "parse"
            state = parse_task(source, state.result(), return_state=True)
        if state.is_completed():
            stage = "publish"
            state = publish_task(source, run.root, fetch, state.result(), return_state=True)
    finally:
        failed_batches = _settle(pending.batches)
    if failed_batches:
        run.fail(source, fetch, "extract", error_of(failed_batches[0].state))
    elif not state.is_completed():
        run.fail(source, fetch, stage, error_of(state))
    else:
        run.outcomes.append(_published(run, source, fetch, state.result()))


def _settle(batches: list) -> list:
    """Wait for every batch, remove the files of those that finished; returns the failed ones."""
    failed = []
    for batch in batches:
        batch.wait()
        if not batch.state.is_completed():
            failed.append(batch)
        elif path := batch.state.result().path:
            Path(path).unlink(missing_ok=True)
    return failed


def _published(run: RefreshRun, source: Source, fetch: FetchResult, counts: dict) -> SourceOutcome:
    outcome = "published" if counts["status"] == "ok" else "partial"
    run.logger.info(
        "%s: %s (%d pages, %d tables)", source.id, outcome, counts["pages"], counts["tables"]
    )
    return SourceOutcome(
        source.id,
        outcome,
        "publish",
        "; ".join(counts["warnings"]) or None,
        counts["pages"],
        counts["tables"],
        counts["cells"],
        counts["requests"],
        fetch.outcome,
    )


def end_run(run: RefreshRun) -> Completed | Failed:
    """Publish the summary artifact; the run is Failed when any source failed."""
    try:
        create_markdown_artifact(
            summary_markdown(run.outcomes),
            key="teian-run-summary",
            description="Outcome of every source in this refresh run",
        )
    except Exception as exc:  # noqa: BLE001 - the artifact is a convenience, never a reason to fail
        run.logger.warning("could not publish the summary artifact: %s", exc)
    failed = [r.source_id for r in run.outcomes if r.outcome == "failed"]
    result = {"data_dir": run.root, "sources": [asdict(r) for r in run.outcomes]}
    if failed:
        return Failed(message=f"{len(failed)} source(s) failed: {', '.join(failed)}", data=result)
    return Completed(message=f"{len(run.outcomes)} source(s) up to date", data=result)


@flow(
    name="refresh",
    persist_result=False,
    task_runner=ThreadPoolTaskRunner(max_workers=default_workers()),
)
def refresh(
    catalog: str = defaults.CATALOG,
    data_dir: str = defaults.DATA_DIR,
    only: list[str] | None = None,
    force: bool = False,
    workers: int | None = None,
    time_limit: float = defaults.TIME_LIMIT_SECONDS,
    memory_limit_mb: int = defaults.MEMORY_LIMIT_MB,
    retry_delays: list[float] | None = None,
    fetch_timeout: float = defaults.FETCH_TIMEOUT_SECONDS,
    fast_path: bool = True,
    prefetched: list[dict] | None = None,
    ocr: str = defaults.OCR_MODE,
):
    """Bring every source's published datasets up to date with its current PDF.

    `prefetched` are fetches already made for this run (`teian run` fetches before it decides
    whether a flow is needed at all), as FetchResult fields; those sources are not fetched again.
    `ocr`: auto (OCR the pages without a text layer), off, or force (OCR every page).
    """
    expected_failures.install()
    sources = [s for s in load_catalog(catalog) if not only or s.id in set(only)]
    run = RefreshRun(
        open_data_dir(data_dir),
        sources,
        force,
        workers or default_workers(),
        Limits(time_seconds=time_limit, memory_mb=memory_limit_mb),
        fast_path,
        get_run_logger(),
        ocr,
    )
    fetcher = fetch_task
    if retry_delays is not None:
        fetcher = fetch_task.with_options(
            retries=len(retry_delays), retry_delay_seconds=retry_delays
        )
    done = {f["source_id"]: FetchResult(**f) for f in prefetched or []}
    with data_dir_lock(run.data.root):
        fetches = {
            s.id: fetcher.submit(s, run.root, fetch_timeout) for s in sources if s.id not in done
        }
        pending = []
        for source in sources:
            fetch = done.get(source.id) or wait_for_fetch(run, source, fetches[source.id])
            pending.append(start_document(run, source, fetch) if fetch else None)
        for document in pending:
            if document is not None:
                finish_document(run, document)
    return end_run(run)
