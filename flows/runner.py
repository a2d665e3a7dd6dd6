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


def make_task_runner(workers: int | None, dask_address: str | None) -> TaskRunner:
    """Threads drive extraction subprocesses locally; with a Dask address, Dask workers do."""
    if dask_address:
        from prefect_dask import DaskTaskRunner

        return DaskTaskRunner(address=dask_address)
    from prefect.task_runners import ThreadPoolTaskRunner

    return ThreadPoolTaskRunner(max_workers=workers or default_workers())


# The temporary Prefect server gets this long to start (Prefect's default is 20 s, which a busy
# machine exceeds: the run then died with a traceback before doing anything).
SERVER_STARTUP_SECONDS = 180


def _run_settings() -> contextlib.AbstractContextManager:
    """Settings of runs started here, unless the environment sets them.

    Flow-run heartbeats are off: a heartbeat thread sleeps in one-second steps and is joined
    when the flow ends, so every run waits up to a second at exit — a tenth of an incremental
    run that finds nothing changed. The heartbeats (every 180 s) serve crash detection of long
    deployment runs, which `teian serve` keeps; set PREFECT_FLOWS_HEARTBEAT_FREQUENCY to have
    them on `teian run` too. The temporary server gets SERVER_STARTUP_SECONDS to start.
    """
    from prefect.settings import (
        PREFECT_FLOWS_HEARTBEAT_FREQUENCY,
        PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS,
        temporary_settings,
    )

    updates: dict = {}
    if not os.environ.get("PREFECT_FLOWS_HEARTBEAT_FREQUENCY"):
        updates[PREFECT_FLOWS_HEARTBEAT_FREQUENCY] = None
    if not os.environ.get("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS"):
        updates[PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS] = SERVER_STARTUP_SECONDS
    return temporary_settings(updates=updates) if updates else contextlib.nullcontext()


def run_refresh(**params: Any) -> tuple[Any, dict | None]:
    """Run the flow; returns (final state, result dict or None when the flow itself crashed)."""
    workers = params.get("workers")
    dask_address = params.pop("dask_address", None)
    flow = refresh.with_options(task_runner=make_task_runner(workers, dask_address))
    try:
        with _run_settings():
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
