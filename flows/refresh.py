"""The `refresh` flow: catalog → fetch → extract → normalize → parse (per kind) → publish.

Fetches of every source run at once. Each source then goes on by itself as soon as its own fetch
is in, in a thread of its own (a "document driver"): its PDF is checked against its hash, its
pages counted in a guarded worker, its extraction batches submitted to the task runner (which
keeps all workers busy across documents), and it is normalized, parsed and published while its
later batches still run. No source waits for another's fetch or extraction: a server that
trickles, or a document that takes an hour, holds up only itself, until its own deadline.

A bad source fails alone, whatever goes wrong — a network fault, a hostile PDF, a disk that is
full or read-only for its files: its reason is recorded where it can be, and the summary and
the exit code still come. The run ends Failed when any source failed, so Prefect automations
and notifications fire, and a summary artifact lists every source.
"""

from __future__ import annotations

import contextvars
import math
import os
import socket
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger
from prefect.artifacts import create_markdown_artifact
from prefect.futures import as_completed
from prefect.states import Completed, Failed
from prefect.task_runners import ThreadPoolTaskRunner
from prefect.utilities.annotations import quote

from flows import defaults, expected_failures
from flows.catalog import load_catalog
from flows.discover import (
    known_links,
    record_index_failure,
    remember_listing,
    remembered_sources,
)
from flows.extract import ExtractError, ExtractJob, Limits, RemotePdf, measure_pages
from flows.fetch import FetchError
from flows.lock import data_dir_lock
from flows.progress import report
from flows.publish import record_failure, settle_versions
from flows.series import series_outdated
from flows.state import is_unchanged
from flows.store import (
    DataDir,
    OutsideDataDir,
    describe_os_error,
    file_sha256,
    open_data_dir,
)
from flows.summary import SourceOutcome, summary_markdown
from flows.tasks import (
    extract_task,
    fetch_task,
    list_index_task,
    normalize_task,
    parse_task,
    publish_task,
    series_task,
)
from transforms.catalog import Catalog, Index, Source
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
    new_sources: list[Source] = field(default_factory=list)  # first listed by an index this run
    series: dict | None = None  # request_series counts, when it was rebuilt
    document_time_limit: float = defaults.DOCUMENT_TIME_LIMIT_SECONDS
    fetcher: Any = fetch_task
    fetch_timeout: float = defaults.FETCH_TIMEOUT_SECONDS
    fetch_deadline: float = defaults.FETCH_DEADLINE_SECONDS

    @property
    def root(self) -> str:
        return self.data.location

    def fail(self, source: Source, fetch: FetchResult | None, stage: str, error: str) -> None:
        """Record a source's failure: a log line, its `documents` history, the summary. A
        failure that cannot be written down (the disk is full, its folder read-only) is still
        reported: the summary line says so."""
        self.logger.error("%s: %s failed: %s", source.id, stage, error)
        try:
            record_failure(self.data, source, fetch, stage, error)
        except Exception as exc:  # noqa: BLE001 - the run goes on, and says why it could not
            note = describe_failure(exc)
            self.logger.warning("%s: the failure could not be recorded: %s", source.id, note)
            error = f"{error} (not recorded: {note})"
        self.outcomes.append(SourceOutcome(source.id, "failed", stage, error))

    def fail_index(self, index: Index, error: str) -> None:
        """An index that could not be listed: its sources already known still run."""
        self.logger.error("%s: discover failed: %s", index.id, error)
        record_index_failure(self.data, index, error)
        self.outcomes.append(SourceOutcome(index.id, "failed", "discover", error))


@dataclass
class PendingDocument:
    """A changed document whose extraction batches are submitted."""

    source: Source
    fetch: FetchResult
    batches: list


def describe_failure(exc: BaseException) -> str:
    """One line for why a stage failed: our own errors say it already; a file that cannot be
    written says which and why; anything else is named by its type (a bug to report)."""
    if isinstance(exc, FetchError | ExtractError | OutsideDataDir):
        text = str(exc)
    elif isinstance(exc, OSError):
        text = describe_os_error(exc)
    else:
        detail = " ".join(str(exc).split())
        text = f"{exc.__class__.__name__}: {detail}" if detail else f"{exc.__class__.__name__}"
    return " ".join(text.split()) or exc.__class__.__name__


