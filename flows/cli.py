"""The `teian` command: run the pipeline, serve it on a schedule, list the catalog.

Exit codes of `teian run`: 0 every source published (or unchanged), 1 some source failed (the
others are still published), 2 usage or catalog error. Expected failures are one line each,
naming the source and the stage; tracebacks are for bugs only.
"""

from __future__ import annotations

import contextlib
import enum
import os
import sys
from dataclasses import asdict
from pathlib import Path
from types import SimpleNamespace
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from flows import defaults
from transforms.extract.ocr import OCR_MODES

# Plain help (no rich panels): flags show as flags (`--force`), not as options taking a value.
app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help=__doc__.splitlines()[0],
    rich_markup_mode=None,
)
out = Console()
err = Console(stderr=True, soft_wrap=True)  # one problem, one line: never wrapped

CatalogOpt = Annotated[Path, typer.Option("--catalog", help="Catalog TOML file.")]
DEFAULT_CATALOG = Path(defaults.CATALOG)
OcrMode = enum.Enum("OcrMode", {mode: mode for mode in OCR_MODES}, type=str)
DEFAULT_OCR = OcrMode(defaults.OCR_MODE)
DataDirOpt = Annotated[
    str,
    typer.Option(
        "--data-dir",
        help="Where raw/, processed/ and state/ live: a folder, or an fsspec URL (s3://bucket/teian).",
    ),
]


def _quiet_prefect(verbose: bool, level: str = "CRITICAL") -> None:
    """Keep the terminal for our summary, one line per problem: Prefect's own log lines repeat
    them, so its console handler shows them only with --verbose (or at `level`). The run's logs
    still go to the Prefect API at INFO, so the UI's Logs tab has them. Set before Prefect is
    imported."""
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "INFO")
    os.environ.setdefault("PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL", "INFO" if verbose else level)
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    # the temporary server logs errors of its own shutdown (events still being flushed when it is
    # stopped): noise after the summary, with tracebacks, unless --verbose
    os.environ.setdefault("PREFECT_SERVER_LOGGING_LEVEL", "INFO" if verbose else "CRITICAL")
    os.environ.setdefault("PREFECT_LOGGING_SERVER_LEVEL", "WARNING")


def _data_dir_or_exit(location: str):
    """The DataDir for --data-dir, or one line and exit 2 when its URL cannot be used."""
    from flows.store import StorageError, open_data_dir

    try:
        return open_data_dir(location)
    except StorageError as exc:
        err.print(str(exc), markup=False, highlight=False)
        raise typer.Exit(2) from None


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import PackageNotFoundError, version

        from transforms.schemas import PIPELINE_VERSION

        try:
            number = version("teian")
        except PackageNotFoundError:
            number = "unknown"
        out.print(f"teian {number} (pipeline {PIPELINE_VERSION})", markup=False, highlight=False)
        raise typer.Exit(0)


@app.callback()
def _options(
    show_version: Annotated[
        bool,
        typer.Option(
            "--version", is_eager=True, callback=_version, help="Show the version and exit."
        ),
    ] = False,
) -> None:
    pass


def _missing_catalog(catalog: Path) -> str:
    """One line for a catalog that is not there, saying how to name one."""
    line = f"catalog: {catalog} not found"
    if catalog == DEFAULT_CATALOG:
        sample = Path("data/samples/catalog.toml")
        line += " (name one with --catalog PATH" + (
            f", e.g. --catalog {sample}, the bundled sample)" if sample.exists() else ")"
        )
    return line


