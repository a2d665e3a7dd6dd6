"""The `teian` command: run the pipeline, serve it on a schedule, list the catalog.

Exit codes of `teian run`: 0 every source published (or unchanged), 1 some source failed (the
others are still published), 2 usage or catalog error. Expected failures are one line each,
naming the source and the stage; tracebacks are for bugs only.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from flows import defaults

app = typer.Typer(add_completion=False, no_args_is_help=True, help=__doc__.splitlines()[0])
out = Console()
err = Console(stderr=True, soft_wrap=True)  # one problem, one line: never wrapped

CatalogOpt = Annotated[Path, typer.Option("--catalog", help="Catalog TOML file.")]
DEFAULT_CATALOG = Path(defaults.CATALOG)
DataDirOpt = Annotated[
    str,
    typer.Option(
        "--data-dir",
        help="Where raw/, processed/ and state/ live: a folder, or an fsspec URL (s3://bucket/teian).",
    ),
]


def _quiet_prefect(verbose: bool, level: str = "CRITICAL") -> None:
    """Keep the terminal for our summary, one line per problem: Prefect's own log lines repeat
    them, so they show only with --verbose (or at `level`). Set before Prefect is imported."""
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "INFO" if verbose else level)
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


def _load_or_exit(catalog: Path):
    from flows.catalog import load_catalog
    from transforms.catalog import CatalogError

    if not catalog.exists():
        err.print(f"catalog: {catalog} not found")
        raise typer.Exit(2)
    try:
        return load_catalog(catalog)
    except CatalogError as exc:
        for problem in exc.problems:
            err.print(problem, markup=False, highlight=False)
        raise typer.Exit(2) from None


@app.command()
def run(
    catalog: CatalogOpt = DEFAULT_CATALOG,
    data_dir: DataDirOpt = defaults.DATA_DIR,
    only: Annotated[
        list[str] | None, typer.Option("--only", help="Only this source id (repeatable).")
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
    document_time_limit: Annotated[
        float,
        typer.Option("--document-time-limit", help="Seconds for all of a document's pages."),
    ] = defaults.DOCUMENT_TIME_LIMIT_SECONDS,
    fetch_deadline: Annotated[
        float, typer.Option("--fetch-deadline", help="Seconds for a whole download.")
    ] = defaults.FETCH_DEADLINE_SECONDS,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Show Prefect's logs.")] = False,
) -> None:
    """Fetch, extract, normalize, parse and publish every source of the catalog."""
    _quiet_prefect(verbose)
    _check_only(_load_or_exit(catalog), only, catalog)
    data = _data_dir_or_exit(data_dir)
    state, result = _run_locked(
        data,
        catalog=str(catalog),
        data_dir=data.location,
        only=only,
        force=force,
        workers=workers,
        dask_address=dask_address,
        time_limit=time_limit,
        memory_limit_mb=memory_limit,
        document_time_limit=document_time_limit,
        fetch_deadline=fetch_deadline,
    )
    if result is None:
        err.print(f"run failed: {state.message}")
        raise typer.Exit(1)
    _print_summary(result)
    raise typer.Exit(0 if state.is_completed() else 1)


def _check_only(sources: list, only: list[str] | None, catalog: Path) -> None:
    known = {s.id for s in sources}
    unknown = [o for o in only or [] if o not in known]
    for source_id in unknown:
        err.print(f"--only {source_id}: no such source in {catalog}")
    if unknown:
        raise typer.Exit(2)


def _run_locked(data, **params):  # noqa: ANN001, ANN202 - a DataDir; the flow's parameters
    """Run the flow with a progress display, holding the data dir's lock.

    The lock is taken here too (the flow re-enters it) so a busy data dir fails before a
    Prefect server is started, with one line and no traceback.
    """
    from flows.lock import DataDirBusy, DataDirUnwritable, data_dir_lock
    from flows.progress import set_reporter
    from flows.runner import run_refresh

    with _progress() as reporter:
        set_reporter(reporter)
        try:
            with data_dir_lock(data):
                return run_refresh(**params)
        except DataDirBusy as exc:
            err.print(str(exc), markup=False, highlight=False, soft_wrap=True)
            raise typer.Exit(1) from None
        except DataDirUnwritable as exc:
            err.print(str(exc), markup=False, highlight=False, soft_wrap=True)
            raise typer.Exit(2) from None
        finally:
            set_reporter(None)


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
        if r.get("error"):
            stage = r.get("stage", "")
            line = (
                f"{r['source_id']}: {stage}: {r['error']}"
                if r["outcome"] == "failed"
                else f"{r['source_id']}: warning: {r['error']}"
            )
            (err if r["outcome"] == "failed" else out).print(line, markup=False, highlight=False)
    location = result["data_dir"]
    processed = f"{location.rstrip('/')}/processed"
    out.print(f"Datasets: {processed}/<dataset>/<source_id>.parquet")
    out.print(
        'Try:  teian query "SELECT source_id, page_number, row_label, header, text, unit, value_yen '
        'FROM cells WHERE value_yen IS NOT NULL LIMIT 10"'
        + ("" if location == str(Path("data").resolve()) else f" --data-dir {location}"),
        markup=False,
        highlight=False,
    )
    out.print(
        f"  or in DuckDB:  SELECT * FROM '{processed}/cells/*.parquet'",
        markup=False,
        highlight=False,
    )


@app.command()
def sources(
    catalog: CatalogOpt = DEFAULT_CATALOG,
    data_dir: DataDirOpt = defaults.DATA_DIR,
) -> None:
    """List the catalog with each source's last fetch and publish state."""
    from flows.store import read_fetch_log, read_state

    items = _load_or_exit(catalog)
    data = _data_dir_or_exit(data_dir)
    table = Table(title=str(catalog))
    for column in ("id", "kind", "year", "last fetch", "published", "status", "detail"):
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
        )
    out.print(table)


@app.command()
def query(
    sql: Annotated[
        str,
        typer.Argument(
            help="SQL over the views documents, pages, tables, cells, requests, request_targets."
        ),
    ],
    data_dir: DataDirOpt = defaults.DATA_DIR,
    limit: Annotated[int, typer.Option("--limit", help="Rows to show at most.")] = 50,
) -> None:
    """Query the published datasets with DuckDB, each dataset available as a view of its name."""
    import duckdb

    from transforms.schemas import DATASETS

    data = _data_dir_or_exit(data_dir)
    con = duckdb.connect()
    if data.is_remote:
        # DuckDB reads the URL's objects through the same fsspec filesystem the run wrote with.
        con.register_filesystem(data.fs)
    for dataset in DATASETS:
        folder = data.processed / dataset
        if data.list_files(folder, ".parquet"):
            location = (
                data.fs.unstrip_protocol(data.remote_path(folder))
                if data.is_remote
                else str(folder)
            )
            pattern = f"{location}/*.parquet".replace("'", "''")
            con.execute(
                f"CREATE VIEW {dataset} AS SELECT * FROM read_parquet('{pattern}', union_by_name=true)"
            )
    try:
        cursor = con.execute(sql)
    except duckdb.Error as exc:
        err.print(f"query: {exc}".splitlines()[0], markup=False, highlight=False)
        raise typer.Exit(2) from None
    columns = [d[0] for d in cursor.description or []]
    rows = cursor.fetchmany(limit)
    table = Table(*columns)
    for row in rows:
        table.add_row(*("" if v is None else str(v) for v in row))
    out.print(table)


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
        list[str] | None, typer.Option("--only", help="Only this source id (repeatable).")
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
