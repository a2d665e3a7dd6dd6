"""Choose the task runner and run the refresh flow: local threads over guarded worker processes,
or an existing Dask cluster through prefect-dask."""

from __future__ import annotations

from flows.refresh import default_workers, refresh


def make_task_runner(workers: int | None, dask_address: str | None):
    """Threads drive extraction subprocesses locally; with a Dask address, Dask workers do."""
    if dask_address:
        from prefect_dask import DaskTaskRunner

        return DaskTaskRunner(address=dask_address)
    from prefect.task_runners import ThreadPoolTaskRunner

    return ThreadPoolTaskRunner(max_workers=workers or default_workers())


def run_refresh(**params):
    """Run the flow; returns (final state, result dict or None when the flow itself crashed)."""
    workers = params.get("workers")
    dask_address = params.pop("dask_address", None)
    flow = refresh.with_options(task_runner=make_task_runner(workers, dask_address))
    state = flow(**params, return_state=True)
    result = state.result(raise_on_failure=False)
    if not isinstance(result, dict):
        if isinstance(result, BaseException) and result.__class__.__name__ == "DataDirBusy":
            raise result
        return state, None
    return state, result
