"""`teian serve` against a real `prefect server start`: the weekly deployment exists with its cron
schedule and timezone, a run triggered through the API publishes the sample catalog, and the run's
summary artifact lists every source."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from tests.prefect_server import (
    ROOT,
    base_env,
    start_prefect_server,
    start_process,
    stop_process,
    wait_for,
)

FINAL = {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}


def test_serve_without_a_server_is_one_clear_line(sample_catalog: Path, tmp_path: Path) -> None:
    env = base_env(tmp_path / "prefect-home")
    result = subprocess.run(
        [sys.executable, "-m", "flows", "serve", "--catalog", str(sample_catalog)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=120,
    )
    assert result.returncode == 2
    assert "needs a Prefect server" in result.stderr and "prefect server start" in result.stderr
    assert "Traceback" not in result.stderr
    bad_cron = subprocess.run(
        [
            sys.executable,
            "-m",
            "flows",
            "serve",
            "--catalog",
            str(sample_catalog),
            "--cron",
            "0 6 * *",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=120,
    )
    assert bad_cron.returncode == 2 and "Invalid cron string" in bad_cron.stderr


@pytest.mark.server
def test_serve_registers_a_weekly_deployment_and_runs_it(
    sample_catalog: Path, tmp_path: Path
) -> None:
    from prefect.client.orchestration import SyncPrefectClient
    from prefect.client.schemas.filters import (
        ArtifactFilter,
        ArtifactFilterFlowRunId,
        ArtifactFilterKey,
    )

    home = tmp_path / "prefect-home"
    server, api = start_prefect_server(home, tmp_path / "server.log")
    if not api:
        log = (tmp_path / "server.log").read_text(errors="replace")[-2000:]
        pytest.skip(
            f"`prefect server start` did not become healthy on 127.0.0.1; its log ends:\n{log}"
        )
    data_dir = tmp_path / "data"
    env = {**base_env(home), "PREFECT_API_URL": api, "PREFECT_RUNNER_POLL_FREQUENCY": "2"}
    serve_log = tmp_path / "serve.log"
    serving = start_process(
        [
            sys.executable,
            "-m",
            "flows",
            "serve",
            "--catalog",
            str(sample_catalog),
            "--data-dir",
            str(data_dir),
            "--cron",
            "30 5 * * 1",
        ],
        env,
        serve_log,
    )
    try:
        with SyncPrefectClient(api) as client:

            def deployment():
                try:
                    return client.read_deployment_by_name("refresh/weekly")
                except Exception:  # noqa: BLE001 - not registered yet
                    return None

            try:
                found = wait_for(deployment, 120, "deployment refresh/weekly", alive=serving)
            except AssertionError as exc:
                raise AssertionError(
                    f"{exc}\n{serve_log.read_text(errors='replace')[-3000:]}"
                ) from None
            [schedule] = found.schedules
            assert schedule.schedule.cron == "30 5 * * 1"
            assert schedule.schedule.timezone == "Asia/Tokyo"
            assert schedule.active
            assert found.parameters == {
                "catalog": str(sample_catalog.resolve()),
                "data_dir": str(data_dir.resolve()),
            }
            assert (
                found.global_concurrency_limit is not None
                and found.global_concurrency_limit.limit == 1
            )

            run = client.create_flow_run_from_deployment(found.id)

            def finished():
                state = client.read_flow_run(run.id).state
                return state if state is not None and state.type.value in FINAL else None

            try:
                state = wait_for(finished, 300, "triggered flow run", alive=serving, interval=1.0)
            except AssertionError as exc:
                raise AssertionError(
                    f"{exc}\n{serve_log.read_text(errors='replace')[-3000:]}"
                ) from None
            assert state.type.value == "COMPLETED", (
                f"{state.message}\n{serve_log.read_text(errors='replace')[-3000:]}"
            )

            [artifact] = client.read_artifacts(
                artifact_filter=ArtifactFilter(
                    key=ArtifactFilterKey(any_=["teian-run-summary"]),
                    flow_run_id=ArtifactFilterFlowRunId(any_=[run.id]),
                )
            )
            # every source has a row with its outcome (the teian sample may carry parser warnings)
            assert re.search(
                r"^\| sample-teian-r7 \| (published|partial) \|", artifact.data, re.M
            ), artifact.data
            assert re.search(r"^\| sample-budget-r8 \| published \|", artifact.data, re.M), (
                artifact.data
            )
            from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

            runs = FlowRunFilter(id=FlowRunFilterId(any_=[run.id]))
            names = {t.name for t in client.read_task_runs(flow_run_filter=runs)}
            assert {"fetch sample-teian-r7", "publish sample-budget-r8"} <= names, names
    finally:
        stop_process(serving)
        stop_process(server)
    for source_id in ("sample-teian-r7", "sample-budget-r8"):
        docs = pq.read_table(
            data_dir / "processed" / "documents" / f"{source_id}.parquet"
        ).to_pylist()
        assert docs[-1]["status"] in ("ok", "partial") and docs[-1]["is_current"]
    assert (
        pq.read_table(data_dir / "processed" / "requests" / "sample-teian-r7.parquet").num_rows > 0
    )