def error_of(state) -> str:  # noqa: ANN001 - a Prefect state
    """The one-line reason a task failed, from its exception when there is one."""
    try:
        state.result()
    except Exception as exc:  # noqa: BLE001
        return describe_failure(exc)
    return state.message or "failed"


def refresh_source(run: RefreshRun, source: Source, fetched) -> None:  # noqa: ANN001
    """One source from its finished fetch (a future, or a FetchResult made before the flow) to
    its published datasets. It never raises: whatever goes wrong is this source's failure,
    recorded with the stage it happened in."""
    stage, fetch = "fetch", None
    try:
        if isinstance(fetched, FetchResult):
            fetch = fetched
        else:
            fetched.wait()  # done already; this settles its final state
            if not fetched.state.is_completed():
                run.fail(source, None, "fetch", error_of(fetched.state))
                return
            fetch = fetched.state.result()
        if not run.force and is_unchanged(run.data, source, fetch.sha256):
            run.logger.info("%s: unchanged (%s, %s)", source.id, fetch.outcome, fetch.doc_id)
            run.outcomes.append(
                SourceOutcome(source.id, "unchanged", "fetch", fetched=fetch.outcome)
            )
            return
        fetch, pdf_path = verified_raw(run, source, fetch)
        stage = "extract"
        pending = start_document(run, source, fetch, pdf_path)
        if pending is not None:
            finish_document(run, pending)
    except Exception as exc:  # noqa: BLE001 - one source's trouble, never the run's
        run.fail(source, fetch, stage, describe_failure(exc))


def verified_raw(run: RefreshRun, source: Source, fetch: FetchResult) -> tuple[FetchResult, str]:
    """The local raw PDF, checked against the sha256 it is named by before anything reads it.

    A raw file changed on disk (damaged, or swapped for another file) would otherwise be
    published under the old hash. A copy from a data dir URL is downloaded again; a source on
    the web is fetched afresh (the fetch replaces the bad copy); else the source fails here.
    """
    # The fetch may have run on another machine (a Dask worker): the PDF is read from this
    # machine's copy, downloaded from a data dir URL if the cache lacks it.
    path = run.data.ensure_local(run.data.raw_pdf(source.id, fetch.sha256))
    if file_sha256(path) == fetch.sha256:
        return fetch, str(path)
    if run.data.is_remote and run.data.download(path) and file_sha256(path) == fetch.sha256:
        return fetch, str(path)
    if source.is_remote:
        run.logger.warning(
            "%s: raw file %s does not match its sha256: fetching again", source.id, path
        )
        again = run.fetcher.submit(
            source, run.root, run.fetch_timeout, run.fetch_deadline, fresh=True
        )
        again.wait()
        if not again.state.is_completed():
            raise FetchError(
                f"raw file {run.data.display(path)} does not match its sha256, and fetching it "
                f"again failed: {error_of(again.state)}"
            )
        again = again.state.result()
        path = run.data.ensure_local(run.data.raw_pdf(source.id, again.sha256))
        if file_sha256(path) == again.sha256:
            return again, str(path)
    raise FetchError(
        f"raw file {run.data.display(path)} does not match its sha256 (changed on disk): "
        "not extracted; remove it to have it fetched again"
    )


