"""Choose the task runner and run the refresh flow: local threads over guarded worker processes,
or an existing Dask cluster through prefect-dask.

Why threads locally, and not Prefect's ProcessPoolTaskRunner: the work of an extraction task is
done in a child interpreter (`python -m flows.extract`) that caps its own address space and is
killed when its time budget is spent — the only way to stop a page that hangs or eats memory
without taking the worker down with it. A thread that starts that child and waits on it costs
nothing (it sleeps in `wait()`, holding no GIL), so `--workers N` threads give N busy processes.
A process pool would add a second, heavier layer: each pool worker imports Prefect (~150 MB),
re-creates the run context, and still has to spawn the guarded child, because neither a time
limit nor RLIMIT_AS can be applied to a pool worker without breaking the pool.

On Dask, each task runs in a Dask worker process; the same guarded child is started there with
`subprocess` (daemonic Dask workers may not use multiprocessing, but may start subprocesses).
"""

from __future__ import annotations

import contextlib
import os
from typing import Any

from prefect.task_runners import TaskRunner

from flows.refresh import default_workers, refresh
from flows.temporary_server import STARTUP_TIMEOUT_SECONDS, temporary_server_home


def make_task_runner(workers: int | None, dask_address: str | None) -> TaskRunner:
    """Threads drive extraction subprocesses locally; with a Dask address, Dask workers do."""
    if dask_address:
        from prefect_dask import DaskTaskRunner

        return DaskTaskRunner(address=dask_address)
    from prefect.task_runners import ThreadPoolTaskRunner

    return ThreadPoolTaskRunner(max_workers=workers or default_workers())


def _run_settings() -> contextlib.AbstractContextManager:
    """Flow-run heartbeats off for runs started here, unless the environment asks for them.

    A heartbeat thread sleeps in one-second steps and is joined when the flow ends, so every run
    waits up to a second at exit — a tenth of an incremental run that finds nothing changed. The
    heartbeats (every 180 s) serve crash detection of long deployment runs, which `teian serve`
    keeps; set PREFECT_FLOWS_HEARTBEAT_FREQUENCY to have them on `teian run` too.
    """
    if os.environ.get("PREFECT_FLOWS_HEARTBEAT_FREQUENCY"):
        return contextlib.nullcontext()
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

    return temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None})


def _temporary_server_state() -> contextlib.AbstractContextManager:
    """Point the temporary server Prefect starts (when no PREFECT_API_URL is configured) at
    `temporary_server_home`, unless the environment names a database itself."""
    from prefect.settings import (
        PREFECT_MEMO_STORE_PATH,
        PREFECT_SERVER_DATABASE_CONNECTION_URL,
        PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS,
        get_current_settings,
        temporary_settings,
    )

    if get_current_settings().api.url or any(
        name in os.environ
        for name in (
            "PREFECT_SERVER_DATABASE_CONNECTION_URL",
            "PREFECT_API_DATABASE_CONNECTION_URL",
        )
    ):
        return contextlib.nullcontext()
    home = temporary_server_home()
    home.mkdir(parents=True, exist_ok=True)
    updates: dict[Any, Any] = {
        PREFECT_SERVER_DATABASE_CONNECTION_URL: f"sqlite+aiosqlite:///{home / 'prefect.db'}",
        PREFECT_MEMO_STORE_PATH: home / "memo_store.toml",
    }
    if "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS" not in os.environ:
        # A new database is migrated before the server answers: on a busy machine that takes
        # longer than Prefect's 20 s default, and the first run would fail for nothing.
        updates[PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS] = STARTUP_TIMEOUT_SECONDS
    return temporary_settings(updates=updates)


def drain_prefect_workers(timeout: float = 10.0) -> None:
    """Send the run's last logs and events to the Prefect API now, while it is still up.

    Prefect sends them from background workers that are drained at interpreter exit; by then a
    temporary server is stopped, and each worker prints `--- Error logging to API ---` after the
    summary. Draining before the server stops keeps the terminal to the summary.
    """
    from prefect.events.worker import EventsWorker
    from prefect.logging.handlers import APILogWorker

    for worker in (APILogWorker, EventsWorker):
        try:
            worker.drain_all(timeout=timeout)
        except Exception:  # noqa: BLE001 - a log or event that cannot be sent is not the run's
            pass


def run_refresh(**params: Any) -> tuple[Any, dict | None]:
    """Run the flow; returns (final state, result dict or None when the flow itself crashed)."""
    workers = params.get("workers")
    dask_address = params.pop("dask_address", None)
    flow = refresh.with_options(task_runner=make_task_runner(workers, dask_address))
    try:
        with _run_settings(), _temporary_server_state():
            state = flow(**params, return_state=True)
    except RuntimeError as exc:
        if "ephemeral Prefect API server" not in str(exc):
            raise
        from prefect.states import Failed

        # one line (`run failed: …`), not Prefect's traceback: nothing was done, nothing is lost
        reason = " ".join(str(exc).split())
        return Failed(message=f"the temporary Prefect server did not start: {reason}"), None
    result = state.result(raise_on_failure=False)
    if not isinstance(result, dict):
        if isinstance(result, BaseException) and result.__class__.__name__ in (
            "DataDirBusy",
            "DataDirUnwritable",
        ):
            raise result
        return state, None
    return state, result