def _load_or_exit(catalog: Path):
    from flows.catalog import load_catalog
    from transforms.catalog import CatalogError

    if not catalog.exists():
        err.print(_missing_catalog(catalog), markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(2)
    try:
        entries = load_catalog(catalog)
    except CatalogError as exc:
        for problem in exc.problems:
            err.print(problem, markup=False, highlight=False)
        raise typer.Exit(2) from None
    if not entries.sources and not entries.indexes:
        err.print(
            f"catalog: {catalog} lists no sources (add a [[source]] entry: see the README, "
            "'Adding a source')",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
        raise typer.Exit(2)
    return entries


DocumentTimeLimitOpt = Annotated[
    float, typer.Option("--document-time-limit", help="Seconds for all of a document's pages.")
]
FetchDeadlineOpt = Annotated[
    float, typer.Option("--fetch-deadline", help="Seconds for a whole download.")
]


@app.command()
def run(
    catalog: CatalogOpt = DEFAULT_CATALOG,
    data_dir: DataDirOpt = defaults.DATA_DIR,
    only: Annotated[
        list[str] | None,
        typer.Option("--only", metavar="SOURCE_ID", help="Only this source id (repeatable)."),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Re-extract even when nothing changed.")
    ] = False,
    workers: Annotated[
        int | None, typer.Option("--workers", min=1, help="Worker processes (default: all cores).")
    ] = None,
    dask_address: Annotated[
        str | None, typer.Option("--dask-address", help="Run tasks on this Dask scheduler.")
    ] = None,
    time_limit: Annotated[
        float, typer.Option("--time-limit", help="Seconds per batch of pages before giving up.")
    ] = defaults.TIME_LIMIT_SECONDS,
    memory_limit: Annotated[
        int, typer.Option("--memory-limit", help="MB per extraction worker.")
    ] = defaults.MEMORY_LIMIT_MB,
    ocr: Annotated[
        OcrMode,
        typer.Option(
            "--ocr", help="OCR pages: auto (those without a text layer), off, force (every page)."
        ),
    ] = DEFAULT_OCR,
    document_time_limit: DocumentTimeLimitOpt = defaults.DOCUMENT_TIME_LIMIT_SECONDS,
    fetch_deadline: FetchDeadlineOpt = defaults.FETCH_DEADLINE_SECONDS,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Show Prefect's logs.")] = False,
) -> None:
    """Fetch, extract, normalize, parse and publish every source of the catalog."""
    _quiet_prefect(verbose)
    entries = _load_or_exit(catalog)
    data = _data_dir_or_exit(data_dir)
    _check_only(_known_ids(entries, data), only, catalog)
    state, result = _run_locked(
        data,
        entries,
        catalog=str(catalog),
        data_dir=data.location,
        only=only,
        force=force,
        workers=workers,
        dask_address=dask_address,
        time_limit=time_limit,
        memory_limit_mb=memory_limit,
        ocr=ocr.value,
        document_time_limit=document_time_limit,
        fetch_deadline=fetch_deadline,
    )
    if result is None:
        err.print(f"run failed: {state.message}")
        raise typer.Exit(1)
    _print_summary(result)
    failed = any(r["outcome"] == "failed" for r in result["sources"])
    raise typer.Exit(1 if failed or (state is not None and not state.is_completed()) else 0)


def _known_ids(entries, data) -> set[str]:  # noqa: ANN001 - a Catalog, a DataDir
    """Ids `--only` may name: catalog sources, indexes, and what the indexes listed before."""
    return {s.id for s in _all_sources(entries, data)} | {i.id for i in entries.indexes}


def _all_sources(entries, data) -> list:  # noqa: ANN001 - a Catalog, a DataDir
    """The catalog's sources, then those its indexes listed in earlier runs (no network)."""
    from flows.discover import remembered_sources

    found = list(entries.sources)
    for index in entries.indexes:
        found += remembered_sources(data, index)
    return found


def _check_only(known: set[str], only: list[str] | None, catalog: Path) -> None:
    unknown = [o for o in only or [] if o not in known]
    for source_id in unknown:
        err.print(f"--only {source_id}: no such source in {catalog}")
    if unknown:
        raise typer.Exit(2)


def _run_locked(data, entries, **params):  # noqa: ANN001, ANN202 - a DataDir, a Catalog; flow params
    """List the indexes and fetch first; run the flow (with a progress display) only for what
    needs it.

    Returns (flow state or None when no flow ran, result). Sources found unchanged, or failed
    for good (a missing file, a 404: reported at once, before any Prefect start-up), are
    decided here; the others go to the flow with the fetches already made, and so do indexes
    that may list on a retry. The data dir's lock is taken here (the flow re-enters it), so a
    busy data dir fails at once, with one line.
    """
    from flows.lock import DataDirBusy, DataDirUnwritable, data_dir_lock

    try:
        with data_dir_lock(data):
            listed, check, decided = _decide_before_flow(data, entries, params)
            rest = check.for_the_flow
            if not rest and not listed.retry:
                return None, _decided_result(data, listed, decided)
            params = {
                **params,
                "only": [s.id for s in rest] + listed.retry,
                "new_source_ids": [s.id for s in listed.new],
            }
            with _prefect_api(data, params) as api:
                fetched = [asdict(f) for f in check.fetched.values()]
                state, result = _run_flow(api, params, fetched)
    except DataDirBusy as exc:
        err.print(str(exc), markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None
    except DataDirUnwritable as exc:
        err.print(str(exc), markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None
    except _NoPrefectApi as exc:
        return SimpleNamespace(message=f"the temporary Prefect server did not start: {exc}"), None
    if result is not None:
        ran = {r["source_id"]: r for r in result["sources"]}
        ids = [s.id for s in listed.sources] + list(listed.failed) + list(ran)
        result["sources"] = [
            decided.get(k) or ran[k] for k in dict.fromkeys(ids) if k in decided | ran
        ]
        result["reported"] = set(check.failed) | set(listed.failed)
    return state, result


def _decide_before_flow(data, entries, params: dict):  # noqa: ANN001, ANN202
    """(indexes listed, sources fetched, summary lines decided): all before any Prefect import."""
    from flows.discover import discover_all
    from flows.precheck import precheck
    from flows.summary import SourceOutcome

    listed = discover_all(
        data, entries, params["only"], defaults.FETCH_TIMEOUT_SECONDS, params["fetch_deadline"]
    )
    for index_id, error in listed.failed.items():
        err.print(f"{index_id}: discover: {error}", markup=False, highlight=False)
    check = precheck(listed.sources, data, params["force"], deadline=params["fetch_deadline"])
    _record_failures(data, listed.sources, check)
    decided = {o.source_id: asdict(o) for o in check.outcomes()}
    for index_id, error in listed.failed.items():
        decided[index_id] = asdict(SourceOutcome(index_id, "failed", "discover", error))
    return listed, check, decided


def _decided_result(data, listed, decided: dict) -> dict:  # noqa: ANN001 - a DataDir, Discovered
    """The result of a run that needed no flow; the series are put right if a run was killed
    between publishing an edition and linking it."""
    from flows.series import refresh_series, series_outdated

    series = refresh_series(data) if series_outdated(data) else None
    return {
        "data_dir": data.location,
        "sources": [decided[k] for k in [s.id for s in listed.sources] + list(listed.failed)],
        "reported": {k for k, v in decided.items() if v["outcome"] == "failed"},
        "new_sources": [
            {"source_id": s.id, "index": s.index, "title": s.title, "url": s.url}
            for s in listed.new
        ],
        "series": series,
    }


def _record_failures(data, selected: list, check) -> None:  # noqa: ANN001
    """Say at once which sources failed for good, then record them as the flow would."""
    from flows.publish import record_failure
    from flows.store import OutsideDataDir, describe_os_error

    for source in selected:
        if source.id in check.failed:
            line = f"{source.id}: fetch: {check.failed[source.id]}"
            try:
                record_failure(data, source, None, "fetch", check.failed[source.id])
            except (OSError, OutsideDataDir) as exc:  # a full or read-only disk: said, not fatal
                note = describe_os_error(exc) if isinstance(exc, OSError) else str(exc)
                line += f" (not recorded: {note})"
            err.print(line, markup=False, highlight=False)


@contextlib.contextmanager
def _prefect_api(data, params: dict):  # noqa: ANN001, ANN202 - a DataDir
    """The API the flow will use: a configured server (None), or a temporary server started
    now, before `import prefect`, so that its start-up overlaps the import."""
    from flows.temporary_server import TemporaryServer, configured_api_url

    if configured_api_url() or params.get("dask_address"):
        yield None
        return
    server = TemporaryServer()
    try:
        server.start()
    except (RuntimeError, OSError) as exc:
        raise _NoPrefectApi(exc) from None
    try:
        yield server
    finally:
        server.stop()


class _NoPrefectApi(Exception):
    """The temporary Prefect server did not start: `run failed: …`, one line, exit 1."""

    def __init__(self, cause: BaseException) -> None:
        super().__init__(" ".join(str(cause).split()) or cause.__class__.__name__)


def _run_flow(server, params: dict, prefetched: list):  # noqa: ANN001, ANN202
    from flows.progress import set_reporter

    with _progress() if err.is_terminal else _progress_lines() as reporter:
        set_reporter(reporter)
        try:
            if server is None:
                from flows.runner import run_refresh

                return run_refresh(**params, prefetched=prefetched)
            from prefect.settings import PREFECT_API_URL, temporary_settings

            from flows.runner import run_refresh

            try:
                url = server.wait_ready()
            except (RuntimeError, OSError) as exc:
                raise _NoPrefectApi(exc) from None
            with temporary_settings(updates={PREFECT_API_URL: url}):
                try:
                    return run_refresh(**params, prefetched=prefetched)
                finally:
                    from flows.runner import drain_prefect_workers

                    drain_prefect_workers()
        finally:
            set_reporter(None)


@contextlib.contextmanager
def _progress_lines():  # noqa: ANN202
    """Progress as a line per document every few seconds, for logs and pipes."""
    from flows.progress import ProgressLines

    yield ProgressLines(lambda line: err.print(line, markup=False, highlight=False))


class _progress:
    """A rich progress bar per document while pages are extracted."""

    def __enter__(self):
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
        )

        self.progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=err,
            transient=True,
            disable=not err.is_terminal,
        )
        self.tasks: dict[str, int] = {}
        self.progress.start()
        return self.report

    def report(self, source_id: str, stage: str, done: int, total: int) -> None:
        if stage == "extract":
            if source_id not in self.tasks:
                self.tasks[source_id] = self.progress.add_task(
                    f"{source_id} pages", total=total or None
                )
            elif done:
                self.progress.advance(self.tasks[source_id], done)

    def __exit__(self, *exc) -> None:
        self.progress.stop()


def _print_summary(result: dict) -> None:
    rows = result["sources"]
    table = Table(title="teian run", show_lines=False)
    for column in ("source", "outcome", "pages", "tables", "cells", "requests"):
        table.add_column(
            column,
            justify="right" if column in ("pages", "tables", "cells", "requests") else "left",
        )
    for r in rows:
        table.add_row(
            r["source_id"],
            r["outcome"],
            *(str(r.get(k, "")) for k in ("pages", "tables", "cells", "requests")),
        )
    out.print(table)
    for r in rows:
        if r.get("error") and r["source_id"] not in result.get("reported", ()):
            stage = r.get("stage", "")
            line = (
                f"{r['source_id']}: {stage}: {r['error']}"
                if r["outcome"] == "failed"
                else f"{r['source_id']}: warning: {r['error']}"
            )
            (err if r["outcome"] == "failed" else out).print(line, markup=False, highlight=False)
    for new in result.get("new_sources") or []:
        out.print(
            f"{new['source_id']}: new, listed by index {new['index']}: {new['title']}",
            markup=False,
            highlight=False,
        )
    location = result["data_dir"]
    processed = f"{location.rstrip('/')}/processed"
    out.print(f"Datasets: {processed}/<dataset>/<source_id>.parquet")
    out.print(
        'Try:  teian query "SELECT source_id, page_number, row_label, header, text, unit, value_yen '
        'FROM cells WHERE value_yen IS NOT NULL LIMIT 10"'
        + ("" if location == str(Path("data").resolve()) else f" --data-dir {location}"),
        markup=False,
        highlight=False,
        soft_wrap=True,  # a command to copy: never broken over lines, whatever the width
    )
    out.print(
        f"  or in DuckDB:  SELECT * FROM '{processed}/cells/*.parquet'",
        markup=False,
        highlight=False,
        soft_wrap=True,
    )


@app.command()
def sources(
    catalog: CatalogOpt = DEFAULT_CATALOG,
    data_dir: DataDirOpt = defaults.DATA_DIR,
) -> None:
    """List the catalog with each source's last fetch and publish state."""
    from flows.store import read_fetch_log, read_state

    data = _data_dir_or_exit(data_dir)
    entries = _load_or_exit(catalog)
    items = _all_sources(entries, data)
    table = Table(title=str(catalog))
    for column in ("id", "kind", "year", "last fetch", "published", "status", "detail", "index"):
        table.add_column(column)
    for s in items:
        log = read_fetch_log(data, s.id)
        last = log[-1] if log else None
        fetch = (
            "never" if not last else f"{last['time'][:19]} {'error' if last.get('error') else 'ok'}"
        )
        state = read_state(data, s.id) or {}
        published = (state.get("published_at") or "never")[:19]
        detail = state.get("last_error") or "; ".join(state.get("warnings") or []) or s.url
        table.add_row(
            s.id,
            s.kind,
            str(s.fiscal_year or ""),
            fetch,
            published,
            state.get("status", "-"),
            detail,
            s.index or "",
        )
    out.print(table)
    _print_indexes(entries, data)


def _print_indexes(entries, data) -> None:  # noqa: ANN001 - a Catalog, a DataDir
    """One line per index: what it has listed so far, when, and its last error."""
    from flows.store import read_index_state

    for index in entries.indexes:
        state = read_index_state(data, index.id) or {}
        listed = (state.get("last_listed") or "never")[:19]
        line = f"index {index.id}: {len(state.get('links', []))} document(s) listed, last {listed}"
        if state.get("last_error"):
            line += f"; last error: {state['last_error']}"
        out.print(line, markup=False, highlight=False, soft_wrap=True)


FormatOpt = Annotated[
    str,
    typer.Option(
        "--format",
        help="table (for a terminal), csv, json or markdown (for other programs: every row).",
    ),
]
LimitOpt = Annotated[
    int | None,
    typer.Option(
        "--limit", min=0, help="Rows to show at most (0: all; default 50 for table, else all)."
    ),
]


@app.command()
def query(
    sql: Annotated[
        str,
        typer.Argument(
            help="SQL over the views documents, pages, tables, cells, requests, request_targets."
        ),
    ],
    data_dir: DataDirOpt = defaults.DATA_DIR,
    fmt: FormatOpt = "table",
    limit: LimitOpt = None,
) -> None:
    """Query the published datasets with DuckDB, each dataset available as a view of its name."""
    import duckdb

    from flows.query import connect, fetch_rows, row_limit

    _check_format(fmt)
    con = connect(_data_dir_or_exit(data_dir))
    try:
        cursor = con.execute(sql)
        columns = [d[0] for d in cursor.description or []]
        rows, cut = fetch_rows(cursor, row_limit(fmt, limit))
    except duckdb.Error as exc:
        err.print(f"query: {exc}".splitlines()[0], markup=False, highlight=False)
        raise typer.Exit(2) from None
    _print_rows(fmt, columns, rows, cut)


def _check_format(fmt: str) -> None:
    from flows.query import FORMATS

    if fmt not in FORMATS:
        err.print(f"--format {fmt}: one of {', '.join(FORMATS)}", markup=False, highlight=False)
        raise typer.Exit(2)


def _print_rows(fmt: str, columns: list[str], rows: list, cut: bool) -> None:
    """The rows on stdout; on stderr, when --limit left rows out, a note saying so."""
    from flows.query import write_result

    write_result(fmt, columns, rows)
    if cut:
        err.print(
            f"showing the first {len(rows)} rows; more were left out (--limit N, or --limit 0 for all)",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )


@app.command()
def export(
    out_path: Annotated[
        Path,
        typer.Option("--out", help="File to write; a folder for several CSV/Parquet tables."),
    ],
    source_id: Annotated[
        str | None, typer.Argument(help="Source id whose tables to export (or use --query).")
    ] = None,
    table: Annotated[
        str | None, typer.Option("--table", help="Only this table (its id, or 「p3-t1」).")
    ] = None,
    sql: Annotated[
        str | None, typer.Option("--query", help="Export this SQL's result instead of a source.")
    ] = None,
    fmt: Annotated[str, typer.Option("--format", help="csv, xlsx or parquet.")] = "csv",
    encoding: Annotated[
        str, typer.Option("--encoding", help="CSV encoding: utf-8-sig (Excel), utf-8 or cp932.")
    ] = "utf-8-sig",
    amounts: Annotated[
        str, typer.Option("--amounts", help="Figures as printed (in the table's unit) or in yen.")
    ] = "printed",
    wide: Annotated[
        bool, typer.Option("--wide", help="One column per header path (Parquet always is).")
    ] = False,
    data_dir: DataDirOpt = defaults.DATA_DIR,
) -> None:
    """Write published tables, as tables, to CSV, XLSX or Parquet (or a query's result)."""
    import duckdb

    from flows.export import ExportError, ExportOptions, describe, export_query, export_source
    from flows.query import connect

    if (source_id is None) == (sql is None):
        err.print("export: give a SOURCE_ID or --query SQL (one of them)")
        raise typer.Exit(2)
    options = ExportOptions(fmt, encoding, amounts, wide)
    data = _data_dir_or_exit(data_dir)
    try:
        if sql is not None:
            result = export_query(connect(data), sql, out_path, options)
        else:
            result = export_source(data, source_id or "", table, out_path, options)
    except (ExportError, duckdb.Error) as exc:
        err.print(f"export: {exc}".splitlines()[0], markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None
    for problem in result.problems:
        err.print(f"warning: {problem}", markup=False, highlight=False, soft_wrap=True)
    out.print(describe(result), markup=False, highlight=False, soft_wrap=True)


@app.command()
def search(
    words: Annotated[list[str], typer.Argument(help="Words every hit must say (normalized).")],
    only: Annotated[
        list[str] | None,
        typer.Option("--only", metavar="SOURCE_ID", help="Only this source id (repeatable)."),
    ] = None,
    data_dir: DataDirOpt = defaults.DATA_DIR,
    fmt: FormatOpt = "table",
    limit: LimitOpt = None,
) -> None:
    """Request items and pages that mention all the words, with a snippet and the printed page."""
    from flows.query import connect, row_limit
    from flows.search import search as find

    _check_format(fmt)
    try:
        con = connect(_data_dir_or_exit(data_dir))
        columns, rows, cut = find(con, words, only, row_limit(fmt, limit))
    except ValueError as exc:
        err.print(f"search: {exc}", markup=False, highlight=False)
        raise typer.Exit(2) from None
    if not rows:
        err.print(f"search: no item or page mentions {' '.join(words)}", markup=False)
        raise typer.Exit(1)
    _print_rows(fmt, columns, rows, cut)


@app.command()
def serve(
    catalog: CatalogOpt = DEFAULT_CATALOG,
    data_dir: DataDirOpt = defaults.DATA_DIR,
    cron: Annotated[str, typer.Option("--cron", help="Cron schedule.")] = defaults.CRON,
    timezone: Annotated[
        str, typer.Option("--timezone", help="Timezone of the schedule.")
    ] = defaults.TIMEZONE,
    name: Annotated[
        str, typer.Option("--name", help="Deployment name.")
    ] = defaults.DEPLOYMENT_NAME,
) -> None:
    """Register the refresh flow as a scheduled deployment and serve it (needs a Prefect server)."""
    _quiet_prefect(False, level="INFO")  # served runs log to the UI
    _load_or_exit(catalog)
    from flows.serve import ServeSetupError, serve_refresh

    try:
        serve_refresh(
            str(catalog.resolve()), _data_dir_or_exit(data_dir).location, cron, timezone, name
        )
    except ServeSetupError as exc:
        err.print(str(exc), markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None


@app.command()
def report(
    data_dir: DataDirOpt = defaults.DATA_DIR,
    only: Annotated[
        list[str] | None,
        typer.Option("--only", metavar="SOURCE_ID", help="Only this source id (repeatable)."),
    ] = None,
    out_dir: Annotated[
        Path | None, typer.Option("--out", help="Output folder (default: <data-dir>/report).")
    ] = None,
    all_pages: Annotated[
        bool,
        typer.Option("--all-pages", help="Render every page, not only those with tables or items."),
    ] = False,
    scale: Annotated[
        float, typer.Option("--scale", min=0.3, max=4.0, help="Page image scale (1.0 = 72 dpi).")
    ] = 1.25,
) -> None:
    """Write a static HTML report of what was extracted: pages with table overlays, cells, items."""
    from report import ReportError, build_report

    try:
        result = build_report(
            data_dir, out_dir, only=only, scale=scale, render="all" if all_pages else "marked"
        )
    except ReportError as exc:
        err.print(str(exc), markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None
    for problem in result.problems:
        err.print(f"warning: {problem}", markup=False, highlight=False, soft_wrap=True)
    out.print(
        f"{result.documents} document(s), {result.pages_rendered} page image(s) rendered, "
        f"{result.pages_reused} reused, {result.bytes_written / 1e6:.1f} MB in {result.seconds:.1f} s",
        markup=False,
        highlight=False,
        soft_wrap=True,
    )
    out.print(
        f"Open {result.index.resolve().as_uri()}", markup=False, highlight=False, soft_wrap=True
    )


@app.command()
def inspect(
    source_id: Annotated[str, typer.Argument(help="Source id, as in the catalog.")],
    page: Annotated[int, typer.Option("--page", min=1, help="PDF page number (1-based).")],
    data_dir: DataDirOpt = defaults.DATA_DIR,
    png: Annotated[
        Path | None, typer.Option("--png", help="Write the page with its table overlays here.")
    ] = None,
) -> None:
    """Show one page: its tables in the terminal and, with --png, the page with their boxes drawn."""
    from report import ReportError, inspect_page

    try:
        found = inspect_page(data_dir, source_id, page, png)
    except ReportError as exc:
        err.print(str(exc), markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None
    view, doc = found.page, found.doc
    label = f" (printed {view.page_label})" if view.page_label else ""
    out.print(
        f"{source_id} page {view.page_number}{label}: {view.n_chars} characters, "
        f"{len(view.overlays)} table(s)",
        markup=False,
        highlight=False,
        soft_wrap=True,
    )
    items = {i.item_seq: i for i in doc.items}
    for seq in view.items_starting:
        item = items[seq]
        out.print(
            f"item {item.item_no or seq} starts: {item.title} → {'・'.join(item.targets)}",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
    _print_page_tables(view, doc)
    for problem in found.problems:
        err.print(problem, markup=False, highlight=False, soft_wrap=True)
    if found.png is not None:
        out.print(f"Wrote {found.png}", markup=False, highlight=False, soft_wrap=True)
    elif png is None:
        out.print(
            "Add --png FILE for the page image with the tables' boxes drawn.",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )


def _print_page_tables(view, doc) -> None:  # noqa: ANN001 - report.model views
    """The tables of a page as terminal tables, with only the rows printed on that page."""
    from report.model import body_rows, column_headers

    tables = {t.table_id: t for t in doc.tables}
    for overlay in view.overlays:
        table = tables[overlay.table_id]
        title = f"{table.label} {table.table_id} p.{table.pages}" + (
            f" ({table.unit})" if table.unit else ""
        )
        grid = Table(
            title=title, caption=table.caption or None, caption_justify="left", show_lines=False
        )
        for header in column_headers(table):
            grid.add_column(header, overflow="fold")
        for row in body_rows(table, page_number=view.page_number):
            grid.add_row(*("" if c is None else c.text for c in row))
        out.print(grid)
        for problem in table.problems:
            err.print(f"{table.label}: {problem}", markup=False, highlight=False, soft_wrap=True)


def main() -> None:
    """Entry point of the `teian` console script."""
    try:
        app()
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)


if __name__ == "__main__":
    main()