def start_document(
    run: RefreshRun, source: Source, fetch: FetchResult, pdf_path: str
) -> PendingDocument | None:
    """Count a changed document's pages (guarded) and submit its extraction batches, all under
    the document's own deadline; or record why not."""
    deadline = time.time() + run.document_time_limit
    try:
        counted = measure_pages(pdf_path, source.password, run.limits, deadline)
    except ExtractError as exc:
        run.fail(source, fetch, "extract", str(exc))
        return None
    report(source.id, "extract", 0, counted.pages)
    remote = RemotePdf(run.root, fetch.sha256, socket.gethostname()) if run.data.is_remote else None
    work_dir = str(run.data.checked(run.data.work / source.id))
    jobs = [
        ExtractJob(
            source.id,
            pdf_path,
            first,
            last,
            work_dir,
            source.password,
            run.limits,
            run.fast_path,
            remote,
            run.ocr,
            deadline=deadline,
            direct_pages=counted.direct,
            corrections=source.corrections,
        )
        for first, last in plan_batches(counted.pages, run.workers)
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


def new_sources_markdown(run: RefreshRun) -> str:
    """The documents the indexes listed for the first time in this run, with their outcome."""
    if not run.new_sources:
        return ""
    outcome = {r.source_id: r.outcome for r in run.outcomes}
    lines = [
        "",
        "## New documents found by the indexes",
        "",
        "| source | index | title | outcome | url |",
        "|---|---|---|---|---|",
    ]
    for s in run.new_sources:
        cells = [s.id, s.index or "", s.title, outcome.get(s.id, "not run"), s.url]
        lines.append("| " + " | ".join(c.replace("|", "\\|")[:200] for c in cells) + " |")
    return "\n".join(lines)


def end_run(run: RefreshRun) -> Completed | Failed:
    """Publish the summary artifact; the run is Failed when any source failed."""
    order = {source.id: index for index, source in enumerate(run.sources)}
    run.outcomes.sort(key=lambda r: order.get(r.source_id, len(order)))
    try:
        create_markdown_artifact(
            summary_markdown(run.outcomes) + new_sources_markdown(run),
            key="teian-run-summary",
            description="Outcome of every source in this refresh run",
        )
    except Exception as exc:  # noqa: BLE001 - the artifact is a convenience, never a reason to fail
        run.logger.warning("could not publish the summary artifact: %s", exc)
    failed = [r.source_id for r in run.outcomes if r.outcome == "failed"]
    result = {
        "data_dir": run.root,
        "sources": [asdict(r) for r in run.outcomes],
        "new_sources": [
            {"source_id": s.id, "index": s.index, "title": s.title, "url": s.url}
            for s in run.new_sources
        ],
        "series": run.series,
    }
    if failed:
        return Failed(message=f"{len(failed)} source(s) failed: {', '.join(failed)}", data=result)
    return Completed(message=f"{len(run.outcomes)} source(s) up to date", data=result)


def discover_sources(
    run: RefreshRun,
    catalog: Catalog,
    only: list[str] | None,
    timeout: float,
    retry_delays: list[float] | None,
) -> list[Source]:
    """The sources of this run: the catalog's, then every index's, listed now.

    Indexes are fetched at once; their links get ids in catalog order, so ids never depend on
    which page answered first. An index that fails is reported (the run ends Failed) and the
    sources it listed before still run. `--only` names sources or indexes: an index named lists
    itself and runs all its sources; a source named runs alone, and no index is fetched for it.
    """
    wanted = set(only or [])
    lister = list_index_task
    if retry_delays is not None:
        lister = list_index_task.with_options(
            retries=len(retry_delays), retry_delay_seconds=retry_delays
        )
    futures = {
        i.id: lister.submit(i, run.root, timeout, run.fetch_deadline)
        for i in catalog.indexes
        if not wanted or i.id in wanted
    }
    taken, claimed = known_links(run.data, catalog)
    sources = list(catalog.sources)
    for index in catalog.indexes:
        future = futures.get(index.id)
        if future is not None:
            future.wait()
        if future is None or not future.state.is_completed():
            if future is not None:
                run.fail_index(index, error_of(future.state))
            sources += remembered_sources(run.data, index)
            continue
        listing = future.state.result()
        found = remember_listing(run.data, index, listing, catalog, taken, claimed)
        for note in (*listing.notes, *found.notes):
            run.logger.warning("%s", note)
        for source in found.new:
            run.logger.info("%s: new, listed by index %s: %s", source.id, index.id, source.url)
        run.new_sources += found.new
        sources += found.sources
    return [s for s in sources if not wanted or s.id in wanted or s.index in wanted]


def link_series(run: RefreshRun) -> None:
    """Relink requests across editions when the published editions changed (a cheap check
    when they did not), so `request_series` always matches the `requests` files."""
    try:
        if not series_outdated(run.data):
            return
    except Exception as exc:  # noqa: BLE001 - reported like any other stage failure
        run.outcomes.append(SourceOutcome("request_series", "failed", "series", str(exc)))
        return
    state = series_task(run.root, return_state=True)
    if state.is_completed():
        run.series = state.result()
    else:
        error = error_of(state)
        run.logger.error("request_series: series failed: %s", error)
        run.outcomes.append(SourceOutcome("request_series", "failed", "series", error))


def document_drivers(workers: int) -> int:
    """Documents in flight at once: enough that extraction never waits for a document to be
    started or finished, few enough that a run over thousands of sources stays small."""
    return max(4, 2 * workers)


def refresh_all(run: RefreshRun, done: dict[str, FetchResult]) -> None:
    """Fetch every source at once (but those in `done`, fetched before the flow); each goes on
    in a document driver as soon as its fetch is in."""
    fetches = {
        run.fetcher.submit(s, run.root, run.fetch_timeout, run.fetch_deadline): s
        for s in run.sources
        if s.id not in done
    }
    with ThreadPoolExecutor(document_drivers(run.workers), "teian-document") as drivers:

        def drive(source: Source, fetched) -> None:  # noqa: ANN001 - a future or a FetchResult
            context = contextvars.copy_context()  # the flow run, for the tasks it calls
            drivers.submit(context.run, refresh_source, run, source, fetched)

        for source in run.sources:
            if source.id in done:
                drive(source, done[source.id])
        for future in as_completed(list(fetches)):
            drive(fetches[future], future)


def settle_interrupted(run: RefreshRun) -> None:
    """Publishes a killed run left half done are finished or undone before anything else."""
    try:
        settled = settle_versions(run.data)
    except Exception as exc:  # noqa: BLE001 - each source settles again when it is published
        run.logger.warning("could not settle an interrupted publish: %s", describe_failure(exc))
        return
    if settled:
        run.logger.info("settled %d file(s) of an interrupted publish", len(settled))


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
    fetch_deadline: float = defaults.FETCH_DEADLINE_SECONDS,
    document_time_limit: float = defaults.DOCUMENT_TIME_LIMIT_SECONDS,
    prefetched: list[dict] | None = None,
    ocr: str = defaults.OCR_MODE,
    new_source_ids: list[str] | None = None,
):
    """Bring every source's published datasets up to date with its current PDF.

    `prefetched` are fetches already made for this run (`teian run` fetches before it decides
    whether a flow is needed at all), as FetchResult fields; those sources are not fetched again.
    `ocr`: auto (OCR the pages without a text layer), off, or force (OCR every page).
    `new_source_ids`: sources an index listed for the first time before the flow (`teian run`
    lists the indexes first too), named as new in the run summary.
    """
    expected_failures.install()
    entries = load_catalog(catalog)
    fetcher = fetch_task
    if retry_delays is not None:
        fetcher = fetch_task.with_options(
            retries=len(retry_delays), retry_delay_seconds=retry_delays
        )
    run = RefreshRun(
        open_data_dir(data_dir),
        [],
        force,
        workers or default_workers(),
        Limits(time_seconds=time_limit, memory_mb=memory_limit_mb),
        fast_path,
        get_run_logger(),
        ocr,
        document_time_limit=document_time_limit,
        fetcher=fetcher,
        fetch_timeout=fetch_timeout,
        fetch_deadline=fetch_deadline,
    )
    done = {f["source_id"]: FetchResult(**f) for f in prefetched or []}
    with data_dir_lock(run.data):
        settle_interrupted(run)
        run.sources = discover_sources(run, entries, only, fetch_timeout, retry_delays)
        listed_before = set(new_source_ids or [])
        run.new_sources += [s for s in run.sources if s.id in listed_before]
        refresh_all(run, done)
        link_series(run)
    return end_run(run)
